//! Demand over calendar time: growth curves against their formulas, weekly shapes (mean 1,
//! the ServeGen fold by hand), the time change, a non-homogeneous Poisson process end to end,
//! and bad `[workload]` input located by field and line.

use super::support::{find, problems, problems_in, run, scenario_from_str};
use infersim::domain::demand::{
    Growth, ModulatedClock, RateModulation, SHAPE_NAMES, WEEK_S, WeeklyShape,
};
use infersim::engine::SimTime;
use jiff::civil::{DateTime, date};
use std::sync::Arc;

fn day(y: i16, m: i8, d: i8) -> DateTime {
    date(y, m, d).at(0, 0, 0, 0)
}

/// The default start, Monday 5 January 2026.
fn origin() -> DateTime {
    day(2026, 1, 5)
}

fn secs(from: DateTime, to: DateTime) -> f64 {
    to.duration_since(from).as_secs_f64()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) || a == b
}

#[test]
fn growth_curves_match_their_formulas_at_sample_dates() {
    let o = origin();
    let samples = [
        o,
        day(2026, 1, 6),
        date(2026, 2, 14).at(13, 30, 0, 0),
        day(2026, 6, 1),
        day(2027, 9, 1),
        day(2028, 3, 1),
    ];
    // linear: 1 + (to − 1)(t − o)/(by − o), floored at 0
    let by = day(2026, 7, 1);
    let lin = Growth::Linear { to: 4.0, by };
    for t in samples {
        let want = 1.0 + 3.0 * secs(o, t) / secs(o, by);
        assert!(close(lin.multiplier(o, t), want, 1e-12), "linear at {t}");
    }
    assert_eq!(lin.multiplier(o, by), 4.0);
    let down = Growth::Linear { to: 0.5, by };
    assert_eq!(down.multiplier(o, day(2028, 3, 1)), 0.0);
    // exponential: 2^((t − o)/doubling)
    let d = 90.0 * 86_400.0;
    let exp = Growth::Exponential { doubling_s: d };
    for t in samples {
        let want = 2f64.powf(secs(o, t) / d);
        assert!(
            close(exp.multiplier(o, t), want, 1e-12),
            "exponential at {t}"
        );
    }
    assert_eq!(
        exp.multiplier(o, o + jiff::SignedDuration::from_hours(90 * 24)),
        2.0
    );
    // logistic: σ(t) = 1/(1 + e^(−k(t − mid))), k = 2 ln 9 / rise
    let (mid, rise, c) = (day(2027, 9, 1), 180.0 * 86_400.0, 10.0);
    let logi = Growth::Logistic {
        ceiling: c,
        midpoint: mid,
        rise_s: rise,
    };
    let k = 2.0 * 9f64.ln() / rise;
    let sigma = |t: DateTime| 1.0 / (1.0 + (-k * secs(mid, t)).exp());
    let s0 = sigma(o);
    for t in samples {
        let want = 1.0 + (c - 1.0) * (sigma(t) - s0) / (1.0 - s0);
        assert!(close(logi.multiplier(o, t), want, 1e-12), "logistic at {t}");
    }
    assert_eq!(logi.multiplier(o, o), 1.0);
    let at_mid = 1.0 + (c - 1.0) * (0.5 - s0) / (1.0 - s0);
    assert!(close(logi.multiplier(o, mid), at_mid, 1e-12));
    assert!(close(logi.multiplier(o, day(2040, 1, 1)), c, 1e-12));
    // σ goes from 10 % to 90 % in `rise`
    let ten = mid - jiff::SignedDuration::from_hours(90 * 24);
    let ninety = mid + jiff::SignedDuration::from_hours(90 * 24);
    assert!(close(sigma(ten), 0.1, 1e-12) && close(sigma(ninety), 0.9, 1e-12));
    // steps: the factor of the last step at or before t, 1 before the first
    let steps = Growth::Steps {
        at: vec![day(2026, 3, 1), day(2026, 9, 1)],
        factor: vec![2.0, 5.0],
    };
    assert_eq!(steps.multiplier(o, day(2026, 2, 28)), 1.0);
    assert_eq!(steps.multiplier(o, day(2026, 3, 1)), 2.0);
    assert_eq!(steps.multiplier(o, day(2026, 8, 31)), 2.0);
    assert_eq!(steps.multiplier(o, day(2026, 9, 1)), 5.0);
    assert_eq!(steps.multiplier(o, day(2030, 1, 1)), 5.0);
    assert_eq!(Growth::None.multiplier(o, day(2030, 1, 1)), 1.0);
}

