//! `cc-log hook` (one hook payload from standard input; prints nothing, exits 0) and
//! `cc-log hook install|uninstall` (ccmon's entries in a Claude Code settings file).

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use super::{CommonArgs, Settings};
use crate::agents::hook;
use crate::agents::install::{self, Scope};
use crate::error::{Error, Exit, Result};
use crate::output;
use crate::record::Timestamp;

/// `hook` flags.
#[derive(Debug, Args)]
#[command(after_help = HOOK_HELP)]
pub struct HookArgs {
    #[command(subcommand)]
    action: Option<HookAction>,
}

const HOOK_HELP: &str = "\
Without a subcommand: reads one hook payload (JSON, as Claude Code and Codex send to a
\"type\": \"command\" hook) from standard input and writes records: tool calls
(PostToolUse, PostToolUseFailure, with the ids an import gives), the session as a run
(SessionStart, UserPromptSubmit, Stop, SessionEnd; subagents as child runs), failed
turns as failed provider calls (StopFailure); Stop, SubagentStop and SessionEnd import
the transcript's new lines. Prints nothing on standard output and always exits 0.

  cc-log hook install --scope user     # every session of this user
  cc-log hook install --dry-run        # print the settings it would write";

#[derive(Debug, Subcommand)]
enum HookAction {
    /// Add ccmon's hooks to a Claude Code settings file (every other setting kept;
    /// a backup FILE.bak written; running it twice changes nothing).
    Install(InstallArgs),
    /// Remove ccmon's hooks from a Claude Code settings file.
    Uninstall(InstallArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ScopeArg {
    /// .claude/settings.json in the current folder.
    Project,
    /// .claude/settings.local.json in the current folder.
    Local,
    /// ~/.claude/settings.json.
    User,
}

#[derive(Debug, Args)]
struct InstallArgs {
    /// Which settings file.
    #[arg(long, value_enum, default_value_t = ScopeArg::User)]
    scope: ScopeArg,
    /// Print the resulting settings; change nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Runs `hook`: a payload never fails (exit 0, a problem as one line on standard
/// error); install and uninstall report errors as usual.
pub fn exec_hook(common: &CommonArgs, args: &HookArgs) -> Result<Exit> {
    match &args.action {
        None => {
            if let Err(e) = run_payload(common) {
                crate::error::warn(format_args!("cc-log hook: {e}"));
            }
            Ok(Exit::Success)
        }
        Some(HookAction::Install(a)) => exec_install(common, a, true),
        Some(HookAction::Uninstall(a)) => exec_install(common, a, false),
    }
}

fn run_payload(common: &CommonArgs) -> Result<()> {
    let mut input = Vec::new();
    std::io::stdin()
        .take(64 << 20)
        .read_to_end(&mut input)
        .map_err(Error::stdin)?;
    let settings = Settings::from_args(common)?;
    let writer = settings.writer()?;
    hook::handle(&input, &settings.roots, &writer, Timestamp::now()).map(|_| ())
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|c| c.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// The root the hooks write to: `--root`/`CC_ROOT` given to install, else
/// `${XDG_DATA_HOME:-~/.local/share}/ccmon`.
fn hook_root(common: &CommonArgs) -> Result<PathBuf> {
    if let Some(r) = common.root.first() {
        return Ok(absolute(r));
    }
    if let Ok(v) = std::env::var("CC_ROOT")
        && let Some(first) = v.split(':').find(|s| !s.is_empty())
    {
        return Ok(absolute(Path::new(first)));
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return Ok(absolute(&PathBuf::from(x).join("ccmon")));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::invalid("--root", "HOME is not set: give --root DIR"))?;
    Ok(PathBuf::from(home).join(".local/share/ccmon"))
}

fn exec_install(common: &CommonArgs, a: &InstallArgs, install: bool) -> Result<Exit> {
    let cwd = std::env::current_dir().map_err(|source| Error::Read {
        path: PathBuf::from("."),
        source,
    })?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let scope = match a.scope {
        ScopeArg::Project => Scope::Project,
        ScopeArg::Local => Scope::Local,
        ScopeArg::User => Scope::User,
    };
    if scope == Scope::User && home.is_none() {
        return Err(Error::invalid("--scope", "user needs HOME to be set"));
    }
    let path = scope.path(&cwd, home.as_deref().unwrap_or(Path::new("/")));
    let command = if install {
        let exe = std::env::current_exe().map_err(|source| Error::Read {
            path: PathBuf::from("cc-log"),
            source,
        })?;
        let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
        Some(install::command(&exe, &hook_root(common)?))
    } else {
        None
    };
    let change = install::apply(&path, command.as_deref(), a.dry_run)?;
    let mut out = output::stdout();
    if a.dry_run {
        // The file as it would be: what a dry run is for, whatever --json says.
        out.write_all(change.text.as_bytes())?;
    } else {
        let style = output::Style {
            json: common.json,
            color: false,
            utc: common.utc,
        };
        let report = crate::agents::HooksChanged {
            path: change.path,
            changed: change.changed,
            backup: change.backup,
            command,
            install,
        };
        output::emit(out.writer(), &style, &report)?;
    }
    out.flush()?;
    Ok(Exit::Success)
}
