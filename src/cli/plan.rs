//! `infersim plan SCENARIO`: the cheapest fleet that meets the scenario's `[plan]` targets
//! at each planned date, with a purchase plan.

use super::args::PlanArgs;
use super::{CliError, print};
use crate::plan::{PlanError, Planner, choose};
use crate::report::plan::{PlanRecord, purchases, render_whole};
use crate::report::sweep::write;
use std::path::PathBuf;
use std::time::Instant;

fn classify(e: PlanError) -> CliError {
    match e {
        PlanError::Input(m) => CliError::BadInput(m),
        PlanError::Run { ref cause, .. } => match cause {
            crate::run::RunError::Simulation { cause, .. } if cause.is_input_error() => {
                CliError::BadInput(e.to_string())
            }
            _ => CliError::Internal(anyhow::Error::new(e)),
        },
    }
}

/// Runs the planner of `args`.
pub(super) fn plan(args: PlanArgs) -> Result<(), CliError> {
    let planner = Planner::new(
        &args.scenario,
        &args.set,
        args.seed,
        args.replications,
        args.threads.map(usize::from),
    )
    .map_err(classify)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-plan", planner.base.name)));
    // The output folder is the user's choice: a bad one is found before any simulation.
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::BadInput(format!("cannot write {}: {e}", dir.display())))?;
    let started = Instant::now();
    let quiet = args.quiet;
    let say = |line: &str| {
        if !quiet {
            let _ = print(&format!("  {line}\n"));
        }
    };
    if !quiet {
        print(&format!(
            "{}: planning {} pool(s) at {} date(s), {} option(s), targets: {}\n",
            planner.base.name,
            planner.plan.pools.len(),
            planner.dates.len(),
            planner.plan.options.len(),
            planner
                .plan
                .targets
                .iter()
                .map(|t| t.text())
                .chain(
                    planner
                        .plan
                        .power_within_caps
                        .then(|| "power and cooling within caps".to_string())
                )
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    let mine: Vec<usize> = (0..planner.plan.options.len())
        .filter(|&o| args.shard.is_none_or(|s| s.owns(o)))
        .collect();
    let mut plans = Vec::with_capacity(mine.len());
    for &o in &mine {
        plans.push(planner.plan_option(o, &say).map_err(classify)?);
    }
    let internal = |m: String| CliError::Internal(anyhow::anyhow!(m));
    let (bytes, rec) = PlanRecord::of(&planner, args.shard, plans)
        .settle()
        .map_err(internal)?;
    if let Some(s) = args.shard {
        // A shard writes its options' searches only; `infersim merge` renders the plan.
        write(&dir, &[("plan_options.json".to_string(), bytes)])
            .map_err(|e| CliError::BadInput(e.to_string()))?;
        if !quiet {
            print(&format!(
                "shard {}: {} of {} option(s) in {:.1} s\nwrote {}\n",
                s.text(),
                mine.len(),
                planner.plan.options.len(),
                started.elapsed().as_secs_f64(),
                dir.join("plan_options.json").display()
            ))?;
        }
        return Ok(());
    }
    let plans = rec.plans.clone();
    let chosen = choose(&plans);
    let files = render_whole(&planner, bytes, &rec).map_err(internal)?;
    write(&dir, &files).map_err(|e| CliError::BadInput(e.to_string()))?;
    let wall_s = started.elapsed().as_secs_f64();

    // Dates where no option meets the targets: an error, after the files are written.
    let unmet: Vec<String> = planner
        .dates
        .iter()
        .enumerate()
        .filter(|(di, _)| chosen.is_none_or(|c| plans[c].chosen[*di].is_none()))
        .map(|(di, d)| {
            let why: Vec<String> = plans
                .iter()
                .filter_map(|p| {
                    p.best[di].as_ref().map(|e| {
                        let fleet: Vec<String> = planner
                            .plan
                            .pools
                            .iter()
                            .zip(&e.counts)
                            .map(|(p, n)| format!("{}={n}", p.name))
                            .collect();
                        let missed: Vec<String> = e
                            .checks
                            .iter()
                            .filter(|c| !c.met)
                            .map(|c| {
                                format!(
                                    "`{}` (best reached {})",
                                    c.target.text(),
                                    c.value
                                        .map_or("no observation".into(), |v| format!("{v:.4}"))
                                )
                            })
                            .chain(
                                e.does_not_fit
                                    .iter()
                                    .map(|m| format!("the fleet does not fit: {m}")),
                            )
                            .collect();
                        format!(
                            "option {:?} at its largest fleet {}({}) misses {}",
                            p.option,
                            if p.limited_by_racks[di] {
                                "that fits the racks "
                            } else {
                                ""
                            },
                            fleet.join(", "),
                            missed.join(", ")
                        )
                    })
                })
                .collect();
            format!("{}: {}", d.label, why.join("; "))
        })
        .collect();

    if !quiet {
        let mut t = String::new();
        if let Some(c) = chosen {
            let p = &plans[c];
            let changes: Vec<String> = planner.plan.options[p.index]
                .set
                .iter()
                .map(crate::scenario::Override::text)
                .collect();
            t.push_str(&format!(
                "option: {}{}\n",
                p.option,
                if changes.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({}; \"scenario\" counts are of the file as written)",
                        changes.join(", ")
                    )
                }
            ));
            for (d, e) in planner.dates.iter().zip(&p.chosen) {
                let own = planner.scenario_counts(d);
                let Some(e) = e else { continue };
                let fleet: Vec<String> = planner
                    .plan
                    .pools
                    .iter()
                    .zip(e.counts.iter().zip(&own))
                    .map(|(pool, (n, o))| {
                        let vs = match i64::from(*n) - i64::from(*o) {
                            0 => String::new(),
                            k => format!(" (scenario {o}, {k:+})"),
                        };
                        format!("{}={n}{vs}", pool.name)
                    })
                    .collect();
                let window = d
                    .epoch
                    .as_ref()
                    .map(|e| e.window_s)
                    .or_else(|| planner.base.horizon.map(|h| h.as_secs_f64()));
                t.push_str(&format!(
                    "  {}: {}{}\n",
                    d.label,
                    fleet.join(", "),
                    e.spend_usd.map_or(String::new(), |s| format!(
                        ", spend {} in the simulated {}",
                        crate::report::chart::style::usd(s),
                        window.map_or("run".into(), |w| format!(
                            "{} window",
                            crate::report::chart::style::duration(w)
                        ))
                    ))
                ));
            }
            let buys = purchases(&planner, p);
            if buys.is_empty() {
                t.push_str("purchases: none beyond the scenario's fleet at the first date\n");
            } else {
                t.push_str("purchases:\n");
                let first = planner
                    .dates
                    .first()
                    .map(|d| d.label.clone())
                    .unwrap_or_default();
                for b in &buys {
                    if b.order_by < first {
                        t.push_str(&format!(
                            "  (late: the order date {} is before the first planned date {first}; the lead time cannot be met)\n",
                            b.order_by
                        ));
                    }
                    t.push_str(&format!(
                        "  order by {}: {} x {} ({} GPUs of {}), in service by {}, {}\n",
                        b.order_by,
                        b.add_replicas,
                        b.pool,
                        b.add_gpus,
                        b.gpu,
                        b.in_service_by,
                        crate::report::chart::style::usd(b.capex_usd)
                    ));
                }
            }
        }
        let fleets: usize = plans.iter().map(|p| p.tried.len()).sum();
        t.push_str(&format!(
            "ran {fleets} fleet(s) in {wall_s:.1} s\nwrote {}: plan.csv, plan_targets.csv, purchases.csv, plan_evaluations.csv, plan_options.json, plan.json, charts/\n",
            dir.display()
        ));
        print(&t)?;
    }
    if !unmet.is_empty() {
        return Err(CliError::BadInput(format!(
            "{}: no fleet within the bounds of [plan.pool.*] and the racks meets the targets at {} date(s) (raise `max`, add rack slots, or relax the targets):\n  {}\n(the dates that could be planned are in {})",
            args.scenario.display(),
            unmet.len(),
            unmet.join("\n  "),
            dir.display()
        )));
    }
    Ok(())
}

/// Merges `plan --shard` folders (`dirs`, each with `plan_options.json`) into `out`.
///
/// # Errors
/// [`CliError::BadInput`] when the folders are not shards of one plan, the scenario file
/// changed since they ran, or the output cannot be written.
pub(super) fn merge_plan(
    dirs: &[PathBuf],
    out: Option<PathBuf>,
    quiet: bool,
) -> Result<(), CliError> {
    let mut recs = Vec::with_capacity(dirs.len());
    for d in dirs {
        let r = crate::report::plan::read_record(d).map_err(CliError::BadInput)?;
        recs.push((d.clone(), r));
    }
    let whole = crate::report::plan::merge_records(&recs).map_err(CliError::BadInput)?;
    let sets = whole
        .source
        .set
        .iter()
        .map(|s| crate::scenario::Override::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::BadInput)?;
    let file = PathBuf::from(&whole.source.scenario_file);
    let planner = Planner::new(&file, &sets, Some(whole.source.seed), Some(whole.source.replications), None)
        .map_err(|e| match classify(e) {
            CliError::BadInput(m) => CliError::BadInput(format!(
                "{m}\n(merge reads the scenario file again from the path the shards recorded, {}: run merge from the folder the shards ran in)",
                file.display()
            )),
            other => other,
        })?;
    if planner.base.source_sha256 != whole.source.scenario_sha256 {
        return Err(CliError::BadInput(format!(
            "{}: the scenario file changed since the shards ran (SHA-256 {}…, the shards have {}…)",
            file.display(),
            planner.base.source_sha256.get(..12).unwrap_or(""),
            whole.source.scenario_sha256.get(..12).unwrap_or("")
        )));
    }
    let dir = out
        .unwrap_or_else(|| PathBuf::from("output").join(format!("{}-plan", whole.source.scenario)));
    super::sweep::not_a_shard(dirs, &dir)?;
    let (bytes, rec) = whole
        .settle()
        .map_err(|m| CliError::Internal(anyhow::anyhow!(m)))?;
    let files =
        render_whole(&planner, bytes, &rec).map_err(|m| CliError::Internal(anyhow::anyhow!(m)))?;
    write(&dir, &files).map_err(|e| CliError::BadInput(e.to_string()))?;
    if !quiet {
        print(&format!(
            "{}: merged {} plan shard folder(s), {} option(s)\nwrote {}: plan.csv, plan_targets.csv, purchases.csv, plan_evaluations.csv, plan_options.json, plan.json, charts/\n",
            whole.source.scenario,
            dirs.len(),
            rec.plans.len(),
            dir.display()
        ))?;
    }
    Ok(())
}
