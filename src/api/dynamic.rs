//! `DynamicObject`: an object of a kind podium stores as JSON (every
//! built-in kind no controller reads, and custom resources). Metadata is
//! typed, as every kind shares it; the rest stays as the client sent it
//! (after the kind's checks).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};

use super::kinds::Kind;
use super::object::ParseError;

#[derive(Debug, Clone, PartialEq)]
pub struct DynamicObject {
    pub kind: Kind,
    /// As stored: the kind's storage version.
    pub api_version: String,
    pub metadata: ObjectMeta,
    /// Everything but apiVersion, kind and metadata (spec, status, data, rules …).
    pub fields: Map<String, Value>,
}

impl DynamicObject {
    /// Splits a JSON object into metadata and the other fields. An error
    /// names the metadata field that does not parse.
    pub fn from_value(kind: Kind, value: Value) -> Result<DynamicObject, ParseError> {
        let mut fields = match value {
            Value::Object(map) => map,
            other => {
                // Let serde say what was wrong, with the path.
                return serde_path_to_error::deserialize::<_, Map<String, Value>>(other)
                    .map(|_| unreachable_object(kind));
            }
        };
        let api_version = match fields.remove("apiVersion") {
            Some(Value::String(v)) => v,
            _ => kind.info().api_version(),
        };
        fields.remove("kind");
        let metadata = match fields.remove("metadata") {
            Some(meta) => {
                let wrapped = serde_json::json!({ "metadata": meta });
                #[derive(serde::Deserialize)]
                struct Wrapper {
                    metadata: ObjectMeta,
                }
                serde_path_to_error::deserialize::<_, Wrapper>(wrapped)?.metadata
            }
            None => ObjectMeta::default(),
        };
        Ok(DynamicObject {
            kind,
            api_version,
            metadata,
            fields,
        })
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// A field at a dotted path (`spec.replicas`), if present.
    pub fn field(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        rest.iter()
            .try_fold(self.fields.get(*first)?, |value, key| value.get(key))
    }
}

/// Never built: `from_value` only calls it after a non-object failed to
/// deserialize as a map, which always errors.
fn unreachable_object(kind: Kind) -> DynamicObject {
    DynamicObject {
        kind,
        api_version: String::new(),
        metadata: ObjectMeta::default(),
        fields: Map::new(),
    }
}

impl Serialize for DynamicObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len() + 3))?;
        map.serialize_entry("apiVersion", &self.api_version)?;
        map.serialize_entry("kind", self.kind.info().kind_name)?;
        map.serialize_entry("metadata", &self.metadata)?;
        for (key, value) in &self.fields {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}
