//! Iteration time of one forward pass of a continuous batch: a roofline with calibrated
//! coefficients.
//!
//! [`IterationModel::new`] precomputes the constants of one (GPU, model, TP);
//! [`IterationModel::time_s`] gives the duration [s] of one iteration of a [`BatchShape`]:
//! 0 for an empty batch, else > 0, deterministic and monotone non-decreasing in every field.
//! [`PerfCoeffs`] are stored in `catalog/calibration.toml`.
//!
//! # The form
//!
//! For a replica of `tp` GPUs (tensor parallel) serving a model of `L` layers, with
//! `T = prefill_tokens + decode_seqs` tokens in the iteration:
//!
//! ```text
//! time = L·layer_overhead_s + [prefill_tokens > 0]·L·prefill_layer_overhead_s
//!      + per_seq_s·decode_seqs
//!      + max(compute, memory)
//!      + comm
//!
//! compute = (2·params_active·T + 4·L·attention_heads·head_dim·(prefill_attn + decode_ctx))
//!           / (tp·peak) · h(T)
//!   h(T)  = 1/mfu                                          for T <= knee_tokens
//!         = (knee_tokens/mfu + (T − knee_tokens)/mfu_large) / T   beyond
//! memory  = (params_total·weight_bytes_per_param
//!            + kv_bytes_per_token·(decode_ctx + prefill_tokens)) / (tp·bandwidth·mbu)
//! comm    = 2·L · T·hidden_size·2 B · 2(tp−1)/tp / (interconnect·comm_util)   (0 for tp = 1)
//! ```
//!
//! - `compute`: the model FLOPs (2 per active parameter per token, plus the attention scores
//!   and values, 4·heads·head_dim per layer per token of context) over the replica's dense
//!   BF16 peak. The first `knee_tokens` tokens of an iteration run at `mfu`, the rest at
//!   `mfu_large` (proportional split of the FLOPs): the measured per-token cost of prefill
//!   rises beyond a few thousand tokens per iteration. `mfu_large <= mfu` keeps the time
//!   monotone in the token count (it is enforced by [`IterationModel::new`]).
//! - `memory`: every iteration reads the weight shards once, plus the KV cache of the decode
//!   contexts and the KV written by the prefill tokens (`kv_bytes_per_token` is
//!   [`ModelSpec::kv_bytes_per_token`] when set, else `2·L·kv_heads·head_dim·kv_bytes_per_elem`).
//!   The KV prefix that a later prefill chunk reads is not in [`BatchShape`] and is left out:
//!   it is small against that chunk's compute.
//! - `comm`: two all-reduces per layer (after attention and after the MLP) of the BF16
//!   activations of the iteration's tokens, ring algorithm (each GPU sends and receives
//!   `2(tp−1)/tp` times the message), over the datasheet per-direction interconnect
//!   bandwidth. It is added to, not overlapped with, the roofline (tensor-parallel
//!   all-reduces sit on the critical path of each layer).
//! - Overheads: kernel launches, synchronisation and the host-side work of an iteration grow
//!   with the number of layers (`layer_overhead_s`); iterations that prefill pay more per layer
//!   (`prefill_layer_overhead_s`: variable-length attention, no captured decode graph); each
//!   decoding sequence adds `per_seq_s` (sampling, bookkeeping, paged-attention set-up).
//!
//! The coefficients are model-agnostic (utilisations and times per layer or per sequence), so
//! a fit on the measured models transfers to other models on the same GPU and TP degree.
//! They are fitted per (GPU, TP) by `infersim calibrate` (see [`super::calibrate`]).
//!
//! [`IterationModel::time_s`] is on the simulator's hot path: [`IterationModel::new`]
//! precomputes every per-model, per-GPU constant, so a call is a dozen multiply-adds, one
//! division and no allocation.

use super::catalog::{GpuSpec, ModelSpec};
use std::collections::BTreeMap;

