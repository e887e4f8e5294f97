//! The demo's runs as CodeCourier shows them (SPEC §14): sandbox runs of workflows
//! with prompts, per-step evaluator scores and checker verdicts, CI and PR states,
//! agent output, service usage (e2b, trigger.dev) and provider calls linked to the
//! runs, and a sprint chain with a failed attempt and a sprint to resume from.

use serde_json::{Value, json};

use super::demo::DemoCounts;
use crate::config::QualityConfig;
use crate::error::Result;
use crate::metrics::score_quality;
use crate::progress::{RunState, append_event, output_chunk, tracker};
use crate::record::{
    CiCheck, CiStatus, OutputStream, PrStatus, ProgressEvent, ProviderCall, RunStatus, Timestamp,
};
use crate::store::Roots;
use crate::writer::Writer;

use crate::time::MINUTE_MS as MINUTE;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

const PROMPTS: [(&str, &str); 4] = [
    (
        "review-and-fix",
        "Fix the flaky login test and add a regression test",
    ),
    ("feature-sprint", "Add CSV export to the billing report"),
    (
        "review-and-fix",
        "Review PR 214 and address the checker's comments",
    ),
    (
        "feature-sprint",
        "Implement rate limiting for the public API",
    ),
];

/// One sandbox run's shape, chosen by its number.
struct Plan<'a> {
    run: String,
    workflow: &'a str,
    prompt: &'a str,
    begin: i64,
    /// 0 completed and merged, 1 completed with the PR blocked on CI, 2 failed, 3 live.
    outcome: u64,
    scores: [f64; 3],
}

/// Writes the sandbox runs of the last week (one still running) and the chain.
pub fn write(
    roots: &Roots,
    writer: &Writer,
    now: Timestamp,
    counts: &mut DemoCounts,
) -> Result<()> {
    let quality = QualityConfig::default();
    let mut plans = Vec::new();
    for k in 0..10u64 {
        let (workflow, prompt) = PROMPTS[(k % 4) as usize];
        let days_ago = 7 - (k as i64 * 7 / 10);
        let begin = now.0 - days_ago * DAY + ((k as i64 * 5) % 9) * HOUR;
        let k_f = k as f64;
        plans.push(Plan {
            run: format!("sbx-run-{:03}", k + 1),
            workflow,
            prompt,
            begin,
            outcome: if k == 9 {
                3
            } else {
                [0, 0, 1, 0, 2][(k % 5) as usize]
            },
            scores: [
                70.0 + (k_f * 7.0) % 28.0,
                75.0 + (k_f * 11.0) % 22.0,
                68.0 + (k_f * 5.0) % 30.0,
            ],
        });
    }
    // The live one started 20 minutes ago.
    if let Some(last) = plans.last_mut() {
        last.begin = now.0 - 20 * MINUTE;
    }
    for plan in &plans {
        sandbox_run(roots, writer, plan, &quality, counts)?;
    }
    chain(roots, writer, now, counts)
}

fn event(run: &str, at: i64) -> ProgressEvent {
    let mut e = ProgressEvent::new(run, RunStatus::Running);
    e.timestamp = Some(Timestamp(at));
    e
}

fn emit(
    roots: &Roots,
    writer: &Writer,
    counts: &mut DemoCounts,
    e: ProgressEvent,
    make: impl Fn(Option<&RunState>, ProgressEvent) -> Result<ProgressEvent>,
) -> Result<()> {
    let run = e.run_id.clone();
    let written = append_event(roots, writer, &run, |s| make(s, e.clone()))?;
    counts.events += 1;
    counts.notifications += written.notifications.len();
    Ok(())
}

