//! Validation of the facility: `[site]`, `[row.NAME]`, `[rack.NAME]` and the GPU pools'
//! placement fields (`racks`, `gpus_per_server`, `host_idle_w`, `host_busy_w`, `priority`).

use super::dist_spec::fmt_num;
use super::duration::parse_duration;
use super::load::{Ctx, RawSections};
use super::raw::{RawAmbient, RawGpuPool, RawRack};
use crate::domain::facility::ambient::{Ambient, read_ambient_csv};
use crate::domain::facility::cooling::{CoolingKind, CoolingParams};
use crate::domain::facility::power::{CALIBRATED, MIN_CLOCK};
use crate::domain::facility::{
    FacilitySpec, PoolPlacement, PowerPolicy, RackSpec, RowSpec, SiteSpec,
};
use crate::domain::spec::GpuPoolSpec;
use crate::engine::SimDuration;
use std::collections::BTreeMap;

/// GPUs per server when a pool does not say (an HGX / DGX board).
pub const DEFAULT_GPUS_PER_SERVER: u32 = 8;
/// Host power of an 8-GPU server at idle [W]. Estimate: a DGX H100 draws 10.2 kW at most of
/// which its eight GPUs are 5.6 kW, so CPUs, memory, NICs, NVSwitches and fans are up to
/// about 4.6 kW at full load (fans at full speed) and about a quarter of that at idle
/// (`../shared/data/README.md`, "Servers").
pub const DEFAULT_HOST_IDLE_W: f64 = 1_200.0;
/// Host power of an 8-GPU server with every GPU busy [W]. Estimate: typical DGX H100 load
/// of 6.5–8.5 kW minus GPUs at ~400–700 W leaves 2–3 kW (same source).
pub const DEFAULT_HOST_BUSY_W: f64 = 2_500.0;
/// Power distribution losses (UPS, transformers, PDUs) as a share of IT power. Estimate:
/// double-conversion UPS efficiency ~94–96 % plus ~1–2 % in transformers and cabling.
pub const DEFAULT_DISTRIBUTION_LOSS: f64 = 0.06;
/// Outdoor temperature when `site.ambient` is not given [°C].
pub const DEFAULT_AMBIENT_C: f64 = 20.0;

/// Validates the facility sections against the validated GPU pools (`pools`, in
/// `raw.gpu_pools` order; only compared when every pool validated). `None` when the scenario
/// has no facility, or when something is wrong (reported).
pub(super) fn facility(
    ctx: &mut Ctx<'_>,
    raw: &RawSections,
    pools: &[GpuPoolSpec],
    start: Option<jiff::civil::DateTime>,
) -> Option<FacilitySpec> {
    let placed = raw.gpu_pools.values().any(|g| g.racks.is_some());
    if raw.site.is_none() && raw.racks.is_empty() && raw.rows.is_empty() && !placed {
        return None;
    }
    let mut ok = !raw.broken.facility;
    let site = site(ctx, raw, start);
    ok &= site.is_some();
    // Rows.
    let row_ids: BTreeMap<&str, u32> = raw
        .rows
        .keys()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    let mut rows = Vec::new();
    for (name, r) in &raw.rows {
        let cap = optional_kw(ctx, &format!("row.{name}.power_cap_kw"), r.power_cap_kw);
        ok &= cap.is_ok();
        rows.push(RowSpec {
            name: name.clone(),
            cap_kw: cap.unwrap_or(None),
        });
    }
    // Racks.
    let mut racks = Vec::new();
    for (name, r) in &raw.racks {
        match rack(ctx, name, r, &row_ids) {
            Some(spec) => racks.push(spec),
            None => ok = false,
        }
    }
    for name in raw.rows.keys() {
        if !raw
            .racks
            .values()
            .any(|r| r.row.as_deref() == Some(name.as_str()))
        {
            ctx.err(
                &format!("row.{name}"),
                format!(
                    "no rack stands in row {name}: give racks `row = \"{name}\"` or remove the row"
                ),
            );
            ok = false;
        }
    }
    if raw.racks.is_empty() {
        ctx.err(
            "site",
            "the scenario has a facility but no racks: add `[rack.NAME]` tables (servers, power_cap_kw, cooling) and place each GPU pool with `racks = [...]`",
        );
        return None;
    }
    let rack_ids: BTreeMap<&str, u32> = raw
        .racks
        .keys()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i as u32))
        .collect();
    // Placement: each pool's servers fill its racks in order.
    let all_pools_valid = pools.len() == raw.gpu_pools.len();
    // Free slots by rack index (a rack that failed validation has room for anything, so
    // that no follow-on problem is reported).
    let mut free: Vec<u32> = raw
        .racks
        .keys()
        .map(|n| {
            racks
                .iter()
                .find(|r| &r.name == n)
                .map_or(u32::MAX, |r| r.slots)
        })
        .collect();
    let mut placements = Vec::new();
    for (i, (pname, rg)) in raw.gpu_pools.iter().enumerate() {
        let pool = if all_pools_valid {
            Some(&pools[i])
        } else {
            None
        };
        // A rented (cloud) pool without racks runs elsewhere: no power in this site.
        let cloud = raw
            .cost
            .as_ref()
            .and_then(|c| c.gpu_pool.as_ref())
            .and_then(|m| m.get(pname))
            .is_some_and(|p| p.cloud_usd_per_gpu_hour.is_some());
        if rg.racks.is_none() && raw.broken.cost {
            // `[cost]` did not parse: whether this pool is rented elsewhere is unknown,
            // and the cost problem is already reported.
            ok = false;
            continue;
        }
        if cloud && rg.racks.is_none() {
            placements.push(PoolPlacement {
                gpus_per_server: DEFAULT_GPUS_PER_SERVER,
                host_idle_w: 0.0,
                host_busy_w: 0.0,
                low_priority: false,
                servers: Vec::new(),
                off_site: true,
            });
            continue;
        }
        match placement(ctx, pname, rg, pool, &rack_ids, &mut free) {
            Some(p) => placements.push(p),
            None => ok = false,
        }
    }
    if !ok || !all_pools_valid {
        return None;
    }
    let spec = FacilitySpec {
        site: site?,
        rows,
        racks,
        pools: placements,
    };
    check_power(ctx, &spec, pools).then_some(spec)
}

