//! `cc-dashboard demo`: a realistic month of sample data in all five streams, written
//! through the library's real write path (validation, redaction, daily files, locks).

use std::path::Path;

use serde_json::{Value, json};

use crate::error::Result;
use crate::health::{Thresholds, record_call};
use crate::progress::{append_event, tracker};
use crate::record::{
    JourneyExecution, JourneySource, ProgressEvent, ProviderCall, Quality, Resources, RunStatus,
    SkillInvocation, SkillResult, Timestamp,
};
use crate::redact::Redactor;
use crate::store::{Roots, Stream};
use crate::writer::Writer;

/// A small deterministic generator (xorshift), so every demo looks the same.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A fraction in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A latency around `median` with a long right tail.
    fn latency(&mut self, median: f64) -> f64 {
        let u = self.unit().max(1e-9);
        (median * (0.6 + 0.8 * u) * if self.below(20) == 0 { 3.0 } else { 1.0 }).round()
    }
}

/// Journeys: id, workflow, success probability, median duration (ms).
const CUJS: [(&str, &str, f64, f64); 5] = [
    ("CUJ-001", "onboarding", 0.99, 2_400.0),
    ("CUJ-005", "review-and-fix", 0.86, 48_000.0),
    ("CUJ-012", "deploy", 0.97, 95_000.0),
    ("CUJ-020", "merge", 0.72, 31_000.0),
    ("CUJ-031", "triage", 0.93, 7_500.0),
];

const ERRORS: [&str; 8] = [
    "timeout after 30s waiting for review on run 17",
    "HTTP 429: rate limit exceeded, retry after 12s",
    "git push failed: ! [rejected] main -> main (non-fast-forward)",
    "tests failed: 3 of 212 in tests/api_test.rs",
    "connection reset by peer while calling https://api.example.com/v1/jobs",
    "template review.md not found",
    "process killed: out of memory (peak 3.9 GB)",
    "invalid API key sk-live-4f9d2a7c1b8e6f3a0d5c",
];

const SKILLS: [(&str, f64, f64); 8] = [
    ("multi-ai-code-review", 0.93, 5_200.0),
    ("run-tests", 0.88, 21_000.0),
    ("lint", 0.97, 1_900.0),
    ("write-docs", 0.95, 8_400.0),
    ("plan-sprint", 0.98, 12_500.0),
    ("summarize-diff", 0.99, 900.0),
    ("search-codebase", 0.99, 350.0),
    ("open-pull-request", 0.94, 2_700.0),
];

const AGENTS: [&str; 5] = ["developer", "checker", "designer", "reviewer", "planner"];

/// Providers: name, models, median latency.
const PROVIDERS: [(&str, &[&str], f64); 3] = [
    (
        "anthropic",
        &["claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5"],
        1_600.0,
    ),
    ("openai", &["gpt-5", "gpt-5-mini"], 2_300.0),
    ("google", &["gemini-2.5-pro"], 1_900.0),
];

/// What the demo wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoCounts {
    /// Skill invocations.
    pub invocations: usize,
    /// Journey executions.
    pub executions: usize,
    /// Progress events.
    pub events: usize,
    /// Provider calls.
    pub calls: usize,
    /// Notifications.
    pub notifications: usize,
}

use crate::time::{DAY_MS as DAY, HOUR_MS as HOUR, MINUTE_MS as MINUTE};

/// The first ccmon stream file or config in `root`, if there is one: the demo refuses
/// such a folder rather than mixing sample data with real data.
pub fn existing_data(root: &Path) -> Option<std::path::PathBuf> {
    let config = root.join("ccmon.json");
    if config.exists() {
        return Some(config);
    }
    for stream in Stream::ALL {
        let dir = stream.dir(root);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name
                .to_str()
                .is_some_and(|n| stream.parse_name(n).is_some())
            {
                return Some(entry.path());
            }
        }
    }
    None
}

