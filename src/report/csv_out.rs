//! `summary.csv` and `timeseries.csv`: pure functions from results to bytes.

use crate::metrics::{DistributionRow, SeriesRow, SummaryRow};

/// Header of `summary.csv`.
pub const SUMMARY_HEADER: [&str; 7] = [
    "scenario",
    "group",
    "metric",
    "stat",
    "value",
    "ci95_half_width",
    "unit",
];

/// Header of `timeseries.csv`.
pub const TIMESERIES_HEADER: [&str; 7] = [
    "scenario",
    "replication",
    "time_s",
    "series",
    "group",
    "value",
    "unit",
];

/// Header of `distributions.csv`.
pub const DISTRIBUTIONS_HEADER: [&str; 6] =
    ["scenario", "group", "metric", "quantile", "value", "unit"];

fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// The cells of a summary row after its scenario: group, metric, stat, value, half-width
/// and unit.
pub(super) fn summary_cells(r: &SummaryRow) -> [String; 6] {
    [
        r.group.clone(),
        r.metric.name().to_string(),
        r.stat.to_string(),
        num(r.value),
        num(r.ci95_half_width),
        // A distribution's `count` counts observations, whatever the metric's unit.
        if r.stat == "count" {
            "observations"
        } else {
            r.metric.unit()
        }
        .to_string(),
    ]
}

/// `summary.csv` bytes: one observation a row; an empty `value` means no observation and an
/// empty `ci95_half_width` means fewer than two replications or a point figure.
///
/// # Errors
/// Only if the CSV writer fails on memory output (it does not in practice).
pub fn summary_csv(scenario: &str, rows: &[SummaryRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(SUMMARY_HEADER)?;
    for r in rows {
        let mut rec = vec![scenario.to_string()];
        rec.extend(summary_cells(r));
        w.write_record(&rec)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// `distributions.csv` bytes: each distribution of `summary.csv` (merged over
/// replications) at the quantiles of [`crate::metrics::cdf_quantiles`], for CDF charts.
///
/// # Errors
/// As [`summary_csv`].
pub fn distributions_csv(scenario: &str, rows: &[DistributionRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(DISTRIBUTIONS_HEADER)?;
    for r in rows {
        w.write_record([
            scenario,
            &r.group,
            r.metric.name(),
            &num(Some(r.quantile)),
            &num(Some(r.value)),
            r.metric.unit(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// `timeseries.csv` bytes: window averages of exactly integrated quantities; `time_s` is
/// the window start.
///
/// # Errors
/// As [`summary_csv`].
pub fn timeseries_csv(scenario: &str, rows: &[SeriesRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TIMESERIES_HEADER)?;
    for r in rows {
        write_series_row(&mut w, scenario, r)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Writes one `timeseries.csv` row (the header is the caller's).
///
/// # Errors
/// The writer's I/O error.
pub fn write_series_row<W: std::io::Write>(
    w: &mut csv::Writer<W>,
    scenario: &str,
    r: &SeriesRow,
) -> Result<(), csv::Error> {
    w.write_record([
        scenario,
        &r.replication.to_string(),
        &num(Some(r.time_s)),
        r.series.name(),
        &r.group,
        &num(Some(r.value)),
        r.series.unit(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Metric, Series};

    #[test]
    fn summary_rows_render_exactly() {
        let rows = vec![
            SummaryRow {
                group: "pool:cpu".into(),
                metric: Metric::WaitS,
                stat: "p99",
                value: Some(1.25),
                ci95_half_width: None,
            },
            SummaryRow {
                group: "all".into(),
                metric: Metric::TasksStarted,
                stat: "total",
                value: None,
                ci95_half_width: Some(0.5),
            },
        ];
        let out = String::from_utf8(summary_csv("s", &rows).unwrap()).unwrap();
        assert_eq!(
            out,
            "scenario,group,metric,stat,value,ci95_half_width,unit\n\
             s,pool:cpu,wait_s,p99,1.25,,s\n\
             s,all,tasks_started,total,,0.5,tasks\n"
        );
        let ts = vec![SeriesRow {
            replication: 1,
            time_s: 60.0,
            series: Series::Utilization,
            group: "pool:cpu".into(),
            value: 0.75,
        }];
        let out = String::from_utf8(timeseries_csv("s", &ts).unwrap()).unwrap();
        assert_eq!(
            out,
            "scenario,replication,time_s,series,group,value,unit\ns,1,60,utilization,pool:cpu,0.75,ratio\n"
        );
        let d = vec![DistributionRow {
            group: "all".into(),
            metric: Metric::TtftS,
            quantile: 0.99,
            value: 0.5,
        }];
        let out = String::from_utf8(distributions_csv("s", &d).unwrap()).unwrap();
        assert_eq!(
            out,
            "scenario,group,metric,quantile,value,unit\ns,all,ttft_s,0.99,0.5,s\n"
        );
    }
}
