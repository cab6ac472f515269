//! A long horizon integrated from its epochs (see `domain::epochs`; the method and its
//! measured error are in `docs/METRICS.md`, "Long horizons").
//!
//! Each epoch simulates a window of its period. What the period spent and served is:
//! - **time-driven spend** (capex, licences, rental, CPU servers, facility): exact over the
//!   period from the fleet plan (`economics::fixed_spend`), not from the simulation;
//! - **tasks, tokens, reviews, on-demand cloud rental**: the window's, times the demand ratio
//!   `w = expected arrivals(period) / expected arrivals(window)` (growth and daily/weekly
//!   shape included: a representative weekday stands for a week by its demand, not its
//!   length);
//! - **energy**: the idle part (every GPU and host idle, at the window's PUE) by the time
//!   ratio, the rest by the demand ratio; the energy bill in proportion, except that under
//!   a time-of-use tariff the idle part is billed at the tariff's prices over the period.
//!
//! Ratios (SLO attainment, latency percentiles) are the window's. Per replication `r`, the
//! horizon is the sum over epochs of replication `r`; means and 95 % half-widths are over
//! replications, as for a single run. `runway_days` is the start of the first epoch whose
//! SLO attainment (of any workflow, replications merged) is below the target.

use super::summary::{Aggregate, Obs};
use super::{LatencyHist, Metric, ReplicationResult, SummaryRow};
use crate::domain::economics::{
    ByComponent, COMPONENTS, Component, RunSpend, fixed_spend, run_spend,
};
use crate::domain::epochs::Epoch;
use crate::domain::{Scenario, WorkflowId};
use std::borrow::Cow;

/// µW·ns in one kWh.
const UW_NS_PER_KWH: f64 = 3.6e21;

/// Default SLO attainment target for `runway_days` when a workflow has a deadline and the
/// scenario sets no `slo_target`.
pub const DEFAULT_SLO_TARGET: f64 = 0.99;

/// Expected arrivals of every arrival process over `[from_s, to_s)` (seconds since the
/// calendar origin), up to a common factor: the demand the epochs are weighted by.
pub type DemandFn<'a> = dyn Fn(f64, f64) -> f64 + 'a;

/// Horizon sums of tasks and spend in one replication: of one workflow, or of all.
#[derive(Debug, Clone, Default)]
struct WfAcc {
    spend: ByComponent,
    started: f64,
    completed: f64,
    in_flight: f64,
    succeeded: f64,
    due: f64,
    latency: LatencyHist,
}

impl WfAcc {
    /// Adds a window's tasks of one workflow, scaled by the demand ratio `w`; tasks due count
    /// only with a deadline.
    fn add_tasks(&mut self, wr: &super::WorkflowResult, w: f64, has_deadline: bool) {
        self.started += wr.started as f64 * w;
        self.completed += wr.completed as f64 * w;
        self.in_flight += wr.in_flight_at_end as f64 * w;
        self.succeeded += wr.succeeded as f64 * w;
        self.latency.merge(&wr.latency);
        if has_deadline {
            self.due += (wr.completed + wr.overdue_in_flight) as f64 * w;
        }
    }

    /// The task rows of group `g`: latency, counts, SLO attainment.
    fn tasks_obs(&self, g: &str) -> Vec<(String, Metric, Obs<'_>)> {
        let slo = if self.due > 0.0 {
            self.succeeded / self.due
        } else {
            f64::NAN
        };
        [
            (
                Metric::TaskLatencyS,
                Obs::Dist(Cow::Borrowed(&self.latency)),
            ),
            (Metric::TasksStarted, Obs::Total(self.started)),
            (Metric::TasksCompleted, Obs::Total(self.completed)),
            (Metric::TasksInFlightAtEnd, Obs::Total(self.in_flight)),
            (Metric::TasksSucceeded, Obs::Total(self.succeeded)),
            (Metric::SloAttainment, Obs::Level(slo)),
        ]
        .into_iter()
        .map(|(m, o)| (g.to_string(), m, o))
        .collect()
    }
}

