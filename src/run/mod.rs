//! Executing a scenario: one single-threaded simulation per replication, replications in
//! parallel (rayon), results kept in replication order.

mod progress;
mod replication;

pub use progress::{NoProgress, ProgressSink};
pub use replication::{run_replication, run_replication_traced};

use crate::domain::{Scenario, SimError};
use crate::metrics::ReplicationResult;
use rayon::prelude::*;

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A replication's simulation failed.
    #[error("replication {replication}: {cause}")]
    Simulation {
        /// The failing replication.
        replication: u32,
        /// What failed.
        cause: SimError,
    },
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {message}")]
    ThreadPool {
        /// Requested threads.
        threads: usize,
        /// The cause.
        message: String,
    },
}

/// Runs replications `0..spec.replications` of `spec` with base seed `spec.seed` on `threads`
/// worker threads (`None`: one per core). The result vector is in replication order whatever
/// the thread count, and each replication depends only on (scenario, seed, replication), so
/// outputs are identical for any thread count.
///
/// # Errors
/// [`RunError`] for the first failing replication (in replication order) or a thread pool
/// that cannot start.
pub fn run_replications(
    spec: &Scenario,
    threads: Option<usize>,
    progress: &dyn ProgressSink,
) -> Result<Vec<ReplicationResult>, RunError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    let pool = builder.build().map_err(|e| RunError::ThreadPool {
        threads: threads.unwrap_or(0),
        message: e.to_string(),
    })?;
    pool.install(|| {
        (0..spec.replications)
            .into_par_iter()
            .map(|r| {
                let out =
                    run_replication(spec, r, progress).map_err(|cause| RunError::Simulation {
                        replication: r,
                        cause,
                    });
                progress.finished(r);
                out
            })
            .collect()
    })
}
