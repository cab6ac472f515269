//! Raw sections -> the validated [`Scenario`]: ranges, references, the workflow DAG.

use super::duration::parse_duration;
use super::load::{Ctx, RawSections};
use super::raw::{RawArrivals, RawCpuPool};
use super::step_spec::{PoolService, Refs, names_list};
use crate::domain::llm::Catalog;
use crate::domain::{
    ArrivalProcess, ArrivalSpec, CpuPoolSpec, Dist, GpuPoolId, HumanPoolId, PoolId, Scenario,
    StepKind, TokenSource, WorkflowId,
};
use crate::engine::SimDuration;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

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
    let start = meta.start.as_deref().and_then(|raw| {
        match raw.parse::<jiff::civil::DateTime>() {
            Ok(dt) => Some(dt),
            Err(e) => {
                ctx.err(
                    "scenario.start",
                    format!("expected a local date and time such as \"2026-03-02T09:00\", found {raw:?} ({e})"),
                );
                None
            }
        }
    });

    let workload = super::demand_spec::workload(
        ctx,
        raw,
        start.unwrap_or(crate::domain::facility::runtime::DEFAULT_START),
    );

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
    super::plan_spec::overflow(ctx, raw, &mut gpu_pools);
    let origin = start.unwrap_or(crate::domain::facility::runtime::DEFAULT_START);
    let super::plan_spec::FleetPlan {
        fleet,
        index: fleet_index,
        broken: fleet_broken,
    } = super::plan_spec::fleet(
        ctx,
        &raw.fleet,
        &raw.broken.gpu_pools,
        &mut gpu_pools,
        origin,
    );
    // Racks hold the largest fleet the plan ever has; each run places the fleet it has.
    let largest: Vec<crate::domain::GpuPoolSpec> = gpu_pools
        .iter()
        .enumerate()
        .map(|(k, p)| crate::domain::GpuPoolSpec {
            replicas: fleet.range(k).1,
            ..p.clone()
        })
        .collect();
    let facility = super::facility_spec::facility(ctx, raw, &largest, start);
    let mut human_pools = Vec::new();
    let mut human_ids = BTreeMap::new();
    for (hname, rh) in &raw.human_pools {
        for (other, what) in [
            (pool_ids.contains_key(hname), "a CPU pool"),
            (gpu_ids.contains_key(hname), "a GPU pool"),
        ] {
            if other {
                ctx.err(
                    &format!("human_pool.{hname}"),
                    format!("the name {hname:?} is also {what}; pool names must be unique across cpu_pool, gpu_pool and human_pool"),
                );
            }
        }
        match super::human_spec::human_pool(ctx, hname, rh) {
            Some(h) => {
                human_ids.insert(hname.clone(), HumanPoolId(human_pools.len() as u32));
                human_pools.push(h);
            }
            None => {
                human_ids.insert(hname.clone(), HumanPoolId(u32::MAX));
            }
        }
    }

    // Every workflow read gets its id up front, so that call steps can name any of them.
    let all_workflow_ids: BTreeMap<String, WorkflowId> = raw
        .workflows
        .keys()
        .enumerate()
        .map(|(i, n)| (n.clone(), WorkflowId(i as u32)))
        .collect();
    let refs = Refs {
        cpu: &pool_ids,
        cpu_service: &pool_service,
        broken_cpu: &raw.broken.cpu_pools,
        gpu: &gpu_ids,
        broken_gpu: &raw.broken.gpu_pools,
        human: &human_ids,
        human_specs: &human_pools,
        broken_human: &raw.broken.human_pools,
        workflows: &all_workflow_ids,
        broken_workflows: &raw.broken.workflows,
    };
    let validated: Vec<_> = raw
        .workflows
        .iter()
        .map(|(wname, rw)| super::workflow_spec::workflow(ctx, wname, rw, &refs))
        .collect();
    if validated.iter().any(Option::is_none) && !ctx.has_problems() {
        // Never reached: a workflow that fails reports why. Guards the ids below.
        ctx.err("workflow", "a workflow could not be validated");
    }
    let workflow_names: Vec<String> = raw.workflows.keys().cloned().collect();
    if let Some(order) = super::call_graph::check_calls(ctx, &validated, &workflow_names) {
        super::call_graph::check_budgets(ctx, &validated, &order);
    }
    let workflow_ids: BTreeMap<String, WorkflowId> = all_workflow_ids
        .iter()
        .filter(|(_, id)| validated[id.0 as usize].is_some())
        .map(|(n, id)| (n.clone(), *id))
        .collect();

    let mut arrivals = Vec::new();
    for (aname, ra) in &raw.arrivals {
        if let Some(a) = arrival(ctx, aname, ra, &workflow_ids, raw, &workload) {
            arrivals.push(a);
        }
    }
    // Token counts "from the trace" need every arrival process of the workflow (or of one
    // calling it) to be a trace.
    for a in &arrivals {
        if matches!(a.process, ArrivalProcess::Trace(_)) {
            continue;
        }
        let start = a.workflow.0 as usize;
        for w in super::call_graph::reachable(&validated, start) {
            let Some(v) = &validated[w] else { continue };
            let w = &v.spec;
            let via = if w.name == workflow_names[start] {
                String::new()
            } else {
                format!(
                    " (through calls, from workflow `{}`)",
                    workflow_names[start]
                )
            };
            for s in &w.steps {
                if let StepKind::Llm { input, output, .. } = &s.kind {
                    for (field, t) in [("input_tokens", input), ("output_tokens", output)] {
                        if matches!(t, TokenSource::Trace) {
                            ctx.err(
                                &format!("workflow.{}.steps[name = \"{}\"].{field}", w.name, s.name),
                                format!("missing; arrivals.{} starts this workflow{via} without a trace, so there is no trace row to take the count from: give a count or a distribution", a.name),
                            );
                        }
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
        && raw.epochs.is_none()
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
    let cost = super::cost_spec::cost(ctx, raw, &largest, &pools, facility.as_ref());
    let workflows: Vec<crate::domain::WorkflowSpec> =
        validated.into_iter().flatten().map(|v| v.spec).collect();
    if !fleet_broken {
        super::plan_spec::check_empty_pools(ctx, &gpu_pools, &fleet, &workflows);
    }
    let horizon_s = horizon.map(|h| h.as_secs_f64());
    let epochs = raw
        .epochs
        .as_ref()
        .and_then(|e| super::plan_spec::epochs(ctx, e, horizon_s, meta.drain.unwrap_or(false)));
    // Without a horizon the run may last past any date.
    if raw.epochs.is_none()
        && !raw.broken.plan
        && let Some((c, i)) = fleet
            .changes
            .iter()
            .zip(&fleet_index)
            .find(|(c, _)| c.effective_s > 0.0 && horizon_s.is_none_or(|h| c.effective_s < h))
    {
        ctx.err(
            &format!("fleet[{i}].date"),
            format!(
                "a change of pool {:?} takes effect {} days into the run: a run's fleet is fixed, so changes need [epochs] (each epoch runs the fleet in service at its start)",
                gpu_pools[c.pool as usize].name,
                super::dist_spec::fmt_num((c.effective_s / 864.0).round() / 100.0)
            ),
        );
    }
    let slo_target = match meta.slo_target {
        None => None,
        Some(t) if t > 0.0 && t <= 1.0 => Some(t),
        Some(t) => {
            ctx.err(
                "scenario.slo_target",
                format!(
                    "expected the task SLO attainment to keep, a number in (0, 1], found {}",
                    super::dist_spec::fmt_num(t)
                ),
            );
            None
        }
    };
    let plan = super::planner_spec::plan(
        ctx,
        raw,
        &gpu_pools,
        &pools,
        &human_pools,
        &fleet,
        epochs.is_some(),
    );
    let scenario = Scenario {
        name,
        description: meta.description.clone(),
        source: ctx.file.clone(),
        source_sha256,
        overrides: Vec::new(),
        seed: meta.seed.unwrap_or(1),
        replications,
        horizon,
        drain: meta.drain.unwrap_or(false),
        interval,
        start,
        arrivals,
        cpu_pools: pools,
        gpu_pools,
        human_pools,
        // Complete when there is no problem (the scenario is only used then).
        workflows,
        origin,
        fleet,
        epochs,
        slo_target,
        plan,
        cost,
        facility,
        record_calls: false,
    };
    super::demand_spec::check_range(ctx, &scenario, &workload);
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

fn arrival(
    ctx: &mut Ctx<'_>,
    aname: &str,
    ra: &RawArrivals,
    workflow_ids: &BTreeMap<String, WorkflowId>,
    raw: &RawSections,
    workload: &super::demand_spec::Workload,
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
        super::demand_spec::modulation(ctx, &base, ra, true, workload);
        let base_dir = ctx.base_dir.clone();
        let proc = super::llm_spec::trace_process(ctx, &base, ra, &base_dir);
        let max_arrivals = max_arrivals_of(ctx, &base, ra.max_arrivals);
        return Some(ArrivalSpec {
            name: aname.to_string(),
            workflow: workflow?,
            process: proc?,
            max_arrivals,
            modulation: None,
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
    let modulation = super::demand_spec::modulation(ctx, &base, ra, false, workload);
    Some(ArrivalSpec {
        name: aname.to_string(),
        workflow: workflow?,
        process: ArrivalProcess::Renewal(interarrival?),
        max_arrivals,
        modulation,
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
