//! Summary and time-series rows of the spend (see `domain::economics::spend` for how a run
//! is priced and allocated): totals by component, cost per successful task overall and per
//! workflow, cost per million tokens, spend per pool, and spend per window (and cumulative)
//! by component. Nothing is written when the scenario prices nothing.

use super::summary::{Obs, SeriesRow};
use super::{Metric, ReplicationResult, Series};
use crate::domain::economics::{
    ByComponent, COMPONENTS, Component, FacilityPrice, RunSpend, run_spend,
};
use crate::domain::{Baseline, Scenario, WorkflowId};

/// What a workflow's comparison with its baseline needs from a run (or a horizon).
#[derive(Debug, Clone, Copy)]
pub(super) struct Cases {
    /// Spend allocated to the workflow, by component [USD].
    pub alloc: ByComponent,
    /// Tasks that ended (succeeded or failed).
    pub ended: f64,
    /// Tasks that succeeded.
    pub succeeded: f64,
    /// Mean latency of the ended tasks [s].
    pub latency_mean_s: Option<f64>,
    /// Length of the run (or horizon) [days].
    pub days: f64,
}

/// The workflow against its baseline: cost per case both ways (a failed task falls back to
/// the baseline process and costs it too), savings, the break-even volume, cycle times.
pub(super) fn baseline_obs<'a>(b: &Baseline, c: &Cases) -> Vec<(Metric, Obs<'a>)> {
    let base = b.cost_per_case_usd();
    let per = |x: f64| if c.ended > 0.0 { x / c.ended } else { f64::NAN };
    let failed = (c.ended - c.succeeded).max(0.0);
    let fail_share = per(failed);
    let total = RunSpend::sum(&c.alloc);
    let ai = per(total + failed * base);
    let fixed: f64 = [
        Component::Capex,
        Component::Licence,
        Component::Facility,
        Component::Cloud,
        Component::Cpu,
    ]
    .iter()
    .map(|k| c.alloc[k.index()])
    .sum();
    let variable = per(total - fixed) + fail_share * base;
    let margin = base - variable;
    let break_even = if margin > 0.0 && c.days > 0.0 {
        fixed / c.days / margin
    } else {
        f64::NAN
    };
    let ai_cycle = c
        .latency_mean_s
        .map_or(f64::NAN, |m| m + fail_share * b.cycle_time_s);
    vec![
        (Metric::BaselineCostPerCaseUsd, Obs::Point(base)),
        (Metric::AiCostPerCaseUsd, Obs::Level(ai)),
        (Metric::SavingsPerCaseUsd, Obs::Level(base - ai)),
        (
            Metric::CasesPerDay,
            Obs::Level(if c.days > 0.0 {
                c.ended / c.days
            } else {
                f64::NAN
            }),
        ),
        (Metric::BreakEvenCasesPerDay, Obs::Level(break_even)),
        (Metric::BaselineCycleTimeS, Obs::Point(b.cycle_time_s)),
        (Metric::AiCycleTimeS, Obs::Level(ai_cycle)),
        (
            Metric::CycleTimeSavedS,
            Obs::Level(b.cycle_time_s - ai_cycle),
        ),
    ]
}

/// Whether the scenario prices anything (reviews included).
pub fn priced(spec: &Scenario) -> bool {
    spec.cost.any_price() || spec.human_pools.iter().any(|h| h.cost_per_review_usd > 0.0)
}

/// Cost per successful task in total and by component: `spend` over `succeeded` (empty
/// without a success).
pub(super) fn per_success_obs<'a>(spend: &ByComponent, succeeded: f64) -> Vec<(Metric, Obs<'a>)> {
    let per = |x: f64| {
        if succeeded > 0.0 {
            x / succeeded
        } else {
            f64::NAN
        }
    };
    std::iter::once((
        Metric::CostPerSuccessfulTask(None),
        Obs::Level(per(RunSpend::sum(spend))),
    ))
    .chain(COMPONENTS.iter().map(|&c| {
        (
            Metric::CostPerSuccessfulTask(Some(c)),
            Obs::Level(per(spend[c.index()])),
        )
    }))
    .collect()
}