#[test]
fn every_shape_has_mean_one_over_the_week() {
    for name in SHAPE_NAMES {
        let s = WeeklyShape::by_name(name).unwrap();
        let mean = s.values().iter().sum::<f64>() / s.values().len() as f64;
        assert!((mean - 1.0).abs() <= 1e-12, "{name}: mean {mean}");
        assert_eq!(s.values().len() as u32 * s.bin_s(), WEEK_S);
    }
}

#[test]
fn the_servegen_fold_reproduces_hand_computed_bins() {
    // m-large, from the CSV: windows 0 and 1 of week one (212.78, 179.698333) and of week two
    // (201.06, 203.08). Bin i of the week is their mean, over the mean of all 2,016 windows.
    let csv = include_str!("../../catalog/profiles/servegen/aggregate_rate_600s.csv");
    let rates: Vec<f64> = csv
        .lines()
        .filter(|l| l.starts_with("m-large,"))
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert_eq!(rates.len(), 2016);
    let mean = rates.iter().sum::<f64>() / 2016.0;
    let s = WeeklyShape::by_name("servegen:m-large").unwrap();
    assert_eq!((s.bin_s(), s.values().len()), (600, 1008));
    assert!(close(s.values()[0], (212.78 + 201.06) / 2.0 / mean, 1e-12));
    assert!(close(
        s.values()[1],
        (179.698333 + 203.08) / 2.0 / mean,
        1e-12
    ));
    assert!(close(
        s.values()[0] / s.values()[1],
        (212.78 + 201.06) / (179.698333 + 203.08),
        1e-12
    ));
    // deepseek-r1 has one day: windows 0 and 1 are 14.863333 and 18.403333, every day.
    let d = WeeklyShape::by_name("servegen:deepseek-r1").unwrap();
    for day in 0..7 {
        assert_eq!(d.values()[day * 144], d.values()[0]);
        assert!(close(
            d.values()[day * 144 + 1] / d.values()[day * 144],
            18.403333 / 14.863333,
            1e-12
        ));
    }
}

fn office_logistic() -> RateModulation {
    RateModulation::new(
        origin(),
        Growth::Logistic {
            ceiling: 10.0,
            midpoint: day(2026, 2, 1),
            rise_s: 30.0 * 86_400.0,
        },
        Arc::new(WeeklyShape::by_name("office-hours").unwrap()),
    )
}

#[test]
fn the_time_change_spends_exactly_the_work_drawn() {
    // ∫ between consecutive outputs = w, up to the 1 ns rounding of the clock: at most
    // (largest multiplier) × 1 ns. Gaps from 1 ms to 3 days, starting inside a bin and at a
    // Saturday (low rate), on a clock whose time 0 is not the origin (an epoch).
    let m = office_logistic();
    let clock: ModulatedClock = m.clock(date(2026, 1, 10).at(7, 13, 0, 0));
    let max_rate = 10.0 * WeeklyShape::by_name("office-hours").unwrap().values()[10];
    let mut t = SimTime(123_456_789);
    for (i, w) in [1e-3, 0.5, 17.0, 3600.0, 1e4, 86_400.0, 3.0 * 86_400.0, 42.0]
        .iter()
        .cycle()
        .take(64)
        .enumerate()
    {
        let next = clock.advance(t, *w, None).unwrap();
        let again = clock.advance(t, *w, None).unwrap();
        assert_eq!(next, again, "deterministic");
        let spent = clock.integral_s(t, next);
        assert!(
            (spent - w).abs() <= max_rate * 1e-9 + 1e-12 * w,
            "step {i}: w {w}, integral {spent}"
        );
        t = next;
    }
    // the calendar form agrees with the clock form
    let from = date(2026, 1, 7).at(16, 45, 0, 0);
    let to = m.time_change(from, 5_000.0).unwrap();
    assert!((m.integral_s(from, to) - 5_000.0).abs() <= max_rate * 1e-9);
    // a limit before the arrival stops it
    let c0 = m.clock(origin());
    let at = c0.advance(SimTime::ZERO, 5_000.0, None).unwrap();
    assert_eq!(c0.advance(SimTime::ZERO, 5_000.0, Some(at)), None);
    assert_eq!(
        c0.advance(SimTime::ZERO, 5_000.0, Some(SimTime(at.0 + 1))),
        Some(at)
    );
}

