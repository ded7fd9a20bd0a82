//! Create, read, update, patch and delete of objects and collections.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderValue, Response};
use serde_json::Value;

use super::ServerState;
use super::admission::{self, FieldValidation};
use super::encode;
use super::http::{Body, Query, json_bytes, streaming_response};
use super::routes::ResourcePath;
use super::service_alloc;
use super::status::ApiError;
use crate::api::patch::{self, PatchType};
use crate::api::selector::{FieldSelector, LabelSelector};
use crate::api::{Kind, Object, convert};
use crate::store::{DeleteOptions, ListFilter, ListResult, Propagation, UpdateScope};

/// What one request carries besides its path.
pub struct Call<'a> {
    pub state: &'a ServerState,
    /// Who asks (after impersonation).
    pub user: &'a crate::api::rbac::UserInfo,
    pub path: &'a ResourcePath,
    pub query: &'a Query,
    pub content_type: Option<&'a str>,
    /// `Accept` asked for `as=Table`.
    pub table: bool,
    pub body: Bytes,
}

impl Call<'_> {
    fn namespace(&self) -> &str {
        self.path.namespace.as_deref().unwrap_or("")
    }

    fn name(&self) -> &str {
        self.path.name.as_deref().unwrap_or("")
    }

    fn dry_run(&self) -> bool {
        self.query.get("dryRun") == Some("All")
    }

    pub fn field_validation(&self) -> Result<FieldValidation, ApiError> {
        FieldValidation::from_query(self.query.get("fieldValidation"))
    }

    pub fn existing(&self) -> Result<Arc<Object>, ApiError> {
        self.state
            .store
            .get(self.path.kind, self.namespace(), self.name())
            .ok_or_else(|| {
                ApiError::from_store(crate::store::StoreError::NotFound {
                    kind: self.path.kind,
                    name: self.name().to_string(),
                })
            })
    }

    /// The object in the requested version, or as a Table.
    pub fn object_response(
        &self,
        code: u16,
        object: &Object,
        warnings: &[String],
    ) -> Response<Body> {
        let bytes = if self.table {
            let rv = object.resource_version();
            encode::value_bytes(&super::table::table_for(
                self.path,
                &[Arc::new(object.clone())],
                rv,
                super::table::IncludeObject::Metadata,
            ))
        } else {
            encode::object_bytes(object, self.path)
        };
        let mut response = json_bytes(code, bytes);
        for warning in warnings {
            let text = format!("299 - {}", serde_json::Value::String(warning.clone()));
            if let Ok(value) = HeaderValue::from_str(&text) {
                response.headers_mut().append("Warning", value);
            }
        }
        response
    }
}

pub fn list_filter(query: &Query) -> Result<ListFilter, ApiError> {
    let labels = match query.get("labelSelector").filter(|s| !s.trim().is_empty()) {
        Some(text) => Some(
            LabelSelector::parse(text)
                .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?,
        ),
        None => None,
    };
    let fields = match query.get("fieldSelector").filter(|s| !s.trim().is_empty()) {
        Some(text) => Some(
            FieldSelector::parse(text)
                .map_err(|e| ApiError::bad_request(format!("invalid field selector: {e}")))?,
        ),
        None => None,
    };
    Ok(ListFilter { labels, fields })
}

pub fn list(call: &Call) -> Result<Response<Body>, ApiError> {
    let filter = list_filter(call.query)?;
    let store = &call.state.store;
    let result = store.list(call.path.kind, call.path.namespace.as_deref(), &filter);
    // kubectl and informers watch from the list's resourceVersion next.
    store.keep_for_watch(call.path.kind, result.resource_version);
    if !call.table && result.items.len() > STREAMED_LIST {
        return Ok(streamed_list(result, call.path.clone()));
    }
    let bytes = if call.table {
        encode::value_bytes(&super::table::table_for(
            call.path,
            &result.items,
            result.resource_version,
            super::table::IncludeObject::Metadata,
        ))
    } else {
        encode::list_bytes(&result.items, result.resource_version, call.path)
    };
    Ok(json_bytes(200, bytes))
}

/// Lists longer than this go out in pieces as they are encoded.
const STREAMED_LIST: usize = 1_000;

