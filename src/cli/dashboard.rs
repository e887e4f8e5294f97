//! `cc-dashboard`: flags and subcommands, and `exec`, which turns them into library calls.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};

use super::{CommonArgs, PruneArgs, Settings, exec_prune, print_completions, print_man};
use crate::dashboard::{self, Dashboard};
use crate::error::{Error, Exit, Result};
use crate::notifications::{self, Listing};
use crate::output::{self, Style};
use crate::record::NotificationType;
use crate::store::Skipped;
use crate::store::Stream;
use crate::timespec;

const EXAMPLES: &str = "\
Examples:
  cc-dashboard demo                  # a month of sample data in a new folder, then the view
  cc-dashboard view
  cc-dashboard watch --interval 2s
  cc-dashboard generate && jq .counters analytics/metrics-dashboard.json
  cc-dashboard notifications --unread
  cc-dashboard notifications read --all
  cc-dashboard import all            # what Claude Code and Codex already recorded";

/// cc-dashboard: everything the other four programs record, in one view.
///
/// `generate` saves the dashboard document to ROOT/analytics/metrics-dashboard.json;
/// `view` shows it in the terminal; `demo` fills a new folder with a month of sample
/// data first.
#[derive(Debug, Parser)]
#[command(name = "cc-dashboard", version, after_help = super::with_environment(EXAMPLES))]
pub struct Cli {
    #[command(flatten)]
    common: CommonArgs,
    /// What to do; without a subcommand, `view`.
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute the dashboard and save it (atomically) to analytics/metrics-dashboard.json.
    Generate,
    /// Show the dashboard in the terminal (regenerated when missing or stale).
    View(ViewArgs),
    /// Print the dashboard document as JSON.
    Json,
    /// Show the dashboard and redraw it whenever a stream changes.
    Watch(WatchArgs),
    /// Write a month of sample data for all five streams into --root DIR (default: a
    /// new temporary folder, printed), then show the dashboard.
    Demo,
    /// List notifications, or mark them read or dismissed.
    Notifications(NotificationsArgs),
    /// Copy into the root the records of another machine's root that it lacks (by id).
    Merge(MergeArgs),
    /// Read what Claude Code and Codex already write (transcripts: usage, cost, tool
    /// calls, API errors) into the streams, incrementally.
    Import(super::import::ImportArgs),
    /// Evaluate alert rules; print the firing ones; exit 1 while any fires.
    Alerts(AlertsArgs),
    /// Export the figures as Prometheus text or OTLP/JSON metrics.
    Export(ExportArgs),
    /// Write one self-contained HTML report (inline CSS and SVG charts, no network).
    Html(HtmlArgs),
    /// Serve the live web dashboard: pages, a JSON API and Server-Sent Events, from the
    /// files (loopback only unless a token is given).
    Serve(ServeArgs),
    /// Send the records not yet shipped to a fleet engine.
    #[command(subcommand)]
    Ship(ShipCommand),
    /// Delete (or gzip) notification files wholly older than a cutoff.
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

#[derive(Debug, Args)]
struct ViewArgs {
    /// Recompute the dashboard even when the saved one is fresh.
    #[arg(long)]
    refresh: bool,
}

#[derive(Debug, Args)]
#[command(after_help = ALERTS_HELP)]
struct AlertsArgs {
    /// Rules from this file ({"alerts": [...]}) instead of ccmon.json.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
}

const ALERTS_HELP: &str = "\
A rule: {\"name\": \"review-reliability\", \"metric\": \"cuj.successRate\", \"target\": \"CUJ-005\",
         \"window\": \"1h\", \"op\": \"<\", \"threshold\": 0.9}
Metrics: cuj.successRate, cuj.p95 (ms), skill.successRate, provider.availability,
provider.p95 (ms), cost.daily (USD per day over the window). Target: a name, or * for
every one with data (for cost.daily, * is all providers together). Ops: < <= > >= == !=.
Each change is appended once to the notifications stream (alert_fired, alert_resolved).";

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    /// Prometheus text exposition (for node_exporter's textfile collector).
    Prometheus,
    /// OTLP/JSON metrics (an ExportMetricsServiceRequest).
    Otlp,
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: FormatArg,
    /// Write to this file (atomically: readers never see half of it) instead of
    /// standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// With --format otlp: POST the export to this OTLP/HTTP receiver as JSON
    /// (`http://collector:4318/v1/metrics`); nothing is printed unless --output is
    /// given too.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ShipCommand {
    /// Send every stream's records not yet shipped to ClickHouse over HTTP
    /// (INSERT ... FORMAT JSONEachRow, in batches), creating the database and one
    /// ReplacingMergeTree table per stream when missing. Credentials come from
    /// CLICKHOUSE_USER and CLICKHOUSE_PASSWORD, never from the command line. Progress
    /// is kept in analytics/ship-state.json and advanced only after the server
    /// acknowledged a batch: killed and run again, nothing is lost, and with FINAL
    /// nothing is counted twice.
    Clickhouse(ClickhouseArgs),
}

