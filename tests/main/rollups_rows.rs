//! Row rollups of the journey and provider-call streams (SPEC §13): every cc-metrics and
//! cc-health report, and the dashboard, answer the same from rollups as from raw lines,
//! over varied histories, windows and time zones; `rollup` and `prune --keep-rollups`.

use crate::common::{Env, outcome};
use ccmon::record::Timestamp;

const DAY_MS: i64 = 86_400_000;
/// The histories span six days, the last one today (by the real clock: whether a file is
/// sealed depends on it).
const DAYS: i64 = 6;

/// The first day's UTC midnight, in milliseconds.
fn start() -> i64 {
    (Timestamp::now().millis() / DAY_MS - (DAYS - 1)) * DAY_MS
}

/// Day `d` of the history, `YYYY-MM-DD`.
fn date(d: i64) -> String {
    Timestamp(start() + d * DAY_MS)
        .utc_date()
        .format("%Y-%m-%d")
        .to_string()
}

/// An instant `ms` after day `d`'s UTC midnight.
fn at(d: i64, ms: i64) -> String {
    Timestamp(start() + d * DAY_MS + ms).to_string()
}

/// A small deterministic generator (xorshift64*), so each history is reproducible.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn float(&mut self, max: f64) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * max
    }
}

const CUJS: [&str; 3] = ["CUJ-1", "CUJ-2", "CUJ \"quoted\" é"];
const WORKFLOWS: [&str; 2] = ["onboarding", "release"];
const PROVIDERS: [&str; 3] = ["anthropic", "openai", "google"];
const MODELS: [&str; 3] = ["claude-sonnet-4-5", "gpt-5", "gemini-2.5-pro"];

/// When a record of file `day` happened: mostly that day, sometimes late or early.
fn time(g: &mut Gen, day: i64) -> String {
    let at = if g.chance(5) {
        g.below(2 * DAY_MS as u64) as i64 - DAY_MS / 2
    } else {
        g.below(DAY_MS as u64) as i64
    };
    Timestamp(start() + day * DAY_MS + at).to_string()
}

fn journey(g: &mut Gen, day: i64) -> serde_json::Value {
    let success = g.chance(75);
    let mut v = serde_json::json!({
        "timestamp": time(g, day),
        "cujId": CUJS[g.below(3) as usize],
        "success": success,
        "duration": if g.chance(50) { g.below(90_000) as f64 } else { g.float(60_000.0) },
    });
    if !success {
        v["error"] = match g.below(3) {
            0 => serde_json::json!(format!("timeout after {} ms", g.below(900))),
            1 => serde_json::json!({"message": "connection refused", "code": g.below(3)}),
            _ => serde_json::Value::Null,
        };
    }
    if g.chance(70) {
        v["workflow"] = serde_json::json!(WORKFLOWS[g.below(2) as usize]);
    }
    if g.chance(40) {
        v["runId"] = serde_json::json!(format!("run-{}", g.below(50)));
    }
    if g.chance(50) {
        v["iterations"] = serde_json::json!(1 + g.below(5));
    }
    if g.chance(60) {
        let mut q = serde_json::Map::new();
        for dim in [
            "correctness",
            "typeSafety",
            "codeStyle",
            "testCoverage",
            "completeness",
        ] {
            if g.chance(80) {
                q.insert(dim.into(), serde_json::json!(g.float(100.0)));
            }
        }
        if g.chance(30) {
            q.insert("composite".into(), serde_json::json!(g.float(100.0)));
        }
        if g.chance(30) {
            q.insert("threshold".into(), serde_json::json!(70.0));
        }
        if g.chance(10) {
            q.insert("thresholdResult".into(), serde_json::json!(g.chance(50)));
        }
        v["quality"] = q.into();
    }
    if g.chance(30) {
        v["resources"] = serde_json::json!({"peakRssMb": g.float(900.0), "cpuUserMs": 12.5});
    }
    v
}

