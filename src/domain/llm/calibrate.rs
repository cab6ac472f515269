//! Calibration of the iteration-time roofline ([`super::perf`]) on measured data.
//!
//! # Data
//! The Splitwise profiling table (`catalog/calibration/splitwise/perf_model.csv`, MIT
//! licence, Patel et al., "Splitwise: Efficient Generative LLM Inference Using Phase
//! Splitting", ISCA 2024): llama2-70b at TP 2, 4, 8 and bloom-176b at TP 8 on DGX-A100,
//! DGX-H100 and power-capped DGX-H100 servers. Each row is one request configuration
//! (`prompt_size` p, `batch_size` b, `token_size` t): `prompt_time` [ms] is the prefill of
//! the whole batch (p·b tokens), `token_time` [ms] one decode iteration of b sequences.
//! Every configuration is repeated 5 or 15 times.
//!
//! A prompt measurement is the shape `prefill_tokens = p·b`, `prefill_attn = b·p²/2`; a
//! token measurement is `decode_seqs = b`, `decode_ctx = b·(p + t/2)` (the mean context over
//! the decode). Hardware and model names of the data map to catalog names through
//! [`HARDWARE`] and [`MODELS`].
//!
//! # Split, exclusions
//! - Groups: one per (hardware, TP), pooled over the models measured there, so that the
//!   coefficients are model-agnostic.
//! - Held out: within a group, the distinct configurations sorted by (model, p, b, t); every
//!   third one (indices 2, 5, 8, ...) with all its repeats is the test set; repeats are never
//!   split between train and test.
//! - Excluded: a row whose prompt or token time is shorter than its model FLOPs at 100 % of
//!   the replica's dense BF16 peak (implied MFU > 1) is physically impossible and is dropped
//!   from train and test (both of its times: they are one run). No other row is dropped.
//!
//! # Fit
//! Minimises the sum of squared relative errors of both times over the training rows:
//! - `layer_overhead_s`, `prefill_layer_overhead_s`, `per_seq_s` enter the time linearly:
//!   for given other coefficients they are the closed-form non-negative least-squares
//!   solution (every support set of the three, the best feasible one);
//! - `mfu`, `mfu_large`, `knee_tokens` per group, `mbu` and `comm_util` per hardware (shared
//!   by its TP groups: with one model per group below TP 8, HBM and interconnect
//!   utilisations are not separable from the overheads and the MFU, while they are
//!   properties of the hardware; the pooled TP 8 group pins them): a grid search
//!   (utilisations on a 0.05 to 0.1 grid, knee in {1024, 2048, 4096} tokens), then a
//!   compass search down to steps of 0.0025, with the knee moves tried at every step.
//! - Bounds: `mfu` and `mfu_large` in [0.05, 0.8] (no serving stack sustains more of the
//!   dense BF16 peak; within one model the MFU and the all-reduce term both grow with the
//!   tokens, and the bound keeps their split physical), `mfu_large <= mfu`, `mbu` in
//!   [0.3, 1], `comm_util` in [0.05, 1], times >= 0.
//!
//! # Why these coefficients
//! A plain roofline (one fixed `overhead_s`, MFU with a knee, MBU, per-sequence time, the
//! all-reduce at datasheet bandwidth) fits each single-model group within 2 to 8 % held-out
//! but misses the pooled TP 8 groups of the H100s (11 and 13 % held-out on prompt time;
//! 9 % on A100 token time): bloom-176b's 2.5x weights
//! cost far less than 2.5x llama2-70b's decode time, and its prefill runs at a higher MFU.
//! Three physical refinements close the gap without a per-model coefficient:
//! - overheads per layer (80 vs 70 layers) instead of per iteration, which also scales them
//!   down for smaller models;
//! - an extra per-layer overhead for iterations that prefill (short prompts cost ~20 ms
//!   more than a decode step of the same weights read);
//! - a fitted interconnect utilisation of the all-reduces (`comm_util`), whose traffic per
//!   token grows with `layers·hidden` rather than with the parameters (llama2-70b moves
//!   relatively more activations per FLOP than bloom-176b).
//!
//! In the stored fit, some bounds are active: `mfu` = 0.8 on H100 at TP 4 and 8, `mbu` = 1
//! on A100 (its bloom-176b decode is barely slower than llama2-70b's).
//!
//! Every coefficient is then rounded to [`SIGNIFICANT_DIGITS`] significant digits, and the
//! MAPEs are those of the rounded coefficients. The search is deterministic (fixed grids and
//! move order, strict improvements only), so a fit of the same data reproduces
//! `catalog/calibration.toml` byte for byte.

use super::catalog::{Catalog, GpuSpec, ModelSpec};
use super::perf::{BatchShape, IterationModel, PerfCoeffs, PerfTable};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Default location of the measured data, relative to the repository root.
pub const DEFAULT_DATA: &str = "catalog/calibration/splitwise/perf_model.csv";

/// Significant digits of the stored coefficients.
pub const SIGNIFICANT_DIGITS: usize = 4;

/// Hardware of the data: (name in the data, key of its coefficients in
/// `catalog/calibration.toml`, catalog GPU whose datasheet figures the roofline uses).
/// The power-capped H100 runs on the H100 datasheet; its coefficients absorb the cap.
pub const HARDWARE: [(&str, &str, &str); 3] = [
    ("a100-80gb", "a100-80gb-sxm", "a100-80gb-sxm"),
    ("h100-80gb", "h100-sxm", "h100-sxm"),
    ("h100-80gb-pcap", "h100-sxm-pcap70", "h100-sxm"),
];

