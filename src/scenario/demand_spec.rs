//! `[workload]` (weekly shape, growth curve) and `[arrivals.NAME] shape` -> the
//! [`RateModulation`] of each Poisson or renewal arrival process.

use super::duration::parse_duration;
use super::load::{Ctx, RawSections};
use super::raw::{RawArrivals, RawDuration, RawGrowth};
use crate::domain::demand::{
    GROWTH_KINDS, Growth, MAX_GROWTH, RateModulation, SHAPE_NAMES, WeeklyShape,
};
use crate::domain::{ArrivalProcess, Scenario};
use jiff::civil::DateTime;
use std::sync::Arc;

/// The validated `[workload]`.
#[derive(Debug, Clone)]
pub(super) struct Workload {
    /// The growth curve's origin: the scenario's start as loaded.
    origin: DateTime,
    /// `[workload] shape`; `None`: flat.
    shape: Option<Arc<WeeklyShape>>,
    growth: Growth,
}

/// Reads `[workload]`; `origin` is the scenario's start (or the default start). Problems are
/// reported to `ctx`; what is wrong is left at its default (flat, no growth).
pub(super) fn workload(ctx: &mut Ctx<'_>, raw: &RawSections, origin: DateTime) -> Workload {
    let mut w = Workload {
        origin,
        shape: None,
        growth: Growth::None,
    };
    let Some(rw) = &raw.workload else {
        return w;
    };
    if let Some(name) = &rw.shape {
        w.shape = shape(ctx, "workload.shape", name);
    }
    if let Some(g) = &rw.growth {
        w.growth = growth(ctx, "workload.growth", g, origin).unwrap_or_default();
    }
    w
}

fn shape(ctx: &mut Ctx<'_>, path: &str, name: &str) -> Option<Arc<WeeklyShape>> {
    match WeeklyShape::by_name(name) {
        Ok(s) => Some(Arc::new(s)),
        Err(_) => {
            ctx.err(
                path,
                format!(
                    "unknown shape {name:?}, expected one of: {}",
                    SHAPE_NAMES.join(", ")
                ),
            );
            None
        }
    }
}

/// A date `YYYY-MM-DD` (midnight) or a local date and time `YYYY-MM-DDTHH:MM[:SS]`.
///
/// # Errors
/// A message saying what was expected and what was found.
pub fn parse_date(raw: &str) -> Result<DateTime, String> {
    let t = raw.trim();
    t.parse::<DateTime>()
        .or_else(|e| {
            t.parse::<jiff::civil::Date>()
                .map(|d| d.at(0, 0, 0, 0))
                .map_err(|_| e)
        })
        .map_err(|e| {
            format!(
                "expected a date such as \"2027-09-01\" or \"2027-09-01T09:00\", found {raw:?} ({e})"
            )
        })
}

fn date(ctx: &mut Ctx<'_>, path: &str, v: Option<&String>, what: &str) -> Option<DateTime> {
    match v {
        None => {
            ctx.err(
                path,
                format!("missing; expected {what} (a date such as \"2027-09-01\")"),
            );
            None
        }
        Some(s) => parse_date(s).map_err(|e| ctx.err(path, e)).ok(),
    }
}

fn positive_duration(
    ctx: &mut Ctx<'_>,
    path: &str,
    v: Option<&RawDuration>,
    what: &str,
) -> Option<f64> {
    match v.map(parse_duration) {
        None => {
            ctx.err(
                path,
                format!("missing; expected {what} (a duration such as \"180d\")"),
            );
            None
        }
        Some(Ok(d)) if d.0 > 0 => Some(d.as_secs_f64()),
        Some(Ok(_)) => {
            ctx.err(path, format!("expected {what} > 0, found 0"));
            None
        }
        Some(Err(e)) => {
            ctx.err(path, e);
            None
        }
    }
}

/// A factor or ceiling: finite, in [0, MAX_GROWTH] (or (0, …] when `strict`).
fn factor(ctx: &mut Ctx<'_>, path: &str, v: Option<f64>, what: &str, strict: bool) -> Option<f64> {
    let x = ctx.number(path, v, what, strict)?;
    if x > MAX_GROWTH {
        ctx.err(
            path,
            format!("expected {what} of at most {MAX_GROWTH:e}, found {x:e}"),
        );
        return None;
    }
    Some(x)
}

