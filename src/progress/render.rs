//! `cc-progress` for people: event lines, run summaries, timelines, lists, chains and
//! live bars.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Table};

use super::chain::{ChainReport, ChainRow, RunRow};
use super::state::RunState;
use crate::output::{self, Style, human_duration, one_line, paint, status_cell, status_color};
use crate::record::{PrStatus, ProgressEvent, RunStatus, error_message};

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

/// `history`: events as a table.
pub fn history(out: &mut dyn Write, events: &[&ProgressEvent], style: Style) -> io::Result<()> {
    let mut t = output::table(
        style,
        &["TIME", "STEP", "STATUS", "PCT", "MESSAGE", "ERROR"],
    );
    for e in events {
        t.add_row(vec![
            Cell::new(
                e.timestamp
                    .map_or_else(|| "-".into(), |t| output::human_time(t, style.utc)),
            ),
            Cell::new(e.step.map_or("-".into(), |s| s.to_string())),
            match (e.status, &e.output) {
                (Some(st), _) => status_cell(st.as_str(), style),
                (None, Some(o)) => Cell::new(format!("[{}]", o.stream.as_str())),
                (None, None) => Cell::new("-"),
            },
            Cell::new(e.percentage.map_or("-".into(), percent)),
            Cell::new(match &e.output {
                Some(o) => one_line(&o.text, 60),
                None => e.message.as_deref().map_or("-".into(), |m| one_line(m, 60)),
            }),
            Cell::new(error_message(&e.error).map_or(String::new(), |m| one_line(&m, 60))),
        ]);
    }
    right_align(&mut t, &[1, 3]);
    output::write_table(out, &t)
}

