//! A fast, validating scanner for one JSON object per line: it hands over the
//! top-level fields a query asks for and skips the others without building anything.
//!
//! It takes lines without backslashes (nearly all lines: escapes are rare), where every
//! `"` delimits a string. The quotes are found with SIMD (`memchr`), so string contents
//! are never walked byte by byte; only the short stretches between strings (`:`, `,`,
//! brackets, numbers, literals) are, and the whole JSON grammar is checked there.
//!
//! Each line is first classified in one pass, 64 bytes at a time (AVX2 where the CPU
//! has it, SWAR otherwise): a bit map of its quotes, and whether it holds any backslash
//! or control character. Finding the end of a string is then a few bit operations.
//!
//! Whenever the scanner meets something it does not handle itself — a backslash, a
//! control character, a wanted field given twice, nesting deeper than serde_json allows
//! — it answers [`Scanned::Unsure`] and the caller parses the line with serde_json,
//! which stays the authority.

use std::cell::RefCell;

/// A top-level value handed to the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    /// A string (its contents, without quotes).
    Str(&'a str),
    /// A number, as written.
    Num(&'a str),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object or array, as written.
    Nested(&'a str),
}

/// The scanner's verdict on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanned {
    /// A valid JSON object; every wanted field present was handed over.
    Object,
    /// Not a valid JSON object.
    Invalid,
    /// Could not decide cheaply: parse the line with serde_json.
    Unsure,
}

/// serde_json's recursion limit: deeper lines are left to it.
const MAX_DEPTH: usize = 127;

/// Scans `line` as one JSON object. For each top-level key that `wanted` maps to an
/// index (below 64), calls `on_field(index, value)`; `on_field` returns `false` to give up (the
/// value has a type the caller does not take), which makes the answer `Unsure`.
pub fn scan_object<'a>(
    bytes: &'a [u8],
    wanted: impl Fn(&str) -> Option<usize>,
    on_field: impl FnMut(usize, Field<'a>) -> bool,
) -> Scanned {
    QUOTES.with_borrow_mut(|quotes| {
        let class = classify(bytes, quotes);
        if class.special {
            return Scanned::Unsure;
        }
        let line = if class.ascii {
            // SAFETY: `classify` saw no byte at or above 0x80, so the bytes are ASCII,
            // which is valid UTF-8.
            unsafe { std::str::from_utf8_unchecked(bytes) }
        } else {
            match std::str::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => return Scanned::Invalid,
            }
        };
        let mut s = Scanner {
            s: line,
            b: bytes,
            quotes,
            word: 0,
            bits: quotes.first().copied().unwrap_or(0),
            i: 0,
            depth: 0,
        };
        s.object(wanted, on_field)
    })
}

thread_local! {
    /// The quote bit map of the line being scanned, reused from line to line.
    static QUOTES: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// What one pass over a line found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Class {
    /// A backslash or a control character is present.
    special: bool,
    /// Every byte is below 0x80.
    ascii: bool,
}

/// Fills `quotes` with one bit per byte of `bytes` (set for `"`), 64 bytes per word,
/// and says whether the line holds a backslash or a control character, and whether it
/// is all ASCII.
fn classify(bytes: &[u8], quotes: &mut Vec<u64>) -> Class {
    quotes.clear();
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { classify_avx2(bytes, quotes) };
    }
    classify_swar(bytes, quotes)
}

/// The last partial block, padded with spaces (neither quote nor special).
fn padded_tail(tail: &[u8]) -> [u8; 64] {
    let mut block = [b' '; 64];
    block[..tail.len()].copy_from_slice(tail);
    block
}

