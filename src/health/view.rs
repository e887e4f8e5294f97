//! Reading provider calls: a borrowed view of a stored line, and the parallel fold
//! over a time range's files.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::pricing::Tokens;
use crate::error::Result;
use crate::record::{Timestamp, error_message, parse_line};
use crate::store::{Roots, Skipped, Stream};

/// The fields of a stored provider call that reports read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallView<'a> {
    /// When (`ts` accepted).
    #[serde(alias = "ts")]
    pub timestamp: Timestamp,
    /// The provider.
    #[serde(borrow)]
    pub provider: Cow<'a, str>,
    /// Whether it succeeded.
    pub success: bool,
    /// Milliseconds, when known.
    #[serde(default)]
    pub latency: Option<f64>,
    /// The error, parsed when needed.
    #[serde(default, borrow)]
    pub error: Option<&'a RawValue>,
    /// HTTP status.
    #[serde(default)]
    pub status_code: Option<u16>,
    /// The model.
    #[serde(default, borrow)]
    pub model: Option<Cow<'a, str>>,
    /// Input tokens.
    #[serde(default)]
    pub input_tokens: Option<u64>,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: Option<u64>,
    /// Cache-read tokens.
    #[serde(default)]
    pub cache_read_tokens: Option<u64>,
    /// Cache-write tokens.
    #[serde(default)]
    pub cache_write_tokens: Option<u64>,
    /// The 1-hour part of the cache writes.
    #[serde(default, rename = "cacheWrite1hTokens")]
    pub cache_write_1h_tokens: Option<u64>,
    /// Cost, when recorded.
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// The run.
    #[serde(default, borrow)]
    pub run_id: Option<Cow<'a, str>>,
    /// The step type.
    #[serde(default, borrow)]
    pub step_type: Option<Cow<'a, str>>,
    /// `service` for usage of a service that is not an AI provider.
    #[serde(default, borrow)]
    pub kind: Option<Cow<'a, str>>,
    /// How much of the service was used.
    #[serde(default)]
    pub quantity: Option<f64>,
    /// The unit of `quantity`.
    #[serde(default, borrow)]
    pub unit: Option<Cow<'a, str>>,
    /// The record's id.
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
}

impl<'a> CallView<'a> {
    /// Reads a stored line; `None` when it is not a valid provider call.
    pub fn parse(bytes: &'a [u8]) -> Option<CallView<'a>> {
        let v: CallView<'a> = parse_line(bytes)?;
        let valid = v.latency.is_none_or(|l| l.is_finite() && l >= 0.0)
            && !v.provider.trim().is_empty()
            && v.cost_usd.is_none_or(|c| c.is_finite() && c >= 0.0);
        valid.then_some(v)
    }

    /// Whether this is usage of a service (never counted in provider health).
    pub fn is_service(&self) -> bool {
        self.kind.as_deref() == Some("service")
    }

    /// The error message, if any.
    pub fn error_message(&self) -> Option<String> {
        let raw = self.error?;
        let value: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
        error_message(&value).map(|m| crate::redact::shared().redact_str(&m).into_owned())
    }

    /// Its token counts.
    pub fn tokens(&self) -> Tokens {
        Tokens {
            input: self.input_tokens.unwrap_or(0),
            output: self.output_tokens.unwrap_or(0),
            cache_read: self.cache_read_tokens.unwrap_or(0),
            cache_write: self.cache_write_tokens.unwrap_or(0),
            cache_write_1h: self.cache_write_1h_tokens.unwrap_or(0),
        }
    }
}

/// The provider-call stream, read through [`CallView`].
pub struct Calls;

impl crate::record::Views for Calls {
    const STREAM: Stream = Stream::ProviderHealth;
    type View<'a> = CallView<'a>;
    fn parse(bytes: &[u8]) -> Option<CallView<'_>> {
        CallView::parse(bytes)
    }
    fn timestamp(v: &CallView<'_>) -> Timestamp {
        v.timestamp
    }
    fn id<'v>(v: &'v CallView<'_>) -> Option<&'v str> {
        v.id.as_deref()
    }
}

/// A provider call's report fields in its stream's rollups.
#[derive(Serialize, Deserialize)]
pub struct CallRow<'a> {
    timestamp: i64,
    provider: &'a str,
    success: bool,
    latency: Option<f64>,
    /// The error's JSON text.
    error: Option<&'a str>,
    status_code: Option<u16>,
    model: Option<&'a str>,
    tokens: [Option<u64>; 5],
    cost_usd: Option<f64>,
    run_id: Option<&'a str>,
    step_type: Option<&'a str>,
    kind: Option<&'a str>,
    quantity: Option<f64>,
    unit: Option<&'a str>,
}

impl crate::rollup::Rows for Calls {
    const FORMAT: u64 = 1;
    type Row<'a> = CallRow<'a>;

    fn row<'v>(v: &'v CallView<'_>) -> CallRow<'v> {
        CallRow {
            timestamp: v.timestamp.millis(),
            provider: &v.provider,
            success: v.success,
            latency: v.latency,
            error: v.error.map(RawValue::get),
            status_code: v.status_code,
            model: v.model.as_deref(),
            tokens: [
                v.input_tokens,
                v.output_tokens,
                v.cache_read_tokens,
                v.cache_write_tokens,
                v.cache_write_1h_tokens,
            ],
            cost_usd: v.cost_usd,
            run_id: v.run_id.as_deref(),
            step_type: v.step_type.as_deref(),
            kind: v.kind.as_deref(),
            quantity: v.quantity,
            unit: v.unit.as_deref(),
        }
    }

    fn view<'a>(r: Self::Row<'a>) -> Option<Self::View<'a>> {
        let error = r
            .error
            .map(serde_json::from_str::<&RawValue>)
            .transpose()
            .ok()?;
        let [input, output, cache_read, cache_write, cache_write_1h] = r.tokens;
        Some(CallView {
            timestamp: Timestamp(r.timestamp),
            provider: Cow::Borrowed(r.provider),
            success: r.success,
            latency: r.latency,
            error,
            status_code: r.status_code,
            model: r.model.map(Cow::Borrowed),
            input_tokens: input,
            output_tokens: output,
            cache_read_tokens: cache_read,
            cache_write_tokens: cache_write,
            cache_write_1h_tokens: cache_write_1h,
            cost_usd: r.cost_usd,
            run_id: r.run_id.map(Cow::Borrowed),
            step_type: r.step_type.map(Cow::Borrowed),
            kind: r.kind.map(Cow::Borrowed),
            quantity: r.quantity,
            unit: r.unit.map(Cow::Borrowed),
            id: None,
        })
    }
}

/// Folds every valid call with a timestamp in `[since, until]` (unbounded sides when
/// `None`), one accumulator per worker: sealed days from their rollups' rows (see
/// [`crate::rollup::fold_rows`]), the rest from raw lines.
pub fn fold<A, I, V, M>(
    roots: &Roots,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    init: I,
    visit: V,
    merge: M,
) -> Result<(A, Skipped)>
where
    A: Send,
    I: Fn() -> A + Sync,
    V: Fn(&mut A, &CallView<'_>) + Sync,
    M: Fn(A, A) -> A,
{
    crate::rollup::fold_rows::<Calls, _, _, _, _>(roots, since, until, init, visit, merge)
}