/// Where the demo writes: `root` when it holds no ccmon data (refused otherwise, before
/// anything is written: sample data never mixes with real data), else a new temporary
/// folder, kept.
pub fn demo_root(root: Option<&Path>) -> Result<std::path::PathBuf> {
    match root {
        Some(r) => {
            if let Some(found) = existing_data(r) {
                return Err(crate::Error::invalid(
                    "--root",
                    format!(
                        "{} already holds ccmon data ({}); the demo writes only into a new or empty folder",
                        r.display(),
                        found.display()
                    ),
                ));
            }
            Ok(r.to_path_buf())
        }
        None => {
            let parent = std::env::temp_dir();
            let dir = tempfile::Builder::new()
                .prefix("ccmon-demo-")
                .tempdir_in(&parent)
                .map_err(|source| crate::Error::TempDir { parent, source })?;
            Ok(dir.keep())
        }
    }
}

/// The demo: a month of sample data ending at `now` in the primary root, its older
/// notifications marked read (seen already), and its dashboard, computed and saved.
pub fn run_demo(
    roots: &Roots,
    writer: &Writer,
    config: &crate::config::Config,
    now: Timestamp,
    utc: bool,
    redactor: &Redactor,
) -> Result<(super::Dashboard, DemoCounts)> {
    let root = roots.primary();
    let counts = write_demo(root, now)?;
    let cutoff = now.0 - 2 * DAY;
    crate::notifications::mark_where(roots, writer, crate::record::NotificationType::Read, |r| {
        r.timestamp.0 < cutoff
    })?;
    let (d, skipped) = super::live::compute(roots, config, now, utc, redactor)?;
    super::save(root, &d, &skipped)?;
    Ok((d, counts))
}

