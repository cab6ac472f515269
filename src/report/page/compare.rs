//! `compare.html`: runs side by side, the "option A against option B" page. A table of
//! the headline figures with each run's change against the first, then charts that overlay
//! the runs.

use super::headline::{Headline, headlines, secondary};
use super::{PageFile, draw_all, html, run_line};
use crate::domain::economics::COMPONENTS;
use crate::report::chart::draw::DrawError;
use crate::report::chart::prep::Layer;
use crate::report::chart::prep::{
    bin_runs, break_gaps, short, span, stacked_series, start_date, time_axis, value_range,
    window_end,
};
use crate::report::chart::{Axis, Chart, Mark, Points, Scale, Series};
use crate::report::read::RunData;

/// Picks named lines `(name, (time [s], value) points)` from a run.
type Pick = dyn Fn(&RunData) -> Vec<(String, Points)>;

/// File-name prefix of comparison charts.
pub const PREFIX: &str = "compare_";

/// Every chart id a comparison can write (file stems under `charts/`).
pub const CHART_IDS: [&str; 6] = [
    "compare_task_latency_cdf",
    "compare_cost_per_task",
    "compare_task_latency_p99_over_time",
    "compare_site_power",
    "compare_spend_cumulative",
    "compare_slo_over_time",
];

/// The name of each run on the page: its scenario name, or its folder name where two runs
/// share a scenario name; still-equal names get ` (2)`, ` (3)`… in order.
pub fn labels(runs: &[RunData]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(runs.len());
    for r in runs {
        let shared = runs
            .iter()
            .filter(|o| o.meta.scenario == r.meta.scenario)
            .count()
            > 1;
        let base = if shared {
            // The folder's last two parts (`a/out`), from its absolute path (`.` works).
            let abs = std::fs::canonicalize(&r.dir).unwrap_or_else(|_| r.dir.clone());
            let parts: Vec<String> = abs
                .components()
                .rev()
                .take(2)
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            parts.into_iter().rev().collect::<Vec<_>>().join("/")
        } else {
            r.meta.scenario.clone()
        };
        let mut name = base.clone();
        let mut k = 1;
        while out.contains(&name) {
            k += 1;
            name = format!("{base} ({k})");
        }
        out.push(name);
    }
    out
}

/// The change of `v` against `base` as text — relative (`+12.3 %`), or for a ratio in
/// percentage points (`-2.63 pp`) — and whether it is better.
pub fn delta(
    base: Option<f64>,
    v: Option<f64>,
    higher_is_better: bool,
    ratio: bool,
) -> Option<(String, bool)> {
    let (b, v) = (base?, v?);
    let d = v - b;
    let better = if higher_is_better { d >= 0.0 } else { d <= 0.0 };
    if ratio {
        return Some((format!("{:+.2} pp", d * 100.0), better));
    }
    if b == 0.0 {
        return Some((
            (if v == 0.0 { "±0 %" } else { "from 0" }).to_string(),
            better,
        ));
    }
    Some((format!("{:+.1} %", d / b.abs() * 100.0), better))
}

