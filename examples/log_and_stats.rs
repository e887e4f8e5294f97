//! Library use: append skill invocations, then query and summarize them.
//!
//! `cargo run --example log_and_stats -- [ROOT]` (default: a temporary folder).

use ccmon::log::{Filter, GroupBy};
use ccmon::record::{SkillInvocation, SkillResult};
use ccmon::redact::Redactor;
use ccmon::store::Roots;
use ccmon::writer::Writer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let temp = tempfile::tempdir()?;
    let root = std::env::args()
        .nth(1)
        .map_or_else(|| temp.path().to_path_buf(), Into::into);

    let writer = Writer::new(&root, Redactor::default(), true, false);
    for (skill, ms, result) in [
        ("code-review", 1234.0, SkillResult::Success),
        ("code-review", 2310.0, SkillResult::Failure),
        ("lint", 450.0, SkillResult::Success),
    ] {
        let mut rec = SkillInvocation::new(skill);
        rec.duration = Some(ms);
        rec.result = result;
        rec.agent = Some("developer".into());
        rec.params = Some(serde_json::json!({"token": "never-on-disk"}));
        writer.append(rec)?;
    }

    let roots = Roots::new(vec![root]);
    let (rows, _skipped) = ccmon::log::stats(&roots, &Filter::default(), GroupBy::Skill, true)?;
    for row in &rows {
        println!(
            "{:<12} count={} successRate={:?} p50={:?}",
            row.key.as_deref().unwrap_or("-"),
            row.count,
            row.success_rate,
            row.p50
        );
    }
    let failures = Filter {
        result: Some(SkillResult::Failure),
        ..Filter::default()
    };
    let (count, _) = ccmon::log::count(&roots, &failures)?;
    println!("failures: {count}");
    Ok(())
}