/// Writes a month of sample data ending at `now` into `root`.
pub fn write_demo(root: &Path, now: Timestamp) -> Result<DemoCounts> {
    let writer = Writer::new(root, Redactor::default(), true, false);
    let roots = Roots::new(vec![root.to_path_buf()]);
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let mut counts = DemoCounts::default();
    let start = now.0 - 30 * DAY;
    let mut batch = Vec::new();

    // Skill invocations: busier on weekdays and during the day, growing over the month.
    let mut t = start;
    while t < now.0 {
        let day = (t - start) / DAY;
        let hour = (t / HOUR) % 24;
        let busy = if (7..20).contains(&hour) { 1 } else { 4 };
        t += (rng.below(240_000) as i64 + MINUTE) * busy * (40 - day).max(10) / 30;
        if t >= now.0 {
            break;
        }
        let (skill, ok_rate, median) = *rng.pick(&SKILLS);
        let mut rec = SkillInvocation::new(skill);
        rec.timestamp = Some(Timestamp(t));
        let roll = rng.unit();
        rec.result = if roll < ok_rate {
            SkillResult::Success
        } else if roll < ok_rate + (1.0 - ok_rate) * 0.6 {
            SkillResult::Failure
        } else if roll < ok_rate + (1.0 - ok_rate) * 0.85 {
            SkillResult::Timeout
        } else {
            SkillResult::Partial
        };
        if rec.result != SkillResult::Success {
            rec.error = Value::String(rng.pick(&ERRORS).to_string());
        }
        rec.duration = Some(rng.latency(median));
        rec.cache_hit = rng.below(4) == 0;
        rec.agent = Some(rng.pick(&AGENTS).to_string());
        rec.cuj_id = Some(rng.pick(&CUJS).0.to_string());
        rec.params = Some(json!({"repo": "acme/api", "api_key": "sk-demo-should-be-redacted"}));
        batch.push(writer.prepare(rec, now)?);
        counts.invocations += 1;
    }

    // Journey executions, with quality scores and resources.
    for d in 0..30 {
        for (i, (cuj, workflow, ok_rate, median)) in CUJS.iter().enumerate() {
            let runs = 3 + rng.below(6) + i as u64 % 2;
            for _ in 0..runs {
                let t = start + d * DAY + rng.below(DAY as u64) as i64;
                if t > now.0 {
                    continue;
                }
                // Reliability improves over the month for the review workflow.
                let trend = if *cuj == "CUJ-005" {
                    (d as f64 - 15.0) * 0.004
                } else {
                    0.0
                };
                let ok = rng.unit() < ok_rate + trend;
                let duration = rng.latency(*median);
                let mut rec = JourneyExecution::new(*cuj, ok, duration);
                rec.timestamp = Some(Timestamp(t));
                rec.workflow = Some(workflow.to_string());
                rec.source = Some(*rng.pick(&[
                    JourneySource::Workflow,
                    JourneySource::Sprint,
                    JourneySource::Cli,
                ]));
                rec.iterations = Some(1 + rng.below(3) as u32);
                rec.agents = Some(vec![rng.pick(&AGENTS).to_string(), "checker".into()]);
                if !ok {
                    rec.error = Value::String(rng.pick(&ERRORS).to_string());
                }
                let score =
                    |rng: &mut Rng, base: f64| (base + rng.unit() * 20.0).round().min(100.0);
                let dims = [
                    ("correctness", score(&mut rng, 75.0)),
                    ("typeSafety", score(&mut rng, 70.0)),
                    ("codeStyle", score(&mut rng, 78.0)),
                    ("testCoverage", score(&mut rng, 60.0)),
                    ("completeness", score(&mut rng, 80.0)),
                ];
                let composite = dims.iter().map(|(_, v)| v).sum::<f64>() / 5.0;
                rec.quality = Some(Quality {
                    correctness: Some(dims[0].1),
                    type_safety: Some(dims[1].1),
                    code_style: Some(dims[2].1),
                    test_coverage: Some(dims[3].1),
                    completeness: Some(dims[4].1),
                    composite: Some((composite * 100.0).round() / 100.0),
                    threshold: Some(80.0),
                    threshold_result: Some(composite >= 80.0),
                    extra: Default::default(),
                });
                rec.resources = Some(Resources {
                    duration_ms: Some(duration),
                    peak_rss_mb: Some((150.0 + rng.unit() * 600.0).round()),
                    cpu_user_ms: Some((duration * (0.2 + rng.unit() * 0.5)).round()),
                    cpu_system_ms: Some((duration * 0.05).round()),
                    extra: Default::default(),
                });
                batch.push(writer.prepare(rec, now)?);
                counts.executions += 1;
            }
        }
    }

    // One execution of each journey in the last hour.
    for (i, (cuj, workflow, _, median)) in CUJS.iter().enumerate() {
        let mut rec = JourneyExecution::new(*cuj, i != 3, rng.latency(*median));
        rec.timestamp = Some(Timestamp(now.0 - (i as i64 + 1) * 9 * MINUTE));
        rec.workflow = Some(workflow.to_string());
        rec.iterations = Some(1);
        if i == 3 {
            rec.error = Value::String(ERRORS[2].to_string());
        }
        batch.push(writer.prepare(rec, now)?);
        counts.executions += 1;
    }

    // Provider calls: steady over the month, with openai struggling in the last hour.
    let mut t = start;
    while t < now.0 {
        t += rng.below(1_200_000) as i64 + 300_000;
        if now.0 - t < HOUR {
            break;
        }
        batch.push(writer.prepare(provider_call(&mut rng, t, None, None), now)?);
        counts.calls += 1;
    }
    writer.write(&batch)?;
    batch.clear();

    // The last hour: recorded one by one, so status changes are announced as they would be.
    let th = Thresholds {
        window_ms: HOUR,
        degraded_below: 0.95,
        down_below: 0.80,
        degraded_after: 3,
        down_after: 5,
        p95_limit_ms: None,
    };
    let mut t = now.0 - HOUR + 30_000;
    let mut k = 0;
    while t < now.0 {
        let (name, _, _) = PROVIDERS[k % PROVIDERS.len()];
        // openai fails one call in eight: degraded (87.5%), the others stay healthy.
        let ok = !(name == "openai" && (k / PROVIDERS.len()) % 8 == 3);
        k += 1;
        let call = provider_call(&mut rng, t, Some(name), Some(ok));
        let recorded = record_call(&roots, &writer, call, &th)?;
        counts.calls += 1;
        counts.notifications += usize::from(recorded.notification.is_some());
        t += 40_000 + rng.below(20_000) as i64;
    }

    // Runs: a few a day through the tracker (notifications included), and a sprint chain.
    let run_names = [
        "Review PR",
        "Nightly lint",
        "Fix flaky test",
        "Update deps",
        "Write docs",
    ];
    let mut n = 0;
    for d in 0..30 {
        for _ in 0..(2 + rng.below(3)) {
            n += 1;
            let begin = start + d * DAY + rng.below((DAY - 6 * HOUR) as u64) as i64;
            let name = format!("{} #{n}", rng.pick(&run_names));
            let outcome = rng.below(12);
            let done = begin + HOUR > now.0;
            let (events, notes) = demo_run(
                &roots,
                &writer,
                &mut rng,
                &format!("run-{n:03}"),
                &name,
                begin,
                outcome,
                done,
                None,
                now.0 - 30_000,
            )?;
            counts.events += events;
            counts.notifications += notes;
        }
    }
    for sprint in 1..=4u64 {
        let live = sprint == 4;
        // The sprint still running started half an hour ago: its events are recent.
        let begin = if live {
            now.0 - HOUR / 2
        } else {
            now.0 - (5 - sprint as i64) * 20 * HOUR
        };
        let run = format!("run-sprint-{sprint}");
        let name = format!("Sprint {sprint} of 5 - Billing API");
        let (events, notes) = demo_run(
            &roots,
            &writer,
            &mut rng,
            &run,
            &name,
            begin,
            if live { 0 } else { 1 },
            live,
            Some(("chain-billing", sprint, 5)),
            now.0 - 30_000,
        )?;
        counts.events += events;
        counts.notifications += notes;
    }
    super::demo_runs::write(&roots, &writer, now, &mut counts)?;
    Ok(counts)
}

