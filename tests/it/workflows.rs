//! Agentic workflows at run time: retries, loops, fan-out and joins, cascades, calls,
//! context, budgets, reviewer hours, and the conservation and accounting identities.
//! Statistical tests state their seed (in the scenario text) and tolerance.

use crate::support::{assert_oracle, run, scenario_from_str, stat, summary};
use infersim::metrics::{Metric, ReplicationResult};
use infersim::run::{NoProgress, run_replication};

fn run1(src: &str) -> ReplicationResult {
    let s = scenario_from_str(src);
    let mut r = run_replication(&s, 0, &NoProgress).expect("runs");
    // Workflows are sorted by name; the tests' tasks are of workflow `w`: put it first.
    let w = s
        .workflows
        .iter()
        .position(|w| w.name == "w")
        .expect("workflow w");
    r.workflows.swap(0, w);
    r
}

/// One Poisson process of `rate` tasks/s of workflow `w` with `n` arrivals, drained.
fn arrivals(rate: f64, n: u64, seed: u64, reps: u32) -> String {
    format!(
        "[scenario]\nseed = {seed}\nreplications = {reps}\ndrain = true\n\n[arrivals.a]\nworkflow = \"w\"\nprocess = \"poisson\"\nrate_per_s = {rate}\nmax_arrivals = {n}\n\n"
    )
}

#[test]
fn retries_give_the_truncated_geometric_mean_of_attempts() {
    // Success p = 0.6 per attempt, at most n = 3: mean attempts (1 - 0.4^3) / 0.6 = 1.56,
    // and a share 0.4^3 = 0.064 of tasks fails (retries_exhausted). Seed 11, 5 x 40,000 tasks;
    // the half-widths must be below 1 % and 6 % of the exact values.
    let src = arrivals(10.0, 40_000, 11, 5)
        + "[workflow.w]\nsteps = [ { name = \"call\", kind = \"delay\", duration = { dist = \"exponential\", mean_s = 0.1 }, success_prob = 0.6, retry = { max_attempts = 3, backoff = \"1s\" } } ]\n";
    let s = scenario_from_str(&src);
    let rows = summary(&s);
    let exact = (1.0 - 0.4f64.powi(3)) / 0.6;
    assert_oracle(
        "attempts per run",
        stat(&rows, "step:w.call", Metric::AttemptsPerRun, "mean"),
        exact,
        0.01,
    );
    let (failed, h) = stat(&rows, "all", Metric::TasksFailedRetriesExhausted, "total");
    assert_oracle(
        "failed share",
        (failed / 40_000.0, h / 40_000.0),
        0.064,
        0.06,
    );
    // Backoff: each retry waits 1 s, so a task's latency is at least 1 s per retry.
    let (lat, _) = stat(&rows, "all", Metric::TaskLatencyS, "mean");
    assert!(lat > (exact - 1.0) * 1.0, "{lat}");
}

#[test]
fn a_geometric_loop_runs_its_mean_count() {
    // repeat ~ geometric with mean 4 on {1, 2, …}: 4 runs per task on average. Seed 5,
    // 3 x 30,000 tasks, half-width below 2 %.
    let src = arrivals(5.0, 30_000, 5, 3)
        + "[workflow.w]\nsteps = [ { name = \"turn\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 0.5 }, repeat = { dist = \"geometric\", mean = 4 } } ]\n";
    let rows = summary(&scenario_from_str(&src));
    assert_oracle(
        "loop count",
        stat(&rows, "step:w.turn", Metric::AttemptsPerRun, "mean"),
        4.0,
        0.02,
    );
    // Runs are sequential: the task takes 0.5 s per run, exactly.
    assert_oracle(
        "loop latency",
        stat(&rows, "all", Metric::TaskLatencyS, "mean"),
        2.0,
        0.02,
    );
}

