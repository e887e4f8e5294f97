//! `cc-dashboard serve` (SPEC §11), run as the real binary on temporary roots, bound to
//! 127.0.0.1 on a free port, talked to over plain HTTP/1.1, and stopped with SIGINT by
//! each test. Every wait is bounded.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Env, outcome};
use serde_json::Value;

const NOW: &str = "2026-11-20T12:00:00Z";
const WAIT: Duration = Duration::from_secs(20);

/// A running server; stopped (SIGINT, then SIGKILL if it lingers) when dropped.
struct Server {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(env: &Env, args: &[&str], vars: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cc-dashboard"));
        cmd.current_dir(env.root());
        for var in [
            "CC_ROOT",
            "CC_NOW",
            "CC_TOKEN",
            "CC_REDACT_KEYS",
            "CC_REDACT_PATTERNS",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("TZ", "UTC");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.args(["serve", "--bind", "127.0.0.1:0", "--root"])
            .arg(env.root());
        cmd.args(args);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn cc-dashboard serve");
        let stderr = child.stderr.take().expect("stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = channel();
        let keep = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line.clone());
                keep.lock().unwrap().push(line);
            }
        });
        let first = rx
            .recv_timeout(WAIT)
            .expect("the server says where it listens");
        let addr = first
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("first line: {first}"))
            .to_string();
        assert!(addr.starts_with("127.0.0.1:"), "{addr}");
        assert_ne!(addr, "127.0.0.1:0");
        Server {
            child,
            addr,
            stderr: lines,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    fn get(&self, path: &str) -> Response {
        http(&self.addr, "GET", path, &[])
    }

    fn get_json(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
        serde_json::from_slice(&r.body).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Sends SIGINT and waits (bounded) for a clean exit; returns the exit code.
    fn stop(&mut self) -> Option<i32> {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = std::str::from_utf8(&body[..end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 2 + size + 2..];
    }
}

/// Reads one response: the head, then the body by its Content-Length, its chunks, or
/// to the end of the connection (a peer may keep the connection open after it).
fn read_response(s: &mut TcpStream) -> (String, Vec<u8>) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = s.read(&mut buf).expect("read response head");
        assert!(n > 0, "connection closed before the end of the head");
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let lower = head.to_lowercase();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse::<usize>().unwrap());
    let chunked = lower.contains("transfer-encoding: chunked");
    loop {
        let done = match length {
            Some(n) => body.len() >= n,
            None if chunked => body.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if done {
            break;
        }
        let n = s.read(&mut buf).expect("read response body");
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    if chunked {
        body = dechunk(&body);
    }
    (head, body)
}

/// One HTTP/1.1 request with `Connection: close`; the whole response.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        req.push_str("Content-Length: 0\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let (head, body) = read_response(&mut s);
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body,
    }
}

/// An open `GET /events` stream, read by a thread into (event, data) pairs.
struct Events {
    stream: TcpStream,
    rx: Receiver<(String, String)>,
}

impl Events {
    fn open(addr: &str, headers: &[(&str, &str)]) -> Events {
        let mut s = TcpStream::connect(addr).expect("connect");
        let mut req =
            format!("GET /events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let reader = s.try_clone().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut name = String::new();
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_string();
                } else if let Some(d) = line.strip_prefix("data: ")
                    && tx.send((name.clone(), d.to_string())).is_err()
                {
                    break;
                }
            }
        });
        let ev = Events { stream: s, rx };
        let (name, _) = ev.next().expect("the ready event");
        assert_eq!(name, "ready");
        ev
    }

    fn next(&self) -> Option<(String, String)> {
        self.rx.recv_timeout(WAIT).ok()
    }

    /// The next event named `name` (others are passed over).
    fn next_named(&self, name: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok((n, d)) = self.rx.recv_timeout(deadline - Instant::now())
                && n == name
            {
                return serde_json::from_str(&d).unwrap();
            }
        }
        panic!("no {name} event within {WAIT:?}");
    }
}

/// Equal JSON, numbers within a millionth (relative). Cost sums are made by parallel
/// workers whose merge order varies, so the CLI itself may differ from one run to the
/// next in the sixth decimal of a dollar; everything else must be identical.
fn same_json(a: &Value, b: &Value, at: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if x == y || (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0) {
                Ok(())
            } else {
                Err(format!("{at}: {x} != {y}"))
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .try_for_each(|(i, (u, v))| same_json(u, v, &format!("{at}[{i}]"))),
        (Value::Object(x), Value::Object(y)) if x.len() == y.len() => {
            x.iter().try_for_each(|(k, u)| {
                let v = y.get(k).ok_or(format!("{at}.{k} missing"))?;
                same_json(u, v, &format!("{at}.{k}"))
            })
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{at}: {a} != {b}")),
    }
}

fn demo() -> Env {
    let env = Env::new();
    let mut cmd = env.cmd("cc-dashboard");
    cmd.env("CC_NOW", NOW)
        .args(["demo", "--root"])
        .arg(env.root());
    let (_, err, code) = outcome(&mut cmd);
    assert_eq!(code, 0, "{err}");
    env
}

fn cli_json(env: &Env, bin: &str, args: &[&str]) -> Value {
    let mut cmd = env.cmd(bin);
    cmd.env("CC_NOW", NOW).args(args).arg("--json");
    let (out, err, code) = outcome(&mut cmd);
    assert_eq!(code, 0, "{bin} {args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{bin} {args:?}: {e}"))
}

