//! The library's typed error, with the exit code each kind of failure maps to.

use std::path::PathBuf;

/// The name standard output goes by in messages.
const STDOUT: &str = "standard output";

/// Everything that can go wrong in the library.
///
/// Variants carry what a user needs to see to fix the problem: the flag or field,
/// the path, the expected form. [`Error::exit_code`] maps each one to the exit codes
/// of the specification (2 for bad usage or input, 1 for runtime failures).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field of a record (or of other structured input: a bulk line, a rules file)
    /// holds a value that is not allowed.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The field, as it is named in the record (`duration`, `result`), or where
        /// the record came from (`--record`, `line 12`).
        field: String,
        /// The value's kind and what was expected; never the value itself.
        message: String,
    },
    /// A command-line flag or argument holds a value that is not allowed.
    #[error("invalid {flag}: {message}")]
    InvalidFlag {
        /// The flag or argument, as the user wrote it (`--duration`, `WINDOW`).
        flag: String,
        /// The value's kind and what was expected; never the value itself.
        message: String,
    },
    /// A line of bulk input could not be accepted.
    #[error("line {line}: {message}")]
    BadLine {
        /// 1-based line number in the input.
        line: usize,
        /// Why it was refused.
        message: String,
    },
    /// The configuration file is malformed.
    #[error("{path}: {field}: {message}")]
    Config {
        /// The configuration file.
        path: PathBuf,
        /// The field path inside it (`health.window`).
        field: String,
        /// What was wrong.
        message: String,
    },
    /// A file or folder could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// Watching files for changes failed.
    #[error("cannot watch {path}: {message}")]
    Watch {
        /// The folder being watched.
        path: PathBuf,
        /// The notifier's reason.
        message: String,
    },
    /// A data root named by `--root` or `CC_ROOT` does not exist (reads never create one).
    #[error("data root {path} does not exist (check --root or CC_ROOT; reads never create one)")]
    NoRoot {
        /// The root as given.
        path: PathBuf,
    },
    /// Something that cannot fail with valid input did (e.g. serializing a report).
    #[error("internal error while {what}: {message}")]
    Internal {
        /// What was being done.
        what: &'static str,
        /// The underlying reason.
        message: String,
    },
    /// An engine (OTLP receiver, ClickHouse) could not be reached or refused the data.
    #[error("{to}: {message}")]
    Remote {
        /// What was being sent where (the URL without credentials).
        to: String,
        /// What failed: the server's own text for a refusal.
        message: String,
    },
    /// Reading or writing a standard stream failed (`cannot write standard output`).
    #[error("cannot {verb} {stream}: {source}")]
    Stdio {
        /// What was being done: `read` or `write`.
        verb: &'static str,
        /// Which stream: `standard input` or `standard output`.
        stream: &'static str,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A network socket could not be opened, configured or used.
    #[error("cannot {verb} {addr}: {source}")]
    Socket {
        /// What was being done: `read the address of`, `serve on`.
        verb: &'static str,
        /// The address, as `host:port`.
        addr: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A signal handler could not be installed.
    #[error("cannot handle {signal}: {source}")]
    Signal {
        /// The signal's name (`SIGTERM`).
        signal: &'static str,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A program, thread or runtime could not be started.
    #[error("cannot start {what}: {source}")]
    Start {
        /// What was being started (`the server's worker threads`, `the dashboard thread`).
        what: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A temporary folder could not be created.
    #[error("cannot create a temporary folder in {parent}: {source}")]
    TempDir {
        /// The folder it was to be created in.
        parent: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
}

impl Error {
    /// A value that is not allowed: an [`Error::InvalidFlag`] when `name` is spelled as
    /// the command line spells its flags and arguments (`--window`, `-n`, `WINDOW`,
    /// `CC_NOW`), else an [`Error::Invalid`] record field (`duration`, `health.window`).
    pub fn invalid(name: impl Into<String>, message: impl Into<String>) -> Self {
        let name = name.into();
        let message = message.into();
        if is_flag_name(&name) {
            Error::InvalidFlag {
                flag: name,
                message,
            }
        } else {
            Error::Invalid {
                field: name,
                message,
            }
        }
    }

    /// An invalid command-line flag or argument.
    pub fn flag(flag: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidFlag {
            flag: flag.into(),
            message: message.into(),
        }
    }

    /// The exit this error stands for: [`Exit::Usage`] for bad usage or input,
    /// [`Exit::Failure`] for everything that went wrong at run time (an internal
    /// failure too: it is never the user's input).
    pub fn exit(&self) -> Exit {
        // Exhaustive on purpose: a new variant must choose its exit.
        match self {
            Error::Invalid { .. }
            | Error::InvalidFlag { .. }
            | Error::BadLine { .. }
            | Error::Config { .. }
            | Error::NoRoot { .. } => Exit::Usage,
            Error::Read { .. }
            | Error::Write { .. }
            | Error::Watch { .. }
            | Error::Internal { .. }
            | Error::Remote { .. }
            | Error::Stdio { .. }
            | Error::Socket { .. }
            | Error::Signal { .. }
            | Error::Start { .. }
            | Error::TempDir { .. } => Exit::Failure,
        }
    }

    /// The process exit code this error stands for (see [`Error::exit`]).
    pub fn exit_code(&self) -> u8 {
        self.exit().code()
    }

    /// True when the error is a closed pipe on output (`cc-log query | head`),
    /// which a command-line program treats as a quiet, successful end.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(
            self,
            Error::Stdio { verb: "write", stream: STDOUT, source }
                if source.kind() == std::io::ErrorKind::BrokenPipe
        )
    }

    /// A failed write on standard output (a closed pipe among them: see
    /// [`Error::is_broken_pipe`]).
    pub fn stdout(source: std::io::Error) -> Self {
        Error::Stdio {
            verb: "write",
            stream: STDOUT,
            source,
        }
    }

    /// A failed read of standard input.
    pub fn stdin(source: std::io::Error) -> Self {
        Error::Stdio {
            verb: "read",
            stream: "standard input",
            source,
        }
    }
}

/// True for the names the command line gives its flags and arguments: `--flag`, `-n`,
/// or upper case (`WINDOW`, `CC_NOW`); record fields are camelCase or dotted.
fn is_flag_name(name: &str) -> bool {
    name.starts_with('-')
        || (name.chars().any(|c| c.is_ascii_uppercase())
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
}

/// Writes one line to standard error, as `eprintln!` does, but never panics: a warning
/// that cannot be written (standard error closed or full) is dropped, and the exit code
/// still tells what happened. Every warning goes through here.
pub fn warn(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A serde message without the value it quotes (SPEC §15: an error names the field,
/// what was expected and the kind of value found, never the value, which may be a
/// secret typed in the wrong place): `invalid type: string "hunter2", expected a
/// boolean` becomes `expected a boolean, found string`, and `unknown variant
/// `hunter2`, expected one of ...` becomes `unknown variant, expected one of ...`.
/// The position (` at line 1 column 9`) is kept.
pub fn without_value(message: &str) -> String {
    let (body, position) = match message.rfind(" at line ") {
        Some(i) => message.split_at(i),
        None => (message, ""),
    };
    let body = match body
        .strip_prefix("invalid type: ")
        .or_else(|| body.strip_prefix("invalid value: "))
        .and_then(|rest| rest.split_once(", expected "))
    {
        Some((found, expected)) => {
            // `string "..."`, `integer `5``, `map`: the kind is what precedes the value.
            let kind = found.split(['"', '`']).next().unwrap_or(found).trim();
            format!("expected {expected}, found {kind}")
        }
        None => match body.split_once('`') {
            Some((head, rest)) if head.starts_with("unknown variant") => {
                let tail = rest.split_once('`').map_or("", |(_, tail)| tail);
                format!("{}{tail}", head.trim_end())
            }
            _ => body.to_string(),
        },
    };
    format!("{body}{position}")
}

/// What kind of value `input` is, for an error message that must not echo it (SPEC
/// §15): `an empty value`, `a negative number`, `a number` or `text`.
///
/// ```
/// assert_eq!(ccmon::error::value_kind(" "), "an empty value");
/// assert_eq!(ccmon::error::value_kind("-3"), "a negative number");
/// assert_eq!(ccmon::error::value_kind("1.5"), "a number");
/// assert_eq!(ccmon::error::value_kind("3 days"), "text");
/// ```
pub fn value_kind(input: &str) -> &'static str {
    let t = input.trim();
    match t.parse::<f64>() {
        _ if t.is_empty() => "an empty value",
        Ok(n) if n < 0.0 => "a negative number",
        Ok(_) => "a number",
        Err(_) => "text",
    }
}

/// Result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A monitoring plugin's verdict (`cc-health check`), each with its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginStatus {
    /// 0: healthy.
    Ok,
    /// 1: degraded.
    Warning,
    /// 2: down.
    Critical,
    /// 3: no data, or the check itself failed.
    Unknown,
}

/// How a program ends, by name (SPEC §4): every exit code comes from [`Exit::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: it did what was asked.
    Success,
    /// 1: a runtime failure, `--strict` finding bad lines, a run that failed or was
    /// cancelled (`watch --until-done`), alerts firing, invalid lines in bulk input.
    Failure,
    /// 2: bad usage or bad input; nothing was written.
    Usage,
    /// 124: `wait --timeout` ran out, as timeout(1) exits.
    Timeout,
    /// `cc-health check`: the plugin codes 0–3.
    Plugin(PluginStatus),
    /// A wrapped command's own exit code (`run`): passed on as it is (0–255; the
    /// runner gives 128 + the signal for a killed command and 127 for one that did not
    /// start). A code outside 0–255 cannot be passed on and is 1.
    Child(i32),
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Timeout => 124,
            Exit::Plugin(PluginStatus::Ok) => 0,
            Exit::Plugin(PluginStatus::Warning) => 1,
            Exit::Plugin(PluginStatus::Critical) => 2,
            Exit::Plugin(PluginStatus::Unknown) => 3,
            Exit::Child(code) => u8::try_from(code).unwrap_or(1),
        }
    }

    /// Of two ways to end, the one with the higher code: a watched run's end and the
    /// skipped-lines verdict of `--strict`.
    pub fn or_worse(self, other: Exit) -> Exit {
        if other.code() > self.code() {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> std::process::ExitCode {
        std::process::ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_exit_has_its_documented_code() {
        let cases = [
            (Exit::Success, 0),
            (Exit::Failure, 1),
            (Exit::Usage, 2),
            (Exit::Timeout, 124),
            (Exit::Plugin(PluginStatus::Ok), 0),
            (Exit::Plugin(PluginStatus::Warning), 1),
            (Exit::Plugin(PluginStatus::Critical), 2),
            (Exit::Plugin(PluginStatus::Unknown), 3),
            (Exit::Child(0), 0),
            (Exit::Child(3), 3),
            (Exit::Child(137), 137),
            (Exit::Child(255), 255),
            (Exit::Child(256), 1),
            (Exit::Child(-1), 1),
        ];
        for (exit, code) in cases {
            assert_eq!(exit.code(), code, "{exit:?}");
        }
        assert_eq!(Exit::Timeout.or_worse(Exit::Failure), Exit::Timeout);
        assert_eq!(Exit::Success.or_worse(Exit::Failure), Exit::Failure);
    }

    #[test]
    fn flags_and_record_fields_are_told_apart_by_their_names() {
        for flag in ["--window", "-n", "WINDOW", "CC_NOW", "BUCKETS"] {
            assert!(
                matches!(Error::invalid(flag, "x"), Error::InvalidFlag { .. }),
                "{flag}"
            );
        }
        for field in ["duration", "costUsd", "health.window", "line 12", "since"] {
            assert!(
                matches!(Error::invalid(field, "x"), Error::Invalid { .. }),
                "{field}"
            );
        }
        assert_eq!(
            Error::invalid("--window", "got text").to_string(),
            "invalid --window: got text"
        );
        assert_eq!(Error::flag("--window", "x").exit(), Exit::Usage);
    }

    #[test]
    fn io_failures_name_what_they_were_doing_and_only_a_closed_stdout_is_quiet() {
        use std::io::{Error as IoError, ErrorKind};
        let pipe = || IoError::from(ErrorKind::BrokenPipe);
        let cases = [
            (
                Error::stdout(pipe()),
                "cannot write standard output: broken pipe",
            ),
            (
                Error::stdin(pipe()),
                "cannot read standard input: broken pipe",
            ),
            (
                Error::Write {
                    path: PathBuf::from("out/m.prom"),
                    source: pipe(),
                },
                "cannot write out/m.prom: broken pipe",
            ),
            (
                Error::Socket {
                    verb: "serve on",
                    addr: "127.0.0.1:7878".into(),
                    source: pipe(),
                },
                "cannot serve on 127.0.0.1:7878: broken pipe",
            ),
            (
                Error::Signal {
                    signal: "SIGTERM",
                    source: pipe(),
                },
                "cannot handle SIGTERM: broken pipe",
            ),
            (
                Error::Start {
                    what: "the dashboard thread".into(),
                    source: pipe(),
                },
                "cannot start the dashboard thread: broken pipe",
            ),
            (
                Error::TempDir {
                    parent: PathBuf::from("/tmp"),
                    source: pipe(),
                },
                "cannot create a temporary folder in /tmp: broken pipe",
            ),
        ];
        for (i, (err, message)) in cases.iter().enumerate() {
            assert_eq!(err.to_string(), *message);
            assert_eq!(err.exit(), Exit::Failure, "{message}");
            // Only a closed standard output ends a program quietly.
            assert_eq!(err.is_broken_pipe(), i == 0, "{message}");
        }
        assert!(!Error::stdout(IoError::from(ErrorKind::StorageFull)).is_broken_pipe());
    }

    #[test]
    fn an_internal_failure_is_a_runtime_exit_not_a_usage_one() {
        let internal = Error::Internal {
            what: "serializing a report",
            message: "key must be a string".into(),
        };
        assert_eq!(internal.exit(), Exit::Failure);
        assert_eq!(
            Error::invalid("--limit", "must be a number").exit(),
            Exit::Usage
        );
    }
}
