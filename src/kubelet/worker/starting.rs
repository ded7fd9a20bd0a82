//! Starting one container: pull per imagePullPolicy, create, start, with
//! the events upstream's kubelet records at each step.

use std::time::Duration;

use tokio::time::Instant;

use super::PodWorker;
use crate::events::EventType;
use crate::kubelet::format::go_duration;
use crate::kubelet::slot::{Plan, Shown};

/// How long a failed pull is shown as ErrImagePull before the back-off.
const ERR_IMAGE_PULL_SHOWN: Duration = Duration::from_secs(1);
/// A pull or create running longer than this shows as ContainerCreating.
const SHOW_PENDING_AFTER: Duration = Duration::from_millis(50);
/// Retry delay after a create or start error.
const CREATE_RETRY: Duration = Duration::from_secs(10);

/// The effective pull policy: the spec's, else Always for `:latest` or
/// untagged images and IfNotPresent otherwise (upstream defaulting).
fn pull_policy(image: &str, policy: Option<&str>) -> String {
    if let Some(policy) = policy.filter(|p| !p.is_empty()) {
        return policy.to_string();
    }
    let without_digest = image.split('@').next().unwrap_or(image);
    let name = without_digest.rsplit('/').next().unwrap_or(without_digest);
    match name.split_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent".to_string(),
        _ => "Always".to_string(),
    }
}

/// What the kubelet does about a container's image before creating it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageStep {
    /// Pull it (Always, or IfNotPresent with the image absent).
    Pull,
    /// Use the image on the machine: upstream's "already present".
    Present,
    /// Never, and the image is absent: ErrImageNeverPull.
    NeverPullAbsent,
    /// Offline: the image on the machine, whatever the policy.
    OfflinePresent,
    /// Offline and absent: fails as a pull would (ErrImagePull, back-off).
    OfflineAbsent,
}

/// The step for `policy` (already defaulted), whether the image is on the
/// machine, and whether pulls are off (`--offline`). Never keeps
/// upstream's ErrImageNeverPull offline too: it would not pull either way.
fn image_step(policy: &str, present: bool, offline: bool) -> ImageStep {
    match (policy, present, offline) {
        ("Never", false, _) => ImageStep::NeverPullAbsent,
        (_, true, true) => ImageStep::OfflinePresent,
        (_, false, true) => ImageStep::OfflineAbsent,
        ("Always", _, false) => ImageStep::Pull,
        (_, true, false) => ImageStep::Present,
        (_, false, false) => ImageStep::Pull,
    }
}

/// The waiting message of an image missing offline: where it comes from
/// without a registry.
fn offline_absent_message(image: &str) -> String {
    format!(
        "offline: image \"{image}\" is not present on the machine and podium pulls nothing (--offline); put it there with `docker load -i <image>.tar` (podium's demo images: `podium images demo`)"
    )
}