/// One replication's horizon sums.
#[derive(Debug, Clone, Default)]
struct RepAcc {
    /// Every workflow together.
    all: WfAcc,
    tokens: f64,
    facility_kwh: f64,
    it_kwh: f64,
    workflows: Vec<WfAcc>,
}

/// What one epoch showed: its dates and weights, and figures over its replications (spend
/// and counts for its whole period, ratios and percentiles of its window).
#[derive(Debug, Clone)]
pub struct EpochFigures {
    /// The epoch.
    pub epoch: Epoch,
    /// Local date and time of the window's start.
    pub date: jiff::civil::DateTime,
    /// Demand ratio period / window.
    pub demand_weight: f64,
    /// Replicas per GPU pool in the window.
    pub replicas: Vec<u32>,
    /// Spend of the period by component, mean over replications [USD].
    pub spend: ByComponent,
    /// Tasks started in the period (mean over replications).
    pub started: f64,
    /// Tasks succeeded in the period (mean over replications).
    pub succeeded: f64,
    /// Facility energy of the period [kWh] (mean over replications; 0 without a facility).
    pub facility_kwh: f64,
    /// SLO attainment of the window, all workflows with a deadline, replications merged.
    pub slo_attainment: Option<f64>,
    /// Per workflow (`Scenario::workflows` order).
    pub workflow_slo: Vec<Option<f64>>,
    /// p99 task latency of the window [s], all workflows, replications merged.
    pub task_latency_p99_s: Option<f64>,
    /// Per workflow.
    pub workflow_p99_s: Vec<Option<f64>>,
    /// Utilisation per GPU pool in the window (mean over replications; `None` without
    /// replicas).
    pub utilization: Vec<Option<f64>>,
    /// Peak site IT power in the window [kW] (largest over replications).
    pub peak_it_kw: Option<f64>,
    /// Site power cap [kW].
    pub cap_kw: Option<f64>,
}

impl EpochFigures {
    /// Cost per successful task of the period [USD].
    pub fn cost_per_successful_task(&self) -> Option<f64> {
        (self.succeeded > 0.0).then(|| RunSpend::sum(&self.spend) / self.succeeded)
    }
}

/// The horizon, built one epoch at a time (in epoch order).
pub struct HorizonAggregate {
    reps: Vec<RepAcc>,
    epochs: Vec<EpochFigures>,
    priced: bool,
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

/// Facility power of the site with every GPU and host idle [kW], IT side.
fn idle_it_kw(spec: &Scenario) -> f64 {
    let Some(f) = &spec.facility else {
        return 0.0;
    };
    spec.gpu_pools
        .iter()
        .zip(&f.pools)
        .map(|(p, place)| {
            place.servers.len() as f64
                * (place.host_idle_w + f64::from(place.gpus_per_server) * p.gpu.idle_w)
        })
        .sum::<f64>()
        / 1e3
}

impl HorizonAggregate {
    /// An empty horizon for `spec`'s replications and workflows.
    pub fn new(spec: &Scenario) -> Self {
        let rep = RepAcc {
            workflows: vec![WfAcc::default(); spec.workflows.len()],
            ..RepAcc::default()
        };
        HorizonAggregate {
            reps: vec![rep; spec.replications.max(1) as usize],
            epochs: Vec::new(),
            priced: super::economics::priced(spec),
        }
    }

