//! Reliability (SPEC §8): concurrent appends, torn lines, corrupt files.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use ccmon::record::{SkillInvocation, Timestamp};
use ccmon::redact::Redactor;
use ccmon::writer::Writer;
use common::{Env, line};

const DAY: &str = "logs/skill-invocations-2026-11-20.jsonl";
const PER_PROCESS: usize = 5000;

/// Not a test on its own: the body of each concurrent writer process, which appends
/// records one at a time (one lock, one write each) when started by
/// `eight_processes_append_concurrently` (with `--ignored`). Ignored, so that it never
/// counts as a passing test; run alone it fails rather than pass without writing.
#[test]
#[ignore = "the child process of eight_processes_append_concurrently"]
fn stress_writer_child() {
    let root = std::env::var("CCMON_STRESS_ROOT")
        .expect("run by eight_processes_append_concurrently, which sets CCMON_STRESS_ROOT");
    let tag = std::env::var("CCMON_STRESS_TAG").unwrap();
    let writer = Writer::new(
        std::path::Path::new(&root),
        Redactor::default(),
        true,
        false,
    );
    for i in 0..PER_PROCESS {
        let mut rec = SkillInvocation::new(format!("writer-{tag}"));
        rec.timestamp = Timestamp::parse("2026-11-20T12:00:00.000Z");
        rec.params = Some(serde_json::json!({"i": i, "pad": "x".repeat(i % 300)}));
        writer.append(rec).unwrap();
    }
}

fn assert_40000_lines(env: &Env) {
    let text = env.read(DAY);
    assert!(text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8 * PER_PROCESS);
    for l in &lines {
        let v: serde_json::Value = serde_json::from_str(l).expect("every line parses");
        assert!(v["skill"].as_str().unwrap().starts_with("writer-"));
    }
    env.log()
        .args(["query", "--count", "--strict"])
        .assert()
        .success()
        .stdout("40000\n")
        .stderr("");
}

#[test]
fn eight_processes_append_concurrently() {
    let env = Env::new();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..8)
        .map(|i| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "reliability::stress_writer_child",
                    "--ignored",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env("CCMON_STRESS_ROOT", env.root())
                .env("CCMON_STRESS_TAG", i.to_string())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_40000_lines(&env);
}

