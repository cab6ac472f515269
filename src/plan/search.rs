//! The planner's search (see the module docs of [`crate::plan`]).

use crate::domain::Scenario;
use crate::domain::epochs::Epoch;
use crate::domain::planner::{Op, PlanSpec, PoolKind, Target};
use crate::metrics::{Aggregate, Selector, SummaryRow};
use crate::run::epochs::epoch_scenario;
use crate::run::{NoProgress, RunError, run_replication, thread_pool};
use crate::scenario::{Override, load_sized, load_with};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One date the planner sizes the fleet for.
#[derive(Debug, Clone)]
pub struct PlanDate {
    /// `YYYY-MM-DD` of the epoch window's start (the scenario's start without epochs).
    pub label: String,
    /// Seconds since the origin of the window's start.
    pub t_s: f64,
    /// The epoch (`None`: the scenario is one run).
    pub epoch: Option<Epoch>,
}

/// The dates to plan: every epoch at least `every_s` after the last planned one (every
/// epoch without `every_s`), or the one run of a scenario without `[epochs]`.
pub fn plan_dates(spec: &Scenario) -> Vec<PlanDate> {
    let label = |t_s: f64| {
        let shift = jiff::SignedDuration::from_nanos((t_s * 1e9).round() as i64);
        spec.origin
            .checked_add(shift)
            .map_or_else(|_| String::new(), |d| d.date().to_string())
    };
    let Some(plan) = spec.epochs else {
        return vec![PlanDate {
            label: label(0.0),
            t_s: 0.0,
            epoch: None,
        }];
    };
    let every = spec.plan.as_ref().and_then(|p| p.every_s).unwrap_or(0.0);
    let mut out: Vec<PlanDate> = Vec::new();
    for e in plan.epochs(spec.horizon.map_or(0.0, |h| h.as_secs_f64())) {
        if out
            .last()
            .is_none_or(|l| e.window_start_s >= l.t_s + every - 1e-6)
        {
            out.push(PlanDate {
                label: label(e.window_start_s),
                t_s: e.window_start_s,
                epoch: Some(e),
            });
        }
    }
    out
}

/// One target's outcome for a fleet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetCheck {
    /// The target.
    pub target: Target,
    /// The estimate (`None`: no observation, which misses the target).
    pub value: Option<f64>,
    /// Its 95 % CI half-width (`None`: fewer than 2 replications).
    pub ci95_half_width: Option<f64>,
    /// Met (by the CI, or by the estimate when within noise).
    pub met: bool,
    /// The CI straddled the limit at the most replications: decided on the estimate.
    pub within_noise: bool,
}

/// One fleet run at one date.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    /// Units per sized pool, in `[plan]` pool order.
    pub counts: Vec<u32>,
    /// Replications run.
    pub replications: u32,
    /// Every target's outcome (empty when the fleet does not fit).
    pub checks: Vec<TargetCheck>,
    /// Why the fleet could not be built (racks full…), as the scenario check says.
    pub does_not_fit: Option<String>,
    /// `all spend_usd total` [USD] over the simulated window.
    pub spend_usd: Option<f64>,
    /// Units per pool times their spend per unit, for ordering the pools: `pool:NAME
    /// spend_usd total` divided by units.
    pub spend_per_unit: Vec<f64>,
    /// `all tasks_started total` per simulated second: the demand of the date.
    pub tasks_per_s: Option<f64>,
    /// Per sized pool: GPUs (replicas × tensor parallel; 0 for CPU and human pools).
    pub gpus: Vec<u64>,
    /// Per sized pool: the purchase price of its GPUs and servers at this count [USD]
    /// (`[cost.gpu_pool.NAME]`; 0 for CPU and human pools).
    pub capex_usd: Vec<f64>,
    /// Per sized pool: its GPU type (empty for CPU and human pools).
    pub gpu_type: Vec<String>,
}