    /// Adds epoch `e` of `base`, run as `spec` (its epoch scenario), with its replications'
    /// `results`; `demand` gives the expected arrivals over an interval.
    pub fn add_epoch(
        &mut self,
        base: &Scenario,
        e: &Epoch,
        spec: &Scenario,
        results: &[ReplicationResult],
        demand: &DemandFn<'_>,
    ) {
        let window_end = e.window_start_s + e.window_s;
        let d_window = demand(e.window_start_s, window_end);
        let w = if d_window > 0.0 {
            demand(e.period_start_s, e.period_end_s) / d_window
        } else {
            e.period_s() / e.window_s
        };
        let time_ratio = e.period_s() / e.window_s;
        let fixed = fixed_spend(base, e.period_start_s, e.period_end_s);
        let idle_kw = idle_it_kw(spec);
        let week_s = base.week_offset_s() as f64;
        let nw = spec.workflows.len();
        let n = results.len().max(1) as f64;

        let mut fig = EpochFigures {
            epoch: *e,
            date: spec.start.unwrap_or(base.origin),
            demand_weight: w,
            replicas: spec.gpu_pools.iter().map(|p| p.replicas).collect(),
            spend: [0.0; Component::COUNT],
            started: 0.0,
            succeeded: 0.0,
            facility_kwh: 0.0,
            slo_attainment: None,
            workflow_slo: vec![None; nw],
            task_latency_p99_s: None,
            workflow_p99_s: vec![None; nw],
            utilization: vec![None; spec.gpu_pools.len()],
            peak_it_kw: None,
            cap_kw: spec.facility.as_ref().and_then(|f| f.site.cap_kw),
        };
        let mut merged_all = LatencyHist::new();
        let mut merged_wf = vec![LatencyHist::new(); nw];
        let (mut succ_due, mut due_all) = (vec![(0u64, 0u64); nw], (0u64, 0u64));
        let mut util = vec![0.0; spec.gpu_pools.len()];

        for (ri, r) in results.iter().enumerate() {
            let s = run_spend(spec, r);
            // Energy of the period: idle part by time, the rest by demand.
            let (window_kwh, it_kwh) = r.facility.as_ref().map_or((0.0, 0.0), |f| {
                (
                    f.site.facility_integral as f64 / UW_NS_PER_KWH,
                    f.site.it_integral as f64 / UW_NS_PER_KWH,
                )
            });
            let pue = if it_kwh > 0.0 {
                window_kwh / it_kwh
            } else {
                1.0
            };
            let idle_kwh = (idle_kw * pue * e.window_s / 3600.0).min(window_kwh);
            let period_kwh = idle_kwh * time_ratio + (window_kwh - idle_kwh) * w;
            let energy_scale = if window_kwh > 0.0 {
                period_kwh / window_kwh
            } else {
                0.0
            };
            let period_it_kwh = it_kwh * energy_scale;
            let mut spend = fixed;
            spend[Component::Energy.index()] = match &base.cost.energy {
                // Time of use: the idle part at the tariff's prices over the period (the
                // window's price mix would bill nights and weekends at a weekday's), the
                // rest at what it cost in the window, by demand.
                Some(t) if !t.is_flat() && window_kwh > 0.0 => {
                    let idle_facility_kw = idle_kwh * 3600.0 / e.window_s;
                    let bill = |from_s: f64, to_s: f64| {
                        let ns = |x: f64| (x * 1e9).round() as u64;
                        idle_facility_kw / 3600.0
                            * t.price_integral(
                                ns(week_s + from_s),
                                ns(to_s).saturating_sub(ns(from_s)),
                            )
                    };
                    let idle_window = bill(e.window_start_s, window_end);
                    let rest = (s.total[Component::Energy.index()] - idle_window).max(0.0);
                    bill(e.period_start_s, e.period_end_s) + rest * w
                }
                _ => s.total[Component::Energy.index()] * energy_scale,
            };
            spend[Component::Human.index()] = s.total[Component::Human.index()] * w;
            // Cloud rented on demand follows the load (a pool rented for good is in
            // `fixed`).
            for (k, price) in spec.cost.gpu_pools.iter().enumerate() {
                if price.on_demand.is_some() {
                    spend[Component::Cloud.index()] += s.gpu_pools[k][Component::Cloud.index()] * w;
                }
            }

            let last = self.reps.len() - 1;
            let acc = &mut self.reps[ri.min(last)];
            for c in COMPONENTS {
                acc.all.spend[c.index()] += spend[c.index()];
                fig.spend[c.index()] += spend[c.index()] / n;
            }
            acc.facility_kwh += period_kwh;
            acc.it_kwh += period_it_kwh;
            fig.facility_kwh += period_kwh / n;
            let tokens: u64 = r
                .gpu_pools
                .iter()
                .map(|p| p.calls.input_tokens + p.calls.output_tokens)
                .sum();
            acc.tokens += tokens as f64 * w;
            for (k, wr) in r.workflows.iter().enumerate() {
                let due = wr.completed + wr.overdue_in_flight;
                let has_deadline = spec.workflows[k].deadline.is_some();
                let wf = &mut acc.workflows[k];
                // The window's allocation shares applied to the period's spend.
                for c in COMPONENTS {
                    let total = s.total[c.index()];
                    if total > 0.0 {
                        wf.spend[c.index()] += spend[c.index()] * s.workflows[k][c.index()] / total;
                    }
                }
                wf.add_tasks(wr, w, has_deadline);
                acc.all.add_tasks(wr, w, has_deadline);
                fig.started += wr.started as f64 * w / n;
                fig.succeeded += wr.succeeded as f64 * w / n;
                merged_all.merge(&wr.latency);
                merged_wf[k].merge(&wr.latency);
                if has_deadline {
                    succ_due[k].0 += wr.succeeded;
                    succ_due[k].1 += due;
                    due_all.0 += wr.succeeded;
                    due_all.1 += due;
                }
            }
            for (k, (p, pr)) in spec.gpu_pools.iter().zip(&r.gpu_pools).enumerate() {
                if p.replicas > 0 && r.end.0 > 0 {
                    util[k] +=
                        pr.busy_integral as f64 / (f64::from(p.replicas) * r.end.0 as f64) / n;
                }
            }
            if let Some(f) = &r.facility {
                let peak = f.site.peak_it_uw as f64 / 1e9;
                fig.peak_it_kw = Some(fig.peak_it_kw.map_or(peak, |p: f64| p.max(peak)));
            }
        }
        fig.slo_attainment = ratio(due_all.0 as f64, due_all.1 as f64);
        for k in 0..nw {
            fig.workflow_slo[k] = ratio(succ_due[k].0 as f64, succ_due[k].1 as f64);
            fig.workflow_p99_s[k] = merged_wf[k].quantile_s(0.99);
        }
        fig.task_latency_p99_s = merged_all.quantile_s(0.99);
        for (k, p) in spec.gpu_pools.iter().enumerate() {
            if p.replicas > 0 {
                fig.utilization[k] = Some(util[k]);
            }
        }
        self.epochs.push(fig);
    }

