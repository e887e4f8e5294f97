//! `cc-metrics`: flags and subcommands, and `exec`, which turns them into library calls.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use serde_json::Value;

use super::{
    CommonArgs, RollupArgs, RollupPruneArgs, Settings, exec_prune, exec_rollup, print_completions,
    print_man,
};
use crate::error::{Error, Exit, Result};
use crate::metrics::{self, QualityFilter};
use crate::output;
use crate::record::{JourneyExecution, JourneySource};
use crate::store::Stream;
use crate::timespec;

const EXAMPLES: &str = "\
Examples:
  cc-metrics record CUJ-005 true 1234 --quality correctness=90,codeStyle=85
  cc-metrics run CUJ-005 --workflow nightly -- ./scripts/review.sh
  cc-metrics rate CUJ-005 7d
  cc-metrics all
  cc-metrics trending CUJ-005 24 1h
  cc-metrics failures CUJ-005 --top 5
  cc-metrics percentiles CUJ-005 30d
  cc-metrics quality --workflow review-and-fix 7 1d

WINDOW and BUCKET are DURATIONs: 500ms, 90s, 15m, 24h, 7d, 2w, 1h30m, or bare milliseconds
(86400000).";

/// cc-metrics: how often each critical user journey (CUJ) succeeds, how fast it is, is
/// it getting better or worse, and why it fails.
///
/// Executions go to ROOT/analytics/cuj-metrics-YYYY-MM-DD.jsonl (one JSON object per
/// line, UTC day of the record), redacted before they reach disk. Windows end now.
#[derive(Debug, Parser)]
#[command(name = "cc-metrics", version, after_help = super::with_environment(EXAMPLES))]
pub struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Record one journey execution.
    Record(Box<RecordArgs>),
    /// Run a command as a journey: progress events, resource accounting, the record;
    /// exits with the command's code.
    Run(RunArgs),
    /// Success rate of one journey over a window [default: 24h].
    Rate(CujWindowArgs),
    /// Every journey: counts, success rate, p50/p95/p99, last run and failure; without
    /// WINDOW, success rates over 1h, 24h, 7d and 30d side by side.
    All(WindowArgs),
    /// Success rate and latency per time bucket [default: 24 buckets of 1h].
    Trending(TrendingArgs),
    /// Failures grouped by normalized error pattern [default window: 7d].
    Failures(FailuresArgs),
    /// Duration percentiles of one journey [default window: 24h].
    Percentiles(CujWindowArgs),
    /// Per workflow: runs, success rate, iterations, durations, quality [default: 7d].
    Workflows(WindowArgs),
    /// Quality scores per time bucket, and the share meeting the threshold.
    Quality(QualityArgs),
    /// Delete (or gzip) daily files wholly older than a cutoff.
    Prune(RollupPruneArgs),
    /// Summarize sealed days (before today, UTC) so reports over them read kilobytes, not
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SourceArg {
    Workflow,
    Sprint,
    Sandbox,
    #[value(name = "merge_agent", alias = "merge-agent")]
    MergeAgent,
    Cli,
}

impl From<SourceArg> for JourneySource {
    fn from(s: SourceArg) -> Self {
        match s {
            SourceArg::Workflow => JourneySource::Workflow,
            SourceArg::Sprint => JourneySource::Sprint,
            SourceArg::Sandbox => JourneySource::Sandbox,
            SourceArg::MergeAgent => JourneySource::MergeAgent,
            SourceArg::Cli => JourneySource::Cli,
        }
    }
}

