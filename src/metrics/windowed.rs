//! Quantities kept per reporting window (`--interval`), integrated exactly.
//!
//! A window closes lazily when the first change at or after its end arrives, so the cost per
//! event is one comparison; windows without events are filled with the constant level.

use crate::engine::{SimDuration, SimTime, TimeWeighted};

/// Most windows kept per series and replication. Validation keeps `horizon / interval` below
/// a quarter of this; a run that goes on much longer (a drain, a count-stopped run slower
/// than expected) stops adding windows here, keeps its totals exact, and reports the
/// truncation instead of exhausting memory.
pub const WINDOW_CAP: usize = 2_000_000;

/// The window boundaries of one series: which window is open, when it ends, and the cap.
#[derive(Debug, Clone)]
struct WindowClock {
    interval: u64,
    window_end: u64,
    closed: usize,
    truncated: bool,
}

impl WindowClock {
    fn new(interval: SimDuration) -> Self {
        let interval = interval.0.max(1);
        WindowClock {
            interval,
            window_end: interval,
            closed: 0,
            truncated: false,
        }
    }

    /// Whether a window ends at or before `now` (one comparison on the hot path).
    #[inline(always)]
    fn due(&self, now: SimTime) -> bool {
        now.0 >= self.window_end
    }

    /// Closes the open window if it ends at or before `now` and returns its end; `None` when
    /// no window is due, or when the cap is reached (then no window is ever closed again).
    fn close_next(&mut self, now: SimTime) -> Option<SimTime> {
        if now.0 < self.window_end {
            return None;
        }
        if self.closed >= WINDOW_CAP {
            self.truncated = true;
            self.window_end = u64::MAX;
            return None;
        }
        let end = self.window_end;
        self.window_end = end.saturating_add(self.interval);
        self.closed += 1;
        Some(SimTime(end))
    }

    /// Whether the run's last, partial window (ending at `end`) is kept.
    fn keeps_partial(&self, end: SimTime) -> bool {
        !self.truncated && end.0 > self.window_end - self.interval
    }
}

/// A level (busy servers, queue length…) integrated exactly, per window and in total.
#[derive(Debug, Clone)]
pub struct WindowedLevel {
    tw: TimeWeighted,
    clock: WindowClock,
    total: i128,
    windows: Vec<i128>,
}

impl WindowedLevel {
    /// Starts at level 0 at time zero, with windows of `interval` (> 0).
    pub fn new(interval: SimDuration) -> Self {
        WindowedLevel {
            tw: TimeWeighted::new(SimTime::ZERO, 0),
            clock: WindowClock::new(interval),
            total: 0,
            windows: Vec::new(),
        }
    }

    /// Whether windows stopped being kept at [`WINDOW_CAP`].
    pub fn truncated(&self) -> bool {
        self.clock.truncated
    }

    /// The current level.
    #[inline]
    pub fn level(&self) -> i64 {
        self.tw.level()
    }

    /// Adds `delta` to the level at `now`.
    #[inline(always)]
    pub fn add(&mut self, now: SimTime, delta: i64) {
        if self.clock.due(now) {
            self.close_windows_before(now);
        }
        self.tw.add(now, delta);
    }

    #[cold]
    fn close_windows_before(&mut self, now: SimTime) {
        while let Some(end) = self.clock.close_next(now) {
            self.tw.advance(end);
            let w = self.tw.take_integral();
            self.total += w;
            self.windows.push(w);
        }
    }

    /// Closes every window up to `end` (the last one partial) and returns the integrals:
    /// `(total [level·ns], per-window integrals [level·ns])`. Window `k` covers
    /// `[k·interval, min((k+1)·interval, end))`. After truncation the total stays exact.
    pub fn finish(mut self, end: SimTime) -> (i128, Vec<i128>) {
        self.close_windows_before(end);
        self.tw.advance(end);
        let last = self.tw.take_integral();
        self.total += last;
        if self.clock.keeps_partial(end) {
            self.windows.push(last);
        }
        (self.total, self.windows)
    }
}

/// The integral of a sum of rectangles `level × [t0, t1)`, per window and in total. Unlike
/// [`WindowedLevel`], rectangles may be added in any time order: many sources (the replicas
/// of a GPU pool, each with its own clock of applied iterations) share one set of windows,
/// and each source keeps only its current level and since when (see [`SourceLevel`]).
#[derive(Debug, Clone)]
pub struct WindowedArea {
    interval: u64,
    total: i128,
    /// Area of partly covered windows.
    partial: Vec<i128>,
    /// Difference array of fully covered windows: `level × interval` added at the first and
    /// taken away after the last, so a long rectangle costs O(1), not O(windows).
    full: Vec<i128>,
    truncated: bool,
    /// The window last added to, `[lo, hi)` [ns], index `k` (already in `partial`): most
    /// additions fall in it, and need no division.
    last: (u64, u64, usize),
}

