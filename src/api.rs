//! One call for each thing a script or another program records: the seed tools' API
//! (`log_skill_invocation`, `record_cuj_execution`, a progress tracker,
//! `record_provider_call`, `generate_dashboard`) over the same writers, validation,
//! redaction, locking and notifications as the five programs.
//!
//! Each function takes the data root (the folder holding `logs/` and `analytics/`) and
//! reads its `ccmon.json` for redaction, host stamping, fsync and thresholds.
//!
//! ```
//! use ccmon::api;
//! use ccmon::record::{JourneyExecution, ProviderCall, SkillInvocation};
//!
//! let root = tempfile::tempdir().unwrap();
//! let mut call = SkillInvocation::new("code-review");
//! call.duration = Some(1234.0);
//! call.params = Some(serde_json::json!({"api_key": "sk-live-123"}));
//! let stored = api::log_skill_invocation(root.path(), call).unwrap();
//! assert_eq!(stored["params"]["api_key"], "[REDACTED]");
//!
//! api::record_cuj_execution(root.path(), JourneyExecution::new("CUJ-005", true, 900.0)).unwrap();
//!
//! let mut tracker = api::ProgressTracker::start(root.path(), "run-1", 2, Some("Review")).unwrap();
//! tracker.step("designing").unwrap();
//! tracker.complete_step().unwrap();
//! tracker.step("checking").unwrap();
//! tracker.complete_step().unwrap();
//! assert_eq!(tracker.state().unwrap().percentage, 100.0);
//!
//! let mut usage = ProviderCall::new("anthropic", true).with_latency(850.0);
//! usage.model = Some("claude-sonnet-4-5".into());
//! usage.input_tokens = Some(1200);
//! usage.output_tokens = Some(300);
//! api::record_provider_call(root.path(), usage).unwrap();
//!
//! let dashboard = api::generate_dashboard(root.path()).unwrap();
//! assert_eq!(dashboard.counters.runs, 1);
//! assert_eq!(dashboard.counters.completed_runs, 1);
//! ```

use std::path::Path;

use serde_json::Value;

use crate::config::Config;
use crate::dashboard::Dashboard;
use crate::error::Result;
use crate::health::Thresholds;
use crate::progress::{RunState, append_event, tracker};
use crate::record::{JourneyExecution, ProgressEvent, ProviderCall, RunStatus, SkillInvocation};
use crate::redact::Redactor;
use crate::store::Roots;
use crate::time::Timestamp;
use crate::writer::Writer;

/// A writer into `root` configured by its `ccmon.json` (and the redaction environment).
fn writer(root: &Path) -> Result<(Config, Writer)> {
    let config = Config::load(root)?;
    let redactor = Redactor::from_config(&config.redact)?;
    let writer = Writer::new(root, redactor, config.host, config.fsync);
    Ok((config, writer))
}

/// Appends a skill invocation (validated, redacted) to `root`; returns it as stored.
pub fn log_skill_invocation(root: &Path, invocation: SkillInvocation) -> Result<Value> {
    writer(root)?.1.append(invocation)
}

/// Appends a journey execution to `root`; when quality dimensions are given, the
/// composite and threshold result are computed with the configured weights (as
/// `cc-metrics record` does). Returns it as stored.
pub fn record_cuj_execution(root: &Path, mut execution: JourneyExecution) -> Result<Value> {
    let (config, writer) = writer(root)?;
    if let Some(q) = execution.quality.take() {
        let scores = q.dimensions();
        execution.quality = Some(if scores.is_empty() {
            q
        } else {
            crate::metrics::score_quality(
                &scores,
                &config.quality.weights,
                config.quality.threshold,
            )?
        });
    }
    writer.append(execution)
}

/// Appends a provider call to `root`, announcing `provider_down`/`provider_recovered`
/// when the provider's status changes (as `cc-health record` does). Returns the call as
/// stored.
pub fn record_provider_call(root: &Path, call: ProviderCall) -> Result<Value> {
    let (config, writer) = writer(root)?;
    let th = Thresholds::from_config(&config.health, None)?;
    let roots = Roots::new(vec![root.to_path_buf()]);
    Ok(crate::health::record_call(&roots, &writer, call, &th)?.call)
}

/// Computes the dashboard of `root` as of now (local days), every string through the
/// root's redactor as `cc-dashboard generate` does, saves it atomically to
/// `analytics/metrics-dashboard.json`, and returns it.
pub fn generate_dashboard(root: &Path) -> Result<Dashboard> {
    let config = Config::load(root)?;
    let redactor = Redactor::from_config(&config.redact)?;
    let roots = Roots::new(vec![root.to_path_buf()]);
    let (dashboard, skipped) =
        crate::dashboard::compute(&roots, &config, Timestamp::now(), false, &redactor)?;
    crate::dashboard::save(root, &dashboard, &skipped)?;
    Ok(dashboard)
}

/// The progress of one run, as the `cc-progress` tracker commands write it: each call
/// appends one event under the progress stream's lock (other processes may advance the
/// same run), and the run's notifications follow.
pub struct ProgressTracker {
    roots: Roots,
    writer: Writer,
    run_id: String,
}

impl ProgressTracker {
    /// Starts run `run_id` with `steps` steps (at least 1), optionally named.
    pub fn start(root: &Path, run_id: &str, steps: u64, name: Option<&str>) -> Result<Self> {
        let (_, writer) = writer(root)?;
        let t = ProgressTracker {
            roots: Roots::new(vec![root.to_path_buf()]),
            writer,
            run_id: run_id.to_string(),
        };
        let mut event = t.template(None);
        event.name = name.map(str::to_string);
        t.write(|s| tracker::start(s, event.clone(), steps))?;
        Ok(t)
    }

    /// Follows an existing run (started elsewhere).
    pub fn attach(root: &Path, run_id: &str) -> Result<Self> {
        let (_, writer) = writer(root)?;
        Ok(ProgressTracker {
            roots: Roots::new(vec![root.to_path_buf()]),
            writer,
            run_id: run_id.to_string(),
        })
    }

    fn template(&self, message: Option<&str>) -> ProgressEvent {
        let mut e = ProgressEvent::new(self.run_id.clone(), RunStatus::Running);
        e.message = message.map(str::to_string);
        e
    }

    fn write(&self, make: impl Fn(Option<&RunState>) -> Result<ProgressEvent>) -> Result<Value> {
        Ok(append_event(&self.roots, &self.writer, &self.run_id, make)?.event)
    }

    /// Begins the next step, with what it does.
    pub fn step(&mut self, message: &str) -> Result<Value> {
        let e = self.template(Some(message));
        self.write(|s| tracker::step(s, e.clone()))
    }

    /// Completes the oldest running step.
    pub fn complete_step(&mut self) -> Result<Value> {
        let e = self.template(None);
        self.write(|s| tracker::complete_step(s, e.clone(), None))
    }

    /// Completes the run (100%).
    pub fn complete(&mut self, message: Option<&str>) -> Result<Value> {
        let e = self.template(message);
        self.write(|s| tracker::complete(s, e.clone()))
    }

    /// Fails the run with `error`.
    pub fn fail(&mut self, error: &str) -> Result<Value> {
        let mut e = self.template(Some(error));
        e.error = Value::String(error.to_string());
        self.write(|s| tracker::end(s, e.clone(), RunStatus::Failed))
    }

    /// The run's folded state now.
    pub fn state(&self) -> Result<RunState> {
        let (state, _) = crate::progress::run_state(&self.roots, &self.run_id, Timestamp::now())?;
        state.ok_or_else(|| crate::Error::invalid("RUN", format!("{} has no events", self.run_id)))
    }
}
