//! A sweep's output folder: `sweep.csv` (every point's summary rows), `sweep_points.csv`
//! (one row per point: the headline figures and whether it is on the Pareto front),
//! `sweep.json` (what was swept) and the charts; and `merge`, which puts the folders of
//! `--shard K/N` runs back together into exactly the unsharded output.
//!
//! Every file is derived from `sweep.csv`'s bytes, read back, so that a merge (which has
//! only the files) writes the same bytes as the run that had the numbers in memory.

pub mod charts;
mod table;

pub use table::{Obs, SweepTable};

use super::chart::Chart;
use super::page::{PageFile, draw_all, write_files};
use crate::metrics::Selector;
use crate::run::shard::Shard;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `sweep.json`: what was swept. Depends only on the scenario and the arguments (no wall
/// time), so a merged folder's is the unsharded run's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepMeta {
    /// infersim version.
    pub infersim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// Swept paths and their values, in `--set` order.
    pub axes: Vec<(String, Vec<String>)>,
    /// Points of the whole grid.
    pub points: usize,
    /// Base seed of every point.
    pub seed: u64,
    /// Replications per point.
    pub replications: u32,
    /// Metrics charted against the swept value (`--chart`).
    pub charts: Vec<String>,
    /// The share this folder holds (absent for a whole sweep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

/// Headline columns of `sweep_points.csv`: selector and column name.
const HEADLINES: [(&str, &str); 5] = [
    (
        "cost_per_successful_task_usd",
        "cost_per_successful_task_usd",
    ),
    ("slo_attainment", "slo_attainment"),
    ("task_latency_s p99", "task_latency_p99_s"),
    ("ttft_s p99", "ttft_p99_s"),
    ("site it_power_kw max", "site_peak_it_power_kw"),
];

/// `sweep_points.csv` bytes: `point,<paths>,` then each headline's value and 95 % CI
/// half-width, and `pareto_front` (cost per successful task against SLO attainment).
///
/// # Errors
/// Only if the CSV writer fails on memory output.
pub fn points_csv(t: &SweepTable) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(t.paths.iter().cloned());
    for (_, col) in HEADLINES {
        header.push(col.into());
        header.push(format!("{col}_ci95"));
    }
    header.push("pareto_front".into());
    w.write_record(&header)?;
    let pts: Vec<(usize, Option<f64>, Option<f64>)> = t
        .points
        .keys()
        .map(|&k| {
            let g = |m| t.get(k, "all", m, "mean").and_then(|o| o.value);
            (k, g("cost_per_successful_task_usd"), g("slo_attainment"))
        })
        .collect();
    let front = charts::pareto_front(&pts);
    let num = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v}"));
    for &k in t.points.keys() {
        let mut rec = vec![k.to_string()];
        rec.extend(t.values(k));
        for (sel, _) in HEADLINES {
            let s = Selector::parse(sel).unwrap_or_else(|_| unreachable!("constant selector"));
            let o = t.get(k, &s.group, &s.metric, &s.stat);
            rec.push(num(o.and_then(|o| o.value)));
            rec.push(num(o.and_then(|o| o.ci95_half_width)));
        }
        rec.push(front.contains(&k).to_string());
        w.write_record(&rec)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Why a sweep's output could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SweepOutputError {
    /// Bad input: a chart of a metric the points lack, folders that do not merge, a
    /// missing or corrupt file (the message names it).
    #[error("{0}")]
    Input(String),
    /// A chart could not be drawn or a CSV encoded.
    #[error("{0}")]
    Internal(String),
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] super::OutputError),
}

/// The files of a sweep folder from `sweep.csv`'s bytes and `meta`: `sweep.csv`,
/// `sweep.json`, and for a whole sweep (no shard) `sweep_points.csv` and the charts; and
/// the problems of `--chart`s that name no row (those charts are left out).
///
/// # Errors
/// [`SweepOutputError::Input`] when a `--chart` is malformed;
/// [`SweepOutputError::Internal`] when drawing or encoding fails.
pub fn render(
    csv_bytes: Vec<u8>,
    meta: &SweepMeta,
) -> Result<(Vec<PageFile>, Vec<String>), SweepOutputError> {
    let internal = |e: String| SweepOutputError::Internal(e);
    let mut files: Vec<PageFile> = Vec::new();
    let mut bad_charts: Vec<String> = Vec::new();
    let json = serde_json::to_vec_pretty(meta).map_err(|e| internal(e.to_string()))?;
    if meta.shard.is_none() {
        let t = SweepTable::parse("sweep.csv", &csv_bytes).map_err(internal)?;
        let mut list: Vec<Chart> = Vec::new();
        for c in &meta.charts {
            let sel = Selector::parse(c).map_err(SweepOutputError::Input)?;
            // A default chart of a metric the scenario lacks (no [cost], no deadline) says
            // so; a metric the user named must exist.
            let chart = match charts::metric_chart(&t, &sel) {
                Ok(chart) => chart,
                Err(_) if charts::DEFAULT_CHARTS.contains(&c.as_str()) => Chart::empty(
                    &format!("sweep_{}", sel.id()),
                    &format!("{} against the swept value", sel.text()),
                    &format!(
                        "No point has {} (it needs [cost] or a workflow deadline).",
                        sel.text()
                    ),
                ),
                Err(e) => {
                    // The other files are still written; the error is reported after.
                    bad_charts.push(format!("--chart {c:?}: {e}"));
                    continue;
                }
            };
            list.push(chart);
        }
        list.push(charts::pareto_chart(&t));
        let (_, drawn) = draw_all(&list).map_err(|e| internal(e.to_string()))?;
        files.extend(drawn);
        files.push((
            "sweep_points.csv".into(),
            points_csv(&t).map_err(|e| internal(e.to_string()))?,
        ));
    }
    files.push(("sweep.csv".into(), csv_bytes));
    let mut json = json;
    json.push(b'\n');
    files.push(("sweep.json".into(), json));
    Ok((files, bad_charts))
}

