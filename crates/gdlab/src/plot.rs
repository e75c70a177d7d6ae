//! Plots that render everywhere, offline: in JupyterLab, VS Code, exported HTML and files.
//!
//! A [`Figure`] shown in evcxr emits one output with two MIME types:
//! `application/vnd.plotly.v1+json`, which JupyterLab, Notebook 7 and VS Code draw natively,
//! and `text/html` for exported pages and other front ends. That HTML needs no network:
//! the first figure of a kernel session carries plotly.js inline (about 4.6 MB) and later
//! figures reuse it, so a page holds one copy however many plots it has.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{ArrayRef2, ArrayView2};
use plotly::common::{ColorScale, ColorScalePalette, Mode, Title};
use plotly::layout::{Axis, AxisType, GridPattern, Layout, LayoutGrid};
use plotly::{Bar, HeatMap, Plot, Scatter};
use polars::prelude::{Column, DataFrame, DataType};

use crate::descent::History;
use crate::error::{GdlabError, Result};
use crate::real::Real;

/// Set in the kernel's environment once plotly.js went out. Not a static: evcxr links a copy
/// of this crate into each cell, but all cells share the process.
const PLOTLY_JS_SENT: &str = "GDLAB_PLOTLY_JS_SENT";
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

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
        // The counter alone repeats: each evcxr cell has its own copy of it. The clock does not.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let id = format!("gdlab-{nanos:x}-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        // "</" inside a string would end the script element early.
        let json = self.to_json().replace("</", "<\\/");
        format!(
            "<div id=\"{id}\" class=\"plotly-graph-div gdlab-figure\" style=\"height:{h}px; width:100%;\"></div>\n\
             <script type=\"text/javascript\">\n\
             (function () {{\n\
               var fig = {json};\n\
               function draw() {{ window.Plotly.newPlot(\"{id}\", fig); }}\n\
               if (window.Plotly) {{ draw(); }} else {{ window.addEventListener(\"load\", draw); }}\n\
             }})();\n\
             </script>",
            h = self.height
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
        println!(
            "EVCXR_BEGIN_CONTENT application/vnd.plotly.v1+json\n{}\nEVCXR_END_CONTENT",
            self.to_json()
        );
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

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|e| GdlabError::Io { path: path.display().to_string(), message: e.to_string() })
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

