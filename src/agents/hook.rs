//! `cc-log hook`: one Claude Code (or Codex) hook payload into records (SPEC §10).
//! A hook must never block or fail the agent: the caller prints a problem as one line
//! on standard error and exits 0 whatever happens here.

use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rustc_hash::FxBuildHasher;
use serde::Deserialize;
use serde_json::Value;

use super::held::Held;
use super::{Agent, Options, Source, claude, lines};
use crate::error::{Error, Result};
use crate::progress::append_event;
use crate::record::{
    ProgressEvent, ProviderCall, RunStatus, SkillInvocation, SkillResult, Timestamp,
};
use crate::store::{Roots, Stream};
use crate::writer::Writer;

/// The events `hook install` registers, in the order Claude Code documents them.
pub const EVENTS: &[&str] = &[
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "Stop",
    "StopFailure",
    "SubagentStart",
    "SubagentStop",
    "SessionEnd",
];

/// The events whose hooks take a tool matcher.
pub const TOOL_EVENTS: &[&str] = &["PreToolUse", "PostToolUse", "PostToolUseFailure"];

/// Remembered tool-call starts older than this are pruned.
const STATE_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Deserialize, Default)]
struct Payload {
    #[serde(default)]
    hook_event_name: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    transcript_path: Option<PathBuf>,
    #[serde(default)]
    agent_transcript_path: Option<PathBuf>,
    #[serde(default)]
    cwd: Option<PathBuf>,
    #[serde(default)]
    tool_name: Option<String>,
    #[serde(default)]
    tool_input: Option<Value>,
    #[serde(default)]
    tool_use_id: Option<String>,
    #[serde(default)]
    duration_ms: Option<f64>,
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    agent_id: Option<String>,
    #[serde(default)]
    agent_type: Option<String>,
    #[serde(default)]
    session_title: Option<String>,
    #[serde(default)]
    model: Option<Value>,
}

/// What a hook call did (for tests and `--json`-less diagnostics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// An event ccmon does not act on.
    Ignored,
    /// Records were written (or a start remembered).
    Done,
}

fn text_of_error(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(m) => ["message", "type", "error"]
            .iter()
            .find_map(|k| m.get(*k).map(lines::text_of))
            .unwrap_or_else(|| v.to_string()),
        other => other.to_string(),
    }
}

fn state_file(root: &Path, tool_use_id: &str) -> PathBuf {
    let mut h = FxBuildHasher.build_hasher();
    h.write(tool_use_id.as_bytes());
    root.join("analytics")
        .join("hook-state")
        .join(format!("{:016x}", h.finish()))
}

