//! Reading progress events: one run's (newest files first, stopping at its start), or
//! every run's.

use std::collections::HashSet;

use memchr::memmem;

use super::state::{RunState, is_start};
use crate::error::Result;
use crate::record::{ProgressEvent, Record, Timestamp, parse_line, prefilter_may_skip};
use crate::store::{DataFile, LineError, Roots, Scan, Skipped, Stream};

/// Parses a stored progress line; `None` when it is not a valid event.
pub fn parse_event(bytes: &[u8]) -> Option<ProgressEvent> {
    let mut event: ProgressEvent = parse_line(bytes)?;
    // Other tools write this stream too: what they wrote is redacted before it is shown.
    event.redact(crate::redact::shared());
    (event.timestamp.is_some() && event.validate().is_ok()).then_some(event)
}

/// A stored event with where it was read, for ordering.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The event.
    pub event: ProgressEvent,
    /// The line as stored.
    pub line: Box<[u8]>,
    order: (Timestamp, usize, u64),
}

fn sort_stored(events: &mut [Stored]) {
    events.sort_by_key(|s| s.order);
}

fn dedup(events: &mut Vec<Stored>, dedup: bool) {
    if !dedup {
        return;
    }
    let mut seen = HashSet::new();
    events.retain(|s| {
        s.event
            .id
            .as_deref()
            .is_none_or(|id| seen.insert(id.to_string()))
    });
}

/// Reads days newest first, keeping the events `keep` accepts (only lines mentioning
/// `mentioning`, as JSON, are parsed), until `done(that day's events, all so far)`.
/// Returns what was kept, oldest first.
fn newest_first(
    roots: &Roots,
    mentioning: Option<&str>,
    keep: impl Fn(&ProgressEvent) -> bool + Sync,
    done: impl Fn(&[Stored], usize) -> bool,
) -> Result<(Vec<Stored>, Skipped)> {
    let files = roots.files(Stream::Progress, None, None)?;
    let needle_text = mentioning.and_then(|m| serde_json::to_string(m).ok());
    let needle = needle_text
        .as_deref()
        .map(|n| memmem::Finder::new(n.as_bytes()));
    let mut found: Vec<Stored> = Vec::new();
    let mut skipped = Skipped::default();
    // Undated legacy files sort first, so they are read last.
    let mut days: Vec<Vec<(usize, DataFile)>> = Vec::new();
    for (i, f) in files.into_iter().enumerate() {
        match days.last_mut() {
            Some(day) if day[0].1.date == f.date => day.push((i, f)),
            _ => days.push(vec![(i, f)]),
        }
    }
    for day in days.into_iter().rev() {
        let (indices, files): (Vec<usize>, Vec<DataFile>) = day.into_iter().unzip();
        let scan = Scan::new(files, false);
        let (mut events, s) = scan.run(
            Vec::new,
            |acc: &mut Vec<Stored>, line| {
                if needle
                    .as_ref()
                    .is_some_and(|n| n.find(line.bytes).is_none())
                    && prefilter_may_skip(line.bytes)
                {
                    return Ok(());
                }
                let event = parse_event(line.bytes).ok_or(LineError::Malformed)?;
                if keep(&event) {
                    let t = event.timestamp.unwrap_or(Timestamp(0));
                    acc.push(Stored {
                        order: (t, indices[line.file_index], line.line),
                        line: line.bytes.into(),
                        event,
                    });
                }
                Ok(())
            },
            |mut a, mut b| {
                a.append(&mut b);
                a
            },
        )?;
        skipped.merge(s);
        let stop = done(&events, found.len() + events.len());
        found.append(&mut events);
        if stop {
            break;
        }
    }
    sort_stored(&mut found);
    dedup(&mut found, roots.needs_dedup());
    Ok((found, skipped))
}

