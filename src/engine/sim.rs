//! The run loop: pop the earliest event, hand it to the model, repeat.

use super::queue::{ScheduleError, Scheduler};
use super::time::SimTime;

/// A simulation model: the domain's state machine driven by the kernel.
///
/// The kernel calls [`Model::handle`] once per event, in `(time, seq)` order, with the
/// scheduler (whose `now()` is the event's time). The model owns its random streams
/// (see [`crate::engine::RngStreams`]) and its statistics.
pub trait Model {
    /// The model's event payload. Keep it small and `Copy`-like: it lives in the heap.
    type Event;
    /// The model's error; scheduling errors must convert into it.
    type Error: From<ScheduleError>;

    /// Handles one event at `sched.now()`.
    ///
    /// # Errors
    /// Whatever the model reports; the run stops at the first error.
    fn handle(
        &mut self,
        sched: &mut Scheduler<Self::Event>,
        event: Self::Event,
    ) -> Result<(), Self::Error>;
}

/// Why [`Simulation::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// No event was left.
    Exhausted,
    /// The next event lay at or after the horizon; the clock stands at the horizon.
    Horizon,
}

/// How often (in events) the run loop reports progress.
pub const PROGRESS_EVERY_EVENTS: u64 = 1 << 16;

/// Events in a row at one instant after which the run stops with
/// [`ScheduleError::Stalled`]: a model whose delays round to zero nanoseconds would otherwise
/// spin forever at one instant (and grow without bound). Checked where progress is reported,
/// so it costs nothing per event.
pub const STALL_EVENTS: u64 = 1 << 24;

/// A model together with its clock and future-event list.
pub struct Simulation<M: Model> {
    /// The domain model (public so callers can seed initial events and read results).
    pub model: M,
    sched: Scheduler<M::Event>,
    events: u64,
}

impl<M: Model> Simulation<M> {
    /// Wraps `model` with an empty event list at time zero.
    pub fn new(model: M) -> Self {
        Simulation {
            model,
            sched: Scheduler::new(),
            events: 0,
        }
    }

    /// The scheduler, for seeding initial events before [`Simulation::run`].
    pub fn scheduler_mut(&mut self) -> &mut Scheduler<M::Event> {
        &mut self.sched
    }

    /// The model and the scheduler together (to seed initial events from the model).
    pub fn parts_mut(&mut self) -> (&mut M, &mut Scheduler<M::Event>) {
        (&mut self.model, &mut self.sched)
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.sched.now()
    }

