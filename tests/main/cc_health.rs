//! `cc-health` against hand-built histories, with "now" fixed through `CC_NOW`.

use crate::common::{self, Env, Test};
use serde_json::{Value, json};

const NOW: &str = "2026-11-20T12:00:00Z";
const FILE: &str = "analytics/provider-health-2026-11-20.jsonl";

/// A call `secs` seconds before NOW.
fn call(provider: &str, secs: u32, ok: bool, latency: f64, extra: &str) -> String {
    let t = 12 * 3600 - secs;
    format!(
        r#"{{"timestamp":"2026-11-20T{:02}:{:02}:{:02}.000Z","provider":"{provider}","success":{ok},"latency":{latency}{extra}}}"#,
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// `n` calls of `provider`, one per `gap` seconds ending at NOW; `fail(i)` picks the
/// failures (i = 0 is the oldest).
fn calls(provider: &str, n: u32, fail: impl Fn(u32) -> bool) -> Vec<String> {
    (0..n)
        .map(|i| call(provider, (n - i) * 10, !fail(i), 100.0 + f64::from(i), ""))
        .collect()
}

fn write(env: &Env, lines: &[Vec<String>]) {
    let all: Vec<String> = lines.iter().flatten().cloned().collect();
    env.write(FILE, all.join("\n") + "\n");
}

/// `cc-health` on `env`'s root with "now" fixed at NOW.
fn at_now(env: &Env) -> Test<'_> {
    env.test("cc-health").env("CC_NOW", NOW)
}

/// The JSON document of `cc-health ARGS --json` at NOW, which must succeed silently.
#[track_caller]
fn json_at_now(env: &Env, args: &[&str]) -> Value {
    at_now(env)
        .args(args)
        .arg("--json")
        .stdout_any()
        .run()
        .json()
}

fn status_of(env: &Env, provider: &str) -> (String, String) {
    let v = json_at_now(env, &["status", provider]);
    (
        v["status"].as_str().unwrap().to_string(),
        v["reason"].as_str().unwrap().to_string(),
    )
}

#[test]
fn each_status_rule_at_its_boundary() {
    let env = Env::new();
    write(
        &env,
        &[
            // 19 of 20: exactly 95% is healthy; 17 of 18 (94.4%) is degraded.
            calls("at95", 20, |i| i == 3),
            calls("below95", 18, |i| i == 3),
            // 8 of 10: exactly 80% is degraded, not down; 7 of 9 (77.8%) is down.
            calls("at80", 10, |i| i == 1 || i == 4),
            calls("below80", 9, |i| i == 1 || i == 4),
            // 100 successes, then the last 5 fail: 95.2% but down; the last 3: degraded;
            // the last 2: healthy.
            calls("last5", 105, |i| i >= 100),
            calls("last3", 103, |i| i >= 100),
            calls("last2", 102, |i| i >= 100),
            // Only calls older than the window.
            vec![call("stale", 7200, true, 100.0, "")],
        ],
    );
    let cases = [
        ("at95", "healthy", "availability 95.0%, p95 118ms"),
        ("below95", "degraded", "availability 94.4% is below 95.0%"),
        ("at80", "degraded", "availability 80.0% is below 95.0%"),
        ("below80", "down", "availability 77.8% is below 80.0%"),
        ("last5", "down", "the last 5 calls failed"),
        ("last3", "degraded", "the last 3 calls failed"),
        ("last2", "healthy", "availability 98.0%, p95 196ms"),
        ("stale", "unknown", "no calls in the last 1h"),
        ("nobody", "unknown", "no calls in the last 1h"),
    ];
    for (provider, status, reason) in cases {
        assert_eq!(
            status_of(&env, provider),
            (status.to_string(), reason.to_string()),
            "{provider}"
        );
    }
    // A wider window sees the stale call.
    let v = json_at_now(&env, &["status", "stale", "--window", "3h"]);
    assert_eq!(v["status"], "healthy");
}

#[test]
fn thresholds_come_from_the_config() {
    let env = Env::new();
    env.write(
        "ccmon.json",
        r#"{"health": {"window": "30m", "degradedBelow": 0.99, "downBelow": 0.5,
            "degradedAfterFailures": 2, "downAfterFailures": 4, "p95LimitMs": 117}}"#,
    );
    write(
        &env,
        &[
            calls("slow", 20, |_| false),
            calls("exact", 18, |_| false),
            calls("flaky", 100, |i| i == 98 || i == 99),
            vec![call("old", 2400, true, 100.0, "")],
        ],
    );
    // Nearest rank: the p95 of 100..=119 is 118, above 117; of 100..=117 it is 117.
    assert_eq!(
        status_of(&env, "slow"),
        (
            "degraded".into(),
            "p95 latency 118ms is above the 117ms limit".into()
        )
    );
    assert_eq!(status_of(&env, "exact").0, "healthy");
    // 98%: below 99%.
    assert_eq!(
        status_of(&env, "flaky"),
        (
            "degraded".into(),
            "availability 98.0% is below 99.0%".into()
        )
    );
    // The 30m window: a call 40 minutes ago is outside it.
    assert_eq!(
        status_of(&env, "old"),
        ("unknown".into(), "no calls in the last 30m".into())
    );
    env.write("ccmon.json", r#"{"health": {"degradedBelow": 2}}"#);
    at_now(&env)
        .arg("status")
        .exit(2)
        .stderr_contains("health.degradedBelow")
        .writes_nothing()
        .run();
}

