//! Latency: percentiles with their 95 % confidence intervals (`summary.csv`) and CDFs
//! (`distributions.csv`) per workflow (task latency) and per GPU pool (TTFT, TPOT, E2E).

use super::{short, value_range};
use crate::report::chart::{Axis, Chart, Mark, Scale, Series};
use crate::report::read::RunData;

/// A latency metric: `summary.csv` name, what to call it, whose groups have it.
#[derive(Debug, Clone, Copy)]
pub struct LatencyMetric {
    /// Metric name in the CSVs.
    pub name: &'static str,
    /// Short id for file names.
    pub id: &'static str,
    /// What to call it.
    pub label: &'static str,
    /// Prefix of the groups that have it.
    pub groups: &'static str,
}

/// The latencies charted: task latency per workflow; TTFT, TPOT and E2E per GPU pool.
pub const METRICS: [LatencyMetric; 4] = [
    LatencyMetric {
        name: "task_latency_s",
        id: "task_latency",
        label: "Task latency",
        groups: "workflow:",
    },
    LatencyMetric {
        name: "ttft_s",
        id: "ttft",
        label: "TTFT (time to first token)",
        groups: "pool:",
    },
    LatencyMetric {
        name: "tpot_s",
        id: "tpot",
        label: "TPOT (time per output token)",
        groups: "pool:",
    },
    LatencyMetric {
        name: "e2e_s",
        id: "e2e",
        label: "E2E latency of LLM calls",
        groups: "pool:",
    },
];

/// Percentile columns of the percentile chart: `summary.csv` stat and label.
pub const PERCENTILES: [(&str, &str); 5] = [
    ("p50", "p50"),
    ("p90", "p90"),
    ("p95", "p95"),
    ("p99", "p99"),
    ("p999", "p99.9"),
];

/// The groups of `run` that have metric `m` (its prefix), in `summary.csv` order.
fn groups_with(run: &RunData, m: &LatencyMetric) -> Vec<String> {
    run.groups(m.groups)
        .into_iter()
        .filter(|g| run.value(g, m.name, "p50").is_some())
        .collect()
}

/// Percentiles p50 to p99.9 of `m` per group, each with its 95 % confidence interval over
/// replications (a whisker; none with one replication).
pub fn latency_percentiles(run: &RunData, m: LatencyMetric) -> Chart {
    let id = format!("latency_percentiles_{}", m.id);
    let title = format!("{} percentiles", m.label);
    let groups = groups_with(run, &m);
    if groups.is_empty() {
        return Chart::empty(&id, &title, &format!("no {} observed in this run", m.label));
    }
    let mut series = Vec::new();
    let mut all = Vec::new();
    for (c, g) in groups.iter().enumerate() {
        let mut line = Vec::new();
        let mut whiskers = Vec::new();
        for (i, (stat, _)) in PERCENTILES.iter().enumerate() {
            let Some(r) = run.row(g, m.name, stat) else {
                continue;
            };
            let Some(v) = r.value else { continue };
            line.push((i as f64, v));
            all.push(v);
            if let Some(h) = r.ci95_half_width {
                whiskers.push((i as f64, v, (v - h).max(0.0), v + h));
                all.push(v + h);
            }
        }
        series.push(Series {
            name: short(g).to_string(),
            color: c,
            mark: Mark::Line {
                points: line,
                dashed: false,
            },
        });
        if !whiskers.is_empty() {
            series.push(Series {
                name: String::new(),
                color: c,
                mark: Mark::Whiskers(whiskers),
            });
        }
    }
    Chart {
        id,
        title,
        caption: format!(
            "{} at each percentile over all replications; whiskers are 95 % confidence \
             intervals over replications.",
            m.label
        ),
        x: Axis {
            label: "percentile".into(),
            range: (-0.5, PERCENTILES.len() as f64 - 0.5),
            scale: Scale::Category(PERCENTILES.iter().map(|p| p.1.to_string()).collect()),
        },
        y: Axis {
            label: format!("{} [s]", m.label),
            range: value_range(all, 0.25),
            scale: Scale::Linear,
        },
        series,
        ..Default::default()
    }
}

