//! Agent output, CodeCourier's streaming terminal: output chunks (`cc-progress output`)
//! and the translation of an agent CLI's JSON event stream (`cc-progress stream`):
//! `claude -p --output-format stream-json` and `codex exec --json`. Messages become
//! output chunks, tool calls skill invocations, usage provider calls.
//!
//! Claude records carry the importer's ids (`claude:<message.id>` for a response,
//! `claude-tool:<tool_use_id>` for a tool call), so a session both streamed and
//! imported counts once. `codex exec --json` does not expose the rollout's call ids;
//! its records get ids of their own (`codex-exec:<thread>:...`).

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::record::{
    OutputStream, ProgressEvent, ProviderCall, SkillInvocation, SkillResult, Timestamp,
};

/// Longest text kept in one output chunk, in bytes (longer text is cut at a
/// character boundary and marked).
pub const MAX_CHUNK_BYTES: usize = 16 * 1024;

/// Longest string kept in a tool call's parameters.
const MAX_PARAM_BYTES: usize = 4 * 1024;

/// How many characters of a failed tool call's output become its `error`.
const MAX_ERROR_CHARS: usize = 500;

/// Removes terminal escape sequences (CSI `ESC [ ... letter`, OSC `ESC ] ... BEL|ST`,
/// two-byte `ESC x`) and carriage returns, keeping the text.
///
/// ```
/// assert_eq!(ccmon::progress::strip_ansi("\x1b[1;31merror\x1b[0m: x\r"), "error: x");
/// ```
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' {
                            break;
                        }
                        if c == '\x1b' {
                            chars.next_if_eq(&'\\');
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to at most `max` bytes at a character boundary, with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Appends each line of `input` as an output chunk of `run_id` (blank lines and lines
/// of colour codes only are left out) and hands each stored event to `stored`, as it is
/// written, so that a follower sees output while the producer still runs. `input` is
/// the producer's pipe on standard input: a failed read is [`crate::Error::Stdio`].
///
/// The lines of a private key (from its `-----BEGIN ... PRIVATE KEY-----` line to its
/// `END` line, or to the end of the input) go into one chunk, so that the redactor
/// sees the whole key: line by line, only the `BEGIN` line would be recognised, and
/// the key's body would be stored. A body longer than a chunk is left out, not split.
pub fn append_output_lines(
    writer: &crate::writer::Writer,
    run_id: &str,
    stream: OutputStream,
    input: &mut dyn std::io::BufRead,
    mut stored: impl FnMut(serde_json::Value) -> crate::Result<()>,
) -> crate::Result<()> {
    let mut line = Vec::new();
    // The private key being gathered, if one has begun.
    let mut key: Option<String> = None;
    loop {
        line.clear();
        let read = input
            .read_until(b'\n', &mut line)
            .map_err(crate::Error::stdin)?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\n', '\r']);
        let chunk = match key.as_mut() {
            _ if read == 0 => key.take(),
            Some(block) => {
                let ends = is_key_marker(text, "-----END");
                if ends || block.len() + text.len() < MAX_CHUNK_BYTES {
                    block.push('\n');
                    block.push_str(text);
                }
                if ends { key.take() } else { None }
            }
            None if is_key_marker(text, "-----BEGIN") && !is_key_marker(text, "-----END") => {
                key = Some(text.to_string());
                None
            }
            None => Some(text.to_string()),
        };
        if let Some(e) = chunk.and_then(|c| output_chunk(run_id, stream, &c)) {
            stored(writer.append(e)?)?;
        }
        if read == 0 {
            return Ok(());
        }
    }
}

/// Whether `line` holds a private key's `marker` (`-----BEGIN` or `-----END`) line.
fn is_key_marker(line: &str, marker: &str) -> bool {
    line.find(marker)
        .is_some_and(|at| line[at..].contains("PRIVATE KEY"))
}

/// An output chunk of `run_id`, colour codes stripped and cut to [`MAX_CHUNK_BYTES`];
/// `None` when nothing is left to show.
pub fn output_chunk(run_id: &str, stream: OutputStream, text: &str) -> Option<ProgressEvent> {
    let clean = strip_ansi(text);
    if clean.trim().is_empty() {
        return None;
    }
    Some(ProgressEvent::output(
        run_id,
        stream,
        cut(&clean, MAX_CHUNK_BYTES),
    ))
}

/// A record the stream produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Translated {
    /// An output chunk (a progress event without status).
    Output(Box<ProgressEvent>),
    /// A finished tool call.
    Skill(Box<SkillInvocation>),
    /// A model response's usage, or a failed turn.
    Call(Box<ProviderCall>),
}

#[derive(Debug, Clone)]
struct PendingTool {
    name: String,
    input: Value,
    started: Timestamp,
    agent: String,
}

#[derive(Debug, Clone)]
struct PendingMessage {
    id: String,
    model: Option<String>,
    first: Timestamp,
    latency: Option<f64>,
    usage: [u64; 4],
    sidechain: bool,
}

/// Turns an agent CLI's JSON lines into records, line by line.
#[derive(Debug)]
pub struct Translator {
    run_id: String,
    model: Option<String>,
    /// When the previous non-response line arrived: the request a response answers
    /// was sent then.
    asked_at: Option<Timestamp>,
    message: Option<PendingMessage>,
    tools: HashMap<String, PendingTool>,
    codex_thread: Option<String>,
    codex_turn: u64,
    turn_started: Option<Timestamp>,
    items_started: HashMap<String, Timestamp>,
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str()
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Parameters as stored: strings over 4 KiB cut.
fn params(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(cut(s, MAX_PARAM_BYTES)),
        Value::Array(a) => Value::Array(a.iter().map(params).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), params(v))).collect()),
        other => other.clone(),
    }
}

