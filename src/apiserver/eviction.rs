//! `POST pods/NAME/eviction`: a delete that honours the pod's
//! PodDisruptionBudget, as upstream's EvictionREST
//! (pkg/registry/core/pod/storage/eviction.go). The body is a policy/v1
//! (or v1beta1) Eviction, JSON or protobuf; its deleteOptions
//! (gracePeriodSeconds, preconditions, propagationPolicy, dryRun) apply to
//! the delete.
//!
//! - A pod that is Pending, Succeeded, Failed or already terminating is
//!   deleted without looking at budgets.
//! - More than one budget selecting the pod: 500, as upstream.
//! - A pod that is not Ready goes when its budget has policy AlwaysAllow or
//!   is healthy anyway (currentHealthy >= desiredHealthy > 0).
//! - Otherwise the budget must allow a disruption: its status is
//!   decremented and the pod written into `status.disruptedPods` (so the
//!   controller does not count it while it terminates); when it allows
//!   none: 429 "Cannot evict pod as it would violate the pod's disruption
//!   budget." with a DisruptionBudget cause, which `kubectl drain` retries.
//! - Before the delete the pod gets the condition `DisruptionTarget`
//!   (reason `EvictionByEvictionAPI`).
//! - Success is `201` with a `Status` of `Success`.

use http::Response;
use k8s_openapi::api::core::v1::{Pod, PodCondition};
use k8s_openapi::api::policy::v1::{Eviction, PodDisruptionBudget};
use serde_json::json;

use super::admission;
use super::crud::Call;
use super::http::{Body, json_response};
use super::status::{ApiError, StatusCause, StatusDetails};
use crate::api::{Kind, Object};
use crate::controllers::disruption::{self, update_disruption_allowed_condition};
use crate::controllers::util::is_pod_ready;
use crate::store::{DeleteOptions, Propagation, Store, StoreError, UpdateScope};

/// How often a conflicting write is tried again (EvictionsRetry's steps).
const RETRIES: usize = 20;
/// More pods than this waiting in `disruptedPods` refuses evictions.
const MAX_DISRUPTED_POD_SIZE: usize = 2000;
const TOO_MANY_REQUESTS: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

pub fn create(call: &Call) -> Result<Response<Body>, ApiError> {
    let namespace = call.path.namespace.as_deref().unwrap_or("");
    let name = call.path.name.as_deref().unwrap_or("");
    let value = admission::decode_body(call.content_type, &call.body)?;
    let api_version = value["apiVersion"].as_str().unwrap_or("");
    if !matches!(api_version, "policy/v1" | "policy/v1beta1" | "")
        || value["kind"].as_str().is_some_and(|k| k != "Eviction")
    {
        return Err(ApiError::bad_request(format!(
            "not a Eviction object: {api_version} {}",
            value["kind"].as_str().unwrap_or("")
        )));
    }
    let eviction: Eviction = serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("invalid Eviction: {e}")))?;
    if eviction.metadata.name.as_deref() != Some(name) {
        return Err(ApiError::bad_request(
            "name in URL does not match name in Eviction object",
        ));
    }
    if eviction
        .metadata
        .namespace
        .as_deref()
        .is_some_and(|n| !n.is_empty() && n != namespace)
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    let requested = eviction.delete_options.unwrap_or_default();
    let dry_run = dry_run(call, requested.dry_run.as_deref().unwrap_or_default())?;
    let original = delete_options(&requested)?;
    Evicting {
        store: &call.state.store,
        namespace,
        name,
        dry_run,
        original,
    }
    .run()
}

/// propagateDryRun: the query's dryRun and the body's must agree.
fn dry_run(call: &Call, in_body: &[String]) -> Result<bool, ApiError> {
    let in_query = call.query.all("dryRun");
    if !in_query.is_empty() && !in_body.is_empty() && in_query != in_body {
        return Err(ApiError::internal(format!(
            "Non-matching dry-run options in request and content: {in_query:?} and {in_body:?}"
        )));
    }
    let values = if in_body.is_empty() {
        in_query
    } else {
        in_body
    };
    match values {
        [] => Ok(false),
        [all] if all == "All" => Ok(true),
        other => Err(ApiError::bad_request(format!(
            "Invalid dry run value: {other:?}: supported values: \"All\""
        ))),
    }
}

