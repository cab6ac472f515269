//! Streaming distribution of durations: an HDR histogram for percentiles plus exact count, sum
//! and max. Memory is fixed by the value range, not by the number of observations.

use hdrhistogram::Histogram;

/// Significant decimal digits kept by the histogram: 3 digits bound the relative error of
/// every percentile by 0.1 % (HdrHistogram's guarantee).
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// The quantiles reported for every distribution, with their `stat` names.
pub const QUANTILES: [(&str, f64); 6] = [
    ("p50", 0.50),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p999", 0.999),
    ("max", 1.0),
];

/// Initial highest trackable value [ns] (4 µs): an empty histogram takes about 24 KB, and it
/// grows (doubling its range) only as far as the values recorded need.
const INITIAL_HIGH_NS: u64 = 4096;

fn new_histogram() -> Histogram<u64> {
    // Bounds and sigfig are constants within hdrhistogram's limits (low >= 1, high >= 2 low,
    // sigfig <= 5), so creation cannot fail.
    let mut h = Histogram::new_with_bounds(1, INITIAL_HIGH_NS, SIGNIFICANT_DIGITS)
        .expect("constant bounds are valid");
    h.auto(true);
    h
}

/// Durations observed [ns]: percentiles within 0.1 %, mean and max exact.
#[derive(Debug, Clone)]
pub struct LatencyHist {
    hist: Histogram<u64>,
    sum_ns: u128,
    max_ns: u64,
}

impl Default for LatencyHist {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHist {
    /// An empty distribution.
    pub fn new() -> Self {
        LatencyHist {
            hist: new_histogram(),
            sum_ns: 0,
            max_ns: 0,
        }
    }

