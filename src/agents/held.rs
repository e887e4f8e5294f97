//! Which imported records a root already holds: an index of the ids in the daily files
//! around a record's day, loaded once per day and stream, so that a re-import (after
//! `--full`, a lost state file, or a hook that wrote the same tool call) never writes a
//! record twice, without re-reading the whole history.

use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate};
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use crate::record::Timestamp;
use crate::store::Stream;

/// The ids of imported records held in a root, by stream and day.
pub struct Held {
    root: PathBuf,
    days: FxHashMap<(Stream, NaiveDate), FxHashSet<u64>>,
}

fn hash(id: &str) -> u64 {
    let mut h = FxBuildHasher.build_hasher();
    h.write(id.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

/// Whether an id is one an import gives (only those are indexed: ULIDs of other
/// records can never collide with them).
fn imported(id: &[u8]) -> bool {
    id.starts_with(b"claude") || id.starts_with(b"codex")
}

impl Held {
    /// An empty index over `root`'s files.
    pub fn new(root: &Path) -> Held {
        Held {
            root: root.to_path_buf(),
            days: FxHashMap::default(),
        }
    }

    fn day(&mut self, stream: Stream, date: NaiveDate) -> &mut FxHashSet<u64> {
        let root = &self.root;
        self.days
            .entry((stream, date))
            .or_insert_with(|| load(&stream.daily_path(root, date)))
    }

    /// Whether the record `id` of `stream` at time `t` is held in its day's file or
    /// the neighbouring days' (a record's day depends on the clock that dated it).
    pub fn contains(&mut self, stream: Stream, t: Timestamp, id: &str) -> bool {
        let h = hash(id);
        let d = t.utc_date();
        let days = [
            d.checked_sub_days(Days::new(1)),
            Some(d),
            d.checked_add_days(Days::new(1)),
        ];
        days.into_iter()
            .flatten()
            .any(|day| self.day(stream, day).contains(&h))
    }

    /// Notes that `id` is now held at `t`.
    pub fn insert(&mut self, stream: Stream, t: Timestamp, id: &str) {
        let h = hash(id);
        self.day(stream, t.utc_date()).insert(h);
    }
}

/// The imported ids in one daily file (plain or gzipped); none when it does not exist.
fn load(path: &Path) -> FxHashSet<u64> {
    let mut set = FxHashSet::default();
    let mut bytes = Vec::new();
    if std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .is_err()
    {
        let mut gz = path.as_os_str().to_owned();
        gz.push(".gz");
        let Ok(f) = std::fs::File::open(PathBuf::from(gz)) else {
            return set;
        };
        bytes.clear();
        if flate2::read::GzDecoder::new(f)
            .read_to_end(&mut bytes)
            .is_err()
        {
            return set;
        }
    }
    let finder = memchr::memmem::Finder::new(b"\"id\":\"");
    for at in finder.find_iter(&bytes) {
        let rest = &bytes[at + 6..];
        if let Some(end) = memchr::memchr2(b'"', b'\n', rest)
            && rest[end] == b'"'
            && imported(&rest[..end])
            && let Ok(id) = std::str::from_utf8(&rest[..end])
        {
            set.insert(hash(id));
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ids_in_neighbouring_days() {
        let dir = tempfile::tempdir().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let p = Stream::ProviderHealth.daily_path(dir.path(), day);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            &p,
            "{\"provider\":\"anthropic\",\"id\":\"claude:msg_1\"}\n{\"id\":\"01J0000000000000000000000\"}\n{\"id\":\"claude:tor",
        )
        .unwrap();
        let mut held = Held::new(dir.path());
        let s = Stream::ProviderHealth;
        let next_day = Timestamp::parse("2026-11-21T23:00:00Z").unwrap();
        let two_days = Timestamp::parse("2026-11-22T00:00:01Z").unwrap();
        assert!(held.contains(s, next_day, "claude:msg_1"));
        assert!(!held.contains(s, two_days, "claude:msg_1"));
        assert!(!held.contains(s, next_day, "claude:msg_2"));
        assert!(!held.contains(s, next_day, "claude:tor"));
        held.insert(s, two_days, "claude:msg_2");
        assert!(held.contains(s, next_day, "claude:msg_2"));
        assert!(!held.contains(Stream::SkillInvocations, next_day, "claude:msg_1"));
    }
}
