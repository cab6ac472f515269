//! Sweeps: a grid of scenario variants, each a list of `--set` changes, run point by point
//! in parallel (each point's replications in order on one worker), results in grid order.

use super::{NoProgress, RunError, run_replication, thread_pool};
use crate::domain::Scenario;
use crate::metrics::{Aggregate, SummaryRow};
use crate::scenario::Override;
use rayon::prelude::*;

/// One swept field: its path and the values to try, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Axis {
    /// Dotted path (`gpu_pool.large.replicas`).
    pub path: Vec<String>,
    /// Values as written (TOML or else strings).
    pub values: Vec<String>,
}

impl Axis {
    /// Parses `PATH=V1,V2,...`. Commas inside brackets or quotes do not split
    /// (`x=[1,2],[3,4]` is two values).
    ///
    /// # Errors
    /// A message when there is no `=`, the path is malformed, or a value is empty.
    pub fn parse(s: &str) -> Result<Axis, String> {
        let o = Override::parse(s)?;
        let mut values = Vec::new();
        let (mut depth, mut quoted, mut cur) = (0i32, false, String::new());
        for c in o.value.chars() {
            match c {
                '"' => quoted = !quoted,
                '[' | '{' if !quoted => depth += 1,
                ']' | '}' if !quoted => depth -= 1,
                ',' if !quoted && depth == 0 => {
                    values.push(std::mem::take(&mut cur).trim().to_string());
                    continue;
                }
                _ => {}
            }
            cur.push(c);
        }
        values.push(cur.trim().to_string());
        if values.iter().any(String::is_empty) {
            return Err(format!("`{s}`: an empty value in the list"));
        }
        Ok(Axis {
            path: o.path,
            values,
        })
    }

    /// The path as written.
    pub fn name(&self) -> String {
        self.path.join(".")
    }
}

/// Most points a sweep may have.
pub const MAX_POINTS: usize = 100_000;

/// The grid of `axes` in a fixed order: the first axis varies slowest (row-major). Each
/// point is its list of changes, one per axis.
///
/// # Errors
/// A message when a path is swept twice or the grid has more than [`MAX_POINTS`] points.
pub fn grid(axes: &[Axis]) -> Result<Vec<Vec<Override>>, String> {
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.path == a.path) {
            return Err(format!(
                "`{}` is swept twice: give its values in one --set",
                a.name()
            ));
        }
    }
    let n = axes
        .iter()
        .try_fold(1u128, |n, a| n.checked_mul(a.values.len() as u128))
        .unwrap_or(u128::MAX);
    if n > MAX_POINTS as u128 {
        return Err(format!(
            "the sweep has {n} points, more than the {MAX_POINTS} allowed: sweep fewer values"
        ));
    }
    let n = n as usize;
    let mut points = Vec::with_capacity(n);
    for k in 0..n {
        let mut rest = k;
        let mut point = vec![
            Override {
                path: Vec::new(),
                value: String::new(),
            };
            axes.len()
        ];
        for (i, a) in axes.iter().enumerate().rev() {
            let j = rest % a.values.len();
            rest /= a.values.len();
            point[i] = Override {
                path: a.path.clone(),
                value: a.values[j].clone(),
            };
        }
        points.push(point);
    }
    Ok(points)
}

/// Why a sweep point failed: its scenario does not load, or its run failed.
#[derive(Debug)]
pub enum PointError {
    /// The point's scenario is invalid (the message lists its problems).
    Load(String),
    /// A replication failed.
    Run(RunError),
}

/// Runs points `0..count` on `threads` workers, each loaded by `load` when its turn comes
/// (so memory holds the scenarios of the points running, not of the whole grid) and run
/// with its replications in order on one worker. Returns each point's `summary.csv` rows,
/// in point order. Results depend only on the scenarios and seeds, not on the threads.
///
/// # Errors
/// The first failing point (in point order) and why.
pub fn run_points(
    count: usize,
    threads: Option<usize>,
    load: impl Fn(usize) -> Result<Scenario, String> + Sync,
) -> Result<Vec<Vec<SummaryRow>>, (usize, PointError)> {
    let pool = thread_pool(threads).map_err(|e| (0, PointError::Run(e)))?;
    pool.install(|| {
        (0..count)
            .into_par_iter()
            .map(|k| {
                let spec = load(k).map_err(|e| (k, PointError::Load(e)))?;
                let mut agg = Aggregate::new();
                for r in 0..spec.replications {
                    let result = run_replication(&spec, r, &NoProgress).map_err(|cause| {
                        (
                            k,
                            PointError::Run(RunError::Simulation {
                                replication: r,
                                cause,
                            }),
                        )
                    })?;
                    agg.add(&spec, &result);
                }
                Ok(agg.rows())
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_expands_first_axis_slowest() {
        let a = Axis::parse("gpu_pool.large.replicas=4,8,16").unwrap();
        let b = Axis::parse("workload.growth.ceiling=5,10").unwrap();
        assert_eq!(a.values, ["4", "8", "16"]);
        let g = grid(&[a, b]).unwrap();
        let texts: Vec<Vec<String>> = g
            .iter()
            .map(|p| p.iter().map(Override::text).collect())
            .collect();
        assert_eq!(texts.len(), 6);
        assert_eq!(
            texts[0],
            ["gpu_pool.large.replicas=4", "workload.growth.ceiling=5"]
        );
        assert_eq!(
            texts[1],
            ["gpu_pool.large.replicas=4", "workload.growth.ceiling=10"]
        );
        assert_eq!(
            texts[5],
            ["gpu_pool.large.replicas=16", "workload.growth.ceiling=10"]
        );
    }

    #[test]
    fn lists_split_at_top_level_commas_only() {
        let a = Axis::parse("x=[1, 2],[3,4],\"a,b\"").unwrap();
        assert_eq!(a.values, ["[1, 2]", "[3,4]", "\"a,b\""]);
        assert!(Axis::parse("x=1,,2").unwrap_err().contains("empty value"));
        assert!(Axis::parse("x").is_err());
        let big = Axis::parse(&format!(
            "x={}",
            (0..1000)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ))
        .unwrap();
        let other = Axis::parse(&format!("y={}", big.values.join(","))).unwrap();
        let e = grid(&[big.clone(), other]).unwrap_err();
        assert!(
            e.contains("has 1000000 points, more than the 100000 allowed"),
            "{e}"
        );
        let e = grid(&[big.clone(), big.clone()]).unwrap_err();
        assert!(e.contains("`x` is swept twice"), "{e}");
        assert_eq!(grid(&[]).unwrap().len(), 1, "no axis: the scenario itself");
    }
}
