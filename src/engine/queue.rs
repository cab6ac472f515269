//! The future-event list: a priority queue in total `(time, seq)` order.
//!
//! `seq` is a per-simulation counter assigned at scheduling, so events at equal times leave in
//! the order they were scheduled (FIFO). No two entries share a key, so the order never depends
//! on the heap's internal layout: the same schedule calls always give the same event sequence.

use super::time::{SimDuration, SimTime};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Why an event could not be scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The requested instant lies before the current simulated time.
    #[error("cannot schedule an event at {at} before the current time {now}")]
    InThePast {
        /// Current simulated time.
        now: SimTime,
        /// Requested instant.
        at: SimTime,
    },
    /// `now + delay` does not fit in `u64` nanoseconds.
    #[error("event time overflows: {now} + {delay}")]
    Overflow {
        /// Current simulated time.
        now: SimTime,
        /// Requested delay.
        delay: SimDuration,
    },
    /// The clock stopped advancing: this many events in a row happened at the same instant
    /// (see [`crate::engine::STALL_EVENTS`]).
    #[error("simulated time stopped advancing at {at}: {events} events in a row at that instant")]
    Stalled {
        /// The instant.
        at: SimTime,
        /// Events handled at it.
        events: u64,
    },
}

/// A pending event. `key` packs `(time, seq)` as `time << 64 | seq`, so one `u128`
/// comparison gives the total order.
/// Bit of the sequence number that orders an event after the ordinary ones at its instant.
const LATE: u64 = 1 << 63;
/// Marks a background event (bit 62 of the sequence number; see
/// [`Scheduler::schedule_background_at`]).
const BACKGROUND: u64 = 1 << 62;

struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn time(&self) -> u64 {
        (self.key >> 64) as u64
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest `(time, seq)` first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// The scheduler handle a model receives: the clock and the future-event list.
pub struct Scheduler<E> {
    heap: BinaryHeap<Entry<E>>,
    now: SimTime,
    next_seq: u64,
    /// Background events pending.
    background: usize,
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Scheduler<E> {
    /// An empty event list with the clock at [`SimTime::ZERO`].
    pub fn new() -> Self {
        Scheduler {
            heap: BinaryHeap::new(),
            now: SimTime::ZERO,
            next_seq: 0,
            background: 0,
        }
    }

    /// The current simulated time: the time of the event being handled.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` at the absolute instant `at`.
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] when `at < now()`; nothing is scheduled then.
    #[inline]
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<(), ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InThePast { now: self.now, at });
        }
        self.push(at, event);
        Ok(())
    }

    /// Schedules `event` after `delay` from now (zero is allowed: it runs after the events
    /// already scheduled for now).
    ///
    /// # Errors
    /// [`ScheduleError::Overflow`] when `now + delay` exceeds `u64::MAX` ns.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) -> Result<(), ScheduleError> {
        match self.now.checked_add(delay) {
            Some(at) => {
                self.push(at, event);
                Ok(())
            }
            None => Err(ScheduleError::Overflow {
                now: self.now,
                delay,
            }),
        }
    }

    /// Schedules `event` at `at` *after every ordinary event at that instant*, whenever those
    /// are scheduled (late events among themselves stay FIFO). A GPU replica forms its next
    /// batch with such an event, so that every request that reaches it at the same instant,
    /// from any event, is seen by that batch.
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] when `at` is before now.
    #[inline]
    pub fn schedule_late_at(&mut self, at: SimTime, event: E) -> Result<(), ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InThePast { now: self.now, at });
        }
        self.push_keyed(at, LATE, event);
        Ok(())
    }

    /// Schedules a *background* event at `at`: one that keeps nothing alive. A run without
    /// a horizon ends when only background events are left (a periodic reading of the
    /// weather must not stretch a drained run); with a horizon they run like any other.
    ///
    /// # Errors
    /// [`ScheduleError::InThePast`] when `at` is before now.
    pub fn schedule_background_at(&mut self, at: SimTime, event: E) -> Result<(), ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InThePast { now: self.now, at });
        }
        self.background += 1;
        self.push_keyed(at, BACKGROUND, event);
        Ok(())
    }

    /// Whether every pending event is a background event (true when none is pending).
    #[inline]
    pub fn only_background(&self) -> bool {
        self.heap.len() == self.background
    }

    #[inline]
    fn push(&mut self, at: SimTime, event: E) {
        self.push_keyed(at, 0, event);
    }

    #[inline]
    fn push_keyed(&mut self, at: SimTime, class: u64, event: E) {
        // `seq` counts events; it cannot reach 2^62, so bits 63 and 62 are free for the
        // classes.
        let seq = self.next_seq | class;
        self.next_seq += 1;
        self.heap.push(Entry {
            key: (u128::from(at.0) << 64) | u128::from(seq),
            event,
        });
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime(e.time()))
    }

    /// Removes the earliest event and advances the clock to its time.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<E> {
        let entry = self.heap.pop()?;
        if entry.key as u64 & BACKGROUND != 0 {
            self.background -= 1;
        }
        debug_assert!(
            entry.time() >= self.now.0,
            "heap order guarantees monotone time"
        );
        self.now = SimTime(entry.time());
        Some(entry.event)
    }

    /// Moves the clock forward to `t` without an event (the end of a horizon).
    /// Does nothing when `t` is not later than now.
    pub(crate) fn advance_to(&mut self, t: SimTime) {
        if t > self.now {
            self.now = t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_leave_in_scheduling_order() {
        let mut s = Scheduler::new();
        s.schedule_at(SimTime(10), "a").unwrap();
        s.schedule_at(SimTime(5), "b").unwrap();
        s.schedule_at(SimTime(10), "c").unwrap();
        s.schedule_at(SimTime(5), "d").unwrap();
        s.schedule_in(SimDuration(10), "e").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| s.pop().map(|e| (s.now().0, e))).collect();
        assert_eq!(
            order,
            vec![(5, "b"), (5, "d"), (10, "a"), (10, "c"), (10, "e")]
        );
    }

    #[test]
    fn late_events_leave_after_every_ordinary_event_at_their_instant() {
        let mut s = Scheduler::new();
        s.schedule_late_at(SimTime(10), "late1").unwrap();
        s.schedule_at(SimTime(10), "a").unwrap();
        s.schedule_late_at(SimTime(10), "late2").unwrap();
        s.schedule_at(SimTime(11), "b").unwrap();
        assert_eq!(s.pop(), Some("a"));
        // An ordinary event scheduled for now, while handling one, still precedes late ones.
        s.schedule_in(SimDuration(0), "c").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| s.pop()).collect();
        assert_eq!(order, vec!["c", "late1", "late2", "b"]);
        assert!(s.schedule_late_at(SimTime(5), "past").is_err());
    }

    #[test]
    fn scheduling_into_the_past_is_an_error() {
        let mut s = Scheduler::new();
        s.schedule_at(SimTime(100), 1).unwrap();
        assert_eq!(s.pop(), Some(1));
        assert_eq!(
            s.schedule_at(SimTime(99), 2),
            Err(ScheduleError::InThePast {
                now: SimTime(100),
                at: SimTime(99)
            })
        );
        assert!(s.is_empty(), "a rejected event is not scheduled");
        // now itself is allowed
        s.schedule_at(SimTime(100), 3).unwrap();
        assert_eq!(s.pop(), Some(3));
    }

    #[test]
    fn overflowing_delay_is_an_error() {
        let mut s: Scheduler<()> = Scheduler::new();
        s.advance_to(SimTime(u64::MAX - 1));
        assert!(matches!(
            s.schedule_in(SimDuration(2), ()),
            Err(ScheduleError::Overflow { .. })
        ));
    }
}
