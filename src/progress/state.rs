//! A run's state: the fold of its progress events (SPEC §3) — the latest status, the
//! highest percentage, each step's first `running` and last terminal event.

use serde::Serialize;
use serde_json::Value;

use crate::record::{CiStatus, PrStatus, ProgressEvent, RunStatus, Timestamp, error_message};

/// One step of a run.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StepState {
    /// The step number.
    pub step: u64,
    /// Its latest status.
    pub status: RunStatus,
    /// Its latest message.
    pub message: Option<String>,
    /// Its first `running` event (or first event).
    pub started_at: Timestamp,
    /// Its last terminal event, when its latest status is terminal.
    pub ended_at: Option<Timestamp>,
    /// From start to end, or to now while it runs.
    pub duration_ms: Option<f64>,
    /// The role that worked on it.
    pub role: Option<String>,
    /// The tool.
    pub tool: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// The iteration.
    pub iteration: Option<u64>,
    /// Its quality: an evaluator's scores (with composite and threshold result) and
    /// a checker's verdict, as last reported for the step.
    pub quality: Option<Value>,
    /// The checker's verdict (`pass` or `fail`), from `quality.verdict`.
    pub verdict: Option<String>,
}

impl StepState {
    /// The evaluator's composite score of the step, when it has one.
    pub fn composite(&self) -> Option<f64> {
        self.quality.as_ref()?.get("composite")?.as_f64()
    }
}

/// An error carried on an event.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunError {
    /// When.
    pub timestamp: Timestamp,
    /// At which step.
    pub step: Option<u64>,
    /// The message.
    pub message: String,
}

/// A run's state (`cc-progress current --json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    /// The run.
    pub run_id: String,
    /// The latest status (a step's completion leaves the run running).
    pub status: RunStatus,
    /// The highest step seen.
    pub step: Option<u64>,
    /// How many steps the run has.
    pub total_steps: Option<u64>,
    /// The highest percentage seen.
    pub percentage: f64,
    /// The latest message.
    pub message: Option<String>,
    /// The run's name.
    pub name: Option<String>,
    /// What started it.
    pub source: Option<String>,
    /// Its first event.
    pub started_at: Timestamp,
    /// Its latest event.
    pub updated_at: Timestamp,
    /// From start to end, or to now while it runs.
    pub duration_ms: f64,
    /// Steps, in order (step 0, the start, only when it ended or is the only one).
    pub steps: Vec<StepState>,
    /// The sprint chain it belongs to.
    pub chain_id: Option<String>,
    /// Its place in the chain (from 1).
    pub sprint_index: Option<u64>,
    /// The chain's length.
    pub sprint_total: Option<u64>,
    /// Its pull request.
    pub pr_url: Option<String>,
    /// The pull request's state.
    pub pr_status: Option<PrStatus>,
    /// CI state, as last reported.
    pub ci: Option<CiStatus>,
    /// Quality scores and verdicts, as last reported.
    pub quality: Option<Value>,
    /// The mean of the evaluator steps' composites (`null` without any).
    pub composite: Option<f64>,
    /// `composite >= threshold` (the threshold the evaluator steps carry); `null`
    /// without a composite or a threshold.
    pub threshold_result: Option<bool>,
    /// The sum of the costs of the provider calls with the run's `runId` (filled by
    /// the readers that look them up; `null` when none has a known cost).
    pub cost_usd: Option<f64>,
    /// The workflow it executes.
    pub workflow: Option<String>,
    /// The job that triggered it.
    pub trigger_run_id: Option<String>,
    /// Its prompt.
    pub prompt: Option<String>,
    /// Its sandbox.
    pub sandbox_id: Option<String>,
    /// Its configuration.
    pub config: Option<Value>,
    /// Why its pull request failed, as last reported.
    pub pr_error: Option<String>,
    /// Every error reported, oldest first.
    pub errors: Vec<RunError>,
    /// How many events it has.
    pub events: u64,
}

