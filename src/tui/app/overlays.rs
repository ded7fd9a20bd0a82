//! The panes over the table: describe and YAML, the editor, the logs view
//! and the rollout view — opening them, their keys, and their streams.

use super::*;

impl App {
    pub(super) fn editor_key(&mut self, key: KeyEvent) {
        let Some((editor, target)) = self.editor.as_mut() else {
            return;
        };
        let (text, dry_run) = match editor.handle_key(key) {
            Outcome::Intent(EditorIntent::Validate { text }) => (text, true),
            Outcome::Intent(EditorIntent::Apply { text }) => (text, false),
            Outcome::Intent(EditorIntent::Close) => {
                self.close_editor();
                return;
            }
            Outcome::Ignored | Outcome::Consumed => return,
        };
        let target = target.clone();
        if let Some(task) = self.edit_task.take() {
            task.abort();
        }
        self.edit_generation += 1;
        let delay = if dry_run {
            crate::tui::panes::VALIDATE_DEBOUNCE
        } else {
            std::time::Duration::ZERO
        };
        self.edit_task = Some(crate::tui::panes::submit(
            self.handle.clone(),
            target,
            text,
            dry_run,
            delay,
            self.edit_generation,
            self.actions.clone(),
        ));
    }

    pub(super) fn close_editor(&mut self) {
        if let Some(task) = self.edit_task.take() {
            task.abort();
        }
        self.edit_generation += 1;
        self.editor = None;
    }

    pub(super) fn logs_key(&mut self, key: KeyEvent) {
        let Some(logs) = self.logs.as_mut() else {
            return;
        };
        match logs.handle_key(key) {
            Outcome::Intent(LogsIntent::Close) => self.close_logs(),
            Outcome::Intent(LogsIntent::Reopen(request)) => self.start_log_streams(request, None),
            Outcome::Intent(LogsIntent::Save { path, contents }) => {
                self.spawn_write(async move {
                    tokio::fs::write(&path, contents)
                        .await
                        .map(|()| format!("logs saved to {}", path.display()))
                        .map_err(|error| format!("cannot save logs to {}: {error}", path.display()))
                });
            }
            Outcome::Ignored | Outcome::Consumed => {}
        }
    }

    /// (Re)starts the streams of `request`; `source` is what they follow
    /// (`None`: the same as before, reopened with other options).
    pub(super) fn start_log_streams(&mut self, request: LogRequest, source: Option<Target>) {
        self.log_feed
            .start(&self.handle, &request, source, &self.actions);
    }

    /// Streams the pods and containers that started since (see `log_feed`).
    pub(super) fn follow_new_log_pods(&mut self) {
        let Some(logs) = self.logs.as_mut() else {
            return;
        };
        let joined = self
            .log_feed
            .catch_up(&self.handle, logs.request(), &self.actions);
        logs.add_pods(joined);
    }

    pub(super) fn close_logs(&mut self) {
        self.log_feed.close();
        self.logs = None;
    }

    /// The rollout view of the selected Deployment.
    pub(super) fn open_rollout(&mut self) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        if object.kind() != Kind::Deployment {
            self.model.flash_error(
                "the rollout view shows deployments: select one in :deploy and press o",
            );
            return;
        }
        let mut rollout = RolloutView::new(object.namespace(), object.name());
        observe_rollout(&mut rollout, self.handle.as_ref());
        self.rollout = Some(rollout);
    }

    /// Logs of the selected pod, or of every pod of the selected workload
    /// interleaved with a pod prefix; `previous`: of the containers before
    /// their last restart (`p`, `kubectl logs --previous`).
    pub(super) fn open_logs(&mut self, previous: bool) {
        let Some(object) = self.model.selected_object().cloned() else {
            return;
        };
        let pods: Vec<Arc<Object>> = match object.as_ref() {
            Object::Pod(_) => vec![object.clone()],
            _ => refresh::pods_of(self.handle.as_ref(), &object),
        };
        let Some(first) = pods.first() else {
            self.model.flash_error(format!(
                "{} has no pods to show logs of",
                Target::of(&object).describe()
            ));
            return;
        };
        let containers: Vec<String> = match first.as_ref() {
            Object::Pod(pod) => pod
                .spec
                .iter()
                .flat_map(|spec| spec.containers.iter().map(|c| c.name.clone()))
                .collect(),
            _ => Vec::new(),
        };
        let request = LogRequest {
            namespace: object.namespace().to_string(),
            pods: pods.iter().map(|pod| pod.name().to_string()).collect(),
            container: containers.first().cloned(),
            all_containers: false,
            previous,
            window: LogWindow::Tail,
            tail_lines: LOG_TAIL,
        };
        self.logs = Some(LogsView::new(
            request.clone(),
            containers,
            self.log_capacity,
        ));
        self.start_log_streams(request, Some(Target::of(&object)));
    }
}

/// Hands the rollout view the Deployment and its namespace's ReplicaSets,
/// Pods and Events as they are now.
pub(super) fn observe_rollout(rollout: &mut RolloutView, handle: &dyn ClusterHandle) {
    let namespace = rollout.namespace().to_string();
    let Some(deployment) = handle.get(Kind::Deployment, &namespace, rollout.name()) else {
        return;
    };
    let Some(deployment) = deployment.as_typed::<Deployment>() else {
        return;
    };
    let replica_sets = handle.list(Kind::ReplicaSet, Some(&namespace));
    let pods = handle.list(Kind::Pod, Some(&namespace));
    let events = handle.list(Kind::Event, Some(&namespace));
    let input = RolloutInput {
        deployment,
        replica_sets: replica_sets
            .iter()
            .filter_map(|o| o.as_typed::<ReplicaSet>())
            .collect(),
        pods: pods.iter().filter_map(|o| o.as_typed::<Pod>()).collect(),
        events: events
            .iter()
            .filter_map(|o| o.as_typed::<Event>())
            .collect(),
    };
    rollout.observe(&input, crate::clock::now());
}
