//! `cc-health` for people (see [`Render`]), and the monitoring-plugin line of `check`.

use serde::Serialize;

use super::status::{ErrorRow, Health, Overall, StatusRow};
use super::usage::{UsageBy, UsageRow, total};
use crate::error::PluginStatus;
use crate::output::{
    self, Block, Render, Span, Style, TableModel, human_duration, human_opt_duration, human_rate,
    one_line,
};

/// One row per provider with the reason for its status, then the last error of each
/// provider that has one.
fn status_blocks(rows: &[StatusRow], style: &Style) -> Vec<Block> {
    let mut t = TableModel::new(&[
        "PROVIDER", "STATUS", "AVAIL", "CALLS", "FAILED", "P50", "P95", "P99", "REASON",
    ])
    .right(&[2, 3, 4, 5, 6, 7]);
    for r in rows {
        t.push(vec![
            output::clean(&r.provider).into(),
            Span::status(r.status.as_str()),
            human_rate(r.availability).replace("no data", "-").into(),
            r.calls.to_string().into(),
            r.failures.to_string().into(),
            human_opt_duration(r.p50).into(),
            human_opt_duration(r.p95).into(),
            human_opt_duration(r.p99).into(),
            output::clean(&r.reason).into(),
        ]);
    }
    let mut blocks = vec![Block::Table(t)];
    let errors: Vec<&StatusRow> = rows.iter().filter(|r| r.last_error.is_some()).collect();
    if !errors.is_empty() {
        blocks.push(Block::text(""));
        for r in errors {
            let at = r
                .last_error_at
                .map(|t| output::human_time(t, style.utc))
                .unwrap_or_default();
            blocks.push(Block::text(format!(
                "last error of {} ({at}): {}",
                output::clean(&r.provider),
                one_line(r.last_error.as_deref().unwrap_or(""), 120)
            )));
        }
    }
    blocks
}

/// `status` and `compare`: every provider with calls in the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct StatusesReport {
    /// The window, milliseconds (named when no provider has calls in it).
    #[serde(skip)]
    pub window_ms: i64,
    /// One row per provider.
    pub rows: Vec<StatusRow>,
}

impl Render for StatusesReport {
    fn empty(&self) -> Option<String> {
        self.rows.is_empty().then(|| {
            format!(
                "no provider calls in the last {}",
                output::human_window(self.window_ms)
            )
        })
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        status_blocks(&self.rows, style)
    }
}

/// `status PROVIDER`: one provider's row (one object in JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ProviderStatusReport(pub StatusRow);

impl Render for ProviderStatusReport {
    fn human(&self, style: &Style) -> Vec<Block> {
        status_blocks(std::slice::from_ref(&self.0), style)
    }
}

/// `overall`: the status word and the reason.
impl Render for Overall {
    fn human(&self, _: &Style) -> Vec<Block> {
        vec![Block::Line(vec![
            Span::status(self.status.as_str()),
            Span::from(format!(": {}", output::clean(&self.reason))),
        ])]
    }
}

/// `errors`: the most recent failed calls, their messages redacted.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ErrorsReport {
    /// The provider asked about, if one was.
    #[serde(skip)]
    pub provider: Option<String>,
    /// Newest first.
    pub rows: Vec<ErrorRow>,
}

/// `errors`: the `limit` most recent failed calls (to `provider`, or to any), newest
/// first, their messages redacted by `redactor` (calls written by other tools never
/// went through our writer).
pub fn errors_report(
    roots: &crate::store::Roots,
    provider: Option<&str>,
    limit: usize,
    redactor: &crate::redact::Redactor,
) -> crate::Result<(ErrorsReport, crate::store::Skipped)> {
    let (mut rows, skipped) = super::status::recent_errors(roots, provider, limit)?;
    for r in &mut rows {
        if let Some(e) = &mut r.error {
            *e = redactor.redact_str(e).into_owned();
        }
    }
    let report = ErrorsReport {
        provider: provider.map(str::to_string),
        rows,
    };
    Ok((report, skipped))
}

impl Render for ErrorsReport {
    fn empty(&self) -> Option<String> {
        self.rows.is_empty().then(|| match &self.provider {
            Some(p) => format!("no failed calls to {p}"),
            None => "no failed calls".into(),
        })
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&["TIME", "PROVIDER", "MODEL", "CODE", "ERROR"]).right(&[3]);
        for r in &self.rows {
            t.push(vec![
                output::human_time(r.timestamp, style.utc).into(),
                output::clean(&r.provider).into(),
                output::clean(r.model.as_deref().unwrap_or("-")).into(),
                r.status_code.map_or("-".into(), |c| c.to_string()).into(),
                one_line(r.error.as_deref().unwrap_or("-"), 80).into(),
            ]);
        }
        vec![Block::Table(t)]
    }
}

/// `usage`: tokens and cost per group, a total, and the unpriced models.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct UsageReport {
    /// What the rows are grouped by (names the first column).
    #[serde(skip)]
    pub by: UsageBy,
    /// One row per group.
    pub rows: Vec<UsageRow>,
}

impl Render for UsageReport {
    fn empty(&self) -> Option<String> {
        self.rows
            .is_empty()
            .then(|| "no provider calls match".into())
    }

