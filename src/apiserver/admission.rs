//! The write pipeline shared by create, update and patch: decode the body,
//! convert to the storage version, check unknown fields, parse the typed
//! object, reconcile namespace and name with the URL, default, validate.

use serde_json::{Value, json};

use super::routes::ResourcePath;
use super::status::{ApiError, StatusCause, StatusDetails};
use crate::api::validation::FieldError;
use crate::api::{Kind, Object, convert, defaults, strategy, strict, validation};

/// The `fieldValidation` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Strict,
    Warn,
    Ignore,
}

impl FieldValidation {
    pub fn from_query(value: Option<&str>) -> Result<FieldValidation, ApiError> {
        match value {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation parameter unsupported: {other}"
            ))),
        }
    }
}

/// How deep the JSON and YAML decoders nest before they stop (serde's
/// recursion limit; upstream's decoders stop deeper, at 10000).
pub const MAX_NESTING: usize = 128;

/// A body that does not parse: where, and for a body nested too deep, the limit.
fn parse_error(format: &str, error: &dyn std::fmt::Display) -> ApiError {
    let error = error.to_string();
    let limit = if error.contains("recursion limit exceeded") {
        format!(
            "; the body nests deeper than {MAX_NESTING} levels, the limit of objects and lists inside each other"
        )
    } else {
        String::new()
    };
    ApiError::bad_request(format!(
        "couldn't get version/kind; {format} parse error: {error}{limit}"
    ))
}

/// A request body decoded by its Content-Type.
pub fn decode_body(content_type: Option<&str>, body: &[u8]) -> Result<Value, ApiError> {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(str::trim)
        .unwrap_or("application/json");
    let value = match media {
        "application/json" | "" => {
            serde_json::from_slice::<Value>(body).map_err(|e| parse_error("json", &e))?
        }
        "application/yaml" | "application/x-yaml" | "text/yaml" => {
            serde_yaml::from_slice::<Value>(body).map_err(|e| parse_error("yaml", &e))?
        }
        "application/vnd.kubernetes.protobuf" => super::protobuf::decode(body)
            .map_err(|e| ApiError::new(415, "UnsupportedMediaType", e.to_string()))?,
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(
            "couldn't get version/kind; the body is not a JSON object",
        ));
    }
    Ok(value)
}

/// An object ready to be stored, and warnings for the `Warning` header.
#[derive(Debug)]
pub struct Admitted {
    pub object: Object,
    pub warnings: Vec<String>,
}

