//! `infersim calibrate`: fit the iteration-time roofline on measured data, print the
//! accuracy table, optionally write the coefficients (`catalog/calibration.toml`); then fit
//! the GPU power model on the same data and print its table (the power coefficients live in
//! `src/domain/facility/power.rs`, not in the written file).

use super::{CalibrateArgs, CliError, print};
use crate::domain::facility::power_fit::fit_power;
use crate::domain::llm::calibrate::{DEFAULT_DATA, calibrate as fit};
use crate::report::{commit, staged_file};
use std::io::Write;
use std::path::Path;

/// Runs the fit on `args.data`; prints the table; writes the TOML to `args.write` if given;
/// prints the power fit, or why it was not done (a file without the power columns still
/// calibrates the iteration time). A missing or malformed data file and an unwritable
/// destination are bad input.
pub(super) fn calibrate(args: &CalibrateArgs) -> Result<(), CliError> {
    if !args.data.is_file() {
        return Err(CliError::BadInput(format!(
            "{}: no such data file. The measured data ships with the repository as {DEFAULT_DATA} \
             (Splitwise profiling, MIT; upstream: https://github.com/Mutinifni/splitwise-sim, \
             data/perf_model.csv): run from the repository root or pass --data FILE",
            args.data.display()
        )));
    }
    let catalog = crate::domain::llm::Catalog::builtin();
    let cal = fit(&args.data, &catalog).map_err(CliError::BadInput)?;
    if let Some(dest) = &args.write {
        write_atomically(dest, &cal.to_toml())
            .map_err(|e| CliError::BadInput(format!("cannot write {}: {e}", dest.display())))?;
    }
    print(&cal.table())?;
    if let Some(dest) = &args.write {
        print(&format!("\nWrote {}\n", dest.display()))?;
    }
    match fit_power(&args.data, &catalog) {
        Ok(p) => print(&format!("\n{}", p.table()))?,
        Err(e) => print(&format!("\nPower model fit not done: {e}\n"))?,
    }
    Ok(())
}

/// Writes `text` to `dest` through a temporary file in the same folder and a rename.
fn write_atomically(dest: &Path, text: &str) -> std::io::Result<()> {
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Replace only a regular file (not a device, a pipe or through a symlink).
    if let Ok(meta) = std::fs::symlink_metadata(dest)
        && !meta.is_file()
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it exists and is not a regular file",
        ));
    }
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no folder {}", dir.display()),
        ));
    }
    let mut tmp = staged_file(dir)?;
    tmp.write_all(text.as_bytes())?;
    commit(vec![(tmp, dest.to_path_buf())]).map_err(|(_, e)| e)
}
