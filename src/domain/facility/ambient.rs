//! Outdoor (ambient) temperature over simulated time: a constant, a seasonal and diurnal
//! cosine curve on the calendar of the scenario's start, or a measured series read from CSV.
//!
//! Simulated time 0 is the scenario's `start` (a civil date-time, no time zone); a time
//! `t_s` [s] maps to the calendar time `start + t_s`.

use std::f64::consts::PI;
use std::path::Path;

use jiff::SignedDuration;
use jiff::civil::DateTime;

/// Lowest ambient temperature a series may hold [°C] (below the coldest inhabited sites).
pub const MIN_AMBIENT_C: f64 = -60.0;
/// Highest ambient temperature a series may hold [°C] (above the hottest recorded, 56.7 °C).
pub const MAX_AMBIENT_C: f64 = 70.0;
/// Longest time between consecutive points of a series [s] (6 h): a longer gap would be
/// bridged by a straight line across a day's swing.
pub const MAX_GAP_S: f64 = 6.0 * 3600.0;
/// Days in the seasonal period of [`Ambient::Curve`] (the mean Julian year).
pub const YEAR_DAYS: f64 = 365.25;

/// Outdoor temperature over time.
#[derive(Debug, Clone, PartialEq)]
pub enum Ambient {
    /// The same temperature `c` [°C] at all times.
    Constant {
        /// Temperature [°C].
        c: f64,
    },
    /// `mean + seasonal · cos(2π(doy − peak_day)/365.25) + diurnal · cos(2π(hour − peak_hour)/24)`
    /// on the calendar time `start + t`.
    ///
    /// `hour` is the fractional hour of the day in [0, 24); `doy` is the day of the year
    /// (1 = 1 January) counted at noon and fractional elsewhere (`day_of_year + (hour − 12)/24`),
    /// so the curve has no step at midnight and peaks exactly on `peak_day_of_year` at noon.
    /// (At new year `doy` jumps back by 365 or 366 days of a 365.25-day period: a step of at
    /// most 0.4 % of the seasonal amplitude.)
    Curve {
        /// Annual mean [°C].
        mean_c: f64,
        /// Half the day's swing [°C] (>= 0).
        diurnal_amplitude_c: f64,
        /// Hour of the day's maximum, in [0, 24) (typically 14–16).
        peak_hour: f64,
        /// Half the year's swing of the daily means [°C] (>= 0).
        seasonal_amplitude_c: f64,
        /// Day of the year of the warmest day, in [1, 366] (typically ~200 in the north).
        peak_day_of_year: f64,
    },
    /// Points `(t [s since start], temperature [°C])` in strictly increasing time, linearly
    /// interpolated, held constant before the first and after the last point.
    Series(Vec<(f64, f64)>),
}

impl Ambient {
    /// Ambient temperature [°C] at `t_s` [s since the scenario start `start`].
    ///
    /// Never panics. A curve read at a non-finite time or one outside jiff's calendar
    /// (years −9999..=9999) gives its `mean_c`; an empty series (refused by [`Ambient::check`])
    /// gives NaN; a series read at NaN gives its first value.
    pub fn at(&self, t_s: f64, start: DateTime) -> f64 {
        match self {
            Ambient::Constant { c } => *c,
            Ambient::Curve {
                mean_c,
                diurnal_amplitude_c,
                peak_hour,
                seasonal_amplitude_c,
                peak_day_of_year,
            } => {
                let Some((doy, hour)) = calendar(start, t_s) else {
                    return *mean_c;
                };
                mean_c
                    + seasonal_amplitude_c * (2.0 * PI * (doy - peak_day_of_year) / YEAR_DAYS).cos()
                    + diurnal_amplitude_c * (2.0 * PI * (hour - peak_hour) / 24.0).cos()
            }
            Ambient::Series(points) => interpolate(points, t_s),
        }
    }

