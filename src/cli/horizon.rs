//! `run` of a scenario with `[epochs]`: every epoch window simulated (in parallel), the
//! horizon integrated (`metrics::horizon`), and its files: `summary.csv` (the horizon),
//! `timeseries.csv` (each epoch's windows at their dates), `epochs.csv`, `monthly.csv` and
//! `run.json` with the runway.

use super::progress::BarProgress;
use super::report_text::value;
use super::{CliError, print};
use crate::domain::Scenario;
use crate::domain::economics::{COMPONENTS, RunSpend};
use crate::metrics::horizon::{HorizonAggregate, MonthFigures, paradox_runs};
use crate::metrics::{Metric, Series, SummaryRow, series_rows};
use crate::report::{HorizonInfo, ReplicationFacts, RunInfo, RunOutputs, epochs_csv, monthly_csv};
use crate::run::epochs::run_epochs_each;
use crate::run::{NoProgress, ProgressSink, RunError};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How a run shows itself and what it writes besides its CSV files.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flags {
    /// Draw a progress bar.
    pub show_bar: bool,
    /// Print no summary.
    pub quiet: bool,
    /// Write report.html and charts/.
    pub report: bool,
}

/// Runs `spec`'s epochs on `threads` threads and writes the horizon's files to `dir`.
pub(super) fn run(
    spec: &Scenario,
    mut outputs: RunOutputs,
    threads: usize,
    flags: Flags,
    scenario_file: &Path,
    dir: &Path,
) -> Result<(), CliError> {
    let Flags {
        show_bar,
        quiet,
        report,
    } = flags;
    let plan = spec.epochs.expect("an epoch plan");
    let horizon_s = spec.horizon.map_or(0.0, |h| h.as_secs_f64());
    let epochs = plan.epochs(horizon_s);
    let mut agg = HorizonAggregate::new(spec);
    let mut facts: Vec<ReplicationFacts> = Vec::new();
    let mut output_error = None;
    let demand = |a: f64, b: f64| spec.expected_arrivals(a, b);
    let mut sink = |e: &crate::domain::epochs::Epoch, es: &Scenario, results: Vec<_>| {
        agg.add_epoch(spec, e, es, &results, &demand);
        for r in &results {
            facts.push(ReplicationFacts::from(r));
            // Each epoch's windows at their place in the horizon; cumulative spend restarts
            // with every epoch, so it is left to monthly.csv.
            let mut rows = series_rows(es, r);
            rows.retain(|row| row.series != Series::SpendCumulativeUsd);
            for row in &mut rows {
                row.time_s += e.window_start_s;
            }
            if output_error.is_none()
                && let Err(err) = outputs.add_series(&rows)
            {
                output_error = Some(err);
            }
        }
    };
    let started = Instant::now();
    let ran = if show_bar {
        let bar = BarProgress::new(epochs.len() as u32);
        std::thread::scope(|s| {
            s.spawn(|| bar.draw_until_stopped());
            let r = run_epochs_each(
                spec,
                &epochs,
                Some(threads),
                &bar as &dyn ProgressSink,
                &mut sink,
            );
            bar.stop();
            r
        })
    } else {
        run_epochs_each(spec, &epochs, Some(threads), &NoProgress, &mut sink)
    };
    ran.map_err(|e| match &e {
        RunError::Simulation { cause, .. } if cause.is_input_error() => {
            CliError::BadInput(format!("{}: {e}", scenario_file.display()))
        }
        _ => CliError::Internal(e.into()),
    })?;
    let wall_s = started.elapsed().as_secs_f64();
    let bad_output = |e: crate::report::OutputError| CliError::BadInput(e.to_string());
    if let Some(e) = output_error {
        return Err(bad_output(e));
    }
    let aggregate = agg.aggregate(spec);
    let rows = aggregate.rows();
    let months = agg.months(spec);
    let runway = agg.runway(spec);
    let priced = crate::metrics::economics::priced(spec);
    let mut info = RunInfo::new(spec, &facts, threads, wall_s);
    info.horizon = Some(HorizonInfo {
        epochs: epochs.len() as u32,
        epoch_window_s: plan.length_s,
        epoch_every_s: plan.every_s,
        slo_target: HorizonAggregate::slo_target(spec),
        runway_days: runway.map(|r| r.0),
        runway_date: runway
            .and_then(|(_, e)| e)
            .and_then(|i| agg.epochs().get(i as usize))
            .map(|f| f.date.date().to_string()),
    });
    let encode = |file: &'static str| {
        move |e: csv::Error| {
            bad_output(crate::report::OutputError::Encode {
                file,
                message: e.to_string(),
            })
        }
    };
    let extra = vec![
        (
            "epochs.csv",
            epochs_csv(spec, agg.epochs(), priced).map_err(encode("epochs.csv"))?,
        ),
        (
            "monthly.csv",
            monthly_csv(spec, &months, priced).map_err(encode("monthly.csv"))?,
        ),
    ];
    outputs
        .finish_with(&rows, &aggregate.distributions(), &info, extra)
        .map_err(bad_output)?;
    let report = if report {
        super::pages::report_of(dir, dir)?
    } else {
        super::pages::no_report(dir)?
    };
    if !quiet {
        print(&summary_text(spec, &rows, &months, &info, dir))?;
        print(&report)?;
    }
    Ok(())
}

