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
pub struct CiStatus {
    /// Overall CI status (`passing`, `failing`, `pending`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CiCheck>,
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
    /// The run's status after this event.
    pub status: RunStatus,
    /// 0–100.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::whole::opt::serialize"
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
            status,
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
            error: Value::Null,
            id: None,
            host: None,
            extra: Map::new(),
        }
    }
}

impl Record for ProgressEvent {
    const STREAM: Stream = Stream::Progress;

    fn validate(&self) -> Result<()> {
        check_non_empty("runId", &self.run_id)?;
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
        r.redact_value(&mut self.error);
        r.redact_map(&mut self.extra);
    }
}
