//! `cc-log`: flags and subcommands, and `exec`, which turns them into library calls.

use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand, ValueEnum};
use serde_json::Value;

use super::{
    CommonArgs, RollupArgs, RollupPruneArgs, Settings, exec_prune, exec_rollup, print_completions,
    print_man,
};
use crate::error::{Error, Exit, Result};
use crate::log::{self, Filter, GroupBy};
use crate::output;
use crate::record::{SkillInvocation, SkillResult, parse_record};
use crate::timespec;
use crate::writer::Writer;

const EXAMPLES: &str = "\
Examples:
  cc-log log --skill multi-ai-code-review --duration 1234 --agent developer
  cc-log run --skill lint -- cargo clippy
  cc-log run --skill review --params '{\"pr\":12}' --cache 1h -- ./review.sh 12
  cc-log query --skill multi-ai-code-review --limit 10
  cc-log stats --by agent --since 7d
  cc-log tail -f --result failure
  some-tool | cc-log log -";

/// cc-log: a structured log of skill invocations.
///
/// Records go to ROOT/logs/skill-invocations-YYYY-MM-DD.jsonl (one JSON object per
/// line, UTC day of the record), redacted before they reach disk.
#[derive(Debug, Parser)]
#[command(name = "cc-log", version, after_help = super::with_environment(EXAMPLES))]
pub struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Log one invocation (flags or --record JSON), or NDJSON from standard input (-).
    Log(LogArgs),
    /// Run a command, time it, log success or failure from its exit status, and exit
    /// with its code.
    Run(RunArgs),
    /// The skill cache of `run --cache`.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Show matching invocations, newest first.
    Query(QueryArgs),
    /// Counts, success and cache-hit rates and duration percentiles per group.
    Stats(StatsArgs),
    /// Show the last invocations, oldest first; with -f, follow new ones.
    Tail(TailArgs),
    /// Redact secrets from JSONL on standard input to standard output.
    Sanitize,
    /// Record one Claude Code/Codex hook payload from standard input (always exit 0,
    /// nothing on standard output); `hook install|uninstall` edits the settings file.
    Hook(super::hook::HookArgs),
    /// Delete (or gzip) daily files wholly older than a cutoff.
    Prune(RollupPruneArgs),
    /// Summarize sealed days (before today, UTC) so stats over them read kilobytes, not
    /// gigabytes; reports build missing rollups themselves, this does it ahead of time.
    Rollup(RollupArgs),
    /// Print shell completions.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page.
    Man,
}

/// Optional fields shared by `log` and `run`.
#[derive(Debug, Args)]
struct RecordFields {
    /// Parameters the skill was called with, as JSON (redacted on write).
    #[arg(long, value_name = "JSON")]
    params: Option<String>,
    /// The result came from a cache.
    #[arg(long)]
    cache_hit: bool,
    /// The agent that invoked the skill.
    #[arg(long, value_name = "A")]
    agent: Option<String>,
    /// The run the invocation belongs to.
    #[arg(long = "run-id", visible_alias = "runId", value_name = "R")]
    run_id: Option<String>,
    /// The journey (CUJ) the invocation belongs to.
    #[arg(long = "cuj-id", visible_alias = "cujId", value_name = "C")]
    cuj_id: Option<String>,
    /// Free-form details, as JSON.
    #[arg(long, value_name = "JSON")]
    metadata: Option<String>,
    /// A label (repeatable).
    #[arg(long = "tag", value_name = "T")]
    tags: Vec<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["skill", "record", "input"])))]
struct LogArgs {
    /// The skill's name.
    #[arg(long, value_name = "S")]
    skill: Option<String>,
    /// How it ended [default: success].
    #[arg(long, value_enum, value_name = "R")]
    result: Option<ResultArg>,
    /// How long it took: milliseconds, or a DURATION such as 1.5s.
    #[arg(long, value_name = "MS", allow_hyphen_values = true)]
    duration: Option<String>,
    /// The error message.
    #[arg(long, value_name = "MSG")]
    error: Option<String>,
    #[command(flatten)]
    fields: RecordFields,
    /// A whole record as a JSON object (every field of the format).
    #[arg(long, value_name = "JSON", conflicts_with_all = ["skill", "input"])]
    record: Option<String>,
    /// `-`: read NDJSON records from standard input and append them in batches.
    #[arg(value_name = "-", conflicts_with = "skill")]
    input: Option<String>,
}

