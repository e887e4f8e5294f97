//! Figures that add up across machines (SPEC §12): counters over every record held,
//! labelled by the writer's host, and duration histograms with fixed buckets. A central
//! Prometheus (or an OTLP collector) sums them over a fleet; windowed ratios and
//! quantiles cannot be summed, so they are computed there, not here.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::health::{CallView, Cost, PriceTable, Tokens};
use crate::metrics::JourneyView;
use crate::progress::RunState;
use crate::record::{SkillView, Timestamp, parse_line};
use crate::redact::Redactor;
use crate::rollup;
use crate::store::{LineError, Roots, Scan, Skipped, Stream};

/// Upper bounds (seconds) of the duration and latency histograms' buckets; a last
/// `+Inf` bucket holds the rest. Fixed, so every machine's buckets add up.
pub const BUCKETS: [f64; 18] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    1800.0, 3600.0,
];

/// The host label of a record written without one.
pub const UNKNOWN: &str = "unknown";

/// Bucket bounds of `gen_ai.client.token.usage` (OpenTelemetry GenAI conventions).
pub const TOKEN_BUCKETS: [f64; 14] = [
    1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0,
    16777216.0, 67108864.0,
];

/// Bucket bounds (seconds) of `gen_ai.client.operation.duration` (GenAI conventions).
pub const OPERATION_BUCKETS: [f64; 14] = [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/// Observations in fixed buckets: per-bucket (not cumulative) counts, sum, count, min
/// and max. [`Default`] uses [`BUCKETS`].
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The buckets' upper bounds.
    pub bounds: &'static [f64],
    /// `counts[i]` observations fell in `(bounds[i-1], bounds[i]]`; the last one is
    /// above every bound.
    pub counts: Vec<u64>,
    /// The sum of the observations, exact (see [`crate::stats::ExactSum`]).
    pub sum: crate::stats::ExactSum,
    /// How many.
    pub count: u64,
    /// The smallest observation (`+inf` when empty).
    pub min: f64,
    /// The largest observation (`-inf` when empty).
    pub max: f64,
}

/// A histogram as kept in a rollup: its bounds by name (they are one of the fixed sets).
#[derive(Serialize, Deserialize)]
struct StoredHistogram {
    bounds: u8,
    counts: Vec<u64>,
    sum: crate::stats::ExactSum,
    count: u64,
    min: f64,
    max: f64,
}

const BOUND_SETS: [&[f64]; 3] = [&BUCKETS, &TOKEN_BUCKETS, &OPERATION_BUCKETS];

