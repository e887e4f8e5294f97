//! Running a command while measuring it (`cc-log run`, `cc-metrics run`): standard
//! input and output pass through, standard error passes through while its tail is kept,
//! and wall time, peak memory and CPU time come from the operating system's accounting
//! of the child and every descendant it waited for (`wait4`).
//!
//! Signals meant for the command reach it: Ctrl-C at a terminal goes to the whole
//! foreground process group (the child gets it directly), and a signal sent to this
//! process alone (`kill -INT`) is forwarded. Either way this process stays alive to
//! record the run, which counts as interrupted.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::Cause;

/// How much of the child's standard error is kept for the record's `error`.
const STDERR_TAIL_BYTES: usize = 2048;

/// How much of the child's standard error is read before that tail is cut: the
/// redactor sees this much, so a secret that began before the tail (a private key's
/// header) is still recognised, and the tail is cut from the redacted text.
const STDERR_KEPT_BYTES: usize = 64 * 1024;

/// How long to wait for standard error to close once the child has exited (a daemon
/// it started may hold the pipe open).
const STDERR_GRACE: Duration = Duration::from_millis(200);

/// What the operating system accounted to a finished command and its descendants.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// Largest resident set size of the child or any descendant, MiB.
    pub peak_rss_mb: f64,
    /// User CPU time, milliseconds.
    pub cpu_user_ms: f64,
    /// System CPU time, milliseconds.
    pub cpu_system_ms: f64,
}

/// What happened to a wrapped command.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The exit code to pass on: the child's, 128 + signal when it was killed, 127
    /// when it could not be found, 126 when it could not be run.
    pub code: i32,
    /// Wall time in milliseconds.
    pub duration_ms: f64,
    /// Resource usage (`None` when the command never ran).
    pub usage: Option<Usage>,
    /// The end of its standard error (at most 2 KiB, whole lines when possible),
    /// redacted.
    pub stderr_tail: String,
    /// Why it could not be started, if it could not.
    pub spawn_error: Option<String>,
    /// The signal that killed the child, if one did.
    pub killed_by: Option<i32>,
    /// The first interrupting signal (INT, TERM, HUP, QUIT) received while it ran.
    pub interrupted_by: Option<i32>,
}

impl RunOutcome {
    /// Whether the command succeeded: it ran, exited 0, and was not interrupted.
    pub fn success(&self) -> bool {
        self.code == 0 && self.spawn_error.is_none() && self.interrupted_by.is_none()
    }

    /// A message describing the failure, or `None` on success.
    pub fn error_message(&self) -> Option<String> {
        if let Some(e) = &self.spawn_error {
            return Some(e.clone());
        }
        if let Some(sig) = self.interrupted_by {
            return Some(format!(
                "interrupted by {} (exit code {})",
                signal_name(sig),
                self.code
            ));
        }
        if self.code == 0 {
            return None;
        }
        let tail = self.stderr_tail.trim();
        Some(if !tail.is_empty() {
            tail.to_string()
        } else if let Some(sig) = self.killed_by {
            format!("killed by {}", signal_name(sig))
        } else {
            format!("exited with code {}", self.code)
        })
    }
}

/// The conventional name of a signal number (`SIGINT`), or `signal N`.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// A command about to be run. Creating it takes over the interrupting signals, so
/// that from then on a Ctrl-C leaves this process alive to record the run: create it
/// before announcing the run, then [`Runner::run`].
pub struct Runner {
    signals: Option<SignalsInfo<WithOrigin>>,
    echo_stderr: bool,
}

impl Default for Runner {
    fn default() -> Self {
        Runner::new()
    }
}

impl Runner {
    /// Takes over SIGINT, SIGTERM, SIGHUP and SIGQUIT. A signal that arrives before
    /// the command starts is passed to it as soon as it does.
    pub fn new() -> Runner {
        Runner {
            signals: SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT]).ok(),
            echo_stderr: true,
        }
    }

    /// Keeps the command's standard error to the outcome's tail instead of also
    /// passing it through (for callers that show it their own way, and for tests).
    pub fn without_stderr_echo(mut self) -> Runner {
        self.echo_stderr = false;
        self
    }

    /// Runs `program` with `args` and returns once it has exited.
    pub fn run(self, program: &str, args: &[String]) -> RunOutcome {
        run_with(self.signals, program, args, self.echo_stderr, None)
    }

    /// Runs `program` with `args` with its standard output handed to `on_stdout`, in
    /// the pieces it is read in, instead of passing through: the caller passes it on
    /// (unchanged or not) and looks at it. Returns once it has exited and its standard
    /// output has closed.
    pub fn run_piped(
        self,
        program: &str,
        args: &[String],
        on_stdout: &mut (dyn FnMut(&[u8]) + Send),
    ) -> RunOutcome {
        run_with(
            self.signals,
            program,
            args,
            self.echo_stderr,
            Some(on_stdout),
        )
    }
}