fn site(
    ctx: &mut Ctx<'_>,
    raw: &RawSections,
    start: Option<jiff::civil::DateTime>,
) -> Option<SiteSpec> {
    let default = super::raw::RawSite::default();
    let s = raw.site.as_ref().unwrap_or(&default);
    let mut ok = true;
    let cap = optional_kw(ctx, "site.power_cap_kw", s.power_cap_kw);
    ok &= cap.is_ok();
    let pue = match s.pue {
        None => None,
        Some(p) if p.is_finite() && (1.0..=5.0).contains(&p) => Some(p),
        Some(p) => {
            ctx.err(
                "site.pue",
                format!(
                    "expected a fixed PUE from 1 to 5 (facility power / IT power), found {}",
                    fmt_num(p)
                ),
            );
            ok = false;
            None
        }
    };
    let loss = match s.distribution_loss {
        None => DEFAULT_DISTRIBUTION_LOSS,
        Some(x) if x.is_finite() && (0.0..0.5).contains(&x) => x,
        Some(x) => {
            ctx.err(
                "site.distribution_loss",
                format!("expected the distribution losses as a share of IT power, from 0 to below 0.5, found {}", fmt_num(x)),
            );
            ok = false;
            0.0
        }
    };
    let fixed = match s.fixed_kw {
        None => 0.0,
        Some(x) if x.is_finite() && x >= 0.0 => x,
        Some(x) => {
            ctx.err(
                "site.fixed_kw",
                format!(
                    "expected the constant facility load, a finite number >= 0 [kW], found {}",
                    fmt_num(x)
                ),
            );
            ok = false;
            0.0
        }
    };
    let ambient = match &s.ambient {
        None => Some(Ambient::Constant {
            c: DEFAULT_AMBIENT_C,
        }),
        Some(a) => ambient(ctx, a, start),
    };
    ok &= ambient.is_some();
    let step = match &s.ambient_step {
        None => SimDuration::from_secs(300),
        Some(d) => match parse_duration(d) {
            Ok(d) if d.0 > 0 => d,
            Ok(_) => {
                ctx.err("site.ambient_step", "expected a duration > 0, found 0");
                ok = false;
                SimDuration::from_secs(300)
            }
            Err(e) => {
                ctx.err("site.ambient_step", e);
                ok = false;
                SimDuration::from_secs(300)
            }
        },
    };
    let policy = match s.policy.as_deref().unwrap_or("dynamic") {
        "none" => PowerPolicy::Uncapped,
        "static" => {
            match s.gpu_power_limit {
                Some(f) if f.is_finite() && f > 0.0 && f <= 1.0 => {
                    PowerPolicy::StaticGpuLimit { fraction: f }
                }
                Some(f) => {
                    ctx.err(
                    "site.gpu_power_limit",
                    format!("expected the per-GPU power limit as a share of TDP, in (0, 1], found {}", fmt_num(f)),
                );
                    ok = false;
                    PowerPolicy::Uncapped
                }
                None => {
                    ctx.err(
                    "site.gpu_power_limit",
                    "missing; the static policy needs the per-GPU power limit as a share of TDP, e.g. 0.7",
                );
                    ok = false;
                    PowerPolicy::Uncapped
                }
            }
        }
        "dynamic" => match s.low_priority_threshold {
            None => PowerPolicy::Dynamic {
                low_priority_threshold: 0.9,
            },
            Some(t) if t.is_finite() && t > 0.0 && t <= 1.0 => PowerPolicy::Dynamic {
                low_priority_threshold: t,
            },
            Some(t) => {
                ctx.err(
                    "site.low_priority_threshold",
                    format!(
                        "expected a share of a power limit in (0, 1], found {}",
                        fmt_num(t)
                    ),
                );
                ok = false;
                PowerPolicy::Uncapped
            }
        },
        other => {
            ctx.err(
                "site.policy",
                format!("expected \"dynamic\", \"static\" or \"none\", found {other:?}"),
            );
            ok = false;
            PowerPolicy::Uncapped
        }
    };
    if pue.is_some() && (s.distribution_loss.is_some() || s.fixed_kw.is_some()) {
        let field = if s.fixed_kw.is_some() {
            "site.fixed_kw"
        } else {
            "site.distribution_loss"
        };
        ctx.err(
            field,
            "a fixed `pue` already covers losses and fixed loads (facility = PUE x IT): remove this field or the pue",
        );
        ok = false;
    }
    if s.low_priority_threshold.is_some() && !matches!(policy, PowerPolicy::Dynamic { .. }) && ok {
        ctx.err(
            "site.low_priority_threshold",
            "only used with policy = \"dynamic\"; remove it or set the policy",
        );
        ok = false;
    }
    if s.gpu_power_limit.is_some() && !matches!(policy, PowerPolicy::StaticGpuLimit { .. }) && ok {
        ctx.err(
            "site.gpu_power_limit",
            "only used with policy = \"static\"; remove it or set the policy",
        );
        ok = false;
    }
    ok.then(|| SiteSpec {
        cap_kw: cap.unwrap_or(None),
        pue,
        distribution_loss: loss,
        fixed_kw: fixed,
        ambient: ambient.expect("checked"),
        ambient_step: step,
        policy,
    })
}

