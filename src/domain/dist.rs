//! Distributions of non-negative times (service times, inter-arrival times, delays).
//!
//! [`Dist`] is the validated description (parameters in seconds); [`Sampler`] is its
//! precomputed form that draws [`SimDuration`]s on the hot path.

use crate::engine::{NANOS_PER_SEC, SimDuration, SimRng, nanos_from_f64};
use rand::RngExt;
use rand_distr::{Distribution, Exp1, Gamma, LogNormal, Weibull};
use std::sync::Arc;

/// A validated distribution of a time [s]. Every parameter is finite and in range.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Exponential with the given mean [s].
    Exponential {
        /// Mean [s], > 0.
        mean_s: f64,
    },
    /// Always the same value [s].
    Deterministic {
        /// The value [s], >= 0.
        value_s: f64,
    },
    /// Lognormal given by its own mean [s] and coefficient of variation.
    LogNormal {
        /// Mean [s], > 0.
        mean_s: f64,
        /// Coefficient of variation, > 0.
        cv: f64,
    },
    /// Gamma with shape k and scale θ [s] (mean kθ).
    Gamma {
        /// Shape, > 0.
        shape: f64,
        /// Scale [s], > 0.
        scale_s: f64,
    },
    /// Erlang-k: the sum of k exponential phases, total mean [s].
    Erlang {
        /// Number of phases, >= 1.
        k: u32,
        /// Mean of the sum [s], > 0.
        mean_s: f64,
    },
    /// Hyperexponential: exponential with mean `means_s[i]` with probability `probs[i]`.
    HyperExponential {
        /// Branch probabilities, summing to 1.
        probs: Vec<f64>,
        /// Branch means [s], > 0.
        means_s: Vec<f64>,
    },
    /// Uniform on `[min_s, max_s)`.
    Uniform {
        /// Lower bound [s], >= 0.
        min_s: f64,
        /// Upper bound [s], > `min_s`.
        max_s: f64,
    },
    /// Weibull with shape k and scale λ [s].
    Weibull {
        /// Shape, > 0.
        shape: f64,
        /// Scale [s], > 0.
        scale_s: f64,
    },
    /// Resampling (bootstrap) of measured values [s], each equally likely.
    Empirical {
        /// The samples [s], at least one, each finite and >= 0.
        values_s: Arc<[f64]>,
    },
}

impl Dist {
    /// The mean [s].
    pub fn mean_s(&self) -> f64 {
        match self {
            Dist::Exponential { mean_s } | Dist::LogNormal { mean_s, .. } => *mean_s,
            Dist::Erlang { mean_s, .. } => *mean_s,
            Dist::Deterministic { value_s } => *value_s,
            Dist::Gamma { shape, scale_s } => shape * scale_s,
            Dist::HyperExponential { probs, means_s } => {
                probs.iter().zip(means_s.iter()).map(|(p, m)| p * m).sum()
            }
            Dist::Uniform { min_s, max_s } => 0.5 * (min_s + max_s),
            Dist::Weibull { shape, scale_s } => scale_s * gamma_fn(1.0 + 1.0 / shape),
            Dist::Empirical { values_s } => values_s.iter().sum::<f64>() / values_s.len() as f64,
        }
    }

    /// The second moment E[X²] [s²] (used for Pollaczek–Khinchine style checks).
    pub fn second_moment_s2(&self) -> f64 {
        match self {
            Dist::Exponential { mean_s } => 2.0 * mean_s * mean_s,
            Dist::Deterministic { value_s } => value_s * value_s,
            Dist::LogNormal { mean_s, cv } => mean_s * mean_s * (1.0 + cv * cv),
            Dist::Gamma { shape, scale_s } => shape * (shape + 1.0) * scale_s * scale_s,
            Dist::Erlang { k, mean_s } => {
                let k = f64::from(*k);
                mean_s * mean_s * (k + 1.0) / k
            }
            Dist::HyperExponential { probs, means_s } => probs
                .iter()
                .zip(means_s.iter())
                .map(|(p, m)| 2.0 * p * m * m)
                .sum(),
            Dist::Uniform { min_s, max_s } => (min_s * min_s + min_s * max_s + max_s * max_s) / 3.0,
            Dist::Weibull { shape, scale_s } => scale_s * scale_s * gamma_fn(1.0 + 2.0 / shape),
            Dist::Empirical { values_s } => {
                values_s.iter().map(|v| v * v).sum::<f64>() / values_s.len() as f64
            }
        }
    }

