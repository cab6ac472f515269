//! The facility at run time: every GPU replica's power, the racks', rows' and site's power
//! against their limits, the clocks the controller sets, cooling and PUE, integrated exactly.
//!
//! # How power moves
//! A replica's power changes only when it forms a batch or falls idle
//! ([`FacilityRt::replica_changed`], called from the replica's own event): its GPUs draw the
//! busy power of the batch's first iteration ([`super::power`]) until its next batch. Power
//! is therefore piecewise constant between events and every level is integrated exactly
//! (integer milliwatts × nanoseconds): energy does not depend on the output interval.
//!
//! # How limits are enforced
//! Each rack, row and the site is a budget level (see [`super::capping`]). A rack's limit is
//! the lower of its power cap (under [`PowerPolicy::Dynamic`]) and its cooling capacity at
//! the current ambient temperature (always: thermal throttling); rows and the site have
//! their caps. After every change the controller recomputes each level's target shares per
//! priority class, and every busy replica of a level whose targets changed moves to the
//! lowest target of its rack, row and site at once: its GPUs' power and clock follow
//! immediately (as a GPU's power limiter does, within milliseconds), so power never exceeds
//! an enforced limit. The iteration in progress keeps its planned end; the replica is *cut*
//! (its fast-forwarded run ends after that iteration) and its next batch is timed at the new
//! clock. So timings lag a clock change by at most one iteration (milliseconds to tens of
//! milliseconds). A limit below what the servers draw at the lowest clock
//! ([`super::power::MIN_CLOCK`]) is exceeded: validation rejects such caps, and a cooling
//! capacity that falls that low is counted as time over the cooling limit.

use super::capping::{SHARE_STEPS, class_shares, quantize};
use super::power::{MIN_CLOCK, PowerCoeffs};
use super::{FacilitySpec, PowerPolicy};
use crate::domain::spec::GpuPoolSpec;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::WindowedLevel;

/// Units of the power levels per watt: microwatts (so that rounding stays below 1e-10 of a
/// rack's power).
const UW_PER_W: f64 = 1e6;
/// Units of a clock factor in the clock level (1e-6).
const CLOCK_UNITS: f64 = 1e6;

/// One replica's power state.
#[derive(Debug, Clone)]
struct Rep {
    rack: u32,
    gpus: u32,
    class: usize,
    idle_w: f64,
    tdp_w: f64,
    /// Host power its busy GPUs add to the server [µW].
    host_uw: i64,
    busy: bool,
    /// Full-clock dynamic GPU power of its batch, after a static GPU limit [µW].
    demand_uw: i64,
    /// Share of `demand_uw` it draws (set by the controller at its last batch).
    share: f64,
    /// Share left by a static GPU limit (1 without one).
    static_share: f64,
    /// Dynamic power drawn: `floor(share × demand)` [µW].
    contrib_uw: i64,
    /// Its clock factor now.
    clock: f64,
    /// The same in 1e-6 units.
    clock_units: i64,
}

/// One budget level: a rack, a row or the site.
#[derive(Debug, Clone, Default)]
struct Budget {
    /// Power that clocks do not change: GPU idle power, host power [µW].
    fixed_uw: i64,
    /// Full-clock dynamic demand per class (high, low) [µW].
    demand_uw: [i64; 2],
    /// Dynamic power drawn [µW].
    actual_uw: i64,
    /// Enforced limit [µW], if any.
    limit_uw: Option<i64>,
    /// Target shares per class.
    shares: [f64; 2],
}

impl Budget {
    fn power_uw(&self) -> i64 {
        self.fixed_uw + self.actual_uw
    }

    /// Recomputes the target shares; whether they changed.
    fn retarget(&mut self, threshold: f64, floor: f64) -> bool {
        let new = class_shares(
            self.limit_uw.map(|l| l as f64),
            threshold,
            self.fixed_uw as f64,
            self.demand_uw[0] as f64,
            self.demand_uw[1] as f64,
            floor,
        );
        let changed = new != self.shares;
        self.shares = new;
        changed
    }
}

