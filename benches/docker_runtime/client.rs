//! One API client connection for the rollout measures, so that podium's
//! figures hold podium's work and not kubectl's start (about 0.1 s a
//! command, which the raw program does not pay).

use std::path::Path;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use podium::controllers::deployment::deployment_complete;
use podium::controllers::util::is_pod_ready;
use serde_json::json;

pub struct Client {
    deployments: Api<Deployment>,
    pods: Api<Pod>,
}

impl Client {
    pub async fn new(kubeconfig: &Path) -> Client {
        let kubeconfig = Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .expect("client config");
        let client = kube::Client::try_from(config).expect("client");
        Client {
            deployments: Api::namespaced(client.clone(), "default"),
            pods: Api::namespaced(client, "default"),
        }
    }

    /// From the PATCH of `container`'s image to the rollout complete, as
    /// `kubectl rollout status` judges it.
    pub async fn rollout(&self, name: &str, container: &str, image: &str) -> Duration {
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": container, "image": image}
        ]}}}});
        let began = Instant::now();
        let patched = self
            .deployments
            .patch(name, &PatchParams::default(), &Patch::Strategic(patch))
            .await
            .expect("patch the image");
        if !rolled_out(&patched) {
            self.watch_until(&self.deployments, name, &patched, rolled_out)
                .await;
        }
        began.elapsed()
    }

    /// From the POST of `pod` to its Ready condition.
    pub async fn pod_ready(&self, pod: Pod) -> Duration {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let began = Instant::now();
        let created = self
            .pods
            .create(&PostParams::default(), &pod)
            .await
            .expect("create the pod");
        self.watch_until(&self.pods, &name, &created, is_pod_ready)
            .await;
        began.elapsed()
    }

    pub async fn delete_pod(&self, name: &str) {
        self.pods
            .delete(name, &Default::default())
            .await
            .expect("delete the pod");
    }

    async fn watch_until<K>(&self, api: &Api<K>, name: &str, from: &K, done: fn(&K) -> bool)
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        let version = from.meta().resource_version.clone().unwrap_or_default();
        let params = WatchParams::default().fields(&format!("metadata.name={name}"));
        let mut events = api.watch(&params, &version).await.expect("watch").boxed();
        while let Some(event) = events.try_next().await.expect("watch event") {
            if let WatchEvent::Added(object) | WatchEvent::Modified(object) = event
                && done(&object)
            {
                return;
            }
        }
        panic!("the watch of {name} ended first");
    }
}

/// `kubectl rollout status`'s test, which is upstream's DeploymentComplete:
/// the controller saw the change, every replica is updated and available,
/// and no old one is left.
fn rolled_out(deployment: &Deployment) -> bool {
    deployment
        .status
        .as_ref()
        .is_some_and(|status| deployment_complete(deployment, status))
}
