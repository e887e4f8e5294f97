//! Record times: milliseconds since the Unix epoch, written as RFC 3339 UTC.

use std::fmt;

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time with millisecond precision, stored as milliseconds since the Unix
/// epoch and written as `2026-11-20T13:45:01.123Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Self::from(Utc::now())
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// As a chrono time.
    pub fn to_datetime(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.0)
            .single()
            .unwrap_or_default()
    }

    /// The UTC date, which names the daily file the record goes to.
    pub fn utc_date(self) -> NaiveDate {
        self.to_datetime().date_naive()
    }

    /// The day it falls on as `YYYY-MM-DD`: in the local time zone (`TZ` honoured), or
    /// in UTC. Daily groupings (stats, usage, the dashboard) all use this.
    ///
    /// ```
    /// use ccmon::record::Timestamp;
    /// let t = Timestamp::parse("2026-11-20T23:30:00Z").unwrap();
    /// assert_eq!(t.day(true), "2026-11-20");
    /// ```
    pub fn day(self, utc: bool) -> String {
        let dt = self.to_datetime();
        if utc {
            dt.format("%Y-%m-%d").to_string()
        } else {
            dt.with_timezone(&chrono::Local)
                .format("%Y-%m-%d")
                .to_string()
        }
    }

    /// Milliseconds since the epoch given as a fractional number: truncated to whole
    /// milliseconds; `None` when not finite or beyond ±9e15 (about 285 000 years).
    pub fn from_millis_f64(v: f64) -> Option<Timestamp> {
        (v.is_finite() && v.abs() < 9e15).then_some(Timestamp(v as i64))
    }

    /// Milliseconds since the epoch as a JSON number's text, read as the deserializer
    /// reads the number: integers exactly (within `i64`), others through `f64`.
    pub fn parse_millis(n: &str) -> Option<Timestamp> {
        if n.bytes().any(|b| matches!(b, b'.' | b'e' | b'E')) {
            Self::from_millis_f64(n.parse().ok()?)
        } else {
            n.parse().ok().map(Timestamp)
        }
    }

    /// Parses RFC 3339 text. The canonical form (`YYYY-MM-DDTHH:MM:SS.sssZ`) takes a
    /// fast path; other offsets and precisions go through chrono.
    ///
    /// ```
    /// use ccmon::record::Timestamp;
    /// let t = Timestamp::parse("2026-11-20T13:45:01.123Z").unwrap();
    /// assert_eq!(t.to_string(), "2026-11-20T13:45:01.123Z");
    /// assert_eq!(Timestamp::parse("2026-11-20T15:45:01.123+02:00"), Some(t));
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        fast_parse(s.as_bytes()).or_else(|| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| Timestamp(t.with_timezone(&Utc).timestamp_millis()))
        })
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp(t.timestamp_millis())
    }
}