/// The fields each growth kind takes (besides `kind`).
fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "linear" => &["to", "by"],
        "exponential" => &["doubling"],
        "logistic" => &["ceiling", "midpoint", "rise"],
        "steps" => &["at", "factor"],
        _ => &[],
    }
}

fn growth(ctx: &mut Ctx<'_>, base: &str, g: &RawGrowth, origin: DateTime) -> Option<Growth> {
    let kind_path = format!("{base}.kind");
    let kinds = GROWTH_KINDS.join(", ");
    let kind = match g.kind.as_deref() {
        None => {
            ctx.err(&kind_path, format!("missing; expected one of: {kinds}"));
            return None;
        }
        Some(k) if GROWTH_KINDS.contains(&k) => k,
        Some(k) => {
            ctx.err(
                &kind_path,
                format!("unknown growth kind {k:?}, expected one of: {kinds}"),
            );
            return None;
        }
    };
    let present = [
        ("to", g.to.is_some()),
        ("by", g.by.is_some()),
        ("doubling", g.doubling.is_some()),
        ("ceiling", g.ceiling.is_some()),
        ("midpoint", g.midpoint.is_some()),
        ("rise", g.rise.is_some()),
        ("at", g.at.is_some()),
        ("factor", g.factor.is_some()),
    ];
    let takes = fields_of(kind);
    let mut ok = true;
    for (f, is) in present {
        if is && !takes.contains(&f) {
            let list = if takes.is_empty() {
                "no other field".to_string()
            } else {
                takes.join(", ")
            };
            ctx.err(
                &format!("{base}.{f}"),
                format!("`{f}` is not a field of a {kind} growth curve; it takes: {list}"),
            );
            ok = false;
        }
    }
    let p = |f: &str| format!("{base}.{f}");
    let out = match kind {
        "none" => Some(Growth::None),
        "linear" => {
            let to = factor(ctx, &p("to"), g.to, "the multiplier reached at `by`", false);
            let by = date(ctx, &p("by"), g.by.as_ref(), "the date `to` is reached");
            if let Some(b) = by
                && b <= origin
            {
                ctx.err(
                    &p("by"),
                    format!("expected a date after the growth origin (the scenario's start, {origin}), found {b}"),
                );
                return None;
            }
            Some(Growth::Linear { to: to?, by: by? })
        }
        "exponential" => positive_duration(
            ctx,
            &p("doubling"),
            g.doubling.as_ref(),
            "the doubling time",
        )
        .map(|doubling_s| Growth::Exponential { doubling_s }),
        "logistic" => {
            let ceiling = factor(ctx, &p("ceiling"), g.ceiling, "the ceiling", true);
            let midpoint = date(
                ctx,
                &p("midpoint"),
                g.midpoint.as_ref(),
                "the date of the inflection point",
            );
            let rise = positive_duration(
                ctx,
                &p("rise"),
                g.rise.as_ref(),
                "the time from 10 % to 90 % of the rise",
            );
            Some(Growth::Logistic {
                ceiling: ceiling?,
                midpoint: midpoint?,
                rise_s: rise?,
            })
        }
        _ => steps(ctx, base, g),
    };
    if ok { out } else { None }
}

fn steps(ctx: &mut Ctx<'_>, base: &str, g: &RawGrowth) -> Option<Growth> {
    let (at_path, factor_path) = (format!("{base}.at"), format!("{base}.factor"));
    let (Some(at), Some(factors)) = (&g.at, &g.factor) else {
        for (path, missing) in [
            (&at_path, g.at.is_none()),
            (&factor_path, g.factor.is_none()),
        ] {
            if missing {
                ctx.err(
                    path,
                    "missing; a steps curve takes `at` (dates) and `factor` (a multiplier from each date on)",
                );
            }
        }
        return None;
    };
    let mut ok = true;
    if at.is_empty() || at.len() != factors.len() {
        ctx.err(
            &factor_path,
            format!(
                "expected one factor per date of `at` (at least one), found {} dates and {} factors",
                at.len(),
                factors.len()
            ),
        );
        ok = false;
    }
    let mut dates = Vec::with_capacity(at.len());
    for (i, s) in at.iter().enumerate() {
        let path = format!("{at_path}[{i}]");
        match parse_date(s) {
            Ok(d) => {
                if let Some(prev) = dates.last()
                    && d <= *prev
                {
                    ctx.err(
                        &path,
                        format!(
                            "expected dates in strictly increasing order; {d} is not after {prev}"
                        ),
                    );
                    ok = false;
                }
                dates.push(d);
            }
            Err(e) => {
                ctx.err(&path, e);
                ok = false;
            }
        }
    }
    let mut fs = Vec::with_capacity(factors.len());
    for (i, f) in factors.iter().enumerate() {
        match factor(
            ctx,
            &format!("{factor_path}[{i}]"),
            Some(*f),
            "a step's multiplier",
            false,
        ) {
            Some(f) => fs.push(f),
            None => ok = false,
        }
    }
    ok.then_some(Growth::Steps {
        at: dates,
        factor: fs,
    })
}

