//! `cc-log sanitize`: JSON lines from a reader, redacted, to a writer (SPEC §6). A filter
//! for data other tools wrote: lines that are not JSON are redacted as plain text.

use std::io::{BufRead, Write};

use serde_json::Value;

use super::par::par_map;
use crate::error::Result;
use crate::redact::Redactor;

/// Lines read before sharing them among the cores.
const CHUNK: usize = 4096;

/// What [`sanitize`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SanitizeReport {
    /// Lines read (and written).
    pub lines: u64,
    /// Lines that were not JSON, redacted as plain text.
    pub not_json: u64,
}

impl SanitizeReport {
    /// The warning for lines that were not JSON, if there were any.
    pub fn warning(&self) -> Option<String> {
        (self.not_json > 0).then(|| {
            format!(
                "warning: {} lines were not JSON; they were redacted as plain text",
                self.not_json
            )
        })
    }
}

/// Copies `input` to `out` line by line, each line redacted by `redactor`, in order,
/// every line ending in `\n` (a `\r\n` ending becomes `\n`). JSON lines that hold
/// nothing to redact are passed on byte for byte; JSON lines that do are written
/// compact; other lines are redacted as text. Blank lines are kept.
///
/// `input` and `out` are a filter's standard input and output: a failed read is
/// reported as [`crate::Error::Stdio`] on standard input, a failed write (a closed
/// pipe among them) on standard output.
pub fn sanitize(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    redactor: &Redactor,
) -> Result<SanitizeReport> {
    let mut report = SanitizeReport::default();
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(CHUNK);
    loop {
        lines.clear();
        let mut eof = false;
        while lines.len() < CHUNK {
            let mut line = Vec::new();
            if input
                .read_until(b'\n', &mut line)
                .map_err(crate::Error::stdin)?
                == 0
            {
                eof = true;
                break;
            }
            lines.push(line);
        }
        for (text, was_json) in par_map(&lines, |line| sanitize_line(redactor, line)) {
            out.write_all(&text).map_err(crate::Error::stdout)?;
            report.lines += 1;
            report.not_json += u64::from(!was_json);
        }
        if eof {
            break;
        }
    }
    out.flush().map_err(crate::Error::stdout)?;
    Ok(report)
}

/// One line, redacted, with its newline; and whether it was JSON (blank lines count as
/// JSON: they are kept as they are).
fn sanitize_line(redactor: &Redactor, line: &[u8]) -> (Vec<u8>, bool) {
    let body = line.strip_suffix(b"\n").unwrap_or(line);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let as_is = || {
        let mut text = body.to_vec();
        text.push(b'\n');
        text
    };
    if body.trim_ascii().is_empty() {
        return (b"\n".to_vec(), true);
    }
    // A line holding nothing the redactor could change is passed on as it is, once it
    // is known to be JSON or not: most lines, and the fast path.
    if let Ok(text) = std::str::from_utf8(body)
        && redactor.is_clean(text)
    {
        let json = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
        return (as_is(), json);
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            if redactor.redact_value(&mut v) {
                let mut text = v.to_string().into_bytes();
                text.push(b'\n');
                (text, true)
            } else {
                // Unchanged lines are passed on as they came.
                (as_is(), true)
            }
        }
        Err(_) => {
            let mut text = redactor
                .redact_str(&String::from_utf8_lossy(body))
                .into_owned()
                .into_bytes();
            text.push(b'\n');
            (text, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_json_and_text_lines_and_counts_the_text_ones() {
        let input = "{\"token\": \"abc\"}\r\n{\"n\": 1}\n\n  \nsee postgres://u:pw@h/db\nlast";
        let mut out = Vec::new();
        let report = sanitize(&mut input.as_bytes(), &mut out, &Redactor::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"token\":\"[REDACTED]\"}\n{\"n\": 1}\n\n\nsee postgres://u:[REDACTED]@h/db\nlast\n"
        );
        assert_eq!(
            report,
            SanitizeReport {
                lines: 6,
                not_json: 2
            }
        );
        assert_eq!(
            report.warning().as_deref(),
            Some("warning: 2 lines were not JSON; they were redacted as plain text")
        );
        let mut out = Vec::new();
        let report = sanitize(&mut &b""[..], &mut out, &Redactor::default()).unwrap();
        assert_eq!((report, out.len()), (SanitizeReport::default(), 0));
        assert_eq!(report.warning(), None);
    }
}
