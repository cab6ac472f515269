//! Percentiles per reporting window (`ttft_p99_s`, `task_latency_p99_s` series): one small
//! HDR histogram per window that has observations, by the time each value is observed.

use crate::engine::{SimDuration, SimTime};
use hdrhistogram::Histogram;

/// Significant digits of a window's histogram: percentiles within 1 % (HdrHistogram's
/// guarantee), at about a tenth of the memory of the 3-digit run-wide distributions.
const DIGITS: u8 = 2;
/// Smallest value told apart [ns]: 1 µs (smaller values are recorded as 1 µs). With 2
/// digits and values up to minutes a window's histogram takes about 12 KB.
const LOWEST_NS: u64 = 1_000;
/// Most windows kept; later observations are dropped from the window series only (the
/// run-wide distributions keep them).
/// (5,000 windows of ~12 KB: at most ~60 MB per series and replication.)
pub const MAX_QUANTILE_WINDOWS: u64 = 5_000;

/// Durations observed per window [ns]; disabled (records nothing) when built by `default`.
#[derive(Debug, Clone, Default)]
pub struct WindowedQuantile {
    interval: u64,
    hists: Vec<Option<Box<Histogram<u32>>>>,
}

impl WindowedQuantile {
    /// Windows of `interval` (> 0).
    pub fn new(interval: SimDuration) -> Self {
        WindowedQuantile {
            interval: interval.0.max(1),
            hists: Vec::new(),
        }
    }

    /// Records duration `ns` observed at `now`, in the window that contains `now`.
    #[inline]
    pub fn record(&mut self, now: SimTime, ns: u64) {
        if self.interval == 0 {
            return;
        }
        let k = now.0 / self.interval;
        if k >= MAX_QUANTILE_WINDOWS {
            return;
        }
        let k = k as usize;
        if self.hists.len() <= k {
            self.hists.resize(k + 1, None);
        }
        let h = self.hists[k].get_or_insert_with(|| {
            // Constant bounds within hdrhistogram's limits: creation cannot fail.
            let mut h = Histogram::new_with_bounds(LOWEST_NS, 2 * LOWEST_NS, DIGITS)
                .expect("constant bounds are valid");
            h.auto(true);
            Box::new(h)
        });
        // Auto-resizing grows the range; only a count overflow fails: then saturate.
        let v = ns.max(LOWEST_NS);
        if h.record(v).is_err() {
            h.saturating_record(v);
        }
    }

    /// Quantile `q` in [0, 1] of window `k` [s]; `None` when the window has no observation.
    pub fn quantile_s(&self, k: usize, q: f64) -> Option<f64> {
        let h = self.hists.get(k)?.as_ref()?;
        (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1e9)
    }

    /// Observations in window `k`.
    pub fn count(&self, k: usize) -> u64 {
        self.hists
            .get(k)
            .and_then(|h| h.as_ref())
            .map_or(0, |h| h.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_their_window_and_quantiles_are_within_one_percent() {
        let mut w = WindowedQuantile::new(SimDuration::from_secs(60));
        for i in 1..=100u64 {
            w.record(SimTime(30_000_000_000), i * 10_000_000); // 10 ms .. 1 s, window 0
        }
        w.record(SimTime(90_000_000_000), 5); // 5 ns in window 1: recorded as 1 µs
        assert_eq!(w.count(1), 1);
        let q = w.quantile_s(1, 0.5).unwrap();
        assert!((1e-6..=1.1e-6).contains(&q), "{q}");
        w.record(SimTime(150_000_000_000), 5_000_000_000); // 5 s in window 2
        assert_eq!(w.count(0), 100);
        assert_eq!(w.count(3), 0);
        assert_eq!(w.quantile_s(3, 0.99), None);
        let p99 = w.quantile_s(0, 0.99).unwrap();
        assert!((p99 - 0.99).abs() <= 0.0099, "{p99}");
        let p = w.quantile_s(2, 0.5).unwrap();
        assert!((p - 5.0).abs() <= 0.05, "{p}");
    }

    #[test]
    fn the_default_records_nothing() {
        let mut w = WindowedQuantile::default();
        w.record(SimTime(1), 5);
        assert_eq!(w.count(0), 0);
    }
}
