//! Rollups (SPEC §13): answers from rollups equal answers from raw lines, over random
//! histories, filters, groupings and windows; and the `rollup` and `prune
//! --keep-rollups` commands.

use crate::common;

use ccmon::log::{Filter, GroupBy, StatsRow};
use ccmon::record::{SkillResult, Timestamp};
use ccmon::store::Roots;
use common::{Env, outcome};

/// Runs cc-log with `args` in `env`: (stdout, stderr, exit code).
fn run(env: &Env, args: &[&str]) -> (String, String, i32) {
    outcome(env.log().args(args))
}
use proptest::prelude::*;
use regex::Regex;

const DAY_MS: i64 = 86_400_000;
const QUARTER_MS: i64 = 900_000;
/// 2026-01-10T00:00:00Z: every day of the generated histories is sealed.
const START: i64 = 1_768_003_200_000;

#[derive(Debug, Clone)]
struct Rec {
    file_day: i64,
    /// Milliseconds from the file's day start; outside [0, DAY_MS) for late records.
    at: i64,
    skill: usize,
    agent: Option<usize>,
    cuj: Option<usize>,
    result: usize,
    duration: Option<f64>,
    cache_hit: bool,
    malformed: bool,
}

const SKILLS: [&str; 3] = ["review", "lint", "deploy"];
const AGENTS: [&str; 2] = ["developer", "checker"];
const CUJS: [&str; 2] = ["CUJ-1", "CUJ-2"];
const RESULTS: [&str; 6] = [
    "success", "failure", "partial", "timeout", "skipped", "success",
];

fn rec() -> impl Strategy<Value = Rec> {
    (
        0i64..3,
        prop_oneof![8 => 0i64..DAY_MS, 1 => -3_600_000i64..DAY_MS + 3_600_000],
        0usize..3,
        prop::option::of(0usize..2),
        prop::option::of(0usize..2),
        0usize..6,
        prop::option::of(prop_oneof![
            (0u32..100_000).prop_map(|n| f64::from(n) / 10.0),
            0.0f64..50_000.0,
        ]),
        any::<bool>(),
        prop::bool::weighted(0.03),
    )
        .prop_map(
            |(file_day, at, skill, agent, cuj, result, duration, cache_hit, malformed)| Rec {
                file_day,
                at,
                skill,
                agent,
                cuj,
                result,
                duration,
                cache_hit,
                malformed,
            },
        )
}

fn line(r: &Rec) -> String {
    if r.malformed {
        return "{\"timestamp\": \"torn".into();
    }
    let t = Timestamp(START + r.file_day * DAY_MS + r.at);
    let mut v = serde_json::json!({
        "timestamp": t.to_string(),
        "skill": SKILLS[r.skill],
        "result": RESULTS[r.result],
        "cacheHit": r.cache_hit,
    });
    if let Some(d) = r.duration {
        v["duration"] = serde_json::json!(d);
    }
    if let Some(a) = r.agent {
        v["agent"] = serde_json::json!(AGENTS[a]);
    }
    if let Some(c) = r.cuj {
        v["cujId"] = serde_json::json!(CUJS[c]);
    }
    v.to_string()
}

fn write_history(root: &std::path::Path, recs: &[Rec]) {
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for day in 0..3 {
        let lines: Vec<String> = recs
            .iter()
            .filter(|r| r.file_day == day)
            .map(line)
            .collect();
        if lines.is_empty() {
            continue;
        }
        let date = Timestamp(START + day * DAY_MS).utc_date();
        let path = logs.join(format!(
            "skill-invocations-{}.jsonl",
            date.format("%Y-%m-%d")
        ));
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    }
}

/// A window edge: on a quarter hour (answered from rollups) or anywhere (raw).
fn edge() -> impl Strategy<Value = Option<Timestamp>> {
    prop::option::of(prop_oneof![
        (-4i64..4 * 96).prop_map(|q| Timestamp(START + q * QUARTER_MS)),
        (-4i64..4 * 96).prop_map(|q| Timestamp(START + q * QUARTER_MS - 1)),
        (0i64..3 * DAY_MS).prop_map(|ms| Timestamp(START + ms)),
    ])
}