impl WindowedArea {
    /// No area yet, with windows of `interval` (> 0).
    pub fn new(interval: SimDuration) -> Self {
        WindowedArea {
            interval: interval.0.max(1),
            total: 0,
            partial: Vec::new(),
            full: Vec::new(),
            truncated: false,
            last: (0, 0, 0),
        }
    }

    fn at(v: &mut Vec<i128>, k: usize) -> &mut i128 {
        if v.len() <= k {
            v.resize(k + 1, 0);
        }
        &mut v[k]
    }

    /// Adds `level × (t1 − t0)` [level·ns], split exactly over the windows it spans, in
    /// constant time.
    #[inline]
    pub fn add(&mut self, t0: SimTime, t1: SimTime, level: i64) {
        if level == 0 || t1 <= t0 {
            return;
        }
        let level = i128::from(level);
        self.total += level * i128::from(t1.0 - t0.0);
        let (i, a, b) = (self.interval, t0.0, t1.0);
        let (lo, hi, k) = self.last;
        if a >= lo && b < hi {
            self.partial[k] += level * i128::from(b - a);
            return;
        }
        let (k0, k1) = (a / i, b / i);
        if k0 >= WINDOW_CAP as u64 {
            self.truncated = true;
            return;
        }
        if k0 == k1 {
            *Self::at(&mut self.partial, k0 as usize) += level * i128::from(b - a);
            self.last = (k0 * i, (k0 * i).saturating_add(i), k0 as usize);
            return;
        }
        // [a, end of window k0) partial; windows k0+1 .. k1-1 full; [start of k1, b) partial.
        *Self::at(&mut self.partial, k0 as usize) += level * i128::from((k0 + 1) * i - a);
        let last_full = (k1 - 1).min(WINDOW_CAP as u64 - 1);
        if k0 < last_full {
            *Self::at(&mut self.full, k0 as usize + 1) += level * i128::from(i);
            *Self::at(&mut self.full, last_full as usize + 1) -= level * i128::from(i);
        }
        if k1 >= WINDOW_CAP as u64 {
            self.truncated = true;
        } else if b > k1 * i {
            *Self::at(&mut self.partial, k1 as usize) += level * i128::from(b - k1 * i);
        }
    }

    /// Whether windows past [`WINDOW_CAP`] were dropped (the total stays exact).
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// `(total [level·ns], per-window integrals)` for a run that ended at `end`: windows as
    /// [`WindowedLevel::finish`] (the last one partial), those without area at 0.
    pub fn finish(self, end: SimTime) -> (i128, Vec<i128>) {
        let n = (end.0.div_ceil(self.interval) as usize).min(WINDOW_CAP);
        let mut running = 0i128;
        let windows = (0..n)
            .map(|k| {
                running += self.full.get(k).copied().unwrap_or(0);
                running + self.partial.get(k).copied().unwrap_or(0)
            })
            .collect();
        (self.total, windows)
    }
}

/// One source's level feeding a shared [`WindowedArea`]: the level and since when it holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceLevel {
    since: SimTime,
    value: i64,
}

impl SourceLevel {
    /// The current level.
    #[inline]
    pub fn value(&self) -> i64 {
        self.value
    }

    /// Adds `delta` at `now` (>= the previous change), closing the previous rectangle into
    /// `area`.
    #[inline]
    pub fn add(&mut self, area: &mut WindowedArea, now: SimTime, delta: i64) {
        area.add(self.since, now, self.value);
        self.since = now;
        self.value += delta;
    }

    /// Closes the last rectangle at `end`.
    pub fn close(&mut self, area: &mut WindowedArea, end: SimTime) {
        area.add(self.since, end, self.value);
        self.since = end;
    }
}

/// A count of occurrences (arrivals…), per window and in total.
#[derive(Debug, Clone)]
pub struct WindowedCount {
    clock: WindowClock,
    current: u64,
    total: u64,
    windows: Vec<u64>,
}

impl WindowedCount {
    /// Empty, with windows of `interval` (> 0).
    pub fn new(interval: SimDuration) -> Self {
        WindowedCount {
            clock: WindowClock::new(interval),
            current: 0,
            total: 0,
            windows: Vec::new(),
        }
    }

    /// Counts one occurrence at `now`.
    #[inline(always)]
    pub fn incr(&mut self, now: SimTime) {
        if self.clock.due(now) {
            self.close_windows_before(now);
        }
        self.current += 1;
        self.total += 1;
    }

    #[cold]
    fn close_windows_before(&mut self, now: SimTime) {
        while self.clock.close_next(now).is_some() {
            self.windows.push(std::mem::take(&mut self.current));
        }
    }

    /// Total so far.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Closes every window up to `end`; returns `(total, per-window counts)` with the same
    /// windows as [`WindowedLevel::finish`].
    pub fn finish(mut self, end: SimTime) -> (u64, Vec<u64>) {
        self.close_windows_before(end);
        if self.clock.keeps_partial(end) {
            self.windows.push(self.current);
        }
        (self.total, self.windows)
    }
}

