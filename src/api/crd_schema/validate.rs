//! Value validation: a port of kube-openapi's `validate.SchemaValidator`
//! (messages in `pkg/validation/errors`), its translation to field errors
//! (apiextensions-apiserver `pkg/apiserver/validation/validation.go`), and
//! `x-kubernetes-list-type` uniqueness (`pkg/apiserver/schema/listtype`).

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use super::format;
use super::schema::{
    INT_OR_STRING, LIST_MAP_KEYS, LIST_TYPE, additional, f64_of, flag, get, i64_of, items,
    nullable, properties, schema_list, str_of, strings_of, type_of,
};
use super::{
    FieldError, Num, bad_str, bad_value, child, fe_duplicate, fe_invalid, fe_not_supported,
    fe_required, fe_too_long, fe_too_many, go_deep_equal, go_fmt_v, go_json, go_quote, index, key,
    num,
};

/// Validates a custom resource against its version's schema, returning the
/// errors upstream puts in a 422: `spec.replicas: Invalid value: 11:
/// spec.replicas in body should be less than or equal to 10`,
/// `spec.cronSpec: Required value`, `spec.image: Unsupported value: "x":
/// supported values: "a", "b"`, then list-type duplicates
/// (`spec.ports[1]: Duplicate value: {"name":"http"}`). The root
/// `metadata` is not validated here.
pub fn validate(schema: &Value, object: &Value) -> Vec<FieldError> {
    let mut v = Validator {
        skip_root_metadata: true,
        regexes: HashMap::new(),
    };
    let res = v.validate(schema, "", object);
    let mut errs = to_field_errors(None, &res);
    if let Value::Object(_) = object {
        list_sets_and_maps_obj("", schema, object, &mut errs);
    }
    errs
}

/// Validation of a value (a default) at `fld_path`, as
/// `ValidateCustomResource(fldPath, value, validator)`.
pub(crate) fn validate_at(schema: &Value, value: &Value, fld_path: &str) -> Vec<FieldError> {
    let mut v = Validator {
        skip_root_metadata: false,
        regexes: HashMap::new(),
    };
    let res = v.validate(schema, "", value);
    to_field_errors(Some(fld_path), &res)
}

// --- kube-openapi errors ---

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    InvalidType,
    Required,
    TooLong,
    Enum,
    MaxItems,
    TooManyProperties,
    Other,
}

#[derive(Debug, Clone)]
enum OErr {
    /// An `errors.Validation`. `value` None is Go's nil.
    V {
        code: Code,
        name: String,
        value: Option<Value>,
        valid: Option<i64>,
        values: Vec<Value>,
        message: String,
    },
    /// Any other error (composite schema messages, range checks).
    Plain(String),
}

impl OErr {
    fn message(&self) -> &str {
        match self {
            OErr::V { message, .. } | OErr::Plain(message) => message,
        }
    }
}

fn verr(code: Code, name: &str, value: Option<Value>, message: String) -> OErr {
    OErr::V {
        code,
        name: name.to_string(),
        value,
        valid: None,
        values: Vec::new(),
        message,
    }
}

const IN: &str = "body";

fn invalid_type(name: &str, type_name: &str, value: &str) -> OErr {
    verr(
        Code::InvalidType,
        name,
        Some(Value::String(value.to_string())),
        format!(
            "{name} in {IN} must be of type {type_name}: {}",
            go_quote(value)
        ),
    )
}

#[derive(Debug, Default)]
struct Res {
    errors: Vec<OErr>,
    count: usize,
}

impl Res {
    fn add(&mut self, e: OErr) {
        if !self.errors.iter().any(|x| x.message() == e.message()) {
            self.errors.push(e);
        }
    }
    fn merge(&mut self, other: Res) {
        for e in other.errors {
            self.add(e);
        }
        self.count += other.count;
    }
    fn valid(&self) -> bool {
        self.errors.is_empty()
    }
    fn err(e: OErr) -> Res {
        Res {
            errors: vec![e],
            count: 0,
        }
    }
}