#[derive(Debug, Subcommand)]
enum CacheCommand {
    /// Remove the saved outputs (only those of --skill when given).
    Clear {
        /// Only this skill's entries.
        #[arg(long, value_name = "S")]
        skill: Option<String>,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The skill's name.
    #[arg(long, value_name = "S")]
    skill: String,
    /// Reuse the output of the same skill with the same --params when it succeeded
    /// within this DURATION (print it, log a cache hit, do not run CMD); otherwise run
    /// CMD and, on success, save its standard output (up to 1 MiB) under
    /// ROOT/.ccmon/cache/.
    #[arg(long, value_name = "TTL")]
    cache: Option<String>,
    #[command(flatten)]
    fields: RecordFields,
    /// The command to run, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

#[derive(Debug, Args)]
struct FilterArgs {
    /// Only this skill.
    #[arg(long, value_name = "S")]
    skill: Option<String>,
    /// Only this agent.
    #[arg(long, value_name = "A")]
    agent: Option<String>,
    /// Only this run.
    #[arg(long = "run-id", visible_alias = "runId", value_name = "R")]
    run_id: Option<String>,
    /// Only this journey.
    #[arg(long = "cuj-id", visible_alias = "cujId", value_name = "C")]
    cuj_id: Option<String>,
    /// Only this result (success, failure, partial, timeout, skipped).
    #[arg(long, value_enum, value_name = "R")]
    result: Option<ResultArg>,
    /// Only cache hits.
    #[arg(long, conflicts_with = "no_cache_hit")]
    cache_hit: bool,
    /// Only cache misses.
    #[arg(long)]
    no_cache_hit: bool,
    /// From this TIME: RFC 3339, YYYY-MM-DD, or a DURATION ago (24h, 7d).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Up to this TIME.
    #[arg(long, value_name = "T")]
    until: Option<String>,
    /// Only records whose stored line matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    grep: Option<String>,
}

#[derive(Debug, Args)]
struct QueryArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// At most this many records (0 for all).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 50,
        allow_hyphen_values = true
    )]
    limit: usize,
    /// Print only how many records match.
    #[arg(long)]
    count: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ByArg {
    Skill,
    Agent,
    Cuj,
    Result,
    Day,
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Group by this field [default: skill].
    #[arg(long, value_enum, value_name = "FIELD")]
    by: Option<ByArg>,
    #[command(flatten)]
    filter: FilterArgs,
}

#[derive(Debug, Args)]
struct TailArgs {
    /// How many records to show first.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    lines: usize,
    /// Keep following new records as they are appended.
    #[arg(short, long)]
    follow: bool,
    #[command(flatten)]
    filter: FilterArgs,
}

/// `--result` values (completed by the shell completions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ResultArg {
    /// It did what was asked.
    Success,
    /// It failed.
    Failure,
    /// It did part of what was asked.
    Partial,
    /// It ran out of time.
    Timeout,
    /// It was not run.
    Skipped,
}

impl From<ResultArg> for SkillResult {
    fn from(r: ResultArg) -> SkillResult {
        match r {
            ResultArg::Success => SkillResult::Success,
            ResultArg::Failure => SkillResult::Failure,
            ResultArg::Partial => SkillResult::Partial,
            ResultArg::Timeout => SkillResult::Timeout,
            ResultArg::Skipped => SkillResult::Skipped,
        }
    }
}