/// What one iteration (one forward pass) of a replica processes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BatchShape {
    /// Prompt tokens prefilled in this iteration (all chunks together).
    pub prefill_tokens: u64,
    /// Attention work of the prefill chunks [token x context tokens]: for each chunk of
    /// `c` tokens after `k` already-cached tokens of its sequence, `c * (k + c / 2)`.
    pub prefill_attn: f64,
    /// Sequences in decode (each adds one token to this iteration).
    pub decode_seqs: u64,
    /// Sum of the context lengths of the decode sequences [tokens] (KV read this iteration).
    pub decode_ctx: u64,
}

impl BatchShape {
    /// Adds one sequence's work: a prefill chunk of `chunk` tokens after `computed` tokens
    /// of its sequence (`prefill`), or one decode token over a context of `computed` + 1.
    #[inline(always)]
    pub fn add(&mut self, prefill: bool, chunk: u32, computed: u32) {
        if prefill {
            self.prefill_tokens += u64::from(chunk);
            self.prefill_attn += f64::from(chunk) * (f64::from(computed) + f64::from(chunk) / 2.0);
        } else {
            self.decode_seqs += 1;
            self.decode_ctx += u64::from(computed) + 1;
        }
    }
}

/// Calibrated coefficients of the roofline for one (GPU, tensor-parallel degree). Stored in
/// `catalog/calibration.toml`; produced by `infersim calibrate`. The form they enter is in
/// the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PerfCoeffs {
    /// Model FLOPs utilisation of the first `knee_tokens` tokens of an iteration (0..1]: the
    /// fraction of the dense BF16 peak that the forward pass sustains.
    pub mfu: f64,
    /// Model FLOPs utilisation of the tokens of an iteration beyond `knee_tokens` (0..1],
    /// at most `mfu`.
    pub mfu_large: f64,
    /// Tokens per iteration above which `mfu_large` applies [tokens].
    pub knee_tokens: f64,
    /// Memory bandwidth utilisation of weight and KV-cache traffic (0..1]: the fraction of
    /// the datasheet HBM bandwidth reached.
    pub mbu: f64,
    /// Interconnect utilisation of the tensor-parallel all-reduces (0..1]: the fraction of
    /// the datasheet per-direction GPU-to-GPU bandwidth reached (not used at TP 1).
    pub comm_util: f64,
    /// Fixed time per layer of every iteration (kernel launches, synchronisation, host
    /// work) [s per layer].
    pub layer_overhead_s: f64,
    /// Extra fixed time per layer of an iteration that prefills prompt tokens [s per layer].
    pub prefill_layer_overhead_s: f64,
    /// Extra time per decoding sequence in the batch [s per sequence].
    pub per_seq_s: f64,
}

impl PerfCoeffs {
    /// Checks that every coefficient is finite and in its range: utilisations in (0, 1],
    /// `mfu_large <= mfu`, `knee_tokens >= 1`, times >= 0.
    ///
    /// # Errors
    /// A message naming the first offending field and its value.
    pub fn check(&self) -> Result<(), String> {
        let utils = [
            ("mfu", self.mfu),
            ("mfu_large", self.mfu_large),
            ("mbu", self.mbu),
            ("comm_util", self.comm_util),
        ];
        for (name, v) in utils {
            if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                return Err(format!("{name} = {v}: expected a utilisation in (0, 1]"));
            }
        }
        if self.mfu_large > self.mfu {
            return Err(format!(
                "mfu_large = {} exceeds mfu = {}: the per-token cost cannot fall beyond the knee",
                self.mfu_large, self.mfu
            ));
        }
        if !(self.knee_tokens.is_finite() && self.knee_tokens >= 1.0) {
            return Err(format!(
                "knee_tokens = {}: expected a token count >= 1",
                self.knee_tokens
            ));
        }
        let times = [
            ("layer_overhead_s", self.layer_overhead_s),
            ("prefill_layer_overhead_s", self.prefill_layer_overhead_s),
            ("per_seq_s", self.per_seq_s),
        ];
        for (name, v) in times {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} = {v}: expected a time >= 0 s"));
            }
        }
        Ok(())
    }
}

/// Bytes of activations per token in one tensor-parallel all-reduce (BF16).
const ACTIVATION_BYTES: f64 = 2.0;
/// All-reduces per layer (after attention, after the MLP).
const ALL_REDUCES_PER_LAYER: f64 = 2.0;