// --- data kinds (schemaInfoForType) ---

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Null,
    Bool,
    Str,
    Int(i64),
    Float(f64),
    Arr,
    Obj,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::String(_) => Kind::Str,
        Value::Number(n) => match num(n) {
            Num::I(i) => Kind::Int(i),
            Num::F(f) => Kind::Float(f),
        },
        Value::Array(_) => Kind::Arr,
        Value::Object(_) => Kind::Obj,
    }
}

fn schema_info(k: Kind) -> (&'static str, &'static str) {
    match k {
        Kind::Null => ("", ""),
        Kind::Bool => ("boolean", ""),
        Kind::Str => ("string", ""),
        Kind::Int(_) => ("integer", "int64"),
        Kind::Float(_) => ("number", "float64"),
        Kind::Arr => ("array", ""),
        Kind::Obj => ("object", ""),
    }
}

/// swag.IsFloat64AJSONInteger, close enough for decoded JSON.
fn is_json_integer(f: f64) -> bool {
    f.is_finite() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0
}

/// The OpenAPI types of a schema node as the validator sees them.
fn types(s: &Value) -> Vec<&str> {
    if flag(s, INT_OR_STRING) {
        return vec!["integer", "string"];
    }
    match type_of(s) {
        "" => Vec::new(),
        t => vec![t],
    }
}

fn single_type<'a>(types: &[&'a str]) -> &'a str {
    if types.len() == 1 { types[0] } else { "" }
}

struct Validator {
    skip_root_metadata: bool,
    regexes: HashMap<String, Result<Regex, String>>,
}

impl Validator {
    fn regex(&mut self, pattern: &str) -> Result<Regex, String> {
        self.regexes
            .entry(pattern.to_string())
            .or_insert_with(|| Regex::new(pattern).map_err(|e| regex_error(&e)))
            .clone()
    }

    /// SchemaValidator.Validate
    fn validate(&mut self, s: &Value, path: &str, data: &Value) -> Res {
        let mut result = Res::default();
        if !s.is_object() {
            return result;
        }
        let tys = types(s);
        let fmt = format::effective_format(single_type(&tys), str_of(s, "format"));
        if data.is_null() {
            result.merge(type_validate(&tys, nullable(s), fmt, path, data));
            if let Some(e) = enum_validate(s, path, data) {
                result.merge(e);
            }
            return result;
        }
        let k = kind(data);
        // type
        if !tys.is_empty() || !fmt.is_empty() {
            result.merge(type_validate(&tys, nullable(s), fmt, path, data));
            result.count += 1;
        }
        // allOf/oneOf/anyOf/not
        let r = self.schema_props(s, path, data);
        result.merge(r);
        result.count += 1;
        // string
        if let Value::String(str_data) = data {
            if let Some(e) = self.string_validate(s, path, str_data) {
                result.merge(Res::err(e));
            }
            result.count += 1;
            if format::known(fmt) {
                if !format::check(fmt, str_data) {
                    result.merge(Res::err(invalid_type(path, fmt, str_data)));
                }
                result.count += 1;
            }
        }
        // number
        if let Kind::Int(_) | Kind::Float(_) = k {
            result.merge(number_validate(s, &tys, path, k));
            result.count += 1;
        }
        // slice
        if let Value::Array(list) = data {
            let r = self.slice_validate(s, path, list);
            result.merge(r);
            result.count += 1;
        }
        // common (enum)
        if let Some(e) = enum_validate(s, path, data) {
            result.merge(e);
        }
        result.count += 1;
        // object
        if let Value::Object(map) = data {
            let r = self.object_validate(s, path, map);
            result.merge(r);
            result.count += 1;
        }
        result.count += 1;
        result
    }

