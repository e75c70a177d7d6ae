//! Plots that render everywhere, offline: in JupyterLab, VS Code, exported HTML and files.
//!
//! A [`Figure`] shown in evcxr emits one output with two MIME types:
//! `application/vnd.plotly.v1+json`, which JupyterLab, Notebook 7 and VS Code draw natively,
//! and `text/html` for exported pages and other front ends. That HTML needs no network:
//! the first figure of a kernel session carries plotly.js inline (about 4.6 MB) and later
//! figures reuse it, so a page holds one copy however many plots it has.

use std::path::Path;

use ndarray::{Array2, ArrayRef1, ArrayRef2, ArrayView2};
use plotly::common::{
    Anchor, ColorScale, ColorScaleElement, ColorScalePalette, DashType, ExponentFormat, Line, Mode, Pad, Title, Visible,
};
use plotly::layout::update_menu::{ButtonBuilder, UpdateMenu, UpdateMenuDirection, UpdateMenuType};
use plotly::layout::{
    Animation, AnimationMode, AnimationOptions, Annotation, Axis, AxisType, Frame, FrameSettings, GridPattern, Layout,
    LayoutGrid, Shape, ShapeLine, ShapeType, Slider, SliderCurrentValue, SliderMethod, SliderStep, SliderStepBuilder,
    TransitionSettings,
};
use plotly::{Bar, HeatMap, Plot, Scatter, Traces};
use polars::prelude::{Column, DataFrame, DataType};

use crate::convergence::{ConditioningCase, RaceResult, RateComparison, SweepPoint, Tuning};
use crate::descent::InverseDescent;
use crate::error::{GdlabError, Result, write_file};
use crate::history::{History, Snapshot};
use crate::optim::Momentum;
use crate::real::Real;

/// Set in the kernel's environment once plotly.js went out. Not a static: evcxr links a copy
/// of this crate into each cell, but all cells share the process.
const PLOTLY_JS_SENT: &str = "GDLAB_PLOTLY_JS_SENT";

/// Most panels [`diff_heatmaps`] draws: plotly-rs's layout has eight axis pairs.
pub const MAX_PANELS: usize = 8;

/// A plotly figure that displays itself in evcxr and writes offline HTML.
#[derive(Clone)]
pub struct Figure {
    plot: Plot,
    height: usize,
}

impl std::fmt::Debug for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Figure({} traces, {} px)", self.plot.data().len(), self.height)
    }
}

impl Figure {
    /// Wraps a plotly-rs [`Plot`], drawn `height` pixels high in HTML.
    pub fn new(plot: Plot, height: usize) -> Self {
        Figure { plot, height }
    }

    /// The plotly-rs plot, to adjust before display.
    pub fn plot_mut(&mut self) -> &mut Plot {
        &mut self.plot
    }

    /// The plotly-rs plot.
    pub fn plot(&self) -> &Plot {
        &self.plot
    }

    /// The figure as plotly JSON (`data`, `layout`, `config`, `frames`): the
    /// `application/vnd.plotly.v1+json` payload.
    pub fn to_json(&self) -> String {
        self.plot.to_json()
    }

    /// An HTML fragment (a `div` and the script that draws it) for a page that already has
    /// plotly.js, or that gets it from `plotly_js`, which [`plotly_js`] returns.
    pub fn to_html_fragment(&self) -> String {
        // plotly-rs writes the div (with a fresh id) and the `Plotly.newPlot` call. Two things it
        // does not do: the div is 100% high, which is zero in a notebook's output area, so it gets
        // our height; and it draws at once, which fails where the page's plotly.js script has not
        // run yet, so the call waits for the page's load event when Plotly is still missing.
        let inline = self.plot.to_inline_html(None);
        let (open, call) = inline.split_once("<script type=\"text/javascript\">").expect("plotly-rs writes a script");
        let call = call.trim_end().strip_suffix("</script>").expect("plotly-rs closes its script").trim();
        let open = open.replacen("height:100%;", &format!("height:{}px;", self.height), 1);
        format!(
            "{open}<script type=\"text/javascript\">\n\
             (function () {{\n\
               function draw() {{ {call} }}\n\
               if (window.Plotly) {{ draw(); }} else {{ window.addEventListener(\"load\", draw); }}\n\
             }})();\n\
             </script>"
        )
    }

