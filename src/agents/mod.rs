//! What the agents already write: Claude Code transcripts and Codex rollouts read into
//! provider calls and skill invocations (SPEC §10), incrementally and idempotently.
//!
//! - [`claude`] and [`codex`]: one transcript's new lines into records;
//! - [`state`]: `analytics/import-state.json`, where each file's next read starts;
//! - [`held`]: the ids a root already holds, so nothing is written twice.

pub mod claude;
pub mod codex;
pub mod held;
pub mod hook;
pub mod install;
pub mod lines;
mod report;
pub mod state;

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Result;
use crate::record::{ProviderCall, Record, Timestamp};
use crate::writer::Prepared;
use crate::writer::Writer;

use held::Held;
pub use lines::Counts;
pub use report::{HooksChanged, ImportReport};
use state::{FileState, ImportLock, ImportState, Seen};

/// Which agent wrote a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Agent {
    /// Claude Code.
    Claude,
    /// Codex.
    Codex,
}

impl Agent {
    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
        }
    }
}

/// A transcript to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// Who wrote it.
    pub agent: Agent,
}

/// A response that reaches the end of its file waits this long for more lines (it may
/// still be streaming) before it is taken as complete.
pub const QUIET: Duration = Duration::from_secs(30);

/// How to import.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Ignore the saved state: read every file from its start (records already held
    /// are still not written again).
    pub full: bool,
    /// Read and count, write nothing (neither records nor state).
    pub dry_run: bool,
    /// The turn has ended (a `Stop` hook): a response at the end of a file is complete.
    pub turn_ended: bool,
}

/// What an import read and wrote.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Transcript files found.
    pub files: u64,
    /// Files read (new or grown); the others were unchanged since the last import.
    pub files_read: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Provider calls written (responses and API errors).
    pub calls: u64,
    /// Of those, failed calls (API errors).
    pub errors: u64,
    /// Tool calls written.
    pub tool_calls: u64,
    /// Items read that the root already held (by id): not written again.
    pub already_held: u64,
    /// Files that could not be read.
    pub unreadable: u64,
    /// What the lines held.
    #[serde(flatten)]
    pub counts: Counts,
    /// Where the first few bad lines are (`FILE@OFFSET`) and unreadable files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl Summary {
    /// The one-line warning about skipped lines and unreadable files, if any.
    pub fn warning(&self) -> Option<String> {
        let bad = self.counts.bad_lines;
        if bad == 0 && self.unreadable == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if bad > 0 {
            parts.push(format!(
                "skipped {bad} malformed transcript line{}",
                if bad == 1 { "" } else { "s" }
            ));
        }
        if self.unreadable > 0 {
            parts.push(format!("could not read {} files", self.unreadable));
        }
        Some(format!(
            "warning: {} ({})",
            parts.join(", "),
            self.problems.join(", ")
        ))
    }
}

/// The folders searched by default for `agent` (SPEC §10): Claude Code's
/// `$CLAUDE_CONFIG_DIR` folders (comma-separated) else `~/.config/claude` and
/// `~/.claude`, each's `projects`; Codex's `${CODEX_HOME:-~/.codex}` `sessions` and
/// `archived_sessions`. Only those that exist.
pub fn default_dirs(agent: Agent) -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let dirs: Vec<PathBuf> = match agent {
        Agent::Claude => match std::env::var("CLAUDE_CONFIG_DIR") {
            Ok(v) if !v.trim().is_empty() => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Path::new(s).join("projects"))
                .collect(),
            _ => home
                .iter()
                .flat_map(|h| {
                    [
                        h.join(".config/claude/projects"),
                        h.join(".claude/projects"),
                    ]
                })
                .collect(),
        },
        Agent::Codex => {
            let base = match std::env::var_os("CODEX_HOME") {
                Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
                _ => home.map(|h| h.join(".codex")),
            };
            base.iter()
                .flat_map(|b| [b.join("sessions"), b.join("archived_sessions")])
                .collect()
        }
    };
    dirs.into_iter().filter(|d| d.is_dir()).collect()
}

