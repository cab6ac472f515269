//! One serving replica: vLLM-style continuous batching over a paged KV cache, with decode
//! iterations fast-forwarded between changes of the batch.
//!
//! # Scheduling rule (one iteration = one forward pass)
//! At each iteration boundary the replica forms the next batch, with a token budget of
//! `max_num_batched_tokens`:
//! 1. **Running sequences, in admission order.** A sequence still in prefill takes a chunk of
//!    `min(prompt left, budget)` tokens (chunked prefill); a decoding sequence takes one token.
//!    Each must hold KV blocks for every token it will have computed after the iteration. When
//!    the free blocks do not suffice, the **most recently admitted** running sequence is
//!    preempted (vLLM's recompute policy): its blocks are freed and it goes back to the *front*
//!    of the waiting queue, to be prefilled again from scratch (its prompt plus the tokens it
//!    had generated, less its cached prefix: see below); this repeats until the blocks suffice
//!    or the sequence itself was the victim.
//! 2. **Waiting sequences, first come first served**, unless a preemption happened in this
//!    iteration (and the batch is not empty): while fewer than `max_num_seqs` run, budget is
//!    left and the head's first chunk (with its cached prefix) fits in the free blocks. The
//!    head blocks the queue.
//!
//! An iteration that completes a sequence's prefill emits its first output token (TTFT); every
//! decode iteration emits one token per decoding sequence. KV blocks are allocated lazily, one
//! block of `block_size` tokens at a time, and freed when the sequence finishes.
//!
//! # Prefix cache
//! A call may arrive with a prefix-cache hit of [`Seq::cached`] prompt tokens (at most
//! prompt − 1: at least one token is computed, to emit the first output token). Their KV is
//! already present, so they are never prefilled: the prefill work is `prompt − cached`
//! tokens. They still occupy the sequence's KV blocks: admission allocates blocks for the
//! cached tokens at once, plus those of the first chunk, and every KV-fit check (a call that
//! never fits, preemption, fast-forward) counts the whole prompt and output. Each prefill chunk
//! attends over the cached prefix as well (`BatchShape::prefill_attn`), but cached tokens are
//! not processed, so they take no share of the iteration time (`Seq::replica_time_share`).
//! A preempted sequence keeps its cached prefix: when it is admitted again it again skips
//! `cached` tokens and recomputes the rest (a simplification: vLLM may have evicted the
//! prefix's blocks meanwhile, which would make it recompute them too).
//!
//! # Fast-forward
//! When every running sequence decodes and no waiting sequence could be admitted, the batch
//! stays the same until a sequence finishes or the KV blocks run out. The replica then computes
//! all those iteration times at once (each from its own batch shape, as stepping would) and
//! schedules one event at the end; a request that arrives meanwhile and could join cuts the
//! segment at the end of the iteration in progress (the old event becomes stale through a
//! generation number). Timings are exactly those of stepping one event per iteration;
//! `fast_forward = false` steps, and a test compares the two.

use super::perf::BatchShape;
use super::pool::CallRequest;
use crate::engine::SimTime;
use crate::metrics::{EqualRuns, LatencyHist, SourceLevel, WindowedArea};
use std::collections::VecDeque;

/// Most iterations planned in one fast-forwarded decode run: a longer run continues in the
/// next (with the same timings), so the plan's memory and the work a cut discards stay
/// bounded whatever the output lengths.
pub const MAX_RUN_ITERATIONS: u64 = 2_048;

/// Units of [`Seq::replica_time_share`] per nanosecond.
pub const SHARE_SCALE: u64 = 256;

/// Time of one iteration of a given batch shape [ns], at least 1.
pub trait IterationTime {
    /// The iteration's duration [ns] (>= 1).
    fn time_ns(&self, shape: &BatchShape) -> u64;

    /// The iteration's duration [ns] (>= 1) with the GPU clock at `clock` (0 < clock <= 1)
    /// of its full value; the default ignores the clock.
    fn time_ns_at(&self, shape: &BatchShape, _clock: f64) -> u64 {
        self.time_ns(shape)
    }

    /// The iteration's model FLOPs and bytes in ideal seconds (at 100 % of peak FLOP/s and
    /// of bandwidth), for MFU and MBU; `(0, 0)` when not modelled.
    fn ideal_s(&self, _shape: &BatchShape) -> (f64, f64) {
        (0.0, 0.0)
    }

    /// Shares of the iteration's time at full clock with the compute units and the memory
    /// system busy, each in [0, 1]; `(0, 0)` when not modelled.
    fn busy_shares(&self, _shape: &BatchShape) -> (f64, f64) {
        (0.0, 0.0)
    }
}

