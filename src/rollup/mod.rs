//! Rollups (SPEC §13): summaries of sealed daily files (and of the first lines of a
//! large file of today's), so questions over long histories read kilobytes instead of
//! gigabytes.
//!
//! A daily file is *sealed* once its UTC date is over. Its rollup lives at
//! `ROOT/.ccmon/rollups/<file name>.rollup` and is tied to the file's size,
//! modification time, inode and device as they were when it was built: when any of
//! them changes (a late record, a rewrite, compression) the rollup is stale, ignored and
//! rebuilt. A rollup is never needed for a correct answer — a missing, stale or damaged
//! one only makes a report slower — and a report that cannot be answered from one (a
//! `--grep`, a read over several roots) scans raw lines as before.
//!
//! This module is the file machinery, shared by every stream: the fingerprint, the
//! file format, loading and saving, planning a read ([`plan`]), `rollup` and `prune`.
//! What a rollup holds is the stream's business; here it is two opaque sections, both
//! left on disk until a report reads them:
//!
//! - the *day* section: for the skill stream (`log::rollup`), groups over the whole
//!   file, read by reports whose window holds every record of the file; for journeys
//!   and provider calls, one compact row per record ([`rows`]);
//! - the *quarter* section: the skill stream's 15-minute buckets, read for local-time
//!   days and windows whose edges fall on a quarter hour.
//!
//! The exports keep each sealed file's fold of their own ([`cached_fold`],
//! `<file name>.<kind>.rollup`).
//! Today's file has a rollup of its first lines when it is large (`prefix`), for
//! readers that then read the rest raw (`cc-log stats`).
//!
//! Format: the magic `ccmonRU4`, then three length-prefixed (u64 little-endian) parts:
//! the [`Header`] (postcard), the day section, the quarter section; then the CRC-32 of
//! the day section and of the quarter section (u32 little-endian), checked when a
//! section is read, so a changed byte makes a rollup damaged, never a wrong answer.
//! (Formats 1 to 3 had no [`Prefix`] in their header, 1 and 2 no CRCs; format 1's sums
//! were plain floats.) Files are 0600 in a
//! 0700 folder, written to a temporary file and renamed into place, so concurrent
//! readers see the old rollup or the new one; concurrent builders of the same file write
//! the same content and the last rename wins.

use std::fs::Metadata;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

mod prefix;
pub mod rows;
pub use rows::{Rows, fold_rows, recipe as rows_recipe};

use crate::store::safe::{self, PRIVATE_DIR, PRIVATE_FILE};
use crate::store::{DataFile, Roots, Scan, Skipped, Stream};
use crate::time::Timestamp;

/// The first bytes of every rollup file; the digit is the format's version (2: exact
/// sums; 3: section checksums; 4: rollups of today's file, [`Prefix`]). A rollup of an older version is stale, rebuilt silently
/// from its raw file; one kept by pruning cannot be, and is read as it is (see
/// [`Rollup::version`]).
const MAGIC: &[u8; 8] = b"ccmonRU4";

/// The oldest format version still read.
const OLDEST: u8 = b'1';

/// The length of a rollup bucket: every time zone's offset is a multiple of it, so local
/// days are unions of buckets.
pub const QUARTER_MS: i64 = 15 * crate::time::MINUTE_MS;

/// The identity of a raw file when its rollup was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Inode number.
    pub inode: u64,
    /// Device number.
    pub dev: u64,
}

impl Fingerprint {
    /// The fingerprint of a file's current metadata.
    pub fn of(meta: &Metadata) -> Fingerprint {
        Fingerprint {
            size: meta.len(),
            mtime_ns: meta.mtime().saturating_mul(1_000_000_000) + meta.mtime_nsec(),
            inode: meta.ino(),
            dev: meta.dev(),
        }
    }

    /// The fingerprint of the file at `path` (not following a symbolic link), or
    /// `None` when it cannot be read or is not a regular file.
    pub fn of_path(path: &Path) -> Option<Fingerprint> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        meta.file_type().is_file().then(|| Fingerprint::of(&meta))
    }
}

/// What every rollup says about its raw file, whatever the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The raw file it summarizes, as it was.
    pub source: Fingerprint,
    /// The raw file was deleted by `prune --keep-rollups`: the rollup stands alone.
    pub pruned: bool,
    /// A digest of whatever else the summary depends on (a price table), 0 when
    /// nothing: a rollup built under other settings is stale.
    pub key: u64,
    /// Records summarized.
    pub records: u64,
    /// The earliest and latest record times (milliseconds), `None` when empty.
    pub first: Option<i64>,
    /// See `first`.
    pub last: Option<i64>,
    /// Malformed lines skipped while building, and the line numbers of the first few,
    /// so a report answered from the rollup warns as a raw scan would.
    pub skipped: u64,
    /// See `skipped`.
    pub skipped_lines: Vec<u64>,
    /// For a rollup of the first lines of a file still being written (today's): what
    /// those bytes were. `source.size` is their length.
    pub prefix: Option<Prefix>,
    /// How many of the malformed lines look like a whole object (`{...}`): a raw scan
    /// for an exact value skips such a line without parsing it when the value is not in
    /// it, so it does not count it; a question with such a filter reads the file raw.
    pub object_skipped: u64,
}

/// What a rollup of a file's first lines covers: the file's bytes `[0, size)`, which
/// end with a newline. It is used while those bytes are unchanged (same inode, same
/// checksum), whatever was appended since; the rest is read raw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefix {
    /// The CRC-32 of the bytes.
    pub crc: u32,
    /// The lines in them.
    pub lines: u64,
}

