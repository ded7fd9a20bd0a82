//! Crash-safe persistence: an append-only log of changes in segments, and
//! snapshots written beside it.
//!
//! Each change is one JSON line written with a single `write` before the
//! change is applied, so a `kill -9` at any instant loses nothing that was
//! acknowledged (the page cache survives the process). Compaction writes
//! `snapshot-<rv>.jsonl` through a temporary file and a rename, then starts
//! a new segment and removes what the snapshot covers; at every instant the
//! files on disk describe one consistent state. A line that cannot be read
//! anywhere but at the torn end of the newest segment is reported with its
//! path and line, and nothing is overwritten.
//!
//! With a key ([`AtRest`]), every Secret written to the log or a snapshot
//! is sealed whole: its record's object is the encrypted string instead of
//! the object. Secrets written in clear before stay readable.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use serde_json::{Value, json};

use super::encryption::{AtRest, SecretsKey, is_encrypted};
use super::{ObjectKey, StoreError};
use crate::api::{Kind, Object};

const SEGMENT_PREFIX: &str = "wal-";
const SNAPSHOT_PREFIX: &str = "snapshot-";
const SUFFIX: &str = ".jsonl";
/// Compact once the current segment holds this many records beyond the
/// number of live objects.
pub(super) const MIN_RECORDS_BEFORE_COMPACTION: usize = 20_000;

/// A removal, as `{"rv":N,"op":"delete","kind":..,"group":..,"namespace":..,"name":..}`.
#[derive(Serialize)]
struct DeleteRecord<'a> {
    rv: u64,
    op: &'static str,
    kind: &'a str,
    group: &'a str,
    namespace: &'a str,
    name: &'a str,
}

/// The write buffer is kept between records up to this size.
const MAX_KEPT_LINE: usize = 64 * 1024;

pub(super) struct Wal {
    dir: PathBuf,
    file: File,
    /// The record being written, reused.
    line: Vec<u8>,
    segment_path: PathBuf,
    records: usize,
    compacting: Arc<AtomicBool>,
    /// Seals Secrets; `None` writes them in clear.
    key: Option<SecretsKey>,
}

pub(super) struct Loaded {
    pub objects: Vec<Object>,
    pub resource_version: u64,
    /// A Secret was read in clear while a key is set: a snapshot now
    /// rewrites it sealed.
    pub clear_secrets: bool,
}

/// Turns stored JSON back into objects, opening sealed Secrets.
struct Reader<'a> {
    at_rest: &'a AtRest,
    clear_secrets: bool,
}

