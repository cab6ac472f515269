//! Validation of `[workflow.NAME]`: the steps (what each does: [`super::step_spec`]), the
//! `after` DAG, fan-out (a count or `for_each` an earlier step), join, repeat, success
//! probability, retry (optionally from an earlier step), on-failure handlers, result tokens,
//! the deadline and the budgets. Steps are renumbered in a topological order.

use super::count_spec::count;
use super::duration::parse_duration;
use super::load::{Ctx, valid_entity_name};
use super::raw::{RawBackoff, RawCount, RawJoin, RawStep, RawTokens, RawWorkflow};
use super::step_spec::{Refs, names_list, step_kind};
use super::validate::{MAX_FANOUT, MAX_TIME_S};
use super::workflow_graph::{
    check_ancestry, check_handlers, cycle_members, handler_mask, topological_order,
};
use crate::domain::count::MAX_COUNT;
use crate::domain::{
    Budget, CountDist, Dist, Fanout, Join, OnFailure, RetrySpec, StepKind, StepSpec, TokenSource,
    WorkflowSpec,
};
use crate::engine::SimDuration;
use std::collections::BTreeMap;

/// Largest whole `repeat` count.
pub const MAX_REPEAT: i64 = MAX_COUNT as i64;
/// Most attempts of one step (`retry.max_attempts`).
pub const MAX_ATTEMPTS: i64 = 100;
/// Most steps in all the `retry.from` chains of one workflow (each is kept in the spec).
pub const MAX_RERUN_STEPS: usize = 1_000_000;
/// `retry.max_attempts` when a `retry` table is given without it.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// A validated workflow, with the file index of each of its steps (`file_index[i]` is the
/// position in `steps = [...]` of `spec.steps[i]`), for messages.
#[derive(Debug, Clone)]
pub(super) struct Validated {
    pub spec: WorkflowSpec,
    pub file_index: Vec<usize>,
}

/// A fan-out, referring to steps by file index.
#[derive(Debug, Clone)]
pub(super) enum Fan {
    Count(CountDist),
    ForEach(usize),
}

impl Fan {
    /// Whether the step may run more (or fewer) than one copy.
    pub(super) fn fans_out(&self) -> bool {
        match self {
            Fan::Count(c) => c.fixed() != Some(1),
            Fan::ForEach(_) => true,
        }
    }
}

/// What was read of one step; references are file indices. Fields that were wrong (and
/// reported) hold defaults.
#[derive(Debug, Clone)]
pub(super) struct Step {
    pub kind: Option<StepKind>,
    /// `None`: invalid.
    pub fanout: Option<Fan>,
    pub join: Join,
    pub repeat: CountDist,
    pub success_prob: f64,
    pub max_attempts: u32,
    pub backoff: Option<Dist>,
    pub from: Option<usize>,
    pub on_failure: Option<usize>,
    pub result_tokens: Option<TokenSource>,
    pub after: Vec<usize>,
}

