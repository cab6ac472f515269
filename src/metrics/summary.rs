//! Aggregation over replications into `summary.csv` rows and `timeseries.csv` rows.
//!
//! Conventions (see `docs/METRICS.md`):
//! - a distribution's percentiles, mean and max are those of the *merged* observations of
//!   all replications; its `count` is their number; the 95 % half-width comes from the spread
//!   of the per-replication values (Student t, n − 1 degrees of freedom);
//! - a `total` is the per-replication total averaged over replications, with its half-width;
//! - a `mean` level (utilization, queue length…) is averaged over replications likewise.
//!
//! With one replication no half-width is given.
//!
//! Aggregation streams: [`Aggregate::add`] takes one replication at a time (in replication
//! order) and keeps only merged histograms and a few numbers per replication, so memory does
//! not grow with the histograms of every replication.

use super::names::{Metric, Series};
use super::replication::ReplicationResult;
use super::windowed::window_len;
use super::{LatencyHist, QUANTILES};
use crate::domain::Scenario;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::borrow::Cow;

/// One row of `summary.csv` (the scenario name is added by the exporter).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// `all`, `workflow:<name>` or `pool:<name>`.
    pub group: String,
    /// Metric.
    pub metric: Metric,
    /// `mean`, `p50`, `p90`, `p95`, `p99`, `p999`, `max`, `count` or `total`.
    pub stat: &'static str,
    /// The value; `None` when there is nothing to report (no observation).
    pub value: Option<f64>,
    /// 95 % confidence half-width over replications; `None` with fewer than 2.
    pub ci95_half_width: Option<f64>,
}

/// One row of `timeseries.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    /// Replication index.
    pub replication: u32,
    /// Window start [s].
    pub time_s: f64,
    /// Series.
    pub series: Series,
    /// `pool:<name>`.
    pub group: String,
    /// Window value.
    pub value: f64,
}

/// One row of `distributions.csv`: a quantile of a merged distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionRow {
    /// As in [`SummaryRow::group`].
    pub group: String,
    /// A distribution metric (`ttft_s`, `task_latency_s`…).
    pub metric: Metric,
    /// Quantile, 0 to 1 ([`CDF_QUANTILES`]).
    pub quantile: f64,
    /// The value at that quantile, in the metric's unit [s].
    pub value: f64,
}

/// Quantiles written to `distributions.csv` for each distribution: 0.01 to 0.99 by 0.01,
/// then 0.995, 0.999, 0.9999 and 1 (the maximum): enough points to draw a CDF to its tail.
pub fn cdf_quantiles() -> Vec<f64> {
    (1..=99)
        .map(|i| f64::from(i) / 100.0)
        .chain([0.995, 0.999, 0.9999, 1.0])
        .collect()
}