    /// The precomputed sampler.
    ///
    /// # Errors
    /// A message when `rand_distr` rejects the parameters (validation calls this, so a
    /// validated `Dist` always has a sampler).
    pub fn sampler(&self) -> Result<Sampler, String> {
        let secs = |v: f64| SimDuration::from_secs_f64_saturating(v);
        Ok(match self {
            Dist::Exponential { mean_s } => Sampler::Exponential {
                mean_ns: mean_s * NANOS_PER_SEC as f64,
            },
            Dist::Deterministic { value_s } => Sampler::Constant(secs(*value_s)),
            Dist::LogNormal { mean_s, cv } => {
                let sigma2 = (1.0 + cv * cv).ln();
                let mu = mean_s.ln() - 0.5 * sigma2;
                Sampler::LogNormal(
                    LogNormal::new(mu, sigma2.sqrt()).map_err(|e| format!("lognormal: {e}"))?,
                )
            }
            Dist::Gamma { shape, scale_s } => {
                Sampler::Gamma(Gamma::new(*shape, *scale_s).map_err(|e| format!("gamma: {e}"))?)
            }
            Dist::Erlang { k, mean_s } => Sampler::Gamma(
                Gamma::new(f64::from(*k), mean_s / f64::from(*k))
                    .map_err(|e| format!("erlang: {e}"))?,
            ),
            Dist::HyperExponential { probs, means_s } => {
                let mut acc = 0.0;
                let cumulative = probs
                    .iter()
                    .map(|p| {
                        acc += p;
                        acc
                    })
                    .collect();
                Sampler::HyperExponential {
                    cumulative,
                    means_s: means_s.clone(),
                }
            }
            Dist::Uniform { min_s, max_s } => Sampler::Uniform {
                min_s: *min_s,
                width_s: max_s - min_s,
            },
            Dist::Weibull { shape, scale_s } => Sampler::Weibull(
                Weibull::new(*scale_s, *shape).map_err(|e| format!("weibull: {e}"))?,
            ),
            Dist::Empirical { values_s } => {
                Sampler::Empirical(values_s.iter().map(|v| secs(*v)).collect())
            }
        })
    }
}

/// The gamma function Γ(x) (statrs, Lanczos approximation; relative error ~1e-15).
pub fn gamma_fn(x: f64) -> f64 {
    statrs::function::gamma::gamma(x)
}

/// Coefficient of variation of a Weibull distribution with shape `k`.
pub fn weibull_cv(k: f64) -> f64 {
    let g1 = gamma_fn(1.0 + 1.0 / k);
    let g2 = gamma_fn(1.0 + 2.0 / k);
    (g2 / (g1 * g1) - 1.0).max(0.0).sqrt()
}

