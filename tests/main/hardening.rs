//! The defects an attacker and a new user found (issue 14): links and FIFOs, modes under
//! any umask, oversized records, failed writes rolled back, reads that never create,
//! one JSON type per field on disk, terminal escapes.

use crate::common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::process::Command as StdCommand;

use common::{Env, outcome};

const DAY: &str = "logs/skill-invocations-2026-11-20.jsonl";
const REC: &str = r#"{"skill":"s","timestamp":"2026-11-20T10:00:00Z"}"#;

fn mkfifo(path: &std::path::Path) {
    let status = StdCommand::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn writers_never_follow_a_symlinked_daily_file_or_lock() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("logs")).unwrap();
    let target = env.path("elsewhere.txt");
    symlink(&target, env.path(DAY)).unwrap();
    let (_, err, code) = env.run(&["log", "--record", REC]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(err.contains("skill-invocations-2026-11-20.jsonl"), "{err}");
    assert!(!target.exists(), "the link's target was created");

    // The progress stream's lock file.
    std::fs::create_dir_all(env.path("analytics")).unwrap();
    let lock_target = env.path("lock-target");
    symlink(&lock_target, env.path("analytics/progress.lock")).unwrap();
    let (_, err, code) = env.run_bin("cc-progress", &["start", "r1", "--steps", "2"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("progress.lock") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(!lock_target.exists());
}

#[test]
fn fifos_are_skipped_by_readers_and_refused_by_writers() {
    let env = Env::new();
    env.record(REC);
    mkfifo(&env.path("logs/skill-invocations-2026-11-21.jsonl"));
    // Readers do not hang: they skip it with the warning.
    for args in [&["query"][..], &["stats"], &["query", "--count"]] {
        let mut cmd = env.log();
        cmd.args(args).timeout(std::time::Duration::from_secs(20));
        let (out, err, code) = outcome(&mut cmd);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(
            err.contains("warning: skipped 1 malformed line")
                && err.contains("skill-invocations-2026-11-21.jsonl"),
            "{args:?}: {err}"
        );
        assert!(!out.is_empty());
    }
    // Writers refuse it, single and bulk.
    let rec = r#"{"skill":"s","timestamp":"2026-11-21T10:00:00Z"}"#;
    let mut cmd = env.log();
    cmd.args(["log", "--record", rec])
        .timeout(std::time::Duration::from_secs(20));
    let (_, err, code) = outcome(&mut cmd);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("FIFO"), "{err}");
    let mut cmd = env.log();
    cmd.args(["log", "-"])
        .write_stdin(format!("{rec}\n"))
        .timeout(std::time::Duration::from_secs(20));
    let (_, err, code) = outcome(&mut cmd);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("FIFO"), "{err}");
}

#[test]
fn created_folders_and_files_are_private_whatever_the_umask() {
    let env = Env::new();
    let root = env.path("new-root");
    let bin = env!("CARGO_BIN_EXE_cc-log");
    let dash = env!("CARGO_BIN_EXE_cc-dashboard");
    let script = format!(
        "umask 000 && {bin} --root {r} log --record '{REC}' && {dash} --root {r} generate >/dev/null \
         && {dash} --root {r} html -o {r}/reports/out.html >/dev/null",
        r = root.display()
    );
    let status = StdCommand::new("sh")
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(mode(&root), 0o700);
    assert_eq!(mode(&root.join("logs")), 0o700);
    assert_eq!(mode(&root.join(DAY)), 0o600);
    assert_eq!(mode(&root.join("analytics")), 0o700);
    assert_eq!(mode(&root.join("analytics/metrics-dashboard.json")), 0o600);
    assert_eq!(mode(&root.join("reports")), 0o700);
    assert_eq!(mode(&root.join("reports/out.html")), 0o600);
}

#[test]
fn a_record_over_16_mib_is_refused_on_write() {
    let env = Env::new();
    let big = format!(
        r#"{{"skill":"s","params":{{"blob":"{}"}}}}"#,
        "x".repeat(17 << 20)
    );
    let mut cmd = env.log();
    cmd.args(["log", "-"])
        .write_stdin(format!("{big}\n{REC}\n"));
    let (_, err, code) = outcome(&mut cmd);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("line 1") && err.contains("16 MiB"), "{err}");
    // The valid line was written; the oversized one was not.
    assert_eq!(env.records("logs/").len(), 1);
}

