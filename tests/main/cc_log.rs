//! Integration tests: the real `cc-log` binary on temporary data roots.

use crate::common;

use chrono::{Duration, SecondsFormat, Utc};
use common::{Env, line};
use predicates::prelude::*;
use serde_json::Value;

const DAY: &str = "logs/skill-invocations-2026-11-20.jsonl";

fn no_host(env: &Env) {
    env.write("ccmon.json", r#"{"host": false}"#);
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn log_with_flags_writes_one_redacted_line() {
    let env = Env::new();
    env.log()
        .args([
            "log",
            "--skill",
            "multi-ai-code-review",
            "--params",
            r#"{"code":"function foo() {}","token":"abc"}"#,
            "--result",
            "partial",
            "--duration",
            "1234",
            "--cache-hit",
            "--agent",
            "developer",
            "--run-id",
            "run-001",
            "--cuj-id",
            "CUJ-005",
            "--error",
            "auth failed: Bearer abc123def456",
            "--metadata",
            r#"{"cpu_user_ms":40}"#,
            "--tag",
            "a",
            "--tag",
            "b",
        ])
        .assert()
        .success()
        .stdout("")
        .stderr("");
    let files = env.files();
    assert_eq!(files.len(), 1, "{files:?}");
    let today = Utc::now().format("%Y-%m-%d");
    assert_eq!(files[0], format!("logs/skill-invocations-{today}.jsonl"));
    let text = env.read(&files[0]);
    assert_eq!(text.lines().count(), 1);
    let v: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "timestamp",
            "skill",
            "params",
            "result",
            "duration",
            "cacheHit",
            "agent",
            "runId",
            "cujId",
            "error",
            "metadata",
            "tags",
            "id",
            "host"
        ]
    );
    assert_eq!(
        v["params"],
        serde_json::json!({"code": "function foo() {}", "token": "[REDACTED]"})
    );
    assert_eq!(v["result"], "partial");
    assert!(text.contains(r#""duration":1234.0,"#));
    assert_eq!(v["cacheHit"], true);
    assert_eq!(v["error"], "auth failed: Bearer [REDACTED]");
    assert_eq!(v["tags"], serde_json::json!(["a", "b"]));
    assert_eq!(v["id"].as_str().unwrap().len(), 26);
    assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn log_record_is_stored_byte_for_byte_in_its_utc_day() {
    let env = Env::new();
    no_host(&env);
    let rec = r#"{"timestamp":"2026-11-20T23:59:59.999Z","skill":"s","result":"success","duration":12.5,"cacheHit":false,"error":null,"id":"r1","custom":{"x":[1,2]}}"#;
    env.record(rec);
    env.record(r#"{"ts":"2026-11-21T00:00:00.000Z","skill":"s","id":"r2"}"#);
    assert_eq!(env.read(DAY), format!("{rec}\n"));
    assert_eq!(
        env.read("logs/skill-invocations-2026-11-21.jsonl"),
        "{\"timestamp\":\"2026-11-21T00:00:00.000Z\",\"skill\":\"s\",\"result\":\"success\",\"cacheHit\":false,\"error\":null,\"id\":\"r2\"}\n"
    );
    // Unknown fields round-trip through --json output.
    env.log()
        .args([
            "query",
            "--json",
            "--limit",
            "1",
            "--until",
            "2026-11-20T23:59:59.999Z",
        ])
        .assert()
        .success()
        .stdout(format!("{rec}\n"));
}

#[test]
fn bulk_stdin_writes_valid_lines_and_reports_invalid_ones() {
    let env = Env::new();
    let input = [
        line("2026-11-20T10:00:00.000Z", "a", "success", 10.0, ""),
        "".to_string(),
        "not json".to_string(),
        line("2026-11-20T10:00:01.000Z", "b", "bogus", 10.0, ""),
        line("2026-11-20T10:00:02.000Z", "c", "failure", 30.0, ""),
        r#"{"skill":"d","duration":-5}"#.to_string(),
    ]
    .join("\n");
    let mut input = input.into_bytes();
    input.extend_from_slice(b"\n{\"skill\":\"bad\xff\"}\n");
    let out = env
        .log()
        .args(["log", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid line 3: not valid JSON"), "{err}");
    assert!(
        err.contains("invalid line 4: field result: unknown variant, expected one of"),
        "{err}"
    );
    assert!(
        err.contains(
            "invalid line 6: field duration: -5 must be a number of milliseconds from 0 to 10^11"
        ),
        "{err}"
    );
    assert!(err.contains("invalid line 7: not valid UTF-8"), "{err}");
    assert!(
        err.contains("logged 2 records; 4 invalid lines were not written"),
        "{err}"
    );
    let skills: Vec<String> = json_lines(&env.read(DAY))
        .iter()
        .map(|v| v["skill"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(skills, ["a", "c"]);
}

#[test]
fn bulk_all_valid_exits_zero() {
    let env = Env::new();
    let input: String = (0..100)
        .map(|i| {
            line(
                "2026-11-20T10:00:00.000Z",
                &format!("s{}", i % 3),
                "success",
                i as f64,
                "",
            ) + "\n"
        })
        .collect();
    env.log()
        .args(["log", "-"])
        .write_stdin(input)
        .assert()
        .success()
        .stderr("");
    env.log()
        .args(["query", "--count"])
        .assert()
        .success()
        .stdout("100\n");
}

#[test]
fn run_passes_output_through_logs_and_exits_with_child_code() {
    let env = Env::new();
    env.log()
        .args([
            "run",
            "--skill",
            "build",
            "--agent",
            "ci",
            "--",
            "sh",
            "-c",
            "echo out; echo 'boom --password hunter2' >&2; exit 3",
        ])
        .assert()
        .code(3)
        .stdout("out\n")
        .stderr("boom --password hunter2\n");
    env.log()
        .args(["run", "--skill", "build", "--", "true"])
        .assert()
        .success();
    let out = env.log().args(["query", "--json"]).output().unwrap();
    let recs = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(recs.len(), 2);
    let failed = recs.iter().find(|r| r["result"] == "failure").unwrap();
    assert_eq!(failed["error"], "boom --password [REDACTED]");
    assert_eq!(failed["agent"], "ci");
    assert_eq!(failed["metadata"]["exitCode"], 3);
    assert!(failed["duration"].as_f64().unwrap() >= 0.0);
    let ok = recs.iter().find(|r| r["result"] == "success").unwrap();
    assert_eq!(ok["error"], Value::Null);
    assert_eq!(ok["metadata"]["exitCode"], 0);
}

#[test]
fn run_missing_command_exits_127_and_logs_failure() {
    let env = Env::new();
    env.log()
        .args(["run", "--skill", "x", "--", "/nonexistent/cmd"])
        .assert()
        .code(127);
    env.log()
        .args(["query", "--result", "failure", "--count"])
        .assert()
        .stdout("1\n");
}

fn seed(env: &Env) {
    no_host(env);
    let lines = [
        line(
            "2026-11-20T10:00:03.000Z",
            "multi-ai-code-review",
            "success",
            100.0,
            r#","agent":"developer","cujId":"CUJ-005","runId":"run-001","cacheHit":true,"id":"a""#,
        ),
        line(
            "2026-11-20T10:00:01.000Z",
            "multi-ai-code-review",
            "failure",
            300.0,
            r#","agent":"checker","cujId":"CUJ-005","runId":"run-001","error":"429 rate limit","id":"b""#,
        ),
        line(
            "2026-11-20T10:00:02.000Z",
            "lint",
            "success",
            200.0,
            r#","agent":"developer","id":"c""#,
        ),
        line(
            "2026-11-20T10:00:05.000Z",
            "lint",
            "timeout",
            400.0,
            r#","agent":"developer","cujId":"CUJ-007","id":"d""#,
        ),
        line(
            "2030-01-01T00:00:00.000Z",
            "future-skill",
            "success",
            1.0,
            r#","id":"e""#,
        ),
    ];
    env.write(DAY, lines[..4].join("\n") + "\n");
    env.write(
        "logs/skill-invocations-2030-01-01.jsonl",
        lines[4].clone() + "\n",
    );
}

fn ids(stdout: &[u8]) -> Vec<String> {
    json_lines(&String::from_utf8_lossy(stdout))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn query_orders_newest_first_and_filters() {
    let env = Env::new();
    seed(&env);
    let q = |args: &[&str]| {
        let mut all = vec!["query", "--json"];
        all.extend_from_slice(args);
        ids(&env.log().args(&all).output().unwrap().stdout)
    };
    assert_eq!(q(&[]), ["e", "d", "a", "c", "b"]);
    assert_eq!(q(&["--limit", "2"]), ["e", "d"]);
    assert_eq!(q(&["--limit", "0"]).len(), 5);
    assert_eq!(q(&["--skill", "multi-ai-code-review"]), ["a", "b"]);
    assert_eq!(q(&["--agent", "developer"]), ["d", "a", "c"]);
    assert_eq!(q(&["--run-id", "run-001", "--result", "failure"]), ["b"]);
    assert_eq!(q(&["--runId", "run-001"]), ["a", "b"]);
    assert_eq!(q(&["--cujId", "CUJ-007"]), ["d"]);
    assert_eq!(q(&["--cache-hit"]), ["a"]);
    assert_eq!(q(&["--no-cache-hit", "--skill", "lint"]), ["d", "c"]);
    assert_eq!(
        q(&[
            "--since",
            "2026-11-20T10:00:02Z",
            "--until",
            "2026-11-20T10:00:04Z"
        ]),
        ["a", "c"]
    );
    assert_eq!(q(&["--grep", "rate limit"]), ["b"]);
    assert_eq!(q(&["--since", "2026-11-21"]), ["e"]);
    env.log()
        .args(["query", "--skill", "lint", "--count"])
        .assert()
        .success()
        .stdout("2\n");
    env.log()
        .args(["query", "--count", "--json"])
        .assert()
        .success()
        .stdout("{\n  \"count\": 5\n}\n");
    // compat form
    env.log()
        .args(["query", "--skill", "multi-ai-code-review", "--limit", "10"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("multi-ai-code-review")
                .and(predicate::str::contains("429 rate limit")),
        );
}

#[test]
fn query_table_for_people() {
    let env = Env::new();
    seed(&env);
    env.log()
        .args(["query", "--skill", "lint", "--color", "never"])
        .assert()
        .success()
        .stdout(
            "TIME                 SKILL  RESULT   DURATION  CACHE  AGENT      RUN  CUJ      ERROR\n\
         2026-11-20 10:00:05  lint   timeout  400ms     -      developer  -    CUJ-007\n\
         2026-11-20 10:00:02  lint   success  200ms     -      developer  -    -\n",
        );
    env.log()
        .args(["query", "--skill", "nope"])
        .assert()
        .success()
        .stdout("no skill invocations match\n");
    env.log()
        .args(["query", "--skill", "lint", "--color", "always"])
        .assert()
        .stdout(predicate::str::contains("\x1b["));
    env.log()
        .args(["query", "--skill", "lint"])
        .env("FORCE_COLOR", "1")
        .assert()
        .stdout(predicate::str::contains("\x1b["));
    env.log()
        .args(["query", "--skill", "lint"])
        .env("FORCE_COLOR", "1")
        .env("NO_COLOR", "1")
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
}

#[test]
fn stats_json_has_exact_figures() {
    let env = Env::new();
    seed(&env);
    let out = env
        .log()
        .args(["stats", "--json", "--until", "2026-12-01"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            {"key": "lint", "count": 2, "successes": 1, "failures": 1, "successRate": 0.5, "cacheHitRate": 0.0,
             "mean": 300.0, "p50": 200.0, "p95": 400.0, "p99": 400.0},
            {"key": "multi-ai-code-review", "count": 2, "successes": 1, "failures": 1, "successRate": 0.5, "cacheHitRate": 0.5,
             "mean": 200.0, "p50": 100.0, "p95": 300.0, "p99": 300.0}
        ])
    );
}

#[test]
fn stats_groupings_and_compat_forms() {
    let env = Env::new();
    seed(&env);
    let keys = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["stats", "--json"];
        all.extend_from_slice(args);
        let v: Value =
            serde_json::from_slice(&env.log().args(&all).output().unwrap().stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| serde_json::json!([r["key"], r["count"]]))
            .collect()
    };
    assert_eq!(
        keys(&["--by", "agent"]),
        [
            serde_json::json!(["developer", 3]),
            serde_json::json!(["checker", 1]),
            serde_json::json!([null, 1])
        ]
    );
    assert_eq!(
        keys(&["--by", "result"]),
        [
            serde_json::json!(["success", 3]),
            serde_json::json!(["failure", 1]),
            serde_json::json!(["timeout", 1])
        ]
    );
    assert_eq!(
        keys(&["--by", "cuj"]),
        [
            serde_json::json!(["CUJ-005", 2]),
            serde_json::json!([null, 2]),
            serde_json::json!(["CUJ-007", 1])
        ]
    );
    assert_eq!(
        keys(&["--by", "day", "--utc"]),
        [
            serde_json::json!(["2026-11-20", 4]),
            serde_json::json!(["2030-01-01", 1])
        ]
    );
    // compat: a filter without --by groups by skill
    assert_eq!(
        keys(&["--agent", "developer"]),
        [
            serde_json::json!(["lint", 2]),
            serde_json::json!(["multi-ai-code-review", 1])
        ]
    );
    assert_eq!(
        keys(&["--cujId", "CUJ-005"]),
        [serde_json::json!(["multi-ai-code-review", 2])]
    );
    env.log().args(["stats", "--agent", "developer", "--color", "never"]).assert().success().stdout(
        "SKILL                 COUNT  SUCCESS  CACHE HIT   MEAN    P50    P95    P99  FAILURES\n\
         lint                      2    50.0%       0.0%  300ms  200ms  400ms  400ms         1\n\
         multi-ai-code-review      1   100.0%     100.0%  100ms  100ms  100ms  100ms         0\n",
    );
    env.log()
        .args(["stats", "--skill", "nothing"])
        .assert()
        .success()
        .stdout("no skill invocations match\n");
    env.log()
        .args(["stats", "--skill", "nothing", "--json"])
        .assert()
        .success()
        .stdout("[]\n");
}

#[test]
fn tail_shows_last_n_oldest_first() {
    let env = Env::new();
    seed(&env);
    let out = env
        .log()
        .args(["tail", "-n", "2", "--json"])
        .output()
        .unwrap();
    assert_eq!(ids(&out.stdout), ["d", "e"]);
    env.log()
        .args(["tail", "-n", "1", "--skill", "lint", "--color", "never"])
        .assert()
        .success()
        .stdout("2026-11-20 10:00:05  lint  timeout  400ms  agent=developer  cuj=CUJ-007\n");
}

#[test]
fn tail_follow_prints_appended_records_including_new_day_files() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    let env = Env::new();
    seed(&env);
    env.record(r#"{"timestamp":"2026-11-20T10:00:00.000Z","skill":"watched","id":"before"}"#);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cc-log"))
        .args(["tail", "-f", "-n", "0", "--json", "--skill", "watched"])
        .current_dir(env.root())
        .env_remove("CC_ROOT")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines() {
            if tx.send(l.unwrap()).is_err() {
                break;
            }
        }
    });
    let next = || {
        rx.recv_timeout(std::time::Duration::from_secs(20))
            .expect("a followed line")
    };
    // Let the watcher start: append until the first record shows up.
    let mut first = None;
    for i in 0..100 {
        env.record(&format!(
            r#"{{"timestamp":"2026-11-20T11:00:00.000Z","skill":"watched","id":"w{i}"}}"#
        ));
        if let Ok(l) = rx.recv_timeout(std::time::Duration::from_millis(300)) {
            first = Some(l);
            break;
        }
    }
    let mut seen = vec![first.expect("tail -f printed an appended record")];
    while let Ok(l) = rx.recv_timeout(std::time::Duration::from_millis(300)) {
        seen.push(l);
    }
    // Each appended record once: lines already in the file when tail started (with a
    // relative root, too) are not printed again.
    let ids: Vec<String> = seen
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{seen:?}");
    assert!(!ids.contains(&"\"before\"".to_string()), "{seen:?}");
    env.record(r#"{"timestamp":"2026-11-20T11:00:01.000Z","skill":"other","id":"o1"}"#);
    // The day rollover: a file that did not exist when tail started.
    env.record(r#"{"timestamp":"2026-11-22T00:00:01.000Z","skill":"watched","id":"next-day"}"#);
    let l = next();
    assert!(l.contains("\"id\":\"next-day\""), "{l}");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn sanitize_redacts_stdin_to_stdout() {
    let env = Env::new();
    let input = "{\"password\":\"x\",\"n\":1,\"msg\":\"key AKIAIOSFODNN7EXAMPLE\"}\nplain postgres://u:pw@h/db\n\n{\"ok\":true}\n";
    env.log().args(["sanitize"]).write_stdin(input).assert().success()
        .stdout("{\"password\":\"[REDACTED]\",\"n\":1,\"msg\":\"key [REDACTED]\"}\nplain postgres://u:[REDACTED]@h/db\n\n{\"ok\":true}\n")
        .stderr("warning: 1 lines were not JSON; they were redacted as plain text\n");
    assert!(env.files().is_empty());
}

#[test]
fn prune_deletes_or_compresses_old_days() {
    let env = Env::new();
    no_host(&env);
    let old = (Utc::now() - Duration::days(40))
        .format("%Y-%m-%d")
        .to_string();
    let recent = (Utc::now() - Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    for d in [&old, &recent] {
        env.write(
            &format!("logs/skill-invocations-{d}.jsonl"),
            line(&format!("{d}T12:00:00.000Z"), "s", "success", 1.0, "") + "\n",
        );
    }
    env.write(
        "logs/skill-invocations.jsonl",
        line("2020-01-01T00:00:00.000Z", "legacy", "success", 1.0, "") + "\n",
    );
    let old_file = format!("logs/skill-invocations-{old}.jsonl");
    env.log()
        .args(["prune", "--older-than", "30d", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "would delete {old_file} ("
        )));
    assert_eq!(env.files().len(), 4);
    env.log()
        .args(["prune", "--older-than", "30d", "--compress"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "compressed {old_file} ("
        )));
    assert!(env.files().contains(&format!("{old_file}.gz")));
    assert!(!env.files().contains(&old_file));
    // Compressed files are still read.
    env.log()
        .args(["query", "--count"])
        .assert()
        .success()
        .stdout("3\n");
    env.log()
        .args(["prune", "--older-than", "30d"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!(
            "deleted {old_file}.gz ("
        )));
    env.log()
        .args(["query", "--count"])
        .assert()
        .success()
        .stdout("2\n");
    env.log()
        .args(["prune", "--older-than", "30d"])
        .assert()
        .success()
        .stdout("nothing to prune: no daily files wholly older than 30d\n");
}

#[test]
fn legacy_and_gzip_files_are_read() {
    use std::io::Write;
    let env = Env::new();
    env.write(
        "logs/skill-invocations.jsonl",
        line("2026-11-19T00:00:00.000Z", "legacy", "success", 1.0, "") + "\n",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        (line("2026-11-18T00:00:00.000Z", "zipped", "success", 1.0, "") + "\n").as_bytes(),
    )
    .unwrap();
    env.write(
        "logs/skill-invocations-2026-11-18.jsonl.gz",
        gz.finish().unwrap(),
    );
    env.log()
        .args(["stats", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"legacy\"").and(predicate::str::contains("\"zipped\"")));
}

#[test]
fn several_roots_merge_and_deduplicate_by_id() {
    let a = Env::new();
    let b = Env::new();
    let shared = line(
        "2026-11-20T10:00:00.000Z",
        "s",
        "success",
        1.0,
        r#","id":"same""#,
    );
    a.write(
        DAY,
        format!(
            "{shared}\n{}\n",
            line(
                "2026-11-20T10:00:01.000Z",
                "s",
                "success",
                1.0,
                r#","id":"only-a""#
            )
        ),
    );
    b.write(
        DAY,
        format!(
            "{shared}\n{}\n",
            line("2026-11-20T10:00:02.000Z", "s", "success", 1.0, "")
        ),
    );
    let (ra, rb) = (a.root().to_str().unwrap(), b.root().to_str().unwrap());
    a.log()
        .args(["query", "--count", "--root", ra, "--root", rb])
        .assert()
        .success()
        .stdout("3\n");
    a.log()
        .args(["stats", "--json", "--root", ra, "--root", rb])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"count\": 3"));
    a.log()
        .args(["query", "--count"])
        .env("CC_ROOT", format!("{ra}:{rb}"))
        .assert()
        .success()
        .stdout("3\n");
    // Writes go to the first root.
    a.log()
        .args(["log", "--skill", "w", "--root", rb, "--root", ra])
        .assert()
        .success();
    b.log()
        .args(["query", "--skill", "w", "--count"])
        .assert()
        .stdout("1\n");
    a.log()
        .args(["query", "--skill", "w", "--count"])
        .assert()
        .stdout("0\n");
}

#[test]
fn bad_arguments_exit_2_and_write_nothing() {
    let env = Env::new();
    let cases: &[(&[&str], &str)] = &[
        (
            &["log", "--skill", "s", "--params", "{bad"],
            "invalid --params: not valid JSON",
        ),
        (
            &["log", "--skill", "s", "--metadata", "[1,"],
            "invalid --metadata: not valid JSON",
        ),
        (
            &["log", "--skill", "s", "--duration", "-5"],
            "invalid --duration",
        ),
        (
            &["log", "--skill", "s", "--duration", "soon"],
            "invalid --duration",
        ),
        (
            &["log", "--skill", "s", "--result", "great"],
            "invalid value for '--result <R>'",
        ),
        (
            &["log", "--skill", ""],
            "invalid --skill: must not be empty",
        ),
        (
            &["log", "--record", "{\"skill\":\"s\",\"duration\":-1}"],
            "invalid --record: field duration",
        ),
        (
            &["log", "--record", "[]"],
            "invalid --record: expected a JSON object",
        ),
        (
            &[
                "log",
                "--record",
                "{\"skill\":\"s\",\"timestamp\":\"yesterday\"}",
            ],
            "invalid --record: field timestamp",
        ),
        (&["log"], "required arguments were not provided"),
        (&["query", "--since", "yesterday"], "invalid --since"),
        (&["query", "--until", "2026-13-45"], "invalid --until"),
        (&["query", "--grep", "("], "invalid --grep"),
        (&["query", "--limit", "-1"], "--limit"),
        (
            &["stats", "--by", "planet"],
            "invalid value for '--by <FIELD>'",
        ),
        (&["prune", "--older-than", "-3d"], "invalid --older-than"),
        (
            &["run", "--skill", "s", "--params", "{", "--", "true"],
            "invalid --params",
        ),
        (
            &["run", "--skill", "s"],
            "required arguments were not provided",
        ),
        (
            &["query", "--color", "sometimes"],
            "invalid value for '--color <WHEN>'",
        ),
    ];
    for (args, message) in cases {
        let (stdout, stderr, code) = env.run(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert!(env.files().is_empty(), "{args:?} wrote {:?}", env.files());
    }
}

#[test]
fn malformed_config_is_a_usage_error() {
    let env = Env::new();
    env.write("ccmon.json", r#"{"host": "yes"}"#);
    let (_, stderr, code) = env.run(&["log", "--skill", "s"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("ccmon.json: host: expected a boolean, found string"),
        "{stderr}"
    );
    assert_eq!(env.files(), ["ccmon.json"]);
}

#[test]
fn config_and_environment_redaction_extras() {
    let env = Env::new();
    env.write(
        "ccmon.json",
        r#"{"redact": {"keys": ["ssn"], "patterns": ["ACME-[0-9]{4}"]}}"#,
    );
    env.log()
        .args([
            "log",
            "--skill",
            "s",
            "--params",
            r#"{"ssn":"123","note":"ACME-1234 and INT-99"}"#,
        ])
        .env("CC_REDACT_PATTERNS", "INT-[0-9]+")
        .assert()
        .success();
    let out = env.log().args(["query", "--json"]).output().unwrap();
    let v = &json_lines(&String::from_utf8_lossy(&out.stdout))[0];
    assert_eq!(
        v["params"],
        serde_json::json!({"ssn": "[REDACTED]", "note": "[REDACTED] and [REDACTED]"})
    );
}

#[test]
fn records_written_by_other_tools_are_redacted_when_printed() {
    let env = Env::new();
    env.write(
        DAY,
        line(
            "2026-11-20T10:00:00.000Z",
            "s",
            "success",
            1.0,
            r#","params":{"api_key":"live-secret"}"#,
        ) + "\n",
    );
    env.log()
        .args(["query", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"api_key\":\"[REDACTED]\""));
    env.log()
        .args(["tail", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("live-secret").not());
}

#[test]
fn closed_pipe_exits_quietly() {
    let env = Env::new();
    let input: String = (0..20000)
        .map(|i| {
            line(
                "2026-11-20T10:00:00.000Z",
                &format!("skill-{i}"),
                "success",
                1.0,
                "",
            ) + "\n"
        })
        .collect();
    env.write(DAY, input);
    let bin = env!("CARGO_BIN_EXE_cc-log");
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            &format!("'{bin}' query --json --limit 0 | head -n 1; exit ${{PIPESTATUS[0]}}"),
        ])
        .current_dir(env.root())
        .env_remove("CC_ROOT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn completions_man_help_and_version() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish"] {
        env.log()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("cc-log"));
    }
    env.log()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH cc-log"));
    env.log()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"));
    env.log()
        .args(["query", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--cujId"));
    env.log()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("cc-log "));
    assert!(env.files().is_empty());
}

#[test]
fn fsync_flag_and_file_modes() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.log()
        .args(["log", "--skill", "s", "--fsync"])
        .assert()
        .success();
    let mode = |rel: &str| {
        std::fs::metadata(env.path(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("logs"), 0o700);
    assert_eq!(mode(&env.files()[0]), 0o600);
}

#[test]
fn since_duration_means_that_long_ago() {
    let env = Env::new();
    let now = Utc::now();
    let ts = |d: Duration| (now - d).to_rfc3339_opts(SecondsFormat::Millis, true);
    env.record(&line(
        &ts(Duration::minutes(30)),
        "recent",
        "success",
        1.0,
        "",
    ));
    env.record(&line(&ts(Duration::hours(3)), "older", "success", 1.0, ""));
    env.log()
        .args(["query", "--since", "1h", "--count"])
        .assert()
        .success()
        .stdout("1\n");
    env.log()
        .args(["query", "--since", "3600000", "--count"])
        .assert()
        .success()
        .stdout("1\n");
    env.log()
        .args(["query", "--since", "4h", "--count"])
        .assert()
        .success()
        .stdout("2\n");
}

#[test]
fn filters_match_values_written_with_escapes() {
    let env = Env::new();
    env.write(
        DAY,
        [
            r#"{"timestamp":"2026-11-20T10:00:00.000Z","skill":"code\/review"}"#,
            r#"{"timestamp":"2026-11-20T10:00:01.000Z","skill":"code\u002freview"}"#,
            r#"{"timestamp":"2026-11-20T10:00:02.000Z","skill":"code/review"}"#,
            r#"{"timestamp":"2026-11-20T10:00:03.000Z","skill":"other","params":{"p":"a\\b"}}"#,
        ]
        .join("\n")
            + "\n",
    );
    env.log()
        .args(["query", "--skill", "code/review", "--count"])
        .assert()
        .success()
        .stdout("3\n")
        .stderr("");
    env.log()
        .args(["stats", "--json"])
        .assert()
        .success()
        .stdout(predicates::str::contains("\"count\": 3"));
}

/// `cc-log run --cache TTL` of a command that prints its pid and counts its runs in
/// `runs.txt`, at `now`.
fn cached_run(env: &Env, params: &str, now: &str, exit: u8) -> (String, String, i32) {
    common::outcome(
        env.log()
            .env("CC_NOW", now)
            .args([
                "run", "--skill", "lint", "--params", params, "--cache", "1h", "--",
            ])
            .args([
                "sh",
                "-c",
                &format!("echo \"out $$\"; echo x >> runs.txt; exit {exit}"),
            ]),
    )
}

fn runs_so_far(env: &Env) -> usize {
    std::fs::read_to_string(env.path("runs.txt")).map_or(0, |s| s.lines().count())
}

#[test]
fn run_cache_hits_print_the_saved_output_without_running() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let t0 = "2026-11-20T10:00:00Z";
    let (first, err, code) = cached_run(&env, r#"{"file":"a.rs","level":2}"#, t0, 0);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(first.starts_with("out "), "{first}");
    assert_eq!(runs_so_far(&env), 1);
    // Same skill, same params in another key order, within the TTL: a hit.
    let (again, _, code) = cached_run(
        &env,
        r#"{"level":2,"file":"a.rs"}"#,
        "2026-11-20T10:59:00Z",
        0,
    );
    assert_eq!((code, again.as_str()), (0, first.as_str()));
    assert_eq!(runs_so_far(&env), 1);
    // Other params: a miss.
    let (other, _, _) = cached_run(&env, r#"{"file":"b.rs","level":2}"#, t0, 0);
    assert_ne!(other, first);
    assert_eq!(runs_so_far(&env), 2);
    // Past the TTL: a miss, which runs and saves again.
    let (late, _, _) = cached_run(
        &env,
        r#"{"file":"a.rs","level":2}"#,
        "2026-11-20T11:00:01Z",
        0,
    );
    assert_ne!(late, first);
    assert_eq!(runs_so_far(&env), 3);
    let records = env.records("logs/skill-invocations-");
    let hits: Vec<bool> = records
        .iter()
        .map(|r| r["cacheHit"].as_bool().unwrap())
        .collect();
    assert_eq!(hits, [false, true, false, false]);
    for r in &records {
        for k in ["peakRssMb", "cpuUserMs", "cpuSystemMs"] {
            assert!(r["metadata"][k].is_number(), "{k} in {r}");
        }
        assert_eq!(r["result"], "success");
    }
    assert_eq!(
        records[1]["metadata"]["cachedAt"],
        "2026-11-20T10:00:00.000Z"
    );
    // Files 0600 in 0700 folders, the params not stored in them.
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&env.path(".ccmon")), 0o700);
    assert_eq!(mode(&env.path(".ccmon/cache")), 0o700);
    let entries: Vec<String> = env
        .files()
        .into_iter()
        .filter(|f| f.starts_with(".ccmon/"))
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    for e in &entries {
        assert_eq!(mode(&env.path(e)), 0o600, "{e}");
        assert!(!env.read(e).contains("a.rs"), "{e}");
    }
    // cache clear: the next run runs.
    let (out, _, code) = env.run_bin("cc-log", &["cache", "clear"]);
    assert_eq!((out.as_str(), code), ("removed 2 cache entries\n", 0));
    cached_run(
        &env,
        r#"{"file":"a.rs","level":2}"#,
        "2026-11-20T11:00:02Z",
        0,
    );
    assert_eq!(runs_so_far(&env), 4);
}

#[test]
fn run_cache_never_saves_a_failed_run() {
    let env = Env::new();
    let t = "2026-11-20T10:00:00Z";
    let (_, _, code) = cached_run(&env, "{}", t, 3);
    assert_eq!(code, 3);
    let (_, _, code) = cached_run(&env, "{}", t, 3);
    assert_eq!(code, 3);
    assert_eq!(runs_so_far(&env), 2);
    assert!(!env.files().iter().any(|f| f.ends_with(".entry")));
    let records = env.records("logs/skill-invocations-");
    assert!(
        records
            .iter()
            .all(|r| r["cacheHit"] == false && r["result"] == "failure")
    );
    let (_, err, code) = env.run_bin(
        "cc-log",
        &["run", "--skill", "s", "--cache", "0s", "--", "true"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--cache"), "{err}");
}

#[test]
fn concurrent_cached_runs_of_one_key_leave_one_whole_entry() {
    let env = Env::new();
    let children: Vec<std::process::Child> = (0..8)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_cc-log"))
                .current_dir(env.root())
                .env_remove("CC_ROOT")
                .args(["run", "--skill", "gen", "--cache", "1h", "--"])
                .args([
                    "sh",
                    "-c",
                    "i=0; while [ $i -lt 2000 ]; do echo \"line $i of $$\"; i=$((i+1)); done",
                ])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut outputs = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 2000);
        outputs.push(text);
    }
    let files: Vec<String> = env
        .files()
        .into_iter()
        .filter(|f| f.starts_with(".ccmon/"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    // The next run is a hit that prints one of the outputs, whole.
    let (hit, _, code) = env.run_bin(
        "cc-log",
        &["run", "--skill", "gen", "--cache", "1h", "--", "false"],
    );
    assert_eq!(code, 0);
    assert!(outputs.contains(&hit));
    assert_eq!(env.records("logs/skill-invocations-").len(), 9);
}

/// Rich records as other tools write them: nested parameters, every number form, escapes,
/// spacing, duplicate keys, unknown fields, error objects, the `ts` alias, secrets in
/// every field. Each has an id and a time, so what is written is fully determined.
const RICH: &[&str] = &[
    r#"{"timestamp":"2026-11-20T10:00:00.000Z","id":"r01","skill":"code-review","result":"failure","duration":1462,"agent":"developer","model":"claude-opus-4-6","params":{"command":"pytest -q tests/test_api.py::test_login","path":"web/src/components/TokenBudget.tsx","max_tokens":4096,"url":"https://github.com/acme/app/pull/75"},"tags":["ci","run-0"],"error":"token limit exceeded (8192 > 4096)","metadata":{"env":{"GITHUB_TOKEN":"ghp_Ik2zwEQHfwcepYyNGfB51YbmwxAscRuzOl8G"}}}"#,
    r#"{"timestamp":"2026-11-20T10:00:01.001Z","id":"r02","skill":"edit","result":"success","duration":44989,"agent":"developer","model":"gpt-4o-mini-2024-07-18","params":{"command":"docker compose up -d postgres","path":"services/auth/session.go","max_tokens":4096,"url":"https://github.com/acme/app/pull/237"},"tags":["ci","run-0"]}"#,
    r#"{"timestamp":"2026-11-20T10:00:02Z","id":"r03","skill":"bash","metadata":{"cmd":"psql postgres://app:Xk29dLq0Zr7w@db:5432/prod -c 'select 1'"}}"#,
    r#"  { "ts" : "2026-11-20T12:00:00+02:00" , "id" : "r04" , "skill" : "spaced" , "duration" : 1.5e3 , "params" : { "a" : [ 1 , 2.50 , -0 , 1E2 , 18446744073709551615 , -9223372036854775808 , 1.7976931348623157e308 ] } }  "#,
    r#"{"ts":1763640000123,"id":"r05","skill":"millis","duration":0,"cacheHit":true,"agent":null,"runId":"run-7","cujId":"CUJ-005"}"#,
    r#"{"timestamp":"2026-11-20T10:00:05.000Z","id":"r06","skill":"esc\u00e9\/\"q\"\\\t","params":{"p\u0061ssword":"hunter2","note":"line\nbreak \ud83d\ude00 \u001f"}}"#,
    r#"{"timestamp":"2026-11-20T10:00:06.000Z","id":"r07","skill":"dup","params":{"k":1,"k":2,"z":{"x":null,"x":true}}}"#,
    r#"{"timestamp":"2026-11-20T10:00:07.000Z","id":"r08","skill":"errobj","result":"failure","error":{"message":"auth failed: Bearer abc123def456ghi789","code":401}}"#,
    r#"{"timestamp":"2026-11-20T10:00:08.000Z","id":"r09","skill":"errobj2","result":"timeout","error":{"code":504,"retry":true}}"#,
    r#"{"timestamp":"2026-11-20T10:00:09.000Z","id":"r10","skill":"extra","zeta":{"api_key":"sk-live-1234567890abcdef"},"alpha":[1,"two",{"three":3}],"errorDetail":"kept"}"#,
    r#"{"timestamp":"2026-11-20T10:00:10.000Z","id":"r11","skill":"argv","params":{"argv":["mysql","--password","s3cr3t-Pa55","-h","db"],"env":[{"name":"DB_PASSWORD","value":"pw-123456"},{"name":"HOME","value":"/root"}]}}"#,
    r#"{"timestamp":"2026-11-20T10:00:11.000Z","id":"r12","skill":"tags","tags":["ok","AKIA4YRJJ2TA7B8QRVOP","token=abcdef123456"],"agent":"xoxb-1234567890-abcdefghij"}"#,
    r#"{"timestamp":"2026-11-20T10:00:12.000Z","id":"r13","skill":"nested","params":{"credentials":{"user":"u","pass":"p4ss-w0rd!","type":"basic"},"ghp_abcdefghijklmnopqrstuvwxyz0123456789":1}}"#,
    r#"{"timestamp":"2026-11-20T10:00:13.000Z","id":"r14","skill":"host","host":"build-7","params":null,"metadata":"just text with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl","error":null}"#,
    r#"{"timestamp":"2026-11-20T10:00:14.000Z","id":"r15","skill":"empty-error","result":"failure","error":"","duration":12.25}"#,
    r#"{"timestamp":"2026-11-20T10:00:15.000Z","id":"r16","skill":"unicodé ✓","params":{"emoji":"😀","cjk":"日本語","max_tokens":8192,"token_budget":100,"tokenizer":"cl100k"}}"#,
];

#[test]
fn bulk_writes_the_bytes_single_records_write() {
    let (single, bulk) = (Env::new(), Env::new());
    for rec in RICH {
        single.record(rec);
    }
    let input: String = RICH.iter().map(|r| format!("{r}\n")).collect();
    let out = bulk
        .log()
        .args(["log", "-", "--json"])
        .write_stdin(input)
        .assert()
        .success()
        .stderr("")
        .get_output()
        .stdout
        .clone();
    assert_eq!(single.files(), bulk.files());
    let mut written = Vec::new();
    for file in single.files() {
        let want = single.read(&file);
        assert_eq!(bulk.read(&file), want, "{file}");
        written.extend_from_slice(want.as_bytes());
    }
    assert_eq!(
        json_lines(&String::from_utf8(written.clone()).unwrap()).len(),
        RICH.len()
    );
    // --json prints the records as written (two daily files here: r05's time is in 2025).
    let mut printed: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    let mut stored: Vec<&str> = std::str::from_utf8(&written).unwrap().lines().collect();
    printed.sort_unstable();
    stored.sort_unstable();
    assert_eq!(printed, stored);
    // Spot checks that the records above were redacted and normalized as meant.
    let text = String::from_utf8(written).unwrap();
    for secret in [
        "ghp_Ik2zwEQHfwcepYyNGfB51YbmwxAscRuzOl8G",
        "Xk29dLq0Zr7w",
        "hunter2",
        "abc123def456ghi789",
        "sk-live-1234567890abcdef",
        "s3cr3t-Pa55",
        "pw-123456",
        "AKIA4YRJJ2TA7B8QRVOP",
        "xoxb-1234567890",
        "p4ss-w0rd!",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "c2lnbmF0dXJl",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(
        text.contains(r#""params":{"k":2,"z":{"x":true}}"#),
        "{text}"
    );
    assert!(
        text.contains(r#""error":"{\"code\":504,\"retry\":true}""#),
        "{text}"
    );
    assert!(text.contains(r#""tokenizer":"cl100k""#), "{text}");
}
