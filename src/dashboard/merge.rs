//! `cc-dashboard merge --from DIR`: copies into a root the records of another
//! machine's root that it does not hold yet (by `id`; records without one by their
//! exact line), each into the daily file of its timestamp. Running it twice adds
//! nothing.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::redact::Redactor;
use crate::store::append::append_to_file;
use crate::store::{LineError, Roots, Scan, Skipped, Stream};
use crate::time::Timestamp;

/// What a merge did for one stream.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MergeCount {
    /// The stream (`skill-invocations`, ...).
    pub stream: String,
    /// Records copied.
    pub added: u64,
    /// Records the root already held.
    pub present: u64,
}

/// What identifies a record: its id, or (without one) its whole line.
fn identity(v: &Value, line: &[u8]) -> String {
    match v.get("id").and_then(Value::as_str) {
        Some(id) => format!("id:{id}"),
        None => format!("line:{}", String::from_utf8_lossy(line)),
    }
}

fn timestamp_of(v: &Value) -> Option<Timestamp> {
    v.get("timestamp")
        .or_else(|| v.get("ts"))
        .and_then(Value::as_str)
        .and_then(Timestamp::parse)
}

/// A stored record: its identity, its time, its line.
type Held = (String, Timestamp, Box<[u8]>);

/// Reads every record of `stream` in `roots`.
fn records(roots: &Roots, stream: Stream) -> Result<(Vec<Held>, Skipped)> {
    let scan = Scan::new(roots.files(stream, None, None)?, false);
    scan.run(
        Vec::new,
        |acc, line| {
            let v: Value = serde_json::from_slice(line.bytes).map_err(|_| LineError::Malformed)?;
            if !v.is_object() {
                return Err(LineError::Malformed);
            }
            let t = timestamp_of(&v).ok_or(LineError::Invalid)?;
            acc.push((identity(&v, line.bytes), t, line.bytes.into()));
            Ok(())
        },
        |mut a, mut b| {
            a.append(&mut b);
            a
        },
    )
}

/// Merges every stream of `from` into `root`. Lines are redacted on the way in (the
/// other root may hold lines written by other tools).
pub fn merge(
    root: &Path,
    from: &Path,
    redactor: &Redactor,
    fsync: bool,
) -> Result<(Vec<MergeCount>, Skipped)> {
    if !from.is_dir() {
        return Err(Error::invalid(
            "--from",
            format!("{} is not a folder", from.display()),
        ));
    }
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    if same(root, from) {
        return Err(Error::invalid("--from", "is the root itself"));
    }
    let mut skipped = Skipped::default();
    let mut counts = Vec::new();
    for stream in Stream::ALL {
        let (ours, s) = records(&Roots::new(vec![root.to_path_buf()]), stream)?;
        skipped.merge(s);
        let mut held: HashSet<String> = ours.into_iter().map(|(id, _, _)| id).collect();
        let (theirs, s) = records(&Roots::new(vec![from.to_path_buf()]), stream)?;
        skipped.merge(s);
        let mut count = MergeCount {
            stream: stream.stem().to_string(),
            ..MergeCount::default()
        };
        let mut by_file: BTreeMap<PathBuf, Vec<(Timestamp, Vec<u8>)>> = BTreeMap::new();
        for (id, t, line) in theirs {
            if !held.insert(id) {
                count.present += 1;
                continue;
            }
            let mut bytes = redacted(&line, redactor);
            bytes.push(b'\n');
            by_file
                .entry(stream.daily_path(root, t.utc_date()))
                .or_default()
                .push((t, bytes));
            count.added += 1;
        }
        for (path, mut lines) in by_file {
            lines.sort_by_key(|(t, _)| *t);
            let data: Vec<u8> = lines.into_iter().flat_map(|(_, b)| b).collect();
            append_to_file(&path, &data, fsync)?;
        }
        counts.push(count);
    }
    Ok((counts, skipped))
}

/// The line as stored when it holds no secret, else its redacted form.
fn redacted(line: &[u8], redactor: &Redactor) -> Vec<u8> {
    match serde_json::from_slice::<Value>(line) {
        Ok(original) => {
            let mut v = original.clone();
            redactor.redact_value(&mut v);
            if v == original {
                line.to_vec()
            } else {
                v.to_string().into_bytes()
            }
        }
        Err(_) => line.to_vec(),
    }
}
