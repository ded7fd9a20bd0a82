//! Bodies captured from the real kubectl 1.32 (`tests/fixtures/` here):
//! `kubectl create ...`, `create token`, `auth can-i` and `auth whoami`
//! pointed at a stub HTTP server that saved each POST body, next to what
//! `kubectl create ... --dry-run=client -o json` prints for the same object.

use serde_json::{Value, json};

use crate::apiserver::protobuf::decode;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/src/apiserver/protobuf/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Go prints unset pointers, slices and times as `null`; the decoder
/// leaves them out.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[test]
fn kubectl_create_bodies_read_as_their_dry_run_json() {
    for name in [
        "serviceaccount",
        "cronjob",
        "job_command",
        "rolebinding",
        "clusterrole",
        "clusterrole_aggregated",
        "clusterrolebinding",
        "pdb",
        "pdb_zero",
        "priorityclass",
        "quota",
    ] {
        let decoded = decode(&fixture(&format!("{name}.pb"))).expect("decodes");
        let dry_run: Value =
            serde_json::from_slice(&fixture(&format!("{name}.json"))).expect("dry-run JSON");
        assert_eq!(decoded, without_nulls(dry_run), "{name}");
    }
}

/// Decodes a captured body and checks k8s-openapi reads it as `T`.
fn decoded<T: serde::de::DeserializeOwned>(name: &str) -> Value {
    let value = decode(&fixture(&format!("{name}.pb"))).expect("decodes");
    if let Err(e) = serde_json::from_value::<T>(value.clone()) {
        panic!("k8s-openapi reads {name}: {e}\n{value:#}");
    }
    value
}

#[test]
fn kubectl_create_token_bodies() {
    use k8s_openapi::api::authentication::v1::TokenRequest;
    // `create token ci --audience=... --duration=1h`. kubectl writes the
    // zero status, whose expirationTimestamp is an empty message: it is
    // left out, as k8s-openapi could not read the status without it.
    assert_eq!(
        decoded::<TokenRequest>("token"),
        json!({
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "metadata": {},
            "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": 3600},
        })
    );
    // `create token ci --bound-object-kind=Pod --bound-object-name=web ...`
    assert_eq!(
        decoded::<TokenRequest>("token_bound"),
        json!({
            "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
            "metadata": {},
            "spec": {"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "web", "uid": "8c2d"}},
        })
    );
}

#[test]
fn kubectl_auth_can_i_and_whoami_bodies() {
    use k8s_openapi::api::authentication::v1::SelfSubjectReview;
    use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
    // `auth can-i create deployments.apps -n dev`, against a server without
    // discovery (so kubectl left the resource unsplit).
    assert_eq!(
        decoded::<SelfSubjectAccessReview>("can_i"),
        json!({
            "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "metadata": {},
            "spec": {"resourceAttributes": {"namespace": "dev", "verb": "create", "resource": "deployments.apps"}},
            "status": {"allowed": false},
        })
    );
    // `auth whoami`
    assert_eq!(
        decoded::<SelfSubjectReview>("whoami"),
        json!({
            "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
            "metadata": {},
            "status": {"userInfo": {}},
        })
    );
}
