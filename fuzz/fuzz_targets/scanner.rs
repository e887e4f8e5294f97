//! Any bytes: the fast line scanner reads a skill invocation exactly as serde_json does
//! (same fields, same verdict on malformed input, invalid UTF-8 included), except that
//! a record must be an object (serde alone would also take an array as a struct).
#![no_main]

use ccmon::record::SkillView;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fast = SkillView::parse(data).map(|v| format!("{v:?}"));
    let serde = std::str::from_utf8(data).ok().and_then(|line| {
        let is_object = line.trim_start_matches([' ', '\t', '\r', '\n']).starts_with('{');
        serde_json::from_str::<SkillView>(line).ok().filter(|_| is_object).map(|v| format!("{v:?}"))
    });
    assert_eq!(fast, serde, "{:?}", String::from_utf8_lossy(data));
});
