//! `cc-log stats`: per-group counts, rates and duration percentiles.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::filter::{Filter, LineFilter};
use super::rollup::{self, Cover, Dim, cover};
use crate::error::Result;
use crate::record::{SkillResult, SkillView, Timestamp};
use crate::stats::{DurationStats, rate};
use crate::store::{Roots, Scan, Skipped, Stream};

/// What `stats` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// The skill (default).
    #[default]
    Skill,
    /// The agent.
    Agent,
    /// The journey.
    Cuj,
    /// The result.
    Result,
    /// The day (local time zone, or UTC).
    Day,
}

/// One group's figures. Rates are fractions, durations milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsRow {
    /// The group (`null` for records without the grouped field).
    pub key: Option<String>,
    /// Invocations.
    pub count: u64,
    /// Results `success`.
    pub successes: u64,
    /// Results `failure` or `timeout`.
    pub failures: u64,
    /// successes / count.
    pub success_rate: Option<f64>,
    /// Cache hits / count.
    pub cache_hit_rate: Option<f64>,
    /// Mean duration of the invocations that have one.
    pub mean: Option<f64>,
    /// Median duration.
    pub p50: Option<f64>,
    /// 95th percentile duration.
    pub p95: Option<f64>,
    /// 99th percentile duration.
    pub p99: Option<f64>,
}

/// One group's tallies; also what a rollup keeps per group.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Group {
    pub(super) count: u64,
    pub(super) successes: u64,
    pub(super) failures: u64,
    pub(super) cache_hits: u64,
    pub(super) durations: DurationStats,
}

impl Group {
    pub(super) fn add(&mut self, v: &SkillView<'_>) {
        self.count += 1;
        self.successes += u64::from(v.result == SkillResult::Success);
        self.failures += u64::from(v.result.is_failure());
        self.cache_hits += u64::from(v.cache_hit);
        if let Some(d) = v.duration {
            self.durations.record(d);
        }
    }

    pub(super) fn merge(&mut self, o: Group) {
        self.count += o.count;
        self.successes += o.successes;
        self.failures += o.failures;
        self.cache_hits += o.cache_hits;
        self.durations.merge(o.durations);
    }

    /// Adds a group read from a rollup (checked by `decode_dim`).
    pub(super) fn merge_stored(&mut self, o: &StoredGroup) {
        self.durations.merge_stored(&o.durations);
        self.count += o.count;
        self.successes += o.successes;
        self.failures += o.failures;
        self.cache_hits += o.cache_hits;
    }
}

/// A [`StoredGroup`] as formats 1 to 3 of rollups stored it (read for days pruned before
/// format 4): its durations' buckets as pairs, their sum an `S` (see
/// [`crate::stats::StoredDurationsPairs`]).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct StoredGroupPairs<S> {
    count: u64,
    successes: u64,
    failures: u64,
    cache_hits: u64,
    durations: crate::stats::StoredDurationsPairs<S>,
}

impl<S: Into<crate::stats::ExactSum>> From<StoredGroupPairs<S>> for StoredGroup {
    fn from(v: StoredGroupPairs<S>) -> StoredGroup {
        StoredGroup {
            count: v.count,
            successes: v.successes,
            failures: v.failures,
            cache_hits: v.cache_hits,
            durations: v.durations.into(),
        }
    }
}

/// A [`Group`] as a rollup stores it (the same encoding), decoded without building its
/// histogram: it merges into a `Group` bucket by bucket.
#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct StoredGroup {
    pub(super) count: u64,
    pub(super) successes: u64,
    pub(super) failures: u64,
    pub(super) cache_hits: u64,
    pub(super) durations: crate::stats::StoredDurations,
}

/// Per-worker state: the groups, and the last day computed (time-zone lookups are
/// the slow part of grouping by day).
#[derive(Default)]
struct Acc {
    groups: FxHashMap<Box<str>, Group>,
    day_slot: i64,
    day: String,
}

