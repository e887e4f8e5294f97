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
    /// Milliseconds, written with a fractional part; absent when not known (an imported
    /// response whose request time the transcript does not give): such calls count in
    /// availability and usage, not in latency percentiles.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
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
    /// Whether this is usage of a service rather than a call to an AI provider
    /// (`kind: "service"`, kept with `quantity` and `unit` beside the known fields).
    pub fn is_service(&self) -> bool {
        self.extra.get("kind").and_then(Value::as_str) == Some("service")
    }

    /// Marks this as usage of a service: `kind: "service"`, with `quantity` of `unit`.
    pub fn set_service(&mut self, quantity: Option<f64>, unit: Option<String>) {
        self.extra
            .insert("kind".into(), Value::String("service".into()));
        if let Some(q) = quantity {
            self.extra.insert("quantity".into(), Value::from(q));
        }
        if let Some(u) = unit {
            self.extra.insert("unit".into(), Value::String(u));
        }
    }

    /// The same call with its latency in milliseconds.
    pub fn with_latency(mut self, ms: f64) -> ProviderCall {
        self.latency = Some(ms);
        self
    }

    /// A call to `provider` with every optional field absent (`error` null).
    pub fn new(provider: impl Into<String>, success: bool) -> ProviderCall {
        ProviderCall {
            timestamp: None,
            provider: provider.into(),
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
        if let Some(code) = self.status_code
            && !(100..=599).contains(&code)
        {
            return Err(Error::invalid(
                "statusCode",
                format!("{code} is not an HTTP status (100–599)"),
            ));
        }
        match self.extra.get("kind") {
            None => {}
            Some(Value::String(k)) if k == "service" || k == "provider" => {}
            Some(_) => {
                return Err(Error::invalid(
                    "kind",
                    "must be \"provider\" or \"service\"",
                ));
            }
        }
        match self.extra.get("quantity") {
            None => {}
            Some(q) if q.as_f64().is_some_and(|q| q.is_finite() && q >= 0.0) => {}
            Some(_) => return Err(Error::invalid("quantity", "must be a number ≥ 0")),
        }
        if self.extra.get("unit").is_some_and(|u| !u.is_string()) {
            return Err(Error::invalid("unit", "must be a string"));
        }
        if let Some(c) = self.cost_usd
            && (!c.is_finite() || !(0.0..=super::MAX_COST_USD).contains(&c))
        {
            return Err(Error::invalid(
                "costUsd",
                format!("{c} must be a number of USD from 0 to 1000000"),
            ));
        }
        for (field, n) in [
            ("inputTokens", self.input_tokens),
            ("outputTokens", self.output_tokens),
            ("cacheReadTokens", self.cache_read_tokens),
            ("cacheWriteTokens", self.cache_write_tokens),
        ] {
            if n.is_some_and(|n| n > super::MAX_TOKENS) {
                return Err(Error::invalid(field, "must be a token count up to 10^12"));
            }
        }
        Ok(())
    }

    fn normalize(&mut self) {
        super::normalize_error(&mut self.error, &mut self.extra);
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
