//! Validation of the LLM parts of a scenario: `[gpu_pool.NAME]` (with KV-cache sizing),
//! `[gpu.NAME]` / `[model.NAME]` catalog additions, token counts of `llm` steps, and trace
//! arrival processes.

use super::load::Ctx;
use super::raw::{RawArrivals, RawGpuPool, RawTokenDist, RawTokens};
use crate::domain::llm::Catalog;
use crate::domain::llm::pool::Routing;
use crate::domain::{ArrivalProcess, Dist, GpuPoolSpec, TokenSource, TraceReplay};
use std::path::Path;
use std::sync::Arc;

/// Default share of HBM the serving engine may use (vLLM's `gpu_memory_utilization`).
pub const DEFAULT_GPU_MEMORY_UTILIZATION: f64 = 0.9;
/// Default memory kept per GPU for activations, CUDA graphs and the runtime [GB]: an estimate
/// of what vLLM's profiling run leaves aside for a 70B-class model.
pub const DEFAULT_RESERVE_GB: f64 = 2.0;
/// Default most sequences per batch (vLLM's `max_num_seqs`).
pub const DEFAULT_MAX_NUM_SEQS: i64 = 256;
/// Default most tokens per iteration (vLLM V1's `max_num_batched_tokens` for online serving).
pub const DEFAULT_MAX_NUM_BATCHED_TOKENS: i64 = 8192;
/// Default tokens per KV block (vLLM's `block_size`).
pub const DEFAULT_BLOCK_SIZE: i64 = 16;
/// Most replicas in one pool.
pub const MAX_REPLICAS: i64 = 100_000;
/// Largest tensor-parallel degree.
pub const MAX_TENSOR_PARALLEL: i64 = 64;
/// Most KV blocks per replica (given or derived).
pub const MAX_KV_BLOCKS: f64 = 1e12;
/// Largest token count of one call (prompt or output).
pub const MAX_TOKENS: f64 = 10_000_000.0;

fn whole(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: Option<i64>,
    default: i64,
    range: (i64, i64),
    what: &str,
) -> i64 {
    match v {
        None => default,
        Some(x) if (range.0..=range.1).contains(&x) => x,
        Some(x) => {
            ctx.err(
                path,
                format!("expected {what} from {} to {}, found {x}", range.0, range.1),
            );
            default
        }
    }
}