/// Quarter-hours: every time zone offset is a multiple of 15 minutes.
const SLOT_MS: i64 = 15 * 60 * 1000;

impl Acc {
    fn refresh_day(&mut self, t: Timestamp, utc: bool) {
        let slot = t.millis().div_euclid(SLOT_MS) + 1;
        if slot != self.day_slot {
            self.day_slot = slot;
            self.day = t.day(utc);
        }
    }

    fn add(&mut self, by: GroupBy, v: &SkillView<'_>, utc: bool) {
        if by == GroupBy::Day {
            self.refresh_day(v.timestamp, utc);
        }
        let Acc { groups, day, .. } = self;
        let key: &str = match by {
            GroupBy::Skill => &v.skill,
            GroupBy::Agent => v.agent.as_deref().unwrap_or(""),
            GroupBy::Cuj => v.cuj_id.as_deref().unwrap_or(""),
            GroupBy::Result => v.result.as_str(),
            GroupBy::Day => day,
        };
        match groups.get_mut(key) {
            Some(g) => g.add(v),
            None => groups.entry(key.into()).or_default().add(v),
        }
    }
}

/// Statistics of the records matching `filter`, grouped `by`, largest group first
/// (days in date order). Memory is bounded by the number of groups.
pub fn stats(
    roots: &Roots,
    filter: &Filter,
    by: GroupBy,
    utc: bool,
) -> Result<(Vec<StatsRow>, Skipped)> {
    let (mut tables, skipped) = stats_many(roots, filter, &[by], utc)?;
    Ok((tables.pop().unwrap_or_default(), skipped))
}

/// [`stats`] for several groupings in one pass over the files: one table per `bys`.
///
/// Sealed days are answered from their rollups where the question allows (see
/// `log::rollup`), building the missing ones, and a large file of today's from a rollup of
/// its first lines plus its later lines read raw (`rollup::prefix`); the rest is read raw.
pub fn stats_many(
    roots: &Roots,
    filter: &Filter,
    bys: &[GroupBy],
    utc: bool,
) -> Result<(Vec<Vec<StatsRow>>, Skipped)> {
    let dims = rollup::filter_dims(filter);
    let sources = crate::rollup::plan(
        roots,
        Stream::SkillInvocations,
        filter.since,
        filter.until,
        dims.is_some(),
        // Today's file too: the lines of a rollup of its start are not read again.
        crate::rollup::Recipe {
            prefix: Some(&rollup::build_prefix),
            ..rollup::RECIPE
        },
    )?;
    let new = || bys.iter().map(|_| Acc::default()).collect::<Vec<_>>();
    let test = LineFilter::new(filter);
    let scan_raw = |raw: Vec<crate::store::DataFile>, indexes: Vec<usize>, spans| {
        let scan = Scan::with_indexes(raw, indexes, roots.needs_dedup()).with_spans(spans);
        scan.run(
            new,
            |accs, line| {
                test.test(Some(&scan), line.bytes, |view| {
                    for (acc, by) in accs.iter_mut().zip(bys) {
                        acc.add(*by, view, utc);
                    }
                })?;
                Ok(())
            },
            merge_accs,
        )
    };
    let mut skipped = Skipped::default();
    // Raw lines first (today's file without a rollup, sealed files without one), then the
    // rollups on every core, the first worker going on with the raw scan's accumulator
    // (one less set of histograms in memory); then the files whose rollup the question
    // cannot use after all (a cut quarter, damage), and the lines of today's file after
    // its rollup, read raw.
    let (rolled, plain): (Vec<_>, Vec<_>) = sources
        .into_iter()
        .partition(|s| dims.is_some() && s.rollup.is_some());
    let (mut raw, mut indexes) = (Vec::new(), Vec::new());
    for source in plain {
        match source.raw {
            Some(file) => {
                raw.push(file);
                indexes.push(source.index);
            }
            None => skipped.pruned.extend(source.day()),
        }
    }
    let spans = vec![None; raw.len()];
    let (accs, s) = scan_raw(raw, indexes, spans)?;
    skipped.merge(s);
    let seed = std::sync::Mutex::new(Some(accs));
    let usable = std::sync::Mutex::new(vec![false; rolled.len()]);
    let mut accs = match &dims {
        Some(dims) => crate::rollup::par_fold(
            &rolled,
            || {
                let seeded = seed.lock().unwrap_or_else(|p| p.into_inner()).take();
                seeded.unwrap_or_else(new)
            },
            |accs, k, source| {
                if let Some(r) = &source.rollup
                    && fold_rollup(accs, r, bys, dims, filter, utc)
                {
                    usable.lock().unwrap_or_else(|p| p.into_inner())[k] = true;
                }
            },
        ),
        None => Vec::new(),
    }
    .into_iter()
    .chain(seed.into_inner().unwrap_or_else(|p| p.into_inner()))
    .reduce(merge_accs)
    .unwrap_or_else(new);
    let usable = usable.into_inner().unwrap_or_else(|p| p.into_inner());
    // Then the files whose rollup could not answer, and the lines of today's file
    // after its rollup.
    let (mut raw, mut indexes, mut spans) = (Vec::new(), Vec::new(), Vec::new());
    for (source, used) in rolled.into_iter().zip(usable) {
        let day = source.day();
        match (used, &source.rollup, source.raw) {
            (true, Some(r), file) => {
                r.header
                    .add_skipped(&mut skipped, source.index, &source.display);
                if let (Some(tail), Some(file)) = (source.tail, file) {
                    raw.push(file);
                    indexes.push(source.index);
                    spans.push(Some(tail));
                }
            }
            (_, _, Some(file)) => {
                raw.push(file);
                indexes.push(source.index);
                spans.push(None);
            }
            (_, _, None) => skipped.pruned.extend(day),
        }
    }
    if !raw.is_empty() {
        let (scanned, s) = scan_raw(raw, indexes, spans)?;
        skipped.merge(s);
        accs = merge_accs(accs, scanned);
    }
    let tables = accs
        .into_iter()
        .zip(bys)
        .map(|(acc, by)| rows_of(acc, *by))
        .collect();
    Ok((tables, skipped))
}

