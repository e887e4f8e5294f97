//! The HTML pages (SPEC §11): server-rendered with maud (every value escaped), readable
//! without JavaScript; `app.js` keeps them live. Each page puts what changes inside
//! `#view`, which the script swaps for a fresh copy when records arrive.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use serde_json::Value;

use super::AppState;
use super::api::{self, ApiError, Params, blocking};
use super::charts::{self, Unit};
use crate::error::Result;
use crate::health::{Health, UsageBy};
use crate::log::{self, Filter, GroupBy};
use crate::metrics;
use crate::notifications;
use crate::output::{human_duration, human_opt_duration, human_rate};
use crate::progress::{self, RunState};
use crate::record::{RunStatus, Timestamp};
use crate::store::{LineError, Scan, Stream};

/// Percent-encodes a path segment (a run id may hold `/`).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const NAV: [(&str, &str); 8] = [
    ("/", "Overview"),
    ("/runs", "Runs"),
    ("/chains", "Chains"),
    ("/journeys", "Journeys"),
    ("/skills", "Skills"),
    ("/providers", "Providers"),
    ("/usage", "Usage"),
    ("/notifications", "Notifications"),
];

/// A page: head, navigation, `body`, and what the script needs.
fn layout(title: &str, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · ccmon" }
                link rel="icon" href="/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/static/app.css";
                script src="/static/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "ccmon" }
                    nav {
                        @for (href, label) in NAV {
                            a href=(href) aria-current=[(href == active).then_some("page")] { (label) }
                        }
                    }
                    span #live .live title="live updates: not connected" { "live" }
                }
                main { (body) }
            }
        }
    }
}

fn page(title: &str, active: &str, body: Markup) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        layout(title, active, body).into_string(),
    )
        .into_response()
}

