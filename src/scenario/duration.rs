//! Durations in scenario files: `"90s"`, `"15m"`, `"24h"`, `"1h 30m"`, `"250ms"`, or seconds.

use super::raw::RawDuration;
use crate::engine::SimDuration;

/// Parses a duration written with units (via `humantime`: ns, us, ms, s, m/min, h, d, w…,
/// several parts summed) or given as a number of seconds.
///
/// # Errors
/// A message saying what was expected and what was found, for an unknown unit, a missing
/// unit, a negative or NaN number, or a value beyond `u64` nanoseconds.
pub fn parse_duration(raw: &RawDuration) -> Result<SimDuration, String> {
    match raw {
        RawDuration::Seconds(s) => SimDuration::try_from_secs_f64(*s).map_err(|e| {
            format!("expected a duration such as \"90s\" or \"15m\", found {s} which {e}")
        }),
        RawDuration::Text(t) => {
            let d = humantime::parse_duration(t.trim()).map_err(|e| {
                format!(
                    "expected a duration such as \"90s\", \"15m\" or \"24h\", found {t:?} ({e})"
                )
            })?;
            SimDuration::try_from_std(d).map_err(|e| format!("duration {t:?} {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Result<SimDuration, String> {
        parse_duration(&RawDuration::Text(s.into()))
    }

    #[test]
    fn units_and_numbers() {
        assert_eq!(text("90s"), Ok(SimDuration::from_secs(90)));
        assert_eq!(text("15m"), Ok(SimDuration::from_secs(900)));
        assert_eq!(text("24h"), Ok(SimDuration::from_secs(86_400)));
        assert_eq!(text("1h 30m"), Ok(SimDuration::from_secs(5_400)));
        assert_eq!(text("250ms"), Ok(SimDuration(250_000_000)));
        assert_eq!(
            parse_duration(&RawDuration::Seconds(1.5)),
            Ok(SimDuration(1_500_000_000))
        );
    }

    #[test]
    fn bad_durations_say_what_was_expected() {
        for bad in ["", "15", "ten minutes", "-5s", "5 parsecs"] {
            let e = text(bad).unwrap_err();
            assert!(e.contains("expected a duration"), "{bad}: {e}");
        }
        assert!(
            parse_duration(&RawDuration::Seconds(-1.0))
                .unwrap_err()
                .contains("negative")
        );
        assert!(
            parse_duration(&RawDuration::Seconds(f64::NAN))
                .unwrap_err()
                .contains("NaN")
        );
    }
}
