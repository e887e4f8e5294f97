//! Run lists and sprint chains, computed from run states.

use serde::Serialize;

use super::read::{all_runs, run_state};
use super::state::RunState;
use crate::error::Result;
use crate::record::{PrStatus, RunStatus, Timestamp};
use crate::store::{Roots, Skipped};

/// A row of `cc-progress runs`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    /// The run.
    pub run_id: String,
    /// Its status.
    pub status: RunStatus,
    /// Its name.
    pub name: Option<String>,
    /// What started it.
    pub source: Option<String>,
    /// Its latest message.
    pub message: Option<String>,
    /// Its first event.
    pub started_at: Timestamp,
    /// How long it ran (so far).
    pub duration_ms: f64,
    /// Its pull request's state.
    pub pr_status: Option<PrStatus>,
    /// Its CI status, as last reported.
    pub ci_status: Option<String>,
    /// Its composite quality score.
    pub quality: Option<f64>,
    /// Its cost (provider calls with its `runId`).
    pub cost_usd: Option<f64>,
    /// Its prompt (the preview).
    pub prompt: Option<String>,
    /// The workflow it executes.
    pub workflow: Option<String>,
    /// Running, with no event for longer than the stale limit (displayed, never
    /// stored).
    pub stale: bool,
}

impl From<&RunState> for RunRow {
    fn from(s: &RunState) -> Self {
        RunRow {
            ci_status: s.ci.as_ref().and_then(|c| c.status.clone()),
            quality: s.composite,
            cost_usd: s.cost_usd,
            prompt: s.prompt.clone(),
            workflow: s.workflow.clone(),
            stale: false,
            run_id: s.run_id.clone(),
            status: s.status,
            name: s.name.clone(),
            source: s.source.clone(),
            message: s.message.clone(),
            started_at: s.started_at,
            duration_ms: s.duration_ms,
            pr_status: s.pr_status,
        }
    }
}

/// Which runs `runs` lists, and which page.
#[derive(Debug, Clone)]
pub struct RunQuery {
    /// Only this status.
    pub status: Option<RunStatus>,
    /// Only this source.
    pub source: Option<String>,
    /// Only this workflow.
    pub workflow: Option<String>,
    /// A running run with no event for longer than this many ms is shown as stale.
    pub stale_after_ms: Option<f64>,
    /// What the stale limit is measured to.
    pub now: Timestamp,
    /// Rows per page (0 for all).
    pub limit: usize,
    /// Page, from 1.
    pub page: usize,
}

/// A page of runs, newest first (by start), and how many match in all.
pub fn run_page(states: &[RunState], q: &RunQuery) -> (Vec<RunRow>, usize) {
    let mut matching: Vec<&RunState> = states
        .iter()
        .filter(|s| q.status.is_none_or(|st| s.status == st))
        .filter(|s| {
            q.source
                .as_deref()
                .is_none_or(|src| s.source.as_deref() == Some(src))
        })
        .filter(|s| {
            q.workflow
                .as_deref()
                .is_none_or(|w| s.workflow.as_deref() == Some(w))
        })
        .collect();
    let row = |s: &RunState| {
        let mut r = RunRow::from(s);
        r.stale = s.status == RunStatus::Running
            && q.stale_after_ms
                .is_some_and(|limit| (q.now.0 - s.updated_at.0) as f64 > limit);
        r
    };
    matching.sort_by(|a, b| (b.started_at, &b.run_id).cmp(&(a.started_at, &a.run_id)));
    let total = matching.len();
    let rows = if q.limit == 0 {
        matching.into_iter().map(row).collect()
    } else {
        let skip = q.page.saturating_sub(1).saturating_mul(q.limit);
        matching
            .into_iter()
            .skip(skip)
            .take(q.limit)
            .map(row)
            .collect()
    };
    (rows, total)
}

/// An earlier run of a sprint, kept when the sprint was run again.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    /// The run.
    pub run_id: String,
    /// How it ended (or stands).
    pub status: RunStatus,
    /// Its first event.
    pub started_at: Timestamp,
    /// Its last event, when it has ended.
    pub ended_at: Option<Timestamp>,
    /// How long it took.
    pub duration_ms: f64,
    /// Its last error.
    pub error: Option<String>,
}

