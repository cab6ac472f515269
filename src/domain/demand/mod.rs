//! Demand over calendar time: adoption growth ([`growth`]), weekly shapes ([`shape`], with
//! the ServeGen production profiles in [`servegen`]), and their product, the rate modulation
//! of an arrival process with the time change that samples it ([`modulation`]).
//!
//! An arrival process with a modulation has rate λ·m(t), λ its base rate (the weekly mean at
//! the growth origin) and m = growth × shape; see `scenarios/README.md`, "Demand over
//! calendar time", for the scenario syntax.

pub mod growth;
pub mod modulation;
pub mod servegen;
pub mod shape;

pub use growth::{GROWTH_KINDS, Growth, MAX_GROWTH, seconds_between};
pub use modulation::{ModulatedClock, RateModulation};
pub use shape::{SHAPE_NAMES, WEEK_S, WeeklyShape, week_position_s};
