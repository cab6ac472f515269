//! The validated scenario: what a run simulates. Built by [`crate::scenario::load`]; every
//! reference is resolved to an index and every number is in range.

use super::count::CountDist;
use super::dist::Dist;
use super::llm::pool::Routing;
use super::llm::{GpuSpec, ModelSpec, PerfCoeffs};
use crate::engine::{SimDuration, SimTime};
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
    /// The `--set PATH=VALUE` changes applied to the file, as given (empty for the file as
    /// written).
    pub overrides: Vec<String>,
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
    /// Local date and time at simulated time 0 (`None`: a Monday, 00:00).
    pub start: Option<jiff::civil::DateTime>,
    /// Arrival processes, in file order of their names (sorted).
    pub arrivals: Vec<ArrivalSpec>,
    /// CPU pools, sorted by name; `PoolId` indexes this.
    pub cpu_pools: Vec<CpuPoolSpec>,
    /// GPU serving pools, sorted by name; `GpuPoolId` indexes this.
    pub gpu_pools: Vec<GpuPoolSpec>,
    /// Human reviewer pools, sorted by name; `HumanPoolId` indexes this.
    pub human_pools: Vec<HumanPoolSpec>,
    /// Workflows, sorted by name; `WorkflowId` indexes this.
    pub workflows: Vec<WorkflowSpec>,
    /// Racks, power and cooling; `None`: no facility is modelled.
    pub facility: Option<super::facility::FacilitySpec>,
    /// Prices (all 0 when the scenario gives none).
    pub cost: super::economics::CostSpec,
    /// The calendar origin: `[scenario] start` as written (or the default Monday). Fleet
    /// dates and growth are measured from it; an epoch's run moves `start`, not this.
    pub origin: jiff::civil::DateTime,
    /// GPU replicas over time (`replicas` at the origin, then `[[fleet]]`).
    pub fleet: super::fleet::Fleet,
    /// Long-horizon plan; `None`: one run over the horizon.
    pub epochs: Option<super::epochs::EpochPlan>,
    /// Task SLO attainment the plan must keep (`runway_days`).
    pub slo_target: Option<f64>,
    /// `[plan]`: what `infersim plan` sizes and must meet (`None`: no planner section).
    pub plan: Option<super::planner::PlanSpec>,
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
    /// How a renewal process's rate moves over calendar time (growth × weekly shape);
    /// `None`: constant (always for a trace, which is replayed as recorded).
    pub modulation: Option<Arc<super::demand::RateModulation>>,
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
    /// Share of a call's carried context (the prompt part gathered by earlier steps) found
    /// in the replica's prefix cache, in [0, 1]: those tokens are not prefilled again (their
    /// KV blocks are still held). New prompt tokens always miss. Default 0.
    pub prefix_cache_hit: f64,
    /// Where calls go when this pool is saturated (a cloud burst pool, or newer hardware).
    pub overflow: Option<Overflow>,
}

/// A GPU pool's overflow rule: a call that finds every replica of its pool with at least
/// `queue` calls waiting that its batch cannot take (at `max_num_seqs`, or short of KV
/// blocks) goes to pool `to` instead (the same model), if `to` has replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    /// The pool taking the overflow (index into `Scenario::gpu_pools`).
    pub to: u32,
    /// Calls waiting at every replica that make the pool saturated, >= 1.
    pub queue: u32,
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

/// A workflow: a DAG of steps. A task of it ends when every step on its DAG has finished
/// (succeeded), or fails as soon as one step fails for good.
#[derive(Debug, Clone)]
pub struct WorkflowSpec {
    /// Name (`workflow.NAME`).
    pub name: String,
    /// Steps in a topological order (every step after all of its `after` steps). Handler
    /// steps (named by another step's `on_failure`) are included; they are not on the DAG.
    pub steps: Vec<StepSpec>,
    /// Indices of the DAG steps with no `after`: they start when the task (or call) starts.
    pub roots: Vec<u32>,
    /// DAG steps (every step that is not a handler): the workflow is done when all of them
    /// have succeeded.
    pub dag_steps: u32,
    /// The SLO of a task: arrival to end. A task that ends later has failed (reason
    /// `deadline`); one still in flight at the end of the run and older counts as a miss.
    /// Only a workflow started by an arrival process uses it (not one called from a step).
    pub deadline: Option<SimDuration>,
    /// Budgets of one task; exceeding one fails the task (reason `budget`).
    pub budget: Budget,
    /// Today's process without AI, and the fallback of a failed task.
    pub baseline: Option<Baseline>,
}