fn ambient(
    ctx: &mut Ctx<'_>,
    a: &RawAmbient,
    start: Option<jiff::civil::DateTime>,
) -> Option<Ambient> {
    let curve = a.mean_c.is_some()
        || a.diurnal_amplitude_c.is_some()
        || a.seasonal_amplitude_c.is_some()
        || a.peak_hour.is_some()
        || a.peak_day.is_some();
    let given = [a.constant_c.is_some(), curve, a.csv.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        ctx.err(
            "site.ambient",
            "expected exactly one of { constant_c = 25 }, a curve { mean_c, diurnal_amplitude_c, peak_hour, seasonal_amplitude_c, peak_day }, or { csv = \"file.csv\" }",
        );
        return None;
    }
    let amb = if let Some(c) = a.constant_c {
        Ambient::Constant { c }
    } else if let Some(file) = &a.csv {
        let path = ctx.base_dir.join(file);
        // Only a regular file of bounded size: a device or pipe could be endless.
        let kind = match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => Some("it is a folder".to_string()),
            Ok(m) if !m.is_file() => {
                Some("it is not a regular file (a device, pipe or socket)".to_string())
            }
            Ok(m) if m.len() > super::dist_spec::MAX_DATA_BYTES => Some(format!(
                "it has {} bytes; at most {} are read",
                m.len(),
                super::dist_spec::MAX_DATA_BYTES
            )),
            _ => None,
        };
        if let Some(why) = kind {
            ctx.err(
                "site.ambient.csv",
                format!("{}: cannot read the file: {why}", path.display()),
            );
            return None;
        }
        match read_ambient_csv(
            &path,
            start.unwrap_or(crate::domain::facility::runtime::DEFAULT_START),
        ) {
            Ok(points) => Ambient::Series(points),
            Err(e) => {
                ctx.err("site.ambient.csv", e);
                return None;
            }
        }
    } else {
        let Some(mean_c) = a.mean_c else {
            ctx.err(
                "site.ambient.mean_c",
                "missing; a temperature curve needs its mean [°C]",
            );
            return None;
        };
        Ambient::Curve {
            mean_c,
            diurnal_amplitude_c: a.diurnal_amplitude_c.unwrap_or(0.0),
            peak_hour: a.peak_hour.unwrap_or(15.0),
            seasonal_amplitude_c: a.seasonal_amplitude_c.unwrap_or(0.0),
            peak_day_of_year: a.peak_day.unwrap_or(200.0),
        }
    };
    if let Err(e) = amb.check() {
        ctx.err("site.ambient", e);
        return None;
    }
    Some(amb)
}

