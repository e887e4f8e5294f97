//! `cc-log query` and `--count`: matching records, newest first.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::filter::{Filter, LineFilter};
use super::report::{CountReport, LogRow, QueryReport};
use crate::error::Result;
use crate::record::Timestamp;
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

/// [`query`] as typed rows, redacted by `redactor`: the report of `cc-log query`.
pub fn query_report(
    roots: &Roots,
    filter: &Filter,
    limit: usize,
    redactor: &Redactor,
) -> Result<(QueryReport, Skipped)> {
    let (lines, skipped) = query(roots, filter, limit)?;
    let rows = LogRow::of_lines(lines, redactor);
    Ok((QueryReport { rows }, skipped))
}

/// [`count`] as the report of `cc-log query --count`.
pub fn count_report(roots: &Roots, filter: &Filter) -> Result<(CountReport, Skipped)> {
    let (count, skipped) = count(roots, filter)?;
    Ok((CountReport { count }, skipped))
}
