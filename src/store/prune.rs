//! Deleting or compressing daily files that lie wholly before a cutoff.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{NaiveTime, TimeZone, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;

use super::paths::{DataFile, Roots, Stream};
use crate::error::{Error, Result};
use crate::time::Timestamp;

/// What pruning did (or would do) to one file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PruneAction {
    /// The file.
    pub path: String,
    /// `deleted` or `compressed`.
    pub action: &'static str,
    /// Its size before.
    pub bytes: u64,
}

/// Deletes (or, with `compress`, gzips) the daily files of `stream` in the primary
/// root whose whole day lies before `cutoff`. Undated legacy files are never touched;
/// with `compress`, files already compressed are left as they are. With `dry_run`
/// nothing changes and the report says what would be done.
pub fn prune(
    roots: &Roots,
    stream: Stream,
    cutoff: Timestamp,
    compress: bool,
    dry_run: bool,
) -> Result<Vec<PruneAction>> {
    prune_with(roots, stream, cutoff, compress, dry_run, &|_| Ok(()))
}

/// [`prune`], calling `before` on each file just before it is deleted or compressed
/// (not in a dry run); an error from it stops pruning with that file untouched.
pub fn prune_with(
    roots: &Roots,
    stream: Stream,
    cutoff: Timestamp,
    compress: bool,
    dry_run: bool,
    before: &dyn Fn(&DataFile) -> Result<()>,
) -> Result<Vec<PruneAction>> {
    let primary = Roots::new(vec![roots.primary().to_path_buf()]);
    let mut actions = Vec::new();
    for file in primary.files(stream, None, None)? {
        let Some(date) = file.date else { continue };
        let day_end =
            Utc.from_utc_datetime(&(date + chrono::Days::new(1)).and_time(NaiveTime::MIN));
        if Timestamp::from(day_end) > cutoff || (compress && file.gz) {
            continue;
        }
        let bytes = std::fs::metadata(&file.path).map(|m| m.len()).unwrap_or(0);
        let action = if compress { "compressed" } else { "deleted" };
        if !dry_run {
            before(&file)?;
            if compress {
                compress_file(&file.path)?;
            } else {
                std::fs::remove_file(&file.path).map_err(|source| Error::Write {
                    path: file.path.clone(),
                    source,
                })?;
            }
        }
        actions.push(PruneAction {
            path: file.display.clone(),
            action,
            bytes,
        });
    }
    Ok(actions)
}

/// Gzips `x.jsonl` into `x.jsonl.gz` (adding a gzip member when it exists already),
/// atomically through a temporary file, under the stream lock, then removes `x.jsonl`.
fn compress_file(path: &Path) -> Result<()> {
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Write { path: p, source }
    };
    let mut gz_name = path.as_os_str().to_owned();
    gz_name.push(".gz");
    let gz_path = PathBuf::from(gz_name);
    let mut tmp_name = gz_path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp_path = PathBuf::from(tmp_name);

    let source = File::open(path).map_err(err(path))?;
    source.lock().map_err(err(path))?;
    let mut tmp = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp_path)
        .map_err(err(&tmp_path))?;
    if let Ok(existing) = File::open(&gz_path) {
        std::io::copy(&mut BufReader::new(existing), &mut tmp).map_err(err(&tmp_path))?;
    }
    let mut encoder = GzEncoder::new(tmp, Compression::default());
    std::io::copy(&mut BufReader::new(&source), &mut encoder).map_err(err(&tmp_path))?;
    let mut tmp = encoder.finish().map_err(err(&tmp_path))?;
    tmp.flush()
        .and_then(|()| tmp.sync_all())
        .map_err(err(&tmp_path))?;
    std::fs::rename(&tmp_path, &gz_path).map_err(err(&gz_path))?;
    std::fs::remove_file(path).map_err(err(path))?;
    drop(source);
    Ok(())
}
