//! The lesson's own figures: the difference heatmaps, the loss lines and the animation.

use ndarray::{Array2, ArrayRef2};
use plotly::common::{Anchor, Mode, Pad, Title};
use plotly::layout::update_menu::{ButtonBuilder, UpdateMenu, UpdateMenuDirection, UpdateMenuType};
use plotly::layout::{
    Animation, AnimationMode, AnimationOptions, Axis, Frame, FrameSettings, Layout, Slider, SliderCurrentValue,
    SliderStepBuilder, TransitionSettings,
};
use plotly::{Plot, Scatter, Traces};
use polars::prelude::DataFrame;

use super::charts::titled_line_chart;
use super::figure::Figure;
use super::style::{Axes, ColorRange, diverging_heatmap, diverging_panels, log_axis, range_label, reach};
use crate::error::Result;
use crate::frames::f64_column;
use crate::history::Snapshot;
use crate::real::Real;

/// Most panels [`diff_heatmaps`] draws: plotly-rs's layout has eight axis pairs.
pub const MAX_PANELS: usize = 8;

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
    diverging_panels(title, &named, ColorRange::Shared)
}

/// A heatmap of a difference matrix: diverging colours centred on 0, a colour bar, rows
/// top-down as the matrix prints, and (row, col, value) on hover.
pub fn diff_heatmap<T: Real>(diff: &ArrayRef2<T>) -> Figure {
    let d = diff.mapv(Real::as_f64);
    diverging_panels("X·M − I", &[("difference".to_string(), d.view())], ColorRange::Shared)
}

/// Snapshots of a run as small multiples: the original's heatmaps at steps 0, 20, 40, 60 and
/// 80 in one figure. [`ColorRange::PerPanel`] shows each step's pattern (the slow first
/// column at step 80), [`ColorRange::Shared`] how much smaller the error gets.
///
/// With more than [`MAX_PANELS`] snapshots it shows that many, evenly spaced, first and last included.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// let history = InverseDescent::new(&m).seed(314).run()?;
/// let figure = diff_heatmaps(&history.snapshots, ColorRange::PerPanel);
/// assert!(figure.to_json().contains("step 80 · ±"));
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn diff_heatmaps<T: Real>(snapshots: &[Snapshot<T>], range: ColorRange) -> Figure {
    diff_heatmaps_named("X·M − I", snapshots, range)
}

/// [`diff_heatmaps`] for an error by another name in the title: `X·A − I` when the matrix is A.
///
/// ```
/// use gdlab::prelude::*;
/// let a = array![[1.0f32, 0.0], [0.0, 1.0], [1.0, 1.0]];
/// let history = InverseDescent::new(&a).seed(314).lr(1.0).steps(21).record_every(10).run()?;
/// let figure = diff_heatmaps_named("X·A − I", &history.snapshots, ColorRange::PerPanel);
/// assert!(figure.to_json().contains("X·A − I during gradient descent"));
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn diff_heatmaps_named<T: Real>(name: &str, snapshots: &[Snapshot<T>], range: ColorRange) -> Figure {
    let n = snapshots.len();
    let picks: Vec<usize> = if n <= MAX_PANELS {
        (0..n).collect()
    } else {
        (0..MAX_PANELS).map(|k| k * (n - 1) / (MAX_PANELS - 1)).collect()
    };
    let diffs: Vec<_> = picks.iter().map(|&k| snapshots[k].diff.mapv(Real::as_f64)).collect();
    let panels: Vec<_> =
        picks.iter().zip(&diffs).map(|(&k, d)| (format!("step {}", snapshots[k].step), d.view())).collect();
    diverging_panels(&format!("{name} during gradient descent"), &panels, range)
}

/// A column of a DataFrame on a log-scale y axis, against its `step` column (or the row number).
///
/// # Errors
/// [`GdlabError::MissingColumn`](crate::GdlabError::MissingColumn) if the column is missing, [`GdlabError::Frame`](crate::GdlabError::Frame) if it is not numeric.
pub fn frame_line(df: &DataFrame, column: &str) -> Result<Figure> {
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

/// Every numeric column of a DataFrame but `step` as a line against `step`, on a log-scale
/// y axis: e.g. the loss curves of [`seed_losses_frame`](crate::seed_losses_frame).
///
/// # Errors
/// [`GdlabError::MissingColumn`](crate::GdlabError::MissingColumn) if the frame has no `step` column, [`GdlabError::Frame`](crate::GdlabError::Frame) if a column is not numeric.
pub fn frame_lines(df: &DataFrame, title: &str) -> Result<Figure> {
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

/// An animated heatmap of `X·M − I`, one frame per snapshot, with a slider to scrub through
/// the steps and a play button.
///
/// With [`ColorRange::PerPanel`] each frame has its own range, stated in the title and the
/// colour bar, so the pattern stays visible as the error shrinks by orders of magnitude;
/// with [`ColorRange::Shared`] one range serves every frame and the fading shows the shrinking.
pub fn diff_animation<T: Real>(snapshots: &[Snapshot<T>], range: ColorRange) -> Figure {
    let diffs: Vec<Array2<f64>> = snapshots.iter().map(|s| s.diff.mapv(Real::as_f64)).collect();
    let shared = reach(diffs.iter().flatten());
    let reach_of = |d: &Array2<f64>| match range {
        ColorRange::PerPanel => reach(d.iter()),
        ColorRange::Shared => shared,
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
/// ([`GdlabError::losses`](crate::GdlabError::losses)).
pub fn losses_line(losses: &[f64], title: &str) -> Figure {
    let steps: Vec<f64> = (0..losses.len()).map(|k| k as f64).collect();
    titled_line_chart(&steps, &[("loss", losses)], Axes::LogY, title, ("step", "loss"))
}
