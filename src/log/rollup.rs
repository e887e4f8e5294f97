//! Rollups of the skill-invocation stream (SPEC §13): what `stats` needs from a sealed
//! daily file, so it never reads that file's lines again.
//!
//! - The day section holds, over the whole file, one group per skill, agent, journey
//!   and result, and the total: counts, successes, failures, cache hits and the
//!   duration distribution. `stats --by X` with at most a filter on X itself, over a
//!   window holding the whole file, reads only this.
//! - The quarter section holds every 15-minute bucket's records reduced to their
//!   (skill, agent, journey, result) combination: counts and the exact durations. Any
//!   other filter, local-time days, and windows whose edges fall on a quarter hour are
//!   answered from it, exactly as from the raw lines.
//!
//! `--run-id`, `--grep` and `--cache-hit` need the raw lines, and so do several roots.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::filter::Filter;
use super::stats::Group;
use crate::record::{SkillResult, SkillView, Timestamp};
use crate::rollup::{self, Fingerprint, Header, QUARTER_MS, Rollup};
use crate::stats::exact_micros;
use crate::store::{DataFile, LineError, Scan, Span};

/// The dimensions of the day section, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dim {
    Total = 0,
    Skill = 1,
    Agent = 2,
    Cuj = 3,
    Result = 4,
}

/// Groups over the whole file, per dimension: `(key, group)` sorted by key; the
/// total's key is empty, as are missing agents and journeys.
#[derive(Default)]
struct DaySection {
    dims: [Vec<(String, Group)>; 5],
}

/// Records of one 15-minute bucket that share skill, agent, journey and result.
#[derive(Default, Serialize, Deserialize)]
pub(super) struct Combo {
    /// Indexes into the section's strings.
    pub(super) skill: u32,
    pub(super) agent: u32,
    pub(super) cuj: u32,
    pub(super) result: u32,
    pub(super) count: u64,
    pub(super) cache_hits: u64,
    /// Durations that are whole microseconds, as microseconds (most are: 4 bytes
    /// instead of 8), and the others as they are.
    pub(super) micros: Vec<u64>,
    pub(super) floats: Vec<f64>,
}

#[derive(Default, Serialize, Deserialize)]
pub(super) struct QuarterSection {
    pub(super) strings: Vec<String>,
    /// `(quarter, combos)` in time order; a quarter starts at `quarter * QUARTER_MS`.
    pub(super) quarters: Vec<(i64, Vec<Combo>)>,
}

impl QuarterSection {
    pub(super) fn text(&self, i: u32) -> &str {
        self.strings.get(i as usize).map_or("", String::as_str)
    }
}

impl Combo {
    /// Folds the combination's records into a stats group, as adding them one by one
    /// would.
    pub(super) fn add_to(&self, g: &mut Group, result: &str) {
        g.count += self.count;
        if result == SkillResult::Success.as_str() {
            g.successes += self.count;
        }
        if result
            .parse::<SkillResult>()
            .is_ok_and(|r: SkillResult| r.is_failure())
        {
            g.failures += self.count;
        }
        g.cache_hits += self.cache_hits;
        for &m in &self.micros {
            g.durations.record(m as f64 / 1000.0);
        }
        for &ms in &self.floats {
            g.durations.record(ms);
        }
    }

    fn record(&mut self, ms: f64) {
        match exact_micros(ms) {
            Some(m) => self.micros.push(m),
            None => self.floats.push(ms),
        }
    }
}

#[derive(Default)]
struct Builder {
    dims: [FxHashMap<Box<str>, Group>; 5],
    strings: FxHashMap<Box<str>, u32>,
    quarters: BTreeMap<i64, FxHashMap<[u32; 4], Combo>>,
    records: u64,
    first: Option<i64>,
    last: Option<i64>,
    /// Malformed lines shaped like a whole object (see `Header::object_skipped`).
    object_skipped: u64,
}

impl Builder {
    fn string(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.strings.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.insert(s.into(), i);
        i
    }

