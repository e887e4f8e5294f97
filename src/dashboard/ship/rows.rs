//! Stored lines to ClickHouse rows, written straight into an INSERT body.
//!
//! [`super::row`] parses a line into a `serde_json::Value`, redacts it, builds the row as
//! another `Value` and serializes it. [`RowWriter`] writes the very same bytes without
//! the second `Value`, and for most lines without the first one either: a line that
//! holds no redaction keyword ([`Redactor::is_clean`]) and that is already exactly what
//! serde_json would write back for it (compact, no duplicate keys, numbers and escapes
//! in their canonical form: [`Scanner`] checks all of that in one pass) is its own
//! redacted record, so its fields are read straight from the line's bytes and the line
//! itself is the `record` column. Any other line takes the `Value` path: parsed,
//! redacted, then written by the same code. Records written by other tools are
//! therefore still redacted before they leave (SPEC §15).

use std::borrow::Cow;

use chrono::{Datelike, Timelike};
use serde_json::{Map, Value};

use super::{Column, Kind, columns, line_id};
use crate::record::{Timestamp, error_message};
use crate::redact::Redactor;
use crate::store::Stream;

/// Objects and arrays nested deeper than this take the `Value` path (serde_json's own
/// limit is 128).
const MAX_DEPTH: usize = 64;

/// A top-level field found by the scanner: the key (without its quotes) and the value,
/// as byte ranges of the line.
#[derive(Debug, Clone, Copy)]
struct Span {
    key: (usize, usize),
    value: (usize, usize),
}

/// Checks that a line is a JSON object exactly as serde_json serializes the value it
/// parses to, and notes where its top-level fields are. Conservative: anything it is
/// not sure of (whitespace, `\u` or `\/` escapes, numbers in another form, duplicate
/// keys, deep nesting) makes it say no, and the caller takes the `Value` path.
#[derive(Debug, Default)]
struct Scanner {
    /// Keys of the objects being scanned (a stack; each object checks its own for
    /// duplicates, which serde_json would fold into one).
    keys: Vec<(usize, usize)>,
    /// The line's top-level fields, in order.
    top: Vec<Span>,
    /// Scratch for writing a float back.
    number: Vec<u8>,
}

impl Scanner {
    /// True when `b` is one canonical JSON object, nothing before or after it.
    fn object_line(&mut self, b: &[u8]) -> bool {
        self.keys.clear();
        self.top.clear();
        let mut i = 0;
        b.first() == Some(&b'{') && self.object(b, &mut i, 0) && i == b.len()
    }