#[test]
fn every_json_route_equals_the_cli_json_for_the_same_question() {
    let env = demo();
    let server = Server::start(&env, &[], &[("CC_NOW", NOW)]);
    let pairs: Vec<(&str, &str, Vec<&str>)> = vec![
        ("/api/runs", "cc-progress", vec!["runs"]),
        (
            "/api/runs?status=completed&limit=5&page=2",
            "cc-progress",
            vec![
                "runs",
                "--status",
                "completed",
                "--limit",
                "5",
                "--page",
                "2",
            ],
        ),
        (
            "/api/runs?source=sprint",
            "cc-progress",
            vec!["runs", "--source", "sprint"],
        ),
        (
            "/api/runs/run-042",
            "cc-progress",
            vec!["current", "run-042"],
        ),
        (
            "/api/chains/chain-billing",
            "cc-progress",
            vec!["chain", "chain-billing"],
        ),
        ("/api/cujs", "cc-metrics", vec!["all"]),
        ("/api/cujs?window=7d", "cc-metrics", vec!["all", "7d"]),
        (
            "/api/cujs/CUJ-005/trending",
            "cc-metrics",
            vec!["trending", "CUJ-005"],
        ),
        (
            "/api/cujs/CUJ-005/trending?buckets=7&bucket=1d",
            "cc-metrics",
            vec!["trending", "CUJ-005", "7", "1d"],
        ),
        ("/api/skills", "cc-log", vec!["stats"]),
        (
            "/api/skills?by=agent",
            "cc-log",
            vec!["stats", "--by", "agent"],
        ),
        ("/api/providers", "cc-health", vec!["status"]),
        ("/api/usage", "cc-health", vec!["usage"]),
        (
            "/api/usage?by=model&since=7d",
            "cc-health",
            vec!["usage", "--by", "model", "--since", "7d"],
        ),
        ("/api/notifications", "cc-dashboard", vec!["notifications"]),
        (
            "/api/notifications?unread=true&limit=3",
            "cc-dashboard",
            vec!["notifications", "--unread", "--limit", "3"],
        ),
    ];
    for (route, bin, args) in pairs {
        let api = server.get_json(route);
        let cli = cli_json(&env, bin, &args);
        if let Err(e) = same_json(&api, &cli, "") {
            panic!("{route} differs from {bin} {args:?} --json: {e}");
        }
        assert_ne!(api, Value::Null, "{route}");
        if let Value::Array(rows) = &api {
            assert!(
                !rows.is_empty(),
                "{route} is empty: the demo has data for it"
            );
        }
    }
    // The dashboard: the same document apart from when and at what cost it was made.
    let mut api = server.get_json("/api/dashboard");
    let mut cli = cli_json(&env, "cc-dashboard", &["json"]);
    for doc in [&mut api, &mut cli] {
        let obj = doc.as_object_mut().unwrap();
        assert!(obj.remove("generatedAt").is_some());
        assert!(obj.remove("resources").is_some());
    }
    if let Err(e) = same_json(&api, &cli, "") {
        panic!("/api/dashboard differs from cc-dashboard json: {e}");
    }
    assert!(api["counters"]["runs"].as_u64().unwrap() > 0);
}

