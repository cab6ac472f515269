//! The money in the texts of `validate` (prices and what is unpriced) and `run` (spend by
//! component, cost per successful task and per million tokens).

use super::report_text::value;
use crate::domain::economics::{COMPONENTS, FacilityPrice, YEAR_S};
use crate::domain::{Scenario, WorkflowId};
use crate::metrics::economics::priced;
use crate::metrics::{Metric, SummaryRow};
use std::fmt::Write;

/// `validate`: each pool's price and spend rate, the facility and energy prices, and what
/// has no price.
pub fn describe(spec: &Scenario) -> String {
    let mut s = String::new();
    if !priced(spec) {
        let _ = writeln!(
            s,
            "costs: nothing is priced (add a [cost] section for spend and cost per successful task)"
        );
        return s;
    }
    let c = &spec.cost;
    let mut unpriced = Vec::new();
    for (k, (p, price)) in spec.gpu_pools.iter().zip(&c.gpu_pools).enumerate() {
        // Priced at its largest fleet (the [[fleet]] plan may add replicas later).
        let gpus = u64::from(spec.fleet.range(k).1) * u64::from(p.tensor_parallel);
        let (capex, licence, cloud) = price.rates_usd_per_s(gpus);
        if let Some(terms) = price.on_demand.filter(|_| price.is_cloud()) {
            let _ = writeln!(
                s,
                "  cost gpu pool {:<14} cloud on demand: up to {gpus} GPUs x {} USD/GPU-hour while rented (provisioning {}, released after {} idle), at most {:.0} USD/day",
                p.name,
                price.cloud_usd_per_gpu_hour,
                duration(terms.provisioning.as_secs_f64()),
                duration(terms.release_after.as_secs_f64()),
                gpus as f64 * price.cloud_usd_per_gpu_hour * 24.0
            );
        } else if price.is_cloud() {
            let _ = writeln!(
                s,
                "  cost gpu pool {:<14} cloud: {gpus} GPUs x {} USD/GPU-hour = {:.0} USD/day",
                p.name,
                price.cloud_usd_per_gpu_hour,
                cloud * 86_400.0
            );
        } else if capex + licence > 0.0 || (gpus == 0 && price.capex_usd(1) > 0.0) {
            let _ = writeln!(
                s,
                "  cost gpu pool {:<14} owned: {gpus} GPUs in {} servers, capex {:.0} USD over {} years = {:.0} USD/day; licences {:.0} USD/day",
                p.name,
                price.servers(gpus),
                price.capex_usd(gpus),
                price.life_years,
                capex * 86_400.0,
                licence * 86_400.0
            );
        } else {
            unpriced.push(format!("gpu pool {}", p.name));
        }
    }
    for (p, usd) in spec.cpu_pools.iter().zip(&c.cpu_usd_per_server_hour) {
        if *usd > 0.0 {
            let _ = writeln!(
                s,
                "  cost cpu pool {:<14} {} servers x {usd} USD/server-hour = {:.0} USD/day",
                p.name,
                p.servers,
                f64::from(p.servers) * usd * 24.0
            );
        } else {
            unpriced.push(format!("cpu pool {}", p.name));
        }
    }
    for h in spec
        .human_pools
        .iter()
        .filter(|h| h.cost_per_review_usd == 0.0)
    {
        unpriced.push(format!("human pool {}", h.name));
    }
    match c.facility {
        FacilityPrice::None => unpriced.push("facility".into()),
        _ => {
            let _ = writeln!(
                s,
                "  cost facility               {:.0} kW provisioned = {:.0} USD/day ({:.0} USD/year)",
                c.provisioned_kw,
                c.facility_usd_per_s() * 86_400.0,
                c.facility_usd_per_s() * YEAR_S
            );
        }
    }
    match &c.energy {
        None => unpriced.push("energy".into()),
        Some(t) => {
            let prices: Vec<String> = t.prices().iter().map(|p| format!("{p}")).collect();
            let _ = writeln!(
                s,
                "  cost energy                 {} USD/kWh{}",
                prices.join(" / "),
                if t.is_flat() { "" } else { " by time of use" }
            );
        }
    }
    if !unpriced.is_empty() {
        let _ = writeln!(s, "  unpriced (cost 0):          {}", unpriced.join(", "));
    }
    s
}

