//! What every figure shares: the diverging colours, log axes labelled at decades, heatmap panels.

use ndarray::ArrayView2;
use plotly::common::{ColorScale, ColorScaleElement, ExponentFormat, Title};
use plotly::layout::{Axis, AxisType, GridPattern, Layout, LayoutGrid};
use plotly::{HeatMap, Plot};

use super::figure::Figure;

/// plotly's own first colours, for a line and the marks that belong to it.
pub(super) const COLOURS: [&str; 8] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

pub(super) fn rows_of(a: ArrayView2<'_, f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

pub(super) fn axis_pair(layout: Layout, i: usize, x: Axis, y: Axis) -> Layout {
    match i {
        1 => layout.x_axis(x).y_axis(y),
        2 => layout.x_axis2(x).y_axis2(y),
        3 => layout.x_axis3(x).y_axis3(y),
        4 => layout.x_axis4(x).y_axis4(y),
        5 => layout.x_axis5(x).y_axis5(y),
        6 => layout.x_axis6(x).y_axis6(y),
        7 => layout.x_axis7(x).y_axis7(y),
        _ => layout.x_axis8(x).y_axis8(y),
    }
}

/// The largest |value|, for a colour scale from −reach to +reach (1 when there is none).
pub(super) fn reach<'a>(values: impl Iterator<Item = &'a f64>) -> f64 {
    let reach = values.fold(0.0f64, |m, v| m.max(v.abs()));
    if reach > 0.0 && reach.is_finite() { reach } else { 1.0 }
}

/// ColorBrewer's RdBu: blue below 0, white at 0, red above. plotly's own "RdBu" has a grey
/// middle, which makes a zero look like a value.
pub(super) fn diverging_colours() -> ColorScale {
    let stops = [(0.0, "#2166ac"), (0.25, "#67a9cf"), (0.5, "#f7f7f7"), (0.75, "#ef8a62"), (1.0, "#b2182b")];
    ColorScale::Vector(stops.iter().map(|&(at, colour)| ColorScaleElement(at, colour.to_string())).collect())
}

/// One heatmap of a matrix on the diverging scale −reach..reach, blue and red around a white 0.
pub(super) fn diverging_heatmap(
    a: ArrayView2<'_, f64>,
    reach: f64,
    label: &str,
) -> Box<HeatMap<usize, usize, Vec<f64>>> {
    let (rows, cols) = a.dim();
    HeatMap::new((0..cols).collect(), (0..rows).collect(), rows_of(a))
        .zmin(-reach)
        .zmid(0.0)
        .zmax(reach)
        .color_scale(diverging_colours())
        .hover_template(format!("{label}row %{{y}}, col %{{x}}<br>%{{z:.4f}}<extra></extra>"))
}

/// The smallest and largest of the finite, positive `values` (what a log axis can show), if any.
pub(super) fn positive_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values.into_iter().filter(|v| v.is_finite() && *v > 0.0).fold(None, |range, v| match range {
        None => Some((v, v)),
        Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
    })
}

/// A log axis labelled at decades only, as powers of ten (10⁻⁶), with at most 8 labels.
///
/// plotly's own choice labels the 2s and 5s between decades on short ranges, which clutters the
/// axis, and writes small numbers with SI prefixes ("10f", a loss of ten femto). Long ranges get
/// every k-th decade: k = ⌈span/6⌉ leaves room for the few percent of padding that plotly's
/// autorange adds and still draws no more than 8 labels.
pub(super) fn log_axis(values: impl IntoIterator<Item = f64>) -> Axis {
    let span = positive_range(values).map_or(1.0, |(lo, hi)| hi.log10() - lo.log10());
    Axis::new().type_(AxisType::Log).dtick((span / 6.0).ceil().max(1.0)).exponent_format(ExponentFormat::Power)
}

/// How the panels of [`diff_heatmaps`](crate::diff_heatmaps) (and the frames of [`diff_animation`](crate::diff_animation)) pick their colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorRange {
    /// Each panel from −r to +r, r its own largest |value|, stated in its title: the pattern
    /// of every step stays visible, however small the numbers get. As the original's
    /// `px.imshow`, which scales each picture to itself.
    PerPanel,
    /// One range for all panels, fixed by the largest |value| of any: compares magnitudes,
    /// but late steps fade to one colour.
    Shared,
}

/// `±0.08`, `±2.2`, `±4.4e-3`: a colour range in a title, in as few digits as read well.
pub(super) fn range_label(reach: f64) -> String {
    if (0.01..100.0).contains(&reach) { format!("±{reach:.2}") } else { format!("±{reach:.1e}") }
}

/// Heatmap panels side by side on a diverging scale centred on 0.
pub(super) fn diverging_panels(title: &str, panels: &[(String, ArrayView2<'_, f64>)], range: ColorRange) -> Figure {
    let shared = reach(panels.iter().flat_map(|(_, a)| a.iter()));
    let mut plot = Plot::new();
    let title = match range {
        ColorRange::PerPanel => format!("{title} (each panel on its own colour range)"),
        ColorRange::Shared => format!("{title} (one colour range, {})", range_label(shared)),
    };
    // Wide matrices (a 3×17 X) read better stacked than squeezed side by side.
    let stacked = panels.iter().all(|(_, a)| a.ncols() > 2 * a.nrows());
    let height = if stacked { 120 + 160 * panels.len() } else { 320 };
    let mut layout = Layout::new().title(Title::with_text(title)).height(height);
    if panels.len() > 1 {
        let (r, c) = if stacked { (panels.len(), 1) } else { (1, panels.len()) };
        // Room under each stacked panel for its axis title.
        let grid = LayoutGrid::new().rows(r).columns(c).pattern(GridPattern::Independent);
        layout = layout.grid(if stacked { grid.y_gap(0.45) } else { grid });
    }
    for (k, (label, a)) in panels.iter().enumerate() {
        let i = k + 1;
        let rows = a.nrows();
        let (panel_reach, axis_title) = match range {
            ColorRange::PerPanel => {
                let r = reach(a.iter());
                (r, format!("{label} · {}", range_label(r)))
            }
            ColorRange::Shared => (shared, label.clone()),
        };
        let trace = diverging_heatmap(a.view(), panel_reach, &format!("{label}<br>"))
            .show_scale(range == ColorRange::Shared && k == 0)
            .name(label)
            .x_axis(format!("x{i}"))
            .y_axis(format!("y{i}"));
        plot.add_trace(trace);
        // Rows top-down, as the matrix prints: a reversed y range.
        let x = Axis::new().title(Title::with_text(axis_title)).dtick(1.0);
        let y = Axis::new().range(vec![rows as f64 - 0.5, -0.5]).dtick(1.0);
        layout = axis_pair(layout, i, x, y);
    }
    plot.set_layout(layout);
    Figure::new(plot, height + 20)
}

/// Which axes of a [`line_chart`](crate::line_chart) are on a log scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axes {
    /// Both linear.
    Linear,
    /// A log-scale x axis.
    LogX,
    /// A log-scale y axis, for quantities that shrink geometrically, like a loss.
    LogY,
    /// Both on log scales, where a power law is a straight line.
    LogLog,
}

impl Axes {
    pub(super) fn types(self) -> (AxisType, AxisType) {
        match self {
            Axes::Linear => (AxisType::Linear, AxisType::Linear),
            Axes::LogX => (AxisType::Log, AxisType::Linear),
            Axes::LogY => (AxisType::Linear, AxisType::Log),
            Axes::LogLog => (AxisType::Log, AxisType::Log),
        }
    }
}