    /// Checks the parameters: every number finite, amplitudes >= 0, `peak_hour` in [0, 24),
    /// `peak_day_of_year` in [1, 366]; a series non-empty, finite, temperatures in
    /// [`MIN_AMBIENT_C`]..=[`MAX_AMBIENT_C`], times strictly increasing.
    ///
    /// # Errors
    /// The first problem, naming the field and what was expected.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Ambient::Constant { c } => {
                finite("constant_c", *c)?;
                in_range("constant_c", *c)
            }
            Ambient::Curve {
                mean_c,
                diurnal_amplitude_c,
                peak_hour,
                seasonal_amplitude_c,
                peak_day_of_year,
            } => {
                finite("mean_c", *mean_c)?;
                non_negative("diurnal_amplitude_c", *diurnal_amplitude_c)?;
                non_negative("seasonal_amplitude_c", *seasonal_amplitude_c)?;
                if !(0.0..24.0).contains(peak_hour) {
                    return Err(format!(
                        "peak_hour: expected an hour in [0, 24), found {peak_hour}"
                    ));
                }
                if !(1.0..=366.0).contains(peak_day_of_year) {
                    return Err(format!(
                        "peak_day: expected a day of the year in [1, 366], found {peak_day_of_year}"
                    ));
                }
                let swing = diurnal_amplitude_c + seasonal_amplitude_c;
                in_range("mean_c - amplitudes", mean_c - swing)?;
                in_range("mean_c + amplitudes", mean_c + swing)
            }
            Ambient::Series(points) => {
                if points.is_empty() {
                    return Err("series: expected at least one point, found none".into());
                }
                for (i, &(t, c)) in points.iter().enumerate() {
                    if !t.is_finite() || !c.is_finite() {
                        return Err(format!(
                            "series point {i}: expected finite numbers, found ({t}, {c})"
                        ));
                    }
                    if !(MIN_AMBIENT_C..=MAX_AMBIENT_C).contains(&c) {
                        return Err(format!(
                            "series point {i}: expected a temperature in {MIN_AMBIENT_C}..={MAX_AMBIENT_C} °C, found {c}"
                        ));
                    }
                    if i > 0 && t <= points[i - 1].0 {
                        return Err(format!(
                            "series point {i}: expected times strictly increasing, found {t} s after {} s",
                            points[i - 1].0
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

fn finite(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("{name}: expected a finite number, found {v}"))
    }
}

/// `value` within [`MIN_AMBIENT_C`]..=[`MAX_AMBIENT_C`].
fn in_range(name: &str, value: f64) -> Result<(), String> {
    if (MIN_AMBIENT_C..=MAX_AMBIENT_C).contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{name}: expected an outdoor temperature from {MIN_AMBIENT_C} to {MAX_AMBIENT_C} °C, found {value}"
        ))
    }
}

fn non_negative(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("{name}: expected a finite number >= 0, found {v}"))
    }
}

/// `(doy, hour)` of the calendar time `start + t_s` (see [`Ambient::Curve`]); `None` when
/// `t_s` is not finite or the time falls outside jiff's calendar.
fn calendar(start: DateTime, t_s: f64) -> Option<(f64, f64)> {
    let whole = t_s.floor();
    let dt = start
        .checked_add(SignedDuration::try_from_secs_f64(whole).ok()?)
        .ok()?;
    let second_of_day = f64::from(dt.hour()) * 3600.0
        + f64::from(dt.minute()) * 60.0
        + f64::from(dt.second())
        + f64::from(dt.subsec_nanosecond()) * 1e-9
        + (t_s - whole);
    let hour = second_of_day / 3600.0;
    let doy = f64::from(dt.day_of_year()) + (hour - 12.0) / 24.0;
    Some((doy, hour))
}

/// Linear interpolation in `points` (sorted by time), held at the ends; NaN when empty.
fn interpolate(points: &[(f64, f64)], t_s: f64) -> f64 {
    let i = points.partition_point(|p| p.0 <= t_s);
    match (i.checked_sub(1).and_then(|j| points.get(j)), points.get(i)) {
        (None, Some(first)) => first.1,
        (Some(last), None) => last.1,
        (Some(&(t0, c0)), Some(&(t1, c1))) => c0 + (c1 - c0) * (t_s - t0) / (t1 - t0),
        (None, None) => f64::NAN,
    }
}

/// The two accepted headers: time column name and what it holds.
const TIME_COLUMNS: [&str; 2] = ["time_s", "datetime"];

