//! Progress events of runs, the `cc-progress` stream.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Record, Timestamp, check_error, check_non_empty, envelope_fields};
use crate::error::{Error, Result};
use crate::store::Stream;

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Not started.
    Pending,
    /// Under way.
    Running,
    /// Finished well.
    Completed,
    /// Finished badly.
    Failed,
    /// Stopped before the end.
    Cancelled,
}

impl RunStatus {
    /// The lowercase name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Completed => "completed",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }

    /// Completed, failed or cancelled.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

/// The state of a run's pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum PrStatus {
    None,
    Created,
    Merged,
    Failed,
    BlockedOnCi,
}

impl PrStatus {
    /// The snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            PrStatus::None => "none",
            PrStatus::Created => "created",
            PrStatus::Merged => "merged",
            PrStatus::Failed => "failed",
            PrStatus::BlockedOnCi => "blocked_on_ci",
        }
    }
}

/// One CI check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CiCheck {
    /// The check's name.
    pub name: String,
    /// Its status (`success`, `failure`, `pending`).
    pub status: String,
    /// Where to see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// CI state carried on an event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CiStatus {
    /// Overall CI status (`passing`, `failing`, `pending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CiCheck>,
    /// When CI was last looked at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<Timestamp>,
}

/// Which stream of an agent's output a chunk belongs to (CodeCourier's terminal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum OutputStream {
    Assistant,
    Tool,
    User,
    Stdout,
    Stderr,
}

impl OutputStream {
    /// The lowercase name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputStream::Assistant => "assistant",
            OutputStream::Tool => "tool",
            OutputStream::User => "user",
            OutputStream::Stdout => "stdout",
            OutputStream::Stderr => "stderr",
        }
    }
}

/// A chunk of an agent's output, carried by an event without a status.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutputChunk {
    /// Which stream.
    pub stream: OutputStream,
    /// The text (redacted, colour codes stripped).
    pub text: String,
}

/// One progress event of a run (SPEC §3, `cc-progress`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProgressEvent {
    /// When it happened.
    #[serde(alias = "ts", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The run.
    pub run_id: String,
    /// The step (≥ 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// The run's status after this event; `None` only on output chunks, which the
    /// fold ignores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RunStatus>,
    /// 0–100.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub percentage: Option<f64>,
    /// What is happening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How many steps the run has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_steps: Option<u64>,
    /// The run's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What started the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The agent role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The iteration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iteration: Option<u64>,
    /// The sprint chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<String>,
    /// This sprint's index in the chain (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sprint_index: Option<u64>,
    /// Sprints in the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sprint_total: Option<u64>,
    /// The pull request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_url: Option<String>,
    /// The pull request's state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_status: Option<PrStatus>,
    /// CI state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<CiStatus>,
    /// Quality scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<Value>,
    /// The workflow the run executes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The id of the job that triggered the run (e.g. a trigger.dev run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_run_id: Option<String>,
    /// The prompt the run was given (the run list's preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The sandbox the run works in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_id: Option<String>,
    /// The run's configuration (an object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// Why the pull request could not be created or merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr_error: Option<String>,
    /// An output chunk (events with one carry no status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputChunk>,
    /// `null`, a message, or an object with a `message`.
    #[serde(default)]
    pub error: Value,
    /// Unique id (ULID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The writer's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Unknown fields, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ProgressEvent {
    /// An event of `run_id` with `status` and nothing else set.
    pub fn new(run_id: impl Into<String>, status: RunStatus) -> Self {
        ProgressEvent {
            timestamp: None,
            run_id: run_id.into(),
            step: None,
            status: Some(status),
            percentage: None,
            message: None,
            total_steps: None,
            name: None,
            source: None,
            role: None,
            tool: None,
            model: None,
            iteration: None,
            chain_id: None,
            sprint_index: None,
            sprint_total: None,
            pr_url: None,
            pr_status: None,
            ci: None,
            quality: None,
            workflow: None,
            trigger_run_id: None,
            prompt: None,
            sandbox_id: None,
            config: None,
            pr_error: None,
            output: None,
            error: Value::Null,
            id: None,
            host: None,
            extra: Map::new(),
        }
    }
}

