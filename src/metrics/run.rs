//! `cc-metrics run`: the journey runner. It announces a run on the progress stream,
//! runs the command with the operating system's accounting of its resources, and
//! records how it ended: a progress event and a journey execution.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::output::human_duration;
use crate::record::{
    JourneyExecution, JourneySource, ProgressEvent, Resources, RunStatus, Timestamp,
};
use crate::runner::{self, RunOutcome};
use crate::store::Roots;
use crate::writer::Writer;

/// What `cc-metrics run` is asked to do.
#[derive(Debug, Clone)]
pub struct JourneyRun {
    /// The journey.
    pub cuj_id: String,
    /// The workflow it belongs to.
    pub workflow: Option<String>,
    /// The run's id; `None` makes a new one (`run-<ulid>`).
    pub run_id: Option<String>,
    /// What started it.
    pub source: JourneySource,
    /// The program and its arguments.
    pub command: Vec<String>,
}

/// What a journey run did. The command ran; `recording` says whether its end was
/// recorded (a failure there does not change what the command did).
#[derive(Debug)]
pub struct JourneyRunReport {
    /// The journey.
    pub cuj_id: String,
    /// The run's id.
    pub run_id: String,
    /// How the command ended, and what it used.
    pub outcome: RunOutcome,
    /// The failure to record the end event or the execution, if any.
    pub recording: Result<()>,
}

/// Runs `run`: a start event before the command (refused runs do not start it), then
/// the end event and the execution record. Fails only when the run could not start.
pub fn run_journey(roots: &Roots, writer: &Writer, run: JourneyRun) -> Result<JourneyRunReport> {
    let (program, rest) = run
        .command
        .split_first()
        .ok_or_else(|| Error::invalid("CMD", "a command is required after --"))?;
    let run_id = run.run_id.clone().unwrap_or_else(|| {
        format!(
            "run-{}",
            ulid::Ulid::generate().to_string().to_ascii_lowercase()
        )
    });
    let command_line = run.command.join(" ");
    let name = match &run.workflow {
        Some(w) => format!("{} ({w})", run.cuj_id),
        None => run.cuj_id.clone(),
    };

    // Signals are taken over before the run is announced: once a start event exists,
    // an end event and the record follow, even after a Ctrl-C.
    let runner = runner::Runner::new();
    let mut start = ProgressEvent::new(&run_id, RunStatus::Running);
    start.step = Some(0);
    start.percentage = Some(0.0);
    start.name = Some(name.clone());
    start.source = Some("cli".into());
    start.workflow.clone_from(&run.workflow);
    start.message = Some(format!("running {command_line}"));
    crate::progress::append_event(roots, writer, &run_id, |_| Ok(start.clone()))?;

    let started = Timestamp::now();
    let outcome = runner.run(program, rest);
    let recording = record_end(roots, writer, &run, &run_id, &name, started, &outcome);
    Ok(JourneyRunReport {
        cuj_id: run.cuj_id,
        run_id,
        outcome,
        recording,
    })
}

fn record_end(
    roots: &Roots,
    writer: &Writer,
    run: &JourneyRun,
    run_id: &str,
    name: &str,
    started: Timestamp,
    outcome: &RunOutcome,
) -> Result<()> {
    let success = outcome.success();
    let error = outcome.error_message();
    let mut end = ProgressEvent::new(
        run_id,
        if success {
            RunStatus::Completed
        } else {
            RunStatus::Failed
        },
    );
    end.step = Some(0);
    end.name = Some(name.to_string());
    end.source = Some("cli".into());
    if success {
        end.percentage = Some(100.0);
    }
    end.message = Some(format!(
        "exited with code {} after {}",
        outcome.code,
        human_duration(outcome.duration_ms)
    ));
    end.error = error.clone().map_or(Value::Null, Value::String);

    let mut rec = JourneyExecution::new(&run.cuj_id, success, outcome.duration_ms);
    rec.timestamp = Some(started);
    rec.error = end.error.clone();
    rec.workflow.clone_from(&run.workflow);
    rec.run_id = Some(run_id.to_string());
    rec.source = Some(run.source);
    rec.resources = Some(Resources {
        duration_ms: Some(outcome.duration_ms),
        peak_rss_mb: outcome.usage.map(|u| u.peak_rss_mb),
        cpu_user_ms: outcome.usage.map(|u| u.cpu_user_ms),
        cpu_system_ms: outcome.usage.map(|u| u.cpu_system_ms),
        extra: Map::new(),
    });
    let mut meta = Map::new();
    meta.insert("exitCode".into(), Value::from(outcome.code));
    meta.insert("command".into(), Value::String(run.command.join(" ")));
    if let Some(sig) = outcome.interrupted_by {
        meta.insert(
            "interruptedBy".into(),
            Value::String(runner::signal_name(sig)),
        );
    }
    rec.metadata = Some(Value::Object(meta));

    crate::progress::append_event(roots, writer, run_id, |_| Ok(end.clone()))?;
    writer.append(rec)?;
    Ok(())
}

impl JourneyRunReport {
    /// The summary line for standard error: `cc-metrics: CUJ-005 completed in 1.23s
    /// (exit 0) · peak RSS 210.5 MB · CPU 900ms user, 120ms system · run run-01j...`
    pub fn summary(&self) -> String {
        let o = &self.outcome;
        let verdict = if o.success() { "completed" } else { "failed" };
        let mut s = format!(
            "cc-metrics: {} {verdict} in {} (exit {})",
            self.cuj_id,
            human_duration(o.duration_ms),
            o.code
        );
        if let Some(u) = o.usage {
            s.push_str(&format!(
                " · peak RSS {:.1} MB · CPU {} user, {} system",
                u.peak_rss_mb,
                human_duration(u.cpu_user_ms),
                human_duration(u.cpu_system_ms)
            ));
        }
        s.push_str(&format!(" · run {}", self.run_id));
        s
    }
}
