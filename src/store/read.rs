//! Reading streams: files split into lines with `memchr`, scanned in parallel (one
//! file per task, or, when there are fewer files than cores, large files in one
//! byte range per core), malformed lines skipped and counted, never a panic.

use std::collections::HashSet;
use std::io::{self, BufReader, Read};
use std::sync::Mutex;

use memchr::memchr;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::paths::DataFile;
use crate::error::{Error, Result};

/// Lines longer than this are skipped as malformed.
pub const MAX_LINE: usize = 16 << 20;

/// Read size; also the initial line buffer. Small enough that what a read copies is
/// still in the core's cache when the lines are scanned (1 MiB cost 8% more CPU).
const CHUNK: usize = 1 << 17;

/// Files at least this large are split between workers when there are fewer files
/// than cores.
const SPLIT_MIN: u64 = 4 << 20;

/// Why a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    /// Not JSON, not an object, invalid UTF-8, torn.
    Malformed,
    /// A required field is missing or has the wrong type.
    Invalid,
    /// Longer than [`MAX_LINE`].
    TooLong,
}

/// Malformed lines met while reading: how many, and where the first few were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Skipped {
    /// How many lines were skipped.
    pub count: u64,
    /// `file:line` of the first few, in file order.
    pub locations: Vec<(usize, u64, String)>,
    /// Days in the question whose raw files were pruned (`prune --keep-rollups`) and
    /// that the answer needed raw records of, as `YYYY-MM-DD`.
    pub pruned: Vec<String>,
}

/// How many locations the warning names.
const SHOWN_LOCATIONS: usize = 3;

impl Skipped {
    /// Counts one skipped line.
    pub fn add(&mut self, file_index: usize, line: u64, display: &str) {
        self.count += 1;
        if self.locations.len() < SHOWN_LOCATIONS {
            self.locations
                .push((file_index, line, format!("{display}:{line}")));
        }
    }

    /// Adds another tally (from another thread or file).
    pub fn merge(&mut self, other: Skipped) {
        self.count += other.count;
        self.locations.extend(other.locations);
        self.locations.sort();
        self.locations.truncate(SHOWN_LOCATIONS);
        self.pruned.extend(other.pruned);
        self.pruned.sort();
        self.pruned.dedup();
    }

    /// Adds another read of the same stream: lines both reads met count once. Exact when
    /// one of the two reads covered every file the other did (nested windows), as the
    /// dashboard's reads of one stream do.
    pub fn union(&mut self, other: Skipped) {
        self.count = self.count.max(other.count);
        self.locations.extend(other.locations);
        // File indexes differ between reads: order by file and line instead.
        let key = |l: &(usize, u64, String)| {
            let file =
                l.2.rsplit_once(':')
                    .map_or(l.2.clone(), |(f, _)| f.to_string());
            (file, l.1)
        };
        self.locations.sort_by_key(key);
        self.locations.dedup_by(|a, b| a.2 == b.2);
        self.locations.truncate(SHOWN_LOCATIONS);
        self.pruned.extend(other.pruned);
        self.pruned.sort();
        self.pruned.dedup();
    }

    /// The one warning printed at the end, or `None` when nothing was skipped:
    /// `warning: skipped 3 malformed lines (logs/x.jsonl:12, ...)`.
    pub fn warning(&self) -> Option<String> {
        let pruned = self.pruned_warning();
        if self.count == 0 {
            return pruned;
        }
        let noun = if self.count == 1 { "line" } else { "lines" };
        let mut places: Vec<&str> = self.locations.iter().map(|(_, _, s)| s.as_str()).collect();
        if self.count > places.len() as u64 {
            places.push("...");
        }
        let skipped = format!(
            "warning: skipped {} malformed {noun} ({})",
            self.count,
            places.join(", ")
        );
        Some(match pruned {
            Some(p) => format!("{skipped}\n{p}"),
            None => skipped,
        })
    }

    /// `warning: the records of 2 pruned days (2026-10-01, 2026-10-02) are not in this
    /// answer; only their rollups were kept`, or `None`.
    fn pruned_warning(&self) -> Option<String> {
        let (first, last) = (self.pruned.first()?, self.pruned.last()?);
        let days = match self.pruned.len() {
            1 => format!("1 pruned day ({first})"),
            2 => format!("2 pruned days ({first}, {last})"),
            n => format!("{n} pruned days ({first} … {last})"),
        };
        Some(format!(
            "warning: the records of {days} are not in this answer; only their rollups were kept"
        ))
    }
}

