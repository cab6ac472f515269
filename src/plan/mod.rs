//! The capacity planner: for each planned date, the smallest fleet (units per sized pool)
//! that meets every target of `[plan]`, per candidate option, and the cheapest option.
//!
//! # Search
//! Capacity is monotone: more units never make a target worse (up to noise, which common
//! random numbers keep small: every fleet of a date runs the same seeds). So per date:
//! 1. Start from the previous date's answer (the scenario's own fleet at the first date),
//!    clamped to the bounds. If it fails, grow every pool (doubling, to at most `max`) until
//!    a fleet meets the targets; if the largest fleet fails, the targets cannot be met within
//!    the bounds, and the best values reached are reported.
//! 2. Shrink one pool at a time, the most expensive unit first: gallop down (1, 2, 4… units
//!    below) until a fleet fails, then bisect between. Repeat the round until no pool
//!    shrinks. The result meets every target, and one unit less of any pool does not.
//!
//! Every fleet tried is remembered per date, so no fleet runs twice.
//!
//! # Deciding with confidence intervals
//! A fleet runs with the scenario's replications. A target is *clearly* met when its
//! value's 95 % CI lies on the right side of the limit and clearly missed when it lies on the
//! wrong side; when the CI straddles the limit, the fleet runs again with twice the
//! replications (the first ones reused), up to `max_replications`. Still undecided there, the
//! point estimate decides, and the evaluation is marked `within_noise`.

pub mod search;

pub use search::{
    Evaluation, OptionPlan, PlanDate, PlanError, Planner, TargetCheck, choose, plan_dates,
};