fn streamed_list(result: ListResult, path: ResourcePath) -> Response<Body> {
    let (tx, response) = streaming_response("application/json");
    tokio::spawn(async move {
        for piece in encode::ListPieces::new(result.items, result.resource_version, path) {
            if tx.send(Bytes::from(piece)).await.is_err() {
                return; // the client went away
            }
        }
    });
    response
}

pub fn get(call: &Call) -> Result<Response<Body>, ApiError> {
    let object = call.existing()?;
    Ok(call.object_response(200, &object, &[]))
}

/// Checks Service IPs and ports; the caller holds the allocation lock.
fn allocate(call: &Call, object: &mut Object, old: Option<&Object>) -> Result<(), ApiError> {
    if let Object::Service(service) = object {
        let old = old.and_then(|o| o.as_typed());
        let errors = service_alloc::allocate(&call.state.store, service, old);
        if !errors.is_empty() {
            return Err(admission::invalid(Kind::Service, object.name(), &errors));
        }
    }
    Ok(())
}

pub fn create(call: &Call) -> Result<Response<Body>, ApiError> {
    let value = admission::decode_body(call.content_type, &call.body)?;
    create_value(call, value)
}

/// Admits and stores a new object given as JSON (a create's body, or what
/// a server-side apply makes of an absent object).
pub fn create_value(call: &Call, mut value: Value) -> Result<Response<Body>, ApiError> {
    // The server names every object; a client's uid is ignored, as upstream.
    if let Some(meta) = value["metadata"].as_object_mut() {
        meta.remove("uid");
    }
    let admitted = admission::admit(call.path, value, None, call.field_validation()?)?;
    let mut object = admitted.object;
    if let Object::Pod(pod) = &mut object {
        let store = &call.state.store;
        crate::api::service_account::mount_token(pod, |namespace, name| {
            store
                .get(Kind::ServiceAccount, namespace, name)
                .map(|a| (*a).clone())
        });
    }
    let _allocating = call.state.allocation.lock();
    allocate(call, &mut object, None)?;
    if call.dry_run() {
        return Ok(call.object_response(201, &object, &admitted.warnings));
    }
    let stored = call.state.store.create(object)?;
    Ok(call.object_response(201, &stored, &admitted.warnings))
}

pub fn update(call: &Call, scope: UpdateScope) -> Result<Response<Body>, ApiError> {
    let value = admission::decode_body(call.content_type, &call.body)?;
    let old = call.existing()?;
    let admitted = admission::admit(call.path, value, Some(&old), call.field_validation()?)?;
    store_update(call, admitted.object, &old, scope, &admitted.warnings)
}

pub fn store_update(
    call: &Call,
    mut object: Object,
    old: &Object,
    scope: UpdateScope,
    warnings: &[String],
) -> Result<Response<Body>, ApiError> {
    let _allocating = call.state.allocation.lock();
    if scope == UpdateScope::Main {
        allocate(call, &mut object, Some(old))?;
    }
    if call.dry_run() {
        return Ok(call.object_response(200, &object, warnings));
    }
    let stored = call.state.store.update(object, scope)?;
    Ok(call.object_response(200, &stored, warnings))
}

/// The patch type of a PATCH request, or why it is refused.
pub fn patch_type(content_type: Option<&str>) -> Result<PatchType, ApiError> {
    let content_type = content_type.unwrap_or("");
    PatchType::from_content_type(content_type)
        .ok_or_else(|| ApiError::unsupported_media_type(content_type))
}

/// Applies a patch to the stored object (in the URL's version), then runs
/// the write pipeline. Retries on conflict unless the patch pins a
/// resourceVersion.
pub fn patch(call: &Call, scope: UpdateScope) -> Result<Response<Body>, ApiError> {
    if call
        .content_type
        .is_some_and(|c| c.starts_with("application/apply-patch"))
    {
        return super::server_side_apply::apply(call, scope);
    }
    let patch_type = patch_type(call.content_type)?;
    if patch_type == PatchType::StrategicMerge && call.path.definition.is_some() {
        // Custom resources have no patch strategies to merge by (upstream's answer).
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
        ));
    }
    let patch_value: Value = serde_json::from_slice(&call.body)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    let pinned = patch_value
        .pointer("/metadata/resourceVersion")
        .is_some_and(|v| !v.is_null());
    let field_validation = call.field_validation()?;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let old = call.existing()?;
        let original = in_requested_version(call, &old);
        let patched = patch::apply_patch(call.path.kind, patch_type, &original, &patch_value)
            .map_err(|e| ApiError::new(422, "Invalid", e.to_string()))?;
        let admitted = admission::admit(call.path, patched, Some(&old), field_validation)?;
        match store_update(call, admitted.object, &old, scope, &admitted.warnings) {
            Err(error) if error.reason == "Conflict" && !pinned && attempts < 5 => continue,
            other => return other,
        }
    }
}

