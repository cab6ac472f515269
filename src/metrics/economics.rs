//! Summary and time-series rows of the spend (see `domain::economics::spend` for how a run
//! is priced and allocated): totals by component, cost per successful task overall and per
//! workflow, cost per million tokens, spend per pool, and spend per window (and cumulative)
//! by component. Nothing is written when the scenario prices nothing.

use super::summary::{Obs, SeriesRow};
use super::{Metric, ReplicationResult, Series};
use crate::domain::economics::{COMPONENTS, FacilityPrice, RunSpend, run_spend};
use crate::domain::{Scenario, WorkflowId};

/// Whether the scenario prices anything (reviews included).
pub fn priced(spec: &Scenario) -> bool {
    spec.cost.any_price() || spec.human_pools.iter().any(|h| h.cost_per_review_usd > 0.0)
}

fn per(x: f64, n: u64) -> f64 {
    if n > 0 { x / n as f64 } else { f64::NAN }
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
    out.push((
        all.clone(),
        Metric::CostPerSuccessfulTask(None),
        Obs::Level(per(total, succeeded)),
    ));
    for c in COMPONENTS {
        out.push((
            all.clone(),
            Metric::CostPerSuccessfulTask(Some(c)),
            Obs::Level(per(s.total[c.index()], succeeded)),
        ));
    }
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
        out.push((
            g.clone(),
            Metric::CostPerSuccessfulTask(None),
            Obs::Level(per(sum, wr.succeeded)),
        ));
        for c in COMPONENTS {
            out.push((
                g.clone(),
                Metric::CostPerSuccessfulTask(Some(c)),
                Obs::Level(per(alloc[c.index()], wr.succeeded)),
            ));
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
