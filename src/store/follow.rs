//! Following a stream: new lines are delivered as they are appended, driven by
//! file-change notifications (inotify on Linux), not polling. Files created later
//! (the day rollover) are followed too.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use super::paths::{Roots, Stream, display_path};
use crate::error::{Error, Result};

/// A line appended to a followed stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    /// The file, as shown to users.
    pub file: String,
    /// The line, without `\n`.
    pub bytes: Vec<u8>,
}

/// Follows one stream across every root.
pub struct Follower {
    stream: Stream,
    /// Bytes already delivered (up to the last complete line) per file.
    offsets: HashMap<PathBuf, u64>,
    events: Receiver<notify::Result<notify::Event>>,
    watch: DirWatch,
    /// How many times a file was opened to look for new lines (for the tests: reading
    /// must not wake the follower again).
    reads: u64,
}

impl Follower {
    /// Starts following `stream`: what the files hold now is taken as seen, and only
    /// lines appended from now on are delivered. The stream's folders are created
    /// not created: a missing one is waited for (see [`DirWatch`]).
    pub fn start(roots: &Roots, stream: Stream) -> Result<Follower> {
        let (tx, events) = channel();
        let mut watch = DirWatch::new(tx, roots.primary())?;
        let mut offsets = HashMap::new();
        for root in roots.all() {
            let Some(dir) = watch.add(&stream.dir(root))? else {
                continue;
            };
            for file in roots_files(&dir, stream)? {
                let len = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                offsets.insert(file, len);
            }
        }
        Ok(Follower {
            stream,
            offsets,
            events,
            watch,
            reads: 0,
        })
    }

    /// Waits for new lines and returns them, in file order. Returns an empty list when
    /// `timeout` passes first (`None` waits for ever).
    pub fn next_lines(&mut self, timeout: Option<Duration>) -> Result<Vec<NewLine>> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let event = match deadline {
                None => self
                    .events
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
                Some(d) => self
                    .events
                    .recv_timeout(d.saturating_duration_since(Instant::now())),
            };
            let mut changed: Vec<PathBuf> = match event {
                // Opening and reading a file is not a change: reading one after a
                // change reports an open, and waking for it would read again, for ever.
                Ok(Ok(e)) if e.kind.is_access() => continue,
                Ok(Ok(e)) => e.paths,
                Ok(Err(e)) => {
                    return Err(Error::Watch {
                        path: PathBuf::new(),
                        message: e.to_string(),
                    });
                }
                Err(RecvTimeoutError::Timeout) => return Ok(Vec::new()),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Error::Watch {
                        path: PathBuf::new(),
                        message: "the file watcher stopped".into(),
                    });
                }
            };
            // Take every event already queued: one read per file per wake-up.
            while let Ok(Ok(e)) = self.events.try_recv() {
                if !e.kind.is_access() {
                    changed.extend(e.paths);
                }
            }
            changed.sort();
            changed.dedup();
            // A stream folder created since: everything in it is new.
            for dir in self.watch.created(&changed)? {
                changed.extend(roots_files(&dir, self.stream)?);
            }
            let mut lines = Vec::new();
            for path in changed {
                self.read_new(&path, &mut lines)?;
            }
            if !lines.is_empty() {
                return Ok(lines);
            }
        }
    }

    fn read_new(&mut self, path: &Path, out: &mut Vec<NewLine>) -> Result<()> {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return Ok(());
        };
        match self.stream.parse_name(name) {
            Some((_, false)) => {}
            _ => return Ok(()),
        }
        self.reads += 1;
        let mut file = match super::safe::open_read(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            // Not a regular file: never followed.
            Err(e)
                if e.kind() == std::io::ErrorKind::InvalidInput
                    || e.raw_os_error() == Some(libc::ELOOP) =>
            {
                return Ok(());
            }
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let read_err = |source| Error::Read {
            path: path.to_path_buf(),
            source,
        };
        let len = file.metadata().map_err(read_err)?.len();
        let offset = self.offsets.entry(path.to_path_buf()).or_insert(0);
        if len < *offset {
            // Truncated or replaced: start again from the top.
            *offset = 0;
        }
        if len == *offset {
            return Ok(());
        }
        file.seek(SeekFrom::Start(*offset)).map_err(read_err)?;
        let mut data = Vec::with_capacity((len - *offset) as usize);
        file.take(len - *offset)
            .read_to_end(&mut data)
            .map_err(read_err)?;
        // Deliver complete lines only; a line still being written waits for its `\n`.
        let Some(last_nl) = memchr::memrchr(b'\n', &data) else {
            return Ok(());
        };
        *offset += last_nl as u64 + 1;
        let display = display_path(path);
        for line in data[..last_nl].split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.iter().all(u8::is_ascii_whitespace) {
                out.push(NewLine {
                    file: display.clone(),
                    bytes: line.to_vec(),
                });
            }
        }
        Ok(())
    }
}

