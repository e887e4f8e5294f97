//! `cc-log query` and `--count`: matching records, newest first.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
#[cfg(feature = "cli")]
use std::io::Write;

#[cfg(feature = "cli")]
use comfy_table::Cell;
use serde_json::Value;

use super::filter::{Filter, LineFilter};
use crate::error::Result;
#[cfg(feature = "cli")]
use crate::output::{self, Style};
use crate::record::Timestamp;
#[cfg(feature = "cli")]
use crate::record::error_message;
use crate::redact::Redactor;
use crate::store::{Roots, Scan, Skipped, Stream};

/// A matching line, with what orders it: time, then position in the files.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FoundLine {
    /// The record's time.
    pub timestamp: Timestamp,
    /// Which file (in date order).
    pub file_index: usize,
    /// Which line of it.
    pub line: u64,
    /// The stored line.
    pub bytes: Box<[u8]>,
}

fn scan_for(roots: &Roots, filter: &Filter) -> Result<Scan> {
    let files = roots.files(Stream::SkillInvocations, filter.since, filter.until)?;
    Ok(Scan::new(files, roots.needs_dedup()))
}

/// The records matching `filter`, newest first, at most `limit` of them (`0` for all).
/// Memory is bounded by `limit`, whatever the history's size.
pub fn query(roots: &Roots, filter: &Filter, limit: usize) -> Result<(Vec<FoundLine>, Skipped)> {
    let scan = scan_for(roots, filter)?;
    let test = LineFilter::new(filter);
    let (heap, skipped) = scan.run(
        BinaryHeap::<Reverse<FoundLine>>::new,
        |heap, line| {
            test.test(Some(&scan), line.bytes, |view| {
                let found = FoundLine {
                    timestamp: view.timestamp,
                    file_index: line.file_index,
                    line: line.line,
                    bytes: line.bytes.into(),
                };
                push_bounded(heap, found, limit);
            })?;
            Ok(())
        },
        |mut a, b| {
            for Reverse(found) in b {
                push_bounded(&mut a, found, limit);
            }
            a
        },
    )?;
    let mut lines: Vec<FoundLine> = heap.into_iter().map(|Reverse(f)| f).collect();
    lines.sort_by(|a, b| b.cmp(a));
    Ok((lines, with_pruned(skipped, roots, filter)))
}

fn push_bounded(heap: &mut BinaryHeap<Reverse<FoundLine>>, found: FoundLine, limit: usize) {
    if limit > 0 && heap.len() >= limit {
        match heap.peek() {
            Some(Reverse(smallest)) if *smallest < found => {
                heap.pop();
            }
            _ => return,
        }
    }
    heap.push(Reverse(found));
}

/// How many records match `filter`.
pub fn count(roots: &Roots, filter: &Filter) -> Result<(u64, Skipped)> {
    let scan = scan_for(roots, filter)?;
    let test = LineFilter::new(filter);
    let (n, skipped) = scan.run(
        || 0u64,
        |n, line| {
            if test.test(Some(&scan), line.bytes, |_| {})? {
                *n += 1;
            }
            Ok(())
        },
        |a, b| a + b,
    )?;
    Ok((n, with_pruned(skipped, roots, filter)))
}

/// Queries read raw lines only: days pruned with `--keep-rollups` are named as missing.
fn with_pruned(mut skipped: Skipped, roots: &Roots, filter: &Filter) -> Skipped {
    skipped.pruned =
        crate::rollup::pruned_dates(roots, Stream::SkillInvocations, filter.since, filter.until);
    skipped
}

/// A stored line as printed for programs: as stored, or redacted when it holds
/// secrets (lines written by other tools never went through our writer).
pub fn render_record_line(bytes: &[u8], redactor: &Redactor) -> String {
    let text = String::from_utf8_lossy(bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(original) => {
            let mut redacted = original.clone();
            redactor.redact_value(&mut redacted);
            if redacted == original {
                text.into_owned()
            } else {
                redacted.to_string()
            }
        }
        Err(_) => redactor.redact_str(&text).into_owned(),
    }
}

#[cfg(feature = "cli")]
struct Fields {
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

#[cfg(feature = "cli")]
fn fields(bytes: &[u8], redactor: &Redactor, style: Style) -> Fields {
    let mut v: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    redactor.redact_value(&mut v);
    let s = |k: &str| output::clean(v.get(k).and_then(Value::as_str).unwrap_or("-")).into_owned();
    let time = v
        .get("timestamp")
        .or_else(|| v.get("ts"))
        .and_then(Value::as_str)
        .and_then(Timestamp::parse)
        .map_or_else(|| "-".into(), |t| output::human_time(t, style.utc));
    let mut error = output::clean(
        &v.get("error")
            .and_then(error_message)
            .unwrap_or_default()
            .replace(['\n', '\r'], " "),
    )
    .into_owned();
    if error.chars().count() > 60 {
        error = error.chars().take(59).collect::<String>() + "…";
    }
    Fields {
        time,
        skill: s("skill"),
        result: output::clean(v.get("result").and_then(Value::as_str).unwrap_or("success"))
            .into_owned(),
        duration: output::human_opt_duration(v.get("duration").and_then(Value::as_f64)),
        cache: if v.get("cacheHit").and_then(Value::as_bool) == Some(true) {
            "hit"
        } else {
            "-"
        },
        agent: s("agent"),
        run: s("runId"),
        cuj: s("cujId"),
        error,
    }
}

#[cfg(feature = "cli")]
/// Renders records as a table for people.
pub fn render_table(
    out: &mut dyn Write,
    lines: &[FoundLine],
    style: Style,
    redactor: &Redactor,
) -> std::io::Result<()> {
    let mut t = output::table(
        style,
        &[
            "TIME", "SKILL", "RESULT", "DURATION", "CACHE", "AGENT", "RUN", "CUJ", "ERROR",
        ],
    );
    for found in lines {
        let f = fields(&found.bytes, redactor, style);
        t.add_row(vec![
            Cell::new(f.time),
            Cell::new(f.skill),
            output::status_cell(&f.result, style),
            Cell::new(f.duration),
            Cell::new(f.cache),
            Cell::new(f.agent),
            Cell::new(f.run),
            Cell::new(f.cuj),
            Cell::new(f.error),
        ]);
    }
    output::write_table(out, &t)
}

#[cfg(feature = "cli")]
/// Renders one record as a line for people (`tail`):
/// `2026-11-20 13:45:01  review  success  1.23s  agent=dev run=run-1`.
pub fn render_line(bytes: &[u8], style: Style, redactor: &Redactor) -> String {
    let f = fields(bytes, redactor, style);
    let mut line = format!(
        "{}  {}  {}  {}",
        f.time,
        f.skill,
        output::paint(&f.result, output::status_color(&f.result), style.color),
        f.duration
    );
    for (k, v) in [("agent", &f.agent), ("run", &f.run), ("cuj", &f.cuj)] {
        if v != "-" {
            line.push_str(&format!("  {k}={v}"));
        }
    }
    if f.cache == "hit" {
        line.push_str("  cache=hit");
    }
    if !f.error.is_empty() {
        line.push_str(&format!("  error={:?}", f.error));
    }
    line
}
