//! The facility: power by GPU state against closed forms, exact energy, enforced caps,
//! thermal throttling, the hot-afternoon scenarios, and bad input.

use super::support::{find, problems, repo, run, scenario, scenario_from_str, stat, summary};
use infersim::metrics::{Metric, Series, series, summarize};

/// Eight H100s in one server of one air-cooled rack, serving an 8B model; `RATE` requests
/// per second of 2,000 prompt tokens and one output token (prefill only).
const BASE: &str = r#"[scenario]
seed = 3
replications = 1
horizon = "HORIZON"
interval = "1m"

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
output_tokens = 1

[site]
policy = "none"
ambient = { constant_c = 20 }

[rack.r1]
servers = 1
power_cap_kw = 20
cooling_capacity_kw = 20
"#;

fn base(rate: &str, horizon: &str) -> String {
    BASE.replace("RATE", rate).replace("HORIZON", horizon)
}

fn edit(src: &str, from: &str, to: &str) -> String {
    assert!(src.contains(from), "{from:?} not in the scenario");
    src.replacen(from, to, 1)
}

#[test]
fn an_idle_fleet_draws_exactly_idle_gpus_plus_host() {
    // No arrival in 10 minutes at 1e-9 per second (seed 3): every GPU idle all along.
    let s = scenario_from_str(&base("1e-9", "10m"));
    let rows = summary(&s);
    assert_eq!(stat(&rows, "all", Metric::TasksStarted, "total").0, 0.0);
    let expected_kw = (1200.0 + 8.0 * 75.0) / 1e3; // host idle + 8 x H100 idle (75 W)
    let (mean, _) = stat(&rows, "rack:r1", Metric::ItPowerKw, "mean");
    assert!(
        (mean - expected_kw).abs() < 1e-12,
        "{mean} != {expected_kw}"
    );
    let (peak, _) = stat(&rows, "site", Metric::ItPowerKw, "max");
    assert_eq!(peak, expected_kw);
    let (kwh, _) = stat(&rows, "site", Metric::EnergyKwh, "total");
    assert!((kwh - expected_kw / 6.0).abs() < 1e-12, "{kwh}");
    assert_eq!(stat(&rows, "site", Metric::ThrottledS, "total").0, 0.0);
}

#[test]
fn a_saturated_prefill_only_fleet_draws_about_tdp() {
    // Far more prefill than 8 replicas can serve: every GPU busy prefilling after the
    // first second. Expected: host busy 2.5 kW + 8 x 700 W (TDP) = 8.1 kW, within 10 %.
    let s = scenario_from_str(&base("400", "2m"));
    let rows = summary(&s);
    let (util, _) = stat(&rows, "pool:g", Metric::Utilization, "mean");
    assert!(util > 0.99, "utilisation {util}");
    let (mean, _) = stat(&rows, "site", Metric::ItPowerKw, "mean");
    let expected = 2.5 + 8.0 * 0.7;
    assert!(
        (mean - expected).abs() <= 0.1 * expected,
        "saturated prefill draws {mean} kW, expected about {expected} kW"
    );
    let (peak, _) = stat(&rows, "site", Metric::ItPowerKw, "max");
    assert!(
        peak <= expected + 1e-9,
        "no GPU draws more than TDP: {peak}"
    );
}

#[test]
fn energy_does_not_depend_on_the_output_interval() {
    // A varying load with a temperature curve and enforced caps; intervals 1 s, 60 s, 1 h.
    let src = edit(
        &edit(
            &base("20", "2h"),
            "policy = \"none\"",
            "policy = \"dynamic\"",
        ),
        "ambient = { constant_c = 20 }",
        "ambient = { mean_c = 30, diurnal_amplitude_c = 10, peak_hour = 1 }",
    );
    let src = edit(&src, "power_cap_kw = 20", "power_cap_kw = 7");
    let mut energies = Vec::new();
    for interval in ["1s", "60s", "1h"] {
        let s = scenario_from_str(&edit(
            &src,
            "interval = \"1m\"",
            &format!("interval = \"{interval}\""),
        ));
        let rows = summary(&s);
        energies.push((
            stat(&rows, "site", Metric::EnergyKwh, "total").0,
            stat(&rows, "site", Metric::FacilityEnergyKwh, "total").0,
            stat(&rows, "site", Metric::ThrottledS, "total").0,
        ));
    }
    assert!(energies[0].2 > 0.0, "the cap binds in this test");
    for e in &energies[1..] {
        assert!((e.0 / energies[0].0 - 1.0).abs() < 1e-9, "{energies:?}");
        assert!((e.1 / energies[0].1 - 1.0).abs() < 1e-9, "{energies:?}");
        assert_eq!(e.2, energies[0].2);
    }
}

