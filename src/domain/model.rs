//! The scenario model the kernel drives: arrivals start tasks, tasks run their workflow's
//! steps (see [`exec`] for the step life cycle), steps occupy CPU, GPU and reviewer pools or
//! just take time.

mod exec;
mod facility;

use super::cpu_pool::CpuPool;
use super::dist::Sampler;
use super::llm::perf::IterationModel;
use super::llm::pool::GpuPool;
use super::llm::replica::{ReplicaConfig, Seq};
use super::spec::{
    ArrivalProcess, Scenario, StepKind, StepSpec, TokenSource, TraceReplay, WorkingHours,
};
use super::tasks::{Frames, Tasks};
use super::trace::{NoTrace, TraceEvent, Tracer};
use crate::engine::{
    Model, RngStreams, ScheduleError, Scheduler, SimDuration, SimRng, SimTime, TimeWeighted,
};
use crate::metrics::{
    GpuPoolResult, LatencyHist, PoolResult, ReplicationResult, StepResult, WorkflowResult,
};
use std::sync::Arc;

/// The model's events (16 bytes: they live in the event heap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The next arrival of an arrival process.
    Arrival {
        /// Index of the arrival process.
        source: u32,
    },
    /// A job finishes service.
    JobDone {
        /// Pool index.
        pool: u32,
        /// Server slot in the pool.
        slot: u32,
    },
    /// A copy of a delay step finishes.
    DelayDone {
        /// Frame slot.
        frame: u32,
        /// Step id (workflow base + index within the workflow).
        step: u32,
        /// The copy's tag.
        tag: u32,
    },
    /// A wait in a step's life ends: a backoff (the next attempt of a copy, or a re-run
    /// from an earlier step starts), or a zero-delay hand-over (a run with nothing to do
    /// ends, a handler starts) that goes through the event list instead of the call stack.
    Backoff {
        /// Frame slot.
        frame: u32,
        /// Step id.
        step: u32,
        /// The tag: the step's generation, and in the attempt field the next attempt, 0 for a
        /// re-run from `retry.from`, or a marker (see `model/exec.rs`).
        tag: u32,
    },
    /// A human review finishes.
    ReviewDone {
        /// Human pool index.
        pool: u32,
        /// Reviewer slot.
        slot: u32,
    },
    /// A human pool's working hours begin: queued reviews start.
    ShiftStart {
        /// Human pool index.
        pool: u32,
    },
    /// A GPU replica's iterations end (or its first batch forms); stale when `generation`
    /// is not the replica's current one.
    LlmWake {
        /// Replica index over all GPU pools.
        replica: u32,
        /// Generation of the replica's plan the event belongs to.
        generation: u32,
    },
    /// The facility reads the ambient temperature (every ambient step).
    FacilityTick,
}

/// Errors of a run: a box around [`SimErrorKind`], so that the `Result`s returned on every
/// event stay one word wide.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SimError(pub Box<SimErrorKind>);

