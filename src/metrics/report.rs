//! The `cc-metrics` reports, computed as serializable values (SPEC §4 JSON shapes).
//! Every report takes "now" as a parameter; windows are `[now - window, now]`.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::view::{DIMENSIONS, JourneyView, fold};
use crate::config::QualityConfig;
use crate::error::Result;
use crate::redact::Redactor;
use crate::stats::patterns::{self, Category};
use crate::stats::{Buckets, DurationStats, Summary, rate};
use crate::store::{Roots, Skipped};
use crate::time::Timestamp;

/// Counts, durations and last times of a set of executions.
#[derive(Debug, Default)]
struct Tally {
    total: u64,
    successes: u64,
    durations: DurationStats,
    last_run: Option<Timestamp>,
    last_failure: Option<Timestamp>,
}

impl Tally {
    fn add(&mut self, v: &JourneyView<'_>) {
        self.total += 1;
        self.successes += u64::from(v.success);
        self.durations.record(v.duration);
        self.last_run = self.last_run.max(Some(v.timestamp));
        if !v.success {
            self.last_failure = self.last_failure.max(Some(v.timestamp));
        }
    }

    fn merge(&mut self, o: Tally) {
        self.total += o.total;
        self.successes += o.successes;
        self.durations.merge(o.durations);
        self.last_run = self.last_run.max(o.last_run);
        self.last_failure = self.last_failure.max(o.last_failure);
    }

    fn figures(&self) -> WindowFigures {
        let [p50, p95, p99] = self.durations.percentiles([0.50, 0.95, 0.99]);
        WindowFigures {
            total: self.total,
            successes: self.successes,
            failures: self.total - self.successes,
            success_rate: rate(self.successes, self.total),
            p50,
            p95,
            p99,
        }
    }
}

fn merge_maps<V: Default>(
    mut a: FxHashMap<String, V>,
    b: FxHashMap<String, V>,
    merge: impl Fn(&mut V, V),
) -> FxHashMap<String, V> {
    for (k, v) in b {
        merge(a.entry(k).or_default(), v);
    }
    a
}

fn window_start(now: Timestamp, window_ms: i64) -> Timestamp {
    Timestamp(now.0.saturating_sub(window_ms))
}

/// `cc-metrics rate`: one journey's success rate over a window.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RateReport {
    /// The journey.
    pub cuj_id: String,
    /// The window's length.
    pub window_ms: i64,
    /// Executions in the window.
    pub total: u64,
    /// Successful ones.
    pub successes: u64,
    /// Failed ones.
    pub failures: u64,
    /// successes / total; `null` without executions.
    pub success_rate: Option<f64>,
}

/// Success rate of `cuj` over the `window_ms` ending at `now`.
pub fn rate_report(
    roots: &Roots,
    cuj: &str,
    window_ms: i64,
    now: Timestamp,
) -> Result<(RateReport, Skipped)> {
    let (t, skipped) = fold(
        roots,
        window_start(now, window_ms),
        now,
        Tally::default,
        |t, v| {
            if v.cuj_id == cuj {
                t.total += 1;
                t.successes += u64::from(v.success);
            }
        },
        |mut a, b| {
            a.total += b.total;
            a.successes += b.successes;
            a
        },
    )?;
    let report = RateReport {
        cuj_id: cuj.to_string(),
        window_ms,
        total: t.total,
        successes: t.successes,
        failures: t.total - t.successes,
        success_rate: rate(t.successes, t.total),
    };
    Ok((report, skipped))
}

/// Counts, success rate and latency percentiles of one journey in one window.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowFigures {
    /// Executions.
    pub total: u64,
    /// Successful ones.
    pub successes: u64,
    /// Failed ones.
    pub failures: u64,
    /// successes / total.
    pub success_rate: Option<f64>,
    /// Median duration, ms.
    pub p50: Option<f64>,
    /// 95th percentile duration, ms.
    pub p95: Option<f64>,
    /// 99th percentile duration, ms.
    pub p99: Option<f64>,
}

