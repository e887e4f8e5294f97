//! Redaction checked on JSON text, without building a `serde_json::Value`: the bulk
//! append path keeps a record's free-form fields (`params`, `metadata`, unknown fields)
//! as the text it read, and copies that text to disk when this module says that parsing
//! it, redacting it ([`super::Redactor::redact_value`]) and serializing it again would give the
//! same bytes. That holds when the text is already in the form serde_json writes
//! (compact, its escapes, its numbers, no key given twice) and the redactor would change
//! nothing in it. The walk below makes the same decisions as `Redactor::walk`, through
//! the same helpers; whenever it cannot vouch, the caller takes the ordinary path.

use std::borrow::Cow;

use super::{KeyKind, Memo, NAMING_KEYS, REDACTED, hides};

/// Nesting deeper than this is left to serde_json (whose own limit is 128).
const MAX_DEPTH: usize = 100;

/// An object's entry: its key, decoded, and its value as JSON text.
type Entry<'a> = (Cow<'a, str>, &'a str);

impl Memo<'_> {
    /// Whether `raw` (one JSON value, valid as serde_json read it) may be written as it
    /// is where [`super::Redactor::redact_value`] on its parsed value and serde_json's compact
    /// serialization would otherwise be: true only when both give exactly `raw` back.
    pub fn keeps_raw(&mut self, raw: &str) -> bool {
        let mut stack = std::mem::take(&mut self.entries);
        let kept = self
            .raw_value(raw, KeyKind::Ordinary, 0, &mut stack)
            .is_some();
        self.entries = recycle(stack);
        kept
    }

    /// [`Memo::keeps_raw`] for the entries of an object given apart (a record's
    /// unknown fields): keys decoded, values as JSON text, redacted as
    /// [`super::Redactor::redact_map`] would. False when a key is given twice.
    pub fn keeps_raw_entries<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (Cow<'a, str>, &'a str)>,
    ) -> bool {
        let mut stack: Vec<Entry<'a>> = std::mem::take(&mut self.entries);
        stack.extend(entries);
        let kept = self.raw_entries(0, false, 0, &mut stack).is_some();
        self.entries = recycle(stack);
        kept
    }

    /// One value; `None` when it is not kept as it is.
    fn raw_value<'a>(
        &mut self,
        raw: &'a str,
        under: KeyKind,
        depth: usize,
        stack: &mut Vec<Entry<'a>>,
    ) -> Option<()> {
        let b = raw.as_bytes();
        match *b.first()? {
            b'"' => {
                let (s, end) = string(raw, 0)?;
                (end == b.len()).then_some(())?;
                self.raw_string(&s, under)
            }
            b'{' => self.raw_object(raw, under == KeyKind::Secret, depth + 1, stack),
            b'[' => self.raw_array(raw, under, depth + 1, stack),
            b't' => (raw == "true").then_some(()),
            b'f' => (raw == "false").then_some(()),
            b'n' => (raw == "null").then_some(()),
            _ => canonical_number(raw).then_some(()),
        }
    }

    /// A string under a key judged `under`: kept when the redactor leaves it alone.
    fn raw_string(&mut self, s: &str, under: KeyKind) -> Option<()> {
        if hides(under, s) {
            // Already `[REDACTED]` stays so; anything else would change.
            return (s == REDACTED).then_some(());
        }
        match self.redact_str(s) {
            Cow::Borrowed(_) => Some(()),
            Cow::Owned(_) => None,
        }
    }

    /// An array: an element that names a secret judges the one after it, as in `walk`.
    fn raw_array<'a>(
        &mut self,
        raw: &'a str,
        under: KeyKind,
        depth: usize,
        stack: &mut Vec<Entry<'a>>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let b = raw.as_bytes();
        let mut i = 1;
        let mut next = KeyKind::Ordinary;
        if b.get(i) == Some(&b']') {
            return (i + 1 == b.len()).then_some(());
        }
        // The strings so far, for the argument-vector reading (`walk`'s `redact_argv`);
        // `None` once an element is not a string.
        let mut args: Option<Vec<Cow<'a, str>>> = Some(Vec::new());
        loop {
            let named = std::mem::replace(&mut next, KeyKind::Ordinary);
            let kind = if named == KeyKind::Ordinary {
                under
            } else {
                named
            };
            let end = skip_value(b, i)?;
            let item = &raw[i..end];
            if item.starts_with('"') {
                let (s, after) = string(raw, i)?;
                (after == end).then_some(())?;
                next = self.redactor.argument_name(&s);
                self.raw_string(&s, kind)?;
                if let Some(list) = args.as_mut() {
                    list.push(s);
                }
            } else {
                args = None;
                self.raw_value(item, kind, depth, stack)?;
            }
            i = end;
            match b.get(i)? {
                b',' => i += 1,
                b']' => {
                    let strs: Vec<&str> = args.iter().flatten().map(|a| a.as_ref()).collect();
                    if args.is_some()
                        && self
                            .redactor
                            .argv_changes(&strs)
                            .is_some_and(|c| !c.is_empty())
                    {
                        return None;
                    }
                    return (i + 1 == b.len()).then_some(());
                }
                _ => return None,
            }
        }
    }

    /// An object: its entries are listed first (the `name` entry judges `value`), then
    /// each is judged as in `walk_map`.
    fn raw_object<'a>(
        &mut self,
        raw: &'a str,
        secret: bool,
        depth: usize,
        stack: &mut Vec<Entry<'a>>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let b = raw.as_bytes();
        let base = stack.len();
        let mut i = 1;
        if b.get(i) == Some(&b'}') {
            return (i + 1 == b.len()).then_some(());
        }
        let listed = loop {
            if b.get(i) != Some(&b'"') {
                break None;
            }
            let Some((key, after)) = string(raw, i) else {
                break None;
            };
            if b.get(after) != Some(&b':') {
                break None;
            }
            let start = after + 1;
            let Some(end) = skip_value(b, start) else {
                break None;
            };
            stack.push((key, &raw[start..end]));
            i = end;
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') if i + 1 == b.len() => break Some(()),
                _ => break None,
            }
        };
        let kept = listed.and_then(|()| self.raw_entries(base, secret, depth, stack));
        stack.truncate(base);
        kept
    }

    /// The entries `stack[base..]` of one object, judged as `walk_map` does.
    fn raw_entries<'a>(
        &mut self,
        base: usize,
        secret: bool,
        depth: usize,
        stack: &mut Vec<Entry<'a>>,
    ) -> Option<()> {
        let end = stack.len();
        let entries = &stack[base..end];
        // A key given twice: serde_json keeps one value, at the first one's place.
        if entries.len() <= 16 {
            for (n, (k, _)) in entries.iter().enumerate() {
                if entries[..n].iter().any(|(other, _)| other == k) {
                    return None;
                }
            }
        } else {
            let mut seen = rustc_hash::FxHashSet::default();
            if !entries.iter().all(|(k, _)| seen.insert(k.as_ref())) {
                return None;
            }
        }
        let mut named = KeyKind::Ordinary;
        for name in NAMING_KEYS {
            if let Some((_, v)) = entries.iter().find(|(k, _)| k == name)
                && v.starts_with('"')
            {
                let (s, _) = string(v, 0)?;
                named = self.redactor.key_kind(&s);
                break;
            }
        }
        for n in base..end {
            let (key, value) = (stack[n].0.clone(), stack[n].1);
            let (kind, holds_secret) = self.judged(&key);
            if holds_secret {
                return None;
            }
            let under = self.redactor.entry_kind(&key, kind, secret, named);
            self.raw_value(value, under, depth, stack)?;
        }
        Some(())
    }
}

