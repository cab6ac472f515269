//! `sweep.csv`: one row per sweep point and summary observation, with the swept values.

use super::csv_out::summary_cells;
use crate::metrics::SummaryRow;

/// `sweep.csv` bytes: `scenario,point,<one column per swept path>,group,metric,stat,value,
/// ci95_half_width,unit`; points in grid order (the first swept path varies slowest), each
/// point's rows as in its `summary.csv`.
///
/// # Errors
/// Only if the CSV writer fails on memory output.
pub fn sweep_csv(
    scenario: &str,
    paths: &[String],
    points: &[(Vec<String>, Vec<SummaryRow>)],
) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = vec!["scenario", "point"];
    header.extend(paths.iter().map(String::as_str));
    header.extend([
        "group",
        "metric",
        "stat",
        "value",
        "ci95_half_width",
        "unit",
    ]);
    w.write_record(&header)?;
    for (k, (values, rows)) in points.iter().enumerate() {
        let point = k.to_string();
        for r in rows {
            let mut rec: Vec<String> = vec![scenario.to_string(), point.clone()];
            rec.extend(values.iter().cloned());
            rec.extend(summary_cells(r));
            w.write_record(&rec)?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}
