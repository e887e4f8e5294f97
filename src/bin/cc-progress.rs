//! `cc-progress`: run progress, tracked and watched live. See `cc-progress --help`.

use std::process::ExitCode;

use ccmon::cli::progress::{Cli, exec};

/// Records are many small allocations: a faster allocator pays for itself.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ccmon::cli::tune_allocator();
    ccmon::cli::exit(
        "cc-progress",
        exec(ccmon::cli::parse::<Cli>()).map_err(anyhow::Error::from),
    )
}