/// A 3-day NHPP: office-hours shape × linear growth to 3x by the end, Poisson base rate 0.5/s,
/// one-hour windows, seed 7. Counts per hour are Poisson with mean λ·∫ m over the hour.
const NHPP: &str = r#"[scenario]
seed = 7
horizon = "3d"
interval = "1h"

[workload]
shape = "office-hours"

[workload.growth]
kind = "linear"
to = 3
by = "2026-01-08"

[arrivals.a]
workflow = "w"
rate_per_s = 0.5

[cpu_pool.p]
servers = 1000
service = { dist = "deterministic", mean_s = 0.001 }

[workflow.w]
steps = [{ name = "s", pool = "p" }]
"#;

#[test]
fn a_modulated_poisson_process_has_the_expected_counts_per_hour() {
    let s = scenario_from_str(NHPP);
    let m = s.arrivals[0].modulation.clone().expect("modulated");
    let counts = &run(&s)[0].pools[0].arrival_windows;
    assert_eq!(counts.len(), 72);
    let start = origin();
    let hour = |h: i64| start + jiff::SignedDuration::from_hours(h);
    let expected: Vec<f64> = (0..72)
        .map(|h| 0.5 * m.integral_s(hour(h), hour(h + 1)))
        .collect();
    let (n, e): (f64, f64) = (
        counts.iter().sum::<u64>() as f64,
        expected.iter().sum::<f64>(),
    );
    // The total within 3 σ of Poisson (σ = √E, E ≈ 2.7·10⁵).
    assert!((n - e).abs() <= 3.0 * e.sqrt(), "total {n} vs expected {e}");
    // Each hour within 4.5 σ (P(some hour beyond) ≈ 72 × 6.8·10⁻⁶ = 5·10⁻⁴), and
    // Pearson's χ² over the 72 hours below its 0.999 quantile with 72 degrees of freedom
    // (116.3; Wilson–Hilferty).
    let mut chi2 = 0.0;
    for (h, (o, e)) in counts.iter().zip(&expected).enumerate() {
        let z = (*o as f64 - e) / e.sqrt();
        assert!(
            z.abs() < 4.5,
            "hour {h}: {o} arrivals, expected {e:.1} (z = {z:.2})"
        );
        chi2 += z * z;
    }
    assert!(chi2 < 116.3, "chi-square {chi2:.1} over 72 hours");
    // The shape shows: Tuesday 10:00 against Tuesday 03:00 (both with growth ≈ 1.6).
    assert!(
        counts[34] > 10 * counts[27],
        "{} vs {}",
        counts[34],
        counts[27]
    );
}

#[test]
fn no_workload_or_a_flat_one_leaves_the_process_alone() {
    let plain = NHPP
        .replace("[workload]\nshape = \"office-hours\"\n", "")
        .replace(
            "[workload.growth]\nkind = \"linear\"\nto = 3\nby = \"2026-01-08\"\n",
            "",
        );
    assert!(scenario_from_str(&plain).arrivals[0].modulation.is_none());
    let flat = NHPP.replace("office-hours", "flat").replace(
        "kind = \"linear\"\nto = 3\nby = \"2026-01-08\"",
        "kind = \"none\"",
    );
    assert!(scenario_from_str(&flat).arrivals[0].modulation.is_none());
    // an arrival's own shape overrides the workload's; dates with a time and "180d" parse
    let own = NHPP
        .replace(
            "rate_per_s = 0.5",
            "rate_per_s = 0.5\nshape = \"servegen:m-mid\"",
        )
        .replace(
            "kind = \"linear\"\nto = 3\nby = \"2026-01-08\"",
            "kind = \"logistic\"\nceiling = 10\nmidpoint = \"2027-09-01T12:30\"\nrise = \"180d\"",
        );
    let s = scenario_from_str(&own);
    let m = s.arrivals[0].modulation.as_ref().unwrap();
    assert_eq!(m.shape.name(), "servegen:m-mid");
    assert_eq!(
        m.growth,
        Growth::Logistic {
            ceiling: 10.0,
            midpoint: date(2027, 9, 1).at(12, 30, 0, 0),
            rise_s: 180.0 * 86_400.0
        }
    );
    assert_eq!(m.origin, origin());
}

