//! What a report shows people, as plain data: tables (headers, rows, alignments, cell
//! tones) and lines of text, or one sentence when there is nothing to show. A report
//! type implements [`Render`]; [`super::emit`] alone turns it into a table, lines, the
//! empty sentence, a JSON document or NDJSON. Colours and comfy-table stay in `output`.

use std::borrow::Cow;

use serde::Serialize;

use super::Style;
use crate::error::Result;

/// How the cells of a column line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    /// Text (the default).
    #[default]
    Left,
    /// Figures.
    Right,
}

/// How a piece of text is shown on a colour terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    /// As it is.
    #[default]
    Plain,
    /// A status word (`completed`, `failed`, `degraded`...), in its status colour.
    Status,
    /// In the colour of this status word (`Like("failed")` for a failure category).
    Like(&'static str),
    /// A warning (a stale run): dark yellow in tables.
    Warning,
}

/// One table cell or piece of a line: text and its tone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Span {
    /// The text, already terminal-safe.
    pub text: String,
    /// How it is shown.
    pub tone: Tone,
}

impl Span {
    /// A status word, coloured by its meaning.
    pub fn status(text: impl Into<String>) -> Span {
        Span {
            text: text.into(),
            tone: Tone::Status,
        }
    }
}

impl Span {
    /// Text in the colour of `failed`.
    pub fn failure(text: impl Into<String>) -> Span {
        Span::toned(text, Tone::Like("failed"))
    }

    /// Text with a tone.
    pub fn toned(text: impl Into<String>, tone: Tone) -> Span {
        Span {
            text: text.into(),
            tone,
        }
    }
}

impl From<String> for Span {
    fn from(text: String) -> Span {
        Span {
            text,
            tone: Tone::Plain,
        }
    }
}

impl From<&str> for Span {
    fn from(text: &str) -> Span {
        Span::from(text.to_string())
    }
}

impl From<Cow<'_, str>> for Span {
    fn from(text: Cow<'_, str>) -> Span {
        Span::from(text.into_owned())
    }
}

/// A column: its header and how its cells line up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The header, in capitals by convention.
    pub header: String,
    /// The alignment of its cells (headers stay left, as comfy-table puts them).
    pub align: Align,
}

/// A borderless, aligned table as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableModel {
    /// The columns, left to right.
    pub columns: Vec<Column>,
    /// The rows, one cell per column.
    pub rows: Vec<Vec<Span>>,
}

impl TableModel {
    /// A table with these headers, every column left-aligned.
    pub fn new(headers: &[&str]) -> TableModel {
        TableModel {
            columns: headers
                .iter()
                .map(|h| Column {
                    header: (*h).to_string(),
                    align: Align::Left,
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Right-aligns the columns at these positions.
    pub fn right(mut self, columns: &[usize]) -> TableModel {
        for &i in columns {
            if let Some(c) = self.columns.get_mut(i) {
                c.align = Align::Right;
            }
        }
        self
    }

    /// Right-aligns every column from position `from` on (the figures after a key).
    pub fn right_from(mut self, from: usize) -> TableModel {
        for c in self.columns.iter_mut().skip(from) {
            c.align = Align::Right;
        }
        self
    }

    /// Adds a row.
    pub fn push(&mut self, cells: Vec<Span>) {
        self.rows.push(cells);
    }
}

/// A part of a report for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// An aligned table.
    Table(TableModel),
    /// One line of text, made of pieces that may carry a tone.
    Line(Vec<Span>),
}

impl Block {
    /// A line of plain text.
    pub fn text(text: impl Into<String>) -> Block {
        Block::Line(vec![Span::from(text.into())])
    }
}

/// A report that can present itself: to programs through `Serialize` (one pretty JSON
/// document, or NDJSON lines for record streams) and to people as blocks of tables and
/// lines, or one sentence when it holds nothing.
pub trait Render: Serialize {
    /// The sentence people read instead of the report when it holds nothing to show
    /// (`no skill invocations match`); `None` when it does. JSON output is unaffected:
    /// an empty report is an empty array or nulls there.
    fn empty(&self) -> Option<String> {
        None
    }

    /// The report for people.
    fn human(&self, style: &Style) -> Vec<Block>;

    /// For record streams: the NDJSON lines, each one compact JSON text. `None` (the
    /// default) prints the report as one pretty-printed document.
    fn json_lines(&self) -> Result<Option<Vec<Cow<'_, str>>>> {
        Ok(None)
    }
}

/// Each of `items` as one compact JSON line, for [`Render::json_lines`].
pub fn compact_lines<T: Serialize>(items: &[T]) -> Result<Vec<Cow<'static, str>>> {
    items
        .iter()
        .map(|item| {
            serde_json::to_string(item)
                .map(Cow::Owned)
                .map_err(|e| crate::Error::Internal {
                    what: "serializing a record",
                    message: e.to_string(),
                })
        })
        .collect()
}

/// Records just appended, as stored: NDJSON for programs, nothing for people (a writer
/// is silent on success).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct Written(pub Vec<serde_json::Value>);

impl Render for Written {
    fn human(&self, _: &Style) -> Vec<Block> {
        Vec::new()
    }