impl Evaluation {
    /// Whether every target is met.
    pub fn meets(&self) -> bool {
        self.does_not_fit.is_none() && self.checks.iter().all(|c| c.met)
    }

    /// Whether some target was decided on the estimate alone.
    pub fn within_noise(&self) -> bool {
        self.checks.iter().any(|c| c.within_noise)
    }

    /// The first missed target, in words.
    pub fn missed(&self) -> Option<String> {
        if let Some(m) = &self.does_not_fit {
            return Some(format!("does not fit: {m}"));
        }
        self.checks.iter().find(|c| !c.met).map(|c| {
            format!(
                "{} (reached {})",
                c.target.text(),
                c.value.map_or("no observation".into(), |v| format!("{v}"))
            )
        })
    }
}

/// The plan of one option: per date its chosen fleet's evaluation, and every fleet tried.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OptionPlan {
    /// Index of the option in `[plan]` order (the scenario as written first).
    pub index: usize,
    /// Option name.
    pub option: String,
    /// Per date: the smallest fleet that meets the targets (`None`: none within bounds).
    pub chosen: Vec<Option<Evaluation>>,
    /// Per date: the largest fleet's evaluation when none meets (the best reached).
    pub best: Vec<Option<Evaluation>>,
    /// Per date: no fleet meets and growing stopped below the bounds because no larger
    /// fleet fits the racks.
    pub limited_by_racks: Vec<bool>,
    /// Every fleet run, in the order run: `(date index, evaluation)`.
    pub tried: Vec<(usize, Evaluation)>,
}

/// Why planning failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The scenario has no `[plan]`, an option's changes are wrong, or a target names no
    /// row of `summary.csv`.
    #[error("{0}")]
    Input(String),
    /// A simulation failed.
    #[error("{what}: {cause}")]
    Run {
        /// Which fleet.
        what: String,
        /// The failure.
        cause: RunError,
    },
}

/// The planner of one scenario file.
pub struct Planner {
    /// The scenario file.
    pub file: PathBuf,
    /// `--set` changes applied before an option's.
    pub sets: Vec<Override>,
    /// The scenario as loaded (with `sets`): its plan, dates and replications.
    pub base: Scenario,
    /// The `[plan]` section.
    pub plan: PlanSpec,
    /// The dates.
    pub dates: Vec<PlanDate>,
    /// Worker threads for a fleet's replications.
    pub threads: Option<usize>,
}

/// Replications of `spec` from `from` to `to`, folded into `agg`.
fn run_more(
    spec: &Scenario,
    agg: &mut Aggregate,
    from: u32,
    to: u32,
    pool: &rayon::ThreadPool,
) -> Result<(), RunError> {
    let results: Result<Vec<_>, RunError> = pool.install(|| {
        (from..to)
            .into_par_iter()
            .map(|r| {
                run_replication(spec, r, &NoProgress).map_err(|cause| RunError::Simulation {
                    replication: r,
                    cause,
                })
            })
            .collect()
    });
    for r in results? {
        agg.add(spec, &r);
    }
    Ok(())
}

fn find(rows: &[SummaryRow], s: &Selector) -> Option<(Option<f64>, Option<f64>)> {
    rows.iter()
        .find(|r| s.matches(&r.group, r.metric.name(), r.stat))
        .map(|r| (r.value, r.ci95_half_width))
}

