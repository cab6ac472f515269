//! Cooling per rack type against the ambient temperature: the heat a rack's cooling can
//! remove, and the electrical power the cooling plant draws for it (its coefficient of
//! performance, COP); with them, facility power and PUE.
//!
//! # Capacity
//!
//! ```text
//! capacity_kw = rated_kw · max(0, 1 − derate_per_c · max(0, ambient_c − rated_at_c))
//! ```
//!
//! The plant holds its rated heat removal up to `rated_at_c` and loses `derate_per_c` of it
//! per °C above (a hotter condenser or warmer facility water removes less heat).
//!
//! # COP (heat removed / electrical power of the plant, fans and pumps included)
//!
//! ```text
//! ambient <= free_below_c:          cop_free                      (free cooling, economiser)
//! free_below_c < ambient < ref_c:   linear from cop_free to cop_at_ref (partial economiser)
//! ambient >= ref_c:                 cop_at_ref − cop_slope_per_c · (ambient − ref_c)   (chiller)
//! everywhere:                       at least cop_min
//! ```
//!
//! continuous in the ambient by construction (the ramp joins free cooling to the chiller line)
//! and > 0 for parameters that pass [`CoolingParams::check`].
//!
//! # Defaults and the PUE they give
//!
//! With 6 % distribution losses (UPS, transformers, PDUs) and no fixed load,
//! PUE = 1 + 1/COP + 0.06:
//!
//! | kind | rated to, derate | cop_free below | ramp to cop_at_ref at ref | slope, floor | PUE 15 / 25 / 35 °C |
//! |---|---|---|---|---|---|
//! | air | 24 °C, 3 %/°C | 4.0 below 10 °C | 3.0 at 20 °C | 0.08/°C, 1.5 | 1.346 / 1.445 / 1.616 |
//! | rear_door | 27 °C, 2 %/°C | 6.0 below 14 °C | 3.5 at 24 °C | 0.08/°C, 1.8 | 1.234 / 1.352 / 1.442 |
//! | liquid | 35 °C, 1 %/°C | 20 below 27 °C | 8.0 at 35 °C | 0.4/°C, 4.0 | 1.110 / 1.110 / 1.185 |
//!
//! An air-cooled site in a temperate climate (annual mean ~10–15 °C) so runs at PUE ~1.3–1.4
//! over the year, a hot one ~1.45–1.55; the industry average is ~1.56 (Uptime Institute Global
//! Data Center Survey 2024), hyperscale sites ~1.1, new large builds <= 1.3. Warm-water
//! direct-to-chip liquid cooling gives 1.11–1.19. All COP figures are estimates (reasoning on
//! each field of [`CoolingParams::defaults`]); the PUE ranges they give are the check.

/// How a rack is cooled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoolingKind {
    /// Room air: CRAH/CRAC units on a chilled-water plant with an economiser (~10–20 kW a rack).
    Air,
    /// A rear-door heat exchanger on each rack, fed with chilled water (~20–80 kW a rack).
    RearDoor,
    /// Direct-to-chip warm-water liquid cooling with dry coolers (~50–150 kW a rack).
    Liquid,
}

impl CoolingKind {
    /// The scenario-file names, in the order of the variants.
    pub const NAMES: [&'static str; 3] = ["air", "rear_door", "liquid"];

    /// The kind named `s` (one of [`CoolingKind::NAMES`]), `None` for any other text.
    pub fn parse(s: &str) -> Option<CoolingKind> {
        match s {
            "air" => Some(CoolingKind::Air),
            "rear_door" => Some(CoolingKind::RearDoor),
            "liquid" => Some(CoolingKind::Liquid),
            _ => None,
        }
    }

    /// The scenario-file name of the kind.
    pub fn name(self) -> &'static str {
        match self {
            CoolingKind::Air => Self::NAMES[0],
            CoolingKind::RearDoor => Self::NAMES[1],
            CoolingKind::Liquid => Self::NAMES[2],
        }
    }
}

/// Parameters of one cooling kind (see the module documentation for the formulas).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoolingParams {
    /// Highest ambient at which the rated heat removal holds [°C].
    pub rated_at_c: f64,
    /// Share of the rated heat removal lost per °C above `rated_at_c` [1/°C] (>= 0).
    pub derate_per_c: f64,
    /// COP with free cooling [-] (> 0).
    pub cop_free: f64,
    /// Highest ambient with full free cooling [°C] (< `ref_c`).
    pub free_below_c: f64,
    /// COP on the chiller at `ref_c` [-] (> 0).
    pub cop_at_ref: f64,
    /// Ambient from which the chiller carries the whole load [°C].
    pub ref_c: f64,
    /// Fall of the chiller COP per °C above `ref_c` [1/°C] (>= 0).
    pub cop_slope_per_c: f64,
    /// Lowest COP [-] (> 0).
    pub cop_min: f64,
}