/// Output levels of a rack or the site.
#[derive(Debug, Clone)]
struct Levels {
    it_uw: WindowedLevel,
    facility_uw: WindowedLevel,
    capacity_uw: WindowedLevel,
    /// 1 while some busy GPU runs below full clock.
    throttled: WindowedLevel,
    /// 1 while the full-clock demand exceeds the cooling capacity.
    over_cooling: WindowedLevel,
    /// 1 while some busy GPU runs below full clock and a power cap (rack, row, site or a
    /// static GPU limit) sets the clock.
    capped: WindowedLevel,
    /// Σ busy GPUs × clock [1e-6].
    clock_busy: WindowedLevel,
    /// Σ busy GPUs.
    busy_gpus: WindowedLevel,
    peak_it_uw: i64,
}

impl Levels {
    fn new(interval: SimDuration) -> Levels {
        Levels {
            it_uw: WindowedLevel::new(interval),
            facility_uw: WindowedLevel::new(interval),
            capacity_uw: WindowedLevel::new(interval),
            throttled: WindowedLevel::new(interval),
            over_cooling: WindowedLevel::new(interval),
            capped: WindowedLevel::new(interval),
            clock_busy: WindowedLevel::new(interval),
            busy_gpus: WindowedLevel::new(interval),
            peak_it_uw: 0,
        }
    }

    /// Sets the indicator levels from the counts of racks in each state, and the peak from
    /// the IT level (after every rack of a change is done: sums that last no time are not
    /// peaks).
    fn settle(&mut self, now: SimTime, counts: &RackCounts) {
        set(&mut self.throttled, now, i64::from(counts.throttled > 0));
        set(
            &mut self.over_cooling,
            now,
            i64::from(counts.over_cooling > 0),
        );
        set(&mut self.capped, now, i64::from(counts.capped > 0));
        self.peak_it_uw = self.peak_it_uw.max(self.it_uw.level());
    }

    fn finish(self, end: SimTime, cap_kw: Option<f64>) -> LevelsResult {
        let (it_integral, it_windows) = self.it_uw.finish(end);
        let (facility_integral, facility_windows) = self.facility_uw.finish(end);
        let (_, capacity_windows) = self.capacity_uw.finish(end);
        let (throttled_integral, throttled_windows) = self.throttled.finish(end);
        let (over_cooling_integral, _) = self.over_cooling.finish(end);
        let (capped_integral, _) = self.capped.finish(end);
        let (clock_integral, clock_windows) = self.clock_busy.finish(end);
        let (busy_integral, busy_windows) = self.busy_gpus.finish(end);
        LevelsResult {
            it_integral,
            it_windows,
            facility_integral,
            facility_windows,
            capacity_windows,
            throttled_integral,
            throttled_windows,
            over_cooling_integral,
            capped_integral,
            clock_integral,
            clock_windows,
            busy_gpu_integral: busy_integral,
            busy_gpu_windows: busy_windows,
            peak_it_uw: self.peak_it_uw,
            cap_kw,
        }
    }
}

/// How many racks of a row or the site are in each state.
#[derive(Debug, Clone, Copy, Default)]
struct RackCounts {
    throttled: u32,
    over_cooling: u32,
    capped: u32,
}

impl RackCounts {
    fn apply(&mut self, d: [i32; 3]) {
        self.throttled = self.throttled.wrapping_add_signed(d[0]);
        self.over_cooling = self.over_cooling.wrapping_add_signed(d[1]);
        self.capped = self.capped.wrapping_add_signed(d[2]);
    }
}

/// A row or the site: the sum of its racks' levels.
#[derive(Debug, Clone)]
struct Agg {
    levels: Levels,
    counts: RackCounts,
}

fn set(level: &mut WindowedLevel, now: SimTime, value: i64) {
    let d = value - level.level();
    if d != 0 {
        level.add(now, d);
    }
}

