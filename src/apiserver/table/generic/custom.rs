//! CRD `additionalPrinterColumns`: apiextensions-apiserver's
//! customresource tableconvertor, with the subset of client-go's JSONPath
//! that printer columns use.

use k8s_openapi::jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::super::duration::human_duration;
use super::json::{name, parse_time};
use super::{AGE_DOC, name_col};

/// apiextensions' serveDefaultColumnsIfEmpty: a CRD version without
/// columns gets AGE (type date) from `.metadata.creationTimestamp`.
fn default_columns() -> Vec<Value> {
    vec![json!({
        "name": "Age",
        "type": "date",
        "description": AGE_DOC,
        "jsonPath": ".metadata.creationTimestamp",
    })]
}

fn effective(columns: &[Value]) -> std::borrow::Cow<'_, [Value]> {
    if columns.is_empty() {
        std::borrow::Cow::Owned(default_columns())
    } else {
        std::borrow::Cow::Borrowed(columns)
    }
}

fn field<'a>(column: &'a Value, key: &str) -> &'a str {
    column.get(key).and_then(Value::as_str).unwrap_or("")
}

/// columnDefinitions for a CRD version's `additionalPrinterColumns`: NAME,
/// then each column with its type, format, priority and description (the
/// description defaults to the JSONPath, as upstream). No columns means
/// upstream's default AGE column.
pub fn custom_definitions(columns: &[Value]) -> Vec<Value> {
    let mut definitions = vec![name_col().to_json()];
    for column in effective(columns).iter() {
        let path = field(column, "jsonPath");
        let description = match field(column, "description") {
            "" => format!("Custom resource definition column (in JSONPath format): {path}"),
            given => given.to_string(),
        };
        definitions.push(json!({
            "name": field(column, "name"),
            "type": field(column, "type"),
            "format": field(column, "format"),
            "description": description,
            "priority": column.get("priority").and_then(Value::as_i64).unwrap_or(0),
        }));
    }
    definitions
}

/// Cells for one custom resource, ages measured from the server clock. See
/// [`custom_cells_at`].
pub fn custom_cells(columns: &[Value], object: &Value) -> Vec<Value> {
    custom_cells_at(columns, object, crate::clock::now())
}

/// Cells for one custom resource under `columns`: its name, then each
/// column's JSONPath value. As upstream: the first match only; a missing
/// field (or a value of the wrong type) gives a null cell; `string`
/// columns print the value as kubectl's JSONPath does (objects and lists as
/// JSON); `date` columns give the age since the timestamp (`<invalid>`
/// when it does not parse).
pub fn custom_cells_at(columns: &[Value], object: &Value, now: Timestamp) -> Vec<Value> {
    let mut cells = vec![json!(name(object))];
    for column in effective(columns).iter() {
        let value = parse(field(column, "jsonPath"))
            .and_then(|path| evaluate(&path, object).into_iter().next());
        cells.push(match value {
            Some(value) => cell(field(column, "type"), value, now),
            None => Value::Null,
        });
    }
    cells
}

