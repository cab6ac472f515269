//! Statistics: streaming distributions, windowed exact integrals, per-replication results and
//! their aggregation over replications.

pub mod economics;
mod facility;
pub mod horizon;
mod latency;
mod names;
mod replication;
mod selector;
mod summary;
mod windowed;
mod windowed_quantile;

pub use latency::{EqualRuns, LatencyHist, QUANTILES, SIGNIFICANT_DIGITS};
pub use names::{Metric, Series};
pub use replication::{
    GpuPoolResult, PoolResult, ReplicationResult, StepResult, WorkShares, WorkflowResult,
};
pub use selector::{STATS, Selector};
pub use summary::{
    Aggregate, DistributionRow, SeriesRow, SummaryRow, cdf_quantiles, ci95_half_width, series,
    series_rows, summarize,
};
pub use windowed::{
    SourceLevel, WINDOW_CAP, WindowedArea, WindowedCount, WindowedLevel, window_len,
};
pub use windowed_quantile::{MAX_QUANTILE_WINDOWS, WindowedQuantile};
