//! Rendering reports: aligned tables, colours, humanized durations and rates, JSON.
//! Reports are computed first as serializable values, then rendered here.

use std::io::{self, IsTerminal, Write};

use chrono::Local;
#[cfg(feature = "cli")]
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use serde::Serialize;

use crate::time::Timestamp;

mod render;
pub use render::{
    Align, Block, Column, Marked, Pruned, Render, RollupReport, Span, TableModel, Tone, Written,
    compact_lines, human_bytes,
};

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set (or when `FORCE_COLOR` is).
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Decides for standard output, honouring `NO_COLOR` and `FORCE_COLOR` in `auto`.
    pub fn resolve(self) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set("NO_COLOR") => false,
            ColorChoice::Auto if set("FORCE_COLOR") => {
                std::env::var("FORCE_COLOR").map_or(true, |v| v != "0")
            }
            ColorChoice::Auto => io::stdout().is_terminal(),
        }
    }
}

/// How to render: for people (tables, colours) or for programs (JSON).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Machine output.
    pub json: bool,
    /// Colour human output.
    pub color: bool,
    /// Show times in UTC instead of the local time zone.
    pub utc: bool,
}

/// Text from records made safe for a terminal (SPEC §15): C0 and C1 control characters,
/// DEL and the bidirectional overrides (U+202A–U+202E, U+2066–U+2069) are shown escaped
/// (`\e`, `\r`, `\u{202e}`) instead of reaching the terminal, where they could move
/// the cursor, rewrite earlier lines, ring the bell or reorder what is shown. Borrowed
/// when there is nothing to escape (the common case).
///
/// ```
/// use ccmon::output::clean;
/// assert_eq!(clean("ok"), "ok");
/// assert_eq!(clean("a\x1b[2Jb\x07"), "a\\e[2Jb\\x07");
/// assert_eq!(clean("x\u{202e}y"), "x\\u{202e}y");
/// ```
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\x1b' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 && unsafe_char(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Makes every string of a JSON value (keys too) terminal-safe, in place (see [`clean`]):
/// for reports rendered for people from data that other tools may have written.
pub fn clean_value(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            if let std::borrow::Cow::Owned(c) = clean(s) {
                *s = c;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(clean_value),
        serde_json::Value::Object(map) => {
            let dirty = map
                .keys()
                .any(|k| matches!(clean(k), std::borrow::Cow::Owned(_)));
            if dirty {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    clean_value(&mut v);
                    map.insert(clean(&k).into_owned(), v);
                }
            } else {
                map.values_mut().for_each(clean_value);
            }
        }
        _ => {}
    }
}

/// `n` and its noun, plural unless `n` is 1: `1 run`, `3 runs` (`count(2, "batch",
/// "batches")`).
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A JSON value from a record as a person reads it: strings without quotes, whole
/// numbers without `.0`, anything else as compact JSON; terminal-safe (see [`clean`]).
pub fn human_json(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    };
    clean(&text).into_owned()
}

/// Humanized duration: `450ms`, `1.23s`, `2m 03s`, `1h 02m`, `3d 04h`.
///
/// ```
/// use ccmon::output::human_duration;
/// assert_eq!(human_duration(450.0), "450ms");
/// assert_eq!(human_duration(1234.0), "1.23s");
/// assert_eq!(human_duration(123_000.0), "2m 03s");
/// ```
pub fn human_duration(ms: f64) -> String {
    if !ms.is_finite() {
        return "-".into();
    }
    if ms < 10.0 && ms.fract() != 0.0 {
        return format!("{ms:.1}ms");
    }
    if ms < 1000.0 {
        return format!("{}ms", ms.round());
    }
    let s = ms / 1000.0;
    if s < 10.0 {
        return format!("{s:.2}s");
    }
    if s < 60.0 {
        return format!("{s:.1}s");
    }
    let total = s.round() as u64;
    let (d, h, m, sec) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else {
        format!("{m}m {sec:02}s")
    }
}