/// One line handed to a visitor.
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    /// The bytes, without the `\n` (and without a trailing `\r`).
    pub bytes: &'a [u8],
    /// Index of the file in the scan's (date-sorted) file list.
    pub file_index: usize,
    /// 1-based line number in the file.
    pub line: u64,
}

/// A scan of stream files, in parallel, with de-duplication by `id` when several
/// roots are read.
pub struct Scan {
    files: Vec<DataFile>,
    /// The index each file is reported under (its position in a longer list of
    /// sources, some answered without scanning); by default its position here.
    indexes: Option<Vec<usize>>,
    /// The part of each file read (`None`: all of it); by default all of every file.
    spans: Option<Vec<Option<Span>>>,
    seen: Option<Mutex<HashSet<Box<str>>>>,
}

/// A part of a file to read: the lines from `start`, a line start with `lines_before`
/// lines before it, to `end` (a line start too), or to the end of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Where reading begins: offset 0 or just past a newline.
    pub start: u64,
    /// Lines before `start`, so lines keep their numbers in the whole file.
    pub lines_before: u64,
    /// Where reading stops (`None`: at the end of the file, however long it grows).
    pub end: Option<u64>,
    /// The device and inode of the file the span was taken from: a file found replaced
    /// when opened is an error (the span's lines would be another file's).
    pub identity: Option<(u64, u64)>,
}

impl Scan {
    /// A scan of `files`; `dedup` turns on de-duplication by record id.
    pub fn new(files: Vec<DataFile>, dedup: bool) -> Scan {
        Scan {
            files,
            indexes: None,
            spans: None,
            seen: dedup.then(|| Mutex::new(HashSet::new())),
        }
    }

    /// This scan reading only the given part of each file (`None`: all of it).
    pub fn with_spans(self, spans: Vec<Option<Span>>) -> Scan {
        debug_assert_eq!(self.files.len(), spans.len());
        Scan {
            spans: Some(spans),
            ..self
        }
    }

    /// A scan of `files` whose lines and malformed-line warnings carry the given
    /// indexes (one per file) instead of their positions in `files`.
    pub fn with_indexes(files: Vec<DataFile>, indexes: Vec<usize>, dedup: bool) -> Scan {
        debug_assert_eq!(files.len(), indexes.len());
        Scan {
            indexes: Some(indexes),
            ..Scan::new(files, dedup)
        }
    }

    /// The files being scanned.
    pub fn files(&self) -> &[DataFile] {
        &self.files
    }

    /// True the first time a record id is seen (always true without de-duplication,
    /// and for records without an id).
    pub fn first_sighting(&self, id: Option<&str>) -> bool {
        match (&self.seen, id) {
            (Some(seen), Some(id)) => {
                let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                seen.insert(id.into())
            }
            _ => true,
        }
    }