impl Planner {
    /// A planner for `file` with `sets`, `seed` and `replications` overriding the file's.
    ///
    /// # Errors
    /// [`PlanError::Input`] when the scenario does not load, has no `[plan]`, or an
    /// option's changes do not load.
    pub fn new(
        file: &Path,
        sets: &[Override],
        seed: Option<u64>,
        replications: Option<u32>,
        threads: Option<usize>,
    ) -> Result<Planner, PlanError> {
        let mut base = load_with(file, sets).map_err(|e| PlanError::Input(e.to_string()))?;
        let Some(plan) = base.plan.clone() else {
            return Err(PlanError::Input(format!(
                "{}: no [plan] section: add the targets and the pools to size, e.g.\n\n\
                 [plan]\ntargets = [\"slo_attainment >= 0.99\", \"ttft_s p99 <= 2\"]\n\n\
                 [plan.pool.NAME]\nmax = 64\n",
                file.display()
            )));
        };
        if let Some(s) = seed {
            base.seed = s;
        }
        if let Some(r) = replications {
            base.replications = r;
        }
        let dates = plan_dates(&base);
        let planner = Planner {
            file: file.to_path_buf(),
            sets: sets.to_vec(),
            base,
            plan,
            dates,
            threads,
        };
        // Every option must load as written (a typo in its changes is the user's to fix,
        // not a fleet that "does not fit").
        for o in &planner.plan.options {
            let mut all = planner.sets.clone();
            all.extend(o.set.iter().cloned());
            load_with(file, &all)
                .map_err(|e| PlanError::Input(format!("plan option {:?}: {e}", o.name)))?;
        }
        Ok(planner)
    }

    /// The scenario's own units of each sized pool at date `d`.
    pub fn scenario_counts(&self, d: &PlanDate) -> Vec<u32> {
        self.plan
            .pools
            .iter()
            .map(|p| match p.kind {
                PoolKind::Gpu => {
                    let k = self
                        .base
                        .gpu_pools
                        .iter()
                        .position(|g| g.name == p.name)
                        .unwrap_or(0);
                    self.base.fleet.replicas_at(k, d.t_s)
                }
                PoolKind::Cpu => self
                    .base
                    .cpu_pools
                    .iter()
                    .find(|c| c.name == p.name)
                    .map_or(0, |c| c.servers),
                PoolKind::Human => self
                    .base
                    .human_pools
                    .iter()
                    .find(|c| c.name == p.name)
                    .map_or(0, |c| c.reviewers),
            })
            .collect()
    }

    /// The scenario of option `o` at date `d` with `counts`: the sized pools fixed at their
    /// counts for the whole horizon (their `[[fleet]]` changes dropped), then the epoch's
    /// window. `Err` carries the scenario check's message (racks too small…).
    fn scenario(&self, o: usize, d: &PlanDate, counts: &[u32]) -> Result<Scenario, String> {
        let mut all = self.sets.clone();
        all.extend(self.plan.options[o].set.iter().cloned());
        for (p, &n) in self.plan.pools.iter().zip(counts) {
            all.push(Override {
                path: p.path(),
                value: n.to_string(),
            });
        }
        let sized: Vec<String> = self
            .plan
            .pools
            .iter()
            .filter(|p| p.kind == PoolKind::Gpu)
            .map(|p| p.name.clone())
            .collect();
        let mut s = load_sized(&self.file, &all, &sized).map_err(|e| {
            e.problems
                .first()
                .map_or_else(|| e.to_string(), |p| p.to_string())
        })?;
        s.seed = self.base.seed;
        s.replications = self.base.replications;
        Ok(match &d.epoch {
            Some(e) => epoch_scenario(&s, e),
            None => s,
        })
    }