/// The events of `run_id`, oldest first. Files are read newest first, a day at a
/// time, and reading stops with the day that holds the run's start, so finding a
/// recent run does not read the whole history. Lines that do not mention the run are
/// not parsed.
pub fn run_events(roots: &Roots, run_id: &str) -> Result<(Vec<Stored>, Skipped)> {
    newest_first(
        roots,
        Some(run_id),
        |e| e.run_id == run_id,
        |day, _| day.iter().any(|s| is_start(&s.event)),
    )
}

/// The last `n` events (of `run_id` when given), oldest first, output chunks only
/// `with_output`; only the newest days needed are read.
pub fn recent_events(
    roots: &Roots,
    run_id: Option<&str>,
    n: usize,
    with_output: bool,
) -> Result<(Vec<Stored>, Skipped)> {
    if n == 0 {
        return Ok((Vec::new(), Skipped::default()));
    }
    let (mut events, skipped) = newest_first(
        roots,
        run_id,
        |e| run_id.is_none_or(|r| e.run_id == r) && (with_output || e.output.is_none()),
        |_, total| total >= n,
    )?;
    let extra = events.len().saturating_sub(n);
    events.drain(..extra);
    Ok((events, skipped))
}

/// A run's state now, or `None` when it has no events.
pub fn run_state(
    roots: &Roots,
    run_id: &str,
    now: Timestamp,
) -> Result<(Option<RunState>, Skipped)> {
    let (events, skipped) = run_events(roots, run_id)?;
    let state = RunState::fold(events.iter().map(|s| &s.event), now);
    Ok((state, skipped))
}

/// Every event in `[since, until]` (all time when unset), oldest first; with
/// `mentioning`, only lines holding that string (as JSON) are parsed.
pub fn all_events(
    roots: &Roots,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    mentioning: Option<&str>,
) -> Result<(Vec<Stored>, Skipped)> {
    let files = roots.files(Stream::Progress, since, until)?;
    let scan = Scan::new(files, false);
    let needle_text = mentioning.and_then(|m| serde_json::to_string(m).ok());
    let needle = needle_text
        .as_deref()
        .map(|n| memmem::Finder::new(n.as_bytes()));
    let (mut events, skipped) = scan.run(
        Vec::new,
        |acc: &mut Vec<Stored>, line| {
            if needle
                .as_ref()
                .is_some_and(|n| n.find(line.bytes).is_none())
                && prefilter_may_skip(line.bytes)
            {
                return Ok(());
            }
            let event = parse_event(line.bytes).ok_or(LineError::Malformed)?;
            let t = event.timestamp.unwrap_or(Timestamp(0));
            if since.is_none_or(|s| t >= s) && until.is_none_or(|u| t <= u) {
                acc.push(Stored {
                    order: (t, line.file_index, line.line),
                    line: line.bytes.into(),
                    event,
                });
            }
            Ok(())
        },
        |mut a, mut b| {
            a.append(&mut b);
            a
        },
    )?;
    sort_stored(&mut events);
    dedup(&mut events, roots.needs_dedup());
    Ok((events, skipped))
}

/// The state of every run with an event since `since` (all time when unset), folded
/// from its events in that range; with `mentioning`, only runs whose events mention it.
pub fn all_runs(
    roots: &Roots,
    since: Option<Timestamp>,
    mentioning: Option<&str>,
    now: Timestamp,
) -> Result<(Vec<RunState>, Skipped)> {
    let (events, skipped) = all_events(roots, since, None, mentioning)?;
    let mut order: Vec<String> = Vec::new();
    let mut by_run: rustc_hash::FxHashMap<String, Vec<&ProgressEvent>> = Default::default();
    for s in &events {
        let list = by_run.entry(s.event.run_id.clone()).or_default();
        if list.is_empty() {
            order.push(s.event.run_id.clone());
        }
        list.push(&s.event);
    }
    let states = order
        .iter()
        .filter_map(|id| RunState::fold(by_run[id].iter().copied(), now))
        .collect();
    Ok((states, skipped))
}
