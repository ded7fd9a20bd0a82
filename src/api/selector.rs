//! Label and field selectors in their string forms, as kubectl sends them
//! (k8s.io/apimachinery/pkg/labels/selector.go, pkg/fields/selector.go).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;

use super::naming;

mod field;
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, SelectorError> {
        let tokens = lex(text)?;
        let mut parser = Parser { tokens, pos: 0 };
        let mut requirements = parser.parse()?;
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

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Identifier(String),
    Not,
    Equals,
    DoubleEquals,
    NotEquals,
    OpenPar,
    ClosedPar,
    Comma,
    GreaterThan,
    LessThan,
    End,
}

impl Token {
    fn literal(&self) -> &str {
        match self {
            Token::Identifier(s) => s,
            Token::Not => "!",
            Token::Equals => "=",
            Token::DoubleEquals => "==",
            Token::NotEquals => "!=",
            Token::OpenPar => "(",
            Token::ClosedPar => ")",
            Token::Comma => ",",
            Token::GreaterThan => ">",
            Token::LessThan => "<",
            Token::End => "",
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

fn lex(text: &str) -> Result<Vec<Token>, SelectorError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (token, len) = match (c, next) {
            ('=', Some('=')) => (Token::DoubleEquals, 2),
            ('=', _) => (Token::Equals, 1),
            ('!', Some('=')) => (Token::NotEquals, 2),
            ('!', _) => (Token::Not, 1),
            ('(', _) => (Token::OpenPar, 1),
            (')', _) => (Token::ClosedPar, 1),
            (',', _) => (Token::Comma, 1),
            ('>', _) => (Token::GreaterThan, 1),
            ('<', _) => (Token::LessThan, 1),
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !is_special(chars[i]) {
                    i += 1;
                }
                tokens.push(Token::Identifier(chars[start..i].iter().collect()));
                continue;
            }
        };
        tokens.push(token);
        i += len;
    }
    tokens.push(Token::End);
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&Token::End)
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        self.pos += 1;
        token
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        loop {
            match self.peek() {
                Token::Identifier(_) | Token::Not => {
                    requirements.push(self.requirement()?);
                    match self.next() {
                        Token::End => return Ok(requirements),
                        Token::Comma => match self.peek() {
                            Token::Identifier(_) | Token::Not => {}
                            other => {
                                return Err(SelectorError::Syntax(format!(
                                    "found '{}', expected: identifier after ','",
                                    other.literal()
                                )));
                            }
                        },
                        other => {
                            return Err(SelectorError::Syntax(format!(
                                "found '{}', expected: ',' or 'end of string'",
                                other.literal()
                            )));
                        }
                    }
                }
                Token::End => return Ok(requirements),
                other => {
                    return Err(SelectorError::Syntax(format!(
                        "found '{}', expected: !, identifier, or 'end of string'",
                        other.literal()
                    )));
                }
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        let negated = *self.peek() == Token::Not;
        if negated {
            self.pos += 1;
        }
        let key = match self.next() {
            Token::Identifier(key) => key,
            other => {
                return Err(SelectorError::Invalid(format!(
                    "found '{}', expected: identifier",
                    other.literal()
                )));
            }
        };
        // The parser checks the key without a field path, hence `<nil>`.
        let key_errors = naming::qualified_name(&key);
        if !key_errors.is_empty() {
            return Err(SelectorError::Invalid(format!(
                "<nil>: Invalid value: {}: {}",
                quote(&key),
                key_errors.join("; ")
            )));
        }
        if negated {
            // Whatever follows `!key` is the caller's to reject.
            return Requirement::new(&key, Operator::DoesNotExist, Vec::new());
        }
        if matches!(self.peek(), Token::End | Token::Comma) {
            return Requirement::new(&key, Operator::Exists, Vec::new());
        }
        let op_token = self.next();
        let operator = match &op_token {
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::NotEquals => Operator::NotEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::Identifier(word) if word == "in" => Operator::In,
            Token::Identifier(word) if word == "notin" => Operator::NotIn,
            other => {
                return Err(SelectorError::Invalid(format!(
                    "found '{}', expected: '=', '!=', '==', 'in', notin'",
                    other.literal()
                )));
            }
        };
        let values = if matches!(operator, Operator::In | Operator::NotIn) {
            self.set_values()?
        } else {
            vec![self.exact_value()?]
        };
        Requirement::new(&key, operator, values)
    }

    fn exact_value(&mut self) -> Result<String, SelectorError> {
        match self.peek().clone() {
            Token::End | Token::Comma => Ok(String::new()),
            Token::Identifier(value) => {
                self.pos += 1;
                Ok(value)
            }
            other => Err(SelectorError::Invalid(format!(
                "found '{}', expected: identifier",
                other.literal()
            ))),
        }
    }

    /// `(a,b)`; empty entries are the empty string, `()` is `{""}`.
    fn set_values(&mut self) -> Result<Vec<String>, SelectorError> {
        let open = self.next();
        if open != Token::OpenPar {
            return Err(SelectorError::Invalid(format!(
                "found '{}' expected: '('",
                open.literal()
            )));
        }
        match self.peek().clone() {
            Token::ClosedPar => {
                self.pos += 1;
                return Ok(vec![String::new()]);
            }
            Token::Identifier(_) | Token::Comma => {}
            other => {
                return Err(SelectorError::Invalid(format!(
                    "found '{}', expected: ',', ')' or identifier",
                    other.literal()
                )));
            }
        }
        let mut values = Vec::new();
        loop {
            match self.next() {
                Token::Identifier(value) => {
                    values.push(value);
                    match self.peek() {
                        Token::Comma => {}
                        Token::ClosedPar => {
                            self.pos += 1;
                            return Ok(values);
                        }
                        other => {
                            return Err(SelectorError::Invalid(format!(
                                "found '{}', expected: ',' or ')'",
                                other.literal()
                            )));
                        }
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    match self.peek() {
                        Token::ClosedPar => {
                            self.pos += 1;
                            values.push(String::new());
                            return Ok(values);
                        }
                        Token::Comma => values.push(String::new()),
                        _ => {}
                    }
                }
                other => {
                    return Err(SelectorError::Invalid(format!(
                        "found '{}', expected: ',', or identifier",
                        other.literal()
                    )));
                }
            }
        }
    }
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
