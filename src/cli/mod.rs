//! Command-line layer shared by the five programs: the common flags, turned into a
//! plain [`Settings`] before any work starts, and the mapping of errors to exit codes.
//! Each program's own flags live in a submodule; domain modules never see clap types.

pub mod dashboard;
pub mod examples;
pub mod health;
pub mod hook;
pub mod import;
pub mod log;
pub mod metrics;
pub mod progress;
pub mod statusline;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::config::Config;
use crate::error::{Exit, Result};
use crate::output::{self, Style};
use crate::redact::Redactor;
use crate::store::{Roots, Skipped, Stream, prune};
use crate::time::Timestamp;
use crate::timespec;
use crate::writer::Writer;

/// Parses the command line of a program, with every subcommand's examples in its
/// `--help`; exits with clap's message (and code 2) on a usage error.
pub fn parse<C: clap::Parser>() -> C {
    let cmd = examples::add_to(C::command());
    match cmd
        .try_get_matches()
        .and_then(|matches| C::from_arg_matches(&matches))
    {
        Ok(parsed) => parsed,
        Err(e) => usage_error(e),
    }
}

/// clap's message without the value it quotes (SPEC §15: never the value, which may be
/// a secret typed in the wrong place): `invalid value 'hunter2' for '--result <R>'`
/// becomes `invalid value for '--result <R>'`; an unexpected argument is named only
/// when it is a flag (`--bx`), without what follows its `=`.
fn without_argument_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let cut = [
            ("invalid value '", "' for '", "invalid value for '"),
            ("unrecognized subcommand '", "'", "unrecognized subcommand"),
            (
                "unexpected argument '",
                "' found",
                "unexpected argument found",
            ),
        ]
        .iter()
        .find_map(|(open, close, plain)| {
            let start = line.find(open)?;
            let rest = &line[start + open.len()..];
            let end = rest.rfind(close)?;
            let value = &rest[..end];
            let shown = match *plain {
                "unexpected argument found" if value.starts_with('-') => {
                    let flag = value.split('=').next().unwrap_or(value);
                    format!("unexpected argument '{flag}' found")
                }
                _ => plain.to_string(),
            };
            Some(format!(
                "{}{shown}{}",
                &line[..start],
                &rest[end + close.len()..]
            ))
        });
        out.push_str(cut.as_deref().unwrap_or(line));
    }
    out
}

/// Prints clap's message and exits: help and version as clap does; a usage error
/// through the redactor, its control characters escaped (SPEC §15: the value a user
/// mistyped may be a secret, or hold escape sequences), exit code 2.
fn usage_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit()
    }
    let text = without_argument_value(&e.render().to_string());
    let redacted = crate::redact::shared().redact_str(&text);
    let cleaned: Vec<_> = redacted.split('\n').map(output::clean).collect();
    crate::error::warn(format_args!("{}", cleaned.join("\n").trim_end()));
    std::process::exit(2)
}

/// What every program's `--help` says about the environment, after its examples.
pub fn with_environment(examples: &str) -> String {
    format!(
        "{examples}

Environment:
  CC_ROOT             data root(s) when --root is not given, separated by ':'
  CC_NOW              a TIME to treat as now in reports (reproducible answers)
  CC_REDACT_KEYS      extra secret key names, comma-separated
  CC_REDACT_PATTERNS  extra secret regexes, one per line
  CC_ROLLUPS=off      read raw lines only, build no rollups (to compare, or to time)
  NO_COLOR, FORCE_COLOR, TZ"
    )
}

/// Flags every program takes, before or after the subcommand.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Common options")]
pub struct CommonArgs {
    /// Data root holding logs/ and analytics/. Repeat to read several machines' roots
    /// (records are merged and de-duplicated by id; writes go to the first).
    /// Default: $CC_ROOT (paths separated by ':'), else the current directory.
    #[arg(long, value_name = "DIR", global = true)]
    pub root: Vec<PathBuf>,

    /// Machine output: one JSON document, or NDJSON for record streams.
    #[arg(long, global = true)]
    pub json: bool,

    /// When to colour output (NO_COLOR and FORCE_COLOR are honoured in auto).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto, global = true)]
    pub color: ColorArg,

    /// Exit 1 when malformed lines were skipped while reading.
    #[arg(long, global = true)]
    pub strict: bool,

