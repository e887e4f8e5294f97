//! `cc-progress` for people: event lines, run summaries, timelines, lists, chains and
//! live bars.

use std::borrow::Cow;

use serde::Serialize;

use super::chain::{ChainReport, ChainRow, RunRow};
use super::state::RunState;
use crate::output::{self, Block, Render, Span, Style, TableModel, Tone, human_duration, one_line};
#[cfg(feature = "cli")]
use crate::output::{paint, status_color};
#[cfg(feature = "cli")]
use crate::record::RunStatus;
use crate::record::{PrStatus, ProgressEvent, error_message};

#[cfg(feature = "cli")]
fn status_word(status: RunStatus, style: Style) -> String {
    paint(status.as_str(), status_color(status.as_str()), style.color)
}

fn percent(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

#[cfg(feature = "cli")]
/// One event as a line: `2026-11-20 13:45:01  run-001  step 1/4  running  25%  Analyzing code`.
pub fn event_line(e: &ProgressEvent, style: Style) -> String {
    let time = e
        .timestamp
        .map_or_else(|| "-".into(), |t| output::human_time(t, style.utc));
    let mut line = format!("{time}  {}", output::clean(&e.run_id));
    if let Some(o) = &e.output {
        line.push_str(&format!(
            "  [{}]  {}",
            o.stream.as_str(),
            one_line(&o.text, 200)
        ));
        return line;
    }
    match (e.step, e.total_steps) {
        (Some(s), Some(t)) => line.push_str(&format!("  step {s}/{t}")),
        (Some(s), None) => line.push_str(&format!("  step {s}")),
        _ => {}
    }
    if let Some(status) = e.status {
        line.push_str(&format!("  {}", status_word(status, style)));
    }
    if let Some(p) = e.percentage {
        line.push_str(&format!("  {}", percent(p)));
    }
    if let Some(m) = &e.message {
        line.push_str(&format!("  {}", one_line(m, 120)));
    }
    for (k, v) in [("role", &e.role), ("tool", &e.tool), ("model", &e.model)] {
        if let Some(v) = v {
            line.push_str(&format!("  {k}={}", output::clean(v)));
        }
    }
    if let Some(pr) = &e.pr_url {
        line.push_str(&format!("  pr={}", output::clean(pr)));
    }
    if let Some(err) = error_message(&e.error) {
        line.push_str(&format!("  error={:?}", one_line(&err, 120)));
    }
    line
}

/// `history`: events as a table (the stored lines, redacted, as NDJSON for programs).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct HistoryReport {
    /// The run.
    #[serde(skip)]
    pub run_id: String,
    /// The events, oldest first.
    pub events: Vec<ProgressEvent>,
    /// Each event's stored line as printed for programs (redacted).
    #[serde(skip)]
    pub lines: Vec<String>,
}

/// `history RUN [LIMIT]`: the run's last `limit` events (0 for all), oldest first, with
/// or without its output chunks.
pub fn history_report(
    roots: &crate::store::Roots,
    run_id: &str,
    limit: usize,
    with_output: bool,
    redactor: &crate::redact::Redactor,
) -> crate::Result<(HistoryReport, crate::store::Skipped)> {
    let (mut events, skipped) = super::read::run_events(roots, run_id)?;
    if !with_output {
        events.retain(|s| s.event.output.is_none());
    }
    if limit > 0 {
        let extra = events.len().saturating_sub(limit);
        events.drain(..extra);
    }
    let lines = events
        .iter()
        .map(|s| crate::log::render_record_line(&s.line, redactor))
        .collect();
    let report = HistoryReport {
        run_id: run_id.to_string(),
        events: events.into_iter().map(|s| s.event).collect(),
        lines,
    };
    Ok((report, skipped))
}

impl Render for HistoryReport {
    fn empty(&self) -> Option<String> {
        self.events
            .is_empty()
            .then(|| format!("no events for run {}", output::clean(&self.run_id)))
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&["TIME", "STEP", "STATUS", "PCT", "MESSAGE", "ERROR"]);
        for e in &self.events {
            t.push(vec![
                e.timestamp
                    .map_or_else(|| "-".into(), |t| output::human_time(t, style.utc))
                    .into(),
                e.step.map_or("-".into(), |s| s.to_string()).into(),
                match (e.status, &e.output) {
                    (Some(st), _) => Span::status(st.as_str()),
                    (None, Some(o)) => format!("[{}]", o.stream.as_str()).into(),
                    (None, None) => "-".into(),
                },
                e.percentage.map_or("-".into(), percent).into(),
                match &e.output {
                    Some(o) => one_line(&o.text, 60),
                    None => e.message.as_deref().map_or("-".into(), |m| one_line(m, 60)),
                }
                .into(),
                error_message(&e.error)
                    .map_or(String::new(), |m| one_line(&m, 60))
                    .into(),
            ]);
        }
        vec![Block::Table(t.right(&[1, 3]))]
    }

    fn json_lines(&self) -> crate::Result<Option<Vec<Cow<'_, str>>>> {
        Ok(Some(
            self.lines
                .iter()
                .map(|l| Cow::Borrowed(l.as_str()))
                .collect(),
        ))
    }
}

