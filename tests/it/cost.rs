//! The money: amortisation, energy bills (flat and time of use) against hand arithmetic,
//! cost per successful task against the spend it divides, and bad prices.

use super::support::{find, problems, repo, run, scenario_from_str, stat, summary};
use infersim::domain::economics::{COMPONENTS, Component, YEAR_S};
use infersim::metrics::{Metric, Series, series, summarize};

/// One 8 x H100 server in one rack at a constant 20 degC, serving an 8B model; no arrival
/// at 1e-9/s (seed 3): the fleet stays idle, so facility power is constant.
const IDLE: &str = r#"[scenario]
seed = 3
replications = 1
horizon = "48h"
interval = "INTERVAL"

[arrivals.a]
workflow = "w"
rate_per_s = RATE

[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"
replicas = 8
racks = ["r1"]
host_idle_w = 1200
host_busy_w = 2500

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
power_cap_kw = 20
cooling_capacity_kw = 20

[cost]
energy_usd_per_kwh = 0.10
# Weekday days at 0.30; Monday night into Tuesday at 0.05 (across midnight).
energy_tou = [
  { days = ["mon", "tue", "wed", "thu", "fri"], from = "08:00", to = "20:00", usd_per_kwh = 0.30 },
  { days = ["mon"], from = "22:00", to = "02:00", usd_per_kwh = 0.05 },
]
facility_usd_per_kw_month = 150

[cost.gpu_pool.g]
capex_usd_per_gpu = 25000
capex_usd_per_server = 150000
life_years = 4
licence_usd_per_gpu_year = 4500
"#;

fn idle(interval: &str, rate: &str) -> String {
    IDLE.replace("INTERVAL", interval).replace("RATE", rate)
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn amortisation_licences_and_facility_accrue_exactly_by_time() {
    let rows = summary(&scenario_from_str(&idle("1h", "1e-9")));
    assert_eq!(stat(&rows, "all", Metric::TasksStarted, "total").0, 0.0);
    let hours = 48.0;
    // 8 GPUs x 25,000 + 1 server x 150,000 = 350,000 USD over 4 Julian years.
    let capex = 350_000.0 / (4.0 * YEAR_S) * hours * 3600.0;
    let licence = 8.0 * 4500.0 / YEAR_S * hours * 3600.0;
    // The rack's 20 kW cap is what is provisioned (no site cap): 150 USD per kW-month.
    let facility = 20.0 * 150.0 / (YEAR_S / 12.0) * hours * 3600.0;
    for (c, want) in [
        (Component::Capex, capex),
        (Component::Licence, licence),
        (Component::Facility, facility),
    ] {
        let got = stat(&rows, "all", Metric::Spend(Some(c)), "total").0;
        assert!(rel(got, want) < 1e-12, "{c:?}: {got} != {want}");
    }
    assert_eq!(
        stat(&rows, "all", Metric::ProvisionedPowerKw, "mean").0,
        20.0
    );
}

#[test]
fn a_constant_power_is_billed_by_time_of_use_exactly() {
    // 48 h from Monday 00:00: base 0.10 for 20 h, peak 0.30 for 24 h, the Monday-night
    // rate 0.05 for 4 h (22:00-02:00 across midnight).
    let rows = summary(&scenario_from_str(&idle("1h", "1e-9")));
    let it_kw = (1200.0 + 8.0 * 75.0) / 1e3; // idle host + 8 idle H100s
    let facility_kw = it_kw * 1.5;
    let kwh = stat(&rows, "site", Metric::FacilityEnergyKwh, "total").0;
    assert!(rel(kwh, facility_kw * 48.0) < 1e-12, "{kwh}");
    let want = facility_kw * (20.0 * 0.10 + 24.0 * 0.30 + 4.0 * 0.05);
    let got = stat(
        &rows,
        "all",
        Metric::Spend(Some(Component::Energy)),
        "total",
    )
    .0;
    assert!(rel(got, want) < 1e-12, "{got} != {want}");

    // A flat price: kWh x price.
    let flat = idle("1h", "1e-9");
    let tou = &flat[flat.find("# Weekday").unwrap()..flat.find("facility_usd").unwrap()];
    let flat = flat.replace(tou, "");
    let rows = summary(&scenario_from_str(&flat));
    let got = stat(
        &rows,
        "all",
        Metric::Spend(Some(Component::Energy)),
        "total",
    )
    .0;
    assert!(rel(got, facility_kw * 48.0 * 0.10) < 1e-12, "{got}");
}

#[test]
fn hourly_spend_follows_the_tariff_and_sums_to_the_total() {
    let s = scenario_from_str(&idle("1h", "1e-9"));
    let results = run(&s);
    let rows = summarize(&s, &results);
    let ts = series(&s, &results);
    let energy: Vec<f64> = ts
        .iter()
        .filter(|r| r.series == Series::SpendUsd && r.group == "component:energy")
        .map(|r| r.value)
        .collect();
    assert_eq!(energy.len(), 48);
    let kw = (1200.0 + 8.0 * 75.0) / 1e3 * 1.5;
    for (h, price) in [
        (0, 0.10),
        (7, 0.10),
        (8, 0.30),
        (19, 0.30),
        (20, 0.10),
        (22, 0.05),
        (25, 0.05),
        (26, 0.10),
        (32, 0.30),
    ] {
        assert!(
            rel(energy[h], kw * price) < 1e-12,
            "hour {h}: {}",
            energy[h]
        );
    }
    let cumulative = ts
        .iter()
        .rfind(|r| r.series == Series::SpendCumulativeUsd && r.group == "all")
        .unwrap()
        .value;
    let total = stat(&rows, "all", Metric::Spend(None), "total").0;
    assert!(rel(cumulative, total) < 1e-12);
}

#[test]
fn the_bill_does_not_depend_on_the_reporting_interval() {
    // Real load (1 request/s for 12 h from Monday 00:00), windows of 7 minutes vs 1 hour: band integrals are
    // exact, so the energy bill is identical to the last bit.
    let a = summary(&scenario_from_str(&idle("7m", "1").replace("48h", "12h")));
    let b = summary(&scenario_from_str(&idle("1h", "1").replace("48h", "12h")));
    let e = |rows| stat(rows, "all", Metric::Spend(Some(Component::Energy)), "total").0;
    assert!(stat(&a, "all", Metric::TasksStarted, "total").0 > 10_000.0);
    assert_eq!(e(&a), e(&b));
    let kwh = stat(&a, "site", Metric::FacilityEnergyKwh, "total").0;
    assert!(e(&a) > kwh * 0.10 && e(&a) < kwh * 0.30);
}

/// The support agent with every pool priced.
fn priced_support() -> String {
    let src = std::fs::read_to_string(repo("scenarios/support-agent.toml")).unwrap();
    src + r#"
[cost.gpu_pool.small]
capex_usd_per_gpu = 25000
capex_usd_per_server = 150000

[cost.gpu_pool.large]
cloud_usd_per_gpu_hour = 4.0

[cost.cpu_pool.helpdesk]
usd_per_server_hour = 0.5

[cost.cpu_pool.retrieval]
usd_per_server_hour = 1.2
"#
}

#[test]
fn cost_per_successful_task_times_successes_is_the_spend() {
    let s = scenario_from_str(&priced_support());
    let results = run(&s);
    let rows = summarize(&s, &results);
    for r in &results {
        let spend = infersim::domain::economics::run_spend(&s, r);
        let total: f64 = spend.total.iter().sum();
        // Every pool is used by the one workflow: all of the spend is allocated to it.
        let alloc: f64 = spend.workflows[0].iter().sum();
        assert!(rel(alloc, total) < 1e-12, "{alloc} vs {total}");
        // Reviews at 6 USD each, counted as they start (the run drains: all of them).
        let reviews = r.human_pools[0].started as f64;
        assert_eq!(spend.total[Component::Human.index()], reviews * 6.0);
        // The cloud pool: 4 GPUs x 4 USD per hour of the run.
        let hours = r.end.as_secs_f64() / 3600.0;
        assert!(rel(spend.total[Component::Cloud.index()], 16.0 * hours) < 1e-12);
        // Two CPU pools: 3 x 0.5 + 1 x 1.2 USD per hour.
        assert!(rel(spend.total[Component::Cpu.index()], 2.7 * hours) < 1e-12);
        // Per window, the components add up to the totals.
        for c in COMPONENTS {
            let by_window: f64 = spend.windows.iter().map(|w| w[c.index()]).sum();
            let t = spend.total[c.index()];
            assert!((by_window - t).abs() <= 1e-9 * t.max(1.0), "{c:?}");
        }
    }
    // Each replication: cost per successful task x successes = spend; the summary's mean
    // over replications is the mean of those ratios.
    let ratios: Vec<f64> = results
        .iter()
        .map(|r| {
            let spend = infersim::domain::economics::run_spend(&s, r);
            spend.total.iter().sum::<f64>() / r.workflows[0].succeeded as f64
        })
        .collect();
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let cpst = stat(&rows, "all", Metric::CostPerSuccessfulTask(None), "mean").0;
    assert!(rel(cpst, mean) < 1e-12);
    let w = stat(
        &rows,
        "workflow:support",
        Metric::CostPerSuccessfulTask(None),
        "mean",
    )
    .0;
    assert!(rel(w, cpst) < 1e-12);
    let parts: f64 = COMPONENTS
        .iter()
        .map(|&c| stat(&rows, "all", Metric::CostPerSuccessfulTask(Some(c)), "mean").0)
        .sum();
    assert!(rel(parts, cpst) < 1e-12);
    // Per million tokens: the spend over the tokens of the finished calls.
    let r0 = &results[0];
    let tokens: u64 = r0
        .gpu_pools
        .iter()
        .map(|p| p.calls.input_tokens + p.calls.output_tokens)
        .sum();
    assert!(tokens > 0);
}

#[test]
fn two_workflows_share_a_pool_by_gpu_seconds() {
    // The same pool serves a short and a long workflow: the long one (10x the output
    // tokens) is allocated the larger share, and the shares add up to the pool's spend.
    let src = idle("10m", "2").replace("48h", "1h")
        + r#"
[arrivals.b]
workflow = "long"
rate_per_s = 2

[[workflow.long.steps]]
name = "write"
kind = "llm"
pool = "g"
input_tokens = 2000
output_tokens = 500
"#;
    let s = scenario_from_str(&src);
    let results = run(&s);
    let r = &results[0];
    let spend = infersim::domain::economics::run_spend(&s, r);
    let w: Vec<f64> = spend.workflows.iter().map(|w| w.iter().sum()).collect();
    let total: f64 = spend.total.iter().sum();
    assert!(rel(w[0] + w[1], total) < 1e-12);
    let gpu_s: Vec<f64> = r.workflows.iter().map(|w| w.work.gpu_s[0]).collect();
    // Workflows sorted by name: "long", "w".
    assert!(rel(w[0] / w[1], gpu_s[0] / gpu_s[1]) < 1e-9);
    assert!(w[0] > 2.0 * w[1], "{w:?}");
}

#[test]
fn bad_prices_are_located() {
    let base = idle("1h", "1");
    let cases = [
        (
            base.replace("energy_usd_per_kwh = 0.10", "energy_usd_per_kwh = -0.1"),
            "cost.energy_usd_per_kwh",
            "finite number >= 0",
        ),
        (
            base.replace("[cost.gpu_pool.g]", "[cost.gpu_pool.nope]"),
            "cost.gpu_pool.nope",
            "unknown GPU pool \"nope\"; the scenario's GPU pools are: g",
        ),
        (
            base.replace("from = \"22:00\"", "from = \"19:00\""),
            "cost.energy_tou[1]",
            "overlaps period 0 (both cover mon 19:00)",
        ),
        (
            base.replace("life_years = 4", "life_years = 0"),
            "cost.gpu_pool.g.life_years",
            "number of years > 0",
        ),
        (
            base.replace("life_years = 4", "cloud_usd_per_gpu_hour = 2"),
            "cost.gpu_pool.g.capex_usd_per_gpu",
            "rented, not owned",
        ),
        (
            base.replace(
                "facility_usd_per_kw_month = 150",
                "facility_usd_per_kw_month = 150\nfacility_build_usd_per_mw = 1e7",
            ),
            "cost.facility_build_usd_per_mw",
            "not both",
        ),
        (
            base.replace("energy_usd_per_kwh = 0.10\n", ""),
            "cost.energy_usd_per_kwh",
            "need the base price",
        ),
        (
            base.replace("to = \"20:00\"", "to = \"25:00\""),
            "cost.energy_tou[0].to",
            "time of day",
        ),
    ];
    for (src, path, msg) in cases {
        let ps = problems(&src);
        let p = find(&ps, path);
        assert!(p.message.contains(msg), "{path}: {}", p.message);
        assert!(p.line_col.is_some(), "{path}: no line");
    }
    // Energy priced without a facility to draw power.
    let no_site =
        base.split("[site]").next().unwrap().to_string() + "[cost]\nenergy_usd_per_kwh = 0.1\n";
    let no_site = no_site.replace("racks = [\"r1\"]\n", "");
    let ps = problems(&no_site);
    assert!(
        find(&ps, "cost.energy_usd_per_kwh")
            .message
            .contains("models no power")
    );
}

#[test]
fn baseline_comparison_is_exact_arithmetic() {
    // One hour at 1 request/s; a tenth of the tasks fail (no retry) and fall back to
    // today's process: 30 people-minutes at 60 USD/h = 30 USD a case, cycle time 4 h.
    let src = idle("10m", "1").replace("48h", "1h").replace(
        "output_tokens = 50\n",
        "output_tokens = 50\nsuccess_prob = 0.9\n",
    ) + "\n[workflow.w]\nbaseline = { minutes_per_case = 30, usd_per_hour = 60, cycle_time = \"4h\" }\n";
    let s = scenario_from_str(&src);
    let results = run(&s);
    let rows = summarize(&s, &results);
    let r = &results[0];
    let wr = &r.workflows[0];
    let spend = infersim::domain::economics::run_spend(&s, r);
    let alloc = spend.workflows[0];
    let total: f64 = alloc.iter().sum();
    let ended = wr.completed as f64;
    let failed = ended - wr.succeeded as f64;
    assert!(failed > 100.0 && wr.succeeded > 1000, "{failed} failed");
    let base = 30.0;
    let ai = (total + failed * base) / ended;
    let g = "workflow:w";
    let v = |m| stat(&rows, g, m, "mean").0;
    assert_eq!(v(Metric::BaselineCostPerCaseUsd), base);
    assert!(rel(v(Metric::AiCostPerCaseUsd), ai) < 1e-12);
    assert!(rel(v(Metric::SavingsPerCaseUsd), base - ai) < 1e-12);
    // Fixed: capex, licence and facility of the hour; variable: energy per case plus the
    // failed share's fallback.
    let fixed = alloc[Component::Capex.index()]
        + alloc[Component::Licence.index()]
        + alloc[Component::Facility.index()];
    let variable = alloc[Component::Energy.index()] / ended + failed / ended * base;
    let days = 1.0 / 24.0;
    let break_even = fixed / days / (base - variable);
    assert!(rel(v(Metric::BreakEvenCasesPerDay), break_even) < 1e-12);
    assert!(rel(v(Metric::CasesPerDay), ended / days) < 1e-12);
    let cycle = wr.latency.mean_s().unwrap() + failed / ended * 4.0 * 3600.0;
    assert!(rel(v(Metric::AiCycleTimeS), cycle) < 1e-12);
    assert_eq!(v(Metric::BaselineCycleTimeS), 14_400.0);
    assert!(rel(v(Metric::CycleTimeSavedS), 14_400.0 - cycle) < 1e-12);

    // Bad baselines are located.
    let bad = src.replace("minutes_per_case = 30", "minutes_per_case = -1");
    let ps = problems(&bad);
    assert!(
        find(&ps, "workflow.w.baseline.minutes_per_case")
            .message
            .contains("number > 0")
    );
    let bad = src.replace("cycle_time = \"4h\"", "cycle_time = \"soon\"");
    let ps = problems(&bad);
    find(&ps, "workflow.w.baseline.cycle_time");
}
