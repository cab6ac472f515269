//! Validation of what changes over calendar time: `[[fleet]]` purchases and retirements,
//! `[epochs]` (long horizons), `[scenario] slo_target`, and GPU pools' overflow rules
//! (`overflow_to`, `overflow_queue`).

use super::dist_spec::fmt_num;
use super::duration::parse_duration;
use super::load::{Ctx, RawSections};
use super::raw::{RawEpochs, RawFleetChange};
use crate::domain::demand::growth::seconds_between;
use crate::domain::epochs::EpochPlan;
use crate::domain::fleet::{Fleet, FleetChange};
use crate::domain::{GpuPoolSpec, Overflow, Route, StepKind, WorkflowSpec};
use jiff::civil::DateTime;

/// Most epochs of a plan.
pub const MAX_EPOCHS: usize = 20_000;

/// A calendar date `"YYYY-MM-DD"` or date and time `"YYYY-MM-DDTHH:MM"` at `path`.
fn date(ctx: &mut Ctx<'_>, path: &str, raw: &str) -> Option<DateTime> {
    super::demand_spec::parse_date(raw)
        .map_err(|e| ctx.err(path, e))
        .ok()
}

/// Resolves the pools' `overflow_to` / `overflow_queue` in place.
pub(super) fn overflow(ctx: &mut Ctx<'_>, raw: &RawSections, pools: &mut [GpuPoolSpec]) {
    let names: Vec<String> = pools.iter().map(|p| p.name.clone()).collect();
    for i in 0..pools.len() {
        let Some(rp) = raw.gpu_pools.get(&names[i]) else {
            continue;
        };
        let base = format!("gpu_pool.{}", names[i]);
        let queue = match rp.overflow_queue {
            None => 1,
            Some(q) if (1..=1_000_000).contains(&q) => q as u32,
            Some(q) => {
                ctx.err(
                    &format!("{base}.overflow_queue"),
                    format!("expected the calls waiting at every replica that make the pool saturated, a whole number from 1 to 1000000, found {q}"),
                );
                continue;
            }
        };
        let Some(to) = &rp.overflow_to else {
            if rp.overflow_queue.is_some() {
                ctx.err(
                    &format!("{base}.overflow_queue"),
                    "an overflow threshold without `overflow_to`: name the pool that takes the overflow",
                );
            }
            continue;
        };
        let path = format!("{base}.overflow_to");
        let Some(j) = names.iter().position(|n| n == to) else {
            if !raw.broken.gpu_pools.contains(to) {
                ctx.err(
                    &path,
                    format!(
                        "unknown GPU pool {to:?}; the GPU pools are: {}",
                        names.join(", ")
                    ),
                );
            }
            continue;
        };
        if j == i {
            ctx.err(&path, "a pool cannot overflow to itself");
            continue;
        }
        if pools[j].model_name != pools[i].model_name {
            ctx.err(
                &path,
                format!(
                    "pool {to:?} serves {}, not {}: overflow goes to a pool of the same model",
                    pools[j].model_name, pools[i].model_name
                ),
            );
            continue;
        }
        if raw
            .gpu_pools
            .get(to)
            .is_some_and(|t| t.overflow_to.is_some())
        {
            ctx.err(
                &path,
                format!("pool {to:?} overflows itself: overflow goes one step only"),
            );
            continue;
        }
        pools[i].overflow = Some(Overflow {
            to: j as u32,
            queue,
        });
    }
}

/// The fleet plan read from `[[fleet]]`.
pub(super) struct FleetPlan {
    /// The pools' replicas at the origin (changes in service at the start folded in) and
    /// the later changes.
    pub fleet: Fleet,
    /// `[[fleet]]` index of each of `fleet.changes`.
    pub index: Vec<usize>,
    /// Some change could not be read: checks of the pools' replicas over time would
    /// report its consequences, not problems of their own.
    pub broken: bool,
}