/// 95 % confidence half-width of the mean of `xs` (Student t); `None` for fewer than two
/// values or a non-finite result.
pub fn ci95_half_width(xs: &[f64]) -> Option<f64> {
    let n = xs.len();
    if n < 2 {
        return None;
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64)
        .ok()?
        .inverse_cdf(0.975);
    let h = t * (var / n as f64).sqrt();
    h.is_finite().then_some(h)
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// What one replication contributes to one summary entry.
pub(super) enum Obs<'a> {
    /// A distribution of durations (borrowed from the replication, or merged for `all`).
    Dist(Cow<'a, LatencyHist>),
    /// A per-replication amount (`total`).
    Total(f64),
    /// A per-replication level (`mean`); NaN when the replication has nothing to measure
    /// (no denominator): it is then left out of the mean.
    Level(f64),
    /// A figure from the scenario, the same in every replication (`mean`, no half-width).
    Point(f64),
    /// A per-replication peak (`max`: the largest over replications, no half-width).
    Peak(f64),
}

/// The accumulated state of one summary entry.
enum Acc {
    Dist {
        merged: LatencyHist,
        /// Per replication with observations: mean and the quantiles below 1 [s].
        means: Vec<f64>,
        quantiles: Vec<Vec<f64>>,
    },
    Values {
        stat: &'static str,
        values: Vec<f64>,
    },
    Point(f64),
    Peak(Vec<f64>),
}

/// The entries of one replication, in output order: `all`, each workflow, each pool.
fn observations<'a>(spec: &Scenario, r: &'a ReplicationResult) -> Vec<(String, Metric, Obs<'a>)> {
    let mut out = Vec::new();
    let mut group = |g: String, items: Vec<(Metric, Obs<'a>)>| {
        out.extend(items.into_iter().map(|(m, o)| (g.clone(), m, o)));
    };
    let t_ns = r.end.0 as f64;
    let per_time = |x: f64| if t_ns > 0.0 { x / t_ns } else { 0.0 };

    let mut all_latency = LatencyHist::new();
    r.workflows
        .iter()
        .for_each(|w| all_latency.merge(&w.latency));
    let sum_w =
        |f: &dyn Fn(&super::WorkflowResult) -> u64| r.workflows.iter().map(f).sum::<u64>() as f64;
    group(
        "all".into(),
        vec![
            (Metric::TaskLatencyS, Obs::Dist(Cow::Owned(all_latency))),
            (Metric::TasksStarted, Obs::Total(sum_w(&|w| w.started))),
            (Metric::TasksCompleted, Obs::Total(sum_w(&|w| w.completed))),
            (
                Metric::TasksInFlightAtEnd,
                Obs::Total(sum_w(&|w| w.in_flight_at_end)),
            ),
            (Metric::Events, Obs::Total(r.events as f64)),
            (Metric::SimulatedTimeS, Obs::Total(r.end.as_secs_f64())),
        ],
    );
    if !r.gpu_pools.is_empty() {
        let merged = |f: &dyn Fn(&super::GpuPoolResult) -> &LatencyHist| {
            let mut h = LatencyHist::new();
            r.gpu_pools.iter().for_each(|p| h.merge(f(p)));
            Obs::Dist(Cow::Owned(h))
        };
        let calls: u64 = r.gpu_pools.iter().map(|p| p.arrivals).sum();
        group(
            "all".into(),
            vec![
                (Metric::TtftS, merged(&|p| &p.calls.ttft)),
                (Metric::TpotS, merged(&|p| &p.calls.tpot)),
                (Metric::ItlS, merged(&|p| &p.calls.itl)),
                (Metric::E2eS, merged(&|p| &p.calls.e2e)),
                (
                    Metric::EventsPerLlmCall,
                    Obs::Level(if calls > 0 {
                        r.events as f64 / calls as f64
                    } else {
                        0.0
                    }),
                ),
            ],
        );
    }
    let mut all_usage = crate::domain::tasks::Usage::default();
    r.workflows.iter().for_each(|w| all_usage.add(&w.usage));
    let total = |f: &dyn Fn(&super::WorkflowResult) -> u64| r.workflows.iter().map(f).sum::<u64>();
    group(
        "all".into(),
        outcome_obs(
            total(&|w| w.completed),
            total(&|w| w.succeeded),
            [0, 1, 2].map(|i| total(&|w| w.failed[i])),
            total(&|w| w.overdue_in_flight),
            spec.workflows.iter().any(|w| w.deadline.is_some()),
        )
        .into_iter()
        .chain(usage_obs(&all_usage, sum_w(&|w| w.finished)))
        .collect(),
    );
    for (i, (w, wr)) in spec.workflows.iter().zip(&r.workflows).enumerate() {
        // A workflow only called from steps has no tasks of its own (its steps are reported).
        if !spec.starts_tasks(crate::domain::WorkflowId(i as u32)) {
            continue;
        }
        let mut items = outcome_obs(
            wr.completed,
            wr.succeeded,
            wr.failed,
            wr.overdue_in_flight,
            w.deadline.is_some(),
        );
        items.extend(usage_obs(&wr.usage, wr.finished as f64));
        group(
            format!("workflow:{}", w.name),
            vec![
                (Metric::TaskLatencyS, Obs::Dist(Cow::Borrowed(&wr.latency))),
                (Metric::TasksStarted, Obs::Total(wr.started as f64)),
                (Metric::TasksCompleted, Obs::Total(wr.completed as f64)),
                (
                    Metric::TasksInSystem,
                    Obs::Level(per_time(wr.in_system_integral as f64)),
                ),
                (
                    Metric::TasksInFlightAtEnd,
                    Obs::Total(wr.in_flight_at_end as f64),
                ),
                (
                    Metric::InFlightAgeS,
                    Obs::Dist(Cow::Borrowed(&wr.in_flight_age)),
                ),
            ]
            .into_iter()
            .chain(items.drain(..))
            .collect(),
        );
    }
    for (w, wr) in spec.workflows.iter().zip(&r.workflows) {
        for (s, sr) in w.steps.iter().zip(&wr.steps) {
            group(
                format!("step:{}.{}", w.name, s.name),
                vec![
                    (Metric::StepLatencyS, Obs::Dist(Cow::Borrowed(&sr.latency))),
                    (Metric::StepRuns, Obs::Total(sr.runs as f64)),
                    (Metric::StepFailures, Obs::Total(sr.failed as f64)),
                    (
                        Metric::AttemptsPerRun,
                        Obs::Level(if sr.runs > 0 {
                            sr.attempts as f64 / sr.runs as f64
                        } else {
                            f64::NAN
                        }),
                    ),
                ],
            );
        }
    }
    let offered = spec.offered_load();
    let human_offered = spec.human_offered_load();
    let cpu_like = spec
        .cpu_pools
        .iter()
        .map(|p| (&p.name, p.servers))
        .chain(spec.human_pools.iter().map(|p| (&p.name, p.reviewers)));
    for (((name, servers), pr), rho) in cpu_like
        .zip(r.pools.iter().chain(&r.human_pools))
        .zip(offered.into_iter().chain(human_offered))
    {
        let c = f64::from(servers);
        group(
            format!("pool:{name}"),
            vec![
                (Metric::WaitS, Obs::Dist(Cow::Borrowed(&pr.wait))),
                (Metric::SojournS, Obs::Dist(Cow::Borrowed(&pr.sojourn))),
                (
                    Metric::Utilization,
                    Obs::Level(per_time(pr.busy_integral as f64) / c),
                ),
                (
                    Metric::QueueLength,
                    Obs::Level(per_time(pr.queue_integral as f64)),
                ),
                (
                    Metric::ArrivalRatePerS,
                    Obs::Level(per_time(pr.arrivals as f64) * 1e9),
                ),
                (Metric::OfferedLoad, Obs::Point(rho)),
                (Metric::JobsArrived, Obs::Total(pr.arrivals as f64)),
                (Metric::JobsQueuedAtEnd, Obs::Total(pr.queue_at_end as f64)),
                (
                    Metric::JobsInServiceAtEnd,
                    Obs::Total(pr.busy_at_end as f64),
                ),
            ],
        );
    }
    for (p, pr) in spec.gpu_pools.iter().zip(&r.gpu_pools) {
        let replicas = f64::from(p.replicas);
        let kv_capacity = replicas * p.kv_blocks as f64 * f64::from(p.block_size);
        let c = &pr.calls;
        group(
            format!("pool:{}", p.name),
            vec![
                (Metric::TtftS, Obs::Dist(Cow::Borrowed(&c.ttft))),
                (Metric::TpotS, Obs::Dist(Cow::Borrowed(&c.tpot))),
                (Metric::ItlS, Obs::Dist(Cow::Borrowed(&c.itl))),
                (Metric::E2eS, Obs::Dist(Cow::Borrowed(&c.e2e))),
                (Metric::WaitS, Obs::Dist(Cow::Borrowed(&c.wait))),
                (
                    Metric::Utilization,
                    Obs::Level(per_time(pr.busy_integral as f64) / replicas),
                ),
                (
                    Metric::KvUtilization,
                    Obs::Level(per_time(pr.kv_integral as f64) / kv_capacity),
                ),
                (
                    Metric::Mfu,
                    Obs::Level(per_time(c.ideal_compute_s * 1e9) / replicas),
                ),
                (
                    Metric::Mbu,
                    Obs::Level(per_time(c.ideal_memory_s * 1e9) / replicas),
                ),
                (
                    Metric::BatchSize,
                    Obs::Level(if pr.busy_integral > 0 {
                        pr.running_integral as f64 / pr.busy_integral as f64
                    } else {
                        f64::NAN
                    }),
                ),
                (
                    Metric::QueueLength,
                    Obs::Level(per_time(pr.waiting_integral as f64)),
                ),
                (
                    Metric::ArrivalRatePerS,
                    Obs::Level(per_time(pr.arrivals as f64) * 1e9),
                ),
                (
                    Metric::ThroughputInputTokensPerS,
                    Obs::Level(per_time(c.input_tokens as f64) * 1e9),
                ),
                (
                    Metric::ThroughputOutputTokensPerS,
                    Obs::Level(per_time(c.output_tokens as f64) * 1e9),
                ),
                (Metric::Preemptions, Obs::Total(c.preemptions as f64)),
                (
                    Metric::PrefixCacheHitTokens,
                    Obs::Total(pr.cached_tokens as f64),
                ),
                (Metric::CallsArrived, Obs::Total(pr.arrivals as f64)),
                (Metric::CallsCompleted, Obs::Total(c.completed as f64)),
                (Metric::CallsRejected, Obs::Total(pr.rejected as f64)),
                (
                    Metric::CallsWaitingAtEnd,
                    Obs::Total(pr.waiting_at_end as f64),
                ),
                (
                    Metric::CallsRunningAtEnd,
                    Obs::Total(pr.running_at_end as f64),
                ),
                (Metric::Iterations, Obs::Total(c.iterations as f64)),
            ],
        );
    }
    out.extend(super::facility::observations(spec, r));
    out.extend(super::economics::observations(spec, r));
    out
}

