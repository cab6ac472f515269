//! Fit of the GPU power model ([`super::power`]) on the Splitwise data
//! (`catalog/calibration/splitwise/perf_model.csv`, the same file as the iteration-time fit,
//! [`crate::domain::llm::calibrate`]).
//!
//! # Activity coefficients (`compute`, `memory`) on the A100 rows
//! Only the `a100-80gb` rows carry power: `average_power` and `peak_power` are fractions of
//! the TDP of the GPUs serving the request (the per-GPU level falls from TP 2 to TP 8).
//! - Excluded: rows with power 0 (not measured: the long-output and large-batch
//!   configurations), and the llama2-70b rows with an 8192-token prompt ([`OUTLIERS`]): their
//!   average power, ~0.17 of TDP at every TP, is barely above idle (63 / 400 W = 0.16) while
//!   their 4096-token neighbours draw 0.39 to 0.68: an anomaly of the measurement.
//! - A row is one request of `b` sequences of `p` prompt tokens generating `t` tokens. Its
//!   prefill is the shape `p·b` tokens (attention `b·p²/2`) and its decode the mean decode
//!   iteration, `b` sequences at the mid-decode context `p + t/2` (the shapes of the time
//!   fit, [`crate::domain::llm::calibrate`]). MFU and MBU of each shape come from the
//!   built-in calibrated [`IterationModel`] of that (A100, model, TP).
//! - Prediction of the average power as a fraction of TDP, the phases weighted by their
//!   MEASURED durations: `[prompt_time·P_prefill + (e2e_time − prompt_time)·P_decode] /
//!   (e2e_time · tdp_w)`.
//! - Split as in the time fit: per (hardware, TP) the distinct configurations (model, p, b,
//!   t) of all rows, sorted; every third (indices 2, 5, ...) is held out with its repeats.
//!   So a held-out row was held out of the time fit too.
//! - Fit: minimum sum of squared relative errors on the training rows, `compute` and
//!   `memory` >= 0: a grid (steps 0.05) then a compass search down to steps of 1e-5.
//! - The peak power is fitted as the prefill phase's power, together with the average.
//!
//! # DVFS exponent on the power-capped H100 rows
//! The `h100-80gb-pcap` server is capped at [`CAP_SHARE`] of its GPUs' TDP (490 W per H100).
//! For each configuration measured on both H100 servers, the measured slowdowns are the
//! ratios of the mean `prompt_time` and `token_time` (capped over uncapped). The model's
//! slowdown of a shape is `time_s_at(shape, f) / time_s(shape)` with `f` from
//! [`PowerCoeffs::clock_for_share`] of `(limit − idle) / (P_busy − idle)` when the busy power
//! at full clock `P_busy` exceeds the limit, else 1; both servers use the `h100-sxm`
//! [`IterationModel`] (not the coefficients fitted to the capped server). The exponent
//! minimises the sum of squared log errors of the prompt slowdowns over a grid of step 0.001
//! on [0.5, 4]. In the bundled data every capped prompt time is exactly 1.30 times the
//! uncapped one and every token time exactly equal: a rule applied to the data rather than
//! independent measurements, so short, overhead-bound prompts (which no clock model slows by
//! 30 %) pull the exponent down.
//!
//! All coefficients are rounded to [`SIGNIFICANT_DIGITS`] significant digits before the
//! errors are computed (the exponent is fitted with the rounded activity coefficients).