#[test]
fn a_fixed_pue_multiplies_it_energy_exactly() {
    let src = edit(
        &base("20", "30m"),
        "policy = \"none\"",
        "policy = \"none\"\npue = 1.3",
    );
    let rows = summary(&scenario_from_str(&src));
    let it = stat(&rows, "site", Metric::EnergyKwh, "total").0;
    let fac = stat(&rows, "site", Metric::FacilityEnergyKwh, "total").0;
    assert!((fac / it - 1.3).abs() < 1e-9, "{fac} / {it}");
    assert!((stat(&rows, "site", Metric::Pue, "mean").0 - 1.3).abs() < 1e-9);
}

#[test]
fn an_enforced_cap_is_never_exceeded_and_slows_the_work() {
    let free = summary(&scenario_from_str(&base("400", "2m")));
    let src = edit(
        &edit(
            &base("400", "2m"),
            "policy = \"none\"",
            "policy = \"dynamic\"",
        ),
        "power_cap_kw = 20",
        "power_cap_kw = 6",
    );
    let s = scenario_from_str(&src);
    let results = run(&s);
    let rows = summarize(&s, &results);
    let (peak, _) = stat(&rows, "rack:r1", Metric::ItPowerKw, "max");
    assert!(peak <= 6.0, "peak {peak} kW above the 6 kW cap");
    assert!(peak > 5.5, "the cap is used: {peak}");
    for r in series(&s, &results) {
        if r.series == Series::ItPowerKw {
            assert!(r.value <= 6.0, "window at {} s: {} kW", r.time_s, r.value);
        }
    }
    let (thr, _) = stat(&rows, "rack:r1", Metric::ThrottledS, "total");
    assert!(thr > 100.0, "throttled {thr} s of 120");
    let (clock, _) = stat(&rows, "rack:r1", Metric::ThrottleFactor, "mean");
    assert!(clock < 0.95, "clock {clock}");
    // Prefill is compute-bound: fewer requests done at the lower clock.
    let done = |rows: &[infersim::metrics::SummaryRow]| {
        stat(rows, "pool:g", Metric::CallsCompleted, "total").0
    };
    assert!(
        done(&rows) < 0.97 * done(&free),
        "{} vs {}",
        done(&rows),
        done(&free)
    );
}

#[test]
fn heat_above_the_cooling_capacity_throttles_and_is_counted() {
    // No power cap enforced, cooling for 5 kW: the thermal limit holds the rack at 5 kW.
    let src = edit(
        &base("400", "2m"),
        "cooling_capacity_kw = 20",
        "cooling_capacity_kw = 5",
    );
    let rows = summary(&scenario_from_str(&src));
    let (peak, _) = stat(&rows, "rack:r1", Metric::ItPowerKw, "max");
    assert!(peak <= 5.0, "peak {peak} kW above the cooling capacity");
    let (over, _) = stat(&rows, "rack:r1", Metric::OverCoolingLimitS, "total");
    assert!(over > 100.0, "time over the cooling limit {over} s");
    // Under capacity: no throttling, all heat removed.
    let rows = summary(&scenario_from_str(&base("400", "2m")));
    assert_eq!(
        stat(&rows, "rack:r1", Metric::OverCoolingLimitS, "total").0,
        0.0
    );
    assert_eq!(stat(&rows, "rack:r1", Metric::ThrottledS, "total").0, 0.0);
    let clock = stat(&rows, "rack:r1", Metric::ThrottleFactor, "mean").0;
    assert!((clock - 1.0).abs() < 1e-12, "{clock}");
}

