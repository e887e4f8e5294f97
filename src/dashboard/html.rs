//! `cc-dashboard html`: one self-contained HTML file — inline CSS, inline SVG charts
//! drawn here, no external script, stylesheet or font — readable offline.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::document::{Dashboard, PERIOD_DAYS};
use crate::config::Config;
use crate::error::Result;
use crate::health::{self, Cost, Health, PriceTable};
use crate::metrics::{self, PatternRow};
use crate::output::{human_duration, human_rate};
use crate::redact::Redactor;
use crate::store::Roots;
use crate::time::Timestamp;

use crate::time::DAY_MS;

/// Colours for series, in order.
const PALETTE: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
];
const GREEN: &str = "#3a9d5d";
const RED: &str = "#d64545";
const AMBER: &str = "#e0a030";
const GRAY: &str = "#9aa0a6";

/// Text escaped for HTML and SVG.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One journey's daily success rates and p95s (ms), oldest first.
pub type Trend = (String, Vec<Option<f64>>, Vec<Option<f64>>);

/// What the charts need beyond the dashboard document.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    /// Per journey: daily success rates and p95s.
    pub trends: Vec<Trend>,
    /// Per model: known cost per day, oldest first.
    pub cost_by_model: Vec<(String, Vec<f64>)>,
    /// The most frequent failure patterns over 7 days (journeys, failed runs,
    /// provider errors), with the sources they come from.
    pub failures: Vec<(String, PatternRow)>,
}

/// Gathers what the charts need, as of the dashboard's time.
pub fn gather(roots: &Roots, config: &Config, d: &Dashboard, redactor: &Redactor) -> Result<Extra> {
    let now = d.generated_at;
    let days = PERIOD_DAYS as usize;
    let mut extra = Extra::default();
    for c in &d.cujs {
        let (t, _) = metrics::trend_report(roots, &c.cuj_id, days, DAY_MS, now)?;
        extra.trends.push((
            c.cuj_id.clone(),
            t.buckets.iter().map(|b| b.success_rate).collect(),
            t.buckets.iter().map(|b| b.p95).collect(),
        ));
    }
    // Failures of every source: journeys, failed runs, provider errors (each run once).
    let (f, _) = metrics::failures_everywhere(roots, 7 * DAY_MS, 0, now, redactor)?;
    extra.failures.extend(f.patterns.into_iter().map(|p| {
        let from: Vec<&str> = p.sources.keys().map(String::as_str).collect();
        (from.join(" + "), p)
    }));
    extra
        .failures
        .sort_by_key(|f| std::cmp::Reverse((f.1.count, f.1.last_seen)));
    extra.failures.truncate(10);

    // Cost per day (UTC-aligned, like the trend buckets) and model.
    let first = Timestamp((now.0.div_euclid(DAY_MS) - (days as i64 - 1)) * DAY_MS);
    let prices = PriceTable::new(&config.pricing);
    let (map, _) = health::fold(
        roots,
        Some(first),
        Some(now),
        BTreeMap::<String, Vec<f64>>::new,
        |m, v| {
            let cost = match Cost::of(v.cost_usd, v.model.as_deref(), v.tokens(), &prices) {
                Cost::Recorded(c) | Cost::Estimated(c) => c,
                Cost::Unpriced | Cost::Nothing => return,
            };
            let i = ((v.timestamp.0 - first.0) / DAY_MS) as usize;
            let model = v.model.as_deref().unwrap_or("(no model)").to_string();
            let row = m.entry(model).or_insert_with(|| vec![0.0; days]);
            if let Some(slot) = row.get_mut(i) {
                *slot += cost;
            }
        },
        |mut a, b| {
            for (k, v) in b {
                let row = a.entry(k).or_insert_with(|| vec![0.0; v.len()]);
                for (x, y) in row.iter_mut().zip(v) {
                    *x += y;
                }
            }
            a
        },
    )?;
    let mut costs: Vec<(String, Vec<f64>)> = map.into_iter().collect();
    costs.sort_by(|a, b| b.1.iter().sum::<f64>().total_cmp(&a.1.iter().sum::<f64>()));
    extra.cost_by_model = costs;
    Ok(extra)
}

