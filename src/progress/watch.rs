//! `cc-progress watch` and `wait`: recent events, then new ones as they are appended
//! (file-change notification, the next day's file included), shown as live bars on a
//! terminal, as lines otherwise, or as raw NDJSON.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use super::read::{parse_event, recent_events, run_state};
use super::render;
use super::state::RunState;
use crate::error::{Error, Result};
use crate::output::Style;
use crate::record::{RunStatus, Timestamp};
use crate::redact::Redactor;
use crate::store::follow::Follower;
use crate::store::{Roots, Skipped, Stream};

/// Runs with an event this recent get a live bar when watching starts.
const ACTIVE_WITHIN_MS: i64 = crate::time::DAY_MS;

/// How events are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Live bars for active runs, redrawn in place (a terminal).
    Live,
    /// One line per event.
    Lines,
    /// The events as stored, NDJSON.
    Json,
    /// Nothing (`wait`).
    Silent,
}

/// What to watch and how.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Only this run.
    pub run: Option<String>,
    /// Show the events since this time first (instead of the last `recent`).
    pub since: Option<Timestamp>,
    /// How many recent events to show first.
    pub recent: usize,
    /// With `run`: stop when it ends.
    pub until_done: bool,
    /// Give up after this long (`wait --timeout`).
    pub timeout: Option<Duration>,
    /// How to show events.
    pub display: Display,
    /// Show agent output chunks too.
    pub output: bool,
}

/// How a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEnd {
    /// The run ended with this status.
    RunEnded(RunStatus),
    /// The timeout passed first.
    TimedOut,
}

impl WatchEnd {
    /// The exit code: 0 completed, 1 failed or cancelled, 124 timed out.
    pub fn exit(self) -> crate::Exit {
        match self {
            WatchEnd::RunEnded(RunStatus::Completed) => crate::Exit::Success,
            WatchEnd::RunEnded(_) => crate::Exit::Failure,
            WatchEnd::TimedOut => crate::Exit::Timeout,
        }
    }
}

/// The live area: bars of active runs, redrawn in place below the lines already
/// printed.
struct Live {
    active: BTreeMap<String, RunState>,
    drawn: usize,
}

impl Live {
    fn clear(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.drawn > 0 {
            // Up to the first bar line, then clear to the end of the screen.
            write!(out, "\x1b[{}F\x1b[J", self.drawn)?;
            self.drawn = 0;
        }
        Ok(())
    }

    fn draw(&mut self, out: &mut dyn Write, now: Timestamp, style: Style) -> std::io::Result<()> {
        self.clear(out)?;
        let width = crate::output::terminal_width();
        for state in self.active.values_mut() {
            state.finish(now);
            writeln!(out, "{}", render::bar(state, width, style))?;
            self.drawn += 1;
        }
        out.flush()
    }
}

