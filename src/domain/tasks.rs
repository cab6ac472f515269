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
    /// Offset of its counters in [`Tasks::counters`].
    counters: u32,
}

/// Slab of tasks. A task's counters are `2 × steps` `u32`s: for each step, the copies still
/// running (`copies_left`) and the `after` steps still pending (`waiting_on`).
#[derive(Debug, Default)]
pub struct Tasks {
    tasks: Vec<Task>,
    free: Vec<u32>,
    counters: Vec<u32>,
    /// Steps of each workflow (a task's counter block is twice that).
    steps_per_workflow: Vec<u32>,
    /// Free counter blocks, per workflow.
    free_blocks: Vec<Vec<u32>>,
    live: usize,
    next_serial: u64,
}

impl Tasks {
    /// An empty slab for workflows with these step counts.
    pub fn new(steps_per_workflow: Vec<u32>) -> Self {
        Tasks {
            free_blocks: vec![Vec::new(); steps_per_workflow.len()],
            steps_per_workflow,
            ..Self::default()
        }
    }

    /// Creates a task of `workflow` (an index below the count given to [`Tasks::new`]);
    /// `init` gives each step's `(copies_left, waiting_on)`, one item per step.
    /// Returns its slot.
    pub fn insert(
        &mut self,
        workflow: u32,
        arrived: SimTime,
        init: impl Iterator<Item = (u32, u32)>,
    ) -> u32 {
        let steps = self.steps_per_workflow[workflow as usize];
        let block = 2 * steps;
        let offset = match self.free_blocks[workflow as usize].pop() {
            Some(o) => o,
            None => {
                let o = self.counters.len() as u32;
                self.counters
                    .resize(self.counters.len() + block as usize, 0);
                o
            }
        };
        for (i, (copies, waiting)) in init.take(steps as usize).enumerate() {
            self.counters[offset as usize + 2 * i] = copies;
            self.counters[offset as usize + 2 * i + 1] = waiting;
        }
        let task = Task {
            serial: self.next_serial,
            arrived,
            workflow,
            steps_left: steps,
            counters: offset,
        };
        self.next_serial += 1;
        self.live += 1;
        match self.free.pop() {
            Some(slot) => {
                self.tasks[slot as usize] = task;
                slot
            }
            None => {
                self.tasks.push(task);
                (self.tasks.len() - 1) as u32
            }
        }
    }

    /// The task in `slot`.
    #[inline]
    pub fn get(&self, slot: u32) -> &Task {
        &self.tasks[slot as usize]
    }

    /// Decrements the copies left of `step`; returns the new value.
    #[inline]
    pub fn copy_done(&mut self, slot: u32, step: u32) -> u32 {
        let i = self.tasks[slot as usize].counters as usize + 2 * step as usize;
        self.counters[i] -= 1;
        self.counters[i]
    }

    /// Decrements the pending `after` steps of `step`; returns the new value.
    #[inline]
    pub fn dependency_done(&mut self, slot: u32, step: u32) -> u32 {
        let i = self.tasks[slot as usize].counters as usize + 2 * step as usize + 1;
        self.counters[i] -= 1;
        self.counters[i]
    }

    /// Marks one step of the task finished; returns the steps left.
    #[inline]
    pub fn step_done(&mut self, slot: u32) -> u32 {
        let t = &mut self.tasks[slot as usize];
        t.steps_left -= 1;
        t.steps_left
    }

    /// Removes a finished task and returns its record.
    pub fn remove(&mut self, slot: u32) -> Task {
        let t = self.tasks[slot as usize];
        self.free_blocks[t.workflow as usize].push(t.counters);
        self.free.push(slot);
        self.live -= 1;
        t
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
    fn slots_and_counter_blocks_are_reused() {
        let mut t = Tasks::new(vec![2, 1]);
        let a = t.insert(0, SimTime(1), [(2, 0), (1, 1)].into_iter());
        let b = t.insert(1, SimTime(2), [(1, 0)].into_iter());
        assert_eq!(t.live(), 2);
        assert_eq!(t.copy_done(a, 0), 1);
        assert_eq!(t.copy_done(a, 0), 0);
        assert_eq!(t.dependency_done(a, 1), 0);
        assert_eq!(t.step_done(a), 1);
        let removed = t.remove(a);
        assert_eq!((removed.serial, removed.workflow), (0, 0));
        let c = t.insert(0, SimTime(3), [(3, 0), (1, 1)].into_iter());
        assert_eq!(c, a, "slot reused");
        assert_eq!(t.copy_done(c, 0), 2, "counters re-initialised");
        assert_eq!(t.get(c).serial, 2);
        let live: Vec<u64> = t.iter_live().map(|x| x.serial).collect();
        assert_eq!(live, vec![2, 1]);
        assert_eq!(t.get(b).steps_left, 1);
    }
}