impl Serialize for Histogram {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let bounds = BOUND_SETS
            .iter()
            .position(|b| *b == self.bounds)
            .ok_or_else(|| serde::ser::Error::custom("histogram bounds are not a fixed set"))?;
        StoredHistogram {
            bounds: bounds as u8,
            counts: self.counts.clone(),
            sum: self.sum.clone(),
            count: self.count,
            min: self.min,
            max: self.max,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Histogram {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let h = StoredHistogram::deserialize(d)?;
        let bounds = *BOUND_SETS
            .get(usize::from(h.bounds))
            .ok_or_else(|| serde::de::Error::custom("unknown histogram bounds"))?;
        if h.counts.len() != bounds.len() + 1 {
            return Err(serde::de::Error::custom(
                "histogram counts do not fit its bounds",
            ));
        }
        Ok(Histogram {
            bounds,
            counts: h.counts,
            sum: h.sum,
            count: h.count,
            min: h.min,
            max: h.max,
        })
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new(&BUCKETS)
    }
}

impl Histogram {
    /// An empty histogram with these upper bounds.
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: crate::stats::ExactSum::default(),
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Adds one observation (negative and non-finite ones are ignored).
    pub fn observe(&mut self, value: f64) {
        if !value.is_finite() || value < 0.0 {
            return;
        }
        let i = self
            .bounds
            .iter()
            .position(|b| value <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[i] += 1;
        self.sum.add(value);
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Adds another histogram's observations (same bounds).
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.sum.merge(&other.sum);
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Cumulative counts: observations at or below each bound, then the total.
    pub fn cumulative(&self) -> Vec<u64> {
        let mut total = 0;
        self.counts
            .iter()
            .map(|c| {
                total += c;
                total
            })
            .collect()
    }
}

/// Label values (in the order of the family's label names) to a value.
pub type Series<V> = BTreeMap<Vec<String>, V>;

/// Every fleet figure of a data root (or several): what `export --format prometheus`,
/// `export --format otlp` and a server's `/metrics` publish.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fleet {
    /// `{host, skill, result}` → invocations.
    pub skill_invocations: Series<u64>,
    /// `{host, skill}` → durations.
    pub skill_durations: Series<Histogram>,
    /// `{host, cuj, outcome}` → executions.
    pub cuj_executions: Series<u64>,
    /// `{host, cuj}` → durations.
    pub cuj_durations: Series<Histogram>,
    /// `{host, provider, outcome}` → calls (services excluded: they are not health).
    pub provider_calls: Series<u64>,
    /// `{host, provider}` → latencies.
    pub provider_latency: Series<Histogram>,
    /// `{host, provider, model, type}` → tokens (`type`: input, output, cache_read,
    /// cache_write).
    pub tokens: Series<u64>,
    /// `{host, provider, model}` → cost in USD, recorded or estimated from prices.
    pub cost_usd: Series<f64>,
    /// `{host, source}` → runs started.
    pub runs_started: Series<u64>,
    /// `{host, source, status}` → runs that reached a terminal status.
    pub runs_finished: Series<u64>,
    /// `{host, provider, model, type}` → tokens per call (`type`: input, output; model
    /// empty when the call named none): `gen_ai.client.token.usage`.
    pub token_usage: Series<Histogram>,
    /// `{host, provider, model, error_type}` → seconds per call (`error_type` empty on
    /// success, else the status code or `_OTHER`): `gen_ai.client.operation.duration`.
    pub operation_duration: Series<Histogram>,
    /// `{source}` → runs pending or running now.
    pub active_runs: Series<u64>,
    /// When the earliest record held was written: the start of every cumulative series.
    pub start: Option<Timestamp>,
}

#[derive(Deserialize)]
struct HostView<'a> {
    #[serde(default, borrow)]
    host: Option<Cow<'a, str>>,
}

fn host_of(bytes: &[u8]) -> String {
    parse_line::<HostView<'_>>(bytes)
        .and_then(|h| h.host)
        .filter(|h| !h.is_empty())
        .map_or_else(|| UNKNOWN.to_string(), Cow::into_owned)
}

fn add<V: std::ops::AddAssign + Default>(s: &mut Series<V>, key: Vec<String>, v: V) {
    *s.entry(key).or_default() += v;
}

fn merge_counts<V: std::ops::AddAssign + Default>(mut a: Series<V>, b: Series<V>) -> Series<V> {
    for (k, v) in b {
        add(&mut a, k, v);
    }
    a
}

fn merge_hists(mut a: Series<Histogram>, b: Series<Histogram>) -> Series<Histogram> {
    for (k, v) in b {
        a.entry(k)
            .or_insert_with(|| Histogram::new(v.bounds))
            .merge(&v);
    }
    a
}

fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Per-worker accumulator of one stream: counts, histograms, earliest time.
type Acc<C> = (Series<C>, Series<Histogram>, Option<Timestamp>);

fn merge_acc<C: std::ops::AddAssign + Default>(a: Acc<C>, b: Acc<C>) -> Acc<C> {
    (
        merge_counts(a.0, b.0),
        merge_hists(a.1, b.1),
        earliest(a.2, b.2),
    )
}

impl Fleet {
    /// Reads every record held under `roots`. Label values pass the redactor.
    pub fn collect(
        roots: &Roots,
        prices: &PriceTable,
        redactor: &Redactor,
        now: Timestamp,
    ) -> Result<(Fleet, Skipped)> {
        let mut skipped = Skipped::default();
        let mut fleet = Fleet::default();

        // Each sealed file's fold is kept as a rollup (`*.fleet.rollup`); several roots
        // are de-duplicated by id here, and then every file is read.
        let ids = Scan::new(Vec::new(), roots.needs_dedup());
        let scan = &ids;
        let ((counts, hists, t), s) = rollup::cached_fold(
            roots,
            Stream::SkillInvocations,
            "fleet",
            0,
            Acc::<u64>::default,
            |acc, line| {
                let v = SkillView::parse(line.bytes).ok_or(LineError::Malformed)?;
                if !scan.first_sighting(v.id.as_deref()) {
                    return Ok(());
                }
                let host = host_of(line.bytes);
                let skill = v.skill.to_string();
                add(
                    &mut acc.0,
                    vec![host.clone(), skill.clone(), v.result.as_str().to_string()],
                    1,
                );
                if let Some(d) = v.duration {
                    acc.1
                        .entry(vec![host, skill])
                        .or_default()
                        .observe(d / 1000.0);
                }
                acc.2 = earliest(acc.2, Some(v.timestamp));
                Ok(())
            },
            merge_acc,
        )?;
        skipped.merge(s);
        fleet.skill_invocations = counts;
        fleet.skill_durations = hists;
        fleet.start = t;

        let ((counts, hists, t), s) = rollup::cached_fold(
            roots,
            Stream::CujMetrics,
            "fleet",
            0,
            Acc::<u64>::default,
            |acc, line| {
                let v = JourneyView::parse(line.bytes).ok_or(LineError::Malformed)?;
                if !scan.first_sighting(v.id.as_deref()) {
                    return Ok(());
                }
                let host = host_of(line.bytes);
                let cuj = v.cuj_id.to_string();
                let outcome = if v.success { "success" } else { "failure" };
                add(
                    &mut acc.0,
                    vec![host.clone(), cuj.clone(), outcome.to_string()],
                    1,
                );
                acc.1
                    .entry(vec![host, cuj])
                    .or_default()
                    .observe(v.duration / 1000.0);
                acc.2 = earliest(acc.2, Some(v.timestamp));
                Ok(())
            },
            merge_acc,
        )?;
        skipped.merge(s);
        fleet.cuj_executions = counts;
        fleet.cuj_durations = hists;
        fleet.start = earliest(fleet.start, t);

        // Provider calls: health counters and latency (not services), usage of all.
        #[derive(Default, Serialize, Deserialize)]
        struct Calls {
            calls: Series<u64>,
            latency: Series<Histogram>,
            tokens: Series<u64>,
            cost: Series<crate::stats::ExactSum>,
            token_usage: Series<Histogram>,
            operation: Series<Histogram>,
            start: Option<Timestamp>,
        }
        // Costs depend on the price table: a rollup made under other prices is stale.
        let (calls, s) = rollup::cached_fold(
            roots,
            Stream::ProviderHealth,
            "fleet",
            rollup::digest(&format!("{prices:?}")),
            Calls::default,
            |acc, line| {
                let v = CallView::parse(line.bytes).ok_or(LineError::Malformed)?;
                if !scan.first_sighting(v.id.as_deref()) {
                    return Ok(());
                }
                let host = host_of(line.bytes);
                let provider = v.provider.to_string();
                if !v.is_service() {
                    let outcome = if v.success { "success" } else { "failure" };
                    add(
                        &mut acc.calls,
                        vec![host.clone(), provider.clone(), outcome.to_string()],
                        1,
                    );
                    // A call without a known latency counts in calls, not in latencies.
                    if let Some(ms) = v.latency {
                        acc.latency
                            .entry(vec![host.clone(), provider.clone()])
                            .or_default()
                            .observe(ms / 1000.0);
                    }
                    let error_type = match (v.success, v.status_code) {
                        (true, _) => String::new(),
                        (false, Some(code)) => code.to_string(),
                        (false, None) => "_OTHER".to_string(),
                    };
                    let model = v.model.as_deref().unwrap_or("").to_string();
                    if let Some(ms) = v.latency {
                        acc.operation
                            .entry(vec![
                                host.clone(),
                                provider.clone(),
                                model.clone(),
                                error_type,
                            ])
                            .or_insert_with(|| Histogram::new(&OPERATION_BUCKETS))
                            .observe(ms / 1000.0);
                    }
                    for (kind, n) in [("input", v.input_tokens), ("output", v.output_tokens)] {
                        if let Some(n) = n {
                            acc.token_usage
                                .entry(vec![
                                    host.clone(),
                                    provider.clone(),
                                    model.clone(),
                                    kind.into(),
                                ])
                                .or_insert_with(|| Histogram::new(&TOKEN_BUCKETS))
                                .observe(n as f64);
                        }
                    }
                }
                let model = v
                    .model
                    .as_deref()
                    .unwrap_or(crate::health::NO_MODEL)
                    .to_string();
                let tokens: Tokens = v.tokens();
                for (kind, n) in [
                    ("input", tokens.input),
                    ("output", tokens.output),
                    ("cache_read", tokens.cache_read),
                    ("cache_write", tokens.cache_write),
                ] {
                    if n > 0 {
                        add(
                            &mut acc.tokens,
                            vec![host.clone(), provider.clone(), model.clone(), kind.into()],
                            n,
                        );
                    }
                }
                match Cost::of(v.cost_usd, v.model.as_deref(), tokens, prices) {
                    Cost::Recorded(c) | Cost::Estimated(c) => {
                        acc.cost
                            .entry(vec![host, provider, model])
                            .or_default()
                            .add(c);
                    }
                    Cost::Unpriced | Cost::Nothing => {}
                }
                acc.start = earliest(acc.start, Some(v.timestamp));
                Ok(())
            },
            |a, b| Calls {
                calls: merge_counts(a.calls, b.calls),
                latency: merge_hists(a.latency, b.latency),
                tokens: merge_counts(a.tokens, b.tokens),
                cost: merge_counts(a.cost, b.cost),
                token_usage: merge_hists(a.token_usage, b.token_usage),
                operation: merge_hists(a.operation, b.operation),
                start: earliest(a.start, b.start),
            },
        )?;
        skipped.merge(s);
        fleet.provider_calls = calls.calls;
        fleet.provider_latency = calls.latency;
        fleet.tokens = calls.tokens;
        fleet.cost_usd = calls
            .cost
            .into_iter()
            .map(|(k, v)| (k, v.value()))
            .collect();
        fleet.token_usage = calls.token_usage;
        fleet.operation_duration = calls.operation;
        fleet.start = earliest(fleet.start, calls.start);

        // Runs: every run's events folded to its state; its host is its first event's.
        let (events, s) = crate::progress::all_events(roots, None, None, None)?;
        skipped.merge(s);
        let mut by_run: BTreeMap<&str, (Vec<&crate::record::ProgressEvent>, String)> =
            BTreeMap::new();
        for stored in &events {
            let e = &stored.event;
            let entry = by_run
                .entry(e.run_id.as_str())
                .or_insert_with(|| (Vec::new(), UNKNOWN.to_string()));
            if entry.0.is_empty()
                && let Some(h) = e.host.as_deref().filter(|h| !h.is_empty())
            {
                entry.1 = h.to_string();
            }
            entry.0.push(e);
            fleet.start = earliest(fleet.start, e.timestamp);
        }
        for (list, host) in by_run.into_values() {
            let Some(state) = RunState::fold(list.iter().copied(), now) else {
                continue;
            };
            let source = state
                .source
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| UNKNOWN.to_string());
            add(
                &mut fleet.runs_started,
                vec![host.clone(), source.clone()],
                1,
            );
            if state.status.is_terminal() {
                add(
                    &mut fleet.runs_finished,
                    vec![host, source.clone(), state.status.as_str().to_string()],
                    1,
                );
            } else {
                add(&mut fleet.active_runs, vec![source], 1);
            }
        }

