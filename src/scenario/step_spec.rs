//! Validation of what one step does (its `kind` and the fields of that kind): the pool of a
//! `cpu`, `llm` or `human` step (an `llm` step may also route by weights or rules), the
//! duration of a `delay` step, the workflow of a `call` step.

use super::load::Ctx;
use super::raw::{RawPool, RawRouteRule, RawStep};
use crate::domain::{
    Dist, GpuPoolId, HumanPoolId, HumanPoolSpec, PoolId, Route, StepKind, WorkflowId,
};
use std::collections::{BTreeMap, BTreeSet};

/// The step kinds.
pub const KINDS: [&str; 5] = ["cpu", "delay", "llm", "human", "call"];

/// A CPU pool's default service time: absent, valid, or given but invalid (already reported).
#[derive(Debug, Clone)]
pub(super) enum PoolService {
    None,
    Valid(Dist),
    Invalid,
}

/// What a step may name: pools (a failed one is kept with id `u32::MAX`, already reported)
/// and workflows.
pub(super) struct Refs<'a> {
    pub cpu: &'a BTreeMap<String, PoolId>,
    pub cpu_service: &'a [PoolService],
    pub broken_cpu: &'a BTreeSet<String>,
    pub gpu: &'a BTreeMap<String, GpuPoolId>,
    pub broken_gpu: &'a BTreeSet<String>,
    pub human: &'a BTreeMap<String, HumanPoolId>,
    pub human_specs: &'a [HumanPoolSpec],
    pub broken_human: &'a BTreeSet<String>,
    /// Every workflow that was read (valid or not), with its id.
    pub workflows: &'a BTreeMap<String, WorkflowId>,
    pub broken_workflows: &'a BTreeSet<String>,
}

/// `a, b, c`, or `(none)`.
pub(super) fn names_list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = names.map(String::as_str).collect();
    if v.is_empty() {
        "(none)".into()
    } else {
        v.join(", ")
    }
}

/// The kinds a field belongs to, and a hint for a misplaced one.
const FIELD_KINDS: [(&str, &[&str], &str); 9] = [
    ("pool", &["cpu", "llm", "human"], ""),
    ("route", &["llm"], ""),
    ("workflow", &["call"], ""),
    (
        "service",
        &["cpu", "human"],
        "; an `llm` step's time comes from its GPU pool and its tokens, a `delay` step takes `duration`",
    ),
    ("duration", &["delay"], "; a `cpu` step takes `service`"),
    ("input_tokens", &["llm"], ""),
    ("output_tokens", &["llm"], ""),
    ("context", &["llm"], ""),
    (
        "result_tokens",
        &["cpu", "delay", "human", "call"],
        "; an `llm` step adds its own prompt and output tokens to the context",
    ),
];

fn present(s: &RawStep, field: &str) -> bool {
    match field {
        "pool" => s.pool.is_some(),
        "route" => s.route.is_some(),
        "workflow" => s.workflow.is_some(),
        "service" => s.service.is_some(),
        "duration" => s.duration.is_some(),
        "input_tokens" => s.input_tokens.is_some(),
        "output_tokens" => s.output_tokens.is_some(),
        "context" => s.context.is_some(),
        "result_tokens" => s.result_tokens.is_some(),
        _ => false,
    }
}

