//! What `d` shows: the text `kubectl describe` prints for an object, from
//! the object and the objects related to it.
//!
//! CONTRACT (owned by the describe author; the app integrates against this
//! signature): the app gathers the related objects from its model and
//! shows the returned text in a scrollable pane.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Endpoints, Event, Pod};
use k8s_openapi::jiff::Timestamp;

use crate::api::Object;

/// Objects `kubectl describe` also reads for the one described.
#[derive(Default)]
pub struct Related<'a> {
    /// Events whose involvedObject is the object.
    pub events: Vec<&'a Event>,
    /// Pods the object selects or owns (Deployments, ReplicaSets, Services, Nodes).
    pub pods: Vec<&'a Pod>,
    /// ReplicaSets the Deployment owns (OldReplicaSets / NewReplicaSet).
    pub replica_sets: Vec<&'a ReplicaSet>,
    /// A Service's Endpoints.
    pub endpoints: Option<&'a Endpoints>,
}

/// The describe text of `object` at `now` (ages are relative to it).
pub fn describe(object: &Object, _related: &Related<'_>, _now: Timestamp) -> String {
    format!("{object:?}")
}