#[derive(Debug, Args)]
struct ClickhouseArgs {
    /// The server's HTTP interface, such as http://clickhouse:8123 (no credentials in
    /// it: use CLICKHOUSE_USER and CLICKHOUSE_PASSWORD).
    #[arg(long, value_name = "URL", required_unless_present_any = ["print_schema", "print_views"])]
    url: Option<String>,
    /// The database.
    #[arg(long, value_name = "NAME", default_value = "ccmon")]
    database: String,
    /// Rows per batch (ClickHouse makes parts of each: fewer, larger batches are
    /// faster). A batch is streamed while it is being converted, as two INSERTs at
    /// once, and the next batch starts while the server finishes the previous one.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    batch: usize,
    /// Count what would be sent; send nothing and leave the state unchanged.
    #[arg(long)]
    dry_run: bool,
    /// Print the DDL (database and tables) and exit.
    #[arg(long)]
    print_schema: bool,
    /// Print SQL views with the CLI's success rates, percentiles and usage, and exit.
    #[arg(long)]
    print_views: bool,
    /// How long connection errors and server errors (5xx) are retried, with doubling
    /// pauses, before giving up with exit 1.
    #[arg(long, value_name = "DUR", default_value = "1m")]
    retry_for: String,
}

#[derive(Debug, Args)]
struct HtmlArgs {
    /// Where to write it [default: analytics/dashboard.html].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = SERVE_HELP)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port). Any address but loopback
    /// requires a token.
    #[arg(long, value_name = "ADDR", default_value = crate::serve::DEFAULT_BIND)]
    bind: String,
    /// A file holding the token every request must carry [default: $CC_TOKEN]. The
    /// token is never taken from the command line, which other users can read.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Open the dashboard in the default browser (xdg-open) once listening.
    #[arg(long)]
    open: bool,
}

const SERVE_HELP: &str = "\
Pages: / /runs /runs/RUN /chains /chains/CHAIN /journeys /journeys/CUJ /skills /providers
/usage /notifications. JSON (the CLI's --json documents): /api/dashboard /api/runs
/api/runs/RUN /api/chains/CHAIN /api/cujs /api/cujs/CUJ/trending /api/skills /api/providers
/api/usage /api/notifications; POST /api/notifications/ID/read|dismiss. Live: GET /events
(Server-Sent Events). GET /metrics (Prometheus), GET /healthz.
With a token, send `Authorization: Bearer TOKEN`, or visit /?token=TOKEN once (a cookie
keeps it). Ctrl-C stops the server.";

#[derive(Debug, Args)]
struct MergeArgs {
    /// The other root (a folder holding logs/ and analytics/).
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
}

#[derive(Debug, Args)]
struct WatchArgs {
    /// Wait this long after a change before redrawing (changes in between are merged).
    #[arg(
        long,
        value_name = "DUR",
        default_value = "1s",
        allow_hyphen_values = true
    )]
    interval: String,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct NotificationsArgs {
    /// Only unread ones.
    #[arg(long)]
    unread: bool,
    /// Dismissed ones too.
    #[arg(long)]
    all: bool,
    /// At most this many (0 for all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    limit: usize,
    #[command(subcommand)]
    action: Option<NotificationAction>,
}

