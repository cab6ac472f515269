//! Bad agentic workflows and human pools: every problem named by its field path and line,
//! with what was expected and the known names where a reference is unknown.

use super::support::{find, problems, scenario_from_str};
use infersim::scenario::Diagnostic;

const BASE: &str = r#"[scenario]
horizon = "1h"

[arrivals.a]
workflow = "w"
rate_per_s = 1.0

[cpu_pool.p]
servers = 2
service = { dist = "exponential", mean_s = 0.5 }

[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"

[human_pool.h]
reviewers = 2
service = { dist = "exponential", mean_s = 60 }
cost_per_review_usd = 1.5
working_hours = { from = "09:00", to = "17:00", days = ["mon", "tue"] }

[workflow.sub]
steps = [{ name = "think", kind = "llm", pool = "g", input_tokens = 100, output_tokens = 10 }]

[workflow.w]
steps = [
  { name = "fetch", pool = "p", fanout = 3 },
  { name = "ask", kind = "llm", pool = "g", after = ["fetch"], input_tokens = 100, output_tokens = 10, success_prob = 0.9, retry = { max_attempts = 2 }, on_failure = "review" },
  { name = "review", kind = "human", pool = "h" },
  { name = "delegate", kind = "call", workflow = "sub", after = ["ask"] },
]
"#;

/// `BASE` with `from` replaced by `to` (which must occur).
fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE has no {from:?}");
    BASE.replacen(from, to, 1)
}

/// The 1-based line of the first `needle` in `src`.
fn line_of(src: &str, needle: &str) -> usize {
    let at = src
        .find(needle)
        .unwrap_or_else(|| panic!("no {needle:?} in the source"));
    src[..at].matches('\n').count() + 1
}

/// The problem at `path`; its message contains every needle and it sits on the line of
/// `line_needle`.
fn expect(src: &str, path: &str, needles: &[&str], line_needle: &str) -> Diagnostic {
    let ps = problems(src);
    let p = find(&ps, path).clone();
    for n in needles {
        assert!(p.message.contains(n), "{path}: {n:?} not in: {}", p.message);
    }
    assert_eq!(
        p.line_col.map(|l| l.0),
        Some(line_of(src, line_needle)),
        "{path}: {p:?}"
    );
    p
}

#[test]
fn the_base_is_valid() {
    let s = scenario_from_str(BASE);
    assert_eq!(s.human_pools.len(), 1);
    let w = &s.workflows[1];
    assert_eq!(w.dag_steps, 3);
    assert_eq!(w.roots, [0]);
}

#[test]
fn a_cycle_in_after() {
    let src = edit(
        "{ name = \"fetch\", pool = \"p\", fanout = 3 }",
        "{ name = \"fetch\", pool = \"p\", fanout = 3, after = [\"delegate\"] }",
    );
    expect(
        &src,
        "workflow.w.steps",
        &["cycle among steps: fetch, ask, delegate"],
        "steps = [\n  { name = \"fetch\"",
    );
}

#[test]
fn an_unknown_step_in_after() {
    let src = edit("after = [\"fetch\"]", "after = [\"fetsh\"]");
    expect(
        &src,
        "workflow.w.steps[1].after[0]",
        &[
            "unknown step \"fetsh\"",
            "steps of workflow `w`: ask, delegate, fetch, review",
        ],
        "\"fetsh\"",
    );
}

#[test]
fn an_unknown_step_in_retry_from() {
    let src = edit("max_attempts = 2 }", "max_attempts = 2, from = \"fecth\" }");
    expect(
        &src,
        "workflow.w.steps[1].retry.from",
        &["unknown step \"fecth\"", "ask, delegate, fetch, review"],
        "name = \"ask\"",
    );
}

#[test]
fn an_unknown_step_in_on_failure() {
    let src = edit("on_failure = \"review\"", "on_failure = \"reveiw\"");
    expect(
        &src,
        "workflow.w.steps[1].on_failure",
        &[
            "unknown step \"reveiw\"",
            "expected \"fail\" or a handler step of workflow `w`: ask, delegate, fetch, review",
        ],
        "name = \"ask\"",
    );
}

#[test]
fn an_unknown_step_in_for_each() {
    let src = edit(
        "after = [\"ask\"] }",
        "after = [\"ask\"], fanout = { for_each = \"fetsh\" } }",
    );
    expect(
        &src,
        "workflow.w.steps[3].fanout.for_each",
        &["unknown step \"fetsh\"", "ask, delegate, fetch, review"],
        "name = \"delegate\"",
    );
}