/// A chart's frame: an `<svg>` with a title for screen readers.
fn svg_open(out: &mut String, id: &str, width: u32, height: u32, title: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" id="{id}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
}

fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    // Maxima whose quarters are round too (ticks at 2, 4, 6, 8 rather than 1.2, 2.5...).
    for m in [1.0, 2.0, 4.0, 8.0, 10.0] {
        if v <= m * p {
            return m * p;
        }
    }
    10.0 * p
}

const W: u32 = 560;
const H: u32 = 220;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

fn axes(out: &mut String, max: f64, fmt: &dyn Fn(f64) -> String, x_labels: &[String]) {
    let plot_h = H as f64 - TOP - BOTTOM;
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let y = TOP + plot_h - plot_h * k as f64 / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#e3e6ea"/><text x="{}" y="{:.1}" class="tick" text-anchor="end">{}</text>"##,
            W as f64 - 8.0,
            LEFT - 6.0,
            y + 4.0,
            esc(&fmt(v))
        );
    }
    let n = x_labels.len().max(1);
    let step = (W as f64 - LEFT - 8.0) / n as f64;
    for (i, label) in x_labels.iter().enumerate() {
        // Every seventh day and the last, without crowding the last one.
        if (i % 7 == 0 && i + 4 <= n) || i + 1 == n {
            let x = LEFT + step * (i as f64 + 0.5);
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{}" class="tick" text-anchor="middle">{}</text>"#,
                H as f64 - 6.0,
                esc(label)
            );
        }
    }
}

