//! Claude Code transcripts (`~/.claude/projects/<project>/<session>.jsonl` and
//! `<session>/subagents/agent-<id>.jsonl`): API responses become provider calls, API
//! error lines failed calls, and `tool_use` blocks with their `tool_result` skill
//! invocations (SPEC §10).

use rustc_hash::FxHashMap;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::lines::{
    ABANDON_MS, ERROR_CHARS, FileRead, Str, complete_lines, first_chars, parse_time, status_in,
    text_of, truncate_strings,
};
use crate::record::{ProviderCall, SkillInvocation, SkillResult, Timestamp};

/// The tool id of imported Claude Code calls.
pub const TOOL_ID: &str = "claude-code";
/// How many parent timestamps the state keeps for a resumed read.
const KEEP_PARENTS: usize = 16;

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    uuid: Option<Str<'a>>,
    #[serde(rename = "parentUuid", borrow, default)]
    parent_uuid: Option<Str<'a>>,
    #[serde(borrow, default)]
    timestamp: Option<Str<'a>>,
    #[serde(rename = "sessionId", borrow, default)]
    session_id: Option<Str<'a>>,
    #[serde(rename = "isSidechain", default)]
    is_sidechain: Option<bool>,
    #[serde(rename = "isApiErrorMessage", default)]
    is_api_error: Option<bool>,
    #[serde(rename = "requestId", borrow, default)]
    request_id: Option<Str<'a>>,
    #[serde(rename = "costUSD", default)]
    cost_usd: Option<f64>,
    #[serde(borrow, default)]
    message: Option<Message<'a>>,
    #[serde(rename = "toolUseResult", borrow, default)]
    tool_use_result: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    id: Option<Str<'a>>,
    #[serde(borrow, default)]
    model: Option<Str<'a>>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
    #[serde(borrow, default)]
    stop_reason: Option<Str<'a>>,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct Usage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation: Option<CacheCreation>,
}

#[derive(Deserialize, Default, Clone, Copy)]
struct CacheCreation {
    #[serde(default)]
    ephemeral_1h_input_tokens: Option<u64>,
}

impl Usage {
    fn total(&self) -> u64 {
        self.input_tokens.unwrap_or(0)
            + self.output_tokens.unwrap_or(0)
            + self.cache_creation_input_tokens.unwrap_or(0)
            + self.cache_read_input_tokens.unwrap_or(0)
    }
}

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    id: Option<Str<'a>>,
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    input: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tool_use_id: Option<Str<'a>>,
    #[serde(default)]
    is_error: Option<bool>,
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
    #[serde(borrow, default)]
    text: Option<Str<'a>>,
}

/// A response being assembled from its lines.
struct Response {
    message_id: String,
    first_offset: u64,
    last_line: u64,
    time: Timestamp,
    parent: Option<String>,
    model: String,
    request_id: Option<String>,
    session: Option<String>,
    sidechain: bool,
    usage: Usage,
    total: u64,
    cost: Option<f64>,
    stopped: bool,
}

/// A tool call waiting for its result.
struct Pending {
    offset: u64,
    time: Timestamp,
    name: String,
    params: Option<Value>,
    session: Option<String>,
    sidechain: bool,
    subagent_type: Option<String>,
}

/// How to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Take a response that reaches the end of the file as complete (the turn has
    /// ended: a `Stop` hook, or a file quiet for a while).
    pub complete_at_end: bool,
    /// The file is a subagent transcript (its step type is filled in by the caller).
    pub subagent_file: bool,
}

fn step_of(sidechain: bool, opts: ReadOptions) -> Option<String> {
    if opts.subagent_file {
        None
    } else if sidechain {
        Some("subagent".into())
    } else {
        Some("main".into())
    }
}

pub(crate) fn tool_name(name: &str, input: Option<&Value>) -> String {
    if name == "Skill"
        && let Some(skill) = input.and_then(|i| {
            ["skill", "command", "name"]
                .iter()
                .find_map(|k| i.get(*k).and_then(Value::as_str))
        })
        && !skill.trim().is_empty()
    {
        return skill.trim_start_matches('/').to_string();
    }
    name.to_string()
}