/// [`Header`] as formats 1 to 3 stored it.
#[derive(Deserialize)]
struct HeaderV3 {
    source: Fingerprint,
    pruned: bool,
    key: u64,
    records: u64,
    first: Option<i64>,
    last: Option<i64>,
    skipped: u64,
    skipped_lines: Vec<u64>,
}

impl From<HeaderV3> for Header {
    fn from(h: HeaderV3) -> Header {
        Header {
            source: h.source,
            pruned: h.pruned,
            key: h.key,
            records: h.records,
            first: h.first,
            last: h.last,
            skipped: h.skipped,
            skipped_lines: h.skipped_lines,
            prefix: None,
            object_skipped: 0,
        }
    }
}

impl Header {
    /// Whether every record of the file lies within `[since, until]`.
    pub fn within(&self, since: Option<Timestamp>, until: Option<Timestamp>) -> bool {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return true;
        };
        since.is_none_or(|s| s.millis() <= first) && until.is_none_or(|u| last <= u.millis())
    }

    /// Adds the malformed lines met while building to a report's tally, as the raw scan
    /// of file `index` (shown as `display`) would have.
    pub fn add_skipped(&self, skipped: &mut Skipped, index: usize, display: &str) {
        let mut mine = Skipped::default();
        for &line in &self.skipped_lines {
            mine.add(index, line, display);
        }
        mine.count = self.skipped;
        skipped.merge(mine);
    }
}

/// How a quarter bucket lies against a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// Every instant of the bucket is in the window.
    Inside,
    /// None is.
    Outside,
    /// Some are: the bucket's records must be read raw.
    Partial,
}

/// How quarter bucket `q` (starting at `q * QUARTER_MS`) lies against `[since, until]`.
pub fn cover(q: i64, since: Option<Timestamp>, until: Option<Timestamp>) -> Cover {
    let (start, end) = (q * QUARTER_MS, q * QUARTER_MS + QUARTER_MS - 1);
    let (lo, hi) = (
        since.map_or(i64::MIN, Timestamp::millis),
        until.map_or(i64::MAX, Timestamp::millis),
    );
    if end < lo || start > hi {
        Cover::Outside
    } else if lo <= start && end <= hi {
        Cover::Inside
    } else {
        Cover::Partial
    }
}

/// The quarter bucket a time falls in.
pub fn quarter_of(t: Timestamp) -> i64 {
    t.millis().div_euclid(QUARTER_MS)
}

/// A rollup: its header and its two sections, still encoded. Loaded from disk, both
/// sections stay in the file, read through the open descriptor when a report asks for
/// one (a report over a month holds one day's section per core at a time, not the
/// month's), so a rollup replaced meanwhile is never mixed with its successor.
#[derive(Debug, Clone)]
pub struct Rollup {
    /// What it says about its raw file.
    pub header: Header,
    /// Its format version: 4, or an older one for a rollup kept by pruning before it
    /// (3: no prefix; 2: no checksums; 1: no checksums, and its day section's sums are
    /// plain floats).
    pub version: u8,
    bytes: Vec<u8>,
    day: Part,
    quarters: Part,
}

/// Where a section is.
#[derive(Debug, Clone)]
enum Part {
    /// In `bytes`, at this range.
    Held(usize, usize),
    /// In the file, at this offset and length, with its CRC-32 (none in format 1).
    OnDisk(std::sync::Arc<std::fs::File>, u64, usize, Option<u32>),
}

impl Rollup {
    fn part(&self, part: &Part) -> Option<std::borrow::Cow<'_, [u8]>> {
        use std::os::unix::fs::FileExt;
        match part {
            Part::Held(a, b) => Some(std::borrow::Cow::Borrowed(&self.bytes[*a..*b])),
            Part::OnDisk(file, at, len, crc) => {
                let mut buf = vec![0u8; *len];
                file.read_exact_at(&mut buf, *at).ok()?;
                if crc.is_some_and(|c| c != crc32fast::hash(&buf)) {
                    return None;
                }
                Some(std::borrow::Cow::Owned(buf))
            }
        }
    }

    /// The day section; `None` when it cannot be read any more.
    pub fn day(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        self.part(&self.day)
    }

    /// The quarter section; `None` when it cannot be read any more.
    pub fn quarters(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        self.part(&self.quarters)
    }

    /// Reads a rollup file's header, leaving its sections on disk; `None` when it is
    /// not one or is damaged (its length must be what its parts say).
    fn read(file: &std::fs::File) -> Option<Rollup> {
        use std::os::unix::fs::FileExt;
        let mut file = file.try_clone().ok()?;
        let size = file.metadata().ok()?.len();
        let (header, head_len, version) = read_head(&mut file, size)?;
        let length_at = |at: u64| -> Option<u64> {
            let mut len = [0u8; 8];
            file.read_exact_at(&mut len, at).ok()?;
            Some(u64::from_le_bytes(len))
        };
        let day_at = (MAGIC.len() + 8 + head_len + 8) as u64;
        let day_len = length_at(day_at - 8)?;
        let quarters_at = day_at.checked_add(day_len)?.checked_add(8)?;
        let quarters_len = length_at(quarters_at - 8)?;
        let end = quarters_at.checked_add(quarters_len)?;
        let crcs = match version {
            1 | 2 => (end == size).then_some((None, None))?,
            _ => {
                let mut trailer = [0u8; 8];
                file.read_exact_at(&mut trailer, end).ok()?;
                if end + 8 != size {
                    return None;
                }
                let [a, b, c, d, e, f, g, h] = trailer;
                (
                    Some(u32::from_le_bytes([a, b, c, d])),
                    Some(u32::from_le_bytes([e, f, g, h])),
                )
            }
        };
        let file = std::sync::Arc::new(file);
        Some(Rollup {
            header,
            version,
            bytes: Vec::new(),
            day: Part::OnDisk(file.clone(), day_at, usize::try_from(day_len).ok()?, crcs.0),
            quarters: Part::OnDisk(
                file,
                quarters_at,
                usize::try_from(quarters_len).ok()?,
                crcs.1,
            ),
        })
    }

    /// Encodes a rollup file.
    pub fn encode(header: &Header, day: &[u8], quarters: &[u8]) -> Vec<u8> {
        let head = postcard::to_stdvec(header).unwrap_or_default();
        let mut out =
            Vec::with_capacity(MAGIC.len() + 24 + head.len() + day.len() + quarters.len());
        out.extend_from_slice(MAGIC);
        for part in [&head[..], day, quarters] {
            out.extend_from_slice(&(part.len() as u64).to_le_bytes());
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&crc32fast::hash(day).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(quarters).to_le_bytes());
        out
    }

    /// Decodes a rollup file; `None` when it is not one or is damaged.
    pub fn decode(bytes: Vec<u8>) -> Option<Rollup> {
        let rest = bytes.strip_prefix(MAGIC)?;
        let mut at = MAGIC.len();
        let mut parts = [(0usize, 0usize); 3];
        let mut rest = rest;
        for part in &mut parts {
            let (len, tail) = rest.split_first_chunk::<8>()?;
            let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
            if tail.len() < len {
                return None;
            }
            at += 8;
            *part = (at, at + len);
            at += len;
            rest = &tail[len..];
        }
        let crc = |(a, b): (usize, usize)| crc32fast::hash(&bytes[a..b]).to_le_bytes();
        if rest.len() != 8 || rest[..4] != crc(parts[1]) || rest[4..] != crc(parts[2]) {
            return None;
        }
        let header: Header = postcard::from_bytes(&bytes[parts[0].0..parts[0].1]).ok()?;
        Some(Rollup {
            header,
            version: MAGIC[7] - b'0',
            day: Part::Held(parts[1].0, parts[1].1),
            quarters: Part::Held(parts[2].0, parts[2].1),
            bytes,
        })
    }
}

