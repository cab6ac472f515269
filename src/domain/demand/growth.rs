//! Adoption growth: a multiplier of an arrival process's base rate as a function of the
//! calendar date, equal to 1 at the curve's *origin*.
//!
//! The origin is the scenario's `[scenario] start` as loaded (or
//! [`DEFAULT_START`](crate::domain::facility::runtime::DEFAULT_START)); it travels with the
//! curve ([`super::RateModulation::origin`]), so a run that starts later (an epoch of a long
//! horizon) reads the same curve at its own dates. Times are local civil date-times: no time
//! zone, no daylight-saving shifts, every day 86,400 s.

use jiff::civil::DateTime;

/// Largest multiplier a growth curve may reach within a run. Validation rejects a curve that
/// exceeds it (or is not finite) by the end of the run (its horizon, or its expected length);
/// at run time, a run that lasts longer than expected has the multiplier capped here. A billion
/// times the base rate is far beyond any adoption plan, and far from `f64` overflow.
pub const MAX_GROWTH: f64 = 1e9;

/// The names of the growth kinds, for messages.
pub const GROWTH_KINDS: [&str; 5] = ["none", "linear", "exponential", "logistic", "steps"];

/// A growth curve m(t) multiplying the base arrival rate; m(origin) = 1 for every kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Growth {
    /// m = 1 (the default).
    #[default]
    None,
    /// m = 1 + (to − 1)·(t − origin)/(by − origin), floored at 0; it continues past `by`.
    Linear {
        /// Multiplier reached at `by`, finite and >= 0.
        to: f64,
        /// The date at which `to` is reached, after the origin.
        by: DateTime,
    },
    /// m = 2^((t − origin)/doubling).
    Exponential {
        /// Doubling time [s], > 0.
        doubling_s: f64,
    },
    /// m = 1 + (ceiling − 1)·(σ(t) − σ(origin))/(1 − σ(origin)), with
    /// σ(t) = 1/(1 + exp(−k·(t − midpoint))) and k = 2·ln 9 / rise, floored at 0: 1 at the
    /// origin, tending to `ceiling`.
    Logistic {
        /// Limit of the multiplier, > 0 and finite (< 1: a decline).
        ceiling: f64,
        /// Date of the inflection point of σ.
        midpoint: DateTime,
        /// Time σ takes to go from 10 % to 90 % [s], > 0.
        rise_s: f64,
    },
    /// The factor of the last step at or before t, 1 before the first (launches).
    Steps {
        /// Dates of the steps, strictly increasing.
        at: Vec<DateTime>,
        /// Multiplier from each date on, finite and >= 0; as many as `at`.
        factor: Vec<f64>,
    },
}

/// Seconds from `from` to `to` (negative when `to` is earlier), to the nanosecond.
pub fn seconds_between(from: DateTime, to: DateTime) -> f64 {
    to.duration_since(from).as_secs_f64()
}

impl Growth {
    /// The kind's name as written in a scenario.
    pub fn kind(&self) -> &'static str {
        match self {
            Growth::None => "none",
            Growth::Linear { .. } => "linear",
            Growth::Exponential { .. } => "exponential",
            Growth::Logistic { .. } => "logistic",
            Growth::Steps { .. } => "steps",
        }
    }

    /// The exact curve at `at` for a curve whose origin is `origin` (not capped; may be
    /// infinite for an exponential far from its origin).
    pub fn multiplier(&self, origin: DateTime, at: DateTime) -> f64 {
        self.curve(origin).value(seconds_between(origin, at))
    }

    /// The curve in seconds from `origin`.
    pub(crate) fn curve(&self, origin: DateTime) -> Curve {
        match self {
            Growth::None => Curve::One,
            Growth::Linear { to, by } => Curve::Linear {
                to: *to,
                by_s: seconds_between(origin, *by),
            },
            Growth::Exponential { doubling_s } => Curve::Exponential {
                doubling_s: *doubling_s,
            },
            Growth::Logistic {
                ceiling,
                midpoint,
                rise_s,
            } => {
                if *ceiling == 1.0 {
                    Curve::One
                } else {
                    Curve::Logistic {
                        ceiling: *ceiling,
                        midpoint_s: seconds_between(origin, *midpoint),
                        k: 2.0 * 9f64.ln() / rise_s,
                    }
                }
            }
            Growth::Steps { at, factor } => Curve::Steps {
                at_s: at.iter().map(|d| seconds_between(origin, *d)).collect(),
                factor: factor.clone(),
            },
        }
    }

    /// The largest value of the curve over `[from, to]` (dates), or `None` when it is not
    /// finite there. Linear, exponential and logistic curves are monotone, so their ends
    /// suffice; steps take every factor in force.
    pub fn max_over(&self, origin: DateTime, from: DateTime, to: DateTime) -> Option<f64> {
        let c = self.curve(origin);
        let (a, b) = (seconds_between(origin, from), seconds_between(origin, to));
        let m = match &c {
            Curve::Steps { at_s, factor } => {
                let first = at_s.partition_point(|s| *s <= a);
                let last = at_s.partition_point(|s| *s <= b);
                let mut m = c.value(a);
                for f in &factor[first..last] {
                    m = m.max(*f);
                }
                m
            }
            _ => c.value(a).max(c.value(b)),
        };
        m.is_finite().then_some(m)
    }
}

/// A growth curve in seconds from its origin (precomputed for the sampler).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Curve {
    /// 1 everywhere.
    One,
    /// See [`Growth::Linear`]; `by_s` > 0.
    Linear { to: f64, by_s: f64 },
    /// See [`Growth::Exponential`].
    Exponential { doubling_s: f64 },
    /// See [`Growth::Logistic`]; `ceiling` ≠ 1.
    Logistic {
        ceiling: f64,
        midpoint_s: f64,
        k: f64,
    },
    /// See [`Growth::Steps`].
    Steps { at_s: Vec<f64>, factor: Vec<f64> },
}

