//! `cc-dashboard import claude|codex|all`: reads what Claude Code and Codex already
//! write into the root's streams (SPEC §10).

use std::path::PathBuf;
use std::time::SystemTime;

use clap::{Args, ValueEnum};

use super::Settings;
use crate::agents::{self, Agent, Options, Source};
use crate::error::{Exit, Result};

/// Which agents' transcripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Which {
    /// Claude Code: *.jsonl below the projects folders.
    Claude,
    /// Codex: rollout-*.jsonl below the sessions folders.
    Codex,
    /// Both.
    All,
}

/// `import` flags.
#[derive(Debug, Args)]
#[command(after_help = IMPORT_HELP)]
pub struct ImportArgs {
    /// Whose transcripts to read.
    #[arg(value_enum)]
    pub which: Which,
    /// Search this folder instead of the default ones (repeatable): every transcript
    /// below it is read.
    #[arg(long, value_name = "DIR")]
    pub dir: Vec<PathBuf>,
    /// Ignore the saved state and read every file from its start (records the root
    /// already holds are not written again).
    #[arg(long)]
    pub full: bool,
    /// Read and count, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

const IMPORT_HELP: &str = "\
Default folders: Claude Code's $CLAUDE_CONFIG_DIR (comma-separated), else
~/.config/claude and ~/.claude (their projects/ folders, sessions and subagents);
Codex's ${CODEX_HOME:-~/.codex}/sessions and archived_sessions.

API responses become provider calls (anthropic/openai, tokens, cost), API error lines
failed calls, tool calls skill invocations. Ids are deterministic (claude:<message id>,
claude-tool:<tool_use_id>, codex:...), so a re-run, --full, a lost state file or the
hooks never write a record twice. analytics/import-state.json remembers where each file
was read up to: a second run reads only new lines.";

/// Runs `import`.
pub fn exec_import(settings: &Settings, args: &ImportArgs) -> Result<Exit> {
    let agents: &[Agent] = match args.which {
        Which::Claude => &[Agent::Claude],
        Which::Codex => &[Agent::Codex],
        Which::All => &[Agent::Claude, Agent::Codex],
    };
    for d in &args.dir {
        if !d.is_dir() {
            return Err(crate::Error::invalid(
                "--dir",
                format!("{} is not a folder", d.display()),
            ));
        }
    }
    let mut sources: Vec<Source> = Vec::new();
    let mut searched = Vec::new();
    for &a in agents {
        let dirs = if args.dir.is_empty() {
            agents::default_dirs(a)
        } else {
            args.dir.clone()
        };
        searched.extend(dirs.iter().map(|d| d.display().to_string()));
        sources.extend(agents::find(a, &dirs));
    }
    let writer = settings.writer()?;
    let opts = Options {
        full: args.full,
        dry_run: args.dry_run,
        turn_ended: false,
    };
    let summary = agents::import(&writer, &sources, opts, SystemTime::now())?;
    let warning = summary.warning();
    settings.emit(&agents::ImportReport {
        summary,
        dry_run: args.dry_run,
        searched,
    })?;
    if let Some(w) = &warning
        && (!settings.quiet || settings.strict)
    {
        crate::error::warn(format_args!("{w}"));
    }
    Ok(if settings.strict && warning.is_some() {
        Exit::Failure
    } else {
        Exit::Success
    })
}