/// How a case is handled without AI: people's time, its cost and the cycle time. A task
/// that fails falls back to this process (and costs it, on top of what the AI spent).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    /// People-minutes per case, > 0.
    pub minutes_per_case: f64,
    /// Loaded hourly cost of those people [USD/h], >= 0.
    pub usd_per_hour: f64,
    /// Request to resolution today [s], >= 0.
    pub cycle_time_s: f64,
}

impl Baseline {
    /// Cost of one case today [USD].
    pub fn cost_per_case_usd(&self) -> f64 {
        self.minutes_per_case / 60.0 * self.usd_per_hour
    }
}

/// Budgets of one task, counted over the task and every workflow it calls.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Budget {
    /// Most step attempts started (each copy and each retry counts one).
    pub max_steps: Option<u64>,
    /// Most LLM tokens (prompt + output, cached included) of the calls started.
    pub max_tokens: Option<u64>,
}

/// Which GPU pool an `llm` step's call goes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    /// Always this pool.
    Fixed(GpuPoolId),
    /// Each call picks a pool at random with these weights (cumulative shares, the last
    /// is 1.0; pools in name order).
    Weighted(Vec<(GpuPoolId, f64)>),
    /// The first rule whose `max_input_tokens` holds (prompt tokens, context included) for
    /// the call; the last rule has no limit.
    Rule(Vec<(Option<u32>, GpuPoolId)>),
}

impl Route {
    /// Every pool the route may choose.
    pub fn pools(&self) -> Vec<GpuPoolId> {
        match self {
            Route::Fixed(p) => vec![*p],
            Route::Weighted(w) => w.iter().map(|x| x.0).collect(),
            Route::Rule(r) => r.iter().map(|x| x.1).collect(),
        }
    }
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum StepKind {
    /// Occupies one server of a CPU pool for a service time (a retrieval, a tool call).
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
        /// Where each call goes.
        route: Route,
        /// Prompt tokens (new ones; the task's context is added when `context`).
        input: TokenSource,
        /// Output tokens.
        output: TokenSource,
        /// The prompt also carries the context gathered so far in this workflow run
        /// (earlier outputs and tool results); that part may hit the pool's prefix cache.
        context: bool,
    },
    /// A review by one person of a human reviewer pool.
    Human {
        /// The pool.
        pool: HumanPoolId,
        /// Review time.
        service: Dist,
    },
    /// Runs another workflow (a subagent) and finishes when it does; fails when it fails.
    Call {
        /// The workflow called.
        workflow: WorkflowId,
    },
}

/// How many copies of a step run in parallel.
#[derive(Debug, Clone, PartialEq)]
pub enum Fanout {
    /// A count drawn each time the step runs (`Fixed(1)`: no fan-out).
    Count(CountDist),
    /// One copy per copy of that earlier step (index in the workflow) in its latest run.
    ForEach(u32),
}

/// When a fanned-out step is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// Every copy must succeed; the step waits for all.
    All,
    /// Done as soon as `k` copies have succeeded (the others run on, their results unused);
    /// failed once that can no longer happen. With fewer than `k` copies, all must succeed.
    First(u32),
    /// Waits for every copy; succeeds when at least `k` did.
    Quorum(u32),
}

/// What happens when a step has used all its attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// The workflow run fails (a task: reason `retries_exhausted`; a call: the calling
    /// step's copy fails).
    Fail,
    /// This handler step (index in the workflow) runs in its place; its outcome is the
    /// step's (an escalation to a human, or a fall-back to a larger model: a cascade).
    Handler(u32),
}

/// How a failed attempt is retried.
#[derive(Debug, Clone)]
pub struct RetrySpec {
    /// Attempts in all, >= 1 (1: no retry).
    pub max_attempts: u32,
    /// Wait before the next attempt.
    pub backoff: Option<Dist>,
    /// Re-run from this earlier step (index in the workflow; an ancestor on the DAG)
    /// instead of repeating only this one: e.g. a failed validation re-runs the answer.
    pub from: Option<u32>,
}

