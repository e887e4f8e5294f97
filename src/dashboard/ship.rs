//! `cc-dashboard ship clickhouse` (SPEC §12): every stream's records not yet shipped,
//! sent to ClickHouse over HTTP as `INSERT ... FORMAT JSONEachRow` in batches. The
//! state (`analytics/ship-state.json`, per URL and database: file, inode, offset)
//! advances only after the server acknowledged a batch (and every batch before it),
//! so a ship killed at any moment and run again loses nothing; the tables are
//! ReplacingMergeTree keyed by `id`, so a batch sent twice is one record after merging
//! (or with `FINAL`).
//!
//! Rows are streamed to the server while they are being converted (chunked POSTs),
//! each batch as [`LANES`] INSERTs at once and [`SLOTS`] batches at a time, since
//! ClickHouse parses an INSERT on one thread and writes its parts only at its end.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::http::{self, display_url};
use crate::error::{Error, Result};
use crate::record::{Timestamp, error_message};
use crate::redact::Redactor;
use crate::store::{Roots, Stream, safe};

mod rows;

pub use rows::RowWriter;

/// The state file, under the primary root.
pub const STATE_FILE: &str = "analytics/ship-state.json";

/// A column's type, as stored and as converted from the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `String`, "" when absent.
    Str,
    /// `Nullable(String)`.
    OptStr,
    /// `Float64`, 0 when absent.
    F64,
    /// `Nullable(Float64)`.
    OptF64,
    /// `UInt64`, 0 when absent.
    U64,
    /// `Nullable(UInt64)`.
    OptU64,
    /// `UInt8`, 1 for `true`.
    Bool,
    /// `Nullable(String)` holding the error message (a string, or an object's `message`).
    Error,
}

impl Kind {
    fn sql(self) -> &'static str {
        match self {
            Kind::Str => "String",
            Kind::OptStr | Kind::Error => "Nullable(String)",
            Kind::F64 => "Float64",
            Kind::OptF64 => "Nullable(Float64)",
            Kind::U64 => "UInt64",
            Kind::OptU64 => "Nullable(UInt64)",
            Kind::Bool => "UInt8",
        }
    }
}

