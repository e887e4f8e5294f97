//! Benchmark (SPEC §10, issue 12): the Claude Code import on a generated ~1 GB set of
//! transcripts (first import, and a re-import of the unchanged set) beside `ccusage
//! claude daily --json --offline` on the same files, timed in the same run; a
//! re-import of 1 000 unchanged files; one `cc-log hook` call; `cc-health statusline`
//! over a year of history.
//!
//! Run: `cargo bench --bench agents_import` (`CCMON_BENCH_MB` sets the size of the set;
//! `CCUSAGE` names the ccusage to compare with, else `ccusage` on the PATH, skipped when
//! absent). Data is generated once under target/ and reused.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const MODELS: [&str; 4] = [
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-6",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-1-20250805",
];

/// One session's transcript of about `target` bytes: prompts, responses of one to
/// three lines, tool calls with results of a few KB.
fn session(
    out: &mut impl Write,
    rng: &mut Rng,
    project: usize,
    s: usize,
    target: u64,
    day: u64,
) -> u64 {
    let sid = format!("{project:04}-{s:04}-0000-0000-000000000000");
    let filler = "The quick brown fox reads src/checkout.rs and explains the bug in detail. ";
    let mut written = 0u64;
    let mut line = String::with_capacity(16 << 10);
    let mut parent = String::from("null");
    let mut n = 0u64;
    while written < target {
        n += 1;
        let secs = (n * 7) % 86_000;
        let ts = |extra: u64| {
            let t = secs + extra;
            format!(
                "2026-11-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                1 + day % 28,
                t / 3600 % 24,
                t / 60 % 60,
                t % 60,
                n % 1000
            )
        };
        let common = |uuid: &str, parent: &str, kind: &str, ts: &str| {
            format!(
                r#""parentUuid":{parent},"isSidechain":false,"userType":"external","cwd":"/home/dev/project-{project}","sessionId":"{sid}","version":"2.0.31","gitBranch":"main","type":"{kind}","uuid":"{uuid}","timestamp":"{ts}""#
            )
        };
        line.clear();
        let uid = format!("u-{sid}-{n}");
        writeln!(
            line,
            r#"{{{},"message":{{"role":"user","content":"{}"}}}}"#,
            common(&uid, &parent, "user", &ts(0)),
            &filler[..40]
        )
        .unwrap();
        let model = MODELS[rng.below(4) as usize];
        let blocks = 1 + rng.below(3);
        let (i, o, w, r) = (
            rng.below(50) + 1,
            rng.below(2000) + 1,
            rng.below(5000),
            rng.below(80000),
        );
        let mut last = format!("\"{uid}\"");
        let tool = rng.below(2) == 0;
        for b in 0..blocks {
            let aid = format!("a-{sid}-{n}-{b}");
            let content = if tool && b + 1 == blocks {
                format!(
                    r#"[{{"type":"tool_use","id":"toolu_{sid}_{n}","name":"Bash","input":{{"command":"cargo test --package shop -- checkout_{n}","description":"run tests"}}}}]"#
                )
            } else {
                format!(
                    r#"[{{"type":"text","text":"{}"}}]"#,
                    filler.repeat(1 + rng.below(8) as usize)
                )
            };
            writeln!(line, r#"{{{},"message":{{"id":"msg_{sid}_{n}","type":"message","role":"assistant","model":"{model}","content":{content},"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{i},"cache_creation_input_tokens":{w},"cache_read_input_tokens":{r},"cache_creation":{{"ephemeral_5m_input_tokens":{w},"ephemeral_1h_input_tokens":0}},"output_tokens":{},"service_tier":"standard"}}}},"requestId":"req_{sid}_{n}"}}"#,
                common(&aid, &last, "assistant", &ts(1 + b)), o * (b + 1) / blocks).unwrap();
            last = format!("\"{aid}\"");
        }
        if tool {
            let rid = format!("r-{sid}-{n}");
            writeln!(line, r#"{{{},"message":{{"role":"user","content":[{{"tool_use_id":"toolu_{sid}_{n}","type":"tool_result","content":"{}","is_error":{}}}]}},"toolUseResult":{{"stdout":"ok","stderr":"","interrupted":false}}}}"#,
                common(&rid, &last, "user", &ts(9)), filler.repeat(20 + rng.below(60) as usize), rng.below(10) == 0).unwrap();
            last = format!("\"{rid}\"");
        }
        parent = last;
        out.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
    }
    written
}