/// Reads an ambient series from a CSV file with the header `time_s,ambient_c` (seconds since
/// the scenario start) or `datetime,ambient_c` (a civil ISO date-time such as
/// `2026-07-15T14:00`, no time zone, converted to seconds since `start`; rows before `start`
/// are kept for interpolation). Fields are trimmed; blank lines are skipped.
///
/// Returns the points `(t [s since start], ambient [°C])` for [`Ambient::Series`].
///
/// # Errors
/// The first problem as `FILE:LINE: column NAME: expected ..., found ...` (the header is line
/// 1): a file that cannot be read, a wrong header, a row with other than two fields, a value
/// that is not a number or date-time, a non-finite number, a temperature outside
/// [`MIN_AMBIENT_C`]..=[`MAX_AMBIENT_C`] °C, times not strictly increasing (unsorted or
/// duplicate), a gap longer than [`MAX_GAP_S`] between consecutive points, no data row.
pub fn read_ambient_csv(path: &Path, start: DateTime) -> Result<Vec<(f64, f64)>, String> {
    let file = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| format!("{file}: cannot read the file: {e}"))?;
    let header = reader
        .headers()
        .map_err(|e| format!("{file}:1: expected a CSV header, found unreadable text ({e})"))?
        .clone();
    let by_datetime = match (header.len(), header.get(0), header.get(1)) {
        (2, Some(t), Some("ambient_c")) if TIME_COLUMNS.contains(&t) => t == "datetime",
        _ => {
            return Err(format!(
                "{file}:1: expected the header `time_s,ambient_c` or `datetime,ambient_c`, found `{}`",
                header.iter().collect::<Vec<_>>().join(",")
            ));
        }
    };
    let time_col = if by_datetime { "datetime" } else { "time_s" };
    let mut points: Vec<(f64, f64)> = Vec::new();
    let mut prev_line = 1;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(prev_line + 1, |p| p.line());
            let found = match e.kind() {
                csv::ErrorKind::UnequalLengths { len, .. } => format!("{len} fields"),
                _ => format!("unreadable text ({e})"),
            };
            format!("{file}:{line}: expected two fields `{time_col},ambient_c`, found {found}")
        })?;
        let line = record.position().map_or(prev_line + 1, |p| p.line());
        let at = |col: &str, msg: String| format!("{file}:{line}: column {col}: {msg}");
        let raw_t = record.get(0).unwrap_or_default();
        let t = if by_datetime {
            parse_datetime(raw_t, start)
        } else {
            parse_finite(raw_t, "a number of seconds since the start")
        }
        .map_err(|m| at(time_col, m))?;
        let c = parse_finite(record.get(1).unwrap_or_default(), "a temperature [°C]")
            .map_err(|m| at("ambient_c", m))?;
        if !(MIN_AMBIENT_C..=MAX_AMBIENT_C).contains(&c) {
            return Err(at(
                "ambient_c",
                format!(
                    "expected a temperature in {MIN_AMBIENT_C}..={MAX_AMBIENT_C} °C, found {c}"
                ),
            ));
        }
        if let Some(&(t_prev, _)) = points.last() {
            if t <= t_prev {
                let what = if t == t_prev {
                    "a duplicate"
                } else {
                    "an earlier"
                };
                return Err(at(
                    time_col,
                    format!(
                        "expected times strictly increasing, found {what} time ({t} s since the start, line {prev_line} has {t_prev} s)"
                    ),
                ));
            }
            if t - t_prev > MAX_GAP_S {
                return Err(at(
                    time_col,
                    format!(
                        "expected at most 6 h (21600 s) between consecutive points, found a gap of {} s since line {prev_line}",
                        t - t_prev
                    ),
                ));
            }
        }
        points.push((t, c));
        prev_line = line;
    }
    if points.is_empty() {
        return Err(format!(
            "{file}:2: expected at least one data row after the header, found none"
        ));
    }
    Ok(points)
}

/// A finite number, or a message saying `expected`.
fn parse_finite(raw: &str, expected: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(v) => Err(format!("expected {expected} (finite), found {v}")),
        Err(_) => Err(format!("expected {expected}, found {raw:?} (not a number)")),
    }
}