impl ProgressEvent {
    /// An output chunk of `run_id`: an event with `output` and no status.
    pub fn output(run_id: impl Into<String>, stream: OutputStream, text: String) -> Self {
        let mut e = ProgressEvent::new(run_id, RunStatus::Running);
        e.status = None;
        e.output = Some(OutputChunk { stream, text });
        e
    }

    /// The checker's verdict carried in `quality.verdict` (`pass` or `fail`).
    pub fn verdict(&self) -> Option<&str> {
        self.quality.as_ref()?.get("verdict")?.as_str()
    }
}

/// A step's `quality`: an object whose dimensions are numbers 0–100 and whose
/// `verdict`, when present, is `pass` or `fail`.
fn check_quality(q: &Value) -> Result<()> {
    let Some(map) = q.as_object() else {
        return Err(Error::invalid("quality", "must be a JSON object"));
    };
    if let Some(v) = map.get("verdict")
        && !matches!(v.as_str(), Some("pass" | "fail"))
    {
        return Err(Error::invalid(
            "quality.verdict",
            "must be \"pass\" or \"fail\"",
        ));
    }
    Ok(())
}

impl Record for ProgressEvent {
    const STREAM: Stream = Stream::Progress;

    fn validate(&self) -> Result<()> {
        check_non_empty("runId", &self.run_id)?;
        match (&self.status, &self.output) {
            (None, None) => return Err(Error::invalid("status", "is required")),
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "status",
                    "an output chunk carries no status",
                ));
            }
            _ => {}
        }
        if self.config.as_ref().is_some_and(|c| !c.is_object()) {
            return Err(Error::invalid("config", "must be a JSON object"));
        }
        if let Some(q) = &self.quality {
            check_quality(q)?;
        }
        if let Some(p) = self.percentage
            && !(0.0..=100.0).contains(&p)
        {
            return Err(Error::invalid(
                "percentage",
                format!("{p} is outside 0–100"),
            ));
        }
        if self.total_steps == Some(0) {
            return Err(Error::invalid("totalSteps", "must be at least 1"));
        }
        if let (Some(i), Some(t)) = (self.sprint_index, self.sprint_total)
            && (i == 0 || i > t)
        {
            return Err(Error::invalid(
                "sprintIndex",
                format!("{i} is not between 1 and sprintTotal {t}"),
            ));
        }
        check_error(&self.error)
    }

    fn normalize(&mut self) {
        super::normalize_error(&mut self.error, &mut self.extra);
        if let Some(q) = &mut self.quality {
            super::numbers_as_fractions(q);
        }
    }

    envelope_fields!();

    fn redact(&mut self, r: &crate::redact::Redactor) {
        r.redact_string(&mut self.run_id);
        for s in [
            &mut self.message,
            &mut self.name,
            &mut self.source,
            &mut self.role,
            &mut self.tool,
            &mut self.model,
            &mut self.chain_id,
            &mut self.pr_url,
            &mut self.workflow,
            &mut self.trigger_run_id,
            &mut self.prompt,
            &mut self.sandbox_id,
            &mut self.pr_error,
            &mut self.id,
            &mut self.host,
        ] {
            r.redact_opt(s);
        }
        if let Some(ci) = &mut self.ci {
            r.redact_opt(&mut ci.status);
            for check in &mut ci.checks {
                r.redact_string(&mut check.name);
                r.redact_string(&mut check.status);
                r.redact_opt(&mut check.url);
            }
        }
        if let Some(q) = &mut self.quality {
            r.redact_value(q);
        }
        if let Some(c) = &mut self.config {
            r.redact_value(c);
        }
        if let Some(o) = &mut self.output {
            r.redact_string(&mut o.text);
        }
        r.redact_value(&mut self.error);
        r.redact_map(&mut self.extra);
    }
}
