//! Chart data preparation: from a run's outputs ([`RunData`]) to [`Chart`]s. Pure
//! functions: binning, averaging, stacking and ranges are here and unit-tested; nothing
//! here draws.

mod growth;
mod latency;
mod money;
mod power;
mod time;

pub use growth::{p99_over_time, slo_over_time};
pub use latency::{latency_cdf, latency_percentiles};
pub use money::{Layer, cost_per_task, spend_cumulative, unit_cost_vs_spend};
pub use power::{ambient, cooling, pue, rack_power, site_power};
pub use time::{kv_over_time, latency_over_time, queue_over_time, utilization_over_time};

use super::{Axis, Chart, Mark, Scale, Series};
use crate::report::read::RunData;

/// Every chart id a report can write (file stems under `charts/`): a report replaces and
/// removes only these, never other files a user keeps there.
pub const CHART_IDS: [&str; 23] = [
    "spend_cumulative",
    "cost_per_task",
    "unit_cost_vs_spend",
    "slo_over_time",
    "p99_over_time",
    "task_latency_over_time",
    "ttft_over_time",
    "utilization_over_time",
    "kv_over_time",
    "queue_over_time",
    "site_power",
    "rack_power",
    "cooling",
    "ambient",
    "pue",
    "latency_percentiles_task_latency",
    "latency_cdf_task_latency",
    "latency_percentiles_ttft",
    "latency_cdf_ttft",
    "latency_percentiles_tpot",
    "latency_cdf_tpot",
    "latency_percentiles_e2e",
    "latency_cdf_e2e",
];

/// Every chart of a run, in report order: money, growth (runs in epochs), service over
/// time, power and cooling, latency distributions. Growth charts and monthly unit cost are
/// made only for runs in epochs, and the per-pool latency distributions only for single
/// runs (a horizon's `summary.csv` has none); the others always, with a note on the chart
/// when the run has nothing to show.
pub fn charts(run: &RunData) -> Vec<Chart> {
    let epochs = !run.epochs.is_empty();
    let mut out = vec![spend_cumulative(run), cost_per_task(run)];
    if epochs {
        out.push(unit_cost_vs_spend(run));
        out.push(slo_over_time(run));
        out.push(p99_over_time(run));
    }
    out.push(latency_over_time(run, "task_latency", "workflow:"));
    out.push(latency_over_time(run, "ttft", "pool:"));
    out.push(utilization_over_time(run));
    out.push(kv_over_time(run));
    out.push(queue_over_time(run));
    out.push(site_power(run));
    out.push(rack_power(run));
    out.push(cooling(run));
    out.push(ambient(run));
    out.push(pue(run));
    for m in latency::METRICS {
        if epochs && m.groups == "pool:" {
            continue;
        }
        out.push(latency_percentiles(run, m));
        out.push(latency_cdf(run, m));
    }
    out
}

/// A range that shows `values` with some air: from 0 (or the smallest value, if negative)
/// to the largest value plus `headroom` of the span (room for the legend); `(0, 1)` with no
/// finite value.
pub fn value_range(values: impl IntoIterator<Item = f64>, headroom: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    let lo = lo.min(0.0);
    let hi = if hi > lo { hi } else { lo + 1.0 };
    (lo, hi + (hi - lo) * headroom)
}

/// The span of `xs` (finite ones); `(0, 1)` when there is none.
pub fn span(xs: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for x in xs.into_iter().filter(|x| x.is_finite()) {
        lo = lo.min(x);
        hi = hi.max(x);
    }
    if lo > hi { (0.0, 1.0) } else { (lo, hi) }
}

/// Stacks layers that share their `x` values (each `(x, y)`, by `x`): layer `i` becomes
/// `(x, sum of layers below, that sum + y)`. A layer missing an `x` adds 0 there.
pub fn stack(layers: &[Vec<(f64, f64)>]) -> Vec<Vec<(f64, f64, f64)>> {
    let mut xs: Vec<f64> = layers.iter().flatten().map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut base = vec![0.0; xs.len()];
    layers
        .iter()
        .map(|layer| {
            xs.iter()
                .zip(base.iter_mut())
                .map(|(&x, b)| {
                    let y = layer
                        .iter()
                        .find(|p| p.0 == x)
                        .map_or(0.0, |p| if p.1.is_finite() { p.1 } else { 0.0 });
                    let lo = *b;
                    *b += y;
                    (x, lo, *b)
                })
                .collect()
        })
        .collect()
}

