//! The look of every chart, in one place: size, palette, type sizes, and how numbers, units
//! and dates are written on axes and in tables.

use plotters::style::RGBColor;

/// Chart size [px] (SVG user units and PNG pixels).
pub const SIZE: (u32, u32) = (960, 440);
/// Title size [px].
pub const TITLE_PX: f64 = 24.0;
/// Axis label size [px].
pub const LABEL_PX: f64 = 18.0;
/// Tick label and legend size [px].
pub const TICK_PX: f64 = 16.0;
/// Line width [px].
pub const LINE_PX: u32 = 2;
/// Opacity of filled areas and shading.
pub const FILL_ALPHA: f64 = 0.55;
/// Opacity of throttled-period shading.
pub const SHADE_ALPHA: f64 = 0.18;

/// Okabe–Ito colour-blind-safe palette (Okabe & Ito, "Color Universal Design", 2008),
/// black last; a series' colour is `PALETTE[i % len]`.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(240, 228, 66),  // yellow
    RGBColor(0, 0, 0),       // black
];
/// Markers (runway, purchases) and limits.
pub const MARKER: RGBColor = RGBColor(200, 30, 30);
/// Throttled-period shading.
pub const SHADE: RGBColor = RGBColor(213, 94, 0);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);
/// Text.
pub const TEXT: RGBColor = RGBColor(30, 30, 30);

/// Colour `i` of the palette.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The palette colour as CSS `#rrggbb` (tables and legends in pages).
pub fn css_color(i: usize) -> String {
    let RGBColor(r, g, b) = color(i);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A number for an axis tick or a table cell: up to 4 significant digits, thousands
/// separated, k above 10⁴, M above 10⁶, G above 10⁹ (`12.3k`), no exponent for ordinary sizes.
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1e12 {
        return format!("{x:.2e}");
    }
    let (v, suffix) = if a >= 1e9 {
        (x / 1e9, "G")
    } else if a >= 1e6 {
        (x / 1e6, "M")
    } else if a >= 1e4 {
        (x / 1e3, "k")
    } else {
        (x, "")
    };
    let va = v.abs();
    let decimals = if va == 0.0 || va >= 100.0 {
        0
    } else if va >= 10.0 {
        1
    } else if va >= 1.0 {
        2
    } else {
        // Four significant digits below 1, at most 6 decimals.
        ((-va.log10()).floor() as usize + 4).min(6)
    };
    let s = format!("{v:.decimals$}");
    // Trailing zeros after a decimal point say nothing on an axis.
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    let s = if s == "-0" { "0".to_string() } else { s };
    format!("{s}{suffix}")
}

/// An amount of money: `$1,234`, `$0.0034`, `$1.49M`.
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    let sign = if x < 0.0 { "-" } else { "" };
    if a >= 1e6 {
        format!("{sign}${:.2}M", a / 1e6)
    } else if a >= 100.0 {
        format!("{sign}${}", thousands(a.round() as u64))
    } else if a >= 1.0 {
        format!("{sign}${a:.2}")
    } else {
        format!("{sign}${}", number(a))
    }
}

/// A duration [s] as a person writes it: `30 s`, `15 min`, `8 h`, `2 d`.
pub fn duration(s: f64) -> String {
    if s >= 2.0 * 86_400.0 {
        format!("{} d", number(s / 86_400.0))
    } else if s >= 2.0 * 3600.0 {
        format!("{} h", number(s / 3600.0))
    } else if s >= 120.0 {
        format!("{} min", number(s / 60.0))
    } else {
        format!("{} s", number(s))
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A ratio as a percentage with `digits` decimals: `99.70 %`.
pub fn percent(x: f64, digits: usize) -> String {
    if x.is_finite() {
        format!("{:.digits$} %", x * 100.0)
    } else {
        "–".into()
    }
}

/// The date `days` after `origin` (`YYYY-MM-DD`), as `YYYY-MM-DD`; the day count itself if
/// `origin` is not a date.
pub fn date_label(origin: &str, days: f64) -> String {
    let Ok(d) = origin.parse::<jiff::civil::Date>() else {
        return number(days);
    };
    let whole = days.floor();
    if !whole.is_finite() || whole.abs() > 1e6 {
        return number(days);
    }
    match d.checked_add(jiff::Span::new().days(whole as i64)) {
        Ok(x) => x.to_string(),
        Err(_) => number(days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_person_writes_them() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.5856), "0.5856");
        assert_eq!(number(0.003412), "0.003412");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(25.06), "25.1");
        assert_eq!(number(250.0), "250");
        assert_eq!(number(12_345.0), "12.3k");
        assert_eq!(number(1_490_000.0), "1.49M");
        assert_eq!(number(12_000_000.0), "12M");
        assert_eq!(number(3.5e13), "3.50e13");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(f64::NAN), "–");
        assert_eq!(usd(1_489_953.9), "$1.49M");
        assert_eq!(usd(4.87), "$4.87");
        assert_eq!(usd(0.0034), "$0.0034");
        assert_eq!(usd(57_654.4), "$57,654");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(duration(25.06), "25.1 s");
        assert_eq!(duration(3838.0), "64 min");
        assert_eq!(duration(8.0 * 3600.0), "8 h");
        assert_eq!(percent(0.997, 2), "99.70 %");
        assert_eq!(date_label("2027-01-04", 177.0), "2027-06-30");
        assert_eq!(date_label("2027-01-04", 2.5), "2027-01-06");
        assert_eq!(date_label("not a date", 3.0), "3");
    }
}