/// The fleet plan: the pools' replicas at the origin and the `[[fleet]]` changes. A change
/// in service at the start is part of the fleet the run (or the first epoch) starts with:
/// it is folded into the pool's `replicas`.
pub(super) fn fleet(
    ctx: &mut Ctx<'_>,
    changes: &[RawFleetChange],
    broken_pools: &std::collections::BTreeSet<String>,
    pools: &mut [GpuPoolSpec],
    origin: DateTime,
) -> FleetPlan {
    let mut fleet = Fleet::fixed(pools.iter().map(|p| p.replicas).collect());
    let mut index = Vec::new();
    let mut broken = false;
    let mut last_date: Vec<Option<(f64, usize)>> = vec![None; pools.len()];
    for (i, c) in changes.iter().enumerate() {
        let base = format!("fleet[{i}]");
        let p = |f: &str| format!("{base}.{f}");
        let pool = match &c.pool {
            None => {
                ctx.err(
                    &p("pool"),
                    "missing; expected the GPU pool the change applies to",
                );
                None
            }
            Some(name) => match pools.iter().position(|g| &g.name == name) {
                Some(k) => Some(k),
                None => {
                    if !broken_pools.contains(name) {
                        let known: Vec<&str> = pools.iter().map(|g| g.name.as_str()).collect();
                        ctx.err(
                            &p("pool"),
                            format!(
                                "unknown GPU pool {name:?}; the GPU pools are: {}",
                                known.join(", ")
                            ),
                        );
                    }
                    None
                }
            },
        };
        let at = match &c.date {
            None => {
                ctx.err(
                    &p("date"),
                    "missing; expected the order (or retirement) date, \"YYYY-MM-DD\"",
                );
                None
            }
            Some(d) => date(ctx, &p("date"), d),
        };
        let at_s = at.map(|d| seconds_between(origin, d));
        if let Some(s) = at_s
            && s < 0.0
        {
            broken = true;
            ctx.err(
                &p("date"),
                format!(
                    "the date is before the scenario's start ({origin}): the fleet at the start is the pools' `replicas`"
                ),
            );
        }
        let lead = match &c.lead_time {
            None => Some(0.0),
            Some(d) => match parse_duration(d) {
                Ok(d) => Some(d.as_secs_f64()),
                Err(e) => {
                    ctx.err(&p("lead_time"), e);
                    None
                }
            },
        };
        let delta = match (c.add, c.retire) {
            (Some(n), None) if (1..=1_000_000).contains(&n) => Some(n),
            (None, Some(n)) if (1..=1_000_000).contains(&n) => {
                if c.lead_time.is_some() {
                    ctx.err(
                        &p("lead_time"),
                        "a retirement takes effect at its date: a lead time applies to purchases (`add`)",
                    );
                }
                Some(-n)
            }
            (Some(_), Some(_)) => {
                ctx.err(&p("retire"), "give either `add` or `retire`, not both");
                None
            }
            (None, None) => {
                ctx.err(
                    &p("add"),
                    "missing; expected `add = N` (replicas bought) or `retire = N` (replicas retired)",
                );
                None
            }
            (a, r) => {
                let (f, n) = if let Some(n) = a {
                    ("add", n)
                } else {
                    ("retire", r.unwrap_or(0))
                };
                ctx.err(
                    &p(f),
                    format!("expected a whole number of replicas from 1 to 1000000, found {n}"),
                );
                None
            }
        };
        let (Some(k), Some(at_s), Some(lead), Some(delta)) = (pool, at_s, lead, delta) else {
            broken = true;
            continue;
        };
        if let Some((prev, j)) = last_date[k]
            && at_s < prev
        {
            ctx.err(
                &p("date"),
                format!(
                    "dates out of order: fleet[{j}] (pool {:?}) has a later date; list each pool's changes in date order",
                    pools[k].name
                ),
            );
            broken = true;
            continue;
        }
        last_date[k] = Some((at_s, i));
        index.push(i);
        fleet.changes.push(FleetChange {
            pool: k as u32,
            ordered_s: at_s,
            effective_s: at_s + lead,
            delta,
        });
    }
    let mut order: Vec<(FleetChange, usize)> = fleet.changes.drain(..).zip(index).collect();
    order.sort_by(|a, b| a.0.effective_s.total_cmp(&b.0.effective_s));
    (fleet.changes, index) = order.into_iter().unzip();
    for (k, pool) in pools.iter().enumerate() {
        let mut n = i64::from(pool.replicas);
        for (c, &i) in fleet.changes.iter().zip(&index) {
            if c.pool as usize != k {
                continue;
            }
            n += c.delta;
            if n < 0 {
                broken = true;
                ctx.err(
                    &format!("fleet[{i}].retire"),
                    format!(
                        "pool {:?} would have {n} replicas after a retirement {} days after the start: retire no more than are in service",
                        pool.name,
                        fmt_num((c.effective_s / 86_400.0 * 100.0).round() / 100.0)
                    ),
                );
                break;
            }
        }
    }
    if !broken {
        // Changes in service at the start (date = start, no lead time) are the fleet the
        // run starts with.
        let start = fleet.changes.partition_point(|c| c.effective_s <= 0.0);
        for c in fleet.changes.drain(..start) {
            let k = c.pool as usize;
            let n = (i64::from(fleet.base[k]) + c.delta).clamp(0, i64::from(u32::MAX)) as u32;
            fleet.base[k] = n;
            pools[k].replicas = n;
        }
        index.drain(..start);
    }
    FleetPlan {
        fleet,
        index,
        broken,
    }
}