/// An optional power in kW: `Ok(None)` absent, `Err` reported.
fn optional_kw(ctx: &mut Ctx<'_>, path: &str, v: Option<f64>) -> Result<Option<f64>, ()> {
    match v {
        None => Ok(None),
        Some(x) if x.is_finite() && x > 0.0 => Ok(Some(x)),
        Some(x) => {
            ctx.err(
                path,
                format!(
                    "expected a power cap, a finite number > 0 [kW], found {}",
                    fmt_num(x)
                ),
            );
            Err(())
        }
    }
}

fn rack(
    ctx: &mut Ctx<'_>,
    name: &str,
    r: &RawRack,
    rows: &BTreeMap<&str, u32>,
) -> Option<RackSpec> {
    let p = |f: &str| format!("rack.{name}.{f}");
    let mut ok = true;
    let row = match &r.row {
        None => None,
        Some(w) => match rows.get(w.as_str()) {
            Some(&i) => Some(i),
            None => {
                ctx.err(
                    &p("row"),
                    format!(
                        "unknown row {w:?}; define it with [row.{w}] (rows: {})",
                        names(rows)
                    ),
                );
                ok = false;
                None
            }
        },
    };
    let slots = match r.servers {
        Some(n) if (1..=10_000).contains(&n) => n as u32,
        Some(n) => {
            ctx.err(
                &p("servers"),
                format!("expected the server slots, a whole number from 1 to 10000, found {n}"),
            );
            ok = false;
            0
        }
        None => {
            ctx.err(
                &p("servers"),
                "missing; expected the number of server slots in the rack",
            );
            ok = false;
            0
        }
    };
    let cap = optional_kw(ctx, &p("power_cap_kw"), r.power_cap_kw);
    ok &= cap.is_ok();
    let cap = cap.unwrap_or(None);
    let kind = match r.cooling.as_deref() {
        None => CoolingKind::Air,
        Some(k) => match CoolingKind::parse(k) {
            Some(k) => k,
            None => {
                ctx.err(
                    &p("cooling"),
                    format!(
                        "expected one of {}, found {k:?}",
                        CoolingKind::NAMES.map(|n| format!("{n:?}")).join(", ")
                    ),
                );
                ok = false;
                CoolingKind::Air
            }
        },
    };
    let cooling_kw = match (r.cooling_capacity_kw, cap) {
        (Some(x), _) if x.is_finite() && x > 0.0 => x,
        (Some(x), _) => {
            ctx.err(&p("cooling_capacity_kw"), format!("expected the heat the rack's cooling removes, a finite number > 0 [kW], found {}", fmt_num(x)));
            ok = false;
            0.0
        }
        (None, Some(c)) => c,
        (None, None) => {
            ctx.err(&p("cooling_capacity_kw"), "missing; expected the heat the rack's cooling removes [kW] (it defaults to power_cap_kw, which is not given either)");
            ok = false;
            0.0
        }
    };
    ok.then(|| RackSpec {
        name: name.to_string(),
        row,
        slots,
        cap_kw: cap,
        cooling: kind,
        cooling_params: CoolingParams::defaults(kind),
        cooling_kw,
    })
}

