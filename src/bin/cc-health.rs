//! `cc-health`: AI-provider health, tokens and cost. See `cc-health --help`.

use std::process::ExitCode;

use ccmon::cli::health::{Cli, exec};

/// Records are many small allocations: a faster allocator pays for itself.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ccmon::cli::tune_allocator();
    ccmon::cli::exit(
        "cc-health",
        exec(ccmon::cli::parse::<Cli>()).map_err(anyhow::Error::from),
    )
}
