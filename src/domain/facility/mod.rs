//! The facility: servers in racks, racks in rows, a site; GPU power by iteration, power caps,
//! cooling against the weather, PUE and throttling.
//!
//! - [`spec`]: the validated facility (built by `scenario::facility_spec`);
//! - [`power`]: a GPU's power by iteration and its clock under a power limit;
//! - [`ambient`], [`cooling`]: outdoor temperature over time; cooling capacity and COP;
//! - [`billing`]: the site's energy meter per tariff band (exact time-of-use bills);
//! - [`capping`]: the power controller's arithmetic (shares per priority class);
//! - [`runtime`]: every replica's power, racks, rows and site against their limits, exact
//!   integrals.

pub mod ambient;
pub mod billing;
pub mod capping;
pub mod cooling;
pub mod power;
pub mod power_fit;
pub mod runtime;
pub mod spec;

pub use runtime::{FacilityResult, FacilityRt, LevelsResult};
pub use spec::{FacilitySpec, PoolPlacement, PowerPolicy, RackSpec, RowSpec, SiteSpec};