/// Rollups are in use unless `CC_ROLLUPS=off`.
pub fn enabled() -> bool {
    std::env::var_os("CC_ROLLUPS").is_none_or(|v| v != "off")
}

/// The folder of a root's rollups.
pub fn dir(root: &Path) -> PathBuf {
    root.join(".ccmon").join("rollups")
}

/// Whether a root's rollups may be used: neither `.ccmon` nor its `rollups` folder is a
/// symbolic link (SPEC §15: no symlink is followed; writes refuse one, and reads must not
/// take rollups from, or delete them in, another place). Said once when not.
pub fn usable(root: &Path) -> bool {
    let linked = [root.join(".ccmon"), dir(root)]
        .into_iter()
        .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()));
    let Some(link) = linked else {
        return true;
    };
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        crate::error::warn(format_args!(
            "warning: ignoring rollups: {} is a symbolic link (reading raw lines)",
            crate::store::paths::display_path(&link)
        ));
    });
    false
}

/// The rollup of the raw file at `raw` (in root `root`).
pub fn path_for(root: &Path, raw: &Path) -> PathBuf {
    let name = raw
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    dir(root).join(format!("{name}.rollup"))
}

/// Whether a daily file is sealed: its UTC date is over. Undated legacy files never are.
pub fn sealed(file: &DataFile, now: Timestamp) -> bool {
    file.date.is_some_and(|d| d < now.utc_date())
}

/// Whether a daily file is today's (UTC), uncompressed.
fn is_today(file: &DataFile, now: Timestamp) -> bool {
    file.date == Some(now.utc_date()) && !file.gz
}

/// Whether a window edge falls inside today (UTC) off a quarter hour: today's
/// rollup could not answer, so none is checked or built for the question.
fn cuts_today(since: Option<Timestamp>, until: Option<Timestamp>, now: Timestamp) -> bool {
    let day = now.millis() - now.millis().rem_euclid(crate::time::DAY_MS);
    let today = |t: i64| (day..day + crate::time::DAY_MS).contains(&t);
    since.is_some_and(|s| today(s.millis()) && s.millis().rem_euclid(QUARTER_MS) != 0)
        || until.is_some_and(|u| today(u.millis()) && (u.millis() + 1).rem_euclid(QUARTER_MS) != 0)
}

/// What loading a rollup found.
#[derive(Debug)]
pub enum Loaded {
    /// A rollup that matches its raw file (or stands alone after pruning).
    Fresh(Box<Rollup>),
    /// None, or one for another version of the raw file: build one.
    Missing,
    /// One that cannot be read: warn, and build one.
    Damaged,
    /// Something other than a regular file is at its place (a symbolic link, a FIFO, a
    /// folder): never read or replaced; warn, and read the raw file.
    NotAFile,
}

/// Reads the rollup file at `path`, fresh when `fresh` says so of it. One of an older
/// format that cannot be read is only stale (`Missing`) when `rebuildable` (its raw
/// file is there to rebuild it from), else damaged, whatever is wrong with it.
fn load_if(path: &Path, rebuildable: bool, fresh: impl FnOnce(&Rollup) -> bool) -> Loaded {
    let file = match safe::open_read(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e)
            if e.kind() == std::io::ErrorKind::InvalidInput
                || e.raw_os_error() == Some(libc::ELOOP) =>
        {
            return Loaded::NotAFile;
        }
        Err(_) => return Loaded::Damaged,
    };
    match Rollup::read(&file) {
        Some(rollup) if fresh(&rollup) => Loaded::Fresh(Box::new(rollup)),
        Some(_) => Loaded::Missing,
        None if rebuildable && older(&file) => Loaded::Missing,
        None => Loaded::Damaged,
    }
}

