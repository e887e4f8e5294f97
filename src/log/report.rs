//! `cc-log` reports as typed values that present themselves (see [`Render`]): the rows of
//! `query` and `tail`, the count, per-group statistics, and a cleared cache.

use std::borrow::Cow;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::query::FoundLine;
use super::stats::{GroupBy, StatsRow};
use crate::error::Result;
use crate::output::{self, Block, Render, Span, Style, TableModel};
use crate::record::{Timestamp, error_message};
use crate::redact::Redactor;

/// A stored line as printed for programs, and the record it holds (redacted): the line
/// as stored, or re-serialized when redaction changed it (lines written by other tools
/// never went through our writer). `None` for a line that is not JSON, printed with its
/// text redacted.
fn record_for_output(bytes: &[u8], redactor: &Redactor) -> (String, Option<Value>) {
    let text = String::from_utf8_lossy(bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(mut value) => {
            // Re-serialized only when redaction changed the record: the stored text is
            // re-read (rarely) to tell a real change from a value rewritten as it was.
            let same = !redactor.redact_value(&mut value)
                || serde_json::from_slice::<Value>(bytes).is_ok_and(|original| original == value);
            if same {
                (text.into_owned(), Some(value))
            } else {
                (value.to_string(), Some(value))
            }
        }
        Err(_) => (redactor.redact_str(&text).into_owned(), None),
    }
}

/// A stored line as printed for programs: as stored, or redacted when it holds
/// secrets (lines written by other tools never went through our writer).
pub fn render_record_line(bytes: &[u8], redactor: &Redactor) -> String {
    record_for_output(bytes, redactor).0
}

/// One skill invocation as `query` and `tail` show it: the stored record for programs
/// and the fields people read, all redacted.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    /// The record as printed for programs (see [`render_record_line`]).
    pub json: String,
    /// `timestamp` (or `ts`).
    pub timestamp: Option<Timestamp>,
    /// `skill`.
    pub skill: Option<String>,
    /// `result` (`success` when absent).
    pub result: String,
    /// `duration`, milliseconds.
    pub duration: Option<f64>,
    /// `cacheHit`.
    pub cache_hit: bool,
    /// `agent`.
    pub agent: Option<String>,
    /// `runId`.
    pub run_id: Option<String>,
    /// `cujId`.
    pub cuj_id: Option<String>,
    /// The error's message.
    pub error: Option<String>,
}

impl LogRow {
    /// The row of a stored line, redacted by `redactor`.
    pub fn new(bytes: &[u8], redactor: &Redactor) -> LogRow {
        let (json, value) = record_for_output(bytes, redactor);
        let v = value.unwrap_or(Value::Null);
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        LogRow {
            json,
            timestamp: v
                .get("timestamp")
                .or_else(|| v.get("ts"))
                .and_then(Value::as_str)
                .and_then(Timestamp::parse),
            skill: s("skill"),
            result: s("result").unwrap_or_else(|| "success".into()),
            duration: v.get("duration").and_then(Value::as_f64),
            cache_hit: v.get("cacheHit").and_then(Value::as_bool) == Some(true),
            agent: s("agent"),
            run_id: s("runId"),
            cuj_id: s("cujId"),
            error: v.get("error").and_then(error_message),
        }
    }

    /// The rows of found lines, in their order; each line is dropped as soon as its
    /// row is made, so a long answer is not held twice.
    pub fn of_lines(lines: Vec<FoundLine>, redactor: &Redactor) -> Vec<LogRow> {
        lines
            .into_iter()
            .map(|found| LogRow::new(&found.bytes, redactor))
            .collect()
    }

    /// The fields as people read them, terminal-safe.
    fn cells(&self, style: &Style) -> Cells {
        let s = |v: &Option<String>| output::clean(v.as_deref().unwrap_or("-")).into_owned();
        let mut error = output::clean(
            &self
                .error
                .as_deref()
                .unwrap_or_default()
                .replace(['\n', '\r'], " "),
        )
        .into_owned();
        if error.chars().count() > 60 {
            error = error.chars().take(59).collect::<String>() + "…";
        }
        Cells {
            time: self
                .timestamp
                .map_or_else(|| "-".into(), |t| output::human_time(t, style.utc)),
            skill: s(&self.skill),
            result: output::clean(&self.result).into_owned(),
            duration: output::human_opt_duration(self.duration),
            cache: if self.cache_hit { "hit" } else { "-" },
            agent: s(&self.agent),
            run: s(&self.run_id),
            cuj: s(&self.cuj_id),
            error,
        }
    }

    /// One line for people (`tail`):
    /// `2026-11-20 13:45:01  review  success  1.23s  agent=dev run=run-1`.
    fn line(&self, style: &Style) -> Block {
        let f = self.cells(style);
        let mut spans = vec![
            Span::from(format!("{}  {}  ", f.time, f.skill)),
            Span::status(f.result),
        ];
        let mut rest = format!("  {}", f.duration);
        for (k, v) in [("agent", &f.agent), ("run", &f.run), ("cuj", &f.cuj)] {
            if v != "-" {
                rest.push_str(&format!("  {k}={v}"));
            }
        }
        if f.cache == "hit" {
            rest.push_str("  cache=hit");
        }
        if !f.error.is_empty() {
            rest.push_str(&format!("  error={:?}", f.error));
        }
        spans.push(Span::from(rest));
        Block::Line(spans)
    }
}

