//! Over time: p50 and p99 latency per window, utilisation and queue length per pool
//! (`timeseries.csv`, averaged over replications per window).

use super::{bin_runs, break_gaps, short, span, time_axis, value_range, window_end};
use crate::report::chart::{Axis, Chart, Mark, Points, Scale, Series};
use crate::report::read::RunData;

/// A line wanted on a chart over time: a series of `timeseries.csv` and how to draw it.
#[derive(Debug, Clone)]
pub(super) struct Want {
    /// Series name in `timeseries.csv`.
    pub series: String,
    /// Its group.
    pub group: String,
    /// Legend name.
    pub name: String,
    /// Palette index.
    pub color: usize,
    /// Dashed (limits, medians).
    pub dashed: bool,
    /// In a run in epochs, an epoch's point is the largest of its windows (power against a
    /// cap) rather than their mean.
    pub peak: bool,
}

impl Want {
    pub(super) fn new(series: &str, group: &str, name: String, color: usize, dashed: bool) -> Want {
        Want {
            series: series.into(),
            group: group.into(),
            name,
            color,
            dashed,
            peak: false,
        }
    }

    /// The same line, binned by its peak in runs in epochs.
    pub(super) fn peak(mut self) -> Want {
        self.peak = true;
        self
    }
}

/// The wanted lines that the run has, with their points `(time [s], value)`, and the span
/// of their times [s] to the end of the last window.
pub(super) fn lines<'a>(
    run: &RunData,
    wanted: &'a [Want],
) -> (Vec<(&'a Want, Points)>, (f64, f64)) {
    let mut out = Vec::new();
    let mut times = Vec::new();
    for w in wanted {
        if let Some(s) = run.series(&w.series, &w.group) {
            times.extend(s.points.iter().map(|p| p.0));
            out.push((w, s.points.clone()));
        }
    }
    // The window end of the last point closes the axis.
    let (lo, hi) = span(times);
    (out, (lo, window_end(run, hi)))
}

/// A line chart over time of the `wanted` lines the run has, or an empty chart saying
/// `none`.
pub(super) fn over_time(
    run: &RunData,
    id: &str,
    title: &str,
    caption: &str,
    y_label: &str,
    wanted: &[Want],
    none: &str,
) -> Chart {
    over_time_scaled(run, id, title, caption, y_label, wanted, none).0
}

/// As [`over_time`], with the factor from seconds to the x axis' unit.
pub(super) fn over_time_scaled(
    run: &RunData,
    id: &str,
    title: &str,
    caption: &str,
    y_label: &str,
    wanted: &[Want],
    none: &str,
) -> (Chart, f64) {
    let (found, xs) = lines(run, wanted);
    if found.is_empty() {
        return (Chart::empty(id, title, none), 1.0);
    }
    let (x, f) = time_axis(run, xs);
    let interval = run.meta.interval_s;
    let epochs = !run.epochs.is_empty();
    let series: Vec<Series> = found
        .into_iter()
        .map(|(w, pts)| {
            let points = if epochs {
                // Over months: one point per simulated epoch.
                bin_runs(&pts, interval, w.peak)
                    .into_iter()
                    .map(|(t, v)| (t * f, v))
                    .collect()
            } else {
                // A window's value is drawn at the window's middle.
                let mid: Vec<(f64, f64)> = pts
                    .iter()
                    .map(|&(t, v)| ((t + window_end(run, t)) / 2.0 * f, v))
                    .collect();
                break_gaps(&mid, interval * f)
            };
            Series {
                name: w.name.clone(),
                color: w.color,
                mark: Mark::Line {
                    points,
                    dashed: w.dashed,
                },
            }
        })
        .collect();
    let caption = if epochs {
        let stat = if wanted.iter().any(|w| w.peak) {
            "the peak"
        } else {
            "the mean"
        };
        format!("{caption} One point per simulated epoch: {stat} of its windows.")
    } else {
        caption.to_string()
    };
    let values = series.iter().flat_map(|s| match &s.mark {
        Mark::Line { points, .. } => points.iter().map(|p| p.1).collect::<Vec<_>>(),
        _ => Vec::new(),
    });
    let y = Axis {
        label: y_label.into(),
        range: value_range(values.collect::<Vec<_>>(), 0.3),
        scale: Scale::Linear,
    };
    (
        Chart {
            id: id.into(),
            title: title.into(),
            caption,
            x,
            y,
            series,
            ..Default::default()
        },
        f,
    )
}

/// p50 (dashed) and p99 (solid) of `base` (`task_latency` per workflow, `ttft` per GPU
/// pool) per window.
pub fn latency_over_time(run: &RunData, base: &str, prefix: &str) -> Chart {
    let p99 = format!("{base}_p99_s");
    let groups = run.series_groups(&p99);
    let groups: Vec<&String> = groups.iter().filter(|g| g.starts_with(prefix)).collect();
    let mut wanted = Vec::new();
    for (c, g) in groups.iter().enumerate() {
        wanted.push(Want::new(&p99, g, format!("{} p99", short(g)), c, false));
        wanted.push(Want::new(
            &format!("{base}_p50_s"),
            g,
            format!("{} p50", short(g)),
            c,
            true,
        ));
    }
    let (label, what) = if base == "ttft" {
        ("TTFT", "calls whose first token came")
    } else {
        ("Task latency", "tasks that ended")
    };
    over_time(
        run,
        &format!("{base}_over_time"),
        &format!("{label} over time"),
        &format!("p50 and p99 of the {what} in each window, averaged over replications."),
        &format!("{label} [s]"),
        &wanted,
        &format!("no {label} time series in this run"),
    )
}

/// Utilisation per CPU and reviewer pool per window (busy servers / servers). GPU pools
/// are in [`kv_over_time`]: under continuous batching a replica is busy nearly all the time
/// at any load, so its busy share says little about headroom.
pub fn utilization_over_time(run: &RunData) -> Chart {
    let gpu = gpu_pools(run);
    let cpu_like = run.series_groups("utilization");
    let wanted = per_pool("utilization", cpu_like.iter().filter(|g| !gpu.contains(g)));
    let c = over_time(
        run,
        "utilization_over_time",
        "Utilisation of CPU and reviewer pools",
        "Share of each pool's servers (or reviewers) busy in each window.",
        "utilisation [ratio]",
        &wanted,
        "no CPU or reviewer pool in this run",
    );
    ratio_axis(c)
}

/// One line of `series` per pool group, each in its own colour.
fn per_pool<'a>(series: &str, groups: impl Iterator<Item = &'a String>) -> Vec<Want> {
    groups
        .enumerate()
        .map(|(c, g)| Want::new(series, g, short(g).to_string(), c, false))
        .collect()
}