        fleet.redact(redactor);
        Ok((fleet, skipped))
    }

    /// Passes every label value through the redactor (series whose values become equal
    /// are added together).
    fn redact(&mut self, r: &Redactor) {
        fn counts<V: std::ops::AddAssign + Default>(s: &mut Series<V>, r: &Redactor) {
            let old = std::mem::take(s);
            for (k, v) in old {
                add(
                    s,
                    k.iter().map(|x| r.redact_str(x).into_owned()).collect(),
                    v,
                );
            }
        }
        fn hists(s: &mut Series<Histogram>, r: &Redactor) {
            let old = std::mem::take(s);
            for (k, v) in old {
                s.entry(k.iter().map(|x| r.redact_str(x).into_owned()).collect())
                    .or_insert_with(|| Histogram::new(v.bounds))
                    .merge(&v);
            }
        }
        counts(&mut self.skill_invocations, r);
        counts(&mut self.cuj_executions, r);
        counts(&mut self.provider_calls, r);
        counts(&mut self.tokens, r);
        counts(&mut self.cost_usd, r);
        counts(&mut self.runs_started, r);
        counts(&mut self.runs_finished, r);
        counts(&mut self.active_runs, r);
        hists(&mut self.skill_durations, r);
        hists(&mut self.cuj_durations, r);
        hists(&mut self.provider_latency, r);
        hists(&mut self.token_usage, r);
        hists(&mut self.operation_duration, r);
    }

