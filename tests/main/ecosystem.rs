//! The streams are plain NDJSON that other engines read as they are (SPEC §9): DuckDB
//! computes the same counts and success rates as the tools over a generated history.

use crate::common;

use std::collections::BTreeMap;

use common::Env;
use serde_json::Value;

const NOW: &str = "2026-11-20T12:00:00Z";

/// Three days of skill invocations and journey executions, in the shapes other tools
/// also write (errors as strings and objects, parameters, `ts` instead of `timestamp`).
fn history(env: &Env) {
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let results = [
        "success", "success", "success", "failure", "timeout", "partial", "skipped",
    ];
    for day in 17..=19 {
        let mut skills = String::new();
        let mut journeys = String::new();
        for i in 0..400 {
            let ts = format!(
                "2026-11-{day}T{:02}:{:02}:{:02}.{:03}Z",
                i / 20,
                i % 60,
                next(60),
                next(1000)
            );
            let result = results[next(results.len() as u64) as usize];
            let error = match result {
                "success" => "null".to_string(),
                "timeout" => r#"{"message":"timeout after 30s","code":504}"#.to_string(),
                _ => r#""tests failed""#.to_string(),
            };
            let key = if i % 10 == 0 { "ts" } else { "timestamp" };
            skills.push_str(&format!(
                r#"{{"{key}":"{ts}","skill":"skill-{}","result":"{result}","duration":{},"params":{{"n":{i}}},"error":{error}}}"#,
                next(5),
                next(5000)
            ));
            skills.push('\n');
            if i % 4 == 0 {
                journeys.push_str(&format!(
                    r#"{{"timestamp":"{ts}","cujId":"CUJ-{}","success":{},"duration":{}}}"#,
                    next(3),
                    next(10) < 8,
                    next(90_000)
                ));
                journeys.push('\n');
            }
        }
        env.write(
            &format!("logs/skill-invocations-2026-11-{day}.jsonl"),
            skills,
        );
        env.write(
            &format!("analytics/cuj-metrics-2026-11-{day}.jsonl"),
            journeys,
        );
    }
}

fn tool_json(env: &Env, bin: &str, args: &[&str]) -> Value {
    let out = env
        .cmd(bin)
        .env("CC_NOW", NOW)
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{bin} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs a DuckDB query (Python package, pinned by .ci/run) over the root; rows as
/// (key, count, successes).
fn duckdb(env: &Env, sql: &str) -> BTreeMap<String, (u64, u64)> {
    let script = format!(
        "import duckdb, json\nrows = duckdb.sql({sql:?}).fetchall()\nprint(json.dumps([[r[0], int(r[1]), int(r[2])] for r in rows]))"
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .current_dir(env.root())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<(String, u64, u64)> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter().map(|(k, n, ok)| (k, (n, ok))).collect()
}

#[test]
#[ignore = "needs the Python duckdb package (installed by .ci/run)"]
fn duckdb_reads_the_streams_as_they_are_and_agrees_with_the_tools() {
    let env = Env::new();
    history(&env);

    let stats = tool_json(&env, "cc-log", &["stats", "--by", "skill"]);
    let ours: BTreeMap<String, (u64, u64)> = stats
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                (
                    r["count"].as_u64().unwrap(),
                    r["successes"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let theirs = duckdb(
        &env,
        "SELECT skill, count(*), count(*) FILTER (WHERE result = 'success') \
         FROM read_json('logs/*.jsonl', format = 'newline_delimited', union_by_name = true) \
         GROUP BY skill ORDER BY skill",
    );
    assert_eq!(ours, theirs);
    assert_eq!(ours.values().map(|v| v.0).sum::<u64>(), 1200);
    for r in stats.as_array().unwrap() {
        let (n, ok) = theirs[r["key"].as_str().unwrap()];
        assert_eq!(r["successRate"].as_f64().unwrap(), ok as f64 / n as f64);
    }

    let all = tool_json(&env, "cc-metrics", &["all", "30d"]);
    let ours: BTreeMap<String, (u64, u64)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["cujId"].as_str().unwrap().to_string(),
                (
                    r["total"].as_u64().unwrap(),
                    r["successes"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let theirs = duckdb(
        &env,
        "SELECT cujId, count(*), count(*) FILTER (WHERE success) \
         FROM read_json('analytics/cuj-metrics-*.jsonl', format = 'newline_delimited') \
         GROUP BY cujId ORDER BY cujId",
    );
    assert_eq!(ours, theirs);
    assert_eq!(ours.values().map(|v| v.0).sum::<u64>(), 300);
}
