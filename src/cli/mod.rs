//! The `infersim` command line: parse, dispatch, map errors to exit codes.
//! Exit codes: 0 ok, 1 bad input, 2 internal error. A closed stdout (broken pipe) is not an
//! error.

mod args;
mod calibrate;
mod cost_text;
mod facility_text;
mod horizon;
mod pages;
mod plan;
mod progress;
mod report_text;
mod sweep;

pub use args::{CalibrateArgs, Cli, Command, RunArgs, SweepArgs};

use crate::domain::Scenario;
use crate::metrics::{Aggregate, ReplicationResult, series_rows};
use crate::report::{ReplicationFacts, RunInfo, RunOutputs};
use crate::run::{NoProgress, ProgressSink, RunError, run_replications_each};
use crate::scenario::{ScenarioErrors, load};
use clap::Parser;
use progress::BarProgress;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

/// A failure of a command, classified for the exit code.
#[derive(Debug)]
pub enum CliError {
    /// The user's input is wrong (exit 1).
    BadInput(String),
    /// Something failed that the input does not explain (exit 2).
    Internal(anyhow::Error),
}

impl From<ScenarioErrors> for CliError {
    fn from(e: ScenarioErrors) -> Self {
        CliError::BadInput(e.to_string())
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::BadInput(msg)) => {
            eprint!("error: {msg}");
            if !msg.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(1)
        }
        Err(CliError::Internal(e)) => {
            eprintln!("internal error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Run(args) => run(args),
        Command::Validate { scenario } => validate(&scenario),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge_cmd(args),
        Command::Plan(args) => plan::plan(args),
        Command::Report { dir, out, quiet } => pages::report(&dir, out, quiet),
        Command::Compare { dirs, out, quiet } => pages::compare(&dirs, out, quiet),
        Command::Calibrate(args) => calibrate::calibrate(&args),
    }
}

/// Prints to stdout; a closed pipe ends output quietly.
fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Internal(
            anyhow::Error::new(e).context("writing to stdout"),
        )),
    }
}

fn warn_unstable(spec: &Scenario) {
    for (p, rho) in spec.cpu_pools.iter().zip(spec.offered_load()) {
        if rho >= 1.0 {
            eprintln!(
                "warning: cpu_pool.{}: offered load {rho:.3} >= 1 (unstable): its queue grows \
                 for as long as arrivals last; waits reflect the run length, not a steady state",
                p.name
            );
        }
    }
    for (p, rho) in spec.human_pools.iter().zip(spec.human_offered_load()) {
        if rho >= 1.0 {
            eprintln!(
                "warning: human_pool.{}: offered load {rho:.3} >= 1 even with reviewers around \
                 the clock (unstable): reviews queue up for as long as arrivals last; add \
                 reviewers or escalate less",
                p.name
            );
        }
    }
}

/// With `--interval` or `--replications` overriding the scenario's, re-check the size of the
/// time series.
fn check_windows(spec: &Scenario) -> Result<(), CliError> {
    match spec.time_series_problem() {
        Some(p) => Err(CliError::BadInput(format!(
            "{}: {p}",
            spec.source.display()
        ))),
        None => Ok(()),
    }
}

fn validate(path: &std::path::Path) -> Result<(), CliError> {
    let spec = load(path)?;
    warn_unstable(&spec);
    print(&report_text::describe(&spec))
}

fn run(args: RunArgs) -> Result<(), CliError> {
    let mut spec = crate::scenario::load_with(&args.scenario, &args.set)?;
    if let Some(seed) = args.seed {
        spec.seed = seed;
    }
    if let Some(r) = args.replications {
        spec.replications = r;
    }
    if let Some(i) = args.interval {
        spec.interval = i;
    }
    spec.record_calls = args.requests_csv;
    check_windows(&spec)?;
    warn_unstable(&spec);
    // More threads than runs would only cost thread start-up.
    let runs = spec.replications as usize
        * spec.epochs.map_or(1, |p| {
            p.epochs(spec.horizon.map_or(0.0, |h| h.as_secs_f64()))
                .len()
        });
    let threads = args
        .threads
        .map_or_else(rayon::current_num_threads, usize::from)
        .min(runs)
        .max(1);
    let show_bar =
        !args.quiet && std::io::stdout().is_terminal() && std::io::stderr().is_terminal();

    let dir = args.out.unwrap_or_else(|| horizon::default_dir(&spec));
    // The output folder is the user's choice: failing to write there is bad input. It is
    // opened before the run so that a bad folder costs no simulation time.
    let bad_output = |e: crate::report::OutputError| CliError::BadInput(e.to_string());
    let mut outputs = RunOutputs::create(&dir, &spec.name).map_err(bad_output)?;
    if args.requests_csv {
        outputs = outputs.with_requests().map_err(bad_output)?;
    }
    if spec.epochs.is_some() {
        return horizon::run(
            &spec,
            outputs,
            threads,
            horizon::Flags {
                show_bar,
                quiet: args.quiet,
                report: !args.no_report,
            },
            &args.scenario,
            &dir,
        );
    }

    // Each replication is folded into the aggregate and streamed to timeseries.csv as soon
    // as its chunk is done, in replication order.
    let mut aggregate = Aggregate::new();
    let mut facts: Vec<ReplicationFacts> = Vec::with_capacity(spec.replications as usize);
    let mut output_error = None;
    let mut sink = |r: ReplicationResult| {
        aggregate.add(&spec, &r);
        facts.push(ReplicationFacts::from(&r));
        if output_error.is_none()
            && let Err(e) = outputs
                .add_series(&series_rows(&spec, &r))
                .and_then(|()| outputs.add_requests(&spec, &r))
        {
            output_error = Some(e);
        }
    };
    let started = Instant::now();
    let ran = if show_bar {
        let bar = BarProgress::new(spec.replications);
        std::thread::scope(|s| {
            s.spawn(|| bar.draw_until_stopped());
            let r =
                run_replications_each(&spec, Some(threads), &bar as &dyn ProgressSink, &mut sink);
            bar.stop();
            r
        })
    } else {
        run_replications_each(&spec, Some(threads), &NoProgress, &mut sink)
    };
    ran.map_err(|e| match &e {
        RunError::Simulation { cause, .. } if cause.is_input_error() => {
            CliError::BadInput(format!("{}: {e}", args.scenario.display()))
        }
        _ => CliError::Internal(e.into()),
    })?;
    let wall_s = started.elapsed().as_secs_f64();
    if let Some(e) = output_error {
        return Err(bad_output(e));
    }

    let info = RunInfo::new(&spec, &facts, threads, wall_s);
    if info.timeseries_truncated {
        eprintln!(
            "warning: the run outlasted {} time-series windows of {} s; timeseries.csv stops there (summary.csv is complete): use a larger --interval",
            crate::metrics::WINDOW_CAP,
            spec.interval.as_secs_f64()
        );
    }
    let rows = aggregate.rows();
    for w in report_text::run_warnings(&spec, &rows) {
        eprintln!("{w}");
    }
    outputs
        .finish(&rows, &aggregate.distributions(), &info)
        .map_err(bad_output)?;
    let report = if args.no_report {
        pages::no_report(&dir)?
    } else {
        pages::report_of(&dir, &dir)?
    };
    if !args.quiet {
        print(&report_text::run_summary(&spec, &rows, &info, &dir))?;
        print(&report)?;
    }
    Ok(())
}
