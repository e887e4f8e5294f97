//! `cc-progress stream RUN -- CMD`: runs an agent CLI that prints JSON events, passes
//! its output through unchanged, and records what it says as it says it (see
//! [`super::agent`]). The run is started when it has no events yet, and completed or
//! failed with the command's exit status unless the agent's own events ended it.

use std::collections::HashSet;
use std::io::Write;

use memchr::memmem;
use serde::Deserialize;

use super::agent::{Translated, Translator};
use super::read::run_state;
use super::write::{append_event, tracker};
use crate::error::{Error, Result};
use crate::record::{ProgressEvent, RunStatus, Timestamp, parse_line};
use crate::runner::{RunOutcome, Runner};
use crate::store::{Roots, Scan, Skipped, Stream};
use crate::writer::Writer;

/// How far around now records already held are looked for (an import may have
/// written the same response a little earlier or later).
const HELD_WINDOW_MS: i64 = crate::time::DAY_MS;

/// What to run and how to announce it.
#[derive(Debug, Clone)]
pub struct StreamOptions {
    /// The run the output belongs to.
    pub run: String,
    /// The run's name, when it is started here.
    pub name: Option<String>,
    /// The model, for agents whose events do not name it (Codex).
    pub model: Option<String>,
    /// The command.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

/// What a stream recorded.
#[derive(Debug, Clone)]
pub struct StreamSummary {
    /// How the command ended.
    pub outcome: RunOutcome,
    /// Output chunks written.
    pub chunks: u64,
    /// Skill invocations written.
    pub tool_calls: u64,
    /// Provider calls written.
    pub provider_calls: u64,
    /// Records not written because a record with the same id was already held.
    pub already_held: u64,
    /// Malformed lines met looking for held ids.
    pub skipped: Skipped,
}

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow, default)]
    id: Option<std::borrow::Cow<'a, str>>,
}

/// The ids of agent records (`claude…`, `codex-exec…`) held in `stream` around `now`.
fn held_ids(roots: &Roots, stream: Stream, now: Timestamp) -> Result<(HashSet<String>, Skipped)> {
    let files = roots.files(
        stream,
        Some(Timestamp(now.0 - HELD_WINDOW_MS)),
        Some(Timestamp(now.0 + HELD_WINDOW_MS)),
    )?;
    let scan = Scan::new(files, false);
    let claude = memmem::Finder::new(b"\"claude");
    let codex = memmem::Finder::new(b"\"codex-exec:");
    scan.run(
        HashSet::new,
        |acc: &mut HashSet<String>, line| {
            if claude.find(line.bytes).is_none() && codex.find(line.bytes).is_none() {
                return Ok(());
            }
            if let Some(IdOnly { id: Some(id) }) = parse_line::<IdOnly>(line.bytes) {
                acc.insert(id.into_owned());
            }
            Ok(())
        },
        |mut a, b| {
            a.extend(b);
            a
        },
    )
}

/// Writes what the agent said, skipping records whose id is already held.
struct Recorder<'a> {
    writer: &'a Writer,
    held: HashSet<String>,
    chunks: u64,
    tool_calls: u64,
    provider_calls: u64,
    already_held: u64,
    error: Option<Error>,
}

impl Recorder<'_> {
    fn fresh(&mut self, id: Option<&String>) -> bool {
        match id {
            Some(id) if !self.held.insert(id.clone()) => {
                self.already_held += 1;
                false
            }
            _ => true,
        }
    }

    fn record(&mut self, t: Translated) {
        if self.error.is_some() {
            return;
        }
        let written = match t {
            Translated::Output(e) => {
                self.chunks += 1;
                self.writer.append(*e).map(drop)
            }
            Translated::Skill(s) => {
                if !self.fresh(s.id.as_ref()) {
                    return;
                }
                self.tool_calls += 1;
                self.writer.append(*s).map(drop)
            }
            Translated::Call(c) => {
                if !self.fresh(c.id.as_ref()) {
                    return;
                }
                self.provider_calls += 1;
                self.writer.append(*c).map(drop)
            }
        };
        if let Err(e) = written {
            self.error = Some(e);
        }
    }
}

/// Runs the agent, passing its standard output to `out` unchanged and recording it.
pub fn stream(
    roots: &Roots,
    writer: &Writer,
    opts: &StreamOptions,
    out: &mut (dyn Write + Send),
) -> Result<StreamSummary> {
    let runner = Runner::new();
    let now = Timestamp::now();
    let mut skipped = Skipped::default();
    let mut held = HashSet::new();
    for s in [Stream::SkillInvocations, Stream::ProviderHealth] {
        let (ids, sk) = held_ids(roots, s, now)?;
        held.extend(ids);
        skipped.merge(sk);
    }
    let (state, sk) = run_state(roots, &opts.run, now)?;
    skipped.merge(sk);
    if state.is_none() {
        let mut t = ProgressEvent::new(opts.run.clone(), RunStatus::Running);
        t.name.clone_from(&opts.name);
        t.source = Some("agent".into());
        t.model.clone_from(&opts.model);
        append_event(roots, writer, &opts.run, |s| {
            tracker::start(s, t.clone(), 1)
        })?;
    }
    let mut recorder = Recorder {
        writer,
        held,
        chunks: 0,
        tool_calls: 0,
        provider_calls: 0,
        already_held: 0,
        error: None,
    };
    let mut translator = Translator::new(opts.run.clone(), opts.model.clone());
    let mut pending: Vec<u8> = Vec::new();
    let mut passed_through: std::io::Result<()> = Ok(());
    let outcome = {
        let mut on_stdout = |bytes: &[u8]| {
            if passed_through.is_ok() {
                passed_through = out.write_all(bytes).and_then(|()| out.flush());
            }
            pending.extend_from_slice(bytes);
            while let Some(nl) = memchr::memchr(b'\n', &pending) {
                let line: Vec<u8> = pending.drain(..=nl).collect();
                let text = String::from_utf8_lossy(&line);
                for t in translator.line(&text, Timestamp::now()) {
                    recorder.record(t);
                }
            }
        };
        runner.run_piped(&opts.program, &opts.args, &mut on_stdout)
    };
    if !pending.is_empty() {
        let text = String::from_utf8_lossy(&pending).into_owned();
        for t in translator.line(&text, Timestamp::now()) {
            recorder.record(t);
        }
    }
    for t in translator.finish() {
        recorder.record(t);
    }
    if let Some(e) = recorder.error.take() {
        return Err(e);
    }
    let (state, sk) = run_state(roots, &opts.run, Timestamp::now())?;
    skipped.merge(sk);
    if state.is_some_and(|s| !s.is_done()) {
        let mut t = ProgressEvent::new(opts.run.clone(), RunStatus::Running);
        if outcome.success() {
            t.message = Some(format!("{} exited 0", opts.program));
            append_event(roots, writer, &opts.run, |s| {
                tracker::complete(s, t.clone())
            })?;
        } else {
            let message = outcome
                .error_message()
                .unwrap_or_else(|| format!("exited with code {}", outcome.code));
            t.message = Some(message.clone());
            t.error = serde_json::Value::String(message);
            append_event(roots, writer, &opts.run, |s| {
                tracker::end(s, t.clone(), RunStatus::Failed)
            })?;
        }
    }
    Ok(StreamSummary {
        outcome,
        chunks: recorder.chunks,
        tool_calls: recorder.tool_calls,
        provider_calls: recorder.provider_calls,
        already_held: recorder.already_held,
        skipped,
    })
}
