//! `cc-health` for people, and the monitoring-plugin line of `check`.

use std::io::{self, Write};

use comfy_table::{Cell, CellAlignment, Table};

use super::status::{ErrorRow, Health, Overall, StatusRow};
use super::usage::{UsageBy, UsageRow};
use crate::output::{self, Style, human_duration, human_opt_duration, human_rate, one_line};

fn right_align(t: &mut Table, columns: &[usize]) {
    for &i in columns {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// `status` and `compare`: one row per provider with the reason for its status.
pub fn statuses(out: &mut dyn Write, rows: &[StatusRow], style: Style) -> io::Result<()> {
    let mut t = output::table(
        style,
        &[
            "PROVIDER", "STATUS", "AVAIL", "CALLS", "FAILED", "P50", "P95", "P99", "REASON",
        ],
    );
    for r in rows {
        t.add_row(vec![
            Cell::new(output::clean(&r.provider)),
            output::status_cell(r.status.as_str(), style),
            Cell::new(human_rate(r.availability).replace("no data", "-")),
            Cell::new(r.calls),
            Cell::new(r.failures),
            Cell::new(human_opt_duration(r.p50)),
            Cell::new(human_opt_duration(r.p95)),
            Cell::new(human_opt_duration(r.p99)),
            Cell::new(output::clean(&r.reason)),
        ]);
    }
    right_align(&mut t, &[2, 3, 4, 5, 6, 7]);
    output::write_table(out, &t)?;
    let errors: Vec<&StatusRow> = rows.iter().filter(|r| r.last_error.is_some()).collect();
    if !errors.is_empty() {
        writeln!(out)?;
        for r in errors {
            let at = r
                .last_error_at
                .map(|t| output::human_time(t, style.utc))
                .unwrap_or_default();
            writeln!(
                out,
                "last error of {} ({at}): {}",
                output::clean(&r.provider),
                one_line(r.last_error.as_deref().unwrap_or(""), 120)
            )?;
        }
    }
    Ok(())
}

/// `overall`: the status word and the reason.
pub fn overall(out: &mut dyn Write, o: &Overall, style: Style) -> io::Result<()> {
    let word = output::paint(
        o.status.as_str(),
        output::status_color(o.status.as_str()),
        style.color,
    );
    writeln!(out, "{word}: {}", output::clean(&o.reason))
}

/// `errors`: the most recent failed calls.
pub fn errors(out: &mut dyn Write, rows: &[ErrorRow], style: Style) -> io::Result<()> {
    let mut t = output::table(style, &["TIME", "PROVIDER", "MODEL", "CODE", "ERROR"]);
    for r in rows {
        t.add_row(vec![
            Cell::new(output::human_time(r.timestamp, style.utc)),
            Cell::new(output::clean(&r.provider)),
            Cell::new(output::clean(r.model.as_deref().unwrap_or("-"))),
            Cell::new(r.status_code.map_or("-".into(), |c| c.to_string())),
            Cell::new(one_line(r.error.as_deref().unwrap_or("-"), 80)),
        ]);
    }
    right_align(&mut t, &[3]);
    output::write_table(out, &t)
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

/// `usage`: tokens and cost per group, a total, and the unpriced models.
pub fn usage(
    out: &mut dyn Write,
    rows: &[UsageRow],
    total: &UsageRow,
    by: UsageBy,
    style: Style,
) -> io::Result<()> {
    let mut t = output::table(
        style,
        &[
            by.header(),
            "CALLS",
            "INPUT",
            "OUTPUT",
            "CACHE READ",
            "CACHE WRITE",
            "COST",
        ],
    );
    let cells = |label: String, r: &UsageRow| {
        vec![
            Cell::new(output::clean(&label)),
            Cell::new(grouped(r.calls)),
            Cell::new(grouped(r.input_tokens)),
            Cell::new(grouped(r.output_tokens)),
            Cell::new(grouped(r.cache_read_tokens)),
            Cell::new(grouped(r.cache_write_tokens)),
            Cell::new(cost(r)),
        ]
    };
    for r in rows {
        t.add_row(cells(r.key.clone().unwrap_or_else(|| "-".into()), r));
    }
    if rows.len() > 1 {
        t.add_row(cells("TOTAL".into(), total));
    }
    right_align(&mut t, &[1, 2, 3, 4, 5, 6]);
    output::write_table(out, &t)?;
    if total.estimated {
        writeln!(out, "~ estimated from the price table (see --help)")?;
    }
    if !total.unpriced_models.is_empty() {
        writeln!(
            out,
            "unpriced (no known price; add them under \"pricing\" in ccmon.json): {}",
            total.unpriced_models.join(", ")
        )?;
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
        writeln!(out, "service usage: {}", services.join("; "))?;
    }
    Ok(())
}

/// The plugin exit code of a status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
pub fn plugin_code(h: Health) -> u8 {
    match h {
        Health::Healthy => 0,
        Health::Degraded => 1,
        Health::Down => 2,
        Health::Unknown => 3,
    }
}

fn plugin_word(h: Health) -> &'static str {
    ["OK", "WARNING", "CRITICAL", "UNKNOWN"][plugin_code(h) as usize]
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