    /// Print no warnings or notes, only results and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Show times and group days in UTC instead of the local time zone.
    #[arg(long, global = true)]
    pub utc: bool,

    /// Make every append durable (fsync) before exiting 0.
    #[arg(long, global = true)]
    pub fsync: bool,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// Colour on a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The common flags resolved: roots, config, output style, and the moment "now".
pub struct Settings {
    /// Where to read and write.
    pub roots: Roots,
    /// Configuration of the primary root.
    pub config: Config,
    /// Rendering.
    pub style: Style,
    /// `--strict`.
    pub strict: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// `--fsync` or config.
    pub fsync: bool,
    /// The time queries treat as now: `$CC_NOW` (a TIME) when set, for reproducible
    /// reports, else the clock.
    pub now: Timestamp,
}

impl Settings {
    /// Resolves the common flags: roots from `--root`/`CC_ROOT`, the config file of the
    /// primary root, colour from `--color`/`NO_COLOR`/`FORCE_COLOR`/TTY.
    pub fn from_args(args: &CommonArgs) -> Result<Settings> {
        let roots = Roots::resolve(&args.root, std::env::var("CC_ROOT").ok().as_deref());
        // A root that is a file (or anything but a folder) is a mistyped --root, for
        // reads and writes alike.
        for root in roots.all() {
            if std::fs::metadata(root).is_ok_and(|m| !m.is_dir()) {
                let flag = if args.root.is_empty() {
                    "CC_ROOT"
                } else {
                    "--root"
                };
                return Err(crate::Error::flag(
                    flag,
                    format!(
                        "{} is not a folder",
                        crate::store::paths::display_path(root)
                    ),
                ));
            }
        }
        let config = Config::load(roots.primary())?;
        let choice = match args.color {
            ColorArg::Auto => output::ColorChoice::Auto,
            ColorArg::Always => output::ColorChoice::Always,
            ColorArg::Never => output::ColorChoice::Never,
        };
        let style = Style {
            json: args.json,
            color: !args.json && choice.resolve(),
            utc: args.utc,
        };
        let now = match std::env::var("CC_NOW") {
            Ok(v) if !v.trim().is_empty() => {
                let real = Timestamp::now().to_datetime();
                Timestamp::from(timespec::parse_time(&v, "CC_NOW", real, args.utc)?)
            }
            _ => Timestamp::now(),
        };
        Ok(Settings {
            fsync: args.fsync || config.fsync,
            roots,
            config,
            style,
            strict: args.strict,
            quiet: args.quiet,
            now,
        })
    }

    /// Fails with [`crate::Error::NoRoot`] (exit 2) when a data root does not exist:
    /// reads never create one (SPEC §15), and a typo should not read as "no data".
    pub fn require_roots(&self) -> Result<()> {
        for root in self.roots.all() {
            if !root.is_dir() {
                return Err(crate::Error::NoRoot { path: root.clone() });
            }
        }
        Ok(())
    }

    /// The redactor configured for this root (config and environment).
    pub fn redactor(&self) -> Result<Redactor> {
        Redactor::from_config(&self.config.redact)
    }

    /// A writer into the primary root, with this root's redaction and config.
    pub fn writer(&self) -> Result<Writer> {
        Ok(Writer::new(
            self.roots.primary(),
            self.redactor()?,
            self.config.host,
            self.fsync,
        ))
    }

    /// Parses an optional TIME flag (`--since`, `--until`).
    pub fn time(&self, value: Option<&str>, flag: &str) -> Result<Option<Timestamp>> {
        value
            .map(|v| {
                timespec::parse_time(v, flag, self.now.to_datetime(), self.style.utc)
                    .map(Timestamp::from)
            })
            .transpose()
    }

    /// Prints `report` on standard output the one way every command prints (see
    /// [`output::emit`]).
    pub fn emit<R: output::Render>(&self, report: &R) -> Result<()> {
        let mut out = output::stdout();
        output::emit(out.writer(), &self.style, report)?;
        out.flush()
    }

