//! Growth runs (in epochs): SLO attainment and p99 task latency per workflow against the
//! date (`epochs.csv`), with the SLO target, the runway date and fleet changes marked.

use super::{short, span, start_date, value_range};
use crate::report::chart::{Axis, Chart, Mark, Marker, Scale, Series};
use crate::report::read::RunData;

/// `(day, value)` of `metric` of `group` per epoch, by day.
fn per_epoch(run: &RunData, group: &str, metric: &str) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = run
        .epochs
        .iter()
        .filter(|e| e.group == group && e.metric == metric)
        .filter_map(|e| e.value.map(|v| (e.day, v)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts
}

/// Fleet changes: where a pool's replicas differ from the epoch before, a marker at the
/// first epoch with the new count (`+4 large_b200`).
pub fn fleet_changes(run: &RunData) -> Vec<Marker> {
    let mut pools: Vec<&str> = run
        .epochs
        .iter()
        .filter(|e| e.metric == "replicas")
        .map(|e| e.group.as_str())
        .collect();
    pools.sort_unstable();
    pools.dedup();
    let mut out = Vec::new();
    for p in pools {
        let pts = per_epoch(run, p, "replicas");
        for w in pts.windows(2) {
            let d = w[1].1 - w[0].1;
            if d != 0.0 {
                out.push(Marker {
                    x: w[1].0,
                    label: format!("{d:+} {}", short(p)),
                });
            }
        }
    }
    out.sort_by(|a, b| a.x.total_cmp(&b.x));
    out
}

/// The runway marker: the date the SLO first breaks, from `run.json`.
fn runway(run: &RunData) -> Option<Marker> {
    let h = run.meta.horizon.as_ref()?;
    let date = h.runway_date.as_ref()?;
    Some(Marker {
        x: h.runway_days?,
        label: format!("runway ends {date}"),
    })
}

fn growth_chart(
    run: &RunData,
    id: &str,
    title: &str,
    caption: &str,
    metric: &str,
    y: &str,
) -> Chart {
    let mut workflows: Vec<&str> = Vec::new();
    for e in &run.epochs {
        if e.group.starts_with("workflow:")
            && e.metric == metric
            && !workflows.contains(&e.group.as_str())
        {
            workflows.push(&e.group);
        }
    }
    let mut series = Vec::new();
    let mut days = Vec::new();
    let mut values = Vec::new();
    for (c, g) in workflows.iter().enumerate() {
        let pts = per_epoch(run, g, metric);
        if pts.is_empty() {
            continue;
        }
        days.extend(pts.iter().map(|p| p.0));
        values.extend(pts.iter().map(|p| p.1));
        series.push(Series {
            name: short(g).to_string(),
            color: c,
            mark: Mark::Line {
                points: pts,
                dashed: false,
            },
        });
    }
    if series.is_empty() {
        return Chart::empty(id, title, "no workflow with tasks in the epochs");
    }
    let (d0, d1) = span(days);
    let mut markers = fleet_changes(run);
    markers.extend(runway(run));
    Chart {
        id: id.into(),
        title: title.into(),
        caption: caption.into(),
        x: Axis {
            label: "date".into(),
            range: (0.0_f64.min(d0), d1 + 7.0),
            scale: Scale::Date {
                origin: start_date(run),
            },
        },
        y: Axis {
            label: y.into(),
            range: value_range(values, 0.3),
            scale: Scale::Linear,
        },
        series,
        markers,
        ..Default::default()
    }
}

/// SLO attainment per workflow per epoch, the target as a dashed line, the runway and
/// fleet changes marked.
pub fn slo_over_time(run: &RunData) -> Chart {
    let mut c = growth_chart(
        run,
        "slo_over_time",
        "SLO attainment against date",
        "Share of each workflow's tasks that succeeded within their deadline, per simulated epoch; dashed: the target; red: the runway (first break) and fleet changes.",
        "slo_attainment",
        "SLO attainment [ratio]",
    );
    if !c.has_data() {
        return c;
    }
    c.y.range = (c.y.range.0.min(0.0), 1.15);
    if let Some(t) = run.meta.horizon.as_ref().and_then(|h| h.slo_target) {
        c.series.push(Series {
            name: format!("target {t}"),
            color: 7,
            mark: Mark::Line {
                points: vec![(c.x.range.0, t), (c.x.range.1, t)],
                dashed: true,
            },
        });
    }
    c
}

/// p99 task latency per workflow per epoch, with the runway and fleet changes marked.
pub fn p99_over_time(run: &RunData) -> Chart {
    growth_chart(
        run,
        "p99_over_time",
        "p99 task latency against date",
        "99th percentile of each workflow's task latency per simulated epoch; red: the runway (first SLO break) and fleet changes.",
        "task_latency_p99_s",
        "p99 task latency [s]",
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_run;
    use super::*;
    use crate::report::read::{HorizonMeta, PeriodRec};

    fn e(day: f64, group: &str, metric: &str, v: f64) -> PeriodRec {
        PeriodRec {
            period: String::new(),
            day,
            group: group.into(),
            metric: metric.into(),
            value: Some(v),
        }
    }

    #[test]
    fn purchases_and_the_runway_are_marked() {
        let mut run = test_run(Vec::new(), Vec::new());
        run.epochs = vec![
            e(2.0, "pool:b200", "replicas", 0.0),
            e(2.0, "workflow:code", "slo_attainment", 0.99),
            e(9.0, "pool:b200", "replicas", 0.0),
            e(9.0, "workflow:code", "slo_attainment", 0.5),
            e(16.0, "pool:b200", "replicas", 4.0),
            e(16.0, "workflow:code", "slo_attainment", 0.98),
        ];
        run.meta.horizon = Some(HorizonMeta {
            epochs: 3,
            slo_target: Some(0.95),
            runway_days: Some(9.0),
            runway_date: Some("2026-01-14".into()),
        });
        assert_eq!(
            fleet_changes(&run),
            vec![Marker {
                x: 16.0,
                label: "+4 b200".into()
            }]
        );
        let c = slo_over_time(&run);
        assert_eq!(
            c.series[0].mark,
            Mark::Line {
                points: vec![(2.0, 0.99), (9.0, 0.5), (16.0, 0.98)],
                dashed: false
            }
        );
        assert_eq!(c.markers.len(), 2);
        assert_eq!(c.markers[1].label, "runway ends 2026-01-14");
        assert_eq!(c.series[1].name, "target 0.95");
        assert_eq!(c.x.range, (0.0, 23.0));
    }
}
