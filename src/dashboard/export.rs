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
use crate::store::{Roots, Skipped};

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
trait ToSample {
    fn to_sample(self) -> f64;
}
impl ToSample for u64 {
    fn to_sample(self) -> f64 {
        self as f64
    }
}
impl ToSample for f64 {
    fn to_sample(self) -> f64 {
        self
    }
}

/// A counter family: `{name}_total` samples, one per series, each with a `host` label.
fn counters<V: Copy + ToSample>(
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
        p.sample(&format!("{name}_sum"), &pairs, h.sum.value());
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

/// Attributes from label names and values; empty values are left out (an absent
/// model, a success's error type).
fn labelled(names: &[&str], values: &[String]) -> Vec<(String, Value)> {
    names
        .iter()
        .zip(values.iter())
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| ((*k).to_string(), json!(v)))
        .collect()
}

fn attr_list(pairs: &[(String, Value)]) -> Value {
    let refs: Vec<(&str, Value)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    attrs(&refs)
}

/// Times of every cumulative point: the earliest record held (stable from one export
/// to the next) and now.
struct Times {
    start: String,
    now: String,
}

/// A cumulative monotonic sum over the series of one host; `None` when it has none.
fn sum_metric<V: Copy + ToSample>(
    t: &Times,
    (name, unit, description): (&str, &str, &str),
    names: &[&str],
    series: &Series<V>,
    host: &str,
    extra: &[(&str, &str)],
    integer: bool,
) -> Option<Value> {
    let points: Vec<Value> = series
        .iter()
        .filter(|(k, _)| k[0] == host)
        .map(|(k, v)| {
            let mut a = labelled(names, &k[1..]);
            a.extend(extra.iter().map(|(k, v)| ((*k).to_string(), json!(v))));
            let mut p = json!({
                "attributes": attr_list(&a),
                "startTimeUnixNano": t.start,
                "timeUnixNano": t.now,
            });
            if integer {
                p["asInt"] = json!((v.to_sample() as u64).to_string());
            } else {
                p["asDouble"] = json!(v.to_sample());
            }
            p
        })
        .collect();
    (!points.is_empty()).then(|| {
        json!({"name": name, "unit": unit, "description": description,
               "sum": {"aggregationTemporality": 2, "isMonotonic": true, "dataPoints": points}})
    })
}

/// A cumulative explicit-bucket histogram over the series of one host.
fn histogram_metric(
    t: &Times,
    (name, unit, description): (&str, &str, &str),
    names: &[&str],
    series: &Series<Histogram>,
    host: &str,
    extra: &[(&str, &str)],
) -> Option<Value> {
    let points: Vec<Value> = series
        .iter()
        .filter(|(k, h)| k[0] == host && h.count > 0)
        .map(|(k, h)| {
            let mut a: Vec<(String, Value)> = extra
                .iter()
                .map(|(k, v)| ((*k).to_string(), json!(v)))
                .collect();
            a.extend(labelled(names, &k[1..]));
            json!({
                "attributes": attr_list(&a),
                "startTimeUnixNano": t.start,
                "timeUnixNano": t.now,
                "count": h.count.to_string(),
                "sum": h.sum.value(),
                "min": h.min,
                "max": h.max,
                "bucketCounts": h.counts.iter().map(u64::to_string).collect::<Vec<_>>(),
                "explicitBounds": h.bounds,
            })
        })
        .collect();
    (!points.is_empty()).then(|| {
        json!({"name": name, "unit": unit, "description": description,
               "histogram": {"aggregationTemporality": 2, "dataPoints": points}})
    })
}

fn gauge(name: &str, unit: &str, description: &str, points: Vec<Value>) -> Option<Value> {
    (!points.is_empty()).then(|| {
        json!({"name": name, "unit": unit, "description": description, "gauge": {"dataPoints": points}})
    })
}

