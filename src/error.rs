//! The library's typed error, with the exit code each kind of failure maps to.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
///
/// Variants carry what a user needs to see to fix the problem: the flag or field,
/// the path, the expected form. [`Error::exit_code`] maps each one to the exit codes
/// of the specification (2 for bad usage or input, 1 for runtime failures).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag, argument or record field holds a value that is not allowed.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The flag or field, as the user wrote it (`--duration`, `result`).
        field: String,
        /// What was wrong and what was expected.
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
    /// Input/output on standard streams or pipes failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The process exit code this error stands for: 2 for bad usage or input,
    /// 1 for everything that went wrong at run time.
    pub fn exit_code(&self) -> u8 {
        // Exhaustive on purpose: a new variant must choose its code.
        match self {
            Error::Invalid { .. }
            | Error::BadLine { .. }
            | Error::Config { .. }
            | Error::NoRoot { .. } => 2,
            Error::Read { .. }
            | Error::Write { .. }
            | Error::Watch { .. }
            | Error::Internal { .. }
            | Error::Remote { .. }
            | Error::Io(_) => 1,
        }
    }

    /// True when the error is a closed pipe on output (`cc-log query | head`),
    /// which a command-line program treats as a quiet, successful end.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
