//! The component panes the app opens over the table — the YAML editor and
//! the logs view — and the I/O their intents ask for: server-side dry runs
//! and applies for the editor, log streams and saves for the logs view.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::AbortHandle;

use super::app::Action;
use super::editor::{Diagnostic, locate_field};
use super::logs::{LogLine, LogRequest, LogWindow};
use crate::handle::{ClusterHandle, HandleError, LogQuery};

/// Typing pauses this long before the server checks the buffer.
pub const VALIDATE_DEBOUNCE: Duration = Duration::from_millis(300);

/// What the editor was opened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditTarget {
    /// An existing object as it was opened: the difference the user made
    /// goes to the server as a merge patch, as `kubectl edit` sends its
    /// changes, so status updates meanwhile cause no conflict.
    Existing(serde_json::Value),
    /// New objects: the buffer is applied (`kubectl apply`).
    New,
}

/// Checks (dry run) or writes the editor's buffer after `delay`, and
/// reports back with `generation` so that stale answers are dropped.
pub fn submit(
    handle: Arc<dyn ClusterHandle>,
    target: EditTarget,
    text: String,
    dry_run: bool,
    delay: Duration,
    generation: u64,
    actions: UnboundedSender<Action>,
) -> AbortHandle {
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let result = match target {
            EditTarget::Existing(original) => {
                match serde_yaml::from_str::<serde_json::Value>(&text) {
                    Ok(edited) => edit(handle.as_ref(), &original, &edited, dry_run).await,
                    Err(error) => Err(HandleError::Invalid(error.to_string())),
                }
            }
            EditTarget::New => handle
                .apply(&text, dry_run)
                .await
                .map(|lines| lines.join(", ")),
        };
        let diagnostics = match &result {
            Ok(_) => Vec::new(),
            Err(error) => diagnostics(&text, error),
        };
        let _ = actions.send(Action::Checked {
            generation,
            dry_run,
            result: result.map_err(|e| e.to_string()),
            diagnostics,
        });
    })
    .abort_handle()
}

