//! Sweep charts: a chosen metric against a swept value (one line per combination of the
//! other swept values, with 95 % CI whiskers), and cost per successful task against SLO
//! attainment with the Pareto front marked.

use super::table::SweepTable;
use crate::metrics::Selector;
use crate::report::chart::prep::value_range;
use crate::report::chart::{Axis, Chart, Mark, Scale, Series};

/// The metrics charted against the swept value when the user names none.
pub const DEFAULT_CHARTS: [&str; 3] = [
    "cost_per_successful_task_usd",
    "slo_attainment",
    "task_latency_s p99",
];

/// Most lines a metric chart draws (the palette's colours); further combinations are left
/// out and the caption says so.
pub const MAX_LINES: usize = 8;

/// The Pareto front of `(cost, quality)` points: the indices of those that no other point
/// beats on both (cost no higher, quality no lower, one strictly), by rising cost. Points
/// with a missing value are not candidates.
pub fn pareto_front(points: &[(usize, Option<f64>, Option<f64>)]) -> Vec<usize> {
    let ok: Vec<(usize, f64, f64)> = points
        .iter()
        .filter_map(|&(k, c, q)| Some((k, c?, q?)))
        .collect();
    let mut front: Vec<(usize, f64, f64)> = ok
        .iter()
        .filter(|&&(_, c, q)| {
            !ok.iter()
                .any(|&(_, c2, q2)| c2 <= c && q2 >= q && (c2 < c || q2 > q))
        })
        .copied()
        .collect();
    front.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    front.into_iter().map(|p| p.0).collect()
}

/// A point with its 95 % CI: `(x, y, low, high)`.
type Whisker = (f64, f64, f64, f64);

/// The x axis: the swept path's index, its scale and each point's `(index, x)`.
type XAxis = (usize, Scale, Vec<(usize, f64)>);

/// The swept axis charted along x: the first whose values are all numbers (`Linear`),
/// else the first (`Category`). Returns its index and each point's x.
fn x_axis(t: &SweepTable) -> Option<XAxis> {
    if t.paths.is_empty() {
        return None;
    }
    let keys: Vec<usize> = t.points.keys().copied().collect();
    let numeric = (0..t.paths.len()).find(|&i| {
        keys.iter()
            .all(|&k| t.values(k)[i].parse::<f64>().is_ok_and(f64::is_finite))
    });
    match numeric {
        Some(i) => {
            let xs = keys
                .iter()
                .map(|&k| (k, t.values(k)[i].parse::<f64>().unwrap_or(f64::NAN)))
                .collect();
            Some((i, Scale::Linear, xs))
        }
        None => {
            let mut names: Vec<String> = Vec::new();
            let xs = keys
                .iter()
                .map(|&k| {
                    let v = t.values(k)[0].clone();
                    let j = names.iter().position(|n| *n == v).unwrap_or_else(|| {
                        names.push(v);
                        names.len() - 1
                    });
                    (k, j as f64)
                })
                .collect();
            Some((0, Scale::Category(names), xs))
        }
    }
}