/// A documented field kept as a column: its name, the record keys it comes from
/// (current name first, then older aliases) and its type.
struct Column(&'static str, &'static [&'static str], Kind);

/// Every stream's table and its field columns (besides `id`, `ts`, `timestamp_ms`,
/// `host` and `record`, which every table has).
fn columns(stream: Stream) -> (&'static str, &'static [Column]) {
    use Kind::*;
    match stream {
        Stream::SkillInvocations => (
            "skill_invocations",
            &[
                Column("skill", &["skill"], Str),
                Column("result", &["result"], Str),
                Column("duration_ms", &["duration"], OptF64),
                Column("cache_hit", &["cacheHit"], Bool),
                Column("agent", &["agent"], OptStr),
                Column("run_id", &["runId"], OptStr),
                Column("cuj_id", &["cujId"], OptStr),
                Column("error", &["error"], Error),
            ],
        ),
        Stream::CujMetrics => (
            "cuj_metrics",
            &[
                Column("cuj_id", &["cujId"], Str),
                Column("success", &["success"], Bool),
                Column("duration_ms", &["duration"], F64),
                Column("workflow", &["workflow"], OptStr),
                Column("run_id", &["runId"], OptStr),
                Column("iterations", &["iterations"], OptF64),
                Column("error", &["error"], Error),
            ],
        ),
        Stream::Progress => (
            "progress",
            &[
                Column("run_id", &["runId"], Str),
                Column("step", &["step"], OptU64),
                Column("status", &["status"], OptStr),
                Column("percentage", &["percentage"], OptF64),
                Column("message", &["message"], OptStr),
                Column("source", &["source"], OptStr),
                Column("name", &["name"], OptStr),
                Column("error", &["error"], Error),
            ],
        ),
        Stream::ProviderHealth => (
            "provider_health",
            &[
                Column("provider", &["provider"], Str),
                Column("success", &["success"], Bool),
                Column("latency_ms", &["latency"], F64),
                Column("status_code", &["statusCode"], OptU64),
                Column("model", &["model"], OptStr),
                Column("input_tokens", &["inputTokens"], U64),
                Column("output_tokens", &["outputTokens"], U64),
                Column("cache_read_tokens", &["cacheReadTokens"], U64),
                Column("cache_write_tokens", &["cacheWriteTokens"], U64),
                Column("cost_usd", &["costUsd"], OptF64),
                Column("kind", &["kind"], OptStr),
                Column("run_id", &["runId"], OptStr),
                Column("error", &["error"], Error),
            ],
        ),
        Stream::Notifications => (
            "notifications",
            &[
                Column("type", &["type"], Str),
                Column("message", &["message"], OptStr),
                Column("target", &["target"], OptStr),
                Column("run_id", &["runId"], OptStr),
            ],
        ),
    }
}

/// A database or table name: letters, digits and `_`, not starting with a digit.
pub fn valid_identifier(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// The DDL: the database and one table per stream, each ReplacingMergeTree keyed by
/// `id` and partitioned by month. Valid on ClickHouse 18.16 and current releases.
pub fn schema(database: &str) -> Vec<String> {
    let mut out = vec![format!("CREATE DATABASE IF NOT EXISTS {database}")];
    for stream in Stream::ALL {
        let (table, cols) = columns(stream);
        let mut lines = vec![
            "  id String".to_string(),
            "  ts DateTime".to_string(),
            "  timestamp_ms Int64".to_string(),
            "  host String".to_string(),
        ];
        lines.extend(cols.iter().map(|c| format!("  {} {}", c.0, c.2.sql())));
        lines.push("  record String".to_string());
        out.push(format!(
            "CREATE TABLE IF NOT EXISTS {database}.{table}\n(\n{}\n)\nENGINE = ReplacingMergeTree()\nPARTITION BY toYYYYMM(ts)\nORDER BY id",
            lines.join(",\n")
        ));
    }
    out
}

/// Views with the CLI's figures: per skill (`cc-log stats`), per journey
/// (`cc-metrics`), per provider and model (`cc-health usage`), read with `FINAL` so a
/// record shipped twice counts once. Percentiles are nearest-rank, as the CLI computes
/// them exactly (the CLI switches to a 3-digit HdrHistogram on very large sets).
pub fn views(database: &str) -> Vec<String> {
    let d = database;
    // The CLI's nearest-rank percentile: the ceil(q * n)-th smallest value.
    let rank = |q: &str, values: &str| {
        format!(
            "arrayElement(arraySort({values}), toUInt64(greatest(1, ceil({q} * length({values})))))"
        )
    };
    let skill_ms = "groupArrayIf(assumeNotNull(duration_ms), isNotNull(duration_ms))";
    let (s50, s95) = (rank("0.5", skill_ms), rank("0.95", skill_ms));
    let (c50, c95) = (
        rank("0.5", "groupArray(duration_ms)"),
        rank("0.95", "groupArray(duration_ms)"),
    );
    let p95 = rank("0.95", "groupArray(latency_ms)");
    vec![
        format!(
            "CREATE VIEW IF NOT EXISTS {d}.skill_stats AS\nSELECT\n  skill,\n  count() AS count,\n  countIf(result = 'success') AS successes,\n  countIf(result IN ('failure', 'timeout')) AS failures,\n  countIf(result = 'success') / count() AS success_rate,\n  countIf(cache_hit = 1) / count() AS cache_hit_rate,\n  {s50} / 1000 AS p50_seconds,\n  {s95} / 1000 AS p95_seconds\nFROM {d}.skill_invocations FINAL\nGROUP BY skill"
        ),
        format!(
            "CREATE VIEW IF NOT EXISTS {d}.cuj_stats AS\nSELECT\n  cuj_id,\n  count() AS executions,\n  sum(success) AS successes,\n  sum(success) / count() AS success_rate,\n  {c50} / 1000 AS p50_seconds,\n  {c95} / 1000 AS p95_seconds\nFROM {d}.cuj_metrics FINAL\nGROUP BY cuj_id"
        ),
        format!(
            "CREATE VIEW IF NOT EXISTS {d}.provider_stats AS\nSELECT\n  provider,\n  count() AS calls,\n  sum(success) AS successes,\n  sum(success) / count() AS availability,\n  {p95} / 1000 AS p95_seconds\nFROM {d}.provider_health FINAL\nWHERE ifNull(kind, '') != 'service'\nGROUP BY provider"
        ),
        format!(
            "CREATE VIEW IF NOT EXISTS {d}.usage AS\nSELECT\n  provider,\n  ifNull(model, '') AS model,\n  count() AS calls,\n  sum(input_tokens) AS input_tokens,\n  sum(output_tokens) AS output_tokens,\n  sum(cache_read_tokens) AS cache_read_tokens,\n  sum(cache_write_tokens) AS cache_write_tokens,\n  sum(ifNull(cost_usd, 0)) AS recorded_cost_usd\nFROM {d}.provider_health FINAL\nGROUP BY provider, model"
        ),
    ]
}

/// A stable id for a record written without one: a 128-bit FNV-1a hash of its line.
pub fn line_id(line: &[u8]) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    for b in line {
        h ^= u128::from(*b);
        h = h.wrapping_mul(PRIME);
    }
    format!("h{h:032x}")
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// One stored line as a row of its table, or `None` when it is not a JSON object
/// with a valid time. The record passes the redactor first. The reference
/// conversion: [`RowWriter`] writes the same row's bytes much faster, and is what
/// [`ship`] sends.
pub fn row(stream: Stream, line: &[u8], redactor: &Redactor) -> Option<Value> {
    let mut record: Value = serde_json::from_slice(line).ok()?;
    if !record.is_object() {
        return None;
    }
    redactor.redact_value(&mut record);
    let obj = record.as_object()?;
    let ts_value = obj.get("timestamp").or_else(|| obj.get("ts"))?;
    let ts: Timestamp = serde_json::from_value(ts_value.clone()).ok()?;
    let id = obj
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map_or_else(|| line_id(line), str::to_string);
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    out.insert(
        "ts".into(),
        json!(ts.to_datetime().format("%Y-%m-%d %H:%M:%S").to_string()),
    );
    out.insert("timestamp_ms".into(), json!(ts.0));
    out.insert(
        "host".into(),
        json!(obj.get("host").and_then(Value::as_str).unwrap_or("")),
    );
    let (_, cols) = columns(stream);
    for Column(name, keys, kind) in cols {
        let v = keys
            .iter()
            .find_map(|k| obj.get(*k))
            .unwrap_or(&Value::Null);
        let cell = match kind {
            Kind::Str => json!(text_of(v).unwrap_or_default()),
            Kind::OptStr => json!(text_of(v)),
            Kind::Error => json!(if v.is_null() { None } else { error_message(v) }),
            Kind::F64 => json!(v.as_f64().unwrap_or(0.0)),
            Kind::OptF64 => json!(v.as_f64()),
            Kind::U64 => json!(v.as_u64().unwrap_or(0)),
            Kind::OptU64 => json!(v.as_u64()),
            Kind::Bool => json!(u8::from(v.as_bool().unwrap_or(false))),
        };
        out.insert((*name).into(), cell);
    }
    out.insert("record".into(), json!(record.to_string()));
    Some(Value::Object(out))
}

/// Where shipping stopped in one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMark {
    /// The file's inode when it was read (a new file at the same path starts over).
    pub inode: u64,
    /// Bytes acknowledged by the server (whole lines).
    pub offset: u64,
}

/// Shipping state: per destination (`URL database`, credentials never included), per
/// file path, the mark.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Destinations.
    pub destinations: BTreeMap<String, BTreeMap<String, FileMark>>,
}

impl State {
    fn load(path: &Path) -> Result<State> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Config {
                path: path.to_path_buf(),
                field: "destinations".into(),
                message: format!("not a ship state file: {e}"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(source) => Err(Error::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| Error::Internal {
            what: "serializing the ship state",
            message: e.to_string(),
        })?;
        safe::write_atomic(path, &text, safe::PRIVATE_FILE, safe::PRIVATE_DIR).map_err(|source| {
            Error::Write {
                path: path.to_path_buf(),
                source,
            }
        })
    }
}

/// What `ship clickhouse` was asked to do.
#[derive(Debug, Clone)]
pub struct ShipOptions {
    /// The server's HTTP interface, `http://host:8123`.
    pub url: String,
    /// The database.
    pub database: String,
    /// Rows per INSERT.
    pub batch: usize,
    /// Count what would be sent; send nothing, change nothing.
    pub dry_run: bool,
    /// How long connection errors and 5xx are retried before giving up.
    pub retry_for: Duration,
    /// `CLICKHOUSE_USER` and `CLICKHOUSE_PASSWORD`.
    pub credentials: Option<(String, String)>,
}

/// What a ship did, per stream: rows sent (or, dry, that would be) and batches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ShipReport {
    /// Per table: rows.
    pub rows: BTreeMap<String, u64>,
    /// Batches acknowledged (each sent as up to [`LANES`] concurrent INSERTs).
    pub batches: u64,
    /// Lines that were not records (skipped).
    pub skipped: u64,
    /// Send attempts that were retried.
    pub retries: u64,
}

/// A connection to the server: POSTs with retries, from several threads at once.
struct Server<'a> {
    opts: &'a ShipOptions,
    auth: Option<String>,
    redactor: &'a Redactor,
    retries: AtomicU64,
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn encode_query(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Server<'_> {
    fn url(&self, query: Option<&str>) -> String {
        let base = self.opts.url.trim_end_matches('/');
        match query {
            Some(q) => format!("{base}/?query={}", encode_query(q)),
            None => format!("{base}/"),
        }
    }

    fn headers(&self) -> Vec<(&'static str, &str)> {
        let mut headers = vec![("Content-Type", "text/plain; charset=utf-8")];
        if let Some(a) = &self.auth {
            headers.push(("Authorization", a.as_str()));
        }
        headers
    }

    /// How an attempt ended: `Ok(None)` acknowledged, `Ok(Some(failure))` worth
    /// retrying (no connection, or a 5xx), `Err` a refusal (4xx), which is final.
    fn judge(
        &self,
        attempt: std::result::Result<http::Answer, http::Unreachable>,
    ) -> Result<Option<String>> {
        match attempt {
            Ok(a) if (200..300).contains(&a.status) => Ok(None),
            Ok(a) if (400..500).contains(&a.status) => Err(Error::Remote {
                to: format!("ClickHouse at {}", display_url(&self.opts.url)),
                message: format!(
                    "HTTP {}: {}",
                    a.status,
                    self.redactor.redact_str(a.text.trim())
                ),
            }),
            Ok(a) => Ok(Some(format!(
                "HTTP {}: {}",
                a.status,
                self.redactor.redact_str(a.text.trim())
            ))),
            Err(e) => Ok(Some(e.0)),
        }
    }

    /// POSTs `body` (with `query` in the URL when given); retries connection errors
    /// and 5xx with doubling pauses for up to `retry_for`; a 4xx is final.
    fn post(&self, query: Option<&str>, body: &[u8]) -> Result<()> {
        let url = self.url(query);
        let started = Instant::now();
        let attempt = http::post(&url, &self.headers(), body, POST_TIMEOUT);
        match self.judge(attempt)? {
            None => Ok(()),
            Some(failure) => self.retry(&url, body, started, failure),
        }
    }

    /// Sends `batch` as `query`'s data, streamed while it is being converted. When
    /// that attempt fails (and is worth retrying), the batch's lines are converted
    /// again into one body, which is retried as [`Server::post`] does.
    fn insert(&self, query: &str, batch: &mut Outgoing, stream: Stream) -> Result<()> {
        let url = self.url(Some(query));
        let started = Instant::now();
        let attempt = http::post_reader(&url, &self.headers(), batch, POST_TIMEOUT);
        let failure = match self.judge(attempt) {
            Ok(None) => return Ok(()),
            Ok(Some(failure)) => failure,
            Err(refused) => {
                // The rest of the batch is passed over, so that the other lanes go on.
                batch.finish()?;
                return Err(refused);
            }
        };
        let end = batch.finish()?;
        let mut writer = RowWriter::new(stream, self.redactor);
        let mut body = Vec::new();
        let mut rows = Vec::new();
        let mut skipped = 0;
        for lines in &end.lines {
            convert_lines(
                &mut writer,
                &lines.bytes[..],
                (lines.start, lines.end),
                (&mut body, &mut rows, &mut skipped),
            );
        }
        if rows.len() != end.rows {
            return Err(Error::Internal {
                what: "converting a batch again for ClickHouse",
                message: format!("{} rows where the batch held {}", rows.len(), end.rows),
            });
        }
        self.retry(&url, &body, started, failure)
    }

    /// Retries `body` after a first attempt, started at `started`, failed with
    /// `failure`: doubling pauses for up to `retry_for`, then gives up.
    fn retry(&self, url: &str, body: &[u8], started: Instant, mut failure: String) -> Result<()> {
        let mut pause = Duration::from_millis(250);
        let mut attempts = 1u32;
        loop {
            if started.elapsed() + pause > self.opts.retry_for {
                return Err(Error::Remote {
                    to: format!("ClickHouse at {}", display_url(&self.opts.url)),
                    message: format!(
                        "gave up after {attempts} attempts over {:.0?}: {}",
                        started.elapsed(),
                        failure
                    ),
                });
            }
            crate::error::warn(format_args!(
                "warning: ClickHouse at {}: {failure}; retrying in {pause:.1?}",
                display_url(&self.opts.url)
            ));
            self.retries.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(16));
            attempts += 1;
            let attempt = http::post(url, &self.headers(), body, POST_TIMEOUT);
            match self.judge(attempt)? {
                None => return Ok(()),
                Some(f) => failure = f,
            }
        }
    }
}

