//! The heavy ball's phase diagram as a figure: the regions of (lr·h, β) from the roots, and a
//! few runs beside it.

use plotly::common::{ColorScale, ColorScaleElement, Font, Line, Marker, MarkerSymbol, Mode, Position, Title};
use plotly::layout::{Axis, GridPattern, Layout, LayoutGrid};
use plotly::{HeatMap, Plot, Scatter};

use super::figure::Figure;
use super::style::{COLOURS, rows_of};
use crate::phases::{Phase, heavy_ball_phase, phase_boundaries};

/// The four regions in their order on the colour scale, each with a pale colour.
const REGIONS: [(Phase, &str); 4] = [
    (Phase::Monotone, "#c7e9c0"),
    (Phase::Ripples, "#c6dbef"),
    (Phase::Alternating, "#fdd0a2"),
    (Phase::Divergent, "#f0f0f0"),
];

/// A colour scale of four flat bands for the values 0, 1, 2, 3.
fn region_colours() -> ColorScale {
    let mut stops = Vec::new();
    for (k, (_, colour)) in REGIONS.iter().enumerate() {
        stops.push(ColorScaleElement(k as f64 / 4.0, colour.to_string()));
        stops.push(ColorScaleElement((k + 1) as f64 / 4.0, colour.to_string()));
    }
    ColorScale::Vector(stops)
}

/// The phase diagram for one curvature h, lr·h from 0 to `lr_h_max` and β from 0 to 1 (left):
/// each region coloured from the characteristic roots and named, the boundary curves drawn, and
/// β = 1 marked, where the roots sit on the unit circle. Each of `samples` (lr·h, β, the run's
/// errors `e_k` along that direction) is a labelled point on the diagram and its `e_k / e_0`
/// against the step on the right, in the same colour. Each of `marks` (lr·h, β, a label) is a
/// star on the diagram, e.g. where Polyak's tuning puts the slowest and the stiffest curvature.
pub fn phase_figure(lr_h_max: f64, samples: &[(f64, f64, &[f64])], marks: &[(f64, f64, &str)], title: &str) -> Figure {
    let mut plot = Plot::new();
    let (nx, ny) = (241, 201);
    let xs: Vec<f64> = (0..nx).map(|i| lr_h_max * i as f64 / (nx - 1) as f64).collect();
    let ys: Vec<f64> = (0..ny).map(|j| j as f64 / (ny - 1) as f64 * 0.999).collect();
    let region = ndarray::Array2::from_shape_fn((ny, nx), |(j, i)| {
        let phase = heavy_ball_phase(xs[i], ys[j]);
        REGIONS.iter().position(|(p, _)| *p == phase).map_or(3.0, |k| k as f64) + 0.5
    });
    plot.add_trace(
        HeatMap::new(xs, ys, rows_of(region.view()))
            .zmin(0.0)
            .zmax(4.0)
            .color_scale(region_colours())
            .show_scale(false)
            .hover_template("lr·h %{x:.2f}, β %{y:.2f}<extra></extra>")
            .name("regions"),
    );
    // The regions' names where each is widest.
    // The regions' names inside them: monotone and alternating are thin near β = 0.
    let names =
        [(0.3, 0.03, "monotone"), (1.6, 0.8, "ripples"), (1.66, 0.025, "alternating"), (3.7, 0.15, "divergent")];
    plot.add_trace(
        Scatter::new(names.iter().map(|n| n.0).collect(), names.iter().map(|n| n.1).collect())
            .mode(Mode::Text)
            .text_array(names.iter().map(|n| n.2.to_string()).collect())
            .text_font(Font::new().size(12).color("#444"))
            .show_legend(false)
            .hover_info(plotly::common::HoverInfo::Skip),
    );
    for (k, (name, lr_hs, betas)) in phase_boundaries(lr_h_max, 101).into_iter().enumerate() {
        let dash = [plotly::common::DashType::Solid, plotly::common::DashType::Dash, plotly::common::DashType::Solid];
        let width = if k == 2 { 3.0 } else { 1.5 };
        plot.add_trace(
            Scatter::new(lr_hs, betas)
                .mode(Mode::Lines)
                .name(name)
                .line(Line::new().color("#333").width(width).dash(dash[k].clone())),
        );
    }
    plot.add_trace(
        Scatter::new(vec![0.0, lr_h_max.min(4.0)], vec![1.0, 1.0])
            .mode(Mode::Lines)
            .name("β = 1: roots on the unit circle, never settles (02's loop without zero_())")
            .line(Line::new().color("#d62728").width(3.0)),
    );
    if !marks.is_empty() {
        plot.add_trace(
            Scatter::new(marks.iter().map(|m| m.0).collect(), marks.iter().map(|m| m.1).collect())
                .mode(Mode::MarkersText)
                .text_array(marks.iter().map(|m| m.2.to_string()).collect())
                .text_position(Position::MiddleRight)
                .text_font(Font::new().size(12).color("#444"))
                .marker(Marker::new().symbol(MarkerSymbol::Star).size(14).color("#444"))
                .name("marked points")
                .show_legend(false),
        );
    }
    let label = |k: usize| ((b'A' + k as u8) as char).to_string();
    for (k, (lr_h, beta, errors)) in samples.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let phase = heavy_ball_phase(*lr_h, *beta).name();
        let name = format!("{}: lr·h = {lr_h}, β = {beta} ({phase})", label(k));
        plot.add_trace(
            Scatter::new(vec![*lr_h], vec![*beta])
                .mode(Mode::MarkersText)
                .text_array(vec![label(k)])
                .text_position(Position::TopCenter)
                .text_font(Font::new().size(14).color(colour))
                .marker(Marker::new().symbol(MarkerSymbol::Circle).size(11).color(colour))
                .name(&name)
                .legend_group(&name)
                .show_legend(false),
        );
        let first = errors.first().copied().unwrap_or(1.0);
        plot.add_trace(
            Scatter::new((0..errors.len()).map(|s| s as f64).collect(), errors.iter().map(|e| e / first).collect())
                .mode(Mode::LinesMarkers)
                .name(&name)
                .legend_group(&name)
                .line(Line::new().color(colour).width(1.5))
                .marker(Marker::new().color(colour).size(5))
                .x_axis("x2")
                .y_axis("y2"),
        );
    }
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .grid(LayoutGrid::new().rows(1).columns(2).pattern(GridPattern::Independent).x_gap(0.12))
            .x_axis(Axis::new().title(Title::with_text("lr·h")).range(vec![0.0, lr_h_max]))
            .y_axis(Axis::new().title(Title::with_text("momentum β")).range(vec![0.0, 1.04]))
            .x_axis2(Axis::new().title(Title::with_text("step k")))
            .y_axis2(Axis::new().title(Title::with_text("error e_k / e_0 along h")).range(vec![-1.6, 1.6]))
            .legend(super::landscape::top_legend())
            .margin(plotly::layout::Margin::new().top(190))
            .height(640),
    );
    Figure::new(plot, 680)
}
