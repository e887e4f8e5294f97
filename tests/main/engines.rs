//! Many machines on existing engines (SPEC §12): a real Prometheus scraping two ccmon
//! instances, the OTLP export parsed with the official protobuf definitions. These
//! tests need tools installed by `.ci/run` and are `#[ignore]`d otherwise.

use crate::common;

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

/// A one-shot HTTP receiver on 127.0.0.1: answers the first request with `status` and
/// `reply`, and hands back the request's head and body.
fn receiver(status: u16, reply: &'static str) -> (u16, std::thread::JoinHandle<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("a request");
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 65536];
        let head_end = loop {
            let n = s.read(&mut buf).expect("read");
            assert!(n > 0, "closed early");
            seen.extend_from_slice(&buf[..n]);
            if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8_lossy(&seen[..head_end]).into_owned();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .expect("content-length");
        while seen.len() < head_end + length {
            let n = s.read(&mut buf).expect("read");
            assert!(n > 0, "closed early");
            seen.extend_from_slice(&buf[..n]);
        }
        let _ = write!(
            s,
            "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
            reply.len()
        );
        (head, seen[head_end..].to_vec())
    });
    (port, handle)
}

fn demo_env() -> Env {
    let env = Env::new();
    std::fs::create_dir_all(env.path("logs")).unwrap();
    env.write(
        "logs/skill-invocations-2026-11-20.jsonl",
        skill_line("2026-11-20", 0, "alpha", "success", 120.0),
    );
    append(
        &env,
        "analytics/provider-health-2026-11-20.jsonl",
        concat!(
            r#"{"timestamp":"2026-11-20T10:00:00Z","provider":"anthropic","success":true,"latency":800.0,"model":"claude-sonnet-4-5","inputTokens":1200,"outputTokens":300,"host":"alpha"}"#,
            "\n",
            r#"{"timestamp":"2026-11-20T10:01:00Z","provider":"anthropic","success":false,"latency":30000.0,"statusCode":529,"error":"overloaded","model":"claude-sonnet-4-5","host":"alpha"}"#,
            "\n"
        ),
    );
    env
}

/// `export --format otlp --endpoint URL` POSTs the export as OTLP/HTTP JSON; a refusal
/// exits 1 with the receiver's own text.
#[test]
fn otlp_endpoint_posts_json_and_reports_a_refusal() {
    let env = demo_env();
    let (port, handle) = receiver(200, "");
    let (out, err, code) = common::outcome(env.cmd("cc-dashboard").args([
        "export",
        "--format",
        "otlp",
        "--endpoint",
        &format!("http://127.0.0.1:{port}/v1/metrics"),
    ]));
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        (
            "",
            format!("sent to http://127.0.0.1:{port}/v1/metrics\n").as_str(),
            0
        )
    );
    let (head, body) = handle.join().unwrap();
    assert!(head.starts_with("POST /v1/metrics HTTP/1.1\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json\r\n"),
        "{head}"
    );
    let v: Value = serde_json::from_slice(&body).unwrap();
    let names: Vec<&str> = v["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names[..2],
        [
            "gen_ai.client.token.usage",
            "gen_ai.client.operation.duration"
        ]
    );

    let (port, handle) = receiver(400, "bad metric: unit");
    let (out, err, code) = common::outcome(env.cmd("cc-dashboard").args([
        "export",
        "--format",
        "otlp",
        "--endpoint",
        &format!("http://user:hunter2@127.0.0.1:{port}/v1/metrics"),
    ]));
    handle.join().unwrap();
    assert_eq!((out.as_str(), code), ("", 1));
    assert!(err.contains("HTTP 400: bad metric: unit"), "{err}");
    assert!(
        err.contains(&format!("http://127.0.0.1:{port}/v1/metrics")),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    // Nothing listening: exit 1 naming the endpoint.
    let port = free_port();
    let (_, err, code) = common::outcome(env.cmd("cc-dashboard").args([
        "export",
        "--format",
        "otlp",
        "--endpoint",
        &format!("http://127.0.0.1:{port}/v1/metrics"),
    ]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");

    // Usage errors: exit 2, naming the flag.
    for args in [
        [
            "--format",
            "prometheus",
            "--endpoint",
            "http://127.0.0.1:1/",
        ],
        [
            "--format",
            "otlp",
            "--endpoint",
            "https://collector/v1/metrics",
        ],
    ] {
        let (out, err, code) = common::outcome(env.cmd("cc-dashboard").arg("export").args(args));
        assert_eq!((out.as_str(), code), ("", 2), "{err}");
        assert!(err.contains("--endpoint"), "{err}");
    }
}

/// The OTLP export parses strictly (unknown fields are errors) with the official
/// protobuf definitions, as an `ExportMetricsServiceRequest`. Needs
/// `pip install opentelemetry-proto` (installed, pinned, by `.ci/run`).
#[test]
#[ignore = "needs the Python opentelemetry-proto package (installed by .ci/run)"]
fn otlp_export_parses_with_the_official_protobuf_definitions() {
    let env = demo_env();
    let (out, err, code) = common::outcome(
        env.cmd("cc-dashboard")
            .args(["export", "--format", "otlp", "-o", "m.json"]),
    );
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("", "wrote m.json\n", 0)
    );
    let script = r#"
import sys
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
req = json_format.Parse(open(sys.argv[1]).read(), ExportMetricsServiceRequest(), ignore_unknown_fields=False)
rm = req.resource_metrics[0]
host = {a.key: a.value.string_value for a in rm.resource.attributes}["host.name"]
metrics = {m.name: m for m in rm.scope_metrics[0].metrics}
usage = metrics["gen_ai.client.token.usage"]
assert usage.unit == "{token}" and usage.WhichOneof("data") == "histogram"
assert usage.histogram.aggregation_temporality == 2
rows = []
for p in usage.histogram.data_points:
    a = {x.key: x.value.string_value for x in p.attributes}
    assert sorted(a) == ["gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.token.type"], a
    assert len(p.bucket_counts) == len(p.explicit_bounds) + 1
    rows.append("%s:%d:%d" % (a["gen_ai.token.type"], p.count, p.sum))
duration = metrics["gen_ai.client.operation.duration"]
assert duration.unit == "s"
errors = sorted({x.key: x.value.string_value for x in p.attributes}.get("error.type", "-") for p in duration.histogram.data_points)
starts = {p.start_time_unix_nano for m in metrics.values() if m.WhichOneof("data") in ("sum", "histogram") for p in getattr(m, m.WhichOneof("data")).data_points}
print(host, " ".join(sorted(rows)), ",".join(errors), len(starts), min(starts))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(env.path("m.json"))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 2026-11-20T10:00:00Z, the earliest record, is every cumulative point's start.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "alpha input:1:1200 output:1:300 -,529 1 1795168800000000000\n"
    );
}