/// Validates what step `s` (at path `sp`) does; `None` when something is wrong (reported).
pub(super) fn step_kind(
    ctx: &mut Ctx<'_>,
    sp: &str,
    s: &RawStep,
    refs: &Refs<'_>,
) -> Option<StepKind> {
    let kind = s.kind.as_deref().unwrap_or("cpu");
    if !KINDS.contains(&kind) {
        ctx.err(
            &format!("{sp}.kind"),
            format!(
                "unknown step kind {kind:?}, expected one of: {}",
                KINDS.map(|k| format!("\"{k}\"")).join(", ")
            ),
        );
        return None;
    }
    let mut misplaced = false;
    for (field, kinds, hint) in FIELD_KINDS {
        if present(s, field) && !kinds.contains(&kind) {
            let list = match kinds.split_last() {
                Some((last, [])) => format!("`{last}`"),
                Some((last, rest)) => format!(
                    "{} and `{last}`",
                    rest.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => String::new(),
            };
            ctx.err(
                &format!("{sp}.{field}"),
                format!("`{field}` is for {list} steps; this step is of kind `{kind}`{hint}"),
            );
            misplaced = true;
        }
    }
    if misplaced {
        return None;
    }
    match kind {
        "cpu" => cpu_step(ctx, sp, s, refs),
        "delay" => {
            let Some(d) = &s.duration else {
                ctx.err(
                    &format!("{sp}.duration"),
                    "missing; a delay step needs a `duration` distribution",
                );
                return None;
            };
            Some(StepKind::Delay {
                duration: ctx.dist(&format!("{sp}.duration"), d)?,
            })
        }
        "llm" => llm_step(ctx, sp, s, refs),
        "human" => human_step(ctx, sp, s, refs),
        _ => call_step(ctx, sp, s, refs),
    }
}

/// The single pool name of a cpu or human step (a table of weights is for llm steps).
fn single_pool<'s>(
    ctx: &mut Ctx<'_>,
    sp: &str,
    s: &'s RawStep,
    kind: &str,
    known: &str,
) -> Option<&'s String> {
    match &s.pool {
        Some(RawPool::Name(n)) => Some(n),
        Some(RawPool::Weights(_)) => {
            ctx.err(
                &format!("{sp}.pool"),
                format!("expected one pool name; a table of weights is for `llm` steps, this is a `{kind}` step (pools: {known})"),
            );
            None
        }
        None => {
            ctx.err(
                &format!("{sp}.pool"),
                format!("missing; a {kind} step needs a `pool`, one of: {known}"),
            );
            None
        }
    }
}

/// The step's own `service` (checked even when its pool is wrong): `Some(None)` when invalid.
fn own_service(ctx: &mut Ctx<'_>, sp: &str, s: &RawStep) -> Option<Option<Dist>> {
    s.service
        .as_ref()
        .map(|d| ctx.dist(&format!("{sp}.service"), d))
}

fn cpu_step(ctx: &mut Ctx<'_>, sp: &str, s: &RawStep, refs: &Refs<'_>) -> Option<StepKind> {
    let own = own_service(ctx, sp, s);
    let pname = single_pool(ctx, sp, s, "cpu", &names_list(refs.cpu.keys()))?;
    let Some(&pool) = refs.cpu.get(pname) else {
        if refs.gpu.contains_key(pname) {
            ctx.err(
                &format!("{sp}.pool"),
                format!("{pname:?} is a GPU pool; set kind = \"llm\" for a call to it"),
            );
        } else if refs.human.contains_key(pname) {
            ctx.err(
                &format!("{sp}.pool"),
                format!("{pname:?} is a human pool; set kind = \"human\" for a review on it"),
            );
        } else if !refs.broken_cpu.contains(pname) {
            ctx.err(
                &format!("{sp}.pool"),
                format!(
                    "unknown pool {pname:?}; defined CPU pools: {}",
                    names_list(refs.cpu.keys())
                ),
            );
        }
        return None;
    };
    let service = match own {
        Some(d) => d?,
        None => match &refs.cpu_service[pool.0 as usize] {
            PoolService::Valid(d) => d.clone(),
            PoolService::Invalid => return None,
            PoolService::None => {
                ctx.err(
                    &format!("{sp}.service"),
                    format!("missing; no service time: set `service` on the step or on `cpu_pool.{pname}`"),
                );
                return None;
            }
        },
    };
    Some(StepKind::Cpu { pool, service })
}

