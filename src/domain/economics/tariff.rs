//! Energy prices by time of use: a price for every minute of the week.
//!
//! A tariff has a base price and periods (days of the week, a start and an end time of day,
//! a price). A period whose end is before its start runs across midnight into the next day
//! (a `mon` period from 22:00 to 06:00 covers Monday 22:00 to Tuesday 06:00). The price
//! changes exactly at period boundaries, which fall on whole minutes of the calendar clock;
//! the facility bills the energy drawn between two changes at the price in force (see
//! `domain::facility::runtime`), so billing is exact, whatever the reporting interval.

/// Minutes in a week.
pub const WEEK_MIN: u32 = 7 * 24 * 60;

/// Nanoseconds in a minute.
const MIN_NS: u64 = 60_000_000_000;

/// Nanoseconds in a week.
pub const WEEK_NS: u64 = WEEK_MIN as u64 * MIN_NS;

/// One time-of-use period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TouPeriod {
    /// Days it starts on, Monday first.
    pub days: [bool; 7],
    /// Start, minutes after midnight (0..1440).
    pub from_min: u32,
    /// End, minutes after midnight (1..=1440); at or before `from_min`: the next day.
    pub to_min: u32,
    /// Price [USD/kWh], finite and >= 0.
    pub usd_per_kwh: f64,
}

/// Two periods claim the same minute: `(first, second, minute of the week)` (indices in the
/// order given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap {
    /// Index of the earlier period.
    pub first: usize,
    /// Index of the later period.
    pub second: usize,
    /// A minute both cover (0 = Monday 00:00).
    pub minute: u32,
}

/// An energy price schedule over the week.
#[derive(Debug, Clone, PartialEq)]
pub struct Tariff {
    /// Distinct prices [USD/kWh]; band 0 is the base price.
    prices: Vec<f64>,
    /// Band of each minute of the week.
    band: Vec<u8>,
    /// Whether the price ever changes.
    flat: bool,
}

impl Tariff {
    /// One price at all times [USD/kWh].
    pub fn flat(usd_per_kwh: f64) -> Tariff {
        Tariff {
            prices: vec![usd_per_kwh],
            band: vec![0; WEEK_MIN as usize],
            flat: true,
        }
    }

    /// `base` [USD/kWh] outside the periods, each period's price inside it.
    ///
    /// # Errors
    /// The first pair of periods covering the same minute.
    pub fn time_of_use(base: f64, periods: &[TouPeriod]) -> Result<Tariff, Overlap> {
        let mut prices = vec![base];
        let mut owner: Vec<Option<usize>> = vec![None; WEEK_MIN as usize];
        let mut band = vec![0u8; WEEK_MIN as usize];
        for (i, p) in periods.iter().enumerate() {
            let b = match prices
                .iter()
                .position(|x| x.to_bits() == p.usd_per_kwh.to_bits())
            {
                Some(b) => b,
                None => {
                    prices.push(p.usd_per_kwh);
                    prices.len() - 1
                }
            };
            let len = if p.to_min > p.from_min {
                p.to_min - p.from_min
            } else {
                p.to_min + 1440 - p.from_min
            };
            for day in (0..7u32).filter(|&d| p.days[d as usize]) {
                let first = day * 1440 + p.from_min;
                for m in first..first + len {
                    let m = (m % WEEK_MIN) as usize;
                    if let Some(first) = owner[m] {
                        return Err(Overlap {
                            first,
                            second: i,
                            minute: m as u32,
                        });
                    }
                    owner[m] = Some(i);
                    band[m] = b as u8;
                }
            }
        }
        let flat = band
            .iter()
            .all(|&b| prices[b as usize] == prices[band[0] as usize]);
        Ok(Tariff { prices, band, flat })
    }

    /// The distinct prices [USD/kWh]; band `b` costs `prices()[b]`.
    pub fn prices(&self) -> &[f64] {
        &self.prices
    }

    /// Whether one price holds at all times.
    pub fn is_flat(&self) -> bool {
        self.flat
    }

    /// The band in force `week_ns` nanoseconds after Monday 00:00 (taken modulo a week).
    pub fn band_at(&self, week_ns: u64) -> usize {
        self.band[((week_ns % WEEK_NS) / MIN_NS) as usize] as usize
    }

    /// The price in force `week_ns` after Monday 00:00 [USD/kWh].
    pub fn price_at(&self, week_ns: u64) -> f64 {
        self.prices[self.band_at(week_ns)]
    }

    /// ∫ price dt over the `len_ns` nanoseconds from `week_ns` after Monday 00:00 (any
    /// multiple of weeks) [USD/kWh · s]: what one kW drawn throughout costs, times 3600.
    pub fn price_integral(&self, week_ns: u64, len_ns: u64) -> f64 {
        let end = week_ns.saturating_add(len_ns);
        let (mut t, mut sum) = (week_ns, 0.0);
        while t < end {
            let next = self
                .next_change(t)
                .map_or(end, |d| t.saturating_add(d).min(end));
            sum += self.price_at(t) * (next - t) as f64;
            t = next;
        }
        sum * 1e-9
    }

