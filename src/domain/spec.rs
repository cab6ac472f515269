//! The validated scenario: what a run simulates. Built by [`crate::scenario::load`]; every
//! reference is resolved to an index and every number is in range.

use super::dist::Dist;
use super::llm::pool::Routing;
use super::llm::{GpuSpec, ModelSpec, PerfCoeffs};
use crate::engine::SimDuration;
use std::path::PathBuf;
use std::sync::Arc;

/// Index of a CPU pool in [`Scenario::cpu_pools`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolId(pub u32);

/// Index of a GPU pool in [`Scenario::gpu_pools`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GpuPoolId(pub u32);

/// Index of a workflow in [`Scenario::workflows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkflowId(pub u32);

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name of the scenario (output folder, first column of every output row).
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// The file it was read from.
    pub source: PathBuf,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub source_sha256: String,
    /// Base seed of every random stream.
    pub seed: u64,
    /// Number of independent replications.
    pub replications: u32,
    /// No arrival at or after this time; the run stops here unless `drain`.
    pub horizon: Option<SimDuration>,
    /// Keep running after the arrivals stop until the system is empty.
    pub drain: bool,
    /// Width of a time-series window.
    pub interval: SimDuration,
    /// Arrival processes, in file order of their names (sorted).
    pub arrivals: Vec<ArrivalSpec>,
    /// CPU pools, sorted by name; `PoolId` indexes this.
    pub cpu_pools: Vec<CpuPoolSpec>,
    /// GPU serving pools, sorted by name; `GpuPoolId` indexes this.
    pub gpu_pools: Vec<GpuPoolSpec>,
    /// Workflows, sorted by name; `WorkflowId` indexes this.
    pub workflows: Vec<WorkflowSpec>,
    /// Keep one record per LLM call for `requests.csv` (set by `run --requests-csv`; memory
    /// grows with the calls).
    pub record_calls: bool,
}

/// An open arrival process of tasks of one workflow.
#[derive(Debug, Clone)]
pub struct ArrivalSpec {
    /// Name (`arrivals.NAME`); also names its random stream.
    pub name: String,
    /// The workflow each arrival starts.
    pub workflow: WorkflowId,
    /// When arrivals come.
    pub process: ArrivalProcess,
    /// Stop after this many arrivals.
    pub max_arrivals: Option<u64>,
}

/// How the arrival times of a process are produced.
#[derive(Debug, Clone)]
pub enum ArrivalProcess {
    /// I.i.d. inter-arrival times (a renewal process; Poisson when exponential). The first
    /// arrival comes one inter-arrival time after the start.
    Renewal(Dist),
    /// Replay of a request trace: one task per row at the row's offset from the trace's first
    /// row (the first arrives at time 0), carrying the row's token counts to its `llm` steps.
    Trace(Arc<TraceReplay>),
}

/// A request trace ready for replay.
#[derive(Debug, Clone)]
pub struct TraceReplay {
    /// The file it came from.
    pub source: PathBuf,
    /// Requests in time order.
    pub requests: Vec<TraceRequest>,
}

/// One request of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceRequest {
    /// Arrival offset from the trace's first request, after `time_scale` [ns].
    pub at_ns: u64,
    /// Prompt tokens (>= 1).
    pub input_tokens: u32,
    /// Output tokens (>= 1).
    pub output_tokens: u32,
}

