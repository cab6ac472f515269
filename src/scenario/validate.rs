//! Raw sections -> the validated [`Scenario`]: ranges, references, the workflow DAG.

use super::duration::parse_duration;
use super::load::{Ctx, RawSections, valid_entity_name};
use super::raw::{RawArrivals, RawCpuPool, RawStep, RawWorkflow};
use crate::domain::llm::Catalog;
use crate::domain::{
    ArrivalProcess, ArrivalSpec, CpuPoolSpec, Dist, GpuPoolId, PoolId, Scenario, StepKind,
    StepSpec, TokenSource, WorkflowId, WorkflowSpec,
};
use crate::engine::SimDuration;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Default width of a time-series window.
pub const DEFAULT_INTERVAL: SimDuration = SimDuration::from_secs(60);
/// Largest fan-out accepted for one step (a guard against typos that would exhaust memory).
pub const MAX_FANOUT: i64 = 1_000_000;
/// Most servers in one pool (each has a slot in memory).
pub const MAX_SERVERS: i64 = 1_000_000;
/// Most replications in one run (each keeps its histograms until aggregation).
pub const MAX_REPLICATIONS: u32 = 10_000;
/// Longest time accepted anywhere [s] (about 31.7 years; the clock holds about 584 years).
pub const MAX_TIME_S: f64 = 1e9;
/// Shortest mean inter-arrival time [s]: at most a million arrivals per second per process,
/// far above any inference workload, and far from the 1 ns clock resolution.
pub const MIN_MEAN_INTERARRIVAL_S: f64 = 1e-6;

