//! Server-side apply (`kubectl apply --server-side`): a manager's applied
//! configuration merged into the live object, fields it applied before and
//! no longer does removed, conflicts with the fields other managers own,
//! and `metadata.managedFields` kept as upstream's field manager keeps it.
//!
//! Only appliers are recorded: writes by other operations (PUT, patches,
//! controllers) keep the entries as they are instead of adding an
//! `Update` entry, so conflicts arise between appliers.

mod fieldset;

use serde_json::{Value, json};

pub use self::fieldset::FieldSet;
use self::fieldset::{FieldPath, delete, display, resolve};
use super::Kind;
use super::strategic;

/// Who applies, and how.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub kind: Kind,
    /// The `fieldManager` query parameter.
    pub manager: &'a str,
    /// The applied object's apiVersion, recorded in its entry.
    pub api_version: &'a str,
    /// `force=true`: take the conflicting fields over.
    pub force: bool,
    /// Applied to the `/status` subresource: only the status is applied,
    /// under the manager's `subresource: status` entry.
    pub status: bool,
    /// RFC 3339, the entry's `time`.
    pub now: &'a str,
}

/// A field another manager owns with a different value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    pub field: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ApplyError {
    #[error("{}", conflict_message(.0))]
    Conflicts(Vec<Conflict>),
    #[error("{0}")]
    Merge(String),
}

