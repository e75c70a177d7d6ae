//! Notebook 06's figures: the sliders, the tuning against theory, the race.

use ndarray::Array2;
use plotly::common::{DashType, Line, Mode, Pad, Title, Visible};
use plotly::layout::{Axis, GridPattern, Layout, LayoutGrid, Slider, SliderCurrentValue, SliderMethod, SliderStep};
use plotly::{Bar, Plot, Scatter};

use super::figure::Figure;
use super::style::{diverging_heatmap, log_axis, range_label, reach};
use crate::comparison::{KnobRun, RaceResult, beta_runs, lr_runs};
use crate::convergence::Tuning;
use crate::descent::InverseDescent;
use crate::error::Result;
use crate::history::History;
use crate::real::Real;

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
                    .title(Title::with_text("loss")),
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
    let runs = lr_runs(descent, lrs)?;
    Ok(knob_figure("lr", &runs, at_step, |run| {
        let side = if run.value < bound { "below" } else { "above" };
        let outcome = if run.history.diverged_at().is_some() { "diverges" } else { "converges" };
        format!("{side} the bound N/λ_max = {bound:.3}: {outcome}")
    }))
}

/// One heavy-ball run of `descent` per momentum factor β, at `descent`'s learning rate, shown
/// with a slider as in [`lr_slider`]. Each title says on which side of the stability threshold
/// `lr/bound − 1` its β lies, and gives the last loss its curve shows, at the run's last step
/// (step 99 of 100: the loss before that step's update).
///
/// # Errors
/// The parameter errors of [`InverseDescent::trace`], e.g. a β outside [0, 1).
pub fn beta_slider<T: Real>(descent: &InverseDescent<T>, betas: &[f64], at_step: usize) -> Result<Figure> {
    let runs = beta_runs(descent, betas)?;
    // Stable while lr·h < 2(1 + β) for the largest curvature h = 2λ_max/N = 2/bound.
    let least = descent.constant_lr().map(|lr| lr / descent.stability_bound().unwrap_or(f64::INFINITY) - 1.0);
    Ok(knob_figure("β", &runs, at_step, |run| {
        let outcome = if run.history.diverged_at().is_some() {
            "diverges".to_string()
        } else {
            let last = run.history.losses.len().saturating_sub(1);
            format!("loss at step {last}: {:.2e}", run.history.final_loss().as_f64())
        };
        match least {
            Some(b) if b > 0.0 => {
                let side = if run.value > b { "above" } else { "below" };
                format!("{side} the stability threshold lr/bound − 1 = {b:.3} · {outcome}")
            }
            _ => format!("heavy-ball momentum: {outcome}"),
        }
    }))
}

/// Measured losses (solid) against the theory's `loss₀·rate^(2k)` (dashed) on a log scale, one
/// colour per run: e.g. plain descent and heavy-ball momentum at their [`Tuning`]s.
///
/// The y axis spans what was measured: a prediction goes on falling where round-off stops the
/// run (to 1e-106 and below in 600 steps), and an axis ranged on it squeezes the runs into its
/// top. Each dashed line ends where it leaves that range.
pub fn tuning_figure<T: Real>(runs: &[(&str, &History<T>, Tuning)], title: &str) -> Figure {
    const COLOURS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
    let measured: Vec<f64> = runs
        .iter()
        .flat_map(|(_, h, _)| h.losses.iter().map(|l| l.as_f64()))
        .filter(|l| l.is_finite() && *l > 0.0)
        .collect();
    let (lo, hi) = measured.iter().fold((f64::MAX, f64::MIN_POSITIVE), |(a, b), &l| (a.min(l), b.max(l)));
    let mut plot = Plot::new();
    for (i, (name, history, tuning)) in runs.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let losses: Vec<f64> = history.losses.iter().map(|l| l.as_f64()).collect();
        let steps: Vec<f64> = (0..losses.len()).map(|k| k as f64).collect();
        let (shown, predicted): (Vec<f64>, Vec<f64>) =
            steps.iter().map(|&k| (k, losses[0] * tuning.rate.powf(2.0 * k))).take_while(|&(_, p)| p >= lo).unzip();
        plot.add_trace(
            Scatter::new(steps, losses)
                .mode(Mode::Lines)
                .name(format!("{name}: measured"))
                .line(Line::new().color(colour)),
        );
        plot.add_trace(
            Scatter::new(shown, predicted)
                .mode(Mode::Lines)
                .name(format!("{name}: predicted, rate {:.4}", tuning.rate))
                .line(Line::new().color(colour).dash(DashType::Dash)),
        );
    }
    let mut y_axis = log_axis(measured.iter().copied()).title(Title::with_text("loss"));
    if lo <= hi {
        // A quarter of a decade of room above and below, as plotly's own autorange leaves.
        y_axis = y_axis.range(vec![lo.log10() - 0.25, hi.log10() + 0.25]);
    }
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .x_axis(Axis::new().title(Title::with_text("step")))
            .y_axis(y_axis)
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
    // Room above the tallest bar for its label, and below the axis for long slanted names.
    let top = steps.iter().copied().filter(|s| s.is_finite()).fold(1.0f64, f64::max) * 1.15;
    let mut plot = Plot::new();
    plot.add_trace(Bar::new(labels, steps).text_template("%{y}").text_position(plotly::common::TextPosition::Outside));
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .y_axis(Axis::new().title(Title::with_text("steps")).range(vec![0.0, top]))
            .x_axis(Axis::new().tick_angle(30.0).auto_margin(true))
            .margin(plotly::layout::Margin::new().bottom(170))
            .height(500),
    );
    Figure::new(plot, 520)
}