/// Validates `raw`; returns the scenario when the pieces it needs were valid (the caller still
/// checks `ctx` for problems).
pub(super) fn validate(ctx: &mut Ctx<'_>, raw: &RawSections, bytes: &[u8]) -> Option<Scenario> {
    let meta = &raw.meta;
    let name = match &meta.name {
        Some(n) if valid_name(n) => n.clone(),
        Some(n) => {
            ctx.err(
                "scenario.name",
                format!("expected a name of letters, digits, '-', '_' or '.', not starting with '.' (it names the output folder), found {n:?}"),
            );
            String::new()
        }
        None => {
            let stem = ctx
                .file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !valid_name(&stem) {
                ctx.err(
                    "scenario.name",
                    format!("missing, and the file name {stem:?} cannot name the output folder; set `name` (letters, digits, '-', '_', '.')"),
                );
            }
            stem
        }
    };
    let replications = match meta.replications {
        Some(r) if (1..=MAX_REPLICATIONS).contains(&r) => r,
        Some(r) => {
            ctx.err(
                "scenario.replications",
                format!("expected 1 to {MAX_REPLICATIONS} replications, found {r}"),
            );
            1
        }
        None => 1,
    };
    let horizon = meta.horizon.as_ref().and_then(|h| match parse_duration(h) {
        Ok(d) if d > SimDuration::ZERO && d.as_secs_f64() <= MAX_TIME_S => Some(d),
        Ok(d) => {
            ctx.err(
                "scenario.horizon",
                format!(
                    "expected a horizon > 0 and at most {MAX_TIME_S:e} s, found {} s",
                    d.as_secs_f64()
                ),
            );
            None
        }
        Err(e) => {
            ctx.err("scenario.horizon", e);
            None
        }
    });
    let interval = match meta.interval.as_ref().map(parse_duration) {
        None => DEFAULT_INTERVAL,
        Some(Ok(d)) if d > SimDuration::ZERO => d,
        Some(Ok(_)) => {
            ctx.err("scenario.interval", "expected a window width > 0");
            DEFAULT_INTERVAL
        }
        Some(Err(e)) => {
            ctx.err("scenario.interval", e);
            DEFAULT_INTERVAL
        }
    };

    // Pools first: workflows refer to them. BTreeMap order = sorted names = PoolId order.
    let mut pools = Vec::new();
    let mut pool_service: Vec<PoolService> = Vec::new();
    let mut pool_ids = BTreeMap::new();
    for (pname, rp) in &raw.cpu_pools {
        let (spec, service) = cpu_pool(ctx, pname, rp);
        pool_ids.insert(pname.clone(), PoolId(pools.len() as u32));
        pools.push(spec);
        pool_service.push(service);
    }

    // The catalog: built in, plus the scenario's `[gpu.NAME]` and `[model.NAME]` entries.
    let mut catalog = Catalog::builtin();
    for (name, g) in &raw.gpus {
        match g.validate() {
            Ok(()) => {
                catalog.add_gpu(name.clone(), g.clone());
            }
            Err(e) => ctx.err(&super::source_map::join("gpu", name), e),
        }
    }
    for (name, m) in &raw.models {
        match m.validate() {
            Ok(()) => {
                catalog.add_model(name.clone(), m.clone());
            }
            Err(e) => ctx.err(&super::source_map::join("model", name), e),
        }
    }
    let mut gpu_pools = Vec::new();
    let mut gpu_ids = BTreeMap::new();
    for (gname, rg) in &raw.gpu_pools {
        if pool_ids.contains_key(gname) {
            ctx.err(
                &format!("gpu_pool.{gname}"),
                format!("the name {gname:?} is also a CPU pool; pool names must be unique"),
            );
        }
        match super::llm_spec::gpu_pool(ctx, gname, rg, &catalog) {
            Some(g) => {
                gpu_ids.insert(gname.clone(), GpuPoolId(gpu_pools.len() as u32));
                gpu_pools.push(g);
            }
            None => {
                gpu_ids.insert(gname.clone(), GpuPoolId(u32::MAX));
            }
        }
    }
    let pools_ref = PoolRefs {
        cpu: &pool_ids,
        cpu_service: &pool_service,
        broken_cpu: &raw.broken.cpu_pools,
        gpu: &gpu_ids,
        broken_gpu: &raw.broken.gpu_pools,
    };

    let mut workflows = Vec::new();
    let mut workflow_ids = BTreeMap::new();
    for (wname, rw) in &raw.workflows {
        if let Some(w) = workflow(ctx, wname, rw, &pools_ref) {
            workflow_ids.insert(wname.clone(), WorkflowId(workflows.len() as u32));
            workflows.push(w);
        }
    }

    let mut arrivals = Vec::new();
    for (aname, ra) in &raw.arrivals {
        if let Some(a) = arrival(ctx, aname, ra, &workflow_ids, raw) {
            arrivals.push(a);
        }
    }
    // Token counts "from the trace" need every arrival process of the workflow to be a trace.
    for a in &arrivals {
        if matches!(a.process, ArrivalProcess::Trace(_)) {
            continue;
        }
        let w = &workflows[a.workflow.0 as usize];
        for s in &w.steps {
            if let StepKind::Llm { input, output, .. } = &s.kind {
                for (field, t) in [("input_tokens", input), ("output_tokens", output)] {
                    if matches!(t, TokenSource::Trace) {
                        ctx.err(
                            &format!("workflow.{}.steps[name = \"{}\"].{field}", w.name, s.name),
                            format!("missing; arrivals.{} starts this workflow without a trace, so there is no trace row to take the count from: give a count or a distribution", a.name),
                        );
                    }
                }
            }
        }
    }
    if raw.arrivals.is_empty() && raw.broken.arrivals.is_empty() {
        ctx.err(
            "arrivals",
            "no arrival process: add an `[arrivals.NAME]` section with a workflow and a rate",
        );
    }
    if horizon.is_none()
        && meta.horizon.is_none()
        && !raw.broken.meta
        && let Some((aname, _)) = raw
            .arrivals
            .iter()
            .find(|(_, a)| a.max_arrivals.is_none() && a.process.as_deref() != Some("trace"))
    {
        ctx.err(
            &format!("arrivals.{aname}.max_arrivals"),
            "the run would never end: set `scenario.horizon` or `max_arrivals` on every arrival process",
        );
    }

    let digest = Sha256::digest(bytes);
    let source_sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
    let scenario = Scenario {
        name,
        description: meta.description.clone(),
        source: ctx.file.clone(),
        source_sha256,
        seed: meta.seed.unwrap_or(1),
        replications,
        horizon,
        drain: meta.drain.unwrap_or(false),
        interval,
        arrivals,
        cpu_pools: pools,
        gpu_pools,
        human_pools: Vec::new(),
        workflows,
        record_calls: false,
    };
    if !raw.broken.meta
        && let Some(problem) = scenario.time_series_problem()
    {
        let path = if meta.interval.is_some() {
            "scenario.interval"
        } else if meta.horizon.is_some() {
            "scenario.horizon"
        } else {
            "arrivals"
        };
        ctx.err(path, problem);
    }
    Some(scenario)
}