#[derive(Debug, Subcommand)]
enum NotificationAction {
    /// Mark a notification read (or every one, with --all).
    #[command(group(clap::ArgGroup::new("target").required(true).args(["id", "all"])))]
    Read {
        /// The notification's id.
        #[arg(value_name = "ID")]
        id: Option<String>,
        /// Every unread notification.
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
    /// Dismiss a notification: it is no longer listed.
    Dismiss {
        /// The notification's id.
        #[arg(value_name = "ID")]
        id: String,
    },
}

/// Runs a parsed `cc-dashboard` command line; returns the exit code.
pub fn exec(cli: Cli) -> Result<Exit> {
    let command = cli
        .command
        .unwrap_or(Command::View(ViewArgs { refresh: false }));
    if let Command::Demo = command {
        return exec_demo(&cli.common);
    }
    let settings = Settings::from_args(&cli.common)?;
    if !matches!(
        command,
        // Writers create the root on first write; every other command only reads.
        Command::Merge(_) | Command::Import(_) | Command::Completions { .. } | Command::Man
    ) {
        settings.require_roots()?;
    }
    match command {
        Command::Generate => exec_generate(&settings),
        Command::View(args) => exec_view(&settings, args.refresh),
        Command::Json => exec_json(&settings),
        Command::Watch(args) => exec_watch(&settings, &args),
        Command::Notifications(args) => exec_notifications(&settings, args),
        Command::Merge(args) => exec_merge(&settings, &args),
        Command::Import(args) => super::import::exec_import(&settings, &args),
        Command::Alerts(args) => exec_alerts(&settings, &args),
        Command::Export(args) => exec_export(&settings, &args),
        Command::Html(args) => exec_html(&settings, &args),
        Command::Serve(args) => exec_serve(&settings, &args),
        Command::Ship(ShipCommand::Clickhouse(args)) => exec_ship_clickhouse(&settings, &args),
        Command::Prune(args) => exec_prune(&settings, Stream::Notifications, &args, false),
        Command::Completions { shell } => {
            print_completions(shell, &mut super::examples::add_to(Cli::command()))
                .map(|()| Exit::Success)
        }
        Command::Man => print_man(super::examples::add_to(Cli::command())).map(|()| Exit::Success),
        Command::Demo => Ok(Exit::Success),
    }
}

fn compute(settings: &Settings) -> Result<(Dashboard, Skipped, Exit)> {
    let (d, skipped) = dashboard::compute(
        &settings.roots,
        &settings.config,
        settings.now,
        settings.style.utc,
        &settings.redactor()?,
    )?;
    let code = settings.finish(&skipped);
    Ok((d, skipped, code))
}

fn exec_generate(settings: &Settings) -> Result<Exit> {
    let (d, skipped, code) = compute(settings)?;
    let path = dashboard::save(settings.roots.primary(), &d, &skipped)?;
    settings.emit(&dashboard::Generated::new(path, &d))?;
    Ok(code)
}

fn exec_json(settings: &Settings) -> Result<Exit> {
    let (d, _, code) = compute(settings)?;
    let mut out = output::stdout();
    output::write_document(out.writer(), &d)?;
    out.flush()?;
    Ok(code)
}

fn exec_view(settings: &Settings, refresh: bool) -> Result<Exit> {
    let (d, skipped) = dashboard::current(
        &settings.roots,
        &settings.config,
        settings.now,
        settings.style.utc,
        &settings.redactor()?,
        refresh,
    )?;
    let code = settings.finish(&skipped);
    settings.emit(&dashboard::DashboardView::new(d, output::terminal_width())?)?;
    Ok(code)
}

/// The view for people whatever `--json` says: `watch` and `demo` are screens.
fn screen(settings: &Settings) -> Style {
    Style {
        json: false,
        ..settings.style
    }
}

fn exec_watch(settings: &Settings, args: &WatchArgs) -> Result<Exit> {
    let interval_ms = timespec::parse_duration_ms(&args.interval, "--interval")?;
    let interval = Duration::from_secs_f64(interval_ms.max(50.0) / 1000.0);
    let redactor = settings.redactor()?;
    let mut live = dashboard::LiveView::start(&settings.roots)?;
    let stop = Arc::new(AtomicBool::new(false));
    for (sig, signal) in [
        (signal_hook::consts::SIGINT, "SIGINT"),
        (signal_hook::consts::SIGTERM, "SIGTERM"),
        (signal_hook::consts::SIGHUP, "SIGHUP"),
    ] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|source| Error::Signal { signal, source })?;
    }
    let style = screen(settings);
    let mut out = output::stdout();
    // On a terminal: the alternate screen, cursor hidden, both restored however the
    // loop ends. Into a pipe or a file: each dashboard in turn, plain, a blank line
    // between them (no screen control codes in a log).
    let screen = std::io::stdout().is_terminal();
    if screen {
        write!(out, "\x1b[?1049h\x1b[?25l")?;
    }
    let mut first = true;
    let result = live.run(
        &settings.roots,
        &settings.config,
        settings.style.utc,
        &redactor,
        interval,
        &stop,
        |d| {
            if screen {
                write!(out, "\x1b[H\x1b[2J")?;
            } else if !first {
                writeln!(out)?;
            }
            first = false;
            let view = dashboard::DashboardView::new(d.clone(), output::terminal_width())?;
            output::emit(out.writer(), &style, &view)?;
            out.flush()?;
            Ok(())
        },
    );
    if screen {
        write!(out, "\x1b[?25h\x1b[?1049l")?;
    }
    out.flush()?;
    result.map(|()| Exit::Success)
}