use super::power::PowerCoeffs;
use crate::domain::llm::calibrate::{
    HARDWARE, MODELS, Mape, Row, measured_shapes, pct, read_rows, round_sig,
};
use crate::domain::llm::perf::{BatchShape, IterationModel};
use crate::domain::llm::{Catalog, GpuSpec};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Hardware of the data whose rows carry power (name in the data).
pub const POWER_HARDWARE: &str = "a100-80gb";
/// The uncapped and the power-capped server of the data (names in the data).
pub const CAP_PAIR: (&str, &str) = ("h100-80gb", "h100-80gb-pcap");
/// Power limit of the capped server as a share of its GPUs' TDP (Splitwise: 70 %).
pub const CAP_SHARE: f64 = 0.7;
/// Rows excluded as outliers: (model in the data, prompt size [tokens]).
pub const OUTLIERS: [(&str, u64); 1] = [("llama2-70b", 8192)];
/// Significant digits of the fitted coefficients.
pub const SIGNIFICANT_DIGITS: usize = 3;
/// Reference shapes of [`PowerFit::reference`]: catalog model, TP, prefill tokens of one
/// sequence, decode batch and context per sequence [tokens].
pub const REFERENCE: (&str, u32, u64, u64, u64) = ("llama-2-70b", 4, 2048, 8, 1024);
/// Published per-GPU power by phase (Splitwise, `../shared/data/README.md`): catalog GPU,
/// idle, prefill, decode [W].
pub const PUBLISHED: [(&str, f64, f64, f64); 2] = [
    ("a100-80gb-sxm", 63.0, 400.0, 250.0),
    ("h100-sxm", 75.0, 700.0, 380.0),
];

/// The activity inputs of one iteration at full clock: the shares of its duration with the
/// compute units and the memory system busy ([`IterationModel::busy_shares`]); (0, 0) for
/// an empty batch.
pub fn utilisations(im: &IterationModel, shape: &BatchShape) -> (f64, f64) {
    im.busy_shares(shape)
}

/// Power of one GPU of a replica [W] running `shape` at full clock: `gpu.idle_w` for an empty
/// batch, at most `gpu.tdp_w`.
pub fn busy_power_w(
    c: &PowerCoeffs,
    gpu: &GpuSpec,
    im: &IterationModel,
    shape: &BatchShape,
) -> f64 {
    let (mfu, mbu) = utilisations(im, shape);
    PowerCoeffs::busy_w(gpu.idle_w, gpu.tdp_w, c.activity(mfu, mbu))
}

/// Slowdown (time at the limit over time at full clock, >= 1) of `shape` when every GPU of
/// the replica is limited to `limit_w` [W]: 1 when the busy power is within the limit.
pub fn capped_slowdown(
    c: &PowerCoeffs,
    gpu: &GpuSpec,
    im: &IterationModel,
    shape: &BatchShape,
    limit_w: f64,
) -> f64 {
    let p = busy_power_w(c, gpu, im, shape);
    let t = im.time_s(shape);
    if p <= limit_w || t <= 0.0 {
        return 1.0;
    }
    let f = c.clock_for_share((limit_w - gpu.idle_w) / (p - gpu.idle_w));
    im.time_s_at(shape, f) / t
}

/// Errors of the average-power fit for one (model, TP) of the A100 rows.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerGroup {
    /// Model (name in the data).
    pub model: String,
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Training rows.
    pub rows_train: usize,
    /// Held-out rows.
    pub rows_test: usize,
    /// MAPE of the average power.
    pub average_mape: Mape,
    /// Mean measured `peak_power` [fraction of TDP].
    pub peak_measured: f64,
    /// Mean predicted prefill power [fraction of TDP].
    pub peak_model: f64,
    /// MAPE of the predicted prefill power against `peak_power`, all rows [fraction].
    pub peak_mape: f64,
}

/// One configuration measured on both H100 servers: measured and modelled slowdowns.
#[derive(Debug, Clone, PartialEq)]
pub struct CapConfig {
    /// Model (name in the data).
    pub model: String,
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Prompt tokens, batch size, generated tokens.
    pub size: (u64, u64, u64),
    /// Measured and modelled prefill slowdown (capped / uncapped `prompt_time`).
    pub prefill: (f64, f64),
    /// Measured and modelled decode slowdown (capped / uncapped `token_time`).
    pub decode: (f64, f64),
}

/// Per-GPU power of the reference shapes ([`REFERENCE`]) next to the published figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PhasePower {
    /// Catalog GPU.
    pub gpu: String,
    /// Modelled idle, prefill, decode power [W].
    pub model_w: (f64, f64, f64),
    /// Published idle, prefill, decode power [W] ([`PUBLISHED`]).
    pub published_w: (f64, f64, f64),
}

