//! `report.html` and `compare.html`: one self-contained page per run (headline figures,
//! then charts, then tables) and one per comparison of runs, with their charts written
//! beside them under `charts/` as SVG and PNG.

pub mod compare;
pub mod headline;
pub mod html;
mod tables;

use crate::domain::economics::COMPONENTS;
use crate::report::chart::draw::{DrawError, png, svg};
use crate::report::chart::{Chart, prep, style};
use crate::report::read::RunData;
use crate::report::{OutputError, commit, staged_file};
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file of a page: path relative to the output folder, and its bytes.
pub type PageFile = (String, Vec<u8>);

/// The section of the report a chart belongs in, by its id.
fn section(id: &str) -> &'static str {
    match id {
        "spend_cumulative" | "cost_per_task" | "unit_cost_vs_spend" => "Money",
        "slo_over_time" | "p99_over_time" => "Growth",
        "site_power" | "rack_power" | "cooling" | "ambient" | "pue" => "Power and cooling",
        id if id.starts_with("latency_") => "Latency distributions",
        _ => "Service over time",
    }
}

/// One paragraph on what was simulated: workflows and their deadlines, the fleet, the site.
pub fn setup_text(run: &RunData) -> Option<String> {
    let s = run.meta.setup.as_ref()?;
    let mut parts = Vec::new();
    let wf: Vec<String> = s
        .workflows
        .iter()
        .map(|(n, d)| match d {
            Some(d) => format!("{n} (deadline {})", style::duration(*d)),
            None => format!("{n} (no deadline)"),
        })
        .collect();
    if !wf.is_empty() {
        parts.push(format!("Workflows: {}.", wf.join(", ")));
    }
    let gpu: Vec<String> = s
        .gpu_pools
        .iter()
        .map(|(n, model, gpu, tp, replicas)| format!("{n}: {replicas} × {model} on {tp} × {gpu}"))
        .collect();
    if !gpu.is_empty() {
        let when = if run.epochs.is_empty() {
            ""
        } else {
            " at the start"
        };
        parts.push(format!("GPU pools{when}: {}.", gpu.join("; ")));
    }
    let cpu: Vec<String> = s
        .cpu_pools
        .iter()
        .map(|(n, servers)| format!("{n} ({servers})"))
        .collect();
    if !cpu.is_empty() {
        parts.push(format!(
            "CPU and reviewer pools (servers): {}.",
            cpu.join(", ")
        ));
    }
    if s.racks > 0 {
        parts.push(match s.site_power_cap_kw {
            Some(c) => format!(
                "{} rack(s) in a site capped at {} kW.",
                s.racks,
                style::number(c)
            ),
            None => format!("{} rack(s); no site power cap.", s.racks),
        });
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Draws `charts` as SVG and PNG (in parallel; the result is in chart order). Returns the
/// SVG texts and the chart files.
///
/// # Errors
/// The first chart that cannot be drawn.
pub fn draw_all(charts: &[Chart]) -> Result<(Vec<String>, Vec<PageFile>), DrawError> {
    let drawn: Vec<(String, Vec<u8>)> = charts
        .par_iter()
        .map(|c| Ok((svg(c)?, png(c)?)))
        .collect::<Result<_, DrawError>>()?;
    let mut svgs = Vec::with_capacity(drawn.len());
    let mut files = Vec::with_capacity(2 * drawn.len());
    for (c, (s, p)) in charts.iter().zip(drawn) {
        files.push((format!("charts/{}.svg", c.id), s.clone().into_bytes()));
        files.push((format!("charts/{}.png", c.id), p));
        svgs.push(s);
    }
    Ok((svgs, files))
}

/// The files of `run`'s report: `report.html` and `charts/*.svg`, `charts/*.png`.
///
/// # Errors
/// [`DrawError`] naming the chart that could not be drawn.
pub fn render_report(run: &RunData) -> Result<Vec<PageFile>, DrawError> {
    let charts = prep::charts(run);
    let (svgs, mut files) = draw_all(&charts)?;
    files.push((
        "report.html".into(),
        report_html(run, &charts, &svgs).into_bytes(),
    ));
    Ok(files)
}

/// One line naming the run: file, hash, seed, replications, horizon, version.
pub fn run_line(run: &RunData) -> String {
    let m = &run.meta;
    let horizon = match m.horizon_s {
        Some(h) if h >= 2.0 * 86_400.0 => format!("{} days", style::number(h / 86_400.0)),
        Some(h) if h >= 7200.0 => format!("{} h", style::number(h / 3600.0)),
        Some(h) => format!("{} min", style::number(h / 60.0)),
        None => "until the trace ends".into(),
    };
    let epochs = m.horizon.as_ref().map_or(String::new(), |h| {
        format!(" in {} simulated epochs", h.epochs)
    });
    let changes = if m.set.is_empty() {
        String::new()
    } else {
        format!(" · changed with --set {}", m.set.join(", "))
    };
    format!(
        "Scenario file {} (SHA-256 {}…){changes} · seed {} · {} replication(s) · horizon {horizon}{epochs}{}{}",
        if m.scenario_file.is_empty() {
            "?"
        } else {
            &m.scenario_file
        },
        m.scenario_sha256.get(..12).unwrap_or("?"),
        m.seed,
        m.replications,
        m.start
            .as_deref()
            .map_or(String::new(), |s| format!(" from {}", s.replace('T', " "))),
        if m.infersim_version.is_empty() {
            String::new()
        } else {
            format!(" · infersim {}", m.infersim_version)
        },
    )
}

/// `report.html` of `run`, with `charts` drawn as `svgs` (same order).
pub fn report_html(run: &RunData, charts: &[Chart], svgs: &[String]) -> String {
    let mut b = String::new();
    b.push_str(&format!(
        "<h1>{}</h1>\n<p class=\"meta\">{}</p>\n",
        html::escape(&run.meta.scenario),
        html::escape(&run_line(run))
    ));
    b.push_str("<section class=\"kpis\">\n");
    for h in headline::headlines(run) {
        b.push_str(&html::card(&h, ""));
    }
    b.push_str("</section>\n");
    if let Some(t) = setup_text(run) {
        b.push_str(&format!(
            "<p class=\"setup\"><b>What was simulated.</b> {}</p>\n",
            html::escape(&t)
        ));
    }
    let mut current = "";
    for (c, s) in charts.iter().zip(svgs) {
        let sec = section(&c.id);
        if sec != current {
            b.push_str(&format!("<h2>{sec}</h2>\n"));
            current = sec;
        }
        b.push_str(&html::figure(c, s));
    }
    b.push_str(&tables::tables(run));
    b.push_str(&format!(
        "<p class=\"note\">Written by infersim from the files in this folder (summary.csv, \
         timeseries.csv, distributions.csv, run.json{}); metric definitions: docs/METRICS.md. \
         Regenerate with <code>infersim report</code> on this folder.</p>\n",
        if run.epochs.is_empty() {
            ""
        } else {
            ", epochs.csv, monthly.csv"
        },
    ));
    html::document(&format!("infersim report: {}", run.meta.scenario), &b)
}

/// Writes `files` under `out` (creating it and `charts/`) atomically as a set, then removes
/// the charts of `known` ids (file stems) that the set does not have: charts of an earlier
/// run. Files under `charts/` that a report never writes are left alone. Returns the
/// written paths.
///
/// # Errors
/// [`OutputError::Io`] naming the file or folder that could not be written.
pub fn write_files(
    out: &Path,
    files: &[PageFile],
    known: &[String],
) -> Result<Vec<PathBuf>, OutputError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |cause| OutputError::Io {
            path: path.clone(),
            cause,
        }
    };
    let charts = out.join("charts");
    if files.iter().any(|(rel, _)| rel.starts_with("charts/")) {
        std::fs::create_dir_all(&charts).map_err(io(&charts))?;
    } else {
        std::fs::create_dir_all(out).map_err(io(out))?;
    }
    let mut staged = Vec::with_capacity(files.len());
    for (rel, bytes) in files {
        let path = out.join(rel);
        let dir = path.parent().unwrap_or(out);
        let mut tmp = staged_file(dir).map_err(io(&path))?;
        tmp.write_all(bytes).map_err(io(&path))?;
        staged.push((tmp, path));
    }
    let paths: Vec<PathBuf> = staged.iter().map(|(_, p)| p.clone()).collect();
    commit(staged).map_err(|(path, cause)| OutputError::Io { path, cause })?;
    remove_charts(out, known, &paths);
    Ok(paths)
}