impl Wal {
    pub fn open(dir: &Path, at_rest: &AtRest) -> Result<(Wal, Loaded), StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Persist { path, source }
        };
        crate::config::create_private_dir(dir).map_err(io(dir))?;
        let (snapshots, segments) = list_files(dir)?;

        let mut reader = Reader {
            at_rest,
            clear_secrets: false,
        };
        let mut objects = std::collections::BTreeMap::<ObjectKey, Object>::new();
        let mut rv = 0;
        if let Some((snapshot_rv, path)) = snapshots.last() {
            rv = *snapshot_rv;
            for (line_no, line) in read_lines(path)? {
                let record = parse_line(path, line_no, &line)?;
                if line_no == 1 {
                    continue; // header {"rv": N}
                }
                let object = reader.object(path, line_no, record)?;
                objects.insert(ObjectKey::of(&object), object);
            }
        }

        let last_segment = segments.len().saturating_sub(1);
        for (index, (_, path)) in segments.iter().enumerate() {
            let lines = read_lines(path)?;
            let count = lines.len();
            for (position, (line_no, line)) in lines.into_iter().enumerate() {
                let record = match serde_json::from_str::<Value>(&line) {
                    Ok(record) => record,
                    // A write cut short by a crash can only be the very last line.
                    Err(_) if index == last_segment && position + 1 == count => {
                        tracing::warn!(path = %path.display(), line = line_no, "dropping a torn last record");
                        truncate_last_line(path).map_err(io(path))?;
                        break;
                    }
                    Err(e) => return Err(damaged(path, line_no, e.to_string())),
                };
                let record_rv = record["rv"]
                    .as_u64()
                    .ok_or_else(|| damaged(path, line_no, "record without rv".into()))?;
                if record_rv <= rv {
                    continue; // covered by the snapshot
                }
                rv = record_rv;
                match record["op"].as_str() {
                    Some("put") => {
                        let object = reader.object(path, line_no, record["object"].clone())?;
                        objects.insert(ObjectKey::of(&object), object);
                    }
                    Some("delete") => {
                        let key = key_from_record(&record)
                            .ok_or_else(|| damaged(path, line_no, "bad delete record".into()))?;
                        objects.remove(&key);
                    }
                    _ => return Err(damaged(path, line_no, "unknown op".into())),
                }
            }
        }

        let segment_path = match segments.last() {
            Some((_, path)) => path.clone(),
            None => dir.join(format!("{SEGMENT_PREFIX}{:020}{SUFFIX}", rv + 1)),
        };
        let file = private(OpenOptions::new().append(true))
            .open(&segment_path)
            .map_err(io(&segment_path))?;
        let records = read_lines(&segment_path)?.len();
        let wal = Wal {
            dir: dir.to_path_buf(),
            file,
            line: Vec::new(),
            segment_path,
            records,
            compacting: Arc::new(AtomicBool::new(false)),
            key: at_rest.key.clone(),
        };
        Ok((
            wal,
            Loaded {
                objects: objects.into_values().collect(),
                resource_version: rv,
                clear_secrets: reader.clear_secrets,
            },
        ))
    }

    /// Logs `{"rv":N,"op":"put","object":...}` for an object of `kind`
    /// whose JSON is `json`: the JSON itself, or for a Secret under a key
    /// the string that seals it.
    pub fn append_put(&mut self, rv: u64, kind: Kind, json: &[u8]) -> Result<(), StoreError> {
        let failed = |path: &Path, source| StoreError::Persist {
            path: path.to_path_buf(),
            source,
        };
        self.line.clear();
        write!(self.line, r#"{{"rv":{rv},"op":"put","object":"#)
            .map_err(|e| failed(&self.segment_path, e))?;
        match self.key.as_ref().filter(|_| kind == Kind::Secret) {
            Some(key) => {
                let sealed = key.seal(json).map_err(|e| failed(&self.segment_path, e))?;
                serde_json::to_writer(&mut self.line, &sealed)
                    .map_err(|e| failed(&self.segment_path, std::io::Error::other(e)))?;
            }
            None => self.line.extend_from_slice(json),
        }
        self.line.extend_from_slice(b"}");
        self.write_line()
    }

    pub fn append_delete(&mut self, rv: u64, key: &ObjectKey) -> Result<(), StoreError> {
        self.append(&DeleteRecord {
            rv,
            op: "delete",
            kind: key.kind.info().kind_name,
            group: key.kind.info().group,
            namespace: &key.namespace,
            name: &key.name,
        })
    }

    /// Serialises straight into a reused buffer (no intermediate JSON
    /// value: the log is on the path of every change).
    fn append(&mut self, record: &impl Serialize) -> Result<(), StoreError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).map_err(|e| StoreError::Persist {
            path: self.segment_path.clone(),
            source: std::io::Error::other(e),
        })?;
        self.write_line()
    }

    /// Ends the record in `line` and writes it.
    fn write_line(&mut self) -> Result<(), StoreError> {
        self.line.push(b'\n');
        // One write per record: after a kill the file ends at a record boundary.
        let written = self.file.write_all(&self.line);
        if self.line.capacity() > MAX_KEPT_LINE {
            self.line = Vec::new();
        }
        written.map_err(|source| StoreError::Persist {
            path: self.segment_path.clone(),
            source,
        })?;
        self.records += 1;
        Ok(())
    }

    pub fn wants_compaction(&self, live_objects: usize) -> bool {
        self.records > MIN_RECORDS_BEFORE_COMPACTION.max(live_objects * 2)
            && !self.compacting.load(Ordering::Acquire)
    }

    /// Starts a new segment after `rv` and writes a snapshot of `objects`
    /// (the state at `rv`) in the background; older files are removed once
    /// the snapshot is in place.
    pub fn compact(&mut self, rv: u64, objects: Vec<Arc<Object>>) -> Result<(), StoreError> {
        let next = self
            .dir
            .join(format!("{SEGMENT_PREFIX}{:020}{SUFFIX}", rv + 1));
        let file = private(OpenOptions::new().append(true))
            .open(&next)
            .map_err(|source| StoreError::Persist {
                path: next.clone(),
                source,
            })?;
        self.file = file;
        self.segment_path = next.clone();
        self.records = 0;
        self.compacting.store(true, Ordering::Release);
        let dir = self.dir.clone();
        let flag = self.compacting.clone();
        let key = self.key.clone();
        std::thread::spawn(move || {
            if let Err(error) = write_snapshot(&dir, rv, &objects, &next, key.as_ref()) {
                tracing::warn!(%error, "store snapshot failed; the log is kept whole");
            }
            flag.store(false, Ordering::Release);
        });
        Ok(())
    }
}

