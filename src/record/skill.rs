//! Skill invocations, the `cc-log` stream.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{
    Record, Timestamp, check_error, check_non_empty, check_non_negative, envelope_fields,
    is_object_text,
};
use crate::error::Result;
use crate::json::scan::{Field, Scanned, parse_f64, scan_object};
use crate::redact::Memo;
use crate::store::Stream;

/// How a skill invocation ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "lowercase")]
pub enum SkillResult {
    /// It did what was asked.
    #[default]
    Success,
    /// It failed.
    Failure,
    /// It did part of what was asked.
    Partial,
    /// It ran out of time.
    Timeout,
    /// It was not run.
    Skipped,
}

impl std::str::FromStr for SkillResult {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        // Every stored line's result comes through here: comparisons of a known length,
        // not a call to compare each name in turn.
        match s.as_bytes() {
            b"success" => Ok(SkillResult::Success),
            b"failure" => Ok(SkillResult::Failure),
            b"partial" => Ok(SkillResult::Partial),
            b"timeout" => Ok(SkillResult::Timeout),
            b"skipped" => Ok(SkillResult::Skipped),
            _ => Err(format!(
                "{s:?} is not a result; expected one of success, failure, partial, timeout, skipped"
            )),
        }
    }
}

impl SkillResult {
    /// Every result, in the order of the specification.
    pub const ALL: [SkillResult; 5] = [
        SkillResult::Success,
        SkillResult::Failure,
        SkillResult::Partial,
        SkillResult::Timeout,
        SkillResult::Skipped,
    ];

    /// The lowercase name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SkillResult::Success => "success",
            SkillResult::Failure => "failure",
            SkillResult::Partial => "partial",
            SkillResult::Timeout => "timeout",
            SkillResult::Skipped => "skipped",
        }
    }

    /// Failures count `failure` and `timeout`; `partial` and `skipped` are neither
    /// successes nor failures.
    pub fn is_failure(self) -> bool {
        matches!(self, SkillResult::Failure | SkillResult::Timeout)
    }
}

/// One invocation of a skill (SPEC §3, `cc-log`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SkillInvocation {
    /// When it happened (filled with the current time when absent).
    #[serde(alias = "ts", default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// The skill's name.
    pub skill: String,
    /// The parameters it was called with (redacted on write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// How it ended.
    #[serde(default)]
    pub result: SkillResult,
    /// How long it took, in milliseconds.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "super::fraction::opt::serialize"
    )]
    pub duration: Option<f64>,
    /// Whether the result came from a cache.
    #[serde(default)]
    pub cache_hit: bool,
    /// The agent that invoked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The run it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// The journey it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuj_id: Option<String>,
    /// `null`, a message, or an object with a `message`.
    #[serde(default)]
    pub error: Value,
    /// Free-form details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Unique id (ULID), filled on write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The writer's host, filled on write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Fields this version does not know, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SkillInvocation {
    /// A successful invocation of `skill` with every optional field empty.
    pub fn new(skill: impl Into<String>) -> Self {
        SkillInvocation {
            timestamp: None,
            skill: skill.into(),
            params: None,
            result: SkillResult::Success,
            duration: None,
            cache_hit: false,
            agent: None,
            run_id: None,
            cuj_id: None,
            error: Value::Null,
            metadata: None,
            tags: None,
            id: None,
            host: None,
            extra: Map::new(),
        }
    }
}

impl Record for SkillInvocation {
    const STREAM: Stream = Stream::SkillInvocations;

    fn validate(&self) -> Result<()> {
        check_non_empty("skill", &self.skill)?;
        check_non_negative("duration", self.duration)?;
        check_error(&self.error)
    }

    fn normalize(&mut self) {
        super::normalize_error(&mut self.error, &mut self.extra);
    }

    envelope_fields!();

    fn redact(&mut self, r: &crate::redact::Redactor) {
        r.redact_string(&mut self.skill);
        for v in [&mut self.params, &mut self.metadata].into_iter().flatten() {
            r.redact_value(v);
        }
        r.redact_value(&mut self.error);
        for s in [
            &mut self.agent,
            &mut self.run_id,
            &mut self.cuj_id,
            &mut self.id,
            &mut self.host,
        ] {
            r.redact_opt(s);
        }
        if let Some(tags) = &mut self.tags {
            r.redact_strings(tags);
        }
        r.redact_map(&mut self.extra);
    }
}

