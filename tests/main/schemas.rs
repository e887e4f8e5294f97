//! Every record the tools write validates against the JSON Schemas in `schemas/`.

use crate::common;

use common::{Env, validate_root, validators};
use serde_json::json;

#[test]
fn every_write_path_produces_valid_records() {
    let env = Env::new();
    let run = |bin: &str, args: &[&str]| {
        let out = env.cmd(bin).args(args).output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0) | Some(1) | Some(3)),
            "{bin} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        "cc-log",
        &[
            "log",
            "--skill",
            "review",
            "--params",
            r#"{"token":"abc","n":1}"#,
            "--result",
            "partial",
            "--duration",
            "12.5",
            "--cache-hit",
            "--agent",
            "dev",
            "--run-id",
            "r1",
            "--cuj-id",
            "CUJ-1",
            "--metadata",
            "[1,2]",
            "--tag",
            "a",
            "--error",
            "half done",
        ],
    );
    run(
        "cc-log",
        &["run", "--skill", "lint", "--", "sh", "-c", "exit 3"],
    );
    run(
        "cc-metrics",
        &[
            "record",
            "CUJ-1",
            "ok",
            "1.5s",
            "--workflow",
            "w",
            "--run-id",
            "r1",
            "--source",
            "merge_agent",
            "--iterations",
            "2",
            "--agent",
            "a",
            "--warning",
            "w",
            "--quality",
            "correctness=90,typeSafety=70",
            "--metadata",
            r#"{"k":"v"}"#,
            "--error",
            "x",
        ],
    );
    run(
        "cc-metrics",
        &["run", "CUJ-2", "--workflow", "nightly", "--", "true"],
    );
    run(
        "cc-progress",
        &[
            "start", "run-1", "--steps", "2", "--name", "n", "--source", "sprint", "--chain", "c",
            "--sprint", "1/1",
        ],
    );
    run(
        "cc-progress",
        &[
            "step",
            "run-1",
            "s",
            "--role",
            "designer",
            "--tool",
            "claude",
            "--model",
            "m",
            "--iteration",
            "1",
        ],
    );
    run(
        "cc-progress",
        &[
            "emit",
            "run-1",
            "--status",
            "running",
            "--step",
            "1",
            "--percentage",
            "50",
            "--ci-status",
            "passing",
            "--ci-check",
            "Unit=success=https://ci/1",
            "--quality",
            r#"{"composite":88}"#,
            "--pr-url",
            "https://github.com/o/r/pull/1",
            "--pr-status",
            "created",
        ],
    );
    run("cc-progress", &["fail", "run-1", "boom"]);
    run(
        "cc-health",
        &[
            "record",
            "openai",
            "false",
            "300",
            "--error",
            "429",
            "--status-code",
            "429",
            "--model",
            "gpt-5",
            "--input-tokens",
            "10",
            "--output-tokens",
            "2",
            "--cache-read-tokens",
            "1",
            "--cache-write-tokens",
            "1",
            "--cost",
            "0.01",
            "--run-id",
            "r1",
            "--step-type",
            "checker",
            "--tool",
            "claude",
        ],
    );
    env.write("ccmon.json", r#"{"alerts": [{"name": "a", "metric": "provider.availability", "target": "*", "window": "1h", "op": "<", "threshold": 0.9}]}"#);
    run("cc-dashboard", &["alerts"]);
    run("cc-dashboard", &["notifications", "read", "--all"]);
    let counts = validate_root(env.root());
    // Every stream was written and checked: 2 invocations, 2 executions, 6 events
    // (start, step, emit, fail, and the runner's two), 1 call, and notifications
    // (run_failed, sprint_failed, pr_created, the runner's run_completed,
    // provider_down, alert_fired, then the read records).
    assert_eq!(counts[..4], [2, 2, 6, 1]);
    assert!(counts[4] >= 10, "{counts:?}");
}

#[test]
fn the_schemas_reject_what_the_tools_refuse() {
    let v = validators();
    let check = |i: usize, record: serde_json::Value| v[i].1.is_valid(&record);
    let ts = "2026-11-20T10:00:00.000Z";
    assert!(check(
        0,
        json!({"timestamp": ts, "skill": "s", "result": "success"})
    ));
    assert!(!check(
        0,
        json!({"timestamp": ts, "skill": "s", "result": "maybe"})
    ));
    assert!(!check(
        0,
        json!({"timestamp": "yesterday", "skill": "s", "result": "success"})
    ));
    assert!(!check(
        1,
        json!({"timestamp": ts, "cujId": "C", "success": true, "duration": -1})
    ));
    assert!(!check(
        1,
        json!({"timestamp": ts, "cujId": "C", "success": true, "duration": 1, "quality": {"correctness": 120}})
    ));
    assert!(!check(
        2,
        json!({"timestamp": ts, "runId": "r", "status": "running", "percentage": 150})
    ));
    assert!(!check(
        2,
        json!({"timestamp": ts, "runId": "r", "status": "done"})
    ));
    assert!(!check(
        3,
        json!({"timestamp": ts, "provider": "p", "success": true, "latency": -1})
    ));
    assert!(!check(
        3,
        json!({"timestamp": ts, "success": true, "latency": 1})
    ));
    // An imported response whose request time is unknown has no latency (SPEC §10).
    assert!(check(
        3,
        json!({"timestamp": ts, "provider": "p", "success": true})
    ));
    assert!(!check(4, json!({"timestamp": ts, "type": "read"})));
    assert!(check(
        4,
        json!({"timestamp": ts, "type": "read", "target": "n-1"})
    ));
}
