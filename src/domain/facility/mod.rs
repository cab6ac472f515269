//! The facility: servers in racks, racks in rows, a site; GPU power by iteration, power caps,
//! cooling against the weather, PUE and throttling.

pub mod ambient;
pub mod capping;
pub mod cooling;
pub mod power;
pub mod spec;

pub use spec::{FacilitySpec, PoolPlacement, PowerPolicy, RackSpec, RowSpec, SiteSpec};
pub mod runtime;
pub use runtime::{FacilityResult, FacilityRt, LevelsResult};