/// A scenario name: it names the output folder, so no separators and no leading dot.
fn valid_name(n: &str) -> bool {
    (1..=super::load::MAX_NAME_LEN).contains(&n.len())
        && !n.starts_with('.')
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A pool's default service time: absent, valid, or given but invalid (already reported).
#[derive(Debug, Clone)]
enum PoolService {
    None,
    Valid(Dist),
    Invalid,
}

fn cpu_pool(ctx: &mut Ctx<'_>, name: &str, rp: &RawCpuPool) -> (CpuPoolSpec, PoolService) {
    let base = format!("cpu_pool.{name}");
    let servers = match rp.servers {
        Some(c) if (1..=MAX_SERVERS).contains(&c) => c as u32,
        Some(c) => {
            ctx.err(
                &format!("{base}.servers"),
                format!("expected a whole number of servers from 1 to {MAX_SERVERS}, found {c}"),
            );
            1
        }
        None => {
            ctx.err(
                &format!("{base}.servers"),
                "missing; expected the number of servers (a whole number >= 1)",
            );
            1
        }
    };
    let service = match &rp.service {
        None => PoolService::None,
        Some(d) => match ctx.dist(&format!("{base}.service"), d) {
            Some(d) => PoolService::Valid(d),
            None => PoolService::Invalid,
        },
    };
    (
        CpuPoolSpec {
            name: name.to_string(),
            servers,
        },
        service,
    )
}

fn names_list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = names.map(String::as_str).collect();
    if v.is_empty() {
        "(none)".into()
    } else {
        v.join(", ")
    }
}

/// Pools a step may name.
struct PoolRefs<'a> {
    cpu: &'a BTreeMap<String, PoolId>,
    cpu_service: &'a [PoolService],
    broken_cpu: &'a BTreeSet<String>,
    /// GPU pools; `GpuPoolId(u32::MAX)` for one that failed validation (reported already).
    gpu: &'a BTreeMap<String, GpuPoolId>,
    broken_gpu: &'a BTreeSet<String>,
}