/// Who sets a replica's GPU clock: told when the replica forms a batch or falls idle, it
/// answers the clock factor the batch runs at (the facility's power controller, see
/// `domain::facility::runtime`).
pub trait ClockSource {
    /// Whether the source needs the batch's utilisations (`false`: always full clock, and
    /// [`ClockSource::batch`] is not called).
    const TRACKS: bool;

    /// The replica formed a batch whose first iteration keeps the compute units busy for
    /// the share `compute` and the memory system for the share `memory` of its time at full
    /// clock (`busy`), or fell idle (`!busy`, shares 0). Returns the clock factor in (0, 1].
    fn batch(&mut self, busy: bool, compute: f64, memory: f64) -> f64;
}

/// Always full clock (no facility model).
#[derive(Debug, Clone, Copy, Default)]
pub struct FullClock;

impl ClockSource for FullClock {
    const TRACKS: bool = false;

    #[inline]
    fn batch(&mut self, _busy: bool, _compute: f64, _memory: f64) -> f64 {
        1.0
    }
}

/// Limits of one replica's scheduler (vLLM's names).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicaConfig {
    /// Most sequences in one batch.
    pub max_num_seqs: u32,
    /// Most tokens (prefill chunks + decodes) in one iteration.
    pub max_num_batched_tokens: u32,
    /// Tokens per KV block.
    pub block_size: u32,
    /// KV blocks of the replica.
    pub kv_blocks: u64,
    /// Advance runs of identical decode iterations in one event.
    pub fast_forward: bool,
    /// The run ends here (the horizon without drain; else [`SimTime::MAX`]): a decode run is
    /// not planned past it.
    pub stop_at: SimTime,
}

/// One LLM call on a replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seq {
    /// Owner task slot (opaque to the replica).
    pub task: u32,
    /// Owner step id (opaque to the replica).
    pub step: u32,
    /// Caller's tag (opaque to the replica, returned unchanged: e.g. to tell stale calls
    /// apart).
    pub tag: u32,
    /// Serial number of the call in its pool (for the requests CSV).
    pub serial: u64,
    /// Prompt tokens (cached prefix included).
    pub prompt: u32,
    /// Prompt tokens of a prefix-cache hit [tokens], never prefilled (<= prompt − 1).
    pub cached: u32,
    /// Output tokens to generate (>= 1).
    pub output: u32,
    /// Arrival at the pool.
    pub arrived: SimTime,
    /// First output token ([`SimTime::MAX`] until then).
    pub first_token: SimTime,
    /// Latest output token.
    pub last_token: SimTime,
    /// Times it was preempted.
    pub preemptions: u32,
    /// Its share of the replica's busy time, in units of 1/[`SHARE_SCALE`] ns: each
    /// iteration's time split among the batch's sequences by the tokens each processed
    /// (recomputation after a preemption included). Integers, so that the sum does not depend
    /// on how iterations are grouped (fast-forward or stepping).
    pub replica_time_share: u64,
    /// Tokens whose KV is in the cache: in the sequence's blocks while it runs; while it
    /// waits (holding no blocks), its cached prefix, materialised into blocks at admission.
    computed: u32,
    /// Tokens to prefill before the next token is emitted.
    target: u32,
    /// Output tokens emitted.
    generated: u32,
    /// KV blocks held.
    blocks: u32,
    /// Tokens scheduled in the current iteration.
    chunk: u32,
    /// Whether it has been scheduled once (its wait is recorded).
    scheduled: bool,
}

impl Seq {
    /// A new call of `prompt` tokens in and `output` tokens out (both >= 1), tag 0, no
    /// prefix-cache hit.
    pub fn new(task: u32, step: u32, serial: u64, prompt: u32, output: u32, now: SimTime) -> Seq {
        Seq::from_request(
            &CallRequest {
                task,
                step,
                tag: 0,
                prompt,
                cached: 0,
                output,
            },
            serial,
            now,
        )
    }

    /// A new call from a request (`prompt`, `output` >= 1); its cached prefix is clamped to
    /// `prompt − 1`.
    pub fn from_request(req: &CallRequest, serial: u64, now: SimTime) -> Seq {
        let cached = req.cached.min(req.prompt.saturating_sub(1));
        Seq {
            task: req.task,
            step: req.step,
            tag: req.tag,
            serial,
            prompt: req.prompt,
            cached,
            output: req.output,
            arrived: now,
            first_token: SimTime::MAX,
            last_token: now,
            preemptions: 0,
            replica_time_share: 0,
            computed: cached,
            target: req.prompt,
            generated: 0,
            blocks: 0,
            chunk: 0,
            scheduled: false,
        }
    }

