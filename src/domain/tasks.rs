//! Tasks and workflow runs in flight: two slabs with O(in-flight) memory.
//!
//! A *task* is one arrival's unit of work; a *frame* is one run of a workflow inside it (the
//! task's own workflow, or a workflow called from a step: a subagent). Each frame owns one
//! [`StepState`] per step of its workflow. Slots are reused last-in first-out, so the memory
//! touched stays as small as the work in flight.

use crate::engine::SimTime;

/// No frame (a task's root frame has no parent).
pub const NO_FRAME: u32 = u32::MAX;

/// Why a task failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailReason {
    /// It ended after its workflow's deadline.
    Deadline,
    /// A step failed on its last attempt with no handler (or its handler failed).
    RetriesExhausted,
    /// It would have gone over its workflow's `max_steps` or `max_tokens`.
    Budget,
}

impl FailReason {
    /// Every reason, in output order.
    pub const ALL: [FailReason; 3] = [
        FailReason::Deadline,
        FailReason::RetriesExhausted,
        FailReason::Budget,
    ];

    /// Position in [`FailReason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One task in flight.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    /// Serial number of the task in the replication (0, 1, 2… in arrival order).
    pub serial: u64,
    /// Arrival time.
    pub arrived: SimTime,
    /// Its workflow.
    pub workflow: u32,
    /// Prompt and output tokens of the trace row that started it (0 when not a trace).
    pub tokens: [u32; 2],
    /// What it has used so far.
    pub usage: Usage,
    /// Its outcome has been recorded (it succeeded or failed); work still running for it
    /// (copies beyond a `first` join, calls under way when it failed) is finished and
    /// counted, but starts nothing new when `dead`.
    pub ended: bool,
    /// It failed, or went over a budget after it ended: nothing new starts for it.
    pub dead: bool,
    /// Its frames not yet freed.
    pub frames: u32,
    /// Step attempts started (for `max_steps`).
    pub steps_started: u64,
    /// LLM tokens (prompt + output) of the calls started (for `max_tokens`).
    pub llm_tokens: u64,
}

/// What a task used: the basis of its cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    /// GPU time [GPU·s]: its calls' shares of their replicas' busy time (an iteration's time
    /// split among the batch by tokens processed), times the replica's GPUs.
    pub gpu_s: f64,
    /// CPU service time [s].
    pub cpu_s: f64,
    /// Human review time [s].
    pub review_s: f64,
    /// LLM calls finished.
    pub llm_calls: u64,
    /// Tool calls: CPU jobs served (retrievals, tools, checks) and delay steps run
    /// (external APIs).
    pub tool_calls: u64,
    /// Human reviews started.
    pub reviews: u64,
    /// Prompt tokens of its finished calls (cached ones included).
    pub input_tokens: u64,
    /// Prompt tokens of its finished calls served from the prefix cache (not prefilled).
    pub cached_tokens: u64,
    /// Output tokens of its finished calls.
    pub output_tokens: u64,
    /// Step attempts started (every copy, retry and handler run).
    pub attempts: u64,
}

impl Usage {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &Usage) {
        self.gpu_s += other.gpu_s;
        self.cpu_s += other.cpu_s;
        self.review_s += other.review_s;
        self.llm_calls += other.llm_calls;
        self.tool_calls += other.tool_calls;
        self.reviews += other.reviews;
        self.input_tokens += other.input_tokens;
        self.cached_tokens += other.cached_tokens;
        self.output_tokens += other.output_tokens;
        self.attempts += other.attempts;
    }
}

/// One run of a workflow.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    /// The task's slot.
    pub task: u32,
    /// The workflow.
    pub workflow: u32,
    /// The calling frame ([`NO_FRAME`] for a task's root).
    pub parent: u32,
    /// The calling step (step id) and the tag of the calling copy.
    pub parent_step: u32,
    /// Tag of the calling copy.
    pub parent_tag: u32,
    /// DAG steps not yet succeeded.
    pub steps_left: u32,
    /// Tokens of context gathered so far (prompts, outputs, tool results).
    pub context: u64,
    /// Context when the run started (what came from the caller).
    pub start_context: u64,
    /// Work in flight that will report back: copies, backoff waits, called runs, plus
    /// holds while an event is handled. The frame is freed only at 0.
    pub outstanding: u32,
    /// The run's outcome is decided.
    pub done: bool,
}

/// Run-time state of one step in one frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepState {
    /// `after` steps not yet finished.
    pub waiting_on: u32,
    /// Copies of the current run not yet finished.
    pub pending: u32,
    /// Copies of the current run that succeeded.
    pub ok: u32,
    /// Copies of the current run that failed for good.
    pub bad: u32,
    /// Copies in the current run.
    pub n: u32,
    /// Runs (of `repeat`) still to come after the current one.
    pub runs_left: u32,
    /// Generation: bumped at every run and reset, so late reports of older copies are
    /// recognised (stale) and ignored.
    pub generation: u32,
    /// Attempt of a step retried `from` an earlier step (1-based; 0 before it first runs).
    pub attempt: u32,
    /// 1 + the step whose retry re-runs this one (0: not in a re-run).
    pub rerun_of: u32,
    /// 1 + the step this handler stands in for (0: none).
    pub handles: u32,
    /// When the step (first) started.
    pub started: SimTime,
}