/// The iteration-time roofline of one model on one replica of `tp` GPUs, with every
/// constant precomputed. Build once per (model, GPU, TP); call [`IterationModel::time_s`]
/// per iteration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IterationModel {
    /// Time of the dense FLOPs of one token at 100 % of the replica's peak [s].
    flops_s_per_token: f64,
    /// Time of the attention FLOPs of one token x context token at 100 % of peak [s].
    attn_s_per_ctx: f64,
    /// `1 / mfu`.
    inv_mfu: f64,
    /// `1 / mfu_large`.
    inv_mfu_large: f64,
    /// Knee of the MFU [tokens].
    knee: f64,
    /// Time to read the weight shards [s].
    weights_s: f64,
    /// Time to read or write the KV cache of one token [s].
    kv_s_per_token: f64,
    /// All-reduce time per token of the iteration [s] (0 for tp = 1).
    comm_s_per_token: f64,
    /// Fixed time of every iteration [s].
    overhead_s: f64,
    /// Extra fixed time of an iteration with prefill tokens [s].
    prefill_overhead_s: f64,
    /// Time per decoding sequence [s].
    per_seq_s: f64,
    /// The calibrated memory-bandwidth utilisation (to undo it in [`Self::ideal_s`]).
    mbu: f64,
}

impl IterationModel {
    /// The roofline of `model` on a replica of `tp` GPUs of kind `gpu` with coefficients
    /// `c` (calibrated for that GPU and TP, see [`coeffs_for`]). `tp` of 0 is taken as 1;
    /// `mfu_large` is capped at `mfu` so that the time stays monotone in the token count.
    /// Units: `bf16_tflops` [10^12 FLOP/s], `mem_bw_tbps` [10^12 B/s], `interconnect_gbps`
    /// [10^9 B/s per direction].
    pub fn new(gpu: &GpuSpec, model: &ModelSpec, tp: u32, c: PerfCoeffs) -> IterationModel {
        let tp_f = f64::from(tp.max(1));
        let layers = f64::from(model.layers);
        let peak = tp_f * gpu.bf16_tflops * 1e12; // FLOP/s of the replica
        let bandwidth = tp_f * gpu.mem_bw_tbps * 1e12 * c.mbu; // B/s of the replica
        let flops_per_token = model.flops_per_token();
        let attn_flops_per_ctx = model.attention_flops_per_token_ctx();
        let weights = model.weight_bytes();
        let comm_s_per_token = if tp_f > 1.0 {
            let bytes = ALL_REDUCES_PER_LAYER
                * layers
                * f64::from(model.hidden_size)
                * ACTIVATION_BYTES
                * 2.0
                * (tp_f - 1.0)
                / tp_f;
            bytes / (gpu.interconnect_gbps * 1e9 * c.comm_util)
        } else {
            0.0
        };
        let mfu_large = c.mfu_large.min(c.mfu);
        IterationModel {
            flops_s_per_token: flops_per_token / peak,
            attn_s_per_ctx: attn_flops_per_ctx / peak,
            inv_mfu: 1.0 / c.mfu,
            inv_mfu_large: 1.0 / mfu_large,
            knee: c.knee_tokens,
            weights_s: weights / bandwidth,
            kv_s_per_token: model.kv_bytes_per_token() / bandwidth,
            comm_s_per_token,
            overhead_s: layers * c.layer_overhead_s,
            prefill_overhead_s: layers * c.prefill_layer_overhead_s,
            per_seq_s: c.per_seq_s,
            mbu: c.mbu,
        }
    }