    /// KV tokens the call needs at its largest (prompt + output − 1: the last token is
    /// emitted, never fed back).
    pub fn peak_kv_tokens(prompt: u32, output: u32) -> u64 {
        u64::from(prompt) + u64::from(output) - 1
    }

    #[inline]
    fn in_prefill(&self) -> bool {
        self.computed < self.target
    }
}

/// Statistics of the calls of one pool (shared by its replicas).
#[derive(Debug, Clone, Default)]
pub struct CallStats {
    /// Arrival -> first token [ns].
    pub ttft: LatencyHist,
    /// The same per window of the first token's time (when enabled).
    pub ttft_windows: crate::metrics::WindowedQuantile,
    /// (e2e − ttft) / (output − 1), calls with more than one output token [ns].
    pub tpot: LatencyHist,
    /// Gap between consecutive output tokens of a call, one sample per gap [ns].
    pub itl: LatencyHist,
    /// Arrival -> last token [ns].
    pub e2e: LatencyHist,
    /// Arrival -> first scheduled [ns].
    pub wait: LatencyHist,
    /// Preemptions.
    pub preemptions: u64,
    /// Calls completed.
    pub completed: u64,
    /// Prompt tokens of the calls that emitted their first token (once per call, a cached
    /// prefix included; recomputation not counted).
    pub input_tokens: u64,
    /// Output tokens emitted.
    pub output_tokens: u64,
    /// Forward passes run.
    pub iterations: u64,
    /// Σ model FLOPs of the iterations at 100 % of peak [s] (÷ replica time = MFU).
    pub ideal_compute_s: f64,
    /// Σ weight and KV bytes of the iterations at 100 % of bandwidth [s] (÷ replica time =
    /// MBU).
    pub ideal_memory_s: f64,
}

/// Levels of a pool over time, summed over its replicas, integrated exactly per window.
#[derive(Debug, Clone)]
pub struct PoolLevels {
    /// Replicas with a non-empty batch.
    pub busy: WindowedArea,
    /// Sequences waiting.
    pub waiting: WindowedArea,
    /// Sequences in batches.
    pub running: WindowedArea,
    /// Tokens whose KV is cached.
    pub kv_tokens: WindowedArea,
}

impl PoolLevels {
    /// Zero levels, windows of `interval`.
    pub fn new(interval: crate::engine::SimDuration) -> PoolLevels {
        PoolLevels {
            busy: WindowedArea::new(interval),
            waiting: WindowedArea::new(interval),
            running: WindowedArea::new(interval),
            kv_tokens: WindowedArea::new(interval),
        }
    }
}

/// One replica's share of the [`PoolLevels`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ReplicaLevels {
    /// 1 while the batch is non-empty.
    pub busy: SourceLevel,
    /// Sequences waiting.
    pub waiting: SourceLevel,
    /// Sequences in the batch.
    pub running: SourceLevel,
    /// Tokens whose KV is cached.
    pub kv_tokens: SourceLevel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Nothing to do, no event pending.
    Idle,
    /// A request arrived at an idle replica; a batch is formed at the pending event.
    Starting,
    /// A segment of iterations is in flight.
    Running,
}

/// What the caller must schedule after a call to the replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wake {
    /// When (a late event: after every other event at that instant).
    pub at: SimTime,
    /// The generation the event must carry; older events are stale.
    pub generation: u32,
}

/// One replica of a GPU pool.
#[derive(Debug, Clone)]
pub struct Replica {
    cfg: ReplicaConfig,
    /// KV blocks per token count (runs for every sequence of every batch).
    block: BlockSize,
    waiting: VecDeque<Seq>,
    running: Vec<Seq>,
    free_blocks: u64,
    /// Σ KV tokens the waiting sequences will hold once prefilled (routing by KV load): their
    /// prompts (cached prefix included), plus the tokens generated before a preemption.
    waiting_tokens: u64,
    kv_tokens: u64,
    generation: u32,
    phase: Phase,
    /// End times of the segment's iterations.
    ends: Vec<SimTime>,
    /// Iterations of the segment applied at its event (<= ends.len()).
    planned: usize,
    /// Whether the segment is a run of pure-decode iterations.
    decode_run: bool,
    /// Tokens the segment's (first) iteration processes: Σ chunks of the batch.
    seg_tokens: u64,
    /// When the segment's first iteration started.
    seg_start: SimTime,
    /// Shape of the segment's first iteration (a decode run's contexts grow by one token
    /// per sequence per iteration).
    shape: BatchShape,
    /// The GPU clock factor the segment's iterations were timed at.
    seg_clock: f64,
    /// Its levels (their areas go to the pool's [`PoolLevels`]).
    pub levels: ReplicaLevels,
    /// Σ model FLOPs of its iterations at peak [s], and Σ bytes at full bandwidth [s]: kept
    /// per replica and summed in replica order, so that the totals do not depend on the order
    /// in which replicas' iterations are applied (fast-forward or stepping).
    pub ideal_s: (f64, f64),
}