/// The headline table: one row per headline figure, one column per run, with the change
/// against the first run.
fn headline_table(runs: &[RunData], names: &[String]) -> String {
    let per_run: Vec<Vec<Headline>> = runs
        .iter()
        .map(|r| headlines(r).into_iter().chain(secondary(r)).collect())
        .collect();
    let mut s =
        String::from("<div class=\"wide\"><table class=\"compare\">\n<thead><tr><th>figure</th>");
    for n in names {
        s.push_str(&format!("<th>{}</th>", html::escape(n)));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for (k, h0) in per_run[0].iter().enumerate() {
        s.push_str(&format!(
            "<tr id=\"row-{}\"><td>{}</td>",
            h0.id,
            html::escape(h0.label)
        ));
        for (i, hs) in per_run.iter().enumerate() {
            let h = &hs[k];
            let d = if i == 0 {
                String::new()
            } else {
                match delta(h0.value, h.value, h.higher_is_better, h.ratio) {
                    Some((t, better)) => {
                        // A change that rounds to nothing is neither better nor worse.
                        let nil = ["+0.0 %", "-0.0 %", "+0.00 pp", "-0.00 pp", "±0 %"]
                            .contains(&t.as_str());
                        let class = match (nil, better) {
                            (true, _) => "",
                            (false, true) => " better",
                            (false, false) => " worse",
                        };
                        format!(" <span class=\"delta{class}\">({t})</span>")
                    }
                    None => String::new(),
                }
            };
            let value = h
                .value
                .map_or(String::new(), |v| format!(" data-value=\"{v}\""));
            s.push_str(&format!("<td{value}>{}{d}</td>", html::escape(&h.text)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table></div>\n");
    s
}

/// Task latency CDF of all workflows together, one line per run.
fn latency_cdf(runs: &[RunData], names: &[String]) -> Chart {
    let id = format!("{PREFIX}task_latency_cdf");
    let title = "Task latency CDF, all workflows";
    let mut series = Vec::new();
    let mut xmax: f64 = 0.0;
    for (i, (r, n)) in runs.iter().zip(names).enumerate() {
        let pts: Vec<(f64, f64)> = r
            .distributions
            .iter()
            .filter(|d| d.group == "all" && d.metric == "task_latency_s" && d.quantile <= 0.999)
            .map(|d| (d.value, d.quantile))
            .collect();
        if pts.is_empty() {
            continue;
        }
        xmax = pts.iter().map(|p| p.0).fold(xmax, f64::max);
        series.push(Series {
            name: n.clone(),
            color: i,
            mark: Mark::Line {
                points: pts,
                dashed: false,
            },
        });
    }
    if series.is_empty() {
        return Chart::empty(&id, title, "no run has task latency distributions");
    }
    Chart {
        id,
        title: title.into(),
        caption: "Share of tasks done within each latency, per run, up to the 99.9th percentile."
            .into(),
        x: Axis {
            label: "task latency [s]".into(),
            range: (0.0, xmax * 1.02),
            scale: Scale::Linear,
        },
        y: Axis {
            label: "share of tasks [ratio]".into(),
            range: (0.0, 1.0),
            scale: Scale::Linear,
        },
        series,
        legend_left: true,
        ..Default::default()
    }
}

/// Cost per successful task per run, stacked by component.
fn cost_per_task(runs: &[RunData], names: &[String]) -> Chart {
    let id = format!("{PREFIX}cost_per_task");
    let title = "Cost per successful task by run";
    let layers: Vec<Layer> = COMPONENTS
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let m = format!("cost_per_successful_task_{}_usd", c.name());
            let pts = runs
                .iter()
                .enumerate()
                .map(|(i, r)| (i as f64, r.value("all", &m, "mean").unwrap_or(0.0)))
                .collect();
            (ci, c.name(), pts)
        })
        .filter(|(_, _, pts): &Layer| pts.iter().any(|p| p.1 > 0.0))
        .collect();
    if layers.is_empty() {
        return Chart::empty(&id, title, "no run is priced");
    }
    let (series, top) = stacked_series(&layers, true);
    Chart {
        id,
        title: title.into(),
        caption: "Cost per successful task of all workflows together, by component, per run."
            .into(),
        x: Axis {
            label: "run".into(),
            range: (-0.5, runs.len() as f64 - 0.5),
            scale: Scale::Category(names.to_vec()),
        },
        y: Axis {
            label: "cost per successful task [USD]".into(),
            range: value_range(top, 0.45),
            scale: Scale::Linear,
        },
        series,
        ..Default::default()
    }
}

/// How an overlay's picked points are placed in time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    /// Window starts of `timeseries.csv`: drawn at window middles (single runs) or one point
    /// per epoch, the windows' mean (or peak with `true`) for runs in epochs.
    Windows(bool),
    /// Already at their time (month ends, epoch days).
    AsIs,
}

/// One series per run (and picked line) of `(time [s], value)` points on a common time
/// axis (dates when any run is in epochs). Each line gets its own colour.
#[allow(clippy::too_many_arguments)]
fn overlay(
    runs: &[RunData],
    names: &[String],
    id: &str,
    title: &str,
    caption: &str,
    y_label: &str,
    place: Place,
    pick: &Pick,
) -> Chart {
    let id = format!("{PREFIX}{id}");
    // (legend name, points in seconds, whether gaps break the line, the run's window).
    let mut picked: Vec<(String, Points, f64, usize, bool)> = Vec::new();
    for (i, (r, n)) in runs.iter().zip(names).enumerate() {
        let many = pick(r);
        let single = many.len() == 1;
        for (k, (sub, pts)) in many.into_iter().enumerate() {
            if pts.is_empty() {
                continue;
            }
            let name = if single {
                n.clone()
            } else {
                format!("{n}: {sub}")
            };
            let (pts, gap) = match place {
                Place::Windows(peak) if !r.epochs.is_empty() => {
                    (bin_runs(&pts, r.meta.interval_s, peak), 0.0)
                }
                Place::Windows(_) => (
                    pts.iter()
                        .map(|&(t, v)| ((t + window_end(r, t)) / 2.0, v))
                        .collect(),
                    r.meta.interval_s,
                ),
                Place::AsIs => (pts, 0.0),
            };
            // A run keeps its colour on every chart; its further lines are dashed.
            picked.push((name, pts, gap, i, k > 0));
        }
    }
    if picked.is_empty() {
        return Chart::empty(&id, title, "no run has this series");
    }
    let (lo, hi) = span(picked.iter().flat_map(|p| p.1.iter().map(|q| q.0)));
    // A calendar axis only when every run is in epochs from the same start; otherwise time
    // since each run's own start.
    let start = start_date(&runs[0]);
    let calendar = runs
        .iter()
        .all(|r| !r.epochs.is_empty() && start_date(r) == start);
    let (x, f) = if calendar {
        time_axis(&runs[0], (lo.min(0.0), hi))
    } else {
        since_start((lo.min(0.0), hi))
    };
    let caption = if calendar || runs.len() < 2 {
        caption.to_string()
    } else {
        format!("{caption} Time is since each run's own start.")
    };
    let values: Vec<f64> = picked
        .iter()
        .flat_map(|p| p.1.iter().map(|q| q.1))
        .collect();
    let series = picked
        .into_iter()
        .map(|(name, pts, gap, c, dashed)| {
            let scaled: Vec<(f64, f64)> = pts.iter().map(|&(t, v)| (t * f, v)).collect();
            Series {
                name,
                color: c,
                mark: Mark::Line {
                    points: if gap > 0.0 {
                        break_gaps(&scaled, gap * f)
                    } else {
                        scaled
                    },
                    dashed,
                },
            }
        })
        .collect();
    Chart {
        id,
        title: title.into(),
        caption,
        x,
        y: Axis {
            label: y_label.into(),
            range: value_range(values, 0.3),
            scale: Scale::Linear,
        },
        series,
        ..Default::default()
    }
}

/// A time axis since the start over `xs` [s]: minutes, hours or days; returns it and the
/// factor from seconds.
fn since_start(xs: (f64, f64)) -> (Axis, f64) {
    let (unit, f) = if xs.1 > 3.0 * 86_400.0 {
        ("d", 1.0 / 86_400.0)
    } else if xs.1 > 2.0 * 3600.0 {
        ("h", 1.0 / 3600.0)
    } else {
        ("min", 1.0 / 60.0)
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

/// The comparison charts of `runs`.
pub fn charts(runs: &[RunData], names: &[String]) -> Vec<Chart> {
    let series = |name: &'static str, prefix: &'static str| {
        move |r: &RunData| -> Vec<(String, Points)> {
            r.series_groups(name)
                .into_iter()
                .filter(|g| g.starts_with(prefix))
                .filter_map(|g| {
                    r.series(name, &g)
                        .map(|s| (short(&g).to_string(), s.points.clone()))
                })
                .collect()
        }
    };
    let mut out = vec![
        latency_cdf(runs, names),
        cost_per_task(runs, names),
        overlay(
            runs,
            names,
            "task_latency_p99_over_time",
            "p99 task latency over time",
            "p99 task latency per workflow per window, averaged over replications, per run.",
            "p99 task latency [s]",
            Place::Windows(false),
            &series("task_latency_p99_s", "workflow:"),
        ),
        overlay(
            runs,
            names,
            "site_power",
            "Site IT power over time",
            "Window-average IT power of the site, per run.",
            "IT power [kW]",
            Place::Windows(true),
            &series("it_power_kw", "site"),
        ),
    ];
    let cumulative = |r: &RunData| -> Vec<(String, Points)> {
        if !r.months.is_empty() {
            let mut day = 0.0;
            let mut total = 0.0;
            let mut pts = vec![(0.0, 0.0)];
            for m in r
                .months
                .iter()
                .filter(|m| m.group == "all" && m.metric == "spend_usd")
            {
                day += m.day;
                total += m.value.unwrap_or(0.0);
                pts.push((day * 86_400.0, total));
            }
            vec![("spend".into(), pts)]
        } else {
            r.series("spend_cumulative_usd", "all")
                .map(|s| {
                    let mut pts = vec![(0.0, 0.0)];
                    pts.extend(s.points.iter().map(|&(t, v)| (window_end(r, t), v)));
                    vec![("spend".to_string(), pts)]
                })
                .unwrap_or_default()
        }
    };
    let mut spend = overlay(
        runs,
        names,
        "spend_cumulative",
        "Cumulative spend",
        "Spend from the start of each run (all components).",
        "spend [USD]",
        Place::AsIs,
        &cumulative,
    );
    spend.legend_left = true;
    out.push(spend);
    if runs.iter().any(|r| !r.epochs.is_empty()) {
        let worst = |r: &RunData| -> Vec<(String, Points)> {
            let mut by_day: Vec<(f64, f64)> = Vec::new();
            for e in r
                .epochs
                .iter()
                .filter(|e| e.group.starts_with("workflow:") && e.metric == "slo_attainment")
            {
                let Some(v) = e.value else { continue };
                match by_day.iter_mut().find(|p| p.0 == e.day * 86_400.0) {
                    Some(p) => p.1 = p.1.min(v),
                    None => by_day.push((e.day * 86_400.0, v)),
                }
            }
            by_day.sort_by(|a, b| a.0.total_cmp(&b.0));
            vec![("worst SLO".into(), by_day)]
        };
        out.push(overlay(
            runs,
            names,
            "slo_over_time",
            "Worst SLO attainment against date",
            "Lowest SLO attainment of any workflow per simulated epoch, per run.",
            "SLO attainment [ratio]",
            Place::AsIs,
            &worst,
        ));
    }
    out
}

/// The files of a comparison of `runs` (at least one): `compare.html` and
/// `charts/compare_*.svg|png`.
///
/// # Errors
/// [`DrawError`] naming the chart that could not be drawn.
pub fn render_compare(runs: &[RunData]) -> Result<Vec<PageFile>, DrawError> {
    let names = labels(runs);
    let charts = charts(runs, &names);
    let (svgs, mut files) = draw_all(&charts)?;
    let mut b = format!(
        "<h1>Comparison: {}</h1>\n",
        html::escape(&names.join(" vs "))
    );
    b.push_str("<ul class=\"meta\">\n");
    for (r, n) in runs.iter().zip(&names) {
        b.push_str(&format!(
            "<li><b>{}</b>: {} (folder {})</li>\n",
            html::escape(n),
            html::escape(&run_line(r)),
            html::escape(&r.dir.display().to_string())
        ));
    }
    b.push_str("</ul>\n<h2>Headline figures</h2>\n");
    b.push_str(&headline_table(runs, &names));
    b.push_str(&format!(
        "<p class=\"note\">Changes in brackets are against {} (the first run); green is \
         better, red worse.</p>\n<h2>Charts</h2>\n",
        html::escape(&names[0])
    ));
    for (c, s) in charts.iter().zip(&svgs) {
        b.push_str(&html::figure(c, s));
    }
    files.push((
        "compare.html".into(),
        html::document(&format!("infersim comparison: {}", names.join(" vs ")), &b).into_bytes(),
    ));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_say_which_way_is_better() {
        let d = |b, v, hib, ratio| delta(Some(b), Some(v), hib, ratio);
        assert_eq!(d(2.0, 2.5, false, false), Some(("+25.0 %".into(), false)));
        assert_eq!(d(0.9, 0.99, true, false), Some(("+10.0 %".into(), true)));
        assert_eq!(d(4.0, 3.0, false, false), Some(("-25.0 %".into(), true)));
        assert_eq!(
            d(0.997, 0.9707, true, true),
            Some(("-2.63 pp".into(), false))
        );
        assert_eq!(d(0.0, 3.0, false, false), Some(("from 0".into(), false)));
        assert_eq!(delta(None, Some(3.0), false, false), None);
    }

    #[test]
    fn runs_get_distinct_names() {
        let run = |dir: &str, scenario: &str| {
            let mut r = crate::report::chart::prep::test_run(Vec::new(), Vec::new());
            r.dir = dir.into();
            r.meta.scenario = scenario.into();
            r
        };
        let names = labels(&[
            run("/a/out", "q"),
            run("/b/out", "q"),
            run("/c/x", "hot"),
            run("/a/out", "q"),
        ]);
        assert_eq!(names, ["a/out", "b/out", "hot", "a/out (2)"]);
    }

    #[test]
    fn every_comparison_chart_has_a_known_id() {
        let r = crate::report::chart::prep::test_run(Vec::new(), Vec::new());
        let mut e = r.clone();
        e.epochs.push(crate::report::read::PeriodRec {
            period: "2027-01-06T00:00".into(),
            day: 2.0,
            group: "all".into(),
            metric: "spend_usd".into(),
            value: None,
        });
        let runs = [r, e];
        let ids: Vec<String> = charts(&runs, &labels(&runs))
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, CHART_IDS);
    }
}
