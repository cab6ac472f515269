//! `run.json`: what was run, with which inputs, and how fast.

use crate::domain::Scenario;
use crate::metrics::ReplicationResult;
use serde::Serialize;

/// The run's metadata. Everything outside `execution` depends only on the scenario and the
/// seed; `execution` (threads, wall time, speed) varies from machine to machine.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// infersim version (Cargo package version).
    pub infersim_version: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// `--set PATH=VALUE` changes applied to the file (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<String>,
    /// Base seed.
    pub seed: u64,
    /// Replications run.
    pub replications: u32,
    /// Time-series window [s].
    pub interval_s: f64,
    /// Horizon [s], if any.
    pub horizon_s: Option<f64>,
    /// The calendar origin, `[scenario] start` (`YYYY-MM-DDTHH:MM:SS`): time 0 of
    /// `timeseries.csv`.
    pub start: String,
    /// Whether the run drained after the arrivals stopped.
    pub drain: bool,
    /// Events handled, summed over all replications (`summary.csv`'s `events` is per
    /// replication).
    pub events_all_replications: u64,
    /// Whether some replication's time series stopped at the window cap (totals are exact).
    pub timeseries_truncated: bool,
    /// Simulated time per replication [s].
    pub simulated_time_s: Vec<f64>,
    /// What was simulated, in a few facts for a reader of the report.
    pub setup: Setup,
    /// A long-horizon run: its epochs and runway (absent for a single run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub horizon: Option<HorizonInfo>,
    /// How the run executed (not reproducible).
    pub execution: Execution,
}

/// What was simulated: workflows with their deadlines, the pools (the fleet at the start
/// for a horizon), the site's power cap and the racks.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    /// Workflows that start tasks of their own: name and deadline [s] (`None`: no SLO).
    pub workflows: Vec<(String, Option<f64>)>,
    /// GPU pools: name, model, GPU, tensor parallel, replicas.
    pub gpu_pools: Vec<(String, String, String, u32, u32)>,
    /// CPU pools and human reviewer pools: name and servers (reviewers).
    pub cpu_pools: Vec<(String, u32)>,
    /// The site's power cap on IT power [kW], with a facility.
    pub site_power_cap_kw: Option<f64>,
    /// Racks, with a facility.
    pub racks: usize,
}

impl Setup {
    /// The setup of `spec`.
    pub fn of(spec: &Scenario) -> Setup {
        Setup {
            workflows: spec
                .workflows
                .iter()
                .enumerate()
                .filter(|(i, _)| spec.starts_tasks(crate::domain::WorkflowId(*i as u32)))
                .map(|(_, w)| (w.name.clone(), w.deadline.map(|d| d.as_secs_f64())))
                .collect(),
            gpu_pools: spec
                .gpu_pools
                .iter()
                .map(|p| {
                    (
                        p.name.clone(),
                        p.model_name.clone(),
                        p.gpu_name.clone(),
                        p.tensor_parallel,
                        p.replicas,
                    )
                })
                .collect(),
            cpu_pools: spec
                .cpu_pools
                .iter()
                .map(|p| (p.name.clone(), p.servers))
                .chain(
                    spec.human_pools
                        .iter()
                        .map(|p| (p.name.clone(), p.reviewers)),
                )
                .collect(),
            site_power_cap_kw: spec.facility.as_ref().and_then(|f| f.site.cap_kw),
            racks: spec.facility.as_ref().map_or(0, |f| f.racks.len()),
        }
    }
}

/// What `run.json` says about a run in epochs.
#[derive(Debug, Clone, Serialize)]
pub struct HorizonInfo {
    /// Epochs simulated.
    pub epochs: u32,
    /// Simulated time of one epoch [s].
    pub epoch_window_s: f64,
    /// Period one epoch stands for [s].
    pub epoch_every_s: f64,
    /// The SLO attainment target of the runway.
    pub slo_target: Option<f64>,
    /// Days from the start until the SLO attainment first falls below the target (the
    /// horizon's days when it never does).
    pub runway_days: Option<f64>,
    /// The date the SLO first breaks (`YYYY-MM-DD`); `None` when it holds.
    pub runway_date: Option<String>,
}

/// Machine-dependent facts of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Execution {
    /// Worker threads.
    pub threads: usize,
    /// Wall-clock time of the simulation [s].
    pub wall_s: f64,
    /// Events per wall-clock second.
    pub events_per_s: f64,
}

/// The few facts `run.json` needs from one replication.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplicationFacts {
    /// Events handled.
    pub events: u64,
    /// Simulated time at the end [s].
    pub simulated_time_s: f64,
    /// Whether its time series stopped at the window cap.
    pub timeseries_truncated: bool,
}

impl From<&ReplicationResult> for ReplicationFacts {
    fn from(r: &ReplicationResult) -> Self {
        ReplicationFacts {
            events: r.events,
            simulated_time_s: r.end.as_secs_f64(),
            timeseries_truncated: r.timeseries_truncated,
        }
    }
}

impl RunInfo {
    /// Collects the metadata of a finished run from its replications' facts (in order).
    pub fn new(spec: &Scenario, facts: &[ReplicationFacts], threads: usize, wall_s: f64) -> Self {
        let events = facts.iter().map(|r| r.events).sum();
        RunInfo {
            infersim_version: env!("CARGO_PKG_VERSION"),
            scenario: spec.name.clone(),
            scenario_file: spec.source.display().to_string(),
            scenario_sha256: spec.source_sha256.clone(),
            set: spec.overrides.clone(),
            seed: spec.seed,
            replications: spec.replications,
            interval_s: spec.interval.as_secs_f64(),
            horizon_s: spec.horizon.map(|h| h.as_secs_f64()),
            start: spec.origin.strftime("%Y-%m-%dT%H:%M:%S").to_string(),
            drain: spec.drain,
            events_all_replications: events,
            timeseries_truncated: facts.iter().any(|r| r.timeseries_truncated),
            simulated_time_s: facts.iter().map(|r| r.simulated_time_s).collect(),
            setup: Setup::of(spec),
            horizon: None,
            execution: Execution {
                threads,
                wall_s,
                events_per_s: if wall_s > 0.0 {
                    events as f64 / wall_s
                } else {
                    0.0
                },
            },
        }
    }

    /// Pretty JSON bytes with a final newline.
    ///
    /// # Errors
    /// Only if serialization fails (it cannot for these types).
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut v = serde_json::to_vec_pretty(self)?;
        v.push(b'\n');
        Ok(v)
    }
}
