//! Sorting the table, with k9s's keys: `shift-n` by name, `shift-a` by
//! age, `shift-s` by status; the same key again reverses the order.

use std::cmp::Ordering;

use crate::api::Object;
use crate::handle::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Age,
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// The sort after pressing `key`: that key ascending, or the same key
    /// reversed.
    pub fn toggled(current: Option<Sort>, key: SortKey) -> Sort {
        match current {
            Some(sort) if sort.key == key => Sort {
                key,
                descending: !sort.descending,
            },
            _ => Sort {
                key,
                descending: false,
            },
        }
    }

    /// What the table's title says, e.g. `↑age`.
    pub fn label(&self) -> String {
        let arrow = if self.descending { "↓" } else { "↑" };
        let key = match self.key {
            SortKey::Name => "name",
            SortKey::Age => "age",
            SortKey::Status => "status",
        };
        format!("{arrow}{key}")
    }

    /// Whether sorting reads the rows' cells (which then must all be
    /// formatted); name and age come from the objects.
    pub fn needs_cells(&self) -> bool {
        self.key == SortKey::Status
    }

    /// Sorts `rows`; `status` is the index of the STATUS (or PHASE) cell.
    /// Ties keep the list's order (namespace, name).
    pub fn apply(&self, rows: &mut [Row], status: Option<usize>) {
        let cell = |row: &Row| status.and_then(|i| row.cells.get(i)).cloned();
        match self.key {
            SortKey::Name => rows.sort_by(|a, b| by_name(&a.object, &b.object)),
            // Youngest first: the AGE column's smallest value on top.
            SortKey::Age => rows.sort_by_key(|row| std::cmp::Reverse(created(&row.object))),
            SortKey::Status => rows.sort_by_cached_key(|row| cell(row)),
        }
        if self.descending {
            rows.reverse();
        }
    }
}

fn by_name(a: &Object, b: &Object) -> Ordering {
    a.name()
        .cmp(b.name())
        .then_with(|| a.namespace().cmp(b.namespace()))
}

fn created(object: &Object) -> i128 {
    object
        .meta()
        .creation_timestamp
        .as_ref()
        .map_or(0, |time| time.0.as_nanosecond())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::api::Kind;

    fn row(name: &str, created: &str, status: &str) -> Row {
        let value = serde_json::json!({"metadata": {
            "name": name, "namespace": "default", "creationTimestamp": created}});
        Row {
            cells: vec![name.to_string(), status.to_string()],
            object: Arc::new(Object::from_json(Kind::Pod, value).expect("a pod")),
        }
    }

    fn names(rows: &[Row]) -> Vec<&str> {
        rows.iter().map(|row| row.object.name()).collect()
    }

    #[test]
    fn keys_sort_and_the_same_key_again_reverses() {
        let mut rows = vec![
            row("b", "2024-01-01T00:00:02Z", "Running"),
            row("a", "2024-01-01T00:00:01Z", "Pending"),
            row("c", "2024-01-01T00:00:03Z", "CrashLoopBackOff"),
        ];
        let age = Sort::toggled(None, SortKey::Age);
        age.apply(&mut rows, Some(1));
        assert_eq!(names(&rows), ["c", "b", "a"], "youngest first");
        let reversed = Sort::toggled(Some(age), SortKey::Age);
        assert_eq!(reversed.label(), "↓age");
        reversed.apply(&mut rows, Some(1));
        assert_eq!(names(&rows), ["a", "b", "c"]);
        Sort::toggled(Some(reversed), SortKey::Status).apply(&mut rows, Some(1));
        assert_eq!(names(&rows), ["c", "a", "b"]);
        Sort::toggled(None, SortKey::Name).apply(&mut rows, Some(1));
        assert_eq!(names(&rows), ["a", "b", "c"]);
    }
}