/// Outcome counts and rates of `completed` (ended) tasks, of which `succeeded` succeeded
/// and `failed` failed by reason (`FailReason::ALL` order), with `overdue` more still in
/// flight past their deadline.
fn outcome_obs<'a>(
    completed: u64,
    succeeded: u64,
    failed: [u64; 3],
    overdue: u64,
    has_deadline: bool,
) -> Vec<(Metric, Obs<'a>)> {
    // Nothing to measure (no task due) gives an empty value.
    let ratio = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { f64::NAN };
    let [deadline, retries, budget] = failed;
    vec![
        (Metric::TasksSucceeded, Obs::Total(succeeded as f64)),
        (
            Metric::TasksFailed,
            Obs::Total((deadline + retries + budget) as f64),
        ),
        (Metric::TasksFailedDeadline, Obs::Total(deadline as f64)),
        (
            Metric::TasksFailedRetriesExhausted,
            Obs::Total(retries as f64),
        ),
        (Metric::TasksFailedBudget, Obs::Total(budget as f64)),
        (
            Metric::TaskSuccessRate,
            Obs::Level(ratio(succeeded, completed)),
        ),
        (
            Metric::SloAttainment,
            Obs::Level(if has_deadline {
                ratio(succeeded, completed + overdue)
            } else {
                f64::NAN
            }),
        ),
    ]
}

