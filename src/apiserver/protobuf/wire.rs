//! A schema-driven protobuf reader: walks the wire format of a message using
//! the generated layout in `schema.txt` and builds the JSON Kubernetes would
//! serve for it, with Kubernetes' special types (Time, IntOrString,
//! Quantity, RawExtension) in their JSON forms.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use k8s_openapi::jiff::Timestamp;
use k8s_openapi::jiff::fmt::strtime;
use serde_json::{Map, Value};

use super::schema::schema;

/// One message of the schema.
#[derive(Debug)]
pub struct Message {
    /// Package-qualified name in k8s-pb's module layout, e.g. `api.core.v1.Pod`.
    pub name: &'static str,
    pub fields: Vec<Field>,
}

/// One field of a message.
#[derive(Debug)]
pub struct Field {
    pub tag: u32,
    /// The JSON name (`podIPs`, `clusterIP`, ...).
    pub json: &'static str,
    pub ty: FieldType,
    pub repeated: bool,
    /// For a scalar, the zero value is written to JSON: the Go field is a
    /// pointer (`replicas: 0`, `suspend: false`) or has no `omitempty`.
    /// Other zero scalars are what gogo's marshaller writes for unset
    /// non-pointer fields, and Go's JSON omits them. For a Time, k8s-openapi
    /// requires the field (see `lacks_required_time`).
    pub keep_zero: bool,
}

/// What a field holds; messages are indexes into the schema's messages.
#[derive(Debug, Clone, Copy)]
pub enum FieldType {
    String,
    Int32,
    Int64,
    Bool,
    Double,
    Bytes,
    Message(usize),
    /// A Go struct embedded without a JSON name: its fields join the parent's.
    Inline(usize),
    MapString,
    MapBytes,
    MapMessage(usize),
}

