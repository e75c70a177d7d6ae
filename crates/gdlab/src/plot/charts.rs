//! General charts: lines, bars and a heatmap of counts.

use ndarray::{ArrayRef1, ArrayRef2};
use plotly::common::{ColorScale, ColorScalePalette, Mode, Title};
use plotly::layout::{Axis, AxisType, Layout};
use plotly::{Bar, HeatMap, Plot, Scatter};

use super::figure::Figure;
use super::style::{Axes, log_axis, rows_of};

/// Several named series against shared x values, on the chosen axes.
///
/// ```
/// use gdlab::prelude::*;
/// let x = [1.0, 10.0, 100.0];
/// let figure = line_chart(&x, &[("x²", &[1.0, 100.0, 1e4])], Axes::LogLog, "A power law");
/// assert!(figure.to_json().contains("\"type\":\"log\""));
/// ```
pub fn line_chart(x: &[f64], series: &[(&str, &[f64])], axes: Axes, title: &str) -> Figure {
    titled_line_chart(x, series, axes, title, ("", ""))
}

/// [`line_chart`] with axis titles.
pub(super) fn titled_line_chart(
    x: &[f64],
    series: &[(&str, &[f64])],
    axes: Axes,
    title: &str,
    labels: (&str, &str),
) -> Figure {
    let mut plot = Plot::new();
    for (name, y) in series {
        plot.add_trace(Scatter::new(x.to_vec(), y.to_vec()).mode(Mode::LinesMarkers).name(*name));
    }
    let (x_type, y_type) = axes.types();
    let axis = |kind: AxisType, values: Vec<f64>| match kind {
        AxisType::Log => log_axis(values),
        other => Axis::new().type_(other),
    };
    let y_values = series.iter().flat_map(|(_, y)| y.iter().copied()).collect();
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .x_axis(axis(x_type, x.to_vec()).title(Title::with_text(labels.0)))
            .y_axis(axis(y_type, y_values).title(Title::with_text(labels.1)))
            .height(400),
    );
    Figure::new(plot, 420)
}

/// A bar per label, e.g. how many documents hold each word.
pub fn bar_chart<A: Copy + Into<f64>>(labels: &[String], values: &ArrayRef1<A>, title: &str) -> Figure {
    let mut plot = Plot::new();
    plot.add_trace(Bar::new(labels.to_vec(), values.iter().map(|&v| v.into()).collect()));
    plot.set_layout(Layout::new().title(Title::with_text(title)).height(380));
    Figure::new(plot, 400)
}

/// A heatmap of counts (a sequential colour scale from 0), rows top-down, labelled axes.
pub fn count_heatmap(counts: &ArrayRef2<i32>, labels: &[String], title: &str) -> Figure {
    let z = rows_of(counts.mapv(f64::from).view());
    let n = counts.nrows();
    let mut plot = Plot::new();
    plot.add_trace(
        HeatMap::new(labels.to_vec(), labels.to_vec(), z)
            .zmin(0.0)
            .color_scale(ColorScale::Palette(ColorScalePalette::Blues))
            .reverse_scale(true)
            .hover_template("%{y} & %{x}: %{z}<extra></extra>"),
    );
    plot.set_layout(
        Layout::new().title(Title::with_text(title)).y_axis(Axis::new().range(vec![n as f64 - 0.5, -0.5])).height(420),
    );
    Figure::new(plot, 440)
}