#[test]
fn a_static_gpu_limit_of_70_percent_slows_prefill_about_1_3x() {
    // One request at a time (1 per 10 s, each far shorter): TTFT is the prefill time.
    let free = summary(&scenario_from_str(&base("0.1", "2h")));
    let src = edit(
        &base("0.1", "2h"),
        "policy = \"none\"",
        "policy = \"static\"\ngpu_power_limit = 0.7",
    );
    let capped = summary(&scenario_from_str(&src));
    let ttft =
        |rows: &[infersim::metrics::SummaryRow]| stat(rows, "pool:g", Metric::TtftS, "p50").0;
    let ratio = ttft(&capped) / ttft(&free);
    // Splitwise (../shared/data/README.md): prefill ~1.3x slower at a 70 % cap.
    assert!((1.15..=1.45).contains(&ratio), "prefill slowdown {ratio}");
    // Every busy GPU draws at most 490 W: the peak is the idle fleet plus n busy GPUs,
    // each adding its host share (1.3 kW / 8) and at most 490 - 75 W (n = 1 or 2 overlap),
    // at least that less a share step (1/64 of the dynamic power: < 10 W).
    let (peak, _) = capped_peak(&capped);
    let per_busy = 1.3 / 8.0 + 0.415;
    let n = ((peak - 1.8) / per_busy).ceil();
    assert!((1.0..=2.0).contains(&n), "peak {peak}");
    assert!(
        peak <= 1.8 + n * per_busy + 1e-9,
        "peak {peak} kW: a GPU above 490 W"
    );
    assert!(
        peak >= 1.8 + n * per_busy - n * 0.01,
        "peak {peak} kW: the limit binds"
    );
}

fn capped_peak(rows: &[infersim::metrics::SummaryRow]) -> (f64, f64) {
    stat(rows, "site", Metric::ItPowerKw, "max")
}

#[test]
fn the_hot_afternoon_throttles_and_raises_latency_and_liquid_cooling_does_not() {
    let mut air = scenario("scenarios/hot-afternoon.toml");
    air.replications = 1;
    let results = run(&air);
    let rows = summarize(&air, &results);
    assert!(stat(&rows, "site", Metric::ThrottledS, "total").0 > 3600.0);
    let p99 = |from_h: f64, to_h: f64| {
        let v: Vec<f64> = series(&air, &results)
            .into_iter()
            .filter(|r| {
                r.series == Series::TtftP99S
                    && r.time_s >= from_h * 3600.0
                    && r.time_s < to_h * 3600.0
            })
            .map(|r| r.value)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (night, afternoon) = (p99(0.0, 6.0), p99(13.0, 17.0));
    assert!(
        afternoon > 1.1 * night,
        "TTFT p99 at night {night} s, in the afternoon {afternoon} s"
    );
    let mut liquid = scenario("scenarios/hot-afternoon-liquid.toml");
    liquid.replications = 1;
    let rows = summary(&liquid);
    assert_eq!(stat(&rows, "site", Metric::ThrottledS, "total").0, 0.0);
    assert_eq!(
        stat(&rows, "site", Metric::OverCoolingLimitS, "total").0,
        0.0
    );
    assert!(stat(&rows, "site", Metric::Pue, "mean").0 < 1.25);
}

#[test]
fn servers_that_do_not_fit_their_rack_even_idle_are_rejected() {
    let ps = problems(&edit(
        &base("1", "1m"),
        "power_cap_kw = 20",
        "power_cap_kw = 1.5",
    ));
    let p = find(&ps, "rack.r1.power_cap_kw");
    assert!(
        p.message.contains("1.8 kW with every GPU idle"),
        "{}",
        p.message
    );
    assert!(p.line_col.is_some());
}

#[test]
fn a_cap_that_cannot_be_enforced_is_rejected() {
    let src = edit(
        &base("1", "1m"),
        "policy = \"none\"",
        "policy = \"dynamic\"",
    );
    let ps = problems(&edit(&src, "power_cap_kw = 20", "power_cap_kw = 2.5"));
    let p = find(&ps, "rack.r1.power_cap_kw");
    assert!(p.message.contains("lowest GPU clock"), "{}", p.message);
}

#[test]
fn an_unknown_rack_or_row_is_named_with_the_known_ones() {
    let ps = problems(&edit(
        &base("1", "1m"),
        "racks = [\"r1\"]",
        "racks = [\"r9\"]",
    ));
    let p = find(&ps, "gpu_pool.g.racks[0]");
    assert!(
        p.message.contains("unknown rack \"r9\"") && p.message.contains("racks: r1"),
        "{}",
        p.message
    );
    let ps = problems(&edit(
        &base("1", "1m"),
        "servers = 1\n",
        "servers = 1\nrow = \"east\"\n",
    ));
    let p = find(&ps, "rack.r1.row");
    assert!(p.message.contains("unknown row \"east\""), "{}", p.message);
}

#[test]
fn a_negative_capacity_and_too_few_slots_are_rejected() {
    let ps = problems(&edit(
        &base("1", "1m"),
        "cooling_capacity_kw = 20",
        "cooling_capacity_kw = -3",
    ));
    let p = find(&ps, "rack.r1.cooling_capacity_kw");
    assert!(p.message.contains("found -3"), "{}", p.message);
    let ps = problems(&edit(&base("1", "1m"), "replicas = 8", "replicas = 9"));
    let p = find(&ps, "gpu_pool.g.racks");
    assert!(p.message.contains("need 2 servers"), "{}", p.message);
}

#[test]
fn an_unsorted_temperature_series_is_rejected_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("weather.csv"),
        "time_s,ambient_c\n0,20\n3600,25\n1800,22\n",
    )
    .unwrap();
    let src = edit(
        &base("1", "1m"),
        "ambient = { constant_c = 20 }",
        "ambient = { csv = \"weather.csv\" }",
    );
    let file = dir.path().join("s.toml");
    let ps = super::support::problems_in(&src, &file);
    let p = find(&ps, "site.ambient.csv");
    assert!(p.message.contains("weather.csv:4:"), "{}", p.message);
}

