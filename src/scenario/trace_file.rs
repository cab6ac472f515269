//! TEMPORARY placeholder (replaced by the trace reader).
#![allow(missing_docs)]
use std::path::{Path, PathBuf};
pub struct TraceRequest {
    pub at_ns: u64,
    pub input_tokens: u32,
    pub output_tokens: u32,
}
pub struct Trace {
    pub requests: Vec<TraceRequest>,
    pub source: PathBuf,
}
#[derive(Clone, Copy)]
pub enum TraceFormat {
    AzureCsv,
    Jsonl,
}
#[derive(Debug, thiserror::Error)]
#[error("placeholder")]
pub struct TraceError;
pub fn read_trace(_p: &Path, _f: Option<TraceFormat>, _s: f64) -> Result<Trace, TraceError> {
    Err(TraceError)
}