/// A Claude config folder of about `target` bytes: projects of sessions.
fn generate(dir: &Path, target: u64, per_file: u64) -> (u64, u64) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut total, mut files) = (0u64, 0u64);
    let mut s = 0;
    while total < target {
        let project = s % 40;
        let folder = dir.join(format!("projects/-home-dev-project-{project}"));
        std::fs::create_dir_all(&folder).unwrap();
        let path = folder.join(format!("session-{s:05}.jsonl"));
        let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
        total += session(&mut out, &mut rng, project, s, per_file, s as u64);
        out.flush().unwrap();
        files += 1;
        s += 1;
    }
    (total, files)
}

/// Runs a command; (wall seconds, peak RSS MiB of it and its waited-for children,
/// stdout, CPU seconds). The child is reaped with `wait4`, which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn measure(cmd: &mut Command, stdin: Option<&[u8]>) -> (f64, f64, String, f64) {
    let started = Instant::now();
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, and pid is our own child, not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        started.elapsed().as_secs_f64(),
        usage.ru_maxrss as f64 / 1024.0,
        stdout,
        tv(usage.ru_utime) + tv(usage.ru_stime),
    )
}

fn quantiles(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
    (at(0.5), at(0.99))
}

fn main() {
    let dashboard = env!("CARGO_BIN_EXE_cc-dashboard");
    let cc_log = env!("CARGO_BIN_EXE_cc-log");
    let cc_health = env!("CARGO_BIN_EXE_cc-health");
    let mb: u64 = std::env::var("CCMON_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("agents-bench-{mb}mb"));
    let set = base.join("claude");
    let marker = base.join("done");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&base);
        let t = Instant::now();
        let (bytes, files) = generate(&set, mb << 20, 3 << 20);
        std::fs::write(&marker, format!("{bytes} {files}")).unwrap();
        println!(
            "generated {:.0} MB of transcripts, {files} files, in {:.1}s",
            bytes as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
    }
    let info = std::fs::read_to_string(&marker).unwrap();
    let mut parts = info.split_whitespace();
    let bytes: f64 = parts.next().unwrap().parse().unwrap();
    let files: u64 = parts.next().unwrap().parse().unwrap();
    println!(
        "transcripts: {:.0} MB in {files} files ({})",
        bytes / 1e6,
        set.display()
    );
    // Warm the page cache.
    for e in walk(&set) {
        let _ = std::fs::read(e);
    }

    let root = base.join("root");
    let _ = std::fs::remove_dir_all(&root);
    let import = |root: &Path| {
        measure(
            Command::new(dashboard)
                .args(["--root"])
                .arg(root)
                .args(["--json", "import", "claude", "--dir"])
                .arg(&set),
            None,
        )
    };
    let (secs, rss, out, cpu) = import(&root);
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    println!(
        "cc-dashboard import claude (first)   {secs:>7.3} s  {:>6.0} MB/s  CPU {cpu:>6.2} s  peak RSS {rss:>6.1} MB  ({} calls, {} tool calls)",
        bytes / 1e6 / secs,
        summary["calls"],
        summary["toolCalls"]
    );
    let (secs, rss, _, _) = (0..5)
        .map(|_| import(&root))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap();
    println!(
        "cc-dashboard import claude (again)   {:>7.1} ms  unchanged set  peak RSS {rss:>6.1} MB",
        secs * 1e3
    );

    let ccusage = std::env::var("CCUSAGE").unwrap_or_else(|_| "ccusage".into());
    let run_ccusage = || {
        measure(
            Command::new(&ccusage)
                .args(["claude", "daily", "--json", "--offline"])
                .env("CLAUDE_CONFIG_DIR", &set)
                .env("TZ", "UTC"),
            None,
        )
    };
    if Command::new(&ccusage)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        for run in ["first", "again"] {
            let (secs, rss, _, cpu) = run_ccusage();
            println!(
                "ccusage claude daily --offline ({run}) {secs:>6.3} s  {:>6.0} MB/s  CPU {cpu:>6.2} s  peak RSS {rss:>6.1} MB",
                bytes / 1e6 / secs
            );
        }
    } else {
        println!("ccusage not found (set CCUSAGE): comparison skipped");
    }

    // 1 000 small transcripts, imported, then re-imported unchanged.
    let small = base.join("small");
    if !small.join("projects").exists() {
        let mut rng = Rng(42);
        for f in 0..1000usize {
            let folder = small.join(format!("projects/-p{}", f % 50));
            std::fs::create_dir_all(&folder).unwrap();
            let mut out =
                BufWriter::new(std::fs::File::create(folder.join(format!("s{f}.jsonl"))).unwrap());
            session(&mut out, &mut rng, f % 50, 100_000 + f, 20_000, f as u64);
            out.flush().unwrap();
        }
    }
    let small_root = base.join("small-root");
    let _ = std::fs::remove_dir_all(&small_root);
    let import_small = || {
        measure(
            Command::new(dashboard)
                .arg("--root")
                .arg(&small_root)
                .args(["import", "claude", "--dir"])
                .arg(&small),
            None,
        )
    };
    import_small();
    let times: Vec<f64> = (0..20).map(|_| import_small().0 * 1e3).collect();
    let (p50, p99) = quantiles(times);
    println!("re-import of 1000 unchanged files     p50 {p50:>6.1} ms  p99 {p99:>6.1} ms");

    // One hook call (PostToolUse), on the root that holds the imported set.
    let payload = |i: usize| {
        format!(
            r#"{{"session_id":"bench","hook_event_name":"PostToolUse","tool_name":"Bash","tool_use_id":"toolu_bench_{i}","tool_input":{{"command":"cargo test"}},"tool_response":{{"stdout":"ok"}},"duration_ms":1200}}"#
        )
    };
    let times: Vec<f64> = (0..100)
        .map(|i| {
            measure(
                Command::new(cc_log)
                    .arg("--root")
                    .arg(&small_root)
                    .arg("hook"),
                Some(payload(i).as_bytes()),
            )
            .0 * 1e3
        })
        .collect();
    let (p50, p99) = quantiles(times);
    println!("cc-log hook (PostToolUse)             p50 {p50:>6.1} ms  p99 {p99:>6.1} ms");

    // The status line over a year of provider calls (2 000 a day).
    let year = base.join("year");
    if !year.join("analytics").exists() {
        std::fs::create_dir_all(year.join("analytics")).unwrap();
        let today = chrono::Utc::now().date_naive();
        let mut rng = Rng(7);
        for d in 0..365u64 {
            let date = today - chrono::Days::new(d);
            let mut out = BufWriter::new(
                std::fs::File::create(year.join(format!(
                    "analytics/provider-health-{}.jsonl",
                    date.format("%Y-%m-%d")
                )))
                .unwrap(),
            );
            for k in 0..2000u64 {
                let t = k * 43;
                writeln!(out, r#"{{"timestamp":"{}T{:02}:{:02}:{:02}.000Z","provider":"anthropic","success":true,"latency":{},"error":null,"model":"{}","inputTokens":{},"outputTokens":{},"cacheReadTokens":{},"cacheWriteTokens":0,"runId":"s{d}","toolId":"claude-code","id":"claude:msg_{d}_{k}"}}"#,
                    date.format("%Y-%m-%d"), t / 3600, t / 60 % 60, t % 60, 500 + rng.below(5000), MODELS[rng.below(4) as usize], rng.below(100), rng.below(2000), rng.below(50000)).unwrap();
            }
            out.flush().unwrap();
        }
    }
    let transcript = walk(&small).into_iter().next().unwrap();
    let input = format!(
        r#"{{"session_id":"bench","transcript_path":"{}","model":{{"id":"claude-opus-4-6","display_name":"Opus 4.6"}},"cost":{{"total_cost_usd":1.25}},"rate_limits":{{"five_hour":{{"used_percentage":40}},"seven_day":{{"used_percentage":12}}}}}}"#,
        transcript.display()
    );
    let mut line = String::new();
    let times: Vec<f64> = (0..50)
        .map(|_| {
            let (s, _, out, _) = measure(
                Command::new(cc_health)
                    .arg("--root")
                    .arg(&year)
                    .arg("statusline"),
                Some(input.as_bytes()),
            );
            line = out;
            s * 1e3
        })
        .collect();
    let (p50, p99) = quantiles(times);
    println!(
        "cc-health statusline (365 days)       p50 {p50:>6.1} ms  p99 {p99:>6.1} ms  -> {}",
        line.trim()
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
