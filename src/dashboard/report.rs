//! `cc-dashboard` reports that present themselves (see [`Render`]): the terminal view,
//! what `generate` saved, notifications, alerts, a merge, a ship and the demo.

use std::path::PathBuf;

use serde::Serialize;

use super::alerts::{AlertRow, firing_line};
use super::demo::DemoCounts;
use super::document::Dashboard;
use super::merge::MergeCount;
use super::ship::ShipReport;
use crate::error::{Error, Result};
use crate::notifications::NotificationRow;
use crate::output::{self, Block, Render, Span, Style, TableModel};
use crate::time::Timestamp;

/// The dashboard in the terminal, laid out for a width; the document itself in JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct DashboardView {
    /// The document.
    pub dashboard: Dashboard,
    /// The same with every string terminal-safe, as laid out for people.
    #[serde(skip)]
    shown: Dashboard,
    /// Columns to fit.
    #[serde(skip)]
    pub width: usize,
}

impl DashboardView {
    /// The view of `dashboard` at `width` columns.
    pub fn new(dashboard: Dashboard, width: usize) -> Result<DashboardView> {
        let internal = |e: serde_json::Error| Error::Internal {
            what: "rendering the dashboard",
            message: e.to_string(),
        };
        // Every string of the document made terminal-safe before it is laid out.
        let mut value = serde_json::to_value(&dashboard).map_err(internal)?;
        output::clean_value(&mut value);
        let shown: Dashboard = serde_json::from_value(value).map_err(internal)?;
        Ok(DashboardView {
            dashboard,
            shown,
            width,
        })
    }
}

impl Render for DashboardView {
    fn human(&self, style: &Style) -> Vec<Block> {
        super::view::render(&self.shown, self.width, *style)
            .into_iter()
            .map(Block::text)
            .collect()
    }
}

/// `generate`: where the dashboard was saved, and a one-line summary of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    /// The saved file.
    pub path: PathBuf,
    /// When the dashboard was computed.
    pub generated_at: Timestamp,
    /// The summary for people: counters, overall provider status, time taken.
    #[serde(skip)]
    pub summary: String,
}

impl Generated {
    /// The report of `d` saved at `path`.
    pub fn new(path: PathBuf, d: &Dashboard) -> Generated {
        let c = &d.counters;
        let summary = format!(
            "saved {}: {} runs, {} invocations, {} journeys, {} providers ({}) in {}",
            crate::store::paths::display_path(&path),
            c.runs,
            c.invocations,
            c.journeys,
            c.providers,
            d.providers.overall.status.as_str(),
            output::human_duration(d.resources.generation_ms)
        );
        Generated {
            path,
            generated_at: d.generated_at,
            summary,
        }
    }
}

impl Render for Generated {
    fn human(&self, _: &Style) -> Vec<Block> {
        vec![Block::text(self.summary.clone())]
    }
}

/// `notifications`: unread and read ones (dismissed ones too with `--all`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct NotificationsReport {
    /// Newest first.
    pub rows: Vec<NotificationRow>,
}

impl Render for NotificationsReport {
    fn empty(&self) -> Option<String> {
        self.rows.is_empty().then(|| "no notifications".into())
    }

    fn human(&self, style: &Style) -> Vec<Block> {
        let mut t = TableModel::new(&["", "TIME", "TYPE", "MESSAGE", "ID"]);
        for r in &self.rows {
            let state = if r.dismissed {
                "x"
            } else if r.read {
                " "
            } else {
                "•"
            };
            t.push(vec![
                state.into(),
                output::human_time(r.timestamp, style.utc).into(),
                output::clean(r.kind.as_str()).into(),
                output::one_line(r.message.as_deref().unwrap_or(""), 70).into(),
                output::clean(r.id.as_deref().unwrap_or("-")).into(),
            ]);
        }
        vec![Block::Table(t)]
    }
}

/// `alerts`: every rule applied to every target; people see the firing ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct AlertsReport {
    /// How many rules were evaluated.
    #[serde(skip)]
    pub rules: usize,
    /// One row per rule and target.
    pub rows: Vec<AlertRow>,
}

impl AlertsReport {
    /// True while any alert fires (the program then exits 1, for cron).
    pub fn firing(&self) -> bool {
        self.rows.iter().any(|r| r.firing)
    }
}

impl Render for AlertsReport {
    fn empty(&self) -> Option<String> {
        if self.rules == 0 {
            return Some(
                "no alert rules: add \"alerts\" to ccmon.json or pass --rules FILE (see --help)"
                    .into(),
            );
        }
        (!self.firing()).then(|| {
            format!(
                "no alerts firing ({} rules, {} checks)",
                self.rules,
                self.rows.len()
            )
        })
    }

