//! Every way a record leaves the tools passes the redactor (SPEC §15): records other
//! tools wrote, shown by cc-progress and cc-dashboard (view, JSON, saved document, HTML,
//! exports, notifications), and error messages that would quote an input value.

use crate::common;

use common::Env;

const NOW: &str = "2026-11-20T12:00:00Z";
const TOKEN: &str = "ghp_R2d2C3poX9wingLuke0Leia1Han2Solo3Chew";
const DB_PASSWORD: &str = "Falcon!9047Orbit";

fn dsn() -> String {
    format!("postgres://app:{DB_PASSWORD}@db.internal:5432/orders")
}

/// Asserts that neither secret appears in `text`, naming `what` showed it.
fn clean(what: &str, text: &str) {
    for secret in [TOKEN, DB_PASSWORD] {
        assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
    }
}

/// A root holding records another tool wrote with secrets in them, in every stream the
/// dashboard and cc-progress read.
fn foreign_records() -> Env {
    let env = Env::new();
    let dsn = dsn();
    env.write(
        "logs/skill-invocations-2026-11-20.jsonl",
        format!(
            "{}\n{}\n",
            format_args!(
                r#"{{"timestamp":"2026-11-20T11:00:00Z","skill":"deploy","result":"failure","duration":1200,"error":"connect {dsn} failed","params":{{"token":"{TOKEN}"}}}}"#
            ),
            format_args!(
                r#"{{"timestamp":"2026-11-20T11:30:00Z","skill":"push {TOKEN}","result":"failure","duration":900,"error":"connect {dsn} failed"}}"#
            ),
        ),
    );
    env.write(
        "analytics/cuj-metrics-2026-11-20.jsonl",
        format!(
            "{}\n",
            format_args!(
                r#"{{"timestamp":"2026-11-20T11:00:00Z","cujId":"CUJ-A","success":false,"duration":500,"error":"auth with {TOKEN} refused"}}"#
            )
        ),
    );
    env.write(
        "analytics/progress-2026-11-20.jsonl",
        format!(
            "{}\n{}\n",
            r#"{"timestamp":"2026-11-20T10:00:00Z","runId":"run-1","step":0,"status":"running","totalSteps":2,"name":"release"}"#,
            format_args!(
                r#"{{"timestamp":"2026-11-20T10:05:00Z","runId":"run-1","step":1,"status":"failed","message":"pushing with {TOKEN}","error":"psql {dsn}: timeout"}}"#
            ),
        ),
    );
    env.write(
        "analytics/provider-health-2026-11-20.jsonl",
        format!(
            "{}\n",
            format_args!(
                r#"{{"timestamp":"2026-11-20T11:50:00Z","provider":"anthropic","success":false,"latency":1000,"error":"401 for key {TOKEN}"}}"#
            )
        ),
    );
    env.write(
        "analytics/notifications-2026-11-20.jsonl",
        format!(
            "{}\n",
            format_args!(
                r#"{{"timestamp":"2026-11-20T10:06:00Z","id":"n-1","type":"run_failed","runId":"run-1","message":"run-1 failed: {dsn}"}}"#
            )
        ),
    );
    env
}

fn dashboard(env: &Env, args: &[&str]) -> (String, String, i32) {
    common::outcome(
        env.cmd("cc-dashboard")
            .env("CC_NOW", NOW)
            .env("COLUMNS", "120")
            .arg("--utc")
            .args(args),
    )
}

#[test]
fn progress_show_and_current_redact_what_other_tools_wrote() {
    let env = foreign_records();
    for args in [
        &["show", "run-1", "--utc"][..],
        &["show", "run-1", "--json"],
        &["current", "run-1", "--utc"],
        &["current", "run-1", "--json"],
        &["runs", "--json"],
        &["history", "run-1", "--json"],
    ] {
        let (out, err, code) = env.run_bin("cc-progress", args);
        assert_eq!(code, 0, "cc-progress {args:?}: {err}");
        clean(&format!("cc-progress {args:?}"), &out);
        clean(&format!("cc-progress {args:?} (stderr)"), &err);
    }
    let (out, _, _) = env.run_bin("cc-progress", &["show", "run-1", "--json"]);
    assert!(out.contains("pushing with [REDACTED]"), "{out}");
    assert!(
        out.contains("psql postgres://app:[REDACTED]@db.internal:5432/orders: timeout"),
        "{out}"
    );
}

