//! `Object`: one stored Kubernetes object of any kind podium serves, as the
//! real `k8s-openapi` type. `KubeObject` ties each type to its `Kind`.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Event, Namespace, Node, Pod, Secret, Service,
};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, ObjectMeta};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::dynamic::DynamicObject;
use super::kinds::{Kind, Storage};

/// A JSON body that does not fit the kind, with the path of the field.
pub type ParseError = serde_path_to_error::Error<serde_json::Error>;

/// A typed Kubernetes object. Serialises exactly as Kubernetes does,
/// including `apiVersion` and `kind`.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Namespace(Box<Namespace>),
    Node(Box<Node>),
    Pod(Box<Pod>),
    ReplicaSet(Box<ReplicaSet>),
    Deployment(Box<Deployment>),
    Service(Box<Service>),
    Endpoints(Box<Endpoints>),
    Ingress(Box<Ingress>),
    ConfigMap(Box<ConfigMap>),
    Secret(Box<Secret>),
    Event(Box<Event>),
    /// Any other kind, built-in or custom, stored as JSON.
    Dynamic(Box<DynamicObject>),
}

/// A k8s-openapi type that podium stores.
pub trait KubeObject:
    k8s_openapi::Resource
    + k8s_openapi::Metadata<Ty = ObjectMeta>
    + Clone
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    const OBJECT_KIND: Kind;
    fn into_object(self) -> Object;
    fn from_object(object: &Object) -> Option<&Self>;
    fn from_object_owned(object: Object) -> Option<Self>;
}

/// Expands `$body` once per typed variant with `$v` bound to the inner
/// value, and `$dynamic` for a dynamic object.
macro_rules! each_variant {
    ($object:expr, $v:ident => $body:expr, $d:ident => $dynamic:expr) => {
        match $object {
            Object::Namespace($v) => $body,
            Object::Node($v) => $body,
            Object::Pod($v) => $body,
            Object::ReplicaSet($v) => $body,
            Object::Deployment($v) => $body,
            Object::Service($v) => $body,
            Object::Endpoints($v) => $body,
            Object::Ingress($v) => $body,
            Object::ConfigMap($v) => $body,
            Object::Secret($v) => $body,
            Object::Event($v) => $body,
            Object::Dynamic($d) => $dynamic,
        }
    };
}

macro_rules! kube_object {
    ($($ty:ident),*) => {$(
        impl KubeObject for $ty {
            const OBJECT_KIND: Kind = Kind::$ty;
            fn into_object(self) -> Object {
                Object::$ty(Box::new(self))
            }
            fn from_object(object: &Object) -> Option<&Self> {
                match object {
                    Object::$ty(v) => Some(v),
                    _ => None,
                }
            }
            fn from_object_owned(object: Object) -> Option<Self> {
                match object {
                    Object::$ty(v) => Some(*v),
                    _ => None,
                }
            }
        }
        impl From<$ty> for Object {
            fn from(v: $ty) -> Object {
                Object::$ty(Box::new(v))
            }
        }
    )*};
}

kube_object!(
    Namespace, Node, Pod, ReplicaSet, Deployment, Service, Endpoints, Ingress, ConfigMap, Secret,
    Event
);

