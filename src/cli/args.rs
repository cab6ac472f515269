//! Command-line arguments (clap derive).

use crate::engine::SimDuration;
use crate::scenario::{RawDuration, parse_duration};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  infersim run scenarios/quickstart.toml
  infersim run scenarios/oracles/mmc.toml --replications 10 --seed 7 --out /tmp/mmc
  infersim run scenarios/quickstart.toml --set gpu_pool.llama70b.replicas=4 --out /tmp/q4
  infersim run scenarios/bench/mmc-1e7.toml --threads 1 --quiet
  infersim sweep scenarios/quickstart.toml --set gpu_pool.llama70b.replicas=2,3,4 --replications 2
  infersim sweep scenarios/quickstart.toml --set gpu_pool.llama70b.replicas=2,3,4 --shard 1/3 --out /tmp/s1
  infersim merge /tmp/s1 /tmp/s2 /tmp/s3 --out output/quickstart-sweep
  infersim plan scenarios/oracles/mmc-plan.toml
  infersim report output/quickstart
  infersim compare output/hot-afternoon output/hot-afternoon-liquid --out output/compare
  infersim validate scenarios/oracles/tandem.toml
  infersim calibrate --write catalog/calibration.toml

Exit codes: 0 ok, 1 bad input (scenario, arguments), 2 internal error.";

/// infersim: discrete-event capacity and datacenter simulator for AI inference.
#[derive(Debug, Parser)]
#[command(name = "infersim", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write summary.csv, timeseries.csv, distributions.csv,
    /// run.json, charts/ and report.html.
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),
    /// Run a grid of scenario variants (every combination of the --set lists) in parallel
    /// and write sweep.csv: one row per point and summary observation, with 95 % CIs.
    #[command(after_help = EXAMPLES)]
    Sweep(SweepArgs),
    /// Find the cheapest fleet that meets the scenario's [plan] targets at each planned date
    /// (per candidate option), and the purchases it takes: plan.csv, purchases.csv,
    /// plan_targets.csv, plan_evaluations.csv, plan.json and charts/.
    #[command(after_help = EXAMPLES)]
    Plan(PlanArgs),
    /// Put the folders of a sweep or plan run in shards (`--shard K/N`) back together: the
    /// merged folder is byte for byte the unsharded run's.
    #[command(after_help = EXAMPLES)]
    Merge(MergeArgs),
    /// Write report.html and charts/ (SVG and PNG) from a run's output folder.
    #[command(after_help = EXAMPLES)]
    Report {
        /// A run's output folder (holding summary.csv, timeseries.csv, run.json).
        dir: PathBuf,
        /// Where to write report.html and charts/ [default: DIR].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print nothing on success (errors still go to stderr).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Put runs side by side: compare.html (headline figures with changes against the first
    /// run, and overlaid charts) and charts/compare_*.
    #[command(after_help = EXAMPLES)]
    Compare {
        /// Two or more run output folders; the first is the reference for changes.
        #[arg(required = true, num_args = 2..)]
        dirs: Vec<PathBuf>,
        /// Where to write compare.html and charts/ [default: output/compare].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print nothing on success (errors still go to stderr).
        #[arg(long, short)]
        quiet: bool,
    },
    /// Check a scenario file and list every problem, without running it.
    #[command(after_help = EXAMPLES)]
    Validate {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Fit the iteration-time roofline of LLM serving on measured data; print its accuracy
    /// (train and held-out MAPE) and coefficients.
    #[command(after_help = EXAMPLES)]
    Calibrate(CalibrateArgs),
}

/// Arguments of `infersim calibrate`.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Measured data (Splitwise perf_model.csv layout).
    #[arg(long, value_name = "FILE", default_value = crate::domain::llm::calibrate::DEFAULT_DATA)]
    pub data: PathBuf,
    /// Also write the coefficients as TOML to FILE (atomically), e.g.
    /// catalog/calibration.toml.
    #[arg(long, value_name = "FILE")]
    pub write: Option<PathBuf>,
}