/// A rate as a percentage with one decimal, `93.4%`, or `no data`.
pub fn human_rate(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "no data".into(),
    }
}

/// An optional duration, humanized, or `-`.
pub fn human_opt_duration(ms: Option<f64>) -> String {
    ms.map_or_else(|| "-".into(), human_duration)
}

/// A window's length for people: `24h`, `7d`, `90m`, `1h30m`, `500ms`. Whole days
/// from two days up, so that one day reads `24h`.
///
/// ```
/// use ccmon::output::human_window;
/// assert_eq!(human_window(86_400_000), "24h");
/// assert_eq!(human_window(7 * 86_400_000), "7d");
/// assert_eq!(human_window(5_400_000), "1h30m");
/// assert_eq!(human_window(1_500), "1s500ms");
/// ```
pub fn human_window(ms: i64) -> String {
    use crate::time::{DAY_MS as DAY, HOUR_MS, MINUTE_MS, SECOND_MS};
    if ms >= 2 * DAY && ms % DAY == 0 {
        return format!("{}d", ms / DAY);
    }
    let mut out = String::new();
    let mut rest = ms.max(0);
    for (unit, size) in [
        ("h", HOUR_MS),
        ("m", MINUTE_MS),
        ("s", SECOND_MS),
        ("ms", 1),
    ] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    if out.is_empty() {
        out.push_str("0ms");
    }
    out
}

/// A sparkline of fractions 0–1 (`▁▂▃▄▅▆▇█`), `·` for missing values.
///
/// ```
/// assert_eq!(ccmon::output::sparkline(&[Some(0.0), None, Some(0.5), Some(1.0)]), "▁·▅█");
/// ```
pub fn sparkline(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    values
        .iter()
        .map(|v| match v {
            Some(f) if f.is_finite() => BARS[((f.clamp(0.0, 1.0) * 7.0).round() as usize).min(7)],
            _ => '·',
        })
        .collect()
}