/// How long one POST may take, from connecting to the server's answer.
const POST_TIMEOUT: Duration = Duration::from_secs(60);

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.ino()
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

/// A file's bytes (decompressed when gzipped) and inode; `None` when it is not a
/// regular file any more.
fn read_file(path: &Path, gz: bool) -> Result<Option<(Vec<u8>, u64)>> {
    let file = match safe::open_read(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            crate::error::warn(format_args!("warning: skipped {}: {e}", path.display()));
            return Ok(None);
        }
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let meta = file.metadata().map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // Room for the whole file at once (growing would copy it over and over).
    let mut bytes = Vec::with_capacity(if gz {
        0
    } else {
        usize::try_from(meta.len()).unwrap_or(0)
    });
    let res = if gz {
        flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file)).read_to_end(&mut bytes)
    } else {
        std::io::BufReader::new(file).read_to_end(&mut bytes)
    };
    res.map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Some((bytes, inode(&meta))))
}

/// Bytes of stored lines a converting thread takes at a time.
const PIECE: usize = 256 * 1024;

/// A file with lines not yet shipped, as the state names it.
#[derive(Debug)]
struct Source {
    path_key: String,
    inode: u64,
}

/// Lines `start..end` of a file to convert; the file's last piece ends where its
/// whole lines end.
struct Job {
    source: Arc<Source>,
    bytes: Arc<Vec<u8>>,
    start: usize,
    end: usize,
    last: bool,
}

