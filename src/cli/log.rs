//! `cc-log`: flags and subcommands, and `exec`, which turns them into library calls.

use std::io::Write;

use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand, ValueEnum};
use serde_json::Value;

use super::{CommonArgs, PruneArgs, Settings, exec_prune, print_completions, print_man};
use crate::error::{Error, Result};
use crate::log::{self, Filter, GroupBy};
use crate::output;
use crate::record::{SkillInvocation, SkillResult, Timestamp, parse_record};
use crate::store::{Stream, follow::Follower};
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
    Prune(PruneArgs),
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
pub fn exec(cli: Cli) -> Result<u8> {
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
            if settings.style.json {
                let mut out = output::stdout();
                writeln!(out, "{}", serde_json::json!({ "removed": removed }))?;
            } else if !settings.quiet {
                let s = if removed == 1 { "y" } else { "ies" };
                println!("removed {removed} cache entr{s}");
            }
            Ok(0)
        }
        Command::Query(args) => exec_query(&settings, args),
        Command::Stats(args) => exec_stats(&settings, args),
        Command::Tail(args) => exec_tail(&settings, args),
        Command::Sanitize => exec_sanitize(&settings),
        Command::Hook(_) => Ok(0),
        Command::Prune(args) => exec_prune(&settings, Stream::SkillInvocations, &args),
        Command::Completions { shell } => {
            print_completions(shell, &mut super::examples::add_to(Cli::command())).map(|()| 0)
        }
        Command::Man => print_man(super::examples::add_to(Cli::command())).map(|()| 0),
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

fn print_written(settings: &Settings, written: &[Value]) -> Result<()> {
    if settings.style.json {
        let mut out = output::stdout();
        for v in written {
            writeln!(out, "{v}")?;
        }
        out.flush()?;
    }
    Ok(())
}

fn exec_log(settings: &Settings, args: LogArgs) -> Result<u8> {
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
    print_written(settings, &[written])?;
    Ok(0)
}

