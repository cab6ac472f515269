//! The agentic-workflow syntax parses into the expected spec: routes, counts, joins, retries
//! from earlier steps, handlers, calls, budgets, human pools with working hours.

use super::support::scenario_from_str;
use infersim::domain::{
    CountDist, Dist, Fanout, GpuPoolId, HumanPoolId, Join, OnFailure, Route, StepKind, StepSpec,
    TokenSource, WorkflowId, WorkflowSpec, WorkingHours,
};

/// The documented example, with the pools and called workflows it needs (and `read` after
/// `search`, which its `for_each` requires).
const FULL: &str = r#"[scenario]
horizon = "1h"

[arrivals.a]
workflow = "support"
rate_per_s = 0.1

[cpu_pool.retrieval]
servers = 4
service = { dist = "exponential", mean_s = 0.2 }

[cpu_pool.tools]
servers = 8
service = { dist = "exponential", mean_s = 0.5 }

[gpu_pool.small]
model = "llama-3.1-8b"
gpu = "h100-sxm"
prefix_cache_hit = 0.9

[gpu_pool.large]
model = "llama-3.1-70b"
gpu = "h100-sxm"
tensor_parallel = 4

[human_pool.reviewers]
reviewers = 4
service = { dist = "lognormal", mean_s = 300, cv = 0.8 }
cost_per_review_usd = 6.0
working_hours = { from = "09:00", to = "17:00", days = ["mon","tue","wed","thu","fri"] }

[workflow.subagent]
steps = [{ name = "think", kind = "llm", pool = "small", input_tokens = 500, output_tokens = 50 }]

[workflow.turn]
steps = [{ name = "reply", kind = "llm", pool = "small", input_tokens = 100, output_tokens = 20, context = true }]

[workflow.support]
deadline = "10m"
max_steps = 40
max_tokens = 200000
steps = [
  { name = "retrieve", pool = "retrieval", result_tokens = 1500 },
  { name = "answer", kind = "llm", pool = "small", after = ["retrieve"], input_tokens = 300, output_tokens = { dist = "lognormal", mean = 250, cv = 0.8 }, context = true, success_prob = 0.8, on_failure = "answer_large" },
  { name = "answer_large", kind = "llm", pool = "large", input_tokens = 300, output_tokens = 400, context = true },
  { name = "check", kind = "llm", pool = { small = 3, large = 1 }, after = ["answer"], input_tokens = 200, output_tokens = 20, success_prob = 0.9, retry = { max_attempts = 3, backoff = "2s", from = "answer" }, on_failure = "escalate" },
  { name = "escalate", kind = "human", pool = "reviewers" },
  { name = "route_demo", kind = "llm", route = [ { max_input_tokens = 4000, pool = "small" }, { pool = "large" } ], input_tokens = 100, output_tokens = 10 },
  { name = "search", kind = "call", workflow = "subagent", fanout = { dist = "poisson", mean = 3 }, join = { first = 2 } },
  { name = "read", kind = "cpu", pool = "tools", after = ["search"], fanout = { for_each = "search" }, join = { quorum = 2 } },
  { name = "turns", kind = "call", workflow = "turn", repeat = { dist = "geometric", mean = 9 } },
  { name = "wait_api", kind = "delay", duration = { dist = "exponential", mean_s = 1 }, success_prob = 0.95, retry = { max_attempts = 4, backoff = { dist = "exponential", mean_s = 0.5 } } },
]
"#;

fn step<'a>(w: &'a WorkflowSpec, name: &str) -> (u32, &'a StepSpec) {
    let i = w
        .steps
        .iter()
        .position(|s| s.name == name)
        .unwrap_or_else(|| panic!("no step {name}"));
    (i as u32, &w.steps[i])
}

fn fixed_tokens(t: &TokenSource) -> Option<u32> {
    match t {
        TokenSource::Dist { min, max, .. } if min == max => Some(*min),
        _ => None,
    }
}