/// `run`: spend by component, and cost per successful task overall and per workflow.
pub fn summary(spec: &Scenario, rows: &[SummaryRow]) -> String {
    let mut s = String::new();
    if !priced(spec) {
        return s;
    }
    let v = |g: &str, m: Metric, stat: &str| value(rows, g, m, stat);
    let parts: Vec<String> = COMPONENTS
        .iter()
        .filter_map(|&c| {
            v("all", Metric::Spend(Some(c)), "total")
                .filter(|x| *x != 0.0)
                .map(|x| format!("{} {x:.2}", c.name()))
        })
        .collect();
    let fmt = |x: Option<f64>| x.map_or_else(|| "-".to_string(), |x| format!("{x:.4} USD"));
    let _ = writeln!(
        s,
        "  spend                     {:.2} USD ({})  per successful task {}  per million tokens {}",
        v("all", Metric::Spend(None), "total").unwrap_or(0.0),
        parts.join(", "),
        fmt(v("all", Metric::CostPerSuccessfulTask(None), "mean")),
        fmt(v("all", Metric::CostPerMillionTokensUsd, "mean")),
    );
    for (i, w) in spec.workflows.iter().enumerate() {
        if !spec.starts_tasks(WorkflowId(i as u32)) {
            continue;
        }
        let g = format!("workflow:{}", w.name);
        let _ = writeln!(
            s,
            "  cost workflow {:<11} {:.2} USD allocated, per successful task {}",
            w.name,
            v(&g, Metric::Spend(None), "total").unwrap_or(0.0),
            fmt(v(&g, Metric::CostPerSuccessfulTask(None), "mean")),
        );
        if let Some(line) = baseline_line(spec, rows, i) {
            let _ = writeln!(s, "{line}");
        }
    }
    s
}

fn duration(s: f64) -> String {
    if s >= 86_400.0 {
        format!("{:.1} d", s / 86_400.0)
    } else if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

/// The workflow against its baseline, one line (`None` without a baseline or figures).
pub fn baseline_line(spec: &Scenario, rows: &[SummaryRow], workflow: usize) -> Option<String> {
    let w = &spec.workflows[workflow];
    w.baseline.as_ref()?;
    let g = format!("workflow:{}", w.name);
    let v = |m: Metric, stat: &str| value(rows, &g, m, stat);
    let base = v(Metric::BaselineCostPerCaseUsd, "mean")?;
    let ai = v(Metric::AiCostPerCaseUsd, "mean")?;
    let volume = v(Metric::CasesPerDay, "mean").unwrap_or(0.0);
    let break_even = v(Metric::BreakEvenCasesPerDay, "mean").map_or_else(
        || "never (each case costs more than today)".to_string(),
        |b| format!("{b:.0} cases/day"),
    );
    let cycle = match (
        v(Metric::BaselineCycleTimeS, "mean"),
        v(Metric::AiCycleTimeS, "mean"),
    ) {
        (Some(a), Some(b)) => format!("; cycle time {} -> {}", duration(a), duration(b)),
        _ => String::new(),
    };
    Some(format!(
        "  vs baseline {:<13} {base:.2} USD/case today, {ai:.4} with AI (failed tasks fall back): {} {:.2} per case; break-even at {break_even} (this run: {volume:.0}/day){cycle}",
        w.name,
        if base >= ai { "saves" } else { "costs" },
        (base - ai).abs(),
    ))
}

/// `validate`: the demand's calendar, the fleet plan and the epoch plan.
pub fn describe_plan(spec: &Scenario) -> String {
    let mut s = String::new();
    let day = |t_s: f64| {
        spec.origin
            .checked_add(jiff::SignedDuration::from_secs_f64(t_s))
            .map_or_else(|_| "-".to_string(), |d| d.date().to_string())
    };
    for c in &spec.fleet.changes {
        let pool = &spec.gpu_pools[c.pool as usize];
        let what = if c.delta > 0 {
            format!(
                "+{} replica(s) ordered {}, in service {}",
                c.delta,
                day(c.ordered_s),
                day(c.effective_s)
            )
        } else {
            format!("{} replica(s) retired {}", c.delta, day(c.effective_s))
        };
        let (lo, hi) = spec.fleet.range(c.pool as usize);
        let _ = writeln!(
            s,
            "  fleet {:<21} {what} ({lo} to {hi} replicas over time)",
            pool.name
        );
    }
    if let Some(plan) = spec.epochs {
        let horizon = spec.horizon.map_or(0.0, |h| h.as_secs_f64());
        let n = plan.epochs(horizon).len();
        let _ = writeln!(
            s,
            "  epochs                      {n} over {:.0} days from {}: {} h simulated per {} d period (from {} h into it); runway target: SLO attainment >= {}",
            horizon / 86_400.0,
            spec.origin,
            plan.length_s / 3600.0,
            plan.every_s / 86_400.0,
            plan.offset_s / 3600.0,
            crate::metrics::horizon::HorizonAggregate::slo_target(spec)
                .map_or("- (no deadline)".to_string(), |t| t.to_string()),
        );
    }
    s
}