impl CoolingParams {
    /// Default parameters of `kind` (all estimates, reasoning per field below).
    ///
    /// - **air**: rated to 24 °C, 3 %/°C above: an air plant is sized for a design day; above
    ///   it the condenser runs hotter and the supply air warms toward the 27 °C top of the
    ///   ASHRAE TC 9.9 recommended inlet range (18–27 °C), so capacity goes fast. Free cooling
    ///   (COP 4: CRAH fans, pumps and tower fans, ~0.25 W per W of heat) below 10 °C, where a
    ///   water-side economiser makes ~15 °C chilled water; the chiller alone from 20 °C at
    ///   COP 3 (chiller ~5–6 plus fans and pumps), falling 0.08 a °C (chiller efficiency drops
    ///   ~2–3 % per K of lift), floored at 1.5.
    /// - **rear_door**: rated to 27 °C, 2 %/°C: the doors take warmer water (~18–20 °C) than
    ///   room air units, so more margin and more free-cooling hours (COP 6 below 14 °C, no
    ///   room fans for the rack's heat); chiller from 24 °C at COP 3.5, −0.08 a °C, floor 1.8.
    /// - **liquid**: rated to 35 °C, 1 %/°C: warm-water direct-to-chip for ASHRAE class W40
    ///   (facility water <= 40 °C), which dry coolers with a ~5 K approach hold up to ~35 °C
    ///   ambient. Free cooling on pumps and dry-cooler fans (COP 20, ~5 % of the heat) below
    ///   27 °C (W32 water with the same approach); above, adiabatic spray or a trim chiller:
    ///   COP 8 at 35 °C, −0.4 a °C, floor 4.
    pub fn defaults(kind: CoolingKind) -> CoolingParams {
        match kind {
            CoolingKind::Air => CoolingParams {
                rated_at_c: 24.0,
                derate_per_c: 0.03,
                cop_free: 4.0,
                free_below_c: 10.0,
                cop_at_ref: 3.0,
                ref_c: 20.0,
                cop_slope_per_c: 0.08,
                cop_min: 1.5,
            },
            CoolingKind::RearDoor => CoolingParams {
                rated_at_c: 27.0,
                derate_per_c: 0.02,
                cop_free: 6.0,
                free_below_c: 14.0,
                cop_at_ref: 3.5,
                ref_c: 24.0,
                cop_slope_per_c: 0.08,
                cop_min: 1.8,
            },
            CoolingKind::Liquid => CoolingParams {
                rated_at_c: 35.0,
                derate_per_c: 0.01,
                cop_free: 20.0,
                free_below_c: 27.0,
                cop_at_ref: 8.0,
                ref_c: 35.0,
                cop_slope_per_c: 0.4,
                cop_min: 4.0,
            },
        }
    }

    /// Heat the cooling of a rack rated `rated_kw` [kW] can remove at `ambient_c` [°C], in
    /// [0, rated_kw] [kW]. A NaN ambient reads as no derating.
    pub fn capacity_kw(&self, rated_kw: f64, ambient_c: f64) -> f64 {
        let above = (ambient_c - self.rated_at_c).max(0.0);
        rated_kw * (1.0 - self.derate_per_c * above).max(0.0)
    }

    /// Coefficient of performance at `ambient_c` [°C]: heat removed per unit of electrical
    /// power of the cooling plant [-]. Continuous in the ambient; >= `cop_min` (> 0 for
    /// parameters that pass [`CoolingParams::check`]).
    pub fn cop(&self, ambient_c: f64) -> f64 {
        let raw = if ambient_c <= self.free_below_c {
            self.cop_free
        } else if ambient_c < self.ref_c {
            let x = (ambient_c - self.free_below_c) / (self.ref_c - self.free_below_c);
            self.cop_free + (self.cop_at_ref - self.cop_free) * x
        } else {
            self.cop_at_ref - self.cop_slope_per_c * (ambient_c - self.ref_c)
        };
        raw.max(self.cop_min)
    }

