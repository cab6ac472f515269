//! Catalog of accelerators ([`GpuSpec`]) and served models ([`ModelSpec`]).
//!
//! The built-in entries are data files in the project (`catalog/gpus.toml`,
//! `catalog/models.toml`, `catalog/calibration.toml`, each value with its source in a comment),
//! compiled in with `include_str!`. A scenario adds or overrides entries with `[gpu.NAME]` and
//! `[model.NAME]` tables of the same fields ([`Catalog::add_gpu`], [`Catalog::add_model`]).
//! A name containing a dot must be quoted in TOML (`[model."llama-3.1-70b"]`), else the dot
//! splits it into nested tables.
//!
//! Lookups: [`Catalog::gpu`] and [`Catalog::model`] (errors list the known names and
//! suggest a near one), [`Catalog::perf`] (calibrated coefficients for a GPU and TP degree).
//! Derived figures: [`ModelSpec::weight_bytes`], [`ModelSpec::kv_bytes_per_token`],
//! [`ModelSpec::flops_per_token`], [`ModelSpec::attention_flops_per_token_ctx`].

use super::perf::PerfCoeffs;
use std::collections::BTreeMap;

/// Text of the built-in GPU catalog (`catalog/gpus.toml`).
const BUILTIN_GPUS: &str = include_str!("../../../catalog/gpus.toml");
/// Text of the built-in model catalog (`catalog/models.toml`).
const BUILTIN_MODELS: &str = include_str!("../../../catalog/models.toml");

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

/// `Ok` when `value` is finite and > 0, else a message naming `field`, the expectation (with
/// `unit`) and the value found.
fn check_positive(field: &str, unit: &str, value: f64) -> Result<(), String> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(format!(
            "{field} must be a finite number > 0 [{unit}], found {value}"
        ))
    }
}

/// `Ok` when the integer `value` is > 0, else a message naming `field`.
fn check_positive_int(field: &str, value: u32) -> Result<(), String> {
    if value > 0 {
        Ok(())
    } else {
        Err(format!("{field} must be an integer > 0, found {value}"))
    }
}

impl GpuSpec {
    /// Checks that the figures are physically meaningful.
    ///
    /// Every throughput, capacity, bandwidth, power and price must be finite and > 0;
    /// `idle_w` must be finite, >= 0 and < `tdp_w`; a `calibration_proxy`, when given, must be a
    /// non-empty name (whether it names a known GPU is checked by [`Catalog::validate`]).
    ///
    /// # Errors
    /// The first violation, as a message that names the field, what was expected and what was
    /// found, e.g. `mem_bw_tbps must be a finite number > 0 [TB/s], found -1`.
    pub fn validate(&self) -> Result<(), String> {
        check_positive("bf16_tflops", "TFLOP/s", self.bf16_tflops)?;
        check_positive("fp8_tflops", "TFLOP/s", self.fp8_tflops)?;
        check_positive("hbm_gb", "GB", self.hbm_gb)?;
        check_positive("mem_bw_tbps", "TB/s", self.mem_bw_tbps)?;
        check_positive("tdp_w", "W", self.tdp_w)?;
        if !(self.idle_w.is_finite() && self.idle_w >= 0.0 && self.idle_w < self.tdp_w) {
            return Err(format!(
                "idle_w must be a finite number >= 0 and < tdp_w ({} W) [W], found {}",
                self.tdp_w, self.idle_w
            ));
        }
        check_positive(
            "interconnect_gbps",
            "GB/s per direction",
            self.interconnect_gbps,
        )?;
        check_positive("price_usd", "USD", self.price_usd)?;
        if let Some(proxy) = &self.calibration_proxy
            && proxy.trim().is_empty()
        {
            return Err(
                "calibration_proxy must name a GPU of the catalog, found an empty name".into(),
            );
        }
        Ok(())
    }

    /// Memory capacity [bytes] (`hbm_gb` x 10^9).
    pub fn hbm_bytes(&self) -> f64 {
        self.hbm_gb * 1e9
    }

    /// Peak dense BF16 tensor throughput [FLOP/s] (`bf16_tflops` x 10^12).
    pub fn peak_flops(&self) -> f64 {
        self.bf16_tflops * 1e12
    }