/// Removes `out/charts/ID.svg` and `ID.png` for each id in `known` unless in `keep`
/// (best effort: a stale chart left behind is harmless).
fn remove_charts(out: &Path, known: &[String], keep: &[PathBuf]) {
    for id in known {
        for ext in ["svg", "png"] {
            let p = out.join("charts").join(format!("{id}.{ext}"));
            if !keep.contains(&p) && p.is_file() {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
}

/// The chart ids of a run's report.
fn report_ids() -> Vec<String> {
    prep::CHART_IDS.iter().map(|s| s.to_string()).collect()
}

/// Removes a report written earlier into `dir` (`report.html` and the report's charts), so
/// that a run written with `--no-report` leaves no page describing other results.
///
/// # Errors
/// [`OutputError::Io`] when `report.html` exists and cannot be removed.
pub fn remove_report(dir: &Path) -> Result<(), OutputError> {
    let page = dir.join("report.html");
    if page.is_file() {
        std::fs::remove_file(&page).map_err(|cause| OutputError::Io { path: page, cause })?;
    }
    remove_charts(dir, &report_ids(), &[]);
    // An emptied charts/ goes too (a folder with other files in it stays).
    let _ = std::fs::remove_dir(dir.join("charts"));
    Ok(())
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The output folder cannot be read.
    #[error(transparent)]
    Read(#[from] crate::report::read::ReadError),
    /// A chart cannot be drawn.
    #[error(transparent)]
    Draw(#[from] DrawError),
    /// The files cannot be written.
    #[error(transparent)]
    Write(#[from] OutputError),
}

/// Reads the run in `dir` and writes its `report.html` and `charts/` into `out`.
/// Returns the written paths.
///
/// # Errors
/// [`ReportError`] naming the file that is missing or corrupt, the chart that failed, or
/// the file that could not be written.
pub fn write_report(dir: &Path, out: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let run = RunData::load(dir)?;
    let files = render_report(&run)?;
    Ok(write_files(out, &files, &report_ids())?)
}

/// Component names in output order (for tables).
pub(crate) fn component_names() -> impl Iterator<Item = &'static str> {
    COMPONENTS.iter().map(|c| c.name())
}
