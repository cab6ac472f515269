//! Exact integration of piecewise-constant quantities over simulated time.

use super::time::SimTime;

/// A level that changes only at events (busy servers, queue length, watts…), integrated
/// exactly: the integral is an integer `level x ns` sum, so no sampling grid and no rounding.
///
/// The level is a signed 64-bit integer in the caller's unit (servers, jobs, milliwatts…);
/// the integral is `i128` [level·ns], which cannot overflow for any level below 2^63 over 584
/// years of simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeWeighted {
    level: i64,
    since: SimTime,
    integral: i128,
}

impl TimeWeighted {
    /// Starts at `level` at time `start`.
    pub fn new(start: SimTime, level: i64) -> Self {
        TimeWeighted {
            level,
            since: start,
            integral: 0,
        }
    }

    /// The current level.
    #[inline]
    pub fn level(&self) -> i64 {
        self.level
    }

    /// Integrates the current level up to `now`, then sets it to `level`.
    /// A `now` earlier than the last change integrates nothing (time never runs backwards
    /// in the kernel; this keeps the accumulator total anyway).
    #[inline]
    pub fn set(&mut self, now: SimTime, level: i64) {
        self.advance(now);
        self.level = level;
    }

    /// Adds `delta` to the level at `now`.
    #[inline(always)]
    pub fn add(&mut self, now: SimTime, delta: i64) {
        self.advance(now);
        self.level += delta;
    }

    /// Integrates the current level up to `now` without changing it.
    #[inline(always)]
    pub fn advance(&mut self, now: SimTime) {
        let dt = now.saturating_since(self.since).0;
        // Both factors sign-extended from 64 bits: one widening multiply. A step longer than
        // 2^63 ns (292 years) cannot occur in a validated scenario; it is still exact below.
        self.integral += match i64::try_from(dt) {
            Ok(dt) => i128::from(self.level) * i128::from(dt),
            Err(_) => i128::from(self.level) * i128::from(dt),
        };
        if now > self.since {
            self.since = now;
        }
    }

    /// The integral from the start to the last `set`/`add`/`advance` [level·ns].
    pub fn integral(&self) -> i128 {
        self.integral
    }

    /// The time up to which the integral is taken.
    pub fn since(&self) -> SimTime {
        self.since
    }

    /// Takes the integral accumulated so far and restarts it at zero (the level is kept);
    /// used to close a reporting window.
    pub fn take_integral(&mut self) -> i128 {
        std::mem::take(&mut self.integral)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_is_exact_sum_of_level_times_duration() {
        let mut q = TimeWeighted::new(SimTime(0), 0);
        q.set(SimTime(10), 3); // 0 over [0,10)
        q.add(SimTime(15), -1); // 3 over [10,15) = 15
        q.set(SimTime(15), 7); // zero-length step at 15 contributes nothing
        q.advance(SimTime(20)); // 7 over [15,20) = 35
        assert_eq!(q.integral(), 50);
        assert_eq!(q.level(), 7);
        assert_eq!(q.take_integral(), 50);
        q.advance(SimTime(21));
        assert_eq!(q.integral(), 7);
    }
}