/// A ratio's y axis: from 0 to at least 1.3 (1 and room for the legend).
fn ratio_axis(mut c: Chart) -> Chart {
    if c.has_data() {
        c.y.range = (0.0, c.y.range.1.max(1.3));
    }
    c
}

/// The GPU pools of a run: pools with a KV-cache series.
fn gpu_pools(run: &RunData) -> Vec<String> {
    run.series_groups("kv_utilization")
}

/// KV cache in use per GPU pool per window (share of the pool's KV token capacity): the
/// GPU pools' headroom.
pub fn kv_over_time(run: &RunData) -> Chart {
    let wanted = per_pool("kv_utilization", gpu_pools(run).iter());
    let c = over_time(
        run,
        "kv_over_time",
        "GPU pools: KV cache in use",
        "Share of each GPU pool's KV-cache capacity holding the context of running calls, per window: the memory headroom of continuous batching (a replica's busy share is near 1 at any load).",
        "KV cache in use [ratio]",
        &wanted,
        "no GPU pool in this run",
    );
    ratio_axis(c)
}

/// Queue length per pool per window (jobs or calls waiting).
pub fn queue_over_time(run: &RunData) -> Chart {
    let wanted = per_pool("queue_length", run.series_groups("queue_length").iter());
    over_time(
        run,
        "queue_over_time",
        "Queue length per pool",
        "Mean jobs (CPU pools) or LLM calls (GPU pools) waiting in each window.",
        "waiting [jobs]",
        &wanted,
        "no pool in this run",
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_run;
    use super::*;
    use crate::report::read::MeanSeries;

    #[test]
    fn windows_become_minutes_and_p50_is_dashed() {
        let mut run = test_run(Vec::new(), Vec::new());
        let pts = |v: f64| MeanSeries {
            unit: "s".into(),
            points: vec![(0.0, v), (60.0, v * 2.0)],
        };
        run.series
            .insert(("ttft_p99_s".into(), "pool:a".into()), pts(0.5));
        run.series
            .insert(("ttft_p50_s".into(), "pool:a".into()), pts(0.1));
        let c = latency_over_time(&run, "ttft", "pool:");
        assert_eq!(c.series.len(), 2);
        assert_eq!(
            c.series[0].mark,
            Mark::Line {
                points: vec![(0.5, 0.5), (1.5, 1.0)],
                dashed: false
            }
        );
        assert!(matches!(c.series[1].mark, Mark::Line { dashed: true, .. }));
        // 0 to the end of the last window (2 minutes).
        assert_eq!(c.x.range, (0.0, 2.0));
        assert!(c.x.label.contains("[min]"));
        assert!(!latency_over_time(&run, "task_latency", "workflow:").has_data());
    }
}