#[test]
fn every_dashboard_output_is_redacted() {
    let env = foreign_records();
    for args in [
        &["json"][..],
        &["view", "--refresh"],
        &["view", "--json"],
        &["generate"],
        &["notifications"],
        &["notifications", "--json"],
        &["export", "--format", "prometheus"],
        &["export", "--format", "otlp"],
    ] {
        let (out, err, code) = dashboard(&env, args);
        assert!(code <= 1, "cc-dashboard {args:?} exited {code}: {err}");
        clean(&format!("cc-dashboard {args:?}"), &out);
        clean(&format!("cc-dashboard {args:?} (stderr)"), &err);
    }
    // The saved document and the HTML page.
    let (_, err, code) = dashboard(&env, &["html", "-o", "report.html"]);
    assert!(code <= 1, "{err}");
    clean("report.html", &env.read("report.html"));
    let saved: Vec<String> = env
        .files()
        .into_iter()
        .filter(|f| f.ends_with("dashboard.json"))
        .collect();
    assert_eq!(saved.len(), 1, "{:?}", env.files());
    clean(&saved[0], &env.read(&saved[0]));
    // The notification is still there, with its message redacted.
    let (out, _, _) = dashboard(&env, &["notifications", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        rows[0]["message"],
        "run-1 failed: postgres://app:[REDACTED]@db.internal:5432/orders"
    );
}

#[test]
fn error_messages_never_quote_a_secret() {
    let env = Env::new();
    let dsn = dsn();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "log".into(),
                "--record".into(),
                format!(r#"{{"skill":"s","duration":"{dsn}"}}"#),
            ],
            "invalid --record: field duration: expected f64, found string",
        ),
        (
            vec![
                "log".into(),
                "--record".into(),
                format!(r#"{{"skill":"s","result":"{TOKEN}"}}"#),
            ],
            "invalid --record: field result: unknown variant, expected",
        ),
        (
            vec![
                "log".into(),
                "--record".into(),
                format!(r#"{{"skill":"s","timestamp":"{dsn}"}}"#),
            ],
            "invalid --record: field timestamp:",
        ),
        (
            vec![
                "log".into(),
                "--skill".into(),
                "s".into(),
                "--duration".into(),
                dsn.clone(),
            ],
            "invalid --duration",
        ),
        (
            vec!["query".into(), "--since".into(), dsn.clone()],
            "invalid --since",
        ),
        // The parser's own errors quote the value too: through the redactor.
        (
            vec![
                "log".into(),
                "--skill".into(),
                "s".into(),
                "--result".into(),
                TOKEN.into(),
            ],
            "error: invalid value for '--result <R>'",
        ),
        (
            vec!["stats".into(), "--by".into(), TOKEN.into()],
            "error: invalid value for '--by <FIELD>'",
        ),
        (
            vec!["query".into(), "--limit".into(), dsn.clone()],
            "for '--limit <N>'",
        ),
        (vec![TOKEN.into()], "error: unrecognized subcommand\n"),
        (
            vec!["--color".into(), format!("x\u{7}{TOKEN}"), "query".into()],
            "error: invalid value for '--color <WHEN>'",
        ),
    ];
    for (args, want) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, err, code) = env.run(&args);
        assert_eq!(code, 2, "cc-log {args:?}: {err}");
        assert!(
            err.contains(want),
            "cc-log {args:?}: want {want:?} in {err}"
        );
        clean(&format!("cc-log {args:?}"), &err);
        clean(&format!("cc-log {args:?}"), &out);
        assert!(!err.contains('\u{7}'), "{err:?}");
    }
    assert!(
        env.files().iter().all(|f| !f.starts_with("logs/")),
        "{:?}",
        env.files()
    );

    // Bulk: the bad line is reported without its value, the good one is written.
    let input = format!(
        "{}\n{}\n",
        format_args!(r#"{{"skill":"s","duration":"{dsn}"}}"#),
        r#"{"skill":"ok","duration":5}"#
    );
    let (_, err, code) = common::outcome(env.log().args(["log", "-"]).write_stdin(input));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("invalid line 1: field duration: expected f64, found string at line 1"),
        "{err}"
    );
    clean("cc-log log -", &err);
    assert_eq!(env.records("logs/").len(), 1);
}