    /// Records one duration [ns].
    #[inline(always)]
    pub fn record(&mut self, ns: u64) {
        // The histogram auto-resizes, so `record` only fails if its bucket index overflowed
        // `usize`; then clamp rather than lose the observation from the count.
        if self.hist.record(ns).is_err() {
            self.hist.saturating_record(ns);
        }
        self.sum_ns += u128::from(ns);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Records `count` observations of the same duration [ns] (e.g. one inter-token gap
    /// shared by every sequence of a batch).
    #[inline]
    pub fn record_n(&mut self, ns: u64, count: u64) {
        if count == 0 {
            return;
        }
        if self.hist.record_n(ns, count).is_err() {
            self.hist.saturating_record_n(ns, count);
        }
        self.sum_ns += u128::from(ns) * u128::from(count);
        self.max_ns = self.max_ns.max(ns);
    }

    /// Records `n` observations of each duration in `gaps` [ns]; the same as `record_n(g, n)`
    /// for each, to the last bit, but a run of durations that fall in one histogram bucket
    /// (consecutive decode iterations of a batch, whose times differ by nanoseconds) costs
    /// one histogram update.
    #[inline]
    pub fn record_n_each(&mut self, gaps: impl Iterator<Item = u64>, n: u64) {
        if n == 0 {
            return;
        }
        let mut run: Option<(u64, u64, u64, u64)> = None; // (value, low, high, count)
        for g in gaps {
            self.sum_ns += u128::from(g) * u128::from(n);
            self.max_ns = self.max_ns.max(g);
            match &mut run {
                Some((_, lo, hi, count)) if g >= *lo && g <= *hi => *count += 1,
                _ => {
                    if let Some((v, _, _, count)) = run {
                        self.bucket_n(v, count * n);
                    }
                    run = Some((
                        g,
                        self.hist.lowest_equivalent(g),
                        self.hist.highest_equivalent(g),
                        1,
                    ));
                }
            }
        }
        if let Some((v, _, _, count)) = run {
            self.bucket_n(v, count * n);
        }
    }

    /// `count` observations of `ns` in the histogram only (sum and max kept by the caller).
    #[inline]
    fn bucket_n(&mut self, ns: u64, count: u64) {
        if self.hist.record_n(ns, count).is_err() {
            self.hist.saturating_record_n(ns, count);
        }
    }

    /// Adds every observation of `other` (merging replications).
    pub fn merge(&mut self, other: &LatencyHist) {
        // Both histograms auto-resize, so addition cannot run out of range.
        let _ = self.hist.add(&other.hist);
        self.sum_ns += other.sum_ns;
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// Exact sum [ns].
    pub fn sum_ns(&self) -> u128 {
        self.sum_ns
    }

    /// Exact mean [s]; `None` without observations.
    pub fn mean_s(&self) -> Option<f64> {
        let n = self.count();
        (n > 0).then(|| self.sum_ns as f64 / n as f64 / 1e9)
    }

    /// Exact maximum [s]; `None` without observations.
    pub fn max_s(&self) -> Option<f64> {
        (self.count() > 0).then(|| self.max_ns as f64 / 1e9)
    }

    /// The `q`-quantile [s] (0 < q < 1), within 0.1 %; `q = 1` gives the exact max.
    /// `None` without observations.
    pub fn quantile_s(&self, q: f64) -> Option<f64> {
        if self.count() == 0 {
            return None;
        }
        if q >= 1.0 {
            return self.max_s();
        }
        // HDR returns the highest value equivalent to the bucket; never above the true max.
        Some(self.hist.value_at_quantile(q).min(self.max_ns) as f64 / 1e9)
    }
}

/// Observations that arrive in runs of equal values (the inter-token gaps of a batch's
/// sequences, which mostly emitted their previous token at the same iteration end), gathered
/// into one histogram update per run: the histogram, sum and maximum end exactly as if each
/// value had been recorded alone. Call [`EqualRuns::flush`] when done.
#[derive(Debug, Clone, Copy, Default)]
pub struct EqualRuns {
    value: u64,
    count: u64,
}

impl EqualRuns {
    /// Records `ns` [ns] into `hist`, now or with the run it continues.
    #[inline(always)]
    pub fn push(&mut self, ns: u64, hist: &mut LatencyHist) {
        if ns == self.value && self.count > 0 {
            self.count += 1;
        } else {
            self.flush(hist);
            self.value = ns;
            self.count = 1;
        }
    }

    /// Records the pending run into `hist`.
    #[inline]
    pub fn flush(&mut self, hist: &mut LatencyHist) {
        hist.record_n(self.value, self.count);
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_one_bucket_record_as_each_value_would() {
        // Gaps of ~30 ms differing by nanoseconds (one bucket), then a jump, then tiny ones.
        let gaps: Vec<u64> = (0..50)
            .map(|j| 30_000_000 + j * 3)
            .chain([45_000_000, 45_000_001, 7, 7, 8, 1_000_000_000])
            .collect();
        let (mut a, mut b) = (LatencyHist::new(), LatencyHist::new());
        for &g in &gaps {
            a.record_n(g, 5);
        }
        b.record_n_each(gaps.iter().copied(), 5);
        assert_eq!(a.count(), b.count());
        assert_eq!(a.sum_ns(), b.sum_ns());
        assert_eq!(a.max_s(), b.max_s());
        for (_, q) in QUANTILES {
            assert_eq!(a.quantile_s(q), b.quantile_s(q), "q {q}");
        }
        assert_eq!(a.hist, b.hist);
    }

    #[test]
    fn equal_runs_record_as_each_value_would() {
        let values = [5u64, 5, 5, 7, 7, 5, 1_000_000, 1_000_000, 3];
        let (mut a, mut b) = (LatencyHist::new(), LatencyHist::new());
        let mut runs = EqualRuns::default();
        for &v in &values {
            a.record(v);
            runs.push(v, &mut b);
        }
        runs.flush(&mut b);
        runs.flush(&mut b); // nothing pending: no observation added
        assert_eq!(a.count(), b.count());
        assert_eq!(a.sum_ns(), b.sum_ns());
        assert_eq!(a.max_s(), b.max_s());
        assert_eq!(a.hist, b.hist);
    }

    #[test]
    fn percentiles_within_a_tenth_of_a_percent() {
        let mut h = LatencyHist::new();
        // 1..=100_000 µs, in ns: the exact q-quantile is q * 100_000 µs.
        for us in 1..=100_000u64 {
            h.record(us * 1000);
        }
        assert_eq!(h.count(), 100_000);
        assert!((h.mean_s().unwrap() - 0.0500005).abs() < 1e-12);
        assert_eq!(h.max_s(), Some(0.1));
        for (_, q) in QUANTILES {
            let exact = q * 0.1;
            let got = h.quantile_s(q).unwrap();
            assert!((got / exact - 1.0).abs() <= 1e-3, "q {q}: {got} vs {exact}");
        }
    }

    #[test]
    fn values_beyond_the_initial_range_are_kept() {
        let mut h = LatencyHist::new();
        h.record(5);
        h.record(50_000 * 1_000_000_000); // 50,000 s, far beyond INITIAL_HIGH_NS
        assert_eq!(h.count(), 2);
        let top = h.quantile_s(0.99).unwrap();
        assert!((top / 50_000.0 - 1.0).abs() <= 1e-3, "{top}");
    }

    #[test]
    fn merge_equals_recording_everything_in_one() {
        let (mut a, mut b, mut all) = (LatencyHist::new(), LatencyHist::new(), LatencyHist::new());
        for v in 0..1000u64 {
            let x = v * v * 997;
            if v % 3 == 0 {
                a.record(x)
            } else {
                b.record(x)
            }
            all.record(x);
        }
        a.merge(&b);
        assert_eq!(a.count(), all.count());
        assert_eq!(a.sum_ns(), all.sum_ns());
        for (_, q) in QUANTILES {
            assert_eq!(a.quantile_s(q), all.quantile_s(q));
        }
        assert_eq!(LatencyHist::new().quantile_s(0.5), None);
    }
}
