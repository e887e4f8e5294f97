//! The JSON API (SPEC §11): each route returns the document the matching command prints
//! with `--json` under the same `CC_NOW`, computed by the same library function, and
//! written by the same JSON writer.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use crate::dashboard::export;
use crate::error::{Error, Result};
use crate::health::{self, PriceTable, Thresholds, UsageBy};
use crate::log::{self, Filter, GroupBy};
use crate::metrics;
use crate::notifications::{self, Listing};
use crate::progress::{self, chain::RunQuery};
use crate::record::{NotificationType, RunStatus, Timestamp};
use crate::timespec;
use crate::writer::Writer;

/// Query parameters, as given.
pub type Params = Query<BTreeMap<String, String>>;

/// An error answered as `{"error": MESSAGE}`: 400 for bad input (the message names the
/// parameter), 404 for something that does not exist, 500 otherwise. Messages are
/// redacted like everything else the server sends.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong.
    pub message: String,
}

impl ApiError {
    /// Wraps a library error with the status its exit code stands for.
    pub fn from_error(e: Error, state: &AppState) -> ApiError {
        let status = if e.exit() == crate::Exit::Usage {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        ApiError {
            status,
            message: state.redactor.redact_str(&e.to_string()).into_owned(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        (self.status, json_bytes(&body)).into_response()
    }
}

/// The bytes `output::write_json` prints for `value`, as an `application/json` body.
fn json_bytes<T: Serialize + ?Sized>(
    value: &T,
) -> ([(header::HeaderName, &'static str); 2], Vec<u8>) {
    let mut buf = Vec::new();
    // Writing to a Vec fails only for values that cannot be serialized; ours can.
    let _ = crate::output::write_json(&mut buf, value);
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        buf,
    )
}

/// A 200 JSON answer, redacted: records written by other tools reach the API as they
/// are stored, and nothing leaves the server unredacted.
pub fn json<T: Serialize + ?Sized>(state: &AppState, value: &T) -> Response {
    match serde_json::to_value(value) {
        Ok(mut v) => {
            state.redactor.redact_value(&mut v);
            json_bytes(&v).into_response()
        }
        Err(e) => ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: e.to_string(),
        }
        .into_response(),
    }
}

/// Runs a blocking report computation off the async workers.
pub async fn blocking<T, F>(state: &Arc<AppState>, f: F) -> std::result::Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&AppState) -> Result<T> + Send + 'static,
{
    let st = Arc::clone(state);
    match tokio::task::spawn_blocking(move || f(&st)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ApiError::from_error(e, state)),
        Err(e) => Err(ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("the report failed: {e}"),
        }),
    }
}

fn warn(skipped: &crate::store::Skipped) {
    if let Some(w) = skipped.warning() {
        crate::error::warn(format_args!("{w}"));
    }
}

/// A positive duration parameter (ms), `default` when absent.
pub fn duration_param(p: &BTreeMap<String, String>, name: &str, default: i64) -> Result<i64> {
    match p.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(v) => {
            let ms = timespec::parse_duration_ms(v, name)?;
            if ms < 1.0 {
                return Err(Error::invalid(name, format!("{v:?} must be at least 1ms")));
            }
            Ok(ms.min(i64::MAX as f64) as i64)
        }
    }
}

/// A whole-number parameter in `range`, `default` when absent.
pub fn count_param(
    p: &BTreeMap<String, String>,
    name: &str,
    default: usize,
    range: std::ops::RangeInclusive<usize>,
) -> Result<usize> {
    match p.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(Error::invalid(
                name,
                format!(
                    "{v:?} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            )),
        },
    }
}

/// `status=` of the run list.
pub fn status_param(p: &BTreeMap<String, String>) -> Result<Option<RunStatus>> {
    match p.get("status").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => serde_json::from_value(serde_json::Value::String(v.to_string()))
            .map(Some)
            .map_err(|_| {
                Error::invalid(
                    "status",
                    "expected one of pending, running, completed, failed, cancelled",
                )
            }),
    }
}