/// Stacks component `layers` (see [`stack`]) into series that keep each component's
/// colour: bands, or with `bars` a bar 0.6 wide at each `x` (categories). Returns the series
/// and the top of the stack at each `x`.
pub fn stacked_series(layers: &[Layer], bars: bool) -> (Vec<Series>, Vec<f64>) {
    let stacked = stack(&layers.iter().map(|l| l.2.clone()).collect::<Vec<_>>());
    let top = stacked
        .last()
        .map_or(Vec::new(), |l| l.iter().map(|p| p.2).collect());
    let series = layers
        .iter()
        .zip(stacked)
        .map(|((color, name, _), band)| Series {
            name: (*name).to_string(),
            color: *color,
            mark: if bars {
                Mark::Rects(
                    band.iter()
                        .filter(|p| p.2 > p.1)
                        .map(|&(x, lo, hi)| [x - 0.3, x + 0.3, lo, hi])
                        .collect(),
                )
            } else {
                Mark::Band(band)
            },
        })
        .collect();
    (series, top)
}

/// Inserts a break (NaN) where consecutive points are more than 1.5 `step` apart: windows
/// of separate epochs are not joined by a line.
pub fn break_gaps(points: &[(f64, f64)], step: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len());
    for (i, &p) in points.iter().enumerate() {
        if i > 0 && step > 0.0 && p.0 - points[i - 1].0 > 1.5 * step {
            out.push(((p.0 + points[i - 1].0) / 2.0, f64::NAN));
        }
        out.push(p);
    }
    out
}

/// Bins runs of consecutive windows (no more than 1.5 `step` apart: one epoch's simulated
/// window) into one point each: `(middle of the run's windows, mean of its values)`, or
/// their maximum with `peak`. Non-finite values are left out.
pub fn bin_runs(points: &[(f64, f64)], step: f64, peak: bool) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let mut j = i + 1;
        while j < points.len() && points[j].0 - points[j - 1].0 <= 1.5 * step {
            j += 1;
        }
        let vals: Vec<f64> = points[i..j]
            .iter()
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .collect();
        if !vals.is_empty() {
            let v = if peak {
                vals.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            };
            out.push(((points[i].0 + points[j - 1].0 + step) / 2.0, v));
        }
        i = j;
    }
    out
}

/// The end [s] of the window that starts at `t` [s]: `t` + the interval, but no later than
/// the end of the simulation (the last window of a single run is often partial).
pub fn window_end(run: &RunData, t: f64) -> f64 {
    let full = t + run.meta.interval_s;
    match run.meta.simulated_s() {
        Some(end) if run.epochs.is_empty() && end > t => full.min(end),
        _ => full,
    }
}

/// The x axis of a run's time series: hours since the start for a run of up to 3 days,
/// dates for longer runs and runs in epochs. Returns the axis (range from the data) and the
/// factor from seconds to its unit.
pub fn time_axis(run: &RunData, xs: (f64, f64)) -> (Axis, f64) {
    let long = !run.epochs.is_empty() || run.meta.horizon_s.is_some_and(|h| h > 3.0 * 86_400.0);
    if long {
        let origin = start_date(run);
        (
            Axis {
                label: "date".into(),
                range: (xs.0 / 86_400.0, xs.1 / 86_400.0),
                scale: Scale::Date { origin },
            },
            1.0 / 86_400.0,
        )
    } else {
        let (unit, f) = if xs.1 <= 2.0 * 3600.0 {
            ("min", 1.0 / 60.0)
        } else {
            ("h", 1.0 / 3600.0)
        };
        (
            Axis {
                label: format!("time since start [{unit}]"),
                range: (xs.0 * f, xs.1 * f),
                scale: Scale::Linear,
            },
            f,
        )
    }
}

/// The run's calendar origin as `YYYY-MM-DD`: `run.json`'s `start`, or for outputs
/// written before it existed, the first epoch's date less its day; empty if neither.
pub fn start_date(run: &RunData) -> String {
    if let Some(s) = run.meta.start.as_deref().and_then(|s| s.get(..10)) {
        return s.to_string();
    }
    run.epochs
        .first()
        .and_then(|e| {
            let date: jiff::civil::Date = e.period.get(..10)?.parse().ok()?;
            let back = jiff::Span::new().days(e.day.floor() as i64);
            date.checked_sub(back).ok()
        })
        .map_or(String::new(), |d| d.to_string())
}

/// The name shown for a group: `workflow:chat` → `chat`.
pub fn short(group: &str) -> &str {
    group.split_once(':').map_or(group, |(_, n)| n)
}