    fn value(&mut self, b: &[u8], i: &mut usize, depth: usize) -> bool {
        match b.get(*i) {
            Some(b'{') => self.object(b, i, depth),
            Some(b'[') => self.array(b, i, depth),
            Some(b'"') => string(b, i),
            Some(b't') => literal(b, i, b"true"),
            Some(b'f') => literal(b, i, b"false"),
            Some(b'n') => literal(b, i, b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(b, i),
            _ => false,
        }
    }

    fn object(&mut self, b: &[u8], i: &mut usize, depth: usize) -> bool {
        if depth >= MAX_DEPTH {
            return false;
        }
        *i += 1;
        if b.get(*i) == Some(&b'}') {
            *i += 1;
            return true;
        }
        let base = self.keys.len();
        let ok = loop {
            let start = *i + 1;
            if !string(b, i) {
                break false;
            }
            let key = (start, *i - 1);
            if self.keys[base..]
                .iter()
                .any(|&(s, e)| b[s..e] == b[key.0..key.1])
            {
                break false;
            }
            self.keys.push(key);
            if b.get(*i) != Some(&b':') {
                break false;
            }
            *i += 1;
            let value_start = *i;
            if !self.value(b, i, depth + 1) {
                break false;
            }
            if depth == 0 {
                self.top.push(Span {
                    key,
                    value: (value_start, *i),
                });
            }
            match b.get(*i) {
                Some(b',') => *i += 1,
                Some(b'}') => {
                    *i += 1;
                    break true;
                }
                _ => break false,
            }
        };
        self.keys.truncate(base);
        ok
    }

    fn array(&mut self, b: &[u8], i: &mut usize, depth: usize) -> bool {
        if depth >= MAX_DEPTH {
            return false;
        }
        *i += 1;
        if b.get(*i) == Some(&b']') {
            *i += 1;
            return true;
        }
        loop {
            if !self.value(b, i, depth + 1) {
                return false;
            }
            match b.get(*i) {
                Some(b',') => *i += 1,
                Some(b']') => {
                    *i += 1;
                    return true;
                }
                _ => return false,
            }
        }
    }

    /// A number as serde_json writes it back: an integer within `u64` (or `i64` when
    /// negative, not `-0`), or a finite float in its shortest round-trip form.
    fn number(&mut self, b: &[u8], i: &mut usize) -> bool {
        let start = *i;
        if b[*i] == b'-' {
            *i += 1;
        }
        match b.get(*i) {
            Some(b'0') => *i += 1,
            Some(b'1'..=b'9') => skip_digits(b, i),
            _ => return false,
        }
        let mut float = false;
        if b.get(*i) == Some(&b'.') {
            float = true;
            *i += 1;
            if !b.get(*i).is_some_and(u8::is_ascii_digit) {
                return false;
            }
            skip_digits(b, i);
        }
        if matches!(b.get(*i), Some(b'e' | b'E')) {
            float = true;
            *i += 1;
            if matches!(b.get(*i), Some(b'+' | b'-')) {
                *i += 1;
            }
            if !b.get(*i).is_some_and(u8::is_ascii_digit) {
                return false;
            }
            skip_digits(b, i);
        }
        let text = &b[start..*i];
        // ASCII digits and signs only.
        let Ok(text) = std::str::from_utf8(text) else {
            return false;
        };
        if !float {
            return if text.starts_with('-') {
                text != "-0" && text.parse::<i64>().is_ok()
            } else {
                text.parse::<u64>().is_ok()
            };
        }
        let Ok(f) = text.parse::<f64>() else {
            return false;
        };
        self.number.clear();
        f.is_finite()
            && serde_json::to_writer(&mut self.number, &f).is_ok()
            && self.number == text.as_bytes()
    }
}

fn skip_digits(b: &[u8], i: &mut usize) {
    while b.get(*i).is_some_and(u8::is_ascii_digit) {
        *i += 1;
    }
}

fn literal(b: &[u8], i: &mut usize, word: &[u8]) -> bool {
    if b[*i..].starts_with(word) {
        *i += word.len();
        true
    } else {
        false
    }
}

/// A string whose escapes are all ones serde_json writes (`\"`, `\\`, `\b`, `\f`,
/// `\n`, `\r`, `\t`); `\u` and `\/` are written back differently, and raw control
/// characters are not JSON.
fn string(b: &[u8], i: &mut usize) -> bool {
    if b.get(*i) != Some(&b'"') {
        return false;
    }
    *i += 1;
    loop {
        let Some(at) = memchr::memchr2(b'"', b'\\', &b[*i..]) else {
            return false;
        };
        if b[*i..*i + at].iter().any(|&c| c < 0x20) {
            return false;
        }
        *i += at;
        if b[*i] == b'"' {
            *i += 1;
            return true;
        }
        match b.get(*i + 1) {
            Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') => *i += 2,
            _ => return false,
        }
    }
}

/// The text of a canonical JSON string (quotes included), unescaped.
fn unquote(raw: &str) -> Cow<'_, str> {
    let inner = &raw[1..raw.len() - 1];
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        // The scanner allowed only these escapes.
        out.push(match chars.next() {
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some(other) => other,
            None => break,
        });
    }
    Cow::Owned(out)
}