fn nonempty(p: &BTreeMap<String, String>, name: &str) -> Option<String> {
    p.get(name)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The run list query of `/api/runs` and `/runs` (`cc-progress runs` defaults).
pub fn run_query(p: &BTreeMap<String, String>, now: Timestamp) -> Result<RunQuery> {
    Ok(RunQuery {
        status: status_param(p)?,
        source: nonempty(p, "source"),
        workflow: nonempty(p, "workflow"),
        // `cc-progress runs` shows a running run silent for over an hour as stale.
        stale_after_ms: Some(crate::time::HOUR_MS as f64),
        now,
        limit: count_param(p, "limit", 20, 0..=100_000)?,
        page: count_param(p, "page", 1, 1..=1_000_000)?,
    })
}

/// `GET /api/dashboard` = `cc-dashboard json`.
pub async fn dashboard(State(state): State<Arc<AppState>>) -> Response {
    match blocking(&state, |s| s.dashboard(s.now())).await {
        Ok(d) => json(&state, &*d),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/runs` = `cc-progress runs --json`.
pub async fn runs(State(state): State<Arc<AppState>>, Query(p): Params) -> Response {
    let r = blocking(&state, move |s| {
        let q = run_query(&p, s.now())?;
        let prices = crate::health::PriceTable::new(&s.opts.config.pricing);
        let (rows, _, skipped) = progress::chain::run_list(&s.opts.roots, None, &q, &prices)?;
        warn(&skipped);
        Ok(rows)
    })
    .await;
    match r {
        Ok(rows) => json(&state, &rows),
        Err(e) => e.into_response(),
    }
}

fn check_name(value: &str, field: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Ok(())
}

/// `GET /api/runs/RUN` = `cc-progress current RUN --json` (`null`, with 404, when the
/// run has no events).
pub async fn run(State(state): State<Arc<AppState>>, Path(run): Path<String>) -> Response {
    let r = blocking(&state, move |s| {
        check_name(&run, "RUN")?;
        let prices = crate::health::PriceTable::new(&s.opts.config.pricing);
        let (st, skipped) = progress::chain::current_run(&s.opts.roots, &run, s.now(), &prices)?;
        warn(&skipped);
        Ok(st)
    })
    .await;
    match r {
        Ok(Some(st)) => json(&state, &st),
        Ok(None) => (StatusCode::NOT_FOUND, json_bytes(&serde_json::Value::Null)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/chains/CHAIN` = `cc-progress chain CHAIN --json`.
pub async fn chain(State(state): State<Arc<AppState>>, Path(chain): Path<String>) -> Response {
    let r = blocking(&state, move |s| {
        check_name(&chain, "CHAIN")?;
        let (c, skipped) = progress::chain::chain(&s.opts.roots, &chain, s.now())?;
        warn(&skipped);
        Ok(c)
    })
    .await;
    match r {
        Ok(Some(c)) => json(&state, &c),
        Ok(None) => (StatusCode::NOT_FOUND, json_bytes(&serde_json::Value::Null)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/cujs?window=` = `cc-metrics all [WINDOW] --json`.
pub async fn cujs(State(state): State<Arc<AppState>>, Query(p): Params) -> Response {
    let r = blocking(&state, move |s| {
        let now = s.now();
        if p.get("window").is_some_and(|w| !w.trim().is_empty()) {
            let window = duration_param(&p, "window", 0)?;
            let (rows, skipped) = metrics::all_report(&s.opts.roots, window, now)?;
            warn(&skipped);
            Ok(serde_json::to_value(rows).unwrap_or_default())
        } else {
            let (rows, skipped) = metrics::all_windows_report(&s.opts.roots, now)?;
            warn(&skipped);
            Ok(serde_json::to_value(rows).unwrap_or_default())
        }
    })
    .await;
    match r {
        Ok(v) => json(&state, &v),
        Err(e) => e.into_response(),
    }
}

/// `GET /api/cujs/CUJ/trending?buckets=&bucket=` = `cc-metrics trending CUJ --json`.
pub async fn trending(
    State(state): State<Arc<AppState>>,
    Path(cuj): Path<String>,
    Query(p): Params,
) -> Response {
    let r = blocking(&state, move |s| {
        check_name(&cuj, "CUJ")?;
        let count = count_param(&p, "buckets", 24, 1..=10_000)?;
        let size = duration_param(&p, "bucket", 3_600_000)?;
        let (t, skipped) = metrics::trend_report(&s.opts.roots, &cuj, count, size, s.now())?;
        warn(&skipped);
        Ok(t)
    })
    .await;
    match r {
        Ok(t) => json(&state, &t),
        Err(e) => e.into_response(),
    }
}

/// `by=` of the skills table.
pub fn group_param(p: &BTreeMap<String, String>) -> Result<GroupBy> {
    Ok(match nonempty(p, "by").as_deref() {
        None | Some("skill") => GroupBy::Skill,
        Some("agent") => GroupBy::Agent,
        Some("cuj") => GroupBy::Cuj,
        Some("result") => GroupBy::Result,
        Some("day") => GroupBy::Day,
        Some(_) => {
            return Err(Error::invalid(
                "by",
                "expected one of skill, agent, cuj, result, day",
            ));
        }
    })
}

/// `GET /api/skills?by=` = `cc-log stats [--by BY] --json`.
pub async fn skills(State(state): State<Arc<AppState>>, Query(p): Params) -> Response {
    let r = blocking(&state, move |s| {
        let by = group_param(&p)?;
        let (rows, skipped) = log::stats(&s.opts.roots, &Filter::default(), by, s.opts.utc)?;
        warn(&skipped);
        Ok(rows)
    })
    .await;
    match r {
        Ok(rows) => json(&state, &rows),
        Err(e) => e.into_response(),
    }
}

/// Provider status rows in the configured window.
pub fn provider_rows(s: &AppState) -> Result<(Vec<health::StatusRow>, Thresholds)> {
    let th = Thresholds::from_config(&s.opts.config.health, None)?;
    let (rows, skipped) = health::statuses(&s.opts.roots, &th, s.now())?;
    warn(&skipped);
    Ok((rows, th))
}

/// `GET /api/providers` = `cc-health status --json`.
pub async fn providers(State(state): State<Arc<AppState>>) -> Response {
    match blocking(&state, |s| provider_rows(s).map(|r| r.0)).await {
        Ok(rows) => json(&state, &rows),
        Err(e) => e.into_response(),
    }
}

/// `by=` of the usage table.
pub fn usage_by_param(p: &BTreeMap<String, String>) -> Result<UsageBy> {
    Ok(match nonempty(p, "by").as_deref() {
        None | Some("provider") => UsageBy::Provider,
        Some("model") => UsageBy::Model,
        Some("day") => UsageBy::Day,
        Some("step") => UsageBy::Step,
        Some("run") => UsageBy::Run,
        Some(_) => {
            return Err(Error::invalid(
                "by",
                "expected one of provider, model, day, step, run",
            ));
        }
    })
}

/// Usage rows for `by` since `since` (a TIME).
pub fn usage_rows(s: &AppState, by: UsageBy, since: Option<&str>) -> Result<Vec<health::UsageRow>> {
    let now = s.now();
    let since = since
        .map(|v| {
            timespec::parse_time(v, "since", now.to_datetime(), s.opts.utc).map(Timestamp::from)
        })
        .transpose()?;
    let prices = PriceTable::new(&s.opts.config.pricing);
    let (rows, skipped) = health::usage(&s.opts.roots, by, since, None, &prices, s.opts.utc)?;
    warn(&skipped);
    Ok(rows)
}

/// `GET /api/usage?by=&since=` = `cc-health usage [--by BY] [--since T] --json`.
pub async fn usage(State(state): State<Arc<AppState>>, Query(p): Params) -> Response {
    let r = blocking(&state, move |s| {
        let by = usage_by_param(&p)?;
        usage_rows(s, by, nonempty(&p, "since").as_deref())
    })
    .await;
    match r {
        Ok(rows) => json(&state, &rows),
        Err(e) => e.into_response(),
    }
}

fn flag(p: &BTreeMap<String, String>, name: &str) -> Result<bool> {
    match nonempty(p, name).as_deref() {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(Error::invalid(name, "expected true or false")),
    }
}

/// The notification listing of a query (`cc-dashboard notifications` defaults).
pub fn listing(p: &BTreeMap<String, String>) -> Result<Listing> {
    Ok(Listing {
        unread_only: flag(p, "unread")?,
        include_dismissed: flag(p, "all")?,
        limit: count_param(p, "limit", 20, 0..=1_000_000)?,
    })
}

/// `GET /api/notifications?unread=&all=&limit=` = `cc-dashboard notifications --json`.
pub async fn notifications(State(state): State<Arc<AppState>>, Query(p): Params) -> Response {
    let r = blocking(&state, move |s| {
        let how = listing(&p)?;
        let (rows, skipped) = notifications::load(&s.opts.roots)?;
        warn(&skipped);
        let mut shown = notifications::list(&rows, how);
        for r in &mut shown {
            s.redactor.redact_opt(&mut r.message);
        }
        Ok(shown)
    })
    .await;
    match r {
        Ok(rows) => json(&state, &rows),
        Err(e) => e.into_response(),
    }
}

fn writer(s: &AppState) -> Result<Writer> {
    Ok(Writer::new(
        s.opts.roots.primary(),
        crate::redact::Redactor::from_config(&s.opts.config.redact)?,
        s.opts.config.host,
        s.opts.fsync,
    ))
}

/// A form posted by a page without JavaScript is answered with the page again; a
/// script gets JSON.
fn answer(state: &AppState, headers: &HeaderMap, marked: usize) -> Response {
    let from_form = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if from_form {
        (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, "/notifications")],
        )
            .into_response()
    } else {
        json(state, &serde_json::json!({ "marked": marked }))
    }
}

/// `POST /api/notifications/ID/read` and `.../dismiss`: appends the state record, as
/// `cc-dashboard notifications read|dismiss ID` does.
pub async fn mark(
    State(state): State<Arc<AppState>>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let kind = match action.as_str() {
        "read" => NotificationType::Read,
        "dismiss" => NotificationType::Dismissed,
        _ => {
            return ApiError {
                status: StatusCode::NOT_FOUND,
                message: "expected /api/notifications/ID/read or /dismiss".into(),
            }
            .into_response();
        }
    };
    let r = blocking(&state, move |s| {
        notifications::mark(&s.opts.roots, &writer(s)?, Some(&id), kind)
    })
    .await;
    match r {
        Ok(n) => answer(&state, &headers, n),
        // An unknown id is the only bad input here.
        Err(mut e) if e.status == StatusCode::BAD_REQUEST => {
            e.status = StatusCode::NOT_FOUND;
            e.into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// `POST /api/notifications/read-all` = `cc-dashboard notifications read --all`.
pub async fn read_all(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let r = blocking(&state, |s| {
        notifications::mark(&s.opts.roots, &writer(s)?, None, NotificationType::Read)
    })
    .await;
    match r {
        Ok(n) => answer(&state, &headers, n),
        Err(e) => e.into_response(),
    }
}

/// `GET /metrics`: the Prometheus text of `cc-dashboard export --format prometheus`,
/// plus the number of open event streams.
pub async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let r = blocking(&state, |s| {
        let d = s.dashboard(s.now())?;
        let (fleet, skipped) = crate::dashboard::fleet::Fleet::collect(
            &s.opts.roots,
            &crate::health::PriceTable::new(&s.opts.config.pricing),
            &crate::redact::Redactor::from_config(&s.opts.config.redact)?,
            s.now(),
        )?;
        warn(&skipped);
        let mut text = export::prometheus(&fleet, &d);
        text.push_str(
            "# HELP ccmon_serve_event_streams Event streams (GET /events) open now.\n\
             # TYPE ccmon_serve_event_streams gauge\n",
        );
        text.push_str(&format!(
            "ccmon_serve_event_streams {}\n",
            s.open_streams.load(std::sync::atomic::Ordering::Acquire)
        ));
        Ok(text)
    })
    .await;
    match r {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