/// A row of `cc-metrics all WINDOW`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CujRow {
    /// The journey.
    pub cuj_id: String,
    /// Its figures in the window.
    #[serde(flatten)]
    pub figures: WindowFigures,
    /// Its latest execution in the window.
    pub last_run: Option<Timestamp>,
    /// Its latest failure in the window.
    pub last_failure: Option<Timestamp>,
}

/// Every journey's figures over one window, by journey id.
pub fn all_report(roots: &Roots, window_ms: i64, now: Timestamp) -> Result<(Vec<CujRow>, Skipped)> {
    let (map, skipped) = fold(
        roots,
        window_start(now, window_ms),
        now,
        FxHashMap::<String, Tally>::default,
        |m, v| add_to(m, &v.cuj_id, |t: &mut Tally| t.add(v)),
        |a, b| merge_maps(a, b, Tally::merge),
    )?;
    let mut rows: Vec<CujRow> = map
        .into_iter()
        .map(|(cuj_id, t)| CujRow {
            figures: t.figures(),
            last_run: t.last_run,
            last_failure: t.last_failure,
            cuj_id,
        })
        .collect();
    rows.sort_by(|a, b| a.cuj_id.cmp(&b.cuj_id));
    Ok((rows, skipped))
}

fn add_to<V: Default>(m: &mut FxHashMap<String, V>, key: &str, f: impl FnOnce(&mut V)) {
    match m.get_mut(key) {
        Some(v) => f(v),
        None => f(m.entry(key.to_string()).or_default()),
    }
}

/// The windows of `cc-metrics all` without WINDOW.
pub const STANDARD_WINDOWS: [(&str, i64); 4] = [
    ("1h", HOUR_MS),
    ("24h", DAY_MS),
    ("7d", 7 * DAY_MS),
    ("30d", 30 * DAY_MS),
];

/// Figures of one journey in each standard window.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
pub struct StandardWindows {
    /// The last hour.
    #[serde(rename = "1h")]
    pub hour: WindowFigures,
    /// The last 24 hours.
    #[serde(rename = "24h")]
    pub day: WindowFigures,
    /// The last 7 days.
    #[serde(rename = "7d")]
    pub week: WindowFigures,
    /// The last 30 days.
    #[serde(rename = "30d")]
    pub month: WindowFigures,
}

impl StandardWindows {
    /// The windows in order, with their labels.
    pub fn iter(&self) -> [(&'static str, &WindowFigures); 4] {
        [
            ("1h", &self.hour),
            ("24h", &self.day),
            ("7d", &self.week),
            ("30d", &self.month),
        ]
    }
}

/// A row of `cc-metrics all` without WINDOW.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CujWindowsRow {
    /// The journey.
    pub cuj_id: String,
    /// Its figures per window.
    pub windows: StandardWindows,
    /// Its latest execution in the last 30 days.
    pub last_run: Option<Timestamp>,
    /// Its latest failure in the last 30 days.
    pub last_failure: Option<Timestamp>,
}

/// Every journey's figures over the last 1h, 24h, 7d and 30d, in one pass.
pub fn all_windows_report(roots: &Roots, now: Timestamp) -> Result<(Vec<CujWindowsRow>, Skipped)> {
    let (rows, _, skipped) = all_windows_with_total(roots, now)?;
    Ok((rows, skipped))
}