    /// A complete page that opens offline (plotly.js inline).
    pub fn to_standalone_html(&self) -> String {
        Report::new("gdlab figure").figure(self.clone()).to_html()
    }

    /// Writes [`to_standalone_html`](Self::to_standalone_html) to `path`.
    ///
    /// # Errors
    /// [`GdlabError::Io`] if the file cannot be written.
    pub fn write_html(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_standalone_html())
    }

    /// Shows the figure in evcxr: one output with the plotly MIME type and offline HTML.
    pub fn evcxr_display(&self) {
        let js = if std::env::var_os(PLOTLY_JS_SENT).is_some() {
            String::new()
        } else {
            // SAFETY: evcxr runs a cell's code on one thread, and nothing else here reads the
            // environment concurrently.
            unsafe { std::env::set_var(PLOTLY_JS_SENT, "1") };
            plotly_js()
        };
        println!("EVCXR_BEGIN_CONTENT application/vnd.plotly.v1+json\n{}\nEVCXR_END_CONTENT", self.to_json());
        println!("EVCXR_BEGIN_CONTENT text/html\n{js}{}\nEVCXR_END_CONTENT", self.to_html_fragment());
    }
}

/// Makes the next figure shown in evcxr carry plotly.js again, e.g. after the output that
/// carried it was cleared.
pub fn resend_plotly_js() {
    // SAFETY: as in `Figure::evcxr_display`.
    unsafe { std::env::remove_var(PLOTLY_JS_SENT) };
}

/// plotly.js (bundled by the plotly crate's `plotly_embed_js` feature) in a `<script>` element.
pub fn plotly_js() -> String {
    let both = Plot::offline_js_sources();
    // The bundle is plotly.js followed by MathJax, which these plots do not use.
    let marker = "<script type=\"text/javascript\">";
    let cut = both.rfind(marker).filter(|&i| i > 0).unwrap_or(both.len());
    both[..cut].trim_end().to_string()
}

/// A self-contained HTML page of headings, paragraphs and figures, with plotly.js once.
#[derive(Clone, Debug, Default)]
pub struct Report {
    title: String,
    body: Vec<String>,
}

impl Report {
    /// An empty report with this title.
    pub fn new(title: &str) -> Self {
        Report { title: title.to_string(), body: Vec::new() }
    }

    /// Adds a heading.
    pub fn heading(mut self, text: &str) -> Self {
        self.body.push(format!("<h2>{}</h2>", escape(text)));
        self
    }

    /// Adds a paragraph (or a block of preformatted text, if it spans several lines).
    pub fn text(mut self, text: &str) -> Self {
        let tag = if text.contains('\n') { "pre" } else { "p" };
        self.body.push(format!("<{tag}>{}</{tag}>", escape(text)));
        self
    }

    /// Adds a figure.
    pub fn figure(mut self, figure: Figure) -> Self {
        self.body.push(figure.to_html_fragment());
        self
    }

