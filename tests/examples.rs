//! The shell examples run, so they never rot (`cargo test` compiles the Rust ones).

mod common;

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
