//! The facility's lines in what `validate` and `run` print.

use super::report_text::value;
use crate::domain::Scenario;
use crate::domain::facility::PowerPolicy;
use crate::domain::facility::ambient::Ambient;
use crate::metrics::{Metric, SummaryRow};
use std::fmt::Write;

fn ambient(a: &Ambient) -> String {
    match a {
        Ambient::Constant { c } => format!("{c} °C"),
        Ambient::Curve {
            mean_c,
            diurnal_amplitude_c,
            peak_hour,
            seasonal_amplitude_c,
            peak_day_of_year,
        } => format!(
            "{mean_c} °C ± {diurnal_amplitude_c} daily (peak {peak_hour} h) ± {seasonal_amplitude_c} yearly (peak day {peak_day_of_year})"
        ),
        Ambient::Series(points) => format!("a series of {} points", points.len()),
    }
}

fn kw(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.1} kW"))
}

/// `validate`: the site, its policy and weather, and each rack with what is placed in it,
/// its idle and full-load power against its cap and cooling.
pub fn describe(spec: &Scenario) -> String {
    let mut s = String::new();
    let Some(f) = &spec.facility else {
        return s;
    };
    let policy = match f.site.policy {
        PowerPolicy::Uncapped => "caps reported, not enforced".to_string(),
        PowerPolicy::StaticGpuLimit { fraction } => {
            format!("every GPU limited to {:.0} % of TDP", fraction * 100.0)
        }
        PowerPolicy::Dynamic {
            low_priority_threshold,
        } => format!(
            "caps enforced by GPU clocks (low priority above {:.0} % of a limit)",
            low_priority_threshold * 100.0
        ),
    };
    let pue = f
        .site
        .pue
        .map_or("PUE from the cooling model".to_string(), |p| {
            format!("fixed PUE {p}")
        });
    let _ = writeln!(
        s,
        "  site: cap {}, {policy}, {pue}, ambient {} read every {} s",
        kw(f.site.cap_kw),
        ambient(&f.site.ambient),
        f.site.ambient_step.as_secs_f64()
    );
    let mut idle = vec![0.0; f.racks.len()];
    let mut full = vec![0.0; f.racks.len()];
    let mut placed: Vec<Vec<String>> = vec![Vec::new(); f.racks.len()];
    for (p, place) in spec.gpu_pools.iter().zip(&f.pools) {
        let g = f64::from(place.gpus_per_server);
        let mut count = vec![0u32; f.racks.len()];
        for &r in &place.servers {
            idle[r as usize] += place.host_idle_w + g * p.gpu.idle_w;
            full[r as usize] += place.host_busy_w + g * p.gpu.tdp_w;
            count[r as usize] += 1;
        }
        // The pool's last server may be partly empty (its GPUs idle all along).
        // Racks hold the largest fleet the plan has (`[[fleet]]`).
        let k = spec
            .gpu_pools
            .iter()
            .position(|q| q.name == p.name)
            .unwrap_or(0);
        let used = u64::from(spec.fleet.range(k).1) * u64::from(p.tensor_parallel.max(1));
        let unused =
            (place.servers.len() as u64 * u64::from(place.gpus_per_server)).saturating_sub(used);
        let last = place.servers.last().copied();
        for (r, n) in count.iter().enumerate() {
            if *n > 0 {
                let spare = if last == Some(r as u32) && unused > 0 {
                    format!(", {unused} GPUs unused")
                } else {
                    String::new()
                };
                placed[r].push(format!(
                    "{n} x {} server(s) of {} x {}{spare}",
                    p.name, place.gpus_per_server, p.gpu_name
                ));
            }
        }
    }
    for (w, row) in f.rows.iter().enumerate() {
        let members: Vec<usize> = (0..f.racks.len())
            .filter(|&k| f.racks[k].row == Some(w as u32))
            .collect();
        let names: Vec<&str> = members.iter().map(|&k| f.racks[k].name.as_str()).collect();
        let _ = writeln!(
            s,
            "  row.{}: racks {}, idle {:.1} kW, all GPUs at TDP {:.1} kW, cap {}",
            row.name,
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            },
            members.iter().map(|&k| idle[k]).sum::<f64>() / 1e3,
            members.iter().map(|&k| full[k]).sum::<f64>() / 1e3,
            kw(row.cap_kw)
        );
    }
    for (k, r) in f.racks.iter().enumerate() {
        let _ = writeln!(
            s,
            "  rack.{}: {} of {} server slots used ({}), idle {:.1} kW, all GPUs at TDP {:.1} kW, cap {}, {} cooling {:.1} kW",
            r.name,
            f.pools
                .iter()
                .map(|p| p.servers.iter().filter(|&&x| x as usize == k).count())
                .sum::<usize>(),
            r.slots,
            if placed[k].is_empty() {
                "empty".to_string()
            } else {
                placed[k].join(", ")
            },
            idle[k] / 1e3,
            full[k] / 1e3,
            kw(r.cap_kw),
            r.cooling.name(),
            r.cooling_kw
        );
    }
    s
}