    fn schema_props(&mut self, s: &Value, path: &str, data: &Value) -> Res {
        let mut main = Res::default();
        let any_of = schema_list(s, "anyOf");
        if !any_of.is_empty() {
            let mut best: Option<Res> = None;
            let mut first_success: Option<Res> = None;
            let mut succeeded = false;
            for sub in any_of {
                let r = self.validate(sub, path, data);
                if r.valid() {
                    best = None;
                    succeeded = true;
                    first_success = Some(r);
                    break;
                }
                if best.as_ref().is_none_or(|b| r.count > b.count) {
                    best = Some(r);
                }
            }
            if !succeeded {
                main.add(OErr::Plain(format!(
                    "{} must validate at least one schema (anyOf)",
                    go_quote(path)
                )));
            }
            if let Some(b) = best {
                main.merge(b);
            } else if let Some(f) = first_success {
                main.merge(f);
            }
        }
        let one_of = schema_list(s, "oneOf");
        if !one_of.is_empty() {
            let mut best: Option<Res> = None;
            let mut first_success: Option<Res> = None;
            let mut validated = 0usize;
            for sub in one_of {
                let r = self.validate(sub, path, data);
                if r.valid() {
                    validated += 1;
                    best = None;
                    if first_success.is_none() {
                        first_success = Some(r);
                    }
                    continue;
                }
                if validated == 0 && best.as_ref().is_none_or(|b| r.count > b.count) {
                    best = Some(r);
                }
            }
            if validated != 1 {
                let additional = if validated == 0 {
                    "Found none valid".to_string()
                } else {
                    format!("Found {validated} valid alternatives")
                };
                main.add(OErr::Plain(format!(
                    "{} must validate one and only one schema (oneOf). {additional}",
                    go_quote(path)
                )));
                if let Some(b) = best {
                    main.merge(b);
                }
            } else if let Some(f) = first_success {
                main.merge(f);
            }
        }
        let all_of = schema_list(s, "allOf");
        if !all_of.is_empty() {
            let mut validated = 0usize;
            for sub in all_of {
                let r = self.validate(sub, path, data);
                if r.valid() {
                    validated += 1;
                }
                main.merge(r);
            }
            if validated != all_of.len() {
                let additional = if validated == 0 {
                    ". None validated"
                } else {
                    ""
                };
                main.add(OErr::Plain(format!(
                    "{} must validate all the schemas (allOf){additional}",
                    go_quote(path)
                )));
            }
        }
        if let Some(not) = get(s, "not")
            && self.validate(not, path, data).valid()
        {
            main.add(OErr::Plain(format!(
                "{} must not validate the schema (not)",
                go_quote(path)
            )));
        }
        main.count += 1;
        main
    }

    fn string_validate(&mut self, s: &Value, path: &str, data: &str) -> Option<OErr> {
        let len = data.chars().count() as i64;
        let value = || Some(Value::String(data.to_string()));
        if let Some(max) = i64_of(s, "maxLength")
            && len > max
        {
            return Some(OErr::V {
                code: Code::TooLong,
                name: path.to_string(),
                value: value(),
                valid: Some(max),
                values: Vec::new(),
                message: format!("{path} in {IN} should be at most {max} chars long"),
            });
        }
        if let Some(min) = i64_of(s, "minLength")
            && len < min
        {
            return Some(verr(
                Code::Other,
                path,
                value(),
                format!("{path} in {IN} should be at least {min} chars long"),
            ));
        }
        let pattern = str_of(s, "pattern");
        if !pattern.is_empty() {
            match self.regex(pattern) {
                Err(e) => {
                    return Some(verr(
                        Code::Other,
                        path,
                        value(),
                        format!(
                            "{path} in {IN} should match '{pattern}, but pattern is invalid: {e}'"
                        ),
                    ));
                }
                Ok(re) if !re.is_match(data) => {
                    return Some(verr(
                        Code::Other,
                        path,
                        value(),
                        format!("{path} in {IN} should match '{pattern}'"),
                    ));
                }
                Ok(_) => {}
            }
        }
        None
    }

