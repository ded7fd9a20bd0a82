//! Field selectors (k8s.io/apimachinery/pkg/fields) and the fields each
//! kind can be selected by.

use std::fmt;

use serde_json::Value;

use super::super::kinds::Kind;
use super::super::object::Object;
use super::SelectorError;

/// One field selector term.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTerm {
    pub field: String,
    pub value: String,
    /// `!=` rather than `=`/`==`.
    pub negated: bool,
}

/// A parsed field selector (`metadata.name=x,status.phase!=Running`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {
    terms: Vec<FieldTerm>,
}

impl FieldSelector {
    pub fn parse(text: &str) -> Result<FieldSelector, SelectorError> {
        let mut terms = Vec::new();
        for term in split_unescaped(text, ',') {
            if term.is_empty() {
                continue;
            }
            let Some((field, op, value)) = split_term(&term) else {
                return Err(SelectorError::Syntax(format!(
                    "invalid selector: '{text}'; can't understand '{term}'"
                )));
            };
            terms.push(FieldTerm {
                field: field.to_string(),
                value: unescape(value),
                negated: op == "!=",
            });
        }
        Ok(FieldSelector { terms })
    }

    /// A selector `metadata.name=<name>` (kubectl's `get <name> --watch`).
    pub fn name(name: &str) -> FieldSelector {
        FieldSelector {
            terms: vec![FieldTerm {
                field: "metadata.name".to_string(),
                value: name.to_string(),
                negated: false,
            }],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn terms(&self) -> &[FieldTerm] {
        &self.terms
    }

    /// Fails with `field label not supported: <f>` for a field `kind` does not index.
    pub fn check_supported(&self, kind: Kind) -> Result<(), SelectorError> {
        match self
            .terms
            .iter()
            .find(|t| !supported_fields(kind).contains(&t.field.as_str()))
        {
            Some(term) => Err(SelectorError::UnsupportedField(term.field.clone())),
            None => Ok(()),
        }
    }

    /// Unsupported fields never match (the API server rejects them first
    /// via [`FieldSelector::check_supported`]).
    pub fn matches(&self, object: &Object) -> bool {
        if self.terms.is_empty() {
            return true;
        }
        let json = object.to_json();
        self.terms.iter().all(
            |term| match field_value(object.kind(), &json, &term.field) {
                Some(have) => (have == term.value) != term.negated,
                None => false,
            },
        )
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = if t.negated { "!=" } else { "=" };
            write!(f, "{}{op}{}", t.field, escape(&t.value))?;
        }
        Ok(())
    }
}

/// The fields each kind can be selected by (upstream's per-kind
/// `ToSelectableFields` / field label conversion funcs).
pub fn supported_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Pod => &[
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        Kind::Event => &[
            "metadata.name",
            "metadata.namespace",
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        Kind::Node => &["metadata.name", "metadata.namespace", "spec.unschedulable"],
        Kind::Secret => &["metadata.name", "metadata.namespace", "type"],
        Kind::Namespace => &["metadata.name", "metadata.namespace", "status.phase"],
        Kind::ReplicaSet => &["metadata.name", "metadata.namespace", "status.replicas"],
        _ => &["metadata.name", "metadata.namespace"],
    }
}

/// The string value of a selectable field; `None` when not supported.
fn field_value(kind: Kind, json: &Value, field: &str) -> Option<String> {
    if !supported_fields(kind).contains(&field) {
        return None;
    }
    let path = match (kind, field) {
        (Kind::Event, "source") => "source.component",
        _ => field,
    };
    let found = path.split('.').try_fold(json, |v, segment| v.get(segment));
    let text = match found {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => match field {
            "spec.unschedulable" | "spec.hostNetwork" => "false".to_string(),
            "status.replicas" => "0".to_string(),
            _ => String::new(),
        },
    };
    Some(text)
}

/// Splits on `sep` not preceded by a backslash escape, keeping escapes.
fn split_unescaped(text: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            current.push(c);
            escaped = false;
        } else if c == '\\' {
            current.push(c);
            escaped = true;
        } else if c == sep {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
}

fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for op in ["!=", "==", "="] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], op, value));
            }
        }
    }
    None
}

fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else {
            out.push(c);
        }
    }
    out
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace('=', "\\=")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Pod, PodSpec, PodStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;

    fn pod(name: &str, phase: &str, node: Option<&str>) -> Object {
        Object::from(Pod {
            metadata: metav1::ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: node.map(str::to_string),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some(phase.into()),
                ..Default::default()
            }),
        })
    }

    #[test]
    fn field_selectors_match_pods() {
        let sel = FieldSelector::parse("status.phase!=Running,spec.nodeName=").expect("test value");
        assert!(sel.matches(&pod("a", "Pending", None)));
        assert!(!sel.matches(&pod("a", "Running", None)));
        assert!(!sel.matches(&pod("a", "Pending", Some("node1"))));
        let by_name = FieldSelector::parse("metadata.name==web").expect("test value");
        assert!(by_name.matches(&pod("web", "Running", None)));
        assert_eq!(by_name.to_string(), "metadata.name=web");
        assert!(
            FieldSelector::parse("")
                .expect("test value")
                .matches(&pod("x", "", None))
        );
    }

    #[test]
    fn unsupported_field_is_reported() {
        let sel = FieldSelector::parse("spec.foo=bar").expect("test value");
        assert_eq!(
            sel.check_supported(Kind::Pod)
                .expect_err("test error")
                .to_string(),
            "field label not supported: spec.foo"
        );
        assert!(
            FieldSelector::parse("involvedObject.name=web,type=Warning")
                .expect("test value")
                .check_supported(Kind::Event)
                .is_ok()
        );
        assert_eq!(
            FieldSelector::parse("nonsense")
                .expect_err("test error")
                .to_string(),
            "invalid selector: 'nonsense'; can't understand 'nonsense'"
        );
    }
}
