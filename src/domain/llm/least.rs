//! The replica with the fewest outstanding calls, kept up to date in O(log replicas) per
//! change instead of a scan of every replica per call (a 256-replica pool routes each call
//! with 8 comparisons, not 256).

/// A tournament tree over `n` values: [`MinIndex::argmin`] is the index of the smallest
/// value, the lowest index on ties (the same answer as a left-to-right scan).
#[derive(Debug, Clone)]
pub struct MinIndex {
    /// Leaves start here (a power of two >= n).
    leaves: usize,
    /// Heap-ordered nodes (root at 1), each `value << 32 | index`: the smaller key is the
    /// smaller value, then the lower index. Unused leaves hold `u64::MAX`.
    nodes: Vec<u64>,
}

impl MinIndex {
    /// `n` values, all 0 (`n` < 2^32).
    pub fn new(n: usize) -> MinIndex {
        let leaves = n.next_power_of_two().max(1);
        let mut nodes = vec![u64::MAX; 2 * leaves];
        for i in 0..n {
            nodes[leaves + i] = i as u64;
        }
        for k in (1..leaves).rev() {
            nodes[k] = nodes[2 * k].min(nodes[2 * k + 1]);
        }
        MinIndex { leaves, nodes }
    }

    /// Sets value `i` (values are capped at 2^32 − 1; calls in flight stay far below).
    #[inline]
    pub fn set(&mut self, i: usize, value: u64) {
        let mut k = self.leaves + i;
        self.nodes[k] = (value.min(u64::from(u32::MAX)) << 32) | i as u64;
        while k > 1 {
            k /= 2;
            self.nodes[k] = self.nodes[2 * k].min(self.nodes[2 * k + 1]);
        }
    }

    /// Index of the smallest value, the lowest on ties (0 when empty).
    #[inline]
    pub fn argmin(&self) -> usize {
        match self.nodes[1] {
            u64::MAX => 0,
            key => (key & u64::from(u32::MAX)) as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmin_matches_a_scan_with_ties_to_the_lowest_index() {
        for n in [1usize, 2, 3, 5, 8, 13] {
            let mut t = MinIndex::new(n);
            let mut v = vec![0u64; n];
            let mut x = 12345u64;
            for _ in 0..500 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x % n as u64) as usize;
                v[i] = (x >> 20) % 4; // few distinct values: many ties
                t.set(i, v[i]);
                let scan = (0..n).min_by_key(|&k| (v[k], k)).unwrap();
                assert_eq!(t.argmin(), scan, "n {n} values {v:?}");
            }
        }
        assert_eq!(MinIndex::new(0).argmin(), 0);
    }
}
