//! Validation of a count (`fanout`, `repeat`): a whole number or a count distribution table
//! (`{ dist = "poisson", mean = 3 }`).

use super::dist_spec::fmt_num;
use super::load::Ctx;
use super::raw::{RawCount, RawCountTable};
use crate::domain::CountDist;
use crate::domain::count::MAX_COUNT;

/// The count families and the parameters each takes.
const FAMILIES: [(&str, &[&str]); 4] = [
    ("constant", &["value"]),
    ("geometric", &["mean"]),
    ("poisson", &["mean"]),
    ("uniform", &["min", "max"]),
];

fn family_names() -> String {
    FAMILIES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Validates the count at `path`: a whole number from 0 to `max_whole`, or a distribution
/// whose draws and mean stay within [`MAX_COUNT`]. `what` names it in messages ("a fan-out").
pub(super) fn count(
    ctx: &mut Ctx<'_>,
    path: &str,
    raw: &RawCount,
    max_whole: i64,
    what: &str,
) -> Option<CountDist> {
    match raw {
        RawCount::Whole(n) if (0..=max_whole).contains(n) => Some(CountDist::Fixed(*n as u32)),
        RawCount::Whole(n) => {
            ctx.err(
                path,
                format!("expected {what}, a whole number from 0 to {max_whole}, found {n}"),
            );
            None
        }
        RawCount::Table(t) => count_table(ctx, path, t, max_whole, what),
    }
}

fn count_table(
    ctx: &mut Ctx<'_>,
    path: &str,
    t: &RawCountTable,
    max_whole: i64,
    what: &str,
) -> Option<CountDist> {
    let field = |f: &str| format!("{path}.{f}");
    if t.for_each.is_some() {
        ctx.err(
            &field("for_each"),
            "`for_each` is for `fanout` only (one copy per copy of an earlier step)",
        );
        return None;
    }
    let Some(family) = t.dist.as_deref() else {
        ctx.err(
            &field("dist"),
            format!(
                "missing; expected {what} as a whole number or a table with dist = one of: {}",
                family_names()
            ),
        );
        return None;
    };
    let Some((_, allowed)) = FAMILIES.iter().find(|(n, _)| *n == family) else {
        ctx.err(
            &field("dist"),
            format!(
                "unknown count distribution {family:?}, expected one of: {}",
                family_names()
            ),
        );
        return None;
    };
    let given = [
        ("value", t.value.is_some()),
        ("mean", t.mean.is_some()),
        ("min", t.min.is_some()),
        ("max", t.max.is_some()),
    ];
    let mut ok = true;
    for (f, present) in given {
        if present && !allowed.contains(&f) {
            ctx.err(
                &field(f),
                format!(
                    "`{f}` is not a parameter of the {family} count distribution (it takes: {})",
                    allowed.join(", ")
                ),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let whole = |ctx: &mut Ctx<'_>, f: &str, v: Option<f64>, max: i64, desc: &str| -> Option<u32> {
        match v {
            Some(x) if x.is_finite() && x.fract() == 0.0 && x >= 0.0 && x <= max as f64 => {
                Some(x as u32)
            }
            Some(x) => {
                ctx.err(
                    &field(f),
                    format!(
                        "expected {desc}, a whole number from 0 to {max}, found {}",
                        fmt_num(x)
                    ),
                );
                None
            }
            None => {
                ctx.err(
                    &field(f),
                    format!("missing; expected {desc} (a whole number from 0 to {max})"),
                );
                None
            }
        }
    };
    let max_count = f64::from(MAX_COUNT);
    match family {
        "constant" => whole(ctx, "value", t.value, max_whole, "the count").map(CountDist::Fixed),
        "geometric" => match t.mean {
            Some(m) if m.is_finite() && (1.0..=max_count).contains(&m) => {
                Some(CountDist::Geometric { mean: m })
            }
            m => {
                let found = m.map_or("nothing".to_string(), fmt_num);
                ctx.err(
                    &field("mean"),
                    format!(
                        "expected the mean count of a geometric distribution (on 1, 2, ...), a number from 1 to {MAX_COUNT}, found {found}"
                    ),
                );
                None
            }
        },
        "poisson" => match t.mean {
            Some(m) if m.is_finite() && m > 0.0 && m <= max_count => {
                Some(CountDist::Poisson { mean: m })
            }
            m => {
                let found = m.map_or("nothing".to_string(), fmt_num);
                ctx.err(
                    &field("mean"),
                    format!(
                        "expected the mean count of a Poisson distribution, a number > 0 and at most {MAX_COUNT}, found {found}"
                    ),
                );
                None
            }
        },
        "uniform" => {
            let limit = i64::from(MAX_COUNT);
            let lo = whole(ctx, "min", t.min, limit, "the smallest count");
            let hi = whole(ctx, "max", t.max, limit, "the largest count");
            let (lo, hi) = (lo?, hi?);
            if lo > hi {
                ctx.err(
                    &field("max"),
                    format!("expected max >= min ({lo}), found {hi}"),
                );
                return None;
            }
            Some(CountDist::Uniform { min: lo, max: hi })
        }
        _ => None, // unreachable: `family` is one of FAMILIES, each with an arm
    }
}