#[test]
fn status_rows_overall_and_compare() {
    let env = Env::new();
    let mut durations: Vec<String> = (1..=100)
        .map(|i| {
            call(
                "anthropic",
                3000 - i * 10,
                true,
                f64::from(i) * 10.0,
                r#","model":"claude-sonnet-4-5""#,
            )
        })
        .collect();
    durations.push(call(
        "anthropic",
        100,
        false,
        5.0,
        r#","error":{"message":"overloaded","code":529},"statusCode":529"#,
    ));
    write(&env, &[durations, calls("openai", 10, |i| i < 5)]);
    let rows = json_at_now(&env, &["status"]);
    assert_eq!(
        rows[0],
        json!({"provider": "anthropic", "status": "healthy",
               "reason": "availability 99.0%, p95 950ms", "availability": 100.0 / 101.0,
               "calls": 101, "failures": 1, "p50": 500.0, "p95": 950.0, "p99": 990.0,
               "lastError": "overloaded", "lastErrorAt": "2026-11-20T11:58:20.000Z"})
    );
    assert_eq!(rows[1]["status"], "down");
    at_now(&env)
        .args(["overall", "--json"])
        .stdout_json(json!({"status": "degraded",
               "reason": "1 of 2 providers healthy; openai down (availability 50.0% is below 80.0%)",
               "providers": {"anthropic": "healthy", "openai": "down"}}))
        .run();
    let compared = json_at_now(&env, &["compare"]);
    assert_eq!(compared[0]["provider"], "anthropic");
    assert_eq!(compared[1]["provider"], "openai");
    at_now(&env)
        .arg("overall")
        .stdout(
            "degraded: 1 of 2 providers healthy; openai down (availability 50.0% is below 80.0%)\n",
        )
        .run();
    at_now(&env)
        .args(["status", "anthropic"])
        .stdout(
        "PROVIDER   STATUS   AVAIL  CALLS  FAILED    P50    P95    P99  REASON\n\
         anthropic  healthy  99.0%    101       1  500ms  950ms  990ms  availability 99.0%, p95 950ms\n\
         \n\
         last error of anthropic (2026-11-20 11:58:20): overloaded\n",
        )
        .run();

    // Overall: all healthy, none healthy, no data.
    let all_ok = Env::new();
    write(
        &all_ok,
        &[calls("a", 5, |_| false), calls("b", 5, |_| false)],
    );
    assert_eq!(
        json_at_now(&all_ok, &["overall"])["reason"],
        "all 2 providers healthy"
    );
    let none_ok = Env::new();
    write(
        &none_ok,
        &[calls("a", 5, |_| true), calls("b", 20, |i| i < 2)],
    );
    assert_eq!(json_at_now(&none_ok, &["overall"])["status"], "down");
    let empty = Env::new();
    at_now(&empty)
        .args(["overall", "--json"])
        .stdout_json(
            json!({"status": "unknown", "reason": "no provider calls in the last 1h", "providers": {}}),
        )
        .run();
    at_now(&empty)
        .args(["status", "--json"])
        .stdout_json(json!([]))
        .run();
    at_now(&empty)
        .arg("status")
        .stdout("no provider calls in the last 1h\n")
        .run();
}