/// Seconds from `start` to the civil date-time `raw` (no time zone or offset allowed).
fn parse_datetime(raw: &str, start: DateTime) -> Result<f64, String> {
    const EXAMPLE: &str = "2026-07-15T14:00";
    // jiff reads and drops an offset such as `+02:00`: refuse any zone in the time part.
    let time_part = raw.get(10..).unwrap_or_default();
    let zoned = time_part.contains(['+', 'Z', 'z', '['])
        || time_part.get(1..).is_some_and(|s| s.contains('-'));
    match raw.parse::<DateTime>() {
        Ok(dt) if !zoned => Ok(dt.duration_since(start).as_secs_f64()),
        _ => Err(format!(
            "expected a local date-time without time zone such as {EXAMPLE}, found {raw:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn dt(s: &str) -> DateTime {
        s.parse().expect("test date-times are valid")
    }

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} vs {b}");
    }

    const CURVE: Ambient = Ambient::Curve {
        mean_c: 15.0,
        diurnal_amplitude_c: 5.0,
        peak_hour: 15.0,
        seasonal_amplitude_c: 10.0,
        peak_day_of_year: 196.0, // 15 July in a common year
    };

    #[test]
    fn curve_at_hand_computed_dates() {
        let start = dt("2026-01-01T00:00");
        let s = |to: &str| dt(to).duration_since(start).as_secs_f64();
        // Peak day at noon: 15 + 10 + 5·cos(−π/4) = 25 + 3.5355339.
        close(CURVE.at(s("2026-07-15T12:00"), start), 28.535_533_9, 1e-6);
        // 14 Oct (day 287) 19:30: doy = 287.3125 = peak + 365.25/4, seasonal term 0;
        // diurnal 5·cos(2π·4.5/24) = 5·cos(3π/8) = 1.9134172.
        close(CURVE.at(s("2026-10-14T19:30"), start), 16.913_417_2, 1e-6);
        // 15 July 03:00: doy = 195.625, 10·cos(2π·0.375/365.25) = 9.999792; diurnal −5.
        close(CURVE.at(s("2026-07-15T03:00"), start), 19.999_792, 1e-5);
        // The same calendar time from another start and with fractional hours.
        let late = dt("2026-07-14T18:00");
        close(CURVE.at(18.0 * 3600.0, late), 28.535_533_9, 1e-6);
        close(
            CURVE.at(s("2026-10-14T19:00") + 1800.0, start),
            16.913_417_2,
            1e-6,
        );
        // Continuous through midnight.
        let m = s("2026-07-16T00:00");
        close(CURVE.at(m - 1e-3, start), CURVE.at(m, start), 1e-5);
        // Non-finite or out-of-calendar times read the mean.
        assert_eq!(CURVE.at(f64::NAN, start), 15.0);
        assert_eq!(CURVE.at(1e15, start), 15.0);
        assert_eq!(Ambient::Constant { c: 7.5 }.at(1e9, start), 7.5);
    }

    #[test]
    fn series_interpolates_and_holds() {
        let a = Ambient::Series(vec![(0.0, 10.0), (3600.0, 20.0), (7200.0, 14.0)]);
        let start = dt("2026-01-01T00:00");
        assert_eq!(a.at(-5.0, start), 10.0);
        assert_eq!(a.at(0.0, start), 10.0);
        assert_eq!(a.at(1800.0, start), 15.0);
        assert_eq!(a.at(3600.0, start), 20.0);
        assert_eq!(a.at(5400.0, start), 17.0);
        assert_eq!(a.at(9000.0, start), 14.0);
        assert!(Ambient::Series(vec![]).at(0.0, start).is_nan());
    }

    #[test]
    fn check_refuses_bad_parameters() {
        assert!(CURVE.check().is_ok());
        assert!(Ambient::Constant { c: f64::NAN }.check().is_err());
        let curve = |d: f64, h: f64, day: f64| Ambient::Curve {
            mean_c: 10.0,
            diurnal_amplitude_c: d,
            peak_hour: h,
            seasonal_amplitude_c: 1.0,
            peak_day_of_year: day,
        };
        assert!(curve(0.0, 0.0, 1.0).check().is_ok());
        assert!(curve(0.0, 23.9, 366.0).check().is_ok());
        let e = curve(-1.0, 15.0, 200.0).check().unwrap_err();
        assert!(e.contains("diurnal_amplitude_c"), "{e}");
        assert!(
            curve(1.0, 24.0, 200.0)
                .check()
                .unwrap_err()
                .contains("peak_hour")
        );
        assert!(
            curve(1.0, 15.0, 0.5)
                .check()
                .unwrap_err()
                .contains("peak_day")
        );
        assert!(curve(1.0, 15.0, f64::NAN).check().is_err());
        assert!(Ambient::Series(vec![]).check().is_err());
        assert!(
            Ambient::Series(vec![(1.0, 2.0), (1.0, 3.0)])
                .check()
                .is_err()
        );
        assert!(Ambient::Series(vec![(1.0, 80.0)]).check().is_err());
    }

    fn csv(text: &str) -> (tempfile::NamedTempFile, Result<Vec<(f64, f64)>, String>) {
        let mut f = tempfile::NamedTempFile::new().expect("a temp file can be created");
        f.write_all(text.as_bytes())
            .expect("the temp file is writable");
        let r = read_ambient_csv(f.path(), dt("2026-07-15T00:00"));
        (f, r)
    }

    #[test]
    fn csv_reads_both_headers() {
        let (_f, r) = csv("time_s,ambient_c\n-100,9\n\n0,10\n3600, 12.5\n");
        assert_eq!(r, Ok(vec![(-100.0, 9.0), (0.0, 10.0), (3600.0, 12.5)]));
        let (_f, r) = csv("datetime,ambient_c\n2026-07-14T22:00,18\n2026-07-15 02:00:30,16\n");
        assert_eq!(r, Ok(vec![(-7200.0, 18.0), (7230.0, 16.0)]));
        let (_f, r) = csv("time_s,ambient_c\n0,70\n21600,-60\n");
        assert_eq!(r, Ok(vec![(0.0, 70.0), (21600.0, -60.0)]));
    }

    #[test]
    fn csv_errors_name_file_line_and_expectation() {
        let cases: [(&str, &str, &str); 15] = [
            (
                "time_s,ambient_c\n0,10\nabc,11\n",
                ":3: column time_s",
                "not a number",
            ),
            (
                "time_s,ambient_c\n0,warm\n",
                ":2: column ambient_c",
                "not a number",
            ),
            (
                "time_s,ambient_c\n0,inf\n",
                ":2: column ambient_c",
                "finite",
            ),
            ("time_s,ambient_c\nNaN,1\n", ":2: column time_s", "finite"),
            (
                "time_s,ambient_c\n0,70.5\n",
                ":2: column ambient_c",
                "-60..=70",
            ),
            (
                "time_s,ambient_c\n0,1\n10,-61\n",
                ":3: column ambient_c",
                "-60..=70",
            ),
            (
                "time_s,ambient_c\n0,1\n10,2\n5,3\n",
                ":4: column time_s",
                "strictly increasing",
            ),
            (
                "time_s,ambient_c\n0,1\n0,2\n",
                ":3: column time_s",
                "duplicate",
            ),
            (
                "time_s,ambient_c\n0,1\n21601,2\n",
                ":3: column time_s",
                "gap of 21601 s",
            ),
            ("time_s,ambient_c\n", ":2:", "at least one data row"),
            ("time,temp\n0,1\n", ":1:", "expected the header"),
            ("", ":1:", "expected the header"),
            ("time_s,ambient_c\n0,1,2\n", ":2:", "found 3 fields"),
            (
                "datetime,ambient_c\n15/07/2026 14:00,1\n",
                ":2: column datetime",
                "2026-07-15T14:00",
            ),
            (
                "datetime,ambient_c\n2026-07-15T14:00+02:00,1\n",
                ":2: column datetime",
                "without time zone",
            ),
        ];
        for (text, place, what) in cases {
            let (f, r) = csv(text);
            let e = r.expect_err(text);
            let name = f.path().display().to_string();
            assert!(e.starts_with(&format!("{name}{place}")), "{text:?}: {e}");
            assert!(e.contains(what), "{text:?}: {e}");
        }
        let missing = Path::new("/nonexistent/ambient.csv");
        let e = read_ambient_csv(missing, dt("2026-07-15T00:00")).unwrap_err();
        assert!(
            e.starts_with("/nonexistent/ambient.csv: cannot read"),
            "{e}"
        );
    }
}
