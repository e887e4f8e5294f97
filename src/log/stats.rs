//! `cc-log stats`: per-group counts, rates and duration percentiles.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::filter::{Filter, LineFilter};
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

#[derive(Default)]
struct Group {
    count: u64,
    successes: u64,
    failures: u64,
    cache_hits: u64,
    durations: DurationStats,
}

impl Group {
    fn add(&mut self, v: &SkillView<'_>) {
        self.count += 1;
        self.successes += u64::from(v.result == SkillResult::Success);
        self.failures += u64::from(v.result.is_failure());
        self.cache_hits += u64::from(v.cache_hit);
        if let Some(d) = v.duration {
            self.durations.record(d);
        }
    }

    fn merge(&mut self, o: Group) {
        self.count += o.count;
        self.successes += o.successes;
        self.failures += o.failures;
        self.cache_hits += o.cache_hits;
        self.durations.merge(o.durations);
    }
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
pub fn stats_many(
    roots: &Roots,
    filter: &Filter,
    bys: &[GroupBy],
    utc: bool,
) -> Result<(Vec<Vec<StatsRow>>, Skipped)> {
    let files = roots.files(Stream::SkillInvocations, filter.since, filter.until)?;
    let scan = Scan::new(files, roots.needs_dedup());
    let test = LineFilter::new(filter);
    let (accs, skipped) = scan.run(
        || bys.iter().map(|_| Acc::default()).collect::<Vec<_>>(),
        |accs, line| {
            test.test(Some(&scan), line.bytes, |view| {
                for (acc, by) in accs.iter_mut().zip(bys) {
                    acc.add(*by, view, utc);
                }
            })?;
            Ok(())
        },
        |mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                for (k, g) in y.groups {
                    x.groups.entry(k).or_default().merge(g);
                }
            }
            a
        },
    )?;
    let tables = accs
        .into_iter()
        .zip(bys)
        .map(|(acc, by)| rows_of(acc, *by))
        .collect();
    Ok((tables, skipped))
}

fn rows_of(acc: Acc, by: GroupBy) -> Vec<StatsRow> {
    let mut rows: Vec<StatsRow> = acc
        .groups
        .into_iter()
        .map(|(key, g)| StatsRow {
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
