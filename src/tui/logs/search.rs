//! `/` search over the buffer: smart case (case-insensitive unless the
//! query has a capital), hits by sequence number, n/N navigation.

use std::ops::Range;

#[derive(Debug, Clone)]
pub struct Query {
    text: String,
    folded: bool,
}

impl Query {
    pub fn new(text: &str) -> Option<Query> {
        if text.is_empty() {
            return None;
        }
        let folded = !text.chars().any(char::is_uppercase);
        let text = if folded {
            text.to_lowercase()
        } else {
            text.to_string()
        };
        Some(Query { text, folded })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Byte ranges of the hits in `line`.
    pub fn find_in(&self, line: &str) -> Vec<Range<usize>> {
        if self.folded && line.is_ascii() {
            let lower = line.to_ascii_lowercase();
            return lower
                .match_indices(&self.text)
                .map(|(at, m)| at..at + m.len())
                .collect();
        }
        if self.folded {
            // Non-ASCII: compare char by char to keep byte offsets of `line`.
            let needle: Vec<char> = self.text.chars().collect();
            let chars: Vec<(usize, char)> = line.char_indices().collect();
            let mut out = Vec::new();
            let mut i = 0;
            while i + needle.len() <= chars.len() {
                let hit = needle
                    .iter()
                    .enumerate()
                    .all(|(k, n)| chars[i + k].1.to_lowercase().eq(std::iter::once(*n)));
                if hit {
                    let start = chars[i].0;
                    let end = chars.get(i + needle.len()).map_or(line.len(), |c| c.0);
                    out.push(start..end);
                    i += needle.len();
                } else {
                    i += 1;
                }
            }
            return out;
        }
        line.match_indices(&self.text)
            .map(|(at, m)| at..at + m.len())
            .collect()
    }

    pub fn matches(&self, line: &str) -> bool {
        !self.find_in(line).is_empty()
    }
}
