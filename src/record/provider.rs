//! AI-provider calls, the `cc-health` stream.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Record, Timestamp, check_error, check_non_empty, check_non_negative, envelope_fields};
use crate::error::{Error, Result};
use crate::store::Stream;

/// One call to an AI provider (SPEC §3, `cc-health`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProviderCall {
    /// When it happened.
    #[serde(alias = "ts", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The provider (`anthropic`).
    pub provider: String,
    /// Whether the call succeeded.
    pub success: bool,
    /// Milliseconds; absent when not known (an imported response whose request time
    /// the transcript does not give): such calls count in availability and usage, not
    /// in latency percentiles.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::whole::opt::serialize"
    )]
    pub latency: Option<f64>,
    /// `null`, a message, or an object with a `message`.
    #[serde(default)]
    pub error: Value,
    /// HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    /// The model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Input tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    /// Output tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    /// Tokens read from the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read_tokens: Option<u64>,
    /// Tokens written to the prompt cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_tokens: Option<u64>,
    /// The part of `cacheWriteTokens` written to the 1-hour cache (priced higher than
    /// the 5-minute cache), when the source splits it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_1h_tokens: Option<u64>,
    /// Reasoning tokens (already counted in `outputTokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// The provider's request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Cost in USD, when the caller knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// The run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The step type (`designer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_type: Option<String>,
    /// The tool (`claude`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_id: Option<String>,
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

impl ProviderCall {
    /// A call to `provider` with every optional field absent.
    pub fn new(provider: &str, success: bool) -> ProviderCall {
        ProviderCall {
            timestamp: None,
            provider: provider.to_string(),
            success,
            latency: None,
            error: Value::Null,
            status_code: None,
            model: None,
            input_tokens: None,
            output_tokens: None,
            cache_read_tokens: None,
            cache_write_tokens: None,
            cache_write_1h_tokens: None,
            reasoning_tokens: None,
            request_id: None,
            cost_usd: None,
            run_id: None,
            step_type: None,
            tool_id: None,
            id: None,
            host: None,
            extra: Map::new(),
        }
    }
}

impl Record for ProviderCall {
    const STREAM: Stream = Stream::ProviderHealth;

    fn validate(&self) -> Result<()> {
        check_non_empty("provider", &self.provider)?;
        check_non_negative("latency", self.latency)?;
        check_error(&self.error)?;
        if let Some(c) = self.cost_usd
            && (!c.is_finite() || c < 0.0)
        {
            return Err(Error::invalid(
                "costUsd",
                format!("{c} must be a number ≥ 0"),
            ));
        }
        Ok(())
    }

    envelope_fields!();

    fn redact(&mut self, r: &crate::redact::Redactor) {
        r.redact_string(&mut self.provider);
        r.redact_value(&mut self.error);
        for s in [
            &mut self.model,
            &mut self.run_id,
            &mut self.step_type,
            &mut self.tool_id,
            &mut self.request_id,
            &mut self.id,
            &mut self.host,
        ] {
            r.redact_opt(s);
        }
        r.redact_map(&mut self.extra);
    }
}
