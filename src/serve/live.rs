//! Live updates: one follower thread per stream (inotify, never polling) turns every
//! appended line into a redacted [`LiveEvent`] on a broadcast channel, and `GET /events`
//! relays the channel to each browser as Server-Sent Events.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream as FutureStream;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use crate::error::Result;
use crate::store::Stream;
use crate::store::follow::{Follower, NewLine};

/// The longest line a reader accepts (SPEC §2).
const MAX_LINE: usize = 16 << 20;

/// One Server-Sent Event: `event:` the stream name (or `dashboard`), `data:` JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveEvent {
    /// The event name.
    pub name: &'static str,
    /// The JSON data, one line.
    pub data: String,
}

/// The fields a record of `stream` must hold for the usual readers to accept it.
fn required(stream: Stream) -> &'static [&'static str] {
    match stream {
        Stream::SkillInvocations => &["skill"],
        Stream::CujMetrics => &["cujId", "success", "duration"],
        Stream::Progress => &["runId"],
        Stream::ProviderHealth => &["provider", "success", "latency"],
        Stream::Notifications => &["type"],
    }
}

/// The record a line holds, redacted, or `None` when the line is malformed (not JSON,
/// not an object, too long, or missing a required field).
pub fn parse_record(
    stream: Stream,
    line: &[u8],
    redactor: &crate::redact::Redactor,
) -> Option<Value> {
    if line.len() > MAX_LINE {
        return None;
    }
    let mut value: Value = serde_json::from_slice(line).ok()?;
    let obj = value.as_object()?;
    if !required(stream).iter().all(|k| obj.contains_key(*k)) {
        return None;
    }
    if stream == Stream::Progress && !obj.contains_key("status") && !obj.contains_key("output") {
        return None;
    }
    redactor.redact_value(&mut value);
    Some(value)
}

/// Turns new lines into events; malformed ones are skipped with one warning per batch.
fn publish(state: &AppState, stream: Stream, lines: Vec<NewLine>) {
    let mut sent = 0u64;
    let mut skipped = 0u64;
    let mut bad: Vec<String> = Vec::new();
    for line in lines {
        match parse_record(stream, &line.bytes, &state.redactor) {
            Some(v) => {
                let data = serde_json::to_string(&v).unwrap_or_else(|_| "{}".into());
                sent += 1;
                let _ = state.events.send(Arc::new(LiveEvent {
                    name: stream.stem(),
                    data,
                }));
            }
            None => {
                skipped += 1;
                if !bad.contains(&line.file) {
                    bad.push(line.file);
                }
            }
        }
    }
    if !bad.is_empty() {
        // Named by file: the follower does not number lines.
        let s = if skipped == 1 { "" } else { "s" };
        crate::error::warn(format_args!(
            "warning: skipped {skipped} malformed line{s} ({})",
            bad.join(", ")
        ));
    }
    if sent > 0 {
        state.version.fetch_add(1, Ordering::AcqRel);
        let _ = state.events.send(Arc::new(LiveEvent {
            name: "dashboard",
            data: format!(r#"{{"stream":"{}","records":{sent}}}"#, stream.stem()),
        }));
    }
}

/// Starts one follower thread per stream. Each watches its folders (created 0700 when
/// missing, so that files created later are seen) and stops soon after the server does.
pub fn start_followers(state: Arc<AppState>) -> Result<()> {
    for stream in Stream::ALL {
        let mut follower = Follower::start(&state.opts.roots, stream)?;
        let state = Arc::clone(&state);
        std::thread::Builder::new()
            .name(format!("follow-{}", stream.stem()))
            .spawn(move || {
                while !*state.shutdown.borrow() {
                    match follower.next_lines(Some(Duration::from_millis(500))) {
                        Ok(lines) if lines.is_empty() => {}
                        Ok(lines) => publish(&state, stream, lines),
                        Err(e) => {
                            crate::error::warn(format_args!(
                                "warning: following {}: {e}",
                                stream.stem()
                            ));
                            std::thread::sleep(Duration::from_secs(1));
                        }
                    }
                }
            })
            .map_err(|source| crate::Error::Start {
                what: format!("the follower of {}", stream.stem()),
                source,
            })?;
    }
    Ok(())
}

/// Counts an open event stream for as long as it lives: dropped with the response body
/// when the client goes away.
struct OpenStream(Arc<AppState>);

impl OpenStream {
    fn new(state: &Arc<AppState>) -> OpenStream {
        state.open_streams.fetch_add(1, Ordering::AcqRel);
        OpenStream(Arc::clone(state))
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.open_streams.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `GET /events`: a `ready` event once subscribed, then one event per record appended to
/// any stream and a `dashboard` event per batch. Ends when the client goes away (its
/// receiver is dropped with the response body) or the server stops.
pub async fn events(
    State(state): State<Arc<AppState>>,
) -> Sse<impl FutureStream<Item = std::result::Result<Event, Infallible>>> {
    let rx = state.events.subscribe();
    let stop = state.shutdown.clone();
    let open = OpenStream::new(&state);
    let ready = futures_util::stream::once(async {
        Ok::<_, Infallible>(Event::default().event("ready").data("{}"))
    });
    let relayed =
        futures_util::stream::unfold((rx, stop, open), |(mut rx, mut stop, open)| async move {
            if *stop.borrow() {
                return None;
            }
            tokio::select! {
                r = rx.recv() => match r {
                    Ok(ev) => {
                        let e = Event::default().event(ev.name).data(&ev.data);
                        Some((Ok(e), (rx, stop, open)))
                    }
                    Err(RecvError::Lagged(n)) => {
                        let e = Event::default().event("lagged").data(n.to_string());
                        Some((Ok(e), (rx, stop, open)))
                    }
                    Err(RecvError::Closed) => None,
                },
                _ = stop.changed() => None,
            }
        });
    Sse::new(ready.chain(relayed)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    #[test]
    fn malformed_lines_are_refused_and_records_redacted() {
        let r = Redactor::default();
        assert_eq!(
            parse_record(Stream::SkillInvocations, b"not json", &r),
            None
        );
        assert_eq!(parse_record(Stream::SkillInvocations, b"[1,2]", &r), None);
        assert_eq!(
            parse_record(Stream::CujMetrics, br#"{"cujId":"C","success":true}"#, &r),
            None
        );
        assert_eq!(
            parse_record(Stream::Progress, br#"{"runId":"r"}"#, &r),
            None
        );
        let v = parse_record(
            Stream::SkillInvocations,
            br#"{"skill":"s","params":{"password":"hunter2"}}"#,
            &r,
        )
        .unwrap();
        assert_eq!(v["params"]["password"], "[REDACTED]");
        let out = parse_record(
            Stream::Progress,
            br#"{"runId":"r","output":{"stream":"stdout","text":"hi"}}"#,
            &r,
        )
        .unwrap();
        assert_eq!(out["output"]["text"], "hi");
    }
}