    fn human(&self, _: &Style) -> Vec<Block> {
        self.rows
            .iter()
            .filter(|r| r.firing)
            .map(|r| Block::Line(vec![Span::failure(firing_line(r))]))
            .collect()
    }
}

/// `merge --from DIR`: per stream, records added and already present.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct MergeReport {
    /// The root merged from.
    #[serde(skip)]
    pub from: PathBuf,
    /// The root merged into.
    #[serde(skip)]
    pub into: PathBuf,
    /// One count per stream.
    pub counts: Vec<MergeCount>,
}

impl Render for MergeReport {
    fn human(&self, _: &Style) -> Vec<Block> {
        let added: u64 = self.counts.iter().map(|c| c.added).sum();
        let present: u64 = self.counts.iter().map(|c| c.present).sum();
        let mut blocks: Vec<Block> = self
            .counts
            .iter()
            .filter(|c| c.added + c.present > 0)
            .map(|c| {
                Block::text(format!(
                    "{:<18} {:>8} added {:>8} already present",
                    c.stream, c.added, c.present
                ))
            })
            .collect();
        blocks.push(Block::text(format!(
            "merged {} into {}: {added} records added, {present} already present",
            self.from.display(),
            self.into.display()
        )));
        blocks
    }
}

/// `ship clickhouse`: what was sent (or, dry, would be), to which database.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Shipped {
    /// Rows per table, batches, skipped lines, retries.
    pub report: ShipReport,
    /// `--dry-run`.
    #[serde(skip)]
    pub dry_run: bool,
    /// The database.
    #[serde(skip)]
    pub database: String,
    /// The server, without credentials.
    #[serde(skip)]
    pub url: String,
}

impl Render for Shipped {
    fn human(&self, _: &Style) -> Vec<Block> {
        let verb = if self.dry_run { "would send" } else { "sent" };
        let total: u64 = self.report.rows.values().sum();
        let parts: Vec<String> = self
            .report
            .rows
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        // A dry run sends no batch: how many there would be depends on the server.
        let batches = if self.dry_run {
            String::new()
        } else {
            format!(
                " in {}",
                output::count(self.report.batches, "batch", "batches")
            )
        };
        vec![Block::text(format!(
            "{verb} {}{batches} to database {} at {} ({})",
            output::count(total, "record", "records"),
            self.database,
            super::http::display_url(&self.url),
            if parts.is_empty() {
                "nothing new".to_string()
            } else {
                parts.join(", ")
            },
        ))]
    }
}

/// The programs the demo suggests, each with its arguments.
pub const DEMO_COMMANDS: [(&str, &str); 8] = [
    ("cc-log", "stats --since 7d"),
    ("cc-metrics", "all"),
    ("cc-metrics", "failures CUJ-020"),
    ("cc-progress", "runs"),
    ("cc-progress", "chain chain-billing"),
    ("cc-health", "status"),
    ("cc-health", "usage --by model"),
    ("cc-dashboard", "notifications"),
];

/// `demo`: the dashboard of the sample data, what was written where, and the commands
/// to explore it (always for people: the demo is a first look).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct DemoReport {
    /// The dashboard's view.
    pub view: DashboardView,
    /// The demo's folder.
    #[serde(skip)]
    pub root: PathBuf,
    /// What was written.
    #[serde(skip)]
    pub counts: DemoCounts,
    /// How to run each program from here (`cc-log`, or the sibling's path); a program
    /// not named runs by its bare name.
    #[serde(skip)]
    pub programs: std::collections::BTreeMap<&'static str, String>,
}

impl Render for DemoReport {
    fn human(&self, style: &Style) -> Vec<Block> {
        let mut blocks = self.view.human(style);
        let counts = &self.counts;
        let shown = self.root.display();
        blocks.push(Block::text(""));
        blocks.push(Block::text(format!(
            "Sample data in {shown}: {} skill invocations, {} journey executions, {} progress events, {} provider calls, {} notifications.",
            counts.invocations, counts.executions, counts.events, counts.calls, counts.notifications
        )));
        blocks.push(Block::text("Explore it with the other programs:"));
        let root_arg = shell_word(&self.root.display().to_string());
        let command = |name: &str| {
            self.programs
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_string())
        };
        for (program, args) in DEMO_COMMANDS {
            blocks.push(Block::text(format!(
                "  {} {args} --root {root_arg}",
                command(program)
            )));
        }
        blocks.push(Block::text(
            "Or watch it live in a browser (Ctrl-C stops the server):",
        ));
        blocks.push(Block::text(format!(
            "  {} serve --root {root_arg}",
            command("cc-dashboard")
        )));
        blocks
    }
}

/// `text` as one shell word: as it is when it needs no quoting, else single-quoted.
pub fn shell_word(text: &str) -> String {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain && !text.is_empty() {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
