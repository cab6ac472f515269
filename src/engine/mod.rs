//! The discrete-event kernel. It knows time, events, randomness and integration — nothing of
//! GPUs, racks or money.
//!
//! - [`SimTime`]/[`SimDuration`]: integer nanoseconds.
//! - [`Scheduler`]: the future-event list in total `(time, seq)` order; scheduling into the past
//!   is an error.
//! - [`Model`]/[`Simulation`]: the domain's handler and the run loop.
//! - [`RngStreams`]: one portable generator, an independent stream per named source.
//! - [`TimeWeighted`]: exact integration of levels that change at events.

mod integrate;
mod queue;
mod rng;
mod sim;
mod time;

pub use integrate::TimeWeighted;
pub use queue::{ScheduleError, Scheduler};
pub use rng::{RngStreams, SimRng, stream_id};
pub use sim::{Model, PROGRESS_EVERY_EVENTS, STALL_EVENTS, Simulation, StopReason};
pub use time::{NANOS_PER_SEC, SimDuration, SimTime, TimeConversionError, nanos_from_f64};