    /// Peak dense FP8 tensor throughput [FLOP/s] (`fp8_tflops` x 10^12). On a GPU without FP8
    /// tensor cores the catalog holds the BF16 rate here (weight-only FP8).
    pub fn peak_flops_fp8(&self) -> f64 {
        self.fp8_tflops * 1e12
    }

    /// Memory bandwidth [bytes/s] (`mem_bw_tbps` x 10^12).
    pub fn mem_bw_bytes_per_s(&self) -> f64 {
        self.mem_bw_tbps * 1e12
    }

    /// GPU-to-GPU interconnect bandwidth per direction [bytes/s] (`interconnect_gbps` x 10^9).
    pub fn interconnect_bytes_per_s(&self) -> f64 {
        self.interconnect_gbps * 1e9
    }
}

impl ModelSpec {
    /// Checks that the shape and sizes are meaningful.
    ///
    /// `layers`, `hidden_size`, `attention_heads`, `kv_heads`, `head_dim` and
    /// `max_context_tokens` must be > 0; `attention_heads` must be a multiple of `kv_heads`
    /// (grouped-query attention); `params_total`, `params_active`, `weight_bytes_per_param`,
    /// `kv_bytes_per_elem` and a given `kv_bytes_per_token` must be finite and > 0; and
    /// `params_active` must not exceed `params_total`.
    ///
    /// # Errors
    /// The first violation, as a message that names the field, what was expected and what was
    /// found, e.g. `kv_heads must divide attention_heads (64), found 6`.
    pub fn validate(&self) -> Result<(), String> {
        check_positive_int("layers", self.layers)?;
        check_positive_int("hidden_size", self.hidden_size)?;
        check_positive_int("attention_heads", self.attention_heads)?;
        check_positive_int("kv_heads", self.kv_heads)?;
        check_positive_int("head_dim", self.head_dim)?;
        check_positive_int("max_context_tokens", self.max_context_tokens)?;
        if !self.attention_heads.is_multiple_of(self.kv_heads) {
            return Err(format!(
                "kv_heads must divide attention_heads ({}), found {}",
                self.attention_heads, self.kv_heads
            ));
        }
        check_positive("params_total", "parameters", self.params_total)?;
        check_positive("params_active", "parameters", self.params_active)?;
        if self.params_active > self.params_total {
            return Err(format!(
                "params_active must be <= params_total ({:e}), found {:e}",
                self.params_total, self.params_active
            ));
        }
        check_positive(
            "weight_bytes_per_param",
            "bytes",
            self.weight_bytes_per_param,
        )?;
        check_positive("kv_bytes_per_elem", "bytes", self.kv_bytes_per_elem)?;
        if let Some(kv) = self.kv_bytes_per_token {
            check_positive("kv_bytes_per_token", "bytes", kv)?;
        }
        Ok(())
    }

    /// Bytes of all weights [bytes]: `params_total` x `weight_bytes_per_param` (whole model,
    /// before tensor-parallel sharding).
    pub fn weight_bytes(&self) -> f64 {
        self.params_total * self.weight_bytes_per_param
    }

    /// KV-cache bytes per token of context [bytes], whole model (all layers, before
    /// tensor-parallel sharding).
    ///
    /// The `kv_bytes_per_token` override when given (e.g. multi-head latent attention), else
    /// 2 (K and V) x `layers` x `kv_heads` x `head_dim` x `kv_bytes_per_elem`: KV heads, not
    /// attention heads (grouped-query attention).
    pub fn kv_bytes_per_token(&self) -> f64 {
        self.kv_bytes_per_token.unwrap_or_else(|| {
            2.0 * f64::from(self.layers)
                * f64::from(self.kv_heads)
                * f64::from(self.head_dim)
                * self.kv_bytes_per_elem
        })
    }

    /// Matrix-multiply work per token [FLOP/token]: 2 x `params_active` (one multiply and one
    /// add per active weight). Attention over the context is separate
    /// ([`ModelSpec::attention_flops_per_token_ctx`]).
    pub fn flops_per_token(&self) -> f64 {
        2.0 * self.params_active
    }