impl Replica {
    /// An idle replica; `levels` start at zero.
    pub fn new(cfg: ReplicaConfig) -> Replica {
        Replica {
            cfg,
            block: BlockSize::new(cfg.block_size),
            waiting: VecDeque::new(),
            running: Vec::new(),
            free_blocks: cfg.kv_blocks,
            waiting_tokens: 0,
            kv_tokens: 0,
            generation: 0,
            phase: Phase::Idle,
            ends: Vec::new(),
            planned: 0,
            decode_run: false,
            seg_tokens: 0,
            shape: BatchShape::default(),
            seg_start: SimTime::ZERO,
            seg_clock: 1.0,
            levels: ReplicaLevels::default(),
            ideal_s: (0.0, 0.0),
        }
    }

    #[inline]
    fn blocks_for(&self, tokens: u64) -> u64 {
        self.block.blocks(tokens)
    }

    /// Whether a call can ever fit in this replica's KV cache on its own.
    pub fn fits(&self, prompt: u32, output: u32) -> bool {
        self.blocks_for(Seq::peak_kv_tokens(prompt, output)) <= self.cfg.kv_blocks
    }

    /// Whether the replica has nothing to do (no batch, nothing waiting).
    pub fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Idle)
    }

    /// Whether calls wait that the batch cannot take now: the batch is at `max_num_seqs`, or
    /// the KV cache lacks the blocks for the first waiting call's prompt.
    pub fn is_full(&self) -> bool {
        self.waiting.front().is_some_and(|head| {
            self.running.len() >= self.cfg.max_num_seqs as usize
                || self.free_blocks < self.blocks_for(u64::from(head.prompt))
        })
    }

    /// Calls queued, not yet in the batch.
    pub fn waiting_len(&self) -> usize {
        self.waiting.len()
    }

    /// Calls queued or in the batch.
    pub fn outstanding(&self) -> usize {
        self.waiting.len() + self.running.len()
    }

    /// Calls queued and in the batch, and KV tokens cached, at the end.
    pub fn in_flight(&self) -> impl Iterator<Item = &Seq> {
        self.running.iter().chain(self.waiting.iter())
    }

    /// KV load at `now` for routing [tokens]: the tokens the cache will hold at the end of
    /// the iteration in progress (cached ones plus the prefill chunks and decode tokens being
    /// computed), plus the prompt tokens of the waiting calls (cached prefix included, and the
    /// tokens a preempted call had generated).
    pub fn kv_load(&self, now: SimTime) -> u64 {
        let in_progress = match self.phase {
            Phase::Running if self.decode_run => {
                // Iterations of the run that ended before now, and the one in progress.
                let done = self.ends[..self.planned].partition_point(|e| *e < now) as u64;
                (done + 1) * self.running.len() as u64
            }
            Phase::Running => self.running.iter().map(|s| u64::from(s.chunk)).sum(),
            Phase::Idle | Phase::Starting => 0,
        };
        self.kv_tokens + in_progress + self.waiting_tokens
    }

    /// KV blocks not allocated.
    pub fn free_blocks(&self) -> u64 {
        self.free_blocks
    }

    /// Generation of the pending event.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Takes a new call at `now`. Returns the event to schedule, if any: a start when the
    /// replica was idle, or a cut of a fast-forwarded segment the call could join.
    pub fn submit(&mut self, now: SimTime, seq: Seq, areas: &mut PoolLevels) -> Option<Wake> {
        let was_empty = self.waiting.is_empty();
        self.waiting_tokens += u64::from(seq.target);
        self.waiting.push_back(seq);
        self.levels.waiting.add(&mut areas.waiting, now, 1);
        match self.phase {
            Phase::Idle => {
                self.phase = Phase::Starting;
                self.levels.busy.add(&mut areas.busy, now, 1);
                Some(self.bump(now))
            }
            Phase::Starting => None,
            Phase::Running => {
                let could_join = was_empty
                    && self.decode_run
                    && self.running.len() < self.cfg.max_num_seqs as usize
                    && (self.running.len() as u64) < u64::from(self.cfg.max_num_batched_tokens);
                if !could_join {
                    return None;
                }
                self.cut(now)
            }
        }
    }

    /// Ends the segment in flight after the iteration in progress at `now` (or ending now:
    /// late events run after the caller's event, so that boundary still sees it), so that
    /// the next batch is formed then: a call that could join, or a new clock. Returns the
    /// event to schedule; `None` when nothing is to cut (idle, or in its last iteration).
    pub fn cut(&mut self, now: SimTime) -> Option<Wake> {
        if self.phase != Phase::Running || self.planned <= 1 {
            return None;
        }
        let m = self.ends[..self.planned].partition_point(|e| *e < now);
        if m + 1 >= self.planned {
            return None;
        }
        self.planned = m + 1;
        Some(self.bump(self.ends[m]))
    }

    /// The GPU clock changed to `clock` at `now`: cuts the segment in flight (see
    /// [`Replica::cut`]) unless its remaining iterations take the same time at the new clock
    /// as at the one they were timed at (a memory-bound decode run: the compute term stays
    /// under the memory term at both clocks, checked on its first and last iterations, the
    /// compute-to-memory ratio moving monotonically in between).
    pub fn retime<M: IterationTime>(
        &mut self,
        now: SimTime,
        model: &M,
        clock: f64,
    ) -> Option<Wake> {
        if self.phase != Phase::Running || self.planned <= 1 || clock == self.seg_clock {
            return None;
        }
        if self.decode_run {
            let first = self.shape;
            let mut last = self.shape;
            last.decode_ctx += (self.planned as u64 - 1) * last.decode_seqs;
            let same = |sh: &BatchShape| {
                model.time_ns_at(sh, self.seg_clock) == model.time_ns_at(sh, clock)
            };
            if same(&first) && same(&last) {
                return None;
            }
        }
        self.cut(now)
    }

    fn bump(&mut self, at: SimTime) -> Wake {
        self.generation = self.generation.wrapping_add(1);
        Wake {
            at,
            generation: self.generation,
        }
    }

    /// Handles the replica's event at `now`: applies the iterations that ended, pushes the
    /// calls that finished onto `done`, and forms the next batch. Returns the next event, or
    /// `None` when the event was stale or the replica fell idle.
    #[allow(clippy::too_many_arguments)]
    pub fn on_event<M: IterationTime, C: ClockSource>(
        &mut self,
        now: SimTime,
        generation: u32,
        model: &M,
        stats: &mut CallStats,
        areas: &mut PoolLevels,
        done: &mut Vec<Seq>,
        clock: &mut C,
    ) -> Option<Wake> {
        if generation != self.generation {
            return None;
        }
        match self.phase {
            Phase::Idle => return None,
            Phase::Starting => {}
            Phase::Running => self.apply(now, model, stats, areas, done),
        }
        self.form(now, model, stats, areas, clock)
    }

    /// Applies the `planned` iterations of the segment that ends at `now`.
    fn apply<M: IterationTime>(
        &mut self,
        now: SimTime,
        model: &M,
        stats: &mut CallStats,
        areas: &mut PoolLevels,
        done: &mut Vec<Seq>,
    ) {
        let m = self.planned;
        debug_assert_eq!(self.ends[m - 1], now);
        stats.iterations += m as u64;
        // Whether a sequence emitted its last token.
        let mut finishing = false;
        for j in 0..m as u64 {
            let mut shape = self.shape;
            shape.decode_ctx += j * shape.decode_seqs;
            let (c, b) = model.ideal_s(&shape);
            self.ideal_s.0 += c;
            self.ideal_s.1 += b;
        }
        if self.decode_run {
            let n = self.running.len() as u64;
            let first = self.ends[0];
            // Each iteration's time, split evenly: every sequence decodes one token.
            let mut share = 0u64;
            let mut start = self.seg_start;
            for e in &self.ends[..m] {
                share += split(e.0 - start.0, 1, n);
                start = *e;
            }
            // First gaps: mostly equal (the batch emitted its previous tokens together).
            let mut gaps = EqualRuns::default();
            let block = self.block;
            for s in &mut self.running {
                s.replica_time_share += share;
                gaps.push(first.saturating_since(s.last_token).0, &mut stats.itl);
                s.computed += m as u32;
                s.generated += m as u32;
                s.last_token = now;
                let blocks = block.blocks(u64::from(s.computed)) as u32;
                self.free_blocks -= u64::from(blocks - s.blocks);
                s.blocks = blocks;
                finishing |= s.generated >= s.output;
            }
            gaps.flush(&mut stats.itl);
            stats.itl.record_n_each(
                self.ends[..m]
                    .windows(2)
                    .map(|w| w[1].saturating_since(w[0]).0),
                n,
            );
            for e in &self.ends[..m] {
                self.levels
                    .kv_tokens
                    .add(&mut areas.kv_tokens, *e, n as i64);
            }
            self.kv_tokens += n * m as u64;
            stats.output_tokens += n * m as u64;
        } else {
            let dt = now.0 - self.seg_start.0;
            let tokens = self.seg_tokens;
            debug_assert_eq!(
                tokens,
                self.running.iter().map(|s| u64::from(s.chunk)).sum::<u64>()
            );
            let mut written = 0u64;
            let mut gaps = EqualRuns::default();
            for s in &mut self.running {
                if s.chunk == 0 {
                    continue;
                }
                s.replica_time_share += split(dt, u64::from(s.chunk), tokens);
                let emits = if s.in_prefill() {
                    s.computed += s.chunk;
                    s.computed == s.target
                } else {
                    s.computed += 1;
                    true
                };
                written += u64::from(s.chunk);
                if emits {
                    s.generated += 1;
                    finishing |= s.generated >= s.output;
                    stats.output_tokens += 1;
                    if s.first_token == SimTime::MAX {
                        s.first_token = now;
                        let ttft = now.saturating_since(s.arrived).0;
                        stats.ttft.record(ttft);
                        stats.ttft_windows.record(now, ttft);
                        stats.input_tokens += u64::from(s.prompt);
                    } else {
                        gaps.push(now.saturating_since(s.last_token).0, &mut stats.itl);
                    }
                    s.last_token = now;
                }
            }
            gaps.flush(&mut stats.itl);
            self.kv_tokens += written;
            self.levels
                .kv_tokens
                .add(&mut areas.kv_tokens, now, written as i64);
        }
        // Calls that emitted their last token leave the batch, in order.
        if !finishing {
            return;
        }
        let before = self.running.len();
        let mut freed_blocks = 0u64;
        let mut freed_tokens = 0u64;
        self.running.retain(|s| {
            if s.generated < s.output {
                return true;
            }
            freed_blocks += u64::from(s.blocks);
            freed_tokens += u64::from(s.computed);
            stats.completed += 1;
            stats.e2e.record(now.saturating_since(s.arrived).0);
            if s.output > 1 {
                let decode = now.saturating_since(s.first_token).0;
                stats.tpot.record(decode / u64::from(s.output - 1));
            }
            done.push(*s);
            false
        });
        let finished = before - self.running.len();
        if finished > 0 {
            self.free_blocks += freed_blocks;
            self.kv_tokens -= freed_tokens;
            self.levels
                .kv_tokens
                .add(&mut areas.kv_tokens, now, -(freed_tokens as i64));
            self.levels
                .running
                .add(&mut areas.running, now, -(finished as i64));
        }
    }

    /// Preempts the last running sequence (recompute): frees its blocks and puts it at the
    /// front of the waiting queue. Its cached prefix stays cached (not recomputed).
    fn preempt_last(&mut self, now: SimTime, stats: &mut CallStats, areas: &mut PoolLevels) {
        let mut s = self.running.pop().expect("preempt from a non-empty batch");
        self.free_blocks += u64::from(s.blocks);
        self.kv_tokens -= u64::from(s.computed);
        self.levels
            .kv_tokens
            .add(&mut areas.kv_tokens, now, -i64::from(s.computed));
        s.blocks = 0;
        s.computed = s.cached;
        s.chunk = 0;
        s.target = s.prompt + s.generated;
        s.preemptions += 1;
        stats.preemptions += 1;
        self.waiting_tokens += u64::from(s.target);
        self.waiting.push_front(s);
        self.levels.running.add(&mut areas.running, now, -1);
        self.levels.waiting.add(&mut areas.waiting, now, 1);
    }

    /// Forms the next batch at `now` and plans its segment.
    fn form<M: IterationTime, C: ClockSource>(
        &mut self,
        now: SimTime,
        model: &M,
        stats: &mut CallStats,
        areas: &mut PoolLevels,
        clock_source: &mut C,
    ) -> Option<Wake> {
        if self.running.is_empty() && self.waiting.is_empty() {
            self.phase = Phase::Idle;
            self.levels.busy.add(&mut areas.busy, now, -1);
            if C::TRACKS {
                clock_source.batch(false, 0.0, 0.0);
            }
            return None;
        }
        self.phase = Phase::Running;
        let mut budget = u64::from(self.cfg.max_num_batched_tokens);
        let mut preempted = false;
        // The batch's shape, built as chunks are given (a preemption only removes sequences
        // not yet visited, so the sums are those of the final batch, in batch order); a
        // pure-decode batch may run for many iterations.
        let mut shape = BatchShape::default();
        let mut pure_decode = true;
        let mut i = 0;
        'running: while i < self.running.len() {
            let s = &self.running[i];
            let (computed, blocks, prefill) = (s.computed, s.blocks, s.in_prefill());
            let want = if prefill {
                u64::from(s.target - computed).min(budget)
            } else {
                1.min(budget)
            };
            if want == 0 {
                self.running[i].chunk = 0;
                pure_decode = false;
                i += 1;
                continue;
            }
            let need = self.blocks_for(u64::from(computed) + want) - u64::from(blocks);
            while need > self.free_blocks {
                preempted = true;
                let victim_is_self = self.running.len() - 1 == i;
                self.preempt_last(now, stats, areas);
                if victim_is_self {
                    break 'running;
                }
            }
            self.free_blocks -= need;
            let s = &mut self.running[i];
            s.blocks += need as u32;
            s.chunk = want as u32;
            budget -= want;
            shape.add(prefill, want as u32, computed);
            pure_decode &= !prefill;
            i += 1;
        }
        // Admission, first come first served.
        let mut admission_blocked = false;
        if !preempted || self.running.is_empty() {
            while let Some(head) = self.waiting.front() {
                if self.running.len() >= self.cfg.max_num_seqs as usize || budget == 0 {
                    admission_blocked = true;
                    break;
                }
                let want = u64::from(head.target - head.computed).min(budget);
                let need =
                    self.blocks_for(u64::from(head.computed) + want) - u64::from(head.blocks);
                if need > self.free_blocks {
                    admission_blocked = true;
                    break;
                }
                let mut s = self.waiting.pop_front().expect("head exists");
                self.waiting_tokens -= u64::from(s.target);
                // Its cached prefix now holds blocks.
                if s.computed > 0 {
                    self.kv_tokens += u64::from(s.computed);
                    self.levels
                        .kv_tokens
                        .add(&mut areas.kv_tokens, now, i64::from(s.computed));
                }
                self.free_blocks -= need;
                s.blocks += need as u32;
                s.chunk = want as u32;
                budget -= want;
                let prefill = s.in_prefill();
                shape.add(prefill, want as u32, s.computed);
                pure_decode &= !prefill;
                if !s.scheduled {
                    s.scheduled = true;
                    stats.wait.record(now.saturating_since(s.arrived).0);
                }
                self.running.push(s);
                self.levels.waiting.add(&mut areas.waiting, now, -1);
                self.levels.running.add(&mut areas.running, now, 1);
            }
        }
        self.seg_tokens = u64::from(self.cfg.max_num_batched_tokens) - budget;
        let steady = pure_decode && !preempted && (self.waiting.is_empty() || admission_blocked);
        self.ends.clear();
        self.decode_run = steady;
        self.shape = shape;
        self.seg_start = now;
        let iterations = if steady && self.cfg.fast_forward {
            self.decode_run_length()
        } else {
            1
        };
        let clock = if C::TRACKS {
            let (compute, memory) = model.busy_shares(&shape);
            clock_source.batch(true, compute, memory)
        } else {
            1.0
        };
        self.seg_clock = clock;
        let mut t = now;
        for j in 0..iterations as u64 {
            let mut sh = shape;
            sh.decode_ctx += j * shape.decode_seqs;
            let dt = if clock < 1.0 {
                model.time_ns_at(&sh, clock)
            } else {
                model.time_ns(&sh)
            };
            t = SimTime(t.0.saturating_add(dt.max(1)));
            self.ends.push(t);
            // Iterations ending at or after the end of the run are never applied.
            if t >= self.cfg.stop_at {
                break;
            }
        }
        self.planned = self.ends.len();
        Some(self.bump(t))
    }

    /// Iterations a pure-decode batch runs unchanged: until the first sequence emits its last
    /// token, or until the KV blocks would run out (the iteration that cannot allocate is
    /// formed anew, with a preemption). The first iteration's blocks are already held.
    fn decode_run_length(&self) -> usize {
        let to_finish = self
            .running
            .iter()
            .map(|s| s.output - s.generated)
            .min()
            .unwrap_or(1)
            .min(MAX_RUN_ITERATIONS as u32) as u64;
        // Waiting sequences hold no block, so the batch may use every block; and
        // `kv_tokens` is the batch's Σ computed.
        let available = self.cfg.kv_blocks;
        debug_assert_eq!(
            available,
            self.free_blocks
                + self
                    .running
                    .iter()
                    .map(|s| u64::from(s.blocks))
                    .sum::<u64>()
        );
        debug_assert_eq!(
            self.kv_tokens,
            self.running
                .iter()
                .map(|s| u64::from(s.computed))
                .sum::<u64>()
        );
        let n = self.running.len() as u64;
        // A bound without a pass over the batch: Σ ceil((c_i + k) / B) <=
        // ceil((Σ c_i + n k) / B) + n. When the whole run fits by it, it fits exactly.
        if self.blocks_for(self.kv_tokens + n * to_finish) + n <= available {
            return to_finish as usize;
        }
        // Blocks the batch needs to run iteration j (0-based).
        let need = |j: u64| -> u64 {
            self.running
                .iter()
                .map(|s| self.blocks_for(u64::from(s.computed) + j + 1))
                .sum()
        };
        // Largest k <= to_finish with need(k − 1) <= available; need(0) fits.
        let (mut lo, mut hi) = (1u64, to_finish);
        if need(hi - 1) <= available {
            return hi as usize;
        }
        // Invariant: need(lo − 1) fits, need(hi − 1) does not.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if need(mid - 1) <= available {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo as usize
    }

    /// Ends the run at `end` (a horizon): applies the iterations of a fast-forwarded decode
    /// run that ended before `end`, as their own events would have (stepping handles events
    /// strictly before the horizon only). Calls stay in flight; none finishes here, since a
    /// decode run ends at its first finish.
    pub fn settle<M: IterationTime>(
        &mut self,
        end: SimTime,
        model: &M,
        stats: &mut CallStats,
        areas: &mut PoolLevels,
    ) {
        if self.phase != Phase::Running || !self.decode_run {
            return;
        }
        let m = self.ends[..self.planned].partition_point(|e| *e < end);
        if m == 0 || m == self.planned {
            return;
        }
        self.planned = m;
        let mut none = Vec::new();
        self.apply(self.ends[m - 1], model, stats, areas, &mut none);
        debug_assert!(none.is_empty());
    }

    /// Closes its levels' last rectangles at `end` into the pool's `areas`.
    pub fn close_levels(&mut self, end: SimTime, areas: &mut PoolLevels) {
        self.levels.busy.close(&mut areas.busy, end);
        self.levels.waiting.close(&mut areas.waiting, end);
        self.levels.running.close(&mut areas.running, end);
        self.levels.kv_tokens.close(&mut areas.kv_tokens, end);
    }
}