/// Arguments of `infersim sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// A swept field and its values, e.g. `--set gpu_pool.large.replicas=4,8,16`;
    /// repeatable: the grid is every combination, the first --set varying slowest.
    #[arg(long = "set", value_name = "PATH=V1,V2,...", required = true, value_parser = parse_axis)]
    pub set: Vec<crate::run::sweep::Axis>,
    /// Output folder [default: output/<scenario name>-sweep].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Base seed of every point (overrides `scenario.seed`): points differ only by their
    /// changes.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Replications per point, 1 to 10000 (overrides `scenario.replications`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Worker threads, 1 to 1024 [default: one per core]; points run in parallel. Results
    /// do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Run only shard K of N (1-based): points whose index i has i % N == K - 1. Merge
    /// the N folders with `infersim merge`.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<crate::run::shard::Shard>,
    /// A metric to chart against the swept value, `[GROUP] METRIC [STAT]` as in
    /// summary.csv (e.g. `ttft_s p99`, `pool:servers wait_s`); repeatable [default: cost
    /// per successful task, SLO attainment, p99 task latency].
    #[arg(long, value_name = "METRIC")]
    pub chart: Vec<String>,
    /// Print nothing on success (errors still go to stderr).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `infersim plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Scenario file (TOML) with a [plan] section.
    pub scenario: PathBuf,
    /// Change a scenario field before planning (as `run --set`); repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_set)]
    pub set: Vec<crate::scenario::Override>,
    /// Output folder [default: output/<scenario name>-plan].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Base seed (overrides `scenario.seed`); every fleet of a date runs the same seeds.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Replications per fleet before re-runs within noise, 1 to 10000 (overrides
    /// `scenario.replications`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Worker threads for a fleet's replications [default: one per core]. Results do not
    /// depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Plan only the candidate options i (0-based, the scenario as written first) with
    /// i % N == K - 1; `infersim merge` renders the plan from the N folders.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<crate::run::shard::Shard>,
    /// Print nothing on success (errors still go to stderr).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Arguments of `infersim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' output folders, any order (each holds sweep.json and sweep.csv, or
    /// plan_options.json; a plan's scenario file is read again from its recorded path).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged folder [default: output/<scenario name>-sweep or -plan].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print nothing on success (errors still go to stderr).
    #[arg(long, short)]
    pub quiet: bool,
}

fn parse_shard(s: &str) -> Result<crate::run::shard::Shard, String> {
    crate::run::shard::Shard::parse(s)
}

fn parse_axis(s: &str) -> Result<crate::run::sweep::Axis, String> {
    crate::run::sweep::Axis::parse(s)
}

/// Arguments of `infersim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Output folder [default: output/<scenario name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Change a scenario field by its path before the run, e.g.
    /// `--set gpu_pool.large.replicas=8` or `--set workload.growth.ceiling=5`; repeatable.
    /// The value is TOML (8, 0.95, true, "text") or else a string (5m, 2027-07-01).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_set)]
    pub set: Vec<crate::scenario::Override>,
    /// Base seed of every random stream (overrides `scenario.seed`).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Independent replications, 1 to 10000 (overrides `scenario.replications`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replications: Option<u32>,
    /// Worker threads for replications, 1 to 1024 [default: one per core; never more than
    /// the replications]. Results do not depend on it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Width of a timeseries.csv window, e.g. 30s, 15m, 1h, or seconds (overrides
    /// `scenario.interval`).
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    pub interval: Option<SimDuration>,
    /// No progress bar and no summary on stdout (errors and warnings still go to stderr).
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip report.html and charts/ (the CSV files and run.json are still written).
    #[arg(long)]
    pub no_report: bool,
    /// Also write requests.csv: one row per finished LLM call (arrival, first and last token,
    /// tokens, replica, preemptions). Memory grows with the calls of a replication.
    #[arg(long)]
    pub requests_csv: bool,
}

fn parse_set(s: &str) -> Result<crate::scenario::Override, String> {
    crate::scenario::Override::parse(s)
}

fn parse_interval(s: &str) -> Result<SimDuration, String> {
    // A plain number is seconds, as in scenario files.
    let raw = match s.trim().parse::<f64>() {
        Ok(secs) => RawDuration::Seconds(secs),
        Err(_) => RawDuration::Text(s.to_string()),
    };
    match parse_duration(&raw)? {
        d if d > SimDuration::ZERO => Ok(d),
        _ => Err("expected a window width > 0".into()),
    }
}
