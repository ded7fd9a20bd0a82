//! metrics.k8s.io/v1beta1: podium is its own metrics-server. PodMetrics
//! and NodeMetrics are answered from the runtime on each request, never
//! stored: each running pod's containers as the runtime measures them
//! (Docker's stats stream) or simulates them (the sim's annotation model,
//! `kubelet::usage`), and each node as the sum of its pods. A pod with no
//! figures yet is left out of lists and a 404 when asked for, as
//! metrics-server does, which `kubectl top` reports as "metrics not
//! available yet".

use http::Response;
use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::{Value, json};

use super::crud::{Call, list_filter};
use super::http::{Body, json_response};
use super::status::ApiError;
use crate::api::{Kind, KubeObject};
use crate::kubelet::usage::Usage;

const API_VERSION: &str = "metrics.k8s.io/v1beta1";
/// The window metrics-server reports its rates over.
const WINDOW: &str = "10s";

pub async fn serve(call: &Call<'_>, method: &str) -> Result<Response<Body>, ApiError> {
    if method != "GET" && method != "HEAD" {
        return Err(ApiError::method_not_allowed(method));
    }
    let node_metrics = call.path.kind == Kind::NodeMetrics;
    let mut items = Vec::new();
    if node_metrics {
        let pods = pods(call, None)?;
        for node in nodes(call) {
            let name = node.metadata.name.clone().unwrap_or_default();
            if call
                .path
                .name
                .as_ref()
                .is_some_and(|wanted| *wanted != name)
            {
                continue;
            }
            let mut usage = Usage::default();
            for pod in pods.iter().filter(|p| node_of(p) == Some(name.as_str())) {
                for (_, container) in call.state.logs.pod_usage(pod).await.unwrap_or_default() {
                    usage.add(container);
                }
            }
            items.push(json!({
                "metadata": metadata(&node.metadata, false),
                "timestamp": now(),
                "window": WINDOW,
                "usage": quantities(usage),
            }));
        }
    } else {
        for pod in pods(call, call.path.namespace.as_deref())? {
            if call.path.name.as_ref() != pod.metadata.name.as_ref() && call.path.name.is_some() {
                continue;
            }
            let Some(usage) = call.state.logs.pod_usage(&pod).await else {
                continue;
            };
            let containers: Vec<Value> = usage
                .into_iter()
                .map(|(name, usage)| json!({"name": name, "usage": quantities(usage)}))
                .collect();
            items.push(json!({
                "metadata": metadata(&pod.metadata, true),
                "timestamp": now(),
                "window": WINDOW,
                "containers": containers,
            }));
        }
    }
    let kind = if node_metrics {
        "NodeMetrics"
    } else {
        "PodMetrics"
    };
    match &call.path.name {
        Some(name) => {
            let Some(mut item) = items.pop() else {
                let resource = if node_metrics {
                    "nodemetrics"
                } else {
                    "podmetrics"
                };
                return Err(ApiError::new(
                    404,
                    "NotFound",
                    format!("{resource}.metrics.k8s.io \"{name}\" not found"),
                ));
            };
            item["kind"] = json!(kind);
            item["apiVersion"] = json!(API_VERSION);
            Ok(json_response(200, &item))
        }
        None => Ok(json_response(
            200,
            &json!({
                "kind": format!("{kind}List"),
                "apiVersion": API_VERSION,
                "metadata": {},
                "items": items,
            }),
        )),
    }
}

fn pods(call: &Call, namespace: Option<&str>) -> Result<Vec<Pod>, ApiError> {
    let filter = list_filter(call.query)?;
    let list = call.state.store.list(Kind::Pod, namespace, &filter);
    Ok(list
        .items
        .iter()
        .filter_map(|o| Pod::from_object(o).cloned())
        .collect())
}

fn nodes(call: &Call) -> Vec<Node> {
    let filter = list_filter(call.query).unwrap_or_default();
    call.state
        .store
        .list(Kind::Node, None, &filter)
        .items
        .iter()
        .filter_map(|o| Node::from_object(o).cloned())
        .collect()
}

fn node_of(pod: &Pod) -> Option<&str> {
    pod.spec.as_ref()?.node_name.as_deref()
}

fn metadata(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    namespaced: bool,
) -> Value {
    let mut out = json!({"name": meta.name, "creationTimestamp": now()});
    if namespaced {
        out["namespace"] = json!(meta.namespace);
    }
    if let Some(labels) = &meta.labels {
        out["labels"] = json!(labels);
    }
    out
}

fn quantities(usage: Usage) -> Value {
    json!({"cpu": usage.cpu_quantity(), "memory": usage.memory_quantity()})
}

fn now() -> Value {
    serde_json::to_value(crate::clock::now_time()).unwrap_or(Value::Null)
}