#[test]
fn an_unknown_cpu_pool() {
    let src = edit("pool = \"p\"", "pool = \"q\"");
    expect(
        &src,
        "workflow.w.steps[0].pool",
        &["unknown pool \"q\"", "defined CPU pools: p"],
        "name = \"fetch\"",
    );
}

#[test]
fn an_unknown_gpu_pool() {
    let src = edit(
        "kind = \"llm\", pool = \"g\", after",
        "kind = \"llm\", pool = \"gg\", after",
    );
    expect(
        &src,
        "workflow.w.steps[1].pool",
        &["unknown GPU pool \"gg\"", "defined GPU pools: g"],
        "name = \"ask\"",
    );
    // in a table of weights and in a rule
    let src = edit(
        "kind = \"llm\", pool = \"g\", after",
        "kind = \"llm\", pool = { g = 1, x = 2 }, after",
    );
    expect(
        &src,
        "workflow.w.steps[1].pool.x",
        &["unknown GPU pool \"x\"", "defined GPU pools: g"],
        "name = \"ask\"",
    );
    let src = edit(
        "kind = \"llm\", pool = \"g\", after",
        "kind = \"llm\", route = [{ max_input_tokens = 10, pool = \"g\" }, { pool = \"y\" }], after",
    );
    expect(
        &src,
        "workflow.w.steps[1].route[1].pool",
        &["unknown GPU pool \"y\""],
        "name = \"ask\"",
    );
}

#[test]
fn an_unknown_human_pool() {
    let src = edit(
        "kind = \"human\", pool = \"h\"",
        "kind = \"human\", pool = \"hh\"",
    );
    expect(
        &src,
        "workflow.w.steps[2].pool",
        &["unknown human pool \"hh\"", "defined human pools: h"],
        "name = \"review\"",
    );
    // a CPU pool named by a human step says so
    let src = edit(
        "kind = \"human\", pool = \"h\"",
        "kind = \"human\", pool = \"p\"",
    );
    expect(
        &src,
        "workflow.w.steps[2].pool",
        &["it is a CPU pool"],
        "name = \"review\"",
    );
}

#[test]
fn an_unknown_workflow() {
    let src = edit("workflow = \"sub\"", "workflow = \"subb\"");
    expect(
        &src,
        "workflow.w.steps[3].workflow",
        &["unknown workflow \"subb\"", "defined workflows: sub, w"],
        "name = \"delegate\"",
    );
}

#[test]
fn a_call_cycle() {
    let src = edit(
        "steps = [{ name = \"think\", kind = \"llm\", pool = \"g\", input_tokens = 100, output_tokens = 10 }]",
        "steps = [{ name = \"again\", kind = \"call\", workflow = \"w\" }]",
    );
    expect(
        &src,
        "workflow.sub.steps[0].workflow",
        &[
            "cycle",
            "workflow.sub.steps[0] (call) -> workflow w -> workflow.w.steps[3] (call) -> workflow sub",
        ],
        "name = \"again\"",
    );
    // calling itself
    let src = edit("workflow = \"sub\"", "workflow = \"w\"");
    expect(
        &src,
        "workflow.w.steps[3].workflow",
        &["workflow.w.steps[3] (call) -> workflow w"],
        "name = \"delegate\"",
    );
}

#[test]
fn fan_out_over_a_step_that_does_not_fan_out() {
    let src = edit(
        "after = [\"ask\"] }",
        "after = [\"ask\"], fanout = { for_each = \"ask\" } }",
    );
    expect(
        &src,
        "workflow.w.steps[3].fanout.for_each",
        &["fan-out over a step that does not fan out", "\"ask\""],
        "name = \"delegate\"",
    );
}

#[test]
fn for_each_over_a_step_that_is_not_an_ancestor() {
    let src = edit("after = [\"ask\"] }", "fanout = { for_each = \"fetch\" } }");
    expect(
        &src,
        "workflow.w.steps[3].fanout.for_each",
        &["step \"fetch\" is not an ancestor of \"delegate\""],
        "name = \"delegate\"",
    );
}

#[test]
fn a_probability_outside_zero_one() {
    for bad in ["1.5", "-0.1", "nan"] {
        let src = edit("success_prob = 0.9", &format!("success_prob = {bad}"));
        let found = if bad == "nan" { "NaN" } else { bad };
        expect(
            &src,
            "workflow.w.steps[1].success_prob",
            &["a probability in [0, 1]", &format!("found {found}")],
            "name = \"ask\"",
        );
    }
}