fn progress_words(s: &RunState) -> String {
    let mut words = String::new();
    match (s.step, s.total_steps) {
        (Some(st), Some(t)) => words.push_str(&format!(", step {st} of {t}")),
        (Some(st), None) if st > 0 => words.push_str(&format!(", step {st}")),
        _ => {}
    }
    words.push_str(&format!(", {}", percent(s.percentage)));
    words
}

/// `current`: the folded state as a short block.
fn current(s: &RunState, style: &Style) -> Vec<Block> {
    let title = match &s.name {
        Some(n) => format!("{}  {}", output::clean(&s.run_id), one_line(n, usize::MAX)),
        None => output::clean(&s.run_id).into_owned(),
    };
    let mut blocks = vec![
        Block::text(title),
        Block::Line(vec![
            Span::from(format!("  {:<8} ", "status")),
            Span::status(s.status.as_str()),
            Span::from(progress_words(s)),
        ]),
    ];
    let mut rows: Vec<(&str, String)> = Vec::new();
    if let Some(m) = &s.message {
        rows.push(("message", one_line(m, 100)));
    }
    if let Some(src) = &s.source {
        rows.push(("source", output::clean(src).into_owned()));
    }
    if let Some(w) = &s.workflow {
        rows.push(("workflow", output::clean(w).into_owned()));
    }
    if let Some(p) = &s.prompt {
        rows.push(("prompt", one_line(p, 100)));
    }
    if let Some(id) = &s.sandbox_id {
        rows.push(("sandbox", output::clean(id).into_owned()));
    }
    if let Some(id) = &s.trigger_run_id {
        rows.push(("trigger", output::clean(id).into_owned()));
    }
    if let Some(c) = s.composite {
        let verdict = match s.threshold_result {
            Some(true) => " (meets threshold)",
            Some(false) => " (below threshold)",
            None => "",
        };
        rows.push(("quality", format!("{}{verdict}", score(c))));
    }
    if let Some(c) = s.cost_usd {
        rows.push(("cost", format!("${c:.4}")));
    }
    let verb = if s.is_done() { "took" } else { "elapsed" };
    rows.push((
        "started",
        format!(
            "{} ({verb} {})",
            output::human_time(s.started_at, style.utc),
            human_duration(s.duration_ms)
        ),
    ));
    rows.push(("updated", output::human_time(s.updated_at, style.utc)));
    if let Some(chain) = &s.chain_id {
        let place = match (s.sprint_index, s.sprint_total) {
            (Some(i), Some(t)) => format!(" (sprint {i} of {t})"),
            (Some(i), None) => format!(" (sprint {i})"),
            _ => String::new(),
        };
        rows.push(("chain", format!("{}{place}", output::clean(chain))));
    }
    if let Some(url) = &s.pr_url {
        let pr_status = s
            .pr_status
            .map(|p| format!(" ({})", p.as_str()))
            .unwrap_or_default();
        rows.push(("pr", format!("{}{pr_status}", output::clean(url))));
    }
    if let Some(e) = &s.pr_error {
        rows.push(("pr error", one_line(e, 100)));
    }
    blocks.extend(
        rows.into_iter()
            .map(|(k, v)| Block::text(format!("  {k:<8} {v}"))),
    );
    blocks
}

