//! Appending records: validate, fill the envelope (`timestamp`, `id`, `host`), redact,
//! bring to the on-disk form, serialize, then append through [`crate::store::append`].
//! Every write path of the programs goes through [`Writer::prepare`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::record::Record;
use crate::redact::Redactor;
use crate::store::Stream;
use crate::store::append::append_to_file;
use crate::store::read::MAX_LINE;
use crate::time::Timestamp;

/// A record made ready for disk: its file and its redacted line (with the `\n`).
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The daily file it goes to.
    pub path: PathBuf,
    /// The serialized, redacted line, ending in `\n`.
    pub line: Vec<u8>,
}

impl Prepared {
    /// The record as written, as JSON.
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.line).unwrap_or(Value::Null)
    }
}

/// Appends records to the streams of one data root. Every write path of the programs
/// goes through [`Writer::prepare`], so every line on disk has been redacted.
pub struct Writer {
    root: PathBuf,
    /// The last daily file computed: consecutive records mostly share a day.
    last_path: Mutex<Option<(Stream, NaiveDate, PathBuf)>>,
    redactor: Redactor,
    host: Option<String>,
    fsync: bool,
}

impl Writer {
    /// A writer into `root`. `host` stamps records with this machine's name; `fsync`
    /// makes each append durable before returning.
    pub fn new(root: &Path, redactor: Redactor, host: bool, fsync: bool) -> Writer {
        let host = host.then(|| gethostname::gethostname().to_string_lossy().into_owned());
        Writer {
            root: root.to_path_buf(),
            last_path: Mutex::new(None),
            redactor,
            host,
            fsync,
        }
    }

    /// The data root it writes into.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The redactor records pass through.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Validates `record`, fills `timestamp` (with `now`), `id` and `host` when absent,
    /// redacts it and serializes it into its line.
    pub fn prepare<R: Record>(&self, record: R, now: Timestamp) -> Result<Prepared> {
        let mut line = Vec::new();
        let date = self.prepare_into(record, now, &mut line)?;
        Ok(Prepared {
            path: self.daily_path(R::STREAM, date),
            line,
        })
    }

    /// [`Writer::prepare`] into a buffer: appends the record's line (with its `\n`) to
    /// `out` and returns the UTC date of its daily file. On error `out` is left as it was.
    pub fn prepare_into<R: Record>(
        &self,
        mut record: R,
        now: Timestamp,
        out: &mut Vec<u8>,
    ) -> Result<NaiveDate> {
        record.validate()?;
        let env = record.envelope();
        let ts = *env.timestamp.get_or_insert(now);
        if env.id.is_none() {
            let millis = u64::try_from(ts.millis()).unwrap_or(0);
            *env.id = Some(
                ulid::Ulid::from_datetime(SystemTime::UNIX_EPOCH + Duration::from_millis(millis))
                    .to_string(),
            );
        }
        if env.host.is_none() {
            env.host.clone_from(&self.host);
        }
        record.redact(&self.redactor);
        record.normalize();
        let start = out.len();
        if let Err(e) = serde_json::to_writer(&mut *out, &record) {
            out.truncate(start);
            return Err(Error::Internal {
                what: "serializing a record",
                message: e.to_string(),
            });
        }
        let len = out.len() - start;
        if len > MAX_LINE {
            out.truncate(start);
            return Err(Error::invalid(
                "record",
                format!(
                    "is {len} bytes serialized; the limit is {} MiB (longer lines cannot be read back)",
                    MAX_LINE >> 20
                ),
            ));
        }
        out.push(b'\n');
        Ok(ts.utc_date())
    }

    /// The daily file of `stream` for `date` in this writer's root.
    pub fn daily_path(&self, stream: Stream, date: NaiveDate) -> PathBuf {
        let mut last = self.last_path.lock().unwrap_or_else(|p| p.into_inner());
        match &*last {
            Some((s, d, path)) if *s == stream && *d == date => path.clone(),
            _ => {
                let path = stream.daily_path(&self.root, date);
                *last = Some((stream, date, path.clone()));
                path
            }
        }
    }

    /// Prepares and appends one record; returns it as written.
    pub fn append<R: Record>(&self, record: R) -> Result<Value> {
        let prepared = self.prepare(record, Timestamp::now())?;
        self.write(std::slice::from_ref(&prepared))?;
        Ok(prepared.value())
    }

    /// Appends whole lines (each ending in `\n`) to the daily file of `stream` for
    /// `date`: one lock and one `write`, rolled back on failure.
    pub fn append_lines(&self, stream: Stream, date: NaiveDate, data: &[u8]) -> Result<()> {
        append_to_file(&self.daily_path(stream, date), data, self.fsync)
    }

    /// Appends prepared lines, grouped by file: one lock and one `write` per file.
    pub fn write(&self, batch: &[Prepared]) -> Result<()> {
        let mut paths: Vec<&Path> = batch.iter().map(|p| p.path.as_path()).collect();
        paths.sort();
        paths.dedup();
        for path in paths {
            let mut data = Vec::new();
            for p in batch.iter().filter(|p| p.path == path) {
                data.extend_from_slice(&p.line);
            }
            append_to_file(path, &data, self.fsync)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::SkillInvocation;

    #[test]
    fn appends_one_line_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let w = Writer::new(dir.path(), Redactor::default(), false, true);
        let mut rec = SkillInvocation::new("s");
        rec.timestamp = Timestamp::parse("2026-11-20T13:45:01.123Z");
        rec.id = Some("id-1".into());
        w.append(rec.clone()).unwrap();
        w.append(rec).unwrap();
        let text =
            std::fs::read_to_string(dir.path().join("logs/skill-invocations-2026-11-20.jsonl"))
                .unwrap();
        let line = r#"{"timestamp":"2026-11-20T13:45:01.123Z","skill":"s","result":"success","cacheHit":false,"error":null,"id":"id-1"}"#;
        assert_eq!(text, format!("{line}\n{line}\n"));
    }

    #[test]
    fn fills_envelope_and_redacts() {
        let dir = tempfile::tempdir().unwrap();
        let w = Writer::new(dir.path(), Redactor::default(), true, false);
        let mut rec = SkillInvocation::new("s");
        rec.params = Some(serde_json::json!({"password": "x"}));
        let now = Timestamp::parse("2026-11-20T00:00:00.000Z").unwrap();
        let p = w.prepare(rec, now).unwrap();
        let v = p.value();
        assert_eq!(v["timestamp"], "2026-11-20T00:00:00.000Z");
        assert_eq!(v["params"]["password"], "[REDACTED]");
        assert_eq!(v["id"].as_str().unwrap().len(), 26);
        assert!(v["host"].is_string());
        assert!(p.path.ends_with("logs/skill-invocations-2026-11-20.jsonl"));
    }
}
