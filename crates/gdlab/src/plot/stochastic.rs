//! The stochastic notebook's figures: runs against epochs and against documents touched, the
//! noise floor against its prediction, the schedules, and the batch-size slider.

use std::borrow::Borrow;

use plotly::common::{DashType, Fill, Line, Marker, MarkerSymbol, Mode, Pad, Title, Visible};
use plotly::layout::{
    Axis, GridPattern, Layout, LayoutGrid, Legend, Slider, SliderCurrentValue, SliderMethod, SliderStep,
};
use plotly::{Plot, Scatter};

use super::figure::Figure;
use super::style::{COLOURS, log_axis, positive_range};
use crate::error::Result;
use crate::noise_floor::{FloorBand, FloorPoint, excess_floor};
use crate::schedule::Schedule;
use crate::stochastic::{Documents, MinibatchRun};

/// `loss − loss_star`, with what a log axis cannot show (0 or below, at round-off) left as gaps.
fn excess(losses: &[f32], loss_star: f64) -> Vec<f64> {
    losses.iter().map(|&l| f64::from(l) - loss_star).map(|e| if e > 0.0 { e } else { f64::NAN }).collect()
}

/// A log axis for `L(w) − L⋆`, named for what it shows: `L(w)` itself where `L⋆` is given as 0.
fn excess_axis<'a>(traces: impl IntoIterator<Item = &'a Vec<f64>>, loss_star: f64) -> Axis {
    let name = if loss_star == 0.0 { "L(w)" } else { "L(w) − L⋆" };
    log_axis(traces.into_iter().flatten().copied()).title(Title::with_text(name))
}

/// Runs given owned or borrowed, as the notebook has them.
fn borrowed<'a>(runs: &'a [(&'a str, impl Borrow<MinibatchRun>)]) -> Vec<(&'a str, &'a MinibatchRun)> {
    runs.iter().map(|(name, run)| (*name, run.borrow())).collect()
}

/// One line per run of `L(w) − L⋆` on a log scale: after each epoch, or (with `docs`) after
/// every step against the documents whose gradients the run has evaluated so far.
fn runs_figure(runs: &[(&str, &MinibatchRun)], loss_star: f64, docs: Option<usize>, title: &str) -> Figure {
    let mut plot = Plot::new();
    let mut ys = Vec::with_capacity(runs.len());
    for (i, (name, run)) in runs.iter().enumerate() {
        let (x, y) = match docs {
            Some(docs) => (run.documents_touched(docs), excess(&run.step_losses, loss_star)),
            None => ((1..=run.epoch_losses.len()).map(|e| e as f64).collect(), excess(&run.epoch_losses, loss_star)),
        };
        let mode = if x.len() > 60 { Mode::Lines } else { Mode::LinesMarkers };
        let colour = COLOURS[i % COLOURS.len()];
        plot.add_trace(
            Scatter::new(x, y.clone())
                .mode(mode)
                .name(*name)
                .line(Line::new().color(colour).width(1.5))
                .marker(Marker::new().size(5).color(colour)),
        );
        ys.push(y);
    }
    let x_title = if docs.is_some() { "documents touched (gradient evaluations)" } else { "epoch" };
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .x_axis(Axis::new().title(Title::with_text(x_title)))
            .y_axis(excess_axis(&ys, loss_star))
            .height(420),
    );
    Figure::new(plot, 440)
}

/// `L(w) − L⋆` after each epoch, one line per run.
pub fn epochs_figure(runs: &[(&str, impl Borrow<MinibatchRun>)], loss_star: f64, title: &str) -> Figure {
    runs_figure(&borrowed(runs), loss_star, None, title)
}

/// `L(w) − L⋆` after every step, against the documents touched so far, one line per run: the
/// x axis on which a gradient costs what it costs. With `loss_star` 0 it shows `L(w)` itself,
/// and its axis says so.
pub fn touched_figure(runs: &[(&str, impl Borrow<MinibatchRun>)], loss_star: f64, docs: usize, title: &str) -> Figure {
    runs_figure(&borrowed(runs), loss_star, Some(docs), title)
}

