//! `cc-log`: queries and statistics over skill invocations, the command wrapper, bulk
//! append and `sanitize`.

mod bulk;
mod cache;
mod filter;
mod par;
mod query;
mod report;
mod rollup;
mod run;
mod sanitize;
mod stats;
mod tail;

pub use bulk::{BulkEvent, BulkReport, append_ndjson};
pub use sanitize::{SanitizeReport, sanitize};

pub use cache::{
    Hit, MAX_OUTPUT_BYTES, cache_dir, cache_key, canonical_json, clear as clear_cache,
    lookup as cache_lookup, save as cache_save,
};
pub use filter::{Filter, line_matcher};
pub use query::{FoundLine, count, count_report, query, query_report};
pub use report::{
    CacheCleared, CountReport, LogRow, QueryReport, StatsReport, TailReport, render_record_line,
};
pub use rollup::RECIPE as ROLLUPS;
pub use run::{SkillRun, SkillRunReport, run_skill};
pub use stats::{GroupBy, StatsRow, stats, stats_many};
pub use tail::{Arrived, Follow, tail};