/// A skill invocation as bulk input gives it, borrowing from its line: the free-form
/// fields (`params`, `metadata`, unknown fields) stay JSON text, copied to disk as they
/// are when redaction would not change them and serde_json would write them the same
/// ([`crate::redact::Memo::keeps_raw`]). It writes exactly the line
/// [`crate::writer::Writer::prepare_into`] writes for the same [`SkillInvocation`], or
/// declines (`None`, `false`) and the caller takes that path, which also explains errors.
pub(crate) struct SkillText<'a> {
    timestamp: Option<Timestamp>,
    skill: Cow<'a, str>,
    params: Option<Free<'a>>,
    result: SkillResult,
    duration: Option<f64>,
    cache_hit: bool,
    agent: Option<Cow<'a, str>>,
    run_id: Option<Cow<'a, str>>,
    cuj_id: Option<Cow<'a, str>>,
    /// `null` or a string; an object (made a string on write) is left to the other path.
    error: Option<Cow<'a, str>>,
    metadata: Option<Free<'a>>,
    tags: Option<Vec<Cow<'a, str>>>,
    id: Option<Cow<'a, str>>,
    host: Option<Cow<'a, str>>,
    extra: Vec<(Cow<'a, str>, &'a RawValue)>,
}

/// A free-form field: its text as read, or its value once redaction changed it.
enum Free<'a> {
    Text(&'a RawValue),
    Value(Value),
}

