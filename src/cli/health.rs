//! `cc-health`: flags and subcommands, and `exec`, which turns them into library calls.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use serde_json::Value;

use super::{
    CommonArgs, RollupArgs, RollupPruneArgs, Settings, exec_prune, exec_rollup, print_completions,
    print_man,
};
use crate::error::{Error, Exit, PluginStatus, Result};
use crate::health::{self, PriceTable, Thresholds, UsageBy, render};
use crate::output;
use crate::record::ProviderCall;
use crate::store::Stream;
use crate::timespec;

const EXAMPLES: &str = "\
Examples:
  cc-health record anthropic true 1234 --model claude-sonnet-4-5 --input-tokens 12000 --output-tokens 1500
  cc-health record openai false 30000 --status-code 429 --error \"rate limit exceeded\"
  cc-health status
  cc-health overall
  cc-health errors anthropic --limit 5
  cc-health usage --by model --since 7d
  cc-health check anthropic        # for Nagios, Icinga or cron: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN

Status (over health.window in ccmon.json, default 1h): down when availability is below
80% or the last 5 calls failed; degraded below 95%, when p95 latency is above
health.p95LimitMs, or after 3 failed calls in a row; unknown without calls.";

fn long_help() -> String {
    format!(
        "{}\n\n{}",
        super::with_environment(EXAMPLES),
        health::help_table().trim_end()
    )
}

/// cc-health: is each AI provider up, how fast, what failed lately, and what did it
/// cost.
///
/// Calls go to ROOT/analytics/provider-health-YYYY-MM-DD.jsonl; status changes
/// (provider_down, provider_recovered) to the notifications stream.
#[derive(Debug, Parser)]
#[command(
    name = "cc-health",
    version,
    after_help = super::with_environment(EXAMPLES),
    after_long_help = long_help()
)]
pub struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Record one provider call.
    Record(Box<RecordArgs>),
    /// Claude Code's status line: reads its JSON on standard input, imports the
    /// session transcript's new lines, prints model, session and today's cost, burn
    /// rate and limit use. Never fails.
    Statusline,
    /// Each provider's status, availability, latency and last error, with the reason.
    Status(StatusArgs),
    /// The system's status across providers, and why.
    Overall(WindowArg),
    /// Providers side by side, best first.
    Compare(WindowArg),
    /// The most recent failed calls.
    Errors(ErrorsArgs),
    /// Calls, tokens and cost per provider, model, day, step or run.
    #[command(after_long_help = health::help_table())]
    Usage(UsageArgs),
    /// Monitoring-plugin check: one line with performance data; exit 0 OK, 1 WARNING,
    /// 2 CRITICAL, 3 UNKNOWN.
    Check(StatusArgs),
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

#[derive(Debug, Args)]
struct RecordArgs {
    /// The provider, e.g. anthropic.
    #[arg(value_name = "PROVIDER")]
    provider: String,
    /// Whether the call succeeded: true/false, 1/0, ok/fail.
    #[arg(value_name = "SUCCESS", allow_hyphen_values = true)]
    success: String,
    /// How long it took: milliseconds, or a DURATION such as 1.2s.
    #[arg(value_name = "LATENCY", allow_hyphen_values = true)]
    latency: String,
    /// The error message.
    #[arg(long, value_name = "MSG")]
    error: Option<String>,
    /// The HTTP status code.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    status_code: Option<u16>,
    /// The model.
    #[arg(long, value_name = "M")]
    model: Option<String>,
    /// Input tokens.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    input_tokens: Option<u64>,
    /// Output tokens.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    output_tokens: Option<u64>,
    /// Tokens read from the prompt cache.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    cache_read_tokens: Option<u64>,
    /// Tokens written to the prompt cache.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    cache_write_tokens: Option<u64>,
    /// What the call cost, in USD (else estimated from the price table).
    #[arg(long = "cost", value_name = "USD", allow_hyphen_values = true)]
    cost: Option<f64>,
    /// The run it belongs to.
    #[arg(long = "run-id", visible_alias = "runId", value_name = "R")]
    run_id: Option<String>,
    /// The step type (designer, checker, ...).
    #[arg(long, value_name = "T")]
    step_type: Option<String>,
    /// The tool that made the call.
    #[arg(long = "tool", visible_alias = "tool-id", value_name = "T")]
    tool: Option<String>,
    /// When it happened: RFC 3339, YYYY-MM-DD, or a DURATION ago [default: now].
    #[arg(long, value_name = "TIME")]
    timestamp: Option<String>,
    /// `service` for usage of a service that is not an AI provider (e2b,
    /// trigger_dev): counted in usage and cost, never in provider health.
    #[arg(long, value_enum, value_name = "K")]
    kind: Option<KindArg>,
    /// How much of the service was used (with --unit).
    #[arg(long, value_name = "N", allow_hyphen_values = true, requires = "unit")]
    quantity: Option<f64>,
    /// The unit of --quantity (sandbox_seconds, runs, ...).
    #[arg(long, value_name = "U", requires = "quantity")]
    unit: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    Provider,
    Service,
}