/// The CDF of `m` per group up to its 99.9th percentile (the tail beyond is in the
/// percentile chart): share of observations at or below each latency.
pub fn latency_cdf(run: &RunData, m: LatencyMetric) -> Chart {
    let id = format!("latency_cdf_{}", m.id);
    let title = format!("{} CDF", m.label);
    let groups = groups_with(run, &m);
    let mut series = Vec::new();
    let mut xmax: f64 = 0.0;
    for (c, g) in groups.iter().enumerate() {
        let points: Vec<(f64, f64)> = run
            .distributions
            .iter()
            .filter(|d| &d.group == g && d.metric == m.name && d.quantile <= 0.999)
            .map(|d| (d.value, d.quantile))
            .collect();
        if points.is_empty() {
            continue;
        }
        xmax = points.iter().map(|p| p.0).fold(xmax, f64::max);
        series.push(Series {
            name: short(g).to_string(),
            color: c,
            mark: Mark::Line {
                points,
                dashed: false,
            },
        });
    }
    if series.is_empty() {
        let why = if groups.is_empty() {
            format!("no {} observed in this run", m.label)
        } else {
            "distributions.csv is missing (re-run to write it)".to_string()
        };
        return Chart::empty(&id, &title, &why);
    }
    Chart {
        id,
        title,
        caption: format!(
            "{}: share of observations at or below each value, up to the 99.9th percentile.",
            m.label
        ),
        x: Axis {
            label: format!("{} [s]", m.label),
            range: (0.0, if xmax > 0.0 { xmax * 1.02 } else { 1.0 }),
            scale: Scale::Linear,
        },
        y: Axis {
            label: "share of observations [ratio]".into(),
            range: (0.0, 1.0),
            scale: Scale::Linear,
        },
        series,
        legend_left: true,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_run as run_with;
    use super::*;
    use crate::report::read::{DistRec, SummaryRec};

    fn row(g: &str, m: &str, stat: &str, v: f64, ci: Option<f64>) -> SummaryRec {
        SummaryRec {
            group: g.into(),
            metric: m.into(),
            stat: stat.into(),
            value: Some(v),
            ci95_half_width: ci,
            unit: "s".into(),
        }
    }

    #[test]
    fn percentiles_come_with_their_confidence_intervals() {
        let run = run_with(
            vec![
                row("pool:a", "ttft_s", "p50", 0.1, Some(0.0625)),
                row("pool:a", "ttft_s", "p99", 0.5, Some(0.2)),
                row("pool:b", "ttft_s", "p50", 0.3, None),
            ],
            Vec::new(),
        );
        let c = latency_percentiles(&run, METRICS[1]);
        assert!(c.has_data());
        assert_eq!(
            c.series[0].mark,
            Mark::Line {
                points: vec![(0.0, 0.1), (3.0, 0.5)],
                dashed: false
            }
        );
        assert_eq!(
            c.series[1].mark,
            // 0.1 - 0.0625 clamps at 0.0375 (exact in binary); 0.5 ± 0.2.
            Mark::Whiskers(vec![
                (0.0, 0.1, 0.1 - 0.0625, 0.1 + 0.0625),
                (3.0, 0.5, 0.3, 0.7)
            ])
        );
        // pool:b has no CI: no whisker series.
        assert_eq!(c.series.len(), 3);
        assert_eq!(c.series[2].name, "b");
        // Headroom of 25 % above the highest whisker (0.7).
        assert!((c.y.range.1 - 0.875).abs() < 1e-12);
        let none = latency_percentiles(&run, METRICS[0]);
        assert!(!none.has_data());
    }

    #[test]
    fn the_cdf_stops_at_the_999th_percentile() {
        let d = |q: f64, v: f64| DistRec {
            group: "pool:a".into(),
            metric: "ttft_s".into(),
            quantile: q,
            value: v,
        };
        let run = run_with(
            vec![row("pool:a", "ttft_s", "p50", 0.2, None)],
            vec![d(0.5, 0.2), d(0.999, 1.0), d(1.0, 9.0)],
        );
        let c = latency_cdf(&run, METRICS[1]);
        assert_eq!(
            c.series[0].mark,
            Mark::Line {
                points: vec![(0.2, 0.5), (1.0, 0.999)],
                dashed: false
            }
        );
        assert!((c.x.range.1 - 1.02).abs() < 1e-12);
        let missing = latency_cdf(&run_with(run.summary.clone(), Vec::new()), METRICS[1]);
        assert!(
            missing
                .empty_note
                .unwrap()
                .contains("distributions.csv is missing")
        );
    }
}
