//! Plots that render everywhere, offline: in JupyterLab, VS Code, exported HTML and files.
//!
//! A [`Figure`] shown in evcxr emits one output with two MIME types:
//! `application/vnd.plotly.v1+json`, which JupyterLab, Notebook 7 and VS Code draw natively,
//! and `text/html` for exported pages and other front ends. That HTML needs no network:
//! the first figure of a kernel session carries plotly.js inline (about 4.6 MB) and later
//! figures reuse it, so a page holds one copy however many plots it has.

mod charts;
mod digits;
mod figure;
mod gradients;
mod landscape;
mod lesson;
mod momentum;
mod optimizers;
mod phases;
mod stochastic;
mod style;
mod theory;
mod training;

pub use charts::{bar_chart, count_heatmap, line_chart};
pub use digits::{digits_figure, weights_figure};
pub use figure::{Figure, Report, plotly_js, resend_plotly_js};
pub use gradients::{ErrorCurve, error_sweep_figure};
pub use landscape::{path_slider, paths_figure, valley_figure};
pub use lesson::{
    MAX_PANELS, diff_animation, diff_heatmap, diff_heatmaps, diff_heatmaps_named, frame_line, frame_lines, losses_line,
    matrix_heatmaps,
};
pub use momentum::momentum_map_figure;
pub use optimizers::{beta_slider, lr_slider, race_figure, tuning_figure};
pub use phases::phase_figure;
pub use stochastic::{batch_slider, epochs_figure, floor_figure, schedule_figure, touched_figure};
pub use style::{Axes, ColorRange};
pub use theory::{conditioning_figure, rate_figure, sweep_figure};
pub use training::training_figure;
