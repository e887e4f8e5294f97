//! Rollups of today's file: the file is still being written, so its rollup covers its
//! first lines only, and the lines appended since are read raw.
//!
//! Such a rollup records the length of the bytes it covers (ending with a newline), their
//! CRC-32 and their line count ([`Prefix`]). It is used while the file has the same inode
//! and device, is at least that long, and those bytes still have that checksum: a file
//! only appended to keeps its rollup, one edited or rewritten in place does not. Checking
//! reads the bytes once (on both cores), several times faster than scanning them as
//! records. The rollup is rebuilt once a quarter as much again has been appended.
//!
//! It lives where the file's sealed rollup will (`<file name>.rollup`); when the file
//! ends with a newline and has not changed since, it carries the file's whole
//! fingerprint, and once the day is over it is the sealed rollup as it stands.

use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

use super::{
    BuildPrefix, Fingerprint, Loaded, MAGIC, Prefix, Rollup, damaged_warning, load_if,
    not_a_file_warning, path_for, save,
};
use crate::store::safe;
use crate::store::{DataFile, Span};

/// Files smaller than this are read raw: their scan takes a few milliseconds.
pub(super) const MIN_BYTES: u64 = 8 << 20;

/// The rollup of today's `file` (in root `root`) and the part of the file after it, or
/// `None` when the file is read raw whole. A kept rollup is used when it still
/// describes the file's first bytes and at most a quarter as much again was appended
/// since; otherwise one is built (and saved) for the file as it is.
pub(super) fn today(
    root: &Path,
    file: &DataFile,
    key: u64,
    build: &BuildPrefix<'_>,
) -> Option<(Rollup, Span)> {
    // Gone, or not a regular file: the raw scan says so.
    let raw = safe::open_read(&file.path).ok()?;
    let meta = raw.metadata().ok()?;
    let size = meta.len();
    if size < MIN_BYTES {
        return None;
    }
    let path = path_for(root, &file.path);
    match load(&path, key) {
        Loaded::Fresh(r) => {
            if let Some(span) = still_holds(&r, &raw, &meta) {
                return Some((*r, span));
            }
        }
        Loaded::Damaged => crate::error::warn(format_args!("{}", damaged_warning(&path))),
        Loaded::NotAFile => {
            crate::error::warn(format_args!("{}", not_a_file_warning(&path)));
            return None;
        }
        Loaded::Missing => {}
    }
    let end = last_line_end(&raw, size)?;
    let (crc, lines) = checksum(&raw, end).ok()?;
    // A failed build is no error: the file is read raw, which reports what failed.
    let bytes = build(file, end).ok()??;
    // What the build read must be what was checksummed: the same file, the same bytes.
    let now = Fingerprint::of_path(&file.path);
    if now.is_none_or(|fp| fp.inode != meta.ino() || fp.dev != meta.dev())
        || checksum(&raw, end).ok() != Some((crc, lines))
    {
        return None;
    }
    let built = Rollup::decode(bytes)?;
    let mut header = built.header.clone();
    let before = Fingerprint::of(&meta);
    header.source = match end == size && now == Some(before) {
        // The whole file, unchanged: this is its rollup as a sealed file too.
        true => before,
        false => Fingerprint {
            size: end,
            mtime_ns: i64::MIN,
            ..before
        },
    };
    header.prefix = Some(Prefix { crc, lines });
    let (day, quarters) = (built.day()?, built.quarters()?);
    let bytes = Rollup::encode(&header, &day, &quarters);
    // A rollup is a cache: failing to save one only costs speed later.
    let _ = save(&path, &bytes);
    let span = Span {
        start: end,
        lines_before: lines,
        end: None,
        identity: Some((meta.dev(), meta.ino())),
    };
    Rollup::decode(bytes).map(|r| (r, span))
}

/// Reads the rollup at `path` if it is a prefix rollup of the current format built under
/// `key`.
fn load(path: &Path, key: u64) -> Loaded {
    load_if(path, true, |r| {
        r.version == MAGIC[7] - b'0'
            && r.header.key == key
            && !r.header.pruned
            && r.header.prefix.is_some()
    })
}

/// The part of the file after the bytes rollup `r` covers, when they are unchanged in
/// `raw` (whose metadata is `meta`) and not much more was written since.
fn still_holds(r: &Rollup, raw: &std::fs::File, meta: &std::fs::Metadata) -> Option<Span> {
    let (source, prefix) = (r.header.source, r.header.prefix?);
    let size = meta.len();
    let fits = source.inode == meta.ino() && source.dev == meta.dev() && source.size <= size;
    // Rebuilt once it would cover a quarter as much again (not for a long torn line,
    // which a rebuild would leave out too).
    let grown = fits
        && size - source.size > source.size / 4
        && last_line_end(raw, size)
            .is_some_and(|end| end.saturating_sub(source.size) > source.size / 4);
    (fits && !grown && checksum(raw, source.size).ok()? == (prefix.crc, prefix.lines)).then_some(
        Span {
            start: source.size,
            lines_before: prefix.lines,
            end: None,
            identity: Some((meta.dev(), meta.ino())),
        },
    )
}

/// Just past the last newline of the file's first `size` bytes; `None` when there is
/// none.
fn last_line_end(raw: &std::fs::File, size: u64) -> Option<u64> {
    let mut block = vec![0u8; 64 * 1024];
    let mut end = size;
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let len = usize::try_from(end - start).ok()?;
        raw.read_exact_at(&mut block[..len], start).ok()?;
        if let Some(i) = memchr::memrchr(b'\n', &block[..len]) {
            return Some(start + i as u64 + 1);
        }
        end = start;
    }
    None
}

/// The CRC-32 and the line count of the file's first `len` bytes, read in two halves at
/// once.
fn checksum(raw: &std::fs::File, len: u64) -> std::io::Result<(u32, u64)> {
    let half = len / 2;
    let (a, b) = std::thread::scope(|scope| {
        let second = scope.spawn(|| checksum_range(raw, half, len));
        let first = checksum_range(raw, 0, half);
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    let ((mut crc, lines_a), (crc_b, lines_b)) = (a?, b?);
    crc.combine(&crc_b);
    Ok((crc.finalize(), lines_a + lines_b))
}

fn checksum_range(
    raw: &std::fs::File,
    start: u64,
    end: u64,
) -> std::io::Result<(crc32fast::Hasher, u64)> {
    let mut crc = crc32fast::Hasher::new();
    let mut lines = 0u64;
    let mut block = vec![0u8; 128 * 1024];
    let mut at = start;
    while at < end {
        let want = usize::try_from(end - at)
            .unwrap_or(usize::MAX)
            .min(block.len());
        raw.read_exact_at(&mut block[..want], at)?;
        crc.update(&block[..want]);
        lines += memchr::memchr_iter(b'\n', &block[..want]).count() as u64;
        at += want as u64;
    }
    Ok((crc, lines))
}