/// `cellForJSONValue`, plus the `string` case's JSONPath printing.
fn cell(column_type: &str, value: &Value, now: Timestamp) -> Value {
    match (column_type, value) {
        (_, Value::Null) => Value::Null,
        ("string", value) => json!(print_value(value)),
        ("integer", Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map_or(Value::Null, |i| json!(i)),
        ("number", Value::Number(n)) => n.as_f64().map_or(Value::Null, |f| json!(f)),
        ("boolean", Value::Bool(b)) => json!(b),
        ("date", Value::String(text)) => {
            if text.is_empty() {
                return json!("<unknown>");
            }
            match parse_time(text) {
                Some(t) => json!(human_duration(now.duration_since(t).as_secs())),
                None => json!("<invalid>"),
            }
        }
        _ => Value::Null,
    }
}

/// JSONPath's text output: strings bare, scalars as Go prints them,
/// objects and arrays as compact JSON with sorted keys (Go's json.Marshal).
fn print_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        Value::Array(_) | Value::Object(_) => serde_json::to_string(&sorted(value))
            .unwrap_or_default()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026"),
    }
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for key in keys {
                out.insert(key.clone(), sorted(&map[key]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// One step of a parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// `.name` or `['name']`.
    Field(String),
    /// `[n]`, negative counting from the end.
    Index(i64),
    /// `[*]` or `.*`.
    Wildcard,
    /// `[?(@.path op literal)]`, or `[?(@.path)]` (exists) when `op` is None.
    Filter(Vec<Step>, Option<(Op, Operand)>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Literal(Value),
    Path(Vec<Step>),
}

/// Parses a column's JSONPath (`.a.b`, `.a[0].b`, `.a[*].b`, `['a.b']`,
/// `.a[?(@.type=="Ready")].status`); `None` for what this subset does not
/// understand. Surrounding `{}` are allowed.
fn parse(path: &str) -> Option<Vec<Step>> {
    let path = path.trim();
    let path = path
        .strip_prefix('{')
        .and_then(|p| p.strip_suffix('}'))
        .unwrap_or(path);
    let mut parser = Parser {
        chars: path.chars().collect(),
        pos: 0,
    };
    // A leading `$` (the root) is allowed.
    parser.eat('$');
    let steps = parser.steps(false)?;
    (parser.pos == parser.chars.len()).then_some(steps)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Steps until the end, or (inside a filter) until an operator or `)`.
    fn steps(&mut self, in_filter: bool) -> Option<Vec<Step>> {
        let mut steps = Vec::new();
        // The first field may come without its dot (`spec.x`).
        if !in_filter && self.peek().is_some_and(|c| c != '.' && c != '[') {
            steps.push(Step::Field(self.name()?));
        }
        loop {
            match self.peek() {
                Some('.') => {
                    self.pos += 1;
                    if self.peek() == Some('.') {
                        // Recursive descent is not supported.
                        return None;
                    }
                    if self.eat('*') {
                        steps.push(Step::Wildcard);
                    } else {
                        steps.push(Step::Field(self.name()?));
                    }
                }
                Some('[') => {
                    self.pos += 1;
                    steps.push(self.bracket()?);
                }
                _ => return Some(steps),
            }
        }
    }

    /// A field name: up to the next `.`, `[`, or (in filters) operator,
    /// space or `)`.
    fn name(&mut self) -> Option<String> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if matches!(c, '.' | '[' | ']' | ')' | '(' | '=' | '!' | '<' | '>' | ' ') {
                break;
            }
            self.pos += 1;
        }
        (self.pos > start).then(|| self.chars[start..self.pos].iter().collect())
    }

    /// After `[`: an index, `*`, a quoted key or a filter, through `]`.
    fn bracket(&mut self) -> Option<Step> {
        self.skip_spaces();
        let step = match self.peek()? {
            '*' => {
                self.pos += 1;
                Step::Wildcard
            }
            '\'' | '"' => Step::Field(self.quoted()?),
            '?' => {
                self.pos += 1;
                self.filter()?
            }
            _ => {
                let start = self.pos;
                self.eat('-');
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                Step::Index(text.parse().ok()?)
            }
        };
        self.skip_spaces();
        self.eat(']').then_some(step)
    }

    fn quoted(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek()? {
                '\\' => {
                    self.pos += 1;
                    text.push(self.peek()?);
                }
                c if c == quote => {
                    self.pos += 1;
                    return Some(text);
                }
                c => text.push(c),
            }
            self.pos += 1;
        }
    }

    /// After `[?`: `(@.path [op operand])`.
    fn filter(&mut self) -> Option<Step> {
        self.skip_spaces();
        if !self.eat('(') {
            return None;
        }
        self.skip_spaces();
        if !self.eat('@') {
            return None;
        }
        let left = self.steps(true)?;
        self.skip_spaces();
        let comparison = if self.eat(')') {
            None
        } else {
            let op = self.op()?;
            self.skip_spaces();
            let operand = self.operand()?;
            self.skip_spaces();
            if !self.eat(')') {
                return None;
            }
            Some((op, operand))
        };
        Some(Step::Filter(left, comparison))
    }

    fn op(&mut self) -> Option<Op> {
        let two: String = self.chars[self.pos..].iter().take(2).collect();
        let (op, len) = match two.as_str() {
            "==" => (Op::Eq, 2),
            "!=" => (Op::Ne, 2),
            "<=" => (Op::Le, 2),
            ">=" => (Op::Ge, 2),
            _ => match two.chars().next()? {
                '<' => (Op::Lt, 1),
                '>' => (Op::Gt, 1),
                _ => return None,
            },
        };
        self.pos += len;
        Some(op)
    }

    fn operand(&mut self) -> Option<Operand> {
        match self.peek()? {
            '\'' | '"' => Some(Operand::Literal(json!(self.quoted()?))),
            '@' => {
                self.pos += 1;
                Some(Operand::Path(self.steps(true)?))
            }
            _ => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c != ')' && !c.is_whitespace()) {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                let literal = match text.as_str() {
                    "true" => json!(true),
                    "false" => json!(false),
                    "nil" | "null" => Value::Null,
                    number => serde_json::from_str::<serde_json::Number>(number)
                        .ok()
                        .map(Value::Number)?,
                };
                Some(Operand::Literal(literal))
            }
        }
    }
}

