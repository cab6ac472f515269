//! Weekly shapes: piecewise-constant rate multipliers over one week of local time (Monday
//! 00:00 first), normalised to mean 1 over the week, so that an arrival process's base rate
//! stays its weekly mean rate.
//!
//! Built in (bins of 1 h): `flat`, `office-hours`, `consumer`. Measured (bins of 600 s):
//! `servegen:<model>` from Alibaba's ServeGen production profiles (see [`super::servegen`]).

use super::servegen;

/// Seconds in a week.
pub const WEEK_S: u32 = 7 * 86_400;

/// The names of the built-in shapes, for messages (`servegen:<model>` take
/// [`servegen::MODELS`]).
pub const SHAPE_NAMES: [&str; 8] = [
    "flat",
    "office-hours",
    "consumer",
    "servegen:m-large",
    "servegen:m-mid",
    "servegen:m-small",
    "servegen:deepseek-r1",
    "servegen:mm-image",
];

/// A week of rate multipliers in bins of equal width.
#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyShape {
    name: String,
    bin_s: u32,
    values: Vec<f64>,
}

/// `office-hours`, relative rate per hour of a working day (Monday to Friday), before
/// normalisation. Illustrative, not measured: an enterprise assistant used by staff on one
/// time zone, busy 09:00–17:00 with a lunch dip, ramping from 07:00, a tail into the evening,
/// and a night floor of 5 % of the peak (batch jobs, stragglers, other time zones).
const OFFICE_WEEKDAY: [f64; 24] = [
    0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.08, 0.3, 0.7, 1.0, 1.0, 1.0, //
    0.8, 1.0, 1.0, 1.0, 0.9, 0.6, 0.3, 0.2, 0.15, 0.1, 0.08, 0.05,
];
/// `office-hours` on Saturday and Sunday: 8 % of a weekday peak all day.
const OFFICE_WEEKEND: f64 = 0.08;

/// `consumer`, relative rate per hour of a weekday, before normalisation. Illustrative, not
/// measured: a consumer chat product, trough 03:00–05:00 at a sixth of the peak, rising through
/// the day to an evening peak 19:00–22:00.
const CONSUMER_WEEKDAY: [f64; 24] = [
    0.6, 0.4, 0.25, 0.2, 0.2, 0.25, 0.35, 0.5, 0.65, 0.75, 0.8, 0.85, //
    0.9, 0.9, 0.85, 0.85, 0.9, 0.95, 1.0, 1.1, 1.2, 1.2, 1.0, 0.8,
];
/// `consumer` on Saturday and Sunday: the weekday's hours × 1.25 (busier weekends).
const CONSUMER_WEEKEND_FACTOR: f64 = 1.25;

impl WeeklyShape {
    /// The shape called `name` (one of [`SHAPE_NAMES`]).
    ///
    /// # Errors
    /// A message naming the valid shapes, for an unknown name.
    pub fn by_name(name: &str) -> Result<WeeklyShape, String> {
        let hourly = |weekday: &dyn Fn(usize) -> f64, weekend: &dyn Fn(usize) -> f64| {
            (0..7 * 24)
                .map(|h| {
                    if h / 24 < 5 {
                        weekday(h % 24)
                    } else {
                        weekend(h % 24)
                    }
                })
                .collect::<Vec<f64>>()
        };
        let values = match name {
            "flat" => vec![1.0; 7 * 24],
            "office-hours" => hourly(&|h| OFFICE_WEEKDAY[h], &|_| OFFICE_WEEKEND),
            "consumer" => hourly(&|h| CONSUMER_WEEKDAY[h], &|h| {
                CONSUMER_WEEKDAY[h] * CONSUMER_WEEKEND_FACTOR
            }),
            other => match other.strip_prefix("servegen:") {
                Some(model) => {
                    let week = servegen::weekly_rates(model)?;
                    return WeeklyShape::from_values(name, servegen::WINDOW_S, week);
                }
                None => {
                    return Err(format!(
                        "unknown shape {name:?}, expected one of: {}",
                        SHAPE_NAMES.join(", ")
                    ));
                }
            },
        };
        WeeklyShape::from_values(name, 3600, values)
    }