/// The one warning for a rollup path that holds something other than a regular file.
pub fn not_a_file_warning(path: &Path) -> String {
    format!(
        "warning: ignoring {}: not a regular file (reading raw lines)",
        crate::store::paths::display_path(path)
    )
}

/// Reads the rollup at `path` and checks it against the raw file's fingerprint (`None`
/// when the raw file is gone: only a rollup kept by pruning is then fresh) and the key
/// of the settings it was built under.
pub fn load(path: &Path, source: Option<Fingerprint>, key: u64) -> Loaded {
    load_if(path, source.is_some(), |rollup| {
        let current = rollup.version == MAGIC[7] - b'0';
        rollup.header.key == key
            && match source {
                Some(fp) => current && rollup.header.source == fp,
                None => rollup.header.pruned,
            }
    })
}

/// Whether a rollup file starts with the magic of an older format version.
fn older(file: &std::fs::File) -> bool {
    use std::os::unix::fs::FileExt;
    let mut magic = [0u8; 8];
    file.read_exact_at(&mut magic, 0).is_ok()
        && magic[..7] == MAGIC[..7]
        && (OLDEST..MAGIC[7]).contains(&magic[7])
}

/// Reads only the header of the rollup at `path`.
fn read_header(path: &Path) -> Option<Header> {
    let mut file = safe::open_read(path).ok()?;
    let size = file.metadata().ok()?.len();
    read_head(&mut file, size).map(|(h, _, _)| h)
}

/// Reads the magic and the header of a rollup file of `size` bytes from its start: the
/// header, its encoded length, and the format version.
fn read_head(file: &mut std::fs::File, size: u64) -> Option<(Header, usize, u8)> {
    let mut magic = [0u8; 8];
    file.read_exact(&mut magic).ok()?;
    if magic[..7] != MAGIC[..7] || !(OLDEST..=MAGIC[7]).contains(&magic[7]) {
        return None;
    }
    let head = read_part(file, size)?;
    let version = magic[7] - b'0';
    let header = match version {
        1..=3 => postcard::from_bytes::<HeaderV3>(&head).ok()?.into(),
        _ => postcard::from_bytes(&head).ok()?,
    };
    Some((header, head.len(), version))
}

/// Reads one length-prefixed part of a rollup file of `size` bytes.
fn read_part(file: &mut std::fs::File, size: u64) -> Option<Vec<u8>> {
    let mut len = [0u8; 8];
    file.read_exact(&mut len).ok()?;
    let len = usize::try_from(u64::from_le_bytes(len)).ok()?;
    if len as u64 > size {
        return None;
    }
    let mut buf = vec![0u8; len];
    file.read_exact(&mut buf).ok()?;
    Some(buf)
}

/// The days of `stream` in `[since, until]` whose raw files were pruned with
/// `--keep-rollups`, in any root, as `YYYY-MM-DD`: what a raw read cannot see.
pub fn pruned_dates(
    roots: &Roots,
    stream: Stream,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
) -> Vec<String> {
    let mut days: Vec<String> = roots
        .all()
        .iter()
        .flat_map(|root| {
            pruned_days(
                root,
                stream,
                since.map(Timestamp::utc_date),
                until.map(Timestamp::utc_date),
            )
        })
        .map(|(d, _, _)| d.format("%Y-%m-%d").to_string())
        .collect();
    days.sort();
    days.dedup();
    days
}

/// Writes a rollup atomically (0600 in a 0700 folder), as a cache: not synced.
pub fn save(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    safe::write_cache(path, bytes, PRIVATE_FILE, PRIVATE_DIR)
}

/// The one warning for a damaged rollup.
pub fn damaged_warning(path: &Path) -> String {
    format!(
        "warning: ignoring damaged rollup {} (rebuilding it)",
        crate::store::paths::display_path(path)
    )
}

/// Rollups kept by `prune --keep-rollups` for days of `stream` in `[first, last]` whose
/// raw file is gone, as `(date, raw file name, rollup path)`, sorted by date.
pub fn pruned_days(
    root: &Path,
    stream: Stream,
    first: Option<NaiveDate>,
    last: Option<NaiveDate>,
) -> Vec<(NaiveDate, String, PathBuf)> {
    if !usable(root) {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(dir(root)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(raw) = name.to_str().and_then(|n| n.strip_suffix(".rollup")) else {
            continue;
        };
        let Some((Some(date), _)) = stream.parse_name(raw) else {
            continue;
        };
        if first.is_some_and(|f| date < f) || last.is_some_and(|l| date > l) {
            continue;
        }
        if std::fs::symlink_metadata(stream.dir(root).join(raw)).is_ok()
            || !read_header(&entry.path()).is_some_and(|h| h.pruned)
        {
            continue;
        }
        out.push((date, raw.to_string(), entry.path()));
    }
    out.sort();
    out
}

/// One source of a report's answer, in date order: a raw file, its rollup, or a rollup
/// whose raw file was pruned.
#[derive(Debug)]
pub struct Source {
    /// Its position among the sources, which orders malformed-line warnings.
    pub index: usize,
    /// The day in its name.
    pub date: Option<NaiveDate>,
    /// The raw file as shown in messages.
    pub display: String,
    /// The raw file, unless pruned.
    pub raw: Option<DataFile>,
    /// A fresh rollup, when the file is sealed and rollups are in use; for today's file
    /// (when the recipe has a prefix builder), a rollup of its first lines.
    pub rollup: Option<Rollup>,
    /// With a rollup of today's first lines: the rest of the file, read raw when the
    /// rollup is used (the whole file is read raw when it is not).
    pub tail: Option<crate::store::Span>,
}

impl Source {
    /// Its day as `YYYY-MM-DD`, to say it was pruned.
    pub fn day(&self) -> Option<String> {
        self.date.map(|d| d.format("%Y-%m-%d").to_string())
    }
}

/// A stream's rollup builder: the encoded rollup of one sealed file, or `None` when the
/// file changed while it was read.
pub type Build<'a> = dyn Fn(&DataFile) -> crate::Result<Option<Vec<u8>>> + Sync + 'a;

/// How a stream's rollups are made: the builder, and the key (see [`Header::key`]) of
/// what it builds; a rollup with another key is stale.
#[derive(Clone, Copy)]
pub struct Recipe<'a> {
    /// The key its rollups carry.
    pub key: u64,
    /// The builder.
    pub build: &'a Build<'a>,
    /// The builder of a rollup of today's file's first bytes, for a reader that reads
    /// a [`Source::tail`]; `None`: today's file is read raw.
    pub prefix: Option<&'a BuildPrefix<'a>>,
}