    /// Runs option `o` at date `d` with `counts` and checks the targets, adding
    /// replications while a target is met only within noise.
    ///
    /// # Errors
    /// [`PlanError::Input`] for a target no row matches; [`PlanError::Run`] when a
    /// simulation fails.
    pub fn evaluate(
        &self,
        o: usize,
        d: &PlanDate,
        counts: &[u32],
    ) -> Result<Evaluation, PlanError> {
        let mut ev = Evaluation {
            counts: counts.to_vec(),
            replications: 0,
            checks: Vec::new(),
            does_not_fit: None,
            spend_usd: None,
            spend_per_unit: vec![0.0; counts.len()],
            tasks_per_s: None,
            gpus: vec![0; counts.len()],
            capex_usd: vec![0.0; counts.len()],
            gpu_type: vec![String::new(); counts.len()],
        };
        let spec = match self.scenario(o, d, counts) {
            Ok(s) => s,
            Err(m) => {
                ev.does_not_fit = Some(m);
                return Ok(ev);
            }
        };
        for (i, p) in self.plan.pools.iter().enumerate() {
            if let Some(k) = spec.gpu_pools.iter().position(|g| g.name == p.name) {
                let g = &spec.gpu_pools[k];
                ev.gpus[i] = u64::from(counts[i]) * u64::from(g.tensor_parallel);
                ev.gpu_type[i].clone_from(&g.gpu_name);
                ev.capex_usd[i] = spec
                    .cost
                    .gpu_pools
                    .get(k)
                    .map_or(0.0, |c| c.capex_usd(ev.gpus[i]));
            }
        }
        let pool = thread_pool(self.threads).map_err(|cause| PlanError::Run {
            what: "the planner".into(),
            cause,
        })?;
        let what = || {
            let c: Vec<String> = self
                .plan
                .pools
                .iter()
                .zip(counts)
                .map(|(p, n)| format!("{}={n}", p.name))
                .collect();
            format!(
                "option {:?} at {} with {}",
                self.plan.options[o].name,
                d.label,
                c.join(", ")
            )
        };
        let mut agg = Aggregate::new();
        let mut reps = spec.replications.max(1);
        run_more(&spec, &mut agg, 0, reps, &pool).map_err(|cause| PlanError::Run {
            what: what(),
            cause,
        })?;
        loop {
            let rows = agg.rows();
            let (checks, undecided) = self.check(&rows)?;
            let cap = self.plan.max_replications.max(spec.replications);
            if undecided && reps < cap {
                let more = (reps * 2).min(cap);
                run_more(&spec, &mut agg, reps, more, &pool).map_err(|cause| PlanError::Run {
                    what: what(),
                    cause,
                })?;
                reps = more;
                continue;
            }
            ev.checks = checks;
            ev.replications = reps;
            let all = |m: &str, st: &str| {
                find(
                    &rows,
                    &Selector {
                        group: "all".into(),
                        metric: m.into(),
                        stat: st.into(),
                    },
                )
                .and_then(|v| v.0)
            };
            ev.spend_usd = all("spend_usd", "total");
            // Both are per-replication totals averaged over the replications.
            let sim_s = all("simulated_time_s", "total").filter(|s| *s > 0.0);
            ev.tasks_per_s = all("tasks_started", "total").zip(sim_s).map(|(n, s)| n / s);
            for (i, (p, &n)) in self.plan.pools.iter().zip(counts).enumerate() {
                let sel = Selector {
                    group: format!("pool:{}", p.name),
                    metric: "spend_usd".into(),
                    stat: "total".into(),
                };
                let spend = find(&rows, &sel).and_then(|v| v.0).unwrap_or(0.0);
                ev.spend_per_unit[i] = if n > 0 { spend / f64::from(n) } else { 0.0 };
            }
            return Ok(ev);
        }
    }

    /// The targets (with the power and cooling ones) checked on `rows`; whether one is
    /// undecided (its CI straddles the limit).
    fn check(&self, rows: &[SummaryRow]) -> Result<(Vec<TargetCheck>, bool), PlanError> {
        let mut targets = self.plan.targets.clone();
        if self.plan.power_within_caps {
            for r in rows.iter().filter(|r| {
                (r.group == "site" || r.group.starts_with("rack:"))
                    && r.stat == "total"
                    && matches!(r.metric.name(), "power_capped_s" | "over_cooling_limit_s")
            }) {
                targets.push(Target {
                    sel: Selector {
                        group: r.group.clone(),
                        metric: r.metric.name().into(),
                        stat: "total".into(),
                    },
                    op: Op::AtMost,
                    limit: 0.0,
                });
            }
        }
        let mut undecided = false;
        let mut out = Vec::with_capacity(targets.len());
        for t in targets {
            let Some((value, hw)) = find(rows, &t.sel) else {
                return Err(PlanError::Input(format!(
                    "plan target `{}`: {}",
                    t.text(),
                    t.sel.not_found(rows.iter().map(|r| (
                        r.group.as_str(),
                        r.metric.name(),
                        r.stat
                    )))
                )));
            };
            let (met, unclear) = match (value, hw) {
                (None, _) => (false, false),
                // One replication has no CI: not decided until more run.
                (Some(v), None) => (t.met_by(v), true),
                (Some(v), Some(h)) => {
                    let (lo, hi) = (v - h, v + h);
                    let clear_pass = match t.op {
                        Op::AtMost => hi <= t.limit,
                        Op::AtLeast => lo >= t.limit,
                    };
                    let clear_fail = match t.op {
                        Op::AtMost => lo > t.limit,
                        Op::AtLeast => hi < t.limit,
                    };
                    (t.met_by(v), !clear_pass && !clear_fail)
                }
            };
            undecided |= unclear;
            out.push(TargetCheck {
                target: t,
                value,
                ci95_half_width: hw,
                met,
                within_noise: unclear,
            });
        }
        Ok((out, undecided))
    }