/// What went wrong in a run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimErrorKind {
    /// A sampled time pushed an event past the end of the clock (u64 ns, about 584 years):
    /// the distribution's parameters do not fit the scenario. A problem of the input.
    #[error(
        "a time of {delay_s:e} s drawn for {source_field} at simulated time {now_s} s runs past the end of the simulation clock (about 584 years): check that distribution's parameters"
    )]
    ClockOverflow {
        /// Field path of the distribution that produced the time.
        source_field: String,
        /// The drawn time [s].
        delay_s: f64,
        /// When it was drawn [s].
        now_s: f64,
    },
    /// A GPU replica's iterations end past the end of the simulation clock: the GPU's or the
    /// model's figures make an iteration absurdly long. A problem of the input.
    #[error(
        "iterations of gpu_pool.{pool} end past the end of the simulation clock (about 584 years) at simulated time {now_s} s: check the GPU's and the model's figures"
    )]
    IterationOverflow {
        /// The GPU pool.
        pool: String,
        /// When the iterations were planned [s].
        now_s: f64,
    },
    /// A distribution has no sampler (validation should have rejected it).
    #[error("invalid distribution at {source_field}: {message}")]
    InvalidDistribution {
        /// Field path of the distribution.
        source_field: String,
        /// Why.
        message: String,
    },
    /// The clock stopped advancing: a distribution draws times that round to 0 ns.
    #[error(
        "simulated time stopped advancing at {at_s} s ({events} events in a row at that instant): an inter-arrival or service distribution draws times below the 1 ns resolution, or a workflow runs millions of steps that take no time (fan-out x repeat of steps with nothing to do, retries without backoff); check those parameters"
    )]
    Stalled {
        /// The instant [s].
        at_s: f64,
        /// Events handled there.
        events: u64,
    },
    /// More tasks in flight than [`MAX_TASKS_IN_FLIGHT`]: the system is overloaded and the
    /// run would exhaust memory.
    #[error(
        "{tasks} tasks in flight at simulated time {at_s} s (limit {MAX_TASKS_IN_FLIGHT}): the scenario is overloaded (see the offered-load warning); shorten the horizon, add servers or lower the arrival rate"
    )]
    Overloaded {
        /// When the limit was hit [s].
        at_s: f64,
        /// Tasks in flight.
        tasks: usize,
    },
    /// The kernel refused an event for another reason (a bug).
    #[error("{0}")]
    Schedule(ScheduleError),
}

/// Most tasks in flight in one replication (about 1 GB of state for one-step workflows).
/// Reaching it means the system is overloaded; the run stops with [`SimErrorKind::Overloaded`]
/// rather than exhausting memory.
pub const MAX_TASKS_IN_FLIGHT: usize = 10_000_000;

impl SimError {
    /// What went wrong.
    pub fn kind(&self) -> &SimErrorKind {
        &self.0
    }

    /// Whether the error comes from the scenario's input rather than from infersim itself.
    pub fn is_input_error(&self) -> bool {
        matches!(
            *self.0,
            SimErrorKind::ClockOverflow { .. }
                | SimErrorKind::IterationOverflow { .. }
                | SimErrorKind::Stalled { .. }
                | SimErrorKind::Overloaded { .. }
        )
    }
}

impl From<SimErrorKind> for SimError {
    fn from(k: SimErrorKind) -> Self {
        SimError(Box::new(k))
    }
}

impl From<ScheduleError> for SimError {
    fn from(e: ScheduleError) -> Self {
        match e {
            ScheduleError::Stalled { at, events } => SimErrorKind::Stalled {
                at_s: at.as_secs_f64(),
                events,
            },
            other => SimErrorKind::Schedule(other),
        }
        .into()
    }
}

enum ArrivalGen {
    Renewal(Sampler),
    Trace(Arc<TraceReplay>),
}

struct ArrivalRt {
    times: ArrivalGen,
    /// The rate's calendar modulation on this run's clock (a renewal process only).
    clock: Option<super::demand::ModulatedClock>,
    rng: SimRng,
    workflow: u32,
    count: u64,
    max: Option<u64>,
}

/// A step at run time. Steps of all workflows sit in one vector, indexed by a *step id*
/// (`workflow base + local index`), so a job or event names its step with one number and the
/// hot path reaches the step's spec, samplers and stream in one lookup.
struct StepRt<'s> {
    spec: &'s StepSpec,
    /// Service time (cpu, human) or duration (delay).
    sampler: Sampler,
    /// Backoff before a retry.
    backoff: Option<Sampler>,
    rng: SimRng,
    workflow: u32,
    /// Index within the workflow (for the frame's step states and traces).
    local: u32,
    /// Step id of the workflow's first step.
    base: u32,
    /// Token counts of an `llm` step (prompt, output).
    tokens: Option<[TokenRt; 2]>,
    /// Tokens a copy adds to the context when it succeeds.
    result_tokens: Option<TokenRt>,
    /// Statistics.
    stats: StepResult,
    /// `repeat` when it is fixed (the hot path skips the draw).
    repeat_fixed: Option<u32>,
    /// The fan-out when it is a fixed count.
    fanout_fixed: Option<u32>,
    /// `success_prob`, here to save a lookup.
    success_prob: f64,
    /// One copy, one run and no result tokens: a successful copy is the step's success.
    single: bool,
}

