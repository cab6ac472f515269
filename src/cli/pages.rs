//! `infersim report` and `infersim compare`, and the report every `run` writes.

use super::{CliError, print};
use crate::report::page::{ReportError, compare, write_files, write_report};
use crate::report::read::RunData;
use std::path::{Path, PathBuf};

fn classify(e: ReportError) -> CliError {
    match e {
        // A folder that is not a run output, or a file in it that is missing or corrupt, or
        // an output folder that cannot be written: the user's to fix.
        ReportError::Read(_) | ReportError::Write(_) => CliError::BadInput(e.to_string()),
        ReportError::Draw(_) => CliError::Internal(anyhow::Error::new(e)),
    }
}

/// Writes the report of the run in `dir` into `out`; returns the line that says so.
///
/// # Errors
/// [`CliError`] as classified above.
pub(super) fn report_of(dir: &Path, out: &Path) -> Result<String, CliError> {
    let paths = write_report(dir, out).map_err(classify)?;
    let charts = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .count();
    Ok(format!(
        "report {} ({charts} charts as SVG and PNG in {})\n",
        out.join("report.html").display(),
        out.join("charts").display()
    ))
}

/// With `--no-report`: removes an earlier report from `dir` so that no page describes
/// other results than the CSV files beside it.
///
/// # Errors
/// [`CliError::BadInput`] when the old page cannot be removed.
pub(super) fn no_report(dir: &Path) -> Result<String, CliError> {
    crate::report::page::remove_report(dir).map_err(|e| CliError::BadInput(e.to_string()))?;
    Ok(String::new())
}

/// `infersim report DIR [--out OUT]`.
pub(super) fn report(dir: &Path, out: Option<PathBuf>, quiet: bool) -> Result<(), CliError> {
    let out = out.unwrap_or_else(|| dir.to_path_buf());
    let line = report_of(dir, &out)?;
    if !quiet {
        print(&line)?;
    }
    Ok(())
}

/// `infersim compare DIR... [--out OUT]`.
pub(super) fn compare(dirs: &[PathBuf], out: Option<PathBuf>, quiet: bool) -> Result<(), CliError> {
    let runs = dirs
        .iter()
        .map(|d| RunData::load(d).map_err(|e| CliError::BadInput(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let out = out.unwrap_or_else(|| PathBuf::from("output").join("compare"));
    let files =
        compare::render_compare(&runs).map_err(|e| CliError::Internal(anyhow::Error::new(e)))?;
    let known: Vec<String> = compare::CHART_IDS.iter().map(|s| s.to_string()).collect();
    write_files(&out, &files, &known).map_err(|e| CliError::BadInput(e.to_string()))?;
    if !quiet {
        print(&format!(
            "compared {} runs: {}\n",
            runs.len(),
            out.join("compare.html").display()
        ))?;
    }
    Ok(())
}