/// `entries`, emptied, as room for entries of any lifetime: collecting an empty vector's
/// items into the same kind of vector reuses its memory, so objects are judged without
/// an allocation each.
fn recycle<'b>(mut entries: Vec<Entry<'_>>) -> Vec<Entry<'b>> {
    entries.clear();
    // The vector is empty: the conversion below is never called, it only gives the type.
    entries
        .into_iter()
        .map(|(key, _)| (Cow::Owned(key.into_owned()), ""))
        .collect()
}

/// The string starting with the quote at `i`: its contents, decoded, and the index after
/// its closing quote. `None` when it holds an escape serde_json would not write (`\/`,
/// `\u0041`, upper-case hex): it would come out different.
fn string(raw: &str, i: usize) -> Option<(Cow<'_, str>, usize)> {
    let b = raw.as_bytes();
    let start = i + 1;
    let mut at = start;
    let mut decoded: Option<String> = None;
    loop {
        let found = at + memchr::memchr2(b'"', b'\\', b.get(at..)?)?;
        if b[found] == b'"' {
            let tail = &raw[at..found];
            return Some(match decoded {
                None => (Cow::Borrowed(&raw[start..found]), found + 1),
                Some(mut s) => {
                    s.push_str(tail);
                    (Cow::Owned(s), found + 1)
                }
            });
        }
        let s = decoded.get_or_insert_with(String::new);
        s.push_str(&raw[at..found]);
        let c = match *b.get(found + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex = b.get(found + 2..found + 6)?;
                let lower = |c: u8| match c {
                    b'0'..=b'9' => Some(c - b'0'),
                    b'a'..=b'f' => Some(c - b'a' + 10),
                    _ => None,
                };
                if hex[..2] != *b"00" {
                    return None;
                }
                let code = lower(hex[2])? * 16 + lower(hex[3])?;
                // serde_json writes these five with their short escapes, and nothing
                // from 0x20 up as `\u`.
                if code >= 0x20 || matches!(code, 0x8 | 0x9 | 0xa | 0xc | 0xd) {
                    return None;
                }
                at = found + 6;
                s.push(char::from(code));
                continue;
            }
            _ => return None,
        };
        s.push(c);
        at = found + 2;
    }
}

