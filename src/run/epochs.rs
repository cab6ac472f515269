//! Long horizons: one run per epoch window (see `domain::epochs`), every (epoch,
//! replication) pair in parallel, results handed over in epoch order.

use super::{ProgressSink, RunError, run_replication};
use crate::domain::Scenario;
use crate::domain::epochs::Epoch;
use crate::domain::fleet::Fleet;
use crate::engine::SimDuration;
use crate::metrics::ReplicationResult;
use rayon::prelude::*;

/// Seed of epoch `index`: the scenario's seed mixed with the index (SplitMix64), so epochs
/// draw independent streams and adding epochs does not change the earlier ones.
pub fn epoch_seed(seed: u64, index: u32) -> u64 {
    let mut z = seed ^ (u64::from(index) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The scenario of one epoch: the calendar start moved to the window's start, the window as
/// horizon (no drain), the fleet in service at the window's start (racks holding only the
/// servers in service), and the epoch's own seed. Everything else is the scenario's.
pub fn epoch_scenario(base: &Scenario, e: &Epoch) -> Scenario {
    let mut s = base.clone();
    let shift = jiff::SignedDuration::from_nanos((e.window_start_s * 1e9).round() as i64);
    s.start = Some(base.origin.checked_add(shift).unwrap_or(base.origin));
    s.horizon = Some(SimDuration::from_secs_f64_saturating(e.window_s));
    s.drain = false;
    s.seed = epoch_seed(base.seed, e.index);
    s.epochs = None;
    for (k, p) in s.gpu_pools.iter_mut().enumerate() {
        p.replicas = base.fleet.replicas_at(k, e.window_start_s);
    }
    if let Some(f) = &mut s.facility {
        for (place, p) in f.pools.iter_mut().zip(&s.gpu_pools) {
            let gpus = u64::from(p.replicas) * u64::from(p.tensor_parallel);
            let servers = gpus.div_ceil(u64::from(place.gpus_per_server.max(1)));
            place.servers.truncate(servers as usize);
        }
    }
    s.fleet = Fleet::fixed(s.gpu_pools.iter().map(|p| p.replicas).collect());
    s
}

/// Runs every epoch of `spec` (which must have an epoch plan) with `spec.replications`
/// replications each on `threads` threads, handing each epoch's scenario and results (in
/// replication order) to `sink` in epoch order. Chunks of epochs run at once, so memory
/// holds a chunk's results, not all of them; results do not depend on the thread count.
///
/// # Errors
/// [`RunError`] for the first failing run in (epoch, replication) order, or a thread pool
/// that cannot start.
pub fn run_epochs_each(
    spec: &Scenario,
    epochs: &[Epoch],
    threads: Option<usize>,
    progress: &dyn ProgressSink,
    mut sink: impl FnMut(&Epoch, &Scenario, Vec<ReplicationResult>),
) -> Result<(), RunError> {
    let pool = super::thread_pool(threads)?;
    let reps = spec.replications.max(1);
    let chunk = (pool.current_num_threads() * 2).max(1);
    for group in epochs.chunks(chunk) {
        let specs: Vec<Scenario> = group.iter().map(|e| epoch_scenario(spec, e)).collect();
        let jobs: Vec<(usize, u32)> = (0..group.len())
            .flat_map(|i| (0..reps).map(move |r| (i, r)))
            .collect();
        let results: Result<Vec<ReplicationResult>, RunError> = pool.install(|| {
            jobs.par_iter()
                .map(|&(i, r)| {
                    let out = run_replication(&specs[i], r, &super::NoProgress).map_err(|cause| {
                        RunError::Simulation {
                            replication: r,
                            cause,
                        }
                    });
                    if r + 1 == reps {
                        progress.finished(group[i].index);
                    }
                    out
                })
                .collect()
        });
        let mut results = results?.into_iter();
        for (e, s) in group.iter().zip(&specs) {
            let mine: Vec<ReplicationResult> = results.by_ref().take(reps as usize).collect();
            sink(e, s, mine);
        }
    }
    Ok(())
}
