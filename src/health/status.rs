//! Provider status (SPEC §5): healthy, degraded, down or unknown over a window, with
//! the reason that decided it; the overall status; recent errors.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::view::{CallView, fold};
use crate::config::HealthConfig;
use crate::error::{Error, Result};
use crate::output::{human_duration, human_window};
use crate::stats::{DurationStats, rate};
use crate::store::{Roots, Skipped};
use crate::time::Timestamp;
use crate::timespec;

/// A provider's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Available and fast enough.
    Healthy,
    /// Failing or slow enough to notice.
    Degraded,
    /// Mostly failing.
    Down,
    /// No calls in the window.
    Unknown,
}

impl Health {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Degraded => "degraded",
            Health::Down => "down",
            Health::Unknown => "unknown",
        }
    }
}

/// The status rules' thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// The window, ms.
    pub window_ms: i64,
    /// Availability below this is degraded.
    pub degraded_below: f64,
    /// Availability below this is down.
    pub down_below: f64,
    /// This many failed calls in a row are degraded.
    pub degraded_after: u32,
    /// This many failed calls in a row are down.
    pub down_after: u32,
    /// A p95 latency above this is degraded.
    pub p95_limit_ms: Option<f64>,
}

impl Thresholds {
    /// The thresholds of `config`, with the window overridden by `window_ms` if given.
    pub fn from_config(config: &HealthConfig, window_ms: Option<i64>) -> Result<Thresholds> {
        let window_ms = match window_ms {
            Some(w) => w,
            None => timespec::parse_duration_ms(&config.window, "health.window")? as i64,
        };
        let share = |v: f64, field: &str| {
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(Error::invalid(
                    field,
                    format!("{v} is not a fraction from 0 to 1"),
                ))
            }
        };
        let th = Thresholds {
            window_ms,
            degraded_below: share(config.degraded_below, "health.degradedBelow")?,
            down_below: share(config.down_below, "health.downBelow")?,
            degraded_after: config.degraded_after_failures,
            down_after: config.down_after_failures,
            p95_limit_ms: config.p95_limit_ms,
        };
        if th.window_ms < 1 {
            return Err(Error::invalid("health.window", "must be at least 1ms"));
        }
        Ok(th)
    }

    fn streak_len(&self) -> usize {
        self.degraded_after.max(self.down_after) as usize
    }
}

/// One provider's figures over the window (SPEC §4 `cc-health status --json`).
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRow {
    /// The provider.
    pub provider: String,
    /// Its health.
    pub status: Health,
    /// The rule that decided it.
    pub reason: String,
    /// Successful calls / calls.
    pub availability: Option<f64>,
    /// Calls in the window.
    pub calls: u64,
    /// Failed ones.
    pub failures: u64,
    /// Median latency, ms.
    pub p50: Option<f64>,
    /// 95th percentile latency, ms.
    pub p95: Option<f64>,
    /// 99th percentile latency, ms.
    pub p99: Option<f64>,
    /// The latest failure's message.
    pub last_error: Option<String>,
    /// When it happened.
    pub last_error_at: Option<Timestamp>,
}

/// The calls of one provider, as the status rules need them.
#[derive(Debug, Default, Clone)]
pub struct ProviderAcc {
    calls: u64,
    failures: u64,
    latencies: DurationStats,
    /// The latest calls, oldest first: (time, succeeded).
    latest: Vec<(Timestamp, bool)>,
    last_error: Option<(Timestamp, Option<String>)>,
}

impl ProviderAcc {
    /// Adds a call; `keep` is how many latest calls to remember.
    pub fn add(&mut self, v: &CallView<'_>, keep: usize) {
        self.calls += 1;
        self.failures += u64::from(!v.success);
        if let Some(l) = v.latency {
            self.latencies.record(l);
        }
        self.remember(v.timestamp, v.success, keep);
        if !v.success
            && self
                .last_error
                .as_ref()
                .is_none_or(|(t, _)| v.timestamp >= *t)
        {
            self.keep_error((v.timestamp, v.error_message()));
        }
    }