fn merge_accs(mut a: Vec<Acc>, b: Vec<Acc>) -> Vec<Acc> {
    for (x, y) in a.iter_mut().zip(b) {
        for (k, g) in y.groups {
            x.groups.entry(k).or_default().merge(g);
        }
    }
    a
}

impl GroupBy {
    /// The rollup dimension this grouping reads, `None` for days.
    fn dim(self) -> Option<Dim> {
        match self {
            GroupBy::Skill => Some(Dim::Skill),
            GroupBy::Agent => Some(Dim::Agent),
            GroupBy::Cuj => Some(Dim::Cuj),
            GroupBy::Result => Some(Dim::Result),
            GroupBy::Day => None,
        }
    }
}

/// Folds a file's rollup (a sealed file's, or of today's first lines) into the
/// accumulators, from its day section when the question allows, else from its quarters;
/// `false` (nothing folded) when the window cuts a quarter that holds records, or when
/// the raw scan would count its malformed lines otherwise, so the file must be read raw.
fn fold_rollup(
    accs: &mut [Acc],
    r: &crate::rollup::Rollup,
    bys: &[GroupBy],
    dims: &[(Dim, String)],
    filter: &Filter,
    utc: bool,
) -> bool {
    let h = &r.header;
    // The raw scan would not count some of its malformed lines.
    if h.object_skipped > 0 && filter.exact_value().is_some() {
        return false;
    }
    let one_day = match (h.first, h.last) {
        (Some(f), Some(l)) => {
            let day = Timestamp(f).day(true);
            (day == Timestamp(l).day(true)).then_some(day)
        }
        _ => Some(String::new()),
    };
    let by_day = |by: &GroupBy| match by.dim() {
        Some(d) => dims.is_empty() || (dims.len() == 1 && dims[0].0 == d),
        None => utc && dims.len() <= 1 && one_day.is_some(),
    };
    if h.within(filter.since, filter.until) && bys.iter().all(by_day) {
        // Decode every dimension needed before folding any, so a damaged section
        // leaves the accumulators untouched.
        let mut needed: Vec<(usize, Dim)> = Vec::new();
        for (i, by) in bys.iter().enumerate() {
            let d = by
                .dim()
                .unwrap_or_else(|| dims.first().map_or(Dim::Total, |(d, _)| *d));
            needed.push((i, d));
        }
        let mut decoded: Vec<(Dim, Vec<(String, StoredGroup)>)> = Vec::new();
        for (_, d) in &needed {
            if decoded.iter().all(|(have, _)| have != d) {
                let Some(groups) = rollup::decode_dim(r, *d) else {
                    return false;
                };
                decoded.push((*d, groups));
            }
        }
        let groups_of = |d: Dim| {
            decoded
                .iter()
                .find(|(have, _)| *have == d)
                .map_or(&[][..], |(_, g)| g.as_slice())
        };
        for (i, d) in needed {
            let acc = &mut accs[i];
            match bys[i].dim() {
                Some(_) => {
                    for (k, g) in groups_of(d) {
                        if dims.first().is_none_or(|(_, want)| want == k) {
                            acc.groups
                                .entry(k.as_str().into())
                                .or_default()
                                .merge_stored(g);
                        }
                    }
                }
                None => {
                    let want = dims.first().map_or("", |(_, w)| w.as_str());
                    if let (Some(key), Some((_, g))) = (
                        one_day.as_deref().filter(|k| !k.is_empty()),
                        groups_of(d).iter().find(|(k, _)| k == want),
                    ) {
                        acc.groups.entry(key.into()).or_default().merge_stored(g);
                    }
                }
            }
        }
        return true;
    }
    let Some(q) = rollup::decode_quarters(r) else {
        return false;
    };
    let covers: Vec<Cover> = q
        .quarters
        .iter()
        .map(|(i, _)| cover(*i, filter.since, filter.until))
        .collect();
    if covers.contains(&Cover::Partial) {
        return false;
    }
    for ((i, combos), c) in q.quarters.iter().zip(covers) {
        if c == Cover::Outside {
            continue;
        }
        let mut day = None;
        for combo in combos {
            if !rollup::combo_matches(&q, combo, dims) {
                continue;
            }
            for (acc, by) in accs.iter_mut().zip(bys) {
                let key = match by.dim() {
                    Some(Dim::Skill) => q.text(combo.skill),
                    Some(Dim::Agent) => q.text(combo.agent),
                    Some(Dim::Cuj) => q.text(combo.cuj),
                    Some(Dim::Result | Dim::Total) => q.text(combo.result),
                    None => day.get_or_insert_with(|| rollup::quarter_day(*i, utc)),
                };
                combo.add_to(
                    acc.groups.entry(key.into()).or_default(),
                    q.text(combo.result),
                );
            }
        }
    }
    true
}

fn rows_of(acc: Acc, by: GroupBy) -> Vec<StatsRow> {
    let mut rows: Vec<StatsRow> = acc
        .groups
        .into_iter()
        .map(|(key, mut g)| {
            g.durations.settle();
            StatsRow {
                key: (!key.is_empty()).then(|| key.into()),
                count: g.count,
                successes: g.successes,
                failures: g.failures,
                success_rate: rate(g.successes, g.count),
                cache_hit_rate: rate(g.cache_hits, g.count),
                mean: g.durations.mean(),
                p50: g.durations.percentile(0.50),
                p95: g.durations.percentile(0.95),
                p99: g.durations.percentile(0.99),
            }
        })
        .collect();
    if by == GroupBy::Day {
        rows.sort_by(|a, b| a.key.cmp(&b.key));
    } else {
        rows.sort_by(|a, b| {
            (b.count, a.key.is_none(), &a.key).cmp(&(a.count, b.key.is_none(), &b.key))
        });
    }
    rows
}
