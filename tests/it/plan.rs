//! Plans over calendar time: purchases after their lead time and retirements at their date
//! (replicas per epoch and capex by hand arithmetic), overflow between pools, the runway,
//! the horizon's arithmetic (spend by month, cost per successful task), located errors for
//! bad plans, and byte-identical epoch outputs across thread counts.

use super::support::{find, infersim, problems, run, scenario_from_str, stat, summary};
use infersim::domain::Scenario;
use infersim::domain::economics::{COMPONENTS, Component, RunSpend, YEAR_S, fixed_spend};
use infersim::metrics::Metric;
use infersim::metrics::horizon::HorizonAggregate;
use infersim::run::NoProgress;
use infersim::run::epochs::run_epochs_each;
use std::path::Path;

const H: f64 = 3600.0;

/// Four one-hour epochs (a 10-minute window each) across a month's end: one H100 replica
/// of an 8B model, 2 more ordered at 22:30 and in service after 1 h 30 min (00:00, the
/// start of epoch 2, in February), 1 retired at 01:00 (epoch 3). Capex 25,000 USD per GPU
/// and 100,000 per server of 8 GPUs, over 4 years.
const PLAN: &str = r#"[scenario]
seed = 5
replications = 1
start = "2027-01-31T22:00"
horizon = "4h"
interval = "10m"

[epochs]
every = "1h"
length = "10m"

[arrivals.a]
workflow = "w"
rate_per_s = 0.5