#[test]
fn sanitize_and_bulk_keep_the_order_of_many_lines() {
    let env = Env::new();
    let (mut input, mut want) = (String::new(), String::new());
    for i in 0..10_000 {
        if i % 7 == 0 {
            input.push_str(&format!("{{\"i\": {i}, \"password\": \"pw-{i}\"}}\n"));
            want.push_str(&format!("{{\"i\":{i},\"password\":\"[REDACTED]\"}}\n"));
        } else if i % 1000 == 999 {
            input.push_str(&format!("plain line {i} with {TOKEN}\r\n"));
            want.push_str(&format!("plain line {i} with [REDACTED]\n"));
        } else {
            // Unchanged lines come out as they went in, spacing included.
            input.push_str(&format!("{{\"i\": {i}, \"msg\": \"line {i}\"}}\n"));
            want.push_str(&format!("{{\"i\": {i}, \"msg\": \"line {i}\"}}\n"));
        }
    }
    let (out, err, code) = common::outcome(env.log().arg("sanitize").write_stdin(input));
    assert_eq!(code, 0, "{err}");
    // Lines 999, 1999, ... but 5999, which is a multiple of 7.
    assert_eq!(
        err,
        "warning: 9 lines were not JSON; they were redacted as plain text\n"
    );
    assert!(out == want, "sanitize output differs");

    let mut bulk = String::new();
    for i in 0..20_000 {
        if i % 5000 == 4999 {
            bulk.push_str("{\"skill\": \"s\", \"duration\": \"soon\"}\n");
        } else {
            bulk.push_str(&format!(
                "{{\"skill\":\"s\",\"duration\":{i},\"params\":{{\"token\":\"t-{i}\"}}}}\n"
            ));
        }
    }
    let (_, err, code) = common::outcome(env.log().args(["log", "-"]).write_stdin(bulk));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.ends_with("logged 19996 records; 4 invalid lines were not written\n"),
        "{err}"
    );
    assert_eq!(err.matches("invalid line ").count(), 4, "{err}");
    assert!(
        err.contains("invalid line 5000: field duration: expected f64, found string at line 1"),
        "{err}"
    );
    let records = env.records("logs/");
    assert_eq!(records.len(), 19_996);
    let durations: Vec<f64> = records
        .iter()
        .map(|r| r["duration"].as_f64().unwrap())
        .collect();
    let expected: Vec<f64> = (0..20_000)
        .filter(|i| i % 5000 != 4999)
        .map(f64::from)
        .collect();
    assert_eq!(durations, expected);
    assert!(records.iter().all(|r| r["params"]["token"] == "[REDACTED]"));
}

#[test]
fn dashboard_watch_redacts_what_it_draws_and_saves() {
    let env = foreign_records();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cc-dashboard"))
        .current_dir(env.root())
        .env_remove("CC_ROOT")
        .env("COLUMNS", "120")
        .env("TZ", "UTC")
        .args(["watch", "--utc", "--interval", "100ms"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first frame is drawn and saved at once; wait for the saved document.
    let saved = env.root().join("analytics/metrics-dashboard.json");
    let started = std::time::Instant::now();
    while !saved.exists() && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let out = child.wait_with_output().unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("[REDACTED]"), "{screen}");
    clean("cc-dashboard watch", &screen);
    clean(
        "cc-dashboard watch (stderr)",
        &String::from_utf8_lossy(&out.stderr),
    );
    clean(
        "the saved dashboard",
        &std::fs::read_to_string(&saved).unwrap(),
    );
}

/// `cc-progress output RUN -` stores its input line by line; a private key's lines go
/// into one chunk, so the redactor sees the whole key and none of its body is stored.
#[test]
fn progress_output_keeps_a_private_key_whole_for_the_redactor() {
    let env = Env::new();
    let body = [
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
        "QyNTUxOQAAACDpZ3nT5vR8sY1cE4fH6jD2gK0mN9bV3xC7zQ1wE5u7QwAAAJh0aW3n",
    ];
    let input = format!(
        "before\n-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n{}\n-----END OPENSSH PRIVATE KEY-----\nafter\nkey: -----BEGIN PRIVATE KEY-----\n{}\n",
        body[0], body[1], body[0]
    );
    let (_, err, code) = common::outcome(
        env.progress()
            .args(["output", "run-1", "-"])
            .write_stdin(input),
    );
    assert_eq!(code, 0, "{err}");
    let texts: Vec<String> = env
        .records("analytics/progress-")
        .iter()
        .map(|r| r["output"]["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(texts, ["before", "[REDACTED]", "after", "key: [REDACTED]"]);
}
