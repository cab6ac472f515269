//! Validation of `[cost]`: energy prices (flat or by time of use), the facility price, and
//! what each GPU and CPU pool costs.

use super::dist_spec::fmt_num;
use super::facility_spec::{DEFAULT_GPUS_PER_SERVER, DEFAULT_HOST_BUSY_W};
use super::human_spec::{time_of_day, week_days};
use super::load::{Ctx, RawSections};
use super::raw::{RawCost, RawTouPeriod};
use crate::domain::economics::prices::{DEFAULT_FACILITY_LIFE_YEARS, DEFAULT_LIFE_YEARS};
use crate::domain::economics::tariff::TouPeriod;
use crate::domain::economics::{CostSpec, FacilityPrice, Tariff};
use crate::domain::facility::FacilitySpec;
use crate::domain::{CpuPoolSpec, GpuPoolSpec};

/// Most time-of-use periods.
const MAX_TOU_PERIODS: usize = 200;

/// Largest price accepted [USD per unit]: a trillion. Larger is a typo, and products of
/// such prices with fleet sizes and hours would overflow to infinity.
const MAX_PRICE: f64 = 1e12;

/// A price: finite, >= 0 and <= [`MAX_PRICE`] (`None` when absent: 0). Reports and returns
/// `None` otherwise.
fn price(ctx: &mut Ctx<'_>, path: &str, x: Option<f64>, unit: &str) -> Option<f64> {
    match x {
        None => Some(0.0),
        Some(v) if v.is_finite() && (0.0..=MAX_PRICE).contains(&v) => Some(v),
        Some(v) => {
            ctx.err(
                path,
                format!(
                    "expected a price, a finite number >= 0 and <= 1e12 [{unit}], found {}",
                    fmt_num(v)
                ),
            );
            None
        }
    }
}

/// A life for amortisation: finite and > 0 [years]; `default` when absent.
fn life(ctx: &mut Ctx<'_>, path: &str, x: Option<f64>, default: f64) -> Option<f64> {
    match x {
        None => Some(default),
        Some(v) if v.is_finite() && v > 0.0 && v <= 100.0 => Some(v),
        Some(v) => {
            ctx.err(
                path,
                format!(
                    "expected an amortisation period, a number of years > 0 and <= 100, found {}",
                    fmt_num(v)
                ),
            );
            None
        }
    }
}