/// A run with these rows, for tests of chart preparation.
#[cfg(test)]
pub(crate) fn test_run(
    summary: Vec<crate::report::read::SummaryRec>,
    distributions: Vec<crate::report::read::DistRec>,
) -> RunData {
    RunData {
        dir: "x".into(),
        meta: crate::report::read::RunMeta {
            scenario: "s".into(),
            scenario_file: String::new(),
            scenario_sha256: String::new(),
            infersim_version: String::new(),
            set: Vec::new(),
            seed: 1,
            replications: 2,
            interval_s: 60.0,
            horizon_s: Some(600.0),
            start: Some("2026-01-05T00:00:00".into()),
            simulated_time_s: vec![600.0],
            setup: None,
            horizon: None,
        },
        summary,
        series: Default::default(),
        distributions,
        epochs: Vec::new(),
        months: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chart_a_report_can_draw_has_a_known_id() {
        let mut run = test_run(Vec::new(), Vec::new());
        let single: Vec<String> = charts(&run).into_iter().map(|c| c.id).collect();
        run.epochs.push(crate::report::read::PeriodRec {
            period: "2027-01-06T00:00".into(),
            day: 2.0,
            group: "all".into(),
            metric: "spend_usd".into(),
            value: None,
        });
        let horizon: Vec<String> = charts(&run).into_iter().map(|c| c.id).collect();
        for id in single.iter().chain(&horizon) {
            assert!(CHART_IDS.contains(&id.as_str()), "{id}");
        }
        let mut all: Vec<&String> = single.iter().chain(&horizon).collect();
        all.sort();
        all.dedup();
        assert_eq!(
            all.len(),
            CHART_IDS.len(),
            "every known id is drawn by some run"
        );
    }

    #[test]
    fn stacking_adds_layers_bottom_up_and_fills_missing_x_with_zero() {
        let a = vec![(0.0, 1.0), (1.0, 2.0)];
        let b = vec![(0.0, 3.0), (2.0, 5.0)];
        let s = stack(&[a, b]);
        assert_eq!(
            s[0],
            vec![(0.0, 0.0, 1.0), (1.0, 0.0, 2.0), (2.0, 0.0, 0.0)]
        );
        assert_eq!(
            s[1],
            vec![(0.0, 1.0, 4.0), (1.0, 2.0, 2.0), (2.0, 0.0, 5.0)]
        );
    }

    #[test]
    fn ranges_start_at_zero_and_leave_headroom() {
        assert_eq!(value_range([2.0, 4.0, f64::NAN], 0.25), (0.0, 5.0));
        assert_eq!(value_range([-2.0, 2.0], 0.0), (-2.0, 2.0));
        assert_eq!(value_range([], 0.2), (0.0, 1.0));
        assert_eq!(value_range([0.0], 0.0), (0.0, 1.0));
        assert_eq!(span([3.0, 1.0, f64::INFINITY]), (1.0, 3.0));
    }

    #[test]
    fn the_origin_falls_back_to_the_first_epoch_less_its_day() {
        let mut run = test_run(Vec::new(), Vec::new());
        assert_eq!(start_date(&run), "2026-01-05");
        run.meta.start = None;
        assert_eq!(start_date(&run), "");
        run.epochs.push(crate::report::read::PeriodRec {
            period: "2027-01-06T00:00".into(),
            day: 2.0,
            group: "all".into(),
            metric: "spend_usd".into(),
            value: None,
        });
        assert_eq!(start_date(&run), "2027-01-04");
    }

    #[test]
    fn windows_of_one_epoch_bin_into_one_point() {
        // Two epochs of 3 and 2 one-hour windows, 7 days apart; a NaN is left out.
        let h = 3600.0;
        let p = [
            (0.0, 1.0),
            (h, 2.0),
            (2.0 * h, 6.0),
            (7.0 * 86_400.0, 4.0),
            (7.0 * 86_400.0 + h, f64::NAN),
        ];
        assert_eq!(
            bin_runs(&p, h, false),
            vec![(1.5 * h, 3.0), (7.0 * 86_400.0 + h, 4.0)]
        );
        assert_eq!(bin_runs(&p, h, true)[0], (1.5 * h, 6.0));
        assert!(bin_runs(&[], h, false).is_empty());
    }

    #[test]
    fn the_last_window_ends_with_the_simulation() {
        let mut run = test_run(Vec::new(), Vec::new());
        run.meta.simulated_time_s = vec![615.0, 610.0];
        assert_eq!(window_end(&run, 540.0), 600.0);
        assert_eq!(window_end(&run, 600.0), 615.0);
    }

    #[test]
    fn gaps_between_epochs_break_the_line() {
        let p = [(0.0, 1.0), (60.0, 2.0), (600.0, 3.0)];
        let b = break_gaps(&p, 60.0);
        assert_eq!(b.len(), 4);
        assert!(b[2].1.is_nan() && b[2].0 == 330.0);
        assert_eq!(break_gaps(&p[..2], 60.0).len(), 2);
    }
}
