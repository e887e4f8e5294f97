//! `cc-metrics` reports for people: sentences, aligned tables, sparklines (see
//! [`Render`]); the reports that are lists are wrapped with what their sentences need.

use serde::Serialize;

use super::report::{
    CujRow, CujWindowsRow, FailureReport, PercentileReport, QualityBucket, QualityReport,
    RateReport, TrendReport, WindowFigures, WorkflowRow,
};
use crate::output::{
    self, Block, Render, Span, Style, TableModel, human_opt_duration, human_rate, human_window,
    one_line,
};
use crate::time::Timestamp;

fn time(t: Option<Timestamp>, style: &Style) -> String {
    t.map_or_else(|| "-".into(), |t| output::human_time(t, style.utc))
}

use output::count as plural;

fn no_executions(cuj: &str, window_ms: i64) -> String {
    format!(
        "no executions of {} in the last {}",
        output::clean(cuj),
        human_window(window_ms)
    )
}

/// `rate`: one sentence.
impl Render for RateReport {
    fn empty(&self) -> Option<String> {
        (self.total == 0).then(|| no_executions(&self.cuj_id, self.window_ms))
    }

    fn human(&self, _: &Style) -> Vec<Block> {
        vec![Block::text(format!(
            "{}: {} success over the last {} ({} of {}; {})",
            output::clean(&self.cuj_id),
            human_rate(self.success_rate),
            human_window(self.window_ms),
            self.successes,
            plural(self.total, "execution", "executions"),
            plural(self.failures, "failure", "failures"),
        ))]
    }
}

/// `all WINDOW`: a table of journeys.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct AllReport {
    /// The window, milliseconds.
    #[serde(skip)]
    pub window_ms: i64,
    /// One row per journey.
    pub rows: Vec<CujRow>,
}

impl Render for AllReport {
    fn empty(&self) -> Option<String> {
        self.rows.is_empty().then(|| {
            format!(
                "no journey executions in the last {}",
                human_window(self.window_ms)
            )
        })
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&[
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
        ])
        .right_from(1);
        for r in &self.rows {
            let f = &r.figures;
            t.push(vec![
                output::clean(&r.cuj_id).into(),
                f.total.to_string().into(),
                f.successes.to_string().into(),
                f.failures.to_string().into(),
                human_rate(f.success_rate).into(),
                human_opt_duration(f.p50).into(),
                human_opt_duration(f.p95).into(),
                human_opt_duration(f.p99).into(),
                time(r.last_run, style).into(),
                time(r.last_failure, style).into(),
            ]);
        }
        vec![Block::Table(t)]
    }
}

fn window_cell(f: &WindowFigures) -> String {
    if f.total == 0 {
        "-".into()
    } else {
        format!("{} ({})", human_rate(f.success_rate), f.total)
    }
}

/// `all`: success rate (and count) per journey in each standard window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct AllWindowsReport {
    /// One row per journey.
    pub rows: Vec<CujWindowsRow>,
}

impl Render for AllWindowsReport {
    fn empty(&self) -> Option<String> {
        self.rows
            .is_empty()
            .then(|| "no journey executions in the last 30d".into())
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&[
            "CUJ",
            "1H",
            "24H",
            "7D",
            "30D",
            "P95 (24H)",
            "LAST RUN",
            "LAST FAILURE",
        ])
        .right_from(1);
        for r in &self.rows {
            let mut row: Vec<Span> = vec![output::clean(&r.cuj_id).into()];
            row.extend(r.windows.iter().map(|(_, f)| Span::from(window_cell(f))));
            row.push(human_opt_duration(r.windows.day.p95).into());
            row.push(time(r.last_run, style).into());
            row.push(time(r.last_failure, style).into());
            t.push(row);
        }
        vec![Block::Table(t)]
    }
}

/// `trending`: a sparkline of the success rate, then one row per bucket.
impl Render for TrendReport {
    fn empty(&self) -> Option<String> {
        let total: u64 = self.buckets.iter().map(|b| b.total).sum();
        let span = self.bucket_ms.saturating_mul(self.buckets.len() as i64);
        (total == 0).then(|| no_executions(&self.cuj_id, span))
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let span = self.bucket_ms.saturating_mul(self.buckets.len() as i64);
        let rates: Vec<Option<f64>> = self.buckets.iter().map(|b| b.success_rate).collect();
        let title = format!(
            "{}: success rate per {} over the last {}  {}",
            output::clean(&self.cuj_id),
            human_window(self.bucket_ms),
            human_window(span),
            output::sparkline(&rates)
        );
        let mut t = TableModel::new(&["START", "TOTAL", "SUCCESS", "P50", "P95"]).right_from(1);
        for b in &self.buckets {
            t.push(vec![
                output::human_time(b.start, style.utc).into(),
                b.total.to_string().into(),
                if b.total == 0 {
                    "-".into()
                } else {
                    human_rate(b.success_rate).into()
                },
                human_opt_duration(b.p50).into(),
                human_opt_duration(b.p95).into(),
            ]);
        }
        vec![Block::text(title), Block::Table(t)]
    }
}

impl FailureReport {
    fn subject(&self) -> &str {
        if self.cuj_id == crate::metrics::ALL_SOURCES {
            "journeys, runs and providers"
        } else {
            self.cuj_id.as_str()
        }
    }
}

