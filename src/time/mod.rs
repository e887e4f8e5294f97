//! Time: the [`Timestamp`] of every record, DURATION and TIME arguments ([`spec`]), and
//! named lengths of time in milliseconds, so that no code spells `86_400_000`.

pub mod spec;
mod timestamp;

pub use spec::{parse_duration, parse_duration_ms, parse_time};
pub use timestamp::Timestamp;

/// One second, in milliseconds.
pub const SECOND_MS: i64 = 1_000;
/// One minute, in milliseconds.
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
/// One hour, in milliseconds.
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// One day (24 hours), in milliseconds.
pub const DAY_MS: i64 = 24 * HOUR_MS;
/// One week, in milliseconds.
pub const WEEK_MS: i64 = 7 * DAY_MS;
