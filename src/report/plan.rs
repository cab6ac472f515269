//! `infersim plan`'s output folder: `plan.csv` (the fleet per date against the scenario's
//! own), `plan_targets.csv` (each target at the chosen fleets), `purchases.csv` (what to buy,
//! when to order it, what it costs), `plan_evaluations.csv` (every fleet run), `plan.json`
//! and the capacity charts.

use super::chart::prep::value_range;
use super::chart::{Axis, Chart, Mark, Scale, Series};
use super::page::PageFile;
use crate::domain::planner::PoolKind;
use crate::plan::{OptionPlan, Planner};
use serde::Serialize;

fn num(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite())
        .map_or(String::new(), |v| format!("{v}"))
}

fn bytes(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, csv::Error> {
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// One purchase of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Purchase {
    /// GPU pool.
    pub pool: String,
    /// GPU type.
    pub gpu: String,
    /// Replicas to add.
    pub add_replicas: u32,
    /// GPUs to add.
    pub add_gpus: u64,
    /// First date they are needed in service (`YYYY-MM-DD`).
    pub in_service_by: String,
    /// Latest order date given the lead time.
    pub order_by: String,
    /// Lead time [days].
    pub lead_time_days: f64,
    /// Purchase price [USD] (GPUs and servers, `[cost.gpu_pool.NAME]`).
    pub capex_usd: f64,
    /// Replicas the scenario's own fleet has in service at that date.
    pub scenario_replicas: u32,
}

/// The purchases of option `p`: for each GPU pool, every date whose planned replicas exceed
/// those owned so far (the scenario's fleet at the first date — none when the option runs
/// the pool on another GPU type — then each purchase). A smaller plan later keeps what was
/// bought (hardware is not sold back).
pub fn purchases(planner: &Planner, p: &OptionPlan) -> Vec<Purchase> {
    let mut out = Vec::new();
    let first = planner.dates.first();
    for (i, pool) in planner.plan.pools.iter().enumerate() {
        if pool.kind != PoolKind::Gpu {
            continue;
        }
        // What the scenario already has in service at the first date counts as owned,
        // unless the option runs the pool on another GPU type (then it is all new).
        let scenario_gpu = planner
            .base
            .gpu_pools
            .iter()
            .find(|g| g.name == pool.name)
            .map(|g| g.gpu_name.clone())
            .unwrap_or_default();
        let option_gpu = p
            .chosen
            .iter()
            .flatten()
            .next()
            .map(|e| e.gpu_type[i].clone())
            .unwrap_or_default();
        let mut owned = if option_gpu == scenario_gpu {
            first.map_or(0, |d| planner.scenario_counts(d)[i])
        } else {
            0
        };
        let mut owned_capex: Option<f64> = None;
        for (d, e) in planner.dates.iter().zip(&p.chosen) {
            let Some(e) = e else { continue };
            let need = e.counts[i];
            let per_gpu = if e.gpus[i] > 0 {
                e.gpus[i] / u64::from(need.max(1))
            } else {
                0
            };
            if owned_capex.is_none() {
                // The price of what is owned, at this option's prices.
                owned_capex = Some(if need > 0 {
                    e.capex_usd[i] * f64::from(owned) / f64::from(need)
                } else {
                    0.0
                });
            }
            if need > owned {
                let capex_before = owned_capex.unwrap_or(0.0);
                out.push(Purchase {
                    pool: pool.name.clone(),
                    gpu: e.gpu_type[i].clone(),
                    add_replicas: need - owned,
                    add_gpus: u64::from(need - owned) * per_gpu,
                    in_service_by: d.label.clone(),
                    order_by: shift_date(&d.label, -pool.lead_time_s),
                    lead_time_days: pool.lead_time_s / 86_400.0,
                    capex_usd: (e.capex_usd[i] - capex_before).max(0.0),
                    scenario_replicas: planner.scenario_counts(d)[i],
                });
                owned = need;
                owned_capex = Some(e.capex_usd[i]);
            }
        }
    }
    out.sort_by(|a, b| a.order_by.cmp(&b.order_by).then(a.pool.cmp(&b.pool)));
    out
}

/// `date` (`YYYY-MM-DD`) moved by `s` seconds, as a date; `date` itself if it does not
/// parse.
fn shift_date(date: &str, s: f64) -> String {
    let Ok(d) = date.parse::<jiff::civil::Date>() else {
        return date.to_string();
    };
    let days = (s / 86_400.0).floor() as i64;
    d.checked_add(jiff::Span::new().days(days))
        .map_or_else(|_| date.to_string(), |d| d.to_string())
}

/// What a plan was run on: the scenario file, its changes, seed and replications (the
/// head of `plan.json` and `plan_options.json`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PlanSource {
    /// infersim version.
    pub infersim_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Scenario file as given.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// `--set` changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<String>,
    /// Base seed.
    pub seed: u64,
    /// Replications per fleet (before re-runs within noise).
    pub replications: u32,
}

