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

use super::names::{Metric, Series};
use super::replication::ReplicationResult;
use super::windowed::window_len;
use super::{LatencyHist, QUANTILES};
use crate::domain::Scenario;
use statrs::distribution::{ContinuousCDF, StudentsT};

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

struct Rows<'a> {
    rows: &'a mut Vec<SummaryRow>,
    group: String,
}

impl Rows<'_> {
    fn push(&mut self, metric: Metric, stat: &'static str, value: Option<f64>, ci: Option<f64>) {
        self.rows.push(SummaryRow {
            group: self.group.clone(),
            metric,
            stat,
            value,
            ci95_half_width: ci,
        });
    }

    /// `total` of a per-replication amount: mean over replications with its half-width.
    fn total(&mut self, metric: Metric, per_rep: &[f64]) {
        self.push(metric, "total", mean(per_rep), ci95_half_width(per_rep));
    }

    /// `mean` of a per-replication level.
    fn level(&mut self, metric: Metric, per_rep: &[f64]) {
        self.push(metric, "mean", mean(per_rep), ci95_half_width(per_rep));
    }

    /// Mean, percentiles, max and count of a distribution observed in every replication.
    fn distribution(&mut self, metric: Metric, per_rep: &[&LatencyHist]) {
        let mut merged = LatencyHist::new();
        for h in per_rep {
            merged.merge(h);
        }
        let observed: Vec<&&LatencyHist> = per_rep.iter().filter(|h| h.count() > 0).collect();
        let means: Vec<f64> = observed.iter().filter_map(|h| h.mean_s()).collect();
        self.push(metric, "mean", merged.mean_s(), ci95_half_width(&means));
        for (stat, q) in QUANTILES {
            let ci = if q < 1.0 {
                let qs: Vec<f64> = observed.iter().filter_map(|h| h.quantile_s(q)).collect();
                ci95_half_width(&qs)
            } else {
                None
            };
            self.push(metric, stat, merged.quantile_s(q), ci);
        }
        self.push(metric, "count", Some(merged.count() as f64), None);
    }
}