/// Validates `[gpu_pool.NAME]` against the catalog; derives the KV blocks per replica.
pub(super) fn gpu_pool(
    ctx: &mut Ctx<'_>,
    name: &str,
    rp: &RawGpuPool,
    catalog: &Catalog,
) -> Option<GpuPoolSpec> {
    let base = format!("gpu_pool.{name}");
    let p = |f: &str| format!("{base}.{f}");
    let tp = whole(
        ctx,
        &p("tensor_parallel"),
        rp.tensor_parallel,
        1,
        (1, MAX_TENSOR_PARALLEL),
        "a tensor-parallel degree",
    ) as u32;
    let replicas = whole(
        ctx,
        &p("replicas"),
        rp.replicas,
        1,
        (0, MAX_REPLICAS),
        "a number of replicas",
    ) as u32;
    let max_num_seqs = whole(
        ctx,
        &p("max_num_seqs"),
        rp.max_num_seqs,
        DEFAULT_MAX_NUM_SEQS,
        (1, 1 << 20),
        "a batch size",
    ) as u32;
    let max_num_batched_tokens = whole(
        ctx,
        &p("max_num_batched_tokens"),
        rp.max_num_batched_tokens,
        DEFAULT_MAX_NUM_BATCHED_TOKENS,
        (1, 1 << 24),
        "a token budget",
    ) as u32;
    let block_size = whole(
        ctx,
        &p("block_size"),
        rp.block_size,
        DEFAULT_BLOCK_SIZE,
        (1, 4096),
        "a block size in tokens",
    ) as u32;
    let util = match rp.gpu_memory_utilization {
        None => DEFAULT_GPU_MEMORY_UTILIZATION,
        Some(u) if u > 0.0 && u <= 1.0 => u,
        Some(u) => {
            ctx.err(
                &p("gpu_memory_utilization"),
                format!("expected a share of memory in (0, 1], found {u}"),
            );
            DEFAULT_GPU_MEMORY_UTILIZATION
        }
    };
    let reserve_gb = match rp.reserve_gb {
        None => DEFAULT_RESERVE_GB,
        Some(r) if r.is_finite() && r >= 0.0 => r,
        Some(r) => {
            ctx.err(
                &p("reserve_gb"),
                format!("expected a memory reserve >= 0 GB, found {r}"),
            );
            DEFAULT_RESERVE_GB
        }
    };
    let prefix_cache_hit = match rp.prefix_cache_hit {
        None => 0.0,
        Some(h) if (0.0..=1.0).contains(&h) => h,
        Some(h) => {
            ctx.err(
                &p("prefix_cache_hit"),
                format!(
                    "expected the share of the carried context found in the prefix cache, a probability in [0, 1], found {h}"
                ),
            );
            0.0
        }
    };
    let routing = match rp.routing.as_deref() {
        None => Some(Routing::LeastOutstanding),
        Some(r) => {
            let parsed = Routing::parse(r);
            if parsed.is_none() {
                ctx.err(
                    &p("routing"),
                    format!(
                        "unknown routing {r:?}, expected one of: {}",
                        Routing::NAMES.join(", ")
                    ),
                );
            }
            parsed
        }
    };
    let model = match &rp.model {
        None => {
            ctx.err(
                &p("model"),
                format!(
                    "missing; expected a model name, one of: {}",
                    names(catalog.models.keys())
                ),
            );
            None
        }
        Some(m) => catalog
            .model(m)
            .map_err(|e| ctx.err(&p("model"), e))
            .ok()
            .map(|s| (m.clone(), s.clone())),
    };
    let gpu = match &rp.gpu {
        None => {
            ctx.err(
                &p("gpu"),
                format!(
                    "missing; expected a GPU name, one of: {}",
                    names(catalog.gpus.keys())
                ),
            );
            None
        }
        Some(g) => catalog
            .gpu(g)
            .map_err(|e| ctx.err(&p("gpu"), e))
            .ok()
            .map(|s| (g.clone(), s.clone())),
    };
    let ((model_name, model), (gpu_name, gpu), routing) = (model?, gpu?, routing?);
    if model.attention_heads % tp != 0 {
        let divisors: Vec<String> = (1..=model.attention_heads.min(MAX_TENSOR_PARALLEL as u32))
            .filter(|d| model.attention_heads % d == 0)
            .map(|d| d.to_string())
            .collect();
        ctx.err(
            &p("tensor_parallel"),
            format!(
                "expected a tensor-parallel degree that divides {model_name}'s {} attention heads (each GPU serves whole heads): one of {}, found {tp}",
                model.attention_heads,
                divisors.join(", ")
            ),
        );
        return None;
    }
    let (coeffs, perf_source) = match catalog.perf(&gpu_name, tp) {
        Ok(c) => c,
        Err(e) => {
            ctx.err(&p("gpu"), e);
            return None;
        }
    };
    // KV cache: HBM x utilisation − weights − reserve, over the bytes per token.
    let kv_per_token = model.kv_bytes_per_token();
    let memory = f64::from(tp) * gpu.hbm_bytes() * util;
    let weights = model.weight_bytes();
    let reserve = f64::from(tp) * reserve_gb * 1e9;
    let free = memory - weights - reserve;
    let derived_blocks = (free / (kv_per_token * f64::from(block_size))).floor();
    let does_not_fit = |missing_gb: f64, what: &str| {
        format!(
            "{model_name} does not fit on {tp} x {gpu_name}: {:.1} GB usable ({:.0} GB HBM x {util}) minus {:.1} GB of weights and {:.1} GB reserve leaves {what}; {missing_gb:.1} GB missing. Use a larger tensor_parallel or a GPU with more memory",
            memory / 1e9,
            f64::from(tp) * gpu.hbm_bytes() / 1e9,
            weights / 1e9,
            reserve / 1e9,
        )
    };
    let kv_blocks = match rp.kv_blocks {
        // A measured block count still needs the weights to fit.
        _ if free <= 0.0 => {
            ctx.err(
                &p("tensor_parallel"),
                does_not_fit(-free / 1e9, "nothing for the KV cache"),
            );
            return None;
        }
        Some(b) if (1..=MAX_KV_BLOCKS as i64).contains(&b) => b as u64,
        Some(b) => {
            ctx.err(
                &p("kv_blocks"),
                format!("expected a number of KV blocks from 1 to {MAX_KV_BLOCKS:e}, found {b}"),
            );
            return None;
        }
        None if derived_blocks > MAX_KV_BLOCKS => {
            ctx.err(
                &p("gpu"),
                format!("the KV cache would hold {derived_blocks:e} blocks (more than {MAX_KV_BLOCKS:e}): check the GPU's hbm_gb and the model's KV bytes per token ({kv_per_token} B)"),
            );
            return None;
        }
        None if derived_blocks >= 1.0 => derived_blocks as u64,
        None => {
            let missing = (f64::from(block_size) * kv_per_token - free) / 1e9;
            ctx.err(
                &p("tensor_parallel"),
                does_not_fit(missing, "less than one KV block"),
            );
            return None;
        }
    };
    Some(GpuPoolSpec {
        name: name.to_string(),
        model_name,
        model,
        gpu_name,
        gpu,
        tensor_parallel: tp,
        replicas,
        perf: coeffs,
        perf_source,
        max_num_seqs,
        max_num_batched_tokens,
        block_size,
        kv_blocks,
        routing,
        fast_forward: rp.fast_forward.unwrap_or(true),
        prefix_cache_hit,
        // Resolved with the other pools (`plan_spec::overflow`).
        overflow: None,
    })
}