/// Reads the complete lines of `bytes` (the file from offset `base`), with the context
/// saved by the previous read.
pub fn read(bytes: &[u8], base: u64, context: &Value, opts: ReadOptions) -> FileRead {
    let mut out = FileRead::default();
    let mut parents: FxHashMap<String, Timestamp> = context
        .get("parents")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), Timestamp(v.as_i64()?))))
                .collect()
        })
        .unwrap_or_default();
    let mut responses: Vec<Response> = Vec::new();
    let mut by_message: FxHashMap<String, usize> = FxHashMap::default();
    let mut pending: FxHashMap<String, Pending> = FxHashMap::default();
    let mut last_line_offset = None;
    let mut last_time: Option<Timestamp> = None;
    let tool_use_finder = memchr::memmem::Finder::new(b"\"tool_use\"");
    let tool_result_finder = memchr::memmem::Finder::new(b"\"tool_result\"");

    let (end, unfinished) = complete_lines(bytes, base, |offset, line| {
        out.counts.lines += 1;
        last_line_offset = Some(offset);
        let Some(entry) = out.entry::<Entry<'_>>(line, offset) else {
            return;
        };
        let time = parse_time(entry.timestamp.as_deref());
        if let Some(t) = time {
            last_time = Some(last_time.map_or(t, |l| l.max(t)));
            if let Some(u) = &entry.uuid {
                parents.insert(u.to_string(), t);
            }
        }
        let sidechain = entry.is_sidechain.unwrap_or(false);
        let session = entry.session_id.as_deref().map(str::to_string);
        match entry.kind.as_deref() {
            Some("assistant") => {
                let Some(msg) = &entry.message else {
                    out.counts.other_lines += 1;
                    return;
                };
                let Some(t) = time else {
                    out.counts.other_lines += 1;
                    return;
                };
                if entry.is_api_error == Some(true) {
                    let text = msg
                        .content
                        .and_then(|c| serde_json::from_str::<Value>(c.get()).ok())
                        .map(|v| text_of(&v))
                        .unwrap_or_default();
                    let Some(uuid) = &entry.uuid else {
                        out.counts.other_lines += 1;
                        return;
                    };
                    let mut call = ProviderCall::new("anthropic", false);
                    call.timestamp = Some(t);
                    call.error = Value::String(if text.is_empty() {
                        "API error".into()
                    } else {
                        first_chars(&text, ERROR_CHARS)
                    });
                    call.status_code = status_in(&text);
                    call.model = msg
                        .model
                        .as_deref()
                        .filter(|m| *m != "<synthetic>")
                        .map(str::to_string);
                    call.run_id.clone_from(&session);
                    call.tool_id = Some(TOOL_ID.into());
                    call.step_type = step_of(sidechain, opts);
                    call.request_id = entry.request_id.as_deref().map(str::to_string);
                    call.id = Some(format!("claude-err:{uuid}"));
                    out.calls.push(call);
                    return;
                }
                if tool_use_finder.find(line).is_some() {
                    for b in blocks(msg.content) {
                        if b.kind.as_deref() != Some("tool_use") {
                            continue;
                        }
                        let (Some(id), Some(name)) = (b.id, b.name) else {
                            continue;
                        };
                        let mut params = b.input.and_then(|r| serde_json::from_str(r.get()).ok());
                        let subagent_type = matches!(&*name, "Task" | "Agent")
                            .then(|| {
                                params
                                    .as_ref()
                                    .and_then(|p: &Value| p.get("subagent_type"))
                                    .and_then(Value::as_str)
                                    .map(str::to_string)
                            })
                            .flatten();
                        let name = tool_name(&name, params.as_ref());
                        if let Some(p) = &mut params {
                            truncate_strings(p);
                        }
                        pending.insert(
                            id.to_string(),
                            Pending {
                                offset,
                                time: t,
                                name,
                                params,
                                session: session.clone(),
                                sidechain,
                                subagent_type,
                            },
                        );
                    }
                }
                let Some(model) = msg.model.as_deref() else {
                    out.counts.other_lines += 1;
                    return;
                };
                if model == "<synthetic>" {
                    out.counts.synthetic += 1;
                    return;
                }
                let (Some(usage), Some(mid)) = (msg.usage, msg.id.as_deref()) else {
                    out.counts.no_usage += 1;
                    return;
                };
                let total = usage.total();
                let stopped = msg.stop_reason.is_some();
                match by_message.get(mid) {
                    Some(&i) => {
                        let r = &mut responses[i];
                        r.last_line = offset;
                        r.stopped |= stopped;
                        // Copies of a response: the main-line copy wins over a
                        // sidechain replay, then the largest usage.
                        let better = (r.sidechain && !sidechain)
                            || (r.sidechain == sidechain && total > r.total);
                        if better {
                            r.usage = usage;
                            r.total = total;
                            r.sidechain = sidechain;
                        }
                        if r.cost.is_none() {
                            r.cost = entry.cost_usd;
                        }
                    }
                    None => {
                        by_message.insert(mid.to_string(), responses.len());
                        responses.push(Response {
                            message_id: mid.to_string(),
                            first_offset: offset,
                            last_line: offset,
                            time: t,
                            parent: entry.parent_uuid.as_deref().map(str::to_string),
                            model: model.to_string(),
                            request_id: entry.request_id.as_deref().map(str::to_string),
                            session: session.clone(),
                            sidechain,
                            usage,
                            total,
                            cost: entry.cost_usd,
                            stopped,
                        });
                    }
                }
            }
            Some("user") => {
                if tool_result_finder.find(line).is_none() {
                    return;
                }
                let Some(msg) = &entry.message else { return };
                let agent_id = entry
                    .tool_use_result
                    .and_then(|r| serde_json::from_str::<Value>(r.get()).ok())
                    .and_then(|v| v.get("agentId").and_then(Value::as_str).map(str::to_string));
                for b in blocks(msg.content) {
                    if b.kind.as_deref() != Some("tool_result") {
                        continue;
                    }
                    let Some(id) = b.tool_use_id.as_deref() else {
                        continue;
                    };
                    let Some(call) = pending.remove(id) else {
                        out.counts.orphan_results += 1;
                        continue;
                    };
                    if let (Some(a), Some(ty)) = (&agent_id, &call.subagent_type) {
                        out.agent_types.push((a.clone(), ty.clone()));
                    }
                    let end_time = time.unwrap_or(call.time);
                    let mut rec = SkillInvocation::new(call.name);
                    rec.timestamp = Some(call.time);
                    rec.params = call.params;
                    rec.duration = Some((end_time.0 - call.time.0).max(0) as f64);
                    if b.is_error == Some(true) {
                        rec.result = SkillResult::Failure;
                        let text = b
                            .content
                            .and_then(|c| serde_json::from_str::<Value>(c.get()).ok())
                            .map(|v| text_of(&v))
                            .or_else(|| b.text.as_deref().map(str::to_string))
                            .unwrap_or_default();
                        rec.error = Value::String(if text.is_empty() {
                            "tool error".into()
                        } else {
                            first_chars(&text, ERROR_CHARS)
                        });
                    }
                    rec.agent = if opts.subagent_file {
                        None
                    } else if call.sidechain {
                        Some("subagent".into())
                    } else {
                        Some(TOOL_ID.into())
                    };
                    rec.run_id = call.session.or_else(|| session.clone());
                    rec.id = Some(format!("claude-tool:{id}"));
                    out.tools.push(rec);
                }
            }
            Some(_) => out.counts.other_lines += 1,
            None => out.counts.other_lines += 1,
        }
    });
    out.counts.unfinished_bytes = unfinished;

    let mut offset = end;
    for r in responses {
        let at_end = Some(r.last_line) == last_line_offset;
        if at_end && !r.stopped && !opts.complete_at_end {
            out.counts.waiting += 1;
            out.waiting_at_end = true;
            offset = offset.min(r.first_offset);
            continue;
        }
        let u = r.usage;
        let mut call = ProviderCall::new("anthropic", true);
        call.timestamp = Some(r.time);
        call.latency = r
            .parent
            .as_ref()
            .and_then(|p| parents.get(p))
            .map(|p| (r.time.0 - p.0) as f64)
            .filter(|l| *l >= 0.0);
        call.model = Some(r.model);
        call.input_tokens = Some(u.input_tokens.unwrap_or(0));
        call.output_tokens = Some(u.output_tokens.unwrap_or(0));
        call.cache_read_tokens = Some(u.cache_read_input_tokens.unwrap_or(0));
        call.cache_write_tokens = Some(u.cache_creation_input_tokens.unwrap_or(0));
        call.cache_write_1h_tokens = u.cache_creation.and_then(|c| c.ephemeral_1h_input_tokens);
        call.cost_usd = r.cost.filter(|c| c.is_finite() && *c >= 0.0);
        call.run_id = r.session;
        call.tool_id = Some(TOOL_ID.into());
        call.step_type = step_of(r.sidechain, opts);
        call.request_id = r.request_id;
        call.id = Some(format!("claude:{}", r.message_id));
        out.calls.push(call);
    }
    for (_, p) in pending {
        if last_time.is_some_and(|l| l.0 - p.time.0 > ABANDON_MS) {
            out.counts.abandoned += 1;
        } else {
            out.counts.waiting += 1;
            offset = offset.min(p.offset);
        }
    }
    out.offset = offset;
    let mut recent: Vec<(String, Timestamp)> = parents.into_iter().collect();
    recent.sort_unstable_by_key(|r| std::cmp::Reverse(r.1));
    recent.truncate(KEEP_PARENTS);
    let mut m = Map::new();
    for (k, t) in recent {
        m.insert(k, json!(t.0));
    }
    out.context = json!({ "parents": m });
    out
}

fn blocks(content: Option<&RawValue>) -> Vec<Block<'_>> {
    match content {
        Some(raw) if raw.get().trim_start().starts_with('[') => {
            serde_json::from_str(raw.get()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}