/// The record, as stored (or redacted).
impl Serialize for LogRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        serde_json::value::RawValue::from_string(self.json.clone())
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

struct Cells {
    time: String,
    skill: String,
    result: String,
    duration: String,
    cache: &'static str,
    agent: String,
    run: String,
    cuj: String,
    error: String,
}

/// The sentence for people when no invocation matches.
fn no_match(empty: bool) -> Option<String> {
    empty.then(|| "no skill invocations match".into())
}

/// The rows' records as NDJSON lines, as stored (or redacted).
fn stored_lines(rows: &[LogRow]) -> Vec<Cow<'_, str>> {
    rows.iter()
        .map(|r| Cow::Borrowed(r.json.as_str()))
        .collect()
}

/// `cc-log query`: matching invocations, newest first. NDJSON records for programs, a
/// table for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct QueryReport {
    /// The rows, newest first.
    pub rows: Vec<LogRow>,
}

impl Render for QueryReport {
    fn empty(&self) -> Option<String> {
        no_match(self.rows.is_empty())
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&[
            "TIME", "SKILL", "RESULT", "DURATION", "CACHE", "AGENT", "RUN", "CUJ", "ERROR",
        ]);
        for row in &self.rows {
            let f = row.cells(style);
            t.push(vec![
                f.time.into(),
                f.skill.into(),
                Span::status(f.result),
                f.duration.into(),
                f.cache.into(),
                f.agent.into(),
                f.run.into(),
                f.cuj.into(),
                f.error.into(),
            ]);
        }
        vec![Block::Table(t)]
    }

    fn json_lines(&self) -> Result<Option<Vec<Cow<'_, str>>>> {
        Ok(Some(stored_lines(&self.rows)))
    }
}

/// `cc-log tail`: invocations one line each, oldest first (and those that follow).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct TailReport {
    /// The rows, oldest first.
    pub rows: Vec<LogRow>,
}

impl Render for TailReport {
    fn human(&self, style: &Style) -> Vec<Block> {
        self.rows.iter().map(|r| r.line(style)).collect()
    }

    fn json_lines(&self) -> Result<Option<Vec<Cow<'_, str>>>> {
        Ok(Some(stored_lines(&self.rows)))
    }
}

/// `cc-log query --count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountReport {
    /// How many records match.
    pub count: u64,
}

impl Render for CountReport {
    fn human(&self, _: &Style) -> Vec<Block> {
        vec![Block::text(self.count.to_string())]
    }
}

/// `cc-log stats`: one row per group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct StatsReport {
    /// What the rows are grouped by (names the first column).
    #[serde(skip)]
    pub by: GroupBy,
    /// The groups, largest first (days in date order).
    pub rows: Vec<StatsRow>,
}

impl GroupBy {
    fn header(self) -> &'static str {
        match self {
            GroupBy::Skill => "SKILL",
            GroupBy::Agent => "AGENT",
            GroupBy::Cuj => "CUJ",
            GroupBy::Result => "RESULT",
            GroupBy::Day => "DAY",
        }
    }
}

impl Render for StatsReport {
    fn empty(&self) -> Option<String> {
        no_match(self.rows.is_empty())
    }

    fn human(&self, _: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&[
            self.by.header(),
            "COUNT",
            "SUCCESS",
            "CACHE HIT",
            "MEAN",
            "P50",
            "P95",
            "P99",
            "FAILURES",
        ])
        .right_from(1);
        for r in &self.rows {
            t.push(vec![
                output::clean(r.key.as_deref().unwrap_or("-")).into(),
                r.count.to_string().into(),
                output::human_rate(r.success_rate).into(),
                output::human_rate(r.cache_hit_rate).into(),
                output::human_opt_duration(r.mean).into(),
                output::human_opt_duration(r.p50).into(),
                output::human_opt_duration(r.p95).into(),
                output::human_opt_duration(r.p99).into(),
                r.failures.to_string().into(),
            ]);
        }
        vec![Block::Table(t)]
    }
}

/// `cc-log cache clear`: how many saved outputs were removed. One JSON line for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CacheCleared {
    /// Entries removed.
    pub removed: u64,
}

impl Render for CacheCleared {
    fn human(&self, _: &Style) -> Vec<Block> {
        let s = if self.removed == 1 { "y" } else { "ies" };
        vec![Block::text(format!(
            "removed {} cache entr{s}",
            self.removed
        ))]
    }

    fn json_lines(&self) -> Result<Option<Vec<Cow<'_, str>>>> {
        output::compact_lines(&[self]).map(Some)
    }
}