fn delete_options(
    options: &k8s_openapi::apimachinery::pkg::apis::meta::v1::DeleteOptions,
) -> Result<DeleteOptions, ApiError> {
    let propagation = match (
        options.propagation_policy.as_deref(),
        options.orphan_dependents,
    ) {
        (Some("Background"), _) => Some(Propagation::Background),
        (Some("Foreground"), _) => Some(Propagation::Foreground),
        (Some("Orphan"), _) | (None, Some(true)) => Some(Propagation::Orphan),
        (None, _) => None,
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!(
                "propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            )));
        }
    };
    let preconditions = options.preconditions.clone().unwrap_or_default();
    Ok(DeleteOptions {
        propagation,
        grace_period_seconds: options.grace_period_seconds,
        precondition_uid: preconditions.uid,
        precondition_resource_version: preconditions.resource_version,
    })
}

/// The 429 a budget that is not up to date answers.
fn still_processing(budget: &str) -> ApiError {
    too_many_requests(
        format!("The disruption budget {budget} is still being processed by the server."),
        10,
    )
}

fn too_many_requests(cause: String, retry_after_seconds: i32) -> ApiError {
    ApiError {
        code: 429,
        reason: "TooManyRequests",
        message: TOO_MANY_REQUESTS.to_string(),
        details: Some(Box::new(StatusDetails {
            causes: vec![StatusCause {
                reason: "DisruptionBudget".to_string(),
                message: cause,
                field: String::new(),
            }],
            retry_after_seconds,
            ..StatusDetails::default()
        })),
    }
}

fn forbidden(budget: &str, why: &str) -> ApiError {
    ApiError::new(
        403,
        "Forbidden",
        format!("poddisruptionbudget.policy \"{budget}\" is forbidden: {why}"),
    )
    .with_object(Kind::PodDisruptionBudget, budget)
}

fn success() -> Response<Body> {
    json_response(
        201,
        &json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "code": 201,
        }),
    )
}

fn is_conflict(error: &StoreError) -> bool {
    matches!(error, StoreError::Conflict { .. })
}

/// Why a decrement did not happen.
enum Refused {
    /// The budget changed since it was read: read it again.
    Conflict,
    Api(ApiError),
}

struct Evicting<'a> {
    store: &'a Store,
    namespace: &'a str,
    name: &'a str,
    dry_run: bool,
    /// The deleteOptions the client sent.
    original: DeleteOptions,
}