fn human_step(ctx: &mut Ctx<'_>, sp: &str, s: &RawStep, refs: &Refs<'_>) -> Option<StepKind> {
    let own = own_service(ctx, sp, s);
    let pname = single_pool(ctx, sp, s, "human", &names_list(refs.human.keys()))?;
    let pool = match refs.human.get(pname) {
        Some(id) if id.0 != u32::MAX => *id,
        Some(_) => return None,
        None => {
            if !refs.broken_human.contains(pname) {
                let hint = if refs.cpu.contains_key(pname) {
                    " (it is a CPU pool; a human step runs on a `[human_pool.NAME]`)"
                } else if refs.gpu.contains_key(pname) {
                    " (it is a GPU pool; a human step runs on a `[human_pool.NAME]`)"
                } else {
                    ""
                };
                ctx.err(
                    &format!("{sp}.pool"),
                    format!(
                        "unknown human pool {pname:?}{hint}; defined human pools: {}",
                        names_list(refs.human.keys())
                    ),
                );
            }
            return None;
        }
    };
    let service = match own {
        Some(d) => d?,
        None => refs.human_specs.get(pool.0 as usize)?.service.clone(),
    };
    Some(StepKind::Human { pool, service })
}

fn call_step(ctx: &mut Ctx<'_>, sp: &str, s: &RawStep, refs: &Refs<'_>) -> Option<StepKind> {
    // Listed only in a message (built lazily: a scenario may have many call steps).
    let known = || names_list(refs.workflows.keys());
    let Some(w) = &s.workflow else {
        ctx.err(
            &format!("{sp}.workflow"),
            format!(
                "missing; a call step needs the `workflow` it runs, one of: {}",
                known()
            ),
        );
        return None;
    };
    match refs.workflows.get(w) {
        Some(&workflow) => Some(StepKind::Call { workflow }),
        None => {
            if !refs.broken_workflows.contains(w) {
                ctx.err(
                    &format!("{sp}.workflow"),
                    format!("unknown workflow {w:?}; defined workflows: {}", known()),
                );
            }
            None
        }
    }
}

/// Resolves a GPU pool name at `path`.
fn gpu_pool(ctx: &mut Ctx<'_>, path: &str, pname: &str, refs: &Refs<'_>) -> Option<GpuPoolId> {
    match refs.gpu.get(pname) {
        Some(id) if id.0 != u32::MAX => Some(*id),
        Some(_) => None,
        None => {
            if !refs.broken_gpu.contains(pname) {
                let hint = if refs.cpu.contains_key(pname) {
                    " (it is a CPU pool; an llm step runs on a `[gpu_pool.NAME]`)"
                } else if refs.human.contains_key(pname) {
                    " (it is a human pool; set kind = \"human\" for a review)"
                } else {
                    ""
                };
                ctx.err(
                    path,
                    format!(
                        "unknown GPU pool {pname:?}{hint}; defined GPU pools: {}",
                        names_list(refs.gpu.keys())
                    ),
                );
            }
            None
        }
    }
}

fn llm_step(ctx: &mut Ctx<'_>, sp: &str, s: &RawStep, refs: &Refs<'_>) -> Option<StepKind> {
    let route = match (&s.pool, &s.route) {
        (Some(_), Some(_)) => {
            ctx.err(
                &format!("{sp}.route"),
                "give either `pool` (one pool, or a table of weights) or `route` (rules), not both",
            );
            None
        }
        (None, None) => {
            ctx.err(
                &format!("{sp}.pool"),
                format!(
                    "missing; an llm step needs a `pool` (or `route`), one of the GPU pools: {}",
                    names_list(refs.gpu.keys())
                ),
            );
            None
        }
        (Some(RawPool::Name(n)), None) => {
            gpu_pool(ctx, &format!("{sp}.pool"), n, refs).map(Route::Fixed)
        }
        (Some(RawPool::Weights(w)), None) => weighted(ctx, &format!("{sp}.pool"), w, refs),
        (None, Some(rules)) => route_rules(ctx, &format!("{sp}.route"), rules, refs),
    };
    let input =
        super::llm_spec::tokens(ctx, &format!("{sp}.input_tokens"), s.input_tokens.as_ref());
    let output = super::llm_spec::tokens(
        ctx,
        &format!("{sp}.output_tokens"),
        s.output_tokens.as_ref(),
    );
    Some(StepKind::Llm {
        route: route?,
        input: input?,
        output: output?,
        context: s.context.unwrap_or(false),
    })
}