/// Watches stream folders without creating them: a folder that does not exist yet is
/// waited for by watching its parent, and watched itself once it appears (reads never
/// create a stream folder, SPEC §15).
pub struct DirWatch {
    watcher: notify::RecommendedWatcher,
    /// Folders not created yet, by their canonical parent joined with their name.
    pending: Vec<PathBuf>,
}

impl DirWatch {
    /// A watcher sending its events to `tx`.
    pub fn new(tx: Sender<notify::Result<notify::Event>>, what: &Path) -> Result<DirWatch> {
        let watcher = notify::recommended_watcher(tx).map_err(|e| Error::Watch {
            path: what.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(DirWatch {
            watcher,
            pending: Vec::new(),
        })
    }

    /// Watches `dir`. Returns its canonical path (change events name files by the
    /// watched path, so keying anything by it works for relative roots too), or `None`
    /// when it does not exist yet and its parent is watched for it instead.
    pub fn add(&mut self, dir: &Path) -> Result<Option<PathBuf>> {
        match dir.canonicalize() {
            Ok(canonical) => {
                self.watch(&canonical)?;
                Ok(Some(canonical))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let parent = match dir.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                let parent = parent.canonicalize().map_err(|source| Error::Read {
                    path: parent.to_path_buf(),
                    source,
                })?;
                let wanted = parent.join(dir.file_name().unwrap_or_default());
                if !self
                    .pending
                    .iter()
                    .any(|p| p.parent() == Some(parent.as_path()))
                {
                    self.watch(&parent)?;
                }
                self.pending.push(wanted);
                Ok(None)
            }
            Err(source) => Err(Error::Read {
                path: dir.to_path_buf(),
                source,
            }),
        }
    }

    /// Starts watching pending folders that `changed` shows were created; returns them.
    pub fn created(&mut self, changed: &[PathBuf]) -> Result<Vec<PathBuf>> {
        let mut added = Vec::new();
        let mut i = 0;
        while i < self.pending.len() {
            let dir = &self.pending[i];
            if changed.iter().any(|c| c == dir) && dir.is_dir() {
                let dir = self.pending.remove(i);
                self.watch(&dir)?;
                added.push(dir);
            } else {
                i += 1;
            }
        }
        Ok(added)
    }

    fn watch(&mut self, dir: &Path) -> Result<()> {
        self.watcher
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|e| Error::Watch {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })
    }
}

fn roots_files(dir: &Path, stream: Stream) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| stream.parse_name(n))
                .is_some_and(|(_, gz)| !gz)
        })
        .map(|e| e.path())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading the new lines opens the file, which inotify reports; that report must
    /// not wake the follower to read again (it did, for ever: a core spun while idle).
    #[test]
    fn reading_does_not_wake_the_follower() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        let file = logs.join("skill-invocations-2026-11-20.jsonl");
        std::fs::write(&file, b"{\"a\":1}\n").unwrap();
        let roots = Roots::new(vec![dir.path().to_path_buf()]);
        let mut f = Follower::start(&roots, Stream::SkillInvocations).unwrap();
        let mut out = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        std::io::Write::write_all(&mut out, b"{\"b\":2}\n").unwrap();
        drop(out);
        let lines = f.next_lines(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].bytes, b"{\"b\":2}");
        let before = f.reads;
        assert!(
            f.next_lines(Some(Duration::from_millis(300)))
                .unwrap()
                .is_empty()
        );
        // The write's own events may still arrive; the reads they cause must not
        // feed themselves.
        assert!(
            f.reads - before <= 3,
            "{} reads while idle",
            f.reads - before
        );
    }
}
