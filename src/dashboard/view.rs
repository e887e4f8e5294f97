//! The terminal dashboard: laid out for 100 columns, and for 80 with fewer columns;
//! colour only when the style says so.

use super::document::Dashboard;
use crate::health::render::{cost, grouped};
use crate::metrics::WindowFigures;
use crate::output::{
    self, Span, Style, TableModel, human_duration, human_opt_duration, human_rate, one_line, paint,
    sparkline, status_color, visible_width,
};

/// Widths at or above this get the full layout.
pub const WIDE: usize = 100;

fn heading(text: &str, style: Style) -> String {
    if style.color {
        format!("\x1b[1m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn window_cell(f: &WindowFigures) -> String {
    if f.total == 0 {
        "-".into()
    } else {
        format!("{} ({})", human_rate(f.success_rate), f.total)
    }
}

/// A line cut to `width` columns (colours dropped from a line that must be cut).
fn fit(line: String, width: usize) -> String {
    if visible_width(&line) <= width {
        return line;
    }
    let mut plain = String::new();
    let mut escape = false;
    for c in line.chars() {
        match (escape, c) {
            (false, '\x1b') => escape = true,
            (true, 'm') => escape = false,
            (true, _) => {}
            (false, c) => plain.push(c),
        }
    }
    let cut: String = plain.chars().take(width.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// The dashboard as lines, each at most `width` columns wide.
pub fn render(d: &Dashboard, width: usize, style: Style) -> Vec<String> {
    let wide = width >= WIDE;
    let mut lines: Vec<String> = Vec::new();
    let overall = d.providers.overall.status.as_str();
    let generated = output::human_time(d.generated_at, style.utc);
    let providers = paint(overall, status_color(overall), style.color);
    // One period for the counters and the daily series: whole calendar days since
    // `since`; the journey windows are rolling and say so.
    let since = d.daily.first().map_or("-", |day| day.date.as_str());
    lines.push(format!(
        "{}  ·  generated {generated}  ·  providers {providers}",
        heading("ccmon dashboard", style),
    ));
    let c = &d.counters;
    lines.push(format!(
        "since {since}: runs {} ({} active, {} completed, {} failed, {} cancelled)",
        c.runs, c.active_runs, c.completed_runs, c.failed_runs, c.cancelled_runs
    ));
    lines.push(format!(
        "since {since}: {} invocations, {} executions, {} journeys, {} workflows",
        grouped(c.invocations),
        grouped(c.journey_executions),
        c.journeys,
        c.workflows
    ));
    if c.sandboxes > 0 {
        let (sandboxes, workflows) = d.daily.iter().fold((0, 0), |(s, w), day| {
            (s + day.sandboxes_created, w + day.workflows_created)
        });
        lines.push(format!(
            "sandboxes {}: {} active  ·  created in {} days: {} sandboxes, {} workflow runs",
            c.sandboxes, c.active_sandboxes, d.period_days, sandboxes, workflows
        ));
    }
    let w = &d.windows;
    let mut all = format!(
        "rolling windows: 1h {}  24h {}  7d {}  30d {}",
        window_cell(&w.hour),
        window_cell(&w.day),
        window_cell(&w.week),
        window_cell(&w.month),
    );
    if wide {
        all.push_str(&format!("  p95 (24h) {}", human_opt_duration(w.day.p95)));
    }
    lines.push(all);
    let h = &d.highlights;
    let mut speed = Vec::new();
    if let Some(x) = &h.fastest {
        speed.push(format!(
            "fastest {} (p50 {})",
            x.cuj_id,
            human_duration(x.value)
        ));
    }
    if let Some(x) = &h.slowest {
        speed.push(format!(
            "slowest {} (p95 {})",
            x.cuj_id,
            human_duration(x.value)
        ));
    }
    let mut reliability = Vec::new();
    if let Some(x) = &h.most_reliable {
        reliability.push(format!(
            "most reliable {} ({})",
            x.cuj_id,
            human_rate(Some(x.value))
        ));
    }
    if let Some(x) = &h.least_reliable {
        reliability.push(format!(
            "least reliable {} ({})",
            x.cuj_id,
            human_rate(Some(x.value))
        ));
    }
    for marks in [speed, reliability] {
        if !marks.is_empty() {
            lines.push(format!("{}: {}", h.window, marks.join("  ·  ")));
        }
    }

    // Journeys.
    lines.push(String::new());
    if d.cujs.is_empty() {
        lines.push("no journey executions in the last 30 days".into());
    } else {
        // The sparkline plots the success rate of the four windows, widest first.
        let mut header = vec!["CUJ", "1H", "24H", "7D", "30D", "30D→1H", "P95 (24H)"];
        if wide {
            header.push("LAST FAILURE");
        }
        let mut t = TableModel::new(&header).right_from(1);
        for r in &d.cujs {
            let rates: Vec<Option<f64>> = [
                &r.windows.month,
                &r.windows.week,
                &r.windows.day,
                &r.windows.hour,
            ]
            .iter()
            .map(|f| f.success_rate)
            .collect();
            let mut row: Vec<Span> = vec![
                one_line(&r.cuj_id, 16).into(),
                window_cell(&r.windows.hour).into(),
                window_cell(&r.windows.day).into(),
                window_cell(&r.windows.week).into(),
                window_cell(&r.windows.month).into(),
                sparkline(&rates).into(),
                human_opt_duration(r.windows.day.p95).into(),
            ];
            if wide {
                row.push(
                    r.last_failure
                        .map_or_else(|| "-".into(), |t| output::human_time(t, style.utc))
                        .into(),
                );
            }
            t.push(row);
        }
        lines.extend(output::table_lines(&t, style));
    }

    // Skills.
    lines.push(String::new());
    if d.skills.is_empty() {
        lines.push(format!("no skill invocations since {since}"));
    } else {
        let mut t = TableModel::new(&["TOP SKILLS", "COUNT", "SUCCESS", "CACHE HIT", "P50", "P95"])
            .right_from(1);
        let shown = if wide { 10 } else { 5 };
        for r in d.skills.iter().take(shown) {
            t.push(vec![
                one_line(r.key.as_deref().unwrap_or("-"), if wide { 40 } else { 28 }).into(),
                grouped(r.count).into(),
                human_rate(r.success_rate).into(),
                human_rate(r.cache_hit_rate).into(),
                human_opt_duration(r.p50).into(),
                human_opt_duration(r.p95).into(),
            ]);
        }
        lines.extend(output::table_lines(&t, style));
    }

    // Providers.
    lines.push(String::new());
    if d.providers.statuses.is_empty() {
        lines.push(format!("providers: {}", d.providers.overall.reason));
    } else {
        let mut t =
            TableModel::new(&["PROVIDER", "STATUS", "AVAIL", "P95", "REASON"]).right(&[2, 3]);
        for r in &d.providers.statuses {
            t.push(vec![
                output::clean(&r.provider).into(),
                Span::status(r.status.as_str()),
                human_rate(r.availability).replace("no data", "-").into(),
                human_opt_duration(r.p95).into(),
                one_line(&r.reason, if wide { 60 } else { 40 }).into(),
            ]);
        }
        lines.extend(output::table_lines(&t, style));
    }

    // Tokens and cost.
    lines.push(String::new());
    let u = &d.usage;
    lines.push(format!(
        "cost: today {}  ·  7d {}  ·  since {since} {}",
        cost(&u.today),
        cost(&u.week),
        cost(&u.month)
    ));
    if !u.by_model.is_empty() {
        let mut t = TableModel::new(&["MODEL", "CALLS", "INPUT", "OUTPUT", "COST"]).right_from(1);
        for r in &u.by_model {
            t.push(vec![
                one_line(r.key.as_deref().unwrap_or("-"), 30).into(),
                grouped(r.calls).into(),
                grouped(r.input_tokens).into(),
                grouped(r.output_tokens).into(),
                cost(r).into(),
            ]);
        }
        lines.extend(output::table_lines(&t, style));
    }

    // The last 30 days.
    lines.push(String::new());
    lines.push(heading(
        &format!("per day since {since} (oldest left)"),
        style,
    ));
    // Counts are scaled from zero; `None` marks a day without a value.
    let series = |name: &str, values: Vec<Option<f64>>, from_zero: bool, total: String| {
        let known = values.iter().flatten().copied();
        let max = known.clone().fold(f64::MIN, f64::max);
        let min = if from_zero {
            0.0
        } else {
            known.fold(f64::MAX, f64::min)
        };
        let scaled: Vec<Option<f64>> = values
            .iter()
            .map(|v| {
                v.map(|v| {
                    if max > min {
                        (v - min) / (max - min)
                    } else {
                        1.0
                    }
                })
            })
            .collect();
        format!("  {name:<12} {}  {total}", sparkline(&scaled))
    };
    let days = &d.daily;
    let sum = |f: &dyn Fn(&super::document::Day) -> u64| days.iter().map(f).sum::<u64>();
    lines.push(series(
        "runs",
        days.iter().map(|x| Some(x.runs_created as f64)).collect(),
        true,
        format!("{} created", sum(&|x| x.runs_created)),
    ));
    lines.push(series(
        "failed runs",
        days.iter().map(|x| Some(x.runs_failed as f64)).collect(),
        true,
        format!("{} failed", sum(&|x| x.runs_failed)),
    ));
    lines.push(series(
        "invocations",
        days.iter().map(|x| Some(x.invocations as f64)).collect(),
        true,
        grouped(sum(&|x| x.invocations)),
    ));
    let total_cost: f64 = days.iter().map(|x| x.cost_usd).sum();
    lines.push(series(
        "cost",
        days.iter().map(|x| Some(x.cost_usd)).collect(),
        true,
        format!("${total_cost:.2} known"),
    ));
    let q = &d.quality;
    if q.overall.scored > 0 {
        let comps: Vec<Option<f64>> = q.days.iter().map(|b| b.composite).collect();
        lines.push(series(
            "quality",
            comps,
            false,
            format!(
                "{:.1} mean, {} meeting {}",
                q.overall.composite.unwrap_or(0.0),
                human_rate(q.overall.meeting_threshold),
                q.threshold
            ),
        ));
    }

    // Notifications.
    lines.push(String::new());
    let n = &d.notifications;
    lines.push(format!(
        "{} ({} unread)",
        heading("notifications", style),
        n.unread
    ));
    if n.latest.is_empty() {
        lines.push("  none".into());
    }
    for note in &n.latest {
        let kind = note.kind.as_str();
        let mark = if note.read { " " } else { "•" };
        lines.push(format!(
            "  {mark} {}  {}  {}",
            output::human_time(note.timestamp, style.utc),
            paint(kind, kind_color(kind), style.color),
            one_line(note.message.as_deref().unwrap_or(""), 80)
        ));
    }
    lines.into_iter().map(|l| fit(l, width)).collect()
}

fn kind_color(kind: &str) -> Option<comfy_table::Color> {
    if kind.ends_with("failed") || kind.ends_with("down") || kind.ends_with("fired") {
        status_color("failed")
    } else if kind.ends_with("cancelled") {
        status_color("cancelled")
    } else {
        status_color("completed")
    }
}
