//! Label and field selectors in their string forms, as kubectl sends them
//! (k8s.io/apimachinery/pkg/labels/selector.go, pkg/fields/selector.go).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;

use super::naming;

mod field;
mod parser;
pub use field::{FieldSelector, FieldTerm, supported_fields};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SelectorError {
    /// A requirement that does not hold together (bad key, value or operator).
    #[error("unable to parse requirement: {0}")]
    Invalid(String),
    /// The selector string does not follow the grammar.
    #[error("{0}")]
    Syntax(String),
    /// A field selector names a field the kind does not index.
    #[error("field label not supported: {0}")]
    UnsupportedField(String),
}

/// The operator of one label requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// One requirement: `key op values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: BTreeSet<String>,
}

impl Requirement {
    /// Validates as upstream's `NewRequirement` does.
    pub fn new(
        key: &str,
        operator: Operator,
        values: Vec<String>,
    ) -> Result<Requirement, SelectorError> {
        let key_errors = naming::qualified_name(key);
        if !key_errors.is_empty() {
            return Err(SelectorError::Invalid(format!(
                "key: Invalid value: {}: {}",
                quote(key),
                key_errors.join("; ")
            )));
        }
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                return Err(SelectorError::Invalid(
                    "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty"
                        .to_string(),
                ));
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals
                if values.len() != 1 =>
            {
                return Err(SelectorError::Invalid(
                    "values: Invalid value: []string{}: exact-match compatibility requires one single value"
                        .to_string(),
                ));
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                return Err(SelectorError::Invalid(
                    "values: Invalid value: []string{}: values set must be empty for exists and does not exist"
                        .to_string(),
                ));
            }
            Operator::GreaterThan | Operator::LessThan => {
                let numeric = values.len() == 1 && values[0].parse::<i64>().is_ok();
                if !numeric {
                    return Err(SelectorError::Invalid(format!(
                        "values[0]: Invalid value: {}: for 'Gt', 'Lt' operators, the value must be an integer",
                        quote(values.first().map(String::as_str).unwrap_or(""))
                    )));
                }
            }
            _ => {}
        }
        for (i, value) in values.iter().enumerate() {
            let errs = naming::label_value(value);
            if !errs.is_empty() {
                return Err(SelectorError::Invalid(format!(
                    "values[{i}][{key}]: Invalid value: {}: {}",
                    quote(value),
                    errs.join("; ")
                )));
            }
        }
        Ok(Requirement {
            key: key.to_string(),
            operator,
            values: values.into_iter().collect(),
        })
    }

    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        let value = labels.and_then(|l| l.get(&self.key));
        match self.operator {
            Operator::Equals | Operator::DoubleEquals | Operator::In => {
                value.is_some_and(|v| self.values.contains(v))
            }
            Operator::NotEquals | Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(have) = value.and_then(|v| v.parse::<i64>().ok()) else {
                    return false;
                };
                let Some(want) = self
                    .values
                    .iter()
                    .next()
                    .and_then(|v| v.parse::<i64>().ok())
                else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
        };
        f.write_str(op)?;
        let values: Vec<&str> = self.values.iter().map(String::as_str).collect();
        if matches!(self.operator, Operator::In | Operator::NotIn) {
            write!(f, "({})", values.join(","))
        } else {
            f.write_str(&values.join(","))
        }
    }
}

