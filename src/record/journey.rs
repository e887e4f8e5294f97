//! Journey (CUJ) executions, the `cc-metrics` stream.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Record, Timestamp, check_error, check_non_empty, check_non_negative, envelope_fields};
use crate::error::{Error, Result};
use crate::store::Stream;

/// What started a journey execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JourneySource {
    /// A workflow run.
    Workflow,
    /// A sprint.
    Sprint,
    /// A sandbox.
    Sandbox,
    /// The merge agent.
    MergeAgent,
    /// A command line.
    Cli,
}

/// Operating-system accounting of a run's process tree.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    /// Wall time in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub duration_ms: Option<f64>,
    /// Peak resident set size in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mb: Option<f64>,
    /// User CPU time in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub cpu_user_ms: Option<f64>,
    /// System CPU time in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub cpu_system_ms: Option<f64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Quality scores (0–100) of a run's output.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Quality {
    /// Is it right.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub correctness: Option<f64>,
    /// Are the types sound.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub type_safety: Option<f64>,
    /// Is it well written.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub code_style: Option<f64>,
    /// Is it tested.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub test_coverage: Option<f64>,
    /// Is it finished.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub completeness: Option<f64>,
    /// Weighted mean of the dimensions given.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub composite: Option<f64>,
    /// The composite a run must reach.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub threshold: Option<f64>,
    /// `composite >= threshold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_result: Option<bool>,
    /// Other dimensions.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Quality {
    /// The dimensions that are set, by their camelCase names.
    pub fn dimensions(&self) -> Vec<(&'static str, f64)> {
        [
            ("correctness", self.correctness),
            ("typeSafety", self.type_safety),
            ("codeStyle", self.code_style),
            ("testCoverage", self.test_coverage),
            ("completeness", self.completeness),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }

    fn validate(&self) -> Result<()> {
        for (name, v) in self.dimensions() {
            if !(0.0..=100.0).contains(&v) {
                return Err(Error::invalid(
                    format!("quality.{name}"),
                    format!("{v} is outside 0–100"),
                ));
            }
        }
        Ok(())
    }
}

/// One execution of a critical user journey (SPEC §3, `cc-metrics`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JourneyExecution {
    /// When it happened.
    #[serde(alias = "ts", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The journey.
    pub cuj_id: String,
    /// Whether it succeeded.
    pub success: bool,
    /// Milliseconds.
    #[serde(serialize_with = "super::fraction::serialize")]
    pub duration: f64,
    /// `null`, a message, or an object with a `message`.
    #[serde(default)]
    pub error: Value,
    /// The workflow that ran it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// What started it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<JourneySource>,
    /// How many iterations it took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u32>,
    /// The agents involved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<Vec<String>>,
    /// Warnings raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
    /// Resource accounting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Quality scores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<Quality>,
    /// Free-form details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
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

impl JourneyExecution {
    /// An execution of `cuj_id` with its outcome and duration (ms), nothing else set.
    pub fn new(cuj_id: impl Into<String>, success: bool, duration: f64) -> Self {
        JourneyExecution {
            timestamp: None,
            cuj_id: cuj_id.into(),
            success,
            duration,
            error: Value::Null,
            workflow: None,
            run_id: None,
            source: None,
            iterations: None,
            agents: None,
            warnings: None,
            resources: None,
            quality: None,
            metadata: None,
            id: None,
            host: None,
            extra: Map::new(),
        }
    }
}

impl Record for JourneyExecution {
    const STREAM: Stream = Stream::CujMetrics;

    fn validate(&self) -> Result<()> {
        check_non_empty("cujId", &self.cuj_id)?;
        check_non_negative("duration", Some(self.duration))?;
        check_error(&self.error)?;
        if let Some(q) = &self.quality {
            q.validate()?;
        }
        Ok(())
    }

    fn normalize(&mut self) {
        super::normalize_error(&mut self.error, &mut self.extra);
    }

    envelope_fields!();

    fn redact(&mut self, r: &crate::redact::Redactor) {
        r.redact_string(&mut self.cuj_id);
        r.redact_value(&mut self.error);
        if let Some(m) = &mut self.metadata {
            r.redact_value(m);
        }
        for s in [
            &mut self.workflow,
            &mut self.run_id,
            &mut self.id,
            &mut self.host,
        ] {
            r.redact_opt(s);
        }
        for list in [&mut self.agents, &mut self.warnings].into_iter().flatten() {
            r.redact_strings(list);
        }
        if let Some(res) = &mut self.resources {
            r.redact_map(&mut res.extra);
        }
        if let Some(q) = &mut self.quality {
            r.redact_map(&mut q.extra);
        }
        r.redact_map(&mut self.extra);
    }
}