/// OTLP/JSON metrics (an `ExportMetricsServiceRequest`, SPEC §12): one resource per
/// host that wrote records (`host.name`), each with cumulative sums and explicit-bucket
/// histograms over every record held, starting at the earliest record (stable from one
/// export to the next). GenAI semantic conventions: `gen_ai.client.token.usage`
/// (tokens per call, `{token}`) and `gen_ai.client.operation.duration` (seconds per
/// call) with `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`,
/// `gen_ai.token.type` and, for failures, `error.type` (a status code or `_OTHER`).
/// Attribute values are names from bounded sets, never messages or ids. The gauges
/// (active runs, provider status, unread notifications) belong to `local_host`.
pub fn otlp(fleet: &Fleet, d: &Dashboard, local_host: &str, now: Timestamp) -> Value {
    let t = Times {
        start: nanos(fleet.start.unwrap_or(now).min(now)),
        now: nanos(now),
    };
    let mut hosts = fleet.hosts();
    if !hosts.iter().any(|h| h == local_host) {
        hosts.push(local_host.to_string());
    }
    let chat = [("gen_ai.operation.name", "chat")];
    let resources: Vec<Value> = hosts
        .iter()
        .map(|host| {
            let mut metrics: Vec<Option<Value>> = vec![
                histogram_metric(
                    &t,
                    ("gen_ai.client.token.usage", "{token}", "Tokens used per provider call, by token type."),
                    &["gen_ai.provider.name", "gen_ai.request.model", "gen_ai.token.type"],
                    &fleet.token_usage,
                    host,
                    &chat,
                ),
                histogram_metric(
                    &t,
                    ("gen_ai.client.operation.duration", "s", "Provider call durations (services excluded)."),
                    &["gen_ai.provider.name", "gen_ai.request.model", "error.type"],
                    &fleet.operation_duration,
                    host,
                    &chat,
                ),
                sum_metric(
                    &t,
                    ("ccmon.skill.invocations", "{invocation}", "Skill invocations recorded, by result."),
                    &["ccmon.skill.name", "ccmon.skill.result"],
                    &fleet.skill_invocations,
                    host,
                    &[],
                    true,
                ),
                histogram_metric(
                    &t,
                    ("ccmon.skill.duration", "s", "Skill invocation durations."),
                    &["ccmon.skill.name"],
                    &fleet.skill_durations,
                    host,
                    &[],
                ),
                sum_metric(
                    &t,
                    ("ccmon.cuj.executions", "{execution}", "Journey executions recorded, by outcome."),
                    &["ccmon.cuj.id", "ccmon.outcome"],
                    &fleet.cuj_executions,
                    host,
                    &[],
                    true,
                ),
                histogram_metric(
                    &t,
                    ("ccmon.cuj.duration", "s", "Journey execution durations."),
                    &["ccmon.cuj.id"],
                    &fleet.cuj_durations,
                    host,
                    &[],
                ),
                sum_metric(
                    &t,
                    ("ccmon.provider.calls", "{call}", "Provider calls recorded, by outcome (services excluded)."),
                    &["gen_ai.provider.name", "ccmon.outcome"],
                    &fleet.provider_calls,
                    host,
                    &[],
                    true,
                ),
                sum_metric(
                    &t,
                    ("ccmon.tokens", "{token}", "Tokens used, by type (input, output, cache_read, cache_write)."),
                    &["gen_ai.provider.name", "gen_ai.request.model", "ccmon.token.type"],
                    &fleet.tokens,
                    host,
                    &[],
                    true,
                ),
                sum_metric(
                    &t,
                    ("ccmon.cost", "USD", "Cost, as recorded or estimated from the model's price."),
                    &["gen_ai.provider.name", "gen_ai.request.model"],
                    &fleet.cost_usd,
                    host,
                    &[],
                    false,
                ),
                sum_metric(
                    &t,
                    ("ccmon.runs.started", "{run}", "Runs started."),
                    &["ccmon.run.source"],
                    &fleet.runs_started,
                    host,
                    &[],
                    true,
                ),
                sum_metric(
                    &t,
                    ("ccmon.runs.finished", "{run}", "Runs that reached a terminal status."),
                    &["ccmon.run.source", "ccmon.run.status"],
                    &fleet.runs_finished,
                    host,
                    &[],
                    true,
                ),
            ];
            if host == local_host {
                let point = |a: Vec<(String, Value)>, v: Value| {
                    json!({"attributes": attr_list(&a), "timeUnixNano": t.now, "asInt": v})
                };
                metrics.push(gauge(
                    "ccmon.runs.active",
                    "{run}",
                    "Runs pending or running now.",
                    fleet
                        .active_runs
                        .iter()
                        .map(|(k, n)| {
                            point(labelled(&["ccmon.run.source"], k), json!(n.to_string()))
                        })
                        .collect(),
                ));
                let mut statuses = Vec::new();
                for r in &d.providers.statuses {
                    for h in [
                        Health::Healthy,
                        Health::Degraded,
                        Health::Down,
                        Health::Unknown,
                    ] {
                        let a = vec![
                            ("gen_ai.provider.name".to_string(), json!(r.provider)),
                            ("ccmon.provider.status".to_string(), json!(h.as_str())),
                        ];
                        statuses.push(point(a, json!(u8::from(r.status == h).to_string())));
                    }
                }
                metrics.push(gauge(
                    "ccmon.provider.status",
                    "1",
                    "Each provider's current status: 1 for the current one.",
                    statuses,
                ));
                metrics.push(gauge(
                    "ccmon.notifications.unread",
                    "{notification}",
                    "Unread notifications.",
                    vec![point(
                        Vec::new(),
                        json!(d.notifications.unread.to_string()),
                    )],
                ));
            }
            json!({
                "resource": {"attributes": attrs(&[("service.name", json!("ccmon")), ("host.name", json!(host))])},
                "scopeMetrics": [{
                    "scope": {"name": "ccmon", "version": env!("CARGO_PKG_VERSION")},
                    "metrics": metrics.into_iter().flatten().collect::<Vec<_>>()
                }]
            })
        })
        .collect();
    json!({ "resourceMetrics": resources })
}