/// Upstream prints pull times truncated to milliseconds.
fn to_millis(duration: Duration) -> Duration {
    Duration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

impl PodWorker {
    /// Shows the container waiting with `reason`, records a Warning event,
    /// and tries the start again after [`CREATE_RETRY`].
    fn wait_to_retry(
        &mut self,
        index: usize,
        reason: &str,
        message: String,
        event_reason: &str,
        event_message: &str,
    ) {
        self.slots[index].shown = Shown::waiting(reason, Some(message));
        self.slots[index].retry_at = Some(Instant::now() + CREATE_RETRY);
        self.event(Some(index), EventType::Warning, event_reason, event_message);
    }

    /// A pull that failed (or could not be tried offline): ErrImagePull
    /// with `message` for a moment, the Failed events upstream records, then
    /// the pull back-off.
    fn pull_failed(&mut self, index: usize, image: &str, message: String) {
        self.event(
            Some(index),
            EventType::Warning,
            "Failed",
            &format!("Failed to pull image \"{image}\": {message}"),
        );
        self.event(
            Some(index),
            EventType::Warning,
            "Failed",
            "Error: ErrImagePull",
        );
        let slot = &mut self.slots[index];
        slot.shown = Shown::waiting("ErrImagePull", Some(message));
        slot.pull_backoff.next(Instant::now());
        slot.pull_failed = true;
        slot.retry_at = Some(Instant::now() + ERR_IMAGE_PULL_SHOWN);
    }

    /// Awaits `work`, writing the status first if it takes a while, so a
    /// slow pull or create shows as ContainerCreating.
    async fn showing_progress<T>(&mut self, work: impl std::future::Future<Output = T>) -> T {
        tokio::pin!(work);
        tokio::select! {
            done = &mut work => done,
            _ = tokio::time::sleep(SHOW_PENDING_AFTER) => {
                self.flush_status();
                work.await
            }
        }
    }

    pub(super) async fn start(&mut self, index: usize) {
        let image = self.slots[index].spec().image.clone().unwrap_or_default();
        let policy = pull_policy(
            &image,
            self.slots[index].spec().image_pull_policy.as_deref(),
        );
        let present = self.ctx.runtime.image_present(&image).await.ok().flatten();
        let step = image_step(&policy, present.is_some(), self.ctx.offline);
        match step {
            ImageStep::NeverPullAbsent => {
                let message =
                    format!("Container image \"{image}\" is not present with pull policy of Never");
                self.wait_to_retry(
                    index,
                    "ErrImageNeverPull",
                    message.clone(),
                    "ErrImageNeverPull",
                    &message,
                );
                return;
            }
            ImageStep::OfflineAbsent => {
                self.pull_failed(index, &image, offline_absent_message(&image));
                return;
            }
            ImageStep::Pull | ImageStep::Present | ImageStep::OfflinePresent => {}
        }
        let image_info = if step == ImageStep::Pull {
            if !matches!(&self.slots[index].shown, Shown::Waiting { .. }) {
                self.slots[index].shown = Shown::waiting("ContainerCreating", None);
            }
            self.event(
                Some(index),
                EventType::Normal,
                "Pulling",
                &format!("Pulling image \"{image}\""),
            );
            let began = Instant::now();
            let ctx = self.ctx.clone();
            let wanted = image.clone();
            // Pulls are serialised per node, as upstream's default
            // (serializeImagePulls); the wait shows in "including waiting".
            let pull = async move {
                let _turn = ctx.image_pulls.lock().await;
                let pulling = Instant::now();
                let result = ctx.runtime.pull_image(&wanted, &|_| {}).await;
                (result, pulling.elapsed())
            };
            // Show ContainerCreating only when the pull takes a while: with
            // instant pulls (10,000 pods on the sim) one status write is enough.
            let result = self.showing_progress(pull).await;
            let (result, pulling) = result;
            match result {
                Ok(info) => {
                    let took = go_duration(to_millis(pulling));
                    let total = go_duration(to_millis(began.elapsed()));
                    self.event(
                        Some(index),
                        EventType::Normal,
                        "Pulled",
                        &format!(
                            "Successfully pulled image \"{image}\" in {took} ({total} including waiting). Image size: {} bytes.",
                            info.size_bytes
                        ),
                    );
                    info
                }
                Err(error) => {
                    self.pull_failed(index, &image, error.to_string());
                    return;
                }
            }
        } else {
            let message = if step == ImageStep::OfflinePresent {
                format!("offline: using the image \"{image}\" present on the machine")
            } else {
                format!("Container image \"{image}\" already present on machine")
            };
            self.event(Some(index), EventType::Normal, "Pulled", &message);
            match present {
                Some(info) => info,
                None => return,
            }
        };
        self.slots[index].image_id = image_info.image_id;

        let mut spec = self.container_spec(index);
        spec.labels.extend(self.network_labels());
        let resolved = crate::kubelet::env::resolve(
            &self.ctx.store,
            &self.pod,
            self.slots[index].spec(),
            &self.pod_ip,
        );
        match resolved {
            Ok(env) => {
                spec.command = spec
                    .command
                    .iter()
                    .map(|c| crate::kubelet::env::expand(c, &env))
                    .collect();
                spec.args = spec
                    .args
                    .iter()
                    .map(|a| crate::kubelet::env::expand(a, &env))
                    .collect();
                spec.env = env;
            }
            Err(message) => {
                let event = format!("Error: {message}");
                self.wait_to_retry(
                    index,
                    "CreateContainerConfigError",
                    message,
                    "Failed",
                    &event,
                );
                return;
            }
        }
        if let Some(root) = &self.ctx.volumes_dir {
            let volumes = crate::kubelet::volumes::PodVolumes {
                root,
                store: &self.ctx.store,
                pod: &self.pod,
                tokens: self.ctx.tokens.as_ref(),
            };
            let hosts = crate::kubelet::hosts::prepare(
                root,
                &self.pod,
                &self.pod_ip,
                &self.hostname(),
                &crate::kubelet::hosts::services_of(&self.ctx.store),
            );
            match hosts {
                Ok(mount) => spec.mounts.push(mount),
                Err(error) => {
                    self.slots[index].shown = Shown::waiting("ContainerCreating", None);
                    self.slots[index].retry_at = Some(Instant::now() + CREATE_RETRY);
                    let message = format!(
                        "cannot write the pod's hosts file under {}: {error}; check that podium's data directory is writable",
                        root.display()
                    );
                    self.event(None, EventType::Warning, "FailedMount", &message);
                    return;
                }
            }
            match volumes.mounts_for(self.slots[index].spec()) {
                Ok(mounts) => spec.mounts.extend(mounts),
                Err(error) => {
                    // Upstream keeps the pod in ContainerCreating and
                    // reports FailedMount on the pod until the volume works.
                    self.slots[index].shown = Shown::waiting("ContainerCreating", None);
                    self.slots[index].retry_at = Some(Instant::now() + CREATE_RETRY);
                    self.event(None, EventType::Warning, "FailedMount", &error.to_string());
                    return;
                }
            }
        }
        let runtime = self.ctx.runtime.clone();
        let created = self
            .showing_progress(async move { runtime.create_container(&spec).await })
            .await;
        let id = match created {
            Ok(id) => id,
            Err(error) => {
                let message = error.to_string();
                let event = format!("Error: {message}");
                self.wait_to_retry(index, "CreateContainerError", message, "Failed", &event);
                return;
            }
        };
        let now = Instant::now();
        let slot = &mut self.slots[index];
        if slot.last_exit.is_some() {
            slot.restart_count += 1;
            slot.crash_backoff.next(now);
        }
        if let Some(stale) = slot.previous.take() {
            let _ = self.ctx.runtime.remove_container(&stale).await;
        }
        let slot = &mut self.slots[index];
        slot.previous = slot.current.replace(id.clone());
        slot.image = Some(image.clone());
        let name = slot.name().to_string();
        self.event(
            Some(index),
            EventType::Normal,
            "Created",
            &format!("Created container: {name}"),
        );

        if let Err(error) = self.ctx.runtime.start_container(&id).await {
            let message = error.to_string();
            self.forget_taken_network(&message);
            self.event(
                Some(index),
                EventType::Warning,
                "Failed",
                &format!("Error: {message}"),
            );
            let terminated = k8s_openapi::api::core::v1::ContainerStateTerminated {
                exit_code: 128,
                reason: Some("StartError".to_string()),
                message: Some(message),
                finished_at: Some(crate::clock::now_time()),
                container_id: Some(format!("{}://{id}", self.ctx.scheme())),
                ..Default::default()
            };
            self.record_exit(index, terminated);
            return;
        }
        let (started_at, ip) = match self.ctx.runtime.inspect_container(&id).await {
            Ok(info) => (super::time_of(info.started_at), info.ip),
            Err(_) => (crate::clock::now_time(), None),
        };
        self.learn_network(&id, ip).await;
        self.event(
            Some(index),
            EventType::Normal,
            "Started",
            &format!("Started container {name}"),
        );
        let pod_ip = self.pod_ip.clone();
        let admitted = self.admitted;
        let slot = &mut self.slots[index];
        slot.plan = Plan::Running;
        slot.shown = Shown::Running { started_at };
        slot.arm_probes(&pod_ip, Instant::now(), admitted);
    }
}

#[cfg(test)]
mod tests {
    use super::{ImageStep, image_step, offline_absent_message, pull_policy};

    #[test]
    fn pull_policy_defaults_like_upstream() {
        assert_eq!(pull_policy("nginx", None), "Always");
        assert_eq!(pull_policy("nginx:latest", None), "Always");
        assert_eq!(pull_policy("nginx:1.27", None), "IfNotPresent");
        assert_eq!(pull_policy("localhost:5000/app", None), "Always");
        assert_eq!(pull_policy("nginx:1.27", Some("Always")), "Always");
    }

    #[test]
    fn online_the_policy_decides_as_upstream() {
        assert_eq!(image_step("Always", true, false), ImageStep::Pull);
        assert_eq!(image_step("Always", false, false), ImageStep::Pull);
        assert_eq!(image_step("IfNotPresent", true, false), ImageStep::Present);
        assert_eq!(image_step("IfNotPresent", false, false), ImageStep::Pull);
        assert_eq!(image_step("Never", true, false), ImageStep::Present);
        assert_eq!(
            image_step("Never", false, false),
            ImageStep::NeverPullAbsent
        );
    }

    #[test]
    fn offline_nothing_is_pulled_whatever_the_policy() {
        for policy in ["Always", "IfNotPresent", "Never"] {
            assert_eq!(
                image_step(policy, true, true),
                ImageStep::OfflinePresent,
                "{policy}"
            );
        }
        assert_eq!(image_step("Always", false, true), ImageStep::OfflineAbsent);
        assert_eq!(
            image_step("IfNotPresent", false, true),
            ImageStep::OfflineAbsent
        );
        // Never would not pull online either: upstream's reason stays.
        assert_eq!(image_step("Never", false, true), ImageStep::NeverPullAbsent);
    }

    #[test]
    fn the_offline_message_names_the_image_and_the_way_out() {
        let message = offline_absent_message("podium-absent-image:1");
        assert!(message.contains("\"podium-absent-image:1\""), "{message}");
        assert!(message.contains("docker load"), "{message}");
        assert!(message.contains("podium images demo"), "{message}");
    }
}
