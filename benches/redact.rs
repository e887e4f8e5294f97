//! Benchmark (SPEC §7, issue 13): redaction speed on typical records, measured on the
//! real `cc-log` binary and on the library.
//!
//! - `cc-log sanitize`: MB/s of JSON lines redacted from standard input to standard out;
//! - bulk `cc-log log -`: records/s appended (each record validated and redacted);
//! - `Redactor::redact_value` and `redact_str` in one thread, for reference.
//!
//! Typical records are skill invocations with parameters (commands, paths, URLs, model
//! names, prose errors); one in fifty holds a credential somewhere.
//!
//! Run: `cargo bench --bench redact` (`CCMON_BENCH_MB` sets the sanitize input size,
//! default 128; `CCMON_BENCH_RECORDS` the bulk record count, default 1000000).

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use ccmon::redact::Redactor;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn token(&mut self, n: usize) -> String {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| ALNUM[(self.next() % ALNUM.len() as u64) as usize] as char)
            .collect()
    }
}

/// One typical record as a JSON line (no trailing newline).
fn record(rng: &mut Rng, i: usize, out: &mut String) {
    let skills = [
        "code-review",
        "bash",
        "read_file",
        "edit",
        "web-fetch",
        "test-runner",
        "planner",
    ];
    let commands = [
        "cargo test --workspace -- --nocapture",
        "git log --oneline -n 20 -- src/redact.rs",
        "npm run build && npm test",
        "docker compose up -d postgres",
        "rg -n 'fn main' src/",
        "pytest -q tests/test_api.py::test_login",
        "kubectl get pods -n staging -o wide",
    ];
    let paths = [
        "src/lib.rs",
        "src/store/append.rs",
        "tests/cc_log.rs",
        "README.md",
        "web/src/components/TokenBudget.tsx",
        "services/auth/session.go",
    ];
    let models = [
        "claude-opus-4-6",
        "claude-sonnet-4-5",
        "gpt-4o-mini-2024-07-18",
        "gemini-2.5-pro",
    ];
    let errors = [
        "",
        r#","error":"test failed: expected 3 rows, got 2""#,
        r#","error":"connection refused (os error 111)""#,
        r#","error":"token limit exceeded (8192 > 4096)""#,
    ];
    let secret = match i % 50 {
        0 => format!(
            r#","metadata":{{"env":{{"GITHUB_TOKEN":"ghp_{}"}}}}"#,
            rng.token(36)
        ),
        25 => format!(
            r#","metadata":{{"cmd":"psql postgres://app:{}@db:5432/prod -c 'select 1'"}}"#,
            rng.token(12)
        ),
        _ => String::new(),
    };
    let result = if i.is_multiple_of(9) {
        "failure"
    } else {
        "success"
    };
    let error = if result == "failure" {
        rng.pick(&errors)
    } else {
        ""
    };
    write!(
        out,
        r#"{{"timestamp":"2026-11-30T10:{:02}:{:02}.{:03}Z","skill":"{}","result":"{result}","duration":{},"agent":"developer","model":"{}","params":{{"command":"{}","path":"{}","max_tokens":4096,"url":"https://github.com/acme/app/pull/{}"}},"tags":["ci","run-{}"]{error}{secret}}}"#,
        i / 60 % 60,
        i % 60,
        i % 1000,
        rng.pick(&skills),
        rng.next() % 60_000,
        rng.pick(&models),
        rng.pick(&commands),
        rng.pick(&paths),
        rng.next() % 5000,
        i / 100,
    )
    .unwrap();
}

fn lines(count: Option<usize>, bytes: Option<usize>) -> (String, usize) {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut text = String::new();
    let mut n = 0;
    while count.is_none_or(|c| n < c) && bytes.is_none_or(|b| text.len() < b) {
        record(&mut rng, n, &mut text);
        text.push('\n');
        n += 1;
    }
    (text, n)
}

