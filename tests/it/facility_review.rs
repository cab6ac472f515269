//! Regression tests from a review of the facility model: a site cap over several racks, a
//! drained run with a changing ambient, and fast-forward under a binding cap.

use super::support::{scenario_from_str, stat, summary};
use infersim::metrics::Metric;

const SCEN: &str = r#"[scenario]
name = "t"
seed = 7
horizon = "HORIZON"
DRAIN
interval = "5m"

[arrivals.chat]
workflow = "chat"
process = "poisson"
rate_per_s = 16.0

[[workflow.chat.steps]]
name = "answer"
kind = "llm"
pool = "p"
input_tokens = { dist = "lognormal", mean = 1155, cv = 1.0, max = 8000 }
output_tokens = { dist = "lognormal", mean = 211, cv = 1.29, max = 1000 }

[gpu_pool.p]
model = "llama-3.1-70b"
gpu = "h100-sxm"
tensor_parallel = 4
replicas = 8
racks = ["r1", "r2", "r3", "r4"]
FF

[site]
power_cap_kw = 26
AMBIENT

[rack.r1]
servers = 1
power_cap_kw = 20
[rack.r2]
servers = 1
power_cap_kw = 20
[rack.r3]
servers = 1
power_cap_kw = 20
[rack.r4]
servers = 1
power_cap_kw = 20
"#;

fn scen(horizon: &str, drain: bool, ff: bool, ambient: &str) -> String {
    SCEN.replace("HORIZON", horizon)
        .replace("DRAIN", if drain { "drain = true" } else { "" })
        .replace("FF", if ff { "" } else { "fast_forward = false" })
        .replace("AMBIENT", ambient)
}

/// The site's reported peak IT power stays under its enforced cap (it once read ~26.8 kW:
/// the peak was sampled while racks were retuned one by one at one instant).
#[test]
fn the_reported_site_peak_never_exceeds_an_enforced_cap() {
    let rows = summary(&scenario_from_str(&scen("30m", false, false, "")));
    let (max, _) = stat(&rows, "site", Metric::ItPowerKw, "max");
    assert!(
        max <= 26.0 * (1.0 + 1e-9),
        "site IT power max {max} kW > cap 26 kW"
    );
}

/// Under a binding cap, stepping (`fast_forward = false`) re-reads a replica's power every
/// iteration while a fast-forwarded decode run keeps its first iteration's level until its
/// next batch (README "Known limits"): the two differ, but only slightly. Measured: TTFT
/// mean 0.3692 s vs 0.3733 s (1.1 %); bound 5 %.
#[test]
fn fast_forward_changes_latencies_under_a_cap_only_slightly() {
    let a = summary(&scenario_from_str(&scen("10m", false, true, "")));
    let b = summary(&scenario_from_str(&scen("10m", false, false, "")));
    let (ta, _) = stat(&a, "all", Metric::TtftS, "mean");
    let (tb, _) = stat(&b, "all", Metric::TtftS, "mean");
    assert!(
        stat(&a, "site", Metric::ThrottledS, "total").0 > 0.0,
        "the cap binds"
    );
    assert!(
        (ta / tb - 1.0).abs() < 0.05,
        "TTFT mean with fast_forward {ta} vs without {tb}"
    );
}

/// A drained run ends with its last task, not at the next ambient step (6 h here).
#[test]
fn a_drained_run_with_a_changing_ambient_ends_with_its_work() {
    let amb = "ambient = { mean_c = 25, diurnal_amplitude_c = 8 }\nambient_step = \"6h\"";
    let rows = summary(&scenario_from_str(&scen("60s", true, true, amb)));
    let (t, _) = stat(&rows, "all", Metric::SimulatedTimeS, "total");
    assert!(t < 600.0, "simulated time {t} s for 60 s of arrivals");
}