    /// Nanoseconds from `week_ns` (after Monday 00:00, any multiple of weeks) to the next
    /// change of band; `None` for a flat tariff.
    pub fn next_change(&self, week_ns: u64) -> Option<u64> {
        if self.flat {
            return None;
        }
        let pos = week_ns % WEEK_NS;
        let cur = self.band[(pos / MIN_NS) as usize];
        let mut m = pos / MIN_NS + 1;
        // Within one week every band of a non-flat tariff changes.
        loop {
            if self.band[(m % WEEK_MIN as u64) as usize] != cur {
                return Some(m * MIN_NS - pos);
            }
            m += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEEKDAYS: [bool; 7] = [true, true, true, true, true, false, false];

    fn peak() -> Tariff {
        Tariff::time_of_use(
            0.10,
            &[
                TouPeriod {
                    days: WEEKDAYS,
                    from_min: 8 * 60,
                    to_min: 20 * 60,
                    usd_per_kwh: 0.25,
                },
                // Friday night into Saturday morning, across midnight.
                TouPeriod {
                    days: [false, false, false, false, true, false, false],
                    from_min: 22 * 60,
                    to_min: 6 * 60,
                    usd_per_kwh: 0.05,
                },
            ],
        )
        .unwrap()
    }

    #[test]
    fn prices_by_minute_of_the_week() {
        let t = peak();
        let at = |day: u64, h: u64, m: u64| t.price_at((day * 1440 + h * 60 + m) * MIN_NS);
        assert_eq!(at(0, 7, 59), 0.10);
        assert_eq!(at(0, 8, 0), 0.25);
        assert_eq!(at(0, 19, 59), 0.25);
        assert_eq!(at(0, 20, 0), 0.10);
        assert_eq!(at(4, 21, 59), 0.10);
        assert_eq!(at(4, 22, 0), 0.05);
        assert_eq!(
            at(5, 5, 59),
            0.05,
            "Saturday early: the Friday night period"
        );
        assert_eq!(at(5, 6, 0), 0.10);
        assert_eq!(at(5, 12, 0), 0.10, "weekend day: base");
        assert_eq!(t.prices(), &[0.10, 0.25, 0.05]);
        assert!(!t.is_flat());
    }

    #[test]
    fn next_change_lands_on_the_boundary_and_wraps_the_week() {
        let t = peak();
        // Monday 07:30 -> 08:00.
        assert_eq!(t.next_change(450 * MIN_NS), Some(30 * MIN_NS));
        // Exactly on a boundary: the next one (20:00).
        assert_eq!(t.next_change(480 * MIN_NS), Some(12 * 60 * MIN_NS));
        // Saturday 06:00 -> Monday 08:00 (weekend at base), across the week's end.
        let sat6 = (5 * 1440 + 360) * MIN_NS;
        assert_eq!(t.next_change(sat6), Some((2 * 1440 - 360 + 480) * MIN_NS));
        // Any number of weeks later, the same answer.
        assert_eq!(
            t.next_change(sat6 + 3 * WEEK_NS),
            Some((2 * 1440 + 120) * MIN_NS)
        );
        assert_eq!(Tariff::flat(0.1).next_change(0), None);
    }

    #[test]
    fn price_integral_sums_each_band_over_its_time() {
        let t = peak();
        let h = 3600.0;
        // A week: weekdays 12 h at 0.25, Friday night 8 h at 0.05, the rest at 0.10.
        let week = 5.0 * 12.0 * h * 0.25 + 8.0 * h * 0.05 + (168.0 - 68.0) * h * 0.10;
        assert!((t.price_integral(0, WEEK_NS) - week).abs() < 1e-9 * week);
        // Monday 07:30 for an hour: half at base, half at the peak; weeks later the same.
        let x = 0.5 * h * 0.10 + 0.5 * h * 0.25;
        let from = 450 * MIN_NS;
        assert!((t.price_integral(from, 60 * MIN_NS) - x).abs() < 1e-12);
        assert!((t.price_integral(from + 5 * WEEK_NS, 60 * MIN_NS) - x).abs() < 1e-12);
        // Three weeks from Wednesday noon: three weeks.
        let wed = (2 * 1440 + 720) * MIN_NS;
        assert!((t.price_integral(wed, 3 * WEEK_NS) - 3.0 * week).abs() < 1e-9 * week);
        assert!((Tariff::flat(0.2).price_integral(123, 10 * MIN_NS) - 120.0).abs() < 1e-9);
        assert_eq!(t.price_integral(from, 0), 0.0);
    }

    #[test]
    fn overlapping_periods_are_refused() {
        let p = TouPeriod {
            days: WEEKDAYS,
            from_min: 8 * 60,
            to_min: 20 * 60,
            usd_per_kwh: 0.25,
        };
        let q = TouPeriod {
            days: [true; 7],
            from_min: 19 * 60,
            to_min: 21 * 60,
            usd_per_kwh: 0.3,
        };
        let e = Tariff::time_of_use(0.1, &[p, q]).unwrap_err();
        assert_eq!((e.first, e.second, e.minute), (0, 1, 19 * 60));
    }

    #[test]
    fn periods_at_the_base_price_make_a_flat_tariff() {
        let p = TouPeriod {
            days: [true; 7],
            from_min: 0,
            to_min: 600,
            usd_per_kwh: 0.1,
        };
        assert!(Tariff::time_of_use(0.1, &[p]).unwrap().is_flat());
    }
}
