//! The integration tests: one crate, so the library and its dependencies are linked once,
//! with a module per program or concern. `common` holds the test environment ([`Env`],
//! running the real binaries on a temporary root) and the [`Test`] builder, which checks
//! exit code, standard output and standard error of a run together.
//!
//! One module: `cargo test --test main cc_health::`; its ignored tests:
//! `cargo test --test main -- --ignored engines::`.
//!
//! [`Env`]: common::Env
//! [`Test`]: common::Test

mod common;

mod agents;
mod cc_dashboard;
mod cc_health;
mod cc_log;
mod cc_metrics;
mod cc_progress;
mod cli_help;
mod ecosystem;
mod engines;
mod examples;
mod hardening;
mod layers;
mod properties;
mod redaction_corpus;
mod redaction_paths;
mod reliability;
mod rollups;
mod rollups_rows;
mod schemas;
mod serve;