    /// The iteration's work in ideal seconds: its model FLOPs at 100 % of the replica's peak,
    /// and its weight and KV bytes at 100 % of its bandwidth. Summed over iterations and
    /// divided by elapsed replica time, these are MFU and MBU.
    #[inline]
    pub fn ideal_s(&self, shape: &BatchShape) -> (f64, f64) {
        if shape.prefill_tokens == 0 && shape.decode_seqs == 0 {
            return (0.0, 0.0);
        }
        let tokens = (shape.prefill_tokens + shape.decode_seqs) as f64;
        let ctx = shape.prefill_attn + shape.decode_ctx as f64;
        let compute = self.flops_s_per_token * tokens + self.attn_s_per_ctx * ctx;
        let kv_tokens = (shape.decode_ctx + shape.prefill_tokens) as f64;
        let memory = (self.weights_s + self.kv_s_per_token * kv_tokens) * self.mbu;
        (compute, memory)
    }

    /// Duration of one iteration processing `shape` [s]: 0 for an empty batch (no prefill
    /// tokens and no decode sequences), else > 0. Deterministic and monotone non-decreasing
    /// in every field of the shape.
    #[inline]
    pub fn time_s(&self, shape: &BatchShape) -> f64 {
        self.time_s_at(shape, 1.0)
    }

    /// Duration of one iteration processing `shape` [s] with the GPUs' clock at `clock` times
    /// its full value (0 < clock <= 1, a power or thermal limit; see
    /// [`crate::domain::facility::power`]): the compute term grows as `1 / clock`; memory
    /// traffic, overheads and all-reduces do not change. `time_s_at(s, 1.0) == time_s(s)`.
    #[inline]
    pub fn time_s_at(&self, shape: &BatchShape, clock: f64) -> f64 {
        let (other, compute, memory) = self.terms(shape, clock);
        other + compute.max(memory)
    }

    /// The shares of the iteration's duration at full clock during which the compute units
    /// and the memory system are busy: the roofline's compute and memory terms over the
    /// duration, each in [0, 1] (the shorter of the two overlaps the longer). The GPU power
    /// model reads them ([`crate::domain::facility::power`]); `(0, 0)` for an empty batch.
    #[inline]
    pub fn busy_shares(&self, shape: &BatchShape) -> (f64, f64) {
        let (other, compute, memory) = self.terms(shape, 1.0);
        let t = other + compute.max(memory);
        if t > 0.0 {
            (compute / t, memory / t)
        } else {
            (0.0, 0.0)
        }
    }

    /// The roofline's terms [s] at `clock`: overheads plus all-reduces, compute, memory.
    #[inline]
    fn terms(&self, shape: &BatchShape, clock: f64) -> (f64, f64, f64) {
        if shape.prefill_tokens == 0 && shape.decode_seqs == 0 {
            return (0.0, 0.0, 0.0);
        }
        let prefill = shape.prefill_tokens as f64;
        let seqs = shape.decode_seqs as f64;
        let decode_ctx = shape.decode_ctx as f64;
        let tokens = prefill + seqs;
        // 1/MFU averaged over the tokens: non-decreasing in `tokens` as mfu_large <= mfu.
        let inv_util = if tokens <= self.knee {
            self.inv_mfu
        } else {
            (self.knee * self.inv_mfu + (tokens - self.knee) * self.inv_mfu_large) / tokens
        };
        let compute = (self.flops_s_per_token * tokens
            + self.attn_s_per_ctx * (shape.prefill_attn + decode_ctx))
            * inv_util
            / clock;
        let memory = self.weights_s + self.kv_s_per_token * (decode_ctx + prefill);
        let prefill_overhead = if shape.prefill_tokens > 0 {
            self.prefill_overhead_s
        } else {
            0.0
        };
        let other = self.overhead_s
            + prefill_overhead
            + self.per_seq_s * seqs
            + self.comm_s_per_token * tokens;
        (other, compute, memory)
    }
}

/// Calibrated coefficients by GPU name, then tensor-parallel degree.
pub type PerfTable = BTreeMap<String, BTreeMap<u32, PerfCoeffs>>;

/// The text of the built-in calibration, `catalog/calibration.toml`.
pub const BUILTIN_CALIBRATION_TOML: &str = include_str!("../../../catalog/calibration.toml");

