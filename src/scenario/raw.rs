//! The scenario file as written: serde structs with `deny_unknown_fields`, before validation.
//!
//! Every field is optional here (or a plain `String`), so that a missing or wrong value is
//! reported by validation together with every other problem, with its field path, instead of
//! ending deserialization at the first one. The file format is documented in
//! `scenarios/README.md`.

use serde::Deserialize;
use std::collections::BTreeMap;

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
    /// Local date and time at simulated time 0 (`"2026-03-02T09:00"`); default Monday
    /// 00:00. Working hours are read on this clock.
    pub start: Option<String>,
    /// The task SLO attainment the plan must keep (for `runway_days`), in (0, 1].
    pub slo_target: Option<f64>,
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
    /// Weekly shape of this process, instead of `[workload] shape` (not for traces).
    pub shape: Option<String>,
}

/// `[workload]`: how demand moves over calendar time (every Poisson or renewal process).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    /// Weekly shape: `flat` (default), `office-hours`, `consumer`, `servegen:<model>`.
    pub shape: Option<String>,
    /// Adoption growth from the scenario's start; default none.
    pub growth: Option<RawGrowth>,
}

/// `[workload.growth]`: a growth curve; which fields apply depends on `kind`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrowth {
    /// `none`, `linear`, `exponential`, `logistic` or `steps`.
    pub kind: Option<String>,
    /// linear: the multiplier reached at `by`.
    pub to: Option<f64>,
    /// linear: the date (`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`) at which `to` is reached.
    pub by: Option<String>,
    /// exponential: the doubling time.
    pub doubling: Option<RawDuration>,
    /// logistic: the limit of the multiplier.
    pub ceiling: Option<f64>,
    /// logistic: the date of the inflection point.
    pub midpoint: Option<String>,
    /// logistic: time from 10 % to 90 % of the rise.
    pub rise: Option<RawDuration>,
    /// steps: the dates of the steps, increasing.
    pub at: Option<Vec<String>>,
    /// steps: the multiplier from each date on.
    pub factor: Option<Vec<f64>>,
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
    /// Share of a call's carried context found in the prefix cache, in [0, 1]; default 0.
    pub prefix_cache_hit: Option<f64>,
    /// Racks its servers fill, in order (with a `[rack.*]` facility).
    pub racks: Option<Vec<String>>,
    /// GPUs per server; default 8.
    pub gpus_per_server: Option<i64>,
    /// Host power of one server at idle [W].
    pub host_idle_w: Option<f64>,
    /// Host power of one server with every GPU busy [W].
    pub host_busy_w: Option<f64>,
    /// `"high"` (default) or `"low"`: low-priority pools are power-capped first.
    pub priority: Option<String>,
    /// A pool serving the same model that takes this pool's calls when it is saturated.
    pub overflow_to: Option<String>,
    /// Saturated: every replica has at least this many calls waiting that its batch cannot take; default 1.
    pub overflow_queue: Option<i64>,
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
    /// Most step attempts one task may start (its calls included).
    pub max_steps: Option<i64>,
    /// Most LLM tokens one task may use (its calls included).
    pub max_tokens: Option<i64>,
    /// Today's process without AI, to compare against.
    pub baseline: Option<RawBaseline>,
}

/// `workflow.NAME.baseline`: how a case is handled today, without AI.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBaseline {
    /// People-minutes per case.
    pub minutes_per_case: Option<f64>,
    /// Loaded cost of an hour of those people [USD].
    pub usd_per_hour: Option<f64>,
    /// Time from request to resolution today.
    pub cycle_time: Option<RawDuration>,
}

/// One step of a workflow.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// Unique within the workflow.
    pub name: Option<String>,
    /// `"cpu"` (default), `"delay"`, `"llm"`, `"human"` or `"call"`.
    pub kind: Option<String>,
    /// The pool: a CPU pool (cpu), a GPU pool or a table of weights of GPU pools (llm), a
    /// human pool (human).
    pub pool: Option<RawPool>,
    /// Routing rules of an `llm` step (instead of `pool`).
    pub route: Option<Vec<RawRouteRule>>,
    /// The workflow a `call` step runs.
    pub workflow: Option<String>,
    /// Service time of a `cpu` or `human` step (overrides the pool's `service`).
    pub service: Option<RawDist>,
    /// Duration of a `delay` step.
    pub duration: Option<RawDist>,
    /// Steps that must finish before this one starts.
    pub after: Option<Vec<String>>,
    /// Copies run in parallel: a count, a count distribution or `{ for_each = "step" }`.
    pub fanout: Option<RawCount>,
    /// When the copies are done: `"all"`, `{ first = k }` or `{ quorum = k }`.
    pub join: Option<RawJoin>,
    /// Times the step runs one after another: a count or a count distribution.
    pub repeat: Option<RawCount>,
    /// Probability that one attempt succeeds; default 1.
    pub success_prob: Option<f64>,
    /// Retries of a failed attempt.
    pub retry: Option<RawRetry>,
    /// `"fail"` (default) or the name of a handler step.
    pub on_failure: Option<String>,
    /// Prompt tokens of an `llm` step (default: the trace row's).
    pub input_tokens: Option<RawTokens>,
    /// Output tokens of an `llm` step (default: the trace row's).
    pub output_tokens: Option<RawTokens>,
    /// The prompt of an `llm` step carries the context gathered so far.
    pub context: Option<bool>,
    /// Tokens one copy of a non-`llm` step adds to the context.
    pub result_tokens: Option<RawTokens>,
}