/// A job's rows: the body, where each row ends in it and where its line ends in the
/// file, and the lines that were not records.
struct Piece {
    job: Job,
    body: Vec<u8>,
    rows: Vec<(usize, usize)>,
    skipped: u64,
}

/// Stored lines `start..end` of a file: what a batch's rows were converted from, to
/// convert them again when the batch is sent again.
struct Lines {
    bytes: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

/// A finished batch: its rows (none when only lines that are not records are left),
/// the offsets the state advances to, per file, once the server acknowledged it, and
/// the lines it was converted from.
struct BatchEnd {
    rows: usize,
    marks: Vec<(Arc<Source>, usize)>,
    lines: Vec<Lines>,
}

/// What the assembler hands on, in order: the rows of a batch as they are converted,
/// then its end.
enum Part {
    /// Rows `body[range]`; a piece's body whose rows end one batch and begin the next
    /// is shared by both.
    Rows(Arc<Vec<u8>>, std::ops::Range<usize>),
    /// The batch is complete.
    End(BatchEnd),
}

/// Where the `k`-th piece of `bytes[from..to]` (whole lines) starts: just after the
/// first newline at or past `from + k * PIECE`. The last piece ends at `to`.
fn piece_start(bytes: &[u8], from: usize, to: usize, k: usize) -> usize {
    if k == 0 {
        return from;
    }
    let at = from.saturating_add(k.saturating_mul(PIECE));
    if at >= to {
        return to;
    }
    memchr::memchr(b'\n', &bytes[at..to]).map_or(to, |i| at + i + 1)
}

/// Buffers handed back for reuse: fresh memory costs page faults (and zeroing) on
/// every piece otherwise. A piece's body comes back once its rows are on the wire.
#[derive(Default)]
struct Spare {
    bodies: Mutex<Vec<Vec<u8>>>,
    rows: Mutex<Vec<Vec<(usize, usize)>>>,
}

impl Spare {
    fn body(&self) -> Vec<u8> {
        let mut bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
        bodies.pop().unwrap_or_default()
    }

    /// Takes `body` back when no one else holds it.
    fn give_body(&self, body: Arc<Vec<u8>>) {
        if let Some(mut body) = Arc::into_inner(body) {
            body.clear();
            let mut bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
            bodies.push(body);
        }
    }

    fn rows(&self) -> Vec<(usize, usize)> {
        let mut rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        rows.pop().unwrap_or_default()
    }

    fn give_rows(&self, mut rows: Vec<(usize, usize)>) {
        rows.clear();
        let mut spare = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        spare.push(rows);
    }
}

/// Converts the lines `bytes[start..end]` into `body`, noting where each row ends
/// (in `body`) and where its line ends (in `bytes`), and counting the lines that are
/// not records; blank lines are passed over.
fn convert_lines(
    writer: &mut RowWriter,
    bytes: &[u8],
    (start, end): (usize, usize),
    (body, rows, skipped): (&mut Vec<u8>, &mut Vec<(usize, usize)>, &mut u64),
) {
    let mut cursor = start;
    while cursor < end {
        let nl = memchr::memchr(b'\n', &bytes[cursor..end]).map_or(end, |i| cursor + i);
        let line = &bytes[cursor..nl];
        cursor = (nl + 1).min(end);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if writer.write(line, body) {
            rows.push((body.len(), cursor));
        } else {
            *skipped += 1;
        }
    }
}

/// Converts a job's lines.
fn convert(writer: &mut RowWriter, job: Job, spare: &Spare) -> Piece {
    let (mut body, mut rows, mut skipped) = (spare.body(), spare.rows(), 0);
    // A row holds its line twice (as columns, and escaped as the record): room for
    // that at once, as growing would copy the body into fresh memory. The same room
    // for every piece (pieces differ by up to a line), so a reused body never grows.
    let room = (job.end - job.start).max(PIECE).saturating_mul(3) + PIECE / 4;
    if body.capacity() < room {
        body.reserve_exact(room);
    }
    rows.reserve(PIECE / 128);
    convert_lines(
        writer,
        &job.bytes[..],
        (job.start, job.end),
        (&mut body, &mut rows, &mut skipped),
    );
    Piece {
        job,
        body,
        rows,
        skipped,
    }
}

/// INSERTs a batch is sent as, at the same time: ClickHouse parses each INSERT on one
/// thread, so two keep two of its cores busy, and each writes half the rows when the
/// batch ends.
pub const LANES: usize = 2;

/// Batches sent at the same time: the next batch's rows flow while the server writes
/// the previous one's parts. Batches are still acknowledged (and the state advanced)
/// in order.
pub const SLOTS: usize = 2;

/// Cuts converted pieces, in order, into batches of `size` rows, across files: a
/// batch ends with its last row's line; the lines of a file after its last row go
/// with the next batch (or a last one without rows). A batch's pieces are dealt to
/// `lanes` INSERTs in turn. Rows are handed on as soon as their piece is converted, so
/// the server parses a batch while the rest of it is still being converted.
struct Assembler<'s> {
    spare: &'s Spare,
    size: usize,
    lanes: usize,
    slots: usize,
    /// Batches ended so far (batch `k` goes to the lanes of slot `k % slots`).
    batches: usize,
    /// Pieces fed so far (piece `n` goes to lane `n % lanes`).
    fed: usize,
    /// Rows of the batch being assembled, handed on already.
    rows: usize,
    /// The same, per lane.
    lane_rows: Vec<usize>,
    /// Files read to their end since the last batch.
    done: Vec<(Arc<Source>, usize)>,
    /// The lines of the batch so far, per lane.
    lines: Vec<Vec<Lines>>,
}