fn classify_swar(bytes: &[u8], quotes: &mut Vec<u64>) -> Class {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `x` that is zero, exactly (no carries between bytes).
    let zero_bytes = |x: u64| !(((x & !HIGH) + !HIGH) | x) & HIGH;
    let (mut special, mut high) = (false, 0u64);
    let mut classify_block = |block: &[u8]| {
        let mut bits = 0u64;
        for (k, chunk) in block.chunks_exact(8).enumerate() {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let word = u64::from_le_bytes(word);
            high |= word & HIGH;
            let quote = zero_bytes(word ^ (LOW * u64::from(b'"')));
            special |= (zero_bytes(word ^ (LOW * u64::from(b'\\')))
                | zero_bytes(word & (LOW * 0xE0)))
                != 0;
            // Gather the eight high bits into one byte.
            bits |= ((quote >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
        }
        quotes.push(bits);
    };
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        classify_block(block);
    }
    classify_block(&padded_tail(blocks.remainder()));
    Class {
        special,
        ascii: high == 0,
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn classify_avx2(bytes: &[u8], quotes: &mut Vec<u64>) -> Class {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_setzero_si256,
    };
    let quote = _mm256_set1_epi8(b'"' as i8);
    let backslash = _mm256_set1_epi8(b'\\' as i8);
    let below_space = _mm256_set1_epi8(0x1f);
    // Only the quotes are needed per block; the rest is gathered in two vectors and
    // looked at once per line: `special` has a byte set wherever a backslash or a
    // control byte was, `high` the sign bit of every byte at or above 0x80.
    let (mut special, mut high) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    let mut classify_block = |block: &[u8; 64]| {
        let mut bits = 0u64;
        for half in 0..2 {
            // SAFETY: `block` holds 64 bytes, so both 32-byte loads are in bounds; the
            // load has no alignment requirement.
            let v = unsafe { _mm256_loadu_si256(block.as_ptr().add(32 * half).cast::<__m256i>()) };
            bits |=
                u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, quote)) as u32) << (32 * half);
            high = _mm256_or_si256(high, v);
            // min(v, 0x1f) == v exactly when v <= 0x1f (unsigned): a control byte.
            let control = _mm256_cmpeq_epi8(_mm256_min_epu8(v, below_space), v);
            special = _mm256_or_si256(
                special,
                _mm256_or_si256(control, _mm256_cmpeq_epi8(v, backslash)),
            );
        }
        quotes.push(bits);
    };
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        let mut copy = [0u8; 64];
        copy.copy_from_slice(block);
        classify_block(&copy);
    }
    let tail = blocks.remainder().len();
    match bytes.last_chunk::<64>() {
        // The last 64 bytes, overlapping the block before (classified again, which
        // changes nothing), their quote bits shifted down to the tail's: no copy of a
        // variable length, which costs a call per line.
        Some(last) if tail > 0 => {
            classify_block(last);
            if let Some(bits) = quotes.last_mut() {
                *bits >>= 64 - tail;
            }
        }
        _ => classify_block(&padded_tail(blocks.remainder())),
    }
    Class {
        special: _mm256_movemask_epi8(special) != 0,
        ascii: _mm256_movemask_epi8(high) == 0,
    }
}

/// A JSON number as `f64`: plain decimals with up to 15 significant digits exactly and
/// quickly (an integer below 2^53 divided by an exact power of ten is correctly
/// rounded), everything else through the standard library.
pub fn parse_f64(n: &str) -> Option<f64> {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, digits) = match n.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, n),
    };
    let (mut mantissa, mut count, mut scale, mut seen_dot) = (0u64, 0usize, 0usize, false);
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                count += 1;
                if count > 15 {
                    return n.parse().ok();
                }
                mantissa = mantissa * 10 + u64::from(b - b'0');
                scale += usize::from(seen_dot);
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return n.parse().ok(),
        }
    }
    if count == 0 {
        return n.parse().ok();
    }
    // Below 10^15, so the signed conversion (one instruction) is exact.
    let v = mantissa as i64 as f64 / POW10[scale];
    Some(if negative { -v } else { v })
}

struct Scanner<'a, 'q> {
    s: &'a str,
    b: &'a [u8],
    /// Bit i of word i / 64 is set when byte i is `"`.
    quotes: &'q [u64],
    /// The word of `quotes` holding the next quote to take.
    word: usize,
    /// That word with the quotes already taken cleared.
    bits: u64,
    i: usize,
    depth: usize,
}

