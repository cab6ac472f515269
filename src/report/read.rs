//! Reading a run's output folder back (`summary.csv`, `timeseries.csv`, `distributions.csv`,
//! `epochs.csv`, `monthly.csv`, `run.json`) for charts and pages: `infersim report DIR`
//! and `infersim compare DIR...` draw from exactly what a run wrote.
//!
//! Time series are averaged over replications per window while reading, so memory grows
//! with the windows and series, not with the replications.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why an output folder cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The folder does not exist.
    #[error("{dir}: no such folder")]
    NoFolder {
        /// The folder.
        dir: PathBuf,
    },
    /// The folder holds neither `summary.csv` nor `run.json`.
    #[error(
        "{dir}: not an infersim run output (no summary.csv or run.json); `infersim run SCENARIO --out DIR` writes one"
    )]
    NotAnOutput {
        /// The folder.
        dir: PathBuf,
    },
    /// A file every run writes is missing.
    #[error("{path}: missing (every run writes it; re-run the scenario)")]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// A file cannot be read.
    #[error("{path}: cannot read: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// A CSV file is not as infersim writes it.
    #[error("{path}: line {line}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line (1 is the header).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// `run.json` is not as infersim writes it.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The parts of `run.json` a report uses.
#[derive(Debug, Clone, Deserialize)]
pub struct RunMeta {
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given to `run`.
    #[serde(default)]
    pub scenario_file: String,
    /// SHA-256 of the scenario file.
    #[serde(default)]
    pub scenario_sha256: String,
    /// infersim version that wrote the run.
    #[serde(default)]
    pub infersim_version: String,
    /// `--set PATH=VALUE` changes the run made to the scenario file.
    #[serde(default)]
    pub set: Vec<String>,
    /// Base seed.
    pub seed: u64,
    /// Replications.
    pub replications: u32,
    /// Time-series window [s].
    pub interval_s: f64,
    /// Horizon [s].
    #[serde(default)]
    pub horizon_s: Option<f64>,
    /// Calendar origin (`YYYY-MM-DDTHH:MM:SS`): time 0 of the time series.
    #[serde(default)]
    pub start: Option<String>,
    /// Simulated time per replication [s].
    #[serde(default)]
    pub simulated_time_s: Vec<f64>,
    /// What was simulated (absent in outputs written before it existed).
    #[serde(default)]
    pub setup: Option<SetupMeta>,
    /// Long-horizon facts, for a run in epochs.
    #[serde(default)]
    pub horizon: Option<HorizonMeta>,
}

impl RunMeta {
    /// The longest simulated time of a replication [s] (the horizon if unknown).
    pub fn simulated_s(&self) -> Option<f64> {
        self.simulated_time_s
            .iter()
            .copied()
            .reduce(f64::max)
            .or(self.horizon_s)
    }
}

/// `run.json`'s `setup` block: what was simulated.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SetupMeta {
    /// Workflows: name and deadline [s].
    #[serde(default)]
    pub workflows: Vec<(String, Option<f64>)>,
    /// GPU pools: name, model, GPU, tensor parallel, replicas.
    #[serde(default)]
    pub gpu_pools: Vec<(String, String, String, u32, u32)>,
    /// CPU and reviewer pools: name and servers.
    #[serde(default)]
    pub cpu_pools: Vec<(String, u32)>,
    /// Site power cap [kW].
    #[serde(default)]
    pub site_power_cap_kw: Option<f64>,
    /// Racks.
    #[serde(default)]
    pub racks: usize,
}

/// `run.json`'s `horizon` block.
#[derive(Debug, Clone, Deserialize)]
pub struct HorizonMeta {
    /// Epochs simulated.
    pub epochs: u32,
    /// The SLO attainment target of the runway.
    #[serde(default)]
    pub slo_target: Option<f64>,
    /// Runway [days].
    #[serde(default)]
    pub runway_days: Option<f64>,
    /// The date the SLO first breaks, `YYYY-MM-DD`.
    #[serde(default)]
    pub runway_date: Option<String>,
}

/// One `summary.csv` row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SummaryRec {
    /// Group (`all`, `workflow:NAME`, `pool:NAME`, `site`, `rack:NAME`…).
    pub group: String,
    /// Metric name.
    pub metric: String,
    /// Statistic (`mean`, `p99`, `total`…).
    pub stat: String,
    /// Value; `None` when empty (nothing observed).
    pub value: Option<f64>,
    /// 95 % confidence half-width; `None` when empty.
    pub ci95_half_width: Option<f64>,
    /// Unit.
    pub unit: String,
}

/// One `distributions.csv` row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DistRec {
    /// Group.
    pub group: String,
    /// Metric name.
    pub metric: String,
    /// Quantile, 0 to 1.
    pub quantile: f64,
    /// Value at the quantile.
    pub value: f64,
}