/// `NHPP` with the growth table replaced by `growth`.
fn with_growth(growth: &str) -> String {
    NHPP.replace(
        "kind = \"linear\"\nto = 3\nby = \"2026-01-08\"",
        growth.trim(),
    )
}

/// The 1-based line of the first line of `src` containing `needle`.
fn line_of(src: &str, needle: &str) -> usize {
    src.lines().position(|l| l.contains(needle)).unwrap() + 1
}

/// Asserts a problem at `path`, on the line of `needle`, whose message contains every `words`.
fn expect(src: &str, path: &str, needle: &str, words: &[&str]) {
    let ps = problems(src);
    let p = find(&ps, path);
    assert_eq!(
        p.line_col.map(|l| l.0),
        Some(line_of(src, needle)),
        "{path}: {p}"
    );
    for w in words {
        assert!(p.message.contains(w), "{path}: {:?} lacks {w:?}", p.message);
    }
}

#[test]
fn bad_growth_curves_are_named_with_field_and_line() {
    let cases: [(&str, &str, &str, &[&str]); 16] = [
        (
            "kind = \"sigmoid\"",
            "workload.growth.kind",
            "sigmoid",
            &["unknown growth kind", "logistic", "steps"],
        ),
        (
            "kind = \"logistic\"\nceiling = 0\nmidpoint = \"2027-09-01\"\nrise = \"180d\"",
            "workload.growth.ceiling",
            "ceiling",
            &["> 0"],
        ),
        (
            "kind = \"logistic\"\nceiling = nan\nmidpoint = \"2027-09-01\"\nrise = \"180d\"",
            "workload.growth.ceiling",
            "ceiling",
            &["finite"],
        ),
        (
            "kind = \"logistic\"\nceiling = 10\nmidpoint = \"2027-13-01\"\nrise = \"180d\"",
            "workload.growth.midpoint",
            "midpoint",
            &["expected a date", "2027-13-01"],
        ),
        (
            "kind = \"logistic\"\nceiling = 10\nmidpoint = \"2027-09-01\"\nrise = \"0s\"",
            "workload.growth.rise",
            "rise",
            &["> 0"],
        ),
        (
            "kind = \"logistic\"\nceiling = 10\nmidpoint = \"2027-09-01\"",
            "workload.growth.rise",
            "[workload.growth]",
            &["missing"],
        ),
        (
            "kind = \"linear\"\nto = -1\nby = \"2026-02-01\"",
            "workload.growth.to",
            "to =",
            &[">= 0", "-1"],
        ),
        (
            "kind = \"linear\"\nto = 2\nby = \"2026-01-05\"",
            "workload.growth.by",
            "by =",
            &["after the growth origin"],
        ),
        (
            "kind = \"linear\"\nto = 2\nby = \"2026-02-01\"\nceiling = 3",
            "workload.growth.ceiling",
            "ceiling",
            &["not a field of a linear", "to, by"],
        ),
        (
            "kind = \"exponential\"\ndoubling = \"0s\"",
            "workload.growth.doubling",
            "doubling",
            &["> 0"],
        ),
        (
            "kind = \"exponential\"\ndoubling = \"-3d\"",
            "workload.growth.doubling",
            "doubling",
            &["expected a duration"],
        ),
        // 2^(72 h / 10 min) = 2^432 is finite but beyond the cap; 2^(72 h / 1 min) is infinite
        (
            "kind = \"exponential\"\ndoubling = \"10m\"",
            "workload.growth.doubling",
            "doubling",
            &["reaches", "at most 1e9"],
        ),
        (
            "kind = \"exponential\"\ndoubling = \"1s\"",
            "workload.growth.doubling",
            "doubling",
            &["an infinite value"],
        ),
        (
            "kind = \"steps\"\nat = [\"2026-03-01\", \"2026-02-01\"]\nfactor = [2, 3]",
            "workload.growth.at[1]",
            "at =",
            &["strictly increasing"],
        ),
        (
            "kind = \"steps\"\nat = [\"2026-03-01\"]\nfactor = [2, 3]",
            "workload.growth.factor",
            "factor",
            &["1 dates and 2 factors"],
        ),
        (
            "kind = \"steps\"\nat = [\"2026-03-01\", \"2026-04-01\"]\nfactor = [2, -3]",
            "workload.growth.factor[1]",
            "factor",
            &[">= 0", "-3"],
        ),
    ];
    for (growth, path, needle, words) in cases {
        expect(&with_growth(growth), path, needle, words);
    }
}

