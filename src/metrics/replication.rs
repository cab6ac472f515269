//! What one replication measured: exact integrals, streaming distributions, window series.

use super::LatencyHist;
use crate::domain::llm::pool::{CallRecord, GpuPool};
use crate::domain::llm::replica::CallStats;
use crate::engine::SimTime;

/// Statistics of one replication, indexed like the scenario's pools and workflows.
#[derive(Debug, Clone)]
pub struct ReplicationResult {
    /// Replication index (0-based).
    pub replication: u32,
    /// Simulated time at the end (the horizon, or the last event).
    pub end: SimTime,
    /// Events handled.
    pub events: u64,
    /// Per CPU pool, in `Scenario::cpu_pools` order.
    pub pools: Vec<PoolResult>,
    /// Per human reviewer pool, in `Scenario::human_pools` order.
    pub human_pools: Vec<PoolResult>,
    /// Per GPU pool, in `Scenario::gpu_pools` order.
    pub gpu_pools: Vec<GpuPoolResult>,
    /// Per workflow, in `Scenario::workflows` order.
    pub workflows: Vec<WorkflowResult>,
    /// Racks, rows and site power, when the scenario has a facility.
    pub facility: Option<crate::domain::facility::FacilityResult>,
    /// Whether time-series windows stopped being kept (see `metrics::WINDOW_CAP`); totals
    /// stay exact.
    pub timeseries_truncated: bool,
}

/// One CPU pool over one replication.
#[derive(Debug, Clone)]
pub struct PoolResult {
    /// Arrival at the pool -> start of service [ns].
    pub wait: LatencyHist,
    /// Arrival at the pool -> end of service [ns].
    pub sojourn: LatencyHist,
    /// ∫ busy servers dt [server·ns].
    pub busy_integral: i128,
    /// The same per window.
    pub busy_windows: Vec<i128>,
    /// ∫ waiting jobs dt [job·ns].
    pub queue_integral: i128,
    /// The same per window.
    pub queue_windows: Vec<i128>,
    /// Jobs that reached the pool.
    pub arrivals: u64,
    /// The same per window.
    pub arrival_windows: Vec<u64>,
    /// Jobs that started service.
    pub started: u64,
    /// The same per window.
    pub started_windows: Vec<u64>,
    /// Jobs waiting at the end.
    pub queue_at_end: u64,
    /// Jobs in service at the end.
    pub busy_at_end: u64,
}

/// One workflow over one replication.
#[derive(Debug, Clone)]
pub struct WorkflowResult {
    /// Task arrival -> task end (success or failure), ended tasks [ns].
    pub latency: LatencyHist,
    /// The same by the window in which each task ended.
    pub latency_windows: super::WindowedQuantile,
    /// Tasks that arrived.
    pub started: u64,
    /// Tasks that ended (succeeded or failed).
    pub completed: u64,
    /// ∫ tasks in the system dt [task·ns].
    pub in_system_integral: i128,
    /// Tasks still in flight at the end.
    pub in_flight_at_end: u64,
    /// Their ages at the end [ns].
    pub in_flight_age: LatencyHist,
    /// What the finished tasks used, summed.
    pub usage: crate::domain::tasks::Usage,
    /// The work its tasks did per pool, finished or not (for the cost allocation).
    pub work: WorkShares,
    /// Tasks whose work is all over (ended, and nothing of theirs still running): the
    /// tasks `usage` covers.
    pub finished: u64,
    /// Ended tasks that succeeded (within the deadline, if any).
    pub succeeded: u64,
    /// Ended tasks that failed, by reason (`FailReason::ALL` order).
    pub failed: [u64; 3],
    /// Tasks in flight at the end already older than the deadline (SLO misses).
    pub overdue_in_flight: u64,
    /// Per step, in `WorkflowSpec::steps` order.
    pub steps: Vec<StepResult>,
}

/// The work one workflow's tasks did on each pool, attributed when done (a call when it
/// finishes, a CPU job or a review when it starts), tasks still in flight included.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkShares {
    /// Per GPU pool: GPU time of its calls [GPU·s].
    pub gpu_s: Vec<f64>,
    /// Per CPU pool: service time of its jobs [s].
    pub cpu_s: Vec<f64>,
    /// Per human pool: reviews started.
    pub reviews: Vec<u64>,
}

