//! Tasks in flight: a slab of task records plus per-step counters, O(in-flight) memory.

use crate::engine::SimTime;

/// One task (a workflow instance) in flight.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    /// Serial number of the task in the replication (0, 1, 2… in arrival order).
    pub serial: u64,
    /// Arrival time.
    pub arrived: SimTime,
    /// Its workflow.
    pub workflow: u32,
    /// Steps not yet finished.
    pub steps_left: u32,
    /// Prompt and output tokens of the trace row that started it (0 when not a trace).
    pub tokens: [u32; 2],
    /// What it has used so far.
    pub usage: Usage,
}

/// What a task used: the basis of its cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// GPU time [GPU·s]: its calls' shares of their replicas' busy time (an iteration's time
    /// split among the batch by tokens processed), times the replica's GPUs.
    pub gpu_s: f64,
    /// CPU service time [s].
    pub cpu_s: f64,
    /// LLM calls finished.
    pub llm_calls: u64,
    /// CPU jobs (retrievals, tool calls, checks) served.
    pub cpu_jobs: u64,
    /// Prompt tokens of its finished calls.
    pub input_tokens: u64,
    /// Output tokens of its finished calls.
    pub output_tokens: u64,
}

impl Usage {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Usage) {
        self.gpu_s += other.gpu_s;
        self.cpu_s += other.cpu_s;
        self.llm_calls += other.llm_calls;
        self.cpu_jobs += other.cpu_jobs;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
    }
}

/// Slab of tasks. Slot `i` owns counters `[i·stride, (i+1)·stride)`, where the stride is
/// twice the largest step count: for each step, the copies still running (`copies_left`) and
/// the `after` steps still pending (`waiting_on`). Slots are reused last-in first-out, so
/// the memory touched stays as small as the number of tasks in flight.
#[derive(Debug, Default)]
pub struct Tasks {
    tasks: Vec<Task>,
    counters: Vec<u32>,
    stride: usize,
    free: Vec<u32>,
    live: usize,
    next_serial: u64,
}

impl Tasks {
    /// An empty slab for workflows of at most `max_steps` steps.
    pub fn new(max_steps: usize) -> Self {
        Tasks {
            stride: 2 * max_steps.max(1),
            ..Self::default()
        }
    }

    /// Creates a task of `workflow` carrying `tokens`; `init` gives each step's `(copies_left, waiting_on)`,
    /// at most `max_steps` items. Returns its slot.
    #[inline]
    pub fn insert(
        &mut self,
        workflow: u32,
        arrived: SimTime,
        tokens: [u32; 2],
        init: impl ExactSizeIterator<Item = (u32, u32)>,
    ) -> u32 {
        let task = Task {
            serial: self.next_serial,
            arrived,
            workflow,
            steps_left: init.len() as u32,
            tokens,
            usage: Usage::default(),
        };
        self.next_serial += 1;
        self.live += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.tasks[slot as usize] = task;
                slot
            }
            None => {
                self.tasks.push(task);
                self.counters.resize(self.tasks.len() * self.stride, 0);
                (self.tasks.len() - 1) as u32
            }
        };
        let base = slot as usize * self.stride;
        let block = &mut self.counters[base..base + self.stride];
        for (pair, (copies, waiting)) in block.chunks_exact_mut(2).zip(init) {
            pair[0] = copies;
            pair[1] = waiting;
        }
        slot
    }

    /// The task in `slot`.
    #[inline]
    pub fn get(&self, slot: u32) -> &Task {
        &self.tasks[slot as usize]
    }

    /// What the task in `slot` has used, to add to.
    #[inline]
    pub fn usage_mut(&mut self, slot: u32) -> &mut Usage {
        &mut self.tasks[slot as usize].usage
    }

    /// Decrements the copies left of `step`; returns the new value.
    #[inline]
    pub fn copy_done(&mut self, slot: u32, step: u32) -> u32 {
        let c = &mut self.counters[slot as usize * self.stride + 2 * step as usize];
        *c -= 1;
        *c
    }

    /// Decrements the pending `after` steps of `step`; returns the new value.
    #[inline]
    pub fn dependency_done(&mut self, slot: u32, step: u32) -> u32 {
        let c = &mut self.counters[slot as usize * self.stride + 2 * step as usize + 1];
        *c -= 1;
        *c
    }

    /// Marks one step of the task finished; returns the steps left.
    #[inline]
    pub fn step_done(&mut self, slot: u32) -> u32 {
        let t = &mut self.tasks[slot as usize];
        t.steps_left -= 1;
        t.steps_left
    }

    /// Removes a finished task and returns its record.
    #[inline]
    pub fn remove(&mut self, slot: u32) -> Task {
        self.free.push(slot);
        self.live -= 1;
        self.tasks[slot as usize]
    }

    /// Tasks in flight.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Every task in flight (order: slot).
    pub fn iter_live(&self) -> impl Iterator<Item = &Task> {
        let mut is_free = vec![false; self.tasks.len()];
        for &f in &self.free {
            is_free[f as usize] = true;
        }
        self.tasks
            .iter()
            .enumerate()
            .filter(move |(i, _)| !is_free[*i])
            .map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_counters_are_reused() {
        let mut t = Tasks::new(2);
        let a = t.insert(0, SimTime(1), [0, 0], [(2, 0), (1, 1)].into_iter());
        let b = t.insert(1, SimTime(2), [0, 0], [(1, 0)].into_iter());
        assert_eq!(t.live(), 2);
        assert_eq!(t.copy_done(a, 0), 1);
        assert_eq!(t.copy_done(a, 0), 0);
        assert_eq!(t.dependency_done(a, 1), 0);
        assert_eq!(t.step_done(a), 1);
        let removed = t.remove(a);
        assert_eq!((removed.serial, removed.workflow), (0, 0));
        let c = t.insert(0, SimTime(3), [0, 0], [(3, 0), (1, 1)].into_iter());
        assert_eq!(c, a, "slot reused");
        assert_eq!(t.copy_done(c, 0), 2, "counters re-initialised");
        assert_eq!(t.get(c).serial, 2);
        let live: Vec<u64> = t.iter_live().map(|x| x.serial).collect();
        assert_eq!(live, vec![2, 1]);
        assert_eq!(t.get(b).steps_left, 1);
    }
}
