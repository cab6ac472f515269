//! One replication: build the model, seed it, run the kernel, collect statistics.

use super::progress::ProgressSink;
use crate::domain::{NoTrace, Scenario, ScenarioModel, SimError, TraceEvent};
use crate::engine::{SimTime, Simulation};
use crate::metrics::ReplicationResult;

/// Runs replication `replication` of `spec` (seed `spec.seed`).
///
/// The run stops at the horizon (unless `drain`; the clock then stands at the horizon even
/// if the system emptied earlier), or when no event is left.
///
/// # Errors
/// [`SimError`] when a sampled time overflows the clock.
pub fn run_replication(
    spec: &Scenario,
    replication: u32,
    progress: &dyn ProgressSink,
) -> Result<ReplicationResult, SimError> {
    let model = ScenarioModel::new(spec, spec.seed, replication, NoTrace)?;
    run(spec, replication, model, progress).map(|(r, _)| r)
}

/// As [`run_replication`], also returning the full `(time, event)` trace. For tests and
/// debugging of small scenarios: memory grows with the run.
///
/// # Errors
/// As [`run_replication`].
pub fn run_replication_traced(
    spec: &Scenario,
    replication: u32,
) -> Result<(ReplicationResult, Vec<(SimTime, TraceEvent)>), SimError> {
    let model = ScenarioModel::new(spec, spec.seed, replication, Vec::new())?;
    run(spec, replication, model, &super::NoProgress)
}

fn run<T: crate::domain::Tracer>(
    spec: &Scenario,
    replication: u32,
    model: ScenarioModel<'_, T>,
    progress: &dyn ProgressSink,
) -> Result<(ReplicationResult, T), SimError> {
    let mut sim = Simulation::new(model);
    {
        let (model, sched) = sim.parts_mut();
        model.prime(sched)?;
    }
    let limit = if spec.drain {
        None
    } else {
        spec.horizon.map(|h| SimTime(h.0))
    };
    let expected_end = spec.expected_end_s();
    sim.run(limit, |now, _| {
        if let Some(end) = expected_end {
            progress.update(replication, (now.as_secs_f64() / end).min(0.99));
        }
    })?;
    let end = sim.now();
    let events = sim.events();
    Ok(sim.model.finish(replication, end, events))
}