fn score(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A step's quality in a cell: `pass 85.5`, `fail`, `85.5`, or `-`.
fn step_quality(st: &super::state::StepState) -> String {
    match (st.verdict.as_deref(), st.composite()) {
        (Some(v), Some(c)) => format!("{v} {}", score(c)),
        (Some(v), None) => v.to_string(),
        (None, Some(c)) => score(c),
        (None, None) => "-".into(),
    }
}

/// `show`: the summary, the step timeline, quality, CI checks and errors.
fn show(s: &RunState, style: &Style) -> Vec<Block> {
    let mut blocks = current(s, style);
    if !s.steps.is_empty() {
        blocks.push(Block::text(""));
        let mut t = TableModel::new(&[
            "STEP", "STATUS", "ROLE", "TOOL", "MODEL", "ITER", "DURATION", "QUALITY", "MESSAGE",
        ])
        .right(&[0, 5, 6]);
        for st in &s.steps {
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            t.push(vec![
                st.step.to_string().into(),
                Span::status(st.status.as_str()),
                output::clean(&opt(&st.role)).into(),
                output::clean(&opt(&st.tool)).into(),
                output::clean(&opt(&st.model)).into(),
                st.iteration.map_or("-".into(), |i| i.to_string()).into(),
                output::human_opt_duration(st.duration_ms).into(),
                step_quality(st).into(),
                st.message
                    .as_deref()
                    .map_or("-".into(), |m| one_line(m, 60))
                    .into(),
            ]);
        }
        blocks.push(Block::Table(t));
    }
    if let Some(q) = &s.quality {
        blocks.push(Block::text(""));
        blocks.push(Block::text("quality"));
        match q.as_object() {
            Some(map) => {
                for (k, v) in map {
                    blocks.push(Block::text(format!(
                        "  {:<16} {}",
                        output::clean(k),
                        output::human_json(v)
                    )));
                }
            }
            None => blocks.push(Block::text(format!("  {}", output::human_json(q)))),
        }
    }
    if let Some(ci) = &s.ci {
        blocks.push(Block::text(""));
        let checked = ci
            .checked_at
            .map(|t| format!(" (checked {})", output::human_time(t, style.utc)))
            .unwrap_or_default();
        blocks.push(Block::text(format!(
            "CI {}{checked}",
            output::clean(ci.status.as_deref().unwrap_or(""))
        )));
        for c in &ci.checks {
            let url = c
                .url
                .as_deref()
                .map(|u| format!("  {}", output::clean(u)))
                .unwrap_or_default();
            blocks.push(Block::Line(vec![
                Span::from("  "),
                Span::toned(output::clean(&c.status), check_tone(&c.status)),
                Span::from(format!("  {}{url}", output::clean(&c.name))),
            ]));
        }
    }
    if !s.errors.is_empty() {
        blocks.push(Block::text(""));
        blocks.push(Block::text("errors"));
        for e in &s.errors {
            let step = e.step.map(|k| format!(" step {k}")).unwrap_or_default();
            blocks.push(Block::text(format!(
                "  {}{step}  {}",
                output::human_time(e.timestamp, style.utc),
                one_line(&e.message, 200)
            )));
        }
    }
    blocks
}

fn check_tone(status: &str) -> Tone {
    match status {
        "success" | "passing" | "passed" => Tone::Like("completed"),
        "failure" | "failing" | "failed" | "error" => Tone::Like("failed"),
        "pending" | "queued" | "in_progress" => Tone::Like("running"),
        _ => Tone::Plain,
    }
}

/// `current RUN` and `show RUN`: the run's folded state (`null` in JSON when the run
/// has no events), as a short block or in detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct RunReport {
    /// The run asked about.
    #[serde(skip)]
    pub run_id: String,
    /// `show`: the step timeline, quality, CI checks and errors too.
    #[serde(skip)]
    pub detail: bool,
    /// The state, if the run has events.
    pub state: Option<RunState>,
}

impl Render for RunReport {
    fn empty(&self) -> Option<String> {
        self.state
            .is_none()
            .then(|| format!("no events for run {}", output::clean(&self.run_id)))
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        match &self.state {
            Some(s) if self.detail => show(s, style),
            Some(s) => current(s, style),
            None => Vec::new(),
        }
    }
}

/// `runs`: a page of runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct RunsReport {
    /// The page's rows, newest first.
    pub rows: Vec<RunRow>,
    /// How many runs match in all.
    #[serde(skip)]
    pub total: usize,
    /// The page, from 1.
    #[serde(skip)]
    pub page: usize,
    /// Rows per page (0: all on one).
    #[serde(skip)]
    pub limit: usize,
}