/// A rack at run time.
#[derive(Debug, Clone)]
struct RackRt {
    budget: Budget,
    row: Option<u32>,
    /// Enforced cap [µW] (dynamic policy only).
    cap_uw: Option<i64>,
    cap_kw: Option<f64>,
    capacity_uw: i64,
    /// Facility power per IT power (1 + losses + cooling), at the current ambient.
    facility_factor: f64,
    facility_uw: i64,
    /// Flat indices of its replicas.
    reps: Vec<u32>,
    /// Busy replicas below full clock.
    throttled_reps: u32,
    over_cooling: bool,
    throttled: bool,
    capped: bool,
    levels: Levels,
}

/// What a rack or the site measured over one replication (integrals in µW·ns, clock in
/// 1e-6 × GPU·ns, indicator levels in ns).
#[derive(Debug, Clone)]
pub struct LevelsResult {
    /// ∫ IT power dt [µW·ns], and per window.
    pub it_integral: i128,
    /// Per window.
    pub it_windows: Vec<i128>,
    /// ∫ facility power dt [µW·ns] (IT, cooling, losses; the site adds its fixed load).
    pub facility_integral: i128,
    /// Per window.
    pub facility_windows: Vec<i128>,
    /// ∫ cooling capacity dt per window [µW·ns].
    pub capacity_windows: Vec<i128>,
    /// Time with some busy GPU below full clock [ns].
    pub throttled_integral: i128,
    /// Per window.
    pub throttled_windows: Vec<i128>,
    /// Time with the full-clock demand above the cooling capacity [ns].
    pub over_cooling_integral: i128,
    /// Time with some busy GPU below full clock and a power cap (rack, row, site or a static
    /// GPU limit) setting the clock [ns]; it may overlap the time over the cooling limit.
    pub capped_integral: i128,
    /// ∫ Σ busy GPUs × clock dt [1e-6 GPU·ns].
    pub clock_integral: i128,
    /// Per window.
    pub clock_windows: Vec<i128>,
    /// ∫ busy GPUs dt [GPU·ns].
    pub busy_gpu_integral: i128,
    /// Per window.
    pub busy_gpu_windows: Vec<i128>,
    /// Highest IT power [µW].
    pub peak_it_uw: i64,
    /// Power cap [kW], if any.
    pub cap_kw: Option<f64>,
}

/// The facility over one replication.
#[derive(Debug, Clone)]
pub struct FacilityResult {
    /// Per rack, in `FacilitySpec::racks` order.
    pub racks: Vec<LevelsResult>,
    /// Per row, in `FacilitySpec::rows` order.
    pub rows: Vec<LevelsResult>,
    /// The site.
    pub site: LevelsResult,
    /// ∫ ambient temperature dt per window [m°C·ns].
    pub ambient_windows: Vec<i128>,
    /// The site's facility energy per tariff band (empty when energy is not priced).
    pub billed: Vec<super::billing::BandResult>,
}

/// The facility at run time.
#[derive(Debug)]
pub struct FacilityRt {
    coeffs: PowerCoeffs,
    policy: PowerPolicy,
    threshold: f64,
    /// Lowest share of dynamic power (at the lowest clock).
    floor: f64,
    /// Clock factor and its 1e-6 units for each share step `k / SHARE_STEPS`.
    clocks: Vec<(f64, i64)>,
    start: jiff::civil::DateTime,
    pue: Option<f64>,
    distribution_loss: f64,
    fixed_uw: i64,
    ambient: super::ambient::Ambient,
    ambient_step: SimDuration,
    racks: Vec<RackRt>,
    cooling: Vec<super::cooling::CoolingParams>,
    rated_kw: Vec<f64>,
    rows: Vec<Budget>,
    site: Budget,
    site_agg: Agg,
    row_aggs: Vec<Agg>,
    row_caps_kw: Vec<Option<f64>>,
    site_cap_kw: Option<f64>,
    ambient_level: WindowedLevel,
    /// The site's energy meter by tariff band, when energy is priced.
    meter: Option<super::billing::BillingMeter>,
    /// Per pool, the flat index of its first replica.
    pool_offset: Vec<u32>,
    /// Per pool, whether it is off-site (a cloud pool: no replica here).
    off_site: Vec<bool>,
    reps: Vec<Rep>,
    /// Replicas (pool, replica) whose share no longer matches their target: the caller
    /// cuts their runs ([`FacilityRt::take_cuts`]).
    cuts: Vec<(u32, u32)>,
}

