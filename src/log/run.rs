//! Running a command while measuring it: `cc-log run -- CMD`.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Instant;

/// How much of the child's standard error is kept for the record's `error`.
const STDERR_TAIL_BYTES: usize = 2048;

/// What happened to a wrapped command.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The exit code to pass on: the child's, 128 + signal when it was killed, 127
    /// when it could not be found, 126 when it could not be run.
    pub code: i32,
    /// Wall time in milliseconds.
    pub duration_ms: f64,
    /// The end of its standard error (at most 2 KiB, whole lines when possible).
    pub stderr_tail: String,
    /// Why it could not be started, if it could not.
    pub spawn_error: Option<String>,
}

impl RunOutcome {
    /// Whether the command succeeded.
    pub fn success(&self) -> bool {
        self.code == 0 && self.spawn_error.is_none()
    }

    /// A message describing the failure, or `None` on success.
    pub fn error_message(&self) -> Option<String> {
        if let Some(e) = &self.spawn_error {
            return Some(e.clone());
        }
        if self.code == 0 {
            return None;
        }
        let tail = self.stderr_tail.trim();
        Some(if tail.is_empty() {
            format!("exited with code {}", self.code)
        } else {
            tail.to_string()
        })
    }
}

/// Runs `program` with `args`: standard input and output pass through, standard error
/// passes through too while its tail is kept. Returns once the child has exited.
pub fn run_logged(program: &str, args: &[String]) -> RunOutcome {
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            return RunOutcome {
                code,
                duration_ms: elapsed_ms(started),
                stderr_tail: String::new(),
                spawn_error: Some(format!("cannot run {program}: {e}")),
            };
        }
    };
    let mut tail = VecDeque::with_capacity(STDERR_TAIL_BYTES);
    if let Some(mut err) = child.stderr.take() {
        let mut buf = [0u8; 8192];
        let mut ours = std::io::stderr();
        loop {
            match err.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let _ = ours.write_all(&buf[..n]);
                    for &b in &buf[..n] {
                        if tail.len() == STDERR_TAIL_BYTES {
                            tail.pop_front();
                        }
                        tail.push_back(b);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
    }
    let status = child.wait();
    let duration_ms = elapsed_ms(started);
    let code = match status {
        Ok(s) => s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)),
        Err(_) => 1,
    };
    let bytes: Vec<u8> = tail.into_iter().collect();
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if bytes.len() == STDERR_TAIL_BYTES
        && let Some(nl) = text.find('\n')
        && nl + 1 < text.len()
    {
        // Cut at a line start rather than mid-line.
        text = text[nl + 1..].to_string();
    }
    RunOutcome {
        code,
        duration_ms,
        stderr_tail: text,
        spawn_error: None,
    }
}

fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e6).round() / 1e3
}
