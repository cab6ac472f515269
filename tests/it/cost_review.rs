//! Review of the money side: on-demand cloud pools as an overflow target (provisioning
//! delay, rented time against busy time, the bill), pools never used, validation of rental
//! terms and prices, and what `validate` says about an on-demand pool.

use super::support::{find, problems, repo, run, scenario_from_str, stat};
use infersim::domain::Scenario;
use infersim::domain::economics::{Component, run_spend};
use infersim::metrics::{Metric, ReplicationResult, summarize as summarize_rows};

/// An owned pool of one replica taking at most 4 calls in its batch, overflowing into an
/// on-demand cloud pool of 3 x 2 H100s (provisioning 2 min, released after 5 min idle).
/// Arrivals come in bursts (gamma, cv 4), so the overflow comes and goes.
const ON_DEMAND: &str = r#"[scenario]
seed = 5
replications = 1
horizon = "1h"
interval = "10m"

[arrivals.a]
workflow = "w"
interarrival = { dist = "gamma", mean_s = RATE, cv = 4 }

[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"
replicas = 1
max_num_seqs = 4
overflow_to = "burst"

[gpu_pool.burst]
model = "llama-3.1-8b"
gpu = "h100-sxm"
tensor_parallel = 2
replicas = 3

[[workflow.w.steps]]
name = "ask"
kind = "llm"
pool = "g"
input_tokens = 2000
output_tokens = 200

[cost.gpu_pool.burst]
cloud_usd_per_gpu_hour = 3.0
provisioning = "2m"
release_after = "5m"
"#;

const S: u64 = 1_000_000_000;

fn on_demand(mean_s: &str) -> String {
    ON_DEMAND.replace("RATE", mean_s)
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { ((a - b) / b).abs() }
}

/// Pools in name order: burst, g.
const BURST: usize = 0;

fn with_records(src: &str) -> (Scenario, Vec<ReplicationResult>) {
    let mut s = scenario_from_str(src);
    s.record_calls = true;
    let results = run(&s);
    (s, results)
}

/// The rented replica-time the rental terms imply, from the calls each replica served: a
/// replica is busy over the union of its calls' [arrival, last token]; a gap longer than
/// the release time ends a rental (billed to the release) and the next call starts a new
/// one; the last rental runs to its release or the end. Returns (rented, busy, rentals,
/// idle spells).
fn implied_rental(r: &ReplicationResult, pool: usize, release: u64) -> (i128, i128, u32, u32) {
    let end = r.end.0;
    let mut by_replica: std::collections::BTreeMap<u32, Vec<(u64, u64)>> = Default::default();
    for c in &r.gpu_pools[pool].records {
        by_replica
            .entry(c.replica)
            .or_default()
            .push((c.seq.arrived.0, c.seq.last_token.0.min(end)));
    }
    let (mut rented, mut busy, mut rentals, mut spells) = (0i128, 0i128, 0u32, 0u32);
    for (_, mut calls) in by_replica {
        calls.sort_unstable();
        // Merged busy intervals.
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for (a, b) in calls {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        spells += merged.len() as u32;
        for (k, &(a, b)) in merged.iter().enumerate() {
            busy += i128::from(b - a);
            rented += i128::from(b - a);
            let next = merged.get(k + 1).map_or(end, |n| n.0);
            if k == 0 || a - merged[k - 1].1 > release {
                rentals += 1;
            }
            rented += i128::from((next - b).min(release));
        }
    }
    (rented, busy, rentals, spells)
}

#[test]
fn an_on_demand_overflow_pool_provisions_bills_rented_time_and_releases() {
    let (s, results) = with_records(&on_demand("0.4"));
    assert_eq!(s.gpu_pools[BURST].name, "burst");
    let terms = s.cost.gpu_pools[BURST].on_demand.expect("on demand");
    let r = &results[0];
    let burst = &r.gpu_pools[BURST];
    assert!(
        burst.records.len() > 50,
        "{} calls overflowed",
        burst.records.len()
    );
    // The first call each replica served waited at least the provisioning delay for its
    // first token.
    let mut first: std::collections::BTreeMap<u32, (u64, u64)> = Default::default();
    for c in &burst.records {
        let e = first
            .entry(c.replica)
            .or_insert((c.seq.arrived.0, c.seq.first_token.0));
        if c.seq.arrived.0 < e.0 {
            *e = (c.seq.arrived.0, c.seq.first_token.0);
        }
    }
    for (replica, (arrived, first_token)) in &first {
        assert!(
            first_token - arrived >= terms.provisioning.0,
            "replica {replica}: TTFT {} s",
            (first_token - arrived) as f64 / 1e9
        );
    }
    // Rented time: at least the busy time, at most busy + the release time per idle spell
    // (a rental spans several busy spells when the gaps are shorter than the release time:
    // those gaps are rented too), and exactly what the terms imply from the calls served.
    let (implied, busy, rentals, spells) = implied_rental(r, BURST, terms.release_after.0);
    assert!(rentals >= 1 && spells >= rentals);
    assert_eq!(busy, burst.busy_integral, "busy time from the calls");
    assert!(burst.rented_integral >= burst.busy_integral);
    assert!(
        burst.rented_integral
            <= burst.busy_integral + i128::from(spells) * i128::from(terms.release_after.0)
    );
    assert_eq!(burst.rented_integral, implied);
    // The bill: rented replica-hours x GPUs per replica x price, per window and in total.
    let spend = run_spend(&s, r);
    let hours = burst.rented_integral as f64 / 3.6e12;
    let want = hours * 2.0 * 3.0;
    let got = spend.gpu_pools[BURST][Component::Cloud.index()];
    assert!(rel(got, want) < 1e-12, "{got} != {want}");
    assert!(rel(spend.total[Component::Cloud.index()], want) < 1e-12);
    let by_window: f64 = spend
        .windows
        .iter()
        .map(|w| w[Component::Cloud.index()])
        .sum();
    assert!(rel(by_window, want) < 1e-12);
    // Never more than every replica rented throughout.
    assert!(burst.rented_integral <= 3 * i128::from(r.end.0));
}

#[test]
fn an_on_demand_pool_bills_the_same_with_and_without_fast_forward() {
    let src = on_demand("0.4");
    let ff = with_records(&src).1;
    let step = with_records(&src.replace(
        "tensor_parallel = 2\n",
        "tensor_parallel = 2\nfast_forward = false\n",
    ))
    .1;
    let step = &step[0].gpu_pools[BURST];
    let ff = &ff[0].gpu_pools[BURST];
    assert!(ff.rented_integral > 0);
    assert_eq!(ff.rented_integral, step.rented_integral);
    assert_eq!(ff.rented_windows, step.rented_windows);
    assert_eq!(ff.busy_integral, step.busy_integral);
}

#[test]
fn a_never_used_on_demand_pool_costs_nothing() {
    // One arrival a minute: the owned replica is never saturated.
    let src = on_demand("60").replace(
        "interarrival = { dist = \"gamma\", mean_s = 60, cv = 4 }",
        "rate_per_s = 0.02",
    );
    let s = scenario_from_str(&src);
    let results = run(&s);
    let r = &results[0];
    assert!(r.workflows[0].succeeded > 10);
    assert_eq!(r.gpu_pools[BURST].calls.output_tokens, 0);
    assert_eq!(r.gpu_pools[BURST].rented_integral, 0);
    let spend = run_spend(&s, r);
    assert_eq!(spend.gpu_pools[BURST][Component::Cloud.index()], 0.0);
    assert_eq!(spend.total[Component::Cloud.index()], 0.0);
    let rows = summarize_rows(&s, &results);
    assert_eq!(
        stat(&rows, "pool:burst", Metric::Spend(None), "total").0,
        0.0
    );
}

#[test]
fn an_on_demand_pool_drained_past_the_horizon_is_billed_to_the_end() {
    let src = on_demand("0.4").replace("interval = \"10m\"", "interval = \"10m\"\ndrain = true");
    let (s, results) = with_records(&src);
    let r = &results[0];
    assert!(r.end.0 >= 3600 * S);
    let terms = s.cost.gpu_pools[BURST].on_demand.unwrap();
    let burst = &r.gpu_pools[BURST];
    let (implied, ..) = implied_rental(r, BURST, terms.release_after.0);
    assert_eq!(burst.rented_integral, implied);
    let spend = run_spend(&s, r);
    let by_window: f64 = spend
        .windows
        .iter()
        .map(|w| w[Component::Cloud.index()])
        .sum();
    assert!(rel(by_window, spend.total[Component::Cloud.index()]) < 1e-12);
}

#[test]
fn a_fixed_cloud_pool_costs_its_gpus_by_the_hour() {
    // Without rental terms the cloud pool is rented for the whole run, used or not.
    let src = on_demand("60")
        .replace("provisioning = \"2m\"\n", "")
        .replace("release_after = \"5m\"\n", "");
    let s = scenario_from_str(&src);
    assert!(s.cost.gpu_pools[BURST].on_demand.is_none());
    let r = &run(&s)[0];
    let spend = run_spend(&s, r);
    let want = 3.0 * 2.0 * 3.0 * r.end.as_secs_f64() / 3600.0;
    assert!(rel(spend.total[Component::Cloud.index()], want) < 1e-12);
}

#[test]
fn no_success_leaves_cost_per_task_empty() {
    let src = on_demand("0.4").replace(
        "output_tokens = 200\n",
        "output_tokens = 200\nsuccess_prob = 0\n",
    );
    let s = scenario_from_str(&src);
    let results = run(&s);
    assert_eq!(results[0].workflows[0].succeeded, 0);
    let rows = summarize_rows(&s, &results);
    for g in ["all", "workflow:w"] {
        let row = rows
            .iter()
            .find(|r| {
                r.group == g && r.metric == Metric::CostPerSuccessfulTask(None) && r.stat == "mean"
            })
            .unwrap();
        assert!(row.value.is_none_or(f64::is_nan), "{g}: {:?}", row.value);
    }
    for row in &rows {
        if let Some(v) = row.value {
            assert!(!v.is_infinite(), "{} {:?}", row.group, row.metric);
        }
    }
}

#[test]
fn rental_terms_are_checked() {
    let base = on_demand("0.4");
    let cases = [
        (
            base.replace("release_after = \"5m\"", "release_after = \"0s\""),
            "cost.gpu_pool.burst.release_after",
            "> 0",
        ),
        (
            base.replace("release_after = \"5m\"\n", ""),
            "cost.gpu_pool.burst.release_after",
            "missing",
        ),
        (
            base.replace("cloud_usd_per_gpu_hour = 3.0\n", ""),
            "cost.gpu_pool.burst.release_after",
            "add cloud_usd_per_gpu_hour",
        ),
        (
            base.replace("provisioning = \"2m\"", "provisioning = \"soon\""),
            "cost.gpu_pool.burst.provisioning",
            "duration",
        ),
        (
            base.replace(
                "cloud_usd_per_gpu_hour = 3.0",
                "cloud_usd_per_gpu_hour = 1e300",
            ),
            "cost.gpu_pool.burst.cloud_usd_per_gpu_hour",
            "<=",
        ),
        (
            base.replace(
                "cloud_usd_per_gpu_hour = 3.0",
                "cloud_usd_per_gpu_hour = nan",
            ),
            "cost.gpu_pool.burst.cloud_usd_per_gpu_hour",
            "finite",
        ),
    ];
    for (src, path, msg) in cases {
        let ps = problems(&src);
        let p = find(&ps, path);
        assert!(p.message.contains(msg), "{path}: {}", p.message);
    }
}

#[test]
fn validate_describes_an_on_demand_pool_by_its_rental_terms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, on_demand("0.4")).unwrap();
    let o = assert_cmd::Command::cargo_bin("infersim")
        .unwrap()
        .current_dir(repo(""))
        .arg("validate")
        .arg(&path)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    let line = out
        .lines()
        .find(|l| l.contains("cost gpu pool burst"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(line.contains("on demand"), "{line}");
    assert!(!line.contains("= 0 USD/day"), "{line}");
}