/// Watches progress events until the watched run ends, the timeout passes, or (without
/// either) forever. Returns how it ended and the malformed lines met reading the
/// recent events. `out` is the screen (standard output): a failed write is
/// [`Error::Stdio`], so a closed pipe ends the watch quietly.
pub fn watch(
    roots: &Roots,
    opts: &WatchOptions,
    style: Style,
    redactor: &Redactor,
    out: &mut dyn Write,
) -> Result<(Option<WatchEnd>, Skipped)> {
    let started = Instant::now();
    // Follow before reading, so that nothing appended in between is missed.
    let mut follower = Follower::start(roots, Stream::Progress)?;
    let run = opts.run.as_deref();
    let (recent, skipped) = match opts.since {
        Some(since) => {
            let (mut all, skipped) = super::read::all_events(roots, Some(since), None, run)?;
            all.retain(|s| {
                run.is_none_or(|r| s.event.run_id == r) && (opts.output || s.event.output.is_none())
            });
            (all, skipped)
        }
        None => recent_events(roots, run, opts.recent, opts.output)?,
    };
    let now = Timestamp::now();
    let mut live = Live {
        active: BTreeMap::new(),
        drawn: 0,
    };
    for s in &recent {
        match opts.display {
            Display::Json => writeln!(out, "{}", crate::log::render_record_line(&s.line, redactor))
                .map_err(Error::stdout)?,
            Display::Lines | Display::Live => {
                writeln!(out, "{}", render::event_line(&s.event, style)).map_err(Error::stdout)?
            }
            Display::Silent => {}
        }
    }
    // The runs to follow live, and the watched run's state, from all their events.
    let mut watched: Option<RunState> = None;
    if let Some(r) = run {
        watched = run_state(roots, r, now)?.0;
    }
    if opts.display == Display::Live {
        // Bars for the runs active in the last day (or the watched run), whether or not
        // their events are among the recent ones shown.
        let since = Timestamp(now.0 - ACTIVE_WITHIN_MS);
        let (seen, _) = super::read::all_runs(roots, Some(since), run, now)?;
        for partial in seen.iter().filter(|s| run.is_none_or(|r| s.run_id == r)) {
            let state = match (&watched, run) {
                (Some(w), Some(_)) => Some(w.clone()),
                _ => run_state(roots, &partial.run_id, now)?.0,
            };
            if let Some(state) = state.filter(|s| !s.is_done()) {
                live.active.insert(partial.run_id.clone(), state);
            }
        }
        live.draw(out, now, style).map_err(Error::stdout)?;
    }
    out.flush().map_err(Error::stdout)?;
    if opts.until_done
        && let Some(w) = &watched
        && w.is_done()
    {
        return Ok((Some(WatchEnd::RunEnded(w.status)), skipped));
    }

    loop {
        // Live bars tick every second; otherwise wake only for new lines or the timeout.
        let mut wait = if opts.display == Display::Live {
            Some(Duration::from_secs(1))
        } else {
            None
        };
        if let Some(limit) = opts.timeout {
            let left = limit.saturating_sub(started.elapsed());
            if left.is_zero() {
                live.clear(out).map_err(Error::stdout)?;
                out.flush().map_err(Error::stdout)?;
                return Ok((Some(WatchEnd::TimedOut), skipped));
            }
            wait = Some(wait.map_or(left, |w| w.min(left)));
        }
        let lines = follower.next_lines(wait)?;
        let now = Timestamp::now();
        let mut finished: Vec<String> = Vec::new();
        for new in &lines {
            let Some(event) = parse_event(&new.bytes) else {
                continue;
            };
            if run.is_some_and(|r| event.run_id != r) {
                continue;
            }
            if event.output.is_some() {
                if !opts.output {
                    continue;
                }
                match opts.display {
                    Display::Json => writeln!(
                        out,
                        "{}",
                        crate::log::render_record_line(&new.bytes, redactor)
                    )
                    .map_err(Error::stdout)?,
                    Display::Lines => writeln!(out, "{}", render::event_line(&event, style))
                        .map_err(Error::stdout)?,
                    // Above the bars, like finished runs.
                    Display::Live => finished.push(render::event_line(&event, style)),
                    Display::Silent => {}
                }
                continue;
            }
            let t = event.timestamp.unwrap_or(now);
            if run.is_some() {
                match &mut watched {
                    Some(w) => w.apply(&event, t),
                    None => watched = RunState::fold(std::iter::once(&event), now),
                }
            }
            match opts.display {
                Display::Json => writeln!(
                    out,
                    "{}",
                    crate::log::render_record_line(&new.bytes, redactor)
                )
                .map_err(Error::stdout)?,
                Display::Lines => {
                    writeln!(out, "{}", render::event_line(&event, style)).map_err(Error::stdout)?
                }
                Display::Live => {
                    let state = match live.active.remove(&event.run_id) {
                        Some(mut s) => {
                            s.apply(&event, t);
                            s
                        }
                        None => match run_state(roots, &event.run_id, now)?.0 {
                            Some(s) => s,
                            None => continue,
                        },
                    };
                    if state.is_done() {
                        let mut done = state;
                        done.finish(now);
                        finished.push(render::finished_line(&done, style));
                    } else {
                        live.active.insert(event.run_id.clone(), state);
                    }
                }
                Display::Silent => {}
            }
        }
        if opts.display == Display::Live {
            if !finished.is_empty() {
                live.clear(out).map_err(Error::stdout)?;
                for line in &finished {
                    writeln!(out, "{line}").map_err(Error::stdout)?;
                }
            }
            live.draw(out, now, style).map_err(Error::stdout)?;
        }
        out.flush().map_err(Error::stdout)?;
        if opts.until_done
            && let Some(w) = &watched
            && w.is_done()
        {
            return Ok((Some(WatchEnd::RunEnded(w.status)), skipped));
        }
    }
}