fn right_align(t: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn progress_words(s: &RunState) -> String {
    let mut words = s.status.as_str().to_string();
    match (s.step, s.total_steps) {
        (Some(st), Some(t)) => words.push_str(&format!(", step {st} of {t}")),
        (Some(st), None) if st > 0 => words.push_str(&format!(", step {st}")),
        _ => {}
    }
    words.push_str(&format!(", {}", percent(s.percentage)));
    words
}

/// `current`: the folded state as a short block.
pub fn current(out: &mut dyn Write, s: &RunState, style: Style) -> io::Result<()> {
    let title = match &s.name {
        Some(n) => format!("{}  {}", output::clean(&s.run_id), one_line(n, usize::MAX)),
        None => output::clean(&s.run_id).into_owned(),
    };
    writeln!(out, "{title}")?;
    let status = progress_words(s).replacen(s.status.as_str(), &status_word(s.status, style), 1);
    let mut rows: Vec<(&str, String)> = vec![("status", status)];
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
    for (k, v) in rows {
        writeln!(out, "  {k:<8} {v}")?;
    }
    Ok(())
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
pub fn show(out: &mut dyn Write, s: &RunState, style: Style) -> io::Result<()> {
    current(out, s, style)?;
    if !s.steps.is_empty() {
        writeln!(out)?;
        let mut t = output::table(
            style,
            &[
                "STEP", "STATUS", "ROLE", "TOOL", "MODEL", "ITER", "DURATION", "QUALITY", "MESSAGE",
            ],
        );
        for st in &s.steps {
            let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            t.add_row(vec![
                Cell::new(st.step),
                status_cell(st.status.as_str(), style),
                Cell::new(output::clean(&opt(&st.role))),
                Cell::new(output::clean(&opt(&st.tool))),
                Cell::new(output::clean(&opt(&st.model))),
                Cell::new(st.iteration.map_or("-".into(), |i| i.to_string())),
                Cell::new(output::human_opt_duration(st.duration_ms)),
                Cell::new(step_quality(st)),
                Cell::new(
                    st.message
                        .as_deref()
                        .map_or("-".into(), |m| one_line(m, 60)),
                ),
            ]);
        }
        right_align(&mut t, &[0, 5, 6]);
        output::write_table(out, &t)?;
    }
    if let Some(q) = &s.quality {
        writeln!(out)?;
        writeln!(out, "quality")?;
        match q.as_object() {
            Some(map) => {
                for (k, v) in map {
                    writeln!(out, "  {:<16} {}", output::clean(k), output::human_json(v))?;
                }
            }
            None => writeln!(out, "  {}", output::human_json(q))?,
        }
    }
    if let Some(ci) = &s.ci {
        writeln!(out)?;
        let checked = ci
            .checked_at
            .map(|t| format!(" (checked {})", output::human_time(t, style.utc)))
            .unwrap_or_default();
        writeln!(
            out,
            "CI {}{checked}",
            output::clean(ci.status.as_deref().unwrap_or(""))
        )?;
        for c in &ci.checks {
            let url = c
                .url
                .as_deref()
                .map(|u| format!("  {}", output::clean(u)))
                .unwrap_or_default();
            writeln!(
                out,
                "  {}  {}{url}",
                paint(
                    &output::clean(&c.status),
                    check_color(&c.status),
                    style.color
                ),
                output::clean(&c.name)
            )?;
        }
    }
    if !s.errors.is_empty() {
        writeln!(out)?;
        writeln!(out, "errors")?;
        for e in &s.errors {
            let step = e.step.map(|k| format!(" step {k}")).unwrap_or_default();
            writeln!(
                out,
                "  {}{step}  {}",
                output::human_time(e.timestamp, style.utc),
                one_line(&e.message, 200)
            )?;
        }
    }
    Ok(())
}

fn check_color(status: &str) -> Option<comfy_table::Color> {
    match status {
        "success" | "passing" | "passed" => status_color("completed"),
        "failure" | "failing" | "failed" | "error" => status_color("failed"),
        "pending" | "queued" | "in_progress" => status_color("running"),
        _ => None,
    }
}

/// `runs`: a page of runs.
pub fn runs(
    out: &mut dyn Write,
    rows: &[RunRow],
    total: usize,
    page: usize,
    limit: usize,
    style: Style,
) -> io::Result<()> {
    if rows.is_empty() {
        return if total == 0 {
            writeln!(out, "no runs match")
        } else {
            writeln!(out, "page {page} is empty: {total} runs match")
        };
    }
    let mut t = output::table(
        style,
        &[
            "RUN", "STATUS", "NAME", "SOURCE", "PREVIEW", "STARTED", "DURATION", "CI", "QUALITY",
            "COST", "PR",
        ],
    );
    for r in rows {
        let opt = |v: &Option<String>, max: usize| {
            v.as_deref()
                .map_or_else(|| "-".into(), |s| one_line(s, max))
        };
        let status = match (r.stale, style.color) {
            (true, true) => Cell::new("stale").fg(comfy_table::Color::DarkYellow),
            (true, false) => Cell::new("stale"),
            (false, _) => status_cell(r.status.as_str(), style),
        };
        let pr = match r.pr_status {
            Some(PrStatus::BlockedOnCi) if style.color => {
                Cell::new("blocked_on_ci").fg(comfy_table::Color::Red)
            }
            Some(PrStatus::BlockedOnCi) => Cell::new("BLOCKED_ON_CI"),
            Some(p) => Cell::new(p.as_str()),
            None => Cell::new("-"),
        };
        let preview = r.prompt.as_ref().or(r.message.as_ref()).cloned();
        t.add_row(vec![
            Cell::new(output::clean(&r.run_id)),
            status,
            Cell::new(opt(&r.name, 32)),
            Cell::new(opt(&r.source, 12)),
            Cell::new(opt(&preview, 40)),
            Cell::new(output::human_time(r.started_at, style.utc)),
            Cell::new(human_duration(r.duration_ms)),
            Cell::new(opt(&r.ci_status, 10)),
            Cell::new(r.quality.map_or_else(|| "-".into(), score)),
            Cell::new(
                r.cost_usd
                    .map_or_else(|| "-".into(), |c| format!("${c:.2}")),
            ),
            pr,
        ]);
    }
    right_align(&mut t, &[6, 8, 9]);
    output::write_table(out, &t)?;
    if limit > 0 && total > rows.len() {
        let pages = total.div_ceil(limit);
        writeln!(
            out,
            "page {page} of {pages} ({total} runs; --page N for more)"
        )?;
    }
    Ok(())
}

/// `chain`: the chain's status and one row per sprint.
pub fn chain(out: &mut dyn Write, c: &ChainReport, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "{}: {} — {} of {} sprints completed",
        output::clean(&c.chain_id),
        status_word(c.status, style),
        c.completed,
        c.total
    )?;
    let time = |t: Option<crate::time::Timestamp>| {
        t.map_or_else(|| "-".into(), |t| output::human_time(t, style.utc))
    };
    let mut t = output::table(
        style,
        &[
            "SPRINT",
            "RUN",
            "STATUS",
            "STARTED",
            "ENDED",
            "DURATION",
            "PR / ERROR",
        ],
    );
    for s in &c.sprints {
        t.add_row(vec![
            Cell::new(format!("{}/{}", s.index, c.total)),
            Cell::new(output::clean(s.run_id.as_deref().unwrap_or("-"))),
            status_cell(s.status.as_str(), style),
            Cell::new(time(s.started_at)),
            Cell::new(time(s.ended_at)),
            Cell::new(output::human_opt_duration(s.duration_ms)),
            Cell::new(output::clean(s.pr_url.as_deref().unwrap_or("-"))),
        ]);
        for a in &s.attempts {
            t.add_row(vec![
                Cell::new("earlier"),
                Cell::new(output::clean(&a.run_id)),
                status_cell(a.status.as_str(), style),
                Cell::new(time(Some(a.started_at))),
                Cell::new(time(a.ended_at)),
                Cell::new(human_duration(a.duration_ms)),
                Cell::new(a.error.as_deref().map_or("-".into(), |e| one_line(e, 40))),
            ]);
        }
    }
    right_align(&mut t, &[0, 5]);
    output::write_table(out, &t)?;
    if let Some(i) = c.resume_from {
        writeln!(out, "resume from sprint {i} of {}", c.total)?;
    }
    Ok(())
}

/// `chains`: one row per sprint chain.
pub fn chains(out: &mut dyn Write, rows: &[ChainRow], style: Style) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "no sprint chains");
    }
    let mut t = output::table(
        style,
        &[
            "CHAIN",
            "STATUS",
            "SPRINTS",
            "RETRIES",
            "RESUME FROM",
            "STARTED",
            "UPDATED",
        ],
    );
    for r in rows {
        t.add_row(vec![
            Cell::new(output::clean(&r.chain_id)),
            status_cell(r.status.as_str(), style),
            Cell::new(format!("{}/{}", r.completed, r.total)),
            Cell::new(r.retries),
            Cell::new(r.resume_from.map_or("-".into(), |i| i.to_string())),
            Cell::new(output::human_time(r.started_at, style.utc)),
            Cell::new(output::human_time(r.updated_at, style.utc)),
        ]);
    }
    right_align(&mut t, &[2, 3, 4]);
    output::write_table(out, &t)
}

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

/// Text on one line in at most `n` characters, the ellipsis included.
fn fit(text: &str, n: usize) -> String {
    let flat = one_line(text, usize::MAX);
    if flat.chars().count() <= n {
        flat
    } else {
        one_line(&flat, n.saturating_sub(1))
    }
}

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