/// `{ small = 3, large = 1 }`: cumulative shares in pool-name order, the last exactly 1.
fn weighted(
    ctx: &mut Ctx<'_>,
    path: &str,
    weights: &BTreeMap<String, f64>,
    refs: &Refs<'_>,
) -> Option<Route> {
    if weights.is_empty() {
        ctx.err(
            path,
            format!(
                "expected at least one GPU pool with a weight, such as {{ small = 3, large = 1 }}; GPU pools: {}",
                names_list(refs.gpu.keys())
            ),
        );
        return None;
    }
    let mut ok = true;
    let mut pools = Vec::with_capacity(weights.len());
    for (name, &w) in weights {
        let p = super::source_map::join(path, name);
        let id = gpu_pool(ctx, &p, name, refs);
        if !(w.is_finite() && w > 0.0) {
            ctx.err(
                &p,
                format!(
                    "expected a weight > 0 (a finite number), found {}",
                    super::dist_spec::fmt_num(w)
                ),
            );
            ok = false;
        }
        match id {
            Some(id) => pools.push((id, w)),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let total: f64 = pools.iter().map(|p| p.1).sum();
    if !total.is_finite() {
        ctx.err(
            path,
            "the weights add up to more than a finite number can hold",
        );
        return None;
    }
    let mut cum = 0.0;
    let n = pools.len();
    let shares = pools
        .into_iter()
        .enumerate()
        .map(|(i, (id, w))| {
            cum += w / total;
            (id, if i + 1 == n { 1.0 } else { cum.min(1.0) })
        })
        .collect();
    Some(Route::Weighted(shares))
}

/// `[{ max_input_tokens = 4000, pool = "small" }, { pool = "large" }]`.
fn route_rules(
    ctx: &mut Ctx<'_>,
    path: &str,
    rules: &[RawRouteRule],
    refs: &Refs<'_>,
) -> Option<Route> {
    if rules.is_empty() {
        ctx.err(
            path,
            "expected at least one rule, such as [{ max_input_tokens = 4000, pool = \"small\" }, { pool = \"large\" }]",
        );
        return None;
    }
    let mut ok = true;
    let mut out = Vec::with_capacity(rules.len());
    let last = rules.len() - 1;
    for (i, r) in rules.iter().enumerate() {
        let rp = format!("{path}[{i}]");
        let limit = match r.max_input_tokens {
            None if i < last => {
                ctx.err(
                    &format!("{rp}.max_input_tokens"),
                    "missing; only the last rule may leave out `max_input_tokens` (the rules after one without a limit could never be chosen)",
                );
                ok = false;
                None
            }
            None => None,
            Some(_) if i == last => {
                ctx.err(
                    &format!("{rp}.max_input_tokens"),
                    "the last rule takes every call the others did not: leave out `max_input_tokens`",
                );
                ok = false;
                None
            }
            Some(m) if (1..=i64::from(u32::MAX)).contains(&m) => Some(m as u32),
            Some(m) => {
                ctx.err(
                    &format!("{rp}.max_input_tokens"),
                    format!(
                        "expected a number of prompt tokens from 1 to {}, found {m}",
                        u32::MAX
                    ),
                );
                ok = false;
                None
            }
        };
        let pool = match &r.pool {
            Some(n) => gpu_pool(ctx, &format!("{rp}.pool"), n, refs),
            None => {
                ctx.err(
                    &format!("{rp}.pool"),
                    format!(
                        "missing; every rule needs a `pool`, one of the GPU pools: {}",
                        names_list(refs.gpu.keys())
                    ),
                );
                None
            }
        };
        match pool {
            Some(p) => out.push((limit, p)),
            None => ok = false,
        }
    }
    ok.then_some(Route::Rule(out))
}