impl Curve {
    /// m at `t` seconds from the origin (>= 0; +∞ possible for an exponential).
    pub(crate) fn value(&self, t: f64) -> f64 {
        match self {
            Curve::One => 1.0,
            Curve::Linear { to, by_s } => (1.0 + (to - 1.0) * (t / by_s)).max(0.0),
            Curve::Exponential { doubling_s } => (t / doubling_s).exp2(),
            Curve::Logistic {
                ceiling,
                midpoint_s,
                k,
            } => {
                // (σ(t) − σ(0))/(1 − σ(0)) = (1 − e^(−k·t)) / (1 + e^(−k·(t − mid))), which
                // never divides by zero, even when σ(0) rounds to 1 (origin long after the
                // midpoint). Far before the midpoint, multiply through by e^(k·(t − mid)).
                let x = -k * (t - midpoint_s);
                let share = if x < 700.0 {
                    -(-k * t).exp_m1() / (1.0 + x.exp())
                } else {
                    ((-x).exp() - (-k * midpoint_s).exp()) / ((-x).exp() + 1.0)
                };
                (1.0 + (ceiling - 1.0) * share).max(0.0)
            }
            Curve::Steps { at_s, factor } => match at_s.partition_point(|s| *s <= t) {
                0 => 1.0,
                i => factor[i - 1],
            },
        }
    }

    /// The earliest time >= `t` [s from the origin] from which the curve may be positive, or
    /// `None` when it is 0 from `t` on for ever. Used to skip stretches of zero rate; a
    /// logistic curve (zero only far before its origin) answers `t` and is scanned.
    pub(crate) fn next_positive(&self, t: f64) -> Option<f64> {
        if self.value(t) > 0.0 {
            return Some(t);
        }
        match self {
            Curve::Linear { to, by_s } => {
                // m = 0 at t0 = by/(1 − to); positive after it when rising.
                (*to > 1.0).then(|| (by_s / (1.0 - to)).max(t))
            }
            Curve::Steps { at_s, factor } => {
                let i = at_s.partition_point(|s| *s <= t);
                (i..at_s.len()).find(|&j| factor[j] > 0.0).map(|j| at_s[j])
            }
            Curve::One | Curve::Exponential { .. } | Curve::Logistic { .. } => Some(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn origin() -> DateTime {
        date(2026, 1, 5).at(0, 0, 0, 0)
    }

    #[test]
    fn every_curve_is_one_at_its_origin() {
        let o = origin();
        let curves = [
            Growth::None,
            Growth::Linear {
                to: 3.0,
                by: date(2026, 3, 1).at(0, 0, 0, 0),
            },
            Growth::Exponential {
                doubling_s: 86_400.0 * 90.0,
            },
            Growth::Logistic {
                ceiling: 10.0,
                midpoint: date(2027, 9, 1).at(0, 0, 0, 0),
                rise_s: 180.0 * 86_400.0,
            },
            Growth::Logistic {
                ceiling: 10.0,
                midpoint: date(2020, 9, 1).at(0, 0, 0, 0),
                rise_s: 86_400.0,
            },
            Growth::Steps {
                at: vec![date(2026, 2, 1).at(0, 0, 0, 0)],
                factor: vec![2.0],
            },
        ];
        for g in curves {
            assert_eq!(g.multiplier(o, o), 1.0, "{g:?}");
        }
    }

    #[test]
    fn linear_floors_at_zero_and_knows_when_it_is_zero_for_ever() {
        let o = origin();
        let g = Growth::Linear {
            to: 0.5,
            by: date(2026, 1, 15).at(0, 0, 0, 0),
        };
        assert_eq!(g.multiplier(o, date(2026, 1, 25).at(0, 0, 0, 0)), 0.0);
        assert_eq!(g.multiplier(o, date(2026, 2, 25).at(0, 0, 0, 0)), 0.0);
        let c = g.curve(o);
        assert_eq!(c.next_positive(30.0 * 86_400.0), None);
        let rising = Growth::Linear {
            to: 3.0,
            by: date(2026, 1, 7).at(0, 0, 0, 0),
        }
        .curve(o);
        // zero before origin − 1 day; positive after
        assert_eq!(rising.value(-2.0 * 86_400.0), 0.0);
        assert_eq!(rising.next_positive(-2.0 * 86_400.0), Some(-86_400.0));
    }

    #[test]
    fn steps_skip_to_the_next_positive_factor() {
        let c = Curve::Steps {
            at_s: vec![10.0, 20.0, 30.0],
            factor: vec![0.0, 0.0, 4.0],
        };
        assert_eq!(c.value(5.0), 1.0);
        assert_eq!(c.value(10.0), 0.0);
        assert_eq!(c.next_positive(12.0), Some(30.0));
        assert_eq!(c.value(30.0), 4.0);
        let dead = Curve::Steps {
            at_s: vec![10.0],
            factor: vec![0.0],
        };
        assert_eq!(dead.next_positive(11.0), None);
    }

    #[test]
    fn logistic_is_stable_far_from_its_midpoint() {
        let c = Curve::Logistic {
            ceiling: 10.0,
            midpoint_s: -1e8,
            k: 1e-3,
        };
        for t in [-1e9, -1e6, 0.0, 1e6, 1e9] {
            let v = c.value(t);
            assert!(v.is_finite() && v >= 0.0, "{t}: {v}");
        }
        assert_eq!(c.value(0.0), 1.0);
        assert!((c.value(1e9) - 10.0).abs() < 1e-12);
    }
}