/// Whether `e` completes one step of several rather than the run: a `completed` event
/// for a step short of the last, below 100%, or for any step of a run with a known
/// number of steps while the percentage is below 100 (steps run at once may complete
/// out of order, the last-numbered one first).
pub fn completes_a_step(e: &ProgressEvent, total_steps: Option<u64>) -> bool {
    e.status == Some(RunStatus::Completed)
        && match (e.step, e.total_steps.or(total_steps)) {
            (Some(s), Some(t)) => {
                (s < t && e.percentage.is_none_or(|p| p < 100.0))
                    || (s > 0 && e.percentage.is_some_and(|p| p < 100.0))
            }
            _ => false,
        }
}

/// Whether `e` starts a run: step 0, pending or running.
pub fn is_start(e: &ProgressEvent) -> bool {
    e.step == Some(0) && matches!(e.status, Some(RunStatus::Running | RunStatus::Pending))
}

impl RunState {
    /// The state after the first event.
    fn new(e: &ProgressEvent, status: RunStatus, t: Timestamp) -> RunState {
        RunState {
            run_id: e.run_id.clone(),
            status,
            step: None,
            total_steps: None,
            percentage: 0.0,
            message: None,
            name: None,
            source: None,
            started_at: t,
            updated_at: t,
            duration_ms: 0.0,
            steps: Vec::new(),
            chain_id: None,
            sprint_index: None,
            sprint_total: None,
            pr_url: None,
            pr_status: None,
            ci: None,
            quality: None,
            composite: None,
            threshold_result: None,
            cost_usd: None,
            workflow: None,
            trigger_run_id: None,
            prompt: None,
            sandbox_id: None,
            config: None,
            pr_error: None,
            errors: Vec::new(),
            events: 0,
        }
    }