fn error_page(e: ApiError) -> Response {
    let status = e.status;
    let mut resp = page(
        "Error",
        "",
        html! { div #view { section.card { h1 { "Error" } p { (e.message) } } } },
    );
    *resp.status_mut() = status;
    resp
}

/// Runs a page computation off the async workers and wraps it in the layout.
async fn render<F>(state: &Arc<AppState>, title: String, active: &'static str, f: F) -> Response
where
    F: FnOnce(&AppState) -> Result<Markup> + Send + 'static,
{
    match blocking(state, f).await {
        Ok(body) => page(&title, active, body),
        Err(e) => error_page(e),
    }
}

/// Text from a record as a page shows it: redacted, and with control characters and
/// bidirectional overrides (which could make a page show something other than the
/// record says) written as visible escapes; newlines and tabs stay.
fn red(s: &AppState, text: &str) -> String {
    visible(&s.redactor.redact_str(text))
}

fn visible(text: &str) -> String {
    let hidden = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if !text.chars().any(hidden) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\u{1b}' => out.push_str("\\e"),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn when(s: &AppState, t: Timestamp) -> String {
    crate::output::human_time(t, s.opts.utc)
}

fn badge(word: &str) -> Markup {
    html! { span class=(format!("badge st-{word}")) { (word) } }
}

fn money(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".to_string(), |c| format!("${c:.2}"))
}

fn card(label: &str, value: Markup) -> Markup {
    html! { div.stat { div.label { (label) } div.value { (value) } } }
}

fn empty(text: &str) -> Markup {
    html! { p.empty { (text) } }
}

/// `/`: counters, windows, highlights, charts, providers, notifications, and a live
/// feed of records as they are appended.
pub async fn overview(State(state): State<Arc<AppState>>) -> Response {
    render(&state, "Overview".into(), "/", |s| {
        let d = s.dashboard(s.now())?;
        let days: Vec<String> = d.daily.iter().map(|x| x.date.get(5..).unwrap_or(&x.date).to_string()).collect();
        let c = &d.counters;
        let view = html! {
            div #view {
                h1 { "Overview" span.sub { "last " (d.period_days) " days · at " (when(s, d.generated_at)) } }
                div.stats {
                    (card("Runs", html! { (c.runs) }))
                    (card("Active", html! { (c.active_runs) }))
                    (card("Completed", html! { (c.completed_runs) }))
                    (card("Failed", html! { (c.failed_runs) }))
                    (card("Skill invocations", html! { (c.invocations) }))
                    (card("Journey runs", html! { (c.journey_executions) }))
                    (card("Providers", badge(d.providers.overall.status.as_str())))
                    (card("Cost today", html! { (money(d.usage.today.cost_usd)) }))
                    (card("Cost 30 days", html! { (money(d.usage.month.cost_usd)) }))
                    (card("Unread", html! { a href="/notifications" { (d.notifications.unread) } }))
                }
                div.grid {
                    section.card {
                        h2 { "Journeys, all together" }
                        table {
                            thead { tr { th { "window" } th.n { "runs" } th.n { "success" } th.n { "p50" } th.n { "p95" } } }
                            tbody {
                                @for (name, w) in d.windows.iter() {
                                    tr { td { (name) } td.n { (w.total) } td.n { (human_rate(w.success_rate)) } td.n { (human_opt_duration(w.p50)) } td.n { (human_opt_duration(w.p95)) } }
                                }
                            }
                        }
                    }
                    section.card {
                        h2 { "Highlights " span.sub { (d.highlights.window) } }
                        dl.facts {
                            @if let Some(h) = &d.highlights.fastest { dt { "Fastest (p50)" } dd { a href=(format!("/journeys/{}", enc(&h.cuj_id))) { (h.cuj_id) } " " (human_duration(h.value)) } }
                            @if let Some(h) = &d.highlights.slowest { dt { "Slowest (p95)" } dd { a href=(format!("/journeys/{}", enc(&h.cuj_id))) { (h.cuj_id) } " " (human_duration(h.value)) } }
                            @if let Some(h) = &d.highlights.most_reliable { dt { "Most reliable" } dd { a href=(format!("/journeys/{}", enc(&h.cuj_id))) { (h.cuj_id) } " " (human_rate(Some(h.value))) } }
                            @if let Some(h) = &d.highlights.least_reliable { dt { "Least reliable" } dd { a href=(format!("/journeys/{}", enc(&h.cuj_id))) { (h.cuj_id) } " " (human_rate(Some(h.value))) } }
                        }
                    }
                    section.card {
                        (charts::bars("Runs finished per day", Unit::Count, &days, &[
                            ("completed", d.daily.iter().map(|x| x.runs_completed as f64).collect()),
                            ("failed", d.daily.iter().map(|x| x.runs_failed as f64).collect()),
                        ]))
                    }
                    section.card {
                        (charts::bars("Cost per day", Unit::Usd, &days, &[("cost", d.daily.iter().map(|x| x.cost_usd).collect())]))
                    }
                    section.card {
                        (charts::lines("Skill invocations per day", Unit::Count, &days, &[("invocations", d.daily.iter().map(|x| Some(x.invocations as f64)).collect())]))
                    }
                    section.card {
                        (charts::lines("Quality (composite) per day", Unit::Count, &d.quality.days.iter().map(|b| b.start.to_string().get(5..10).unwrap_or("").to_string()).collect::<Vec<_>>(), &[("composite", d.quality.days.iter().map(|b| b.composite).collect())]))
                    }
                    section.card {
                        h2 { a href="/providers" { "Providers" } " " (badge(d.providers.overall.status.as_str())) }
                        p.sub { (d.providers.overall.reason) }
                        ul.plain {
                            @for p in &d.providers.statuses {
                                li { (badge(p.status.as_str())) " " (p.provider) " · " (human_rate(p.availability)) " · p95 " (human_opt_duration(p.p95)) }
                            }
                        }
                    }
                    section.card {
                        h2 { a href="/notifications" { "Notifications" } }
                        (notification_list(s, &d.notifications.latest, false))
                    }
                }
            }
            section.card.feed {
                h2 { "Live: records as they are appended" }
                ol #feed { li.empty { "Waiting for new records…" } }
            }
        };
        Ok(view)
    })
    .await
}

fn run_link(run: &str) -> Markup {
    html! { a href=(format!("/runs/{}", enc(run))) { (run) } }
}

/// `/runs?status=&source=&workflow=&page=`: the run list, newest first, in pages.
pub async fn runs(State(state): State<Arc<AppState>>, Query(p): Params) -> Response {
    render(&state, "Runs".into(), "/runs", move |s| {
        let q = api::run_query(&p, s.now())?;
        let prices = crate::health::PriceTable::new(&s.opts.config.pricing);
        let (rows, total, skipped) = progress::chain::run_list(&s.opts.roots, None, &q, &prices)?;
        if let Some(w) = skipped.warning() {
            crate::error::warn(format_args!("{w}"));
        }
        let pages = if q.limit == 0 { 1 } else { total.div_ceil(q.limit).max(1) };
        let link = |page: usize| {
            let mut parts = vec![format!("page={page}")];
            for key in ["status", "source", "workflow", "limit"] {
                if let Some(v) = p.get(key).filter(|v| !v.is_empty()) {
                    parts.push(format!("{key}={}", enc(v)));
                }
            }
            format!("/runs?{}", parts.join("&"))
        };
        let status_now = q.status.map(RunStatus::as_str).unwrap_or("");
        Ok(html! {
            div #view {
                h1 { "Runs" span.sub { (total) " matching" } }
                form.filters method="get" action="/runs" {
                    label { "Status " select name="status" {
                        option value="" selected[status_now.is_empty()] { "any" }
                        @for st in ["pending", "running", "completed", "failed", "cancelled"] {
                            option value=(st) selected[status_now == st] { (st) }
                        }
                    } }
                    label { "Source " input name="source" value=[q.source.as_deref()] placeholder="sprint, workflow…"; }
                    label { "Workflow " input name="workflow" value=[q.workflow.as_deref()]; }
                    button type="submit" { "Filter" }
                }
                @if rows.is_empty() {
                    (empty("No runs match."))
                } @else {
                    div.scroll { table {
                        thead { tr { th { "run" } th { "status" } th { "name" } th.hide-s { "source" } th.hide-s { "message" } th { "started" } th.n { "duration" } th.hide-s { "PR" } } }
                        tbody {
                            @for r in &rows {
                                tr {
                                    td { (run_link(&r.run_id)) }
                                    td { (badge(r.status.as_str())) }
                                    td { (red(s, r.name.as_deref().unwrap_or(""))) }
                                    td.hide-s { (r.source.as_deref().unwrap_or("")) }
                                    td.hide-s.msg { (red(s, r.message.as_deref().unwrap_or(""))) }
                                    td { (when(s, r.started_at)) }
                                    td.n { (human_duration(r.duration_ms)) }
                                    td.hide-s { (r.pr_status.map_or("", |p| p.as_str())) }
                                }
                            }
                        }
                    } }
                    nav.pages {
                        @if q.page > 1 { a href=(link(q.page - 1)) { "← newer" } }
                        span { "page " (q.page) " of " (pages) }
                        @if q.page < pages { a href=(link(q.page + 1)) { "older →" } }
                    }
                }
            }
        })
    })
    .await
}

