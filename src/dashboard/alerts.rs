//! `cc-dashboard alerts`: rules (`metric` of `target` over `window` compared with a
//! `threshold`) evaluated over the streams, and `alert_fired` / `alert_resolved`
//! notifications, once per transition.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{AlertRule, Config};
use crate::error::{Error, Result};
use crate::health::{self, PriceTable, Thresholds, UsageBy};
use crate::log::{self, Filter, GroupBy};
use crate::metrics;
use crate::record::{Notification, NotificationType, Timestamp};
use crate::store::{Roots, Skipped, Stream, StreamLock};
use crate::timespec;
use crate::writer::Writer;

/// What a rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// A journey's success rate (0–1).
    CujSuccessRate,
    /// A journey's p95 duration (ms).
    CujP95,
    /// A skill's success rate (0–1).
    SkillSuccessRate,
    /// A provider's availability (0–1).
    ProviderAvailability,
    /// A provider's p95 latency (ms).
    ProviderP95,
    /// Known cost per day over the window (USD), of all providers or one.
    CostDaily,
}

const METRICS: [(&str, Metric); 6] = [
    ("cuj.successRate", Metric::CujSuccessRate),
    ("cuj.p95", Metric::CujP95),
    ("skill.successRate", Metric::SkillSuccessRate),
    ("provider.availability", Metric::ProviderAvailability),
    ("provider.p95", Metric::ProviderP95),
    ("cost.daily", Metric::CostDaily),
];

const OPS: [&str; 6] = ["<", "<=", ">", ">=", "==", "!="];

/// A rule, checked.
#[derive(Debug, Clone)]
pub struct Rule {
    /// As written.
    pub rule: AlertRule,
    metric: Metric,
    window_ms: i64,
}

/// Checks rules; the error names the rule and what is wrong with it.
pub fn check_rules(rules: &[AlertRule]) -> Result<Vec<Rule>> {
    let mut seen = std::collections::HashSet::new();
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let name = if r.name.trim().is_empty() {
                format!("#{}", i + 1)
            } else {
                format!("{:?}", r.name)
            };
            let bad = |msg: String| Error::invalid(format!("alert rule {name}"), msg);
            if r.name.trim().is_empty() {
                return Err(bad("has no name".into()));
            }
            if !seen.insert(r.name.clone()) {
                return Err(bad("is defined twice".into()));
            }
            let metric = METRICS
                .iter()
                .find(|(m, _)| *m == r.metric)
                .map(|(_, m)| *m)
                .ok_or_else(|| {
                    let known: Vec<&str> = METRICS.iter().map(|(m, _)| *m).collect();
                    bad(format!(
                        "unknown metric {:?} (expected {})",
                        r.metric,
                        known.join(", ")
                    ))
                })?;
            if !OPS.contains(&r.op.as_str()) {
                return Err(bad(format!(
                    "unknown op {:?} (expected {})",
                    r.op,
                    OPS.join(" ")
                )));
            }
            if !r.threshold.is_finite() {
                return Err(bad("threshold must be a number".into()));
            }
            if r.target.trim().is_empty() {
                return Err(bad("target must be a name or *".into()));
            }
            let ms =
                timespec::parse_duration_ms(&r.window, "window").map_err(|e| bad(e.to_string()))?;
            if ms < 1.0 {
                return Err(bad("window must be at least 1ms".into()));
            }
            Ok(Rule {
                rule: r.clone(),
                metric,
                window_ms: ms as i64,
            })
        })
        .collect()
}

/// Rules from a file holding `{"alerts": [...]}`, as in `ccmon.json`.
pub fn rules_file(path: &Path) -> Result<Vec<AlertRule>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        alerts: Vec<AlertRule>,
    }
    // A rules file the user named that cannot be read is bad input (exit 2).
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::flag(
            "--rules",
            format!(
                "cannot read {}: {}",
                crate::store::paths::display_path(path),
                e
            ),
        )
    })?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    let file: File = serde_path_to_error::deserialize(de).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        field: e.path().to_string(),
        message: crate::error::without_value(&e.inner().to_string()),
    })?;
    Ok(file.alerts)
}

