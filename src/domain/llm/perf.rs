//! Iteration time of one forward pass of a continuous batch: a roofline with calibrated
//! coefficients.
//!
//! INTERFACE CONTRACT (used by the serving model; do not rename):
//! - `PerfCoeffs` (serde, stored in `catalog/calibration.toml`),
//! - `BatchShape` (below),
//! - `IterationModel::new(&GpuSpec, &ModelSpec, tp: u32, PerfCoeffs) -> IterationModel`,
//! - `IterationModel::time_s(&self, &BatchShape) -> f64` [s], > 0 for any non-empty batch,
//!   deterministic, monotone non-decreasing in every field of the shape.

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

/// Calibrated coefficients of the roofline for one (GPU, tensor-parallel degree). Stored in
/// `catalog/calibration.toml`; produced by `infersim calibrate`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PerfCoeffs {
    /// Model FLOPs utilisation of prefill work up to `knee_tokens` tokens in an iteration (0..1].
    pub mfu: f64,
    /// Model FLOPs utilisation of the tokens of an iteration beyond `knee_tokens` (0..1].
    pub mfu_large: f64,
    /// Tokens per iteration above which `mfu_large` applies.
    pub knee_tokens: f64,
    /// Memory bandwidth utilisation of weight and KV reads (0..1].
    pub mbu: f64,
    /// Fixed time per iteration (scheduler, kernel launches, sampling) [s].
    pub overhead_s: f64,
    /// Extra time per sequence in the batch [s].
    pub per_seq_s: f64,
}

/// The built-in calibrated coefficients (`catalog/calibration.toml`) by GPU name, then TP.
/// (TEMPORARY rough values until the calibration lands.)
pub fn builtin_calibration()
-> std::collections::BTreeMap<String, std::collections::BTreeMap<u32, PerfCoeffs>> {
    let c = PerfCoeffs {
        mfu: 0.5,
        mfu_large: 0.4,
        knee_tokens: 2048.0,
        mbu: 0.6,
        overhead_s: 0.02,
        per_seq_s: 0.0002,
    };
    let mut m = std::collections::BTreeMap::new();
    for g in ["h100-sxm", "a100-80gb-sxm"] {
        m.insert(
            g.to_string(),
            [(2, c), (4, c), (8, c)].into_iter().collect(),
        );
    }
    m
}

/// The roofline for one (GPU, model, TP). (Temporary stand-in until the calibrated form lands.)
#[derive(Debug, Clone)]
pub struct IterationModel {
    overhead_s: f64,
}

impl IterationModel {
    /// Precomputes the roofline's constants.
    pub fn new(
        _gpu: &super::GpuSpec,
        _model: &super::ModelSpec,
        _tp: u32,
        coeffs: PerfCoeffs,
    ) -> IterationModel {
        IterationModel {
            overhead_s: coeffs.overhead_s,
        }
    }

    /// Duration of one iteration of `shape` [s].
    pub fn time_s(&self, shape: &BatchShape) -> f64 {
        self.overhead_s + 1e-4 * shape.prefill_tokens as f64 + 1e-4 * shape.decode_seqs as f64
    }
}
