//! Row rollups: for streams whose reports read per-record fields (journey executions
//! carry quality scores, iterations, run ids and errors; provider calls carry tokens,
//! costs, models and errors), a sealed file's rollup keeps each valid record's report
//! fields as one compact binary row (postcard, strings borrowed on reading) in its day
//! section. Reports fold those rows through the very view and visit they use on raw
//! lines, so an answer from rollups is the raw answer by construction, for any window,
//! time zone or bucket size; only JSON parsing and unread fields are saved.
//!
//! The rows of a file sit in one section, so a report reads a day in one `read` and
//! decodes it without copying strings. Files that are not sealed (today), that changed
//! while being summarized, or whose rollup turns out damaged are scanned raw.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::{Fingerprint, Header, Recipe, Rollup, damaged_warning, path_for, plan};
use crate::record::Views;
use crate::store::{DataFile, LineError, Roots, Scan, Skipped};
use crate::time::Timestamp;

/// A stream whose rollups keep one row per record (see the module's documentation).
pub trait Rows: Views + 'static {
    /// The version of [`Rows::Row`]'s encoding: rollups of another version are rebuilt.
    const FORMAT: u64;
    /// The report fields of one record, borrowing its strings.
    type Row<'a>: Serialize + Deserialize<'a>;
    /// The row of a record read from a raw line.
    fn row<'v>(v: &'v Self::View<'_>) -> Self::Row<'v>;
    /// The view a report folds, rebuilt from a row; `None` when the row is damaged.
    fn view<'a>(row: Self::Row<'a>) -> Option<Self::View<'a>>;
}

/// The key of `S`'s row rollups: its stream and row format.
fn key<S: Rows>() -> u64 {
    super::digest(&format!("rows {} {}", S::STREAM.stem(), S::FORMAT))
}

/// How `S`'s rollups are made.
pub fn recipe<S: Rows>() -> Recipe<'static> {
    Recipe {
        key: key::<S>(),
        build: &build::<S>,
        prefix: None,
    }
}

/// The rows of one file, as a build goes.
struct Building {
    rows: Vec<u8>,
    records: u64,
    first: Option<i64>,
    last: Option<i64>,
    failed: Option<String>,
}

impl Building {
    fn new() -> Building {
        Building {
            rows: Vec::new(),
            records: 0,
            first: None,
            last: None,
            failed: None,
        }
    }

    fn merge(mut self, o: Building) -> Building {
        self.rows.extend_from_slice(&o.rows);
        self.records += o.records;
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(o.last);
        self.failed = self.failed.or(o.failed);
        self
    }
}

/// Builds the row rollup of one sealed file of `S`: the encoded file, or `None` when the
/// file changed while it was read.
fn build<S: Rows>(file: &DataFile) -> crate::Result<Option<Vec<u8>>> {
    let Some(before) = Fingerprint::of_path(&file.path) else {
        return Ok(None);
    };
    let (b, skipped) = Scan::new(vec![file.clone()], false).run(
        Building::new,
        |b, line| {
            let v = S::parse(line.bytes).ok_or(LineError::Malformed)?;
            let t = S::timestamp(&v).millis();
            match postcard::to_extend(&S::row(&v), std::mem::take(&mut b.rows)) {
                Ok(rows) => b.rows = rows,
                Err(e) => b.failed = Some(e.to_string()),
            }
            b.records += 1;
            b.first = Some(b.first.map_or(t, |f| f.min(t)));
            b.last = b.last.max(Some(t));
            Ok(())
        },
        Building::merge,
    )?;
    if let Some(message) = b.failed {
        return Err(crate::Error::Internal {
            what: "encoding a rollup",
            message,
        });
    }
    if Fingerprint::of_path(&file.path) != Some(before) {
        return Ok(None);
    }
    let header = Header {
        source: before,
        pruned: false,
        key: key::<S>(),
        records: b.records,
        first: b.first,
        last: b.last,
        skipped: skipped.count,
        skipped_lines: skipped.locations.iter().map(|(_, l, _)| *l).collect(),
        prefix: None,
        object_skipped: 0,
    };
    Ok(Some(Rollup::encode(&header, &b.rows, &[])))
}