/// A token count at run time.
enum TokenRt {
    Trace,
    Dist {
        sampler: Sampler,
        min: u32,
        max: u32,
    },
}

impl TokenRt {
    fn new(t: &TokenSource, field: String) -> Result<TokenRt, SimError> {
        Ok(match t {
            TokenSource::Trace => TokenRt::Trace,
            TokenSource::Dist { dist, min, max } => TokenRt::Dist {
                sampler: dist.sampler().map_err(|message| {
                    SimError::from(SimErrorKind::InvalidDistribution {
                        source_field: field,
                        message,
                    })
                })?,
                min: *min,
                max: *max,
            },
        })
    }

    #[inline]
    fn draw(&mut self, rng: &mut SimRng, from_trace: u32) -> u32 {
        match self {
            TokenRt::Trace => from_trace,
            TokenRt::Dist { sampler, min, max } => {
                // The sampler works in ns of "seconds"; here its unit is tokens.
                let x = sampler.sample(rng).0 as f64 / 1e9;
                (x.round().clamp(f64::from(*min), f64::from(*max))) as u32
            }
        }
    }
}

struct WorkflowRt {
    base: u32,
    latency: LatencyHist,
    /// Task latency by the window in which the task ended.
    latency_windows: crate::metrics::WindowedQuantile,
    started: u64,
    completed: u64,
    in_system: TimeWeighted,
    /// What the finished tasks used, summed.
    usage: super::tasks::Usage,
    /// The work its tasks did per pool.
    work: crate::metrics::WorkShares,
    /// Tasks whose records were released (ended, with no work left running).
    finished: u64,
    /// Ended tasks that succeeded.
    succeeded: u64,
    /// Ended tasks that failed, by [`FailReason::index`].
    failed: [u64; 3],
    deadline: Option<SimDuration>,
    /// Budgets of its tasks.
    budget: super::spec::Budget,
    /// DAG steps of a run.
    dag_steps: u32,
    /// Step states of a new run (each waiting on its `after` steps).
    init: Vec<super::tasks::StepState>,
}

/// A reviewer pool at run time: a FIFO pool whose servers only start work inside the
/// working hours.
struct HumanRt {
    pool: CpuPool,
    hours: Option<WorkingHours>,
    /// Simulated time 0 on the working hours' weekly clock [ns].
    week_offset: u64,
    /// A [`Event::ShiftStart`] is scheduled.
    shift_scheduled: bool,
}

impl HumanRt {
    /// Whether a review may start at `now`.
    fn is_open(&self, now: SimTime) -> bool {
        self.hours
            .is_none_or(|h| h.is_open(SimTime(now.0.saturating_add(self.week_offset))))
    }

    /// When the hours next open at or after `now`; `None` if never.
    fn next_open(&self, now: SimTime) -> Option<SimTime> {
        let h = self.hours?;
        let t = h.next_open(SimTime(now.0.checked_add(self.week_offset)?))?;
        Some(SimTime(t.0 - self.week_offset))
    }
}

/// One replication of a scenario.
pub struct ScenarioModel<'s, T: Tracer = NoTrace> {
    spec: &'s Scenario,
    arrivals: Vec<ArrivalRt>,
    pools: Vec<CpuPool>,
    humans: Vec<HumanRt>,
    gpu_pools: Vec<GpuPool>,
    /// Per replica over all GPU pools: (pool, replica within the pool).
    replica_owner: Vec<(u32, u32)>,
    /// Per GPU pool: index of its first replica in `replica_owner`.
    replica_base: Vec<u32>,
    /// Calls that finished in the latest replica event (reused buffer).
    finished: Vec<Seq>,
    workflows: Vec<WorkflowRt>,
    steps: Vec<StepRt<'s>>,
    tasks: Tasks,
    frames: Frames,
    arrivals_end: Option<SimTime>,
    /// Racks, power and cooling, when the scenario has a facility.
    facility: Option<crate::domain::facility::FacilityRt>,
    /// Replicas to cut (reused buffer).
    cuts: Vec<(u32, u32)>,
    tracer: T,
}

