//! Drawing a [`Chart`] with plotters, as SVG text or PNG bytes. Nothing here decides what a
//! chart shows; every drawing error is returned as a message, never unwrapped.

use super::font::{FAMILY, ensure_registered};
use super::style::{self, SIZE};
use super::{Chart, Mark, Scale};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Why a chart could not be drawn or encoded.
#[derive(Debug, thiserror::Error)]
#[error("chart {chart}: {message}")]
pub struct DrawError {
    /// The chart's id.
    pub chart: String,
    /// What failed.
    pub message: String,
}

/// The chart as an SVG document (text drawn in the bundled font's family).
///
/// # Errors
/// [`DrawError`] when plotters fails to lay the chart out.
pub fn svg(chart: &Chart) -> Result<String, DrawError> {
    let err = |message: String| DrawError {
        chart: chart.id.clone(),
        message,
    };
    ensure_registered().map_err(err)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
        plot(&root, chart).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(out)
}

/// The chart as a PNG image of [`SIZE`] pixels, RGB, text rasterised from the bundled font.
///
/// # Errors
/// [`DrawError`] when plotters fails to draw or the PNG cannot be encoded.
pub fn png(chart: &Chart) -> Result<Vec<u8>, DrawError> {
    let err = |message: String| DrawError {
        chart: chart.id.clone(),
        message,
    };
    ensure_registered().map_err(err)?;
    let (w, h) = SIZE;
    let mut pixels = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        plot(&root, chart).map_err(err)?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    let mut bytes = Vec::new();
    {
        let mut enc = ::png::Encoder::new(&mut bytes, w, h);
        enc.set_color(::png::ColorType::Rgb);
        enc.set_depth(::png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| err(e.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| err(e.to_string()))?;
    }
    Ok(bytes)
}

/// Lines with more points than this are drawn 1 px wide (about one point per 5 px).
const DENSE: usize = 150;

fn font(px: f64) -> TextStyle<'static> {
    (FAMILY, px).into_font().color(&style::TEXT)
}

/// Tick label of value `v` on an axis of scale `s`.
fn tick(s: &Scale, v: f64) -> String {
    match s {
        Scale::Linear => style::number(v),
        Scale::Date { origin } => style::date_label(origin, v),
        Scale::Category(names) => {
            let i = v.round();
            // At most about 10 labels: every k-th category beyond that.
            let every = names.len().div_ceil(10).max(1);
            if (v - i).abs() < 1e-6
                && i >= 0.0
                && (i as usize) < names.len()
                && (i as usize).is_multiple_of(every)
            {
                names[i as usize].clone()
            } else {
                String::new()
            }
        }
    }
}

/// How many ticks an axis asks for.
fn ticks(s: &Scale, horizontal: bool) -> usize {
    match s {
        Scale::Category(names) => names.len().max(1),
        Scale::Date { .. } => 7,
        Scale::Linear if horizontal => 10,
        Scale::Linear => 6,
    }
}

/// A range plotters can draw: finite and not empty.
fn usable(r: (f64, f64)) -> (f64, f64) {
    let (a, b) = if r.0.is_finite() && r.1.is_finite() {
        r
    } else {
        (0.0, 1.0)
    };
    if b > a { (a, b) } else { (a - 0.5, a + 0.5) }
}