/// Parses a calibration file: tables `[GPU.TP]` (e.g. `[h100-sxm.4]`) of [`PerfCoeffs`]
/// fields.
///
/// # Errors
/// A TOML syntax error, an unknown or missing field, a TP that is not an integer >= 1, or a
/// coefficient out of range ([`PerfCoeffs::check`]), with the GPU and TP it belongs to.
pub fn parse_calibration(text: &str) -> Result<PerfTable, String> {
    let raw: BTreeMap<String, BTreeMap<String, PerfCoeffs>> =
        toml::from_str(text).map_err(|e| e.to_string())?;
    let mut table = PerfTable::new();
    for (gpu, by_tp) in raw {
        let mut parsed = BTreeMap::new();
        for (tp, c) in by_tp {
            let tp_n = tp
                .parse::<u32>()
                .ok()
                .filter(|&n| n >= 1)
                .ok_or_else(|| format!("[{gpu}.{tp}]: the TP must be an integer >= 1"))?;
            c.check().map_err(|e| format!("[{gpu}.{tp}]: {e}"))?;
            parsed.insert(tp_n, c);
        }
        table.insert(gpu, parsed);
    }
    Ok(table)
}

/// The built-in calibrated coefficients (`catalog/calibration.toml`) by GPU name, then TP.
///
/// # Panics
/// If the built-in file does not parse: a bug, caught by a unit test.
pub fn builtin_calibration() -> PerfTable {
    parse_calibration(BUILTIN_CALIBRATION_TOML)
        .unwrap_or_else(|e| panic!("catalog/calibration.toml: {e}"))
}

/// The TP of `by_tp` closest to `tp` on a log scale, i.e. with the smallest ratio
/// max/min (compared exactly in integers; ties go to the smaller TP).
fn nearest_tp(by_tp: &BTreeMap<u32, PerfCoeffs>, tp: u32) -> Option<(u32, PerfCoeffs)> {
    let want = u64::from(tp.max(1));
    // The ratio max(t, want) / min(t, want) as (numerator, denominator).
    let ratio = |t: u64| (t.max(want), t.min(want).max(1));
    // Ascending TP order and a strict `<` keep the smaller TP on ties.
    let mut best: Option<((u64, u64), u32, PerfCoeffs)> = None;
    for (&t, c) in by_tp {
        let (n, d) = ratio(u64::from(t));
        if best.is_none_or(|((bn, bd), _, _)| n * bd < bn * d) {
            best = Some(((n, d), t, *c));
        }
    }
    best.map(|(_, t, c)| (t, c))
}