    fn add(&mut self, v: &SkillView<'_>) {
        let t = v.timestamp.millis();
        self.records += 1;
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
        let keys = [
            "",
            &*v.skill,
            v.agent.as_deref().unwrap_or(""),
            v.cuj_id.as_deref().unwrap_or(""),
            v.result.as_str(),
        ];
        for (dim, key) in self.dims.iter_mut().zip(keys) {
            match dim.get_mut(key) {
                Some(g) => g.add(v),
                None => dim.entry(key.into()).or_default().add(v),
            }
        }
        let combo = [
            self.string(keys[1]),
            self.string(keys[2]),
            self.string(keys[3]),
            self.string(keys[4]),
        ];
        let c = self
            .quarters
            .entry(t.div_euclid(QUARTER_MS))
            .or_default()
            .entry(combo)
            .or_default();
        c.count += 1;
        c.cache_hits += u64::from(v.cache_hit);
        if let Some(d) = v.duration
            && d.is_finite()
            && d >= 0.0
        {
            c.record(d);
        }
    }

    fn merge(mut self, mut other: Builder) -> Builder {
        // A large file is read in one share per core: their builders merge here.
        if other.records == 0 {
            self.object_skipped += other.object_skipped;
            return self;
        }
        if self.records == 0 {
            other.object_skipped += self.object_skipped;
            return other;
        }
        self.object_skipped += other.object_skipped;
        // Re-key the other's strings into this builder's table.
        let names: Vec<Box<str>> = {
            let mut v: Vec<(u32, Box<str>)> =
                other.strings.into_iter().map(|(k, i)| (i, k)).collect();
            v.sort();
            v.into_iter().map(|(_, k)| k).collect()
        };
        for (mine, theirs) in self.dims.iter_mut().zip(other.dims) {
            for (k, g) in theirs {
                mine.entry(k).or_default().merge(g);
            }
        }
        for (q, combos) in other.quarters {
            for (key, c) in combos {
                let key = key.map(|i| names.get(i as usize).map_or("", |s| &**s).to_string());
                let key = [
                    self.string(&key[0]),
                    self.string(&key[1]),
                    self.string(&key[2]),
                    self.string(&key[3]),
                ];
                let mine = self.quarters.entry(q).or_default().entry(key).or_default();
                mine.count += c.count;
                mine.cache_hits += c.cache_hits;
                mine.micros.extend(c.micros);
                mine.floats.extend(c.floats);
            }
        }
        self.records += other.records;
        self.first = [self.first, other.first].into_iter().flatten().min();
        self.last = [self.last, other.last].into_iter().flatten().max();
        self
    }

    fn sections(self) -> (Header, DaySection, QuarterSection) {
        let mut day = DaySection::default();
        for (out, groups) in day.dims.iter_mut().zip(self.dims) {
            *out = groups
                .into_iter()
                .map(|(k, mut g)| {
                    g.durations.settle();
                    (k.into(), g)
                })
                .collect();
            out.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let mut strings = vec![String::new(); self.strings.len()];
        for (s, i) in self.strings {
            strings[i as usize] = s.into();
        }
        let quarters = self
            .quarters
            .into_iter()
            .map(|(q, combos)| {
                let mut combos: Vec<([u32; 4], Combo)> = combos.into_iter().collect();
                combos.sort_by_key(|(k, _)| *k);
                let combos = combos
                    .into_iter()
                    .map(|([skill, agent, cuj, result], c)| Combo {
                        skill,
                        agent,
                        cuj,
                        result,
                        ..c
                    })
                    .collect();
                (q, combos)
            })
            .collect();
        let header = Header {
            source: Fingerprint {
                size: 0,
                mtime_ns: 0,
                inode: 0,
                dev: 0,
            },
            pruned: false,
            key: 0,
            records: self.records,
            first: self.first,
            last: self.last,
            skipped: 0,
            skipped_lines: Vec::new(),
            prefix: None,
            object_skipped: self.object_skipped,
        };
        (header, day, QuarterSection { strings, quarters })
    }
}

/// How the skill stream's rollups are made.
pub const RECIPE: rollup::Recipe<'static> = rollup::Recipe {
    key: 0,
    build: &build,
    prefix: None,
};

/// Builds the rollup of one sealed file: the encoded file, or `None` when the file
/// changed while it was read (the answer then comes from its raw lines).
fn build(file: &DataFile) -> crate::Result<Option<Vec<u8>>> {
    build_span(file, None)
}

