//! The tables at the end of `report.html`: workflows, GPU pools, CPU and reviewer pools,
//! spend by component, months (runs in epochs) and the facility.

use super::component_names;
use super::html::table;
use crate::report::chart::prep::short;
use crate::report::chart::style::{number, percent, usd};
use crate::report::read::RunData;

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or("–".into(), f)
}

fn secs(x: f64) -> String {
    format!("{} s", number(x))
}

/// The tables of `run` as HTML, each under its heading; sections without rows are left out.
pub fn tables(run: &RunData) -> String {
    let mut out = String::from("<h2>Tables</h2>\n");
    let v = |g: &str, m: &str, s: &str| run.value(g, m, s);

    let rows: Vec<Vec<String>> = run
        .groups("workflow:")
        .iter()
        .filter(|g| v(g, "tasks_started", "total").is_some())
        .map(|g| {
            vec![
                short(g).to_string(),
                opt(v(g, "tasks_started", "total"), number),
                opt(v(g, "tasks_succeeded", "total"), number),
                opt(v(g, "slo_attainment", "mean"), |x| percent(x, 2)),
                opt(v(g, "task_latency_s", "p50"), secs),
                opt(v(g, "task_latency_s", "p99"), secs),
                opt(v(g, "llm_calls_per_task", "mean"), number),
                opt(v(g, "cost_per_successful_task_usd", "mean"), usd),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push_str("<h3>Workflows</h3>\n");
        out.push_str(&table(
            &[
                "workflow",
                "tasks started",
                "succeeded",
                "SLO attainment",
                "task latency p50",
                "p99",
                "LLM calls per task",
                "cost per successful task",
            ],
            &rows,
        ));
    }

    let pools = run.groups("pool:");
    let gpu: Vec<Vec<String>> = pools
        .iter()
        .filter(|g| v(g, "ttft_s", "count").is_some())
        .map(|g| {
            vec![
                short(g).to_string(),
                opt(v(g, "calls_completed", "total"), number),
                opt(v(g, "ttft_s", "p50"), secs),
                opt(v(g, "ttft_s", "p99"), secs),
                opt(v(g, "tpot_s", "p50"), secs),
                opt(v(g, "tpot_s", "p99"), secs),
                opt(v(g, "utilization", "mean"), |x| percent(x, 1)),
                opt(v(g, "kv_utilization", "mean"), |x| percent(x, 1)),
                opt(v(g, "mfu", "mean"), |x| percent(x, 1)),
                opt(v(g, "mbu", "mean"), |x| percent(x, 1)),
            ]
        })
        .collect();
    if !gpu.is_empty() {
        out.push_str("<h3>GPU pools</h3>\n");
        out.push_str(&table(
            &[
                "pool",
                "calls",
                "TTFT p50",
                "TTFT p99",
                "TPOT p50",
                "TPOT p99",
                "busy (non-empty batch)",
                "KV cache in use",
                "MFU",
                "MBU",
            ],
            &gpu,
        ));
    }
    let cpu: Vec<Vec<String>> = pools
        .iter()
        .filter(|g| v(g, "ttft_s", "count").is_none() && v(g, "jobs_arrived", "total").is_some())
        .map(|g| {
            vec![
                short(g).to_string(),
                opt(v(g, "jobs_arrived", "total"), number),
                opt(v(g, "utilization", "mean"), |x| percent(x, 1)),
                opt(v(g, "wait_s", "mean"), secs),
                opt(v(g, "wait_s", "p99"), secs),
            ]
        })
        .collect();
    if !cpu.is_empty() {
        out.push_str("<h3>CPU and reviewer pools</h3>\n");
        out.push_str(&table(
            &["pool", "jobs", "utilisation", "wait mean", "wait p99"],
            &cpu,
        ));
    }

    if let Some(total) = v("all", "spend_usd", "total") {
        let rows: Vec<Vec<String>> = component_names()
            .filter_map(|c| {
                let x = v("all", &format!("spend_{c}_usd"), "total")?;
                Some(vec![
                    c.to_string(),
                    usd(x),
                    if total > 0.0 {
                        percent(x / total, 1)
                    } else {
                        "–".into()
                    },
                    opt(
                        v("all", &format!("cost_per_successful_task_{c}_usd"), "mean"),
                        usd,
                    ),
                ])
            })
            .chain(std::iter::once(vec![
                "total".into(),
                usd(total),
                "100.0 %".into(),
                opt(v("all", "cost_per_successful_task_usd", "mean"), usd),
            ]))
            .collect();
        out.push_str("<h3>Spend by component</h3>\n");
        out.push_str(&table(
            &["component", "spend", "share", "per successful task"],
            &rows,
        ));
    }

    let mut months: Vec<&str> = Vec::new();
    for m in &run.months {
        if !months.contains(&m.period.as_str()) {
            months.push(&m.period);
        }
    }
    if !months.is_empty() {
        let mv = |month: &str, metric: &str| {
            run.months
                .iter()
                .find(|m| m.period == month && m.group == "all" && m.metric == metric)
                .and_then(|m| m.value)
        };
        let rows: Vec<Vec<String>> = months
            .iter()
            .map(|m| {
                vec![
                    m.to_string(),
                    opt(mv(m, "spend_usd"), usd),
                    opt(mv(m, "tasks_succeeded"), number),
                    opt(mv(m, "cost_per_successful_task_usd"), usd),
                    opt(mv(m, "slo_attainment_worst"), |x| percent(x, 1)),
                    opt(mv(m, "task_latency_p99_worst_s"), secs),
                ]
            })
            .collect();
        out.push_str("<h3>Months</h3>\n");
        out.push_str(&table(
            &[
                "month",
                "spend",
                "successful tasks",
                "cost per successful task",
                "worst SLO attainment",
                "worst p99 task latency",
            ],
            &rows,
        ));
    }

    let places: Vec<String> = ["site".to_string()]
        .into_iter()
        .chain(run.groups("row:"))
        .chain(run.groups("rack:"))
        .filter(|g| v(g, "energy_kwh", "total").is_some())
        .collect();
    if !places.is_empty() {
        let rows: Vec<Vec<String>> = places
            .iter()
            .map(|g| {
                vec![
                    g.replacen(':', " ", 1),
                    opt(v(g, "it_power_kw", "mean"), |x| format!("{} kW", number(x))),
                    opt(v(g, "it_power_kw", "max"), |x| format!("{} kW", number(x))),
                    opt(v(g, "energy_kwh", "total"), |x| {
                        format!("{} kWh", number(x))
                    }),
                    opt(v(g, "facility_energy_kwh", "total"), |x| {
                        format!("{} kWh", number(x))
                    }),
                    opt(v(g, "pue", "mean"), number),
                    opt(v(g, "throttled_s", "total"), secs),
                ]
            })
            .collect();
        out.push_str("<h3>Facility</h3>\n");
        out.push_str(&table(
            &[
                "place",
                "IT power mean",
                "peak",
                "IT energy",
                "facility energy",
                "PUE",
                "throttled",
            ],
            &rows,
        ));
    }
    out
}