/// Sends what changed between `original` and `edited` as a merge patch.
async fn edit(
    handle: &dyn ClusterHandle,
    original: &Value,
    edited: &Value,
    dry_run: bool,
) -> Result<String, HandleError> {
    let kind = original["kind"].as_str().unwrap_or_default();
    let api_version = original["apiVersion"].as_str().unwrap_or_default();
    let kind = crate::api::Kind::from_type_meta(api_version, kind).ok_or_else(|| {
        HandleError::Invalid(format!("podium does not serve {api_version} {kind}"))
    })?;
    let namespace = original["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default();
    let name = original["metadata"]["name"].as_str().unwrap_or_default();
    for field in ["apiVersion", "kind"] {
        if edited[field] != original[field] {
            return Err(HandleError::Invalid(format!(
                "{field} cannot change in an edit (was {}); create a new object with `a` instead",
                original[field]
            )));
        }
    }
    let patch = merge_patch(original, edited);
    if patch.as_object().is_some_and(|p| p.is_empty()) {
        return Ok(format!("{} unchanged", kind.info().singular));
    }
    handle.patch(kind, namespace, name, patch, dry_run).await?;
    let suffix = if dry_run { " (server dry run)" } else { "" };
    Ok(format!("{} edited{suffix}", kind.resource_name(name)))
}

/// The JSON merge patch (RFC 7386) that turns `from` into `to`: changed
/// fields, removed ones as null; lists are replaced whole.
pub(super) fn merge_patch(from: &Value, to: &Value) -> Value {
    match (from, to) {
        (Value::Object(from), Value::Object(to)) => {
            let mut patch = serde_json::Map::new();
            for (key, value) in to {
                match from.get(key) {
                    Some(old) if old == value => {}
                    Some(old) if old.is_object() && value.is_object() => {
                        patch.insert(key.clone(), merge_patch(old, value));
                    }
                    _ => {
                        patch.insert(key.clone(), value.clone());
                    }
                }
            }
            for key in from.keys().filter(|key| !to.contains_key(*key)) {
                patch.insert(key.clone(), Value::Null);
            }
            Value::Object(patch)
        }
        _ => to.clone(),
    }
}

/// The server's refusal as problems at their lines: each field cause at
/// the line of its field path, else the message at line 1.
pub fn diagnostics(text: &str, error: &HandleError) -> Vec<Diagnostic> {
    match error {
        HandleError::Refused {
            message, causes, ..
        } if !causes.is_empty() => causes
            .iter()
            .map(|cause| Diagnostic {
                line: locate_field(text, 0, &cause.field).unwrap_or(1),
                column: None,
                field_path: (!cause.field.is_empty()).then(|| cause.field.clone()),
                message: if cause.message.is_empty() {
                    message.clone()
                } else {
                    cause.message.clone()
                },
            })
            .collect(),
        other => vec![Diagnostic {
            line: 1,
            column: None,
            field_path: None,
            message: super::workloads::with_advice(error, other.to_string()),
        }],
    }
}

/// Starts the log stream of `container` (`None`: the default one) of
/// `pod` as `request` asks; lines come back as actions tagged with
/// `generation`.
pub fn stream_pod_log(
    handle: &Arc<dyn ClusterHandle>,
    request: &LogRequest,
    (pod, container): (&str, Option<&str>),
    generation: u64,
    actions: &UnboundedSender<Action>,
) -> AbortHandle {
    let head = request.window == LogWindow::Head;
    let query = LogQuery {
        container: container.map(str::to_string),
        previous: request.previous,
        // A previous container's log is complete, and a head is the
        // first lines; follow the live one.
        follow: !request.previous && !head,
        timestamps: true,
        tail_lines: match request.window {
            LogWindow::Tail => Some(i64::from(request.tail_lines)),
            LogWindow::Head | LogWindow::Since(_) => None,
        },
        since_seconds: match request.window {
            LogWindow::Since(window) => Some(window.as_secs() as i64),
            LogWindow::Tail | LogWindow::Head => None,
        },
    };
    let source = LogSource {
        namespace: request.namespace.clone(),
        pod: pod.to_string(),
        container: container.unwrap_or_default().to_string(),
        // A head is the first lines: the stream stops after them.
        limit: head.then_some(request.tail_lines as usize),
    };
    tokio::spawn(follow(
        handle.clone(),
        source,
        query,
        generation,
        actions.clone(),
    ))
    .abort_handle()
}

/// Which log one stream reads.
struct LogSource {
    namespace: String,
    pod: String,
    container: String,
    /// Lines to read at most.
    limit: Option<usize>,
}

async fn follow(
    handle: Arc<dyn ClusterHandle>,
    source: LogSource,
    query: LogQuery,
    generation: u64,
    actions: UnboundedSender<Action>,
) {
    let LogSource {
        namespace,
        pod,
        container,
        limit,
    } = source;
    let lines = match handle.logs(&namespace, &pod, query).await {
        Ok(lines) => lines,
        Err(error) => {
            let reason = Some(error.to_string());
            let _ = actions.send(Action::LogEnded {
                generation,
                pod,
                container,
                reason,
            });
            return;
        }
    };
    let mut lines = lines.take(limit.unwrap_or(usize::MAX));
    while let Some(raw) = lines.next().await {
        let (timestamp, text) = split_timestamp(&raw);
        let line = LogLine {
            pod: pod.clone(),
            container: container.clone(),
            timestamp,
            text,
        };
        if actions.send(Action::Log { generation, line }).is_err() {
            return;
        }
    }
    let _ = actions.send(Action::LogEnded {
        generation,
        pod,
        container,
        reason: None,
    });
}

/// `2026-11-25T08:00:00.123Z text` → the timestamp and the text (the
/// runtime prefixes each line when timestamps are asked for).
fn split_timestamp(raw: &str) -> (Option<Timestamp>, String) {
    match raw.split_once(' ') {
        Some((stamp, text)) => match stamp.parse::<Timestamp>() {
            Ok(timestamp) => (Some(timestamp), text.to_string()),
            Err(_) => (None, raw.to_string()),
        },
        None => match raw.parse::<Timestamp>() {
            Ok(timestamp) => (Some(timestamp), String::new()),
            Err(_) => (None, raw.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_timestamps_are_split_from_the_text() {
        let (stamp, text) = split_timestamp("2026-11-25T08:00:00.5Z GET / 200");
        assert_eq!(text, "GET / 200");
        assert_eq!(
            stamp.map(|s| s.to_string()),
            Some("2026-11-25T08:00:00.5Z".into())
        );
        assert_eq!(
            split_timestamp("plain line"),
            (None, "plain line".to_string())
        );
    }

    #[test]
    fn an_edit_sends_only_what_changed() {
        let from = serde_json::json!({"spec": {"replicas": 5, "paused": false, "template": {"a": 1}}, "status": {"x": 1}});
        let to =
            serde_json::json!({"spec": {"replicas": 7, "template": {"a": 1}}, "status": {"x": 1}});
        assert_eq!(
            merge_patch(&from, &to),
            serde_json::json!({"spec": {"replicas": 7, "paused": null}})
        );
    }

    #[test]
    fn field_causes_land_on_their_lines() {
        let text =
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: -1\n";
        let error = HandleError::Refused {
            code: 422,
            reason: "Invalid".into(),
            message: "Deployment.apps \"x\" is invalid".into(),
            causes: vec![crate::handle::FieldCause {
                field: "spec.replicas".into(),
                message: "Invalid value: -1: must be greater than or equal to 0".into(),
            }],
        };
        let found = diagnostics(text, &error);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 6);
        assert_eq!(found[0].field_path.as_deref(), Some("spec.replicas"));
    }

    #[test]
    fn a_forbidden_save_says_what_to_do_at_line_one() {
        let error = HandleError::Refused {
            code: 403,
            reason: "Forbidden".into(),
            message: "deployments.apps \"x\" is forbidden: User \"bob\" cannot patch resource \"deployments\"".into(),
            causes: Vec::new(),
        };
        let found = diagnostics("kind: Deployment\n", &error);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 1);
        assert!(
            found[0]
                .message
                .starts_with("deployments.apps \"x\" is forbidden"),
            "{}",
            found[0].message
        );
        assert!(
            found[0]
                .message
                .contains("ask the cluster's admin for the permission, or browse with --readonly"),
            "{}",
            found[0].message
        );
    }
}
