//! Power and cooling: site and rack IT power against their caps with throttled periods
//! shaded, cooling capacity against the heat, ambient temperature and PUE
//! (`timeseries.csv`).

use super::time::{Want, over_time, over_time_scaled};
use super::{short, window_end};
use crate::report::chart::{Chart, Mark};
use crate::report::read::RunData;

const NO_FACILITY: &str = "this run has no [site] or racks";

/// The windows in which any of `groups` ran some GPU below full clock, as time spans
/// `[start, end)` [s], adjacent windows merged.
pub fn throttled_spans(run: &RunData, groups: &[String]) -> Vec<(f64, f64)> {
    let mut starts: Vec<f64> = groups
        .iter()
        .filter_map(|g| run.series("throttled", g))
        .flat_map(|s| s.points.iter().filter(|p| p.1 > 0.0).map(|p| p.0))
        .collect();
    starts.sort_by(f64::total_cmp);
    starts.dedup();
    let mut spans: Vec<(f64, f64)> = Vec::new();
    for t in starts {
        match spans.last_mut() {
            Some(last) if t <= last.1 + 1e-9 => last.1 = last.1.max(window_end(run, t)),
            _ => spans.push((t, window_end(run, t))),
        }
    }
    spans
}

/// Adds the throttled spans of `groups` to `chart`, whose x axis is `f` units a second.
fn shade(run: &RunData, (mut chart, f): (Chart, f64), groups: &[String]) -> Chart {
    let spans = throttled_spans(run, groups);
    if spans.is_empty() || !chart.has_data() {
        return chart;
    }
    chart.shaded = Some((
        "throttled".into(),
        spans.into_iter().map(|(a, b)| (a * f, b * f)).collect(),
    ));
    chart
}

/// Site IT and facility power against the site's cap, throttled windows shaded.
pub fn site_power(run: &RunData) -> Chart {
    let wanted = [
        Want::new("it_power_kw", "site", "IT power".into(), 0, false).peak(),
        Want::new(
            "facility_power_kw",
            "site",
            "facility power".into(),
            1,
            false,
        )
        .peak(),
        Want::new("power_cap_kw", "site", "site power cap".into(), 5, true).peak(),
    ];
    let c = over_time_scaled(
        run,
        "site_power",
        "Site power against its cap",
        "Window averages of IT power (GPUs and hosts) and facility power (IT, cooling, losses) against the site's cap; shaded windows ran some GPU below full clock.",
        "power [kW]",
        &wanted,
        NO_FACILITY,
    );
    shade(run, c, &["site".to_string()])
}

/// IT power per rack (solid) against its cap (dashed), throttled windows shaded.
pub fn rack_power(run: &RunData) -> Chart {
    let racks: Vec<String> = run
        .series_groups("it_power_kw")
        .into_iter()
        .filter(|g| g.starts_with("rack:"))
        .collect();
    let mut wanted = Vec::new();
    for (i, g) in racks.iter().enumerate() {
        wanted.push(Want::new("it_power_kw", g, short(g).to_string(), i, false).peak());
        wanted.push(Want::new("power_cap_kw", g, format!("{} cap", short(g)), i, true).peak());
    }
    let c = over_time_scaled(
        run,
        "rack_power",
        "Rack power against rack caps",
        "Window-average IT power of each rack (solid) and its power cap (dashed); shaded windows ran some GPU below full clock.",
        "power [kW]",
        &wanted,
        NO_FACILITY,
    );
    shade(run, c, &racks)
}

/// Cooling capacity per rack (dashed) against the heat it must remove (IT power, solid).
pub fn cooling(run: &RunData) -> Chart {
    let racks: Vec<String> = run
        .series_groups("cooling_capacity_kw")
        .into_iter()
        .filter(|g| g.starts_with("rack:"))
        .collect();
    let mut wanted = Vec::new();
    for (i, g) in racks.iter().enumerate() {
        wanted.push(
            Want::new(
                "it_power_kw",
                g,
                format!("{} heat (IT power)", short(g)),
                i,
                false,
            )
            .peak(),
        );
        wanted.push(
            Want::new(
                "cooling_capacity_kw",
                g,
                format!("{} cooling capacity", short(g)),
                i,
                true,
            )
            .peak(),
        );
    }
    over_time(
        run,
        "cooling",
        "Cooling capacity against heat",
        "Each rack's cooling capacity at the window's ambient temperature (dashed) and the heat of its IT load (solid).",
        "power [kW]",
        &wanted,
        NO_FACILITY,
    )
}

/// Outdoor (ambient) temperature at the site.
pub fn ambient(run: &RunData) -> Chart {
    over_time(
        run,
        "ambient",
        "Ambient temperature",
        "Window-average outdoor temperature at the site.",
        "ambient [°C]",
        &[Want::new("ambient_c", "site", "ambient".into(), 5, false)],
        NO_FACILITY,
    )
}

/// PUE of the site per window (facility energy / IT energy).
pub fn pue(run: &RunData) -> Chart {
    let mut c = over_time(
        run,
        "pue",
        "PUE",
        "Power usage effectiveness per window: facility energy over IT energy (1 is ideal).",
        "PUE [ratio]",
        &[Want::new("pue", "site", "site PUE".into(), 2, false)],
        NO_FACILITY,
    );
    if c.has_data() {
        // PUE is at least 1: start the axis there so that changes are visible.
        let top = c
            .series
            .iter()
            .flat_map(|s| match &s.mark {
                Mark::Line { points, .. } => points.iter().map(|p| p.1).collect(),
                _ => Vec::new(),
            })
            .filter(|v| v.is_finite())
            .fold(1.1_f64, f64::max);
        c.y.range = (1.0, 1.0 + (top - 1.0) * 1.3);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::super::test_run;
    use super::*;
    use crate::report::read::MeanSeries;

    #[test]
    fn adjacent_throttled_windows_merge_into_one_span() {
        let mut run = test_run(Vec::new(), Vec::new());
        let s = |pts: Vec<(f64, f64)>| MeanSeries {
            unit: "ratio".into(),
            points: pts,
        };
        run.series.insert(
            ("throttled".into(), "rack:r1".into()),
            s(vec![
                (0.0, 0.0),
                (60.0, 0.5),
                (120.0, 1.0),
                (180.0, 0.0),
                (240.0, 0.1),
            ]),
        );
        run.series.insert(
            ("throttled".into(), "rack:r2".into()),
            s(vec![(180.0, 0.2)]),
        );
        let spans = throttled_spans(&run, &["rack:r1".into(), "rack:r2".into()]);
        assert_eq!(spans, vec![(60.0, 300.0)]);
        assert_eq!(
            throttled_spans(&run, &["rack:r1".into()]),
            vec![(60.0, 180.0), (240.0, 300.0)]
        );
        assert!(!site_power(&run).has_data());
    }
}
