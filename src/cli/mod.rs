//! Command-line layer shared by the five programs: the common flags, turned into a
//! plain [`Settings`] before any work starts, and the mapping of errors to exit codes.
//! Each program's own flags live in a submodule; domain modules never see clap types.

pub mod dashboard;
pub mod health;
pub mod log;
pub mod metrics;
pub mod progress;

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::config::Config;
use crate::error::Result;
use crate::output::{self, Style};
use crate::record::Timestamp;
use crate::redact::Redactor;
use crate::store::{Roots, Skipped, Stream, Writer, prune};
use crate::timespec;

/// What every program's `--help` says about the environment, after its examples.
pub fn with_environment(examples: &str) -> String {
    format!(
        "{examples}

Environment:
  CC_ROOT             data root(s) when --root is not given, separated by ':'
  CC_NOW              a TIME to treat as now in reports (reproducible answers)
  CC_REDACT_KEYS      extra secret key names, comma-separated
  CC_REDACT_PATTERNS  extra secret regexes, one per line
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

    /// Prints the skipped-lines warning (unless quiet) and gives the exit code:
    /// 1 under `--strict` when lines were skipped, else 0.
    pub fn finish(&self, skipped: &Skipped) -> u8 {
        if let Some(w) = skipped.warning() {
            if !self.quiet || self.strict {
                eprintln!("{w}");
            }
            if self.strict {
                return 1;
            }
        }
        0
    }
}

/// Prints shell completions for `cmd`.
pub fn print_completions(shell: clap_complete::Shell, cmd: &mut clap::Command) -> Result<()> {
    let name = cmd.get_name().to_string();
    let mut out = output::stdout();
    clap_complete::generate(shell, cmd, name, &mut out);
    out.flush()?;
    Ok(())
}

/// Prints a man page for `cmd`.
pub fn print_man(cmd: clap::Command) -> Result<()> {
    let mut out = output::stdout();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    out.flush()?;
    Ok(())
}

/// The exit code for an error that ended a program: the library's code for its own
/// errors, 0 for a closed output pipe (`cc-log query | head`), else 1.
pub fn exit_code(err: &(dyn std::error::Error + 'static)) -> u8 {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(ours) = e.downcast_ref::<crate::Error>() {
            return if ours.is_broken_pipe() {
                0
            } else {
                ours.exit_code()
            };
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return 0;
        }
        current = e.source();
    }
    1
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

/// `prune`: deletes (or gzips) the daily files of `stream` wholly older than the cutoff
/// and says what it did.
pub fn exec_prune(settings: &Settings, stream: Stream, args: &PruneArgs) -> Result<u8> {
    let age = timespec::parse_duration(&args.older_than, "--older-than")?;
    let cutoff = Timestamp::from(settings.now.to_datetime() - age);
    let actions = prune::prune(&settings.roots, stream, cutoff, args.compress, args.dry_run)?;
    let mut out = output::stdout();
    if settings.style.json {
        output::write_json(&mut out, &actions)?;
    } else if actions.is_empty() {
        writeln!(
            out,
            "nothing to prune: no daily files wholly older than {}",
            args.older_than
        )?;
    } else {
        let verb = |action: &str| match (args.dry_run, action == "compressed") {
            (true, true) => "would compress",
            (true, false) => "would delete",
            (false, true) => "compressed",
            (false, false) => "deleted",
        };
        for a in &actions {
            writeln!(
                out,
                "{} {} ({})",
                verb(a.action),
                a.path,
                human_bytes(a.bytes)
            )?;
        }
        let total: u64 = actions.iter().map(|a| a.bytes).sum();
        writeln!(
            out,
            "{} {} files, {}",
            verb(actions[0].action),
            actions.len(),
            human_bytes(total)
        )?;
    }
    out.flush()?;
    Ok(0)
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// The end of every program's `main`: the exit code for `result`, with the error
/// printed as `PROGRAM: error: ...` unless it is a closed output pipe. The library's
/// errors already name their cause, so only the outermost message is printed.
pub fn exit<E>(program: &str, result: std::result::Result<u8, E>) -> std::process::ExitCode
where
    E: std::ops::Deref<Target = dyn std::error::Error + Send + Sync + 'static> + std::fmt::Display,
{
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        Err(err) => {
            let code = exit_code(&*err);
            if code != 0 {
                // Messages may quote input: they pass the redactor like records (SPEC §15).
                let message = err.to_string();
                eprintln!(
                    "{program}: error: {}",
                    crate::redact::shared().redact_str(&message)
                );
            }
            std::process::ExitCode::from(code)
        }
    }
}
