//! `infersim sweep SCENARIO --set PATH=V1,V2 [--set ...] [--shard K/N]`: a grid of scenario
//! variants run in parallel, into `sweep.csv`, `sweep_points.csv`, `sweep.json` and charts;
//! and `infersim merge DIR...`, which puts shards back together.

use super::args::{MergeArgs, SweepArgs};
use super::{CliError, print};
use crate::domain::Scenario;
use crate::report::sweep::{SweepMeta, SweepOutputError, SweepTable, merge, render, write};
use crate::run::RunError;
use crate::run::sweep::{PointError, grid, run_points};
use crate::scenario::{Override, load_with};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

fn classify(e: SweepOutputError) -> CliError {
    match e {
        SweepOutputError::Input(m) => CliError::BadInput(m),
        SweepOutputError::Write(w) => CliError::BadInput(w.to_string()),
        SweepOutputError::Internal(m) => CliError::Internal(anyhow::anyhow!(m)),
    }
}

fn changes(p: &[Override]) -> String {
    p.iter().map(Override::text).collect::<Vec<_>>().join(" ")
}

/// Runs the sweep of `args` (its shard's points only, with `--shard`).
pub(super) fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let points = grid(&args.set).map_err(CliError::BadInput)?;
    for c in &args.chart {
        crate::metrics::Selector::parse(c)
            .map_err(|e| CliError::BadInput(format!("--chart: {e}")))?;
    }
    let mine: Vec<usize> = (0..points.len())
        .filter(|&k| args.shard.is_none_or(|s| s.owns(k)))
        .collect();
    // Every point of this shard is loaded and validated (in parallel) before anything
    // runs; the runs load them again one at a time, so memory does not hold the grid.
    let load = |k: usize| -> Result<Scenario, CliError> {
        let p = &points[k];
        let mut spec = load_with(&args.scenario, p)
            .map_err(|e| CliError::BadInput(format!("sweep point {k} ({}): {e}", changes(p))))?;
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
        Ok(spec)
    };
    let pool = crate::run::thread_pool_for(args.threads.map(usize::from))
        .map_err(|e| CliError::Internal(e.into()))?;
    let checked: Vec<Result<(), CliError>> =
        pool.install(|| mine.par_iter().map(|&k| load(k).map(drop)).collect());
    for c in checked {
        c?;
    }
    // The scenario's own name, seed and replications, also for an empty shard.
    let base = load(mine.first().copied().unwrap_or(0)).or_else(|_| {
        let mut s = load_with(&args.scenario, &points[0])?;
        s.seed = args.seed.unwrap_or(s.seed);
        s.replications = args.replications.unwrap_or(s.replications);
        Ok::<Scenario, CliError>(s)
    })?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-sweep", base.name)));

    // The output folder is the user's choice: a bad one is found before any simulation.
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::BadInput(format!("cannot write {}: {e}", dir.display())))?;
    let started = Instant::now();
    let threads = args.threads.map(usize::from);
    let rows = run_points(mine.len(), threads, |i| {
        load(mine[i]).map_err(|e| match e {
            CliError::BadInput(m) => m,
            CliError::Internal(e) => e.to_string(),
        })
    })
    .map_err(|(i, e)| {
        let k = mine[i];
        let at = changes(&points[k]);
        match e {
            PointError::Load(m) => CliError::BadInput(m),
            PointError::Run(e) => match &e {
                RunError::Simulation { cause, .. } if cause.is_input_error() => CliError::BadInput(
                    format!("{}: point {k} ({at}): {e}", args.scenario.display()),
                ),
                _ => CliError::Internal(anyhow::Error::new(e).context(format!("point {k} ({at})"))),
            },
        }
    })?;
    let wall_s = started.elapsed().as_secs_f64();

    let paths: Vec<String> = args.set.iter().map(|a| a.name()).collect();
    let table = SweepTable::of(
        &base.name,
        &paths,
        mine.iter()
            .zip(rows)
            .map(|(&k, r)| (k, points[k].iter().map(|o| o.value.clone()).collect(), r)),
    );
    let meta = SweepMeta {
        infersim_version: env!("CARGO_PKG_VERSION").into(),
        scenario: base.name.clone(),
        scenario_file: args.scenario.display().to_string(),
        scenario_sha256: base.source_sha256.clone(),
        axes: args
            .set
            .iter()
            .map(|a| (a.name(), a.values.clone()))
            .collect(),
        points: points.len(),
        seed: base.seed,
        replications: base.replications,
        charts: if args.chart.is_empty() {
            crate::report::sweep::charts::DEFAULT_CHARTS
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            args.chart.clone()
        },
        shard: args.shard,
    };
    let bytes = table
        .to_csv()
        .map_err(|e| CliError::Internal(anyhow::Error::new(e).context("encoding sweep.csv")))?;
    let (files, bad_charts) = render(bytes, &meta).map_err(classify)?;
    write(&dir, &files).map_err(classify)?;
    if !bad_charts.is_empty() {
        return Err(CliError::BadInput(format!(
            "{}\n(every other file is written in {})",
            bad_charts.join("\n"),
            dir.display()
        )));
    }
    if !args.quiet {
        let share = args.shard.map_or(String::new(), |s| {
            format!(
                " (shard {}: {} of {} points)",
                s.text(),
                mine.len(),
                points.len()
            )
        });
        print(&format!(
            "{}: swept {} point(s) x {} replication(s) in {wall_s:.2} s{share}\nwrote {}\n",
            base.name,
            mine.len(),
            base.replications,
            wrote(&dir, &files)
        ))?;
    }
    Ok(())
}

