//! `infersim sweep SCENARIO --set PATH=V1,V2 [--set ...]`: a grid of scenario variants run
//! in parallel, into `sweep.csv`.

use super::args::SweepArgs;
use super::{CliError, print};
use crate::report::{commit, staged_file, sweep_csv};
use crate::run::RunError;
use crate::run::sweep::{grid, run_points};
use crate::scenario::load_with;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// Runs the sweep of `args`.
pub(super) fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let points = grid(&args.set).map_err(CliError::BadInput)?;
    // Every point's scenario is loaded and validated before anything runs.
    let mut specs = Vec::with_capacity(points.len());
    for (k, p) in points.iter().enumerate() {
        let mut spec = load_with(&args.scenario, p).map_err(|e| {
            let at: Vec<String> = p.iter().map(crate::scenario::Override::text).collect();
            CliError::BadInput(format!("sweep point {k} ({}): {e}", at.join(" ")))
        })?;
        if spec.epochs.is_some() {
            return Err(CliError::BadInput(format!(
                "{}: a sweep of a scenario in [epochs] is not supported yet; sweep one \
                 epoch's window, or run the horizon per value with `run --set`",
                args.scenario.display()
            )));
        }
        if let Some(seed) = args.seed {
            spec.seed = seed;
        }
        if let Some(r) = args.replications {
            spec.replications = r;
        }
        specs.push(spec);
    }
    let name = specs.first().map_or_else(String::new, |s| s.name.clone());
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{name}-sweep")));
    let bad_output = |path: PathBuf, cause: std::io::Error| {
        CliError::BadInput(format!("cannot write {}: {cause}", path.display()))
    };
    std::fs::create_dir_all(&dir).map_err(|e| bad_output(dir.clone(), e))?;

    let started = Instant::now();
    let threads = args.threads.map(usize::from);
    let rows = run_points(&specs, threads).map_err(|(k, e)| {
        let at = points[k]
            .iter()
            .map(crate::scenario::Override::text)
            .collect::<Vec<_>>()
            .join(" ");
        match &e {
            RunError::Simulation { cause, .. } if cause.is_input_error() => CliError::BadInput(
                format!("{}: point {k} ({at}): {e}", args.scenario.display()),
            ),
            _ => CliError::Internal(anyhow::Error::new(e).context(format!("point {k} ({at})"))),
        }
    })?;
    let wall_s = started.elapsed().as_secs_f64();

    let paths: Vec<String> = args.set.iter().map(|a| a.name()).collect();
    let table: Vec<(Vec<String>, Vec<_>)> = points
        .iter()
        .zip(rows)
        .map(|(p, r)| (p.iter().map(|o| o.value.clone()).collect(), r))
        .collect();
    let bytes = sweep_csv(&name, &paths, &table)
        .map_err(|e| CliError::Internal(anyhow::Error::new(e).context("encoding sweep.csv")))?;
    let path = dir.join("sweep.csv");
    let mut tmp = staged_file(&dir).map_err(|e| bad_output(path.clone(), e))?;
    tmp.write_all(&bytes)
        .map_err(|e| bad_output(path.clone(), e))?;
    commit(vec![(tmp, path.clone())]).map_err(|(p, e)| bad_output(p, e))?;
    if !args.quiet {
        print(&format!(
            "{name}: swept {} point(s) x {} replication(s) in {wall_s:.2} s\nwrote {}\n",
            points.len(),
            specs.first().map_or(0, |s| s.replications),
            path.display()
        ))?;
    }
    Ok(())
}