/// The Weibull shape whose coefficient of variation is `cv` (bisection on a log scale;
/// cv falls monotonically in the shape). `None` when `cv` is outside the solvable range
/// [0.01, 100].
pub fn weibull_shape_for_cv(cv: f64) -> Option<f64> {
    if !(0.01..=100.0).contains(&cv) {
        return None;
    }
    let (mut lo, mut hi) = (0.05_f64.ln(), 200.0_f64.ln()); // cv(0.05) ~ 1e15, cv(200) ~ 0.006
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if weibull_cv(mid.exp()) > cv {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((0.5 * (lo + hi)).exp())
}

/// Draws durations from a [`Dist`]; cheap to call on the hot path.
#[derive(Debug, Clone)]
pub enum Sampler {
    /// Always the same duration.
    Constant(SimDuration),
    /// Exponential with this mean, kept in nanoseconds to save a multiply per draw.
    Exponential {
        /// Mean [ns].
        mean_ns: f64,
    },
    /// Lognormal.
    LogNormal(LogNormal<f64>),
    /// Gamma (and Erlang).
    Gamma(Gamma<f64>),
    /// Hyperexponential: branch by cumulative probability, then exponential.
    HyperExponential {
        /// Cumulative branch probabilities.
        cumulative: Vec<f64>,
        /// Branch means [s].
        means_s: Vec<f64>,
    },
    /// Uniform.
    Uniform {
        /// Lower bound [s].
        min_s: f64,
        /// Width [s].
        width_s: f64,
    },
    /// Weibull.
    Weibull(Weibull<f64>),
    /// Bootstrap resampling of stored durations.
    Empirical(Box<[SimDuration]>),
}

impl Sampler {
    /// One draw. The exponential (the most common family) and constants are inlined into
    /// the caller; the other families go through [`Sampler::sample_other`].
    #[inline(always)]
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        match self {
            Sampler::Exponential { mean_ns } => {
                let e: f64 = Exp1.sample(rng);
                SimDuration(nanos_from_f64(e * mean_ns))
            }
            Sampler::Constant(d) => *d,
            _ => self.sample_other(rng),
        }
    }

    #[inline(never)]
    fn sample_other(&self, rng: &mut SimRng) -> SimDuration {
        let secs = match self {
            Sampler::Constant(_) | Sampler::Exponential { .. } => return self.sample(rng),
            Sampler::LogNormal(d) => d.sample(rng),
            Sampler::Gamma(d) => d.sample(rng),
            Sampler::HyperExponential {
                cumulative,
                means_s,
            } => {
                let u: f64 = rng.random();
                let i = cumulative
                    .iter()
                    .position(|c| u < *c)
                    .unwrap_or(means_s.len() - 1);
                let e: f64 = Exp1.sample(rng);
                e * means_s[i]
            }
            Sampler::Uniform { min_s, width_s } => {
                let u: f64 = rng.random();
                min_s + u * width_s
            }
            Sampler::Weibull(d) => d.sample(rng),
            Sampler::Empirical(values) => {
                return values[rng.random_range(0..values.len())];
            }
        };
        SimDuration::from_secs_f64_saturating(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    /// Sample mean and second moment against the closed forms, 200,000 draws, seed 11.
    /// Tolerance: 1.5 % on the mean and 4 % on E[X²] (both > 5 standard errors for cv <= 2).
    fn check_moments(d: Dist) {
        let s = d.sampler().unwrap();
        let mut rng = RngStreams::new(11, 0).stream("moments");
        let n = 200_000;
        let (mut m1, mut m2) = (0.0, 0.0);
        for _ in 0..n {
            let x = s.sample(&mut rng).as_secs_f64();
            m1 += x;
            m2 += x * x;
        }
        m1 /= n as f64;
        m2 /= n as f64;
        let (e1, e2) = (d.mean_s(), d.second_moment_s2());
        assert!((m1 / e1 - 1.0).abs() < 0.015, "{d:?}: mean {m1} vs {e1}");
        assert!((m2 / e2 - 1.0).abs() < 0.04, "{d:?}: E[X^2] {m2} vs {e2}");
    }

    #[test]
    fn every_family_matches_its_moments() {
        check_moments(Dist::Exponential { mean_s: 2.0 });
        check_moments(Dist::Deterministic { value_s: 0.5 });
        check_moments(Dist::LogNormal {
            mean_s: 1.0,
            cv: 0.5,
        });
        check_moments(Dist::Gamma {
            shape: 2.0,
            scale_s: 0.5,
        });
        check_moments(Dist::Erlang { k: 3, mean_s: 1.0 });
        check_moments(Dist::HyperExponential {
            probs: vec![0.2, 0.8],
            means_s: vec![3.0, 0.5],
        });
        check_moments(Dist::Uniform {
            min_s: 1.0,
            max_s: 3.0,
        });
        check_moments(Dist::Weibull {
            shape: 1.5,
            scale_s: 2.0,
        });
        check_moments(Dist::Empirical {
            values_s: Arc::from(vec![1.0, 2.0, 4.0]),
        });
    }

    #[test]
    fn weibull_shape_solves_cv() {
        // shape 1 is the exponential: cv exactly 1
        assert!((weibull_cv(1.0) - 1.0).abs() < 1e-12);
        for cv in [0.3, 1.0, 2.5] {
            let k = weibull_shape_for_cv(cv).unwrap();
            assert!((weibull_cv(k) - cv).abs() < 1e-9, "cv {cv}: k {k}");
        }
        assert_eq!(weibull_shape_for_cv(0.0), None);
    }
}
