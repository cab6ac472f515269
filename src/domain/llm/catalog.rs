//! Catalog of accelerators ([`GpuSpec`]) and served models ([`ModelSpec`]).
//!
//! The built-in entries are data files in the project (`catalog/gpus.toml`,
//! `catalog/models.toml`, `catalog/calibration.toml`, each value with its source in a comment),
//! compiled in with `include_str!`. A scenario adds or overrides entries with `[gpu.NAME]` and
//! `[model.NAME]` tables of the same fields.
//!
//! INTERFACE CONTRACT (used by the serving model; do not rename):
//! - `Catalog::builtin() -> Catalog` (the parsed built-in files; a parse failure is a bug and
//!   is caught by a unit test),
//! - `Catalog::gpu(&self, name) -> Result<&GpuSpec, String>` and
//!   `Catalog::model(&self, name) -> Result<&ModelSpec, String>`: the error lists known names,
//! - `Catalog::perf(&self, gpu, tp) -> PerfCoeffs`: calibrated coefficients for (gpu, TP),
//! - `ModelSpec::weight_bytes()`, `ModelSpec::kv_bytes_per_token()`,
//!   `ModelSpec::flops_per_token()`, `ModelSpec::attention_flops_per_token_ctx()`.

use super::perf::PerfCoeffs;
use std::collections::BTreeMap;

/// One accelerator (per GPU; a GB200 entry is one of its GPUs). Dense (non-sparse) figures.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    /// Dense BF16 tensor throughput [TFLOP/s].
    pub bf16_tflops: f64,
    /// Dense FP8 tensor throughput [TFLOP/s].
    pub fp8_tflops: f64,
    /// HBM capacity [GB, 10^9 bytes].
    pub hbm_gb: f64,
    /// HBM bandwidth [TB/s, 10^12 bytes/s].
    pub mem_bw_tbps: f64,
    /// Thermal design power [W].
    pub tdp_w: f64,
    /// Idle power [W].
    pub idle_w: f64,
    /// GPU-to-GPU interconnect bandwidth per direction [GB/s] (NVLink, Infinity Fabric, PCIe).
    pub interconnect_gbps: f64,
    /// List price per GPU [USD].
    pub price_usd: f64,
    /// GPU whose calibrated coefficients this one borrows when it has none of its own.
    #[serde(default)]
    pub calibration_proxy: Option<String>,
}

/// One served model. `params_active` equals `params_total` for dense models.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Transformer layers.
    pub layers: u32,
    /// Hidden size (model dimension).
    pub hidden_size: u32,
    /// Attention (query) heads.
    pub attention_heads: u32,
    /// Key/value heads (grouped-query attention; equal to `attention_heads` for MHA).
    pub kv_heads: u32,
    /// Dimension of one head.
    pub head_dim: u32,
    /// All parameters.
    pub params_total: f64,
    /// Parameters used per token (MoE: shared + routed experts; dense: all).
    pub params_active: f64,
    /// Bytes per weight (2 for BF16, 1 for FP8).
    pub weight_bytes_per_param: f64,
    /// Bytes per KV-cache element (2 for BF16).
    #[serde(default = "two")]
    pub kv_bytes_per_elem: f64,
    /// KV-cache bytes per token when the 2·layers·kv_heads·head_dim rule does not apply
    /// (e.g. DeepSeek-V3's multi-head latent attention).
    #[serde(default)]
    pub kv_bytes_per_token: Option<f64>,
    /// Longest context (prompt + output) the model accepts [tokens].
    pub max_context_tokens: u32,
}

fn two() -> f64 {
    2.0
}

/// Accelerators, models and calibrated coefficients by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// GPUs by name.
    pub gpus: BTreeMap<String, GpuSpec>,
    /// Models by name.
    pub models: BTreeMap<String, ModelSpec>,
    /// Calibrated coefficients by GPU name, then tensor-parallel degree.
    pub perf: BTreeMap<String, BTreeMap<u32, PerfCoeffs>>,
}
