//! A GPU serving pool: `replicas` copies of one model, each on `tensor_parallel` GPUs, behind
//! a router.
//!
//! Routing rules (a call goes to one replica at its arrival and stays there):
//! - `round_robin`: replicas in turn;
//! - `least_outstanding` (default): fewest calls queued or in the batch;
//! - `least_kv_load`: fewest KV tokens cached plus prompt tokens queued.
//!
//! Ties go to the lowest replica index.

use super::least::MinIndex;
use super::perf::{BatchShape, IterationModel};
use super::replica::{
    CallStats, ClockSource, FullClock, IterationTime, PoolLevels, Replica, ReplicaConfig, Seq, Wake,
};
use crate::engine::{SimDuration, SimTime, nanos_from_f64};
use crate::metrics::WindowedCount;

/// How a pool spreads calls over its replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    /// Replicas in turn.
    RoundRobin,
    /// Fewest calls queued or running.
    LeastOutstanding,
    /// Fewest KV tokens cached plus prompt tokens queued.
    LeastKvLoad,
}

impl Routing {
    /// The scenario-file names, in the order of the variants.
    pub const NAMES: [&'static str; 3] = ["round_robin", "least_outstanding", "least_kv_load"];

    /// Parses a scenario-file name.
    pub fn parse(s: &str) -> Option<Routing> {
        match s {
            "round_robin" => Some(Routing::RoundRobin),
            "least_outstanding" => Some(Routing::LeastOutstanding),
            "least_kv_load" => Some(Routing::LeastKvLoad),
            _ => None,
        }
    }
}

impl IterationTime for IterationModel {
    #[inline]
    fn time_ns(&self, shape: &BatchShape) -> u64 {
        nanos_from_f64(self.time_s(shape) * 1e9).max(1)
    }

    #[inline]
    fn time_ns_at(&self, shape: &BatchShape, clock: f64) -> u64 {
        nanos_from_f64(self.time_s_at(shape, clock) * 1e9).max(1)
    }

    #[inline]
    fn ideal_s(&self, shape: &BatchShape) -> (f64, f64) {
        IterationModel::ideal_s(self, shape)
    }

    #[inline]
    fn busy_shares(&self, shape: &BatchShape) -> (f64, f64) {
        IterationModel::busy_shares(self, shape)
    }
}

/// One LLM call to submit to a pool ([`GpuPool::submit_call`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallRequest {
    /// Owner task slot (opaque to the pool; returned in [`Seq::task`]).
    pub task: u32,
    /// Owner step id (opaque to the pool; returned in [`Seq::step`]).
    pub step: u32,
    /// Caller's tag (opaque to the pool; returned unchanged in [`Seq::tag`] of the finished
    /// call, e.g. to tell a stale call apart).
    pub tag: u32,
    /// Prompt tokens, cached prefix included [tokens] (>= 1).
    pub prompt: u32,
    /// Prompt tokens whose KV is already cached (prefix-cache hit) [tokens]: not prefilled,
    /// but held in the call's KV blocks. Clamped to `prompt − 1` (at least one prompt token
    /// is computed); returned in [`Seq::cached`].
    pub cached: u32,
    /// Output tokens to generate [tokens] (>= 1).
    pub output: u32,
}

/// One LLM call as it ended (a row of `requests.csv`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallRecord {
    /// Replica index in the pool.
    pub replica: u32,
    /// The call's timings and tokens.
    pub seq: Seq,
}

/// A pool at run time.
#[derive(Debug)]
pub struct GpuPool {
    /// Its replicas (read them freely; they change only through the pool's methods, which
    /// keep `least` up to date).
    pub replicas: Vec<Replica>,
    routing: Routing,
    /// Outstanding calls per replica, for `least_outstanding` routing.
    least: MinIndex,
    next_rr: usize,
    model: IterationModel,
    /// Statistics of its calls.
    pub stats: CallStats,
    /// Its levels over time, summed over the replicas.
    pub levels: PoolLevels,
    /// Calls that reached the pool, per window.
    pub arrivals: WindowedCount,
    /// Calls rejected: longer than the model's context, or never fitting in a replica's KV
    /// cache (prompt + output − 1 tokens).
    pub rejected: u64,
    max_context: u64,
    next_serial: u64,
    /// Finished calls, when `requests.csv` is asked for.
    pub records: Option<Vec<CallRecord>>,
    /// Σ cached prompt tokens (prefix-cache hits) of the finished calls [tokens].
    pub cached_tokens: u64,
    /// On-demand rental of its replicas (a cloud pool rented by use).
    pub rental: Option<super::rental::Rental>,
}

/// Why a call was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected;

impl GpuPool {
    /// A pool of `replicas` identical replicas.
    pub fn new(
        replicas: u32,
        cfg: ReplicaConfig,
        routing: Routing,
        model: IterationModel,
        interval: SimDuration,
        keep_records: bool,
        max_context: u32,
    ) -> GpuPool {
        GpuPool {
            replicas: (0..replicas).map(|_| Replica::new(cfg)).collect(),
            least: MinIndex::new(replicas as usize),
            levels: PoolLevels::new(interval),
            routing,
            next_rr: 0,
            model,
            stats: CallStats {
                ttft_windows: crate::metrics::WindowedQuantile::new(interval),
                ..CallStats::default()
            },
            arrivals: WindowedCount::new(interval),
            rejected: 0,
            max_context: u64::from(max_context),
            next_serial: 0,
            records: keep_records.then(Vec::new),
            cached_tokens: 0,
            rental: None,
        }
    }