    /// The page.
    pub fn to_html(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n{js}\n</head>\n\
             <body style=\"font-family: sans-serif; max-width: 1100px; margin: auto;\">\n<h1>{title}</h1>\n{body}\n</body>\n</html>\n",
            title = escape(&self.title),
            js = plotly_js(),
            body = self.body.join("\n")
        )
    }

    /// Writes the page to `path`.
    ///
    /// # Errors
    /// [`GdlabError::Io`] if the file cannot be written.
    pub fn write_html(&self, path: impl AsRef<Path>) -> Result<()> {
        write_file(path.as_ref(), &self.to_html())
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn rows_of(a: ArrayView2<'_, f64>) -> Vec<Vec<f64>> {
    a.rows().into_iter().map(|r| r.to_vec()).collect()
}

fn axis_pair(layout: Layout, i: usize, x: Axis, y: Axis) -> Layout {
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
fn reach<'a>(values: impl Iterator<Item = &'a f64>) -> f64 {
    let reach = values.fold(0.0f64, |m, v| m.max(v.abs()));
    if reach > 0.0 && reach.is_finite() { reach } else { 1.0 }
}

/// ColorBrewer's RdBu: blue below 0, white at 0, red above. plotly's own "RdBu" has a grey
/// middle, which makes a zero look like a value.
fn diverging_colours() -> ColorScale {
    let stops = [(0.0, "#2166ac"), (0.25, "#67a9cf"), (0.5, "#f7f7f7"), (0.75, "#ef8a62"), (1.0, "#b2182b")];
    ColorScale::Vector(stops.iter().map(|&(at, colour)| ColorScaleElement(at, colour.to_string())).collect())
}

/// One heatmap of a matrix on the diverging scale −reach..reach, blue and red around a white 0.
fn diverging_heatmap(a: ArrayView2<'_, f64>, reach: f64, label: &str) -> Box<HeatMap<usize, usize, Vec<f64>>> {
    let (rows, cols) = a.dim();
    HeatMap::new((0..cols).collect(), (0..rows).collect(), rows_of(a))
        .zmin(-reach)
        .zmid(0.0)
        .zmax(reach)
        .color_scale(diverging_colours())
        .hover_template(format!("{label}row %{{y}}, col %{{x}}<br>%{{z:.4f}}<extra></extra>"))
}

/// A log axis labelled at decades only: plotly's own choice labels the 2s and 5s between them
/// on short ranges, which clutters the axis. Long ranges get every k-th decade.
fn log_axis(values: impl IntoIterator<Item = f64>) -> Axis {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN_POSITIVE), |(a, b), v| (a.min(v), b.max(v)));
    let span = if lo <= hi { hi.log10() - lo.log10() } else { 1.0 };
    Axis::new().type_(AxisType::Log).dtick((span / 10.0).ceil().max(1.0))
}

/// How the panels of [`diff_heatmaps`] (and the frames of [`diff_animation`]) pick their colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColourRange {
    /// Each panel from −r to +r, r its own largest |value|, stated in its title: the pattern
    /// of every step stays visible, however small the numbers get. As the original's
    /// `px.imshow`, which scales each picture to itself.
    PerPanel,
    /// One range for all panels, fixed by the largest |value| of any: compares magnitudes,
    /// but late steps fade to one colour.
    Shared,
}

/// `±0.08`, `±2.2`, `±4.4e-3`: a colour range in a title, in as few digits as read well.
fn range_label(reach: f64) -> String {
    if (0.01..100.0).contains(&reach) { format!("±{reach:.2}") } else { format!("±{reach:.1e}") }
}

