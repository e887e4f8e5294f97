//! Statistics: duration percentiles, success rates, windows and trend buckets.
//! Functions that depend on "now" take it as a parameter.

mod durations;
pub mod patterns;
mod sum;
mod window;

pub use durations::{
    DurationStats, Packed, StoredDurations, StoredDurationsPairs, Summary, exact_micros,
};
pub use sum::ExactSum;
pub use window::{Bucket, Buckets, Window};

/// successes / total, or `None` when there is nothing to divide.
///
/// ```
/// assert_eq!(ccmon::stats::rate(3, 4), Some(0.75));
/// assert_eq!(ccmon::stats::rate(0, 0), None);
/// ```
pub fn rate(part: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| part as f64 / total as f64)
}
