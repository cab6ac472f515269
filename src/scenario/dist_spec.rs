//! Validation of a distribution table (`{ dist = "lognormal", mean_s = 1, cv = 0.5 }`).

use super::load::Ctx;
use super::raw::RawDist;
use super::validate::MAX_TIME_S;
use crate::domain::Dist;
use crate::domain::dist::weibull_shape_for_cv;

/// Largest empirical data file accepted [bytes].
pub const MAX_DATA_BYTES: u64 = 256 << 20;

/// Accepted gamma shapes (coefficients of variation from about 0.001 to 31.6).
pub const GAMMA_SHAPE: (f64, f64) = (1e-3, 1e6);
/// Accepted Weibull shapes (coefficients of variation from about 0.01 to 3,600).
pub const WEIBULL_SHAPE: (f64, f64) = (0.1, 100.0);

/// A number for a message: plain when moderate, in scientific notation when very large or
/// small (never 300 digits).
pub fn fmt_num(x: f64) -> String {
    if x.is_finite() && x != 0.0 && !(1e-4..1e9).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// Smallest coefficient of variation accepted (use `deterministic` for none).
pub const MIN_CV: f64 = 1e-3;
/// Largest coefficient of variation accepted.
pub const MAX_CV: f64 = 100.0;
use std::path::Path;
use std::sync::Arc;

/// The families: name, the parameters it accepts, and how they combine (for messages).
pub const FAMILIES: [(&str, &[&str], &str); 9] = [
    (
        "exponential",
        &["mean_s", "rate_per_s"],
        "mean_s | rate_per_s",
    ),
    ("deterministic", &["mean_s"], "mean_s"),
    ("lognormal", &["mean_s", "cv"], "mean_s, cv"),
    (
        "gamma",
        &["mean_s", "cv", "shape", "scale_s"],
        "mean_s, cv | shape, scale_s",
    ),
    ("erlang", &["k", "mean_s"], "k, mean_s"),
    (
        "hyperexponential",
        &["probs", "means_s", "mean_s", "cv"],
        "probs, means_s | mean_s, cv (cv > 1, balanced means)",
    ),
    ("uniform", &["min_s", "max_s"], "min_s, max_s"),
    (
        "weibull",
        &["shape", "scale_s", "mean_s", "cv"],
        "shape, scale_s | shape, mean_s | mean_s, cv",
    ),
    ("empirical", &["file", "column"], "file, column"),
];

fn provided(r: &RawDist) -> Vec<&'static str> {
    let mut v = Vec::new();
    let mut add = |name, present: bool| {
        if present {
            v.push(name)
        }
    };
    add("mean_s", r.mean_s.is_some());
    add("rate_per_s", r.rate_per_s.is_some());
    add("cv", r.cv.is_some());
    add("shape", r.shape.is_some());
    add("scale_s", r.scale_s.is_some());
    add("k", r.k.is_some());
    add("min_s", r.min_s.is_some());
    add("max_s", r.max_s.is_some());
    add("probs", r.probs.is_some());
    add("means_s", r.means_s.is_some());
    add("file", r.file.is_some());
    add("column", r.column.is_some());
    v
}