/// One row of `epochs.csv` or `monthly.csv` (a value of a group in a period).
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodRec {
    /// The period: the epoch's window start (`YYYY-MM-DDTHH:MM`) or the month (`YYYY-MM`).
    pub period: String,
    /// Days from the origin to the period's start (epochs) or days in the month (months).
    pub day: f64,
    /// Group.
    pub group: String,
    /// Metric name.
    pub metric: String,
    /// Value (`None` when empty).
    pub value: Option<f64>,
}

/// A time series averaged over replications: window start [s] and mean value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MeanSeries {
    /// Unit of the values.
    pub unit: String,
    /// `(window start [s], mean over the replications that have the window)`, by time.
    pub points: Vec<(f64, f64)>,
}

/// Everything a report draws from, read from one output folder.
#[derive(Debug, Clone)]
pub struct RunData {
    /// The folder.
    pub dir: PathBuf,
    /// `run.json`.
    pub meta: RunMeta,
    /// `summary.csv`, in file order.
    pub summary: Vec<SummaryRec>,
    /// `timeseries.csv`, averaged over replications, by `(series, group)`.
    pub series: BTreeMap<(String, String), MeanSeries>,
    /// `distributions.csv` (empty when the file is absent: runs before it existed).
    pub distributions: Vec<DistRec>,
    /// `epochs.csv` (empty for a single run).
    pub epochs: Vec<PeriodRec>,
    /// `monthly.csv` (empty for a single run).
    pub months: Vec<PeriodRec>,
}

impl RunData {
    /// Reads the output folder `dir`.
    ///
    /// # Errors
    /// [`ReadError::NotAnOutput`] when `dir` has neither `summary.csv` nor `run.json`;
    /// [`ReadError::Missing`] when one of them (or `timeseries.csv`) is missing;
    /// [`ReadError::Csv`] / [`ReadError::Json`] naming the file and line that is not as
    /// infersim writes it; [`ReadError::Io`] when a file cannot be read.
    pub fn load(dir: &Path) -> Result<RunData, ReadError> {
        if !dir.is_dir() {
            return Err(ReadError::NoFolder {
                dir: dir.to_path_buf(),
            });
        }
        let (summary_path, json_path) = (dir.join("summary.csv"), dir.join("run.json"));
        if !summary_path.is_file() && !json_path.is_file() {
            return Err(ReadError::NotAnOutput {
                dir: dir.to_path_buf(),
            });
        }
        let meta = read_meta(&json_path)?;
        let summary: Vec<SummaryRec> = read_rows(&summary_path, &crate::report::SUMMARY_HEADER)?;
        let series = read_series(&dir.join("timeseries.csv"))?;
        let dist_path = dir.join("distributions.csv");
        let distributions = if dist_path.is_file() {
            read_rows(&dist_path, &crate::report::DISTRIBUTIONS_HEADER)?
        } else {
            Vec::new()
        };
        let epochs = read_periods(&dir.join("epochs.csv"), &crate::report::EPOCHS_HEADER)?;
        let months = read_periods(&dir.join("monthly.csv"), &crate::report::MONTHLY_HEADER)?;
        Ok(RunData {
            dir: dir.to_path_buf(),
            meta,
            summary,
            series,
            distributions,
            epochs,
            months,
        })
    }

    /// The value of `summary.csv`'s row `(group, metric, stat)`, if present and not empty.
    pub fn value(&self, group: &str, metric: &str, stat: &str) -> Option<f64> {
        self.row(group, metric, stat).and_then(|r| r.value)
    }

    /// The row `(group, metric, stat)` of `summary.csv`.
    pub fn row(&self, group: &str, metric: &str, stat: &str) -> Option<&SummaryRec> {
        self.summary
            .iter()
            .find(|r| r.group == group && r.metric == metric && r.stat == stat)
    }

    /// The groups of `summary.csv` with the given prefix (`workflow:`, `pool:`…), in file
    /// order, without repeats.
    pub fn groups(&self, prefix: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.summary {
            if r.group.starts_with(prefix) && !out.contains(&r.group) {
                out.push(r.group.clone());
            }
        }
        out
    }

    /// The series `(name, group)` averaged over replications, if the run wrote it.
    pub fn series(&self, name: &str, group: &str) -> Option<&MeanSeries> {
        self.series.get(&(name.to_string(), group.to_string()))
    }