/// [`all_windows_report`], plus the figures of all journeys together per window.
pub fn all_windows_with_total(
    roots: &Roots,
    now: Timestamp,
) -> Result<(Vec<CujWindowsRow>, StandardWindows, Skipped)> {
    let longest = STANDARD_WINDOWS[3].1;
    let add_all = |tallies: &mut [Tally; 4], v: &JourneyView<'_>| {
        for ((_, len), t) in STANDARD_WINDOWS.iter().zip(tallies.iter_mut()) {
            if v.timestamp >= window_start(now, *len) {
                t.add(v);
            }
        }
    };
    let merge_all = |x: &mut [Tally; 4], y: [Tally; 4]| {
        for (t, o) in x.iter_mut().zip(y) {
            t.merge(o);
        }
    };
    type Acc = (FxHashMap<String, [Tally; 4]>, [Tally; 4]);
    let ((map, total), skipped) = fold(
        roots,
        window_start(now, longest),
        now,
        Acc::default,
        |(m, total), v| {
            add_to(m, &v.cuj_id, |tallies: &mut [Tally; 4]| add_all(tallies, v));
            add_all(total, v);
        },
        |(a, mut ta), (b, tb)| {
            merge_all(&mut ta, tb);
            (merge_maps(a, b, merge_all), ta)
        },
    )?;
    let windows = |[hour, day, week, month]: [Tally; 4]| StandardWindows {
        hour: hour.figures(),
        day: day.figures(),
        week: week.figures(),
        month: month.figures(),
    };
    let mut rows: Vec<CujWindowsRow> = map
        .into_iter()
        .map(|(cuj_id, tallies)| CujWindowsRow {
            last_run: tallies[3].last_run,
            last_failure: tallies[3].last_failure,
            windows: windows(tallies),
            cuj_id,
        })
        .collect();
    rows.sort_by(|a, b| a.cuj_id.cmp(&b.cuj_id));
    Ok((rows, windows(total), skipped))
}

/// One trend bucket.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TrendBucket {
    /// Its first instant (aligned to the bucket size, UTC).
    pub start: Timestamp,
    /// Executions in it.
    pub total: u64,
    /// Successful ones.
    pub successes: u64,
    /// successes / total; `null` when empty.
    pub success_rate: Option<f64>,
    /// Median duration, ms.
    pub p50: Option<f64>,
    /// 95th percentile duration, ms.
    pub p95: Option<f64>,
}

/// `cc-metrics trending`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TrendReport {
    /// The journey.
    pub cuj_id: String,
    /// The bucket size.
    pub bucket_ms: i64,
    /// Oldest first; the last one holds now and is partial.
    pub buckets: Vec<TrendBucket>,
}

/// `count` buckets of `bucket_ms` for `cuj`, the last holding `now`.
pub fn trend_report(
    roots: &Roots,
    cuj: &str,
    count: usize,
    bucket_ms: i64,
    now: Timestamp,
) -> Result<(TrendReport, Skipped)> {
    let buckets = Buckets::ending(now, count, bucket_ms);
    let since = buckets.iter().next().map_or(now, |b| b.start);
    let (tallies, skipped) = fold(
        roots,
        since,
        now,
        || (0..count).map(|_| Tally::default()).collect::<Vec<_>>(),
        |ts, v| {
            if v.cuj_id == cuj
                && let Some(i) = buckets.index_of(v.timestamp)
            {
                ts[i].add(v);
            }
        },
        |mut a, b| {
            for (t, o) in a.iter_mut().zip(b) {
                t.merge(o);
            }
            a
        },
    )?;
    let buckets = buckets
        .iter()
        .zip(tallies)
        .map(|(b, t)| {
            let [p50, p95] = t.durations.percentiles([0.50, 0.95]);
            TrendBucket {
                start: b.start,
                total: t.total,
                successes: t.successes,
                success_rate: rate(t.successes, t.total),
                p50,
                p95,
            }
        })
        .collect();
    let report = TrendReport {
        cuj_id: cuj.to_string(),
        bucket_ms,
        buckets,
    };
    Ok((report, skipped))
}

/// One error pattern of `cc-metrics failures`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PatternRow {
    /// The normalized message (`timeout after <n>s on run <n>`).
    pub pattern: String,
    /// Failures with this pattern.
    pub count: u64,
    /// count / all failures in the window.
    pub share: f64,
    /// The earliest.
    pub first_seen: Timestamp,
    /// The latest.
    pub last_seen: Timestamp,
    /// What kind of failure.
    pub category: Category,
    /// The latest message with this pattern, redacted.
    pub example: String,
    /// Over every source: how many of its failures are journey executions (`journey`),
    /// failed progress runs without a journey record (`run`) and provider errors
    /// (`provider`). Absent in a one-journey report.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, u64>,
}