/// A number for a message, to three decimals, without trailing zeros.
fn kw3(x: f64) -> String {
    let t = format!("{x:.3}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn names(m: &BTreeMap<&str, u32>) -> String {
    if m.is_empty() {
        "none defined".to_string()
    } else {
        m.keys().copied().collect::<Vec<_>>().join(", ")
    }
}

fn placement(
    ctx: &mut Ctx<'_>,
    pname: &str,
    rg: &RawGpuPool,
    pool: Option<&GpuPoolSpec>,
    rack_ids: &BTreeMap<&str, u32>,
    free: &mut [u32],
) -> Option<PoolPlacement> {
    let p = |f: &str| format!("gpu_pool.{pname}.{f}");
    let mut ok = true;
    let Some(list) = &rg.racks else {
        ctx.err(
            &format!("gpu_pool.{pname}"),
            format!("the scenario has racks, so every GPU pool needs a place: add racks = [\"RACK\", ...] (racks: {})", names(rack_ids)),
        );
        return None;
    };
    let mut listed = Vec::new();
    for (i, r) in list.iter().enumerate() {
        match rack_ids.get(r.as_str()) {
            Some(&k) => listed.push(k),
            None => {
                ctx.err(
                    &format!("{}[{i}]", p("racks")),
                    format!(
                        "unknown rack {r:?}; define it with [rack.{r}] (racks: {})",
                        names(rack_ids)
                    ),
                );
                ok = false;
            }
        }
    }
    let gps = match rg.gpus_per_server {
        None => DEFAULT_GPUS_PER_SERVER,
        Some(n) if (1..=1024).contains(&n) => n as u32,
        Some(n) => {
            ctx.err(
                &p("gpus_per_server"),
                format!("expected a whole number from 1 to 1024, found {n}"),
            );
            ok = false;
            1
        }
    };
    let watts = |ctx: &mut Ctx<'_>, f: &str, v: Option<f64>, d: f64| match v {
        None => Some(d),
        Some(x) if x.is_finite() && x >= 0.0 => Some(x),
        Some(x) => {
            ctx.err(
                &p(f),
                format!(
                    "expected a power, a finite number >= 0 [W], found {}",
                    fmt_num(x)
                ),
            );
            None
        }
    };
    let scale = f64::from(gps) / 8.0;
    let idle = watts(
        ctx,
        "host_idle_w",
        rg.host_idle_w,
        DEFAULT_HOST_IDLE_W * scale,
    );
    let busy = watts(
        ctx,
        "host_busy_w",
        rg.host_busy_w,
        DEFAULT_HOST_BUSY_W * scale,
    );
    let (Some(idle), Some(busy)) = (idle, busy) else {
        return None;
    };
    if busy < idle {
        ctx.err(
            &p("host_busy_w"),
            format!(
                "the host draws {} W busy but {} W idle: expected busy >= idle",
                fmt_num(busy),
                fmt_num(idle)
            ),
        );
        ok = false;
    }
    let low = match rg.priority.as_deref() {
        None | Some("high") => false,
        Some("low") => true,
        Some(o) => {
            ctx.err(
                &p("priority"),
                format!("expected \"high\" or \"low\", found {o:?}"),
            );
            ok = false;
            false
        }
    };
    let pool = pool?;
    if !ok {
        return None;
    }
    let tp = pool.tensor_parallel.max(1);
    if tp > gps || gps % tp != 0 {
        ctx.err(
            &p("gpus_per_server"),
            format!("a replica's {tp} GPUs (tensor_parallel) must sit in one server: expected gpus_per_server to be a multiple of {tp}, found {gps}"),
        );
        return None;
    }
    let gpus = u64::from(pool.replicas) * u64::from(tp);
    let needed = gpus.div_ceil(u64::from(gps));
    let mut servers = Vec::new();
    for &k in &listed {
        while (servers.len() as u64) < needed && free[k as usize] > 0 {
            free[k as usize] -= 1;
            servers.push(k);
        }
    }
    if (servers.len() as u64) < needed {
        ctx.err(
            &p("racks"),
            format!(
                "{} replicas x {tp} GPUs need {needed} servers of {gps} GPUs, but the listed racks have {} free slot(s) left: add racks or slots (rack.NAME.servers)",
                pool.replicas,
                servers.len()
            ),
        );
        return None;
    }
    Some(PoolPlacement {
        gpus_per_server: gps,
        host_idle_w: idle,
        host_busy_w: busy,
        low_priority: low,
        servers,
        off_site: false,
    })
}

