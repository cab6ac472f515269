//! On-demand rental of a cloud pool's replicas: a replica is rented when a call reaches it
//! cold (it then serves only after the provisioning delay) and released once it has been idle
//! for the release time; rented time is billed per GPU-hour (`domain::economics`).
//!
//! Rented replica-time is integrated exactly ([`WindowedArea`], rectangles added when a
//! rental ends, in any order), so the bill does not depend on the reporting interval.

use crate::engine::{SimDuration, SimTime};
use crate::metrics::WindowedArea;

/// Rental terms of an on-demand pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RentalTerms {
    /// From the request of a cold replica to its first batch.
    pub provisioning: SimDuration,
    /// Idle time after which a rented replica is released.
    pub release_after: SimDuration,
}

#[derive(Debug, Clone, Copy, Default)]
struct Rep {
    /// Rented since (the request), while rented.
    since: Option<SimTime>,
    /// Idle since (batch empty), while rented and idle.
    idle_since: Option<SimTime>,
}

/// The rental state of one pool.
#[derive(Debug, Clone)]
pub struct Rental {
    terms: RentalTerms,
    reps: Vec<Rep>,
    /// ∫ replicas rented dt [replica·ns], per window.
    pub rented: WindowedArea,
}

impl Rental {
    /// No replica rented yet, `replicas` replicas, windows of `interval`.
    pub fn new(terms: RentalTerms, replicas: usize, interval: SimDuration) -> Rental {
        Rental {
            terms,
            reps: vec![Rep::default(); replicas],
            rented: WindowedArea::new(interval),
        }
    }

    /// When a rental that went idle at `idle` ends.
    fn release_at(&self, idle: SimTime) -> SimTime {
        SimTime(idle.0.saturating_add(self.terms.release_after.0))
    }

    /// A call reaches replica `r` at `now`. Returns the delay before the replica may start
    /// its first batch: the provisioning time when it was not rented (or its rental had
    /// lapsed), else zero.
    pub fn on_call(&mut self, now: SimTime, r: usize) -> SimDuration {
        let rep = self.reps[r];
        let warm = rep.since.is_some() && rep.idle_since.is_none_or(|i| now <= self.release_at(i));
        if warm {
            self.reps[r].idle_since = None;
            return SimDuration::ZERO;
        }
        if let (Some(since), Some(idle)) = (rep.since, rep.idle_since) {
            self.rented.add(since, self.release_at(idle), 1);
        }
        self.reps[r] = Rep {
            since: Some(now),
            idle_since: None,
        };
        self.terms.provisioning
    }

    /// Replica `r`'s batch emptied at `now`. A replica already idle stays idle since it
    /// first was (a stale event reaching an idle replica does not extend its rental).
    pub fn on_idle(&mut self, now: SimTime, r: usize) {
        if self.reps[r].since.is_some() && self.reps[r].idle_since.is_none() {
            self.reps[r].idle_since = Some(now);
        }
    }

    /// Ends every rental at `end` (or at its release, if earlier) and returns the rented
    /// replica-time [replica·ns] in total and per window.
    pub fn finish(mut self, end: SimTime) -> (i128, Vec<i128>) {
        for rep in std::mem::take(&mut self.reps) {
            if let Some(since) = rep.since {
                let until = rep.idle_since.map_or(end, |i| {
                    SimTime(i.0.saturating_add(self.terms.release_after.0)).min(end)
                });
                self.rented.add(since, until, 1);
            }
        }
        self.rented.finish(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn rentals_start_cold_stay_warm_and_lapse() {
        let terms = RentalTerms {
            provisioning: SimDuration(60 * S),
            release_after: SimDuration(600 * S),
        };
        let mut r = Rental::new(terms, 2, SimDuration(3600 * S));
        // Cold at 0: provisioning; idle at 100 s; warm again at 500 s (within 600 s).
        assert_eq!(r.on_call(SimTime(0), 0), SimDuration(60 * S));
        r.on_idle(SimTime(100 * S), 0);
        assert_eq!(r.on_call(SimTime(500 * S), 0), SimDuration::ZERO);
        r.on_idle(SimTime(700 * S), 0);
        // Idle since 700 s: released at 1,300 s; a call at 2,000 s rents it again.
        assert_eq!(r.on_call(SimTime(2000 * S), 0), SimDuration(60 * S));
        r.on_idle(SimTime(2100 * S), 0);
        // Replica 1 never used. End at 2,400 s: the second rental runs 2,000..2,400.
        let (total, windows) = r.finish(SimTime(2400 * S));
        assert_eq!(total, i128::from(1300 + 400) * i128::from(S));
        assert_eq!(windows.len(), 1);
        assert_eq!(windows[0], total);
    }

    #[test]
    fn a_second_idle_report_does_not_extend_the_rental() {
        let terms = RentalTerms {
            provisioning: SimDuration(60 * S),
            release_after: SimDuration(600 * S),
        };
        let mut r = Rental::new(terms, 1, SimDuration(3600 * S));
        r.on_call(SimTime(0), 0);
        r.on_idle(SimTime(100 * S), 0);
        // A stale event at 500 s finds the replica idle: it was idle since 100 s.
        r.on_idle(SimTime(500 * S), 0);
        // Released at 700 s: a call at 800 s is cold.
        assert_eq!(r.on_call(SimTime(800 * S), 0), SimDuration(60 * S));
        r.on_idle(SimTime(900 * S), 0);
        let (total, _) = r.finish(SimTime(1000 * S));
        assert_eq!(total, i128::from(700 + 200) * i128::from(S));
    }
}