impl PlanSource {
    /// The source of `planner`'s runs.
    pub fn of(planner: &Planner) -> PlanSource {
        PlanSource {
            infersim_version: env!("CARGO_PKG_VERSION").into(),
            scenario: planner.base.name.clone(),
            scenario_file: planner.file.display().to_string(),
            scenario_sha256: planner.base.source_sha256.clone(),
            set: planner
                .sets
                .iter()
                .map(crate::scenario::Override::text)
                .collect(),
            seed: planner.base.seed,
            replications: planner.base.replications,
        }
    }
}

/// `plan.json`: what was planned, with which inputs. No wall time: the same scenario and
/// seed give the same bytes.
#[derive(Debug, Clone, Serialize)]
pub struct PlanMeta {
    /// The scenario, its changes, seed and replications.
    #[serde(flatten)]
    pub source: PlanSource,
    /// Most replications per fleet.
    pub max_replications: u32,
    /// Targets, as text (with the power and cooling ones, when on).
    pub targets: Vec<String>,
    /// Whether no time at a power cap or over a cooling limit is required.
    pub power_within_caps: bool,
    /// Sized pools.
    pub pools: Vec<PoolInfo>,
    /// Candidate options.
    pub options: Vec<String>,
    /// Planned dates.
    pub dates: Vec<String>,
    /// The option chosen (`None`: none meets the targets at any date).
    pub chosen: Option<String>,
    /// Fleets run.
    pub fleets_run: usize,
    /// Simulated replications over all fleets.
    pub replications_run: u64,
}

/// A sized pool in `plan.json`.
#[derive(Debug, Clone, Serialize)]
pub struct PoolInfo {
    /// Pool name.
    pub pool: String,
    /// What a unit is (`replicas`, `servers`, `reviewers`).
    pub unit: &'static str,
    /// Fewest units considered.
    pub min: u32,
    /// Most units considered.
    pub max: u32,
    /// Order-to-service time [days].
    pub lead_time_days: f64,
}