#[test]
fn the_full_example_parses_into_the_expected_spec() {
    let s = scenario_from_str(FULL);
    // Pools sorted by name: large = 0, small = 1; workflows: subagent, support, turn.
    let (large, small) = (GpuPoolId(0), GpuPoolId(1));
    assert_eq!(s.gpu_pools[1].name, "small");
    assert_eq!(s.gpu_pools[1].prefix_cache_hit, 0.9);
    assert_eq!(s.gpu_pools[0].prefix_cache_hit, 0.0);
    let h = &s.human_pools[0];
    assert_eq!((h.name.as_str(), h.reviewers), ("reviewers", 4));
    assert_eq!(h.cost_per_review_usd, 6.0);
    assert_eq!(
        h.hours,
        Some(WorkingHours {
            from_s: 9 * 3600,
            to_s: 17 * 3600,
            days: [true, true, true, true, true, false, false],
        })
    );
    assert!(matches!(h.service, Dist::LogNormal { mean_s, cv } if mean_s == 300.0 && cv == 0.8));

    let names: Vec<&str> = s.workflows.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["subagent", "support", "turn"]);
    let w = &s.workflows[1];
    assert_eq!(s.arrivals[0].workflow, WorkflowId(1));
    assert_eq!(w.deadline.map(|d| d.as_secs_f64()), Some(600.0));
    assert_eq!(w.budget.max_steps, Some(40));
    assert_eq!(w.budget.max_tokens, Some(200_000));
    // Every step comes after its `after` steps and a handler after the step naming it; here
    // that is the file order.
    let order: Vec<&str> = w.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        order,
        [
            "retrieve",
            "answer",
            "answer_large",
            "check",
            "escalate",
            "route_demo",
            "search",
            "read",
            "turns",
            "wait_api"
        ]
    );
    assert_eq!(w.roots, [0, 5, 6, 8, 9], "handlers are not roots");
    assert_eq!(w.dag_steps, 8);

    let (_, retrieve) = step(w, "retrieve");
    assert!(matches!(retrieve.kind, StepKind::Cpu { pool, .. } if pool.0 == 0));
    assert_eq!(
        retrieve.result_tokens.as_ref().and_then(fixed_tokens),
        Some(1500)
    );
    assert_eq!(retrieve.successors, [1]);

    let (_, answer) = step(w, "answer");
    let StepKind::Llm {
        route,
        input,
        output,
        context,
    } = &answer.kind
    else {
        panic!("answer is an llm step: {:?}", answer.kind);
    };
    assert_eq!(*route, Route::Fixed(small));
    assert_eq!(fixed_tokens(input), Some(300));
    assert!(
        matches!(output, TokenSource::Dist { dist: Dist::LogNormal { mean_s, .. }, min: 1, .. } if *mean_s == 250.0)
    );
    assert!(*context);
    assert_eq!(answer.success_prob, 0.8);
    assert_eq!(answer.on_failure, OnFailure::Handler(2));
    assert_eq!(answer.retry.max_attempts, 1, "no retry table: one attempt");
    assert!(answer.retry.backoff.is_none() && answer.retry.from.is_none());
    assert!(answer.result_tokens.is_none());

    let (_, large_step) = step(w, "answer_large");
    assert!(large_step.handler);
    assert!(
        matches!(&large_step.kind, StepKind::Llm { route: Route::Fixed(p), .. } if *p == large)
    );
    assert_eq!(large_step.n_after, 0);

    let (check_i, check) = step(w, "check");
    assert!(
        matches!(&check.kind, StepKind::Llm { route: Route::Weighted(w), .. } if *w == vec![(large, 0.25), (small, 1.0)]),
        "{:?}",
        check.kind
    );
    assert_eq!(check.retry.max_attempts, 3);
    assert!(matches!(check.retry.backoff, Some(Dist::Deterministic { value_s }) if value_s == 2.0));
    assert_eq!(check.retry.from, Some(1));
    assert_eq!(check.rerun, [(1, 0), (check_i, 1)]);
    assert_eq!(check.on_failure, OnFailure::Handler(4));
    assert_eq!(check.join, Join::All);

    let (_, escalate) = step(w, "escalate");
    assert!(escalate.handler);
    assert!(
        matches!(&escalate.kind, StepKind::Human { pool: HumanPoolId(0), service: Dist::LogNormal { mean_s, .. } } if *mean_s == 300.0)
    );

    let (_, route_demo) = step(w, "route_demo");
    assert!(
        matches!(&route_demo.kind, StepKind::Llm { route: Route::Rule(r), .. } if *r == vec![(Some(4000), small), (None, large)])
    );

    let (search_i, search) = step(w, "search");
    assert!(matches!(
        search.kind,
        StepKind::Call {
            workflow: WorkflowId(0)
        }
    ));
    assert_eq!(
        search.fanout,
        Fanout::Count(CountDist::Poisson { mean: 3.0 })
    );
    assert_eq!(search.join, Join::First(2));

    let (_, read) = step(w, "read");
    assert_eq!(read.fanout, Fanout::ForEach(search_i));
    assert_eq!(read.join, Join::Quorum(2));
    assert_eq!(read.n_after, 1);

    let (_, turns) = step(w, "turns");
    assert!(matches!(
        turns.kind,
        StepKind::Call {
            workflow: WorkflowId(2)
        }
    ));
    assert_eq!(turns.repeat, CountDist::Geometric { mean: 9.0 });
    assert_eq!(turns.fanout, Fanout::Count(CountDist::Fixed(1)));

    let (_, wait) = step(w, "wait_api");
    assert!(
        matches!(wait.kind, StepKind::Delay { duration: Dist::Exponential { mean_s } } if mean_s == 1.0)
    );
    assert_eq!(wait.success_prob, 0.95);
    assert_eq!(wait.retry.max_attempts, 4);
    assert!(matches!(wait.retry.backoff, Some(Dist::Exponential { mean_s }) if mean_s == 0.5));
    assert!(wait.rerun.is_empty());

    let turn = &s.workflows[2];
    assert!(matches!(
        turn.steps[0].kind,
        StepKind::Llm { context: true, .. }
    ));
}