/// One rule applied to one target (`cc-dashboard alerts --json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AlertRow {
    /// The rule.
    pub name: String,
    /// Its metric.
    pub metric: String,
    /// The target measured.
    pub target: String,
    /// The comparison.
    pub op: String,
    /// The threshold.
    pub threshold: f64,
    /// The measured value (`null` without data: never firing).
    pub value: Option<f64>,
    /// Whether `value op threshold` holds.
    pub firing: bool,
    /// The window, ms.
    pub window_ms: i64,
}

fn compare(value: f64, op: &str, threshold: f64) -> bool {
    match op {
        "<" => value < threshold,
        "<=" => value <= threshold,
        ">" => value > threshold,
        ">=" => value >= threshold,
        "==" => value == threshold,
        _ => value != threshold,
    }
}

/// The value of `metric` over `window_ms` for every target with data.
fn measure(
    roots: &Roots,
    config: &Config,
    metric: Metric,
    window_ms: i64,
    now: Timestamp,
    skipped: &mut Skipped,
) -> Result<Vec<(String, f64)>> {
    let since = Timestamp(now.0.saturating_sub(window_ms));
    Ok(match metric {
        Metric::CujSuccessRate | Metric::CujP95 => {
            let (rows, s) = metrics::all_report(roots, window_ms, now)?;
            skipped.merge(s);
            rows.into_iter()
                .filter_map(|r| {
                    let v = match metric {
                        Metric::CujSuccessRate => r.figures.success_rate,
                        _ => r.figures.p95,
                    };
                    v.map(|v| (r.cuj_id, v))
                })
                .collect()
        }
        Metric::SkillSuccessRate => {
            let filter = Filter {
                since: Some(since),
                until: Some(now),
                ..Filter::default()
            };
            let (rows, s) = log::stats(roots, &filter, GroupBy::Skill, true)?;
            skipped.merge(s);
            rows.into_iter()
                .filter_map(|r| Some((r.key?, r.success_rate?)))
                .collect()
        }
        Metric::ProviderAvailability | Metric::ProviderP95 => {
            let th = Thresholds::from_config(&config.health, Some(window_ms))?;
            let (rows, s) = health::statuses(roots, &th, now)?;
            skipped.merge(s);
            rows.into_iter()
                .filter_map(|r| {
                    let v = match metric {
                        Metric::ProviderAvailability => r.availability,
                        _ => r.p95,
                    };
                    v.map(|v| (r.provider, v))
                })
                .collect()
        }
        Metric::CostDaily => {
            let prices = PriceTable::new(&config.pricing);
            let (rows, s) = health::usage(
                roots,
                UsageBy::Provider,
                Some(since),
                Some(now),
                &prices,
                true,
            )?;
            skipped.merge(s);
            let days = window_ms as f64 / crate::time::DAY_MS as f64;
            let total = health::total(&rows);
            let mut out: Vec<(String, f64)> = rows
                .into_iter()
                .filter_map(|r| Some((r.key?, r.cost_usd? / days)))
                .collect();
            out.push(("*".into(), total.cost_usd.unwrap_or(0.0) / days));
            out
        }
    })
}