/// Runs the pipeline on a decoded body addressed to `path`. `old` is the
/// stored object on update and patch.
pub fn admit(
    path: &ResourcePath,
    mut value: Value,
    old: Option<&Object>,
    field_validation: FieldValidation,
) -> Result<Admitted, ApiError> {
    let info = path.kind.info();
    let expected_api_version = path.api_version();
    let api_version = match value.get("apiVersion").and_then(Value::as_str) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => expected_api_version.clone(),
    };
    let kind_name = match value.get("kind").and_then(Value::as_str) {
        Some(k) if !k.is_empty() => k.to_string(),
        _ => info.kind_name.to_string(),
    };
    if kind_name != info.kind_name || !path.serves_api_version(&api_version) {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({expected_api_version})"
        ))
        .with_object(path.kind, path.name.as_deref().unwrap_or("")));
    }
    value["apiVersion"] = json!(api_version);
    value["kind"] = json!(kind_name);
    // Unknown fields are named as the client sent them, before conversion.
    let unknown = match field_validation {
        FieldValidation::Ignore => Vec::new(),
        _ if path.definition.is_some() => Vec::new(),
        _ => strict::unknown_field_messages_in_version(path.kind, &api_version, &value),
    };
    let mut value = convert::to_storage_version(path.kind, &api_version, value)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    // From here on the body is in the storage version, whatever the URL said.
    let storage_api_version = path.storage_api_version();
    value["apiVersion"] = json!(storage_api_version);
    let version = api_version.rsplit('/').next().unwrap_or("v1").to_string();
    let cannot_handle = |detail: String| {
        ApiError::bad_request(format!(
            "{kind} in version \"{version}\" cannot be handled as a {kind}: {detail}",
            kind = info.kind_name
        ))
    };

    // A custom resource is checked against its definition's schema:
    // unknown fields pruned (and named), defaults, then validation.
    let mut unknown = unknown;
    let mut schema_errors = Vec::new();
    let mut cel_warning = None;
    if let Some(definition) = &path.definition
        && let Some(schema) =
            crate::api::crd::version(&definition.0, &version).and_then(|v| v.schema.cloned())
    {
        let pruned = crate::api::crd_schema::prune(&schema, &mut value);
        if field_validation != FieldValidation::Ignore {
            unknown.extend(pruned.iter().map(|p| format!("unknown field \"{p}\"")));
        }
        crate::api::crd_schema::apply_defaults(&schema, &mut value);
        schema_errors = crate::api::crd_schema::validate(&schema, &value);
        let rules = crate::api::crd_schema::cel_rules(&schema);
        if !rules.is_empty() {
            let listed: Vec<String> = rules
                .iter()
                .map(|(at, rule)| {
                    let at = if at.is_empty() { "<root>" } else { at.as_str() };
                    format!("{at}: {rule}")
                })
                .collect();
            cel_warning = Some(format!(
                "podium does not evaluate x-kubernetes-validations rules; not enforced: {}",
                listed.join("; ")
            ));
        }
    }
    if field_validation == FieldValidation::Strict && !unknown.is_empty() {
        return Err(ApiError::bad_request(strict::strict_decoding_message(
            path.kind,
            &api_version,
            &unknown,
        )));
    }
    let mut warnings = unknown;
    warnings.extend(cel_warning);

    match &path.definition {
        Some(definition) => {
            if let Some(served) = crate::api::crd::version(&definition.0, &version)
                && served.deprecated
            {
                warnings.push(served.deprecation_warning.map_or_else(
                    || format!("{api_version} {} is deprecated", info.kind_name),
                    str::to_string,
                ));
            }
        }
        None if version != info.version => warnings.push(format!(
            "{api_version} {kind} is deprecated; use {preferred} {kind}",
            kind = info.kind_name,
            preferred = storage_api_version
        )),
        None => {}
    }
    let mut object =
        Object::from_json(path.kind, value).map_err(|e| cannot_handle(e.to_string()))?;
    reconcile_namespace(path, &mut object)?;
    reconcile_name(path, &mut object)?;
    defaults::apply_defaults(&mut object);
    match old {
        None => strategy::prepare_for_create(&mut object),
        Some(old) => strategy::prepare_for_update(&mut object, old),
    }
    let mut errors: Vec<FieldError> = schema_errors.iter().map(FieldError::from_schema).collect();
    errors.extend(validation::validate(&object, old));
    if !errors.is_empty() {
        return Err(invalid(path.kind, object.name(), &errors));
    }
    Ok(Admitted { object, warnings })
}

fn reconcile_namespace(path: &ResourcePath, object: &mut Object) -> Result<(), ApiError> {
    let meta = object.meta_mut();
    if !path.kind.namespaced() {
        meta.namespace = None;
        return Ok(());
    }
    let Some(url_namespace) = &path.namespace else {
        return Err(ApiError::bad_request(
            "the namespace of the object must be given in the request path",
        ));
    };
    match meta.namespace.as_deref() {
        None | Some("") => meta.namespace = Some(url_namespace.clone()),
        Some(ns) if ns == url_namespace => {}
        Some(_) => {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    Ok(())
}

fn reconcile_name(path: &ResourcePath, object: &mut Object) -> Result<(), ApiError> {
    let meta = object.meta_mut();
    if let Some(url_name) = &path.name {
        match meta.name.as_deref() {
            None | Some("") => meta.name = Some(url_name.clone()),
            Some(name) if name == url_name => {}
            Some(name) => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({name}) does not match the name on the URL ({url_name})"
                )));
            }
        }
    }
    let has_name = meta.name.as_deref().is_some_and(|n| !n.is_empty());
    let has_generate = meta.generate_name.as_deref().is_some_and(|n| !n.is_empty());
    if !has_name && !has_generate {
        return Err(invalid(
            path.kind,
            "",
            &[FieldError {
                field: "metadata.name".into(),
                reason: validation::FieldErrorReason::Required,
                message: "metadata.name: Required value: name or generateName is required".into(),
            }],
        ));
    }
    Ok(())
}

