//! `cc-dashboard ship clickhouse` (SPEC §12): every stream's records not yet shipped,
//! sent to ClickHouse over HTTP as `INSERT ... FORMAT JSONEachRow` in batches. The
//! state (`analytics/ship-state.json`, per URL and database: file, inode, offset)
//! advances only after the server acknowledged a batch, so a ship killed at any moment
//! and run again loses nothing; the tables are ReplacingMergeTree keyed by `id`, so a
//! batch sent twice is one record after merging (or with `FINAL`).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
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
    /// INSERTs acknowledged.
    pub batches: u64,
    /// Lines that were not records (skipped).
    pub skipped: u64,
    /// Send attempts that were retried.
    pub retries: u64,
}

/// A connection to the server: POSTs with retries.
struct Server<'a> {
    opts: &'a ShipOptions,
    auth: Option<String>,
    redactor: &'a Redactor,
    retries: u64,
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
    /// POSTs `body` (with `query` in the URL when given); retries connection errors
    /// and 5xx with doubling pauses for up to `retry_for`; a 4xx is final.
    fn post(&mut self, query: Option<&str>, body: &[u8]) -> Result<()> {
        let base = self.opts.url.trim_end_matches('/');
        let url = match query {
            Some(q) => format!("{base}/?query={}", encode_query(q)),
            None => format!("{base}/"),
        };
        let mut headers = vec![("Content-Type", "text/plain; charset=utf-8")];
        if let Some(a) = &self.auth {
            headers.push(("Authorization", a.as_str()));
        }
        let started = Instant::now();
        let mut pause = Duration::from_millis(250);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let failure = match http::post(&url, &headers, body, Duration::from_secs(60)) {
                Ok(a) if (200..300).contains(&a.status) => return Ok(()),
                Ok(a) if (400..500).contains(&a.status) => {
                    return Err(Error::Remote {
                        to: format!("ClickHouse at {}", display_url(&self.opts.url)),
                        message: format!(
                            "HTTP {}: {}",
                            a.status,
                            self.redactor.redact_str(a.text.trim())
                        ),
                    });
                }
                Ok(a) => format!(
                    "HTTP {}: {}",
                    a.status,
                    self.redactor.redact_str(a.text.trim())
                ),
                Err(e) => e.0,
            };
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
            eprintln!(
                "warning: ClickHouse at {}: {failure}; retrying in {pause:.1?}",
                display_url(&self.opts.url)
            );
            self.retries += 1;
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(16));
        }
    }
}

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
            eprintln!("warning: skipped {}: {e}", path.display());
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

/// The most room reserved ahead for one batch's body.
const MAX_RESERVE: usize = 256 << 20;

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
    source: Arc<Source>,
    end: usize,
    last: bool,
    body: Vec<u8>,
    rows: Vec<(usize, usize)>,
    skipped: u64,
}

/// One INSERT's rows (none when only lines that are not records are left), and the
/// offsets the state advances to, per file, once the server acknowledged them.
struct Batch {
    body: Vec<u8>,
    rows: usize,
    marks: Vec<(Arc<Source>, usize)>,
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
/// every piece and batch otherwise.
#[derive(Default)]
struct Spare {
    pieces: Mutex<Vec<PieceBuffers>>,
    bodies: Mutex<Vec<Vec<u8>>>,
}

/// A piece's body and row ends.
type PieceBuffers = (Vec<u8>, Vec<(usize, usize)>);

impl Spare {
    fn piece(&self) -> PieceBuffers {
        let mut pieces = self.pieces.lock().unwrap_or_else(|p| p.into_inner());
        pieces.pop().unwrap_or_default()
    }

    fn give_piece(&self, (mut body, mut rows): PieceBuffers) {
        body.clear();
        rows.clear();
        let mut pieces = self.pieces.lock().unwrap_or_else(|p| p.into_inner());
        pieces.push((body, rows));
    }

    fn body(&self) -> Vec<u8> {
        let mut bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
        bodies.pop().unwrap_or_default()
    }

