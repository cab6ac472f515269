//! Progress reports from running replications (the CLI draws a bar from them).

/// Receives progress; called from worker threads.
pub trait ProgressSink: Sync {
    /// Replication `replication` is about `fraction` (0..=1) done.
    fn update(&self, replication: u32, fraction: f64);
    /// Replication `replication` finished.
    fn finished(&self, replication: u32);
}

/// Ignores progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn update(&self, _: u32, _: f64) {}
    fn finished(&self, _: u32) {}
}