#[derive(Debug, Args)]
struct WindowArg {
    /// The window [default: health.window in ccmon.json, else 1h].
    #[arg(long, value_name = "DUR", allow_hyphen_values = true)]
    window: Option<String>,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// Only this provider.
    #[arg(value_name = "PROVIDER")]
    provider: Option<String>,
    #[command(flatten)]
    window: WindowArg,
}

#[derive(Debug, Args)]
struct ErrorsArgs {
    /// Only this provider.
    #[arg(value_name = "PROVIDER")]
    provider: Option<String>,
    /// How many (0 for all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    limit: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ByArg {
    Provider,
    Model,
    Day,
    Step,
    Run,
    Service,
    Chain,
}

#[derive(Debug, Args)]
struct UsageArgs {
    /// Group by [default: provider].
    #[arg(long, value_enum, value_name = "FIELD")]
    by: Option<ByArg>,
    /// From this TIME: RFC 3339, YYYY-MM-DD, or a DURATION ago (24h, 7d)
    /// [default: all history].
    #[arg(long, value_name = "T")]
    since: Option<String>,
    /// Up to this TIME [default: now, future records included].
    #[arg(long, value_name = "T")]
    until: Option<String>,
}

/// Runs a parsed `cc-health` command line; returns the exit code.
pub fn exec(cli: Cli) -> Result<Exit> {
    if let Command::Statusline = cli.command {
        return Ok(super::statusline::exec_statusline(&cli.common));
    }
    let settings = match Settings::from_args(&cli.common) {
        Ok(s) => s,
        // A check reports every problem as UNKNOWN, as monitoring plugins do.
        Err(e) if matches!(cli.command, Command::Check(_)) => {
            let mut out = output::stdout();
            let _ = writeln!(out, "CC-HEALTH UNKNOWN - {e}");
            let _ = out.flush();
            return Ok(Exit::Plugin(PluginStatus::Unknown));
        }
        Err(e) => return Err(e),
    };
    if !matches!(
        cli.command,
        Command::Record(_) | Command::Completions { .. } | Command::Man
    ) && let Err(e) = settings.require_roots()
    {
        if matches!(cli.command, Command::Check(_)) {
            let mut out = output::stdout();
            let _ = writeln!(out, "CC-HEALTH UNKNOWN - {e}");
            let _ = out.flush();
            return Ok(Exit::Plugin(PluginStatus::Unknown));
        }
        return Err(e);
    }
    match cli.command {
        Command::Record(args) => exec_record(&settings, *args),
        Command::Statusline => Ok(Exit::Success),
        Command::Status(args) => exec_status(&settings, args),
        Command::Overall(args) => exec_overall(&settings, args),
        Command::Compare(args) => exec_compare(&settings, args),
        Command::Errors(args) => exec_errors(&settings, args),
        Command::Usage(args) => exec_usage(&settings, args),
        Command::Check(args) => Ok(exec_check(&settings, args)),
        Command::Prune(args) => exec_prune(
            &settings,
            Stream::ProviderHealth,
            &args.prune,
            args.keep_rollups,
        ),
        Command::Rollup(args) => exec_rollup(&settings, Stream::ProviderHealth, &args),
        Command::Completions { shell } => {
            print_completions(shell, &mut super::examples::add_to(Cli::command()))
                .map(|()| Exit::Success)
        }
        Command::Man => print_man(super::examples::add_to(Cli::command())).map(|()| Exit::Success),
    }
}