/// Models of the data: (name in the data, catalog model name).
pub const MODELS: [(&str, &str); 2] = [("llama2-70b", "llama-2-70b"), ("bloom-176b", "bloom-176b")];

/// Mean absolute percentage error of the model on the training and the held-out rows
/// [fraction: 0.05 is 5 %]. NaN when a set is empty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mape {
    /// On the training rows.
    pub train: f64,
    /// On the held-out rows.
    pub test: f64,
}

/// A row dropped as physically impossible.
#[derive(Debug, Clone, PartialEq)]
pub struct ExcludedRow {
    /// Line in the CSV file (1 is the header).
    pub line: u64,
    /// Model (name in the data).
    pub model: String,
    /// Prompt tokens per sequence.
    pub prompt_size: u64,
    /// Sequences in the batch.
    pub batch_size: u64,
    /// Generated tokens per sequence.
    pub token_size: u64,
    /// Which time was impossible: `"prompt"` or `"token"`.
    pub phase: &'static str,
    /// Model FLOPs / (replica peak x measured time): > 1.
    pub implied_mfu: f64,
}

/// The fit of one (hardware, TP) group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFit {
    /// Hardware name in the data.
    pub hardware: String,
    /// Key of the coefficients in `catalog/calibration.toml` (a catalog GPU name).
    pub gpu: String,
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Models pooled in the group (names in the data).
    pub models: Vec<String>,
    /// The fitted coefficients (rounded as stored).
    pub coeffs: PerfCoeffs,
    /// Rows used for the fit.
    pub rows_train: usize,
    /// Held-out rows.
    pub rows_test: usize,
    /// Rows dropped as physically impossible.
    pub excluded: Vec<ExcludedRow>,
    /// MAPE of `prompt_time`.
    pub prompt_mape: Mape,
    /// MAPE of `token_time`.
    pub token_mape: Mape,
}

/// The result of [`calibrate`]: one fit per (hardware, TP) group, in (hardware, TP) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// File name of the data (without its folder).
    pub data_name: String,
    /// SHA-256 of the data file, hex.
    pub data_sha256: String,
    /// Rows read.
    pub rows: usize,
    /// The groups.
    pub groups: Vec<GroupFit>,
}

/// One CSV row as read (extra columns are ignored). Times in ms; the power columns are
/// fractions of the GPUs' TDP, `None` when the file has no such column (they are required
/// only by the power fit, [`crate::domain::facility::power_fit`]).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct Row {
    pub(crate) model: String,
    pub(crate) hardware: String,
    pub(crate) prompt_size: u64,
    pub(crate) batch_size: u64,
    pub(crate) token_size: u64,
    pub(crate) prompt_time: f64,
    pub(crate) token_time: f64,
    pub(crate) tensor_parallel: u32,
    #[serde(default)]
    pub(crate) peak_power: Option<f64>,
    #[serde(default)]
    pub(crate) average_power: Option<f64>,
    #[serde(default)]
    pub(crate) e2e_time: Option<f64>,
}

/// One measured time with its shape.
#[derive(Debug, Clone, Copy)]
struct Obs {
    /// Index into the group's models.
    model: usize,
    shape: BatchShape,
    /// Measured time [s].
    y: f64,
    /// The columns of the linear coefficients: layers (`layer_overhead_s`), decode sequences
    /// (`per_seq_s`), layers if prefilling (`prefill_layer_overhead_s`).
    x: [f64; 3],
    prompt: bool,
    train: bool,
}

/// The data of one group, ready to fit.
struct Group {
    hardware: &'static str,
    key: &'static str,
    tp: u32,
    gpu: GpuSpec,
    model_names: Vec<String>,
    models: Vec<ModelSpec>,
    obs: Vec<Obs>,
    /// Gram matrix of the linear columns over the training observations, weights 1/y².
    gram: [[f64; 3]; 3],
    rows_train: usize,
    rows_test: usize,
    excluded: Vec<ExcludedRow>,
}

/// Grid unit of the utilisations: 0.0025.
const UNITS: f64 = 400.0;
const MFU_MIN: i32 = 20; // 0.05
const MFU_MAX: i32 = 320; // 0.8
const MBU_MIN: i32 = 120; // 0.3
const CU_MIN: i32 = 20; // 0.05
const UTIL_MAX: i32 = 400; // 1.0
/// Candidate knees [tokens].
const KNEES: [f64; 3] = [1024.0, 2048.0, 4096.0];
/// Coarse grids, in units of 0.0025.
const MFU_GRID: [i32; 15] = [
    40, 60, 80, 100, 120, 140, 160, 180, 200, 220, 240, 260, 280, 300, 320,
];
const MBU_GRID: [i32; 6] = [200, 240, 280, 320, 360, 400];
const CU_GRID: [i32; 7] = [40, 80, 120, 160, 200, 280, 400];
/// Compass steps, in units of 0.0025.
const STEPS: [i32; 5] = [16, 8, 4, 2, 1];

/// The non-linear coefficients of one group.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Nonlinear {
    mfu: i32,
    mfu_large: i32,
    knee: usize,
}

/// The non-linear coefficients of one hardware: shared ones and per group.
#[derive(Debug, Clone, PartialEq)]
struct State {
    mbu: i32,
    cu: i32,
    groups: Vec<Nonlinear>,
}

fn units(u: i32) -> f64 {
    f64::from(u) / UNITS
}

