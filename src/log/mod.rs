//! `cc-log`: queries and statistics over skill invocations, and the command wrapper.

mod filter;
mod query;
mod stats;

pub use filter::{Filter, line_matcher};
pub use query::{FoundLine, count, query, render_line, render_record_line, render_table};
pub use stats::{GroupBy, StatsRow, render_stats, stats, stats_many};