fn provider_call(rng: &mut Rng, t: i64, only: Option<&str>, ok: Option<bool>) -> ProviderCall {
    let (name, models, median) = match only {
        Some(p) => *PROVIDERS.iter().find(|x| x.0 == p).unwrap_or(&PROVIDERS[0]),
        None => *rng.pick(&PROVIDERS),
    };
    let ok = ok.unwrap_or_else(|| rng.unit() < 0.985);
    let model = rng.pick(models).to_string();
    let input = 2_000 + rng.below(30_000);
    ProviderCall {
        timestamp: Some(Timestamp(t)),
        provider: name.to_string(),
        success: ok,
        latency: Some(if ok { rng.latency(median) } else { 30_000.0 }),
        error: if ok {
            Value::Null
        } else {
            Value::String(
                rng.pick(&[
                    "upstream timeout after 30s",
                    "HTTP 429: rate limit exceeded",
                    "HTTP 529: overloaded",
                ])
                .to_string(),
            )
        },
        status_code: Some(if ok { 200 } else { *rng.pick(&[429, 504, 529]) }),
        input_tokens: ok.then_some(input),
        output_tokens: ok.then(|| 300 + rng.below(4_000)),
        cache_read_tokens: (ok && rng.below(3) == 0).then_some(input / 2),
        cache_write_tokens: None,
        cache_write_1h_tokens: None,
        reasoning_tokens: None,
        request_id: None,
        cost_usd: None,
        // A local model without a price, to show how unpriced usage is reported.
        model: Some(if rng.below(40) == 0 {
            "llama-3.1-8b-local".into()
        } else {
            model
        }),
        run_id: None,
        step_type: Some(rng.pick(&["designer", "checker", "developer"]).to_string()),
        tool_id: Some("claude".into()),
        id: None,
        host: None,
        extra: Default::default(),
    }
}