/// All matches of `steps` under `root`, in document order; missing keys
/// simply match nothing (AllowMissingKeys).
fn evaluate<'a>(steps: &[Step], root: &'a Value) -> Vec<&'a Value> {
    let mut current = vec![root];
    for step in steps {
        let mut next = Vec::new();
        for value in current {
            match step {
                Step::Field(key) => next.extend(value.get(key.as_str())),
                Step::Index(index) => {
                    if let Some(items) = value.as_array() {
                        let len = items.len() as i64;
                        let i = if *index < 0 { index + len } else { *index };
                        if (0..len).contains(&i) {
                            next.extend(items.get(i as usize));
                        }
                    }
                }
                Step::Wildcard => match value {
                    Value::Array(items) => next.extend(items.iter()),
                    Value::Object(map) => next.extend(map.values()),
                    _ => {}
                },
                Step::Filter(left, comparison) => {
                    let items: Vec<&Value> = match value {
                        Value::Array(items) => items.iter().collect(),
                        Value::Object(map) => map.values().collect(),
                        _ => Vec::new(),
                    };
                    next.extend(
                        items
                            .into_iter()
                            .filter(|item| matches(item, left, comparison)),
                    );
                }
            }
        }
        current = next;
    }
    current
}

fn matches(item: &Value, left: &[Step], comparison: &Option<(Op, Operand)>) -> bool {
    let lefts = evaluate(left, item);
    let Some((op, operand)) = comparison else {
        return !lefts.is_empty();
    };
    let rights: Vec<&Value> = match operand {
        Operand::Literal(literal) => vec![literal],
        Operand::Path(path) => evaluate(path, item),
    };
    lefts
        .iter()
        .any(|l| rights.iter().any(|r| compare(l, *op, r)))
}

fn compare(left: &Value, op: Op, right: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (left, right) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match op {
        Op::Eq => ordering.map_or(left == right, |o| o == Ordering::Equal),
        Op::Ne => ordering.map_or(left != right, |o| o != Ordering::Equal),
        Op::Lt => ordering == Some(Ordering::Less),
        Op::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => ordering == Some(Ordering::Greater),
        Op::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
    }
}

#[cfg(test)]
mod jsonpath_tests {
    use super::*;

    #[test]
    fn parses_and_evaluates_the_printer_column_subset() {
        let object = json!({
            "metadata": {"name": "x", "annotations": {"a.b/c": "d"}},
            "spec": {"items": [{"name": "first"}, {"name": "second"}]},
            "status": {"conditions": [
                {"type": "Synced", "status": "False"},
                {"type": "Ready", "status": "True"},
            ]},
        });
        let first = |path: &str| {
            parse(path).and_then(|p| evaluate(&p, &object).into_iter().next().cloned())
        };
        assert_eq!(first(".spec.items[0].name"), Some(json!("first")));
        assert_eq!(first(".spec.items[-1].name"), Some(json!("second")));
        assert_eq!(first(".spec.items[*].name"), Some(json!("first")));
        assert_eq!(first("{.metadata.name}"), Some(json!("x")));
        assert_eq!(first(".metadata.annotations['a.b/c']"), Some(json!("d")));
        assert_eq!(
            first(r#".status.conditions[?(@.type=="Ready")].status"#),
            Some(json!("True"))
        );
        assert_eq!(
            first(".status.conditions[?(@.type != 'Ready')].type"),
            Some(json!("Synced"))
        );
        assert_eq!(first(".spec.items[5].name"), None);
        assert_eq!(first(".spec.missing"), None);
        assert_eq!(parse("..name"), None);
    }
}