fn exec_demo(common: &CommonArgs) -> Result<Exit> {
    let root = dashboard::demo::demo_root(common.root.first().map(PathBuf::as_path))?;
    let mut args = common.clone();
    args.root = vec![root.clone()];
    let settings = Settings::from_args(&args)?;
    let (d, counts) = dashboard::demo::run_demo(
        &settings.roots,
        &settings.writer()?,
        &settings.config,
        settings.now,
        settings.style.utc,
        &settings.redactor()?,
    )?;
    let programs = dashboard::DEMO_COMMANDS
        .iter()
        .map(|(p, _)| *p)
        .chain(std::iter::once("cc-dashboard"))
        .map(|p| (p, program_command(p)))
        .collect();
    let report = dashboard::DemoReport {
        view: dashboard::DashboardView::new(d, output::terminal_width())?,
        root,
        counts,
        programs,
    };
    let mut out = output::stdout();
    output::emit(out.writer(), &screen(&settings), &report)?;
    out.flush()?;
    Ok(Exit::Success)
}

/// How to run a sibling program from where the user ran this one: its bare name when
/// that name on `PATH` is the sibling (installed together), else the sibling's full path
/// (e.g. `target/release/cc-log` after `cargo build --release`), so that every command
/// the demo prints works when pasted into the same shell.
fn program_command(name: &str) -> String {
    let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(PathBuf::from))
    else {
        return name.to_string();
    };
    let sibling = dir.join(name);
    if !sibling.is_file() {
        return name.to_string();
    }
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
            .is_some_and(|found| found.canonicalize().ok() == sibling.canonicalize().ok())
    });
    if on_path {
        name.to_string()
    } else {
        dashboard::shell_word(&sibling.display().to_string())
    }
}

fn exec_html(settings: &Settings, args: &HtmlArgs) -> Result<Exit> {
    let (d, _, code) = compute(settings)?;
    let redactor = settings.redactor()?;
    let extra = dashboard::html::gather(&settings.roots, &settings.config, &d, &redactor)?;
    let page = dashboard::html::render(&d, &extra, settings.style.utc);
    let path = args.output.clone().unwrap_or_else(|| {
        Stream::CujMetrics
            .dir(settings.roots.primary())
            .join("dashboard.html")
    });
    dashboard::write_atomic(&path, page.as_bytes())?;
    let mut out = output::stdout();
    writeln!(out, "{}", crate::store::paths::display_path(&path))?;
    out.flush()?;
    Ok(code)
}

