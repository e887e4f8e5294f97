//! A stream-wide lock, for writers that must read a stream's state and append what
//! follows from it without another writer slipping in between (the progress tracker).

use std::fs::File;
use std::path::Path;

use super::paths::Stream;
use super::safe;
use crate::error::{Error, Result};

/// An exclusive lock on a stream of one root, released when dropped.
#[derive(Debug)]
pub struct StreamLock {
    file: File,
}

impl StreamLock {
    /// The lock file of `stream` in `root`.
    pub fn path(root: &Path, stream: Stream) -> std::path::PathBuf {
        stream.dir(root).join(format!("{}.lock", stream.stem()))
    }

    /// Waits for and takes the lock of `stream` in `root` (the file
    /// `ROOT/FOLDER/STEM.lock`, created 0600 when missing). Appends still take their
    /// own per-file lock; this one only orders writers that read before they write.
    pub fn acquire(root: &Path, stream: Stream) -> Result<StreamLock> {
        let dir = stream.dir(root);
        let path = StreamLock::path(root, stream);
        let write_err = |source| Error::Write {
            path: path.clone(),
            source,
        };
        safe::create_dir_all(&dir, safe::PRIVATE_DIR).map_err(|source| Error::Write {
            path: dir.clone(),
            source,
        })?;
        let file = safe::open_lock(&path).map_err(write_err)?;
        file.lock().map_err(write_err)?;
        Ok(StreamLock { file })
    }
}

impl Drop for StreamLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}
