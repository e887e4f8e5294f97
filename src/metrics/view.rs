//! Reading journey executions: a borrowed view of the fields reports use, and the
//! parallel fold over a window's files.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::config::QualityConfig;
use crate::error::Result;
use crate::record::{Timestamp, error_message, parse_line};
use crate::store::{Roots, Skipped, Stream};

/// The quality fields of a stored execution.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityView {
    /// 0–100.
    pub correctness: Option<f64>,
    /// 0–100.
    pub type_safety: Option<f64>,
    /// 0–100.
    pub code_style: Option<f64>,
    /// 0–100.
    pub test_coverage: Option<f64>,
    /// 0–100.
    pub completeness: Option<f64>,
    /// Weighted mean, as stored.
    pub composite: Option<f64>,
    /// The bar it was held to.
    pub threshold: Option<f64>,
    /// Whether it passed, as stored.
    pub threshold_result: Option<bool>,
}

/// The resource accounting of a stored execution.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcesView {
    /// Peak RSS, MiB.
    pub peak_rss_mb: Option<f64>,
    /// User CPU, ms.
    pub cpu_user_ms: Option<f64>,
    /// System CPU, ms.
    pub cpu_system_ms: Option<f64>,
}

/// The five dimensions, in display order, by their camelCase names.
pub const DIMENSIONS: [&str; 5] = [
    "correctness",
    "typeSafety",
    "codeStyle",
    "testCoverage",
    "completeness",
];

impl QualityView {
    /// The five dimensions in [`DIMENSIONS`] order.
    pub fn dimensions(&self) -> [Option<f64>; 5] {
        [
            self.correctness,
            self.type_safety,
            self.code_style,
            self.test_coverage,
            self.completeness,
        ]
    }

    /// The composite: as stored, else the weighted mean of the dimensions given.
    pub fn composite(&self, config: &QualityConfig) -> Option<f64> {
        self.composite.or_else(|| {
            let given = DIMENSIONS
                .iter()
                .zip(self.dimensions())
                .filter_map(|(name, v)| v.map(|v| (*name, v)));
            weighted_mean(given, &config.weights)
        })
    }

    /// Whether it met its threshold: as stored, else composite ≥ threshold (its own,
    /// else the configured one).
    pub fn passed(&self, config: &QualityConfig) -> Option<bool> {
        self.threshold_result.or_else(|| {
            let threshold = self.threshold.unwrap_or(config.threshold);
            self.composite(config).map(|c| c >= threshold)
        })
    }
}

/// The weighted mean of `(dimension, score)` pairs; a dimension without a weight
/// weighs 1. `None` when nothing is given or every weight is 0.
pub fn weighted_mean<'a>(
    scores: impl IntoIterator<Item = (&'a str, f64)>,
    weights: &std::collections::BTreeMap<String, f64>,
) -> Option<f64> {
    let (mut sum, mut total) = (0.0, 0.0);
    for (name, score) in scores {
        let w = weights.get(name).copied().unwrap_or(1.0);
        sum += w * score;
        total += w;
    }
    (total > 0.0).then(|| sum / total)
}

/// The fields of a stored journey execution that reports read, borrowed from the line.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JourneyView<'a> {
    /// When it happened (`ts` accepted).
    #[serde(alias = "ts")]
    pub timestamp: Timestamp,
    /// The journey.
    #[serde(borrow)]
    pub cuj_id: Cow<'a, str>,
    /// Whether it succeeded.
    pub success: bool,
    /// Milliseconds.
    pub duration: f64,
    /// The error, unparsed until a report needs it.
    #[serde(default, borrow)]
    pub error: Option<&'a RawValue>,
    /// The workflow.
    #[serde(default, borrow)]
    pub workflow: Option<Cow<'a, str>>,
    /// The run (a progress run with the same id is the same execution).
    #[serde(default, borrow)]
    pub run_id: Option<Cow<'a, str>>,
    /// Iterations taken.
    #[serde(default)]
    pub iterations: Option<f64>,
    /// Quality scores.
    #[serde(default)]
    pub quality: Option<QualityView>,
    /// Resource accounting.
    #[serde(default)]
    pub resources: Option<ResourcesView>,
    /// The record's id.
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
}