/// Reads `roots` and renders [`otlp`]; the skipped lines are returned for the caller's
/// single warning.
pub fn otlp_json(
    roots: &Roots,
    config: &Config,
    now: Timestamp,
    local_host: &str,
) -> Result<(Value, Skipped)> {
    let (d, mut skipped) = super::generate(roots, config, now, true)?;
    let redactor = Redactor::from_config(&config.redact)?;
    let (fleet, s) = Fleet::collect(roots, &PriceTable::new(&config.pricing), &redactor, now)?;
    skipped.merge(s);
    let host = redactor.redact_str(local_host);
    Ok((otlp(&fleet, &d, &host, now), skipped))
}

/// POSTs an OTLP/JSON export to an OTLP/HTTP receiver (`.../v1/metrics`). A refusal
/// is an error carrying the receiver's own text.
/// The receiver's text passes `redactor` before it is shown.
pub fn send_otlp(endpoint: &str, body: &[u8], redactor: &Redactor) -> Result<()> {
    let to = super::http::display_url(endpoint);
    let answer = super::http::post(
        endpoint,
        &[("Content-Type", "application/json")],
        body,
        std::time::Duration::from_secs(30),
    )
    .map_err(|e| crate::Error::Remote {
        to: to.clone(),
        message: redactor.redact_str(&e.0).into_owned(),
    })?;
    if (200..300).contains(&answer.status) {
        Ok(())
    } else {
        Err(crate::Error::Remote {
            to,
            message: format!(
                "HTTP {}: {}",
                answer.status,
                redactor.redact_str(answer.text.trim())
            ),
        })
    }
}
