//! Validation of `[human_pool.NAME]`: reviewers, review time, price and working hours.

use super::dist_spec::fmt_num;
use super::load::Ctx;
use super::raw::{RawHumanPool, RawWorkingHours};
use super::validate::MAX_SERVERS;
use crate::domain::{HumanPoolSpec, WorkingHours};

/// Day names of `working_hours.days`, Monday first (simulated time 0 is a Monday).
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Validates `[human_pool.NAME]`; `None` when something is wrong (reported).
pub(super) fn human_pool(
    ctx: &mut Ctx<'_>,
    name: &str,
    rp: &RawHumanPool,
) -> Option<HumanPoolSpec> {
    let base = format!("human_pool.{name}");
    let p = |f: &str| format!("{base}.{f}");
    let reviewers = match rp.reviewers {
        Some(c) if (1..=MAX_SERVERS).contains(&c) => Some(c as u32),
        Some(c) => {
            ctx.err(
                &p("reviewers"),
                format!("expected a whole number of reviewers from 1 to {MAX_SERVERS}, found {c}"),
            );
            None
        }
        None => {
            ctx.err(
                &p("reviewers"),
                "missing; expected the number of reviewers (a whole number >= 1)",
            );
            None
        }
    };
    let service = match &rp.service {
        Some(d) => ctx.dist(&p("service"), d),
        None => {
            ctx.err(
                &p("service"),
                "missing; expected the review time, a distribution table such as { dist = \"lognormal\", mean_s = 300, cv = 0.8 }",
            );
            None
        }
    };
    let cost = match rp.cost_per_review_usd {
        None => Some(0.0),
        Some(c) if c.is_finite() && c >= 0.0 => Some(c),
        Some(c) => {
            ctx.err(
                &p("cost_per_review_usd"),
                format!(
                    "expected the price of one review, a finite number >= 0 [USD], found {}",
                    fmt_num(c)
                ),
            );
            None
        }
    };
    let hours = match &rp.working_hours {
        None => Some(None),
        Some(h) => working_hours(ctx, &p("working_hours"), h).map(Some),
    };
    Some(HumanPoolSpec {
        name: name.to_string(),
        reviewers: reviewers?,
        service: service?,
        cost_per_review_usd: cost?,
        hours: hours?,
    })
}

fn working_hours(ctx: &mut Ctx<'_>, path: &str, h: &RawWorkingHours) -> Option<WorkingHours> {
    let p = |f: &str| format!("{path}.{f}");
    let from = match &h.from {
        Some(t) => time_of_day(ctx, &p("from"), t, false),
        None => {
            ctx.err(
                &p("from"),
                "missing; expected the opening time, \"HH:MM\" (e.g. \"09:00\")",
            );
            None
        }
    };
    let to = match &h.to {
        Some(t) => time_of_day(ctx, &p("to"), t, true),
        None => {
            ctx.err(
                &p("to"),
                "missing; expected the closing time, \"HH:MM\" (e.g. \"17:00\", or \"24:00\" for midnight)",
            );
            None
        }
    };
    let days = match &h.days {
        None => Some([true; 7]),
        Some(list) => week_days(ctx, path, list, "reviews would never start"),
    };
    let (from_s, to_s) = (from?, to?);
    if from_s >= to_s {
        ctx.err(
            &p("to"),
            format!(
                "expected a closing time after the opening time {}, found {} (hours do not wrap past midnight)",
                hhmm(from_s),
                hhmm(to_s)
            ),
        );
        return None;
    }
    Some(WorkingHours {
        from_s,
        to_s,
        days: days?,
    })
}

/// Day names (`"mon"` … `"sun"`) at `path.days` -> a Monday-first mask; `None` (reported)
/// for an unknown or repeated day, or an empty list (`never` says what would then happen).
pub(super) fn week_days(
    ctx: &mut Ctx<'_>,
    path: &str,
    list: &[String],
    never: &str,
) -> Option<[bool; 7]> {
    let p = |f: &str| format!("{path}.{f}");
    let mut days = [false; 7];
    let mut ok = true;
    for (i, d) in list.iter().enumerate() {
        let lower = d.trim().to_ascii_lowercase();
        match DAYS.iter().position(|n| *n == lower) {
            Some(k) if days[k] => {
                ctx.err(
                    &format!("{path}.days[{i}]"),
                    format!("day {d:?} is listed twice"),
                );
                ok = false;
            }
            Some(k) => days[k] = true,
            None => {
                ctx.err(
                    &format!("{path}.days[{i}]"),
                    format!("unknown day {d:?}, expected one of: {}", DAYS.join(", ")),
                );
                ok = false;
            }
        }
    }
    if ok && list.is_empty() {
        ctx.err(
            &p("days"),
            format!(
                "expected at least one day (one of: {}), found none: {never}",
                DAYS.join(", ")
            ),
        );
        ok = false;
    }
    ok.then_some(days)
}

/// `"HH:MM"` -> seconds after midnight; `"24:00"` only when `closing`.
pub(super) fn time_of_day(ctx: &mut Ctx<'_>, path: &str, t: &str, closing: bool) -> Option<u32> {
    let parsed = t.split_once(':').and_then(|(h, m)| {
        let digits = |s: &str, max_len: usize| {
            (1..=max_len).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
        };
        if !digits(h, 2) || m.len() != 2 || !digits(m, 2) {
            return None;
        }
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        let ok = m < 60 && (h < 24 || (closing && h == 24 && m == 0));
        ok.then_some(h * 3600 + m * 60)
    });
    if parsed.is_none() {
        let range = if closing {
            "from \"00:00\" to \"24:00\""
        } else {
            "from \"00:00\" to \"23:59\""
        };
        ctx.err(
            path,
            format!("expected a time of day \"HH:MM\" {range}, found {t:?}"),
        );
    }
    parsed
}

fn hhmm(s: u32) -> String {
    format!("\"{:02}:{:02}\"", s / 3600, s % 3600 / 60)
}