    /// Events handled so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Runs until no event is left or the next event is at or after `horizon` (events in
    /// `[0, horizon)` are handled). With a horizon the clock ends at the horizon either way;
    /// without one it ends at the last event.
    /// `progress(now, events)` is called every [`PROGRESS_EVERY_EVENTS`] events.
    ///
    /// # Errors
    /// The first error the model returns; the simulation stops there.
    pub fn run(
        &mut self,
        horizon: Option<SimTime>,
        mut progress: impl FnMut(SimTime, u64),
    ) -> Result<StopReason, M::Error> {
        let limit = horizon.unwrap_or(SimTime::MAX);
        // Time and event count at the last progress check: if the clock has not moved over
        // STALL_EVENTS events, it never will.
        let (mut check_time, mut check_events) = (self.sched.now(), self.events);
        loop {
            if horizon.is_none() && self.sched.only_background() {
                // Nothing but background events (the weather): the work is over.
                return Ok(StopReason::Exhausted);
            }
            match self.sched.peek_time() {
                None => {
                    // A horizon is a length of observation: the clock reaches it even when
                    // nothing happens after the last event.
                    if horizon.is_some() {
                        self.sched.advance_to(limit);
                    }
                    return Ok(StopReason::Exhausted);
                }
                Some(t) if horizon.is_some() && t >= limit => {
                    self.sched.advance_to(limit);
                    return Ok(StopReason::Horizon);
                }
                Some(_) => {}
            }
            let Some(event) = self.sched.pop() else {
                return Ok(StopReason::Exhausted);
            };
            self.model.handle(&mut self.sched, event)?;
            self.events += 1;
            if self.events.is_multiple_of(PROGRESS_EVERY_EVENTS) {
                let now = self.sched.now();
                progress(now, self.events);
                if now != check_time {
                    (check_time, check_events) = (now, self.events);
                } else if self.events - check_events >= STALL_EVENTS {
                    return Err(ScheduleError::Stalled {
                        at: now,
                        events: self.events - check_events,
                    }
                    .into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    /// Each event re-schedules itself `delay` later until `left` reaches zero, and logs.
    struct Ticker {
        log: Vec<(u64, u32)>,
    }
    impl Model for Ticker {
        type Event = (u32, u32); // (id, left)
        type Error = ScheduleError;
        fn handle(
            &mut self,
            s: &mut Scheduler<(u32, u32)>,
            e: (u32, u32),
        ) -> Result<(), ScheduleError> {
            self.log.push((s.now().0, e.0));
            if e.1 > 0 {
                s.schedule_in(SimDuration(10), (e.0, e.1 - 1))?;
            }
            Ok(())
        }
    }

    /// Re-schedules itself with zero delay forever.
    struct Spinner;
    impl Model for Spinner {
        type Event = ();
        type Error = ScheduleError;
        fn handle(&mut self, s: &mut Scheduler<()>, _: ()) -> Result<(), ScheduleError> {
            s.schedule_in(SimDuration::ZERO, ())
        }
    }

    #[test]
    fn a_clock_that_stops_advancing_is_an_error_not_a_hang() {
        let mut sim = Simulation::new(Spinner);
        sim.scheduler_mut().schedule_at(SimTime(5), ()).unwrap();
        match sim.run(Some(SimTime(10)), |_, _| {}) {
            Err(ScheduleError::Stalled { at, events }) => {
                assert_eq!(at, SimTime(5));
                assert!(events >= STALL_EVENTS);
            }
            other => panic!("expected a stall, got {other:?}"),
        }
    }

    #[test]
    fn background_events_keep_nothing_alive_without_a_horizon() {
        // A background ticker every 10 ns forever, and one ordinary event at 25.
        struct Bg(Vec<u64>);
        impl Model for Bg {
            type Event = bool; // true: background
            type Error = ScheduleError;
            fn handle(&mut self, s: &mut Scheduler<bool>, e: bool) -> Result<(), ScheduleError> {
                self.0.push(s.now().0);
                if e {
                    s.schedule_background_at(SimTime(s.now().0 + 10), true)?;
                }
                Ok(())
            }
        }
        let mut sim = Simulation::new(Bg(vec![]));
        sim.scheduler_mut()
            .schedule_background_at(SimTime(0), true)
            .unwrap();
        sim.scheduler_mut().schedule_at(SimTime(25), false).unwrap();
        assert_eq!(sim.run(None, |_, _| {}).unwrap(), StopReason::Exhausted);
        assert_eq!(sim.model.0, vec![0, 10, 20, 25]);
        assert_eq!(sim.now(), SimTime(25));
        // With a horizon they run up to it.
        let mut sim = Simulation::new(Bg(vec![]));
        sim.scheduler_mut()
            .schedule_background_at(SimTime(0), true)
            .unwrap();
        assert_eq!(
            sim.run(Some(SimTime(35)), |_, _| {}).unwrap(),
            StopReason::Horizon
        );
        assert_eq!(sim.model.0, vec![0, 10, 20, 30]);
    }

    #[test]
    fn run_handles_events_in_order_and_stops_at_horizon() {
        let mut sim = Simulation::new(Ticker { log: vec![] });
        sim.scheduler_mut().schedule_at(SimTime(0), (1, 5)).unwrap();
        sim.scheduler_mut().schedule_at(SimTime(0), (2, 5)).unwrap();
        let stop = sim.run(Some(SimTime(20)), |_, _| {}).unwrap();
        assert_eq!(stop, StopReason::Horizon);
        assert_eq!(sim.now(), SimTime(20));
        assert_eq!(sim.model.log, vec![(0, 1), (0, 2), (10, 1), (10, 2)]);
        assert_eq!(sim.events(), 4);
        // resuming without a horizon drains the rest
        assert_eq!(sim.run(None, |_, _| {}).unwrap(), StopReason::Exhausted);
        assert_eq!(sim.model.log.len(), 12);
        assert_eq!(sim.now(), SimTime(50));
    }
}