/// Where a piped child's standard output goes, piece by piece.
pub type StdoutSink<'a> = &'a mut (dyn FnMut(&[u8]) + Send);

/// Runs `program` with `args` and returns once it has exited.
pub fn run_measured(program: &str, args: &[String]) -> RunOutcome {
    Runner::new().run(program, args)
}

fn run_with(
    signals: Option<SignalsInfo<WithOrigin>>,
    program: &str,
    args: &[String],
    echo_stderr: bool,
    on_stdout: Option<StdoutSink<'_>>,
) -> RunOutcome {
    let started = Instant::now();
    let stdout = if on_stdout.is_some() {
        Stdio::piped()
    } else {
        Stdio::inherit()
    };
    let spawned = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            if let Some(s) = signals {
                s.handle().close();
            }
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            let why = format!("cannot run {program}: {e}");
            // Said here, as a shell says `command not found`: the record keeps it too,
            // but a person at the terminal would otherwise see only the exit code.
            crate::error::warn(format_args!(
                "error: {}",
                crate::output::clean(&crate::redact::shared().redact_str(&why))
            ));
            return RunOutcome {
                code,
                duration_ms: elapsed_ms(started),
                usage: None,
                stderr_tail: String::new(),
                spawn_error: Some(why),
                killed_by: None,
                interrupted_by: None,
            };
        }
    };
    let pid = child.id() as libc::pid_t;

    let interrupted = Arc::new(Mutex::new(None::<i32>));
    let forwarder = signals.map(|mut signals| {
        let handle = signals.handle();
        let interrupted = Arc::clone(&interrupted);
        let thread = std::thread::spawn(move || {
            for origin in signals.forever() {
                let mut first = interrupted.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert(origin.signal);
                drop(first);
                // A terminal's Ctrl-C comes from the kernel to the whole foreground
                // group, the child included; only a signal sent to us alone is passed on.
                if !matches!(origin.cause, Cause::Kernel) {
                    // SAFETY: kill has no memory-safety preconditions; the child is not
                    // reaped until wait4 below, so its pid cannot have been reused.
                    unsafe { libc::kill(pid, origin.signal) };
                }
            }
        });
        (handle, thread)
    });

    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_KEPT_BYTES)));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    if let Some(err) = child.stderr.take() {
        let tail = Arc::clone(&tail);
        std::thread::spawn(move || {
            tee_stderr(err, &tail, echo_stderr);
            let _ = done_tx.send(());
        });
    } else {
        drop(done_tx);
    }

    let child_stdout = child.stdout.take();
    let (status, usage) = std::thread::scope(|scope| {
        if let (Some(out), Some(f)) = (child_stdout, on_stdout) {
            scope.spawn(move || read_stdout(out, f));
        }
        wait_child(pid)
    });
    let duration_ms = elapsed_ms(started);
    let _ = done_rx.recv_timeout(STDERR_GRACE);
    if let Some((handle, thread)) = forwarder {
        handle.close();
        let _ = thread.join();
    }

    let (code, killed_by) = match status {
        Some(s) if libc::WIFEXITED(s) => (libc::WEXITSTATUS(s), None),
        Some(s) if libc::WIFSIGNALED(s) => (128 + libc::WTERMSIG(s), Some(libc::WTERMSIG(s))),
        _ => (1, None),
    };
    let bytes: Vec<u8> = tail
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .copied()
        .collect();
    let interrupted_by = *interrupted.lock().unwrap_or_else(|p| p.into_inner());
    RunOutcome {
        code,
        duration_ms,
        usage,
        stderr_tail: tail_text(&bytes),
        spawn_error: None,
        killed_by,
        interrupted_by,
    }
}

/// Copies the child's standard error to ours, keeping the last bytes.
fn tee_stderr(mut err: impl Read, tail: &Mutex<VecDeque<u8>>, echo: bool) {
    let mut buf = [0u8; 8192];
    let mut ours = std::io::stderr();
    loop {
        match err.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if echo {
                    let _ = ours.write_all(&buf[..n]);
                }
                let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
                let keep = &buf[n.saturating_sub(STDERR_KEPT_BYTES)..n];
                let overflow = (tail.len() + keep.len()).saturating_sub(STDERR_KEPT_BYTES);
                tail.drain(..overflow);
                tail.extend(keep);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
}

/// Hands the child's standard output to `f` as it is read, until it closes.
fn read_stdout(mut out: impl Read, f: &mut (dyn FnMut(&[u8]) + Send)) {
    let mut buf = [0u8; 8192];
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => f(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
}

/// The kept bytes as text, redacted, then cut to the last [`STDERR_TAIL_BYTES`] at a
/// line start when longer. Redacting before cutting matters: a cut through a private
/// key drops its header, and the body alone is not recognisable.
fn tail_text(bytes: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(bytes);
    if bytes.len() == STDERR_KEPT_BYTES
        && let Some(nl) = text.find('\n')
    {
        // The first line was cut by the window: drop it.
        text = std::borrow::Cow::Owned(text[nl + 1..].to_string());
    }
    let redacted = crate::redact::shared().redact_str(&text).into_owned();
    if redacted.len() <= STDERR_TAIL_BYTES {
        return redacted;
    }
    let mut start = redacted.len() - STDERR_TAIL_BYTES;
    while !redacted.is_char_boundary(start) {
        start += 1;
    }
    let tail = &redacted[start..];
    match tail.find('\n') {
        Some(nl) if nl + 1 < tail.len() => tail[nl + 1..].to_string(),
        _ => tail.to_string(),
    }
}

/// Waits for the child with `wait4`, which also reports the resources used by it and
/// by every descendant it waited for.
fn wait_child(pid: libc::pid_t) -> (Option<i32>, Option<Usage>) {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live, writable locals of the right types.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return (None, None);
    }
    (Some(status), Some(usage_of(&ru)))
}

/// What this process has used so far (peak RSS, user and system CPU).
pub fn own_usage() -> Usage {
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the pointer is to a live, writable local of the right type.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return Usage::default();
    }
    usage_of(&ru)
}