impl Group {
    /// Coefficients with the given non-linear part and linear part `lin`.
    fn coeffs(&self, mbu: i32, cu: i32, nl: Nonlinear, lin: [f64; 3]) -> PerfCoeffs {
        PerfCoeffs {
            mfu: units(nl.mfu),
            mfu_large: units(nl.mfu_large),
            knee_tokens: KNEES[nl.knee],
            mbu: units(mbu),
            comm_util: units(cu),
            layer_overhead_s: lin[0],
            prefill_layer_overhead_s: lin[2],
            per_seq_s: lin[1],
        }
    }

    fn models(&self, c: PerfCoeffs) -> Vec<IterationModel> {
        self.models
            .iter()
            .map(|m| IterationModel::new(&self.gpu, m, self.tp, c))
            .collect()
    }

    /// Training objective (sum of squared relative errors) at the best linear part, and
    /// that linear part.
    fn objective(&self, mbu: i32, cu: i32, nl: Nonlinear) -> (f64, [f64; 3]) {
        let ims = self.models(self.coeffs(mbu, cu, nl, [0.0; 3]));
        let mut r = [0.0; 3];
        let mut s = 0.0;
        for o in self.obs.iter().filter(|o| o.train) {
            let d = o.y - ims[o.model].time_s(&o.shape);
            let w = 1.0 / (o.y * o.y);
            s += w * d * d;
            for (rk, xk) in r.iter_mut().zip(o.x) {
                *rk += w * xk * d;
            }
        }
        nnls3(&self.gram, &r, s)
    }

    /// Best (knee, mfu, mfu_large) of the coarse grid for given shared coefficients.
    fn coarse(&self, mbu: i32, cu: i32) -> (f64, Nonlinear) {
        let mut best = (
            f64::INFINITY,
            Nonlinear {
                mfu: 0,
                mfu_large: 0,
                knee: 0,
            },
        );
        for knee in 0..KNEES.len() {
            for &mfu in &MFU_GRID {
                for &mfu_large in MFU_GRID.iter().take_while(|&&l| l <= mfu) {
                    let nl = Nonlinear {
                        mfu,
                        mfu_large,
                        knee,
                    };
                    let (e, _) = self.objective(mbu, cu, nl);
                    if e < best.0 {
                        best = (e, nl);
                    }
                }
            }
        }
        best
    }

    /// MAPE of prompt and token times with coefficients `c`.
    fn mape(&self, c: PerfCoeffs) -> (Mape, Mape) {
        let ims = self.models(c);
        // [prompt, token] x [train, test]: (sum of |error|/y, count)
        let mut acc = [[(0.0, 0usize); 2]; 2];
        for o in &self.obs {
            let ape = (ims[o.model].time_s(&o.shape) - o.y).abs() / o.y;
            let a = &mut acc[usize::from(!o.prompt)][usize::from(!o.train)];
            a.0 += ape;
            a.1 += 1;
        }
        let m = |a: [(f64, usize); 2]| Mape {
            train: a[0].0 / a[0].1 as f64,
            test: a[1].0 / a[1].1 as f64,
        };
        (m(acc[0]), m(acc[1]))
    }
}