    fn human(&self, _: &Style) -> Vec<Block> {
        let rows = &self.rows;
        let total = total(rows);
        let mut t = TableModel::new(&[
            self.by.header(),
            "CALLS",
            "INPUT",
            "OUTPUT",
            "CACHE READ",
            "CACHE WRITE",
            "COST",
        ])
        .right(&[1, 2, 3, 4, 5, 6]);
        let cells = |label: String, r: &UsageRow| -> Vec<Span> {
            vec![
                output::clean(&label).into(),
                grouped(r.calls).into(),
                grouped(r.input_tokens).into(),
                grouped(r.output_tokens).into(),
                grouped(r.cache_read_tokens).into(),
                grouped(r.cache_write_tokens).into(),
                cost(r).into(),
            ]
        };
        for r in rows {
            t.push(cells(r.key.clone().unwrap_or_else(|| "-".into()), r));
        }
        if rows.len() > 1 {
            t.push(cells("TOTAL".into(), &total));
        }
        let mut blocks = vec![Block::Table(t)];
        if total.estimated {
            blocks.push(Block::text("~ estimated from the price table (see --help)"));
        }
        if !total.unpriced_models.is_empty() {
            blocks.push(Block::text(format!(
                "unpriced (no known price; add them under \"pricing\" in ccmon.json): {}",
                total.unpriced_models.join(", ")
            )));
        }
        let services: Vec<String> = rows
            .iter()
            .filter(|r| !r.quantities.is_empty())
            .map(|r| {
                let q: Vec<String> = r
                    .quantities
                    .iter()
                    .map(|(unit, n)| format!("{} {unit}", quantity(*n)))
                    .collect();
                format!("{} {}", r.key.as_deref().unwrap_or("-"), q.join(", "))
            })
            .collect();
        if !services.is_empty() {
            blocks.push(Block::text(format!(
                "service usage: {}",
                services.join("; ")
            )));
        }
        blocks
    }
}

/// Thousands separated by spaces: `12 345 678`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A cost for people: `$1.23`, `~$1.23` when estimated, `$1.23 + unpriced`,
/// `unpriced` when nothing could be priced, `-` when there was nothing to price.
pub fn cost(r: &UsageRow) -> String {
    let mark = if r.estimated { "~" } else { "" };
    let known = r.cost_usd.map(|c| {
        if c > 0.0 && c < 0.01 {
            format!("{mark}${c:.4}")
        } else {
            format!("{mark}${c:.2}")
        }
    });
    match (known, r.unpriced_models.is_empty()) {
        (Some(k), true) => k,
        (Some(k), false) => format!("{k} + unpriced"),
        (None, false) => "unpriced".into(),
        (None, true) => "-".into(),
    }
}

/// A quantity without needless decimals: `45`, `12.5`.
fn quantity(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{}", (n * 1000.0).round() / 1000.0)
    }
}

/// The plugin verdict of a status: OK, WARNING (degraded), CRITICAL (down), UNKNOWN.
pub fn plugin_code(h: Health) -> PluginStatus {
    match h {
        Health::Healthy => PluginStatus::Ok,
        Health::Degraded => PluginStatus::Warning,
        Health::Down => PluginStatus::Critical,
        Health::Unknown => PluginStatus::Unknown,
    }
}

fn plugin_word(h: Health) -> &'static str {
    match plugin_code(h) {
        PluginStatus::Ok => "OK",
        PluginStatus::Warning => "WARNING",
        PluginStatus::Critical => "CRITICAL",
        PluginStatus::Unknown => "UNKNOWN",
    }
}

/// A performance-data label: letters, digits and `_`, `-`, `.` kept, others as `_`.
fn label(provider: &str) -> String {
    provider
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn perf(prefix: &str, r: &StatusRow) -> String {
    let mut parts = Vec::new();
    if let Some(a) = r.availability {
        parts.push(format!("{prefix}availability={}", round(a, 4)));
    }
    if let Some(p) = r.p95 {
        parts.push(format!("{prefix}p95_ms={}", round(p, 1)));
    }
    parts.push(format!("{prefix}calls={}", r.calls));
    parts.push(format!("{prefix}failures={}", r.failures));
    parts.join(" ")
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// `check PROVIDER`: `CC-HEALTH OK - anthropic healthy (99.2%, p95 1.20s) | availability=0.992 p95_ms=1200 calls=250 failures=2`.
pub fn check_provider(r: &StatusRow) -> String {
    let summary = match r.status {
        Health::Unknown => format!(
            "{}: {}",
            output::clean(&r.provider),
            output::clean(&r.reason)
        ),
        _ => {
            let mut figures = human_rate(r.availability);
            if let Some(p) = r.p95 {
                figures.push_str(&format!(", p95 {}", human_duration(p)));
            }
            let why = if r.status == Health::Healthy {
                String::new()
            } else {
                format!(": {}", output::clean(&r.reason))
            };
            format!(
                "{} {} ({figures}){why}",
                output::clean(&r.provider),
                r.status.as_str()
            )
        }
    };
    format!(
        "CC-HEALTH {} - {summary} | {}",
        plugin_word(r.status),
        perf("", r)
    )
}

/// `check`: the overall status, with every provider's performance data.
pub fn check_overall(o: &Overall, rows: &[StatusRow]) -> String {
    let perfs: Vec<String> = rows
        .iter()
        .filter(|r| r.status != Health::Unknown)
        .map(|r| perf(&format!("{}_", label(&r.provider)), r))
        .collect();
    let mut line = format!(
        "CC-HEALTH {} - {}: {}",
        plugin_word(o.status),
        o.status.as_str(),
        o.reason
    );
    if !perfs.is_empty() {
        line.push_str(" | ");
        line.push_str(&perfs.join(" "));
    }
    line
}