/// Length [ns] of window `k` of a run ending at `end`.
pub fn window_len(k: usize, interval: SimDuration, end: SimTime) -> u64 {
    let start = interval.0.saturating_mul(k as u64);
    end.0
        .min(start.saturating_add(interval.0))
        .saturating_sub(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_added_in_any_order_equal_the_level_integrated_in_order() {
        // Two sources with steps at different times; the area is fed out of time order.
        let steps_a = [(3u64, 2i64), (17, -1), (25, 4), (41, -5)];
        let steps_b = [(0u64, 1i64), (9, 2), (30, -3)];
        let mut level = WindowedLevel::new(SimDuration(10));
        let mut all: Vec<(u64, i64)> = steps_a.iter().chain(&steps_b).copied().collect();
        all.sort_by_key(|x| x.0);
        for (t, d) in all {
            level.add(SimTime(t), d);
        }
        let mut area = WindowedArea::new(SimDuration(10));
        let (mut a, mut b) = (SourceLevel::default(), SourceLevel::default());
        for (t, d) in steps_b {
            b.add(&mut area, SimTime(t), d);
        }
        b.close(&mut area, SimTime(45));
        for (t, d) in steps_a {
            a.add(&mut area, SimTime(t), d);
        }
        a.close(&mut area, SimTime(45));
        assert_eq!(area.finish(SimTime(45)), level.finish(SimTime(45)));
        // Window 0: a = 2 over [3, 10) = 14; b = 1 over [0, 9) + 3 over [9, 10) = 12.
    }

    #[test]
    fn long_rectangles_fill_whole_windows_exactly() {
        let mut area = WindowedArea::new(SimDuration(10));
        area.add(SimTime(5), SimTime(47), 3); // 5..10 partial, 10..40 full, 40..47 partial
        area.add(SimTime(20), SimTime(30), -1); // exactly one window
        area.add(SimTime(0), SimTime(10), 2); // exactly window 0
        let (total, w) = area.finish(SimTime(50));
        assert_eq!(w, vec![15 + 20, 30, 30 - 10, 30, 21]);
        assert_eq!(total, w.iter().sum::<i128>());
        // A run that ends inside a rectangle's last window keeps a partial window.
        let mut area = WindowedArea::new(SimDuration(10));
        area.add(SimTime(0), SimTime(25), 1);
        assert_eq!(area.finish(SimTime(25)).1, vec![10, 10, 5]);
    }

    #[test]
    fn windows_split_exactly_at_boundaries() {
        let mut l = WindowedLevel::new(SimDuration(10));
        l.add(SimTime(5), 2); // 2 over [5, 10) and [10, 23)
        l.add(SimTime(23), -1); // 1 over [23, 35)
        let (total, w) = l.finish(SimTime(35));
        // window 0: 2*5 = 10; 1: 2*10 = 20; 2: 2*3 + 1*7 = 13; 3: 1*5 (partial) = 5
        assert_eq!(w, vec![10, 20, 13, 5]);
        assert_eq!(total, 48);
        assert_eq!(window_len(3, SimDuration(10), SimTime(35)), 5);
        assert_eq!(window_len(1, SimDuration(10), SimTime(35)), 10);
    }

    #[test]
    fn end_on_a_boundary_adds_no_empty_window() {
        let mut l = WindowedLevel::new(SimDuration(10));
        l.add(SimTime(0), 1);
        let (total, w) = l.finish(SimTime(20));
        assert_eq!((total, w), (20, vec![10, 10]));
        let mut c = WindowedCount::new(SimDuration(10));
        c.incr(SimTime(0));
        c.incr(SimTime(9));
        c.incr(SimTime(10));
        assert_eq!(c.finish(SimTime(20)), (3, vec![2, 1]));
    }

    #[test]
    fn windows_stop_at_the_cap_and_totals_stay_exact() {
        let mut l = WindowedLevel::new(SimDuration(1));
        let mut c = WindowedCount::new(SimDuration(1));
        l.add(SimTime(0), 3);
        c.incr(SimTime(0));
        c.incr(SimTime(4_500_000));
        l.add(SimTime(4_500_000), -1);
        assert!(l.truncated());
        let (total, w) = l.finish(SimTime(5_000_000));
        assert_eq!(w.len(), WINDOW_CAP);
        assert_eq!(total, 3 * 4_500_000 + 2 * 500_000);
        let (n, cw) = c.finish(SimTime(5_000_000));
        assert_eq!((n, cw.len()), (2, WINDOW_CAP));
    }

    #[test]
    fn counts_fill_empty_windows() {
        let mut c = WindowedCount::new(SimDuration(10));
        c.incr(SimTime(1));
        c.incr(SimTime(31));
        assert_eq!(c.finish(SimTime(32)), (2, vec![1, 0, 0, 1]));
    }
}