/// Every transcript of `agent` below `dirs`: `*.jsonl` for Claude Code (but not Codex
/// rollouts), `rollout-*.jsonl` for Codex. Session files come before subagent
/// transcripts, so that a response replayed in a subagent's file is taken from the
/// session.
pub fn find(agent: Agent, dirs: &[PathBuf]) -> Vec<Source> {
    let mut out = Vec::new();
    for d in dirs {
        walk(d, &mut |p: &Path| {
            let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
                return;
            };
            if !name.ends_with(".jsonl") {
                return;
            }
            let rollout = name.starts_with("rollout-");
            if (agent == Agent::Codex) == rollout {
                out.push(Source {
                    path: p.to_path_buf(),
                    agent,
                });
            }
        });
    }
    out.sort_by(|a, b| {
        (group_of(&a.path), is_subagent_file(&a.path), &a.path).cmp(&(
            group_of(&b.path),
            is_subagent_file(&b.path),
            &b.path,
        ))
    });
    out.dedup();
    out
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            walk(&p, f);
        } else if ft.is_file() || (ft.is_symlink() && p.is_file()) {
            f(&p);
        }
    }
}

/// The folder whose transcripts may hold copies of each other's responses (a Claude
/// Code project folder: its sessions, resumed sessions and their subagents).
fn group_of(path: &Path) -> &Path {
    let dir = path.parent().unwrap_or(path);
    if is_subagent_file(path) {
        dir.parent().and_then(Path::parent).unwrap_or(dir)
    } else {
        dir
    }
}

/// Whether `path` is a subagent transcript (`<session>/subagents/agent-<id>.jsonl`).
fn is_subagent_file(path: &Path) -> bool {
    path.parent()
        .and_then(|p| p.file_name())
        .is_some_and(|n| n == "subagents")
}

/// The agent id and the session file of a subagent transcript.
fn subagent_of(path: &Path) -> Option<(String, PathBuf)> {
    if !is_subagent_file(path) {
        return None;
    }
    let stem = path.file_stem()?.to_str()?;
    let id = stem.strip_prefix("agent-").unwrap_or(stem).to_string();
    let session_dir = path.parent()?.parent()?;
    let mut session = session_dir.as_os_str().to_owned();
    session.push(".jsonl");
    Some((id, PathBuf::from(session)))
}

