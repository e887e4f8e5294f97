//! The dashboard document (SPEC §4): every stream summarized in one JSON value, saved
//! atomically to `analytics/metrics-dashboard.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Local, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::health::{self, Overall, PriceTable, StatusRow, Thresholds, UsageBy, UsageRow};
use crate::log::{self, Filter, GroupBy, StatsRow};
use crate::metrics::{self, CujWindowsRow, QualityBucket, QualityFilter, StandardWindows};
use crate::notifications::{self, NotificationRow};
use crate::progress;
use crate::record::{RunStatus, Timestamp};
use crate::store::{Roots, Skipped, Stream};

/// The file `generate` writes, under `analytics/`.
pub const DASHBOARD_FILE: &str = "metrics-dashboard.json";

/// Days the dashboard looks back.
pub const PERIOD_DAYS: i64 = 30;

use crate::time::DAY_MS;

/// Run and record counts over the period.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    /// Runs with progress events in the period.
    pub runs: u64,
    /// Of them, pending or running.
    pub active_runs: u64,
    /// Completed.
    pub completed_runs: u64,
    /// Failed.
    pub failed_runs: u64,
    /// Cancelled.
    pub cancelled_runs: u64,
    /// Skill invocations.
    pub invocations: u64,
    /// Journey executions.
    pub journey_executions: u64,
    /// Distinct journeys.
    pub journeys: u64,
    /// Distinct workflows (of journey executions and of progress runs).
    pub workflows: u64,
    /// Providers called (in the health window).
    pub providers: u64,
    /// Sandboxes (runs with source `sandbox`) with events in the period.
    #[serde(default)]
    pub sandboxes: u64,
    /// Of them, pending or running.
    #[serde(default)]
    pub active_sandboxes: u64,
}

/// A journey singled out, with the figure that singled it out.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Highlight {
    /// The journey.
    pub cuj_id: String,
    /// The figure (ms, or a rate).
    pub value: f64,
    /// Its executions in the window.
    pub runs: u64,
}

/// Journeys at the extremes over the last 7 days (reliability needs at least 5 runs).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Highlights {
    /// The window they are taken over.
    pub window: String,
    /// Lowest p50.
    pub fastest: Option<Highlight>,
    /// Highest p95.
    pub slowest: Option<Highlight>,
    /// Highest success rate.
    pub most_reliable: Option<Highlight>,
    /// Lowest success rate.
    pub least_reliable: Option<Highlight>,
}

/// Provider health now.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Providers {
    /// The overall status.
    pub overall: Overall,
    /// Each provider's.
    pub statuses: Vec<StatusRow>,
}

/// Renames (or, to `""`, drops) the `key` of a row's JSON object, keeping its place.
fn rename_key(value: Value, from: &str, to: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !(k == from && to.is_empty()))
                .map(|(k, v)| {
                    if k == from {
                        (to.to_string(), v)
                    } else {
                        (k, v)
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

/// Rows of the dashboard name their group by what it is (`skill`, `agent`, `model`)
/// instead of the generic `key` of `cc-log stats` and `cc-health usage` rows; totals
/// have no group at all.
macro_rules! named_row {
    ($(#[$doc:meta])* $name:ident, $row:ty, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub $row);

        impl std::ops::Deref for $name {
            type Target = $row;
            fn deref(&self) -> &$row {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let value = serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?;
                rename_key(value, "key", $field).serialize(s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let mut value = Value::deserialize(d)?;
                if $field.is_empty() {
                    if let Value::Object(m) = &mut value {
                        m.insert("key".into(), Value::Null);
                    }
                } else {
                    value = rename_key(value, $field, "key");
                }
                serde_json::from_value(value).map(Self).map_err(serde::de::Error::custom)
            }
        }
    };
}

named_row!(
    /// A skill's invocation figures (`skill` names it).
    SkillRow, StatsRow, "skill"
);
named_row!(
    /// An agent's invocation figures (`agent` names it).
    AgentRow, StatsRow, "agent"
);
named_row!(
    /// A model's tokens and cost (`model` names it).
    ModelUsage, UsageRow, "model"
);
named_row!(
    /// Tokens and cost over a period, all models together.
    UsageTotal, UsageRow, ""
);

/// Tokens and cost.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Since the start of today.
    pub today: UsageTotal,
    /// The last 7 days.
    #[serde(rename = "7d")]
    pub week: UsageTotal,
    /// The last 30 days.
    #[serde(rename = "30d")]
    pub month: UsageTotal,
    /// The last 30 days by model.
    pub by_model: Vec<ModelUsage>,
}

/// One day of the period.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Day {
    /// The date (local time zone, or UTC).
    pub date: String,
    /// Runs whose first event is on this day.
    pub runs_created: u64,
    /// Runs that completed on this day.
    pub runs_completed: u64,
    /// Runs that failed on this day.
    pub runs_failed: u64,
    /// Journey iterations recorded on this day.
    pub iterations: u64,
    /// Skill invocations.
    pub invocations: u64,
    /// Known cost (recorded and estimated), USD.
    pub cost_usd: f64,
    /// Sandboxes (runs with source `sandbox`) created on this day.
    #[serde(default)]
    pub sandboxes_created: u64,
    /// Runs carrying a workflow created on this day.
    #[serde(default)]
    pub workflows_created: u64,
}

/// Quality over the period, by day.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Quality {
    /// The configured threshold.
    pub threshold: f64,
    /// The whole period.
    pub overall: QualityBucket,
    /// Each day (UTC-aligned), oldest first.
    pub days: Vec<QualityBucket>,
}

/// What generating cost, and what the recorded runs used.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    /// Time to compute the document, ms.
    pub generation_ms: f64,
    /// This process's peak RSS, MiB.
    pub rss_mb: f64,
    /// This process's CPU time (user + system), ms.
    pub cpu_ms: f64,
    /// Journey executions with resource accounting in the period.
    pub measured_runs: u64,
    /// The largest peak RSS among them, MiB.
    pub peak_rss_mb: Option<f64>,
    /// Their user CPU time, ms.
    pub cpu_user_ms: f64,
    /// Their system CPU time, ms.
    pub cpu_system_ms: f64,
}

/// Notifications at a glance.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSummary {
    /// Unread, not dismissed.
    pub unread: u64,
    /// The latest ones, not dismissed, newest first.
    pub latest: Vec<NotificationRow>,
}