/// A parsed label selector (equality- and set-based requirements, ANDed).
/// The empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, SelectorError> {
        let mut requirements = parser::parse(text)?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// From the structured form in a Deployment/ReplicaSet `spec.selector`.
    pub fn from_label_selector(
        selector: &metav1::LabelSelector,
    ) -> Result<LabelSelector, SelectorError> {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            requirements.push(Requirement::new(
                key,
                Operator::Equals,
                vec![value.clone()],
            )?);
        }
        for expr in selector.match_expressions.iter().flatten() {
            let operator = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(SelectorError::Syntax(format!(
                        "{other:?} is not a valid label selector operator"
                    )));
                }
            };
            let values = expr.values.clone().unwrap_or_default();
            requirements.push(Requirement::new(&expr.key, operator, values)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// A selector requiring exactly these labels (`matchLabels`).
    pub fn from_map(labels: &BTreeMap<String, String>) -> LabelSelector {
        let requirements = labels
            .iter()
            .map(|(k, v)| Requirement {
                key: k.clone(),
                operator: Operator::Equals,
                values: BTreeSet::from([v.clone()]),
            })
            .collect();
        LabelSelector { requirements }
    }

    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// Go's `%q` for the strings that appear in selector messages.
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_every_operator_and_prints_canonically() {
        let sel = LabelSelector::parse(
            " tier in (web, api) ,app=nginx, env!=prod,!legacy, release, x==y, z notin (a)",
        )
        .expect("test value");
        assert_eq!(
            sel.to_string(),
            "app=nginx,env!=prod,!legacy,release,tier in (api,web),x==y,z notin (a)"
        );
        let good = labels(&[
            ("app", "nginx"),
            ("tier", "web"),
            ("release", "1"),
            ("x", "y"),
        ]);
        assert!(sel.matches(Some(&good)));
        let mut bad = good.clone();
        bad.insert("legacy".into(), "true".into());
        assert!(!sel.matches(Some(&bad)));
        assert!(!sel.matches(None));
    }

    #[test]
    fn set_edge_cases() {
        let sel = LabelSelector::parse("x in (foo,,baz),y,z notin ()").expect("parses");
        assert_eq!(sel.to_string(), "x in (,baz,foo),y,z notin ()");
        assert_eq!(
            LabelSelector::parse("!a=b").expect_err("fails").to_string(),
            "found '=', expected: ',' or 'end of string'"
        );
        assert_eq!(
            LabelSelector::parse("a in (b c)")
                .expect_err("fails")
                .to_string(),
            "unable to parse requirement: found 'c', expected: ',' or ')'"
        );
    }

    #[test]
    fn empty_selector_matches_everything() {
        let sel = LabelSelector::parse("").expect("test value");
        assert!(sel.is_empty());
        assert!(sel.matches(None));
        assert_eq!(sel.to_string(), "");
    }

    #[test]
    fn not_equals_matches_missing_label() {
        let sel = LabelSelector::parse("env!=prod").expect("test value");
        assert!(sel.matches(None));
        assert!(sel.matches(Some(&labels(&[("env", "dev")]))));
        assert!(!sel.matches(Some(&labels(&[("env", "prod")]))));
    }

    #[test]
    fn syntax_errors_read_like_upstream() {
        assert_eq!(
            LabelSelector::parse("a b")
                .expect_err("test error")
                .to_string(),
            "unable to parse requirement: found 'b', expected: '=', '!=', '==', 'in', notin'"
        );
        assert_eq!(
            LabelSelector::parse("a in x")
                .expect_err("test error")
                .to_string(),
            "unable to parse requirement: found 'x' expected: '('"
        );
        assert_eq!(
            LabelSelector::parse("app=a b c")
                .expect_err("test error")
                .to_string(),
            "found 'b', expected: ',' or 'end of string'"
        );
        let err = LabelSelector::parse("-app=x")
            .expect_err("test error")
            .to_string();
        assert!(
            err.starts_with("unable to parse requirement: <nil>: Invalid value: \"-app\": name part must consist of"),
            "{err}"
        );
        let err = LabelSelector::parse("app=-x")
            .expect_err("test error")
            .to_string();
        assert!(
            err.starts_with("unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid label must be"),
            "{err}"
        );
        assert_eq!(
            LabelSelector::parse("a=b,")
                .expect_err("test error")
                .to_string(),
            "found '', expected: identifier after ','"
        );
    }

    #[test]
    fn structured_selector_converts() {
        let structured = metav1::LabelSelector {
            match_labels: Some(labels(&[("app", "nginx")])),
            match_expressions: Some(vec![metav1::LabelSelectorRequirement {
                key: "tier".into(),
                operator: "In".into(),
                values: Some(vec!["web".into(), "api".into()]),
            }]),
        };
        let sel = LabelSelector::from_label_selector(&structured).expect("test value");
        assert_eq!(sel.to_string(), "app=nginx,tier in (api,web)");
        let bad = metav1::LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![metav1::LabelSelectorRequirement {
                key: "tier".into(),
                operator: "Foo".into(),
                values: None,
            }]),
        };
        assert_eq!(
            LabelSelector::from_label_selector(&bad)
                .expect_err("test error")
                .to_string(),
            "\"Foo\" is not a valid label selector operator"
        );
        assert!(
            LabelSelector::from_label_selector(&metav1::LabelSelector::default())
                .expect("test value")
                .is_empty()
        );
    }
}
