//! Paths drawn on the landscape: contours of the loss over two entries of X, with the points a
//! method visits joined by lines, and a slider over the learning rate or β.

use plotly::common::{
    Anchor, ColorBar, ColorScale, ColorScaleElement, DashType, Line, Marker, MarkerSymbol, Mode, Orientation, Pad,
    Title, Visible,
};
use plotly::contour::{Coloring, Contours};
use plotly::layout::{
    Axis, AxisConstrain, GridPattern, Layout, LayoutGrid, Legend, Margin, Slider, SliderCurrentValue, SliderMethod,
    SliderStep,
};
use plotly::{Contour, Plot, Scatter};

use super::figure::Figure;
use super::style::{COLOURS, axis_pair, rows_of};
use crate::landscape::{LossSlice, Path};

/// Decades of loss below the slice's highest that the contours show: 4 decades at 5 levels each
/// is 21 lines, within the 25 that still read, and reaches from the walls to the valley's floor.
const DECADES: f64 = 4.0;
const LEVELS_PER_DECADE: f64 = 5.0;

/// `10⁻³`: a power of ten as a label.
fn power_of_ten(k: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let sign = if k < 0 { "⁻" } else { "" };
    let digits: String = k.unsigned_abs().to_string().chars().map(|c| DIGITS[c as usize - '0' as usize]).collect();
    format!("10{sign}{digits}")
}

/// White to a light blue: the contours stay in the background and the paths in front read.
fn background_colours() -> ColorScale {
    let stops = [(0.0, "#ffffff"), (0.5, "#c6dbef"), (1.0, "#6baed6")];
    ColorScale::Vector(stops.iter().map(|&(at, c)| ColorScaleElement(at, c.to_string())).collect())
}

/// The filled contours of log₁₀(loss), levels every fifth of a decade over the top four decades.
fn contour_trace(slice: &LossSlice, panel: usize, colour_bar: bool) -> Box<Contour<Vec<f64>, f64, f64>> {
    let top = slice.losses.iter().copied().filter(|l| l.is_finite()).fold(f64::MIN_POSITIVE, f64::max).log10();
    let (end, start) = (top.ceil(), top.ceil() - DECADES);
    let z = slice.losses.mapv(|l| l.max(10f64.powf(start - 1.0)).log10());
    let ticks: Vec<f64> = (start as i32..=end as i32).map(f64::from).collect();
    Contour::new(slice.xs.clone(), slice.ys.clone(), rows_of(z.view()))
        .contours(Contours::new().start(start).end(end).size(1.0 / LEVELS_PER_DECADE).coloring(Coloring::Fill))
        .color_scale(background_colours())
        .line(Line::new().color("#9ecae1").width(0.5))
        .show_scale(colour_bar)
        .color_bar(
            ColorBar::new()
                .title(Title::with_text("loss"))
                .tick_vals(ticks.clone())
                .tick_text(ticks.iter().map(|&k| power_of_ten(k as i32)).collect()),
        )
        .hover_template("(%{x:.3f}, %{y:.3f})<br>log₁₀ loss %{z:.2f}<extra></extra>")
        .name("loss")
        .x_axis(&format!("x{panel}"))
        .y_axis(&format!("y{panel}"))
}

/// The legend in a row above the panels, under the title: below them it would meet the axis
/// titles, whose room depends on the page's width (JupyterLab's is narrower than an export's).
pub(super) fn top_legend() -> Legend {
    Legend::new().orientation(Orientation::Horizontal).x(0.0).y(1.02).y_anchor(Anchor::Bottom)
}

/// A path as points joined by lines.
fn path_trace(name: &str, path: &Path, colour: &'static str, dash: DashType, panel: usize) -> Box<Scatter<f64, f64>> {
    Scatter::new(path.points.iter().map(|p| p[0]).collect(), path.points.iter().map(|p| p[1]).collect())
        .mode(Mode::LinesMarkers)
        .name(name)
        .line(Line::new().color(colour).width(1.5).dash(dash))
        .marker(Marker::new().color(colour).size(5))
        .hover_template(format!("{name}<br>step %{{pointNumber}}: (%{{x:.4f}}, %{{y:.4f}})<extra></extra>"))
        .x_axis(format!("x{panel}"))
        .y_axis(format!("y{panel}"))
}