/// Heatmap panels side by side on a diverging scale centred on 0.
fn diverging_panels(title: &str, panels: &[(String, ArrayView2<'_, f64>)], range: ColourRange) -> Figure {
    let shared = reach(panels.iter().flat_map(|(_, a)| a.iter()));
    let mut plot = Plot::new();
    let title = match range {
        ColourRange::PerPanel => format!("{title} (each panel on its own colour range)"),
        ColourRange::Shared => format!("{title} (one colour range, {})", range_label(shared)),
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
            ColourRange::PerPanel => {
                let r = reach(a.iter());
                (r, format!("{label} · {}", range_label(r)))
            }
            ColourRange::Shared => (shared, label.clone()),
        };
        let trace = diverging_heatmap(a.view(), panel_reach, &format!("{label}<br>"))
            .show_scale(range == ColourRange::Shared && k == 0)
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

/// Named matrices as heatmaps on one diverging colour range centred on 0, so that equal
/// colours are equal values: e.g. what a run left beside what the theory predicts.
///
/// ```
/// use gdlab::prelude::*;
/// let a = array![[1.0f32, -2.0], [0.5, 0.0]];
/// let figure = matrix_heatmaps(&[("a", &a), ("−a", &(-&a))], "a and −a");
/// assert!(figure.to_json().contains("one colour range, ±2.00"));
/// ```
pub fn matrix_heatmaps<T: Real>(panels: &[(&str, &Array2<T>)], title: &str) -> Figure {
    let values: Vec<_> = panels.iter().map(|(_, m)| m.mapv(Real::as_f64)).collect();
    let named: Vec<_> = panels.iter().zip(&values).map(|((name, _), v)| (name.to_string(), v.view())).collect();
    diverging_panels(title, &named, ColourRange::Shared)
}

/// A heatmap of a difference matrix: diverging colours centred on 0, a colour bar, rows
/// top-down as the matrix prints, and (row, col, value) on hover.
pub fn diff_heatmap<T: Real>(diff: &ArrayRef2<T>) -> Figure {
    let d = diff.mapv(Real::as_f64);
    diverging_panels("X·M − I", &[("difference".to_string(), d.view())], ColourRange::Shared)
}

/// Snapshots of a run as small multiples: the original's heatmaps at steps 0, 20, 40, 60 and
/// 80 in one figure. [`ColourRange::PerPanel`] shows each step's pattern (the slow first
/// column at step 80), [`ColourRange::Shared`] how much smaller the error gets.
///
/// With more than [`MAX_PANELS`] snapshots it shows that many, evenly spaced, first and last included.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// let history = InverseDescent::new(&m).seed(314).run()?;
/// let figure = diff_heatmaps(&history.snapshots, ColourRange::PerPanel);
/// assert!(figure.to_json().contains("step 80 · ±"));
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn diff_heatmaps<T: Real>(snapshots: &[Snapshot<T>], range: ColourRange) -> Figure {
    let n = snapshots.len();
    let picks: Vec<usize> = if n <= MAX_PANELS {
        (0..n).collect()
    } else {
        (0..MAX_PANELS).map(|k| k * (n - 1) / (MAX_PANELS - 1)).collect()
    };
    let diffs: Vec<_> = picks.iter().map(|&k| snapshots[k].diff.mapv(Real::as_f64)).collect();
    let panels: Vec<_> =
        picks.iter().zip(&diffs).map(|(&k, d)| (format!("step {}", snapshots[k].step), d.view())).collect();
    diverging_panels("X·M − I during gradient descent", &panels, range)
}

/// Losses as a polars DataFrame with columns `step` and `losses`, like the original's
/// `pd.DataFrame({'losses': ...})`: e.g. the `losses` of a loop, or [`History::losses`](crate::History::losses).
pub fn losses_frame<T: Real>(losses: &[T]) -> DataFrame {
    let steps: Vec<u32> = (0..losses.len() as u32).collect();
    let losses: Vec<f64> = losses.iter().map(|l| l.as_f64()).collect();
    let height = steps.len();
    DataFrame::new(height, vec![Column::new("step".into(), steps), Column::new("losses".into(), losses)])
        .expect("two columns of equal length")
}

fn f64_column(df: &DataFrame, name: &str) -> Result<Vec<f64>> {
    let column = df.column(name).map_err(|_| GdlabError::MissingColumn {
        name: name.to_string(),
        available: df.get_column_names().iter().map(|n| n.to_string()).collect(),
    })?;
    let values = column.strict_cast(&DataType::Float64)?;
    Ok(values.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// A column of a DataFrame on a log-scale y axis, against its `step` column (or the row number).
///
/// # Errors
/// [`GdlabError::MissingColumn`] if the column is missing, [`GdlabError::Frame`] if it is not numeric.
pub fn loss_line(df: &DataFrame, column: &str) -> Result<Figure> {
    let y = f64_column(df, column)?;
    let x = if df.column("step").is_ok() { f64_column(df, "step")? } else { (0..y.len()).map(|i| i as f64).collect() };
    let y_values = y.clone();
    let mut plot = Plot::new();
    plot.add_trace(Scatter::new(x, y).mode(Mode::Lines).name(column));
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(format!("{column} (log scale)")))
            .x_axis(Axis::new().title(Title::with_text("step")))
            .y_axis(log_axis(y_values).title(Title::with_text(column)))
            .height(400),
    );
    Ok(Figure::new(plot, 420))
}

/// Which axes of a [`line_chart`] are on a log scale.
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
    fn types(self) -> (AxisType, AxisType) {
        match self {
            Axes::Linear => (AxisType::Linear, AxisType::Linear),
            Axes::LogX => (AxisType::Log, AxisType::Linear),
            Axes::LogY => (AxisType::Linear, AxisType::Log),
            Axes::LogLog => (AxisType::Log, AxisType::Log),
        }
    }
}

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
fn titled_line_chart(x: &[f64], series: &[(&str, &[f64])], axes: Axes, title: &str, labels: (&str, &str)) -> Figure {
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

/// Every numeric column of a DataFrame but `step` as a line against `step`, on a log-scale
/// y axis: e.g. the loss curves of [`seed_losses`](crate::seed_losses).
///
/// # Errors
/// [`GdlabError::MissingColumn`] if the frame has no `step` column, [`GdlabError::Frame`] if a column is not numeric.
pub fn loss_lines(df: &DataFrame, title: &str) -> Result<Figure> {
    let x = f64_column(df, "step")?;
    let mut plot = Plot::new();
    let mut all = Vec::new();
    for name in df.get_column_names().iter().filter(|n| n.as_str() != "step") {
        let y = f64_column(df, name.as_str())?;
        all.extend_from_slice(&y);
        plot.add_trace(Scatter::new(x.clone(), y).mode(Mode::Lines).name(name.as_str()).opacity(0.7));
    }
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .x_axis(Axis::new().title(Title::with_text("step")))
            .y_axis(log_axis(all).title(Title::with_text("loss")))
            .height(440),
    );
    Ok(Figure::new(plot, 460))
}

/// Measured `‖E·v‖` per step for each direction (solid) against the prediction
/// `‖E₀·v‖·rᵏ` (dashed), on a log scale: one colour per direction.
pub fn rate_figure(cmp: &RateComparison) -> Figure {
    const COLOURS: [&str; 8] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
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
    plot.add_trace(Scatter::new(x, y).mode(Mode::LinesMarkers).name("converging: loss after the last step"));
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
    let note = Annotation::new()
        .x(bound)
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

/// An animated heatmap of `X·M − I`, one frame per snapshot, with a slider to scrub through
/// the steps and a play button.
///
/// With [`ColourRange::PerPanel`] each frame has its own range, stated in the title and the
/// colour bar, so the pattern stays visible as the error shrinks by orders of magnitude;
/// with [`ColourRange::Shared`] one range serves every frame and the fading shows the shrinking.
pub fn diff_animation<T: Real>(snapshots: &[Snapshot<T>], range: ColourRange) -> Figure {
    let diffs: Vec<Array2<f64>> = snapshots.iter().map(|s| s.diff.mapv(Real::as_f64)).collect();
    let shared = reach(diffs.iter().flatten());
    let reach_of = |d: &Array2<f64>| match range {
        ColourRange::PerPanel => reach(d.iter()),
        ColourRange::Shared => shared,
    };
    let title = |step: usize, r: f64| format!("X·M − I at step {step} · colours {}", range_label(r));
    let mut plot = Plot::new();
    let (Some(first), Some(first_snap)) = (diffs.first(), snapshots.first()) else {
        return Figure::new(plot, 480);
    };
    plot.add_trace(diverging_heatmap(first.view(), reach_of(first), ""));
    let mut steps = Vec::with_capacity(diffs.len());
    for (snap, d) in snapshots.iter().zip(&diffs) {
        let name = snap.step.to_string();
        let r = reach_of(d);
        let mut data = Traces::new();
        data.push(diverging_heatmap(d.view(), r, ""));
        let frame_layout = Layout::new().title(Title::with_text(title(snap.step, r)));
        plot.add_frame(Frame::new().name(name.clone()).data(data).layout(frame_layout));
        let jump = Animation::frames(vec![name.clone()]).options(
            AnimationOptions::new()
                .mode(AnimationMode::Immediate)
                .frame(FrameSettings::new().duration(0).redraw(true))
                .transition(TransitionSettings::new().duration(0)),
        );
        steps.push(
            SliderStepBuilder::new()
                .label(&name)
                .value(name.as_str())
                .animation(jump)
                .build()
                .expect("a valid slider step"),
        );
    }
    let play = Animation::all_frames().options(
        AnimationOptions::new()
            .mode(AnimationMode::Immediate)
            .fromcurrent(true)
            .frame(FrameSettings::new().duration(80).redraw(true))
            .transition(TransitionSettings::new().duration(0)),
    );
    let buttons = vec![
        ButtonBuilder::new().label("▶ Play").animation(play).build().expect("a valid button"),
        ButtonBuilder::new().label("❚❚ Pause").animation(Animation::pause()).build().expect("a valid button"),
    ];
    let rows = first.nrows();
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title(first_snap.step, reach_of(first))))
            .y_axis(Axis::new().range(vec![rows as f64 - 0.5, -0.5]).dtick(1.0))
            .x_axis(Axis::new().dtick(1.0))
            .height(480)
            .update_menus(vec![
                UpdateMenu::new()
                    .ty(UpdateMenuType::Buttons)
                    .direction(UpdateMenuDirection::Left)
                    .buttons(buttons)
                    .x(0.0)
                    .y(0.0)
                    .x_anchor(Anchor::Left)
                    .y_anchor(Anchor::Top)
                    .pad(Pad::new(60, 0, 0)),
            ])
            .sliders(vec![
                Slider::new()
                    .active(0)
                    .steps(steps)
                    .x(0.2)
                    .length(0.8)
                    .y(0.0)
                    .y_anchor(Anchor::Top)
                    .pad(Pad::new(50, 0, 0))
                    .current_value(SliderCurrentValue::new().prefix("step ").visible(true)),
            ]),
    );
    Figure::new(plot, 560)
}