    fn slice_validate(&mut self, s: &Value, path: &str, list: &[Value]) -> Res {
        let mut result = Res::default();
        if let Some(item) = items(s) {
            for (i, v) in list.iter().enumerate() {
                let r = self.validate(item, &format!("{path}[{i}]"), v);
                result.merge(r);
            }
        }
        let size = list.len() as i64;
        if let Some(min) = i64_of(s, "minItems")
            && size < min
        {
            result.add(OErr::V {
                code: Code::Other,
                name: path.to_string(),
                value: Some(Value::from(size)),
                valid: Some(min),
                values: Vec::new(),
                message: format!("{path} in {IN} should have at least {min} items"),
            });
        }
        if let Some(max) = i64_of(s, "maxItems")
            && size > max
        {
            result.add(OErr::V {
                code: Code::MaxItems,
                name: path.to_string(),
                value: Some(Value::from(size)),
                valid: Some(max),
                values: Vec::new(),
                message: format!("{path} in {IN} should have at most {max} items"),
            });
        }
        if flag(s, "uniqueItems") {
            let dup = list
                .iter()
                .enumerate()
                .any(|(i, v)| list[..i].iter().any(|u| go_deep_equal(v, u)));
            if dup {
                result.add(verr(
                    Code::Other,
                    path,
                    None,
                    format!("{path} in {IN} shouldn't contain duplicates"),
                ));
            }
        }
        result.count += 1;
        result
    }

    fn object_validate(
        &mut self,
        s: &Value,
        path: &str,
        map: &serde_json::Map<String, Value>,
    ) -> Res {
        let mut res = Res::default();
        let n = map.len() as i64;
        if let Some(min) = i64_of(s, "minProperties")
            && n < min
        {
            res.add(OErr::V {
                code: Code::Other,
                name: path.to_string(),
                value: Some(Value::from(n)),
                valid: Some(min),
                values: Vec::new(),
                message: format!("{path} in {IN} should have at least {min} properties"),
            });
        }
        if let Some(max) = i64_of(s, "maxProperties")
            && n > max
        {
            res.add(OErr::V {
                code: Code::TooManyProperties,
                name: path.to_string(),
                value: Some(Value::from(n)),
                valid: Some(max),
                values: Vec::new(),
                message: format!("{path} in {IN} should have at most {max} properties"),
            });
        }
        let props = properties(s);
        let is_prop = |k: &str| props.is_some_and(|p| p.contains_key(k));
        match additional(s) {
            Some(super::schema::Additional::Bool(false)) => {
                for k in map.keys() {
                    if !is_prop(k) {
                        res.add(verr(
                            Code::Other,
                            path,
                            Some(Value::String(k.clone())),
                            format!("{path}.{k} in {IN} is a forbidden property"),
                        ));
                    }
                }
            }
            Some(super::schema::Additional::Schema(ap)) => {
                for (k, v) in map {
                    if !is_prop(k) {
                        let r = self.validate(ap, &format!("{path}.{k}"), v);
                        res.merge(r);
                    }
                }
            }
            _ => {}
        }
        if let Some(props) = props {
            for (name, ps) in props {
                if path.is_empty() && self.skip_root_metadata && name == "metadata" {
                    continue;
                }
                let r_name = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                if let Some(v) = map.get(name) {
                    let r = self.validate(ps, &r_name, v);
                    res.merge(r);
                }
            }
        }
        for k in strings_of(s, "required") {
            if !map.contains_key(&k) {
                let name = format!("{path}.{k}");
                let message = format!("{name} in {IN} is required");
                res.add(verr(Code::Required, &name, None, message));
            }
        }
        res
    }
}

fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .trim_start_matches("error: ")
        .to_string();
    format!("error parsing regexp: {last}")
}

