//! The graph of a workflow's steps: the `after` DAG (topological order, cycles), handlers
//! off the DAG, and references that must name ancestors (`for_each`, `retry.from`) with the
//! chains a `retry.from` re-runs.

use super::load::Ctx;
use super::raw::RawStep;
use super::workflow_spec::{Fan, MAX_RERUN_STEPS, Step};
use std::collections::{BTreeMap, BTreeSet};

/// Handlers (steps named by an `on_failure`) are off the DAG: no `after`, nobody comes after
/// them, and chains of handlers end. Returns whether all is well.
pub(super) fn check_handlers(
    ctx: &mut Ctx<'_>,
    base: &str,
    raw_steps: &[RawStep],
    steps: &[Step],
    index: &BTreeMap<String, usize>,
    names: &[&str],
) -> bool {
    let n = steps.len();
    let mut named_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, s) in steps.iter().enumerate() {
        if let Some(h) = s.on_failure {
            named_by[h].push(i);
        }
    }
    let users = |h: usize| {
        named_by[h]
            .iter()
            .map(|&i| format!("{:?}", names[i]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // The DAG steps each handler may stand in for: those whose chain of handlers reaches it
    // (chains are cut at n links; cycles are reported below).
    let mut reached_by: Vec<Vec<usize>> = vec![Vec::new(); n];
    for x in (0..n).filter(|&x| named_by[x].is_empty()) {
        let mut cur = steps[x].on_failure;
        let mut links = 0;
        while let Some(h) = cur {
            if links > n || reached_by[h].last() == Some(&x) {
                break;
            }
            reached_by[h].push(x);
            links += 1;
            cur = steps[h].on_failure;
        }
    }
    let mut ok = true;
    for h in 0..n {
        // A handler run stands in for one failed step at a time; two DAG steps that may
        // fail at once, directly or through a chain of handlers, would share its state.
        let dag_users = &reached_by[h];
        if dag_users.len() > 1 {
            let last = *dag_users.last().expect("two or more");
            ctx.err(
                &format!("{base}.steps[{last}].on_failure"),
                format!(
                    "step {:?} is the on_failure handler of {}: a handler stands in for one step only; give each step its own handler (a copy with another name)",
                    names[h],
                    dag_users
                        .iter()
                        .map(|&i| format!("{:?}", names[i]))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            ok = false;
        }
        if !named_by[h].is_empty() && raw_steps[h].after.as_ref().is_some_and(|a| !a.is_empty()) {
            ctx.err(
                &format!("{base}.steps[{h}].after"),
                format!(
                    "step {:?} is the on_failure handler of {}: a handler runs only in place of a failed step, off the DAG, so it cannot have `after`",
                    names[h],
                    users(h)
                ),
            );
            ok = false;
        }
    }
    for (j, rs) in raw_steps.iter().enumerate() {
        for (k, a) in rs.after.iter().flatten().enumerate() {
            if let Some(&h) = index.get(a)
                && h != j
                && !named_by[h].is_empty()
            {
                ctx.err(
                    &format!("{base}.steps[{j}].after[{k}]"),
                    format!(
                        "step {a:?} is the on_failure handler of {}: it runs only in place of a failed step, off the DAG, so no step can come after it",
                        users(h)
                    ),
                );
                ok = false;
            }
        }
    }
    // Each step names at most one handler: walk the chains, report each cycle once.
    let mut state = vec![0u8; n]; // 0: unseen, 1: on the current chain, 2: done
    for start in 0..n {
        let mut chain = Vec::new();
        let mut cur = Some(start);
        while let Some(c) = cur {
            match state[c] {
                0 => {
                    state[c] = 1;
                    chain.push(c);
                    cur = steps[c].on_failure;
                }
                1 => {
                    let pos = chain.iter().position(|&x| x == c).unwrap_or(0);
                    let mut cycle: Vec<&str> = chain[pos..].iter().map(|&x| names[x]).collect();
                    cycle.push(names[c]);
                    let last = chain.last().copied().unwrap_or(c);
                    ctx.err(
                        &format!("{base}.steps[{last}].on_failure"),
                        format!(
                            "the on_failure handlers form a cycle: {}; a chain of handlers must end in one whose on_failure is \"fail\" (the default)",
                            cycle.join(" -> ")
                        ),
                    );
                    ok = false;
                    break;
                }
                _ => break,
            }
        }
        for c in chain {
            state[c] = 2;
        }
    }
    ok
}

/// Which steps are handlers (named by some step's `on_failure`).
pub(super) fn handler_mask(steps: &[Step]) -> Vec<bool> {
    let mut mask = vec![false; steps.len()];
    for s in steps {
        if let Some(h) = s.on_failure {
            mask[h] = true;
        }
    }
    mask
}

/// A reference to an earlier step that must be an ancestor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reference {
    ForEach,
    RetryFrom,
}

/// `for_each` and `retry.from` must name ancestors; `for_each` one that fans out. Returns,
/// per step with `retry.from`, the steps it re-runs (file indices), or `None` on a problem.
/// `order` is a topological order of `after`: the descendants of a step named are searched
/// once, and only up to the last step naming it in that order.
pub(super) fn check_ancestry(
    ctx: &mut Ctx<'_>,
    base: &str,
    steps: &[Step],
    names: &[&str],
    order: &[usize],
) -> Option<Vec<Option<Vec<usize>>>> {
    let n = steps.len();
    let mut pos = vec![0usize; n];
    for (p, &x) in order.iter().enumerate() {
        pos[x] = p;
    }
    let mut successors = vec![Vec::new(); n];
    for (i, s) in steps.iter().enumerate() {
        for &d in &s.after {
            successors[d].push(i);
        }
    }
    // (step named, step naming it, how), grouped by the step named.
    let mut refs: Vec<(usize, usize, Reference)> = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        if let Some(Fan::ForEach(k)) = s.fanout {
            refs.push((k, i, Reference::ForEach));
        }
        if let Some(f) = s.from {
            refs.push((f, i, Reference::RetryFrom));
        }
    }
    refs.sort_unstable_by_key(|&(k, i, how)| (k, i, how == Reference::RetryFrom));
    let handler = handler_mask(steps);
    let mut ok = true;
    let mut reruns = vec![None; n];
    let mut rerun_total = 0usize;
    let mut desc = vec![false; n];
    let mut in_chain = vec![false; n];
    // The step whose retry.from chain holds each step: chains may not share a step (a step
    // re-runs for one failed check at a time).
    let mut chain_of: Vec<Option<usize>> = vec![None; n];
    let mut start = 0;
    while start < refs.len() {
        let k = refs[start].0;
        let end = start + refs[start..].iter().take_while(|r| r.0 == k).count();
        let group = &refs[start..end];
        start = end;
        // Descendants of `k` (inclusive), up to the last step naming it.
        let limit = group.iter().map(|r| pos[r.1]).max().unwrap_or(0);
        let mut reached = vec![k];
        desc[k] = true;
        let mut next = 0;
        while let Some(&x) = reached.get(next) {
            next += 1;
            for &y in &successors[x] {
                if !desc[y] && pos[y] <= limit {
                    desc[y] = true;
                    reached.push(y);
                }
            }
        }
        for &(_, i, how) in group {
            let (path, what) = match how {
                Reference::ForEach => (format!("{base}.steps[{i}].fanout.for_each"), "for_each"),
                Reference::RetryFrom => (format!("{base}.steps[{i}].retry.from"), "retry.from"),
            };
            if !desc[i] {
                let hint = if handler[k] {
                    format!(" ({:?} is an on_failure handler, off the DAG)", names[k])
                } else {
                    String::new()
                };
                ctx.err(
                    &path,
                    format!(
                        "step {:?} is not an ancestor of {:?}{hint}: {what} names a step that {:?} comes after, directly or through `after`",
                        names[k], names[i], names[i]
                    ),
                );
                ok = false;
                continue;
            }
            match how {
                Reference::ForEach => {
                    if steps[k].fanout.as_ref().is_some_and(|f| !f.fans_out()) {
                        ctx.err(
                            &path,
                            format!(
                                "fan-out over a step that does not fan out: step {:?} runs one copy (no `fanout`, or a fan-out of 1), so for_each would give one copy; name a step with a `fanout`",
                                names[k]
                            ),
                        );
                        ok = false;
                    }
                }
                Reference::RetryFrom => {
                    if rerun_total > MAX_RERUN_STEPS {
                        continue; // too many already (reported)
                    }
                    // The chain: ancestors of this step (inclusive) that descend from `k`.
                    let mut chain = vec![i];
                    in_chain[i] = true;
                    let mut next = 0;
                    while let Some(&x) = chain.get(next) {
                        next += 1;
                        for &d in &steps[x].after {
                            if desc[d] && !in_chain[d] {
                                in_chain[d] = true;
                                chain.push(d);
                            }
                        }
                    }
                    for &x in &chain {
                        in_chain[x] = false;
                    }
                    chain.sort_unstable();
                    if let Some((x, other)) =
                        chain.iter().find_map(|&x| chain_of[x].map(|o| (x, o)))
                    {
                        ctx.err(
                            &path,
                            format!(
                                "the retry.from chains of {:?} and {:?} share step {:?}: a step re-runs for one failed step at a time, so chains may not overlap; retry one of them from a later step, or give it its own steps",
                                names[other], names[i], names[x]
                            ),
                        );
                        ok = false;
                        continue;
                    }
                    for &x in &chain {
                        chain_of[x] = Some(i);
                    }
                    rerun_total += chain.len();
                    if rerun_total > MAX_RERUN_STEPS {
                        ctx.err(
                            &path,
                            format!("the retry.from chains of this workflow hold more than {MAX_RERUN_STEPS} steps in all (this one {}); retry from later steps", chain.len()),
                        );
                        ok = false;
                        continue;
                    }
                    reruns[i] = Some(chain);
                }
            }
        }
        for &x in &reached {
            desc[x] = false;
        }
    }
    ok.then_some(reruns)
}

/// Kahn's algorithm; among ready steps the earliest in the file goes first. `None` on a cycle.
pub(super) fn topological_order(afters: &[Vec<usize>]) -> Option<Vec<usize>> {
    let n = afters.len();
    let mut pending: Vec<usize> = afters.iter().map(Vec::len).collect();
    let mut succ = vec![Vec::new(); n];
    for (i, deps) in afters.iter().enumerate() {
        for &d in deps {
            succ[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
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
pub(super) fn cycle_members(afters: &[Vec<usize>]) -> Vec<usize> {
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
