//! Benchmark (issue 17 item 6): `cc-dashboard ship clickhouse` against a local
//! ClickHouse, compared with `clickhouse-client --query "INSERT ... FORMAT
//! JSONEachRow" < file` on the same rows. The target: shipping reaches at least 80% of
//! clickhouse-client's rate.
//!
//! Starts its own clickhouse-server (Debian's package) on free 127.0.0.1 ports, and
//! alternates the two for a few rounds (each into a fresh database), printing every
//! round and the medians. For reference it also times the same rows POSTed over HTTP
//! in one request, which is what the server itself takes to parse them.
//! Run: `cargo bench --bench ship_clickhouse`. `CCMON_BENCH_RECORDS` sets the count
//! (200 000), `CCMON_BENCH_ROUNDS` the rounds (3), `CCMON_BENCH_SHIP` another
//! `cc-dashboard` to time (an older build, for before and after).

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ccmon::dashboard::ship;
use ccmon::record::{SkillInvocation, SkillResult, Timestamp};
use ccmon::redact::Redactor;
use ccmon::store::Stream;
use ccmon::writer::Writer;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn client(tcp: u16, query: &str, input: Option<&Path>) -> Duration {
    let started = Instant::now();
    let mut cmd = Command::new("clickhouse-client");
    cmd.args([
        "--host",
        "127.0.0.1",
        "--port",
        &tcp.to_string(),
        "--query",
        query,
    ]);
    if let Some(path) = input {
        cmd.stdin(std::fs::File::open(path).expect("rows file"));
    }
    let status = cmd.status().expect("clickhouse-client");
    assert!(status.success(), "{query}");
    started.elapsed()
}

fn main() {
    let records: usize = std::env::var("CCMON_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (http, tcp) = (free_port(), free_port());
    let d = dir.path().join("server");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("config.xml"),
        format!(
            "<?xml version=\"1.0\"?>\n<yandex><logger><level>warning</level><console>1</console></logger>\
             <http_port>{http}</http_port><tcp_port>{tcp}</tcp_port><listen_host>127.0.0.1</listen_host>\
             <path>{p}/data/</path><tmp_path>{p}/tmp/</tmp_path><user_files_path>{p}/files/</user_files_path>\
             <format_schema_path>{p}/schemas/</format_schema_path><users_config>{p}/users.xml</users_config>\
             <default_profile>default</default_profile><default_database>default</default_database>\
             <mark_cache_size>104857600</mark_cache_size></yandex>\n",
            p = d.display()
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("users.xml"),
        "<?xml version=\"1.0\"?>\n<yandex><profiles><default></default></profiles><users><default>\
         <password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile>\
         <quota>default</quota></default></users><quotas><default></default></quotas></yandex>\n",
    )
    .unwrap();
    let program = ["/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("clickhouse-server");
    let mut server = Command::new(program)
        .arg(format!("--config-file={}", d.join("config.xml").display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("clickhouse-server");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", tcp)).is_err() {
        assert!(Instant::now() < deadline, "clickhouse-server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));

    // The records, written as the programs write them, a day's worth per file.
    let root = dir.path().join("root");
    let writer = Writer::new(&root, Redactor::default(), true, false);
    let start = Timestamp(1_795_000_000_000);
    let mut batch = Vec::new();
    for i in 0..records {
        let mut r = SkillInvocation::new(["review", "lint", "deploy", "test"][i % 4]);
        r.timestamp = Some(Timestamp(start.0 + (i as i64) * 1_000));
        r.result = if i % 9 == 0 {
            SkillResult::Failure
        } else {
            SkillResult::Success
        };
        r.duration = Some(50.0 + (i % 5000) as f64);
        r.agent = Some("bench".into());
        batch.push(writer.prepare(r, start).expect("valid"));
    }
    writer.write(&batch).expect("written");

    // The same rows for clickhouse-client, as ship converts them.
    let rows_path = dir.path().join("rows.jsonl");
    let redactor = Redactor::default();
    let mut writer = ship::RowWriter::new(Stream::SkillInvocations, &redactor);
    let mut body = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read(path).unwrap();
        for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            assert!(writer.write(line, &mut body), "a row");
        }
    }
    std::fs::write(&rows_path, &body).unwrap();

    let program = std::env::var("CCMON_BENCH_SHIP")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_cc-dashboard").to_string());
    let rounds: usize = std::env::var("CCMON_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let rate = |d: Duration| records as f64 / d.as_secs_f64();
    println!(
        "ship clickhouse: {records} records ({:.1} MB of rows), {rounds} rounds, {}",
        body.len() as f64 / 1e6,
        if program.ends_with(env!("CARGO_BIN_EXE_cc-dashboard")) {
            "this build".to_string()
        } else {
            program.clone()
        }
    );
    let (mut by_client, mut by_ship, mut by_post) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let [c, s, p] = ["by_client", "by_ship", "by_post"].map(|d| format!("{d}_{round}"));
        for db in [&c, &s, &p] {
            for ddl in ship::schema(db) {
                client(tcp, &ddl, None);
            }
        }
        let took = client(
            tcp,
            &format!("INSERT INTO {c}.skill_invocations FORMAT JSONEachRow"),
            Some(&rows_path),
        );
        by_client.push(took);

        let started = Instant::now();
        let out = Command::new(&program)
            .arg("--root")
            .arg(&root)
            .args([
                "ship",
                "clickhouse",
                "--url",
                &format!("http://127.0.0.1:{http}"),
                "--database",
                &s,
            ])
            .output()
            .expect("cc-dashboard");
        by_ship.push(started.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        let started = Instant::now();
        let query = format!("INSERT INTO {p}.skill_invocations FORMAT JSONEachRow");
        let answer = ureq::post(format!("http://127.0.0.1:{http}/"))
            .query("query", &query)
            .send(&body[..])
            .expect("one POST of every row");
        by_post.push(started.elapsed());
        assert_eq!(answer.status(), 200);

        for db in [&c, &s, &p] {
            let n = Command::new("clickhouse-client")
                .args(["--host", "127.0.0.1", "--port", &tcp.to_string(), "--query"])
                .arg(format!("SELECT count() FROM {db}.skill_invocations"))
                .output()
                .expect("clickhouse-client");
            assert_eq!(
                String::from_utf8_lossy(&n.stdout).trim(),
                records.to_string(),
                "{db}"
            );
        }
        println!(
            "  round {}: clickhouse-client {:>9.0} records/s ({:.2?}), ship {:>9.0} records/s ({:.2?}): {:.0}%",
            round + 1,
            rate(by_client[round]),
            by_client[round],
            rate(by_ship[round]),
            by_ship[round],
            100.0 * rate(by_ship[round]) / rate(by_client[round])
        );
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (client_m, ship_m, post_m) = (
        median(&mut by_client),
        median(&mut by_ship),
        median(&mut by_post),
    );
    let ratio = rate(ship_m) / rate(client_m);
    println!(
        "medians:\n  clickhouse-client INSERT:  {:>9.0} records/s ({:.2?})\n  cc-dashboard ship:         {:>9.0} records/s ({:.2?})\n  one HTTP POST of the rows: {:>9.0} records/s ({:.2?})\n  ratio: {:.0}% (target at least 80%){}",
        rate(client_m),
        client_m,
        rate(ship_m),
        ship_m,
        rate(post_m),
        post_m,
        ratio * 100.0,
        if ratio < 0.8 { "  BELOW TARGET" } else { "" }
    );
    let _ = server.kill();
    let _ = server.wait();
}