    /// Every host named in a series, sorted.
    pub fn hosts(&self) -> Vec<String> {
        let mut hosts: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let keys = self
            .skill_invocations
            .keys()
            .chain(self.cuj_executions.keys())
            .chain(self.provider_calls.keys())
            .chain(self.tokens.keys())
            .chain(self.cost_usd.keys())
            .chain(self.runs_started.keys());
        for k in keys {
            hosts.insert(k[0].clone());
        }
        hosts.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_upper_inclusive_and_cumulate() {
        let mut h = Histogram::default();
        for s in [0.005, 0.006, 1.0, 4000.0, -1.0, f64::NAN] {
            h.observe(s);
        }
        assert_eq!(h.count, 4);
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[1], 1);
        assert_eq!(h.counts[7], 1);
        assert_eq!(h.counts[BUCKETS.len()], 1);
        let mut t = Histogram::new(&TOKEN_BUCKETS);
        t.observe(1.0);
        t.observe(5.0);
        assert_eq!(t.cumulative()[..3], [1, 1, 2]);
        let c = h.cumulative();
        assert_eq!(c.len(), BUCKETS.len() + 1);
        assert_eq!(c[0], 1);
        assert_eq!(c[7], 3);
        assert_eq!(c[BUCKETS.len() - 1], 3);
        assert_eq!(c[BUCKETS.len()], 4);
        assert!((h.sum.value() - 4001.011).abs() < 1e-9);
        assert_eq!((h.min, h.max), (0.005, 4000.0));

        let mut m = Histogram::default();
        m.merge(&h);
        m.merge(&h);
        assert_eq!(m.count, 8);
        assert_eq!(m.cumulative()[7], 6);
    }
}