/// The `summary.csv` rows of a run: `all`, then each workflow, then each pool (sorted names).
pub fn summarize(spec: &Scenario, results: &[ReplicationResult]) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    let secs = |r: &ReplicationResult| r.end.as_secs_f64();

    // all
    {
        let mut g = Rows {
            rows: &mut rows,
            group: "all".into(),
        };
        let lat: Vec<LatencyHist> = results
            .iter()
            .map(|r| {
                let mut m = LatencyHist::new();
                r.workflows.iter().for_each(|w| m.merge(&w.latency));
                m
            })
            .collect();
        g.distribution(Metric::TaskLatencyS, &lat.iter().collect::<Vec<_>>());
        let sum_w = |f: &dyn Fn(&crate::metrics::WorkflowResult) -> u64| -> Vec<f64> {
            results
                .iter()
                .map(|r| r.workflows.iter().map(f).sum::<u64>() as f64)
                .collect()
        };
        g.total(Metric::TasksStarted, &sum_w(&|w| w.started));
        g.total(Metric::TasksCompleted, &sum_w(&|w| w.completed));
        g.total(Metric::TasksInFlightAtEnd, &sum_w(&|w| w.in_flight_at_end));
        g.total(
            Metric::Events,
            &results.iter().map(|r| r.events as f64).collect::<Vec<_>>(),
        );
        g.total(
            Metric::SimulatedTimeS,
            &results.iter().map(secs).collect::<Vec<_>>(),
        );
    }

    for (i, w) in spec.workflows.iter().enumerate() {
        let mut g = Rows {
            rows: &mut rows,
            group: format!("workflow:{}", w.name),
        };
        let per = |f: &dyn Fn(&crate::metrics::WorkflowResult) -> f64| -> Vec<f64> {
            results.iter().map(|r| f(&r.workflows[i])).collect()
        };
        g.distribution(
            Metric::TaskLatencyS,
            &results
                .iter()
                .map(|r| &r.workflows[i].latency)
                .collect::<Vec<_>>(),
        );
        g.total(Metric::TasksStarted, &per(&|w| w.started as f64));
        g.total(Metric::TasksCompleted, &per(&|w| w.completed as f64));
        g.total(
            Metric::TasksInFlightAtEnd,
            &per(&|w| w.in_flight_at_end as f64),
        );
        g.distribution(
            Metric::InFlightAgeS,
            &results
                .iter()
                .map(|r| &r.workflows[i].in_flight_age)
                .collect::<Vec<_>>(),
        );
    }

    let offered = spec.offered_load();
    for (i, p) in spec.cpu_pools.iter().enumerate() {
        let mut g = Rows {
            rows: &mut rows,
            group: format!("pool:{}", p.name),
        };
        let c = f64::from(p.servers);
        let per_time = |r: &ReplicationResult, x: f64| {
            let t = r.end.0 as f64;
            if t > 0.0 { x / t } else { 0.0 }
        };
        g.distribution(
            Metric::WaitS,
            &results.iter().map(|r| &r.pools[i].wait).collect::<Vec<_>>(),
        );
        g.distribution(
            Metric::SojournS,
            &results
                .iter()
                .map(|r| &r.pools[i].sojourn)
                .collect::<Vec<_>>(),
        );
        let util: Vec<f64> = results
            .iter()
            .map(|r| per_time(r, r.pools[i].busy_integral as f64) / c)
            .collect();
        g.level(Metric::Utilization, &util);
        let ql: Vec<f64> = results
            .iter()
            .map(|r| per_time(r, r.pools[i].queue_integral as f64))
            .collect();
        g.level(Metric::QueueLength, &ql);
        let rate: Vec<f64> = results
            .iter()
            .map(|r| per_time(r, r.pools[i].arrivals as f64) * 1e9)
            .collect();
        g.level(Metric::ArrivalRatePerS, &rate);
        g.push(Metric::OfferedLoad, "mean", Some(offered[i]), None);
        let per = |f: &dyn Fn(&crate::metrics::PoolResult) -> u64| -> Vec<f64> {
            results.iter().map(|r| f(&r.pools[i]) as f64).collect()
        };
        g.total(Metric::JobsArrived, &per(&|p| p.arrivals));
        g.total(Metric::JobsQueuedAtEnd, &per(&|p| p.queue_at_end));
        g.total(Metric::JobsInServiceAtEnd, &per(&|p| p.busy_at_end));
    }
    rows
}

/// The `timeseries.csv` rows: per replication, per pool, per window.
pub fn series(spec: &Scenario, results: &[ReplicationResult]) -> Vec<SeriesRow> {
    let mut rows = Vec::new();
    let interval = spec.interval;
    for r in results {
        for (i, p) in spec.cpu_pools.iter().enumerate() {
            let pr = &r.pools[i];
            let group = format!("pool:{}", p.name);
            let c = f64::from(p.servers);
            for k in 0..pr.busy_windows.len() {
                let len = window_len(k, interval, r.end) as f64;
                if len <= 0.0 {
                    continue;
                }
                let time_s = (interval.0 as f64 * k as f64) / 1e9;
                let mut push = |series, value| {
                    rows.push(SeriesRow {
                        replication: r.replication,
                        time_s,
                        series,
                        group: group.clone(),
                        value,
                    })
                };
                push(Series::Utilization, pr.busy_windows[k] as f64 / len / c);
                push(
                    Series::QueueLength,
                    pr.queue_windows.get(k).copied().unwrap_or(0) as f64 / len,
                );
                push(
                    Series::ArrivalRatePerS,
                    pr.arrival_windows.get(k).copied().unwrap_or(0) as f64 / (len / 1e9),
                );
            }
        }
    }
    rows
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
