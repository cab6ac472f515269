//! infersim: a discrete-event capacity and datacenter simulator for AI inference.
pub mod engine;