/// A stream's builder of the rollup of a file's bytes up to `end` (just past a newline);
/// `None` when it could not be read.
pub type BuildPrefix<'a> = dyn Fn(&DataFile, u64) -> crate::Result<Option<Vec<u8>>> + Sync + 'a;

/// The sources of a read of `stream` over `[since, until]`: every raw file the dates in
/// their names allow, each sealed one with its rollup (loaded, or built and saved when
/// missing, stale or damaged), and the rollups kept for pruned days. Without
/// `use_rollups`, or over several roots, every source is raw.
pub fn plan(
    roots: &Roots,
    stream: Stream,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    use_rollups: bool,
    recipe: Recipe<'_>,
) -> crate::Result<Vec<Source>> {
    let files = roots.files(stream, since, until)?;
    let use_rollups = use_rollups && !roots.needs_dedup() && enabled() && usable(roots.primary());
    let root = roots.primary();
    let now = Timestamp::now();
    let mut sources: Vec<Source> = Vec::with_capacity(files.len());
    let mut missing = Vec::new();
    for file in files {
        let (mut rollup, mut tail) = (None, None);
        if let Some(build) = recipe
            .prefix
            .filter(|_| use_rollups && is_today(&file, now) && !cuts_today(since, until, now))
            && let Some((r, rest)) = prefix::today(root, &file, recipe.key, build)
        {
            rollup = Some(r);
            tail = Some(rest);
        } else if use_rollups && sealed(&file, now) {
            let path = path_for(root, &file.path);
            match load(&path, Fingerprint::of_path(&file.path), recipe.key) {
                Loaded::Fresh(r) => rollup = Some(*r),
                Loaded::Missing => missing.push(sources.len()),
                Loaded::Damaged => {
                    crate::error::warn(format_args!("{}", damaged_warning(&path)));
                    missing.push(sources.len());
                }
                Loaded::NotAFile => {
                    crate::error::warn(format_args!("{}", not_a_file_warning(&path)))
                }
            }
        }
        sources.push(Source {
            index: 0,
            date: file.date,
            display: file.display.clone(),
            raw: Some(file),
            rollup,
            tail,
        });
    }
    if !missing.is_empty() {
        let files: Vec<&DataFile> = missing
            .iter()
            .filter_map(|&i| sources[i].raw.as_ref())
            .collect();
        let built = build_all(&files, recipe.build)?;
        for (i, r) in missing.into_iter().zip(built) {
            if let Some(bytes) = r {
                if let Some(raw) = &sources[i].raw {
                    // A rollup is a cache: failing to save one only costs speed later.
                    let _ = save(&path_for(root, &raw.path), &bytes);
                }
                sources[i].rollup = Rollup::decode(bytes);
            }
        }
    }
    let mut pruned = false;
    for root in roots.all() {
        let days = pruned_days(
            root,
            stream,
            since.map(Timestamp::utc_date),
            until.map(Timestamp::utc_date),
        );
        for (date, name, path) in days {
            pruned = true;
            let rollup = match use_rollups {
                true => match load(&path, None, recipe.key) {
                    Loaded::Fresh(r) => Some(*r),
                    _ => None,
                },
                false => None,
            };
            sources.push(Source {
                index: 0,
                date: Some(date),
                display: crate::store::paths::display_path(&stream.dir(root).join(name)),
                raw: None,
                rollup,
                tail: None,
            });
        }
    }
    if pruned {
        sources.sort_by_key(|s| s.date);
    }
    for (i, s) in sources.iter_mut().enumerate() {
        s.index = i;
    }
    Ok(sources)
}

