//! Metric and series names with their units: one list, so output columns stay stable.
//! Definitions are in `docs/METRICS.md`.

/// A metric of `summary.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Metric {
    /// Arrival at a pool -> start of service.
    WaitS,
    /// Arrival at a pool -> end of service.
    SojournS,
    /// Busy-time / (servers × time).
    Utilization,
    /// Time-average number of jobs waiting.
    QueueLength,
    /// Jobs reaching a pool per second.
    ArrivalRatePerS,
    /// Analytic ρ = λ·E[S]·fan-out / c, from the scenario (not simulated).
    OfferedLoad,
    /// Jobs reaching a pool.
    JobsArrived,
    /// Jobs waiting when the run ended.
    JobsQueuedAtEnd,
    /// Jobs in service when the run ended.
    JobsInServiceAtEnd,
    /// Task arrival -> task end.
    TaskLatencyS,
    /// Tasks that arrived.
    TasksStarted,
    /// Tasks that finished.
    TasksCompleted,
    /// Time-average number of tasks in the system (Little's L).
    TasksInSystem,
    /// Tasks in flight when the run ended.
    TasksInFlightAtEnd,
    /// Age of the tasks in flight at the end.
    InFlightAgeS,
    /// Events the kernel handled.
    Events,
    /// Simulated time of a replication.
    SimulatedTimeS,
}

impl Metric {
    /// Name in the `metric` column.
    pub fn name(self) -> &'static str {
        match self {
            Metric::WaitS => "wait_s",
            Metric::SojournS => "sojourn_s",
            Metric::Utilization => "utilization",
            Metric::QueueLength => "queue_length",
            Metric::ArrivalRatePerS => "arrival_rate_per_s",
            Metric::OfferedLoad => "offered_load",
            Metric::JobsArrived => "jobs_arrived",
            Metric::JobsQueuedAtEnd => "jobs_queued_at_end",
            Metric::JobsInServiceAtEnd => "jobs_in_service_at_end",
            Metric::TaskLatencyS => "task_latency_s",
            Metric::TasksStarted => "tasks_started",
            Metric::TasksCompleted => "tasks_completed",
            Metric::TasksInSystem => "tasks_in_system",
            Metric::TasksInFlightAtEnd => "tasks_in_flight_at_end",
            Metric::InFlightAgeS => "in_flight_age_s",
            Metric::Events => "events",
            Metric::SimulatedTimeS => "simulated_time_s",
        }
    }

    /// Unit in the `unit` column.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::WaitS
            | Metric::SojournS
            | Metric::TaskLatencyS
            | Metric::InFlightAgeS
            | Metric::SimulatedTimeS => "s",
            Metric::Utilization | Metric::OfferedLoad => "ratio",
            Metric::QueueLength
            | Metric::JobsArrived
            | Metric::JobsQueuedAtEnd
            | Metric::JobsInServiceAtEnd => "jobs",
            Metric::ArrivalRatePerS => "1/s",
            Metric::TasksStarted
            | Metric::TasksCompleted
            | Metric::TasksInSystem
            | Metric::TasksInFlightAtEnd => "tasks",
            Metric::Events => "events",
        }
    }
}

/// A series of `timeseries.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Window average of busy servers / servers.
    Utilization,
    /// Window average of jobs waiting.
    QueueLength,
    /// Jobs reaching the pool in the window / window length.
    ArrivalRatePerS,
}

impl Series {
    /// Name in the `series` column.
    pub fn name(self) -> &'static str {
        match self {
            Series::Utilization => "utilization",
            Series::QueueLength => "queue_length",
            Series::ArrivalRatePerS => "arrival_rate_per_s",
        }
    }

    /// Unit in the `unit` column.
    pub fn unit(self) -> &'static str {
        match self {
            Series::Utilization => "ratio",
            Series::QueueLength => "jobs",
            Series::ArrivalRatePerS => "1/s",
        }
    }
}
