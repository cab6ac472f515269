//! The validated facility of a scenario: a site, rows of racks, the GPU pools' servers placed
//! in the racks, the weather and the power policy. Built by `scenario::facility_spec`.

use super::ambient::Ambient;
use super::cooling::{CoolingKind, CoolingParams};
use crate::engine::SimDuration;

/// How power limits are enforced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PowerPolicy {
    /// Caps are reported, not enforced (only cooling limits throttle).
    Uncapped,
    /// Every GPU is limited to `fraction` of its TDP (a static `nvidia-smi -pl`); rack, row
    /// and site caps are reported, not enforced.
    StaticGpuLimit {
        /// Share of TDP, in (0, 1].
        fraction: f64,
    },
    /// Rack, row and site caps are enforced by lowering GPU clocks when the demand would
    /// exceed them; low-priority pools are capped first, as soon as the demand exceeds
    /// `low_priority_threshold` of a limit, high-priority ones only at the limit itself.
    Dynamic {
        /// Share of a limit above which low-priority pools are capped, in (0, 1].
        low_priority_threshold: f64,
    },
}

/// `[site]`: the whole facility.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    /// Site power cap on IT power [kW], if any.
    pub cap_kw: Option<f64>,
    /// Fixed PUE (facility = PUE × IT); `None`: computed from the cooling model.
    pub pue: Option<f64>,
    /// Power distribution losses (UPS, transformers, PDUs) as a share of IT power.
    pub distribution_loss: f64,
    /// Constant facility load (lighting, offices, security) [kW].
    pub fixed_kw: f64,
    /// Outdoor temperature over time.
    pub ambient: Ambient,
    /// Ambient temperature is read at multiples of this step and held between them.
    pub ambient_step: SimDuration,
    /// How caps are enforced.
    pub policy: PowerPolicy,
}

/// `[row.NAME]`: a row of racks with an optional cap.
#[derive(Debug, Clone)]
pub struct RowSpec {
    /// Name.
    pub name: String,
    /// Row power cap on IT power [kW].
    pub cap_kw: Option<f64>,
}

/// `[rack.NAME]`: a rack.
#[derive(Debug, Clone)]
pub struct RackSpec {
    /// Name.
    pub name: String,
    /// Index into [`FacilitySpec::rows`].
    pub row: Option<u32>,
    /// Server slots.
    pub slots: u32,
    /// Rack power cap on IT power [kW], if any.
    pub cap_kw: Option<f64>,
    /// Cooling type.
    pub cooling: CoolingKind,
    /// Its parameters (defaults of the type, or the scenario's).
    pub cooling_params: CoolingParams,
    /// Heat-removal capacity at or below the rated ambient [kW].
    pub cooling_kw: f64,
}

/// Where one GPU pool's servers are, and what they draw besides the GPUs.
#[derive(Debug, Clone)]
pub struct PoolPlacement {
    /// GPUs per server (a multiple of the pool's tensor-parallel degree).
    pub gpus_per_server: u32,
    /// Host power of one server at idle (CPUs, memory, NICs, fans, switches) [W].
    pub host_idle_w: f64,
    /// Host power of one server with every GPU busy [W] (linear in between).
    pub host_busy_w: f64,
    /// Low priority under dynamic capping (capped first).
    pub low_priority: bool,
    /// Rack (index into [`FacilitySpec::racks`]) of each server, in server order; replica
    /// `k` is on server `k × tp / gpus_per_server`.
    pub servers: Vec<u32>,
    /// A rented (cloud) pool without racks: outside the site, drawing none of its power.
    pub off_site: bool,
}

/// The facility.
#[derive(Debug, Clone)]
pub struct FacilitySpec {
    /// The site.
    pub site: SiteSpec,
    /// Rows, sorted by name.
    pub rows: Vec<RowSpec>,
    /// Racks, sorted by name.
    pub racks: Vec<RackSpec>,
    /// Per GPU pool, in `Scenario::gpu_pools` order.
    pub pools: Vec<PoolPlacement>,
}