impl<'s, T: Tracer> ScenarioModel<'s, T> {
    /// The model of replication `replication` (0-based) with base seed `seed`.
    ///
    /// Random streams are named `arrivals/<name>` and `workflow/<w>/step/<s>`, so adding a
    /// source leaves every other stream's draws unchanged.
    ///
    /// # Errors
    /// [`SimErrorKind::InvalidDistribution`] if a distribution has no sampler (validation
    /// prevents this).
    pub fn new(
        spec: &'s Scenario,
        seed: u64,
        replication: u32,
        tracer: T,
    ) -> Result<Self, SimError> {
        let streams = RngStreams::new(seed, u64::from(replication));
        let sampler = |d: &super::Dist, field: String| {
            d.sampler().map_err(|message| {
                SimError::from(SimErrorKind::InvalidDistribution {
                    source_field: field,
                    message,
                })
            })
        };
        let arrivals = spec
            .arrivals
            .iter()
            .map(|a| {
                Ok(ArrivalRt {
                    times: match &a.process {
                        ArrivalProcess::Renewal(d) => ArrivalGen::Renewal(sampler(
                            d,
                            format!("arrivals.{}.interarrival", a.name),
                        )?),
                        ArrivalProcess::Trace(t) => ArrivalGen::Trace(Arc::clone(t)),
                    },
                    clock: a.modulation.as_ref().map(|m| m.clock(spec.start_date())),
                    // Entity names are restricted to [A-Za-z0-9_-], so '/' keeps stream
                    // names unambiguous.
                    rng: streams.stream(&format!("arrivals/{}", a.name)),
                    workflow: a.workflow.0,
                    count: 0,
                    max: a.max_arrivals,
                })
            })
            .collect::<Result<_, SimError>>()?;
        let pools = spec
            .cpu_pools
            .iter()
            .map(|p| CpuPool::new(p.servers, spec.interval))
            .collect();
        let humans = spec
            .human_pools
            .iter()
            .map(|h| HumanRt {
                pool: CpuPool::new(h.reviewers, spec.interval),
                hours: h.hours,
                week_offset: spec.week_offset_s() * 1_000_000_000,
                shift_scheduled: false,
            })
            .collect();
        let mut gpu_pools = Vec::with_capacity(spec.gpu_pools.len());
        let mut replica_owner = Vec::new();
        let mut replica_base = Vec::new();
        for (pi, g) in spec.gpu_pools.iter().enumerate() {
            replica_base.push(replica_owner.len() as u32);
            replica_owner.extend((0..g.replicas).map(|r| (pi as u32, r)));
            let cfg = ReplicaConfig {
                max_num_seqs: g.max_num_seqs,
                max_num_batched_tokens: g.max_num_batched_tokens,
                block_size: g.block_size,
                kv_blocks: g.kv_blocks,
                fast_forward: g.fast_forward,
                stop_at: match spec.horizon {
                    Some(h) if !spec.drain => SimTime(h.0),
                    _ => SimTime::MAX,
                },
            };
            let model = IterationModel::new(&g.gpu, &g.model, g.tensor_parallel, g.perf);
            let pool = GpuPool::new(
                g.replicas,
                cfg,
                g.routing,
                model,
                spec.interval,
                spec.record_calls,
                g.model.max_context_tokens,
            );
            let k = gpu_pools.len();
            gpu_pools.push(match spec.cost.gpu_pools.get(k).and_then(|p| p.on_demand) {
                Some(terms) => pool.with_rental(terms, spec.interval),
                None => pool,
            });
        }
        let mut steps = Vec::new();
        let mut workflows = Vec::with_capacity(spec.workflows.len());
        for (wi, w) in spec.workflows.iter().enumerate() {
            let base = steps.len() as u32;
            for (li, s) in w.steps.iter().enumerate() {
                let no_time = super::Dist::Deterministic { value_s: 0.0 };
                let (d, what) = match &s.kind {
                    StepKind::Cpu { service, .. } | StepKind::Human { service, .. } => {
                        (service, "service")
                    }
                    StepKind::Delay { duration } => (duration, "duration"),
                    StepKind::Llm { .. } | StepKind::Call { .. } => (&no_time, "kind"),
                };
                let tokens = match &s.kind {
                    StepKind::Llm { input, output, .. } => Some([
                        TokenRt::new(input, step_field(&w.name, &s.name, "input_tokens"))?,
                        TokenRt::new(output, step_field(&w.name, &s.name, "output_tokens"))?,
                    ]),
                    _ => None,
                };
                let result_tokens = match &s.result_tokens {
                    Some(t) => Some(TokenRt::new(
                        t,
                        step_field(&w.name, &s.name, "result_tokens"),
                    )?),
                    None => None,
                };
                let backoff = match &s.retry.backoff {
                    Some(d) => Some(sampler(d, step_field(&w.name, &s.name, "retry.backoff"))?),
                    None => None,
                };
                steps.push(StepRt {
                    spec: s,
                    tokens,
                    result_tokens,
                    backoff,
                    sampler: sampler(d, step_field(&w.name, &s.name, what))?,
                    rng: streams.stream(&format!("workflow/{}/step/{}", w.name, s.name)),
                    workflow: wi as u32,
                    local: li as u32,
                    base,
                    stats: StepResult::default(),
                    repeat_fixed: s.repeat.fixed(),
                    fanout_fixed: match &s.fanout {
                        super::spec::Fanout::Count(c) => c.fixed(),
                        super::spec::Fanout::ForEach(_) => None,
                    },
                    success_prob: s.success_prob,
                    single: s.repeat.fixed() == Some(1)
                        && matches!(&s.fanout, super::spec::Fanout::Count(c) if c.fixed() == Some(1))
                        && s.result_tokens.is_none(),
                });
            }
            workflows.push(WorkflowRt {
                base,
                latency: LatencyHist::new(),
                latency_windows: crate::metrics::WindowedQuantile::new(spec.interval),
                started: 0,
                completed: 0,
                in_system: TimeWeighted::default(),
                usage: super::tasks::Usage::default(),
                work: crate::metrics::WorkShares::new(
                    spec.gpu_pools.len(),
                    spec.cpu_pools.len(),
                    spec.human_pools.len(),
                ),
                finished: 0,
                succeeded: 0,
                failed: [0; 3],
                deadline: w.deadline,
                budget: w.budget,
                dag_steps: w.dag_steps,
                init: w
                    .steps
                    .iter()
                    .map(|s| super::tasks::StepState {
                        waiting_on: s.n_after,
                        ..Default::default()
                    })
                    .collect(),
            });
        }
        let max_steps = spec
            .workflows
            .iter()
            .map(|w| w.steps.len())
            .max()
            .unwrap_or(1);
        Ok(ScenarioModel {
            spec,
            arrivals,
            pools,
            humans,
            gpu_pools,
            replica_owner,
            replica_base,
            finished: Vec::new(),
            workflows,
            steps,
            tasks: Tasks::default(),
            frames: Frames::new(max_steps),
            arrivals_end: spec.horizon.map(|h| SimTime(h.0)),
            facility: spec.facility.as_ref().map(|f| {
                crate::domain::facility::FacilityRt::new(
                    f,
                    &spec.gpu_pools,
                    spec.start,
                    spec.interval,
                    spec.cost
                        .energy
                        .as_ref()
                        .map(|t| (t, spec.week_offset_s() * 1_000_000_000)),
                )
            }),
            cuts: Vec::new(),
            tracer,
        })
    }