impl Evicting<'_> {
    fn pod(&self) -> Result<Pod, ApiError> {
        self.store
            .get_as::<Pod>(self.namespace, self.name)
            .ok_or_else(|| {
                ApiError::from_store(StoreError::NotFound {
                    kind: Kind::Pod,
                    name: self.name.to_string(),
                })
            })
    }

    fn run(&self) -> Result<Response<Body>, ApiError> {
        let retry_conflicts = self.original.precondition_resource_version.is_none();
        let mut attempts = 0;
        let pod = loop {
            attempts += 1;
            let pod = self.pod()?;
            if !can_ignore_budget(&pod) {
                break pod;
            }
            let mut options = self.original.clone();
            if should_enforce_resource_version(&pod) && retry_conflicts {
                options.precondition_resource_version = pod.metadata.resource_version.clone();
            }
            match self.delete(&options) {
                Ok(()) => return Ok(success()),
                Err(error) if is_conflict(&error) && retry_conflicts && attempts < RETRIES => {}
                Err(error) => return Err(error.into()),
            }
        };

        let budgets = disruption::budgets_guarding(self.store, &pod);
        if budgets.len() > 1 {
            return Err(ApiError::new(
                500,
                "",
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            ));
        }
        let mut enforce_resource_version = false;
        let mut budget_name = String::new();
        if let Some(budget) = budgets.into_iter().next() {
            budget_name = budget.metadata.name.clone().unwrap_or_default();
            let status = budget.status.clone().unwrap_or_default();
            let always_allow = budget
                .spec
                .as_ref()
                .and_then(|s| s.unhealthy_pod_eviction_policy.as_deref())
                == Some("AlwaysAllow");
            let healthy_anyway =
                status.current_healthy >= status.desired_healthy && status.desired_healthy > 0;
            if !is_pod_ready(&pod) && (always_allow || healthy_anyway) {
                // An unready pod does not count: deleting it takes nothing
                // from the budget, as long as it stays unready.
                enforce_resource_version = true;
            } else {
                self.decrement_with_retries(budget)?;
            }
        }

        let mut options = self.original.clone();
        if enforce_resource_version {
            options.precondition_resource_version = pod.metadata.resource_version.clone();
        }
        match self.delete(&options) {
            Ok(()) => Ok(success()),
            Err(error)
                if is_conflict(&error)
                    && enforce_resource_version
                    && self.original.precondition_resource_version.is_none() =>
            {
                Err(still_processing(&budget_name))
            }
            Err(error) => Err(error.into()),
        }
    }

    fn decrement_with_retries(&self, mut budget: PodDisruptionBudget) -> Result<(), ApiError> {
        let name = budget.metadata.name.clone().unwrap_or_default();
        for _ in 0..RETRIES {
            match self.check_and_decrement(&budget) {
                Ok(()) => return Ok(()),
                Err(Refused::Api(error)) => return Err(error),
                Err(Refused::Conflict) => {
                    let object = self
                        .store
                        .get(Kind::PodDisruptionBudget, self.namespace, &name)
                        .ok_or_else(|| {
                            ApiError::from_store(StoreError::NotFound {
                                kind: Kind::PodDisruptionBudget,
                                name: name.clone(),
                            })
                        })?;
                    budget = crate::controllers::util::read_as(&object)
                        .map_err(|e| ApiError::internal(e.to_string()))?;
                }
            }
        }
        let mut error = ApiError::new(
            504,
            "Timeout",
            format!("Timeout: couldn't update PodDisruptionBudget {name:?} due to conflicts"),
        );
        error.details = Some(Box::new(StatusDetails {
            retry_after_seconds: 10,
            ..StatusDetails::default()
        }));
        Err(error)
    }

    /// checkAndDecrement: takes one disruption from the budget and names
    /// the pod in its `disruptedPods`.
    fn check_and_decrement(&self, budget: &PodDisruptionBudget) -> Result<(), Refused> {
        let name = budget.metadata.name.as_deref().unwrap_or("");
        let mut status = budget.status.clone().unwrap_or_default();
        if status.observed_generation.unwrap_or(0) < budget.metadata.generation.unwrap_or(0) {
            return Err(Refused::Api(still_processing(name)));
        }
        if status.disruptions_allowed < 0 {
            return Err(Refused::Api(forbidden(
                name,
                "pdb disruptions allowed is negative",
            )));
        }
        if status.disrupted_pods.as_ref().map_or(0, |m| m.len()) > MAX_DISRUPTED_POD_SIZE {
            return Err(Refused::Api(forbidden(
                name,
                "DisruptedPods map too big - too many evictions not confirmed by PDB controller",
            )));
        }
        if status.disruptions_allowed == 0 {
            return Err(Refused::Api(too_many_requests(
                format!(
                    "The disruption budget {name} needs {} healthy pods and has {} currently",
                    status.desired_healthy, status.current_healthy
                ),
                0,
            )));
        }
        status.disruptions_allowed -= 1;
        if status.disruptions_allowed == 0 {
            update_disruption_allowed_condition(&mut status);
        }
        if self.dry_run {
            return Ok(());
        }
        status
            .disrupted_pods
            .get_or_insert_with(Default::default)
            .insert(self.name.to_string(), crate::clock::now_time());
        match disruption::write_status(self.store, budget, status) {
            Ok(()) => Ok(()),
            Err(crate::controllers::ControllerError::Store(error)) if is_conflict(&error) => {
                Err(Refused::Conflict)
            }
            Err(error) => Err(Refused::Api(ApiError::internal(error.to_string()))),
        }
    }

    /// addConditionAndDeletePod: marks the pod `DisruptionTarget`, then
    /// deletes it with `options` (a dry run only checks them).
    fn delete(&self, options: &DeleteOptions) -> Result<(), StoreError> {
        let mut options = options.clone();
        if self.dry_run {
            let existing = self.store.get(Kind::Pod, self.namespace, self.name).ok_or(
                StoreError::NotFound {
                    kind: Kind::Pod,
                    name: self.name.to_string(),
                },
            )?;
            return crate::store::check_preconditions(
                &existing,
                options.precondition_uid.as_deref(),
                options.precondition_resource_version.as_deref(),
            );
        }
        let updated = loop {
            let existing = self.store.get(Kind::Pod, self.namespace, self.name).ok_or(
                StoreError::NotFound {
                    kind: Kind::Pod,
                    name: self.name.to_string(),
                },
            )?;
            crate::store::check_preconditions(
                &existing,
                options.precondition_uid.as_deref(),
                options.precondition_resource_version.as_deref(),
            )?;
            let Object::Pod(pod) = &*existing else {
                return Err(StoreError::NotFound {
                    kind: Kind::Pod,
                    name: self.name.to_string(),
                });
            };
            let mut pod = pod.clone();
            mark_disruption_target(&mut pod);
            match self.store.update(Object::Pod(pod), UpdateScope::Status) {
                Err(error) if is_conflict(&error) => continue,
                other => break other?,
            }
        };
        if options.precondition_resource_version.is_some() {
            // Our own write moved the version the client pinned.
            options.precondition_resource_version = updated.meta().resource_version.clone();
        }
        self.store
            .delete(Kind::Pod, self.namespace, self.name, &options)?;
        Ok(())
    }
}

