//! Many machines on existing engines (SPEC §12): a real Prometheus scraping two ccmon
//! instances, the OTLP export parsed with the official protobuf definitions. These
//! tests need tools installed by `.ci/run` and are `#[ignore]`d otherwise.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Env;
use serde_json::Value;

/// A tiny HTTP server on 127.0.0.1 answering every request with the current body, as
/// node_exporter's textfile collector (or `cc-dashboard serve`) would. Stopped on drop.
struct TextServer {
    port: u16,
    body: Arc<Mutex<String>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TextServer {
    fn start(body: String) -> TextServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let body = Arc::new(Mutex::new(body));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, s) = (body.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => serve_one(stream, &b.lock().unwrap()),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        TextServer {
            port,
            body,
            stop,
            thread: Some(thread),
        }
    }

    fn set(&self, body: String) {
        *self.body.lock().unwrap() = body;
    }
}

impl Drop for TextServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_one(mut stream: TcpStream, body: &str) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut buf = [0u8; 8192];
    let mut seen = Vec::new();
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A port free right now on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A GET on 127.0.0.1 with a short timeout: status and body.
fn http_get(port: u16, path_and_query: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    // Prometheus answers small JSON without chunking; undo chunking if it is used.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Some((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A PromQL instant query's scalar result (the first series' value), if any.
fn query(port: u16, q: &str) -> Option<f64> {
    let (status, body) = http_get(port, &format!("/api/v1/query?query={}", encode(q)))?;
    assert_eq!(status, 200, "{q}: {body}");
    let v: Value = serde_json::from_str(&body).ok()?;
    let r = v["data"]["result"].as_array()?.first()?.clone();
    r["value"][1].as_str()?.parse().ok()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn export(env: &Env, roots: &[&Env]) -> String {
    let mut cmd = env.cmd("cc-dashboard");
    for r in roots {
        cmd.arg("--root").arg(r.root());
    }
    let out = cmd
        .args(["export", "--format", "prometheus"])
        .output()
        .expect("cc-dashboard");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `cc-log stats --json` over both roots: the row of `skill`.
fn cli_stats(a: &Env, b: &Env, skill: &str, since: &str) -> Value {
    let out = a
        .log()
        .arg("--root")
        .arg(a.root())
        .arg("--root")
        .arg(b.root())
        .args(["stats", "--json", "--skill", skill, "--since", since])
        .output()
        .expect("cc-log");
    assert!(out.status.success());
    let rows: Value = serde_json::from_slice(&out.stdout).expect("json");
    rows.as_array()
        .and_then(|r| r.iter().find(|x| x["key"] == skill))
        .cloned()
        .expect("a row")
}

fn skill_line(day: &str, i: usize, host: &str, result: &str, ms: f64) -> String {
    format!(
        r#"{{"timestamp":"{day}T10:{:02}:{:02}Z","id":"{host}-{day}-{i}","skill":"review","result":"{result}","duration":{ms:.1},"host":"{host}"}}"#,
        i / 60,
        i % 60
    ) + "\n"
}

fn append(env: &Env, rel: &str, text: &str) {
    let path = env.path(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// The bucket bounds `(lower, upper]` of the export's histograms that hold `seconds`.
fn bucket_of(seconds: f64) -> (f64, f64) {
    let bounds = [
        0.0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
        300.0, 600.0, 1800.0, 3600.0,
    ];
    let i = bounds.iter().position(|b| seconds <= *b).unwrap();
    (bounds[i.saturating_sub(1)], bounds[i])
}

/// Waits (bounded) until `q` has a value satisfying `ok`.
fn wait_for(port: u16, q: &str, ok: impl Fn(f64) -> bool, what: &str) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = query(port, q).filter(|v| ok(*v)) {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Two data roots (two machines), each exported and served as a scrape target; one
/// real Prometheus scrapes both. Fleet figures computed there with `sum(increase(...))`
/// and `histogram_quantile` match what the CLI computes over `--root A --root B`.
/// Needs `prometheus` (Debian package); `.ci/run` installs it and runs this test.
#[test]
#[ignore = "needs the prometheus server (installed by .ci/run)"]
fn a_real_prometheus_sums_two_machines_like_the_cli_over_both_roots() {
    let (a, b) = (Env::new(), Env::new());
    // Baseline: both machines already hold records of every series before Prometheus
    // starts (a series' first sample is its start: increase() counts from there).
    let mut text_a = String::new();
    let mut text_b = String::new();
    for i in 0..40 {
        let result = if i % 10 == 0 { "failure" } else { "success" };
        text_a += &skill_line("2026-11-20", i, "alpha", result, 40.0 + 30.0 * i as f64);
        let result = if i % 10 == 5 { "failure" } else { "success" };
        text_b += &skill_line("2026-11-20", i, "beta", result, 900.0 + 200.0 * i as f64);
    }
    append(&a, "logs/skill-invocations-2026-11-20.jsonl", &text_a);
    append(&b, "logs/skill-invocations-2026-11-20.jsonl", &text_b);

    let server_a = TextServer::start(export(&a, &[&a]));
    let server_b = TextServer::start(export(&b, &[&b]));

    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: ccmon\n    static_configs:\n      - targets: ['127.0.0.1:{}', '127.0.0.1:{}']\n",
        server_a.port, server_b.port
    );
    std::fs::write(data.path().join("prometheus.yml"), config).unwrap();
    let child = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            data.path().join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            data.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus (apt-get install prometheus)");
    let _prometheus = Running(child);

    // Both targets scraped a few times with the baseline.
    wait_for(
        port,
        "min(count_over_time(ccmon_skill_invocations_total{result=\"success\"}[1m]))",
        |n| n >= 4.0,
        "baseline scrapes",
    );
    let total = cli_stats(&a, &b, "review", "2020-01-01");
    let held = wait_for(
        port,
        "sum(ccmon_skill_invocations_total{skill=\"review\"})",
        |_| true,
        "the sum",
    );
    assert_eq!(held, total["count"].as_f64().unwrap(), "{total}");

    // New records on both machines, a day later; the exports are refreshed.
    let mut more_a = String::new();
    let mut more_b = String::new();
    more_a += &skill_line("2026-11-21", 0, "alpha", "success", 70.0);
    more_b += &skill_line("2026-11-21", 0, "beta", "failure", 2000.0);
    more_b += &skill_line("2026-11-21", 1, "beta", "success", 2100.0);
    append(&a, "logs/skill-invocations-2026-11-21.jsonl", &more_a);
    append(&b, "logs/skill-invocations-2026-11-21.jsonl", &more_b);
    server_a.set(export(&a, &[&a]));
    server_b.set(export(&b, &[&b]));
    let after = cli_stats(&a, &b, "review", "2020-01-01");
    let after_count = after["count"].as_f64().unwrap();
    wait_for(
        port,
        "sum(ccmon_skill_invocations_total{skill=\"review\"})",
        |v| v == after_count,
        "the refreshed exports",
    );
    // A few more scrapes after the change, so every series has samples on both sides.
    std::thread::sleep(Duration::from_secs(4));

    // increase() extrapolates to the window's edges by up to about one scrape interval
    // (1s) at each end of a 30s window, under 10% of these few new records: rounding
    // gives their exact count.
    let new = cli_stats(&a, &b, "review", "2026-11-21");
    let inc = query(
        port,
        "sum(increase(ccmon_skill_invocations_total{skill=\"review\"}[30s]))",
    )
    .expect("increase");
    assert_eq!(
        inc.round(),
        new["count"].as_f64().unwrap(),
        "{inc} vs {new}"
    );
    assert_eq!(
        (new["count"].as_u64(), new["failures"].as_u64()),
        (Some(3), Some(1))
    );
    let failures = query(
        port,
        "sum(increase(ccmon_skill_invocations_total{skill=\"review\",result=\"failure\"}[30s]))",
    )
    .expect("failures");
    assert_eq!(failures.round(), new["failures"].as_f64().unwrap());

    // Percentiles over both machines, from the summed buckets: the estimate lies in
    // the bucket that holds the CLI's exact percentile.
    for (q, field) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
        let p = query(
            port,
            &format!(
                "histogram_quantile({q}, sum by (le) (ccmon_skill_duration_seconds_bucket{{skill=\"review\"}}))"
            ),
        )
        .expect("quantile");
        let exact = after[field].as_f64().unwrap() / 1000.0;
        let (lo, hi) = bucket_of(exact);
        assert!(
            lo <= p && p <= hi,
            "{field}: Prometheus {p}, CLI {exact} in ({lo}, {hi}]"
        );
    }
    // Each machine is its own series (host label): no double counting.
    let hosts = query(
        port,
        "count(count by (host) (ccmon_skill_invocations_total))",
    )
    .expect("hosts");
    assert_eq!(hosts, 2.0);
}

/// `promtool check metrics` (the Prometheus project's linter) reports nothing on the
/// export of the demo data set, which holds every family. Needs `prometheus`.
#[test]
#[ignore = "needs promtool (installed by .ci/run with prometheus)"]
fn promtool_check_metrics_reports_nothing() {
    let env = Env::new();
    let out = env
        .cmd("cc-dashboard")
        .arg("--root")
        .arg(env.root())
        .arg("demo")
        .output()
        .expect("demo");
    assert!(out.status.success());
    let text = export(&env, &[&env]);
    for family in [
        "ccmon_skill_invocations_total counter",
        "ccmon_skill_duration_seconds histogram",
        "ccmon_cuj_executions_total counter",
        "ccmon_cuj_duration_seconds histogram",
        "ccmon_provider_calls_total counter",
        "ccmon_provider_latency_seconds histogram",
        "ccmon_tokens_total counter",
        "ccmon_cost_usd_total counter",
        "ccmon_runs_started_total counter",
        "ccmon_runs_finished_total counter",
        "ccmon_active_runs gauge",
        "ccmon_provider_status gauge",
        "ccmon_notifications_unread gauge",
    ] {
        assert!(text.contains(&format!("# TYPE {family}\n")), "{family}");
    }
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), "", "")
    );
}