/// The result of [`fit_power`].
#[derive(Debug, Clone, PartialEq)]
pub struct PowerFit {
    /// The fitted coefficients, rounded to [`SIGNIFICANT_DIGITS`].
    pub coeffs: PowerCoeffs,
    /// Average-power errors per (model, TP), in (model, TP) order.
    pub groups: Vec<PowerGroup>,
    /// A100 rows used (train and test).
    pub rows_used: usize,
    /// A100 rows excluded for power 0.
    pub excluded_zero: usize,
    /// A100 rows excluded as [`OUTLIERS`].
    pub excluded_outliers: usize,
    /// MAPE of the average power over all (model, TP).
    pub average_mape: Mape,
    /// Per-GPU power limit of the capped server [W].
    pub cap_w: f64,
    /// The configurations measured on both H100 servers.
    pub cap: Vec<CapConfig>,
    /// Modelled power of the reference shapes next to the published figures.
    pub reference: Vec<PhasePower>,
}

/// One usable A100 row, with everything the fit needs precomputed.
struct Obs {
    group: usize,
    train: bool,
    idle_share: f64,
    /// Share of the request spent in prefill (measured).
    w_prefill: f64,
    prefill: (f64, f64),
    decode: (f64, f64),
    average: f64,
    peak: f64,
}

impl Obs {
    /// Predicted power [fraction of TDP] of a phase with utilisations `u`.
    fn phase(&self, c: &PowerCoeffs, u: (f64, f64)) -> f64 {
        self.idle_share + (1.0 - self.idle_share) * c.activity(u.0, u.1)
    }

    fn average_model(&self, c: &PowerCoeffs) -> f64 {
        self.w_prefill * self.phase(c, self.prefill)
            + (1.0 - self.w_prefill) * self.phase(c, self.decode)
    }
}

/// GPU spec and iteration model of (data hardware, data model, TP) from the catalog.
fn model_for(
    catalog: &Catalog,
    hardware: &str,
    model: &str,
    tp: u32,
) -> Result<(GpuSpec, IterationModel), String> {
    let (_, key, spec) = HARDWARE
        .iter()
        .find(|h| h.0 == hardware)
        .ok_or_else(|| format!("unknown hardware {hardware}"))?;
    let name = MODELS
        .iter()
        .find(|m| m.0 == model)
        .map(|m| m.1)
        .ok_or_else(|| format!("unknown model {model}"))?;
    let gpu = catalog.gpu(spec)?.clone();
    let m = catalog
        .models
        .get(name)
        .ok_or_else(|| format!("the catalog has no model {name} (for {model})"))?;
    let (c, _) = catalog.perf(key, tp)?;
    let im = IterationModel::new(&gpu, m, tp, c);
    Ok((gpu, im))
}

/// Usable A100 rows, their (model, TP) groups, rows excluded for power 0 and as outliers.
type PowerObs = (Vec<Obs>, Vec<(String, u32)>, usize, usize);