/// Every file of the plan's folder.
///
/// # Errors
/// A message when a CSV cannot be encoded or a chart drawn.
pub fn render(
    planner: &Planner,
    plans: &[OptionPlan],
    chosen: Option<usize>,
) -> Result<Vec<PageFile>, String> {
    let e = |x: csv::Error| x.to_string();
    let pools = &planner.plan.pools;
    let mut files: Vec<PageFile> = Vec::new();

    // plan.csv
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "date",
        "option",
        "pool",
        "unit",
        "planned",
        "scenario",
        "difference",
        "spend_usd",
        "replications",
        "within_noise",
    ])
    .map_err(e)?;
    let best = chosen.map(|c| &plans[c]);
    for (di, d) in planner.dates.iter().enumerate() {
        let own = planner.scenario_counts(d);
        let ev = best.and_then(|p| p.chosen[di].as_ref());
        for (i, p) in pools.iter().enumerate() {
            let planned = ev.map(|e| e.counts[i]);
            w.write_record([
                d.label.clone(),
                ev.and(best).map_or(String::new(), |b| b.option.clone()),
                p.name.clone(),
                p.unit().into(),
                planned.map_or(String::new(), |n| n.to_string()),
                own[i].to_string(),
                planned.map_or(String::new(), |n| {
                    (i64::from(n) - i64::from(own[i])).to_string()
                }),
                num(ev.and_then(|e| e.spend_usd)),
                ev.map_or(String::new(), |e| e.replications.to_string()),
                ev.map_or(String::new(), |e| e.within_noise().to_string()),
            ])
            .map_err(e)?;
        }
    }
    files.push(("plan.csv".into(), bytes(w).map_err(e)?));

    // plan_targets.csv: the chosen fleets' targets, or the best reached where none meets.
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "date",
        "option",
        "fleet",
        "target",
        "value",
        "ci95_half_width",
        "limit",
        "met",
        "within_noise",
        "replications",
    ])
    .map_err(e)?;
    for (di, d) in planner.dates.iter().enumerate() {
        let shown: Vec<(&OptionPlan, &crate::plan::Evaluation, &str)> = match best {
            Some(b) if b.chosen[di].is_some() => {
                vec![(
                    b,
                    b.chosen[di].as_ref().unwrap_or_else(|| unreachable!()),
                    "planned",
                )]
            }
            _ => plans
                .iter()
                .filter_map(|p| {
                    p.best[di]
                        .as_ref()
                        .map(|ev| (p, ev, "largest (best reached)"))
                })
                .collect(),
        };
        for (p, ev, what) in shown {
            for c in &ev.checks {
                w.write_record([
                    d.label.clone(),
                    p.option.clone(),
                    what.into(),
                    c.target.text(),
                    num(c.value),
                    num(c.ci95_half_width),
                    format!("{}", c.target.limit),
                    c.met.to_string(),
                    c.within_noise.to_string(),
                    ev.replications.to_string(),
                ])
                .map_err(e)?;
            }
        }
    }
    files.push(("plan_targets.csv".into(), bytes(w).map_err(e)?));

    // plan_evaluations.csv: every fleet run.
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["option".into(), "date".into()];
    header.extend(pools.iter().map(|p| format!("{}_{}", p.name, p.unit())));
    header.extend(
        [
            "replications",
            "meets",
            "within_noise",
            "spend_usd",
            "missed",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    w.write_record(&header).map_err(e)?;
    for p in plans {
        for (di, ev) in &p.tried {
            let mut rec = vec![p.option.clone(), planner.dates[*di].label.clone()];
            rec.extend(ev.counts.iter().map(u32::to_string));
            rec.push(ev.replications.to_string());
            rec.push(ev.meets().to_string());
            rec.push(ev.within_noise().to_string());
            rec.push(num(ev.spend_usd));
            rec.push(ev.missed().unwrap_or_default());
            w.write_record(&rec).map_err(e)?;
        }
    }
    files.push(("plan_evaluations.csv".into(), bytes(w).map_err(e)?));

    // purchases.csv
    let buys = best.map(|b| purchases(planner, b)).unwrap_or_default();
    // The header is written here, so that a plan without purchases has one too.
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record([
        "pool",
        "gpu",
        "add_replicas",
        "add_gpus",
        "in_service_by",
        "order_by",
        "lead_time_days",
        "capex_usd",
        "scenario_replicas",
    ])
    .map_err(e)?;
    for b in &buys {
        w.serialize(b).map_err(e)?;
    }
    files.push(("purchases.csv".into(), bytes(w).map_err(e)?));

    // plan.json
    let meta = PlanMeta {
        source: PlanSource::of(planner),
        max_replications: planner.plan.max_replications,
        targets: planner.plan.targets.iter().map(|t| t.text()).collect(),
        power_within_caps: planner.plan.power_within_caps,
        pools: pools
            .iter()
            .map(|p| PoolInfo {
                pool: p.name.clone(),
                unit: p.unit(),
                min: p.min,
                max: p.max,
                lead_time_days: p.lead_time_s / 86_400.0,
            })
            .collect(),
        options: planner
            .plan
            .options
            .iter()
            .map(|o| o.name.clone())
            .collect(),
        dates: planner.dates.iter().map(|d| d.label.clone()).collect(),
        chosen: best.map(|b| b.option.clone()),
        fleets_run: plans.iter().map(|p| p.tried.len()).sum(),
        replications_run: plans
            .iter()
            .flat_map(|p| p.tried.iter().map(|(_, e)| u64::from(e.replications)))
            .sum(),
    };
    let mut json = serde_json::to_vec_pretty(&meta).map_err(|x| x.to_string())?;
    json.push(b'\n');
    files.push(("plan.json".into(), json));

    let charts = vec![capacity_chart(planner, best), demand_chart(planner, best)];
    let (_, drawn) = super::page::draw_all(&charts).map_err(|x| x.to_string())?;
    files.extend(drawn);
    Ok(files)
}

/// Days since the origin's date of date `d`'s start.
fn day(planner: &Planner, t_s: f64) -> f64 {
    let t = planner.base.origin.time();
    let since_midnight =
        f64::from(t.hour()) * 3600.0 + f64::from(t.minute()) * 60.0 + f64::from(t.second());
    ((t_s + since_midnight) / 86_400.0).floor()
}

fn date_axis(planner: &Planner) -> Axis {
    let xs: Vec<f64> = planner.dates.iter().map(|d| day(planner, d.t_s)).collect();
    let (lo, hi) = crate::report::chart::prep::span(xs);
    let pad = ((hi - lo) * 0.03).max(7.0);
    Axis {
        label: "date".into(),
        range: (lo - pad, hi + pad),
        scale: Scale::Date {
            origin: planner.base.origin.date().to_string(),
        },
    }
}

/// A step line through `points`: each value holds until the next date.
fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

/// Planned units of each sized pool per date (solid) against the scenario's own fleet
/// (dashed).
fn capacity_chart(planner: &Planner, best: Option<&OptionPlan>) -> Chart {
    let id = "plan_capacity";
    let title = "Planned fleet against the scenario's own";
    let Some(b) = best else {
        return Chart::empty(id, title, "No fleet within the bounds meets the targets.");
    };
    let mut series = Vec::new();
    let mut all = Vec::new();
    for (i, p) in planner.plan.pools.iter().enumerate() {
        let planned: Vec<(f64, f64)> = planner
            .dates
            .iter()
            .zip(&b.chosen)
            .map(|(d, e)| {
                (
                    day(planner, d.t_s),
                    e.as_ref().map_or(f64::NAN, |e| f64::from(e.counts[i])),
                )
            })
            .collect();
        let own: Vec<(f64, f64)> = planner
            .dates
            .iter()
            .map(|d| {
                (
                    day(planner, d.t_s),
                    f64::from(planner.scenario_counts(d)[i]),
                )
            })
            .collect();
        let (planned, own) = (steps(&planned), steps(&own));
        all.extend(planned.iter().chain(&own).map(|p| p.1));
        series.push(Series {
            name: format!("{} planned [{}]", p.name, p.unit()),
            color: i,
            mark: Mark::Line {
                points: planned,
                dashed: false,
            },
        });
        series.push(Series {
            name: format!("{} in the scenario", p.name),
            color: i,
            mark: Mark::Line {
                points: own,
                dashed: true,
            },
        });
    }
    Chart {
        id: id.into(),
        title: title.into(),
        caption: format!(
            "The fewest units per pool that meet every target ({}) at each planned date, \
             option {:?}; dashed: the scenario's own fleet.",
            planner
                .plan
                .targets
                .iter()
                .map(|t| t.text())
                .collect::<Vec<_>>()
                .join(", "),
            b.option
        ),
        x: date_axis(planner),
        y: Axis {
            label: "units [replicas, servers or reviewers]".into(),
            range: value_range(all, 0.3),
            scale: Scale::Linear,
        },
        series,
        legend_left: true,
        ..Default::default()
    }
}

/// Demand (tasks started per second) against the planned GPUs, both as an index (first
/// date = 100).
fn demand_chart(planner: &Planner, best: Option<&OptionPlan>) -> Chart {
    let id = "plan_demand";
    let title = "Capacity against demand";
    let Some(b) = best else {
        return Chart::empty(id, title, "No fleet within the bounds meets the targets.");
    };
    let pts = |f: &dyn Fn(&crate::plan::Evaluation) -> Option<f64>| -> Vec<(f64, f64)> {
        let raw: Vec<(f64, Option<f64>)> = planner
            .dates
            .iter()
            .zip(&b.chosen)
            .map(|(d, e)| (day(planner, d.t_s), e.as_ref().and_then(f)))
            .collect();
        let base = raw.iter().find_map(|p| p.1).filter(|v| *v > 0.0);
        raw.into_iter()
            .map(|(x, v)| (x, v.zip(base).map_or(f64::NAN, |(v, b)| 100.0 * v / b)))
            .collect()
    };
    let demand = pts(&|e| e.tasks_per_s);
    let gpus = pts(&|e| {
        let g: u64 = e.gpus.iter().sum();
        (g > 0).then_some(g as f64)
    });
    let units = pts(&|e| {
        let u: u64 = e.counts.iter().map(|&n| u64::from(n)).sum();
        Some(u as f64)
    });
    let all: Vec<f64> = demand
        .iter()
        .chain(&gpus)
        .chain(&units)
        .map(|p| p.1)
        .collect();
    let mut series = vec![Series {
        name: "demand (tasks started per second)".into(),
        color: 0,
        mark: Mark::Line {
            points: demand,
            dashed: false,
        },
    }];
    if gpus.iter().any(|p| p.1.is_finite()) {
        series.push(Series {
            name: "planned GPUs".into(),
            color: 1,
            mark: Mark::Line {
                points: gpus,
                dashed: false,
            },
        });
    }
    series.push(Series {
        name: "planned units, all pools".into(),
        color: 2,
        mark: Mark::Line {
            points: units,
            dashed: true,
        },
    });
    Chart {
        id: id.into(),
        title: title.into(),
        caption: "Demand and planned capacity as indices (first planned date = 100): \
                  capacity growing slower than demand is the economy of scale of pooling."
            .into(),
        x: date_axis(planner),
        y: Axis {
            label: "index [first date = 100]".into(),
            range: value_range(all, 0.3),
            scale: Scale::Linear,
        },
        series,
        legend_left: true,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_drawn_as_steps() {
        assert_eq!(
            steps(&[(0.0, 1.0), (91.0, 2.0), (182.0, 2.0)]),
            [
                (0.0, 1.0),
                (91.0, 1.0),
                (91.0, 2.0),
                (182.0, 2.0),
                (182.0, 2.0)
            ]
        );
        assert!(steps(&[]).is_empty());
    }

    #[test]
    fn order_dates_come_a_lead_time_earlier() {
        assert_eq!(shift_date("2027-09-14", -75.0 * 86_400.0), "2027-07-01");
        assert_eq!(shift_date("2027-09-14", 0.0), "2027-09-14");
        assert_eq!(shift_date("", -86_400.0), "");
    }
}

/// `plan_options.json`: every option's search (each fleet run and the chosen ones), the
/// record `merge` combines from `plan --shard` folders. The files of a plan folder are all
/// rendered from this record after a round trip through its JSON, so a merged folder has
/// the unsharded plan's bytes.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PlanRecord {
    /// The scenario, its changes, seed and replications.
    #[serde(flatten)]
    pub source: PlanSource,
    /// Options of the whole plan.
    pub options: usize,
    /// The share this folder holds (absent for a whole plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::run::shard::Shard>,
    /// The options' plans, by option index.
    pub plans: Vec<OptionPlan>,
}

impl PlanRecord {
    /// The record of `plans` (those of this shard) by `planner`.
    pub fn of(
        planner: &Planner,
        shard: Option<crate::run::shard::Shard>,
        plans: Vec<OptionPlan>,
    ) -> PlanRecord {
        PlanRecord {
            source: PlanSource::of(planner),
            options: planner.plan.options.len(),
            shard,
            plans,
        }
    }

    /// JSON bytes after one round trip (so that a record read back writes the same bytes),
    /// and the record as read back.
    ///
    /// # Errors
    /// A message when the record does not encode (a non-finite number).
    pub fn settle(&self) -> Result<(Vec<u8>, PlanRecord), String> {
        let once = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        let back: PlanRecord = serde_json::from_slice(&once).map_err(|e| e.to_string())?;
        let mut bytes = serde_json::to_vec_pretty(&back).map_err(|e| e.to_string())?;
        bytes.push(b'\n');
        Ok((bytes, back))
    }
}

/// Reads `DIR/plan_options.json`.
///
/// # Errors
/// A message naming the file when it is missing or not a plan record.
pub fn read_record(dir: &std::path::Path) -> Result<PlanRecord, String> {
    let p = dir.join("plan_options.json");
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}:{}:{}: not a plan_options.json: {e}",
            p.display(),
            e.line(),
            e.column()
        )
    })
}

