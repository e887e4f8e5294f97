//! `cc-progress` on temporary roots: the tracker, notifications, watch and wait, run
//! lists and chains, bad input.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::Env;
use serde_json::{Value, json};

const PROGRESS: &str = "analytics/progress-";
const NOTIFICATIONS: &str = "analytics/notifications-";

/// Runs cc-progress, which must exit 0 with nothing on standard error; returns stdout.
#[track_caller]
fn ok(env: &Env, args: &[&str]) -> String {
    env.test("cc-progress").args(args).stdout_any().run().stdout
}

/// The JSON document of `cc-progress ARGS --json`, which must succeed silently.
#[track_caller]
fn json_of(env: &Env, args: &[&str]) -> Value {
    env.test("cc-progress")
        .args(args)
        .arg("--json")
        .stdout_any()
        .run()
        .json()
}

fn kinds(env: &Env) -> Vec<String> {
    env.records(NOTIFICATIONS)
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_string())
        .collect()
}

/// A tracked run of 3 steps with explicit times, one minute apart from 10:00.
fn tracked(env: &Env) {
    let at = |m: u32| format!("2026-11-20T10:{m:02}:00Z");
    ok(
        env,
        &[
            "start",
            "run-001",
            "--steps",
            "3",
            "--name",
            "Review PR 12",
            "--source",
            "sprint",
            "--timestamp",
            &at(0),
        ],
    );
    ok(
        env,
        &[
            "step",
            "run-001",
            "Analyzing code",
            "--role",
            "designer",
            "--model",
            "claude-opus-4-6",
            "--timestamp",
            &at(1),
        ],
    );
    ok(env, &["complete-step", "run-001", "--timestamp", &at(3)]);
    ok(
        env,
        &[
            "step",
            "run-001",
            "Writing review",
            "--role",
            "checker",
            "--iteration",
            "2",
            "--timestamp",
            &at(4),
        ],
    );
}

