//! The rate of an arrival process over calendar time, and the time change that samples it.
//!
//! The multiplier is piecewise constant: the shape's bins (1 h built in, 600 s for ServeGen),
//! aligned on Monday 00:00 local time, each multiplied by the growth curve at the bin's
//! midpoint. Growth moves over days, so the midpoint error is tiny: none for a linear curve
//! (the midpoint rule is exact for it, except in the one bin where it reaches 0); relative
//! error of a bin's integral ≈ h²·m''/(24·m), about 4·10⁻⁸ for 1 h bins with an exponential
//! doubling every 30 days or a logistic curve rising in 180 days, and below 4·10⁻¹⁰ for
//! doubling times of a year. A step whose date is not on a bin boundary takes effect from
//! the bin whose midpoint it precedes (dates on the hour are exact).
//!
//! Sampling: a renewal process at the base rate λ draws a gap w (its "unit-rate work"); the
//! next arrival is the t' with λ·∫ₙₒw^t' m = λ·w, i.e. ∫ₙₒw^t' m(s) ds = w. This time change of a
//! Poisson process is exactly the non-homogeneous Poisson process of rate λ·m(t) (Çinlar's
//! time-change theorem); for another renewal process it is a *modulated renewal process*: its
//! gaps keep their shape in "operational time" and stretch where the rate is low.

use super::growth::{Curve, Growth, MAX_GROWTH};
use super::shape::WeeklyShape;
use crate::engine::SimTime;
use jiff::SignedDuration;
use jiff::civil::DateTime;
use std::cell::Cell;
use std::sync::Arc;

/// How the rate of an arrival process moves over calendar time: a growth curve (from its own
/// origin) times a weekly shape.
#[derive(Debug, Clone, PartialEq)]
pub struct RateModulation {
    /// The date at which the growth curve is 1: the scenario's `start` as loaded. A run that
    /// starts later keeps it.
    pub origin: DateTime,
    /// Adoption growth.
    pub growth: Growth,
    /// Weekly shape, mean 1.
    pub shape: Arc<WeeklyShape>,
}

/// A [`RateModulation`] read on one run's clock: simulated time 0 is a given date. Positions
/// are integer nanoseconds from the Monday 00:00 on or before the origin (the bins' grid), so
/// bin edges are exact and results are the same bits for the same inputs.
#[derive(Debug, Clone)]
pub struct ModulatedClock {
    shape: Arc<WeeklyShape>,
    /// Bins per week.
    bins: i64,
    /// Bin width [ns].
    bin_ns: i64,
    /// Bin width [s].
    bin_s: f64,
    /// Position of simulated time 0 [ns from the grid's Monday].
    zero_ns: i64,
    /// Position of the growth origin [s from the grid's Monday].
    origin_s: f64,
    curve: Curve,
    /// The last bin evaluated and its multiplier `(k, rate)`: most arrivals fall in the bin
    /// of the one before, so the growth curve (an `exp` for a logistic) and the division that
    /// finds the bin are skipped. A pure cache: results do not depend on it.
    last: Cell<(i64, f64)>,
}

impl RateModulation {
    /// A modulation of `growth` (measured from `origin`) times `shape`.
    pub fn new(origin: DateTime, growth: Growth, shape: Arc<WeeklyShape>) -> Self {
        RateModulation {
            origin,
            growth,
            shape,
        }
    }

    /// The modulation on the clock of a run whose simulated time 0 is `start`. Dates more than
    /// about 292 years from the origin are out of range (positions saturate).
    pub fn clock(&self, start: DateTime) -> ModulatedClock {
        let week_ns = |dt: DateTime| {
            i64::from(dt.weekday().to_monday_zero_offset()) * 86_400_000_000_000
                + i64::from(dt.hour()) * 3_600_000_000_000
                + i64::from(dt.minute()) * 60_000_000_000
                + i64::from(dt.second()) * 1_000_000_000
                + i64::from(dt.subsec_nanosecond())
        };
        let origin_ns = week_ns(self.origin);
        let since = start.duration_since(self.origin).as_nanos() + i128::from(origin_ns);
        let zero_ns = i64::try_from(since).unwrap_or(if since < 0 { i64::MIN } else { i64::MAX });
        let bin_s = self.shape.bin_s();
        ModulatedClock {
            bins: self.shape.values().len() as i64,
            bin_ns: i64::from(bin_s) * 1_000_000_000,
            bin_s: f64::from(bin_s),
            shape: Arc::clone(&self.shape),
            zero_ns,
            origin_s: origin_ns as f64 / 1e9,
            curve: self.growth.curve(self.origin),
            last: Cell::new((i64::MIN, 0.0)),
        }
    }