    /// Visits every non-blank line of every file. `init` makes an accumulator per
    /// worker, `visit` folds a line into it (or says why the line is malformed), `merge`
    /// combines workers' accumulators. Blank lines are skipped silently.
    ///
    /// One worker per core pulls tasks from a shared index, so there are exactly as
    /// many accumulators as workers, whatever the number of files. A task is a file,
    /// or, when there are fewer files than cores, one core's share of a large
    /// uncompressed file (lines keep their numbers in the whole file): a question over
    /// one day's file uses every core.
    pub fn run<A, I, V, M>(&self, init: I, visit: V, merge: M) -> Result<(A, Skipped)>
    where
        A: Send,
        I: Fn() -> A + Sync,
        V: Fn(&mut A, LineRef<'_>) -> std::result::Result<(), LineError> + Sync,
        M: Fn(A, A) -> A,
    {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let tasks = self.tasks(cores);
        let workers = cores.min(tasks.len()).max(1);
        let next = AtomicUsize::new(0);
        let work = || -> Result<(A, Skipped)> {
            let (mut acc, mut skipped) = (init(), Skipped::default());
            // One buffer per worker, reused from file to file.
            let mut splitter = LineSplitter::default();
            while let Some(&(index, range, anchor, identity)) =
                tasks.get(next.fetch_add(1, Ordering::Relaxed))
            {
                let Some(file) = self.files.get(index) else {
                    break;
                };
                let shown = self
                    .indexes
                    .as_ref()
                    .and_then(|ix| ix.get(index).copied())
                    .unwrap_or(index);
                let task = Task {
                    file,
                    index: shown,
                    range,
                    anchor,
                    identity,
                };
                scan_file(&task, &mut splitter, &mut acc, &mut skipped, &visit)?;
            }
            Ok((acc, skipped))
        };
        let results: Vec<Result<(A, Skipped)>> = if workers == 1 {
            vec![work()]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
                handles
                    .into_iter()
                    .map(|h| {
                        h.join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect()
            })
        };
        let mut total: Option<(A, Skipped)> = None;
        for r in results {
            let (acc, skipped) = r?;
            total = Some(match total {
                None => (acc, skipped),
                Some((a, mut s)) => {
                    s.merge(skipped);
                    (merge(a, acc), s)
                }
            });
        }
        Ok(total.unwrap_or_else(|| (init(), Skipped::default())))
    }
}

impl Scan {
    /// The tasks of a scan: `(file, byte range, anchor)`, the range `None` for a whole
    /// file and `(start, end)` for a share of one (`end` `None`: to the end, however
    /// long); the anchor is a line start at or before the range's start, and the lines
    /// before it.
    fn tasks(&self, cores: usize) -> Vec<(usize, Option<ByteRange>, Anchor, Identity)> {
        let mut tasks = Vec::with_capacity(self.files.len());
        let split = cores > 1 && self.files.len() < cores;
        for (i, f) in self.files.iter().enumerate() {
            let span = self
                .spans
                .as_ref()
                .and_then(|s| s.get(i).copied().flatten());
            // Offsets in a compressed file are not its lines'.
            debug_assert!(span.is_none() || !f.gz, "a span of a compressed file");
            let identity = span.and_then(|s| s.identity);
            let anchor = span.map_or((0, 0), |s| (s.start, s.lines_before));
            let whole = span.map(|s| (s.start, s.end));
            let size = match split && !f.gz {
                true => std::fs::symlink_metadata(&f.path).map_or(0, |m| m.len()),
                false => 0,
            };
            let (from, to) = match span {
                Some(s) => (s.start, s.end.map_or(size, |e| e.min(size))),
                None => (0, size),
            };
            let length = to.saturating_sub(from);
            if length < SPLIT_MIN {
                tasks.push((i, whole, anchor, identity));
                continue;
            }
            let n = cores as u64;
            for k in 0..n {
                let end = match k + 1 < n {
                    true => Some(from + length * (k + 1) / n),
                    false => span.and_then(|s| s.end),
                };
                tasks.push((i, Some((from + length * k / n, end)), anchor, identity));
            }
        }
        tasks
    }
}

/// A share of a file: from a byte offset to another, or to the end.
type ByteRange = (u64, Option<u64>);

/// A line start in a file and the number of lines before it.
type Anchor = (u64, u64);

/// The device and inode a file must have, if any.
type Identity = Option<(u64, u64)>;

/// One file, or a share of one, to scan.
struct Task<'a> {
    file: &'a DataFile,
    /// The index its lines are reported under.
    index: usize,
    range: Option<ByteRange>,
    /// Where counting lines may start, for a share.
    anchor: Anchor,
    /// The device and inode the opened file must have.
    identity: Identity,
}

/// A share of a file: the lines that start in `[start, end)`. Reading begins at the
/// first line that starts at or after `start` and stops after the line that holds
/// `end - 1`'s successor boundary (the last line starting before `end`, read whole).
struct Share {
    file: std::fs::File,
    /// Bytes left before `end`; `None` to read to the end of the file.
    left: Option<u64>,
    /// Past `end`: stop after the next newline.
    finishing: bool,
    done: bool,
    /// The last byte handed out: at `end`, a newline means the share is complete.
    last: u8,
}

impl Read for Share {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        match self.left {
            None => self.file.read(buf),
            Some(0) if !self.finishing => {
                if self.last == b'\n' {
                    self.done = true;
                    return Ok(0);
                }
                self.finishing = true;
                self.read(buf)
            }
            Some(left) if !self.finishing => {
                let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let n = self.file.read(&mut buf[..want])?;
                if n == 0 {
                    self.done = true;
                } else {
                    self.last = buf[n - 1];
                }
                self.left = Some(left - n as u64);
                Ok(n)
            }
            Some(_) => {
                let n = self.file.read(buf)?;
                match memchr(b'\n', &buf[..n]) {
                    Some(at) => {
                        self.done = true;
                        Ok(at + 1)
                    }
                    None => {
                        if n == 0 {
                            self.done = true;
                        }
                        Ok(n)
                    }
                }
            }
        }
    }
}