#[test]
fn tracker_folds_steps_and_percentages() {
    let env = Env::new();
    tracked(&env);
    let mut cur = env.progress();
    cur.env("CC_NOW", "2026-11-20T10:10:00Z")
        .args(["current", "run-001", "--json"]);
    let v: Value = serde_json::from_slice(&cur.output().unwrap().stdout).unwrap();
    assert_eq!(v["runId"], "run-001");
    assert_eq!(v["status"], "running");
    assert_eq!(v["step"], 2);
    assert_eq!(v["totalSteps"], 3);
    assert_eq!(v["percentage"], 33.3);
    assert_eq!(v["message"], "Writing review");
    assert_eq!(v["name"], "Review PR 12");
    assert_eq!(v["source"], "sprint");
    assert_eq!(v["startedAt"], "2026-11-20T10:00:00.000Z");
    assert_eq!(v["updatedAt"], "2026-11-20T10:04:00.000Z");
    // Running: measured to now (CC_NOW), 10 minutes.
    assert_eq!(v["durationMs"], 600_000.0);
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        steps[0],
        json!({"step": 1, "status": "completed", "message": "Analyzing code",
               "startedAt": "2026-11-20T10:01:00.000Z", "endedAt": "2026-11-20T10:03:00.000Z",
               "durationMs": 120_000.0, "role": "designer", "tool": null,
               "model": "claude-opus-4-6", "iteration": null, "quality": null,
               "verdict": null})
    );
    assert_eq!(steps[1]["status"], "running");
    assert_eq!(steps[1]["iteration"], 2);
    assert_eq!(steps[1]["durationMs"], 360_000.0);

    // The stored events: step numbers and percentages derived by the tracker.
    let events = env.records(PROGRESS);
    let got: Vec<(Value, Value, Value)> = events
        .iter()
        .map(|e| {
            (
                e["step"].clone(),
                e["status"].clone(),
                e["percentage"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (json!(0), json!("running"), json!(0.0)),
            (json!(1), json!("running"), json!(0.0)),
            (json!(1), json!("completed"), json!(33.3)),
            (json!(2), json!("running"), json!(33.3)),
        ]
    );
    assert!(kinds(&env).is_empty());

    // Completing the last step completes the run; `complete` then adds its message.
    ok(
        &env,
        &[
            "complete-step",
            "run-001",
            "--timestamp",
            "2026-11-20T10:06:00Z",
        ],
    );
    ok(
        &env,
        &[
            "step",
            "run-001",
            "Posting",
            "--timestamp",
            "2026-11-20T10:07:00Z",
        ],
    );
    ok(
        &env,
        &[
            "complete-step",
            "run-001",
            "--timestamp",
            "2026-11-20T10:08:00Z",
        ],
    );
    ok(
        &env,
        &[
            "complete",
            "run-001",
            "Review posted",
            "--timestamp",
            "2026-11-20T10:09:00Z",
        ],
    );
    let v = json_of(&env, &["current", "run-001"]);
    assert_eq!(
        (&v["status"], &v["percentage"]),
        (&json!("completed"), &json!(100.0))
    );
    assert_eq!(v["durationMs"], 540_000.0);
    assert_eq!(v["message"], "Review posted");
    assert_eq!(kinds(&env), ["run_completed"]);
    assert_eq!(
        env.records(NOTIFICATIONS)[0]["message"],
        "Review PR 12 completed"
    );

    // A finished run takes no more steps.
    env.test("cc-progress")
        .args(["step", "run-001", "more"])
        .exit(2)
        .stderr_contains("run-001 has already completed")
        .writes_nothing()
        .run();

    // Human forms (compat: `current run-001`, `history run-001 50`).
    let out = ok(&env, &["current", "run-001", "--utc"]);
    assert_eq!(
        out,
        "run-001  Review PR 12\n  status   completed, step 3 of 3, 100%\n  message  Review posted\n  \
         source   sprint\n  started  2026-11-20 10:00:00 (took 9m 00s)\n  updated  2026-11-20 10:09:00\n"
    );
    let out = ok(&env, &["history", "run-001", "50"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 8);
    assert_eq!(
        lines[0],
        "TIME                 STEP  STATUS       PCT  MESSAGE         ERROR"
    );
    assert_eq!(
        lines[2],
        "2026-11-20 10:01:00     1  running       0%  Analyzing code"
    );
    let last_two = json_lines(&ok(&env, &["history", "run-001", "2", "--json"]));
    assert_eq!(last_two.len(), 2);
    assert_eq!(last_two[1]["message"], "Review posted");
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn concurrent_steps_from_many_processes_never_share_a_number() {
    let env = Env::new();
    ok(&env, &["start", "run-c", "--steps", "40"]);
    let children: Vec<Child> = (0..8)
        .map(|p| {
            let script = format!(
                "for i in 1 2 3 4 5; do \"$0\" step run-c \"worker {p} step $i\" || exit 1; done"
            );
            Command::new("sh")
                .arg("-c")
                .arg(script)
                .arg(env!("CARGO_BIN_EXE_cc-progress"))
                .current_dir(env.root())
                .env_remove("CC_ROOT")
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let mut steps: Vec<u64> = env
        .records(PROGRESS)
        .iter()
        .filter(|e| e["status"] == "running")
        .filter_map(|e| e["step"].as_u64())
        .filter(|s| *s > 0)
        .collect();
    steps.sort_unstable();
    assert_eq!(steps, (1..=40).collect::<Vec<u64>>());
    assert_eq!(json_of(&env, &["current", "run-c"])["step"], 40);
}

#[test]
fn notifications_once_per_transition() {
    let env = Env::new();
    // Failure, with the error in the message.
    ok(
        &env,
        &["start", "run-f", "--steps", "2", "--name", "Nightly"],
    );
    ok(&env, &["fail", "run-f", "tests failed: 3 of 40"]);
    env.test("cc-progress")
        .args(["fail", "run-f", "again"])
        .exit(2)
        .stderr_any()
        .writes_nothing()
        .run();
    // Cancellation.
    ok(&env, &["start", "run-x", "--steps", "1"]);
    ok(&env, &["cancel", "run-x"]);
    // PR states: created once, then merged.
    ok(&env, &["start", "run-p", "--steps", "1"]);
    for status in ["created", "created", "blocked_on_ci", "merged"] {
        ok(
            &env,
            &[
                "emit",
                "run-p",
                "--status",
                "running",
                "--step",
                "1",
                "--pr-url",
                "https://github.com/o/r/pull/12",
                "--pr-status",
                status,
            ],
        );
    }
    assert_eq!(
        kinds(&env),
        ["run_failed", "run_cancelled", "pr_created", "pr_merged"]
    );
    let n = env.records(NOTIFICATIONS);
    assert_eq!(n[0]["message"], "Nightly failed: tests failed: 3 of 40");
    assert_eq!(n[0]["runId"], "run-f");
    assert!(n[0]["id"].as_str().unwrap().starts_with("n-"));
    assert_eq!(
        n[2]["message"],
        "PR of run-p created: https://github.com/o/r/pull/12"
    );
}

#[test]
fn chains_report_sprints_and_end_with_a_notification() {
    let env = Env::new();
    let sprint = |run: &str, i: u32, status: &str| {
        let start = format!("2026-11-20T1{i}:00:00Z");
        let place = format!("{i}/3");
        ok(
            &env,
            &[
                "start",
                run,
                "--steps",
                "1",
                "--chain",
                "chain-7",
                "--sprint",
                &place,
                "--timestamp",
                &start,
            ],
        );
        let end = format!("2026-11-20T1{i}:30:00Z");
        let pr = format!("https://github.com/o/r/pull/{i}");
        match status {
            "completed" => ok(
                &env,
                &["complete", run, "--timestamp", &end, "--pr-url", &pr],
            ),
            "failed" => ok(
                &env,
                &["fail", run, "boom", "--timestamp", &end, "--pr-url", &pr],
            ),
            _ => String::new(),
        };
    };
    sprint("run-s1", 1, "completed");
    sprint("run-s2", 2, "running");
    let v = json_of(&env, &["chain", "chain-7"]);
    assert_eq!(v["status"], "running");
    assert_eq!((&v["completed"], &v["total"]), (&json!(1), &json!(3)));
    assert_eq!(
        v["sprints"][0],
        json!({"index": 1, "runId": "run-s1", "status": "completed", "durationMs": 1_800_000.0,
               "prUrl": "https://github.com/o/r/pull/1", "startedAt": "2026-11-20T11:00:00.000Z",
               "endedAt": "2026-11-20T11:30:00.000Z", "error": null, "attempts": []})
    );
    assert_eq!(v["sprints"][1]["status"], "running");
    assert_eq!(
        v["sprints"][2],
        json!({"index": 3, "runId": null, "status": "pending", "durationMs": null, "prUrl": null,
               "startedAt": null, "endedAt": null, "error": null, "attempts": []})
    );
    let out = ok(&env, &["chain", "chain-7"]);
    assert!(
        out.starts_with("chain-7: running — 1 of 3 sprints completed\n"),
        "{out}"
    );
    assert!(out.contains("   3/3  -       pending"), "{out}");
    assert_eq!(v["resumeFrom"], Value::Null);

    ok(
        &env,
        &["complete", "run-s2", "--timestamp", "2026-11-20T12:30:00Z"],
    );
    sprint("run-s3", 3, "completed");
    let v = json_of(&env, &["chain", "chain-7"]);
    assert_eq!(
        (&v["status"], &v["completed"]),
        (&json!("completed"), &json!(3))
    );
    assert_eq!(
        kinds(&env),
        [
            "run_completed",
            "run_completed",
            "run_completed",
            "sprint_completed"
        ]
    );

    // A failed sprint ends its chain.
    let other = Env::new();
    ok(
        &other,
        &[
            "start", "run-a", "--steps", "1", "--chain", "chain-8", "--sprint", "1/2",
        ],
    );
    ok(&other, &["fail", "run-a", "boom"]);
    assert_eq!(kinds(&other), ["run_failed", "sprint_failed"]);
    let failed = json_of(&other, &["chain", "chain-8"]);
    assert_eq!(failed["status"], "failed");
    // Why it stopped, on the sprint that stopped it (not only on earlier attempts).
    assert_eq!(failed["sprints"][0]["error"], "boom");
    let out = ok(&other, &["chain", "chain-8"]);
    assert!(
        out.lines()
            .any(|l| l.contains("run-a") && l.ends_with("boom")),
        "{out}"
    );
    assert_eq!(
        ok(&other, &["chain", "nope"]),
        "no runs belong to chain nope\n"
    );
}

#[test]
fn runs_are_listed_newest_first_in_pages() {
    let env = Env::new();
    for i in 0..25 {
        let run = format!("run-{i:02}");
        let ts = format!("2026-11-20T10:{i:02}:00Z");
        let source = if i % 2 == 0 { "sprint" } else { "cli" };
        ok(
            &env,
            &[
                "start",
                &run,
                "--steps",
                "2",
                "--source",
                source,
                "--timestamp",
                &ts,
            ],
        );
        if i % 5 == 0 {
            ok(&env, &["fail", &run, "boom", "--timestamp", &ts]);
        }
    }
    let page1 = json_of(&env, &["runs"]);
    assert_eq!(page1.as_array().unwrap().len(), 20);
    assert_eq!(page1[0]["runId"], "run-24");
    assert_eq!(page1[19]["runId"], "run-05");
    let keys: Vec<&str> = page1[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "runId",
            "status",
            "name",
            "source",
            "message",
            "startedAt",
            "durationMs",
            "prStatus",
            "ciStatus",
            "quality",
            "costUsd",
            "prompt",
            "workflow",
            "stale"
        ]
    );
    let page2 = json_of(&env, &["runs", "--page", "2"]);
    let ids: Vec<&str> = page2
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["run-04", "run-03", "run-02", "run-01", "run-00"]);
    let failed = json_of(&env, &["runs", "--status", "failed", "--limit", "2"]);
    let ids: Vec<&str> = failed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["run-20", "run-15"]);
    assert_eq!(
        json_of(&env, &["runs", "--source", "cli", "--limit", "0"])
            .as_array()
            .unwrap()
            .len(),
        12
    );
    let out = ok(&env, &["runs", "--limit", "3"]);
    assert!(
        out.ends_with("page 1 of 9 (25 runs; --page N for more)\n"),
        "{out}"
    );
    assert_eq!(
        ok(&env, &["runs", "--page", "9", "--limit", "3"])
            .lines()
            .count(),
        3
    );
    assert_eq!(
        ok(&env, &["runs", "--page", "10", "--limit", "3"]),
        "page 10 is empty: 25 runs match\n"
    );
}

#[test]
fn show_has_the_timeline_quality_ci_and_errors() {
    let env = Env::new();
    tracked(&env);
    ok(
        &env,
        &[
            "emit",
            "run-001",
            "--status",
            "running",
            "--step",
            "2",
            "--quality",
            r#"{"composite":88,"verdict":"pass"}"#,
            "--ci-status",
            "failing",
            "--ci-check",
            "Unit Tests=success=https://ci.example.com/1",
            "--ci-check",
            "Lint=failure",
            "--error",
            "lint: 2 warnings",
            "--timestamp",
            "2026-11-20T10:05:00Z",
        ],
    );
    let out = ok(&env, &["show", "run-001", "--utc"]);
    for want in [
        "STEP  STATUS     ROLE      TOOL  MODEL            ITER  DURATION  QUALITY  MESSAGE",
        "   1  completed  designer  -     claude-opus-4-6     -    2m 00s  -        Analyzing code",
        "  pass 88  Writing review",
        "quality\n  composite        88\n  verdict          pass",
        "CI failing (checked 2026-11-20 10:05:00)\n  success  Unit Tests  https://ci.example.com/1\n  failure  Lint",
        "errors\n  2026-11-20 10:05:00 step 2  lint: 2 warnings",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    let v = json_of(&env, &["show", "run-001"]);
    assert_eq!(
        v["ci"]["checks"][0],
        json!({"name": "Unit Tests", "status": "success", "url": "https://ci.example.com/1"})
    );
    assert_eq!(v["errors"][0]["message"], "lint: 2 warnings");
    assert_eq!(
        ok(&env, &["show", "run-404"]),
        "no events for run run-404\n"
    );
    assert_eq!(ok(&env, &["current", "run-404", "--json"]), "null\n");
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let env = Env::new();
    let cases: [(&[&str], &str); 12] = [
        (
            &[
                "emit",
                "run-1",
                "--status",
                "running",
                "--percentage",
                "150",
            ],
            "percentage",
        ),
        (&["emit", "run-1", "--status", "finished"], "--status"),
        (
            &["emit", "run-1", "--status", "running", "--step", "-1"],
            "--step",
        ),
        (
            &["emit", "run-1", "--status", "running", "--sprint", "6/5"],
            "--sprint",
        ),
        (
            &["emit", "run-1", "--status", "running", "--ci-check", "Lint"],
            "--ci-check",
        ),
        (
            &["emit", "run-1", "--status", "running", "--quality", "88"],
            "--quality",
        ),
        (
            &[
                "emit",
                "run-1",
                "--status",
                "running",
                "--pr-status",
                "open",
            ],
            "--pr-status",
        ),
        (&["emit", "", "--status", "running"], "RUN"),
        (&["step", "run-404", "hello"], "start it with"),
        (&["complete", "run-404"], "run-404 has no events"),
        (&["watch", "--until-done"], "RUN"),
        (&["runs", "--page", "0"], "--page"),
    ];
    for (args, needle) in cases {
        env.test("cc-progress")
            .args(args)
            .exit(2)
            .stderr_contains(needle)
            .run();
    }
    // Only the lock file may exist: no events, no notifications.
    let files = env.files();
    assert!(
        files.iter().all(|f| f == "analytics/progress.lock"),
        "{files:?}"
    );
    ok(&env, &["start", "run-1", "--steps", "2"]);
    env.test("cc-progress")
        .args(["start", "run-1", "--steps", "2"])
        .exit(2)
        .stderr_contains("run-1 was already started")
        .writes_nothing()
        .run();
    env.test("cc-progress")
        .args(["complete-step", "run-1"])
        .exit(2)
        .stderr_contains("no step running")
        .writes_nothing()
        .run();
    assert_eq!(env.records(PROGRESS).len(), 1);
}

/// A running `cc-progress` whose standard output lines arrive on a channel.
struct Watching {
    child: Child,
    lines: Receiver<String>,
}

impl Watching {
    fn start(env: &Env, args: &[&str]) -> Watching {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cc-progress"))
            .args(args)
            .current_dir(env.root())
            .env_remove("CC_ROOT")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines() {
                let Ok(l) = l else { break };
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Watching { child, lines }
    }

    /// The next line, waiting generously.
    fn next(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a line from watch")
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Emits events for `marker` until the watcher shows one: then it is following.
fn until_following(env: &Env, w: &Watching, run: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "watch never showed {run}");
        ok(env, &["emit", run, "--status", "pending"]);
        if let Ok(l) = w.lines.recv_timeout(Duration::from_millis(300)) {
            seen.push(l);
            while let Ok(l) = w.lines.recv_timeout(Duration::from_millis(300)) {
                seen.push(l);
            }
            return seen;
        }
    }
}

#[test]
fn watch_json_follows_other_writers_and_the_next_day() {
    let env = Env::new();
    ok(
        &env,
        &["emit", "run-old", "--status", "running", "--step", "0"],
    );
    let w = Watching::start(&env, &["watch", "--json", "-n", "0"]);
    let warmup = until_following(&env, &w, "run-ready");
    // Only what was appended after it started: never the older event.
    assert!(warmup.iter().all(|l| l.contains("run-ready")), "{warmup:?}");
    ok(
        &env,
        &[
            "emit",
            "run-new",
            "--status",
            "running",
            "--step",
            "1",
            "--message",
            "hello",
        ],
    );
    let v: Value = serde_json::from_str(&w.next()).unwrap();
    assert_eq!(
        (&v["runId"], &v["message"]),
        (&json!("run-new"), &json!("hello"))
    );
    // The day rollover: an event for tomorrow goes to a file that did not exist.
    ok(
        &env,
        &[
            "emit",
            "run-new",
            "--status",
            "completed",
            "--step",
            "1",
            "--timestamp",
            "2099-01-01T00:00:01Z",
        ],
    );
    let v: Value = serde_json::from_str(&w.next()).unwrap();
    assert_eq!(v["timestamp"], "2099-01-01T00:00:01.000Z");
    assert!(env.path("analytics/progress-2099-01-01.jsonl").exists());
}

#[test]
fn watch_lines_for_one_run_until_done() {
    let env = Env::new();
    ok(
        &env,
        &[
            "start",
            "run-w",
            "--steps",
            "2",
            "--timestamp",
            "2026-11-20T10:00:00Z",
        ],
    );
    ok(&env, &["start", "run-other", "--steps", "2"]);
    let mut w = Watching::start(&env, &["watch", "run-w", "--until-done", "--utc"]);
    assert_eq!(
        w.next(),
        "2026-11-20 10:00:00  run-w  step 0/2  running  0%"
    );
    ok(&env, &["step", "run-other", "not shown"]);
    ok(
        &env,
        &[
            "step",
            "run-w",
            "Building",
            "--timestamp",
            "2026-11-20T10:01:00Z",
        ],
    );
    assert_eq!(
        w.next(),
        "2026-11-20 10:01:00  run-w  step 1  running  0%  Building"
    );
    ok(
        &env,
        &[
            "fail",
            "run-w",
            "compile error",
            "--timestamp",
            "2026-11-20T10:02:00Z",
        ],
    );
    assert_eq!(
        w.next(),
        "2026-11-20 10:02:00  run-w  step 1  failed  compile error  error=\"compile error\""
    );
    assert_eq!(w.child.wait().unwrap().code(), Some(1));
}

#[test]
fn wait_exit_codes() {
    let env = Env::new();
    ok(&env, &["start", "run-done", "--steps", "1"]);
    ok(&env, &["complete", "run-done"]);
    env.progress()
        .args(["wait", "run-done"])
        .assert()
        .code(0)
        .stdout("");
    ok(&env, &["start", "run-bad", "--steps", "1"]);
    ok(&env, &["cancel", "run-bad"]);
    env.progress().args(["wait", "run-bad"]).assert().code(1);
    ok(&env, &["start", "run-slow", "--steps", "1"]);
    env.progress()
        .args(["wait", "run-slow", "--timeout", "300ms"])
        .assert()
        .code(124)
        .stdout("");
    // A run that ends while waiting (and one that had not even started).
    let mut waiter = Command::new(env!("CARGO_BIN_EXE_cc-progress"))
        .args(["wait", "run-later", "--timeout", "60s"])
        .current_dir(env.root())
        .env_remove("CC_ROOT")
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    ok(&env, &["start", "run-later", "--steps", "1"]);
    // Completing repeatedly is refused after the first, so retry the whole cycle by
    // emitting completion events until the waiter has seen one.
    loop {
        ok(
            &env,
            &[
                "emit",
                "run-later",
                "--status",
                "completed",
                "--percentage",
                "100",
            ],
        );
        if let Some(status) = waiter.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(Instant::now() < deadline, "wait did not return");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn start_needs_at_least_one_step() {
    let env = Env::new();
    env.test("cc-progress")
        .args(["start", "run-0", "--steps", "0"])
        .exit(2)
        .stderr_contains("--steps")
        .stderr_contains("at least 1")
        .run();
    assert!(env.records(PROGRESS).is_empty());
    assert!(env.records(NOTIFICATIONS).is_empty());
}

#[test]
fn concurrent_steps_and_completions_end_at_100_percent() {
    let env = Env::new();
    ok(&env, &["start", "run-cc", "--steps", "64"]);
    let children: Vec<Child> = (0..8)
        .map(|p| {
            let script = format!(
                "for i in 1 2 3 4 5 6 7 8; do \"$0\" step run-cc \"worker {p} step $i\" || exit 1; \
                 \"$0\" complete-step run-cc || exit 1; done"
            );
            Command::new("sh")
                .arg("-c")
                .arg(script)
                .arg(env!("CARGO_BIN_EXE_cc-progress"))
                .current_dir(env.root())
                .env_remove("CC_ROOT")
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let state = json_of(&env, &["current", "run-cc"]);
    assert_eq!(state["status"], "completed");
    assert_eq!(state["percentage"], 100.0);
    let steps = state["steps"].as_array().unwrap();
    let done: Vec<u64> = steps
        .iter()
        .filter(|s| s["status"] == "completed" && s["step"].as_u64() > Some(0))
        .map(|s| s["step"].as_u64().unwrap())
        .collect();
    assert_eq!(done, (1..=64).collect::<Vec<u64>>());
    assert!(steps.iter().all(|s| s["status"] != "running"), "{state}");
    // Exactly one run_completed, by the completion that reached 100%.
    assert_eq!(kinds(&env), vec!["run_completed"]);
}

#[test]
fn complete_step_takes_the_oldest_running_step_or_the_one_named() {
    let env = Env::new();
    ok(&env, &["start", "run-p", "--steps", "3"]);
    ok(&env, &["step", "run-p", "one"]);
    ok(&env, &["step", "run-p", "two"]);
    ok(&env, &["step", "run-p", "three"]);
    let e: Value = serde_json::from_str(&ok(
        &env,
        &["complete-step", "run-p", "--step", "2", "--json"],
    ))
    .unwrap();
    assert_eq!(
        (e["step"].as_u64(), e["percentage"].as_f64()),
        (Some(2), Some(33.3))
    );
    let e: Value = serde_json::from_str(&ok(&env, &["complete-step", "run-p", "--json"])).unwrap();
    assert_eq!(
        (e["step"].as_u64(), e["percentage"].as_f64()),
        (Some(1), Some(66.7))
    );
    let state = json_of(&env, &["current", "run-p"]);
    assert_eq!(state["status"], "running");
    env.test("cc-progress")
        .args(["complete-step", "run-p", "--step", "2"])
        .exit(2)
        .stderr_contains("--step")
        .stderr_contains("not running")
        .writes_nothing()
        .run();
    env.test("cc-progress")
        .args(["complete-step", "run-p", "--step", "9"])
        .exit(2)
        .stderr_contains("--step")
        .writes_nothing()
        .run();
    ok(&env, &["complete-step", "run-p"]);
    let state = json_of(&env, &["current", "run-p"]);
    assert_eq!(
        (state["status"].as_str(), state["percentage"].as_f64()),
        (Some("completed"), Some(100.0))
    );
}

#[test]
fn run_readers_warn_about_bad_lines_of_other_runs() {
    let env = Env::new();
    let good = r#"{"timestamp":"2026-11-20T10:00:00.000Z","runId":"run-1","step":0,"status":"running","percentage":0,"totalSteps":2,"error":null}"#;
    let other = r#"{"timestamp":"2026-11-20T10:00:01.000Z","runId":"run-2","step":0,"status":"running","error":null}"#;
    let torn = r#"{"timestamp":"2026-11-20T10:00:02.000Z","runId":"run-2","st"#;
    env.write(
        "analytics/progress-2026-11-20.jsonl",
        format!("{good}\n{other}\n{torn}\n\u{1}\u{2}garbage\n\n"),
    );
    for args in [
        &["history", "run-1"][..],
        &["current", "run-1"],
        &["show", "run-1"],
    ] {
        env.test("cc-progress")
            .args(args)
            .stdout_contains("running")
            .stderr_contains("skipped 2 malformed lines")
            .stderr_contains("progress-2026-11-20.jsonl:3")
            .run();
        env.test("cc-progress")
            .args(args)
            .arg("--strict")
            .exit(1)
            .stdout_any()
            .stderr_contains("skipped 2 malformed lines")
            .run();
    }
}

/// A run of issue 15's model: workflow, prompt, sandbox, config, per-step quality and
/// verdicts, CI with its check time, a PR error, and provider calls with its id.
fn codecourier_run(env: &Env) {
    let at = |m: u32| format!("2026-11-20T10:{m:02}:00Z");
    ok(
        env,
        &[
            "start",
            "run-9",
            "--steps",
            "2",
            "--name",
            "Fix bug",
            "--workflow",
            "review-and-fix",
            "--prompt",
            "Fix the login bug",
            "--sandbox",
            "sbx-1",
            "--trigger-run-id",
            "trg-1",
            "--config",
            r#"{"maxIterations":3}"#,
            "--timestamp",
            &at(0),
        ],
    );
    ok(
        env,
        &[
            "step",
            "run-9",
            "evaluate",
            "--role",
            "evaluator",
            "--quality",
            "correctness=90,codeStyle=80",
            "--timestamp",
            &at(1),
        ],
    );
    ok(env, &["complete-step", "run-9", "--timestamp", &at(2)]);
    ok(
        env,
        &[
            "step",
            "run-9",
            "check",
            "--role",
            "checker",
            "--verdict",
            "fail",
            "--quality",
            "correctness=70",
            "--timestamp",
            &at(3),
        ],
    );
    ok(
        env,
        &[
            "emit",
            "run-9",
            "--status",
            "running",
            "--ci-status",
            "failing",
            "--ci-check",
            "Unit Tests=failure",
            "--pr-status",
            "blocked_on_ci",
            "--pr-error",
            "CI failing",
            "--timestamp",
            &at(4),
        ],
    );
    for cost in ["0.25", "0.5"] {
        env.cmd("cc-health")
            .args([
                "record",
                "anthropic",
                "true",
                "1200",
                "--run-id",
                "run-9",
                "--cost",
                cost,
            ])
            .args(["--timestamp", "2026-11-20T10:02:30Z"])
            .assert()
            .success();
    }
    env.cmd("cc-health")
        .args([
            "record",
            "anthropic",
            "true",
            "900",
            "--run-id",
            "other",
            "--cost",
            "9",
        ])
        .args(["--timestamp", "2026-11-20T10:02:30Z"])
        .assert()
        .success();
}

#[test]
fn runs_carry_workflow_prompt_quality_verdicts_ci_and_cost() {
    let env = Env::new();
    codecourier_run(&env);
    let now = |c: &mut assert_cmd::Command| {
        c.env("CC_NOW", "2026-11-20T10:30:00Z");
    };
    let mut c = env.progress();
    now(&mut c);
    let state: Value = serde_json::from_slice(
        &c.args(["current", "run-9", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(state["workflow"], "review-and-fix");
    assert_eq!(state["prompt"], "Fix the login bug");
    assert_eq!(state["sandboxId"], "sbx-1");
    assert_eq!(state["triggerRunId"], "trg-1");
    assert_eq!(state["config"], json!({"maxIterations": 3}));
    assert_eq!(state["prError"], "CI failing");
    assert_eq!(state["ci"]["checkedAt"], "2026-11-20T10:04:00.000Z");
    // Step 1: (90 + 80) / 2 = 85 meets 80; step 2: 70 and the checker's fail.
    let steps = state["steps"].as_array().unwrap();
    assert_eq!(steps[0]["quality"]["composite"], 85.0);
    assert_eq!(steps[0]["quality"]["thresholdResult"], true);
    assert_eq!(steps[0]["verdict"], Value::Null);
    assert_eq!(steps[1]["quality"]["composite"], 70.0);
    assert_eq!(steps[1]["verdict"], "fail");
    assert_eq!(state["composite"], 77.5);
    assert_eq!(state["thresholdResult"], false);
    assert_eq!(state["costUsd"], 0.75);
    // The run list: CI, quality, cost, the prompt as preview, stale after 20m silent.
    let mut c = env.progress();
    now(&mut c);
    let rows: Value = serde_json::from_slice(
        &c.args(["runs", "--json", "--stale-after", "20m"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let row = &rows[0];
    assert_eq!(
        (
            row["ciStatus"].as_str(),
            row["quality"].as_f64(),
            row["costUsd"].as_f64(),
            row["prompt"].as_str(),
            row["workflow"].as_str(),
            row["stale"].as_bool(),
            row["status"].as_str(),
        ),
        (
            Some("failing"),
            Some(77.5),
            Some(0.75),
            Some("Fix the login bug"),
            Some("review-and-fix"),
            Some(true),
            Some("running")
        )
    );
    let mut c = env.progress();
    now(&mut c);
    let (out, err, code) = common::outcome(c.args(["runs", "--stale-after", "1h"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Fix the login bug") && out.contains("BLOCKED_ON_CI"),
        "{out}"
    );
    assert!(
        out.contains("77.5") && out.contains("$0.75") && out.contains("failing"),
        "{out}"
    );
    assert!(!out.contains("stale"), "{out}");
    let mut c = env.progress();
    now(&mut c);
    let (out, _, _) = common::outcome(c.args(["runs", "--stale-after", "10m"]));
    assert!(out.contains("stale"), "{out}");
    // --workflow filters.
    assert_eq!(json_of(&env, &["runs", "--workflow", "other"]), json!([]));
    assert_eq!(
        json_of(&env, &["runs", "--workflow", "review-and-fix"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // show: the step table carries verdicts and scores.
    let mut c = env.progress();
    now(&mut c);
    let (out, _, _) = common::outcome(c.args(["show", "run-9"]));
    assert!(
        out.contains("fail 70") && out.contains("77.5 (below threshold)"),
        "{out}"
    );
    assert!(
        out.contains("cost     $0.7500") && out.contains("CI failing (checked"),
        "{out}"
    );
    // Every stored record passes the schemas.
    common::validate_root(env.root());
}

#[test]
fn run_model_flags_refuse_bad_values() {
    let env = Env::new();
    for (args, needle) in [
        (
            &["start", "r", "--steps", "1", "--config", "[1]"][..],
            "--config",
        ),
        (
            &["start", "r", "--steps", "1", "--quality", "correctness=120"],
            "--quality",
        ),
        (
            &["start", "r", "--steps", "1", "--quality", "speed=3"],
            "--quality",
        ),
        (
            &["start", "r", "--steps", "1", "--verdict", "maybe"],
            "--verdict",
        ),
        (&["runs", "--stale-after", "soon"], "--stale-after"),
        (
            &[
                "emit",
                "r",
                "--status",
                "running",
                "--quality",
                r#"{"verdict":"ok"}"#,
            ],
            "quality.verdict",
        ),
    ] {
        env.test("cc-progress")
            .args(args)
            .exit(2)
            .stderr_contains(needle)
            .run();
    }
    assert!(env.records(PROGRESS).is_empty());
}

/// A recorded `claude -p --output-format stream-json` session: one response written
/// as two lines (text, then a tool call) whose usage grows, a tool result, a second
/// response, the result.
const CLAUDE_STREAM: &str = r#"{"type":"system","subtype":"init","session_id":"sess-1","model":"claude-sonnet-4-5-20250929","tools":["Bash"]}
{"type":"assistant","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"\u001b[1mI'll list the files.\u001b[0m"}],"usage":{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":5}},"parent_tool_use_id":null,"session_id":"sess-1"}
{"type":"assistant","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"tool_use","id":"toolu_01","name":"Bash","input":{"command":"ls","password":"hunter2"}}],"usage":{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":42}},"parent_tool_use_id":null,"session_id":"sess-1"}
{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_01","type":"tool_result","content":"ls: cannot access 'x': No such file","is_error":true}]},"parent_tool_use_id":null,"session_id":"sess-1"}
{"type":"assistant","message":{"id":"msg_02","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"No files."}],"usage":{"input_tokens":3,"cache_creation_input_tokens":0,"cache_read_input_tokens":2100,"output_tokens":4}},"parent_tool_use_id":null,"session_id":"sess-1"}
{"type":"result","subtype":"success","is_error":false,"duration_ms":2000,"num_turns":2,"result":"No files.","session_id":"sess-1","total_cost_usd":0.01}
"#;

/// A recorded `codex exec --json` session.
const CODEX_STREAM: &str = r#"{"type":"thread.started","thread_id":"0199a213-81c0-7800-8aa1-bbab2a035a53"}
{"type":"turn.started"}
{"type":"item.completed","item":{"id":"item_0","type":"reasoning","text":"**Listing files**"}}
{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"","exit_code":null,"status":"in_progress"}}
{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"a.txt\nb.txt\n","exit_code":0,"status":"completed"}}
{"type":"item.completed","item":{"id":"item_2","type":"mcp_tool_call","server":"github","tool":"get_issue","arguments":{"number":12},"result":null,"error":{"message":"404 Not Found"},"status":"failed"}}
{"type":"item.completed","item":{"id":"item_3","type":"agent_message","text":"There are two files."}}
{"type":"turn.completed","usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122}}
plain text that is not JSON
"#;

fn stream_run(env: &Env, run: &str, file: &str, extra: &[&str], exit: u8) -> (Vec<u8>, String) {
    let out = env
        .progress()
        .args(["stream", run])
        .args(extra)
        .args(["--", "sh", "-c", &format!("cat {file}; exit {exit}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(i32::from(exit)));
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn stream_records_a_claude_session_once() {
    let env = Env::new();
    env.write("claude.jsonl", CLAUDE_STREAM);
    let (stdout, err) = stream_run(&env, "run-s", "claude.jsonl", &["--name", "List files"], 0);
    // Passed through byte for byte.
    assert_eq!(stdout, CLAUDE_STREAM.as_bytes());
    assert!(
        err.contains("run-s: 4 output chunks, 1 tool call, 2 provider calls recorded"),
        "{err}"
    );
    let events = env.records(PROGRESS);
    let chunks: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.get("output").is_some())
        .map(|e| {
            assert!(e.get("status").is_none(), "{e}");
            (
                e["output"]["stream"].as_str().unwrap(),
                e["output"]["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        chunks,
        [
            ("assistant", "I'll list the files."),
            ("tool", r#"Bash {"command":"ls","password":"[REDACTED]"}"#),
            ("tool", "ls: cannot access 'x': No such file"),
            ("assistant", "No files."),
        ]
    );
    // The fold ignores the chunks: started, then completed by the exit status.
    let state = json_of(&env, &["current", "run-s"]);
    assert_eq!(
        (state["status"].as_str(), state["events"].as_u64()),
        (Some("completed"), Some(2))
    );
    assert_eq!(state["name"], "List files");
    let tools = env.records("logs/skill-invocations-");
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0]["id"], "claude-tool:toolu_01");
    assert_eq!(tools[0]["skill"], "Bash");
    assert_eq!(tools[0]["result"], "failure");
    assert_eq!(tools[0]["error"], "ls: cannot access 'x': No such file");
    assert_eq!(
        tools[0]["params"],
        json!({"command": "ls", "password": "[REDACTED]"})
    );
    assert_eq!(tools[0]["runId"], "run-s");
    let calls = env.records("analytics/provider-health-");
    let summary: Vec<(String, u64, u64, u64, u64)> = calls
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["inputTokens"].as_u64().unwrap(),
                c["outputTokens"].as_u64().unwrap(),
                c["cacheReadTokens"].as_u64().unwrap(),
                c["cacheWriteTokens"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("claude:msg_01".to_string(), 10, 42, 2000, 100),
            ("claude:msg_02".to_string(), 3, 4, 2100, 0)
        ]
    );
    assert!(
        calls
            .iter()
            .all(|c| c["provider"] == "anthropic" && c["runId"] == "run-s")
    );
    // The same session again (as an import would meet it): nothing counted twice.
    let (_, err) = stream_run(&env, "run-s2", "claude.jsonl", &[], 0);
    assert!(
        err.contains("0 tool calls, 0 provider calls recorded (3 already held)"),
        "{err}"
    );
    assert_eq!(env.records("logs/skill-invocations-").len(), 1);
    assert_eq!(env.records("analytics/provider-health-").len(), 2);
    common::validate_root(env.root());
}

#[test]
fn stream_records_a_codex_session_and_fails_the_run_with_the_exit_code() {
    let env = Env::new();
    env.write("codex.jsonl", CODEX_STREAM);
    let (stdout, err) = stream_run(&env, "run-x", "codex.jsonl", &["--model", "gpt-5-codex"], 3);
    assert_eq!(stdout, CODEX_STREAM.as_bytes());
    assert!(err.contains("2 tool calls, 1 provider call"), "{err}");
    let tools = env.records("logs/skill-invocations-");
    let got: Vec<(&str, &str)> = tools
        .iter()
        .map(|t| (t["skill"].as_str().unwrap(), t["result"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [("shell", "success"), ("mcp__github__get_issue", "failure")]
    );
    assert_eq!(tools[1]["error"], "404 Not Found");
    assert_eq!(tools[1]["params"], json!({"number": 12}));
    let calls = env.records("analytics/provider-health-");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        (
            calls[0]["provider"].as_str(),
            calls[0]["model"].as_str(),
            calls[0]["inputTokens"].as_u64(),
            calls[0]["cacheReadTokens"].as_u64(),
            calls[0]["outputTokens"].as_u64()
        ),
        (
            Some("openai"),
            Some("gpt-5-codex"),
            Some(315),
            Some(24448),
            Some(122)
        )
    );
    let events = env.records(PROGRESS);
    let texts: Vec<&str> = events
        .iter()
        .filter_map(|e| e["output"]["text"].as_str())
        .map(|t| t.split('\n').next().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "$ bash -lc ls",
            "mcp__github__get_issue",
            "There are two files.",
            "plain text that is not JSON"
        ]
    );
    let state = json_of(&env, &["current", "run-x"]);
    assert_eq!(state["status"], "failed");
    assert_eq!(state["errors"][0]["message"], "exited with code 3");
}

#[test]
fn output_chunks_are_shown_only_with_output() {
    let env = Env::new();
    ok(&env, &["start", "run-o", "--steps", "1"]);
    ok(
        &env,
        &[
            "output",
            "run-o",
            "--stream",
            "assistant",
            "\u{1b}[32mhello\u{1b}[0m",
        ],
    );
    let mut c = env.progress();
    c.args(["output", "run-o", "--stream", "stderr", "-"])
        .write_stdin("line one\nAuthorization: Bearer abcdefghijklmnopqrstuvwxyz123456\n");
    assert_eq!(common::outcome(&mut c).2, 0);
    ok(&env, &["complete", "run-o"]);
    let texts: Vec<String> = env
        .records(PROGRESS)
        .iter()
        .filter_map(|e| e["output"]["text"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        texts,
        ["hello", "line one", "Authorization: Bearer [REDACTED]"]
    );
    // history: the chunks only with --output.
    let plain = ok(&env, &["history", "run-o"]);
    assert!(!plain.contains("hello"), "{plain}");
    let with = ok(&env, &["history", "run-o", "--output"]);
    assert!(
        with.contains("[assistant]") && with.contains("hello"),
        "{with}"
    );
    assert_eq!(
        json_lines(&ok(&env, &["history", "run-o", "--json"])).len(),
        2
    );
    assert_eq!(
        json_lines(&ok(&env, &["history", "run-o", "--json", "--output"])).len(),
        5
    );
    // watch RUN --output: the chunks among the recent events, then the end.
    let out = ok(&env, &["watch", "run-o", "--output", "--until-done"]);
    assert!(
        out.contains("[assistant]  hello") && out.contains("[stderr]  line one"),
        "{out}"
    );
    let out = ok(&env, &["watch", "run-o", "--until-done"]);
    assert!(!out.contains("hello"), "{out}");
    // The fold ignores them.
    assert_eq!(json_of(&env, &["current", "run-o"])["events"], 2);
    env.test("cc-progress")
        .args(["output", "run-o", "--stream", "screen", "x"])
        .exit(2)
        .stderr_contains("--stream")
        .writes_nothing()
        .run();
    common::validate_root(env.root());
}

#[test]
fn chains_keep_failed_attempts_and_say_where_to_resume() {
    let env = Env::new();
    let at = |h: u32, m: u32| format!("2026-11-20T{h:02}:{m:02}:00Z");
    let sprint = |run: &str, place: &str, start: String, end: String, fail: bool| {
        ok(
            &env,
            &[
                "start",
                run,
                "--steps",
                "1",
                "--chain",
                "chain-9",
                "--sprint",
                place,
                "--timestamp",
                &start,
            ],
        );
        if fail {
            ok(&env, &["fail", run, "tests failed", "--timestamp", &end]);
        } else {
            ok(&env, &["complete", run, "--timestamp", &end]);
        }
    };
    sprint("c9-s1", "1/3", at(10, 0), at(10, 20), false);
    sprint("c9-s2a", "2/3", at(10, 30), at(10, 45), true);
    let v = json_of(&env, &["chain", "chain-9"]);
    assert_eq!(
        (v["status"].as_str(), v["resumeFrom"].as_u64()),
        (Some("failed"), Some(2))
    );
    // The sprint is run again and fails again: both attempts are kept.
    sprint("c9-s2b", "2/3", at(11, 0), at(11, 10), true);
    sprint("c9-s2c", "2/3", at(11, 20), at(11, 40), false);
    let v = json_of(&env, &["chain", "chain-9"]);
    assert_eq!(
        (v["status"].as_str(), v["resumeFrom"].as_u64()),
        (Some("running"), None)
    );
    let s2 = &v["sprints"][1];
    assert_eq!(
        (
            s2["runId"].as_str(),
            s2["startedAt"].as_str(),
            s2["endedAt"].as_str()
        ),
        (
            Some("c9-s2c"),
            Some("2026-11-20T11:20:00.000Z"),
            Some("2026-11-20T11:40:00.000Z")
        )
    );
    let attempts: Vec<(&str, &str, &str)> = s2["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["runId"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
                a["error"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            ("c9-s2a", "failed", "tests failed"),
            ("c9-s2b", "failed", "tests failed")
        ]
    );
    let out = ok(&env, &["chain", "chain-9", "--utc"]);
    assert!(
        out.contains("earlier  c9-s2a  failed") && out.contains("tests failed"),
        "{out}"
    );
    // Sprint 3 fails: resume from 3.
    sprint("c9-s3", "3/3", at(12, 0), at(12, 5), true);
    let out = ok(&env, &["chain", "chain-9"]);
    assert!(out.ends_with("resume from sprint 3 of 3\n"), "{out}");
    // chains lists every chain.
    ok(
        &env,
        &[
            "start",
            "solo",
            "--steps",
            "1",
            "--chain",
            "chain-1",
            "--sprint",
            "1/1",
            "--timestamp",
            &at(9, 0),
        ],
    );
    let rows = json_of(&env, &["chains"]);
    assert_eq!(
        rows,
        json!([
            {"chainId": "chain-9", "status": "failed", "completed": 2, "total": 3, "retries": 2,
             "resumeFrom": 3, "startedAt": "2026-11-20T10:00:00.000Z",
             "updatedAt": "2026-11-20T12:05:00.000Z"},
            {"chainId": "chain-1", "status": "running", "completed": 0, "total": 1, "retries": 0,
             "resumeFrom": null, "startedAt": "2026-11-20T09:00:00.000Z",
             "updatedAt": "2026-11-20T09:00:00.000Z"}
        ])
    );
    let out = ok(&env, &["chains", "--utc"]);
    assert!(
        out.contains("chain-9  failed") && out.contains("2/3"),
        "{out}"
    );
    assert_eq!(ok(&Env::new(), &["chains"]), "no sprint chains\n");
}

#[test]
fn watch_run_output_streams_chunks_live() {
    let env = Env::new();
    ok(
        &env,
        &[
            "start",
            "run-lo",
            "--steps",
            "1",
            "--timestamp",
            "2026-11-20T10:00:00Z",
        ],
    );
    ok(&env, &["start", "run-other", "--steps", "1"]);
    let mut w = Watching::start(
        &env,
        &["watch", "run-lo", "--output", "--until-done", "--utc"],
    );
    assert_eq!(
        w.next(),
        "2026-11-20 10:00:00  run-lo  step 0/1  running  0%"
    );
    ok(
        &env,
        &["output", "run-other", "--stream", "assistant", "not shown"],
    );
    ok(
        &env,
        &[
            "output",
            "run-lo",
            "--stream",
            "assistant",
            "\u{1b}[1mcompiling\u{1b}[0m crate",
        ],
    );
    let line = w.next();
    assert!(
        line.ends_with("run-lo  [assistant]  compiling crate"),
        "{line}"
    );
    ok(
        &env,
        &[
            "complete",
            "run-lo",
            "done",
            "--timestamp",
            "2026-11-20T10:05:00Z",
        ],
    );
    assert_eq!(
        w.next(),
        "2026-11-20 10:05:00  run-lo  step 0  completed  100%  done"
    );
    assert_eq!(w.child.wait().unwrap().code(), Some(0));
}
