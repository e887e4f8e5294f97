//! Bulk append (`cc-log log -`): skill invocations as NDJSON, one record per line, each
//! validated, redacted and appended exactly as a single `cc-log log --record` would
//! write it, in input order, in batches under one lock per daily file.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Mutex, mpsc};

use chrono::NaiveDate;

use super::par;
use crate::error::{Error, Result};
use crate::record::{Record, SkillInvocation, Timestamp, parse_record};
use crate::redact::Memo;
use crate::writer::Writer;

/// What [`append_ndjson`] reports while it works, in input order.
#[derive(Debug)]
pub enum BulkEvent<'a> {
    /// A line was refused (not written): its number (1-based) and why, redacted.
    Invalid {
        /// The line's number in the input, from 1.
        line: usize,
        /// `invalid line N: ...`, with nothing the redactor would hide.
        message: &'a str,
    },
    /// A batch was appended: the lines as written, each ending in `\n`.
    Written(&'a [u8]),
}

/// What [`append_ndjson`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Records appended.
    pub written: u64,
    /// Lines refused (blank lines are neither).
    pub invalid: u64,
}

impl BulkReport {
    /// `logged 2 records; 1 invalid line was not written` when lines were refused.
    pub fn summary(&self) -> Option<String> {
        let plural = |n: u64, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        (self.invalid > 0).then(|| {
            format!(
                "logged {}; {} not written",
                plural(self.written, "record", "records"),
                plural(self.invalid, "invalid line was", "invalid lines were")
            )
        })
    }
}

