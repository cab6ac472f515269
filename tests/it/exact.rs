//! Exact results: a whole `(time, event)` trace of a tiny deterministic scenario, and the
//! Lindley recursion as an oracle for every FCFS single-server wait.

use super::support::{scenario, scenario_from_str};
use infersim::domain::TraceEvent::{self, *};
use infersim::engine::SimTime;
use infersim::run::run_replication_traced;

const TINY: &str = r#"
[scenario]
name = "tiny"

[arrivals.a]
workflow = "w"
process = "renewal"
interarrival = { dist = "deterministic", mean_s = 1 }
max_arrivals = 3

[cpu_pool.p]
servers = 1
service = { dist = "deterministic", mean_s = 2 }

[[workflow.w.steps]]
name = "work"
pool = "p"

[[workflow.w.steps]]
name = "wait"
kind = "delay"
duration = { dist = "deterministic", mean_s = 0.5 }
after = ["work"]
"#;

fn s(t: f64) -> SimTime {
    SimTime((t * 1e9) as u64)
}

#[test]
fn tiny_deterministic_scenario_gives_this_exact_trace() {
    // Arrivals at 1, 2, 3 s; service 2 s on one server; then a 0.5 s delay.
    // At t = 3 the completion of task 0 (scheduled at t = 1) precedes the arrival of task 2
    // (scheduled at t = 2): equal times leave in scheduling order.
    let spec = scenario_from_str(TINY);
    let (result, trace) = run_replication_traced(&spec, 0).unwrap();
    let expected: Vec<(SimTime, TraceEvent)> = vec![
        (
            s(1.0),
            TaskArrived {
                task: 0,
                workflow: 0,
            },
        ),
        (
            s(1.0),
            JobArrived {
                task: 0,
                step: 0,
                pool: 0,
            },
        ),
        (
            s(1.0),
            JobStarted {
                task: 0,
                step: 0,
                pool: 0,
            },
        ),
        (
            s(2.0),
            TaskArrived {
                task: 1,
                workflow: 0,
            },
        ),
        (
            s(2.0),
            JobArrived {
                task: 1,
                step: 0,
                pool: 0,
            },
        ),
        (
            s(3.0),
            JobFinished {
                task: 0,
                step: 0,
                pool: 0,
            },
        ),
        (
            s(3.0),
            JobStarted {
                task: 1,
                step: 0,
                pool: 0,
            },
        ),
        (s(3.0), StepFinished { task: 0, step: 0 }),
        (s(3.0), DelayStarted { task: 0, step: 1 }),
        (
            s(3.0),
            TaskArrived {
                task: 2,
                workflow: 0,
            },
        ),
        (
            s(3.0),
            JobArrived {
                task: 2,
                step: 0,
                pool: 0,
            },
        ),
        (s(3.5), DelayFinished { task: 0, step: 1 }),
        (s(3.5), StepFinished { task: 0, step: 1 }),
        (
            s(3.5),
            TaskFinished {
                task: 0,
                workflow: 0,
            },
        ),
        (
            s(5.0),
            JobFinished {
                task: 1,
                step: 0,
                pool: 0,
            },
        ),
        (
            s(5.0),
            JobStarted {
                task: 2,
                step: 0,
                pool: 0,
            },
        ),
        (s(5.0), StepFinished { task: 1, step: 0 }),
        (s(5.0), DelayStarted { task: 1, step: 1 }),
        (s(5.5), DelayFinished { task: 1, step: 1 }),
        (s(5.5), StepFinished { task: 1, step: 1 }),
        (
            s(5.5),
            TaskFinished {
                task: 1,
                workflow: 0,
            },
        ),
        (
            s(7.0),
            JobFinished {
                task: 2,
                step: 0,
                pool: 0,
            },
        ),
        (s(7.0), StepFinished { task: 2, step: 0 }),
        (s(7.0), DelayStarted { task: 2, step: 1 }),
        (s(7.5), DelayFinished { task: 2, step: 1 }),
        (s(7.5), StepFinished { task: 2, step: 1 }),
        (
            s(7.5),
            TaskFinished {
                task: 2,
                workflow: 0,
            },
        ),
    ];
    assert_eq!(trace, expected);
    // Waits 0, 1, 2 s; task latencies 2.5, 3.5, 4.5 s; the run ends at the last event.
    assert_eq!(result.end, s(7.5));
    assert_eq!(result.pools[0].wait.sum_ns(), 3_000_000_000);
    assert_eq!(result.workflows[0].latency.sum_ns(), 10_500_000_000);
    assert_eq!(result.events, 3 + 3 + 3); // arrivals, job completions, delay completions
}

