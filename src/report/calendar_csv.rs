//! `epochs.csv` and `monthly.csv` of a long-horizon run: pure functions to bytes.
//!
//! Both are long tables, one figure a row, like `summary.csv`. Spend, tasks and energy are
//! for the epoch's whole period (or the month); ratios and percentiles are the simulated
//! window's. See `docs/METRICS.md`, "Long horizons".

use crate::domain::Scenario;
use crate::domain::economics::{COMPONENTS, RunSpend};
use crate::metrics::horizon::{EpochFigures, MonthFigures};

/// Header of `epochs.csv`.
pub const EPOCHS_HEADER: [&str; 10] = [
    "scenario",
    "epoch",
    "date",
    "day",
    "period_days",
    "demand_weight",
    "group",
    "metric",
    "value",
    "unit",
];

/// Header of `monthly.csv`.
pub const MONTHLY_HEADER: [&str; 7] = [
    "scenario", "month", "days", "group", "metric", "value", "unit",
];

/// `(group, metric, value, unit)` rows.
type Figures = Vec<(String, &'static str, Option<f64>, &'static str)>;

fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

fn spend_rows(out: &mut Figures, spend: &crate::domain::economics::ByComponent, cpst: Option<f64>) {
    out.push(("all".into(), "spend_usd", Some(RunSpend::sum(spend)), "USD"));
    for c in COMPONENTS {
        out.push((
            format!("component:{}", c.name()),
            "spend_usd",
            Some(spend[c.index()]),
            "USD",
        ));
    }
    out.push((
        "all".into(),
        "cost_per_successful_task_usd",
        cpst,
        "USD/task",
    ));
}

fn epoch_figures(spec: &Scenario, f: &EpochFigures, priced: bool) -> Figures {
    let mut out: Figures = Vec::new();
    for (p, n) in spec.gpu_pools.iter().zip(&f.replicas) {
        out.push((
            format!("pool:{}", p.name),
            "replicas",
            Some(f64::from(*n)),
            "replicas",
        ));
    }
    for (p, u) in spec.gpu_pools.iter().zip(&f.utilization) {
        out.push((format!("pool:{}", p.name), "utilization", *u, "ratio"));
    }
    out.push(("all".into(), "tasks_started", Some(f.started), "tasks"));
    out.push(("all".into(), "tasks_succeeded", Some(f.succeeded), "tasks"));
    out.push(("all".into(), "slo_attainment", f.slo_attainment, "ratio"));
    out.push((
        "all".into(),
        "task_latency_p99_s",
        f.task_latency_p99_s,
        "s",
    ));
    for (k, w) in spec.workflows.iter().enumerate() {
        let g = format!("workflow:{}", w.name);
        out.push((g.clone(), "slo_attainment", f.workflow_slo[k], "ratio"));
        out.push((g, "task_latency_p99_s", f.workflow_p99_s[k], "s"));
    }
    if spec.facility.is_some() {
        out.push((
            "site".into(),
            "facility_energy_kwh",
            Some(f.facility_kwh),
            "kWh",
        ));
        out.push(("site".into(), "it_power_peak_kw", f.peak_it_kw, "kW"));
        if f.cap_kw.is_some() {
            out.push(("site".into(), "power_cap_kw", f.cap_kw, "kW"));
        }
    }
    if priced {
        spend_rows(&mut out, &f.spend, f.cost_per_successful_task());
    }
    out
}

/// `epochs.csv` bytes: per epoch, the fleet, utilisation, tasks, SLO attainment, p99 task
/// latency, power, and (when priced) the period's spend by component.
///
/// # Errors
/// Only if the CSV writer fails on memory output.
pub fn epochs_csv(
    spec: &Scenario,
    epochs: &[EpochFigures],
    priced: bool,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(EPOCHS_HEADER)?;
    for f in epochs {
        let e = &f.epoch;
        let head = [
            spec.name.clone(),
            e.index.to_string(),
            f.date.strftime("%Y-%m-%dT%H:%M").to_string(),
            format!("{}", e.window_start_s / 86_400.0),
            format!("{}", e.period_s() / 86_400.0),
            format!("{}", f.demand_weight),
        ];
        for (group, metric, value, unit) in epoch_figures(spec, f, priced) {
            let mut rec: Vec<String> = head.to_vec();
            rec.extend([group, metric.to_string(), num(value), unit.to_string()]);
            w.write_record(&rec)?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// `monthly.csv` bytes: per calendar month, spend by component, tasks, cost per successful
/// task, energy, and the worst SLO attainment (of any workflow) and p99 task latency of the
/// month's epochs.
///
/// # Errors
/// Only if the CSV writer fails on memory output.
pub fn monthly_csv(
    spec: &Scenario,
    months: &[MonthFigures],
    priced: bool,
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(MONTHLY_HEADER)?;
    for m in months {
        let mut out: Figures = vec![
            ("all".into(), "tasks_started", Some(m.started), "tasks"),
            ("all".into(), "tasks_succeeded", Some(m.succeeded), "tasks"),
            ("all".into(), "slo_attainment_worst", m.worst_slo, "ratio"),
            ("all".into(), "task_latency_p99_worst_s", m.worst_p99_s, "s"),
        ];
        if spec.facility.is_some() {
            out.push((
                "site".into(),
                "facility_energy_kwh",
                Some(m.facility_kwh),
                "kWh",
            ));
        }
        if priced {
            spend_rows(&mut out, &m.spend, m.cost_per_successful_task());
        }
        let days = format!("{}", (m.to_s - m.from_s) / 86_400.0);
        for (group, metric, value, unit) in out {
            w.write_record([
                spec.name.as_str(),
                &m.month,
                &days,
                &group,
                metric,
                &num(value),
                unit,
            ])?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
