//! The facility: servers in racks, racks in rows, a site; GPU power by iteration, power caps,
//! cooling against the weather, PUE and throttling.

pub mod power;
pub mod power_fit;
