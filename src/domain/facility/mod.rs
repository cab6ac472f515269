//! The facility: servers in racks, racks in rows, a site; GPU power by iteration, power caps,
//! cooling against the weather, PUE and throttling.

pub mod ambient;
pub mod cooling;
pub mod power;