#[test]
fn fan_out_with_deterministic_times_joins_exactly() {
    // Five copies of 1 s on a pool of 2 servers: 3 waves, the task takes exactly 3 s; with a
    // delay step (no resource) 1 s. One task at a time (arrivals 100 s apart).
    for (kind, expect) in [("pool = \"p\"", 3.0), ("kind = \"delay\"", 1.0)] {
        let src = format!(
            "[scenario]\nseed = 1\n[arrivals.a]\nworkflow = \"w\"\nprocess = \"renewal\"\ninterarrival = {{ dist = \"deterministic\", mean_s = 100 }}\nmax_arrivals = 20\n\n[cpu_pool.p]\nservers = 2\n\n[workflow.w]\nsteps = [ {{ name = \"s\", {kind}, service = {{ dist = \"deterministic\", mean_s = 1 }}, fanout = 5 }} ]\n"
        )
        .replace(
            "kind = \"delay\", service",
            "kind = \"delay\", duration",
        );
        let r = run1(&src);
        let w = &r.workflows[0];
        assert_eq!(w.completed, 20);
        assert_eq!(w.latency.mean_s(), Some(expect), "{kind}");
        assert_eq!(w.latency.max_s(), Some(expect), "{kind}");
    }
}

/// The k-th harmonic number.
fn harmonic(k: u32) -> f64 {
    (1..=k).map(|i| 1.0 / f64::from(i)).sum()
}

#[test]
fn fan_out_joins_at_the_maximum_and_first_k_at_the_kth_order_statistic() {
    // K = 4 exponential(1) copies on no resource: join all ends at E[max] = H_4 = 2.0833;
    // first 1 at E[min] = 1/4; first 2 at 1/4 + 1/3. Seed 9, 3 x 40,000 tasks, half-widths
    // below 2 %.
    for (join, exact) in [
        ("\"all\"", harmonic(4)),
        ("{ first = 1 }", 0.25),
        ("{ first = 2 }", 0.25 + 1.0 / 3.0),
        ("{ quorum = 1 }", harmonic(4)),
    ] {
        let src = arrivals(20.0, 40_000, 9, 3)
            + &format!(
                "[workflow.w]\nsteps = [ {{ name = \"s\", kind = \"delay\", duration = {{ dist = \"exponential\", mean_s = 1 }}, fanout = 4, join = {join} }} ]\n"
            );
        let rows = summary(&scenario_from_str(&src));
        assert_oracle(
            &format!("join {join}"),
            stat(&rows, "all", Metric::TaskLatencyS, "mean"),
            exact,
            0.02,
        );
    }
}

#[test]
fn fork_join_queues_match_the_nelson_tantawi_approximation() {
    // A task forks into K = 4 copies, each on its own M/M/1 queue (μ = 1, λ = 0.5, ρ = 0.5),
    // and joins on all. Nelson & Tantawi (1988): R_K ≈ [H_K/H_2 + 4/11 (1 − H_K/H_2) ρ]
    // (12 − ρ)/8 · 1/(μ − λ), accurate to a few per cent for K <= 32. Here 3.790 s. Seed 21,
    // 4 x 200,000 tasks; the estimate must be within 5 % (the tolerance) and its
    // half-width below 1 %.
    let k = 4;
    let rho: f64 = 0.5;
    let r1 = 1.0 / (1.0 - 0.5);
    let hk = harmonic(k) / harmonic(2);
    let exact = (hk + 4.0 / 11.0 * (1.0 - hk) * rho) * (12.0 - rho) / 8.0 * r1;
    let mut src = arrivals(0.5, 200_000, 21, 4);
    let mut steps = Vec::new();
    for i in 0..k {
        src += &format!(
            "[cpu_pool.q{i}]\nservers = 1\nservice = {{ dist = \"exponential\", mean_s = 1 }}\n\n"
        );
        steps.push(format!("{{ name = \"c{i}\", pool = \"q{i}\" }}"));
    }
    src += &format!("[workflow.w]\nsteps = [ {} ]\n", steps.join(", "));
    let rows = summary(&scenario_from_str(&src));
    let (est, h) = stat(&rows, "all", Metric::TaskLatencyS, "mean");
    assert!(h < 0.01 * exact, "half-width {h}");
    assert!(
        (est / exact - 1.0).abs() < 0.05,
        "fork-join mean {est} ± {h} vs Nelson–Tantawi {exact}"
    );
}

