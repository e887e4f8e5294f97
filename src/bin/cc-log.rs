//! `cc-log`: a structured log of skill invocations. See `cc-log --help`.

use std::process::ExitCode;

use ccmon::cli::log::{Cli, exec};

/// Records are many small allocations: a faster allocator pays for itself.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ccmon::cli::tune_allocator();
    ccmon::cli::exit(
        "cc-log",
        exec(ccmon::cli::parse::<Cli>()).map_err(anyhow::Error::from),
    )
}