    /// The epochs added so far, in order.
    pub fn epochs(&self) -> &[EpochFigures] {
        &self.epochs
    }

    /// The SLO attainment target `runway_days` is measured against: the scenario's, else
    /// [`DEFAULT_SLO_TARGET`] when a workflow has a deadline; `None` otherwise.
    pub fn slo_target(spec: &Scenario) -> Option<f64> {
        spec.slo_target.or_else(|| {
            spec.workflows
                .iter()
                .any(|w| w.deadline.is_some())
                .then_some(DEFAULT_SLO_TARGET)
        })
    }

    /// Days from the start to the first epoch in which some workflow's SLO attainment (its
    /// replications merged) is below the target, and that epoch's index; the horizon's days and `None` when the SLO holds throughout.
    /// `None` altogether without a target.
    pub fn runway(&self, spec: &Scenario) -> Option<(f64, Option<u32>)> {
        let target = Self::slo_target(spec)?;
        let horizon_days = spec.horizon.map_or(0.0, |h| h.as_secs_f64() / 86_400.0);
        // The SLO breaks when any workflow with a deadline falls below the target.
        let worst = |f: &EpochFigures| f.workflow_slo.iter().flatten().copied().reduce(f64::min);
        Some(
            self.epochs
                .iter()
                .find(|f| worst(f).is_some_and(|a| a < target))
                .map_or((horizon_days, None), |f| {
                    (f.epoch.window_start_s / 86_400.0, Some(f.epoch.index))
                }),
        )
    }