/// Stacked bars: one per x label, segments per series.
fn stacked_bars(
    id: &str,
    title: &str,
    series: &[(String, &str, Vec<f64>)],
    x_labels: &[String],
    fmt: &dyn Fn(f64) -> String,
) -> String {
    let mut out = String::new();
    svg_open(&mut out, id, W, H, title);
    let n = x_labels.len();
    let totals: Vec<f64> = (0..n)
        .map(|i| {
            series
                .iter()
                .map(|s| s.2.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let max = nice_max(totals.iter().copied().fold(0.0, f64::max));
    axes(&mut out, max, fmt, x_labels);
    let plot_h = H as f64 - TOP - BOTTOM;
    let step = (W as f64 - LEFT - 8.0) / n.max(1) as f64;
    for (i, x_label) in x_labels.iter().enumerate() {
        let mut y = TOP + plot_h;
        for (name, color, values) in series {
            let v = values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let h = plot_h * v / max;
            y -= h;
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{color}"><title>{} {}: {}</title></rect>"#,
                LEFT + step * i as f64 + 1.0,
                (step - 2.0).max(1.0),
                esc(x_label),
                esc(name),
                esc(&fmt(v))
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Lines: one per series, gaps where a value is missing.
fn lines(
    id: &str,
    title: &str,
    series: &[(String, &str, Vec<Option<f64>>)],
    x_labels: &[String],
    max: f64,
    fmt: &dyn Fn(f64) -> String,
) -> String {
    let mut out = String::new();
    svg_open(&mut out, id, W, H, title);
    axes(&mut out, max, fmt, x_labels);
    let plot_h = H as f64 - TOP - BOTTOM;
    let step = (W as f64 - LEFT - 8.0) / x_labels.len().max(1) as f64;
    for (name, color, values) in series {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let x = LEFT + step * (i as f64 + 0.5);
                    let y = TOP + plot_h - plot_h * (v / max).clamp(0.0, 1.0);
                    let _ = write!(path, "{}{x:.1},{y:.1} ", if pen_down { "L" } else { "M" });
                    pen_down = true;
                    let _ = write!(
                        out,
                        r#"<circle cx="{x:.1}" cy="{y:.1}" r="2.2" fill="{color}"><title>{} {}: {}</title></circle>"#,
                        esc(name),
                        esc(&x_labels[i]),
                        esc(&fmt(*v))
                    );
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                out,
                r#"<path d="{}" fill="none" stroke="{color}" stroke-width="1.8"/>"#,
                path.trim_end()
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars with a label and a note per row.
fn hbars(
    id: &str,
    title: &str,
    rows: &[(String, f64, &str, String)],
    fmt: &dyn Fn(f64) -> String,
) -> String {
    let row_h = 24.0;
    let height = (TOP * 2.0 + row_h * rows.len().max(1) as f64) as u32;
    let mut out = String::new();
    svg_open(&mut out, id, W, height, title);
    let max = rows
        .iter()
        .map(|r| r.1)
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let label_w = 170.0;
    let bar_w = W as f64 - label_w - 210.0;
    for (i, (label, value, color, note)) in rows.iter().enumerate() {
        let y = TOP + row_h * i as f64;
        let w = (bar_w * value / max).max(1.0);
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" class="label">{}</text><rect x="{label_w}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{color}" rx="2"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" class="note">{} {}</text>"#,
            label_w - 8.0,
            y + 16.0,
            esc(label),
            y + 5.0,
            row_h - 8.0,
            esc(label),
            esc(&fmt(*value)),
            label_w + w + 6.0,
            y + 16.0,
            esc(&fmt(*value)),
            esc(note)
        );
    }
    out.push_str("</svg>");
    out
}

fn legend(items: &[(String, &str)]) -> String {
    let mut out = String::from(r#"<div class="legend">"#);
    for (name, color) in items {
        let _ = write!(
            out,
            r#"<span><i style="background:{color}"></i>{}</span>"#,
            esc(name)
        );
    }
    out.push_str("</div>");
    out
}

fn status_color(h: Health) -> &'static str {
    match h {
        Health::Healthy => GREEN,
        Health::Degraded => AMBER,
        Health::Down => RED,
        Health::Unknown => GRAY,
    }
}

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f5f6f8; color: #1d2228; }
header { background: #1d2228; color: #fff; padding: 18px 28px; }
header h1 { margin: 0; font-size: 20px; font-weight: 600; }
header p { margin: 4px 0 0; color: #c3c8ce; }
main { padding: 20px 28px 40px; display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 18px; }
section { background: #fff; border-radius: 8px; padding: 14px 18px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
section.wide { grid-column: 1 / -1; }
h2 { font-size: 15px; margin: 0 0 10px; font-weight: 600; }
.counters { display: flex; flex-wrap: wrap; gap: 12px; }
.counter { background: #f5f6f8; border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.counter b { display: block; font-size: 20px; }
.counter span { color: #5f6873; font-size: 12px; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg .tick { font-size: 10px; fill: #5f6873; }
svg .label { font-size: 12px; fill: #1d2228; }
svg .note { font-size: 11px; fill: #5f6873; }
.legend { display: flex; flex-wrap: wrap; gap: 10px; font-size: 12px; color: #5f6873; margin-top: 6px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eceef1; vertical-align: top; }
th { color: #5f6873; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 12px; background: #f5f6f8; padding: 1px 4px; border-radius: 3px; }
.badge { color: #fff; border-radius: 4px; padding: 1px 6px; font-size: 12px; }
footer { color: #5f6873; font-size: 12px; padding: 0 28px 24px; }
"#;

/// Marks the page once rendered: how many charts have a non-zero size (read by the
/// browser test through the DOM; harmless for readers).
const CHECK: &str = r#"addEventListener("load",function(){var c=document.querySelectorAll("svg.chart"),n=0;for(var i=0;i<c.length;i++){var r=c[i].getBoundingClientRect();if(r.width>0&&r.height>0)n++;}document.documentElement.setAttribute("data-charts",c.length);document.documentElement.setAttribute("data-charts-rendered",n);});"#;

/// The report.
pub fn render(d: &Dashboard, extra: &Extra, utc: bool) -> String {
    let day = |i: usize| -> String {
        let t = Timestamp(
            (d.generated_at.0.div_euclid(DAY_MS) - (PERIOD_DAYS - 1 - i as i64)) * DAY_MS,
        );
        t.to_datetime().format("%m-%d").to_string()
    };
    let days: Vec<String> = (0..PERIOD_DAYS as usize).map(day).collect();
    let count = |v: f64| {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    };
    let usd = |v: f64| format!("${v:.2}");
    let pct = |v: f64| human_rate(Some(v));
    let ms = |v: f64| human_duration(v);

    let mut body = String::new();
    let c = &d.counters;
    let _ = write!(
        body,
        r#"<section class="wide"><h2>At a glance</h2><div class="counters">"#
    );
    for (v, label) in [
        (c.runs.to_string(), "runs"),
        (c.active_runs.to_string(), "active"),
        (c.failed_runs.to_string(), "failed runs"),
        (
            format!("{} / {}", c.active_sandboxes, c.sandboxes),
            "sandboxes active / total",
        ),
        (c.invocations.to_string(), "skill invocations"),
        (c.journey_executions.to_string(), "journey executions"),
        (
            human_rate(d.windows.day.success_rate),
            "journey success (24h)",
        ),
        (d.providers.overall.status.as_str().to_string(), "providers"),
        (
            format!("${:.2}", d.usage.month.cost_usd.unwrap_or(0.0)),
            "known cost (30d)",
        ),
        (d.notifications.unread.to_string(), "unread notifications"),
    ] {
        let _ = write!(
            body,
            r#"<div class="counter"><b>{}</b><span>{}</span></div>"#,
            esc(&v),
            esc(label)
        );
    }
    body.push_str("</div></section>");

    // Daily runs stacked by status.
    let completed: Vec<f64> = d.daily.iter().map(|x| x.runs_completed as f64).collect();
    let failed: Vec<f64> = d.daily.iter().map(|x| x.runs_failed as f64).collect();
    let other: Vec<f64> = d
        .daily
        .iter()
        .map(|x| {
            x.runs_created
                .saturating_sub(x.runs_completed + x.runs_failed) as f64
        })
        .collect();
    let series = vec![
        ("completed".to_string(), GREEN, completed),
        ("failed".to_string(), RED, failed),
        ("other (running, cancelled)".to_string(), GRAY, other),
    ];
    let _ = write!(
        body,
        "<section><h2>Runs per day</h2>{}{}</section>",
        stacked_bars(
            "runs-per-day",
            "Runs per day by status",
            &series,
            &days,
            &count
        ),
        legend(
            &series
                .iter()
                .map(|s| (s.0.clone(), s.1))
                .collect::<Vec<_>>()
        )
    );

    // Sandboxes and workflow runs created per day (lines: a sandbox may run a workflow).
    if d.counters.sandboxes > 0 || d.daily.iter().any(|x| x.workflows_created > 0) {
        let series: Vec<(String, &str, Vec<Option<f64>>)> = vec![
            (
                "sandboxes".to_string(),
                PALETTE[0],
                d.daily
                    .iter()
                    .map(|x| Some(x.sandboxes_created as f64))
                    .collect(),
            ),
            (
                "workflow runs".to_string(),
                PALETTE[1],
                d.daily
                    .iter()
                    .map(|x| Some(x.workflows_created as f64))
                    .collect(),
            ),
        ];
        let max = nice_max(
            d.daily
                .iter()
                .map(|x| x.sandboxes_created.max(x.workflows_created) as f64)
                .fold(1.0, f64::max),
        );
        let _ = write!(
            body,
            "<section><h2>Sandboxes and workflows per day</h2>{}{}</section>",
            lines(
                "sandboxes-per-day",
                "Sandboxes and workflow runs created per day",
                &series,
                &days,
                max,
                &count
            ),
            legend(
                &series
                    .iter()
                    .map(|s| (s.0.clone(), s.1))
                    .collect::<Vec<_>>()
            )
        );
    }

    // Cost per day by model.
    let cost_series: Vec<(String, &str, Vec<f64>)> = extra
        .cost_by_model
        .iter()
        .enumerate()
        .map(|(i, (m, v))| (m.clone(), PALETTE[i % PALETTE.len()], v.clone()))
        .collect();
    let _ = write!(
        body,
        "<section><h2>Known cost per day by model</h2>{}{}</section>",
        stacked_bars(
            "cost-per-day",
            "Known cost per day by model (USD)",
            &cost_series,
            &days,
            &usd
        ),
        legend(
            &cost_series
                .iter()
                .map(|s| (s.0.clone(), s.1))
                .collect::<Vec<_>>()
        )
    );

    // Success rate and p95 per journey.
    let rate_series: Vec<(String, &str, Vec<Option<f64>>)> = extra
        .trends
        .iter()
        .enumerate()
        .map(|(i, (c, r, _))| (c.clone(), PALETTE[i % PALETTE.len()], r.clone()))
        .collect();
    let p95_series: Vec<(String, &str, Vec<Option<f64>>)> = extra
        .trends
        .iter()
        .enumerate()
        .map(|(i, (c, _, p))| (c.clone(), PALETTE[i % PALETTE.len()], p.clone()))
        .collect();
    let p95_max = nice_max(
        p95_series
            .iter()
            .flat_map(|s| s.2.iter().flatten())
            .copied()
            .fold(0.0, f64::max),
    );
    let names: Vec<(String, &str)> = rate_series.iter().map(|s| (s.0.clone(), s.1)).collect();
    let _ = write!(
        body,
        "<section><h2>Journey success rate per day</h2>{}{}</section><section><h2>Journey p95 duration per day</h2>{}{}</section>",
        lines(
            "success-trend",
            "Success rate per day by journey",
            &rate_series,
            &days,
            1.0,
            &pct
        ),
        legend(&names),
        lines(
            "p95-trend",
            "p95 duration per day by journey",
            &p95_series,
            &days,
            p95_max,
            &ms
        ),
        legend(&names)
    );

    // Provider health.
    let provider_rows: Vec<(String, f64, &str, String)> = d
        .providers
        .statuses
        .iter()
        .map(|r| {
            (
                r.provider.clone(),
                r.availability.unwrap_or(0.0),
                status_color(r.status),
                format!(
                    "{} · p95 {}",
                    r.status.as_str(),
                    r.p95.map_or("-".into(), human_duration)
                ),
            )
        })
        .collect();
    let _ = write!(
        body,
        "<section><h2>Provider health ({})</h2>{}<p>{}</p></section>",
        esc(d.providers.overall.status.as_str()),
        hbars(
            "provider-health",
            "Provider availability",
            &provider_rows,
            &pct
        ),
        esc(&d.providers.overall.reason)
    );

    // Top skills.
    let skill_rows: Vec<(String, f64, &str, String)> = d
        .skills
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                s.key.clone().unwrap_or_else(|| "-".into()),
                s.count as f64,
                PALETTE[i % PALETTE.len()],
                format!(
                    "· {} ok · {} cached",
                    human_rate(s.success_rate),
                    human_rate(s.cache_hit_rate)
                ),
            )
        })
        .collect();
    let _ = write!(
        body,
        "<section><h2>Top skills (30 days)</h2>{}</section>",
        hbars(
            "top-skills",
            "Top skills by invocations",
            &skill_rows,
            &count
        )
    );

    // Recent failure patterns.
    body.push_str(r#"<section class="wide"><h2>Recent failure patterns (7 days)</h2>"#);
    if extra.failures.is_empty() {
        body.push_str("<p>No failures in the last 7 days.</p>");
    } else {
        body.push_str("<table><tr><th>From</th><th>Count</th><th>Category</th><th>Pattern</th><th>Last seen</th></tr>");
        for (from, p) in &extra.failures {
            let _ = write!(
                body,
                r#"<tr><td>{}</td><td class="num">{}</td><td>{}</td><td><code>{}</code><br><small>e.g. {}</small></td><td>{}</td></tr>"#,
                esc(from),
                p.count,
                esc(p.category.as_str()),
                esc(&p.pattern),
                esc(&p.example),
                esc(&crate::output::human_time(p.last_seen, utc))
            );
        }
        body.push_str("</table>");
    }
    body.push_str("</section>");

    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ccmon dashboard</title>
<style>{STYLE}</style>
</head>
<body>
<header><h1>ccmon dashboard</h1><p>last {} days · generated {}</p></header>
<main>
{body}
</main>
<footer>Generated by ccmon {} from the JSONL streams; this file needs no network.</footer>
<script>{CHECK}</script>
</body>
</html>
"#,
        d.period_days,
        esc(&crate::output::human_time(d.generated_at, utc)),
        env!("CARGO_PKG_VERSION")
    )
}