/// Builds the rollup of a file's first `end` bytes (today's file: see
/// `rollup::prefix`, which sets its header's source); `None` when it cannot be read.
pub fn build_prefix(file: &DataFile, end: u64) -> crate::Result<Option<Vec<u8>>> {
    build_span(file, Some(end))
}

/// Builds the rollup of a whole sealed file, or of its first `end` bytes.
fn build_span(file: &DataFile, end: Option<u64>) -> crate::Result<Option<Vec<u8>>> {
    let Some(before) = Fingerprint::of_path(&file.path) else {
        return Ok(None);
    };
    let span = end.map(|end| Span {
        start: 0,
        lines_before: 0,
        end: Some(end),
        identity: None,
    });
    let scan = Scan::new(vec![file.clone()], false).with_spans(vec![span]);
    let (builder, skipped) = scan.run(
        Builder::default,
        |b, line| {
            let Some(v) = SkillView::parse(line.bytes) else {
                b.object_skipped += u64::from(crate::record::prefilter_may_skip(line.bytes));
                return Err(LineError::Malformed);
            };
            b.add(&v);
            Ok(())
        },
        Builder::merge,
    )?;
    // A sealed file must not have changed while it was read; today's may have grown
    // (the prefix's checksum says whether what was read changed).
    if end.is_none() && Fingerprint::of_path(&file.path) != Some(before) {
        return Ok(None);
    }
    let (mut header, day, quarters) = builder.sections();
    header.source = before;
    header.skipped = skipped.count;
    header.skipped_lines = skipped.locations.iter().map(|(_, l, _)| *l).collect();
    // Each dimension on its own, so a question decodes only the one it reads.
    let dims = day
        .dims
        .iter()
        .map(postcard::to_stdvec)
        .collect::<Result<Vec<Vec<u8>>, _>>()
        .map_err(internal)?;
    let day = postcard::to_stdvec(&dims).map_err(internal)?;
    // Quarters are read less often and are most of the size: deflated.
    let quarters = postcard::to_stdvec(&quarters).map_err(internal)?;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    let quarters = std::io::Write::write_all(&mut z, &quarters)
        .and_then(|()| z.finish())
        .map_err(|e| crate::Error::Internal {
            what: "compressing a rollup",
            message: e.to_string(),
        })?;
    Ok(Some(Rollup::encode(&header, &day, &quarters)))
}

fn internal(e: postcard::Error) -> crate::Error {
    crate::Error::Internal {
        what: "encoding a rollup",
        message: e.to_string(),
    }
}

/// The dimensions a filter constrains (besides time) with their wanted values, or
/// `None` when no rollup can answer it (`--run-id`, `--grep`, `--cache-hit`).
pub(super) fn filter_dims(filter: &Filter) -> Option<Vec<(Dim, String)>> {
    if filter.run_id.is_some() || filter.grep.is_some() || filter.cache_hit.is_some() {
        return None;
    }
    let mut dims = Vec::new();
    if let Some(s) = &filter.skill {
        dims.push((Dim::Skill, s.clone()));
    }
    if let Some(a) = &filter.agent {
        dims.push((Dim::Agent, a.clone()));
    }
    if let Some(c) = &filter.cuj_id {
        dims.push((Dim::Cuj, c.clone()));
    }
    if let Some(r) = filter.result {
        dims.push((Dim::Result, r.as_str().to_string()));
    }
    Some(dims)
}

/// Whether a combination passes the filter's dimensions.
pub(super) fn combo_matches(q: &QuarterSection, c: &Combo, dims: &[(Dim, String)]) -> bool {
    dims.iter().all(|(d, want)| {
        let have = match d {
            Dim::Skill => c.skill,
            Dim::Agent => c.agent,
            Dim::Cuj => c.cuj,
            Dim::Result => c.result,
            Dim::Total => return true,
        };
        q.text(have) == want
    })
}

/// The day a quarter falls on (local or UTC): every offset is a multiple of 15 minutes.
pub(super) fn quarter_day(q: i64, utc: bool) -> String {
    Timestamp(q * QUARTER_MS).day(utc)
}

