//! Distributions of whole counts: fan-out widths and loop counts.

use crate::engine::SimRng;
use rand::RngExt;
use rand_distr::{Distribution, Poisson};

/// A distribution of a whole count (fan-out width, loop iterations).
#[derive(Debug, Clone, PartialEq)]
pub enum CountDist {
    /// Always `n`.
    Fixed(u32),
    /// Geometric on {1, 2, …} with the given mean (>= 1): each trial ends the run with
    /// probability p = 1 / mean, so it models "loop until done" (plan–act–observe agents).
    Geometric {
        /// Mean count, >= 1.
        mean: f64,
    },
    /// Poisson on {0, 1, …} with the given mean (> 0).
    Poisson {
        /// Mean count.
        mean: f64,
    },
    /// Uniform on the whole numbers `min..=max`.
    Uniform {
        /// Smallest count.
        min: u32,
        /// Largest count, >= min.
        max: u32,
    },
}

/// Largest count any draw returns (fan-outs and loops are capped here; validation keeps
/// means well below it).
pub const MAX_COUNT: u32 = 10_000;

impl CountDist {
    /// Mean of the distribution (before the [`MAX_COUNT`] cap).
    pub fn mean(&self) -> f64 {
        match *self {
            CountDist::Fixed(n) => f64::from(n),
            CountDist::Geometric { mean } | CountDist::Poisson { mean } => mean,
            CountDist::Uniform { min, max } => (f64::from(min) + f64::from(max)) / 2.0,
        }
    }

    /// Smallest count it can draw.
    pub fn min(&self) -> u32 {
        match *self {
            CountDist::Fixed(n) => n,
            CountDist::Geometric { .. } => 1,
            CountDist::Poisson { .. } => 0,
            CountDist::Uniform { min, .. } => min,
        }
    }

    /// Whether it always draws the same count.
    pub fn fixed(&self) -> Option<u32> {
        match *self {
            CountDist::Fixed(n) => Some(n),
            CountDist::Uniform { min, max } if min == max => Some(min),
            _ => None,
        }
    }

    /// One draw, at most [`MAX_COUNT`].
    pub fn sample(&self, rng: &mut SimRng) -> u32 {
        let n = match *self {
            CountDist::Fixed(n) => n,
            CountDist::Geometric { mean } => {
                if mean <= 1.0 {
                    1
                } else {
                    // Inversion: 1 + floor(ln U / ln(1 - p)), U in (0, 1].
                    let p = 1.0 / mean;
                    let u: f64 = 1.0 - rng.random::<f64>();
                    let k = (u.ln() / (1.0 - p).ln()).floor();
                    if k.is_finite() && k < f64::from(MAX_COUNT) {
                        1 + k as u32
                    } else {
                        MAX_COUNT
                    }
                }
            }
            CountDist::Poisson { mean } => match Poisson::new(mean) {
                Ok(p) => {
                    let x: f64 = p.sample(rng);
                    x.min(f64::from(MAX_COUNT)) as u32
                }
                Err(_) => 0,
            },
            CountDist::Uniform { min, max } => rng.random_range(min..=max),
        };
        n.min(MAX_COUNT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    fn mean_of(d: &CountDist, n: u32) -> f64 {
        let mut rng = RngStreams::new(7, 0).stream("count");
        (0..n).map(|_| f64::from(d.sample(&mut rng))).sum::<f64>() / f64::from(n)
    }

    #[test]
    fn means_match_within_two_percent() {
        // Seed 7, 200,000 draws: standard errors are below 0.5 % of each mean.
        for d in [
            CountDist::Geometric { mean: 4.0 },
            CountDist::Poisson { mean: 3.0 },
            CountDist::Uniform { min: 2, max: 9 },
            CountDist::Fixed(5),
        ] {
            let m = mean_of(&d, 200_000);
            assert!((m / d.mean() - 1.0).abs() < 0.02, "{d:?}: {m}");
        }
    }

    #[test]
    fn geometric_never_draws_zero() {
        let mut rng = RngStreams::new(1, 0).stream("g");
        let d = CountDist::Geometric { mean: 1.5 };
        assert!((0..10_000).all(|_| d.sample(&mut rng) >= 1));
        assert_eq!(CountDist::Geometric { mean: 1.0 }.sample(&mut rng), 1);
    }
}