fn write_snapshot(
    dir: &Path,
    rv: u64,
    objects: &[Arc<Object>],
    current_segment: &Path,
    key: Option<&SecretsKey>,
) -> std::io::Result<()> {
    let final_path = dir.join(format!("{SNAPSHOT_PREFIX}{rv:020}{SUFFIX}"));
    let tmp_path = dir.join(format!("{SNAPSHOT_PREFIX}{rv:020}{SUFFIX}.tmp"));
    {
        let mut out = std::io::BufWriter::new(
            private(OpenOptions::new().write(true).truncate(true)).open(&tmp_path)?,
        );
        serde_json::to_writer(&mut out, &json!({"rv": rv}))?;
        out.write_all(b"\n")?;
        // Definitions first: the custom resources after them need them to decode.
        let definitions = objects
            .iter()
            .filter(|o| o.kind() == Kind::CustomResourceDefinition);
        let rest = objects
            .iter()
            .filter(|o| o.kind() != Kind::CustomResourceDefinition);
        for object in definitions.chain(rest) {
            match key.filter(|_| object.kind() == Kind::Secret) {
                Some(key) => {
                    let sealed = key.seal(&serde_json::to_vec(object.as_ref())?)?;
                    serde_json::to_writer(&mut out, &sealed)?;
                }
                None => serde_json::to_writer(&mut out, object.as_ref())?,
            }
            out.write_all(b"\n")?;
        }
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
    }
    fs::rename(&tmp_path, &final_path)?;
    File::open(dir)?.sync_all()?;
    // The snapshot now covers everything before the current segment.
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let old_segment = name.starts_with(SEGMENT_PREFIX) && path != current_segment;
        let old_snapshot = name.starts_with(SNAPSHOT_PREFIX) && path != final_path;
        if old_segment || old_snapshot {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

type Numbered = Vec<(u64, PathBuf)>;

/// Snapshots and segments in the directory, each sorted by resourceVersion.
/// Leftover temporary files of an interrupted snapshot are removed.
fn list_files(dir: &Path) -> Result<(Numbered, Numbered), StoreError> {
    let io = |source| StoreError::Persist {
        path: dir.to_path_buf(),
        source,
    };
    let mut snapshots = Vec::new();
    let mut segments = Vec::new();
    for entry in fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(".tmp") && name.starts_with(SNAPSHOT_PREFIX) {
            fs::remove_file(&path).map_err(io)?;
            continue;
        }
        let number = |prefix: &str| {
            name.strip_prefix(prefix)?
                .strip_suffix(SUFFIX)?
                .parse::<u64>()
                .ok()
        };
        if let Some(rv) = number(SNAPSHOT_PREFIX) {
            snapshots.push((rv, path));
        } else if let Some(rv) = number(SEGMENT_PREFIX) {
            segments.push((rv, path));
        }
    }
    snapshots.sort();
    segments.sort();
    Ok((snapshots, segments))
}

/// Non-empty lines with their 1-based numbers.
fn read_lines(path: &Path) -> Result<Vec<(usize, String)>, StoreError> {
    let file = File::open(path).map_err(|source| StoreError::Persist {
        path: path.to_path_buf(),
        source,
    })?;
    let mut lines = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| damaged(path, index + 1, e.to_string()))?;
        if !line.trim().is_empty() {
            lines.push((index + 1, line));
        }
    }
    Ok(lines)
}

