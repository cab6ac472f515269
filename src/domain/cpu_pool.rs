//! A CPU pool at run time: c servers, one FIFO queue, and its statistics.
//!
//! The pool decides only *which* job runs *where*; the model draws service times and schedules
//! completions. Jobs in service sit in a slot per server, so a completion event names
//! `(pool, slot)` and stays small.

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{LatencyHist, WindowedCount, WindowedLevel};
use std::collections::VecDeque;

/// A unit of work on a pool: one attempt of one copy of one step of one workflow run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Frame slot of the workflow run (see [`super::tasks::Frames`]).
    pub task: u32,
    /// The copy's tag (generation and attempt; the model uses it to recognise stale work).
    pub tag: u32,
    /// Step id (the model's index over the steps of all workflows).
    pub step: u32,
    /// When the job reached the pool.
    pub enqueued: SimTime,
}

/// Run-time state and statistics of one CPU pool.
#[derive(Debug)]
pub struct CpuPool {
    free_slots: Vec<u32>,
    in_service: Vec<Job>,
    queue: VecDeque<Job>,
    /// Busy servers over time.
    pub busy: WindowedLevel,
    /// Jobs waiting over time.
    pub queued: WindowedLevel,
    /// Jobs reaching the pool.
    pub arrivals: WindowedCount,
    /// Jobs starting service (reviews are priced when they start).
    pub started: WindowedCount,
    /// Arrival at the pool -> start of service [ns].
    pub wait: LatencyHist,
    /// Arrival at the pool -> end of service [ns].
    pub sojourn: LatencyHist,
}

impl CpuPool {
    /// An idle pool of `servers` servers with windows of `interval`.
    pub fn new(servers: u32, interval: SimDuration) -> Self {
        CpuPool {
            // Pop from the back: the lowest slot is used first.
            free_slots: (0..servers).rev().collect(),
            in_service: vec![
                Job {
                    task: u32::MAX,
                    tag: 0,
                    step: u32::MAX,
                    enqueued: SimTime::ZERO,
                };
                servers as usize
            ],
            queue: VecDeque::new(),
            busy: WindowedLevel::new(interval),
            queued: WindowedLevel::new(interval),
            arrivals: WindowedCount::new(interval),
            started: WindowedCount::new(interval),
            wait: LatencyHist::new(),
            sojourn: LatencyHist::new(),
        }
    }

    /// A job arrives at `now`. Returns the slot it starts in, or `None` if it queues.
    #[inline(always)]
    pub fn submit(&mut self, now: SimTime, job: Job) -> Option<u32> {
        self.arrivals.incr(now);
        match self.free_slots.pop() {
            Some(slot) => {
                self.start(now, slot, job);
                Some(slot)
            }
            None => {
                self.queue.push_back(job);
                self.queued.add(now, 1);
                None
            }
        }
    }

    #[inline(always)]
    fn start(&mut self, now: SimTime, slot: u32, job: Job) {
        self.wait.record(now.saturating_since(job.enqueued).0);
        self.started.incr(now);
        self.busy.add(now, 1);
        self.in_service[slot as usize] = job;
    }

    /// The job in `slot` finishes at `now`. Returns it, and the next job started in the same
    /// slot (the head of the queue), if any.
    #[inline(always)]
    pub fn finish(&mut self, now: SimTime, slot: u32) -> (Job, Option<Job>) {
        let done = self.in_service[slot as usize];
        self.sojourn.record(now.saturating_since(done.enqueued).0);
        self.busy.add(now, -1);
        match self.queue.pop_front() {
            Some(next) => {
                self.queued.add(now, -1);
                self.start(now, slot, next);
                (done, Some(next))
            }
            None => {
                self.free_slots.push(slot);
                (done, None)
            }
        }
    }

    /// A job arrives at `now` while the pool is closed (a reviewer pool outside its working
    /// hours): it queues even if a server is free.
    pub fn enqueue(&mut self, now: SimTime, job: Job) {
        self.arrivals.incr(now);
        self.queue.push_back(job);
        self.queued.add(now, 1);
    }

    /// The job in `slot` finishes at `now` and the slot stays free (the pool is closed).
    pub fn finish_hold(&mut self, now: SimTime, slot: u32) -> Job {
        let done = self.in_service[slot as usize];
        self.sojourn.record(now.saturating_since(done.enqueued).0);
        self.busy.add(now, -1);
        self.free_slots.push(slot);
        done
    }

    /// Starts the head of the queue on a free server, if both exist; returns the slot and job.
    pub fn start_next(&mut self, now: SimTime) -> Option<(u32, Job)> {
        if self.queue.is_empty() {
            return None;
        }
        let slot = self.free_slots.pop()?;
        let job = self.queue.pop_front()?;
        self.queued.add(now, -1);
        self.start(now, slot, job);
        Some((slot, job))
    }

    /// Jobs waiting now.
    pub fn queue_len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(task: u32, t: u64) -> Job {
        Job {
            task,
            tag: 0,
            step: 0,
            enqueued: SimTime(t),
        }
    }

    #[test]
    fn fifo_across_servers() {
        let mut p = CpuPool::new(2, SimDuration(1000));
        assert_eq!(p.submit(SimTime(0), job(0, 0)), Some(0));
        assert_eq!(p.submit(SimTime(1), job(1, 1)), Some(1));
        assert_eq!(p.submit(SimTime(2), job(2, 2)), None);
        assert_eq!(p.submit(SimTime(3), job(3, 3)), None);
        let (done, next) = p.finish(SimTime(10), 1);
        assert_eq!(done.task, 1);
        assert_eq!(
            next.map(|j| j.task),
            Some(2),
            "head of the queue starts first"
        );
        let (_, next) = p.finish(SimTime(11), 0);
        assert_eq!(next.map(|j| j.task), Some(3));
        assert_eq!(p.queue_len(), 0);
        assert_eq!(p.wait.count(), 4);
        assert_eq!(p.wait.sum_ns(), (10 - 2) + (11 - 3));
    }

    #[test]
    fn closed_pool_holds_its_queue() {
        let mut p = CpuPool::new(1, SimDuration(1000));
        p.enqueue(SimTime(0), job(0, 0));
        assert_eq!(p.queue_len(), 1, "queues although the server is free");
        assert_eq!(
            p.start_next(SimTime(5)).map(|(s, j)| (s, j.task)),
            Some((0, 0))
        );
        p.enqueue(SimTime(6), job(1, 6));
        assert_eq!(p.start_next(SimTime(7)), None, "no free server");
        assert_eq!(p.finish_hold(SimTime(9), 0).task, 0);
        assert_eq!(p.queue_len(), 1, "nothing started while closed");
        assert_eq!(p.start_next(SimTime(20)).map(|(_, j)| j.task), Some(1));
        assert_eq!(p.wait.sum_ns(), 5 + 14);
    }
}