#[test]
fn join_first_on_a_step_without_fan_out() {
    let src = edit(
        "on_failure = \"review\" }",
        "on_failure = \"review\", join = { first = 1 } }",
    );
    expect(
        &src,
        "workflow.w.steps[1].join",
        &["runs one copy", "fanout"],
        "name = \"ask\"",
    );
}

#[test]
fn zero_max_attempts() {
    let src = edit("max_attempts = 2", "max_attempts = 0");
    expect(
        &src,
        "workflow.w.steps[1].retry.max_attempts",
        &["from 1 to 100, found 0"],
        "name = \"ask\"",
    );
}

#[test]
fn retry_from_a_step_that_is_not_an_ancestor() {
    let src = edit("max_attempts = 2 }", "from = \"delegate\" }");
    expect(
        &src,
        "workflow.w.steps[1].retry.from",
        &["step \"delegate\" is not an ancestor of \"ask\""],
        "name = \"ask\"",
    );
    // nor itself
    let src = edit("max_attempts = 2 }", "from = \"ask\" }");
    expect(
        &src,
        "workflow.w.steps[1].retry.from",
        &["cannot retry from itself"],
        "name = \"ask\"",
    );
}

#[test]
fn a_handler_with_after() {
    let src = edit(
        "kind = \"human\", pool = \"h\" }",
        "kind = \"human\", pool = \"h\", after = [\"fetch\"] }",
    );
    expect(
        &src,
        "workflow.w.steps[2].after",
        &[
            "step \"review\" is the on_failure handler of \"ask\"",
            "cannot have `after`",
        ],
        "name = \"review\"",
    );
    // and no step can come after a handler
    let src = edit("after = [\"ask\"]", "after = [\"review\"]");
    expect(
        &src,
        "workflow.w.steps[3].after[0]",
        &["on_failure handler of \"ask\"", "no step can come after it"],
        "name = \"delegate\"",
    );
}

#[test]
fn a_handler_shared_by_two_steps() {
    let src = edit(
        "{ name = \"delegate\", kind = \"call\", workflow = \"sub\", after = [\"ask\"] }",
        "{ name = \"delegate\", kind = \"call\", workflow = \"sub\", after = [\"ask\"], success_prob = 0.5, on_failure = \"review\" }",
    );
    expect(
        &src,
        "workflow.w.steps[3].on_failure",
        &[
            "step \"review\" is the on_failure handler of \"ask\", \"delegate\"",
            "give each step its own handler",
        ],
        "name = \"delegate\"",
    );
}

#[test]
fn handlers_that_form_a_cycle() {
    let src = edit(
        "kind = \"human\", pool = \"h\" }",
        "kind = \"human\", pool = \"h\", on_failure = \"extra\" },\n  { name = \"extra\", pool = \"p\", on_failure = \"review\" }",
    );
    expect(
        &src,
        "workflow.w.steps[3].on_failure",
        &["handlers form a cycle: review -> extra -> review"],
        "name = \"extra\"",
    );
}

#[test]
fn an_impossible_max_steps() {
    // fetch x3, ask, delegate (1) + sub's think (1): 6 attempts.
    let src = edit("[workflow.w]", "[workflow.w]\nmax_steps = 5");
    expect(
        &src,
        "workflow.w.max_steps",
        &["max_steps = 5 is below the 6 step attempts", "workflow `w`"],
        "max_steps",
    );
    let ok = edit("[workflow.w]", "[workflow.w]\nmax_steps = 6");
    scenario_from_str(&ok);
}

#[test]
fn an_impossible_max_tokens() {
    // ask 110 + sub's think 110.
    let src = edit("[workflow.w]", "[workflow.w]\nmax_tokens = 219");
    expect(
        &src,
        "workflow.w.max_tokens",
        &[
            "max_tokens = 219 is below the 220 LLM tokens",
            "workflow `w`",
        ],
        "max_tokens",
    );
    let ok = edit("[workflow.w]", "[workflow.w]\nmax_tokens = 220");
    scenario_from_str(&ok);
}

#[test]
fn a_pool_name_used_by_two_kinds() {
    let src = BASE.to_string()
        + "\n[human_pool.p]\nreviewers = 1\nservice = { dist = \"exponential\", mean_s = 1 }\n";
    expect(
        &src,
        "human_pool.p",
        &[
            "also a CPU pool",
            "unique across cpu_pool, gpu_pool and human_pool",
        ],
        "[human_pool.p]",
    );
    let src = BASE.to_string()
        + "\n[human_pool.g]\nreviewers = 1\nservice = { dist = \"exponential\", mean_s = 1 }\n";
    expect(&src, "human_pool.g", &["also a GPU pool"], "[human_pool.g]");
}