/// Opens a share of `file` starting at `start`: positioned at the first line that
/// starts at or after it, with the number of lines before that line. Lines are counted
/// from `anchor`, a line start at or before `start`.
fn open_share(
    mut file: std::fs::File,
    start: u64,
    end: Option<u64>,
    anchor: Anchor,
) -> io::Result<(Share, u64)> {
    use std::io::{Seek, SeekFrom};
    let (from, mut lines_before) = anchor;
    let mut first = start;
    if start > from {
        // Count the newlines before `start`, then skip the line that `start` cuts.
        file.seek(SeekFrom::Start(from))?;
        let mut block = vec![0u8; 256 * 1024];
        let mut at = from;
        while at < start {
            let want = usize::try_from(start - at)
                .unwrap_or(usize::MAX)
                .min(block.len());
            let n = file.read(&mut block[..want])?;
            if n == 0 {
                break;
            }
            lines_before += memchr::memchr_iter(b'\n', &block[..n]).count() as u64;
            at += n as u64;
            if at == start {
                // Whether `start` is the start of a line.
                if block[n - 1] != b'\n' {
                    first = skip_line(&mut file, start)?;
                    lines_before += 1;
                }
            }
        }
    }
    file.seek(SeekFrom::Start(first))?;
    let left = end.map(|e| e.saturating_sub(first));
    // A cut line that ran past `end` leaves nothing to read but stops at once.
    let share = Share {
        file,
        finishing: false,
        done: end.is_some_and(|e| first >= e),
        left,
        // An empty share is complete at once.
        last: b'\n',
    };
    Ok((share, lines_before))
}

/// From `at`, reads to just past the next newline and returns that offset (the end of
/// the file when there is none).
fn skip_line(file: &mut std::fs::File, mut at: u64) -> io::Result<u64> {
    let mut block = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut block)?;
        if n == 0 {
            return Ok(at);
        }
        if let Some(i) = memchr(b'\n', &block[..n]) {
            return Ok(at + i as u64 + 1);
        }
        at += n as u64;
    }
}

/// What a task reads.
enum Source {
    Whole(std::fs::File),
    Share(Share),
}

fn scan_file<A, V>(
    task: &Task<'_>,
    splitter: &mut LineSplitter,
    acc: &mut A,
    skipped: &mut Skipped,
    visit: &V,
) -> Result<()>
where
    V: Fn(&mut A, LineRef<'_>) -> std::result::Result<(), LineError>,
{
    let (file, index) = (task.file, task.index);
    let handle = match super::safe::open_read(&file.path) {
        Ok(f) => f,
        // Pruned or rotated away since it was listed.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        // A symlink, FIFO, socket or folder named like a stream file: skipped with the
        // warning, never followed or waited on.
        Err(e)
            if e.kind() == io::ErrorKind::InvalidInput || e.raw_os_error() == Some(libc::ELOOP) =>
        {
            skipped.add(index, 0, &file.display);
            return Ok(());
        }
        Err(source) => {
            return Err(Error::Read {
                path: file.path.clone(),
                source,
            });
        }
    };
    if let Some((dev, ino)) = task.identity {
        use std::os::unix::fs::MetadataExt;
        let same = handle
            .metadata()
            .is_ok_and(|m| (m.dev(), m.ino()) == (dev, ino));
        if !same {
            return Err(Error::Read {
                path: file.path.clone(),
                source: io::Error::other(
                    "it was replaced while it was read; run the command again",
                ),
            });
        }
    }
    let (source, base) = match task.range {
        Some((start, end)) => {
            let (share, base) =
                open_share(handle, start, end, task.anchor).map_err(|source| Error::Read {
                    path: file.path.clone(),
                    source,
                })?;
            (Source::Share(share), base)
        }
        None => (Source::Whole(handle), 0),
    };
    let mut on_line = |line: Line<'_>, number: u64| {
        let number = number + base;
        match line {
            Line::TooLong => skipped.add(index, number, &file.display),
            Line::Text(bytes) => {
                let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    return;
                }
                if visit(
                    acc,
                    LineRef {
                        bytes,
                        file_index: index,
                        line: number,
                    },
                )
                .is_err()
                {
                    skipped.add(index, number, &file.display);
                }
            }
        }
    };
    let result = match source {
        Source::Share(share) => splitter.for_each_line(share, &mut on_line),
        Source::Whole(handle) if file.gz => splitter.for_each_line(
            flate2::read::MultiGzDecoder::new(BufReader::new(handle)),
            &mut on_line,
        ),
        Source::Whole(handle) => splitter.for_each_line(handle, &mut on_line),
    };
    match result {
        Ok(()) => Ok(()),
        // A corrupt gzip member: what was read counts; the rest is one malformed line.
        Err(e)
            if file.gz
                && matches!(
                    e.kind(),
                    io::ErrorKind::InvalidInput
                        | io::ErrorKind::InvalidData
                        | io::ErrorKind::UnexpectedEof
                ) =>
        {
            skipped.add(index, 0, &file.display);
            Ok(())
        }
        Err(source) => Err(Error::Read {
            path: file.path.clone(),
            source,
        }),
    }
}