/// `cc-metrics failures`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FailureReport {
    /// The journey.
    pub cuj_id: String,
    /// The window's length.
    pub window_ms: i64,
    /// Failures in the window (all patterns, not only the top ones).
    pub total_failures: u64,
    /// The most frequent patterns first.
    pub patterns: Vec<PatternRow>,
}

/// What a failure without an error message is grouped under.
pub const NO_MESSAGE: &str = "(no error message)";

struct PatternAcc {
    count: u64,
    first: Timestamp,
    last: Timestamp,
    example: String,
    sources: BTreeMap<String, u64>,
}

impl PatternAcc {
    fn merge(&mut self, o: PatternAcc) {
        self.count += o.count;
        self.first = self.first.min(o.first);
        if o.last > self.last {
            self.last = o.last;
            self.example = o.example;
        }
        for (k, n) in o.sources {
            *self.sources.entry(k).or_default() += n;
        }
    }
}

/// Adds one failure (its message, when it has one) to the patterns.
fn add_failure(
    m: &mut FxHashMap<String, PatternAcc>,
    message: Option<String>,
    t: Timestamp,
    source: Option<&str>,
    redactor: &Redactor,
) {
    let message = message
        .map(|m| redactor.redact_str(&m).into_owned())
        .filter(|m| !m.trim().is_empty());
    let pattern = message
        .as_deref()
        .map_or_else(|| NO_MESSAGE.to_string(), patterns::normalize);
    let acc = PatternAcc {
        count: 1,
        first: t,
        last: t,
        example: message.unwrap_or_default(),
        sources: source
            .map(|s| BTreeMap::from([(s.to_string(), 1)]))
            .unwrap_or_default(),
    };
    match m.get_mut(&pattern) {
        Some(p) => p.merge(acc),
        None => {
            m.insert(pattern, acc);
        }
    }
}

fn merge_patterns(
    mut a: FxHashMap<String, PatternAcc>,
    b: FxHashMap<String, PatternAcc>,
) -> FxHashMap<String, PatternAcc> {
    for (k, v) in b {
        match a.get_mut(&k) {
            Some(p) => p.merge(v),
            None => {
                a.insert(k, v);
            }
        }
    }
    a
}

/// The report's rows from the patterns: most frequent first, the `top` (0 for all).
fn pattern_rows(map: FxHashMap<String, PatternAcc>, top: usize) -> (u64, Vec<PatternRow>) {
    let total: u64 = map.values().map(|p| p.count).sum();
    let mut rows: Vec<PatternRow> = map
        .into_iter()
        .map(|(pattern, p)| PatternRow {
            category: patterns::categorize(&p.example),
            share: p.count as f64 / total as f64,
            count: p.count,
            first_seen: p.first,
            last_seen: p.last,
            example: p.example,
            sources: p.sources,
            pattern,
        })
        .collect();
    rows.sort_by(|a, b| {
        (b.count, b.last_seen, &a.pattern).cmp(&(a.count, a.last_seen, &b.pattern))
    });
    if top > 0 {
        rows.truncate(top);
    }
    (total, rows)
}

/// A day, in ms.
use crate::time::{DAY_MS, HOUR_MS};

/// What `failures_everywhere` reports as its journey.
pub const ALL_SOURCES: &str = "*";

