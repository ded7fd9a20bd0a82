//! CRD-level checks of a version schema, in upstream's order
//! (apiextensions-apiserver `pkg/apis/apiextensions/validation`
//! `validateCustomResourceDefinitionValidation` for a v1 CRD):
//!
//! 1. `nullable` at the root;
//! 2. if the schema converts to a structural schema (`NewStructural`):
//!    `ValidateStructural` (`pkg/apiserver/schema/validation.go`,
//!    `complete.go`), sorted by message, or when there are none,
//!    `ValidateDefaults` (`pkg/apiserver/schema/defaulting/validation.go`);
//! 3. `ValidateCustomResourceDefinitionOpenAPISchema`.

use serde_json::{Map, Value};

use super::schema::{
    Additional, EMBEDDED, INT_OR_STRING, LIST_MAP_KEYS, LIST_TYPE, MAP_TYPE, PRESERVE, VALIDATIONS,
    additional, default_of, flag, get, items, obj, properties, property, schema_list, str_of,
    strings_of, type_of,
};
use super::validate::{compile_error, validate_at};
use super::{
    FieldError, bad_str, bad_value, child, fe_forbidden, fe_invalid, fe_not_supported, fe_required,
    go_deep_equal, go_json, index, key,
};

/// Problems of a CRD version's `openAPIV3Schema`, with upstream's paths
/// under `base` (e.g. `spec.versions[0].schema.openAPIV3Schema`): what makes
/// it non-structural (`...properties[spec].type: Required value: must not
/// be empty for specified object fields`), unsupported or contradictory
/// fields (`additionalProperties and properties are mutual exclusive`,
/// `x-kubernetes-preserve-unknown-fields: Invalid value: false: must be
/// true or undefined`), unknown type names, invalid patterns, list and map
/// extensions, `x-kubernetes-validations` entries and defaults that do not
/// validate against their schema. CEL rules are not compiled.
pub fn structural_errors(schema: &Value, base: &str) -> Vec<FieldError> {
    let mut all = Vec::new();
    if flag(schema, "nullable") {
        all.push(fe_forbidden(
            &child(base, "nullable"),
            "nullable cannot be true at the root",
        ));
    }
    if converts_to_structural(schema) {
        let mut errs = Vec::new();
        invariants(schema, Level::Root, base, &mut errs);
        completeness_value(schema, schema, base, base, &mut errs);
        errs.sort_by_key(|e| e.to_string());
        if errs.is_empty() {
            validate_defaults(schema, base, true, false, true, &mut errs);
        }
        all.extend(errs);
    }
    let ssv = Ssv {
        allow_defaults: true,
        disallow_reason: String::new(),
        inside_meta: false,
    };
    openapi_schema(Some(schema), base, &ssv, true, &mut all);
    all
}

// --- NewStructural ---