fn parse_line(path: &Path, line_no: usize, line: &str) -> Result<Value, StoreError> {
    serde_json::from_str(line).map_err(|e| damaged(path, line_no, e.to_string()))
}

impl Reader<'_> {
    /// The object a record holds: its JSON, or a sealed Secret opened.
    fn object(&mut self, path: &Path, line_no: usize, value: Value) -> Result<Object, StoreError> {
        let value = match value {
            Value::String(stored) if is_encrypted(&stored) => {
                let Some(key) = &self.at_rest.key else {
                    return Err(StoreError::EncryptedWithoutKey {
                        path: path.to_path_buf(),
                        line: line_no,
                        key_file: self.at_rest.key_file.clone(),
                    });
                };
                let plain = key
                    .open(&stored)
                    .map_err(|reason| StoreError::Undecryptable {
                        path: path.to_path_buf(),
                        line: line_no,
                        key_file: self.at_rest.key_file.clone(),
                        reason,
                    })?;
                serde_json::from_slice(&plain).map_err(|e| damaged(path, line_no, e.to_string()))?
            }
            value => {
                if self.at_rest.key.is_some() && is_secret(&value) {
                    self.clear_secrets = true;
                }
                value
            }
        };
        object_from_json(path, line_no, value)
    }
}

fn is_secret(value: &Value) -> bool {
    value["kind"] == "Secret" && value["apiVersion"] == "v1"
}

fn object_from_json(path: &Path, line_no: usize, value: Value) -> Result<Object, StoreError> {
    let kind = Kind::from_type_meta(
        value["apiVersion"].as_str().unwrap_or(""),
        value["kind"].as_str().unwrap_or(""),
    )
    .ok_or_else(|| damaged(path, line_no, "unknown apiVersion/kind".into()))?;
    let object =
        Object::from_json(kind, value).map_err(|e| damaged(path, line_no, e.to_string()))?;
    // A definition comes before its custom resources, in the log and in a
    // snapshot: registering it here lets them decode.
    crate::api::crd::register(&object);
    Ok(object)
}

fn key_from_record(record: &Value) -> Option<ObjectKey> {
    let group = record["group"].as_str()?;
    let kind_name = record["kind"].as_str()?;
    let kind = Kind::all()
        .into_iter()
        .find(|k| k.info().group == group && k.info().kind_name == kind_name)?;
    Some(ObjectKey::new(
        kind,
        record["namespace"].as_str()?,
        record["name"].as_str()?,
    ))
}

fn damaged(path: &Path, line: usize, reason: String) -> StoreError {
    StoreError::Damaged {
        path: path.to_path_buf(),
        line,
        reason,
    }
}

/// Cuts the file back to its last complete line.
fn truncate_last_line(path: &Path) -> std::io::Result<()> {
    let data = fs::read(path)?;
    let keep = data
        .iter()
        .rposition(|b| *b == b'\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let mut file = OpenOptions::new().write(true).open(path)?;
    file.set_len(keep as u64)?;
    file.seek(SeekFrom::End(0))?;
    file.sync_all()
}
/// `options` creating the file readable by its owner only: the store
/// holds every Secret.
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    options.create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options
}
