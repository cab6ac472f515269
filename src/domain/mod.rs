//! The domain: what is simulated. Validated specs ([`spec`]), distributions ([`dist`]), and
//! the model the kernel drives ([`model`]).

pub mod count;
pub mod dist;
pub mod spec;

pub use count::CountDist;
pub use dist::{Dist, Sampler};
pub use spec::{
    ArrivalProcess, ArrivalSpec, Baseline, Budget, CpuPoolSpec, Fanout, GpuPoolId, GpuPoolSpec,
    HumanPoolId, HumanPoolSpec, Join, MAX_SERIES_ROWS, MAX_WINDOWS, OnFailure, Overflow, PoolId,
    RetrySpec, Route, Scenario, StepKind, StepSpec, TokenSource, TraceReplay, TraceRequest,
    WorkflowId, WorkflowSpec, WorkingHours,
};
pub mod cpu_pool;
pub mod demand;
pub mod economics;
pub mod epochs;
pub mod facility;
pub mod fleet;
pub mod llm;
pub mod model;
pub mod planner;
pub mod tasks;
pub mod trace;

pub use model::{Event, MAX_TASKS_IN_FLIGHT, ScenarioModel, SimError, SimErrorKind};
pub use trace::{NoTrace, TraceEvent, Tracer};
