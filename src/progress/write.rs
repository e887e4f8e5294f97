//! Writing progress events: every write reads the run's state under the stream lock,
//! derives what the tracker commands need (next step, percentage), appends the event,
//! and appends the notifications the event causes (SPEC §3), so that concurrent
//! writers never take the same step and each transition is announced once.

use serde_json::Value;

use super::read::run_state;
use super::state::{RunState, StepState};
use crate::error::{Error, Result};
use crate::record::{
    Notification, NotificationType, PrStatus, ProgressEvent, RunStatus, Timestamp,
};
use crate::store::{Roots, Stream, StreamLock};
use crate::writer::Writer;

/// What a write appended.
#[derive(Debug, Clone)]
pub struct Written {
    /// The event, as stored.
    pub event: Value,
    /// The run's state after it.
    pub state: RunState,
    /// The notifications appended, as stored.
    pub notifications: Vec<Value>,
}

/// Appends the event `make` builds from the run's current state (`None` for a run
/// without events), under the progress stream's lock, then the notifications it
/// causes. `make` may refuse with an error; nothing is written then.
pub fn append_event(
    roots: &Roots,
    writer: &Writer,
    run_id: &str,
    make: impl Fn(Option<&RunState>) -> Result<ProgressEvent>,
) -> Result<Written> {
    // Taking the lock creates its file when missing: then refuse first, so that a refused
    // command (an unknown run, an ended one) leaves nothing behind. Decided again under
    // the lock; when the lock file exists, the run is read once, under it.
    if std::fs::symlink_metadata(StreamLock::path(roots.primary(), Stream::Progress)).is_err() {
        let (unlocked, _) = run_state(roots, run_id, Timestamp::now())?;
        make(unlocked.as_ref())?;
    }
    let _lock = StreamLock::acquire(roots.primary(), Stream::Progress)?;
    let now = Timestamp::now();
    let (before, _) = run_state(roots, run_id, now)?;
    let event = make(before.as_ref())?;
    let prepared = writer.prepare(event, now)?;
    let stored = prepared.value();
    // The state after the event, from the event as stored (timestamp filled).
    let as_stored: ProgressEvent =
        serde_json::from_value(stored.clone()).map_err(|e| Error::Internal {
            what: "reading back a prepared event",
            message: e.to_string(),
        })?;
    let t = as_stored.timestamp.unwrap_or(now);
    let after = match before.clone() {
        Some(mut s) => {
            s.apply(&as_stored, t);
            s.finish(now);
            s
        }
        None => RunState::fold(std::iter::once(&as_stored), now)
            .ok_or_else(|| Error::invalid("event", "cannot be folded into a run"))?,
    };
    writer.write(std::slice::from_ref(&prepared))?;
    let mut notifications = Vec::new();
    for mut n in notifications_for(before.as_ref(), &after, &as_stored) {
        // A notification is dated by the event that caused it.
        n.timestamp = Some(t);
        notifications.push(writer.append(n)?);
    }
    Ok(Written {
        event: stored,
        state: after,
        notifications,
    })
}

fn notification(kind: NotificationType, run_id: &str, message: String) -> Notification {
    let mut n = Notification::new(kind, message);
    n.run_id = Some(run_id.to_string());
    n
}

/// The notifications an event causes: the run ending, its PR changing state, its
/// sprint chain ending.
fn notifications_for(
    before: Option<&RunState>,
    after: &RunState,
    event: &ProgressEvent,
) -> Vec<Notification> {
    let mut out = Vec::new();
    let run = &after.run_id;
    let label = after.label().to_string();
    let was_done = before.is_some_and(RunState::is_done);
    if after.is_done() && !was_done {
        let last_error = after.errors.last().map(|e| e.message.clone());
        let (kind, message) = match after.status {
            RunStatus::Completed => (NotificationType::RunCompleted, format!("{label} completed")),
            RunStatus::Failed => (
                NotificationType::RunFailed,
                match &last_error {
                    Some(e) => format!("{label} failed: {e}"),
                    None => format!("{label} failed"),
                },
            ),
            _ => (
                NotificationType::RunCancelled,
                format!("{label} was cancelled"),
            ),
        };
        out.push(notification(kind, run, message));
        if after.status == RunStatus::Completed
            && let Some(w) = &after.workflow
        {
            out.push(notification(
                NotificationType::WorkflowCompleted,
                run,
                format!("workflow {w} completed: {label}"),
            ));
        }
        if let Some(chain) = &after.chain_id {
            let place = match (after.sprint_index, after.sprint_total) {
                (Some(i), Some(t)) => format!("sprint {i} of {t}"),
                (Some(i), None) => format!("sprint {i}"),
                _ => "a sprint".to_string(),
            };
            match after.status {
                RunStatus::Completed
                    if after.sprint_index.is_some() && after.sprint_index == after.sprint_total =>
                {
                    out.push(notification(
                        NotificationType::SprintCompleted,
                        run,
                        format!("{chain} completed: {place} finished"),
                    ));
                }
                RunStatus::Failed | RunStatus::Cancelled => out.push(notification(
                    NotificationType::SprintFailed,
                    run,
                    format!(
                        "{chain} stopped: {place} ({label}) {}",
                        after.status.as_str()
                    ),
                )),
                _ => {}
            }
        }
    }
    let pr_before = before.and_then(|b| b.pr_status);
    if let Some(pr) = event.pr_status
        && Some(pr) != pr_before
    {
        let url = after
            .pr_url
            .as_deref()
            .map(|u| format!(": {u}"))
            .unwrap_or_default();
        let kind = match pr {
            PrStatus::Created => Some((NotificationType::PrCreated, "created")),
            PrStatus::Merged => Some((NotificationType::PrMerged, "merged")),
            PrStatus::Failed => Some((NotificationType::PrFailed, "failed")),
            PrStatus::None | PrStatus::BlockedOnCi => None,
        };
        if let Some((kind, verb)) = kind {
            out.push(notification(
                kind,
                run,
                format!("PR of {label} {verb}{url}"),
            ));
        }
    }
    out
}