impl FieldType {
    pub fn is_scalar(self) -> bool {
        matches!(
            self,
            FieldType::String
                | FieldType::Int32
                | FieldType::Int64
                | FieldType::Bool
                | FieldType::Double
                | FieldType::Bytes
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("truncated protobuf data")]
    Truncated,
    #[error("protobuf varint is too long")]
    VarintTooLong,
    #[error("unsupported protobuf wire type {0}")]
    WireType(u64),
    #[error("field {field} of {message} is not valid UTF-8")]
    Utf8 {
        message: &'static str,
        field: &'static str,
    },
    #[error("field {field} of {message} has wire type {wire_type}, which does not fit its type")]
    Mismatch {
        message: &'static str,
        field: &'static str,
        wire_type: u64,
    },
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.data.get(self.pos).ok_or(WireError::Truncated)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(WireError::VarintTooLong)
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        let end = self.pos.checked_add(len).ok_or(WireError::Truncated)?;
        let bytes = self.data.get(self.pos..end).ok_or(WireError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn length_delimited(&mut self) -> Result<&'a [u8], WireError> {
        let len = usize::try_from(self.varint()?).map_err(|_| WireError::Truncated)?;
        self.take(len)
    }

    fn skip(&mut self, wire_type: u64) -> Result<(), WireError> {
        match wire_type {
            0 => self.varint().map(drop),
            1 => self.take(8).map(drop),
            2 => self.length_delimited().map(drop),
            5 => self.take(4).map(drop),
            other => Err(WireError::WireType(other)),
        }
    }
}

/// A field value as read from the wire, before JSON rendering.
enum Raw<'a> {
    Varint(u64),
    Fixed64([u8; 8]),
    Bytes(&'a [u8]),
}

/// Decodes a message of schema index `index` into a JSON object.
pub fn decode_message(index: usize, data: &[u8]) -> Result<Map<String, Value>, WireError> {
    let mut out = Map::new();
    decode_into(index, data, &mut out)?;
    Ok(out)
}

fn decode_into(index: usize, data: &[u8], out: &mut Map<String, Value>) -> Result<(), WireError> {
    let Some(message) = schema().messages.get(index) else {
        return Ok(());
    };
    let mut reader = Reader::new(data);
    while !reader.done() {
        let key = reader.varint()?;
        let tag = key >> 3;
        let wire_type = key & 7;
        let Some(field) = message.fields.iter().find(|f| u64::from(f.tag) == tag) else {
            // Fields newer than the schema are skipped, as Go does.
            reader.skip(wire_type)?;
            continue;
        };
        let raw = match wire_type {
            0 => Raw::Varint(reader.varint()?),
            1 => {
                let bytes = reader.take(8)?;
                let mut fixed = [0u8; 8];
                fixed.copy_from_slice(bytes);
                Raw::Fixed64(fixed)
            }
            2 => Raw::Bytes(reader.length_delimited()?),
            other => {
                reader.skip(other)?;
                continue;
            }
        };
        read_field(message, field, raw, wire_type, out)?;
    }
    Ok(())
}

fn read_field(
    message: &'static Message,
    field: &'static Field,
    raw: Raw<'_>,
    wire_type: u64,
    out: &mut Map<String, Value>,
) -> Result<(), WireError> {
    let mismatch = || WireError::Mismatch {
        message: message.name,
        field: field.json,
        wire_type,
    };
    match field.ty {
        FieldType::Inline(inner) => {
            let Raw::Bytes(bytes) = raw else {
                return Err(mismatch());
            };
            return decode_into(inner, bytes, out);
        }
        FieldType::MapString | FieldType::MapBytes | FieldType::MapMessage(_) => {
            let Raw::Bytes(bytes) = raw else {
                return Err(mismatch());
            };
            let (key, value) = map_entry(message, field, bytes)?;
            let map = out
                .entry(field.json)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = map {
                map.insert(key, value);
            }
            return Ok(());
        }
        _ => {}
    }
    // Packed repeated scalars arrive as one length-delimited run.
    if field.repeated
        && let (Raw::Bytes(bytes), FieldType::Int32 | FieldType::Int64) = (&raw, field.ty)
    {
        let mut packed = Reader::new(bytes);
        while !packed.done() {
            let value =
                scalar_value(field.ty, Raw::Varint(packed.varint()?)).ok_or_else(mismatch)?;
            push(out, field.json, value);
        }
        return Ok(());
    }
    let value = match field.ty {
        FieldType::Message(inner) => {
            let Raw::Bytes(bytes) = raw else {
                return Err(mismatch());
            };
            match special_message(inner, bytes)? {
                Special::Value(value) => value,
                Special::Omit => return Ok(()),
                Special::Object => match object_value(inner, bytes)? {
                    // A wrapper holding nothing (`items` with no schema).
                    Value::Null if !field.repeated => return Ok(()),
                    Value::Object(object)
                        if !field.repeated && lacks_required_time(inner, &object) =>
                    {
                        return Ok(());
                    }
                    value => value,
                },
            }
        }
        FieldType::String => {
            let Raw::Bytes(bytes) = raw else {
                return Err(mismatch());
            };
            let text = std::str::from_utf8(bytes).map_err(|_| WireError::Utf8 {
                message: message.name,
                field: field.json,
            })?;
            Value::String(text.to_string())
        }
        FieldType::Bytes => {
            let Raw::Bytes(bytes) = raw else {
                return Err(mismatch());
            };
            Value::String(BASE64.encode(bytes))
        }
        ty => scalar_value(ty, raw).ok_or_else(mismatch)?,
    };
    let is_message = matches!(field.ty, FieldType::Message(_));
    if field.repeated {
        push(out, field.json, value);
    } else if is_message || !is_go_zero(&value) || field.keep_zero {
        out.insert(field.json.to_string(), value);
    }
    Ok(())
}

fn push(out: &mut Map<String, Value>, key: &str, value: Value) {
    let list = out.entry(key).or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = list {
        list.push(value);
    }
}

/// Scalars Go's `omitempty` drops: "", 0 and false.
fn is_go_zero(value: &Value) -> bool {
    match value {
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn scalar_value(ty: FieldType, raw: Raw<'_>) -> Option<Value> {
    match (ty, raw) {
        // Negative int32s are sign-extended to ten bytes; truncating keeps them.
        (FieldType::Int32, Raw::Varint(v)) => Some(Value::from(v as i32)),
        (FieldType::Int64, Raw::Varint(v)) => Some(Value::from(v as i64)),
        (FieldType::Bool, Raw::Varint(v)) => Some(Value::Bool(v != 0)),
        (FieldType::Double, Raw::Fixed64(bytes)) => {
            serde_json::Number::from_f64(f64::from_le_bytes(bytes)).map(Value::Number)
        }
        _ => None,
    }
}

/// A map entry message: key = 1, value = 2.
fn map_entry(
    message: &'static Message,
    field: &'static Field,
    data: &[u8],
) -> Result<(String, Value), WireError> {
    let utf8 = |bytes: &[u8]| {
        std::str::from_utf8(bytes)
            .map(str::to_string)
            .map_err(|_| WireError::Utf8 {
                message: message.name,
                field: field.json,
            })
    };
    let mut key = String::new();
    let mut value = match field.ty {
        FieldType::MapMessage(inner) => empty_message_value(inner),
        _ => Value::String(String::new()),
    };
    let mut reader = Reader::new(data);
    while !reader.done() {
        let entry_key = reader.varint()?;
        match (entry_key >> 3, entry_key & 7) {
            (1, 2) => key = utf8(reader.length_delimited()?)?,
            (2, 2) => {
                let bytes = reader.length_delimited()?;
                value = match field.ty {
                    FieldType::MapBytes => Value::String(BASE64.encode(bytes)),
                    FieldType::MapMessage(inner) => match special_message(inner, bytes)? {
                        Special::Value(v) => v,
                        Special::Omit => Value::Null,
                        Special::Object => object_value(inner, bytes)?,
                    },
                    _ => Value::String(utf8(bytes)?),
                };
            }
            (_, wire_type) => reader.skip(wire_type)?,
        }
    }
    Ok((key, value))
}

fn empty_message_value(index: usize) -> Value {
    match schema().messages.get(index).map(|m| m.name) {
        Some(QUANTITY) => Value::String("0".to_string()),
        Some(name) => reshape(name, Map::new()),
        None => Value::Object(Map::new()),
    }
}

/// Decodes an ordinary message, then gives the Go types that marshal to
/// something other than an object their JSON shape.
fn object_value(index: usize, data: &[u8]) -> Result<Value, WireError> {
    let object = decode_message(index, data)?;
    Ok(match schema().messages.get(index) {
        Some(message) => reshape(message.name, object),
        None => Value::Object(object),
    })
}

/// Whether `object` is a struct of Go zero values missing a time k8s-openapi
/// requires: the unset struct Go clients send (`kubectl create token`
/// writes TokenRequest's empty status, whose `expirationTimestamp` is a zero
/// time, an empty message), which k8s-openapi could not read. Such a field
/// is left out, as if the client had not sent it.
fn lacks_required_time(index: usize, object: &Map<String, Value>) -> bool {
    let Some(message) = schema().messages.get(index) else {
        return false;
    };
    let lacks = message.fields.iter().any(|field| {
        field.keep_zero
            && matches!(field.ty, FieldType::Message(_))
            && !object.contains_key(field.json)
    });
    lacks && object.values().all(is_go_zero)
}

const EXTRA_VALUE: &str = ".ExtraValue";
const SCHEMA_OR_ARRAY: &str =
    "apiextensions_apiserver.pkg.apis.apiextensions.v1.JsonSchemaPropsOrArray";
const SCHEMA_OR_BOOL: &str =
    "apiextensions_apiserver.pkg.apis.apiextensions.v1.JsonSchemaPropsOrBool";
const SCHEMA_OR_STRINGS: &str =
    "apiextensions_apiserver.pkg.apis.apiextensions.v1.JsonSchemaPropsOrStringArray";

/// The JSON of the wrapper messages gogo writes for Go types that are not
/// structs: `ExtraValue` is a `[]string`; the apiextensions `...Or...`
/// types marshal to one of their two fields, as their `MarshalJSON` does
/// (an array when it has items, else the schema; `false`/`true` else).
fn reshape(name: &str, mut object: Map<String, Value>) -> Value {
    let non_empty =
        |value: Option<Value>| value.filter(|v| v.as_array().is_some_and(|a| !a.is_empty()));
    match name {
        _ if name.ends_with(EXTRA_VALUE) => object
            .remove("items")
            .unwrap_or_else(|| Value::Array(Vec::new())),
        SCHEMA_OR_ARRAY => non_empty(object.remove("JSONSchemas"))
            .or_else(|| object.remove("schema"))
            .unwrap_or(Value::Null),
        SCHEMA_OR_BOOL => object
            .remove("schema")
            .or_else(|| object.remove("allows"))
            .unwrap_or(Value::Bool(false)),
        SCHEMA_OR_STRINGS => non_empty(object.remove("property"))
            .or_else(|| object.remove("schema"))
            .unwrap_or(Value::Null),
        _ => Value::Object(object),
    }
}

const TIME: &str = "apimachinery.pkg.apis.meta.v1.Time";
const MICRO_TIME: &str = "apimachinery.pkg.apis.meta.v1.MicroTime";
const INT_OR_STRING: &str = "apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "apimachinery.pkg.api.resource.Quantity";
const RAW_EXTENSION: &str = "apimachinery.pkg.runtime.RawExtension";
const FIELDS_V1: &str = "apimachinery.pkg.apis.meta.v1.FieldsV1";
/// apiextensions' `JSON` (CRD schema `default`, `example`, `enum`): raw JSON.
const JSON: &str = "apiextensions_apiserver.pkg.apis.apiextensions.v1.Json";

enum Special {
    Value(Value),
    /// The Go zero value that JSON renders as absent (`null` time).
    Omit,
    /// An ordinary message: decode its fields into an object.
    Object,
}

/// Renders the messages whose JSON form is not an object.
fn special_message(index: usize, data: &[u8]) -> Result<Special, WireError> {
    let Some(name) = schema().messages.get(index).map(|m| m.name) else {
        return Ok(Special::Object);
    };
    if !matches!(
        name,
        TIME | MICRO_TIME | INT_OR_STRING | QUANTITY | RAW_EXTENSION | FIELDS_V1 | JSON
    ) {
        return Ok(Special::Object);
    }
    let fields = plain_fields(data)?;
    let varint = |tag: u64| {
        fields.iter().find_map(|(t, raw)| match raw {
            Raw::Varint(v) if *t == tag => Some(*v),
            _ => None,
        })
    };
    let bytes = |tag: u64| {
        fields.iter().find_map(|(t, raw)| match raw {
            Raw::Bytes(b) if *t == tag => Some(*b),
            _ => None,
        })
    };
    let text = |tag: u64| {
        bytes(tag)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    Ok(match name {
        TIME | MICRO_TIME => {
            let seconds = varint(1).unwrap_or(0) as i64;
            let nanos = varint(2).unwrap_or(0) as i32;
            if seconds == 0 && nanos == 0 {
                return Ok(Special::Omit);
            }
            let nanos = if name == TIME { 0 } else { nanos };
            // Go writes Time to the second and MicroTime with six digits.
            let format = if name == TIME {
                "%Y-%m-%dT%H:%M:%SZ"
            } else {
                "%Y-%m-%dT%H:%M:%S%.6fZ"
            };
            match Timestamp::new(seconds, nanos).map(|t| strtime::format(format, t)) {
                Ok(Ok(text)) => Special::Value(Value::String(text)),
                _ => Special::Omit,
            }
        }
        INT_OR_STRING => {
            if varint(1).unwrap_or(0) == 1 {
                Special::Value(Value::String(text(3)))
            } else {
                Special::Value(Value::from(varint(2).unwrap_or(0) as i32))
            }
        }
        QUANTITY => Special::Value(Value::String(text(1))),
        _ => match bytes(1).and_then(|raw| serde_json::from_slice(raw).ok()) {
            Some(value) => Special::Value(value),
            None => Special::Omit,
        },
    })
}

/// The fields of a small message, without a schema.
fn plain_fields(data: &[u8]) -> Result<Vec<(u64, Raw<'_>)>, WireError> {
    let mut reader = Reader::new(data);
    let mut fields = Vec::new();
    while !reader.done() {
        let key = reader.varint()?;
        let raw = match key & 7 {
            0 => Raw::Varint(reader.varint()?),
            2 => Raw::Bytes(reader.length_delimited()?),
            other => {
                reader.skip(other)?;
                continue;
            }
        };
        fields.push((key >> 3, raw));
    }
    Ok(fields)
}
