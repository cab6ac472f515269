//! Executing a scenario: one single-threaded simulation per replication, replications in
//! parallel (rayon), results kept in replication order.

pub mod epochs;
mod progress;
mod replication;
pub mod shard;
pub mod sweep;

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

/// A pool of `threads` worker threads (`None`: one per core).
///
/// # Errors
/// [`RunError::ThreadPool`] when it cannot start.
pub(crate) fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, RunError> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    builder.build().map_err(|e| RunError::ThreadPool {
        threads: threads.unwrap_or(0),
        message: e.to_string(),
    })
}

/// A pool of `threads` worker threads (`None`: one per core), for callers outside `run`.
///
/// # Errors
/// [`RunError::ThreadPool`] when it cannot start.
pub fn thread_pool_for(threads: Option<usize>) -> Result<rayon::ThreadPool, RunError> {
    thread_pool(threads)
}

/// Runs replications `0..spec.replications` of `spec` with base seed `spec.seed` on `threads`
/// worker threads (`None`: one per core), handing each result to `sink` in replication order.
///
/// Replications run in parallel in chunks of a few per thread; a chunk's results go to
/// `sink` in order before the next chunk starts, so memory holds one chunk of results, not
/// all of them. Each replication depends only on (scenario, seed, replication), so what
/// `sink` sees is identical for any thread count.
///
/// # Errors
/// [`RunError`] for the first failing replication (in replication order) or a thread pool
/// that cannot start; replications after it are not handed to `sink`.
pub fn run_replications_each(
    spec: &Scenario,
    threads: Option<usize>,
    progress: &dyn ProgressSink,
    mut sink: impl FnMut(ReplicationResult),
) -> Result<(), RunError> {
    let pool = thread_pool(threads)?;
    let chunk = (pool.current_num_threads() * 2).max(1) as u32;
    let mut first = 0;
    while first < spec.replications {
        let last = (first + chunk).min(spec.replications);
        let results: Result<Vec<ReplicationResult>, RunError> = pool.install(|| {
            (first..last)
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
        });
        results?.into_iter().for_each(&mut sink);
        first = last;
    }
    Ok(())
}

/// As [`run_replications_each`], collecting every result (in replication order). Memory
/// grows with the replications; the CLI streams instead.
///
/// # Errors
/// As [`run_replications_each`].
pub fn run_replications(
    spec: &Scenario,
    threads: Option<usize>,
    progress: &dyn ProgressSink,
) -> Result<Vec<ReplicationResult>, RunError> {
    let mut all = Vec::with_capacity(spec.replications as usize);
    run_replications_each(spec, threads, progress, |r| all.push(r))?;
    Ok(all)
}
