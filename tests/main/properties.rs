//! Property tests: statistics against slow, obvious references; redaction of
//! ordinary data is the identity.

use ccmon::record::Timestamp;
use ccmon::redact::Redactor;
use ccmon::stats::{Buckets, DurationStats, Window};
use proptest::prelude::*;

fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn percentiles_within_a_tenth_of_a_percent(values in prop::collection::vec(0.0f64..10_000_000.0, 1..6000), split in 0usize..6000) {
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        // Merge two halves, as parallel workers do.
        let split = split.min(values.len());
        let (mut a, mut b) = (DurationStats::default(), DurationStats::default());
        values[..split].iter().for_each(|&v| a.record(v));
        values[split..].iter().for_each(|&v| b.record(v));
        a.merge(b);
        prop_assert_eq!(a.count(), values.len() as u64);
        for q in [0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0] {
            let exact = nearest_rank(&sorted, q);
            let got = a.percentile(q).unwrap();
            let tolerance = exact * 0.001 + 0.001;
            prop_assert!((got - exact).abs() <= tolerance, "q={} got={} exact={} n={}", q, got, exact, values.len());
        }
        prop_assert_eq!(a.min(), Some(sorted[0]));
        prop_assert_eq!(a.max(), Some(sorted[sorted.len() - 1]));
    }

    #[test]
    fn windows_match_brute_force(now in 0i64..10_000_000_000, len in 0i64..1_000_000_000, t in 0i64..10_000_000_000) {
        let w = Window::ending(Timestamp(now), len);
        prop_assert_eq!(w.contains(Timestamp(t)), t >= now - len && t <= now);
    }

    #[test]
    fn buckets_match_brute_force(now in 0i64..10_000_000_000, count in 1usize..50, size in 1i64..10_000_000, t in 0i64..10_000_000_000) {
        let b = Buckets::ending(Timestamp(now), count, size);
        // An independent reference: the bucket holding `now` starts at the multiple of
        // `size` at or below it; the others precede it, one `size` each.
        let last_start = now - now.rem_euclid(size);
        let first_start = last_start - (count as i64 - 1) * size;
        let starts: Vec<i64> = (0..count as i64).map(|k| first_start + k * size).collect();
        let got: Vec<(i64, i64)> = b.iter().map(|k| (k.start.0, k.end.0)).collect();
        let want: Vec<(i64, i64)> = starts.iter().map(|s| (*s, s + size)).collect();
        prop_assert_eq!(got, want);
        let brute = (t >= first_start && t < last_start + size)
            .then(|| ((t - first_start) / size) as usize);
        prop_assert_eq!(b.index_of(Timestamp(t)), brute);
    }

    #[test]
    fn redaction_keeps_ordinary_text_identical(text in "[a-zA-Z ,.()/-]{0,200}") {
        let r = Redactor::default();
        let out = r.redact_str(&text).into_owned();
        prop_assert_eq!(out, text);
    }

    #[test]
    fn redaction_keeps_ordinary_records_identical(
        keys in prop::collection::vec("[a-z]{1,8}_(name|note|kind|label|status)", 1..8),
        values in prop::collection::vec("[a-z0-9 ,.-]{0,40}", 1..8),
        numbers in prop::collection::vec(any::<i64>(), 1..8),
    ) {
        let mut obj = serde_json::Map::new();
        for (i, k) in keys.iter().enumerate() {
            obj.insert(k.clone(), serde_json::Value::String(values[i % values.len()].clone()));
            obj.insert(format!("{k}_tokens"), serde_json::Value::from(numbers[i % numbers.len()]));
        }
        let original = serde_json::Value::Object(obj);
        let mut redacted = original.clone();
        Redactor::default().redact_value(&mut redacted);
        prop_assert_eq!(serde_json::to_string(&redacted).unwrap(), serde_json::to_string(&original).unwrap());
    }
}

fn fragment_line(parts: &[(usize, usize, usize)], cut: Option<usize>) -> String {
    const KEYS: &[&str] = &[
        "timestamp",
        "ts",
        "skill",
        "result",
        "duration",
        "cacheHit",
        "agent",
        "runId",
        "cujId",
        "id",
        "params",
        "error",
        "x",
        "t\\u0073",
        "",
        "skill ",
    ];
    const VALUES: &[&str] = &[
        r#""2026-11-20T13:45:01.123Z""#,
        r#""2026-11-20T13:45:01Z""#,
        "1763646301123",
        "1.7e12",
        r#""review""#,
        r#""success""#,
        r#""failure""#,
        r#""bogus""#,
        "12.5",
        "-0",
        "01",
        "1.",
        "1e5",
        "true",
        "false",
        "null",
        "nul",
        r#"{"a":[1,{"b":null}],"c":"d"}"#,
        "[1,2,]",
        "[]",
        "{}",
        r#""a\"b""#,
        r#""\u00e9""#,
        r#""é ü""#,
        r#""tab	x""#,
        r#"{"a":}"#,
        "\"",
        "{",
        "]",
    ];
    const SEPS: &[&str] = &[",", ",", ",", ", ", " ,", ";", ""];
    let mut line = String::from("{");
    for (n, (k, v, sep)) in parts.iter().enumerate() {
        if n > 0 {
            line.push_str(SEPS[sep % SEPS.len()]);
        }
        line.push_str(&format!(
            "\"{}\":{}",
            KEYS[k % KEYS.len()],
            VALUES[v % VALUES.len()]
        ));
    }
    line.push('}');
    if let Some(c) = cut {
        let mut c = c % (line.len() + 1);
        while !line.is_char_boundary(c) {
            c -= 1;
        }
        line.truncate(c);
    }
    line
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// The fast line scanner and serde_json read every line the same way: same
    /// fields, same verdict on malformed lines.
    #[test]
    fn fast_scanner_agrees_with_serde(
        parts in prop::collection::vec((0usize..64, 0usize..64, 0usize..64), 0..12),
        cut in prop::option::weighted(0.2, 0usize..400),
    ) {
        let line = fragment_line(&parts, cut);
        let fast = ccmon::record::SkillView::parse(line.as_bytes()).map(|v| format!("{v:?}"));
        let serde = serde_json::from_str::<ccmon::record::SkillView>(&line).ok().map(|v| format!("{v:?}"));
        prop_assert_eq!(fast, serde, "{}", line);
    }
}