pub(crate) fn compile_error(pattern: &str) -> Option<String> {
    Regex::new(pattern).err().map(|e| regex_error(&e))
}

fn type_validate(tys: &[&str], is_nullable: bool, fmt: &str, path: &str, data: &Value) -> Res {
    let ok = Res {
        errors: Vec::new(),
        count: 1,
    };
    let k = kind(data);
    if k == Kind::Null {
        if !tys.is_empty() && !tys.contains(&"null") && !is_nullable {
            return Res::err(invalid_type(path, &tys.join(","), "null"));
        }
        return ok;
    }
    let (sch_type, sch_format) = schema_info(k);
    let is_float_int =
        matches!(k, Kind::Float(f) if is_json_integer(f)) && tys.contains(&"integer");
    let is_int_float = matches!(k, Kind::Int(_)) && tys.contains(&"number");
    let str_or_slice = matches!(k, Kind::Str | Kind::Arr);
    let type_or_format_matches =
        tys.contains(&sch_type) || sch_format == fmt || is_float_int || is_int_float;
    if !str_or_slice && !fmt.is_empty() && !type_or_format_matches {
        return Res::err(invalid_type(path, fmt, sch_format));
    }
    let numeric = tys.contains(&"number") || tys.contains(&"integer");
    if !numeric && !fmt.is_empty() && str_or_slice {
        return ok;
    }
    if !(tys.contains(&sch_type) || is_float_int || is_int_float) {
        return Res::err(invalid_type(path, &tys.join(","), sch_type));
    }
    ok
}

/// basicCommonValidator: `enum`, with Go's convert-then-DeepEqual.
fn enum_validate(s: &Value, path: &str, data: &Value) -> Option<Res> {
    let values = schema_list(s, "enum");
    if get(s, "enum").is_none() || values.is_empty() {
        return None;
    }
    if values.iter().any(|e| enum_matches(data, e)) {
        return None;
    }
    let shown: Vec<String> = values.iter().map(go_v).collect();
    Some(Res::err(OErr::V {
        code: Code::Enum,
        name: path.to_string(),
        value: Some(data.clone()),
        valid: None,
        values: values.to_vec(),
        message: format!("{path} in {IN} should be one of [{}]", shown.join(" ")),
    }))
}

fn enum_matches(data: &Value, e: &Value) -> bool {
    match (data, e) {
        (_, Value::Null) | (Value::Null, _) => false,
        (Value::Number(d), Value::Number(ev)) => match (num(d), num(ev)) {
            (Num::I(a), Num::I(b)) => a == b,
            (Num::I(a), Num::F(b)) => a as f64 == b,
            (Num::F(a), Num::I(b)) => a as i64 == b,
            (Num::F(a), Num::F(b)) => a == b,
        },
        (Value::Number(d), Value::String(ev)) => match num(d) {
            // Go converts an integer to a string as a rune.
            Num::I(i) => {
                let c = u32::try_from(i)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{fffd}');
                ev == &c.to_string()
            }
            Num::F(_) => false,
        },
        _ => go_deep_equal(data, e),
    }
}

