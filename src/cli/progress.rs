//! `cc-progress`: flags and subcommands, and `exec`, which turns them into library calls.

use std::io::IsTerminal;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use serde_json::Value;

use super::{CommonArgs, PruneArgs, Settings, exec_prune, print_completions, print_man};
use crate::error::{Error, Exit, Result};
use crate::health::PriceTable;
use crate::progress::chain::RunQuery;
use crate::progress::stream::StreamOptions;
use crate::progress::watch::{Display, WatchOptions, watch};
use crate::progress::{self, RunState, render, tracker};
use crate::record::{CiCheck, CiStatus, OutputStream, PrStatus, ProgressEvent, RunStatus};
use crate::store::Stream;
use crate::timespec;
use crate::{metrics, output};

const EXAMPLES: &str = "\
Examples:
  cc-progress start run-001 --steps 4 --name \"Review PR 12\"
  cc-progress step run-001 \"Analyzing code\" --role designer --model claude-opus-4-6
  cc-progress complete-step run-001
  cc-progress complete run-001 \"Review posted\" --pr-url https://github.com/o/r/pull/12 --pr-status created
  cc-progress watch                     # live bars for every active run
  cc-progress wait run-001 --timeout 30m && echo done
  cc-progress runs --status failed
  cc-progress show run-001
  cc-progress chain chain-7
  cc-progress runs --workflow review-and-fix --stale-after 30m
  cc-progress stream run-002 -- claude -p \"fix the test\" --output-format stream-json --verbose
  cc-progress watch run-002 --output";