#[test]
fn a_failed_append_is_rolled_back() {
    let env = Env::new();
    env.record(REC);
    let before = std::fs::read(env.path(DAY)).unwrap();
    // A file-size limit just above the current size: the next batch fails part-way
    // (EFBIG, as on a full disk). SIGXFSZ is ignored so the write returns the error.
    let bin = env!("CARGO_BIN_EXE_cc-log");
    let blocks = before.len() / 512 + 1; // `ulimit -f` counts 512-byte blocks
    let mut input = String::new();
    for i in 0..200 {
        input.push_str(&format!(
            r#"{{"skill":"bulk-{i}","timestamp":"2026-11-20T11:00:00Z","params":{{"pad":"{}"}}}}"#,
            "y".repeat(100)
        ));
        input.push('\n');
    }
    let script = format!("trap '' XFSZ; ulimit -f {blocks}; exec {bin} log -");
    let mut cmd = assert_cmd::Command::new("sh");
    cmd.args(["-c", &script])
        .current_dir(env.root())
        .write_stdin(input.clone());
    let (_, err, code) = outcome(&mut cmd);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        std::fs::read(env.path(DAY)).unwrap(),
        before,
        "the partial batch must be rolled back"
    );
    // A retry without the limit writes every record exactly once.
    env.log()
        .args(["log", "-"])
        .write_stdin(input)
        .assert()
        .success();
    assert_eq!(env.records("logs/").len(), 201);
}

#[test]
fn reads_never_create_a_root_a_folder_or_a_lock() {
    let env = Env::new();
    let typo = env.path("typo");
    let t = typo.to_str().unwrap();
    for (bin, args) in [
        ("cc-dashboard", &["view"][..]),
        ("cc-dashboard", &["json"]),
        ("cc-log", &["query"]),
        ("cc-log", &["stats"]),
        ("cc-metrics", &["all"]),
        ("cc-progress", &["runs"]),
        ("cc-health", &["status"]),
    ] {
        let mut full = vec!["--root", t];
        full.extend_from_slice(args);
        let (_, err, code) = env.run_bin(bin, &full);
        assert_eq!(code, 2, "{bin} {args:?}: {err}");
        assert!(err.contains("does not exist"), "{bin} {args:?}: {err}");
        assert!(!typo.exists(), "{bin} {args:?} created the root");
    }
    let (out, _, code) = env.run_bin("cc-health", &["--root", t, "check"]);
    assert_eq!((code, out.starts_with("CC-HEALTH UNKNOWN")), (3, true));
    // An existing, empty root: reads answer and create nothing.
    for (bin, args) in [
        ("cc-dashboard", &["view"][..]),
        ("cc-log", &["tail"]),
        ("cc-progress", &["complete", "no-such-run"]),
    ] {
        let (_, err, code) = env.run_bin(bin, args);
        assert!(code == 0 || code == 2, "{bin} {args:?}: {err}");
    }
    assert_eq!(env.files(), Vec::<String>::new());
}