    /// The groups that have series `name`, sorted.
    pub fn series_groups(&self, name: &str) -> Vec<String> {
        self.series
            .keys()
            .filter(|(s, _)| s == name)
            .map(|(_, g)| g.clone())
            .collect()
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> ReadError + '_ {
    move |cause| {
        if cause.kind() == std::io::ErrorKind::NotFound {
            ReadError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            ReadError::Io {
                path: path.to_path_buf(),
                cause,
            }
        }
    }
}

fn read_meta(path: &Path) -> Result<RunMeta, ReadError> {
    let bytes = std::fs::read(path).map_err(io_error(path))?;
    serde_json::from_slice(&bytes).map_err(|e| ReadError::Json {
        path: path.to_path_buf(),
        message: format!("line {}: {e}", e.line()),
    })
}

fn csv_error(path: &Path, e: &csv::Error) -> ReadError {
    if let csv::ErrorKind::Io(io) = e.kind() {
        return ReadError::Io {
            path: path.to_path_buf(),
            cause: std::io::Error::new(io.kind(), io.to_string()),
        };
    }
    let line = e.position().map_or(0, |p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(f) => format!("field {}: {}", f + 1, err.kind()),
            None => err.kind().to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => e.to_string(),
    };
    ReadError::Csv {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// Opens `path` and checks its header is `header` exactly.
fn open_csv(path: &Path, header: &[&str]) -> Result<csv::Reader<std::fs::File>, ReadError> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut r = csv::Reader::from_reader(file);
    let found = r.headers().map_err(|e| csv_error(path, &e))?.clone();
    if found.iter().ne(header.iter().copied()) {
        return Err(ReadError::Csv {
            path: path.to_path_buf(),
            line: 1,
            message: format!(
                "header is `{}`, expected `{}` (not written by this infersim?)",
                found.iter().collect::<Vec<_>>().join(","),
                header.join(",")
            ),
        });
    }
    Ok(r)
}

fn read_rows<T: serde::de::DeserializeOwned>(
    path: &Path,
    header: &[&str],
) -> Result<Vec<T>, ReadError> {
    let mut r = open_csv(path, header)?;
    r.deserialize()
        .map(|row| row.map_err(|e| csv_error(path, &e)))
        .collect()
}

#[derive(Deserialize)]
struct SeriesCsvRow {
    #[allow(dead_code)]
    scenario: String,
    replication: u32,
    time_s: f64,
    series: String,
    group: String,
    value: Option<f64>,
    unit: String,
}

/// Per window start (as bits): each replication's value.
type WindowValues = BTreeMap<u64, Vec<(u32, f64)>>;

/// Whether a series accumulates from the start (a replication that ended keeps its last
/// value in later windows).
fn cumulative(series: &str) -> bool {
    series.contains("cumulative")
}

/// The mean over replications per window. A cumulative series carries each replication's
/// last value into the windows after its end (runs that drain end at different times), so
/// the mean never drops a replication that stopped spending.
fn mean_series(series: &str, points: WindowValues) -> Vec<(f64, f64)> {
    let carry = cumulative(series);
    let mut last: BTreeMap<u32, f64> = BTreeMap::new();
    points
        .into_iter()
        .map(|(t, values)| {
            let mean = if carry {
                values.iter().for_each(|&(rep, v)| {
                    last.insert(rep, v);
                });
                last.values().sum::<f64>() / last.len() as f64
            } else {
                values.iter().map(|p| p.1).sum::<f64>() / values.len() as f64
            };
            (f64::from_bits(t), mean)
        })
        .collect()
}

fn read_series(path: &Path) -> Result<BTreeMap<(String, String), MeanSeries>, ReadError> {
    // (series, group) -> unit and per-window values; times keyed by their bits (all finite
    // and >= 0, -0 made 0, so bit order is numeric order).
    let mut acc: BTreeMap<(String, String), (String, WindowValues)> = BTreeMap::new();
    let mut r = open_csv(path, &crate::report::TIMESERIES_HEADER)?;
    let mut record = csv::StringRecord::new();
    let headers = r.headers().map_err(|e| csv_error(path, &e))?.clone();
    loop {
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, &e)),
        }
        let row: SeriesCsvRow = record
            .deserialize(Some(&headers))
            .map_err(|e| csv_error(path, &e))?;
        if !(row.time_s.is_finite() && row.time_s >= 0.0) {
            return Err(ReadError::Csv {
                path: path.to_path_buf(),
                line: record.position().map_or(0, |p| p.line()),
                message: format!("time_s {} is not a time >= 0", row.time_s),
            });
        }
        let entry = acc
            .entry((row.series, row.group))
            .or_insert_with(|| (row.unit, BTreeMap::new()));
        if let Some(v) = row.value.filter(|v| v.is_finite()) {
            let t = row.time_s + 0.0;
            entry
                .1
                .entry(t.to_bits())
                .or_default()
                .push((row.replication, v));
        }
    }
    Ok(acc
        .into_iter()
        .map(|((series, group), (unit, points))| {
            let points = mean_series(&series, points);
            ((series, group), MeanSeries { unit, points })
        })
        .collect())
}