/// The modulation of arrival process `base` (`arrivals.NAME`): its own `shape`, or the
/// workload's, times the workload's growth; `None` when flat without growth (the plain
/// process) or for a trace (whose `shape` is an error: traces are replayed as recorded).
pub(super) fn modulation(
    ctx: &mut Ctx<'_>,
    base: &str,
    ra: &RawArrivals,
    is_trace: bool,
    w: &Workload,
) -> Option<Arc<RateModulation>> {
    let path = format!("{base}.shape");
    if is_trace {
        if ra.shape.is_some() {
            ctx.err(
                &path,
                "a trace is replayed as recorded: `shape` applies only to poisson and renewal processes (and `[workload]` leaves traces alone)",
            );
        }
        return None;
    }
    let shape = match &ra.shape {
        Some(name) => shape(ctx, &path, name)?,
        None => w.shape.clone().unwrap_or_else(|| {
            Arc::new(WeeklyShape::by_name("flat").expect("`flat` is a built-in shape"))
        }),
    };
    if shape.is_flat() && w.growth == Growth::None {
        return None;
    }
    Some(Arc::new(RateModulation::new(
        w.origin,
        w.growth.clone(),
        shape,
    )))
}

/// Checks that the growth curve stays finite and at most [`MAX_GROWTH`] over the run (from
/// its start to its horizon, or its expected length without one: `max_arrivals` × mean gap
/// at the base rate), and that no modulated process's peak rate (base × the shape's largest
/// bin × the growth's largest value over the run) exceeds a million arrivals per second (the
/// limit on a plain process's rate). Past the checked span (a run without horizon that lasts
/// longer) the multiplier is capped at [`MAX_GROWTH`] while sampling.
pub(super) fn check_range(ctx: &mut Ctx<'_>, scenario: &Scenario, w: &Workload) {
    if !scenario.arrivals.iter().any(|a| a.modulation.is_some()) {
        return;
    }
    let Some(end_s) = scenario.expected_end_s() else {
        return;
    };
    let start = scenario.start_date();
    let end = start
        .checked_add(jiff::SignedDuration::from_secs_f64(end_s))
        .unwrap_or(DateTime::MAX);
    let field = match &w.growth {
        Growth::Linear { .. } => "to",
        Growth::Exponential { .. } => "doubling",
        Growth::Logistic { .. } => "ceiling",
        Growth::Steps { .. } => "factor",
        Growth::None => "kind",
    };
    let growth_max = match w.growth.max_over(w.origin, start, end) {
        Some(m) if m <= MAX_GROWTH => m,
        m => {
            let found = m.map_or("an infinite value".to_string(), |m| format!("{m:e}"));
            ctx.err(
                &format!("workload.growth.{field}"),
                format!(
                    "the {} growth curve reaches {found} by the end of the run ({end}); at most {MAX_GROWTH:e} times the base rate: use a slower curve or a shorter horizon",
                    w.growth.kind()
                ),
            );
            return;
        }
    };
    let max_rate = 1.0 / super::validate::MIN_MEAN_INTERARRIVAL_S;
    for a in &scenario.arrivals {
        let (Some(m), ArrivalProcess::Renewal(d)) = (&a.modulation, &a.process) else {
            continue;
        };
        let shape_max = m.shape.values().iter().copied().fold(0.0, f64::max);
        let peak = shape_max * growth_max / d.mean_s();
        if peak > max_rate {
            ctx.err(
                &format!("arrivals.{}", a.name),
                format!(
                    "the rate peaks at {peak:.4e} arrivals/s during the run (base {:.4e}/s x shape peak {shape_max:.3} ({}) x growth up to {growth_max:.4e}); at most {max_rate:e}/s",
                    1.0 / d.mean_s(),
                    m.shape.name()
                ),
            );
        }
    }
}