#[test]
fn steps_are_renumbered_and_references_follow() {
    // Listed backwards: every reference must follow the topological renumbering.
    let src = r#"[scenario]
horizon = "1h"

[arrivals.a]
workflow = "w"
rate_per_s = 1

[cpu_pool.p]
servers = 2
service = { dist = "exponential", mean_s = 0.1 }

[workflow.w]
steps = [
  { name = "fix", pool = "p" },
  { name = "validate", pool = "p", after = ["per_item"], success_prob = 0.5, retry = { from = "draft" }, on_failure = "fix" },
  { name = "per_item", pool = "p", after = ["draft", "split"], fanout = { for_each = "split" } },
  { name = "draft", pool = "p", after = ["split"] },
  { name = "split", pool = "p", fanout = { dist = "uniform", min = 2, max = 4 }, repeat = 2 },
]
"#;
    let s = scenario_from_str(src);
    let w = &s.workflows[0];
    let order: Vec<&str> = w.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["split", "draft", "per_item", "validate", "fix"]);
    assert_eq!(w.roots, [0]);
    assert_eq!(w.dag_steps, 4);
    assert_eq!(
        w.steps[0].fanout,
        Fanout::Count(CountDist::Uniform { min: 2, max: 4 })
    );
    assert_eq!(w.steps[0].repeat, CountDist::Fixed(2));
    let mut next = w.steps[0].successors.clone();
    next.sort_unstable();
    assert_eq!(next, [1, 2]);
    assert_eq!(w.steps[2].fanout, Fanout::ForEach(0));
    assert_eq!(w.steps[2].n_after, 2);
    let v = &w.steps[3];
    assert_eq!(
        v.retry.max_attempts, 3,
        "a retry table defaults to 3 attempts"
    );
    assert_eq!(v.retry.from, Some(1));
    // draft (nothing before it inside the chain), per_item (after draft), validate.
    assert_eq!(v.rerun, [(1, 0), (2, 1), (3, 1)]);
    assert_eq!(v.on_failure, OnFailure::Handler(4));
    assert!(w.steps[4].handler);
}

#[test]
fn count_and_join_forms() {
    let base = r#"[scenario]
horizon = "1h"

[arrivals.a]
workflow = "w"
rate_per_s = 1

[cpu_pool.p]
servers = 2
service = { dist = "exponential", mean_s = 0.1 }

[workflow.w]
steps = [{ name = "s", pool = "p", FIELDS }]
"#;
    let cases = [
        ("fanout = 0", CountDist::Fixed(0)),
        (
            "fanout = { dist = \"constant\", value = 5 }",
            CountDist::Fixed(5),
        ),
        (
            "fanout = { dist = \"geometric\", mean = 1 }",
            CountDist::Geometric { mean: 1.0 },
        ),
        (
            "fanout = { dist = \"poisson\", mean = 10000 }",
            CountDist::Poisson { mean: 10000.0 },
        ),
        (
            "fanout = { dist = \"uniform\", min = 0, max = 3 }, join = \"all\"",
            CountDist::Uniform { min: 0, max: 3 },
        ),
    ];
    for (fields, want) in cases {
        let s = scenario_from_str(&base.replace("FIELDS", fields));
        assert_eq!(
            s.workflows[0].steps[0].fanout,
            Fanout::Count(want),
            "{fields}"
        );
    }
    let s = scenario_from_str(&base.replace("FIELDS", "repeat = 0, success_prob = 0"));
    let st = &s.workflows[0].steps[0];
    assert_eq!(st.repeat, CountDist::Fixed(0));
    assert_eq!(st.success_prob, 0.0);
    let s = scenario_from_str(&base.replace(
        "FIELDS",
        "fanout = 3, join = { first = 5 }, retry = { max_attempts = 1, backoff = 0.25 }",
    ));
    let st = &s.workflows[0].steps[0];
    assert_eq!(st.join, Join::First(5));
    assert_eq!(st.retry.max_attempts, 1);
    assert!(matches!(st.retry.backoff, Some(Dist::Deterministic { value_s }) if value_s == 0.25));
}

#[test]
fn working_hours_default_to_every_day_and_may_end_at_midnight() {
    let src = r#"[scenario]
horizon = "1h"

[arrivals.a]
workflow = "w"
rate_per_s = 1

[human_pool.h]
reviewers = 1
service = { dist = "exponential", mean_s = 60 }
working_hours = { from = "8:30", to = "24:00" }

[workflow.w]
steps = [{ name = "review", kind = "human", pool = "h", service = { dist = "deterministic", mean_s = 30 } }]
"#;
    let s = scenario_from_str(src);
    let h = &s.human_pools[0];
    assert_eq!(
        h.hours,
        Some(WorkingHours {
            from_s: 8 * 3600 + 30 * 60,
            to_s: 86_400,
            days: [true; 7],
        })
    );
    assert_eq!(h.cost_per_review_usd, 0.0);
    assert!(matches!(
        s.workflows[0].steps[0].kind,
        StepKind::Human { service: Dist::Deterministic { value_s }, .. } if value_s == 30.0
    ));
}
