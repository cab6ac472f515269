//! Money: cumulative spend stacked by component, cost per successful task by workflow and
//! component, and unit cost against total spend over the months.

use super::{short, stacked_series, start_date, time_axis, value_range, window_end};
use crate::domain::economics::COMPONENTS;
use crate::report::chart::{Axis, Chart, Mark, Points, Scale, Series};
use crate::report::read::RunData;

const UNPRICED: &str = "this run has no [cost] prices";

/// A component's layer of a stack: palette index, name, points.
pub type Layer = (usize, &'static str, Points);

/// Cumulative spend stacked by component: from `monthly.csv` (month ends, summed) for a
/// run in epochs, else from `timeseries.csv`'s `spend_cumulative_usd` per window end.
pub fn spend_cumulative(run: &RunData) -> Chart {
    let id = "spend_cumulative";
    let title = "Cumulative spend by component";
    // Layers (component index, name, points), with the x axis.
    let (layers, x): (Vec<Layer>, Axis) = if !run.months.is_empty() {
        let mut layers = Vec::new();
        // Month ends in days since the origin: the sum of the months' days so far.
        let mut ends = Vec::new();
        let mut day = 0.0;
        for m in run
            .months
            .iter()
            .filter(|m| m.group == "all" && m.metric == "spend_usd")
        {
            day += m.day;
            ends.push((m.period.clone(), day));
        }
        for c in COMPONENTS {
            let group = format!("component:{}", c.name());
            let mut total = 0.0;
            let mut pts = vec![(0.0, 0.0)];
            for (month, end) in &ends {
                total += run
                    .months
                    .iter()
                    .find(|m| &m.period == month && m.group == group && m.metric == "spend_usd")
                    .and_then(|m| m.value)
                    .unwrap_or(0.0);
                pts.push((*end, total));
            }
            if total > 0.0 {
                layers.push((c.index(), c.name(), pts));
            }
        }
        let last = ends.last().map_or(1.0, |e| e.1);
        (
            layers,
            Axis {
                label: "date".into(),
                range: (0.0, last),
                scale: Scale::Date {
                    origin: start_date(run),
                },
            },
        )
    } else {
        let mut layers = Vec::new();
        let mut end: f64 = 0.0;
        for c in COMPONENTS {
            let Some(s) = run.series("spend_cumulative_usd", &format!("component:{}", c.name()))
            else {
                continue;
            };
            // A window's cumulative spend is at its end.
            let mut pts = vec![(0.0, 0.0)];
            pts.extend(s.points.iter().map(|&(t, v)| (window_end(run, t), v)));
            end = end.max(pts.last().map_or(0.0, |p| p.0));
            if pts.iter().any(|p| p.1 > 0.0) {
                layers.push((c.index(), c.name(), pts));
            }
        }
        let (mut axis, f) = time_axis(run, (0.0, end));
        for (_, _, pts) in &mut layers {
            pts.iter_mut().for_each(|p| p.0 *= f);
        }
        axis.range = (0.0, end * f);
        (layers, axis)
    };
    if layers.is_empty() {
        return Chart::empty(id, title, UNPRICED);
    }
    // A component keeps its colour on every chart.
    let (series, top) = stacked_series(&layers, false);
    Chart {
        id: id.into(),
        title: title.into(),
        caption: "Spend from the start, stacked by component (amortised capex, licences, facility, energy, cloud, CPU, human review).".into(),
        x,
        y: Axis {
            label: "spend [USD]".into(),
            range: value_range(top, 0.35),
            scale: Scale::Linear,
        },
        series,
        legend_left: true,
        ..Default::default()
    }
}

/// Cost per successful task of each workflow (and all together), stacked by component.
pub fn cost_per_task(run: &RunData) -> Chart {
    let id = "cost_per_task";
    let title = "Cost per successful task";
    let mut groups: Vec<String> = run
        .groups("workflow:")
        .into_iter()
        .filter(|g| {
            run.value(g, "cost_per_successful_task_usd", "mean")
                .is_some()
        })
        .collect();
    if run
        .value("all", "cost_per_successful_task_usd", "mean")
        .is_some()
        && groups.len() != 1
    {
        groups.push("all".into());
    }
    if groups.is_empty() {
        return Chart::empty(id, title, UNPRICED);
    }
    let layers: Vec<Layer> = COMPONENTS
        .iter()
        .map(|c| {
            let metric = format!("cost_per_successful_task_{}_usd", c.name());
            let pts: Points = (groups.iter().enumerate())
                .map(|(i, g)| (i as f64, run.value(g, &metric, "mean").unwrap_or(0.0)))
                .collect();
            (c.index(), c.name(), pts)
        })
        .filter(|l| l.2.iter().any(|p| p.1 > 0.0))
        .collect();
    let (mut series, mut top) = stacked_series(&layers, true);
    top.resize(groups.len(), 0.0);
    // Totals with their confidence interval over replications, on top.
    let mut whiskers = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        if let Some(r) = run.row(g, "cost_per_successful_task_usd", "mean")
            && let (Some(v), Some(h)) = (r.value, r.ci95_half_width)
        {
            whiskers.push((i as f64, v, (v - h).max(0.0), v + h));
            top[i] = top[i].max(v + h);
        }
    }
    if !whiskers.is_empty() {
        series.push(Series {
            name: "total, 95 % CI".into(),
            color: 7,
            mark: Mark::Whiskers(whiskers),
        });
    }
    Chart {
        id: id.into(),
        title: title.into(),
        caption: "Spend allocated to each workflow by the work its tasks did, per successful task, by component.".into(),
        x: Axis {
            label: "workflow".into(),
            range: (-0.5, groups.len() as f64 - 0.5),
            scale: Scale::Category(groups.iter().map(|g| short(g).to_string()).collect()),
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

/// Month by month: cost per successful task and spend per day as indices (first month
/// = 100), so a falling unit cost under a rising total shows as lines crossing.
pub fn unit_cost_vs_spend(run: &RunData) -> Chart {
    let id = "unit_cost_vs_spend";
    let title = "Unit cost against total spend, by month";
    let month_value = |month: &str, metric: &str| {
        run.months
            .iter()
            .find(|m| m.period == month && m.group == "all" && m.metric == metric)
            .and_then(|m| m.value)
    };
    let mut months: Vec<(String, f64)> = Vec::new();
    for m in run
        .months
        .iter()
        .filter(|m| m.group == "all" && m.metric == "spend_usd")
    {
        months.push((m.period.clone(), m.day));
    }
    let mut cpst = Vec::new();
    let mut per_day = Vec::new();
    for (i, (month, days)) in months.iter().enumerate() {
        if let Some(c) = month_value(month, "cost_per_successful_task_usd") {
            cpst.push((i as f64, c));
        }
        if let Some(s) = month_value(month, "spend_usd")
            && *days > 0.0
        {
            per_day.push((i as f64, s / days));
        }
    }
    let (Some(c0), Some(s0)) = (cpst.first().map(|p| p.1), per_day.first().map(|p| p.1)) else {
        return Chart::empty(id, title, UNPRICED);
    };
    let index = |pts: &[(f64, f64)], base: f64| -> Vec<(f64, f64)> {
        pts.iter().map(|&(x, v)| (x, 100.0 * v / base)).collect()
    };
    let (cpst, per_day) = (index(&cpst, c0), index(&per_day, s0));
    let values: Vec<f64> = cpst.iter().chain(&per_day).map(|p| p.1).collect();
    Chart {
        id: id.into(),
        title: title.into(),
        caption: "Cost per successful task and spend per day, each as an index of its first month (= 100): unit cost can fall while the bill grows.".into(),
        x: Axis {
            label: "month".into(),
            range: (-0.5, months.len() as f64 - 0.5),
            scale: Scale::Category(months.iter().map(|m| m.0.clone()).collect()),
        },
        y: Axis {
            label: "index [first month = 100]".into(),
            range: value_range(values, 0.3),
            scale: Scale::Linear,
        },
        series: vec![
            Series {
                name: "cost per successful task".into(),
                color: 0,
                mark: Mark::Line {
                    points: cpst,
                    dashed: false,
                },
            },
            Series {
                name: "spend per day".into(),
                color: 5,
                mark: Mark::Line {
                    points: per_day,
                    dashed: false,
                },
            },
        ],
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_run;
    use super::*;
    use crate::report::read::{PeriodRec, SummaryRec};

    fn row(g: &str, m: &str, v: f64, ci: Option<f64>) -> SummaryRec {
        SummaryRec {
            group: g.into(),
            metric: m.into(),
            stat: "mean".into(),
            value: Some(v),
            ci95_half_width: ci,
            unit: "USD/task".into(),
        }
    }

    #[test]
    fn cost_per_task_stacks_components_per_workflow() {
        let run = test_run(
            vec![
                row("workflow:a", "cost_per_successful_task_usd", 3.0, Some(0.5)),
                row(
                    "workflow:a",
                    "cost_per_successful_task_capex_usd",
                    1.0,
                    None,
                ),
                row(
                    "workflow:a",
                    "cost_per_successful_task_energy_usd",
                    2.0,
                    None,
                ),
                row("workflow:b", "cost_per_successful_task_usd", 1.0, None),
                row(
                    "workflow:b",
                    "cost_per_successful_task_energy_usd",
                    1.0,
                    None,
                ),
                row("all", "cost_per_successful_task_usd", 2.0, None),
                row("all", "cost_per_successful_task_energy_usd", 2.0, None),
            ],
            Vec::new(),
        );
        let c = cost_per_task(&run);
        assert_eq!(
            c.x.scale,
            Scale::Category(vec!["a".into(), "b".into(), "all".into()])
        );
        assert_eq!(c.series[0].name, "capex");
        assert_eq!(c.series[0].mark, Mark::Rects(vec![[-0.3, 0.3, 0.0, 1.0]]));
        assert_eq!(c.series[1].name, "energy");
        assert_eq!(
            c.series[1].mark,
            Mark::Rects(vec![
                [-0.3, 0.3, 1.0, 3.0],
                [0.7, 1.3, 0.0, 1.0],
                [1.7, 2.3, 0.0, 2.0]
            ])
        );
        assert_eq!(c.series[2].mark, Mark::Whiskers(vec![(0.0, 3.0, 2.5, 3.5)]));
        assert!(!cost_per_task(&test_run(Vec::new(), Vec::new())).has_data());
    }

    #[test]
    fn monthly_spend_accumulates_and_indices_start_at_100() {
        let mut run = test_run(Vec::new(), Vec::new());
        let m = |month: &str, days: f64, group: &str, metric: &str, v: f64| PeriodRec {
            period: month.into(),
            day: days,
            group: group.into(),
            metric: metric.into(),
            value: Some(v),
        };
        run.months = vec![
            m("2027-01", 31.0, "all", "spend_usd", 310.0),
            m("2027-01", 31.0, "component:capex", "spend_usd", 300.0),
            m("2027-01", 31.0, "component:energy", "spend_usd", 10.0),
            m("2027-01", 31.0, "all", "cost_per_successful_task_usd", 2.0),
            m("2027-02", 28.0, "all", "spend_usd", 560.0),
            m("2027-02", 28.0, "component:capex", "spend_usd", 500.0),
            m("2027-02", 28.0, "component:energy", "spend_usd", 60.0),
            m("2027-02", 28.0, "all", "cost_per_successful_task_usd", 1.0),
        ];
        let c = spend_cumulative(&run);
        assert_eq!(
            c.series[0].mark,
            Mark::Band(vec![
                (0.0, 0.0, 0.0),
                (31.0, 0.0, 300.0),
                (59.0, 0.0, 800.0)
            ])
        );
        assert_eq!(
            c.series[1].mark,
            Mark::Band(vec![
                (0.0, 0.0, 0.0),
                (31.0, 300.0, 310.0),
                (59.0, 800.0, 870.0)
            ])
        );
        let u = unit_cost_vs_spend(&run);
        // Spend per day: 10 then 20 (index 200); unit cost 2 then 1 (index 50).
        assert_eq!(
            u.series[0].mark,
            Mark::Line {
                points: vec![(0.0, 100.0), (1.0, 50.0)],
                dashed: false
            }
        );
        assert_eq!(
            u.series[1].mark,
            Mark::Line {
                points: vec![(0.0, 100.0), (1.0, 200.0)],
                dashed: false
            }
        );
    }
}