#[test]
fn bad_shapes_and_workload_tables_are_named_with_field_and_line() {
    let src = NHPP.replace("\"office-hours\"", "\"weekdays\"");
    expect(
        &src,
        "workload.shape",
        "weekdays",
        &["unknown shape", "office-hours", "servegen:m-large"],
    );
    let src = NHPP.replace(
        "rate_per_s = 0.5",
        "rate_per_s = 0.5\nshape = \"servegen:gpt\"",
    );
    expect(
        &src,
        "arrivals.a.shape",
        "servegen:gpt",
        &["unknown shape", "consumer"],
    );
    let src = NHPP.replace("[workload.growth]\n", "growth = \"logistic\"\n[x]\n");
    let ps = problems(&src);
    let p = find(&ps, "workload.growth");
    assert!(
        p.message.contains("kind = \\\"logistic\\\"") || p.message.contains("a table"),
        "{p}"
    );
    // office-hours peaks at about 3.0 x the weekly mean: 400,000/s x 3.0 x growth up to 3
    let src = NHPP.replace("rate_per_s = 0.5", "rate_per_s = 400_000");
    expect(
        &src,
        "arrivals.a",
        "[arrivals.a]",
        &["peaks at", "office-hours"],
    );
    let src = NHPP.replace("shape = \"office-hours\"", "shpe = \"office-hours\"");
    let ps = problems(&src);
    assert!(
        ps.iter()
            .any(|p| p.message.contains("unknown field `shpe`")),
        "{ps:#?}"
    );
}

#[test]
fn a_trace_with_a_shape_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n",
    )
    .unwrap();
    let src = NHPP.replace(
        "rate_per_s = 0.5",
        "process = \"trace\"\ntrace = \"t.csv\"\nshape = \"consumer\"",
    );
    let ps = problems_in(&src, &dir.path().join("s.toml"));
    let p = find(&ps, "arrivals.a.shape");
    assert_eq!(p.line_col.map(|l| l.0), Some(line_of(&src, "\"consumer\"")));
    assert!(p.message.contains("replayed as recorded"), "{p}");
    // without `shape`, `[workload]` leaves the trace alone
    let ok = src.replace("shape = \"consumer\"\n", "");
    let s = infersim::scenario::parse_str(&ok, &dir.path().join("s.toml")).unwrap();
    assert!(s.arrivals[0].modulation.is_none());
}

#[test]
fn a_run_that_starts_later_reads_the_growth_curve_at_its_own_dates() {
    // An epoch: the same scenario started a week later (Monday 12 January) for one day. The
    // curve keeps its origin (5 January), so the linear growth is already past 3x.
    let mut s = scenario_from_str(NHPP);
    let m = s.arrivals[0].modulation.clone().expect("modulated");
    let start = day(2026, 1, 12);
    s.start = Some(start);
    s.horizon = Some(infersim::engine::SimDuration::from_secs(86_400));
    let n = run(&s)[0].pools[0].arrivals as f64;
    let e = 0.5 * m.integral_s(start, day(2026, 1, 13));
    assert!(
        e > 0.5 * 86_400.0 * 5.0,
        "growth is read at the epoch's dates: {e}"
    );
    assert!(
        (n - e).abs() <= 3.0 * e.sqrt(),
        "{n} arrivals, expected {e}"
    );
}
