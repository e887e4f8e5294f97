//! Recording a provider call, and announcing the provider's status changes:
//! `provider_down` when it goes down, `provider_recovered` when it comes back, once
//! per transition (the last such notification is the memory of the transition).

use serde_json::Value;

use super::status::{Health, StatusRow, Thresholds, provider_status};
use crate::error::Result;
use crate::record::{Notification, NotificationType, ProviderCall, Timestamp};
use crate::store::{Roots, Stream, StreamLock};
use crate::writer::Writer;

/// What recording a call did.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The call, as stored.
    pub call: Value,
    /// The provider's status after it.
    pub status: StatusRow,
    /// The notification it caused, as stored.
    pub notification: Option<Value>,
}

/// Appends `call`, then (under the provider stream's lock, so concurrent recorders agree)
/// works out the provider's status and appends `provider_down` or
/// `provider_recovered` when the status crossed into or out of `down`.
pub fn record_call(
    roots: &Roots,
    writer: &Writer,
    call: ProviderCall,
    th: &Thresholds,
) -> Result<Recorded> {
    let provider = call.provider.clone();
    let service = call.is_service();
    let clock = Timestamp::now();
    // The status is decided as of the call (a backfilled call's own time, never later
    // than now), and a transition is dated then too.
    let at = call
        .timestamp
        .map_or(clock, |t| Timestamp(t.0.min(clock.0)));
    let prepared = writer.prepare(call, clock)?;
    let _lock = StreamLock::acquire(roots.primary(), Stream::ProviderHealth)?;
    writer.write(std::slice::from_ref(&prepared))?;
    if service {
        // A service's usage says nothing about provider health.
        return Ok(Recorded {
            call: prepared.value(),
            status: super::status::ProviderAcc::default().row(&provider, th),
            notification: None,
        });
    }
    let (status, _) = provider_status(roots, &provider, th, at)?;
    let last = last_provider_notice(roots, &provider)?;
    let kind = match (status.status, last) {
        (Health::Down, Some(NotificationType::ProviderDown)) => None,
        (Health::Down, _) => Some(NotificationType::ProviderDown),
        (Health::Healthy | Health::Degraded, Some(NotificationType::ProviderDown)) => {
            Some(NotificationType::ProviderRecovered)
        }
        _ => None,
    };
    let notification = match kind {
        Some(kind) => {
            let message = match kind {
                NotificationType::ProviderDown => format!("{provider} is down: {}", status.reason),
                _ if status.status == Health::Healthy => {
                    format!("{provider} recovered: healthy ({})", status.reason)
                }
                _ => format!("{provider} is up again but degraded: {}", status.reason),
            };
            let mut n = Notification::new(kind, message);
            n.timestamp = Some(at);
            n.extra
                .insert("provider".into(), Value::String(provider.clone()));
            Some(writer.append(n)?)
        }
        None => None,
    };
    Ok(Recorded {
        call: prepared.value(),
        status,
        notification,
    })
}

/// The latest `provider_down` or `provider_recovered` notification about `provider`.
pub fn last_provider_notice(roots: &Roots, provider: &str) -> Result<Option<NotificationType>> {
    let needle = serde_json::to_string(provider).unwrap_or_default();
    let kinds = [
        NotificationType::ProviderDown,
        NotificationType::ProviderRecovered,
    ];
    let latest = crate::notifications::latest(roots, &needle, &kinds, |n| {
        (n.extra.get("provider").and_then(Value::as_str) == Some(provider)).then_some(())
    })?;
    Ok(latest.get(&()).map(|(_, k)| *k))
}
