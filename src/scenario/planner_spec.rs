//! Validation of `[plan]`: the planner's targets, the pools it sizes (with bounds and lead
//! times) and its candidate options.

use super::dist_spec::fmt_num;
use super::duration::parse_duration;
use super::load::{Ctx, RawSections};
use crate::domain::fleet::Fleet;
use crate::domain::planner::{PlanOption, PlanPool, PlanSpec, PoolKind, Target};
use crate::domain::{CpuPoolSpec, GpuPoolSpec, HumanPoolSpec};
use crate::scenario::Override;

/// Most units the planner considers for a pool by default.
pub const DEFAULT_MAX_UNITS: u32 = 1024;

/// Most replications per fleet by default when a target is met only within noise.
pub const DEFAULT_MAX_REPLICATIONS: u32 = 8;

/// Largest `max` a pool may have.
const MAX_UNITS: i64 = 1_000_000;

/// The pools by name: their kind and current units.
fn pool_of(
    name: &str,
    gpu: &[GpuPoolSpec],
    cpu: &[CpuPoolSpec],
    human: &[HumanPoolSpec],
) -> Option<PoolKind> {
    if gpu.iter().any(|p| p.name == name) {
        Some(PoolKind::Gpu)
    } else if cpu.iter().any(|p| p.name == name) {
        Some(PoolKind::Cpu)
    } else if human.iter().any(|p| p.name == name) {
        Some(PoolKind::Human)
    } else {
        None
    }
}