impl Render for RunsReport {
    fn empty(&self) -> Option<String> {
        self.rows.is_empty().then(|| {
            if self.total == 0 {
                "no runs match".into()
            } else {
                format!("page {} is empty: {} runs match", self.page, self.total)
            }
        })
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&[
            "RUN", "STATUS", "NAME", "SOURCE", "PREVIEW", "STARTED", "DURATION", "CI", "QUALITY",
            "COST", "PR",
        ])
        .right(&[6, 8, 9]);
        for r in &self.rows {
            let opt = |v: &Option<String>, max: usize| {
                v.as_deref()
                    .map_or_else(|| "-".into(), |s| one_line(s, max))
            };
            let status = if r.stale {
                Span::toned("stale", Tone::Warning)
            } else {
                Span::status(r.status.as_str())
            };
            let pr = match r.pr_status {
                Some(PrStatus::BlockedOnCi) if style.color => Span::failure("blocked_on_ci"),
                Some(PrStatus::BlockedOnCi) => "BLOCKED_ON_CI".into(),
                Some(p) => p.as_str().into(),
                None => "-".into(),
            };
            let preview = r.prompt.as_ref().or(r.message.as_ref()).cloned();
            t.push(vec![
                output::clean(&r.run_id).into(),
                status,
                opt(&r.name, 32).into(),
                opt(&r.source, 12).into(),
                opt(&preview, 40).into(),
                output::human_time(r.started_at, style.utc).into(),
                human_duration(r.duration_ms).into(),
                opt(&r.ci_status, 10).into(),
                r.quality.map_or_else(|| "-".into(), score).into(),
                r.cost_usd
                    .map_or_else(|| "-".into(), |c| format!("${c:.2}"))
                    .into(),
                pr,
            ]);
        }
        let mut blocks = vec![Block::Table(t)];
        if self.limit > 0 && self.total > self.rows.len() {
            let pages = self.total.div_ceil(self.limit);
            let more = if self.page < pages {
                "; --page N for more"
            } else {
                ""
            };
            let noun = if self.total == 1 { "run" } else { "runs" };
            blocks.push(Block::text(format!(
                "page {} of {pages} ({} {noun}{more})",
                self.page, self.total
            )));
        }
        blocks
    }
}

/// `chain CHAIN`: the chain's status and one row per sprint (`null` in JSON when no
/// run belongs to it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ChainView {
    /// The chain asked about.
    #[serde(skip)]
    pub chain_id: String,
    /// The chain, if any run belongs to it.
    pub chain: Option<ChainReport>,
}

impl Render for ChainView {
    fn empty(&self) -> Option<String> {
        self.chain
            .is_none()
            .then(|| format!("no runs belong to chain {}", self.chain_id))
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let Some(c) = &self.chain else {
            return Vec::new();
        };
        let title = Block::Line(vec![
            Span::from(format!("{}: ", output::clean(&c.chain_id))),
            Span::status(c.status.as_str()),
            Span::from(format!(
                " — {} of {} sprints completed",
                c.completed, c.total
            )),
        ]);
        let time = |t: Option<crate::time::Timestamp>| {
            t.map_or_else(|| "-".into(), |t| output::human_time(t, style.utc))
        };
        let mut t = TableModel::new(&[
            "SPRINT",
            "RUN",
            "STATUS",
            "STARTED",
            "ENDED",
            "DURATION",
            "PR / ERROR",
        ])
        .right(&[0, 5]);
        for s in &c.sprints {
            t.push(vec![
                format!("{}/{}", s.index, c.total).into(),
                output::clean(s.run_id.as_deref().unwrap_or("-")).into(),
                Span::status(s.status.as_str()),
                time(s.started_at).into(),
                time(s.ended_at).into(),
                output::human_opt_duration(s.duration_ms).into(),
                match (&s.pr_url, &s.error) {
                    (Some(pr), _) => output::clean(pr).into(),
                    (None, Some(e)) => one_line(e, 40).into(),
                    (None, None) => "-".into(),
                },
            ]);
            for a in &s.attempts {
                t.push(vec![
                    "earlier".into(),
                    output::clean(&a.run_id).into(),
                    Span::status(a.status.as_str()),
                    time(Some(a.started_at)).into(),
                    time(a.ended_at).into(),
                    human_duration(a.duration_ms).into(),
                    a.error
                        .as_deref()
                        .map_or("-".into(), |e| one_line(e, 40))
                        .into(),
                ]);
            }
        }
        let mut blocks = vec![title, Block::Table(t)];
        if let Some(i) = c.resume_from {
            blocks.push(Block::text(format!(
                "resume from sprint {i} of {}",
                c.total
            )));
        }
        blocks
    }
}

/// `chains`: one row per sprint chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ChainsReport {
    /// One row per chain.
    pub rows: Vec<ChainRow>,
}