fn exec_serve(settings: &Settings, args: &ServeArgs) -> Result<Exit> {
    use std::net::ToSocketAddrs;
    let bind = args
        .bind
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            Error::invalid(
                "--bind",
                format!(
                    "got {}, not an address; expected HOST:PORT, e.g. 127.0.0.1:7878",
                    crate::error::value_kind(&args.bind)
                ),
            )
        })?;
    for root in settings.roots.all() {
        if !root.is_dir() {
            return Err(Error::invalid(
                "--root",
                format!("{} is not a folder", root.display()),
            ));
        }
    }
    let token = match &args.token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::invalid(
                    "--token-file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            Some(text.trim().to_string())
        }
        None => std::env::var("CC_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.trim().to_string()),
    };
    let fixed_now = std::env::var("CC_NOW")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|_| settings.now);
    let opts = crate::serve::ServeOptions {
        bind,
        token,
        roots: settings.roots.clone(),
        config: settings.config.clone(),
        fixed_now,
        utc: settings.style.utc,
        fsync: settings.fsync,
    };
    let open = args.open;
    crate::serve::run(opts, |addr| {
        crate::error::warn(format_args!("listening on http://{addr}"));
        if open {
            let url = format!("http://{addr}/");
            if let Err(e) = std::process::Command::new("xdg-open")
                .arg(&url)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
            {
                crate::error::warn(format_args!(
                    "warning: could not open a browser (xdg-open: {e}); open {url}"
                ));
            }
        }
    })?;
    Ok(Exit::Success)
}

