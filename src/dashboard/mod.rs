//! `cc-dashboard`: every stream summarized in one document, shown in the terminal,
//! saved as JSON; notifications and their read state; the demo data set.

pub mod alerts;
pub mod demo;
mod demo_runs;
mod document;
pub mod export;
pub mod fleet;
pub mod html;
pub mod http;
mod live;
pub mod merge;
#[cfg(feature = "cli")]
mod report;
pub mod ship;
#[cfg(feature = "cli")]
pub mod view;

pub use document::{
    Counters, DASHBOARD_FILE, Dashboard, Day, Highlight, Highlights, NotificationSummary,
    PERIOD_DAYS, Providers, Quality, Resources, Usage, dashboard_path, generate, load_saved, save,
    to_value, write_atomic,
};
pub use live::{LiveView, compute, current};
#[cfg(feature = "cli")]
pub use report::{
    AlertsReport, DEMO_COMMANDS, DashboardView, DemoReport, Generated, MergeReport,
    NotificationsReport, Shipped, shell_word,
};

/// The document with every string redacted (SPEC §15): names, ids, messages and error
/// patterns come from records other tools may have written. Numbers are never touched,
/// so a document without secrets comes back equal.
pub fn redacted(d: Dashboard, redactor: &crate::redact::Redactor) -> Dashboard {
    let mut value = to_value(&d);
    redactor.redact_value(&mut value);
    // The value came from a Dashboard and only strings changed: it reads back.
    serde_json::from_value(value).unwrap_or(d)
}
