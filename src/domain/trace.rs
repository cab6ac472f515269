//! An optional log of what happened, for exact-trace tests and debugging.
//!
//! The model is generic over a [`Tracer`]; the default [`NoTrace`] compiles to nothing, so
//! production runs pay no cost.

use crate::engine::SimTime;

/// Something that happened to a task, with the task's serial number (0, 1, 2… in arrival
/// order within a replication).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceEvent {
    /// A task of `workflow` arrived.
    TaskArrived {
        /// Task serial number.
        task: u64,
        /// Workflow index.
        workflow: u32,
    },
    /// A copy of `step` reached `pool` (it starts at once or queues).
    JobArrived {
        /// Task serial number.
        task: u64,
        /// Step index within the workflow (topological order).
        step: u32,
        /// CPU pool index.
        pool: u32,
    },
    /// A copy of an `llm` step reached GPU pool `pool` (routed to a replica, it queues or
    /// joins the next batch).
    CallArrived {
        /// Task serial number.
        task: u64,
        /// Step index within the workflow (topological order).
        step: u32,
        /// GPU pool index.
        pool: u32,
    },
    /// It started service.
    JobStarted {
        /// Task serial number.
        task: u64,
        /// Step index within the workflow.
        step: u32,
        /// Pool index.
        pool: u32,
    },
    /// It finished service.
    JobFinished {
        /// Task serial number.
        task: u64,
        /// Step index within the workflow.
        step: u32,
        /// Pool index.
        pool: u32,
    },
    /// A copy of a delay step started.
    DelayStarted {
        /// Task serial number.
        task: u64,
        /// Step index within the workflow.
        step: u32,
    },
    /// A copy of a delay step finished.
    DelayFinished {
        /// Task serial number.
        task: u64,
        /// Step index within the workflow.
        step: u32,
    },
    /// Every copy of `step` finished.
    StepFinished {
        /// Task serial number.
        task: u64,
        /// Step index within the workflow.
        step: u32,
    },
    /// The task finished (every step did).
    TaskFinished {
        /// Task serial number.
        task: u64,
        /// Workflow index.
        workflow: u32,
    },
}

/// Receives trace events.
pub trait Tracer {
    /// Whether trace points are recorded; when `false`, the model skips even the lookups
    /// that feed them.
    const ENABLED: bool = true;
    /// Called at each trace point with the current time.
    fn trace(&mut self, now: SimTime, event: TraceEvent);
}

/// Discards everything (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTrace;

impl Tracer for NoTrace {
    const ENABLED: bool = false;
    #[inline(always)]
    fn trace(&mut self, _now: SimTime, _event: TraceEvent) {}
}

/// Keeps everything, in order.
impl Tracer for Vec<(SimTime, TraceEvent)> {
    fn trace(&mut self, now: SimTime, event: TraceEvent) {
        self.push((now, event));
    }
}
