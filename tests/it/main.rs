//! One integration-test binary: oracles against closed forms, exact traces, determinism,
//! scenario errors, the CLI, and the charts and pages.

mod calibration;
mod cli;
mod cost;
mod cost_review;
mod demand;
mod determinism;
mod exact;
mod facility;
mod facility_review;
mod fleet;
mod horizon;
mod llm;
mod llm_errors;
mod oracles;
mod plan;
mod planner;
mod power;
mod report;
mod scenario_errors;
mod set;
mod shard;
mod support;
mod sweep;
mod workflow_errors;
mod workflow_syntax;
mod workflows;