/// Reads `epochs.csv` or `monthly.csv` (absent: none).
fn read_periods(path: &Path, header: &[&str]) -> Result<Vec<PeriodRec>, ReadError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let mut r = open_csv(path, header)?;
    let idx = |name: &str| header.iter().position(|h| *h == name);
    // epochs.csv: scenario,epoch,date,day,...,group,metric,value,unit;
    // monthly.csv: scenario,month,days,group,metric,value,unit.
    let (period, day) = match (idx("date"), idx("month")) {
        (Some(d), _) => (d, idx("day").unwrap_or(d)),
        (None, Some(m)) => (m, idx("days").unwrap_or(m)),
        _ => (1, 1),
    };
    let (group, metric, value) = (
        idx("group").unwrap_or(0),
        idx("metric").unwrap_or(0),
        idx("value").unwrap_or(0),
    );
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(path, &e)),
        }
        let line = record.position().map_or(0, |p| p.line());
        let num = |i: usize, what: &str| -> Result<Option<f64>, ReadError> {
            let s = record.get(i).unwrap_or("");
            if s.is_empty() {
                return Ok(None);
            }
            match s.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(ReadError::Csv {
                    path: path.to_path_buf(),
                    line,
                    message: format!("{what} `{s}` is not a finite number"),
                }),
            }
        };
        out.push(PeriodRec {
            period: record.get(period).unwrap_or("").to_string(),
            day: num(day, header[day])?.unwrap_or(0.0),
            group: record.get(group).unwrap_or("").to_string(),
            metric: record.get(metric).unwrap_or("").to_string(),
            value: num(value, "value")?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    const META: &str = r#"{"scenario":"s","seed":1,"replications":2,"interval_s":60.0}"#;

    #[test]
    fn series_are_averaged_over_replications_per_window() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "run.json", META);
        write(
            d.path(),
            "summary.csv",
            "scenario,group,metric,stat,value,ci95_half_width,unit\ns,all,tasks_started,total,10,,tasks\n",
        );
        write(
            d.path(),
            "timeseries.csv",
            "scenario,replication,time_s,series,group,value,unit\n\
             s,0,0,utilization,pool:a,0.5,ratio\n\
             s,0,60,utilization,pool:a,0.25,ratio\n\
             s,1,0,utilization,pool:a,0.75,ratio\n\
             s,1,60,utilization,pool:a,,ratio\n",
        );
        let r = RunData::load(d.path()).unwrap();
        let s = r.series("utilization", "pool:a").unwrap();
        // Window 0: (0.5 + 0.75) / 2; window 60: only replication 0 has a value.
        assert_eq!(s.points, vec![(0.0, 0.625), (60.0, 0.25)]);
        assert_eq!(r.value("all", "tasks_started", "total"), Some(10.0));
        assert!(r.distributions.is_empty() && r.epochs.is_empty());
    }

    #[test]
    fn a_cumulative_series_carries_a_finished_replication_forward() {
        let mut w = WindowValues::new();
        w.insert(0f64.to_bits(), vec![(0, 10.0), (1, 20.0)]);
        // Replication 1 ended before this window: its 20 stands.
        w.insert(60f64.to_bits(), vec![(0, 30.0)]);
        assert_eq!(
            mean_series("spend_cumulative_usd", w.clone()),
            vec![(0.0, 15.0), (60.0, 25.0)]
        );
        assert_eq!(mean_series("spend_usd", w), vec![(0.0, 15.0), (60.0, 30.0)]);
    }

    #[test]
    fn bad_files_are_named_with_their_line() {
        let d = tempfile::tempdir().unwrap();
        let e = RunData::load(&d.path().join("none")).unwrap_err();
        assert!(e.to_string().ends_with("none: no such folder"), "{e}");
        let e = RunData::load(d.path()).unwrap_err();
        assert!(matches!(e, ReadError::NotAnOutput { .. }), "{e}");
        write(d.path(), "run.json", META);
        let e = RunData::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("summary.csv: missing"), "{e}");
        write(
            d.path(),
            "summary.csv",
            "scenario,group,metric,stat,value,ci95_half_width,unit\ns,all,x,total,ten,,tasks\n",
        );
        let e = RunData::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("summary.csv: line 2: field 5"), "{e}");
        write(d.path(), "summary.csv", "a,b\n1,2\n");
        let e = RunData::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("line 1: header is `a,b`"), "{e}");
        write(d.path(), "run.json", "{\"scenario\": 3}");
        let e = RunData::load(d.path()).unwrap_err().to_string();
        assert!(e.contains("run.json: line 1"), "{e}");
    }
}
