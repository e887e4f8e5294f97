//! `cc-metrics`: journey (CUJ) executions — recording them with computed quality
//! scores, and the reports: success rates, percentiles, trends, failure patterns,
//! workflows and quality.

mod build;
mod render;
mod report;
mod run;
mod view;

pub use build::{canonical_dimension, parse_scores, parse_success, score_quality};
pub use render::{AllReport, AllWindowsReport, WorkflowsReport};
pub use report::{
    ALL_SOURCES, CujRow, CujWindowsRow, FailureReport, NO_MESSAGE, PatternRow, PercentileReport,
    QualityBucket, QualityFilter, QualityReport, RateReport, STANDARD_WINDOWS, StandardWindows,
    TrendBucket, TrendReport, WindowFigures, WorkflowRow, all_report, all_windows_report,
    all_windows_with_total, failure_report, failures_everywhere, percentile_report, quality_report,
    rate_report, trend_report, workflow_report,
};
pub use run::{JourneyRun, JourneyRunReport, run_journey};
pub use view::{
    DIMENSIONS, JourneyRow, JourneyView, Journeys, QualityView, ResourcesView, fold, weighted_mean,
};