fn thresholds(settings: &Settings, window: &WindowArg) -> Result<Thresholds> {
    let window_ms = window
        .window
        .as_deref()
        .map(|w| {
            let ms = timespec::parse_duration_ms(w, "--window")?;
            if ms < 1.0 {
                return Err(Error::invalid(
                    "--window",
                    "got a DURATION under 1ms; expected at least 1ms",
                ));
            }
            Ok(ms as i64)
        })
        .transpose()?;
    Thresholds::from_config(&settings.config.health, window_ms)
}

fn exec_record(settings: &Settings, args: RecordArgs) -> Result<Exit> {
    let writer = settings.writer()?;
    if args.provider.trim().is_empty() {
        return Err(Error::invalid("PROVIDER", "must not be empty"));
    }
    let success = crate::metrics::parse_success(&args.success, "SUCCESS")?;
    let latency = timespec::parse_duration_ms(&args.latency, "LATENCY")?;
    let service = args.kind == Some(KindArg::Service);
    if args.quantity.is_some() && !service {
        return Err(Error::invalid("--quantity", "is for --kind service"));
    }
    if let Some(q) = args.quantity
        && (!q.is_finite() || q < 0.0)
    {
        return Err(Error::invalid(
            "--quantity",
            format!("{q} must be a number ≥ 0"),
        ));
    }
    let th = thresholds(settings, &WindowArg { window: None })?;
    let call = ProviderCall {
        timestamp: settings.time(args.timestamp.as_deref(), "--timestamp")?,
        provider: args.provider,
        success,
        latency: Some(latency),
        error: args.error.map_or(Value::Null, Value::String),
        status_code: args.status_code,
        model: args.model,
        input_tokens: args.input_tokens,
        output_tokens: args.output_tokens,
        cache_read_tokens: args.cache_read_tokens,
        cache_write_tokens: args.cache_write_tokens,
        cache_write_1h_tokens: None,
        reasoning_tokens: None,
        request_id: None,
        cost_usd: args.cost,
        run_id: args.run_id,
        step_type: args.step_type,
        tool_id: args.tool,
        id: None,
        host: None,
        extra: serde_json::Map::new(),
    };
    let mut call = call;
    if service {
        call.set_service(args.quantity, args.unit);
    }
    let recorded = health::record_call(&settings.roots, &writer, call, &th).map_err(|e| {
        super::field_as_flag(
            e,
            &[
                ("latency", "LATENCY"),
                ("statusCode", "--status-code"),
                ("costUsd", "--cost"),
                ("inputTokens", "--input-tokens"),
                ("outputTokens", "--output-tokens"),
                ("cacheReadTokens", "--cache-read-tokens"),
                ("cacheWriteTokens", "--cache-write-tokens"),
            ],
        )
    })?;
    if let Some(m) = recorded
        .notification
        .as_ref()
        .and_then(|n| n.get("message"))
        .and_then(Value::as_str)
        && !settings.quiet
    {
        crate::error::warn(format_args!("cc-health: {}", output::clean(m)));
    }
    settings.emit(&output::Written(vec![recorded.call]))?;
    Ok(Exit::Success)
}

