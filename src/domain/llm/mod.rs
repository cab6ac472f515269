//! LLM serving: the hardware and model catalog ([`catalog`]), the calibrated iteration-time
//! roofline ([`perf`]) and its fit on measured data ([`calibrate`]), and the GPU serving pool
//! with vLLM-style continuous batching and a paged KV cache ([`replica`], [`pool`]).

pub mod calibrate;
pub mod catalog;
pub mod least;
pub mod perf;
pub mod pool;
pub mod rental;
pub mod replica;

pub use catalog::{Catalog, GpuSpec, ModelSpec};
pub use perf::{BatchShape, PerfCoeffs};