fn workflow(
    ctx: &mut Ctx<'_>,
    wname: &str,
    rw: &RawWorkflow,
    pools: &PoolRefs<'_>,
) -> Option<WorkflowSpec> {
    let base = format!("workflow.{wname}");
    let Some(raw_steps) = rw.steps.as_ref().filter(|s| !s.is_empty()) else {
        ctx.err(
            &format!("{base}.steps"),
            "missing; expected at least one step (`[[workflow.NAME.steps]]`)",
        );
        return None;
    };
    // Names first, so `after` can refer to steps defined later in the file.
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (i, s) in raw_steps.iter().enumerate() {
        let path = format!("{base}.steps[{i}].name");
        match &s.name {
            None => ctx.err(&path, "missing; every step needs a `name`"),
            Some(n) if !valid_entity_name(n) => ctx.err(
                &path,
                format!("expected a step name of letters, digits, '_' or '-', found {n:?}"),
            ),
            Some(n) if index.contains_key(n) => ctx.err(
                &path,
                format!("duplicate step name {n:?}; step names are unique in a workflow"),
            ),
            Some(n) => {
                index.insert(n.clone(), i);
            }
        }
    }
    let mut ok = true;
    let mut kinds = Vec::with_capacity(raw_steps.len());
    let mut fanouts = Vec::with_capacity(raw_steps.len());
    let mut afters: Vec<Vec<usize>> = Vec::with_capacity(raw_steps.len());
    for (i, s) in raw_steps.iter().enumerate() {
        let sp = format!("{base}.steps[{i}]");
        let kind = step_kind(ctx, &sp, s, pools);
        ok &= kind.is_some();
        kinds.push(kind);
        let fanout = match s.fanout {
            None => 1,
            Some(f) if (1..=MAX_FANOUT).contains(&f) => f as u32,
            Some(f) => {
                ctx.err(
                    &format!("{sp}.fanout"),
                    format!("expected a fan-out from 1 to {MAX_FANOUT}, found {f}"),
                );
                ok = false;
                1
            }
        };
        fanouts.push(fanout);
        let mut deps = Vec::new();
        for (j, a) in s.after.iter().flatten().enumerate() {
            let ap = format!("{sp}.after[{j}]");
            match index.get(a) {
                Some(&k) if k == i => {
                    ctx.err(&ap, format!("step {a:?} cannot come after itself"));
                    ok = false;
                }
                Some(&k) if deps.contains(&k) => {
                    ctx.err(&ap, format!("step {a:?} is listed twice in `after`"));
                    ok = false;
                }
                Some(&k) => deps.push(k),
                None => {
                    ctx.err(
                        &ap,
                        format!(
                            "unknown step {a:?}; steps of workflow `{wname}`: {}",
                            names_list(index.keys())
                        ),
                    );
                    ok = false;
                }
            }
        }
        afters.push(deps);
    }
    if index.len() != raw_steps.len() {
        return None;
    }
    // The graph is checked even when some step had another problem.
    let order = topological_order(&afters).or_else(|| {
        let cyclic: Vec<&str> = cycle_members(&afters)
            .into_iter()
            .filter_map(|i| raw_steps[i].name.as_deref())
            .collect();
        ctx.err(
            &format!("{base}.steps"),
            format!(
                "the `after` dependencies form a cycle among steps: {}",
                cyclic.join(", ")
            ),
        );
        None
    })?;
    if !ok {
        return None;
    }
    // Renumber steps in topological order.
    let mut new_index = vec![0u32; raw_steps.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new as u32;
    }
    let mut steps: Vec<StepSpec> = order
        .iter()
        .map(|&old| StepSpec {
            name: raw_steps[old].name.clone().unwrap_or_default(),
            kind: kinds[old]
                .clone()
                .expect("checked: every kind is Some when ok"),
            fanout: crate::domain::Fanout::Count(crate::domain::CountDist::Fixed(fanouts[old])),
            join: crate::domain::Join::All,
            repeat: crate::domain::CountDist::Fixed(1),
            success_prob: 1.0,
            retry: crate::domain::RetrySpec {
                max_attempts: 1,
                backoff: None,
                from: None,
            },
            on_failure: crate::domain::OnFailure::Fail,
            result_tokens: None,
            handler: false,
            n_after: afters[old].len() as u32,
            successors: Vec::new(),
            rerun: Vec::new(),
        })
        .collect();
    for (old, deps) in afters.iter().enumerate() {
        for &d in deps {
            steps[new_index[d] as usize].successors.push(new_index[old]);
        }
    }
    let roots = (0..steps.len() as u32)
        .filter(|&i| steps[i as usize].n_after == 0)
        .collect();
    let deadline = rw.deadline.as_ref().and_then(|d| match parse_duration(d) {
        Ok(d) if d > SimDuration::ZERO && d.as_secs_f64() <= MAX_TIME_S => Some(d),
        Ok(d) => {
            ctx.err(
                &format!("{base}.deadline"),
                format!(
                    "expected a deadline > 0 and at most {MAX_TIME_S:e} s, found {} s",
                    d.as_secs_f64()
                ),
            );
            None
        }
        Err(e) => {
            ctx.err(&format!("{base}.deadline"), e);
            None
        }
    });
    if rw.deadline.is_some() && deadline.is_none() {
        return None;
    }
    Some(WorkflowSpec {
        name: wname.to_string(),
        dag_steps: steps.len() as u32,
        steps,
        roots,
        deadline,
        budget: crate::domain::Budget::default(),
    })
}