    /// A shape from relative rates per bin of `bin_s` seconds over a week (Monday 00:00
    /// first), normalised here to mean 1.
    ///
    /// # Errors
    /// A bin width that does not divide the week, a count of values other than week / bin,
    /// a negative or non-finite value, or values that are all 0.
    pub fn from_values(name: &str, bin_s: u32, values: Vec<f64>) -> Result<WeeklyShape, String> {
        if bin_s == 0 || !WEEK_S.is_multiple_of(bin_s) {
            return Err(format!(
                "a bin of {bin_s} s does not divide a week of {WEEK_S} s"
            ));
        }
        let bins = (WEEK_S / bin_s) as usize;
        if values.len() != bins {
            return Err(format!(
                "expected {bins} values (a week of {bin_s} s bins), found {}",
                values.len()
            ));
        }
        if let Some(v) = values.iter().find(|v| !v.is_finite() || **v < 0.0) {
            return Err(format!(
                "expected finite rates >= 0 in the shape, found {v}"
            ));
        }
        let mean = values.iter().sum::<f64>() / bins as f64;
        if mean <= 0.0 {
            return Err("the shape is 0 all week: no arrival could ever come".into());
        }
        Ok(WeeklyShape {
            name: name.to_string(),
            bin_s,
            values: values.into_iter().map(|v| v / mean).collect(),
        })
    }

    /// Its name (`office-hours`, `servegen:m-large`…).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Width of a bin [s] (3,600 for the built-in shapes, 600 for ServeGen).
    pub fn bin_s(&self) -> u32 {
        self.bin_s
    }

    /// Multiplier per bin, Monday 00:00 first; mean 1.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Whether every bin is 1 (`flat`).
    pub fn is_flat(&self) -> bool {
        self.values.iter().all(|v| *v == 1.0)
    }

    /// Multiplier at `week_s` seconds after Monday 00:00 (taken modulo a week).
    pub fn at_week_s(&self, week_s: u64) -> f64 {
        let s = week_s % u64::from(WEEK_S);
        self.values[(s / u64::from(self.bin_s)) as usize]
    }

    /// Mean over the week (1 up to rounding).
    pub fn mean(&self) -> f64 {
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }
}

/// Seconds from the Monday 00:00 on or before `dt` to `dt`, in [0, 604,800).
pub fn week_position_s(dt: jiff::civil::DateTime) -> f64 {
    let day = f64::from(dt.weekday().to_monday_zero_offset());
    day * 86_400.0
        + f64::from(dt.hour()) * 3600.0
        + f64::from(dt.minute()) * 60.0
        + f64::from(dt.second())
        + f64::from(dt.subsec_nanosecond()) * 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_has_mean_one() {
        for name in SHAPE_NAMES {
            let s = WeeklyShape::by_name(name).unwrap();
            assert!((s.mean() - 1.0).abs() < 1e-12, "{name}: {}", s.mean());
            assert_eq!(s.values().len() as u32 * s.bin_s(), WEEK_S, "{name}");
        }
    }

    #[test]
    fn office_hours_peak_on_weekday_mornings() {
        let s = WeeklyShape::by_name("office-hours").unwrap();
        let tue_10 = s.at_week_s(86_400 + 10 * 3600);
        let tue_03 = s.at_week_s(86_400 + 3 * 3600);
        let sat_10 = s.at_week_s(5 * 86_400 + 10 * 3600);
        assert!((tue_10 / tue_03 - 20.0).abs() < 1e-12);
        assert!((tue_10 / sat_10 - 12.5).abs() < 1e-12);
        let c = WeeklyShape::by_name("consumer").unwrap();
        assert!(c.at_week_s(5 * 86_400 + 20 * 3600) > c.at_week_s(20 * 3600));
    }

    #[test]
    fn unknown_and_bad_shapes_are_refused() {
        let e = WeeklyShape::by_name("diurnal").unwrap_err();
        assert!(
            e.contains("office-hours") && e.contains("servegen:m-large"),
            "{e}"
        );
        assert!(WeeklyShape::from_values("x", 3600, vec![0.0; 168]).is_err());
        assert!(WeeklyShape::from_values("x", 3600, vec![1.0; 167]).is_err());
        assert!(WeeklyShape::from_values("x", 11, vec![1.0; 54_981]).is_err());
        let mut v = vec![1.0; 168];
        v[3] = f64::NAN;
        assert!(WeeklyShape::from_values("x", 3600, v).is_err());
    }
}