/// Runs a parsed `cc-log` command line; returns the exit code.
pub fn exec(cli: Cli) -> Result<Exit> {
    if let Command::Hook(args) = &cli.command {
        return super::hook::exec_hook(&cli.common, args);
    }
    let settings = Settings::from_args(&cli.common)?;
    if !matches!(
        cli.command,
        Command::Log(_)
            | Command::Run(_)
            | Command::Sanitize
            | Command::Completions { .. }
            | Command::Man
    ) {
        settings.require_roots()?;
    }
    match cli.command {
        Command::Log(args) => exec_log(&settings, args),
        Command::Run(args) => exec_run(&settings, args),
        Command::Cache(CacheCommand::Clear { skill }) => {
            let removed = log::clear_cache(settings.roots.primary(), skill.as_deref())?;
            if settings.style.json || !settings.quiet {
                settings.emit(&log::CacheCleared {
                    removed: removed as u64,
                })?;
            }
            Ok(Exit::Success)
        }
        Command::Query(args) => exec_query(&settings, args),
        Command::Stats(args) => exec_stats(&settings, args),
        Command::Tail(args) => exec_tail(&settings, args),
        Command::Sanitize => exec_sanitize(&settings),
        Command::Hook(_) => Ok(Exit::Success),
        Command::Prune(args) => exec_prune(
            &settings,
            crate::store::Stream::SkillInvocations,
            &args.prune,
            args.keep_rollups,
        ),
        Command::Rollup(args) => {
            exec_rollup(&settings, crate::store::Stream::SkillInvocations, &args)
        }
        Command::Completions { shell } => {
            print_completions(shell, &mut super::examples::add_to(Cli::command()))
                .map(|()| Exit::Success)
        }
        Command::Man => print_man(super::examples::add_to(Cli::command())).map(|()| Exit::Success),
    }
}

fn json_flag(value: Option<&str>, flag: &str) -> Result<Option<Value>> {
    value
        .map(|v| {
            serde_json::from_str(v)
                .map_err(|e| Error::invalid(flag, format!("not valid JSON: {e}")))
        })
        .transpose()
}

fn build_record(skill: &str, fields: &RecordFields) -> Result<SkillInvocation> {
    let mut rec = SkillInvocation::new(skill);
    rec.params = json_flag(fields.params.as_deref(), "--params")?;
    rec.metadata = json_flag(fields.metadata.as_deref(), "--metadata")?;
    rec.cache_hit = fields.cache_hit;
    rec.agent.clone_from(&fields.agent);
    rec.run_id.clone_from(&fields.run_id);
    rec.cuj_id.clone_from(&fields.cuj_id);
    if !fields.tags.is_empty() {
        rec.tags = Some(fields.tags.clone());
    }
    if skill.trim().is_empty() {
        return Err(Error::invalid("--skill", "must not be empty"));
    }
    Ok(rec)
}

fn exec_log(settings: &Settings, args: LogArgs) -> Result<Exit> {
    let writer = settings.writer()?;
    let record = if let Some(json) = &args.record {
        parse_record::<SkillInvocation>(json, "--record")?
    } else if let Some(skill) = &args.skill {
        let mut rec = build_record(skill, &args.fields)?;
        rec.result = args.result.map(SkillResult::from).unwrap_or_default();
        rec.duration = args
            .duration
            .as_deref()
            .map(|d| timespec::parse_duration_ms(d, "--duration"))
            .transpose()?;
        rec.error = args.error.map_or(Value::Null, Value::String);
        rec
    } else {
        return exec_log_bulk(settings, &writer, args.input.as_deref().unwrap_or("-"));
    };
    let written = writer.append(record)?;
    settings.emit(&output::Written(vec![written]))?;
    Ok(Exit::Success)
}

fn exec_log_bulk(settings: &Settings, writer: &Writer, input: &str) -> Result<Exit> {
    if input != "-" {
        // The value is not repeated: it may be anything, a secret included (SPEC §15).
        return Err(Error::invalid(
            "INPUT",
            "only - (standard input) is accepted; for a file: cc-log log - < FILE",
        ));
    }
    let mut out = output::stdout();
    let report = log::append_ndjson(&mut std::io::stdin().lock(), writer, &mut |event| {
        match event {
            log::BulkEvent::Invalid { message, .. } => {
                crate::error::warn(format_args!("error: {}", output::clean(message)));
            }
            log::BulkEvent::Written(lines) if settings.style.json => {
                out.write_all(lines)?;
                out.flush()?;
            }
            log::BulkEvent::Written(_) => {}
        }
        Ok(())
    })?;
    if let Some(summary) = report.summary() {
        crate::error::warn(format_args!("{summary}"));
        return Ok(Exit::Failure);
    }
    Ok(Exit::Success)
}

