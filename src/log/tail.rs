//! `cc-log tail`: the last invocations, then those appended while it runs.

use super::filter::{Filter, LineFilter};
use super::query::query;
use super::report::{LogRow, TailReport};
use crate::error::Result;
use crate::redact::Redactor;
use crate::store::{Roots, Skipped, Stream, follow::Follower};

/// The last `n` invocations matching `filter`, oldest first (none when `n` is 0).
pub fn tail(
    roots: &Roots,
    filter: &Filter,
    redactor: &Redactor,
    n: usize,
) -> Result<(TailReport, Skipped)> {
    if n == 0 {
        return Ok((TailReport { rows: Vec::new() }, Skipped::default()));
    }
    let (mut lines, skipped) = query(roots, filter, n)?;
    lines.reverse();
    let rows = LogRow::of_lines(lines, redactor);
    Ok((TailReport { rows }, skipped))
}

/// What arrived since the last [`Follow::wait`]: the matching invocations, in file
/// order, and the files that gained a malformed line (one entry per line).
#[derive(Debug, Clone, PartialEq)]
pub struct Arrived {
    /// The new matching invocations.
    pub report: TailReport,
    /// The file of each malformed line, as shown to users.
    pub malformed: Vec<String>,
}

/// Follows the skill-invocation stream of every root for invocations matching a filter.
/// Start it before reading what is there ([`tail`]), so nothing appended in between is
/// missed.
pub struct Follow<'f> {
    follower: Follower,
    test: LineFilter<'f>,
    redactor: &'f Redactor,
}

impl<'f> Follow<'f> {
    /// Starts following: only lines appended from now on are delivered.
    pub fn start(roots: &Roots, filter: &'f Filter, redactor: &'f Redactor) -> Result<Self> {
        Ok(Follow {
            follower: Follower::start(roots, Stream::SkillInvocations)?,
            test: LineFilter::new(filter),
            redactor,
        })
    }

    /// Waits for appended lines and returns what they hold.
    pub fn wait(&mut self) -> Result<Arrived> {
        let mut arrived = Arrived {
            report: TailReport { rows: Vec::new() },
            malformed: Vec::new(),
        };
        for new in self.follower.next_lines(None)? {
            match self.test.test(None, &new.bytes, |_| {}) {
                Ok(true) => arrived
                    .report
                    .rows
                    .push(LogRow::new(&new.bytes, self.redactor)),
                Ok(false) => {}
                Err(_) => arrived.malformed.push(new.file),
            }
        }
        Ok(arrived)
    }
}
