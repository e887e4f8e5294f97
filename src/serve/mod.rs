//! `cc-dashboard serve` (SPEC §11): the live web dashboard. Server-rendered pages and a
//! JSON API computed by the same report functions as the command-line programs, kept
//! live by Server-Sent Events that the stream files' change notifications drive.
//!
//! Layout: [`auth`] (token, same-origin POSTs, security headers), [`api`] (the JSON
//! documents), [`pages`] (HTML), [`charts`] (inline SVG), [`live`] (file followers feeding
//! a broadcast channel, and the `/events` stream).

pub mod api;
pub mod auth;
pub mod charts;
pub mod live;
pub mod pages;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{broadcast, watch};

use crate::config::Config;
use crate::dashboard::{self, Dashboard};
use crate::error::{Error, Result};
use crate::record::Timestamp;
use crate::redact::Redactor;
use crate::store::Roots;

/// The default address: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:7878";

/// Everything `serve` needs, with no clap types.
#[derive(Clone)]
pub struct ServeOptions {
    /// Where to listen (port 0 picks a free one).
    pub bind: SocketAddr,
    /// The token every request but `/healthz` must carry, when set.
    pub token: Option<String>,
    /// The data roots read (and, for notification state, the first one written).
    pub roots: Roots,
    /// The primary root's config.
    pub config: Config,
    /// `CC_NOW` when set: every report is computed at this moment.
    pub fixed_now: Option<Timestamp>,
    /// Group days in UTC.
    pub utc: bool,
    /// Make appended state records durable.
    pub fsync: bool,
}

impl ServeOptions {
    /// Refuses a non-loopback address without a token (SPEC §11), and an empty token.
    pub fn check(&self) -> Result<()> {
        if let Some(t) = &self.token
            && t.trim().is_empty()
        {
            return Err(Error::invalid(
                "--token-file",
                "the token is empty (give a file or CC_TOKEN holding a non-empty token)",
            ));
        }
        if !self.bind.ip().is_loopback() && self.token.is_none() {
            return Err(Error::invalid(
                "--bind",
                format!(
                    "{} is not a loopback address: a token is required (--token-file FILE or CC_TOKEN)",
                    self.bind
                ),
            ));
        }
        Ok(())
    }
}

/// What a dashboard computation is cached under: the data version and "now".
struct CachedDashboard {
    version: u64,
    now: Timestamp,
    made: Instant,
    dashboard: Arc<Dashboard>,
}

/// Shared by every request.
pub struct AppState {
    /// The options the server was started with.
    pub opts: ServeOptions,
    /// The redactor every record and message passes before it is sent.
    pub redactor: Redactor,
    /// One message per appended record (and per changed aggregate).
    pub events: broadcast::Sender<Arc<live::LiveEvent>>,
    /// Turns true when the server stops: event streams end.
    pub shutdown: watch::Receiver<bool>,
    /// Bumped whenever a stream file gains records.
    pub version: AtomicU64,
    /// Event streams (`GET /events`) open now.
    pub open_streams: AtomicUsize,
    cache: Mutex<Option<CachedDashboard>>,
    computing: Mutex<()>,
}

impl AppState {
    /// The moment reports are computed at: `CC_NOW`, else the clock.
    pub fn now(&self) -> Timestamp {
        self.opts.fixed_now.unwrap_or_else(Timestamp::now)
    }

    fn cached(&self, version: u64, now: Timestamp) -> Option<Arc<Dashboard>> {
        let cache = self.cache.lock().ok()?;
        let c = cache.as_ref()?;
        (c.version == version && (c.now == now || c.made.elapsed() < Duration::from_secs(5)))
            .then(|| Arc::clone(&c.dashboard))
    }

    /// The dashboard at `now`: recomputed when records arrived since the last one or
    /// it is older than five seconds, else the cached one.
    pub fn dashboard(&self, now: Timestamp) -> Result<Arc<Dashboard>> {
        let version = self.version.load(Ordering::Acquire);
        if let Some(d) = self.cached(version, now) {
            return Ok(d);
        }
        // One computation at a time: a request that arrives while one runs waits for
        // it and takes its result, instead of competing with it for the cores.
        let _computing = self.computing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = self.cached(version, now) {
            return Ok(d);
        }
        let (d, skipped) =
            dashboard::generate(&self.opts.roots, &self.opts.config, now, self.opts.utc)?;
        if let Some(w) = skipped.warning() {
            crate::error::warn(format_args!("{w}"));
        }
        let d = Arc::new(d);
        if let Ok(mut cache) = self.cache.lock() {
            *cache = Some(CachedDashboard {
                version,
                now,
                made: Instant::now(),
                dashboard: Arc::clone(&d),
            });
        }
        Ok(d)
    }
}