fn by() -> impl Strategy<Value = GroupBy> {
    prop_oneof![
        Just(GroupBy::Skill),
        Just(GroupBy::Agent),
        Just(GroupBy::Cuj),
        Just(GroupBy::Result),
        Just(GroupBy::Day),
    ]
}

fn same(a: &[StatsRow], b: &[StatsRow]) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        prop_assert_eq!(&x.key, &y.key);
        prop_assert_eq!(
            (x.count, x.successes, x.failures),
            (y.count, y.successes, y.failures)
        );
        prop_assert_eq!(x.success_rate, y.success_rate);
        prop_assert_eq!(x.cache_hit_rate, y.cache_hit_rate);
        prop_assert_eq!((x.p50, x.p95, x.p99), (y.p50, y.p95, y.p99));
        // The mean's sum is added in another order: equal to the last bits.
        match (x.mean, y.mean) {
            (Some(m), Some(n)) => prop_assert!((m - n).abs() <= m.abs() * 1e-12, "{} {}", m, n),
            (m, n) => prop_assert_eq!(m, n),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn rollup_answers_equal_raw_answers(
        recs in prop::collection::vec(rec(), 0..400),
        skill in prop::option::of(0usize..3),
        agent in prop::option::of(0usize..2),
        cuj in prop::option::of(0usize..2),
        result in prop::option::of(0usize..5),
        since in edge(),
        until in edge(),
        bys in prop::collection::vec(by(), 1..3),
        utc in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        write_history(dir.path(), &recs);
        let roots = Roots::new(vec![dir.path().to_path_buf()]);
        let filter = Filter {
            skill: skill.map(|i| SKILLS[i].to_string()),
            agent: agent.map(|i| AGENTS[i].to_string()),
            cuj_id: cuj.map(|i| CUJS[i].to_string()),
            result: result.map(|i| RESULTS[i].parse::<SkillResult>().unwrap()),
            since,
            until,
            ..Filter::default()
        };
        // `--grep .` matches every line and always reads raw lines.
        let raw_filter = Filter { grep: Some(Regex::new(".").unwrap()), ..filter.clone() };
        let (raw, raw_skipped) = ccmon::log::stats_many(&roots, &raw_filter, &bys, utc).unwrap();
        prop_assert!(!dir.path().join(".ccmon").exists(), "a raw-only read builds no rollups");
        // The first read builds the rollups, the second reads them.
        for _ in 0..2 {
            let (got, skipped) = ccmon::log::stats_many(&roots, &filter, &bys, utc).unwrap();
            prop_assert_eq!(got.len(), raw.len());
            for (a, b) in got.iter().zip(&raw) {
                same(a, b)?;
            }
            prop_assert_eq!(&skipped, &raw_skipped);
        }
    }
}

/// Runs `cc-log stats` and returns its JSON.
fn stats_json(env: &Env, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["stats", "--json"];
    all.extend_from_slice(args);
    let (out, err, code) = run(env, &all);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn history_env() -> Env {
    let env = Env::new();
    let recs: Vec<Rec> = (0..300)
        .map(|i| Rec {
            file_day: i % 3,
            at: (i * 7_919_000) % DAY_MS,
            skill: (i % 3) as usize,
            agent: Some((i % 2) as usize),
            cuj: (i % 5 != 0).then_some((i % 2) as usize),
            result: (i % 6) as usize,
            duration: Some((i * 37 % 5000) as f64 + 0.5),
            cache_hit: i % 4 == 0,
            malformed: i == 17,
        })
        .collect();
    write_history(env.root(), &recs);
    env
}

#[test]
fn rollup_builds_then_finds_fresh_rollups() {
    let env = history_env();
    let (text, _, code) = run(&env, &["rollup"]);
    assert_eq!(code, 0);
    assert!(
        text.starts_with("built .ccmon/rollups/skill-invocations-2026-01-10.jsonl.rollup ("),
        "{text}"
    );
    assert!(
        text.contains("\n3 rollups (3 built, 0 fresh, 0 kept after pruning): "),
        "{text}"
    );
    let dir = env.root().join(".ccmon/rollups");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "skill-invocations-2026-01-10.jsonl.rollup",
            "skill-invocations-2026-01-11.jsonl.rollup",
            "skill-invocations-2026-01-12.jsonl.rollup"
        ]
    );
    use std::os::unix::fs::PermissionsExt;
    for n in &names {
        let mode = std::fs::metadata(dir.join(n)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{n}");
    }
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );

    let actions: serde_json::Value =
        serde_json::from_str(&run(&env, &["rollup", "--json"]).0).unwrap();
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 3);
    assert!(
        actions.iter().all(|a| a["action"] == "fresh"),
        "{actions:?}"
    );

    let actions: serde_json::Value =
        serde_json::from_str(&run(&env, &["rollup", "--rebuild", "--json"]).0).unwrap();
    assert!(
        actions
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] == "rebuilt"),
        "{actions:?}"
    );
}

