//! YAML syntax colours for one line: keys, the colon, values, comments,
//! document separators and sequence dashes, as styled byte ranges.

use std::ops::Range;

use ratatui::style::Style;

use super::locate::key_end;
use crate::tui::theme::Theme;

/// Styled byte ranges covering `line` from start to end, in order.
pub fn highlight(line: &str, theme: &Theme) -> Vec<(Range<usize>, Style)> {
    let mut out = Vec::new();
    let trimmed = line.trim_start();
    let mut at = line.len() - trimmed.len();
    if at > 0 {
        out.push((0..at, theme.body));
    }
    if trimmed.trim_end() == "---" || trimmed.trim_end() == "..." {
        out.push((at..line.len(), theme.muted));
        return out;
    }
    // Sequence dashes.
    let mut rest = trimmed;
    while rest == "-" || rest.starts_with("- ") {
        out.push((at..at + 1, theme.yaml_colon));
        let after = rest[1..].trim_start();
        let skipped = rest.len() - after.len();
        if skipped > 1 {
            out.push((at + 1..at + skipped, theme.body));
        }
        at += skipped;
        rest = after;
    }
    let comment = comment_start(rest).map(|c| at + c);
    let code_end = comment.unwrap_or(line.len());
    let code = &line[at..code_end];
    if let Some(colon) = key_end(code) {
        out.push((at..at + colon, theme.yaml_key));
        out.push((at + colon..at + colon + 1, theme.yaml_colon));
        at += colon + 1;
    }
    if at < code_end {
        out.push((at..code_end, theme.yaml_value));
    }
    if let Some(c) = comment {
        out.push((c..line.len(), theme.yaml_comment));
    }
    out
}

/// Byte offset of a `#` comment outside quotes.
fn comment_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'')
                if i == 0 || matches!(bytes[i - 1], b' ' | b':' | b'[' | b'{' | b',') =>
            {
                quote = Some(b)
            }
            (None, b'#') if i == 0 || bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' => {
                return Some(i);
            }
            _ => {}
        }
    }
    None
}
