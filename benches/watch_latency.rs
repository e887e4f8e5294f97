//! Benchmark (SPEC §7): how long an appended progress event takes to reach the screen
//! of a running `cc-progress watch`. Events are appended one at a time through the
//! library's write path; the time from the append starting to the line arriving on
//! the watcher's standard output is measured for each.
//!
//! Run: `cargo bench --bench watch_latency` (`CCMON_BENCH_EVENTS` sets the count).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use ccmon::record::{ProgressEvent, RunStatus};
use ccmon::redact::Redactor;
use ccmon::writer::Writer;

fn main() {
    let events: usize = std::env::var("CCMON_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir().expect("temp dir");
    let writer = Writer::new(dir.path(), Redactor::default(), true, false);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cc-progress"))
        .args(["watch", "--json", "-n", "0", "--root"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cc-progress watch");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let append = |message: String| {
        let mut e = ProgressEvent::new("bench-run", RunStatus::Running);
        e.step = Some(1);
        e.message = Some(message);
        writer.append(e).expect("append");
    };
    // Wait until the watcher follows the stream.
    loop {
        append("warmup".into());
        if rx.recv_timeout(Duration::from_millis(200)).is_ok() {
            while rx.recv_timeout(Duration::from_millis(200)).is_ok() {}
            break;
        }
    }
    let mut latencies = Vec::with_capacity(events);
    for i in 0..events {
        let marker = format!("event-{i}");
        // From just before the append: the write itself counts.
        let sent = Instant::now();
        append(marker.clone());
        loop {
            let (at, line) = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("the watcher shows the event");
            if line.contains(&marker) {
                latencies.push(at.saturating_duration_since(sent).as_secs_f64() * 1e3);
                break;
            }
        }
        // A pause between events, as between an agent's steps.
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
    latencies.sort_by(f64::total_cmp);
    let rank = |q: f64| {
        latencies[((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    println!(
        "cc-progress watch: {} events, event-to-screen latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 ≤ 50 ms)",
        latencies.len(),
        rank(0.50),
        rank(0.90),
        rank(0.99),
        latencies[latencies.len() - 1]
    );
}
