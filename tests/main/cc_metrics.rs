//! `cc-metrics` against hand-built histories, with "now" fixed through `CC_NOW`.

use crate::common;

use common::Env;
use serde_json::{Value, json};

const NOW: &str = "2026-11-20T12:30:00Z";
const DAY_FILE: &str = "analytics/cuj-metrics-2026-11-20.jsonl";

fn exec(ts: &str, cuj: &str, success: bool, duration: f64, extra: &str) -> String {
    format!(
        r#"{{"timestamp":"{ts}","cujId":"{cuj}","success":{success},"duration":{duration}{extra}}}"#
    )
}

/// The history most tests read. Times are relative to NOW = 2026-11-20 12:30 UTC.
fn history() -> Env {
    let env = Env::new();
    let today = [
        exec("2026-11-20T12:10:00.000Z", "CUJ-005", true, 100.0, ""),
        exec(
            "2026-11-20T12:20:00.000Z",
            "CUJ-005",
            true,
            300.0,
            r#","quality":{"correctness":60,"typeSafety":80,"composite":70,"threshold":75,"thresholdResult":false}"#,
        ),
        exec(
            "2026-11-20T11:40:00.000Z",
            "CUJ-005",
            false,
            500.0,
            r#","error":"timeout after 30s on run 17","workflow":"review","iterations":4"#,
        ),
        exec(
            "2026-11-20T11:05:00.000Z",
            "CUJ-005",
            true,
            200.0,
            r#","workflow":"review","iterations":2,"quality":{"correctness":90,"codeStyle":70}"#,
        ),
        exec(
            "2026-11-20T02:00:00.000Z",
            "CUJ-005",
            false,
            900.0,
            r#","error":"timeout after 45s on run 99""#,
        ),
        // In the future: windows ending now leave it out.
        exec("2026-11-20T12:45:00.000Z", "CUJ-005", false, 5.0, ""),
        exec(
            "2026-11-20T12:25:00.000Z",
            "CUJ-006",
            false,
            700.0,
            r#","error":"connection refused","workflow":"deploy""#,
        ),
    ];
    env.write(DAY_FILE, today.join("\n") + "\n");
    env.write(
        "analytics/cuj-metrics-2026-11-19.jsonl",
        exec(
            "2026-11-19T13:00:00.000Z",
            "CUJ-006",
            true,
            400.0,
            r#","workflow":"deploy","iterations":3"#,
        ) + "\n",
    );
    env.write(
        "analytics/cuj-metrics-2026-11-18.jsonl",
        exec(
            "2026-11-18T12:00:00.000Z",
            "CUJ-005",
            false,
            1000.0,
            r#","error":{"message":"HTTP 429: rate limited, key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij","code":429}"#,
        ) + "\n",
    );
    env.write(
        "analytics/cuj-metrics-2026-11-01.jsonl",
        exec("2026-11-01T00:00:00.000Z", "CUJ-005", true, 50.0, "") + "\n",
    );
    env
}

/// Runs cc-metrics at NOW; returns (stdout, stderr, code).
fn at_now(env: &Env, args: &[&str]) -> (String, String, i32) {
    common::outcome(env.metrics().env("CC_NOW", NOW).args(args))
}

/// The JSON document of `cc-metrics ARGS --json` at NOW, which must succeed silently.
#[track_caller]
fn json_at_now(env: &Env, args: &[&str]) -> Value {
    env.test("cc-metrics")
        .env("CC_NOW", NOW)
        .args(args)
        .arg("--json")
        .stdout_any()
        .run()
        .json()
}