/// `DIR/{a, b, …}` for the files written (charts counted).
fn wrote(dir: &std::path::Path, files: &[crate::report::page::PageFile]) -> String {
    let mut names: Vec<String> = files
        .iter()
        .filter(|(n, _)| !n.starts_with("charts/"))
        .map(|(n, _)| n.clone())
        .collect();
    let charts = files.iter().filter(|(n, _)| n.ends_with(".svg")).count();
    if charts > 0 {
        names.push(format!("charts/ ({charts} charts as SVG and PNG)"));
    }
    format!("{}: {}", dir.display(), names.join(", "))
}

/// Merges shard folders into one sweep folder.
pub(super) fn merge_cmd(args: MergeArgs) -> Result<(), CliError> {
    let plans = args
        .dirs
        .iter()
        .filter(|d| d.join("plan_options.json").is_file())
        .count();
    if plans == args.dirs.len() {
        return super::plan::merge_plan(&args.dirs, args.out, args.quiet);
    }
    if plans > 0 {
        return Err(CliError::BadInput(
            "some folders hold a plan (plan_options.json) and others not: merge the shards of one sweep or of one plan".into(),
        ));
    }
    let (meta, files) = merge(&args.dirs).map_err(classify)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-sweep", meta.scenario)));
    not_a_shard(&args.dirs, &dir)?;
    write(&dir, &files).map_err(classify)?;
    if !args.quiet {
        print(&format!(
            "{}: merged {} shard folder(s), {} point(s)\nwrote {}\n",
            meta.scenario,
            args.dirs.len(),
            meta.points,
            wrote(&dir, &files)
        ))?;
    }
    Ok(())
}

/// Refuses to merge into one of the shards' folders `dirs`.
///
/// # Errors
/// [`CliError::BadInput`] when `out` is one of them.
pub(super) fn not_a_shard(dirs: &[PathBuf], out: &std::path::Path) -> Result<(), CliError> {
    if dirs.iter().any(|d| same_dir(d, out)) {
        return Err(CliError::BadInput(format!(
            "--out {} is one of the shards' folders: merge into a new folder",
            out.display()
        )));
    }
    Ok(())
}

fn same_dir(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
