//! The fleet over calendar time: purchases and retirements of GPU replicas at dates.
//!
//! A purchase is ordered at a date and in service after its lead time; a retirement takes
//! replicas out of service at its date. The number of replicas of a pool is piecewise
//! constant in time, so what it costs (capex amortisation, licences, rental) integrates
//! exactly ([`Fleet::replica_seconds`]). Times are seconds since the scenario's calendar
//! origin (its `[scenario] start`).

/// One change of a pool's replicas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FleetChange {
    /// GPU pool (index into `Scenario::gpu_pools`).
    pub pool: u32,
    /// When it was ordered [s since the origin].
    pub ordered_s: f64,
    /// When the replicas enter (or leave) service [s since the origin]: the order date plus
    /// the lead time.
    pub effective_s: f64,
    /// Replicas added (> 0) or retired (< 0).
    pub delta: i64,
}

/// Replicas of every GPU pool over time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fleet {
    /// Replicas at the origin, per pool (the pools' `replicas`).
    pub base: Vec<u32>,
    /// Changes in order of `effective_s` (stable for equal times).
    pub changes: Vec<FleetChange>,
}

impl Fleet {
    /// A fleet that never changes.
    pub fn fixed(base: Vec<u32>) -> Fleet {
        Fleet {
            base,
            changes: Vec::new(),
        }
    }

    /// Whether any change is planned.
    pub fn changes_over_time(&self) -> bool {
        !self.changes.is_empty()
    }

    /// Replicas of `pool` in service at `t_s` (changes at exactly `t_s` included).
    pub fn replicas_at(&self, pool: usize, t_s: f64) -> u32 {
        let n = self
            .changes
            .iter()
            .filter(|c| c.pool as usize == pool && c.effective_s <= t_s)
            .fold(i64::from(self.base[pool]), |n, c| n + c.delta);
        n.clamp(0, i64::from(u32::MAX)) as u32
    }

    /// Fewest and most replicas of `pool` at any time.
    pub fn range(&self, pool: usize) -> (u32, u32) {
        let mut n = i64::from(self.base[pool]);
        let (mut lo, mut hi) = (n, n);
        for c in self.changes.iter().filter(|c| c.pool as usize == pool) {
            n += c.delta;
            lo = lo.min(n);
            hi = hi.max(n);
        }
        (lo.max(0) as u32, hi.max(0) as u32)
    }

    /// The constant stretches of `pool` over `[from_s, to_s)`: (replicas, seconds), in
    /// time order (empty for an empty interval).
    pub fn segments(&self, pool: usize, from_s: f64, to_s: f64) -> Vec<(u32, f64)> {
        let mut out = Vec::new();
        if to_s <= from_s {
            return out;
        }
        let mut t = from_s;
        let mut n = self.replicas_at(pool, from_s);
        for c in self
            .changes
            .iter()
            .filter(|c| c.pool as usize == pool && c.effective_s > from_s && c.effective_s < to_s)
        {
            out.push((n, c.effective_s - t));
            t = c.effective_s;
            n = (i64::from(n) + c.delta).max(0) as u32;
        }
        out.push((n, to_s - t));
        out
    }

    /// ∫ replicas of `pool` dt over `[from_s, to_s)` [replica·s], exactly (piecewise
    /// constant).
    pub fn replica_seconds(&self, pool: usize, from_s: f64, to_s: f64) -> f64 {
        self.segments(pool, from_s, to_s)
            .iter()
            .map(|&(n, dt)| f64::from(n) * dt)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: f64 = 86_400.0;

    fn fleet() -> Fleet {
        Fleet {
            base: vec![4, 0],
            changes: vec![
                // Pool 1: 8 bought on day 10, in service on day 40.
                FleetChange {
                    pool: 1,
                    ordered_s: 10.0 * DAY,
                    effective_s: 40.0 * DAY,
                    delta: 8,
                },
                // Pool 0: 2 retired on day 50.
                FleetChange {
                    pool: 0,
                    ordered_s: 50.0 * DAY,
                    effective_s: 50.0 * DAY,
                    delta: -2,
                },
            ],
        }
    }

    #[test]
    fn a_purchase_counts_from_its_lead_time_on() {
        let f = fleet();
        assert_eq!(f.replicas_at(1, 39.999 * DAY), 0);
        assert_eq!(f.replicas_at(1, 40.0 * DAY), 8);
        assert_eq!(f.replicas_at(0, 49.0 * DAY), 4);
        assert_eq!(f.replicas_at(0, 50.0 * DAY), 2);
        assert_eq!(f.range(0), (2, 4));
        assert_eq!(f.range(1), (0, 8));
    }

    #[test]
    fn replica_seconds_integrate_exactly() {
        let f = fleet();
        // Pool 1 over days 0..60: 8 replicas for 20 days.
        assert_eq!(f.replica_seconds(1, 0.0, 60.0 * DAY), 160.0 * DAY);
        // Pool 0 over days 45..55: 4 x 5 + 2 x 5.
        assert_eq!(f.replica_seconds(0, 45.0 * DAY, 55.0 * DAY), 30.0 * DAY);
        assert_eq!(f.replica_seconds(0, 5.0, 5.0), 0.0);
    }
}