const POOLS: &str = "[gpu_pool.small]\nmodel = \"llama-3.1-8b\"\ngpu = \"h100-sxm\"\ntensor_parallel = 2\n\n[gpu_pool.large]\nmodel = \"llama-3.1-70b\"\ngpu = \"h100-sxm\"\ntensor_parallel = 4\n\n";

#[test]
fn a_cascade_sends_the_failed_share_to_the_large_model() {
    // The small model succeeds with p = 0.7; its failures fall back to the large model: a
    // share 0.3 of tasks. Seed 4, 5 x 8,000 tasks; binomial half-width about 2 % of 0.3.
    let src = arrivals(2.0, 8_000, 4, 5)
        + POOLS
        + "[workflow.w]\nsteps = [\n { name = \"small\", kind = \"llm\", pool = \"small\", input_tokens = 50, output_tokens = 5, success_prob = 0.7, on_failure = \"large\" },\n { name = \"large\", kind = \"llm\", pool = \"large\", input_tokens = 50, output_tokens = 5 },\n]\n";
    let s = scenario_from_str(&src);
    let rows = summary(&s);
    let (large, h) = stat(&rows, "pool:large", Metric::CallsArrived, "total");
    assert_oracle("cascade share", (large / 8000.0, h / 8000.0), 0.3, 0.04);
    let (small, _) = stat(&rows, "pool:small", Metric::CallsArrived, "total");
    assert_eq!(small, 8000.0, "every task tries the small model once");
    let (ok, _) = stat(&rows, "all", Metric::TasksSucceeded, "total");
    assert_eq!(ok, 8000.0, "the large model always succeeds");
}

#[test]
fn a_failed_validation_reruns_the_answer_then_escalates() {
    // check never passes (p = 0): the chain answer -> check runs 3 times, then the human
    // review takes over and the task succeeds. Deterministic: exact counts.
    let src = "[scenario]\nseed = 2\n[arrivals.a]\nworkflow = \"w\"\nprocess = \"renewal\"\ninterarrival = { dist = \"deterministic\", mean_s = 100 }\nmax_arrivals = 50\n\n".to_string()
        + "[human_pool.h]\nreviewers = 1\nservice = { dist = \"deterministic\", mean_s = 10 }\n\n"
        + "[workflow.w]\nsteps = [\n { name = \"prep\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 1 } },\n { name = \"answer\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 2 }, after = [\"prep\"] },\n { name = \"check\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 1 }, after = [\"answer\"], success_prob = 0, retry = { max_attempts = 3, from = \"answer\" }, on_failure = \"review\" },\n { name = \"review\", kind = \"human\", pool = \"h\" },\n]\n";
    let r = run1(&src);
    let w = &r.workflows[0];
    let by = |name: &str| {
        let i = scenario_from_str(&src).workflows[0]
            .steps
            .iter()
            .position(|s| s.name == name)
            .unwrap();
        w.steps[i].clone()
    };
    assert_eq!(w.succeeded, 50);
    assert_eq!(by("prep").attempts, 50, "prep is not re-run");
    assert_eq!(
        by("answer").attempts,
        150,
        "answer runs once per check attempt"
    );
    assert_eq!(by("check").attempts, 150);
    assert_eq!(by("check").failed, 50);
    assert_eq!(by("review").attempts, 50);
    assert_eq!(w.usage.reviews, 50);
    // Tasks do not overlap: each takes 1 + 3 x (2 + 1) + 10 = 20 s.
    assert_eq!(w.latency.mean_s(), Some(20.0));
    assert_eq!(w.latency.max_s(), Some(20.0));
}

