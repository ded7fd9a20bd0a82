//! What `d` shows: the text `kubectl describe` prints for an object, from
//! the object and the objects related to it. The sections, their order and
//! their labels follow kubectl's describers; the kinds podium serves all
//! get the common header and the Events table, and the ones the
//! walkthrough looks at (Pod, Deployment, ReplicaSet, Service, Node) their
//! own sections; the others kubectl's generic describer (every field as
//! an indented tree).

mod format;
mod generic;
mod ingress;
mod kinds;

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
pub fn describe(object: &Object, related: &Related<'_>, now: Timestamp) -> String {
    let mut out = format::Out::default();
    kinds::describe(&mut out, object, related, now);
    format::events(&mut out, &related.events, now);
    out.finish()
}