fn exec_status(settings: &Settings, args: StatusArgs) -> Result<Exit> {
    let th = thresholds(settings, &args.window)?;
    let Some(p) = &args.provider else {
        return print_statuses(settings, &th, |rows| rows);
    };
    let (row, skipped) = health::provider_status(&settings.roots, p, &th, settings.now)?;
    settings.emit(&health::ProviderStatusReport(row))?;
    Ok(settings.finish(&skipped))
}

/// Every provider's status row, ordered by `order`.
fn print_statuses(
    settings: &Settings,
    th: &Thresholds,
    order: impl FnOnce(Vec<health::StatusRow>) -> Vec<health::StatusRow>,
) -> Result<Exit> {
    let (rows, skipped) = health::statuses(&settings.roots, th, settings.now)?;
    settings.emit(&health::StatusesReport {
        window_ms: th.window_ms,
        rows: order(rows),
    })?;
    Ok(settings.finish(&skipped))
}

fn exec_overall(settings: &Settings, args: WindowArg) -> Result<Exit> {
    let th = thresholds(settings, &args)?;
    let (rows, skipped) = health::statuses(&settings.roots, &th, settings.now)?;
    settings.emit(&health::overall(&rows, th.window_ms))?;
    Ok(settings.finish(&skipped))
}

fn exec_compare(settings: &Settings, args: WindowArg) -> Result<Exit> {
    let th = thresholds(settings, &args)?;
    print_statuses(settings, &th, health::compare)
}

fn exec_errors(settings: &Settings, args: ErrorsArgs) -> Result<Exit> {
    let redactor = settings.redactor()?;
    let (report, skipped) = health::errors_report(
        &settings.roots,
        args.provider.as_deref(),
        args.limit,
        &redactor,
    )?;
    settings.emit(&report)?;
    Ok(settings.finish(&skipped))
}

fn exec_usage(settings: &Settings, args: UsageArgs) -> Result<Exit> {
    let by = match args.by {
        None | Some(ByArg::Provider) => UsageBy::Provider,
        Some(ByArg::Model) => UsageBy::Model,
        Some(ByArg::Day) => UsageBy::Day,
        Some(ByArg::Step) => UsageBy::Step,
        Some(ByArg::Run) => UsageBy::Run,
        Some(ByArg::Chain) => UsageBy::Chain,
        Some(ByArg::Service) => UsageBy::Service,
    };
    let since = settings.time(args.since.as_deref(), "--since")?;
    let until = settings.time(args.until.as_deref(), "--until")?;
    let prices = PriceTable::new(&settings.config.pricing);
    let utc = settings.style.utc;
    let (rows, skipped) = if by == UsageBy::Chain {
        crate::progress::usage_by_chain(&settings.roots, since, until, &prices, utc, settings.now)?
    } else {
        health::usage(&settings.roots, by, since, until, &prices, utc)?
    };
    settings.emit(&health::UsageReport { by, rows })?;
    Ok(settings.finish(&skipped))
}

/// `check` never fails with a usage code: any problem is UNKNOWN (3), as monitoring
/// plugins report it.
fn exec_check(settings: &Settings, args: StatusArgs) -> Exit {
    let result = (|| -> Result<(String, PluginStatus)> {
        let th = thresholds(settings, &args.window)?;
        Ok(match &args.provider {
            Some(p) => {
                let (row, _) = health::provider_status(&settings.roots, p, &th, settings.now)?;
                (
                    render::check_provider(&row),
                    render::plugin_code(row.status),
                )
            }
            None => {
                let (rows, _) = health::statuses(&settings.roots, &th, settings.now)?;
                let o = health::overall(&rows, th.window_ms);
                (
                    render::check_overall(&o, &rows),
                    render::plugin_code(o.status),
                )
            }
        })
    })();
    let (line, code) = match result {
        Ok(r) => r,
        Err(e) => (format!("CC-HEALTH UNKNOWN - {e}"), PluginStatus::Unknown),
    };
    let mut out = output::stdout();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    Exit::Plugin(code)
}