fn exec_run(settings: &Settings, args: RunArgs) -> Result<Exit> {
    // Check everything before running anything: bad flags must not run the command.
    let writer = settings.writer()?;
    let record = build_record(&args.skill, &args.fields)?;
    let ttl = args
        .cache
        .as_deref()
        .map(|t| timespec::parse_duration_ms(t, "--cache"))
        .transpose()?;
    if ttl.is_some_and(|t| t <= 0.0) {
        return Err(Error::invalid("--cache", "the TTL must be longer than 0"));
    }
    let run = log::SkillRun {
        record,
        command: args.command,
        cache_ttl_ms: ttl,
    };
    let report = log::run_skill(
        &writer,
        settings.roots.primary(),
        settings.now,
        run,
        &mut std::io::stdout(),
    )?;
    settings.emit(&report.written)?;
    Ok(Exit::Child(report.code))
}

fn filter(settings: &Settings, f: FilterArgs) -> Result<Filter> {
    let grep = f
        .grep
        .as_deref()
        .map(|g| {
            // The regex crate's message spans lines (the pattern, a caret, the reason):
            // its last line says what is wrong, without repeating the pattern.
            regex::Regex::new(g).map_err(|e| {
                let text = e.to_string();
                let reason = text.lines().last().unwrap_or("not a regular expression");
                Error::invalid("--grep", reason.trim_start_matches("error: ").to_string())
            })
        })
        .transpose()?;
    Ok(Filter {
        skill: f.skill,
        agent: f.agent,
        run_id: f.run_id,
        cuj_id: f.cuj_id,
        result: f.result.map(SkillResult::from),
        cache_hit: if f.cache_hit {
            Some(true)
        } else if f.no_cache_hit {
            Some(false)
        } else {
            None
        },
        since: settings.time(f.since.as_deref(), "--since")?,
        until: settings.time(f.until.as_deref(), "--until")?,
        grep,
    })
}

fn exec_query(settings: &Settings, args: QueryArgs) -> Result<Exit> {
    let filter = filter(settings, args.filter)?;
    let skipped = if args.count {
        let (report, skipped) = log::count_report(&settings.roots, &filter)?;
        settings.emit(&report)?;
        skipped
    } else {
        let redactor = settings.redactor()?;
        let (report, skipped) = log::query_report(&settings.roots, &filter, args.limit, &redactor)?;
        settings.emit(&report)?;
        skipped
    };
    Ok(settings.finish(&skipped))
}

fn exec_stats(settings: &Settings, args: StatsArgs) -> Result<Exit> {
    let by = match args.by {
        None | Some(ByArg::Skill) => GroupBy::Skill,
        Some(ByArg::Agent) => GroupBy::Agent,
        Some(ByArg::Cuj) => GroupBy::Cuj,
        Some(ByArg::Result) => GroupBy::Result,
        Some(ByArg::Day) => GroupBy::Day,
    };
    let filter = filter(settings, args.filter)?;
    let (rows, skipped) = log::stats(&settings.roots, &filter, by, settings.style.utc)?;
    settings.emit(&log::StatsReport { by, rows })?;
    Ok(settings.finish(&skipped))
}

fn exec_tail(settings: &Settings, args: TailArgs) -> Result<Exit> {
    let filter = filter(settings, args.filter)?;
    let redactor = settings.redactor()?;
    // Follow from before the read, so nothing appended in between is missed.
    let mut follow = if args.follow {
        Some(log::Follow::start(&settings.roots, &filter, &redactor)?)
    } else {
        None
    };
    let (report, skipped) = log::tail(&settings.roots, &filter, &redactor, args.lines)?;
    settings.emit(&report)?;
    let code = settings.finish(&skipped);
    let Some(follow) = follow.as_mut() else {
        return Ok(code);
    };
    loop {
        let arrived = follow.wait()?;
        if !settings.quiet {
            for file in &arrived.malformed {
                crate::error::warn(format_args!("warning: skipped a malformed line in {file}"));
            }
        }
        settings.emit(&arrived.report)?;
    }
}

fn exec_sanitize(settings: &Settings) -> Result<Exit> {
    let redactor = settings.redactor()?;
    let mut out = output::stdout();
    let report = log::sanitize(&mut std::io::stdin().lock(), out.writer(), &redactor)?;
    if let Some(warning) = report.warning()
        && !settings.quiet
    {
        crate::error::warn(format_args!("{warning}"));
    }
    Ok(if settings.strict && report.not_json > 0 {
        Exit::Failure
    } else {
        Exit::Success
    })
}