#[test]
fn a_late_record_or_damage_rebuilds_the_rollup() {
    let env = history_env();
    let before = stats_json(&env, &["--by", "day", "--utc"]);
    assert_eq!(before.as_array().unwrap().len(), 3);
    assert_eq!(before[0]["count"], 100);
    assert_eq!(before[2]["count"], 100 - 1); // one malformed line on the last day
    // A late record appended to a sealed day changes the file: the rollup is stale.
    let path = env.root().join("logs/skill-invocations-2026-01-11.jsonl");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(
        r#"{"timestamp":"2026-01-11T23:59:59.999Z","skill":"late","result":"success","duration":5}"#,
    );
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let after = stats_json(&env, &["--by", "day", "--utc"]);
    assert_eq!(after[1]["count"], 101);
    let by_skill = stats_json(&env, &["--by", "skill"]);
    assert!(
        by_skill
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["key"] == "late")
    );

    // A damaged rollup is ignored with a warning, and rebuilt.
    let rollup = env
        .root()
        .join(".ccmon/rollups/skill-invocations-2026-01-12.jsonl.rollup");
    std::fs::write(&rollup, b"ccmonRU4 not a rollup").unwrap();
    let (out, stderr, code) = run(&env, &["stats", "--by", "day", "--utc", "--json"]);
    assert_eq!(code, 0);
    assert!(
        stderr.contains(
            "warning: ignoring damaged rollup .ccmon/rollups/skill-invocations-2026-01-12.jsonl.rollup (rebuilding it)"
        ),
        "{stderr}"
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        after
    );
    let (_, again, _) = run(&env, &["stats", "--by", "day", "--utc", "--json"]);
    assert_eq!(
        again,
        "warning: skipped 1 malformed line (logs/skill-invocations-2026-01-12.jsonl:6)\n"
    );
}

#[test]
fn local_days_and_quarter_windows_come_from_rollups_exactly() {
    let env = history_env();
    run(&env, &["rollup"]);
    for args in [
        &["--by", "day"][..],
        &["--by", "agent", "--skill", "lint"],
        &[
            "--by",
            "result",
            "--since",
            "2026-01-10T10:15:00Z",
            "--until",
            "2026-01-12T05:44:59.999Z",
        ],
        &["--by", "skill", "--since", "2026-01-10T10:16:00Z"],
        &["--by", "cuj", "--result", "failure", "--agent", "checker"],
    ] {
        for tz in ["UTC", "Asia/Kolkata", "America/St_Johns"] {
            let rolled = outcome(env.log().env("TZ", tz).args(["stats", "--json"]).args(args));
            let raw = outcome(
                env.log()
                    .env("TZ", tz)
                    .args(["stats", "--json", "--grep", "."])
                    .args(args),
            );
            assert_eq!(rolled.2, 0);
            assert!(rolled.0.starts_with('['), "{}", rolled.0);
            assert_eq!(rolled, raw, "{args:?} TZ={tz}");
        }
    }
}