/// The chart of `sel` against the swept value.
///
/// # Errors
/// A message naming the nearest rows when no point has `sel`.
pub fn metric_chart(t: &SweepTable, sel: &Selector) -> Result<Chart, String> {
    let id = format!("sweep_{}", sel.id());
    let title = format!("{} against the swept value", sel.text());
    let has = t
        .points
        .keys()
        .any(|&k| t.get(k, &sel.group, &sel.metric, &sel.stat).is_some());
    if !has {
        let first = t.points.keys().next().copied().unwrap_or(0);
        return Err(sel.not_found(t.keys(first)));
    }
    let Some((xi, scale, xs)) = x_axis(t) else {
        return Ok(Chart::empty(
            &id,
            &title,
            "No swept value: nothing to chart.",
        ));
    };
    // One line per combination of the other swept values, in grid order.
    let mut lines: Vec<(String, Vec<Whisker>)> = Vec::new();
    for &(k, x) in &xs {
        let vals = t.values(k);
        let name: Vec<String> = t
            .paths
            .iter()
            .zip(&vals)
            .enumerate()
            .filter(|(i, _)| *i != xi)
            .map(|(_, (p, v))| format!("{p}={v}"))
            .collect();
        let name = if name.is_empty() {
            sel.text()
        } else {
            name.join(", ")
        };
        let Some(o) = t.get(k, &sel.group, &sel.metric, &sel.stat) else {
            continue;
        };
        let Some(y) = o.value else { continue };
        let h = o.ci95_half_width.unwrap_or(0.0);
        match lines.iter_mut().find(|(n, _)| *n == name) {
            Some((_, pts)) => pts.push((x, y, y - h, y + h)),
            None => lines.push((name, vec![(x, y, y - h, y + h)])),
        }
    }
    let total = lines.len();
    lines.truncate(MAX_LINES);
    let mut series = Vec::new();
    for (i, (name, mut pts)) in lines.into_iter().enumerate() {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        series.push(Series {
            name: name.clone(),
            color: i,
            mark: Mark::Line {
                points: pts.iter().map(|p| (p.0, p.1)).collect(),
                dashed: false,
            },
        });
        series.push(Series {
            name: String::new(),
            color: i,
            mark: Mark::Whiskers(pts),
        });
    }
    let all: Vec<f64> = series
        .iter()
        .flat_map(|s| match &s.mark {
            Mark::Whiskers(p) => p.iter().flat_map(|q| [q.2, q.3]).collect(),
            _ => Vec::new(),
        })
        .collect();
    let xr = match &scale {
        Scale::Category(n) => (-0.5, n.len() as f64 - 0.5),
        _ => {
            let (lo, hi) = crate::report::chart::prep::span(xs.iter().map(|p| p.1));
            let pad = if hi > lo { (hi - lo) * 0.04 } else { 0.5 };
            (lo - pad, hi + pad)
        }
    };
    let unit = t
        .points
        .keys()
        .find_map(|&k| unit_of(t, k, sel))
        .unwrap_or_default();
    Ok(Chart {
        id,
        title,
        caption: format!(
            "{} ({}) at each value of {}, with its 95 % CI over replications{}.",
            sel.text(),
            if unit.is_empty() { "no unit" } else { &unit },
            t.paths[xi],
            if total > MAX_LINES {
                format!("; the first {MAX_LINES} of {total} combinations of the other swept values")
            } else {
                String::new()
            }
        ),
        x: Axis {
            label: t.paths[xi].clone(),
            range: xr,
            scale,
        },
        y: Axis {
            label: if unit.is_empty() {
                sel.text()
            } else {
                format!("{} [{unit}]", sel.text())
            },
            range: value_range(all, 0.25),
            scale: Scale::Linear,
        },
        series,
        ..Default::default()
    })
}

fn unit_of(t: &SweepTable, k: usize, sel: &Selector) -> Option<String> {
    let p = 2 + t.paths.len();
    t.points.get(&k)?.iter().find_map(|r| {
        (r[p] == sel.group && r[p + 1] == sel.metric && r[p + 2] == sel.stat)
            .then(|| r[p + 5].clone())
    })
}

