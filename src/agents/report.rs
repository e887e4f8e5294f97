//! What `cc-dashboard import` read and wrote, as a report (see [`Render`]).

use serde::Serialize;

use super::Summary;
use crate::output::{Block, Render, Style};

/// `import`: the summary (JSON), and for people what was read and written, or where
/// nothing was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ImportReport {
    /// What the import read and wrote.
    pub summary: Summary,
    /// `--dry-run`: nothing was written.
    #[serde(skip)]
    pub dry_run: bool,
    /// The folders searched, as shown.
    #[serde(skip)]
    pub searched: Vec<String>,
}

impl Render for ImportReport {
    fn empty(&self) -> Option<String> {
        (self.summary.files == 0).then(|| {
            if self.searched.is_empty() {
                "no transcript folder exists (see --help for the defaults, or give --dir)"
                    .to_string()
            } else {
                format!("no transcripts below {}", self.searched.join(", "))
            }
        })
    }

    fn human(&self, _: &Style) -> Vec<Block> {
        let s = &self.summary;
        let mut blocks = Vec::new();
        let verb = if self.dry_run { "would write" } else { "wrote" };
        blocks.push(Block::text(format!(
            "read {} of {} transcript files ({}; {} unchanged)",
            s.files_read,
            s.files,
            human_bytes(s.bytes),
            s.files - s.files_read - s.unreadable.min(s.files - s.files_read)
        )));
        blocks.push(Block::text(format!(
            "{verb} {} ({}) and {}; {} already held",
            crate::output::count(s.calls, "provider call", "provider calls"),
            crate::output::count(s.errors, "API error", "API errors"),
            crate::output::count(s.tool_calls, "tool call", "tool calls"),
            s.already_held
        )));
        let c = &s.counts;
        let notes: Vec<String> = [
            (c.waiting, "waiting for more lines"),
            (c.bad_lines, "malformed lines skipped"),
            (c.no_usage, "responses without usage"),
            (c.synthetic, "synthetic messages skipped"),
            (c.orphan_results, "tool results without their call"),
            (c.abandoned, "tool calls never answered"),
            (c.unfinished_bytes, "bytes of unfinished last lines"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if !notes.is_empty() {
            blocks.push(Block::text(notes.join("; ")));
        }
        blocks
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// `hook install|uninstall`: what changed in the agent's settings file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HooksChanged {
    /// The settings file.
    pub path: std::path::PathBuf,
    /// Whether it changed.
    pub changed: bool,
    /// The copy of the previous file, when one was kept.
    pub backup: Option<std::path::PathBuf>,
    /// The hook command installed (none when uninstalling).
    pub command: Option<String>,
    /// Installing (else uninstalling).
    #[serde(skip)]
    pub install: bool,
}

impl Render for HooksChanged {
    fn human(&self, _: &Style) -> Vec<Block> {
        let what = if self.install {
            "installed in"
        } else {
            "removed from"
        };
        let mut blocks = vec![Block::text(match (self.changed, &self.backup) {
            (false, _) => format!(
                "{} already {}",
                self.path.display(),
                if self.install {
                    "has ccmon's hooks"
                } else {
                    "has no ccmon hooks"
                }
            ),
            (true, Some(b)) => format!(
                "ccmon hooks {what} {} (previous file kept as {})",
                self.path.display(),
                b.display()
            ),
            (true, None) => format!("ccmon hooks {what} {}", self.path.display()),
        })];
        if let Some(c) = &self.command {
            blocks.push(Block::text(format!("command: {c}")));
        }
        blocks
    }
}