/// Failures of every source in the window, grouped by error pattern: journey
/// executions, failed progress runs (a run with a journey record of the same `runId`
/// is that execution, counted once) and provider errors (services left out).
pub fn failures_everywhere(
    roots: &Roots,
    window_ms: i64,
    top: usize,
    now: Timestamp,
    redactor: &Redactor,
) -> Result<(FailureReport, Skipped)> {
    let start = window_start(now, window_ms);
    let ((mut map, journey_runs), mut skipped) = fold(
        roots,
        start,
        now,
        || {
            (
                FxHashMap::<String, PatternAcc>::default(),
                FxHashSet::<String>::default(),
            )
        },
        |(m, runs), v| {
            if let Some(r) = v.run_id.as_deref() {
                runs.insert(r.to_string());
            }
            if !v.success {
                add_failure(m, v.error_message(), v.timestamp, Some("journey"), redactor);
            }
        },
        |(a, mut ra), (b, rb)| {
            ra.extend(rb);
            (merge_patterns(a, b), ra)
        },
    )?;
    // Runs are folded from a day before the window, so that a run started earlier
    // still has its start; only those that failed inside the window count.
    let (runs, s) = crate::progress::all_runs(roots, Some(Timestamp(start.0 - DAY_MS)), None, now)?;
    skipped.merge(s);
    for r in runs.iter().filter(|r| {
        r.status == crate::record::RunStatus::Failed
            && r.updated_at >= start
            && r.updated_at <= now
            && !journey_runs.contains(&r.run_id)
    }) {
        let message = r.errors.last().map(|e| e.message.clone());
        add_failure(&mut map, message, r.updated_at, Some("run"), redactor);
    }
    let (calls, s) = crate::health::fold(
        roots,
        Some(start),
        Some(now),
        FxHashMap::<String, PatternAcc>::default,
        |m, v| {
            if !v.success && !v.is_service() {
                add_failure(
                    m,
                    v.error_message(),
                    v.timestamp,
                    Some("provider"),
                    redactor,
                );
            }
        },
        merge_patterns,
    )?;
    skipped.merge(s);
    let map = merge_patterns(std::mem::take(&mut map), calls);
    let (total, rows) = pattern_rows(map, top);
    Ok((
        FailureReport {
            cuj_id: ALL_SOURCES.to_string(),
            window_ms,
            total_failures: total,
            patterns: rows,
        },
        skipped,
    ))
}

/// Failures of `cuj` in the window, grouped by error pattern, the `top` largest groups
/// (0 for all). Examples are redacted with `redactor` first.
pub fn failure_report(
    roots: &Roots,
    cuj: &str,
    window_ms: i64,
    top: usize,
    now: Timestamp,
    redactor: &Redactor,
) -> Result<(FailureReport, Skipped)> {
    let (map, skipped) = fold(
        roots,
        window_start(now, window_ms),
        now,
        FxHashMap::<String, PatternAcc>::default,
        |m, v| {
            if v.success || v.cuj_id != cuj {
                return;
            }
            add_failure(m, v.error_message(), v.timestamp, None, redactor);
        },
        merge_patterns,
    )?;
    let (total, rows) = pattern_rows(map, top);
    let report = FailureReport {
        cuj_id: cuj.to_string(),
        window_ms,
        total_failures: total,
        patterns: rows,
    };
    Ok((report, skipped))
}

/// `cc-metrics percentiles`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PercentileReport {
    /// The journey.
    pub cuj_id: String,
    /// The window's length.
    pub window_ms: i64,
    /// count, min, p50, p75, p90, p95, p99, max, mean (ms).
    #[serde(flatten)]
    pub summary: Summary,
}

/// Duration percentiles of `cuj` over the window.
pub fn percentile_report(
    roots: &Roots,
    cuj: &str,
    window_ms: i64,
    now: Timestamp,
) -> Result<(PercentileReport, Skipped)> {
    let (d, skipped) = fold(
        roots,
        window_start(now, window_ms),
        now,
        DurationStats::default,
        |d, v| {
            if v.cuj_id == cuj {
                d.record(v.duration);
            }
        },
        |mut a, b| {
            a.merge(b);
            a
        },
    )?;
    let report = PercentileReport {
        cuj_id: cuj.to_string(),
        window_ms,
        summary: d.summary(),
    };
    Ok((report, skipped))
}

/// A row of `cc-metrics workflows`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowRow {
    /// The workflow.
    pub workflow: String,
    /// Executions.
    pub runs: u64,
    /// successes / runs.
    pub success_rate: Option<f64>,
    /// Mean iterations of the executions that report them.
    pub mean_iterations: Option<f64>,
    /// Mean duration, ms.
    pub mean_duration: Option<f64>,
    /// 95th percentile duration, ms.
    pub p95_duration: Option<f64>,
    /// Mean composite quality of the executions that have one.
    pub mean_quality: Option<f64>,
}

#[derive(Default)]
struct WorkflowAcc {
    runs: u64,
    successes: u64,
    iterations: Mean,
    durations: DurationStats,
    quality: Mean,
}