/// Per-task usage means of `completed` (finished) tasks that used `u` in all (empty
/// without tasks).
fn usage_obs<'a>(u: &crate::domain::tasks::Usage, completed: f64) -> Vec<(Metric, Obs<'a>)> {
    let per = |x: f64| {
        Obs::Level(if completed > 0.0 {
            x / completed
        } else {
            f64::NAN
        })
    };
    vec![
        (Metric::LlmCallsPerTask, per(u.llm_calls as f64)),
        (Metric::GpuSecondsPerTask, per(u.gpu_s)),
        (Metric::CpuSecondsPerTask, per(u.cpu_s)),
        (
            Metric::TokensPerTask,
            per((u.input_tokens + u.output_tokens) as f64),
        ),
        (Metric::InputTokensPerTask, per(u.input_tokens as f64)),
        (Metric::CachedTokensPerTask, per(u.cached_tokens as f64)),
        (Metric::OutputTokensPerTask, per(u.output_tokens as f64)),
        (Metric::ToolCallsPerTask, per(u.tool_calls as f64)),
        (Metric::HumanReviewsPerTask, per(u.reviews as f64)),
        (Metric::ReviewSecondsPerTask, per(u.review_s)),
        (Metric::AttemptsPerTask, per(u.attempts as f64)),
    ]
}

/// Summary statistics accumulated over replications, one replication at a time.
#[derive(Default)]
pub struct Aggregate {
    entries: Vec<(String, Metric, Acc)>,
    replications: u32,
}

impl Aggregate {
    /// An empty aggregate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one replication. Call in replication order (merging is order-independent, but
    /// the per-replication lists keep it).
    pub fn add(&mut self, spec: &Scenario, r: &ReplicationResult) {
        self.add_observations(observations(spec, r));
    }