/// One loss curve on a log-scale y axis, e.g. the losses a diverged run left
/// ([`GdlabError::losses`]).
pub fn loss_curve(losses: &[f64], title: &str) -> Figure {
    let steps: Vec<f64> = (0..losses.len()).map(|k| k as f64).collect();
    titled_line_chart(&steps, &[("loss", losses)], Axes::LogY, title, ("step", "loss"))
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

/// The runs of [`lr_slider`] or [`beta_slider`]: one per value of the knob, shown one at a time.
struct KnobRun<T> {
    value: f64,
    history: History<T>,
}

/// A figure with a slider over `runs`: the loss curve on a log scale (left) and X·M − I at
/// `at_step` on its own colour range (right). Each slider step shows one run's two traces
/// (plotly's `update` method), so it works offline, in exported pages, with no kernel behind it.
fn knob_figure<T: Real>(
    knob: &str,
    runs: &[KnobRun<T>],
    at_step: usize,
    note: impl Fn(&KnobRun<T>) -> String,
) -> Figure {
    let mut plot = Plot::new();
    let shown = runs.len() / 2;
    let steps_of = |h: &History<T>| -> Vec<f64> { (0..h.losses.len()).map(|k| k as f64).collect() };
    // Each run's heading and heatmap title, for its slider step.
    let mut titles = Vec::with_capacity(runs.len());
    for (i, run) in runs.iter().enumerate() {
        let losses: Vec<f64> = run.history.losses.iter().map(|l| l.as_f64()).collect();
        plot.add_trace(
            Scatter::new(steps_of(&run.history), losses)
                .mode(Mode::Lines)
                .name(format!("{knob} = {:.4}", run.value))
                .visible(if i == shown { Visible::True } else { Visible::False })
                .show_legend(false),
        );
        let snap = run.history.snapshots.iter().rev().find(|s| s.step <= at_step).or(run.history.snapshots.first());
        let diff = snap.map_or_else(|| Array2::zeros((1, 1)), |s| s.diff.mapv(|v| v.as_f64()));
        let diff = diff.mapv(|v| if v.is_finite() { v } else { f64::NAN });
        let range = reach(diff.iter().filter(|v| v.is_finite()));
        let heat = diverging_heatmap(diff.view(), range, "").x_axis("x2").y_axis("y2").visible(if i == shown {
            Visible::True
        } else {
            Visible::False
        });
        plot.add_trace(heat);
        titles.push((
            format!("{knob} = {:.4} · {}", run.value, note(run)),
            format!("X·M − I at step {} · {}", snap.map_or(0, |s| s.step), range_label(range)),
        ));
    }
    let mut slider_steps = Vec::with_capacity(runs.len());
    for (i, (run, (heading, heat_title))) in runs.iter().zip(&titles).enumerate() {
        let visible: Vec<bool> = (0..runs.len()).flat_map(|k| [k == i, k == i]).collect();
        let diverged = if run.history.diverged_at().is_some() { " ✗" } else { "" };
        let step = SliderStep::new().label(format!("{:.3}{diverged}", run.value)).method(SliderMethod::Update).args(
            serde_json::json!([{ "visible": visible }, { "title.text": heading, "xaxis2.title.text": heat_title }]),
        );
        slider_steps.push(step);
    }
    let (heading, heat_title) = titles.get(shown).cloned().unwrap_or_default();
    let rows = runs.first().and_then(|r| r.history.snapshots.first()).map_or(1, |s| s.diff.nrows());
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(heading))
            .grid(LayoutGrid::new().rows(1).columns(2).pattern(GridPattern::Independent))
            .x_axis(Axis::new().title(Title::with_text("step")))
            .y_axis(
                log_axis(runs.iter().flat_map(|r| r.history.losses.iter().map(|l| l.as_f64())))
                    .title(Title::with_text("loss"))
                    .exponent_format(ExponentFormat::Power),
            )
            .x_axis2(Axis::new().title(Title::with_text(heat_title)).dtick(1.0))
            .y_axis2(Axis::new().range(vec![rows as f64 - 0.5, -0.5]).dtick(1.0))
            .height(520)
            .sliders(vec![
                Slider::new()
                    .active(shown as i32)
                    .steps(slider_steps)
                    .current_value(SliderCurrentValue::new().prefix(format!("{knob} = ")).visible(true))
                    .pad(Pad::new(60, 0, 0)),
            ]),
    );
    Figure::new(plot, 600)
}