/// One dimension's groups from the day section.
/// Groups whose distributions do not add up make the section damaged.
pub(super) fn decode_dim(r: &Rollup, d: Dim) -> Option<Vec<(String, super::stats::StoredGroup)>> {
    let day = r.day()?;
    let dims: Vec<&[u8]> = postcard::from_bytes(&day).ok()?;
    let dim = dims.get(d as usize)?;
    // Formats 1 to 3 stored buckets as pairs; format 1's sums were plain floats.
    fn pairs<S>(dim: &[u8]) -> Option<Vec<(String, super::stats::StoredGroup)>>
    where
        S: serde::de::DeserializeOwned + Into<crate::stats::ExactSum>,
    {
        let groups: Vec<(String, super::stats::StoredGroupPairs<S>)> =
            postcard::from_bytes(dim).ok()?;
        Some(groups.into_iter().map(|(k, g)| (k, g.into())).collect())
    }
    let groups = match r.version {
        1 => pairs::<f64>(dim)?,
        2 | 3 => pairs::<crate::stats::ExactSum>(dim)?,
        _ => postcard::from_bytes(dim).ok()?,
    };
    groups
        .iter()
        .all(|(_, g)| g.durations.consistent())
        .then_some(groups)
}

pub(super) fn decode_quarters(r: &Rollup) -> Option<QuarterSection> {
    let mut bytes = Vec::new();
    let z = r.quarters()?;
    std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(&z[..]), &mut bytes).ok()?;
    postcard::from_bytes(&bytes).ok()
}

pub(super) use rollup::{Cover, cover};

#[cfg(test)]
mod tests {
    use super::*;

    /// A distribution as format 1 wrote it: its sum a plain float.
    #[derive(Serialize)]
    struct DurationsV1 {
        count: u64,
        sum: f64,
        min: f64,
        max: f64,
        micros: Vec<u64>,
        floats: Vec<f64>,
        buckets: Option<Vec<(u64, u64)>>,
    }

    /// A group as format 1 wrote it.
    #[derive(Serialize)]
    struct GroupV1 {
        count: u64,
        successes: u64,
        failures: u64,
        cache_hits: u64,
        durations: DurationsV1,
    }

    #[test]
    fn a_rollup_kept_by_pruning_in_format_1_is_still_read() {
        let group = GroupV1 {
            count: 2,
            successes: 1,
            failures: 1,
            cache_hits: 0,
            durations: DurationsV1 {
                count: 2,
                sum: 3.5,
                min: 1.5,
                max: 2.0,
                micros: vec![1_500, 2_000],
                floats: vec![],
                buckets: None,
            },
        };
        let dim = postcard::to_stdvec(&vec![("review".to_string(), group)]).unwrap();
        let empty = postcard::to_stdvec(&Vec::<(String, GroupV1)>::new()).unwrap();
        let dims = vec![empty.clone(), dim, empty.clone(), empty.clone(), empty];
        let day = postcard::to_stdvec(&dims).unwrap();
        let header = Header {
            source: Fingerprint {
                size: 1,
                mtime_ns: 1,
                inode: 1,
                dev: 1,
            },
            pruned: true,
            key: 0,
            records: 2,
            first: Some(1_000),
            last: Some(2_000),
            skipped: 0,
            skipped_lines: vec![],
            prefix: None,
            object_skipped: 0,
        };
        // Format 1: another digit, and no CRCs at the end.
        let mut bytes = Rollup::encode(&header, &day, &[]);
        bytes[7] = b'1';
        bytes.truncate(bytes.len() - 8);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("skill-invocations-2026-01-01.jsonl.rollup");
        std::fs::write(&path, &bytes).unwrap();
        // Kept by pruning: read as format 1, never dropped.
        let rollup::Loaded::Fresh(r) = rollup::load(&path, None, 0) else {
            panic!("a kept format-1 rollup must load");
        };
        assert_eq!(r.version, 1);
        let groups = decode_dim(&r, Dim::Skill).unwrap();
        let mut g = Group::default();
        g.merge_stored(&groups[0].1);
        assert_eq!(
            (groups[0].0.as_str(), g.count, g.failures),
            ("review", 2, 1)
        );
        assert_eq!(g.durations.mean(), Some(1.75));
        assert_eq!(g.durations.percentile(1.0), Some(2.0));
        // With its raw file still there, it is stale and rebuilt instead.
        assert!(matches!(
            rollup::load(&path, Some(header.source), 0),
            rollup::Loaded::Missing
        ));
    }
}
