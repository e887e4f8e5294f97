//! Where streams live and which files a query needs.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// One of the five record streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stream {
    /// `logs/skill-invocations-YYYY-MM-DD.jsonl` (`cc-log`).
    SkillInvocations,
    /// `analytics/cuj-metrics-YYYY-MM-DD.jsonl` (`cc-metrics`).
    CujMetrics,
    /// `analytics/progress-YYYY-MM-DD.jsonl` (`cc-progress`).
    Progress,
    /// `analytics/provider-health-YYYY-MM-DD.jsonl` (`cc-health`).
    ProviderHealth,
    /// `analytics/notifications-YYYY-MM-DD.jsonl` (`cc-dashboard`).
    Notifications,
}

impl Stream {
    /// Every stream.
    pub const ALL: [Stream; 5] = [
        Stream::SkillInvocations,
        Stream::CujMetrics,
        Stream::Progress,
        Stream::ProviderHealth,
        Stream::Notifications,
    ];

    /// The folder under the root: `logs` or `analytics`.
    pub fn folder(self) -> &'static str {
        match self {
            Stream::SkillInvocations => "logs",
            _ => "analytics",
        }
    }

    /// The file name stem: `skill-invocations`, `cuj-metrics`, ...
    pub fn stem(self) -> &'static str {
        match self {
            Stream::SkillInvocations => "skill-invocations",
            Stream::CujMetrics => "cuj-metrics",
            Stream::Progress => "progress",
            Stream::ProviderHealth => "provider-health",
            Stream::Notifications => "notifications",
        }
    }

    /// The stream's folder inside `root`.
    pub fn dir(self, root: &Path) -> PathBuf {
        root.join(self.folder())
    }

    /// The daily file for `date` (UTC) inside `root`.
    pub fn daily_path(self, root: &Path, date: NaiveDate) -> PathBuf {
        self.dir(root)
            .join(format!("{}-{}.jsonl", self.stem(), date.format("%Y-%m-%d")))
    }

    /// Recognizes one of this stream's file names: `Some(Some(date))` for a daily
    /// file, `Some(None)` for the undated legacy name, with whether it is gzipped.
    pub fn parse_name(self, name: &str) -> Option<(Option<NaiveDate>, bool)> {
        let (base, gz) = match name.strip_suffix(".gz") {
            Some(b) => (b, true),
            None => (name, false),
        };
        let rest = base.strip_suffix(".jsonl")?.strip_prefix(self.stem())?;
        if rest.is_empty() {
            return Some((None, gz));
        }
        let date = rest.strip_prefix('-')?;
        if date.len() != 10 {
            return None;
        }
        NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .ok()
            .map(|d| (Some(d), gz))
    }
}

/// The data roots: reads merge all of them, writes go to the first.
#[derive(Debug, Clone)]
pub struct Roots(Vec<PathBuf>);

impl Roots {
    /// `--root` values if any, else `CC_ROOT` (several paths separated by `:`), else
    /// the current directory.
    pub fn resolve(flags: &[PathBuf], env: Option<&str>) -> Roots {
        if !flags.is_empty() {
            return Roots(flags.to_vec());
        }
        let from_env: Vec<PathBuf> = env
            .unwrap_or("")
            .split(':')
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect();
        if from_env.is_empty() {
            Roots(vec![PathBuf::from(".")])
        } else {
            Roots(from_env)
        }
    }

    /// Exactly these roots.
    pub fn new(roots: Vec<PathBuf>) -> Roots {
        assert!(!roots.is_empty(), "at least one root");
        Roots(roots)
    }

    /// The root writes go to.
    pub fn primary(&self) -> &Path {
        &self.0[0]
    }

    /// Every root.
    pub fn all(&self) -> &[PathBuf] {
        &self.0
    }

    /// Whether reads must de-duplicate records by id (several roots).
    pub fn needs_dedup(&self) -> bool {
        self.0.len() > 1
    }

    /// The files of `stream` across every root that may hold records in
    /// `[since, until]`, chosen by the date in their names before any is opened.
    /// Undated legacy files are always included. Sorted by date, then root.
    pub fn files(
        &self,
        stream: Stream,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Result<Vec<DataFile>> {
        let first_day = since.map(Timestamp::utc_date);
        let last_day = until.map(Timestamp::utc_date);
        let mut files = Vec::new();
        for (root_index, root) in self.0.iter().enumerate() {
            let dir = stream.dir(root);
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(Error::Read { path: dir, source }),
            };
            for entry in entries {
                let entry = entry.map_err(|source| Error::Read {
                    path: dir.clone(),
                    source,
                })?;
                let name = entry.file_name();
                let Some(name) = name.to_str() else { continue };
                let Some((date, gz)) = stream.parse_name(name) else {
                    continue;
                };
                if let Some(d) = date
                    && (first_day.is_some_and(|f| d < f) || last_day.is_some_and(|l| d > l))
                {
                    continue;
                }
                let path = entry.path();
                files.push(DataFile {
                    display: display_path(&path),
                    path,
                    date,
                    gz,
                    root_index,
                });
            }
        }
        files.sort_by(|a, b| (a.date, a.root_index, &a.path).cmp(&(b.date, b.root_index, &b.path)));
        Ok(files)
    }
}

/// A path as shown to users: relative (`logs/x.jsonl`) when under the current folder.
pub fn display_path(path: &Path) -> String {
    let p = path.strip_prefix(".").unwrap_or(path);
    p.display().to_string()
}

/// One stream file chosen for reading.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// Where it is.
    pub path: PathBuf,
    /// How it is shown in messages.
    pub display: String,
    /// The date in its name; `None` for the legacy undated file.
    pub date: Option<NaiveDate>,
    /// Whether it is gzip-compressed.
    pub gz: bool,
    /// Which root it came from.
    pub root_index: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let s = Stream::SkillInvocations;
        let d = NaiveDate::from_ymd_opt(2026, 11, 20);
        assert_eq!(
            s.parse_name("skill-invocations-2026-11-20.jsonl"),
            Some((d, false))
        );
        assert_eq!(
            s.parse_name("skill-invocations-2026-11-20.jsonl.gz"),
            Some((d, true))
        );
        assert_eq!(s.parse_name("skill-invocations.jsonl"), Some((None, false)));
        assert_eq!(s.parse_name("skill-invocations-2026-13-20.jsonl"), None);
        assert_eq!(s.parse_name("skill-invocations-2026-11-20.json"), None);
        assert_eq!(s.parse_name("progress-2026-11-20.jsonl"), None);
        assert_eq!(
            Stream::Progress.parse_name("progress-2026-11-20.jsonl"),
            Some((d, false))
        );
        assert_eq!(
            s.daily_path(Path::new("/r"), d.unwrap()),
            PathBuf::from("/r/logs/skill-invocations-2026-11-20.jsonl")
        );
        assert_eq!(
            Stream::ProviderHealth.daily_path(Path::new("r"), d.unwrap()),
            PathBuf::from("r/analytics/provider-health-2026-11-20.jsonl")
        );
    }

    #[test]
    fn roots() {
        assert_eq!(Roots::resolve(&[], None).all(), &[PathBuf::from(".")]);
        assert_eq!(
            Roots::resolve(&[], Some("/a:/b")).all(),
            &[PathBuf::from("/a"), PathBuf::from("/b")]
        );
        assert_eq!(
            Roots::resolve(&[PathBuf::from("/c")], Some("/a")).all(),
            &[PathBuf::from("/c")]
        );
    }
}
