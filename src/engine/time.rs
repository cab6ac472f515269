//! Simulated time: integer nanoseconds, never raw `f64`.
//!
//! [`SimTime`] is an instant measured from the start of a simulation; [`SimDuration`] is a span
//! between two instants. Both are `u64` nanoseconds, which covers about 584 years: far beyond
//! any horizon a capacity study uses. Conversions from `f64` seconds happen only at the boundary
//! (configuration and output) and reject NaN, negative and overflowing values.

use std::fmt;

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant of simulated time [ns since the simulation start].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

/// A span of simulated time [ns].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimDuration(pub u64);

/// Why an `f64` number of seconds cannot become a [`SimDuration`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum TimeConversionError {
    /// The value was NaN.
    #[error("is not a number (NaN)")]
    NaN,
    /// The value was below zero.
    #[error("is negative ({0} s)")]
    Negative(f64),
    /// The value does not fit in `u64` nanoseconds (about 584 years), or is infinite.
    #[error("is too large ({0} s; at most about 1.8e10 s)")]
    Overflow(f64),
}

impl SimTime {
    /// The start of every simulation.
    pub const ZERO: SimTime = SimTime(0);
    /// The latest representable instant; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// This instant in seconds since the start [s] (for output only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// `self + d`, or `None` when the sum overflows `u64` nanoseconds.
    #[inline]
    pub fn checked_add(self, d: SimDuration) -> Option<SimTime> {
        self.0.checked_add(d.0).map(SimTime)
    }

    /// The span from `earlier` to `self`, or `None` when `earlier` is later than `self`.
    #[inline]
    pub fn checked_since(self, earlier: SimTime) -> Option<SimDuration> {
        self.0.checked_sub(earlier.0).map(SimDuration)
    }

    /// The span from `earlier` to `self`, zero when `earlier` is later.
    #[inline]
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// Zero length.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A duration of `secs` whole seconds.
    pub const fn from_secs(secs: u64) -> SimDuration {
        SimDuration(secs * NANOS_PER_SEC)
    }

    /// Converts seconds [s] to nanoseconds, rounding to the nearest nanosecond.
    ///
    /// # Errors
    /// [`TimeConversionError`] when `secs` is NaN, negative, infinite or above `u64::MAX` ns.
    pub fn try_from_secs_f64(secs: f64) -> Result<SimDuration, TimeConversionError> {
        if secs.is_nan() {
            return Err(TimeConversionError::NaN);
        }
        if secs < 0.0 {
            return Err(TimeConversionError::Negative(secs));
        }
        let ns = (secs * NANOS_PER_SEC as f64).round();
        // u64::MAX as f64 rounds up to 2^64, so `>=` rejects everything that would saturate.
        if ns >= u64::MAX as f64 {
            return Err(TimeConversionError::Overflow(secs));
        }
        Ok(SimDuration(ns as u64))
    }

    /// Converts a sampled number of seconds [s] to nanoseconds on the hot path.
    ///
    /// Samplers of validated distributions only produce finite, non-negative values; this
    /// saturates instead of failing (NaN and negatives map to zero, a huge value to `u64::MAX`
    /// ns, which the scheduler then rejects as an overflow) so a pathological draw can never
    /// panic (see [`nanos_from_f64`]).
    #[inline]
    pub fn from_secs_f64_saturating(secs: f64) -> SimDuration {
        SimDuration(nanos_from_f64(secs * NANOS_PER_SEC as f64))
    }

    /// This span in seconds [s] (for output only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// This span as `std::time::Duration`.
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.0)
    }

    /// Converts a `std::time::Duration`.
    ///
    /// # Errors
    /// [`TimeConversionError::Overflow`] when it exceeds `u64::MAX` ns.
    pub fn try_from_std(d: std::time::Duration) -> Result<SimDuration, TimeConversionError> {
        u64::try_from(d.as_nanos())
            .map(SimDuration)
            .map_err(|_| TimeConversionError::Overflow(d.as_secs_f64()))
    }
}

/// Rounds a non-negative number of nanoseconds to `u64`, half up; NaN and negatives give 0,
/// values at or beyond 2^63 (292 years) give `u64::MAX`, so that scheduling them fails loudly
/// as a clock overflow instead of being clipped. Converting through `i64` is one instruction
/// plus a clamp on x86-64, where a saturating `f64 -> u64` cast needs a dozen.
#[inline(always)]
pub fn nanos_from_f64(ns: f64) -> u64 {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if ns < TWO_POW_63 {
        ((ns + 0.5) as i64).max(0) as u64
    } else if ns.is_nan() {
        0
    } else {
        u64::MAX
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.as_secs_f64())
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_to_nearest_nanosecond() {
        assert_eq!(
            SimDuration::try_from_secs_f64(1.5),
            Ok(SimDuration(1_500_000_000))
        );
        assert_eq!(SimDuration::try_from_secs_f64(0.0), Ok(SimDuration(0)));
        assert_eq!(
            SimDuration::try_from_secs_f64(1e-9 * 0.6),
            Ok(SimDuration(1))
        );
    }

    #[test]
    fn bad_seconds_are_rejected() {
        assert_eq!(
            SimDuration::try_from_secs_f64(f64::NAN),
            Err(TimeConversionError::NaN)
        );
        assert!(matches!(
            SimDuration::try_from_secs_f64(-1.0),
            Err(TimeConversionError::Negative(_))
        ));
        assert!(matches!(
            SimDuration::try_from_secs_f64(f64::INFINITY),
            Err(TimeConversionError::Overflow(_))
        ));
        assert!(matches!(
            SimDuration::try_from_secs_f64(1e11),
            Err(TimeConversionError::Overflow(_))
        ));
    }

    #[test]
    fn hot_path_conversion_rounds_and_saturates() {
        assert_eq!(nanos_from_f64(1.4), 1);
        assert_eq!(nanos_from_f64(1.5), 2);
        assert_eq!(nanos_from_f64(-3.0), 0);
        assert_eq!(nanos_from_f64(f64::NAN), 0);
        assert_eq!(nanos_from_f64(1e30), u64::MAX);
        assert_eq!(nanos_from_f64(f64::INFINITY), u64::MAX);
        assert_eq!(
            SimDuration::from_secs_f64_saturating(2.5e-9),
            SimDuration(3)
        );
    }

    #[test]
    fn time_arithmetic_is_checked() {
        assert_eq!(SimTime(u64::MAX).checked_add(SimDuration(1)), None);
        assert_eq!(SimTime(5).checked_since(SimTime(7)), None);
        assert_eq!(SimTime(7).checked_since(SimTime(5)), Some(SimDuration(2)));
    }
}
