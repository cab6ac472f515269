//! A CPU pool at run time: c servers, one FIFO queue, and its statistics.
//!
//! The pool decides only *which* job runs *where*; the model draws service times and schedules
//! completions. Jobs in service sit in a slot per server, so a completion event names
//! `(pool, slot)` and stays small.

use crate::engine::{SimDuration, SimTime};
use crate::metrics::{LatencyHist, WindowedCount, WindowedLevel};
use std::collections::VecDeque;

/// A unit of work on a pool: one copy of one step of one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Task slot (see [`super::tasks::Tasks`]).
    pub task: u32,
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
                    step: u32::MAX,
                    enqueued: SimTime::ZERO,
                };
                servers as usize
            ],
            queue: VecDeque::new(),
            busy: WindowedLevel::new(interval),
            queued: WindowedLevel::new(interval),
            arrivals: WindowedCount::new(interval),
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
}