/// The `pool` of a step: a name, or (llm) a table of GPU pool weights.
#[derive(Debug, Clone, PartialEq)]
pub enum RawPool {
    /// One pool.
    Name(String),
    /// Pools with weights (`{ small = 3, large = 1 }`).
    Weights(BTreeMap<String, f64>),
}

impl<'de> Deserialize<'de> for RawPool {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawPool;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a pool name, or (llm steps) a table of weights such as { small = 3, large = 1 }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawPool, E> {
                Ok(RawPool::Name(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawPool, A::Error> {
                BTreeMap::<String, f64>::deserialize(serde::de::value::MapAccessDeserializer::new(
                    map,
                ))
                .map(RawPool::Weights)
            }
        }
        d.deserialize_any(V)
    }
}

/// One rule of an `llm` step's `route`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRouteRule {
    /// Calls with at most this many prompt tokens (context included) take this rule.
    pub max_input_tokens: Option<i64>,
    /// The GPU pool.
    pub pool: Option<String>,
}

/// A count as written: a whole number or a table (a distribution, or `for_each`).
#[derive(Debug, Clone, PartialEq)]
pub enum RawCount {
    /// A fixed count.
    Whole(i64),
    /// A distribution of counts, or (fan-out) one copy per copy of an earlier step.
    Table(RawCountTable),
}

/// `{ dist = "poisson", mean = 3 }`, `{ dist = "uniform", min = 1, max = 4 }`,
/// `{ dist = "constant", value = 2 }`, `{ dist = "geometric", mean = 9 }` or
/// `{ for_each = "step" }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCountTable {
    /// Family: constant, geometric, poisson, uniform.
    pub dist: Option<String>,
    /// The count of `constant`.
    pub value: Option<f64>,
    /// Mean (geometric, poisson).
    pub mean: Option<f64>,
    /// Smallest count (uniform).
    pub min: Option<f64>,
    /// Largest count (uniform).
    pub max: Option<f64>,
    /// Fan-out only: one copy per copy of this earlier step.
    pub for_each: Option<String>,
}

impl<'de> Deserialize<'de> for RawCount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawCount;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a count: a whole number, or a table such as { dist = \"poisson\", mean = 3 }",
                )
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawCount, E> {
                Ok(RawCount::Whole(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawCount, E> {
                Ok(RawCount::Whole(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawCount, A::Error> {
                RawCountTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawCount::Table)
            }
        }
        d.deserialize_any(V)
    }
}

/// A join as written: `"all"`, `{ first = k }` or `{ quorum = k }`.
#[derive(Debug, Clone, PartialEq)]
pub enum RawJoin {
    /// A keyword (`"all"`).
    Text(String),
    /// `{ first = k }` or `{ quorum = k }`.
    Table(RawJoinTable),
}

/// `{ first = k }` or `{ quorum = k }`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJoinTable {
    /// Done when this many copies have succeeded.
    pub first: Option<i64>,
    /// Waits for all copies; succeeds when this many did.
    pub quorum: Option<i64>,
}

impl<'de> Deserialize<'de> for RawJoin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawJoin;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a join: \"all\", { first = k } or { quorum = k }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawJoin, E> {
                Ok(RawJoin::Text(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawJoin, A::Error> {
                RawJoinTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(RawJoin::Table)
            }
        }
        d.deserialize_any(V)
    }
}

/// `retry = { max_attempts = 3, backoff = "2s", from = "answer" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetry {
    /// Attempts in all; default 3.
    pub max_attempts: Option<i64>,
    /// Wait before the next attempt: a duration or a time distribution.
    pub backoff: Option<RawBackoff>,
    /// Re-run from this earlier step.
    pub from: Option<String>,
}

