//! `cc-health`: AI-provider calls — recording them (and announcing status changes),
//! provider status by the rules of SPEC §5, recent errors, token usage and cost.

mod pricing;
mod record;
pub mod render;
mod status;
mod usage;
mod view;

pub use pricing::{BUILT_IN, Cost, PRICES_AS_OF, PriceTable, Tokens, help_table};
pub use record::{Recorded, last_provider_notice, record_call};
pub use render::{ErrorsReport, ProviderStatusReport, StatusesReport, UsageReport, errors_report};
pub use status::{
    ErrorRow, Health, Overall, ProviderAcc, StatusRow, Thresholds, compare, overall, provider_accs,
    provider_status, recent_errors, statuses,
};
pub use usage::{NO_MODEL, UsageBy, UsageRow, regroup, total, usage};
pub use view::{CallRow, CallView, Calls, fold};