impl Assembler<'_> {
    fn new(spare: &Spare, size: usize, (lanes, slots): (usize, usize)) -> Assembler<'_> {
        Assembler {
            spare,
            size,
            lanes,
            slots,
            batches: 0,
            fed: 0,
            rows: 0,
            lane_rows: vec![0; lanes],
            done: Vec::new(),
            lines: (0..lanes).map(|_| Vec::new()).collect(),
        }
    }

    /// The channel of the current batch's `lane`.
    fn channel(&self, lane: usize) -> usize {
        (self.batches % self.slots) * self.lanes + lane
    }

    /// Ends the batch on every lane; the first lane's end carries the marks.
    fn end<E>(
        &mut self,
        mut marks: Vec<(Arc<Source>, usize)>,
        emit: &mut impl FnMut(usize, Part) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.rows = 0;
        for lane in 0..self.lanes {
            emit(
                self.channel(lane),
                Part::End(BatchEnd {
                    rows: std::mem::take(&mut self.lane_rows[lane]),
                    marks: std::mem::take(&mut marks),
                    lines: std::mem::take(&mut self.lines[lane]),
                }),
            )?;
        }
        self.batches += 1;
        Ok(())
    }

    fn feed<E>(
        &mut self,
        piece: Piece,
        emit: &mut impl FnMut(usize, Part) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let Piece {
            job, body, rows, ..
        } = piece;
        let lane = self.fed % self.lanes;
        self.fed += 1;
        let body = Arc::new(body);
        // Where the rows and lines not yet in a batch start.
        let (mut from, mut line_from, mut emitted_at) = (0, job.start, None);
        for &(row_end, line_end) in &rows {
            self.rows += 1;
            self.lane_rows[lane] += 1;
            if self.rows == self.size {
                emit(self.channel(lane), Part::Rows(body.clone(), from..row_end))?;
                self.lines[lane].push(Lines {
                    bytes: job.bytes.clone(),
                    start: line_from,
                    end: line_end,
                });
                let mut marks = std::mem::take(&mut self.done);
                marks.push((job.source.clone(), line_end));
                self.end(marks, emit)?;
                (from, line_from, emitted_at) = (row_end, line_end, Some(line_end));
            }
        }
        self.spare.give_rows(rows);
        if from < body.len() {
            emit(
                self.channel(lane),
                Part::Rows(body.clone(), from..body.len()),
            )?;
        }
        self.spare.give_body(body);
        if line_from < job.end {
            self.lines[lane].push(Lines {
                bytes: job.bytes,
                start: line_from,
                end: job.end,
            });
        }
        if job.last && emitted_at != Some(job.end) {
            self.done.push((job.source, job.end));
        }
        Ok(())
    }

    fn finish<E>(
        mut self,
        emit: &mut impl FnMut(usize, Part) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if self.rows > 0 || !self.done.is_empty() {
            let marks = std::mem::take(&mut self.done);
            self.end(marks, emit)?;
        }
        Ok(())
    }
}

/// One batch as the sender takes it: a reader of its rows as they are converted (the
/// INSERT's body), then its end.
struct Outgoing<'p> {
    parts: &'p std::sync::mpsc::Receiver<Part>,
    spare: &'p Spare,
    /// Whether the batch holds rows (known from its first part).
    has_rows: bool,
    /// Rows being read.
    reading: Option<(Arc<Vec<u8>>, std::ops::Range<usize>)>,
    end: Option<BatchEnd>,
}

impl<'p> Outgoing<'p> {
    /// The next batch, or `None` when there is none.
    fn next(parts: &'p std::sync::mpsc::Receiver<Part>, spare: &'p Spare) -> Option<Self> {
        let mut batch = Outgoing {
            parts,
            spare,
            has_rows: false,
            reading: None,
            end: None,
        };
        match parts.recv().ok()? {
            Part::Rows(body, range) => {
                batch.has_rows = true;
                batch.reading = Some((body, range));
            }
            Part::End(end) => {
                batch.has_rows = end.rows > 0;
                batch.end = Some(end);
            }
        }
        Some(batch)
    }

    /// Takes the next part; false when the conversion stopped before the batch ended.
    fn advance(&mut self) -> bool {
        if let Some((body, _)) = self.reading.take() {
            self.spare.give_body(body);
        }
        match self.parts.recv() {
            Ok(Part::Rows(body, range)) => self.reading = Some((body, range)),
            Ok(Part::End(end)) => self.end = Some(end),
            Err(_) => return false,
        }
        true
    }

    /// The batch's end, once every row was read (those not read yet are passed over).
    fn finish(&mut self) -> Result<&BatchEnd> {
        while self.end.is_none() {
            if !self.advance() {
                return Err(stopped_early());
            }
        }
        if let Some((body, _)) = self.reading.take() {
            self.spare.give_body(body);
        }
        self.end.as_ref().ok_or_else(stopped_early)
    }
}

fn stopped_early() -> Error {
    Error::Internal {
        what: "converting records for ClickHouse",
        message: "a converting thread stopped early".into(),
    }
}

impl std::io::Read for Outgoing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some((body, range)) = &mut self.reading
                && range.start < range.end
            {
                let n = range.len().min(buf.len());
                buf[..n].copy_from_slice(&body[range.start..range.start + n]);
                range.start += n;
                return Ok(n);
            }
            if self.end.is_some() {
                return Ok(0);
            }
            if !self.advance() {
                return Err(std::io::Error::other(stopped_early().to_string()));
            }
        }
    }
}

/// A batch as every lane sent it: its rows, and the offsets the state advances to.
struct Sent {
    rows: usize,
    marks: Vec<(Arc<Source>, usize)>,
}