/// The whole plan's record from the shards' records (any order).
///
/// # Errors
/// A message when the records are of different plans (scenario, its hash, changes, seed,
/// replications, options or shard count), a shard is missing or given twice, or an
/// option's plan is missing.
pub fn merge_records(recs: &[(std::path::PathBuf, PlanRecord)]) -> Result<PlanRecord, String> {
    let Some((d0, first)) = recs.first() else {
        return Err("nothing to merge: name the shards' folders".into());
    };
    let count = first.shard.map_or(1, |s| s.count);
    let key = |r: &PlanRecord| (r.source.clone(), r.options, r.shard.map_or(1, |s| s.count));
    let mut plans: Vec<OptionPlan> = Vec::new();
    for (d, r) in recs {
        if key(r) != key(first) {
            return Err(format!(
                "{} is not a shard of the same plan as {}: scenario file and its hash, --set \
                 changes, seed, replications, options and shard count must all agree",
                d.display(),
                d0.display()
            ));
        }
        plans.extend(r.plans.iter().cloned());
    }
    let held: Vec<(&std::path::Path, Option<crate::run::shard::Shard>)> =
        recs.iter().map(|(d, r)| (d.as_path(), r.shard)).collect();
    crate::run::shard::check_complete(&held, count)?;
    plans.sort_by_key(|p| p.index);
    let have: Vec<usize> = plans.iter().map(|p| p.index).collect();
    if have != (0..first.options).collect::<Vec<_>>() {
        return Err(format!(
            "the shards hold the plans of options {have:?}, expected each of 0..{} once",
            first.options
        ));
    }
    let mut whole = first.clone();
    whole.shard = None;
    whole.plans = plans;
    Ok(whole)
}

/// Every file of a whole plan's folder from its settled record (`PlanRecord::settle`):
/// [`render`]'s files and `plan_options.json`.
///
/// # Errors
/// As [`render`].
pub fn render_whole(
    planner: &Planner,
    bytes: Vec<u8>,
    rec: &PlanRecord,
) -> Result<Vec<PageFile>, String> {
    let chosen = crate::plan::choose(&rec.plans);
    let mut files = render(planner, &rec.plans, chosen)?;
    files.push(("plan_options.json".into(), bytes));
    Ok(files)
}