/// The dashboard document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    /// When it was computed.
    pub generated_at: Timestamp,
    /// How many days it covers.
    pub period_days: i64,
    /// Counts.
    pub counters: Counters,
    /// All journeys together, per window.
    pub windows: StandardWindows,
    /// Each journey, per window.
    pub cujs: Vec<CujWindowsRow>,
    /// Journeys at the extremes.
    pub highlights: Highlights,
    /// The top 10 skills by invocations.
    pub skills: Vec<SkillRow>,
    /// Agents by invocations.
    pub agents: Vec<AgentRow>,
    /// Provider health.
    pub providers: Providers,
    /// Tokens and cost.
    pub usage: Usage,
    /// The last 30 days.
    pub daily: Vec<Day>,
    /// Quality by day.
    pub quality: Quality,
    /// Resources.
    pub resources: Resources,
    /// Notifications.
    pub notifications: NotificationSummary,
}

/// The start of the day holding `now` (local, or UTC).
fn start_of_day(now: Timestamp, utc: bool) -> Timestamp {
    let dt = now.to_datetime();
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default();
    if utc {
        Timestamp::from(midnight(dt.date_naive()).and_utc())
    } else {
        let local = dt.with_timezone(&Local);
        match Local
            .from_local_datetime(&midnight(local.date_naive()))
            .earliest()
        {
            Some(m) => Timestamp::from(m.with_timezone(&chrono::Utc)),
            None => Timestamp(now.0 - now.0.rem_euclid(DAY_MS)),
        }
    }
}

fn highlights(cujs: &[CujWindowsRow]) -> Highlights {
    let week = |r: &CujWindowsRow| r.windows.week.clone();
    let pick = |value: &dyn Fn(&CujWindowsRow) -> Option<f64>, min_runs: u64, highest: bool| {
        cujs.iter()
            .filter(|r| week(r).total >= min_runs)
            .filter_map(|r| value(r).map(|v| (r, v)))
            .max_by(|(ra, a), (rb, b)| {
                let order = a.total_cmp(b).then(rb.cuj_id.cmp(&ra.cuj_id));
                if highest { order } else { order.reverse() }
            })
            .map(|(r, v)| Highlight {
                cuj_id: r.cuj_id.clone(),
                value: v,
                runs: week(r).total,
            })
    };
    Highlights {
        window: "7d".into(),
        fastest: pick(&|r| week(r).p50, 1, false),
        slowest: pick(&|r| week(r).p95, 1, true),
        most_reliable: pick(&|r| week(r).success_rate, 5, true),
        least_reliable: pick(&|r| week(r).success_rate, 5, false),
    }
}

