//! The step life cycle: how a workflow run (a *frame*) starts its steps, how copies,
//! attempts, joins, loops, retries and handlers play out, and how a task ends.
//!
//! A step becomes ready when its `after` steps have finished. It then runs `repeat` times
//! in sequence; each *run* starts `fanout` copies at once and joins them (all / first k /
//! quorum k). Each *attempt* of a copy succeeds with `success_prob`; a failed attempt is
//! retried after the backoff (the copy again, or the chain from `retry.from`), and after
//! the last one the copy has failed for good. A step that fails runs its `on_failure`
//! handler in its place, or fails its frame: a task's root frame fails the task (reason
//! `retries_exhausted`), a called frame fails the calling copy's attempt (which the
//! calling step may retry).
//!
//! Work in flight reports back with a *tag*: the step's generation when it started (low 24
//! bits) and the attempt (high 8 bits). A step's generation moves on at every run, so late
//! reports (copies beyond a `first` join, work of a failed step) are recognised and only
//! their usage is kept. Every piece of work in flight, backoff wait and called frame counts
//! in its frame's `outstanding`; a frame is freed when that is 0 and its outcome is decided
//! (or its task failed), and a task when its last frame is freed. Nothing already running
//! is cancelled: copies beyond a `first k` join and the work of a failed task run to their
//! end and are counted in the task's usage (as in a serving system that cannot recall a
//! request); nothing new starts for a failed task.

use super::facility::FacilityClock;
use super::{Event, ScenarioModel, SimError, SimErrorKind};
use crate::domain::cpu_pool::Job;
use crate::domain::llm::pool::CallRequest;
use crate::domain::llm::replica::{SHARE_SCALE, Wake};
use crate::domain::spec::{Fanout, Join, OnFailure, Route, StepKind};
use crate::domain::tasks::{FailReason, Frame, NO_FRAME, StepState};
use crate::domain::trace::{TraceEvent, Tracer};
use crate::engine::{Scheduler, SimDuration, SimTime};
use rand::RngExt;

const GEN_MASK: u32 = (1 << 24) - 1;

/// The attempt field of a tag that finishes a run with nothing to do
/// ([`ScenarioModel::finish_instantly`]); real attempts are 1..=100, 0 marks a re-run, and
/// [`HANDLE`] a handler's start.
const INSTANT: u32 = 255;

/// The attempt field of a tag that starts a handler in place of a failed step.
const HANDLE: u32 = 254;

/// A tag: `generation` (its low 24 bits) and the attempt field.
#[inline]
fn pack_tag(generation: u32, attempt: u32) -> u32 {
    (generation & GEN_MASK) | (attempt << 24)
}

/// Moves a step state to its next generation (older reports become stale); returns it.
#[inline]
fn next_generation(st: &mut StepState) -> u32 {
    st.generation = (st.generation + 1) & GEN_MASK;
    st.generation
}

#[inline]
fn tag_attempt(tag: u32) -> u32 {
    tag >> 24
}

pub(super) type Res = Result<(), SimError>;