#[test]
fn rate_over_windows_including_compat_milliseconds() {
    let env = history();
    let day = json!({"cujId": "CUJ-005", "windowMs": 86_400_000, "total": 5, "successes": 3,
                     "failures": 2, "successRate": 0.6});
    assert_eq!(json_at_now(&env, &["rate", "CUJ-005"]), day);
    assert_eq!(json_at_now(&env, &["rate", "CUJ-005", "86400000"]), day);
    assert_eq!(json_at_now(&env, &["rate", "CUJ-005", "24h"]), day);
    assert_eq!(
        json_at_now(&env, &["rate", "CUJ-005", "1h"]),
        json!({"cujId": "CUJ-005", "windowMs": 3_600_000, "total": 3, "successes": 2,
               "failures": 1, "successRate": 2.0 / 3.0})
    );
    assert_eq!(
        json_at_now(&env, &["rate", "CUJ-005", "30d"])["total"],
        json!(7)
    );
    let (out, _, code) = at_now(&env, &["rate", "CUJ-005"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "CUJ-005: 60.0% success over the last 24h (3 of 5 executions; 2 failures)\n"
    );
    // Empty windows: a sentence for people, nulls for programs.
    let (out, _, code) = at_now(&env, &["rate", "CUJ-404"]);
    assert_eq!(
        (out.as_str(), code),
        ("no executions of CUJ-404 in the last 24h\n", 0)
    );
    assert_eq!(
        json_at_now(&env, &["rate", "CUJ-404", "1h"]),
        json!({"cujId": "CUJ-404", "windowMs": 3_600_000, "total": 0, "successes": 0,
               "failures": 0, "successRate": null})
    );
}

#[test]
fn all_with_one_window_and_with_the_standard_columns() {
    let env = history();
    let rows = json!([
        {"cujId": "CUJ-005", "total": 5, "successes": 3, "failures": 2, "successRate": 0.6,
         "p50": 300.0, "p95": 900.0, "p99": 900.0,
         "lastRun": "2026-11-20T12:20:00.000Z", "lastFailure": "2026-11-20T11:40:00.000Z"},
        {"cujId": "CUJ-006", "total": 2, "successes": 1, "failures": 1, "successRate": 0.5,
         "p50": 400.0, "p95": 700.0, "p99": 700.0,
         "lastRun": "2026-11-20T12:25:00.000Z", "lastFailure": "2026-11-20T12:25:00.000Z"}
    ]);
    assert_eq!(json_at_now(&env, &["all", "86400000"]), rows);
    assert_eq!(json_at_now(&env, &["all", "24h"]), rows);

    let all = json_at_now(&env, &["all"]);
    let w = &all[0]["windows"];
    let counts = |k: &str| {
        (
            w[k]["total"].as_u64().unwrap(),
            w[k]["successes"].as_u64().unwrap(),
            w[k]["failures"].as_u64().unwrap(),
        )
    };
    assert_eq!(all[0]["cujId"], "CUJ-005");
    assert_eq!(counts("1h"), (3, 2, 1));
    assert_eq!(counts("24h"), (5, 3, 2));
    assert_eq!(counts("7d"), (6, 3, 3));
    assert_eq!(counts("30d"), (7, 4, 3));
    assert_eq!(w["30d"]["successRate"], json!(4.0 / 7.0));
    assert_eq!(all[0]["lastRun"], "2026-11-20T12:20:00.000Z");
    let keys: Vec<&str> = w.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["1h", "24h", "7d", "30d"]);
    assert_eq!(all[1]["windows"]["1h"]["successRate"], json!(0.0));

    let (out, _, _) = at_now(&env, &["all"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "CUJ             1H        24H         7D        30D  P95 (24H)             LAST RUN         LAST FAILURE"
    );
    assert_eq!(
        lines[1],
        "CUJ-005  66.7% (3)  60.0% (5)  50.0% (6)  57.1% (7)      900ms  2026-11-20 12:20:00  2026-11-20 11:40:00"
    );
    let (out, _, _) = at_now(&env, &["all", "1s"]);
    assert_eq!(out, "no journey executions in the last 1s\n");
}

#[test]
fn trending_buckets_are_aligned_with_empty_ones_and_a_partial_last() {
    let env = history();
    let v = json_at_now(&env, &["trending", "CUJ-005", "24", "3600000"]);
    assert_eq!(v["cujId"], "CUJ-005");
    assert_eq!(v["bucketMs"], 3_600_000);
    let buckets = v["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 24);
    assert_eq!(buckets[0]["start"], "2026-11-19T13:00:00.000Z");
    assert_eq!(buckets[23]["start"], "2026-11-20T12:00:00.000Z");
    // The current hour holds 12:10 and 12:20, not the future 12:45.
    assert_eq!(
        buckets[23],
        json!({"start": "2026-11-20T12:00:00.000Z", "total": 2, "successes": 2,
               "successRate": 1.0, "p50": 100.0, "p95": 300.0})
    );
    assert_eq!(
        buckets[22],
        json!({"start": "2026-11-20T11:00:00.000Z", "total": 2, "successes": 1,
               "successRate": 0.5, "p50": 200.0, "p95": 500.0})
    );
    assert_eq!(
        buckets[13],
        json!({"start": "2026-11-20T02:00:00.000Z", "total": 1, "successes": 0,
               "successRate": 0.0, "p50": 900.0, "p95": 900.0})
    );
    let empty: Vec<usize> = (0..24).filter(|&i| buckets[i]["total"] == 0).collect();
    assert_eq!(empty.len(), 21);
    assert!(
        empty
            .iter()
            .all(|&i| buckets[i]["successRate"].is_null() && buckets[i]["p50"].is_null())
    );
    // The defaults are 24 buckets of 1h.
    assert_eq!(json_at_now(&env, &["trending", "CUJ-005"]), v);

    let (out, _, _) = at_now(&env, &["trending", "CUJ-005", "4", "1h"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "CUJ-005: success rate per 1h over the last 4h  ··▅█"
    );
    assert_eq!(
        lines[1],
        "START                TOTAL  SUCCESS    P50    P95"
    );
    assert_eq!(
        lines[2],
        "2026-11-20 09:00:00      0        -      -      -"
    );
    assert_eq!(
        lines[4],
        "2026-11-20 11:00:00      2    50.0%  200ms  500ms"
    );
}

#[test]
fn failures_group_by_pattern_with_categories_and_redacted_examples() {
    let env = history();
    let v = json_at_now(&env, &["failures", "CUJ-005"]);
    assert_eq!(v["cujId"], "CUJ-005");
    assert_eq!(v["windowMs"], 7 * 86_400_000i64);
    assert_eq!(v["totalFailures"], 3);
    assert_eq!(
        v["patterns"][0],
        json!({"pattern": "timeout after <n>s on run <n>", "count": 2, "share": 2.0 / 3.0,
               "firstSeen": "2026-11-20T02:00:00.000Z", "lastSeen": "2026-11-20T11:40:00.000Z",
               "category": "timeout", "example": "timeout after 30s on run 17"})
    );
    assert_eq!(
        v["patterns"][1],
        json!({"pattern": "HTTP <n>: rate limited, key [REDACTED]", "count": 1, "share": 1.0 / 3.0,
               "firstSeen": "2026-11-18T12:00:00.000Z", "lastSeen": "2026-11-18T12:00:00.000Z",
               "category": "rate_limit", "example": "HTTP 429: rate limited, key [REDACTED]"})
    );
    assert_eq!(v["patterns"].as_array().unwrap().len(), 2);
    // --top keeps the total.
    let top = json_at_now(&env, &["failures", "CUJ-005", "--top", "1"]);
    assert_eq!(top["patterns"].as_array().unwrap().len(), 1);
    assert_eq!(top["totalFailures"], 3);
    // A shorter window.
    let day = json_at_now(&env, &["failures", "CUJ-005", "24h"]);
    assert_eq!(day["totalFailures"], 2);

    let (out, _, _) = at_now(&env, &["failures", "CUJ-005"]);
    assert!(!out.contains("sk-ant-"), "{out}");
    assert_eq!(
        out.lines().take(5).collect::<Vec<_>>(),
        [
            "CUJ-005: 3 failures in the last 7d, 2 patterns",
            "",
            "    2   66.7%  timeout  first 2026-11-20 02:00:00  last 2026-11-20 11:40:00",
            "       timeout after <n>s on run <n>",
            "       e.g. timeout after 30s on run 17",
        ]
    );
    let (out, _, _) = at_now(&env, &["failures", "CUJ-006", "1m"]);
    assert_eq!(out, "no failures of CUJ-006 in the last 1m\n");
}

#[test]
fn percentiles_are_nearest_rank() {
    let env = Env::new();
    let lines: Vec<String> = (1..=100)
        .map(|i| {
            exec(
                &format!("2026-11-20T10:{:02}:{:02}.000Z", i / 60, i % 60),
                "CUJ-P",
                true,
                f64::from(i) * 10.0,
                "",
            )
        })
        .collect();
    env.write(DAY_FILE, lines.join("\n") + "\n");
    let want = json!({"cujId": "CUJ-P", "windowMs": 86_400_000, "count": 100, "min": 10.0,
                      "p50": 500.0, "p75": 750.0, "p90": 900.0, "p95": 950.0, "p99": 990.0,
                      "max": 1000.0, "mean": 505.0});
    assert_eq!(json_at_now(&env, &["percentiles", "CUJ-P"]), want);
    let (out, _, _) = at_now(&env, &["percentiles", "CUJ-P"]);
    assert_eq!(
        out,
        "CUJ-P: durations of 100 executions over the last 24h\n\
         COUNT   MIN    P50    P75    P90    P95    P99    MAX   MEAN\n  \
         100  10ms  500ms  750ms  900ms  950ms  990ms  1.00s  505ms\n"
    );
    assert_eq!(
        json_at_now(&env, &["percentiles", "CUJ-P", "1m"]),
        json!({"cujId": "CUJ-P", "windowMs": 60_000, "count": 0, "min": null, "p50": null,
               "p75": null, "p90": null, "p95": null, "p99": null, "max": null, "mean": null})
    );
}

#[test]
fn workflows_and_quality() {
    let env = history();
    assert_eq!(
        json_at_now(&env, &["workflows"]),
        json!([
            {"workflow": "deploy", "runs": 2, "successRate": 0.5, "meanIterations": 3.0,
             "meanDuration": 550.0, "p95Duration": 700.0, "meanQuality": null},
            {"workflow": "review", "runs": 2, "successRate": 0.5, "meanIterations": 3.0,
             "meanDuration": 350.0, "p95Duration": 500.0, "meanQuality": 80.0}
        ])
    );
    let (out, _, _) = at_now(&env, &["workflows", "1h"]);
    assert_eq!(
        out,
        "WORKFLOW  RUNS  SUCCESS  ITERATIONS   MEAN    P95  QUALITY\n\
         deploy       1     0.0%           -  700ms  700ms        -\n\
         review       1     0.0%         4.0  500ms  500ms        -\n"
    );

    let q = json_at_now(&env, &["quality", "--cuj", "CUJ-005", "2", "1h"]);
    assert_eq!(q["bucketMs"], 3_600_000);
    assert_eq!(q["threshold"], 80.0);
    assert_eq!(
        q["buckets"],
        json!([
            {"start": "2026-11-20T11:00:00.000Z", "scored": 1, "composite": 80.0,
             "correctness": 90.0, "typeSafety": null, "codeStyle": 70.0, "testCoverage": null,
             "completeness": null, "meetingThreshold": 1.0},
            {"start": "2026-11-20T12:00:00.000Z", "scored": 1, "composite": 70.0,
             "correctness": 60.0, "typeSafety": 80.0, "codeStyle": null, "testCoverage": null,
             "completeness": null, "meetingThreshold": 0.0}
        ])
    );
    assert_eq!(q["overall"]["composite"], 75.0);
    assert_eq!(q["overall"]["correctness"], 75.0);
    assert_eq!(q["overall"]["meetingThreshold"], 0.5);
    assert_eq!(q["overall"]["scored"], 2);
    // Filters: the review workflow has one scored execution; deploy has none.
    let review = json_at_now(&env, &["quality", "--workflow", "review"]);
    assert_eq!(review["overall"]["scored"], 1);
    assert_eq!(review["buckets"].as_array().unwrap().len(), 24);
    let (out, _, _) = at_now(&env, &["quality", "--workflow", "deploy"]);
    assert_eq!(
        out,
        "no quality scores in workflow deploy in the last 24h\n"
    );
    // A name with control characters is shown escaped, in a title as in a table.
    let (out, _, _) = at_now(&env, &["quality", "--workflow", "de\x1b[2Jploy"]);
    assert_eq!(
        out,
        "no quality scores in workflow de\\e[2Jploy in the last 24h\n"
    );
    let (out, _, _) = at_now(&env, &["quality", "--cuj", "CUJ-005\r"]);
    assert!(!out.contains('\r') && !out.contains('\x1b'), "{out:?}");
}

fn stored(env: &Env) -> Vec<Value> {
    let mut out = Vec::new();
    for f in env.files() {
        if f.starts_with("analytics/cuj-metrics") {
            for line in env.read(&f).lines() {
                let mut v: Value = serde_json::from_str(line).unwrap();
                let obj = v.as_object_mut().unwrap();
                assert!(
                    obj.remove("id")
                        .is_some_and(|id| id.as_str().unwrap().len() == 26)
                );
                out.push(v);
            }
        }
    }
    out
}

#[test]
fn record_with_every_flag_computes_quality() {
    let env = Env::new();
    env.write(
        "ccmon.json",
        r#"{"host": false, "quality": {"threshold": 85}}"#,
    );
    env.test("cc-metrics")
        .args([
            "record",
            "CUJ-005",
            "ok",
            "1.5s",
            "--error",
            "partial output",
            "--workflow",
            "review-and-fix",
            "--run-id",
            "run-001",
            "--source",
            "merge_agent",
            "--iterations",
            "2",
            "--agent",
            "developer",
            "--agent",
            "checker",
            "--warning",
            "slow",
            "--quality",
            "correctness=90,type_safety=80,codeStyle=85,testCoverage=70,completeness=95",
            "--weights",
            "correctness=2",
            "--metadata",
            r#"{"branch":"main","password":"hunter2"}"#,
            "--timestamp",
            "2026-11-20T13:45:01.123Z",
        ])
        .run();
    // Composite: (2*90 + 80 + 85 + 70 + 95) / 6 = 85; the configured threshold is 85.
    assert_eq!(
        stored(&env),
        [
            json!({"timestamp": "2026-11-20T13:45:01.123Z", "cujId": "CUJ-005", "success": true,
                "duration": 1500.0, "error": "partial output", "workflow": "review-and-fix",
                "runId": "run-001", "source": "merge_agent", "iterations": 2,
                "agents": ["developer", "checker"], "warnings": ["slow"],
                "quality": {"correctness": 90.0, "typeSafety": 80.0, "codeStyle": 85.0,
                            "testCoverage": 70.0, "completeness": 95.0, "composite": 85.0,
                            "threshold": 85.0, "thresholdResult": true},
                "metadata": {"branch": "main", "password": "[REDACTED]"}})
        ]
    );
    let text = env.read(DAY_FILE);
    assert!(
        text.contains(r#""quality":{"correctness":90.0,"typeSafety":80.0,"#),
        "{text}"
    );
}

#[test]
fn record_compat_and_success_words() {
    let env = Env::new();
    env.write("ccmon.json", r#"{"host": false}"#);
    for (word, want) in [
        ("true", true),
        ("false", false),
        ("1", true),
        ("0", false),
        ("ok", true),
        ("fail", false),
        ("TRUE", true),
    ] {
        env.test("cc-metrics")
            .args(["record", "CUJ-005", word, "1234"])
            .args(["--timestamp", "2026-11-20T10:00:00Z"])
            .run();
        let last = stored(&env).pop().unwrap();
        assert_eq!(
            last,
            json!({"timestamp": "2026-11-20T10:00:00.000Z", "cujId": "CUJ-005",
                   "success": want, "duration": 1234.0, "error": null}),
            "{word}"
        );
    }
    // --json prints the stored record; the composite uses --threshold.
    let out = env
        .metrics()
        .args(["record", "CUJ-1", "true", "10", "--json"])
        .args(["--quality", "correctness=79.995", "--threshold", "80"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["quality"],
        json!({"correctness": 79.995, "composite": 80.0, "threshold": 80.0, "thresholdResult": true})
    );
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let env = Env::new();
    let cases: [(&[&str], &str); 13] = [
        (&["record", "CUJ-005", "true", "-5"], "DURATION"),
        (&["record", "CUJ-005", "maybe", "5"], "SUCCESS"),
        (
            &[
                "record",
                "CUJ-005",
                "true",
                "5",
                "--quality",
                "correctness=120",
            ],
            "outside 0–100",
        ),
        (
            &[
                "record",
                "CUJ-005",
                "true",
                "5",
                "--quality",
                "corectness=50",
            ],
            "unknown quality dimension",
        ),
        (
            &["record", "CUJ-005", "true", "5", "--quality", "correctness"],
            "NAME=NUMBER",
        ),
        (
            &[
                "record",
                "CUJ-005",
                "true",
                "5",
                "--weights",
                "correctness=2",
            ],
            "--quality",
        ),
        (
            &["record", "CUJ-005", "true", "5", "--source", "robot"],
            "--source",
        ),
        (
            &["record", "CUJ-005", "true", "5", "--metadata", "{"],
            "--metadata",
        ),
        (&["record", "", "true", "5"], "CUJ"),
        (&["rate", "CUJ-005", "soon"], "WINDOW"),
        (&["trending", "CUJ-005", "0"], "BUCKETS"),
        (&["trending", "CUJ-005", "24", "-1h"], "BUCKET"),
        (
            &["run", "CUJ-005", "--run-id", "", "--", "true"],
            "--run-id",
        ),
    ];
    for (args, needle) in cases {
        env.test("cc-metrics")
            .args(args)
            .exit(2)
            .stderr_contains(needle)
            .writes_nothing()
            .run();
    }
    assert_eq!(env.files(), Vec::<String>::new());
}

#[test]
fn malformed_lines_are_skipped_with_one_warning() {
    let env = history();
    let mut text = env.read(DAY_FILE);
    text.push_str("{\"timestamp\":\"2026-11-20T12:00:00Z\",\"cujId\":\"CUJ-005\",\"succ\n");
    text.push_str("[\"2026-11-20T12:00:00Z\",\"CUJ-005\",true,5]\n");
    text.push_str(&exec("2026-11-20T12:00:00Z", "CUJ-005", true, -5.0, ""));
    text.push_str("\n\n");
    env.write(DAY_FILE, text);
    let (out, err, code) = at_now(&env, &["rate", "CUJ-005", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["total"], 5);
    assert_eq!(
        err,
        "warning: skipped 3 malformed lines (analytics/cuj-metrics-2026-11-20.jsonl:8, \
         analytics/cuj-metrics-2026-11-20.jsonl:9, analytics/cuj-metrics-2026-11-20.jsonl:10)\n"
    );
    let (_, _, code) = at_now(&env, &["all", "--strict"]);
    assert_eq!(code, 1);
}

#[test]
fn prune_removes_old_metric_files_only() {
    let env = history();
    env.write("logs/skill-invocations-2026-11-01.jsonl", "{}\n");
    let (out, _, code) = at_now(&env, &["prune", "--older-than", "10d"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("deleted analytics/cuj-metrics-2026-11-01.jsonl"),
        "{out}"
    );
    assert!(env.path("logs/skill-invocations-2026-11-01.jsonl").exists());
    assert!(!env.path("analytics/cuj-metrics-2026-11-01.jsonl").exists());
}

fn progress(env: &Env) -> Vec<Value> {
    env.files()
        .iter()
        .filter(|f| f.starts_with("analytics/progress-"))
        .flat_map(|f| {
            env.read(f)
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn run_passes_the_exit_code_through_and_records_resources() {
    let env = Env::new();
    let out = env
        .metrics()
        .args(["run", "CUJ-R", "--workflow", "nightly", "--"])
        .args(["sh", "-c", "cat; echo oops >&2; exit 3"])
        .write_stdin("from stdin\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from stdin\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("oops\ncc-metrics: CUJ-R failed in "),
        "{err}"
    );
    assert!(err.contains("(exit 3) · peak RSS "), "{err}");

    let rec = stored(&env).pop().unwrap();
    let run_id = rec["runId"].as_str().unwrap().to_string();
    assert!(run_id.starts_with("run-") && run_id.len() == 30, "{run_id}");
    assert_eq!(rec["cujId"], "CUJ-R");
    assert_eq!(rec["success"], false);
    assert_eq!(rec["error"], "oops");
    assert_eq!(rec["workflow"], "nightly");
    assert_eq!(rec["source"], "cli");
    assert_eq!(
        rec["metadata"],
        json!({"exitCode": 3, "command": "sh -c cat; echo oops >&2; exit 3"})
    );
    let res = rec["resources"].as_object().unwrap();
    let keys: Vec<&str> = res.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["durationMs", "peakRssMb", "cpuUserMs", "cpuSystemMs"]
    );
    assert_eq!(res["durationMs"], rec["duration"]);
    assert!(res["peakRssMb"].as_f64().unwrap() > 0.0);

    let events = progress(&env);
    assert_eq!(events.len(), 2);
    assert_eq!(
        (
            &events[0]["runId"],
            &events[0]["status"],
            &events[0]["step"],
            &events[0]["percentage"]
        ),
        (&json!(run_id), &json!("running"), &json!(0), &json!(0.0))
    );
    assert_eq!(events[0]["name"], "CUJ-R (nightly)");
    assert_eq!(
        (
            &events[1]["runId"],
            &events[1]["status"],
            &events[1]["error"]
        ),
        (&json!(run_id), &json!("failed"), &json!("oops"))
    );
    // The run's end is announced once, like any run's.
    let notes = env.records("analytics/notifications-");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["type"], "run_failed");
    assert_eq!(notes[0]["message"], "CUJ-R (nightly) failed: oops");
}

#[test]
fn run_success_signals_and_missing_commands() {
    let env = Env::new();
    env.test("cc-metrics")
        .args(["run", "CUJ-R", "-q", "--", "true"])
        .run();
    let rec = stored(&env).pop().unwrap();
    assert_eq!(
        (&rec["success"], &rec["error"]),
        (&json!(true), &Value::Null)
    );
    let events = progress(&env);
    assert_eq!(events[1]["status"], "completed");
    assert_eq!(events[1]["percentage"], 100.0);

    env.metrics()
        .args(["run", "CUJ-R", "--", "sh", "-c", "kill -TERM $$"])
        .assert()
        .code(143);
    let rec = stored(&env).pop().unwrap();
    assert_eq!(rec["error"], "killed by SIGTERM");
    assert_eq!(rec["metadata"]["exitCode"], 143);

    env.metrics()
        .args(["run", "CUJ-R", "--", "/nonexistent/ccmon-command"])
        .assert()
        .code(127);
    let rec = stored(&env).pop().unwrap();
    assert_eq!(rec["success"], false);
    assert!(
        rec["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot run /nonexistent/ccmon-command:")
    );
    assert!(rec["resources"].get("peakRssMb").is_none());
}

#[test]
fn run_accounts_for_descendants() {
    let env = Env::new();
    // perl (in every Debian base system) grows to ~150 MiB as a grandchild and burns CPU.
    env.metrics()
        .args(["run", "CUJ-MEM", "-q", "--", "sh", "-c"])
        .arg("perl -e '$x = q(a) x (150 * 1024 * 1024); $i = 0; $i++ while $i < 3_000_000'; true")
        .assert()
        .code(0);
    let rec = stored(&env).pop().unwrap();
    let res = &rec["resources"];
    assert!(res["peakRssMb"].as_f64().unwrap() >= 150.0, "{res}");
    assert!(res["cpuUserMs"].as_f64().unwrap() > 0.0, "{res}");
}

#[test]
fn ctrl_c_reaches_the_command_and_the_run_is_recorded_as_failed() {
    let env = Env::new();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cc-metrics"))
        .current_dir(env.root())
        .env_remove("CC_ROOT")
        .args(["run", "CUJ-INT", "-q", "--", "sleep", "30"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (generously) for the start event, then interrupt the runner alone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while progress(&env).is_empty() {
        assert!(std::time::Instant::now() < deadline, "no start event");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill has no memory-safety preconditions.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let rec = stored(&env).pop().unwrap();
    assert_eq!(rec["success"], false);
    assert_eq!(rec["error"], "interrupted by SIGINT (exit code 130)");
    assert_eq!(rec["metadata"]["interruptedBy"], "SIGINT");
    assert!(rec["duration"].as_f64().unwrap() < 30_000.0);
    let events = progress(&env);
    assert_eq!(events.last().unwrap()["status"], "failed");
}

#[test]
fn a_one_hour_window_opens_at_most_two_files_of_a_month() {
    use ccmon::record::Timestamp;
    use ccmon::store::{Roots, Stream};
    let env = Env::new();
    for day in 1..=30 {
        env.write(
            &format!("analytics/cuj-metrics-2026-11-{day:02}.jsonl"),
            exec(
                &format!("2026-11-{day:02}T00:30:00Z"),
                "CUJ-005",
                true,
                1.0,
                "",
            ) + "\n",
        );
    }
    let roots = Roots::new(vec![env.root().to_path_buf()]);
    // Just after midnight the last hour spans two days; otherwise one.
    for (now, files) in [("2026-11-20T00:20:00Z", 2), ("2026-11-20T12:30:00Z", 1)] {
        let now = Timestamp::parse(now).unwrap();
        let since = Timestamp(now.0 - 3_600_000);
        let chosen = roots
            .files(Stream::CujMetrics, Some(since), Some(now))
            .unwrap();
        assert_eq!(chosen.len(), files, "{now}");
    }
    let (out, _, _) = at_now(&env, &["rate", "CUJ-005", "1h", "--json"]);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["total"], 0);
    let (out, _, _) = at_now(&env, &["rate", "CUJ-005", "30d", "--json"]);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["total"], 20);
}

/// Journeys run by `cc-metrics run` (a journey record and a progress run with the same
/// id), progress runs alone, provider errors and a failing service.
fn runs_and_journeys(env: &Env) {
    let ok = |bin: &str, args: &[&str]| {
        let (_, err, code) = env.run_bin(bin, args);
        assert!(
            code == 0 || args.contains(&"fail-journey"),
            "{bin} {args:?}: {err}"
        );
    };
    ok(
        "cc-metrics",
        &[
            "run",
            "CUJ-1",
            "--workflow",
            "review",
            "--run-id",
            "wr-1",
            "--",
            "true",
        ],
    );
    let (_, _, code) = env.run_bin(
        "cc-metrics",
        &[
            "run",
            "CUJ-1",
            "--workflow",
            "review",
            "--run-id",
            "wr-4",
            "--",
            "sh",
            "-c",
            "echo 'connection refused to 10.0.0.7' >&2; exit 1",
        ],
    );
    assert_eq!(code, 1);
    ok(
        "cc-progress",
        &["start", "wr-2", "--steps", "2", "--workflow", "review"],
    );
    ok(
        "cc-progress",
        &["step", "wr-2", "design", "--iteration", "3"],
    );
    ok(
        "cc-progress",
        &["fail", "wr-2", "Missing API key for anthropic"],
    );
    ok(
        "cc-progress",
        &["start", "wr-3", "--steps", "1", "--workflow", "deploy"],
    );
    ok("cc-progress", &["complete", "wr-3"]);
    ok(
        "cc-progress",
        &["start", "wr-5", "--steps", "1", "--workflow", "deploy"],
    );
    ok(
        "cc-health",
        &[
            "record",
            "anthropic",
            "false",
            "100",
            "--error",
            "HTTP 429: rate limit exceeded",
        ],
    );
    ok(
        "cc-health",
        &[
            "record",
            "e2b",
            "false",
            "0",
            "--kind",
            "service",
            "--error",
            "sandbox crashed",
        ],
    );
}

#[test]
fn workflows_and_failures_cover_progress_runs_once() {
    let env = Env::new();
    runs_and_journeys(&env);
    let (out, err, code) = env.run_bin("cc-metrics", &["workflows", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: Value = serde_json::from_str(&out).unwrap();
    let got: Vec<(&str, u64, f64, Option<f64>)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["workflow"].as_str().unwrap(),
                r["runs"].as_u64().unwrap(),
                r["successRate"].as_f64().unwrap(),
                r["meanIterations"].as_f64(),
            )
        })
        .collect();
    // review: wr-1 and wr-4 once each (journey + progress run), wr-2 from progress;
    // deploy: wr-3 (wr-5 still runs).
    assert_eq!(
        got,
        [
            ("review", 3, 1.0 / 3.0, Some(3.0)),
            ("deploy", 1, 1.0, None)
        ]
    );
    let (out, err, code) = env.run_bin("cc-metrics", &["failures", "--all", "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["cujId"], "*");
    assert_eq!(report["totalFailures"], 3);
    let mut got: Vec<(String, String, Value)> = report["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["category"].as_str().unwrap().to_string(),
                p["example"].as_str().unwrap().to_string(),
                p["sources"].clone(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            (
                "auth".into(),
                "Missing API key for anthropic".into(),
                json!({"run": 1})
            ),
            (
                "network".into(),
                "connection refused to 10.0.0.7".into(),
                json!({"journey": 1})
            ),
            (
                "rate_limit".into(),
                "HTTP 429: rate limit exceeded".into(),
                json!({"provider": 1})
            ),
        ]
    );
    let (out, _, code) = env.run_bin("cc-metrics", &["failures", "--all", "7d"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("journeys, runs and providers: 3 failures in the last 7d"),
        "{out}"
    );
    assert!(out.contains("from 1 provider"), "{out}");
    // One journey's report is unchanged: no sources.
    let (out, _, _) = env.run_bin("cc-metrics", &["failures", "CUJ-1", "--json"]);
    let one: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(one["totalFailures"], 1);
    assert!(one["patterns"][0].get("sources").is_none());
    let (_, err, code) = env.run_bin("cc-metrics", &["failures", "--all", "CUJ-1", "7d"]);
    assert_eq!(code, 2, "{err}");
    // workflow_completed with run_completed, for runs that carry a workflow.
    let kinds: Vec<String> = env
        .records("analytics/notifications-")
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "run_completed",
            "workflow_completed",
            "run_failed",
            "run_failed",
            "run_completed",
            "workflow_completed",
            // anthropic's failed call; the failing service announces nothing.
            "provider_down"
        ]
    );
    common::validate_root(env.root());
}