/// The usable A100 rows as observations, the (model, TP) groups and the exclusion counts.
fn power_obs(shown: &str, rows: &[(u64, Row)], catalog: &Catalog) -> Result<PowerObs, String> {
    let a100: Vec<&(u64, Row)> = rows
        .iter()
        .filter(|(_, r)| r.hardware == POWER_HARDWARE)
        .collect();
    let config = |r: &Row| {
        (
            r.tensor_parallel,
            r.model.clone(),
            r.prompt_size,
            r.batch_size,
            r.token_size,
        )
    };
    let mut configs: Vec<_> = a100.iter().map(|(_, r)| config(r)).collect();
    configs.sort();
    configs.dedup();
    let mut groups: Vec<(String, u32)> = Vec::new();
    let mut models = BTreeMap::new();
    let (mut obs, mut zero, mut outliers) = (Vec::new(), 0, 0);
    for (line, r) in a100 {
        let bad = |what: &str| format!("{shown}:{line}: {what}");
        let (Some(avg), Some(peak), Some(e2e)) = (r.average_power, r.peak_power, r.e2e_time) else {
            return Err(bad("empty average_power, peak_power or e2e_time"));
        };
        if !(avg.is_finite() && avg >= 0.0 && peak.is_finite() && peak >= 0.0) {
            return Err(bad("average_power and peak_power must be finite and >= 0"));
        }
        if avg == 0.0 {
            zero += 1;
            continue;
        }
        if OUTLIERS.contains(&(r.model.as_str(), r.prompt_size)) {
            outliers += 1;
            continue;
        }
        if !(e2e.is_finite() && e2e >= r.prompt_time) {
            return Err(bad("e2e_time must be finite and at least prompt_time"));
        }
        let key = (r.model.clone(), r.tensor_parallel);
        if !models.contains_key(&key) {
            let m = model_for(catalog, POWER_HARDWARE, &r.model, r.tensor_parallel)?;
            models.insert(key.clone(), m);
        }
        let (gpu, im) = &models[&key];
        let group = match groups.iter().position(|g| *g == key) {
            Some(i) => i,
            None => {
                groups.push(key);
                groups.len() - 1
            }
        };
        // Index among the configurations of the same TP, as in the time fit.
        let first = configs.partition_point(|c| c.0 < r.tensor_parallel);
        let index = configs.partition_point(|c| *c < config(r)) - first;
        let (prompt, token) = measured_shapes(r.prompt_size, r.batch_size, r.token_size);
        obs.push(Obs {
            group,
            train: index % 3 != 2,
            idle_share: gpu.idle_w / gpu.tdp_w,
            w_prefill: r.prompt_time / e2e,
            prefill: utilisations(im, &prompt),
            decode: utilisations(im, &token),
            average: avg,
            peak,
        });
    }
    if !obs.iter().any(|o| o.train) {
        return Err(format!(
            "{shown}: no usable {POWER_HARDWARE} rows with power"
        ));
    }
    Ok((obs, groups, zero, outliers))
}

/// Sum of squared relative errors on the training rows of the average power and of the
/// peak power (taken as the prefill phase's power: the request's average alone is mostly
/// decode and leaves the compute coefficient loose).
fn objective(obs: &[Obs], c: &PowerCoeffs) -> f64 {
    obs.iter()
        .filter(|o| o.train)
        .map(|o| {
            ((o.average_model(c) - o.average) / o.average).powi(2)
                + ((o.phase(c, o.prefill) - o.peak) / o.peak).powi(2)
        })
        .sum()
}

/// Least-squares `compute`, `memory` >= 0 (unrounded): grid, then compass search.
fn fit_activity(obs: &[Obs]) -> (f64, f64) {
    let at = |x: f64, y: f64| PowerCoeffs {
        compute: x,
        memory: y,
        dvfs_exponent: 1.0,
    };
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for i in 0..=80 {
        for j in 0..=60 {
            let (x, y) = (0.05 * f64::from(i), 0.05 * f64::from(j));
            let e = objective(obs, &at(x, y));
            if e < best.0 {
                best = (e, x, y);
            }
        }
    }
    let mut step = 0.025;
    while step >= 1e-5 {
        let mut improved = true;
        while improved {
            improved = false;
            for (dx, dy) in [(1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0)] {
                let (x, y) = (best.1 + dx * step, best.2 + dy * step);
                if x < 0.0 || y < 0.0 {
                    continue;
                }
                let e = objective(obs, &at(x, y));
                if e < best.0 {
                    best = (e, x, y);
                    improved = true;
                }
            }
        }
        step /= 2.0;
    }
    (best.1, best.2)
}

/// Mean of the measured and the modelled values of the pairs, and their MAPE.
fn compare(pairs: impl Iterator<Item = (f64, f64)>) -> (f64, f64, f64) {
    let (mut n, mut y, mut m, mut ape) = (0.0, 0.0, 0.0, 0.0);
    for (yi, mi) in pairs {
        n += 1.0;
        y += yi;
        m += mi;
        ape += ((mi - yi) / yi).abs();
    }
    (y / n, m / n, ape / n)
}