    /// Folds events (in time order) into a state, with durations measured to `now` for
    /// what is still running. Output chunks (events without a status) are ignored.
    /// `None` without status events.
    pub fn fold<'a>(
        events: impl IntoIterator<Item = &'a ProgressEvent>,
        now: Timestamp,
    ) -> Option<RunState> {
        let mut state: Option<RunState> = None;
        for e in events {
            let Some(status) = e.status else { continue };
            let t = e.timestamp.unwrap_or(now);
            state
                .get_or_insert_with(|| RunState::new(e, status, t))
                .apply(e, t);
        }
        let mut state = state?;
        state.finish(now);
        Some(state)
    }

    /// Folds one more event in (events must come in time order); output chunks
    /// change nothing.
    pub fn apply(&mut self, e: &ProgressEvent, t: Timestamp) {
        let Some(status) = e.status else { return };
        self.events += 1;
        self.updated_at = self.updated_at.max(t);
        self.started_at = self.started_at.min(t);
        if e.total_steps.is_some() {
            self.total_steps = e.total_steps;
        }
        self.status = if completes_a_step(e, self.total_steps) {
            RunStatus::Running
        } else {
            status
        };
        if let Some(p) = e.percentage {
            self.percentage = self.percentage.max(p);
        }
        if e.step.is_some() {
            self.step = self.step.max(e.step);
        }
        let latest = |slot: &mut Option<String>, v: &Option<String>| {
            if v.is_some() {
                slot.clone_from(v);
            }
        };
        latest(&mut self.message, &e.message);
        latest(&mut self.name, &e.name);
        latest(&mut self.source, &e.source);
        latest(&mut self.chain_id, &e.chain_id);
        latest(&mut self.pr_url, &e.pr_url);
        latest(&mut self.workflow, &e.workflow);
        latest(&mut self.trigger_run_id, &e.trigger_run_id);
        latest(&mut self.prompt, &e.prompt);
        latest(&mut self.sandbox_id, &e.sandbox_id);
        latest(&mut self.pr_error, &e.pr_error);
        if e.config.is_some() {
            self.config.clone_from(&e.config);
        }
        if e.sprint_index.is_some() {
            self.sprint_index = e.sprint_index;
        }
        if e.sprint_total.is_some() {
            self.sprint_total = e.sprint_total;
        }
        if e.pr_status.is_some() {
            self.pr_status = e.pr_status;
        }
        if e.ci.is_some() {
            self.ci.clone_from(&e.ci);
        }
        if e.quality.is_some() {
            self.quality.clone_from(&e.quality);
        }
        if let Some(message) = error_message(&e.error) {
            self.errors.push(RunError {
                timestamp: t,
                step: e.step,
                message,
            });
        }
        if let Some(k) = e.step {
            let i = match self.steps.iter().position(|s| s.step == k) {
                Some(i) => i,
                None => {
                    self.steps.push(StepState {
                        step: k,
                        status,
                        message: None,
                        started_at: t,
                        ended_at: None,
                        duration_ms: None,
                        role: None,
                        tool: None,
                        model: None,
                        iteration: None,
                        quality: None,
                        verdict: None,
                    });
                    self.steps.sort_by_key(|s| s.step);
                    self.steps.iter().position(|s| s.step == k).unwrap_or(0)
                }
            };
            let s = &mut self.steps[i];
            if status == RunStatus::Running && s.status != RunStatus::Running {
                // A re-run of a step that had ended starts it again.
                if s.ended_at.is_some() {
                    s.started_at = t;
                }
            }
            s.status = status;
            s.ended_at = status.is_terminal().then_some(t);
            latest(&mut s.message, &e.message);
            latest(&mut s.role, &e.role);
            latest(&mut s.tool, &e.tool);
            latest(&mut s.model, &e.model);
            if e.iteration.is_some() {
                s.iteration = e.iteration;
            }
            if let Some(q) = &e.quality {
                s.quality = Some(q.clone());
                if let Some(v) = e.verdict() {
                    s.verdict = Some(v.to_string());
                }
            }
        }
    }

    /// Fills the durations, measuring to `now` what still runs.
    pub fn finish(&mut self, now: Timestamp) {
        let end = if self.status.is_terminal() {
            self.updated_at
        } else {
            now.max(self.updated_at)
        };
        self.duration_ms = (end.0 - self.started_at.0) as f64;
        let run_ended = self.status.is_terminal();
        for s in &mut self.steps {
            let step_end = match s.ended_at {
                Some(e) => Some(e),
                // A step still marked running when the run has ended ends with it.
                None if run_ended => Some(self.updated_at),
                None => Some(now.max(s.started_at)),
            };
            s.duration_ms = step_end.map(|e| (e.0 - s.started_at.0) as f64);
        }
        let only_start = self.steps.len() == 1;
        self.steps
            .retain(|s| s.step != 0 || only_start || s.status.is_terminal() || s.quality.is_some());
        self.score();
    }

    /// The run's composite: the mean of its evaluator steps' composites (or, with no
    /// step scored, the composite of the run-level quality), against the threshold
    /// they carry.
    fn score(&mut self) {
        let scored: Vec<&Value> = self
            .steps
            .iter()
            .filter(|s| s.composite().is_some())
            .filter_map(|s| s.quality.as_ref())
            .collect();
        let (composite, threshold) = if scored.is_empty() {
            let q = self.quality.as_ref();
            (
                q.and_then(|q| q.get("composite")?.as_f64()),
                q.and_then(|q| q.get("threshold")?.as_f64()),
            )
        } else {
            let sum: f64 = scored
                .iter()
                .filter_map(|q| q.get("composite")?.as_f64())
                .sum();
            let mean = sum / scored.len() as f64;
            (
                Some((mean * 100.0).round() / 100.0),
                scored
                    .iter()
                    .rev()
                    .find_map(|q| q.get("threshold")?.as_f64()),
            )
        };
        self.composite = composite;
        self.threshold_result = match (composite, threshold) {
            (Some(c), Some(t)) => Some(c >= t),
            _ => None,
        };
    }

    /// Whether the run has ended.
    pub fn is_done(&self) -> bool {
        self.status.is_terminal()
    }

    /// How many steps have completed.
    pub fn completed_steps(&self) -> u64 {
        self.steps
            .iter()
            .filter(|s| s.step > 0 && s.status == RunStatus::Completed)
            .count() as u64
    }

    /// The run's name, or its id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.run_id)
    }
}
