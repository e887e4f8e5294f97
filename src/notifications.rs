//! The notifications stream, which every program appends to: notifications and the
//! `read`/`dismissed` records that change their state (append-only: nothing is ever
//! edited).

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::record::{Notification, NotificationType, Timestamp, parse_line};
use crate::store::{LineError, Roots, Scan, Skipped, Stream};
use crate::writer::Writer;

/// The latest notification of one of `kinds` for each key `key` gives (`None` skips the
/// notification), with its time. Only lines holding `needle` are parsed. This is the
/// memory of transitions: `provider_down` until `provider_recovered`, `alert_fired`
/// until `alert_resolved`.
pub fn latest<K>(
    roots: &Roots,
    needle: &str,
    kinds: &[NotificationType],
    key: impl Fn(&Notification) -> Option<K> + Sync,
) -> Result<HashMap<K, (Timestamp, NotificationType)>>
where
    K: Eq + Hash + Send,
{
    let scan = Scan::new(roots.files(Stream::Notifications, None, None)?, false);
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    let keep = |m: &mut HashMap<K, (Timestamp, NotificationType)>,
                k: K,
                v: (Timestamp, NotificationType)| {
        let e = m.entry(k).or_insert(v);
        if v.0 >= e.0 {
            *e = v;
        }
    };
    let (map, _) = scan.run(
        HashMap::new,
        |m, line| {
            if finder.find(line.bytes).is_none() {
                return Ok(());
            }
            let n: Notification = parse_line(line.bytes).ok_or(LineError::Malformed)?;
            if let (true, Some(t), Some(k)) = (kinds.contains(&n.kind), n.timestamp, key(&n)) {
                keep(m, k, (t, n.kind));
            }
            Ok(())
        },
        |mut a, b| {
            for (k, v) in b {
                keep(&mut a, k, v);
            }
            a
        },
    )?;
    Ok(map)
}

/// A notification with its state (`cc-dashboard notifications --json`).
#[derive(Debug, Clone, Serialize, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationRow {
    /// Its id (`null` for notifications written without one).
    pub id: Option<String>,
    /// When.
    pub timestamp: Timestamp,
    /// What about (`run_failed`, `provider_down`, ...).
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// What to tell the user.
    pub message: Option<String>,
    /// The run it is about.
    pub run_id: Option<String>,
    /// Marked read.
    pub read: bool,
    /// Dismissed.
    pub dismissed: bool,
}

fn parse(bytes: &[u8]) -> Option<Notification> {
    let mut n: Notification = parse_line(bytes)?;
    // Other tools write this stream too: what they wrote is redacted before it is shown.
    crate::record::Record::redact(&mut n, crate::redact::shared());
    n.timestamp.is_some().then_some(n)
}

/// Every notification with its state, newest first.
pub fn load(roots: &Roots) -> Result<(Vec<NotificationRow>, Skipped)> {
    let files = roots.files(Stream::Notifications, None, None)?;
    let scan = Scan::new(files, roots.needs_dedup());
    type Acc = (Vec<Notification>, Vec<(NotificationType, String)>);
    let ((notes, states), skipped) = scan.run(
        Acc::default,
        |(notes, states), line| {
            let n = parse(line.bytes).ok_or(LineError::Malformed)?;
            match n.kind {
                NotificationType::Read | NotificationType::Dismissed => {
                    if let Some(t) = n.target {
                        states.push((n.kind, t));
                    }
                }
                _ => {
                    if scan.first_sighting(n.id.as_deref()) {
                        notes.push(n);
                    }
                }
            }
            Ok(())
        },
        |(mut a, mut sa), (b, sb)| {
            a.extend(b);
            sa.extend(sb);
            (a, sa)
        },
    )?;
    let mut read = HashSet::new();
    let mut dismissed = HashSet::new();
    for (kind, target) in states {
        if kind == NotificationType::Read {
            read.insert(target);
        } else {
            dismissed.insert(target);
        }
    }
    let mut rows: Vec<NotificationRow> = notes
        .into_iter()
        .map(|n| {
            let is = |set: &HashSet<String>| n.id.as_ref().is_some_and(|id| set.contains(id));
            NotificationRow {
                read: is(&read) || is(&dismissed),
                dismissed: is(&dismissed),
                id: n.id.clone(),
                timestamp: n.timestamp.unwrap_or(Timestamp(0)),
                kind: n.kind,
                message: n.message,
                run_id: n.run_id,
            }
        })
        .collect();
    rows.sort_by(|a, b| (b.timestamp, &b.id).cmp(&(a.timestamp, &a.id)));
    Ok((rows, skipped))
}

/// Which notifications a listing shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listing {
    /// Only unread ones.
    pub unread_only: bool,
    /// Dismissed ones too.
    pub include_dismissed: bool,
    /// At most this many (0 for all).
    pub limit: usize,
}

/// The rows a listing shows, newest first.
pub fn list(rows: &[NotificationRow], how: Listing) -> Vec<NotificationRow> {
    let shown = rows
        .iter()
        .filter(|r| how.include_dismissed || !r.dismissed)
        .filter(|r| !how.unread_only || !r.read)
        .cloned();
    if how.limit == 0 {
        shown.collect()
    } else {
        shown.take(how.limit).collect()
    }
}

/// Marks notifications read or dismissed: `target` names one (by id), or `None` marks
/// every notification not yet in that state. Returns how many were marked. An unknown
/// id is an error, and nothing is written.
pub fn mark(
    roots: &Roots,
    writer: &Writer,
    target: Option<&str>,
    kind: NotificationType,
) -> Result<usize> {
    if let Some(id) = target {
        let (rows, _) = load(roots)?;
        if !rows.iter().any(|r| r.id.as_deref() == Some(id)) {
            return Err(Error::invalid(
                "ID",
                format!(
                    "no notification has the id {id:?} (see `cc-dashboard notifications --all`)"
                ),
            ));
        }
    }
    mark_where(roots, writer, kind, |r| {
        target.is_none_or(|id| r.id.as_deref() == Some(id))
    })
}

/// Marks read or dismissed (`kind`) every notification `select` picks that is not in
/// that state yet, with one state record each, appended in one batch. Returns how many.
pub fn mark_where(
    roots: &Roots,
    writer: &Writer,
    kind: NotificationType,
    select: impl Fn(&NotificationRow) -> bool,
) -> Result<usize> {
    let (rows, _) = load(roots)?;
    let done = |r: &NotificationRow| match kind {
        NotificationType::Read => r.read,
        _ => r.dismissed,
    };
    let now = Timestamp::now();
    let batch = rows
        .iter()
        .filter(|r| !done(r) && select(r))
        .filter_map(|r| r.id.as_ref())
        .map(|id| writer.prepare(Notification::state(kind, id.clone()), now))
        .collect::<Result<Vec<_>>>()?;
    writer.write(&batch)?;
    Ok(batch.len())
}
