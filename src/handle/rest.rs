//! The writes both backends make, in the Kubernetes REST dialect: apply
//! (create, or a strategic merge patch where the object exists, as
//! `kubectl apply` does), JSON merge patches, deletes. Each backend brings
//! its [`Transport`]: the embedded one calls the API server in-process, the
//! kube-rs one sends the same requests over HTTPS.

use http::Method;
use serde::Deserialize;
use serde_json::Value;

use super::{FieldCause, HandleError};
use crate::api::{Kind, Object, three_way};

/// One request to a Kubernetes API.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    /// The JSON body of a 2xx answer; otherwise the Status the server
    /// answered, as [`HandleError::Refused`] (see [`refused`]).
    async fn request(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Value, HandleError>;

    /// The object as the server has it, or `None` where there is none: a
    /// GET unless the backend knows better.
    async fn current(
        &self,
        kind: Kind,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, HandleError> {
        match self
            .request(
                Method::GET,
                &item_uri(kind, namespace, name),
                None,
                Vec::new(),
            )
            .await
        {
            Ok(object) => Ok(Some(object)),
            Err(HandleError::Refused { code: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// The error a Status body describes.
pub fn refused(code: u16, status: &Value) -> HandleError {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let causes = status["details"]["causes"]
        .as_array()
        .map(|causes| {
            causes
                .iter()
                .map(|cause| FieldCause {
                    field: text(&cause["field"]),
                    message: text(&cause["message"]),
                })
                .collect()
        })
        .unwrap_or_default();
    HandleError::Refused {
        code,
        reason: text(&status["reason"]),
        message: status["message"]
            .as_str()
            .map_or_else(|| format!("the server answered {code}"), str::to_string),
        causes,
    }
}

/// A response as the handles answer it: the JSON body of a 2xx, else the
/// Status it carries as [`HandleError::Refused`].
pub fn answer(code: u16, body: &[u8]) -> Result<Value, HandleError> {
    if (200..300).contains(&code) {
        Ok(serde_json::from_slice(body).unwrap_or(Value::Null))
    } else {
        Err(failure(code, body))
    }
}

/// A non-2xx response as [`HandleError::Refused`], from the Status its
/// body carries.
pub fn failure(code: u16, body: &[u8]) -> HandleError {
    refused(code, &serde_json::from_slice(body).unwrap_or(Value::Null))
}

/// `/api/v1/namespaces/default/pods` and the like; with no namespace,
/// a namespaced kind's collection across namespaces (`/api/v1/pods`).
pub fn collection_uri(kind: Kind, namespace: &str) -> String {
    let info = kind.info();
    let prefix = if info.group.is_empty() {
        format!("/api/{}", info.version)
    } else {
        format!("/apis/{}/{}", info.group, info.version)
    };
    if kind.namespaced() && !namespace.is_empty() {
        format!("{prefix}/namespaces/{namespace}/{}", info.plural)
    } else {
        format!("{prefix}/{}", info.plural)
    }
}

pub fn item_uri(kind: Kind, namespace: &str, name: &str) -> String {
    format!("{}/{name}", collection_uri(kind, namespace))
}

fn dry_run_query(dry_run: bool) -> &'static str {
    if dry_run { "?dryRun=All" } else { "" }
}

/// Every non-empty document of a YAML file, parsed before any await (the
/// parser is not `Send`).
fn documents(yaml: &str) -> Result<Vec<Value>, HandleError> {
    let mut values = Vec::new();
    for (index, document) in serde_yaml::Deserializer::from_str(yaml).enumerate() {
        let value = Value::deserialize(document)
            .map_err(|error| HandleError::Invalid(format!("document {}: {error}", index + 1)))?;
        if !value.is_null() {
            values.push(value);
        }
    }
    Ok(values)
}

/// The kind a document names in apiVersion/kind.
fn document_kind(document: &Value, index: usize) -> Result<Kind, HandleError> {
    let api_version = document["apiVersion"].as_str().unwrap_or_default();
    let kind = document["kind"].as_str().unwrap_or_default();
    Kind::from_type_meta(api_version, kind).ok_or_else(|| {
        HandleError::Invalid(format!(
            "document {}: podium does not serve apiVersion {api_version:?} kind {kind:?}",
            index + 1
        ))
    })
}

/// The kind of a custom resource whose definition the server has but this
/// process has not seen yet (installed a moment ago, or by another client),
/// learned from the server's established definitions, as kubectl's
/// discovery would find it.
async fn learn_custom_kind(transport: &dyn Transport, document: &Value) -> Option<Kind> {
    let (group, _) = crate::api::kinds::split_api_version(document["apiVersion"].as_str()?);
    let kind = document["kind"].as_str()?;
    let uri = collection_uri(Kind::CustomResourceDefinition, "");
    let list = transport
        .request(Method::GET, &uri, None, Vec::new())
        .await
        .ok()?;
    list["items"]
        .as_array()?
        .iter()
        .filter(|item| item["spec"]["group"] == group && item["spec"]["names"]["kind"] == kind)
        .filter_map(|item| {
            let mut item = item.clone();
            // A list's items need not name their kind.
            item["apiVersion"] = "apiextensions.k8s.io/v1".into();
            item["kind"] = "CustomResourceDefinition".into();
            Object::from_json(Kind::CustomResourceDefinition, item).ok()
        })
        .find(crate::api::crd::established)
        .and_then(|definition| crate::api::crd::register(&definition))
}

/// Creates each document of a YAML file, or patches it where it exists;
/// one line per document, like kubectl: `deployment.apps/nginx created`.
/// `namespace` is where documents without one go.
pub async fn apply(
    transport: &dyn Transport,
    yaml: &str,
    namespace: &str,
    dry_run: bool,
) -> Result<Vec<String>, HandleError> {
    let mut answers = Vec::new();
    for (index, value) in documents(yaml)?.into_iter().enumerate() {
        let kind = match document_kind(&value, index) {
            Ok(kind) => kind,
            Err(unknown) => learn_custom_kind(transport, &value).await.ok_or(unknown)?,
        };
        let namespace = value["metadata"]["namespace"]
            .as_str()
            .unwrap_or(namespace)
            .to_string();
        let name = value["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        // As kubectl apply: the file's configuration goes into the
        // last-applied annotation, and an existing object gets the
        // three-way patch from it, so what the file no longer sets is removed.
        let modified = three_way::with_last_applied(&value);
        let suffix = if dry_run { " (server dry run)" } else { "" };
        let current = match name.is_empty() {
            true => None,
            false => transport.current(kind, &namespace, &name).await?,
        };
        if let Some(current) = current {
            let patch = three_way::three_way_patch(
                kind,
                three_way::last_applied(&current).as_ref(),
                &modified,
                &current,
            );
            if patch.as_object().is_some_and(|p| p.is_empty()) {
                answers.push(format!("{} unchanged{suffix}", kind.resource_name(&name)));
                continue;
            }
            let uri = format!(
                "{}{}",
                item_uri(kind, &namespace, &name),
                dry_run_query(dry_run)
            );
            transport
                .request(
                    Method::PATCH,
                    &uri,
                    Some("application/strategic-merge-patch+json"),
                    serde_json::to_vec(&patch).unwrap_or_default(),
                )
                .await?;
            answers.push(format!("{} configured{suffix}", kind.resource_name(&name)));
        } else {
            let uri = format!(
                "{}{}",
                collection_uri(kind, &namespace),
                dry_run_query(dry_run)
            );
            let created = transport
                .request(
                    Method::POST,
                    &uri,
                    Some("application/json"),
                    serde_json::to_vec(&modified).unwrap_or_default(),
                )
                .await?;
            let name = created["metadata"]["name"].as_str().unwrap_or(&name);
            answers.push(format!("{} created{suffix}", kind.resource_name(name)));
        }
    }
    if answers.is_empty() {
        return Err(HandleError::Invalid("no objects to apply".to_string()));
    }
    Ok(answers)
}

/// A JSON merge patch of one object.
pub async fn merge_patch(
    transport: &dyn Transport,
    kind: Kind,
    namespace: &str,
    name: &str,
    patch: &Value,
    dry_run: bool,
) -> Result<(), HandleError> {
    let body = serde_json::to_vec(patch).unwrap_or_default();
    let uri = format!(
        "{}{}",
        item_uri(kind, namespace, name),
        dry_run_query(dry_run)
    );
    transport
        .request(
            Method::PATCH,
            &uri,
            Some("application/merge-patch+json"),
            body,
        )
        .await
        .map(drop)
}

pub async fn delete(
    transport: &dyn Transport,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Result<(), HandleError> {
    transport
        .request(
            Method::DELETE,
            &item_uri(kind, namespace, name),
            None,
            Vec::new(),
        )
        .await
        .map(drop)
}