impl<'a> JourneyView<'a> {
    /// Reads a stored line; `None` when it is not a valid journey execution.
    pub fn parse(bytes: &'a [u8]) -> Option<JourneyView<'a>> {
        let view: JourneyView<'a> = parse_line(bytes)?;
        let valid =
            view.duration.is_finite() && view.duration >= 0.0 && !view.cuj_id.trim().is_empty();
        valid.then_some(view)
    }

    /// The error message (a string, or an object's `message`), if there is one.
    pub fn error_message(&self) -> Option<String> {
        let raw = self.error?;
        let value: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
        error_message(&value).map(|m| crate::redact::shared().redact_str(&m).into_owned())
    }
}

/// The journey stream, read through [`JourneyView`].
pub struct Journeys;

impl crate::record::Views for Journeys {
    const STREAM: Stream = Stream::CujMetrics;
    type View<'a> = JourneyView<'a>;
    fn parse(bytes: &[u8]) -> Option<JourneyView<'_>> {
        JourneyView::parse(bytes)
    }
    fn timestamp(v: &JourneyView<'_>) -> Timestamp {
        v.timestamp
    }
    fn id<'v>(v: &'v JourneyView<'_>) -> Option<&'v str> {
        v.id.as_deref()
    }
}

/// A journey execution's report fields in its stream's rollups.
#[derive(Serialize, Deserialize)]
pub struct JourneyRow<'a> {
    timestamp: i64,
    cuj_id: &'a str,
    success: bool,
    duration: f64,
    /// The error's JSON text.
    error: Option<&'a str>,
    workflow: Option<&'a str>,
    run_id: Option<&'a str>,
    iterations: Option<f64>,
    quality: Option<QualityView>,
    resources: Option<ResourcesView>,
}

impl crate::rollup::Rows for Journeys {
    const FORMAT: u64 = 1;
    type Row<'a> = JourneyRow<'a>;

    fn row<'v>(v: &'v JourneyView<'_>) -> JourneyRow<'v> {
        JourneyRow {
            timestamp: v.timestamp.millis(),
            cuj_id: &v.cuj_id,
            success: v.success,
            duration: v.duration,
            error: v.error.map(RawValue::get),
            workflow: v.workflow.as_deref(),
            run_id: v.run_id.as_deref(),
            iterations: v.iterations,
            quality: v.quality.clone(),
            resources: v.resources,
        }
    }

    fn view<'a>(r: Self::Row<'a>) -> Option<Self::View<'a>> {
        let error = r
            .error
            .map(serde_json::from_str::<&RawValue>)
            .transpose()
            .ok()?;
        Some(JourneyView {
            timestamp: Timestamp(r.timestamp),
            cuj_id: Cow::Borrowed(r.cuj_id),
            success: r.success,
            duration: r.duration,
            error,
            workflow: r.workflow.map(Cow::Borrowed),
            run_id: r.run_id.map(Cow::Borrowed),
            iterations: r.iterations,
            quality: r.quality,
            resources: r.resources,
            id: None,
        })
    }
}

/// Folds every valid execution with a timestamp in `[since, until]`, one accumulator per
/// worker: sealed days from their rollups' rows (see [`crate::rollup::fold_rows`]),
/// the rest from raw lines.
pub fn fold<A, I, V, M>(
    roots: &Roots,
    since: Timestamp,
    until: Timestamp,
    init: I,
    visit: V,
    merge: M,
) -> Result<(A, Skipped)>
where
    A: Send,
    I: Fn() -> A + Sync,
    V: Fn(&mut A, &JourneyView<'_>) + Sync,
    M: Fn(A, A) -> A,
{
    crate::rollup::fold_rows::<Journeys, _, _, _, _>(
        roots,
        Some(since),
        Some(until),
        init,
        visit,
        merge,
    )
}