/// A running mean.
#[derive(Debug, Default, Clone)]
struct Mean {
    sum: crate::stats::ExactSum,
    n: u64,
}

impl Mean {
    fn add(&mut self, v: Option<f64>) {
        if let Some(v) = v {
            self.sum.add(v);
            self.n += 1;
        }
    }

    fn merge(&mut self, o: Mean) {
        self.sum.merge(&o.sum);
        self.n += o.n;
    }

    fn get(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum.value() / self.n as f64)
    }
}

/// Per-workflow figures over the window, most runs first: journey executions and
/// ended progress runs that carry a workflow, a run with a journey record of the same
/// `runId` (as `cc-metrics run` writes both) counted once. Executions without a
/// workflow are left out.
pub fn workflow_report(
    roots: &Roots,
    window_ms: i64,
    now: Timestamp,
    quality: &QualityConfig,
) -> Result<(Vec<WorkflowRow>, Skipped)> {
    let start = window_start(now, window_ms);
    let ((mut map, journey_runs), mut skipped) = fold(
        roots,
        start,
        now,
        || {
            (
                FxHashMap::<String, WorkflowAcc>::default(),
                FxHashSet::<String>::default(),
            )
        },
        |(m, runs), v| {
            if let Some(r) = v.run_id.as_deref() {
                runs.insert(r.to_string());
            }
            let Some(w) = v.workflow.as_deref().filter(|w| !w.is_empty()) else {
                return;
            };
            add_to(m, w, |a: &mut WorkflowAcc| {
                a.runs += 1;
                a.successes += u64::from(v.success);
                a.iterations.add(v.iterations);
                a.durations.record(v.duration);
                a.quality
                    .add(v.quality.as_ref().and_then(|q| q.composite(quality)));
            })
        },
        |(a, mut ra), (b, rb)| {
            ra.extend(rb);
            let merged = merge_maps(a, b, |x, y| {
                x.runs += y.runs;
                x.successes += y.successes;
                x.iterations.merge(y.iterations);
                x.durations.merge(y.durations);
                x.quality.merge(y.quality);
            });
            (merged, ra)
        },
    )?;
    // Progress runs that ended in the window, folded from a day earlier so that
    // their start is seen.
    let (runs, s) = crate::progress::all_runs(roots, Some(Timestamp(start.0 - DAY_MS)), None, now)?;
    skipped.merge(s);
    for r in runs.iter().filter(|r| {
        r.is_done()
            && r.updated_at >= start
            && r.updated_at <= now
            && !journey_runs.contains(&r.run_id)
    }) {
        let Some(w) = r.workflow.as_deref().filter(|w| !w.is_empty()) else {
            continue;
        };
        let a = map.entry(w.to_string()).or_default();
        a.runs += 1;
        a.successes += u64::from(r.status == crate::record::RunStatus::Completed);
        a.iterations.add(
            r.steps
                .iter()
                .filter_map(|s| s.iteration)
                .max()
                .map(|i| i as f64),
        );
        a.durations.record(r.duration_ms);
        a.quality.add(r.composite);
    }
    let mut rows: Vec<WorkflowRow> = map
        .into_iter()
        .map(|(workflow, a)| WorkflowRow {
            workflow,
            runs: a.runs,
            success_rate: rate(a.successes, a.runs),
            mean_iterations: a.iterations.get(),
            mean_duration: a.durations.mean(),
            p95_duration: a.durations.percentile(0.95),
            mean_quality: a.quality.get(),
        })
        .collect();
    rows.sort_by(|a, b| (b.runs, &a.workflow).cmp(&(a.runs, &b.workflow)));
    Ok((rows, skipped))
}

/// One bucket of `cc-metrics quality`: means of the scored executions in it.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityBucket {
    /// Its first instant.
    pub start: Timestamp,
    /// Executions with quality scores.
    pub scored: u64,
    /// Mean composite.
    pub composite: Option<f64>,
    /// Mean correctness.
    pub correctness: Option<f64>,
    /// Mean type safety.
    pub type_safety: Option<f64>,
    /// Mean code style.
    pub code_style: Option<f64>,
    /// Mean test coverage.
    pub test_coverage: Option<f64>,
    /// Mean completeness.
    pub completeness: Option<f64>,
    /// Share of scored executions meeting their threshold.
    pub meeting_threshold: Option<f64>,
}