/// One run of `descent` per learning rate, shown with a slider: drag it to see the loss curve
/// and X·M − I at step `at_step` for each rate. The title says where each rate stands against
/// the stability bound; rates whose run diverged carry ✗ on the slider.
///
/// # Errors
/// The parameter errors of [`InverseDescent::trace`].
pub fn lr_slider<T: Real>(descent: &InverseDescent<T>, lrs: &[f64], at_step: usize) -> Result<Figure> {
    let bound = descent.stability_bound()?;
    let runs = lrs
        .iter()
        .map(|&lr| Ok(KnobRun { value: lr, history: descent.clone().lr(lr).record_every(1).trace()? }))
        .collect::<Result<Vec<_>>>()?;
    Ok(knob_figure("lr", &runs, at_step, |run| {
        let side = if run.value < bound { "below" } else { "above" };
        let outcome = if run.history.diverged_at().is_some() { "diverges" } else { "converges" };
        format!("{side} the bound N/λ_max = {bound:.3}: {outcome}")
    }))
}

/// One heavy-ball run of `descent` per momentum factor β, at `descent`'s learning rate, shown
/// with a slider as in [`lr_slider`].
///
/// # Errors
/// The parameter errors of [`InverseDescent::trace`], e.g. a β outside [0, 1).
pub fn beta_slider<T: Real>(descent: &InverseDescent<T>, betas: &[f64], at_step: usize) -> Result<Figure> {
    let runs = betas
        .iter()
        .map(|&beta| {
            let history = descent.clone().optimizer(Momentum::heavy_ball(beta)).record_every(1).trace()?;
            Ok(KnobRun { value: beta, history })
        })
        .collect::<Result<Vec<_>>>()?;
    // Stable while lr·h < 2(1 + β) for the largest curvature h = 2λ_max/N = 2/bound.
    let least = descent.constant_lr().map(|lr| lr / descent.stability_bound().unwrap_or(f64::INFINITY) - 1.0);
    Ok(knob_figure("β", &runs, at_step, |run| {
        let outcome = if run.history.diverged_at().is_some() {
            "diverges".to_string()
        } else {
            format!("loss after {} steps {:.2e}", run.history.losses.len(), run.history.final_loss().as_f64())
        };
        match least {
            Some(b) if b > 0.0 => {
                let side = if run.value > b { "above" } else { "below" };
                format!("{side} the least stable β = lr/bound − 1 = {b:.3}: {outcome}")
            }
            _ => format!("heavy-ball momentum: {outcome}"),
        }
    }))
}

