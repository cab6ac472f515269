//! What one run spent: by component, per reporting window, per pool, and allocated to the
//! workflows.
//!
//! - Time-driven components (capex, licences, facility, cloud rental, CPU servers) accrue at
//!   a constant rate while the run lasts, busy or idle: `rate × window length` per window.
//! - Energy is the facility's energy (IT × PUE, fixed load included) billed at the price in
//!   force when it was drawn: the facility integrates its power separately per tariff band,
//!   so the bill is exact at band boundaries and does not depend on the window width.
//! - Human reviews cost their pool's price per review, counted when the review starts.
//!
//! **Allocation to workflows** (`cost_per_successful_task_usd` by workflow): each GPU pool's
//! capex, licences and rental go to the workflows in proportion to the GPU-seconds their
//! LLM calls used on it (each call's share of its replica's busy time × GPUs); the
//! facility and energy bills are first split over the GPU pools by nameplate GPU power
//! (GPUs × TDP), then the same way; a CPU pool's cost by its CPU-seconds; a review at its
//! pool's price to the workflow that asked for it. Work is attributed when it is done,
//! tasks still in flight at the end included, so idle time is carried by the work in
//! proportion. Cost of a pool no workflow used in the run stays unallocated: it is in the
//! totals (`all`), not in any workflow.

use super::component::{COMPONENTS, Component};
use crate::domain::Scenario;
use crate::metrics::ReplicationResult;
use crate::metrics::window_len;

/// µW·ns in one kWh.
pub const UW_NS_PER_KWH: f64 = 3.6e21;

/// Amounts by component [USD], indexed by [`Component::index`].
pub type ByComponent = [f64; Component::COUNT];

/// One run's spend.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpend {
    /// Over the run, by component [USD].
    pub total: ByComponent,
    /// Per reporting window, by component [USD]; empty when the windows were truncated.
    pub windows: Vec<ByComponent>,
    /// Per GPU pool (`Scenario::gpu_pools` order), by component [USD]; facility and energy
    /// by its share of the nameplate GPU power.
    pub gpu_pools: Vec<ByComponent>,
    /// Per CPU pool [USD].
    pub cpu_pools: Vec<f64>,
    /// Per human pool [USD].
    pub human_pools: Vec<f64>,
    /// Allocated to each workflow (`Scenario::workflows` order), by component [USD].
    pub workflows: Vec<ByComponent>,
    /// Facility energy [kWh] billed (0 without a facility or an energy price).
    pub energy_kwh: f64,
}

impl RunSpend {
    /// Sum over components [USD].
    pub fn sum(x: &ByComponent) -> f64 {
        x.iter().sum()
    }
}