impl WorkShares {
    /// No work yet on `gpu`, `cpu` and `human` pools.
    pub fn new(gpu: usize, cpu: usize, human: usize) -> WorkShares {
        WorkShares {
            gpu_s: vec![0.0; gpu],
            cpu_s: vec![0.0; cpu],
            reviews: vec![0; human],
        }
    }
}

/// One step of a workflow over one replication (over every frame that ran it: tasks and
/// calls).
#[derive(Debug, Clone, Default)]
pub struct StepResult {
    /// Step ready -> step succeeded (all runs, copies, retries and a handler) [ns].
    pub latency: LatencyHist,
    /// Times the step became ready.
    pub runs: u64,
    /// Times it succeeded.
    pub succeeded: u64,
    /// Times it failed for good (before its handler, if any).
    pub failed: u64,
    /// Attempts started (every copy and retry).
    pub attempts: u64,
}

/// One GPU pool over one replication. Levels are summed over its replicas.
#[derive(Debug, Clone)]
pub struct GpuPoolResult {
    /// Latency distributions and counters of its calls.
    pub calls: CallStats,
    /// Calls that reached the pool.
    pub arrivals: u64,
    /// The same per window.
    pub arrival_windows: Vec<u64>,
    /// Calls rejected because they can never fit in a replica's KV cache.
    pub rejected: u64,
    /// Σ cached prompt tokens (prefix-cache hits) of the finished calls [tokens].
    pub cached_tokens: u64,
    /// ∫ replicas with a non-empty batch dt [replica·ns].
    pub busy_integral: i128,
    /// The same per window.
    pub busy_windows: Vec<i128>,
    /// ∫ calls waiting dt [call·ns].
    pub waiting_integral: i128,
    /// The same per window.
    pub waiting_windows: Vec<i128>,
    /// ∫ calls in the batch dt [call·ns].
    pub running_integral: i128,
    /// ∫ KV tokens cached dt [token·ns].
    pub kv_integral: i128,
    /// The same per window.
    pub kv_windows: Vec<i128>,
    /// Calls waiting at the end.
    pub waiting_at_end: u64,
    /// Calls in a batch at the end.
    pub running_at_end: u64,
    /// KV blocks free at the end, over all replicas (all of them after a drain).
    pub kv_blocks_free_at_end: u64,
    /// One record per finished call (only with `Scenario::record_calls`).
    pub records: Vec<CallRecord>,
    /// ∫ replicas rented dt [replica·ns] of an on-demand pool (0 otherwise).
    pub rented_integral: i128,
    /// The same per window.
    pub rented_windows: Vec<i128>,
}

impl GpuPoolResult {
    /// Closes the pool's integrals at `end`.
    pub fn from_pool(p: GpuPool, end: SimTime) -> GpuPoolResult {
        let mut r = GpuPoolResult {
            calls: p.stats,
            arrivals: 0,
            arrival_windows: Vec::new(),
            rejected: p.rejected,
            cached_tokens: p.cached_tokens,
            busy_integral: 0,
            busy_windows: Vec::new(),
            waiting_integral: 0,
            waiting_windows: Vec::new(),
            running_integral: 0,
            kv_integral: 0,
            kv_windows: Vec::new(),
            waiting_at_end: 0,
            running_at_end: 0,
            kv_blocks_free_at_end: 0,
            records: p.records.unwrap_or_default(),
            rented_integral: 0,
            rented_windows: Vec::new(),
        };
        if let Some(rental) = p.rental {
            (r.rented_integral, r.rented_windows) = rental.finish(end);
        }
        (r.arrivals, r.arrival_windows) = p.arrivals.finish(end);
        let mut areas = p.levels;
        for mut rep in p.replicas {
            r.running_at_end += rep.levels.running.value() as u64;
            r.waiting_at_end += rep.levels.waiting.value() as u64;
            r.kv_blocks_free_at_end += rep.free_blocks();
            r.calls.ideal_compute_s += rep.ideal_s.0;
            r.calls.ideal_memory_s += rep.ideal_s.1;
            rep.close_levels(end, &mut areas);
        }
        (r.busy_integral, r.busy_windows) = areas.busy.finish(end);
        (r.waiting_integral, r.waiting_windows) = areas.waiting.finish(end);
        (r.running_integral, _) = areas.running.finish(end);
        (r.kv_integral, r.kv_windows) = areas.kv_tokens.finish(end);
        r
    }
}
