//! The redaction corpus (tests/data/redaction, written by scripts/redaction-corpus.py):
//! credentials of many kinds in the places agent logs hold them, which must all be
//! redacted, and look-alikes, which must come out byte-identical. Prints recall and the
//! false-positive rate for each half of the corpus and for the whole.

use ccmon::redact::Redactor;
use serde_json::Value;

struct Case {
    id: String,
    kind: String,
    placement: String,
    half: String,
    record: Value,
    secret: Option<String>,
}

fn load(name: &str) -> Vec<Case> {
    let path = format!(
        "{}/tests/data/redaction/{name}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1));
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            Case {
                id: field("id"),
                kind: field("kind"),
                placement: field("placement"),
                half: field("half"),
                record: v["record"].clone(),
                secret: v["secret"].as_str().map(String::from),
            }
        })
        .collect()
}

/// Every string in a value, object keys included.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// Whether any part of `secret` survives in `text`: the whole, or any 12 characters of
/// it (a secret cut in two still leaks).
fn leaks(text: &str, secret: &str) -> bool {
    if text.contains(secret) {
        return true;
    }
    let chars: Vec<char> = secret.chars().collect();
    chars.len() > 12
        && chars
            .windows(12)
            .any(|w| text.contains(&w.iter().collect::<String>()))
}

/// Strings that were JSON before redaction must still be JSON after it.
fn broken_json(before: &Value, after: &Value) -> bool {
    let (mut b, mut a) = (Vec::new(), Vec::new());
    strings(before, &mut b);
    strings(after, &mut a);
    b.iter().zip(&a).any(|(b, a)| {
        let was = b.starts_with(['{', '[']) && serde_json::from_str::<Value>(b).is_ok();
        was && serde_json::from_str::<Value>(a).is_err()
    })
}

#[derive(Default)]
struct Tally {
    positives: usize,
    caught: usize,
    negatives: usize,
    damaged: usize,
}

impl Tally {
    fn recall(&self) -> f64 {
        self.caught as f64 / self.positives.max(1) as f64
    }
    fn fp_rate(&self) -> f64 {
        self.damaged as f64 / self.negatives.max(1) as f64
    }
}

#[test]
fn corpus_recall_and_false_positives() {
    let redactor = Redactor::default();
    let positives = load("positives");
    let negatives = load("negatives");
    assert!(positives.len() >= 300, "{} positives", positives.len());
    assert!(negatives.len() >= 300, "{} negatives", negatives.len());

    let mut tallies: std::collections::BTreeMap<String, Tally> = Default::default();
    let mut failures = Vec::new();
    for case in &positives {
        let secret = case.secret.as_deref().unwrap_or_default();
        assert!(secret.len() >= 6, "{}: no secret to look for", case.id);
        let mut v = case.record.clone();
        redactor.redact_value(&mut v);
        let mut found = Vec::new();
        strings(&v, &mut found);
        let leaked = found.iter().any(|s| leaks(s, secret));
        for half in [case.half.as_str(), "all"] {
            let t = tallies.entry(half.to_string()).or_default();
            t.positives += 1;
            t.caught += usize::from(!leaked);
        }
        if leaked {
            failures.push(format!(
                "LEAK {} {} / {}: {}",
                case.id, case.kind, case.placement, v
            ));
        }
        if broken_json(&case.record, &v) {
            failures.push(format!("BROKEN JSON {} {}: {}", case.id, case.kind, v));
        }
    }
    for case in &negatives {
        let mut v = case.record.clone();
        redactor.redact_value(&mut v);
        // Byte-identical: compare the serialized text, not only the values.
        let damaged = serde_json::to_string(&v).ok() != serde_json::to_string(&case.record).ok();
        for half in [case.half.as_str(), "all"] {
            let t = tallies.entry(half.to_string()).or_default();
            t.negatives += 1;
            t.damaged += usize::from(damaged);
        }
        if damaged {
            failures.push(format!(
                "DAMAGE {} {} / {}: {} -> {}",
                case.id, case.kind, case.placement, case.record, v
            ));
        }
    }
    for (half, t) in &tallies {
        println!(
            "half {half}: recall {:.4} ({}/{}), false positives {:.4} ({}/{})",
            t.recall(),
            t.caught,
            t.positives,
            t.fp_rate(),
            t.damaged,
            t.negatives
        );
    }
    for f in &failures {
        println!("{f}");
    }
    let all = &tallies["all"];
    assert_eq!(all.caught, all.positives, "recall must be 1.00");
    assert!(
        all.fp_rate() <= 0.005,
        "false-positive rate {:.4} over 0.005",
        all.fp_rate()
    );
    assert!(
        !failures.iter().any(|f| f.starts_with("BROKEN JSON")),
        "redaction broke JSON inside strings"
    );
}
