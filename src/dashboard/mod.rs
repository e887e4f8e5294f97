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
pub mod merge;
pub mod ship;
pub mod view;

pub use document::{
    Counters, DASHBOARD_FILE, Dashboard, Day, Highlight, Highlights, NotificationSummary,
    PERIOD_DAYS, Providers, Quality, Resources, Usage, dashboard_path, generate, load_saved, save,
    to_value, write_atomic,
};