/// The summary entries of the spend: `all`, each workflow, each pool.
pub(super) fn observations<'a>(
    spec: &Scenario,
    r: &'a ReplicationResult,
) -> Vec<(String, Metric, Obs<'a>)> {
    if !priced(spec) {
        return Vec::new();
    }
    let s = run_spend(spec, r);
    let mut out = Vec::new();
    let succeeded: u64 = r.workflows.iter().map(|w| w.succeeded).sum();
    let tokens: u64 = r
        .gpu_pools
        .iter()
        .map(|p| p.calls.input_tokens + p.calls.output_tokens)
        .sum();
    let all = "all".to_string();
    let total = RunSpend::sum(&s.total);
    out.push((all.clone(), Metric::Spend(None), Obs::Total(total)));
    for c in COMPONENTS {
        out.push((
            all.clone(),
            Metric::Spend(Some(c)),
            Obs::Total(s.total[c.index()]),
        ));
    }
    out.extend(
        per_success_obs(&s.total, succeeded as f64)
            .into_iter()
            .map(|(m, o)| (all.clone(), m, o)),
    );
    if tokens > 0 {
        out.push((
            all.clone(),
            Metric::CostPerMillionTokensUsd,
            Obs::Level(total / tokens as f64 * 1e6),
        ));
    }
    if spec.cost.facility != FacilityPrice::None {
        out.push((
            all,
            Metric::ProvisionedPowerKw,
            Obs::Point(spec.cost.provisioned_kw),
        ));
    }
    for (i, (w, wr)) in spec.workflows.iter().zip(&r.workflows).enumerate() {
        if !spec.starts_tasks(WorkflowId(i as u32)) {
            continue;
        }
        let g = format!("workflow:{}", w.name);
        let alloc = &s.workflows[i];
        let sum = RunSpend::sum(alloc);
        out.push((g.clone(), Metric::Spend(None), Obs::Total(sum)));
        out.extend(
            per_success_obs(alloc, wr.succeeded as f64)
                .into_iter()
                .map(|(m, o)| (g.clone(), m, o)),
        );
        if let Some(b) = &w.baseline {
            let cases = Cases {
                alloc: *alloc,
                ended: wr.completed as f64,
                succeeded: wr.succeeded as f64,
                latency_mean_s: wr.latency.mean_s(),
                days: r.end.as_secs_f64() / 86_400.0,
            };
            out.extend(
                baseline_obs(b, &cases)
                    .into_iter()
                    .map(|(m, o)| (g.clone(), m, o)),
            );
        }
    }
    let pools = spec
        .gpu_pools
        .iter()
        .map(|p| &p.name)
        .zip(s.gpu_pools.iter().map(RunSpend::sum))
        .chain(
            spec.cpu_pools
                .iter()
                .map(|p| &p.name)
                .zip(s.cpu_pools.iter().copied()),
        )
        .chain(
            spec.human_pools
                .iter()
                .map(|p| &p.name)
                .zip(s.human_pools.iter().copied()),
        );
    for (name, usd) in pools {
        out.push((format!("pool:{name}"), Metric::Spend(None), Obs::Total(usd)));
    }
    out
}

/// Appends the spend rows of one replication: per window and cumulative, in total (`all`)
/// and per component with any spend (`component:NAME`).
pub(super) fn series_rows(rows: &mut Vec<SeriesRow>, spec: &Scenario, r: &ReplicationResult) {
    if !priced(spec) {
        return;
    }
    let s = run_spend(spec, r);
    let mut groups: Vec<(String, Option<usize>)> = vec![("all".to_string(), None)];
    for c in COMPONENTS {
        if s.total[c.index()] != 0.0 {
            groups.push((format!("component:{}", c.name()), Some(c.index())));
        }
    }
    for (group, c) in groups {
        let mut cumulative = 0.0;
        for (k, w) in s.windows.iter().enumerate() {
            let value = c.map_or_else(|| RunSpend::sum(w), |c| w[c]);
            cumulative += value;
            let time_s = (spec.interval.0 as f64 * k as f64) / 1e9;
            for (series, value) in [
                (Series::SpendUsd, value),
                (Series::SpendCumulativeUsd, cumulative),
            ] {
                rows.push(SeriesRow {
                    replication: r.replication,
                    time_s,
                    series,
                    group: group.clone(),
                    value,
                });
            }
        }
    }
}
