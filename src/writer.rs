//! Appending records: validate, fill the envelope (`timestamp`, `id`, `host`), redact,
//! bring to the on-disk form, serialize, then append through [`crate::store::append`].
//! Every write path of the programs goes through [`Writer::prepare`].

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::record::{Record, SkillText};
use crate::redact::{Memo, Redactor};
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
    /// `host` as the redactor leaves it.
    redacted_host: Option<String>,
    fsync: bool,
}

impl Writer {
    /// A writer into `root`. `host` stamps records with this machine's name; `fsync`
    /// makes each append durable before returning.
    pub fn new(root: &Path, redactor: Redactor, host: bool, fsync: bool) -> Writer {
        let host = host.then(|| gethostname::gethostname().to_string_lossy().into_owned());
        let redacted_host = host.as_deref().map(|h| redactor.redact_str(h).into_owned());
        Writer {
            root: root.to_path_buf(),
            last_path: Mutex::new(None),
            redactor,
            host,
            redacted_host,
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
            *env.id = Some(new_id(ts));
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

    /// [`Writer::prepare_into`] for a skill invocation given as JSON text (bulk append),
    /// without building a `serde_json::Value` for its free-form fields: the same line,
    /// or `None` (and `out` as it was) when this path cannot vouch for that — the text
    /// is not a valid record, holds an error object, or redaction would change one of
    /// its unknown fields. The caller then takes [`Writer::prepare_into`], which also
    /// explains what is wrong.
    ///
    /// `memo` remembers strings for this writer's redactor ([`Writer::redactor`]); with
    /// another, the path declines.
    pub fn prepare_skill_text(
        &self,
        text: &str,
        now: Timestamp,
        out: &mut Vec<u8>,
        memo: &mut Memo<'_>,
    ) -> Option<NaiveDate> {
        if !std::ptr::eq(memo.redactor(), &self.redactor) {
            return None;
        }
        let mut record = SkillText::parse(text)?;
        if !record.is_valid() {
            return None;
        }
        let (timestamp, id, host) = record.envelope();
        let ts = *timestamp.get_or_insert(now);
        let (fill_id, fill_host) = (id.is_none(), host.is_none());
        if !record.redact(memo) {
            return None;
        }
        // Filled after the record's own fields were redacted, and redacted once: a new
        // id never repeats, so it is not offered to the memo (it would only take the
        // place of a string that does); the host name was redacted when the writer was
        // made.
        let (_, id, host) = record.envelope();
        if fill_id {
            let new = new_id(ts);
            let redacted = match self.redactor.redact_str(&new) {
                Cow::Owned(r) => Some(r),
                Cow::Borrowed(_) => None,
            };
            *id = Some(Cow::Owned(redacted.unwrap_or(new)));
        }
        if fill_host {
            *host = self.redacted_host.as_deref().map(Cow::Borrowed);
        }
        let start = out.len();
        if !record.write(out) || out.len() - start > MAX_LINE {
            out.truncate(start);
            return None;
        }
        out.push(b'\n');
        Some(ts.utc_date())
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

/// A new record id: a ULID for time `ts`.
fn new_id(ts: Timestamp) -> String {
    let millis = u64::try_from(ts.millis()).unwrap_or(0);
    ulid::Ulid::from_datetime(SystemTime::UNIX_EPOCH + Duration::from_millis(millis)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{SkillInvocation, parse_record};

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
    /// A record with every field, free-form values of many shapes, and one of a few
    /// secrets, escapes, numbers and key orders; from a fixed seed.
    fn varied_line(seed: &mut u64, n: usize) -> String {
        let mut next = |m: usize| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed % m as u64) as usize
        };
        const STRINGS: &[&str] = &[
            r#""cargo test --workspace""#,
            r#""src/redact.rs""#,
            r#""café – naïve 日本語 🚀""#,
            r#""line\nnext\t\"quoted\" back\\slash""#,
            r#""ctl \u001f \u0000 end""#,
            r#""esc \u00e9 \/ slash""#,
            r#""upper \u001F""#,
            r#""psql postgres://app:s3cretPw9@db:5432/prod""#,
            r#""ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789""#,
            r#""Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz""#,
            r#""[REDACTED]""#,
            r#""$GITHUB_TOKEN""#,
            r#""9fceb02d0ae598e95dc970b74767f19372d61af8""#,
            r#""123e4567-e89b-12d3-a456-426614174000""#,
            r#""claude-opus-4-6""#,
            r#""token limit exceeded (8192 > 4096)""#,
            r#""sk-proj-AbCdEf0123456789GhIjKlMnOpQrStUvWx""#,
            r#""https://github.com/acme/app/pull/12""#,
            r#""x8Fj2kLq9""#,
            r#""""#,
        ];
        const NUMBERS: &[&str] = &[
            "0",
            "4096",
            "-17",
            "1.5",
            "0.1",
            "1e5",
            "1.50",
            "-0",
            "-0.0",
            "1e100",
            "18446744073709551616",
            "123456789012345678901",
            "2.5e-8",
            "1000.0",
        ];
        const KEYS: &[&str] = &[
            "command",
            "path",
            "max_tokens",
            "url",
            "password",
            "apiKey",
            "token_budget",
            "tokenizer",
            "name",
            "value",
            "env",
            "auth",
            "session_id",
            "Authorization",
            "cookie_consent",
            "nested",
            "key",
            "caf\u{e9}",
            "memory_delta_mb",
            "token",
        ];
        fn value(next: &mut dyn FnMut(usize) -> usize, depth: usize, out: &mut String) {
            match next(if depth > 2 { 4 } else { 7 }) {
                0 | 1 => out.push_str(STRINGS[next(STRINGS.len())]),
                2 => out.push_str(NUMBERS[next(NUMBERS.len())]),
                3 => out.push_str(["true", "false", "null"][next(3)]),
                4 | 5 => {
                    out.push('{');
                    for i in 0..next(5) {
                        if i > 0 {
                            out.push(',');
                        }
                        let key = KEYS[next(KEYS.len())];
                        out.push_str(&format!("{key:?}:"));
                        value(next, depth + 1, out);
                    }
                    out.push('}');
                }
                _ => {
                    out.push('[');
                    for i in 0..next(4) {
                        if i > 0 {
                            out.push(',');
                        }
                        if next(3) == 0 {
                            out.push_str(
                                ["\"--password\"", "\"Authorization\"", "\"-v\""][next(3)],
                            );
                        } else {
                            value(next, depth + 1, out);
                        }
                    }
                    out.push(']');
                }
            }
        }
        let mut fields: Vec<String> = Vec::new();
        let mut field = |key: &str, v: String| fields.push(format!("\"{key}\":{v}"));
        field("skill", STRINGS[next(STRINGS.len())].to_string());
        if next(4) > 0 {
            let day = 20 + next(3);
            field(
                if next(5) == 0 { "ts" } else { "timestamp" },
                format!("\"2026-11-{day}T10:00:0{}.5Z\"", n % 10),
            );
        }
        if next(3) > 0 {
            field("id", format!("\"r{n}\""));
        }
        for (key, choices) in [
            (
                "result",
                &["\"success\"", "\"failure\"", "\"timeout\"", "null"][..],
            ),
            ("duration", &["1234", "12.5", "0", "1e3", "null", "-1"][..]),
            ("cacheHit", &["true", "false"][..]),
            (
                "agent",
                &["\"developer\"", "null", "\"dev\\u0065loper\""][..],
            ),
            ("runId", &["\"run-001\"", "null"][..]),
            ("cujId", &["\"CUJ-005\""][..]),
            (
                "error",
                &[
                    "null",
                    "\"connection refused\"",
                    "{\"message\":\"boom\",\"code\":429}",
                    "\"password=hunter2x9\"",
                ][..],
            ),
            (
                "tags",
                &[
                    "[\"ci\",\"run-1\"]",
                    "null",
                    "[\"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\"]",
                ][..],
            ),
            ("host", &["\"build-1\""][..]),
        ] {
            if next(2) == 0 {
                field(key, choices[next(choices.len())].to_string());
            }
        }
        for key in [
            "params",
            "metadata",
            "model",
            "extra_field",
            "password",
            "params",
        ] {
            if next(3) == 0 {
                let mut v = String::new();
                value(&mut next, 0, &mut v);
                field(key, v);
            }
        }
        // Any order; sometimes spaces around the separators.
        for i in (1..fields.len()).rev() {
            let j = next(i + 1);
            fields.swap(i, j);
        }
        let sep = if next(6) == 0 { ", " } else { "," };
        format!("{{{}}}", fields.join(sep))
    }

    #[test]
    fn the_text_path_writes_what_the_general_path_writes() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Writer::new(dir.path(), Redactor::default(), true, false);
        let now = Timestamp::parse("2026-11-30T12:00:00.000Z").unwrap();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut memo = writer.redactor().memo();
        let (mut fast, mut slow_only, mut redacted_fast) = (0, 0, 0);
        for n in 0..20_000 {
            let line = varied_line(&mut seed, n);
            let mut general = Vec::new();
            let expected = parse_record::<SkillInvocation>(&line, "line")
                .and_then(|rec| writer.prepare_into(rec, now, &mut general));
            let mut text = b"kept".to_vec();
            let Some(date) = writer.prepare_skill_text(&line, now, &mut text, &mut memo) else {
                assert_eq!(text, b"kept", "{line}");
                slow_only += 1;
                continue;
            };
            fast += 1;
            let date_general = expected.unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(date, date_general, "{line}");
            let (mut text, mut general) = (text.split_off(4), general);
            // A new id is a ULID of the record's time: its random part differs.
            if !line.contains("\"id\":") {
                for l in [&mut text, &mut general] {
                    let at = memchr::memmem::find(l, b"\"id\":\"").unwrap() + 6 + 10;
                    l[at..at + 16].fill(b'R');
                }
            }
            assert_eq!(
                String::from_utf8(text).unwrap(),
                String::from_utf8(general.clone()).unwrap(),
                "{line}"
            );
            redacted_fast += usize::from(memchr::memmem::find(&general, b"[REDACTED]").is_some());
        }
        // Both paths are exercised, the text path on most lines and on lines it
        // redacts.
        assert!(fast > 6_000, "{fast} {slow_only}");
        assert!(slow_only > 2_000, "{fast} {slow_only}");
        assert!(redacted_fast > 1_000, "{redacted_fast}");
    }

    #[test]
    fn the_text_path_takes_typical_lines_and_declines_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Writer::new(dir.path(), Redactor::default(), false, false);
        let now = Timestamp::parse("2026-11-30T12:00:00.000Z").unwrap();
        let take = |line: &str| {
            let mut out = Vec::new();
            writer
                .prepare_skill_text(line, now, &mut out, &mut writer.redactor().memo())
                .map(|_| String::from_utf8(out).unwrap())
        };
        assert_eq!(
            take(r#"{"skill":"s","duration":12,"id":"i","params":{"b":1,"a":[true,null]},"model":"m","tags":["x"]}"#).as_deref(),
            Some("{\"timestamp\":\"2026-11-30T12:00:00.000Z\",\"skill\":\"s\",\"params\":{\"b\":1,\"a\":[true,null]},\"result\":\"success\",\"duration\":12.0,\"cacheHit\":false,\"error\":null,\"tags\":[\"x\"],\"id\":\"i\",\"model\":\"m\"}\n")
        );
        assert_eq!(
            take(r#"{"skill":"s","id":"i","metadata":{"password":"hunter2"},"error":"see postgres://u:pw9x@h/db"}"#).as_deref(),
            Some("{\"timestamp\":\"2026-11-30T12:00:00.000Z\",\"skill\":\"s\",\"result\":\"success\",\"cacheHit\":false,\"error\":\"see postgres://u:[REDACTED]@h/db\",\"metadata\":{\"password\":\"[REDACTED]\"},\"id\":\"i\"}\n")
        );
        // A memo of another redactor (which may have other rules): declined.
        let other = Redactor::default();
        assert!(take(r#"{"skill":"s"}"#).is_some());
        assert_eq!(
            writer.prepare_skill_text(r#"{"skill":"s"}"#, now, &mut Vec::new(), &mut other.memo()),
            None
        );
        for declined in [
            r#"{"skill":"s","error":{"message":"m"}}"#,
            r#"{"skill":"s","skill":"t"}"#,
            r#"{"ts":"2026-11-20T10:00:00Z","timestamp":"2026-11-20T10:00:00Z","skill":"s"}"#,
            r#"{"skill":"s","x":1,"x":2}"#,
            r#"{"skill":"s","apiKey":"abcdefgh12345678XYZ"}"#,
            r#"{"skill":" "}"#,
            r#"{"skill":"s","duration":-1}"#,
            r#"{"skill":"s","duration":"soon"}"#,
            r#"{"duration":1}"#,
            r#"["s"]"#,
            r#"{"skill":"s"} x"#,
        ] {
            assert_eq!(take(declined), None, "{declined}");
        }
    }
}