/// One run through the tracker: start, steps, then an outcome (0–8 completed, 9–10
/// failed, 11 cancelled), unless `live`. Returns (events, notifications).
#[allow(clippy::too_many_arguments)]
fn demo_run(
    roots: &Roots,
    writer: &Writer,
    rng: &mut Rng,
    run: &str,
    name: &str,
    begin: i64,
    outcome: u64,
    live: bool,
    chain: Option<(&str, u64, u64)>,
    latest: i64,
) -> Result<(usize, usize)> {
    let steps = 2 + rng.below(3);
    // Nothing happens after "now": a run still going has its latest event just before.
    let clamp = |t: i64| t.min(latest);
    let (mut events, mut notes) = (0, 0);
    let mut t = begin;
    let mut emit = |make: &dyn Fn(
        Option<&crate::progress::RunState>,
        ProgressEvent,
    ) -> Result<ProgressEvent>,
                    message: Option<String>,
                    at: i64,
                    error: Option<&str>|
     -> Result<()> {
        let mut e = ProgressEvent::new(run, RunStatus::Running);
        e.timestamp = Some(Timestamp(clamp(at)));
        e.message = message;
        e.name = Some(name.to_string());
        e.source = Some(
            if chain.is_some() {
                "sprint"
            } else {
                "workflow"
            }
            .to_string(),
        );
        if let Some((c, i, total)) = chain {
            e.chain_id = Some(c.to_string());
            e.sprint_index = Some(i);
            e.sprint_total = Some(total);
        }
        e.error = error.map_or(Value::Null, |m| Value::String(m.to_string()));
        let written = append_event(roots, writer, run, |s| make(s, e.clone()))?;
        events += 1;
        notes += written.notifications.len();
        Ok(())
    };
    emit(
        &|s, e| tracker::start(s, e, steps),
        Some("starting".into()),
        t,
        None,
    )?;
    let roles = ["designer", "developer", "checker", "reviewer"];
    let last_step = if live { steps - 1 } else { steps };
    for k in 1..=last_step {
        t += rng.below(20 * MINUTE as u64) as i64 + MINUTE;
        let role = roles[(k as usize - 1) % roles.len()];
        let message = format!("{role} at work on step {k}");
        emit(
            &|s, mut e| {
                e.role = Some(role.to_string());
                e.model = Some("claude-sonnet-4-5".into());
                tracker::step(s, e)
            },
            Some(message),
            t,
            None,
        )?;
        t += rng.below(30 * MINUTE as u64) as i64 + MINUTE;
        let fails_here = k == steps && (9..=10).contains(&outcome);
        if fails_here || (k == steps && outcome == 11) {
            break;
        }
        emit(&|s, e| tracker::complete_step(s, e, None), None, t, None)?;
    }
    if live {
        return Ok((events, notes));
    }
    t += 30_000;
    match outcome {
        9 | 10 => emit(
            &|s, e| tracker::end(s, e, RunStatus::Failed),
            Some("tests failed".into()),
            t,
            Some("tests failed: 3 of 212 in tests/api_test.rs"),
        )?,
        11 => emit(
            &|s, e| tracker::end(s, e, RunStatus::Cancelled),
            Some("cancelled by user".into()),
            t,
            None,
        )?,
        _ => {
            let pr = format!("https://github.com/acme/api/pull/{}", 100 + rng.below(900));
            emit(
                &|s, mut e| {
                    e.pr_url = Some(pr.clone());
                    e.pr_status = Some(crate::record::PrStatus::Created);
                    tracker::complete(s, e)
                },
                Some("done".into()),
                t,
                None,
            )?
        }
    }
    Ok((events, notes))
}
