//! The Kubernetes REST dialect over axum: TLS, token auth, discovery,
//! OpenAPI, CRUD, list/watch, Tables, Status errors and subresources. It
//! translates HTTP to store calls and holds no business rules.

pub mod protobuf;
pub mod table;