/// Folds every item with `f` (given its index), one accumulator per core, each worker
/// taking the next item: the workers' accumulators, at least one.
pub fn par_fold<T, A, I, F>(items: &[T], init: I, f: F) -> Vec<A>
where
    T: Sync,
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, usize, &T) + Sync,
{
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let workers = cores.min(items.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut acc = init();
        loop {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(k) else {
                return acc;
            };
            f(&mut acc, k, item);
        }
    };
    if workers == 1 {
        return vec![work()];
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers).map(|_| s.spawn(work)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Runs `build` on each of `files`, one file per core at a time ([`par_fold`]); the
/// results in the order of `files`. A worker stops at its first error, which is
/// returned.
fn build_all<T: Send>(
    files: &[&DataFile],
    build: &(dyn Fn(&DataFile) -> crate::Result<T> + Sync),
) -> crate::Result<Vec<T>> {
    let done = par_fold(
        files,
        Vec::new,
        |done: &mut Vec<(usize, crate::Result<T>)>, k, file| {
            // An error is always the last result a worker keeps.
            if done.last().is_none_or(|(_, r)| r.is_ok()) {
                done.push((k, build(file)));
            }
        },
    );
    let mut out: Vec<(usize, T)> = Vec::with_capacity(files.len());
    for (k, r) in done.into_iter().flatten() {
        out.push((k, r?));
    }
    out.sort_by_key(|(k, _)| *k);
    Ok(out.into_iter().map(|(_, t)| t).collect())
}

/// What `rollup` did for one sealed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupAction {
    /// The raw file.
    pub file: String,
    /// Its rollup.
    pub rollup: String,
    /// `built` (there was none, or it was stale or damaged), `rebuilt` (`--rebuild`),
    /// `fresh` (left as it was), `kept` (its raw file was pruned), or `changed` (the
    /// file changed while it was read; its rollup is built next time).
    pub action: &'static str,
    /// The rollup's size.
    pub bytes: u64,
    /// The raw file's size (0 when pruned).
    pub raw_bytes: u64,
}

/// `cc-<program> rollup`: builds the missing or stale rollups of `stream`'s sealed files
/// in every root (all of them with `rebuild`), and says what each is.
pub fn refresh(
    roots: &Roots,
    stream: Stream,
    rebuild: bool,
    recipe: Recipe<'_>,
) -> crate::Result<Vec<RollupAction>> {
    let now = Timestamp::now();
    let mut actions = Vec::new();
    for root in roots.all() {
        let one = Roots::new(vec![root.clone()]);
        let files: Vec<DataFile> = one
            .files(stream, None, None)?
            .into_iter()
            .filter(|f| sealed(f, now))
            .collect();
        let mut todo: Vec<(usize, DataFile)> = Vec::new();
        for file in files {
            let path = path_for(root, &file.path);
            let fp = Fingerprint::of_path(&file.path);
            let fresh = match load(&path, fp, recipe.key) {
                Loaded::Fresh(_) => !rebuild,
                Loaded::Damaged => {
                    crate::error::warn(format_args!("{}", damaged_warning(&path)));
                    false
                }
                // Saving over it fails and names it.
                Loaded::NotAFile | Loaded::Missing => false,
            };
            if !fresh {
                todo.push((actions.len(), file.clone()));
            }
            actions.push(RollupAction {
                file: file.display.clone(),
                rollup: crate::store::paths::display_path(&path),
                action: match (fresh, rebuild) {
                    (true, _) => "fresh",
                    (false, true) => "rebuilt",
                    (false, false) => "built",
                },
                bytes: std::fs::symlink_metadata(&path).map_or(0, |m| m.len()),
                raw_bytes: fp.map_or(0, |f| f.size),
            });
        }
        let files: Vec<&DataFile> = todo.iter().map(|(_, f)| f).collect();
        let built = build_all(&files, recipe.build)?;
        for ((i, file), bytes) in todo.iter().zip(built) {
            let action = &mut actions[*i];
            match bytes {
                Some(bytes) => {
                    let path = path_for(root, &file.path);
                    save(&path, &bytes).map_err(|source| crate::Error::Write {
                        path: path.clone(),
                        source,
                    })?;
                    action.bytes = bytes.len() as u64;
                }
                None => action.action = "changed",
            }
        }
        for (_, name, path) in pruned_days(root, stream, None, None) {
            if let Loaded::Fresh(_) = load(&path, None, recipe.key) {
                actions.push(RollupAction {
                    file: crate::store::paths::display_path(&stream.dir(root).join(name)),
                    rollup: crate::store::paths::display_path(&path),
                    action: "kept",
                    bytes: std::fs::symlink_metadata(&path).map_or(0, |m| m.len()),
                    raw_bytes: 0,
                });
            }
        }
    }
    actions.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(actions)
}

/// `prune` with rollups in mind: the daily files of `stream` in the primary root wholly
/// before `cutoff` are deleted (or compressed, see `store::prune`); with `keep`, each
/// one's rollup is made fresh first and marked as standing alone, so reports still
/// cover its day; without it, the rollup goes with the file.
pub fn prune(
    roots: &Roots,
    stream: Stream,
    cutoff: Timestamp,
    compress: bool,
    dry_run: bool,
    keep: Option<Recipe<'_>>,
) -> crate::Result<Vec<crate::store::prune::PruneAction>> {
    let root = roots.primary().to_path_buf();
    let before = |file: &DataFile| -> crate::Result<()> {
        remove_kind_rollups(&root, &file.path)?;
        let path = path_for(&root, &file.path);
        match keep {
            Some(recipe) => {
                let fp = Fingerprint::of_path(&file.path);
                let rollup = match load(&path, fp, recipe.key) {
                    Loaded::Fresh(r) => *r,
                    _ => {
                        let bytes = (recipe.build)(file)?.ok_or_else(|| crate::Error::Write {
                            path: file.path.clone(),
                            source: std::io::Error::other(
                                "it changed while its rollup was built; try again",
                            ),
                        })?;
                        Rollup::decode(bytes).ok_or_else(|| crate::Error::Internal {
                            what: "reading a rollup just built",
                            message: path.display().to_string(),
                        })?
                    }
                };
                let mut header = rollup.header.clone();
                header.pruned = true;
                let quarters = rollup.quarters().ok_or_else(|| crate::Error::Internal {
                    what: "reading a rollup's quarters",
                    message: path.display().to_string(),
                })?;
                let day = rollup.day().ok_or_else(|| crate::Error::Internal {
                    what: "reading a rollup's day section",
                    message: path.display().to_string(),
                })?;
                let bytes = Rollup::encode(&header, &day, &quarters);
                save(&path, &bytes).map_err(|source| crate::Error::Write { path, source })
            }
            None if !usable(&root) => Ok(()),
            None => match std::fs::remove_file(&path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(crate::Error::Write { path, source }),
            },
        }
    };
    crate::store::prune::prune_with(roots, stream, cutoff, compress, dry_run, &before)
}

/// The rollup of a report's fold over the raw file at `raw`: `<file name>.<kind>.rollup`.
pub fn kind_path_for(root: &Path, raw: &Path, kind: &str) -> PathBuf {
    let name = raw
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    dir(root).join(format!("{name}.{kind}.rollup"))
}

/// A fold over every record of `stream` whose result for each sealed file is kept as a
/// rollup (`kind` names the report; `key` digests the settings it depends on): the
/// folds of sealed files are read back and merged, only the others are scanned. The
/// answer is the fold of every line, as [`Scan::run`] gives it (sums of floats up to
/// their order). Over several roots, or with `CC_ROLLUPS=off`, every file is scanned.
pub fn cached_fold<A, I, V, M>(
    roots: &Roots,
    stream: Stream,
    kind: &str,
    key: u64,
    init: I,
    visit: V,
    merge: M,
) -> crate::Result<(A, Skipped)>
where
    A: Serialize + serde::de::DeserializeOwned + Send,
    I: Fn() -> A + Sync,
    V: Fn(&mut A, crate::store::read::LineRef<'_>) -> Result<(), crate::store::LineError> + Sync,
    M: Fn(A, A) -> A + Sync,
{
    let files = roots.files(stream, None, None)?;
    if roots.needs_dedup() || !enabled() || !usable(roots.primary()) {
        return Scan::new(files, roots.needs_dedup()).run(init, visit, merge);
    }
    let root = roots.primary();
    let now = Timestamp::now();
    let mut total = init();
    let mut skipped = Skipped::default();
    let (mut raw, mut indexes, mut missing) = (Vec::new(), Vec::new(), Vec::new());
    for (index, file) in files.into_iter().enumerate() {
        if !sealed(&file, now) {
            raw.push(file);
            indexes.push(index);
            continue;
        }
        let path = kind_path_for(root, &file.path, kind);
        let found = match load(&path, Fingerprint::of_path(&file.path), key) {
            Loaded::Fresh(r) => r
                .day()
                .and_then(|day| postcard::from_bytes::<A>(&day).ok())
                .map(|a| (a, r.header)),
            Loaded::Damaged => {
                crate::error::warn(format_args!("{}", damaged_warning(&path)));
                None
            }
            Loaded::NotAFile => {
                crate::error::warn(format_args!("{}", not_a_file_warning(&path)));
                raw.push(file);
                indexes.push(index);
                continue;
            }
            Loaded::Missing => None,
        };
        match found {
            Some((a, header)) => {
                total = merge(total, a);
                header.add_skipped(&mut skipped, index, &file.display);
            }
            None => missing.push((index, file)),
        }
    }
    // Each missing file is folded alone (so its result can be kept), one per core.
    // Each missing file's fold, with its header and encoded rollup, or `None` when the
    // file changed while it was read.
    let one = |file: &DataFile| -> crate::Result<Option<(A, Header, Vec<u8>)>> {
        let Some(before) = Fingerprint::of_path(&file.path) else {
            return Ok(None);
        };
        let (a, s) = Scan::new(vec![file.clone()], false).run(&init, &visit, &merge)?;
        if Fingerprint::of_path(&file.path) != Some(before) {
            return Ok(None);
        }
        let header = Header {
            source: before,
            pruned: false,
            key,
            records: 0,
            first: None,
            last: None,
            skipped: s.count,
            skipped_lines: s.locations.iter().map(|(_, l, _)| *l).collect(),
            prefix: None,
            object_skipped: 0,
        };
        let body = postcard::to_stdvec(&a).map_err(|e| crate::Error::Internal {
            what: "encoding a rollup",
            message: e.to_string(),
        })?;
        let bytes = Rollup::encode(&header, &body, &[]);
        Ok(Some((a, header, bytes)))
    };
    let refs: Vec<&DataFile> = missing.iter().map(|(_, f)| f).collect();
    let built = build_all(&refs, &one)?;
    for ((index, file), built) in missing.into_iter().zip(built) {
        match built {
            Some((a, header, bytes)) => {
                let _ = save(&kind_path_for(root, &file.path, kind), &bytes);
                total = merge(total, a);
                header.add_skipped(&mut skipped, index, &file.display);
            }
            // It changed while it was read: scan it with today's.
            _ => {
                raw.push(file);
                indexes.push(index);
            }
        }
    }
    let (a, s) = Scan::with_indexes(raw, indexes, false).run(&init, &visit, &merge)?;
    skipped.merge(s);
    Ok((merge(total, a), skipped))
}

/// Deletes the report folds kept for the raw file at `raw` (`<file name>.*.rollup`).
fn remove_kind_rollups(root: &Path, raw: &Path) -> crate::Result<()> {
    let Some(name) = raw.file_name().and_then(|n| n.to_str()) else {
        return Ok(());
    };
    let prefix = format!("{name}.");
    if !usable(root) {
        return Ok(());
    }
    let Ok(entries) = std::fs::read_dir(dir(root)) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(f) = file.to_str() else { continue };
        if f.starts_with(&prefix) && f.ends_with(".rollup") && f != format!("{name}.rollup") {
            let path = entry.path();
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(crate::Error::Write { path, source }),
            }
        }
    }
    Ok(())
}