    /// Adds one replication's observations: the same entries, in the same order, every time.
    pub(super) fn add_observations(&mut self, obs: Vec<(String, Metric, Obs<'_>)>) {
        if self.entries.is_empty() {
            self.entries = obs
                .iter()
                .map(|(g, m, o)| {
                    let acc = match o {
                        Obs::Dist(_) => Acc::Dist {
                            merged: LatencyHist::new(),
                            means: Vec::new(),
                            quantiles: Vec::new(),
                        },
                        Obs::Total(_) => Acc::Values {
                            stat: "total",
                            values: Vec::new(),
                        },
                        Obs::Level(_) => Acc::Values {
                            stat: "mean",
                            values: Vec::new(),
                        },
                        Obs::Point(x) => Acc::Point(*x),
                        Obs::Peak(_) => Acc::Peak(Vec::new()),
                    };
                    (g.clone(), *m, acc)
                })
                .collect();
        }
        for ((_, _, acc), (_, _, o)) in self.entries.iter_mut().zip(obs) {
            match (acc, o) {
                (
                    Acc::Dist {
                        merged,
                        means,
                        quantiles,
                    },
                    Obs::Dist(h),
                ) => {
                    merged.merge(&h);
                    if let Some(m) = h.mean_s() {
                        means.push(m);
                        quantiles.push(
                            QUANTILES
                                .iter()
                                .filter(|(_, q)| *q < 1.0)
                                .filter_map(|(_, q)| h.quantile_s(*q))
                                .collect(),
                        );
                    }
                }
                (Acc::Values { values, .. }, Obs::Total(x)) => values.push(x),
                // A level without a denominator in this replication is left out.
                (Acc::Values { values, .. }, Obs::Level(x)) if x.is_finite() => values.push(x),
                (Acc::Point(_), Obs::Point(_)) => {}
                (Acc::Peak(values), Obs::Peak(x)) => values.push(x),
                // `observations` yields the same kinds in the same order every time.
                _ => {}
            }
        }
        self.replications += 1;
    }

    /// Replications added so far.
    pub fn replications(&self) -> u32 {
        self.replications
    }

    /// The `distributions.csv` rows: for each distribution with observations, in the order
    /// of [`Aggregate::rows`], its merged observations at each of [`cdf_quantiles`].
    pub fn distributions(&self) -> Vec<DistributionRow> {
        let qs = cdf_quantiles();
        let mut rows = Vec::new();
        for (group, metric, acc) in &self.entries {
            if let Acc::Dist { merged, .. } = acc {
                for &q in &qs {
                    if let Some(value) = merged.quantile_s(q) {
                        rows.push(DistributionRow {
                            group: group.clone(),
                            metric: *metric,
                            quantile: q,
                            value,
                        });
                    }
                }
            }
        }
        rows
    }

    /// The `summary.csv` rows: `all`, then each workflow, then each pool (sorted names).
    pub fn rows(&self) -> Vec<SummaryRow> {
        let mut rows = Vec::new();
        for (group, metric, acc) in &self.entries {
            let mut push = |stat, value, ci| {
                rows.push(SummaryRow {
                    group: group.clone(),
                    metric: *metric,
                    stat,
                    value,
                    ci95_half_width: ci,
                })
            };
            match acc {
                Acc::Dist {
                    merged,
                    means,
                    quantiles,
                } => {
                    push("mean", merged.mean_s(), ci95_half_width(means));
                    let mut k = 0;
                    for (stat, q) in QUANTILES {
                        let ci = if q < 1.0 {
                            let qs: Vec<f64> =
                                quantiles.iter().filter_map(|v| v.get(k).copied()).collect();
                            k += 1;
                            ci95_half_width(&qs)
                        } else {
                            None
                        };
                        push(stat, merged.quantile_s(q), ci);
                    }
                    push("count", Some(merged.count() as f64), None);
                }
                Acc::Values { stat, values } => push(stat, mean(values), ci95_half_width(values)),
                Acc::Point(x) => push("mean", Some(*x), None),
                Acc::Peak(values) => push("max", values.iter().copied().reduce(f64::max), None),
            }
        }
        rows
    }
}

/// The `summary.csv` rows of a run held in memory (see [`Aggregate`] for streaming).
pub fn summarize(spec: &Scenario, results: &[ReplicationResult]) -> Vec<SummaryRow> {
    let mut agg = Aggregate::new();
    for r in results {
        agg.add(spec, r);
    }
    agg.rows()
}

/// The `timeseries.csv` rows of a run held in memory.
pub fn series(spec: &Scenario, results: &[ReplicationResult]) -> Vec<SeriesRow> {
    results.iter().flat_map(|r| series_rows(spec, r)).collect()
}

/// The `timeseries.csv` rows of one replication: per pool, per window.
pub fn series_rows(spec: &Scenario, r: &ReplicationResult) -> Vec<SeriesRow> {
    let mut rows = Vec::new();
    let cpu_like = spec
        .cpu_pools
        .iter()
        .map(|p| (&p.name, p.servers))
        .chain(spec.human_pools.iter().map(|p| (&p.name, p.reviewers)));
    for ((name, servers), pr) in cpu_like.zip(r.pools.iter().chain(&r.human_pools)) {
        let c = f64::from(servers);
        pool_windows(&mut rows, spec, r, name, pr.busy_windows.len(), |k, len| {
            vec![
                (Series::Utilization, pr.busy_windows[k] as f64 / len / c),
                (Series::QueueLength, at(&pr.queue_windows, k) / len),
                (
                    Series::ArrivalRatePerS,
                    at(&pr.arrival_windows, k) / (len / 1e9),
                ),
            ]
        });
    }
    for (p, pr) in spec.gpu_pools.iter().zip(&r.gpu_pools) {
        let replicas = f64::from(p.replicas);
        let kv_capacity = replicas * p.kv_blocks as f64 * f64::from(p.block_size);
        pool_windows(
            &mut rows,
            spec,
            r,
            &p.name,
            pr.busy_windows.len(),
            |k, len| {
                vec![
                    (
                        Series::Utilization,
                        pr.busy_windows[k] as f64 / len / replicas,
                    ),
                    (Series::QueueLength, at(&pr.waiting_windows, k) / len),
                    (
                        Series::ArrivalRatePerS,
                        at(&pr.arrival_windows, k) / (len / 1e9),
                    ),
                    (
                        Series::KvUtilization,
                        at(&pr.kv_windows, k) / len / kv_capacity,
                    ),
                    (
                        Series::TtftP50S,
                        pr.calls.ttft_windows.quantile_s(k, 0.5).unwrap_or(f64::NAN),
                    ),
                    (
                        Series::TtftP99S,
                        pr.calls
                            .ttft_windows
                            .quantile_s(k, 0.99)
                            .unwrap_or(f64::NAN),
                    ),
                ]
            },
        );
    }
    for (w, wr) in spec.workflows.iter().zip(&r.workflows) {
        let windows = r
            .gpu_pools
            .first()
            .map_or(0, |p| p.busy_windows.len())
            .max(r.pools.first().map_or(0, |p| p.busy_windows.len()));
        let group = format!("workflow:{}", w.name);
        for k in 0..windows {
            for (series, q) in [
                (Series::TaskLatencyP50S, 0.5),
                (Series::TaskLatencyP99S, 0.99),
            ] {
                if let Some(v) = wr.latency_windows.quantile_s(k, q) {
                    rows.push(SeriesRow {
                        replication: r.replication,
                        time_s: (spec.interval.0 as f64 * k as f64) / 1e9,
                        series,
                        group: group.clone(),
                        value: v,
                    });
                }
            }
        }
    }
    super::facility::series_rows(&mut rows, spec, r);
    super::economics::series_rows(&mut rows, spec, r);
    rows
}

/// Window `k` of a per-window integral (`i128`) or count (`u64`), 0 past its end.
pub(super) fn at<T: Copy + Into<i128>>(w: &[T], k: usize) -> f64 {
    w.get(k).map_or(0.0, |x| (*x).into() as f64)
}

/// Appends the rows of pool `name` for its `windows` windows; `values(k, len_ns)` gives the
/// series values of window `k` of length `len_ns`.
fn pool_windows(
    rows: &mut Vec<SeriesRow>,
    spec: &Scenario,
    r: &ReplicationResult,
    name: &str,
    windows: usize,
    values: impl Fn(usize, f64) -> Vec<(Series, f64)>,
) {
    let group = format!("pool:{name}");
    for k in 0..windows {
        let len = window_len(k, spec.interval, r.end) as f64;
        if len <= 0.0 {
            continue;
        }
        let time_s = (spec.interval.0 as f64 * k as f64) / 1e9;
        for (series, value) in values(k, len) {
            if value.is_nan() {
                continue;
            }
            rows.push(SeriesRow {
                replication: r.replication,
                time_s,
                series,
                group: group.clone(),
                value,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn student_t_half_width_matches_tables() {
        // n = 5: t(0.975, 4) = 2.776445 (standard t table); s = sqrt(2.5), h = t * s / sqrt(5)
        let h = ci95_half_width(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!((h - 2.776445 * (2.5f64 / 5.0).sqrt()).abs() < 1e-5, "{h}");
        assert_eq!(ci95_half_width(&[1.0]), None);
        assert_eq!(ci95_half_width(&[3.0, 3.0]), Some(0.0));
    }
}