/// The configurations measured on both H100 servers: the shapes and the measured
/// slowdowns, with the iteration model of each (model, TP).
#[allow(clippy::type_complexity)]
fn cap_pairs(
    rows: &[(u64, Row)],
    catalog: &Catalog,
) -> Result<
    (
        GpuSpec,
        Vec<(CapConfig, IterationModel, BatchShape, BatchShape)>,
    ),
    String,
> {
    // (model, TP, p, b, t) -> per server: sums of prompt and token time, count.
    let mut sums: BTreeMap<(String, u32, u64, u64, u64), [(f64, f64, f64); 2]> = BTreeMap::new();
    for (_, r) in rows {
        let Some(k) = [CAP_PAIR.0, CAP_PAIR.1]
            .iter()
            .position(|h| *h == r.hardware)
        else {
            continue;
        };
        let key = (
            r.model.clone(),
            r.tensor_parallel,
            r.prompt_size,
            r.batch_size,
            r.token_size,
        );
        let s = &mut sums.entry(key).or_default()[k];
        *s = (s.0 + r.prompt_time, s.1 + r.token_time, s.2 + 1.0);
    }
    let mut gpu = None;
    let mut out = Vec::new();
    for ((model, tp, p, b, t), [u, c]) in sums {
        if u.2 == 0.0 || c.2 == 0.0 {
            continue;
        }
        let (g, im) = model_for(catalog, CAP_PAIR.0, &model, tp)?;
        gpu = Some(g);
        let (prompt, token) = measured_shapes(p, b, t);
        let cfg = CapConfig {
            model,
            tp,
            size: (p, b, t),
            prefill: ((c.0 / c.2) / (u.0 / u.2), 1.0),
            decode: ((c.1 / c.2) / (u.1 / u.2), 1.0),
        };
        out.push((cfg, im, prompt, token));
    }
    let gpu = gpu.ok_or_else(|| {
        format!(
            "no configuration measured on both {} and {}",
            CAP_PAIR.0, CAP_PAIR.1
        )
    })?;
    Ok((gpu, out))
}

/// Modelled power of the reference shapes on the GPUs of [`PUBLISHED`].
fn reference(catalog: &Catalog, c: &PowerCoeffs) -> Result<Vec<PhasePower>, String> {
    let (model, tp, p, b, ctx) = REFERENCE;
    let spec = catalog
        .models
        .get(model)
        .ok_or_else(|| format!("the catalog has no model {model}"))?;
    let prefill = BatchShape {
        prefill_tokens: p,
        prefill_attn: (p * p) as f64 / 2.0,
        ..BatchShape::default()
    };
    let decode = BatchShape {
        decode_seqs: b,
        decode_ctx: b * ctx,
        ..BatchShape::default()
    };
    PUBLISHED
        .iter()
        .map(|&(name, idle, pre, dec)| {
            let gpu = catalog.gpu(name)?;
            let im = IterationModel::new(gpu, spec, tp, catalog.perf(name, tp)?.0);
            Ok(PhasePower {
                gpu: name.to_string(),
                model_w: (
                    gpu.idle_w,
                    busy_power_w(c, gpu, &im, &prefill),
                    busy_power_w(c, gpu, &im, &decode),
                ),
                published_w: (idle, pre, dec),
            })
        })
        .collect()
}

