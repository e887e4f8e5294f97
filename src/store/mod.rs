//! The files are the database: daily-rotated JSONL streams under a data root.
//!
//! - [`paths`]: streams, daily file names, choosing files by the date in their name;
//! - [`append`]: one line (or batch) = one `write` under an exclusive `flock`;
//! - [`read`]: scanning lines in parallel, skipping and counting malformed ones;
//! - [`follow`]: following new lines as they are appended;
//! - [`lock`]: a stream-wide lock for writers that read before they write;
//! - [`prune`]: deleting or compressing old daily files;
//! - [`safe`]: opening without following links, creating with exact modes, atomic writes.

pub mod append;
pub mod follow;
pub mod lock;
pub mod paths;
pub mod prune;
pub mod read;
pub mod safe;

pub use lock::StreamLock;
pub use paths::{DataFile, Roots, Stream};
pub use read::{LineError, Scan, Skipped, Span};