/// The stored object as JSON in the version the request addresses: what
/// a patch applies to.
pub fn in_requested_version(call: &Call, old: &Object) -> Value {
    let mut original = old.to_json();
    if call.path.definition.is_some() {
        original["apiVersion"] = Value::String(call.path.api_version());
    } else if call.path.version != call.path.kind.info().version {
        original =
            convert::from_storage_version(call.path.kind, &call.path.api_version(), original);
    }
    original
}

fn delete_options(call: &Call) -> Result<DeleteOptions, ApiError> {
    let body: Value = if call.body.iter().all(u8::is_ascii_whitespace) {
        Value::Null
    } else {
        serde_json::from_slice(&call.body)
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
    };
    let policy = call
        .query
        .get("propagationPolicy")
        .map(str::to_string)
        .or_else(|| body["propagationPolicy"].as_str().map(str::to_string));
    let orphan = body["orphanDependents"].as_bool().or_else(|| {
        call.query
            .get("orphanDependents")
            .map(|_| call.query.flag("orphanDependents"))
    });
    let propagation = match (policy.as_deref(), orphan) {
        (Some("Background"), _) => Some(Propagation::Background),
        (Some("Foreground"), _) => Some(Propagation::Foreground),
        (Some("Orphan"), _) | (None, Some(true)) => Some(Propagation::Orphan),
        (None, _) => None,
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!(
                "propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
            )));
        }
    };
    let grace_period_seconds = match call.query.int("gracePeriodSeconds")? {
        Some(g) => Some(g),
        None => body["gracePeriodSeconds"].as_i64(),
    };
    Ok(DeleteOptions {
        propagation,
        grace_period_seconds,
        precondition_uid: body
            .pointer("/preconditions/uid")
            .and_then(Value::as_str)
            .map(str::to_string),
        precondition_resource_version: body
            .pointer("/preconditions/resourceVersion")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

pub fn delete(call: &Call) -> Result<Response<Body>, ApiError> {
    let options = delete_options(call)?;
    if call.dry_run() {
        let object = call.existing()?;
        return Ok(call.object_response(200, &object, &[]));
    }
    if call.path.kind == Kind::CustomResourceDefinition {
        delete_custom_resources(call, &options)?;
    }
    let deletion =
        call.state
            .store
            .delete(call.path.kind, call.namespace(), call.name(), &options)?;
    Ok(call.object_response(200, deletion.object(), &[]))
}

/// Deleting a definition deletes its objects first, as upstream's
/// `customresourcecleanup` finalizer does before the definition goes.
fn delete_custom_resources(call: &Call, options: &DeleteOptions) -> Result<(), ApiError> {
    let definition = call.existing()?;
    let Some(kind) = crate::api::crd::register(&definition) else {
        return Ok(());
    };
    let store = &call.state.store;
    for object in store.list(kind, None, &ListFilter::default()).items {
        match store.delete(kind, object.namespace(), object.name(), options) {
            Ok(_) | Err(crate::store::StoreError::NotFound { .. }) => {}
            Err(error) => return Err(ApiError::from_store(error)),
        }
    }
    Ok(())
}

pub fn delete_collection(call: &Call) -> Result<Response<Body>, ApiError> {
    let options = delete_options(call)?;
    let filter = list_filter(call.query)?;
    let store = &call.state.store;
    let listed = store.list(call.path.kind, call.path.namespace.as_deref(), &filter);
    let mut deleted = Vec::with_capacity(listed.items.len());
    for object in &listed.items {
        if call.dry_run() {
            deleted.push(object.clone());
            continue;
        }
        match store.delete(call.path.kind, object.namespace(), object.name(), &options) {
            Ok(deletion) => deleted.push(deletion.object().clone()),
            // Deleted meanwhile by someone else: nothing to do.
            Err(crate::store::StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let rv = store.resource_version();
    Ok(json_bytes(200, encode::list_bytes(&deleted, rv, call.path)))
}