    fn json_lines(&self) -> Result<Option<Vec<Cow<'_, str>>>> {
        compact_lines(&self.0).map(Some)
    }
}

/// What `notifications read|dismiss` did: `{"action": "read", "count": 2}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Marked {
    /// `read` or `dismissed`.
    pub action: &'static str,
    /// How many notifications were marked.
    pub count: usize,
}

impl Render for Marked {
    fn human(&self, _: &Style) -> Vec<Block> {
        vec![Block::text(match self.action {
            "read" => format!("marked {} read", self.count),
            other => format!("{other} {}", self.count),
        })]
    }
}

/// What `prune` did (or, dry, would do) to the daily files older than a cutoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Pruned {
    /// One action per file.
    pub actions: Vec<crate::store::prune::PruneAction>,
    /// `--older-than` as the user wrote it (named when there is nothing to prune).
    #[serde(skip)]
    pub older_than: String,
    /// `--dry-run`.
    #[serde(skip)]
    pub dry_run: bool,
}

impl Pruned {
    fn verb(&self, action: &str) -> &'static str {
        match (self.dry_run, action == "compressed") {
            (true, true) => "would compress",
            (true, false) => "would delete",
            (false, true) => "compressed",
            (false, false) => "deleted",
        }
    }
}

/// What `cc-<program> rollup` did, one action per sealed file: a JSON array for programs;
/// for people, a line per rollup built and a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RollupReport(pub Vec<crate::rollup::RollupAction>);

impl Render for RollupReport {
    fn empty(&self) -> Option<String> {
        self.0.is_empty().then(|| {
            "no sealed daily files to summarize (today's file is always read raw)".to_string()
        })
    }

    fn human(&self, _: &Style) -> Vec<Block> {
        let actions = &self.0;
        let mut blocks: Vec<Block> = actions
            .iter()
            .filter(|a| a.action != "fresh")
            .map(|a| {
                Block::text(format!(
                    "{} {} ({})",
                    a.action,
                    super::clean(&a.rollup),
                    human_bytes(a.bytes)
                ))
            })
            .collect();
        let (raw, rolled) = actions
            .iter()
            .fold((0, 0), |(r, b), a| (r + a.raw_bytes, b + a.bytes));
        let count = |what: &str| actions.iter().filter(|a| a.action == what).count();
        blocks.push(Block::text(format!(
            "{} rollups ({} built, {} fresh, {} kept after pruning): {} for {} of records",
            actions.len(),
            count("built") + count("rebuilt"),
            count("fresh"),
            count("kept"),
            human_bytes(rolled),
            human_bytes(raw)
        )));
        blocks
    }
}

/// `12.3 KiB`.
pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

impl Render for Pruned {
    fn empty(&self) -> Option<String> {
        self.actions.is_empty().then(|| {
            format!(
                "nothing to prune: no daily files wholly older than {}",
                self.older_than
            )
        })
    }

    fn human(&self, _: &Style) -> Vec<Block> {
        let mut blocks: Vec<Block> = self
            .actions
            .iter()
            .map(|a| {
                Block::text(format!(
                    "{} {} ({})",
                    self.verb(a.action),
                    a.path,
                    human_bytes(a.bytes)
                ))
            })
            .collect();
        if let Some(first) = self.actions.first() {
            let total: u64 = self.actions.iter().map(|a| a.bytes).sum();
            blocks.push(Block::text(format!(
                "{} {} files, {}",
                self.verb(first.action),
                self.actions.len(),
                human_bytes(total)
            )));
        }
        blocks
    }
}
