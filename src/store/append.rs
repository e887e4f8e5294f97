//! Appending lines: one `write` per record (or per batch) on an `O_APPEND` file under an
//! exclusive `flock`, rolled back on failure. Bytes only: what the lines hold is the
//! business of [`crate::writer`].

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::safe;

use crate::error::{Error, Result};

/// Appends `data` (whole lines) to `path` with a single `write` on an `O_APPEND`
/// descriptor, under an exclusive advisory lock held only for that write. A missing
/// final `\n` left by a killed writer is added first, under the same lock, so the torn
/// line stays isolated. New folders get mode 0700, new files 0600.
pub fn append_to_file(path: &Path, data: &[u8], fsync: bool) -> Result<()> {
    let write_err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        safe::create_dir_all(dir, safe::PRIVATE_DIR).map_err(write_err)?;
    }
    let mut file = safe::open_append(path).map_err(write_err)?;
    file.lock().map_err(write_err)?;
    let result = write_locked(&mut file, data, fsync);
    // Closing the descriptor releases the lock too; unlock early for other writers.
    let _ = file.unlock();
    result.map_err(write_err)
}

/// Writes `data` at the end of the locked `file`; on any failure (disk full, I/O error)
/// truncates the file back to its previous length, so no partial line or partial batch
/// is left behind and a retry never duplicates.
fn write_locked(file: &mut File, data: &[u8], fsync: bool) -> std::io::Result<()> {
    let len = file.metadata()?.len();
    let mut last = [0u8; 1];
    let torn = len > 0 && file.read_at(&mut last, len - 1)? == 1 && last[0] != b'\n';
    let written = if torn {
        let mut repaired = Vec::with_capacity(data.len() + 1);
        repaired.push(b'\n');
        repaired.extend_from_slice(data);
        file.write_all(&repaired)
    } else {
        file.write_all(data)
    };
    let result = written.and_then(|()| if fsync { file.sync_data() } else { Ok(()) });
    if result.is_err() {
        let _ = file.set_len(len);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn modes_and_torn_line_repair() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let path = root.join("logs/skill-invocations-2026-11-20.jsonl");
        let line = b"{\"skill\":\"s\"}\n";
        append_to_file(&path, line, true).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&root.join("logs")), 0o700);
        // A writer killed mid-line.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"skill\":\"to")
            .unwrap();
        append_to_file(&path, line, false).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "{\"skill\":\"s\"}\n{\"skill\":\"to\n{\"skill\":\"s\"}\n"
        );
    }
}