/// The noise floor against the learning rate on log–log axes, a colour per batch size: the
/// prediction as a dashed line, measured floors as circles (a fresh batch at every step) and
/// crosses (torch's shuffled epochs).
pub fn floor_figure(points: &[FloorPoint], title: &str) -> Figure {
    let mut batches: Vec<usize> = points.iter().map(|p| p.batch).collect();
    batches.dedup();
    let mut plot = Plot::new();
    for (i, &batch) in batches.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let at: Vec<&FloorPoint> = points.iter().filter(|p| p.batch == batch).collect();
        let lrs: Vec<f64> = at.iter().map(|p| p.lr).collect();
        let series = [
            ("predicted", at.iter().map(|p| p.predicted).collect::<Vec<_>>(), Mode::Lines, MarkerSymbol::Circle),
            ("fresh batches", at.iter().map(|p| p.independent).collect(), Mode::Markers, MarkerSymbol::Circle),
            ("shuffled epochs", at.iter().map(|p| p.shuffled).collect(), Mode::Markers, MarkerSymbol::X),
        ];
        for (what, y, mode, symbol) in series {
            let mut trace = Scatter::new(lrs.clone(), y)
                .mode(mode)
                .name(format!("batch {batch}: {what}"))
                .legend_group(format!("batch {batch}"))
                .marker(Marker::new().size(10).color(colour).symbol(symbol));
            if what == "predicted" {
                trace = trace.line(Line::new().color(colour).dash(DashType::Dash));
            }
            plot.add_trace(trace);
        }
    }
    let ys = points.iter().flat_map(|p| [p.predicted, p.independent, p.shuffled]);
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .x_axis(log_axis(points.iter().map(|p| p.lr)).title(Title::with_text("learning rate")))
            .y_axis(log_axis(ys).title(Title::with_text("floor: mean L(w) − L⋆")))
            .height(480),
    );
    Figure::new(plot, 500)
}

/// Two panels: each run's learning rate per epoch (left) and its `L(w) − L⋆` after each epoch
/// (right), with the constant rate's `floor` across the right one: its mean as a dashed grey line
/// over a shaded band, where nine steps in ten of the settled run lie.
pub fn schedule_figure(
    runs: &[(&str, impl Borrow<MinibatchRun>)],
    loss_star: f64,
    floor: &FloorBand,
    title: &str,
) -> Figure {
    let runs = borrowed(runs);
    let mut plot = Plot::new();
    let mut ys = Vec::with_capacity(runs.len() + 2);
    let epochs = runs.iter().map(|(_, r)| r.epoch_losses.len()).max().unwrap_or(1);
    let ends = vec![1.0, epochs as f64];
    // The band first, so that the runs are drawn over it: its lower edge, then the upper one
    // filled down to it.
    let (low, high) = (vec![floor.low; 2], vec![floor.high; 2]);
    let grey = "rgba(127, 127, 127, 0.2)";
    plot.add_trace(
        Scatter::new(ends.clone(), low.clone())
            .mode(Mode::Lines)
            .name("nine steps in ten of the settled run")
            .legend_group("floor")
            .show_legend(false)
            .line(Line::new().width(0.0).color(grey))
            .x_axis("x2")
            .y_axis("y2"),
    );
    plot.add_trace(
        Scatter::new(ends.clone(), high.clone())
            .mode(Mode::Lines)
            .name("nine steps in ten of the settled run")
            .legend_group("floor")
            .fill(Fill::ToNextY)
            .fill_color(grey)
            .line(Line::new().width(0.0).color(grey))
            .x_axis("x2")
            .y_axis("y2"),
    );
    ys.extend([low, high]);
    for (i, (name, run)) in runs.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let x: Vec<f64> = (1..=run.lrs.len()).map(|e| e as f64).collect();
        plot.add_trace(
            Scatter::new(x.clone(), run.lrs.clone())
                .mode(Mode::Lines)
                .name(*name)
                .legend_group(*name)
                .line(Line::new().color(colour)),
        );
        let y = excess(&run.epoch_losses, loss_star);
        plot.add_trace(
            Scatter::new(x, y.clone())
                .mode(Mode::Lines)
                .name(*name)
                .legend_group(*name)
                .show_legend(false)
                .line(Line::new().color(colour))
                .x_axis("x2")
                .y_axis("y2"),
        );
        ys.push(y);
    }
    plot.add_trace(
        Scatter::new(ends, vec![floor.mean; 2])
            .mode(Mode::Lines)
            .name("the constant rate's floor")
            .line(Line::new().color("#7f7f7f").dash(DashType::Dash))
            .x_axis("x2")
            .y_axis("y2"),
    );
    let lr_values = runs.iter().flat_map(|(_, r)| r.lrs.iter().copied());
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .grid(LayoutGrid::new().rows(1).columns(2).pattern(GridPattern::Independent))
            .x_axis(Axis::new().title(Title::with_text("epoch")))
            .y_axis(log_axis(lr_values).title(Title::with_text("learning rate")))
            .x_axis2(Axis::new().title(Title::with_text("epoch")))
            .y_axis2(excess_axis(&ys, loss_star))
            .legend(Legend::new().orientation(plotly::common::Orientation::Horizontal).y(-0.2))
            .height(460),
    );
    Figure::new(plot, 480)
}