fn exec_log_bulk(settings: &Settings, writer: &Writer, input: &str) -> Result<u8> {
    if input != "-" {
        return Err(Error::invalid(
            "input",
            format!("{input:?}: only - (standard input) is accepted"),
        ));
    }
    let mut out = output::stdout();
    let report = log::append_ndjson(&mut std::io::stdin().lock(), writer, &mut |event| {
        match event {
            log::BulkEvent::Invalid { message, .. } => {
                eprintln!("error: {}", output::clean(message));
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
        eprintln!("{summary}");
        return Ok(1);
    }
    Ok(0)
}

fn exec_run(settings: &Settings, args: RunArgs) -> Result<u8> {
    // Check everything before running anything: bad flags must not run the command.
    let writer = settings.writer()?;
    let mut rec = build_record(&args.skill, &args.fields)?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::invalid("CMD", "a command is required after --"))?;
    let ttl = args
        .cache
        .as_deref()
        .map(|t| timespec::parse_duration_ms(t, "--cache"))
        .transpose()?;
    if ttl.is_some_and(|t| t <= 0.0) {
        return Err(Error::invalid("--cache", "the TTL must be longer than 0"));
    }
    let root = settings.roots.primary();
    let mut meta = match rec.metadata.take() {
        Some(Value::Object(m)) => m,
        Some(other) => {
            let mut m = serde_json::Map::new();
            m.insert("value".into(), other);
            m
        }
        None => serde_json::Map::new(),
    };
    meta.insert("command".into(), Value::String(args.command.join(" ")));
    let resources = |meta: &mut serde_json::Map<String, Value>, u: crate::runner::Usage| {
        meta.insert("peakRssMb".into(), Value::from(u.peak_rss_mb));
        meta.insert("cpuUserMs".into(), Value::from(u.cpu_user_ms));
        meta.insert("cpuSystemMs".into(), Value::from(u.cpu_system_ms));
    };
    let started = Timestamp::now();
    if let Some(ttl) = ttl
        && let Some(hit) =
            log::cache_lookup(root, &args.skill, rec.params.as_ref(), ttl, settings.now)?
    {
        let mut out = std::io::stdout();
        let printed = out.write_all(&hit.output).and_then(|()| out.flush());
        if let Err(e) = printed
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(e.into());
        }
        rec.timestamp = Some(started);
        rec.duration = Some((Timestamp::now().0 - started.0) as f64);
        rec.cache_hit = true;
        rec.result = SkillResult::Success;
        meta.insert("exitCode".into(), Value::from(0));
        meta.insert("cachedAt".into(), Value::String(hit.saved_at.to_string()));
        // The command did not run: what this invocation cost is this process's own use.
        resources(&mut meta, crate::runner::own_usage());
        rec.metadata = Some(Value::Object(meta));
        let written = writer.append(rec)?;
        print_written(settings, &[written])?;
        return Ok(0);
    }
    let outcome = if ttl.is_some() {
        let mut kept: Vec<u8> = Vec::new();
        let mut out = std::io::stdout();
        let mut passing = true;
        let mut on_stdout = |bytes: &[u8]| {
            if passing && out.write_all(bytes).and_then(|()| out.flush()).is_err() {
                passing = false;
            }
            if kept.len() <= log::MAX_OUTPUT_BYTES {
                kept.extend_from_slice(bytes);
            }
        };
        let outcome = crate::runner::Runner::new().run_piped(program, rest, &mut on_stdout);
        if outcome.success() {
            let saved =
                log::cache_save(root, &args.skill, rec.params.as_ref(), &kept, settings.now)?;
            if !saved {
                meta.insert(
                    "cacheSkipped".into(),
                    Value::String("output over 1 MiB".into()),
                );
            }
        }
        outcome
    } else {
        crate::runner::run_measured(program, rest)
    };
    rec.timestamp = Some(started);
    rec.duration = Some(outcome.duration_ms);
    rec.result = if outcome.success() {
        SkillResult::Success
    } else {
        SkillResult::Failure
    };
    rec.error = outcome.error_message().map_or(Value::Null, Value::String);
    meta.insert("exitCode".into(), Value::from(outcome.code));
    if let Some(u) = outcome.usage {
        resources(&mut meta, u);
    }
    rec.metadata = Some(Value::Object(meta));
    let written = writer.append(rec)?;
    print_written(settings, &[written])?;
    Ok(u8::try_from(outcome.code.clamp(0, 255)).unwrap_or(1))
}

fn filter(settings: &Settings, f: FilterArgs) -> Result<Filter> {
    let grep = f
        .grep
        .as_deref()
        .map(|g| regex::Regex::new(g).map_err(|e| Error::invalid("--grep", e.to_string())))
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

fn exec_query(settings: &Settings, args: QueryArgs) -> Result<u8> {
    let filter = filter(settings, args.filter)?;
    let mut out = output::stdout();
    let skipped = if args.count {
        let (n, skipped) = log::count(&settings.roots, &filter)?;
        if settings.style.json {
            output::write_json(&mut out, &serde_json::json!({ "count": n }))?;
        } else {
            writeln!(out, "{n}")?;
        }
        skipped
    } else {
        let (lines, skipped) = log::query(&settings.roots, &filter, args.limit)?;
        let redactor = settings.redactor()?;
        if settings.style.json {
            for found in &lines {
                writeln!(out, "{}", log::render_record_line(&found.bytes, &redactor))?;
            }
        } else if lines.is_empty() {
            writeln!(out, "no skill invocations match")?;
        } else {
            log::render_table(&mut out, &lines, settings.style, &redactor)?;
        }
        skipped
    };
    out.flush()?;
    Ok(settings.finish(&skipped))
}

fn exec_stats(settings: &Settings, args: StatsArgs) -> Result<u8> {
    let by = match args.by {
        None | Some(ByArg::Skill) => GroupBy::Skill,
        Some(ByArg::Agent) => GroupBy::Agent,
        Some(ByArg::Cuj) => GroupBy::Cuj,
        Some(ByArg::Result) => GroupBy::Result,
        Some(ByArg::Day) => GroupBy::Day,
    };
    let filter = filter(settings, args.filter)?;
    let (rows, skipped) = log::stats(&settings.roots, &filter, by, settings.style.utc)?;
    let mut out = output::stdout();
    if settings.style.json {
        output::write_json(&mut out, &rows)?;
    } else if rows.is_empty() {
        writeln!(out, "no skill invocations match")?;
    } else {
        log::render_stats(&mut out, &rows, by, settings.style)?;
    }
    out.flush()?;
    Ok(settings.finish(&skipped))
}

fn exec_tail(settings: &Settings, args: TailArgs) -> Result<u8> {
    let filter = filter(settings, args.filter)?;
    let redactor = settings.redactor()?;
    // Watch before reading, so nothing appended in between is missed.
    let mut follower = if args.follow {
        Some(Follower::start(&settings.roots, Stream::SkillInvocations)?)
    } else {
        None
    };
    let (mut lines, skipped) = if args.lines == 0 {
        (Vec::new(), Default::default())
    } else {
        log::query(&settings.roots, &filter, args.lines)?
    };
    lines.reverse();
    let mut out = output::stdout();
    let print = |out: &mut dyn Write, bytes: &[u8]| -> std::io::Result<()> {
        if settings.style.json {
            writeln!(out, "{}", log::render_record_line(bytes, &redactor))
        } else {
            writeln!(
                out,
                "{}",
                log::render_line(bytes, settings.style, &redactor)
            )
        }
    };
    for found in &lines {
        print(&mut out, &found.bytes)?;
    }
    out.flush()?;
    let code = settings.finish(&skipped);
    let Some(follower) = follower.as_mut() else {
        return Ok(code);
    };
    let matches = log::line_matcher(&filter);
    loop {
        for new in follower.next_lines(None)? {
            match matches(&new.bytes) {
                Ok(true) => print(&mut out, &new.bytes)?,
                Ok(false) => {}
                Err(_) if !settings.quiet => {
                    eprintln!("warning: skipped a malformed line in {}", new.file)
                }
                Err(_) => {}
            }
        }
        out.flush()?;
    }
}

fn exec_sanitize(settings: &Settings) -> Result<u8> {
    let redactor = settings.redactor()?;
    let mut out = output::stdout();
    let report = log::sanitize(&mut std::io::stdin().lock(), &mut out, &redactor)?;
    if let Some(warning) = report.warning()
        && !settings.quiet
    {
        eprintln!("{warning}");
    }
    Ok(if settings.strict && report.not_json > 0 {
        1
    } else {
        0
    })
}
