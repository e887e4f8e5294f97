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

/// What a [`Test`] expects on one output stream.
#[derive(Debug)]
enum Expect {
    /// Exactly these bytes (as text).
    Exact(String),
    /// Each of these pieces, somewhere.
    Contains(Vec<String>),
    /// One JSON document equal to this value.
    Json(serde_json::Value),
    /// Anything: the test inspects the returned [`Output`] itself.
    Any,
}

impl Expect {
    /// A description of the mismatch, or `None` when `have` meets the expectation.
    fn check(&self, name: &str, have: &str) -> Option<String> {
        match self {
            Expect::Exact(want) if have != want => {
                Some(format!("{name}:\n  want {want:?}\n  have {have:?}"))
            }
            Expect::Contains(pieces) => {
                let missing: Vec<&String> = pieces
                    .iter()
                    .filter(|p| !have.contains(p.as_str()))
                    .collect();
                (!missing.is_empty()).then(|| format!("{name} lacks {missing:?}\n  have {have:?}"))
            }
            Expect::Json(want) => match serde_json::from_str::<serde_json::Value>(have) {
                Ok(v) if v == *want => None,
                Ok(v) => Some(format!("{name} (JSON):\n  want {want}\n  have {v}")),
                Err(e) => Some(format!(
                    "{name} is not one JSON document ({e}):\n  have {have:?}"
                )),
            },
            _ => None,
        }
    }

    fn contain(&mut self, piece: &str) {
        match self {
            Expect::Contains(pieces) => pieces.push(piece.to_string()),
            other => *other = Expect::Contains(vec![piece.to_string()]),
        }
    }
}

/// One run of a program on an [`Env`]'s root, in the style of just's test builder: it
/// checks the exit code, standard output and standard error together, and by default
/// expects exit 0, an empty standard error and an empty standard output, so a test says
/// what it expects of each stream rather than forgetting one.
///
/// ```text
/// env.test("cc-health")
///     .args(["status", "--window", "soon"])
///     .exit(2)
///     .stderr_contains("--window")
///     .writes_nothing()
///     .run();
/// ```
#[must_use = "a Test does nothing until .run()"]
pub struct Test<'e> {
    root: &'e Env,
    bin: String,
    args: Vec<String>,
    vars: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    exit: i32,
    stdout: Expect,
    stderr: Expect,
    writes_nothing: bool,
}

/// What a program printed, once its [`Test`] expectations held.
#[derive(Debug)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Standard output parsed as one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }
}

impl Env {
    /// A [`Test`] of `bin` (`cc-log`, `cc-health`, ...) on this root.
    pub fn test(&self, bin: &str) -> Test<'_> {
        Test {
            root: self,
            bin: bin.to_string(),
            args: Vec::new(),
            vars: Vec::new(),
            stdin: None,
            exit: 0,
            stdout: Expect::Exact(String::new()),
            stderr: Expect::Exact(String::new()),
            writes_nothing: false,
        }
    }
}

