//! Long horizons as epochs: a horizon of months is cut into periods (`every`), and in each
//! period one window (`length`, starting `offset` into the period) is simulated, with that
//! date's demand and fleet. Epochs are independent runs (in parallel); what the horizon
//! spent and served is integrated from them (`metrics::horizon`, method and measured error in
//! `docs/METRICS.md`, "Long horizons").

/// An epoch plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochPlan {
    /// Period one epoch stands for [s], > 0.
    pub every_s: f64,
    /// Simulated window per period [s], > 0 and <= `every_s - offset_s`.
    pub length_s: f64,
    /// Start of the window within its period [s], >= 0.
    pub offset_s: f64,
}

/// One epoch: the period it stands for and the window simulated (seconds since the
/// calendar origin).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epoch {
    /// Index from 0.
    pub index: u32,
    /// Period start [s].
    pub period_start_s: f64,
    /// Period end [s] (the horizon for the last, possibly shorter, period).
    pub period_end_s: f64,
    /// Simulated window start [s].
    pub window_start_s: f64,
    /// Simulated window length [s].
    pub window_s: f64,
}

impl Epoch {
    /// Length of the period [s].
    pub fn period_s(&self) -> f64 {
        self.period_end_s - self.period_start_s
    }
}

impl EpochPlan {
    /// The epochs covering `[0, horizon_s)`. A last, shorter period keeps the window's
    /// offset when the window still fits, else its window starts with the period; its
    /// window is cut at the horizon.
    pub fn epochs(&self, horizon_s: f64) -> Vec<Epoch> {
        let mut out = Vec::new();
        let mut start = 0.0;
        let mut index = 0u32;
        while start < horizon_s {
            let end = (start + self.every_s).min(horizon_s);
            let offset = if start + self.offset_s + self.length_s <= end {
                self.offset_s
            } else {
                0.0
            };
            let window_start = start + offset;
            out.push(Epoch {
                index,
                period_start_s: start,
                period_end_s: end,
                window_start_s: window_start,
                window_s: self.length_s.min(end - window_start),
            });
            index += 1;
            start = f64::from(index) * self.every_s;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: f64 = 86_400.0;

    #[test]
    fn a_day_per_week_over_a_horizon_with_a_short_last_week() {
        let plan = EpochPlan {
            every_s: 7.0 * DAY,
            length_s: DAY,
            offset_s: 2.0 * DAY,
        };
        let e = plan.epochs(30.0 * DAY);
        assert_eq!(e.len(), 5);
        assert_eq!(e[1].window_start_s, 9.0 * DAY);
        assert_eq!(e[1].period_s(), 7.0 * DAY);
        // Days 28-30: the window (days 30-31) no longer fits: it starts with the period.
        assert_eq!(e[4].period_start_s, 28.0 * DAY);
        assert_eq!(e[4].period_end_s, 30.0 * DAY);
        assert_eq!(e[4].window_start_s, 28.0 * DAY);
        assert_eq!(e[4].window_s, DAY);
        let covered: f64 = e.iter().map(Epoch::period_s).sum();
        assert_eq!(covered, 30.0 * DAY);
    }
}
