//! Test environment: a temporary data root and the real binaries.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

/// A temporary data root; commands run with it as the current directory, with the
/// environment variables ccmon reads cleared.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn cmd(&self, bin: &str) -> Command {
        let path = match bin {
            "cc-log" => env!("CARGO_BIN_EXE_cc-log"),
            "cc-metrics" => env!("CARGO_BIN_EXE_cc-metrics"),
            "cc-progress" => env!("CARGO_BIN_EXE_cc-progress"),
            "cc-health" => env!("CARGO_BIN_EXE_cc-health"),
            "cc-dashboard" => env!("CARGO_BIN_EXE_cc-dashboard"),
            other => panic!("unknown binary {other}"),
        };
        let mut c = Command::new(path);
        c.current_dir(self.root());
        for var in [
            "CC_ROOT",
            "NO_COLOR",
            "FORCE_COLOR",
            "CC_REDACT_KEYS",
            "CC_REDACT_PATTERNS",
            "CC_NOW",
            "CC_ROLLUPS",
        ] {
            c.env_remove(var);
        }
        c.env("TZ", "UTC");
        c
    }

    pub fn log(&self) -> Command {
        self.cmd("cc-log")
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Every file under the root, relative, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.root().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p.strip_prefix(self.root()).unwrap().display().to_string());
                }
            }
        }
        out.sort();
        out
    }

    pub fn metrics(&self) -> Command {
        self.cmd("cc-metrics")
    }

    pub fn progress(&self) -> Command {
        self.cmd("cc-progress")
    }

    /// Every JSON line of the files of a stream (`analytics/progress-`), in file order.
    pub fn records(&self, prefix: &str) -> Vec<serde_json::Value> {
        self.files()
            .iter()
            .filter(|f| f.starts_with(prefix))
            .flat_map(|f| {
                self.read(f)
                    .lines()
                    .map(|l| serde_json::from_str(l).unwrap())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Runs `cc-log` and returns (stdout, stderr, exit code).
    pub fn run(&self, args: &[&str]) -> (String, String, i32) {
        self.run_bin("cc-log", args)
    }

    /// Runs a program and returns (stdout, stderr, exit code).
    pub fn run_bin(&self, bin: &str, args: &[&str]) -> (String, String, i32) {
        outcome(self.cmd(bin).args(args))
    }

    /// Appends a record with a fixed timestamp and id through `cc-log log --record`.
    pub fn record(&self, json: &str) {
        self.log()
            .args(["log", "--record", json])
            .assert()
            .success();
    }
}

/// Runs a prepared command and returns (stdout, stderr, exit code).
pub fn outcome(cmd: &mut Command) -> (String, String, i32) {
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// A skill-invocation line as another tool might write it.
pub fn line(ts: &str, skill: &str, result: &str, duration: f64, extra: &str) -> String {
    format!(
        r#"{{"timestamp":"{ts}","skill":"{skill}","result":"{result}","duration":{duration}{extra}}}"#
    )
}

/// The JSON Schema validators of the five streams, by file prefix.
pub fn validators() -> Vec<(&'static str, jsonschema::Validator)> {
    [
        ("logs/skill-invocations-", "skill-invocation"),
        ("analytics/cuj-metrics-", "journey-execution"),
        ("analytics/progress-", "progress-event"),
        ("analytics/provider-health-", "provider-call"),
        ("analytics/notifications-", "notification"),
    ]
    .into_iter()
    .map(|(prefix, name)| {
        let path = format!("{}/schemas/{name}.schema.json", env!("CARGO_MANIFEST_DIR"));
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let validator =
            jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}: {e}"));
        (prefix, validator)
    })
    .collect()
}

/// Validates every line of every stream file under `root` against its schema; returns
/// how many lines each stream had, in the order of [`validators`].
pub fn validate_root(root: &Path) -> Vec<usize> {
    let validators = validators();
    let mut counts = vec![0; validators.len()];
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let Some(i) = validators
                .iter()
                .position(|(p, _)| rel.starts_with(p) && rel.ends_with(".jsonl"))
            else {
                continue;
            };
            for (n, line) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let errors: Vec<String> = validators[i]
                    .1
                    .iter_errors(&v)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errors.is_empty(), "{rel}:{}: {errors:?}\n{line}", n + 1);
                counts[i] += 1;
            }
        }
    }
    counts
}

/// Every file below `dir` with its size and modification time, to show that a command
/// wrote nothing.
pub fn tree(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                files.push((e.path(), meta.len(), meta.modified().unwrap()));
            }
        }
    }
    files.sort();
    files
}
