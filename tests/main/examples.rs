//! The shell examples run, so they never rot (`cargo test` compiles the Rust ones).

use crate::common;

use common::Env;

#[test]
fn shell_instrumentation_example_runs() {
    let env = Env::new();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/instrument-workflow.sh"
    );
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg(env.root())
        .env("CC_LOG", env!("CARGO_BIN_EXE_cc-log"))
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("flaky-test failed (logged)"), "{stdout}");
    assert!(stdout.contains("invocations in run-"), "{stdout}");
    assert!(stdout.contains(": 5\n"), "{stdout}");
    env.log()
        .args(["query", "--result", "failure", "--count"])
        .assert()
        .stdout("1\n");
    env.log()
        .args(["query", "--skill", "review", "--count"])
        .assert()
        .stdout("2\n");
}

#[test]
fn agents_import_example_runs() {
    let env = Env::new();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/agents-import.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg(env.root())
        .env("CC_DASHBOARD", env!("CARGO_BIN_EXE_cc-dashboard"))
        .env("CC_HEALTH", env!("CARGO_BIN_EXE_cc-health"))
        .env("CC_LOG", env!("CARGO_BIN_EXE_cc-log"))
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with(
            "read 3 of 3 transcript files (16.4 KiB; 0 unchanged)\n\
             wrote 14 provider calls (1 API error) and 9 tool calls; 0 already held\n\
             read 0 of 3 transcript files (0 B; 3 unchanged)\n"
        ),
        "{stdout}"
    );
    // The same figures as ccusage gives for these transcripts (see the README).
    assert!(
        stdout.contains("2026-11-19      8   3 927     906      64 700       16 100  ~$0.20"),
        "{stdout}"
    );
    assert!(stdout.contains(" 529  API Error: 529 "), "{stdout}");
    assert!(stdout.contains("shell            1     0.0%"), "{stdout}");
    let stored: String = env
        .files()
        .iter()
        .filter(|f| f.ends_with(".jsonl"))
        .map(|f| env.read(f))
        .collect();
    assert!(
        stored.contains("STRIPE_API_KEY=[REDACTED] cargo test"),
        "{stored}"
    );
    assert!(
        !stored.contains("sk_test_51Hq"),
        "the key in a Bash command is redacted"
    );
}