/// This process's peak RSS (MiB) and CPU time (ms).
fn own_usage() -> (f64, f64) {
    // SAFETY: rusage is plain old data; getrusage only writes into it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a live rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let ms = |tv: libc::timeval| tv.tv_sec as f64 * 1e3 + tv.tv_usec as f64 / 1e3;
    (
        (ru.ru_maxrss as f64 / 1024.0 * 10.0).round() / 10.0,
        (ms(ru.ru_utime) + ms(ru.ru_stime)).round(),
    )
}

/// Computes the dashboard as of `now` (days in the local time zone, or UTC).
pub fn generate(
    roots: &Roots,
    config: &Config,
    now: Timestamp,
    utc: bool,
) -> Result<(Dashboard, Skipped)> {
    let started = Instant::now();
    // Malformed lines, per stream: several reads of a stream meet the same lines.
    let mut reads: BTreeMap<Stream, Skipped> = BTreeMap::new();
    let mut add = |stream: Stream, s: Skipped| reads.entry(stream).or_default().union(s);
    // The period: today and the 29 days before it, whole days (local time, or UTC).
    let today = start_of_day(now, utc);
    let first_day = Timestamp(today.0 - (PERIOD_DAYS - 1) * DAY_MS);
    let period_start = first_day;

    // Journeys: windows, per-CUJ figures, workflows, iterations and resources by day.
    let (cujs, windows, s) = metrics::all_windows_with_total(roots, now)?;
    add(Stream::CujMetrics, s);
    #[derive(Default)]
    struct JourneyAcc {
        executions: u64,
        workflows: std::collections::HashSet<String>,
        iterations: BTreeMap<String, u64>,
        measured: u64,
        peak: Option<f64>,
        user: f64,
        system: f64,
    }
    let (j, s) = metrics::fold(
        roots,
        period_start,
        now,
        JourneyAcc::default,
        |a, v| {
            a.executions += 1;
            if let Some(w) = &v.workflow {
                a.workflows.insert(w.to_string());
            }
            if let Some(i) = v.iterations.filter(|i| *i > 0.0) {
                *a.iterations.entry(v.timestamp.day(utc)).or_default() += i as u64;
            }
            if let Some(r) = v.resources {
                a.measured += 1;
                if let Some(p) = r.peak_rss_mb {
                    a.peak = Some(a.peak.map_or(p, |q: f64| q.max(p)));
                }
                a.user += r.cpu_user_ms.unwrap_or(0.0);
                a.system += r.cpu_system_ms.unwrap_or(0.0);
            }
        },
        |mut a, b| {
            a.executions += b.executions;
            a.workflows.extend(b.workflows);
            for (d, n) in b.iterations {
                *a.iterations.entry(d).or_default() += n;
            }
            a.measured += b.measured;
            a.peak = match (a.peak, b.peak) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            };
            a.user += b.user;
            a.system += b.system;
            a
        },
    )?;
    add(Stream::CujMetrics, s);

    // Skills, agents and invocations by day: one pass.
    let filter = Filter {
        since: Some(period_start),
        until: Some(now),
        ..Filter::default()
    };
    let (tables, s) = log::stats_many(
        roots,
        &filter,
        &[GroupBy::Skill, GroupBy::Agent, GroupBy::Day],
        utc,
    )?;
    add(Stream::SkillInvocations, s);
    let mut tables = tables.into_iter();
    let mut skills = tables.next().unwrap_or_default();
    let invocations: u64 = skills.iter().map(|r| r.count).sum();
    skills.truncate(10);
    let agents: Vec<StatsRow> = tables
        .next()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.key.is_some())
        .collect();
    let invocations_by_day: BTreeMap<String, u64> = tables
        .next()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.key.map(|k| (k, r.count)))
        .collect();

    // Runs.
    let (runs, s) = progress::all_runs(roots, Some(period_start), None, now)?;
    add(Stream::Progress, s);
    let count = |st: RunStatus| runs.iter().filter(|r| r.status == st).count() as u64;
    let mut created: BTreeMap<String, u64> = BTreeMap::new();
    let mut completed: BTreeMap<String, u64> = BTreeMap::new();
    let mut failed: BTreeMap<String, u64> = BTreeMap::new();
    let mut sandboxes_created: BTreeMap<String, u64> = BTreeMap::new();
    let mut workflows_created: BTreeMap<String, u64> = BTreeMap::new();
    let is_sandbox = |r: &progress::RunState| r.source.as_deref() == Some("sandbox");
    for r in &runs {
        *created.entry(r.started_at.day(utc)).or_default() += 1;
        if is_sandbox(r) {
            *sandboxes_created.entry(r.started_at.day(utc)).or_default() += 1;
        }
        if r.workflow.is_some() {
            *workflows_created.entry(r.started_at.day(utc)).or_default() += 1;
        }
        match r.status {
            RunStatus::Completed => *completed.entry(r.updated_at.day(utc)).or_default() += 1,
            RunStatus::Failed => *failed.entry(r.updated_at.day(utc)).or_default() += 1,
            _ => {}
        }
    }

    // Providers and cost.
    let th = Thresholds::from_config(&config.health, None)?;
    let (statuses, s) = health::statuses(roots, &th, now)?;
    add(Stream::ProviderHealth, s);
    let overall = health::overall(&statuses, th.window_ms);
    let prices = PriceTable::new(&config.pricing);
    let usage_since = |since: Timestamp| -> Result<(UsageRow, Skipped)> {
        let (rows, s) = health::usage(
            roots,
            UsageBy::Provider,
            Some(since),
            Some(now),
            &prices,
            utc,
        )?;
        Ok((health::total(&rows), s))
    };
    let (today_usage, s) = usage_since(today)?;
    add(Stream::ProviderHealth, s);
    let (week_usage, s) = usage_since(Timestamp(now.0 - 7 * DAY_MS))?;
    add(Stream::ProviderHealth, s);
    let (by_model, s) = health::usage(
        roots,
        UsageBy::Model,
        Some(period_start),
        Some(now),
        &prices,
        utc,
    )?;
    add(Stream::ProviderHealth, s);
    let month_usage = health::total(&by_model);
    let (by_day, s) = health::usage(
        roots,
        UsageBy::Day,
        Some(period_start),
        Some(now),
        &prices,
        utc,
    )?;
    add(Stream::ProviderHealth, s);
    let cost_by_day: BTreeMap<String, f64> = by_day
        .into_iter()
        .filter_map(|r| r.key.map(|k| (k, r.cost_usd.unwrap_or(0.0))))
        .collect();

    let daily = (0..PERIOD_DAYS)
        .map(|i| {
            let date = Timestamp(first_day.0 + i * DAY_MS + DAY_MS / 2).day(utc);
            let get = |m: &BTreeMap<String, u64>| m.get(&date).copied().unwrap_or(0);
            Day {
                runs_created: get(&created),
                runs_completed: get(&completed),
                runs_failed: get(&failed),
                iterations: get(&j.iterations),
                invocations: get(&invocations_by_day),
                cost_usd: cost_by_day.get(&date).copied().unwrap_or(0.0),
                sandboxes_created: get(&sandboxes_created),
                workflows_created: get(&workflows_created),
                date,
            }
        })
        .collect();

    let (q, s) = metrics::quality_report(
        roots,
        &QualityFilter::default(),
        PERIOD_DAYS as usize,
        DAY_MS,
        now,
        &config.quality,
    )?;
    add(Stream::CujMetrics, s);

    let (notes, s) = notifications::load(roots)?;
    add(Stream::Notifications, s);
    let unread = notes.iter().filter(|n| !n.read && !n.dismissed).count() as u64;
    let latest = notifications::list(
        &notes,
        notifications::Listing {
            unread_only: false,
            include_dismissed: false,
            limit: 5,
        },
    );

    let (rss_mb, cpu_ms) = own_usage();
    let dashboard = Dashboard {
        generated_at: now,
        period_days: PERIOD_DAYS,
        counters: Counters {
            runs: runs.len() as u64,
            active_runs: count(RunStatus::Running) + count(RunStatus::Pending),
            completed_runs: count(RunStatus::Completed),
            failed_runs: count(RunStatus::Failed),
            cancelled_runs: count(RunStatus::Cancelled),
            invocations,
            journey_executions: j.executions,
            journeys: cujs.len() as u64,
            workflows: {
                let mut all: std::collections::HashSet<&str> =
                    j.workflows.iter().map(String::as_str).collect();
                all.extend(runs.iter().filter_map(|r| r.workflow.as_deref()));
                all.len() as u64
            },
            providers: statuses.len() as u64,
            sandboxes: runs.iter().filter(|r| is_sandbox(r)).count() as u64,
            active_sandboxes: runs
                .iter()
                .filter(|r| is_sandbox(r) && !r.is_done())
                .count() as u64,
        },
        highlights: highlights(&cujs),
        windows,
        cujs,
        skills: skills.into_iter().map(SkillRow).collect(),
        agents: agents.into_iter().map(AgentRow).collect(),
        providers: Providers { overall, statuses },
        usage: Usage {
            today: UsageTotal(today_usage),
            week: UsageTotal(week_usage),
            month: UsageTotal(month_usage),
            by_model: by_model.into_iter().map(ModelUsage).collect(),
        },
        daily,
        quality: Quality {
            threshold: q.threshold,
            overall: q.overall,
            days: q.buckets,
        },
        resources: Resources {
            generation_ms: (started.elapsed().as_secs_f64() * 1e4).round() / 10.0,
            rss_mb,
            cpu_ms,
            measured_runs: j.measured,
            peak_rss_mb: j.peak,
            cpu_user_ms: j.user.round(),
            cpu_system_ms: j.system.round(),
        },
        notifications: NotificationSummary { unread, latest },
    };
    let mut skipped = Skipped::default();
    for s in reads.into_values() {
        skipped.merge(s);
    }
    Ok((dashboard, skipped))
}