/// The condition upstream sets on an evicted pod (UpdatePodCondition: the
/// transition time moves only with the status).
fn mark_disruption_target(pod: &mut Pod) {
    let status = pod.status.get_or_insert_with(Default::default);
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let condition = PodCondition {
        type_: "DisruptionTarget".to_string(),
        status: "True".to_string(),
        reason: Some("EvictionByEvictionAPI".to_string()),
        message: Some("Eviction API: evicting".to_string()),
        last_transition_time: Some(crate::clock::now_time()),
        ..PodCondition::default()
    };
    match conditions.iter_mut().find(|c| c.type_ == condition.type_) {
        Some(existing) => {
            if existing.status != condition.status {
                existing.last_transition_time = condition.last_transition_time;
                existing.status = condition.status;
            }
            existing.reason = condition.reason;
            existing.message = condition.message;
        }
        None => conditions.push(condition),
    }
}

/// canIgnorePDB: pods that disrupt nothing by going.
fn can_ignore_budget(pod: &Pod) -> bool {
    matches!(
        crate::controllers::util::pod_phase(pod),
        "Succeeded" | "Failed" | "Pending"
    ) || pod.metadata.deletion_timestamp.is_some()
}

/// shouldEnforceResourceVersion: not for pods that are done or going.
fn should_enforce_resource_version(pod: &Pod) -> bool {
    !matches!(
        crate::controllers::util::pod_phase(pod),
        "Succeeded" | "Failed"
    ) && pod.metadata.deletion_timestamp.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn a_budget_still_processed_answers_upstreams_429() {
        let response = crate::apiserver::http::error_response(&still_processing("web"));
        assert_eq!(response.status(), 429);
        assert_eq!(
            response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
            Some("10")
        );
        let bytes = futures::executor::block_on(response.into_body().collect())
            .expect("a full body")
            .to_bytes();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            concat!(
                r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","#,
                r#""message":"Cannot evict pod as it would violate the pod's disruption budget.","#,
                r#""reason":"TooManyRequests","details":{"causes":[{"reason":"DisruptionBudget","#,
                r#""message":"The disruption budget web is still being processed by the server."}],"#,
                r#""retryAfterSeconds":10},"code":429}"#,
                "\n"
            )
        );
    }

    #[test]
    fn pods_that_disrupt_nothing_skip_the_budget() {
        let pod = |phase: &str| -> Pod {
            serde_json::from_value(json!({"metadata": {"name": "p"}, "status": {"phase": phase}}))
                .expect("a pod")
        };
        assert!(can_ignore_budget(&pod("Pending")));
        assert!(can_ignore_budget(&pod("Succeeded")));
        assert!(!can_ignore_budget(&pod("Running")));
        assert!(should_enforce_resource_version(&pod("Pending")));
        assert!(!should_enforce_resource_version(&pod("Failed")));
        let mut running = pod("Running");
        mark_disruption_target(&mut running);
        mark_disruption_target(&mut running);
        let conditions = running
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default();
        assert_eq!(conditions.len(), 1);
        assert_eq!(
            conditions[0].reason.as_deref(),
            Some("EvictionByEvictionAPI")
        );
    }
}