/// Runs `cc-log` with `input` on standard input; returns the wall time, the CPU time it
/// used (user + system, all threads) and the bytes it printed. The child is reaped with
/// `wait4` for its resource usage, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run(bin: &str, root: &std::path::Path, args: &[&str], input: &[u8]) -> (f64, f64, usize) {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .arg("--root")
        .arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let mut printed = Vec::new();
    stdout.read_to_end(&mut printed).unwrap();
    writer.join().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, and pid is our own child, not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    assert_eq!(status, 0, "cc-log {args:?} failed");
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    (started.elapsed().as_secs_f64(), cpu, printed.len())
}

fn best_of(n: usize, f: impl Fn() -> (f64, f64, usize)) -> (f64, f64, usize) {
    (0..n)
        .map(|_| f())
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap()
}

fn main() {
    let bin = env!("CARGO_BIN_EXE_cc-log");
    let mb: usize = std::env::var("CCMON_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    let count: usize = std::env::var("CCMON_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));

    let (text, n) = lines(None, Some(mb << 20));
    let size = text.len() as f64;
    println!(
        "input: {n} typical records, {:.0} MB, {:.0} bytes per record",
        size / 1e6,
        size / n as f64
    );
    let root = tempfile::tempdir_in(&tmp).unwrap();
    let (secs, cpu, printed) = best_of(3, || run(bin, root.path(), &["sanitize"], text.as_bytes()));
    println!(
        "cc-log sanitize                 {secs:>6.3} s  {:>6.0} MB/s  CPU {cpu:.2} s ({:.0} MB per CPU-second)  ({:.0} MB out)",
        size / 1e6 / secs,
        size / 1e6 / cpu,
        printed as f64 / 1e6
    );

    let (bulk, n) = lines(Some(count), None);
    let (secs, cpu, _) = best_of(3, || {
        let scratch = tempfile::tempdir_in(&tmp).unwrap();
        run(bin, scratch.path(), &["log", "-"], bulk.as_bytes())
    });
    println!(
        "cc-log log - (bulk)             {secs:>6.3} s  {:>8.0} records/s  CPU {cpu:.2} s ({:.0} records per CPU-second)  ({n} records as above)",
        n as f64 / secs,
        n as f64 / cpu
    );
    // The small records of benches/log_read.rs, for comparison with its figure.
    let mut small = String::with_capacity(count * 110);
    for i in 0..count {
        writeln!(
            small,
            r#"{{"skill":"bulk-{}","result":"success","duration":{},"agent":"developer","params":{{"path":"src/lib.rs","n":{i}}}}}"#,
            i % 17,
            i % 5000
        )
        .unwrap();
    }
    let (secs, cpu, _) = best_of(3, || {
        let scratch = tempfile::tempdir_in(&tmp).unwrap();
        run(bin, scratch.path(), &["log", "-"], small.as_bytes())
    });
    println!(
        "cc-log log - (bulk, small)      {secs:>6.3} s  {:>8.0} records/s  CPU {cpu:.2} s ({:.0} records per CPU-second)  ({count} records of benches/log_read.rs)",
        count as f64 / secs,
        count as f64 / cpu
    );

    // The library alone, one thread.
    let redactor = Redactor::default();
    let values: Vec<serde_json::Value> = bulk
        .lines()
        .take(200_000)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let started = Instant::now();
    let mut changed = 0usize;
    for v in &values {
        let mut v = v.clone();
        redactor.redact_value(&mut v);
        changed += usize::from(v.get("metadata").is_some());
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "Redactor::redact_value         {secs:>6.3} s  {:>8.0} records/s  (1 thread, {} records, {changed} with a secret)",
        values.len() as f64 / secs,
        values.len()
    );
    let started = Instant::now();
    let mut out_bytes = 0usize;
    for line in text.lines() {
        out_bytes += redactor.redact_str(line).len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "Redactor::redact_str (lines)    {secs:>6.3} s  {:>6.0} MB/s  (1 thread, {:.0} MB out)",
        size / 1e6 / secs,
        out_bytes as f64 / 1e6
    );
}
