//! `cc-dashboard export`: the dashboard's figures as Prometheus text exposition (for
//! node_exporter's textfile collector) or as OTLP/JSON metrics.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::document::Dashboard;
use crate::error::Result;
use crate::health::Health;
use crate::store::{Roots, Stream};
use crate::time::Timestamp;

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

const WINDOWS: [&str; 4] = ["1h", "24h", "7d", "30d"];

/// The Prometheus text exposition of a dashboard and the streams' line totals.
pub fn prometheus(d: &Dashboard, totals: &[(Stream, u64)]) -> String {
    let mut p = Prom { out: String::new() };

    p.family(
        "ccmon_records_total",
        "counter",
        "Records stored per stream (lines in its daily files).",
    );
    for (stream, n) in totals {
        p.sample(
            "ccmon_records_total",
            &[("stream", stream.stem())],
            *n as f64,
        );
    }

    p.family(
        "ccmon_cuj_executions",
        "gauge",
        "Journey executions in the window.",
    );
    for r in &d.cujs {
        for (w, f) in WINDOWS.iter().zip(r.windows.iter()) {
            p.sample(
                "ccmon_cuj_executions",
                &[("cuj", &r.cuj_id), ("window", w)],
                f.1.total as f64,
            );
        }
    }
    p.family(
        "ccmon_cuj_success_ratio",
        "gauge",
        "Share of the window's journey executions that succeeded (0-1).",
    );
    for r in &d.cujs {
        for (w, f) in WINDOWS.iter().zip(r.windows.iter()) {
            if let Some(rate) = f.1.success_rate {
                p.sample(
                    "ccmon_cuj_success_ratio",
                    &[("cuj", &r.cuj_id), ("window", w)],
                    rate,
                );
            }
        }
    }
    p.family(
        "ccmon_cuj_duration_seconds",
        "gauge",
        "Journey duration quantiles over the last 24h.",
    );
    for r in &d.cujs {
        let day = &r.windows.day;
        for (q, v) in [("0.5", day.p50), ("0.95", day.p95), ("0.99", day.p99)] {
            if let Some(v) = v {
                p.sample(
                    "ccmon_cuj_duration_seconds",
                    &[("cuj", &r.cuj_id), ("quantile", q)],
                    v / 1000.0,
                );
            }
        }
    }

    p.family(
        "ccmon_skill_invocations",
        "gauge",
        "Skill invocations over the dashboard period (top 10 skills).",
    );
    for s in &d.skills {
        p.sample(
            "ccmon_skill_invocations",
            &[("skill", s.key.as_deref().unwrap_or(""))],
            s.count as f64,
        );
    }
    p.family(
        "ccmon_skill_success_ratio",
        "gauge",
        "Share of a skill's invocations that succeeded (0-1).",
    );
    for s in &d.skills {
        if let Some(r) = s.success_rate {
            p.sample(
                "ccmon_skill_success_ratio",
                &[("skill", s.key.as_deref().unwrap_or(""))],
                r,
            );
        }
    }
    p.family(
        "ccmon_skill_cache_hit_ratio",
        "gauge",
        "Share of a skill's invocations served from cache (0-1).",
    );
    for s in &d.skills {
        if let Some(r) = s.cache_hit_rate {
            p.sample(
                "ccmon_skill_cache_hit_ratio",
                &[("skill", s.key.as_deref().unwrap_or(""))],
                r,
            );
        }
    }
    p.family(
        "ccmon_skill_duration_seconds",
        "gauge",
        "Skill duration quantiles over the dashboard period.",
    );
    for s in &d.skills {
        for (q, v) in [("0.5", s.p50), ("0.95", s.p95), ("0.99", s.p99)] {
            if let Some(v) = v {
                p.sample(
                    "ccmon_skill_duration_seconds",
                    &[("skill", s.key.as_deref().unwrap_or("")), ("quantile", q)],
                    v / 1000.0,
                );
            }
        }
    }

    let statuses = &d.providers.statuses;
    p.family(
        "ccmon_provider_up",
        "gauge",
        "1 when the provider is healthy or degraded, 0 when down or unknown.",
    );
    for r in statuses {
        let up = matches!(r.status, Health::Healthy | Health::Degraded);
        p.sample(
            "ccmon_provider_up",
            &[("provider", &r.provider)],
            if up { 1.0 } else { 0.0 },
        );
    }
    p.family(
        "ccmon_provider_status",
        "gauge",
        "The provider's status: 1 for the current one, 0 for the others.",
    );
    for r in statuses {
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
        "ccmon_provider_availability_ratio",
        "gauge",
        "Share of the provider's calls that succeeded in the health window (0-1).",
    );
    for r in statuses {
        if let Some(a) = r.availability {
            p.sample(
                "ccmon_provider_availability_ratio",
                &[("provider", &r.provider)],
                a,
            );
        }
    }
    p.family(
        "ccmon_provider_calls",
        "gauge",
        "Provider calls in the health window.",
    );
    for r in statuses {
        p.sample(
            "ccmon_provider_calls",
            &[("provider", &r.provider)],
            r.calls as f64,
        );
    }
    p.family(
        "ccmon_provider_latency_seconds",
        "gauge",
        "Provider latency quantiles in the health window.",
    );
    for r in statuses {
        for (q, v) in [("0.5", r.p50), ("0.95", r.p95), ("0.99", r.p99)] {
            if let Some(v) = v {
                p.sample(
                    "ccmon_provider_latency_seconds",
                    &[("provider", &r.provider), ("quantile", q)],
                    v / 1000.0,
                );
            }
        }
    }

    p.family(
        "ccmon_tokens",
        "gauge",
        "Tokens used over the dashboard period, by model and kind.",
    );
    for m in &d.usage.by_model {
        let model = m.key.as_deref().unwrap_or("");
        for (kind, n) in [
            ("input", m.input_tokens),
            ("output", m.output_tokens),
            ("cache_read", m.cache_read_tokens),
            ("cache_write", m.cache_write_tokens),
        ] {
            p.sample(
                "ccmon_tokens",
                &[("model", model), ("kind", kind)],
                n as f64,
            );
        }
    }
    p.family("ccmon_cost_usd", "gauge", "Known cost over the dashboard period in USD, by model (estimated=\"true\" when computed from prices).");
    for m in &d.usage.by_model {
        if let Some(c) = m.cost_usd {
            let est = if m.estimated { "true" } else { "false" };
            p.sample(
                "ccmon_cost_usd",
                &[
                    ("model", m.key.as_deref().unwrap_or("")),
                    ("estimated", est),
                ],
                c,
            );
        }
    }
    p.family(
        "ccmon_unpriced_models",
        "gauge",
        "Models whose tokens have no known price over the dashboard period.",
    );
    p.sample(
        "ccmon_unpriced_models",
        &[],
        d.usage.month.unpriced_models.len() as f64,
    );

    p.family(
        "ccmon_runs",
        "gauge",
        "Runs with events over the dashboard period, by status.",
    );
    let c = &d.counters;
    for (status, n) in [
        ("active", c.active_runs),
        ("completed", c.completed_runs),
        ("failed", c.failed_runs),
        ("cancelled", c.cancelled_runs),
    ] {
        p.sample("ccmon_runs", &[("status", status)], n as f64);
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
    p.family(
        "ccmon_dashboard_generation_seconds",
        "gauge",
        "Time taken to compute these figures.",
    );
    p.sample(
        "ccmon_dashboard_generation_seconds",
        &[],
        d.resources.generation_ms / 1000.0,
    );
    p.family(
        "ccmon_dashboard_generated_timestamp_seconds",
        "gauge",
        "When these figures were computed (Unix time).",
    );
    p.sample(
        "ccmon_dashboard_generated_timestamp_seconds",
        &[],
        d.generated_at.0 as f64 / 1000.0,
    );
    p.out
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
    let start = nanos(Timestamp(
        d.generated_at.0 - d.period_days * crate::time::DAY_MS,
    ));
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
                "startTimeUnixNano": nanos(Timestamp(d.generated_at.0 - crate::time::DAY_MS)),
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
        Timestamp(now.0 - crate::time::DAY_MS),
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