/// Evaluates every rule at `now`: one row per rule and target (a rule with target `*`
/// gives a row per target with data; `cost.daily` with `*` is the total).
pub fn evaluate(
    roots: &Roots,
    config: &Config,
    rules: &[Rule],
    now: Timestamp,
) -> Result<(Vec<AlertRow>, Skipped)> {
    let mut skipped = Skipped::default();
    let mut cache: HashMap<(Metric, i64), Vec<(String, f64)>> = HashMap::new();
    let mut rows = Vec::new();
    for r in rules {
        let key = (r.metric, r.window_ms);
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(key) {
            slot.insert(measure(
                roots,
                config,
                r.metric,
                r.window_ms,
                now,
                &mut skipped,
            )?);
        }
        let values = &cache[&key];
        let row = |target: &str, value: Option<f64>| AlertRow {
            name: r.rule.name.clone(),
            metric: r.rule.metric.clone(),
            target: target.to_string(),
            op: r.rule.op.clone(),
            threshold: r.rule.threshold,
            value,
            firing: value.is_some_and(|v| compare(v, &r.rule.op, r.rule.threshold)),
            window_ms: r.window_ms,
        };
        let all = r.rule.target == "*";
        if all && r.metric != Metric::CostDaily {
            rows.extend(values.iter().map(|(t, v)| row(t, Some(*v))));
        } else {
            let found = values
                .iter()
                .find(|(t, _)| *t == r.rule.target)
                .map(|(_, v)| *v);
            rows.push(row(&r.rule.target, found));
        }
    }
    Ok((rows, skipped))
}

/// The last alert notification for each (rule, target): whether it fired.
fn last_states(roots: &Roots) -> Result<HashMap<(String, String), bool>> {
    let kinds = [
        NotificationType::AlertFired,
        NotificationType::AlertResolved,
    ];
    let latest = crate::notifications::latest(roots, "\"alert_", &kinds, |n| {
        let field = |k: &str| n.extra.get(k).and_then(Value::as_str).map(str::to_string);
        Some((field("alert")?, field("alertTarget")?))
    })?;
    Ok(latest
        .into_iter()
        .map(|(k, (_, kind))| (k, kind == NotificationType::AlertFired))
        .collect())
}

fn describe(row: &AlertRow) -> String {
    let value = row
        .value
        .map_or_else(|| "no data".into(), |v| format_value(&row.metric, v));
    format!(
        "{}: {} of {} is {value} ({} {})",
        row.name,
        row.metric,
        row.target,
        row.op,
        format_value(&row.metric, row.threshold)
    )
}

/// A metric's value for people: rates as percentages, latencies humanized, costs in USD.
pub fn format_value(metric: &str, v: f64) -> String {
    if metric.ends_with("successRate") || metric.ends_with("availability") {
        format!("{:.1}%", v * 100.0)
    } else if metric.ends_with("p95") {
        crate::output::human_duration(v)
    } else {
        format!("${v:.2}")
    }
}

/// Appends `alert_fired` for rows that started firing and `alert_resolved` for rows that
/// stopped, compared with the last such notification of each (rule, target). Returns
/// the notifications written.
pub fn record_transitions(roots: &Roots, writer: &Writer, rows: &[AlertRow]) -> Result<Vec<Value>> {
    let _lock = StreamLock::acquire(roots.primary(), Stream::Notifications)?;
    let last = last_states(roots)?;
    let mut written = Vec::new();
    for row in rows {
        let was = last
            .get(&(row.name.clone(), row.target.clone()))
            .copied()
            .unwrap_or(false);
        let kind = match (row.firing, was) {
            (true, false) => NotificationType::AlertFired,
            (false, true) if row.value.is_some() => NotificationType::AlertResolved,
            _ => continue,
        };
        let prefix = if kind == NotificationType::AlertFired {
            "fired"
        } else {
            "resolved"
        };
        let mut n = Notification::new(kind, format!("{prefix}: {}", describe(row)));
        n.extra
            .insert("alert".into(), Value::String(row.name.clone()));
        n.extra
            .insert("alertTarget".into(), Value::String(row.target.clone()));
        if let Some(v) = row.value {
            n.extra.insert("value".into(), Value::from(v));
        }
        written.push(writer.append(n)?);
    }
    Ok(written)
}

/// The line for a firing alert: `FIRING review-reliability: cuj.successRate of CUJ-005 is 82.0% (< 90.0%), last 1h`.
pub fn firing_line(row: &AlertRow) -> String {
    format!(
        "FIRING {}, last {}",
        describe(row),
        crate::output::human_window(row.window_ms)
    )
}