fn exec_export(settings: &Settings, args: &ExportArgs) -> Result<Exit> {
    use crate::dashboard::export;
    if let Some(endpoint) = &args.endpoint {
        if !matches!(args.format, FormatArg::Otlp) {
            return Err(Error::invalid("--endpoint", "only with --format otlp"));
        }
        if !endpoint.starts_with("http://") {
            return Err(Error::invalid(
                "--endpoint",
                "expected an http:// URL (this build has no TLS: send to a local collector)",
            ));
        }
    }
    let code;
    let text = match args.format {
        FormatArg::Prometheus => {
            let (text, skipped) =
                export::prometheus_text(&settings.roots, &settings.config, settings.now)?;
            code = settings.finish(&skipped);
            text
        }
        FormatArg::Otlp => {
            let host = gethostname::gethostname().to_string_lossy().into_owned();
            let (value, skipped) =
                export::otlp_json(&settings.roots, &settings.config, settings.now, &host)?;
            code = settings.finish(&skipped);
            let mut text = serde_json::to_string_pretty(&value).map_err(|e| Error::Internal {
                what: "serializing the OTLP export",
                message: e.to_string(),
            })?;
            text.push('\n');
            text
        }
    };
    if let Some(endpoint) = &args.endpoint {
        export::send_otlp(endpoint, text.as_bytes(), &settings.redactor()?)?;
        if !settings.quiet {
            crate::error::warn(format_args!(
                "sent to {}",
                crate::dashboard::http::display_url(endpoint)
            ));
        }
        if args.output.is_none() {
            return Ok(code);
        }
    }
    match &args.output {
        Some(path) => {
            // Aggregates only, for a collector running as another user (SPEC §12).
            use crate::store::safe;
            safe::write_atomic(path, text.as_bytes(), safe::SHARED_FILE, safe::SHARED_DIR)
                .map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
            if !settings.quiet {
                crate::error::warn(format_args!("wrote {}", path.display()));
            }
        }
        None => {
            let mut out = output::stdout();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(code)
}

fn exec_ship_clickhouse(settings: &Settings, args: &ClickhouseArgs) -> Result<Exit> {
    use crate::dashboard::ship;
    if !ship::valid_identifier(&args.database) {
        return Err(Error::invalid(
            "--database",
            "expected a name of letters, digits and _ (not starting with a digit)",
        ));
    }
    let mut out = output::stdout();
    if args.print_schema || args.print_views {
        let mut sql = Vec::new();
        if args.print_schema {
            sql.extend(ship::schema(&args.database));
        }
        if args.print_views {
            sql.extend(ship::views(&args.database));
        }
        for statement in sql {
            writeln!(out, "{statement};\n")?;
        }
        out.flush()?;
        return Ok(Exit::Success);
    }
    let url = args.url.clone().unwrap_or_default();
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(Error::invalid(
            "--url",
            "expected http://HOST:PORT (this build has no TLS: use a local proxy for https)",
        ));
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    if authority.contains('@') || rest.contains("password=") || rest.contains("user=") {
        return Err(Error::invalid(
            "--url",
            "credentials do not belong on the command line: set CLICKHOUSE_USER and CLICKHOUSE_PASSWORD",
        ));
    }
    if authority.is_empty() {
        return Err(Error::invalid("--url", "expected http://HOST:PORT"));
    }
    if args.batch == 0 {
        return Err(Error::invalid("--batch", "expected at least 1"));
    }
    let retry_ms = crate::timespec::parse_duration_ms(&args.retry_for, "--retry-for")?;
    let credentials = match std::env::var("CLICKHOUSE_USER") {
        Ok(user) if !user.is_empty() => Some((
            user,
            std::env::var("CLICKHOUSE_PASSWORD").unwrap_or_default(),
        )),
        _ => None,
    };
    let opts = ship::ShipOptions {
        url,
        database: args.database.clone(),
        batch: args.batch,
        dry_run: args.dry_run,
        retry_for: std::time::Duration::from_millis(retry_ms as u64),
        credentials,
    };
    let report = ship::ship(&settings.roots, &opts, &settings.redactor()?)?;
    let skipped = report.skipped;
    settings.emit(&dashboard::Shipped {
        report,
        dry_run: args.dry_run,
        database: opts.database,
        url: opts.url,
    })?;
    if skipped > 0 {
        crate::error::warn(format_args!(
            "warning: skipped {skipped} lines that are not valid records"
        ));
    }
    Ok(Exit::Success)
}

fn exec_alerts(settings: &Settings, args: &AlertsArgs) -> Result<Exit> {
    use crate::dashboard::alerts;
    let rules = match &args.rules {
        Some(path) => alerts::rules_file(path)?,
        None => settings.config.alerts.clone(),
    };
    let rules = alerts::check_rules(&rules)?;
    if rules.is_empty() {
        settings.emit(&dashboard::AlertsReport {
            rules: 0,
            rows: Vec::new(),
        })?;
        return Ok(Exit::Success);
    }
    let (rows, skipped) =
        alerts::evaluate(&settings.roots, &settings.config, &rules, settings.now)?;
    let writer = settings.writer()?;
    alerts::record_transitions(&settings.roots, &writer, &rows)?;
    let report = dashboard::AlertsReport {
        rules: rules.len(),
        rows,
    };
    settings.emit(&report)?;
    let code = settings.finish(&skipped);
    Ok(if report.firing() { Exit::Failure } else { code })
}

fn exec_merge(settings: &Settings, args: &MergeArgs) -> Result<Exit> {
    let redactor = settings.redactor()?;
    let (counts, skipped) = dashboard::merge::merge(
        settings.roots.primary(),
        &args.from,
        &redactor,
        settings.fsync,
    )?;
    settings.emit(&dashboard::MergeReport {
        from: args.from.clone(),
        into: settings.roots.primary().to_path_buf(),
        counts,
    })?;
    Ok(settings.finish(&skipped))
}

fn exec_notifications(settings: &Settings, args: NotificationsArgs) -> Result<Exit> {
    let marked = match args.action {
        Some(NotificationAction::Read { id, all }) => {
            let writer = settings.writer()?;
            let target = if all { None } else { id.as_deref() };
            let n = notifications::mark(&settings.roots, &writer, target, NotificationType::Read)?;
            output::Marked {
                action: "read",
                count: n,
            }
        }
        Some(NotificationAction::Dismiss { id }) => {
            let writer = settings.writer()?;
            let n = notifications::mark(
                &settings.roots,
                &writer,
                Some(&id),
                NotificationType::Dismissed,
            )?;
            output::Marked {
                action: "dismissed",
                count: n,
            }
        }
        None => {
            let (rows, skipped) = notifications::load(&settings.roots)?;
            let shown = notifications::list(
                &rows,
                Listing {
                    unread_only: args.unread,
                    include_dismissed: args.all,
                    limit: args.limit,
                },
            );
            settings.emit(&dashboard::NotificationsReport { rows: shown })?;
            return Ok(settings.finish(&skipped));
        }
    };
    if settings.style.json || !settings.quiet {
        settings.emit(&marked)?;
    }
    Ok(Exit::Success)
}