    /// Plans option `o` over every date.
    ///
    /// # Errors
    /// As [`Planner::evaluate`].
    pub fn plan_option(&self, o: usize, progress: &dyn Fn(&str)) -> Result<OptionPlan, PlanError> {
        let mut out = OptionPlan {
            index: o,
            option: self.plan.options[o].name.clone(),
            chosen: Vec::with_capacity(self.dates.len()),
            best: Vec::with_capacity(self.dates.len()),
            limited_by_racks: Vec::with_capacity(self.dates.len()),
            tried: Vec::new(),
        };
        let lo: Vec<u32> = self.plan.pools.iter().map(|p| p.min).collect();
        let hi: Vec<u32> = self.plan.pools.iter().map(|p| p.max).collect();
        let mut prev: Option<Vec<u32>> = None;
        for (di, d) in self.dates.iter().enumerate() {
            let start: Vec<u32> = prev
                .clone()
                .unwrap_or_else(|| self.scenario_counts(d))
                .iter()
                .zip(lo.iter().zip(&hi))
                .map(|(&n, (&a, &b))| n.clamp(a, b))
                .collect();
            let mut memo: HashMap<Vec<u32>, Evaluation> = HashMap::new();
            let eval = |x: &[u32],
                        memo: &mut HashMap<Vec<u32>, Evaluation>,
                        out: &mut OptionPlan|
             -> Result<bool, PlanError> {
                if let Some(e) = memo.get(x) {
                    return Ok(e.meets());
                }
                let e = self.evaluate(o, d, x)?;
                let ok = e.meets();
                out.tried.push((di, e.clone()));
                memo.insert(x.to_vec(), e);
                Ok(ok)
            };
            // 1. A fleet that meets the targets: grow from the start.
            let mut x = start;
            let mut found = eval(&x, &mut memo, &mut out)?;
            while !found && x != hi {
                let mut next: Vec<u32> = x
                    .iter()
                    .zip(&hi)
                    .map(|(&n, &m)| (n.saturating_mul(2)).max(n + 1).min(m))
                    .collect();
                found = eval(&next, &mut memo, &mut out)?;
                // A fleet that does not fit (racks full): back off halfway, until one fits
                // or no step is left.
                let fits = |m: &HashMap<Vec<u32>, Evaluation>, y: &Vec<u32>| {
                    m.get(y).is_none_or(|e| e.does_not_fit.is_none())
                };
                while !found && !fits(&memo, &next) {
                    let half: Vec<u32> = x
                        .iter()
                        .zip(&next)
                        .map(|(&a, &b)| a + (b - a) / 2)
                        .collect();
                    if half == x {
                        break;
                    }
                    next = half;
                    found = eval(&next, &mut memo, &mut out)?;
                }
                if !fits(&memo, &next) {
                    // Growing every pool at once does not fit: grow one pool at a time (by
                    // one unit), the first that fits.
                    let mut grown = None;
                    for p in 0..x.len() {
                        if x[p] >= hi[p] {
                            continue;
                        }
                        let mut y = x.clone();
                        y[p] += 1;
                        found = eval(&y, &mut memo, &mut out)?;
                        if fits(&memo, &y) {
                            grown = Some(y);
                            break;
                        }
                    }
                    match grown {
                        Some(y) => next = y,
                        None => break,
                    }
                }
                x = next;
            }
            if !found {
                out.chosen.push(None);
                out.best.push(memo.get(&x).cloned());
                out.limited_by_racks.push(x != hi);
                progress(&format!(
                    "{} {}: no fleet within bounds meets the targets",
                    out.option, d.label
                ));
                continue;
            }
            // 2. Shrink each pool, the most expensive unit first.
            let per_unit = memo
                .get(&x)
                .map(|e| e.spend_per_unit.clone())
                .unwrap_or_default();
            let mut order: Vec<usize> = (0..x.len()).collect();
            order.sort_by(|&a, &b| {
                per_unit
                    .get(b)
                    .unwrap_or(&0.0)
                    .total_cmp(per_unit.get(a).unwrap_or(&0.0))
                    .then(a.cmp(&b))
            });
            loop {
                let mut changed = false;
                for &p in &order {
                    // Gallop down from the feasible x[p] to the first failure, then bisect.
                    let (mut ok_at, mut fail_below) = (x[p], lo[p]);
                    let mut step = 1u32;
                    let mut failed = false;
                    while ok_at > lo[p] {
                        let y = ok_at.saturating_sub(step).max(lo[p]);
                        let mut t = x.clone();
                        t[p] = y;
                        if eval(&t, &mut memo, &mut out)? {
                            ok_at = y;
                            step = step.saturating_mul(2);
                        } else {
                            fail_below = y + 1;
                            failed = true;
                            break;
                        }
                    }
                    if failed {
                        // The answer is in [fail_below, ok_at].
                        let (mut a, mut b) = (fail_below, ok_at);
                        while a < b {
                            let mid = a + (b - a) / 2;
                            let mut t = x.clone();
                            t[p] = mid;
                            if eval(&t, &mut memo, &mut out)? {
                                b = mid;
                            } else {
                                a = mid + 1;
                            }
                        }
                        ok_at = b;
                    }
                    if ok_at < x[p] {
                        x[p] = ok_at;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            progress(&format!(
                "{} {}: {}",
                out.option,
                d.label,
                self.plan
                    .pools
                    .iter()
                    .zip(&x)
                    .map(|(p, n)| format!("{}={n}", p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            out.chosen.push(memo.get(&x).cloned());
            out.best.push(None);
            out.limited_by_racks.push(false);
            prev = Some(x);
        }
        Ok(out)
    }
}

/// The option to buy: the one that meets the targets at the most dates, then at the lowest
/// spend summed over the dates (over the units, GPUs first, when the scenario is unpriced).
/// `None` when no option meets the targets at any date.
pub fn choose(plans: &[OptionPlan]) -> Option<usize> {
    let key = |p: &OptionPlan| {
        let met = p.chosen.iter().filter(|c| c.is_some()).count();
        let spend: f64 = p.chosen.iter().flatten().filter_map(|e| e.spend_usd).sum();
        let units: u64 = p
            .chosen
            .iter()
            .flatten()
            .map(|e| e.counts.iter().map(|&n| u64::from(n)).sum::<u64>())
            .sum();
        (met, spend, units)
    };
    let mut best: Option<usize> = None;
    for (i, p) in plans.iter().enumerate() {
        let (m, s, u) = key(p);
        if m == 0 {
            continue;
        }
        let better = match best {
            None => true,
            Some(b) => {
                let (bm, bs, bu) = key(&plans[b]);
                m > bm || (m == bm && (s < bs || (s == bs && u < bu)))
            }
        };
        if better {
            best = Some(i);
        }
    }
    best
}
