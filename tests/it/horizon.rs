//! Long horizons: the epoch method (`[epochs]`, `metrics::horizon`) against a full
//! simulation of the same horizon (docs/METRICS.md, "Long horizons").

use super::support::{repo, run, scenario_from_str, stat};
use infersim::domain::Scenario;
use infersim::domain::economics::Component;
use infersim::metrics::horizon::HorizonAggregate;
use infersim::metrics::{Metric, SummaryRow, summarize};
use infersim::run::NoProgress;
use infersim::run::epochs::run_epochs_each;

/// `text` with an `[epochs]` section (before `[workload]`, which it must have).
fn with_epochs(text: &str, every: &str, length: &str, offset: &str) -> Scenario {
    assert!(text.contains("\n[workload]\n"));
    scenario_from_str(&text.replacen(
        "\n[workload]\n",
        &format!(
            "\n[epochs]\nevery = \"{every}\"\nlength = \"{length}\"\noffset = \"{offset}\"\n\n[workload]\n"
        ),
        1,
    ))
}

/// The horizon's summary rows of a scenario with an epoch plan, as `run` writes them.
fn horizon_summary(spec: &Scenario) -> Vec<SummaryRow> {
    let plan = spec.epochs.expect("an epoch plan");
    let epochs = plan.epochs(spec.horizon.expect("a horizon").as_secs_f64());
    let mut agg = HorizonAggregate::new(spec);
    let demand = |a: f64, b: f64| spec.expected_arrivals(a, b);
    run_epochs_each(spec, &epochs, Some(2), &NoProgress, |e, es, results| {
        agg.add_epoch(spec, e, es, &results, &demand);
    })
    .expect("epochs run");
    agg.rows(spec)
}

/// A site with nothing to do (no arrivals), a fixed PUE and a time-of-use tariff: its power
/// is the idle power at all times, so the energy and its bill over the horizon are exact,
/// and epochs must give them exactly, whichever day stands for the week.
const IDLE_SITE: &str = r#"
[scenario]
start = "2027-03-01T00:00"   # a Monday
horizon = "28d"
interval = "1d"

[workload]
shape = "office-hours"

[workload.growth]
kind = "steps"
at = ["2027-02-01"]
factor = [0.0]               # no demand at all

[arrivals.a]
workflow = "w"
rate_per_s = 1.0

[gpu_pool.g]
model = "llama-3.1-8b"
gpu = "h100-sxm"
replicas = 2
racks = ["r1"]
gpus_per_server = 2

[site]
pue = 1.3

[rack.r1]
servers = 1
power_cap_kw = 10

[cost]
energy_usd_per_kwh = 0.09
energy_tou = [
  { days = ["mon", "tue", "wed", "thu", "fri"], from = "12:00", to = "20:00", usd_per_kwh = 0.16 },
]

[workflow.w]
steps = [{ name = "s", kind = "llm", pool = "g", input_tokens = 10, output_tokens = 10 }]
"#;

#[test]
fn an_idle_sites_energy_bill_under_time_of_use_is_exact_from_epochs() {
    let full = scenario_from_str(IDLE_SITE);
    let full_rows = summarize(&full, &run(&full));
    let energy = Metric::Spend(Some(Component::Energy));
    let (kwh, _) = stat(&full_rows, "site", Metric::FacilityEnergyKwh, "total");
    let (bill, _) = stat(&full_rows, "all", energy, "total");
    // 2 x 75 W GPUs and a 2-GPU host idle, x 1.3, over 28 days; 40 of every 168 hours at
    // the peak price.
    assert!(kwh > 0.0);
    let mean_price = (40.0 * 0.16 + 128.0 * 0.09) / 168.0;
    assert!(
        (bill - kwh * mean_price).abs() <= 1e-6 * bill,
        "full run: {bill} USD for {kwh} kWh"
    );
    // Wednesday for the week, a whole week for two, a weekend day for the week.
    for (every, length, offset) in [("7d", "24h", "2d"), ("14d", "7d", "0d"), ("7d", "1d", "5d")] {
        let rows = horizon_summary(&with_epochs(IDLE_SITE, every, length, offset));
        let (e_kwh, _) = stat(&rows, "site", Metric::FacilityEnergyKwh, "total");
        let (e_bill, _) = stat(&rows, "all", energy, "total");
        let plan = format!("every {every}, length {length}, offset {offset}");
        assert!(
            (e_kwh - kwh).abs() <= 1e-9 * kwh,
            "{plan}: {e_kwh} kWh, full run {kwh}"
        );
        assert!(
            (e_bill - bill).abs() <= 1e-6 * bill,
            "{plan}: energy bill {e_bill} USD, full run {bill} USD ({:+.2} %)",
            (e_bill / bill - 1.0) * 100.0
        );
    }
}

/// One figure compared: its row, the relative error allowed whatever the noise (`floor`),
/// and the largest combined 95 % half-width (relative) for which the test still has power.
struct Figure {
    group: &'static str,
    metric: Metric,
    stat: &'static str,
    floor: f64,
    max_ci: f64,
}

const fn fig(
    group: &'static str,
    metric: Metric,
    stat: &'static str,
    floor: f64,
    max_ci: f64,
) -> Figure {
    Figure {
        group,
        metric,
        stat,
        floor,
        max_ci,
    }
}