/// Fits [`PowerCoeffs`] on the Splitwise data in `csv_path` (see the
/// [module documentation](self)), with GPU, model and iteration-time figures from `catalog`
/// (e.g. [`Catalog::builtin`]) under the names of [`HARDWARE`] and [`MODELS`].
///
/// # Errors
/// The file cannot be read or lacks a column (`peak_power`, `average_power`, `e2e_time`
/// besides those of the time fit); a row is malformed or out of range (the message names
/// the file and line); the catalog lacks a GPU, model or calibrated coefficients the data
/// needs; no usable A100 row or no configuration measured on both H100 servers.
pub fn fit_power(csv_path: &Path, catalog: &Catalog) -> Result<PowerFit, String> {
    let shown = csv_path.display().to_string();
    let (rows, _) = read_rows(csv_path, &["peak_power", "average_power", "e2e_time"])?;
    let (obs, keys, excluded_zero, excluded_outliers) = power_obs(&shown, &rows, catalog)?;
    let r = |x| round_sig(x, SIGNIFICANT_DIGITS);
    let (compute, memory) = fit_activity(&obs);
    let mut coeffs = PowerCoeffs {
        compute: r(compute),
        memory: r(memory),
        dvfs_exponent: 1.0,
    };
    let (gpu, mut cap) = cap_pairs(&rows, catalog)?;
    let limit = CAP_SHARE * gpu.tdp_w;
    let log_err = |k: f64| {
        let c = PowerCoeffs {
            dvfs_exponent: k,
            ..coeffs
        };
        cap.iter()
            .map(|(cfg, im, s, _)| {
                (capped_slowdown(&c, &gpu, im, s, limit) / cfg.prefill.0)
                    .ln()
                    .powi(2)
            })
            .sum::<f64>()
    };
    let mut best = (f64::INFINITY, 1.0);
    for i in 500..=4000 {
        let k = f64::from(i) / 1000.0;
        let e = log_err(k);
        if e < best.0 {
            best = (e, k);
        }
    }
    coeffs.dvfs_exponent = r(best.1);
    for (cfg, im, prompt, token) in &mut cap {
        cfg.prefill.1 = capped_slowdown(&coeffs, &gpu, im, prompt, limit);
        cfg.decode.1 = capped_slowdown(&coeffs, &gpu, im, token, limit);
    }
    let mape_of = |sel: &dyn Fn(&Obs) -> bool| {
        let m = |train: bool| {
            compare(
                obs.iter()
                    .filter(|o| sel(o) && o.train == train)
                    .map(|o| (o.average, o.average_model(&coeffs))),
            )
            .2
        };
        Mape {
            train: m(true),
            test: m(false),
        }
    };
    let mut groups: Vec<PowerGroup> = keys
        .iter()
        .enumerate()
        .map(|(gi, (model, tp))| {
            let of = |o: &&Obs| o.group == gi;
            let (peak_measured, peak_model, peak_mape) = compare(
                obs.iter()
                    .filter(of)
                    .map(|o| (o.peak, o.phase(&coeffs, o.prefill))),
            );
            PowerGroup {
                model: model.clone(),
                tp: *tp,
                rows_train: obs.iter().filter(of).filter(|o| o.train).count(),
                rows_test: obs.iter().filter(of).filter(|o| !o.train).count(),
                average_mape: mape_of(&|o| o.group == gi),
                peak_measured,
                peak_model,
                peak_mape,
            }
        })
        .collect();
    groups.sort_by(|a, b| (&a.model, a.tp).cmp(&(&b.model, b.tp)));
    Ok(PowerFit {
        coeffs,
        groups,
        rows_used: obs.len(),
        excluded_zero,
        excluded_outliers,
        average_mape: mape_of(&|_| true),
        cap_w: limit,
        cap: cap.into_iter().map(|(cfg, ..)| cfg).collect(),
        reference: reference(catalog, &coeffs)?,
    })
}

impl PowerFit {
    /// Mean measured and modelled prefill and decode slowdowns at the cap, and their MAPEs:
    /// `((prefill measured, model, MAPE), (decode measured, model, MAPE))`.
    pub fn cap_summary(&self) -> ((f64, f64, f64), (f64, f64, f64)) {
        (
            compare(self.cap.iter().map(|c| c.prefill)),
            compare(self.cap.iter().map(|c| c.decode)),
        )
    }