    /// The multiplier the sampler uses at `at`: the shape's bin times the growth at the bin's
    /// midpoint (capped at [`MAX_GROWTH`]).
    pub fn multiplier(&self, at: DateTime) -> f64 {
        self.clock(at).multiplier_at(SimTime::ZERO)
    }

    /// ∫ multiplier dt from `from` to `to` [s] (negative when `to` is earlier): the expected
    /// arrivals of a Poisson process over that span divided by its base rate.
    pub fn integral_s(&self, from: DateTime, to: DateTime) -> f64 {
        if to < from {
            return -self.integral_s(to, from);
        }
        let ns = u64::try_from(to.duration_since(from).as_nanos()).unwrap_or(u64::MAX);
        self.clock(from).integral_s(SimTime::ZERO, SimTime(ns))
    }

    /// The date t' >= `from` with ∫_from^t' multiplier = `work_s` (to the nanosecond), or
    /// `None` if the multiplier is 0 from some point on for ever before that work is done.
    pub fn time_change(&self, from: DateTime, work_s: f64) -> Option<DateTime> {
        let t = self.clock(from).advance(SimTime::ZERO, work_s, None)?;
        from.checked_add(SignedDuration::from_nanos(i64::try_from(t.0).ok()?))
            .ok()
    }
}

impl ModulatedClock {
    /// Position of simulated time `t` [ns from the grid's Monday], if representable.
    #[inline]
    fn pos(&self, t: SimTime) -> Option<i64> {
        self.zero_ns.checked_add(i64::try_from(t.0).ok()?)
    }

    #[inline]
    fn shape_at(&self, k: i64) -> f64 {
        self.shape.values()[k.rem_euclid(self.bins) as usize]
    }

    /// The multiplier over bin `k` of the grid.
    #[inline]
    fn rate(&self, k: i64) -> f64 {
        let (last_k, last_rate) = self.last.get();
        if k == last_k {
            return last_rate;
        }
        let r = self.rate_uncached(k);
        self.last.set((k, r));
        r
    }

    /// The bin of position `p`: the last one evaluated when it holds `p`.
    #[inline]
    fn bin_of(&self, p: i64) -> i64 {
        let k = self.last.get().0;
        if k != i64::MIN
            && p >= k.saturating_mul(self.bin_ns)
            && p < (k + 1).saturating_mul(self.bin_ns)
        {
            k
        } else {
            p.div_euclid(self.bin_ns)
        }
    }

    fn rate_uncached(&self, k: i64) -> f64 {
        let s = self.shape_at(k);
        if s == 0.0 {
            return 0.0;
        }
        let mid = (k as f64 + 0.5) * self.bin_s - self.origin_s;
        s * self.curve.value(mid).min(MAX_GROWTH)
    }

    /// The multiplier at simulated time `t`.
    pub fn multiplier_at(&self, t: SimTime) -> f64 {
        self.pos(t)
            .map_or(0.0, |p| self.rate(p.div_euclid(self.bin_ns)))
    }

    /// ∫ multiplier dt over [`from`, `to`] of simulated time [s] (negative when `to` is
    /// earlier). O(bins crossed).
    pub fn integral_s(&self, from: SimTime, to: SimTime) -> f64 {
        if to < from {
            return -self.integral_s(to, from);
        }
        let (Some(mut p), Some(q)) = (self.pos(from), self.pos(to)) else {
            return f64::NAN;
        };
        let mut sum = 0.0;
        while p < q {
            let k = p.div_euclid(self.bin_ns);
            let end = (k + 1).saturating_mul(self.bin_ns).min(q);
            sum += self.rate(k) * ((end - p) as f64 / 1e9);
            p = end;
        }
        sum
    }