fn remember_start(root: &Path, tool_use_id: &str, now: Timestamp) -> Result<()> {
    let path = state_file(root, tool_use_id);
    let dir = path.parent().unwrap_or(root);
    let err = |source| Error::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    // Prune starts of calls that never ended (a killed session).
    if let Ok(entries) = std::fs::read_dir(dir) {
        let cutoff = SystemTime::now() - STATE_TTL;
        for e in entries.flatten() {
            if e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|m| m < cutoff)
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    std::fs::write(&path, format!("{}\n{tool_use_id}\n", now.0)).map_err(err)
}

fn take_start(root: &Path, tool_use_id: &str) -> Option<Timestamp> {
    let path = state_file(root, tool_use_id);
    let text = std::fs::read_to_string(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    let mut lines = text.lines();
    let ms: i64 = lines.next()?.trim().parse().ok()?;
    (lines.next() == Some(tool_use_id)).then_some(Timestamp(ms))
}

fn model_of(v: &Option<Value>) -> Option<String> {
    match v.as_ref()? {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => m
            .get("id")
            .or_else(|| m.get("display_name"))
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    }
}

fn progress(
    roots: &Roots,
    writer: &Writer,
    run_id: &str,
    make: impl Fn(Option<&crate::progress::RunState>) -> ProgressEvent,
) -> Result<()> {
    append_event(roots, writer, run_id, |state| Ok(make(state))).map(|_| ())
}

/// Handles one hook payload (the bytes read from standard input).
pub fn handle(input: &[u8], roots: &Roots, writer: &Writer, now: Timestamp) -> Result<Handled> {
    let text = std::str::from_utf8(input).map_err(|_| Error::invalid("hook input", "not UTF-8"))?;
    if text.trim().is_empty() {
        return Err(Error::invalid(
            "hook input",
            "empty: expected a JSON object",
        ));
    }
    let p: Payload = serde_json::from_str(text)
        .map_err(|e| Error::invalid("hook input", format!("not a hook payload: {e}")))?;
    let Some(event) = p.hook_event_name.clone() else {
        return Err(Error::invalid("hook_event_name", "missing"));
    };
    let root = roots.primary();
    let session = p
        .session_id
        .clone()
        .unwrap_or_else(|| "unknown-session".into());
    match event.as_str() {
        "PreToolUse" => {
            let Some(id) = &p.tool_use_id else {
                return Ok(Handled::Ignored);
            };
            remember_start(root, id, now)?;
        }
        "PostToolUse" | "PostToolUseFailure" => {
            let (Some(id), Some(name)) = (&p.tool_use_id, &p.tool_name) else {
                return Ok(Handled::Ignored);
            };
            let start = take_start(root, id);
            let duration = p
                .duration_ms
                .filter(|d| d.is_finite() && *d >= 0.0)
                .or_else(|| start.map(|s| (now.0 - s.0).max(0) as f64));
            let start =
                start.unwrap_or_else(|| Timestamp(now.0 - duration.map_or(0, |d| d as i64)));
            let mut params = p.tool_input.clone();
            let mut rec = SkillInvocation::new(claude::tool_name(name, params.as_ref()));
            if let Some(v) = &mut params {
                lines::truncate_strings(v);
            }
            rec.timestamp = Some(start);
            rec.params = params;
            rec.duration = duration;
            let error = p.error.as_ref().filter(|e| !e.is_null()).map(text_of_error);
            if event == "PostToolUseFailure" || error.is_some() {
                rec.result = SkillResult::Failure;
                rec.error = Value::String(lines::first_chars(
                    error.as_deref().unwrap_or("tool failed"),
                    lines::ERROR_CHARS,
                ));
            }
            rec.agent = Some(
                p.agent_type
                    .clone()
                    .unwrap_or_else(|| claude::TOOL_ID.into()),
            );
            rec.run_id = Some(session);
            let record_id = format!("claude-tool:{id}");
            // An import (the status line's) may have written this call already.
            if Held::new(root).contains(Stream::SkillInvocations, start, &record_id) {
                return Ok(Handled::Done);
            }
            rec.id = Some(record_id);
            writer.write(&[writer.prepare(rec, now)?])?;
        }
        "SessionStart" => {
            let name = p.session_title.clone().or_else(|| {
                p.cwd
                    .as_ref()
                    .and_then(|c| c.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
            });
            let model = model_of(&p.model);
            progress(roots, writer, &session, |state| {
                let mut e = ProgressEvent::new(session.clone(), RunStatus::Running);
                e.step = Some(state.and_then(|s| s.step).unwrap_or(0));
                e.percentage = Some(0.0);
                e.name = name.clone();
                e.source = Some("session".into());
                e.tool = Some(claude::TOOL_ID.into());
                e.model = model.clone();
                e.message = p.reason.clone().map(|r| format!("session {r}"));
                e
            })?;
        }
        "UserPromptSubmit" => {
            let first = p
                .prompt
                .as_deref()
                .and_then(|t| t.lines().find(|l| !l.trim().is_empty()))
                .unwrap_or("")
                .trim();
            let message = lines::first_chars(first, 200);
            progress(roots, writer, &session, |state| {
                let mut e = ProgressEvent::new(session.clone(), RunStatus::Running);
                e.step = Some(state.and_then(|s| s.step).unwrap_or(0) + 1);
                e.source = Some("session".into());
                e.message = Some(message.clone());
                e
            })?;
        }
        "Stop" | "StopFailure" => {
            let failed = event == "StopFailure";
            let error_type = p
                .error_type
                .clone()
                .or_else(|| p.error.as_ref().filter(|e| !e.is_null()).map(text_of_error));
            progress(roots, writer, &session, |state| {
                let status = if failed {
                    RunStatus::Failed
                } else {
                    RunStatus::Completed
                };
                let mut e = ProgressEvent::new(session.clone(), status);
                e.step = Some(state.and_then(|s| s.step).unwrap_or(0).max(1));
                e.source = Some("session".into());
                if failed {
                    e.error = Value::String(error_type.clone().unwrap_or_else(|| "error".into()));
                } else {
                    e.message = Some("turn ended".into());
                }
                e
            })?;
            if failed {
                let mut call = ProviderCall::new("anthropic", false);
                call.timestamp = Some(now);
                call.error = Value::String(error_type.unwrap_or_else(|| "error".into()));
                call.status_code =
                    call.error
                        .as_str()
                        .and_then(lines::status_in)
                        .or(match call.error.as_str() {
                            Some(t) if t.contains("rate_limit") => Some(429),
                            Some(t) if t.contains("overloaded") => Some(529),
                            _ => None,
                        });
                call.run_id = Some(session.clone());
                call.tool_id = Some(claude::TOOL_ID.into());
                writer.write(&[writer.prepare(call, now)?])?;
            }
            import_transcripts(writer, &p, true)?;
        }
        "SessionEnd" => {
            let reason = p.reason.clone();
            progress(roots, writer, &session, |state| {
                let mut e = ProgressEvent::new(session.clone(), RunStatus::Completed);
                e.step = state.and_then(|s| s.step).or(Some(0));
                e.percentage = Some(100.0);
                e.source = Some("session".into());
                e.message = Some(match &reason {
                    Some(r) => format!("session ended ({r})"),
                    None => "session ended".into(),
                });
                e
            })?;
            import_transcripts(writer, &p, true)?;
        }
        "SubagentStart" | "SubagentStop" => {
            let agent = p.agent_id.clone().unwrap_or_else(|| "agent".into());
            let child = format!("{session}/{agent}");
            let start = event == "SubagentStart";
            let ty = p.agent_type.clone();
            progress(roots, writer, &child, |state| {
                let status = if start {
                    RunStatus::Running
                } else {
                    RunStatus::Completed
                };
                let mut e = ProgressEvent::new(child.clone(), status);
                e.step = state.and_then(|s| s.step).or(Some(0));
                e.percentage = Some(if start { 0.0 } else { 100.0 });
                e.source = Some("subagent".into());
                e.chain_id = Some(session.clone());
                e.name = ty.clone();
                e.role = ty.clone();
                e
            })?;
            if !start {
                import_transcripts(writer, &p, true)?;
            }
        }
        _ => return Ok(Handled::Ignored),
    }
    Ok(Handled::Done)
}

/// Imports the new lines of the payload's transcripts, as `import` does.
fn import_transcripts(writer: &Writer, p: &Payload, turn_ended: bool) -> Result<()> {
    let sources: Vec<Source> = [&p.transcript_path, &p.agent_transcript_path]
        .into_iter()
        .flatten()
        .filter(|t| t.is_file())
        .map(|t| Source {
            path: t.clone(),
            // Codex sends its rollout file.
            agent: match t.file_name().and_then(|n| n.to_str()) {
                Some(n) if n.starts_with("rollout-") => Agent::Codex,
                _ => Agent::Claude,
            },
        })
        .collect();
    if sources.is_empty() {
        return Ok(());
    }
    super::import(
        writer,
        &sources,
        Options {
            turn_ended,
            ..Options::default()
        },
        SystemTime::now(),
    )
    .map(|_| ())
}
