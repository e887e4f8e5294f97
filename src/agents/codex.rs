//! Codex rollouts (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`): `token_count`
//! events become provider calls, `function_call`s with their outputs skill
//! invocations (SPEC §10).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::lines::{
    ABANDON_MS, ERROR_CHARS, FileRead, Str, complete_lines, first_chars, parse_time,
    truncate_strings,
};
use crate::record::{ProviderCall, SkillInvocation, SkillResult, Timestamp};

/// The tool id of imported Codex calls.
pub const TOOL_ID: &str = "codex";
/// The model assumed when a rollout names none.
pub const FALLBACK_MODEL: &str = "gpt-5";

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow, default)]
    timestamp: Option<Str<'a>>,
    #[serde(rename = "type", borrow, default)]
    kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    id: Option<Str<'a>>,
    #[serde(borrow, default)]
    model: Option<Str<'a>>,
    #[serde(default)]
    info: Option<Info>,
    #[serde(borrow, default)]
    name: Option<Str<'a>>,
    #[serde(borrow, default)]
    call_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    #[serde(borrow, default)]
    input: Option<&'a RawValue>,
    #[serde(borrow, default)]
    output: Option<&'a RawValue>,
    #[serde(borrow, default)]
    action: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    total_token_usage: Option<TokenUsage>,
    #[serde(default)]
    last_token_usage: Option<TokenUsage>,
}

#[derive(Deserialize, Serialize, Default, Clone, Copy, PartialEq, Eq, Debug)]
struct TokenUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cached_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    reasoning_output_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
}

impl TokenUsage {
    fn minus(&self, o: &TokenUsage) -> TokenUsage {
        TokenUsage {
            input_tokens: self.input_tokens.saturating_sub(o.input_tokens),
            cached_input_tokens: self
                .cached_input_tokens
                .saturating_sub(o.cached_input_tokens),
            output_tokens: self.output_tokens.saturating_sub(o.output_tokens),
            reasoning_output_tokens: self
                .reasoning_output_tokens
                .saturating_sub(o.reasoning_output_tokens),
            total_tokens: self.total_tokens.saturating_sub(o.total_tokens),
        }
    }

    fn plus(&self, o: &TokenUsage) -> TokenUsage {
        TokenUsage {
            input_tokens: self.input_tokens + o.input_tokens,
            cached_input_tokens: self.cached_input_tokens + o.cached_input_tokens,
            output_tokens: self.output_tokens + o.output_tokens,
            reasoning_output_tokens: self.reasoning_output_tokens + o.reasoning_output_tokens,
            total_tokens: self.total_tokens + o.total_tokens,
        }
    }

    /// The total, computed when the rollout leaves `total_tokens` out.
    fn grand_total(&self) -> u64 {
        if self.total_tokens > 0 {
            self.total_tokens
        } else {
            self.input_tokens + self.output_tokens
        }
    }
}

/// What reading on from an offset needs to know.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
#[serde(rename_all = "camelCase")]
struct Context {
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    totals: Option<TokenUsage>,
}

struct Pending {
    offset: u64,
    time: Timestamp,
    name: String,
    params: Option<Value>,
    context: Context,
}

fn params_of(raw: Option<&RawValue>, key: &str) -> Option<Value> {
    let raw = raw?;
    let v: Value = serde_json::from_str(raw.get()).ok()?;
    let mut v = match v {
        // Arguments are JSON text; keep them as an object when they parse.
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(o @ Value::Object(_)) => o,
            _ => json!({ key: s }),
        },
        other => other,
    };
    truncate_strings(&mut v);
    Some(v)
}

/// The text of a tool output and whether it reports failure: a non-zero exit code
/// (`metadata.exit_code` of JSON output, or an `Exit code: N` line) or
/// `success: false`.
fn outcome(raw: Option<&RawValue>) -> (bool, String) {
    let Some(v) = raw.and_then(|r| serde_json::from_str::<Value>(r.get()).ok()) else {
        return (false, String::new());
    };
    let (text, success) = match &v {
        Value::String(s) => (s.clone(), None),
        Value::Object(m) => (
            m.get("content")
                .map(super::lines::text_of)
                .unwrap_or_else(|| v.to_string()),
            m.get("success").and_then(Value::as_bool),
        ),
        other => (other.to_string(), None),
    };
    if success == Some(false) {
        return (true, text);
    }
    let inner: Option<Value> = serde_json::from_str(&text).ok();
    if let Some(inner) = &inner
        && let Some(code) = inner.pointer("/metadata/exit_code").and_then(Value::as_i64)
    {
        let out = inner
            .get("output")
            .and_then(Value::as_str)
            .unwrap_or(&text)
            .to_string();
        return (code != 0, out);
    }
    for line in text.lines().take(5) {
        let l = line.trim().to_ascii_lowercase();
        if let Some(rest) = l
            .strip_prefix("exit code:")
            .or_else(|| l.strip_prefix("process exited with code"))
            && let Ok(code) = rest.trim().parse::<i64>()
        {
            return (code != 0, text);
        }
    }
    (false, text)
}

