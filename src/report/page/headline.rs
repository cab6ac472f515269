//! The headline figures of a run, first on its page and in a comparison: cost per successful
//! task, task SLO attainment, p99 task latency, peak power against the cap, total spend and
//! runway. Each carries where it comes from, so a reader (and the browser test) can check
//! it against `summary.csv`.

use crate::report::chart::style;
use crate::report::read::RunData;

/// One headline figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// Stable id (`cost_per_successful_task`…), also the HTML element's id.
    pub id: &'static str,
    /// What it is.
    pub label: &'static str,
    /// The number, `None` when the run does not measure it.
    pub value: Option<f64>,
    /// The number as shown (`$0.0034`, `99.70 %`); `–` when absent.
    pub text: String,
    /// A line under it: the CI, the cap, the date; or why it is absent.
    pub detail: String,
    /// `summary.csv` source `(group, metric, stat)` of `value`, when it is a row there.
    pub source: Option<(&'static str, &'static str, &'static str)>,
    /// Whether a larger value is better (for deltas in a comparison).
    pub higher_is_better: bool,
    /// A ratio whose changes read in percentage points (SLO attainment).
    pub ratio: bool,
}

fn ci_text(run: &RunData, g: &str, m: &str, s: &str, fmt: &dyn Fn(f64) -> String) -> String {
    match run.row(g, m, s).and_then(|r| r.ci95_half_width) {
        Some(h) => format!(
            "± {} (95 % CI over {} replications)",
            fmt(h),
            run.meta.replications
        ),
        None => format!("{} replication(s), no CI", run.meta.replications),
    }
}

/// Peak IT power of the site [kW] and its cap [kW] (the largest cap in force), from
/// `summary.csv` and `timeseries.csv`, or from `epochs.csv` for a run in epochs.
pub fn peak_power(run: &RunData) -> (Option<f64>, Option<f64>) {
    let from_epochs = |metric: &str| {
        run.epochs
            .iter()
            .filter(|e| e.group == "site" && e.metric == metric)
            .filter_map(|e| e.value)
            .reduce(f64::max)
    };
    let peak = run
        .value("site", "it_power_kw", "max")
        .or_else(|| from_epochs("it_power_peak_kw"));
    let cap = run
        .series("power_cap_kw", "site")
        .and_then(|s| s.points.iter().map(|p| p.1).reduce(f64::max))
        .or_else(|| from_epochs("power_cap_kw"));
    (peak, cap)
}

/// The six headline figures of `run`.
pub fn headlines(run: &RunData) -> Vec<Headline> {
    let mut out = Vec::new();
    let unpriced = "not priced: add a [cost] section";

    let v = run.value("all", "cost_per_successful_task_usd", "mean");
    out.push(Headline {
        id: "cost_per_successful_task",
        label: "Cost per successful task",
        value: v,
        text: v.map_or("–".into(), style::usd),
        detail: match v {
            // Fractions of a cent read better per thousand tasks.
            Some(x) if x < 0.01 => format!(
                "{} per 1,000 tasks; {}",
                style::usd(x * 1000.0),
                ci_text(
                    run,
                    "all",
                    "cost_per_successful_task_usd",
                    "mean",
                    &style::usd
                )
            ),
            Some(_) => ci_text(
                run,
                "all",
                "cost_per_successful_task_usd",
                "mean",
                &style::usd,
            ),
            None => unpriced.into(),
        },
        source: Some(("all", "cost_per_successful_task_usd", "mean")),
        higher_is_better: false,
        ratio: false,
    });

    let v = run.value("all", "slo_attainment", "mean");
    out.push(Headline {
        id: "slo_attainment",
        label: "Task SLO attainment",
        value: v,
        text: v.map_or("–".into(), |x| style::percent(x, 2)),
        detail: if v.is_some() {
            "share of tasks that succeeded within their deadline".into()
        } else {
            "no deadline: set [workflow.X] deadline".into()
        },
        source: Some(("all", "slo_attainment", "mean")),
        higher_is_better: true,
        ratio: true,
    });

    let v = run.value("all", "task_latency_s", "p99");
    out.push(Headline {
        id: "task_latency_p99",
        label: "p99 task latency",
        value: v,
        text: v.map_or("–".into(), style::duration),
        detail: if v.is_some() {
            ci_text(run, "all", "task_latency_s", "p99", &|h| {
                format!("{} s", style::number(h))
            })
        } else {
            "no task ended".into()
        },
        source: Some(("all", "task_latency_s", "p99")),
        higher_is_better: false,
        ratio: false,
    });

    let (peak, cap) = peak_power(run);
    out.push(Headline {
        id: "peak_power",
        label: "Peak IT power",
        value: peak,
        text: peak.map_or("–".into(), |p| format!("{} kW", style::number(p))),
        detail: match (peak, cap) {
            (Some(p), Some(c)) if c > 0.0 => format!(
                "instantaneous peak, {} of the {} kW site cap",
                style::percent(p / c, 0),
                style::number(c)
            ),
            (Some(_), _) => "instantaneous peak; no site power cap".into(),
            _ => "no facility: add [site] and racks".into(),
        },
        source: if run.value("site", "it_power_kw", "max").is_some() {
            Some(("site", "it_power_kw", "max"))
        } else {
            None
        },
        higher_is_better: false,
        ratio: false,
    });

    let v = run.value("all", "spend_usd", "total");
    let hours = if run.epochs.is_empty() {
        run.meta.simulated_s()
    } else {
        run.meta.horizon_s
    }
    .map(|h| h / 3600.0);
    out.push(Headline {
        id: "total_spend",
        label: "Total spend",
        value: v,
        text: v.map_or("–".into(), style::usd),
        detail: match (v, hours) {
            (None, _) => unpriced.into(),
            (Some(_), Some(h)) if h >= 48.0 => format!("over {} days", style::number(h / 24.0)),
            (Some(_), Some(h)) if h >= 2.0 => format!("over {} h simulated", style::number(h)),
            (Some(_), Some(h)) => format!("over {} min simulated", style::number(h * 60.0)),
            (Some(_), None) => "over the run".into(),
        },
        source: Some(("all", "spend_usd", "total")),
        higher_is_better: false,
        ratio: false,
    });

    let v = run.value("all", "runway_days", "mean");
    let date = run
        .meta
        .horizon
        .as_ref()
        .and_then(|h| h.runway_date.clone());
    out.push(Headline {
        id: "runway",
        label: "Runway",
        value: v,
        text: v.map_or("–".into(), |d| format!("{} days", style::number(d))),
        detail: match (v, date) {
            (Some(_), Some(d)) => format!("the SLO first breaks on {d}"),
            (Some(_), None) => "the SLO holds for the whole horizon".into(),
            (None, _) => "single run: add [epochs] and growth for a runway".into(),
        },
        source: Some(("all", "runway_days", "mean")),
        higher_is_better: true,
        ratio: false,
    });
    out
}

