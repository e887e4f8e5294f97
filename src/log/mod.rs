//! `cc-log`: queries and statistics over skill invocations, and the command wrapper.

mod filter;
mod query;
mod run;
mod stats;

pub use filter::{Filter, line_matcher};
pub use query::{FoundLine, count, query, render_line, render_record_line, render_table};
pub use run::{RunOutcome, run_logged};
pub use stats::{GroupBy, StatsRow, render_stats, stats};
