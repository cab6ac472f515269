//! infersim: a discrete-event capacity and datacenter simulator for AI inference.
#![deny(missing_docs)]
pub mod cli;
pub mod domain;
pub mod engine;
pub mod metrics;
pub mod plan;
pub mod report;
pub mod run;
pub mod scenario;