#[test]
fn prune_keeping_rollups_keeps_stats_and_names_the_missing_days() {
    let env = history_env();
    let before = stats_json(&env, &["--by", "skill"]);
    let (_, err, code) = run(&env, &["prune", "--older-than", "1d", "--keep-rollups"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::read_dir(env.root().join("logs"))
            .unwrap()
            .next()
            .is_none()
    );
    // Stats still cover the pruned days, without a warning.
    let (out, err, code) = run(&env, &["stats", "--by", "skill", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        before
    );
    assert_eq!(
        err,
        "warning: skipped 1 malformed line (logs/skill-invocations-2026-01-12.jsonl:6)\n"
    );
    // A query needs raw records: it says which days are gone.
    let (out, err, code) = run(&env, &["query", "--limit", "1"]);
    assert_eq!(code, 0);
    assert_eq!(out, "no skill invocations match\n");
    assert_eq!(
        err,
        "warning: the records of 3 pruned days (2026-01-10 … 2026-01-12) are not in this answer; only their rollups were kept\n"
    );
    // So does a stats question that rollups cannot answer.
    let (_, err, _) = run(
        &env,
        &["stats", "--run-id", "r1", "--since", "2026-01-12T00:00:00Z"],
    );
    assert_eq!(
        err,
        "warning: the records of 1 pruned day (2026-01-12) are not in this answer; only their rollups were kept\n"
    );
    let actions: serde_json::Value =
        serde_json::from_str(&run(&env, &["rollup", "--json"]).0).unwrap();
    assert!(
        actions
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] == "kept"),
        "{actions:?}"
    );
}

#[test]
fn prune_without_keeping_deletes_the_rollups_too() {
    let env = history_env();
    run(&env, &["rollup"]);
    assert_eq!(run(&env, &["prune", "--older-than", "1d"]).2, 0);
    assert!(
        std::fs::read_dir(env.root().join(".ccmon/rollups"))
            .unwrap()
            .next()
            .is_none()
    );
    let (out, err, _) = run(&env, &["stats"]);
    assert_eq!(out, "no skill invocations match\n");
    assert_eq!(err, "");
    let bad = run(
        &env,
        &[
            "prune",
            "--older-than",
            "1d",
            "--keep-rollups",
            "--compress",
        ],
    );
    assert_eq!(bad.2, 2);
}

