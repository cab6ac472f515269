//! The engine against closed-form queueing results (values from
//! `../shared/peers/queueing_oracles.py`). Each scenario file fixes its seed and
//! replications; the tolerance rule is [`support::assert_oracle`].

use super::support::{assert_oracle, run, scenario, stat, summary};
use infersim::metrics::{Metric, summarize};

#[test]
fn mm1_waiting_time_is_rho_over_mu_minus_lambda() {
    // lambda 0.8, mu 1: Wq = 0.8 / 0.2 = 4 s; W = 5 s; utilization 0.8.
    let s = scenario("scenarios/oracles/mm1.toml");
    let rows = summary(&s);
    assert_oracle(
        "M/M/1 Wq",
        stat(&rows, "pool:server", Metric::WaitS, "mean"),
        4.0,
        0.03,
    );
    assert_oracle(
        "M/M/1 W",
        stat(&rows, "pool:server", Metric::SojournS, "mean"),
        5.0,
        0.03,
    );
    assert_oracle(
        "M/M/1 rho",
        stat(&rows, "pool:server", Metric::Utilization, "mean"),
        0.8,
        0.01,
    );
    // Exponential waiting-time tail: P(Wq > t) = rho e^{-(mu - lambda) t}, so the
    // p99 of Wq solves 0.01 = 0.8 e^{-0.2 t}: t = 5 ln 80 = 21.91 s.
    assert_oracle(
        "M/M/1 Wq p99",
        stat(&rows, "pool:server", Metric::WaitS, "p99"),
        5.0 * 80f64.ln(),
        0.04,
    );
}

#[test]
fn mm4_waiting_time_matches_erlang_c() {
    // c 4, lambda 3.6, mu 1: Erlang C P(wait) = 0.787755, Wq = 1.969383 s.
    let s = scenario("scenarios/oracles/mmc.toml");
    let rows = summary(&s);
    assert_oracle(
        "M/M/4 Wq",
        stat(&rows, "pool:servers", Metric::WaitS, "mean"),
        1.969383,
        0.02,
    );
    assert_oracle(
        "M/M/4 rho",
        stat(&rows, "pool:servers", Metric::Utilization, "mean"),
        0.9,
        0.01,
    );
}

#[test]
fn md1_waiting_time_matches_pollaczek_khinchine() {
    // lambda 0.8, D 1 s: Wq = lambda E[S^2] / (2 (1 - rho)) = 0.8 / 0.4 = 2.0 s.
    let s = scenario("scenarios/oracles/md1.toml");
    let rows = summary(&s);
    assert_oracle(
        "M/D/1 Wq",
        stat(&rows, "pool:server", Metric::WaitS, "mean"),
        2.0,
        0.03,
    );
}

#[test]
fn mg1_lognormal_waiting_time_matches_pollaczek_khinchine() {
    // lognormal mean 1, cv 0.5: E[S^2] = 1.25; lambda 0.7: Wq = 0.7 * 1.25 / 0.6 = 1.458333 s.
    let s = scenario("scenarios/oracles/mg1-lognormal.toml");
    let rows = summary(&s);
    let exact = 0.7 * 1.25 / (2.0 * 0.3);
    assert_oracle(
        "M/G/1 Wq",
        stat(&rows, "pool:server", Metric::WaitS, "mean"),
        exact,
        0.03,
    );
}

#[test]
fn jackson_tandem_response_time() {
    // gamma 0.5 through mu 1 then mu 0.8: W = 1/0.5 + 1/0.3 = 5.3333 s.
    let s = scenario("scenarios/oracles/tandem.toml");
    let rows = summary(&s);
    let exact = 1.0 / 0.5 + 1.0 / 0.3;
    assert_oracle(
        "tandem W",
        stat(&rows, "workflow:two-stations", Metric::TaskLatencyS, "mean"),
        exact,
        0.03,
    );
    // Each station on its own is M/M/1 (Burke's theorem): station 2 W = 1/0.3.
    assert_oracle(
        "station2 W",
        stat(&rows, "pool:station2", Metric::SojournS, "mean"),
        1.0 / 0.3,
        0.03,
    );
}

