//! What every namespace holds from its first moment, as upstream's
//! service-account and root-ca-cert-publisher controllers make them: the
//! `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap with the
//! cluster's CA (in-cluster clients read it to trust the API server).
//! Either one deleted comes back.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::json;

use super::ControllerError;
use super::runner::Reconciler;
use crate::api::{Kind, Object};
use crate::store::{ListFilter, ObjectKey, Store, StoreError, WatchEvent};

pub const DEFAULT_SERVICE_ACCOUNT: &str = "default";
pub use crate::api::service_account::ROOT_CA_CONFIG_MAP;
/// The annotation upstream's publisher puts on the ConfigMap.
const DESCRIPTION: &str = "kubernetes.io/description";
const DESCRIPTION_TEXT: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

pub struct NamespaceDefaults {
    store: Store,
    /// The CA that signs the API server's certificate, as PEM; `None` when
    /// the server has none (no ConfigMap is made then).
    root_ca: Option<String>,
}

impl NamespaceDefaults {
    pub fn new(store: Store, root_ca: Option<String>) -> NamespaceDefaults {
        NamespaceDefaults { store, root_ca }
    }

    fn ensure_service_account(&self, namespace: &str) -> Result<(), ControllerError> {
        if self
            .store
            .get(Kind::ServiceAccount, namespace, DEFAULT_SERVICE_ACCOUNT)
            .is_some()
        {
            return Ok(());
        }
        let account = Object::from_json(
            Kind::ServiceAccount,
            json!({
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": DEFAULT_SERVICE_ACCOUNT, "namespace": namespace},
            }),
        )
        .map_err(|e| ControllerError::Invalid(e.to_string()))?;
        ignore_races(self.store.create(account))
    }

    fn ensure_root_ca(&self, namespace: &str) -> Result<(), ControllerError> {
        let Some(ca) = &self.root_ca else {
            return Ok(());
        };
        let wanted = BTreeMap::from([("ca.crt".to_string(), ca.clone())]);
        match self
            .store
            .get(Kind::ConfigMap, namespace, ROOT_CA_CONFIG_MAP)
            .as_deref()
        {
            Some(Object::ConfigMap(existing)) if existing.data.as_ref() == Some(&wanted) => Ok(()),
            Some(Object::ConfigMap(existing)) => {
                let mut updated = existing.clone();
                updated.data = Some(wanted);
                ignore_races(
                    self.store
                        .update(*updated, crate::store::UpdateScope::Main)
                        .map(|_| ()),
                )
            }
            _ => {
                let config_map = ConfigMap {
                    metadata: ObjectMeta {
                        name: Some(ROOT_CA_CONFIG_MAP.to_string()),
                        namespace: Some(namespace.to_string()),
                        annotations: Some(BTreeMap::from([(
                            DESCRIPTION.to_string(),
                            DESCRIPTION_TEXT.to_string(),
                        )])),
                        ..Default::default()
                    },
                    data: Some(wanted),
                    ..Default::default()
                };
                ignore_races(self.store.create(config_map).map(|_| ()))
            }
        }
    }
}

/// Another writer got there first, or the namespace is going: nothing to do.
fn ignore_races<T>(result: Result<T, StoreError>) -> Result<(), ControllerError> {
    match result {
        Ok(_)
        | Err(StoreError::AlreadyExists { .. })
        | Err(StoreError::Conflict { .. })
        | Err(StoreError::NotFound { .. })
        | Err(StoreError::NamespaceNotFound { .. })
        | Err(StoreError::NamespaceTerminating { .. }) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

impl Reconciler for NamespaceDefaults {
    fn name(&self) -> &'static str {
        "namespace-defaults"
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Namespace, Kind::ServiceAccount, Kind::ConfigMap])
    }

    fn keys_for_event(&self, event: &WatchEvent) -> Vec<ObjectKey> {
        let object = &event.object;
        let namespace = if object.kind() == Kind::Namespace {
            object.name()
        } else if (object.kind() == Kind::ServiceAccount
            && object.name() == DEFAULT_SERVICE_ACCOUNT)
            || (object.kind() == Kind::ConfigMap && object.name() == ROOT_CA_CONFIG_MAP)
        {
            object.namespace()
        } else {
            return Vec::new();
        };
        vec![ObjectKey::new(Kind::Namespace, "", namespace)]
    }

    fn all_keys(&self) -> Vec<ObjectKey> {
        self.store
            .list(Kind::Namespace, None, &ListFilter::default())
            .items
            .iter()
            .map(|o| ObjectKey::of(o))
            .collect()
    }

    fn reconcile(&self, key: &ObjectKey) -> Result<Option<Duration>, ControllerError> {
        let Some(namespace) = self.store.get(Kind::Namespace, "", &key.name) else {
            return Ok(None);
        };
        if namespace.meta().deletion_timestamp.is_some() {
            return Ok(None);
        }
        self.ensure_service_account(&key.name)?;
        self.ensure_root_ca(&key.name)?;
        Ok(None)
    }
}