    /// The horizon's `summary.csv` rows: spend and cost per successful task over the whole
    /// horizon, tasks, SLO attainment, latency over every simulated task, energy, runway.
    pub fn rows(&self, spec: &Scenario) -> Vec<SummaryRow> {
        self.aggregate(spec).rows()
    }

    /// The horizon as an [`Aggregate`] over replications: its `rows` are
    /// [`HorizonAggregate::rows`], its `distributions` the latency over every simulated task.
    pub fn aggregate(&self, spec: &Scenario) -> Aggregate {
        let mut agg = Aggregate::new();
        for acc in &self.reps {
            let mut obs: Vec<(String, Metric, Obs<'_>)> = Vec::new();
            let all = "all".to_string();
            let total = RunSpend::sum(&acc.all.spend);
            let per = |x: f64, n: f64| if n > 0.0 { x / n } else { f64::NAN };
            obs.extend(acc.all.tasks_obs(&all));
            if self.priced {
                obs.push((all.clone(), Metric::Spend(None), Obs::Total(total)));
                for c in COMPONENTS {
                    obs.push((
                        all.clone(),
                        Metric::Spend(Some(c)),
                        Obs::Total(acc.all.spend[c.index()]),
                    ));
                }
                obs.extend(
                    super::economics::per_success_obs(&acc.all.spend, acc.all.succeeded)
                        .into_iter()
                        .map(|(m, o)| (all.clone(), m, o)),
                );
                obs.push((
                    all.clone(),
                    Metric::CostPerMillionTokensUsd,
                    Obs::Level(per(total, acc.tokens / 1e6)),
                ));
            }
            if let Some((days, _)) = self.runway(spec) {
                obs.push((all.clone(), Metric::RunwayDays, Obs::Point(days)));
            }
            if spec.facility.is_some() {
                obs.push(("site".into(), Metric::EnergyKwh, Obs::Total(acc.it_kwh)));
                obs.push((
                    "site".into(),
                    Metric::FacilityEnergyKwh,
                    Obs::Total(acc.facility_kwh),
                ));
            }
            for (k, (wspec, wf)) in spec.workflows.iter().zip(&acc.workflows).enumerate() {
                if !spec.starts_tasks(WorkflowId(k as u32)) {
                    continue;
                }
                let g = format!("workflow:{}", wspec.name);
                obs.extend(wf.tasks_obs(&g));
                if self.priced {
                    let sum = RunSpend::sum(&wf.spend);
                    obs.push((g.clone(), Metric::Spend(None), Obs::Total(sum)));
                    obs.extend(
                        super::economics::per_success_obs(&wf.spend, wf.succeeded)
                            .into_iter()
                            .map(|(m, o)| (g.clone(), m, o)),
                    );
                    if let Some(b) = &wspec.baseline {
                        let cases = super::economics::Cases {
                            alloc: wf.spend,
                            ended: wf.completed,
                            succeeded: wf.succeeded,
                            latency_mean_s: wf.latency.mean_s(),
                            days: spec.horizon.map_or(0.0, |h| h.as_secs_f64() / 86_400.0),
                        };
                        obs.extend(
                            super::economics::baseline_obs(b, &cases)
                                .into_iter()
                                .map(|(m, o)| (g.clone(), m, o)),
                        );
                    }
                }
            }
            agg.add_observations(obs);
        }
        agg
    }
}

/// One calendar month of the horizon.
#[derive(Debug, Clone)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    /// Start and end of the month's part of the horizon [s since the origin].
    pub from_s: f64,
    /// End [s].
    pub to_s: f64,
    /// Spend by component [USD]: time-driven exactly over the month, energy and reviews
    /// from the epochs in proportion to their periods' overlap with the month.
    pub spend: ByComponent,
    /// Tasks started (from the epochs, by overlap).
    pub started: f64,
    /// Tasks succeeded (from the epochs, by overlap).
    pub succeeded: f64,
    /// Facility energy [kWh] (from the epochs, by overlap).
    pub facility_kwh: f64,
    /// Lowest SLO attainment of any workflow in the epochs whose window starts in the month.
    pub worst_slo: Option<f64>,
    /// Highest p99 task latency of those epochs [s].
    pub worst_p99_s: Option<f64>,
}

impl MonthFigures {
    /// Cost per successful task of the month [USD].
    pub fn cost_per_successful_task(&self) -> Option<f64> {
        (self.succeeded > 0.0).then(|| RunSpend::sum(&self.spend) / self.succeeded)
    }
}

impl HorizonAggregate {
    /// The horizon by calendar month (months of `spec.origin`'s calendar).
    pub fn months(&self, spec: &Scenario) -> Vec<MonthFigures> {
        let horizon = spec.horizon.map_or(0.0, |h| h.as_secs_f64());
        let mut out = Vec::new();
        let mut month = spec.origin.date().first_of_month();
        loop {
            let next = month
                .checked_add(jiff::Span::new().months(1))
                .unwrap_or(jiff::civil::Date::MAX);
            let secs = |d: jiff::civil::Date| {
                crate::domain::demand::seconds_between(spec.origin, d.at(0, 0, 0, 0))
            };
            let (from_s, to_s) = (secs(month).max(0.0), secs(next).min(horizon));
            if from_s >= horizon {
                break;
            }
            let mut spend = fixed_spend(spec, from_s, to_s);
            let (mut started, mut succeeded, mut kwh) = (0.0, 0.0, 0.0);
            let (mut worst_slo, mut worst_p99): (Option<f64>, Option<f64>) = (None, None);
            for f in &self.epochs {
                let e = &f.epoch;
                let overlap = (e.period_end_s.min(to_s) - e.period_start_s.max(from_s)).max(0.0);
                let share = overlap / e.period_s();
                for c in [Component::Energy, Component::Human] {
                    spend[c.index()] += f.spend[c.index()] * share;
                }
                started += f.started * share;
                succeeded += f.succeeded * share;
                kwh += f.facility_kwh * share;
                if e.window_start_s >= from_s && e.window_start_s < to_s {
                    // The worst workflow, as for the runway.
                    let worst = f.workflow_slo.iter().flatten().copied().reduce(f64::min);
                    if let Some(a) = worst {
                        worst_slo = Some(worst_slo.map_or(a, |w| w.min(a)));
                    }
                    if let Some(p) = f.task_latency_p99_s {
                        worst_p99 = Some(worst_p99.map_or(p, |w| w.max(p)));
                    }
                }
            }
            out.push(MonthFigures {
                month: format!("{:04}-{:02}", month.year(), month.month()),
                from_s,
                to_s,
                spend,
                started,
                succeeded,
                facility_kwh: kwh,
                worst_slo,
                worst_p99_s: worst_p99,
            });
            month = next;
        }
        out
    }
}

/// Stretches of months where the cost per successful task fell while total spend rose
/// (the unit-cost paradox): `(first month, last month)` indices of each run of such months.
pub fn paradox_runs(months: &[MonthFigures]) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for i in 1..months.len() {
        let (a, b) = (&months[i - 1], &months[i]);
        // A month of less than a week (at the horizon's ends) says little.
        if b.to_s - b.from_s < 7.0 * 86_400.0 || a.to_s - a.from_s < 7.0 * 86_400.0 {
            continue;
        }
        let falling = matches!(
            (a.cost_per_successful_task(), b.cost_per_successful_task()),
            (Some(x), Some(y)) if y < x
        );
        // Compare spend per day: a short last month is not a fall.
        let per_day = |m: &MonthFigures| RunSpend::sum(&m.spend) / (m.to_s - m.from_s).max(1.0);
        if falling && per_day(b) > per_day(a) {
            match runs.last_mut() {
                Some(r) if r.1 == i - 1 => r.1 = i,
                _ => runs.push((i - 1, i)),
            }
        }
    }
    runs
}