    /// Attention work per (query token x context token) [FLOP]: 4 x `layers` x
    /// `attention_heads` x `head_dim` (Q·K^T and the weighted sum of V, 2 FLOP per
    /// multiply-add each). Multiply by the context length seen by each query token.
    pub fn attention_flops_per_token_ctx(&self) -> f64 {
        4.0 * f64::from(self.layers) * f64::from(self.attention_heads) * f64::from(self.head_dim)
    }
}

/// Levenshtein edit distance between `a` and `b`, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The known name closest to `name`, if one is close enough to be a likely typo or
/// abbreviation: same name ignoring case, else the shortest known name that contains `name` or
/// is contained in it (ignoring case; `h100` -> `h100-sxm`), else the name at the smallest edit
/// distance when it is at most max(2, len/3).
fn suggest<'a>(name: &str, known: impl Iterator<Item = &'a String> + Clone) -> Option<&'a str> {
    let lower = name.to_lowercase();
    if lower.is_empty() {
        return None;
    }
    if let Some(k) = known.clone().find(|k| k.to_lowercase() == lower) {
        return Some(k);
    }
    let by_substring = known
        .clone()
        .filter(|k| {
            let kl = k.to_lowercase();
            kl.contains(&lower) || lower.contains(&kl)
        })
        .min_by_key(|k| (k.len().abs_diff(name.len()), k.as_str()));
    if let Some(k) = by_substring {
        return Some(k);
    }
    let limit = (name.chars().count() / 3).max(2);
    known
        .map(|k| (edit_distance(&lower, &k.to_lowercase()), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, k)| (*d, k.as_str()))
        .map(|(_, k)| k.as_str())
}

/// Error message for an unknown `name` of `kind` among the keys of `known`.
fn unknown_name<V>(kind: &str, name: &str, known: &BTreeMap<String, V>) -> String {
    let list: Vec<&str> = known.keys().map(String::as_str).collect();
    let mut msg = format!("unknown {kind} \"{name}\"; known: {}", list.join(", "));
    if let Some(s) = suggest(name, known.keys()) {
        msg.push_str(&format!(" (did you mean \"{s}\"?)"));
    }
    msg
}

/// Parses one catalog file (`file` names it in errors): a TOML document of one table per entry.
fn parse_entries<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
) -> Result<BTreeMap<String, T>, String> {
    toml::from_str(text).map_err(|e| format!("{file}: {e}"))
}

impl Catalog {
    /// The built-in catalog: `catalog/gpus.toml` and `catalog/models.toml` (compiled in) and the
    /// built-in calibrated coefficients (`super::perf::builtin_calibration()`).
    ///
    /// # Panics
    /// If the built-in files do not parse or an entry is invalid. That is a bug of the
    /// project's data files, caught by a unit test, never a user error; use
    /// [`Catalog::try_builtin`] to get it as an error instead.
    pub fn builtin() -> Catalog {
        Catalog::try_builtin().unwrap_or_else(|e| {
            panic!("built-in catalog is invalid (a bug in catalog/*.toml): {e}")
        })
    }

    /// The built-in catalog as [`Catalog::builtin`] builds it, with a parse or validation
    /// failure returned instead of a panic.
    ///
    /// # Errors
    /// A message naming the file (`catalog/gpus.toml`, `catalog/models.toml`) with the TOML
    /// error, or the entry and field that fails validation ([`Catalog::validate`]).
    pub fn try_builtin() -> Result<Catalog, String> {
        let mut catalog = Catalog::from_toml(BUILTIN_GPUS, BUILTIN_MODELS)?;
        catalog.perf = super::perf::builtin_calibration();
        catalog.validate()?;
        Ok(catalog)
    }

