//! `cc-metrics` reports for people: sentences, aligned tables, sparklines.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Table};

use super::report::{
    CujRow, CujWindowsRow, FailureReport, PercentileReport, QualityBucket, QualityReport,
    RateReport, TrendReport, WindowFigures, WorkflowRow,
};
use crate::output::{self, Style, human_opt_duration, human_rate, human_window, one_line};
use crate::time::Timestamp;

fn right_align(t: &mut Table, from: usize) {
    let columns = t.column_count();
    for i in from..columns {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn time(t: Option<Timestamp>, style: Style) -> String {
    t.map_or_else(|| "-".into(), |t| output::human_time(t, style.utc))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn no_executions(out: &mut dyn Write, cuj: &str, window_ms: i64) -> io::Result<()> {
    writeln!(
        out,
        "no executions of {} in the last {}",
        output::clean(cuj),
        human_window(window_ms)
    )
}

/// `rate`: one sentence.
pub fn rate(out: &mut dyn Write, r: &RateReport) -> io::Result<()> {
    if r.total == 0 {
        return no_executions(out, &r.cuj_id, r.window_ms);
    }
    writeln!(
        out,
        "{}: {} success over the last {} ({} of {}; {})",
        output::clean(&r.cuj_id),
        human_rate(r.success_rate),
        human_window(r.window_ms),
        r.successes,
        plural(r.total, "execution", "executions"),
        plural(r.failures, "failure", "failures"),
    )
}

/// `all WINDOW`: a table of journeys.
pub fn all(out: &mut dyn Write, rows: &[CujRow], window_ms: i64, style: Style) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(
            out,
            "no journey executions in the last {}",
            human_window(window_ms)
        );
    }
    let mut t = output::table(
        style,
        &[
            "CUJ",
            "TOTAL",
            "OK",
            "FAILED",
            "SUCCESS",
            "P50",
            "P95",
            "P99",
            "LAST RUN",
            "LAST FAILURE",
        ],
    );
    for r in rows {
        let f = &r.figures;
        t.add_row(vec![
            Cell::new(output::clean(&r.cuj_id)),
            Cell::new(f.total),
            Cell::new(f.successes),
            Cell::new(f.failures),
            Cell::new(human_rate(f.success_rate)),
            Cell::new(human_opt_duration(f.p50)),
            Cell::new(human_opt_duration(f.p95)),
            Cell::new(human_opt_duration(f.p99)),
            Cell::new(time(r.last_run, style)),
            Cell::new(time(r.last_failure, style)),
        ]);
    }
    right_align(&mut t, 1);
    output::write_table(out, &t)
}

fn window_cell(f: &WindowFigures) -> String {
    if f.total == 0 {
        "-".into()
    } else {
        format!("{} ({})", human_rate(f.success_rate), f.total)
    }
}

/// `all`: success rate (and count) per journey in each standard window.
pub fn all_windows(out: &mut dyn Write, rows: &[CujWindowsRow], style: Style) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no journey executions in the last 30d");
    }
    let mut t = output::table(
        style,
        &[
            "CUJ",
            "1H",
            "24H",
            "7D",
            "30D",
            "P95 (24H)",
            "LAST RUN",
            "LAST FAILURE",
        ],
    );
    for r in rows {
        let mut row = vec![Cell::new(output::clean(&r.cuj_id))];
        row.extend(r.windows.iter().map(|(_, f)| Cell::new(window_cell(f))));
        row.push(Cell::new(human_opt_duration(r.windows.day.p95)));
        row.push(Cell::new(time(r.last_run, style)));
        row.push(Cell::new(time(r.last_failure, style)));
        t.add_row(row);
    }
    right_align(&mut t, 1);
    output::write_table(out, &t)
}

/// `trending`: a sparkline of the success rate, then one row per bucket.
pub fn trending(out: &mut dyn Write, r: &TrendReport, style: Style) -> io::Result<()> {
    let total: u64 = r.buckets.iter().map(|b| b.total).sum();
    let span = r.bucket_ms.saturating_mul(r.buckets.len() as i64);
    if total == 0 {
        return no_executions(out, &r.cuj_id, span);
    }
    let rates: Vec<Option<f64>> = r.buckets.iter().map(|b| b.success_rate).collect();
    writeln!(
        out,
        "{}: success rate per {} over the last {}  {}",
        output::clean(&r.cuj_id),
        human_window(r.bucket_ms),
        human_window(span),
        output::sparkline(&rates)
    )?;
    let mut t = output::table(style, &["START", "TOTAL", "SUCCESS", "P50", "P95"]);
    for b in &r.buckets {
        t.add_row(vec![
            Cell::new(output::human_time(b.start, style.utc)),
            Cell::new(b.total),
            Cell::new(if b.total == 0 {
                "-".into()
            } else {
                human_rate(b.success_rate)
            }),
            Cell::new(human_opt_duration(b.p50)),
            Cell::new(human_opt_duration(b.p95)),
        ]);
    }
    right_align(&mut t, 1);
    output::write_table(out, &t)
}