    /// Keeps `error` as the last one if it is later, or as late and greater (so calls in
    /// the same millisecond give the same answer in any order: workers' and rollups'
    /// folds meet them in different orders).
    fn keep_error(&mut self, error: (Timestamp, Option<String>)) {
        if self.last_error.as_ref().is_none_or(|mine| error > *mine) {
            self.last_error = Some(error);
        }
    }

    fn remember(&mut self, t: Timestamp, ok: bool, keep: usize) {
        // Calls in the same millisecond in one order whatever the fold's: failures first.
        let at = self.latest.partition_point(|&(x, o)| (x, o) <= (t, ok));
        self.latest.insert(at, (t, ok));
        if self.latest.len() > keep {
            let extra = self.latest.len() - keep;
            self.latest.drain(..extra);
        }
    }

    /// Combines two workers' figures.
    pub fn merge(&mut self, o: ProviderAcc, keep: usize) {
        self.calls += o.calls;
        self.failures += o.failures;
        self.latencies.merge(o.latencies);
        for (t, ok) in o.latest {
            self.remember(t, ok, keep);
        }
        if let Some(error) = o.last_error {
            self.keep_error(error);
        }
    }

    /// How many of the latest calls failed in a row.
    fn failing_streak(&self) -> usize {
        self.latest.iter().rev().take_while(|(_, ok)| !ok).count()
    }