    /// Checks the parameters: all finite; `derate_per_c`, `cop_slope_per_c` >= 0; `cop_free`,
    /// `cop_at_ref`, `cop_min` > 0; `free_below_c` < `ref_c`.
    ///
    /// # Errors
    /// The first problem, naming the field and what was expected.
    pub fn check(&self) -> Result<(), String> {
        let fields = [
            ("rated_at_c", self.rated_at_c, f64::NEG_INFINITY),
            ("free_below_c", self.free_below_c, f64::NEG_INFINITY),
            ("ref_c", self.ref_c, f64::NEG_INFINITY),
            ("derate_per_c", self.derate_per_c, 0.0),
            ("cop_slope_per_c", self.cop_slope_per_c, 0.0),
        ];
        for (name, v, min) in fields {
            if !v.is_finite() || v < min {
                return Err(format!(
                    "{name}: expected a finite number{}, found {v}",
                    if min == 0.0 { " >= 0" } else { "" }
                ));
            }
        }
        for (name, v) in [
            ("cop_free", self.cop_free),
            ("cop_at_ref", self.cop_at_ref),
            ("cop_min", self.cop_min),
        ] {
            if !v.is_finite() || v <= 0.0 {
                return Err(format!("{name}: expected a finite number > 0, found {v}"));
            }
        }
        if self.free_below_c >= self.ref_c {
            return Err(format!(
                "free_below_c: expected less than ref_c ({} °C), found {} °C",
                self.ref_c, self.free_below_c
            ));
        }
        Ok(())
    }
}

/// Heat-removal capacity [kW] of a rack of `kind` rated `rated_kw` [kW] at `ambient_c` [°C]
/// with the default parameters ([`CoolingParams::capacity_kw`]).
pub fn capacity_kw(kind: CoolingKind, rated_kw: f64, ambient_c: f64) -> f64 {
    CoolingParams::defaults(kind).capacity_kw(rated_kw, ambient_c)
}

/// COP [-] of the cooling plant of `kind` at `ambient_c` [°C] with the default parameters
/// ([`CoolingParams::cop`]).
pub fn cop(kind: CoolingKind, ambient_c: f64) -> f64 {
    CoolingParams::defaults(kind).cop(ambient_c)
}