/// Converts the unshipped lines of `files` to rows of `stream`'s table, in batches
/// of `size` rows in file order, each dealt to `lanes` readers of its rows while they
/// are being converted, `slots` batches at a time. One thread reads the files,
/// `workers` threads convert them, one assembles the batches, and each of the
/// `lanes * slots` lanes has a thread that calls `insert` on its part of a batch when
/// it holds rows. `done` is called for each batch in order, once all its lanes are
/// through; after an error no lane starts another batch. Returns the lines that were
/// not records.
fn pipeline(
    stream: Stream,
    redactor: &Redactor,
    (files, marks): (&[crate::store::DataFile], &BTreeMap<String, FileMark>),
    (size, workers, lanes, slots): (usize, usize, usize, usize),
    insert: &(impl Fn(&mut Outgoing) -> Result<()> + Sync),
    done: &mut impl FnMut(Sent) -> Result<()>,
) -> Result<u64> {
    let (workers, lanes, slots) = (workers.max(1), lanes.max(1), slots.max(1));
    let spare = Spare::default();
    let spare = &spare;
    // Set when the batches in order stop (a refusal): no lane starts another.
    let stop = AtomicBool::new(false);
    let stop = &stop;
    std::thread::scope(|s| {
        // Job j goes to worker j % workers, and its piece is read back in order.
        let (mut jobs, mut converted) = (Vec::new(), Vec::new());
        for _ in 0..workers {
            let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<Job>(2);
            let (piece_tx, piece_rx) = std::sync::mpsc::sync_channel::<Piece>(2);
            jobs.push(job_tx);
            converted.push(piece_rx);
            s.spawn(move || {
                let mut writer = RowWriter::new(stream, redactor);
                for job in job_rx {
                    if piece_tx.send(convert(&mut writer, job, spare)).is_err() {
                        // The sender stopped: nothing more is wanted.
                        return;
                    }
                }
            });
        }
        let reading = s.spawn(move || -> Result<()> {
            let mut j = 0;
            for file in files {
                let Some(Unshipped {
                    source,
                    bytes,
                    from,
                    to,
                }) = unshipped(file, marks)?
                else {
                    continue;
                };
                let pieces = (to - from).div_ceil(PIECE);
                for k in 0..pieces {
                    let job = Job {
                        source: source.clone(),
                        bytes: bytes.clone(),
                        start: piece_start(&bytes, from, to, k),
                        end: piece_start(&bytes, from, to, k + 1),
                        last: k + 1 == pieces,
                    };
                    if jobs[j % workers].send(job).is_err() {
                        return Ok(());
                    }
                    j += 1;
                }
            }
            Ok(())
        });
        // A few converted pieces wait for each lane's sender.
        let (part_tx, part_rx): (Vec<_>, Vec<_>) = (0..lanes * slots)
            .map(|_| std::sync::mpsc::sync_channel::<Part>(4))
            .unzip();
        let assembling = s.spawn(move || {
            let mut assembler = Assembler::new(spare, size, (lanes, slots));
            let mut emit = |lane: usize, p: Part| part_tx[lane].send(p).map_err(drop);
            let mut skipped = 0;
            // Every job's piece, in order, until the workers are done.
            for j in 0.. {
                let Ok(piece) = converted[j % workers].recv() else {
                    break;
                };
                skipped += piece.skipped;
                assembler.feed(piece, &mut emit).ok()?;
            }
            assembler.finish(&mut emit).ok()?;
            Some(skipped)
        });
        // Each lane sends its batches one after the other and says how each went.
        let results: Vec<_> = part_rx
            .into_iter()
            .map(|parts| {
                let (tx, rx) = std::sync::mpsc::channel::<Result<Sent>>();
                s.spawn(move || {
                    while let Some(mut lane) = Outgoing::next(&parts, spare) {
                        if stop.load(Ordering::SeqCst) {
                            // Dropping `parts` stops the assembler.
                            return;
                        }
                        let inserted = if lane.has_rows {
                            insert(&mut lane)
                        } else {
                            Ok(())
                        };
                        let end = lane.finish().map(|e| Sent {
                            rows: e.rows,
                            marks: e.marks.clone(),
                        });
                        let failed = inserted.is_err() || end.is_err();
                        let gone = tx.send(inserted.and(end)).is_err();
                        if failed {
                            // After the failure is sent: a lane that stops for it
                            // leaves it to be found.
                            stop.store(true, Ordering::SeqCst);
                        }
                        if gone || failed {
                            return;
                        }
                    }
                });
                rx
            })
            .collect();
        let mut sent = Ok(());
        for k in 0.. {
            let slot = &results[(k % slots) * lanes..][..lanes];
            let mut batch = Sent {
                rows: 0,
                marks: Vec::new(),
            };
            let mut ended = 0;
            for lane in slot {
                // A closed channel: that lane has no more batches.
                let Ok(lane) = lane.recv() else { continue };
                ended += 1;
                match lane {
                    Ok(lane) => {
                        batch.rows += lane.rows;
                        batch.marks.extend(lane.marks);
                    }
                    Err(e) if sent.is_ok() => sent = Err(e),
                    Err(_) => {}
                }
            }
            if ended == 0 && sent.is_ok() {
                break;
            }
            if ended < lanes && sent.is_ok() {
                // A lane stopped before this batch because a later one failed: that
                // failure is the one to report.
                sent = Err(results
                    .iter()
                    .find_map(|r| r.try_iter().find_map(Result::err))
                    .unwrap_or_else(stopped_early));
            }
            sent = sent.and_then(|()| done(batch));
            if sent.is_err() {
                break;
            }
        }
        stop.store(true, Ordering::SeqCst);
        drop(results);
        // A refusal stops the reader, the workers and the assembler at their next
        // hand-over.
        let read = reading.join();
        let skipped = assembling.join();
        sent?;
        match read {
            Ok(read) => read?,
            Err(_) => {
                return Err(Error::Internal {
                    what: "reading records for ClickHouse",
                    message: "the reading thread stopped early".into(),
                });
            }
        }
        match skipped {
            Ok(Some(skipped)) => Ok(skipped),
            _ => Err(stopped_early()),
        }
    })
}

/// A file's bytes, and where its whole lines not yet shipped start and end.
struct Unshipped {
    source: Arc<Source>,
    bytes: Arc<Vec<u8>>,
    from: usize,
    to: usize,
}

/// The whole lines of a file not yet shipped to the destination whose marks are
/// `marks`: the file's bytes, inode, and where those lines start and end. `None`
/// when there are none (or the file is gone).
fn unshipped(
    file: &crate::store::DataFile,
    marks: &BTreeMap<String, FileMark>,
) -> Result<Option<Unshipped>> {
    let Some((bytes, inode)) = read_file(&file.path, file.gz)? else {
        return Ok(None);
    };
    let path_key = file.path.to_string_lossy().into_owned();
    let from = match marks.get(&path_key) {
        Some(m) if m.inode == inode && m.offset <= bytes.len() as u64 => m.offset as usize,
        _ => 0,
    };
    // Only whole lines: a line still being written is shipped next time.
    let Some(last_nl) = memchr::memrchr(b'\n', &bytes[from..]) else {
        return Ok(None);
    };
    Ok(Some(Unshipped {
        source: Arc::new(Source { path_key, inode }),
        bytes: Arc::new(bytes),
        from,
        to: from + last_nl + 1,
    }))
}