#[test]
fn tasks_are_conserved_and_gpu_time_is_fully_accounted() {
    // A workflow with everything at once, cut at the horizon (not drained): started =
    // succeeded + failed + in flight. Then drained: the tasks' GPU seconds add up to the
    // replicas' busy time x GPUs, and their calls and tokens to the pools' counts.
    let wf = "[workflow.w]\ndeadline = \"30s\"\nmax_tokens = 60000\nsteps = [\n { name = \"plan\", kind = \"llm\", pool = { small = 1, large = 1 }, input_tokens = { dist = \"lognormal\", mean = 800, cv = 1 }, output_tokens = 100, context = true, success_prob = 0.9, retry = { max_attempts = 2 } },\n { name = \"sub\", kind = \"call\", workflow = \"s\", fanout = { dist = \"poisson\", mean = 2 }, join = { first = 1 }, after = [\"plan\"] },\n { name = \"loop\", kind = \"call\", workflow = \"s\", repeat = { dist = \"geometric\", mean = 3 }, after = [\"plan\"], success_prob = 0.95 },\n]\n\n[workflow.s]\nsteps = [\n { name = \"think\", kind = \"llm\", route = [ { max_input_tokens = 3000, pool = \"small\" }, { pool = \"large\" } ], input_tokens = 200, output_tokens = { dist = \"exponential\", mean = 150 }, context = true },\n { name = \"tool\", kind = \"delay\", duration = { dist = \"exponential\", mean_s = 0.5 }, result_tokens = 400, after = [\"think\"], success_prob = 0.8 },\n]\n";
    let pools = POOLS.replace(
        "tensor_parallel = 2\n",
        "tensor_parallel = 2\nprefix_cache_hit = 0.8\n",
    );
    let cut = format!(
        "[scenario]\nseed = 8\nhorizon = \"10m\"\n[arrivals.a]\nworkflow = \"w\"\nprocess = \"poisson\"\nrate_per_s = 4\n\n{pools}{wf}"
    );
    let r = run1(&cut);
    let w = &r.workflows[0];
    let failed: u64 = w.failed.iter().sum();
    assert!(w.started > 2000, "{}", w.started);
    assert!(w.in_flight_at_end > 0 && failed > 0 && w.succeeded > 0);
    assert!(w.failed[2] > 0, "some tasks run out of tokens");
    assert_eq!(w.started, w.succeeded + failed + w.in_flight_at_end);
    assert_eq!(w.completed, w.succeeded + failed);

    let drained = cut.replace("horizon = \"10m\"", "horizon = \"10m\"\ndrain = true");
    let r = run1(&drained);
    let w = &r.workflows[0];
    assert_eq!(w.in_flight_at_end, 0);
    assert_eq!(w.finished, w.started, "every task's record released");
    let mut busy_gpu_s = 0.0;
    let mut rounding = 0.0;
    let (mut calls, mut output, mut cached) = (0, 0, 0);
    for (p, tp) in r.gpu_pools.iter().zip([4.0, 2.0]) {
        busy_gpu_s += p.busy_integral as f64 / 1e9 * tp;
        rounding += p.calls.iterations as f64 * 1e-9 * tp;
        calls += p.calls.completed;
        output += p.calls.output_tokens;
        cached += p.cached_tokens;
    }
    assert!(
        (busy_gpu_s - w.usage.gpu_s).abs() <= rounding,
        "busy {busy_gpu_s} GPU-s vs tasks {} GPU-s",
        w.usage.gpu_s
    );
    assert_eq!(w.usage.llm_calls, calls);
    assert_eq!(w.usage.output_tokens, output);
    assert_eq!(w.usage.cached_tokens, cached);
    assert!(cached > 0, "the carried context hits the prefix cache");
}

