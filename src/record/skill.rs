//! Skill invocations, the `cc-log` stream.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Record, Timestamp, check_error, check_non_empty, check_non_negative, envelope_fields};
use crate::error::Result;
use crate::store::Stream;

/// How a skill invocation ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
pub enum SkillResult {
    /// It did what was asked.
    #[default]
    Success,
    /// It failed.
    Failure,
    /// It did part of what was asked.
    Partial,
    /// It ran out of time.
    Timeout,
    /// It was not run.
    Skipped,
}

impl std::str::FromStr for SkillResult {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a result; expected one of success, failure, partial, timeout, skipped"))
    }
}

impl SkillResult {
    /// Every result, in the order of the specification.
    pub const ALL: [SkillResult; 5] = [
        SkillResult::Success,
        SkillResult::Failure,
        SkillResult::Partial,
        SkillResult::Timeout,
        SkillResult::Skipped,
    ];

    /// The lowercase name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SkillResult::Success => "success",
            SkillResult::Failure => "failure",
            SkillResult::Partial => "partial",
            SkillResult::Timeout => "timeout",
            SkillResult::Skipped => "skipped",
        }
    }

    /// Failures count `failure` and `timeout`; `partial` and `skipped` are neither
    /// successes nor failures.
    pub fn is_failure(self) -> bool {
        matches!(self, SkillResult::Failure | SkillResult::Timeout)
    }
}

/// One invocation of a skill (SPEC §3, `cc-log`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SkillInvocation {
    /// When it happened (filled with the current time when absent).
    #[serde(alias = "ts", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The skill's name.
    pub skill: String,
    /// The parameters it was called with (redacted on write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// How it ended.
    #[serde(default)]
    pub result: SkillResult,
    /// How long it took, in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::ms::opt::serialize"
    )]
    pub duration: Option<f64>,
    /// Whether the result came from a cache.
    #[serde(default)]
    pub cache_hit: bool,
    /// The agent that invoked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The run it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The journey it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuj_id: Option<String>,
    /// `null`, a message, or an object with a `message`.
    #[serde(default)]
    pub error: Value,
    /// Free-form details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Unique id (ULID), filled on write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The writer's host, filled on write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Fields this version does not know, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SkillInvocation {
    /// A successful invocation of `skill` with every optional field empty.
    pub fn new(skill: impl Into<String>) -> Self {
        SkillInvocation {
            timestamp: None,
            skill: skill.into(),
            params: None,
            result: SkillResult::Success,
            duration: None,
            cache_hit: false,
            agent: None,
            run_id: None,
            cuj_id: None,
            error: Value::Null,
            metadata: None,
            tags: None,
            id: None,
            host: None,
            extra: Map::new(),
        }
    }
}

impl Record for SkillInvocation {
    const STREAM: Stream = Stream::SkillInvocations;

    fn validate(&self) -> Result<()> {
        check_non_empty("skill", &self.skill)?;
        check_non_negative("duration", self.duration)?;
        check_error(&self.error)
    }

    envelope_fields!();

    fn redact(&mut self, r: &crate::redact::Redactor) {
        r.redact_string(&mut self.skill);
        for v in [&mut self.params, &mut self.metadata].into_iter().flatten() {
            r.redact_value(v);
        }
        r.redact_value(&mut self.error);
        for s in [
            &mut self.agent,
            &mut self.run_id,
            &mut self.cuj_id,
            &mut self.id,
            &mut self.host,
        ] {
            r.redact_opt(s);
        }
        if let Some(tags) = &mut self.tags {
            r.redact_strings(tags);
        }
        r.redact_map(&mut self.extra);
    }
}

/// A borrowed view of a stored skill invocation: only the fields queries and
/// statistics need, parsed without copying (the fast read path).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillView<'a> {
    /// When it happened.
    #[serde(alias = "ts")]
    pub timestamp: Timestamp,
    /// The skill.
    #[serde(borrow)]
    pub skill: Cow<'a, str>,
    /// How it ended (`success` when absent).
    #[serde(default)]
    pub result: SkillResult,
    /// Milliseconds.
    #[serde(default)]
    pub duration: Option<f64>,
    /// Served from cache.
    #[serde(default, deserialize_with = "null_as_false")]
    pub cache_hit: bool,
    /// The agent.
    #[serde(default, borrow)]
    pub agent: Option<Cow<'a, str>>,
    /// The run.
    #[serde(default, borrow)]
    pub run_id: Option<Cow<'a, str>>,
    /// The journey.
    #[serde(default, borrow)]
    pub cuj_id: Option<Cow<'a, str>>,
    /// The record's id.
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
}

fn null_as_false<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse_record;

    #[test]
    fn unknown_fields_round_trip() {
        let line = r#"{"timestamp":"2026-11-20T13:45:01.123Z","skill":"s","result":"success","cacheHit":false,"error":null,"custom":{"a":[1,2]},"zeta":1}"#;
        let rec: SkillInvocation = parse_record(line, "line").unwrap();
        assert_eq!(serde_json::to_string(&rec).unwrap(), line);
    }

    #[test]
    fn validation_names_fields() {
        let e = parse_record::<SkillInvocation>(r#"{"skill":"s","duration":-1}"#, "--record")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid --record: field duration: -1 must be a number ≥ 0 (milliseconds)"
        );
        let e = parse_record::<SkillInvocation>(r#"{"skill":"s","result":"great"}"#, "--record")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid --record: field result: unknown variant `great`"),
            "{e}"
        );
        let e = parse_record::<SkillInvocation>(r#"{"result":"success"}"#, "--record").unwrap_err();
        assert!(e.to_string().contains("missing field `skill`"), "{e}");
        let e = parse_record::<SkillInvocation>(r#"[1]"#, "--record").unwrap_err();
        assert_eq!(e.to_string(), "invalid --record: expected a JSON object");
        let e =
            parse_record::<SkillInvocation>(r#"{"skill":"s","error":5}"#, "--record").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid --record: field error: must be null, a string or an object"
        );
    }

    #[test]
    fn view_accepts_ts_alias_and_borrows() {
        let v: SkillView = serde_json::from_str(
            r#"{"ts":"2026-11-20T13:45:01.123Z","skill":"s","cacheHit":null}"#,
        )
        .unwrap();
        assert!(matches!(v.skill, Cow::Borrowed("s")));
        assert_eq!(v.result, SkillResult::Success);
        assert!(!v.cache_hit);
    }
}