/// `failures`: one block per pattern.
impl Render for FailureReport {
    fn empty(&self) -> Option<String> {
        (self.total_failures == 0).then(|| {
            format!(
                "no failures of {} in the last {}",
                output::clean(self.subject()),
                human_window(self.window_ms)
            )
        })
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let mut blocks = vec![Block::text(format!(
            "{}: {} in the last {}, {}",
            output::clean(self.subject()),
            plural(self.total_failures, "failure", "failures"),
            human_window(self.window_ms),
            plural(self.patterns.len() as u64, "pattern", "patterns"),
        ))];
        for p in &self.patterns {
            blocks.push(Block::text(""));
            let category = p.category.as_str();
            blocks.push(Block::Line(vec![
                Span::from(format!(
                    "{:>5}  {:>6}  ",
                    p.count,
                    format!("{:.1}%", p.share * 100.0)
                )),
                if category == "other" {
                    Span::from(category)
                } else {
                    Span::failure(category)
                },
                Span::from(format!(
                    "  first {}  last {}",
                    output::human_time(p.first_seen, style.utc),
                    output::human_time(p.last_seen, style.utc),
                )),
            ]));
            blocks.push(Block::text(format!(
                "       {}",
                one_line(&p.pattern, usize::MAX)
            )));
            if !p.sources.is_empty() {
                let from: Vec<String> = p.sources.iter().map(|(k, n)| format!("{n} {k}")).collect();
                blocks.push(Block::text(format!("       from {}", from.join(", "))));
            }
            if !p.example.is_empty() && p.example != p.pattern {
                blocks.push(Block::text(format!(
                    "       e.g. {}",
                    one_line(&p.example, 160)
                )));
            }
        }
        blocks
    }
}

/// `percentiles`: one row.
impl Render for PercentileReport {
    fn empty(&self) -> Option<String> {
        (self.summary.count == 0).then(|| no_executions(&self.cuj_id, self.window_ms))
    }

    fn human(&self, _: &Style) -> Vec<Block> {
        let s = &self.summary;
        let title = format!(
            "{}: durations of {} over the last {}",
            output::clean(&self.cuj_id),
            plural(s.count, "execution", "executions"),
            human_window(self.window_ms)
        );
        let mut t = TableModel::new(&[
            "COUNT", "MIN", "P50", "P75", "P90", "P95", "P99", "MAX", "MEAN",
        ])
        .right_from(0);
        let mut row: Vec<Span> = vec![s.count.to_string().into()];
        row.extend(
            [s.min, s.p50, s.p75, s.p90, s.p95, s.p99, s.max, s.mean]
                .map(|v| Span::from(human_opt_duration(v))),
        );
        t.push(row);
        vec![Block::text(title), Block::Table(t)]
    }
}

/// `workflows`: a table of workflows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct WorkflowsReport {
    /// The window, milliseconds.
    #[serde(skip)]
    pub window_ms: i64,
    /// One row per workflow.
    pub rows: Vec<WorkflowRow>,
}

impl Render for WorkflowsReport {
    fn empty(&self) -> Option<String> {
        self.rows.is_empty().then(|| {
            format!(
                "no workflow executions in the last {}",
                human_window(self.window_ms)
            )
        })
    }

    fn human(&self, _: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&[
            "WORKFLOW",
            "RUNS",
            "SUCCESS",
            "ITERATIONS",
            "MEAN",
            "P95",
            "QUALITY",
        ])
        .right_from(1);
        for r in &self.rows {
            t.push(vec![
                output::clean(&r.workflow).into(),
                r.runs.to_string().into(),
                human_rate(r.success_rate).into(),
                r.mean_iterations
                    .map_or("-".into(), |v| format!("{v:.1}"))
                    .into(),
                human_opt_duration(r.mean_duration).into(),
                human_opt_duration(r.p95_duration).into(),
                score(r.mean_quality).into(),
            ]);
        }
        vec![Block::Table(t)]
    }
}

fn score(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

fn quality_cells(b: &QualityBucket) -> Vec<Span> {
    [
        b.composite,
        b.correctness,
        b.type_safety,
        b.code_style,
        b.test_coverage,
        b.completeness,
    ]
    .into_iter()
    .map(|v| Span::from(score(v)))
    .chain(std::iter::once(Span::from(match b.meeting_threshold {
        Some(_) => human_rate(b.meeting_threshold),
        None => "-".into(),
    })))
    .collect()
}

impl QualityReport {
    fn scope(&self) -> String {
        let mut scope = String::new();
        if let Some(c) = &self.cuj_id {
            scope.push_str(&format!(" of {c}"));
        }
        if let Some(w) = &self.workflow {
            scope.push_str(&format!(" in workflow {w}"));
        }
        scope
    }

    fn span(&self) -> i64 {
        self.bucket_ms.saturating_mul(self.buckets.len() as i64)
    }
}

/// `quality`: the overall means, then one row per bucket.
impl Render for QualityReport {
    fn empty(&self) -> Option<String> {
        (self.overall.scored == 0).then(|| {
            format!(
                "no quality scores{} in the last {}",
                self.scope(),
                human_window(self.span())
            )
        })
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let title = format!(
            "quality{} over the last {}: composite {}, {} meeting the threshold ({} scored)",
            self.scope(),
            human_window(self.span()),
            score(self.overall.composite),
            human_rate(self.overall.meeting_threshold),
            plural(self.overall.scored, "execution", "executions"),
        );
        let mut t = TableModel::new(&[
            "START",
            "SCORED",
            "COMPOSITE",
            "CORRECTNESS",
            "TYPES",
            "STYLE",
            "TESTS",
            "COMPLETE",
            "MEETING",
        ])
        .right_from(1);
        for b in &self.buckets {
            let mut row: Vec<Span> = vec![
                output::human_time(b.start, style.utc).into(),
                b.scored.to_string().into(),
            ];
            row.extend(quality_cells(b));
            t.push(row);
        }
        vec![Block::text(title), Block::Table(t)]
    }
}
