//! The five record types (SPEC §3), their validation, and the timestamp type.

mod fold;
mod journey;
mod notification;
mod progress;
mod provider;
mod skill;

pub use crate::time::Timestamp;
pub use fold::{Views, fold_scan, fold_views};
pub use journey::{JourneyExecution, JourneySource, Quality, Resources};
pub use notification::{Notification, NotificationType};
pub use progress::{
    CiCheck, CiStatus, OutputChunk, OutputStream, PrStatus, ProgressEvent, RunStatus,
};
pub use provider::ProviderCall;
pub(crate) use skill::SkillText;
pub use skill::{SkillInvocation, SkillResult, SkillView};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::redact::Redactor;
use crate::store::Stream;

/// What every record type has in common: the stream it belongs to, its envelope
/// fields (`timestamp`, `id`, `host`) and its validation.
pub trait Record: Serialize + DeserializeOwned {
    /// The stream records of this type are appended to.
    const STREAM: Stream;
    /// Checks the values the type system cannot (ranges, non-empty names).
    fn validate(&self) -> Result<()>;
    /// The record's time, if set.
    fn timestamp(&self) -> Option<Timestamp>;
    /// Mutable access to the envelope, for filling `timestamp`, `id` and `host`.
    fn envelope(&mut self) -> Envelope<'_>;
    /// Redacts every string the record holds, in place (SPEC §6).
    fn redact(&mut self, r: &Redactor);
    /// Brings the record to its on-disk form (SPEC §12: `error` a string, one JSON type
    /// per field). Called after redaction, just before serializing.
    fn normalize(&mut self) {}
}

/// Mutable references to the envelope fields of a record.
pub struct Envelope<'a> {
    /// When it happened.
    pub timestamp: &'a mut Option<Timestamp>,
    /// Unique, time-sortable id (ULID).
    pub id: &'a mut Option<String>,
    /// The writer's host name.
    pub host: &'a mut Option<String>,
}

/// Implements [`Record`]'s envelope access for a struct with `timestamp`, `id` and
/// `host` fields.
macro_rules! envelope_fields {
    () => {
        fn timestamp(&self) -> Option<$crate::time::Timestamp> {
            self.timestamp
        }
        fn envelope(&mut self) -> $crate::record::Envelope<'_> {
            $crate::record::Envelope {
                timestamp: &mut self.timestamp,
                id: &mut self.id,
                host: &mut self.host,
            }
        }
    };
}
pub(crate) use envelope_fields;

/// Parses one JSON object into a record of type `R` and validates it. `what` names
/// the input in error messages (`--record`, `line 3`).
pub fn parse_record<R: Record>(json: &str, what: &str) -> Result<R> {
    if !is_object_text(json) {
        // Say "not valid JSON" or "not an object", whichever it is.
        let value: Value = serde_json::from_str(json)
            .map_err(|e| Error::invalid(what, format!("not valid JSON: {e}")))?;
        return from_value(value, what);
    }
    // The common case first; the field path is tracked only to explain an error.
    if let Ok(record) = serde_json::from_str::<R>(json) {
        return validated(record, what);
    }
    let mut de = serde_json::Deserializer::from_str(json);
    let record: R = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            Error::invalid(what, format!("not valid JSON: {inner}"))
        } else {
            field_error(what, &path, &inner.to_string())
        }
    })?;
    de.end()
        .map_err(|e| Error::invalid(what, format!("not valid JSON: {e}")))?;
    validated(record, what)
}

/// Converts a JSON value into a record of type `R` and validates it.
pub fn from_value<R: Record>(value: Value, what: &str) -> Result<R> {
    if !value.is_object() {
        return Err(Error::invalid(what, "expected a JSON object"));
    }
    let record: R = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        field_error(what, &path, &e.inner().to_string())
    })?;
    validated(record, what)
}

/// The error for a field serde refused. serde's messages quote the value
/// (`invalid type: string "postgres://u:pw@h/db", expected f64`): the message names the
/// field, what was expected and the kind of value found, never the value (SPEC §15).
fn field_error(what: &str, path: &str, message: &str) -> Error {
    let redactor = crate::redact::shared();
    let body = crate::error::without_value(message);
    // Whatever serde said beyond the value (an unknown field's name) may still hold a
    // secret the redactor knows.
    let body = redactor.redact_str(&body);
    let path = redactor.redact_str(path);
    if path == "." {
        Error::invalid(what, body)
    } else {
        Error::invalid(what, format!("field {path}: {body}"))
    }
}