impl<'a> SkillText<'a> {
    /// Reads one JSON object; `None` when it is not a skill invocation this path takes.
    pub(crate) fn parse(text: &'a str) -> Option<SkillText<'a>> {
        if !is_object_text(text) {
            return None;
        }
        serde_json::from_str(text).ok()
    }

    /// [`SkillInvocation::validate`]: false when that would refuse the record.
    pub(crate) fn is_valid(&self) -> bool {
        check_non_empty("skill", &self.skill).is_ok()
            && check_non_negative("duration", self.duration).is_ok()
    }

    /// The envelope: `timestamp`, `id` and `host`.
    pub(crate) fn envelope(
        &mut self,
    ) -> (
        &mut Option<Timestamp>,
        &mut Option<Cow<'a, str>>,
        &mut Option<Cow<'a, str>>,
    ) {
        (&mut self.timestamp, &mut self.id, &mut self.host)
    }

    /// [`SkillInvocation::redact`], in place; false when the unknown fields would
    /// change (the other path redacts those).
    pub(crate) fn redact(&mut self, memo: &mut Memo<'_>) -> bool {
        let text = |memo: &mut Memo<'_>, s: &mut Cow<'a, str>| {
            if let Cow::Owned(redacted) = memo.redact_str(s) {
                *s = Cow::Owned(redacted);
            }
        };
        text(memo, &mut self.skill);
        for field in [&mut self.params, &mut self.metadata].into_iter().flatten() {
            if let Free::Text(raw) = field
                && !memo.keeps_raw(raw.get())
            {
                let Ok(mut value) = serde_json::from_str::<Value>(raw.get()) else {
                    return false;
                };
                memo.redactor().redact_value(&mut value);
                *field = Free::Value(value);
            }
        }
        for s in [
            &mut self.error,
            &mut self.agent,
            &mut self.run_id,
            &mut self.cuj_id,
            &mut self.id,
            &mut self.host,
        ]
        .into_iter()
        .flatten()
        {
            text(memo, s);
        }
        for tag in self.tags.iter_mut().flatten() {
            text(memo, tag);
        }
        self.extra.is_empty()
            || memo.keeps_raw_entries(self.extra.iter().map(|(k, v)| (k.clone(), v.get())))
    }
}

impl SkillText<'_> {
    /// Appends the record's line (without its newline) to `out`, field for field as
    /// serde_json writes a [`SkillInvocation`]; false (with `out` partly written) when
    /// serde_json reports an error for a part.
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> bool {
        let mut ok = true;
        // Keys are written with the comma before them: none needs escaping.
        if let Some(t) = &self.timestamp {
            out.extend_from_slice(br#"{"timestamp":"#);
            ok &= json(out, t);
            out.extend_from_slice(br#","skill":"#);
        } else {
            out.extend_from_slice(br#"{"skill":"#);
        }
        text(out, &self.skill);
        if let Some(p) = &self.params {
            out.extend_from_slice(br#","params":"#);
            ok &= free(out, p);
        }
        out.extend_from_slice(br#","result":"#);
        text(out, self.result.as_str());
        if let Some(d) = &self.duration {
            out.extend_from_slice(br#","duration":"#);
            ok &= json(out, d);
        }
        out.extend_from_slice(if self.cache_hit {
            br#","cacheHit":true"#
        } else {
            br#","cacheHit":false"#
        });
        for (key, value) in [
            (&br#","agent":"#[..], &self.agent),
            (br#","runId":"#, &self.run_id),
            (br#","cujId":"#, &self.cuj_id),
        ] {
            if let Some(v) = value {
                out.extend_from_slice(key);
                text(out, v);
            }
        }
        match &self.error {
            Some(e) => {
                out.extend_from_slice(br#","error":"#);
                text(out, e);
            }
            None => out.extend_from_slice(br#","error":null"#),
        }
        if let Some(m) = &self.metadata {
            out.extend_from_slice(br#","metadata":"#);
            ok &= free(out, m);
        }
        if let Some(tags) = &self.tags {
            out.extend_from_slice(br#","tags":["#);
            for (n, t) in tags.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                text(out, t);
            }
            out.push(b']');
        }
        for (key, value) in [(&br#","id":"#[..], &self.id), (br#","host":"#, &self.host)] {
            if let Some(v) = value {
                out.extend_from_slice(key);
                text(out, v);
            }
        }
        for (k, v) in &self.extra {
            out.push(b',');
            text(out, k);
            out.push(b':');
            out.extend_from_slice(v.get().as_bytes());
        }
        out.push(b'}');
        ok
    }
}

/// A JSON string as serde_json writes it: as it is between quotes when it holds nothing
/// to escape (no control character, `"` or `\`), which is the common case, escaped by
/// serde_json otherwise.
fn text(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    // Without an early exit, so that the compiler checks many bytes at once.
    let mut escape = false;
    for &x in b {
        escape |= (x < 0x20) | (x == b'"') | (x == b'\\');
    }
    if !escape {
        out.push(b'"');
        out.extend_from_slice(b);
        out.push(b'"');
    } else {
        // Writing into a `Vec` cannot fail, and a string always serializes.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// A value serialized by serde_json.
fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> bool {
    serde_json::to_writer(&mut *out, value).is_ok()
}

/// A free-form field: its text as read, or its redacted value.
fn free(out: &mut Vec<u8>, field: &Free<'_>) -> bool {
    match field {
        Free::Text(raw) => {
            out.extend_from_slice(raw.get().as_bytes());
            true
        }
        Free::Value(value) => json(out, value),
    }
}

/// Text that borrows from the input when it holds no escape.
struct Borrowed<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Borrowed<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Borrowed<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Borrowed(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Borrowed(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Self::Value, E> {
                Ok(Borrowed(Cow::Owned(v)))
            }
        }
        d.deserialize_str(Visitor)
    }
}

impl<'de> Deserialize<'de> for SkillText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = SkillText<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a skill invocation")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                use serde::de::Error;
                let text = |o: Option<Borrowed<'de>>| o.map(|b| b.0);
                let mut rec = SkillText {
                    timestamp: None,
                    skill: Cow::Borrowed(""),
                    params: None,
                    result: SkillResult::Success,
                    duration: None,
                    cache_hit: false,
                    agent: None,
                    run_id: None,
                    cuj_id: None,
                    error: None,
                    metadata: None,
                    tags: None,
                    id: None,
                    host: None,
                    extra: Vec::new(),
                };
                // Each known field at most once (`ts` is `timestamp`), as the derived
                // reader requires; anything unusual is left to it.
                let mut seen = 0u32;
                let mut once = |bit: u32| {
                    let first = seen & (1 << bit) == 0;
                    seen |= 1 << bit;
                    if first {
                        Ok(())
                    } else {
                        Err(A::Error::custom("duplicate field"))
                    }
                };
                while let Some(Borrowed(key)) = map.next_key::<Borrowed<'de>>()? {
                    match key.as_ref() {
                        "timestamp" | "ts" => {
                            once(0)?;
                            rec.timestamp = map.next_value()?;
                        }
                        "skill" => {
                            once(1)?;
                            rec.skill = map.next_value::<Borrowed<'de>>()?.0;
                        }
                        "params" => {
                            once(2)?;
                            rec.params = map.next_value::<Option<&RawValue>>()?.map(Free::Text);
                        }
                        "result" => {
                            once(3)?;
                            rec.result = map.next_value()?;
                        }
                        "duration" => {
                            once(4)?;
                            rec.duration = map.next_value()?;
                        }
                        "cacheHit" => {
                            once(5)?;
                            rec.cache_hit = map.next_value()?;
                        }
                        "agent" => {
                            once(6)?;
                            rec.agent = text(map.next_value()?);
                        }
                        "runId" => {
                            once(7)?;
                            rec.run_id = text(map.next_value()?);
                        }
                        "cujId" => {
                            once(8)?;
                            rec.cuj_id = text(map.next_value()?);
                        }
                        "error" => {
                            once(9)?;
                            rec.error = text(map.next_value()?);
                        }
                        "metadata" => {
                            once(10)?;
                            rec.metadata = map.next_value::<Option<&RawValue>>()?.map(Free::Text);
                        }
                        "tags" => {
                            once(11)?;
                            let tags: Option<Vec<Borrowed<'de>>> = map.next_value()?;
                            rec.tags = tags.map(|t| t.into_iter().map(|b| b.0).collect());
                        }
                        "id" => {
                            once(12)?;
                            rec.id = text(map.next_value()?);
                        }
                        "host" => {
                            once(13)?;
                            rec.host = text(map.next_value()?);
                        }
                        _ => rec.extra.push((key, map.next_value()?)),
                    }
                }
                if seen & (1 << 1) == 0 {
                    return Err(A::Error::missing_field("skill"));
                }
                Ok(rec)
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// A borrowed view of a stored skill invocation: only the fields queries and
/// statistics need, parsed without copying (the fast read path).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillView<'a> {
    /// When it happened.
    #[serde(alias = "ts")]
    pub timestamp: Timestamp,
    /// The skill.
    #[serde(borrow)]
    pub skill: Cow<'a, str>,
    /// How it ended (`success` when absent).
    #[serde(default)]
    pub result: SkillResult,
    /// Milliseconds.
    #[serde(default)]
    pub duration: Option<f64>,
    /// Served from cache.
    #[serde(default, deserialize_with = "null_as_false")]
    pub cache_hit: bool,
    /// The agent.
    #[serde(default, borrow)]
    pub agent: Option<Cow<'a, str>>,
    /// The run.
    #[serde(default, borrow)]
    pub run_id: Option<Cow<'a, str>>,
    /// The journey.
    #[serde(default, borrow)]
    pub cuj_id: Option<Cow<'a, str>>,
    /// The record's id.
    #[serde(default, borrow)]
    pub id: Option<Cow<'a, str>>,
}

impl<'a> SkillView<'a> {
    /// Reads a stored line: the fast scanner when it can decide, serde_json when it
    /// cannot. `None` when the line is not a valid skill invocation.
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Option<SkillView<'a>> {
        let mut view = SkillView::empty();
        view.fill(bytes).then_some(view)
    }

    /// A view with nothing read into it yet (see [`SkillView::fill`]).
    pub fn empty() -> SkillView<'a> {
        SkillView {
            timestamp: Timestamp(0),
            skill: Cow::Borrowed(""),
            result: SkillResult::Success,
            duration: None,
            cache_hit: false,
            agent: None,
            run_id: None,
            cuj_id: None,
            id: None,
        }
    }

    /// [`SkillView::parse`] in place: the view is large, and moving it around costs, so
    /// a reader of many lines fills one view held where it is used. `false` when the
    /// line is not a valid skill invocation (the view is then unspecified).
    #[inline]
    pub fn fill(&mut self, bytes: &'a [u8]) -> bool {
        *self = SkillView::empty();
        match self.scan(bytes) {
            Scanned::Object => true,
            Scanned::Invalid => false,
            Scanned::Unsure => match Self::parse_unsure(bytes) {
                Some(view) => {
                    *self = view;
                    true
                }
                None => false,
            },
        }
    }

    /// A line the scanner left to serde_json (escapes, mostly).
    #[cold]
    #[inline(never)]
    fn parse_unsure(bytes: &'a [u8]) -> Option<SkillView<'a>> {
        // One UTF-8 check, then serde_json reads from a `&str` without checking every
        // string again.
        let text = std::str::from_utf8(bytes).ok()?;
        if is_object_text(text) {
            serde_json::from_str(text).ok()
        } else {
            None
        }
    }

    /// The fast path, filling `self`: `Object` when the line is a valid invocation,
    /// `Invalid` when it is not, `Unsure` when serde_json must decide.
    fn scan(&mut self, bytes: &'a [u8]) -> Scanned {
        let mut times: [Option<Timestamp>; 2] = [None, None];
        let mut skill = None;
        let view = self;
        // By length and first byte, then one comparison of a known size (which compiles
        // to a load or two, not a call): every key of every line goes through here.
        let wanted = |key: &str| {
            let k = key.as_bytes();
            match (k.len(), k.first()) {
                (9, Some(b't')) if k == b"timestamp" => Some(0),
                (2, Some(b't')) if k == b"ts" => Some(1),
                (5, Some(b's')) if k == b"skill" => Some(2),
                (6, Some(b'r')) if k == b"result" => Some(3),
                (8, Some(b'd')) if k == b"duration" => Some(4),
                (8, Some(b'c')) if k == b"cacheHit" => Some(5),
                (5, Some(b'a')) if k == b"agent" => Some(6),
                (5, Some(b'r')) if k == b"runId" => Some(7),
                (5, Some(b'c')) if k == b"cujId" => Some(8),
                (2, Some(b'i')) if k == b"id" => Some(9),
                _ => None,
            }
        };
        let verdict = scan_object(bytes, wanted, |i, field| match (i, field) {
            (0 | 1, Field::Str(s)) => {
                times[i] = Timestamp::parse(s);
                times[i].is_some()
            }
            (0 | 1, Field::Num(n)) => {
                times[i] = Timestamp::parse_millis(n);
                times[i].is_some()
            }
            (2, Field::Str(s)) => {
                skill = Some(s);
                true
            }
            (3, Field::Str(s)) => s.parse().map(|r| view.result = r).is_ok(),
            (4, Field::Num(n)) => parse_f64(n).map(|d| view.duration = Some(d)).is_some(),
            (5, Field::Bool(b)) => {
                view.cache_hit = b;
                true
            }
            (4..=9, Field::Null) => true,
            (6..=9, Field::Str(s)) => {
                let slot = match i {
                    6 => &mut view.agent,
                    7 => &mut view.run_id,
                    8 => &mut view.cuj_id,
                    _ => &mut view.id,
                };
                *slot = Some(Cow::Borrowed(s));
                true
            }
            _ => false,
        });
        match verdict {
            Scanned::Object => match (times, skill) {
                // Both `timestamp` and `ts`: serde_json reports the duplicate.
                ([Some(_), Some(_)], _) => Scanned::Unsure,
                ([Some(t), None] | [None, Some(t)], Some(skill)) => {
                    view.timestamp = t;
                    view.skill = Cow::Borrowed(skill);
                    Scanned::Object
                }
                _ => Scanned::Invalid,
            },
            other => other,
        }
    }
}

fn null_as_false<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::parse_record;

    #[test]
    fn results_read_back_by_name() {
        for r in SkillResult::ALL {
            assert_eq!(r.as_str().parse::<SkillResult>(), Ok(r));
        }
        for bad in ["Success", "succes", "successs", "", "timeout "] {
            assert!(bad.parse::<SkillResult>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unknown_fields_round_trip() {
        let line = r#"{"timestamp":"2026-11-20T13:45:01.123Z","skill":"s","result":"success","cacheHit":false,"error":null,"custom":{"a":[1,2]},"zeta":1}"#;
        let rec: SkillInvocation = parse_record(line, "line").unwrap();
        assert_eq!(serde_json::to_string(&rec).unwrap(), line);
    }

    #[test]
    fn validation_names_fields() {
        let e = parse_record::<SkillInvocation>(r#"{"skill":"s","duration":-1}"#, "--record")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid --record: field duration: -1 must be a number of milliseconds from 0 to 10^11"
        );
        let e = parse_record::<SkillInvocation>(r#"{"skill":"s","result":"great"}"#, "--record")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid --record: field result: unknown variant, expected one of"),
            "{e}"
        );
        let e = parse_record::<SkillInvocation>(r#"{"result":"success"}"#, "--record").unwrap_err();
        assert!(e.to_string().contains("missing field `skill`"), "{e}");
        let e = parse_record::<SkillInvocation>(r#"[1]"#, "--record").unwrap_err();
        assert_eq!(e.to_string(), "invalid --record: expected a JSON object");
        let e =
            parse_record::<SkillInvocation>(r#"{"skill":"s","error":5}"#, "--record").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid --record: field error: must be null, a string or an object"
        );
    }

    #[test]
    fn fast_path_agrees_with_serde() {
        let lines = [
            r#"{"timestamp":"2026-11-20T13:45:01.123Z","skill":"s","result":"failure","duration":12.5,"cacheHit":true,"agent":"a","runId":"r","cujId":"c","id":"i","params":{"x":[1]}}"#,
            r#"{"ts":"2026-11-20T13:45:01Z","skill":"s"}"#,
            r#"{"ts":1763646301123,"skill":"s","duration":null,"cacheHit":null,"agent":null}"#,
            r#"{"ts":1.7636463e12,"skill":"s"}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","ts":"2026-11-20T13:45:01Z","skill":"s"}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s\u0041"}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":5}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z"}"#,
            r#"{"skill":"s"}"#,
            r#"{"timestamp":"yesterday","skill":"s"}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s","result":"great"}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s","result":null}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s","duration":"fast"}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s","duration":-3}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s","cacheHit":1}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s","agent":["a"]}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s","skill":"t"}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s""#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s","timestamp":null}"#,
            r#"{"timestamp":null,"skill":"s"}"#,
            r#"{"timestamp":"2026-11-20T13:45:01Z","skill":"s","extra":{"deep":[1,{"x":null}]}}"#,
            r#"{"timestamp":18446744073709551616,"skill":"s"}"#,
        ];
        assert!(SkillView::parse(br#"["2026-11-20T13:45:01Z","s"]"#).is_none());
        assert!(
            SkillView::parse(b"{\"timestamp\":\"2026-11-20T13:45:01Z\",\"skill\":\"\xff\"}")
                .is_none()
        );
        assert!(
            SkillView::parse(b"{\"timestamp\":\"2026-11-20T13:45:01Z\",\"skill\":\"\xc3\xa9\"}")
                .is_some()
        );
        assert!(SkillView::parse(br#"  ["2026-11-20T13:45:01Z","s\\u0041"]"#).is_none());
        for line in lines {
            let fast = SkillView::parse(line.as_bytes()).map(|v| format!("{v:?}"));
            let serde = serde_json::from_str::<SkillView>(line)
                .ok()
                .map(|v| format!("{v:?}"));
            assert_eq!(fast, serde, "{line}");
        }
    }

    #[test]
    fn view_accepts_ts_alias_and_borrows() {
        let v: SkillView = serde_json::from_str(
            r#"{"ts":"2026-11-20T13:45:01.123Z","skill":"s","cacheHit":null}"#,
        )
        .unwrap();
        assert!(matches!(v.skill, Cow::Borrowed("s")));
        assert_eq!(v.result, SkillResult::Success);
        assert!(!v.cache_hit);
    }
}