/// Slab of tasks.
#[derive(Debug, Default)]
pub struct Tasks {
    tasks: Vec<Task>,
    free: Vec<u32>,
    live: usize,
    next_serial: u64,
}

impl Tasks {
    /// Creates a task of `workflow` carrying the trace row's `tokens`; returns its slot.
    #[inline]
    pub fn insert(&mut self, workflow: u32, arrived: SimTime, tokens: [u32; 2]) -> u32 {
        let task = Task {
            serial: self.next_serial,
            arrived,
            workflow,
            tokens,
            usage: Usage::default(),
            ended: false,
            dead: false,
            frames: 0,
            steps_started: 0,
            llm_tokens: 0,
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

    /// The task in `slot`, to change.
    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> &mut Task {
        &mut self.tasks[slot as usize]
    }

    /// Removes a task (read what is needed first: the slot is reused).
    #[inline]
    pub fn remove(&mut self, slot: u32) {
        self.free.push(slot);
        self.live -= 1;
    }

    /// Tasks held (in flight, or ended with work still running).
    pub fn live(&self) -> usize {
        self.live
    }

    /// Every task held (order: slot).
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

/// Slab of frames. Slot `i` owns step states `[i·stride, (i+1)·stride)`, the stride being
/// the largest step count of any workflow.
#[derive(Debug, Default)]
pub struct Frames {
    frames: Vec<Frame>,
    states: Vec<StepState>,
    stride: usize,
    free: Vec<u32>,
}

impl Frames {
    /// An empty slab for workflows of at most `max_steps` steps.
    pub fn new(max_steps: usize) -> Self {
        Frames {
            stride: max_steps.max(1),
            ..Self::default()
        }
    }

    /// Adds `frame` with its workflow's initial step states `init` (at most `max_steps`;
    /// states past them are left as they were: the workflow has no such step).
    #[inline]
    pub fn insert(&mut self, frame: Frame, init: &[StepState]) -> u32 {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.frames[slot as usize] = frame;
                slot
            }
            None => {
                self.frames.push(frame);
                self.states
                    .resize(self.frames.len() * self.stride, StepState::default());
                (self.frames.len() - 1) as u32
            }
        };
        let base = slot as usize * self.stride;
        self.states[base..base + init.len()].copy_from_slice(init);
        slot
    }

    /// The frame in `slot`.
    #[inline]
    pub fn get(&self, slot: u32) -> &Frame {
        &self.frames[slot as usize]
    }

    /// The frame in `slot`, to change.
    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> &mut Frame {
        &mut self.frames[slot as usize]
    }

    /// State of step `step` (index in the workflow) of the frame in `slot`.
    #[inline]
    pub fn state(&mut self, slot: u32, step: u32) -> &mut StepState {
        &mut self.states[slot as usize * self.stride + step as usize]
    }

    /// Frees `slot`.
    #[inline]
    pub fn remove(&mut self, slot: u32) {
        self.free.push(slot);
    }

    /// Frames held.
    pub fn live(&self) -> usize {
        self.frames.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(task: u32) -> Frame {
        Frame {
            task,
            workflow: 0,
            parent: NO_FRAME,
            parent_step: 0,
            parent_tag: 0,
            steps_left: 2,
            context: 0,
            start_context: 0,
            outstanding: 0,
            done: false,
        }
    }

    #[test]
    fn slots_and_states_are_reused() {
        let mut t = Tasks::default();
        let a = t.insert(0, SimTime(1), [0, 0]);
        let b = t.insert(1, SimTime(2), [0, 0]);
        assert_eq!(t.live(), 2);
        assert_eq!(t.get(a).serial, 0);
        t.remove(a);
        let c = t.insert(0, SimTime(3), [0, 0]);
        assert_eq!(c, a, "slot reused");
        assert_eq!(t.get(c).serial, 2);
        let live: Vec<u64> = t.iter_live().map(|x| x.serial).collect();
        assert_eq!(live, vec![2, 1]);
        assert_eq!(t.get(b).workflow, 1);

        let mut f = Frames::new(2);
        let init = |w: &[u32]| {
            w.iter()
                .map(|&w| StepState {
                    waiting_on: w,
                    ..StepState::default()
                })
                .collect::<Vec<_>>()
        };
        let x = f.insert(frame(a), &init(&[0, 1]));
        assert_eq!(f.state(x, 1).waiting_on, 1);
        f.state(x, 1).generation = 7;
        f.remove(x);
        let y = f.insert(frame(b), &init(&[3, 0]));
        assert_eq!(y, x);
        assert_eq!(f.state(y, 0).waiting_on, 3);
        assert_eq!(f.state(y, 1).generation, 0, "states re-initialised");
        assert_eq!(f.live(), 1);
    }
}