/// The state's key of a transcript: its absolute path (symlinks are not resolved: that
/// costs a system call per folder of the path, for every file of every run).
fn key_of(path: &Path) -> String {
    if path.is_absolute() {
        path.to_string_lossy().into_owned()
    } else {
        std::env::current_dir()
            .map(|c| c.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
            .to_string_lossy()
            .into_owned()
    }
}

/// One file's part of the work: what to read and from where.
struct Job {
    source: Source,
    key: String,
    seen: Seen,
    from: u64,
    context: Value,
    complete_at_end: bool,
}

/// One file's result.
struct Done {
    read: Option<lines::FileRead>,
    bytes: u64,
    error: Option<String>,
}

fn run_job(job: &Job) -> Done {
    let read = || -> std::io::Result<Vec<u8>> {
        let mut f = std::fs::File::open(&job.source.path)?;
        f.seek(SeekFrom::Start(job.from))?;
        let mut buf = Vec::with_capacity(job.seen.size.saturating_sub(job.from) as usize + 1);
        f.read_to_end(&mut buf)?;
        Ok(buf)
    };
    match read() {
        Ok(bytes) => {
            let r = match job.source.agent {
                Agent::Claude => claude::read(
                    &bytes,
                    job.from,
                    &job.context,
                    claude::ReadOptions {
                        complete_at_end: job.complete_at_end,
                        subagent_file: is_subagent_file(&job.source.path),
                    },
                ),
                Agent::Codex => codex::read(&bytes, job.from, &job.context),
            };
            Done {
                read: Some(r),
                bytes: bytes.len() as u64,
                error: None,
            }
        }
        Err(e) => Done {
            read: None,
            bytes: 0,
            error: Some(format!("{}: {e}", job.source.path.display())),
        },
    }
}

/// Reads `sources` into `writer`'s root: their new lines (or all, with `full`), each
/// complete item whose id the root does not hold yet written once, and the state saved.
/// `now` decides whether a file has been quiet long enough for a response at its end
/// to be complete.
pub fn import(
    writer: &Writer,
    sources: &[Source],
    opts: Options,
    now: SystemTime,
) -> Result<Summary> {
    let root = writer.root().to_path_buf();
    let _lock = if opts.dry_run {
        None
    } else {
        Some(ImportLock::acquire(&root)?)
    };
    let (mut state, state_problem) = ImportState::load(&root);
    let mut summary = Summary {
        files: sources.len() as u64,
        ..Summary::default()
    };
    if let Some(p) = state_problem {
        summary.problems.push(p);
    }
    let mut jobs = Vec::new();
    for s in sources {
        let key = key_of(&s.path);
        let seen = match Seen::of(&s.path) {
            Ok(seen) => seen,
            Err(e) => {
                summary.unreadable += 1;
                summary.problems.push(format!("{}: {e}", s.path.display()));
                continue;
            }
        };
        let quiet = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i128 - seen.mtime_ns >= QUIET.as_nanos() as i128)
            .unwrap_or(false);
        let complete_at_end = opts.turn_ended || quiet;
        let prior = if opts.full {
            None
        } else {
            state.files.get(&key)
        };
        let (from, context) = match prior {
            Some(p) if p.unchanged(&seen) && !(p.waiting && complete_at_end) => continue,
            Some(p) if p.continues(&seen) => (p.offset, p.context.clone()),
            _ => (0, Value::Null),
        };
        jobs.push(Job {
            source: s.clone(),
            key,
            seen,
            from,
            context,
            complete_at_end,
        });
    }
    summary.files_read = jobs.len() as u64;

    let mut held = Held::new(&root);
    let mut batch: Vec<Prepared> = Vec::new();
    let mut agent_types: FxHashMap<String, String> = FxHashMap::default();
    let mut group = Group::default();
    let stamp = Timestamp(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    );

    // Read files on every core; write in file order (sessions before subagents).
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len().max(1));
    let mut failure: Option<crate::Error> = None;
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Done)>(workers * 2);
        for _ in 0..workers {
            let tx = tx.clone();
            let jobs = &jobs;
            let next = &next;
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    if tx.send((i, run_job(job))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting: FxHashMap<usize, Done> = FxHashMap::default();
        let mut turn = 0;
        for (i, done) in rx {
            waiting.insert(i, done);
            while let Some(done) = waiting.remove(&turn) {
                let job = &jobs[turn];
                turn += 1;
                if failure.is_some() {
                    continue;
                }
                let folder = group_of(&job.source.path).to_path_buf();
                if group.folder.as_ref() != Some(&folder) {
                    let result = group.flush(&mut held, &mut batch, writer, stamp, &mut summary);
                    if let Err(e) = result {
                        failure = Some(e);
                        continue;
                    }
                    group.folder = Some(folder);
                }
                if let Err(e) = take(
                    job,
                    done,
                    &mut state,
                    &mut summary,
                    &mut group,
                    &mut held,
                    &mut batch,
                    &mut agent_types,
                    writer,
                    stamp,
                    opts,
                ) {
                    failure = Some(e);
                }
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    group.flush(&mut held, &mut batch, writer, stamp, &mut summary)?;
    if !opts.dry_run {
        writer.write(&batch)?;
        state.save(&root)?;
    }
    Ok(summary)
}

/// Takes one file's result: fills subagent types, drops what the root holds, queues
/// the rest for writing, and notes where the next read starts.
#[allow(clippy::too_many_arguments)]
fn take(
    job: &Job,
    done: Done,
    state: &mut ImportState,
    summary: &mut Summary,
    group: &mut Group,
    held: &mut Held,
    batch: &mut Vec<Prepared>,
    agent_types: &mut FxHashMap<String, String>,
    writer: &Writer,
    now: Timestamp,
    opts: Options,
) -> Result<()> {
    summary.bytes += done.bytes;
    let Some(mut read) = done.read else {
        summary.unreadable += 1;
        summary.problems.extend(done.error);
        return Ok(());
    };
    summary.counts.add(&read.counts);
    for at in &read.bad_at {
        if summary.problems.len() < 5 {
            summary
                .problems
                .push(format!("{}@{at}", job.source.path.display()));
        }
    }
    // Subagents started from this session, remembered for their own transcripts.
    let mut context = std::mem::take(&mut read.context);
    if job.source.agent == Agent::Claude && !is_subagent_file(&job.source.path) {
        let mut known: serde_json::Map<String, Value> = job
            .context
            .get("agents")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (id, ty) in &read.agent_types {
            known.insert(id.clone(), json!(ty));
        }
        for (id, ty) in &known {
            if let Some(t) = ty.as_str() {
                agent_types.insert(id.clone(), t.to_string());
            }
        }
        if !known.is_empty()
            && let Some(m) = context.as_object_mut()
        {
            m.insert("agents".into(), Value::Object(known));
        }
    }
    if let Some((agent_id, session_file)) = subagent_of(&job.source.path) {
        let ty = agent_types.get(&agent_id).cloned().or_else(|| {
            state
                .files
                .get(&key_of(&session_file))
                .and_then(|s| s.context.pointer(&format!("/agents/{agent_id}")))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        let ty = ty.unwrap_or_else(|| "subagent".to_string());
        for c in &mut read.calls {
            c.step_type = Some(ty.clone());
        }
        for t in &mut read.tools {
            t.agent = Some(ty.clone());
        }
    }
    let sidechain_file = is_subagent_file(&job.source.path);
    for call in read.calls {
        group.offer(call, sidechain_file);
    }
    for tool in read.tools {
        if queue(tool, held, batch, writer, now, summary)? {
            summary.tool_calls += 1;
        }
    }
    if batch.len() >= 4096 && !opts.dry_run {
        writer.write(batch)?;
        batch.clear();
    }
    state.files.insert(
        job.key.clone(),
        FileState {
            dev: job.seen.dev,
            ino: job.seen.ino,
            size: job.seen.size,
            mtime_ns: job.seen.mtime_ns,
            offset: read.offset,
            waiting: read.waiting_at_end,
            context,
        },
    );
    Ok(())
}

/// The provider calls of one folder's transcripts, held back until the folder is done:
/// a response copied into several files (a resumed session, a subagent's replay) is
/// written once, from the best copy: the main-line one, then the one with the largest
/// token total (the rule ccusage follows).
#[derive(Default)]
struct Group {
    folder: Option<PathBuf>,
    calls: FxHashMap<String, (bool, u64, ProviderCall)>,
    /// Copies beyond the first seen.
    copies: u64,
}

impl Group {
    fn offer(&mut self, call: ProviderCall, sidechain_file: bool) {
        let Some(id) = call.id.clone() else { return };
        let sidechain = sidechain_file || call.step_type.as_deref() == Some("subagent");
        let total = call.input_tokens.unwrap_or(0)
            + call.output_tokens.unwrap_or(0)
            + call.cache_read_tokens.unwrap_or(0)
            + call.cache_write_tokens.unwrap_or(0);
        match self.calls.get_mut(&id) {
            Some(best) => {
                self.copies += 1;
                let better = (best.0 && !sidechain) || (best.0 == sidechain && total > best.1);
                if better {
                    *best = (sidechain, total, call);
                }
            }
            None => {
                self.calls.insert(id, (sidechain, total, call));
            }
        }
    }

    fn flush(
        &mut self,
        held: &mut Held,
        batch: &mut Vec<Prepared>,
        writer: &Writer,
        now: Timestamp,
        summary: &mut Summary,
    ) -> Result<()> {
        summary.already_held += std::mem::take(&mut self.copies);
        let mut calls: Vec<ProviderCall> = self.calls.drain().map(|(_, (_, _, c))| c).collect();
        calls.sort_by_key(|c| c.timestamp);
        for call in calls {
            let failed = !call.success;
            if queue(call, held, batch, writer, now, summary)? {
                summary.calls += 1;
                summary.errors += u64::from(failed);
            }
        }
        Ok(())
    }
}

/// Queues `record` unless the root holds its id; whether it was queued.
fn queue<R: Record>(
    mut record: R,
    held: &mut Held,
    batch: &mut Vec<Prepared>,
    writer: &Writer,
    now: Timestamp,
    summary: &mut Summary,
) -> Result<bool> {
    let env = record.envelope();
    let (Some(t), Some(id)) = (*env.timestamp, env.id.clone()) else {
        return Ok(false);
    };
    if held.contains(R::STREAM, t, &id) {
        summary.already_held += 1;
        return Ok(false);
    }
    match writer.prepare(record, now) {
        Ok(p) => {
            held.insert(R::STREAM, t, &id);
            batch.push(p);
            Ok(true)
        }
        Err(e) => {
            summary.counts.other_lines += 1;
            if summary.problems.len() < 5 {
                summary.problems.push(format!("{id}: {e}"));
            }
            Ok(false)
        }
    }
}