#[test]
fn pages_render_the_demo_escaped_with_a_strict_csp_and_no_inline_script() {
    let env = demo();
    let server = Server::start(&env, &[], &[("CC_NOW", NOW)]);
    let pages = [
        ("/", "Overview"),
        ("/runs", "run-090"),
        ("/runs?status=failed&page=1", "Runs"),
        ("/runs?workflow=review-and-fix", "Runs"),
        ("/runs/run-042", "run-042"),
        ("/chains", "chain-billing"),
        ("/chains/chain-billing", "sprints completed"),
        ("/journeys", "CUJ-005"),
        ("/journeys/CUJ-005", "Failure patterns"),
        ("/skills", "Invocations"),
        ("/providers", "anthropic"),
        ("/usage", "By model"),
        ("/notifications", "Mark read"),
    ];
    for (path, expect) in pages {
        let r = server.get(path);
        assert_eq!(r.status, 200, "{path}");
        let html = r.text();
        assert!(html.contains(expect), "{path} lacks {expect:?}");
        assert_eq!(
            r.header("content-security-policy"),
            Some(ccmon::serve::auth::CSP),
            "{path}"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            html.matches("<script").count(),
            1,
            "{path}: one script, ours"
        );
        assert!(html.contains(r#"<script src="/static/app.js" defer></script>"#));
        // No external assets: the only stylesheet and script are the server's own.
        assert_eq!(html.matches("<link ").count(), 2, "{path}");
        assert!(html.contains(r#"<link rel="icon" href="/favicon.svg" type="image/svg+xml">"#));
        assert!(html.contains(r#"<link rel="stylesheet" href="/static/app.css">"#));
        assert!(!html.contains("src=\"http"), "{path}");
    }
    // Charts are inline SVG with hover values.
    let overview = server.get("/").text();
    assert!(overview.matches("<svg").count() >= 4);
    assert!(overview.contains("<title>"));
    let journey = server.get("/journeys/CUJ-005").text();
    assert!(journey.contains("Success rate per hour"));
    let js = server.get("/static/app.js");
    assert_eq!(js.status, 200);
    assert!(js.text().contains("pagehide"));
    assert!(
        server
            .get("/static/app.css")
            .text()
            .contains("prefers-color-scheme: dark")
    );
    assert_eq!(server.get("/nowhere").status, 404);
}

#[test]
fn a_record_with_script_and_credentials_is_escaped_and_redacted_everywhere() {
    let env = Env::new();
    let server = Server::start(&env, &[], &[]);
    let events = Events::open(&server.addr, &[]);
    // Written by another tool, straight into the file: the server redacts it itself.
    let secret = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    let line = format!(
        r#"{{"timestamp":"2026-11-20T10:00:00.000Z","runId":"xss-1","status":"failed","step":1,"name":"<script>alert(1)</script>","message":"push failed: token {secret}","error":"<img src=x onerror=alert(2)>","params":{{"password":"hunter2"}}}}"#
    );
    env.write("analytics/progress-2026-11-20.jsonl", format!("{line}\n"));
    let rec = events.next_named("progress");
    assert_eq!(
        rec["name"], "<script>alert(1)</script>",
        "JSON data, escaped by JSON"
    );
    assert_eq!(rec["message"], "push failed: token [REDACTED]");
    assert_eq!(rec["params"]["password"], "[REDACTED]");
    for path in ["/", "/runs", "/runs/xss-1", "/api/runs/xss-1", "/api/runs"] {
        let r = server.get(path);
        assert_eq!(r.status, 200, "{path}");
        let body = r.text();
        assert!(!body.contains(secret), "{path} leaks the token");
        assert!(!body.contains("hunter2"), "{path} leaks the password");
        if path.starts_with("/api/") {
            // JSON, never sniffed as HTML: the text stays as written, JSON-escaped.
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
            assert!(
                body.contains("push failed: token [REDACTED]"),
                "{path}: {body}"
            );
        } else {
            assert!(!body.contains("<script>alert"), "{path} holds raw markup");
            assert!(!body.contains("<img src=x"), "{path} holds raw markup");
        }
    }
    let page = server.get("/runs/xss-1").text();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("push failed: token [REDACTED]"));
}

#[test]
fn without_a_token_only_loopback_is_served() {
    let env = Env::new();
    let mut cmd = env.cmd("cc-dashboard");
    cmd.args(["serve", "--bind", "0.0.0.0:0"]);
    let (out, err, code) = outcome(&mut cmd);
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "");
    assert!(err.contains("--bind") && err.contains("token"), "{err}");
    assert!(env.files().is_empty(), "nothing written: {:?}", env.files());
    // The token is never a command-line value.
    let mut cmd = env.cmd("cc-dashboard");
    cmd.args(["serve", "--token", "s3cret"]);
    let (_, err, code) = outcome(&mut cmd);
    assert_eq!(code, 2, "{err}");
    // A missing token file is named.
    let mut cmd = env.cmd("cc-dashboard");
    cmd.args(["serve", "--bind", "0.0.0.0:0", "--token-file", "nope.txt"]);
    let (_, err, code) = outcome(&mut cmd);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--token-file") && err.contains("nope.txt"),
        "{err}"
    );
    // A root that does not exist is a usage error.
    let mut cmd = env.cmd("cc-dashboard");
    cmd.args(["serve", "--root", "missing"]);
    let (_, err, code) = outcome(&mut cmd);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--root"), "{err}");
}

#[test]
fn a_token_is_required_by_every_route_but_healthz() {
    let env = Env::new();
    env.write("token.txt", "s3cret-token\n");
    for how in ["file", "env"] {
        let server = if how == "file" {
            Server::start(&env, &["--token-file", "token.txt"], &[])
        } else {
            Server::start(&env, &[], &[("CC_TOKEN", "s3cret-token")])
        };
        for path in [
            "/",
            "/runs",
            "/api/dashboard",
            "/api/runs",
            "/events",
            "/metrics",
            "/static/app.js",
        ] {
            let r = server.get(path);
            assert_eq!(r.status, 401, "{how} {path}");
            assert_eq!(r.header("www-authenticate"), Some("Bearer"));
        }
        let h = server.get("/healthz");
        assert_eq!((h.status, h.text().as_str()), (200, "ok"));
        let bearer = [("Authorization", "Bearer s3cret-token")];
        assert_eq!(http(&server.addr, "GET", "/api/runs", &bearer).status, 200);
        let wrong = [("Authorization", "Bearer s3cret-tokeN")];
        assert_eq!(http(&server.addr, "GET", "/api/runs", &wrong).status, 401);
        // Visiting /?token=TOKEN once sets a cookie that carries it from then on.
        assert_eq!(server.get("/?token=wrong").status, 401);
        let r = server.get("/?token=s3cret-token");
        assert_eq!(r.status, 303);
        assert_eq!(r.header("location"), Some("/"));
        let cookie = r.header("set-cookie").unwrap().to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("s3cret-token"),
            "the cookie holds it encoded: {cookie}"
        );
        let pair = cookie.split(';').next().unwrap().to_string();
        let r = http(&server.addr, "GET", "/runs", &[("Cookie", &pair)]);
        assert_eq!(r.status, 200, "{how}");
    }
}

fn notification_line(id: &str, message: &str) -> String {
    format!(
        r#"{{"timestamp":"2026-11-20T09:00:00.000Z","id":"{id}","type":"run_failed","runId":"run-7","message":"{message}"}}"#
    )
}

#[test]
fn notifications_are_marked_read_and_dismissed_by_same_origin_posts_only() {
    let env = Env::new();
    env.write(
        "analytics/notifications-2026-11-20.jsonl",
        format!(
            "{}\n{}\n",
            notification_line("n-1", "run-7 failed"),
            notification_line("n-2", "run-8 failed")
        ),
    );
    let server = Server::start(&env, &[], &[("CC_NOW", NOW)]);
    let before = env.read("analytics/notifications-2026-11-20.jsonl");
    // Another site's page cannot change state.
    let evil = [("Origin", "http://evil.example")];
    let r = http(&server.addr, "POST", "/api/notifications/n-1/read", &evil);
    assert_eq!(r.status, 403);
    let cross = [("Sec-Fetch-Site", "cross-site")];
    assert_eq!(
        http(
            &server.addr,
            "POST",
            "/api/notifications/n-1/dismiss",
            &cross
        )
        .status,
        403
    );
    assert_eq!(
        http(&server.addr, "GET", "/api/notifications/n-1/read", &[]).status,
        405
    );
    assert_eq!(env.read("analytics/notifications-2026-11-20.jsonl"), before);
    assert_eq!(
        env.files(),
        vec!["analytics/notifications-2026-11-20.jsonl"]
    );

    // A site whose name points at 127.0.0.1 (DNS rebinding) is not this server.
    let rebound = [
        ("Host", "evil.example:7878"),
        ("Origin", "http://evil.example:7878"),
    ];
    assert_eq!(
        http(
            &server.addr,
            "POST",
            "/api/notifications/n-1/read",
            &rebound
        )
        .status,
        403
    );
    assert_eq!(
        http(&server.addr, "GET", "/api/notifications", &rebound).status,
        403
    );
    assert_eq!(env.read("analytics/notifications-2026-11-20.jsonl"), before);

    let origin = format!("http://{}", server.addr);
    let same = [("Origin", origin.as_str())];
    let r = http(&server.addr, "POST", "/api/notifications/n-1/read", &same);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        serde_json::from_slice::<Value>(&r.body).unwrap(),
        serde_json::json!({"marked": 1})
    );
    let r = http(&server.addr, "POST", "/api/notifications/nope/read", &same);
    assert_eq!(r.status, 404);
    // A form posted without JavaScript comes back to the page.
    let form = [("Origin", origin.as_str()), ("Accept", "text/html")];
    let r = http(
        &server.addr,
        "POST",
        "/api/notifications/n-2/dismiss",
        &form,
    );
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/notifications"));
    // Written as the usual state records: the CLI sees them.
    let rows = cli_json(&env, "cc-dashboard", &["notifications", "--all"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let n1 = rows.iter().find(|r| r["id"] == "n-1").unwrap();
    let n2 = rows.iter().find(|r| r["id"] == "n-2").unwrap();
    assert_eq!(
        (n1["read"].as_bool(), n1["dismissed"].as_bool()),
        (Some(true), Some(false))
    );
    assert_eq!(n2["dismissed"], true);
    let api = server.get_json("/api/notifications");
    assert_eq!(
        api.as_array().unwrap().len(),
        1,
        "dismissed ones are not listed"
    );
    let states: Vec<Value> = env
        .records("analytics/notifications-")
        .into_iter()
        .filter(|r| r["type"] == "read" || r["type"] == "dismissed")
        .collect();
    assert_eq!(states.len(), 2);
    assert_eq!(states[0]["target"], "n-1");
    assert_eq!(states[1]["target"], "n-2");
    let page = server.get("/notifications?all=true").text();
    assert!(page.contains("run-7 failed"));
}

#[test]
fn appended_records_stream_live_including_run_output_and_slashed_run_ids() {
    let env = Env::new();
    let server = Server::start(&env, &[], &[]);
    let events = Events::open(&server.addr, &[]);
    // Appended by another program.
    let (_, err, code) = env.run(&["log", "--skill", "live-check", "--duration", "12"]);
    assert_eq!(code, 0, "{err}");
    let rec = events.next_named("skill-invocations");
    assert_eq!(rec["skill"], "live-check");
    assert_eq!(rec["duration"], 12.0);
    let dash = events.next_named("dashboard");
    assert_eq!(
        dash,
        serde_json::json!({"stream": "skill-invocations", "records": 1})
    );

    // A run id with a slash, and its output chunks.
    let (_, err, code) = env.run_bin(
        "cc-progress",
        &["start", "s1/agent-2", "--steps", "2", "--name", "Slash"],
    );
    assert_eq!(code, 0, "{err}");
    let ev = events.next_named("progress");
    assert_eq!(ev["runId"], "s1/agent-2");
    let chunk = r#"{"timestamp":"2026-11-30T00:00:01.000Z","runId":"s1/agent-2","output":{"stream":"stdout","text":"compiling <crate>\n"}}"#;
    let path = env.path("analytics/progress-2026-11-30.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(format!("{chunk}\n").as_bytes()).unwrap();
    let ev = events.next_named("progress");
    assert_eq!(ev["output"]["text"], "compiling <crate>\n");
    let page = server.get("/runs/s1%2Fagent-2");
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("s1/agent-2"));
    assert!(html.contains(r#"data-run="s1/agent-2""#));
    assert!(
        html.contains("compiling &lt;crate&gt;"),
        "the terminal holds the chunk"
    );
    let api = server.get_json("/api/runs/s1%2Fagent-2");
    let cli = {
        let mut cmd = env.cmd("cc-progress");
        cmd.args(["current", "s1/agent-2", "--json"]);
        let (out, _, code) = outcome(&mut cmd);
        assert_eq!(code, 0);
        serde_json::from_str::<Value>(&out).unwrap()
    };
    assert_eq!(api["runId"], "s1/agent-2");
    assert_eq!(api["totalSteps"], cli["totalSteps"]);
    assert_eq!(api["status"], cli["status"]);
    let runs = server.get("/runs").text();
    assert!(runs.contains(r#"href="/runs/s1%2Fagent-2""#));

    // The workflow filter of the run list.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    for (run, wf) in [("wf-a", "review-and-fix"), ("wf-b", "nightly")] {
        let line = format!(
            r#"{{"timestamp":"2026-11-30T00:00:02.000Z","runId":"{run}","status":"running","step":0,"workflow":"{wf}"}}"#
        );
        f.write_all(format!("{line}\n").as_bytes()).unwrap();
    }
    events.next_named("progress");
    events.next_named("progress");
    let page = server.get("/runs?workflow=review-and-fix").text();
    assert!(page.contains(r#"href="/runs/wf-a""#));
    assert!(!page.contains(r#"href="/runs/wf-b""#));
    assert!(!page.contains(r#"href="/runs/s1%2Fagent-2""#));
    assert!(page.contains("1 matching"));
}

#[test]
fn the_server_survives_rotation_pruning_and_corrupt_lines() {
    let env = Env::new();
    env.write(
        "logs/skill-invocations-2026-11-18.jsonl",
        format!(
            "{}\n",
            common::line("2026-11-18T10:00:00.000Z", "old", "success", 5.0, "")
        ),
    );
    let server = Server::start(&env, &[], &[]);
    let events = Events::open(&server.addr, &[]);
    // Corrupt lines: skipped with a warning in the log; the stream goes on.
    let mut day = std::fs::OpenOptions::new()
        .append(true)
        .open(env.path("logs/skill-invocations-2026-11-18.jsonl"))
        .unwrap();
    day.write_all(b"not json at all\n\xff\xfe garbage\n[1,2,3]\n")
        .unwrap();
    day.write_all(
        format!(
            "{}\n",
            common::line(
                "2026-11-18T11:00:00.000Z",
                "after-garbage",
                "success",
                6.0,
                ""
            )
        )
        .as_bytes(),
    )
    .unwrap();
    drop(day);
    let rec = events.next_named("skill-invocations");
    assert_eq!(rec["skill"], "after-garbage");
    let deadline = Instant::now() + WAIT;
    while !server
        .stderr()
        .contains("warning: skipped 3 malformed lines")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server
            .stderr()
            .contains("warning: skipped 3 malformed lines ("),
        "{}",
        server.stderr()
    );
    // Midnight: a new daily file appears.
    env.write(
        "logs/skill-invocations-2026-11-19.jsonl",
        format!(
            "{}\n",
            common::line("2026-11-19T00:00:01.000Z", "next-day", "success", 7.0, "")
        ),
    );
    assert_eq!(events.next_named("skill-invocations")["skill"], "next-day");
    // Pruned: the old file goes; appends to the new one still stream.
    std::fs::remove_file(env.path("logs/skill-invocations-2026-11-18.jsonl")).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(env.path("logs/skill-invocations-2026-11-19.jsonl"))
        .unwrap();
    f.write_all(
        format!(
            "{}\n",
            common::line(
                "2026-11-19T00:00:02.000Z",
                "after-prune",
                "success",
                8.0,
                ""
            )
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(
        events.next_named("skill-invocations")["skill"],
        "after-prune"
    );
    assert_eq!(server.get("/api/skills").status, 200);
    assert_eq!(server.get("/").status, 200);
}

fn open_streams(server: &Server) -> u64 {
    let text = server.get("/metrics").text();
    text.lines()
        .find_map(|l| l.strip_prefix("ccmon_serve_event_streams "))
        .expect("the gauge")
        .parse()
        .unwrap()
}

#[test]
fn a_hundred_event_streams_at_once_and_gone_clients_cost_nothing() {
    let env = Env::new();
    let server = Server::start(&env, &[], &[]);
    let clients: Vec<Events> = (0..100).map(|_| Events::open(&server.addr, &[])).collect();
    assert_eq!(open_streams(&server), 100);
    let (_, err, code) = env.run(&["log", "--skill", "fan-out"]);
    assert_eq!(code, 0, "{err}");
    for c in &clients {
        assert_eq!(c.next_named("skill-invocations")["skill"], "fan-out");
    }
    for c in &clients {
        c.stream.shutdown(std::net::Shutdown::Both).unwrap();
    }
    drop(clients);
    // The next record written to a closed connection ends its stream.
    let (_, _, code) = env.run(&["log", "--skill", "after-disconnect"]);
    assert_eq!(code, 0);
    let deadline = Instant::now() + WAIT;
    let mut open = open_streams(&server);
    while open > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        open = open_streams(&server);
    }
    assert_eq!(open, 0);
    assert_eq!(server.get("/healthz").text(), "ok");
}

#[test]
fn metrics_healthz_bad_parameters_and_a_clean_stop() {
    let env = demo();
    let mut server = Server::start(&env, &[], &[("CC_NOW", NOW)]);
    let m = server.get("/metrics");
    assert_eq!(m.status, 200);
    assert!(
        m.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = m.text();
    let mut cmd = env.cmd("cc-dashboard");
    cmd.env("CC_NOW", NOW)
        .args(["export", "--format", "prometheus"]);
    let (export, _, code) = outcome(&mut cmd);
    assert_eq!(code, 0);
    // The same series as the export (values as the JSON comparison allows; the time it
    // took to compute differs), then the server's own gauge.
    let split = |t: &str| -> Vec<(String, f64)> {
        t.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("ccmon_dashboard_generation_seconds"))
            .map(|l| {
                let (k, v) = l.rsplit_once(' ').unwrap();
                (k.to_string(), v.parse().unwrap())
            })
            .collect()
    };
    let (served, exported) = (split(&text), split(&export));
    assert_eq!(served.len(), exported.len() + 1);
    for ((k1, v1), (k2, v2)) in served.iter().zip(&exported) {
        assert_eq!(k1, k2);
        assert!(
            (v1 - v2).abs() <= 1e-6 * v1.abs().max(1.0),
            "{k1}: {v1} != {v2}"
        );
    }
    assert_eq!(
        served.last().unwrap(),
        &("ccmon_serve_event_streams".to_string(), 0.0)
    );
    assert!(text.ends_with(
        "# HELP ccmon_serve_event_streams Event streams (GET /events) open now.\n\
         # TYPE ccmon_serve_event_streams gauge\nccmon_serve_event_streams 0\n"
    ));
    let h = server.get("/healthz");
    assert_eq!((h.status, h.text().as_str()), (200, "ok"));
    for (path, field) in [
        ("/api/runs?status=bogus", "status"),
        ("/api/runs?page=0", "page"),
        ("/api/runs?limit=x", "limit"),
        ("/api/cujs?window=-5m", "window"),
        ("/api/cujs/CUJ-005/trending?buckets=0", "buckets"),
        ("/api/skills?by=color", "by"),
        ("/api/usage?since=yesterday-ish", "since"),
        ("/api/notifications?unread=maybe", "unread"),
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(v["error"].as_str().unwrap().contains(field), "{path}: {v}");
    }
    assert_eq!(server.get("/api/runs/no-such-run").status, 404);
    assert_eq!(server.get("/api/runs/no-such-run").text(), "null\n");
    // Ctrl-C with a stream open: a clean, prompt exit.
    let _events = Events::open(&server.addr, &[]);
    assert_eq!(server.stop(), Some(0));
    assert!(!server.stderr().contains("panicked"));
}

// ---------------------------------------------------------------------------------
// In a real browser: headless Chromium driven by Debian's chromium-driver (WebDriver
// over HTTP, with a few DevTools commands for viewport and colour scheme). Ignored by
// `cargo test`; .ci/run installs both and runs them.

/// A WebDriver session on a chromedriver started for the test; both end on drop.
struct Browser {
    driver: Child,
    addr: String,
    session: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One WebDriver command: JSON in, the answer's `value` out.
fn wd(addr: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    wd_try(addr, method, path, body).unwrap_or_else(|e| panic!("{e}"))
}

/// [`wd`], with a WebDriver error as `Err`.
fn wd_try(addr: &str, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
    let mut s = TcpStream::connect(addr).expect("connect chromedriver");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let (_, payload) = read_response(&mut s);
    let v: Value = serde_json::from_slice(&payload).unwrap_or_else(|e| {
        panic!(
            "{method} {path}: {e}: {}",
            String::from_utf8_lossy(&payload)
        )
    });
    if let Some(err) = v["value"].get("error") {
        return Err(format!("{method} {path}: {err}: {}", v["value"]["message"]));
    }
    Ok(v["value"].clone())
}

impl Browser {
    fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; .ci/run installs it)");
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(&addr).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                         "--window-size=1280,1000", "--disable-dev-shm-usage"]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        // Owned before the session starts, so a failure here still stops chromedriver.
        let mut b = Browser {
            driver,
            addr,
            session: String::new(),
        };
        // Chromium now and then dies while starting on a loaded machine ("session not
        // created: DevToolsActivePort file doesn't exist"): that is the host, not the
        // page, so a start is tried three times.
        let mut tries = 0;
        let v = loop {
            tries += 1;
            match wd_try(&b.addr, "POST", "/session", Some(caps.clone())) {
                Ok(v) => break v,
                Err(e) if tries < 3 && e.contains("session not created") => {
                    std::thread::sleep(Duration::from_secs(2));
                }
                Err(e) => panic!("{e}"),
            }
        };
        b.session = v["sessionId"].as_str().unwrap().to_string();
        b.cmd(
            "POST",
            "timeouts",
            Some(serde_json::json!({"pageLoad": 15000, "script": 15000})),
        );
        b
    }

    fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        wd(
            &self.addr,
            method,
            &format!("/session/{}/{what}", self.session),
            body,
        )
    }

    fn cdp(&self, cmd: &str, params: Value) {
        self.cmd(
            "POST",
            "goog/cdp/execute",
            Some(serde_json::json!({"cmd": cmd, "params": params})),
        );
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "url", Some(serde_json::json!({"url": url})));
    }

    fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "execute/sync",
            Some(serde_json::json!({"script": script, "args": []})),
        )
    }

    /// Waits (bounded) until `script` returns true.
    fn until(&self, script: &str, what: &str) {
        let deadline = Instant::now() + WAIT;
        while self.js(script) != Value::Bool(true) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Console messages since the last call, as "LEVEL message".
    fn console(&self) -> Vec<String> {
        let v = self.cmd(
            "POST",
            "se/log",
            Some(serde_json::json!({"type": "browser"})),
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["level"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    fn viewport(&self, width: u32, height: u32, mobile: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        );
    }

    fn scheme(&self, scheme: &str) {
        self.cdp(
            "Emulation.setEmulatedMedia",
            serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        );
    }

    fn screenshot(&self) -> Vec<u8> {
        let v = self.cmd("GET", "screenshot", None);
        base64_decode(v.as_str().unwrap())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                wd(
                    &self.addr,
                    "DELETE",
                    &format!("/session/{}", self.session),
                    None,
                )
            }));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}

/// The luminance (0–255) of a CSS `rgb(...)` colour.
fn luminance(css: &str) -> f64 {
    let nums: Vec<f64> = css
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .map(|n| n.trim().parse().unwrap())
        .collect();
    0.2126 * nums[0] + 0.7152 * nums[1] + 0.0722 * nums[2]
}

const BROWSER_PAGES: [&str; 11] = [
    "/",
    "/runs",
    "/runs/run-042",
    "/chains",
    "/chains/chain-billing",
    "/journeys",
    "/journeys/CUJ-005",
    "/skills",
    "/providers",
    "/usage",
    "/notifications",
];

fn browser_demo() -> Env {
    // The demo at the real clock: today's data is there, as a user sees it.
    let env = Env::new();
    let mut cmd = env.cmd("cc-dashboard");
    cmd.args(["demo", "--root"]).arg(env.root());
    let (_, err, code) = outcome(&mut cmd);
    assert_eq!(code, 0, "{err}");
    env
}

/// Every page loads with no console message, and none scrolls sideways at 390 px, in
/// light or dark; the dark background is dark. Screenshots of the overview, a run and
/// the providers page (light and dark) are written only when
/// `CCMON_SCREENSHOT_DIR` names a folder (docs/ for the README).
#[test]
#[ignore = "needs Chromium and chromium-driver (installed by .ci/run)"]
fn pages_in_headless_chromium_have_no_console_errors_fit_390px_and_go_dark() {
    let env = browser_demo();
    let server = Server::start(&env, &[], &[]);
    let b = Browser::start();
    let base = format!("http://{}", server.addr);
    for (width, mobile) in [(1280, false), (390, true)] {
        b.viewport(width, 900, mobile);
        for scheme in ["light", "dark"] {
            b.scheme(scheme);
            for path in BROWSER_PAGES {
                b.go(&format!("{base}{path}"));
                b.until("return document.readyState === 'complete'", path);
                let console = b.console();
                assert!(
                    console.is_empty(),
                    "{path} ({width}px, {scheme}): {console:?}"
                );
                let scroll =
                    b.js("return [document.documentElement.scrollWidth, window.innerWidth]");
                let (sw, iw) = (scroll[0].as_u64().unwrap(), scroll[1].as_u64().unwrap());
                assert!(
                    sw <= iw,
                    "{path} scrolls sideways at {width}px ({scheme}): {sw} > {iw}"
                );
                let bg = b.js("return getComputedStyle(document.body).backgroundColor");
                let lum = luminance(bg.as_str().unwrap());
                if scheme == "dark" {
                    assert!(lum < 60.0, "{path}: dark background expected, got {bg}");
                } else {
                    assert!(lum > 200.0, "{path}: light background expected, got {bg}");
                }
            }
        }
    }
    if let Ok(dir) = std::env::var("CCMON_SCREENSHOT_DIR") {
        // The newest failed run, with a few output chunks (the demo has no agent output
        // yet), appended as `cc-progress output` appends them.
        let failed = server.get_json("/api/runs?status=failed&limit=1");
        let run = failed[0]["runId"].as_str().unwrap().to_string();
        let now = chrono::Utc::now();
        let chunks = [
            ("assistant", "I'll fix the failing API tests first.\n"),
            ("tool", "$ cargo test --test api_test\n"),
            (
                "stdout",
                "running 212 tests\n...\ntest result: FAILED. 209 passed; 3 failed\n",
            ),
            (
                "stderr",
                "error: test failed, to rerun pass `--test api_test`\n",
            ),
        ];
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(env.path(&format!(
                "analytics/progress-{}.jsonl",
                now.format("%Y-%m-%d")
            )))
            .unwrap();
        for (i, (stream, text)) in chunks.iter().enumerate() {
            let line = serde_json::json!({
                "timestamp": (now + chrono::Duration::milliseconds(i as i64)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "runId": run,
                "output": {"stream": stream, "text": text},
            });
            f.write_all(format!("{line}\n").as_bytes()).unwrap();
        }
        b.viewport(1280, 1000, false);
        for scheme in ["light", "dark"] {
            b.scheme(scheme);
            let run_page = format!("/runs/{run}");
            for (path, name) in [
                ("/", "overview"),
                (run_page.as_str(), "run"),
                ("/providers", "providers"),
            ] {
                b.go(&format!("{base}{path}"));
                b.until(
                    "return document.readyState === 'complete' && document.getElementById('live').classList.contains('on')",
                    path,
                );
                let png = b.screenshot();
                assert!(png.starts_with(b"\x89PNG"));
                std::fs::write(
                    Path::new(&dir).join(format!("serve-{name}-{scheme}.png")),
                    png,
                )
                .unwrap();
            }
        }
    }
}

/// A record appended by another program appears in the open page without a reload;
/// "Mark read" marks a notification without leaving the page; the run page's terminal
/// streams output chunks.
#[test]
#[ignore = "needs Chromium and chromium-driver (installed by .ci/run)"]
fn the_open_page_updates_live_and_marks_notifications_read() {
    let env = browser_demo();
    let server = Server::start(&env, &[], &[]);
    let b = Browser::start();
    let base = format!("http://{}", server.addr);
    b.go(&format!("{base}/"));
    b.until(
        "return document.getElementById('live').classList.contains('on')",
        "the event stream",
    );
    b.js("window.__sameDocument = 'yes'; return true");
    let count = "return Number([...document.querySelectorAll('.stat')].find(s => s.querySelector('.label').textContent === 'Skill invocations').querySelector('.value').textContent)";
    let before = b.js(count).as_u64().unwrap();
    let (_, err, code) = env.run(&["log", "--skill", "browser-live-check", "--duration", "42"]);
    assert_eq!(code, 0, "{err}");
    b.until(
        "return document.getElementById('feed').textContent.includes('browser-live-check')",
        "the appended record in the live feed",
    );
    assert_eq!(
        b.js("return window.__sameDocument || null"),
        "yes",
        "no reload happened"
    );
    // The aggregates follow: the page's #view is swapped in place with the new count.
    b.until(
        &format!("{count} === {}", before + 1),
        "the overview's invocation count to go up by one",
    );
    assert_eq!(
        b.js("return window.__sameDocument || null"),
        "yes",
        "no reload happened"
    );

    // Mark read, from the page.
    b.go(&format!("{base}/notifications"));
    b.until(
        "return document.getElementById('live').classList.contains('on')",
        "the event stream",
    );
    b.js("window.__sameDocument = 'yes'; return true");
    let before = b
        .js("return document.querySelectorAll('form[data-action=read]').length")
        .as_u64()
        .unwrap();
    assert!(before > 0, "the demo has unread notifications");
    let el = b.cmd(
        "POST",
        "element",
        Some(
            serde_json::json!({"using": "css selector", "value": "form[data-action=read] button"}),
        ),
    );
    let id = el
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    b.cmd(
        "POST",
        &format!("element/{id}/click"),
        Some(serde_json::json!({})),
    );
    b.until(
        &format!(
            "return document.querySelectorAll('form[data-action=read]').length === {}",
            before - 1
        ),
        "one fewer unread notification",
    );
    assert_eq!(b.js("return window.__sameDocument || null"), "yes");
    let rows = {
        let mut cmd = env.cmd("cc-dashboard");
        cmd.args(["notifications", "--unread", "--limit", "0", "--json"]);
        let (out, _, code) = outcome(&mut cmd);
        assert_eq!(code, 0);
        serde_json::from_str::<Value>(&out).unwrap()
    };
    assert_eq!(rows.as_array().unwrap().len() as u64, before - 1);

    // The run terminal.
    b.go(&format!("{base}/runs/run-042"));
    b.until(
        "return document.getElementById('live').classList.contains('on')",
        "the event stream",
    );
    let chunk = r#"{"timestamp":"2026-11-30T00:00:01.000Z","runId":"run-042","output":{"stream":"stdout","text":"browser <terminal> line\n"}}"#;
    let today = chrono::Utc::now().format("%Y-%m-%d");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(env.path(&format!("analytics/progress-{today}.jsonl")))
        .unwrap();
    f.write_all(format!("{chunk}\n").as_bytes()).unwrap();
    b.until(
        "return document.getElementById('term').textContent.includes('browser <terminal> line')",
        "the output chunk in the terminal",
    );
    assert!(b.console().is_empty());
}

/// Clicking through more pages than the browser's six connections per host, then back
/// and forward through the cache, never stalls: a page that is left closes its event
/// stream, so only the page on screen holds one.
#[test]
#[ignore = "needs Chromium and chromium-driver (installed by .ci/run)"]
fn clicking_through_pages_never_runs_out_of_connections() {
    let env = browser_demo();
    let server = Server::start(&env, &[], &[]);
    let b = Browser::start();
    let base = format!("http://{}", server.addr);
    b.go(&format!("{base}/"));
    for round in 0..2 {
        for path in BROWSER_PAGES.iter().skip(1) {
            // Follow the navigation link, as a user does.
            let link = format!("a[href='{path}']");
            let found = b.js(&format!(
                "return document.querySelector(\"{link}\") !== null"
            ));
            if found == Value::Bool(true) {
                b.js(&format!(
                    "document.querySelector(\"{link}\").click(); return true"
                ));
            } else {
                b.go(&format!("{base}{path}"));
            }
            b.until(
                &format!("return location.pathname === '{path}' && document.readyState === 'complete' && document.getElementById('live').classList.contains('on')"),
                &format!("{path} (round {round}) to load and go live"),
            );
        }
    }
    for _ in 0..8 {
        b.cmd("POST", "back", Some(serde_json::json!({})));
        b.until(
            "return document.readyState === 'complete' && document.getElementById('live').classList.contains('on')",
            "a page from history to go live",
        );
    }
    // Only the page on screen holds a stream (allow one closing behind it).
    let deadline = Instant::now() + WAIT;
    let mut open = open_streams(&server);
    while open > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        open = open_streams(&server);
    }
    assert_eq!(open, 1);
    assert!(b.console().is_empty());
}
