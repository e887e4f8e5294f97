//! `cc-dashboard import claude|codex|all`: reads what Claude Code and Codex already
//! write into the root's streams (SPEC §10).

use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use clap::{Args, ValueEnum};

use super::Settings;
use crate::agents::{self, Agent, Options, Source, Summary};
use crate::error::{Exit, Result};
use crate::output;

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
    let mut out = output::stdout();
    if settings.style.json {
        output::write_json(&mut out, &summary)?;
    } else {
        print_summary(&mut out, &summary, args, &searched)?;
    }
    out.flush()?;
    if let Some(w) = summary.warning()
        && (!settings.quiet || settings.strict)
    {
        eprintln!("{w}");
    }
    Ok(if settings.strict && summary.warning().is_some() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

fn print_summary(
    out: &mut impl Write,
    s: &Summary,
    args: &ImportArgs,
    searched: &[String],
) -> std::io::Result<()> {
    if s.files == 0 {
        let dirs = if searched.is_empty() {
            "no transcript folder exists (see --help for the defaults, or give --dir)".to_string()
        } else {
            format!("no transcripts below {}", searched.join(", "))
        };
        return writeln!(out, "{dirs}");
    }
    let verb = if args.dry_run { "would write" } else { "wrote" };
    writeln!(
        out,
        "read {} of {} transcript files ({}; {} unchanged)",
        s.files_read,
        s.files,
        human_bytes(s.bytes),
        s.files - s.files_read - s.unreadable.min(s.files - s.files_read)
    )?;
    writeln!(
        out,
        "{verb} {} provider calls ({} API errors) and {} tool calls; {} already held",
        s.calls, s.errors, s.tool_calls, s.already_held
    )?;
    let c = &s.counts;
    let mut notes = Vec::new();
    if c.waiting > 0 {
        notes.push(format!("{} waiting for more lines", c.waiting));
    }
    if c.bad_lines > 0 {
        notes.push(format!("{} malformed lines skipped", c.bad_lines));
    }
    if c.no_usage > 0 {
        notes.push(format!("{} responses without usage", c.no_usage));
    }
    if c.synthetic > 0 {
        notes.push(format!("{} synthetic messages skipped", c.synthetic));
    }
    if c.orphan_results > 0 {
        notes.push(format!(
            "{} tool results without their call",
            c.orphan_results
        ));
    }
    if c.abandoned > 0 {
        notes.push(format!("{} tool calls never answered", c.abandoned));
    }
    if c.unfinished_bytes > 0 {
        notes.push(format!(
            "{} bytes of unfinished last lines",
            c.unfinished_bytes
        ));
    }
    if !notes.is_empty() {
        writeln!(out, "{}", notes.join("; "))?;
    }
    Ok(())
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}