/// The documented error of the epoch method (docs/METRICS.md, "Long horizons"):
/// `tests/data/horizon/growth-8-weeks.toml` (56 days from a Monday, office-hours week,
/// demand doubling every 30 days; seed 7, 3 replications) run whole, and integrated from
/// one Wednesday per week (every 7d, length 24h, offset 2d; seeds derived from 7 per
/// epoch, 3 replications each).
///
/// Tolerance per figure: |epochs − full| <= max(3 × sqrt(h_epochs² + h_full²), floor × full)
/// with h the 95 % half-widths over the replications; the combined half-width must itself be
/// below `max_ci` × full, so the test can see an error of that size. Floors: 1 % for energy
/// (kWh and bill), tasks, total spend and cost per successful task (measured: −0.45 ± 0.33 %,
/// +0.37 ± 0.36 %, −0.37 ± 0.73 %, +0.00 ± 1.09 %, +0.38 ± 0.98 %), 2 % for reviews (−0.00 ±
/// 4.29 %). Time-driven spend (capex, licences, facility, CPU servers) comes from the fleet
/// plan, not the simulation: equal to 1e-9. The epochs cost a seventh of the full run:
/// ~20 s of CPU in release, ~12 s wall on 2 idle cores (~30 s on 2 shared ones).
#[test]
fn epoch_integration_against_full_simulation_within_the_documented_error() {
    let text = std::fs::read_to_string(repo("tests/data/horizon/growth-8-weeks.toml")).unwrap();
    let full = scenario_from_str(&text);
    assert_eq!((full.seed, full.replications), (7, 3));
    let full_rows = summarize(&full, &run(&full));
    let epochs = with_epochs(&text, "7d", "24h", "2d");
    let rows = horizon_summary(&epochs);

    for c in [
        Component::Capex,
        Component::Licence,
        Component::Facility,
        Component::Cpu,
    ] {
        let m = Metric::Spend(Some(c));
        let (a, _) = stat(&full_rows, "all", m, "total");
        let (b, _) = stat(&rows, "all", m, "total");
        assert!(
            a > 0.0 && (b - a).abs() <= 1e-9 * a,
            "{m:?}: epochs {b}, full {a}"
        );
    }
    let figures = [
        fig("all", Metric::Spend(None), "total", 0.01, 0.02),
        fig(
            "all",
            Metric::Spend(Some(Component::Energy)),
            "total",
            0.01,
            0.01,
        ),
        fig(
            "all",
            Metric::Spend(Some(Component::Human)),
            "total",
            0.02,
            0.06,
        ),
        fig("site", Metric::FacilityEnergyKwh, "total", 0.01, 0.01),
        fig("all", Metric::TasksStarted, "total", 0.01, 0.02),
        fig("all", Metric::TasksSucceeded, "total", 0.01, 0.02),
        fig(
            "all",
            Metric::CostPerSuccessfulTask(None),
            "mean",
            0.01,
            0.02,
        ),
    ];
    for f in figures {
        let (a, ha) = stat(&full_rows, f.group, f.metric, f.stat);
        let (b, hb) = stat(&rows, f.group, f.metric, f.stat);
        let h = ha.hypot(hb);
        let name = format!("{} {:?}", f.group, f.metric);
        assert!(
            h.is_finite() && h <= f.max_ci * a,
            "{name}: combined half-width {h} exceeds {} x {a}: the test would be too weak",
            f.max_ci
        );
        let tol = (3.0 * h).max(f.floor * a);
        assert!(
            (b - a).abs() <= tol,
            "{name}: epochs {b} ± {hb}, full run {a} ± {ha} ({:+.2} %), allowed ± {tol}",
            (b / a - 1.0) * 100.0
        );
    }
}

#[test]
fn the_bundled_adoption_growth_b200_purchase_restores_the_slo() {
    // scenarios/adoption-growth.toml, one replication of the two weeks around the B200
    // server's service date (2027-09-14): the Wednesday before runs the H100s alone,
    // overloaded by the coding agent's growth; the Wednesday after, the H100 pool overflows
    // to the B200s and the coding agent meets its deadline again.
    let mut spec = super::support::scenario("scenarios/adoption-growth.toml");
    spec.replications = 1;
    let plan = spec.epochs.expect("an epoch plan");
    let all = plan.epochs(spec.horizon.expect("a horizon").as_secs_f64());
    assert_eq!(all.len(), 79);
    let around: Vec<_> = all
        .iter()
        .filter(|e| {
            let d = e.window_start_s / 86_400.0;
            (246.0..=255.0).contains(&d)
        })
        .copied()
        .collect();
    assert_eq!(around.len(), 2, "{around:?}");
    let mut agg = HorizonAggregate::new(&spec);
    let demand = |a: f64, b: f64| spec.expected_arrivals(a, b);
    run_epochs_each(&spec, &around, Some(2), &NoProgress, |e, es, results| {
        agg.add_epoch(&spec, e, es, &results, &demand);
    })
    .expect("epochs run");
    let (before, after) = (&agg.epochs()[0], &agg.epochs()[1]);
    let b200 = spec
        .gpu_pools
        .iter()
        .position(|p| p.name == "large_b200")
        .unwrap();
    let code = spec
        .workflows
        .iter()
        .position(|w| w.name == "code")
        .unwrap();
    assert_eq!(before.replicas[b200], 0);
    assert_eq!(after.replicas[b200], 4);
    let (slo_before, slo_after) = (
        before.workflow_slo[code].unwrap(),
        after.workflow_slo[code].unwrap(),
    );
    assert!(slo_before < 0.95, "before the purchase: {slo_before}");
    assert!(slo_after > 0.95, "after the purchase: {slo_after}");
    assert!(after.utilization[b200].unwrap() > 0.0);
    // The purchase's capex is in the period after, not before.
    assert!(after.spend[Component::Capex.index()] > before.spend[Component::Capex.index()] * 1.5);
}