#[derive(Debug, Args)]
struct RecordArgs {
    /// The journey, e.g. CUJ-005.
    #[arg(value_name = "CUJ")]
    cuj: String,
    /// Whether it succeeded: true/false, 1/0, ok/fail.
    #[arg(value_name = "SUCCESS", allow_hyphen_values = true)]
    success: String,
    /// How long it took: milliseconds, or a DURATION such as 1.5s.
    #[arg(value_name = "DURATION", allow_hyphen_values = true)]
    duration: String,
    /// The error message.
    #[arg(long, value_name = "MSG")]
    error: Option<String>,
    /// The workflow that ran it.
    #[arg(long, value_name = "W")]
    workflow: Option<String>,
    /// The run it belongs to.
    #[arg(long = "run-id", visible_alias = "runId", value_name = "R")]
    run_id: Option<String>,
    /// What started it.
    #[arg(long, value_enum, value_name = "S")]
    source: Option<SourceArg>,
    /// How many iterations it took.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    iterations: Option<u32>,
    /// An agent involved (repeatable).
    #[arg(long = "agent", value_name = "A")]
    agents: Vec<String>,
    /// A warning raised (repeatable).
    #[arg(long = "warning", value_name = "W")]
    warnings: Vec<String>,
    /// Quality scores 0–100: correctness, typeSafety, codeStyle, testCoverage,
    /// completeness. The composite and threshold result are computed.
    #[arg(long, value_name = "K=V,...")]
    quality: Option<String>,
    /// Weights of the dimensions for the composite [default: ccmon.json, else equal].
    #[arg(long, value_name = "K=V,...", requires = "quality")]
    weights: Option<String>,
    /// The composite a run must reach [default: ccmon.json, else 80].
    #[arg(
        long,
        value_name = "N",
        requires = "quality",
        allow_hyphen_values = true
    )]
    threshold: Option<f64>,
    /// Free-form details, as JSON.
    #[arg(long, value_name = "JSON")]
    metadata: Option<String>,
    /// When it happened: RFC 3339, YYYY-MM-DD, or a DURATION ago [default: now].
    #[arg(long, value_name = "TIME")]
    timestamp: Option<String>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The journey, e.g. CUJ-005.
    #[arg(value_name = "CUJ")]
    cuj: String,
    /// The workflow this run belongs to.
    #[arg(long, value_name = "W")]
    workflow: Option<String>,
    /// The run id for the progress events and the record [default: a new run-ULID].
    #[arg(long = "run-id", visible_alias = "runId", value_name = "R")]
    run_id: Option<String>,
    /// What started it.
    #[arg(long, value_enum, value_name = "S", default_value = "cli")]
    source: SourceArg,
    /// The command to run, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

#[derive(Debug, Args)]
struct CujWindowArgs {
    /// The journey.
    #[arg(value_name = "CUJ")]
    cuj: String,
    /// How far back to look (DURATION or milliseconds).
    #[arg(value_name = "WINDOW", allow_hyphen_values = true)]
    window: Option<String>,
}

#[derive(Debug, Args)]
struct WindowArgs {
    /// How far back to look (DURATION or milliseconds).
    #[arg(value_name = "WINDOW", allow_hyphen_values = true)]
    window: Option<String>,
}

#[derive(Debug, Args)]
struct TrendingArgs {
    /// The journey.
    #[arg(value_name = "CUJ")]
    cuj: String,
    /// How many buckets [default: 24].
    #[arg(value_name = "BUCKETS", allow_hyphen_values = true)]
    buckets: Option<String>,
    /// Each bucket's length (DURATION or milliseconds) [default: 1h].
    #[arg(value_name = "BUCKET", allow_hyphen_values = true)]
    bucket: Option<String>,
}

#[derive(Debug, Args)]
struct FailuresArgs {
    /// The journey (with --all: nothing, or the WINDOW).
    #[arg(value_name = "CUJ", required_unless_present = "all")]
    cuj: Option<String>,
    /// How far back to look (DURATION or milliseconds).
    #[arg(value_name = "WINDOW", allow_hyphen_values = true)]
    window: Option<String>,
    /// Every source instead of one journey: journey failures, failed progress runs
    /// (once each: a run with a journey record is that execution) and provider errors.
    #[arg(long)]
    all: bool,
    /// Show this many patterns (0 for all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
}

#[derive(Debug, Args)]
struct QualityArgs {
    /// Only this workflow.
    #[arg(long, value_name = "W")]
    workflow: Option<String>,
    /// Only this journey.
    #[arg(long = "cuj", visible_alias = "cuj-id", value_name = "C")]
    cuj: Option<String>,
    /// How many buckets [default: 24].
    #[arg(value_name = "BUCKETS", allow_hyphen_values = true)]
    buckets: Option<String>,
    /// Each bucket's length (DURATION or milliseconds) [default: 1h].
    #[arg(value_name = "BUCKET", allow_hyphen_values = true)]
    bucket: Option<String>,
}