/// cc-progress: the progress of agent runs — emit events, track steps across
/// processes, watch them live, and look back at runs and sprint chains.
///
/// Events go to ROOT/analytics/progress-YYYY-MM-DD.jsonl; the notifications they cause
/// (run completed or failed, PR created, sprint chain ended) to
/// ROOT/analytics/notifications-YYYY-MM-DD.jsonl.
#[derive(Debug, Parser)]
#[command(name = "cc-progress", version, after_help = super::with_environment(EXAMPLES))]
pub struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Append one event with any fields.
    Emit(Box<EmitArgs>),
    /// Start a run: running, step 0 of N, 0%.
    Start(Box<StartArgs>),
    /// Begin the run's next step (running).
    Step(Box<StepArgs>),
    /// Complete a running step (--step N, default the oldest running one); the
    /// percentage counts it.
    CompleteStep(Box<CompleteStepArgs>),
    /// Complete the run (100%).
    Complete(Box<MessageArgs>),
    /// Fail the run with an error message.
    Fail(Box<StepArgs>),
    /// Cancel the run.
    Cancel(Box<MessageArgs>),
    /// Append agent output (redacted, colour codes stripped) to a run: TEXT, or each
    /// line of standard input with `-`.
    Output(OutputArgs),
    /// Run an agent CLI printing JSON events (claude -p --output-format stream-json,
    /// codex exec --json): its output passes through unchanged; messages become output
    /// chunks, tool calls skill invocations, usage provider calls.
    Stream(StreamArgs),
    /// Show recent events, then follow new ones live.
    Watch(WatchArgs),
    /// Wait silently for a run to end: exit 0 completed, 1 failed or cancelled, 124 on
    /// timeout.
    Wait(WaitArgs),
    /// A run's events, oldest first [default: the last 50].
    History(HistoryArgs),
    /// A run's current state.
    Current(RunArg),
    /// Runs, newest first.
    Runs(RunsArgs),
    /// A run in detail: step timeline, quality, CI checks, PR, errors.
    Show(RunArg),
    /// A sprint chain: which sprints completed, their runs, times, earlier attempts
    /// and PRs, and on a failed chain the sprint to resume from.
    Chain(ChainArgs),
    /// Sprint chains, the most recently active first.
    Chains(ChainsArgs),
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StatusArg {
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl From<StatusArg> for RunStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Pending => RunStatus::Pending,
            StatusArg::Running => RunStatus::Running,
            StatusArg::Completed => RunStatus::Completed,
            StatusArg::Failed => RunStatus::Failed,
            StatusArg::Cancelled => RunStatus::Cancelled,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum VerdictArg {
    Pass,
    Fail,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PrStatusArg {
    None,
    Created,
    Merged,
    Failed,
    #[value(name = "blocked_on_ci", alias = "blocked-on-ci")]
    BlockedOnCi,
}

impl From<PrStatusArg> for PrStatus {
    fn from(s: PrStatusArg) -> Self {
        match s {
            PrStatusArg::None => PrStatus::None,
            PrStatusArg::Created => PrStatus::Created,
            PrStatusArg::Merged => PrStatus::Merged,
            PrStatusArg::Failed => PrStatus::Failed,
            PrStatusArg::BlockedOnCi => PrStatus::BlockedOnCi,
        }
    }
}

/// Descriptive fields any event may carry.
#[derive(Debug, Args)]
struct EventFields {
    /// The run's name.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// What started the run (sprint, workflow, cli, ...).
    #[arg(long, value_name = "S")]
    source: Option<String>,
    /// The role working on the step (designer, checker, ...).
    #[arg(long, value_name = "R")]
    role: Option<String>,
    /// The tool doing the work.
    #[arg(long, value_name = "T")]
    tool: Option<String>,
    /// The model.
    #[arg(long, value_name = "M")]
    model: Option<String>,
    /// Which attempt at the step (from 1).
    #[arg(long, value_name = "N")]
    iteration: Option<u64>,
    /// The sprint chain the run belongs to.
    #[arg(long = "chain", visible_alias = "chain-id", value_name = "C")]
    chain: Option<String>,
    /// The run's place in its chain: INDEX/TOTAL, e.g. 2/5.
    #[arg(long, value_name = "I/T")]
    sprint: Option<String>,
    /// The run's pull request.
    #[arg(long, value_name = "URL")]
    pr_url: Option<String>,
    /// The pull request's state.
    #[arg(long, value_enum, value_name = "S")]
    pr_status: Option<PrStatusArg>,
    /// Overall CI status (passing, failing, pending).
    #[arg(long, value_name = "S")]
    ci_status: Option<String>,
    /// A CI check: NAME=STATUS[=URL] (repeatable).
    #[arg(long = "ci-check", value_name = "NAME=STATUS[=URL]")]
    ci_checks: Vec<String>,
    /// When CI was last checked [default: the event's time, when a CI flag is given].
    #[arg(long, value_name = "TIME")]
    ci_checked_at: Option<String>,
    /// An evaluator's scores for the step: k=v,... (correctness, typeSafety, codeStyle,
    /// testCoverage, completeness) or a JSON object; the composite and threshold result
    /// are computed with the configured weights.
    #[arg(long, value_name = "K=V,...|JSON")]
    quality: Option<String>,
    /// A checker's verdict on the step.
    #[arg(long, value_enum, value_name = "V")]
    verdict: Option<VerdictArg>,
    /// The workflow the run executes.
    #[arg(long, value_name = "W")]
    workflow: Option<String>,
    /// The id of the job that triggered the run.
    #[arg(long, value_name = "ID")]
    trigger_run_id: Option<String>,
    /// The prompt the run was given (the run list's preview).
    #[arg(long, value_name = "TEXT")]
    prompt: Option<String>,
    /// The sandbox the run works in.
    #[arg(long = "sandbox", visible_alias = "sandbox-id", value_name = "ID")]
    sandbox: Option<String>,
    /// The run's configuration, as a JSON object.
    #[arg(long, value_name = "JSON")]
    config: Option<String>,
    /// Why the pull request could not be created or merged.
    #[arg(long, value_name = "MSG")]
    pr_error: Option<String>,
    /// When it happened: RFC 3339, YYYY-MM-DD, or a DURATION ago [default: now].
    #[arg(long, value_name = "TIME")]
    timestamp: Option<String>,
}

#[derive(Debug, Args)]
struct EmitArgs {
    /// The run.
    #[arg(value_name = "RUN")]
    run: String,
    /// The step (0 is the start).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    step: Option<String>,
    /// pending, running, completed, failed or cancelled.
    #[arg(long, value_enum, value_name = "S")]
    status: StatusArg,
    /// 0–100.
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    percentage: Option<f64>,
    /// What is happening.
    #[arg(long, value_name = "M")]
    message: Option<String>,
    /// How many steps the run has.
    #[arg(long, value_name = "N")]
    total_steps: Option<u64>,
    /// The error message.
    #[arg(long, value_name = "MSG")]
    error: Option<String>,
    #[command(flatten)]
    fields: EventFields,
}

#[derive(Debug, Args)]
struct StartArgs {
    /// The run.
    #[arg(value_name = "RUN")]
    run: String,
    /// How many steps the run has.
    #[arg(long, value_name = "N")]
    steps: u64,
    /// What is happening.
    #[arg(long, value_name = "M")]
    message: Option<String>,
    #[command(flatten)]
    fields: EventFields,
}

#[derive(Debug, Args)]
struct StepArgs {
    /// The run.
    #[arg(value_name = "RUN")]
    run: String,
    /// What the step does (for `fail`: the error).
    #[arg(value_name = "MSG")]
    message: String,
    #[command(flatten)]
    fields: EventFields,
}

#[derive(Debug, Args)]
struct MessageArgs {
    /// The run.
    #[arg(value_name = "RUN")]
    run: String,
    /// A closing message.
    #[arg(value_name = "MSG")]
    message: Option<String>,
    #[command(flatten)]
    fields: EventFields,
}

#[derive(Debug, Args)]
struct CompleteStepArgs {
    /// The run.
    #[arg(value_name = "RUN")]
    run: String,
    /// A closing message.
    #[arg(value_name = "MSG")]
    message: Option<String>,
    /// The step to complete [default: the oldest running step].
    #[arg(long, value_name = "N")]
    step: Option<u64>,
    #[command(flatten)]
    fields: EventFields,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputStreamArg {
    Assistant,
    Tool,
    User,
    Stdout,
    Stderr,
}

impl From<OutputStreamArg> for OutputStream {
    fn from(s: OutputStreamArg) -> Self {
        match s {
            OutputStreamArg::Assistant => OutputStream::Assistant,
            OutputStreamArg::Tool => OutputStream::Tool,
            OutputStreamArg::User => OutputStream::User,
            OutputStreamArg::Stdout => OutputStream::Stdout,
            OutputStreamArg::Stderr => OutputStream::Stderr,
        }
    }
}

#[derive(Debug, Args)]
struct OutputArgs {
    /// The run.
    #[arg(value_name = "RUN")]
    run: String,
    /// Which stream the text belongs to.
    #[arg(long, value_enum, value_name = "S", default_value = "stdout")]
    stream: OutputStreamArg,
    /// The text, or `-` for standard input (one chunk per line, appended as it comes).
    #[arg(value_name = "TEXT|-", allow_hyphen_values = true)]
    text: String,
}

#[derive(Debug, Args)]
struct StreamArgs {
    /// The run the agent's output belongs to (started when it has no events yet).
    #[arg(value_name = "RUN")]
    run: String,
    /// The run's name, when it is started here.
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The model, for agents whose events do not name it (codex exec --json).
    #[arg(long, value_name = "M")]
    model: Option<String>,
    /// The agent command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

#[derive(Debug, Args)]
struct WatchArgs {
    /// Only this run.
    #[arg(value_name = "RUN")]
    run: Option<String>,
    /// Show agent output chunks too (the streaming terminal).
    #[arg(long)]
    output: bool,
    /// First show the events since this TIME (instead of the last N).
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// How many recent events to show first.
    #[arg(short = 'n', long = "lines", value_name = "N", default_value_t = 10)]
    lines: usize,
    /// With RUN: exit when it ends (0 completed, 1 failed or cancelled).
    #[arg(long, requires = "run")]
    until_done: bool,
}

#[derive(Debug, Args)]
struct WaitArgs {
    /// The run.
    #[arg(value_name = "RUN")]
    run: String,
    /// Give up after this DURATION (exit 124).
    #[arg(long, value_name = "DUR", allow_hyphen_values = true)]
    timeout: Option<String>,
}

#[derive(Debug, Args)]
struct HistoryArgs {
    /// The run.
    #[arg(value_name = "RUN")]
    run: String,
    /// How many of the last events (0 for all).
    #[arg(value_name = "LIMIT", default_value_t = 50)]
    limit: usize,
    /// Show agent output chunks too.
    #[arg(long)]
    output: bool,
}

#[derive(Debug, Args)]
struct RunArg {
    /// The run.
    #[arg(value_name = "RUN")]
    run: String,
}

#[derive(Debug, Args)]
struct RunsArgs {
    /// Only runs in this status.
    #[arg(long, value_enum, value_name = "S")]
    status: Option<StatusArg>,
    /// Only runs from this source.
    #[arg(long, value_name = "S")]
    source: Option<String>,
    /// Only runs of this workflow.
    #[arg(long, value_name = "W")]
    workflow: Option<String>,
    /// Show a running run with no event for longer than this DURATION as stale.
    #[arg(long, value_name = "DUR", default_value = "1h")]
    stale_after: String,
    /// Runs per page (0 for all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    limit: usize,
    /// Which page, from 1.
    #[arg(long, value_name = "K", default_value_t = 1)]
    page: usize,
    /// Only runs with events since this TIME.
    #[arg(long, value_name = "T")]
    since: Option<String>,
}

#[derive(Debug, Args)]
struct ChainsArgs {
    /// Only chains with runs active since this TIME.
    #[arg(long, value_name = "T")]
    since: Option<String>,
}

#[derive(Debug, Args)]
struct ChainArgs {
    /// The chain.
    #[arg(value_name = "CHAIN")]
    chain: String,
}

/// Runs a parsed `cc-progress` command line; returns the exit code.
pub fn exec(cli: Cli) -> Result<Exit> {
    let settings = Settings::from_args(&cli.common)?;
    if matches!(
        cli.command,
        Command::Watch(_)
            | Command::Wait(_)
            | Command::History(_)
            | Command::Current(_)
            | Command::Show(_)
            | Command::Runs(_)
            | Command::Chain(_)
            | Command::Prune(_)
    ) {
        settings.require_roots()?;
    }
    match cli.command {
        Command::Emit(args) => exec_emit(&settings, *args),
        Command::Start(args) => {
            let StartArgs {
                run,
                steps,
                message,
                fields,
            } = *args;
            write_tracked(&settings, &run, message, None, &fields, |state, t| {
                tracker::start(state, t, steps)
            })
        }
        Command::Step(args) => {
            let StepArgs {
                run,
                message,
                fields,
            } = *args;
            write_tracked(&settings, &run, Some(message), None, &fields, tracker::step)
        }
        Command::CompleteStep(args) => {
            let step = args.step;
            write_tracked(
                &settings,
                &args.run,
                args.message.clone(),
                None,
                &args.fields,
                |state, t| tracker::complete_step(state, t, step),
            )
        }
        Command::Complete(args) => write_tracked(
            &settings,
            &args.run,
            args.message.clone(),
            None,
            &args.fields,
            tracker::complete,
        ),
        Command::Fail(args) => write_tracked(
            &settings,
            &args.run,
            Some(args.message.clone()),
            Some(args.message.clone()),
            &args.fields,
            |state, t| tracker::end(state, t, RunStatus::Failed),
        ),
        Command::Cancel(args) => write_tracked(
            &settings,
            &args.run,
            args.message.clone(),
            None,
            &args.fields,
            |state, t| tracker::end(state, t, RunStatus::Cancelled),
        ),
        Command::Output(args) => exec_output(&settings, args),
        Command::Stream(args) => exec_stream(&settings, args),
        Command::Watch(args) => exec_watch(&settings, args),
        Command::Wait(args) => exec_wait(&settings, args),
        Command::History(args) => exec_history(&settings, args),
        Command::Current(args) => exec_current(&settings, args, false),
        Command::Show(args) => exec_current(&settings, args, true),
        Command::Runs(args) => exec_runs(&settings, args),
        Command::Chain(args) => exec_chain(&settings, args),
        Command::Chains(args) => {
            let since = settings.time(args.since.as_deref(), "--since")?;
            let (rows, skipped) = progress::chain::chains(&settings.roots, since, settings.now)?;
            settings.emit(&render::ChainsReport { rows })?;
            Ok(settings.finish(&skipped))
        }
        Command::Prune(args) => exec_prune(&settings, Stream::Progress, &args, false),
        Command::Completions { shell } => {
            print_completions(shell, &mut super::examples::add_to(Cli::command()))
                .map(|()| Exit::Success)
        }
        Command::Man => print_man(super::examples::add_to(Cli::command())).map(|()| Exit::Success),
    }
}

fn check_run(run: &str) -> Result<()> {
    if run.trim().is_empty() {
        return Err(Error::invalid("RUN", "must not be empty"));
    }
    Ok(())
}

/// `I/T` with 1 ≤ I ≤ T.
fn parse_sprint(text: &str) -> Result<(u64, u64)> {
    let bad = || {
        Error::invalid(
            "--sprint",
            format!(
                "got {}; expected INDEX/TOTAL with 1 ≤ INDEX ≤ TOTAL, e.g. 2/5",
                crate::error::value_kind(text)
            ),
        )
    };
    let (i, t) = text.split_once('/').ok_or_else(bad)?;
    let (i, t): (u64, u64) = (
        i.trim().parse().map_err(|_| bad())?,
        t.trim().parse().map_err(|_| bad())?,
    );
    if i == 0 || i > t {
        return Err(bad());
    }
    Ok((i, t))
}

/// `NAME=STATUS[=URL]`.
fn parse_ci_check(text: &str) -> Result<CiCheck> {
    let bad = || {
        Error::invalid(
            "--ci-check",
            format!(
                "got {}; expected NAME=STATUS[=URL], e.g. \"Unit Tests=success\"",
                crate::error::value_kind(text)
            ),
        )
    };
    let (name, rest) = text.split_once('=').ok_or_else(bad)?;
    let (status, url) = match rest.split_once('=') {
        Some((s, u)) => (s, Some(u)),
        None => (rest, None),
    };
    if name.trim().is_empty()
        || status.trim().is_empty()
        || url.is_some_and(|u| u.trim().is_empty())
    {
        return Err(bad());
    }
    Ok(CiCheck {
        name: name.trim().to_string(),
        status: status.trim().to_string(),
        url: url.map(|u| u.trim().to_string()),
    })
}

/// An event of `run` carrying the descriptive fields; status and step are the
/// caller's (or the tracker's) to set.
fn template(settings: &Settings, run: &str, fields: &EventFields) -> Result<ProgressEvent> {
    check_run(run)?;
    let mut e = ProgressEvent::new(run, RunStatus::Running);
    e.timestamp = settings.time(fields.timestamp.as_deref(), "--timestamp")?;
    e.name.clone_from(&fields.name);
    e.source.clone_from(&fields.source);
    e.role.clone_from(&fields.role);
    e.tool.clone_from(&fields.tool);
    e.model.clone_from(&fields.model);
    e.iteration = fields.iteration;
    e.chain_id.clone_from(&fields.chain);
    if let Some(s) = &fields.sprint {
        let (i, t) = parse_sprint(s)?;
        e.sprint_index = Some(i);
        e.sprint_total = Some(t);
    }
    e.pr_url.clone_from(&fields.pr_url);
    e.pr_status = fields.pr_status.map(PrStatus::from);
    if fields.ci_status.is_some() || !fields.ci_checks.is_empty() {
        let checked_at = match settings.time(fields.ci_checked_at.as_deref(), "--ci-checked-at")? {
            Some(t) => t,
            None => e.timestamp.unwrap_or(settings.now),
        };
        e.ci = Some(CiStatus {
            status: fields.ci_status.clone(),
            checks: fields
                .ci_checks
                .iter()
                .map(|c| parse_ci_check(c))
                .collect::<Result<_>>()?,
            checked_at: Some(checked_at),
        });
    } else if fields.ci_checked_at.is_some() {
        return Err(Error::invalid(
            "--ci-checked-at",
            "needs --ci-status or --ci-check",
        ));
    }
    e.quality = quality(settings, fields)?;
    e.workflow.clone_from(&fields.workflow);
    e.trigger_run_id.clone_from(&fields.trigger_run_id);
    e.prompt.clone_from(&fields.prompt);
    e.sandbox_id.clone_from(&fields.sandbox);
    e.pr_error.clone_from(&fields.pr_error);
    if let Some(c) = &fields.config {
        let v: Value = serde_json::from_str(c)
            .map_err(|e| Error::invalid("--config", format!("not valid JSON: {e}")))?;
        if !v.is_object() {
            return Err(Error::invalid("--config", "expected a JSON object"));
        }
        e.config = Some(v);
    }
    Ok(e)
}

/// `--quality` (k=v scores or a JSON object) and `--verdict` as one quality object,
/// with the composite and threshold result computed from the dimensions given.
fn quality(settings: &Settings, fields: &EventFields) -> Result<Option<Value>> {
    let mut q = match fields.quality.as_deref().map(str::trim) {
        None => serde_json::Map::new(),
        Some(text) if text.starts_with('{') => {
            let v: Value = serde_json::from_str(text)
                .map_err(|e| Error::invalid("--quality", format!("not valid JSON: {e}")))?;
            let Value::Object(map) = v else {
                return Err(Error::invalid("--quality", "expected a JSON object"));
            };
            map
        }
        Some(text) if text.contains('=') => serde_json::Map::new(),
        Some(_) => {
            return Err(Error::invalid(
                "--quality",
                "expected NAME=NUMBER[,NAME=NUMBER...] or a JSON object",
            ));
        }
    };
    let scores: Vec<(&'static str, f64)> = match fields.quality.as_deref().map(str::trim) {
        Some(text) if !text.starts_with('{') => metrics::parse_scores(text, "--quality")?,
        _ => q
            .iter()
            .filter_map(|(k, v)| Some((metrics::canonical_dimension(k)?, v.as_f64()?)))
            .collect(),
    };
    if !scores.is_empty() && !q.contains_key("composite") {
        let qc = &settings.config.quality;
        let scored = metrics::score_quality(&scores, &qc.weights, qc.threshold)?;
        let Value::Object(scored) = serde_json::to_value(&scored)
            .map_err(|e| Error::invalid("--quality", e.to_string()))?
        else {
            return Err(Error::invalid("--quality", "cannot be scored"));
        };
        q.extend(scored);
    }
    if let Some(v) = fields.verdict {
        let word = match v {
            VerdictArg::Pass => "pass",
            VerdictArg::Fail => "fail",
        };
        q.insert("verdict".into(), Value::String(word.into()));
    }
    Ok((!q.is_empty() || fields.quality.is_some()).then_some(Value::Object(q)))
}

fn print_written(settings: &Settings, written: progress::Written) -> Result<()> {
    settings.emit(&output::Written(vec![written.event]))
}

fn write_tracked(
    settings: &Settings,
    run: &str,
    message: Option<String>,
    error: Option<String>,
    fields: &EventFields,
    make: impl Fn(Option<&RunState>, ProgressEvent) -> Result<ProgressEvent>,
) -> Result<Exit> {
    let mut t = template(settings, run, fields)?;
    t.message = message;
    t.error = error.map_or(Value::Null, Value::String);
    let writer = settings.writer()?;
    let written = progress::append_event(&settings.roots, &writer, run, |state| {
        make(state, t.clone())
    })?;
    print_written(settings, written)?;
    Ok(Exit::Success)
}

fn exec_emit(settings: &Settings, args: EmitArgs) -> Result<Exit> {
    let mut e = template(settings, &args.run, &args.fields)?;
    e.status = Some(args.status.into());
    e.step = args
        .step
        .as_deref()
        .map(|s| {
            s.trim().parse::<u64>().map_err(|_| {
                Error::invalid(
                    "--step",
                    format!(
                        "got {}; expected a whole number ≥ 0",
                        crate::error::value_kind(s)
                    ),
                )
            })
        })
        .transpose()?;
    e.percentage = args.percentage;
    e.message = args.message;
    e.total_steps = args.total_steps;
    e.error = args.error.map_or(Value::Null, Value::String);
    let writer = settings.writer()?;
    // Validate before taking the lock: bad input is refused without touching a file.
    writer.prepare(e.clone(), crate::time::Timestamp::now())?;
    let written = progress::append_event(&settings.roots, &writer, &args.run, |_| Ok(e.clone()))?;
    print_written(settings, written)?;
    Ok(Exit::Success)
}

fn exec_output(settings: &Settings, args: OutputArgs) -> Result<Exit> {
    check_run(&args.run)?;
    let writer = settings.writer()?;
    let stream = OutputStream::from(args.stream);
    let print = |stored: Value| settings.emit(&output::Written(vec![stored]));
    if args.text == "-" {
        let mut input = std::io::stdin().lock();
        progress::append_output_lines(&writer, &args.run, stream, &mut input, print)?;
    } else {
        let Some(e) = progress::output_chunk(&args.run, stream, &args.text) else {
            return Err(Error::invalid("TEXT", "is empty"));
        };
        print(writer.append(e)?)?;
    }
    Ok(Exit::Success)
}

fn exec_stream(settings: &Settings, args: StreamArgs) -> Result<Exit> {
    check_run(&args.run)?;
    let Some((program, rest)) = args.command.split_first() else {
        return Err(Error::invalid("CMD", "name the agent command after --"));
    };
    let writer = settings.writer()?;
    let opts = StreamOptions {
        run: args.run,
        name: args.name,
        model: args.model,
        program: program.clone(),
        args: rest.to_vec(),
    };
    let mut out = std::io::stdout();
    let summary = progress::stream::stream(&settings.roots, &writer, &opts, &mut out)?;
    if !settings.quiet {
        crate::error::warn(format_args!(
            "cc-progress: {}: {}, {}, {} recorded{}",
            opts.run,
            output::count(summary.chunks as u64, "output chunk", "output chunks"),
            output::count(summary.tool_calls as u64, "tool call", "tool calls"),
            output::count(
                summary.provider_calls as u64,
                "provider call",
                "provider calls"
            ),
            if summary.already_held > 0 {
                format!(" ({} already held)", summary.already_held)
            } else {
                String::new()
            }
        ));
    }
    settings.finish(&summary.skipped);
    Ok(Exit::Child(summary.outcome.code))
}

fn display(settings: &Settings) -> Display {
    if settings.style.json {
        Display::Json
    } else if std::io::stdout().is_terminal() {
        Display::Live
    } else {
        Display::Lines
    }
}

fn exec_watch(settings: &Settings, args: WatchArgs) -> Result<Exit> {
    if let Some(r) = &args.run {
        check_run(r)?;
    }
    let opts = WatchOptions {
        since: settings.time(args.since.as_deref(), "--since")?,
        run: args.run,
        recent: args.lines,
        until_done: args.until_done,
        timeout: None,
        display: display(settings),
        output: args.output,
    };
    let redactor = settings.redactor()?;
    let mut out = output::stdout();
    let (end, skipped) = watch(
        &settings.roots,
        &opts,
        settings.style,
        &redactor,
        out.writer(),
    )?;
    let code = settings.finish(&skipped);
    Ok(end.map_or(code, |e| e.exit().or_worse(code)))
}

fn exec_wait(settings: &Settings, args: WaitArgs) -> Result<Exit> {
    check_run(&args.run)?;
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| {
            let ms = timespec::parse_duration_ms(t, "--timeout")?;
            Ok::<_, Error>(Duration::from_secs_f64(ms / 1000.0))
        })
        .transpose()?;
    // A run with no events yet may be about to start; a mistyped one never will.
    if !settings.quiet
        && progress::run_state(&settings.roots, &args.run, settings.now)?
            .0
            .is_none()
    {
        crate::error::warn(format_args!(
            "cc-progress: {} has no events yet; waiting for it to start",
            output::clean(&args.run)
        ));
    }
    let opts = WatchOptions {
        run: Some(args.run),
        since: None,
        recent: 0,
        until_done: true,
        timeout,
        display: Display::Silent,
        output: false,
    };
    let redactor = settings.redactor()?;
    let mut out = std::io::sink();
    let (end, _) = watch(&settings.roots, &opts, settings.style, &redactor, &mut out)?;
    Ok(end.map_or(Exit::Failure, |e| e.exit()))
}

fn exec_history(settings: &Settings, args: HistoryArgs) -> Result<Exit> {
    check_run(&args.run)?;
    let redactor = settings.redactor()?;
    let (report, skipped) = render::history_report(
        &settings.roots,
        &args.run,
        args.limit,
        args.output,
        &redactor,
    )?;
    settings.emit(&report)?;
    Ok(settings.finish(&skipped))
}

fn exec_current(settings: &Settings, args: RunArg, detail: bool) -> Result<Exit> {
    check_run(&args.run)?;
    let prices = PriceTable::new(&settings.config.pricing);
    let (state, skipped) =
        progress::chain::current_run(&settings.roots, &args.run, settings.now, &prices)?;
    settings.emit(&render::RunReport {
        run_id: args.run,
        detail,
        state,
    })?;
    Ok(settings.finish(&skipped))
}

fn exec_runs(settings: &Settings, args: RunsArgs) -> Result<Exit> {
    if args.page == 0 {
        return Err(Error::invalid("--page", "pages count from 1"));
    }
    let since = settings.time(args.since.as_deref(), "--since")?;
    let stale_after = timespec::parse_duration_ms(&args.stale_after, "--stale-after")?;
    let prices = PriceTable::new(&settings.config.pricing);
    let query = RunQuery {
        status: args.status.map(RunStatus::from),
        source: args.source,
        workflow: args.workflow,
        stale_after_ms: Some(stale_after),
        now: settings.now,
        limit: args.limit,
        page: args.page,
    };
    let (rows, total, skipped) =
        progress::chain::run_list(&settings.roots, since, &query, &prices)?;
    settings.emit(&render::RunsReport {
        rows,
        total,
        page: args.page,
        limit: args.limit,
    })?;
    Ok(settings.finish(&skipped))
}

fn exec_chain(settings: &Settings, args: ChainArgs) -> Result<Exit> {
    if args.chain.trim().is_empty() {
        return Err(Error::invalid("CHAIN", "must not be empty"));
    }
    let (chain, skipped) = progress::chain::chain(&settings.roots, &args.chain, settings.now)?;
    settings.emit(&render::ChainView {
        chain_id: args.chain,
        chain,
    })?;
    Ok(settings.finish(&skipped))
}
