//! Finding the line of a field path (as the API server writes it, e.g.
//! `spec.template.spec.containers[0].image`) in block-style YAML, by
//! indentation, so that a server error can be shown at its line.

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `a.b[0].c[foo.bar/baz]` into keys and indexes; a bracket that
/// holds no number is a map key (annotation and label keys hold dots).
fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !current.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut current)));
                }
            }
            '[' => {
                if !current.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut current)));
                }
                let inner: String = chars.by_ref().take_while(|c| *c != ']').collect();
                match inner.parse::<usize>() {
                    Ok(index) => out.push(Segment::Index(index)),
                    Err(_) => out.push(Segment::Key(inner.trim_matches('"').to_string())),
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(Segment::Key(current));
    }
    out
}

/// A meaningful line of a document: where its content starts, whether it
/// opens a sequence item, and the mapping key it holds.
#[derive(Debug)]
struct Entry {
    /// 1-based line in the whole buffer.
    line: usize,
    /// Column of the content after any `- `.
    indent: usize,
    /// Column of the `-` when the line opens a sequence item.
    dash: Option<usize>,
    key: Option<String>,
}

impl Entry {
    /// The column that decides whether this line is inside a block.
    fn outer(&self) -> usize {
        self.dash.unwrap_or(self.indent)
    }
}

fn parse_entry(line: usize, text: &str) -> Option<Entry> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return None;
    }
    let first = text.len() - trimmed.len();
    let (dash, indent, content) = if trimmed == "-" || trimmed.starts_with("- ") {
        let rest = trimmed[1..].trim_start();
        let indent = text.len() - rest.len();
        (Some(first), indent, rest)
    } else {
        (None, first, trimmed)
    };
    Some(Entry {
        line,
        indent,
        dash,
        key: mapping_key(content),
    })
}

/// The key of `key: value` / `key:` / `"key": value`, if the line has one.
pub(crate) fn mapping_key(content: &str) -> Option<String> {
    if content.starts_with('{') || content.starts_with('[') {
        return None;
    }
    let end = key_end(content)?;
    Some(content[..end].trim().trim_matches(['"', '\'']).to_string())
}

/// Byte offset of the `:` that ends a mapping key in `content`.
pub(crate) fn key_end(content: &str) -> Option<usize> {
    let bytes = content.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') if i == 0 => quote = Some(b),
            (None, b'#') if i == 0 || bytes[i - 1] == b' ' => return None,
            (None, b':') if bytes.get(i + 1).is_none_or(|n| *n == b' ') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The lines (0-based indexes into `lines`) of the `document`-th document.
fn document_lines<'a>(lines: &'a [&'a str], document: usize) -> Option<&'a [&'a str]> {
    let mut starts = vec![0];
    for (i, line) in lines.iter().enumerate() {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            starts.push(i + 1);
        }
    }
    // A leading `---` opens the first document rather than ending an empty one.
    if starts.len() > 1
        && lines[..starts[1] - 1]
            .iter()
            .all(|l| parse_entry(0, l).is_none())
    {
        starts.remove(0);
    }
    let start = *starts.get(document)?;
    let end = starts
        .get(document + 1)
        .map_or(lines.len(), |next| next - 1);
    lines.get(start..end)
}

/// See [`super::locate_field`].
pub fn locate_field(text: &str, document: usize, field_path: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let doc = document_lines(&lines, document)?;
    let offset = doc.as_ptr() as usize - lines.as_ptr() as usize;
    let offset = offset / std::mem::size_of::<&str>();
    let entries: Vec<Entry> = doc
        .iter()
        .enumerate()
        .filter_map(|(i, l)| parse_entry(offset + i + 1, l))
        .collect();
    let path = segments(field_path);
    let mut range = &entries[..];
    let mut found = None;
    let mut i = 0;
    while i < path.len() {
        let Some(first) = range.first() else { break };
        let step = match &path[i] {
            Segment::Index(n) => find_item(range, *n).map(|r| (r[0].line, r, 1)),
            Segment::Key(_) => find_key(range, &path[i..], first.indent),
        };
        let Some((line, next, used)) = step else {
            break;
        };
        found = Some(line);
        range = next;
        i += used;
    }
    found.or_else(|| entries.first().map(|e| e.line))
}

/// The `n`-th item of the sequence that `range` starts with: its lines.
fn find_item(range: &[Entry], n: usize) -> Option<&[Entry]> {
    let dash = range.first()?.dash?;
    let mut items = range
        .iter()
        .enumerate()
        .take_while(|(_, e)| e.outer() >= dash)
        .filter(|(_, e)| e.dash == Some(dash))
        .map(|(i, _)| i);
    let start = items.nth(n)?;
    let end = range[start + 1..]
        .iter()
        .position(|e| e.outer() <= dash)
        .map_or(range.len(), |p| start + 1 + p);
    Some(&range[start..end])
}

/// The key in `range` at `indent` matching the next path segments (one,
/// or several joined by dots for keys that hold dots): its line, its
/// children, and how many segments it used.
fn find_key<'a>(
    range: &'a [Entry],
    path: &[Segment],
    indent: usize,
) -> Option<(usize, &'a [Entry], usize)> {
    let keys: Vec<&str> = path
        .iter()
        .map_while(|s| match s {
            Segment::Key(k) => Some(k.as_str()),
            Segment::Index(_) => None,
        })
        .collect();
    for used in (1..=keys.len()).rev() {
        let wanted = keys[..used].join(".");
        let hit = range
            .iter()
            .position(|e| e.indent == indent && e.key.as_deref() == Some(wanted.as_str()));
        if let Some(at) = hit {
            let own = range[at].indent;
            let end = range[at + 1..]
                .iter()
                .position(|e| match e.dash {
                    Some(d) => d < own,
                    None => e.indent <= own,
                })
                .map_or(range.len(), |p| at + 1 + p);
            return Some((range[at].line, &range[at + 1..end], used));
        }
    }
    None
}
