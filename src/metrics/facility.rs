//! Summary and time-series rows of the facility: per rack (`rack:NAME`), per row
//! (`row:NAME`) and for the site (`site`). Powers are exact window averages of the piecewise-constant levels kept by
//! `domain::facility::runtime` (µW·ns integrals); energy is their total.

use super::summary::{Obs, SeriesRow, at};
use super::window_len;
use super::{Metric, ReplicationResult, Series};
use crate::domain::Scenario;
use crate::domain::facility::LevelsResult;

/// µW·ns per kWh.
const UW_NS_PER_KWH: f64 = 1e6 * 1e3 * 3600.0 * 1e9;
/// µW·ns per kW·ns.
const UW_PER_KW: f64 = 1e9;

fn level_obs<'a>(l: &LevelsResult, t_ns: f64) -> Vec<(Metric, Obs<'a>)> {
    let per_time = |x: i128| {
        if t_ns > 0.0 {
            x as f64 / t_ns
        } else {
            f64::NAN
        }
    };
    let peak_kw = l.peak_it_uw as f64 / UW_PER_KW;
    let mut v = vec![
        (
            Metric::ItPowerKw,
            Obs::Level(per_time(l.it_integral) / UW_PER_KW),
        ),
        (Metric::ItPowerKw, Obs::Peak(peak_kw)),
        (
            Metric::FacilityPowerKw,
            Obs::Level(per_time(l.facility_integral) / UW_PER_KW),
        ),
        (
            Metric::EnergyKwh,
            Obs::Total(l.it_integral as f64 / UW_NS_PER_KWH),
        ),
        (
            Metric::FacilityEnergyKwh,
            Obs::Total(l.facility_integral as f64 / UW_NS_PER_KWH),
        ),
        (
            Metric::Pue,
            Obs::Level(if l.it_integral > 0 {
                l.facility_integral as f64 / l.it_integral as f64
            } else {
                f64::NAN
            }),
        ),
        (
            Metric::ThrottleFactor,
            Obs::Level(if l.busy_gpu_integral > 0 {
                l.clock_integral as f64 / 1e6 / l.busy_gpu_integral as f64
            } else {
                f64::NAN
            }),
        ),
        (
            Metric::ThrottledS,
            Obs::Total(l.throttled_integral as f64 / 1e9),
        ),
        (
            Metric::OverCoolingLimitS,
            Obs::Total(l.over_cooling_integral as f64 / 1e9),
        ),
        (
            Metric::PowerCappedS,
            Obs::Total(l.capped_integral as f64 / 1e9),
        ),
    ];
    if let Some(cap) = l.cap_kw {
        v.push((Metric::PowerCapKw, Obs::Point(cap)));
        v.push((Metric::StrandedPowerKw, Obs::Level(cap - peak_kw)));
    }
    v
}

/// The summary entries of the facility: the site, each row, then each rack (sorted names).
pub(super) fn observations<'a>(
    spec: &Scenario,
    r: &'a ReplicationResult,
) -> Vec<(String, Metric, Obs<'a>)> {
    let (Some(f), Some(fr)) = (&spec.facility, &r.facility) else {
        return Vec::new();
    };
    let t_ns = r.end.0 as f64;
    let mut out: Vec<(String, Metric, Obs<'a>)> = level_obs(&fr.site, t_ns)
        .into_iter()
        .map(|(m, o)| ("site".to_string(), m, o))
        .collect();
    let named = f
        .rows
        .iter()
        .map(|r| format!("row:{}", r.name))
        .zip(&fr.rows)
        .chain(
            f.racks
                .iter()
                .map(|r| format!("rack:{}", r.name))
                .zip(&fr.racks),
        );
    for (g, l) in named {
        out.extend(
            level_obs(l, t_ns)
                .into_iter()
                .map(|(m, o)| (g.clone(), m, o)),
        );
    }
    out
}

fn level_windows(
    rows: &mut Vec<SeriesRow>,
    spec: &Scenario,
    r: &ReplicationResult,
    group: &str,
    l: &LevelsResult,
    ambient: Option<&[i128]>,
) {
    for k in 0..l.it_windows.len() {
        let len = window_len(k, spec.interval, r.end) as f64;
        if len <= 0.0 {
            continue;
        }
        let time_s = (spec.interval.0 as f64 * k as f64) / 1e9;
        let it = at(&l.it_windows, k);
        let facility = at(&l.facility_windows, k);
        let busy = at(&l.busy_gpu_windows, k);
        let mut values = vec![
            (Series::ItPowerKw, it / len / UW_PER_KW),
            (Series::FacilityPowerKw, facility / len / UW_PER_KW),
            (
                Series::CoolingCapacityKw,
                at(&l.capacity_windows, k) / len / UW_PER_KW,
            ),
            (Series::Pue, if it > 0.0 { facility / it } else { f64::NAN }),
            (
                Series::ThrottleFactor,
                if busy > 0.0 {
                    at(&l.clock_windows, k) / 1e6 / busy
                } else {
                    1.0
                },
            ),
            (Series::Throttled, at(&l.throttled_windows, k) / len),
        ];
        if let Some(cap) = l.cap_kw {
            values.push((Series::PowerCapKw, cap));
        }
        if let Some(a) = ambient {
            values.push((Series::AmbientC, at(a, k) / len / 1e3));
        }
        for (series, value) in values {
            if value.is_nan() {
                continue;
            }
            rows.push(SeriesRow {
                replication: r.replication,
                time_s,
                series,
                group: group.to_string(),
                value,
            });
        }
    }
}

/// Appends the facility's `timeseries.csv` rows of one replication: the site, each row,
/// then each rack.
pub(super) fn series_rows(rows: &mut Vec<SeriesRow>, spec: &Scenario, r: &ReplicationResult) {
    let (Some(f), Some(fr)) = (&spec.facility, &r.facility) else {
        return;
    };
    level_windows(rows, spec, r, "site", &fr.site, Some(&fr.ambient_windows));
    for (row, l) in f.rows.iter().zip(&fr.rows) {
        level_windows(rows, spec, r, &format!("row:{}", row.name), l, None);
    }
    for (rack, l) in f.racks.iter().zip(&fr.racks) {
        level_windows(rows, spec, r, &format!("rack:{}", rack.name), l, None);
    }
}