impl Render for ChainsReport {
    fn empty(&self) -> Option<String> {
        self.rows.is_empty().then(|| "no sprint chains".into())
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&[
            "CHAIN",
            "STATUS",
            "SPRINTS",
            "RETRIES",
            "RESUME FROM",
            "STARTED",
            "UPDATED",
        ])
        .right(&[2, 3, 4]);
        for r in &self.rows {
            t.push(vec![
                output::clean(&r.chain_id).into(),
                Span::status(r.status.as_str()),
                format!("{}/{}", r.completed, r.total).into(),
                r.retries.to_string().into(),
                r.resume_from.map_or("-".into(), |i| i.to_string()).into(),
                output::human_time(r.started_at, style.utc).into(),
                output::human_time(r.updated_at, style.utc).into(),
            ]);
        }
        vec![Block::Table(t)]
    }
}

#[cfg(feature = "cli")]
/// A live bar for a run, fitting `width` columns:
/// `run-001  [#######-------]  2/4  50%  Analyzing code  1m 03s`. The message goes
/// first when room is short, then the bar narrows, then the run id is cut.
pub fn bar(s: &RunState, width: usize, style: Style) -> String {
    let cells = if width >= 70 { 20 } else { 10 };
    let filled = ((s.percentage / 100.0) * cells as f64)
        .round()
        .clamp(0.0, cells as f64) as usize;
    let bar = format!("[{}{}]", "#".repeat(filled), "-".repeat(cells - filled));
    let steps = match (s.step, s.total_steps) {
        (Some(st), Some(t)) => format!("{st}/{t}"),
        (Some(st), None) => format!("{st}"),
        _ => "-".into(),
    };
    let rest = format!("  {steps}  {}", percent(s.percentage));
    let tail = format!("  {}", human_duration(s.duration_ms));
    let fixed = bar.len() + rest.chars().count() + tail.chars().count() + 2;
    let id_room = width.saturating_sub(fixed).max(4);
    let id = fit(&s.run_id, id_room); // fit() cleans
    let room = width.saturating_sub(fixed + id.chars().count() + 2);
    let message = s
        .message
        .as_deref()
        .map(|m| fit(m, room))
        .unwrap_or_default();
    let bar = paint(&bar, status_color(s.status.as_str()), style.color);
    if message.is_empty() || room < 4 {
        format!("{id}  {bar}{rest}{tail}")
    } else {
        format!("{id}  {bar}{rest}  {message}{tail}")
    }
}

#[cfg(feature = "cli")]
/// Text on one line in at most `n` characters, the ellipsis included.
fn fit(text: &str, n: usize) -> String {
    let flat = one_line(text, usize::MAX);
    if flat.chars().count() <= n {
        flat
    } else {
        one_line(&flat, n.saturating_sub(1))
    }
}

#[cfg(feature = "cli")]
/// The final line of a finished run in the live view.
pub fn finished_line(s: &RunState, style: Style) -> String {
    let mut line = format!(
        "{}  {}  {}  {}",
        output::clean(&s.run_id),
        status_word(s.status, style),
        percent(s.percentage),
        human_duration(s.duration_ms)
    );
    if let Some(n) = &s.name {
        line.push_str(&format!("  {}", one_line(n, 40)));
    }
    if let Some(e) = s.errors.last().filter(|_| s.status != RunStatus::Completed) {
        line.push_str(&format!("  error={:?}", one_line(&e.message, 80)));
    } else if let Some(m) = &s.message {
        line.push_str(&format!("  {}", one_line(m, 60)));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    #[test]
    fn bars_fit_the_width() {
        let mut e = ProgressEvent::new("run-001", RunStatus::Running);
        e.step = Some(2);
        e.total_steps = Some(4);
        e.percentage = Some(50.0);
        e.message = Some("Analyzing a rather long list of changed files in the repository".into());
        let s = RunState::fold([&e], Timestamp(63_000)).unwrap();
        let style = Style {
            json: false,
            color: false,
            utc: true,
        };
        for width in [40, 60, 80, 100] {
            let line = bar(&s, width, style);
            assert!(line.chars().count() <= width, "{width}: {line}");
            assert!(line.starts_with("run-001  ["), "{line}");
            assert!(line.contains("]  2/4  50%"), "{line}");
        }
        assert_eq!(
            bar(&s, 100, style),
            "run-001  [##########----------]  2/4  50%  Analyzing a rather long list of changed files in th…  0ms"
        );
        assert_eq!(bar(&s, 100, style).chars().count(), 100);
        // Colour codes do not count towards the width.
        let coloured = bar(
            &s,
            60,
            Style {
                color: true,
                ..style
            },
        );
        assert_eq!(
            crate::output::visible_width(&coloured),
            bar(&s, 60, style).chars().count()
        );
    }
}