/// A log axis fixed to the range of `values`, so that it stays put as a slider shows one run
/// after another and their levels compare.
fn fixed<'a>(axis: Axis, values: impl IntoIterator<Item = &'a f64>) -> Axis {
    match positive_range(values.into_iter().copied()) {
        None => axis,
        Some((lo, hi)) => axis.range(vec![lo.log10() - 0.1, hi.log10() + 0.1]),
    }
}

/// At most about `max` of a long run's points for a log x axis: all of the first `max/2`, then
/// every k-th. A browser draws 20 000 points per slider step slowly, and the eye sees no more.
fn thinned(x: Vec<f64>, y: Vec<f64>, max: usize) -> (Vec<f64>, Vec<f64>) {
    let head = max / 2;
    if x.len() <= max {
        return (x, y);
    }
    let stride = (x.len() - head).div_ceil(max - head);
    let keep = |i: &usize| *i < head || (i - head).is_multiple_of(stride) || *i == x.len() - 1;
    let pick = |v: &[f64]| (0..v.len()).filter(keep).map(|i| v[i]).collect();
    (pick(&x), pick(&y))
}

/// A slider over the batch size: for each of `batches`, `problem`'s shuffled run at the constant
/// `lr` for `epochs`, `L(w) − L⋆` against the documents touched (a log axis, so that the first
/// epoch and the last both show), with that batch's predicted floor for fresh batches as a
/// dashed line. The title gives the floor the run measured, [`excess_floor`] over its second
/// half. Each slider step shows one run's two traces (plotly's `update`), so it works offline,
/// with no kernel behind it.
///
/// # Errors
/// What [`Documents::minibatch_sgd`] and [`Documents::predicted_floor`] refuse.
pub fn batch_slider(problem: &Documents, batches: &[usize], epochs: usize, lr: f64) -> Result<Figure> {
    let (docs, loss_star) = (problem.a.nrows(), problem.loss_star()?);
    let mut plot = Plot::new();
    let shown = batches.len() / 2;
    let (mut headings, mut ys, mut xs) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &batch) in batches.iter().enumerate() {
        let run = problem.minibatch_sgd(batch, epochs, lr, Schedule::Constant)?;
        let floor = problem.predicted_floor(lr, batch)?;
        let (x, y) = thinned(run.documents_touched(docs), excess(&run.step_losses, loss_star), 1600);
        let visible = if i == shown { Visible::True } else { Visible::False };
        let (start, end) = (x.first().copied().unwrap_or(1.0), x.last().copied().unwrap_or(1.0));
        xs.extend([start, end]);
        plot.add_trace(Scatter::new(x, y.clone()).mode(Mode::Lines).name("L(w) − L⋆").visible(visible.clone()));
        plot.add_trace(
            Scatter::new(vec![start, end], vec![floor, floor])
                .mode(Mode::Lines)
                .name("predicted floor, fresh batches")
                .line(Line::new().color("#7f7f7f").dash(DashType::Dash))
                .visible(visible),
        );
        let steps = run.steps_per_epoch(docs);
        let plural = if steps == 1 { "" } else { "s" };
        let settled = if floor > 0.0 {
            format!(
                "measured floor {:.1e} · predicted for fresh batches {floor:.1e}",
                excess_floor(&run.step_losses, loss_star)
            )
        } else {
            let last = f64::from(*run.step_losses.last().unwrap_or(&f32::NAN)) - loss_star;
            format!("the full gradient, no floor: L − L⋆ = {last:.1e} after {epochs} epochs")
        };
        headings.push(format!("batch {batch}: {steps} step{plural} an epoch · {settled}"));
        ys.push(y);
    }
    let steps = batches
        .iter()
        .zip(&headings)
        .enumerate()
        .map(|(i, (batch, heading))| {
            let visible: Vec<bool> = (0..batches.len()).flat_map(|k| [k == i, k == i]).collect();
            SliderStep::new()
                .label(batch.to_string())
                .method(SliderMethod::Update)
                .args(serde_json::json!([{ "visible": visible }, { "title.text": heading }]))
        })
        .collect();
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(headings.get(shown).cloned().unwrap_or_default()))
            .x_axis(
                fixed(log_axis(xs.iter().copied()), &xs)
                    .title(Title::with_text("documents touched (gradient evaluations)")),
            )
            .y_axis(fixed(excess_axis(&ys, loss_star), ys.iter().flatten()))
            .height(500)
            .sliders(vec![
                Slider::new()
                    .active(shown as i32)
                    .steps(steps)
                    .current_value(SliderCurrentValue::new().prefix("batch = ").visible(true))
                    .pad(Pad::new(60, 0, 0)),
            ]),
    );
    Ok(Figure::new(plot, 580))
}
