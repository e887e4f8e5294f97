//! Bulk append (`cc-log log -`): skill invocations as NDJSON, one record per line, each
//! validated, redacted and appended exactly as a single `cc-log log --record` would
//! write it, in input order, in batches under one lock per daily file.

use std::io::BufRead;

use super::par::par_map;
use crate::error::{Error, Result};
use crate::record::{SkillInvocation, Timestamp, parse_record};
use crate::writer::Writer;

/// Records per batch: one lock and one write per daily file per batch.
const BATCH: usize = 8192;

/// What [`append_ndjson`] reports while it works, in input order.
#[derive(Debug)]
pub enum BulkEvent<'a> {
    /// A line was refused (not written): its number (1-based) and why, redacted.
    Invalid {
        /// The line's number in the input, from 1.
        line: usize,
        /// `invalid line N: ...`, with nothing the redactor would hide.
        message: &'a str,
    },
    /// A batch was appended: the lines as written, each ending in `\n`.
    Written(&'a [u8]),
}

/// What [`append_ndjson`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Records appended.
    pub written: u64,
    /// Lines refused (blank lines are neither).
    pub invalid: u64,
}

impl BulkReport {
    /// `logged 2 records; 1 invalid line was not written` when lines were refused.
    pub fn summary(&self) -> Option<String> {
        let plural = |n: u64, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        (self.invalid > 0).then(|| {
            format!(
                "logged {}; {} not written",
                plural(self.written, "record", "records"),
                plural(self.invalid, "invalid line was", "invalid lines were")
            )
        })
    }
}

/// Appends the skill invocations of `input` (one JSON object per line; blank lines are
/// skipped) through `writer`. A line that is not a valid record is reported to
/// `on_event` and not written; the others are. Stops at the first failure to write (or
/// an error returned by `on_event`); a batch that failed is rolled back.
pub fn append_ndjson(
    input: &mut dyn BufRead,
    writer: &Writer,
    on_event: &mut dyn FnMut(BulkEvent<'_>) -> Result<()>,
) -> Result<BulkReport> {
    let mut report = BulkReport::default();
    let mut number = 0usize;
    let mut lines: Vec<(usize, Vec<u8>)> = Vec::with_capacity(BATCH);
    loop {
        // A batch of lines, then parsed, checked and redacted on every core, in order.
        lines.clear();
        let mut eof = false;
        while lines.len() < BATCH {
            let mut line = Vec::new();
            if input.read_until(b'\n', &mut line)? == 0 {
                eof = true;
                break;
            }
            number += 1;
            if !line.trim_ascii().is_empty() {
                lines.push((number, line));
            }
        }
        let prepared = par_map(&lines, |(number, line)| {
            let what = format!("line {number}");
            std::str::from_utf8(line)
                .map_err(|e| Error::invalid(&what, format!("not valid UTF-8: {e}")))
                .and_then(|text| parse_record::<SkillInvocation>(text.trim_end(), &what))
                .and_then(|rec| {
                    writer.prepare(rec, Timestamp::now()).map_err(|e| match e {
                        Error::Invalid { field, message } => {
                            Error::invalid(&what, format!("{field} {message}"))
                        }
                        other => other,
                    })
                })
        });
        let mut batch = Vec::with_capacity(prepared.len());
        for (p, (line, _)) in prepared.into_iter().zip(&lines) {
            match p {
                Ok(p) => batch.push(p),
                Err(e) => {
                    report.invalid += 1;
                    let message = e.to_string();
                    let message = crate::redact::shared().redact_str(&message);
                    on_event(BulkEvent::Invalid {
                        line: *line,
                        message: &message,
                    })?;
                }
            }
        }
        if !batch.is_empty() {
            writer.write(&batch)?;
            report.written += batch.len() as u64;
            let written: Vec<u8> = batch.iter().flat_map(|p| p.line.iter().copied()).collect();
            on_event(BulkEvent::Written(&written))?;
        }
        if eof {
            break;
        }
    }
    Ok(report)
}