    /// The status row of `provider` under `th`.
    pub fn row(&self, provider: &str, th: &Thresholds) -> StatusRow {
        let availability = rate(self.calls - self.failures, self.calls);
        let [p50, p95, p99] = self.latencies.percentiles([0.50, 0.95, 0.99]);
        let (status, reason) = decide(self, availability, p95, th);
        StatusRow {
            provider: provider.to_string(),
            status,
            reason,
            availability,
            calls: self.calls,
            failures: self.failures,
            p50,
            p95,
            p99,
            last_error: self.last_error.as_ref().and_then(|(_, e)| e.clone()),
            last_error_at: self.last_error.as_ref().map(|(t, _)| *t),
        }
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn decide(
    acc: &ProviderAcc,
    availability: Option<f64>,
    p95: Option<f64>,
    th: &Thresholds,
) -> (Health, String) {
    let Some(avail) = availability else {
        return (
            Health::Unknown,
            format!("no calls in the last {}", human_window(th.window_ms)),
        );
    };
    let streak = acc.failing_streak();
    if avail < th.down_below {
        return (
            Health::Down,
            format!(
                "availability {} is below {}",
                pct(avail),
                pct(th.down_below)
            ),
        );
    }
    if th.down_after > 0 && streak >= th.down_after as usize {
        return (
            Health::Down,
            format!("the last {} calls failed", th.down_after),
        );
    }
    if avail < th.degraded_below {
        return (
            Health::Degraded,
            format!(
                "availability {} is below {}",
                pct(avail),
                pct(th.degraded_below)
            ),
        );
    }
    if let (Some(p), Some(limit)) = (p95, th.p95_limit_ms)
        && p > limit
    {
        return (
            Health::Degraded,
            format!(
                "p95 latency {} is above the {} limit",
                human_duration(p),
                human_duration(limit)
            ),
        );
    }
    if th.degraded_after > 0 && streak >= th.degraded_after as usize {
        return (
            Health::Degraded,
            format!("the last {} calls failed", th.degraded_after),
        );
    }
    let latency = p95.map_or_else(String::new, |p| format!(", p95 {}", human_duration(p)));
    (
        Health::Healthy,
        format!("availability {}{latency}", pct(avail)),
    )
}

/// The accumulators of every provider with calls in the window ending at `now` (or of
/// `only` that provider).
pub fn provider_accs(
    roots: &Roots,
    th: &Thresholds,
    now: Timestamp,
    only: Option<&str>,
) -> Result<(FxHashMap<String, ProviderAcc>, Skipped)> {
    let keep = th.streak_len();
    fold(
        roots,
        Some(Timestamp(now.0.saturating_sub(th.window_ms))),
        Some(now),
        FxHashMap::<String, ProviderAcc>::default,
        |m, v| {
            // Services count in usage and cost, never in provider health.
            if v.is_service() || only.is_some_and(|p| p != v.provider) {
                return;
            }
            match m.get_mut(v.provider.as_ref()) {
                Some(a) => a.add(v, keep),
                None => m.entry(v.provider.to_string()).or_default().add(v, keep),
            }
        },
        |mut a, b| {
            for (k, v) in b {
                a.entry(k).or_default().merge(v, keep);
            }
            a
        },
    )
}

/// Status rows of every provider with calls in the window, by name.
pub fn statuses(
    roots: &Roots,
    th: &Thresholds,
    now: Timestamp,
) -> Result<(Vec<StatusRow>, Skipped)> {
    let (accs, skipped) = provider_accs(roots, th, now, None)?;
    let mut rows: Vec<StatusRow> = accs.iter().map(|(p, a)| a.row(p, th)).collect();
    rows.sort_by(|a, b| a.provider.cmp(&b.provider));
    Ok((rows, skipped))
}

/// The status row of one provider (unknown when it has no calls in the window).
pub fn provider_status(
    roots: &Roots,
    provider: &str,
    th: &Thresholds,
    now: Timestamp,
) -> Result<(StatusRow, Skipped)> {
    let (accs, skipped) = provider_accs(roots, th, now, Some(provider))?;
    let row = accs
        .get(provider)
        .cloned()
        .unwrap_or_default()
        .row(provider, th);
    Ok((row, skipped))
}

/// Rows best first: healthy before degraded before down before unknown, then by
/// availability, then by p95 latency.
pub fn compare(mut rows: Vec<StatusRow>) -> Vec<StatusRow> {
    rows.sort_by(|a, b| {
        a.status
            .cmp(&b.status)
            .then(
                b.availability
                    .unwrap_or(0.0)
                    .total_cmp(&a.availability.unwrap_or(0.0)),
            )
            .then(
                a.p95
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.p95.unwrap_or(f64::MAX)),
            )
            .then(a.provider.cmp(&b.provider))
    });
    rows
}

/// `cc-health overall`.
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
pub struct Overall {
    /// Healthy when every provider with data is, down when none is, else degraded;
    /// unknown without data.
    pub status: Health,
    /// Why.
    pub reason: String,
    /// Each provider's status.
    pub providers: std::collections::BTreeMap<String, Health>,
}

/// The overall status from the providers' rows.
pub fn overall(rows: &[StatusRow], window_ms: i64) -> Overall {
    let providers = rows
        .iter()
        .map(|r| (r.provider.clone(), r.status))
        .collect();
    let with_data: Vec<&StatusRow> = rows
        .iter()
        .filter(|r| r.status != Health::Unknown)
        .collect();
    let healthy = with_data
        .iter()
        .filter(|r| r.status == Health::Healthy)
        .count();
    let problems = || {
        with_data
            .iter()
            .filter(|r| r.status != Health::Healthy)
            .map(|r| format!("{} {} ({})", r.provider, r.status.as_str(), r.reason))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (status, reason) = if with_data.is_empty() {
        (
            Health::Unknown,
            format!("no provider calls in the last {}", human_window(window_ms)),
        )
    } else if healthy == with_data.len() {
        let noun = if healthy == 1 {
            "provider"
        } else {
            "providers"
        };
        (Health::Healthy, format!("all {healthy} {noun} healthy"))
    } else if healthy == 0 {
        (
            Health::Down,
            format!("no provider is healthy: {}", problems()),
        )
    } else {
        (
            Health::Degraded,
            format!(
                "{healthy} of {} providers healthy; {}",
                with_data.len(),
                problems()
            ),
        )
    };
    Overall {
        status,
        reason,
        providers,
    }
}

/// A failed call (`cc-health errors`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub struct ErrorRow {
    /// When.
    pub timestamp: Timestamp,
    /// The provider.
    pub provider: String,
    /// The message.
    pub error: Option<String>,
    /// The HTTP status.
    pub status_code: Option<u16>,
    /// The model.
    pub model: Option<String>,
}

/// The `limit` most recent failed calls (of `provider` when given), newest first, over
/// all time.
pub fn recent_errors(
    roots: &Roots,
    provider: Option<&str>,
    limit: usize,
) -> Result<(Vec<ErrorRow>, Skipped)> {
    let push = |heap: &mut BinaryHeap<Reverse<ErrorRow>>, row: ErrorRow| {
        heap.push(Reverse(row));
        if limit > 0 && heap.len() > limit {
            heap.pop();
        }
    };
    let (heap, skipped) = fold(
        roots,
        None,
        None,
        BinaryHeap::<Reverse<ErrorRow>>::new,
        |heap, v| {
            if v.success || v.is_service() || provider.is_some_and(|p| p != v.provider) {
                return;
            }
            if limit > 0
                && heap.len() >= limit
                && heap
                    .peek()
                    .is_some_and(|Reverse(oldest)| oldest.timestamp > v.timestamp)
            {
                return;
            }
            push(
                heap,
                ErrorRow {
                    timestamp: v.timestamp,
                    provider: v.provider.to_string(),
                    error: v.error_message(),
                    status_code: v.status_code,
                    model: v.model.as_deref().map(str::to_string),
                },
            );
        },
        |mut a, b| {
            for Reverse(row) in b {
                push(&mut a, row);
            }
            a
        },
    )?;
    let mut rows: Vec<ErrorRow> = heap.into_iter().map(|Reverse(r)| r).collect();
    rows.sort_by(|a, b| b.cmp(a));
    Ok((rows, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::view::CallView;

    /// Calls in the same millisecond give one answer whatever order they are folded in,
    /// one by one or by workers merged: the last error and the failing streak.
    #[test]
    fn ties_give_one_answer_in_any_order() {
        let lines = [
            r#"{"timestamp":"2026-11-20T10:00:00.000Z","provider":"p","success":false,"error":"b"}"#,
            r#"{"timestamp":"2026-11-20T10:00:00.000Z","provider":"p","success":false,"error":"c"}"#,
            r#"{"timestamp":"2026-11-20T10:00:00.000Z","provider":"p","success":true}"#,
            r#"{"timestamp":"2026-11-20T10:00:00.000Z","provider":"p","success":false,"error":"a"}"#,
            r#"{"timestamp":"2026-11-20T09:59:59.999Z","provider":"p","success":false,"error":"z"}"#,
        ];
        let views: Vec<CallView<'_>> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let th = Thresholds {
            window_ms: 3_600_000,
            degraded_below: 0.9,
            down_below: 0.5,
            degraded_after: 2,
            down_after: 5,
            p95_limit_ms: None,
        };
        let mut answers = Vec::new();
        for order in [
            [0, 1, 2, 3, 4],
            [4, 3, 2, 1, 0],
            [2, 0, 4, 1, 3],
            [3, 1, 0, 4, 2],
        ] {
            let mut one = ProviderAcc::default();
            for &i in &order {
                one.add(&views[i], 3);
            }
            let (mut a, mut b) = (ProviderAcc::default(), ProviderAcc::default());
            for (k, &i) in order.iter().enumerate() {
                if k % 2 == 0 {
                    a.add(&views[i], 3)
                } else {
                    b.add(&views[i], 3)
                }
            }
            b.merge(a, 3);
            let rows = [one.row("p", &th), b.row("p", &th)];
            answers.push(format!("{:?}", rows[0]));
            answers.push(format!("{:?}", rows[1]));
        }
        assert!(answers.iter().all(|a| a == &answers[0]), "{answers:#?}");
        assert!(
            answers[0].contains("last_error: Some(\"c\")"),
            "{}",
            answers[0]
        );
    }
}