/// A wait: a duration (`"2s"`, a number of seconds) or a time-distribution table.
#[derive(Debug, Clone)]
pub enum RawBackoff {
    /// A fixed duration.
    Duration(RawDuration),
    /// A distribution.
    Dist(Box<RawDist>),
}

impl<'de> Deserialize<'de> for RawBackoff {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RawBackoff;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(
                    "a wait: a duration such as \"2s\", a number of seconds, or a table such as { dist = \"exponential\", mean_s = 1 }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawBackoff, E> {
                Ok(RawBackoff::Duration(RawDuration::Text(v.to_string())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<RawBackoff, E> {
                Ok(RawBackoff::Duration(RawDuration::Seconds(v as f64)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<RawBackoff, E> {
                Ok(RawBackoff::Duration(RawDuration::Seconds(v as f64)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<RawBackoff, E> {
                Ok(RawBackoff::Duration(RawDuration::Seconds(v)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawBackoff, A::Error> {
                RawDist::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|d| RawBackoff::Dist(Box::new(d)))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[human_pool.NAME]`: `reviewers` people with one FIFO queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHumanPool {
    /// Number of reviewers (c), at least 1.
    pub reviewers: Option<i64>,
    /// Default review time of steps on this pool.
    pub service: Option<RawDist>,
    /// Price of one review [USD]; default 0.
    pub cost_per_review_usd: Option<f64>,
    /// When reviews may start; default around the clock.
    pub working_hours: Option<RawWorkingHours>,
}

/// `{ from = "09:00", to = "17:00", days = ["mon", "tue"] }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkingHours {
    /// Opening time, `"HH:MM"`.
    pub from: Option<String>,
    /// Closing time, `"HH:MM"` (`"24:00"` for midnight).
    pub to: Option<String>,
    /// Working days (`"mon"` … `"sun"`); default all seven.
    pub days: Option<Vec<String>>,
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

/// `[site]`: the facility as a whole.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    /// Site cap on IT power [kW].
    pub power_cap_kw: Option<f64>,
    /// A fixed PUE instead of the cooling model.
    pub pue: Option<f64>,
    /// Distribution losses as a share of IT power; default 0.06.
    pub distribution_loss: Option<f64>,
    /// Constant facility load [kW]; default 0.
    pub fixed_kw: Option<f64>,
    /// Outdoor temperature: `{ constant_c }`, a curve, or `{ csv }`.
    pub ambient: Option<RawAmbient>,
    /// Step at which the ambient temperature is read; default 5 minutes.
    pub ambient_step: Option<RawDuration>,
    /// `"dynamic"` (default), `"static"` or `"none"`.
    pub policy: Option<String>,
    /// Static policy: per-GPU power limit as a share of TDP.
    pub gpu_power_limit: Option<f64>,
    /// Dynamic policy: share of a limit above which low-priority pools are capped; default
    /// 0.9.
    pub low_priority_threshold: Option<f64>,
}

/// `site.ambient`: outdoor temperature over time.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAmbient {
    /// A constant temperature [°C].
    pub constant_c: Option<f64>,
    /// Curve: yearly mean [°C].
    pub mean_c: Option<f64>,
    /// Curve: half the day-night swing [°C].
    pub diurnal_amplitude_c: Option<f64>,
    /// Curve: hour of the daily maximum, 0..24; default 15.
    pub peak_hour: Option<f64>,
    /// Curve: half the summer-winter swing [°C]; default 0.
    pub seasonal_amplitude_c: Option<f64>,
    /// Curve: day of the year of the seasonal maximum, 1..=366; default 200.
    pub peak_day: Option<f64>,
    /// A CSV series (`time_s,ambient_c` or `datetime,ambient_c`), relative to the scenario.
    pub csv: Option<String>,
}

/// `[row.NAME]`: a row of racks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRow {
    /// Row cap on IT power [kW].
    pub power_cap_kw: Option<f64>,
}

/// `[rack.NAME]`: a rack.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRack {
    /// The row it stands in.
    pub row: Option<String>,
    /// Server slots.
    pub servers: Option<i64>,
    /// Rack cap on IT power [kW].
    pub power_cap_kw: Option<f64>,
    /// `"air"` (default), `"rear_door"` or `"liquid"`.
    pub cooling: Option<String>,
    /// Heat-removal capacity at or below the rated ambient [kW]; default the power cap.
    pub cooling_capacity_kw: Option<f64>,
}

/// `[cost]`: prices (see `scenarios/README.md`, "Costs"). Every price is optional (0).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    /// Energy price [USD/kWh]: flat, or the base price outside the `energy_tou` periods.
    pub energy_usd_per_kwh: Option<f64>,
    /// Time-of-use periods with their own price.
    pub energy_tou: Option<Vec<RawTouPeriod>>,
    /// Facility price per provisioned kW and month [USD].
    pub facility_usd_per_kw_month: Option<f64>,
    /// Facility build cost per MW of provisioned IT load [USD], amortised.
    pub facility_build_usd_per_mw: Option<f64>,
    /// Amortisation period of the facility build [years]; default 15.
    pub facility_life_years: Option<f64>,
    /// Prices per GPU pool.
    pub gpu_pool: Option<BTreeMap<String, RawGpuPoolPrice>>,
    /// Prices per CPU pool.
    pub cpu_pool: Option<BTreeMap<String, RawCpuPoolPrice>>,
}

/// `cost.energy_tou[i]`: a time-of-use period.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTouPeriod {
    /// Days it starts on (`"mon"` … `"sun"`); default every day.
    pub days: Option<Vec<String>>,
    /// Start, `"HH:MM"`.
    pub from: Option<String>,
    /// End, `"HH:MM"` (`"24:00"` for midnight); before `from`: the next day.
    pub to: Option<String>,
    /// Price [USD/kWh].
    pub usd_per_kwh: Option<f64>,
}

/// `cost.gpu_pool.NAME`: what one GPU pool costs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGpuPoolPrice {
    /// Purchase price per GPU [USD].
    pub capex_usd_per_gpu: Option<f64>,
    /// Purchase price per server without GPUs [USD].
    pub capex_usd_per_server: Option<f64>,
    /// Amortisation period [years]; default 5.
    pub life_years: Option<f64>,
    /// Software licences per GPU and year [USD].
    pub licence_usd_per_gpu_year: Option<f64>,
    /// Rental per GPU-hour [USD] (a cloud pool).
    pub cloud_usd_per_gpu_hour: Option<f64>,
    /// On demand: time to provision a cold replica; default 0.
    pub provisioning: Option<RawDuration>,
    /// On demand: idle time after which a replica is released (makes the pool on demand).
    pub release_after: Option<RawDuration>,
}

/// `cost.cpu_pool.NAME`: what one CPU pool costs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCpuPoolPrice {
    /// Price per server-hour [USD].
    pub usd_per_server_hour: Option<f64>,
}

/// The top-level `[[fleet]]` array, wrapped for deserialization.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFleetSection {
    /// The changes, in file order.
    pub fleet: Option<Vec<RawFleetChange>>,
}

/// `[[fleet]]`: a purchase or a retirement of a GPU pool's replicas.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFleetChange {
    /// The GPU pool.
    pub pool: Option<String>,
    /// Order date (purchases) or retirement date, `"YYYY-MM-DD"` or with a time.
    pub date: Option<String>,
    /// Order to service; default 0.
    pub lead_time: Option<RawDuration>,
    /// Replicas bought.
    pub add: Option<i64>,
    /// Replicas retired.
    pub retire: Option<i64>,
}

/// `[epochs]`: simulate a long horizon as one window per period.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEpochs {
    /// Period each epoch stands for (`"7d"`).
    pub every: Option<RawDuration>,
    /// Simulated window per period (`"24h"`).
    pub length: Option<RawDuration>,
    /// Start of the window within its period; default 0.
    pub offset: Option<RawDuration>,
}

/// `[plan]`: what `infersim plan` sizes and must meet.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// Targets, `[GROUP] METRIC [STAT] <= NUMBER` or `>= NUMBER`.
    pub targets: Option<Vec<String>>,
    /// Require no time at a power cap or over a cooling limit; default true with racks.
    pub power_within_caps: Option<bool>,
    /// Most replications per fleet when a target is met only within noise.
    pub max_replications: Option<i64>,
    /// With `[epochs]`: plan at epochs this far apart.
    pub every: Option<RawDuration>,
    /// Whether the scenario as written is a candidate besides `[[plan.option]]`.
    pub include_as_written: Option<bool>,
    /// `[plan.pool.NAME]`: the pools to size.
    pub pool: Option<BTreeMap<String, RawPlanPool>>,
    /// `[[plan.option]]`: candidates.
    pub option: Option<Vec<RawPlanOption>>,
}

/// `[plan.pool.NAME]`: bounds of a sized pool.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlanPool {
    /// Fewest units.
    pub min: Option<i64>,
    /// Most units.
    pub max: Option<i64>,
    /// Order-to-service time.
    pub lead_time: Option<RawDuration>,
}

/// `[[plan.option]]`: a candidate, as changes to the scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlanOption {
    /// Name in outputs.
    pub name: String,
    /// Changes: dotted path = value.
    pub set: BTreeMap<String, toml::Value>,
}
