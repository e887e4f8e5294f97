//! `cc-dashboard` on a hand-built root with "now" fixed through `CC_NOW`, and the demo.

use crate::common;

use common::Env;
use serde_json::{Value, json};

const NOW: &str = "2026-11-20T12:00:00Z";

fn lines(items: &[&str]) -> String {
    items.join("\n") + "\n"
}

/// A small history whose every figure is known.
fn history() -> Env {
    let env = Env::new();
    env.write(
        "logs/skill-invocations-2026-11-20.jsonl",
        lines(&[
            r#"{"timestamp":"2026-11-20T10:00:00Z","skill":"review","result":"success","duration":100,"agent":"dev"}"#,
            r#"{"timestamp":"2026-11-20T10:01:00Z","skill":"review","result":"success","duration":300,"agent":"dev","cacheHit":true}"#,
            r#"{"timestamp":"2026-11-20T10:02:00Z","skill":"review","result":"failure","duration":200,"agent":"dev"}"#,
            r#"{"timestamp":"2026-11-20T10:03:00Z","skill":"lint","result":"success","duration":50,"agent":"checker"}"#,
        ]),
    );
    env.write(
        "logs/skill-invocations-2026-11-19.jsonl",
        lines(&[r#"{"timestamp":"2026-11-19T10:00:00Z","skill":"review","result":"success","duration":400,"agent":"dev"}"#]),
    );
    env.write(
        "logs/skill-invocations-2026-10-01.jsonl",
        lines(&[r#"{"timestamp":"2026-10-01T10:00:00Z","skill":"lint","result":"success","duration":50}"#]),
    );
    let exec = |ts: &str, cuj: &str, ok: bool, ms: u32, extra: &str| {
        format!(r#"{{"timestamp":"{ts}","cujId":"{cuj}","success":{ok},"duration":{ms}{extra}}}"#)
    };
    let journeys = [
        exec(
            "2026-11-20T11:30:00Z",
            "CUJ-A",
            true,
            1000,
            r#","workflow":"wf1","iterations":2,"resources":{"peakRssMb":100,"cpuUserMs":10,"cpuSystemMs":5},"quality":{"composite":90,"threshold":80,"thresholdResult":true}"#,
        ),
        exec(
            "2026-11-19T12:00:00Z",
            "CUJ-A",
            true,
            2000,
            r#","workflow":"wf1""#,
        ),
        exec("2026-11-18T12:00:00Z", "CUJ-A", true, 3000, ""),
        exec(
            "2026-11-17T12:00:00Z",
            "CUJ-A",
            false,
            4000,
            r#","error":"boom""#,
        ),
        exec("2026-11-16T12:00:00Z", "CUJ-A", true, 5000, ""),
        exec(
            "2026-11-20T11:00:00Z",
            "CUJ-B",
            true,
            10,
            r#","workflow":"wf2","resources":{"peakRssMb":300,"cpuUserMs":20,"cpuSystemMs":1}"#,
        ),
        exec("2026-11-19T11:00:00Z", "CUJ-B", true, 20, ""),
        exec("2026-11-18T11:00:00Z", "CUJ-B", true, 30, ""),
        exec("2026-11-17T11:00:00Z", "CUJ-B", true, 40, ""),
        exec("2026-11-16T11:00:00Z", "CUJ-B", true, 50, ""),
    ];
    env.write(
        "analytics/cuj-metrics-2026-11-20.jsonl",
        journeys.join("\n") + "\n",
    );
    let event = |ts: &str, run: &str, step: u32, status: &str, extra: &str| {
        format!(
            r#"{{"timestamp":"{ts}","runId":"{run}","step":{step},"status":"{status}"{extra}}}"#
        )
    };
    env.write(
        "analytics/progress-2026-11-19.jsonl",
        lines(&[
            &event(
                "2026-11-19T09:00:00Z",
                "run-1",
                0,
                "running",
                r#","totalSteps":1"#,
            ),
            &event(
                "2026-11-19T10:00:00Z",
                "run-1",
                1,
                "completed",
                r#","percentage":100"#,
            ),
        ]),
    );
    env.write(
        "analytics/progress-2026-11-20.jsonl",
        lines(&[
            &event("2026-11-20T08:00:00Z", "run-2", 0, "running", ""),
            &event(
                "2026-11-20T09:00:00Z",
                "run-2",
                0,
                "failed",
                r#","error":"boom""#,
            ),
            &event("2026-11-20T11:00:00Z", "run-3", 0, "running", ""),
        ]),
    );
    env.write(
        "analytics/provider-health-2026-11-20.jsonl",
        lines(&[
            r#"{"timestamp":"2026-11-20T11:50:00Z","provider":"anthropic","success":true,"latency":1000,"model":"claude-sonnet-4-5","inputTokens":1000000,"outputTokens":0}"#,
            r#"{"timestamp":"2026-11-20T11:55:00Z","provider":"anthropic","success":true,"latency":2000,"model":"claude-sonnet-4-5","costUsd":0.5}"#,
        ]),
    );
    env.write(
        "analytics/provider-health-2026-11-15.jsonl",
        lines(&[r#"{"timestamp":"2026-11-15T10:00:00Z","provider":"openai","success":true,"latency":500,"model":"gpt-4o","inputTokens":1000000}"#]),
    );
    env.write(
        "analytics/notifications-2026-11-20.jsonl",
        lines(&[
            r#"{"timestamp":"2026-11-20T09:00:00Z","id":"n-1","type":"run_failed","runId":"run-2","message":"run-2 failed: boom"}"#,
            r#"{"timestamp":"2026-11-19T10:00:00Z","id":"n-2","type":"run_completed","runId":"run-1","message":"run-1 completed"}"#,
            r#"{"timestamp":"2026-11-18T10:00:00Z","id":"n-3","type":"provider_down","message":"openai is down","provider":"openai"}"#,
            r#"{"timestamp":"2026-11-20T09:30:00Z","type":"read","target":"n-2"}"#,
            r#"{"timestamp":"2026-11-20T09:31:00Z","type":"dismissed","target":"n-3"}"#,
        ]),
    );
    env
}

/// The notifications file records written now go to (state records and alerts are
/// dated by the clock, not by CC_NOW).
fn today_notifications() -> String {
    format!(
        "analytics/notifications-{}.jsonl",
        chrono::Utc::now().format("%Y-%m-%d")
    )
}

fn at_now(env: &Env, args: &[&str]) -> (String, String, i32) {
    common::outcome(
        env.cmd("cc-dashboard")
            .env("CC_NOW", NOW)
            .env("COLUMNS", "100")
            .arg("--utc")
            .args(args),
    )
}

fn document(env: &Env) -> Value {
    let (out, err, code) = at_now(env, &["json"]);
    assert_eq!((code, err.as_str()), (0, ""));
    serde_json::from_str(&out).unwrap()
}

#[test]
fn every_part_of_the_document() {
    let env = history();
    let d = document(&env);
    assert_eq!(d["generatedAt"], "2026-11-20T12:00:00.000Z");
    assert_eq!(d["periodDays"], 30);
    assert_eq!(
        d["counters"],
        json!({"runs": 3, "activeRuns": 1, "completedRuns": 1, "failedRuns": 1, "cancelledRuns": 0,
               "invocations": 5, "journeyExecutions": 10, "journeys": 2, "workflows": 2, "providers": 1,
               "sandboxes": 0, "activeSandboxes": 0})
    );
    assert_eq!(
        d["windows"]["1h"],
        json!({"total": 2, "successes": 2, "failures": 0, "successRate": 1.0, "p50": 10.0,
               "p95": 1000.0, "p99": 1000.0})
    );
    assert_eq!(d["windows"]["7d"]["total"], 10);
    assert_eq!(d["windows"]["7d"]["successRate"], 0.9);
    assert_eq!(d["cujs"][0]["cujId"], "CUJ-A");
    assert_eq!(
        d["cujs"][0]["windows"]["7d"],
        json!({"total": 5, "successes": 4, "failures": 1, "successRate": 0.8, "p50": 3000.0,
               "p95": 5000.0, "p99": 5000.0})
    );
    assert_eq!(d["cujs"][0]["lastFailure"], "2026-11-17T12:00:00.000Z");
    assert_eq!(
        d["highlights"],
        json!({"window": "7d",
               "fastest": {"cujId": "CUJ-B", "value": 30.0, "runs": 5},
               "slowest": {"cujId": "CUJ-A", "value": 5000.0, "runs": 5},
               "mostReliable": {"cujId": "CUJ-B", "value": 1.0, "runs": 5},
               "leastReliable": {"cujId": "CUJ-A", "value": 0.8, "runs": 5}})
    );
    assert_eq!(
        d["skills"][0],
        json!({"skill": "review", "count": 4, "successes": 3, "failures": 1, "successRate": 0.75,
               "cacheHitRate": 0.25, "mean": 250.0, "p50": 200.0, "p95": 400.0, "p99": 400.0})
    );
    assert_eq!(d["skills"][1]["skill"], "lint");
    assert_eq!(d["skills"].as_array().unwrap().len(), 2);
    let agents: Vec<(&Value, &Value)> = d["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (&a["agent"], &a["count"]))
        .collect();
    assert_eq!(
        agents,
        [(&json!("dev"), &json!(4)), (&json!("checker"), &json!(1))]
    );
    assert_eq!(d["providers"]["overall"]["status"], "healthy");
    assert_eq!(d["providers"]["statuses"][0]["provider"], "anthropic");
    assert_eq!(d["providers"]["statuses"][0]["calls"], 2);
    let u = &d["usage"];
    assert_eq!(
        (&u["today"]["calls"], &u["today"]["costUsd"]),
        (&json!(2), &json!(5.9))
    );
    assert_eq!(
        (&u["7d"]["calls"], &u["7d"]["costUsd"]),
        (&json!(3), &json!(8.4))
    );
    assert_eq!(u["30d"]["costUsd"], 8.4);
    assert!(u["30d"].get("key").is_none(), "totals have no group");
    assert_eq!(u["30d"]["estimated"], true);
    let models: Vec<(&Value, &Value)> = u["byModel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (&m["model"], &m["costUsd"]))
        .collect();
    assert_eq!(
        models,
        [
            (&json!("claude-sonnet-4-5"), &json!(5.9)),
            (&json!("gpt-4o"), &json!(2.5))
        ]
    );
    let daily = d["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(daily[0]["date"], "2026-10-22");
    assert_eq!(
        daily[29],
        json!({"date": "2026-11-20", "runsCreated": 2, "runsCompleted": 0, "runsFailed": 1,
               "iterations": 2, "invocations": 4, "costUsd": 5.9, "sandboxesCreated": 0,
               "workflowsCreated": 0})
    );
    assert_eq!(
        daily[28],
        json!({"date": "2026-11-19", "runsCreated": 1, "runsCompleted": 1, "runsFailed": 0,
               "iterations": 0, "invocations": 1, "costUsd": 0.0, "sandboxesCreated": 0,
               "workflowsCreated": 0})
    );
    assert_eq!(daily[24]["costUsd"], 2.5);
    let q = &d["quality"];
    assert_eq!(q["threshold"], 80.0);
    assert_eq!(
        (&q["overall"]["scored"], &q["overall"]["composite"]),
        (&json!(1), &json!(90.0))
    );
    assert_eq!(q["overall"]["meetingThreshold"], 1.0);
    assert_eq!(q["days"].as_array().unwrap().len(), 30);
    assert_eq!(q["days"][29]["scored"], 1);
    let r = &d["resources"];
    assert_eq!(
        (
            &r["measuredRuns"],
            &r["peakRssMb"],
            &r["cpuUserMs"],
            &r["cpuSystemMs"]
        ),
        (&json!(2), &json!(300.0), &json!(30.0), &json!(6.0))
    );
    assert!(r["generationMs"].as_f64().unwrap() >= 0.0);
    assert!(r["rssMb"].as_f64().unwrap() > 0.0);
    let n = &d["notifications"];
    assert_eq!(n["unread"], 1);
    let latest: Vec<(&Value, &Value)> = n["latest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (&x["id"], &x["read"]))
        .collect();
    assert_eq!(
        latest,
        [
            (&json!("n-1"), &json!(false)),
            (&json!("n-2"), &json!(true))
        ]
    );
}

#[test]
fn generate_saves_atomically() {
    let env = history();
    let (out, _, code) = at_now(&env, &["generate"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("saved analytics/metrics-dashboard.json: 3 runs, 5 invocations, 2 journeys, 1 providers (healthy) in "),
        "{out}"
    );
    let saved: Value = serde_json::from_str(&env.read("analytics/metrics-dashboard.json")).unwrap();
    // The same document as `json` computes, but for this process's own resources.
    let mut fresh = document(&env);
    fresh["resources"] = saved["resources"].clone();
    assert_eq!(saved, fresh);
    // Nothing but the document is left behind.
    let leftovers: Vec<String> = env
        .files()
        .into_iter()
        .filter(|f| f.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    #[cfg(unix)]
    {
        // A reader holding the old file keeps it whole: the new one replaces it by rename.
        use std::os::unix::fs::MetadataExt;
        let before = std::fs::metadata(env.path("analytics/metrics-dashboard.json"))
            .unwrap()
            .ino();
        at_now(&env, &["generate"]);
        let after = std::fs::metadata(env.path("analytics/metrics-dashboard.json"))
            .unwrap()
            .ino();
        assert_ne!(before, after);
    }
}

#[test]
fn view_fits_80_and_100_columns_and_an_empty_root() {
    let env = history();
    for width in ["80", "100"] {
        let out = env
            .cmd("cc-dashboard")
            .env("CC_NOW", NOW)
            .env("COLUMNS", width)
            .args(["view", "--utc"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        let w: usize = width.parse().unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= w, "{width}: {line:?}");
        }
        // Every figure says its period: whole calendar days since the 22nd for the
        // counters and the daily series, rolling windows for the journeys.
        let header = "ccmon dashboard  ·  generated 2026-11-20 12:00:00  ·  providers healthy\n\
                      since 2026-10-22: runs 3 (1 active, 1 completed, 1 failed, 0 cancelled)\n\
                      since 2026-10-22: 5 invocations, 10 executions, 2 journeys, 2 workflows\n\
                      rolling windows: 1h 100.0% (2)  24h 100.0% (3)  7d 90.0% (10)  30d 90.0% (10)";
        assert!(text.starts_with(header), "{text}");
        assert!(
            text.contains("30D→1H"),
            "the sparkline column says what it plots"
        );
        assert!(
            text.contains("per day since 2026-10-22 (oldest left)"),
            "{text}"
        );
        assert!(text.contains("\nCUJ-A"), "{text}");
        assert!(
            text.contains("  • 2026-11-20 09:00:00  run_failed  run-2 failed: boom"),
            "{text}"
        );
        assert!(!text.contains('\x1b'), "no colour off a terminal");
        assert_eq!(text.contains("LAST FAILURE"), w >= 100, "{width}");
    }
    let empty = Env::new();
    let (out, err, code) = at_now(&empty, &["view"]);
    assert_eq!((code, err.as_str()), (0, ""));
    for want in [
        "runs 0 (0 active, 0 completed, 0 failed, 0 cancelled)",
        "no journey executions in the last 30 days",
        "no skill invocations since ",
        "providers: no provider calls in the last 1h",
        "notifications (0 unread)\n  none",
    ] {
        assert!(out.contains(want), "{want:?} in\n{out}");
    }
    // A read never creates folders: an empty root gets its view, and nothing is saved.
    assert!(!empty.path("analytics").exists());
}

#[test]
fn notifications_read_and_dismiss() {
    let env = history();
    let list = |args: &[&str]| -> Vec<(String, bool, bool)> {
        let mut all = vec!["notifications", "--json"];
        all.extend_from_slice(args);
        let (out, _, code) = at_now(&env, &all);
        assert_eq!(code, 0);
        serde_json::from_str::<Vec<Value>>(&out)
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["id"].as_str().unwrap().to_string(),
                    n["read"].as_bool().unwrap(),
                    n["dismissed"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    let row = |id: &str, read: bool, dismissed: bool| (id.to_string(), read, dismissed);
    assert_eq!(
        list(&[]),
        [row("n-1", false, false), row("n-2", true, false)]
    );
    assert_eq!(list(&["--unread"]), [row("n-1", false, false)]);
    assert_eq!(
        list(&["--all"]),
        [
            row("n-1", false, false),
            row("n-2", true, false),
            row("n-3", true, true)
        ]
    );
    let (out, _, code) = at_now(&env, &["notifications", "read", "n-1"]);
    assert_eq!((out.as_str(), code), ("marked 1 read\n", 0));
    assert_eq!(list(&["--unread"]), []);
    let (out, _, _) = at_now(&env, &["notifications", "read", "--all"]);
    assert_eq!(out, "marked 0 read\n");
    let (out, _, _) = at_now(&env, &["notifications", "dismiss", "n-2"]);
    assert_eq!(out, "dismissed 1\n");
    assert_eq!(list(&[]), [row("n-1", true, false)]);
    // With --json, what was marked is JSON too (and only JSON).
    let (out, _, code) = at_now(&env, &["notifications", "read", "--all", "--json"]);
    assert_eq!(
        (
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
            code
        ),
        (serde_json::json!({"action": "read", "count": 0}), 0)
    );
    let (out, _, _) = at_now(&env, &["notifications", "read", "--all", "--quiet"]);
    assert_eq!(out, "");
    // Unknown ids are refused and nothing is written.
    let before = env.read(&today_notifications());
    let (out, err, code) = at_now(&env, &["notifications", "read", "n-404"]);
    assert_eq!((out.as_str(), code), ("", 2));
    assert!(
        err.contains("no notification has the id \"n-404\""),
        "{err}"
    );
    assert_eq!(env.read(&today_notifications()), before);
    // The state records are appended, never edits.
    let states: Vec<String> = env
        .records(&today_notifications())
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["type"].as_str().unwrap(),
                r["target"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(states, ["read n-1", "dismissed n-2"]);
    let (out, _, _) = at_now(&env, &["notifications", "--all"]);
    assert_eq!(
        out,
        "   TIME                 TYPE           MESSAGE             ID\n   \
         2026-11-20 09:00:00  run_failed     run-2 failed: boom  n-1\n\
         x  2026-11-19 10:00:00  run_completed  run-1 completed     n-2\n\
         x  2026-11-18 10:00:00  provider_down  openai is down      n-3\n"
    );
}

#[test]
fn demo_writes_all_five_streams_the_other_programs_read() {
    let env = Env::new();
    let dir = env.path("demo");
    let out = env
        .cmd("cc-dashboard")
        .args(["demo", "--root"])
        .arg(&dir)
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("ccmon dashboard"), "{text}");
    assert!(text.contains("providers degraded"), "{text}");
    assert!(
        text.contains(&format!("Sample data in {}", dir.display())),
        "{text}"
    );
    let root = dir.to_str().unwrap();
    let read = |bin: &str, args: &[&str]| -> Value {
        let out = env
            .cmd(bin)
            .args(args)
            .args(["--json", "--root", root])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{bin} {args:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "",
            "{bin} {args:?}: no warnings"
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let skills = read("cc-log", &["stats"]);
    assert_eq!(skills.as_array().unwrap().len(), 8);
    assert!(skills[0]["count"].as_u64().unwrap() > 500);
    let cujs = read("cc-metrics", &["all"]);
    assert_eq!(cujs.as_array().unwrap().len(), 5);
    let failures = read("cc-metrics", &["failures", "CUJ-020", "30d"]);
    assert!(failures["patterns"].as_array().unwrap().len() >= 3);
    let runs = read("cc-progress", &["runs", "--limit", "0"]);
    assert!(runs.as_array().unwrap().len() > 50);
    let chain = read("cc-progress", &["chain", "chain-billing"]);
    assert_eq!(
        (&chain["completed"], &chain["total"]),
        (&json!(3), &json!(5))
    );
    let health = read("cc-health", &["status"]);
    let statuses: Vec<(&str, &str)> = health
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["provider"].as_str().unwrap(),
                p["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("anthropic", "healthy"),
            ("google", "healthy"),
            ("openai", "degraded")
        ]
    );
    let usage = read("cc-health", &["usage", "--by", "model"]);
    assert!(
        usage
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["unpricedModels"] == json!(["llama-3.1-8b-local"]))
    );
    let notes = read("cc-dashboard", &["notifications", "--limit", "0"]);
    assert!(notes.as_array().unwrap().len() > 20);
    // Runs as CodeCourier shows them: sandbox runs of workflows with prompts, quality,
    // CI, cost; a chain to resume; service usage; agent output.
    let sandboxes = read(
        "cc-progress",
        &["runs", "--source", "sandbox", "--limit", "0"],
    );
    let sandboxes = sandboxes.as_array().unwrap();
    assert_eq!(sandboxes.len(), 10);
    assert!(
        sandboxes
            .iter()
            .all(|r| r["workflow"].is_string() && r["prompt"].is_string())
    );
    assert!(
        sandboxes
            .iter()
            .all(|r| r["costUsd"].as_f64().is_some_and(|c| c > 0.0))
    );
    assert!(
        sandboxes
            .iter()
            .any(|r| r["prStatus"] == "blocked_on_ci" && r["ciStatus"] == "failing")
    );
    assert!(
        sandboxes
            .iter()
            .filter(|r| r["quality"].is_number())
            .count()
            >= 8
    );
    let chain = read("cc-progress", &["chain", "chain-search"]);
    assert_eq!(chain["resumeFrom"], 3);
    assert_eq!(chain["sprints"][1]["attempts"][0]["status"], "failed");
    let services = read("cc-health", &["usage", "--by", "service"]);
    assert!(
        services
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["key"] == "e2b")
    );
    let history = std::process::Command::new(env!("CARGO_BIN_EXE_cc-progress"))
        .args(["history", "sbx-run-010", "--output", "--json", "--root"])
        .arg(&dir)
        .output()
        .unwrap();
    let chunks = String::from_utf8_lossy(&history.stdout)
        .lines()
        .filter(|l| l.contains("\"output\""))
        .count();
    assert_eq!(chunks, 4);
    let d = read("cc-dashboard", &["json"]);
    assert_eq!(
        (
            d["counters"]["sandboxes"].as_u64(),
            d["counters"]["activeSandboxes"].as_u64()
        ),
        (Some(10), Some(1))
    );
    // Every record of every stream validates against the JSON Schemas.
    let counts = common::validate_root(&dir);
    assert!(counts.iter().all(|n| *n > 100), "{counts:?}");
    // Secrets in the sample parameters were redacted on the way in.
    let logs = std::fs::read_dir(dir.join("logs")).unwrap();
    for f in logs {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        assert!(!text.contains("sk-demo-should-be-redacted"));
    }
    // Every command the demo suggests works when pasted into a shell that does not
    // have the programs on its PATH (the README's quick start builds them, not installs).
    let suggested: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Explore it with the other programs:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    assert_eq!(suggested.len(), 8, "{text}");
    assert!(
        text.contains("Or watch it live in a browser (Ctrl-C stops the server):\n  /"),
        "{text}"
    );
    for cmd in suggested {
        assert!(
            cmd.starts_with('/'),
            "a full path to the sibling program: {cmd}"
        );
        let out = std::process::Command::new("sh")
            .args(["-c", cmd])
            .env("PATH", "/usr/bin:/bin")
            .env_remove("CC_ROOT")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty(), "{cmd}");
    }
    // The demo refuses a folder that holds ccmon data: exit 2, nothing written.
    let before = common::tree(&dir);
    let (out, err, code) = env.run_bin("cc-dashboard", &["demo", "--root", root]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("already holds ccmon data"), "{err}");
    assert_eq!(common::tree(&dir), before);
    // Without a subcommand, cc-dashboard shows the view.
    let (plain, err, code) = env.run_bin("cc-dashboard", &["--root", root]);
    assert_eq!((code, err.as_str()), (0, ""));
    let (view, _, _) = env.run_bin("cc-dashboard", &["view", "--root", root]);
    assert!(plain.starts_with("ccmon dashboard"), "{plain}");
    assert_eq!(plain.lines().count(), view.lines().count());
}

/// One machine's root: two records of each stream of its own, and one shared with the
/// other machine (same id).
fn machine(env: &Env, name: &str) -> std::path::PathBuf {
    let root = env.path(name);
    let write = |rel: &str, lines: Vec<String>| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, lines.join("\n") + "\n").unwrap();
    };
    let ids = |kind: &str| {
        [
            format!("{name}-{kind}-1"),
            format!("{name}-{kind}-2"),
            format!("shared-{kind}"),
        ]
    };
    write(
        "logs/skill-invocations-2026-11-20.jsonl",
        ids("s")
            .iter()
            .enumerate()
            .map(|(i, id)| format!(r#"{{"timestamp":"2026-11-20T10:0{i}:00Z","skill":"review","result":"{}","duration":{},"id":"{id}"}}"#, if i == 1 { "failure" } else { "success" }, 100 * (i + 1)))
            .collect(),
    );
    write(
        "analytics/cuj-metrics-2026-11-19.jsonl",
        ids("j")
            .iter()
            .enumerate()
            .map(|(i, id)| format!(r#"{{"timestamp":"2026-11-19T10:0{i}:00Z","cujId":"CUJ-{i}","success":{},"duration":{},"id":"{id}"}}"#, i != 0, 10 * (i + 1)))
            .collect(),
    );
    write(
        "analytics/progress-2026-11-20.jsonl",
        ids("p")
            .iter()
            .enumerate()
            .map(|(i, id)| format!(r#"{{"timestamp":"2026-11-20T09:0{i}:00Z","runId":"run-{id}","step":0,"status":"running","id":"{id}"}}"#))
            .collect(),
    );
    write(
        "analytics/provider-health-2026-11-20.jsonl",
        ids("h")
            .iter()
            .map(|id| format!(r#"{{"timestamp":"2026-11-20T11:30:00Z","provider":"anthropic","success":true,"latency":100,"model":"claude-sonnet-4-5","inputTokens":1000,"id":"{id}"}}"#))
            .collect(),
    );
    write(
        "analytics/notifications-2026-11-20.jsonl",
        ids("n")
            .iter()
            .map(|id| format!(r#"{{"timestamp":"2026-11-20T09:00:00Z","id":"{id}","type":"run_completed","message":"{id}"}}"#))
            .collect(),
    );
    root
}

#[test]
fn merge_copies_what_is_missing_and_reads_agree() {
    let env = Env::new();
    let a = machine(&env, "a");
    let b = machine(&env, "b");
    let (a, b) = (
        a.to_str().unwrap().to_string(),
        b.to_str().unwrap().to_string(),
    );
    let queries: [&[&str]; 6] = [
        &["cc-log", "stats", "--since", "30d"],
        &["cc-log", "query", "--limit", "0"],
        &["cc-metrics", "all", "30d"],
        &["cc-progress", "runs", "--limit", "0"],
        &["cc-health", "usage"],
        &["cc-dashboard", "notifications", "--all"],
    ];
    let read = |roots: &[&str]| -> Vec<String> {
        queries
            .iter()
            .map(|q| {
                let mut c = env.cmd(q[0]);
                c.env("CC_NOW", NOW).args(&q[1..]).arg("--json");
                for r in roots {
                    c.args(["--root", r]);
                }
                let out = c.output().unwrap();
                assert_eq!(out.status.code(), Some(0), "{q:?}");
                String::from_utf8(out.stdout).unwrap()
            })
            .collect()
    };
    let both = read(&[&a, &b]);
    let out = env
        .cmd("cc-dashboard")
        .args(["merge", "--root", &a, "--from", &b, "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let counts: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        counts,
        json!([
            {"stream": "skill-invocations", "added": 2, "present": 1},
            {"stream": "cuj-metrics", "added": 2, "present": 1},
            {"stream": "progress", "added": 2, "present": 1},
            {"stream": "provider-health", "added": 2, "present": 1},
            {"stream": "notifications", "added": 2, "present": 1}
        ])
    );
    let merged = read(&[&a]);
    for (q, (x, y)) in queries.iter().zip(both.iter().zip(&merged)) {
        assert_eq!(x, y, "{q:?}");
    }
    // Into the right daily files, and idempotent.
    let day =
        std::fs::read_to_string(format!("{a}/logs/skill-invocations-2026-11-20.jsonl")).unwrap();
    assert_eq!(day.lines().count(), 5);
    let (out, _, code) = env.run_bin("cc-dashboard", &["merge", "--root", &a, "--from", &b]);
    assert_eq!(code, 0);
    assert!(
        out.ends_with("0 records added, 15 already present\n"),
        "{out}"
    );
    assert_eq!(read(&[&a]), merged);
    let (_, err, code) = env.run_bin(
        "cc-dashboard",
        &["merge", "--root", &a, "--from", "/nonexistent/dir"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--from"), "{err}");
}

#[test]
fn alerts_fire_and_resolve_once_per_transition() {
    let env = history();
    let rules = r#"{"alerts": [
        {"name": "a-reliability", "metric": "cuj.successRate", "target": "CUJ-A", "window": "7d", "op": "<", "threshold": 0.9},
        {"name": "slow", "metric": "cuj.p95", "target": "*", "window": "7d", "op": ">", "threshold": 4000},
        {"name": "skills", "metric": "skill.successRate", "target": "review", "window": "30d", "op": "<", "threshold": 0.5},
        {"name": "provider", "metric": "provider.availability", "target": "anthropic", "window": "1h", "op": "<", "threshold": 0.95},
        {"name": "spend", "metric": "cost.daily", "target": "*", "window": "1d", "op": ">", "threshold": 3},
        {"name": "ghost", "metric": "cuj.successRate", "target": "CUJ-Z", "window": "1h", "op": "<", "threshold": 1}
    ]}"#;
    env.write("ccmon.json", rules);
    let (out, err, code) = at_now(&env, &["alerts", "--json"]);
    assert_eq!(code, 1, "{err}");
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    let summary: Vec<(String, String, Option<f64>, bool)> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["target"].as_str().unwrap().to_string(),
                r["value"].as_f64(),
                r["firing"].as_bool().unwrap(),
            )
        })
        .collect();
    let s = |n: &str, t: &str, v: Option<f64>, f: bool| (n.to_string(), t.to_string(), v, f);
    assert_eq!(
        summary,
        [
            s("a-reliability", "CUJ-A", Some(0.8), true),
            s("slow", "CUJ-A", Some(5000.0), true),
            s("slow", "CUJ-B", Some(50.0), false),
            s("skills", "review", Some(0.75), false),
            s("provider", "anthropic", Some(1.0), false),
            s("spend", "*", Some(5.9), true),
            s("ghost", "CUJ-Z", None, false),
        ]
    );
    let fired = || -> Vec<String> {
        env.records(&today_notifications())
            .iter()
            .map(|n| {
                format!(
                    "{} {} {}",
                    n["type"].as_str().unwrap(),
                    n["alert"].as_str().unwrap(),
                    n["alertTarget"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        fired(),
        [
            "alert_fired a-reliability CUJ-A",
            "alert_fired slow CUJ-A",
            "alert_fired spend *"
        ]
    );
    // Still firing: nothing new; the human form lists what fires.
    let (out, _, code) = at_now(&env, &["alerts"]);
    assert_eq!(code, 1);
    assert_eq!(
        out.lines().next().unwrap(),
        "FIRING a-reliability: cuj.successRate of CUJ-A is 80.0% (< 90.0%), last 7d"
    );
    assert_eq!(fired().len(), 3);
    // A rules file where nothing fires: each fired alert resolves, once.
    env.write(
        "quiet.json",
        rules
            .replace("0.9}", "0.5}")
            .replace("4000", "9000")
            .replace("\"threshold\": 3}", "\"threshold\": 30}"),
    );
    let (out, _, code) = at_now(&env, &["alerts", "--rules", "quiet.json"]);
    assert_eq!(
        (out.as_str(), code),
        ("no alerts firing (6 rules, 7 checks)\n", 0)
    );
    assert_eq!(
        fired()[3..],
        [
            "alert_resolved a-reliability CUJ-A",
            "alert_resolved slow CUJ-A",
            "alert_resolved spend *"
        ]
    );
    at_now(&env, &["alerts", "--rules", "quiet.json"]);
    assert_eq!(fired().len(), 6);

    // Bad rules name the rule and are refused.
    for (rule, needle) in [
        (
            r#"{"name": "x", "metric": "cuj.sucessRate", "op": "<", "threshold": 1}"#,
            "alert rule \"x\": unknown metric \"cuj.sucessRate\"",
        ),
        (
            r#"{"name": "y", "metric": "cuj.p95", "op": "=<", "threshold": 1}"#,
            "alert rule \"y\": unknown op \"=<\"",
        ),
        (
            r#"{"name": "z", "metric": "cuj.p95", "op": "<", "threshold": 1, "window": "soon"}"#,
            "alert rule \"z\"",
        ),
        (
            r#"{"name": "w", "metric": "cuj.p95", "op": "<", "treshold": 1}"#,
            "treshold",
        ),
    ] {
        env.write("bad.json", format!(r#"{{"alerts": [{rule}]}}"#));
        let (out, err, code) = at_now(&env, &["alerts", "--rules", "bad.json"]);
        assert_eq!((out.as_str(), code), ("", 2), "{rule}");
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

fn export(env: &Env, format: &str) -> String {
    let (out, err, code) = at_now(env, &["export", "--format", format]);
    assert_eq!((code, err.as_str()), (0, ""), "{format}");
    out
}

#[test]
fn prometheus_export_follows_the_text_format() {
    let env = history();
    let text = export(&env, "prometheus");
    // Every family: HELP, then TYPE, then its samples; names ccmon_ in snake case; the
    // _total suffix only on counters, _seconds on times.
    let mut current: Option<(String, String)> = None;
    let mut families = 0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap().to_string();
            assert!(
                name.starts_with("ccmon_")
                    && name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            current = Some((name, String::new()));
            families += 1;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            let cur = current.as_mut().expect("HELP before TYPE");
            assert_eq!(cur.0, name);
            assert_eq!(name.ends_with("_total"), kind == "counter", "{name} {kind}");
            cur.1 = kind.to_string();
        } else {
            let cur = current.as_ref().expect("a family before samples");
            assert!(line.starts_with(&cur.0), "{line} outside {}", cur.0);
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
    assert_eq!(families, 13, "{text}");
    // Counters over every record held (whatever its age), labelled by host; records
    // written without a host are "unknown".
    for want in [
        "ccmon_skill_invocations_total{host=\"unknown\",skill=\"lint\",result=\"success\"} 2",
        "ccmon_skill_invocations_total{host=\"unknown\",skill=\"review\",result=\"failure\"} 1",
        "ccmon_skill_invocations_total{host=\"unknown\",skill=\"review\",result=\"success\"} 3",
        // review took 0.1, 0.2, 0.3 and 0.4 s: cumulative buckets.
        "ccmon_skill_duration_seconds_bucket{host=\"unknown\",skill=\"review\",le=\"0.05\"} 0",
        "ccmon_skill_duration_seconds_bucket{host=\"unknown\",skill=\"review\",le=\"0.1\"} 1",
        "ccmon_skill_duration_seconds_bucket{host=\"unknown\",skill=\"review\",le=\"0.25\"} 2",
        "ccmon_skill_duration_seconds_bucket{host=\"unknown\",skill=\"review\",le=\"0.5\"} 4",
        "ccmon_skill_duration_seconds_bucket{host=\"unknown\",skill=\"review\",le=\"+Inf\"} 4",
        "ccmon_skill_duration_seconds_sum{host=\"unknown\",skill=\"review\"} 1",
        "ccmon_skill_duration_seconds_count{host=\"unknown\",skill=\"review\"} 4",
        "ccmon_cuj_executions_total{host=\"unknown\",cuj=\"CUJ-A\",outcome=\"failure\"} 1",
        "ccmon_cuj_executions_total{host=\"unknown\",cuj=\"CUJ-A\",outcome=\"success\"} 4",
        "ccmon_cuj_duration_seconds_bucket{host=\"unknown\",cuj=\"CUJ-A\",le=\"2.5\"} 2",
        "ccmon_cuj_duration_seconds_bucket{host=\"unknown\",cuj=\"CUJ-A\",le=\"5\"} 5",
        "ccmon_provider_calls_total{host=\"unknown\",provider=\"anthropic\",outcome=\"success\"} 2",
        "ccmon_provider_calls_total{host=\"unknown\",provider=\"openai\",outcome=\"success\"} 1",
        "ccmon_provider_latency_seconds_bucket{host=\"unknown\",provider=\"anthropic\",le=\"1\"} 1",
        "ccmon_provider_latency_seconds_bucket{host=\"unknown\",provider=\"anthropic\",le=\"2.5\"} 2",
        "ccmon_tokens_total{host=\"unknown\",provider=\"anthropic\",model=\"claude-sonnet-4-5\",type=\"input\"} 1000000",
        "ccmon_tokens_total{host=\"unknown\",provider=\"openai\",model=\"gpt-4o\",type=\"input\"} 1000000",
        // 1M input tokens estimated (200k at $3/M, the 800k beyond 200k at the
        // long-context $6/M: $5.4), plus $0.5 recorded.
        "ccmon_cost_usd_total{host=\"unknown\",provider=\"anthropic\",model=\"claude-sonnet-4-5\"} 5.9",
        "ccmon_runs_started_total{host=\"unknown\",source=\"unknown\"} 3",
        "ccmon_runs_finished_total{host=\"unknown\",source=\"unknown\",status=\"completed\"} 1",
        "ccmon_runs_finished_total{host=\"unknown\",source=\"unknown\",status=\"failed\"} 1",
        "ccmon_active_runs{source=\"unknown\"} 1",
        "ccmon_provider_status{provider=\"anthropic\",status=\"healthy\"} 1",
        "ccmon_provider_status{provider=\"anthropic\",status=\"down\"} 0",
        "ccmon_notifications_unread 1",
    ] {
        assert!(
            text.contains(&format!("{want}\n")),
            "{want:?} missing from\n{text}"
        );
    }
    // No windowed gauges: they cannot be added up across machines.
    assert!(!text.contains("window="), "{text}");
    assert!(!text.contains("quantile="), "{text}");
    // Written atomically with -o, nothing left behind.
    let (_, err, code) = at_now(
        &env,
        &["export", "--format", "prometheus", "-o", "metrics.prom"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        env.read("metrics.prom")
            .starts_with("# HELP ccmon_skill_invocations_total ")
    );
    assert!(env.files().iter().all(|f| !f.contains(".tmp")));
}

/// Parses the export with the Prometheus Python client's own parser. Needs
/// `pip install prometheus-client==0.21.1`; `.ci/run` installs it and runs this test.
#[test]
#[ignore = "needs the Python prometheus-client package (installed by .ci/run)"]
fn prometheus_export_parses_with_the_reference_parser() {
    let env = history();
    env.write("metrics.prom", export(&env, "prometheus"));
    let script = r#"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
cujs = fams["ccmon_cuj_executions"]
assert cujs.type == "counter", cujs.type
assert sum(s.value for s in cujs.samples if s.labels["cuj"] == "CUJ-A") == 5
hist = fams["ccmon_cuj_duration_seconds"]
assert hist.type == "histogram", hist.type
buckets = [s for s in hist.samples if s.name.endswith("_bucket") and s.labels["cuj"] == "CUJ-B"]
assert [s.value for s in buckets][:5] == [0, 1, 2, 5, 5], buckets
assert fams["ccmon_active_runs"].type == "gauge"
print(len(fams), sum(len(f.samples) for f in fams.values()))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(env.path("metrics.prom"))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = String::from_utf8(out.stdout).unwrap();
    let families: usize = counts.split(' ').next().unwrap().parse().unwrap();
    assert_eq!(families, 13, "{counts}");
}

#[test]
fn otlp_export_has_the_otlp_json_structure() {
    let env = history();
    let v: Value = serde_json::from_str(&export(&env, "otlp")).unwrap();
    let rm = &v["resourceMetrics"].as_array().unwrap()[0];
    let resource: Vec<&str> = rm["resource"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert_eq!(resource, ["service.name", "host.name"]);
    let scope = &rm["scopeMetrics"][0];
    assert_eq!(scope["scope"]["name"], "ccmon");
    let metrics = scope["metrics"].as_array().unwrap();
    let mut names = Vec::new();
    for m in metrics {
        names.push(m["name"].as_str().unwrap());
        let kinds: Vec<&str> = ["gauge", "sum", "histogram"]
            .into_iter()
            .filter(|k| m.get(*k).is_some())
            .collect();
        assert_eq!(kinds.len(), 1, "{m}");
        let data = &m[kinds[0]];
        if kinds[0] != "gauge" {
            assert_eq!(data["aggregationTemporality"], 2, "cumulative");
        }
        for p in data["dataPoints"].as_array().unwrap() {
            assert!(
                p["timeUnixNano"].as_str().unwrap().parse::<u128>().is_ok(),
                "{p}"
            );
            for a in p["attributes"].as_array().unwrap() {
                let value = a["value"].as_object().unwrap();
                assert_eq!(value.len(), 1);
                let key = value.keys().next().unwrap();
                assert!(
                    ["stringValue", "intValue", "doubleValue", "boolValue"].contains(&key.as_str())
                );
            }
            match kinds[0] {
                "histogram" => {
                    let counts: Vec<u64> = p["bucketCounts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_str().unwrap().parse().unwrap())
                        .collect();
                    assert_eq!(
                        counts.len(),
                        p["explicitBounds"].as_array().unwrap().len() + 1
                    );
                    assert_eq!(
                        counts.iter().sum::<u64>().to_string(),
                        p["count"].as_str().unwrap()
                    );
                }
                _ => assert!(
                    p.get("asDouble").is_some() || p.get("asInt").is_some(),
                    "{p}"
                ),
            }
        }
    }
    for want in [
        "gen_ai.client.token.usage",
        "gen_ai.client.operation.duration",
        "ccmon.skill.invocations",
        "ccmon.skill.duration",
        "ccmon.cuj.executions",
        "ccmon.cuj.duration",
        "ccmon.provider.calls",
        "ccmon.tokens",
        "ccmon.cost",
        "ccmon.runs.started",
        "ccmon.runs.finished",
    ] {
        assert!(names.contains(&want), "{want}");
    }
    // Records written without a host are the "unknown" host's resource; the gauges are
    // this machine's, in the last resource.
    assert_eq!(
        rm["resource"]["attributes"][1]["value"]["stringValue"],
        "unknown"
    );
    let last = v["resourceMetrics"].as_array().unwrap().last().unwrap();
    let gauges: Vec<&str> = last["scopeMetrics"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m.get("gauge").is_some())
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        gauges,
        [
            "ccmon.runs.active",
            "ccmon.provider.status",
            "ccmon.notifications.unread"
        ]
    );
    let find = |name: &str| metrics.iter().find(|m| m["name"] == name).unwrap();
    // GenAI token usage: a histogram of tokens per call with the required attributes.
    let usage = &find("gen_ai.client.token.usage");
    assert_eq!(usage["unit"], "{token}");
    let points = usage["histogram"]["dataPoints"].as_array().unwrap();
    let input = points
        .iter()
        .find(|p| {
            p["attributes"]
                == json!([
                    {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                    {"key": "gen_ai.provider.name", "value": {"stringValue": "anthropic"}},
                    {"key": "gen_ai.request.model", "value": {"stringValue": "claude-sonnet-4-5"}},
                    {"key": "gen_ai.token.type", "value": {"stringValue": "input"}}
                ])
        })
        .unwrap();
    // One call with 1M input tokens: in the (262144, 1048576] bucket.
    assert_eq!(input["count"], "1");
    assert_eq!(input["sum"], 1_000_000.0);
    assert_eq!(input["bucketCounts"][10], "1");
    let duration = &find("gen_ai.client.operation.duration");
    assert_eq!(duration["unit"], "s");
    let anthropic = duration["histogram"]["dataPoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["attributes"][1]["value"]["stringValue"] == "anthropic")
        .unwrap();
    assert_eq!(
        (anthropic["count"].as_str(), anthropic["sum"].as_f64()),
        (Some("2"), Some(3.0))
    );
    // Cumulative from the earliest record held (2026-10-01T10:00:00Z), whatever "now".
    let start = "1790848800000000000";
    for m in metrics.iter().filter(|m| m.get("gauge").is_none()) {
        let data = m.get("sum").or(m.get("histogram")).unwrap();
        for p in data["dataPoints"].as_array().unwrap() {
            assert_eq!(p["startTimeUnixNano"], start, "{}", m["name"]);
        }
    }
    let (later, _, code) = common::outcome(
        env.cmd("cc-dashboard")
            .env("CC_NOW", "2026-11-25T00:00:00Z")
            .args(["export", "--format", "otlp"]),
    );
    assert_eq!(code, 0);
    let later: Value = serde_json::from_str(&later).unwrap();
    assert_eq!(
        later["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["histogram"]["dataPoints"][0]
            ["startTimeUnixNano"],
        start
    );
    // CUJ-A: 1, 2, 3, 4 and 5 s, over every record held.
    let hist = &find("ccmon.cuj.duration")["histogram"]["dataPoints"];
    assert_eq!(hist[0]["count"], "5");
    assert_eq!(hist[0]["sum"], 15.0);
}

#[test]
fn html_report_is_self_contained() {
    let env = history();
    // A hostile skill name must come out as text.
    env.write(
        "logs/skill-invocations-2026-11-18.jsonl",
        lines(&[r#"{"timestamp":"2026-11-18T10:00:00Z","skill":"<script>alert(1)</script>","result":"success","duration":1}"#]),
    );
    let (out, err, code) = at_now(&env, &["html"]);
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("analytics/dashboard.html\n", "", 0)
    );
    let page = env.read("analytics/dashboard.html");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches("<svg class=\"chart\"").count(), 6);
    for id in [
        "runs-per-day",
        "cost-per-day",
        "success-trend",
        "p95-trend",
        "provider-health",
        "top-skills",
    ] {
        let at = page
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id}"));
        let tag = &page[at..at + 80];
        let size = |attr: &str| -> f64 {
            let start = tag.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
            tag[start..].split('"').next().unwrap().parse().unwrap()
        };
        assert!(size("width") > 0.0 && size("height") > 0.0, "{id}: {tag}");
    }
    // Nothing fetched from anywhere: no linked stylesheet, script, font or image.
    for banned in ["<link", " src=", "@import", "url(", "@font-face"] {
        assert!(!page.contains(banned), "{banned}");
    }
    assert_eq!(
        page.matches("<script>").count(),
        1,
        "only the page's own size check"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        page.contains("tests failed") || page.contains("boom"),
        "failure patterns listed"
    );
    let (out, _, code) = at_now(&env, &["html", "-o", "report.html"]);
    assert_eq!((out.as_str(), code), ("report.html\n", 0));
    assert!(env.files().iter().all(|f| !f.contains(".tmp")));
}

fn chromium() -> String {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if std::process::Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return name.to_string();
        }
    }
    panic!("no chromium found: install Debian's chromium package (.ci/run does)");
}

/// Renders the demo's report in headless Chromium: the page loads without console
/// messages and every chart has a non-zero size; a screenshot goes to
/// target/html-report.png (and to `$CCMON_SCREENSHOT` when set, which is how
/// docs/dashboard.png is made).
#[test]
#[ignore = "needs Chromium (installed by .ci/run)"]
fn html_renders_in_headless_chromium() {
    let env = Env::new();
    let root = env.path("demo");
    let out = env
        .cmd("cc-dashboard")
        .args(["demo", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = env.path("report.html");
    let out = env
        .cmd("cc-dashboard")
        .args(["html", "--root"])
        .arg(&root)
        .arg("-o")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = format!("file://{}", report.display());
    let browser = chromium();
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
    ];
    let dom = std::process::Command::new(&browser)
        .args(common)
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(&url)
        .output()
        .unwrap();
    assert!(dom.status.success());
    let html = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(html.contains("data-charts=\"7\""), "the check script ran");
    assert!(
        html.contains("data-charts-rendered=\"7\""),
        "every chart has a size"
    );
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let png = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/html-report.png");
    let shot = std::process::Command::new(&browser)
        .args(common)
        .args([
            "--window-size=1280,1900",
            &format!("--screenshot={}", png.display()),
        ])
        .arg(&url)
        .output()
        .unwrap();
    assert!(shot.status.success());
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 50_000,
        "{} bytes",
        bytes.len()
    );
    if let Ok(copy) = std::env::var("CCMON_SCREENSHOT") {
        std::fs::copy(&png, copy).unwrap();
    }
}

#[test]
fn prune_acts_on_notification_files_only() {
    let env = history();
    env.write(
        "analytics/notifications-2026-10-01.jsonl",
        lines(&[r#"{"timestamp":"2026-10-01T09:00:00Z","id":"n-old","type":"run_completed"}"#]),
    );
    let (out, _, code) = at_now(&env, &["prune", "--older-than", "30d", "--compress"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("compressed analytics/notifications-2026-10-01.jsonl ("),
        "{out}"
    );
    assert!(
        env.path("analytics/notifications-2026-10-01.jsonl.gz")
            .exists()
    );
    assert!(env.path("logs/skill-invocations-2026-10-01.jsonl").exists());
    // Compressed notifications are still read.
    let (out, _, _) = at_now(&env, &["notifications", "--json", "--limit", "0"]);
    assert!(out.contains("\"n-old\""), "{out}");
}

#[test]
fn sandboxes_workflows_and_failures_of_every_source() {
    let env = Env::new();
    let progress = |args: &[&str]| {
        let (_, err, code) = env.run_bin("cc-progress", args);
        assert_eq!(code, 0, "{args:?}: {err}");
    };
    let day = |d: u32, h: u32| format!("2026-11-{d:02}T{h:02}:00:00Z");
    // Two sandboxes on the 19th (one still active), one on the 20th that runs a
    // workflow and failed; a workflow run outside a sandbox on the 20th.
    progress(&[
        "start",
        "sb-1",
        "--steps",
        "1",
        "--source",
        "sandbox",
        "--sandbox",
        "e2b-1",
        "--timestamp",
        &day(19, 9),
    ]);
    progress(&["complete", "sb-1", "--timestamp", &day(19, 10)]);
    progress(&[
        "start",
        "sb-2",
        "--steps",
        "1",
        "--source",
        "sandbox",
        "--timestamp",
        &day(19, 11),
    ]);
    progress(&[
        "start",
        "sb-3",
        "--steps",
        "1",
        "--source",
        "sandbox",
        "--workflow",
        "fix",
        "--timestamp",
        &day(20, 9),
    ]);
    progress(&[
        "fail",
        "sb-3",
        "invalid access token",
        "--timestamp",
        &day(20, 10),
    ]);
    progress(&[
        "start",
        "wf-1",
        "--steps",
        "1",
        "--workflow",
        "fix",
        "--timestamp",
        &day(20, 9),
    ]);
    let d = document(&env);
    let c = &d["counters"];
    assert_eq!(
        (
            c["sandboxes"].as_u64(),
            c["activeSandboxes"].as_u64(),
            c["workflows"].as_u64()
        ),
        (Some(3), Some(1), Some(1))
    );
    let daily = d["daily"].as_array().unwrap();
    let per_day = |i: usize| {
        (
            daily[i]["sandboxesCreated"].as_u64(),
            daily[i]["workflowsCreated"].as_u64(),
        )
    };
    assert_eq!(
        (per_day(28), per_day(29)),
        ((Some(2), Some(0)), (Some(1), Some(2)))
    );
    let (out, err, code) = at_now(&env, &["view"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("sandboxes 3: 1 active  ·  created in 30 days: 3 sandboxes, 2 workflow runs"),
        "{out}"
    );
    let html_path = env.path("report.html");
    let (_, err, code) = at_now(&env, &["html", "-o", html_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        html.contains("<h2>Sandboxes and workflows per day</h2>"),
        "sandbox chart"
    );
    assert!(
        html.contains("<b>1 / 3</b><span>sandboxes active / total</span>"),
        "counter"
    );
    // The failed run is among the failure patterns, by its source.
    assert!(
        html.contains("<td>run</td>") && html.contains("invalid access token"),
        "failure row"
    );
}

/// `view` showing the saved dashboard (fresh: under a minute old, newer than the data)
/// says what the read that made it skipped, and `--strict` fails the same way; without
/// the record of what was skipped beside it, `view` reads afresh rather than stay silent.
#[test]
fn view_of_the_saved_dashboard_repeats_the_reads_warnings() {
    let env = history();
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(env.path("logs/skill-invocations-2026-11-20.jsonl"))
        .unwrap();
    std::io::Write::write_all(&mut log, b"{\"timestamp\":\n").unwrap();
    let warning = "warning: skipped 1 malformed line (logs/skill-invocations-2026-11-20.jsonl:5)\n";
    let (first, err, code) = at_now(&env, &["view", "--strict"]);
    assert_eq!((code, err.as_str()), (1, warning));
    let saved = env.path("analytics/metrics-dashboard.json");
    let modified = || std::fs::metadata(&saved).unwrap().modified().unwrap();
    let made = modified();
    let sidecar = env.path(".ccmon/dashboard-skipped.json");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&sidecar).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // The saved one, not a new one: the file is untouched, and the warning is the same.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let (again, err, code) = at_now(&env, &["view", "--strict"]);
    assert_eq!((code, err.as_str()), (1, warning));
    assert_eq!(again, first);
    assert_eq!(modified(), made);
    let (_, err, code) = at_now(&env, &["view"]);
    assert_eq!((code, err.as_str()), (0, warning));
    assert_eq!(modified(), made);
    // Without the sidecar, the saved dashboard is not trusted to be clean.
    std::fs::remove_file(&sidecar).unwrap();
    let (_, err, code) = at_now(&env, &["view", "--strict"]);
    assert_eq!((code, err.as_str()), (1, warning));
    assert_ne!(modified(), made);
    // `generate` saves it too.
    std::fs::remove_file(&sidecar).unwrap();
    let (_, err, code) = at_now(&env, &["generate"]);
    assert_eq!((code, err.as_str()), (0, warning));
    let made = modified();
    let (_, err, code) = at_now(&env, &["view", "--strict"]);
    assert_eq!((code, err.as_str()), (1, warning));
    assert_eq!(modified(), made);
}
