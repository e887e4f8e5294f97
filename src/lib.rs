//! ccmon: local-first monitoring for AI-agent workflows.
//!
//! Five programs (`cc-log`, `cc-metrics`, `cc-progress`, `cc-health`, `cc-dashboard`)
//! append records to daily-rotated JSONL files and answer questions about them; this
//! crate is everything they share. The files are the database: any tool that reads
//! JSON lines can read them too.
//!
//! ```
//! use ccmon::log::{Filter, GroupBy};
//! use ccmon::record::SkillInvocation;
//! use ccmon::redact::Redactor;
//! use ccmon::store::{Roots, Writer};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let writer = Writer::new(dir.path(), Redactor::default(), true, false);
//! for (ms, ok) in [(120.0, true), (340.0, true), (90.0, false)] {
//!     let mut rec = SkillInvocation::new("code-review");
//!     rec.duration = Some(ms);
//!     rec.result = if ok { "success".parse().unwrap() } else { "failure".parse().unwrap() };
//!     rec.params = Some(serde_json::json!({"api_key": "sk-live-123"}));
//!     writer.append(rec).unwrap();
//! }
//!
//! let roots = Roots::new(vec![dir.path().to_path_buf()]);
//! let (rows, skipped) = ccmon::log::stats(&roots, &Filter::default(), GroupBy::Skill, true).unwrap();
//! assert_eq!(skipped.count, 0);
//! assert_eq!(rows[0].key.as_deref(), Some("code-review"));
//! assert_eq!(rows[0].count, 3);
//! assert_eq!(rows[0].p50, Some(120.0));
//! assert!((rows[0].success_rate.unwrap() - 2.0 / 3.0).abs() < 1e-12);
//!
//! // Secrets never reach disk.
//! let (lines, _) = ccmon::log::query(&roots, &Filter::default(), 1).unwrap();
//! assert!(String::from_utf8_lossy(&lines[0].bytes).contains(r#""api_key":"[REDACTED]""#));
//! ```

#![deny(missing_docs)]

pub mod cli;
pub mod config;
pub mod dashboard;
pub mod error;
pub mod health;
pub mod log;
pub mod metrics;
pub mod notifications;
pub mod output;
pub mod progress;
pub mod record;
pub mod redact;
pub mod runner;
pub mod serve;
pub mod stats;
pub mod store;
pub mod timespec;

pub use error::{Error, Result};