/// One step of a workflow.
#[derive(Debug, Clone)]
pub struct StepSpec {
    /// Name, unique in the workflow.
    pub name: String,
    /// What it does.
    pub kind: StepKind,
    /// Copies run in parallel.
    pub fanout: Fanout,
    /// When the copies are done.
    pub join: Join,
    /// Times the step (all its copies, then the join) runs one after another; 0 skips it.
    pub repeat: CountDist,
    /// Probability that one attempt of one copy succeeds, in [0, 1].
    pub success_prob: f64,
    /// Retries of a failed attempt.
    pub retry: RetrySpec,
    /// After the last attempt fails.
    pub on_failure: OnFailure,
    /// Tokens one copy adds to the workflow run's context when it succeeds (a tool's
    /// result); an `llm` copy always adds its new prompt and its output tokens.
    pub result_tokens: Option<TokenSource>,
    /// Only runs as another step's `on_failure` handler (not on the DAG).
    pub handler: bool,
    /// How many steps must finish before this one starts.
    pub n_after: u32,
    /// Indices (into `WorkflowSpec::steps`) of the steps that wait for this one.
    pub successors: Vec<u32>,
    /// With `retry.from`: the steps re-run (the chain from `from` to this step, in
    /// topological order, this step last), each with its count of `after` steps inside
    /// the chain. Empty otherwise.
    pub rerun: Vec<(u32, u32)>,
}

/// Index of a human reviewer pool in [`Scenario::human_pools`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanPoolId(pub u32);

/// A pool of human reviewers: `reviewers` people, one FIFO queue, optional working hours.
#[derive(Debug, Clone)]
pub struct HumanPoolSpec {
    /// Name (`human_pool.NAME`).
    pub name: String,
    /// Reviewers c, >= 1.
    pub reviewers: u32,
    /// Default review time of steps on this pool.
    pub service: Dist,
    /// Price of one review [USD].
    pub cost_per_review_usd: f64,
    /// When reviews may start; `None`: around the clock.
    pub hours: Option<WorkingHours>,
}

/// Working hours of a reviewer pool, on the clock of the scenario's `start` (simulated
/// time 0 is Monday 00:00 without one; the model adds [`Scenario::week_offset_s`] before
/// asking). A review starts only inside the hours; one under way when they end is finished
/// (overtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    /// Opening time after midnight [s], < `to_s`.
    pub from_s: u32,
    /// Closing time after midnight [s], <= 86,400.
    pub to_s: u32,
    /// Working days, Monday first.
    pub days: [bool; 7],
}

impl WorkingHours {
    const DAY: u64 = 86_400_000_000_000;

    /// Whether reviews may start at `t`.
    pub fn is_open(&self, t: SimTime) -> bool {
        let day = ((t.0 / Self::DAY) % 7) as usize;
        let in_day = t.0 % Self::DAY;
        self.days[day]
            && in_day >= u64::from(self.from_s) * 1_000_000_000
            && in_day < u64::from(self.to_s) * 1_000_000_000
    }

    /// The next opening at or after `t` (`t` itself when open); `None` with no working day.
    pub fn next_open(&self, t: SimTime) -> Option<SimTime> {
        if self.is_open(t) {
            return Some(t);
        }
        let day0 = t.0 / Self::DAY;
        for d in 0..=7u64 {
            let day = day0 + d;
            if !self.days[(day % 7) as usize] {
                continue;
            }
            let open = day
                .checked_mul(Self::DAY)?
                .checked_add(u64::from(self.from_s) * 1_000_000_000)?;
            if open >= t.0 {
                return Some(SimTime(open));
            }
        }
        None
    }
}

/// Most time-series windows per series and replication (`expected length / interval`).
pub const MAX_WINDOWS: u64 = 1_000_000;
/// Most rows of `timeseries.csv` in one run (replications × pools × series × windows; about
/// 1.5 GB of CSV).
pub const MAX_SERIES_ROWS: f64 = 2e7;

