//! `cc-dashboard import`, `cc-log hook`, `cc-health statusline`: Claude Code and Codex
//! transcripts written here from their documented line shapes, imported by the real
//! binaries into temporary roots.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::{Env, outcome};
use serde_json::{Value, json};

/// A folder of transcripts (outside the data root).
struct Transcripts {
    dir: tempfile::TempDir,
}

impl Transcripts {
    fn new() -> Transcripts {
        // Not a hidden folder (tempfile's default `.tmp...`): ccusage skips those.
        Transcripts {
            dir: tempfile::Builder::new()
                .prefix("transcripts-")
                .tempdir()
                .unwrap(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `lines` (JSON values, compact, one per line) to `rel`, dated a minute
    /// ago so that a response at the end is taken as complete.
    fn write(&self, rel: &str, lines: &[Value]) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&p, text).unwrap();
        age(&p);
        p
    }

    fn append(&self, rel: &str, lines: &[Value]) {
        use std::io::Write;
        let p = self.path(rel);
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
        drop(f);
        age(&p);
    }

    fn dir_arg(&self) -> String {
        self.dir.path().display().to_string()
    }
}

/// Sets a file's modification time a minute back (the import waits 30 s for a file's
/// last response to finish streaming).
fn age(p: &Path) {
    let f = std::fs::File::options().append(true).open(p).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(60))
        .unwrap();
}

fn usage(input: u64, output: u64, write: u64, read: u64) -> Value {
    json!({"input_tokens": input, "output_tokens": output,
           "cache_creation_input_tokens": write, "cache_read_input_tokens": read,
           "service_tier": "standard"})
}

fn usage_1h(input: u64, output: u64, write_5m: u64, write_1h: u64, read: u64) -> Value {
    let mut u = usage(input, output, write_5m + write_1h, read);
    u["cache_creation"] =
        json!({"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": write_1h});
    u
}

struct Line<'a> {
    uuid: &'a str,
    parent: Option<&'a str>,
    ts: &'a str,
    session: &'a str,
    sidechain: bool,
}

fn base(l: &Line<'_>, kind: &str) -> Value {
    json!({"parentUuid": l.parent, "isSidechain": l.sidechain, "userType": "external",
           "cwd": "/home/dev/shop", "sessionId": l.session, "version": "2.0.31",
           "gitBranch": "main", "type": kind, "uuid": l.uuid, "timestamp": l.ts})
}

fn user_prompt(l: &Line<'_>, text: &str) -> Value {
    let mut v = base(l, "user");
    v["message"] = json!({"role": "user", "content": text});
    v
}

#[allow(clippy::too_many_arguments)]
fn assistant(
    l: &Line<'_>,
    msg: &str,
    req: Option<&str>,
    model: &str,
    content: Value,
    usage: Value,
    stop: Option<&str>,
) -> Value {
    let mut v = base(l, "assistant");
    v["message"] = json!({"id": msg, "type": "message", "role": "assistant", "model": model,
                          "content": content, "stop_reason": stop, "stop_sequence": null,
                          "usage": usage});
    if let Some(r) = req {
        v["requestId"] = json!(r);
    }
    v
}

fn text(t: &str) -> Value {
    json!([{"type": "text", "text": t}])
}

fn tool_use(id: &str, name: &str, input: Value) -> Value {
    json!([{"type": "tool_use", "id": id, "name": name, "input": input}])
}

fn tool_result(l: &Line<'_>, id: &str, content: &str, is_error: bool, extra: Value) -> Value {
    let mut v = base(l, "user");
    v["message"] = json!({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": id, "content": content, "is_error": is_error}]});
    if !extra.is_null() {
        v["toolUseResult"] = extra;
    }
    v
}

fn api_error(l: &Line<'_>, text_: &str) -> Value {
    let mut v = base(l, "assistant");
    v["isApiErrorMessage"] = json!(true);
    v["message"] = json!({"id": "00000000-0000-0000-0000-000000000000", "model": "<synthetic>",
        "role": "assistant", "type": "message", "stop_reason": "stop_sequence",
        "content": [{"type": "text", "text": text_}], "usage": usage(0, 0, 0, 0)});
    v
}

fn system(l: &Line<'_>) -> Value {
    let mut v = base(l, "system");
    v["subtype"] = json!("turn_duration");
    v["durationMs"] = json!(4200);
    v
}

fn line<'a>(uuid: &'a str, parent: Option<&'a str>, ts: &'a str) -> Line<'a> {
    Line {
        uuid,
        parent,
        ts,
        session: "sess-a",
        sidechain: false,
    }
}

/// A realistic session over two days: a prompt, a three-block response, a Task call
/// that starts a subagent, an Edit that fails, a Bash call with a key in it, an API
/// overload, a synthetic message, a response with costUSD; and its subagent's
/// transcript, which replays one of the session's responses under another request id.
fn claude_session(t: &Transcripts) {
    let p = "projects/-home-dev-shop/sess-a.jsonl";
    let sonnet = "claude-sonnet-4-5-20250929";
    let opus = "claude-opus-4-6";
    t.write(
        p,
        &[
            json!({"type": "summary", "summary": "Fix checkout", "leafUuid": "u9"}),
            user_prompt(&line("u1", None, "2026-11-20T10:00:00.000Z"), "fix the checkout bug"),
            // One response written as three lines (text, text, tool_use); the last has
            // the final usage.
            assistant(&line("a1", Some("u1"), "2026-11-20T10:00:02.500Z"), "msg_01", Some("req_01"), sonnet,
                text("Looking."), usage(12, 3, 2000, 10000), None),
            assistant(&line("a2", Some("a1"), "2026-11-20T10:00:02.900Z"), "msg_01", Some("req_01"), sonnet,
                text("Reading files."), usage(12, 40, 2000, 10000), None),
            assistant(&line("a3", Some("a2"), "2026-11-20T10:00:03.100Z"), "msg_01", Some("req_01"), sonnet,
                tool_use("toolu_task", "Task", json!({"description": "explore", "prompt": "find the bug",
                                                       "subagent_type": "Explore"})),
                usage(12, 150, 2000, 10000), Some("tool_use")),
            tool_result(&line("u2", Some("a3"), "2026-11-20T10:00:30.100Z"), "toolu_task", "found it", false,
                json!({"agentId": "ab12", "status": "completed", "totalTokens": 900})),
            // A response with 1-hour cache writes and an Edit whose content holds a key.
            assistant(&line("a4", Some("u2"), "2026-11-20T10:00:33.100Z"), "msg_02", Some("req_02"), opus,
                tool_use("toolu_edit", "Edit", json!({"file_path": "/home/dev/shop/.env",
                    "old_string": "KEY=", "new_string": "STRIPE_KEY=sk_live_51Habcdefghijklmnopqrstuvwxyz0123"})),
                usage_1h(20, 30, 500, 1500, 12000), Some("tool_use")),
            tool_result(&line("u3", Some("a4"), "2026-11-20T10:00:33.600Z"), "toolu_edit",
                "<tool_use_error>File has not been read yet. Read it first before writing to it.</tool_use_error>",
                true, Value::Null),
            assistant(&line("a5", Some("u3"), "2026-11-20T10:00:35.000Z"), "msg_03", Some("req_03"), opus,
                tool_use("toolu_bash", "Bash", json!({"command":
                    "curl -H 'Authorization: Bearer sk-ant-api03-Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7' https://api.example.com"})),
                usage(5, 60, 0, 14000), Some("tool_use")),
            tool_result(&line("u4", Some("a5"), "2026-11-20T10:00:37.250Z"), "toolu_bash", "ok", false, Value::Null),
            api_error(&line("e1", Some("u4"), "2026-11-20T10:00:40.000Z"),
                "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"),
            assistant(&line("a6", Some("e1"), "2026-11-20T10:00:41.000Z"), "msg_syn", None, "<synthetic>",
                text("No response requested."), usage(0, 0, 0, 0), Some("stop_sequence")),
            // The next day (UTC), with the cost written by the agent.
            user_prompt(&line("u5", Some("a6"), "2026-11-21T09:00:00.000Z"), "and the tests"),
            {
                let mut v = assistant(&line("a7", Some("u5"), "2026-11-21T09:00:04.000Z"), "msg_04", Some("req_04"),
                    "claude-haiku-4-5-20251001", text("Done."), usage(100, 200, 0, 0), Some("end_turn"));
                v["costUSD"] = json!(0.25);
                v
            },
            system(&line("s1", Some("a7"), "2026-11-21T09:00:04.100Z")),
        ],
    );
    let side = |uuid, parent, ts| Line {
        uuid,
        parent,
        ts,
        session: "sess-a",
        sidechain: true,
    };
    t.write(
        "projects/-home-dev-shop/sess-a/subagents/agent-ab12.jsonl",
        &[
            user_prompt(
                &side("b1", None, "2026-11-20T10:00:04.000Z"),
                "find the bug",
            ),
            assistant(
                &side("b2", Some("b1"), "2026-11-20T10:00:06.000Z"),
                "msg_sub1",
                Some("req_s1"),
                "claude-haiku-4-5-20251001",
                tool_use("toolu_grep", "Grep", json!({"pattern": "checkout"})),
                usage(300, 20, 0, 0),
                Some("tool_use"),
            ),
            tool_result(
                &side("b3", Some("b2"), "2026-11-20T10:00:06.400Z"),
                "toolu_grep",
                "src/checkout.rs",
                false,
                Value::Null,
            ),
            // A replay of the session's msg_01 under another request id: counted once.
            assistant(
                &side("b4", Some("b3"), "2026-11-20T10:00:07.000Z"),
                "msg_01",
                Some("req_other"),
                sonnet,
                text("Looking."),
                usage(12, 150, 2000, 10000),
                Some("end_turn"),
            ),
            assistant(
                &side("b5", Some("b4"), "2026-11-20T10:00:09.000Z"),
                "msg_sub2",
                Some("req_s2"),
                "claude-haiku-4-5-20251001",
                text("It is in checkout.rs"),
                usage(400, 80, 0, 300),
                Some("end_turn"),
            ),
        ],
    );
    // A resumed session copies an earlier response into its own file.
    t.write(
        "projects/-home-dev-shop/sess-b.jsonl",
        &[
            assistant(
                &Line {
                    session: "sess-b",
                    ..line("c1", None, "2026-11-20T10:00:35.000Z")
                },
                "msg_03",
                Some("req_03"),
                opus,
                text("(copied)"),
                usage(5, 60, 0, 14000),
                Some("tool_use"),
            ),
            system(&Line {
                session: "sess-b",
                ..line("c2", Some("c1"), "2026-11-20T10:05:00.000Z")
            }),
        ],
    );
}