fn names<'a>(it: impl Iterator<Item = &'a String>) -> String {
    it.map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// Validates a token count of an `llm` step; `None` (absent) means "from the trace".
pub(super) fn tokens(ctx: &mut Ctx<'_>, path: &str, t: Option<&RawTokens>) -> Option<TokenSource> {
    let count = |ctx: &mut Ctx<'_>, x: f64, what: &str| -> Option<f64> {
        if x.is_finite() && (1.0..=MAX_TOKENS).contains(&x) {
            Some(x)
        } else {
            ctx.err(
                path,
                format!("expected {what} from 1 to {MAX_TOKENS:e} tokens, found {x}"),
            );
            None
        }
    };
    let max_default = MAX_TOKENS as u32;
    match t {
        None => Some(TokenSource::Trace),
        Some(RawTokens::Text(s)) if s == "trace" => Some(TokenSource::Trace),
        Some(RawTokens::Text(s)) => {
            ctx.err(path, format!("expected a whole number of tokens, \"trace\" or a distribution table, found {s:?}"));
            None
        }
        Some(RawTokens::Count(n)) => {
            let n = count(ctx, *n as f64, "a token count")? as u32;
            Some(TokenSource::Dist {
                dist: Dist::Deterministic {
                    value_s: f64::from(n),
                },
                min: n,
                max: n,
            })
        }
        Some(RawTokens::Dist(d)) => token_dist(ctx, path, d, max_default),
    }
}