/// The start (an open black circle) and the minimum (a gold star outlined in black: not red, so
/// that a red path that flies out cannot hide it), in the legend once.
fn marks(start: [f64; 2], minimum: [f64; 2], panel: usize) -> [Box<Scatter<f64, f64>>; 2] {
    let mark = |at: [f64; 2], name: &str, symbol, fill: &'static str, outline: &'static str| {
        Scatter::new(vec![at[0]], vec![at[1]])
            .mode(Mode::Markers)
            .name(name)
            .marker(Marker::new().symbol(symbol).size(15).color(fill).line(Line::new().width(1.5).color(outline)))
            .show_legend(panel == 1)
            .legend_group(name)
            .x_axis(format!("x{panel}"))
            .y_axis(format!("y{panel}"))
    };
    [
        mark(start, "start", MarkerSymbol::CircleOpen, "black", "black"),
        mark(minimum, "minimum", MarkerSymbol::Star, "#ffbf00", "black"),
    ]
}

/// The axes of one panel: the grid's ranges, titled by the entries, y on the same scale as x
/// (`scaleanchor`), so that a narrow valley looks as narrow as it is.
fn panel_axes(slice: &LossSlice, panel: usize, title: &str) -> (Axis, Axis) {
    let [(a, b), (c, d)] = slice.entries;
    let ends = |v: &[f64]| vec![v[0], v[v.len() - 1]];
    // Equal scales shrink a panel's box rather than widen its ranges past the grid.
    let label = if title.is_empty() { format!("X[{a},{b}]") } else { format!("X[{a},{b}] · {title}") };
    let x = Axis::new().title(Title::with_text(label)).range(ends(&slice.xs)).constrain(AxisConstrain::Domain);
    let y = Axis::new()
        .constrain(AxisConstrain::Domain)
        .title(Title::with_text(format!("X[{c},{d}]")))
        .range(ends(&slice.ys))
        .scale_anchor(format!("x{}", if panel == 1 { String::new() } else { panel.to_string() }))
        .scale_ratio(1.0);
    (x, y)
}

/// Paths on the contours of `slice`, one panel per entry of `panels` (a title and its paths),
/// two panels to a row. Each panel marks `start` and `minimum`;
/// the x and y axes share one scale; contours are spaced in log of the loss, at most 21 levels.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// let start: Array2<f32> = TorchRng::manual_seed(314).rand((4, 4));
/// let entries = [(0, 0), (0, 3)];
/// let xs: Vec<f64> = (0..41).map(|k| 0.5 + 0.02 * k as f64).collect();
/// let ys: Vec<f64> = (0..41).map(|k| -0.4 + 0.02 * k as f64).collect();
/// let slice = loss_slice(&m, &inverse(&m)?, entries, &xs, &ys)?;
/// let walk = path(&m, &start, AnyOptimizer::Lesson, 0.2, 30, entries)?;
/// let figure = paths_figure(&slice, &[("lr = 0.2", &[("descent", &walk)])], walk.points[0], [1.0, 0.0], "Descent's path");
/// assert!(figure.to_json().contains("scaleanchor"));
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn paths_figure(
    slice: &LossSlice,
    panels: &[(&str, &[(&str, &Path)])],
    start: [f64; 2],
    minimum: [f64; 2],
    title: &str,
) -> Figure {
    let mut plot = Plot::new();
    let columns = panels.len().clamp(1, 2);
    let rows = panels.len().div_ceil(2).max(1);
    let height = 180 + 420 * rows;
    let mut layout =
        Layout::new().title(Title::with_text(title)).height(height).legend(top_legend()).margin(Margin::new().top(150));
    if panels.len() > 1 {
        layout = layout.grid(
            LayoutGrid::new().rows(rows).columns(columns).pattern(GridPattern::Independent).y_gap(0.25).x_gap(0.15),
        );
    }
    let mut colour = 0;
    for (k, (panel_title, paths)) in panels.iter().enumerate() {
        let panel = k + 1;
        plot.add_trace(contour_trace(slice, panel, k == 0));
        // Paths that run together in a panel stay apart by their dashes: solid, dashed, dotted.
        for (k, (name, path)) in paths.iter().enumerate() {
            let dash = [DashType::Solid, DashType::Dash, DashType::Dot][k % 3].clone();
            plot.add_trace(path_trace(name, path, COLOURS[colour % COLOURS.len()], dash, panel));
            colour += 1;
        }
        for mark in marks(start, minimum, panel) {
            plot.add_trace(mark);
        }
        let (x, y) = panel_axes(slice, panel, panel_title);
        layout = axis_pair(layout, panel, x, y);
    }
    plot.set_layout(layout);
    Figure::new(plot, height + 20)
}