    /// A catalog of the GPUs in `gpus_toml` and the models in `models_toml`, each a TOML
    /// document of one table per entry (`[h100-sxm]`, `["llama-3.1-70b"]`) with the fields of
    /// [`GpuSpec`] / [`ModelSpec`]; no calibrated coefficients.
    ///
    /// # Errors
    /// A TOML syntax error, an unknown or missing field or a wrong type (message prefixed with
    /// `gpus` or `models`), or the first entry that fails [`Catalog::validate`].
    pub fn from_toml(gpus_toml: &str, models_toml: &str) -> Result<Catalog, String> {
        let catalog = Catalog {
            gpus: parse_entries("catalog/gpus.toml", gpus_toml)?,
            models: parse_entries("catalog/models.toml", models_toml)?,
            perf: BTreeMap::new(),
        };
        catalog.validate()?;
        Ok(catalog)
    }

    /// Checks every GPU ([`GpuSpec::validate`]) and model ([`ModelSpec::validate`]), and that
    /// every `calibration_proxy` names another GPU of the catalog. Call it after
    /// [`Catalog::add_gpu`] / [`Catalog::add_model`], which do not validate.
    ///
    /// # Errors
    /// The first failure, prefixed with the entry: `GPU "h100-sxm": mem_bw_tbps must be ...`.
    pub fn validate(&self) -> Result<(), String> {
        for (name, gpu) in &self.gpus {
            gpu.validate().map_err(|e| format!("GPU \"{name}\": {e}"))?;
            if let Some(proxy) = &gpu.calibration_proxy {
                if proxy == name {
                    return Err(format!(
                        "GPU \"{name}\": calibration_proxy must name another GPU, found itself"
                    ));
                }
                if !self.gpus.contains_key(proxy) {
                    return Err(format!(
                        "GPU \"{name}\": calibration_proxy: {}",
                        unknown_name("GPU", proxy, &self.gpus)
                    ));
                }
            }
        }
        for (name, model) in &self.models {
            model
                .validate()
                .map_err(|e| format!("model \"{name}\": {e}"))?;
        }
        Ok(())
    }

    /// The GPU called `name` (exact, case-sensitive).
    ///
    /// # Errors
    /// `unknown GPU "h100"; known: a100-80gb-sxm, b200, ... (did you mean "h100-sxm"?)`: every
    /// known name, and a suggestion when one is close (case, prefix/substring, or a small edit
    /// distance).
    pub fn gpu(&self, name: &str) -> Result<&GpuSpec, String> {
        self.gpus
            .get(name)
            .ok_or_else(|| unknown_name("GPU", name, &self.gpus))
    }

    /// The model called `name` (exact, case-sensitive).
    ///
    /// # Errors
    /// `unknown model "llama-70b"; known: ... (did you mean "..."?)`: every known name, and a
    /// suggestion when one is close (as [`Catalog::gpu`]).
    pub fn model(&self, name: &str) -> Result<&ModelSpec, String> {
        self.models
            .get(name)
            .ok_or_else(|| unknown_name("model", name, &self.models))
    }

    /// Inserts the GPU `name`, or replaces the entry of that name (a scenario's `[gpu.NAME]`
    /// table). Does not validate: call [`Catalog::validate`] after the additions.
    ///
    /// Returns the entry it replaced, if any.
    pub fn add_gpu(&mut self, name: impl Into<String>, spec: GpuSpec) -> Option<GpuSpec> {
        self.gpus.insert(name.into(), spec)
    }

    /// Inserts the model `name`, or replaces the entry of that name (a scenario's
    /// `[model.NAME]` table). Does not validate: call [`Catalog::validate`] after the additions.
    ///
    /// Returns the entry it replaced, if any.
    pub fn add_model(&mut self, name: impl Into<String>, spec: ModelSpec) -> Option<ModelSpec> {
        self.models.insert(name.into(), spec)
    }