/// Validates workflow `wname`; `None` when something is wrong (reported).
pub(super) fn workflow(
    ctx: &mut Ctx<'_>,
    wname: &str,
    rw: &RawWorkflow,
    refs: &Refs<'_>,
) -> Option<Validated> {
    let base = format!("workflow.{wname}");
    let deadline = deadline(ctx, &base, rw);
    let budget = budget(ctx, &base, rw);
    let Some(raw_steps) = rw.steps.as_ref().filter(|s| !s.is_empty()) else {
        ctx.err(
            &format!("{base}.steps"),
            "missing; expected at least one step (`[[workflow.NAME.steps]]`)",
        );
        return None;
    };
    // Names first, so references can name steps defined later in the file.
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
    let reader = StepReader {
        wname,
        index: &index,
        refs,
    };
    let mut ok = true;
    let mut steps = Vec::with_capacity(raw_steps.len());
    for (i, s) in raw_steps.iter().enumerate() {
        let (step, good) = reader.read(ctx, &format!("{base}.steps[{i}]"), i, s);
        ok &= good;
        steps.push(step);
    }
    if index.len() != raw_steps.len() {
        return None;
    }
    let names: Vec<&str> = raw_steps
        .iter()
        .map(|s| s.name.as_deref().unwrap_or("?"))
        .collect();
    ok &= check_handlers(ctx, &base, raw_steps, &steps, &index, &names);
    // The graph is checked even when some step had another problem.
    let afters: Vec<Vec<usize>> = steps.iter().map(|s| s.after.clone()).collect();
    let Some(dag_order) = topological_order(&afters) else {
        let cyclic: Vec<&str> = cycle_members(&afters)
            .into_iter()
            .map(|i| names[i])
            .collect();
        ctx.err(
            &format!("{base}.steps"),
            format!(
                "the `after` dependencies form a cycle among steps: {}",
                cyclic.join(", ")
            ),
        );
        return None;
    };
    let reruns = check_ancestry(ctx, &base, &steps, &names, &dag_order);
    ok &= reruns.is_some();
    if !ok {
        return None;
    }
    let reruns = reruns?;
    let (deadline, budget) = (deadline?, budget?);
    let baseline = match &rw.baseline {
        None => None,
        Some(b) => Some(baseline(ctx, &format!("{base}.baseline"), b)?),
    };

    // Renumber in a topological order in which a handler follows the steps that name it.
    let mut ordering = afters.clone();
    for (i, s) in steps.iter().enumerate() {
        if let Some(h) = s.on_failure {
            ordering[h].push(i);
        }
    }
    let order = topological_order(&ordering)?;
    let mut new_index = vec![0u32; steps.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new as u32;
    }
    let is_handler = handler_mask(&steps);
    let mut specs = Vec::with_capacity(steps.len());
    for &old in &order {
        let s = &steps[old];
        let fanout = match s.fanout.clone()? {
            Fan::Count(c) => Fanout::Count(c),
            Fan::ForEach(k) => Fanout::ForEach(new_index[k]),
        };
        let rerun = match &reruns[old] {
            None => Vec::new(),
            Some(chain) => {
                let mut inside = vec![false; steps.len()];
                for &m in chain {
                    inside[m] = true;
                }
                let mut members: Vec<usize> = chain.clone();
                members.sort_by_key(|&m| new_index[m]);
                members
                    .iter()
                    .map(|&m| {
                        let before = afters[m].iter().filter(|&&d| inside[d]).count();
                        (new_index[m], before as u32)
                    })
                    .collect()
            }
        };
        specs.push(StepSpec {
            name: names[old].to_string(),
            kind: s.kind.clone()?,
            fanout,
            join: s.join,
            repeat: s.repeat.clone(),
            success_prob: s.success_prob,
            retry: RetrySpec {
                max_attempts: s.max_attempts,
                backoff: s.backoff.clone(),
                from: s.from.map(|f| new_index[f]),
            },
            on_failure: s
                .on_failure
                .map_or(OnFailure::Fail, |h| OnFailure::Handler(new_index[h])),
            result_tokens: s.result_tokens.clone(),
            handler: is_handler[old],
            n_after: afters[old].len() as u32,
            successors: Vec::new(),
            rerun,
        });
    }
    for (old, deps) in afters.iter().enumerate() {
        for &d in deps {
            specs[new_index[d] as usize].successors.push(new_index[old]);
        }
    }
    let roots = (0..specs.len() as u32)
        .filter(|&i| !specs[i as usize].handler && specs[i as usize].n_after == 0)
        .collect();
    let dag_steps = specs.iter().filter(|s| !s.handler).count() as u32;
    Some(Validated {
        spec: WorkflowSpec {
            name: wname.to_string(),
            steps: specs,
            roots,
            dag_steps,
            deadline,
            budget,
            baseline,
        },
        file_index: order,
    })
}

/// `deadline`: `Some(None)` when absent, `None` when invalid (reported).
fn deadline(ctx: &mut Ctx<'_>, base: &str, rw: &RawWorkflow) -> Option<Option<SimDuration>> {
    let Some(d) = &rw.deadline else {
        return Some(None);
    };
    match parse_duration(d) {
        Ok(d) if d > SimDuration::ZERO && d.as_secs_f64() <= MAX_TIME_S => Some(Some(d)),
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
    }
}

