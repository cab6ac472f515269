//! Checks across workflows through their `call` steps: calls must not form a cycle, and a
//! budget must allow the least work every task needs.

use super::load::Ctx;
use super::workflow_spec::Validated;
use crate::domain::{Fanout, StepKind, TokenSource};

/// The calls of workflow `w`: (file index of the step, called workflow).
fn calls(workflows: &[Option<Validated>], w: usize) -> Vec<(usize, usize)> {
    let Some(v) = workflows.get(w).and_then(Option::as_ref) else {
        return Vec::new();
    };
    let mut out: Vec<(usize, usize)> = v
        .spec
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s.kind {
            StepKind::Call { workflow } => Some((
                v.file_index.get(i).copied().unwrap_or(i),
                workflow.0 as usize,
            )),
            _ => None,
        })
        .filter(|&(_, t)| t < workflows.len())
        .collect();
    out.sort_unstable();
    out
}

/// Reports every cycle of calls (`names[w]` names workflow `w`). Returns the workflows with
/// every called one before its callers, or `None` when there is a cycle.
pub(super) fn check_calls(
    ctx: &mut Ctx<'_>,
    workflows: &[Option<Validated>],
    names: &[String],
) -> Option<Vec<usize>> {
    let n = workflows.len();
    let edges: Vec<Vec<(usize, usize)>> = (0..n).map(|w| calls(workflows, w)).collect();
    let name = |w: usize| names.get(w).map_or("?", String::as_str);
    let mut state = vec![0u8; n]; // 0: unseen, 1: on the stack, 2: done
    let mut post = Vec::with_capacity(n);
    let mut acyclic = true;
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        state[root] = 1;
        // (workflow, how many of its calls have been followed)
        let mut stack = vec![(root, 0usize)];
        while let Some(&(v, e)) = stack.last() {
            let Some(&(_, t)) = edges[v].get(e) else {
                state[v] = 2;
                post.push(v);
                stack.pop();
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            match state[t] {
                0 => {
                    state[t] = 1;
                    stack.push((t, 0));
                }
                1 => {
                    acyclic = false;
                    let pos = stack.iter().position(|x| x.0 == t).unwrap_or(0);
                    let hops: Vec<String> = stack[pos..]
                        .iter()
                        .filter_map(|&(u, eu)| {
                            let (step, to) = *edges[u].get(eu.checked_sub(1)?)?;
                            Some(format!(
                                "workflow.{}.steps[{step}] (call) -> workflow {}",
                                name(u),
                                name(to)
                            ))
                        })
                        .collect();
                    let (first, step) = stack
                        .get(pos)
                        .and_then(|&(u, eu)| Some((u, edges[u].get(eu.checked_sub(1)?)?.0)))
                        .unwrap_or((v, 0));
                    ctx.err(
                        &format!("workflow.{}.steps[{step}].workflow", name(first)),
                        format!(
                            "the calls form a cycle, so a task would never end: {}",
                            hops.join(" -> ")
                        ),
                    );
                }
                _ => {}
            }
        }
    }
    if !acyclic {
        return None;
    }
    // Nesting depth: each level of calls nests on the run-time call stack.
    let mut depth = vec![1usize; n];
    for &v in &post {
        depth[v] = 1 + edges[v].iter().map(|&(_, t)| depth[t]).max().unwrap_or(0);
    }
    if let Some(v) = (0..n)
        .filter(|&v| depth[v] > MAX_CALL_DEPTH)
        .max_by_key(|&v| depth[v])
    {
        let step = edges[v].first().map_or(0, |e| e.0);
        ctx.err(
            &format!("workflow.{}.steps[{step}].workflow", name(v)),
            format!(
                "calls from workflow `{}` nest {} workflows deep; at most {MAX_CALL_DEPTH}: flatten the chain of subagents",
                name(v),
                depth[v]
            ),
        );
        return None;
    }
    Some(post)
}

/// Deepest nesting of workflow calls (a task's workflow counts one).
pub const MAX_CALL_DEPTH: usize = 64;

/// The workflows reachable from `w` through calls, `w` included.
pub(super) fn reachable(workflows: &[Option<Validated>], w: usize) -> Vec<usize> {
    let mut seen = vec![false; workflows.len()];
    let mut out = Vec::new();
    let mut todo = vec![w];
    while let Some(v) = todo.pop() {
        if v >= seen.len() || seen[v] {
            continue;
        }
        seen[v] = true;
        out.push(v);
        todo.extend(calls(workflows, v).into_iter().map(|(_, t)| t));
    }
    out
}

fn min_tokens(t: &TokenSource) -> u64 {
    match t {
        TokenSource::Trace => 1,
        TokenSource::Dist { min, .. } => u64::from(*min),
    }
}

/// Reports a `max_steps` or `max_tokens` below what every task of its workflow needs: each
/// DAG step's smallest fan-out × smallest repeat (a call adds the called workflow's least),
/// and the smallest prompt + output tokens of each `llm` copy. `order` puts every called
/// workflow before its callers.
pub(super) fn check_budgets(ctx: &mut Ctx<'_>, workflows: &[Option<Validated>], order: &[usize]) {
    let mut least: Vec<(u64, u64)> = vec![(0, 0); workflows.len()];
    for &w in order {
        let Some(v) = workflows.get(w).and_then(Option::as_ref) else {
            continue;
        };
        let spec = &v.spec;
        let mut copies = vec![0u64; spec.steps.len()];
        let (mut steps, mut tokens) = (0u64, 0u64);
        for (i, s) in spec.steps.iter().enumerate() {
            copies[i] = match &s.fanout {
                Fanout::Count(c) => u64::from(c.min()),
                Fanout::ForEach(j) => copies.get(*j as usize).copied().unwrap_or(0),
            };
            if s.handler {
                continue;
            }
            let runs = copies[i].saturating_mul(u64::from(s.repeat.min()));
            let (each_steps, each_tokens) = match &s.kind {
                StepKind::Llm { input, output, .. } => {
                    (1, min_tokens(input).saturating_add(min_tokens(output)))
                }
                StepKind::Call { workflow } => {
                    let (a, b) = least.get(workflow.0 as usize).copied().unwrap_or((0, 0));
                    (a.saturating_add(1), b)
                }
                _ => (1, 0),
            };
            steps = steps.saturating_add(runs.saturating_mul(each_steps));
            tokens = tokens.saturating_add(runs.saturating_mul(each_tokens));
        }
        least[w] = (steps, tokens);
        let base = format!("workflow.{}", spec.name);
        if let Some(m) = spec.budget.max_steps
            && m < steps
        {
            ctx.err(
                &format!("{base}.max_steps"),
                format!(
                    "max_steps = {m} is below the {steps} step attempts every task of workflow `{}` needs (each step's smallest fan-out x smallest repeat, a call counting one plus the steps of the workflow it runs)",
                    spec.name
                ),
            );
        }
        if let Some(m) = spec.budget.max_tokens
            && m < tokens
        {
            ctx.err(
                &format!("{base}.max_tokens"),
                format!(
                    "max_tokens = {m} is below the {tokens} LLM tokens every task of workflow `{}` needs (the smallest input + output tokens of each llm step x its smallest fan-out x smallest repeat, calls included)",
                    spec.name
                ),
            );
        }
    }
}
