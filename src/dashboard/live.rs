//! The dashboard to show now: the saved one while it is fresh, else a new one; and the
//! watch loop that redraws it when a stream changes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant, SystemTime};

use super::document::{DASHBOARD_FILE, Dashboard, dashboard_path, generate, load_saved, save};
use crate::config::Config;
use crate::error::Result;
use crate::redact::Redactor;
use crate::store::follow::DirWatch;
use crate::store::{Roots, Skipped, Stream};
use crate::time::{MINUTE_MS, Timestamp};

/// A new dashboard of `roots` at `now`, every string redacted (SPEC §15).
pub fn compute(
    roots: &Roots,
    config: &Config,
    now: Timestamp,
    utc: bool,
    redactor: &Redactor,
) -> Result<(Dashboard, Skipped)> {
    let (d, skipped) = generate(roots, config, now, utc)?;
    Ok((super::redacted(d, redactor), skipped))
}

/// The newest modification time of any stream file under the roots.
fn newest_data(roots: &Roots) -> Option<SystemTime> {
    let mut newest = None;
    for stream in Stream::ALL {
        for f in roots.files(stream, None, None).unwrap_or_default() {
            if let Ok(m) = std::fs::metadata(&f.path).and_then(|m| m.modified()) {
                newest = newest.max(Some(m));
            }
        }
    }
    newest
}

/// Saves `d` beside data that exists: a read never creates analytics/, and a
/// read-only root still gets its view (a failed save is not an error).
fn save_beside_data(roots: &Roots, d: &Dashboard, skipped: &Skipped) {
    let root = roots.primary();
    if Stream::CujMetrics.dir(root).is_dir() {
        let _ = save(root, d, skipped);
    }
}

/// The dashboard for `view`: the saved one when it is newer than every stream file and
/// under a minute old (unless `refresh`), with what its read skipped; otherwise a new
/// one, saved.
pub fn current(
    roots: &Roots,
    config: &Config,
    now: Timestamp,
    utc: bool,
    redactor: &Redactor,
    refresh: bool,
) -> Result<(Dashboard, Skipped)> {
    let root = roots.primary();
    if !refresh
        && let Some((saved, skipped)) = load_saved(root)
        && let Ok(written) = std::fs::metadata(dashboard_path(root)).and_then(|m| m.modified())
        && newest_data(roots).is_none_or(|n| n <= written)
        && now.0 - saved.generated_at.0 < MINUTE_MS
    {
        return Ok((super::redacted(saved, redactor), skipped));
    }
    let (d, skipped) = compute(roots, config, now, utc, redactor)?;
    save_beside_data(roots, &d, &skipped);
    Ok((d, skipped))
}

/// Watches the stream folders of every root for changes, to redraw the dashboard.
pub struct LiveView {
    events: Receiver<notify::Result<notify::Event>>,
    watch: DirWatch,
}

impl LiveView {
    /// Starts watching `logs/` and `analytics/` of every root (every stream lives in one
    /// of the two); folders that do not exist yet are waited for.
    pub fn start(roots: &Roots) -> Result<LiveView> {
        let (tx, events) = channel();
        let mut watch = DirWatch::new(tx, roots.primary())?;
        for root in roots.all() {
            for stream in [Stream::SkillInvocations, Stream::CujMetrics] {
                watch.add(&stream.dir(root))?;
            }
        }
        Ok(LiveView { events, watch })
    }

    /// Draws a new dashboard (generated at the clock's now, every string redacted as
    /// `view` does, saved beside the data) at once and again after each change, no more
    /// often than `interval`, until `stop` is set or the watch ends. Skipped lines are
    /// not reported here: warnings would scribble over the screen.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        roots: &Roots,
        config: &Config,
        utc: bool,
        redactor: &Redactor,
        interval: Duration,
        stop: &AtomicBool,
        mut draw: impl FnMut(&Dashboard) -> Result<()>,
    ) -> Result<()> {
        let mut dirty = true;
        let mut last_change = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if dirty && last_change.elapsed() >= interval {
                let (d, skipped) = compute(roots, config, Timestamp::now(), utc, redactor)?;
                save_beside_data(roots, &d, &skipped);
                draw(&d)?;
                dirty = false;
            }
            match self.events.recv_timeout(Duration::from_millis(200)) {
                // Reading the files to redraw is not a change (inotify reports opens).
                Ok(Ok(event)) if event.kind.is_access() => {}
                Ok(Ok(event)) => {
                    self.watch.created(&event.paths)?;
                    // Saving the dashboard itself is not a change to show.
                    let ours = event.paths.iter().all(|p| {
                        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            n == DASHBOARD_FILE || n.starts_with(".tmp-") || n.ends_with(".lock")
                        })
                    });
                    if !ours {
                        dirty = true;
                        last_change = Instant::now();
                    }
                }
                Ok(Err(_)) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        Ok(())
    }
}