    /// The time change: the simulated time t' >= `from` with ∫_from^t' multiplier = `work_s`
    /// (rounded to the nanosecond), or `None` when there is none before `limit` (exclusive):
    /// the multiplier is 0 for ever from some point (a growth curve that has fallen to 0), or
    /// the clock's range ends. O(bins crossed); a stretch where the growth is 0 is skipped in
    /// one step, bins where the shape is 0 one by one (at most a week of them).
    #[inline]
    pub fn advance(&self, from: SimTime, work_s: f64, limit: Option<SimTime>) -> Option<SimTime> {
        let limit_p = match limit {
            Some(l) => self.pos(l)?,
            None => i64::MAX,
        };
        let mut p = self.pos(from)?;
        if p >= limit_p {
            return None;
        }
        if work_s.is_nan() || work_s <= 0.0 {
            return Some(from);
        }
        let mut left = work_s;
        let mut k = self.bin_of(p);
        loop {
            let end = (k + 1).checked_mul(self.bin_ns)?;
            let r = self.rate(k);
            if r > 0.0 {
                let span_ns = end - p;
                let cap = r * (span_ns as f64 / 1e9);
                if left <= cap {
                    // `as` saturates; the clamp keeps rounding inside the bin.
                    let d = (((left / r) * 1e9).round() as i64).min(span_ns);
                    let at = p + d;
                    if at >= limit_p {
                        return None;
                    }
                    return u64::try_from(at - self.zero_ns).ok().map(SimTime);
                }
                left -= cap;
                p = end;
                k += 1;
            } else if self.shape_at(k) > 0.0 {
                // The growth is 0 here: go to the first bin whose midpoint is at or after the
                // time it may turn positive again.
                let t = (k as f64 + 0.5) * self.bin_s - self.origin_s;
                let next = self.curve.next_positive(t)?;
                let j = ((next + self.origin_s) / self.bin_s - 0.5).ceil();
                if j.is_nan() || j >= (i64::MAX / self.bin_ns) as f64 {
                    return None;
                }
                k = (j as i64).max(k + 1);
                p = k * self.bin_ns;
            } else {
                p = end;
                k += 1;
            }
            if p >= limit_p {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn modulation(shape: &str, growth: Growth) -> RateModulation {
        RateModulation::new(
            date(2026, 1, 5).at(0, 0, 0, 0),
            growth,
            Arc::new(WeeklyShape::by_name(shape).unwrap()),
        )
    }

    #[test]
    fn flat_without_growth_is_the_identity() {
        let m = modulation("flat", Growth::None);
        let c = m.clock(date(2026, 1, 7).at(13, 17, 0, 0));
        let at = c.advance(SimTime(5), 12_345.678_9, None).unwrap();
        assert_eq!(at, SimTime(5 + 12_345_678_900_000));
        assert_eq!(
            c.integral_s(SimTime(0), SimTime(86_400_000_000_000)),
            86_400.0
        );
    }

    #[test]
    fn a_week_of_any_shape_integrates_to_a_week() {
        for name in super::super::shape::SHAPE_NAMES {
            let m = modulation(name, Growth::None);
            let from = date(2026, 3, 4).at(7, 30, 0, 0);
            let to = date(2026, 3, 11).at(7, 30, 0, 0);
            let i = m.integral_s(from, to);
            assert!((i / 604_800.0 - 1.0).abs() < 1e-12, "{name}: {i}");
        }
    }

    #[test]
    fn zero_for_ever_means_no_more_arrivals_and_zero_stretches_are_skipped() {
        let dead = modulation(
            "office-hours",
            Growth::Steps {
                at: vec![date(2026, 1, 6).at(0, 0, 0, 0)],
                factor: vec![0.0],
            },
        );
        let c = dead.clock(dead.origin);
        assert_eq!(c.advance(SimTime::ZERO, 1e9, None), None);
        let pause = modulation(
            "flat",
            Growth::Steps {
                at: vec![
                    date(2026, 1, 6).at(0, 0, 0, 0),
                    date(2036, 1, 6).at(0, 0, 0, 0),
                ],
                factor: vec![0.0, 1.0],
            },
        );
        // a day of work before the pause, then one more second after ten years
        let at = pause.time_change(pause.origin, 86_401.0).unwrap();
        assert_eq!(at, date(2036, 1, 6).at(0, 0, 1, 0));
        // and a limit stops the search
        let c = pause.clock(pause.origin);
        let limit = SimTime(30 * 86_400_000_000_000);
        assert_eq!(c.advance(SimTime::ZERO, 86_401.0, Some(limit)), None);
    }
}