impl ArrivalSpec {
    /// Arrivals this process can produce at most (a trace: its rows).
    pub fn max_count(&self) -> Option<u64> {
        let own = match &self.process {
            ArrivalProcess::Renewal(_) => None,
            ArrivalProcess::Trace(t) => Some(t.requests.len() as u64),
        };
        match (own, self.max_arrivals) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A pool of identical CPU servers with one FIFO queue.
#[derive(Debug, Clone)]
pub struct CpuPoolSpec {
    /// Name (`cpu_pool.NAME`).
    pub name: String,
    /// Number of servers c, >= 1.
    pub servers: u32,
}

/// A GPU serving pool: `replicas` copies of one model, each on `tensor_parallel` GPUs.
#[derive(Debug, Clone)]
pub struct GpuPoolSpec {
    /// Name (`gpu_pool.NAME`).
    pub name: String,
    /// Catalog name of the model.
    pub model_name: String,
    /// The model.
    pub model: ModelSpec,
    /// Catalog name of the GPU.
    pub gpu_name: String,
    /// The GPU.
    pub gpu: GpuSpec,
    /// GPUs per replica (tensor parallel degree).
    pub tensor_parallel: u32,
    /// Replicas.
    pub replicas: u32,
    /// Roofline coefficients.
    pub perf: PerfCoeffs,
    /// Where the coefficients come from (e.g. "h100-sxm at TP 4, calibrated").
    pub perf_source: String,
    /// Most sequences in a batch.
    pub max_num_seqs: u32,
    /// Most tokens in an iteration.
    pub max_num_batched_tokens: u32,
    /// Tokens per KV block.
    pub block_size: u32,
    /// KV blocks per replica (derived from memory, or given).
    pub kv_blocks: u64,
    /// Router.
    pub routing: Routing,
    /// Fast-forward decode runs (off: one event per iteration; the same timings).
    pub fast_forward: bool,
}

/// A token count of an `llm` step: from the task's trace row, or drawn.
#[derive(Debug, Clone)]
pub enum TokenSource {
    /// The trace row that started the task.
    Trace,
    /// Drawn from a distribution, rounded to the nearest integer and clamped to
    /// `[min, max]` (min >= 1).
    Dist {
        /// The distribution (its unit is tokens, not seconds).
        dist: Dist,
        /// Smallest count.
        min: u32,
        /// Largest count.
        max: u32,
    },
}

/// A workflow: a DAG of steps. A task of it ends when every step has finished.
#[derive(Debug, Clone)]
pub struct WorkflowSpec {
    /// Name (`workflow.NAME`).
    pub name: String,
    /// Steps in a topological order (every step after all of its `after` steps).
    pub steps: Vec<StepSpec>,
    /// Indices of the steps with no `after`: they start when the task arrives.
    pub roots: Vec<u32>,
    /// The SLO of a task: arrival to end. A task that ends later has failed (reason
    /// `deadline`); one still in flight at the end of the run and older counts as a miss.
    pub deadline: Option<SimDuration>,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Occupies one server of a CPU pool for a service time.
    Cpu {
        /// The pool.
        pool: PoolId,
        /// Service time.
        service: Dist,
    },
    /// Takes time, holds no resource (an external API).
    Delay {
        /// How long.
        duration: Dist,
    },
    /// An LLM call on a GPU pool.
    Llm {
        /// The pool.
        pool: GpuPoolId,
        /// Prompt tokens.
        input: TokenSource,
        /// Output tokens.
        output: TokenSource,
    },
}

/// One step of a workflow.
#[derive(Debug, Clone)]
pub struct StepSpec {
    /// Name, unique in the workflow.
    pub name: String,
    /// What it does.
    pub kind: StepKind,
    /// Number of parallel copies; the step finishes when all have (join on all). >= 1.
    pub fanout: u32,
    /// How many steps must finish before this one starts.
    pub n_after: u32,
    /// Indices (into `WorkflowSpec::steps`) of the steps that wait for this one.
    pub successors: Vec<u32>,
}

/// Most time-series windows per series and replication (`expected length / interval`).
pub const MAX_WINDOWS: u64 = 1_000_000;
/// Most rows of `timeseries.csv` in one run (replications × pools × series × windows; about
/// 1.5 GB of CSV).
pub const MAX_SERIES_ROWS: f64 = 2e7;

impl Scenario {
    /// Expected simulated length of a replication [s]: the horizon, or for a run stopped by
    /// `max_arrivals`, the longest `max_arrivals × mean inter-arrival time`.
    pub fn expected_end_s(&self) -> Option<f64> {
        if let Some(h) = self.horizon {
            return Some(h.as_secs_f64());
        }
        self.arrivals
            .iter()
            .filter_map(|a| match &a.process {
                ArrivalProcess::Trace(t) => {
                    let n = a.max_count().unwrap_or(0) as usize;
                    t.requests[..n.min(t.requests.len())]
                        .last()
                        .map(|r| r.at_ns as f64 / 1e9)
                }
                ArrivalProcess::Renewal(d) => a.max_arrivals.map(|m| m as f64 * d.mean_s()),
            })
            .reduce(f64::max)
            .filter(|e| *e > 0.0)
    }

    /// Why the time series would be too large for memory, if it would: more than
    /// [`MAX_WINDOWS`] windows per series, or more than [`MAX_SERIES_ROWS`] rows in all.
    pub fn time_series_problem(&self) -> Option<String> {
        let end = self.expected_end_s()?;
        let interval = self.interval.as_secs_f64();
        let windows = (end / interval).ceil();
        let what = if self.horizon.is_some() {
            "the horizon"
        } else {
            "the arrivals (expected length)"
        };
        if windows > MAX_WINDOWS as f64 {
            return Some(format!(
                "{what} of {end:.6e} s in windows of {interval} s gives {windows:.0} time-series windows; at most {MAX_WINDOWS}: use a larger interval"
            ));
        }
        let pools = self.cpu_pools.len() + 2 * self.gpu_pools.len();
        let rows = windows * 3.0 * pools as f64 * f64::from(self.replications);
        if rows > MAX_SERIES_ROWS {
            return Some(format!(
                "timeseries.csv would hold about {rows:.0} rows ({} replications x {} pools x 3 series x {windows:.0} windows); at most {MAX_SERIES_ROWS:.0}: use a larger interval or fewer replications",
                self.replications, pools
            ));
        }
        None
    }

    /// Mean arrival rate of process `a` over the part of the run it feeds [1/s]: a renewal
    /// process's 1 / mean gap; a trace's replayed rows (before the horizon, up to
    /// `max_arrivals`) over the horizon, or over their span when there is none.
    pub fn arrival_rate(&self, a: &ArrivalSpec) -> f64 {
        match &a.process {
            ArrivalProcess::Renewal(d) => 1.0 / d.mean_s(),
            ArrivalProcess::Trace(t) => {
                let limit = self.horizon.map_or(u64::MAX, |h| h.0);
                let cap = a.max_arrivals.unwrap_or(u64::MAX);
                let replayed: Vec<&TraceRequest> = t
                    .requests
                    .iter()
                    .take_while(|r| r.at_ns < limit)
                    .take(usize::try_from(cap).unwrap_or(usize::MAX))
                    .collect();
                let n = replayed.len() as f64;
                match (self.horizon, replayed.last()) {
                    (Some(h), _) => n / h.as_secs_f64(),
                    (None, Some(last)) if last.at_ns > 0 => (n - 1.0) / (last.at_ns as f64 / 1e9),
                    _ => 0.0,
                }
            }
        }
    }

    /// Offered load per CPU pool: ρ = Σ arrival rate × fan-out × mean service / servers.
    /// A value >= 1 means the queue grows without bound (the pool is unstable).
    pub fn offered_load(&self) -> Vec<f64> {
        let mut work = vec![0.0; self.cpu_pools.len()];
        for a in &self.arrivals {
            let rate = self.arrival_rate(a);
            for step in &self.workflows[a.workflow.0 as usize].steps {
                if let StepKind::Cpu { pool, service } = &step.kind {
                    work[pool.0 as usize] += rate * f64::from(step.fanout) * service.mean_s();
                }
            }
        }
        work.iter()
            .zip(&self.cpu_pools)
            .map(|(w, p)| w / f64::from(p.servers))
            .collect()
    }
}
