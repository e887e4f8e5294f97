//! Any bytes as a stream file: splitting and parsing never panic, every line is either
//! read or counted as skipped, and blank lines are neither.
#![no_main]

use ccmon::log::Filter;
use ccmon::store::Roots;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("ccmon-fuzz-{}", std::process::id()));
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("skill-invocations-2026-11-20.jsonl"), data).unwrap();
    let roots = Roots::new(vec![dir.clone()]);
    let (found, skipped) = ccmon::log::query(&roots, &Filter::default(), 0).unwrap();
    let non_blank = data.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count() as u64;
    assert_eq!(found.len() as u64 + skipped.count, non_blank);
});