fn usd(x: f64) -> String {
    if x.abs() >= 1e6 {
        format!("{:.2} M USD", x / 1e6)
    } else {
        format!("{x:.0} USD")
    }
}

/// What `run` prints for a horizon: totals, the runway, month by month, and the paradox.
fn summary_text(
    spec: &Scenario,
    rows: &[SummaryRow],
    months: &[MonthFigures],
    info: &RunInfo,
    dir: &Path,
) -> String {
    let mut s = String::new();
    let h = info.horizon.as_ref();
    let plan = spec.epochs.expect("an epoch plan");
    let _ = writeln!(
        s,
        "{}: {} epochs of {} h (one per {} d) x {} replication(s) over {:.0} days from {}, seed {}, {} events in {:.2} s",
        spec.name,
        h.map_or(0, |h| h.epochs),
        plan.length_s / 3600.0,
        plan.every_s / 86_400.0,
        spec.replications,
        spec.horizon.map_or(0.0, |x| x.as_secs_f64() / 86_400.0),
        spec.origin.date(),
        spec.seed,
        info.events_all_replications,
        info.execution.wall_s
    );
    let v = |g: &str, m: Metric, stat: &str| value(rows, g, m, stat);
    let _ = writeln!(
        s,
        "  horizon         tasks started {:.0}  ended {:.0}  succeeded {:.0}  in flight at window ends {:.0}  SLO attainment {}  task latency p99 {}",
        v("all", Metric::TasksStarted, "total").unwrap_or(0.0),
        v("all", Metric::TasksCompleted, "total").unwrap_or(0.0),
        v("all", Metric::TasksSucceeded, "total").unwrap_or(0.0),
        v("all", Metric::TasksInFlightAtEnd, "total").unwrap_or(0.0),
        v("all", Metric::SloAttainment, "mean").map_or("-".into(), |x| format!("{x:.4}")),
        v("all", Metric::TaskLatencyS, "p99").map_or("-".into(), |x| format!("{x:.2} s")),
    );
    if crate::metrics::economics::priced(spec) {
        let parts: Vec<String> = COMPONENTS
            .iter()
            .filter_map(|&c| {
                v("all", Metric::Spend(Some(c)), "total")
                    .filter(|x| *x != 0.0)
                    .map(|x| format!("{} {}", c.name(), usd(x)))
            })
            .collect();
        let _ = writeln!(
            s,
            "  spend           {} ({})  per successful task {}  per million tokens {}",
            usd(v("all", Metric::Spend(None), "total").unwrap_or(0.0)),
            parts.join(", "),
            v("all", Metric::CostPerSuccessfulTask(None), "mean")
                .map_or("-".into(), |x| format!("{x:.4} USD")),
            v("all", Metric::CostPerMillionTokensUsd, "mean")
                .map_or("-".into(), |x| format!("{x:.2} USD")),
        );
    }
    for i in 0..spec.workflows.len() {
        if let Some(line) = super::cost_text::baseline_line(spec, rows, i) {
            let _ = writeln!(s, "{line}");
        }
    }
    if let Some(h) = h
        && let Some(days) = h.runway_days
    {
        let target = h.slo_target.unwrap_or(0.0);
        let _ = match &h.runway_date {
            Some(d) => writeln!(
                s,
                "  runway          the SLO (attainment >= {target}) first breaks on {d}: {days:.0} days from the start"
            ),
            None => writeln!(
                s,
                "  runway          the SLO (attainment >= {target}) holds through the horizon ({days:.0} days)"
            ),
        };
    }
    for m in months {
        let _ = writeln!(
            s,
            "  {} ({:>2.0} d) spend {:>12}  succeeded {:>10.0}  per successful task {}  worst SLO {}  worst p99 {}",
            m.month,
            (m.to_s - m.from_s) / 86_400.0,
            usd(RunSpend::sum(&m.spend)),
            m.succeeded,
            m.cost_per_successful_task()
                .map_or("-".into(), |x| format!("{x:.4} USD")),
            m.worst_slo.map_or("-".into(), |x| format!("{x:.4}")),
            m.worst_p99_s.map_or("-".into(), |x| format!("{x:.1} s")),
        );
    }
    for (a, b) in paradox_runs(months) {
        let (ma, mb) = (&months[a], &months[b]);
        let (ca, cb) = (
            ma.cost_per_successful_task().unwrap_or(f64::NAN),
            mb.cost_per_successful_task().unwrap_or(f64::NAN),
        );
        let per_day = |m: &MonthFigures| RunSpend::sum(&m.spend) / ((m.to_s - m.from_s) / 86_400.0);
        let _ = writeln!(
            s,
            "  paradox         {} to {}: cost per successful task fell {:.0} % ({:.4} -> {:.4} USD) while spend per day rose {:.2}x",
            ma.month,
            mb.month,
            (1.0 - cb / ca) * 100.0,
            ca,
            cb,
            per_day(mb) / per_day(ma)
        );
    }
    let _ = writeln!(
        s,
        "wrote {}/{{summary.csv, timeseries.csv, distributions.csv, epochs.csv, monthly.csv, run.json}}",
        dir.display()
    );
    s
}

/// The default output folder of a scenario.
pub(super) fn default_dir(spec: &Scenario) -> PathBuf {
    PathBuf::from("output").join(&spec.name)
}