/// Validates `[plan]` (`None` when the file has none).
pub(super) fn plan(
    ctx: &mut Ctx<'_>,
    raw: &RawSections,
    gpu: &[GpuPoolSpec],
    cpu: &[CpuPoolSpec],
    human: &[HumanPoolSpec],
    fleet: &Fleet,
    has_epochs: bool,
) -> Option<PlanSpec> {
    let p = raw.plan.as_ref()?;
    let mut ok = true;
    let mut targets = Vec::new();
    match &p.targets {
        None => {}
        Some(ts) => {
            for (i, t) in ts.iter().enumerate() {
                match Target::parse(t) {
                    Ok(t) => targets.push(t),
                    Err(e) => {
                        ctx.err(&format!("plan.targets[{i}]"), e);
                        ok = false;
                    }
                }
            }
        }
    }
    let power_within_caps = p.power_within_caps.unwrap_or(true);
    if targets.is_empty() && ok {
        ctx.err(
            "plan.targets",
            "no target: list what the fleet must meet, e.g. targets = [\"slo_attainment >= 0.99\", \"ttft_s p99 <= 2\"]",
        );
        ok = false;
    }
    let mut pools = Vec::new();
    let names: Vec<&str> = gpu
        .iter()
        .map(|p| p.name.as_str())
        .chain(cpu.iter().map(|p| p.name.as_str()))
        .chain(human.iter().map(|p| p.name.as_str()))
        .collect();
    for (name, rp) in p.pool.iter().flatten() {
        let base = format!("plan.pool.{name}");
        let Some(kind) = pool_of(name, gpu, cpu, human) else {
            let broken = raw.broken.gpu_pools.contains(name)
                || raw.broken.cpu_pools.contains(name)
                || raw.broken.human_pools.contains(name);
            if !broken {
                ctx.err(
                    &base,
                    format!(
                        "unknown pool {name:?}: the planner sizes GPU, CPU or human pools of this scenario: {}",
                        names.join(", ")
                    ),
                );
            }
            ok = false;
            continue;
        };
        // A GPU pool may be empty (a pool bought later); a CPU or human pool needs one.
        let kind_min = if kind == PoolKind::Gpu { 0 } else { 1 };
        let min = match rp.min {
            None => 1,
            Some(m) if (kind_min..=MAX_UNITS).contains(&m) => m as u32,
            Some(m) => {
                ctx.err(
                    &format!("{base}.min"),
                    format!(
                        "expected the fewest units to consider, a whole number from {kind_min} to {MAX_UNITS} ({}), found {m}",
                        if kind == PoolKind::Gpu { "a GPU pool may be empty" } else { "a CPU or human pool needs a server" }
                    ),
                );
                ok = false;
                continue;
            }
        };
        let max = match rp.max {
            None => DEFAULT_MAX_UNITS.max(min),
            Some(m) if (1..=MAX_UNITS).contains(&m) && m as u32 >= min => m as u32,
            Some(m) => {
                ctx.err(
                    &format!("{base}.max"),
                    format!(
                        "expected the most units to consider, a whole number from max(1, min = {min}) to {MAX_UNITS}, found {m}"
                    ),
                );
                ok = false;
                continue;
            }
        };
        let lead_time_s = match &rp.lead_time {
            Some(_) if kind != PoolKind::Gpu => {
                ctx.err(
                    &format!("{base}.lead_time"),
                    "a lead time applies to GPU pools, whose purchases the plan lists; CPU and human pools are sized per date",
                );
                ok = false;
                continue;
            }
            Some(d) => match parse_duration(d) {
                Ok(d) => d.as_secs_f64(),
                Err(e) => {
                    ctx.err(&format!("{base}.lead_time"), e);
                    ok = false;
                    continue;
                }
            },
            // The pool's own purchases say how long an order takes.
            None => match kind {
                PoolKind::Gpu => {
                    let k = gpu.iter().position(|g| g.name == *name).unwrap_or(0) as u32;
                    fleet
                        .changes
                        .iter()
                        .find(|c| c.pool == k && c.delta > 0)
                        .map_or(0.0, |c| c.effective_s - c.ordered_s)
                }
                _ => 0.0,
            },
        };
        pools.push(PlanPool {
            name: name.clone(),
            kind,
            min,
            max,
            lead_time_s,
        });
    }
    if pools.is_empty() && ok {
        ctx.err(
            "plan.pool",
            format!(
                "no pool to size: add `[plan.pool.NAME]` (with optional min, max, lead_time) for one or more of: {}",
                names.join(", ")
            ),
        );
        ok = false;
    }
    let mut options = Vec::new();
    if p.include_as_written.unwrap_or(true) {
        options.push(PlanOption {
            name: "as-written".into(),
            set: Vec::new(),
        });
    }
    for (i, o) in p.option.iter().flatten().enumerate() {
        let base = format!("plan.option[{i}]");
        if o.name.trim().is_empty()
            || o.name == "as-written"
            || options.iter().any(|x| x.name == o.name)
        {
            ctx.err(
                &format!("{base}.name"),
                format!(
                    "expected a name of its own for the option (not empty, not \"as-written\", which names the scenario as written), found {:?}",
                    o.name
                ),
            );
            ok = false;
        }
        let mut set = Vec::new();
        for (path, value) in &o.set {
            let text = match value {
                toml::Value::String(s) => format!("{s:?}"),
                v => v.to_string(),
            };
            match Override::parse(&format!("{path}={text}")) {
                Ok(ov) => set.push(ov),
                Err(e) => {
                    ctx.err(&format!("{base}.set"), e);
                    ok = false;
                }
            }
        }
        if let Some(s) = set
            .iter()
            .find(|s| pools.iter().any(|p| p.path() == s.path))
        {
            ctx.err(
                &format!("{base}.set"),
                format!(
                    "`{}`: an option may not set the size of a pool the planner sizes",
                    s.path.join(".")
                ),
            );
            ok = false;
        }
        options.push(PlanOption {
            name: o.name.clone(),
            set,
        });
    }
    if options.is_empty() && ok {
        ctx.err(
            "plan.include_as_written",
            "no candidate: the scenario as written is left out and there is no [[plan.option]]",
        );
        ok = false;
    }
    let max_replications = match p.max_replications {
        None => DEFAULT_MAX_REPLICATIONS,
        Some(r) if (1..=10_000).contains(&r) => r as u32,
        Some(r) => {
            ctx.err(
                "plan.max_replications",
                format!("expected a whole number from 1 to 10000, found {r}"),
            );
            ok = false;
            DEFAULT_MAX_REPLICATIONS
        }
    };
    let every_s = match &p.every {
        None => None,
        Some(_) if !has_epochs => {
            ctx.err(
                "plan.every",
                "`every` spaces the planned dates of a long horizon: it needs [epochs]",
            );
            ok = false;
            None
        }
        Some(d) => match parse_duration(d) {
            Ok(d) if d.as_secs_f64() > 0.0 => Some(d.as_secs_f64()),
            Ok(d) => {
                ctx.err(
                    "plan.every",
                    format!(
                        "expected a duration > 0, found {} s",
                        fmt_num(d.as_secs_f64())
                    ),
                );
                ok = false;
                None
            }
            Err(e) => {
                ctx.err("plan.every", e);
                ok = false;
                None
            }
        },
    };
    ok.then_some(PlanSpec {
        targets,
        pools,
        options,
        power_within_caps,
        max_replications,
        every_s,
    })
}