/// Text on one line: whitespace runs (newlines included) become one space, and the
/// result is cut at `max` characters with an ellipsis.
///
/// ```
/// assert_eq!(ccmon::output::one_line("a\n  b", 10), "a b");
/// assert_eq!(ccmon::output::one_line("abcdef", 3), "abc…");
/// ```
pub fn one_line(text: &str, max: usize) -> String {
    let flat = clean(&text.split_whitespace().collect::<Vec<_>>().join(" ")).into_owned();
    match flat.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// Printed width of a line: characters, not counting ANSI colour codes.
///
/// ```
/// assert_eq!(ccmon::output::visible_width("\x1b[31mfailed\x1b[0m!"), 7);
/// ```
pub fn visible_width(text: &str) -> usize {
    let mut n = 0;
    let mut escape = false;
    for c in text.chars() {
        match (escape, c) {
            (false, '\x1b') => escape = true,
            (true, 'm') => escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// The width of the terminal on standard output: `$COLUMNS` when set, else the
/// terminal's, else 100.
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        && n > 0
    {
        return n;
    }
    terminal_size::terminal_size_of(io::stdout()).map_or(100, |(w, _)| usize::from(w.0))
}

/// A time for people: local (or UTC) `2026-11-20 13:45:01`.
pub fn human_time(t: Timestamp, utc: bool) -> String {
    let dt = t.to_datetime();
    if utc {
        dt.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        dt.with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }
}

#[cfg(feature = "cli")]
/// The colour of a status word: pending gray, running blue, success and completed
/// green, failures red, cancelled and partial amber.
pub fn status_color(word: &str) -> Option<Color> {
    match word {
        "pending" | "skipped" | "unknown" => Some(Color::Grey),
        "running" => Some(Color::Blue),
        "completed" | "success" | "healthy" | "ok" => Some(Color::Green),
        "failed" | "failure" | "timeout" | "down" => Some(Color::Red),
        "cancelled" | "partial" | "degraded" => Some(Color::Rgb {
            r: 255,
            g: 176,
            b: 0,
        }),
        _ => None,
    }
}

#[cfg(feature = "cli")]
/// Wraps `text` in ANSI colour codes for line output (tables colour their cells).
pub fn paint(text: &str, color: Option<Color>, enabled: bool) -> String {
    let code = match (enabled, color) {
        (true, Some(Color::Grey)) => "90",
        (true, Some(Color::Blue)) => "34",
        (true, Some(Color::Green)) => "32",
        (true, Some(Color::Red)) => "31",
        (true, Some(Color::Rgb { .. })) => "33",
        _ => return text.to_string(),
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

#[cfg(feature = "cli")]
/// A borderless, aligned table with the given header.
pub fn table(style: Style, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    if style.color {
        t.enforce_styling();
        t.set_header(
            header
                .iter()
                .map(|h| Cell::new(h).add_attribute(comfy_table::Attribute::Bold)),
        );
    } else {
        t.force_no_tty();
        t.set_header(header.iter().copied());
    }
    t
}

#[cfg(feature = "cli")]
/// A table cell holding a status word, coloured when colour is on.
pub fn status_cell(word: &str, style: Style) -> Cell {
    let cell = Cell::new(word);
    match (style.color, status_color(word)) {
        (true, Some(c)) => cell.fg(c),
        _ => cell,
    }
}

#[cfg(feature = "cli")]
/// Writes a table, trimming the padding the borderless preset leaves at line ends.
pub fn write_table(out: &mut dyn Write, table: &Table) -> io::Result<()> {
    for line in table.lines() {
        writeln!(out, "{}", strip_table_margin(&line).trim_end())?;
    }
    Ok(())
}

#[cfg(feature = "cli")]
/// Removes the one-space left margin comfy-table puts before the first column, also
/// when a colour or bold escape comes before it (a styled header), so that headers and
/// rows stay aligned.
fn strip_table_margin(line: &str) -> std::borrow::Cow<'_, str> {
    let bytes = line.as_bytes();
    let mut i = 0;
    // Skip leading SGR sequences (`ESC [ ... m`).
    while bytes.get(i) == Some(&0x1b) && bytes.get(i + 1) == Some(&b'[') {
        match bytes[i + 2..].iter().position(|&b| b == b'm') {
            Some(end) => i += 2 + end + 1,
            None => break,
        }
    }
    if bytes.get(i) == Some(&b' ') {
        let mut s = String::with_capacity(line.len() - 1);
        s.push_str(&line[..i]);
        s.push_str(&line[i + 1..]);
        std::borrow::Cow::Owned(s)
    } else {
        std::borrow::Cow::Borrowed(line)
    }
}

#[cfg(feature = "cli")]
/// Prints a report the one way every command prints: with `--json`, its NDJSON lines
/// (record streams) or one pretty-printed document; for people, its empty-result
/// sentence when it holds nothing, else its tables and lines.
///
/// `out` is standard output (or a buffer): a failed write is reported as
/// [`crate::Error::Stdio`], so a closed pipe ends the program quietly.
pub fn emit<R: Render>(out: &mut dyn Write, style: &Style, report: &R) -> crate::Result<()> {
    if style.json {
        match report.json_lines()? {
            Some(lines) => {
                for line in lines {
                    out.write_all(line.as_bytes())
                        .and_then(|()| out.write_all(b"\n"))
                        .map_err(crate::Error::stdout)?;
                }
            }
            None => write_document(out, report)?,
        }
        return Ok(());
    }
    if let Some(sentence) = report.empty() {
        return writeln!(out, "{}", clean(&sentence)).map_err(crate::Error::stdout);
    }
    for block in report.human(style) {
        match block {
            Block::Table(model) => write_table(out, &comfy(&model, *style)),
            Block::Line(spans) => writeln!(out, "{}", line_text(&spans, style.color)),
        }
        .map_err(crate::Error::stdout)?;
    }
    Ok(())
}

/// Writes `value` on standard output `out` as one pretty-printed JSON document with a
/// final newline: a failed write is [`crate::Error::Stdio`]; a value that cannot be
/// serialized is an internal failure (exit 1), not an output error.
pub fn write_document<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> crate::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(|e| {
        if e.is_io() {
            crate::Error::stdout(io::Error::from(e))
        } else {
            crate::Error::Internal {
                what: "serializing a report",
                message: e.to_string(),
            }
        }
    })?;
    writeln!(out).map_err(crate::Error::stdout)
}

#[cfg(feature = "cli")]
/// The comfy-table of a table model.
fn comfy(model: &TableModel, style: Style) -> Table {
    let headers: Vec<&str> = model.columns.iter().map(|c| c.header.as_str()).collect();
    let mut t = table(style, &headers);
    for row in &model.rows {
        t.add_row(row.iter().map(|span| match span.tone {
            Tone::Plain => Cell::new(&span.text),
            Tone::Status => status_cell(&span.text, style),
            Tone::Like(word) => match (style.color, status_color(word)) {
                (true, Some(c)) => Cell::new(&span.text).fg(c),
                _ => Cell::new(&span.text),
            },
            Tone::Warning if style.color => Cell::new(&span.text).fg(Color::DarkYellow),
            Tone::Warning => Cell::new(&span.text),
        }));
    }
    for (i, column) in model.columns.iter().enumerate() {
        if column.align == Align::Right
            && let Some(c) = t.column_mut(i)
        {
            c.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
    t
}

#[cfg(feature = "cli")]
/// A table model laid out as lines (for layouts that place tables among other lines).
pub fn table_lines(model: &TableModel, style: Style) -> Vec<String> {
    let mut buf = Vec::new();
    // Writing to memory cannot fail.
    let _ = write_table(&mut buf, &comfy(model, style));
    String::from_utf8_lossy(&buf)
        .lines()
        .map(str::to_string)
        .collect()
}

#[cfg(feature = "cli")]
/// The text of a line, its status words coloured when `color` is on.
pub fn line_text(spans: &[Span], color: bool) -> String {
    spans
        .iter()
        .map(|span| {
            // Lines quote data and arguments (a journey's name in a title): no control
            // character of theirs reaches the terminal.
            let text = clean(&span.text);
            match span.tone {
                Tone::Plain => text.into_owned(),
                Tone::Status => paint(&text, status_color(&span.text), color),
                Tone::Like(word) => paint(&text, status_color(word), color),
                Tone::Warning => paint(&text, status_color("cancelled"), color),
            }
        })
        .collect()
}

/// Writes one JSON document, pretty-printed, with a final newline.
pub fn write_json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)
}

/// Writes `bytes` on standard output and flushes it (a generated script or page).
pub fn print_bytes(bytes: &[u8]) -> crate::Result<()> {
    let mut out = stdout();
    out.write_all(bytes)?;
    out.flush()
}

/// Standard output, locked and buffered: line-buffered on a terminal (for `-f`),
/// block-buffered otherwise.
pub fn stdout() -> Stdout {
    let out = io::stdout();
    Stdout(if out.is_terminal() {
        Box::new(io::LineWriter::new(out.lock()))
    } else {
        Box::new(io::BufWriter::with_capacity(64 * 1024, out.lock()))
    })
}

/// Standard output for the programs: `write!`, `write_all` and `flush` give the
/// library's error, which names the stream ([`crate::Error::Stdio`]), so a closed pipe
/// is recognised and every other failure says what was being written.
pub struct Stdout(Box<dyn Write>);

impl Stdout {
    /// Writes formatted text (what `write!` and `writeln!` call).
    pub fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> crate::Result<()> {
        self.0.write_fmt(args).map_err(crate::Error::stdout)
    }

    /// Writes all of `bytes`.
    pub fn write_all(&mut self, bytes: &[u8]) -> crate::Result<()> {
        self.0.write_all(bytes).map_err(crate::Error::stdout)
    }

    /// Flushes the buffer to the stream.
    pub fn flush(&mut self) -> crate::Result<()> {
        self.0.flush().map_err(crate::Error::stdout)
    }

    /// The stream as a plain writer, for code that writes to any `Write` (its errors
    /// are the caller's to name, e.g. with [`crate::Error::stdout`]).
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut *self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_rates() {
        let cases = [
            (0.0, "0ms"),
            (2.5, "2.5ms"),
            (450.0, "450ms"),
            (999.4, "999ms"),
            (1000.0, "1.00s"),
            (1234.0, "1.23s"),
            (12_345.0, "12.3s"),
            (61_000.0, "1m 01s"),
            (3_720_000.0, "1h 02m"),
            (273_600_000.0, "3d 04h"),
        ];
        for (ms, want) in cases {
            assert_eq!(human_duration(ms), want, "{ms}");
        }
        assert_eq!(human_rate(Some(0.934)), "93.4%");
        assert_eq!(human_rate(Some(1.0)), "100.0%");
        assert_eq!(human_rate(None), "no data");
    }

    #[derive(Serialize)]
    struct Sample {
        rows: Vec<(String, u64)>,
        lines: bool,
    }

    impl Render for Sample {
        fn empty(&self) -> Option<String> {
            self.rows.is_empty().then(|| "nothing here".into())
        }

        fn human(&self, _: &Style) -> Vec<Block> {
            let mut t = TableModel::new(&["NAME", "COUNT"]).right_from(1);
            for (name, n) in &self.rows {
                t.push(vec![Span::status(name.clone()), n.to_string().into()]);
            }
            vec![Block::text("title"), Block::Table(t)]
        }

        fn json_lines(&self) -> crate::Result<Option<Vec<std::borrow::Cow<'_, str>>>> {
            if self.lines {
                compact_lines(&self.rows).map(Some)
            } else {
                Ok(None)
            }
        }
    }

    #[cfg(feature = "cli")]
    fn emitted(report: &Sample, json: bool, color: bool) -> String {
        let mut out = Vec::new();
        let style = Style {
            json,
            color,
            utc: true,
        };
        emit(&mut out, &style, report).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[cfg(feature = "cli")]
    #[test]
    fn emit_chooses_document_lines_sentence_or_blocks() {
        let rows = vec![("failed".to_string(), 7), ("ok".to_string(), 1234)];
        let doc = Sample {
            rows: rows.clone(),
            lines: false,
        };
        assert_eq!(
            emitted(&doc, true, false),
            "{\n  \"rows\": [\n    [\n      \"failed\",\n      7\n    ],\n    [\n      \"ok\",\n      1234\n    ]\n  ],\n  \"lines\": false\n}\n"
        );
        let lines = Sample { rows, lines: true };
        assert_eq!(
            emitted(&lines, true, false),
            "[\"failed\",7]\n[\"ok\",1234]\n"
        );
        // Figures right-aligned, the header left, no trailing blanks.
        assert_eq!(
            emitted(&lines, false, false),
            "title\nNAME    COUNT\nfailed      7\nok       1234\n"
        );
        // With colour the status word is red and the columns stay where they were.
        let coloured = emitted(&lines, false, true);
        assert_eq!(
            coloured,
            "title\n\x1b[1mNAME   \x1b[0m\x1b[1m COUNT \x1b[0m\n\
             \x1b[38;5;9mfailed \x1b[39m     7\n\x1b[38;5;10mok     \x1b[39m  1234\n"
        );
        let empty = Sample {
            rows: Vec::new(),
            lines: true,
        };
        assert_eq!(emitted(&empty, false, false), "nothing here\n");
        assert_eq!(emitted(&empty, true, false), "");
    }

    #[cfg(feature = "cli")]
    #[test]
    fn a_line_colours_only_its_status_and_failure_pieces() {
        let spans = vec![
            Span::from("a "),
            Span::status("completed"),
            Span::from(" "),
            Span::failure("timeout"),
        ];
        assert_eq!(line_text(&spans, false), "a completed timeout");
        assert_eq!(
            line_text(&spans, true),
            "a \x1b[32mcompleted\x1b[0m \x1b[31mtimeout\x1b[0m"
        );
    }
}