/// The index just after the value starting at `i` (no whitespace allowed around it).
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut at = i;
            loop {
                match *b.get(at)? {
                    b'"' => {
                        at = skip_string(b, at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
        }
        _ => {
            let len = b[i..]
                .iter()
                .position(|c| matches!(c, b',' | b'}' | b']' | b':'))
                .unwrap_or(b.len() - i);
            (len > 0).then_some(i + len)
        }
    }
}

/// The index after the string starting with the quote at `i`.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut at = i + 1;
    loop {
        let found = at + memchr::memchr2(b'"', b'\\', b.get(at..)?)?;
        if b[found] == b'"' {
            return Some(found + 1);
        }
        at = found + 2;
    }
}

/// Whether serde_json writes the number it reads from `text` as `text` again: integers
/// that fit `u64` or `i64` (but `-0`, which it reads as a float), and floats in the
/// shortest form that reads back the same.
fn canonical_number(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        // Valid JSON: no leading zero but `0` itself.
        let short = if b[0] == b'-' {
            digits.len() <= 18 && digits != b"0"
        } else {
            digits.len() <= 19
        };
        if short {
            return true;
        }
    }
    let Ok(number) = serde_json::from_str::<serde_json::Number>(text) else {
        return false;
    };
    let mut again = Vec::with_capacity(text.len());
    serde_json::to_writer(&mut again, &number).is_ok() && again == b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;
    use serde_json::Value;

    /// The reference: parse, redact, serialize.
    fn slow(r: &Redactor, raw: &str) -> String {
        let mut v: Value = serde_json::from_str(raw).unwrap();
        r.redact_value(&mut v);
        v.to_string()
    }

    #[test]
    fn kept_exactly_when_the_slow_path_gives_the_same_text() {
        let r = Redactor::default();
        let kept = [
            r#"{"command":"cargo test","path":"src/lib.rs","max_tokens":4096}"#,
            r#"{"a":[1,-2,3.5,1e-7,true,false,null,{"b":"c"}],"d":{}}"#,
            r#"[]"#,
            r#""plain""#,
            r#"{"msg":"line\nnext\t\"quoted\" back\\slash \u001f"}"#,
            r#"{"prose":"café – naïve 日本語 🚀"}"#,
            r#"{"password":"[REDACTED]"}"#,
            r#"{"token_budget":500,"tokenizer":"cl100k","password_policy":{"min":8}}"#,
            r#"{"env":["PATH=/usr/bin","HOME=/root"]}"#,
            r#"{"name":"DB_HOST","value":"db.internal"}"#,
            r#"{"sha":"9fceb02d0ae598e95dc970b74767f19372d61af8","uuid":"123e4567-e89b-12d3-a456-426614174000"}"#,
            "-9223372036854775808",
            "18446744073709551615",
            "0.1",
            "1e+100",
        ];
        let mut memo = r.memo();
        // Twice each: the second time from the memo.
        for raw in kept.iter().chain(&kept) {
            assert_eq!(slow(&r, raw), *raw, "the reference changed {raw}");
            assert!(memo.keeps_raw(raw), "{raw}");
        }
        let changed = [
            // Not in serde_json's own form.
            r#"{"a": 1}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":1.50}"#,
            r#"{"a":1E5}"#,
            r#"{"a":-0}"#,
            r#"{"a":18446744073709551616}"#,
            r#"[1 ,2]"#,
            // Redacted.
            r#"{"password":"hunter2"}"#,
            r#"{"cmd":"psql postgres://app:s3cretPw@db/prod"}"#,
            r#"{"env":{"GITHUB_TOKEN":"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"}}"#,
            r#"["--password","hunter2"]"#,
            r#"{"name":"DB_PASSWORD","value":"x8Fj2kLq9"}"#,
            r#"{"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789":1}"#,
            r#"{"credentials":{"value":"bob42x"}}"#,
            r#"{"t":"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz"}"#,
            r#"{"escaped":"pass\u0000word=hunter2","password":"x\"y"}"#,
        ];
        // The room for object entries is kept from one value to the next.
        assert!(memo.entries.capacity() >= 3);
        for raw in changed.iter().chain(&changed) {
            assert_ne!(slow(&r, raw), *raw, "the reference kept {raw}");
            assert!(!memo.keeps_raw(raw), "{raw}");
        }
    }

    #[test]
    fn entries_given_apart_are_judged_as_one_object() {
        let r = Redactor::default();
        let mut memo = r.memo();
        let mut keeps = |pairs: &[(&'static str, &'static str)]| {
            memo.keeps_raw_entries(pairs.iter().map(|(k, v)| (Cow::Borrowed(*k), *v)))
        };
        assert!(keeps(&[("model", r#""gpt-4o""#), ("n", "1")]));
        assert!(!keeps(&[("apiKey", r#""abc123xyz""#)]));
        assert!(!keeps(&[("m", "1"), ("m", "2")]));
        assert!(!keeps(&[
            ("value", r#""x8Fj2kLq9""#),
            ("name", r#""DB_PASSWORD""#)
        ]));
        assert!(keeps(&[
            ("value", r#""x8Fj2kLq9""#),
            ("name", r#""DB_HOST""#)
        ]));
    }

    #[test]
    fn the_memo_answers_as_the_redactor_does() {
        let r = Redactor::default();
        let mut memo = r.memo();
        let texts = [
            "developer",
            "claude-opus-4-6",
            "services/auth/session.go",
            "token limit exceeded (8192 > 4096)",
            "psql postgres://app:s3cretPw9@db/prod",
            "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            "",
            "a string longer than sixty-three bytes, which the memo does not remember at all",
        ];
        // Many times each, in turn, so that slots are found, missed and taken over.
        for round in 0..3 {
            for n in 0..2000 {
                let generated = format!("run-{n} sk-{n:0>40}");
                for text in texts.iter().copied().chain([generated.as_str()]) {
                    assert_eq!(memo.redact_str(text), r.redact_str(text), "{round} {text}");
                }
            }
        }
        assert_eq!(memo.redact_str(texts[5]), "[REDACTED]");
        // Key names, many more than slots, each judged as the redactor judges it.
        let keys = [
            "password",
            "max_tokens",
            "tokenizer",
            "apiKey",
            "session_id",
            "auth",
            "url",
            "model",
            "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            "a key name longer than slots",
        ];
        for round in 0..3 {
            for n in 0..600 {
                let generated = format!("field_{n}_token");
                for key in keys.iter().copied().chain([generated.as_str()]) {
                    assert_eq!(memo.judged(key), r.judged(key), "{round} {key}");
                }
            }
        }
        // A redactor with a pattern of its own: its memo answers for it.
        let custom = Redactor::new(&[], &["claude-[a-z]+".to_string()], "test").unwrap();
        let mut theirs = custom.memo();
        assert_eq!(memo.redact_str("claude-opus-4-6"), "claude-opus-4-6");
        assert_eq!(theirs.redact_str("claude-opus-4-6"), "[REDACTED]-4-6");
        assert!(std::ptr::eq(theirs.redactor(), &custom));
    }

    #[test]
    fn numbers_are_canonical_only_in_serde_json_form() {
        for (text, canonical) in [
            ("0", true),
            ("-1", true),
            ("1.5", true),
            ("1.0", true),
            ("1", true),
            ("1e3", false),
            ("1000.0", true),
            ("1.5e300", false),
            ("1.5e+300", true),
            ("0.30000000000000004", true),
            ("0.3000000000000000444", false),
            ("-0", false),
            ("-0.0", true),
            ("99999999999999999999", false),
        ] {
            assert_eq!(canonical_number(text), canonical, "{text}");
        }
    }
}