impl Timestamp {
    /// The RFC 3339 text into `buf` without chrono's formatting machinery (every record
    /// written goes through here): the same text chrono writes, for years 0 to 9999;
    /// `None` for others, which chrono writes with a sign.
    fn format_into(self, buf: &mut [u8; 24]) -> Option<&str> {
        use chrono::{Datelike, Timelike};
        let t = self.to_datetime();
        let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
        let fields = [
            (0, 4, year),
            (5, 2, t.month()),
            (8, 2, t.day()),
            (11, 2, t.hour()),
            (14, 2, t.minute()),
            (17, 2, t.second()),
            (20, 3, t.timestamp_subsec_millis()),
        ];
        *buf = *b"0000-00-00T00:00:00.000Z";
        for (at, width, mut value) in fields {
            for i in (at..at + width).rev() {
                buf[i] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        std::str::from_utf8(buf).ok()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format_into(&mut [0; 24]) {
            Some(text) => f.write_str(text),
            None => f.write_str(
                &self
                    .to_datetime()
                    .to_rfc3339_opts(SecondsFormat::Millis, true),
            ),
        }
    }
}

impl Serialize for Timestamp {
    /// RFC 3339 text in JSON; milliseconds in binary formats (rollups).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !s.is_human_readable() {
            return s.serialize_i64(self.0);
        }
        match self.format_into(&mut [0; 24]) {
            Some(text) => s.serialize_str(text),
            None => s.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 time or milliseconds since the epoch")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v)
                    .ok_or_else(|| E::custom(format!("{v:?} is not an RFC 3339 time")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
                Ok(Timestamp(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
                i64::try_from(v)
                    .map(Timestamp)
                    .map_err(|_| E::custom("time out of range"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Timestamp, E> {
                Timestamp::from_millis_f64(v).ok_or_else(|| E::custom("time out of range"))
            }
        }
        if d.is_human_readable() {
            d.deserialize_any(Visitor)
        } else {
            d.deserialize_i64(Visitor)
        }
    }
}

thread_local! {
    /// The last date [`fast_parse`] read (its ten bytes, little-endian) and its day
    /// number: lines come in time order, so nearly every line repeats it.
    static LAST_DATE: std::cell::Cell<(u64, u16, i64)> = const { std::cell::Cell::new((0, 0, 0)) };
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` without chrono: the form every ccmon writer uses.
fn fast_parse(b: &[u8]) -> Option<Timestamp> {
    let head: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    if b.len() < 20 || !matches!(head[10], b'T' | b't') || head[13] != b':' || head[16] != b':' {
        return None;
    }
    let digit = |i: usize| head[i].wrapping_sub(b'0');
    // Every digit checked at once, without a branch each (this runs for every line read).
    let digits = |at: &[usize]| at.iter().fold(0u8, |bad, &i| bad | u8::from(digit(i) > 9)) == 0;
    let two = |i: usize| i64::from(digit(i)) * 10 + i64::from(digit(i + 1));
    let (date8, date2) = (
        u64::from_le_bytes([
            head[0], head[1], head[2], head[3], head[4], head[5], head[6], head[7],
        ]),
        u16::from_le_bytes([head[8], head[9]]),
    );
    let days = match LAST_DATE.get() {
        (d8, d2, days) if d8 == date8 && d2 == date2 && date8 != 0 => days,
        _ => {
            if head[4] != b'-' || head[7] != b'-' || !digits(&[0, 1, 2, 3, 5, 6, 8, 9]) {
                return None;
            }
            let (year, month, day) = (two(0) * 100 + two(2), two(5), two(8));
            if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
                return None;
            }
            let days = days_from_civil(year, month, day);
            LAST_DATE.set((date8, date2, days));
            days
        }
    };
    if !digits(&[11, 12, 14, 15, 17, 18]) {
        return None;
    }
    let (hour, min, sec) = (two(11), two(14), two(17));
    let millis = match &b[19..] {
        [b'Z' | b'z'] => 0,
        [b'.', rest @ .., b'Z' | b'z'] if !rest.is_empty() && rest.len() <= 9 => {
            let mut ms = 0;
            for i in 0..3 {
                let d = match rest.get(i) {
                    Some(c) if c.is_ascii_digit() => i64::from(c - b'0'),
                    Some(_) => return None,
                    None => 0,
                };
                ms = ms * 10 + d;
            }
            if !rest.iter().all(u8::is_ascii_digit) {
                return None;
            }
            ms
        }
        _ => return None,
    };
    if hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    Some(Timestamp(
        ((days * 24 + hour) * 60 + min) * 60_000 + sec * 1000 + millis,
    ))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_as_chrono_writes_it() {
        let mut values = vec![
            0,
            -1,
            1,
            999,
            1_763_646_301_123,
            -62_167_219_200_000, // 0000-01-01T00:00:00Z
            -62_167_219_200_001, // the millisecond before: year -1
            253_402_300_799_999, // 9999-12-31T23:59:59.999Z
            253_402_300_800_000, // 10000-01-01
            i64::MAX,
            i64::MIN,
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push((x % 600_000_000_000_000) as i64 - 300_000_000_000_000);
        }
        for v in values {
            let t = Timestamp(v);
            let chrono = t.to_datetime().to_rfc3339_opts(SecondsFormat::Millis, true);
            assert_eq!(t.to_string(), chrono, "{v}");
            assert_eq!(
                serde_json::to_string(&t).unwrap(),
                format!("\"{chrono}\""),
                "{v}"
            );
        }
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        for s in [
            "2026-11-20T13:45:01.123Z",
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59.999Z",
            "2024-12-31T00:00:00.5Z",
            "2026-03-01T12:00:00.123456Z",
            "1969-12-31T23:59:59.000Z",
        ] {
            let chrono = DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
            assert_eq!(fast_parse(s.as_bytes()), Some(Timestamp(chrono)), "{s}");
        }
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-11-20 13:45:01Z",
            "2026-11-20T13:45:01.Z",
            "x",
            "2026-11-20T25:00:00Z",
        ] {
            assert_eq!(fast_parse(bad.as_bytes()), None, "{bad}");
        }
        // Any byte other than a digit where a digit belongs, or other than the separator
        // where one belongs: never a time chrono would not read the same.
        let good = *b"2026-11-20T13:45:01.123Z";
        for at in 0..good.len() {
            for c in [b'/', b':', b'0', b'9', b'a', b' ', b'-', b'T', b'.', 0x80] {
                let mut text = good;
                text[at] = c;
                let chrono = std::str::from_utf8(&text)
                    .ok()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| Timestamp(t.timestamp_millis()));
                if let Some(fast) = fast_parse(&text) {
                    assert_eq!(Some(fast), chrono, "{:?}", String::from_utf8_lossy(&text));
                }
            }
        }
        assert_eq!(
            Timestamp::parse("2026-11-20T13:45:01+01:00")
                .unwrap()
                .to_string(),
            "2026-11-20T12:45:01.000Z"
        );
    }
}
