//! Any text: redaction never panics, is idempotent, and only ever shortens secrets
//! into the placeholder (no new text appears besides `[REDACTED]`).
#![no_main]

use ccmon::redact::{REDACTED, Redactor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let r = Redactor::default();
    let once = r.redact_str(text).into_owned();
    let twice = r.redact_str(&once).into_owned();
    assert_eq!(once, twice);
    if once != text {
        assert!(once.contains(REDACTED));
    }
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text) {
        r.redact_value(&mut v);
    }
});
