//! `cc-metrics`: journey executions and their reports. See `cc-metrics --help`.

use std::process::ExitCode;

use ccmon::cli::metrics::{Cli, exec};

/// Records are many small allocations: a faster allocator pays for itself.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ccmon::cli::tune_allocator();
    ccmon::cli::exit(
        "cc-metrics",
        exec(ccmon::cli::parse::<Cli>()).map_err(anyhow::Error::from),
    )
}