fn call(g: &mut Gen, day: i64) -> serde_json::Value {
    let success = g.chance(85);
    let mut v = serde_json::json!({
        "timestamp": time(g, day),
        "provider": PROVIDERS[g.below(3) as usize],
        "success": success,
    });
    if g.chance(90) {
        v["latency"] = serde_json::json!(g.float(8_000.0));
    }
    if !success {
        v["statusCode"] = serde_json::json!([429, 500, 503][g.below(3) as usize]);
        v["error"] = if g.chance(50) {
            serde_json::json!("rate limited")
        } else {
            serde_json::json!({"message": format!("overloaded {}", g.below(4))})
        };
    } else if g.chance(70) {
        v["statusCode"] = serde_json::json!(200);
    }
    if g.chance(85) {
        v["model"] = serde_json::json!(MODELS[g.below(3) as usize]);
        v["inputTokens"] = serde_json::json!(g.below(40_000));
        v["outputTokens"] = serde_json::json!(g.below(4_000));
        if g.chance(50) {
            v["cacheReadTokens"] = serde_json::json!(g.below(100_000));
        }
        if g.chance(30) {
            v["cacheWriteTokens"] = serde_json::json!(g.below(10_000));
            v["cacheWrite1hTokens"] = serde_json::json!(g.below(1_000));
        }
    }
    if g.chance(30) {
        v["costUsd"] = serde_json::json!(g.float(0.5));
    }
    if g.chance(40) {
        v["runId"] = serde_json::json!(format!("run-{}", g.below(50)));
    }
    if g.chance(50) {
        v["stepType"] = serde_json::json!(["developer", "checker"][g.below(2) as usize]);
    }
    if g.chance(5) {
        v["kind"] = serde_json::json!("service");
        v["quantity"] = serde_json::json!(g.below(10));
        v["unit"] = serde_json::json!("minutes");
    }
    v
}