/// A digest of settings a rollup depends on (FNV-1a over their canonical text).
pub fn digest(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            source: Fingerprint {
                size: 10,
                mtime_ns: 5,
                inode: 7,
                dev: 1,
            },
            pruned: false,
            key: 0,
            records: 3,
            first: Some(1_000),
            last: Some(2_000),
            skipped: 4,
            skipped_lines: vec![2, 9, 11],
            prefix: None,
            object_skipped: 0,
        }
    }

    #[test]
    fn files_round_trip_and_damage_is_detected() {
        let bytes = Rollup::encode(&header(), b"day", b"quarters!");
        let r = Rollup::decode(bytes.clone()).unwrap();
        assert_eq!(r.header, header());
        assert_eq!(r.day().unwrap().as_ref(), b"day");
        assert_eq!(r.quarters().unwrap().as_ref(), b"quarters!");
        // Every truncation, and any trailing garbage, is damage.
        for cut in 0..bytes.len() {
            assert!(
                Rollup::decode(bytes[..cut].to_vec()).is_none(),
                "cut at {cut}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(Rollup::decode(long).is_none());
        let mut other = bytes;
        other[7] = b'9';
        assert!(Rollup::decode(other).is_none());
    }

    /// A rollup kept by pruning in format 3 (its header without a prefix) is still
    /// read; beside its raw file it is stale.
    #[test]
    fn a_format_3_rollup_kept_by_pruning_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.rollup");
        let mut h = header();
        h.pruned = true;
        let mut head = postcard::to_stdvec(&h).unwrap();
        // Format 3's header is format 4's without its last field (here `None`, one byte).
        assert_eq!(head.pop(), Some(0));
        let mut old = b"ccmonRU3".to_vec();
        for part in [&head[..], b"day", b"quarters"] {
            old.extend_from_slice(&(part.len() as u64).to_le_bytes());
            old.extend_from_slice(part);
        }
        old.extend_from_slice(&crc32fast::hash(b"day").to_le_bytes());
        old.extend_from_slice(&crc32fast::hash(b"quarters").to_le_bytes());
        save(&path, &old).unwrap();
        let Loaded::Fresh(r) = load(&path, None, 0) else {
            panic!("a kept rollup of format 3 reads");
        };
        assert_eq!((r.version, &r.header), (3, &h));
        assert_eq!(r.day().unwrap().as_ref(), b"day");
        assert!(matches!(load(&path, Some(h.source), 0), Loaded::Missing));
    }

    #[test]
    fn loading_checks_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.rollup");
        assert!(matches!(load(&path, None, 0), Loaded::Missing));
        save(&path, &Rollup::encode(&header(), b"", b"")).unwrap();
        assert!(matches!(
            load(&path, Some(header().source), 0),
            Loaded::Fresh(_)
        ));
        let mut other = header().source;
        other.size += 1;
        assert!(matches!(load(&path, Some(other), 0), Loaded::Missing));
        // The raw file is gone and the rollup was not kept by pruning.
        assert!(matches!(load(&path, None, 0), Loaded::Missing));
        // Built under other settings.
        assert!(matches!(
            load(&path, Some(header().source), 7),
            Loaded::Missing
        ));
        // Format 1 beside its raw file is stale (rebuilt), not damaged.
        let mut old = Rollup::encode(&header(), b"", b"");
        old[7] = b'1';
        old.truncate(old.len() - 8);
        std::fs::write(&path, &old).unwrap();
        assert!(matches!(
            load(&path, Some(header().source), 0),
            Loaded::Missing
        ));
        // So is a damaged one of an older format; without its raw file it is damaged.
        std::fs::write(&path, b"ccmonRU1garbage").unwrap();
        assert!(matches!(
            load(&path, Some(header().source), 0),
            Loaded::Missing
        ));
        assert!(matches!(load(&path, None, 0), Loaded::Damaged));
        // Garbage, or a version never written, is damaged.
        old[7] = b'9';
        std::fs::write(&path, &old).unwrap();
        assert!(matches!(
            load(&path, Some(header().source), 0),
            Loaded::Damaged
        ));
        std::fs::write(&path, b"ccmonRU4garbage").unwrap();
        assert!(matches!(
            load(&path, Some(header().source), 0),
            Loaded::Damaged
        ));
        // A changed byte in a section fails its CRC when the section is read.
        let mut flipped = Rollup::encode(&header(), b"day", b"quarters!");
        let at = flipped.len() - 8 - 9;
        flipped[at] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        let Loaded::Fresh(r) = load(&path, Some(header().source), 0) else {
            panic!("the header is intact");
        };
        assert_eq!(r.day().unwrap().as_ref(), b"day");
        assert!(r.quarters().is_none());
        assert!(Rollup::decode(flipped).is_none());
    }

    #[test]
    fn quarters_cover_windows() {
        let t = |ms| Some(Timestamp(ms));
        let q = 4; // [3_600_000, 4_499_999]
        assert_eq!(cover(q, None, None), Cover::Inside);
        assert_eq!(cover(q, t(3_600_000), t(4_499_999)), Cover::Inside);
        assert_eq!(cover(q, t(3_600_001), None), Cover::Partial);
        assert_eq!(cover(q, None, t(4_499_998)), Cover::Partial);
        assert_eq!(cover(q, t(4_500_000), None), Cover::Outside);
        assert_eq!(cover(q, None, t(3_599_999)), Cover::Outside);
        assert_eq!(quarter_of(Timestamp(3_600_000)), 4);
        assert_eq!(quarter_of(Timestamp(-1)), -1);
    }
}