#[test]
fn low_priority_pools_are_capped_first() {
    // tests/data/facility/priorities.toml: both pools at full clock would need ~16 kW of a
    // 13.5 kW row; the high-priority pool alone fits under 0.9 x 13.5 kW. So the batch pool
    // runs at the lowest clock and the interactive one at full clock; the row holds.
    let s = scenario("tests/data/facility/priorities.toml");
    let rows = summary(&s);
    let clock = |g: &str| stat(&rows, g, Metric::ThrottleFactor, "mean").0;
    assert!(
        (clock("rack:r1") - 1.0).abs() < 1e-12,
        "high priority {}",
        clock("rack:r1")
    );
    assert_eq!(stat(&rows, "rack:r1", Metric::ThrottledS, "total").0, 0.0);
    assert!(clock("rack:r2") < 0.35, "low priority {}", clock("rack:r2"));
    let (peak, _) = stat(&rows, "row:a", Metric::ItPowerKw, "max");
    assert!(peak <= 13.5, "row peak {peak} kW above its 13.5 kW cap");
    assert!(stat(&rows, "row:a", Metric::StrandedPowerKw, "mean").0 >= 0.0);
    let capped = stat(&rows, "rack:r2", Metric::PowerCappedS, "total").0;
    assert!(
        capped > 119.9,
        "throttled by the row cap, not by heat: {capped} s"
    );
    let done = |p: &str| stat(&rows, &format!("pool:{p}"), Metric::CallsCompleted, "total").0;
    assert!(done("batch") < 0.5 * done("interactive"));
}