/// The text of a Claude tool result's `content`: a string, or text blocks.
fn result_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| str_of(b, "text"))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn first_chars(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

fn ms_between(a: Timestamp, b: Timestamp) -> f64 {
    (b.0 - a.0).max(0) as f64
}

impl Translator {
    /// A translator for run `run_id`; `model` names the model when the stream does
    /// not (Codex).
    pub fn new(run_id: impl Into<String>, model: Option<String>) -> Translator {
        Translator {
            run_id: run_id.into(),
            model,
            asked_at: None,
            message: None,
            tools: HashMap::new(),
            codex_thread: None,
            codex_turn: 0,
            turn_started: None,
            items_started: HashMap::new(),
        }
    }

    fn output(&self, stream: OutputStream, text: &str) -> Option<Translated> {
        output_chunk(&self.run_id, stream, text).map(|e| Translated::Output(Box::new(e)))
    }

    /// Translates one line of the agent's standard output read at `now`. A line that
    /// is not a JSON object is plain output; a JSON line of no known kind is ignored.
    pub fn line(&mut self, line: &str, now: Timestamp) -> Vec<Translated> {
        let trimmed = line.trim_end_matches(['\n', '\r']);
        if trimmed.trim().is_empty() {
            return Vec::new();
        }
        let value: Value = match serde_json::from_str(trimmed) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return self
                    .output(OutputStream::Stdout, trimmed)
                    .into_iter()
                    .collect();
            }
        };
        let kind = str_of(&value, "type").unwrap_or("").to_string();
        let mut out = Vec::new();
        if kind != "assistant" {
            out.extend(self.flush_message());
        }
        match kind.as_str() {
            "system" => {
                if let Some(m) = str_of(&value, "model") {
                    self.model = Some(m.to_string());
                }
                self.asked_at = Some(now);
            }
            "assistant" => self.claude_assistant(&value, now, &mut out),
            "user" => {
                self.claude_user(&value, now, &mut out);
                self.asked_at = Some(now);
            }
            "result" if value.get("is_error").and_then(Value::as_bool) == Some(true) => {
                let text = str_of(&value, "result").unwrap_or("the agent reported an error");
                out.extend(self.output(OutputStream::Stderr, text));
            }
            "thread.started" => {
                self.codex_thread = str_of(&value, "thread_id").map(str::to_string);
            }
            "turn.started" => {
                self.codex_turn += 1;
                self.turn_started = Some(now);
            }
            "item.started" => {
                if let Some(id) = value.get("item").and_then(|i| str_of(i, "id")) {
                    self.items_started.insert(id.to_string(), now);
                }
            }
            "item.completed" => {
                if let Some(item) = value.get("item") {
                    self.codex_item(item, now, &mut out);
                }
            }
            "turn.completed" => out.extend(self.codex_usage(&value, now)),
            "turn.failed" => {
                let message = value
                    .get("error")
                    .and_then(|e| str_of(e, "message"))
                    .unwrap_or("turn failed")
                    .to_string();
                out.extend(self.output(OutputStream::Stderr, &message));
                out.push(Translated::Call(Box::new(
                    self.codex_call(now, Some(message)),
                )));
            }
            "error" => {
                let message = str_of(&value, "message").unwrap_or("error");
                out.extend(self.output(OutputStream::Stderr, message));
            }
            _ => {}
        }
        out
    }

    /// What is still pending when the stream ends: the last response's usage. Tool
    /// calls without a result are left out (they never finished).
    pub fn finish(&mut self) -> Vec<Translated> {
        self.flush_message().into_iter().collect()
    }

    fn flush_message(&mut self) -> Option<Translated> {
        let m = self.message.take()?;
        if m.model.as_deref() == Some("<synthetic>") {
            return None;
        }
        let mut call = ProviderCall::new("anthropic", true);
        call.latency = m.latency;
        call.timestamp = Some(m.first);
        call.model = m.model;
        call.input_tokens = Some(m.usage[0]);
        call.output_tokens = Some(m.usage[1]);
        call.cache_read_tokens = Some(m.usage[2]);
        call.cache_write_tokens = Some(m.usage[3]);
        call.run_id = Some(self.run_id.clone());
        call.tool_id = Some("claude-code".into());
        call.step_type = Some(if m.sidechain { "subagent" } else { "main" }.into());
        call.id = Some(format!("claude:{}", m.id));
        if m.latency.is_none() {
            // No request time known: the call counts in usage, not in latency.
            call.extra
                .insert("metadata".into(), json!({"latencyUnknown": true}));
        }
        Some(Translated::Call(Box::new(call)))
    }

    fn claude_assistant(&mut self, value: &Value, now: Timestamp, out: &mut Vec<Translated>) {
        let Some(message) = value.get("message") else {
            return;
        };
        let sidechain = !value.get("parent_tool_use_id").is_none_or(Value::is_null);
        if let Some(id) = str_of(message, "id") {
            if self.message.as_ref().is_some_and(|m| m.id != id) {
                out.extend(self.flush_message());
            }
            let pending = self.message.get_or_insert_with(|| PendingMessage {
                id: id.to_string(),
                model: None,
                first: now,
                latency: self.asked_at.map(|t| ms_between(t, now)),
                usage: [0; 4],
                sidechain,
            });
            if let Some(m) = str_of(message, "model") {
                pending.model = Some(m.to_string());
            }
            if let Some(u) = message.get("usage") {
                let usage = [
                    u64_of(u, "input_tokens"),
                    u64_of(u, "output_tokens"),
                    u64_of(u, "cache_read_input_tokens"),
                    u64_of(u, "cache_creation_input_tokens"),
                ];
                if usage.iter().sum::<u64>() >= pending.usage.iter().sum::<u64>() {
                    pending.usage = usage;
                }
            }
        }
        let agent = if sidechain { "subagent" } else { "claude-code" };
        for block in message
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match str_of(block, "type") {
                Some("text") => out.extend(
                    self.output(OutputStream::Assistant, str_of(block, "text").unwrap_or("")),
                ),
                Some("tool_use") => {
                    let (Some(id), Some(name)) = (str_of(block, "id"), str_of(block, "name"))
                    else {
                        continue;
                    };
                    let input = block.get("input").cloned().unwrap_or(Value::Null);
                    let skill = if name == "Skill" {
                        str_of(&input, "skill")
                            .or_else(|| str_of(&input, "command"))
                            .unwrap_or(name)
                            .to_string()
                    } else {
                        name.to_string()
                    };
                    out.extend(self.output(OutputStream::Tool, &format!("{name} {input}")));
                    self.tools.insert(
                        id.to_string(),
                        PendingTool {
                            name: skill,
                            input,
                            started: now,
                            agent: agent.to_string(),
                        },
                    );
                }
                _ => {}
            }
        }
    }

    fn claude_user(&mut self, value: &Value, now: Timestamp, out: &mut Vec<Translated>) {
        let Some(content) = value.get("message").and_then(|m| m.get("content")) else {
            return;
        };
        let blocks = match content {
            Value::String(s) => {
                out.extend(self.output(OutputStream::User, s));
                return;
            }
            Value::Array(a) => a,
            _ => return,
        };
        for block in blocks {
            match str_of(block, "type") {
                Some("text") => {
                    out.extend(self.output(OutputStream::User, str_of(block, "text").unwrap_or("")))
                }
                Some("tool_result") => {
                    let Some(id) = str_of(block, "tool_use_id") else {
                        continue;
                    };
                    let text = result_text(block.get("content"));
                    let failed = block.get("is_error").and_then(Value::as_bool) == Some(true);
                    out.extend(self.output(OutputStream::Tool, &text));
                    let Some(tool) = self.tools.remove(id) else {
                        continue;
                    };
                    let mut inv = SkillInvocation::new(tool.name);
                    inv.timestamp = Some(tool.started);
                    inv.params = Some(params(&tool.input));
                    inv.duration = Some(ms_between(tool.started, now));
                    inv.agent = Some(tool.agent);
                    inv.run_id = Some(self.run_id.clone());
                    inv.id = Some(format!("claude-tool:{id}"));
                    if failed {
                        inv.result = SkillResult::Failure;
                        inv.error = Value::String(first_chars(text.trim_end(), MAX_ERROR_CHARS));
                    }
                    out.push(Translated::Skill(Box::new(inv)));
                }
                _ => {}
            }
        }
    }

    fn codex_id(&self, what: &str) -> String {
        format!(
            "codex-exec:{}:{what}",
            self.codex_thread.as_deref().unwrap_or(&self.run_id)
        )
    }

    fn codex_item(&mut self, item: &Value, now: Timestamp, out: &mut Vec<Translated>) {
        let id = str_of(item, "id").unwrap_or("").to_string();
        let started = self.items_started.remove(&id).unwrap_or(now);
        let failed_status = str_of(item, "status") == Some("failed");
        let (skill, input, failed, output_text) = match str_of(item, "type") {
            Some("agent_message") => {
                out.extend(
                    self.output(OutputStream::Assistant, str_of(item, "text").unwrap_or("")),
                );
                return;
            }
            Some("error") => {
                out.extend(
                    self.output(OutputStream::Stderr, str_of(item, "message").unwrap_or("")),
                );
                return;
            }
            Some("command_execution") => {
                let command = str_of(item, "command").unwrap_or("").to_string();
                let output = str_of(item, "aggregated_output").unwrap_or("").to_string();
                let code = item.get("exit_code").and_then(Value::as_i64);
                out.extend(self.output(OutputStream::Tool, &format!("$ {command}\n{output}")));
                (
                    "shell".to_string(),
                    json!({ "command": command }),
                    failed_status || code.is_some_and(|c| c != 0),
                    match code {
                        Some(c) if c != 0 => format!("exit code {c}: {output}"),
                        _ => output,
                    },
                )
            }
            Some("mcp_tool_call") => {
                let name = format!(
                    "mcp__{}__{}",
                    str_of(item, "server").unwrap_or("unknown"),
                    str_of(item, "tool").unwrap_or("unknown")
                );
                let error = item
                    .get("error")
                    .filter(|e| !e.is_null())
                    .map(|e| str_of(e, "message").map_or_else(|| e.to_string(), str::to_string));
                out.extend(self.output(OutputStream::Tool, &name));
                (
                    name,
                    item.get("arguments").cloned().unwrap_or(Value::Null),
                    failed_status || error.is_some(),
                    error.unwrap_or_default(),
                )
            }
            Some("file_change") => (
                "apply_patch".to_string(),
                json!({ "changes": item.get("changes").cloned().unwrap_or(Value::Null) }),
                failed_status,
                String::new(),
            ),
            Some("web_search") => (
                "web_search".to_string(),
                json!({ "query": str_of(item, "query").unwrap_or("") }),
                failed_status,
                String::new(),
            ),
            _ => return,
        };
        let mut inv = SkillInvocation::new(skill);
        inv.timestamp = Some(started);
        inv.params = Some(params(&input));
        inv.duration = Some(ms_between(started, now));
        inv.agent = Some("codex".into());
        inv.run_id = Some(self.run_id.clone());
        inv.id = Some(self.codex_id(&format!("tool:{id}")));
        if failed {
            inv.result = SkillResult::Failure;
            let text = if output_text.is_empty() {
                "failed".to_string()
            } else {
                first_chars(output_text.trim_end(), MAX_ERROR_CHARS)
            };
            inv.error = Value::String(text);
        }
        out.push(Translated::Skill(Box::new(inv)));
    }

    fn codex_call(&self, now: Timestamp, error: Option<String>) -> ProviderCall {
        let started = self.turn_started.unwrap_or(now);
        let mut call =
            ProviderCall::new("openai", error.is_none()).with_latency(ms_between(started, now));
        call.timestamp = Some(started);
        match &self.model {
            Some(m) => call.model = Some(m.clone()),
            None => {
                call.model = Some("gpt-5".into());
                call.extra
                    .insert("metadata".into(), json!({"modelFallback": true}));
            }
        }
        call.run_id = Some(self.run_id.clone());
        call.tool_id = Some("codex".into());
        call.id = Some(self.codex_id(&format!("turn-{}", self.codex_turn)));
        if let Some(e) = error {
            call.error = Value::String(e);
        }
        call
    }

    fn codex_usage(&mut self, value: &Value, now: Timestamp) -> Option<Translated> {
        let u = value.get("usage")?;
        let input = u64_of(u, "input_tokens");
        let cached = u64_of(u, "cached_input_tokens");
        let mut call = self.codex_call(now, None);
        call.input_tokens = Some(input.saturating_sub(cached));
        call.cache_read_tokens = Some(cached);
        call.output_tokens = Some(u64_of(u, "output_tokens"));
        if let Some(r) = u.get("reasoning_output_tokens").and_then(Value::as_u64) {
            call.extra.insert("reasoningTokens".into(), Value::from(r));
        }
        self.turn_started = None;
        Some(Translated::Call(Box::new(call)))
    }
}