/// Solves the `n x n` system `a·x = b` (Gaussian elimination, partial pivoting); None if
/// singular.
fn solve(n: usize, mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let (top, rest) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (row, ar) in rest[..n - col - 1].iter_mut().enumerate() {
            let f = ar[col] / pivot_row[col];
            for (x, p) in ar[col..n].iter_mut().zip(&pivot_row[col..n]) {
                *x -= f * p;
            }
            b[col + 1 + row] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for col in (0..n).rev() {
        let mut v = b[col];
        for k in col + 1..n {
            v -= a[col][k] * x[k];
        }
        x[col] = v / a[col][col];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Non-negative least squares in 3 unknowns from the normal equations: minimises
/// `s − 2·cᵀr + cᵀGc` over `c >= 0` by solving on every support set and keeping the best
/// feasible solution (the optimum is the unconstrained solution on its own support).
fn nnls3(g: &[[f64; 3]; 3], r: &[f64; 3], s: f64) -> (f64, [f64; 3]) {
    let mut best = (s, [0.0; 3]);
    for mask in 1u8..8 {
        let idx: Vec<usize> = (0..3).filter(|i| mask >> i & 1 == 1).collect();
        let n = idx.len();
        let mut a = [[0.0; 3]; 3];
        let mut b = [0.0; 3];
        for (i, &gi) in idx.iter().enumerate() {
            b[i] = r[gi];
            for (j, &gj) in idx.iter().enumerate() {
                a[i][j] = g[gi][gj];
            }
        }
        let Some(x) = solve(n, a, b) else { continue };
        if x[..n].iter().any(|&v| v < 0.0) {
            continue;
        }
        let mut c = [0.0; 3];
        for (i, &gi) in idx.iter().enumerate() {
            c[gi] = x[i];
        }
        let mut obj = s;
        for i in 0..3 {
            obj -= 2.0 * c[i] * r[i];
            for j in 0..3 {
                obj += c[i] * g[i][j] * c[j];
            }
        }
        if obj < best.0 {
            best = (obj, c);
        }
    }
    best
}

/// Rounds to `digits` significant digits (through the decimal text, so the stored value is
/// exactly the printed one).
pub(crate) fn round_sig(x: f64, digits: usize) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{:.*e}", digits - 1, x)
        .parse()
        .expect("a formatted float parses")
}

fn round_coeffs(c: PerfCoeffs) -> PerfCoeffs {
    let r = |x| round_sig(x, SIGNIFICANT_DIGITS);
    PerfCoeffs {
        mfu: r(c.mfu),
        mfu_large: r(c.mfu_large),
        knee_tokens: c.knee_tokens,
        mbu: r(c.mbu),
        comm_util: r(c.comm_util),
        layer_overhead_s: r(c.layer_overhead_s),
        prefill_layer_overhead_s: r(c.prefill_layer_overhead_s),
        per_seq_s: r(c.per_seq_s),
    }
}

/// The model FLOPs of a shape (2 per active parameter per token plus attention).
fn model_flops(m: &ModelSpec, s: &BatchShape) -> f64 {
    let tokens = (s.prefill_tokens + s.decode_seqs) as f64;
    m.flops_per_token() * tokens
        + m.attention_flops_per_token_ctx() * (s.prefill_attn + s.decode_ctx as f64)
}

/// Reads the CSV into rows with their line numbers (1 is the header) and the file's
/// SHA-256 (hex). Columns `extra` are required besides the time columns.
///
/// # Errors
/// The file cannot be read; a column is missing; a row is malformed, out of range, or names
/// an unknown hardware or model (the message names the file and line).
pub(crate) fn read_rows(
    csv_path: &Path,
    extra: &[&str],
) -> Result<(Vec<(u64, Row)>, String), String> {
    let shown = csv_path.display();
    let bytes = std::fs::read(csv_path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let sha = Sha256::digest(&bytes);
    let sha_hex = sha.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    // Line numbers from byte offsets (the csv crate's own count is off for CRLF files).
    let newlines: Vec<u64> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i as u64)
        .collect();
    let line_of = |pos: Option<&csv::Position>| {
        pos.map_or(0, |p| {
            newlines.partition_point(|&n| n <= p.byte()) as u64 + 1
        })
    };
    let mut rdr = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let headers = rdr
        .headers()
        .map_err(|e| format!("{shown}: cannot read the header: {e}"))?
        .clone();
    for col in [
        "model",
        "hardware",
        "prompt_size",
        "batch_size",
        "token_size",
        "prompt_time",
        "token_time",
        "tensor_parallel",
    ]
    .iter()
    .chain(extra)
    {
        if !headers.iter().any(|h| h == *col) {
            return Err(format!("{shown}:1: missing column {col}"));
        }
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = line_of(e.position());
            format!("{shown}:{line}: {e}")
        })?;
        let line = line_of(rec.position());
        let row: Row = rec
            .deserialize(Some(&headers))
            .map_err(|e| format!("{shown}:{line}: {e}"))?;
        let bad = |what: &str| format!("{shown}:{line}: {what}");
        if row.prompt_size == 0 || row.batch_size == 0 || row.token_size == 0 {
            return Err(bad("prompt_size, batch_size and token_size must be >= 1"));
        }
        let positive = |t: f64| t.is_finite() && t > 0.0;
        if !positive(row.prompt_time) || !positive(row.token_time) {
            return Err(bad("prompt_time and token_time must be finite and > 0 ms"));
        }
        if row.prompt_size > MAX_SIZE || row.token_size > MAX_SIZE || row.batch_size > MAX_BATCH {
            return Err(bad(&format!(
                "prompt_size and token_size must be at most {MAX_SIZE} tokens and batch_size at most {MAX_BATCH}"
            )));
        }
        if !(1..=64).contains(&row.tensor_parallel) {
            return Err(bad("tensor_parallel must be from 1 to 64"));
        }
        if !HARDWARE.iter().any(|h| h.0 == row.hardware) {
            let known: Vec<&str> = HARDWARE.iter().map(|h| h.0).collect();
            return Err(bad(&format!(
                "unknown hardware {} (known: {})",
                row.hardware,
                known.join(", ")
            )));
        }
        if !MODELS.iter().any(|m| m.0 == row.model) {
            let known: Vec<&str> = MODELS.iter().map(|m| m.0).collect();
            return Err(bad(&format!(
                "unknown model {} (known: {})",
                row.model,
                known.join(", ")
            )));
        }
        rows.push((line, row));
    }
    if rows.is_empty() {
        return Err(format!("{shown}: no data rows"));
    }
    Ok((rows, sha_hex))
}

/// Largest prompt or output size of a measured row [tokens].
const MAX_SIZE: u64 = 10_000_000;
/// Largest batch of a measured row.
const MAX_BATCH: u64 = 100_000;

/// The iteration shapes of a measured row of `b` sequences of `p` prompt tokens generating
/// `t` tokens each (see the [module documentation](self)): the prefill of the whole batch
/// (`p·b` tokens, attention `b·p²/2`), and the mean decode iteration (`b` sequences at the
/// mid-decode context `p + t/2` each). Sizes are bounded on reading, so nothing overflows.
pub(crate) fn measured_shapes(p: u64, b: u64, t: u64) -> (BatchShape, BatchShape) {
    let prompt = BatchShape {
        prefill_tokens: p * b,
        prefill_attn: b as f64 * (p * p) as f64 / 2.0,
        decode_seqs: 0,
        decode_ctx: 0,
    };
    let token = BatchShape {
        prefill_tokens: 0,
        prefill_attn: 0.0,
        decode_seqs: b,
        decode_ctx: b * (2 * p + t) / 2,
    };
    (prompt, token)
}

