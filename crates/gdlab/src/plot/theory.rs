//! Notebook 04's figures: each direction's rate, the learning-rate sweep, the conditioning study.

use plotly::common::{Anchor, DashType, Line, Mode, Title};
use plotly::layout::{Annotation, Axis, Layout, Shape, ShapeLine, ShapeType};
use plotly::{Plot, Scatter};

use super::charts::titled_line_chart;
use super::figure::Figure;
use super::style::{Axes, COLOURS, log_axis};
use crate::convergence::{ConditioningCase, RateComparison, SweepPoint};

/// Measured `‖E·v‖` per step for each direction (solid) against the prediction
/// `‖E₀·v‖·rᵏ` (dashed), on a log scale: one colour per direction.
pub fn rate_figure(cmp: &RateComparison) -> Figure {
    let mut plot = Plot::new();
    for (i, d) in cmp.directions.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let label = format!("λ = {:.4}", d.lambda);
        let steps: Vec<f64> = (0..d.norms.len()).map(|k| k as f64).collect();
        let predicted: Vec<f64> = steps.iter().map(|&k| d.norms[0] * d.predicted.powf(k)).collect();
        plot.add_trace(
            Scatter::new(steps.clone(), d.norms.clone())
                .mode(Mode::LinesMarkers)
                .name(format!("{label}: measured, rate {:.4}", d.measured))
                .line(Line::new().color(colour))
                .marker(plotly::common::Marker::new().size(4).color(colour)),
        );
        plot.add_trace(
            Scatter::new(steps, predicted)
                .mode(Mode::Lines)
                .name(format!("{label}: predicted, rate {:.4}", d.predicted))
                .line(Line::new().color(colour).dash(DashType::Dash)),
        );
    }
    let (lo, hi) = cmp
        .directions
        .iter()
        .flat_map(|d| &d.norms)
        .filter(|v| **v > 0.0)
        .fold((f64::MAX, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
    plot.set_layout(
        Layout::new()
            .title(Title::with_text("Each direction of the error shrinks at its own rate"))
            .x_axis(Axis::new().title(Title::with_text("step")))
            .y_axis(
                log_axis([lo.max(hi * 1e-12), hi])
                    .title(Title::with_text("‖(X·M − I)·v‖"))
                    .range(vec![lo.max(hi * 1e-12).log10() - 0.5, hi.log10() + 0.5]),
            )
            .height(480),
    );
    Figure::new(plot, 500)
}

/// Final loss against learning rate on log axes, runs that diverged marked apart, and the
/// stability bound drawn as a vertical line.
pub fn sweep_figure(points: &[SweepPoint], bound: f64) -> Figure {
    let (ok, bad): (Vec<&SweepPoint>, Vec<&SweepPoint>) = points.iter().partition(|p| p.diverged_at.is_none());
    let xy = |ps: &[&SweepPoint]| {
        (ps.iter().map(|p| p.lr).collect::<Vec<_>>(), ps.iter().map(|p| p.final_loss).collect::<Vec<_>>())
    };
    let mut plot = Plot::new();
    let (x, y) = xy(&ok);
    plot.add_trace(Scatter::new(x, y).mode(Mode::LinesMarkers).name("converging: loss at the last step"));
    let (x, y) = xy(&bad);
    plot.add_trace(
        Scatter::new(x, y)
            .mode(Mode::Markers)
            .name("diverged: loss where the run stopped")
            .marker(plotly::common::Marker::new().size(10).symbol(plotly::common::MarkerSymbol::X).color("#d62728")),
    );
    let line = Shape::new()
        .shape_type(ShapeType::Line)
        .x_ref("x")
        .y_ref("paper")
        .x0(bound)
        .x1(bound)
        .y0(0)
        .y1(1)
        .line(ShapeLine::new().color("#444").dash(DashType::Dash));
    // On a log axis an annotation's x is in log10 units (a shape's is in data units).
    let note = Annotation::new()
        .x(bound.log10())
        .y(1.0)
        .x_ref("x")
        .y_ref("paper")
        .text(format!("bound N/λ_max = {bound:.4}"))
        .show_arrow(false)
        .x_anchor(Anchor::Right)
        .y_anchor(Anchor::Top);
    plot.set_layout(
        Layout::new()
            .title(Title::with_text("Final loss against the learning rate"))
            .x_axis(log_axis(points.iter().map(|p| p.lr)).title(Title::with_text("learning rate")))
            .y_axis(log_axis(points.iter().map(|p| p.final_loss)).title(Title::with_text("loss")))
            .shapes(vec![line])
            .annotations(vec![note])
            .height(440),
    );
    Figure::new(plot, 460)
}

/// Steps to reach the tolerance against the condition number, measured and predicted, on
/// log axes. Runs that hit the step cap are left out of the measured line.
pub fn conditioning_figure(cases: &[ConditioningCase]) -> Figure {
    let x: Vec<f64> = cases.iter().map(|c| c.condition).collect();
    let measured: Vec<f64> = cases.iter().map(|c| c.steps.map_or(f64::NAN, |s| s as f64)).collect();
    let predicted: Vec<f64> = cases.iter().map(|c| c.predicted_steps.map_or(f64::NAN, |s| s as f64)).collect();
    titled_line_chart(
        &x,
        &[("measured", &measured), ("predicted", &predicted)],
        Axes::LogLog,
        "Steps to reach the tolerance against the condition number of M",
        ("cond(M) = σ_max/σ_min", "steps"),
    )
}
