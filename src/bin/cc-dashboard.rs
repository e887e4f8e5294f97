//! `cc-dashboard`: everything aggregated. See `cc-dashboard --help`.

use std::process::ExitCode;

use ccmon::cli::dashboard::{Cli, exec};
use clap::Parser;

/// Records are many small allocations: a faster allocator pays for itself.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ccmon::cli::exit(
        "cc-dashboard",
        exec(Cli::parse()).map_err(anyhow::Error::from),
    )
}
