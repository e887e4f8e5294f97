//! DURATION and TIME arguments: `90s`, `1h30m`, bare milliseconds, RFC 3339, dates.

use chrono::{DateTime, Local, NaiveDate, TimeDelta, TimeZone, Utc};

use crate::error::{Error, Result};

/// Parses a DURATION: `500ms`, `90s`, `15m`, `24h`, `7d`, `2w`, combinations such as
/// `1h30m`, or a bare number meaning milliseconds. Fractions are allowed (`1.5h`,
/// `250.5`). Negative, empty and unit-less combinations are refused.
///
/// `field` names the flag or argument in the error message.
///
/// ```
/// use ccmon::timespec::parse_duration;
/// assert_eq!(parse_duration("1h30m", "--window").unwrap().num_minutes(), 90);
/// assert_eq!(parse_duration("86400000", "WINDOW").unwrap().num_hours(), 24);
/// assert!(parse_duration("-5m", "--window").is_err());
/// ```
pub fn parse_duration(input: &str, field: &str) -> Result<TimeDelta> {
    let ms = parse_duration_ms(input, field)?;
    // Sub-millisecond parts are kept as nanoseconds.
    let nanos = (ms * 1e6).round();
    if !nanos.is_finite() || nanos > i64::MAX as f64 {
        return Err(bad_duration(field, input, "too large"));
    }
    Ok(TimeDelta::nanoseconds(nanos as i64))
}

/// Parses a DURATION into milliseconds (see [`parse_duration`]).
pub fn parse_duration_ms(input: &str, field: &str) -> Result<f64> {
    let s = input.trim();
    if s.is_empty() {
        return Err(bad_duration(field, input, "nothing given"));
    }
    if s.starts_with('-') {
        return Err(bad_duration(field, input, "negative"));
    }
    // A bare number is milliseconds (the original tools' form).
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return s
            .parse::<f64>()
            .map_err(|_| bad_duration(field, input, "not a number"));
    }
    let mut total = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(bad_duration(field, input, "no number before a unit"));
        }
        let value: f64 = rest[..num_len]
            .parse()
            .map_err(|_| bad_duration(field, input, "a malformed number"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let factor = match unit {
            "ms" => 1.0,
            "s" | "sec" => 1_000.0,
            "m" | "min" => super::MINUTE_MS as f64,
            "h" => super::HOUR_MS as f64,
            "d" => super::DAY_MS as f64,
            "w" => super::WEEK_MS as f64,
            "" => {
                return Err(bad_duration(field, input, "a number without its unit"));
            }
            _ => {
                return Err(bad_duration(
                    field,
                    input,
                    "an unknown unit (use ms, s, m, h, d or w)",
                ));
            }
        };
        total += value * factor;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

fn bad_duration(field: &str, input: &str, why: &str) -> Error {
    Error::invalid(
        field,
        format!(
            "got {}: {why}; expected a DURATION such as 500ms, 90s, 15m, 24h, 7d, 2w, 1h30m or milliseconds",
            crate::error::value_kind(input)
        ),
    )
}

/// Parses a TIME: RFC 3339 (`2026-11-20T13:45:01Z`), a date `YYYY-MM-DD` (the start
/// of that day, local time unless `utc`), or a DURATION meaning that long before `now`.
///
/// ```
/// use ccmon::timespec::parse_time;
/// let now = "2026-11-21T12:00:00Z".parse().unwrap();
/// let t = parse_time("2h", "--since", now, true).unwrap();
/// assert_eq!(t.to_rfc3339(), "2026-11-21T10:00:00+00:00");
/// let d = parse_time("2026-11-20", "--since", now, true).unwrap();
/// assert_eq!(d.to_rfc3339(), "2026-11-20T00:00:00+00:00");
/// ```
pub fn parse_time(
    input: &str,
    field: &str,
    now: DateTime<Utc>,
    utc: bool,
) -> Result<DateTime<Utc>> {
    let s = input.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        return Ok(if utc {
            Utc.from_utc_datetime(&midnight)
        } else {
            // At a daylight-saving gap midnight may not exist: take the earliest valid.
            Local
                .from_local_datetime(&midnight)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
        });
    }
    match parse_duration(s, field) {
        Ok(d) => Ok(now - d),
        Err(_) => Err(Error::invalid(
            field,
            format!(
                "got {}, not a TIME; expected RFC 3339 (2026-11-20T13:45:00Z), a date (2026-11-20) or a DURATION ago (24h, 7d)",
                crate::error::value_kind(input)
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases: &[(&str, f64)] = &[
            ("500ms", 500.0),
            ("90s", 90_000.0),
            ("15m", 900_000.0),
            ("24h", 86_400_000.0),
            ("7d", 604_800_000.0),
            ("2w", 1_209_600_000.0),
            ("1h30m", 5_400_000.0),
            ("1d2h3m4s5ms", 93_784_005.0),
            ("3600000", 3_600_000.0),
            ("0", 0.0),
            ("1.5s", 1_500.0),
            ("12.25", 12.25),
        ];
        for (input, ms) in cases {
            assert_eq!(parse_duration_ms(input, "X").unwrap(), *ms, "{input}");
        }
    }

    #[test]
    fn bad_durations_name_the_field() {
        for input in ["", "-5m", "abc", "5x", "m5", "1h30", "1..5s", "-1"] {
            let err = parse_duration(input, "--window").unwrap_err().to_string();
            assert!(err.starts_with("invalid --window:"), "{input}: {err}");
            assert!(err.contains("DURATION"), "{input}: {err}");
        }
    }

    #[test]
    fn times() {
        let now: DateTime<Utc> = "2026-11-21T12:00:00Z".parse().unwrap();
        assert_eq!(
            parse_time("2026-11-20T13:45:01.123Z", "--since", now, false).unwrap(),
            "2026-11-20T13:45:01.123Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_time("2026-11-20T15:45:01+02:00", "--since", now, false).unwrap(),
            "2026-11-20T13:45:01Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_time("90m", "--since", now, false).unwrap(),
            "2026-11-21T10:30:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_time("2026-11-01", "--since", now, true).unwrap(),
            "2026-11-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let err = parse_time("yesterday", "--since", now, false).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--since"));
        assert!(parse_time("2026-13-45", "--until", now, false).is_err());
    }
}
