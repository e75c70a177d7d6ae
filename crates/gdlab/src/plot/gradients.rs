//! The gradients notebook's figure: finite-difference error against the step h.

use plotly::common::{Anchor, DashType, Line, Mode, Title};
use plotly::layout::{Annotation, Layout, Shape, ShapeLine, ShapeType};
use plotly::{Plot, Scatter};

use super::figure::Figure;
use super::style::{COLOURS, log_axis};

/// One curve of an error sweep: its name, the error at each h, and the h that the error
/// model predicts for its bottom (drawn as a dashed line of the same colour), if it has one.
#[derive(Clone, Copy, Debug)]
pub struct ErrorCurve<'a> {
    /// The legend's name.
    pub name: &'a str,
    /// The error at each h of the sweep.
    pub errors: &'a [f64],
    /// The predicted best h.
    pub predicted_best: Option<f64>,
}

/// The error of finite differences against the step h, on log–log axes, with each curve's
/// predicted bottom marked; ticks read 10⁻⁸, not plotly's SI prefixes (10n), which are no
/// notation for a step size. An error of exactly 0 cannot be drawn on a log axis and leaves a gap.
pub fn error_sweep_figure(hs: &[f64], curves: &[ErrorCurve<'_>], title: &str) -> Figure {
    let mut plot = Plot::new();
    let (mut shapes, mut notes) = (Vec::new(), Vec::new());
    for (i, curve) in curves.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let errors: Vec<f64> = curve.errors.iter().map(|&e| if e > 0.0 { e } else { f64::NAN }).collect();
        plot.add_trace(
            Scatter::new(hs.to_vec(), errors)
                .mode(Mode::LinesMarkers)
                .name(curve.name)
                .line(Line::new().color(colour))
                .marker(plotly::common::Marker::new().size(5).color(colour)),
        );
        let Some(h) = curve.predicted_best else { continue };
        shapes.push(
            Shape::new()
                .shape_type(ShapeType::Line)
                .x_ref("x")
                .y_ref("paper")
                .x0(h)
                .x1(h)
                .y0(0)
                .y1(1)
                .line(ShapeLine::new().color(colour).dash(DashType::Dash)),
        );
        notes.push(
            Annotation::new()
                .x(h.log10())
                .y(1.0 - 0.06 * i as f64)
                .x_ref("x")
                .y_ref("paper")
                .text(format!("predicted h = {h:.0e}"))
                .font(plotly::common::Font::new().color(colour))
                .show_arrow(false)
                .x_anchor(Anchor::Left)
                .y_anchor(Anchor::Top),
        );
    }
    let errors = curves.iter().flat_map(|c| c.errors.iter().copied());
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .x_axis(log_axis(hs.iter().copied()).title(Title::with_text("step h")))
            .y_axis(log_axis(errors).title(Title::with_text("largest |estimate − exact|")))
            .shapes(shapes)
            .annotations(notes)
            .height(460),
    );
    Figure::new(plot, 480)
}
