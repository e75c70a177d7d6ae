//! The momentum map: heavy-ball momentum's predicted rate over (lr, β), after Distill's
//! "Why Momentum Really Works".

use plotly::common::{ColorBar, ColorScale, ColorScalePalette, Line, Marker, MarkerSymbol, Mode, Position, Title};
use plotly::layout::{Axis, Layout, Legend};
use plotly::{HeatMap, Plot, Scatter};

use super::figure::Figure;
use super::style::rows_of;
use crate::momentum_map::{MomentumMap, RatePoint};

/// The predicted rate `max |σ|` as a heatmap over (lr, β), darker where it is faster, blank
/// where it is 1 or more (on the boundary the error does not shrink; past it the run diverges),
/// a rate within round-off of 1 included; the stability boundary `lr = 2(1 + β)/h_max` as a
/// black line; Polyak's optimum as a star; and `points`, measured runs, as black circles labelled
/// with their measured rate, or red crosses where the run diverged.
pub fn momentum_map_figure(map: &MomentumMap, points: &[RatePoint], title: &str) -> Figure {
    let mut plot = Plot::new();
    // On the boundary itself the rate is 1 (σ = −1), but computed it can come out a rounding
    // below, e.g. 0.9999999999999999 at lr 1.54, β 0.54: that is 1, and blank too.
    let shown = map.rates.mapv(|r| if r < 1.0 - 1e-12 { r } else { f64::NAN });
    let fastest = shown.iter().copied().filter(|r| r.is_finite()).fold(1.0, f64::min);
    plot.add_trace(
        HeatMap::new(map.lrs.clone(), map.betas.clone(), rows_of(shown.view()))
            .zmin((fastest * 10.0).floor() / 10.0)
            .zmax(1.0)
            .color_scale(ColorScale::Palette(ColorScalePalette::Viridis))
            .color_bar(ColorBar::new().title(Title::with_text("rate max|σ|")))
            .hover_template("lr %{x:.3f}, β %{y:.3f}<br>rate %{z:.4f}<extra></extra>")
            .name("predicted rate"),
    );
    let betas: Vec<f64> = vec![0.0, *map.betas.last().unwrap_or(&0.99)];
    plot.add_trace(
        Scatter::new(betas.iter().map(|&b| map.boundary_lr(b)).collect(), betas)
            .mode(Mode::Lines)
            .name("stability boundary lr·h_max = 2(1 + β)")
            .line(Line::new().color("black").width(2.0)),
    );
    plot.add_trace(
        Scatter::new(vec![map.polyak.lr], vec![map.polyak.beta])
            .mode(Mode::MarkersText)
            .name(format!("Polyak's optimum: rate {:.3}", map.polyak.rate))
            .text_array(vec![format!("Polyak {:.3}", map.polyak.rate)])
            .text_position(Position::TopCenter)
            .text_font(plotly::common::Font::new().color("white").size(13)) // on the darkest colours
            .marker(Marker::new().symbol(MarkerSymbol::Star).size(16).color("#ff7f0e")),
    );
    let (converged, diverged): (Vec<&RatePoint>, Vec<&RatePoint>) = points.iter().partition(|p| p.measured.is_some());
    let marks = [
        (converged, "measured runs (label: measured rate)", MarkerSymbol::CircleOpen, "black"),
        (diverged, "a run that diverges", MarkerSymbol::X, "#d62728"),
    ];
    for (at, name, symbol, colour) in marks {
        let labels = at.iter().map(|p| p.measured.map_or("diverges".into(), |m| format!("{m:.3}"))).collect();
        plot.add_trace(
            Scatter::new(at.iter().map(|p| p.lr).collect(), at.iter().map(|p| p.beta).collect())
                .mode(Mode::MarkersText)
                .name(name)
                .text_array(labels)
                .text_position(Position::TopCenter)
                .text_font(plotly::common::Font::new().color(colour).size(13))
                .marker(Marker::new().symbol(symbol).size(12).color(colour).line(Line::new().width(2.0).color(colour))),
        );
    }
    let (x_max, y_max) = (map.lrs.last().copied().unwrap_or(1.0), map.betas.last().copied().unwrap_or(1.0));
    // The colours span the rates the grid has, not 0..1: the fastest is Polyak's, well above 0.
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .x_axis(Axis::new().title(Title::with_text("learning rate lr")).range(vec![0.0, x_max * 1.02]))
            .y_axis(Axis::new().title(Title::with_text("momentum β")).range(vec![-0.04, y_max + 0.04]))
            .legend(Legend::new().orientation(plotly::common::Orientation::Horizontal).y(-0.18))
            .height(560),
    );
    Figure::new(plot, 580)
}
