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
        })
        .collect();
    // The latest run of each sprint decides it (a sprint may be retried).
    let mut latest: Vec<Option<Timestamp>> = vec![None; sprints.len()];
    for s in &runs {
        let Some(i) = s.sprint_index.and_then(|i| usize::try_from(i).ok()) else {
            continue;
        };
        let Some(slot) = i.checked_sub(1).filter(|k| *k < sprints.len()) else {
            continue;
        };
        if latest[slot].is_some_and(|t| t > s.started_at) {
            continue;
        }
        latest[slot] = Some(s.started_at);
        sprints[slot] = Sprint {
            index: i as u64,
            run_id: Some(s.run_id.clone()),
            status: s.status,
            duration_ms: Some(s.duration_ms),
            pr_url: s.pr_url.clone(),
        };
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
    Some(ChainReport {
        chain_id: chain_id.to_string(),
        status,
        completed,
        total,
        sprints,
    })
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
