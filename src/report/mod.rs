//! Exporters: pure functions from results to bytes, and writing them atomically.
//!
//! A run's files are written as a set by [`RunOutputs`]: `timeseries.csv` streams into a
//! temporary file as replications finish (its size never sits in memory), `summary.csv` and
//! `run.json` are staged at the end, and only then are all three renamed into place.

mod atomic;
mod calendar_csv;
pub mod chart;
mod csv_out;
pub mod page;
pub mod plan;
pub mod read;
mod requests_csv;
mod run_json;
pub mod sweep;

pub use atomic::{commit, staged_file};
pub use calendar_csv::{EPOCHS_HEADER, MONTHLY_HEADER, epochs_csv, monthly_csv};
pub use csv_out::{
    DISTRIBUTIONS_HEADER, SUMMARY_HEADER, TIMESERIES_HEADER, distributions_csv, summary_csv,
    timeseries_csv, write_series_row,
};
pub use requests_csv::{REQUESTS_HEADER, write_requests};
pub use run_json::{Execution, HorizonInfo, ReplicationFacts, RunInfo, Setup};

use crate::metrics::{DistributionRow, SeriesRow, SummaryRow};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

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

/// The output files of one run, being written.
pub struct RunOutputs {
    dir: PathBuf,
    scenario: String,
    timeseries: csv::Writer<BufWriter<NamedTempFile>>,
    requests: Option<csv::Writer<BufWriter<NamedTempFile>>>,
}

impl RunOutputs {
    /// Creates `dir` if needed and starts `timeseries.csv` in a temporary file there.
    ///
    /// # Errors
    /// [`OutputError::Io`] when the folder cannot be created or written.
    pub fn create(dir: &Path, scenario: &str) -> Result<Self, OutputError> {
        let io = |cause| OutputError::Io {
            path: dir.to_path_buf(),
            cause,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = staged_file(dir).map_err(io)?;
        let mut timeseries = csv::Writer::from_writer(BufWriter::new(tmp));
        timeseries
            .write_record(TIMESERIES_HEADER)
            .map_err(|e| Self::csv_error(dir, e))?;
        Ok(RunOutputs {
            dir: dir.to_path_buf(),
            scenario: scenario.to_string(),
            timeseries,
            requests: None,
        })
    }

    /// Also writes `requests.csv` (one row per finished LLM call), streamed like
    /// `timeseries.csv`.
    ///
    /// # Errors
    /// [`OutputError::Io`] if its temporary file cannot be created.
    pub fn with_requests(mut self) -> Result<Self, OutputError> {
        let tmp = staged_file(&self.dir).map_err(|cause| OutputError::Io {
            path: self.dir.clone(),
            cause,
        })?;
        let mut w = csv::Writer::from_writer(BufWriter::new(tmp));
        w.write_record(REQUESTS_HEADER)
            .map_err(|e| Self::csv_error(&self.dir, e))?;
        self.requests = Some(w);
        Ok(self)
    }

    /// Appends the finished LLM calls of one replication to `requests.csv` (when enabled).
    ///
    /// # Errors
    /// [`OutputError::Io`] when writing fails.
    pub fn add_requests(
        &mut self,
        spec: &crate::domain::Scenario,
        r: &crate::metrics::ReplicationResult,
    ) -> Result<(), OutputError> {
        if let Some(w) = &mut self.requests {
            write_requests(w, spec, r).map_err(|e| Self::csv_error(&self.dir, e))?;
        }
        Ok(())
    }

    fn csv_error(dir: &Path, e: csv::Error) -> OutputError {
        OutputError::Io {
            path: dir.join("timeseries.csv"),
            cause: std::io::Error::other(e.to_string()),
        }
    }

    /// Appends time-series rows (call in replication order).
    ///
    /// # Errors
    /// [`OutputError::Io`] when the temporary file cannot be written (disk full…).
    pub fn add_series(&mut self, rows: &[SeriesRow]) -> Result<(), OutputError> {
        for r in rows {
            write_series_row(&mut self.timeseries, &self.scenario, r)
                .map_err(|e| Self::csv_error(&self.dir, e))?;
        }
        Ok(())
    }

    /// Writes `summary.csv`, `distributions.csv` and `run.json`, then renames them and
    /// `timeseries.csv` into place. Returns their paths.
    ///
    /// # Errors
    /// [`OutputError`] naming the file that could not be encoded or written; no file is
    /// replaced unless all were written in full.
    pub fn finish(
        self,
        summary: &[SummaryRow],
        distributions: &[DistributionRow],
        info: &RunInfo,
    ) -> Result<Vec<PathBuf>, OutputError> {
        self.finish_with(summary, distributions, info, Vec::new())
    }

    /// As [`RunOutputs::finish`], with more files (name, bytes) written in the same set.
    ///
    /// # Errors
    /// As [`RunOutputs::finish`].
    pub fn finish_with(
        self,
        summary: &[SummaryRow],
        distributions: &[DistributionRow],
        info: &RunInfo,
        extra: Vec<(&'static str, Vec<u8>)>,
    ) -> Result<Vec<PathBuf>, OutputError> {
        let dir = self.dir;
        let ts_path = dir.join("timeseries.csv");
        let mut buf = self.timeseries.into_inner().map_err(|e| OutputError::Io {
            path: ts_path.clone(),
            cause: std::io::Error::other(e.to_string()),
        })?;
        buf.flush().map_err(|cause| OutputError::Io {
            path: ts_path.clone(),
            cause,
        })?;
        let ts_tmp = buf.into_inner().map_err(|e| OutputError::Io {
            path: ts_path.clone(),
            cause: std::io::Error::other(e.to_string()),
        })?;
        let summary_bytes =
            summary_csv(&self.scenario, summary).map_err(|e| OutputError::Encode {
                file: "summary.csv",
                message: e.to_string(),
            })?;
        let dist_bytes =
            distributions_csv(&self.scenario, distributions).map_err(|e| OutputError::Encode {
                file: "distributions.csv",
                message: e.to_string(),
            })?;
        let json = info.to_json().map_err(|e| OutputError::Encode {
            file: "run.json",
            message: e.to_string(),
        })?;
        let mut staged = vec![(ts_tmp, ts_path)];
        if let Some(w) = self.requests {
            let path = dir.join("requests.csv");
            let io = |cause| OutputError::Io {
                path: path.clone(),
                cause,
            };
            let mut buf = w
                .into_inner()
                .map_err(|e| io(std::io::Error::other(e.to_string())))?;
            buf.flush().map_err(io)?;
            let tmp = buf
                .into_inner()
                .map_err(|e| io(std::io::Error::other(e.to_string())))?;
            staged.push((tmp, path));
        }
        let files = [
            ("summary.csv", summary_bytes),
            ("distributions.csv", dist_bytes),
            ("run.json", json),
        ]
        .into_iter()
        .chain(extra);
        for (name, bytes) in files {
            let path = dir.join(name);
            let mut tmp = staged_file(&dir).map_err(|cause| OutputError::Io {
                path: path.clone(),
                cause,
            })?;
            tmp.write_all(&bytes).map_err(|cause| OutputError::Io {
                path: path.clone(),
                cause,
            })?;
            staged.push((tmp, path));
        }
        let paths: Vec<PathBuf> = staged.iter().map(|(_, p)| p.clone()).collect();
        commit(staged).map_err(|(path, cause)| OutputError::Io { path, cause })?;
        Ok(paths)
    }
}
