//! `sweep.csv` as a table: written from a sweep's results, read back from a file (for
//! charts and for `merge`), and written again byte for byte.

use crate::metrics::SummaryRow;
use crate::report::csv_out::{SUMMARY_HEADER, summary_cells};
use std::collections::BTreeMap;

/// The columns after the swept paths: `summary.csv`'s after `scenario`.
const TAIL: &[&str] = SUMMARY_HEADER.split_at(1).1;

/// `sweep.csv`: the swept paths and, per point index, its records (every cell as text, as
/// in the file).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SweepTable {
    /// Swept paths, in `--set` order.
    pub paths: Vec<String>,
    /// Records by point index (0-based, in grid order).
    pub points: BTreeMap<usize, Vec<Vec<String>>>,
}

/// One observation of a point, parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    /// The value (`None`: no observation).
    pub value: Option<f64>,
    /// The 95 % CI half-width (`None`: fewer than 2 replications).
    pub ci95_half_width: Option<f64>,
}

impl SweepTable {
    /// The table of `points` (`(index, swept values, summary rows)`) of scenario `scenario`.
    pub fn of(
        scenario: &str,
        paths: &[String],
        points: impl IntoIterator<Item = (usize, Vec<String>, Vec<SummaryRow>)>,
    ) -> SweepTable {
        let mut t = SweepTable {
            paths: paths.to_vec(),
            points: BTreeMap::new(),
        };
        for (k, values, rows) in points {
            let recs = rows
                .iter()
                .map(|r| {
                    let mut rec = vec![scenario.to_string(), k.to_string()];
                    rec.extend(values.iter().cloned());
                    rec.extend(summary_cells(r));
                    rec
                })
                .collect();
            t.points.insert(k, recs);
        }
        t
    }

    /// `sweep.csv` bytes: `scenario,point,<one column per swept path>,group,metric,stat,
    /// value,ci95_half_width,unit`; points in index order, each point's rows as in its
    /// `summary.csv`.
    ///
    /// # Errors
    /// Only if the CSV writer fails on memory output.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<&str> = vec!["scenario", "point"];
        header.extend(self.paths.iter().map(String::as_str));
        header.extend(TAIL.iter().copied());
        w.write_record(&header)?;
        for recs in self.points.values() {
            for r in recs {
                w.write_record(r)?;
            }
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    }

    /// Reads `sweep.csv` bytes; `name` names the file in errors.
    ///
    /// # Errors
    /// A message with the line when the header is not a sweep's, a row is short or its
    /// point is not a whole number.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<SweepTable, String> {
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(bytes);
        let header: Vec<String> = r
            .headers()
            .map_err(|e| format!("{name}: {e}"))?
            .iter()
            .map(String::from)
            .collect();
        let n = header.len();
        if n < 2 + TAIL.len()
            || header[0] != "scenario"
            || header[1] != "point"
            || header[n - TAIL.len()..] != *TAIL
        {
            return Err(format!(
                "{name}:1: not a sweep.csv header (expected scenario,point,<paths>,{})",
                TAIL.join(",")
            ));
        }
        let mut t = SweepTable {
            paths: header[2..n - TAIL.len()].to_vec(),
            points: BTreeMap::new(),
        };
        for rec in r.records() {
            let rec = rec.map_err(|e| format!("{name}: {e}"))?;
            let line = rec.position().map_or(0, |p| p.line());
            let cells: Vec<String> = rec.iter().map(String::from).collect();
            let k: usize = cells[1].parse().map_err(|_| {
                format!(
                    "{name}:{line}: field 2 (point): expected a whole number, found {:?}",
                    cells[1]
                )
            })?;
            t.points.entry(k).or_default().push(cells);
        }
        Ok(t)
    }

    /// The swept values of point `k`.
    pub fn values(&self, k: usize) -> Vec<String> {
        self.points
            .get(&k)
            .and_then(|recs| recs.first())
            .map(|r| r[2..2 + self.paths.len()].to_vec())
            .unwrap_or_default()
    }

    /// Point `k`'s observation of `(group, metric, stat)`, if it has that row.
    pub fn get(&self, k: usize, group: &str, metric: &str, stat: &str) -> Option<Obs> {
        let p = 2 + self.paths.len();
        let num = |s: &String| s.parse::<f64>().ok().filter(|v| v.is_finite());
        self.points.get(&k)?.iter().find_map(|r| {
            (r[p] == group && r[p + 1] == metric && r[p + 2] == stat).then(|| Obs {
                value: num(&r[p + 3]),
                ci95_half_width: num(&r[p + 4]),
            })
        })
    }

    /// The `(group, metric, stat)` of point `k`'s rows (for "nearest" messages).
    pub fn keys(&self, k: usize) -> Vec<(&str, &str, &str)> {
        let p = 2 + self.paths.len();
        self.points.get(&k).map_or_else(Vec::new, |recs| {
            recs.iter()
                .map(|r| (r[p].as_str(), r[p + 1].as_str(), r[p + 2].as_str()))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_reads_back_byte_for_byte() {
        let csv = "scenario,point,a.b,c,group,metric,stat,value,ci95_half_width,unit\n\
                   s,0,1,\"[1, 2]\",all,ttft_s,p99,0.5,,s\n\
                   s,0,1,\"[1, 2]\",all,slo_attainment,mean,0.99,0.01,ratio\n\
                   s,1,2,\"[1, 2]\",all,ttft_s,p99,0.25,,s\n";
        let t = SweepTable::parse("sweep.csv", csv.as_bytes()).unwrap();
        assert_eq!(t.paths, ["a.b", "c"]);
        assert_eq!(t.values(0), ["1", "[1, 2]"]);
        assert_eq!(
            t.get(0, "all", "slo_attainment", "mean"),
            Some(Obs {
                value: Some(0.99),
                ci95_half_width: Some(0.01)
            })
        );
        assert_eq!(
            t.get(1, "all", "ttft_s", "p99").unwrap().ci95_half_width,
            None
        );
        assert_eq!(t.get(1, "all", "slo_attainment", "mean"), None);
        assert_eq!(String::from_utf8(t.to_csv().unwrap()).unwrap(), csv);
        let e = SweepTable::parse("x.csv", b"scenario,group\n").unwrap_err();
        assert!(e.contains("x.csv:1: not a sweep.csv header"), "{e}");
        let bad =
            "scenario,point,group,metric,stat,value,ci95_half_width,unit\ns,x,all,a,mean,1,,s\n";
        let e = SweepTable::parse("x.csv", bad.as_bytes()).unwrap_err();
        assert!(e.contains("x.csv:2: field 2 (point)"), "{e}");
    }
}
