//! What one replication measured: exact integrals, streaming distributions, window series.

use super::LatencyHist;
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
    /// Per workflow, in `Scenario::workflows` order.
    pub workflows: Vec<WorkflowResult>,
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
    /// Jobs waiting at the end.
    pub queue_at_end: u64,
    /// Jobs in service at the end.
    pub busy_at_end: u64,
}

/// One workflow over one replication.
#[derive(Debug, Clone)]
pub struct WorkflowResult {
    /// Task arrival -> task end, completed tasks [ns].
    pub latency: LatencyHist,
    /// Tasks that arrived.
    pub started: u64,
    /// Tasks that finished.
    pub completed: u64,
    /// ∫ tasks in the system dt [task·ns].
    pub in_system_integral: i128,
    /// Tasks still in flight at the end.
    pub in_flight_at_end: u64,
    /// Their ages at the end [ns].
    pub in_flight_age: LatencyHist,
}