impl Ctx<'_> {
    /// A number that must be finite and > 0 (`strict`) or >= 0.
    pub fn number(&mut self, path: &str, v: Option<f64>, what: &str, strict: bool) -> Option<f64> {
        let bound = if strict { "> 0" } else { ">= 0" };
        match v {
            None => {
                self.err(path, format!("missing; expected {what} (a number {bound})"));
                None
            }
            Some(x) if !x.is_finite() || x < 0.0 || (strict && x == 0.0) => {
                self.err(
                    path,
                    format!(
                        "expected {what} (a finite number {bound}), found {}",
                        fmt_num(x)
                    ),
                );
                None
            }
            Some(x) => Some(x),
        }
    }

    /// A number that must lie in `range` (inclusive).
    fn ranged(&mut self, path: &str, v: Option<f64>, what: &str, range: (f64, f64)) -> Option<f64> {
        let x = self.number(path, v, what, true)?;
        if !(range.0..=range.1).contains(&x) {
            self.err(
                path,
                format!(
                    "expected {what} from {} to {}, found {}",
                    range.0,
                    range.1,
                    fmt_num(x)
                ),
            );
            return None;
        }
        Some(x)
    }

    /// A coefficient of variation: a number in [`MIN_CV`, `MAX_CV`].
    fn cv(&mut self, path: &str, v: Option<f64>, what: &str) -> Option<f64> {
        let cv = self.number(path, v, what, true)?;
        if !(MIN_CV..=MAX_CV).contains(&cv) {
            self.err(
                path,
                format!(
                    "expected {what} from {MIN_CV} to {MAX_CV}, found {}",
                    fmt_num(cv)
                ),
            );
            return None;
        }
        Some(cv)
    }

    /// Validates the distribution table at `path`: its family's parameters, then that the
    /// mean and second moment are finite, the mean is at most [`MAX_TIME_S`], and the sampler
    /// accepts the parameters.
    pub fn dist(&mut self, path: &str, r: &RawDist) -> Option<Dist> {
        let d = self.dist_family(path, r)?;
        let (m1, m2) = (d.mean_s(), d.second_moment_s2());
        if !(m1.is_finite() && m2.is_finite()) || m1 > MAX_TIME_S {
            self.err(
                path,
                format!("these parameters give a mean of {} s and E[X²] of {} s²; expected a finite mean of at most {MAX_TIME_S:e} s and a finite second moment", fmt_num(m1), fmt_num(m2)),
            );
            return None;
        }
        if let Err(e) = d.sampler() {
            self.err(path, format!("invalid parameters: {e}"));
            return None;
        }
        Some(d)
    }

    fn dist_family(&mut self, path: &str, r: &RawDist) -> Option<Dist> {
        let names: Vec<&str> = FAMILIES.iter().map(|(n, _, _)| *n).collect();
        let Some(family) = r.dist.as_deref() else {
            self.err(
                &format!("{path}.dist"),
                format!(
                    "missing; expected the family name, one of: {}",
                    names.join(", ")
                ),
            );
            return None;
        };
        let Some((_, allowed, takes)) = FAMILIES.iter().find(|(n, _, _)| *n == family) else {
            self.err(
                &format!("{path}.dist"),
                format!(
                    "unknown distribution {family:?}, expected one of: {}",
                    names.join(", ")
                ),
            );
            return None;
        };
        let mut ok = true;
        for field in provided(r) {
            if !allowed.contains(&field) {
                self.err(
                    &format!("{path}.{field}"),
                    format!("`{field}` does not apply to dist = {family:?}, which takes: {takes}"),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        let p = |f: &str| format!("{path}.{f}");
        match family {
            "exponential" => {
                let mean = match (r.mean_s, r.rate_per_s) {
                    (Some(_), Some(_)) => {
                        self.err(
                            &p("rate_per_s"),
                            "give either `mean_s` or `rate_per_s`, not both",
                        );
                        return None;
                    }
                    (None, Some(rate)) => {
                        1.0 / self.number(&p("rate_per_s"), Some(rate), "a rate [1/s]", true)?
                    }
                    (m, None) => self.number(&p("mean_s"), m, "the mean [s]", true)?,
                };
                Some(Dist::Exponential { mean_s: mean })
            }
            "deterministic" => Some(Dist::Deterministic {
                value_s: self.number(&p("mean_s"), r.mean_s, "the value [s]", false)?,
            }),
            "lognormal" => {
                let mean = self.number(&p("mean_s"), r.mean_s, "the mean [s]", true);
                let cv = self.cv(&p("cv"), r.cv, "the coefficient of variation");
                Some(Dist::LogNormal {
                    mean_s: mean?,
                    cv: cv?,
                })
            }
            "gamma" => {
                let by_shape = r.shape.is_some() || r.scale_s.is_some();
                if by_shape && (r.mean_s.is_some() || r.cv.is_some()) {
                    self.err(
                        path,
                        "give either `shape` and `scale_s`, or `mean_s` and `cv`, not a mix",
                    );
                    return None;
                }
                if by_shape {
                    let shape = self.ranged(&p("shape"), r.shape, "the shape", GAMMA_SHAPE);
                    let scale = self.number(&p("scale_s"), r.scale_s, "the scale [s]", true);
                    Some(Dist::Gamma {
                        shape: shape?,
                        scale_s: scale?,
                    })
                } else {
                    let mean = self.number(&p("mean_s"), r.mean_s, "the mean [s]", true);
                    let cv = self.cv(&p("cv"), r.cv, "the coefficient of variation");
                    let (mean, cv) = (mean?, cv?);
                    Some(Dist::Gamma {
                        shape: 1.0 / (cv * cv),
                        scale_s: mean * cv * cv,
                    })
                }
            }
            "erlang" => {
                let mean = self.number(&p("mean_s"), r.mean_s, "the mean [s]", true);
                let k = match r.k {
                    Some(k) if (1..=10_000).contains(&k) => Some(k as u32),
                    Some(k) => {
                        self.err(&p("k"), format!("expected the number of phases, a whole number from 1 to 10000, found {k}"));
                        None
                    }
                    None => {
                        self.err(
                            &p("k"),
                            "missing; expected the number of phases (a whole number >= 1)",
                        );
                        None
                    }
                };
                Some(Dist::Erlang {
                    k: k?,
                    mean_s: mean?,
                })
            }
            "hyperexponential" => self.hyperexponential(path, r),
            "uniform" => {
                let lo = self.number(&p("min_s"), r.min_s, "the lower bound [s]", false);
                let hi = self.number(&p("max_s"), r.max_s, "the upper bound [s]", true);
                let (lo, hi) = (lo?, hi?);
                if hi <= lo {
                    self.err(
                        &p("max_s"),
                        format!("expected max_s > min_s ({lo}), found {hi}"),
                    );
                    return None;
                }
                Some(Dist::Uniform {
                    min_s: lo,
                    max_s: hi,
                })
            }
            "weibull" => self.weibull(path, r),
            "empirical" => self.empirical(path, r),
            _ => None, // unreachable: `family` was found in FAMILIES and every entry has an arm
        }
    }

    fn hyperexponential(&mut self, path: &str, r: &RawDist) -> Option<Dist> {
        let p = |f: &str| format!("{path}.{f}");
        if r.probs.is_some() || r.means_s.is_some() {
            let (Some(probs), Some(means)) = (&r.probs, &r.means_s) else {
                let missing = if r.probs.is_none() {
                    "probs"
                } else {
                    "means_s"
                };
                self.err(
                    &p(missing),
                    "missing; `probs` and `means_s` go together (one entry per branch)",
                );
                return None;
            };
            if probs.is_empty() {
                self.err(&p("probs"), "expected at least one branch, found none");
                return None;
            }
            if probs.len() != means.len() {
                self.err(
                    &p("means_s"),
                    format!(
                        "expected as many branch means as probabilities ({}), found {}",
                        probs.len(),
                        means.len()
                    ),
                );
                return None;
            }
            let mut ok = true;
            for (i, x) in probs.iter().enumerate() {
                if !(x.is_finite() && *x >= 0.0 && *x <= 1.0) {
                    self.err(
                        &format!("{path}.probs[{i}]"),
                        format!("expected a probability in [0, 1], found {x}"),
                    );
                    ok = false;
                }
            }
            for (i, x) in means.iter().enumerate() {
                ok &= self
                    .number(
                        &format!("{path}.means_s[{i}]"),
                        Some(*x),
                        "a branch mean [s]",
                        true,
                    )
                    .is_some();
            }
            let sum: f64 = probs.iter().sum();
            if ok && (sum - 1.0).abs() > 1e-9 {
                self.err(
                    &p("probs"),
                    format!("expected probabilities summing to 1, found a sum of {sum}"),
                );
                ok = false;
            }
            ok.then(|| Dist::HyperExponential {
                probs: probs.clone(),
                means_s: means.clone(),
            })
        } else {
            let mean = self.number(&p("mean_s"), r.mean_s, "the mean [s]", true);
            let cv = self.cv(&p("cv"), r.cv, "the coefficient of variation (> 1)");
            let (mean, cv) = (mean?, cv?);
            if cv <= 1.0 {
                self.err(
                    &p("cv"),
                    format!(
                        "a hyperexponential has cv > 1, found {cv}; use gamma or erlang for cv <= 1"
                    ),
                );
                return None;
            }
            // Balanced means (Whitt 1982): p1 = (1 + sqrt((c²-1)/(c²+1)))/2, m_i = mean/(2 p_i).
            let c2 = cv * cv;
            let p1 = 0.5 * (1.0 + ((c2 - 1.0) / (c2 + 1.0)).sqrt());
            let p2 = 1.0 - p1;
            Some(Dist::HyperExponential {
                probs: vec![p1, p2],
                means_s: vec![mean / (2.0 * p1), mean / (2.0 * p2)],
            })
        }
    }

    fn weibull(&mut self, path: &str, r: &RawDist) -> Option<Dist> {
        let p = |f: &str| format!("{path}.{f}");
        let shape = match (r.shape, r.cv) {
            (Some(_), Some(_)) => {
                self.err(&p("cv"), "give either `shape` or `cv`, not both");
                return None;
            }
            (Some(k), None) => self.ranged(&p("shape"), Some(k), "the shape", WEIBULL_SHAPE)?,
            (None, Some(cv)) => {
                let cv = self.cv(&p("cv"), Some(cv), "the coefficient of variation")?;
                match weibull_shape_for_cv(cv) {
                    Some(k) => k,
                    None => {
                        self.err(
                            &p("cv"),
                            format!(
                                "expected a coefficient of variation from 0.01 to 100, found {cv}"
                            ),
                        );
                        return None;
                    }
                }
            }
            (None, None) => {
                self.err(&p("shape"), "missing; expected `shape` (or `cv`)");
                return None;
            }
        };
        let scale = match (r.scale_s, r.mean_s) {
            (Some(_), Some(_)) => {
                self.err(&p("scale_s"), "give either `scale_s` or `mean_s`, not both");
                return None;
            }
            (Some(s), None) => self.number(&p("scale_s"), Some(s), "the scale [s]", true)?,
            (None, m) => {
                let mean = self.number(&p("mean_s"), m, "the mean [s] (or `scale_s`)", true)?;
                mean / crate::domain::dist::gamma_fn(1.0 + 1.0 / shape)
            }
        };
        Some(Dist::Weibull {
            shape,
            scale_s: scale,
        })
    }

    fn empirical(&mut self, path: &str, r: &RawDist) -> Option<Dist> {
        let p = |f: &str| format!("{path}.{f}");
        let (Some(file), Some(column)) = (&r.file, &r.column) else {
            let missing = if r.file.is_none() { "file" } else { "column" };
            self.err(&p(missing), "missing; an empirical distribution needs `file` (a CSV with a header) and `column`");
            return None;
        };
        let data_path = self.base_dir.join(file);
        match read_column(&data_path, column) {
            Ok(values) => Some(Dist::Empirical {
                values_s: Arc::from(values),
            }),
            Err((line, msg)) => {
                self.err_in_file(data_path, &p("file"), line, msg);
                None
            }
        }
    }
}

/// Reads the finite, non-negative numbers of `column` from the CSV at `path`.
/// Errors carry the 1-based line where known.
fn read_column(path: &Path, column: &str) -> Result<Vec<f64>, (Option<usize>, String)> {
    let bytes = super::load::read_regular_file(path, MAX_DATA_BYTES)
        .map_err(|e| (None, format!("cannot read the empirical data file: {e}")))?;
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let headers = rdr
        .headers()
        .map_err(|e| (Some(1), format!("cannot read the CSV header: {e}")))?
        .clone();
    let Some(idx) = headers.iter().position(|h| h.trim() == column) else {
        let have: Vec<&str> = headers.iter().collect();
        return Err((
            Some(1),
            format!("no column {column:?}; the header has: {}", have.join(", ")),
        ));
    };
    let mut values = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            (
                e.position().map(|p| p.line() as usize),
                format!("malformed CSV: {e}"),
            )
        })?;
        let line = rec.position().map(|p| p.line() as usize);
        let field = rec.get(idx).unwrap_or("").trim();
        match field.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => values.push(v),
            _ => {
                return Err((
                    line,
                    format!(
                        "column {column:?}: expected a finite number >= 0 [s], found {field:?}"
                    ),
                ));
            }
        }
    }
    if values.is_empty() {
        return Err((None, format!("column {column:?} has no values")));
    }
    Ok(values)
}