/// Runs a parsed `cc-metrics` command line; returns the exit code.
pub fn exec(cli: Cli) -> Result<Exit> {
    let settings = Settings::from_args(&cli.common)?;
    if !matches!(
        cli.command,
        Command::Record(_) | Command::Run(_) | Command::Completions { .. } | Command::Man
    ) {
        settings.require_roots()?;
    }
    match cli.command {
        Command::Record(args) => exec_record(&settings, *args),
        Command::Run(args) => exec_run(&settings, args),
        Command::Rate(args) => exec_rate(&settings, args),
        Command::All(args) => exec_all(&settings, args),
        Command::Trending(args) => exec_trending(&settings, args),
        Command::Failures(args) => exec_failures(&settings, args),
        Command::Percentiles(args) => exec_percentiles(&settings, args),
        Command::Workflows(args) => exec_workflows(&settings, args),
        Command::Quality(args) => exec_quality(&settings, args),
        Command::Prune(args) => exec_prune(
            &settings,
            Stream::CujMetrics,
            &args.prune,
            args.keep_rollups,
        ),
        Command::Rollup(args) => exec_rollup(&settings, Stream::CujMetrics, &args),
        Command::Completions { shell } => {
            print_completions(shell, &mut super::examples::add_to(Cli::command()))
                .map(|()| Exit::Success)
        }
        Command::Man => print_man(super::examples::add_to(Cli::command())).map(|()| Exit::Success),
    }
}

/// Milliseconds of a WINDOW or BUCKET argument; must be positive.
fn positive_ms(value: Option<&str>, default_ms: i64, field: &str) -> Result<i64> {
    let Some(value) = value else {
        return Ok(default_ms);
    };
    let ms = timespec::parse_duration_ms(value, field)?;
    if ms < 1.0 {
        return Err(Error::invalid(
            field,
            "got a DURATION under 1ms; expected at least 1ms",
        ));
    }
    Ok(ms.min(i64::MAX as f64) as i64)
}

/// Most buckets a report may ask for.
const MAX_BUCKETS: usize = 10_000;

fn bucket_count(value: Option<&str>) -> Result<usize> {
    let Some(value) = value else { return Ok(24) };
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_BUCKETS).contains(&n) => Ok(n),
        _ => Err(Error::invalid(
            "BUCKETS",
            format!(
                "got {}; expected a whole number from 1 to {MAX_BUCKETS}",
                crate::error::value_kind(value)
            ),
        )),
    }
}

fn check_cuj(cuj: &str) -> Result<()> {
    if cuj.trim().is_empty() {
        return Err(Error::invalid("CUJ", "must not be empty"));
    }
    Ok(())
}

use crate::time::HOUR_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

fn exec_record(settings: &Settings, args: RecordArgs) -> Result<Exit> {
    let writer = settings.writer()?;
    check_cuj(&args.cuj)?;
    let success = metrics::parse_success(&args.success, "SUCCESS")?;
    let duration = timespec::parse_duration_ms(&args.duration, "DURATION")?;
    let mut rec = JourneyExecution::new(args.cuj, success, duration);
    rec.timestamp = settings.time(args.timestamp.as_deref(), "--timestamp")?;
    rec.error = args.error.map_or(Value::Null, Value::String);
    rec.workflow = args.workflow;
    rec.run_id = args.run_id;
    rec.source = args.source.map(JourneySource::from);
    rec.iterations = args.iterations;
    rec.agents = (!args.agents.is_empty()).then_some(args.agents);
    rec.warnings = (!args.warnings.is_empty()).then_some(args.warnings);
    if let Some(q) = &args.quality {
        let scores = metrics::parse_scores(q, "--quality")?;
        let mut weights = settings.config.quality.weights.clone();
        if let Some(w) = &args.weights {
            for (name, weight) in metrics::parse_scores(w, "--weights")? {
                weights.insert(name.to_string(), weight);
            }
        }
        let threshold = args.threshold.unwrap_or(settings.config.quality.threshold);
        rec.quality = Some(metrics::score_quality(&scores, &weights, threshold)?);
    }
    rec.metadata = args
        .metadata
        .as_deref()
        .map(|m| {
            serde_json::from_str::<Value>(m)
                .map_err(|e| Error::invalid("--metadata", format!("not valid JSON: {e}")))
        })
        .transpose()?;
    let written = writer.append(rec)?;
    settings.emit(&output::Written(vec![written]))?;
    Ok(Exit::Success)
}

fn exec_run(settings: &Settings, args: RunArgs) -> Result<Exit> {
    // Check everything before running anything: bad flags must not run the command.
    let writer = settings.writer()?;
    check_cuj(&args.cuj)?;
    if args.run_id.as_deref().is_some_and(|r| r.trim().is_empty()) {
        return Err(Error::invalid("--run-id", "must not be empty"));
    }
    let run = metrics::JourneyRun {
        cuj_id: args.cuj,
        workflow: args.workflow,
        run_id: args.run_id,
        source: args.source.into(),
        command: args.command,
    };
    let report = metrics::run_journey(&settings.roots, &writer, run)?;
    let child = Exit::Child(report.outcome.code);
    // The command has run: from here on, failing to record is reported, and the
    // command's exit code still passes through.
    if let Err(e) = &report.recording {
        let message = e.to_string();
        crate::error::warn(format_args!(
            "cc-metrics: error: the run was not fully recorded: {}",
            crate::redact::shared().redact_str(&message)
        ));
        return Ok(if child == Exit::Child(0) {
            Exit::Failure
        } else {
            child
        });
    }
    if !settings.quiet {
        crate::error::warn(format_args!("{}", report.summary()));
    }
    Ok(child)
}