/// A 422 Invalid as upstream words it:
/// `Deployment.apps "x" is invalid: spec.replicas: Invalid value: ...`.
pub fn invalid(kind: Kind, name: &str, errors: &[FieldError]) -> ApiError {
    let info = kind.info();
    let causes = errors
        .iter()
        .map(|e| StatusCause {
            reason: e.reason.cause_type().to_string(),
            message: e.body().to_string(),
            field: e.field.clone(),
        })
        .collect();
    let details = StatusDetails {
        causes,
        ..StatusDetails::naming(name, info.group, info.kind_name)
    };
    ApiError {
        code: 422,
        reason: "Invalid",
        message: validation::invalid_message(kind, name, errors),
        details: Some(Box::new(details)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::validation::FieldErrorReason;

    fn deployments_path(name: Option<&str>) -> ResourcePath {
        ResourcePath {
            kind: Kind::Deployment,
            version: "v1".into(),
            namespace: Some("default".into()),
            name: name.map(str::to_string),
            subresource: None,
            watch_prefix: false,
            definition: None,
        }
    }

    #[test]
    fn type_errors_name_the_field() {
        let body = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "x"}, "spec": {"replicas": "three"}});
        let err = admit(&deployments_path(None), body, None, FieldValidation::Strict)
            .expect_err("rejected");
        assert_eq!(err.code, 400);
        assert!(err.message.contains("spec.replicas"), "{}", err.message);
        assert!(
            err.message
                .starts_with("Deployment in version \"v1\" cannot be handled as a Deployment"),
            "{}",
            err.message
        );
    }

    #[test]
    fn namespace_comes_from_the_url_and_must_match() {
        let spec = json!({
            "selector": {"matchLabels": {"app": "x"}},
            "template": {"metadata": {"labels": {"app": "x"}},
                         "spec": {"containers": [{"name": "x", "image": "x:1"}]}},
        });
        let body = json!({"metadata": {"name": "x"}, "spec": spec});
        let ok =
            admit(&deployments_path(None), body, None, FieldValidation::Strict).expect("admitted");
        assert_eq!(ok.object.namespace(), "default");
        let body = json!({"metadata": {"name": "x", "namespace": "other"}, "spec": spec});
        let err = admit(&deployments_path(None), body, None, FieldValidation::Strict)
            .expect_err("rejected");
        assert_eq!(err.code, 400);
    }

    #[test]
    fn name_must_match_the_url() {
        let body = json!({"metadata": {"name": "y"}});
        let err = admit(
            &deployments_path(Some("x")),
            body,
            None,
            FieldValidation::Strict,
        )
        .expect_err("rejected");
        assert_eq!(
            err.message,
            "the name of the object (y) does not match the name on the URL (x)"
        );
    }

    #[test]
    fn invalid_reads_like_upstream() {
        let err = invalid(
            Kind::Deployment,
            "x",
            &[FieldError {
                field: "spec.replicas".into(),
                reason: FieldErrorReason::Invalid,
                message: "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
                    .into(),
            }],
        );
        assert_eq!(
            err.message,
            "Deployment.apps \"x\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        let status = err.to_status();
        assert_eq!(status["details"]["causes"][0]["field"], "spec.replicas");
        assert_eq!(
            status["details"]["causes"][0]["message"],
            "Invalid value: -1: must be greater than or equal to 0"
        );
    }

    #[test]
    fn unsupported_media_type_is_415() {
        let err = decode_body(Some("text/html"), b"<html>").expect_err("rejected");
        assert_eq!(err.code, 415);
        let err = decode_body(Some("application/yaml"), b"a: [").expect_err("rejected");
        assert_eq!(err.code, 400);
    }
}