/// Calls `$parse::<T>($arg)` with the k8s-openapi type `T` of a typed
/// `$kind`, `$generic($arg)` for any other.
macro_rules! by_type {
    ($kind:expr, $parse:ident, $generic:expr, $arg:expr) => {
        match $kind {
            Kind::Namespace => $parse::<Namespace>($arg),
            Kind::Node => $parse::<Node>($arg),
            Kind::Pod => $parse::<Pod>($arg),
            Kind::ReplicaSet => $parse::<ReplicaSet>($arg),
            Kind::Deployment => $parse::<Deployment>($arg),
            Kind::Service => $parse::<Service>($arg),
            Kind::Endpoints => $parse::<Endpoints>($arg),
            Kind::Ingress => $parse::<Ingress>($arg),
            Kind::ConfigMap => $parse::<ConfigMap>($arg),
            Kind::Secret => $parse::<Secret>($arg),
            Kind::Event => $parse::<Event>($arg),
            _ => $generic($arg),
        }
    };
}

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::Node(_) => Kind::Node,
            Object::Pod(_) => Kind::Pod,
            Object::ReplicaSet(_) => Kind::ReplicaSet,
            Object::Deployment(_) => Kind::Deployment,
            Object::Service(_) => Kind::Service,
            Object::Endpoints(_) => Kind::Endpoints,
            Object::Ingress(_) => Kind::Ingress,
            Object::ConfigMap(_) => Kind::ConfigMap,
            Object::Secret(_) => Kind::Secret,
            Object::Event(_) => Kind::Event,
            Object::Dynamic(d) => d.kind,
        }
    }

    pub fn meta(&self) -> &ObjectMeta {
        each_variant!(self, v => k8s_openapi::Metadata::metadata(&**v), d => &d.metadata)
    }

    pub fn meta_mut(&mut self) -> &mut ObjectMeta {
        each_variant!(self, v => k8s_openapi::Metadata::metadata_mut(&mut **v), d => &mut d.metadata)
    }

    pub fn name(&self) -> &str {
        self.meta().name.as_deref().unwrap_or("")
    }

    /// The namespace, or "" for cluster-scoped kinds.
    pub fn namespace(&self) -> &str {
        self.meta().namespace.as_deref().unwrap_or("")
    }

    /// The resourceVersion as the store's counter; 0 when unset or foreign.
    pub fn resource_version(&self) -> u64 {
        self.meta()
            .resource_version
            .as_deref()
            .and_then(|rv| rv.parse().ok())
            .unwrap_or(0)
    }

    /// Serialises to JSON as Kubernetes does (apiVersion and kind included).
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising a k8s-openapi type to a Value cannot fail: all maps
        // have string keys.
        each_variant!(
            self,
            v => serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
            d => d.to_json()
        )
    }

    /// Parses JSON of the given kind. `apiVersion`/`kind` in the value are
    /// not checked here; callers resolve the kind first. An error names the
    /// field it is about (`spec.replicas: invalid type: ...`).
    pub fn from_json(kind: Kind, value: serde_json::Value) -> Result<Object, ParseError> {
        fn parse<T: KubeObject>(value: serde_json::Value) -> Result<Object, ParseError> {
            serde_path_to_error::deserialize::<_, T>(value).map(T::into_object)
        }
        by_type!(kind, parse, |value| dynamic(kind, value), value)
    }

    /// One object typed straight from its bytes (a GET's answer).
    pub fn from_slice(kind: Kind, bytes: &[u8]) -> Result<Object, ParseError> {
        fn parse<T: KubeObject>(bytes: &[u8]) -> Result<Object, ParseError> {
            let mut json = serde_json::Deserializer::from_slice(bytes);
            serde_path_to_error::deserialize::<_, T>(&mut json).map(T::into_object)
        }
        let generic = |bytes: &[u8]| {
            let mut json = serde_json::Deserializer::from_slice(bytes);
            let value: serde_json::Value = serde_path_to_error::deserialize(&mut json)?;
            dynamic(kind, value)
        };
        by_type!(kind, parse, generic, bytes)
    }

    /// One page of a list (`{"metadata": {...}, "items": [...]}`), typed
    /// straight from its bytes: no JSON tree of the whole page in between,
    /// which at thousands of objects is several times their size.
    pub fn list_page(kind: Kind, bytes: &[u8]) -> Result<(Vec<Object>, ListMeta), ParseError> {
        #[derive(serde::Deserialize)]
        struct Page<T> {
            #[serde(default)]
            metadata: ListMeta,
            #[serde(default = "Vec::new")]
            items: Vec<T>,
        }
        fn parse<T: KubeObject>(bytes: &[u8]) -> Result<(Vec<Object>, ListMeta), ParseError> {
            let mut json = serde_json::Deserializer::from_slice(bytes);
            let page: Page<T> = serde_path_to_error::deserialize(&mut json)?;
            let objects = page.items.into_iter().map(T::into_object).collect();
            Ok((objects, page.metadata))
        }
        let generic = |bytes: &[u8]| {
            let mut json = serde_json::Deserializer::from_slice(bytes);
            let page: Page<serde_json::Value> = serde_path_to_error::deserialize(&mut json)?;
            let objects = page
                .items
                .into_iter()
                .map(|item| dynamic(kind, with_type_meta(kind, item)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((objects, page.metadata))
        };
        by_type!(kind, parse, generic, bytes)
    }

    pub fn as_dynamic(&self) -> Option<&DynamicObject> {
        match self {
            Object::Dynamic(d) => Some(d),
            _ => None,
        }
    }

    pub fn as_typed<T: KubeObject>(&self) -> Option<&T> {
        T::from_object(self)
    }

    /// When an Event last happened (lastTimestamp, else eventTime, else its
    /// creation), in seconds since the epoch; 0 for any other kind.
    pub fn event_time(&self) -> i64 {
        let Object::Event(event) = self else {
            return 0;
        };
        event
            .last_timestamp
            .as_ref()
            .map(|t| t.0.as_second())
            .or_else(|| event.event_time.as_ref().map(|t| t.0.as_second()))
            .or_else(|| {
                event
                    .metadata
                    .creation_timestamp
                    .as_ref()
                    .map(|t| t.0.as_second())
            })
            .unwrap_or(0)
    }
}

/// An object of a kind stored as JSON: checked against its k8s-openapi
/// type first when it has one.
fn dynamic(kind: Kind, value: serde_json::Value) -> Result<Object, ParseError> {
    let value = match kind.info().storage {
        Storage::Generic(Some(round_trip)) => round_trip(value)?,
        _ => value,
    };
    DynamicObject::from_value(kind, value).map(|d| Object::Dynamic(Box::new(d)))
}

/// List items carry no apiVersion/kind on the wire; the typed readers of
/// generic kinds insist on them.
fn with_type_meta(kind: Kind, mut item: serde_json::Value) -> serde_json::Value {
    if let Some(map) = item.as_object_mut() {
        let info = kind.info();
        map.entry("apiVersion")
            .or_insert_with(|| serde_json::Value::String(info.api_version()));
        map.entry("kind")
            .or_insert_with(|| serde_json::Value::String(info.kind_name.to_string()));
    }
    item
}

impl Serialize for Object {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        each_variant!(self, v => v.serialize(serializer), d => d.serialize(serializer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_page_parses_without_type_meta_on_its_items() {
        let page = br#"{"kind": "PodList", "apiVersion": "v1",
            "metadata": {"resourceVersion": "42", "continue": "next"},
            "items": [{"metadata": {"name": "a", "namespace": "default"}},
                      {"metadata": {"name": "b", "namespace": "default"}, "spec": {"containers": [{"name": "c"}]}}]}"#;
        let (objects, meta) = Object::list_page(Kind::Pod, page).expect("page");
        let names: Vec<&str> = objects.iter().map(|o| o.name()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(objects[0].kind(), Kind::Pod);
        assert_eq!(meta.resource_version.as_deref(), Some("42"));
        assert_eq!(meta.continue_.as_deref(), Some("next"));
        let error = Object::list_page(Kind::Pod, br#"{"items": [{"spec": {"containers": 3}}]}"#)
            .expect_err("containers is a list");
        assert_eq!(error.path().to_string(), "items[0].spec.containers");
    }

    #[test]
    fn json_round_trip_keeps_type_meta() {
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some("p".into()),
                namespace: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let object = Object::from(pod);
        let json = object.to_json();
        assert_eq!(json["apiVersion"], "v1");
        assert_eq!(json["kind"], "Pod");
        let back = Object::from_json(Kind::Pod, json).expect("parses");
        assert_eq!(back, object);
        assert_eq!(back.namespace(), "default");
    }
}