#[test]
fn two_way_fork_join_matches_nelson_tantawi() {
    // lambda 0.5, mu 1, rho 0.5: R = (12 - rho) / 8 / (mu - lambda) = 2.875 s (exact for K = 2).
    let s = scenario("scenarios/oracles/forkjoin2.toml");
    let rows = summary(&s);
    assert_oracle(
        "fork-join R",
        stat(&rows, "workflow:fork-join", Metric::TaskLatencyS, "mean"),
        2.875,
        0.03,
    );
}

#[test]
fn littles_law_holds_exactly_on_a_run_that_starts_and_ends_empty() {
    // A count-stopped run ends when the last task leaves, so the system starts and ends
    // empty: the time integral of the number present equals the sum of the time each one
    // spent, to the nanosecond (integers on both sides).
    for file in [
        "scenarios/oracles/mmc.toml",
        "scenarios/oracles/tandem.toml",
        "scenarios/cpu-support.toml",
    ] {
        let mut s = scenario(file);
        s.replications = 2;
        for a in &mut s.arrivals {
            a.max_arrivals = Some(20_000);
        }
        s.horizon = None;
        for r in run(&s) {
            for (i, p) in r.pools.iter().enumerate() {
                assert_eq!(
                    p.queue_at_end + p.busy_at_end,
                    0,
                    "{file}: pool {i} ends empty"
                );
                assert_eq!(
                    p.busy_integral + p.queue_integral,
                    p.sojourn.sum_ns() as i128,
                    "{file}: pool {i}: ∫N dt = Σ sojourn"
                );
            }
            for w in &r.workflows {
                assert_eq!(w.in_flight_at_end, 0);
                assert_eq!(w.started, w.completed);
                assert_eq!(
                    w.in_system_integral,
                    w.latency.sum_ns() as i128,
                    "{file}: tasks"
                );
            }
        }
    }
}

#[test]
fn summary_counts_every_observation_of_every_replication() {
    let mut s = scenario("scenarios/oracles/mm1.toml");
    s.replications = 3;
    for a in &mut s.arrivals {
        a.max_arrivals = Some(1000);
    }
    let results = run(&s);
    let rows = summarize(&s, &results);
    assert_eq!(stat(&rows, "pool:server", Metric::WaitS, "count").0, 3000.0);
    assert_eq!(
        stat(&rows, "all", Metric::TasksCompleted, "total").0,
        1000.0
    );
}

#[test]
fn mm1_slo_attainment_is_the_sojourn_time_cdf_at_the_deadline() {
    // M/M/1 sojourn time is exponential with rate mu - lambda = 0.2/s, so the share of tasks
    // that end within a 5 s deadline is 1 - e^{-1} = 0.632121; the rest failed (deadline).
    let mut s = scenario("scenarios/oracles/mm1.toml");
    s.workflows[0].deadline = Some(infersim::engine::SimDuration::from_secs(5));
    let rows = summary(&s);
    let exact = 1.0 - (-1.0f64).exp();
    assert_oracle(
        "M/M/1 P(W <= 5 s)",
        stat(&rows, "workflow:serve", Metric::SloAttainment, "mean"),
        exact,
        0.02,
    );
    let (succeeded, _) = stat(&rows, "all", Metric::TasksSucceeded, "total");
    let (failed, _) = stat(&rows, "all", Metric::TasksFailedDeadline, "total");
    let (completed, _) = stat(&rows, "all", Metric::TasksCompleted, "total");
    assert_eq!(
        succeeded + failed,
        completed,
        "a deadline miss is a failure"
    );
    // Without a deadline every completed task succeeded.
    let rows = summary(&scenario("scenarios/oracles/mm1.toml"));
    assert_eq!(stat(&rows, "all", Metric::TaskSuccessRate, "mean").0, 1.0);
}