/// One output chunk of a run: when, which stream, the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    /// When it was written.
    pub timestamp: String,
    /// `assistant`, `tool`, `user`, `stdout` or `stderr`.
    pub stream: String,
    /// The text.
    pub text: String,
}

/// The output chunks of `run` (progress events carrying `output`), oldest first.
pub fn output_chunks(s: &AppState, run: &str) -> Result<Vec<Chunk>> {
    let files = s.opts.roots.files(Stream::Progress, None, None)?;
    let needle = serde_json::to_string(run).unwrap_or_default();
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let scan = Scan::new(files, s.opts.roots.needs_dedup());
    let (mut found, _) = scan.run(
        Vec::new,
        |acc: &mut Vec<(String, usize, u64, Chunk)>, l| {
            if finder.find(l.bytes).is_none() {
                return Ok(());
            }
            let Ok(v) = serde_json::from_slice::<Value>(l.bytes) else {
                return Ok(());
            };
            if v.get("runId").and_then(Value::as_str) != Some(run) {
                return Ok(());
            }
            let Some(out) = v.get("output").and_then(Value::as_object) else {
                return Ok(());
            };
            let ts = v
                .get("timestamp")
                .or_else(|| v.get("ts"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            acc.push((
                ts.clone(),
                l.file_index,
                l.line,
                Chunk {
                    timestamp: ts,
                    stream: out
                        .get("stream")
                        .and_then(Value::as_str)
                        .unwrap_or("stdout")
                        .to_string(),
                    text: red(s, out.get("text").and_then(Value::as_str).unwrap_or("")),
                },
            ));
            Ok::<(), LineError>(())
        },
        |mut a, b| {
            a.extend(b);
            a
        },
    )?;
    found.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    Ok(found.into_iter().map(|f| f.3).collect())
}

fn quality_table(s: &AppState, q: &Value) -> Markup {
    html! {
        @if let Some(obj) = q.as_object() {
            dl.facts {
                @for (k, v) in obj {
                    dt { (k) }
                    dd { @match v { Value::String(t) => (red(s, t)), other => (other.to_string()) } }
                }
            }
        }
    }
}

fn run_body(s: &AppState, st: &RunState, cost: Option<f64>) -> Markup {
    let pct = st.percentage.clamp(0.0, 100.0);
    html! {
        div #view {
            h1 { (st.run_id) " " (badge(st.status.as_str())) }
            @if let Some(n) = &st.name { p.sub { (red(s, n)) } }
            div.progress role="progressbar" aria-valuenow=(format!("{pct:.0}")) aria-valuemin="0" aria-valuemax="100" {
                div.fill style=(format!("width:{pct:.1}%")) {}
            }
            div.grid {
                section.card {
                    h2 { "Run" }
                    dl.facts {
                        dt { "Progress" } dd { (format!("{pct:.0}%")) @if let (Some(step), Some(total)) = (st.step, st.total_steps) { " · step " (step) " of " (total) } }
                        @if let Some(m) = &st.message { dt { "Message" } dd { (red(s, m)) } }
                        @if let Some(src) = &st.source { dt { "Source" } dd { (src) } }
                        dt { "Started" } dd { (when(s, st.started_at)) }
                        dt { "Updated" } dd { (when(s, st.updated_at)) }
                        dt { "Duration" } dd { (human_duration(st.duration_ms)) }
                        dt { "Cost" } dd { (money(cost)) }
                        @if let Some(c) = &st.chain_id {
                            dt { "Chain" } dd { a href=(format!("/chains/{}", enc(c))) { (c) } @if let (Some(i), Some(t)) = (st.sprint_index, st.sprint_total) { " · sprint " (i) " of " (t) } }
                        }
                        @if st.pr_url.is_some() || st.pr_status.is_some() {
                            dt { "Pull request" } dd {
                                @if let Some(u) = &st.pr_url { @let u = red(s, u); @if u.starts_with("https://") || u.starts_with("http://") { a href=(u) rel="noreferrer" { (u) } } @else { (u) } " " }
                                @if let Some(p) = st.pr_status { (badge(p.as_str())) }
                            }
                        }
                    }
                }
                @if let Some(ci) = &st.ci {
                    section.card {
                        h2 { "CI " @if let Some(c) = &ci.status { (badge(c)) } }
                        @if ci.checks.is_empty() { (empty("No checks reported.")) }
                        ul.plain {
                            @for c in &ci.checks {
                                li { (badge(&c.status)) " " (red(s, &c.name)) }
                            }
                        }
                    }
                }
                @if let Some(q) = &st.quality {
                    section.card { h2 { "Quality" } (quality_table(s, q)) }
                }
                @if !st.errors.is_empty() {
                    section.card {
                        h2 { "Errors" }
                        ul.plain {
                            @for e in &st.errors {
                                li { span.sub { (when(s, e.timestamp)) @if let Some(n) = e.step { " · step " (n) } } br; (red(s, &e.message)) }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 { "Steps" }
                @if st.steps.is_empty() { (empty("No steps yet.")) } @else {
                    div.scroll { table {
                        thead { tr { th.n { "#" } th { "status" } th { "role" } th.hide-s { "tool" } th.hide-s { "model" } th.n { "iter." } th.n { "duration" } th.hide-s { "message" } } }
                        tbody {
                            @for step in &st.steps {
                                tr {
                                    td.n { (step.step) }
                                    td { (badge(step.status.as_str())) }
                                    td { (step.role.as_deref().unwrap_or("")) }
                                    td.hide-s { (step.tool.as_deref().unwrap_or("")) }
                                    td.hide-s { (step.model.as_deref().unwrap_or("")) }
                                    td.n { (step.iteration.map(|i| i.to_string()).unwrap_or_default()) }
                                    td.n { (human_opt_duration(step.duration_ms)) }
                                    td.hide-s.msg { (red(s, step.message.as_deref().unwrap_or(""))) }
                                }
                            }
                        }
                    } }
                }
            }
        }
    }
}

/// `/runs/RUN`: step timeline, quality, CI, PR, errors, cost and the output terminal.
pub async fn run(State(state): State<Arc<AppState>>, Path(run): Path<String>) -> Response {
    let title = format!("Run {run}");
    let title = state.redactor.redact_str(&title).into_owned();
    render(&state, title, "/runs", move |s| {
        let (st, skipped) = progress::run_state(&s.opts.roots, &run, s.now())?;
        if let Some(w) = skipped.warning() {
            crate::error::warn(format_args!("{w}"));
        }
        let chunks = output_chunks(s, &run)?;
        let Some(st) = st else {
            return Ok(html! {
                div #view { h1 { (red(s, &run)) } (empty("No events for this run yet.")) }
                (terminal(s, &run, &chunks))
            });
        };
        let usage = api::usage_rows(s, UsageBy::Run, None)?;
        let cost = usage
            .iter()
            .find(|u| u.key.as_deref() == Some(run.as_str()))
            .and_then(|u| u.cost_usd);
        Ok(html! {
            (run_body(s, &st, cost))
            (terminal(s, &run, &chunks))
        })
    })
    .await
}

fn terminal(s: &AppState, run: &str, chunks: &[Chunk]) -> Markup {
    html! {
        section.card {
            h2 { "Output" }
            pre #term .term data-run=(red(s, run)) {
                @if chunks.is_empty() { span.empty { "No output yet." } }
                @for c in chunks {
                    span class=(format!("o-{}", c.stream)) title=(c.timestamp) { (c.text) }
                }
            }
        }
    }
}

/// `/chains`: every sprint chain, with its runs' latest status.
pub async fn chains(State(state): State<Arc<AppState>>) -> Response {
    render(&state, "Chains".into(), "/chains", |s| {
        let (states, _) = progress::all_runs(&s.opts.roots, None, None, s.now())?;
        let mut by_chain: BTreeMap<String, Vec<&RunState>> = BTreeMap::new();
        for st in &states {
            if let Some(c) = &st.chain_id {
                by_chain.entry(c.clone()).or_default().push(st);
            }
        }
        Ok(html! {
            div #view {
                h1 { "Sprint chains" span.sub { (by_chain.len()) " chains" } }
                @if by_chain.is_empty() { (empty("No runs belong to a sprint chain.")) } @else {
                    div.scroll { table {
                        thead { tr { th { "chain" } th.n { "runs" } th { "latest" } th { "status" } th.n { "sprints" } } }
                        tbody {
                            @for (chain, runs) in &by_chain {
                                @let latest = runs.iter().max_by_key(|r| r.updated_at);
                                tr {
                                    td { a href=(format!("/chains/{}", enc(chain))) { (chain) } }
                                    td.n { (runs.len()) }
                                    td { @if let Some(l) = latest { (run_link(&l.run_id)) } }
                                    td { @if let Some(l) = latest { (badge(l.status.as_str())) } }
                                    td.n { (runs.iter().filter_map(|r| r.sprint_total).max().map(|t| t.to_string()).unwrap_or_default()) }
                                }
                            }
                        }
                    } }
                }
            }
        })
    })
    .await
}

/// `/chains/CHAIN`: the chain's sprints, pending ones included.
pub async fn chain(State(state): State<Arc<AppState>>, Path(chain): Path<String>) -> Response {
    let title = state
        .redactor
        .redact_str(&format!("Chain {chain}"))
        .into_owned();
    render(&state, title, "/chains", move |s| {
        let (report, _) = progress::chain::chain(&s.opts.roots, &chain, s.now())?;
        Ok(html! {
            div #view {
                @match report {
                    None => { h1 { (red(s, &chain)) } (empty("No runs belong to this chain.")) }
                    Some(r) => {
                        h1 { (r.chain_id) " " (badge(r.status.as_str())) }
                        p.sub { (r.completed) " of " (r.total) " sprints completed" }
                        div.scroll { table {
                            thead { tr { th.n { "sprint" } th { "run" } th { "status" } th.n { "duration" } th { "PR" } } }
                            tbody {
                                @for sp in &r.sprints {
                                    tr {
                                        td.n { (sp.index) }
                                        td { @if let Some(run) = &sp.run_id { (run_link(run)) } @else { "—" } }
                                        td { (badge(sp.status.as_str())) }
                                        td.n { (human_opt_duration(sp.duration_ms)) }
                                        td.msg { @if let Some(u) = &sp.pr_url { (red(s, u)) } }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
        })
    })
    .await
}

/// `/journeys`: every journey's figures per window.
pub async fn journeys(State(state): State<Arc<AppState>>) -> Response {
    render(&state, "Journeys".into(), "/journeys", |s| {
        let (rows, _) = metrics::all_windows_report(&s.opts.roots, s.now())?;
        let rates: Vec<(String, f64)> = rows
            .iter()
            .filter_map(|r| r.windows.day.success_rate.map(|v| (r.cuj_id.clone(), v)))
            .collect();
        Ok(html! {
            div #view {
                h1 { "Journeys" span.sub { (rows.len()) " journeys" } }
                @if rows.is_empty() { (empty("No journey executions recorded.")) } @else {
                    section.card {
                        div.scroll { table {
                            thead { tr { th { "journey" } th.n { "1h" } th.n { "24h" } th.n { "7d" } th.n { "30d" } th.n.hide-s { "runs 30d" } th.n { "p95 24h" } th.hide-s { "last failure" } } }
                            tbody {
                                @for r in &rows {
                                    tr {
                                        td { a href=(format!("/journeys/{}", enc(&r.cuj_id))) { (r.cuj_id) } }
                                        td.n { (human_rate(r.windows.hour.success_rate)) }
                                        td.n { (human_rate(r.windows.day.success_rate)) }
                                        td.n { (human_rate(r.windows.week.success_rate)) }
                                        td.n { (human_rate(r.windows.month.success_rate)) }
                                        td.n.hide-s { (r.windows.month.total) }
                                        td.n { (human_opt_duration(r.windows.day.p95)) }
                                        td.hide-s { (r.last_failure.map(|t| when(s, t)).unwrap_or_default()) }
                                    }
                                }
                            }
                        } }
                    }
                    @if !rates.is_empty() {
                        section.card { (charts::hbars("Success rate, last 24 hours", Unit::Rate, &rates)) }
                    }
                }
            }
        })
    })
    .await
}

/// `/journeys/CUJ`: rate, trend, percentiles and failure patterns.
pub async fn journey(State(state): State<Arc<AppState>>, Path(cuj): Path<String>) -> Response {
    let title = state
        .redactor
        .redact_str(&format!("Journey {cuj}"))
        .into_owned();
    render(&state, title, "/journeys", move |s| {
        let now = s.now();
        let day = 86_400_000;
        let (rate, _) = metrics::rate_report(&s.opts.roots, &cuj, day, now)?;
        let (trend, _) = metrics::trend_report(&s.opts.roots, &cuj, 24, 3_600_000, now)?;
        let (pct, _) = metrics::percentile_report(&s.opts.roots, &cuj, day, now)?;
        let (fails, _) = metrics::failure_report(&s.opts.roots, &cuj, 7 * day, 10, now, &s.redactor)?;
        let hours: Vec<String> = trend
            .buckets
            .iter()
            .map(|b| {
                let t = b.start.to_datetime();
                if s.opts.utc { t.format("%H:%M").to_string() } else { t.with_timezone(&chrono::Local).format("%H:%M").to_string() }
            })
            .collect();
        let p = &pct.summary;
        Ok(html! {
            div #view {
                h1 { (red(s, &cuj)) }
                div.stats {
                    (card("Success, 24h", html! { (human_rate(rate.success_rate)) }))
                    (card("Runs, 24h", html! { (rate.total) }))
                    (card("Failures, 24h", html! { (rate.failures) }))
                    (card("p95, 24h", html! { (human_opt_duration(p.p95)) }))
                }
                div.grid {
                    section.card { (charts::lines("Success rate per hour", Unit::Rate, &hours, &[("success rate", trend.buckets.iter().map(|b| b.success_rate).collect())])) }
                    section.card { (charts::lines("Duration per hour", Unit::Millis, &hours, &[("p50", trend.buckets.iter().map(|b| b.p50).collect()), ("p95", trend.buckets.iter().map(|b| b.p95).collect())])) }
                    section.card {
                        h2 { "Percentiles, 24h" }
                        table {
                            tbody {
                                tr { th { "count" } td.n { (p.count) } }
                                @for (name, v) in [("min", p.min), ("p50", p.p50), ("p75", p.p75), ("p90", p.p90), ("p95", p.p95), ("p99", p.p99), ("max", p.max), ("mean", p.mean)] {
                                    tr { th { (name) } td.n { (human_opt_duration(v)) } }
                                }
                            }
                        }
                    }
                }
                section.card {
                    h2 { "Failure patterns, 7 days" span.sub { (fails.total_failures) " failures" } }
                    @if fails.patterns.is_empty() { (empty("No failures.")) } @else {
                        div.scroll { table {
                            thead { tr { th.n { "count" } th.n { "share" } th { "category" } th { "pattern" } th.hide-s { "last seen" } } }
                            tbody {
                                @for f in &fails.patterns {
                                    tr {
                                        td.n { (f.count) }
                                        td.n { (human_rate(Some(f.share))) }
                                        td { (badge(f.category.as_str())) }
                                        td.msg { code { (red(s, &f.pattern)) } br; span.sub { (red(s, &f.example)) } }
                                        td.hide-s { (when(s, f.last_seen)) }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
        })
    })
    .await
}

/// `/skills`: invocations, success and latency per skill.
pub async fn skills(State(state): State<Arc<AppState>>) -> Response {
    render(&state, "Skills".into(), "/skills", |s| {
        let (rows, _) = log::stats(&s.opts.roots, &Filter::default(), GroupBy::Skill, s.opts.utc)?;
        let counts: Vec<(String, f64)> = rows.iter().take(15).map(|r| (r.key.clone().unwrap_or_default(), r.count as f64)).collect();
        let p95: Vec<(String, f64)> = rows.iter().take(15).filter_map(|r| r.p95.map(|v| (r.key.clone().unwrap_or_default(), v))).collect();
        Ok(html! {
            div #view {
                h1 { "Skills" span.sub { (rows.len()) " skills, all time" } }
                @if rows.is_empty() { (empty("No skill invocations recorded.")) } @else {
                    div.grid {
                        section.card { (charts::hbars("Invocations", Unit::Count, &counts)) }
                        section.card { (charts::hbars("p95 duration", Unit::Millis, &p95)) }
                    }
                    section.card {
                        div.scroll { table {
                            thead { tr { th { "skill" } th.n { "count" } th.n { "success" } th.n.hide-s { "cache hits" } th.n { "p50" } th.n { "p95" } th.n.hide-s { "p99" } th.n.hide-s { "failures" } } }
                            tbody {
                                @for r in &rows {
                                    tr {
                                        td { (red(s, r.key.as_deref().unwrap_or("(none)"))) }
                                        td.n { (r.count) }
                                        td.n { (human_rate(r.success_rate)) }
                                        td.n.hide-s { (human_rate(r.cache_hit_rate)) }
                                        td.n { (human_opt_duration(r.p50)) }
                                        td.n { (human_opt_duration(r.p95)) }
                                        td.n.hide-s { (human_opt_duration(r.p99)) }
                                        td.n.hide-s { (r.failures) }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
        })
    })
    .await
}

/// `/providers`: health, availability and latency per provider.
pub async fn providers(State(state): State<Arc<AppState>>) -> Response {
    render(&state, "Providers".into(), "/providers", |s| {
        let (rows, th) = api::provider_rows(s)?;
        let (errors, _) = crate::health::recent_errors(&s.opts.roots, None, 10)?;
        let overall = crate::health::overall(&rows, th.window_ms);
        let p95: Vec<(String, f64)> = rows.iter().filter_map(|r| r.p95.map(|v| (r.provider.clone(), v))).collect();
        let avail: Vec<(String, f64)> = rows.iter().filter_map(|r| r.availability.map(|v| (r.provider.clone(), v))).collect();
        Ok(html! {
            div #view {
                h1 { "Providers " (badge(overall.status.as_str())) span.sub { "last " (crate::output::human_window(th.window_ms)) } }
                p { (overall.reason) }
                @if rows.is_empty() { (empty("No provider calls in the window.")) } @else {
                    div.cards {
                        @for r in &rows {
                            section.card.provider {
                                h2 { (r.provider) " " (badge(r.status.as_str())) }
                                dl.facts {
                                    dt { "Availability" } dd { (human_rate(r.availability)) }
                                    dt { "Calls" } dd { (r.calls) " (" (r.failures) " failed)" }
                                    dt { "Latency" } dd { "p50 " (human_opt_duration(r.p50)) " · p95 " (human_opt_duration(r.p95)) " · p99 " (human_opt_duration(r.p99)) }
                                    @if r.status != Health::Healthy { dt { "Why" } dd { (r.reason) } }
                                    @if let Some(e) = &r.last_error { dt { "Last error" } dd.msg { (red(s, e)) } }
                                }
                            }
                        }
                    }
                    div.grid {
                        section.card { (charts::hbars("Availability", Unit::Rate, &avail)) }
                        section.card { (charts::hbars("p95 latency", Unit::Millis, &p95)) }
                    }
                }
                section.card {
                    h2 { "Recent errors" }
                    @if errors.is_empty() { (empty("No failed calls.")) } @else {
                        div.scroll { table {
                            thead { tr { th { "time" } th { "provider" } th.n { "status" } th.hide-s { "model" } th { "error" } } }
                            tbody {
                                @for e in &errors {
                                    tr {
                                        td { (when(s, e.timestamp)) }
                                        td { (e.provider) }
                                        td.n { (e.status_code.map(|c| c.to_string()).unwrap_or_default()) }
                                        td.hide-s { (e.model.as_deref().unwrap_or("")) }
                                        td.msg { (red(s, e.error.as_deref().unwrap_or(""))) }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
        })
    })
    .await
}

/// `/usage`: tokens and cost by model and provider, and cost per day.
pub async fn usage(State(state): State<Arc<AppState>>) -> Response {
    render(&state, "Usage".into(), "/usage", |s| {
        let by_model = api::usage_rows(s, UsageBy::Model, Some("30d"))?;
        let by_provider = api::usage_rows(s, UsageBy::Provider, Some("30d"))?;
        let by_day = api::usage_rows(s, UsageBy::Day, Some("30d"))?;
        let days: Vec<String> = by_day.iter().map(|r| r.key.as_deref().and_then(|k| k.get(5..)).unwrap_or("").to_string()).collect();
        let total = crate::health::total(&by_provider);
        let table = |rows: &[crate::health::UsageRow], what: &str| html! {
            div.scroll { table {
                thead { tr { th { (what) } th.n { "calls" } th.n { "input" } th.n { "output" } th.n.hide-s { "cache read" } th.n { "cost" } } }
                tbody {
                    @for r in rows {
                        tr {
                            td { (red(s, r.key.as_deref().unwrap_or("(none)"))) }
                            td.n { (r.calls) }
                            td.n { (crate::health::render::grouped(r.input_tokens)) }
                            td.n { (crate::health::render::grouped(r.output_tokens)) }
                            td.n.hide-s { (crate::health::render::grouped(r.cache_read_tokens)) }
                            td.n { (money(r.cost_usd)) @if r.estimated { " est." } @if !r.unpriced_models.is_empty() { br; span.sub { "no price: " (r.unpriced_models.join(", ")) } } }
                        }
                    }
                }
            } }
        };
        Ok(html! {
            div #view {
                h1 { "Usage and cost" span.sub { "last 30 days" } }
                div.stats {
                    (card("Calls", html! { (total.calls) }))
                    (card("Input tokens", html! { (crate::health::render::grouped(total.input_tokens)) }))
                    (card("Output tokens", html! { (crate::health::render::grouped(total.output_tokens)) }))
                    (card("Cost", html! { (money(total.cost_usd)) @if total.estimated { " est." } }))
                }
                @if by_day.is_empty() { (empty("No provider calls in the last 30 days.")) } @else {
                    section.card { (charts::bars("Cost per day", Unit::Usd, &days, &[("cost", by_day.iter().map(|r| r.cost_usd.unwrap_or(0.0)).collect())])) }
                    div.grid {
                        section.card { h2 { "By model" } (table(&by_model, "model")) }
                        section.card { h2 { "By provider" } (table(&by_provider, "provider")) }
                    }
                }
            }
        })
    })
    .await
}

fn notification_list(
    s: &AppState,
    rows: &[notifications::NotificationRow],
    actions: bool,
) -> Markup {
    html! {
        @if rows.is_empty() { (empty("No notifications.")) } @else {
            ul.notes {
                @for n in rows {
                    li class=(if n.read { "note read" } else { "note unread" }) {
                        div.note-head {
                            (badge(n.kind.as_str()))
                            span.sub { (when(s, n.timestamp)) }
                        }
                        div.msg {
                            (red(s, n.message.as_deref().unwrap_or("")))
                            @if let Some(r) = &n.run_id { " · " (run_link(r)) }
                        }
                        @if actions && let Some(id) = &n.id {
                            div.actions {
                                @if !n.read {
                                    form method="post" action=(format!("/api/notifications/{}/read", enc(id))) data-action="read" {
                                        button type="submit" { "Mark read" }
                                    }
                                }
                                form method="post" action=(format!("/api/notifications/{}/dismiss", enc(id))) data-action="dismiss" {
                                    button.ghost type="submit" { "Dismiss" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `/notifications?unread=&all=`: the list, with mark read and dismiss.
pub async fn notifications(State(state): State<Arc<AppState>>, Query(p): Params) -> Response {
    render(&state, "Notifications".into(), "/notifications", move |s| {
        let mut how = api::listing(&p)?;
        if !p.contains_key("limit") {
            how.limit = 100;
        }
        let (rows, _) = notifications::load(&s.opts.roots)?;
        let unread = rows.iter().filter(|r| !r.read && !r.dismissed).count();
        let shown = notifications::list(&rows, how);
        Ok(html! {
            div #view {
                h1 { "Notifications" span.sub #unread { (unread) " unread" } }
                div.toolbar {
                    a href="/notifications" { "all" } " · " a href="/notifications?unread=true" { "unread" } " · " a href="/notifications?all=true" { "with dismissed" }
                    @if unread > 0 {
                        form method="post" action="/api/notifications/read-all" data-action="read-all" { button type="submit" { "Mark all read" } }
                    }
                }
                (notification_list(s, &shown, true))
            }
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_shown_escaped() {
        assert_eq!(visible("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(visible("a\u{1b}[31mred"), "a\\e[31mred");
        assert_eq!(visible("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(visible("nul\u{0}"), "nul\\u{0}");
    }

    #[test]
    fn run_ids_are_percent_encoded() {
        assert_eq!(enc("s1/agent-2"), "s1%2Fagent-2");
        assert_eq!(enc("a b<"), "a%20b%3C");
        assert_eq!(enc("run-001_x.y~"), "run-001_x.y~");
    }

    #[test]
    fn layout_escapes_and_loads_no_inline_script() {
        let html = layout("<x>", "/", html! { p { "<script>alert(1)</script>" } }).into_string();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(html.matches("<script").count(), 1);
        assert!(html.contains(r#"<script src="/static/app.js" defer></script>"#));
    }
}
