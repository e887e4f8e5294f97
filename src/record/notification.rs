//! Notifications, appended by the programs and read by `cc-dashboard`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Record, Timestamp, envelope_fields};
use crate::error::{Error, Result};
use crate::store::Stream;

/// What a notification is about, or a state change of an earlier one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum NotificationType {
    RunCompleted,
    RunFailed,
    RunCancelled,
    PrCreated,
    PrMerged,
    PrFailed,
    SprintCompleted,
    SprintFailed,
    ProviderDown,
    ProviderRecovered,
    AlertFired,
    AlertResolved,
    /// A run that carries a workflow completed (with its `run_completed`).
    WorkflowCompleted,
    /// Marks the notification `target` read.
    Read,
    /// Marks the notification `target` dismissed.
    Dismissed,
}

impl NotificationType {
    /// The snake_case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationType::RunCompleted => "run_completed",
            NotificationType::RunFailed => "run_failed",
            NotificationType::RunCancelled => "run_cancelled",
            NotificationType::PrCreated => "pr_created",
            NotificationType::PrMerged => "pr_merged",
            NotificationType::PrFailed => "pr_failed",
            NotificationType::SprintCompleted => "sprint_completed",
            NotificationType::SprintFailed => "sprint_failed",
            NotificationType::ProviderDown => "provider_down",
            NotificationType::ProviderRecovered => "provider_recovered",
            NotificationType::AlertFired => "alert_fired",
            NotificationType::AlertResolved => "alert_resolved",
            NotificationType::WorkflowCompleted => "workflow_completed",
            NotificationType::Read => "read",
            NotificationType::Dismissed => "dismissed",
        }
    }
}

/// A notification or a state record (SPEC §3). Append-only: reading and dismissing
/// are later records naming their `target`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// When it happened.
    #[serde(alias = "ts", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// Unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The kind.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// The run it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// What to tell the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For `read` and `dismissed`: the notification's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The writer's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Unknown fields, kept.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Notification {
    /// A notification of `kind` telling `message`, with a new `n-<ULID>` id.
    pub fn new(kind: NotificationType, message: impl Into<String>) -> Self {
        Notification {
            timestamp: None,
            id: Some(format!("n-{}", ulid::Ulid::generate())),
            kind,
            run_id: None,
            message: Some(message.into()),
            target: None,
            host: None,
            extra: Map::new(),
        }
    }

    /// A state record (`read` or `dismissed`) about the notification `target`.
    pub fn state(kind: NotificationType, target: impl Into<String>) -> Self {
        Notification {
            timestamp: None,
            id: None,
            kind,
            run_id: None,
            message: None,
            target: Some(target.into()),
            host: None,
            extra: Map::new(),
        }
    }
}

impl Record for Notification {
    const STREAM: Stream = Stream::Notifications;

    fn validate(&self) -> Result<()> {
        let is_state = matches!(
            self.kind,
            NotificationType::Read | NotificationType::Dismissed
        );
        if is_state && self.target.as_deref().is_none_or(str::is_empty) {
            return Err(Error::invalid(
                "target",
                "read and dismissed records need the notification's id",
            ));
        }
        Ok(())
    }

    envelope_fields!();

    fn redact(&mut self, r: &crate::redact::Redactor) {
        for s in [
            &mut self.id,
            &mut self.run_id,
            &mut self.message,
            &mut self.target,
            &mut self.host,
        ] {
            r.redact_opt(s);
        }
        r.redact_map(&mut self.extra);
    }
}