impl Test<'_> {
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    /// Sets an environment variable for the program (on top of [`Env::cmd`]'s clean
    /// environment).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.vars.push((key.to_string(), value.to_string()));
        self
    }

    /// Bytes for standard input (otherwise the program gets assert_cmd's default, as with
    /// [`Env::cmd`]).
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(input.as_ref().to_vec());
        self
    }

    /// The expected exit code (default 0).
    pub fn exit(mut self, code: i32) -> Self {
        self.exit = code;
        self
    }

    /// Standard output must be exactly `text` (default: empty).
    pub fn stdout(mut self, text: impl Into<String>) -> Self {
        self.stdout = Expect::Exact(text.into());
        self
    }

    /// Standard output must contain `piece` (repeatable; replaces an exact expectation).
    pub fn stdout_contains(mut self, piece: &str) -> Self {
        self.stdout.contain(piece);
        self
    }

    /// Standard output must be one JSON document equal to `value`.
    pub fn stdout_json(mut self, value: serde_json::Value) -> Self {
        self.stdout = Expect::Json(value);
        self
    }

    /// Standard output is checked by the test itself, from the returned [`Output`].
    pub fn stdout_any(mut self) -> Self {
        self.stdout = Expect::Any;
        self
    }

    /// Standard error must be exactly `text` (default: empty).
    pub fn stderr(mut self, text: impl Into<String>) -> Self {
        self.stderr = Expect::Exact(text.into());
        self
    }

    /// Standard error must contain `piece` (repeatable; replaces an exact expectation).
    pub fn stderr_contains(mut self, piece: &str) -> Self {
        self.stderr.contain(piece);
        self
    }

    /// Standard error is checked by the test itself, from the returned [`Output`].
    pub fn stderr_any(mut self) -> Self {
        self.stderr = Expect::Any;
        self
    }

    /// No file under the root may be created, changed or removed by the run.
    pub fn writes_nothing(mut self) -> Self {
        self.writes_nothing = true;
        self
    }

    /// Runs the program and checks every expectation, reporting all mismatches at once.
    #[track_caller]
    pub fn run(self) -> Output {
        let before = self.writes_nothing.then(|| tree(self.root.root()));
        let mut cmd = self.root.cmd(&self.bin);
        cmd.args(&self.args);
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        if let Some(input) = &self.stdin {
            cmd.write_stdin(input.clone());
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("{} could not run: {e}", self.bin));
        let output = Output {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        let code = out.status.code();
        let mut problems = Vec::new();
        if code != Some(self.exit) {
            problems.push(format!("exit code: want {}, have {code:?}", self.exit));
        }
        problems.extend(self.stdout.check("stdout", &output.stdout));
        problems.extend(self.stderr.check("stderr", &output.stderr));
        if let Some(before) = before {
            let after = tree(self.root.root());
            if after != before {
                problems.push(format!(
                    "files changed:\n  before {before:?}\n  after  {after:?}"
                ));
            }
        }
        assert!(
            problems.is_empty(),
            "{} {:?}\n{}\n(stdout {:?}, stderr {:?})",
            self.bin,
            self.args,
            problems.join("\n"),
            output.stdout,
            output.stderr
        );
        output
    }
}

// The builder's own checks: each expectation must fail a run that breaks it.

#[test]
#[should_panic(expected = "exit code: want 0, have Some(2)")]
fn test_builder_checks_the_exit_code() {
    Env::new()
        .test("cc-health")
        .args(["status", "--window", "soon"])
        .stderr_any()
        .run();
}

#[test]
#[should_panic(expected = "stderr:\n  want \"\"\n  have \"cc-health: openai is down")]
fn test_builder_expects_an_empty_stderr_by_default() {
    Env::new()
        .test("cc-health")
        .args(["record", "openai", "false", "5"])
        .run();
}

#[test]
#[should_panic(expected = "stdout (JSON):\n  want [1]\n  have []")]
fn test_builder_compares_json_documents() {
    Env::new()
        .test("cc-health")
        .args(["status", "--json"])
        .stdout_json(serde_json::json!([1]))
        .run();
}

#[test]
#[should_panic(expected = "stdout lacks [\"PROVIDER\"]")]
fn test_builder_looks_for_each_piece() {
    Env::new()
        .test("cc-health")
        .arg("status")
        .stdout_contains("no provider calls")
        .stdout_contains("PROVIDER")
        .run();
}

#[test]
#[should_panic(expected = "files changed")]
fn test_builder_sees_a_file_written() {
    Env::new()
        .test("cc-health")
        .args(["record", "anthropic", "true", "5"])
        .writes_nothing()
        .run();
}

#[test]
fn test_builder_passes_stdin_and_variables() {
    let env = Env::new();
    let input = crate::common::line("2026-11-20T10:00:00.000Z", "lint", "success", 5.0, "");
    env.test("cc-log")
        .args(["log", "-"])
        .stdin(input + "\n")
        .run();
    env.test("cc-log")
        .args(["query", "--count"])
        .stdout("1\n")
        .run();
    // The call is in the last hour only when "now" is the one given.
    env.test("cc-health")
        .args(["record", "anthropic", "true", "5"])
        .args(["--timestamp", "2026-11-20T10:00:00Z"])
        .run();
    env.test("cc-health")
        .arg("overall")
        .env("CC_NOW", "2026-11-20T10:30:00Z")
        .stdout_contains("healthy")
        .run();
    env.test("cc-health")
        .arg("overall")
        .env("CC_NOW", "2026-11-20T12:30:00Z")
        .stdout_contains("unknown")
        .run();
}