    /// A text report for the terminal: coefficients, exclusions, errors per (model, TP), the
    /// cap slowdowns and the reference per-phase power.
    pub fn table(&self) -> String {
        let c = &self.coeffs;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Power model fit (src/domain/facility/power_fit.rs): compute = {}, memory = {}, \
             dvfs_exponent = {}\n\
             Average power of {POWER_HARDWARE} requests ({} rows used; excluded {} with power 0 \
             and {} outliers: llama2-70b 8192-token prompts at ~0.17 of TDP). Held out: every \
             third configuration, as the time fit. Peak: predicted prefill power vs peak_power.\n",
            c.compute,
            c.memory,
            c.dvfs_exponent,
            self.rows_used,
            self.excluded_zero,
            self.excluded_outliers
        );
        let _ = writeln!(
            s,
            "{:<12} {:>3}  {:>10}  {:>17}  {:>22}",
            "model", "TP", "rows tr/te", "avg MAPE tr/te", "peak meas/model (MAPE)"
        );
        for g in &self.groups {
            let _ = writeln!(
                s,
                "{:<12} {:>3}  {:>10}  {:>17}  {:>22}",
                g.model,
                g.tp,
                format!("{}/{}", g.rows_train, g.rows_test),
                format!(
                    "{} / {} %",
                    pct(g.average_mape.train),
                    pct(g.average_mape.test)
                ),
                format!(
                    "{:.2} / {:.2} ({} %)",
                    g.peak_measured,
                    g.peak_model,
                    pct(g.peak_mape)
                ),
            );
        }
        let a = self.average_mape;
        let _ = writeln!(
            s,
            "{:<12} {:>3}  {:>10}  {} / {} %",
            "all",
            "",
            "",
            pct(a.train),
            pct(a.test)
        );
        let (p, d) = self.cap_summary();
        let _ = writeln!(
            s,
            "\nCap at {:.0} W per GPU ({} vs {}, {} configurations): mean slowdown measured / \
             model (MAPE): prefill {:.3} / {:.3} ({} %), decode {:.3} / {:.3} ({} %)",
            self.cap_w,
            CAP_PAIR.1,
            CAP_PAIR.0,
            self.cap.len(),
            p.0,
            p.1,
            pct(p.2),
            d.0,
            d.1,
            pct(d.2)
        );
        let (m, tp, pr, b, ctx) = REFERENCE;
        let _ = writeln!(
            s,
            "\nPer-GPU power [W] model (published): {m} TP{tp}, prefill 1 x {pr} tokens, decode \
             {b} x {ctx} context"
        );
        for r in &self.reference {
            let _ = writeln!(
                s,
                "  {:<14} idle {:.0} ({:.0})  prefill {:.0} ({:.0})  decode {:.0} ({:.0})",
                r.gpu,
                r.model_w.0,
                r.published_w.0,
                r.model_w.1,
                r.published_w.1,
                r.model_w.2,
                r.published_w.2
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_csv(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    const HEADER: &str = "model,hardware,prompt_size,batch_size,token_size,peak_power,\
                          average_power,prompt_time,token_time,e2e_time,tensor_parallel\n";

    #[test]
    fn bad_input_names_file_and_line() {
        let cat = Catalog::builtin();
        let f = write_csv(
            "model,hardware,prompt_size,batch_size,token_size,prompt_time,token_time,tensor_parallel\n\
             llama2-70b,a100-80gb,512,1,128,80.0,30.0,2\n",
        );
        let e = fit_power(f.path(), &cat).unwrap_err();
        assert!(e.contains(":1: missing column peak_power"), "{e}");
        let f = write_csv(&format!(
            "{HEADER}llama2-70b,a100-80gb,512,1,128,1.0,0.7,196,55,7168,2\n\
             llama2-70b,a100-80gb,512,1,128,1.0,-0.7,196,55,7168,2\n"
        ));
        let e = fit_power(f.path(), &cat).unwrap_err();
        assert!(
            e.contains(&format!("{}:3: average_power", f.path().display())),
            "{e}"
        );
        let f = write_csv(&format!(
            "{HEADER}llama2-70b,a100-80gb,512,1,128,1.0,0.7,196,55,100,2\n"
        ));
        let e = fit_power(f.path(), &cat).unwrap_err();
        assert!(e.contains(":2: e2e_time"), "{e}");
        // No H100 pair: the exponent cannot be fitted.
        let f = write_csv(&format!(
            "{HEADER}llama2-70b,a100-80gb,512,1,128,1.0,0.7,196,55,7168,2\n"
        ));
        let e = fit_power(f.path(), &cat).unwrap_err();
        assert!(e.contains("no configuration measured on both"), "{e}");
    }
}