/// `max_steps` and `max_tokens`; `None` when one is invalid (reported).
fn budget(ctx: &mut Ctx<'_>, base: &str, rw: &RawWorkflow) -> Option<Budget> {
    let mut one = |field: &str, v: Option<i64>, what: &str| match v {
        None => Some(None),
        Some(n) if n >= 1 => Some(Some(n as u64)),
        Some(n) => {
            ctx.err(
                &format!("{base}.{field}"),
                format!(
                    "expected the most {what} one task may use, a whole number >= 1, found {n}"
                ),
            );
            None
        }
    };
    let steps = one("max_steps", rw.max_steps, "step attempts");
    let tokens = one("max_tokens", rw.max_tokens, "LLM tokens");
    Some(Budget {
        max_steps: steps?,
        max_tokens: tokens?,
    })
}

/// Reads the steps of one workflow.
struct StepReader<'a> {
    wname: &'a str,
    index: &'a BTreeMap<String, usize>,
    refs: &'a Refs<'a>,
}

impl StepReader<'_> {
    /// The step named `name` (another than step `i`), reported at `path` when unknown or
    /// when it is step `i` itself (`self_msg`).
    fn step_ref(
        &self,
        ctx: &mut Ctx<'_>,
        path: &str,
        i: usize,
        name: &str,
        self_msg: &str,
    ) -> Option<usize> {
        match self.index.get(name) {
            Some(&k) if k == i => {
                ctx.err(path, format!("step {name:?}: {self_msg}"));
                None
            }
            Some(&k) => Some(k),
            None => {
                ctx.err(
                    path,
                    format!(
                        "unknown step {name:?}; steps of workflow `{}`: {}",
                        self.wname,
                        names_list(self.index.keys())
                    ),
                );
                None
            }
        }
    }

    /// Step `i` at path `sp`; the flag says whether all was well.
    fn read(&self, ctx: &mut Ctx<'_>, sp: &str, i: usize, s: &RawStep) -> (Step, bool) {
        let mut ok = true;
        let kind = step_kind(ctx, sp, s, self.refs);
        ok &= kind.is_some();

        let fanout = match &s.fanout {
            None => Some(Fan::Count(CountDist::Fixed(1))),
            Some(RawCount::Table(t)) if t.for_each.is_some() => {
                let fp = format!("{sp}.fanout");
                let extra = [
                    ("dist", t.dist.is_some()),
                    ("value", t.value.is_some()),
                    ("mean", t.mean.is_some()),
                    ("min", t.min.is_some()),
                    ("max", t.max.is_some()),
                ]
                .into_iter()
                .find(|(_, present)| *present);
                if let Some((f, _)) = extra {
                    ctx.err(
                        &format!("{fp}.{f}"),
                        "`for_each` takes no other field: the copies are those of the step it names",
                    );
                    None
                } else {
                    let name = t.for_each.as_deref().unwrap_or_default();
                    self.step_ref(
                        ctx,
                        &format!("{fp}.for_each"),
                        i,
                        name,
                        "a step cannot fan out over itself; name an earlier step",
                    )
                    .map(Fan::ForEach)
                }
            }
            Some(c) => {
                count(ctx, &format!("{sp}.fanout"), c, MAX_FANOUT, "a fan-out").map(Fan::Count)
            }
        };
        ok &= fanout.is_some();

        let repeat = match &s.repeat {
            None => Some(CountDist::Fixed(1)),
            Some(c) => count(
                ctx,
                &format!("{sp}.repeat"),
                c,
                MAX_REPEAT,
                "a repeat count",
            ),
        };
        ok &= repeat.is_some();

        let join = self.join(ctx, sp, s);
        ok &= join.is_some();
        let join = join.unwrap_or(Join::All);
        if join != Join::All && fanout.as_ref().is_some_and(|f| !f.fans_out()) {
            ctx.err(
                &format!("{sp}.join"),
                "a join other than \"all\" waits for some of a step's copies, but this step runs one copy: give it a `fanout` (or leave out `join`)",
            );
            ok = false;
        }

        let success_prob = match s.success_prob {
            None => 1.0,
            Some(p) if (0.0..=1.0).contains(&p) => p,
            Some(p) => {
                ctx.err(
                    &format!("{sp}.success_prob"),
                    format!(
                        "expected the probability that one attempt succeeds, a probability in [0, 1], found {p}"
                    ),
                );
                ok = false;
                1.0
            }
        };

        let (mut max_attempts, mut backoff, mut from) = (1, None, None);
        if let Some(r) = &s.retry {
            let rp = format!("{sp}.retry");
            max_attempts = match r.max_attempts {
                None => DEFAULT_MAX_ATTEMPTS,
                Some(n) if (1..=MAX_ATTEMPTS).contains(&n) => n as u32,
                Some(n) => {
                    ctx.err(
                        &format!("{rp}.max_attempts"),
                        format!("expected the number of attempts in all (1: no retry), a whole number from 1 to {MAX_ATTEMPTS}, found {n}"),
                    );
                    ok = false;
                    1
                }
            };
            let bp = format!("{rp}.backoff");
            backoff = match &r.backoff {
                None => None,
                Some(RawBackoff::Duration(d)) => match parse_duration(d) {
                    Ok(d) if d.as_secs_f64() <= MAX_TIME_S => Some(Dist::Deterministic {
                        value_s: d.as_secs_f64(),
                    }),
                    Ok(d) => {
                        ctx.err(
                            &bp,
                            format!(
                                "expected a backoff of at most {MAX_TIME_S:e} s, found {} s",
                                d.as_secs_f64()
                            ),
                        );
                        ok = false;
                        None
                    }
                    Err(e) => {
                        ctx.err(&bp, e);
                        ok = false;
                        None
                    }
                },
                Some(RawBackoff::Dist(d)) => {
                    let d = ctx.dist(&bp, d);
                    ok &= d.is_some();
                    d
                }
            };
            if let Some(f) = &r.from {
                from = self.step_ref(
                    ctx,
                    &format!("{rp}.from"),
                    i,
                    f,
                    "a step cannot retry from itself; leave out `from` to repeat only this step",
                );
                ok &= from.is_some();
            }
        }

        let on_failure = match s.on_failure.as_deref() {
            None | Some("fail") => None,
            Some(h) => match self.index.get(h) {
                Some(&k) if k == i => {
                    ctx.err(
                        &format!("{sp}.on_failure"),
                        format!("step {h:?} cannot be its own on_failure handler; expected \"fail\" or another step"),
                    );
                    ok = false;
                    None
                }
                Some(&k) => Some(k),
                None => {
                    ctx.err(
                        &format!("{sp}.on_failure"),
                        format!(
                            "unknown step {h:?}; expected \"fail\" or a handler step of workflow `{}`: {}",
                            self.wname,
                            names_list(self.index.keys())
                        ),
                    );
                    ok = false;
                    None
                }
            },
        };

        // A misplaced `result_tokens` (on an llm step) was reported with the kind.
        let result_tokens = match &s.result_tokens {
            Some(_) if s.kind.as_deref() == Some("llm") => None,
            None => None,
            Some(RawTokens::Text(t)) if t == "trace" => {
                ctx.err(
                    &format!("{sp}.result_tokens"),
                    "expected a whole number of tokens or a distribution table; a step's result cannot take its size from the trace (only an llm step's input_tokens and output_tokens can)",
                );
                ok = false;
                None
            }
            Some(t) => {
                let r = super::llm_spec::tokens(ctx, &format!("{sp}.result_tokens"), Some(t));
                ok &= r.is_some();
                r
            }
        };

        let mut after = Vec::new();
        for (j, a) in s.after.iter().flatten().enumerate() {
            let ap = format!("{sp}.after[{j}]");
            match self.index.get(a) {
                Some(&k) if k == i => {
                    ctx.err(&ap, format!("step {a:?} cannot come after itself"));
                    ok = false;
                }
                Some(&k) if after.contains(&k) => {
                    ctx.err(&ap, format!("step {a:?} is listed twice in `after`"));
                    ok = false;
                }
                Some(&k) => after.push(k),
                None => {
                    ctx.err(
                        &ap,
                        format!(
                            "unknown step {a:?}; steps of workflow `{}`: {}",
                            self.wname,
                            names_list(self.index.keys())
                        ),
                    );
                    ok = false;
                }
            }
        }

        let step = Step {
            kind,
            fanout,
            join,
            repeat: repeat.unwrap_or(CountDist::Fixed(1)),
            success_prob,
            max_attempts,
            backoff,
            from,
            on_failure,
            result_tokens,
            after,
        };
        (step, ok)
    }

    /// `join`; `None` when invalid (reported).
    fn join(&self, ctx: &mut Ctx<'_>, sp: &str, s: &RawStep) -> Option<Join> {
        let jp = format!("{sp}.join");
        match &s.join {
            None => Some(Join::All),
            Some(RawJoin::Text(t)) if t == "all" => Some(Join::All),
            Some(RawJoin::Text(t)) => {
                ctx.err(
                    &jp,
                    format!("expected \"all\", {{ first = k }} or {{ quorum = k }}, found {t:?}"),
                );
                None
            }
            Some(RawJoin::Table(t)) => {
                let (field, k) = match (t.first, t.quorum) {
                    (Some(_), Some(_)) => {
                        ctx.err(&jp, "give either `first` or `quorum`, not both");
                        return None;
                    }
                    (None, None) => {
                        ctx.err(
                            &jp,
                            "expected { first = k } or { quorum = k }, found an empty table",
                        );
                        return None;
                    }
                    (Some(k), None) => ("first", k),
                    (None, Some(k)) => ("quorum", k),
                };
                if !(1..=MAX_FANOUT).contains(&k) {
                    ctx.err(
                        &format!("{jp}.{field}"),
                        format!("expected a number of copies from 1 to {MAX_FANOUT}, found {k}"),
                    );
                    return None;
                }
                Some(if field == "first" {
                    Join::First(k as u32)
                } else {
                    Join::Quorum(k as u32)
                })
            }
        }
    }
}