/// Checks that a pool some step sends calls to has replicas at every time; an empty pool
/// may only take overflow.
pub(super) fn check_empty_pools(
    ctx: &mut Ctx<'_>,
    pools: &[GpuPoolSpec],
    fleet: &Fleet,
    workflows: &[WorkflowSpec],
) {
    for (k, pool) in pools.iter().enumerate() {
        if fleet.range(k).0 > 0 {
            continue;
        }
        let direct = workflows.iter().find_map(|w| {
            w.steps.iter().find_map(|s| match &s.kind {
                StepKind::Llm { route, .. } => {
                    let hit = match route {
                        Route::Fixed(p) => p.0 as usize == k,
                        Route::Weighted(v) => v.iter().any(|(p, _)| p.0 as usize == k),
                        Route::Rule(v) => v.iter().any(|(_, p)| p.0 as usize == k),
                    };
                    hit.then(|| format!("{}.{}", w.name, s.name))
                }
                _ => None,
            })
        });
        if let Some(step) = direct {
            ctx.err(
                &format!("gpu_pool.{}.replicas", pool.name),
                format!("the pool has no replica at some time (replicas and [[fleet]]), but step {step} sends calls to it: only a pool that takes overflow (`overflow_to` of another pool) may be empty"),
            );
        }
    }
}

/// A duration in seconds as a scenario would write it (`"7days"`, `"1h 30m"`).
fn human(secs: f64) -> String {
    humantime::format_duration(std::time::Duration::from_secs_f64(secs.max(0.0))).to_string()
}

/// `[epochs]`: the plan, checked against the horizon.
pub(super) fn epochs(
    ctx: &mut Ctx<'_>,
    raw: &RawEpochs,
    horizon_s: Option<f64>,
    drain: bool,
) -> Option<EpochPlan> {
    let dur = |ctx: &mut Ctx<'_>, f: &str, d: &Option<super::raw::RawDuration>| match d {
        None => None,
        Some(d) => match parse_duration(d) {
            Ok(d) => Some(d.as_secs_f64()),
            Err(e) => {
                ctx.err(&format!("epochs.{f}"), e);
                None
            }
        },
    };
    let every = dur(ctx, "every", &raw.every);
    let length = dur(ctx, "length", &raw.length);
    let offset = dur(ctx, "offset", &raw.offset).unwrap_or(0.0);
    if raw.every.is_none() {
        ctx.err(
            "epochs.every",
            "missing; expected the period one epoch stands for, e.g. \"7d\"",
        );
    }
    if raw.length.is_none() {
        ctx.err(
            "epochs.length",
            "missing; expected the time simulated per epoch, e.g. \"24h\"",
        );
    }
    let (every, length) = (every?, length?);
    if every <= 0.0 || length <= 0.0 {
        ctx.err(
            if every <= 0.0 {
                "epochs.every"
            } else {
                "epochs.length"
            },
            "the epoch plan covers no time: `every` and `length` must be longer than 0",
        );
        return None;
    }
    if offset + length > every {
        ctx.err(
            "epochs.length",
            format!(
                "the simulated window (offset {} + length {}) does not fit in its period `every` of {}",
                human(offset),
                human(length),
                human(every)
            ),
        );
        return None;
    }
    let Some(h) = horizon_s else {
        ctx.err(
            "epochs",
            "epochs need `scenario.horizon`: the calendar span the epochs cover (e.g. \"548d\")",
        );
        return None;
    };
    if drain {
        ctx.err(
            "scenario.drain",
            "an epoch ends at its window's end: `drain` does not apply with [epochs]",
        );
    }
    let n = (h / every).ceil();
    if n > MAX_EPOCHS as f64 {
        ctx.err(
            "epochs.every",
            format!("{n} epochs over the horizon: at most {MAX_EPOCHS}; make `every` longer"),
        );
        return None;
    }
    Some(EpochPlan {
        every_s: every,
        length_s: length,
        offset_s: offset,
    })
}