fn plot<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    if let Some(note) = &chart.empty_note {
        let (w, h) = root.dim_in_pixel();
        let centre = |v| {
            plotters::style::text_anchor::Pos::new(plotters::style::text_anchor::HPos::Center, v)
        };
        root.draw(&Text::new(
            chart.title.clone(),
            (w as i32 / 2, 14),
            font(style::TITLE_PX).pos(centre(plotters::style::text_anchor::VPos::Top)),
        ))
        .map_err(e)?;
        let style =
            font(style::LABEL_PX + 2.0).pos(centre(plotters::style::text_anchor::VPos::Center));
        root.draw(&Text::new(
            format!("No data: {note}"),
            (w as i32 / 2, h as i32 / 2),
            style,
        ))
        .map_err(e)?;
        return Ok(());
    }
    let (x0, x1) = usable(chart.x.range);
    let (y0, y1) = usable(chart.y.range);
    let mut c = ChartBuilder::on(root)
        .caption(&chart.title, font(style::TITLE_PX))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(62)
        .y_label_area_size(92)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    let x_fmt = |v: &f64| tick(&chart.x.scale, *v);
    let y_fmt = |v: &f64| tick(&chart.y.scale, *v);
    let mut mesh = c.configure_mesh();
    mesh.x_desc(chart.x.label.as_str())
        .y_desc(chart.y.label.as_str())
        .x_labels(ticks(&chart.x.scale, true))
        .y_labels(ticks(&chart.y.scale, false))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(font(style::TICK_PX))
        .axis_desc_style(font(style::LABEL_PX))
        .light_line_style(style::GRID.mix(0.0))
        .bold_line_style(style::GRID);
    if matches!(chart.x.scale, Scale::Category(_)) {
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(e)?;

    if let Some((name, spans)) = &chart.shaded {
        let fill = style::SHADE.mix(style::SHADE_ALPHA).filled();
        c.draw_series(
            spans
                .iter()
                .map(|&(a, b)| Rectangle::new([(a, y0), (b, y1)], fill)),
        )
        .map_err(e)?
        .label(name.as_str())
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], fill));
    }
    let mut labelled = chart.shaded.is_some();
    // Bands and bars first, so that lines and markers stay visible on top.
    let order = chart
        .series
        .iter()
        .filter(|s| matches!(s.mark, Mark::Band(_) | Mark::Rects(_)))
        .chain(
            chart
                .series
                .iter()
                .filter(|s| !matches!(s.mark, Mark::Band(_) | Mark::Rects(_))),
        );
    for s in order {
        let color = style::color(s.color);
        let line = ShapeStyle::from(&color).stroke_width(style::LINE_PX);
        let anno = match &s.mark {
            Mark::Line { points, dashed } => {
                // A non-finite value breaks the line into separate runs.
                let runs: Vec<Vec<(f64, f64)>> = points
                    .split(|p| !p.1.is_finite())
                    .filter(|r| !r.is_empty())
                    .map(<[(f64, f64)]>::to_vec)
                    .collect();
                // A dense line is drawn 1 px wide: plotters' bitmap backend draws sharp
                // zig-zags of thick lines with spikes beyond the points.
                let stroke = if points.len() > DENSE {
                    ShapeStyle::from(&color).stroke_width(1)
                } else {
                    line
                };
                let mut last = None;
                for run in runs {
                    last = Some(if run.len() == 1 {
                        // A lone point (one window, or one between gaps) is a dot.
                        c.draw_series(std::iter::once(Circle::new(run[0], 3, line.filled())))
                            .map_err(e)?
                    } else if *dashed {
                        c.draw_series(DashedLineSeries::new(run, 8, 5, stroke))
                            .map_err(e)?
                    } else {
                        c.draw_series(LineSeries::new(run, stroke)).map_err(e)?
                    });
                }
                last
            }
            Mark::Band(points) => {
                let poly: Vec<(f64, f64)> = points
                    .iter()
                    .map(|&(x, _, hi)| (x, hi))
                    .chain(points.iter().rev().map(|&(x, lo, _)| (x, lo)))
                    .collect();
                let fill = color.mix(style::FILL_ALPHA).filled();
                c.draw_series(LineSeries::new(
                    points.iter().map(|&(x, _, hi)| (x, hi)),
                    ShapeStyle::from(&color).stroke_width(1),
                ))
                .map_err(e)?;
                Some(
                    c.draw_series(std::iter::once(Polygon::new(poly, fill)))
                        .map_err(e)?,
                )
            }
            Mark::Rects(rects) => {
                let fill = color.mix(0.85).filled();
                Some(
                    c.draw_series(
                        rects
                            .iter()
                            .map(|r| Rectangle::new([(r[0], r[2]), (r[1], r[3])], fill)),
                    )
                    .map_err(e)?,
                )
            }
            Mark::Whiskers(points) => {
                c.draw_series(points.iter().map(|&(x, _, lo, hi)| {
                    PathElement::new(vec![(x, lo), (x, hi)], ShapeStyle::from(&BLACK))
                }))
                .map_err(e)?;
                Some(
                    c.draw_series(
                        points
                            .iter()
                            .map(|&(x, y, _, _)| Circle::new((x, y), 4, line.filled())),
                    )
                    .map_err(e)?,
                )
            }
        };
        if let Some(a) = anno
            && !s.name.is_empty()
        {
            labelled = true;
            let filled = matches!(s.mark, Mark::Band(_) | Mark::Rects(_));
            // A dashed line's legend entry is one short dash (a legend entry is one
            // element in plotters), a solid line's a full stroke.
            let dashed = matches!(s.mark, Mark::Line { dashed: true, .. });
            a.label(s.name.as_str()).legend(move |(x, y)| {
                if filled {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.mix(0.85).filled())
                        .into_dyn()
                } else if dashed {
                    PathElement::new(vec![(x, y), (x + 7, y)], line).into_dyn()
                } else {
                    PathElement::new(vec![(x, y), (x + 18, y)], line).into_dyn()
                }
            });
        }
    }
    for (k, m) in chart.markers.iter().enumerate() {
        let red = ShapeStyle::from(&style::MARKER).stroke_width(2);
        c.draw_series(DashedLineSeries::new(vec![(m.x, y0), (m.x, y1)], 6, 4, red))
            .map_err(e)?;
        // Labels step down so that markers close together stay readable.
        let top = y1 - (y1 - y0) * (0.04 + 0.06 * (k % 4) as f64);
        c.draw_series(std::iter::once(
            EmptyElement::at((m.x, top))
                + Text::new(
                    m.label.clone(),
                    (5, 0),
                    font(style::TICK_PX).color(&style::MARKER),
                ),
        ))
        .map_err(e)?;
    }
    if labelled {
        c.configure_series_labels()
            .position(if chart.legend_left {
                SeriesLabelPosition::UpperLeft
            } else {
                SeriesLabelPosition::UpperRight
            })
            .background_style(WHITE.mix(0.85))
            .border_style(style::GRID)
            .label_font(font(style::TICK_PX))
            .draw()
            .map_err(e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Axis, Series};
    use super::*;

    fn chart() -> Chart {
        Chart {
            id: "t".into(),
            title: "Utilisation".into(),
            caption: String::new(),
            x: Axis {
                label: "time [h]".into(),
                range: (0.0, 2.0),
                scale: Scale::Linear,
            },
            y: Axis {
                label: "utilisation [ratio]".into(),
                range: (0.0, 1.0),
                scale: Scale::Linear,
            },
            series: vec![Series {
                name: "pool:a".into(),
                color: 0,
                mark: Mark::Line {
                    points: vec![(0.0, 0.2), (1.0, 0.8), (2.0, f64::NAN)],
                    dashed: false,
                },
            }],
            ..Default::default()
        }
    }

    #[test]
    fn svg_and_png_are_drawn_and_deterministic() {
        let c = chart();
        let s = svg(&c).unwrap();
        assert!(s.starts_with("<svg") && s.contains("Utilisation") && s.contains("<polyline"));
        assert_eq!(s, svg(&c).unwrap());
        let p = png(&c).unwrap();
        assert_eq!(&p[1..4], b"PNG");
        assert_eq!(p, png(&c).unwrap());
    }

    #[test]
    fn an_empty_chart_says_so() {
        let c = Chart::empty("e", "Power", "this run has no facility");
        let s = svg(&c).unwrap();
        assert!(s.contains("No data: this run has no facility"), "{s}");
        png(&c).unwrap();
    }
}