#[test]
fn check_lines_and_plugin_exit_codes() {
    let env = Env::new();
    write(
        &env,
        &[
            calls("good", 10, |_| false),
            calls("meh", 10, |i| i == 0),
            calls("bad", 10, |_| true),
        ],
    );
    let cases = [
        (
            vec!["check", "good"],
            0,
            "CC-HEALTH OK - good healthy (100.0%, p95 109ms) | availability=1 p95_ms=109 calls=10 failures=0",
        ),
        (
            vec!["check", "meh"],
            1,
            "CC-HEALTH WARNING - meh degraded (90.0%, p95 109ms): availability 90.0% is below 95.0% | availability=0.9 p95_ms=109 calls=10 failures=1",
        ),
        (
            vec!["check", "bad"],
            2,
            "CC-HEALTH CRITICAL - bad down (0.0%, p95 109ms): availability 0.0% is below 80.0% | availability=0 p95_ms=109 calls=10 failures=10",
        ),
        (
            vec!["check", "none"],
            3,
            "CC-HEALTH UNKNOWN - none: no calls in the last 1h | calls=0 failures=0",
        ),
    ];
    for (args, code, line) in cases {
        at_now(&env)
            .args(args)
            .exit(code)
            .stdout(format!("{line}\n"))
            .run();
    }
    let out = at_now(&env)
        .arg("check")
        .exit(1)
        .stdout_contains(" | bad_availability=0 bad_p95_ms=109 ")
        .run()
        .stdout;
    assert!(
        out.starts_with("CC-HEALTH WARNING - degraded: 1 of 3 providers healthy; "),
        "{out}"
    );
    // Problems are UNKNOWN, not a usage error.
    env.write("ccmon.json", "{not json");
    let out = at_now(&env)
        .args(["check", "good"])
        .exit(3)
        .stdout_any()
        .run()
        .stdout;
    assert!(out.starts_with("CC-HEALTH UNKNOWN - "), "{out}");
}

