//! The ServeGen production rate profiles, folded into one week.
//!
//! Source: Alibaba ServeGen (<https://github.com/alibaba/ServeGen>, Apache-2.0), the summed
//! request rate of all clients of one served model per 600 s window, copied unchanged with
//! its licence into `catalog/profiles/servegen/` and embedded here, so the binary needs no
//! data file. Only the *shape* of `total_rate_rps` is used; the scenario gives the rate.
//!
//! Assumption: window 0 starts on a Monday at 00:00 local time (the data does not say which
//! weekday it starts on). `m-large`, `m-mid` and `m-small` have 14 days: bin i of the week is
//! the mean of windows i and i + 1,008 (the two weeks averaged). `deepseek-r1` and `mm-image`
//! have one day: every day of the week is that day.

/// The embedded CSV: `model,window_start_s,total_rate_rps,active_clients,max_client_cv`.
pub const CSV: &str = include_str!("../../../catalog/profiles/servegen/aggregate_rate_600s.csv");

/// Width of a ServeGen window [s].
pub const WINDOW_S: u32 = 600;

/// The models of the profile.
pub const MODELS: [&str; 5] = ["m-large", "m-mid", "m-small", "deepseek-r1", "mm-image"];

const WEEK_BINS: usize = (super::shape::WEEK_S / WINDOW_S) as usize;
const DAY_BINS: usize = 86_400 / WINDOW_S as usize;

/// The rates [1/s] of `model`'s windows, in file order, checked to start at 0 and follow one
/// another every 600 s.
///
/// # Errors
/// An unknown model (listing the valid ones), or a malformed embedded file (a bug).
pub fn windows(model: &str) -> Result<Vec<f64>, String> {
    if !MODELS.contains(&model) {
        return Err(format!(
            "unknown ServeGen model {model:?}, expected one of: {}",
            MODELS.map(|m| format!("servegen:{m}")).join(", ")
        ));
    }
    let mut rates = Vec::new();
    for (i, line) in CSV.lines().enumerate().skip(1) {
        let mut cols = line.split(',');
        if cols.next() != Some(model) {
            continue;
        }
        let bad = || format!("servegen CSV line {}: malformed row {line:?}", i + 1);
        let start: u64 = cols.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        let rate: f64 = cols.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
        if start != rates.len() as u64 * u64::from(WINDOW_S) {
            return Err(bad());
        }
        rates.push(rate);
    }
    Ok(rates)
}

/// One week of `model`'s rates [1/s] in 600 s bins, Monday 00:00 first (not normalised):
/// two weeks averaged bin by bin, or one day repeated seven times.
///
/// # Errors
/// As [`windows`], or a model whose length is neither one day nor two weeks.
pub fn weekly_rates(model: &str) -> Result<Vec<f64>, String> {
    let w = windows(model)?;
    match w.len() {
        n if n == 2 * WEEK_BINS => Ok((0..WEEK_BINS)
            .map(|i| (w[i] + w[i + WEEK_BINS]) / 2.0)
            .collect()),
        DAY_BINS => Ok((0..WEEK_BINS).map(|i| w[i % DAY_BINS]).collect()),
        n => Err(format!(
            "servegen model {model}: {n} windows, expected one day ({DAY_BINS}) or two weeks ({})",
            2 * WEEK_BINS
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_folds_into_a_week() {
        for m in MODELS {
            assert_eq!(weekly_rates(m).unwrap().len(), WEEK_BINS, "{m}");
        }
        assert!(windows("gpt-9").unwrap_err().contains("servegen:m-mid"));
    }
}