/// Tracker commands: events derived from the run's state.
pub mod tracker {
    use super::*;

    fn need_run<'a>(state: Option<&'a RunState>, run_id: &str) -> Result<&'a RunState> {
        state.ok_or_else(|| {
            Error::invalid(
                "RUN",
                format!(
                    "{run_id} has no events; start it with `cc-progress start {run_id} --steps N`"
                ),
            )
        })
    }

    fn need_active(state: &RunState) -> Result<()> {
        if state.is_done() {
            return Err(Error::invalid(
                "RUN",
                format!("{} has already {}", state.run_id, ended_word(state.status)),
            ));
        }
        Ok(())
    }

    fn ended_word(status: RunStatus) -> &'static str {
        match status {
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            _ => "been cancelled",
        }
    }

    /// Percentage of `completed` of `total` steps, one decimal, at most 100.
    pub fn percentage(completed: u64, total: Option<u64>) -> Option<f64> {
        let total = total.filter(|t| *t > 0)?;
        let p = (completed as f64 / total as f64 * 100.0).min(100.0);
        Some((p * 10.0).round() / 10.0)
    }

    /// `start RUN --steps N`: the run is running at step 0 and 0%. `template` carries
    /// the optional fields (name, source, ...).
    pub fn start(
        state: Option<&RunState>,
        mut template: ProgressEvent,
        steps: u64,
    ) -> Result<ProgressEvent> {
        if let Some(s) = state {
            return Err(Error::invalid(
                "RUN",
                format!(
                    "{} was already started at {} (it is {})",
                    s.run_id,
                    s.started_at,
                    s.status.as_str()
                ),
            ));
        }
        if steps == 0 {
            return Err(Error::invalid(
                "--steps",
                "must be at least 1 (a run has at least one step)",
            ));
        }
        template.status = Some(RunStatus::Running);
        template.step = Some(0);
        template.percentage = Some(0.0);
        template.total_steps = Some(steps);
        Ok(template)
    }

    /// `step RUN MSG`: the next step, running.
    pub fn step(state: Option<&RunState>, mut template: ProgressEvent) -> Result<ProgressEvent> {
        let s = need_run(state, &template.run_id)?;
        need_active(s)?;
        template.status = Some(RunStatus::Running);
        template.step = Some(s.step.unwrap_or(0) + 1);
        template.percentage = percentage(s.completed_steps(), s.total_steps);
        Ok(template)
    }

    /// `complete-step RUN [MSG] [--step N]`: step `N`, or the oldest running step when
    /// none is named (several steps may run at once, begun by different processes),
    /// completed; the percentage counts it.
    pub fn complete_step(
        state: Option<&RunState>,
        mut template: ProgressEvent,
        step: Option<u64>,
    ) -> Result<ProgressEvent> {
        let s = need_run(state, &template.run_id)?;
        need_active(s)?;
        let running = |st: &&StepState| st.step > 0 && st.status == RunStatus::Running;
        let target = match step {
            Some(n) => {
                let known = s.steps.iter().find(|st| st.step == n && n > 0);
                match known {
                    Some(st) if running(&st) => n,
                    Some(st) => {
                        return Err(Error::invalid(
                            "--step",
                            format!(
                                "step {n} of {} is not running (it is {})",
                                s.run_id,
                                st.status.as_str()
                            ),
                        ));
                    }
                    None => {
                        return Err(Error::invalid(
                            "--step",
                            format!("{} has no step {n}", s.run_id),
                        ));
                    }
                }
            }
            None => match s
                .steps
                .iter()
                .filter(running)
                .min_by_key(|st| st.started_at)
            {
                Some(st) => st.step,
                None => {
                    return Err(Error::invalid(
                        "RUN",
                        format!(
                            "{} has no step running; begin one with `cc-progress step {} MSG`",
                            s.run_id, s.run_id
                        ),
                    ));
                }
            },
        };
        template.status = Some(RunStatus::Completed);
        template.step = Some(target);
        template.total_steps = s.total_steps;
        template.percentage = percentage(s.completed_steps() + 1, s.total_steps);
        Ok(template)
    }

    /// `complete RUN [MSG]`: the run, completed at 100%. Completing a run whose last
    /// step already completed it is allowed (it adds the final message).
    pub fn complete(
        state: Option<&RunState>,
        mut template: ProgressEvent,
    ) -> Result<ProgressEvent> {
        let s = need_run(state, &template.run_id)?;
        if s.status != RunStatus::Completed {
            need_active(s)?;
        }
        template.status = Some(RunStatus::Completed);
        template.step = s.step.or(Some(0));
        template.percentage = Some(100.0);
        Ok(template)
    }

    /// `fail RUN MSG` or `cancel RUN`: the run ends at its current step.
    pub fn end(
        state: Option<&RunState>,
        mut template: ProgressEvent,
        status: RunStatus,
    ) -> Result<ProgressEvent> {
        let s = need_run(state, &template.run_id)?;
        need_active(s)?;
        template.status = Some(status);
        template.step = s.step.or(Some(0));
        Ok(template)
    }
}