    /// The error for a drawn time that overflows the clock (cold path).
    #[cold]
    fn overflow(&self, now: SimTime, source_field: String, delay: SimDuration) -> SimError {
        SimErrorKind::ClockOverflow {
            source_field,
            delay_s: delay.as_secs_f64(),
            now_s: now.as_secs_f64(),
        }
        .into()
    }

    #[cold]
    fn step_overflow(&self, now: SimTime, step: u32, what: &str, delay: SimDuration) -> SimError {
        let rt = &self.steps[step as usize];
        let wf = &self.spec.workflows[rt.workflow as usize];
        self.overflow(now, step_field(&wf.name, &rt.spec.name, what), delay)
    }

    /// Schedules the first arrival of every process (one inter-arrival time after zero).
    ///
    /// # Errors
    /// [`SimError`] if a first arrival time overflows.
    pub fn prime(&mut self, sched: &mut Scheduler<Event>) -> Result<(), SimError> {
        for source in 0..self.arrivals.len() as u32 {
            self.schedule_next_arrival(sched, source)?;
        }
        self.schedule_tick(sched)?;
        Ok(())
    }

    /// Records a trace point for the task of `frame`; with [`NoTrace`] this and the lookups
    /// vanish.
    #[inline(always)]
    fn trace(&mut self, now: SimTime, frame: u32, f: impl FnOnce(u64) -> TraceEvent) {
        if T::ENABLED {
            let task = self.frames.get(frame).task;
            let serial = self.tasks.get(task).serial;
            self.tracer.trace(now, f(serial));
        }
    }