#[test]
fn bad_working_hours() {
    let src = edit("from = \"09:00\"", "from = \"25:00\"");
    expect(
        &src,
        "human_pool.h.working_hours.from",
        &["\"HH:MM\"", "found \"25:00\""],
        "working_hours",
    );
    let src = edit("to = \"17:00\"", "to = \"09:00\"");
    expect(
        &src,
        "human_pool.h.working_hours.to",
        &["after the opening time \"09:00\", found \"09:00\""],
        "working_hours",
    );
    let src = edit("\"tue\"]", "\"tues\"]");
    expect(
        &src,
        "human_pool.h.working_hours.days[1]",
        &["unknown day \"tues\"", "mon, tue, wed, thu, fri, sat, sun"],
        "working_hours",
    );
    let src = edit("from = \"09:00\"", "from = \"24:00\"");
    find(&problems(&src), "human_pool.h.working_hours.from");
}

#[test]
fn a_negative_cost_per_review() {
    let src = edit("cost_per_review_usd = 1.5", "cost_per_review_usd = -2");
    expect(
        &src,
        "human_pool.h.cost_per_review_usd",
        &[">= 0", "found -2"],
        "cost_per_review_usd",
    );
}

#[test]
fn a_prefix_cache_hit_above_one() {
    let src = edit(
        "gpu = \"h100-sxm\"",
        "gpu = \"h100-sxm\"\nprefix_cache_hit = 1.5",
    );
    expect(
        &src,
        "gpu_pool.g.prefix_cache_hit",
        &["[0, 1]", "found 1.5"],
        "prefix_cache_hit",
    );
}

#[test]
fn misplaced_and_malformed_fields() {
    let cases = [
        // route and pool together
        (
            edit(
                "kind = \"llm\", pool = \"g\", after",
                "kind = \"llm\", pool = \"g\", route = [{ pool = \"g\" }], after",
            ),
            "workflow.w.steps[1].route",
            "not both",
        ),
        // the last rule has a limit
        (
            edit(
                "kind = \"llm\", pool = \"g\", after",
                "kind = \"llm\", route = [{ max_input_tokens = 5, pool = \"g\" }], after",
            ),
            "workflow.w.steps[1].route[0].max_input_tokens",
            "leave out `max_input_tokens`",
        ),
        // weights must be > 0
        (
            edit(
                "kind = \"llm\", pool = \"g\", after",
                "kind = \"llm\", pool = { g = 0 }, after",
            ),
            "workflow.w.steps[1].pool.g",
            "weight > 0",
        ),
        // weights only for llm steps
        (
            edit("pool = \"p\", fanout = 3", "pool = { p = 1 }, fanout = 3"),
            "workflow.w.steps[0].pool",
            "table of weights is for `llm` steps",
        ),
        (
            edit(
                "pool = \"p\", fanout = 3",
                "pool = \"p\", fanout = 3, context = true",
            ),
            "workflow.w.steps[0].context",
            "is for `llm` steps",
        ),
        (
            edit(
                "output_tokens = 10, success",
                "output_tokens = 10, result_tokens = 5, success",
            ),
            "workflow.w.steps[1].result_tokens",
            "an `llm` step adds its own",
        ),
        (
            edit(
                "pool = \"p\", fanout = 3",
                "pool = \"p\", fanout = 3, result_tokens = \"trace\"",
            ),
            "workflow.w.steps[0].result_tokens",
            "cannot take its size from the trace",
        ),
        (
            edit(
                "pool = \"p\", fanout = 3",
                "pool = \"p\", fanout = 3, workflow = \"sub\"",
            ),
            "workflow.w.steps[0].workflow",
            "is for `call` steps",
        ),
        (
            edit("kind = \"call\"", "kind = \"agent\""),
            "workflow.w.steps[3].kind",
            "\"cpu\", \"delay\", \"llm\", \"human\", \"call\"",
        ),
        // counts
        (
            edit(
                "fanout = 3",
                "fanout = { dist = \"poisson\", mean = 20000 }",
            ),
            "workflow.w.steps[0].fanout.mean",
            "at most 10000",
        ),
        (
            edit(
                "fanout = 3",
                "fanout = { dist = \"geometric\", mean = 0.5 }",
            ),
            "workflow.w.steps[0].fanout.mean",
            "from 1 to 10000",
        ),
        (
            edit(
                "fanout = 3",
                "fanout = { dist = \"uniform\", min = 4, max = 2 }",
            ),
            "workflow.w.steps[0].fanout.max",
            "max >= min",
        ),
        (
            edit("fanout = 3", "fanout = { dist = \"binomial\", mean = 2 }"),
            "workflow.w.steps[0].fanout.dist",
            "constant, geometric, poisson, uniform",
        ),
        (
            edit("fanout = 3", "fanout = -1"),
            "workflow.w.steps[0].fanout",
            "from 0 to 1000000, found -1",
        ),
        (
            edit("fanout = 3", "fanout = 3, repeat = 10001"),
            "workflow.w.steps[0].repeat",
            "from 0 to 10000, found 10001",
        ),
        (
            edit("fanout = 3", "fanout = 3, repeat = { for_each = \"ask\" }"),
            "workflow.w.steps[0].repeat.for_each",
            "for `fanout` only",
        ),
        (
            edit("fanout = 3", "fanout = 3, join = \"any\""),
            "workflow.w.steps[0].join",
            "found \"any\"",
        ),
        (
            edit("fanout = 3", "fanout = 3, join = { first = 0 }"),
            "workflow.w.steps[0].join.first",
            "found 0",
        ),
        (
            edit("max_attempts = 2", "max_attempts = 2, backoff = \"soon\""),
            "workflow.w.steps[1].retry.backoff",
            "expected a duration",
        ),
        (
            edit("[workflow.w]", "[workflow.w]\nmax_steps = 0"),
            "workflow.w.max_steps",
            ">= 1, found 0",
        ),
        (
            edit("on_failure = \"review\"", "on_failure = \"ask\""),
            "workflow.w.steps[1].on_failure",
            "its own on_failure handler",
        ),
        (
            edit("reviewers = 2", "reviewers = 0"),
            "human_pool.h.reviewers",
            "from 1 to",
        ),
        (
            edit("service = { dist = \"exponential\", mean_s = 60 }\n", ""),
            "human_pool.h.service",
            "missing",
        ),
        (
            edit("days = [\"mon\", \"tue\"]", "days = []"),
            "human_pool.h.working_hours.days",
            "at least one day (one of",
        ),
        (
            edit("working_hours = { from", "working_hours = \"9-5\"\n#"),
            "human_pool.h.working_hours",
            "expected a table such as",
        ),
    ];
    for (src, path, needle) in cases {
        let ps = problems(&src);
        let p = find(&ps, path);
        assert!(p.message.contains(needle), "{path}: {}", p.message);
        assert!(p.line_col.is_some(), "{path}: no line");
    }
}

