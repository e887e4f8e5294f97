//! `cc-dashboard import`, `cc-log hook`, `cc-health statusline`: Claude Code and Codex
//! transcripts written here from their documented line shapes, imported by the real
//! binaries into temporary roots.

mod common;

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
        Transcripts {
            dir: tempfile::tempdir().unwrap(),
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
    assert_eq!(m1["latency"], 2500, "response time minus its parent's");
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
    assert_eq!(task["duration"], 27000);
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
    assert_eq!(tools["claude-tool:toolu_bash"]["duration"], 2250);

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
    assert_eq!(tools[0]["duration"], 750);
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
    assert_eq!(ok["duration"], 3000);
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
        out.contains("would write 7 provider calls (1 API errors) and 4 tool calls"),
        "{out}"
    );
    assert!(env3.files().is_empty(), "{:?}", env3.files());
}