/// Go's `%v` of a decoded JSON value (only used in messages that do not
/// reach the client verbatim).
fn go_v(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match num(n) {
            Num::I(i) => i.to_string(),
            Num::F(f) => go_fmt_v(f),
        },
        Value::Array(a) => format!("[{}]", a.iter().map(go_v).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", m.get(*k).map(go_v).unwrap_or_default()))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

fn num_value(k: Kind) -> Value {
    match k {
        Kind::Int(i) => Value::from(i),
        Kind::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// IsValueValidAgainstRange
fn range_check(val: Num, type_name: &str, fmt: &str, prefix: &str, path: &str) -> Option<OErr> {
    let rep = match val {
        Num::I(i) => i.to_string(),
        Num::F(f) => format!("{f}"),
    };
    let bad = match type_name {
        "integer" => match fmt {
            "int32" => rep.parse::<i32>().is_err(),
            _ => rep.parse::<i64>().is_err(),
        },
        _ => match fmt {
            "float" => rep
                .parse::<f64>()
                .map(|f| f.is_finite() && f.abs() > f32::MAX as f64)
                .unwrap_or(true),
            _ => false,
        },
    };
    if !bad {
        return None;
    }
    Some(OErr::Plain(if fmt.is_empty() {
        format!("{prefix} value must be of type {type_name} (default format) in {path}")
    } else {
        format!("{prefix} value must be of type {type_name} with format {fmt} in {path}")
    }))
}

fn number_validate(s: &Value, tys: &[&str], path: &str, k: Kind) -> Res {
    let (type_name, fmt) = match single_type(tys) {
        "integer" => (
            "integer",
            match str_of(s, "format") {
                f @ ("int32" | "int64") => f,
                _ => "",
            },
        ),
        "number" => (
            "number",
            match str_of(s, "format") {
                f @ ("float" | "double") => f,
                _ => "",
            },
        ),
        _ => ("", ""),
    };
    let val = match k {
        Kind::Int(i) => Num::I(i),
        Kind::Float(f) => Num::F(f),
        _ => return Res::default(),
    };
    let data = val.as_f64();
    let value = || Some(num_value(k));
    let mut res = Res::default();
    if let Some(e) = range_check(val, type_name, fmt, "Checked", path) {
        res.add(e);
    }
    let mut res_multiple = Res::default();
    let mut res_min = Res::default();
    let mut res_max = Res::default();

    if let Some(factor) = f64_of(s, "multipleOf") {
        if let Some(e) = range_check(Num::F(factor), type_name, fmt, "MultipleOf", path) {
            res_multiple.add(e);
            if let Some(e) = multiple_of_float(path, data, factor, value()) {
                res_multiple.add(e);
            }
        } else {
            let e = match val {
                Num::I(i) => {
                    let f = factor as i64;
                    if f <= 0 {
                        Some(verr(
                            Code::Other,
                            path,
                            Some(Value::from(f)),
                            format!("factor MultipleOf declared for {path} must be positive: {f}"),
                        ))
                    } else if (i / f) * f != i {
                        Some(verr(
                            Code::Other,
                            path,
                            value(),
                            format!("{path} in {IN} should be a multiple of {f}"),
                        ))
                    } else {
                        None
                    }
                }
                Num::F(_) => multiple_of_float(path, data, factor, value()),
            };
            if let Some(e) = e {
                res_multiple.add(e);
            }
        }
    }
    let exclusive_max = flag(s, "exclusiveMaximum");
    if let Some(max) = f64_of(s, "maximum") {
        let boundary = range_check(Num::F(max), type_name, fmt, "Maximum boundary", path);
        let native = boundary.is_none();
        if let Some(e) = boundary {
            res_max.add(e);
        }
        let e = match val {
            Num::I(i) if native => {
                let m = max as i64;
                ((!exclusive_max && i > m) || (exclusive_max && i >= m))
                    .then(|| max_err(path, &m.to_string(), exclusive_max, value()))
            }
            _ => ((!exclusive_max && data > max) || (exclusive_max && data >= max))
                .then(|| max_err(path, &go_fmt_v(max), exclusive_max, value())),
        };
        if let Some(e) = e {
            res_max.add(e);
        }
    }
    let exclusive_min = flag(s, "exclusiveMinimum");
    if let Some(min) = f64_of(s, "minimum") {
        let boundary = range_check(Num::F(min), type_name, fmt, "Minimum boundary", path);
        let native = boundary.is_none();
        if let Some(e) = boundary {
            res_min.add(e);
        }
        let e = match val {
            Num::I(i) if native => {
                let m = min as i64;
                ((!exclusive_min && i < m) || (exclusive_min && i <= m))
                    .then(|| min_err(path, &m.to_string(), exclusive_min, value()))
            }
            _ => ((!exclusive_min && data < min) || (exclusive_min && data <= min))
                .then(|| min_err(path, &go_fmt_v(min), exclusive_min, value())),
        };
        if let Some(e) = e {
            res_min.add(e);
        }
    }
    res.merge(res_multiple);
    res.merge(res_min);
    res.merge(res_max);
    res.count += 1;
    res
}

fn multiple_of_float(path: &str, data: f64, factor: f64, value: Option<Value>) -> Option<OErr> {
    if factor <= 0.0 {
        return Some(verr(
            Code::Other,
            path,
            serde_json::Number::from_f64(factor).map(Value::Number),
            format!(
                "factor MultipleOf declared for {path} must be positive: {}",
                go_fmt_v(factor)
            ),
        ));
    }
    let mult = if factor < 1.0 {
        1.0 / factor * data
    } else {
        data / factor
    };
    (!is_json_integer(mult)).then(|| {
        verr(
            Code::Other,
            path,
            value,
            format!(
                "{path} in {IN} should be a multiple of {}",
                go_fmt_v(factor)
            ),
        )
    })
}

fn max_err(path: &str, max: &str, exclusive: bool, value: Option<Value>) -> OErr {
    let m = if exclusive {
        format!("{path} in {IN} should be less than {max}")
    } else {
        format!("{path} in {IN} should be less than or equal to {max}")
    };
    verr(Code::Other, path, value, m)
}

fn min_err(path: &str, min: &str, exclusive: bool, value: Option<Value>) -> OErr {
    let m = if exclusive {
        format!("{path} in {IN} should be greater than {min}")
    } else {
        format!("{path} in {IN} should be greater than or equal to {min}")
    };
    verr(Code::Other, path, value, m)
}

/// kubeOpenAPIResultToFieldErrors
fn to_field_errors(fld_path: Option<&str>, res: &Res) -> Vec<FieldError> {
    let nil = "<nil>";
    let base = fld_path.unwrap_or(nil);
    let mut out = Vec::new();
    for e in &res.errors {
        match e {
            OErr::V {
                code,
                name,
                value,
                valid,
                values,
                message,
            } => {
                let err_path = if !name.is_empty() && name != "." {
                    let n = name.strip_prefix('.').unwrap_or(name);
                    match fld_path {
                        Some(p) => child(p, n),
                        None => n.to_string(),
                    }
                } else {
                    base.to_string()
                };
                let or_empty = || value.as_ref().map(bad_value).unwrap_or_else(|| bad_str(""));
                match code {
                    Code::Required => out.push(fe_required(&err_path, "")),
                    Code::Enum => {
                        let supported: Vec<String> = values
                            .iter()
                            .map(|v| match v {
                                Value::String(s) => s.clone(),
                                v => go_json(v),
                            })
                            .collect();
                        let bad = value
                            .as_ref()
                            .map(bad_value)
                            .unwrap_or_else(|| "null".into());
                        out.push(fe_not_supported(&err_path, &bad, &supported));
                    }
                    Code::TooLong => out.push(fe_too_long(&err_path, valid.unwrap_or(-1))),
                    Code::MaxItems | Code::TooManyProperties => {
                        let actual = value.as_ref().and_then(Value::as_i64).unwrap_or(-1);
                        out.push(fe_too_many(&err_path, actual, valid.unwrap_or(-1)));
                    }
                    Code::InvalidType | Code::Other => {
                        out.push(fe_invalid(&err_path, &or_empty(), message));
                    }
                }
            }
            OErr::Plain(message) => out.push(fe_invalid(base, &bad_str(""), message)),
        }
    }
    out
}

// --- x-kubernetes-list-type ---

fn list_sets_and_maps_obj(path: &str, s: &Value, obj: &Value, errs: &mut Vec<FieldError>) {
    let Value::Object(map) = obj else { return };
    if let Some(ap) = additional(s).and_then(|a| a.schema()) {
        for (k, v) in map {
            list_sets_and_maps(&key(path, k), ap, v, errs);
        }
    }
    if let Some(props) = properties(s) {
        for (k, v) in map {
            if let Some(sub) = props.get(k) {
                list_sets_and_maps(&child(path, k), sub, v, errs);
            }
        }
    }
}

fn list_sets_and_maps(path: &str, s: &Value, v: &Value, errs: &mut Vec<FieldError>) {
    match v {
        Value::Array(list) => list_array(path, s, list, errs),
        Value::Object(_) => list_sets_and_maps_obj(path, s, v, errs),
        _ => {}
    }
}

/// The identity of a value as a Go map key (int64 and float64 differ;
/// compounds compare by their JSON).
fn set_key(v: &Value) -> String {
    match v {
        Value::Null => "n".into(),
        Value::Bool(b) => format!("b{b}"),
        Value::String(s) => format!("s{s}"),
        Value::Number(n) => match num(n) {
            Num::I(i) => format!("i{i}"),
            Num::F(f) => format!("f{f}"),
        },
        _ => format!("j{}", go_json(v)),
    }
}

fn non_unique(keys: &[String]) -> Vec<usize> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let times = seen.entry(k.as_str()).or_insert(0);
        *times += 1;
        if *times == 2 {
            out.push(i);
        }
    }
    out
}

fn list_array(path: &str, s: &Value, list: &[Value], errs: &mut Vec<FieldError>) {
    match str_of(s, LIST_TYPE) {
        "set" if list.len() > 1 => {
            let keys: Vec<String> = list.iter().map(set_key).collect();
            for i in non_unique(&keys) {
                errs.push(fe_duplicate(&index(path, i), &bad_value(&list[i])));
            }
        }
        "map" => list_map(path, s, list, errs),
        _ => {}
    }
    if let Some(item) = items(s) {
        for (i, v) in list.iter().enumerate() {
            list_sets_and_maps(&index(path, i), item, v, errs);
        }
    }
}

fn list_map(path: &str, s: &Value, list: &[Value], errs: &mut Vec<FieldError>) {
    for (i, x) in list.iter().enumerate() {
        if !x.is_null() && !x.is_object() {
            errs.push(fe_invalid(
                &index(path, i),
                &bad_value(x),
                "must be an object for an array of list-type map",
            ));
            return;
        }
    }
    if list.len() <= 1 {
        return;
    }
    let key_fields = strings_of(s, LIST_MAP_KEYS);
    if key_fields.len() == 1 {
        let kf = &key_fields[0];
        let keys: Vec<Option<&Value>> = list.iter().map(|x| get_raw(x, kf)).collect();
        let ids: Vec<String> = keys
            .iter()
            .map(|k| k.map(set_key).unwrap_or_else(|| "u".into()))
            .collect();
        for i in non_unique(&ids) {
            let bad = match keys[i] {
                None => "{}".to_string(),
                Some(k) => {
                    let mut m = serde_json::Map::new();
                    m.insert(kf.clone(), k.clone());
                    go_json(&Value::Object(m))
                }
            };
            errs.push(fe_duplicate(&index(path, i), &bad));
        }
        return;
    }
    let keys: Vec<Value> = list
        .iter()
        .map(|x| {
            let mut m = serde_json::Map::new();
            for kf in &key_fields {
                if let Some(k) = get_raw(x, kf) {
                    m.insert(kf.clone(), k.clone());
                }
            }
            Value::Object(m)
        })
        .collect();
    let ids: Vec<String> = keys.iter().map(set_key).collect();
    for i in non_unique(&ids) {
        errs.push(fe_duplicate(&index(path, i), &go_json(&keys[i])));
    }
}

/// A field of an object, JSON null included.
fn get_raw<'a>(x: &'a Value, k: &str) -> Option<&'a Value> {
    x.as_object().and_then(|m| m.get(k))
}