/// Upstream's message (apiserver's fieldmanager `getConflictMessage`).
fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [one] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {:?}: {}",
            one.manager, one.field
        );
    }
    let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
    managers.sort();
    managers.dedup();
    let mut lines = Vec::new();
    for manager in managers {
        lines.push(format!("conflicts with {manager:?}:"));
        for conflict in conflicts.iter().filter(|c| c.manager == manager) {
            lines.push(format!("- {}", conflict.field));
        }
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// One `managedFields` entry and the set it records.
struct Entry {
    raw: Value,
    fields: FieldSet,
}

impl Entry {
    fn is(&self, manager: &str, subresource: &str) -> bool {
        self.raw["manager"] == manager
            && self.raw["operation"] == "Apply"
            && self.raw["subresource"].as_str().unwrap_or("") == subresource
    }

    fn manager(&self) -> String {
        self.raw["manager"].as_str().unwrap_or_default().to_string()
    }
}

fn entries(live: Option<&Value>) -> Vec<Entry> {
    live.and_then(|l| l["metadata"]["managedFields"].as_array())
        .into_iter()
        .flatten()
        .map(|raw| Entry {
            raw: raw.clone(),
            fields: FieldSet::parse(&raw["fieldsV1"]),
        })
        .collect()
}

/// The object to store: `applied` merged into `live` (None: it is created).
pub fn apply(
    request: &Request,
    live: Option<&Value>,
    applied: &Value,
) -> Result<Value, ApplyError> {
    let kind = request.kind;
    let skip_status = !request.status && kind.info().subresources.contains(&"status");
    let mut applied = applied.clone();
    if let Some(fields) = applied.as_object_mut() {
        if skip_status {
            // The main resource's apply leaves status to its subresource.
            fields.remove("status");
        }
        if request.status {
            fields.retain(|k, _| matches!(k.as_str(), "apiVersion" | "kind" | "status"));
        }
    }
    let wanted = FieldSet::of_applied(kind, &applied, skip_status);
    let subresource = if request.status { "status" } else { "" };
    let mut managers = entries(live);
    let mine = managers
        .iter()
        .position(|e| e.is(request.manager, subresource));
    let before = mine.map(|i| managers[i].fields.clone()).unwrap_or_default();

    let base = live.cloned().unwrap_or_else(|| json!({}));
    let conflicts = conflicts(&managers, mine, &wanted, &base, &applied);
    if !conflicts.is_empty() {
        if !request.force {
            return Err(ApplyError::Conflicts(
                conflicts.into_iter().map(|(_, _, c)| c).collect(),
            ));
        }
        for (index, path, _) in &conflicts {
            managers[*index].fields.remove(path);
        }
    }

    // What this manager applied before and not now, and nobody else owns.
    let mut merged = base;
    for path in before.owned() {
        let shared = managers
            .iter()
            .enumerate()
            .any(|(i, e)| Some(i) != mine && e.fields.owns(&path));
        if !wanted.owns(&path) && !shared {
            delete(&mut merged, &path);
        }
    }
    let mut merged = if kind.is_custom() {
        json_patch::merge(&mut merged, &applied);
        merged
    } else {
        strategic::apply(kind, &merged, &applied).map_err(|e| ApplyError::Merge(e.to_string()))?
    };

    let mut entry = json!({
        "manager": request.manager,
        "operation": "Apply",
        "apiVersion": request.api_version,
        "time": request.now,
        "fieldsType": "FieldsV1",
        "fieldsV1": wanted.encode(),
    });
    if request.status {
        entry["subresource"] = json!("status");
    }
    let mut recorded: Vec<Value> = Vec::new();
    for (index, manager) in managers.iter().enumerate() {
        if Some(index) == mine {
            recorded.push(entry.clone());
        } else if !manager.fields.is_empty() {
            let mut raw = manager.raw.clone();
            raw["fieldsV1"] = manager.fields.encode();
            recorded.push(raw);
        }
    }
    if mine.is_none() {
        recorded.push(entry);
    }
    merged["metadata"]["managedFields"] = Value::Array(recorded);
    Ok(merged)
}

/// Fields `wanted` sets that another manager owns with another value.
fn conflicts(
    managers: &[Entry],
    mine: Option<usize>,
    wanted: &FieldSet,
    live: &Value,
    applied: &Value,
) -> Vec<(usize, FieldPath, Conflict)> {
    let mut found = Vec::new();
    for path in wanted.owned() {
        let (Some(now), Some(new)) = (resolve(live, &path), resolve(applied, &path)) else {
            continue;
        };
        // An element's own entry carries no value to differ: its fields do.
        if now.is_object() && new.is_object() && path.last().is_some_and(|k| !k.starts_with("f:")) {
            continue;
        }
        if now == new {
            continue;
        }
        for (index, manager) in managers.iter().enumerate() {
            if Some(index) != mine && manager.fields.owns(&path) {
                found.push((
                    index,
                    path.clone(),
                    Conflict {
                        manager: manager.manager(),
                        field: display(&path),
                    },
                ));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(manager: &'a str, force: bool) -> Request<'a> {
        Request {
            kind: Kind::ConfigMap,
            manager,
            api_version: "v1",
            force,
            status: false,
            now: "2026-12-07T10:00:00Z",
        }
    }

    fn config(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data})
    }

    #[test]
    fn a_second_apply_removes_what_the_manager_no_longer_sets() {
        let first = apply(
            &request("a", false),
            None,
            &config(json!({"x": "1", "y": "2"})),
        )
        .expect("created");
        assert_eq!(
            first["metadata"]["managedFields"][0]["fieldsV1"],
            json!({"f:data": {"f:x": {}, "f:y": {}}})
        );
        let second = apply(
            &request("a", false),
            Some(&first),
            &config(json!({"x": "1"})),
        )
        .expect("applied");
        assert_eq!(second["data"], json!({"x": "1"}));
        assert_eq!(
            second["metadata"]["managedFields"].as_array().map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn another_manager_conflicts_unless_forced_and_keeps_what_it_shares() {
        let first = apply(
            &request("a", false),
            None,
            &config(json!({"x": "1", "y": "2"})),
        )
        .expect("created");
        let err = apply(
            &request("b", false),
            Some(&first),
            &config(json!({"x": "9"})),
        )
        .expect_err("a conflict");
        assert_eq!(
            err.to_string(),
            "Apply failed with 1 conflict: conflict with \"a\": .data.x"
        );
        // The same value is shared, not a conflict.
        let shared = apply(
            &request("b", false),
            Some(&first),
            &config(json!({"y": "2"})),
        )
        .expect("shared");
        assert_eq!(
            shared["metadata"]["managedFields"].as_array().map(Vec::len),
            Some(2)
        );
        // Forced: b takes x over; a keeps y.
        let forced = apply(
            &request("b", true),
            Some(&first),
            &config(json!({"x": "9"})),
        )
        .expect("forced");
        assert_eq!(forced["data"], json!({"x": "9", "y": "2"}));
        let fields = &forced["metadata"]["managedFields"];
        assert_eq!(fields[0]["manager"], "a");
        assert_eq!(fields[0]["fieldsV1"], json!({"f:data": {"f:y": {}}}));
        assert_eq!(fields[1]["fieldsV1"], json!({"f:data": {"f:x": {}}}));
    }

    #[test]
    fn two_conflicts_are_listed_by_manager() {
        let message = conflict_message(&[
            Conflict {
                manager: "b".into(),
                field: ".data.x".into(),
            },
            Conflict {
                manager: "a".into(),
                field: ".data.y".into(),
            },
        ]);
        assert_eq!(
            message,
            "Apply failed with 2 conflicts: conflicts with \"a\":\n- .data.y\nconflicts with \"b\":\n- .data.x"
        );
    }
}
