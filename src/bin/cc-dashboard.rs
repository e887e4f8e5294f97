//! `cc-dashboard`: everything aggregated. See `cc-dashboard --help`.

use std::process::ExitCode;

use ccmon::cli::dashboard::{Cli, exec};

/// Records are many small allocations: a faster allocator pays for itself.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ccmon::cli::tune_allocator();
    ccmon::cli::exit(
        "cc-dashboard",
        exec(ccmon::cli::parse::<Cli>()).map_err(anyhow::Error::from),
    )
}
