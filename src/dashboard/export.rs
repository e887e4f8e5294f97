//! `cc-dashboard export`: the dashboard's figures as Prometheus text exposition (for
//! node_exporter's textfile collector) or as OTLP/JSON metrics.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::document::Dashboard;
use super::fleet::{BUCKETS, Fleet, Histogram, Series};
use crate::config::Config;
use crate::error::Result;
use crate::health::{Health, PriceTable};
use crate::record::Timestamp;
use crate::redact::Redactor;
use crate::store::{Roots, Skipped, Stream};

/// Lines stored in each stream, over every root: monotonic while the files are only
/// appended to (a prune resets them, as a process restart resets a counter).
pub fn stream_totals(roots: &Roots) -> Result<Vec<(Stream, u64)>> {
    let mut out = Vec::new();
    for stream in Stream::ALL {
        let mut n = 0u64;
        for f in roots.files(stream, None, None)? {
            if f.gz {
                let file = std::fs::File::open(&f.path).map_err(|source| crate::Error::Read {
                    path: f.path.clone(),
                    source,
                })?;
                let mut reader = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
                let mut buf = vec![0u8; 1 << 16];
                loop {
                    use std::io::Read;
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => n += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64,
                    }
                }
            } else if let Ok(bytes) = std::fs::read(&f.path) {
                n += memchr::memchr_iter(b'\n', &bytes).count() as u64;
            }
        }
        out.push((stream, n));
    }
    Ok(out)
}

/// A label value escaped for the text format (`\`, `"` and newlines).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Prometheus text exposition, one family at a time.
struct Prom {
    out: String,
}

impl Prom {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let _ = write!(self.out, "{name}");
        if !labels.is_empty() {
            let parts: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            let _ = write!(self.out, "{{{}}}", parts.join(","));
        }
        let _ = writeln!(self.out, " {}", number(value));
    }
}

fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

/// A sample value: counts and sums.
trait AsSample {
    fn to_sample(self) -> f64;
}
impl AsSample for u64 {
    fn to_sample(self) -> f64 {
        self as f64
    }
}
impl AsSample for f64 {
    fn to_sample(self) -> f64 {
        self
    }
}

const WINDOWS: [&str; 4] = ["1h", "24h", "7d", "30d"];

/// A counter family: `{name}_total` samples, one per series, each with a `host` label.
fn counters<V: Copy + AsSample>(
    p: &mut Prom,
    name: &str,
    help: &str,
    labels: &[&str],
    series: &Series<V>,
) {
    p.family(name, "counter", help);
    for (key, v) in series {
        let pairs: Vec<(&str, &str)> = labels
            .iter()
            .copied()
            .zip(key.iter().map(String::as_str))
            .collect();
        p.sample(name, &pairs, v.to_sample());
    }
}

/// A histogram family: cumulative `_bucket{le}` samples, `_sum` and `_count`.
fn histograms(p: &mut Prom, name: &str, help: &str, labels: &[&str], series: &Series<Histogram>) {
    p.family(name, "histogram", help);
    let bucket = format!("{name}_bucket");
    for (key, h) in series {
        let mut pairs: Vec<(&str, &str)> = labels
            .iter()
            .copied()
            .zip(key.iter().map(String::as_str))
            .collect();
        let cumulative = h.cumulative();
        let bounds: Vec<String> = BUCKETS
            .iter()
            .map(|b| number(*b))
            .chain(std::iter::once("+Inf".to_string()))
            .collect();
        for (le, n) in bounds.iter().zip(cumulative.iter()) {
            pairs.push(("le", le));
            p.sample(&bucket, &pairs, *n as f64);
            pairs.pop();
        }
        p.sample(&format!("{name}_sum"), &pairs, h.sum);
        p.sample(&format!("{name}_count"), &pairs, h.count as f64);
    }
}