    /// The tracer (to read a recorded trace).
    pub fn tracer(&self) -> &T {
        &self.tracer
    }

    #[inline]
    fn schedule_next_arrival(
        &mut self,
        sched: &mut Scheduler<Event>,
        source: u32,
    ) -> Result<(), SimError> {
        let a = &mut self.arrivals[source as usize];
        if a.max.is_some_and(|m| a.count >= m) {
            return Ok(());
        }
        let at = match &a.times {
            ArrivalGen::Renewal(sampler) => {
                let gap = sampler.sample(&mut a.rng);
                if let Some(clock) = &a.clock {
                    // The drawn gap is work at the base rate: the time change gives the
                    // next arrival of the modulated process (none: the rate stays 0).
                    match clock.advance(sched.now(), gap.as_secs_f64(), self.arrivals_end) {
                        Some(at) => at,
                        None => return Ok(()),
                    }
                } else {
                    let Some(at) = sched.now().checked_add(gap) else {
                        let field = format!(
                            "arrivals.{}.interarrival",
                            self.spec.arrivals[source as usize].name
                        );
                        return Err(self.overflow(sched.now(), field, gap));
                    };
                    at
                }
            }
            ArrivalGen::Trace(t) => match t.requests.get(a.count as usize) {
                Some(r) => SimTime(r.at_ns),
                None => return Ok(()),
            },
        };
        if self.arrivals_end.is_some_and(|end| at >= end) {
            return Ok(());
        }
        sched.schedule_at(at, Event::Arrival { source })?;
        Ok(())
    }

    fn on_arrival(&mut self, sched: &mut Scheduler<Event>, source: u32) -> Result<(), SimError> {
        let now = sched.now();
        let a = &mut self.arrivals[source as usize];
        let tokens = match &a.times {
            ArrivalGen::Trace(t) => {
                let r = t.requests[a.count as usize];
                [r.input_tokens, r.output_tokens]
            }
            ArrivalGen::Renewal(_) => [0, 0],
        };
        a.count += 1;
        let w = a.workflow;
        self.schedule_next_arrival(sched, source)?;

        if self.tasks.live() >= MAX_TASKS_IN_FLIGHT {
            return Err(SimErrorKind::Overloaded {
                at_s: now.as_secs_f64(),
                tasks: self.tasks.live(),
            }
            .into());
        }
        let task = self.tasks.insert(w, now, tokens);
        let rt = &mut self.workflows[w as usize];
        rt.started += 1;
        rt.in_system.add(now, 1);
        let frame = self.new_frame(task, w, super::tasks::NO_FRAME, 0, 0, 0);
        self.trace(now, frame, |serial| TraceEvent::TaskArrived {
            task: serial,
            workflow: w,
        });
        self.start_frame(sched, frame)
    }