/// Measured losses (solid) against the theory's `loss₀·rate^(2k)` (dashed) on a log scale, one
/// colour per run: e.g. plain descent and heavy-ball momentum at their [`Tuning`]s.
pub fn tuning_figure<T: Real>(runs: &[(&str, &History<T>, Tuning)], title: &str) -> Figure {
    const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
    let mut plot = Plot::new();
    for (i, (name, history, tuning)) in runs.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let losses: Vec<f64> = history.losses.iter().map(|l| l.as_f64()).collect();
        let steps: Vec<f64> = (0..losses.len()).map(|k| k as f64).collect();
        let predicted: Vec<f64> = steps.iter().map(|&k| losses[0] * tuning.rate.powf(2.0 * k)).collect();
        plot.add_trace(
            Scatter::new(steps.clone(), losses)
                .mode(Mode::Lines)
                .name(format!("{name}: measured"))
                .line(Line::new().color(colour)),
        );
        plot.add_trace(
            Scatter::new(steps, predicted)
                .mode(Mode::Lines)
                .name(format!("{name}: predicted, rate {:.4}", tuning.rate))
                .line(Line::new().color(colour).dash(DashType::Dash)),
        );
    }
    let all = runs.iter().flat_map(|(_, h, _)| h.losses.iter().map(|l| l.as_f64()));
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .x_axis(Axis::new().title(Title::with_text("step")))
            .y_axis(log_axis(all).title(Title::with_text("loss")).exponent_format(ExponentFormat::Power))
            .height(440),
    );
    Figure::new(plot, 460)
}

/// The steps each optimiser of an [`optimizer_race`](crate::optimizer_race) needed, as bars; one
/// that never reached the tolerance has none, and its label says so.
pub fn race_figure(results: &[RaceResult], title: &str) -> Figure {
    let labels: Vec<String> = results
        .iter()
        .map(|r| if r.steps.is_some() { r.name.clone() } else { format!("{} (not reached)", r.name) })
        .collect();
    let steps: Vec<f64> = results.iter().map(|r| r.steps.map_or(f64::NAN, |s| s as f64)).collect();
    let mut plot = Plot::new();
    plot.add_trace(Bar::new(labels, steps).text_template("%{y}").text_position(plotly::common::TextPosition::Outside));
    plot.set_layout(
        Layout::new().title(Title::with_text(title)).y_axis(Axis::new().title(Title::with_text("steps"))).height(420),
    );
    Figure::new(plot, 440)
}