/// The Prometheus text exposition (SPEC §12): counters and histograms over every
/// record held, labelled by host, and gauges for what is current by nature (active
/// runs, each provider's status, unread notifications). The same text serves
/// `export --format prometheus` and a server's `/metrics`; see [`prometheus_text`] for
/// the one call that reads a root and renders it.
pub fn prometheus(fleet: &Fleet, d: &Dashboard) -> String {
    let mut p = Prom { out: String::new() };
    counters(
        &mut p,
        "ccmon_skill_invocations_total",
        "Skill invocations recorded, by result.",
        &["host", "skill", "result"],
        &fleet.skill_invocations,
    );
    histograms(
        &mut p,
        "ccmon_skill_duration_seconds",
        "Skill invocation durations.",
        &["host", "skill"],
        &fleet.skill_durations,
    );
    counters(
        &mut p,
        "ccmon_cuj_executions_total",
        "Journey executions recorded, by outcome.",
        &["host", "cuj", "outcome"],
        &fleet.cuj_executions,
    );
    histograms(
        &mut p,
        "ccmon_cuj_duration_seconds",
        "Journey execution durations.",
        &["host", "cuj"],
        &fleet.cuj_durations,
    );
    counters(
        &mut p,
        "ccmon_provider_calls_total",
        "Provider calls recorded, by outcome (services excluded).",
        &["host", "provider", "outcome"],
        &fleet.provider_calls,
    );
    histograms(
        &mut p,
        "ccmon_provider_latency_seconds",
        "Provider call latencies (services excluded).",
        &["host", "provider"],
        &fleet.provider_latency,
    );
    counters(
        &mut p,
        "ccmon_tokens_total",
        "Tokens used, by provider, model and type (input, output, cache_read, cache_write).",
        &["host", "provider", "model", "type"],
        &fleet.tokens,
    );
    counters(
        &mut p,
        "ccmon_cost_usd_total",
        "Cost in USD, as recorded or estimated from the model's price.",
        &["host", "provider", "model"],
        &fleet.cost_usd,
    );
    counters(
        &mut p,
        "ccmon_runs_started_total",
        "Runs started.",
        &["host", "source"],
        &fleet.runs_started,
    );
    counters(
        &mut p,
        "ccmon_runs_finished_total",
        "Runs that reached a terminal status (completed, failed, cancelled).",
        &["host", "source", "status"],
        &fleet.runs_finished,
    );

    p.family("ccmon_active_runs", "gauge", "Runs pending or running now.");
    for (key, n) in &fleet.active_runs {
        p.sample("ccmon_active_runs", &[("source", &key[0])], *n as f64);
    }
    p.family(
        "ccmon_provider_status",
        "gauge",
        "Each provider's current status: 1 for the current one, 0 for the others.",
    );
    for r in &d.providers.statuses {
        for h in [
            Health::Healthy,
            Health::Degraded,
            Health::Down,
            Health::Unknown,
        ] {
            let v = if r.status == h { 1.0 } else { 0.0 };
            p.sample(
                "ccmon_provider_status",
                &[("provider", &r.provider), ("status", h.as_str())],
                v,
            );
        }
    }
    p.family(
        "ccmon_notifications_unread",
        "gauge",
        "Unread notifications.",
    );
    p.sample(
        "ccmon_notifications_unread",
        &[],
        d.notifications.unread as f64,
    );
    p.out
}

/// Reads `roots` and renders [`prometheus`]: the one call behind both
/// `cc-dashboard export --format prometheus` and a server's `/metrics`. The skipped
/// lines are returned for the caller's single warning.
pub fn prometheus_text(
    roots: &Roots,
    config: &Config,
    now: Timestamp,
) -> Result<(String, Skipped)> {
    let (d, mut skipped) = super::generate(roots, config, now, true)?;
    let (fleet, s) = Fleet::collect(
        roots,
        &PriceTable::new(&config.pricing),
        &Redactor::from_config(&config.redact)?,
        now,
    )?;
    skipped.merge(s);
    Ok((prometheus(&fleet, &d), skipped))
}

fn attrs(pairs: &[(&str, Value)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Value::String(s) => json!({"stringValue": s}),
                    Value::Bool(b) => json!({"boolValue": b}),
                    Value::Number(n) if n.is_i64() || n.is_u64() => {
                        json!({"intValue": n.to_string()})
                    }
                    other => json!({"doubleValue": other.as_f64().unwrap_or(0.0)}),
                };
                json!({"key": k, "value": value})
            })
            .collect(),
    )
}

