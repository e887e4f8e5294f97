//! What the two transcript readers share: complete lines from an offset, timestamps,
//! texts of results and errors, truncated parameters, and what a read found.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use crate::record::{ProviderCall, SkillInvocation, Timestamp};

/// How much of an error result is kept.
pub const ERROR_CHARS: usize = 500;
/// Strings in tool parameters longer than this are cut.
pub const PARAM_BYTES: usize = 4096;
/// A tool call whose result has not come this long after the file's last line is
/// given up on (an interrupted session), rather than holding the read offset forever.
pub const ABANDON_MS: i64 = 60 * 60 * 1000;

/// What reading a file found, counted for the summary.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Complete lines read.
    pub lines: u64,
    /// Lines that are not JSON objects (or not UTF-8), or whose known fields have the
    /// wrong types: skipped.
    pub bad_lines: u64,
    /// Lines of an unknown type, or without what makes them a call or a tool call.
    pub other_lines: u64,
    /// Responses without token usage.
    pub no_usage: u64,
    /// Responses of the `<synthetic>` model (written by the agent itself): skipped.
    pub synthetic: u64,
    /// Tool results whose call is not in the file.
    pub orphan_results: u64,
    /// Tool calls given up on: no result an hour after the call.
    pub abandoned: u64,
    /// Items left waiting for a later import (a response at the end of the file, a
    /// tool call without its result yet).
    pub waiting: u64,
    /// Bytes of an unfinished last line (a session still being written), left for a
    /// later import.
    pub unfinished_bytes: u64,
}

impl Counts {
    /// Adds `o`.
    pub fn add(&mut self, o: &Counts) {
        self.lines += o.lines;
        self.bad_lines += o.bad_lines;
        self.other_lines += o.other_lines;
        self.no_usage += o.no_usage;
        self.synthetic += o.synthetic;
        self.orphan_results += o.orphan_results;
        self.abandoned += o.abandoned;
        self.waiting += o.waiting;
        self.unfinished_bytes += o.unfinished_bytes;
    }
}

/// What one read of one transcript produced.
#[derive(Debug, Default)]
pub struct FileRead {
    /// Provider calls (responses and API errors), complete.
    pub calls: Vec<ProviderCall>,
    /// Tool calls with their results.
    pub tools: Vec<SkillInvocation>,
    /// Where the next read starts.
    pub offset: u64,
    /// Whether a response at the end was left waiting.
    pub waiting_at_end: bool,
    /// The context a read from `offset` needs.
    pub context: Value,
    /// What was found.
    pub counts: Counts,
    /// Subagents started from this session: agent id and type.
    pub agent_types: Vec<(String, String)>,
    /// The first few bad lines' byte offsets, for the warning.
    pub bad_at: Vec<u64>,
}

impl FileRead {
    /// One transcript line as a `T` (a JSON object), or `None`: then it is counted as a
    /// bad line and its offset kept (the first few) for the warning.
    pub fn entry<'a, T: serde::Deserialize<'a>>(
        &mut self,
        line: &'a [u8],
        offset: u64,
    ) -> Option<T> {
        let entry = std::str::from_utf8(line)
            .ok()
            .filter(|t| t.trim_start().starts_with('{'))
            .and_then(|t| serde_json::from_str(t).ok());
        if entry.is_none() {
            self.counts.bad_lines += 1;
            if self.bad_at.len() < 3 {
                self.bad_at.push(offset);
            }
        }
        entry
    }
}

/// Calls `f(offset, line)` for every complete (`\n`-terminated) line of `bytes`,
/// which starts at file offset `base`; returns the offset after the last complete line
/// and the length of the unfinished rest.
pub fn complete_lines(bytes: &[u8], base: u64, mut f: impl FnMut(u64, &[u8])) -> (u64, u64) {
    let mut start = 0usize;
    for nl in memchr::memchr_iter(b'\n', bytes) {
        let line = &bytes[start..nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line.iter().all(u8::is_ascii_whitespace) {
            f(base + start as u64, line);
        }
        start = nl + 1;
    }
    (base + start as u64, (bytes.len() - start) as u64)
}

/// A transcript timestamp (RFC 3339) in milliseconds.
pub fn parse_time(s: Option<&str>) -> Option<Timestamp> {
    s.and_then(Timestamp::parse)
}

/// The text of a tool result or message content: a string, or the `text` of the
/// blocks of an array, joined.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(|b| match b {
                Value::String(s) => Some(s.as_str()),
                Value::Object(m) => m.get("text").and_then(Value::as_str),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The first `n` characters of `s`.
pub fn first_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((at, _)) => s[..at].to_string(),
        None => s.to_string(),
    }
}

/// Cuts every string longer than [`PARAM_BYTES`] (at a character boundary, marked
/// with `…`), at any depth.
pub fn truncate_strings(v: &mut Value) {
    match v {
        Value::String(s) if s.len() > PARAM_BYTES => {
            let mut at = PARAM_BYTES;
            while !s.is_char_boundary(at) {
                at -= 1;
            }
            s.truncate(at);
            s.push('…');
        }
        Value::Array(items) => items.iter_mut().for_each(truncate_strings),
        Value::Object(m) => m.values_mut().for_each(truncate_strings),
        _ => {}
    }
}

/// The HTTP status an API error text carries (`API Error: 529 {...}`), if any.
pub fn status_in(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(2)).find_map(|i| {
        let w = &bytes[i..i + 3];
        let boundary_before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let boundary_after = bytes.get(i + 3).is_none_or(|b| !b.is_ascii_alphanumeric());
        (boundary_before
            && boundary_after
            && (w[0] == b'4' || w[0] == b'5')
            && w[1].is_ascii_digit()
            && w[2].is_ascii_digit())
        .then(|| std::str::from_utf8(w).ok()?.parse().ok())
        .flatten()
    })
}

/// A borrowed string from a transcript line.
pub type Str<'a> = Cow<'a, str>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_statuses_and_cuts() {
        let mut seen = Vec::new();
        let (end, rest) =
            complete_lines(b"a\n\nbb\r\n  \nccc", 10, |o, l| seen.push((o, l.to_vec())));
        assert_eq!(seen, vec![(10, b"a".to_vec()), (13, b"bb".to_vec())]);
        assert_eq!((end, rest), (20, 3));
        assert_eq!(status_in("API Error: 529 {\"type\":\"error\"}"), Some(529));
        assert_eq!(
            status_in("API Error: Request rejected (429) · rate limited"),
            Some(429)
        );
        assert_eq!(status_in("took 4500ms, id 5291"), None);
        assert_eq!(first_chars("héllo", 2), "hé");
        let mut v = serde_json::json!({"a": ["é".repeat(3000)], "b": 1});
        truncate_strings(&mut v);
        assert_eq!(v["a"][0].as_str().unwrap().len(), 4096 + "…".len());
        assert_eq!(
            text_of(&serde_json::json!([{"type":"text","text":"x"},{"type":"text","text":"y"}])),
            "x\ny"
        );
    }
}