/// Coefficients for `gpu` at tensor-parallel degree `tp` from `perf`, with a note saying
/// which entry was used (for a run warning when it is not an exact match):
/// 1. the exact (`gpu`, `tp`) entry;
/// 2. else `gpu`'s measured TP nearest to `tp` (on a log scale, ties to the smaller TP);
/// 3. else the `proxy` GPU's exact or nearest TP.
///
/// # Errors
/// When neither `gpu` nor `proxy` has any calibrated entry.
pub fn coeffs_for(
    perf: &PerfTable,
    gpu: &str,
    proxy: Option<&str>,
    tp: u32,
) -> Result<(PerfCoeffs, String), String> {
    if let Some(by_tp) = perf.get(gpu) {
        if let Some(c) = by_tp.get(&tp) {
            return Ok((*c, format!("calibrated {gpu} TP{tp}")));
        }
        if let Some((t, c)) = nearest_tp(by_tp, tp) {
            return Ok((
                c,
                format!("{gpu} has no calibration at TP{tp}: using its nearest measured TP{t}"),
            ));
        }
    }
    if let Some(p) = proxy
        && let Some((t, c)) = perf.get(p).and_then(|by_tp| nearest_tp(by_tp, tp))
    {
        return Ok((
            c,
            format!("{gpu} has no calibration: using its proxy {p} at TP{t} (wanted TP{tp})"),
        ));
    }
    let known: Vec<&str> = perf.keys().map(String::as_str).collect();
    Err(format!(
        "no calibrated iteration-time coefficients for GPU {gpu}{} (calibrated GPUs: {})",
        proxy.map_or(String::new(), |p| format!(" or its proxy {p}")),
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu() -> GpuSpec {
        GpuSpec {
            bf16_tflops: 1000.0,
            fp8_tflops: 2000.0,
            hbm_gb: 80.0,
            mem_bw_tbps: 4.0,
            tdp_w: 700.0,
            idle_w: 100.0,
            interconnect_gbps: 400.0,
            price_usd: 1.0,
            calibration_proxy: None,
        }
    }

    fn model() -> ModelSpec {
        ModelSpec {
            layers: 32,
            hidden_size: 4096,
            attention_heads: 32,
            kv_heads: 8,
            head_dim: 128,
            params_total: 8e9,
            params_active: 8e9,
            weight_bytes_per_param: 2.0,
            kv_bytes_per_elem: 2.0,
            kv_bytes_per_token: None,
            max_context_tokens: 8192,
        }
    }

    fn coeffs() -> PerfCoeffs {
        PerfCoeffs {
            mfu: 0.6,
            mfu_large: 0.4,
            knee_tokens: 2048.0,
            mbu: 0.8,
            comm_util: 0.5,
            layer_overhead_s: 1e-4,
            prefill_layer_overhead_s: 2e-4,
            per_seq_s: 3e-4,
        }
    }

    fn shape(p: u64, attn: f64, s: u64, ctx: u64) -> BatchShape {
        BatchShape {
            prefill_tokens: p,
            prefill_attn: attn,
            decode_seqs: s,
            decode_ctx: ctx,
        }
    }

    #[test]
    fn builtin_calibration_parses_and_is_in_range() {
        let t = builtin_calibration();
        for gpu in ["a100-80gb-sxm", "h100-sxm", "h100-sxm-pcap70"] {
            let by_tp = t.get(gpu).unwrap_or_else(|| panic!("{gpu} missing"));
            assert_eq!(by_tp.keys().copied().collect::<Vec<_>>(), vec![2, 4, 8]);
        }
    }

    #[test]
    fn monotone_in_every_field() {
        for tp in [1, 2, 8] {
            let m = IterationModel::new(&gpu(), &model(), tp, coeffs());
            let bases = [
                shape(0, 0.0, 1, 100),
                shape(1, 0.5, 0, 0),
                shape(100, 5e3, 10, 5000),
                shape(2000, 2e6, 60, 60_000),
                shape(5000, 1e7, 200, 300_000),
            ];
            for b in bases {
                let t0 = m.time_s(&b);
                assert!(t0 > 0.0);
                for k in [1u64, 7, 100, 3000, 100_000] {
                    let mut more = [b; 4];
                    more[0].prefill_tokens += k;
                    more[1].prefill_attn += k as f64 * 50.0;
                    more[2].decode_seqs += k;
                    more[3].decode_ctx += k * 100;
                    for (i, s) in more.iter().enumerate() {
                        let t1 = m.time_s(s);
                        assert!(t1 >= t0, "tp {tp} field {i}: {b:?} -> {s:?}: {t0} > {t1}");
                    }
                }
            }
        }
    }

    #[test]
    fn monotone_in_tokens_across_the_knee_with_fixed_attention() {
        // A fixed attention context over more tokens: the averaged 1/MFU must not fall.
        let m = IterationModel::new(&gpu(), &model(), 4, coeffs());
        let mut prev = 0.0;
        for p in (1..10_000).step_by(37) {
            let t = m.time_s(&shape(p, 1e9, 0, 0));
            assert!(t >= prev, "{p}: {t} < {prev}");
            prev = t;
        }
    }

    #[test]
    fn empty_batch_takes_no_time() {
        let m = IterationModel::new(&gpu(), &model(), 2, coeffs());
        assert_eq!(m.time_s(&BatchShape::default()), 0.0);
    }

    #[test]
    fn tp1_has_no_all_reduce_term() {
        // A compute-bound prefill below the knee: time is overheads + compute exactly at
        // TP 1, whatever the interconnect.
        let mut c = coeffs();
        c.comm_util = 1e-6;
        let mut g = gpu();
        g.interconnect_gbps = 1e-3;
        let m = IterationModel::new(&g, &model(), 1, c);
        let s = shape(1000, 1000.0 * 500.0, 0, 0);
        let peak = 1000e12;
        let compute = (2.0 * 8e9 * 1000.0 + 4.0 * 32.0 * 32.0 * 128.0 * 500_000.0) / peak / c.mfu;
        let memory = (16e9 + 131_072.0 * 1000.0) / (4e12 * c.mbu);
        assert!(compute > memory);
        let expected = 32.0 * (c.layer_overhead_s + c.prefill_layer_overhead_s) + compute;
        assert!((m.time_s(&s) - expected).abs() <= 1e-12 * expected);
        // At TP 2 the same shape pays a (here huge) all-reduce.
        let m2 = IterationModel::new(&g, &model(), 2, c);
        assert!(m2.time_s(&s) > 1e3);
    }

    #[test]
    fn all_reduce_term_matches_the_ring_formula() {
        let c = coeffs();
        let tokens = 64.0;
        let s = shape(0, 0.0, 64, 0);
        let t1 = IterationModel::new(&gpu(), &model(), 4, c).time_s(&s);
        let mut no_comm = gpu();
        no_comm.interconnect_gbps = f64::INFINITY;
        let t0 = IterationModel::new(&no_comm, &model(), 4, c).time_s(&s);
        let bytes = 2.0 * 32.0 * tokens * 4096.0 * 2.0 * 2.0 * 3.0 / 4.0;
        let expected = bytes / (400e9 * c.comm_util);
        assert!(((t1 - t0) - expected).abs() <= 1e-9 * expected);
    }

    #[test]
    fn kv_override_is_used() {
        let mut m = model();
        assert_eq!(m.kv_bytes_per_token(), 2.0 * 32.0 * 8.0 * 128.0 * 2.0);
        m.kv_bytes_per_token = Some(70_000.0);
        assert_eq!(m.kv_bytes_per_token(), 70_000.0);
    }

    #[test]
    fn check_rejects_out_of_range() {
        assert!(coeffs().check().is_ok());
        let mut c = coeffs();
        c.mfu = 1.5;
        assert!(c.check().unwrap_err().contains("mfu"));
        let mut c = coeffs();
        c.mfu_large = 0.7;
        assert!(c.check().unwrap_err().contains("mfu_large"));
        let mut c = coeffs();
        c.per_seq_s = -1.0;
        assert!(c.check().unwrap_err().contains("per_seq_s"));
        let mut c = coeffs();
        c.knee_tokens = f64::NAN;
        assert!(c.check().unwrap_err().contains("knee_tokens"));
    }

    #[test]
    fn coeffs_for_falls_back_to_nearest_tp_then_proxy() {
        let mut t = PerfTable::new();
        let at = |mfu: f64| PerfCoeffs { mfu, ..coeffs() };
        t.entry("g".into()).or_default().insert(2, at(0.2));
        t.entry("g".into()).or_default().insert(8, at(0.8));
        t.entry("p".into()).or_default().insert(4, at(0.4));
        let (c, note) = coeffs_for(&t, "g", None, 8).unwrap();
        assert_eq!((c.mfu, note.as_str()), (0.8, "calibrated g TP8"));
        assert_eq!(coeffs_for(&t, "g", None, 1).unwrap().0.mfu, 0.2);
        assert_eq!(coeffs_for(&t, "g", None, 16).unwrap().0.mfu, 0.8);
        // 4 is equidistant from 2 and 8 on a log scale: the smaller TP wins.
        let (c, note) = coeffs_for(&t, "g", None, 4).unwrap();
        assert_eq!(c.mfu, 0.2);
        assert!(note.contains("nearest measured TP2"), "{note}");
        assert_eq!(coeffs_for(&t, "g", None, 6).unwrap().0.mfu, 0.8);
        let (c, note) = coeffs_for(&t, "new", Some("p"), 8).unwrap();
        assert_eq!(c.mfu, 0.4);
        assert!(note.contains("proxy p at TP4"), "{note}");
        let e = coeffs_for(&t, "new", Some("nope"), 8).unwrap_err();
        assert!(
            e.contains("new") && e.contains("nope") && e.contains("g, p"),
            "{e}"
        );
    }
}
