//! The pod as the store holds it, shared rather than copied: a worker
//! per pod, 10k pods, and each copy of a pod is several kilobytes.

use std::sync::{Arc, LazyLock};

use k8s_openapi::api::core::v1::Pod;

use crate::api::{KubeObject, Object};

/// A stored object known to be a Pod; reads as a `&Pod`.
#[derive(Debug, Clone)]
pub struct SharedPod(Arc<Object>);

impl SharedPod {
    /// `None` when the object is not a Pod.
    pub fn new(object: Arc<Object>) -> Option<SharedPod> {
        Pod::from_object(&object)
            .is_some()
            .then_some(SharedPod(object))
    }

    /// The pod as an `Object` (what events and references take).
    pub fn object(&self) -> &Object {
        &self.0
    }
}

impl std::ops::Deref for SharedPod {
    type Target = Pod;

    fn deref(&self) -> &Pod {
        static NO_POD: LazyLock<Pod> = LazyLock::new(Pod::default);
        // `new` admits Pods only.
        Pod::from_object(&self.0).unwrap_or(&NO_POD)
    }
}
