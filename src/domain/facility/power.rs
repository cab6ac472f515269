//! GPU power by iteration: a linear activity model on the roofline's utilisations, and the
//! clock (DVFS) response to a power limit.
//!
//! # The form
//!
//! While a replica runs an iteration at full clock, each of its GPUs draws
//!
//! ```text
//! P_busy = idle_w + (tdp_w − idle_w) · a,   a = min(1, compute · c + memory · m)
//! ```
//!
//! where `c` and `m` are the shares of the iteration's duration at full clock with the
//! compute units and the memory system busy: the roofline's compute and memory terms over
//! the duration ([`crate::domain::llm::perf::IterationModel::busy_shares`]). Dynamic power
//! follows the activity of each unit, the usual first-order model; measuring it against the
//! GPU's own calibrated roofline (not against the datasheet peak) lets one fit serve GPUs of
//! different efficiency. Prefill is compute-bound and runs near TDP; a small decode batch is
//! memory-bound and draws less. An idle GPU draws `idle_w`.
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
    /// Share of the dynamic range (`tdp_w − idle_w`) per unit of compute busy share.
    pub compute: f64,
    /// Share of the dynamic range per unit of memory busy share.
    pub memory: f64,
    /// Exponent of the dynamic power in the clock factor (> 0).
    pub dvfs_exponent: f64,
}

/// The calibrated coefficients, fitted by [`super::power_fit::fit_power`] on the bundled
/// Splitwise data (`catalog/calibration/splitwise/perf_model.csv`, MIT, Patel et al., ISCA
/// 2024) and rounded to 3 significant digits; a test fails when they differ from a re-fit
/// (`infersim calibrate` prints the fit).
///
/// - `compute`, `memory`: least squares on the relative errors of the average power
///   (fraction of TDP) of 245 `a100-80gb` request rows (llama2-70b TP 2/4/8, bloom-176b TP
///   8; prefill and mid-decode weighted by their measured durations) and of their peak power
///   taken as the prefill's power; busy shares from the calibrated A100 roofline. Excluded:
///   160 rows with power 0 (not measured) and 15 llama2-70b rows with 8192-token prompts
///   (outliers at ~0.17 of TDP). Every third configuration held out: average-power MAPE
///   8.8 % train / 8.9 % held out (per model and TP 6.3 to 15.0 % held out); peak power
///   within 3.7 to 9.8 % per group.
/// - `dvfs_exponent`: least squared log error of the prefill slowdowns of 76 configurations
///   on `h100-80gb-pcap` (70 % cap, 490 W per GPU) over `h100-80gb`. Mean prefill slowdown
///   measured 1.300, model 1.142 (MAPE 14.3 %); decode 1.000 and 1.000. KNOWN GAP: the
///   model puts an H100 prefill at ~605 W, not ~700 W, so a 490 W cap binds less than it
///   did on the measured servers; the exponent is pulled to ~1 (P ∝ f·V² suggests 2–3).
///
/// | llama-2-70b TP 4, per GPU [W] | idle | prefill 1 x 2048 | decode 8 x 1024 ctx |
/// |-------------------------------|------|------------------|---------------------|
/// | A100 model (published)        | 63 (63) | 400 (~400)    | 223 (~250)          |
/// | H100 model (published)        | 75 (75) | 606 (~700)    | 380 (~380)          |
///
/// (Published: Splitwise per-phase figures, `../shared/data/README.md`.)
pub const CALIBRATED: PowerCoeffs = PowerCoeffs {
    compute: 1.29,
    memory: 1.18,
    dvfs_exponent: 1.06,
};

/// Lowest clock factor a power limit can impose (estimate: an H100's lowest settable power
/// limit, 200 W of 700 W, leaves about a third of the dynamic range).
pub const MIN_CLOCK: f64 = 0.3;

impl PowerCoeffs {
    /// The activity `a` in [0, 1] of an iteration whose compute units are busy for the
    /// share `compute` and memory system for the share `memory` of its time (each in
    /// [0, 1]) at full clock.
    #[inline]
    pub fn activity(&self, compute: f64, memory: f64) -> f64 {
        (self.compute * compute + self.memory * memory).clamp(0.0, 1.0)
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