/// A record's field: canonical JSON text from the line, or a parsed value.
#[derive(Debug, Clone, Copy)]
enum Field<'a> {
    Raw(&'a str),
    Value(&'a Value),
}

const NULL: Field<'static> = Field::Value(&Value::Null);

impl<'a> Field<'a> {
    /// `Value::as_str`.
    fn as_str(self) -> Option<Cow<'a, str>> {
        match self {
            Field::Raw(r) => r.starts_with('"').then(|| unquote(r)),
            Field::Value(v) => v.as_str().map(Cow::Borrowed),
        }
    }

    /// A string's text, any other value's JSON, nothing for null.
    fn text(self) -> Option<Cow<'a, str>> {
        match self {
            Field::Raw("null") => None,
            Field::Raw(r) if r.starts_with('"') => Some(unquote(r)),
            // Canonical: exactly what `Value::to_string` gives.
            Field::Raw(r) => Some(Cow::Borrowed(r)),
            Field::Value(Value::Null) => None,
            Field::Value(Value::String(s)) => Some(Cow::Borrowed(s)),
            Field::Value(other) => Some(Cow::Owned(other.to_string())),
        }
    }

    /// `Value::as_f64`.
    fn as_f64(self) -> Option<f64> {
        match self {
            Field::Raw(r) if r.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                if r.contains(['.', 'e', 'E']) {
                    r.parse().ok()
                } else if r.starts_with('-') {
                    r.parse::<i64>().ok().map(|n| n as f64)
                } else {
                    r.parse::<u64>().ok().map(|n| n as f64)
                }
            }
            Field::Raw(_) => None,
            Field::Value(v) => v.as_f64(),
        }
    }

    /// `Value::as_u64`.
    fn as_u64(self) -> Option<u64> {
        match self {
            Field::Raw(r) => r.parse().ok(),
            Field::Value(v) => v.as_u64(),
        }
    }

    /// `Value::as_bool`.
    fn as_bool(self) -> Option<bool> {
        match self {
            Field::Raw("true") => Some(true),
            Field::Raw("false") => Some(false),
            Field::Raw(_) => None,
            Field::Value(v) => v.as_bool(),
        }
    }

    /// [`error_message`], nothing for null.
    fn error(self) -> Option<Cow<'a, str>> {
        match self {
            Field::Raw(r) if r.starts_with('"') => Some(unquote(r)),
            Field::Raw(r) if r.starts_with('{') => serde_json::from_str::<Value>(r)
                .ok()
                .and_then(|v| error_message(&v))
                .map(Cow::Owned),
            Field::Raw(_) => None,
            Field::Value(Value::String(s)) => Some(Cow::Borrowed(s)),
            Field::Value(v) if v.is_null() => None,
            Field::Value(v) => error_message(v).map(Cow::Owned),
        }
    }

    fn timestamp(self) -> Option<Timestamp> {
        match self {
            Field::Raw(r) => serde_json::from_str(r).ok(),
            Field::Value(v) => serde::Deserialize::deserialize(v).ok(),
        }
    }
}

/// A record's top-level fields.
enum Fields<'a> {
    Raw { line: &'a str, spans: &'a [Span] },
    Value(&'a Map<String, Value>),
}

impl<'a> Fields<'a> {
    fn get(&self, key: &str) -> Option<Field<'a>> {
        match self {
            Fields::Raw { line, spans } => spans
                .iter()
                .find(|s| &line.as_bytes()[s.key.0..s.key.1] == key.as_bytes())
                .map(|s| Field::Raw(&line[s.value.0..s.value.1])),
            Fields::Value(map) => map.get(key).map(Field::Value),
        }
    }
}

/// Converts one stream's stored lines to rows of its table. One per thread: it keeps
/// its scratch space between lines.
pub struct RowWriter<'r> {
    stream: Stream,
    redactor: &'r Redactor,
    scanner: Scanner,
    /// Scratch: the line without separators.
    joined: Vec<u8>,
}

impl<'r> RowWriter<'r> {
    /// A writer for `stream`'s table; every record passes `redactor`.
    pub fn new(stream: Stream, redactor: &'r Redactor) -> Self {
        RowWriter {
            stream,
            redactor,
            scanner: Scanner::default(),
            joined: Vec::new(),
        }
    }

    /// Appends `line` as a row of the table, a JSON object and a newline, exactly the
    /// bytes of `super::row(stream, line, redactor)` serialized; false (and nothing
    /// appended) when the line is not a JSON object with a valid time.
    pub fn write(&mut self, line: &[u8], out: &mut Vec<u8>) -> bool {
        if let Ok(text) = std::str::from_utf8(line)
            && self.clean(text)
            && self.scanner.object_line(line)
        {
            let fields = Fields::Raw {
                line: text,
                spans: &self.scanner.top,
            };
            return write_row(self.stream, line, &fields, text, out);
        }
        let Ok(mut record) = serde_json::from_slice::<Value>(line) else {
            return false;
        };
        if !record.is_object() {
            return false;
        }
        self.redactor.redact_value(&mut record);
        let Value::Object(map) = &record else {
            return false;
        };
        write_row(
            self.stream,
            line,
            &Fields::Value(map),
            &record.to_string(),
            out,
        )
    }
}