/// Prices run `r` of scenario `spec`.
pub fn run_spend(spec: &Scenario, r: &ReplicationResult) -> RunSpend {
    let prices = &spec.cost;
    let end = r.end;
    let t_s = end.as_secs_f64();
    let n_windows = if r.timeseries_truncated || spec.interval.0 == 0 {
        0
    } else {
        end.0.div_ceil(spec.interval.0) as usize
    };
    let len_s = |k: usize| window_len(k, spec.interval, end) as f64 * 1e-9;
    let mut windows = vec![[0.0; Component::COUNT]; n_windows];
    let mut total = [0.0; Component::COUNT];
    let mut accrue = |c: Component, rate: f64, into: &mut ByComponent| {
        let amount = rate * t_s;
        into[c.index()] += amount;
        total[c.index()] += amount;
        if rate != 0.0 {
            for (k, w) in windows.iter_mut().enumerate() {
                w[c.index()] += rate * len_s(k);
            }
        }
    };

    // GPU pools: capex, licences, rental.
    let mut gpu_pools = vec![[0.0; Component::COUNT]; spec.gpu_pools.len()];
    for (p, pool) in spec.gpu_pools.iter().enumerate() {
        let gpus = u64::from(pool.replicas) * u64::from(pool.tensor_parallel);
        let (capex, licence, cloud) = prices.gpu_pools[p].rates_usd_per_s(gpus);
        accrue(Component::Capex, capex, &mut gpu_pools[p]);
        accrue(Component::Licence, licence, &mut gpu_pools[p]);
        accrue(Component::Cloud, cloud, &mut gpu_pools[p]);
    }
    // CPU pools.
    let mut cpu_pools = vec![0.0; spec.cpu_pools.len()];
    for (q, pool) in spec.cpu_pools.iter().enumerate() {
        let rate = f64::from(pool.servers) * prices.cpu_usd_per_server_hour[q] / 3600.0;
        let mut by = [0.0; Component::COUNT];
        accrue(Component::Cpu, rate, &mut by);
        cpu_pools[q] = by[Component::Cpu.index()];
    }
    // Facility and energy: split over the GPU pools on the site by nameplate GPU power (a
    // rented pool off-site draws none of it).
    let off_site = |p: usize| {
        spec.facility
            .as_ref()
            .and_then(|f| f.pools.get(p))
            .is_some_and(|pl| pl.off_site)
    };
    let nameplate: Vec<f64> = spec
        .gpu_pools
        .iter()
        .enumerate()
        .map(|(k, p)| {
            if off_site(k) {
                0.0
            } else {
                f64::from(p.replicas) * f64::from(p.tensor_parallel) * p.gpu.tdp_w
            }
        })
        .collect();
    let nameplate_sum: f64 = nameplate.iter().sum();
    let share = |p: usize| {
        if nameplate_sum > 0.0 {
            nameplate[p] / nameplate_sum
        } else {
            0.0
        }
    };
    let mut site = [0.0; Component::COUNT];
    accrue(Component::Facility, prices.facility_usd_per_s(), &mut site);
    // On-demand cloud pools: billed by the replica-time rented.
    for (p, pool) in spec.gpu_pools.iter().enumerate() {
        let price = &prices.gpu_pools[p];
        if price.on_demand.is_none() {
            continue;
        }
        let usd_per_replica_ns =
            f64::from(pool.tensor_parallel) * price.cloud_usd_per_gpu_hour / 3.6e12;
        let res = &r.gpu_pools[p];
        let usd = res.rented_integral as f64 * usd_per_replica_ns;
        gpu_pools[p][Component::Cloud.index()] += usd;
        total[Component::Cloud.index()] += usd;
        for (k, a) in res.rented_windows.iter().enumerate().take(n_windows) {
            windows[k][Component::Cloud.index()] += *a as f64 * usd_per_replica_ns;
        }
    }
    let mut energy_kwh = 0.0;
    if let (Some(tariff), Some(f)) = (&prices.energy, &r.facility) {
        for (band, price) in f.billed.iter().zip(tariff.prices()) {
            let kwh = band.integral as f64 / UW_NS_PER_KWH;
            energy_kwh += kwh;
            site[Component::Energy.index()] += kwh * price;
            for (k, w) in band.windows.iter().enumerate().take(n_windows) {
                windows[k][Component::Energy.index()] += *w as f64 / UW_NS_PER_KWH * price;
            }
        }
        total[Component::Energy.index()] = site[Component::Energy.index()];
    }
    for (p, by) in gpu_pools.iter_mut().enumerate() {
        for c in [Component::Facility, Component::Energy] {
            by[c.index()] += site[c.index()] * share(p);
        }
    }
    // Human reviews, priced when they start.
    let mut human_pools = vec![0.0; spec.human_pools.len()];
    for (h, (pool, res)) in spec.human_pools.iter().zip(&r.human_pools).enumerate() {
        let price = pool.cost_per_review_usd;
        human_pools[h] = res.started as f64 * price;
        total[Component::Human.index()] += human_pools[h];
        for (k, n) in res.started_windows.iter().enumerate().take(n_windows) {
            windows[k][Component::Human.index()] += *n as f64 * price;
        }
    }

    // Allocation by the work each workflow's calls, jobs and reviews did.
    let mut workflows = vec![[0.0; Component::COUNT]; spec.workflows.len()];
    for (p, by) in gpu_pools.iter().enumerate() {
        let used: f64 = r.workflows.iter().map(|w| w.work.gpu_s[p]).sum();
        if used > 0.0 {
            for (w, wr) in r.workflows.iter().enumerate() {
                let f = wr.work.gpu_s[p] / used;
                for c in COMPONENTS {
                    workflows[w][c.index()] += by[c.index()] * f;
                }
            }
        }
    }
    for (q, cost) in cpu_pools.iter().enumerate() {
        let used: f64 = r.workflows.iter().map(|w| w.work.cpu_s[q]).sum();
        if used > 0.0 {
            for (w, wr) in r.workflows.iter().enumerate() {
                workflows[w][Component::Cpu.index()] += cost * wr.work.cpu_s[q] / used;
            }
        }
    }
    for (h, pool) in spec.human_pools.iter().enumerate() {
        for (w, wr) in r.workflows.iter().enumerate() {
            workflows[w][Component::Human.index()] +=
                wr.work.reviews[h] as f64 * pool.cost_per_review_usd;
        }
    }
    RunSpend {
        total,
        windows,
        gpu_pools,
        cpu_pools,
        human_pools,
        workflows,
        energy_kwh,
    }
}

/// The time-driven spend of the scenario's fleet over `[from_s, to_s)` (seconds since the
/// calendar origin): capex, licences and rental of each GPU pool as its replicas change
/// (`Scenario::fleet`, exact over each constant stretch), CPU servers and the facility.
/// Energy and reviews depend on the load: they come from simulation.
pub fn fixed_spend(spec: &Scenario, from_s: f64, to_s: f64) -> ByComponent {
    let mut out = [0.0; Component::COUNT];
    let prices = &spec.cost;
    for (k, pool) in spec.gpu_pools.iter().enumerate() {
        for (replicas, dt) in spec.fleet.segments(k, from_s, to_s) {
            let gpus = u64::from(replicas) * u64::from(pool.tensor_parallel);
            let (capex, licence, cloud) = prices.gpu_pools[k].rates_usd_per_s(gpus);
            out[Component::Capex.index()] += capex * dt;
            out[Component::Licence.index()] += licence * dt;
            out[Component::Cloud.index()] += cloud * dt;
        }
    }
    let dt = (to_s - from_s).max(0.0);
    for (pool, price) in spec.cpu_pools.iter().zip(&prices.cpu_usd_per_server_hour) {
        out[Component::Cpu.index()] += f64::from(pool.servers) * price / 3600.0 * dt;
    }
    out[Component::Facility.index()] += prices.facility_usd_per_s() * dt;
    out
}