/// Power each rack, row and the site draws with every GPU idle, and at most at the lowest
/// clock [W]: caps below the first, or (under the dynamic policy) below the second, cannot
/// be met.
fn check_power(ctx: &mut Ctx<'_>, spec: &FacilitySpec, pools: &[GpuPoolSpec]) -> bool {
    let n = spec.racks.len();
    let mut idle = vec![0.0f64; n];
    let mut floor = vec![0.0f64; n];
    let min_share = CALIBRATED.dynamic_share(MIN_CLOCK);
    for (p, place) in pools.iter().zip(&spec.pools) {
        for &r in &place.servers {
            let g = f64::from(place.gpus_per_server);
            idle[r as usize] += place.host_idle_w + g * p.gpu.idle_w;
            floor[r as usize] +=
                place.host_busy_w + g * (p.gpu.idle_w + (p.gpu.tdp_w - p.gpu.idle_w) * min_share);
        }
    }
    if let PowerPolicy::StaticGpuLimit { fraction } = spec.site.policy {
        for p in pools {
            let lowest = p.gpu.idle_w + (p.gpu.tdp_w - p.gpu.idle_w) * min_share;
            if fraction * p.gpu.tdp_w < lowest {
                ctx.err(
                    "site.gpu_power_limit",
                    format!("{} x {} W = {} W is below what a busy {} draws at its lowest clock ({} W): expected at least {}", fraction, fmt_num(p.gpu.tdp_w), kw3(fraction * p.gpu.tdp_w), p.gpu_name, kw3(lowest), kw3(lowest / p.gpu.tdp_w)),
                );
                return false;
            }
        }
    }
    let dynamic = matches!(spec.site.policy, PowerPolicy::Dynamic { .. });
    let mut fits = true;
    let mut check = |ctx: &mut Ctx<'_>,
                     path: String,
                     cap_kw: f64,
                     idle_w: f64,
                     floor_w: f64,
                     what: &str| {
        if idle_w > cap_kw * 1e3 {
            ctx.err(
                &path,
                format!("the servers placed in {what} draw {} kW with every GPU idle, above its limit of {} kW: move servers or raise the limit", kw3(idle_w / 1e3), fmt_num(cap_kw)),
            );
            fits = false;
        } else if dynamic && floor_w > cap_kw * 1e3 {
            ctx.err(
                &path,
                format!("the servers placed in {what} can draw {} kW busy even at the lowest GPU clock ({MIN_CLOCK} of full), above its cap of {} kW, so the cap cannot be enforced: move servers or raise the cap", kw3(floor_w / 1e3), fmt_num(cap_kw)),
            );
            fits = false;
        }
    };
    let mut ok = true;
    for (k, r) in spec.racks.iter().enumerate() {
        if let Some(c) = r.cap_kw {
            check(
                ctx,
                format!("rack.{}.power_cap_kw", r.name),
                c,
                idle[k],
                floor[k],
                &format!("rack {}", r.name),
            );
        }
        if idle[k] > r.cooling_kw * 1e3 {
            ctx.err(
                &format!("rack.{}.cooling_capacity_kw", r.name),
                format!("the servers placed in rack {} give off {} kW with every GPU idle, above its cooling capacity of {} kW", r.name, kw3(idle[k] / 1e3), fmt_num(r.cooling_kw)),
            );
            ok = false;
        } else if floor[k] > r.cooling_kw * 1e3 {
            ctx.err(
                &format!("rack.{}.cooling_capacity_kw", r.name),
                format!("the servers placed in rack {} can give off {} kW busy even at the lowest GPU clock ({MIN_CLOCK} of full), above its cooling capacity of {} kW, so thermal throttling cannot hold it: move servers or add cooling", r.name, kw3(floor[k] / 1e3), fmt_num(r.cooling_kw)),
            );
            ok = false;
        }
    }
    for (w, row) in spec.rows.iter().enumerate() {
        if let Some(c) = row.cap_kw {
            let (mut i, mut f) = (0.0, 0.0);
            for (k, r) in spec.racks.iter().enumerate() {
                if r.row == Some(w as u32) {
                    i += idle[k];
                    f += floor[k];
                }
            }
            check(
                ctx,
                format!("row.{}.power_cap_kw", row.name),
                c,
                i,
                f,
                &format!("row {}", row.name),
            );
        }
    }
    if let Some(c) = spec.site.cap_kw {
        check(
            ctx,
            "site.power_cap_kw".into(),
            c,
            idle.iter().sum(),
            floor.iter().sum(),
            "the site",
        );
    }
    ok && fits
}
