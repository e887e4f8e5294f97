//! `cc-log run`: runs a command as a skill invocation, times it, logs how it ended, and
//! with a cache TTL reuses the saved output of the same skill and params.

use std::io::Write;

use serde_json::{Map, Value};

use super::cache;
use crate::error::{Error, Result};
use crate::output::Written;
use crate::record::{SkillInvocation, SkillResult, Timestamp};
use crate::runner::{self, Usage};
use crate::writer::Writer;

/// What `cc-log run` is asked to do.
#[derive(Debug, Clone)]
pub struct SkillRun {
    /// The invocation's fields given up front (skill, params, agent...); the time,
    /// duration, result, error and resources are filled in by the run.
    pub record: SkillInvocation,
    /// The program and its arguments.
    pub command: Vec<String>,
    /// Reuse a saved output younger than this many milliseconds; `None` runs every time.
    pub cache_ttl_ms: Option<f64>,
}

/// What a run did: the record it appended and the exit code of the command (0 for a
/// cache hit, where the command did not run).
#[derive(Debug, Clone, PartialEq)]
pub struct SkillRunReport {
    /// The record as appended.
    pub written: Written,
    /// The command's own exit code.
    pub code: i32,
}

fn resources(meta: &mut Map<String, Value>, u: Usage) {
    meta.insert("peakRssMb".into(), Value::from(u.peak_rss_mb));
    meta.insert("cpuUserMs".into(), Value::from(u.cpu_user_ms));
    meta.insert("cpuSystemMs".into(), Value::from(u.cpu_system_ms));
}

/// Runs `run` (or replays its cached output to `stdout`), appends its record to
/// `writer` and reports it. The command's standard output and error pass through; a
/// cache lives under `root` and is judged fresh against `now`. `stdout` is the program's
/// standard output: a failed write of a replayed output is [`Error::Stdio`].
pub fn run_skill(
    writer: &Writer,
    root: &std::path::Path,
    now: Timestamp,
    run: SkillRun,
    stdout: &mut (dyn Write + Send),
) -> Result<SkillRunReport> {
    let SkillRun {
        record: mut rec,
        command,
        cache_ttl_ms: ttl,
    } = run;
    let (program, rest) = command
        .split_first()
        .ok_or_else(|| Error::invalid("CMD", "a command is required after --"))?;
    let mut meta = match rec.metadata.take() {
        Some(Value::Object(m)) => m,
        Some(other) => {
            let mut m = Map::new();
            m.insert("value".into(), other);
            m
        }
        None => Map::new(),
    };
    meta.insert("command".into(), Value::String(command.join(" ")));
    let started = Timestamp::now();
    if let Some(ttl) = ttl
        && let Some(hit) = cache::lookup(root, &rec.skill, rec.params.as_ref(), ttl, now)?
    {
        let printed = stdout.write_all(&hit.output).and_then(|()| stdout.flush());
        if let Err(e) = printed
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(Error::stdout(e));
        }
        rec.timestamp = Some(started);
        rec.duration = Some((Timestamp::now().0 - started.0) as f64);
        rec.cache_hit = true;
        rec.result = SkillResult::Success;
        meta.insert("exitCode".into(), Value::from(0));
        meta.insert("cachedAt".into(), Value::String(hit.saved_at.to_string()));
        // The command did not run: what this invocation cost is this process's own use.
        resources(&mut meta, runner::own_usage());
        rec.metadata = Some(Value::Object(meta));
        let written = writer.append(rec)?;
        return Ok(SkillRunReport {
            written: Written(vec![written]),
            code: 0,
        });
    }
    let outcome = if ttl.is_some() {
        let mut kept: Vec<u8> = Vec::new();
        let mut passing = true;
        let mut on_stdout = |bytes: &[u8]| {
            if passing
                && stdout
                    .write_all(bytes)
                    .and_then(|()| stdout.flush())
                    .is_err()
            {
                passing = false;
            }
            if kept.len() <= cache::MAX_OUTPUT_BYTES {
                kept.extend_from_slice(bytes);
            }
        };
        let outcome = runner::Runner::new().run_piped(program, rest, &mut on_stdout);
        if outcome.success() {
            let saved = cache::save(root, &rec.skill, rec.params.as_ref(), &kept, now)?;
            if !saved {
                meta.insert(
                    "cacheSkipped".into(),
                    Value::String("output over 1 MiB".into()),
                );
            }
        }
        outcome
    } else {
        runner::run_measured(program, rest)
    };
    rec.timestamp = Some(started);
    rec.duration = Some(outcome.duration_ms);
    rec.result = if outcome.success() {
        SkillResult::Success
    } else {
        SkillResult::Failure
    };
    rec.error = outcome.error_message().map_or(Value::Null, Value::String);
    meta.insert("exitCode".into(), Value::from(outcome.code));
    if let Some(u) = outcome.usage {
        resources(&mut meta, u);
    }
    rec.metadata = Some(Value::Object(meta));
    let written = writer.append(rec)?;
    Ok(SkillRunReport {
        written: Written(vec![written]),
        code: outcome.code,
    })
}
