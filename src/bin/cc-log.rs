//! `cc-log`: a structured log of skill invocations. See `cc-log --help`.

use std::process::ExitCode;

/// Records are many small allocations: a faster allocator pays for itself.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use ccmon::cli::log::{Cli, exec};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match exec(cli).map_err(anyhow::Error::from) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let code = ccmon::cli::exit_code(err.as_ref());
            if code != 0 {
                eprintln!("cc-log: error: {err:#}");
            }
            ExitCode::from(code)
        }
    }
}