/// Builds the group of `(hardware, tp)` from its rows.
fn build_group(
    catalog: &Catalog,
    hardware: &'static str,
    tp: u32,
    rows: &[&(u64, Row)],
) -> Result<Group, String> {
    let &(_, key, spec) = HARDWARE
        .iter()
        .find(|h| h.0 == hardware)
        .expect("hardware checked on reading");
    let gpu = catalog
        .gpus
        .get(spec)
        .ok_or_else(|| format!("the catalog has no GPU {spec} (for hardware {hardware})"))?
        .clone();
    let mut model_names: Vec<String> = rows.iter().map(|(_, r)| r.model.clone()).collect();
    model_names.sort();
    model_names.dedup();
    let models = model_names
        .iter()
        .map(|n| {
            let cat = MODELS
                .iter()
                .find(|m| m.0 == n)
                .expect("model checked on reading")
                .1;
            catalog
                .models
                .get(cat)
                .cloned()
                .ok_or_else(|| format!("the catalog has no model {cat} (for {n})"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let config = |r: &Row| (r.model.clone(), r.prompt_size, r.batch_size, r.token_size);
    let mut configs: Vec<_> = rows.iter().map(|(_, r)| config(r)).collect();
    configs.sort();
    configs.dedup();
    let peak = f64::from(tp) * gpu.bf16_tflops * 1e12;
    let mut g = Group {
        hardware,
        key,
        tp,
        gpu,
        model_names,
        models,
        obs: Vec::new(),
        gram: [[0.0; 3]; 3],
        rows_train: 0,
        rows_test: 0,
        excluded: Vec::new(),
    };
    for (line, r) in rows {
        let mi = g
            .model_names
            .iter()
            .position(|n| *n == r.model)
            .expect("listed");
        let m = &g.models[mi];
        let index = configs.binary_search(&config(r)).expect("listed");
        let train = index % 3 != 2;
        let (p, b, t) = (r.prompt_size, r.batch_size, r.token_size);
        let (prompt, token) = measured_shapes(p, b, t);
        let (prompt_s, token_s) = (r.prompt_time / 1e3, r.token_time / 1e3);
        let implied = [
            ("prompt", model_flops(m, &prompt) / (peak * prompt_s)),
            ("token", model_flops(m, &token) / (peak * token_s)),
        ];
        if let Some(&(phase, implied_mfu)) = implied.iter().find(|(_, u)| *u > 1.0) {
            g.excluded.push(ExcludedRow {
                line: *line,
                model: r.model.clone(),
                prompt_size: p,
                batch_size: b,
                token_size: t,
                phase,
                implied_mfu,
            });
            continue;
        }
        if train {
            g.rows_train += 1;
        } else {
            g.rows_test += 1;
        }
        let layers = f64::from(m.layers);
        for (shape, y, is_prompt) in [(prompt, prompt_s, true), (token, token_s, false)] {
            let x = [
                layers,
                shape.decode_seqs as f64,
                if is_prompt { layers } else { 0.0 },
            ];
            g.obs.push(Obs {
                model: mi,
                shape,
                y,
                x,
                prompt: is_prompt,
                train,
            });
        }
    }
    for o in g.obs.iter().filter(|o| o.train) {
        let w = 1.0 / (o.y * o.y);
        for i in 0..3 {
            for j in 0..3 {
                g.gram[i][j] += w * o.x[i] * o.x[j];
            }
        }
    }
    if g.rows_train == 0 {
        return Err(format!(
            "{hardware} TP{tp}: no training rows left after the exclusions"
        ));
    }
    Ok(g)
}

/// Moves of one group's coefficients per compass step: mfu, mfu_large, both, each up and
/// down, and the two other knees.
const GROUP_MOVES: usize = 8;

/// Move `k` (< [`GROUP_MOVES`]) from `cur` with a step of `step` units.
fn group_move(cur: Nonlinear, k: usize, step: i32) -> Nonlinear {
    let dir = if k.is_multiple_of(2) { step } else { -step };
    match k {
        0 | 1 => Nonlinear {
            mfu: cur.mfu + dir,
            ..cur
        },
        2 | 3 => Nonlinear {
            mfu_large: cur.mfu_large + dir,
            ..cur
        },
        4 | 5 => Nonlinear {
            mfu: cur.mfu + dir,
            mfu_large: cur.mfu_large + dir,
            ..cur
        },
        _ => Nonlinear {
            knee: (cur.knee + k - 5) % KNEES.len(),
            ..cur
        },
    }
}

/// Fits the groups of one hardware (shared `mbu`, `comm_util`); returns the state.
fn fit_hardware(groups: &[Group]) -> State {
    // Coarse grid: for each shared pair, each group's best grid point.
    let mut best: Option<(f64, State)> = None;
    for &mbu in &MBU_GRID {
        for &cu in &CU_GRID {
            let mut total = 0.0;
            let mut nls = Vec::with_capacity(groups.len());
            for g in groups {
                let (e, nl) = g.coarse(mbu, cu);
                total += e;
                nls.push(nl);
            }
            if best.as_ref().is_none_or(|(b, _)| total < *b) {
                best = Some((
                    total,
                    State {
                        mbu,
                        cu,
                        groups: nls,
                    },
                ));
            }
        }
    }
    let (_, mut state) = best.expect("non-empty grids");
    let mut errs: Vec<f64> = groups
        .iter()
        .zip(&state.groups)
        .map(|(g, &nl)| g.objective(state.mbu, state.cu, nl).0)
        .collect();
    // Compass search: first improvement in a fixed move order, then a smaller step.
    for &step in &STEPS {
        loop {
            let mut improved = false;
            // Shared coefficients: every group changes.
            for (which, dir) in [(0, 1), (0, -1), (1, 1), (1, -1)] {
                let (mbu, cu) = if which == 0 {
                    (state.mbu + dir * step, state.cu)
                } else {
                    (state.mbu, state.cu + dir * step)
                };
                if !(MBU_MIN..=UTIL_MAX).contains(&mbu) || !(CU_MIN..=UTIL_MAX).contains(&cu) {
                    continue;
                }
                let new: Vec<f64> = groups
                    .iter()
                    .zip(&state.groups)
                    .map(|(g, &nl)| g.objective(mbu, cu, nl).0)
                    .collect();
                if new.iter().sum::<f64>() < errs.iter().sum::<f64>() {
                    state.mbu = mbu;
                    state.cu = cu;
                    errs = new;
                    improved = true;
                }
            }
            // Per-group coefficients: only that group changes.
            for (gi, g) in groups.iter().enumerate() {
                for k in 0..GROUP_MOVES {
                    let nl = group_move(state.groups[gi], k, step);
                    if !(MFU_MIN..=MFU_MAX).contains(&nl.mfu)
                        || !(MFU_MIN..=nl.mfu).contains(&nl.mfu_large)
                    {
                        continue;
                    }
                    let (e, _) = g.objective(state.mbu, state.cu, nl);
                    if e < errs[gi] {
                        state.groups[gi] = nl;
                        errs[gi] = e;
                        improved = true;
                    }
                }
            }
            if !improved {
                break;
            }
        }
    }
    state
}

/// Fits the roofline on the measured data in `csv_path` (the Splitwise layout, see the
/// [module documentation](self)), taking GPU and model figures from `catalog` under the
/// names of [`HARDWARE`] and [`MODELS`] (e.g. [`Catalog::builtin`]).
///
/// # Errors
/// The file cannot be read; a row is malformed or out of range, or names an unknown
/// hardware or model (the message names the file and line); the catalog lacks a GPU or
/// model the data needs; a group has no training rows left.
pub fn calibrate(csv_path: &Path, catalog: &Catalog) -> Result<Calibration, String> {
    let (rows, data_sha256) = read_rows(csv_path, &[])?;
    // Groups by hardware (in HARDWARE order), then TP.
    let mut fits = Vec::new();
    for &(hardware, _, _) in &HARDWARE {
        let mut by_tp: BTreeMap<u32, Vec<&(u64, Row)>> = BTreeMap::new();
        for r in rows.iter().filter(|(_, r)| r.hardware == hardware) {
            by_tp.entry(r.1.tensor_parallel).or_default().push(r);
        }
        if by_tp.is_empty() {
            continue;
        }
        let groups = by_tp
            .iter()
            .map(|(&tp, rs)| build_group(catalog, hardware, tp, rs))
            .collect::<Result<Vec<_>, _>>()?;
        let state = fit_hardware(&groups);
        for (g, &nl) in groups.iter().zip(&state.groups) {
            let (_, lin) = g.objective(state.mbu, state.cu, nl);
            let coeffs = round_coeffs(g.coeffs(state.mbu, state.cu, nl, lin));
            let (prompt_mape, token_mape) = g.mape(coeffs);
            fits.push(GroupFit {
                hardware: g.hardware.to_string(),
                gpu: g.key.to_string(),
                tp: g.tp,
                models: g.model_names.clone(),
                coeffs,
                rows_train: g.rows_train,
                rows_test: g.rows_test,
                excluded: g.excluded.clone(),
                prompt_mape,
                token_mape,
            });
        }
    }
    Ok(Calibration {
        data_name: csv_path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        data_sha256,
        rows: rows.len(),
        groups: fits,
    })
}

/// A coefficient as TOML text: the shortest decimal that reads back the same, always with a
/// decimal point or exponent (a float, not an integer).
fn toml_float(x: f64) -> String {
    let s = format!("{x}");
    if s.contains(['.', 'e', 'E']) || !x.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

/// `x` [fraction] as a percentage with one decimal, e.g. `"5.2"`.
pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

impl Calibration {
    /// The coefficients by catalog GPU name, then TP (what `catalog/calibration.toml`
    /// holds).
    pub fn perf_table(&self) -> PerfTable {
        let mut t = PerfTable::new();
        for g in &self.groups {
            t.entry(g.gpu.clone()).or_default().insert(g.tp, g.coeffs);
        }
        t
    }

    /// Excluded rows of every group.
    pub fn excluded(&self) -> impl Iterator<Item = (&GroupFit, &ExcludedRow)> {
        self.groups
            .iter()
            .flat_map(|g| g.excluded.iter().map(move |e| (g, e)))
    }

    /// The MAPE table, one line per group, each line prefixed by `prefix`.
    fn mape_lines(&self, prefix: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{prefix}{:<16} {:>3}  {:>11}  {:>8}  {:>17}  {:>16}",
            "gpu", "TP", "rows tr/te", "excluded", "prompt MAPE tr/te", "token MAPE tr/te"
        );
        for g in &self.groups {
            let _ = writeln!(
                s,
                "{prefix}{:<16} {:>3}  {:>11}  {:>8}  {:>17}  {:>16}",
                g.gpu,
                g.tp,
                format!("{}/{}", g.rows_train, g.rows_test),
                g.excluded.len(),
                format!(
                    "{} / {} %",
                    pct(g.prompt_mape.train),
                    pct(g.prompt_mape.test)
                ),
                format!("{} / {} %", pct(g.token_mape.train), pct(g.token_mape.test)),
            );
        }
        s
    }

    /// The content of `catalog/calibration.toml`: a header saying how it was produced, the
    /// MAPE table as comments, then one `[GPU.TP]` table of [`PerfCoeffs`] per group.
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        s.push_str(
            "# Calibrated coefficients of the iteration-time roofline (src/domain/llm/perf.rs), by\n\
             # catalog GPU and tensor-parallel degree: [GPU.TP]. Generated file, do not edit:\n\
             #   infersim calibrate --write catalog/calibration.toml\n",
        );
        let _ = writeln!(
            s,
            "# Data: {}, {} rows, sha256\n#   {}",
            self.data_name, self.rows, self.data_sha256
        );
        s.push_str(
            "# (bundled as catalog/calibration/splitwise/perf_model.csv: Splitwise profiling of\n\
             # llama2-70b and bloom-176b on DGX-A100 and DGX-H100, MIT, see its LICENSE; Patel et\n\
             # al., ISCA 2024). h100-sxm-pcap70 is the power-capped H100 of that data, on the\n\
             # H100 datasheet.\n\
             # Fit (src/domain/llm/calibrate.rs): per (GPU, TP), pooled over models; mbu and\n\
             # comm_util shared by the TPs of one GPU; minimum squared relative error on the\n\
             # training rows. Held out: every third distinct configuration (model, prompt,\n\
             # batch, tokens) with all its repeats. Excluded: rows implying MFU > 1.\n\
             # MAPE of the stored (rounded) coefficients:\n#\n",
        );
        s.push_str(&self.mape_lines("# "));
        for g in &self.groups {
            let c = &g.coeffs;
            let _ = write!(
                s,
                "\n[{}.{}]\n\
                 mfu = {}\n\
                 mfu_large = {}\n\
                 knee_tokens = {}\n\
                 mbu = {}\n\
                 comm_util = {}\n\
                 layer_overhead_s = {}\n\
                 prefill_layer_overhead_s = {}\n\
                 per_seq_s = {}\n",
                g.gpu,
                g.tp,
                toml_float(c.mfu),
                toml_float(c.mfu_large),
                toml_float(c.knee_tokens),
                toml_float(c.mbu),
                toml_float(c.comm_util),
                toml_float(c.layer_overhead_s),
                toml_float(c.prefill_layer_overhead_s),
                toml_float(c.per_seq_s),
            );
        }
        s
    }

    /// A text report for the terminal: the MAPE table, the coefficients per group and the
    /// excluded rows.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let models: Vec<&str> = MODELS.iter().map(|m| m.0).collect();
        let _ = writeln!(
            s,
            "Calibration of the iteration-time roofline on {} ({} rows: {} measured on {})\n\
             Fit per (GPU, TP) on the training rows; every third distinct (model, prompt, batch,\n\
             output tokens) configuration is held out with its repeats. MAPE = mean absolute\n\
             percentage error of prompt_time (prefill of the batch) and token_time (one decode\n\
             iteration), train (tr) / held out (te). Form and method: docs/ARCHITECTURE.md.\n",
            self.data_name,
            self.rows,
            models.join(", "),
            HARDWARE.map(|h| h.0).join(", ")
        );
        s.push_str(&self.mape_lines(""));
        let _ = writeln!(
            s,
            "\nCoefficients: model FLOPs utilisation up to / beyond `knee` tokens per iteration,\n\
             memory-bandwidth utilisation, achieved share of the interconnect bandwidth, and\n\
             overheads per layer (every iteration / extra with prefill) and per decoding sequence.\n\
             Bounds of the search: mfu <= 0.8, mbu <= 1.\n\
             \n{:<16} {:>3}  {:>5} {:>9} {:>5}  {:>5} {:>5}  {:>12} {:>14} {:>10}",
            "gpu",
            "TP",
            "mfu",
            "mfu_large",
            "knee",
            "mbu",
            "comm",
            "ovh/layer ms",
            "prefill/lyr ms",
            "per-seq ms"
        );
        for g in &self.groups {
            let c = &g.coeffs;
            let _ = writeln!(
                s,
                "{:<16} {:>3}  {:>5.3} {:>9.3} {:>5} {:>6.3} {:>5.3}  {:>12.4} {:>14.4} {:>10.4}",
                g.gpu,
                g.tp,
                c.mfu,
                c.mfu_large,
                c.knee_tokens,
                c.mbu,
                c.comm_util,
                1e3 * c.layer_overhead_s,
                1e3 * c.prefill_layer_overhead_s,
                1e3 * c.per_seq_s
            );
        }
        let n = self.excluded().count();
        let _ = writeln!(
            s,
            "\nExcluded {n} row(s) implying MFU > 1 (faster than the replica's peak FLOP/s):"
        );
        for (g, e) in self.excluded() {
            let _ = writeln!(
                s,
                "  line {}: {} {} TP{} prompt {} x batch {} ({} output tokens): {} time implies MFU {:.2}",
                e.line,
                e.model,
                g.hardware,
                g.tp,
                e.prompt_size,
                e.batch_size,
                e.token_size,
                e.phase,
                e.implied_mfu
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nnls3_matches_unconstrained_when_feasible_and_clips_otherwise() {
        // y = 1·x0 + 2·x1 exactly, x2 unused.
        let xs = [
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [1.0, 1.0, 1.0],
            [2.0, 1.0, 0.0],
        ];
        let ys = [1.0, 2.0, 3.0, 4.0];
        let mut g = [[0.0; 3]; 3];
        let mut r = [0.0; 3];
        let mut s = 0.0;
        for (x, y) in xs.iter().zip(ys) {
            s += y * y;
            for i in 0..3 {
                r[i] += x[i] * y;
                for j in 0..3 {
                    g[i][j] += x[i] * x[j];
                }
            }
        }
        let (e, c) = nnls3(&g, &r, s);
        assert!(e.abs() < 1e-9, "{e}");
        assert!((c[0] - 1.0).abs() < 1e-9 && (c[1] - 2.0).abs() < 1e-9 && c[2].abs() < 1e-9);
        // Negated targets: the only feasible answer is 0.
        let neg = [-r[0], -r[1], -r[2]];
        assert_eq!(nnls3(&g, &neg, s), (s, [0.0; 3]));
    }

    #[test]
    fn round_sig_and_toml_float() {
        assert_eq!(round_sig(0.742_549, 4), 0.7425);
        assert_eq!(round_sig(2.961_23e-4, 4), 2.961e-4);
        assert_eq!(toml_float(2048.0), "2048.0");
        assert_eq!(toml_float(0.0002961), "0.0002961");
    }

    fn write_csv(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    const HEADER: &str =
        "model,hardware,prompt_size,batch_size,token_size,prompt_time,token_time,tensor_parallel\n";

    #[test]
    fn bad_rows_name_file_and_line() {
        let f = write_csv(&format!(
            "{HEADER}llama2-70b,h100-80gb,512,1,128,80.0,30.0,2\nllama2-70b,h100-80gb,512,x,128,80.0,30.0,2\n"
        ));
        let e = calibrate(f.path(), &Catalog::builtin()).unwrap_err();
        assert!(e.contains(&format!("{}:3:", f.path().display())), "{e}");
        let f = write_csv(&format!(
            "{HEADER}llama2-70b,tpu-v9,512,1,128,80.0,30.0,2\n"
        ));
        let e = calibrate(f.path(), &Catalog::builtin()).unwrap_err();
        assert!(e.contains(":2: unknown hardware tpu-v9"), "{e}");
        let f = write_csv(&format!(
            "{HEADER}llama2-70b,h100-80gb,512,1,128,-1,30.0,2\n"
        ));
        let e = calibrate(f.path(), &Catalog::builtin()).unwrap_err();
        assert!(e.contains(":2: prompt_time"), "{e}");
        let f = write_csv("model,hardware\nllama2-70b,h100-80gb\n");
        let e = calibrate(f.path(), &Catalog::builtin()).unwrap_err();
        assert!(e.contains(":1: missing column prompt_size"), "{e}");
        let e = calibrate(Path::new("/nonexistent/perf.csv"), &Catalog::builtin()).unwrap_err();
        assert!(e.contains("cannot read /nonexistent/perf.csv"), "{e}"); // CRLF line ends: still the right line.
        let crlf = format!(
            "{HEADER}llama2-70b,h100-80gb,512,1,128,80.0,30.0,2\nllama2-70b,tpu,512,1,128,80.0,30.0,2\n"
        )
        .replace('\n', "\r\n");
        let e = calibrate(write_csv(&crlf).path(), &Catalog::builtin()).unwrap_err();
        assert!(e.contains(":3: unknown hardware tpu"), "{e}");
        // Sizes whose products would overflow are rejected.
        let f = write_csv(&format!(
            "{HEADER}llama2-70b,h100-80gb,4294967296,1,128,80.0,30.0,2\n"
        ));
        let e = calibrate(f.path(), &Catalog::builtin()).unwrap_err();
        assert!(
            e.contains(":2: prompt_size and token_size must be at most"),
            "{e}"
        );
    }

    #[test]
    fn missing_catalog_entry_is_an_error() {
        let f = write_csv(&format!(
            "{HEADER}llama2-70b,h100-80gb,512,1,128,80.0,30.0,2\n"
        ));
        let mut cat = Catalog::builtin();
        cat.gpus.remove("h100-sxm");
        let e = calibrate(f.path(), &cat).unwrap_err();
        assert!(e.contains("no GPU h100-sxm"), "{e}");
    }

    #[test]
    fn impossible_rows_are_excluded_and_reported() {
        // 32,768 prompt tokens of a 69e9-parameter model in 0.36 s on 2 H100s would need
        // 4.5e15 FLOP / 0.36 s = 12.6 PFLOP/s > 2 x 989 TFLOP/s.
        let f = write_csv(&format!(
            "{HEADER}llama2-70b,h100-80gb,512,1,128,84.0,37.0,2\n\
             llama2-70b,h100-80gb,1024,1,128,158.0,37.4,2\n\
             llama2-70b,h100-80gb,512,64,128,360.0,42.0,2\n\
             llama2-70b,h100-80gb,2048,1,128,310.0,37.4,2\n"
        ));
        let cal = calibrate(f.path(), &Catalog::builtin()).unwrap();
        let g = &cal.groups[0];
        assert_eq!(g.excluded.len(), 1);
        let e = &g.excluded[0];
        assert_eq!((e.line, e.batch_size, e.phase), (4, 64, "prompt"));
        assert!(e.implied_mfu > 2.0, "{}", e.implied_mfu);
        // Configurations sorted: (512,1), (512,64), (1024,1), (2048,1): the third is held out.
        assert_eq!((g.rows_train, g.rows_test), (2, 1));
    }
}
