//! Local validation: every document of the buffer must parse as YAML; the
//! first error comes back with its line and column.

use serde::Deserialize;

use super::Diagnostic;

/// `None` when every document parses.
pub fn parse_error(text: &str) -> Option<Diagnostic> {
    for document in serde_yaml::Deserializer::from_str(text) {
        if let Err(err) = serde_yaml::Value::deserialize(document) {
            let (line, column) = err
                .location()
                .map_or((1, None), |l| (l.line(), Some(l.column())));
            return Some(Diagnostic {
                line,
                column,
                field_path: None,
                message: format!("YAML: {}", strip_location(&err.to_string())),
            });
        }
    }
    None
}

/// serde_yaml appends " at line L column C"; the editor shows the place itself.
fn strip_location(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}