impl Scenario {
    /// The local date and time at simulated time 0: `start`, or
    /// [`DEFAULT_START`](super::facility::runtime::DEFAULT_START).
    pub fn start_date(&self) -> jiff::civil::DateTime {
        self.start
            .unwrap_or(super::facility::runtime::DEFAULT_START)
    }

    /// Seconds from the Monday 00:00 before the start to the start (0 without a start):
    /// added to simulated time to read working hours.
    pub fn week_offset_s(&self) -> u64 {
        self.start.map_or(0, |dt| {
            let day = u64::from(dt.weekday().to_monday_zero_offset().unsigned_abs());
            day * 86_400
                + u64::from(dt.hour().unsigned_abs()) * 3600
                + u64::from(dt.minute().unsigned_abs()) * 60
                + u64::from(dt.second().unsigned_abs())
        })
    }

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
        let pools = self.cpu_pools.len() + self.human_pools.len() + 2 * self.gpu_pools.len();
        let rows = windows * 3.0 * pools as f64 * f64::from(self.replications);
        if rows > MAX_SERIES_ROWS {
            return Some(format!(
                "timeseries.csv would hold about {rows:.0} rows ({} replications x {} pools x 3 series x {windows:.0} windows); at most {MAX_SERIES_ROWS:.0}: use a larger interval or fewer replications",
                self.replications, pools
            ));
        }
        None
    }

    /// Expected arrivals of every process over `[from_s, to_s)` (seconds since the calendar
    /// origin): a renewal process's rate times the integral of its rate multiplier (growth
    /// and shape), a trace's mean rate times the length.
    pub fn expected_arrivals(&self, from_s: f64, to_s: f64) -> f64 {
        let at = |s: f64| {
            self.origin
                .checked_add(jiff::SignedDuration::from_nanos((s * 1e9).round() as i64))
                .unwrap_or(jiff::civil::DateTime::MAX)
        };
        self.arrivals
            .iter()
            .map(|a| match (&a.process, &a.modulation) {
                (ArrivalProcess::Renewal(d), Some(m)) => {
                    m.integral_s(at(from_s), at(to_s)) / d.mean_s()
                }
                (ArrivalProcess::Renewal(d), None) => (to_s - from_s) / d.mean_s(),
                (ArrivalProcess::Trace(_), _) => (to_s - from_s) * self.arrival_rate(a),
            })
            .sum()
    }

    /// Mean arrival rate of process `a` over the part of the run it feeds [1/s]: a renewal
    /// process's 1 / mean gap (with a modulation and a horizon, times the mean multiplier over
    /// the horizon); a trace's replayed rows (before the horizon, up to
    /// `max_arrivals`) over the horizon, or over their span when there is none.
    pub fn arrival_rate(&self, a: &ArrivalSpec) -> f64 {
        match &a.process {
            ArrivalProcess::Renewal(d) => match (&a.modulation, self.horizon) {
                (Some(m), Some(h)) => {
                    let start = self.start_date();
                    let end = start
                        .checked_add(jiff::SignedDuration::from_nanos(h.0 as i64))
                        .unwrap_or(jiff::civil::DateTime::MAX);
                    m.integral_s(start, end) / h.as_secs_f64() / d.mean_s()
                }
                _ => 1.0 / d.mean_s(),
            },
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

    /// Whether an arrival process starts tasks of workflow `w` (otherwise it only runs when
    /// called from a step).
    pub fn starts_tasks(&self, w: WorkflowId) -> bool {
        self.arrivals.iter().any(|a| a.workflow == w)
    }

    /// Expected runs of each step per task of workflow `w`, over `w` and every workflow it
    /// calls: `(workflow, step, visits)`, one entry per step of each workflow reached. A
    /// step's runs are its workflow's runs × mean fan-out × mean repeat × expected attempts
    /// ((1 − (1 − p)^n) / p); a handler runs when its step fails for good; a called
    /// workflow runs as often as the steps calling it, summed over callers. Retries from an
    /// earlier step are counted on the failing step only. Linear in the workflows and steps
    /// reached (validation rules out call cycles; one here would only be cut).
    pub fn expected_visits(&self, w: WorkflowId) -> Vec<(WorkflowId, u32, f64)> {
        // Callers before callees: reverse post-order of a depth-first walk of the calls.
        let n = self.workflows.len();
        let mut seen = vec![false; n];
        let mut post = Vec::new();
        let mut stack = vec![(w.0 as usize, 0usize)];
        seen[w.0 as usize] = true;
        while let Some(&(v, i)) = stack.last() {
            let steps = &self.workflows[v].steps;
            match steps.get(i) {
                None => {
                    post.push(v);
                    stack.pop();
                }
                Some(s) => {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    if let StepKind::Call { workflow } = s.kind {
                        let t = workflow.0 as usize;
                        if t < n && !seen[t] {
                            seen[t] = true;
                            stack.push((t, 0));
                        }
                    }
                }
            }
        }
        let mut runs = vec![0.0; n];
        runs[w.0 as usize] = 1.0;
        let mut out = Vec::new();
        for &v in post.iter().rev() {
            for (i, visits) in self.local_visits(v).into_iter().enumerate() {
                let visits = visits * runs[v];
                out.push((WorkflowId(v as u32), i as u32, visits));
                if let StepKind::Call { workflow } = self.workflows[v].steps[i].kind {
                    runs[workflow.0 as usize] += visits;
                }
            }
        }
        out
    }

    /// Expected attempts of each step of workflow `w` per run of it (calls not followed).
    fn local_visits(&self, w: usize) -> Vec<f64> {
        let wf = &self.workflows[w];
        let mut runs: Vec<f64> = wf
            .steps
            .iter()
            .map(|s| if s.handler { 0.0 } else { 1.0 })
            .collect();
        let mut out = vec![0.0; wf.steps.len()];
        // Handlers come after the steps naming them, so one pass in order suffices.
        for (i, s) in wf.steps.iter().enumerate() {
            let copies = match &s.fanout {
                Fanout::Count(c) => c.mean(),
                Fanout::ForEach(j) => match &wf.steps[*j as usize].fanout {
                    Fanout::Count(c) => c.mean(),
                    Fanout::ForEach(_) => 1.0,
                },
            };
            let p = s.success_prob;
            let n = f64::from(s.retry.max_attempts);
            let attempts = if p > 0.0 {
                (1.0 - (1.0 - p).powf(n)) / p
            } else {
                n
            };
            out[i] = runs[i] * copies * s.repeat.mean() * attempts;
            if let OnFailure::Handler(h) = s.on_failure {
                runs[h as usize] += runs[i] * s.repeat.mean() * (1.0 - p).powf(n).min(1.0);
            }
        }
        out
    }

    /// Offered load per CPU pool: ρ = Σ arrival rate × expected visits × mean service /
    /// servers. A value >= 1 means the queue grows without bound (the pool is unstable).
    pub fn offered_load(&self) -> Vec<f64> {
        let mut work = vec![0.0; self.cpu_pools.len()];
        for a in &self.arrivals {
            let rate = self.arrival_rate(a);
            for (w, s, visits) in self.expected_visits(a.workflow) {
                let step = &self.workflows[w.0 as usize].steps[s as usize];
                if let StepKind::Cpu { pool, service } = &step.kind {
                    work[pool.0 as usize] += rate * visits * service.mean_s();
                }
            }
        }
        work.iter()
            .zip(&self.cpu_pools)
            .map(|(w, p)| w / f64::from(p.servers))
            .collect()
    }

    /// Offered load per human reviewer pool, as [`Scenario::offered_load`] (around the
    /// clock: working hours shrink the capacity further).
    pub fn human_offered_load(&self) -> Vec<f64> {
        let mut work = vec![0.0; self.human_pools.len()];
        for a in &self.arrivals {
            let rate = self.arrival_rate(a);
            for (w, s, visits) in self.expected_visits(a.workflow) {
                let step = &self.workflows[w.0 as usize].steps[s as usize];
                if let StepKind::Human { pool, service } = &step.kind {
                    work[pool.0 as usize] += rate * visits * service.mean_s();
                }
            }
        }
        work.iter()
            .zip(&self.human_pools)
            .map(|(w, p)| w / f64::from(p.reviewers))
            .collect()
    }
}