    /// Ends the replication at `end` and returns its statistics and the tracer. Tasks still
    /// in flight are counted with their age; none is silently dropped.
    pub fn finish(self, replication: u32, end: SimTime, events: u64) -> (ReplicationResult, T) {
        let mut in_flight = vec![(0u64, LatencyHist::new()); self.workflows.len()];
        let mut overdue = vec![0u64; self.workflows.len()];
        for t in self.tasks.iter_live().filter(|t| !t.ended) {
            let w = t.workflow as usize;
            let (n, ages) = &mut in_flight[w];
            *n += 1;
            let age = end.saturating_since(t.arrived);
            ages.record(age.0);
            if self.workflows[w].deadline.is_some_and(|d| age > d) {
                overdue[w] += 1;
            }
        }
        let pool_result = |p: CpuPool| {
            let queue_at_end = p.queue_len() as u64;
            let busy_at_end = p.busy.level() as u64;
            let (busy_integral, busy_windows) = p.busy.finish(end);
            let (queue_integral, queue_windows) = p.queued.finish(end);
            let (arrivals, arrival_windows) = p.arrivals.finish(end);
            let (started, started_windows) = p.started.finish(end);
            PoolResult {
                started,
                started_windows,
                wait: p.wait,
                sojourn: p.sojourn,
                busy_integral,
                busy_windows,
                queue_integral,
                queue_windows,
                arrivals,
                arrival_windows,
                queue_at_end,
                busy_at_end,
            }
        };
        let pools: Vec<PoolResult> = self.pools.into_iter().map(pool_result).collect();
        let human_pools: Vec<PoolResult> = self
            .humans
            .into_iter()
            .map(|h| pool_result(h.pool))
            .collect();
        let mut step_results: Vec<Vec<StepResult>> = vec![Vec::new(); self.workflows.len()];
        for s in self.steps {
            step_results[s.workflow as usize].push(s.stats);
        }
        let workflows = self
            .workflows
            .into_iter()
            .zip(in_flight)
            .zip(overdue)
            .zip(step_results)
            .map(|(((mut w, (n, ages)), overdue), steps)| {
                w.in_system.advance(end);
                WorkflowResult {
                    latency: w.latency,
                    latency_windows: w.latency_windows,
                    started: w.started,
                    completed: w.completed,
                    in_system_integral: w.in_system.integral(),
                    in_flight_at_end: n,
                    in_flight_age: ages,
                    usage: w.usage,
                    work: w.work,
                    finished: w.finished,
                    succeeded: w.succeeded,
                    failed: w.failed,
                    overdue_in_flight: overdue,
                    steps,
                }
            })
            .collect();
        let gpu_pools: Vec<GpuPoolResult> = self
            .gpu_pools
            .into_iter()
            .map(|mut p| {
                p.settle(end);
                GpuPoolResult::from_pool(p, end)
            })
            .collect();
        let facility = self.facility.map(|f| f.finish(end));
        let timeseries_truncated = pools
            .iter()
            .chain(&human_pools)
            .any(|p: &PoolResult| p.busy_windows.len() >= crate::metrics::WINDOW_CAP)
            || gpu_pools
                .iter()
                .any(|p| p.busy_windows.len() >= crate::metrics::WINDOW_CAP);
        let result = ReplicationResult {
            replication,
            end,
            events,
            pools,
            human_pools,
            gpu_pools,
            workflows,
            facility,
            timeseries_truncated,
        };
        (result, self.tracer)
    }
}

impl<T: Tracer> Model for ScenarioModel<'_, T> {
    type Event = Event;
    type Error = SimError;

    #[inline]
    fn handle(&mut self, sched: &mut Scheduler<Event>, event: Event) -> Result<(), SimError> {
        match event {
            Event::JobDone { pool, slot } => self.on_job_done(sched, pool, slot),
            Event::Arrival { source } => self.on_arrival(sched, source),
            Event::DelayDone { frame, step, tag } => self.on_delay_done(sched, frame, step, tag),
            Event::LlmWake {
                replica,
                generation,
            } => self.on_llm_wake(sched, replica, generation),
            Event::Backoff { frame, step, tag } => self.on_backoff(sched, frame, step, tag),
            Event::ReviewDone { pool, slot } => self.on_review_done(sched, pool, slot),
            Event::ShiftStart { pool } => self.on_shift_start(sched, pool),
            Event::FacilityTick => self.on_facility_tick(sched),
        }
    }
}

/// A readable location of a step's field for messages (steps are reordered, so the file's
/// array index is not kept).
fn step_field(workflow: &str, step: &str, what: &str) -> String {
    format!("workflow.{workflow}.steps[name = \"{step}\"].{what}")
}