impl RowWriter<'_> {
    /// True when the redactor would change nothing in the record on this line: no
    /// keyword of any rule in the line ([`Redactor::is_clean`]), nor in the line with
    /// `_`, `-`, `.` and spaces taken out, since key names are judged that way
    /// (`to_ken` is a `token`), and no character that lower-cases to an ASCII letter
    /// (the Kelvin sign, a dotted capital I), which key names are also judged after.
    fn clean(&mut self, text: &str) -> bool {
        if !self.redactor.is_clean(text) || text.contains(['\u{212a}', '\u{130}']) {
            return false;
        }
        self.joined.clear();
        self.joined.extend(
            text.bytes()
                .filter(|b| !matches!(b, b'_' | b'-' | b'.' | b' ')),
        );
        // Only ASCII bytes were taken out of valid UTF-8.
        std::str::from_utf8(&self.joined).is_ok_and(|j| self.redactor.is_clean(j))
    }
}

/// The row: `id`, `ts`, `timestamp_ms`, `host`, the stream's columns, `record`.
fn write_row(
    stream: Stream,
    line: &[u8],
    fields: &Fields,
    record: &str,
    out: &mut Vec<u8>,
) -> bool {
    let Some(ts) = fields
        .get("timestamp")
        .or_else(|| fields.get("ts"))
        .and_then(Field::timestamp)
    else {
        return false;
    };
    let start = out.len();
    let written = (|| -> serde_json::Result<()> {
        out.extend_from_slice(b"{\"id\":");
        match fields
            .get("id")
            .and_then(Field::as_str)
            .filter(|s| !s.is_empty())
        {
            Some(id) => string_to(out, &id)?,
            None => string_to(out, &line_id(line))?,
        }
        out.extend_from_slice(b",\"ts\":");
        time_to(out, ts)?;
        out.extend_from_slice(b",\"timestamp_ms\":");
        serde_json::to_writer(&mut *out, &ts.0)?;
        out.extend_from_slice(b",\"host\":");
        let host = fields.get("host").and_then(Field::as_str);
        string_to(out, host.as_deref().unwrap_or(""))?;
        let (_, cols) = columns(stream);
        for Column(name, keys, kind) in cols {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":");
            let v = keys.iter().find_map(|k| fields.get(k)).unwrap_or(NULL);
            match kind {
                Kind::Str => string_to(out, v.text().as_deref().unwrap_or(""))?,
                Kind::OptStr => opt_string_to(out, v.text().as_deref())?,
                Kind::Error => opt_string_to(out, v.error().as_deref())?,
                Kind::F64 => serde_json::to_writer(&mut *out, &v.as_f64().unwrap_or(0.0))?,
                Kind::OptF64 => serde_json::to_writer(&mut *out, &v.as_f64())?,
                Kind::U64 => serde_json::to_writer(&mut *out, &v.as_u64().unwrap_or(0))?,
                Kind::OptU64 => serde_json::to_writer(&mut *out, &v.as_u64())?,
                Kind::Bool => out.push(if v.as_bool().unwrap_or(false) {
                    b'1'
                } else {
                    b'0'
                }),
            }
        }
        out.extend_from_slice(b",\"record\":");
        string_to(out, record)?;
        out.extend_from_slice(b"}\n");
        Ok(())
    })();
    if written.is_err() {
        // Writing to memory does not fail; if it ever did, no half row is left.
        out.truncate(start);
    }
    written.is_ok()
}

fn string_to(out: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    serde_json::to_writer(out, s)
}