#[test]
fn a_deadline_miss_is_a_failure_and_a_step_budget_stops_a_loop() {
    // 5 s of work against a 4 s deadline: every task fails (deadline).
    let src = arrivals(0.1, 30, 1, 1)
        + "[workflow.w]\ndeadline = \"4s\"\nsteps = [ { name = \"d\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 5 } } ]\n";
    let r = run1(&src);
    assert_eq!(r.workflows[0].failed, [30, 0, 0]);
    assert_eq!(r.workflows[0].succeeded, 0);
    // A step that never succeeds, with 10 attempts, against max_steps = 6: each task fails
    // (budget) when it would start its 7th attempt.
    let src = arrivals(0.1, 30, 1, 1)
        + "[workflow.w]\nmax_steps = 6\nsteps = [ { name = \"d\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 1 }, success_prob = 0, retry = { max_attempts = 10 } } ]\n";
    let r = run1(&src);
    assert_eq!(r.workflows[0].failed, [0, 0, 30]);
    assert_eq!(r.workflows[0].usage.attempts, 30 * 6);
    assert_eq!(r.workflows[0].latency.max_s(), Some(6.0));
}

#[test]
fn reviews_wait_for_working_hours() {
    // Time 0 is Monday 00:00; reviewers work 09:00-17:00 on weekdays. A review asked for at
    // 01:00 starts at 09:00 and takes 1 h; one asked for on Saturday waits until Monday.
    let src = "[scenario]\nseed = 1\ndrain = true\n[arrivals.a]\nworkflow = \"w\"\nprocess = \"renewal\"\ninterarrival = { dist = \"deterministic\", mean_s = 3600 }\nmax_arrivals = 1\n\n[human_pool.h]\nreviewers = 1\nservice = { dist = \"deterministic\", mean_s = 3600 }\nworking_hours = { from = \"09:00\", to = \"17:00\", days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"] }\n\n[workflow.w]\nsteps = [ { name = \"r\", kind = \"human\", pool = \"h\" } ]\n";
    let r = run1(src);
    assert_eq!(r.workflows[0].latency.max_s(), Some(9.0 * 3600.0));
    let sat = src.replace(
        "mean_s = 3600 }\nmax_arrivals",
        "mean_s = 442800 }\nmax_arrivals",
    );
    // 442,800 s = Saturday 03:00; Monday 09:00 (637,200 s) is 194,400 s later, plus the
    // 1 h review.
    let r = run1(&sat);
    assert_eq!(r.workflows[0].latency.max_s(), Some(194_400.0 + 3600.0));
    // The same on the clock of a `start`: 2026-03-06 is a Friday; at 16:30 + 1 h (the first
    // arrival) the office has closed, and opens on Monday 09:00: 2 days 15.5 h later.
    let fri = src.replace("seed = 1\n", "seed = 1\nstart = \"2026-03-06T16:30\"\n");
    let r = run1(&fri);
    assert_eq!(
        r.workflows[0].latency.max_s(),
        Some((2.0 * 24.0 + 15.5) * 3600.0 + 3600.0)
    );
}

#[test]
fn context_grows_over_a_loop_and_the_prefix_cache_serves_it() {
    // Each turn sends 100 new tokens plus the context (earlier prompts, outputs of 50 and
    // tool results of 200): turn i's prompt is 100 + 350 (i - 1). With 3 turns: prompts
    // 100, 450, 800 = 1350 tokens per task, of which a share 0.5 of the carried 0 + 350 + 700
    // = 1050 is cached: 525.
    let src = arrivals(0.5, 20, 3, 1)
        + POOLS
            .replace(
                "tensor_parallel = 2\n",
                "tensor_parallel = 2\nprefix_cache_hit = 0.5\n",
            )
            .as_str()
        + "[workflow.w]\nsteps = [ { name = \"turns\", kind = \"call\", workflow = \"t\", repeat = 3 } ]\n\n[workflow.t]\nsteps = [\n { name = \"think\", kind = \"llm\", pool = \"small\", input_tokens = 100, output_tokens = 50, context = true },\n { name = \"tool\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 0.1 }, result_tokens = 200, after = [\"think\"] },\n]\n";
    let r = run1(&src);
    let u = &r.workflows[0].usage;
    assert_eq!(u.llm_calls, 60);
    assert_eq!(u.input_tokens, 20 * 1350);
    assert_eq!(u.cached_tokens, 20 * 525);
    assert_eq!(u.tool_calls, 60);
}

#[test]
fn the_same_seed_gives_the_same_agentic_run_on_any_thread_count() {
    let src = arrivals(3.0, 3_000, 13, 3)
        + POOLS
        + "[workflow.w]\nsteps = [\n { name = \"a\", kind = \"llm\", pool = { small = 2, large = 1 }, input_tokens = 300, output_tokens = 40, success_prob = 0.8, on_failure = \"b\" },\n { name = \"b\", kind = \"llm\", pool = \"large\", input_tokens = 300, output_tokens = 40 },\n { name = \"f\", kind = \"delay\", duration = { dist = \"exponential\", mean_s = 1 }, fanout = { dist = \"uniform\", min = 1, max = 4 }, join = { quorum = 2 }, success_prob = 0.7, after = [\"a\"] },\n]\n";
    let s = scenario_from_str(&src);
    let one = infersim::run::run_replications(&s, Some(1), &NoProgress).unwrap();
    let two = run(&s);
    let key = |rs: &[ReplicationResult]| {
        rs.iter()
            .map(|r| {
                let w = &r.workflows[0];
                (
                    r.events,
                    w.succeeded,
                    w.failed,
                    w.usage.attempts,
                    w.latency.sum_ns(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&one), key(&two));
}

// ---- Reproducers of bugs found in review, now fixed or rejected with a clear error. ----

/// Drains `src` (one replication) and checks that every task ended and was released.
fn assert_drained_cleanly(src: &str) -> ReplicationResult {
    let r = run1(src);
    let w = &r.workflows[0];
    let failed: u64 = w.failed.iter().sum();
    assert_eq!(w.started, w.succeeded + failed + w.in_flight_at_end);
    assert_eq!(
        w.in_flight_at_end, 0,
        "a drained run leaves no task in flight"
    );
    assert_eq!(
        w.finished, w.started,
        "every task's record is released after a drain"
    );
    r
}

/// The one problem of a scenario that must be rejected.
fn rejection(src: &str) -> String {
    match infersim::scenario::parse_str(src, std::path::Path::new("inline.toml")) {
        Ok(_) => panic!("the scenario should be rejected"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_handler_reached_through_another_handler_is_not_shared() {
    // x -> h1 -> h2 and y -> h2: h2 could be asked to stand in for x and y at once.
    let msg = rejection(include_str!(
        "../data/workflows/shared_handler_via_chain.toml"
    ));
    assert!(
        msg.contains("step \"h2\" is the on_failure handler of \"x\", \"y\"")
            && msg.contains("give each step its own handler"),
        "{msg}"
    );
}

#[test]
fn overlapping_retry_from_chains_are_rejected() {
    // d1 and d2 both retry from `a`; then chains a-b-d1 and a-b-d2 through a shared step.
    for f in [
        include_str!("../data/workflows/overlapping_retry_from.toml"),
        include_str!("../data/workflows/overlapping_retry_from_shared_middle.toml"),
    ] {
        let msg = rejection(f);
        assert!(
            msg.contains("retry.from chains of \"d1\" and \"d2\" share step")
                && msg.contains("may not overlap"),
            "{msg}"
        );
    }
}

#[test]
fn a_long_chain_of_steps_with_nothing_to_do_does_not_exhaust_the_stack() {
    // 5,000 steps in a row, each with a fan-out of 0 (and a last one that takes 1 s): each
    // finishes at once, through the event list.
    let mut steps = vec!["{ name = \"s0\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 1 }, fanout = 0 }".to_string()];
    for i in 1..5000 {
        steps.push(format!(
            "{{ name = \"s{i}\", kind = \"delay\", duration = {{ dist = \"deterministic\", mean_s = 1 }}, fanout = {}, after = [\"s{}\"] }}",
            if i == 4999 { 1 } else { 0 },
            i - 1
        ));
    }
    let src =
        arrivals(1.0, 3, 1, 1) + &format!("[workflow.w]\nsteps = [\n{}\n]\n", steps.join(",\n"));
    let r = assert_drained_cleanly(&src);
    assert_eq!(r.workflows[0].latency.max_s(), Some(1.0));
}

#[test]
fn expected_visits_are_linear_in_a_diamond_of_calls() {
    // 40 levels, each workflow calling the next twice: 2^40 call paths, but the expected
    // visits (offered load) sum per workflow: 2^39 visits of the last level's step.
    let mut src = arrivals(1.0, 1, 1, 1)
        + "[cpu_pool.p]\nservers = 1\nservice = { dist = \"deterministic\", mean_s = 1 }\n\n[workflow.w]\nsteps = [ { name = \"a\", kind = \"call\", workflow = \"c1\" }, { name = \"b\", kind = \"call\", workflow = \"c1\" } ]\n";
    for i in 1..40 {
        src += &format!(
            "[workflow.c{i}]\nsteps = [ {{ name = \"a\", kind = \"call\", workflow = \"c{0}\" }}, {{ name = \"b\", kind = \"call\", workflow = \"c{0}\" }} ]\n",
            i + 1
        );
    }
    src += "[workflow.c40]\nsteps = [ { name = \"t\", pool = \"p\" } ]\n";
    let s = scenario_from_str(&src);
    let w = s.workflows.iter().position(|w| w.name == "w").unwrap();
    let visits = s.expected_visits(infersim::domain::WorkflowId(w as u32));
    let c40 = s.workflows.iter().position(|w| w.name == "c40").unwrap();
    let tool = visits
        .iter()
        .find(|(wf, _, _)| wf.0 as usize == c40)
        .expect("the last level is reached");
    assert_eq!(tool.2, 2f64.powi(40));
    assert_eq!(visits.len(), 2 * 40 + 1, "one entry per step reached");
}

#[test]
fn a_budget_hit_by_leftover_copies_after_success_still_releases_the_task() {
    // first = 1 of 3 subagent calls: the task succeeds, the leftovers run on and one would
    // go over max_steps. The task must stay a success, and after the drain every task is
    // released and the tasks' GPU seconds add up to the pools' busy time
    // (tests/data/workflows/budget_after_success_leak.toml).
    let src = include_str!("../data/workflows/budget_after_success_leak.toml");
    let r = assert_drained_cleanly(src);
    let w = &r.workflows[0];
    let busy: f64 = r
        .gpu_pools
        .iter()
        .map(|p| p.busy_integral as f64 / 1e9)
        .sum();
    let rounding: f64 = r
        .gpu_pools
        .iter()
        .map(|p| p.calls.iterations as f64 * 1e-9)
        .sum();
    assert!(
        (busy - w.usage.gpu_s).abs() <= rounding,
        "busy {busy} GPU-s vs tasks {} GPU-s",
        w.usage.gpu_s
    );
}

#[test]
fn retry_from_counts_one_run_with_several_attempts() {
    // check (retry.from = answer, 3 attempts, never passes) becomes ready once per task and
    // fails for good once: step_runs should be 50 and attempts/run 3, as for a plain retry;
    // the runtime counts every re-run as a new run (150) with 1 attempt each
    // (tests/data/workflows/retry_from_counts.toml).
    let src = include_str!("../data/workflows/retry_from_counts.toml");
    let s = scenario_from_str(src);
    let i = s.workflows[0]
        .steps
        .iter()
        .position(|x| x.name == "check")
        .unwrap();
    let r = run1(src);
    let check = &r.workflows[0].steps[i];
    assert_eq!(check.attempts, 150);
    assert_eq!(check.failed, 50);
    assert_eq!(check.runs, 50, "the step became ready 50 times");
}

#[test]
fn a_quorum_join_waits_for_every_copy_even_when_it_fails() {
    // README: `join = { quorum = k }` ends "when every copy has ended". Two copies that
    // always fail, uniform(0, 10) s: the run should end at the max (mean 6.67 s); the
    // runtime fails it at the first failure (the min, 3.33 s) (tests/data/workflows/quorum_fails_early.toml).
    let src = include_str!("../data/workflows/quorum_fails_early.toml");
    let r = run1(src);
    let mean = r.workflows[0].latency.mean_s().unwrap();
    assert!((mean - 20.0 / 3.0).abs() < 0.2, "mean latency {mean} s");
}

#[test]
fn a_re_run_step_that_falls_back_to_its_handler_counts_once() {
    // b always fails and its handler h takes over (2 s in all); c always fails and retries
    // from b, 3 attempts: b runs 3 times but became ready once per task. One task at a
    // time (arrivals 100 s apart).
    let src = "[scenario]\nseed = 1\n[arrivals.a]\nworkflow = \"w\"\nprocess = \"renewal\"\ninterarrival = { dist = \"deterministic\", mean_s = 100 }\nmax_arrivals = 20\n\n[workflow.w]\nsteps = [\n { name = \"b\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 1 }, success_prob = 0, on_failure = \"h\" },\n { name = \"h\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 1 } },\n { name = \"c\", kind = \"delay\", duration = { dist = \"deterministic\", mean_s = 1 }, after = [\"b\"], success_prob = 0, retry = { max_attempts = 3, from = \"b\" } },\n]\n";
    let s = scenario_from_str(src);
    let r = run1(src);
    let step = |name: &str| {
        let i = s.workflows[0]
            .steps
            .iter()
            .position(|x| x.name == name)
            .unwrap();
        r.workflows[0].steps[i].clone()
    };
    let (b, h, c) = (step("b"), step("h"), step("c"));
    assert_eq!((b.runs, b.failed, b.succeeded), (20, 20, 20));
    assert_eq!(b.latency.count(), 20);
    assert_eq!(
        b.latency.mean_s(),
        Some(2.0),
        "b's first run: 1 s + its handler 1 s"
    );
    assert_eq!(b.attempts, 60);
    assert_eq!(
        (h.runs, h.attempts),
        (60, 60),
        "the handler ran for each of b's runs"
    );
    assert_eq!((c.runs, c.attempts, c.failed), (20, 60, 20));
    assert_eq!(r.workflows[0].failed, [0, 20, 0]);
    // 3 x (b 1 s + h 1 s + c 1 s) = 9 s.
    assert_eq!(r.workflows[0].latency.mean_s(), Some(9.0));
}

#[test]
fn a_long_chain_of_handlers_failing_at_once_does_not_exhaust_the_stack() {
    // 10,000 llm steps whose calls can never fit (rejected at once), each the next one's
    // handler: every handler starts from the event list (on the call stack, 8,000 overflowed
    // a worker thread's 2 MiB).
    let n = 10_000;
    let mut steps = Vec::new();
    for i in 0..n {
        let next = if i + 1 < n {
            format!(", on_failure = \"s{}\"", i + 1)
        } else {
            String::new()
        };
        steps.push(format!(
            "{{ name = \"s{i}\", kind = \"llm\", pool = \"small\", input_tokens = 1000000, output_tokens = 1{next} }}"
        ));
    }
    let src = arrivals(1.0, 2, 1, 1)
        + POOLS
        + &format!("[workflow.w]\nsteps = [\n{}\n]\n", steps.join(",\n"));
    let r = assert_drained_cleanly(&src);
    assert_eq!(r.workflows[0].failed, [0, 2, 0]);
    assert_eq!(r.gpu_pools.iter().map(|p| p.rejected).sum::<u64>(), 2 * n);
}