/// Simulated time 0 when the scenario gives no `start`: Monday 5 January 2026, 00:00.
pub const DEFAULT_START: jiff::civil::DateTime = jiff::civil::date(2026, 1, 5).at(0, 0, 0, 0);

impl FacilityRt {
    /// The facility of `spec` for `pools` (the scenario's GPU pools), at time 0 with every
    /// GPU idle; windows of `interval`. `start` is the calendar time of simulated time 0;
    /// with a `tariff`, the site's energy is metered per band (`week_offset_ns`: simulated
    /// time 0 after the Monday 00:00 before it).
    pub fn new(
        spec: &FacilitySpec,
        pools: &[GpuPoolSpec],
        start: Option<jiff::civil::DateTime>,
        interval: SimDuration,
        tariff: Option<(&crate::domain::economics::Tariff, u64)>,
    ) -> FacilityRt {
        let coeffs = super::power::CALIBRATED;
        let threshold = match spec.site.policy {
            PowerPolicy::Dynamic {
                low_priority_threshold,
            } => low_priority_threshold,
            _ => 1.0,
        };
        let enforce_caps = matches!(spec.site.policy, PowerPolicy::Dynamic { .. });
        let uw = |kw: Option<f64>| kw.map(|k| (k * 1e3 * UW_PER_W).floor() as i64);
        let mut racks: Vec<RackRt> = spec
            .racks
            .iter()
            .map(|r| RackRt {
                budget: Budget {
                    shares: [1.0, 1.0],
                    ..Budget::default()
                },
                row: r.row,
                cap_uw: if enforce_caps { uw(r.cap_kw) } else { None },
                cap_kw: r.cap_kw,
                capacity_uw: 0,
                facility_factor: 1.0,
                facility_uw: 0,
                reps: Vec::new(),
                throttled_reps: 0,
                over_cooling: false,
                throttled: false,
                capped: false,
                levels: Levels::new(interval),
            })
            .collect();
        let rows = spec
            .rows
            .iter()
            .map(|r| Budget {
                limit_uw: if enforce_caps { uw(r.cap_kw) } else { None },
                shares: [1.0, 1.0],
                ..Budget::default()
            })
            .collect();
        let site = Budget {
            limit_uw: if enforce_caps {
                uw(spec.site.cap_kw)
            } else {
                None
            },
            shares: [1.0, 1.0],
            ..Budget::default()
        };
        let mut reps = Vec::new();
        let mut pool_offset = Vec::new();
        let mut off_site = Vec::new();
        let mut fixed_w = vec![0.0f64; racks.len()];
        for (p, place) in pools.iter().zip(&spec.pools) {
            pool_offset.push(reps.len() as u32);
            off_site.push(place.off_site);
            if place.off_site {
                continue;
            }
            let tp = p.tensor_parallel.max(1);
            for &rack in &place.servers {
                fixed_w[rack as usize] +=
                    place.host_idle_w + f64::from(place.gpus_per_server) * p.gpu.idle_w;
            }
            let host_per_gpu_w =
                (place.host_busy_w - place.host_idle_w) / f64::from(place.gpus_per_server);
            for k in 0..p.replicas {
                let server =
                    (u64::from(k) * u64::from(tp) / u64::from(place.gpus_per_server)) as usize;
                let rack = place.servers[server];
                racks[rack as usize].reps.push(reps.len() as u32);
                reps.push(Rep {
                    rack,
                    gpus: tp,
                    class: usize::from(place.low_priority),
                    idle_w: p.gpu.idle_w,
                    tdp_w: p.gpu.tdp_w,
                    host_uw: (host_per_gpu_w * f64::from(tp) * UW_PER_W).round() as i64,
                    busy: false,
                    demand_uw: 0,
                    share: 1.0,
                    static_share: 1.0,
                    contrib_uw: 0,
                    clock: 1.0,
                    clock_units: CLOCK_UNITS as i64,
                });
            }
        }
        let mut f = FacilityRt {
            coeffs,
            policy: spec.site.policy,
            threshold,
            floor: coeffs.dynamic_share(MIN_CLOCK),
            clocks: (0..=SHARE_STEPS as usize)
                .map(|k| {
                    let c = coeffs.clock_for_share(k as f64 / SHARE_STEPS);
                    let units = (c * CLOCK_UNITS).round() as i64;
                    (units as f64 / CLOCK_UNITS, units)
                })
                .collect(),
            start: start.unwrap_or(DEFAULT_START),
            pue: spec.site.pue,
            distribution_loss: spec.site.distribution_loss,
            fixed_uw: (spec.site.fixed_kw * 1e3 * UW_PER_W).round() as i64,
            ambient: spec.site.ambient.clone(),
            ambient_step: spec.site.ambient_step,
            cooling: spec.racks.iter().map(|r| r.cooling_params).collect(),
            rated_kw: spec.racks.iter().map(|r| r.cooling_kw).collect(),
            racks,
            rows,
            site,
            site_agg: Agg {
                levels: Levels::new(interval),
                counts: RackCounts::default(),
            },
            row_aggs: spec
                .rows
                .iter()
                .map(|_| Agg {
                    levels: Levels::new(interval),
                    counts: RackCounts::default(),
                })
                .collect(),
            row_caps_kw: spec.rows.iter().map(|r| r.cap_kw).collect(),
            site_cap_kw: spec.site.cap_kw,
            ambient_level: WindowedLevel::new(interval),
            meter: tariff.map(|(t, offset)| super::billing::BillingMeter::new(t, offset, interval)),
            pool_offset,
            off_site,
            reps,
            cuts: Vec::new(),
        };
        for (r, w) in fixed_w.iter().enumerate() {
            let m = (w * UW_PER_W).round() as i64;
            f.racks[r].budget.fixed_uw += m;
            if let Some(row) = f.racks[r].row {
                f.rows[row as usize].fixed_uw += m;
            }
            f.site.fixed_uw += m;
        }
        // The fixed load is part of the site's facility power from time 0.
        f.site_agg.levels.facility_uw.add(SimTime::ZERO, f.fixed_uw);
        if let Some(m) = &mut f.meter {
            m.add(SimTime::ZERO, f.fixed_uw);
        }
        f.set_ambient(SimTime::ZERO);
        f
    }

