//! `analytics/import-state.json`: per source file, where the next import must read
//! and the context that reading from there needs.

use std::collections::BTreeMap;
use std::fs::{DirBuilder, File};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What a file looked like when it was last read, and where to go on.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FileState {
    /// Device of the file.
    pub dev: u64,
    /// Inode of the file: another inode at the same path is another file.
    pub ino: u64,
    /// Its size when read.
    pub size: u64,
    /// Its modification time (nanoseconds since the epoch) when read.
    pub mtime_ns: i128,
    /// Where the next read starts: after the last complete line, or at the oldest item
    /// still waiting.
    pub offset: u64,
    /// Whether a response at the end of the file was left waiting (it may still be
    /// streaming): the file is read again once it has been quiet a while.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub waiting: bool,
    /// The context a read from `offset` needs (parent timestamps, Codex model and
    /// totals, subagent types).
    #[serde(default)]
    pub context: serde_json::Value,
}

/// The identity and size of a file as found now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
}

impl Seen {
    /// The identity of `path`'s file.
    pub fn of(path: &Path) -> std::io::Result<Seen> {
        let m = std::fs::metadata(path)?;
        Ok(Seen {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        })
    }
}

impl FileState {
    /// Whether `now` is the same file, unchanged since it was read.
    pub fn unchanged(&self, now: &Seen) -> bool {
        self.dev == now.dev
            && self.ino == now.ino
            && self.size == now.size
            && self.mtime_ns == now.mtime_ns
    }

    /// Whether `now` is the same file grown (or rewritten in place) from where it was:
    /// the offset is still inside it. A replaced or truncated file is read again.
    pub fn continues(&self, now: &Seen) -> bool {
        self.dev == now.dev && self.ino == now.ino && now.size >= self.offset
    }
}

/// The whole state file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportState {
    /// Format version.
    #[serde(default)]
    pub version: u32,
    /// Per source file (absolute path).
    #[serde(default)]
    pub files: BTreeMap<String, FileState>,
}

/// Where the state file of `root` is.
pub fn path(root: &Path) -> PathBuf {
    root.join("analytics").join("import-state.json")
}

impl ImportState {
    /// Loads the state of `root`; a missing or unreadable state file is an empty state
    /// (records already held are still never written twice: they are looked up by id).
    pub fn load(root: &Path) -> (ImportState, Option<String>) {
        let p = path(root);
        match std::fs::read(&p) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(s) => (s, None),
                Err(e) => (
                    ImportState::default(),
                    Some(format!(
                        "{} is not a valid import state ({e}); reading every file again",
                        p.display()
                    )),
                ),
            },
            Err(_) => (ImportState::default(), None),
        }
    }

    /// Saves it atomically (temporary file, then rename), mode 0600.
    pub fn save(&self, root: &Path) -> Result<()> {
        let p = path(root);
        let dir = p.parent().unwrap_or(root);
        let err = |source| Error::Write {
            path: p.clone(),
            source,
        };
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(err)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
        let mut state = self.clone();
        state.version = 1;
        let bytes = serde_json::to_vec(&state).map_err(|e| Error::Write {
            path: p.clone(),
            source: std::io::Error::other(e),
        })?;
        tmp.write_all(&bytes).map_err(err)?;
        tmp.persist(&p).map_err(|e| err(e.error))?;
        Ok(())
    }
}

/// An exclusive lock on the importing of one root (`analytics/import.lock`): an import
/// and the hooks of several sessions never read and write the same state at once.
pub struct ImportLock {
    file: File,
}

impl ImportLock {
    /// Waits for and takes the lock.
    pub fn acquire(root: &Path) -> Result<ImportLock> {
        let dir = root.join("analytics");
        let p = dir.join("import.lock");
        let err = |source| Error::Write {
            path: p.clone(),
            source,
        };
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(err)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(err)?;
        file.lock().map_err(err)?;
        Ok(ImportLock { file })
    }
}

impl Drop for ImportLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}