fn validated<R: Record>(record: R, what: &str) -> Result<R> {
    record.validate().map_err(|e| match e {
        Error::Invalid { field, message } => {
            Error::invalid(what, format!("field {field}: {message}"))
        }
        other => other,
    })?;
    Ok(record)
}

/// Whether JSON text is an object (its first token is `{`). serde's derived
/// `Deserialize` also takes an array as a struct (fields in order), so every reader
/// of records checks this first.
pub(crate) fn is_object_text(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\r', '\n'])
        .starts_with('{')
}

/// Reads a stored line as `T`, borrowing from it where `T` does: `None` when the line is
/// not UTF-8, not a JSON object (serde would take an array as a struct), or not a `T`.
pub fn parse_line<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    let text = std::str::from_utf8(bytes).ok()?;
    if !is_object_text(text) {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// Whether a line that a substring prefilter ruled out may be passed over unparsed:
/// it holds no backslash (an escape could spell the needle differently) and has the
/// shape of one whole JSON object in valid UTF-8. Torn writes and binary garbage fail
/// this, so readers that prefilter still parse (and report) them.
pub fn prefilter_may_skip(bytes: &[u8]) -> bool {
    let trimmed = bytes.trim_ascii();
    memchr::memchr(b'\\', trimmed).is_none()
        && trimmed.first() == Some(&b'{')
        && trimmed.last() == Some(&b'}')
        && std::str::from_utf8(trimmed).is_ok()
}

/// `error` is null, a string, or an object (`{"message": ..., "code": ...}`).
pub(crate) fn check_error(error: &Value) -> Result<()> {
    match error {
        Value::Null | Value::String(_) | Value::Object(_) => Ok(()),
        _ => Err(Error::invalid(
            "error",
            "must be null, a string or an object",
        )),
    }
}

/// The message of an `error` value: the string itself, or the object's `message`.
pub fn error_message(error: &Value) -> Option<String> {
    match error {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => match m.get("message") {
            Some(Value::String(s)) => Some(s.clone()),
            _ => Some(Value::Object(m.clone()).to_string()),
        },
        _ => None,
    }
}

/// The longest duration or latency accepted, in milliseconds (about 3 years): larger
/// values are mistakes (a unit mix-up, a corrupt counter) that would dominate every mean.
pub const MAX_MILLIS: f64 = 1e11;
/// The largest cost accepted for one record, in USD.
pub const MAX_COST_USD: f64 = 1e6;
/// The largest token count accepted for one record.
pub const MAX_TOKENS: u64 = 1_000_000_000_000;

/// A duration or latency: a number of milliseconds in `0..=MAX_MILLIS`.
pub(crate) fn check_non_negative(field: &str, value: Option<f64>) -> Result<()> {
    match value {
        Some(v) if !v.is_finite() || !(0.0..=MAX_MILLIS).contains(&v) => Err(Error::invalid(
            field,
            format!("{v} must be a number of milliseconds from 0 to 10^11"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn check_non_empty(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Ok(())
}

/// Serializes numbers that may hold fractions (milliseconds, scores, percentages, costs)
/// always with a fractional part (`1234.0`), so that a field keeps one JSON type in every
/// record and engines that infer a column's type from the first file (ClickHouse,
/// DuckDB) read every file (SPEC §12).
pub(crate) mod fraction {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*v)
    }

    pub mod opt {
        use serde::Serializer;

        pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }
    }
}

/// Stores `error` as a string (SPEC §12): an object becomes its `message` (or its JSON
/// text when it has none), and the whole object is kept as JSON text in `errorDetail`.
/// Other non-string values (numbers, booleans) become their JSON text.
pub(crate) fn normalize_error(error: &mut Value, extra: &mut serde_json::Map<String, Value>) {
    match error {
        Value::Null | Value::String(_) => {}
        Value::Object(map) => {
            let detail = Value::Object(map.clone()).to_string();
            let message = match map.get("message") {
                Some(Value::String(m)) => m.clone(),
                _ => detail.clone(),
            };
            extra.insert("errorDetail".into(), Value::String(detail));
            *error = Value::String(message);
        }
        other => {
            let text = other.to_string();
            *other = Value::String(text);
        }
    }
}

/// Writes every number of a free-form score object (a progress event's `quality`) as a
/// fraction, recursively, for the same reason as [`fraction`].
pub(crate) fn numbers_as_fractions(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64()
                && !n.is_f64()
                && let Some(frac) = serde_json::Number::from_f64(f)
            {
                *n = frac;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(numbers_as_fractions),
        Value::Object(map) => map.values_mut().for_each(numbers_as_fractions),
        _ => {}
    }
}
