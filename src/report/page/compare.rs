//! `compare.html`: runs side by side, the "option A against option B" page. A table of
//! the headline figures with each run's change against the first, then charts that overlay
//! the runs.

use super::headline::{Headline, headlines};
use super::{PageFile, draw_all, html, run_line};
use crate::domain::economics::COMPONENTS;
use crate::report::chart::draw::DrawError;
use crate::report::chart::prep::Layer;
use crate::report::chart::prep::{break_gaps, short, span, stacked_series, time_axis, value_range};
use crate::report::chart::{Axis, Chart, Mark, Points, Scale, Series};
use crate::report::read::RunData;

/// Picks named lines `(name, (time [s], value) points)` from a run.
type Pick = dyn Fn(&RunData) -> Vec<(String, Points)>;

/// File-name prefix of comparison charts (a report never removes them).
pub const PREFIX: &str = "compare_";

/// The name of each run on the page: its scenario name, or its folder name where two runs
/// share a scenario name.
pub fn labels(runs: &[RunData]) -> Vec<String> {
    runs.iter()
        .map(|r| {
            let shared = runs
                .iter()
                .filter(|o| o.meta.scenario == r.meta.scenario)
                .count()
                > 1;
            if shared {
                r.dir.file_name().map_or_else(
                    || r.dir.display().to_string(),
                    |n| n.to_string_lossy().into(),
                )
            } else {
                r.meta.scenario.clone()
            }
        })
        .collect()
}

/// Relative change of `v` against `base`, as text (`+12.3 %`), and whether it is better.
pub fn delta(base: Option<f64>, v: Option<f64>, higher_is_better: bool) -> Option<(String, bool)> {
    let (b, v) = (base?, v?);
    if b == 0.0 {
        return (v == 0.0).then(|| ("±0 %".to_string(), true));
    }
    let d = (v - b) / b.abs();
    let better = if higher_is_better { d >= 0.0 } else { d <= 0.0 };
    Some((format!("{:+.1} %", d * 100.0), better))
}

/// The headline table: one row per headline figure, one column per run, with the change
/// against the first run.
fn headline_table(runs: &[RunData], names: &[String]) -> String {
    let per_run: Vec<Vec<Headline>> = runs.iter().map(headlines).collect();
    let mut s = String::from("<table class=\"compare\">\n<thead><tr><th>figure</th>");
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
                match delta(h0.value, h.value, h.higher_is_better) {
                    Some((t, better)) => format!(
                        " <span class=\"delta {}\">({t})</span>",
                        if better { "better" } else { "worse" }
                    ),
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
    s.push_str("</tbody>\n</table>\n");
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

/// One series per run of `(time [s], value)` points, drawn over the first run's time axis.
fn overlay(
    runs: &[RunData],
    names: &[String],
    id: &str,
    title: &str,
    caption: &str,
    y_label: &str,
    pick: &Pick,
) -> Chart {
    let id = format!("{PREFIX}{id}");
    // (run index, legend name, points, the run's window [s]).
    let picked: Vec<(usize, String, Points, f64)> = runs
        .iter()
        .zip(names)
        .enumerate()
        .flat_map(|(i, (r, n))| {
            let many = pick(r);
            let single = many.len() == 1;
            many.into_iter().map(move |(sub, pts)| {
                let name = if single {
                    n.clone()
                } else {
                    format!("{n}: {sub}")
                };
                (i, name, pts, r.meta.interval_s)
            })
        })
        .filter(|p| !p.2.is_empty())
        .collect();
    if picked.is_empty() {
        return Chart::empty(&id, title, "no run has this series");
    }
    let (lo, hi) = span(picked.iter().flat_map(|p| p.2.iter().map(|q| q.0)));
    let step = picked.iter().map(|p| p.3).fold(0.0, f64::max);
    let (x, f) = time_axis(&runs[0], (lo.min(0.0), hi + step));
    let values: Vec<f64> = picked
        .iter()
        .flat_map(|p| p.2.iter().map(|q| q.1))
        .collect();
    let mut colors = Vec::new();
    let series = picked
        .into_iter()
        .map(|(i, name, pts, step)| {
            // Runs keep their colour; a run's second line gets the next free one.
            let mut c = i;
            while colors.contains(&c) {
                c += runs.len();
            }
            colors.push(c);
            let scaled: Vec<(f64, f64)> = pts.iter().map(|&(t, v)| (t * f, v)).collect();
            Series {
                name,
                color: c,
                mark: Mark::Line {
                    points: break_gaps(&scaled, step * f),
                    dashed: false,
                },
            }
        })
        .collect();
    Chart {
        id,
        title: title.into(),
        caption: caption.into(),
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
            &series("task_latency_p99_s", "workflow:"),
        ),
        overlay(
            runs,
            names,
            "site_power",
            "Site IT power over time",
            "Window-average IT power of the site, per run.",
            "IT power [kW]",
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
                    pts.extend(s.points.iter().map(|&(t, v)| (t + r.meta.interval_s, v)));
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
        assert_eq!(
            delta(Some(2.0), Some(2.5), false),
            Some(("+25.0 %".into(), false))
        );
        assert_eq!(
            delta(Some(0.9), Some(0.99), true),
            Some(("+10.0 %".into(), true))
        );
        assert_eq!(
            delta(Some(4.0), Some(3.0), false),
            Some(("-25.0 %".into(), true))
        );
        assert_eq!(delta(None, Some(3.0), false), None);
        assert_eq!(delta(Some(0.0), Some(3.0), false), None);
    }
}
