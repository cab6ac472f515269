//! Exporters: pure functions from results to bytes, and writing them atomically.

mod atomic;
mod csv_out;
mod run_json;

pub use atomic::{write_all_atomic, write_atomic};
pub use csv_out::{SUMMARY_HEADER, TIMESERIES_HEADER, summary_csv, timeseries_csv};
pub use run_json::{Execution, RunInfo};

use crate::domain::Scenario;
use crate::metrics::{ReplicationResult, series, summarize};
use std::path::{Path, PathBuf};

/// Why outputs could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Creating the folder or writing a file failed.
    #[error("cannot write {path}: {cause}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// Encoding failed.
    #[error("cannot encode {file}: {message}")]
    Encode {
        /// The file.
        file: &'static str,
        /// The cause.
        message: String,
    },
}

/// Writes `summary.csv`, `timeseries.csv` and `run.json` into `dir` (created if missing).
/// Returns the paths written.
///
/// # Errors
/// [`OutputError`] naming the file that could not be encoded or written.
pub fn write_run_outputs(
    dir: &Path,
    spec: &Scenario,
    results: &[ReplicationResult],
    info: &RunInfo,
) -> Result<Vec<PathBuf>, OutputError> {
    std::fs::create_dir_all(dir).map_err(|cause| OutputError::Io {
        path: dir.to_path_buf(),
        cause,
    })?;
    let enc = |file: &'static str| {
        move |e: &dyn std::fmt::Display| OutputError::Encode {
            file,
            message: e.to_string(),
        }
    };
    let files: [(&str, Vec<u8>); 3] = [
        (
            "summary.csv",
            summary_csv(&spec.name, &summarize(spec, results))
                .map_err(|e| enc("summary.csv")(&e))?,
        ),
        (
            "timeseries.csv",
            timeseries_csv(&spec.name, &series(spec, results))
                .map_err(|e| enc("timeseries.csv")(&e))?,
        ),
        ("run.json", info.to_json().map_err(|e| enc("run.json")(&e))?),
    ];
    let staged: Vec<(PathBuf, &[u8])> = files
        .iter()
        .map(|(name, bytes)| (dir.join(name), bytes.as_slice()))
        .collect();
    write_all_atomic(&staged).map_err(|(path, cause)| OutputError::Io { path, cause })?;
    Ok(staged.into_iter().map(|(p, _)| p).collect())
}