fn import(env: &Env, args: &[&str]) -> (String, String, i32) {
    let mut full = vec!["import"];
    full.extend_from_slice(args);
    env.run_bin("cc-dashboard", &full)
}

fn import_json(env: &Env, args: &[&str]) -> Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let (out, err, code) = import(env, &full);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn by_id(records: &[Value]) -> std::collections::BTreeMap<String, Value> {
    records
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
        .collect()
}

#[test]
fn claude_sessions_become_calls_errors_and_tool_calls() {
    let env = Env::new();
    let t = Transcripts::new();
    claude_session(&t);
    let s = import_json(&env, &["claude", "--dir", &t.dir_arg()]);
    assert_eq!(s["files"], 3);
    assert_eq!(s["filesRead"], 3);
    // msg_01, msg_02, msg_03, msg_04, msg_sub1, msg_sub2 and the API error.
    assert_eq!(s["calls"], 7, "{s}");
    assert_eq!(s["errors"], 1);
    assert_eq!(s["toolCalls"], 4);
    assert_eq!(s["synthetic"], 1);
    assert_eq!(s["alreadyHeld"], 2, "the replay and the resumed copy");
    assert_eq!(s["badLines"], 0);

    let calls = by_id(&env.records("analytics/provider-health-"));
    assert_eq!(calls.len(), 7);
    let m1 = &calls["claude:msg_01"];
    assert_eq!(m1["timestamp"], "2026-11-20T10:00:02.500Z");
    assert_eq!(m1["latency"], 2500.0, "response time minus its parent's");
    assert_eq!(m1["outputTokens"], 150, "the line with the largest usage");
    assert_eq!(m1["inputTokens"], 12);
    assert_eq!(m1["cacheWriteTokens"], 2000);
    assert_eq!(m1["cacheReadTokens"], 10000);
    assert_eq!(m1["requestId"], "req_01");
    assert_eq!(m1["runId"], "sess-a");
    assert_eq!(m1["stepType"], "main");
    assert_eq!(m1["toolId"], "claude-code");
    assert_eq!(m1["provider"], "anthropic");
    assert_eq!(calls["claude:msg_02"]["cacheWrite1hTokens"], 1500);
    assert_eq!(calls["claude:msg_04"]["costUsd"], 0.25);
    assert_eq!(
        calls["claude:msg_04"]["timestamp"],
        "2026-11-21T09:00:04.000Z"
    );
    // The subagent's own responses carry its type, linked through the Task call.
    assert_eq!(calls["claude:msg_sub1"]["stepType"], "Explore");
    assert_eq!(calls["claude:msg_sub2"]["stepType"], "Explore");
    let err = &calls["claude-err:e1"];
    assert_eq!(err["success"], false);
    assert_eq!(err["statusCode"], 529);
    assert!(err["error"].as_str().unwrap().contains("overloaded_error"));
    assert!(
        err.get("model").is_none(),
        "the synthetic model is not a model"
    );

    let tools = by_id(&env.records("logs/skill-invocations-"));
    assert_eq!(tools.len(), 4);
    let task = &tools["claude-tool:toolu_task"];
    assert_eq!(task["skill"], "Task");
    assert_eq!(task["duration"], 27000.0);
    assert_eq!(task["timestamp"], "2026-11-20T10:00:03.100Z");
    assert_eq!(task["agent"], "claude-code");
    assert_eq!(task["runId"], "sess-a");
    let edit = &tools["claude-tool:toolu_edit"];
    assert_eq!(edit["result"], "failure");
    assert!(
        edit["error"]
            .as_str()
            .unwrap()
            .starts_with("<tool_use_error>File has not been read")
    );
    assert_eq!(tools["claude-tool:toolu_grep"]["agent"], "Explore");
    assert_eq!(tools["claude-tool:toolu_bash"]["duration"], 2250.0);

    // Secrets in tool inputs never reach disk.
    let all: String = env
        .files()
        .iter()
        .filter(|f| f.ends_with(".jsonl"))
        .map(|f| env.read(f))
        .collect();
    assert!(!all.contains("sk_live_51H"), "Stripe key on disk");
    assert!(!all.contains("sk-ant-api03"), "Anthropic key on disk");
    assert!(all.contains("STRIPE_KEY=[REDACTED]") || all.contains("[REDACTED]"));
    assert!(
        all.contains("https://api.example.com"),
        "ordinary data kept"
    );
    // Every imported record is valid for the schemas.
    assert_eq!(common::validate_root(env.root()), vec![4, 0, 0, 7, 0]);
}