    fn give_body(&self, mut body: Vec<u8>) {
        body.clear();
        let mut bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
        bodies.push(body);
    }
}

/// Converts a job's lines; blank lines are passed over.
fn convert(writer: &mut RowWriter, job: Job, spare: &Spare) -> Piece {
    let (bytes, end) = (&job.bytes[..], job.end);
    let (mut body, mut rows) = spare.piece();
    let mut skipped = 0;
    let mut cursor = job.start;
    while cursor < end {
        let nl = memchr::memchr(b'\n', &bytes[cursor..end]).map_or(end, |i| cursor + i);
        let line = &bytes[cursor..nl];
        cursor = (nl + 1).min(end);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if writer.write(line, &mut body) {
            rows.push((body.len(), cursor));
        } else {
            skipped += 1;
        }
    }
    Piece {
        source: job.source,
        end,
        last: job.last,
        body,
        rows,
        skipped,
    }
}

/// Cuts converted pieces, in order, into batches of `size` rows, across files: a
/// batch ends with its last row's line; the lines of a file after its last row go
/// with the next batch (or a last one without rows). The first batch holds a tenth of
/// `size`: the server starts on it while the rest is being converted, instead of
/// waiting for a whole batch.
struct Assembler<'s> {
    spare: &'s Spare,
    size: usize,
    /// Batches handed on.
    emitted: usize,
    body: Vec<u8>,
    rows: usize,
    /// Files read to their end since the last batch.
    done: Vec<(Arc<Source>, usize)>,
}

impl Assembler<'_> {
    fn feed<E>(
        &mut self,
        piece: Piece,
        emit: &mut impl FnMut(Batch) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let (mut from, mut emitted_at) = (0, None);
        for &(row_end, line_end) in &piece.rows {
            if self.body.capacity() == 0 {
                // A whole batch's room at once, from the rows seen: growing it would
                // copy it over and over.
                self.body = self.spare.body();
                let per_row = piece.body.len() / piece.rows.len();
                self.body
                    .reserve(per_row.saturating_mul(self.size).min(MAX_RESERVE));
            }
            self.body.extend_from_slice(&piece.body[from..row_end]);
            from = row_end;
            self.rows += 1;
            let limit = if self.emitted == 0 {
                self.size.div_ceil(10)
            } else {
                self.size
            };
            if self.rows == limit {
                self.emitted += 1;
                let mut marks = std::mem::take(&mut self.done);
                marks.push((piece.source.clone(), line_end));
                emitted_at = Some(line_end);
                emit(Batch {
                    body: std::mem::take(&mut self.body),
                    rows: std::mem::take(&mut self.rows),
                    marks,
                })?;
            }
        }
        if piece.last && emitted_at != Some(piece.end) {
            self.done.push((piece.source, piece.end));
        }
        self.spare.give_piece((piece.body, piece.rows));
        Ok(())
    }

    fn finish<E>(
        mut self,
        emit: &mut impl FnMut(Batch) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if self.rows > 0 || !self.done.is_empty() {
            emit(Batch {
                body: std::mem::take(&mut self.body),
                rows: self.rows,
                marks: std::mem::take(&mut self.done),
            })?;
        }
        Ok(())
    }
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

/// Converts the unshipped lines of `files` to rows of `stream`'s table and hands
/// them to `send` in batches of `size` rows, in file order. One thread reads the
/// files, `workers` threads convert them, one assembles the batches: the next batch
/// is ready while `send` is still sending the previous one. Returns the lines that
/// were not records.
fn pipeline(
    stream: Stream,
    redactor: &Redactor,
    (files, marks): (&[crate::store::DataFile], &BTreeMap<String, FileMark>),
    size: usize,
    workers: usize,
    send: &mut impl FnMut(&Batch) -> Result<()>,
) -> Result<u64> {
    let workers = workers.max(1);
    let spare = Spare::default();
    let spare = &spare;
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
        // One batch is assembled ahead of the one being sent.
        let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel::<Batch>(1);
        let assembling = s.spawn(move || {
            let mut assembler = Assembler {
                spare,
                size,
                emitted: 0,
                body: Vec::new(),
                rows: 0,
                done: Vec::new(),
            };
            let mut emit = |b: Batch| batch_tx.send(b).map_err(drop);
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
        let mut sent = Ok(());
        while let Ok(batch) = batch_rx.recv() {
            sent = send(&batch);
            if sent.is_err() {
                break;
            }
            spare.give_body(batch.body);
        }
        // A refusal stops the reader, the workers and the assembler at their next
        // hand-over.
        drop(batch_rx);
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
            _ => Err(Error::Internal {
                what: "converting records for ClickHouse",
                message: "a converting thread stopped early".into(),
            }),
        }
    })
}

