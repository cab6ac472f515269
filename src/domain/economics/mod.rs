//! The money: what a scenario's resources cost and what a run spent.
//!
//! - [`component`]: the spend components (capex, licence, facility, energy, cloud, CPU,
//!   human) and the calendar constants (Julian year, month);
//! - [`prices`]: the validated prices of a scenario (built by `scenario::cost_spec`);
//! - [`tariff`]: an energy price by time of use (minute of the week);
//! - [`spend`]: one run's spend by component, per window, per pool, and allocated to the
//!   workflows by the work their tasks did.

pub mod component;
pub mod prices;
pub mod spend;
pub mod tariff;

pub use component::{COMPONENTS, Component, MONTH_S, YEAR_S};
pub use prices::{CostSpec, FacilityPrice, GpuPoolPrice};
pub use spend::{ByComponent, RunSpend, fixed_spend, run_spend};
pub use tariff::Tariff;
