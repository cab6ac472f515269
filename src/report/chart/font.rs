//! The bundled font: DejaVu Sans (Bitstream Vera licence, `assets/fonts/`), registered with
//! plotters from bytes so that charts render the same on any machine, with no system fonts
//! or fontconfig.

use std::sync::OnceLock;

/// DejaVu Sans 2.37, `assets/fonts/DejaVuSans.ttf` (licence beside it).
pub const DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The family name charts ask plotters for (and SVG files name).
pub const FAMILY: &str = "sans-serif";

/// Registers the bundled font with plotters (once per process).
///
/// # Errors
/// A message if the font bytes cannot be parsed (a corrupt build).
pub fn ensure_registered() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, plotters::style::FontStyle::Normal, DEJAVU_SANS)
            .map_err(|_| "the bundled font DejaVuSans.ttf cannot be parsed".to_string())
    })
    .clone()
}