/// The views of every row of a rollup's day section (`records` of them); `None` when
/// it is damaged.
fn views<S: Rows>(day: &[u8], records: u64) -> Option<Vec<S::View<'_>>> {
    let mut rest = day;
    // The count is checked below; it only sizes the vector (a row is at least 8 bytes).
    let mut out = Vec::with_capacity(usize::try_from(records).unwrap_or(0).min(day.len() / 8));
    while !rest.is_empty() {
        let (row, tail) = postcard::take_from_bytes::<S::Row<'_>>(rest).ok()?;
        out.push(S::view(row)?);
        rest = tail;
    }
    (out.len() as u64 == records).then_some(out)
}

/// Folds every valid record of `S` with a timestamp in `[since, until]` (unbounded sides
/// when `None`), as [`crate::record::fold_views`] does, reading the rows of sealed
/// files' rollups (built when missing) instead of their raw lines, and the rollups kept
/// for pruned days. Over several roots, or with `CC_ROLLUPS=off`, every file is read raw.
pub fn fold_rows<S, A, I, F, M>(
    roots: &Roots,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    init: I,
    visit: F,
    merge: M,
) -> crate::Result<(A, Skipped)>
where
    S: Rows,
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, &S::View<'_>) + Sync,
    M: Fn(A, A) -> A,
{
    if roots.needs_dedup() || !super::enabled() {
        let (a, mut skipped) =
            crate::record::fold_views::<S, _, _, _, _>(roots, since, until, init, visit, merge)?;
        skipped.pruned = super::pruned_dates(roots, S::STREAM, since, until);
        return Ok((a, skipped));
    }
    let sources = plan(roots, S::STREAM, since, until, true, recipe::<S>())?;
    let mut skipped = Skipped::default();
    let (mut raw, mut indexes, mut rolled) = (Vec::new(), Vec::new(), Vec::new());
    for s in sources {
        let date = s.day();
        match (s.rollup, s.raw) {
            (Some(r), file) => rolled.push((s.index, date, s.display, r, file)),
            (None, Some(file)) => {
                raw.push(file);
                indexes.push(s.index);
            }
            (None, None) => skipped.pruned.extend(date),
        }
    }
    let inside = |t: Timestamp| since.is_none_or(|s| t >= s) && until.is_none_or(|u| t <= u);
    // One accumulator per core; each takes the next rollup. A rollup whose rows do not
    // decode is left for the raw scan.
    let damaged = Mutex::new(Vec::new());
    let accs = super::par_fold(&rolled, &init, |acc, k, (_, _, _, r, _)| {
        let day = r.day();
        match day.as_deref().and_then(|d| views::<S>(d, r.header.records)) {
            Some(vs) => {
                for v in vs.iter().filter(|v| inside(S::timestamp(v))) {
                    visit(acc, v);
                }
            }
            None => damaged.lock().unwrap_or_else(|p| p.into_inner()).push(k),
        }
    });
    let damaged = damaged.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut total = accs.into_iter().reduce(&merge).unwrap_or_else(&init);
    for (k, (index, date, display, r, file)) in rolled.into_iter().enumerate() {
        if !damaged.contains(&k) {
            r.header.add_skipped(&mut skipped, index, &display);
            continue;
        }
        match file {
            Some(file) => {
                // Removed, so the next report builds it again.
                let path = path_for(roots.primary(), &file.path);
                crate::error::warn(format_args!("{}", damaged_warning(&path)));
                let _ = std::fs::remove_file(&path);
                raw.push(file);
                indexes.push(index);
            }
            None => skipped.pruned.extend(date),
        }
    }
    let (a, s) = crate::record::fold_scan::<S, _, _, _, _>(
        &Scan::with_indexes(raw, indexes, false),
        since,
        until,
        &init,
        &visit,
        &merge,
    )?;
    skipped.merge(s);
    total = merge(total, a);
    Ok((total, skipped))
}