/// A line as split from a file.
#[derive(Debug, Clone, Copy)]
pub enum Line<'a> {
    /// The line's bytes, without `\n`.
    Text(&'a [u8]),
    /// A line longer than [`MAX_LINE`], not kept.
    TooLong,
}

/// Splits `reader` into lines with `memchr`, reusing one buffer. A last line without
/// `\n` (a torn write, or a file not ending in a newline) is passed too. Lines longer
/// than [`MAX_LINE`] are reported as [`Line::TooLong`] without being kept in memory.
pub fn for_each_line<R: Read>(reader: R, f: impl FnMut(Line<'_>, u64)) -> io::Result<()> {
    LineSplitter::default().for_each_line(reader, f)
}

/// Splits readers into lines with one buffer, reused from reader to reader (a fresh
/// megabyte per file costs page faults and zeroing).
#[derive(Default)]
pub struct LineSplitter {
    buf: Vec<u8>,
}

impl LineSplitter {
    /// As [`for_each_line`], with this splitter's buffer.
    pub fn for_each_line<R: Read>(
        &mut self,
        reader: R,
        f: impl FnMut(Line<'_>, u64),
    ) -> io::Result<()> {
        let (buf, result) = split_lines(std::mem::take(&mut self.buf), reader, f);
        self.buf = buf;
        result
    }
}

/// The splitting loop, on a buffer it owns (kept in registers) and gives back.
fn split_lines<R: Read>(
    mut buf: Vec<u8>,
    mut reader: R,
    mut f: impl FnMut(Line<'_>, u64),
) -> (Vec<u8>, io::Result<()>) {
    if buf.len() < CHUNK {
        buf.resize(CHUNK, 0);
    }
    let (mut end, mut number, mut too_long) = (0usize, 0u64, false);
    loop {
        let mut start = 0;
        while let Some(pos) = memchr(b'\n', &buf[start..end]) {
            number += 1;
            if too_long || pos > MAX_LINE {
                too_long = false;
                f(Line::TooLong, number);
            } else {
                f(Line::Text(&buf[start..start + pos]), number);
            }
            start += pos + 1;
        }
        if start > 0 {
            buf.copy_within(start..end, 0);
            end -= start;
        }
        if end > MAX_LINE {
            too_long = true;
            end = 0;
        }
        if end == buf.len() {
            buf.resize((buf.len() * 2).min(MAX_LINE + CHUNK + 1), 0);
        }
        let n = match reader.read(&mut buf[end..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (buf, Err(e)),
        };
        if n == 0 {
            if too_long {
                f(Line::TooLong, number + 1);
            } else if end > 0 {
                f(Line::Text(&buf[..end]), number + 1);
            }
            return (buf, Ok(()));
        }
        end += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        for_each_line(input, |l, n| {
            out.push((
                match l {
                    Line::Text(b) => String::from_utf8_lossy(b).into_owned(),
                    Line::TooLong => "<too long>".into(),
                },
                n,
            ))
        })
        .unwrap();
        out
    }

    #[test]
    fn shares_of_a_file_hold_each_line_once_with_its_number() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        let text = b"{\"a\":1}\n\n{\"b\":22}\nxyz\n{\"c\":333}\ntorn";
        std::fs::write(&path, text).unwrap();
        let whole = lines_of(&path, None, (0, 0), &mut LineSplitter::default());
        assert_eq!(whole.len(), 5);
        let size = text.len() as u64;
        let mut splitter = LineSplitter::default();
        let mut lines = |range, anchor| lines_of(&path, range, anchor, &mut splitter);
        assert_eq!(lines(None, (0, 0)), whole);
        for cut in 0..=size {
            for cut2 in cut..=size {
                let mut got = lines(Some((0, Some(cut))), (0, 0));
                got.extend(lines(Some((cut, Some(cut2))), (0, 0)));
                got.extend(lines(Some((cut2, None)), (0, 0)));
                assert_eq!(got, whole, "cuts at {cut} and {cut2}");
            }
        }
        // Counted from a later line start (a span's), lines keep their numbers.
        let starts = (0..=size).filter(|&i| i == 0 || text[i as usize - 1] == b'\n');
        for (before, from) in starts.enumerate() {
            let later: Vec<_> = whole
                .iter()
                .filter(|(n, _)| *n > before as u64)
                .cloned()
                .collect();
            for cut in from..=size {
                let anchor = (from, before as u64);
                let mut got = lines(Some((from, Some(cut))), anchor);
                got.extend(lines(Some((cut, None)), anchor));
                assert_eq!(got, later, "from {from}, cut at {cut}");
            }
        }
    }

    /// A span taken from one file is never read from another put in its place.
    #[test]
    fn a_span_of_a_replaced_file_is_an_error() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"b\":2}\n").unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let file = DataFile {
            path: path.clone(),
            display: "x".into(),
            date: None,
            gz: false,
            root_index: 0,
        };
        let span = |identity| Span {
            start: 8,
            lines_before: 1,
            end: None,
            identity,
        };
        let lines = |identity| {
            Scan::new(vec![file.clone()], false)
                .with_spans(vec![Some(span(identity))])
                .run(
                    Vec::new,
                    |acc: &mut Vec<u64>, l| {
                        acc.push(l.line);
                        Ok(())
                    },
                    |mut a, b| {
                        a.extend(b);
                        a
                    },
                )
                .map(|(lines, _)| lines)
        };
        assert_eq!(lines(Some((meta.dev(), meta.ino()))).unwrap(), vec![2]);
        let err = lines(Some((meta.dev(), meta.ino() + 1))).unwrap_err();
        assert!(
            err.to_string().contains("replaced while it was read"),
            "{err}"
        );
    }

    fn lines_of(
        path: &std::path::Path,
        range: Option<ByteRange>,
        anchor: Anchor,
        splitter: &mut LineSplitter,
    ) -> Vec<(u64, String)> {
        let file = DataFile {
            path: path.to_path_buf(),
            display: "x".into(),
            date: None,
            gz: false,
            root_index: 0,
        };
        let task = Task {
            file: &file,
            index: 0,
            range,
            anchor,
            identity: None,
        };
        let mut acc = Vec::new();
        let mut skipped = Skipped::default();
        scan_file(&task, splitter, &mut acc, &mut skipped, &|acc: &mut Vec<
            (u64, String),
        >,
                                                             l: LineRef<
            '_,
        >| {
            acc.push((l.line, String::from_utf8_lossy(l.bytes).into_owned()));
            Ok(())
        })
        .unwrap();
        acc
    }

    #[test]
    fn splits_lines_and_keeps_torn_tail() {
        assert_eq!(
            lines(b"a\nbb\n\nc"),
            vec![
                ("a".into(), 1),
                ("bb".into(), 2),
                ("".into(), 3),
                ("c".into(), 4)
            ]
        );
        assert_eq!(lines(b""), vec![]);
        assert_eq!(lines(b"x\n"), vec![("x".into(), 1)]);
    }

    #[test]
    fn long_lines() {
        let mut big = vec![b'a'; MAX_LINE + 10];
        big.extend_from_slice(b"\nok\n");
        big.extend(vec![b'b'; 10 << 20]);
        big.extend_from_slice(b"\n");
        let got = lines(&big);
        let summary: Vec<(usize, u64)> = got.iter().map(|(s, n)| (s.len(), *n)).collect();
        assert_eq!(
            summary,
            vec![("<too long>".len(), 1), (2, 2), (10 << 20, 3)]
        );
        assert_eq!(got[0].0, "<too long>");
    }

    #[test]
    fn warning_text() {
        let mut s = Skipped::default();
        assert_eq!(s.warning(), None);
        s.add(0, 12, "logs/a.jsonl");
        assert_eq!(
            s.warning().unwrap(),
            "warning: skipped 1 malformed line (logs/a.jsonl:12)"
        );
        let mut t = Skipped::default();
        for n in [3, 4, 5] {
            t.add(1, n, "logs/b.jsonl");
        }
        s.merge(t);
        assert_eq!(
            s.warning().unwrap(),
            "warning: skipped 4 malformed lines (logs/a.jsonl:12, logs/b.jsonl:3, logs/b.jsonl:4, ...)"
        );
    }
}