/// More figures for a comparison, beside the headlines: successful tasks, TTFT p99,
/// facility energy, PUE and throttled time (each `–` when the run does not measure it).
pub fn secondary(run: &RunData) -> Vec<Headline> {
    type Fmt = fn(f64) -> String;
    type Source = (&'static str, &'static str, &'static str);
    // id, label, summary.csv row, format, whether higher is better.
    let rows: [(&str, &str, Source, Fmt, bool); 5] = [
        (
            "tasks_succeeded",
            "Successful tasks",
            ("all", "tasks_succeeded", "total"),
            style::number,
            true,
        ),
        (
            "ttft_p99",
            "TTFT p99 (all GPU pools)",
            ("all", "ttft_s", "p99"),
            |x| format!("{} s", style::number(x)),
            false,
        ),
        (
            "facility_energy",
            "Facility energy",
            ("site", "facility_energy_kwh", "total"),
            |x| format!("{} kWh", style::number(x)),
            false,
        ),
        ("pue", "PUE", ("site", "pue", "mean"), style::number, false),
        (
            "throttled",
            "Time throttled",
            ("site", "throttled_s", "total"),
            |x| format!("{} h", style::number(x / 3600.0)),
            false,
        ),
    ];
    rows.into_iter()
        .map(|(id, label, (g, m, st), fmt, higher_is_better)| {
            let value = run.value(g, m, st);
            Headline {
                id,
                label,
                value,
                text: value.map_or("–".into(), fmt),
                detail: String::new(),
                source: Some((g, m, st)),
                higher_is_better,
                ratio: false,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::chart::prep::test_run;
    use crate::report::read::{MeanSeries, SummaryRec};

    fn row(g: &str, m: &str, s: &str, v: f64, ci: Option<f64>) -> SummaryRec {
        SummaryRec {
            group: g.into(),
            metric: m.into(),
            stat: s.into(),
            value: Some(v),
            ci95_half_width: ci,
            unit: String::new(),
        }
    }

    #[test]
    fn headlines_read_summary_and_say_what_is_missing() {
        let mut run = test_run(
            vec![
                row(
                    "all",
                    "cost_per_successful_task_usd",
                    "mean",
                    0.0034,
                    Some(0.0001),
                ),
                row("all", "task_latency_s", "p99", 25.06, None),
                row("site", "it_power_kw", "max", 12.5, None),
            ],
            Vec::new(),
        );
        run.series.insert(
            ("power_cap_kw".into(), "site".into()),
            MeanSeries {
                unit: "kW".into(),
                points: vec![(0.0, 30.0), (60.0, 25.0)],
            },
        );
        let h = headlines(&run);
        assert_eq!(h[0].text, "$0.0034");
        assert!(h[0].detail.contains("± $0.0001"), "{}", h[0].detail);
        assert!(
            h[0].detail.starts_with("$3.40 per 1,000 tasks"),
            "{}",
            h[0].detail
        );
        assert_eq!(h[1].text, "–");
        assert!(h[1].detail.contains("deadline"));
        assert_eq!(h[2].text, "25.1 s");
        assert_eq!(h[3].text, "12.5 kW");
        assert_eq!(
            h[3].detail,
            "instantaneous peak, 42 % of the 30 kW site cap"
        );
        assert!(h[4].detail.contains("[cost]"));
        assert!(h[5].detail.contains("[epochs]"));
    }
}