/// Tokens per KV block, with a shift instead of a division when it is a power of two.
#[derive(Debug, Clone, Copy)]
struct BlockSize {
    size: u32,
    /// log2 of `size` when it is a power of two.
    shift: Option<u32>,
}

impl BlockSize {
    fn new(size: u32) -> BlockSize {
        BlockSize {
            size,
            shift: size.is_power_of_two().then(|| size.trailing_zeros()),
        }
    }

    /// Blocks that hold `tokens` tokens: `ceil(tokens / size)`.
    #[inline(always)]
    fn blocks(self, tokens: u64) -> u64 {
        match self.shift {
            // Token counts are sums of u32s (< 2^40): adding the mask cannot overflow.
            Some(k) => (tokens + ((1u64 << k) - 1)) >> k,
            None => tokens.div_ceil(u64::from(self.size)),
        }
    }
}

/// `dt × part / whole` ns in units of 1/[`SHARE_SCALE`] ns, rounded down.
#[inline]
fn split(dt: u64, part: u64, whole: u64) -> u64 {
    // The same quotient in 64 bits when the product fits (nearly always): a 128-bit
    // division is a slow library call.
    match dt
        .checked_mul(SHARE_SCALE)
        .and_then(|x| x.checked_mul(part))
    {
        Some(p) => p / whole.max(1),
        _ => {
            (u128::from(dt) * u128::from(SHARE_SCALE) * u128::from(part) / u128::from(whole.max(1)))
                as u64
        }
    }
}

#[cfg(test)]
mod tests;