/// Writes a history of both streams for `seed`: `DAYS` daily files each, the last one
/// today's, with a few malformed lines.
fn history(seed: u64) -> Env {
    let env = Env::new();
    let mut g = Gen(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    for day in 0..DAYS {
        let date = date(day);
        for (file, make) in [
            (
                format!("analytics/cuj-metrics-{date}.jsonl"),
                journey as fn(&mut Gen, i64) -> serde_json::Value,
            ),
            (format!("analytics/provider-health-{date}.jsonl"), call),
        ] {
            let mut text = String::new();
            for i in 0..(20 + g.below(60)) {
                if i == 7 && g.chance(50) {
                    text.push_str("{\"timestamp\": torn\n");
                }
                text.push_str(&make(&mut g, day).to_string());
                text.push('\n');
            }
            env.write(&file, text);
        }
    }
    env
}

/// Now: noon of the last day.
fn now() -> String {
    at(DAYS - 1, DAY_MS / 2)
}

/// The reports compared: every cc-metrics and cc-health report, windows ending now and
/// starting anywhere (mid-day, mid-quarter), local-day groupings, and the dashboard.
fn questions() -> Vec<(&'static str, Vec<String>)> {
    let mut all: Vec<(&'static str, Vec<String>)> = QUESTIONS
        .iter()
        .map(|(bin, args)| (*bin, args.iter().map(|a| a.to_string()).collect()))
        .collect();
    for (bin, args) in [
        ("cc-health", vec!["usage", "--by", "provider", "--since"]),
        ("cc-health", vec!["usage", "--by", "step", "--until"]),
    ] {
        let mut args: Vec<String> = args.into_iter().map(String::from).collect();
        args.push(match args[3].as_str() {
            "--since" => at(1, 7 * 3_600_000 + 15 * 60_000),
            _ => at(3, 13 * 3_600_000 + 7 * 60_000 + 11_000),
        });
        all.push((bin, args));
    }
    all
}

const QUESTIONS: &[(&str, &[&str])] = &[
    ("cc-metrics", &["all", "7d"]),
    ("cc-metrics", &["all", "61h"]),
    ("cc-metrics", &["all"]),
    ("cc-metrics", &["rate", "CUJ-1", "3d"]),
    ("cc-metrics", &["rate", "CUJ \"quoted\" é", "100m"]),
    ("cc-metrics", &["trending", "CUJ-1", "12", "6h"]),
    ("cc-metrics", &["trending", "CUJ-2", "7", "1d"]),
    ("cc-metrics", &["percentiles", "CUJ-2", "5d"]),
    ("cc-metrics", &["failures", "--all", "7d"]),
    ("cc-metrics", &["failures", "CUJ-1", "52h"]),
    ("cc-metrics", &["workflows", "7d"]),
    ("cc-metrics", &["quality", "6", "1d"]),
    ("cc-metrics", &["quality", "--cuj", "CUJ-1", "9", "7h"]),
    ("cc-health", &["status", "--window", "3d"]),
    ("cc-health", &["status", "openai", "--window", "29h"]),
    ("cc-health", &["compare", "--window", "7d"]),
    ("cc-health", &["overall", "--window", "5d"]),
    ("cc-health", &["errors", "--limit", "40"]),
    ("cc-health", &["usage", "--by", "model"]),
    ("cc-health", &["usage", "--by", "day", "--since", "4d"]),
    ("cc-health", &["usage", "--by", "day", "--utc"]),
    ("cc-health", &["usage", "--by", "run"]),
    ("cc-dashboard", &["view", "--refresh", "--color", "never"]),
    ("cc-dashboard", &["export", "--format", "prometheus"]),
    ("cc-dashboard", &["export", "--format", "otlp"]),
];

/// Runs a question: (stdout, stderr, exit code).
fn ask(env: &Env, bin: &str, args: &[String], rollups: bool, tz: &str) -> (String, String, i32) {
    let mut cmd = env.cmd(bin);
    cmd.env("CC_NOW", now()).env("TZ", tz).args(args);
    if !matches!(args.first().map(String::as_str), Some("view" | "export")) {
        cmd.arg("--json");
    }
    if !rollups {
        cmd.env("CC_ROLLUPS", "off");
    }
    outcome(&mut cmd)
}

#[test]
fn every_report_answers_the_same_from_rollups_as_from_raw_lines() {
    for seed in 1..=2 {
        let env = history(seed);
        for tz in ["UTC", "Asia/Kolkata", "America/St_Johns"] {
            for (bin, args) in &questions() {
                let raw = ask(&env, bin, args, false, tz);
                assert!(matches!(raw.2, 0 | 1), "{bin} {args:?}: {raw:?}");
                // The first read builds the rollups, the next ones read them.
                for pass in 0..2 {
                    let rolled = ask(&env, bin, args, true, tz);
                    assert_eq!(
                        rolled, raw,
                        "seed {seed}, TZ={tz}, pass {pass}: {bin} {args:?}"
                    );
                }
            }
        }
        // Every sealed day of both streams has its rollup, today's none.
        let mut names: Vec<String> = std::fs::read_dir(env.root().join(".ccmon/rollups"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".jsonl.rollup"))
            .collect();
        names.sort();
        assert_eq!(names.len(), 2 * (DAYS as usize - 1), "{names:?}");
        let today = date(DAYS - 1);
        assert!(!names.iter().any(|n| n.contains(&today)), "{names:?}");
    }
}

#[test]
fn a_raw_read_builds_no_rollups() {
    let env = history(9);
    for (bin, args) in &questions() {
        ask(&env, bin, args, false, "UTC");
    }
    assert!(!env.root().join(".ccmon").exists());
}

#[test]
fn rollup_commands_build_report_and_rebuild() {
    let env = history(4);
    for (bin, stream) in [
        ("cc-metrics", "cuj-metrics"),
        ("cc-health", "provider-health"),
    ] {
        let run = |args: &[&str]| {
            let mut cmd = env.cmd(bin);
            cmd.env("CC_NOW", now()).args(args);
            outcome(&mut cmd)
        };
        let (out, err, code) = run(&["rollup"]);
        assert_eq!((code, err.as_str()), (0, ""));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), DAYS as usize, "{out}");
        assert!(
            lines[0].starts_with(&format!(
                "built .ccmon/rollups/{stream}-{}.jsonl.rollup (",
                date(0)
            )),
            "{out}"
        );
        assert!(
            lines[5].starts_with("5 rollups (5 built, 0 fresh, 0 kept after pruning): "),
            "{out}"
        );
        let mode = |name: &str| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(env.root().join(".ccmon/rollups").join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode(&format!("{stream}-{}.jsonl.rollup", date(0))), 0o600);
        // Fresh ones are left alone; --rebuild rebuilds them all.
        let (out, _, _) = run(&["rollup", "--json"]);
        let actions: serde_json::Value = serde_json::from_str(&out).unwrap();
        let all = |what: &str| {
            actions
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["action"] == what)
                .count()
        };
        assert_eq!((all("fresh"), all("built")), (5, 0), "{actions}");
        let (out, _, _) = run(&["rollup", "--rebuild"]);
        assert!(out.contains("5 rollups (5 built, 0 fresh"), "{out}");
    }
}

