//! The scenario file as written: serde structs with `deny_unknown_fields`, before validation.
//!
//! Every field is optional here (or a plain `String`), so that a missing or wrong value is
//! reported by validation together with every other problem, with its field path, instead of
//! ending deserialization at the first one. The file format is documented in
//! `scenarios/README.md`.

use serde::Deserialize;

/// `[scenario]`: run-wide settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenarioMeta {
    /// Name used for the output folder and in every output row; default: the file stem.
    pub name: Option<String>,
    /// Free text for the report.
    pub description: Option<String>,
    /// Base seed of every random stream; default 1.
    pub seed: Option<u64>,
    /// Independent replications; default 1.
    pub replications: Option<u32>,
    /// Simulated time after which no arrival is generated and the run stops (unless `drain`).
    pub horizon: Option<RawDuration>,
    /// After the arrivals stop, keep running until all work in the system has finished.
    pub drain: Option<bool>,
    /// Width of a `timeseries.csv` window; default 60 s.
    pub interval: Option<RawDuration>,
}

/// A duration: a string with a unit (`"90s"`, `"15m"`, `"24h"`, `"1h 30m"`, `"250ms"`) or a
/// number of seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum RawDuration {
    /// A number of seconds.
    Seconds(f64),
    /// Text with units, parsed by `humantime`.
    Text(String),
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RawDuration;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a duration such as \"90s\", \"15m\" or \"24h\", or a number of seconds",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawDuration, E> {
                Ok(RawDuration::Text(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawDuration, E> {
                Ok(RawDuration::Seconds(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawDuration, E> {
                Ok(RawDuration::Seconds(v as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawDuration, E> {
                Ok(RawDuration::Seconds(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[arrivals.NAME]`: an open arrival process of tasks of one workflow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArrivals {
    /// The workflow each arrival starts.
    pub workflow: Option<String>,
    /// `"poisson"` (needs `rate_per_s`) or `"renewal"` (needs `interarrival`).
    pub process: Option<String>,
    /// Mean arrival rate of a Poisson process [1/s].
    pub rate_per_s: Option<f64>,
    /// Inter-arrival time distribution of a renewal process.
    pub interarrival: Option<RawDist>,
    /// Stop after this many arrivals.
    pub max_arrivals: Option<u64>,
    /// Trace file of a `"trace"` process, relative to the scenario file (`.csv`: Azure
    /// format; `.jsonl`).
    pub trace: Option<String>,
    /// Trace format, when the extension does not say: `"azure_csv"` or `"jsonl"`.
    pub format: Option<String>,
    /// Multiplies a trace's arrival offsets (0.5 = twice as dense); default 1.
    pub time_scale: Option<f64>,
}

/// `[gpu_pool.NAME]`: replicas of one model on `tensor_parallel` GPUs each.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGpuPool {
    /// Catalog model name.
    pub model: Option<String>,
    /// Catalog GPU name.
    pub gpu: Option<String>,
    /// GPUs per replica; default 1.
    pub tensor_parallel: Option<i64>,
    /// Replicas; default 1.
    pub replicas: Option<i64>,
    /// Most sequences in a batch; default 256.
    pub max_num_seqs: Option<i64>,
    /// Most tokens per iteration; default 8192.
    pub max_num_batched_tokens: Option<i64>,
    /// Tokens per KV block; default 16.
    pub block_size: Option<i64>,
    /// Share of HBM the server may use; default 0.9.
    pub gpu_memory_utilization: Option<f64>,
    /// Memory per GPU kept for activations and runtime [GB]; default 2.
    pub reserve_gb: Option<f64>,
    /// KV blocks per replica, measured (overrides the derivation from memory).
    pub kv_blocks: Option<i64>,
    /// `round_robin`, `least_outstanding` (default) or `least_kv_load`.
    pub routing: Option<String>,
    /// Fast-forward decode runs; default true.
    pub fast_forward: Option<bool>,
}

/// A token count as written: a whole number, `"trace"`, or a distribution table.
#[derive(Debug, Clone, PartialEq)]
pub enum RawTokens {
    /// A fixed count.
    Count(i64),
    /// A keyword (`"trace"`).
    Text(String),
    /// A distribution of counts.
    Dist(RawTokenDist),
}

/// A distribution of token counts: `{ dist = "lognormal", mean = 800, cv = 1.2, max = 8000 }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTokenDist {
    /// Family: constant, exponential, lognormal, gamma, uniform.
    pub dist: Option<String>,
    /// Mean [tokens].
    pub mean: Option<f64>,
    /// Coefficient of variation.
    pub cv: Option<f64>,
    /// Smallest count (uniform: lower bound; others: clamp), default 1.
    pub min: Option<f64>,
    /// Largest count (uniform: upper bound; others: clamp).
    pub max: Option<f64>,
    /// The count of `constant`.
    pub value: Option<f64>,
}

impl<'de> Deserialize<'de> for RawTokens {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawTokens;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a token count: a whole number, \"trace\", or a table such as { dist = \"lognormal\", mean = 800, cv = 1 }",
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawTokens, E> {
                Ok(RawTokens::Count(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawTokens, E> {
                Ok(RawTokens::Count(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawTokens, E> {
                Ok(RawTokens::Text(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawTokens, A::Error> {
                RawTokenDist::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawTokens::Dist)
            }
        }
        d.deserialize_any(V)
    }
}

/// `[cpu_pool.NAME]`: `servers` identical servers with one FIFO queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCpuPool {
    /// Number of servers (c), at least 1.
    pub servers: Option<i64>,
    /// Default service-time distribution of steps on this pool.
    pub service: Option<RawDist>,
}

/// `[workflow.NAME]`: a DAG of steps; a task of the workflow ends when every step has.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkflow {
    /// The steps, in any order (`after` sets the order).
    pub steps: Option<Vec<RawStep>>,
    /// The task's SLO: a task that takes longer has failed (reason `deadline`).
    pub deadline: Option<RawDuration>,
}

/// One step of a workflow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// Unique within the workflow.
    pub name: Option<String>,
    /// `"cpu"` (default: work on a CPU pool) or `"delay"` (time only, no resource).
    pub kind: Option<String>,
    /// The CPU pool a `cpu` step runs on.
    pub pool: Option<String>,
    /// Service time of a `cpu` step (overrides the pool's `service`).
    pub service: Option<RawDist>,
    /// Duration of a `delay` step.
    pub duration: Option<RawDist>,
    /// Steps that must finish before this one starts.
    pub after: Option<Vec<String>>,
    /// Run this many copies in parallel and finish when all have (join on all); default 1.
    pub fanout: Option<i64>,
    /// Prompt tokens of an `llm` step (default: the trace row's).
    pub input_tokens: Option<RawTokens>,
    /// Output tokens of an `llm` step (default: the trace row's).
    pub output_tokens: Option<RawTokens>,
}

/// A probability distribution of a non-negative time [s]; `dist` says which family and the
/// other fields its parameters (see `scenarios/README.md` for the table).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDist {
    /// Family: exponential, deterministic, lognormal, gamma, erlang, hyperexponential,
    /// uniform, weibull, empirical.
    pub dist: Option<String>,
    /// Mean [s].
    pub mean_s: Option<f64>,
    /// Rate [1/s] (exponential only, instead of `mean_s`).
    pub rate_per_s: Option<f64>,
    /// Coefficient of variation (std / mean).
    pub cv: Option<f64>,
    /// Shape parameter (gamma, weibull).
    pub shape: Option<f64>,
    /// Scale parameter [s] (gamma, weibull).
    pub scale_s: Option<f64>,
    /// Number of phases (erlang).
    pub k: Option<i64>,
    /// Lower bound [s] (uniform).
    pub min_s: Option<f64>,
    /// Upper bound [s] (uniform).
    pub max_s: Option<f64>,
    /// Branch probabilities (hyperexponential).
    pub probs: Option<Vec<f64>>,
    /// Branch means [s] (hyperexponential).
    pub means_s: Option<Vec<f64>>,
    /// CSV file of samples, relative to the scenario file (empirical).
    pub file: Option<String>,
    /// Column of `file` holding the samples [s] (empirical).
    pub column: Option<String>,
}