impl From<&RunState> for Attempt {
    fn from(s: &RunState) -> Self {
        Attempt {
            run_id: s.run_id.clone(),
            status: s.status,
            started_at: s.started_at,
            ended_at: s.is_done().then_some(s.updated_at),
            duration_ms: s.duration_ms,
            error: s.errors.last().map(|e| e.message.clone()),
        }
    }
}

/// One sprint of a chain.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Sprint {
    /// Its place, from 1.
    pub index: u64,
    /// Its (latest) run, `null` while pending.
    pub run_id: Option<String>,
    /// The run's status, `pending` when there is no run yet.
    pub status: RunStatus,
    /// How long its run took (so far).
    pub duration_ms: Option<f64>,
    /// Its pull request.
    pub pr_url: Option<String>,
    /// When its (latest) run started.
    pub started_at: Option<Timestamp>,
    /// When its (latest) run ended.
    pub ended_at: Option<Timestamp>,
    /// Its (latest) run's last error: why the chain stopped, when it failed here.
    pub error: Option<String>,
    /// Earlier runs of the same sprint, oldest first (failed attempts are kept).
    pub attempts: Vec<Attempt>,
}

/// `cc-progress chain`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// The chain.
    pub chain_id: String,
    /// `completed` when every sprint is, `failed` when one failed or was cancelled,
    /// `running` once one has started, else `pending`.
    pub status: RunStatus,
    /// Sprints completed.
    pub completed: u64,
    /// Sprints in the chain.
    pub total: u64,
    /// Every sprint, pending ones included.
    pub sprints: Vec<Sprint>,
    /// On a failed chain, the sprint to resume from: the first one not completed.
    pub resume_from: Option<u64>,
    /// The first event of its runs.
    pub started_at: Timestamp,
    /// The latest event of its runs.
    pub updated_at: Timestamp,
}

/// The chain `chain_id` from the states of its runs; `None` when no run belongs to it.
pub fn chain_report(states: &[RunState], chain_id: &str) -> Option<ChainReport> {
    let runs: Vec<&RunState> = states
        .iter()
        .filter(|s| s.chain_id.as_deref() == Some(chain_id))
        .collect();
    if runs.is_empty() {
        return None;
    }
    let total = runs
        .iter()
        .filter_map(|s| s.sprint_total.or(s.sprint_index))
        .max()
        .unwrap_or(runs.len() as u64);
    let mut sprints: Vec<Sprint> = (1..=total)
        .map(|index| Sprint {
            index,
            run_id: None,
            status: RunStatus::Pending,
            duration_ms: None,
            pr_url: None,
            started_at: None,
            ended_at: None,
            error: None,
            attempts: Vec::new(),
        })
        .collect();
    // The latest run of each sprint decides it (a sprint may be retried); the earlier
    // ones are its attempts.
    let mut ordered = runs.clone();
    ordered.sort_by(|a, b| (a.started_at, &a.run_id).cmp(&(b.started_at, &b.run_id)));
    for s in ordered {
        let Some(i) = s.sprint_index.and_then(|i| usize::try_from(i).ok()) else {
            continue;
        };
        let Some(slot) = i.checked_sub(1).filter(|k| *k < sprints.len()) else {
            continue;
        };
        let sprint = &mut sprints[slot];
        if let Some(previous) = sprint.run_id.as_deref()
            && let Some(p) = runs.iter().find(|r| r.run_id == previous)
        {
            sprint.attempts.push(Attempt::from(*p));
        }
        sprint.run_id = Some(s.run_id.clone());
        sprint.status = s.status;
        sprint.duration_ms = Some(s.duration_ms);
        sprint.pr_url.clone_from(&s.pr_url);
        sprint.started_at = Some(s.started_at);
        sprint.ended_at = s.is_done().then_some(s.updated_at);
        sprint.error = s.errors.last().map(|e| e.message.clone());
    }
    let completed = sprints
        .iter()
        .filter(|s| s.status == RunStatus::Completed)
        .count() as u64;
    let status = if completed == total {
        RunStatus::Completed
    } else if sprints
        .iter()
        .any(|s| matches!(s.status, RunStatus::Failed | RunStatus::Cancelled))
    {
        RunStatus::Failed
    } else if sprints.iter().any(|s| s.run_id.is_some()) {
        RunStatus::Running
    } else {
        RunStatus::Pending
    };
    let resume_from = (status == RunStatus::Failed)
        .then(|| {
            sprints
                .iter()
                .find(|s| s.status != RunStatus::Completed)
                .map(|s| s.index)
        })
        .flatten();
    Some(ChainReport {
        chain_id: chain_id.to_string(),
        status,
        completed,
        total,
        sprints,
        resume_from,
        started_at: runs
            .iter()
            .map(|r| r.started_at)
            .min()
            .unwrap_or(Timestamp(0)),
        updated_at: runs
            .iter()
            .map(|r| r.updated_at)
            .max()
            .unwrap_or(Timestamp(0)),
    })
}