/// The router: pages, API, events, static files, with the token check and the
/// security headers around everything.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/runs", get(pages::runs))
        .route("/runs/{*run}", get(pages::run))
        .route("/chains", get(pages::chains))
        .route("/chains/{*chain}", get(pages::chain))
        .route("/journeys", get(pages::journeys))
        .route("/journeys/{*cuj}", get(pages::journey))
        .route("/skills", get(pages::skills))
        .route("/providers", get(pages::providers))
        .route("/usage", get(pages::usage))
        .route("/notifications", get(pages::notifications))
        .route("/api/dashboard", get(api::dashboard))
        .route("/api/runs", get(api::runs))
        .route("/api/runs/{*run}", get(api::run))
        .route("/api/chains/{*chain}", get(api::chain))
        .route("/api/cujs", get(api::cujs))
        .route("/api/cujs/{cuj}/trending", get(api::trending))
        .route("/api/skills", get(api::skills))
        .route("/api/providers", get(api::providers))
        .route("/api/usage", get(api::usage))
        .route("/api/notifications", get(api::notifications))
        .route("/api/notifications/read-all", post(api::read_all))
        .route("/api/notifications/{id}/{action}", post(api::mark))
        .route("/events", get(live::events))
        .route("/metrics", get(api::metrics))
        .route("/healthz", get(healthz))
        .route("/static/app.js", get(app_js))
        .route("/static/app.css", get(app_css))
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            auth::guard,
        ))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

const APP_JS: &str = include_str!("static/app.js");
const APP_CSS: &str = include_str!("static/app.css");

async fn app_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        APP_JS,
    )
        .into_response()
}

const FAVICON: &str = include_str!("static/favicon.svg");

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        FAVICON,
    )
        .into_response()
}

async fn app_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        APP_CSS,
    )
        .into_response()
}

/// Runs the server until SIGINT or SIGTERM: binds, starts the file followers, prints
/// `listening on http://ADDR` on standard error once connections are accepted, and
/// stops cleanly (open event streams are ended, then the process returns).
pub fn run(opts: ServeOptions, on_listen: impl FnOnce(SocketAddr)) -> Result<()> {
    opts.check()?;
    let redactor = Redactor::from_config(&opts.config.redact)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| Error::Start {
            what: "the server's worker threads".into(),
            source,
        })?;
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.bind)
            .await
            .map_err(|e| {
                Error::invalid("--bind", format!("cannot listen on {}: {e}", opts.bind))
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Socket {
            verb: "read the address of",
            addr: opts.bind.to_string(),
            source,
        })?;
        let (events, _) = broadcast::channel(4096);
        let (stop_tx, stop_rx) = watch::channel(false);
        let state = Arc::new(AppState {
            redactor,
            events: events.clone(),
            shutdown: stop_rx,
            version: AtomicU64::new(0),
            open_streams: AtomicUsize::new(0),
            cache: Mutex::new(None),
            computing: Mutex::new(()),
            opts,
        });
        live::start_followers(Arc::clone(&state))?;
        warm_dashboard(Arc::clone(&state))?;
        let app = router(Arc::clone(&state));
        on_listen(addr);
        let signal = async move {
            shutdown_signal().await;
            // Event streams never end on their own: tell them to.
            let _ = stop_tx.send(true);
        };
        let mut stopped = state.shutdown.clone();
        // A connection that does not close after the signal does not hold the exit.
        let deadline = async move {
            let _ = stopped.wait_for(|s| *s).await;
            tokio::time::sleep(Duration::from_secs(3)).await;
        };
        let server = axum::serve(listener, app).with_graceful_shutdown(signal);
        tokio::select! {
            r = server.into_future() => r.map_err(|source| Error::Socket {
                verb: "serve on",
                addr: addr.to_string(),
                source,
            })?,
            () = deadline => {}
        }
        Ok(())
    });
    // Report computations still running for a client that left are not waited for.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

/// Keeps the dashboard computed ahead of requests: once at start, then again whenever
/// records arrive (changes that arrive together are computed once).
fn warm_dashboard(state: Arc<AppState>) -> Result<()> {
    let mut rx = state.events.subscribe();
    std::thread::Builder::new()
        .name("dashboard".into())
        .spawn(move || {
            loop {
                if *state.shutdown.borrow() {
                    break;
                }
                if let Err(e) = state.dashboard(state.now()) {
                    crate::error::warn(format_args!("warning: computing the dashboard: {e}"));
                }
                // Wait for a change; take everything already queued with it.
                match rx.blocking_recv() {
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                }
                // Records often come in bursts: compute once the burst is over.
                std::thread::sleep(Duration::from_millis(50));
                while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = rx.try_recv() {}
            }
        })
        .map_err(|source| Error::Start {
            what: "the dashboard thread".into(),
            source,
        })?;
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without signal handlers, Ctrl-C still ends the process the default way.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
}