/// Facility power and cooling power at `ambient_c` [°C]: `(facility_kw, cooling_kw)` [kW].
///
/// `it_kw_by_kind` holds the IT power [kW] cooled by each set of parameters;
/// `distribution_loss` is the share of IT power lost in UPS, transformers and PDUs [-]
/// (~0.06); `fixed_kw` is load independent of IT (lighting, offices, security) [kW].
///
/// ```text
/// cooling_kw  = Σ IT_k / cop_k(ambient)
/// facility_kw = Σ IT_k + cooling_kw + distribution_loss · Σ IT_k + fixed_kw
/// ```
///
/// PUE is `facility_kw / Σ IT_k`. No checks: parameters are validated where they are read.
pub fn facility_kw(
    it_kw_by_kind: &[(CoolingParams, f64)],
    ambient_c: f64,
    distribution_loss: f64,
    fixed_kw: f64,
) -> (f64, f64) {
    let it_kw: f64 = it_kw_by_kind.iter().map(|(_, kw)| kw).sum();
    let cooling_kw: f64 = it_kw_by_kind
        .iter()
        .map(|(p, kw)| kw / p.cop(ambient_c))
        .sum();
    (
        it_kw + cooling_kw + distribution_loss * it_kw + fixed_kw,
        cooling_kw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [CoolingKind; 3] = [CoolingKind::Air, CoolingKind::RearDoor, CoolingKind::Liquid];

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-9, "{a} vs {b}");
    }

    #[test]
    fn names_round_trip() {
        for (k, name) in KINDS.iter().zip(CoolingKind::NAMES) {
            assert_eq!(CoolingKind::parse(name), Some(*k));
            assert_eq!(k.name(), name);
        }
        assert_eq!(CoolingKind::parse("Air"), None);
        assert_eq!(CoolingKind::parse(""), None);
    }

    #[test]
    fn defaults_pass_check_and_check_refuses() {
        for k in KINDS {
            assert_eq!(CoolingParams::defaults(k).check(), Ok(()));
        }
        let base = CoolingParams::defaults(CoolingKind::Air);
        let bad = [
            (
                CoolingParams {
                    derate_per_c: -0.1,
                    ..base
                },
                "derate_per_c",
            ),
            (
                CoolingParams {
                    cop_min: 0.0,
                    ..base
                },
                "cop_min",
            ),
            (
                CoolingParams {
                    cop_free: f64::NAN,
                    ..base
                },
                "cop_free",
            ),
            (
                CoolingParams {
                    ref_c: f64::INFINITY,
                    ..base
                },
                "ref_c",
            ),
            (
                CoolingParams {
                    free_below_c: 20.0,
                    ..base
                },
                "free_below_c",
            ),
        ];
        for (p, field) in bad {
            let e = p.check().unwrap_err();
            assert!(e.starts_with(field), "{e}");
        }
    }

    #[test]
    fn capacity_derates_by_hand() {
        // Air: 24 °C, 3 %/°C. 30 °C: 20 · (1 − 0.18) = 16.4.
        close(capacity_kw(CoolingKind::Air, 20.0, 10.0), 20.0);
        close(capacity_kw(CoolingKind::Air, 20.0, 24.0), 20.0);
        close(capacity_kw(CoolingKind::Air, 20.0, 30.0), 16.4);
        // Rear door: 27 °C, 2 %/°C. 37 °C: 50 · 0.8 = 40.
        close(capacity_kw(CoolingKind::RearDoor, 50.0, 37.0), 40.0);
        // Liquid: 35 °C, 1 %/°C. 45 °C: 120 · 0.9 = 108.
        close(capacity_kw(CoolingKind::Liquid, 120.0, 45.0), 108.0);
        close(capacity_kw(CoolingKind::Liquid, 120.0, 35.0), 120.0);
        // Never negative: air at 24 + 40 °C would be 1 − 1.2.
        assert_eq!(capacity_kw(CoolingKind::Air, 20.0, 64.0), 0.0);
    }

    #[test]
    fn cop_by_hand_continuous_and_positive() {
        // Air: 4 below 10 °C, 3.5 at 15 °C, 3 at 20 °C, 2.6 at 25, floor 1.5 from 38.75 °C.
        let air = CoolingParams::defaults(CoolingKind::Air);
        close(air.cop(-20.0), 4.0);
        close(air.cop(15.0), 3.5);
        close(air.cop(25.0), 2.6);
        close(air.cop(50.0), 1.5);
        for k in KINDS {
            let p = CoolingParams::defaults(k);
            let floor_c = p.ref_c + (p.cop_at_ref - p.cop_min) / p.cop_slope_per_c;
            for b in [p.free_below_c, p.ref_c, floor_c] {
                let (lo, hi) = (p.cop(b - 1e-9), p.cop(b + 1e-9));
                assert!((lo - hi).abs() < 1e-6, "{k:?} at {b}: {lo} vs {hi}");
            }
            let mut t = -60.0;
            while t <= 70.0 {
                assert!(p.cop(t) >= p.cop_min && p.cop(t) > 0.0, "{k:?} at {t}");
                assert!(p.cop(t + 0.5) <= p.cop(t), "{k:?} rises at {t}");
                t += 0.5;
            }
        }
    }

    fn pue(kind: CoolingKind, ambient_c: f64) -> f64 {
        let (f, _) = facility_kw(
            &[(CoolingParams::defaults(kind), 1000.0)],
            ambient_c,
            0.06,
            0.0,
        );
        f / 1000.0
    }

    #[test]
    fn pue_in_documented_ranges() {
        let table = [
            (CoolingKind::Air, [1.346, 1.445, 1.616]),
            (CoolingKind::RearDoor, [1.234, 1.352, 1.442]),
            (CoolingKind::Liquid, [1.110, 1.110, 1.185]),
        ];
        for (k, want) in table {
            for (t, w) in [15.0, 25.0, 35.0].into_iter().zip(want) {
                assert!((pue(k, t) - w).abs() < 5e-4, "{k:?} at {t}: {}", pue(k, t));
            }
        }
        assert!((1.3..=1.6).contains(&pue(CoolingKind::Air, 25.0)));
        assert!((1.1..=1.2).contains(&pue(CoolingKind::Liquid, 25.0)));
    }

    #[test]
    fn facility_kw_exact() {
        let air = CoolingParams::defaults(CoolingKind::Air); // COP 2.6 at 25 °C
        let liquid = CoolingParams::defaults(CoolingKind::Liquid); // COP 20 at 25 °C
        let (f, c) = facility_kw(&[(air, 260.0), (liquid, 1000.0)], 25.0, 0.05, 30.0);
        // cooling = 260/2.6 + 1000/20 = 100 + 50; facility = 1260 + 150 + 63 + 30.
        close(c, 150.0);
        close(f, 1503.0);
        assert_eq!(facility_kw(&[], 25.0, 0.06, 12.0), (12.0, 0.0));
    }
}