/// Writes `files` into `dir` atomically as a set. Returns the written paths.
///
/// # Errors
/// [`SweepOutputError::Write`] naming the file that could not be written.
pub fn write(dir: &Path, files: &[PageFile]) -> Result<Vec<PathBuf>, SweepOutputError> {
    // Charts of an earlier sweep into this folder (other `--chart`s) go.
    let stale: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let stem = name
                .strip_suffix(".svg")
                .or_else(|| name.strip_suffix(".png"))?;
            stem.starts_with("sweep_").then(|| stem.to_string())
        })
        .collect();
    Ok(write_files(dir, files, &stale)?)
}

/// Reads a shard's folder: its `sweep.json` and `sweep.csv`.
fn read_shard(dir: &Path) -> Result<(SweepMeta, SweepTable), SweepOutputError> {
    let bad = |m: String| SweepOutputError::Input(m);
    if !dir.is_dir() {
        return Err(bad(format!("{}: no such folder", dir.display())));
    }
    let jp = dir.join("sweep.json");
    let text = std::fs::read_to_string(&jp).map_err(|e| {
        bad(format!(
            "{}: {e} (is this a sweep's output folder?)",
            jp.display()
        ))
    })?;
    let meta: SweepMeta = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "{}:{}:{}: not a sweep.json: {e}",
            jp.display(),
            e.line(),
            e.column()
        ))
    })?;
    let cp = dir.join("sweep.csv");
    let bytes = std::fs::read(&cp).map_err(|e| bad(format!("{}: {e}", cp.display())))?;
    let t = SweepTable::parse(&cp.display().to_string(), &bytes).map_err(bad)?;
    Ok((meta, t))
}

/// Merges the shard folders `dirs` (any order) of one sweep into the files of the whole
/// sweep, and returns them with the merged metadata.
///
/// # Errors
/// [`SweepOutputError::Input`] naming the folder when one is not a sweep, the folders are
/// of different sweeps (scenario, its hash, axes, seed, replications or shard count), a
/// shard is missing or given twice, or a point is missing from its shard.
pub fn merge(dirs: &[PathBuf]) -> Result<(SweepMeta, Vec<PageFile>), SweepOutputError> {
    let bad = |m: String| SweepOutputError::Input(m);
    let mut shards = Vec::with_capacity(dirs.len());
    for d in dirs {
        shards.push((d, read_shard(d)?));
    }
    let Some((first_dir, (first, _))) = shards.first() else {
        return Err(bad("nothing to merge: name the shards' folders".into()));
    };
    let count = first.shard.map_or(1, |s| s.count);
    // The first field in which `m` differs from the first shard's (the file may be named
    // by another path on another machine; its hash must agree).
    let differs = |m: &SweepMeta| -> Option<&'static str> {
        if m.scenario_sha256 != first.scenario_sha256 {
            Some("the scenario file's SHA-256 is")
        } else if m.scenario != first.scenario {
            Some("the scenario name is")
        } else if m.axes != first.axes {
            Some("the swept paths and values are")
        } else if m.seed != first.seed {
            Some("the seed is")
        } else if m.replications != first.replications {
            Some("the replications are")
        } else if m.charts != first.charts {
            Some("the --chart list is")
        } else if m.points != first.points {
            Some("the number of points is")
        } else if m.infersim_version != first.infersim_version {
            Some("the infersim version is")
        } else if m.shard.map_or(1, |s| s.count) != count {
            Some("the shard count N is")
        } else {
            None
        }
    };
    let held: Vec<(&Path, Option<Shard>)> = shards
        .iter()
        .map(|(d, (m, _))| (d.as_path(), m.shard))
        .collect();
    let mut table = SweepTable::default();
    for (d, (m, t)) in &shards {
        if let Some(what) = differs(m) {
            return Err(bad(format!(
                "{} is not a shard of the same sweep as {}: {what} not the same",
                d.display(),
                first_dir.display()
            )));
        }
        let shard = m.shard.unwrap_or(Shard { index: 1, count: 1 });
        for (&p, recs) in &t.points {
            if p >= m.points || !shard.owns(p) {
                return Err(bad(format!(
                    "{}: point {p} does not belong to shard {}",
                    d.join("sweep.csv").display(),
                    shard.text()
                )));
            }
            table.points.insert(p, recs.clone());
        }
        table.paths.clone_from(&t.paths);
    }
    crate::run::shard::check_complete(&held, count).map_err(bad)?;
    if let Some(p) = (0..first.points).find(|p| !table.points.contains_key(p)) {
        return Err(bad(format!(
            "point {p} is in no shard's sweep.csv (shard {}/{count} is incomplete)",
            p % count as usize + 1
        )));
    }
    let mut meta = first.clone();
    meta.shard = None;
    let bytes = table
        .to_csv()
        .map_err(|e| SweepOutputError::Internal(e.to_string()))?;
    let (files, bad_charts) = render(bytes, &meta)?;
    if let Some(e) = bad_charts.first() {
        return Err(SweepOutputError::Input(e.clone()));
    }
    Ok((meta, files))
}