#[test]
fn every_workflow_problem_is_listed() {
    let src = edit("success_prob = 0.9", "success_prob = 2")
        .replacen("pool = \"p\"", "pool = \"q\"", 1)
        .replacen("workflow = \"sub\"", "workflow = \"nope\"", 1)
        .replacen("from = \"09:00\"", "from = \"9am\"", 1);
    let ps = problems(&src);
    for path in [
        "human_pool.h.working_hours.from",
        "workflow.w.steps[0].pool",
        "workflow.w.steps[1].success_prob",
        "workflow.w.steps[3].workflow",
    ] {
        find(&ps, path);
    }
}

#[test]
fn every_mistyped_field_of_every_step_is_reported() {
    let src = edit("fanout = 3", "fanout = 2.5, colour = 1").replacen(
        "output_tokens = 10, success",
        "output_tokens = 10, join = 5, success",
        1,
    );
    let ps = problems(&src);
    assert!(
        find(&ps, "workflow.w.steps[0].fanout")
            .message
            .contains("expected a count")
    );
    assert!(
        find(&ps, "workflow.w.steps[0].colour")
            .message
            .contains("unknown field `colour`")
    );
    assert!(
        find(&ps, "workflow.w.steps[1].join")
            .message
            .contains("expected a join")
    );
    // a rule that is not a table, a retry that is not a table
    let src = edit(
        "kind = \"llm\", pool = \"g\", after",
        "kind = \"llm\", route = [\"g\"], after",
    )
    .replacen("retry = { max_attempts = 2 }", "retry = 2", 1);
    let ps = problems(&src);
    assert!(
        find(&ps, "workflow.w.steps[1].route[0]")
            .message
            .contains("expected a rule table")
    );
    assert!(
        find(&ps, "workflow.w.steps[1].retry")
            .message
            .contains("expected a table such as { max_attempts")
    );
}