/// Whether `NewStructural` succeeds (it rejects fields validation reports
/// separately, and `x-kubernetes-preserve-unknown-fields: false`).
fn converts_to_structural(s: &Value) -> bool {
    let Some(m) = obj(s) else { return true };
    let set = |k: &str| get(s, k).is_some();
    if !str_of(s, "id").is_empty()
        || !str_of(s, "$schema").is_empty()
        || !str_of(s, "$ref").is_empty()
        || get(s, "patternProperties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
        || get(s, "dependencies")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
        || set("additionalItems")
        || get(s, "definitions")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
        || get(s, "items").is_some_and(Value::is_array)
        || m.get(PRESERVE) == Some(&Value::Bool(false))
    {
        return false;
    }
    let children = items(s).into_iter().chain(
        properties(s)
            .into_iter()
            .flat_map(|p| p.values())
            .chain(additional(s).and_then(Additional::schema)),
    );
    let junctors = ["allOf", "anyOf", "oneOf"]
        .iter()
        .flat_map(|k| schema_list(s, k).iter())
        .chain(get(s, "not"));
    children.chain(junctors).all(converts_to_structural)
}

// --- ValidateStructural ---

#[derive(Clone, Copy, PartialEq)]
enum Level {
    Root,
    Item,
    Field,
}

fn invariants(s: &Value, lvl: Level, p: &str, errs: &mut Vec<FieldError>) {
    if !s.is_object() {
        return;
    }
    let ty = type_of(s);
    if ty == "array" && items(s).is_none() {
        errs.push(fe_required(&child(p, "items"), "must be specified"));
    }
    if let Some(i) = items(s) {
        invariants(i, Level::Item, &child(p, "items"), errs);
    }
    if let Some(props) = properties(s) {
        for (k, v) in props {
            invariants(v, Level::Field, &key(&child(p, "properties"), k), errs);
        }
    }
    let ap = additional(s);
    if let Some(ap) = ap {
        if lvl == Level::Root {
            errs.push(fe_forbidden(
                &child(p, "additionalProperties"),
                "must not be used at the root",
            ));
        }
        if let Some(aps) = ap.schema() {
            invariants(aps, Level::Field, &child(p, "additionalProperties"), errs);
        }
    }
    let int_or_string = flag(s, INT_OR_STRING);
    let preserve = flag(s, PRESERVE);
    let embedded = flag(s, EMBEDDED);
    if int_or_string && preserve {
        errs.push(fe_invalid(
            &child(p, PRESERVE),
            "true",
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    if int_or_string && embedded {
        errs.push(fe_invalid(
            &child(p, EMBEDDED),
            "true",
            "must be false if x-kubernetes-int-or-string is true",
        ));
    }
    let skip_any_of = is_int_or_string_any_of(schema_list(s, "anyOf"));
    let skip_first_all_of_any_of = schema_list(s, "allOf")
        .first()
        .is_some_and(|a| is_int_or_string_any_of(schema_list(a, "anyOf")));
    value_validation(s, skip_any_of, skip_first_all_of_any_of, lvl, p, errs);

    let check_metadata = lvl == Level::Root || embedded;
    if embedded && ty != "object" {
        if ty.is_empty() {
            errs.push(fe_required(
                &child(p, "type"),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        } else {
            errs.push(fe_invalid(
                &child(p, "type"),
                &bad_str(ty),
                "must be object if x-kubernetes-embedded-resource is true",
            ));
        }
    } else if ty.is_empty() && !int_or_string && !preserve {
        let detail = match lvl {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        errs.push(fe_required(&child(p, "type"), detail));
    }
    if embedded && ap.is_some() {
        errs.push(fe_forbidden(
            &child(p, "additionalProperties"),
            "must not be used if x-kubernetes-embedded-resource is set",
        ));
    }
    if lvl == Level::Root && !ty.is_empty() && ty != "object" {
        errs.push(fe_invalid(
            &child(p, "type"),
            &bad_str(ty),
            "must be object at the root",
        ));
    }
    for meta in ["kind", "apiVersion"] {
        if let Some(m) = property(s, meta)
            && check_metadata
            && type_of(m) != "string"
        {
            errs.push(fe_invalid(
                &child(&key(&child(p, "properties"), meta), "type"),
                &bad_str(type_of(m)),
                "must be string",
            ));
        }
    }
    if let Some(m) = property(s, "metadata") {
        metadata_invariants(
            m,
            check_metadata,
            lvl,
            &key(&child(p, "properties"), "metadata"),
            errs,
        );
    }
    if embedded && !preserve && properties(s).is_none_or(Map::is_empty) {
        errs.push(fe_required(
            &child(p, "properties"),
            "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
        ));
    }
}

/// A JSON value that is Go's zero value for its field.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(_) => false,
    }
}

fn metadata_invariants(
    s: &Value,
    check_metadata: bool,
    lvl: Level,
    p: &str,
    errs: &mut Vec<FieldError>,
) {
    if check_metadata && type_of(s) != "object" {
        errs.push(fe_invalid(
            &child(p, "type"),
            &bad_str(type_of(s)),
            "must be object",
        ));
    }
    if lvl == Level::Root {
        let Some(m) = obj(s) else { return };
        let props_only_names = properties(s)
            .is_none_or(|props| props.keys().all(|k| k == "name" || k == "generateName"));
        let other = m.iter().any(|(k, v)| match k.as_str() {
            "type" | "default" => false,
            "properties" => !props_only_names,
            // zero-valued Go fields compare equal to the empty schema
            _ => !is_zero(v),
        });
        if other {
            errs.push(fe_forbidden(
                p,
                "must not specify anything other than name and generateName, but metadata is implicitly specified",
            ));
        }
    }
}

fn is_int_or_string_any_of(any_of: &[Value]) -> bool {
    let only_type = |v: &Value, t: &str| {
        type_of(v) == t && obj(v).is_some_and(|m| m.iter().all(|(k, v)| k == "type" || is_zero(v)))
    };
    any_of.len() == 2 && only_type(&any_of[0], "integer") && only_type(&any_of[1], "string")
}

fn value_validation(
    v: &Value,
    skip_any_of: bool,
    skip_first_all_of_any_of: bool,
    lvl: Level,
    p: &str,
    errs: &mut Vec<FieldError>,
) {
    if !skip_any_of {
        for (i, sub) in schema_list(v, "anyOf").iter().enumerate() {
            nested_value_validation(sub, false, lvl, &index(&child(p, "anyOf"), i), errs);
        }
    }
    for (i, sub) in schema_list(v, "allOf").iter().enumerate() {
        let skip = skip_first_all_of_any_of && i == 0;
        nested_value_validation(sub, skip, lvl, &index(&child(p, "allOf"), i), errs);
    }
    for (i, sub) in schema_list(v, "oneOf").iter().enumerate() {
        nested_value_validation(sub, false, lvl, &index(&child(p, "oneOf"), i), errs);
    }
    if let Some(not) = get(v, "not") {
        nested_value_validation(not, false, lvl, &child(p, "not"), errs);
    }
    let pattern = str_of(v, "pattern");
    if !pattern.is_empty()
        && let Some(e) = compile_error(pattern)
    {
        errs.push(fe_invalid(
            &child(p, "pattern"),
            &bad_str(pattern),
            &format!("must be a valid regular expression, but isn't: {e}"),
        ));
    }
}

fn nested_value_validation(
    v: &Value,
    skip_any_of: bool,
    lvl: Level,
    p: &str,
    errs: &mut Vec<FieldError>,
) {
    if !v.is_object() {
        return;
    }
    value_validation(v, skip_any_of, false, lvl, p, errs);
    if let Some(i) = items(v) {
        nested_value_validation(i, false, lvl, &child(p, "items"), errs);
    }
    if let Some(props) = properties(v) {
        for (k, sub) in props {
            nested_value_validation(
                sub,
                false,
                Level::Field,
                &key(&child(p, "properties"), k),
                errs,
            );
        }
    }
    if !type_of(v).is_empty() {
        errs.push(fe_forbidden(
            &child(p, "type"),
            "must be empty to be structural",
        ));
    }
    // NewNestedValueValidation: `additionalProperties: false` is no value
    match additional(v) {
        Some(Additional::Bool(false)) | None => {}
        Some(_) => errs.push(fe_forbidden(
            &child(p, "additionalProperties"),
            "must be undefined to be structural",
        )),
    }
    if default_of(v).is_some() {
        errs.push(fe_forbidden(
            &child(p, "default"),
            "must be undefined to be structural",
        ));
    }
    if !str_of(v, "title").is_empty() {
        errs.push(fe_forbidden(
            &child(p, "title"),
            "must be empty to be structural",
        ));
    }
    if !str_of(v, "description").is_empty() {
        errs.push(fe_forbidden(
            &child(p, "description"),
            "must be empty to be structural",
        ));
    }
    if flag(v, "nullable") {
        errs.push(fe_forbidden(
            &child(p, "nullable"),
            "must be false to be structural",
        ));
    }
    for ext in [PRESERVE, EMBEDDED, INT_OR_STRING] {
        if flag(v, ext) {
            errs.push(fe_forbidden(
                &child(p, ext),
                "must be false to be structural",
            ));
        }
    }
    if !strings_of(v, LIST_MAP_KEYS).is_empty() {
        errs.push(fe_forbidden(
            &child(p, LIST_MAP_KEYS),
            "must be empty to be structural",
        ));
    }
    for ext in [LIST_TYPE, MAP_TYPE] {
        if get(v, ext).is_some() {
            errs.push(fe_forbidden(
                &child(p, ext),
                "must be undefined to be structural",
            ));
        }
    }
    if !schema_list(v, VALIDATIONS).is_empty() {
        errs.push(fe_forbidden(
            &child(p, VALIDATIONS),
            "must be empty to be structural",
        ));
    }
    if property(v, "metadata").is_some() {
        errs.push(fe_forbidden(
            &key(&child(p, "properties"), "metadata"),
            "must not be specified in a nested context",
        ));
    }
}

// --- complete.go ---

fn completeness_value(
    v: &Value,
    s: &Value,
    s_path: &str,
    v_path: &str,
    errs: &mut Vec<FieldError>,
) {
    if let Some(not) = get(v, "not") {
        completeness_nested(not, Some(s), s_path, &child(v_path, "not"), errs);
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        for (i, sub) in schema_list(v, k).iter().enumerate() {
            completeness_nested(sub, Some(s), s_path, &index(&child(v_path, k), i), errs);
        }
    }
}

fn completeness_nested(
    v: &Value,
    s: Option<&Value>,
    s_path: &str,
    v_path: &str,
    errs: &mut Vec<FieldError>,
) {
    if !v.is_object() {
        return;
    }
    let Some(s) = s else {
        errs.push(fe_required(
            s_path,
            &format!("because it is defined in {v_path}"),
        ));
        return;
    };
    completeness_value(v, s, s_path, v_path, errs);
    if let Some(vi) = items(v) {
        completeness_nested(
            vi,
            items(s),
            &child(s_path, "items"),
            &child(v_path, "items"),
            errs,
        );
    }
    if let Some(props) = properties(v) {
        for (k, vf) in props {
            let vp = key(&child(v_path, "properties"), k);
            let sp = key(&child(s_path, "properties"), k);
            match property(s, k) {
                None => errs.push(fe_required(&sp, &format!("because it is defined in {vp}"))),
                Some(sf) => completeness_nested(vf, Some(sf), &sp, &vp, errs),
            }
        }
    }
}

// --- ValidateDefaults ---

fn validate_defaults(
    s: &Value,
    p: &str,
    is_resource_root: bool,
    inside_meta: bool,
    at_root: bool,
    errs: &mut Vec<FieldError>,
) {
    if !s.is_object() {
        return;
    }
    let embedded = flag(s, EMBEDDED) || (at_root && is_resource_root);
    let inside_meta = if embedded { false } else { inside_meta };
    if let Some(d) = default_of(s) {
        let dp = child(p, "default");
        if !inside_meta {
            let mut pruned = d.clone();
            super::prune::prune_value(s, &mut pruned, embedded);
            if !go_deep_equal(&pruned, d) {
                errs.push(fe_invalid(
                    &dp,
                    &bad_value(d),
                    "must not have unknown fields",
                ));
            }
        }
        let verrs = validate_at(s, d, &dp);
        errs.extend(verrs);
    }
    if let Some(i) = items(s) {
        validate_defaults(i, &child(p, "items"), false, inside_meta, false, errs);
    }
    if let Some(props) = properties(s) {
        for (k, sub) in props {
            let sub_meta = inside_meta
                || (embedded && matches!(k.as_str(), "metadata" | "apiVersion" | "kind"));
            validate_defaults(
                sub,
                &key(&child(p, "properties"), k),
                false,
                sub_meta,
                false,
                errs,
            );
        }
    }
}

// --- ValidateCustomResourceDefinitionOpenAPISchema ---

#[derive(Clone)]
struct Ssv {
    allow_defaults: bool,
    disallow_reason: String,
    inside_meta: bool,
}

impl Ssv {
    fn forbid_defaults(&self, reason: &str) -> Ssv {
        Ssv {
            allow_defaults: false,
            disallow_reason: reason.to_string(),
            inside_meta: self.inside_meta,
        }
    }
}

const OPENAPI_TYPES: [&str; 6] = ["array", "boolean", "integer", "number", "object", "string"];

fn standard(s: &Value, p: &str, ssv: &Ssv, errs: &mut Vec<FieldError>) {
    let ty = type_of(s);
    if !ty.is_empty() && !OPENAPI_TYPES.contains(&ty) {
        let supported: Vec<String> = OPENAPI_TYPES.iter().map(|t| t.to_string()).collect();
        errs.push(fe_not_supported(
            &child(p, "type"),
            &bad_str(ty),
            &supported,
        ));
    }
    if default_of(s).is_some() && !ssv.allow_defaults {
        let mut detail = "must not be set".to_string();
        if !ssv.disallow_reason.is_empty() {
            detail.push(' ');
            detail.push_str(&ssv.disallow_reason);
        }
        errs.push(fe_forbidden(&child(p, "default"), &detail));
    }
    if !str_of(s, "id").is_empty() {
        errs.push(fe_forbidden(&child(p, "id"), "id is not supported"));
    }
    if get(s, "additionalItems").is_some() {
        errs.push(fe_forbidden(
            &child(p, "additionalItems"),
            "additionalItems is not supported",
        ));
    }
    if get(s, "patternProperties")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty())
    {
        errs.push(fe_forbidden(
            &child(p, "patternProperties"),
            "patternProperties is not supported",
        ));
    }
    if get(s, "definitions")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty())
    {
        errs.push(fe_forbidden(
            &child(p, "definitions"),
            "definitions is not supported",
        ));
    }
    if get(s, "dependencies").is_some() {
        errs.push(fe_forbidden(
            &child(p, "dependencies"),
            "dependencies is not supported",
        ));
    }
    if get(s, "$ref").is_some() {
        errs.push(fe_forbidden(&child(p, "$ref"), "$ref is not supported"));
    }
    if ty == "null" {
        errs.push(fe_forbidden(
            &child(p, "type"),
            "type cannot be set to null, use nullable as an alternative",
        ));
    }
    if get(s, "items").is_some_and(|i| i.as_array().is_some_and(|a| !a.is_empty())) {
        errs.push(fe_forbidden(
            &child(p, "items"),
            "items must be a schema object and not an array",
        ));
    }
    if ssv.inside_meta && flag(s, EMBEDDED) {
        errs.push(fe_forbidden(
            &child(p, EMBEDDED),
            "must not be used inside of resource meta",
        ));
    }
}

const META_FIELDS: [&str; 3] = ["metadata", "kind", "apiVersion"];

fn openapi_schema(
    s: Option<&Value>,
    p: &str,
    ssv: &Ssv,
    is_root: bool,
    errs: &mut Vec<FieldError>,
) {
    let Some(s) = s.filter(|s| s.is_object()) else {
        return;
    };
    standard(s, p, ssv, errs);
    if flag(s, "uniqueItems") {
        errs.push(fe_forbidden(
            &child(p, "uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ));
    }
    let props = properties(s).filter(|m| !m.is_empty());
    if let Some(ap) = additional(s) {
        if props.is_some() && !matches!(ap, Additional::Bool(true)) {
            errs.push(fe_forbidden(
                &child(p, "additionalProperties"),
                "additionalProperties and properties are mutual exclusive",
            ));
        }
        let sub = if ssv.inside_meta {
            ssv.forbid_defaults("inside additionalProperties applying to object metadata")
        } else {
            ssv.clone()
        };
        openapi_schema(
            ap.schema(),
            &child(p, "additionalProperties"),
            &sub,
            false,
            errs,
        );
    }
    if let Some(props) = props {
        for (k, sub_schema) in props {
            let mut sub = ssv.clone();
            if (is_root || flag(s, EMBEDDED)) && META_FIELDS.contains(&k.as_str()) {
                sub.inside_meta = true;
                if is_root {
                    sub = sub.forbid_defaults(&format!("in top-level {k}"));
                }
            }
            openapi_schema(
                Some(sub_schema),
                &key(&child(p, "properties"), k),
                &sub,
                false,
                errs,
            );
        }
    }
    openapi_schema(get(s, "not"), &child(p, "not"), ssv, false, errs);
    for k in ["allOf", "oneOf", "anyOf"] {
        for (i, sub) in schema_list(s, k).iter().enumerate() {
            openapi_schema(Some(sub), &index(&child(p, k), i), ssv, false, errs);
        }
    }
    if let Some(defs) = get(s, "definitions").and_then(Value::as_object) {
        for (k, sub) in defs {
            openapi_schema(
                Some(sub),
                &key(&child(p, "definitions"), k),
                ssv,
                false,
                errs,
            );
        }
    }
    match get(s, "items") {
        Some(i @ Value::Object(_)) => openapi_schema(Some(i), &child(p, "items"), ssv, false, errs),
        Some(Value::Array(list)) => {
            for (i, sub) in list.iter().enumerate() {
                openapi_schema(Some(sub), &index(&child(p, "items"), i), ssv, false, errs);
            }
        }
        _ => {}
    }
    if let Some(deps) = get(s, "dependencies").and_then(Value::as_object) {
        for (k, dep) in deps {
            if dep.is_object() {
                openapi_schema(
                    Some(dep),
                    &key(&child(p, "dependencies"), k),
                    ssv,
                    false,
                    errs,
                );
            }
        }
    }
    if obj(s).and_then(|m| m.get(PRESERVE)) == Some(&Value::Bool(false)) {
        errs.push(fe_invalid(
            &child(p, PRESERVE),
            "false",
            "must be true or undefined",
        ));
    }
    list_and_map_extensions(s, p, errs);
    validation_rules(s, p, errs);
}

fn list_and_map_extensions(s: &Value, p: &str, errs: &mut Vec<FieldError>) {
    let ty = type_of(s);
    let map_type = get(s, MAP_TYPE).map(|v| v.as_str().unwrap_or(""));
    let list_type = get(s, LIST_TYPE).map(|v| v.as_str().unwrap_or(""));
    let map_keys = strings_of(s, LIST_MAP_KEYS);
    if map_type.is_some() && ty != "object" {
        if ty.is_empty() {
            errs.push(fe_required(
                &child(p, "type"),
                "must be object if x-kubernetes-map-type is specified",
            ));
        } else {
            errs.push(fe_invalid(
                &child(p, "type"),
                &bad_str(ty),
                "must be object if x-kubernetes-map-type is specified",
            ));
        }
    }
    if let Some(mt) = map_type
        && mt != "atomic"
        && mt != "granular"
    {
        errs.push(fe_not_supported(
            &child(p, MAP_TYPE),
            &bad_str(mt),
            &["atomic".to_string(), "granular".to_string()],
        ));
    }
    let item = items(s);
    if list_type.is_some() && ty != "array" {
        if ty.is_empty() {
            errs.push(fe_required(
                &child(p, "type"),
                "must be array if x-kubernetes-list-type is specified",
            ));
        } else {
            errs.push(fe_invalid(
                &child(p, "type"),
                &bad_str(ty),
                "must be array if x-kubernetes-list-type is specified",
            ));
        }
    } else if list_type == Some("set")
        && let Some(is) = item
    {
        match type_of(is) {
            "array" => {
                if let Some(lt) = get(is, LIST_TYPE)
                    && lt.as_str() != Some("atomic")
                {
                    errs.push(fe_invalid(
                        &child(&child(p, "items"), LIST_TYPE),
                        &bad_value(lt),
                        "must be atomic as item of a list with x-kubernetes-list-type=set",
                    ));
                }
            }
            "object" if get(is, MAP_TYPE).and_then(Value::as_str) != Some("atomic") => {
                // upstream prints the items' list type here
                let bad = get(is, LIST_TYPE).map(bad_value).unwrap_or("null".into());
                errs.push(fe_invalid(
                    &child(&child(p, "items"), MAP_TYPE),
                    &bad,
                    "must be atomic as item of a list with x-kubernetes-list-type=set",
                ));
            }
            _ => {}
        }
    }
    if let Some(lt) = list_type
        && !matches!(lt, "atomic" | "set" | "map")
    {
        errs.push(fe_not_supported(
            &child(p, LIST_TYPE),
            &bad_str(lt),
            &["atomic".to_string(), "set".to_string(), "map".to_string()],
        ));
    }
    if !map_keys.is_empty() {
        match list_type {
            None => errs.push(fe_required(
                &child(p, LIST_TYPE),
                "must be map if x-kubernetes-list-map-keys is non-empty",
            )),
            Some(lt) if lt != "map" => errs.push(fe_invalid(
                &child(p, LIST_TYPE),
                &bad_str(lt),
                "must be map if x-kubernetes-list-map-keys is non-empty",
            )),
            _ => {}
        }
    }
    if list_type == Some("map") {
        if map_keys.is_empty() {
            errs.push(fe_required(
                &child(p, LIST_MAP_KEYS),
                "must not be empty if x-kubernetes-list-type is map",
            ));
        }
        match get(s, "items") {
            None => errs.push(fe_required(
                &child(p, "items"),
                "must have a schema if x-kubernetes-list-type is map",
            )),
            Some(v @ Value::Array(_)) => errs.push(fe_invalid(
                &child(p, "items"),
                &go_json(v),
                "must only have a single schema if x-kubernetes-list-type is map",
            )),
            _ => {}
        }
        if let Some(is) = item {
            if type_of(is) != "object" {
                errs.push(fe_invalid(
                    &child(&child(p, "items"), "type"),
                    &bad_str(type_of(is)),
                    "must be object if parent array's x-kubernetes-list-type is map",
                ));
            } else {
                let keys_json = go_json(&Value::from(map_keys.clone()));
                let mut seen = Vec::new();
                for k in &map_keys {
                    match property(is, k) {
                        Some(ks) => {
                            if matches!(type_of(ks), "array" | "object") {
                                errs.push(fe_invalid(
                                    &child(&key(&child(&child(p, "items"), "properties"), k), "type"),
                                    &bad_str(type_of(is)),
                                    "must be a scalar type if parent array's x-kubernetes-list-type is map",
                                ));
                            }
                        }
                        None => errs.push(fe_invalid(
                            &child(p, LIST_MAP_KEYS),
                            &keys_json,
                            "entries must all be names of item properties",
                        )),
                    }
                    if seen.contains(&k) {
                        errs.push(fe_invalid(
                            &child(p, LIST_MAP_KEYS),
                            &keys_json,
                            "must not contain duplicate entries",
                        ));
                    }
                    seen.push(k);
                }
            }
        }
    }
    // validateMapListKeysMapSet
    if let (Some(lt @ ("set" | "map")), Some(is)) = (list_type, item) {
        if flag(is, "nullable") {
            errs.push(fe_forbidden(
                &child(&child(p, "items"), "nullable"),
                &format!("cannot be nullable when x-kubernetes-list-type is {lt}"),
            ));
        }
        if lt == "map" {
            let required = strings_of(is, "required");
            for k in &map_keys {
                let Some(ks) = property(is, k) else { continue };
                let kp = key(&child(&child(p, "items"), "properties"), k);
                if !required.contains(k) && default_of(ks).is_none() {
                    errs.push(fe_required(
                        &child(&kp, "default"),
                        "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
                    ));
                }
                if flag(ks, "nullable") {
                    errs.push(fe_forbidden(
                        &child(&kp, "nullable"),
                        "this property is in x-kubernetes-list-map-keys, so it cannot be nullable",
                    ));
                }
            }
        }
    }
}

const SUPPORTED_REASONS: [&str; 4] = [
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
];

fn has_newlines(s: &str) -> bool {
    s.contains('\n') || s.contains('\r')
}

fn validation_rules(s: &Value, p: &str, errs: &mut Vec<FieldError>) {
    for (i, rule) in schema_list(s, VALIDATIONS).iter().enumerate() {
        let rp = index(&child(p, VALIDATIONS), i);
        let text = str_of(rule, "rule");
        let message = str_of(rule, "message");
        let message_expr = str_of(rule, "messageExpression");
        let trimmed_rule = text.trim();
        let trimmed_msg = message.trim();
        if trimmed_rule.is_empty() {
            errs.push(fe_required(&child(&rp, "rule"), "rule is not specified"));
        } else if !message.is_empty() && trimmed_msg.is_empty() {
            errs.push(fe_invalid(
                &child(&rp, "message"),
                &bad_str(message),
                "must be non-empty if specified",
            ));
        } else if has_newlines(trimmed_msg) {
            errs.push(fe_invalid(
                &child(&rp, "message"),
                &bad_str(message),
                "must not contain line breaks",
            ));
        } else if has_newlines(trimmed_rule) && trimmed_msg.is_empty() {
            errs.push(fe_required(
                &child(&rp, "message"),
                "message must be specified if rule contains line breaks",
            ));
        }
        if !message_expr.is_empty() && message_expr.trim().is_empty() {
            errs.push(fe_required(
                &child(&rp, "messageExpression"),
                "messageExpression must be non-empty if specified",
            ));
        }
        if let Some(reason) = get(rule, "reason").and_then(Value::as_str)
            && !SUPPORTED_REASONS.contains(&reason)
        {
            let supported: Vec<String> = SUPPORTED_REASONS.iter().map(|r| r.to_string()).collect();
            errs.push(fe_not_supported(
                &child(&rp, "reason"),
                &bad_str(reason),
                &supported,
            ));
        }
        let field_path = str_of(rule, "fieldPath");
        if !field_path.is_empty() && field_path.trim().is_empty() {
            errs.push(fe_invalid(
                &child(&rp, "fieldPath"),
                &bad_str(field_path),
                "must be non-empty if specified",
            ));
        }
        if has_newlines(field_path) {
            errs.push(fe_invalid(
                &child(&rp, "fieldPath"),
                &bad_str(field_path),
                "must not contain line breaks",
            ));
        }
    }
}