/// Validates `[cost]` against the scenario's pools and facility. Always returns prices
/// (problems are reported, and what could not be read costs 0).
pub(super) fn cost(
    ctx: &mut Ctx<'_>,
    raw: &RawSections,
    gpu_pools: &[GpuPoolSpec],
    cpu_pools: &[CpuPoolSpec],
    facility: Option<&FacilitySpec>,
) -> CostSpec {
    let mut spec = CostSpec::unpriced(gpu_pools.len(), cpu_pools.len());
    for (i, p) in spec.gpu_pools.iter_mut().enumerate() {
        p.gpus_per_server = facility
            .and_then(|f| f.pools.get(i))
            .map_or(DEFAULT_GPUS_PER_SERVER, |pl| pl.gpus_per_server);
    }
    spec.provisioned_kw = provisioned_kw(gpu_pools, facility);
    let Some(rc) = &raw.cost else {
        return spec;
    };
    // With a [cost] section, an owned GPU costs its catalog price unless the scenario
    // says otherwise (catalog/gpus.toml `price_usd`, with its source).
    for (p, g) in spec.gpu_pools.iter_mut().zip(gpu_pools) {
        p.capex_usd_per_gpu = g.gpu.price_usd;
    }
    pool_prices(ctx, raw, rc, gpu_pools, cpu_pools, &mut spec);

    let per_kw = price(
        ctx,
        "cost.facility_usd_per_kw_month",
        rc.facility_usd_per_kw_month,
        "USD/(kW·month)",
    );
    let per_mw = price(
        ctx,
        "cost.facility_build_usd_per_mw",
        rc.facility_build_usd_per_mw,
        "USD/MW",
    );
    let flife = life(
        ctx,
        "cost.facility_life_years",
        rc.facility_life_years,
        DEFAULT_FACILITY_LIFE_YEARS,
    );
    spec.facility = match (rc.facility_usd_per_kw_month, rc.facility_build_usd_per_mw) {
        (Some(_), Some(_)) => {
            ctx.err(
                "cost.facility_build_usd_per_mw",
                "give the facility either a monthly price per kW (facility_usd_per_kw_month) or a build cost (facility_build_usd_per_mw), not both",
            );
            FacilityPrice::None
        }
        (Some(_), None) => per_kw.map_or(FacilityPrice::None, FacilityPrice::PerKwMonth),
        (None, Some(_)) => match (per_mw, flife) {
            (Some(usd_per_mw), Some(life_years)) => FacilityPrice::Build {
                usd_per_mw,
                life_years,
            },
            _ => FacilityPrice::None,
        },
        (None, None) => {
            if rc.facility_life_years.is_some() {
                ctx.err(
                    "cost.facility_life_years",
                    "a facility life without a build cost: add facility_build_usd_per_mw",
                );
            }
            FacilityPrice::None
        }
    };

    spec.energy = tariff(ctx, rc);
    let no_site = raw.site.is_none() && raw.racks.is_empty() && !raw.broken.facility;
    if spec.energy.is_some() && facility.is_none() && no_site {
        ctx.err(
            "cost.energy_usd_per_kwh",
            "energy is priced but the scenario models no power: add a facility ([site] and [rack.NAME] with each GPU pool placed by `racks = [...]`)",
        );
    }
    spec
}

/// Provisioned IT power [kW]: the site cap, else the sum of the rack caps when every rack
/// has one, else the fleet's nameplate (GPUs at TDP plus hosts busy).
fn provisioned_kw(gpu_pools: &[GpuPoolSpec], facility: Option<&FacilitySpec>) -> f64 {
    if let Some(f) = facility {
        if let Some(c) = f.site.cap_kw {
            return c;
        }
        if !f.racks.is_empty() && f.racks.iter().all(|r| r.cap_kw.is_some()) {
            return f.racks.iter().filter_map(|r| r.cap_kw).sum();
        }
    }
    gpu_pools
        .iter()
        .enumerate()
        // A rented pool without racks runs off-site: it draws none of the site's power.
        .filter(|(i, _)| {
            !facility
                .and_then(|f| f.pools.get(*i))
                .is_some_and(|pl| pl.off_site)
        })
        .map(|(i, p)| {
            let gpus = u64::from(p.replicas) * u64::from(p.tensor_parallel);
            let (gps, host_w) = facility
                .and_then(|f| f.pools.get(i))
                .map_or((DEFAULT_GPUS_PER_SERVER, DEFAULT_HOST_BUSY_W), |pl| {
                    (pl.gpus_per_server, pl.host_busy_w)
                });
            let servers = gpus.div_ceil(u64::from(gps.max(1)));
            (gpus as f64 * p.gpu.tdp_w + servers as f64 * host_w) / 1e3
        })
        .sum()
}