/// `cc-metrics quality`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QualityReport {
    /// Only this workflow, if set.
    pub workflow: Option<String>,
    /// Only this journey, if set.
    pub cuj_id: Option<String>,
    /// The bucket size.
    pub bucket_ms: i64,
    /// The configured threshold (records may carry their own).
    pub threshold: f64,
    /// All buckets together.
    pub overall: QualityBucket,
    /// Oldest first; the last one holds now.
    pub buckets: Vec<QualityBucket>,
}

#[derive(Default, Clone)]
struct QualityAcc {
    scored: u64,
    composite: Mean,
    dimensions: [Mean; 5],
    judged: u64,
    met: u64,
}

impl QualityAcc {
    fn add(&mut self, v: &JourneyView<'_>, config: &QualityConfig) {
        let Some(q) = &v.quality else { return };
        let composite = q.composite(config);
        let dims = q.dimensions();
        if composite.is_none() && dims.iter().all(Option::is_none) {
            return;
        }
        self.scored += 1;
        self.composite.add(composite);
        for (m, d) in self.dimensions.iter_mut().zip(dims) {
            m.add(d);
        }
        if let Some(passed) = q.passed(config) {
            self.judged += 1;
            self.met += u64::from(passed);
        }
    }

    fn merge(&mut self, o: QualityAcc) {
        self.scored += o.scored;
        self.composite.merge(o.composite);
        for (m, d) in self.dimensions.iter_mut().zip(o.dimensions) {
            m.merge(d);
        }
        self.judged += o.judged;
        self.met += o.met;
    }

    fn bucket(&self, start: Timestamp) -> QualityBucket {
        let [c, t, s, tc, cp] = self.dimensions.each_ref().map(Mean::get);
        QualityBucket {
            start,
            scored: self.scored,
            composite: self.composite.get(),
            correctness: c,
            type_safety: t,
            code_style: s,
            test_coverage: tc,
            completeness: cp,
            meeting_threshold: rate(self.met, self.judged),
        }
    }
}

/// Which executions `quality` looks at.
#[derive(Debug, Clone, Default)]
pub struct QualityFilter {
    /// Only this workflow.
    pub workflow: Option<String>,
    /// Only this journey.
    pub cuj_id: Option<String>,
}

/// Quality means per bucket (`count` buckets of `bucket_ms`, the last holding `now`).
pub fn quality_report(
    roots: &Roots,
    filter: &QualityFilter,
    count: usize,
    bucket_ms: i64,
    now: Timestamp,
    config: &QualityConfig,
) -> Result<(QualityReport, Skipped)> {
    debug_assert_eq!(DIMENSIONS.len(), 5);
    let buckets = Buckets::ending(now, count, bucket_ms);
    let since = buckets.iter().next().map_or(now, |b| b.start);
    let (accs, skipped) = fold(
        roots,
        since,
        now,
        || vec![QualityAcc::default(); count],
        |accs, v| {
            if filter.cuj_id.as_deref().is_some_and(|c| c != v.cuj_id)
                || filter
                    .workflow
                    .as_deref()
                    .is_some_and(|w| v.workflow.as_deref() != Some(w))
            {
                return;
            }
            if let Some(i) = buckets.index_of(v.timestamp) {
                accs[i].add(v, config);
            }
        },
        |mut a, b| {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
            a
        },
    )?;
    let mut overall = QualityAcc::default();
    for a in &accs {
        overall.merge(a.clone());
    }
    let report = QualityReport {
        workflow: filter.workflow.clone(),
        cuj_id: filter.cuj_id.clone(),
        bucket_ms,
        threshold: config.threshold,
        overall: overall.bucket(since),
        buckets: buckets
            .iter()
            .zip(&accs)
            .map(|(b, a)| a.bucket(b.start))
            .collect(),
    };
    Ok((report, skipped))
}