impl<T: Tracer> ScenarioModel<'_, T> {
    /// A new frame of workflow `w` for `task`, called by copy `(parent, parent_step,
    /// parent_tag)` ([`NO_FRAME`] for a task's root), starting with `context` tokens.
    #[inline]
    pub(super) fn new_frame(
        &mut self,
        task: u32,
        w: u32,
        parent: u32,
        parent_step: u32,
        parent_tag: u32,
        context: u64,
    ) -> u32 {
        let rt = &self.workflows[w as usize];
        self.tasks.get_mut(task).frames += 1;
        self.frames.insert(
            Frame {
                task,
                workflow: w,
                parent,
                parent_step,
                parent_tag,
                steps_left: rt.dag_steps,
                context,
                start_context: context,
                outstanding: 0,
                done: false,
            },
            &rt.init,
        )
    }

    /// Starts the root steps of `frame`.
    #[inline]
    pub(super) fn start_frame(&mut self, sched: &mut Scheduler<Event>, frame: u32) -> Res {
        let fm = self.frames.get_mut(frame);
        fm.outstanding += 1;
        let w = fm.workflow as usize;
        let wf = &self.spec.workflows[w];
        let base = self.workflows[w].base;
        for &root in &wf.roots {
            self.start_step(sched, frame, base + root)?;
        }
        self.release(frame)
    }

    /// Drops one hold on `frame` and frees it (and maybe its task and callers) when nothing
    /// is left in flight.
    #[inline]
    fn release(&mut self, frame: u32) -> Res {
        self.frames.get_mut(frame).outstanding -= 1;
        self.maybe_free(frame);
        Ok(())
    }

    #[inline]
    fn maybe_free(&mut self, mut frame: u32) {
        loop {
            let f = self.frames.get(frame);
            if f.outstanding > 0 {
                return;
            }
            let (task, done, parent) = (f.task, f.done, f.parent);
            let t = self.tasks.get_mut(task);
            if !(done || t.dead) {
                return;
            }
            self.frames.remove(frame);
            t.frames -= 1;
            if t.frames == 0 {
                let w = &mut self.workflows[t.workflow as usize];
                w.usage.add(&t.usage);
                w.finished += 1;
                self.tasks.remove(task);
                return;
            }
            // A called frame freed before its outcome (its task failed) still counted in
            // its caller.
            if done || parent == NO_FRAME {
                return;
            }
            self.frames.get_mut(parent).outstanding -= 1;
            frame = parent;
        }
    }

    /// Whether a report for `(frame, step, tag)` comes too late to matter.
    #[inline]
    fn is_stale(&mut self, frame: u32, local: u32, tag: u32) -> bool {
        let f = self.frames.get(frame);
        let (done, task) = (f.done, f.task);
        done || self.tasks.get(task).dead
            || (self.frames.state(frame, local).generation & GEN_MASK) != (tag & GEN_MASK)
    }

    /// Step `step` (a step id) of `frame` is ready: its `after` steps have finished.
    #[inline]
    fn start_step(&mut self, sched: &mut Scheduler<Event>, frame: u32, step: u32) -> Res {
        let f = self.frames.get(frame);
        if f.done || self.tasks.get(f.task).dead {
            return Ok(());
        }
        let now = sched.now();
        let rt = &mut self.steps[step as usize];
        let local = rt.local;
        let runs = match rt.repeat_fixed {
            Some(n) => n,
            None => rt.spec.repeat.sample(&mut rt.rng),
        };
        let st = self.frames.state(frame, local);
        // A re-run for a later step's retry, or this step's own re-run after a retry from
        // an earlier one, continues the run that became ready before.
        if st.rerun_of == 0 && st.attempt <= 1 {
            st.started = now;
            rt.stats.runs += 1;
        }
        if runs == 0 {
            st.runs_left = 0;
            return self.finish_instantly(sched, frame, step);
        }
        st.runs_left = runs - 1;
        self.start_run(sched, frame, step)
    }

    /// The current run of `step` has nothing to do (no copies, or no runs): it succeeds at
    /// this instant, through the event list rather than the call stack, so a long chain of
    /// such steps cannot exhaust the stack.
    fn finish_instantly(&mut self, sched: &mut Scheduler<Event>, frame: u32, step: u32) -> Res {
        self.hand_over(sched, frame, step, INSTANT)
    }

    /// Schedules a zero-delay [`Event::Backoff`] for `step` (a step id) of `frame` with
    /// `marker` in the tag's attempt field, at the step's next generation, holding the frame
    /// until it fires.
    fn hand_over(
        &mut self,
        sched: &mut Scheduler<Event>,
        frame: u32,
        step: u32,
        marker: u32,
    ) -> Res {
        let local = self.steps[step as usize].local;
        let tag = pack_tag(next_generation(self.frames.state(frame, local)), marker);
        self.frames.get_mut(frame).outstanding += 1;
        sched.schedule_in(SimDuration::ZERO, Event::Backoff { frame, step, tag })?;
        Ok(())
    }

    /// One run of a step: its copies start together.
    #[inline]
    fn start_run(&mut self, sched: &mut Scheduler<Event>, frame: u32, step: u32) -> Res {
        let rt = &mut self.steps[step as usize];
        let (spec, local) = (rt.spec, rt.local);
        let n = match rt.fanout_fixed {
            Some(n) => n,
            None => match &spec.fanout {
                Fanout::Count(c) => c.sample(&mut rt.rng),
                Fanout::ForEach(j) => self.frames.state(frame, *j).n,
            },
        };
        let st = self.frames.state(frame, local);
        let generation = next_generation(st);
        st.n = n;
        st.ok = 0;
        st.bad = 0;
        st.pending = n;
        let attempt = if spec.retry.from.is_some() {
            if st.attempt == 0 {
                st.attempt = 1;
            }
            st.attempt
        } else {
            1
        };
        match n {
            0 => return self.finish_instantly(sched, frame, step),
            1 => return self.start_attempt(sched, frame, step, pack_tag(generation, attempt)),
            _ => {}
        }
        for _ in 0..n {
            if self.frames.state(frame, local).generation != generation
                || self.frames.get(frame).done
            {
                break;
            }
            self.start_attempt(sched, frame, step, pack_tag(generation, attempt))?;
        }
        Ok(())
    }

    /// One attempt of one copy. Counts toward the task's budgets.
    #[inline]
    fn start_attempt(
        &mut self,
        sched: &mut Scheduler<Event>,
        frame: u32,
        step: u32,
        tag: u32,
    ) -> Res {
        let now = sched.now();
        let f = *self.frames.get(frame);
        let t = self.tasks.get_mut(f.task);
        if t.dead {
            return Ok(());
        }
        let budget = self.workflows[t.workflow as usize].budget;
        t.steps_started += 1;
        if budget.max_steps.is_some_and(|m| t.steps_started > m) {
            return self.fail_task(now, f.task, FailReason::Budget);
        }
        t.usage.attempts += 1;
        let rt = &mut self.steps[step as usize];
        rt.stats.attempts += 1;
        let (spec, local) = (rt.spec, rt.local);
        // The work as a pool holds it (CPU and human steps).
        let job = Job {
            task: frame,
            tag,
            step,
            enqueued: now,
        };
        match &spec.kind {
            StepKind::Cpu { pool, .. } => {
                let p = pool.0;
                self.frames.get_mut(frame).outstanding += 1;
                self.trace(now, frame, |serial| TraceEvent::JobArrived {
                    task: serial,
                    step: local,
                    pool: p,
                });
                if let Some(slot) = self.pools[p as usize].submit(now, job) {
                    self.begin_service(sched, p, slot, job)?;
                }
            }
            StepKind::Delay { .. } => {
                self.trace(now, frame, |serial| TraceEvent::DelayStarted {
                    task: serial,
                    step: local,
                });
                let rt = &mut self.steps[step as usize];
                let d = rt.sampler.sample(&mut rt.rng);
                self.tasks.get_mut(f.task).usage.tool_calls += 1;
                self.frames.get_mut(frame).outstanding += 1;
                if sched
                    .schedule_in(d, Event::DelayDone { frame, step, tag })
                    .is_err()
                {
                    return Err(self.step_overflow(now, step, "duration", d));
                }
            }
            StepKind::Human { pool, .. } => {
                let p = pool.0;
                self.frames.get_mut(frame).outstanding += 1;
                let h = &mut self.humans[p as usize];
                if h.is_open(now) {
                    if let Some(slot) = h.pool.submit(now, job) {
                        self.begin_review(sched, p, slot, job)?;
                    }
                } else {
                    h.pool.enqueue(now, job);
                    self.schedule_shift(sched, p)?;
                }
            }
            StepKind::Llm { route, context, .. } => {
                let from_trace = self.tasks.get(f.task).tokens;
                let rt = &mut self.steps[step as usize];
                let [input, output] = rt.tokens.as_mut().expect("llm steps have tokens");
                let new = input.draw(&mut rt.rng, from_trace[0]).max(1);
                let out = output.draw(&mut rt.rng, from_trace[1]).max(1);
                let carried = if *context { f.context } else { 0 };
                let pool = match route {
                    Route::Fixed(p) => p.0,
                    Route::Weighted(w) => {
                        let u: f64 = rt.rng.random();
                        w.iter()
                            .find(|(_, c)| u < *c)
                            .or(w.last())
                            .map_or(0, |(p, _)| p.0)
                    }
                    Route::Rule(rules) => {
                        let prompt = carried + u64::from(new);
                        rules
                            .iter()
                            .find(|(limit, _)| limit.is_none_or(|l| prompt <= u64::from(l)))
                            .or(rules.last())
                            .map_or(0, |(_, p)| p.0)
                    }
                };
                // A saturated pool sends the call to its overflow pool, if that has
                // replicas (a cloud burst pool, or hardware bought later).
                let pool = match self.spec.gpu_pools[pool as usize].overflow {
                    Some(o)
                        if self.gpu_pools[pool as usize].saturated(o.queue)
                            && self.gpu_pools[o.to as usize].replica_count() > 0 =>
                    {
                        o.to
                    }
                    _ => pool,
                };
                let g = &self.spec.gpu_pools[pool as usize];
                // Context beyond the model's window is dropped (oldest first), as an
                // agent compacting its history would.
                let room = u64::from(g.model.max_context_tokens)
                    .saturating_sub(u64::from(new) + u64::from(out));
                let carried = carried.min(room);
                let prompt = u32::try_from(carried + u64::from(new)).unwrap_or(u32::MAX);
                let cached = (g.prefix_cache_hit * carried as f64).round() as u32;
                let t = self.tasks.get_mut(f.task);
                t.llm_tokens += u64::from(prompt) + u64::from(out);
                if budget.max_tokens.is_some_and(|m| t.llm_tokens > m) {
                    return self.fail_task(now, f.task, FailReason::Budget);
                }
                // The new prompt joins the run's history now; the output when it succeeds.
                let fm = self.frames.get_mut(frame);
                fm.context += u64::from(new);
                fm.outstanding += 1;
                self.trace(now, frame, |serial| TraceEvent::CallArrived {
                    task: serial,
                    step: local,
                    pool,
                });
                let req = CallRequest {
                    task: frame,
                    step,
                    tag,
                    prompt,
                    cached,
                    output: out,
                };
                match self.gpu_pools[pool as usize].submit_call(now, req) {
                    Ok((replica, wake)) => {
                        if let Some(w) = wake {
                            let global = self.replica_base[pool as usize] + replica;
                            self.wake(sched, global, w)?;
                        }
                    }
                    // Counted by the pool (it can never fit): a failed attempt.
                    Err(_) => self.op_done(sched, frame, step, tag, false)?,
                }
            }
            StepKind::Call { workflow } => {
                let w = workflow.0;
                self.frames.get_mut(frame).outstanding += 1;
                let child = self.new_frame(f.task, w, frame, step, tag, f.context);
                self.start_frame(sched, child)?;
            }
        }
        Ok(())
    }

    /// Schedules the start of `pool`'s next working hours, once.
    fn schedule_shift(&mut self, sched: &mut Scheduler<Event>, pool: u32) -> Res {
        let h = &mut self.humans[pool as usize];
        if h.shift_scheduled {
            return Ok(());
        }
        let Some(at) = h.next_open(sched.now()) else {
            return Ok(());
        };
        h.shift_scheduled = true;
        sched.schedule_at(at, Event::ShiftStart { pool })?;
        Ok(())
    }

    pub(super) fn on_shift_start(&mut self, sched: &mut Scheduler<Event>, pool: u32) -> Res {
        let now = sched.now();
        self.humans[pool as usize].shift_scheduled = false;
        while let Some((slot, job)) = self.humans[pool as usize].pool.start_next(now) {
            self.begin_review(sched, pool, slot, job)?;
        }
        Ok(())
    }

    /// `job` has just taken reviewer `slot` of human pool `pool`.
    fn begin_review(
        &mut self,
        sched: &mut Scheduler<Event>,
        pool: u32,
        slot: u32,
        job: Job,
    ) -> Res {
        let service = self.serve(sched, job, Event::ReviewDone { pool, slot })?;
        let task = self.frames.get(job.task).task;
        let t = self.tasks.get_mut(task);
        t.usage.review_s += service.as_secs_f64();
        t.usage.reviews += 1;
        let w = t.workflow as usize;
        self.workflows[w].work.reviews[pool as usize] += 1;
        Ok(())
    }

    /// Draws `job`'s service time from its step and schedules `done` at its end; returns
    /// the service time.
    #[inline]
    fn serve(
        &mut self,
        sched: &mut Scheduler<Event>,
        job: Job,
        done: Event,
    ) -> Result<SimDuration, SimError> {
        let rt = &mut self.steps[job.step as usize];
        let service = rt.sampler.sample(&mut rt.rng);
        if sched.schedule_in(service, done).is_err() {
            return Err(self.step_overflow(sched.now(), job.step, "service", service));
        }
        Ok(service)
    }

    pub(super) fn on_review_done(
        &mut self,
        sched: &mut Scheduler<Event>,
        pool: u32,
        slot: u32,
    ) -> Res {
        let now = sched.now();
        let h = &mut self.humans[pool as usize];
        let done = if h.is_open(now) {
            let (done, next) = h.pool.finish(now, slot);
            if let Some(next) = next {
                self.begin_review(sched, pool, slot, next)?;
            }
            done
        } else {
            let done = h.pool.finish_hold(now, slot);
            if h.pool.queue_len() > 0 {
                self.schedule_shift(sched, pool)?;
            }
            done
        };
        self.op_done(sched, done.task, done.step, done.tag, true)
    }

    /// `job` has just taken `slot` of CPU pool `pool`: draw its service time and schedule
    /// the end.
    #[inline]
    fn begin_service(
        &mut self,
        sched: &mut Scheduler<Event>,
        pool: u32,
        slot: u32,
        job: Job,
    ) -> Res {
        let service = self.serve(sched, job, Event::JobDone { pool, slot })?;
        let task = self.frames.get(job.task).task;
        let t = self.tasks.get_mut(task);
        let cpu_s = service.as_secs_f64();
        t.usage.cpu_s += cpu_s;
        t.usage.tool_calls += 1;
        let w = t.workflow as usize;
        self.workflows[w].work.cpu_s[pool as usize] += cpu_s;
        if T::ENABLED {
            let local = self.steps[job.step as usize].local;
            self.trace(sched.now(), job.task, |serial| TraceEvent::JobStarted {
                task: serial,
                step: local,
                pool,
            });
        }
        Ok(())
    }

    #[inline]
    pub(super) fn on_job_done(
        &mut self,
        sched: &mut Scheduler<Event>,
        pool: u32,
        slot: u32,
    ) -> Res {
        let now = sched.now();
        let (done, next) = self.pools[pool as usize].finish(now, slot);
        if T::ENABLED {
            let local = self.steps[done.step as usize].local;
            self.trace(now, done.task, |serial| TraceEvent::JobFinished {
                task: serial,
                step: local,
                pool,
            });
        }
        if let Some(next) = next {
            self.begin_service(sched, pool, slot, next)?;
        }
        self.op_done(sched, done.task, done.step, done.tag, true)
    }

    pub(super) fn on_delay_done(
        &mut self,
        sched: &mut Scheduler<Event>,
        frame: u32,
        step: u32,
        tag: u32,
    ) -> Res {
        if T::ENABLED {
            let local = self.steps[step as usize].local;
            self.trace(sched.now(), frame, |serial| TraceEvent::DelayFinished {
                task: serial,
                step: local,
            });
        }
        self.op_done(sched, frame, step, tag, true)
    }

    #[inline]
    pub(super) fn wake(&mut self, sched: &mut Scheduler<Event>, replica: u32, w: Wake) -> Res {
        if w.at == SimTime::MAX {
            // Iteration ends saturate at the end of the clock.
            let (pool, _) = self.replica_owner[replica as usize];
            return Err(SimErrorKind::IterationOverflow {
                pool: self.spec.gpu_pools[pool as usize].name.clone(),
                now_s: sched.now().as_secs_f64(),
            }
            .into());
        }
        sched.schedule_late_at(
            w.at,
            Event::LlmWake {
                replica,
                generation: w.generation,
            },
        )?;
        Ok(())
    }

    pub(super) fn on_llm_wake(
        &mut self,
        sched: &mut Scheduler<Event>,
        replica: u32,
        generation: u32,
    ) -> Res {
        let now = sched.now();
        let (pool, local) = self.replica_owner[replica as usize];
        let mut finished = std::mem::take(&mut self.finished);
        let wake = match &mut self.facility {
            Some(f) if f.on_site(pool) => {
                let mut clock = FacilityClock {
                    facility: f,
                    now,
                    pool,
                    replica: local,
                };
                self.gpu_pools[pool as usize].on_event_clocked(
                    now,
                    local,
                    generation,
                    &mut finished,
                    &mut clock,
                )
            }
            _ => self.gpu_pools[pool as usize].on_event(now, local, generation, &mut finished),
        };
        if let Some(w) = wake {
            self.wake(sched, replica, w)?;
        }
        self.apply_cuts(sched)?;
        let tp = f64::from(self.spec.gpu_pools[pool as usize].tensor_parallel);
        for s in finished.drain(..) {
            let task = self.frames.get(s.task).task;
            let t = self.tasks.get_mut(task);
            let gpu_s = s.replica_time_share as f64 / SHARE_SCALE as f64 * 1e-9 * tp;
            let usage = &mut t.usage;
            usage.gpu_s += gpu_s;
            usage.llm_calls += 1;
            usage.input_tokens += u64::from(s.prompt);
            usage.cached_tokens += u64::from(s.cached);
            usage.output_tokens += u64::from(s.output);
            let w = t.workflow as usize;
            self.workflows[w].work.gpu_s[pool as usize] += gpu_s;
            let local = self.steps[s.step as usize].local;
            if !self.is_stale(s.task, local, s.tag) {
                self.frames.get_mut(s.task).context += u64::from(s.output);
            }
            self.op_done(sched, s.task, s.step, s.tag, true)?;
        }
        self.finished = finished;
        Ok(())
    }

    /// A backoff wait ended: start the next attempt (or the re-run from `retry.from`).
    pub(super) fn on_backoff(
        &mut self,
        sched: &mut Scheduler<Event>,
        frame: u32,
        step: u32,
        tag: u32,
    ) -> Res {
        let local = self.steps[step as usize].local;
        if !self.is_stale(frame, local, tag) {
            match tag_attempt(tag) {
                0 => self.rerun(sched, frame, step)?,
                INSTANT => self.run_done(sched, frame, step, true)?,
                HANDLE => self.start_step(sched, frame, step)?,
                _ => self.start_attempt(sched, frame, step, tag)?,
            }
        }
        self.release(frame)
    }

    /// A piece of work of copy `tag` of `step` in `frame` ended; `ok` is false when it could
    /// not be done at all (a call no replica can hold, a called workflow that failed).
    #[inline]
    pub(super) fn op_done(
        &mut self,
        sched: &mut Scheduler<Event>,
        frame: u32,
        step: u32,
        tag: u32,
        ok: bool,
    ) -> Res {
        let local = self.steps[step as usize].local;
        if self.is_stale(frame, local, tag) {
            return self.release(frame);
        }
        let rt = &mut self.steps[step as usize];
        let p = rt.success_prob;
        let success = ok && (p >= 1.0 || rt.rng.random::<f64>() < p);
        if success && rt.single {
            // One copy, one run, no result tokens: the step has succeeded.
            let st = self.frames.state(frame, local);
            st.ok = 1;
            st.pending = 0;
            next_generation(st);
            self.step_succeeded(sched, frame, step)?;
        } else if success {
            self.copy_succeeded(sched, frame, step)?;
        } else {
            self.attempt_failed(sched, frame, step, tag)?;
        }
        self.release(frame)
    }

    fn attempt_failed(
        &mut self,
        sched: &mut Scheduler<Event>,
        frame: u32,
        step: u32,
        tag: u32,
    ) -> Res {
        let rt = &mut self.steps[step as usize];
        let (spec, local) = (rt.spec, rt.local);
        let max = spec.retry.max_attempts;
        let (attempt, chain) = match spec.retry.from {
            Some(_) => (self.frames.state(frame, local).attempt, true),
            None => (tag_attempt(tag), false),
        };
        if attempt >= max {
            return self.copy_failed(sched, frame, step);
        }
        let next = if chain {
            // The whole chain re-runs: this run's other copies are abandoned.
            let st = self.frames.state(frame, local);
            st.attempt += 1;
            pack_tag(next_generation(st), 0)
        } else {
            pack_tag(tag, attempt + 1)
        };
        // The next attempt starts from the event list (at once without a backoff), so that
        // attempts failing at once cannot nest on the call stack.
        let rt = &mut self.steps[step as usize];
        let d = match rt.backoff.as_ref() {
            Some(b) => b.sample(&mut rt.rng),
            None => SimDuration::ZERO,
        };
        self.frames.get_mut(frame).outstanding += 1;
        let ev = Event::Backoff {
            frame,
            step,
            tag: next,
        };
        if sched.schedule_in(d, ev).is_err() {
            return Err(self.step_overflow(sched.now(), step, "retry.backoff", d));
        }
        Ok(())
    }

    /// Re-runs the chain from `retry.from` to `step` (the step whose attempt failed).
    fn rerun(&mut self, sched: &mut Scheduler<Event>, frame: u32, step: u32) -> Res {
        let rt = &self.steps[step as usize];
        let (spec, local, base) = (rt.spec, rt.local, rt.base);
        for &(i, n_in) in &spec.rerun {
            let st = self.frames.state(frame, i);
            st.waiting_on = n_in;
            if i != local {
                st.rerun_of = local + 1;
                st.attempt = 0;
            }
        }
        match spec.rerun.first() {
            Some(&(first, _)) if first != local => self.start_step(sched, frame, base + first),
            _ => self.start_step(sched, frame, step),
        }
    }

    #[inline]
    fn copy_succeeded(&mut self, sched: &mut Scheduler<Event>, frame: u32, step: u32) -> Res {
        let rt = &mut self.steps[step as usize];
        let (spec, local) = (rt.spec, rt.local);
        if let Some(r) = rt.result_tokens.as_mut() {
            // Token sources of results are never "trace" (validation).
            let n = r.draw(&mut rt.rng, 0);
            self.frames.get_mut(frame).context += u64::from(n);
        }
        let st = self.frames.state(frame, local);
        st.ok += 1;
        st.pending -= 1;
        let decided = match spec.join {
            Join::All => (st.pending == 0).then_some(true),
            Join::First(k) => (st.ok >= k.min(st.n)).then_some(true),
            Join::Quorum(k) => (st.pending == 0).then_some(st.ok >= k.min(st.n)),
        };
        match decided {
            Some(ok) => self.run_done(sched, frame, step, ok),
            None => Ok(()),
        }
    }

    fn copy_failed(&mut self, sched: &mut Scheduler<Event>, frame: u32, step: u32) -> Res {
        let rt = &self.steps[step as usize];
        let (spec, local) = (rt.spec, rt.local);
        let st = self.frames.state(frame, local);
        st.bad += 1;
        st.pending -= 1;
        let need = match spec.join {
            Join::All => st.n,
            Join::First(k) | Join::Quorum(k) => k.min(st.n),
        };
        // A quorum waits for every copy; the others fail as soon as they cannot succeed.
        let waits = matches!(spec.join, Join::Quorum(_));
        if !waits && st.n - st.bad < need {
            self.run_done(sched, frame, step, false)
        } else if st.pending == 0 {
            let ok = st.ok >= need;
            self.run_done(sched, frame, step, ok)
        } else {
            Ok(())
        }
    }

    #[inline]
    fn run_done(
        &mut self,
        sched: &mut Scheduler<Event>,
        frame: u32,
        step: u32,
        success: bool,
    ) -> Res {
        let local = self.steps[step as usize].local;
        let st = self.frames.state(frame, local);
        next_generation(st);
        if !success {
            return self.step_failed(sched, frame, step);
        }
        if st.runs_left > 0 {
            st.runs_left -= 1;
            return self.start_run(sched, frame, step);
        }
        self.step_succeeded(sched, frame, step)
    }

    fn step_failed(&mut self, sched: &mut Scheduler<Event>, frame: u32, step: u32) -> Res {
        let rt = &mut self.steps[step as usize];
        let (spec, local, base) = (rt.spec, rt.local, rt.base);
        let st = self.frames.state(frame, local);
        let handles = st.handles;
        if st.rerun_of == 0 {
            rt.stats.failed += 1;
        }
        match spec.on_failure {
            OnFailure::Handler(h) => {
                // The handler starts from the event list (at this instant), so that a chain
                // of handlers failing at once cannot nest on the call stack.
                let hs = self.frames.state(frame, h);
                hs.handles = if handles != 0 { handles } else { local + 1 };
                hs.attempt = 0;
                self.hand_over(sched, frame, base + h, HANDLE)
            }
            OnFailure::Fail => self.frame_failed(sched, frame, FailReason::RetriesExhausted),
        }
    }

    #[inline]
    fn step_succeeded(&mut self, sched: &mut Scheduler<Event>, frame: u32, step: u32) -> Res {
        let now = sched.now();
        let rt = &mut self.steps[step as usize];
        let (local, base) = (rt.local, rt.base);
        let st = self.frames.state(frame, local);
        // A step re-run for a later step's retry is not a new run: its first success was
        // counted, and the retrying step's latency covers the re-run.
        if st.rerun_of == 0 {
            let started = st.started;
            rt.stats.latency.record(now.saturating_since(started).0);
            rt.stats.succeeded += 1;
        }
        self.trace(now, frame, |serial| TraceEvent::StepFinished {
            task: serial,
            step: local,
        });
        let st = self.frames.state(frame, local);
        if st.handles != 0 {
            // A handler stands in for the step that failed: that step has now succeeded,
            // its latency including the handler's.
            let target = st.handles - 1;
            st.handles = 0;
            let ts = self.frames.state(frame, target);
            if ts.rerun_of == 0 {
                let started = ts.started;
                let t = &mut self.steps[(base + target) as usize].stats;
                t.latency.record(now.saturating_since(started).0);
                t.succeeded += 1;
            }
            return self.after_success(sched, frame, base + target, base);
        }
        self.after_success(sched, frame, step, base)
    }

    /// Step `step` counts as succeeded: its successors may start, and the run may end.
    #[inline]
    fn after_success(
        &mut self,
        sched: &mut Scheduler<Event>,
        frame: u32,
        step: u32,
        base: u32,
    ) -> Res {
        let rt = &self.steps[step as usize];
        let (spec, local) = (rt.spec, rt.local);
        let st = self.frames.state(frame, local);
        st.attempt = 0;
        let rerun_of = std::mem::take(&mut st.rerun_of);
        if rerun_of != 0 {
            // Part of a re-run: only the chain goes on; the rest ran already.
            let chain = &self.steps[(base + rerun_of - 1) as usize].spec.rerun;
            for &succ in &spec.successors {
                if chain.iter().any(|&(i, _)| i == succ) {
                    let s = self.frames.state(frame, succ);
                    s.waiting_on -= 1;
                    if s.waiting_on == 0 {
                        self.start_step(sched, frame, base + succ)?;
                    }
                }
            }
            return Ok(());
        }
        for &succ in &spec.successors {
            let s = self.frames.state(frame, succ);
            s.waiting_on -= 1;
            if s.waiting_on == 0 {
                self.start_step(sched, frame, base + succ)?;
            }
        }
        if self.frames.get(frame).done {
            return Ok(());
        }
        let f = self.frames.get_mut(frame);
        f.steps_left -= 1;
        if f.steps_left == 0 {
            return self.frame_succeeded(sched, frame);
        }
        Ok(())
    }

    #[inline]
    fn frame_succeeded(&mut self, sched: &mut Scheduler<Event>, frame: u32) -> Res {
        let f = self.frames.get_mut(frame);
        f.done = true;
        if f.parent == NO_FRAME {
            let task = f.task;
            self.end_task(sched.now(), task, None);
            return Ok(());
        }
        let f = *f;
        let grown = f.context - f.start_context;
        let parent_local = self.steps[f.parent_step as usize].local;
        if !self.is_stale(f.parent, parent_local, f.parent_tag) {
            self.frames.get_mut(f.parent).context += grown;
        }
        self.op_done(sched, f.parent, f.parent_step, f.parent_tag, true)
    }

    fn frame_failed(
        &mut self,
        sched: &mut Scheduler<Event>,
        frame: u32,
        reason: FailReason,
    ) -> Res {
        let f = self.frames.get_mut(frame);
        f.done = true;
        let f = *f;
        if f.parent == NO_FRAME {
            self.end_task(sched.now(), f.task, Some(reason));
            return Ok(());
        }
        self.op_done(sched, f.parent, f.parent_step, f.parent_tag, false)
    }

    /// Fails `task` at once (a budget ran out): nothing new starts for it.
    fn fail_task(&mut self, now: SimTime, task: u32, reason: FailReason) -> Res {
        self.end_task(now, task, Some(reason));
        // A task that already succeeded keeps its outcome, but nothing new starts for it
        // either (else its frames, with nothing in flight, are never freed).
        self.tasks.get_mut(task).dead = true;
        Ok(())
    }

    /// Records the outcome of `task` (once): `None` when its workflow succeeded (a failure
    /// all the same, reason `deadline`, when it took longer than the deadline).
    #[inline]
    fn end_task(&mut self, now: SimTime, task: u32, failure: Option<FailReason>) {
        let t = self.tasks.get_mut(task);
        if t.ended {
            return;
        }
        t.ended = true;
        t.dead = failure.is_some();
        let (arrived, w, serial) = (t.arrived, t.workflow, t.serial);
        let rt = &mut self.workflows[w as usize];
        let latency = now.saturating_since(arrived);
        rt.latency.record(latency.0);
        rt.latency_windows.record(now, latency.0);
        rt.completed += 1;
        rt.in_system.add(now, -1);
        let failure = failure.or_else(|| {
            rt.deadline
                .is_some_and(|d| latency > d)
                .then_some(FailReason::Deadline)
        });
        match failure {
            None => rt.succeeded += 1,
            Some(r) => rt.failed[r.index()] += 1,
        }
        if T::ENABLED {
            self.tracer.trace(
                now,
                TraceEvent::TaskFinished {
                    task: serial,
                    workflow: w,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stay_small() {
        // They live in the event heap: 16 bytes, entries of 32 with the key.
        assert!(std::mem::size_of::<Event>() <= 16);
    }

    #[test]
    fn tags_pack_generation_and_attempt() {
        let t = pack_tag(5, 3);
        assert_eq!(t & GEN_MASK, 5);
        assert_eq!(tag_attempt(t), 3);
        assert_eq!(
            tag_attempt(pack_tag(t, 9)),
            9,
            "a tag with its attempt replaced"
        );
        assert_eq!(pack_tag(t, 9) & GEN_MASK, 5);
        assert_eq!(pack_tag(GEN_MASK + 2, 1) & GEN_MASK, 1, "generations wrap");
    }
}
