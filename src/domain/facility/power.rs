//! GPU power by iteration: a linear activity model on the roofline's utilisations, and the
//! clock (DVFS) response to a power limit.
//!
//! # The form
//!
//! While a replica runs an iteration at full clock, each of its GPUs draws
//!
//! ```text
//! P_busy = idle_w + (tdp_w − idle_w) · a,   a = min(1, compute · MFU + memory · MBU)
//! ```
//!
//! where MFU and MBU are the iteration's model FLOPs and bytes at 100 % of peak
//! ([`crate::domain::llm::perf::IterationModel::ideal_s`]) over its duration at full clock:
//! dynamic energy per FLOP and per byte moved, the usual first-order model. Prefill is
//! compute-bound (high MFU) and runs near TDP; a small decode batch is memory-bound and draws
//! less; the level rises with the batch as MFU grows. An idle GPU draws `idle_w`.
//!
//! Under a power limit the GPU lowers its clock to `f` (0 < f <= 1); its dynamic power falls
//! as `f^dvfs_exponent` (frequency times voltage squared, voltage falling with frequency):
//!
//! ```text
//! P(f) = idle_w + (P_busy − idle_w) · f^dvfs_exponent
//! ```
//!
//! and the compute part of the iteration time grows as `1/f` (memory traffic, launch
//! overheads and all-reduces do not: [`crate::domain::llm::perf::IterationModel::time_s_at`]).
//! So capping slows prefill almost in proportion to the clock and decode hardly at all.
//!
//! The coefficients [`CALIBRATED`] are fitted on the measured power of the Splitwise data
//! (`catalog/calibration/splitwise/perf_model.csv`) by [`super::power_fit`]; a test re-fits
//! them and fails when they are stale.

/// Coefficients of the power model (dimensionless).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerCoeffs {
    /// Share of the dynamic range (`tdp_w − idle_w`) per unit of MFU.
    pub compute: f64,
    /// Share of the dynamic range per unit of MBU.
    pub memory: f64,
    /// Exponent of the dynamic power in the clock factor (> 0).
    pub dvfs_exponent: f64,
}

/// The calibrated coefficients (see the module documentation for their source).
pub const CALIBRATED: PowerCoeffs = PowerCoeffs {
    compute: 1.83,
    memory: 1.24,
    dvfs_exponent: 0.949,
};

/// Lowest clock factor a power limit can impose (estimate: an H100's lowest settable power
/// limit, 200 W of 700 W, leaves about a third of the dynamic range).
pub const MIN_CLOCK: f64 = 0.3;

impl PowerCoeffs {
    /// The activity `a` in [0, 1] of an iteration with utilisations `mfu` and `mbu` (each
    /// >= 0) at full clock.
    #[inline]
    pub fn activity(&self, mfu: f64, mbu: f64) -> f64 {
        (self.compute * mfu + self.memory * mbu).clamp(0.0, 1.0)
    }

    /// Busy power of one GPU [W] at full clock for activity `a` in [0, 1].
    #[inline]
    pub fn busy_w(idle_w: f64, tdp_w: f64, a: f64) -> f64 {
        idle_w + (tdp_w - idle_w) * a
    }

    /// The share of its full-clock dynamic power a GPU draws at clock `f` in (0, 1].
    #[inline]
    pub fn dynamic_share(&self, f: f64) -> f64 {
        f.powf(self.dvfs_exponent)
    }

    /// The clock factor at which the dynamic power is `share` (in (0, 1]) of its full-clock
    /// value, at least [`MIN_CLOCK`].
    #[inline]
    pub fn clock_for_share(&self, share: f64) -> f64 {
        if share >= 1.0 {
            1.0
        } else {
            share.max(0.0).powf(1.0 / self.dvfs_exponent).max(MIN_CLOCK)
        }
    }
}