/// `0.941` for 16/17: a knob's value in at most three decimals, without trailing zeros.
fn short(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The contours of `slice` alone, with `start` and `minimum` marked: [`paths_figure`] with one
/// panel and no path.
pub fn valley_figure(slice: &LossSlice, start: [f64; 2], minimum: [f64; 2], title: &str) -> Figure {
    paths_figure(slice, &[("", &[])], start, minimum, title)
}

/// What a path did, for a slider's title: the step at which its loss reaches `tolerance`, or
/// that it flies out or does not get there.
fn outcome(path: &Path, tolerance: f64) -> String {
    match path.steps_to(tolerance) {
        Some(k) => format!("loss ≤ {tolerance:e} at step {k}"),
        None if path.diverged || path.losses.last() > path.losses.first() => "flies out".into(),
        None => format!("loss above {tolerance:e} after {} steps", path.steps()),
    }
}

/// One precomputed path per value of a knob (`"lr"`, `"β"`), drawn on the contours of `slice`,
/// with a slider: each step shows one path (plotly's `update` method), so it works offline, in
/// exported pages, with no kernel behind it. Each title says when that path's loss reaches `tolerance`.
pub fn path_slider(
    slice: &LossSlice,
    knob: &str,
    runs: &[(f64, Path)],
    minimum: [f64; 2],
    tolerance: f64,
    title: &str,
) -> Figure {
    let mut plot = Plot::new();
    plot.add_trace(contour_trace(slice, 1, true));
    let shown = runs.len() / 2;
    for (i, (value, path)) in runs.iter().enumerate() {
        let trace =
            path_trace(&format!("{knob} = {}", short(*value)), path, COLOURS[0], DashType::Solid, 1).show_legend(false);
        plot.add_trace(trace.visible(if i == shown { Visible::True } else { Visible::False }));
    }
    if let Some(first) = runs.first().and_then(|(_, p)| p.points.first()) {
        for mark in marks(*first, minimum, 1) {
            plot.add_trace(mark);
        }
    }
    let heading =
        |(value, path): &(f64, Path)| format!("{title} · {knob} = {} · {}", short(*value), outcome(path, tolerance));
    let steps: Vec<SliderStep> = runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            // The contour and the two marks stay; of the paths only the i-th shows.
            let visible: Vec<bool> =
                std::iter::once(true).chain((0..runs.len()).map(|k| k == i)).chain([true, true]).collect();
            SliderStep::new()
                .label(short(run.0))
                .method(SliderMethod::Update)
                .args(serde_json::json!([{ "visible": visible }, { "title.text": heading(run) }]))
        })
        .collect();
    let (x, y) = panel_axes(slice, 1, &format!("drag the slider to change {knob}"));
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(runs.get(shown).map(heading).unwrap_or_default()))
            .x_axis(x)
            .y_axis(y)
            .height(600)
            .legend(top_legend())
            .margin(Margin::new().top(110))
            .sliders(vec![
                Slider::new()
                    .active(shown as i32)
                    .steps(steps)
                    .current_value(SliderCurrentValue::new().prefix(format!("{knob} = ")).visible(true))
                    .pad(Pad::new(70, 0, 0)),
            ]),
    );
    Figure::new(plot, 620)
}
