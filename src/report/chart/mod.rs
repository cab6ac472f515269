//! Charts: what to draw ([`Chart`], pure data built by [`prep`] from a run's outputs and
//! unit-tested there) kept apart from how to draw it ([`draw`], plotters, with the look in
//! [`style`] and the bundled font in [`font`]).
//!
//! A chart's coordinates are plain numbers in the units its axes name; dates are days since
//! the run's calendar origin and categories are their index, and the axis says how to label
//! them.

pub mod draw;
pub mod font;
pub mod prep;
pub mod style;

/// Points `(x, y)` of a line, by `x`.
pub type Points = Vec<(f64, f64)>;

/// How an axis labels its values.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Scale {
    /// Numbers.
    #[default]
    Linear,
    /// Days since `origin` (`YYYY-MM-DD`), labelled as dates.
    Date {
        /// The calendar origin, `YYYY-MM-DD`.
        origin: String,
    },
    /// Categories at 0, 1, 2…, labelled by name.
    Category(Vec<String>),
}

/// One axis: a label with its unit, a range and a scale.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Axis {
    /// What is measured, with its unit in brackets, e.g. `TTFT [s]`.
    pub label: String,
    /// Smallest and largest value shown.
    pub range: (f64, f64),
    /// How values are labelled.
    pub scale: Scale,
}

/// What a series draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A line through `(x, y)` points; a non-finite `y` breaks the line.
    Line {
        /// Points, by `x`.
        points: Vec<(f64, f64)>,
        /// Dashed (targets, caps, capacities) rather than solid.
        dashed: bool,
    },
    /// A filled band between two lines: `(x, low, high)` (stacked areas).
    Band(Vec<(f64, f64, f64)>),
    /// Rectangles `[x0, x1, y0, y1]` (bars, stacked bars).
    Rects(Vec<[f64; 4]>),
    /// Points with a vertical interval: `(x, y, low, high)` (a value and its 95 % CI).
    Whiskers(Vec<(f64, f64, f64, f64)>),
}

/// One named series, drawn in palette colour `color` (an index into [`style::PALETTE`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Palette index.
    pub color: usize,
    /// What to draw.
    pub mark: Mark,
}

/// A vertical marker at `x` with a label (the runway date, a purchase).
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Position on the x axis.
    pub x: f64,
    /// Label drawn beside the line.
    pub label: String,
}

/// A chart, ready to draw. `Default` is an empty linear chart without shading, markers
/// or note, for struct-update syntax.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chart {
    /// File stem under `charts/` (`latency_cdf_ttft`…).
    pub id: String,
    /// Title.
    pub title: String,
    /// One sentence under the title: what to read from the chart.
    pub caption: String,
    /// The x axis.
    pub x: Axis,
    /// The y axis.
    pub y: Axis,
    /// Series, drawn in order (bands first, so lines stay on top).
    pub series: Vec<Series>,
    /// Shaded x ranges (throttled periods), with their legend name.
    pub shaded: Option<(String, Vec<(f64, f64)>)>,
    /// Vertical markers.
    pub markers: Vec<Marker>,
    /// Shown on the chart instead of a plot when there is nothing to draw.
    pub empty_note: Option<String>,
    /// The legend goes top left (charts that rise to the right) instead of top right.
    pub legend_left: bool,
}

impl Chart {
    /// A chart with no data: drawn as its title and `note`.
    pub fn empty(id: &str, title: &str, note: &str) -> Chart {
        Chart {
            id: id.into(),
            title: title.into(),
            empty_note: Some(note.into()),
            ..Default::default()
        }
    }

    /// Whether the chart has something to plot.
    pub fn has_data(&self) -> bool {
        self.empty_note.is_none()
    }
}