/// Cost per successful task against SLO attainment (overall), every point a dot with
/// its CI on SLO attainment, the Pareto front (cheapest for its attainment) joined and
/// named in the caption.
pub fn pareto_chart(t: &SweepTable) -> Chart {
    let id = "sweep_pareto";
    let title = "Cost per successful task against SLO attainment";
    let pts: Vec<(usize, Option<f64>, Option<f64>)> = t
        .points
        .keys()
        .map(|&k| {
            let c = t
                .get(k, "all", "cost_per_successful_task_usd", "mean")
                .and_then(|o| o.value);
            let q = t
                .get(k, "all", "slo_attainment", "mean")
                .and_then(|o| o.value);
            (k, c, q)
        })
        .collect();
    let front = pareto_front(&pts);
    if front.is_empty() {
        return Chart::empty(
            id,
            title,
            "No point has both a cost per successful task (the scenario needs [cost]) and an \
             SLO attainment (a workflow needs a deadline).",
        );
    }
    let hw = |k: usize| {
        t.get(k, "all", "slo_attainment", "mean")
            .and_then(|o| o.ci95_half_width)
            .unwrap_or(0.0)
    };
    let dots: Vec<Whisker> = pts
        .iter()
        .filter(|p| !front.contains(&p.0))
        .filter_map(|&(k, c, q)| Some((c?, q?, q? - hw(k), q? + hw(k))))
        .collect();
    let on: Vec<(usize, f64, f64)> = front
        .iter()
        .filter_map(|&k| {
            pts.iter()
                .find(|p| p.0 == k)
                .map(|p| (k, p.1.unwrap_or(0.0), p.2.unwrap_or(0.0)))
        })
        .collect();
    let xs: Vec<f64> = pts.iter().filter_map(|p| p.1).collect();
    let ys: Vec<f64> = pts
        .iter()
        .filter_map(|&(k, _, q)| q.map(|q| [q - hw(k), q + hw(k)]))
        .flatten()
        .collect();
    let (x0, x1) = crate::report::chart::prep::span(xs);
    let xpad = if x1 > x0 {
        (x1 - x0) * 0.05
    } else {
        x0.abs().max(1e-9) * 0.1
    };
    let (y0, y1) = crate::report::chart::prep::span(ys);
    let ypad = if y1 > y0 { (y1 - y0) * 0.1 } else { 0.01 };
    let named: Vec<String> = on
        .iter()
        .take(6)
        .map(|&(k, _, _)| {
            let v: Vec<String> = t
                .paths
                .iter()
                .zip(t.values(k))
                .map(|(p, v)| format!("{p}={v}"))
                .collect();
            format!("point {k} ({})", v.join(", "))
        })
        .collect();
    let mut series = vec![Series {
        name: "Pareto front".into(),
        color: 1,
        mark: Mark::Line {
            points: on.iter().map(|p| (p.1, p.2)).collect(),
            dashed: false,
        },
    }];
    series.push(Series {
        name: String::new(),
        color: 1,
        mark: Mark::Whiskers(
            on.iter()
                .map(|&(k, c, q)| (c, q, q - hw(k), q + hw(k)))
                .collect(),
        ),
    });
    if !dots.is_empty() {
        series.push(Series {
            name: "other points".into(),
            color: 7,
            mark: Mark::Whiskers(dots),
        });
    }
    Chart {
        id: id.into(),
        title: title.into(),
        caption: format!(
            "Each point of the sweep; the front holds the points no other point beats on \
             both cost and attainment: {}{}.",
            named.join("; "),
            if on.len() > named.len() {
                format!(" and {} more", on.len() - named.len())
            } else {
                String::new()
            }
        ),
        x: Axis {
            label: "Cost per successful task [USD]".into(),
            range: ((x0 - xpad).max(0.0), x1 + xpad),
            scale: Scale::Linear,
        },
        y: Axis {
            label: "SLO attainment [ratio]".into(),
            range: ((y0 - ypad).max(0.0), (y1 + ypad * 3.0).min(1.0 + ypad)),
            scale: Scale::Linear,
        },
        series,
        legend_left: false,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pareto_front_keeps_undominated_points() {
        let pts = [
            (0, Some(1.0), Some(0.90)),
            (1, Some(2.0), Some(0.95)),
            (2, Some(2.5), Some(0.94)), // beaten by 1
            (3, Some(3.0), Some(0.99)),
            (4, None, Some(1.0)),       // no cost: not a candidate
            (5, Some(1.0), Some(0.90)), // equal to 0: both stay
        ];
        assert_eq!(pareto_front(&pts), [0, 5, 1, 3]);
        assert!(pareto_front(&[]).is_empty());
    }

    fn table() -> SweepTable {
        let mut csv =
            String::from("scenario,point,n,m,group,metric,stat,value,ci95_half_width,unit\n");
        let mut k = 0;
        for n in [1, 2, 3] {
            for m in ["a", "b"] {
                let cost = f64::from(n) * if m == "a" { 1.0 } else { 1.5 };
                let slo = 0.8 + 0.05 * f64::from(n);
                csv.push_str(&format!(
                    "s,{k},{n},{m},all,cost_per_successful_task_usd,mean,{cost},0.1,USD\n\
                     s,{k},{n},{m},all,slo_attainment,mean,{slo},0.01,ratio\n"
                ));
                k += 1;
            }
        }
        SweepTable::parse("t", csv.as_bytes()).unwrap()
    }

    #[test]
    fn a_metric_is_drawn_against_the_first_numeric_axis_per_other_value() {
        let t = table();
        let c = metric_chart(
            &t,
            &Selector::parse("cost_per_successful_task_usd").unwrap(),
        )
        .unwrap();
        assert_eq!(c.x.label, "n");
        let lines: Vec<(&str, &Vec<(f64, f64)>)> = c
            .series
            .iter()
            .filter_map(|s| match &s.mark {
                Mark::Line { points, .. } => Some((s.name.as_str(), points)),
                _ => None,
            })
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].0, "m=a");
        assert_eq!(*lines[0].1, vec![(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]);
        assert_eq!(*lines[1].1, vec![(1.0, 1.5), (2.0, 3.0), (3.0, 4.5)]);
        let e = metric_chart(&t, &Selector::parse("ttft_s p99").unwrap()).unwrap_err();
        assert!(e.contains("no summary.csv row `ttft_s p99`"), "{e}");
        let p = pareto_chart(&t);
        assert!(p.has_data());
        // Each n's "a" point beats its "b" point: the front is the three "a" points.
        assert!(
            p.caption
                .contains("point 0 (n=1, m=a); point 2 (n=2, m=a); point 4 (n=3, m=a)"),
            "{}",
            p.caption
        );
    }
}