/// Reads the complete lines of `bytes` (the file from offset `base`), with the context
/// saved by the previous read.
pub fn read(bytes: &[u8], base: u64, context: &Value) -> FileRead {
    let mut out = FileRead::default();
    let mut ctx: Context = serde_json::from_value(context.clone()).unwrap_or_default();
    let mut pending: FxHashMap<String, Pending> = FxHashMap::default();
    let mut last_time: Option<Timestamp> = None;
    let (end, unfinished) = complete_lines(bytes, base, |offset, line| {
        out.counts.lines += 1;
        let Some(entry) = out.entry::<Entry<'_>>(line, offset) else {
            return;
        };
        let time = parse_time(entry.timestamp.as_deref());
        if let Some(t) = time {
            last_time = Some(last_time.map_or(t, |l| l.max(t)));
        }
        let Some(p) = entry
            .payload
            .and_then(|r| serde_json::from_str::<Payload<'_>>(r.get()).ok())
        else {
            out.counts.other_lines += 1;
            return;
        };
        match (entry.kind.as_deref(), p.kind.as_deref()) {
            (Some("session_meta"), _) => {
                if let Some(id) = &p.id {
                    ctx.session = Some(id.to_string());
                }
            }
            (Some("turn_context"), _) => {
                if let Some(m) = p.model.as_deref().filter(|m| !m.trim().is_empty()) {
                    ctx.model = Some(m.to_string());
                }
            }
            (Some("event_msg"), Some("token_count")) => {
                let (Some(info), Some(t), Some(ts)) = (p.info, time, entry.timestamp.as_deref())
                else {
                    out.counts.other_lines += 1;
                    return;
                };
                let prev = ctx.totals.unwrap_or_default();
                let total = match (info.total_token_usage, info.last_token_usage) {
                    (Some(t), _) => t,
                    (None, Some(l)) => prev.plus(&l),
                    (None, None) => {
                        out.counts.no_usage += 1;
                        return;
                    }
                };
                if ctx.totals == Some(total) {
                    // The same event repeated (totals unchanged): counted once.
                    return;
                }
                let delta = info.last_token_usage.unwrap_or_else(|| total.minus(&prev));
                ctx.totals = Some(total);
                let mut call = ProviderCall::new("openai", true);
                call.timestamp = Some(t);
                call.model = Some(ctx.model.clone().unwrap_or_else(|| {
                    call.extra
                        .insert("metadata".into(), json!({ "modelFallback": true }));
                    FALLBACK_MODEL.to_string()
                }));
                let cached = delta.cached_input_tokens.min(delta.input_tokens);
                call.input_tokens = Some(delta.input_tokens - cached);
                call.cache_read_tokens = Some(cached);
                call.output_tokens = Some(delta.output_tokens);
                call.reasoning_tokens = Some(delta.reasoning_output_tokens);
                call.run_id.clone_from(&ctx.session);
                call.tool_id = Some(TOOL_ID.into());
                call.step_type = Some("main".into());
                call.id = Some(format!("codex:{ts}:{}", total.grand_total()));
                out.calls.push(call);
            }
            (
                Some("response_item"),
                Some(
                    kind @ ("function_call" | "custom_tool_call" | "local_shell_call"
                    | "web_search_call"),
                ),
            ) => {
                let (Some(call_id), Some(t)) = (p.call_id.as_deref(), time) else {
                    out.counts.other_lines += 1;
                    return;
                };
                let params = match kind {
                    "function_call" => params_of(p.arguments, "arguments"),
                    "custom_tool_call" => params_of(p.input, "input"),
                    _ => params_of(p.action, "action"),
                };
                let name = p
                    .name
                    .as_deref()
                    .map(str::to_string)
                    .unwrap_or_else(|| kind.trim_end_matches("_call").to_string());
                pending.insert(
                    call_id.to_string(),
                    Pending {
                        offset,
                        time: t,
                        name,
                        params,
                        context: ctx.clone(),
                    },
                );
            }
            (
                Some("response_item"),
                Some(
                    "function_call_output" | "custom_tool_call_output" | "local_shell_call_output",
                ),
            ) => {
                let Some(call_id) = p.call_id.as_deref() else {
                    out.counts.other_lines += 1;
                    return;
                };
                let Some(call) = pending.remove(call_id) else {
                    out.counts.orphan_results += 1;
                    return;
                };
                let (failed, text) = outcome(p.output);
                let mut rec = SkillInvocation::new(call.name);
                rec.timestamp = Some(call.time);
                rec.params = call.params;
                rec.duration = Some((time.unwrap_or(call.time).0 - call.time.0).max(0) as f64);
                if failed {
                    rec.result = SkillResult::Failure;
                    rec.error = Value::String(if text.trim().is_empty() {
                        "non-zero exit code".into()
                    } else {
                        first_chars(&text, ERROR_CHARS)
                    });
                }
                rec.agent = Some(TOOL_ID.into());
                rec.run_id = ctx.session.clone();
                rec.id = Some(format!("codex-tool:{call_id}"));
                out.tools.push(rec);
            }
            _ => {}
        }
    });
    out.counts.unfinished_bytes = unfinished;
    let mut offset = end;
    let mut resume = ctx;
    let mut oldest: Option<(u64, Context)> = None;
    for (_, p) in pending {
        if last_time.is_some_and(|l| l.0 - p.time.0 > ABANDON_MS) {
            out.counts.abandoned += 1;
            continue;
        }
        out.counts.waiting += 1;
        if oldest.as_ref().is_none_or(|(o, _)| p.offset < *o) {
            oldest = Some((p.offset, p.context));
        }
    }
    if let Some((o, c)) = oldest {
        offset = o;
        resume = c;
    }
    out.offset = offset;
    out.context = serde_json::to_value(resume).unwrap_or(Value::Null);
    out
}