/// `failures`: one block per pattern.
pub fn failures(out: &mut dyn Write, r: &FailureReport, style: Style) -> io::Result<()> {
    let subject = if r.cuj_id == crate::metrics::ALL_SOURCES {
        "journeys, runs and providers"
    } else {
        r.cuj_id.as_str()
    };
    if r.total_failures == 0 {
        return writeln!(
            out,
            "no failures of {} in the last {}",
            output::clean(subject),
            human_window(r.window_ms)
        );
    }
    writeln!(
        out,
        "{}: {} in the last {}, {}",
        output::clean(subject),
        plural(r.total_failures, "failure", "failures"),
        human_window(r.window_ms),
        plural(r.patterns.len() as u64, "pattern", "patterns"),
    )?;
    for p in &r.patterns {
        writeln!(out)?;
        let category = p.category.as_str();
        writeln!(
            out,
            "{:>5}  {:>6}  {}  first {}  last {}",
            p.count,
            format!("{:.1}%", p.share * 100.0),
            output::paint(category, category_color(category), style.color),
            output::human_time(p.first_seen, style.utc),
            output::human_time(p.last_seen, style.utc),
        )?;
        writeln!(out, "       {}", one_line(&p.pattern, usize::MAX))?;
        if !p.sources.is_empty() {
            let from: Vec<String> = p.sources.iter().map(|(k, n)| format!("{n} {k}")).collect();
            writeln!(out, "       from {}", from.join(", "))?;
        }
        if !p.example.is_empty() && p.example != p.pattern {
            writeln!(out, "       e.g. {}", one_line(&p.example, 160))?;
        }
    }
    Ok(())
}

fn category_color(category: &str) -> Option<comfy_table::Color> {
    match category {
        "other" => None,
        _ => output::status_color("failed"),
    }
}

/// `percentiles`: one row.
pub fn percentiles(out: &mut dyn Write, r: &PercentileReport, style: Style) -> io::Result<()> {
    let s = &r.summary;
    if s.count == 0 {
        return no_executions(out, &r.cuj_id, r.window_ms);
    }
    writeln!(
        out,
        "{}: durations of {} over the last {}",
        output::clean(&r.cuj_id),
        plural(s.count, "execution", "executions"),
        human_window(r.window_ms)
    )?;
    let mut t = output::table(
        style,
        &[
            "COUNT", "MIN", "P50", "P75", "P90", "P95", "P99", "MAX", "MEAN",
        ],
    );
    let mut row = vec![Cell::new(s.count)];
    row.extend(
        [s.min, s.p50, s.p75, s.p90, s.p95, s.p99, s.max, s.mean]
            .map(|v| Cell::new(human_opt_duration(v))),
    );
    t.add_row(row);
    right_align(&mut t, 0);
    output::write_table(out, &t)
}

/// `workflows`: a table of workflows.
pub fn workflows(
    out: &mut dyn Write,
    rows: &[WorkflowRow],
    window_ms: i64,
    style: Style,
) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(
            out,
            "no workflow executions in the last {}",
            human_window(window_ms)
        );
    }
    let mut t = output::table(
        style,
        &[
            "WORKFLOW",
            "RUNS",
            "SUCCESS",
            "ITERATIONS",
            "MEAN",
            "P95",
            "QUALITY",
        ],
    );
    for r in rows {
        t.add_row(vec![
            Cell::new(output::clean(&r.workflow)),
            Cell::new(r.runs),
            Cell::new(human_rate(r.success_rate)),
            Cell::new(r.mean_iterations.map_or("-".into(), |v| format!("{v:.1}"))),
            Cell::new(human_opt_duration(r.mean_duration)),
            Cell::new(human_opt_duration(r.p95_duration)),
            Cell::new(score(r.mean_quality)),
        ]);
    }
    right_align(&mut t, 1);
    output::write_table(out, &t)
}

fn score(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

fn quality_cells(b: &QualityBucket) -> Vec<Cell> {
    [
        b.composite,
        b.correctness,
        b.type_safety,
        b.code_style,
        b.test_coverage,
        b.completeness,
    ]
    .into_iter()
    .map(|v| Cell::new(score(v)))
    .chain(std::iter::once(Cell::new(match b.meeting_threshold {
        Some(_) => human_rate(b.meeting_threshold),
        None => "-".into(),
    })))
    .collect()
}

/// `quality`: the overall means, then one row per bucket.
pub fn quality(out: &mut dyn Write, r: &QualityReport, style: Style) -> io::Result<()> {
    let span = r.bucket_ms.saturating_mul(r.buckets.len() as i64);
    let mut scope = String::new();
    if let Some(c) = &r.cuj_id {
        scope.push_str(&format!(" of {c}"));
    }
    if let Some(w) = &r.workflow {
        scope.push_str(&format!(" in workflow {w}"));
    }
    if r.overall.scored == 0 {
        return writeln!(
            out,
            "no quality scores{scope} in the last {}",
            human_window(span)
        );
    }
    writeln!(
        out,
        "quality{scope} over the last {}: composite {}, {} meeting the threshold ({} scored)",
        human_window(span),
        score(r.overall.composite),
        human_rate(r.overall.meeting_threshold),
        plural(r.overall.scored, "execution", "executions"),
    )?;
    let mut t = output::table(
        style,
        &[
            "START",
            "SCORED",
            "COMPOSITE",
            "CORRECTNESS",
            "TYPES",
            "STYLE",
            "TESTS",
            "COMPLETE",
            "MEETING",
        ],
    );
    for b in &r.buckets {
        let mut row = vec![
            Cell::new(output::human_time(b.start, style.utc)),
            Cell::new(b.scored),
        ];
        row.extend(quality_cells(b));
        t.add_row(row);
    }
    right_align(&mut t, 1);
    output::write_table(out, &t)
}