fn exec_rate(settings: &Settings, args: CujWindowArgs) -> Result<Exit> {
    check_cuj(&args.cuj)?;
    let window = positive_ms(args.window.as_deref(), DAY_MS, "WINDOW")?;
    let (report, skipped) = metrics::rate_report(&settings.roots, &args.cuj, window, settings.now)?;
    settings.emit(&report)?;
    Ok(settings.finish(&skipped))
}

fn exec_all(settings: &Settings, args: WindowArgs) -> Result<Exit> {
    let skipped = match args.window.as_deref() {
        Some(w) => {
            let window = positive_ms(Some(w), DAY_MS, "WINDOW")?;
            let (rows, skipped) = metrics::all_report(&settings.roots, window, settings.now)?;
            settings.emit(&metrics::AllReport {
                window_ms: window,
                rows,
            })?;
            skipped
        }
        None => {
            let (rows, skipped) = metrics::all_windows_report(&settings.roots, settings.now)?;
            settings.emit(&metrics::AllWindowsReport { rows })?;
            skipped
        }
    };
    Ok(settings.finish(&skipped))
}

fn exec_trending(settings: &Settings, args: TrendingArgs) -> Result<Exit> {
    check_cuj(&args.cuj)?;
    let count = bucket_count(args.buckets.as_deref())?;
    let size = positive_ms(args.bucket.as_deref(), HOUR_MS, "BUCKET")?;
    let (report, skipped) =
        metrics::trend_report(&settings.roots, &args.cuj, count, size, settings.now)?;
    settings.emit(&report)?;
    Ok(settings.finish(&skipped))
}

fn exec_failures(settings: &Settings, args: FailuresArgs) -> Result<Exit> {
    let redactor = settings.redactor()?;
    let (report, skipped) = if args.all {
        // `failures --all 7d`: the one positional is the window.
        let window_text = match (&args.cuj, &args.window) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "CUJ",
                    "--all covers every journey; give only a WINDOW",
                ));
            }
            (w, None) | (None, w) => w.as_deref(),
        };
        let window = positive_ms(window_text, 7 * DAY_MS, "WINDOW")?;
        metrics::failures_everywhere(&settings.roots, window, args.top, settings.now, &redactor)?
    } else {
        let cuj = args.cuj.as_deref().unwrap_or_default();
        check_cuj(cuj)?;
        let window = positive_ms(args.window.as_deref(), 7 * DAY_MS, "WINDOW")?;
        metrics::failure_report(
            &settings.roots,
            cuj,
            window,
            args.top,
            settings.now,
            &redactor,
        )?
    };
    settings.emit(&report)?;
    Ok(settings.finish(&skipped))
}

fn exec_percentiles(settings: &Settings, args: CujWindowArgs) -> Result<Exit> {
    check_cuj(&args.cuj)?;
    let window = positive_ms(args.window.as_deref(), DAY_MS, "WINDOW")?;
    let (report, skipped) =
        metrics::percentile_report(&settings.roots, &args.cuj, window, settings.now)?;
    settings.emit(&report)?;
    Ok(settings.finish(&skipped))
}

fn exec_workflows(settings: &Settings, args: WindowArgs) -> Result<Exit> {
    let window = positive_ms(args.window.as_deref(), 7 * DAY_MS, "WINDOW")?;
    let (rows, skipped) = metrics::workflow_report(
        &settings.roots,
        window,
        settings.now,
        &settings.config.quality,
    )?;
    settings.emit(&metrics::WorkflowsReport {
        window_ms: window,
        rows,
    })?;
    Ok(settings.finish(&skipped))
}

fn exec_quality(settings: &Settings, args: QualityArgs) -> Result<Exit> {
    let count = bucket_count(args.buckets.as_deref())?;
    let size = positive_ms(args.bucket.as_deref(), HOUR_MS, "BUCKET")?;
    let filter = QualityFilter {
        workflow: args.workflow,
        cuj_id: args.cuj,
    };
    let (report, skipped) = metrics::quality_report(
        &settings.roots,
        &filter,
        count,
        size,
        settings.now,
        &settings.config.quality,
    )?;
    settings.emit(&report)?;
    Ok(settings.finish(&skipped))
}