/// Heatmap panels side by side, sharing one diverging colour scale centred on 0.
fn diverging_panels(title: &str, panels: &[(String, ArrayView2<'_, f64>)]) -> Figure {
    let reach = panels.iter().flat_map(|(_, a)| a.iter()).fold(0.0f64, |m, v| m.max(v.abs()));
    let reach = if reach > 0.0 && reach.is_finite() { reach } else { 1.0 };
    let mut plot = Plot::new();
    let mut layout = Layout::new().title(Title::with_text(title)).height(320);
    if panels.len() > 1 {
        layout = layout.grid(LayoutGrid::new().rows(1).columns(panels.len()).pattern(GridPattern::Independent));
    }
    for (k, (label, a)) in panels.iter().enumerate() {
        let i = k + 1;
        let (rows, cols) = a.dim();
        let trace = HeatMap::new((0..cols).collect(), (0..rows).collect(), rows_of(a.view()))
            .zmin(-reach)
            .zmid(0.0)
            .zmax(reach)
            .color_scale(ColorScale::Palette(ColorScalePalette::RdBu))
            .reverse_scale(true)
            .show_scale(k == 0)
            .name(label)
            .hover_template(format!("{label}<br>row %{{y}}, col %{{x}}<br>%{{z:.4f}}<extra></extra>"))
            .x_axis(format!("x{i}"))
            .y_axis(format!("y{i}"));
        plot.add_trace(trace);
        // Rows top-down, as the matrix prints: a reversed y range.
        let x = Axis::new().title(Title::with_text(label)).dtick(1.0);
        let y = Axis::new().range(vec![rows as f64 - 0.5, -0.5]).dtick(1.0);
        layout = axis_pair(layout, i, x, y);
    }
    plot.set_layout(layout);
    Figure::new(plot, 340)
}

/// A heatmap of a difference matrix: diverging colours centred on 0, a colour bar, rows
/// top-down as the matrix prints, and (row, col, value) on hover.
pub fn diff_heatmap<T: Real>(diff: &ArrayRef2<T>) -> Figure {
    let d = diff.mapv(Real::as_f64);
    diverging_panels("X·M − I", &[("difference".to_string(), d.view())])
}

/// The snapshots of a run as small multiples sharing one colour scale: the original's
/// heatmaps at steps 0, 20, 40, 60 and 80 in one figure.
///
/// With more than [`MAX_PANELS`] snapshots it shows that many, evenly spaced, first and last included.
pub fn diff_heatmaps<T: Real>(history: &History<T>) -> Figure {
    let n = history.snapshots.len();
    let picks: Vec<usize> = if n <= MAX_PANELS {
        (0..n).collect()
    } else {
        (0..MAX_PANELS).map(|k| k * (n - 1) / (MAX_PANELS - 1)).collect()
    };
    let diffs: Vec<_> = picks.iter().map(|&k| history.snapshots[k].diff.mapv(Real::as_f64)).collect();
    let panels: Vec<_> =
        picks.iter().zip(&diffs).map(|(&k, d)| (format!("step {}", history.snapshots[k].step), d.view())).collect();
    diverging_panels("X·M − I during gradient descent", &panels)
}

/// The losses of a run as a polars DataFrame with columns `step` and `losses`, like the
/// original's `pd.DataFrame({'losses': ...})`.
pub fn losses_frame<T: Real>(history: &History<T>) -> DataFrame {
    let steps: Vec<u32> = (0..history.losses.len() as u32).collect();
    let losses: Vec<f64> = history.losses.iter().map(|l| l.as_f64()).collect();
    let height = steps.len();
    DataFrame::new(height, vec![Column::new("step".into(), steps), Column::new("losses".into(), losses)])
        .expect("two columns of equal length")
}

fn f64_column(df: &DataFrame, name: &str) -> Result<Vec<f64>> {
    let column = df.column(name).map_err(|_| {
        let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
        GdlabError::Frame(format!("no column {name:?}: expected one of {names:?}"))
    })?;
    let values = column.cast(&DataType::Float64)?;
    Ok(values.f64()?.iter().map(|v| v.unwrap_or(f64::NAN)).collect())
}

/// A column of a DataFrame on a log-scale y axis, against its `step` column (or the row number).
///
/// # Errors
/// [`GdlabError::Frame`] if the column is missing or not numeric.
pub fn loss_line(df: &DataFrame, column: &str) -> Result<Figure> {
    let y = f64_column(df, column)?;
    let x = if df.column("step").is_ok() { f64_column(df, "step")? } else { (0..y.len()).map(|i| i as f64).collect() };
    let mut plot = Plot::new();
    plot.add_trace(Scatter::new(x, y).mode(Mode::Lines).name(column));
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(format!("{column} (log scale)")))
            .x_axis(Axis::new().title(Title::with_text("step")))
            .y_axis(Axis::new().type_(AxisType::Log).title(Title::with_text(column)))
            .height(400),
    );
    Ok(Figure::new(plot, 420))
}

/// Several named series against shared x values, on linear or log axes.
pub fn line_chart(title: &str, x: &[f64], series: &[(&str, Vec<f64>)], log_x: bool, log_y: bool) -> Figure {
    let mut plot = Plot::new();
    for (name, y) in series {
        plot.add_trace(Scatter::new(x.to_vec(), y.clone()).mode(Mode::LinesMarkers).name(*name));
    }
    let kind = |log: bool| if log { AxisType::Log } else { AxisType::Linear };
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .x_axis(Axis::new().type_(kind(log_x)))
            .y_axis(Axis::new().type_(kind(log_y)))
            .height(400),
    );
    Figure::new(plot, 420)
}

/// A bar chart of labelled values.
pub fn bar_chart(title: &str, labels: &[String], values: &[f64]) -> Figure {
    let mut plot = Plot::new();
    plot.add_trace(Bar::new(labels.to_vec(), values.to_vec()));
    plot.set_layout(Layout::new().title(Title::with_text(title)).height(380));
    Figure::new(plot, 400)
}

/// A heatmap of counts (a sequential colour scale from 0), rows top-down, labelled axes.
pub fn count_heatmap(title: &str, counts: &ArrayRef2<i32>, labels: &[String]) -> Figure {
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
        Layout::new()
            .title(Title::with_text(title))
            .y_axis(Axis::new().range(vec![n as f64 - 0.5, -0.5]))
            .height(420),
    );
    Figure::new(plot, 440)
}