    /// Time of the next ambient update after `now`, if the ambient changes at all.
    fn next_ambient(&self, now: SimTime) -> Option<SimTime> {
        if matches!(self.ambient, super::ambient::Ambient::Constant { .. }) {
            return None;
        }
        let step = self.ambient_step.0.max(1);
        Some(SimTime((now.0 / step + 1).saturating_mul(step)))
    }

    /// Time of the next tick after `now`: an ambient update or a change of energy price.
    pub fn next_tick(&self, now: SimTime) -> Option<SimTime> {
        let price = self.meter.as_ref().and_then(|m| m.next_change(now));
        match (self.next_ambient(now), price) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A tick at `now`: the energy meter moves to the price in force, and at an ambient step
    /// the temperature is read again.
    pub fn tick(&mut self, now: SimTime) {
        if let Some(m) = &mut self.meter {
            m.switch(now);
        }
        let step = self.ambient_step.0.max(1);
        if !matches!(self.ambient, super::ambient::Ambient::Constant { .. })
            && now.0.is_multiple_of(step)
        {
            self.set_ambient(now);
        }
    }

    /// Reads the ambient temperature at `now` (a multiple of the ambient step): cooling
    /// capacities, rack limits and the cooling plant's efficiency change.
    pub fn set_ambient(&mut self, now: SimTime) {
        let t = self.ambient.at(now.as_secs_f64(), self.start);
        set(&mut self.ambient_level, now, (t * 1e3).round() as i64);
        let mut capacity_sum = 0i64;
        for r in 0..self.racks.len() {
            let params = &self.cooling[r];
            let cap_kw = params.capacity_kw(self.rated_kw[r], t);
            let factor = match self.pue {
                Some(p) => p,
                None => 1.0 + self.distribution_loss + 1.0 / params.cop(t),
            };
            let rack = &mut self.racks[r];
            rack.capacity_uw = (cap_kw * 1e3 * UW_PER_W).floor() as i64;
            capacity_sum += rack.capacity_uw;
            rack.facility_factor = factor;
            rack.budget.limit_uw = Some(match rack.cap_uw {
                Some(c) => c.min(rack.capacity_uw),
                None => rack.capacity_uw,
            });
            set(&mut rack.levels.capacity_uw, now, rack.capacity_uw);
        }
        set(&mut self.site_agg.levels.capacity_uw, now, capacity_sum);
        for (w, agg) in self.row_aggs.iter_mut().enumerate() {
            let sum = self
                .racks
                .iter()
                .filter(|r| r.row == Some(w as u32))
                .map(|r| r.capacity_uw)
                .sum();
            set(&mut agg.levels.capacity_uw, now, sum);
        }
        self.retarget_all();
        for r in 0..self.racks.len() {
            self.retune_rack(now, r, u32::MAX);
        }
        self.refresh_site(now);
    }

    fn retarget_all(&mut self) {
        let (th, fl) = (self.threshold, self.floor);
        for r in &mut self.racks {
            r.budget.retarget(th, fl);
        }
        for r in &mut self.rows {
            r.retarget(th, fl);
        }
        self.site.retarget(th, fl);
    }

    /// The target share of class `class` in rack `r`.
    fn target(&self, r: usize, class: usize) -> f64 {
        let rack = &self.racks[r];
        let row = rack
            .row
            .map_or(1.0, |w| self.rows[w as usize].shares[class]);
        rack.budget.shares[class]
            .min(row)
            .min(self.site.shares[class])
    }

    /// Replica `replica` of pool `pool` formed a batch (`busy`, with the MFU and MBU of its
    /// first iteration at full clock) or fell idle (`busy == false`) at `now`. Returns the
    /// clock factor (0 < f <= 1) its batch runs at. Replicas whose clock changed are queued
    /// for [`FacilityRt::take_cuts`].
    pub fn replica_changed(
        &mut self,
        now: SimTime,
        pool: u32,
        replica: u32,
        busy: bool,
        mfu: f64,
        mbu: f64,
    ) -> f64 {
        let id = (self.pool_offset[pool as usize] + replica) as usize;
        let rep = self.reps[id].clone();
        let r = rep.rack as usize;
        let row = self.racks[r].row.map(|w| w as usize);
        // The replica's new full-clock demand.
        let (demand_uw, static_share, host_uw) = if busy {
            let a = self.coeffs.activity(mfu, mbu);
            let p = PowerCoeffs::busy_w(rep.idle_w, rep.tdp_w, a);
            let s = match self.policy {
                PowerPolicy::StaticGpuLimit { fraction } if p > fraction * rep.tdp_w => {
                    let limit = fraction * rep.tdp_w;
                    super::capping::quantize((limit - rep.idle_w) / (p - rep.idle_w), self.floor)
                }
                _ => 1.0,
            };
            let d = (f64::from(rep.gpus) * (p - rep.idle_w) * s * UW_PER_W).floor() as i64;
            (d, s, rep.host_uw)
        } else {
            (0, 1.0, 0)
        };
        let dh = host_uw - if rep.busy { rep.host_uw } else { 0 };
        let dd = demand_uw - rep.demand_uw;
        self.for_levels(r, |b| {
            b.fixed_uw += dh;
            b.demand_uw[rep.class] += dd;
        });
        self.reps[id].busy = busy;
        self.reps[id].demand_uw = demand_uw;
        self.reps[id].static_share = static_share;
        let (th, fl) = (self.threshold, self.floor);
        let rack_changed = self.racks[r].budget.retarget(th, fl);
        let row_changed = row.is_some_and(|w| self.rows[w].retarget(th, fl));
        let site_changed = self.site.retarget(th, fl);
        // Its own share and clock (also when idle: its levels drop to zero).
        let target = self.target(r, rep.class);
        self.set_share(now, id, target, &rep);
        // Every other busy replica in the levels that changed moves to its new target now
        // (power follows the clock at once); its timing follows after the iteration in
        // progress (a cut).
        if site_changed {
            for k in 0..self.racks.len() {
                self.retune_rack(now, k, id as u32);
            }
        } else if row_changed {
            for k in 0..self.racks.len() {
                if self.racks[k].row.map(|w| w as usize) == row {
                    self.retune_rack(now, k, id as u32);
                }
            }
        } else if rack_changed {
            self.retune_rack(now, r, id as u32);
        } else {
            self.refresh_rack(now, r);
        }
        self.refresh_site(now);
        self.reps[id].clock
    }

    /// Applies `f` to the budgets of rack `r`, its row and the site.
    fn for_levels(&mut self, r: usize, mut f: impl FnMut(&mut Budget)) {
        f(&mut self.racks[r].budget);
        if let Some(w) = self.racks[r].row {
            f(&mut self.rows[w as usize]);
        }
        f(&mut self.site);
    }

    /// Sets replica `id`'s share of its demand to `share` at `now` (its state before the
    /// change is `old`; `self.reps[id]` already holds its new demand and busy flag): the
    /// budgets' dynamic power, its clock, the clock and throttling levels.
    fn set_share(&mut self, now: SimTime, id: usize, share: f64, old: &Rep) {
        let rep = &self.reps[id];
        let contrib = (share * rep.demand_uw as f64).floor() as i64;
        // Shares are on the grid of 1/SHARE_STEPS; a static limit's share times the
        // controller's is rounded down onto it (a slightly lower clock, never more power).
        let step = if rep.busy {
            (quantize(rep.static_share * share, 0.0) * SHARE_STEPS) as usize
        } else {
            SHARE_STEPS as usize
        };
        let (clock, clock_units) = self.clocks[step];
        let (busy, gpus, r) = (rep.busy, i64::from(rep.gpus), rep.rack as usize);
        let dc = contrib - old.contrib_uw;
        self.for_levels(r, |b| b.actual_uw += dc);
        let units = |b: bool, u: i64| if b { gpus * u } else { 0 };
        let d_clock = units(busy, clock_units) - units(old.busy, old.clock_units);
        let d_busy = gpus * (i64::from(busy) - i64::from(old.busy));
        let rack = &mut self.racks[r];
        let row = rack.row.map(|w| w as usize);
        for levels in [Some(&mut rack.levels), Some(&mut self.site_agg.levels)]
            .into_iter()
            .chain(std::iter::once(row.map(|w| &mut self.row_aggs[w].levels)))
            .flatten()
        {
            if d_busy != 0 {
                levels.busy_gpus.add(now, d_busy);
            }
            if d_clock != 0 {
                levels.clock_busy.add(now, d_clock);
            }
        }
        let was = old.busy && old.clock < 1.0;
        let is = busy && clock < 1.0;
        rack.throttled_reps = rack.throttled_reps + u32::from(is) - u32::from(was);
        let rep = &mut self.reps[id];
        rep.share = share;
        rep.contrib_uw = contrib;
        rep.clock = clock;
        rep.clock_units = clock_units;
    }

    /// Moves every busy replica of rack `r` but `except` to its target share, queues a cut
    /// for those whose clock changed, and refreshes the rack's levels.
    fn retune_rack(&mut self, now: SimTime, r: usize, except: u32) {
        for i in 0..self.racks[r].reps.len() {
            let id = self.racks[r].reps[i];
            let rep = self.reps[id as usize].clone();
            if id == except || !rep.busy {
                continue;
            }
            let target = self.target(r, rep.class);
            if target != rep.share {
                self.set_share(now, id as usize, target, &rep);
                if self.reps[id as usize].clock != rep.clock {
                    let pool = self.pool_offset.partition_point(|&o| o <= id) - 1;
                    self.cuts.push((pool as u32, id - self.pool_offset[pool]));
                }
            }
        }
        self.refresh_rack(now, r);
    }

    /// Updates rack `r`'s output levels from its budget at `now`, and its row's and the
    /// site's sums by the rack's changes.
    fn refresh_rack(&mut self, now: SimTime, r: usize) {
        // Whether a power cap sets the rack's clocks: a row's or the site's target below
        // the rack's own, the rack's own cap below its cooling capacity while it binds, or a
        // static GPU limit.
        let own = self.racks[r].budget.shares;
        let by_levels = (0..2).any(|c| self.target(r, c) < own[c]);
        let by_own_cap = self.racks[r]
            .cap_uw
            .is_some_and(|c| c < self.racks[r].capacity_uw)
            && own.iter().any(|&g| g < 1.0);
        let by_static = matches!(self.policy, PowerPolicy::StaticGpuLimit { .. });
        let rack = &mut self.racks[r];
        let it = rack.budget.power_uw();
        let d_it = it - rack.levels.it_uw.level();
        set(&mut rack.levels.it_uw, now, it);
        let facility = (it as f64 * rack.facility_factor).round() as i64;
        let d_fac = facility - rack.facility_uw;
        rack.facility_uw = facility;
        set(&mut rack.levels.facility_uw, now, facility);
        let demand = rack.budget.fixed_uw + rack.budget.demand_uw[0] + rack.budget.demand_uw[1];
        let over = demand > rack.capacity_uw;
        let throttled = rack.throttled_reps > 0;
        let capped = throttled && (by_levels || by_own_cap || (by_static && !over));
        let flip = |new: bool, old: bool| i32::from(new) - i32::from(old);
        let d = [
            flip(throttled, rack.throttled),
            flip(over, rack.over_cooling),
            flip(capped, rack.capped),
        ];
        rack.throttled = throttled;
        rack.over_cooling = over;
        rack.capped = capped;
        let mine = RackCounts {
            throttled: u32::from(throttled),
            over_cooling: u32::from(over),
            capped: u32::from(capped),
        };
        rack.levels.settle(now, &mine);
        let row = rack.row.map(|w| w as usize);
        for agg in std::iter::once(&mut self.site_agg).chain(row.map(|w| &mut self.row_aggs[w])) {
            if d_it != 0 {
                agg.levels.it_uw.add(now, d_it);
            }
            if d_fac != 0 {
                agg.levels.facility_uw.add(now, d_fac);
            }
            agg.counts.apply(d);
        }
        if d_fac != 0
            && let Some(m) = &mut self.meter
        {
            m.add(now, d_fac);
        }
    }

    /// Sets the site's and rows' indicator levels and peaks at `now`, once every rack of a
    /// change is refreshed.
    fn refresh_site(&mut self, now: SimTime) {
        let counts = self.site_agg.counts;
        self.site_agg.levels.settle(now, &counts);
        for agg in &mut self.row_aggs {
            let counts = agg.counts;
            agg.levels.settle(now, &counts);
        }
    }

    /// Whether pool `pool`'s replicas are in the site (a cloud pool is not: full clock, no
    /// power here).
    pub fn on_site(&self, pool: u32) -> bool {
        !self.off_site[pool as usize]
    }

    /// The clock factor replica `replica` of pool `pool` runs at now.
    pub fn clock(&self, pool: u32, replica: u32) -> f64 {
        self.reps[(self.pool_offset[pool as usize] + replica) as usize].clock
    }

    /// The replicas queued to be cut since the last call, as (pool, replica).
    pub fn take_cuts(&mut self, out: &mut Vec<(u32, u32)>) {
        out.append(&mut self.cuts);
    }

    /// Closes every level at `end`.
    pub fn finish(self, end: SimTime) -> FacilityResult {
        let racks = self
            .racks
            .into_iter()
            .map(|r| r.levels.finish(end, r.cap_kw))
            .collect();
        let rows = self
            .row_aggs
            .into_iter()
            .zip(self.row_caps_kw)
            .map(|(a, cap)| a.levels.finish(end, cap))
            .collect();
        let (_, ambient_windows) = self.ambient_level.finish(end);
        FacilityResult {
            racks,
            rows,
            site: self.site_agg.levels.finish(end, self.site_cap_kw),
            ambient_windows,
            billed: self.meter.map(|m| m.finish(end)).unwrap_or_default(),
        }
    }
}