fn opt_string_to(out: &mut Vec<u8>, s: Option<&str>) -> serde_json::Result<()> {
    match s {
        Some(s) => string_to(out, s),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// `"YYYY-MM-DD HH:MM:SS"` in UTC, as ClickHouse's `DateTime` reads it.
fn time_to(out: &mut Vec<u8>, ts: Timestamp) -> serde_json::Result<()> {
    let t = ts.to_datetime();
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return string_to(out, &t.format("%Y-%m-%d %H:%M:%S").to_string());
    }
    let digits = |out: &mut Vec<u8>, n: u32, width: u32| {
        for p in (0..width).rev() {
            out.push(b'0' + (n / 10u32.pow(p) % 10) as u8);
        }
    };
    out.push(b'"');
    digits(out, year.unsigned_abs(), 4);
    out.push(b'-');
    digits(out, t.month(), 2);
    out.push(b'-');
    digits(out, t.day(), 2);
    out.push(b' ');
    digits(out, t.hour(), 2);
    out.push(b':');
    digits(out, t.minute(), 2);
    out.push(b':');
    digits(out, t.second(), 2);
    out.push(b'"');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: [`super::super::row`] serialized, as ship sent it before.
    fn reference(stream: Stream, line: &[u8], redactor: &Redactor) -> Option<Vec<u8>> {
        let mut bytes = super::super::row(stream, line, redactor)?
            .to_string()
            .into_bytes();
        bytes.push(b'\n');
        Some(bytes)
    }

    fn fast(stream: Stream, line: &[u8], redactor: &Redactor) -> Option<Vec<u8>> {
        // Something already in the body stays, and a refused line adds nothing.
        let mut out = b"{\"before\":1}\n".to_vec();
        let wrote = RowWriter::new(stream, redactor).write(line, &mut out);
        assert!(out.starts_with(b"{\"before\":1}\n"));
        if wrote {
            Some(out.split_off(13))
        } else {
            assert_eq!(out.len(), 13, "nothing appended for a refused line");
            None
        }
    }

    fn assert_same(line: &[u8], redactor: &Redactor) {
        for stream in Stream::ALL {
            assert_eq!(
                fast(stream, line, redactor).map(String::from_utf8),
                reference(stream, line, redactor).map(String::from_utf8),
                "{stream:?}: {}",
                String::from_utf8_lossy(line)
            );
        }
    }

    const T: &str = r#""timestamp":"2026-11-20T10:00:00.123Z""#;

    /// Lines of every kind: canonical ones (the fast path) and ones that need the
    /// parsed value (whitespace, other number forms, `\u` escapes, duplicate keys,
    /// secrets), for every stream's columns.
    fn varied_lines() -> Vec<String> {
        let mut lines: Vec<String> = [
            // A skill invocation as the writers write it.
            format!(
                r#"{{{T},"skill":"review","result":"success","duration":120.0,"cacheHit":true,"agent":"claude","runId":"r-1","cujId":"CUJ-1","host":"alpha","id":"01KAB2C3D4E5F6G7H8J9K0M1N2"}}"#
            ),
            // Errors: a string, an object with a message, an object without one, other
            // types, null.
            format!(r#"{{{T},"skill":"lint","result":"failure","error":"exit 1: lint failed"}}"#),
            format!(r#"{{{T},"cujId":"C","success":false,"duration":5.5,"error":{{"message":"step 3 failed","code":3}}}}"#),
            format!(r#"{{{T},"provider":"x","success":false,"latency":12,"error":{{"code":7,"detail":["a",1]}}}}"#),
            format!(r#"{{{T},"runId":"r","error":42}}"#),
            format!(r#"{{{T},"runId":"r","error":["a"]}}"#),
            format!(r#"{{{T},"runId":"r","error":null,"message":null}}"#),
            format!(r#"{{{T},"runId":"r","error":true}}"#),
            // Missing fields, wrong types in every kind of column.
            format!(r#"{{{T}}}"#),
            format!(r#"{{{T},"skill":7,"result":{{"a":1}},"duration":"12","cacheHit":"yes","agent":false}}"#),
            format!(r#"{{{T},"skill":null,"duration":null,"cacheHit":1,"agent":[1,2],"runId":3.5}}"#),
            format!(r#"{{{T},"provider":"p","success":true,"latency":-3,"statusCode":200,"inputTokens":-5,"outputTokens":5.0,"cacheReadTokens":"5","cacheWriteTokens":18446744073709551615,"costUsd":0.1}}"#),
            format!(r#"{{{T},"runId":"r","step":-1,"percentage":1e2,"status":"running"}}"#),
            format!(r#"{{{T},"runId":"r","step":3,"percentage":100.0,"source":"codex","name":"n"}}"#),
            format!(r#"{{{T},"type":"info","message":"m","target":"t","runId":"r"}}"#),
            format!(r#"{{{T},"host":7,"id":12}}"#),
            format!(r#"{{{T},"host":"h","id":""}}"#),
            // Unicode and escapes.
            format!(r#"{{{T},"skill":"révision ✓ 日本語 🙂","message":"tab\there \"quoted\" back\\slash\nnew\r\b\f","host":"ü"}}"#),
            format!(r#"{{{T},"skill":"caf\u00e9","message":"a\/b","agent":"\u0001\u001f\u007f"}}"#),
            format!("{{{T},\"skill\":\"del\u{7f}char\",\"id\":\"x\\\"y\"}}"),
            format!(r#"{{{T},"skill":"s","metadata":{{"nested":{{"deep":[1,2.5,-3,"x\ty",{{"k":null}}]}},"empty":{{}},"list":[]}}}}"#),
            // Whitespace and other number forms.
            format!(r#"{{ {T}, "skill" : "spaced" }}"#),
            format!("{{{T},\"skill\":\"crlf\"}}\r"),
            format!(r#"{{{T},"skill":"n","duration":1.5E3,"percentage":1e400}}"#),
            format!(r#"{{{T},"skill":"n","duration":-0,"latency":0.10}}"#),
            format!(r#"{{{T},"skill":"n","duration":5e-324,"latency":1e16,"step":18446744073709551616}}"#),
            format!(r#"{{{T},"skill":"n","duration":-9223372036854775808,"latency":-9223372036854775809}}"#),
            // Duplicate keys: the last value, in the first one's place.
            format!(r#"{{{T},"skill":"first","result":"x","skill":"second"}}"#),
            format!(r#"{{{T},"metadata":{{"a":1,"a":2}}}}"#),
            // Times: the older `ts`, milliseconds, fractions, invalid, far away.
            r#"{"ts":"2026-11-20T10:00:00Z","skill":"old"}"#.to_string(),
            r#"{"timestamp":1795168800000,"skill":"ms"}"#.to_string(),
            r#"{"timestamp":1795168800000.75,"skill":"ms"}"#.to_string(),
            r#"{"timestamp":"2026-11-20T12:00:00+02:00","skill":"offset"}"#.to_string(),
            r#"{"timestamp":"yesterday","ts":"2026-11-20T10:00:00Z"}"#.to_string(),
            r#"{"timestamp":253402300800000,"skill":"year 10000"}"#.to_string(),
            r#"{"timestamp":-62198755200000,"skill":"year -1"}"#.to_string(),
            r#"{"timestamp":9e99,"skill":"too far"}"#.to_string(),
            // Secrets, by key and by value, at any depth, and key names judged without
            // separators or after lower-casing.
            format!(r#"{{{T},"skill":"s","params":{{"password":"hunter2","apiKey":"sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123"}}}}"#),
            format!(r#"{{{T},"skill":"s","message":"curl -H 'Authorization: Bearer abcdef0123456789abcdef0123456789'"}}"#),
            format!(r#"{{{T},"skill":"s","params":{{"to_ken":"abc123def456","pass-word":"hunter2","to\u212Aen":"x7y8z9"}}}}"#),
            format!(r#"{{{T},"skill":"s","params":{{"argv":["--password","hunter2"],"env":[{{"name":"DB_PASS_WORD","value":"hunter2"}}]}}}}"#),
            format!(r#"{{{T},"skill":"s","error":{{"message":"psql postgres://app:hunter2@db/prod failed"}},"id":"ghp_abcdefghijklmnopqrstuvwxyz0123456789"}}"#),
            // Not records.
            "[1]".to_string(),
            "\"text\"".to_string(),
            "12".to_string(),
            "{".to_string(),
            "{}".to_string(),
            format!(r#"{{{T},"skill":"trailing"}} x"#),
            format!(r#"{{{T},"skill":"a"}}{{}}"#),
            format!(r#"{{{T},"skill":"a",}}"#),
            format!(r#"{{{T},"skill":01}}"#),
            format!("{{{T},\"skill\":\"raw\ttab\"}}"),
        ]
        .to_vec();
        // Deep nesting: past the scanner's limit, and past serde_json's.
        for depth in [63, 64, 65, 130] {
            lines.push(format!(
                r#"{{{T},"metadata":{}1{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            ));
        }
        lines
    }

    #[test]
    fn fast_rows_are_the_bytes_of_the_reference_conversion() {
        let redactor = Redactor::default();
        for line in varied_lines() {
            assert_same(line.as_bytes(), &redactor);
        }
        // Not UTF-8.
        assert_same(
            b"{\"timestamp\":\"2026-11-20T10:00:00Z\",\"skill\":\"\xff\"}",
            &redactor,
        );
        // Extra keys and patterns from the configuration are applied too.
        let configured =
            Redactor::new(&["skill".into()], &["ccmon-[0-9]+".into()], "test").unwrap();
        for line in varied_lines() {
            assert_same(line.replace("review", "ccmon-42").as_bytes(), &configured);
        }
    }

    #[test]
    fn the_fast_path_is_taken_for_canonical_lines_without_secrets() {
        let redactor = Redactor::default();
        let mut writer = RowWriter::new(Stream::SkillInvocations, &redactor);
        let line = format!(
            r#"{{{T},"skill":"review","result":"success","duration":120.0,"host":"alpha"}}"#
        );
        assert!(writer.clean(&line));
        assert!(writer.scanner.object_line(line.as_bytes()));
        // The record column is the line itself.
        let mut out = Vec::new();
        assert!(writer.write(line.as_bytes(), &mut out));
        let row: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(row["record"], line.as_str());
        assert_eq!(row["ts"], "2026-11-20 10:00:00");
        assert_eq!(row["duration_ms"], 120.0);
        // Lines that could hold a secret, or that serde_json writes back otherwise,
        // are not.
        for (secret, why) in [
            (r#""password":"x""#, "a keyword"),
            (
                r#""to_ken":"x""#,
                "a key name judged without its separators",
            ),
            ("\"to\u{212a}en\":\"x\"", "a key name judged lower-cased"),
        ] {
            let l = format!(r#"{{{T},{secret}}}"#);
            assert!(!writer.clean(&l), "{why}");
        }
        for other in [
            format!(r#"{{ {T}}}"#),
            format!(r#"{{{T},"d":1.50}}"#),
            format!(r#"{{{T},"d":1e3}}"#),
            format!(r#"{{{T},"d":-0}}"#),
            format!(r#"{{{T},"s":"\u0041"}}"#),
            format!(r#"{{{T},"a":1,"a":1}}"#),
        ] {
            assert!(!writer.scanner.object_line(other.as_bytes()), "{other}");
        }
    }

    /// JSON values of every kind, strings with escapes, unicode and secret-looking
    /// text, under record keys, column keys and secret key names.
    fn json_value() -> impl Strategy<Value = Value> {
        let text = prop_oneof![
            "[a-zA-Z0-9 _.:/@=-]{0,16}",
            "[\"\\\\\t\n\r\u{1}\u{7f}é✓🙂\u{202e}]{0,6}",
            Just("hunter2".to_string()),
            Just("sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123".to_string()),
            Just("Bearer abcdef0123456789abcdef0123456789".to_string()),
            Just("--password=hunter2".to_string()),
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            (0u32..100_000).prop_map(|n| Value::from(f64::from(n))),
            text.prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::vec((key(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "skill",
                "result",
                "duration",
                "cacheHit",
                "agent",
                "runId",
                "cujId",
                "error",
                "success",
                "workflow",
                "iterations",
                "step",
                "status",
                "percentage",
                "message",
                "source",
                "name",
                "provider",
                "latency",
                "statusCode",
                "model",
                "inputTokens",
                "outputTokens",
                "cacheReadTokens",
                "cacheWriteTokens",
                "costUsd",
                "kind",
                "type",
                "target",
                "host",
                "id",
                "metadata",
                "params",
                "password",
                "to_ken",
                "api-key",
                "value",
                "ts",
            ])
            .prop_map(String::from),
            "[a-z_]{1,8}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_record_converts_to_the_reference_bytes(
            fields in prop::collection::vec((key(), json_value()), 0..10),
            millis in prop_oneof![Just(None), (0i64..4_000_000_000_000).prop_map(Some)],
            spaced in any::<bool>(),
        ) {
            let mut record = serde_json::Map::new();
            if let Some(ms) = millis {
                record.insert("timestamp".into(), Value::from(Timestamp(ms).to_string()));
            }
            for (k, v) in fields {
                if k != "timestamp" && k != "ts" {
                    record.insert(k, v);
                }
            }
            let mut line = Value::Object(record).to_string();
            if spaced {
                line = line.replacen(':', " : ", 1);
            }
            let redactor = Redactor::default();
            for stream in Stream::ALL {
                prop_assert_eq!(
                    fast(stream, line.as_bytes(), &redactor),
                    reference(stream, line.as_bytes(), &redactor),
                    "{:?}: {}", stream, line
                );
            }
        }
    }
}