/// `run`: power, energy, PUE and throttling of the site and each rack.
pub fn summary(spec: &Scenario, rows: &[SummaryRow]) -> String {
    let mut s = String::new();
    let Some(f) = &spec.facility else {
        return s;
    };
    let groups = std::iter::once(("site".to_string(), "site".to_string()))
        .chain(
            f.rows
                .iter()
                .map(|r| (format!("row:{}", r.name), format!("row {}", r.name))),
        )
        .chain(
            f.racks
                .iter()
                .map(|r| (format!("rack:{}", r.name), format!("rack {}", r.name))),
        );
    for (g, label) in groups {
        let v = |m: Metric, stat: &str| value(rows, &g, m, stat);
        let _ = writeln!(
            s,
            "  {label:<25} IT power mean {}  peak {} (cap {})  energy {:.1} kWh  facility {:.1} kWh  PUE {:.3}  throttled {:.0} s (by caps {:.0} s, over the cooling limit {:.0} s)  clock {:.3}",
            kw(v(Metric::ItPowerKw, "mean")),
            kw(v(Metric::ItPowerKw, "max")),
            kw(v(Metric::PowerCapKw, "mean")),
            v(Metric::EnergyKwh, "total").unwrap_or(f64::NAN),
            v(Metric::FacilityEnergyKwh, "total").unwrap_or(f64::NAN),
            v(Metric::Pue, "mean").unwrap_or(f64::NAN),
            v(Metric::ThrottledS, "total").unwrap_or(0.0),
            v(Metric::PowerCappedS, "total").unwrap_or(0.0),
            v(Metric::OverCoolingLimitS, "total").unwrap_or(0.0),
            v(Metric::ThrottleFactor, "mean").unwrap_or(1.0),
        );
    }
    s
}

/// Warnings about the facility and the window series of a run (stderr, even with `--quiet`).
pub fn warnings(spec: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let end_s = spec.expected_end_s();
    if let (Some(f), Some(end_s)) = (&spec.facility, end_s)
        && let Ambient::Series(points) = &f.site.ambient
        && let (Some(first), Some(last)) = (points.first(), points.last())
        && (first.0 > 0.0 || last.0 < end_s)
    {
        out.push(format!(
            "warning: site.ambient.csv covers {:.0} s to {:.0} s from the scenario start, but the run lasts {:.0} s: outside the series the temperature is held at its first or last value ({} °C, {} °C); check `[scenario] start`",
            first.0, last.0, end_s, first.1, last.1
        ));
    }
    if let Some(end_s) = end_s {
        let windows = end_s / spec.interval.as_secs_f64();
        if windows > crate::metrics::MAX_QUANTILE_WINDOWS as f64 {
            out.push(format!(
                "note: ttft_p99_s and task_latency_p99_s are kept for the first {} windows only ({:.0} s at this interval); a longer `--interval` covers the whole run",
                crate::metrics::MAX_QUANTILE_WINDOWS,
                crate::metrics::MAX_QUANTILE_WINDOWS as f64 * spec.interval.as_secs_f64()
            ));
        }
    }
    out
}
