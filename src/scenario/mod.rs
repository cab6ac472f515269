//! Scenario files: TOML -> raw serde structs -> validated [`crate::domain::Scenario`].
//!
//! Problems are collected, not thrown: [`load`] returns every one it finds, each with the
//! file, field path, line and column, what was expected and what was found.

mod call_graph;
mod cost_spec;
mod count_spec;
mod demand_spec;
mod diagnostics;
mod dist_spec;
mod duration;
mod facility_spec;
mod human_spec;
mod llm_spec;
mod load;
mod overrides;
pub mod plan_spec;
pub mod planner_spec;
mod raw;
mod source_map;
mod step_spec;
pub mod trace_file;
mod validate;
mod workflow_graph;
mod workflow_spec;

pub use demand_spec::parse_date;
pub use diagnostics::{Diagnostic, ScenarioErrors};
pub use duration::parse_duration;
pub use human_spec::DAYS;
pub use load::{SECTIONS, load, load_sized, load_with, parse_str};
pub use overrides::Override;
pub use raw::RawDuration;
pub use step_spec::KINDS;
pub use trace_file::{
    AZURE_COLUMNS, MAX_TRACE_BYTES, MAX_TRACE_PROBLEMS, Trace, TraceError, TraceFormat,
    TraceProblem, TraceRequest, read_trace,
};
pub use validate::{
    DEFAULT_INTERVAL, MAX_FANOUT, MAX_REPLICATIONS, MAX_SERVERS, MAX_TIME_S,
    MIN_MEAN_INTERARRIVAL_S,
};
pub use workflow_spec::{DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS, MAX_REPEAT};