#[test]
fn imported_usage_flows_into_health_and_log_reports() {
    let env = Env::new();
    let t = Transcripts::new();
    claude_session(&t);
    import_json(&env, &["claude", "--dir", &t.dir_arg()]);
    let (out, err, code) = env.run_bin("cc-health", &["usage", "--by", "day", "--json", "--utc"]);
    assert_eq!(code, 0, "{err}");
    let rows: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows[0]["key"], "2026-11-20");
    assert_eq!(rows[0]["calls"], 6);
    assert_eq!(rows[0]["inputTokens"], 12 + 20 + 5 + 300 + 400);
    assert_eq!(rows[0]["outputTokens"], 150 + 30 + 60 + 20 + 80);
    assert_eq!(rows[0]["cacheWriteTokens"], 2000 + 2000);
    assert_eq!(rows[0]["cacheReadTokens"], 10000 + 12000 + 14000 + 300);
    // Sonnet 4.5, Opus 4.6 (1-hour writes at $10/M) and Haiku 4.5.
    let expected = (12.0 * 3.0 + 150.0 * 15.0 + 2000.0 * 3.75 + 10000.0 * 0.3)
        + (20.0 * 5.0 + 30.0 * 25.0 + 500.0 * 6.25 + 1500.0 * 10.0 + 12000.0 * 0.5)
        + (5.0 * 5.0 + 60.0 * 25.0 + 14000.0 * 0.5)
        + (700.0 * 1.0 + 100.0 * 5.0 + 300.0 * 0.1);
    let cost = rows[0]["costUsd"].as_f64().unwrap();
    assert!(
        (cost - expected / 1e6).abs() < 1e-6,
        "{cost} vs {}",
        expected / 1e6
    );
    assert_eq!(rows[1]["key"], "2026-11-21");
    assert_eq!(rows[1]["costUsd"], 0.25);

    let (out, _, _) = env.run_bin("cc-health", &["usage", "--by", "run", "--json"]);
    let rows: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["key"], "sess-a");
    assert_eq!(rows[0]["calls"], 7);

    let (out, _, code) = env.run_bin("cc-health", &["errors", "--json"]);
    assert_eq!(code, 0);
    let errors: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(errors.as_array().unwrap().len(), 1);
    assert_eq!(errors[0]["statusCode"], 529);

    let (out, _, code) = env.run(&["stats", "--by", "skill", "--json"]);
    assert_eq!(code, 0);
    let stats: Value = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = stats
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), 4);
    for k in ["Task", "Edit", "Bash", "Grep"] {
        assert!(keys.contains(&k), "{keys:?}");
    }
    let edit = stats
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "Edit")
        .unwrap();
    assert_eq!(edit["failures"], 1);

    // The dashboard and its HTML see the imported usage.
    let (out, err, code) = env.run_bin("cc-dashboard", &["json"]);
    assert_eq!(code, 0, "{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["counters"]["invocations"], 4);
    let (_, err, code) = env.run_bin("cc-dashboard", &["html", "-o", "report.html"]);
    assert_eq!(code, 0, "{err}");
    let html = env.read("report.html");
    assert!(
        html.contains("claude-opus-4-6"),
        "cost by model names the model"
    );
}