#[test]
fn a_changed_or_damaged_rollup_is_rebuilt_and_the_answer_stays_right() {
    let env = history(5);
    let args = ["all".to_string(), "7d".to_string()];
    let question = |rollups| ask(&env, "cc-metrics", &args, rollups, "UTC");
    let raw = question(false);
    assert_eq!(question(true), raw);
    // A late record appended to a sealed day: its rollup is stale and rebuilt.
    let file = format!("analytics/cuj-metrics-{}.jsonl", date(1));
    let mut text = env.read(&file);
    text.push_str(&format!(
        r#"{{"timestamp":"{}","cujId":"CUJ-late","success":false,"duration":5.0}}"#,
        at(1, 36_000_000)
    ));
    text.push('\n');
    env.write(&file, text);
    let raw = question(false);
    assert!(raw.0.contains("CUJ-late"));
    assert_eq!(question(true), raw);
    // A damaged rollup: one warning, the right answer, and a good rollup again.
    let name = format!(".ccmon/rollups/cuj-metrics-{}.jsonl.rollup", date(2));
    let rollup = env.root().join(&name);
    let mut bytes = std::fs::read(&rollup).unwrap();
    let len = bytes.len();
    bytes.truncate(len - 3);
    std::fs::write(&rollup, &bytes).unwrap();
    let (out, err, code) = question(true);
    assert_eq!((out.as_str(), code), (raw.0.as_str(), raw.2));
    assert_eq!(
        err,
        format!("warning: ignoring damaged rollup {name} (rebuilding it)\n") + &raw.1
    );
    assert_eq!(question(true), raw);
    // Rows that do not decode (the right length, garbage inside) are damage too.
    let mut bytes = std::fs::read(&rollup).unwrap();
    let len = bytes.len();
    for b in &mut bytes[len - 40..] {
        *b = 0xff;
    }
    std::fs::write(&rollup, &bytes).unwrap();
    let (out, err, _) = question(true);
    assert_eq!(out, raw.0);
    assert!(
        err.contains(&format!("warning: ignoring damaged rollup {name}")),
        "{err}"
    );
    // It was removed, and the next report builds a good one again.
    assert_eq!(question(true), raw);
    assert!(rollup.exists());
    assert_eq!(question(true), raw);
    // One changed byte that would still decode (a letter of a journey's name) fails the
    // section's checksum: damaged, never a different answer.
    let mut bytes = std::fs::read(&rollup).unwrap();
    let at = bytes
        .windows(5)
        .position(|w| w == b"CUJ-1")
        .expect("a journey name in the rows");
    bytes[at + 1] = b'X';
    std::fs::write(&rollup, &bytes).unwrap();
    let (out, err, _) = question(true);
    assert_eq!(out, raw.0);
    assert!(
        err.contains(&format!("warning: ignoring damaged rollup {name}")),
        "{err}"
    );
}