/// Where the dashboard is saved in `root`.
pub fn dashboard_path(root: &Path) -> PathBuf {
    Stream::CujMetrics.dir(root).join(DASHBOARD_FILE)
}

/// Writes `bytes` to `path` atomically (temporary file, synced, renamed), mode 0600 in
/// folders created 0700: the saved dashboard and the HTML report stay private.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::store::safe::write_atomic(
        path,
        bytes,
        crate::store::safe::PRIVATE_FILE,
        crate::store::safe::PRIVATE_DIR,
    )
    .map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Saves the dashboard (pretty JSON) atomically to `analytics/metrics-dashboard.json`,
/// and what its read skipped (malformed lines, pruned days) beside it in `.ccmon/`, so
/// that `view` showing the saved dashboard says the same warnings and exits as the read
/// did. A sidecar that cannot be written is removed: `view` then reads afresh.
pub fn save(root: &Path, dashboard: &Dashboard, skipped: &Skipped) -> Result<PathBuf> {
    let path = dashboard_path(root);
    let mut bytes = serde_json::to_vec_pretty(dashboard).map_err(|e| Error::Internal {
        what: "serializing the dashboard",
        message: e.to_string(),
    })?;
    bytes.push(b'\n');
    write_atomic(&path, &bytes)?;
    let side = SavedSkipped {
        generated_at: dashboard.generated_at,
        count: skipped.count,
        locations: skipped
            .locations
            .iter()
            .map(|(_, line, at)| (*line, at.clone()))
            .collect(),
        pruned: skipped.pruned.clone(),
    };
    // Nothing under .ccmon when rollups are off (`CC_ROLLUPS=off` builds nothing
    // there); `view` then reads afresh each time.
    let written = crate::rollup::enabled()
        && crate::rollup::usable(root)
        && serde_json::to_vec(&side)
            .ok()
            .is_some_and(|bytes| write_atomic(&skipped_path(root), &bytes).is_ok());
    if !written {
        let _ = std::fs::remove_file(skipped_path(root));
    }
    Ok(path)
}