#[test]
fn eight_cc_log_bulk_processes_append_concurrently() {
    let env = Env::new();
    let children: Vec<_> = (0..8)
        .map(|i| {
            let mut c = Command::new(env!("CARGO_BIN_EXE_cc-log"))
                .args(["log", "-"])
                .current_dir(env.root())
                .env_remove("CC_ROOT")
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let input: String = (0..PER_PROCESS)
                .map(|n| {
                    line(
                        "2026-11-20T12:00:00.000Z",
                        &format!("writer-{i}"),
                        "success",
                        n as f64,
                        "",
                    ) + "\n"
                })
                .collect();
            let mut stdin = c.stdin.take().unwrap();
            std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
            c
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_40000_lines(&env);
}

#[test]
fn torn_line_is_isolated_and_skipped() {
    let env = Env::new();
    env.write("ccmon.json", r#"{"host": false}"#);
    for i in 0..3 {
        env.record(&format!(
            r#"{{"timestamp":"2026-11-20T10:00:0{i}.000Z","skill":"s","id":"r{i}"}}"#
        ));
    }
    // A writer killed mid-line: truncate the last record half-way.
    let path = env.path(DAY);
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 20)
        .unwrap();
    env.record(r#"{"timestamp":"2026-11-20T10:00:09.000Z","skill":"s","id":"after"}"#);
    let text = env.read(DAY);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[3],
        r#"{"timestamp":"2026-11-20T10:00:09.000Z","skill":"s","result":"success","cacheHit":false,"error":null,"id":"after"}"#
    );
    let warning = format!("warning: skipped 1 malformed line ({DAY}:3)\n");
    env.log()
        .args(["query", "--count"])
        .assert()
        .success()
        .stdout("3\n")
        .stderr(warning.clone());
    env.log()
        .args(["query", "--count", "--strict"])
        .assert()
        .code(1)
        .stdout("3\n")
        .stderr(warning);
    env.log()
        .args(["query", "--count", "--quiet"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn corrupt_files_never_panic() {
    let env = Env::new();
    let good = line("2026-11-20T10:00:00.000Z", "good", "success", 5.0, "");
    let big_valid = line(
        "2026-11-20T10:00:01.000Z",
        "big",
        "success",
        5.0,
        &format!(r#","params":{{"blob":"{}"}}"#, "y".repeat(10 << 20)),
    );
    let mut data = Vec::new();
    data.extend_from_slice(good.as_bytes());
    data.extend_from_slice(b"\n\x00\x01\x02\xff\xfe garbage\n");
    data.extend_from_slice(
        b"{\"timestamp\":\"2026-11-20T10:00:00Z\",\"skill\":\"bad\xc3\x28utf8\"}\n",
    );
    data.extend_from_slice(&vec![b'{'; 10 << 20]);
    data.extend_from_slice(b"\n{\"timestamp\":\"2026-11-20T10:00:00Z\",\"skill\":5}\n");
    data.extend_from_slice(b"{\"timestamp\":\"2026-11-20T10:00:00Z\",\"result\":\"success\"}\n");
    data.extend_from_slice(b"[1,2,3]\n\n   \n");
    data.extend_from_slice(big_valid.as_bytes());
    data.extend_from_slice(b"\n{\"timestamp\":\"2026-11-20T10:00:00Z\",\"skill\":\"torn");
    env.write(DAY, data);
    env.write("logs/skill-invocations-2026-11-19.jsonl", "");
    env.write("logs/skill-invocations-2026-11-18.jsonl", "\n\n");
    let warning = format!("warning: skipped 7 malformed lines ({DAY}:2, {DAY}:3, {DAY}:4, ...)\n");
    for args in [
        &["query", "--count"][..],
        &["query", "--skill", "good", "--count"],
        &["stats", "--json"],
        &["stats", "--by", "day"],
        &["tail", "-n", "3"],
        &["query", "--limit", "0", "--json"],
    ] {
        let (stdout, stderr, code) = Env::run(&env, args);
        assert_eq!(code, 0, "{args:?}");
        assert!(!stdout.is_empty(), "{args:?}");
        if args.contains(&"--skill") {
            // The prefilter still reports torn and garbage lines; lines that are whole
            // JSON objects not mentioning the skill are not parsed.
            assert!(
                stderr.starts_with("warning: skipped "),
                "{args:?}: {stderr}"
            );
        } else {
            assert_eq!(stderr, warning, "{args:?}");
        }
        let mut strict = args.to_vec();
        strict.push("--strict");
        assert_eq!(Env::run(&env, &strict).2, 1, "{args:?} --strict");
    }
    env.log().args(["query", "--count"]).assert().stdout("2\n");
    let out = env
        .log()
        .args(["query", "--skill", "big", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.stdout.len(), big_valid.len() + 1);
}

#[test]
fn empty_files_and_blank_lines_do_not_warn() {
    let env = Env::new();
    env.write(
        DAY,
        format!(
            "\n\n{}\n\r\n   \n",
            line("2026-11-20T10:00:00.000Z", "s", "success", 1.0, "")
        ),
    );
    env.write("logs/skill-invocations-2026-11-19.jsonl", "");
    env.log()
        .args(["query", "--count", "--strict"])
        .assert()
        .success()
        .stdout("1\n")
        .stderr("");
}

#[test]
fn out_of_order_writes_are_read_in_time_order() {
    let env = Env::new();
    let times = [
        "2026-11-20T10:00:05.000Z",
        "2026-11-20T10:00:01.000Z",
        "2026-11-20T10:00:09.000Z",
        "2026-11-20T10:00:03.000Z",
    ];
    for (i, t) in times.iter().enumerate() {
        env.record(&format!(r#"{{"timestamp":"{t}","skill":"s","id":"{i}"}}"#));
    }
    let out = env.log().args(["tail", "--json"]).output().unwrap();
    let got: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["timestamp"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut want: Vec<String> = times.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
}