#[test]
fn usage_counts_tokens_and_costs_recorded_estimated_and_unpriced() {
    let env = Env::new();
    env.write(
        "ccmon.json",
        r#"{"pricing": {"house-model": {"input": 1.0, "output": 2.0, "cacheRead": 0.5, "cacheWrite": 1.5}}}"#,
    );
    let tokens = |model: &str, i: u64, o: u64, extra: &str| {
        format!(r#","model":"{model}","inputTokens":{i},"outputTokens":{o}{extra}"#)
    };
    write(
        &env,
        &[vec![
            // Estimated: 1M input at $3 + 100k output at $15 = $4.50.
            call(
                "anthropic",
                600,
                true,
                900.0,
                &tokens(
                    // (A model without long-context rates: one price for a million tokens.)
                    "claude-3-7-sonnet-20250219",
                    1_000_000,
                    100_000,
                    r#","runId":"run-1","stepType":"designer""#,
                ),
            ),
            // Recorded cost wins over the table.
            call(
                "anthropic",
                500,
                true,
                900.0,
                &tokens(
                    "claude-sonnet-4-5",
                    10,
                    10,
                    r#","costUsd":0.25,"runId":"run-1""#,
                ),
            ),
            // A config price: 2M in, 1M out, 1M cache read, 1M cache write = 2+2+0.5+1.5.
            call(
                "house",
                400,
                true,
                50.0,
                &tokens(
                    "house-model",
                    2_000_000,
                    1_000_000,
                    r#","cacheReadTokens":1000000,"cacheWriteTokens":1000000,"runId":"run-2""#,
                ),
            ),
            // No price: listed, never $0.
            call("local", 300, true, 50.0, &tokens("my-llama", 5000, 500, "")),
            // No tokens, no cost: nothing to price.
            call("local", 200, false, 50.0, ""),
        ]],
    );
    let rows = json_at_now(&env, &["usage"]);
    assert_eq!(
        rows,
        json!([
            {"key": "house", "calls": 1, "inputTokens": 2_000_000, "outputTokens": 1_000_000,
             "cacheReadTokens": 1_000_000, "cacheWriteTokens": 1_000_000, "costUsd": 6.0,
             "estimated": true, "unpricedModels": []},
            {"key": "anthropic", "calls": 2, "inputTokens": 1_000_010, "outputTokens": 100_010,
             "cacheReadTokens": 0, "cacheWriteTokens": 0, "costUsd": 4.75,
             "estimated": true, "unpricedModels": []},
            {"key": "local", "calls": 2, "inputTokens": 5000, "outputTokens": 500,
             "cacheReadTokens": 0, "cacheWriteTokens": 0, "costUsd": null,
             "estimated": false, "unpricedModels": ["my-llama"]}
        ])
    );
    let by_run = json_at_now(&env, &["usage", "--by", "run"]);
    let keys: Vec<&Value> = by_run
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["key"])
        .collect();
    assert_eq!(keys, [&json!("run-2"), &json!("run-1"), &Value::Null]);
    let by_day = json_at_now(&env, &["usage", "--by", "day", "--utc"]);
    assert_eq!(by_day[0]["key"], "2026-11-20");
    assert_eq!(by_day[0]["costUsd"], 10.75);
    assert_eq!(by_day[0]["unpricedModels"], json!(["my-llama"]));
    let by_step = json_at_now(&env, &["usage", "--by", "step"]);
    assert_eq!(
        (&by_step[1]["key"], &by_step[1]["costUsd"]),
        (&json!("designer"), &json!(4.5))
    );

    at_now(&env)
        .args(["usage", "--by", "model"])
        .stdout(
        "MODEL                       CALLS      INPUT     OUTPUT  CACHE READ  CACHE WRITE                COST\n\
         house-model                     1  2 000 000  1 000 000   1 000 000    1 000 000              ~$6.00\n\
         claude-3-7-sonnet-20250219      1  1 000 000    100 000           0            0              ~$4.50\n\
         claude-sonnet-4-5               1         10         10           0            0               $0.25\n\
         my-llama                        1      5 000        500           0            0            unpriced\n\
         -                               1          0          0           0            0                   -\n\
         TOTAL                           5  3 005 010  1 100 510   1 000 000    1 000 000  ~$10.75 + unpriced\n\
         ~ estimated from the price table (see --help)\n\
         unpriced (no known price; add them under \"pricing\" in ccmon.json): my-llama\n",
        )
        .run();
    at_now(&env)
        .args(["usage", "--since", "2026-11-21"])
        .stdout("no provider calls match\n")
        .run();
}

#[test]
fn errors_newest_first_redacted() {
    let env = Env::new();
    write(
        &env,
        &[vec![
            call(
                "openai",
                300,
                false,
                10.0,
                r#","error":"401 invalid key sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789","statusCode":401,"model":"gpt-4o""#,
            ),
            call(
                "anthropic",
                200,
                false,
                10.0,
                r#","error":"overloaded","statusCode":529"#,
            ),
            call("anthropic", 100, true, 10.0, ""),
            call(
                "openai",
                50,
                false,
                10.0,
                r#","error":{"message":"timeout after 30s"}"#,
            ),
        ]],
    );
    let rows = json_at_now(&env, &["errors"]);
    assert_eq!(
        rows,
        json!([
            {"timestamp": "2026-11-20T11:59:10.000Z", "provider": "openai", "error": "timeout after 30s",
             "statusCode": null, "model": null},
            {"timestamp": "2026-11-20T11:56:40.000Z", "provider": "anthropic", "error": "overloaded",
             "statusCode": 529, "model": null},
            {"timestamp": "2026-11-20T11:55:00.000Z", "provider": "openai",
             "error": "401 invalid key [REDACTED]", "statusCode": 401, "model": "gpt-4o"}
        ])
    );
    let limited = json_at_now(&env, &["errors", "openai", "--limit", "1"]);
    assert_eq!(limited.as_array().unwrap().len(), 1);
    assert_eq!(limited[0]["error"], "timeout after 30s");
    at_now(&env)
        .args(["errors", "nobody"])
        .stdout("no failed calls to nobody\n")
        .run();
}