/// What a saved dashboard's read skipped (see [`save`]).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedSkipped {
    /// The dashboard it belongs to.
    generated_at: Timestamp,
    count: u64,
    /// Line numbers and `file:line` texts of the first few.
    locations: Vec<(u64, String)>,
    pruned: Vec<String>,
}

fn skipped_path(root: &Path) -> PathBuf {
    root.join(".ccmon").join("dashboard-skipped.json")
}

/// Reads a small file of ccmon's own without following a symbolic link.
fn read_own(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    crate::store::safe::open_read(path)
        .ok()?
        .take(MAX_SAVED_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(bytes)
}

/// Larger than any saved dashboard (a few tens of KiB): a bigger file is not ours.
const MAX_SAVED_BYTES: u64 = 64 << 20;

/// The saved dashboard and what its read skipped, if both are there, parse and belong
/// together.
pub fn load_saved(root: &Path) -> Option<(Dashboard, Skipped)> {
    let dashboard: Dashboard = serde_json::from_slice(&read_own(&dashboard_path(root))?).ok()?;
    if !crate::rollup::usable(root) {
        return None;
    }
    let side: SavedSkipped = serde_json::from_slice(&read_own(&skipped_path(root))?).ok()?;
    if side.generated_at != dashboard.generated_at {
        return None;
    }
    let skipped = Skipped {
        count: side.count,
        locations: side
            .locations
            .into_iter()
            .map(|(line, at)| (0, line, at))
            .collect(),
        pruned: side.pruned,
    };
    Some((dashboard, skipped))
}

/// The document as a JSON value.
pub fn to_value(d: &Dashboard) -> Value {
    serde_json::to_value(d).unwrap_or(Value::Null)
}