fn step_kind(ctx: &mut Ctx<'_>, sp: &str, s: &RawStep, pools: &PoolRefs<'_>) -> Option<StepKind> {
    let (pool_ids, pool_service, broken_pools) = (pools.cpu, pools.cpu_service, pools.broken_cpu);
    let kind = s.kind.as_deref().unwrap_or("cpu");
    if kind != "llm" {
        for (field, present) in [
            ("input_tokens", s.input_tokens.is_some()),
            ("output_tokens", s.output_tokens.is_some()),
        ] {
            if present {
                ctx.err(
                    &format!("{sp}.{field}"),
                    format!("`{field}` is for `llm` steps; this step is a `{kind}` step"),
                );
                return None;
            }
        }
    }
    match kind {
        "llm" => {
            for (field, present) in [
                ("service", s.service.is_some()),
                ("duration", s.duration.is_some()),
            ] {
                if present {
                    ctx.err(
                        &format!("{sp}.{field}"),
                        format!("`{field}` is for cpu and delay steps; an `llm` step's time comes from its GPU pool and its tokens"),
                    );
                    return None;
                }
            }
            let Some(pname) = &s.pool else {
                ctx.err(
                    &format!("{sp}.pool"),
                    format!(
                        "missing; an llm step needs a `pool`, one of the GPU pools: {}",
                        names_list(pools.gpu.keys())
                    ),
                );
                return None;
            };
            let pool = match pools.gpu.get(pname) {
                Some(id) if id.0 != u32::MAX => *id,
                Some(_) => return None,
                None => {
                    if !pools.broken_gpu.contains(pname) {
                        let hint = if pool_ids.contains_key(pname) {
                            " (it is a CPU pool; an llm step runs on a `[gpu_pool.NAME]`)"
                        } else {
                            ""
                        };
                        ctx.err(
                            &format!("{sp}.pool"),
                            format!(
                                "unknown GPU pool {pname:?}{hint}; defined GPU pools: {}",
                                names_list(pools.gpu.keys())
                            ),
                        );
                    }
                    return None;
                }
            };
            let input = super::llm_spec::tokens(
                ctx,
                &format!("{sp}.input_tokens"),
                s.input_tokens.as_ref(),
            );
            let output = super::llm_spec::tokens(
                ctx,
                &format!("{sp}.output_tokens"),
                s.output_tokens.as_ref(),
            );
            Some(StepKind::Llm {
                route: crate::domain::Route::Fixed(pool),
                input: input?,
                output: output?,
                context: false,
            })
        }
        "cpu" => {
            if s.duration.is_some() {
                ctx.err(
                    &format!("{sp}.duration"),
                    "`duration` is for `delay` steps; a `cpu` step takes `service`",
                );
                return None;
            }
            let Some(pname) = &s.pool else {
                ctx.err(
                    &format!("{sp}.pool"),
                    format!(
                        "missing; a cpu step needs a `pool`, one of: {}",
                        names_list(pool_ids.keys())
                    ),
                );
                return None;
            };
            let Some(&pool) = pool_ids.get(pname) else {
                if pools.gpu.contains_key(pname) {
                    ctx.err(
                        &format!("{sp}.pool"),
                        format!("{pname:?} is a GPU pool; set kind = \"llm\" for a call to it"),
                    );
                } else if !broken_pools.contains(pname) {
                    ctx.err(
                        &format!("{sp}.pool"),
                        format!(
                            "unknown pool {pname:?}; defined CPU pools: {}",
                            names_list(pool_ids.keys())
                        ),
                    );
                }
                return None;
            };
            let service = match &s.service {
                Some(d) => ctx.dist(&format!("{sp}.service"), d)?,
                None => match &pool_service[pool.0 as usize] {
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
        "delay" => {
            for (field, present) in [("pool", s.pool.is_some()), ("service", s.service.is_some())] {
                if present {
                    ctx.err(
                        &format!("{sp}.{field}"),
                        format!("`{field}` is for `cpu` steps; a `delay` step takes `duration`"),
                    );
                    return None;
                }
            }
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
        other => {
            ctx.err(
                &format!("{sp}.kind"),
                format!("unknown step kind {other:?}, expected \"cpu\", \"delay\" or \"llm\""),
            );
            None
        }
    }
}

/// Kahn's algorithm; among ready steps the earliest in the file goes first. `None` on a cycle.
fn topological_order(afters: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = afters.len();
    let mut pending: Vec<usize> = afters.iter().map(Vec::len).collect();
    let mut succ = vec![Vec::new(); n];
    for (i, deps) in afters.iter().enumerate() {
        for &d in deps {
            succ[d].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| pending[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &s in &succ[i] {
            pending[s] -= 1;
            if pending[s] == 0 {
                ready.insert(s);
            }
        }
    }
    (order.len() == n).then_some(order)
}

/// Steps left over by Kahn's algorithm: those on or behind a cycle.
fn cycle_members(afters: &[Vec<usize>]) -> Vec<usize> {
    let mut done = vec![false; afters.len()];
    loop {
        let mut progressed = false;
        for (i, deps) in afters.iter().enumerate() {
            if !done[i] && deps.iter().all(|&d| done[d]) {
                done[i] = true;
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    (0..afters.len()).filter(|&i| !done[i]).collect()
}

fn arrival(
    ctx: &mut Ctx<'_>,
    aname: &str,
    ra: &RawArrivals,
    workflow_ids: &BTreeMap<String, WorkflowId>,
    raw: &RawSections,
) -> Option<ArrivalSpec> {
    let base = format!("arrivals.{aname}");
    let workflow = match &ra.workflow {
        None => {
            ctx.err(
                &format!("{base}.workflow"),
                format!(
                    "missing; expected the workflow each arrival starts, one of: {}",
                    names_list(raw.workflows.keys())
                ),
            );
            None
        }
        Some(w) => match workflow_ids.get(w) {
            Some(id) => Some(*id),
            None => {
                // A workflow that exists but failed validation was reported already.
                if !raw.workflows.contains_key(w) && !raw.broken.workflows.contains(w) {
                    ctx.err(
                        &format!("{base}.workflow"),
                        format!(
                            "unknown workflow {w:?}; defined workflows: {}",
                            names_list(raw.workflows.keys())
                        ),
                    );
                }
                None
            }
        },
    };
    let process = ra
        .process
        .as_deref()
        .or(match (ra.rate_per_s, &ra.interarrival) {
            (Some(_), None) => Some("poisson"),
            (None, Some(_)) => Some("renewal"),
            _ => None,
        });
    if process != Some("trace") {
        for (f, present) in [
            ("trace", ra.trace.is_some()),
            ("format", ra.format.is_some()),
            ("time_scale", ra.time_scale.is_some()),
        ] {
            if present {
                ctx.err(
                    &format!("{base}.{f}"),
                    "`{f}` is for trace replay: set process = \"trace\"".replace("{f}", f),
                );
                return None;
            }
        }
    }
    if process == Some("trace") {
        let base_dir = ctx.base_dir.clone();
        let proc = super::llm_spec::trace_process(ctx, &base, ra, &base_dir);
        let max_arrivals = max_arrivals_of(ctx, &base, ra.max_arrivals);
        return Some(ArrivalSpec {
            name: aname.to_string(),
            workflow: workflow?,
            process: proc?,
            max_arrivals,
        });
    }
    let interarrival = match process {
        Some("poisson") => {
            if ra.interarrival.is_some() {
                ctx.err(&format!("{base}.interarrival"), "a poisson process takes `rate_per_s`; use process = \"renewal\" for another inter-arrival distribution");
                None
            } else {
                ctx.number(
                    &format!("{base}.rate_per_s"),
                    ra.rate_per_s,
                    "the arrival rate [1/s]",
                    true,
                )
                .map(|r| Dist::Exponential { mean_s: 1.0 / r })
            }
        }
        Some("renewal") => {
            if ra.rate_per_s.is_some() {
                ctx.err(
                    &format!("{base}.rate_per_s"),
                    "a renewal process takes `interarrival`; its mean sets the rate",
                );
                None
            } else if let Some(d) = &ra.interarrival {
                ctx.dist(&format!("{base}.interarrival"), d)
            } else {
                ctx.err(
                    &format!("{base}.interarrival"),
                    "missing; a renewal process needs an `interarrival` distribution",
                );
                None
            }
        }
        Some(other) => {
            ctx.err(
                &format!("{base}.process"),
                format!("unknown arrival process {other:?}, expected \"poisson\", \"renewal\" or \"trace\""),
            );
            None
        }
        None => {
            ctx.err(&format!("{base}.process"), "missing; expected process = \"poisson\" with `rate_per_s`, or \"renewal\" with `interarrival`");
            None
        }
    };
    if let Some(d) = &interarrival
        && d.mean_s() < MIN_MEAN_INTERARRIVAL_S
    {
        let field = if ra.rate_per_s.is_some() {
            "rate_per_s"
        } else {
            "interarrival"
        };
        ctx.err(
            &format!("{base}.{field}"),
            format!(
                "expected a mean inter-arrival time of at least {MIN_MEAN_INTERARRIVAL_S} s (at most a million arrivals per second), found {} s",
                d.mean_s()
            ),
        );
        return None;
    }
    let max_arrivals = max_arrivals_of(ctx, &base, ra.max_arrivals);
    Some(ArrivalSpec {
        name: aname.to_string(),
        workflow: workflow?,
        process: ArrivalProcess::Renewal(interarrival?),
        max_arrivals,
    })
}

fn max_arrivals_of(ctx: &mut Ctx<'_>, base: &str, m: Option<u64>) -> Option<u64> {
    match m {
        Some(0) => {
            ctx.err(
                &format!("{base}.max_arrivals"),
                "expected at least 1 arrival, found 0",
            );
            None
        }
        m => m,
    }
}
