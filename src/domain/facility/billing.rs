//! The site's energy meter: facility power integrated separately per tariff band, so that
//! energy is billed at the price in force when it was drawn, exactly at band boundaries.
//!
//! The meter holds the site's facility power (µW) in the level of the band in force; at a
//! band change (a background event at the tariff's next boundary) the whole level moves to
//! the new band's level at that instant. Each band's integral [µW·ns] times its price is
//! its bill; nothing is sampled.

use crate::domain::economics::Tariff;
use crate::engine::{SimDuration, SimTime};
use crate::metrics::WindowedLevel;

/// Facility energy drawn in one tariff band over one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct BandResult {
    /// The band's price [USD/kWh].
    pub usd_per_kwh: f64,
    /// ∫ site facility power dt while the band was in force [µW·ns].
    pub integral: i128,
    /// The same per window.
    pub windows: Vec<i128>,
}

/// The meter at run time.
#[derive(Debug)]
pub struct BillingMeter {
    tariff: Tariff,
    /// Nanoseconds from the Monday 00:00 before simulated time 0 to it.
    week_offset_ns: u64,
    band: usize,
    bands: Vec<WindowedLevel>,
}

impl BillingMeter {
    /// A meter at 0 µW for `tariff`, simulated time 0 being `week_offset_ns` after a Monday
    /// 00:00; windows of `interval`.
    pub fn new(tariff: &Tariff, week_offset_ns: u64, interval: SimDuration) -> BillingMeter {
        BillingMeter {
            tariff: tariff.clone(),
            week_offset_ns,
            band: tariff.band_at(week_offset_ns),
            bands: tariff
                .prices()
                .iter()
                .map(|_| WindowedLevel::new(interval))
                .collect(),
        }
    }

    /// The site's facility power changes by `delta_uw` at `now`.
    #[inline]
    pub fn add(&mut self, now: SimTime, delta_uw: i64) {
        self.bands[self.band].add(now, delta_uw);
    }

    /// When the band next changes after `now`; `None` for a flat tariff.
    pub fn next_change(&self, now: SimTime) -> Option<SimTime> {
        let pos = self.week_offset_ns.wrapping_add(now.0);
        self.tariff
            .next_change(pos)
            .and_then(|d| now.0.checked_add(d))
            .map(SimTime)
    }

    /// Moves the power to the band in force at `now` (a no-op when it has not changed).
    pub fn switch(&mut self, now: SimTime) {
        let band = self.tariff.band_at(self.week_offset_ns.wrapping_add(now.0));
        if band != self.band {
            let level = self.bands[self.band].level();
            if level != 0 {
                self.bands[self.band].add(now, -level);
                self.bands[band].add(now, level);
            }
            self.band = band;
        }
    }

    /// Closes every band at `end`.
    pub fn finish(self, end: SimTime) -> Vec<BandResult> {
        self.bands
            .into_iter()
            .zip(self.tariff.prices())
            .map(|(l, &usd_per_kwh)| {
                let (integral, windows) = l.finish(end);
                BandResult {
                    usd_per_kwh,
                    integral,
                    windows,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::economics::tariff::TouPeriod;

    const H: u64 = 3_600_000_000_000;

    #[test]
    fn a_constant_power_is_billed_by_band_at_the_boundaries() {
        // 0.10 base, 0.30 from 08:00 to 20:00 every day; start Monday 06:00.
        let t = Tariff::time_of_use(
            0.10,
            &[TouPeriod {
                days: [true; 7],
                from_min: 480,
                to_min: 1200,
                usd_per_kwh: 0.30,
            }],
        )
        .unwrap();
        let mut m = BillingMeter::new(&t, 6 * H, SimDuration(H));
        m.add(SimTime::ZERO, 1_000_000_000); // 1 kW
        let mut now = SimTime::ZERO;
        while let Some(next) = m.next_change(now) {
            if next.0 > 30 * H {
                break;
            }
            m.switch(next);
            now = next;
        }
        let bands = m.finish(SimTime(30 * H));
        // 30 h from Monday 06:00: 2 h base, 12 h peak, 12 h base, 4 h peak.
        let kwh: Vec<f64> = bands.iter().map(|b| b.integral as f64 / 3.6e21).collect();
        assert_eq!(kwh, vec![14.0, 16.0]);
        // Hourly windows: hour 2 (08:00–09:00) is all peak.
        assert_eq!(bands[1].windows[2], 1_000_000_000 * H as i128);
        assert_eq!(bands[0].windows[2], 0);
    }
}