    /// Calibrated roofline coefficients for the GPU `gpu` at tensor-parallel degree `tp`,
    /// with a note saying where they come from: the GPU's own at that TP, else its nearest
    /// calibrated TP (on a log2 scale, ties to the smaller), else its `calibration_proxy`'s
    /// (see [`super::perf::coeffs_for`]).
    ///
    /// # Errors
    /// An unknown GPU (as [`Catalog::gpu`]), `tp` = 0, or no calibrated coefficients for the GPU
    /// nor its proxy.
    pub fn perf(&self, gpu: &str, tp: u32) -> Result<(PerfCoeffs, String), String> {
        let spec = self.gpu(gpu)?;
        if tp == 0 {
            return Err(format!(
                "tensor-parallel degree must be >= 1 for GPU \"{gpu}\", found 0"
            ));
        }
        super::perf::coeffs_for(&self.perf, gpu, spec.calibration_proxy.as_deref(), tp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPU_NAMES: [&str; 8] = [
        "a100-80gb-sxm",
        "h100-sxm",
        "h200-sxm",
        "b200",
        "gb200",
        "l40s",
        "mi300x",
        "mi325x",
    ];
    const MODEL_NAMES: [&str; 9] = [
        "llama-3.1-8b",
        "llama-3.1-70b",
        "llama-3.1-405b",
        "llama-2-70b",
        "mixtral-8x7b",
        "qwen2.5-7b",
        "qwen2.5-72b",
        "deepseek-v3",
        "bloom-176b",
    ];

    fn coeffs(mfu: f64) -> PerfCoeffs {
        PerfCoeffs {
            mfu,
            mfu_large: mfu,
            knee_tokens: 1024.0,
            mbu: 0.7,
            comm_util: 0.5,
            layer_overhead_s: 5e-5,
            prefill_layer_overhead_s: 0.0,
            per_seq_s: 1e-5,
        }
    }

    #[test]
    fn builtins_parse_and_validate() {
        let c = Catalog::try_builtin().expect("built-in catalog");
        let gpus: Vec<&str> = c.gpus.keys().map(String::as_str).collect();
        let mut want = GPU_NAMES.to_vec();
        want.sort_unstable();
        assert_eq!(gpus, want);
        let models: Vec<&str> = c.models.keys().map(String::as_str).collect();
        let mut want = MODEL_NAMES.to_vec();
        want.sort_unstable();
        assert_eq!(models, want);
        for (name, g) in &c.gpus {
            g.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        for (name, m) in &c.models {
            m.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        c.validate().unwrap();
        // Measured GPUs have no proxy; every other one borrows from a measured one.
        for (name, g) in &c.gpus {
            match name.as_str() {
                "a100-80gb-sxm" | "h100-sxm" => assert_eq!(g.calibration_proxy, None, "{name}"),
                _ => {
                    let p = g.calibration_proxy.as_deref().unwrap();
                    assert!(p == "a100-80gb-sxm" || p == "h100-sxm", "{name} -> {p}");
                }
            }
        }
        // builtin() is the same catalog.
        assert_eq!(Catalog::builtin().gpus, c.gpus);
    }

    #[test]
    fn builtin_gpu_figures_hold_to_the_data_readme() {
        let c = Catalog::builtin();
        let check = |name: &str, tflops: f64, gb: f64, tbps: f64, w: f64| {
            let g = c.gpu(name).unwrap();
            assert_eq!(
                (g.bf16_tflops, g.hbm_gb, g.tdp_w),
                (tflops, gb, w),
                "{name}"
            );
            assert!((g.mem_bw_tbps - tbps).abs() < 0.01, "{name}");
        };
        check("h100-sxm", 989.0, 80.0, 3.35, 700.0);
        check("h200-sxm", 989.0, 141.0, 4.8, 700.0);
        check("a100-80gb-sxm", 312.0, 80.0, 2.04, 400.0);
        check("b200", 2250.0, 180.0, 8.0, 1000.0);
        check("l40s", 362.0, 48.0, 0.864, 350.0);
        assert_eq!(c.gpu("mi300x").unwrap().bf16_tflops, 1307.4);
        assert_eq!(c.gpu("h100-sxm").unwrap().idle_w, 75.0);
        assert_eq!(c.gpu("a100-80gb-sxm").unwrap().idle_w, 63.0);
        let h = c.gpu("h100-sxm").unwrap();
        assert_eq!(h.peak_flops(), 989e12);
        assert_eq!(h.hbm_bytes(), 80e9);
        assert_eq!(h.mem_bw_bytes_per_s(), 3.35e12);
        assert_eq!(h.interconnect_bytes_per_s(), 450e9);
        assert_eq!(h.peak_flops_fp8(), 1979e12);
    }

    #[test]
    fn llama_3_1_70b_kv_bytes_per_token_is_320_kib() {
        let c = Catalog::builtin();
        let m = c.model("llama-3.1-70b").unwrap();
        assert_eq!(m.kv_bytes_per_token(), 327_680.0);
    }

    #[test]
    fn llama_3_1_70b_bf16_weights_are_about_141_gb() {
        let c = Catalog::builtin();
        let w = c.model("llama-3.1-70b").unwrap().weight_bytes();
        assert!((w / 141e9 - 1.0).abs() < 0.01, "{w}");
    }

    #[test]
    fn model_work_and_kv_rules() {
        let c = Catalog::builtin();
        let m = c.model("llama-3.1-8b").unwrap();
        assert_eq!(m.flops_per_token(), 2.0 * 8.03e9);
        assert_eq!(m.attention_flops_per_token_ctx(), 4.0 * 32.0 * 32.0 * 128.0);
        // MoE: work uses active parameters, memory uses all of them.
        let mx = c.model("mixtral-8x7b").unwrap();
        assert_eq!(mx.flops_per_token(), 2.0 * 12.9e9);
        assert_eq!(mx.weight_bytes(), 2.0 * 46.7e9);
        // MLA override: 61 layers x (512 + 64) x 2 bytes.
        let ds = c.model("deepseek-v3").unwrap();
        assert_eq!(ds.kv_bytes_per_token(), 61.0 * 576.0 * 2.0);
        assert_eq!(ds.weight_bytes(), 671e9);
        // MHA (BLOOM): kv heads equal attention heads.
        let b = c.model("bloom-176b").unwrap();
        assert_eq!(b.kv_bytes_per_token(), 2.0 * 70.0 * 112.0 * 128.0 * 2.0);
    }

    #[test]
    fn unknown_names_list_known_ones_and_suggest() {
        let c = Catalog::builtin();
        let e = c.gpu("h100").unwrap_err();
        assert!(
            e.starts_with("unknown GPU \"h100\"; known: a100-80gb-sxm, b200,"),
            "{e}"
        );
        for n in GPU_NAMES {
            assert!(e.contains(n), "{e}");
        }
        assert!(e.ends_with("(did you mean \"h100-sxm\"?)"), "{e}");
        let e = c.gpu("H200-SXM").unwrap_err();
        assert!(e.contains("did you mean \"h200-sxm\""), "{e}");
        let e = c.gpu("mi300").unwrap_err();
        assert!(e.contains("did you mean \"mi300x\""), "{e}");
        let e = c.model("lama-3.1-70b").unwrap_err();
        assert!(
            e.starts_with("unknown model \"lama-3.1-70b\"; known: "),
            "{e}"
        );
        assert!(e.contains("did you mean \"llama-3.1-70b\""), "{e}");
        let e = c.model("gpt-4").unwrap_err();
        assert!(!e.contains("did you mean"), "{e}");
        assert!(e.contains("qwen2.5-72b"), "{e}");
    }

    #[test]
    fn validate_rejects_bad_numbers_naming_the_field() {
        let c = Catalog::builtin();
        let mut g = c.gpu("h100-sxm").unwrap().clone();
        g.mem_bw_tbps = -3.35;
        let e = g.validate().unwrap_err();
        assert!(
            e.contains("mem_bw_tbps") && e.contains("> 0") && e.contains("-3.35"),
            "{e}"
        );

        let mut g = c.gpu("h100-sxm").unwrap().clone();
        g.bf16_tflops = f64::NAN;
        assert!(g.validate().unwrap_err().contains("bf16_tflops"));
        let mut g = c.gpu("h100-sxm").unwrap().clone();
        g.idle_w = 800.0;
        let e = g.validate().unwrap_err();
        assert!(e.contains("idle_w") && e.contains("800"), "{e}");

        let mut m = c.model("llama-3.1-70b").unwrap().clone();
        m.kv_heads = 6;
        let e = m.validate().unwrap_err();
        assert!(e.contains("kv_heads") && e.contains('6'), "{e}");
        let mut m = c.model("llama-3.1-70b").unwrap().clone();
        m.params_active = 2.0 * m.params_total;
        assert!(m.validate().unwrap_err().contains("params_active"));
        let mut m = c.model("llama-3.1-70b").unwrap().clone();
        m.layers = 0;
        assert!(m.validate().unwrap_err().contains("layers"));
        let mut m = c.model("deepseek-v3").unwrap().clone();
        m.kv_bytes_per_token = Some(0.0);
        assert!(m.validate().unwrap_err().contains("kv_bytes_per_token"));

        // Catalog-level: the entry is named, and a proxy must exist.
        let mut c2 = c.clone();
        c2.gpus.get_mut("b200").unwrap().calibration_proxy = Some("h100".into());
        let e = c2.validate().unwrap_err();
        assert!(
            e.starts_with("GPU \"b200\": calibration_proxy: unknown GPU \"h100\""),
            "{e}"
        );
    }

    #[test]
    fn toml_override_via_add_gpu_replaces_the_entry() {
        let mut c = Catalog::builtin();
        let n = c.gpus.len();
        let spec: GpuSpec = toml::from_str(
            r#"
            bf16_tflops = 989.0
            fp8_tflops = 1979.0
            hbm_gb = 94.0
            mem_bw_tbps = 3.9
            tdp_w = 700.0
            idle_w = 75.0
            interconnect_gbps = 450.0
            price_usd = 28000.0
            "#,
        )
        .unwrap();
        let old = c.add_gpu("h100-sxm", spec.clone()).unwrap();
        assert_eq!(old.hbm_gb, 80.0);
        assert_eq!(c.gpu("h100-sxm").unwrap(), &spec);
        assert_eq!(c.gpus.len(), n);
        assert!(c.add_gpu("h100-nvl", spec).is_none());
        assert_eq!(c.gpus.len(), n + 1);
        c.validate().unwrap();

        let mut m = c.model("llama-3.1-405b").unwrap().clone();
        m.weight_bytes_per_param = 1.0;
        assert!(c.add_model("llama-3.1-405b-fp8", m).is_none());
        assert_eq!(
            c.model("llama-3.1-405b-fp8").unwrap().weight_bytes(),
            405.85e9
        );
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let e = Catalog::from_toml("[x]\nbf16_tflop = 1.0\n", "").unwrap_err();
        assert!(e.starts_with("catalog/gpus.toml"), "{e}");
        assert!(e.contains("bf16_tflop"), "{e}");
    }

    #[test]
    fn perf_falls_back_to_proxy_and_nearest_tp() {
        let mut c = Catalog::builtin();
        c.perf.clear();
        let e = c.perf("h200-sxm", 4).unwrap_err();
        assert!(e.contains("h200-sxm") && e.contains("h100-sxm"), "{e}");
        assert!(
            c.perf("a100-80gb-sxm", 4)
                .unwrap_err()
                .contains("no calibrated")
        );
        assert!(c.perf("h100", 4).unwrap_err().contains("did you mean"));

        let mut by_tp = BTreeMap::new();
        by_tp.insert(2, coeffs(0.2));
        by_tp.insert(4, coeffs(0.4));
        by_tp.insert(8, coeffs(0.8));
        c.perf.insert("h100-sxm".into(), by_tp);
        assert_eq!(c.perf("h100-sxm", 4).unwrap().0.mfu, 0.4);
        assert_eq!(c.perf("h200-sxm", 8).unwrap().0.mfu, 0.8); // through the proxy
        assert_eq!(c.perf("h100-sxm", 1).unwrap().0.mfu, 0.2); // nearest
        assert_eq!(c.perf("h100-sxm", 3).unwrap().0.mfu, 0.4); // log2(3) = 1.58 is nearer log2(4) than log2(2)
        assert_eq!(c.perf("h100-sxm", 16).unwrap().0.mfu, 0.8);
        assert!(c.perf("h100-sxm", 0).is_err());

        // Own coefficients win over the proxy's.
        let mut own = BTreeMap::new();
        own.insert(8, coeffs(0.5));
        c.perf.insert("h200-sxm".into(), own);
        assert_eq!(c.perf("h200-sxm", 8).unwrap().0.mfu, 0.5);
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("b200", "b200"), 0);
    }
}