    /// Rents the replicas on demand under `terms`: a cold replica serves after the
    /// provisioning delay and is released after being idle for the release time.
    pub fn with_rental(mut self, terms: super::rental::RentalTerms, interval: SimDuration) -> Self {
        self.rental = Some(super::rental::Rental::new(
            terms,
            self.replicas.len(),
            interval,
        ));
        self
    }

    /// Number of replicas (0 for an overflow pool without hardware yet).
    pub fn replica_count(&self) -> usize {
        self.replicas.len()
    }

    /// Whether every replica has at least `queue` calls waiting and cannot take them into
    /// its batch now (at `max_num_seqs`, or short of KV blocks); never with no replica. A
    /// call waiting only for the next iteration to start does not count.
    pub fn saturated(&self, queue: u32) -> bool {
        !self.replicas.is_empty()
            && self
                .replicas
                .iter()
                .all(|r| r.waiting_len() >= queue as usize && r.is_full())
    }

    /// Routes a call of `prompt` tokens in and `output` out (both >= 1) for step copy
    /// (`task`, `step`), with tag 0 and no cached prefix: see [`GpuPool::submit_call`].
    pub fn submit(
        &mut self,
        now: SimTime,
        task: u32,
        step: u32,
        prompt: u32,
        output: u32,
    ) -> Result<(u32, Option<Wake>), Rejected> {
        self.submit_call(
            now,
            CallRequest {
                task,
                step,
                tag: 0,
                prompt,
                cached: 0,
                output,
            },
        )
    }

    /// Routes a call. Returns the replica chosen and the event to schedule for it, or
    /// [`Rejected`] when prompt + output exceed the model's context, or the call can never fit
    /// in a replica's KV cache (its whole prompt counts, cached prefix included).
    pub fn submit_call(
        &mut self,
        now: SimTime,
        req: CallRequest,
    ) -> Result<(u32, Option<Wake>), Rejected> {
        let CallRequest { prompt, output, .. } = req;
        self.arrivals.incr(now);
        if u64::from(prompt) + u64::from(output) > self.max_context
            || !self.replicas[0].fits(prompt, output)
        {
            self.rejected += 1;
            return Err(Rejected);
        }
        let r = match self.routing {
            Routing::RoundRobin => {
                let r = self.next_rr;
                self.next_rr = (r + 1) % self.replicas.len();
                r
            }
            Routing::LeastOutstanding => self.least.argmin(),
            Routing::LeastKvLoad => argmin(self.replicas.iter().map(|r| r.kv_load(now))),
        };
        let seq = Seq::from_request(&req, self.next_serial, now);
        self.next_serial += 1;
        let mut wake = self.replicas[r].submit(now, seq, &mut self.levels);
        self.least.set(r, self.replicas[r].outstanding() as u64);
        if let Some(rental) = &mut self.rental {
            let delay = rental.on_call(now, r);
            if let Some(w) = &mut wake
                && delay.0 > 0
            {
                w.at = SimTime(w.at.0.saturating_add(delay.0));
            }
        }
        Ok((r as u32, wake))
    }

    /// Handles replica `replica`'s event; finished calls are appended to `done`.
    pub fn on_event(
        &mut self,
        now: SimTime,
        replica: u32,
        generation: u32,
        done: &mut Vec<Seq>,
    ) -> Option<Wake> {
        self.on_event_clocked(now, replica, generation, done, &mut FullClock)
    }

    /// [`GpuPool::on_event`] with the replica's clock set by `clock` (a power controller).
    pub fn on_event_clocked<C: ClockSource>(
        &mut self,
        now: SimTime,
        replica: u32,
        generation: u32,
        done: &mut Vec<Seq>,
        clock: &mut C,
    ) -> Option<Wake> {
        let from = done.len();
        let wake = self.replicas[replica as usize].on_event(
            now,
            generation,
            &self.model,
            &mut self.stats,
            &mut self.levels,
            done,
            clock,
        );
        if done.len() > from {
            let r = replica as usize;
            self.least.set(r, self.replicas[r].outstanding() as u64);
        }
        self.cached_tokens += done[from..]
            .iter()
            .map(|s| u64::from(s.cached))
            .sum::<u64>();
        if let Some(records) = &mut self.records {
            records.extend(done[from..].iter().map(|&seq| CallRecord { replica, seq }));
        }
        if wake.is_none()
            && let Some(rental) = &mut self.rental
            && self.replicas[replica as usize].is_idle()
        {
            rental.on_idle(now, replica as usize);
        }
        wake
    }
}

impl GpuPool {
    /// Replica `replica`'s GPU clock changed to `clock` at `now`: the event to schedule if
    /// its run must be cut ([`Replica::retime`]).
    pub fn retime(&mut self, now: SimTime, replica: u32, clock: f64) -> Option<Wake> {
        self.replicas[replica as usize].retime(now, &self.model, clock)
    }

    /// Ends the run at `end`: see [`Replica::settle`].
    pub fn settle(&mut self, end: SimTime) {
        for r in &mut self.replicas {
            r.settle(end, &self.model, &mut self.stats, &mut self.levels);
        }
    }
}

/// Index of the smallest value; the first on ties.
fn argmin(values: impl Iterator<Item = u64>) -> usize {
    let mut best = (u64::MAX, 0);
    for (i, v) in values.enumerate() {
        if v < best.0 {
            best = (v, i);
        }
    }
    best.1
}
