//! What `infersim plan` sizes and must meet: the `[plan]` section of a scenario, validated.
//! The search itself is in `crate::plan`.

use crate::metrics::Selector;

/// How a target compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Op {
    /// `value <= limit`.
    AtMost,
    /// `value >= limit`.
    AtLeast,
}

/// A target: one `summary.csv` observation against a limit, e.g. `slo_attainment >= 0.99`
/// or `ttft_s p99 <= 2`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// The observation.
    pub sel: Selector,
    /// The comparison.
    pub op: Op,
    /// The limit, in the metric's unit.
    pub limit: f64,
}

impl Target {
    /// Parses `[GROUP] METRIC [STAT] (<=|>=|<|>) NUMBER`. `<` and `>` mean the same as
    /// `<=` and `>=` (the planner decides on estimates, where the edge has no weight).
    ///
    /// # Errors
    /// A message when there is no comparison, the number is not finite, or the selector is
    /// malformed.
    pub fn parse(s: &str) -> Result<Target, String> {
        let (i, op, len) = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|o| s.find(o).map(|i| (i, *o, o.len())))
            .ok_or_else(|| {
                format!(
                    "expected `[GROUP] METRIC [STAT] <= NUMBER` or `>= NUMBER` (e.g. \
                     `ttft_s p99 <= 2`), found {s:?}"
                )
            })?;
        let left = &s[..i];
        if left.trim_end().ends_with(['=', '!']) {
            return Err(format!(
                "unknown comparison in {s:?}: use `<=` (at most) or `>=` (at least)"
            ));
        }
        let sel = Selector::parse(left)?;
        let num = s[i + len..].trim();
        let limit: f64 = num
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("expected a number after `{op}` in {s:?}, found {num:?}"))?;
        Ok(Target {
            sel,
            op: if op.starts_with('<') {
                Op::AtMost
            } else {
                Op::AtLeast
            },
            limit,
        })
    }

    /// `ttft_s p99 <= 2`.
    pub fn text(&self) -> String {
        format!(
            "{} {} {}",
            self.sel.text(),
            match self.op {
                Op::AtMost => "<=",
                Op::AtLeast => ">=",
            },
            self.limit
        )
    }

    /// Whether `value` meets the target.
    pub fn met_by(&self, value: f64) -> bool {
        match self.op {
            Op::AtMost => value <= self.limit,
            Op::AtLeast => value >= self.limit,
        }
    }
}

/// What kind of pool the planner sizes, and so which field it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    /// A GPU pool: `gpu_pool.NAME.replicas`.
    Gpu,
    /// A CPU pool: `cpu_pool.NAME.servers`.
    Cpu,
    /// A human reviewer pool: `human_pool.NAME.reviewers`.
    Human,
}

/// One pool the planner sizes, with its bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanPool {
    /// The pool's name.
    pub name: String,
    /// Its kind.
    pub kind: PoolKind,
    /// Fewest units (replicas, servers, reviewers) to consider.
    pub min: u32,
    /// Most units to consider.
    pub max: u32,
    /// Time from order to service [s] (`[plan.pool.NAME] lead_time`, else the pool's first
    /// `[[fleet]]` lead time, else 0).
    pub lead_time_s: f64,
}

impl PlanPool {
    /// The scenario field the planner sets: `gpu_pool.NAME.replicas` and so on.
    pub fn path(&self) -> Vec<String> {
        let (section, field) = match self.kind {
            PoolKind::Gpu => ("gpu_pool", "replicas"),
            PoolKind::Cpu => ("cpu_pool", "servers"),
            PoolKind::Human => ("human_pool", "reviewers"),
        };
        vec![section.into(), self.name.clone(), field.into()]
    }

    /// What one unit is called.
    pub fn unit(&self) -> &'static str {
        match self.kind {
            PoolKind::Gpu => "replicas",
            PoolKind::Cpu => "servers",
            PoolKind::Human => "reviewers",
        }
    }
}

/// A candidate the planner may choose instead of the scenario as written (another GPU type
/// with its tensor parallelism and prices): changes to apply, as `--set` would.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOption {
    /// Name in outputs.
    pub name: String,
    /// The changes, `PATH=VALUE`.
    pub set: Vec<crate::scenario::Override>,
}

/// `[plan]`: the targets, the pools to size and the candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSpec {
    /// Every target must be met.
    pub targets: Vec<Target>,
    /// The pools to size, in file order (sorted by name).
    pub pools: Vec<PlanPool>,
    /// Candidates; the first is the scenario as written (`as-written`) unless
    /// `include_as_written = false`.
    pub options: Vec<PlanOption>,
    /// Also require no time at a rack's or the site's power cap and none over a cooling
    /// limit (`power_capped_s` and `over_cooling_limit_s` totals 0 for `site` and every
    /// `rack:*`).
    pub power_within_caps: bool,
    /// Most replications a fleet is run with when a target is met only within noise.
    pub max_replications: u32,
    /// With `[epochs]`: plan at epochs this far apart [s] (`None`: every epoch).
    pub every_s: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        let t = Target::parse("ttft_s p99 <= 2").unwrap();
        assert_eq!(t.op, Op::AtMost);
        assert_eq!(t.limit, 2.0);
        assert_eq!(t.sel.stat, "p99");
        assert!(t.met_by(2.0) && !t.met_by(2.1));
        let t = Target::parse("workflow:chat slo_attainment>=0.99").unwrap();
        assert_eq!(t.sel.group, "workflow:chat");
        assert_eq!(t.text(), "workflow:chat slo_attainment mean >= 0.99");
        assert!(
            Target::parse("ttft_s p99")
                .unwrap_err()
                .contains("expected `[GROUP]")
        );
        assert!(
            Target::parse("ttft_s <= x")
                .unwrap_err()
                .contains("expected a number")
        );
        assert!(Target::parse("<= 2").is_err());
        assert!(Target::parse("a <= inf").is_err());
        assert!(Target::parse("a =< 2").unwrap_err().contains("use `<=`"));
    }
}