fn nanos(t: Timestamp) -> String {
    (i128::from(t.0) * 1_000_000).to_string()
}

fn gauge(name: &str, unit: &str, description: &str, points: Vec<Value>) -> Value {
    json!({"name": name, "unit": unit, "description": description, "gauge": {"dataPoints": points}})
}

fn point(attributes: &[(&str, Value)], t: &str, value: f64) -> Value {
    json!({"attributes": attrs(attributes), "timeUnixNano": t, "asDouble": value})
}

/// OTLP/JSON metrics (`ExportMetricsServiceRequest`): one resource, one scope; gauges
/// for windowed figures, cumulative sums for stream totals and tokens, and a histogram
/// of journey durations over the last 24h. Provider and model figures carry the
/// OpenTelemetry GenAI attribute names.
pub fn otlp(
    d: &Dashboard,
    totals: &[(Stream, u64)],
    host: &str,
    durations: &[(String, Vec<f64>)],
) -> Value {
    let now = nanos(d.generated_at);
    let start = nanos(Timestamp(d.generated_at.0 - d.period_days * 86_400_000));
    let mut metrics = Vec::new();

    metrics.push(json!({
        "name": "ccmon.records", "unit": "{record}", "description": "Records stored per stream.",
        "sum": {"aggregationTemporality": 2, "isMonotonic": true, "dataPoints": totals.iter().map(|(s, n)| json!({
            "attributes": attrs(&[("ccmon.stream", json!(s.stem()))]),
            "timeUnixNano": now, "asInt": n.to_string()})).collect::<Vec<_>>()}
    }));

    let mut runs = Vec::new();
    let mut rates = Vec::new();
    for r in &d.cujs {
        for (w, (_, f)) in WINDOWS.iter().zip(r.windows.iter()) {
            let a = [
                ("ccmon.cuj.id", json!(r.cuj_id)),
                ("ccmon.window", json!(w)),
            ];
            runs.push(point(&a, &now, f.total as f64));
            if let Some(rate) = f.success_rate {
                rates.push(point(&a, &now, rate));
            }
        }
    }
    metrics.push(gauge(
        "ccmon.cuj.executions",
        "{execution}",
        "Journey executions in the window.",
        runs,
    ));
    metrics.push(gauge(
        "ccmon.cuj.success_ratio",
        "1",
        "Share of journey executions that succeeded.",
        rates,
    ));

    // Journey durations over the last 24h as explicit-bucket histograms, in seconds.
    let bounds = [0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0];
    let hist_points: Vec<Value> = durations
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(cuj, values)| {
            let mut counts = vec![0u64; bounds.len() + 1];
            for v in values {
                let s = v / 1000.0;
                let i = bounds.iter().position(|b| s <= *b).unwrap_or(bounds.len());
                counts[i] += 1;
            }
            let secs: Vec<f64> = values.iter().map(|v| v / 1000.0).collect();
            json!({
                "attributes": attrs(&[("ccmon.cuj.id", json!(cuj))]),
                "startTimeUnixNano": nanos(Timestamp(d.generated_at.0 - 86_400_000)),
                "timeUnixNano": now,
                "count": values.len().to_string(),
                "sum": secs.iter().sum::<f64>(),
                "min": secs.iter().copied().fold(f64::INFINITY, f64::min),
                "max": secs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "bucketCounts": counts.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                "explicitBounds": bounds,
            })
        })
        .collect();
    metrics.push(json!({
        "name": "ccmon.cuj.duration", "unit": "s", "description": "Journey durations over the last 24h.",
        "histogram": {"aggregationTemporality": 2, "dataPoints": hist_points}
    }));

    let statuses = &d.providers.statuses;
    metrics.push(gauge(
        "ccmon.provider.up",
        "1",
        "1 when the provider is healthy or degraded, 0 when down or unknown.",
        statuses
            .iter()
            .map(|r| {
                let up = matches!(r.status, Health::Healthy | Health::Degraded);
                point(
                    &[
                        ("gen_ai.provider.name", json!(r.provider)),
                        ("ccmon.provider.status", json!(r.status.as_str())),
                    ],
                    &now,
                    if up { 1.0 } else { 0.0 },
                )
            })
            .collect(),
    ));
    metrics.push(gauge(
        "ccmon.provider.availability",
        "1",
        "Share of the provider's calls that succeeded in the health window.",
        statuses
            .iter()
            .filter_map(|r| {
                r.availability
                    .map(|a| point(&[("gen_ai.provider.name", json!(r.provider))], &now, a))
            })
            .collect(),
    ));
    metrics.push(gauge(
        "ccmon.provider.latency.p95",
        "s",
        "95th percentile latency in the health window.",
        statuses
            .iter()
            .filter_map(|r| {
                r.p95.map(|p| {
                    point(
                        &[("gen_ai.provider.name", json!(r.provider))],
                        &now,
                        p / 1000.0,
                    )
                })
            })
            .collect(),
    ));

    // GenAI token usage: a cumulative sum per model and token type over the period.
    let mut token_points = Vec::new();
    let mut cost_points = Vec::new();
    for m in &d.usage.by_model {
        let model = m.key.clone().unwrap_or_default();
        for (kind, n) in [
            ("input", m.input_tokens),
            ("output", m.output_tokens),
            ("cache_read", m.cache_read_tokens),
            ("cache_write", m.cache_write_tokens),
        ] {
            token_points.push(json!({
                "attributes": attrs(&[("gen_ai.request.model", json!(model)), ("gen_ai.token.type", json!(kind))]),
                "startTimeUnixNano": start, "timeUnixNano": now, "asInt": n.to_string()}));
        }
        if let Some(c) = m.cost_usd {
            cost_points.push(point(
                &[
                    ("gen_ai.request.model", json!(model)),
                    ("gen_ai.usage.input_tokens", json!(m.input_tokens)),
                    ("gen_ai.usage.output_tokens", json!(m.output_tokens)),
                    ("ccmon.cost.estimated", json!(m.estimated)),
                ],
                &now,
                c,
            ));
        }
    }
    metrics.push(json!({
        "name": "gen_ai.client.token.usage", "unit": "{token}",
        "description": "Tokens used over the dashboard period, by model and token type.",
        "sum": {"aggregationTemporality": 2, "isMonotonic": true, "dataPoints": token_points}
    }));
    metrics.push(gauge(
        "ccmon.cost",
        "USD",
        "Known cost over the dashboard period, by model.",
        cost_points,
    ));

    let c = &d.counters;
    metrics.push(gauge(
        "ccmon.runs",
        "{run}",
        "Runs with events over the dashboard period, by status.",
        [
            ("active", c.active_runs),
            ("completed", c.completed_runs),
            ("failed", c.failed_runs),
            ("cancelled", c.cancelled_runs),
        ]
        .iter()
        .map(|(s, n)| point(&[("ccmon.run.status", json!(s))], &now, *n as f64))
        .collect(),
    ));

    json!({"resourceMetrics": [{
        "resource": {"attributes": attrs(&[("service.name", json!("ccmon")), ("host.name", json!(host))])},
        "scopeMetrics": [{
            "scope": {"name": "ccmon", "version": env!("CARGO_PKG_VERSION")},
            "metrics": metrics
        }]
    }]})
}

/// Each journey's durations (ms) over the 24h ending at `now`, by journey id.
pub fn cuj_durations(roots: &Roots, now: Timestamp) -> Result<Vec<(String, Vec<f64>)>> {
    let (map, _) = crate::metrics::fold(
        roots,
        Timestamp(now.0 - 86_400_000),
        now,
        std::collections::BTreeMap::<String, Vec<f64>>::new,
        |m, v| m.entry(v.cuj_id.to_string()).or_default().push(v.duration),
        |mut a, b| {
            for (k, mut v) in b {
                a.entry(k).or_default().append(&mut v);
            }
            a
        },
    )?;
    Ok(map.into_iter().collect())
}