#[test]
fn every_fcfs_wait_equals_the_lindley_recursion() {
    // W(n+1) = max(0, W(n) + S(n) - A(n+1)), from the arrival and service times the run drew;
    // compared with the simulated waits to the nanosecond.
    let mut spec = scenario("scenarios/oracles/mg1-lognormal.toml");
    spec.arrivals[0].max_arrivals = Some(20_000);
    let (_, trace) = run_replication_traced(&spec, 0).unwrap();
    let n = 20_000usize;
    let (mut arrive, mut start, mut finish) = (vec![0u64; n], vec![0u64; n], vec![0u64; n]);
    for (t, e) in &trace {
        match e {
            JobArrived { task, .. } => arrive[*task as usize] = t.0,
            JobStarted { task, .. } => start[*task as usize] = t.0,
            JobFinished { task, .. } => finish[*task as usize] = t.0,
            _ => {}
        }
    }
    let mut w: i128 = 0;
    let mut positive = 0;
    for k in 0..n {
        if k > 0 {
            let service = i128::from(finish[k - 1] - start[k - 1]);
            let gap = i128::from(arrive[k] - arrive[k - 1]);
            w = (w + service - gap).max(0);
        }
        assert_eq!(i128::from(start[k] - arrive[k]), w, "customer {k}");
        positive += usize::from(w > 0);
    }
    assert!(
        positive > n / 2,
        "the check must cover customers that waited ({positive})"
    );
}

#[test]
fn tasks_in_flight_past_their_deadline_are_slo_misses() {
    // Arrivals at 1, 2, 3, 4 s; service 10 s; the run stops at 5 s with none finished. Ages
    // 4, 3, 2, 1 s against a 2 s deadline: two are overdue misses, two are not yet due.
    let src = TINY
        .replace("max_arrivals = 3", "")
        .replace("mean_s = 2 }", "mean_s = 10 }")
        .replace("name = \"tiny\"", "name = \"tiny\"\nhorizon = \"5s\"")
        + "\n[workflow.w]\ndeadline = \"2s\"\n";
    let s = scenario_from_str(&src);
    let rows = infersim::metrics::summarize(&s, &super::support::run(&s));
    let get = |m| super::support::stat(&rows, "workflow:w", m, "mean").0;
    use infersim::metrics::Metric::*;
    assert_eq!(get(SloAttainment), 0.0);
    let r = rows
        .iter()
        .find(|r| r.group == "workflow:w" && r.metric == TaskSuccessRate)
        .unwrap();
    assert_eq!(r.value, None, "no task completed: nothing to rate");
}

#[test]
fn replications_with_nothing_to_measure_are_left_out_of_ratio_means() {
    // Rare tasks over a short horizon: some replications complete none. Their per-task and
    // success ratios have no denominator and must not count as 0 (or blank the mean).
    let src = r#"
[scenario]
name = "rare"
replications = 8
horizon = "2s"

[arrivals.a]
workflow = "w"
rate_per_s = 0.4

[cpu_pool.p]
servers = 4
service = { dist = "deterministic", mean_s = 0.25 }

[workflow.w]
deadline = "1s"
steps = [{ name = "s", pool = "p" }]
"#;
    let s = scenario_from_str(src);
    let results = super::support::run(&s);
    let with_tasks: Vec<f64> = results
        .iter()
        .filter(|r| r.workflows[0].completed > 0)
        .map(|r| r.workflows[0].usage.cpu_s / r.workflows[0].completed as f64)
        .collect();
    assert!(
        !with_tasks.is_empty() && with_tasks.len() < 8,
        "the seed gives some replications without tasks: {}",
        with_tasks.len()
    );
    let rows = infersim::metrics::summarize(&s, &results);
    let get = |m| super::support::stat(&rows, "workflow:w", m, "mean").0;
    use infersim::metrics::Metric::*;
    assert_eq!(get(TaskSuccessRate), 1.0);
    assert_eq!(get(SloAttainment), 1.0);
    // Deterministic 0.25 s service: every completed task used exactly 0.25 CPU-s.
    assert_eq!(get(CpuSecondsPerTask), 0.25);
}
