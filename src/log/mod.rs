//! `cc-log`: queries and statistics over skill invocations, the command wrapper, bulk
//! append and `sanitize`.

mod bulk;
mod cache;
mod filter;
mod par;
mod query;
mod sanitize;
mod stats;

pub use bulk::{BulkEvent, BulkReport, append_ndjson};
pub use sanitize::{SanitizeReport, sanitize};

pub use cache::{
    Hit, MAX_OUTPUT_BYTES, cache_dir, cache_key, canonical_json, clear as clear_cache,
    lookup as cache_lookup, save as cache_save,
};
pub use filter::{Filter, line_matcher};
pub use query::{FoundLine, count, query, render_record_line};
#[cfg(feature = "cli")]
pub use query::{render_line, render_table};
#[cfg(feature = "cli")]
pub use stats::render_stats;
pub use stats::{GroupBy, StatsRow, stats, stats_many};