/// A row of `cc-progress chains`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChainRow {
    /// The chain.
    pub chain_id: String,
    /// Its status, as in [`ChainReport`].
    pub status: RunStatus,
    /// Sprints completed.
    pub completed: u64,
    /// Sprints in the chain.
    pub total: u64,
    /// Runs that ran again a sprint already run.
    pub retries: u64,
    /// The sprint to resume from, on a failed chain.
    pub resume_from: Option<u64>,
    /// The first event of its runs.
    pub started_at: Timestamp,
    /// The latest event of its runs.
    pub updated_at: Timestamp,
}

/// Every chain among `states`, the most recently active first.
pub fn chain_rows(states: &[RunState]) -> Vec<ChainRow> {
    let mut ids: Vec<&str> = states
        .iter()
        .filter_map(|s| s.chain_id.as_deref())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut rows: Vec<ChainRow> = ids
        .into_iter()
        .filter_map(|id| chain_report(states, id))
        .map(|r| ChainRow {
            retries: r.sprints.iter().map(|s| s.attempts.len() as u64).sum(),
            chain_id: r.chain_id,
            status: r.status,
            completed: r.completed,
            total: r.total,
            resume_from: r.resume_from,
            started_at: r.started_at,
            updated_at: r.updated_at,
        })
        .collect();
    rows.sort_by(|a, b| (b.updated_at, &a.chain_id).cmp(&(a.updated_at, &b.chain_id)));
    rows
}

/// Every chain with a run since `since` (all time when unset), each run folded from
/// its events in range.
pub fn chains(
    roots: &Roots,
    since: Option<Timestamp>,
    now: Timestamp,
) -> Result<(Vec<ChainRow>, Skipped)> {
    let (states, skipped) = all_runs(roots, since, None, now)?;
    Ok((chain_rows(&states), skipped))
}

/// The chain `chain_id` as of `now`: its runs are found by the lines that mention it,
/// then each run's state is folded from all its events.
pub fn chain(
    roots: &Roots,
    chain_id: &str,
    now: Timestamp,
) -> Result<(Option<ChainReport>, Skipped)> {
    let (partial, mut skipped) = all_runs(roots, None, Some(chain_id), now)?;
    let mut states = Vec::new();
    for p in partial
        .iter()
        .filter(|p| p.chain_id.as_deref() == Some(chain_id))
    {
        let (state, s) = run_state(roots, &p.run_id, now)?;
        skipped.merge(s);
        states.extend(state);
    }
    Ok((chain_report(&states, chain_id), skipped))
}

/// `cc-progress runs` (and `/api/runs`): the runs with events since `since`, their
/// costs attached (the provider calls with their `runId`, priced by `prices`), then
/// the page `query` asks for. Returns the page, how many runs match in all, and the
/// skipped lines. One report for every sink.
pub fn run_list(
    roots: &Roots,
    since: Option<Timestamp>,
    query: &RunQuery,
    prices: &crate::health::PriceTable,
) -> Result<(Vec<RunRow>, usize, Skipped)> {
    let (mut states, mut skipped) = all_runs(roots, since, None, query.now)?;
    skipped.merge(super::attach_costs(roots, &mut states, prices)?);
    let (rows, total) = run_page(&states, query);
    Ok((rows, total, skipped))
}

/// `cc-progress current RUN` (and `/api/runs/RUN`): the run's folded state with its
/// cost attached, or `None` for a run without events.
pub fn current_run(
    roots: &Roots,
    run_id: &str,
    now: Timestamp,
    prices: &crate::health::PriceTable,
) -> Result<(Option<RunState>, Skipped)> {
    let (mut state, mut skipped) = run_state(roots, run_id, now)?;
    if let Some(s) = &mut state {
        skipped.merge(super::attach_costs(roots, std::slice::from_mut(s), prices)?);
    }
    Ok((state, skipped))
}