    /// Prints the skipped-lines warning (unless quiet) and gives the exit:
    /// a failure under `--strict` when lines were skipped, else success.
    pub fn finish(&self, skipped: &Skipped) -> Exit {
        if let Some(w) = skipped.warning() {
            if !self.quiet || self.strict {
                crate::error::warn(format_args!("{w}"));
            }
            if self.strict {
                return Exit::Failure;
            }
        }
        Exit::Success
    }
}

/// Names the command-line flag instead of the record field in a validation error, for
/// records built from flags (`invalid --cost: ...`, not `invalid costUsd: ...`).
pub fn field_as_flag(err: crate::Error, flags: &[(&str, &str)]) -> crate::Error {
    match err {
        crate::Error::Invalid { field, message } => match flags.iter().find(|(f, _)| *f == field) {
            Some((_, flag)) => crate::Error::flag(*flag, message),
            None => crate::Error::Invalid { field, message },
        },
        other => other,
    }
}

/// Prints shell completions for `cmd`.
pub fn print_completions(shell: clap_complete::Shell, cmd: &mut clap::Command) -> Result<()> {
    let name = cmd.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(shell, cmd, name.clone(), &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Bash && name.contains('-') {
        // clap_complete names the case arms of a hyphenated program `cc__subcmd__log__…`
        // but sets `cmd` to `cc__log__…`, so nothing past the subcommand completed.
        let wrong = name.replace('-', "__subcmd__");
        let right = name.replace('-', "__");
        script = script.replace(&wrong, &right);
    }
    output::print_bytes(script.as_bytes())
}

/// Prints one man page for `cmd` that documents every subcommand and its flags. The
/// NAME line reads `cc-log - a structured log ...` (the about text without its
/// `cc-log:` prefix).
pub fn print_man(cmd: clap::Command) -> Result<()> {
    let name = cmd.get_name().to_string();
    let strip = |text: String| -> String {
        text.strip_prefix(&format!("{name}: "))
            .map(str::to_string)
            .unwrap_or(text)
    };
    let about = cmd.get_about().map(|a| strip(a.to_string()));
    let long_about = cmd.get_long_about().map(|a| strip(a.to_string()));
    let mut cmd = cmd;
    if let Some(a) = about {
        cmd = cmd.about(a);
    }
    if let Some(a) = long_about {
        cmd = cmd.long_about(a);
    }
    cmd.build();
    let page = man_page(&name, &cmd).map_err(|e| crate::Error::Internal {
        what: "rendering the man page",
        message: e.to_string(),
    })?;
    output::print_bytes(&page)
}

/// The man page of a built `cmd` named `name`, rendered in memory.
fn man_page(name: &str, cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_subcommands_section(&mut page)?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let full = format!("{name} {}", sub.get_name());
        page.extend_from_slice(format!(".SH \"{}\"\n", full.to_uppercase()).as_bytes());
        let sub_man = clap_mangen::Man::new(sub.clone().name(full.clone()).bin_name(full));
        let mut part = Vec::new();
        sub_man.render_synopsis_section(&mut part)?;
        sub_man.render_description_section(&mut part)?;
        sub_man.render_options_section(&mut part)?;
        // Subsections of this command's section, not top-level sections.
        let part = String::from_utf8_lossy(&part)
            .replace(".SH SYNOPSIS", ".SS Synopsis")
            .replace(".SH DESCRIPTION", ".SS Description")
            .replace(".SH OPTIONS", ".SS Options");
        page.extend_from_slice(part.as_bytes());
    }
    man.render_extra_section(&mut page)?;
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// How an error ends a program: the library's exit for its own errors, success for a
/// closed output pipe (`cc-log query | head`), else a runtime failure.
pub fn exit_code(err: &(dyn std::error::Error + 'static)) -> Exit {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(ours) = e.downcast_ref::<crate::Error>() {
            return if ours.is_broken_pipe() {
                Exit::Success
            } else {
                ours.exit()
            };
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return Exit::Success;
        }
        current = e.source();
    }
    Exit::Failure
}

/// Sets the process up before a program's work: no transparent huge pages. mimalloc
/// asks for them on its arenas, and the kernel then zeroes and maps 2 MiB at a time:
/// a short-lived report spent half its time clearing pages and held three times the
/// memory it used (`cc-log stats` over a month: 90 MB, 52 MB without).
pub fn tune_allocator() {
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only this process's
    // page policy (it fails harmlessly on kernels without it).
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// `prune` flags, the same in every program.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Files whose whole day is older than this DURATION (e.g. 30d).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub older_than: String,
    /// Gzip them (to .jsonl.gz, still readable) instead of deleting them.
    #[arg(long)]
    pub compress: bool,
    /// Say what would be done, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `prune` flags of the programs whose streams have rollups.
#[derive(Debug, Args)]
pub struct RollupPruneArgs {
    /// The flags every `prune` has.
    #[command(flatten)]
    pub prune: PruneArgs,
    /// Keep each deleted file's rollup, so reports still cover its day (questions that
    /// need its raw records say they were pruned).
    #[arg(long, conflicts_with = "compress")]
    pub keep_rollups: bool,
}

/// `rollup` flags.
#[derive(Debug, Args)]
pub struct RollupArgs {
    /// Rebuild every rollup, even those that are up to date.
    #[arg(long)]
    pub rebuild: bool,
}

/// How `stream`'s rollups are made, if it has any.
fn rollup_recipe(stream: Stream) -> Option<crate::rollup::Recipe<'static>> {
    match stream {
        Stream::SkillInvocations => Some(crate::log::ROLLUPS),
        Stream::CujMetrics => Some(crate::rollup::rows_recipe::<crate::metrics::Journeys>()),
        Stream::ProviderHealth => Some(crate::rollup::rows_recipe::<crate::health::Calls>()),
        Stream::Progress | Stream::Notifications => None,
    }
}

/// `prune`: deletes (or gzips) the daily files of `stream` wholly older than the cutoff
/// and says what it did. Their rollups go with them, unless `keep_rollups`.
pub fn exec_prune(
    settings: &Settings,
    stream: Stream,
    args: &PruneArgs,
    keep_rollups: bool,
) -> Result<Exit> {
    exec_prune_with(settings, args, |cutoff| match rollup_recipe(stream) {
        Some(recipe) => crate::rollup::prune(
            &settings.roots,
            stream,
            cutoff,
            args.compress,
            args.dry_run,
            keep_rollups.then_some(recipe),
        ),
        None => prune::prune(&settings.roots, stream, cutoff, args.compress, args.dry_run),
    })
}

/// `rollup`: builds the missing or stale rollups of `stream`'s sealed files and says what
/// each is.
pub fn exec_rollup(settings: &Settings, stream: Stream, args: &RollupArgs) -> Result<Exit> {
    let Some(recipe) = rollup_recipe(stream) else {
        return Ok(Exit::Success);
    };
    let actions = crate::rollup::refresh(&settings.roots, stream, args.rebuild, recipe)?;
    settings.emit(&output::RollupReport(actions))?;
    Ok(Exit::Success)
}

/// `prune` done by `run` (given the cutoff), reported as `exec_prune` reports it.
pub fn exec_prune_with(
    settings: &Settings,
    args: &PruneArgs,
    run: impl FnOnce(Timestamp) -> Result<Vec<prune::PruneAction>>,
) -> Result<Exit> {
    let age = timespec::parse_duration(&args.older_than, "--older-than")?;
    let cutoff = Timestamp::from(settings.now.to_datetime() - age);
    let actions = run(cutoff)?;
    settings.emit(&output::Pruned {
        actions,
        older_than: args.older_than.clone(),
        dry_run: args.dry_run,
    })?;
    Ok(Exit::Success)
}

/// The end of every program's `main`: the exit code for `result`, with the error
/// printed as `PROGRAM: error: ...` unless it is a closed output pipe. The library's
/// errors already name their cause, so only the outermost message is printed.
pub fn exit<E>(program: &str, result: std::result::Result<Exit, E>) -> std::process::ExitCode
where
    E: std::ops::Deref<Target = dyn std::error::Error + Send + Sync + 'static> + std::fmt::Display,
{
    match result {
        Ok(exit) => exit.into(),
        Err(err) => {
            let exit = exit_code(&*err);
            if exit != Exit::Success {
                // Messages may quote input: they pass the redactor like records (SPEC §15),
                // and no control character reaches the terminal.
                let message = err.to_string();
                let message = crate::redact::shared().redact_str(&message);
                // Not eprintln!, which panics (exit 101) when standard error cannot be
                // written: the exit code is what is left to tell the failure.
                let _ = writeln!(
                    std::io::stderr(),
                    "{program}: error: {}",
                    output::clean(&message)
                );
            }
            exit.into()
        }
    }
}