#[test]
fn prune_keeping_rollups_keeps_every_report_over_the_pruned_days() {
    let env = history(6);
    let questions = questions();
    let asked: Vec<_> = questions
        .iter()
        .filter(|(bin, _)| *bin != "cc-dashboard")
        .map(|(bin, args)| ask(&env, bin, args, false, "UTC"))
        .collect();
    for bin in ["cc-metrics", "cc-health"] {
        let mut cmd = env.cmd(bin);
        cmd.env("CC_NOW", now())
            .args(["prune", "--older-than", "1d", "--keep-rollups"]);
        let (out, err, code) = outcome(&mut cmd);
        assert_eq!((code, err.as_str()), (0, ""), "{out}");
        assert!(out.contains("deleted 4 files"), "{out}");
    }
    let left: Vec<String> = std::fs::read_dir(env.root().join("analytics"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left.len(), 4, "{left:?}");
    for ((bin, args), before) in questions
        .iter()
        .filter(|(bin, _)| *bin != "cc-dashboard")
        .zip(asked)
    {
        assert_eq!(ask(&env, bin, args, true, "UTC"), before, "{bin} {args:?}");
    }
    // Without rollups, a report says which days it could not see.
    let (_, err, _) = ask(
        &env,
        "cc-metrics",
        &["all".into(), "7d".into()],
        false,
        "UTC",
    );
    assert!(
        err.contains(&format!(
            "warning: the records of 4 pruned days ({} … {}) are not in this answer",
            date(0),
            date(3)
        )),
        "{err}"
    );
    // Pruning without keeping them deletes a file's rollup with it; those kept before
    // stay.
    let mut cmd = env.cmd("cc-health");
    cmd.env("CC_NOW", now())
        .args(["prune", "--older-than", "1h"]);
    let (out, _, code) = outcome(&mut cmd);
    assert_eq!(code, 0);
    assert!(out.contains("deleted 1 files"), "{out}");
    let mut kept: Vec<String> = std::fs::read_dir(env.root().join(".ccmon/rollups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("provider-health-"))
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        (0..4)
            .map(|d| format!("provider-health-{}.jsonl.rollup", date(d)))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_symlinked_rollups_folder_is_neither_read_nor_emptied() {
    let env = history(8);
    let args = ["all".to_string(), "7d".to_string()];
    let raw = ask(&env, "cc-metrics", &args, false, "UTC");
    // Build the rollups, then move them out of the root and link to them.
    assert_eq!(ask(&env, "cc-metrics", &args, true, "UTC"), raw);
    let outside = tempfile::tempdir().unwrap();
    let moved = outside.path().join("rollups");
    std::fs::rename(env.root().join(".ccmon/rollups"), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, env.root().join(".ccmon/rollups")).unwrap();
    let count = || std::fs::read_dir(&moved).unwrap().count();
    let before = count();
    assert!(before > 0);
    let (out, err, code) = ask(&env, "cc-metrics", &args, true, "UTC");
    assert_eq!((out.as_str(), code), (raw.0.as_str(), raw.2));
    assert_eq!(
        err,
        "warning: ignoring rollups: .ccmon/rollups is a symbolic link (reading raw lines)\n"
            .to_string()
            + &raw.1
    );
    // Pruning deletes raw files, and nothing in the linked folder.
    let mut cmd = env.cmd("cc-metrics");
    cmd.env("CC_NOW", now())
        .args(["prune", "--older-than", "1d"]);
    let (_, _, code) = outcome(&mut cmd);
    assert_eq!(code, 0);
    assert_eq!(count(), before);
}