fn token_dist(
    ctx: &mut Ctx<'_>,
    path: &str,
    d: &RawTokenDist,
    max_default: u32,
) -> Option<TokenSource> {
    let field = |f: &str| format!("{path}.{f}");
    let positive = |ctx: &mut Ctx<'_>, f: &str, v: Option<f64>, what: &str| -> Option<f64> {
        match v {
            Some(x) if x.is_finite() && (1.0..=MAX_TOKENS).contains(&x) => Some(x),
            Some(x) => {
                ctx.err(
                    &field(f),
                    format!("expected {what} from 1 to {MAX_TOKENS:e}, found {x}"),
                );
                None
            }
            None => {
                ctx.err(&field(f), format!("missing; expected {what}"));
                None
            }
        }
    };
    let cv = |ctx: &mut Ctx<'_>, v: Option<f64>| -> Option<f64> {
        match v {
            Some(c) if (0.001..=100.0).contains(&c) => Some(c),
            Some(c) => {
                ctx.err(
                    &field("cv"),
                    format!("expected a coefficient of variation from 0.001 to 100, found {c}"),
                );
                None
            }
            None => {
                ctx.err(
                    &field("cv"),
                    "missing; expected the coefficient of variation (std / mean)",
                );
                None
            }
        }
    };
    // Every given field must belong to the family.
    let allowed: &[&str] = match d.dist.as_deref() {
        Some("constant") => &["value"],
        Some("exponential") => &["mean", "min", "max"],
        Some("lognormal" | "gamma") => &["mean", "cv", "min", "max"],
        Some("uniform") => &["min", "max"],
        _ => &["mean", "cv", "min", "max", "value"],
    };
    let given = [
        ("mean", d.mean.is_some()),
        ("cv", d.cv.is_some()),
        ("min", d.min.is_some()),
        ("max", d.max.is_some()),
        ("value", d.value.is_some()),
    ];
    let stray: Vec<&str> = given
        .iter()
        .filter(|(f, present)| *present && !allowed.contains(f))
        .map(|(f, _)| *f)
        .collect();
    if !stray.is_empty() {
        ctx.err(
            &field(stray[0]),
            format!(
                "`{}` is not a parameter of the {} token distribution (it takes: {})",
                stray.join("`, `"),
                d.dist.as_deref().unwrap_or("?"),
                allowed.join(", ")
            ),
        );
        return None;
    }
    let lo = match d.min {
        None => Some(1.0),
        v => positive(ctx, "min", v, "the smallest count"),
    };
    let hi = match d.max {
        None => Some(f64::from(max_default)),
        v => positive(ctx, "max", v, "the largest count"),
    };
    let dist = match d.dist.as_deref() {
        Some("constant") => positive(ctx, "value", d.value, "the token count")
            .map(|v| Dist::Deterministic { value_s: v.round() }),
        Some("exponential") => positive(ctx, "mean", d.mean, "the mean token count")
            .map(|m| Dist::Exponential { mean_s: m }),
        Some("lognormal") => {
            let (m, c) = (
                positive(ctx, "mean", d.mean, "the mean token count"),
                cv(ctx, d.cv),
            );
            Some(Dist::LogNormal { mean_s: m?, cv: c? })
        }
        Some("gamma") => {
            let (m, c) = (
                positive(ctx, "mean", d.mean, "the mean token count"),
                cv(ctx, d.cv),
            );
            let (m, c) = (m?, c?);
            Some(Dist::Gamma {
                shape: 1.0 / (c * c),
                scale_s: m * c * c,
            })
        }
        Some("uniform") => {
            if d.min.is_none() || d.max.is_none() {
                ctx.err(path, "a uniform token count needs `min` and `max`");
                return None;
            }
            Some(Dist::Uniform {
                min_s: lo?,
                max_s: hi?,
            })
        }
        Some(other) => {
            ctx.err(&field("dist"), format!("unknown token distribution {other:?}, expected constant, exponential, lognormal, gamma or uniform"));
            None
        }
        None => {
            ctx.err(
                &field("dist"),
                "missing; expected dist = constant, exponential, lognormal, gamma or uniform",
            );
            None
        }
    };
    let (dist, lo, hi) = (dist?, lo?, hi?);
    if lo > hi {
        ctx.err(
            &field("max"),
            format!("expected max >= min ({lo}), found {hi}"),
        );
        return None;
    }
    Some(TokenSource::Dist {
        dist,
        min: lo.round() as u32,
        max: hi.round() as u32,
    })
}

/// Reads the trace of a `"trace"` arrival process.
pub(super) fn trace_process(
    ctx: &mut Ctx<'_>,
    base: &str,
    ra: &RawArrivals,
    base_dir: &Path,
) -> Option<ArrivalProcess> {
    for (f, present) in [
        ("rate_per_s", ra.rate_per_s.is_some()),
        ("interarrival", ra.interarrival.is_some()),
    ] {
        if present {
            ctx.err(
                &format!("{base}.{f}"),
                "a trace process takes its arrival times from `trace`; remove this field",
            );
            return None;
        }
    }
    let Some(file) = &ra.trace else {
        ctx.err(
            &format!("{base}.trace"),
            "missing; a trace process needs `trace`, a .csv (Azure format) or .jsonl file",
        );
        return None;
    };
    let format = match ra.format.as_deref() {
        None => None,
        Some("azure_csv") => Some(super::trace_file::TraceFormat::AzureCsv),
        Some("jsonl") => Some(super::trace_file::TraceFormat::Jsonl),
        Some(other) => {
            ctx.err(
                &format!("{base}.format"),
                format!("unknown trace format {other:?}, expected \"azure_csv\" or \"jsonl\""),
            );
            return None;
        }
    };
    let scale = match ra.time_scale {
        None => 1.0,
        Some(s) if s.is_finite() && s > 0.0 && s <= 1e6 => s,
        Some(s) => {
            ctx.err(
                &format!("{base}.time_scale"),
                format!("expected a time scale > 0 and at most 1e6, found {s}"),
            );
            return None;
        }
    };
    let path = base_dir.join(file);
    match super::trace_file::read_trace(&path, format, scale) {
        Ok(t) => Some(ArrivalProcess::Trace(Arc::new(TraceReplay {
            source: path,
            requests: t.requests,
        }))),
        Err(e) => {
            let n = e.problems.len();
            ctx.err(
                &format!("{base}.trace"),
                format!(
                    "cannot use the trace {}: {n}{} problem(s), listed with their lines",
                    path.display(),
                    if e.more { "+" } else { "" }
                ),
            );
            ctx.push_all(e.to_diagnostics());
            None
        }
    }
}