/// A fake ClickHouse on 127.0.0.1: answers request `i` with `statuses[i]` (the last
/// one from then on) and records every request's head and body (de-chunked when it
/// was streamed). Stopped on drop.
struct FakeClickHouse {
    port: u16,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeClickHouse {
    fn start(statuses: Vec<(u16, &'static str)>) -> FakeClickHouse {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut n = 0;
            while !s.load(Ordering::SeqCst) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                let mut seen = Vec::new();
                let mut buf = [0u8; 65536];
                let head_end = loop {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break None,
                        Ok(k) => seen.extend_from_slice(&buf[..k]),
                    }
                    if let Some(i) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                        break Some(i + 4);
                    }
                };
                let Some(head_end) = head_end else { continue };
                let head = String::from_utf8_lossy(&seen[..head_end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while seen.len() < head_end + length {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => seen.extend_from_slice(&buf[..k]),
                    }
                }
                // A streamed body (chunked) ends with its empty last chunk.
                let chunked = head
                    .to_ascii_lowercase()
                    .contains("transfer-encoding: chunked");
                while chunked && !seen[head_end..].ends_with(b"0\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => seen.extend_from_slice(&buf[..k]),
                    }
                }
                let body = String::from_utf8_lossy(&seen[head_end..]).into_owned();
                let body = if chunked { dechunk(&body) } else { body };
                r.lock().unwrap().push((head, body));
                let (status, reply) = statuses[n.min(statuses.len() - 1)];
                n += 1;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        FakeClickHouse {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for FakeClickHouse {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn ship(env: &Env, args: &[&str]) -> (String, String, i32) {
    common::outcome(
        env.cmd("cc-dashboard")
            .args(["ship", "clickhouse"])
            .args(args)
            .env_remove("CLICKHOUSE_USER")
            .env_remove("CLICKHOUSE_PASSWORD"),
    )
}

/// Server errors are retried with backoff and reported; the state advances only after
/// an acknowledged INSERT; a second ship sends nothing.
#[test]
fn ship_retries_server_errors_and_advances_only_on_acknowledgement() {
    let env = demo_env();
    // The DDL (1 database + 5 tables) is acknowledged, then two 500s, then all well.
    let mut statuses = vec![(200, ""); 6];
    statuses.extend([(500, "Code: 241. Memory limit exceeded"); 2]);
    statuses.push((200, ""));
    let server = FakeClickHouse::start(statuses);
    // A dry run counts, sends nothing and leaves no state.
    let (out, err, code) = ship(&env, &["--url", &server.url(), "--dry-run"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!(
            "would send 3 records to database ccmon at {} (provider_health 2, skill_invocations 1)\n",
            server.url()
        )
    );
    assert!(server.requests().is_empty());
    assert!(!env.path("analytics/ship-state.json").exists());
    // A torn last line (a write in progress) waits for the next ship.
    append(
        &env,
        "logs/skill-invocations-2026-11-20.jsonl",
        r#"{"timestamp":"2026-11-20T11:00:00Z","skill":"rev"#,
    );
    let (out, err, code) = ship(&env, &["--url", &server.url(), "--batch", "1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "sent 3 records in 3 batches to database ccmon at {} (provider_health 2, skill_invocations 1)\n",
            server.url()
        )
    );
    assert_eq!(err.matches("retrying in").count(), 2, "{err}");
    assert!(
        err.contains("HTTP 500: Code: 241. Memory limit exceeded"),
        "{err}"
    );
    let requests = server.requests();
    // 6 DDL, 2 refused and 1 accepted try of the first INSERT, 2 more INSERTs.
    assert_eq!(requests.len(), 11);
    assert!(
        requests[0]
            .1
            .starts_with("CREATE DATABASE IF NOT EXISTS ccmon")
    );
    let inserts: Vec<&(String, String)> = requests
        .iter()
        .filter(|(h, _)| h.contains("INSERT%20INTO%20ccmon."))
        .collect();
    assert_eq!(inserts.len(), 5);
    // An INSERT's rows are streamed while they are converted (chunked); the refused
    // batch is converted again and re-sent whole: the same row three times.
    let chunked = |head: &str| {
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
    };
    assert!(chunked(&inserts[0].0), "{}", inserts[0].0);
    assert!(!chunked(&inserts[1].0), "{}", inserts[1].0);
    assert!(chunked(&inserts[3].0) && chunked(&inserts[4].0));
    assert_eq!(inserts[0].1, inserts[1].1);
    assert_eq!(inserts[1].1, inserts[2].1);
    let row: Value = serde_json::from_str(inserts[2].1.trim()).unwrap();
    assert_eq!(row["skill"], "review");
    assert_eq!(row["host"], "alpha");
    assert_eq!(row["duration_ms"], 120.0);

    let (out, err, code) = ship(&env, &["--url", &server.url()]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.starts_with("sent 0 records in 0 batches"), "{out}");
    assert_eq!(server.requests().len(), 11 + 6, "only the DDL again");
}

/// A 4xx exits 1 with the server's text and advances nothing; a server that stays
/// down is given up on after --retry-for with exit 1; credentials come from the
/// environment only, as Basic auth, and never reach the state file.
#[test]
fn ship_reports_refusals_and_keeps_credentials_off_the_command_line() {
    let env = demo_env();
    let server = FakeClickHouse::start(vec![(
        400,
        "Code: 60, e.displayText() = DB::Exception: Table ccmon.x doesn't exist",
    )]);
    let (out, err, code) = ship(&env, &["--url", &server.url()]);
    assert_eq!((out.as_str(), code), ("", 1));
    assert!(
        err.contains(
            "HTTP 400: Code: 60, e.displayText() = DB::Exception: Table ccmon.x doesn't exist"
        ),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1, "a 4xx is not retried");
    assert!(!env.path("analytics/ship-state.json").exists());

    let port = free_port();
    let started = Instant::now();
    let (_, err, code) = ship(
        &env,
        &[
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--retry-for",
            "2s",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "ClickHouse at http://127.0.0.1:{port}: gave up after"
        )),
        "{err}"
    );
    assert!(err.contains("retrying in"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));

    let server = FakeClickHouse::start(vec![(200, "")]);
    let (_, err, code) = common::outcome(
        env.cmd("cc-dashboard")
            .args(["ship", "clickhouse", "--url", &server.url()])
            .env("CLICKHOUSE_USER", "shipper")
            .env("CLICKHOUSE_PASSWORD", "s3cret-pw"),
    );
    assert_eq!((code, err.as_str()), (0, ""));
    for (head, _) in server.requests() {
        // base64("shipper:s3cret-pw")
        let auth = head.lines().find_map(|l| {
            l.strip_prefix("authorization: ")
                .or(l.strip_prefix("Authorization: "))
        });
        assert_eq!(auth, Some("Basic c2hpcHBlcjpzM2NyZXQtcHc="), "{head}");
        assert!(!head.contains("s3cret"), "{head}");
    }
    let state = env.read("analytics/ship-state.json");
    assert!(
        !state.contains("s3cret") && !state.contains("shipper"),
        "{state}"
    );
    assert!(
        state.contains(&format!("\"{} ccmon\"", server.url())),
        "{state}"
    );

    for (args, field) in [
        (vec!["--url", "http://u:pw@127.0.0.1:8123"], "--url"),
        (vec!["--url", "http://127.0.0.1:8123/?password=pw"], "--url"),
        (vec!["--url", "https://127.0.0.1:8123"], "--url"),
        (
            vec!["--url", "http://127.0.0.1:8123", "--database", "a-b"],
            "--database",
        ),
        (
            vec!["--url", "http://127.0.0.1:8123", "--batch", "0"],
            "--batch",
        ),
    ] {
        let (out, err, code) = ship(&env, &args);
        assert_eq!((out.as_str(), code), ("", 2), "{args:?}: {err}");
        assert!(err.contains(field), "{err}");
        assert!(!err.contains("pw@") && !err.contains("=pw"), "{err}");
    }
}

/// A ClickHouse server (Debian's clickhouse-server) on free 127.0.0.1 ports, with a
/// user for shipping; stopped on drop.
struct ClickHouse {
    _dir: tempfile::TempDir,
    http: u16,
    _child: Running,
}

impl ClickHouse {
    fn start() -> ClickHouse {
        let dir = tempfile::tempdir().unwrap();
        let (http, tcp) = (free_port(), free_port());
        let d = dir.path().display();
        std::fs::write(
            dir.path().join("config.xml"),
            format!(
                r#"<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>{http}</http_port>
  <tcp_port>{tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{d}/data/</path>
  <tmp_path>{d}/tmp/</tmp_path>
  <user_files_path>{d}/user_files/</user_files_path>
  <format_schema_path>{d}/format_schemas/</format_schema_path>
  <users_config>{d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>104857600</mark_cache_size>
</yandex>
"#
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("users.xml"),
            r#"<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default>
    <shipper><password>s3cret-pw</password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></shipper>
  </users>
  <quotas><default></default></quotas>
</yandex>
"#,
        )
        .unwrap();
        // Debian puts it in /usr/sbin, which a user's PATH may lack.
        let program = ["/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("clickhouse-server");
        let child = Command::new(program)
            .arg(format!("--config-file={d}/config.xml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("clickhouse-server (apt-get install clickhouse-server)");
        let server = ClickHouse {
            _dir: dir,
            http,
            _child: Running(child),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while http_get(http, "/ping").is_none_or(|(s, b)| s != 200 || b != "Ok.\n") {
            assert!(Instant::now() < deadline, "clickhouse-server did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }

    /// Runs one statement as the default user (POSTed: GET is read-only); the
    /// answer's text.
    fn sql(&self, statement: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.http)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{statement}",
            statement.len()
        )
        .unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        let text = String::from_utf8_lossy(&out).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("an answer");
        let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_string()
        };
        assert_eq!(status, 200, "{statement}: {body}");
        body
    }
}

/// The records of one machine: skills, journeys and provider calls, some without an id,
/// one error given as an object.
fn machine(host: &str, seed: usize) -> Env {
    let env = Env::new();
    let mut skills = String::new();
    let results = [
        "success", "success", "failure", "success", "timeout", "partial",
    ];
    for i in 0..120 {
        let skill = ["review", "lint", "deploy"][i % 3];
        let result = results[(i + seed) % results.len()];
        let id = if i % 10 == 0 {
            String::new()
        } else {
            format!(r#","id":"{host}-s{i}""#)
        };
        skills += &(format!(
            r#"{{"timestamp":"2026-11-{:02}T10:{:02}:00Z","skill":"{skill}","result":"{result}","duration":{}.0,"host":"{host}"{id}}}"#,
            18 + i % 3,
            i % 60,
            50 + (i * 37 + seed * 11) % 4000
        ) + "\n");
    }
    append(&env, "logs/skill-invocations-2026-11-18.jsonl", &skills);
    let mut cujs = String::new();
    for i in 0..60 {
        let ok = !(i + seed).is_multiple_of(7);
        let error = if ok {
            String::new()
        } else {
            r#","error":{"message":"step 3 failed","code":3}"#.to_string()
        };
        cujs += &(format!(
            r#"{{"timestamp":"2026-11-19T11:{:02}:00Z","cujId":"CUJ-{}","success":{ok},"duration":{}.0,"host":"{host}","id":"{host}-c{i}"{error}}}"#,
            i,
            i % 2,
            1000 + (i * 131 + seed * 7) % 9000
        ) + "\n");
    }
    append(&env, "analytics/cuj-metrics-2026-11-19.jsonl", &cujs);
    let mut calls = String::new();
    for i in 0..80 {
        let provider = ["anthropic", "openai"][i % 2];
        let model = ["claude-sonnet-4-5", "gpt-5"][i % 2];
        calls += &(format!(
            r#"{{"timestamp":"2026-11-20T09:{:02}:00Z","provider":"{provider}","success":{},"latency":{}.0,"model":"{model}","inputTokens":{},"outputTokens":{},"host":"{host}","id":"{host}-p{i}"}}"#,
            i % 60,
            !(i + seed).is_multiple_of(9),
            200 + (i * 53) % 3000,
            1000 + i * 10 + seed,
            100 + i
        ) + "\n");
    }
    append(&env, "analytics/provider-health-2026-11-20.jsonl", &calls);
    env
}

fn json_of(cmd: &mut assert_cmd::Command) -> Value {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// TSV rows of a query, split into fields.
fn rows(ch: &ClickHouse, q: &str) -> Vec<Vec<String>> {
    ch.sql(&format!("{q} FORMAT TSV"))
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

/// Two machines shipped to a real ClickHouse 18.16: the views give the CLI's counts,
/// success rates, percentiles and usage over `--root A --root B`; a second ship sends
/// nothing; a ship killed mid-way and run again loses nothing and, with FINAL,
/// duplicates nothing. Needs clickhouse-server (installed by .ci/run).
#[test]
#[ignore = "needs clickhouse-server (installed by .ci/run)"]
fn a_real_clickhouse_holds_two_machines_like_the_cli_over_both_roots() {
    let ch = ClickHouse::start();
    let (a, b) = (machine("alpha", 0), machine("beta", 1));
    for env in [&a, &b] {
        let (out, err, code) = common::outcome(
            env.cmd("cc-dashboard")
                .args(["ship", "clickhouse", "--url", &ch.url(), "--batch", "50"])
                .env("CLICKHOUSE_USER", "shipper")
                .env("CLICKHOUSE_PASSWORD", "s3cret-pw"),
        );
        assert_eq!((code, err.as_str()), (0, ""), "{out}");
        assert!(
            // Per stream, batches of 50 rows: skills 50+50+20, journeys 50+10,
            // provider calls 50+30.
            out.starts_with("sent 260 records in 7 batches to database ccmon at"),
            "{out}"
        );
    }
    let (views, _, code) = ship(&a, &["--print-views"]);
    assert_eq!(code, 0);
    for statement in views
        .split(";\n\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        ch.sql(statement);
    }

    let both = |cmd: &str| {
        let mut c = a.cmd(cmd);
        c.arg("--root").arg(a.root()).arg("--root").arg(b.root());
        c
    };
    // Skills: counts, successes, failures, success rate, p50 and p95 as cc-log stats.
    let cli = json_of(both("cc-log").args(["stats", "--json", "--since", "2020-01-01"]));
    let view = rows(
        &ch,
        "SELECT skill, count, successes, failures, success_rate, p50_seconds, p95_seconds FROM ccmon.skill_stats ORDER BY skill",
    );
    assert_eq!(view.len(), 3);
    for r in &view {
        let c = cli
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == r[0].as_str())
            .unwrap();
        assert_eq!(r[1], c["count"].to_string(), "{r:?} {c}");
        assert_eq!(r[2], c["successes"].to_string(), "{r:?} {c}");
        assert_eq!(r[3], c["failures"].to_string(), "{r:?} {c}");
        let close =
            |s: &str, v: &Value| (s.parse::<f64>().unwrap() - v.as_f64().unwrap()).abs() < 1e-9;
        assert!(close(&r[4], &c["successRate"]), "{r:?} {c}");
        assert!(
            close(&r[5], &(c["p50"].as_f64().unwrap() / 1000.0).into()),
            "{r:?} {c}"
        );
        assert!(
            close(&r[6], &(c["p95"].as_f64().unwrap() / 1000.0).into()),
            "{r:?} {c}"
        );
    }
    // Journeys, as cc-metrics all.
    let cli = json_of(both("cc-metrics").args(["all", "3650d", "--json"]));
    let view = rows(
        &ch,
        "SELECT cuj_id, executions, successes, success_rate, p95_seconds FROM ccmon.cuj_stats ORDER BY cuj_id",
    );
    assert_eq!(view.len(), 2);
    for r in &view {
        let c = cli
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["cujId"] == r[0].as_str())
            .unwrap();
        assert_eq!(
            (r[1].as_str(), r[2].as_str()),
            (
                c["total"].to_string().as_str(),
                c["successes"].to_string().as_str()
            )
        );
        assert!((r[3].parse::<f64>().unwrap() - c["successRate"].as_f64().unwrap()).abs() < 1e-9);
        assert!((r[4].parse::<f64>().unwrap() - c["p95"].as_f64().unwrap() / 1000.0).abs() < 1e-9);
    }
    // Usage, as cc-health usage: calls and tokens per provider.
    let cli = json_of(both("cc-health").args(["usage", "--json", "--since", "2020-01-01"]));
    let view = rows(
        &ch,
        "SELECT provider, sum(calls), sum(input_tokens), sum(output_tokens) FROM ccmon.usage GROUP BY provider ORDER BY provider",
    );
    assert_eq!(view.len(), 2);
    for r in &view {
        let c = cli
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["key"] == r[0].as_str())
            .unwrap();
        assert_eq!(
            r[1..].to_vec(),
            [
                c["calls"].to_string(),
                c["inputTokens"].to_string(),
                c["outputTokens"].to_string()
            ],
            "{c}"
        );
    }
    // Error objects (the older form, still read) arrive as their message, the whole
    // record kept: 9 failures on alpha, 8 on beta.
    assert_eq!(
        ch.sql("SELECT count() FROM ccmon.cuj_metrics FINAL WHERE error = 'step 3 failed' AND record LIKE '%\"code\":3%'"),
        "17\n"
    );

    // A second ship sends nothing.
    let (out, err, code) = ship(&a, &["--url", &ch.url()]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.starts_with("sent 0 records in 0 batches"), "{out}");

    // Killed mid-way: new records shipped one per batch, the ship killed after a
    // moment, then run again. Nothing lost, and FINAL counts each record once.
    let mut more = String::new();
    for i in 0..300 {
        more += &(format!(
            r#"{{"timestamp":"2026-11-21T12:00:{:02}Z","skill":"review","result":"success","duration":10.0,"host":"alpha","id":"alpha-late-{i}"}}"#,
            i % 60
        ) + "\n");
    }
    append(&a, "logs/skill-invocations-2026-11-21.jsonl", &more);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cc-dashboard"))
        .current_dir(a.root())
        .args(["ship", "clickhouse", "--url", &ch.url(), "--batch", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while ch.sql("SELECT count() FROM ccmon.skill_invocations WHERE id LIKE 'alpha-late-%'")
        == "0\n"
    {
        assert!(Instant::now() < deadline, "nothing shipped");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial: u64 = ch
        .sql("SELECT count() FROM ccmon.skill_invocations WHERE id LIKE 'alpha-late-%'")
        .trim()
        .parse()
        .unwrap();
    assert!(partial > 0 && partial < 300, "killed mid-way: {partial}");
    let (_, err, code) = ship(&a, &["--url", &ch.url()]);
    assert_eq!((code, err.as_str()), (0, ""));
    let total = |final_: &str| {
        ch.sql(&format!(
            "SELECT count() FROM ccmon.skill_invocations {final_}"
        ))
    };
    assert_eq!(total("FINAL"), "540\n");
    // A state lost after the server acknowledged: everything is sent again, FINAL
    // still counts each record once.
    std::fs::remove_file(a.path("analytics/ship-state.json")).unwrap();
    let (out, err, code) = ship(&a, &["--url", &ch.url()]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(
        out.starts_with("sent 560 records"),
        "everything again: {out}"
    );
    assert_eq!(total("FINAL"), "540\n");
    ch.sql("OPTIMIZE TABLE ccmon.skill_invocations FINAL");
    assert_eq!(total(""), "540\n", "merging folds the duplicates");
    assert_eq!(
        ch.sql("SELECT count() FROM ccmon.provider_health FINAL"),
        "160\n"
    );
}

/// The DDL and views also run on current ClickHouse (chdb, ClickHouse in a Python
/// package): the tables are created, the very rows a ship sends are inserted, and the
/// views give the CLI's counts and success rates. Needs `pip install chdb` (pinned by
/// `.ci/run`).
#[test]
#[ignore = "needs the Python chdb package (installed by .ci/run)"]
fn schema_and_views_run_on_current_clickhouse_in_chdb() {
    let a = machine("alpha", 0);
    let server = FakeClickHouse::start(vec![(200, "")]);
    let (out, err, code) = ship(&a, &["--url", &server.url()]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    let mut inserts = String::new();
    for (head, body) in server.requests() {
        let Some(q) = head
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.strip_prefix("/?query="))
        else {
            continue;
        };
        // INSERT%20INTO%20ccmon.TABLE%20FORMAT%20JSONEachRow
        let table = q.split("%20").nth(2).unwrap();
        inserts += &format!("INSERT INTO {table} FORMAT JSONEachRow\n{body}\u{0}");
    }
    a.write("inserts.sql", inserts);
    let (sql, _, code) = ship(&a, &["--print-schema", "--print-views"]);
    assert_eq!(code, 0);
    a.write("schema.sql", sql);
    let script = r#"
import sys, tempfile
from chdb import session
s = session.Session(tempfile.mkdtemp())
for statement in open(sys.argv[1]).read().split(";\n\n"):
    if statement.strip():
        s.query(statement)
for insert in open(sys.argv[2]).read().split("\0"):
    if insert.strip():
        s.query(insert)
print(str(s.query("SELECT skill, count, successes, failures, success_rate, p95_seconds FROM ccmon.skill_stats ORDER BY skill", "TSV")).strip())
print(str(s.query("SELECT cuj_id, executions, successes FROM ccmon.cuj_stats ORDER BY cuj_id", "TSV")).strip())
print(str(s.query("SELECT provider, sum(calls), sum(input_tokens) FROM ccmon.usage GROUP BY provider ORDER BY provider", "TSV")).strip())
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(a.path("schema.sql"))
        .arg(a.path("inserts.sql"))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    // The CLI over the same root gives these figures.
    let cli = json_of(
        a.cmd("cc-log")
            .args(["stats", "--json", "--since", "2020-01-01"]),
    );
    let mut want = String::new();
    let mut skills: Vec<&Value> = cli.as_array().unwrap().iter().collect();
    skills.sort_by_key(|r| r["key"].as_str().unwrap().to_string());
    for r in skills {
        want += &format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            r["key"].as_str().unwrap(),
            r["count"],
            r["successes"],
            r["failures"],
            r["successRate"].as_f64().unwrap(),
            r["p95"].as_f64().unwrap() / 1000.0
        );
    }
    let cujs = json_of(a.cmd("cc-metrics").args(["all", "3650d", "--json"]));
    let mut cujs: Vec<&Value> = cujs.as_array().unwrap().iter().collect();
    cujs.sort_by_key(|r| r["cujId"].as_str().unwrap().to_string());
    for r in cujs {
        want += &format!(
            "{}\t{}\t{}\n",
            r["cujId"].as_str().unwrap(),
            r["total"],
            r["successes"]
        );
    }
    let usage = json_of(
        a.cmd("cc-health")
            .args(["usage", "--json", "--since", "2020-01-01"]),
    );
    for r in usage.as_array().unwrap() {
        want += &format!(
            "{}\t{}\t{}\n",
            r["key"].as_str().unwrap(),
            r["calls"],
            r["inputTokens"]
        );
    }
    assert_eq!(got, want);
}

/// Writes `records` (JSON objects) through the library's writer, as every program does.
fn write_through<R: ccmon::record::Record>(root: &std::path::Path, records: &[Value]) {
    let writer = ccmon::writer::Writer::new(root, ccmon::redact::Redactor::default(), true, false);
    for r in records {
        let record: R = ccmon::record::from_value(r.clone(), "test record").expect("valid");
        writer.append(record).expect("written");
    }
}

/// Every stream, as the writers write it, reads in DuckDB and in current ClickHouse
/// (chdb) whichever day's file the engine infers its schema from: a field keeps one
/// JSON type in every record, even when the records given to the writers had errors as
/// objects on one day and strings on another, and whole numbers in fractional fields.
/// Needs the Python duckdb and chdb packages (installed by `.ci/run`).
#[test]
#[ignore = "needs the Python duckdb and chdb packages (installed by .ci/run)"]
fn every_stream_reads_in_duckdb_and_clickhouse_from_any_days_file() {
    use ccmon::record::{
        JourneyExecution, Notification, ProgressEvent, ProviderCall, SkillInvocation,
    };
    use serde_json::json;
    let env = Env::new();
    let root = env.root();
    for day in 17..=20u32 {
        let ts = |h: u32| format!("2026-11-{day}T{h:02}:00:00Z");
        // Day by day the same fields arrive in different shapes.
        let error = match day {
            17 => json!({"message": "tests failed", "code": 2, "files": ["a.rs"]}),
            18 => json!("tests failed"),
            19 => Value::Null,
            _ => json!({"message": "timeout after 30s"}),
        };
        let whole = day % 2 == 1; // whole numbers in fractional fields on odd days
        let ms = |v: f64| {
            if whole {
                json!(v.round() as i64)
            } else {
                json!(v + 0.25)
            }
        };
        write_through::<SkillInvocation>(
            root,
            &[
                json!({"timestamp": ts(9), "skill": "review", "result": "success", "duration": ms(1200.0)}),
                json!({"timestamp": ts(10), "skill": "lint", "result": "failure", "duration": ms(80.0), "error": error, "agent": "dev"}),
            ],
        );
        write_through::<JourneyExecution>(
            root,
            &[
                json!({"timestamp": ts(9), "cujId": "CUJ-1", "success": day != 18, "duration": ms(5000.0), "error": error, "iterations": 2}),
            ],
        );
        write_through::<ProviderCall>(
            root,
            &[
                json!({"timestamp": ts(9), "provider": "anthropic", "success": true, "latency": ms(900.0), "model": "claude-sonnet-4-5", "inputTokens": 1000 + day, "outputTokens": 10, "costUsd": if whole { json!(1) } else { json!(0.5) }}),
                json!({"timestamp": ts(11), "provider": "openai", "success": false, "latency": ms(30000.0), "statusCode": 529, "error": error}),
            ],
        );
        write_through::<ProgressEvent>(
            root,
            &[
                json!({"timestamp": ts(9), "runId": format!("run-{day}"), "step": 0, "status": "running", "totalSteps": 2}),
                json!({"timestamp": ts(10), "runId": format!("run-{day}"), "step": 1, "status": if day == 18 { "completed" } else { "failed" }, "percentage": if whole { json!(50) } else { json!(50.5) }, "error": error}),
            ],
        );
        write_through::<Notification>(
            root,
            &[
                json!({"timestamp": ts(12), "type": "run_failed", "message": format!("run-{day} failed"), "runId": format!("run-{day}")}),
            ],
        );
    }
    let script = r#"
import glob, json, os, sys, tempfile
import duckdb
from chdb import session
root = sys.argv[1]
ch = session.Session(tempfile.mkdtemp())
report = []
for stem in ["logs/skill-invocations", "analytics/cuj-metrics", "analytics/progress", "analytics/provider-health", "analytics/notifications"]:
    files = sorted(glob.glob(os.path.join(root, stem + "-*.jsonl")))
    assert len(files) == 4, files
    total = sum(1 for f in files for line in open(f) if line.strip())
    pattern = os.path.join(root, stem + "-*.jsonl")
    for first in files:
        # ClickHouse: the schema inferred from this file, then every file read with it.
        structure = ", ".join("`%s` %s" % (r[0], r[1]) for r in
            (l.split("\t") for l in str(ch.query("DESCRIBE file('%s', JSONEachRow)" % first, "TSV")).strip().splitlines()))
        got = int(str(ch.query("SELECT count() FROM file('%s', JSONEachRow, '%s')" % (pattern, structure.replace("'", "\\'")), "TSV")).strip())
        assert got == total, (stem, first, got, total)
        # DuckDB: the columns inferred from this file, then every file read with them.
        cols = duckdb.sql("DESCRIBE SELECT * FROM read_json('%s', format = 'newline_delimited')" % first).fetchall()
        spec = "{" + ", ".join("'%s': '%s'" % (c[0], c[1].replace("'", "''")) for c in cols) + "}"
        got = duckdb.sql("SELECT count(*) FROM read_json('%s', format = 'newline_delimited', columns = %s)" % (pattern, spec)).fetchone()[0]
        assert got == total, (stem, first, got, total)
    report.append("%s %d" % (stem.split("/")[1], total))
print(" ".join(report))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(root)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "skill-invocations 8 cuj-metrics 4 progress 8 provider-health 8 notifications 4\n"
    );
    // The error objects were kept whole beside their message.
    let day17 = env.read("logs/skill-invocations-2026-11-17.jsonl");
    assert!(day17.contains(r#""error":"tests failed""#), "{day17}");
    assert!(day17.contains("errorDetail"), "{day17}");
}