#[test]
fn numbers_and_errors_keep_one_json_type_on_disk() {
    let env = Env::new();
    env.record(r#"{"skill":"a","duration":50,"timestamp":"2026-11-20T10:00:00Z"}"#);
    env.record(r#"{"skill":"b","duration":33.5,"timestamp":"2026-11-20T10:00:01Z","error":{"message":"boom","code":500}}"#);
    let text = env.read(DAY);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains(r#""duration":50.0,"#), "{}", lines[0]);
    assert!(lines[1].contains(r#""duration":33.5,"#), "{}", lines[1]);
    assert!(lines[1].contains(r#""error":"boom""#), "{}", lines[1]);
    assert!(
        lines[1].contains(r#""errorDetail":"{\"message\":\"boom\",\"code\":500}""#),
        "{}",
        lines[1]
    );
    // Counts stay integers; progress percentages are fractions.
    let (_, err, code) = env.run_bin(
        "cc-health",
        &[
            "record",
            "anthropic",
            "true",
            "1200",
            "--input-tokens",
            "10",
            "--status-code",
            "200",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let call = &env.records("analytics/provider-health-")[0];
    assert_eq!(call["latency"], serde_json::json!(1200.0));
    assert_eq!(call["inputTokens"], serde_json::json!(10));
    assert_eq!(call["statusCode"], serde_json::json!(200));
    env.run_bin("cc-progress", &["start", "r", "--steps", "2"]);
    let event = &env.records("analytics/progress-")[0];
    assert_eq!(event["percentage"], serde_json::json!(0.0));
    assert_eq!(event["step"], serde_json::json!(0));
    // Readers still take the older forms.
    let (out, err, code) = env.run(&["stats", "--json"]);
    assert_eq!(code, 0, "{err}");
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
}

#[test]
fn control_characters_from_records_never_reach_the_terminal() {
    let env = Env::new();
    env.record(
        r#"{"skill":"evil\u001b[2J\u0007","agent":"a\r\bb","error":"x\u202ey\u009b","result":"failure","timestamp":"2026-11-20T10:00:00Z","runId":"r\u001b]0;title\u0007"}"#,
    );
    for args in [
        &["query"][..],
        &["stats"],
        &["stats", "--by", "agent"],
        &["tail"],
        &["query", "--color", "always"],
    ] {
        let (out, err, code) = env.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        for bad in ['\u{1b}', '\u{7}', '\r', '\u{8}', '\u{202e}', '\u{9b}'] {
            let hits = out.matches(bad).count();
            // --color always adds our own SGR escapes; none may come from the record.
            let ours = if bad == '\u{1b}' {
                out.matches("\u{1b}[").count() - out.matches("\u{1b}[2J").count()
            } else {
                0
            };
            assert_eq!(
                hits, ours,
                "{args:?}: {bad:?} reached the terminal:\n{out:?}"
            );
        }
        assert!(!out.contains("\u{1b}[2J"), "{args:?}: {out:?}");
    }
    let (out, _, _) = env.run(&["query"]);
    assert!(out.contains(r"evil\e[2J\x07"), "{out}");
}

#[test]
fn control_characters_are_escaped_by_every_program() {
    let env = Env::new();
    let evil = r"x\u001b[2J\u0007\r\u202e\u009b";
    let now = "2026-11-20T12:00:00Z";
    env.write(
        "analytics/progress-2026-11-20.jsonl",
        format!(
            concat!(
                r#"{{"timestamp":"2026-11-20T10:00:00Z","runId":"run{e}","status":"running","step":1,"totalSteps":2,"name":"n{e}","message":"m{e}","role":"r{e}","prUrl":"u{e}","ci":{{"status":"s{e}","checks":[{{"name":"c{e}","status":"failure"}}]}}}}"#,
                "\n",
                r#"{{"timestamp":"2026-11-20T10:01:00Z","runId":"run{e}","status":"failed","error":"boom{e}"}}"#,
                "\n"
            ),
            e = evil
        ),
    );
    env.write(
        "analytics/provider-health-2026-11-20.jsonl",
        format!(
            r#"{{"timestamp":"2026-11-20T11:59:00Z","provider":"p{e}","success":false,"latency":5.0,"error":"bad{e}","model":"m{e}"}}"#,
            e = evil
        ) + "\n",
    );
    env.write(
        "analytics/notifications-2026-11-20.jsonl",
        format!(
            r#"{{"timestamp":"2026-11-20T10:01:00Z","id":"n-1","type":"run_failed","runId":"r","message":"msg{e}"}}"#,
            e = evil
        ) + "\n",
    );
    for (bin, args) in [
        ("cc-progress", &["runs"][..]),
        ("cc-progress", &["show", "no\u{1b}[2J"]),
        ("cc-health", &["status"]),
        ("cc-health", &["errors"]),
        (
            "cc-health",
            &["usage", "--by", "model", "--since", "2026-11-19"],
        ),
        ("cc-dashboard", &["view"]),
        ("cc-dashboard", &["notifications"]),
    ] {
        let mut cmd = env.cmd(bin);
        cmd.args(args).env("CC_NOW", now);
        let (out, err, code) = outcome(&mut cmd);
        assert!(code == 0, "{bin} {args:?}: {err}");
        for bad in ['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{9b}'] {
            assert!(!out.contains(bad), "{bin} {args:?}: {bad:?} in\n{out:?}");
            assert!(!err.contains(bad), "{bin} {args:?}: {bad:?} in\n{err:?}");
        }
    }
}

#[test]
fn out_of_range_numbers_are_refused() {
    let env = Env::new();
    for (bin, args) in [
        ("cc-log", &["log", "--skill", "s", "--duration", "1e19"][..]),
        (
            "cc-log",
            &["log", "--record", r#"{"skill":"s","duration":1e12}"#],
        ),
        ("cc-metrics", &["record", "CUJ-1", "true", "1e19"]),
        (
            "cc-health",
            &["record", "p", "true", "5", "--cost", "1e308"],
        ),
        ("cc-health", &["record", "p", "true", "5", "--cost", "-1"]),
        ("cc-health", &["record", "p", "true", "1e12"]),
        (
            "cc-health",
            &[
                "record",
                "p",
                "true",
                "5",
                "--input-tokens",
                "2000000000000",
            ],
        ),
    ] {
        let (_, err, code) = env.run_bin(bin, args);
        assert_eq!(code, 2, "{bin} {args:?}: {err}");
        assert!(err.contains("invalid"), "{bin} {args:?}: {err}");
    }
    assert_eq!(env.files(), Vec::<String>::new());
}

#[test]
fn exports_are_world_readable_for_a_collector() {
    let env = Env::new();
    env.record(REC);
    let out = env.path("textfile/ccmon.prom");
    let dash = env!("CARGO_BIN_EXE_cc-dashboard");
    let script = format!(
        "umask 077 && {dash} export --format prometheus -o {}",
        out.display()
    );
    let done = StdCommand::new("sh")
        .args(["-c", &script])
        .current_dir(env.root())
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(mode(&env.path("textfile")), 0o755);
    assert_eq!(mode(&out), 0o644);
}

#[test]
fn writers_create_a_new_root_and_hooks_never_fail_on_one() {
    let env = Env::new();
    // The import is a writer: a new root is created on its first write.
    let root = env.path("fresh-root");
    let transcripts = env.path("claude/projects/p");
    std::fs::create_dir_all(&transcripts).unwrap();
    let (_, err, code) = env.run_bin(
        "cc-dashboard",
        &[
            "--root",
            root.to_str().unwrap(),
            "import",
            "claude",
            "--dir",
            env.path("claude").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    // A hook installed with a data folder that does not exist yet exits 0, silently.
    let hook_root = env.path("not-yet");
    let mut cmd = env.log();
    cmd.args(["--root", hook_root.to_str().unwrap(), "hook"])
        .write_stdin(r#"{"hook_event_name":"SessionStart","session_id":"s1","cwd":"/tmp/p"}"#);
    let (out, _, code) = outcome(&mut cmd);
    assert_eq!((code, out.as_str()), (0, ""));
}

/// An invalid flag is a usage error that names the flag, the kind of value it got and
/// what was expected, and never echoes the value (SPEC §15): a secret pasted into the
/// wrong flag must not reach the terminal or a log of it.
#[test]
fn invalid_flags_name_the_flag_and_the_kind_of_value_not_the_value() {
    let env = Env::new();
    let secret = "sk-live-4f9a8b7c6d5e";
    let cases: [(&str, &[&str], &str); 4] = [
        (
            "cc-metrics",
            &["rate", "CUJ-005", secret],
            "cc-metrics: error: invalid WINDOW: got text: no number before a unit; expected a DURATION such as 500ms, 90s, 15m, 24h, 7d, 2w, 1h30m or milliseconds\n",
        ),
        (
            "cc-log",
            &["query", "--since", secret],
            "cc-log: error: invalid --since: got text, not a TIME; expected RFC 3339 (2026-11-20T13:45:00Z), a date (2026-11-20) or a DURATION ago (24h, 7d)\n",
        ),
        (
            "cc-metrics",
            &["record", "CUJ-005", secret, "10"],
            "cc-metrics: error: invalid SUCCESS: got text; expected one of true, false, 1, 0, ok, fail\n",
        ),
        (
            "cc-progress",
            &["emit", "run-1", "--status", "running", "--step", secret],
            "cc-progress: error: invalid --step: got text; expected a whole number ≥ 0\n",
        ),
    ];
    std::fs::create_dir_all(env.root()).unwrap();
    for (bin, args, want) in cases {
        let (stdout, stderr, code) = env.run_bin(bin, args);
        assert_eq!(
            (stdout.as_str(), stderr.as_str(), code),
            ("", want, 2),
            "{bin} {args:?}"
        );
    }
    assert!(env.files().is_empty(), "{:?}", env.files());
}

// Issue 11 item 4: every I/O error names what was being read or written (a path or a
// standard stream), its cause is printed once, and a closed output pipe ends quietly.

/// A program run with `stdin` and `stdout` as given, on `env`'s root, with the
/// variables it reads cleared: (stderr, exit code).
fn run_with_streams(
    env: &Env,
    bin: &str,
    args: &[&str],
    stdin: std::process::Stdio,
    stdout: std::process::Stdio,
) -> (String, i32) {
    let path = match bin {
        "cc-log" => env!("CARGO_BIN_EXE_cc-log"),
        "cc-progress" => env!("CARGO_BIN_EXE_cc-progress"),
        "cc-dashboard" => env!("CARGO_BIN_EXE_cc-dashboard"),
        other => panic!("unknown binary {other}"),
    };
    let mut cmd = StdCommand::new(path);
    cmd.args(args).current_dir(env.root()).env("TZ", "UTC");
    for var in ["CC_ROOT", "NO_COLOR", "FORCE_COLOR", "CC_NOW", "CC_ROLLUPS"] {
        cmd.env_remove(var);
    }
    let out = cmd
        .stdin(stdin)
        .stdout(stdout)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Commands that print something on every root, one per way of writing standard output.
const PRINTERS: [(&str, &[&str]); 5] = [
    ("cc-log", &["query"]),
    ("cc-log", &["query", "--json"]),
    ("cc-log", &["man"]),
    ("cc-log", &["completions", "bash"]),
    ("cc-dashboard", &["json"]),
];

#[test]
fn a_failed_write_on_standard_output_names_the_stream_and_exits_1() {
    let env = Env::new();
    env.record(REC);
    for (bin, args) in PRINTERS {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let (stderr, code) =
            run_with_streams(&env, bin, args, std::process::Stdio::null(), full.into());
        assert_eq!(
            (stderr.as_str(), code),
            (
                format!(
                    "{bin}: error: cannot write standard output: No space left on device (os error 28)\n"
                )
                .as_str(),
                1
            ),
            "{bin} {args:?}"
        );
    }
}

/// A warning that cannot be written (standard error full) is dropped: the answer is
/// still printed and the exit code still tells, never a panic (101).
#[test]
fn a_warning_on_a_full_standard_error_is_dropped_not_a_panic() {
    let env = Env::new();
    env.record(REC);
    let day = std::fs::read_dir(env.path("logs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut text = std::fs::read_to_string(&day).unwrap();
    text.push_str("not json\n");
    std::fs::write(&day, text).unwrap();
    for (args, want) in [(&["stats"][..], 0), (&["stats", "--strict"], 1)] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = StdCommand::new(env!("CARGO_BIN_EXE_cc-log"))
            .args(args)
            .current_dir(env.root())
            .env_remove("CC_ROOT")
            .stderr(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(want), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("SKILL"),
            "{args:?}"
        );
    }
}

#[test]
fn a_closed_standard_output_ends_quietly_with_0() {
    let env = Env::new();
    env.record(REC);
    let mut cases: Vec<(&str, &[&str])> = PRINTERS.to_vec();
    cases.push(("cc-log", &["sanitize"]));
    for (bin, args) in cases {
        // A pipe whose reading end is closed before the program starts: its first
        // write fails with EPIPE, whatever the timing.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let input = std::fs::File::open(env.path(DAY)).unwrap();
        let (stderr, code) = run_with_streams(&env, bin, args, input.into(), writer.into());
        assert_eq!((stderr.as_str(), code), ("", 0), "{bin} {args:?}");
    }
}

#[test]
fn a_failed_read_of_standard_input_names_the_stream_and_writes_nothing() {
    let env = Env::new();
    std::fs::create_dir(env.path("input")).unwrap();
    let cases: [(&str, &[&str]); 3] = [
        ("cc-log", &["log", "-"]),
        ("cc-log", &["sanitize"]),
        ("cc-progress", &["output", "run-1", "-"]),
    ];
    for (bin, args) in cases {
        // Reading a folder fails with EISDIR.
        let folder = std::fs::File::open(env.path("input")).unwrap();
        let (stderr, code) =
            run_with_streams(&env, bin, args, folder.into(), std::process::Stdio::null());
        assert_eq!(
            (stderr.as_str(), code),
            (
                format!("{bin}: error: cannot read standard input: Is a directory (os error 21)\n")
                    .as_str(),
                1
            ),
            "{bin} {args:?}"
        );
    }
    assert!(env.files().is_empty(), "{:?}", env.files());
}

#[test]
fn an_unwritable_export_path_names_the_path_and_the_part_in_the_way() {
    let env = Env::new();
    env.record(REC);
    env.write("taken", "a file where a folder should be");
    let (stdout, stderr, code) = env.run_bin(
        "cc-dashboard",
        &[
            "export",
            "--format",
            "prometheus",
            "--output",
            "taken/metrics.prom",
        ],
    );
    assert_eq!(
        (stdout.as_str(), stderr.as_str(), code),
        (
            "",
            "cc-dashboard: error: cannot write taken/metrics.prom: taken is a regular file, not a folder\n",
            1
        )
    );
    assert_eq!(env.read("taken"), "a file where a folder should be");
}

#[test]
fn an_error_that_cannot_be_printed_still_exits_1_not_in_a_panic() {
    let env = Env::new();
    env.record(REC);
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let out = StdCommand::new(env!("CARGO_BIN_EXE_cc-log"))
        .arg("query")
        .current_dir(env.root())
        .env_remove("CC_ROOT")
        .stdout(full())
        .stderr(full())
        .status()
        .unwrap();
    assert_eq!(out.code(), Some(1));
}

#[test]
fn a_log_input_other_than_stdin_is_refused_without_repeating_it() {
    let env = Env::new();
    let (out, err, code) = outcome(env.log().args(["log", "sk-live-not-a-file-4f9c2a"]));
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "cc-log: error: invalid INPUT: only - (standard input) is accepted; for a file: cc-log log - < FILE\n"
    );
    assert!(env.files().is_empty(), "{:?}", env.files());
}

/// Found by a newcomer's pass over the README: a file given as the root, a command
/// that cannot start, and the dashboard's watch into a pipe.
#[test]
fn a_file_as_root_a_missing_command_and_watch_into_a_pipe() {
    let env = Env::new();
    let file = env.path("afile");
    std::fs::write(&file, b"").unwrap();
    let file = file.to_str().unwrap();
    for (bin, args) in [
        ("cc-log", &["query"][..]),
        ("cc-log", &["log", "--skill", "x"][..]),
        ("cc-metrics", &["all"][..]),
        ("cc-dashboard", &["view"][..]),
    ] {
        let (out, err, code) = outcome(env.cmd(bin).args(args).args(["--root", file]));
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (
                2,
                "",
                format!("{bin}: error: invalid --root: {file} is not a folder\n").as_str()
            )
        );
    }
    assert_eq!(std::fs::read(env.path("afile")).unwrap(), b"");

    // Said at once, as a shell says "command not found"; the record keeps it too.
    let (_, err, code) = outcome(
        env.log()
            .args(["run", "--skill", "x", "--", "/no/such/cmd"]),
    );
    assert_eq!(code, 127);
    assert_eq!(
        err,
        "error: cannot run /no/such/cmd: No such file or directory (os error 2)\n"
    );
    let records = env.records("logs/");
    assert_eq!(
        records[0]["error"],
        "cannot run /no/such/cmd: No such file or directory (os error 2)"
    );

    // Into a pipe: dashboards as plain text, no screen control codes.
    let watched = StdCommand::new("timeout")
        .args(["2", env!("CARGO_BIN_EXE_cc-dashboard"), "watch"])
        .current_dir(env.root())
        .env_remove("CC_ROOT")
        .env_remove("FORCE_COLOR")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&watched.stdout);
    assert!(out.starts_with("ccmon dashboard"), "{out:?}");
    assert!(!out.contains('\x1b'), "{out:?}");
}

/// Small things a newcomer tripped on: a missing rules file is bad input, a bad
/// `--grep` says what is wrong on one line, `wait` on a run with no events says so, and
/// the last page of runs does not offer more.
#[test]
fn small_usage_errors_say_what_is_wrong() {
    let env = Env::new();
    std::fs::create_dir_all(env.path("analytics")).unwrap();
    let (_, err, code) =
        outcome(
            env.cmd("cc-dashboard")
                .args(["alerts", "--rules", "missing.json"]),
        );
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "cc-dashboard: error: invalid --rules: cannot read missing.json: No such file or directory (os error 2)\n"
        )
    );
    let (_, err, code) = outcome(env.log().args(["query", "--grep", "["]));
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "cc-log: error: invalid --grep: unclosed character class\n"
        )
    );
    let (_, err, code) = outcome(env.progress().args(["wait", "nope", "--timeout", "100ms"]));
    assert_eq!(
        (code, err.as_str()),
        (
            124,
            "cc-progress: nope has no events yet; waiting for it to start\n"
        )
    );
    for run in ["run-1", "run-2"] {
        let (_, err, code) = outcome(env.progress().args(["start", run, "--steps", "1"]));
        assert_eq!(code, 0, "{err}");
    }
    let (out, _, _) = outcome(env.progress().args(["runs", "--limit", "1", "--page", "2"]));
    assert!(out.ends_with("page 2 of 2 (2 runs)\n"), "{out}");
    let (out, _, _) = outcome(env.progress().args(["runs", "--limit", "1"]));
    assert!(
        out.ends_with("page 1 of 2 (2 runs; --page N for more)\n"),
        "{out}"
    );
}