#[test]
fn several_roots_read_raw_lines_and_build_no_rollups() {
    let a = history_env();
    let b = history_env();
    let (_, err, code) = run(
        &a,
        &[
            "stats",
            "--json",
            "--root",
            a.root().to_str().unwrap(),
            "--root",
            b.root().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!a.root().join(".ccmon").exists());
    assert!(!b.root().join(".ccmon").exists());
}

/// Prometheus text as (series, value) pairs, without the lines about the export itself.
fn samples(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter(|l| !l.starts_with("ccmon_export") && !l.starts_with("ccmon_build"))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[test]
fn fleet_exports_from_kept_folds_equal_a_raw_read() {
    let env = history_env();
    let root = env.root().to_path_buf();
    for day in 0..3i64 {
        let date = Timestamp(START + day * DAY_MS)
            .utc_date()
            .format("%Y-%m-%d")
            .to_string();
        let (mut cuj, mut calls) = (String::new(), String::new());
        for i in 0..60i64 {
            let t = Timestamp(START + day * DAY_MS + i * 1_234_567).to_string();
            let host = ["vm", "ci-1"][(i % 2) as usize];
            cuj += &format!(
                "{{\"timestamp\":\"{t}\",\"cujId\":\"CUJ-{}\",\"success\":{},\"duration\":{}.5,\"host\":\"{host}\"}}\n",
                i % 3,
                i % 4 != 0,
                i * 977 % 40_000
            );
            let model = ["claude-opus-4-5", "gpt-5", "no-such-model"][(i % 3) as usize];
            let cost = if i % 5 == 0 {
                format!(",\"costUsd\":0.{i:03}7")
            } else {
                String::new()
            };
            calls += &format!(
                "{{\"timestamp\":\"{t}\",\"provider\":\"p{}\",\"success\":{},\"latency\":{}.25,\"statusCode\":{},\"model\":\"{model}\",\"inputTokens\":{},\"outputTokens\":{}{cost},\"host\":\"{host}\"}}\n",
                i % 2,
                i % 7 != 0,
                i * 131 % 9_000,
                if i % 7 != 0 { 200 } else { 429 },
                i * 1_000 + 7,
                i * 31
            );
        }
        env.write(&format!("analytics/cuj-metrics-{date}.jsonl"), cuj);
        env.write(&format!("analytics/provider-health-{date}.jsonl"), calls);
    }
    let export = |rollups: &str, file: &str| {
        let (_, err, code) = outcome(
            env.cmd("cc-dashboard")
                .args(["export", "--format", "prometheus", "--root"])
                .arg(&root)
                .args(["-o"])
                .arg(env.root().join(file))
                .env("CC_ROLLUPS", rollups)
                .env("CC_NOW", "2026-11-30T12:00:00Z"),
        );
        assert_eq!(code, 0, "{err}");
        samples(&std::fs::read_to_string(env.root().join(file)).unwrap())
    };
    let raw = export("off", "raw.prom");
    assert!(!root.join(".ccmon").exists());
    let built = export("on", "built.prom");
    let kept = std::fs::read_dir(root.join(".ccmon/rollups"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".fleet.rollup")
        })
        .count();
    assert_eq!(
        kept,
        3 * 3,
        "fleet rollups of three sealed days of three streams"
    );
    let read = export("on", "read.prom");
    for got in [built, read] {
        assert_eq!(got.len(), raw.len());
        for ((s1, v1), (s2, v2)) in got.iter().zip(&raw) {
            assert_eq!(s1, s2);
            // Sums of floats are added in another order: equal to the last bits.
            assert!((v1 - v2).abs() <= v2.abs() * 1e-12, "{s1}: {v1} vs {v2}");
        }
    }
}

/// A day's worth of lines for today's file, `n` of them from line number `first`, every
/// 257th torn and every 1000th a whole object that is not an invocation (which a raw
/// scan for an exact value skips unparsed when the value is not in it).
fn today_lines(today: &str, first: usize, n: usize) -> String {
    let mut text = String::new();
    for i in first..first + n {
        if i % 257 == 5 {
            text.push_str("{\"timestamp\": \"torn\n");
            continue;
        }
        if i % 1000 == 7 {
            text.push_str("{\"note\":\"hello\"}\n");
            continue;
        }
        let ms = (i as i64 * 3_137) % DAY_MS;
        let t = Timestamp(Timestamp::parse(&format!("{today}T00:00:00Z")).unwrap().0 + ms);
        text.push_str(&format!(
            "{{\"timestamp\":\"{}\",\"skill\":\"{}\",\"params\":{{\"file\":\"src/module_{}/file.rs\",\"lines\":{},\"mode\":\"review\"}},\"result\":\"{}\",\"duration\":{}.{},\"cacheHit\":{},\"agent\":\"{}\",\"runId\":\"run-{}\",\"cujId\":\"{}\",\"error\":null,\"metadata\":{{\"memory_delta_mb\":1.5,\"cpu_user_ms\":{}}},\"id\":\"id-{i}\",\"host\":\"bench-host\"}}\n",
            t,
            SKILLS[i % 3],
            i % 251,
            i % 1009,
            RESULTS[i % 6],
            i * 7 % 20_000,
            i % 10,
            i % 3 == 0,
            AGENTS[i % 2],
            i % 977,
            CUJS[i % 2],
            i % 500,
        ));
    }
    text
}

/// Today's file is answered from a rollup of its first lines plus a raw read of the
/// lines after them; an append, an edit in place, a truncation or a torn line gives the
/// raw answer every time.
#[test]
fn todays_file_is_read_from_a_rollup_of_its_start_and_raw_after_it() {
    use std::os::unix::fs::{FileExt, PermissionsExt};
    let env = Env::new();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let name = format!("skill-invocations-{today}.jsonl");
    let path = env.path(&format!("logs/{name}"));
    let rollup = env.path(&format!(".ccmon/rollups/{name}.rollup"));
    let mut text = today_lines(&today, 0, 26_000);
    assert!(text.len() as u64 > 8 << 20, "{}", text.len());
    env.write(&format!("logs/{name}"), &text);
    let since = format!("{today}T01:07:13Z");
    let check = |what: &str| {
        for args in [
            &["--by", "skill"][..],
            &["--by", "day"],
            &["--by", "result", "--since", &since],
            &[
                "--by",
                "agent",
                "--skill",
                "lint",
                "--until",
                &format!("{today}T11:59:59.999Z"),
            ],
            &["--by", "result", "--agent", "developer"],
        ] {
            for tz in ["UTC", "Asia/Kolkata"] {
                let rolled = outcome(env.log().env("TZ", tz).args(["stats", "--json"]).args(args));
                let raw = outcome(
                    env.log()
                        .env("TZ", tz)
                        .env("CC_ROLLUPS", "off")
                        .args(["stats", "--json"])
                        .args(args),
                );
                assert_eq!(rolled.2, 0, "{what}: {}", rolled.1);
                assert!(rolled.1.contains("malformed line"), "{what}: {}", rolled.1);
                assert_eq!(rolled, raw, "{what}: {args:?} TZ={tz}");
            }
        }
    };
    check("first read");
    // Across UTC midnight the file is sealed and its rollup is another: the answers
    // are still checked, the rollup's bytes only within the day.
    let same_day = || chrono::Utc::now().format("%Y-%m-%d").to_string() == today;
    let meta = std::fs::metadata(&rollup).expect("a rollup of today's file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let built = std::fs::read(&rollup).unwrap();

    // Lines appended since are read raw; the rollup stays as it was.
    let append = |text: &mut String, more: &str| {
        text.push_str(more);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, more.as_bytes()).unwrap();
    };
    append(&mut text, &today_lines(&today, 26_000, 300));
    check("appended");
    if same_day() {
        assert_eq!(
            std::fs::read(&rollup).unwrap(),
            built,
            "small appends keep the rollup"
        );
    }

    // An edit in place, the same length: the checksum no longer matches.
    let at = text.find("\"result\":\"success\"").unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(b"\"result\":\"failure\"", at as u64)
        .unwrap();
    text.replace_range(at..at + 18, "\"result\":\"failure\"");
    check("edited in place");
    assert!(
        !same_day() || std::fs::read(&rollup).unwrap() != built,
        "rebuilt after the edit"
    );

    // More than a quarter again appended: rebuilt, still the raw answer.
    let rebuilt = std::fs::read(&rollup).unwrap();
    append(&mut text, &today_lines(&today, 26_300, 7_600));
    check("grown");
    assert!(!same_day() || std::fs::read(&rollup).unwrap() != rebuilt);

    // Cut short in place (mid-line), then a torn line added.
    text.truncate(text.len() - 1_000);
    file.set_len(text.len() as u64).unwrap();
    check("truncated");
    append(&mut text, "{\"timestamp\":\"");
    check("torn");

    // Rewritten in place, longer, its last newline now well before the rollup's end.
    let cut = text[..text.len() / 2].rfind('\n').unwrap() + 1;
    text = format!("{}{}", &text[..cut], "x".repeat(text.len()));
    file.set_len(0).unwrap();
    file.write_all_at(text.as_bytes(), 0).unwrap();
    check("rewritten with a long torn line");
}

/// A symbolic link (or anything but a regular file) where a rollup belongs is neither
/// read nor replaced: the day is read raw, with one warning a run.
#[test]
fn a_link_in_place_of_a_rollup_is_neither_read_nor_replaced() {
    let env = history_env();
    assert_eq!(run(&env, &["rollup"]).2, 0);
    let rollup = env
        .root()
        .join(".ccmon/rollups/skill-invocations-2026-01-11.jsonl.rollup");
    let elsewhere = env.root().join("elsewhere");
    std::fs::write(&elsewhere, b"not a rollup").unwrap();
    std::fs::remove_file(&rollup).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &rollup).unwrap();
    let raw = outcome(
        env.log()
            .env("CC_ROLLUPS", "off")
            .args(["stats", "--json", "--by", "day", "--utc"]),
    );
    for _ in 0..2 {
        let (out, err, code) = run(&env, &["stats", "--json", "--by", "day", "--utc"]);
        assert_eq!((code, out.as_str()), (0, raw.0.as_str()));
        assert_eq!(
            err,
            format!(
                "warning: ignoring .ccmon/rollups/skill-invocations-2026-01-11.jsonl.rollup: not a regular file (reading raw lines)\n{}",
                raw.1
            )
        );
    }
    assert!(
        std::fs::symlink_metadata(&rollup)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&elsewhere).unwrap(), b"not a rollup");
}