fn scores(values: &[(&'static str, f64)], quality: &QualityConfig) -> Result<Value> {
    let q = score_quality(values, &quality.weights, quality.threshold)?;
    Ok(serde_json::to_value(q).unwrap_or(Value::Null))
}

fn call(run: &str, at: i64, step: &str, input: u64, output: u64) -> ProviderCall {
    let mut c =
        ProviderCall::new("anthropic", true).with_latency(2_000.0 + (input % 7) as f64 * 450.0);
    c.timestamp = Some(Timestamp(at));
    c.model = Some("claude-sonnet-4-5".into());
    c.input_tokens = Some(input);
    c.output_tokens = Some(output);
    c.run_id = Some(run.to_string());
    c.step_type = Some(step.to_string());
    c.tool_id = Some("claude-code".into());
    c
}

fn service(run: &str, at: i64, name: &str, quantity: f64, unit: &str, cost: f64) -> ProviderCall {
    let mut c = ProviderCall::new(name, true).with_latency(0.0);
    c.timestamp = Some(Timestamp(at));
    c.run_id = Some(run.to_string());
    c.cost_usd = Some(cost);
    c.set_service(Some(quantity), Some(unit.to_string()));
    c
}

fn sandbox_run(
    roots: &Roots,
    writer: &Writer,
    p: &Plan<'_>,
    quality: &QualityConfig,
    counts: &mut DemoCounts,
) -> Result<()> {
    let run = p.run.as_str();
    let mut t = p.begin;
    let mut start = event(run, t);
    start.name = Some(format!("{}: {}", p.workflow, p.prompt));
    start.source = Some("sandbox".into());
    start.workflow = Some(p.workflow.into());
    start.prompt = Some(p.prompt.into());
    start.sandbox_id = Some(format!("e2b-{}", &run[8..]));
    start.trigger_run_id = Some(format!("run_trg_{}", &run[8..]));
    start.config = Some(json!({"maxIterations": 3, "model": "claude-sonnet-4-5"}));
    start.message = Some("sandbox ready".into());
    emit(roots, writer, counts, start, |s, e| tracker::start(s, e, 3))?;

    // Step 1: the designer writes the change, with the agent's output streamed.
    t += 2 * MINUTE;
    let mut step = event(run, t);
    step.role = Some("designer".into());
    step.model = Some("claude-sonnet-4-5".into());
    step.tool = Some("claude".into());
    step.message = Some("designing the change".into());
    emit(roots, writer, counts, step, tracker::step)?;
    for (i, (stream, text)) in [
        (
            OutputStream::Assistant,
            format!("I'll start by reading the code for: {}", p.prompt),
        ),
        (
            OutputStream::Tool,
            "Bash {\"command\":\"cargo test -q\"}".to_string(),
        ),
        (
            OutputStream::Tool,
            "test result: ok. 42 passed; 0 failed".to_string(),
        ),
        (
            OutputStream::Assistant,
            "The change is in place; the tests pass.".to_string(),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        if let Some(mut chunk) = output_chunk(run, stream, &text) {
            chunk.timestamp = Some(Timestamp(t + (i as i64 + 1) * 20_000));
            writer.append(chunk)?;
            counts.events += 1;
        }
    }
    writer.append(call(run, t + 30_000, "designer", 18_000, 3_200))?;
    counts.calls += 1;
    if p.outcome == 3 {
        return Ok(());
    }
    t += 9 * MINUTE;
    emit(roots, writer, counts, event(run, t), |s, e| {
        tracker::complete_step(s, e, None)
    })?;

    // Step 2: the evaluator scores it.
    t += MINUTE;
    let mut step = event(run, t);
    step.role = Some("evaluator".into());
    step.message = Some("scoring the change".into());
    step.quality = Some(scores(
        &[
            ("correctness", p.scores[0]),
            ("codeStyle", p.scores[1]),
            ("testCoverage", p.scores[2]),
        ],
        quality,
    )?);
    emit(roots, writer, counts, step, tracker::step)?;
    writer.append(call(run, t + 10_000, "evaluator", 9_000, 900))?;
    counts.calls += 1;
    t += 3 * MINUTE;
    emit(roots, writer, counts, event(run, t), |s, e| {
        tracker::complete_step(s, e, None)
    })?;

    // Step 3: the checker's verdict, CI and the PR.
    t += MINUTE;
    let failed = p.outcome == 2;
    let mut step = event(run, t);
    step.role = Some("checker".into());
    step.message = Some("checking the change".into());
    step.quality = Some(json!({ "verdict": if failed { "fail" } else { "pass" } }));
    emit(roots, writer, counts, step, tracker::step)?;
    writer.append(call(run, t + 10_000, "checker", 7_000, 600))?;
    counts.calls += 1;
    t += 4 * MINUTE;
    let minutes = (t - p.begin) as f64 / MINUTE as f64;
    writer.append(service(
        run,
        t,
        "e2b",
        (minutes * 60.0).round(),
        "sandbox_seconds",
        (minutes * 0.003 * 100.0).round() / 100.0,
    ))?;
    writer.append(service(run, t, "trigger_dev", 1.0, "runs", 0.01))?;
    counts.calls += 2;
    if failed {
        let mut e = event(run, t);
        e.error = Value::String("checker verdict: fail (tests missing for the new path)".into());
        e.message = Some("checker rejected the change".into());
        return emit(roots, writer, counts, e, |s, e| {
            tracker::end(s, e, RunStatus::Failed)
        });
    }
    let blocked = p.outcome == 1;
    let pr = 200 + p.run[8..].parse::<u64>().unwrap_or(0);
    let mut done = event(run, t);
    done.message = Some("pull request opened".into());
    done.pr_url = Some(format!("https://github.com/acme/shop/pull/{pr}"));
    done.pr_status = Some(if blocked {
        PrStatus::BlockedOnCi
    } else {
        PrStatus::Merged
    });
    if blocked {
        done.pr_error = Some("required check \"Unit Tests\" is failing".into());
    }
    done.ci = Some(CiStatus {
        status: Some(if blocked { "failing" } else { "passing" }.into()),
        checks: vec![
            CiCheck {
                name: "Unit Tests".into(),
                status: if blocked { "failure" } else { "success" }.into(),
                url: Some(format!("https://ci.example.com/acme/shop/{pr}/1")),
            },
            CiCheck {
                name: "Lint".into(),
                status: "success".into(),
                url: None,
            },
        ],
        checked_at: Some(Timestamp(t)),
    });
    emit(roots, writer, counts, done, tracker::complete)
}

/// `chain-search`: sprint 1 completed, sprint 2 failed once and completed on the
/// second attempt, sprint 3 failed: resume from 3.
fn chain(roots: &Roots, writer: &Writer, now: Timestamp, counts: &mut DemoCounts) -> Result<()> {
    let sprints: [(&str, u64, i64, bool); 4] = [
        ("run-search-1", 1, 30, true),
        ("run-search-2a", 2, 26, false),
        ("run-search-2b", 2, 22, true),
        ("run-search-3", 3, 18, false),
    ];
    for (run, index, hours_ago, ok) in sprints {
        let begin = now.0 - hours_ago * HOUR;
        let mut e = event(run, begin);
        e.name = Some(format!("Sprint {index} of 4 - Search"));
        e.source = Some("sprint".into());
        e.workflow = Some("feature-sprint".into());
        e.chain_id = Some("chain-search".into());
        e.sprint_index = Some(index);
        e.sprint_total = Some(4);
        e.prompt = Some(format!("Search sprint {index}: index, query, ranking"));
        emit(roots, writer, counts, e, |s, e| tracker::start(s, e, 1))?;
        let mut end = event(run, begin + 2 * HOUR);
        if ok {
            end.message = Some("sprint done".into());
            emit(roots, writer, counts, end, tracker::complete)?;
        } else {
            end.error = Value::String("HTTP 529: overloaded".into());
            emit(roots, writer, counts, end, |s, e| {
                tracker::end(s, e, RunStatus::Failed)
            })?;
        }
    }
    Ok(())
}