fn pool_prices(
    ctx: &mut Ctx<'_>,
    raw: &RawSections,
    rc: &RawCost,
    gpu_pools: &[GpuPoolSpec],
    cpu_pools: &[CpuPoolSpec],
    spec: &mut CostSpec,
) {
    for (name, rp) in rc.gpu_pool.iter().flatten() {
        let base = format!("cost.gpu_pool.{name}");
        let p = |f: &str| format!("{base}.{f}");
        let Some(i) = gpu_pools.iter().position(|g| &g.name == name) else {
            if !raw.broken.gpu_pools.contains(name) {
                let known: Vec<&str> = gpu_pools.iter().map(|g| g.name.as_str()).collect();
                ctx.err(
                    &base,
                    format!(
                        "unknown GPU pool {name:?}; the scenario's GPU pools are: {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
            }
            continue;
        };
        let out = &mut spec.gpu_pools[i];
        let gpu = price(ctx, &p("capex_usd_per_gpu"), rp.capex_usd_per_gpu, "USD");
        let server = price(
            ctx,
            &p("capex_usd_per_server"),
            rp.capex_usd_per_server,
            "USD",
        );
        let lic = price(
            ctx,
            &p("licence_usd_per_gpu_year"),
            rp.licence_usd_per_gpu_year,
            "USD/(GPU·year)",
        );
        let cloud = price(
            ctx,
            &p("cloud_usd_per_gpu_hour"),
            rp.cloud_usd_per_gpu_hour,
            "USD/GPU-hour",
        );
        let years = life(ctx, &p("life_years"), rp.life_years, DEFAULT_LIFE_YEARS);
        let owned = [
            ("capex_usd_per_gpu", rp.capex_usd_per_gpu),
            ("capex_usd_per_server", rp.capex_usd_per_server),
            ("licence_usd_per_gpu_year", rp.licence_usd_per_gpu_year),
            ("life_years", rp.life_years),
        ];
        if rp.cloud_usd_per_gpu_hour.is_some()
            && let Some((field, _)) = owned.iter().find(|(_, v)| v.is_some())
        {
            ctx.err(
                &p(field),
                "a cloud pool (cloud_usd_per_gpu_hour) is rented, not owned: it takes no capex, life or licence; make a separate pool for owned GPUs",
            );
        }
        out.capex_usd_per_gpu = match rp.capex_usd_per_gpu {
            Some(_) => gpu.unwrap_or(0.0),
            None if rp.cloud_usd_per_gpu_hour.is_some() => 0.0,
            None => out.capex_usd_per_gpu,
        };
        out.capex_usd_per_server = server.unwrap_or(0.0);
        out.licence_usd_per_gpu_year = lic.unwrap_or(0.0);
        let dur = |ctx: &mut Ctx<'_>, f: &str, d: &Option<super::raw::RawDuration>| match d {
            None => Some(crate::engine::SimDuration::ZERO),
            Some(d) => super::duration::parse_duration(d)
                .map_err(|e| ctx.err(&p(f), e))
                .ok(),
        };
        let provisioning = dur(ctx, "provisioning", &rp.provisioning);
        let release = dur(ctx, "release_after", &rp.release_after);
        if rp.release_after.is_some() || rp.provisioning.is_some() {
            if rp.cloud_usd_per_gpu_hour.is_none() {
                ctx.err(
                    &p(if rp.release_after.is_some() {
                        "release_after"
                    } else {
                        "provisioning"
                    }),
                    "rental terms apply to a cloud pool: add cloud_usd_per_gpu_hour",
                );
            } else if rp.release_after.is_none() {
                ctx.err(
                    &p("release_after"),
                    "missing; an on-demand pool needs the idle time after which a replica is released, e.g. \"10m\"",
                );
            } else if release.is_some_and(|r| r.0 == 0) {
                ctx.err(
                    &p("release_after"),
                    "expected a release time > 0: a replica released the instant its batch empties would be provisioned again for every call",
                );
            } else if let (Some(provisioning), Some(release_after)) = (provisioning, release) {
                out.on_demand = Some(crate::domain::llm::rental::RentalTerms {
                    provisioning,
                    release_after,
                });
            }
        }
        out.cloud_usd_per_gpu_hour = cloud.unwrap_or(0.0);
        out.life_years = years.unwrap_or(DEFAULT_LIFE_YEARS);
    }
    for (name, rp) in rc.cpu_pool.iter().flatten() {
        let base = format!("cost.cpu_pool.{name}");
        let Some(i) = cpu_pools.iter().position(|c| &c.name == name) else {
            if !raw.broken.cpu_pools.contains(name) {
                let known: Vec<&str> = cpu_pools.iter().map(|c| c.name.as_str()).collect();
                ctx.err(
                    &base,
                    format!(
                        "unknown CPU pool {name:?}; the scenario's CPU pools are: {}",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
            }
            continue;
        };
        spec.cpu_usd_per_server_hour[i] = price(
            ctx,
            &format!("{base}.usd_per_server_hour"),
            rp.usd_per_server_hour,
            "USD/server-hour",
        )
        .unwrap_or(0.0);
    }
}

/// The energy price: flat, or the base price with time-of-use periods.
fn tariff(ctx: &mut Ctx<'_>, rc: &RawCost) -> Option<Tariff> {
    let base = price(
        ctx,
        "cost.energy_usd_per_kwh",
        rc.energy_usd_per_kwh,
        "USD/kWh",
    );
    let periods = rc.energy_tou.as_deref().unwrap_or_default();
    if periods.len() > MAX_TOU_PERIODS {
        ctx.err(
            "cost.energy_tou",
            format!(
                "expected at most {MAX_TOU_PERIODS} time-of-use periods, found {}",
                periods.len()
            ),
        );
        return None;
    }
    if rc.energy_usd_per_kwh.is_none() {
        if !periods.is_empty() {
            ctx.err(
                "cost.energy_usd_per_kwh",
                "missing; time-of-use periods need the base price for the hours they do not cover [USD/kWh]",
            );
        }
        return None;
    }
    let parsed: Vec<Option<TouPeriod>> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| tou_period(ctx, &format!("cost.energy_tou[{i}]"), p))
        .collect();
    let base = base?;
    let parsed: Vec<TouPeriod> = parsed.into_iter().collect::<Option<_>>()?;
    match Tariff::time_of_use(base, &parsed) {
        Ok(t) => Some(t),
        Err(o) => {
            let day = crate::scenario::human_spec::DAYS[(o.minute / 1440) as usize];
            let m = o.minute % 1440;
            ctx.err(
                &format!("cost.energy_tou[{}]", o.second),
                format!(
                    "overlaps period {} (both cover {day} {:02}:{:02}): each minute of the week may have one price",
                    o.first,
                    m / 60,
                    m % 60
                ),
            );
            None
        }
    }
}

fn tou_period(ctx: &mut Ctx<'_>, path: &str, p: &RawTouPeriod) -> Option<TouPeriod> {
    let f = |x: &str| format!("{path}.{x}");
    let days = match &p.days {
        None => Some([true; 7]),
        Some(list) => week_days(ctx, path, list, "the period would never apply"),
    };
    let from = match &p.from {
        Some(t) => time_of_day(ctx, &f("from"), t, false),
        None => {
            ctx.err(&f("from"), "missing; expected the start, \"HH:MM\"");
            None
        }
    };
    let to = match &p.to {
        Some(t) => time_of_day(ctx, &f("to"), t, true),
        None => {
            ctx.err(
                &f("to"),
                "missing; expected the end, \"HH:MM\" (\"24:00\" for midnight; before `from`: the next day)",
            );
            None
        }
    };
    let usd = match p.usd_per_kwh {
        None => {
            ctx.err(
                &f("usd_per_kwh"),
                "missing; expected the period's price [USD/kWh]",
            );
            None
        }
        v => price(ctx, &f("usd_per_kwh"), v, "USD/kWh"),
    };
    let (from, to) = (from? / 60, to? / 60);
    if from == to {
        ctx.err(
            &f("to"),
            "the period is empty (its end equals its start); for a whole day use from = \"00:00\", to = \"24:00\"",
        );
        return None;
    }
    Some(TouPeriod {
        days: days?,
        from_min: from,
        to_min: to,
        usd_per_kwh: usd?,
    })
}