fn usage_of(ru: &libc::rusage) -> Usage {
    let ms = |tv: libc::timeval| tv.tv_sec as f64 * 1e3 + tv.tv_usec as f64 / 1e3;
    Usage {
        // Linux reports ru_maxrss in KiB.
        peak_rss_mb: (ru.ru_maxrss as f64 / 1024.0 * 10.0).round() / 10.0,
        cpu_user_ms: ms(ru.ru_utime).round(),
        cpu_system_ms: ms(ru.ru_stime).round(),
    }
}

fn elapsed_ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> RunOutcome {
        Runner::new()
            .without_stderr_echo()
            .run("sh", &["-c".into(), script.into()])
    }

    #[test]
    fn exit_codes_and_signals() {
        assert_eq!(sh("exit 0").code, 0);
        assert!(sh("exit 0").success());
        let failed = sh("echo boom >&2; exit 3");
        assert_eq!((failed.code, failed.killed_by), (3, None));
        assert_eq!(failed.error_message().as_deref(), Some("boom"));
        let killed = sh("kill -KILL $$");
        assert_eq!((killed.code, killed.killed_by), (137, Some(libc::SIGKILL)));
        assert_eq!(killed.error_message().as_deref(), Some("killed by SIGKILL"));
        let missing = run_measured("/nonexistent/ccmon-test", &[]);
        assert_eq!((missing.code, missing.usage), (127, None));
    }

    #[test]
    fn usage_counts_descendants() {
        // A grandchild that burns CPU and memory: its usage reaches the record
        // because the shell waits for it.
        let out = sh("sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'");
        let usage = out.usage.expect("usage");
        assert!(usage.cpu_user_ms + usage.cpu_system_ms > 0.0, "{usage:?}");
        assert!(usage.peak_rss_mb > 0.0, "{usage:?}");
    }

    #[test]
    fn stderr_tail_keeps_the_last_lines() {
        // 60 lines of 50 bytes: more than the 2 KiB kept.
        let pad = "x".repeat(40);
        let out = sh(&format!(
            "i=10; while [ $i -lt 70 ]; do echo line-$i-{pad} >&2; i=$((i+1)); done; exit 1"
        ));
        assert!(
            out.stderr_tail.ends_with(&format!("line-69-{pad}\n")),
            "{:?}",
            out.stderr_tail
        );
        assert!(out.stderr_tail.starts_with("line-"));
        assert!(out.stderr_tail.len() <= STDERR_TAIL_BYTES);
    }

    /// A private key longer than the tail: redacted whole before the tail is cut, so its
    /// body (without the header the cut would drop) is not kept.
    #[test]
    fn stderr_tail_is_cut_after_redaction() {
        let body = "MIIJKAIBAAKCAgEAu7Qx9Lk2PpZ0aW3nT5vR8sY1cE4fH6jD2gK0mN9bV3xC7zQ1wE5";
        let out = sh(&format!(
            "{{ echo starting; echo '-----BEGIN RSA PRIVATE KEY-----'; i=0; \
             while [ $i -lt 60 ]; do echo {body}; i=$((i+1)); done; \
             echo '-----END RSA PRIVATE KEY-----'; echo 'fatal: bad key'; }} >&2; exit 1"
        ));
        assert_eq!(out.stderr_tail, "starting\n[REDACTED]\nfatal: bad key\n");
        // Cut in the middle of a key that never ends: nothing of it is kept either.
        let out = sh(&format!(
            "{{ echo '-----BEGIN PRIVATE KEY-----'; i=0; \
             while [ $i -lt 60 ]; do echo {body}; i=$((i+1)); done; }} >&2; exit 1"
        ));
        assert_eq!(out.stderr_tail, "[REDACTED]");
    }
}
