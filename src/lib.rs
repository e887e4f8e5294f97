//! ccmon: local-first monitoring for AI-agent workflows.
//!
//! Five programs (`cc-log`, `cc-metrics`, `cc-progress`, `cc-health`, `cc-dashboard`)
//! append records to daily-rotated JSONL files and answer questions about them; this
//! crate is everything they share. The files are the database: any tool that reads
//! JSON lines can read them too.
//!
//! Layers, lowest first: `error` → `time` → `store` → `json` → `config` → `redact` → `record` → `writer` → `stats` → `rollup` → `output` → `runner` → `notifications` → `log` → `health` → `progress` → `metrics` → `dashboard` → `api` → `agents` → `serve` → `cli`
//!
//! A module uses only the modules before it in that list (a test enforces it):
//! - `time` (timestamps, DURATION/TIME, named lengths) needs nothing; `store` is bytes
//!   (paths, safe opens, append, scan, follow, lock, prune, atomic writes) and picks
//!   files by their dates; `json` pulls fields out of stored lines;
//! - `record` types are redacted by the `redact` layer's redactor (configured by
//!   `config`); `writer` turns records into lines for `store`;
//! - `stats` computes; `rollup` keeps summaries of sealed daily files; `output` holds formatting primitives (durations, tables,
//!   terminal-safe text) that the programs' renderers use;
//! - the programs' modules (`log` … `dashboard`), then the agent sources, the web
//!   server, and `cli` (flags to library calls) on top; the binaries are thin.
//!
//! ```
//! use ccmon::log::{Filter, GroupBy};
//! use ccmon::record::SkillInvocation;
//! use ccmon::redact::Redactor;
//! use ccmon::store::Roots;
//! use ccmon::writer::Writer;
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

pub mod agents;
pub mod api;
#[cfg(feature = "cli")]
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod error;
pub mod health;
pub mod json;
pub mod log;
pub mod metrics;
pub mod notifications;
pub mod output;
pub mod progress;
pub mod record;
pub mod redact;
pub mod rollup;
pub mod runner;
#[cfg(feature = "cli")]
pub mod serve;
pub mod stats;
pub mod store;
pub mod time;
pub mod writer;

pub use error::{Error, Exit, PluginStatus, Result};
/// DURATION and TIME parsing, under the name the programs have always used.
pub use time::spec as timespec;