/// Appends the skill invocations of `input` (one JSON object per line; blank lines are
/// skipped) through `writer`. A line that is not a valid record is reported to
/// `on_event` and not written; the others are. Stops at the first failure to write (or
/// an error returned by `on_event`); a batch that failed is rolled back.
///
/// Lines are read in blocks of about a megabyte; the cores parse, check, redact and
/// serialize whole blocks while this thread reads the next ones and appends the finished
/// ones in input order, each block a batch.
///
/// `input` is the program's standard input (`cc-log log -`): a failed read is
/// reported as [`crate::Error::Stdio`] on standard input.
pub fn append_ndjson(
    input: &mut dyn Read,
    writer: &Writer,
    on_event: &mut dyn FnMut(BulkEvent<'_>) -> Result<()>,
) -> Result<BulkReport> {
    let buffers = &Buffers::default();
    let mut blocks = Blocks::new(input, buffers);
    let workers = par::threads();
    if workers < 2 {
        let mut report = BulkReport::default();
        while let Some((block, first)) = blocks.next_block()? {
            let done = prepare_block(block, first, writer, buffers);
            finish_block(&done, writer, &mut report, on_event)?;
            buffers.give(done.lines);
        }
        return Ok(report);
    }
    let (work, queue) = mpsc::channel::<(u64, Vec<u8>, usize)>();
    let queue = Mutex::new(queue);
    let (done_tx, done) = mpsc::channel::<(u64, Block)>();
    std::thread::scope(|scope| {
        // Owned here, so that returning (at the end or on an error) closes the queue and
        // the workers stop before the scope waits for them.
        let work = work;
        for _ in 0..workers {
            let (queue, done_tx) = (&queue, done_tx.clone());
            scope.spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((seq, block, first)) = next else { break };
                    let done = prepare_block(block, first, writer, buffers);
                    if done_tx.send((seq, done)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // Blocks go out in order and come back in any order: keep a few ahead, and
        // append them in order. Returning drops `work`, which ends the workers.
        let mut report = BulkReport::default();
        let (mut sent, mut next) = (0u64, 0u64);
        let mut waiting: BTreeMap<u64, Block> = BTreeMap::new();
        let mut eof = false;
        loop {
            while !eof && sent - next < 2 * workers as u64 {
                match blocks.next_block()? {
                    Some((block, first)) => {
                        if work.send((sent, block, first)).is_err() {
                            break;
                        }
                        sent += 1;
                    }
                    None => eof = true,
                }
            }
            if next == sent {
                break;
            }
            while !waiting.contains_key(&next) {
                let (seq, block) = done.recv().map_err(|_| Error::Internal {
                    what: "appending bulk input",
                    message: "a worker thread stopped".into(),
                })?;
                waiting.insert(seq, block);
            }
            if let Some(block) = waiting.remove(&next) {
                finish_block(&block, writer, &mut report, on_event)?;
                buffers.give(block.lines);
            }
            next += 1;
        }
        Ok(report)
    })
}

/// Bytes read before a block is handed to a core: about 3 000 typical records, one
/// batch.
const BLOCK: usize = 1 << 20;

/// Spent buffers of about a block each, used again: fresh memory costs the kernel a
/// page clearing per 4 KiB, more than filling it does.
#[derive(Default)]
struct Buffers(Mutex<Vec<Vec<u8>>>);

impl Buffers {
    /// An empty buffer, with room for a block when one was given back.
    fn take(&self) -> Vec<u8> {
        let spare = self.0.lock().unwrap_or_else(|p| p.into_inner()).pop();
        spare.unwrap_or_else(|| Vec::with_capacity(BLOCK + BLOCK / 4 + READ))
    }

    /// Keeps `buffer` for a later [`Buffers::take`] (a few at most).
    fn give(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        let mut spare = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if spare.len() < 16 {
            spare.push(buffer);
        }
    }
}

/// Reads `input` in blocks of whole lines, numbering them.
struct Blocks<'r> {
    input: &'r mut dyn Read,
    buffers: &'r Buffers,
    /// Bytes after the last newline of the previous block.
    carry: Vec<u8>,
    /// The number of the first line of the next block.
    line: usize,
    eof: bool,
}

impl<'r> Blocks<'r> {
    fn new(input: &'r mut dyn Read, buffers: &'r Buffers) -> Self {
        Blocks {
            input,
            buffers,
            carry: Vec::new(),
            line: 1,
            eof: false,
        }
    }

    /// The next block of whole lines (the last one may lack its `\n`) and the number of
    /// its first line; `None` at the end of the input.
    fn next_block(&mut self) -> Result<Option<(Vec<u8>, usize)>> {
        let mut block = self.buffers.take();
        block.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut searched = 0;
        loop {
            if block.len() >= BLOCK || self.eof {
                // Cut after the last newline; a line longer than a block grows it.
                let cut = match memchr::memrchr(b'\n', &block[searched..]) {
                    Some(i) => searched + i + 1,
                    None if self.eof => block.len(),
                    None => {
                        searched = block.len();
                        self.fill(&mut block)?;
                        continue;
                    }
                };
                if cut == 0 {
                    return Ok(None);
                }
                self.carry.extend_from_slice(&block[cut..]);
                block.truncate(cut);
                let first = self.line;
                self.line += memchr::memchr_iter(b'\n', &block).count();
                return Ok(Some((block, first)));
            }
            self.fill(&mut block)?;
        }
    }

    /// Reads up to [`READ`] more bytes of the input at the end of `block` (fewer only at
    /// the end, which sets `eof`). `read_to_end` reads into the spare capacity without
    /// clearing all of it before every read, as a `resize` would.
    fn fill(&mut self, block: &mut Vec<u8>) -> Result<()> {
        let len = block.len();
        match (&mut *self.input).take(READ as u64).read_to_end(block) {
            Ok(read) => {
                self.eof = read < READ;
                Ok(())
            }
            Err(e) => {
                block.truncate(len);
                Err(crate::Error::stdin(e))
            }
        }
    }
}

/// Bytes asked of the input per read.
const READ: usize = 256 << 10;

/// A block made ready: its records' lines in input order, the date of each, and the
/// lines refused.
#[derive(Default)]
struct Block {
    /// The serialized, redacted lines, each ending in `\n`.
    lines: Vec<u8>,
    /// For each line of `lines`, in order: its daily file's date and where it ends.
    ends: Vec<(NaiveDate, usize)>,
    /// Refused lines: number and message, redacted.
    invalid: Vec<(usize, String)>,
}

/// Parses, checks, redacts and serializes every line of `block` (numbered from `first`).
/// The block's buffer is given back to `buffers`, and the lines taken from them.
fn prepare_block(block: Vec<u8>, first: usize, writer: &Writer, buffers: &Buffers) -> Block {
    let memo = &mut writer.redactor().memo();
    let mut done = Block {
        lines: buffers.take(),
        ..Block::default()
    };
    let mut number = first;
    let mut rest = &block[..];
    while !rest.is_empty() {
        // The line with its newline, as the reader of single lines saw it.
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        let this = number;
        number += 1;
        if line.trim_ascii().is_empty() {
            continue;
        }
        match prepare_line(line, this, writer, memo, &mut done.lines) {
            Ok(date) => done.ends.push((date, done.lines.len())),
            Err(e) => {
                let message = e.to_string();
                let message = crate::redact::shared().redact_str(&message).into_owned();
                done.invalid.push((this, message));
            }
        }
    }
    buffers.give(block);
    done
}

/// One line: parsed, validated, redacted and serialized at the end of `out`.
fn prepare_line(
    line: &[u8],
    number: usize,
    writer: &Writer,
    memo: &mut Memo<'_>,
    out: &mut Vec<u8>,
) -> Result<NaiveDate> {
    let what = || format!("line {number}");
    let text = std::str::from_utf8(line)
        .map_err(|e| Error::invalid(what(), format!("not valid UTF-8: {e}")))?;
    let now = Timestamp::now();
    // Most lines: read borrowing, free-form fields copied as they are when redaction
    // leaves them alone. The others, and every error, take the general path.
    if let Some(date) = writer.prepare_skill_text(text.trim_end(), now, out, memo) {
        return Ok(date);
    }
    let rec = parse_record::<SkillInvocation>(text.trim_end(), &what())?;
    writer.prepare_into(rec, now, out).map_err(|e| match e {
        Error::Invalid { field, message } => Error::invalid(what(), format!("{field} {message}")),
        other => other,
    })
}

/// Reports a prepared block's refused lines, appends its records (one write per daily
/// file) and reports them.
fn finish_block(
    block: &Block,
    writer: &Writer,
    report: &mut BulkReport,
    on_event: &mut dyn FnMut(BulkEvent<'_>) -> Result<()>,
) -> Result<()> {
    for (line, message) in &block.invalid {
        report.invalid += 1;
        on_event(BulkEvent::Invalid {
            line: *line,
            message,
        })?;
    }
    let Some(&(date, _)) = block.ends.first() else {
        return Ok(());
    };
    let stream = SkillInvocation::STREAM;
    if block.ends.iter().all(|(d, _)| *d == date) {
        writer.append_lines(stream, date, &block.lines)?;
    } else {
        let mut dates: Vec<NaiveDate> = block.ends.iter().map(|(d, _)| *d).collect();
        dates.sort_unstable();
        dates.dedup();
        for day in dates {
            let mut data = Vec::new();
            let mut start = 0;
            for &(d, end) in &block.ends {
                if d == day {
                    data.extend_from_slice(&block.lines[start..end]);
                }
                start = end;
            }
            writer.append_lines(stream, day, &data)?;
        }
    }
    report.written += block.ends.len() as u64;
    on_event(BulkEvent::Written(&block.lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    /// Gives its bytes in reads of at most `step`, as a pipe does.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn numbers_lines_across_blocks_and_keeps_their_order() {
        // About 2.5 blocks of records, a line longer than a block, blank and CRLF lines,
        // bad lines on both sides of the block boundaries, and no final newline.
        let mut input = Vec::new();
        let mut bad = Vec::new();
        let mut good = 0u64;
        for n in 1..=6000usize {
            if n % 1500 == 0 {
                input.extend_from_slice(b"{\"skill\":\"s\",\"duration\":\"soon\"}\n");
                bad.push(n);
            } else if n == 2000 {
                input.extend_from_slice(b"   \r\n");
            } else if n == 2500 {
                let pad = "p".repeat(BLOCK + 1000);
                input.extend_from_slice(
                    format!(
                        "{{\"timestamp\":\"2026-11-20T10:00:00Z\",\"skill\":\"long\",\"params\":{{\"pad\":\"{pad}\"}}}}\r\n"
                    )
                    .as_bytes(),
                );
                good += 1;
            } else {
                let day = if n % 7 == 0 { 21 } else { 20 };
                input.extend_from_slice(
                    format!(
                        "{{\"timestamp\":\"2026-11-{day}T10:00:00Z\",\"id\":\"r{n}\",\"skill\":\"s\",\"params\":{{\"token\":\"t-{n}\",\"pad\":\"{}\"}}}}\n",
                        "x".repeat(400)
                    )
                    .as_bytes(),
                );
                good += 1;
            }
        }
        input.pop();
        let dir = tempfile::tempdir().unwrap();
        let writer = Writer::new(dir.path(), Redactor::default(), false, false);
        let mut refused = Vec::new();
        let mut echoed = Vec::new();
        let report = append_ndjson(
            &mut Trickle {
                data: &input,
                step: 7777,
            },
            &writer,
            &mut |event| {
                match event {
                    BulkEvent::Invalid { line, message } => {
                        assert_eq!(
                            message,
                            format!(
                                "invalid line {line}: field duration: expected f64, found string at line 1 column 30"
                            )
                        );
                        refused.push(line);
                    }
                    BulkEvent::Written(lines) => echoed.extend_from_slice(lines),
                }
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(refused, bad);
        assert_eq!(
            report,
            BulkReport {
                written: good,
                invalid: 4
            }
        );
        assert_eq!(
            report.summary().as_deref(),
            Some("logged 5995 records; 4 invalid lines were not written")
        );
        let read = |day: &str| {
            std::fs::read_to_string(
                dir.path()
                    .join(format!("logs/skill-invocations-{day}.jsonl")),
            )
            .unwrap()
        };
        let (day20, day21) = (read("2026-11-20"), read("2026-11-21"));
        assert_eq!((day20.lines().count() + day21.lines().count()) as u64, good);
        // Each file holds its records in input order; the echo holds them all in order.
        let ids = |text: &str| -> Vec<String> {
            text.lines()
                .filter_map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    let id = v["id"].as_str().filter(|id| id.starts_with('r'))?;
                    assert_eq!(v["params"]["token"], "[REDACTED]", "{id}");
                    Some(id.to_string())
                })
                .collect()
        };
        let want = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
            (1..=6000usize)
                .filter(|n| n % 1500 != 0 && *n != 2000 && *n != 2500 && keep(*n))
                .map(|n| format!("r{n}"))
                .collect()
        };
        assert_eq!(ids(&day20), want(&|n| n % 7 != 0));
        assert_eq!(ids(&day21), want(&|n| n % 7 == 0));
        assert_eq!(ids(std::str::from_utf8(&echoed).unwrap()), want(&|_| true));
        assert!(day20.contains("\"skill\":\"long\""));
    }

    #[test]
    fn empty_and_blank_input_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let writer = Writer::new(dir.path(), Redactor::default(), false, false);
        for input in [&b""[..], b"\n", b"  \n\r\n\n"] {
            let report = append_ndjson(&mut &input[..], &writer, &mut |_| {
                panic!("no event expected")
            })
            .unwrap();
            assert_eq!(report, BulkReport::default());
            assert_eq!(report.summary(), None);
        }
        assert!(!dir.path().join("logs").exists());
    }
}