#[test]
fn a_second_run_reads_nothing_and_appended_lines_are_picked_up() {
    let env = Env::new();
    let t = Transcripts::new();
    claude_session(&t);
    let dir = t.dir_arg();
    import_json(&env, &["claude", "--dir", &dir]);
    let before = env.records("analytics/provider-health-").len();
    let s = import_json(&env, &["claude", "--dir", &dir]);
    assert_eq!(
        (s["filesRead"].as_u64(), s["bytes"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        (s["calls"].as_u64(), s["toolCalls"].as_u64()),
        (Some(0), Some(0))
    );
    let (out, _, _) = import(&env, &["claude", "--dir", &dir]);
    assert_eq!(
        out,
        "read 0 of 3 transcript files (0 B; 3 unchanged)\nwrote 0 provider calls (0 API errors) and 0 tool calls; 0 already held\n"
    );

    // Appended lines: only they are read.
    let size = std::fs::metadata(t.path("projects/-home-dev-shop/sess-a.jsonl"))
        .unwrap()
        .len();
    let new = [
        user_prompt(
            &line("u6", Some("s1"), "2026-11-21T09:10:00.000Z"),
            "thanks",
        ),
        assistant(
            &line("a8", Some("u6"), "2026-11-21T09:10:01.000Z"),
            "msg_05",
            Some("req_05"),
            "claude-haiku-4-5-20251001",
            text("You're welcome."),
            usage(10, 5, 0, 0),
            Some("end_turn"),
        ),
        system(&line("s2", Some("a8"), "2026-11-21T09:10:01.100Z")),
    ];
    t.append("projects/-home-dev-shop/sess-a.jsonl", &new);
    let grown = std::fs::metadata(t.path("projects/-home-dev-shop/sess-a.jsonl"))
        .unwrap()
        .len();
    let s = import_json(&env, &["claude", "--dir", &dir]);
    assert_eq!(s["filesRead"], 1);
    assert_eq!(s["bytes"].as_u64(), Some(grown - size));
    assert_eq!(s["calls"], 1);
    assert_eq!(env.records("analytics/provider-health-").len(), before + 1);

    // --full and a lost state file re-read everything and write nothing again.
    let s = import_json(&env, &["claude", "--dir", &dir, "--full"]);
    assert_eq!(
        (
            s["filesRead"].as_u64(),
            s["calls"].as_u64(),
            s["toolCalls"].as_u64()
        ),
        (Some(3), Some(0), Some(0))
    );
    std::fs::remove_file(env.path("analytics/import-state.json")).unwrap();
    let s = import_json(&env, &["claude", "--dir", &dir]);
    assert_eq!(
        (s["calls"].as_u64(), s["toolCalls"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(
        s["alreadyHeld"],
        8 + 2 + 4,
        "8 calls, 2 copies, 4 tool calls"
    );
    assert_eq!(env.records("analytics/provider-health-").len(), before + 1);
    assert_eq!(env.records("logs/skill-invocations-").len(), 4);

    // A replaced file (another inode, shorter) is read from its start.
    let p = "projects/-home-dev-shop/sess-b.jsonl";
    std::fs::remove_file(t.path(p)).unwrap();
    t.write(
        p,
        &[assistant(
            &Line {
                session: "sess-b",
                ..line("d1", None, "2026-11-22T08:00:00.000Z")
            },
            "msg_b1",
            Some("req_b1"),
            "claude-sonnet-4-5-20250929",
            text("new"),
            usage(1, 2, 0, 0),
            Some("end_turn"),
        )],
    );
    let s = import_json(&env, &["claude", "--dir", &dir]);
    assert_eq!(
        (s["filesRead"].as_u64(), s["calls"].as_u64()),
        (Some(1), Some(1))
    );
    let state: Value = serde_json::from_str(&env.read("analytics/import-state.json")).unwrap();
    assert_eq!(state["files"].as_object().unwrap().len(), 3);
}

#[test]
fn incomplete_items_wait_for_a_later_import() {
    let env = Env::new();
    let t = Transcripts::new();
    let p = "projects/p/s.jsonl";
    let model = "claude-sonnet-4-5-20250929";
    // A response still streaming (its lines reach the end of a file written just now)
    // and a tool call without its result.
    t.write(
        p,
        &[
            user_prompt(&line("u1", None, "2026-11-20T10:00:00.000Z"), "go"),
            assistant(
                &line("a1", Some("u1"), "2026-11-20T10:00:01.000Z"),
                "msg_1",
                Some("r1"),
                model,
                tool_use("toolu_1", "Read", json!({"file_path": "/a"})),
                usage(10, 20, 0, 0),
                Some("tool_use"),
            ),
            assistant(
                &line("a2", Some("a1"), "2026-11-20T10:00:03.000Z"),
                "msg_2",
                Some("r2"),
                model,
                text("Part"),
                usage(10, 5, 0, 0),
                None,
            ),
        ],
    );
    let f = std::fs::File::options()
        .append(true)
        .open(t.path(p))
        .unwrap();
    f.set_modified(SystemTime::now()).unwrap();
    drop(f);
    let s = import_json(&env, &["claude", "--dir", &t.dir_arg()]);
    assert_eq!(s["calls"], 1, "msg_1 only: msg_2 may still be streaming");
    assert_eq!(s["toolCalls"], 0);
    assert_eq!(s["waiting"], 2);
    // The rest arrives.
    t.append(
        p,
        &[
            assistant(
                &line("a3", Some("a2"), "2026-11-20T10:00:03.000Z"),
                "msg_2",
                Some("r2"),
                model,
                text("Part two"),
                usage(10, 90, 0, 0),
                None,
            ),
            tool_result(
                &line("u2", Some("a1"), "2026-11-20T10:00:01.750Z"),
                "toolu_1",
                "contents",
                false,
                Value::Null,
            ),
            system(&line("s1", Some("a3"), "2026-11-20T10:00:04.000Z")),
        ],
    );
    let s = import_json(&env, &["claude", "--dir", &t.dir_arg()]);
    assert_eq!(
        (
            s["calls"].as_u64(),
            s["toolCalls"].as_u64(),
            s["waiting"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    let calls = by_id(&env.records("analytics/provider-health-"));
    assert_eq!(
        calls["claude:msg_2"]["outputTokens"], 90,
        "the final usage, not the partial one"
    );
    let tools = env.records("logs/skill-invocations-");
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0]["duration"], 750.0);
    assert_eq!(env.records("analytics/provider-health-").len(), 2);
}

#[test]
fn bad_lines_are_skipped_counted_and_never_abort() {
    let env = Env::new();
    let t = Transcripts::new();
    let p = t.path("projects/p/bad.jsonl");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let model = "claude-sonnet-4-5-20250929";
    let good = assistant(
        &line("a1", Some("u1"), "2026-11-20T10:00:01.000Z"),
        "msg_1",
        Some("r1"),
        model,
        text("hi"),
        usage(1, 2, 3, 4),
        Some("end_turn"),
    );
    let no_usage = {
        let mut v = assistant(
            &line("a2", Some("a1"), "2026-11-20T10:00:02.000Z"),
            "msg_2",
            Some("r2"),
            model,
            text("x"),
            Value::Null,
            Some("end_turn"),
        );
        v["message"].as_object_mut().unwrap().remove("usage");
        v
    };
    let orphan = tool_result(
        &line("u3", Some("a2"), "2026-11-20T10:00:03.000Z"),
        "toolu_gone",
        "x",
        false,
        Value::Null,
    );
    let huge = format!(
        "{{\"type\":\"user\",\"uuid\":\"h1\",\"timestamp\":\"2026-11-20T10:00:04.000Z\",\"message\":{{\"role\":\"user\",\"content\":\"{}\"}}}}",
        "x".repeat(50 << 20)
    );
    let mut bytes = Vec::new();
    for l in [
        "not json at all".to_string(),
        "[1,2,3]".to_string(),
        "{\"type\":\"assistant\",\"message\":{\"usage\":\"lots\"}}".to_string(),
        json!({"type": "file-history-snapshot", "messageId": "m", "snapshot": {}}).to_string(),
        good.to_string(),
        no_usage.to_string(),
        orphan.to_string(),
        huge,
    ] {
        bytes.extend_from_slice(l.as_bytes());
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
    bytes.extend_from_slice(b"{\"type\":\"assistant\",\"uuid\":\"torn");
    std::fs::write(&p, &bytes).unwrap();
    age(&p);
    let (out, err, code) = import(&env, &["--json", "claude", "--dir", &t.dir_arg()]);
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["calls"], 1);
    assert_eq!(
        s["badLines"], 4,
        "not JSON, an array, a wrong type, invalid UTF-8"
    );
    assert_eq!(s["noUsage"], 1);
    assert_eq!(s["orphanResults"], 1);
    assert_eq!(s["unfinishedBytes"], 32);
    assert_eq!(s["lines"], 9);
    assert!(
        err.starts_with("warning: skipped 4 malformed transcript lines ("),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    let (_, _, code) = import(
        &env,
        &["--strict", "claude", "--dir", &t.dir_arg(), "--full"],
    );
    assert_eq!(code, 1, "--strict turns skipped lines into exit 1");
    // Bad usage: a --dir that is not a folder.
    let (_, err, code) = import(&env, &["claude", "--dir", "/nonexistent/x"]);
    assert_eq!(code, 2);
    assert!(err.contains("--dir"), "{err}");
    assert_eq!(env.records("analytics/provider-health-").len(), 1);
}

fn codex_token(ts: &str, total: [u64; 4], last: Option<[u64; 4]>) -> Value {
    let u = |a: [u64; 4]| {
        json!({"input_tokens": a[0], "cached_input_tokens": a[1],
        "output_tokens": a[2], "reasoning_output_tokens": a[3], "total_tokens": a[0] + a[2]})
    };
    json!({"timestamp": ts, "type": "event_msg", "payload": {"type": "token_count",
        "info": {"total_token_usage": u(total), "last_token_usage": last.map(u),
                 "model_context_window": 272000},
        "rate_limits": {"primary": {"used_percent": 12.0, "window_minutes": 300}}}})
}

fn codex_rollout() -> Vec<Value> {
    vec![
        json!({"timestamp": "2026-11-20T10:00:00.000Z", "type": "session_meta", "payload": {
            "id": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "timestamp": "2026-11-20T10:00:00.000Z",
            "cwd": "/home/dev/shop", "originator": "codex_cli_rs", "cli_version": "0.58.0"}}),
        json!({"timestamp": "2026-11-20T10:00:00.100Z", "type": "turn_context", "payload": {
            "cwd": "/home/dev/shop", "approval_policy": "on-request", "model": "gpt-5-codex",
            "effort": "medium", "summary": "auto"}}),
        json!({"timestamp": "2026-11-20T10:00:00.200Z", "type": "response_item", "payload": {
            "type": "message", "role": "user", "content": [{"type": "input_text", "text": "run the tests"}]}}),
        json!({"timestamp": "2026-11-20T10:00:01.000Z", "type": "event_msg", "payload": {
            "type": "token_count", "info": null, "rate_limits": null}}),
        codex_token(
            "2026-11-20T10:00:02.000Z",
            [5000, 1000, 300, 100],
            Some([5000, 1000, 300, 100]),
        ),
        json!({"timestamp": "2026-11-20T10:00:02.100Z", "type": "response_item", "payload": {
            "type": "function_call", "name": "shell",
            "arguments": "{\"command\":[\"bash\",\"-lc\",\"cargo test\"],\"workdir\":\"/home/dev/shop\"}",
            "call_id": "call_ok"}}),
        json!({"timestamp": "2026-11-20T10:00:05.100Z", "type": "response_item", "payload": {
            "type": "function_call_output", "call_id": "call_ok",
            "output": "{\"output\":\"test result: ok\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":3.0}}"}}),
        // The same event again (totals unchanged): once.
        codex_token(
            "2026-11-20T10:00:05.200Z",
            [5000, 1000, 300, 100],
            Some([5000, 1000, 300, 100]),
        ),
        json!({"timestamp": "2026-11-20T10:00:06.000Z", "type": "response_item", "payload": {
            "type": "custom_tool_call", "status": "completed", "call_id": "call_patch", "name": "apply_patch",
            "input": "*** Begin Patch\n*** Update File: src/lib.rs\n@@\n-a\n+b\n*** End Patch"}}),
        json!({"timestamp": "2026-11-20T10:00:06.500Z", "type": "response_item", "payload": {
            "type": "custom_tool_call_output", "call_id": "call_patch",
            "output": "{\"output\":\"patch rejected\",\"metadata\":{\"exit_code\":1,\"duration_seconds\":0.5}}"}}),
        // No last_token_usage: the difference of the totals.
        codex_token("2026-11-20T10:00:08.000Z", [12000, 6000, 700, 150], None),
        json!({"timestamp": "2026-11-21T08:00:00.000Z", "type": "turn_context", "payload": {"model": "gpt-5.1-codex-mini"}}),
        codex_token(
            "2026-11-21T08:00:01.000Z",
            [14000, 6500, 800, 160],
            Some([2000, 500, 100, 10]),
        ),
    ]
}

#[test]
fn codex_rollouts_become_calls_and_tool_calls() {
    let env = Env::new();
    let t = Transcripts::new();
    let lines = codex_rollout();
    t.write(
        "sessions/2026/11/20/rollout-2026-11-20T10-00-00-0199a1b2.jsonl",
        &lines,
    );
    // The same rollout archived: counted once.
    t.write(
        "archived_sessions/rollout-2026-11-20T10-00-00-0199a1b2.jsonl",
        &lines,
    );
    // A rollout without a turn_context: the fallback model, marked.
    t.write("sessions/2026/11/22/rollout-2026-11-22T10-00-00-x.jsonl", &[
        json!({"timestamp": "2026-11-22T10:00:00.000Z", "type": "session_meta", "payload": {"id": "x"}}),
        codex_token("2026-11-22T10:00:01.000Z", [100, 0, 10, 0], Some([100, 0, 10, 0])),
    ]);
    let (out, err, code) = env
        .cmd("cc-dashboard")
        .env("CODEX_HOME", t.dir.path())
        .env("HOME", t.dir.path())
        .args(["--json", "import", "codex"])
        .output()
        .map(|o| {
            (
                String::from_utf8_lossy(&o.stdout).into_owned(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
                o.status.code().unwrap(),
            )
        })
        .unwrap();
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["files"], 3);
    assert_eq!(s["calls"], 4, "{s}");
    assert_eq!(s["toolCalls"], 2);
    let calls = by_id(&env.records("analytics/provider-health-"));
    let first = &calls["codex:2026-11-20T10:00:02.000Z:5300"];
    assert_eq!(first["provider"], "openai");
    assert_eq!(first["model"], "gpt-5-codex");
    assert_eq!(first["inputTokens"], 4000);
    assert_eq!(first["cacheReadTokens"], 1000);
    assert_eq!(first["outputTokens"], 300);
    assert_eq!(first["reasoningTokens"], 100);
    assert_eq!(first["runId"], "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    assert_eq!(first["toolId"], "codex");
    let diff = &calls["codex:2026-11-20T10:00:08.000Z:12700"];
    assert_eq!(
        (
            diff["inputTokens"].as_u64(),
            diff["cacheReadTokens"].as_u64(),
            diff["outputTokens"].as_u64()
        ),
        (Some(2000), Some(5000), Some(400))
    );
    assert_eq!(
        calls["codex:2026-11-21T08:00:01.000Z:14800"]["model"],
        "gpt-5.1-codex-mini"
    );
    let fallback = &calls["codex:2026-11-22T10:00:01.000Z:110"];
    assert_eq!(fallback["model"], "gpt-5");
    assert_eq!(fallback["metadata"]["modelFallback"], true);
    let tools = by_id(&env.records("logs/skill-invocations-"));
    let ok = &tools["codex-tool:call_ok"];
    assert_eq!(ok["skill"], "shell");
    assert_eq!(ok["result"], "success");
    assert_eq!(ok["duration"], 3000.0);
    assert_eq!(ok["params"]["command"][2], "cargo test");
    assert_eq!(ok["agent"], "codex");
    let patch = &tools["codex-tool:call_patch"];
    assert_eq!(patch["result"], "failure");
    assert_eq!(patch["error"], "patch rejected");
    assert_eq!(common::validate_root(env.root()), vec![2, 0, 0, 4, 0]);
}

#[test]
fn default_claude_folders_and_config_dir() {
    let env = Env::new();
    let t = Transcripts::new();
    claude_session(&t);
    // CLAUDE_CONFIG_DIR names config folders (comma-separated); their projects/ is read.
    let other = tempfile::tempdir().unwrap();
    let (out, err, code) = outcome(
        env.cmd("cc-dashboard")
            .env(
                "CLAUDE_CONFIG_DIR",
                format!("{},{}", t.dir_arg(), other.path().display()),
            )
            .env("HOME", other.path())
            .args(["--json", "import", "claude"]),
    );
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (s["files"].as_u64(), s["calls"].as_u64()),
        (Some(3), Some(7))
    );
    // Without it: ~/.claude/projects.
    let env2 = Env::new();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".claude")).unwrap();
    std::fs::rename(t.path("projects"), home.path().join(".claude/projects")).unwrap();
    let (out, err, code) = outcome(
        env2.cmd("cc-dashboard")
            .env_remove("CLAUDE_CONFIG_DIR")
            .env("HOME", home.path())
            .args(["--json", "import", "all"]),
    );
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (s["files"].as_u64(), s["calls"].as_u64()),
        (Some(3), Some(7))
    );
    // --dry-run writes nothing.
    let env3 = Env::new();
    let (out, _, code) = outcome(env3.cmd("cc-dashboard").env("HOME", home.path()).args([
        "import",
        "claude",
        "--dry-run",
    ]));
    assert_eq!(code, 0);
    assert!(
        out.contains("would write 7 provider calls (1 API error) and 4 tool calls"),
        "{out}"
    );
    assert!(env3.files().is_empty(), "{:?}", env3.files());
}

fn hook(env: &Env, root: &Path, payload: &str) -> (String, String, i32) {
    outcome(
        env.cmd("cc-log")
            .args(["--root", &root.display().to_string(), "hook"])
            .write_stdin(payload),
    )
}

#[test]
fn hooks_never_fail_and_print_nothing() {
    let env = Env::new();
    for (payload, stderr_words) in [
        ("garbage", Some("not a hook payload")),
        ("", Some("empty")),
        ("[1]", Some("not a hook payload")),
        (
            "{\"hook_event_name\":\"Notification\",\"session_id\":\"s\"}",
            None,
        ),
        ("{\"session_id\":\"s\"}", Some("hook_event_name")),
        (
            "{\"hook_event_name\":\"PostToolUse\",\"tool_name\":1}",
            Some("not a hook payload"),
        ),
    ] {
        let (out, err, code) = hook(&env, env.root(), payload);
        assert_eq!((out.as_str(), code), ("", 0), "{payload}");
        match stderr_words {
            Some(w) => {
                assert!(err.contains(w), "{payload}: {err}");
                assert_eq!(err.lines().count(), 1, "{err}");
            }
            None => assert_eq!(err, "", "{payload}"),
        }
    }
    assert!(env.files().is_empty(), "{:?}", env.files());
    // A root that cannot be written (below a file): one line on stderr, exit 0.
    env.write("not-a-folder", "x");
    let bad = env.path("not-a-folder/root");
    let (out, err, code) = hook(
        &env,
        &bad,
        r#"{"hook_event_name":"PostToolUse","session_id":"s","tool_name":"Bash","tool_use_id":"t1","tool_input":{}}"#,
    );
    assert_eq!((out.as_str(), code), ("", 0));
    assert!(err.starts_with("cc-log hook: "), "{err}");
    assert_eq!(err.lines().count(), 1);
}

/// Runs the command a settings file installed for `event`, as Claude Code does (a
/// shell in the project folder, the payload on standard input).
fn run_installed(settings: &Value, event: &str, cwd: &Path, payload: &Value) {
    let groups = settings["hooks"][event].as_array().unwrap();
    let cmd = groups
        .iter()
        .flat_map(|g| g["hooks"].as_array().unwrap())
        .map(|h| h["command"].as_str().unwrap())
        .find(|c| c.ends_with(" hook"))
        .unwrap_or_else(|| panic!("no ccmon hook for {event}"));
    let out = std::process::Command::new("sh")
        .args(["-c", cmd])
        .current_dir(cwd)
        .env_remove("CC_ROOT")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(payload.to_string().as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{event}");
    assert!(
        out.stdout.is_empty(),
        "{event}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stderr.is_empty(),
        "{event}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn installed_hooks_capture_a_session_live_and_import_agrees() {
    let env = Env::new();
    let project = tempfile::tempdir().unwrap();
    let claude_dir = project.path().join(".claude");
    std::fs::create_dir_all(&claude_dir).unwrap();
    let original = r#"{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "opus",
  "permissions": {"allow": ["Bash(cargo test:*)", "Read(~/.zshrc)"], "deny": ["Read(./.env)"]},
  "env": {"CLAUDE_CODE_ENABLE_TELEMETRY": "0"},
  "hooks": {
    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "$CLAUDE_PROJECT_DIR/.claude/hooks/guard.sh", "timeout": 5}]}],
    "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]
  },
  "statusLine": {"type": "command", "command": "~/.claude/statusline.sh"}
}
"#;
    // The settings file is a symlink into a dotfiles folder.
    let dotfiles = tempfile::tempdir().unwrap();
    let target = dotfiles.path().join("claude-settings.json");
    std::fs::write(&target, original).unwrap();
    let link = claude_dir.join("settings.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    let root = env.root().display().to_string();
    let install = |args: &[&str]| {
        outcome(
            env.cmd("cc-log")
                .current_dir(project.path())
                .args(["--root", &root, "hook"])
                .args(args),
        )
    };
    let (out, err, code) = install(&["install", "--scope", "project"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("previous file kept as"), "{out}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "link kept"
    );
    let mut bak = target.as_os_str().to_owned();
    bak.push(".bak");
    assert_eq!(std::fs::read_to_string(&bak).unwrap(), original);
    let installed_text = std::fs::read_to_string(&target).unwrap();
    let settings: Value = serde_json::from_str(&installed_text).unwrap();
    let before: Value = serde_json::from_str(original).unwrap();
    for key in ["$schema", "model", "permissions", "env", "statusLine"] {
        assert_eq!(settings[key], before[key], "{key}");
    }
    assert_eq!(
        settings["hooks"]["PreToolUse"][0],
        before["hooks"]["PreToolUse"][0]
    );
    assert_eq!(settings["hooks"]["Stop"][0], before["hooks"]["Stop"][0]);
    let cmd = settings["hooks"]["SessionStart"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_cc-log")).unwrap();
    assert_eq!(cmd, format!("{} --root {} hook", exe.display(), root));
    // Twice: nothing changes.
    let (out, _, code) = install(&["install", "--scope", "project"]);
    assert_eq!(code, 0);
    assert!(out.contains("already has ccmon's hooks"), "{out}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), installed_text);

    // A session, through the installed commands, in the project folder.
    let t = Transcripts::new();
    let transcript = t.path("projects/p/sess-h.jsonl");
    let key = "sk-ant-api03-Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE9dC8bA7";
    let cmd_input =
        json!({"command": format!("ANTHROPIC_API_KEY={key} ./deploy.sh"), "description": "deploy"});
    let sess = |event: &str, extra: Value| {
        let mut v = json!({"session_id": "sess-h", "transcript_path": transcript, "cwd": "/home/dev/shop",
                           "hook_event_name": event, "permission_mode": "default"});
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        v
    };
    let proj = project.path();
    run_installed(
        &settings,
        "SessionStart",
        proj,
        &sess(
            "SessionStart",
            json!({"source": "startup", "model": "claude-sonnet-4-5-20250929"}),
        ),
    );
    run_installed(
        &settings,
        "UserPromptSubmit",
        proj,
        &sess("UserPromptSubmit", json!({"prompt": "deploy it\nplease"})),
    );
    run_installed(
        &settings,
        "PreToolUse",
        proj,
        &sess(
            "PreToolUse",
            json!({"tool_name": "Bash", "tool_use_id": "toolu_h1", "tool_input": cmd_input}),
        ),
    );
    run_installed(
        &settings,
        "PostToolUse",
        proj,
        &sess(
            "PostToolUse",
            json!({"tool_name": "Bash", "tool_use_id": "toolu_h1",
        "tool_input": cmd_input, "tool_response": {"stdout": "deployed", "stderr": "", "interrupted": false}}),
        ),
    );
    let tools = env.records("logs/skill-invocations-");
    assert_eq!(tools.len(), 1, "the tool call arrives live");
    assert_eq!(tools[0]["id"], "claude-tool:toolu_h1");
    assert_eq!(tools[0]["runId"], "sess-h");
    assert!(!tools[0].to_string().contains(key));
    // The transcript as Claude Code wrote it by the end of the turn.
    // (Dated now, as the hooks are: the same call is recognised within a day or two.)
    let at = |secs: i64| {
        (chrono::Utc::now() - chrono::Duration::seconds(10 - secs))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let times: Vec<String> = (0..4).map(at).collect();
    let l = |uuid, parent, ts| Line {
        uuid,
        parent,
        ts,
        session: "sess-h",
        sidechain: false,
    };
    t.write(
        "projects/p/sess-h.jsonl",
        &[
            user_prompt(&l("u1", None, &times[0]), "deploy it"),
            assistant(
                &l("a1", Some("u1"), &times[1]),
                "msg_h1",
                Some("req_h1"),
                "claude-sonnet-4-5-20250929",
                tool_use("toolu_h1", "Bash", cmd_input.clone()),
                usage(50, 20, 100, 0),
                Some("tool_use"),
            ),
            tool_result(
                &l("u2", Some("a1"), &times[2]),
                "toolu_h1",
                "deployed",
                false,
                Value::Null,
            ),
            assistant(
                &l("a2", Some("u2"), &times[3]),
                "msg_h2",
                Some("req_h2"),
                "claude-sonnet-4-5-20250929",
                text("Deployed."),
                usage(60, 10, 0, 100),
                None,
            ),
        ],
    );
    let f = std::fs::File::options()
        .append(true)
        .open(&transcript)
        .unwrap();
    f.set_modified(SystemTime::now()).unwrap();
    drop(f);
    // Stop: the turn has ended, so its last response is complete; usage arrives.
    run_installed(
        &settings,
        "Stop",
        proj,
        &sess("Stop", json!({"stop_hook_active": false})),
    );
    let calls = by_id(&env.records("analytics/provider-health-"));
    assert_eq!(calls.len(), 2);
    assert_eq!(calls["claude:msg_h2"]["outputTokens"], 10);
    assert_eq!(
        env.records("logs/skill-invocations-").len(),
        1,
        "hook and import give one record"
    );
    run_installed(
        &settings,
        "SubagentStart",
        proj,
        &sess(
            "SubagentStart",
            json!({"agent_id": "ag1", "agent_type": "Explore"}),
        ),
    );
    run_installed(
        &settings,
        "SubagentStop",
        proj,
        &sess(
            "SubagentStop",
            json!({"agent_id": "ag1", "agent_type": "Explore"}),
        ),
    );
    run_installed(
        &settings,
        "StopFailure",
        proj,
        &sess("StopFailure", json!({"error_type": "rate_limit_error"})),
    );
    run_installed(
        &settings,
        "SessionEnd",
        proj,
        &sess("SessionEnd", json!({"reason": "logout"})),
    );
    // A later import of the same transcript finds everything held.
    let s = import_json(&env, &["claude", "--dir", &t.dir_arg(), "--full"]);
    // (msg_h2 ends the file of a session that may go on: it waits, and is held.)
    assert_eq!(
        (
            s["calls"].as_u64(),
            s["toolCalls"].as_u64(),
            s["alreadyHeld"].as_u64()
        ),
        (Some(0), Some(0), Some(2))
    );
    assert_eq!(s["waiting"], 1);
    assert_eq!(env.records("logs/skill-invocations-").len(), 1);

    let (out, err, code) = env.run_bin("cc-progress", &["history", "sess-h", "--json"]);
    assert_eq!(code, 0, "{err}");
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let steps: Vec<(String, u64)> = events
        .iter()
        .map(|e| {
            (
                e["status"].as_str().unwrap().to_string(),
                e["step"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("running", 0),
            ("running", 1),
            ("completed", 1),
            ("failed", 1),
            ("completed", 1)
        ]
        .map(|(s, n)| (s.to_string(), n))
    );
    assert_eq!(events[0]["source"], "session");
    assert_eq!(events[0]["name"], "shop");
    assert_eq!(events[0]["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(events[1]["message"], "deploy it");
    assert_eq!(events[3]["error"], "rate_limit_error");
    assert_eq!(events[4]["message"], "session ended (logout)");
    let (out, _, _) = env.run_bin("cc-progress", &["current", "sess-h/ag1", "--json"]);
    let child: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(child["status"], "completed");
    let (out, _, _) = env.run_bin("cc-health", &["errors", "--json"]);
    let errors: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(errors[0]["error"], "rate_limit_error");
    assert_eq!(errors[0]["statusCode"], 429);
    // The project folder holds no logs.
    let mut in_project: Vec<String> = std::fs::read_dir(proj)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    in_project.sort();
    assert_eq!(in_project, [".claude"]);

    // Uninstall gives back the original settings.
    let (_, err, code) = install(&["uninstall", "--scope", "project"]);
    assert_eq!(code, 0, "{err}");
    let back: Value = serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(back, before);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn hook_install_defaults_to_the_user_settings_and_the_data_folder() {
    let env = Env::new();
    let home = tempfile::tempdir().unwrap();
    let (out, err, code) = outcome(
        env.cmd("cc-log")
            .env("HOME", home.path())
            .env_remove("XDG_DATA_HOME")
            .args(["hook", "install", "--dry-run"]),
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let cmd = v["hooks"]["PostToolUse"][0]["hooks"][0]["command"]
        .as_str()
        .unwrap();
    assert!(
        cmd.ends_with(&format!(
            " --root {}/.local/share/ccmon hook",
            home.path().display()
        )),
        "{cmd}"
    );
    assert_eq!(v["hooks"]["PostToolUse"][0]["matcher"], "*");
    assert!(
        !home.path().join(".claude").exists(),
        "--dry-run writes nothing"
    );
    let (_, _, code) = outcome(
        env.cmd("cc-log")
            .env("HOME", home.path())
            .args(["hook", "install"]),
    );
    assert_eq!(code, 0);
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join(".claude/settings.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(written, v);
    // A settings file that is not JSON is refused, and left as it is.
    std::fs::write(home.path().join(".claude/settings.json"), "{ nope").unwrap();
    let (_, err, code) = outcome(
        env.cmd("cc-log")
            .env("HOME", home.path())
            .args(["hook", "install"]),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("settings.json"), "{err}");
    assert_eq!(
        std::fs::read_to_string(home.path().join(".claude/settings.json")).unwrap(),
        "{ nope"
    );
}

#[test]
fn statusline_shows_model_costs_burn_rate_and_limits() {
    let env = Env::new();
    let t = Transcripts::new();
    claude_session(&t);
    import_json(&env, &["claude", "--dir", &t.dir_arg()]);
    // A new session's transcript: the status line imports it.
    let l = |uuid, parent, ts| Line {
        uuid,
        parent,
        ts,
        session: "sess-s",
        sidechain: false,
    };
    let transcript = t.write(
        "projects/q/sess-s.jsonl",
        &[
            user_prompt(&l("u1", None, "2026-11-21T09:30:00.000Z"), "hi"),
            assistant(
                &l("a1", Some("u1"), "2026-11-21T09:30:02.000Z"),
                "msg_s1",
                Some("req_s1"),
                "claude-opus-4-6",
                text("Hello"),
                usage(1000, 1000, 0, 0),
                Some("end_turn"),
            ),
            system(&l("s1", Some("a1"), "2026-11-21T09:30:02.100Z")),
        ],
    );
    let input = json!({"hook_event_name": "Status", "session_id": "sess-s", "transcript_path": transcript,
        "model": {"id": "claude-opus-4-6", "display_name": "Opus 4.6"},
        "cost": {"total_cost_usd": 0.03, "total_duration_ms": 45000},
        "rate_limits": {"five_hour": {"used_percentage": 42.4}, "seven_day": {"used_percentage": 13}}});
    let (out, err, code) = outcome(
        env.cmd("cc-health")
            .env("CC_NOW", "2026-11-21T10:05:00Z")
            .args(["statusline"])
            .write_stdin(input.to_string()),
    );
    assert_eq!((code, err.as_str()), (0, ""));
    // Today: $0.25 recorded (msg_04) + $0.03 for msg_s1 (1000 x $5 + 1000 x $25 per M);
    // the last hour: msg_s1 only.
    assert_eq!(
        out,
        "Opus 4.6 | session $0.03 | today $0.28 | $0.03/h | 5h 42% · 7d 13%\n"
    );
    assert_eq!(by_id(&env.records("analytics/provider-health-")).len(), 8);
    // Garbage in: still a line, still exit 0.
    let (out, _, code) = outcome(
        env.cmd("cc-health")
            .args(["statusline"])
            .write_stdin("nope"),
    );
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1);
}

/// A deterministic generator of numbers for the transcripts of the agreement tests.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Several Claude Code sessions over five days: multi-block responses, subagents that
/// replay the session's responses, resumed sessions that copy them, API errors,
/// synthetic messages, 1-hour cache writes, a recorded cost, four models.
fn claude_history(t: &Transcripts) {
    let models = [
        "claude-sonnet-4-5-20250929",
        "claude-opus-4-6",
        "claude-haiku-4-5-20251001",
        "claude-opus-4-1-20250805",
    ];
    let mut rng = Lcg(7);
    for s in 0..6u64 {
        let session = format!("sess-{s}");
        let mut lines = Vec::new();
        let mut replays = Vec::new();
        let mut parent: Option<String> = None;
        for r in 0..40u64 {
            let day = 18 + (s + r / 10) % 5;
            let ts = |sec: u64| format!("2026-11-{day:02}T{:02}:{:02}:{:02}.000Z", 8 + s, r, sec);
            let uid = format!("u{s}-{r}");
            let mut prompt = user_prompt(
                &Line {
                    uuid: &uid,
                    parent: parent.as_deref(),
                    ts: &ts(0),
                    session: &session,
                    sidechain: false,
                },
                "next",
            );
            prompt["message"]["content"] = json!("go on");
            lines.push(prompt);
            let model = models[rng.below(4) as usize];
            let msg = format!("msg_{s}_{r}");
            let req = format!("req_{s}_{r}");
            let (i, o, w, rd) = (
                rng.below(50) + 1,
                rng.below(2000) + 1,
                rng.below(5000),
                rng.below(60000),
            );
            let one_hour = if rng.below(3) == 0 { w / 2 } else { 0 };
            let u = usage_1h(i, o, w - one_hour, one_hour, rd);
            let blocks = 1 + rng.below(3);
            let mut last = uid.clone();
            for b in 0..blocks {
                let aid = format!("a{s}-{r}-{b}");
                let mut partial = u.clone();
                if b + 1 < blocks {
                    partial["output_tokens"] = json!(o / (blocks - b + 1));
                }
                let mut v = assistant(
                    &Line {
                        uuid: &aid,
                        parent: Some(&last),
                        ts: &ts(1 + b),
                        session: &session,
                        sidechain: false,
                    },
                    &msg,
                    Some(&req),
                    model,
                    text("..."),
                    partial,
                    None,
                );
                if r == 7 && s == 0 {
                    v["costUSD"] = json!(0.5);
                }
                lines.push(v);
                last = aid;
            }
            if r % 9 == 4 {
                let eid = format!("e{s}-{r}");
                lines.push(api_error(
                    &Line { uuid: &eid, parent: Some(&last), ts: &ts(20), session: &session, sidechain: false },
                    if r % 2 == 0 { "API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\"}}" }
                    else { "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}" },
                ));
            }
            if r % 11 == 3 {
                let sid = format!("syn{s}-{r}");
                lines.push(assistant(
                    &Line {
                        uuid: &sid,
                        parent: Some(&last),
                        ts: &ts(21),
                        session: &session,
                        sidechain: false,
                    },
                    &format!("msg_syn_{s}_{r}"),
                    None,
                    "<synthetic>",
                    text("No response requested."),
                    usage(0, 0, 0, 0),
                    Some("stop_sequence"),
                ));
            }
            if r % 5 == 0 {
                // A subagent's transcript replays this response (another request id).
                let mut v = assistant(
                    &Line {
                        uuid: &format!("r{s}-{r}"),
                        parent: None,
                        ts: &ts(30),
                        session: &session,
                        sidechain: true,
                    },
                    &msg,
                    Some(&format!("req_replay_{s}_{r}")),
                    model,
                    text("..."),
                    u.clone(),
                    Some("end_turn"),
                );
                v["agentId"] = json!(format!("ag{s}"));
                replays.push(v);
            }
            parent = Some(last);
        }
        lines.push(system(&Line {
            uuid: &format!("end{s}"),
            parent: parent.as_deref(),
            ts: "2026-11-23T23:00:00.000Z",
            session: &session,
            sidechain: false,
        }));
        // The subagent's own responses.
        let mut sub = replays;
        for k in 0..5u64 {
            let (i, o) = (rng.below(500) + 1, rng.below(500) + 1);
            sub.push(assistant(
                &Line {
                    uuid: &format!("sa{s}-{k}"),
                    parent: None,
                    ts: &format!("2026-11-{:02}T12:00:{k:02}.000Z", 18 + s % 5),
                    session: &session,
                    sidechain: true,
                },
                &format!("msg_sub_{s}_{k}"),
                Some(&format!("req_sub_{s}_{k}")),
                "claude-haiku-4-5-20251001",
                text("..."),
                usage(i, o, 0, rng.below(1000)),
                Some("end_turn"),
            ));
        }
        sub.push(system(&Line {
            uuid: &format!("subend{s}"),
            parent: None,
            ts: "2026-11-23T23:00:00.000Z",
            session: &session,
            sidechain: true,
        }));
        t.write(
            &format!("projects/-home-dev-p{}/{session}.jsonl", s % 2),
            &lines,
        );
        t.write(
            &format!(
                "projects/-home-dev-p{}/{session}/subagents/agent-ag{s}.jsonl",
                s % 2
            ),
            &sub,
        );
        if s % 3 == 0 {
            // A resumed session: its file starts with copies of the old session's lines.
            let mut resumed: Vec<Value> = lines[..30].to_vec();
            resumed.push(system(&Line {
                uuid: &format!("res{s}"),
                parent: None,
                ts: "2026-11-23T23:00:01.000Z",
                session: &session,
                sidechain: false,
            }));
            t.write(
                &format!("projects/-home-dev-p{}/{session}-resumed.jsonl", s % 2),
                &resumed,
            );
        }
    }
}

/// Codex rollouts over three days with model switches, archived copies and repeated
/// events.
fn codex_history(t: &Transcripts) {
    let models = ["gpt-5-codex", "gpt-5.1-codex-mini", "gpt-5"];
    let mut rng = Lcg(11);
    for s in 0..4u64 {
        let day = 18 + s % 3;
        let mut lines = vec![
            json!({"timestamp": format!("2026-11-{day}T09:00:00.000Z"), "type": "session_meta",
            "payload": {"id": format!("codex-sess-{s}"), "cwd": "/w", "originator": "codex_cli_rs"}}),
        ];
        let mut total = [0u64; 4];
        for r in 0..30u64 {
            let ts = |sec: u64| format!("2026-11-{day}T{:02}:{r:02}:{sec:02}.000Z", 9 + s);
            if r % 10 == 0 {
                lines.push(json!({"timestamp": ts(0), "type": "turn_context",
                    "payload": {"model": models[((s + r / 10) % 3) as usize], "cwd": "/w"}}));
            }
            let input = rng.below(20000) + 100;
            let cached = rng.below(input);
            let out = rng.below(3000) + 1;
            let reasoning = rng.below(out);
            let last = [input, cached, out, reasoning];
            for k in 0..4 {
                total[k] += last[k];
            }
            lines.push(codex_token(&ts(1), total, Some(last)));
            if r % 7 == 0 {
                lines.push(codex_token(&ts(2), total, Some(last)));
            }
        }
        t.write(
            &format!("sessions/2026/11/{day}/rollout-2026-11-{day}T09-00-00-codex-sess-{s}.jsonl"),
            &lines,
        );
        if s == 1 {
            t.write(
                &format!("archived_sessions/rollout-2026-11-{day}T09-00-00-codex-sess-{s}.jsonl"),
                &lines,
            );
        }
    }
}

/// The pinned ccusage (CCUSAGE, else `ccusage` on the PATH).
fn ccusage() -> String {
    std::env::var("CCUSAGE").unwrap_or_else(|_| "ccusage".into())
}

fn ccusage_daily(agent: &str, env_var: &str, dir: &Path) -> Value {
    let out = std::process::Command::new(ccusage())
        .args([agent, "daily", "--json", "--offline", "--timezone", "UTC"])
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .env(env_var, dir)
        .env("HOME", dir)
        .env("TZ", "UTC")
        .output()
        .expect("ccusage (set CCUSAGE or put it on the PATH)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ours_daily(env: &Env) -> Vec<Value> {
    let (out, err, code) = env.run_bin("cc-health", &["usage", "--by", "day", "--json", "--utc"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn assert_agree(ours: &[Value], theirs: &Value, cache_write_key: Option<&str>, cost_key: &str) {
    let days = theirs["daily"].as_array().unwrap();
    assert!(days.len() >= 3, "{theirs}");
    assert_eq!(
        ours.len(),
        days.len(),
        "days: ours {ours:?}\ntheirs {theirs}"
    );
    for (o, t) in ours.iter().zip(days) {
        let day = t["date"].as_str().unwrap();
        assert_eq!(o["key"], day);
        assert_eq!(o["inputTokens"], t["inputTokens"], "{day} input");
        assert_eq!(o["outputTokens"], t["outputTokens"], "{day} output");
        assert_eq!(
            o["cacheReadTokens"], t["cacheReadTokens"],
            "{day} cache read"
        );
        if let Some(k) = cache_write_key {
            assert_eq!(o["cacheWriteTokens"], t[k], "{day} cache write");
        }
        assert!(o["unpricedModels"].as_array().unwrap().is_empty(), "{o}");
        let (a, b) = (
            o["costUsd"].as_f64().unwrap(),
            t[cost_key].as_f64().unwrap(),
        );
        assert!((a - b).abs() <= 0.01 * b, "{day}: cost {a} vs ccusage {b}");
    }
}

#[test]
#[ignore = "needs ccusage 20.0.24 (installed by .ci/run)"]
fn claude_usage_per_day_agrees_with_ccusage() {
    let env = Env::new();
    let t = Transcripts::new();
    claude_history(&t);
    let s = import_json(&env, &["claude", "--dir", &t.dir_arg()]);
    assert!(
        s["alreadyHeld"].as_u64().unwrap() > 0,
        "the set has replays: {s}"
    );
    assert!(
        s["errors"].as_u64().unwrap() > 0,
        "the set has API errors: {s}"
    );
    let theirs = ccusage_daily("claude", "CLAUDE_CONFIG_DIR", t.dir.path());
    assert_agree(
        &ours_daily(&env),
        &theirs,
        Some("cacheCreationTokens"),
        "totalCost",
    );
}

#[test]
#[ignore = "needs ccusage 20.0.24 (installed by .ci/run)"]
fn codex_usage_per_day_agrees_with_ccusage() {
    let env = Env::new();
    let t = Transcripts::new();
    codex_history(&t);
    let (out, err, code) = outcome(
        env.cmd("cc-dashboard")
            .env("CODEX_HOME", t.dir.path())
            .args(["--json", "import", "codex"]),
    );
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["files"], 5);
    let theirs = ccusage_daily("codex", "CODEX_HOME", t.dir.path());
    assert_agree(&ours_daily(&env), &theirs, None, "costUSD");
}

#[test]
fn a_codex_stop_hook_imports_its_rollout() {
    let env = Env::new();
    let t = Transcripts::new();
    let rollout = t.write(
        "sessions/2026/11/20/rollout-2026-11-20T10-00-00-x.jsonl",
        &codex_rollout(),
    );
    let payload = json!({"hook_event_name": "Stop", "session_id": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
                         "transcript_path": rollout, "cwd": "/home/dev/shop"});
    let (out, err, code) = hook(&env, env.root(), &payload.to_string());
    assert_eq!((out.as_str(), err.as_str(), code), ("", "", 0));
    let calls = env.records("analytics/provider-health-");
    assert_eq!(calls.len(), 3, "the rollout's token counts");
    assert!(
        calls
            .iter()
            .all(|c| c["toolId"] == "codex" && c["provider"] == "openai")
    );
    assert_eq!(env.records("logs/skill-invocations-").len(), 2);
}