/// `workflow.NAME.baseline`: people-minutes and their hourly cost per case, cycle time.
fn baseline(
    ctx: &mut Ctx<'_>,
    path: &str,
    b: &super::raw::RawBaseline,
) -> Option<crate::domain::Baseline> {
    let p = |f: &str| format!("{path}.{f}");
    let minutes = match b.minutes_per_case {
        Some(m) if m.is_finite() && m > 0.0 && m <= 1e6 => Some(m),
        Some(m) => {
            ctx.err(
                &p("minutes_per_case"),
                format!(
                    "expected the people-minutes one case takes today, a number > 0, found {}",
                    super::dist_spec::fmt_num(m)
                ),
            );
            None
        }
        None => {
            ctx.err(
                &p("minutes_per_case"),
                "missing; expected the people-minutes one case takes today",
            );
            None
        }
    };
    let rate = match b.usd_per_hour {
        Some(r) if r.is_finite() && r >= 0.0 => Some(r),
        Some(r) => {
            ctx.err(
                &p("usd_per_hour"),
                format!(
                    "expected a loaded hourly cost, a finite number >= 0 [USD/h], found {}",
                    super::dist_spec::fmt_num(r)
                ),
            );
            None
        }
        None => {
            ctx.err(
                &p("usd_per_hour"),
                "missing; expected the loaded cost of an hour of the people doing it [USD/h]",
            );
            None
        }
    };
    let cycle = match &b.cycle_time {
        None => {
            ctx.err(
                &p("cycle_time"),
                "missing; expected the time from request to resolution today, e.g. \"8h\"",
            );
            None
        }
        Some(d) => match super::duration::parse_duration(d) {
            Ok(d) => Some(d.as_secs_f64()),
            Err(e) => {
                ctx.err(&p("cycle_time"), e);
                None
            }
        },
    };
    Some(crate::domain::Baseline {
        minutes_per_case: minutes?,
        usd_per_hour: rate?,
        cycle_time_s: cycle?,
    })
}