#[test]
fn a_facility_run_is_byte_identical_on_one_and_two_threads() {
    use assert_cmd::Command;
    let tmp = tempfile::tempdir().unwrap();
    let run_with = |threads: &str| {
        let out = tmp.path().join(threads);
        Command::cargo_bin("infersim")
            .unwrap()
            .args([
                "run",
                "tests/data/facility/priorities.toml",
                "--quiet",
                "--threads",
                threads,
            ])
            .arg("--out")
            .arg(&out)
            .current_dir(repo(""))
            .assert()
            .success();
        out
    };
    let (a, b) = (run_with("1"), run_with("2"));
    for f in ["summary.csv", "timeseries.csv"] {
        let x = std::fs::read(a.join(f)).unwrap();
        assert!(
            String::from_utf8_lossy(&x).contains("rack:r2"),
            "{f} has the racks"
        );
        assert_eq!(x, std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
}

#[test]
fn a_site_cap_over_two_racks_is_never_exceeded() {
    // 16 saturated H100s in two racks (one server each) under a 10 kW site cap: every
    // change moves both racks, and no instant (not even between the two) is above the cap.
    let src = edit(&base("800", "1m"), "replicas = 8", "replicas = 16");
    let src = edit(&src, "racks = [\"r1\"]", "racks = [\"r1\", \"r2\"]");
    let src = edit(
        &src,
        "policy = \"none\"",
        "policy = \"dynamic\"\npower_cap_kw = 10",
    );
    let src = format!("{src}\n[rack.r2]\nservers = 1\ncooling_capacity_kw = 20\n");
    let rows = summary(&scenario_from_str(&src));
    let (peak, _) = stat(&rows, "site", Metric::ItPowerKw, "max");
    assert!(peak <= 10.0, "site peak {peak} kW above its 10 kW cap");
    assert!(peak > 9.5, "the cap is used: {peak}");
    assert!(stat(&rows, "site", Metric::StrandedPowerKw, "mean").0 >= 0.0);
    assert!(stat(&rows, "site", Metric::PowerCappedS, "total").0 > 50.0);
}

#[test]
fn impossible_temperatures_limits_and_leftover_fields_are_rejected() {
    let ps = problems(&edit(
        &base("1", "1m"),
        "constant_c = 20",
        "constant_c = 1000",
    ));
    assert!(find(&ps, "site.ambient").message.contains("from -60 to 70"));
    // 0.1 x 700 W is below a busy H100 at its lowest clock.
    let src = edit(
        &base("1", "1m"),
        "policy = \"none\"",
        "policy = \"static\"\ngpu_power_limit = 0.1",
    );
    let p = find(&problems(&src), "site.gpu_power_limit")
        .message
        .clone();
    assert!(p.contains("lowest clock"), "{p}");
    // Cooling for 3 kW: the idle 1.8 kW fits, busy at the lowest clock does not.
    let p = find(
        &problems(&edit(
            &base("1", "1m"),
            "cooling_capacity_kw = 20",
            "cooling_capacity_kw = 3",
        )),
        "rack.r1.cooling_capacity_kw",
    )
    .message
    .clone();
    assert!(p.contains("thermal throttling cannot hold it"), "{p}");
    let src = edit(
        &base("1", "1m"),
        "policy = \"none\"",
        "policy = \"none\"\npue = 1.2\nfixed_kw = 5",
    );
    assert!(
        find(&problems(&src), "site.fixed_kw")
            .message
            .contains("fixed `pue`")
    );
    let src = edit(
        &base("1", "1m"),
        "policy = \"none\"",
        "policy = \"none\"\nlow_priority_threshold = 0.8",
    );
    assert!(
        find(&problems(&src), "site.low_priority_threshold")
            .message
            .contains("dynamic")
    );
    let src = format!("{}\n[row.east]\npower_cap_kw = 30\n", base("1", "1m"));
    assert!(
        find(&problems(&src), "row.east")
            .message
            .contains("no rack stands in row east")
    );
}

#[test]
fn a_binding_cap_counts_as_power_capped_even_over_the_cooling_limit() {
    // Saturated prefill wants 8.1 kW; cooling removes 5 kW and the rack's cap is 4.5 kW:
    // the cap sets the clock while the heat is also above the cooling capacity.
    let src = edit(
        &base("400", "2m"),
        "policy = \"none\"",
        "policy = \"dynamic\"",
    );
    let src = edit(&src, "power_cap_kw = 20", "power_cap_kw = 4.5");
    let src = edit(&src, "cooling_capacity_kw = 20", "cooling_capacity_kw = 5");
    let rows = summary(&scenario_from_str(&src));
    let t = |m: Metric| stat(&rows, "rack:r1", m, "total").0;
    assert!(
        t(Metric::PowerCappedS) > 119.0,
        "{}",
        t(Metric::PowerCappedS)
    );
    assert!(t(Metric::OverCoolingLimitS) > 119.0);
    assert!(stat(&rows, "rack:r1", Metric::ItPowerKw, "max").0 <= 4.5);
    // Thermal throttling alone is not a cap.
    let src = edit(
        &base("400", "2m"),
        "cooling_capacity_kw = 20",
        "cooling_capacity_kw = 5",
    );
    let rows = summary(&scenario_from_str(&src));
    assert_eq!(stat(&rows, "rack:r1", Metric::PowerCappedS, "total").0, 0.0);
}
