//! The power controller's arithmetic: what share of its full-clock dynamic power each
//! priority class may draw under a limit. Pure functions on watts (or any one unit).
//!
//! A budget level (a rack, a row, the site) draws `fixed` (GPU idle power and host power,
//! which clocks do not change) plus the dynamic GPU power of its two classes: at full
//! clock `high` and `low`, at shares `g_high`, `g_low` in (0, 1]:
//!
//! ```text
//! power = fixed + g_high · high + g_low · low  <=  limit
//! ```
//!
//! Low-priority work is capped first, as soon as the demand exceeds `threshold × limit`;
//! high-priority work only when the low class at its floor still does not fit under the
//! limit itself. Shares are rounded down to steps of 1/[`SHARE_STEPS`] (a GPU's clock moves
//! in steps too), so a rounded share never draws more than the exact one; none falls
//! below `floor`, the share at the lowest clock, so a limit that cannot be met even at the
//! floor is exceeded (the caller counts that time).

/// Steps of a share in (0, 1].
pub const SHARE_STEPS: f64 = 64.0;

/// `x` rounded down to a step of 1/[`SHARE_STEPS`], clamped to `[floor, 1]`.
#[inline]
pub fn quantize(x: f64, floor: f64) -> f64 {
    if x >= 1.0 {
        return 1.0;
    }
    ((x * SHARE_STEPS).floor() / SHARE_STEPS).max(floor)
}

/// Shares `[g_high, g_low]` for a level with `fixed` power, full-clock dynamic demands
/// `high` and `low` (each >= 0), a `limit` (`None`: no limit) and the low-priority
/// `threshold` in (0, 1].
pub fn class_shares(
    limit: Option<f64>,
    threshold: f64,
    fixed: f64,
    high: f64,
    low: f64,
    floor: f64,
) -> [f64; 2] {
    let Some(limit) = limit else {
        return [1.0, 1.0];
    };
    let soft = if low > 0.0 { threshold * limit } else { limit };
    if fixed + high + low <= soft {
        return [1.0, 1.0];
    }
    let g_low = if low > 0.0 {
        quantize((soft - fixed - high) / low, floor)
    } else {
        1.0
    };
    if fixed + high + g_low * low <= limit {
        return [1.0, g_low];
    }
    let g_high = if high > 0.0 {
        quantize((limit - fixed - g_low * low) / high, floor)
    } else {
        1.0
    };
    [g_high, g_low]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_the_threshold_nothing_is_capped() {
        assert_eq!(
            class_shares(Some(100.0), 0.9, 20.0, 40.0, 30.0, 0.1),
            [1.0, 1.0]
        );
        assert_eq!(class_shares(None, 0.9, 20.0, 400.0, 300.0, 0.1), [1.0, 1.0]);
    }

    #[test]
    fn low_priority_is_capped_first_to_the_threshold() {
        // fixed 20 + high 40 + low 40 = 100 > 90: low gets (90 - 60) / 40 = 0.75.
        let [h, l] = class_shares(Some(100.0), 0.9, 20.0, 40.0, 40.0, 0.1);
        assert_eq!(h, 1.0);
        assert_eq!(l, 0.75);
        assert!(20.0 + 40.0 * h + 40.0 * l <= 90.0);
    }

    #[test]
    fn high_priority_is_capped_only_at_the_limit() {
        // fixed 20, high 100, low 40, limit 100: low to the floor 0.25 (10), high gets
        // (100 - 20 - 10) / 100 = 0.7.
        let [h, l] = class_shares(Some(100.0), 0.9, 20.0, 100.0, 40.0, 0.25);
        assert_eq!(l, 0.25);
        assert_eq!(h, 44.0 / 64.0, "0.7 rounded down to a step of 1/64");
        let p = 20.0 + 100.0 * h + 40.0 * l;
        assert!(p <= 100.0, "{p}");
    }

    #[test]
    fn without_low_priority_the_threshold_does_not_apply() {
        // 20 + 75 = 95 <= 100: no cap although above 0.9 × 100.
        assert_eq!(
            class_shares(Some(100.0), 0.9, 20.0, 75.0, 0.0, 0.1),
            [1.0, 1.0]
        );
    }

    #[test]
    fn rounded_shares_never_exceed_the_limit() {
        let mut x = 0.37_f64;
        for _ in 0..10_000 {
            x = (x * 3.9 * (1.0 - x)).clamp(0.01, 0.99); // logistic map: varied values
            let (fixed, high, low) = (30.0 * x, 200.0 * (1.0 - x) + 1.0, 50.0 * x);
            let limit = 40.0 + 100.0 * x;
            let [h, l] = class_shares(Some(limit), 0.8, fixed, high, low, 0.01);
            let p = fixed + h * high + l * low;
            assert!(p <= limit * (1.0 + 1e-12), "{p} > {limit}");
        }
    }
}