/// Ships every stream of every root to ClickHouse. Creates the database and tables
/// when missing (not in a dry run).
pub fn ship(roots: &Roots, opts: &ShipOptions, redactor: &Redactor) -> Result<ShipReport> {
    let state_path: PathBuf = roots.primary().join(STATE_FILE);
    let mut state = State::load(&state_path)?;
    let key = format!("{} {}", display_url(&opts.url), opts.database);
    let mut server = Server {
        opts,
        auth: opts
            .credentials
            .as_ref()
            .map(|(u, p)| format!("Basic {}", base64(format!("{u}:{p}").as_bytes()))),
        redactor,
        retries: 0,
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
        let mut send = |batch: &Batch| -> Result<()> {
            if batch.rows > 0 && !opts.dry_run {
                server.post(Some(&insert), &batch.body)?;
                report.batches += 1;
            }
            *report.rows.entry(table.to_string()).or_default() += batch.rows as u64;
            if !opts.dry_run {
                let destination = state.destinations.entry(key.clone()).or_default();
                for (source, end) in &batch.marks {
                    destination.insert(
                        source.path_key.clone(),
                        FileMark {
                            inode: source.inode,
                            offset: *end as u64,
                        },
                    );
                }
                state.save(&state_path)?;
            }
            Ok(())
        };
        report.skipped += pipeline(
            stream,
            redactor,
            (&files, &marks),
            opts.batch,
            workers,
            &mut send,
        )?;
    }
    report.retries = server.retries;
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

    /// What `pipeline` handed on, and the lines that were not records.
    fn batches(
        files: &[crate::store::DataFile],
        marks: &BTreeMap<String, FileMark>,
        size: usize,
        workers: usize,
    ) -> (Vec<Seen>, u64) {
        let mut got = Vec::new();
        let skipped = pipeline(
            Stream::SkillInvocations,
            &Redactor::default(),
            (files, marks),
            size,
            workers,
            &mut |b: &Batch| {
                let ids: Vec<String> = b
                    .body
                    .split(|c| *c == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| serde_json::from_slice::<Value>(l).unwrap()["id"].to_string())
                    .collect();
                assert_eq!(ids.len(), b.rows);
                let marks = b
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
        for workers in [1, 2, 3] {
            let (got, skipped) = batches(&files, &none, 2, workers);
            assert_eq!(skipped, 2, "not json, [1]");
            assert_eq!(
                got,
                vec![
                    // The first batch holds a tenth of the size (at least 1 row).
                    (vec![id(0)], vec![(name("a.jsonl"), line)]),
                    (vec![id(1), id(2)], vec![(name("a.jsonl"), 3 * line)]),
                    // a read to its end (a bad and a blank line), then b, whose last
                    // row ends the batch.
                    (
                        vec![id(3), id(4)],
                        vec![(name("a.jsonl"), a_end), (name("b.jsonl"), 2 * line)]
                    ),
                    // d's line that is not a record: a last batch without rows.
                    (vec![], vec![(name("d.jsonl"), 4)]),
                ],
                "{workers} workers"
            );
        }
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
    fn a_refused_batch_stops_the_pipeline_with_its_error() {
        let dir = tempfile::tempdir().unwrap();
        // Enough records for many pieces and batches.
        let text: String = (0..20_000).map(skill).collect();
        let files = [data_file(dir.path(), "a.jsonl", &text)];
        let mut sent = 0;
        let result = pipeline(
            Stream::SkillInvocations,
            &Redactor::default(),
            (&files, &BTreeMap::new()),
            100,
            2,
            &mut |_b: &Batch| {
                sent += 1;
                if sent == 3 {
                    Err(Error::Remote {
                        to: "test".into(),
                        message: "HTTP 400: refused".into(),
                    })
                } else {
                    Ok(())
                }
            },
        );
        assert!(
            matches!(&result, Err(Error::Remote { message, .. }) if message == "HTTP 400: refused"),
            "{result:?}"
        );
        assert_eq!(sent, 3, "nothing is sent after a refusal");
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