[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"
replicas = 1
overflow_to = "spill"

[gpu_pool.spill]
model = "llama-3.1-8b"
gpu = "h100-sxm"
replicas = 0

[[fleet]]
pool = "g"
date = "2027-01-31T22:30"
lead_time = "1h30m"
add = 2

[[fleet]]
pool = "g"
date = "2027-02-01T01:00"
retire = 1

[workflow.w]
deadline = "1m"

[[workflow.w.steps]]
name = "ask"
kind = "llm"
pool = "g"
input_tokens = 200
output_tokens = 50

[cost.gpu_pool.g]
capex_usd_per_gpu = 25000
capex_usd_per_server = 100000
life_years = 4
"#;

/// `PLAN` with `old` replaced by `new` (which must be there).
fn plan_with(subs: &[(&str, &str)]) -> String {
    let mut s = PLAN.to_string();
    for (old, new) in subs {
        assert!(s.contains(old), "{old:?} not in the scenario");
        s = s.replacen(old, new, 1);
    }
    s
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { ((a - b) / b).abs() }
}

/// Runs every epoch of `s` on 2 threads and integrates the horizon.
fn horizon(s: &Scenario) -> HorizonAggregate {
    let horizon_s = s.horizon.expect("a horizon").as_secs_f64();
    let epochs = s.epochs.expect("an epoch plan").epochs(horizon_s);
    let mut agg = HorizonAggregate::new(s);
    let demand = |a: f64, b: f64| s.expected_arrivals(a, b);
    run_epochs_each(s, &epochs, Some(2), &NoProgress, |e, es, results| {
        agg.add_epoch(s, e, es, &results, &demand);
    })
    .expect("the epochs run");
    agg
}

/// Capex rate of `gpus` GPUs of pool `g` in `PLAN` [USD/s]: one server holds up to 8.
fn capex_rate(gpus: f64) -> f64 {
    (25_000.0 * gpus + 100_000.0) / (4.0 * YEAR_S)
}

#[test]
fn a_purchase_counts_from_its_lead_time_and_a_retirement_from_its_date() {
    let s = scenario_from_str(PLAN);
    let agg = horizon(&s);
    let replicas: Vec<u32> = agg.epochs().iter().map(|f| f.replicas[0]).collect();
    // Epoch 1's window (23:00) starts after the order (22:30) but before the replicas are
    // in service (00:00): the old count. Epoch 2 starts exactly then: the new one. The
    // retirement at 01:00 is in force from epoch 3 (starting 01:00).
    assert_eq!(replicas, [1, 1, 3, 2]);
    assert!(agg.epochs().iter().all(|f| f.replicas[1] == 0));
    // Capex: nothing of the purchase before it is in service, exactly capex/life x time
    // after; the order date does not count.
    let (r1, r3, r2) = (capex_rate(1.0), capex_rate(3.0), capex_rate(2.0));
    let capex = |a: f64, b: f64| fixed_spend(&s, a * H, b * H)[Component::Capex.index()];
    assert!(rel(capex(0.0, 2.0), 2.0 * H * r1) < 1e-12);
    assert!(rel(capex(0.5, 2.0), 1.5 * H * r1) < 1e-12);
    assert!(rel(capex(1.5, 2.5), 0.5 * H * r1 + 0.5 * H * r3) < 1e-12);
    assert!(rel(capex(2.0, 4.0), H * r3 + H * r2) < 1e-12);
    // Each epoch is charged its own period's capex.
    let want = [H * r1, H * r1, H * r3, H * r2];
    for (f, w) in agg.epochs().iter().zip(want) {
        assert!(
            rel(f.spend[Component::Capex.index()], w) < 1e-12,
            "epoch {}",
            f.epoch.index
        );
    }
}

#[test]
fn the_horizon_adds_up_by_month_and_per_successful_task() {
    let s = scenario_from_str(PLAN);
    let agg = horizon(&s);
    let rows = agg.rows(&s);
    let spend = stat(&rows, "all", Metric::Spend(None), "total").0;
    let succeeded = stat(&rows, "all", Metric::TasksSucceeded, "total").0;
    let cpst = stat(&rows, "all", Metric::CostPerSuccessfulTask(None), "mean").0;
    assert!(succeeded > 0.0);
    // One replication: cost per successful task x successes = spend.
    assert!(
        rel(cpst * succeeded, spend) < 1e-12,
        "{cpst} x {succeeded} vs {spend}"
    );
    // The epochs' spend adds up to the horizon's.
    let by_epoch: f64 = agg.epochs().iter().map(|f| RunSpend::sum(&f.spend)).sum();
    assert!(rel(by_epoch, spend) < 1e-12);
    // January's 2 hours and February's 2: the months add up to the horizon, component by
    // component, and January's capex is one replica's (the purchase is in service on
    // February 1st at 00:00).
    let months = agg.months(&s);
    assert_eq!(
        months.iter().map(|m| m.month.as_str()).collect::<Vec<_>>(),
        ["2027-01", "2027-02"]
    );
    let monthly: f64 = months.iter().map(|m| RunSpend::sum(&m.spend)).sum();
    assert!(rel(monthly, spend) < 1e-12, "{monthly} vs {spend}");
    for c in COMPONENTS {
        let m: f64 = months.iter().map(|m| m.spend[c.index()]).sum();
        let h = stat(&rows, "all", Metric::Spend(Some(c)), "total").0;
        assert!((m - h).abs() <= 1e-9 * h.max(1.0), "{c:?}: {m} vs {h}");
    }
    let jan = months[0].spend[Component::Capex.index()];
    assert!(rel(jan, 2.0 * H * capex_rate(1.0)) < 1e-12);
    let tasks: f64 = months.iter().map(|m| m.succeeded).sum();
    assert!(rel(tasks, succeeded) < 1e-12);
}

/// One H100 replica of an 8B model with an overflow pool of `spill` replicas, saturated at
/// `queue` calls waiting, 10 minutes at `rate` tasks/s (one replica saturates near 60/s).
fn overflow(rate: f64, spill: u32, queue: u32) -> Scenario {
    scenario_from_str(&format!(
        r#"[scenario]
seed = 5
replications = 1
horizon = "10m"

[arrivals.a]
workflow = "w"
rate_per_s = {rate}

[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"
replicas = 1
overflow_to = "spill"
overflow_queue = {queue}

[gpu_pool.spill]
model = "llama-3.1-8b"
gpu = "h100-sxm"
replicas = {spill}

[[workflow.w.steps]]
name = "ask"
kind = "llm"
pool = "g"
input_tokens = 200
output_tokens = 50
"#
    ))
}

#[test]
fn a_saturated_pool_overflows_and_an_unsaturated_or_empty_target_takes_nothing() {
    let calls = |s: &Scenario, pool: &str| {
        stat(
            &summary(s),
            &format!("pool:{pool}"),
            Metric::CallsArrived,
            "total",
        )
        .0
    };
    let busy = overflow(60.0, 2, 1);
    assert!(calls(&busy, "spill") > 0.0, "a saturated pool overflows");
    assert!(calls(&busy, "g") > 0.0);
    let quiet = overflow(0.5, 2, 2);
    assert_eq!(
        calls(&quiet, "spill"),
        0.0,
        "an unsaturated pool keeps its calls"
    );
    assert!(calls(&quiet, "g") > 0.0);
    // At the default threshold (1) a call that arrived during the running iteration counts
    // as waiting: a second call in that instant overflows, rarely at a light load.
    let light = overflow(0.5, 2, 1);
    assert!(calls(&light, "spill") <= 0.01 * calls(&light, "g"));
    let empty = overflow(60.0, 0, 1);
    assert_eq!(
        calls(&empty, "spill"),
        0.0,
        "an empty pool takes no overflow"
    );
    assert!(calls(&empty, "g") > 0.0);
}

/// `infersim run` of `text` (written to `dir/name.toml`) into `dir/out`, with `args`.
fn run_cli(dir: &Path, name: &str, text: &str, out: &str, args: &[&str]) -> std::process::Output {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    let o = infersim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(dir.join(out))
        .arg("--quiet")
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn run_json(dir: &Path, out: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(out).join("run.json")).unwrap()).unwrap()
}

/// Four daily epochs of 5 minutes at 60 tasks/s on 3 replicas (the SLO holds), 2 of them
/// retired on day 2 (1 replica: it breaks).
const RUNWAY: &str = r#"[scenario]
seed = 5
replications = 1
start = "2027-03-01"
horizon = "4d"
interval = "5m"
slo_target = 0.9

[epochs]
every = "1d"
length = "5m"
offset = "10h"

[arrivals.a]
workflow = "w"
rate_per_s = 60

[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"
replicas = 3

[[fleet]]
pool = "g"
date = "2027-03-03"
retire = 2

[workflow.w]
deadline = "1m"

[[workflow.w.steps]]
name = "ask"
kind = "llm"
pool = "g"
input_tokens = 200
output_tokens = 50
"#;

#[test]
fn the_runway_is_the_date_the_slo_first_breaks_or_the_horizon() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(dir.path(), "breaks", RUNWAY, "breaks", &[]);
    let h = &run_json(dir.path(), "breaks")["horizon"];
    assert_eq!(h["runway_date"], "2027-03-03");
    // The epoch's window starts 10 h into day 2.
    let days = h["runway_days"].as_f64().unwrap();
    assert!(rel(days, 2.0 + 10.0 / 24.0) < 1e-12, "{days}");
    assert_eq!(h["slo_target"], 0.9);

    let holds = RUNWAY.replace("retire = 2", "retire = 1");
    run_cli(dir.path(), "holds", &holds, "holds", &[]);
    let h = &run_json(dir.path(), "holds")["horizon"];
    assert!(h["runway_date"].is_null(), "{h}");
    assert_eq!(h["runway_days"].as_f64(), Some(4.0));
}

#[test]
fn an_epoch_run_is_byte_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    // Two replications and four epochs: one thread runs them in two chunks, two in one.
    let text = plan_with(&[("replications = 1", "replications = 2")]);
    run_cli(dir.path(), "plan", &text, "t1", &["--threads", "1"]);
    run_cli(dir.path(), "plan", &text, "t2", &["--threads", "2"]);
    for f in ["summary.csv", "timeseries.csv", "epochs.csv", "monthly.csv"] {
        let a = std::fs::read(dir.path().join("t1").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("t2").join(f)).unwrap();
        assert!(!a.is_empty(), "{f} is empty");
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    let (mut a, mut b) = (run_json(dir.path(), "t1"), run_json(dir.path(), "t2"));
    assert_eq!(a["execution"]["threads"], 1);
    assert_eq!(b["execution"]["threads"], 2);
    a.as_object_mut().unwrap().remove("execution");
    b.as_object_mut().unwrap().remove("execution");
    assert_eq!(a, b, "run.json differs beyond `execution`");
}

/// A bad plan: the replacements in `PLAN`, the field path of the problem, words of its
/// message.
type BadCase<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a [&'a str]);

/// Bad plans: each is located (file, field path, line) and says what is wrong.
#[test]
fn bad_plans_are_located_errors() {
    let cases: &[BadCase<'_>] = &[
        // Dates out of order within a pool.
        (
            &[("date = \"2027-02-01T01:00\"", "date = \"2027-01-31T22:10\"")],
            "fleet[1].date",
            &["out of order", "fleet[0]"],
        ),
        (
            &[(
                "pool = \"g\"\ndate = \"2027-02-01T01:00\"",
                "pool = \"h\"\ndate = \"2027-02-01T01:00\"",
            )],
            "fleet[1].pool",
            &["unknown GPU pool \"h\"", "g, spill"],
        ),
        (
            &[("retire = 1", "retire = 1\nadd = 1")],
            "fleet[1].retire",
            &["either `add` or `retire`"],
        ),
        (
            &[("add = 2", "add = -2")],
            "fleet[0].add",
            &["1 to 1000000", "-2"],
        ),
        (
            &[("retire = 1", "retire = 0")],
            "fleet[1].retire",
            &["1 to 1000000", "0"],
        ),
        (&[("retire = 1", "")], "fleet[1].add", &["missing"]),
        (
            &[("lead_time = \"1h30m\"", "lead_time = \"soon\"")],
            "fleet[0].lead_time",
            &["duration", "\"soon\""],
        ),
        (
            &[("lead_time = \"1h30m\"", "lead_time = \"-1h\"")],
            "fleet[0].lead_time",
            &["duration", "\"-1h\""],
        ),
        (
            &[("retire = 1", "retire = 1\nlead_time = \"1d\"")],
            "fleet[1].lead_time",
            &["retirement", "purchases"],
        ),
        (
            &[("date = \"2027-01-31T22:30\"", "date = \"2027-01-01\"")],
            "fleet[0].date",
            &["before the scenario's start"],
        ),
        (
            &[("date = \"2027-01-31T22:30\"", "date = \"2027-13-01\"")],
            "fleet[0].date",
            &["expected a date"],
        ),
        // An epoch plan that covers no time.
        (
            &[("every = \"1h\"", "every = \"0s\"")],
            "epochs.every",
            &["covers no time"],
        ),
        (
            &[("length = \"10m\"", "length = \"0s\"")],
            "epochs.length",
            &["covers no time"],
        ),
        (
            &[("length = \"10m\"", "length = \"2h\"")],
            "epochs.length",
            &["does not fit in its period"],
        ),
        (
            &[("length = \"10m\"", "length = \"10m\"\noffset = \"55m\"")],
            "epochs.length",
            &["offset 55m + length 10m", "does not fit"],
        ),
        (
            &[
                ("horizon = \"4h\"", "horizon = \"400d\""),
                ("every = \"1h\"", "every = \"10m\""),
            ],
            "epochs.every",
            &["epochs over the horizon", "at most 20000"],
        ),
        (
            &[("interval = \"10m\"", "interval = \"10m\"\ndrain = true")],
            "scenario.drain",
            &["[epochs]"],
        ),
        // Overflow.
        (
            &[("overflow_to = \"spill\"", "overflow_to = \"nope\"")],
            "gpu_pool.g.overflow_to",
            &["unknown GPU pool \"nope\""],
        ),
        (
            &[("overflow_to = \"spill\"", "overflow_to = \"g\"")],
            "gpu_pool.g.overflow_to",
            &["itself"],
        ),
        (
            &[(
                "model = \"llama-3.1-8b\"\ngpu = \"h100-sxm\"\nreplicas = 0",
                "model = \"llama-3.1-70b\"\ngpu = \"h100-sxm\"\ntensor_parallel = 4\nreplicas = 0",
            )],
            "gpu_pool.g.overflow_to",
            &["serves llama-3.1-70b", "same model"],
        ),
        (
            &[("replicas = 0\n", "replicas = 0\noverflow_to = \"g\"\n")],
            "gpu_pool.spill.overflow_to",
            &["one step only"],
        ),
        (
            &[(
                "overflow_to = \"spill\"",
                "overflow_to = \"spill\"\noverflow_queue = 0",
            )],
            "gpu_pool.g.overflow_queue",
            &["1 to 1000000", "found 0"],
        ),
        (
            &[(
                "overflow_to = \"spill\"",
                "overflow_to = \"spill\"\noverflow_queue = 2000000",
            )],
            "gpu_pool.g.overflow_queue",
            &["found 2000000"],
        ),
        (
            &[("overflow_to = \"spill\"", "overflow_queue = 2")],
            "gpu_pool.g.overflow_queue",
            &["without `overflow_to`"],
        ),
        // A pool with no replica that a step sends calls to.
        (
            &[(
                "pool = \"g\"\ninput_tokens",
                "pool = \"spill\"\ninput_tokens",
            )],
            "gpu_pool.spill.replicas",
            &["no replica", "w.ask"],
        ),
        // Prices and the SLO target.
        (
            &[("capex_usd_per_gpu = 25000", "capex_usd_per_gpu = -1")],
            "cost.gpu_pool.g.capex_usd_per_gpu",
            &["finite number >= 0", "-1"],
        ),
        (
            &[("life_years = 4", "life_years = 0")],
            "cost.gpu_pool.g.life_years",
            &["> 0"],
        ),
        (
            &[("horizon = \"4h\"", "horizon = \"4h\"\nslo_target = 0")],
            "scenario.slo_target",
            &["(0, 1]", "found 0"],
        ),
        (
            &[("horizon = \"4h\"", "horizon = \"4h\"\nslo_target = 1.5")],
            "scenario.slo_target",
            &["(0, 1]", "1.5"],
        ),
    ];
    for (subs, path, words) in cases {
        let text = plan_with(subs);
        let ps = problems(&text);
        let p = find(&ps, path);
        assert_eq!(p.file, Path::new("bad.toml"), "{p}");
        assert!(p.line_col.is_some(), "{path}: no line: {p}");
        for w in *words {
            assert!(
                p.message.contains(w),
                "{path}: {w:?} not in {:?}",
                p.message
            );
        }
    }
}

#[test]
fn bad_epoch_plans_without_a_horizon_and_time_of_use_overlaps_are_located() {
    let ps = problems(&plan_with(&[
        ("horizon = \"4h\"\n", ""),
        ("rate_per_s = 0.5", "rate_per_s = 0.5\nmax_arrivals = 10"),
    ]));
    let p = find(&ps, "epochs");
    assert!(p.message.contains("scenario.horizon"), "{p}");
    assert!(p.line_col.is_some());
    let tou = format!(
        "{PLAN}\n[cost]\nenergy_usd_per_kwh = 0.1\nenergy_tou = [\n  {{ from = \"08:00\", to = \"12:00\", usd_per_kwh = 0.2 }},\n  {{ days = [\"mon\"], from = \"11:00\", to = \"13:00\", usd_per_kwh = 0.3 }},\n]\n"
    );
    let ps = problems(&tou);
    let p = find(&ps, "cost.energy_tou[1]");
    assert!(p.message.contains("overlaps period 0"), "{p}");
    assert!(p.message.contains("mon 11:00"), "{p}");
    assert!(p.line_col.is_some());
}

#[test]
fn a_fleet_change_inside_a_single_run_needs_epochs() {
    let ps = problems(&plan_with(&[(
        "[epochs]\nevery = \"1h\"\nlength = \"10m\"\n",
        "",
    )]));
    let p = find(&ps, "fleet[0].date");
    assert!(p.message.contains("[epochs]"), "{p}");
    assert!(p.line_col.is_some());
}

#[test]
fn a_horizon_shorter_than_a_period_is_one_epoch_cut_to_it() {
    let s = scenario_from_str(&plan_with(&[
        ("horizon = \"4h\"", "horizon = \"5m\""),
        ("interval = \"10m\"", "interval = \"1m\""),
    ]));
    let agg = horizon(&s);
    assert_eq!(agg.epochs().len(), 1);
    let e = agg.epochs()[0].epoch;
    assert_eq!((e.period_s(), e.window_s), (300.0, 300.0));
    let rows = agg.rows(&s);
    assert!(stat(&rows, "all", Metric::TasksStarted, "total").0 > 0.0);
    // Without [epochs], changes past the horizon are allowed (the run never reaches them).
    let single = scenario_from_str(&plan_with(&[
        ("[epochs]\nevery = \"1h\"\nlength = \"10m\"\n", ""),
        ("horizon = \"4h\"", "horizon = \"20m\""),
    ]));
    assert!(!run(&single).is_empty());
}

#[test]
fn a_fleet_change_at_the_start_counts_in_a_single_run() {
    // Two replicas bought at the start with no lead time: the run has three.
    let s = scenario_from_str(&plan_with(&[
        ("[epochs]\nevery = \"1h\"\nlength = \"10m\"\n", ""),
        ("horizon = \"4h\"", "horizon = \"1h\""),
        (
            "date = \"2027-01-31T22:30\"\nlead_time = \"1h30m\"",
            "date = \"2027-01-31T22:00\"",
        ),
    ]));
    assert_eq!(s.gpu_pools[0].replicas, 3);
    let rows = summary(&s);
    let capex = stat(&rows, "all", Metric::Spend(Some(Component::Capex)), "total").0;
    assert!(rel(capex, H * capex_rate(3.0)) < 1e-12, "{capex}");
    // With epochs too: the first epoch runs three replicas, and so does the plan's range.
    let s = scenario_from_str(&plan_with(&[(
        "date = \"2027-01-31T22:30\"\nlead_time = \"1h30m\"",
        "date = \"2027-01-31T22:00\"",
    )]));
    assert_eq!(horizon(&s).epochs()[0].replicas[0], 3);
}

#[test]
fn a_pool_bought_at_the_start_may_take_calls_directly() {
    // No replica in the file but two from the start: never empty.
    let s = scenario_from_str(&plan_with(&[
        (
            "replicas = 0\n",
            "replicas = 0\n\n[[fleet]]\npool = \"spill\"\ndate = \"2027-01-31T22:00\"\nadd = 2\n",
        ),
        (
            "pool = \"g\"\ninput_tokens",
            "pool = \"spill\"\ninput_tokens",
        ),
    ]));
    assert_eq!(s.gpu_pools[1].replicas, 2);
}

#[test]
fn a_fleet_change_in_a_run_without_a_horizon_needs_epochs() {
    let ps = problems(&plan_with(&[
        ("[epochs]\nevery = \"1h\"\nlength = \"10m\"\n", ""),
        ("horizon = \"4h\"\n", ""),
        ("rate_per_s = 0.5", "rate_per_s = 0.5\nmax_arrivals = 100"),
    ]));
    let p = find(&ps, "fleet[0].date");
    assert!(p.message.contains("[epochs]"), "{p}");
    assert!(p.line_col.is_some());
}

#[test]
fn retiring_more_than_are_in_service_is_located_at_the_retirement_alone() {
    let ps = problems(&plan_with(&[("retire = 1", "retire = 5")]));
    let p = find(&ps, "fleet[1].retire");
    assert!(p.message.contains("-2 replicas"), "{p}");
    assert!(p.message.contains("no more than are in service"), "{p}");
    assert!(p.line_col.is_some());
    assert_eq!(ps.len(), 1, "one problem, no consequence of it: {ps:#?}");
    // A change that cannot be read is reported alone too: not also as a pool left empty
    // by the retirement that follows it.
    for (old, new, path) in [
        ("add = 2", "add = -2", "fleet[0].add"),
        (
            "lead_time = \"1h30m\"",
            "lead_time = \"soon\"",
            "fleet[0].lead_time",
        ),
    ] {
        let ps = problems(&plan_with(&[(old, new)]));
        find(&ps, path);
        assert_eq!(ps.len(), 1, "{ps:#?}");
    }
}

#[test]
fn an_empty_overflow_pool_is_not_called_saturated() {
    let dir = tempfile::tempdir().unwrap();
    let text = PLAN
        .replace("[epochs]\nevery = \"1h\"\nlength = \"10m\"\n", "")
        .replace("horizon = \"4h\"", "horizon = \"10m\"");
    let text = text.split("[[fleet]]").next().unwrap().to_string()
        + "[workflow.w]"
        + text.split("[workflow.w]").nth(1).unwrap();
    let o = run_cli(dir.path(), "quiet", &text, "out", &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("saturated"), "{err}");
}

/// One 8 x H100 server in an uncapped rack, and a rented pool of 2 x 4 H100s off-site (no
/// racks): the site's power, facility and energy bills are the owned server's alone.
const OFF_SITE: &str = r#"[scenario]
seed = 3
replications = 1
horizon = "2h"
interval = "1h"

[arrivals.a]
workflow = "w"
rate_per_s = 0.2

[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"
replicas = 8
racks = ["r1"]
host_idle_w = 1200
host_busy_w = 2500
overflow_to = "burst"

[gpu_pool.burst]
model = "llama-3.1-8b"
gpu = "h100-sxm"
tensor_parallel = 4
replicas = 2

[[workflow.w.steps]]
name = "ask"
kind = "llm"
pool = "g"
input_tokens = 2000
output_tokens = 50

[site]
policy = "none"
pue = 1.5
ambient = { constant_c = 20 }

[rack.r1]
servers = 1
cooling_capacity_kw = 20

[cost]
energy_usd_per_kwh = 0.10
facility_usd_per_kw_month = 150

[cost.gpu_pool.burst]
cloud_usd_per_gpu_hour = 3.0
"#;

#[test]
fn an_off_site_cloud_pool_draws_no_site_power_and_pays_none_of_its_bills() {
    let s = scenario_from_str(OFF_SITE);
    // Pools in name order: burst, g.
    let (b, g) = (0, 1);
    assert_eq!(s.gpu_pools[g].name, "g");
    assert!(s.facility.as_ref().unwrap().pools[b].off_site);
    // Provisioned (nameplate, no caps): 8 GPUs at TDP and one host busy, not the cloud's.
    let tdp = s.gpu_pools[g].gpu.tdp_w;
    assert!(rel(s.cost.provisioned_kw, (8.0 * tdp + 2500.0) / 1e3) < 1e-12);
    let results = run(&s);
    let spend = infersim::domain::economics::run_spend(&s, &results[0]);
    let burst = spend.gpu_pools[b];
    assert_eq!(burst[Component::Facility.index()], 0.0);
    assert_eq!(burst[Component::Energy.index()], 0.0);
    assert!(rel(burst[Component::Cloud.index()], 8.0 * 3.0 * 2.0) < 1e-12);
    // The owned pool carries the whole site bill.
    for c in [Component::Facility, Component::Energy] {
        assert!(spend.total[c.index()] > 0.0);
        assert!(rel(spend.gpu_pools[g][c.index()], spend.total[c.index()]) < 1e-12);
    }
}