impl<'a> Scanner<'a, '_> {
    /// The position of the first quote not yet taken, which is then taken. Quotes are
    /// taken in order, each as a string opens or closes; since nothing else in the
    /// grammar may hold one, the next quote is always the one at the cursor or the
    /// one that closes its string. This runs on its own chain of bit operations,
    /// without waiting for the cursor, which is what keeps the scan fast.
    #[inline(always)]
    fn take_quote(&mut self) -> Option<usize> {
        while self.bits == 0 {
            self.word += 1;
            self.bits = *self.quotes.get(self.word)?;
        }
        let at = self.word * 64 + self.bits.trailing_zeros() as usize;
        self.bits &= self.bits - 1;
        Some(at)
    }

    fn object(
        &mut self,
        wanted: impl Fn(&str) -> Option<usize>,
        mut on_field: impl FnMut(usize, Field<'a>) -> bool,
    ) -> Scanned {
        if !self.eat_ws(b'{') {
            return Scanned::Invalid;
        }
        let mut seen: u64 = 0;
        if self.eat_ws(b'}') {
            return self.end();
        }
        loop {
            self.peek_ws();
            let Some(key) = self.string() else {
                return Scanned::Invalid;
            };
            if !self.eat_ws(b':') {
                return Scanned::Invalid;
            }
            self.peek_ws();
            match wanted(key) {
                Some(index) => {
                    let bit = 1u64 << index.min(63);
                    if seen & bit != 0 {
                        return Scanned::Unsure;
                    }
                    seen |= bit;
                    let Some(field) = self.field() else {
                        return self.verdict();
                    };
                    if !on_field(index, field) {
                        return Scanned::Unsure;
                    }
                }
                None => {
                    if self.value().is_none() {
                        return self.verdict();
                    }
                }
            }
            match self.next_ws() {
                Some(b',') => continue,
                Some(b'}') => return self.end(),
                _ => return Scanned::Invalid,
            }
        }
    }

    /// The next byte after any spaces (JSON's other whitespace makes a line special),
    /// the cursor on it. Compact lines have no spaces between tokens: one test.
    #[inline(always)]
    fn peek_ws(&mut self) -> Option<u8> {
        match self.peek() {
            Some(b' ') => {
                self.ws();
                self.peek()
            }
            c => c,
        }
    }

    /// [`Self::eat`] after any spaces.
    #[inline(always)]
    fn eat_ws(&mut self, c: u8) -> bool {
        if self.peek_ws() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// [`Self::next`] after any spaces.
    #[inline(always)]
    fn next_ws(&mut self) -> Option<u8> {
        let c = self.peek_ws();
        self.i += 1;
        c
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.i += 1;
        c
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ')) {
            self.i += 1;
        }
    }

    /// After the closing brace only whitespace may follow.
    fn end(&mut self) -> Scanned {
        self.ws();
        if self.i >= self.b.len() {
            Scanned::Object
        } else {
            Scanned::Invalid
        }
    }

    /// Too deep is not invalid, just not ours to judge.
    fn verdict(&self) -> Scanned {
        if self.depth > MAX_DEPTH {
            Scanned::Unsure
        } else {
            Scanned::Invalid
        }
    }

    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> bool {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    /// The string whose opening quote is at the cursor.
    #[inline(always)]
    fn string(&mut self) -> Option<&'a str> {
        let open = self.take_quote()?;
        if open != self.i {
            // No quote at the cursor (a quote's bit is set exactly where one is).
            return None;
        }
        // Without backslashes, the next quote closes the string.
        let close = self.take_quote()?;
        self.i = close + 1;
        debug_assert!(self.b[open] == b'"' && self.b.get(close) == Some(&b'"'));
        // SAFETY: `open < close < len` (both are positions of quotes in the line: the
        // classifier's bit map marks exactly those), and quotes are ASCII, so both ends
        // are character boundaries of the `&str`.
        Some(unsafe { self.s.get_unchecked(open + 1..close) })
    }

    /// A wanted value.
    #[inline(always)]
    fn field(&mut self) -> Option<Field<'a>> {
        let start = self.i;
        Some(match self.peek()? {
            b'"' => Field::Str(self.string()?),
            b'{' | b'[' => {
                self.value()?;
                Field::Nested(&self.s[start..self.i])
            }
            b't' if self.literal(b"true") => Field::Bool(true),
            b'f' if self.literal(b"false") => Field::Bool(false),
            b'n' if self.literal(b"null") => Field::Null,
            b'-' | b'0'..=b'9' => {
                self.number()?;
                Field::Num(&self.s[start..self.i])
            }
            _ => return None,
        })
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    #[inline(always)]
    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.') {
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    #[inline(always)]
    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn some_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }

    /// Skips any value, checking its grammar. The same grammar as [`Self::field`],
    /// without building what it read: writing this as `field().map(|_| ())` costs
    /// about 5% more instructions on the read path (callgrind, `stats`).
    #[inline(always)]
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' => self.container(b'}', true),
            b'[' => self.container(b']', false),
            b't' if self.literal(b"true") => Some(()),
            b'f' if self.literal(b"false") => Some(()),
            b'n' if self.literal(b"null") => Some(()),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// Skips an object (`keyed`, up to `}`) or an array (up to `]`) at the cursor.
    fn container(&mut self, close: u8, keyed: bool) -> Option<()> {
        self.i += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        if !self.eat_ws(close) {
            loop {
                self.peek_ws();
                if keyed {
                    self.string()?;
                    if !self.eat_ws(b':') {
                        return None;
                    }
                    self.peek_ws();
                }
                self.value()?;
                match self.next_ws()? {
                    b',' => {}
                    c if c == close => break,
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str, wanted: &[&str]) -> (Scanned, Vec<String>) {
        let mut got = Vec::new();
        let verdict = scan_object(
            line.as_bytes(),
            |k| wanted.iter().position(|w| *w == k),
            |i, f| {
                got.push(format!("{i}:{f:?}"));
                true
            },
        );
        (verdict, got)
    }

    #[test]
    fn extracts_wanted_fields() {
        let line = r#" {"a":"x","skip":{"n":[1,2.5e3,-0.1,true,null,"s q",{}]},"b":12.5,"c":true,"d":null,"e":[1], "f" : "" } "#;
        let (v, got) = fields(line, &["a", "b", "c", "d", "e", "f"]);
        assert_eq!(v, Scanned::Object);
        assert_eq!(
            got,
            [
                r#"0:Str("x")"#,
                r#"1:Num("12.5")"#,
                "2:Bool(true)",
                "3:Null",
                r#"4:Nested("[1]")"#,
                r#"5:Str("")"#
            ]
        );
        assert_eq!(fields("{}", &["a"]).0, Scanned::Object);
    }

    #[test]
    fn agrees_with_serde_on_validity() {
        let cases = [
            r#"{"a":1}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":-}"#,
            r#"{"a":1e}"#,
            r#"{"a":1E+2}"#,
            r#"{"a":tru}"#,
            r#"{"a":[1,2,]}"#,
            r#"{"a":{"b":}}"#,
            r#"{"a":{"b":1}"#,
            r#"{"a":"torn"#,
            r#"{"a":"torn","b"#,
            r#"{"a":1} x"#,
            r#"[1,2]"#,
            r#""str""#,
            r#"{"a":1}{"b":2}"#,
            r#"{"x":[{"y":[{"z":"w"}]}],"a":"ok"}"#,
            r#"{1:2}"#,
            r#"{"a":"x"y"}"#,
            r#"{"a":"x""y"}"#,
            r#"{"a":nul}"#,
            r#"{"a":true false}"#,
            r#"{"a":{"b" "c"}}"#,
            r#"{"a":["x" "y"]}"#,
            r#"{"a":-0.0e-0}"#,
            r#"{"é":"ü"}"#,
            "",
            "{",
            "}",
        ];
        for line in cases {
            let serde_ok =
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line).is_ok();
            match fields(line, &["a", "zzz"]).0 {
                Scanned::Object => assert!(serde_ok, "{line}: scanner accepted, serde refused"),
                Scanned::Invalid => assert!(!serde_ok, "{line}: scanner refused, serde accepted"),
                Scanned::Unsure => {}
            }
        }
    }

    /// Random edits of real-shaped lines: whatever the scanner decides, serde_json
    /// decides the same, and the fields it hands over are serde_json's.
    #[test]
    fn agrees_with_serde_on_mutated_lines() {
        let templates = [
            r#"{"timestamp":"2026-11-23T00:00:00.805Z","skill":"s-34","params":{"file":"src/m.rs","lines":444,"mode":"review"},"result":"failure","duration":6436.4,"cacheHit":false,"agent":"designer","error":null,"metadata":{"d":1.5,"c":[333,-1e3,true]},"id":"01JD"}"#,
            r#"{"a":[],"b":{},"c":[{"d":[]}],"e":"","f":0,"g":-0.5e+7} "#,
            r#" { "a" : "x" , "b" : [ 1 , 2 ] , "c" : { "d" : null } } "#,
        ];
        let alphabet = b"{}[]:,\"0123456789.eE+-truefalsn x";
        let wanted = [
            "timestamp",
            "skill",
            "params",
            "duration",
            "cacheHit",
            "error",
            "a",
            "b",
            "c",
            "f",
            "g",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut decided = 0;
        for round in 0..30_000 {
            let mut line = templates[round % templates.len()].as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(line.len() + 1);
                let c = alphabet[next(alphabet.len())];
                match next(3) {
                    0 if at < line.len() => line[at] = c,
                    1 if at < line.len() => {
                        line.remove(at);
                    }
                    _ => line.insert(at, c),
                }
            }
            let text = std::str::from_utf8(&line).unwrap();
            let serde: Option<serde_json::Map<String, serde_json::Value>> =
                serde_json::from_str(text).ok();
            let mut got = Vec::new();
            let verdict = scan_object(
                &line,
                |k| wanted.iter().position(|w| *w == k),
                |i, f| {
                    got.push((i, f));
                    true
                },
            );
            match (verdict, &serde) {
                (Scanned::Object, Some(map)) => {
                    decided += 1;
                    for (i, field) in got {
                        let value = &map[wanted[i]];
                        let same = match field {
                            Field::Str(s) => value.as_str() == Some(s),
                            Field::Num(n) => {
                                serde_json::from_str::<serde_json::Value>(n).ok().as_ref()
                                    == Some(value)
                            }
                            Field::Bool(b) => value.as_bool() == Some(b),
                            Field::Null => value.is_null(),
                            Field::Nested(n) => {
                                serde_json::from_str::<serde_json::Value>(n).ok().as_ref()
                                    == Some(value)
                            }
                        };
                        assert!(same, "{text}: field {} differs", wanted[i]);
                    }
                }
                (Scanned::Invalid, None) => decided += 1,
                (Scanned::Unsure, _) => {}
                (v, s) => panic!("{text}: scanner {v:?}, serde {}", s.is_some()),
            }
        }
        // Most lines are decided by the scanner itself, not left to serde_json.
        assert!(decided > 25_000, "{decided}");
    }

    #[test]
    fn fast_numbers_are_exact() {
        for n in [
            "0",
            "-0",
            "1",
            "1234",
            "1234.5",
            "0.1",
            "0.3",
            "-12.345",
            "999999999999999",
            "123456789.012345",
            "1e5",
            "1.5E-3",
            "12345678901234567",
            "0.1234567890123456789",
            "4.35",
            "36463011222222222222222222222222222",
            "-99999999999999999999999.5",
        ] {
            let want: f64 = n.parse().unwrap();
            assert_eq!(parse_f64(n).map(f64::to_bits), Some(want.to_bits()), "{n}");
        }
    }

    #[test]
    fn classifiers_agree() {
        let mut lines: Vec<Vec<u8>> =
            vec![Vec::new(), b"\"".to_vec(), "é\"ü\"".as_bytes().to_vec()];
        for len in [1, 7, 8, 9, 63, 64, 65, 70, 100, 127, 128, 129, 200] {
            let mut plain: Vec<u8> = (0..len)
                .map(|i| {
                    if i % 5 == 0 {
                        b'"'
                    } else {
                        b'a' + (i % 26) as u8
                    }
                })
                .collect();
            lines.push(plain.clone());
            for special in [b'\\', b'\t', 0x00, 0x1f, 0x7f, 0x80, 0xff] {
                let mut last = plain.clone();
                last[len - 1] = special;
                lines.push(last);
                plain[len / 2] = special;
                lines.push(plain.clone());
            }
        }
        for line in lines {
            let want_quotes: Vec<usize> = line
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'"')
                .map(|(i, _)| i)
                .collect();
            let want = Class {
                special: line.iter().any(|&b| b == b'\\' || b < 0x20),
                ascii: line.is_ascii(),
            };
            let mut swar = Vec::new();
            assert_eq!(classify_swar(&line, &mut swar), want, "{line:?}");
            let got: Vec<usize> = (0..line.len())
                .filter(|&i| swar[i / 64] >> (i % 64) & 1 == 1)
                .collect();
            assert_eq!(got, want_quotes, "{line:?}");
            let mut auto = Vec::new();
            assert_eq!(classify(&line, &mut auto), want);
            assert_eq!(auto, swar);
        }
    }

    #[test]
    fn leaves_the_unusual_to_serde() {
        assert_eq!(fields(r#"{"a":"x\"y"}"#, &["a"]).0, Scanned::Unsure);
        assert_eq!(fields(r#"{"a\u0062":1}"#, &["ab"]).0, Scanned::Unsure);
        assert_eq!(fields(r#"{"a":1,"a":2}"#, &["a"]).0, Scanned::Unsure);
        assert_eq!(fields("{\"a\":\"tab\there\"}", &["b"]).0, Scanned::Unsure);
        assert_eq!(fields("{\t\"a\":1}", &["b"]).0, Scanned::Unsure);
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(fields(&deep, &["b"]).0, Scanned::Unsure);
        assert_eq!(
            scan_object(br#"{"a":5}"#, |k| (k == "a").then_some(0), |_, _| false),
            Scanned::Unsure
        );
    }
}