/// Ships every stream of every root to ClickHouse. Creates the database and tables
/// when missing (not in a dry run).
pub fn ship(roots: &Roots, opts: &ShipOptions, redactor: &Redactor) -> Result<ShipReport> {
    let state_path: PathBuf = roots.primary().join(STATE_FILE);
    let mut state = State::load(&state_path)?;
    let key = format!("{} {}", display_url(&opts.url), opts.database);
    let server = Server {
        opts,
        auth: opts
            .credentials
            .as_ref()
            .map(|(u, p)| format!("Basic {}", base64(format!("{u}:{p}").as_bytes()))),
        redactor,
        retries: AtomicU64::new(0),
    };
    if !opts.dry_run {
        for ddl in schema(&opts.database) {
            server.post(None, ddl.as_bytes())?;
        }
    }
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let mut report = ShipReport::default();
    for stream in Stream::ALL {
        let (table, _) = columns(stream);
        let insert = format!("INSERT INTO {}.{table} FORMAT JSONEachRow", opts.database);
        let files = roots.files(stream, None, None)?;
        let marks = state.destinations.get(&key).cloned().unwrap_or_default();
        let server = &server;
        let send_lane = |lane: &mut Outgoing| -> Result<()> {
            if opts.dry_run {
                return Ok(());
            }
            server.insert(&insert, lane, stream)
        };
        let mut done = |batch: Sent| -> Result<()> {
            *report.rows.entry(table.to_string()).or_default() += batch.rows as u64;
            if opts.dry_run {
                return Ok(());
            }
            if batch.rows > 0 {
                report.batches += 1;
            }
            let destination = state.destinations.entry(key.clone()).or_default();
            for (source, offset) in &batch.marks {
                destination.insert(
                    source.path_key.clone(),
                    FileMark {
                        inode: source.inode,
                        offset: *offset as u64,
                    },
                );
            }
            state.save(&state_path)
        };
        report.skipped += pipeline(
            stream,
            redactor,
            (&files, &marks),
            (opts.batch, workers, LANES, SLOTS),
            &send_lane,
            &mut done,
        )?;
    }
    report.retries = server.retries.load(Ordering::Relaxed);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn rows_keep_one_type_per_column_and_the_whole_record() {
        let r = Redactor::default();
        let line = br#"{"timestamp":"2026-11-20T10:00:00Z","provider":"x","success":false,"latency":12,"error":{"message":"boom","code":7},"inputTokens":5}"#;
        let row = row(Stream::ProviderHealth, line, &r).unwrap();
        assert_eq!(row["ts"], "2026-11-20 10:00:00");
        assert_eq!(row["timestamp_ms"], 1795168800000i64);
        assert_eq!(row["latency_ms"], 12.0);
        assert_eq!(row["error"], "boom");
        assert_eq!(row["input_tokens"], 5);
        assert_eq!(row["output_tokens"], 0);
        assert_eq!(row["cost_usd"], Value::Null);
        assert_eq!(row["success"], 0);
        assert_eq!(row["id"], line_id(line));
        let back: Value = serde_json::from_str(row["record"].as_str().unwrap()).unwrap();
        assert_eq!(back["error"]["code"], 7);
        assert!(super::row(Stream::ProviderHealth, b"[1]", &r).is_none());
        assert!(super::row(Stream::ProviderHealth, b"{\"provider\":\"x\"}", &r).is_none());
    }

    fn data_file(dir: &Path, name: &str, text: &str) -> crate::store::DataFile {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        crate::store::DataFile {
            display: path.display().to_string(),
            path,
            date: None,
            gz: false,
            root_index: 0,
        }
    }

    fn skill(i: usize) -> String {
        format!(
            "{{\"timestamp\":\"2026-11-20T10:00:{:02}Z\",\"skill\":\"s{i}\",\"id\":\"r{i}\"}}\n",
            i % 60
        )
    }

    /// A batch as the tests see it: the row ids, and the marks as (file name, offset).
    type Seen = (Vec<String>, Vec<(String, usize)>);

    /// What `pipeline` handed on, and the lines that were not records, with one lane.
    fn batches(
        files: &[crate::store::DataFile],
        marks: &BTreeMap<String, FileMark>,
        size: usize,
        workers: usize,
    ) -> (Vec<Seen>, u64) {
        batches_in(files, marks, (size, workers, 1, 1))
    }

    /// The number in a test row's id (`"r12"` is 12).
    fn number(id: &str) -> usize {
        id.trim_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap()
    }

    /// What `pipeline` handed on with `lanes` lanes and `slots` batches at a time: per
    /// batch, the ids of its lanes (each lane's in file order) in file order, and the
    /// marks. The test rows' ids are numbered in file order.
    fn batches_in(
        files: &[crate::store::DataFile],
        marks: &BTreeMap<String, FileMark>,
        (size, workers, lanes, slots): (usize, usize, usize, usize),
    ) -> (Vec<Seen>, u64) {
        let mut got = Vec::new();
        let redactor = Redactor::default();
        // Ids sent by lanes whose batch is not done yet (later batches may be sent
        // before an earlier one is done).
        let lane_ids: Mutex<Vec<String>> = Mutex::default();
        let skipped = pipeline(
            Stream::SkillInvocations,
            &redactor,
            (files, marks),
            (size, workers, lanes, slots),
            &|b: &mut Outgoing| {
                assert!(b.has_rows);
                let mut body = Vec::new();
                std::io::Read::read_to_end(b, &mut body).unwrap();
                let ids: Vec<String> = body
                    .split(|c| *c == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| serde_json::from_slice::<Value>(l).unwrap()["id"].to_string())
                    .collect();
                assert!(ids.windows(2).all(|w| number(&w[0]) < number(&w[1])));
                let end = b.finish().unwrap();
                assert_eq!(ids.len(), end.rows);
                // The lane's lines, converted again (to send it again), give the same
                // body.
                let (mut again, mut rows, mut skipped) = (Vec::new(), Vec::new(), 0);
                let mut writer = RowWriter::new(Stream::SkillInvocations, &redactor);
                for lines in &end.lines {
                    convert_lines(
                        &mut writer,
                        &lines.bytes[..],
                        (lines.start, lines.end),
                        (&mut again, &mut rows, &mut skipped),
                    );
                }
                assert_eq!(again, body);
                lane_ids.lock().unwrap().extend(ids);
                Ok(())
            },
            &mut |batch: Sent| {
                // This batch's ids: the `rows` first in file order (its lanes are
                // through; later batches' ids come after them).
                let mut pool = lane_ids.lock().unwrap();
                pool.sort_by_key(|id| number(id));
                assert!(pool.len() >= batch.rows);
                let ids: Vec<String> = pool.drain(..batch.rows).collect();
                let marks = batch
                    .marks
                    .iter()
                    .map(|(s, end)| {
                        let name = Path::new(&s.path_key).file_name().unwrap();
                        (name.to_string_lossy().into_owned(), *end)
                    })
                    .collect();
                got.push((ids, marks));
                Ok(())
            },
        )
        .unwrap();
        assert!(lane_ids.into_inner().unwrap().is_empty());
        (got, skipped)
    }

    #[test]
    fn batches_run_across_files_in_order_and_mark_where_each_file_was_read_to() {
        let dir = tempfile::tempdir().unwrap();
        let line = skill(0).len();
        // a: 3 records, a line that is not one, a blank line, a torn last line.
        let a_text = format!(
            "{}{}{}not json\n\n{{\"timesta",
            skill(0),
            skill(1),
            skill(2)
        );
        let a = data_file(dir.path(), "a.jsonl", &a_text);
        let a_end = a_text.len() - "{\"timesta".len();
        // b: 2 records; c: nothing new; d: only a line that is not a record.
        let b_text = format!("{}{}", skill(3), skill(4));
        let b = data_file(dir.path(), "b.jsonl", &b_text);
        let c = data_file(dir.path(), "c.jsonl", "");
        let d = data_file(dir.path(), "d.jsonl", "[1]\n");
        let files = [a, b, c, d];
        let none = BTreeMap::new();
        let id = |i: usize| format!("\"r{i}\"");
        let name = |n: &str| n.to_string();
        for shape in [(2, 1, 1, 1), (2, 2, 1, 1), (2, 3, 1, 1), (2, 2, 2, 2)] {
            let (got, skipped) = batches_in(&files, &none, shape);
            assert_eq!(skipped, 2, "not json, [1]");
            assert_eq!(
                got,
                vec![
                    (vec![id(0), id(1)], vec![(name("a.jsonl"), 2 * line)]),
                    // a read to its end (a bad and a blank line), then b, whose first
                    // row ends the batch.
                    (
                        vec![id(2), id(3)],
                        vec![(name("a.jsonl"), a_end), (name("b.jsonl"), line)]
                    ),
                    // The last row, and d's line that is not a record.
                    (
                        vec![id(4)],
                        vec![(name("b.jsonl"), 2 * line), (name("d.jsonl"), 4)]
                    ),
                ],
                "{shape:?}"
            );
        }
        // Only a line that is not a record: a batch without rows moves the mark.
        let (got, skipped) = batches(&files[2..], &none, 2, 2);
        assert_eq!(skipped, 1);
        assert_eq!(got, vec![(vec![], vec![(name("d.jsonl"), 4)])]);
        // One batch for everything; a mark that says b was read to 1 line.
        let mut marks = BTreeMap::new();
        let b_key = files[1].path.to_string_lossy().into_owned();
        let b_inode = inode(&std::fs::metadata(&files[1].path).unwrap());
        marks.insert(
            b_key.clone(),
            FileMark {
                inode: b_inode,
                offset: line as u64,
            },
        );
        let (got, _) = batches(&files, &marks, 100, 2);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, vec![id(0), id(1), id(2), id(4)]);
        // The same mark for another inode (a new file at that path) starts over.
        marks.get_mut(&b_key).unwrap().inode = b_inode + 1;
        let (got, _) = batches(&files, &marks, 100, 2);
        assert_eq!(got[0].0.len(), 5);
    }

    #[test]
    fn pieces_split_between_batches_go_to_both_in_order() {
        let dir = tempfile::tempdir().unwrap();
        // Many pieces; batches end inside them.
        let text: String = (0..20_000).map(skill).collect();
        let files = [data_file(dir.path(), "a.jsonl", &text)];
        for (lanes, slots) in [(1, 1), (2, 1), (1, 2), (2, 2), (3, 3)] {
            let (got, skipped) = batches_in(&files, &BTreeMap::new(), (7_000, 3, lanes, slots));
            assert_eq!(skipped, 0);
            check(&got, &text);
        }
    }

    fn check(got: &[Seen], text: &str) {
        let sizes: Vec<usize> = got.iter().map(|(ids, _)| ids.len()).collect();
        assert_eq!(sizes, [7_000, 7_000, 6_000]);
        let ids: Vec<String> = got.iter().flat_map(|(ids, _)| ids.clone()).collect();
        let expected: Vec<String> = (0..20_000).map(|i| format!("\"r{i}\"")).collect();
        assert_eq!(ids, expected);
        let ends: Vec<usize> = got.iter().map(|(_, marks)| marks[0].1).collect();
        assert_eq!(
            ends,
            [
                (0..7_000).map(|i| skill(i).len()).sum::<usize>(),
                (0..14_000).map(|i| skill(i).len()).sum::<usize>(),
                text.len()
            ]
        );
    }

    #[test]
    fn a_refused_batch_stops_the_pipeline_with_its_error() {
        let dir = tempfile::tempdir().unwrap();
        // Enough records for many pieces and batches.
        let text: String = (0..20_000).map(skill).collect();
        let files = [data_file(dir.path(), "a.jsonl", &text)];
        let sent = std::sync::atomic::AtomicUsize::new(0);
        let mut done = 0;
        let result = pipeline(
            Stream::SkillInvocations,
            &Redactor::default(),
            (&files, &BTreeMap::new()),
            (100, 2, 1, 1),
            &|_b: &mut Outgoing| {
                if sent.fetch_add(1, Ordering::SeqCst) == 2 {
                    Err(Error::Remote {
                        to: "test".into(),
                        message: "HTTP 400: refused".into(),
                    })
                } else {
                    Ok(())
                }
            },
            &mut |_: Sent| {
                done += 1;
                Ok(())
            },
        );
        assert!(
            matches!(&result, Err(Error::Remote { message, .. }) if message == "HTTP 400: refused"),
            "{result:?}"
        );
        assert_eq!(sent.into_inner(), 3, "nothing is sent after a refusal");
        assert_eq!(done, 2, "the refused batch is not done");
        // Two lanes, both refusing without reading their rows: the rows are passed
        // over (no lane waits on the other), the error comes back, nothing is done.
        let result = pipeline(
            Stream::SkillInvocations,
            &Redactor::default(),
            (&files, &BTreeMap::new()),
            (7_000, 2, 2, 2),
            &|_b: &mut Outgoing| {
                Err(Error::Remote {
                    to: "test".into(),
                    message: "HTTP 400: refused".into(),
                })
            },
            &mut |_: Sent| panic!("a refused batch is not done"),
        );
        assert!(matches!(&result, Err(Error::Remote { .. })), "{result:?}");
    }

    #[test]
    fn line_ids_are_stable_and_distinct() {
        assert_eq!(line_id(b"a"), line_id(b"a"));
        assert_ne!(line_id(b"a"), line_id(b"b"));
        assert_eq!(line_id(b"").len(), 33);
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(valid_identifier("ccmon"));
        assert!(valid_identifier("ccmon_2"));
        for bad in ["", "1x", "a-b", "a.b", "a b", "x;DROP"] {
            assert!(!valid_identifier(bad), "{bad}");
        }
    }
}