#[test]
fn record_compat_and_every_flag() {
    let env = Env::new();
    env.write("ccmon.json", r#"{"host": false}"#);
    env.test("cc-health")
        .args(["record", "anthropic", "true", "1234"])
        .run();
    env.test("cc-health")
        .args([
            "record",
            "openai",
            "fail",
            "2.5s",
            "--error",
            "rate limited",
            "--status-code",
            "429",
            "--model",
            "gpt-4o",
            "--input-tokens",
            "100",
            "--output-tokens",
            "0",
            "--cache-read-tokens",
            "50",
            "--cache-write-tokens",
            "5",
            "--cost",
            "0.01",
            "--run-id",
            "run-001",
            "--step-type",
            "designer",
            "--tool",
            "claude",
            "--timestamp",
            "2026-11-20T10:00:00Z",
        ])
        // The first call of a provider, failed: it is down, and the run says so.
        .stderr("cc-health: openai is down: availability 0.0% is below 80.0%\n")
        .run();
    let mut recs = env.records("analytics/provider-health-");
    recs.sort_by_key(|r| r["timestamp"].as_str().unwrap().to_string());
    let mut first = recs[0].clone();
    first.as_object_mut().unwrap().remove("id");
    assert_eq!(
        first,
        json!({"timestamp": "2026-11-20T10:00:00.000Z", "provider": "openai", "success": false,
               "latency": 2500.0, "error": "rate limited", "statusCode": 429, "model": "gpt-4o",
               "inputTokens": 100, "outputTokens": 0, "cacheReadTokens": 50, "cacheWriteTokens": 5,
               "costUsd": 0.01, "runId": "run-001", "stepType": "designer", "toolId": "claude"})
    );
    assert_eq!(
        (&recs[1]["provider"], &recs[1]["latency"]),
        (&json!("anthropic"), &json!(1234.0))
    );
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let env = Env::new();
    let cases: [(&[&str], &str); 8] = [
        (&["record", "anthropic", "true", "-5"], "LATENCY"),
        (&["record", "anthropic", "maybe", "5"], "SUCCESS"),
        (
            &["record", "anthropic", "true", "5", "--status-code", "999"],
            "--status-code",
        ),
        (
            &["record", "anthropic", "true", "5", "--cost", "-1"],
            "--cost",
        ),
        (
            &["record", "anthropic", "true", "5", "--input-tokens", "-3"],
            "--input-tokens",
        ),
        (&["record", " ", "true", "5"], "PROVIDER"),
        (&["status", "--window", "soon"], "--window"),
        (&["usage", "--by", "color"], "--by"),
    ];
    for (args, needle) in cases {
        env.test("cc-health")
            .args(args)
            .exit(2)
            .stderr_contains(needle)
            .writes_nothing()
            .run();
    }
    assert_eq!(env.files(), Vec::<String>::new());
}

#[test]
fn notifications_once_per_transition() {
    let env = Env::new();
    let record = |ok: &str| {
        env.test("cc-health")
            .args(["record", "flaky", ok, "100", "-q"])
            .run();
    };
    let kinds = || -> Vec<String> {
        env.records("analytics/notifications-")
            .iter()
            .map(|n| {
                format!(
                    "{} {}",
                    n["type"].as_str().unwrap(),
                    n["provider"].as_str().unwrap()
                )
            })
            .collect()
    };
    record("true");
    assert!(kinds().is_empty());
    // 1 of 2 (50%): down, announced once however many failures follow.
    record("false");
    assert_eq!(kinds(), ["provider_down flaky"]);
    record("false");
    record("false");
    assert_eq!(kinds(), ["provider_down flaky"]);
    // Down until availability reaches 80% (12 of 15); 11 of 14 is still down.
    for _ in 0..10 {
        record("true");
    }
    assert_eq!(kinds(), ["provider_down flaky"]);
    record("true");
    assert_eq!(kinds(), ["provider_down flaky", "provider_recovered flaky"]);
    record("true");
    assert_eq!(kinds().len(), 2);
    let n = env.records("analytics/notifications-");
    assert_eq!(
        n[0]["message"],
        "flaky is down: availability 50.0% is below 80.0%"
    );
    assert_eq!(
        n[1]["message"],
        "flaky is up again but degraded: availability 80.0% is below 95.0%"
    );
}

#[test]
fn help_shows_the_dated_price_table() {
    let env = Env::new();
    env.test("cc-health")
        .arg("--help")
        .stdout_contains("Built-in prices (USD per million tokens, as of 2026-11-30;")
        .stdout_contains(
            "  claude-sonnet-4-5            3      15        0.3        3.75        6       6/22.5",
        )
        .run();
    env.test("cc-health")
        .args(["usage", "--help"])
        .stdout_contains("gpt-4o-mini")
        .run();
}

#[test]
fn services_count_in_usage_and_cost_never_in_health() {
    let env = Env::new();
    let health = |args: &[&str]| env.test("cc-health").args(args).stdout_any().run().stdout;
    env.test("cc-progress")
        .args([
            "start", "sbx-run", "--steps", "1", "--chain", "ch-1", "--sprint", "1/2",
        ])
        .stdout_any()
        .run();
    // Failing services: still no provider status, no provider_down.
    for _ in 0..6 {
        health(&[
            "record",
            "e2b",
            "false",
            "0",
            "--kind",
            "service",
            "--quantity",
            "45",
            "--unit",
            "sandbox_seconds",
            "--cost",
            "0.12",
            "--run-id",
            "sbx-run",
        ]);
    }
    health(&[
        "record",
        "trigger_dev",
        "true",
        "0",
        "--kind",
        "service",
        "--quantity",
        "1",
        "--unit",
        "runs",
        "--cost",
        "0.01",
        "--run-id",
        "other-run",
    ]);
    health(&[
        "record",
        "anthropic",
        "true",
        "900",
        "--cost",
        "0.5",
        "--run-id",
        "sbx-run",
    ]);
    let stored = env.records("analytics/provider-health-");
    assert_eq!(
        (
            stored[0]["kind"].as_str(),
            stored[0]["quantity"].as_f64(),
            stored[0]["unit"].as_str()
        ),
        (Some("service"), Some(45.0), Some("sandbox_seconds"))
    );
    assert!(env.records("analytics/notifications-").is_empty());
    let status: Value = serde_json::from_str(&health(&["status", "--json"])).unwrap();
    let providers: Vec<&str> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers, ["anthropic"]);
    let overall: Value = serde_json::from_str(&health(&["overall", "--json"])).unwrap();
    assert_eq!(overall["status"], "healthy");
    assert_eq!(overall["providers"], json!({"anthropic": "healthy"}));
    let errors: Value = serde_json::from_str(&health(&["errors", "--json"])).unwrap();
    assert_eq!(errors, json!([]));
    // usage --by service: one row per service, AI calls under null.
    let rows: Value =
        serde_json::from_str(&health(&["usage", "--by", "service", "--json"])).unwrap();
    let got: Vec<(Option<&str>, u64, Option<f64>, Value)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str(),
                r["calls"].as_u64().unwrap(),
                r["costUsd"].as_f64(),
                r.get("quantities").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                Some("e2b"),
                6,
                Some(0.72),
                json!({"sandbox_seconds": 270.0})
            ),
            (None, 1, Some(0.5), Value::Null),
            (Some("trigger_dev"), 1, Some(0.01), json!({"runs": 1.0})),
        ]
    );
    // usage --by chain: the run's usage under its chain, the rest under null.
    let rows: Value = serde_json::from_str(&health(&["usage", "--by", "chain", "--json"])).unwrap();
    let got: Vec<(Option<&str>, u64, Option<f64>)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str(),
                r["calls"].as_u64().unwrap(),
                r["costUsd"].as_f64(),
            )
        })
        .collect();
    assert_eq!(got, [(Some("ch-1"), 7, Some(1.22)), (None, 1, Some(0.01))]);
    let out = health(&["usage", "--by", "service"]);
    assert!(
        out.contains("service usage: e2b 270 sandbox_seconds; trigger_dev 1 runs"),
        "{out}"
    );
    // --quantity is for services, and never negative.
    for (args, needle) in [
        (
            &[
                "record",
                "e2b",
                "true",
                "0",
                "--quantity",
                "3",
                "--unit",
                "s",
            ][..],
            "--quantity",
        ),
        (
            &[
                "record",
                "e2b",
                "true",
                "0",
                "--kind",
                "service",
                "--quantity",
                "-3",
                "--unit",
                "s",
            ],
            "--quantity",
        ),
        (
            &["record", "e2b", "true", "0", "--kind", "gadget"],
            "--kind",
        ),
    ] {
        env.test("cc-health")
            .args(args)
            .exit(2)
            .stderr_contains(needle)
            .writes_nothing()
            .run();
    }
    assert_eq!(env.records("analytics/provider-health-").len(), 8);
    common::validate_root(env.root());
}
