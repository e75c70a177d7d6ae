//! A classifier's training, epoch by epoch: the loss it descends beside the accuracy it is judged by.

use plotly::common::{DashType, Line, Mode, Orientation, Title};
use plotly::layout::{Axis, AxisType, GridPattern, Layout, LayoutGrid, Legend};
use plotly::{Plot, Scatter};

use super::figure::Figure;
use super::style::{COLOURS, log_axis, positive_range};
use crate::classifier::DigitsRun;

/// Left, each run's mean BCE after every epoch on a log axis, on the training set (solid) and
/// the validation set (dashed); right, the same runs' accuracies in per cent. A colour per run.
///
/// ```
/// use gdlab::{Digits, DigitsParams, digits_run, training_figure};
/// let (x, y) = Digits::load().pair(3, 7)?;
/// let run = digits_run(&x, &y, DigitsParams { epochs: 2, ..Default::default() })?;
/// let figure = training_figure(&[("linear", &run)], "two epochs");
/// assert!(figure.to_json().contains("linear · validation"));
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn training_figure(runs: &[(&str, &DigitsRun)], title: &str) -> Figure {
    let mut plot = Plot::new();
    let mut losses = Vec::new();
    for (i, (name, run)) in runs.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let epochs: Vec<f64> = (1..=run.train_losses.len()).map(|e| e as f64).collect();
        let sets = [
            ("training", &run.train_losses, &run.train_accuracy, DashType::Solid),
            ("validation", &run.valid_losses, &run.valid_accuracy, DashType::Dash),
        ];
        for (set, loss, accuracy, dash) in sets {
            let label = format!("{name} · {set}");
            let loss: Vec<f64> = loss.iter().map(|&v| f64::from(v)).collect();
            let percent: Vec<f64> = accuracy.iter().map(|&a| 100.0 * f64::from(a)).collect();
            let line = Line::new().color(colour).dash(dash);
            plot.add_trace(
                Scatter::new(epochs.clone(), loss.clone())
                    .mode(Mode::Lines)
                    .name(&label)
                    .legend_group(&label)
                    .line(line.clone()),
            );
            plot.add_trace(
                Scatter::new(epochs.clone(), percent)
                    .mode(Mode::Lines)
                    .name(&label)
                    .legend_group(&label)
                    .show_legend(false)
                    .line(line)
                    .x_axis("x2")
                    .y_axis("y2"),
            );
            losses.extend(loss);
        }
    }
    plot.set_layout(
        Layout::new()
            .title(Title::with_text(title))
            .grid(LayoutGrid::new().rows(1).columns(2).pattern(GridPattern::Independent))
            .x_axis(Axis::new().title(Title::with_text("epoch")))
            .y_axis(loss_axis(&losses).title(Title::with_text("loss (mean BCE), what descent lowers")))
            .x_axis2(Axis::new().title(Title::with_text("epoch")))
            .y_axis2(Axis::new().title(Title::with_text("accuracy (%), what we judge by")))
            .legend(Legend::new().orientation(Orientation::Horizontal).y(-0.2))
            .height(460),
    );
    Figure::new(plot, 480)
}

/// A log axis for losses. Over less than a decade and a half, [`log_axis`] would label one power
/// of ten at most, so the 1s, 2s and 5s in range are labelled instead (0.02, 0.05, 0.1).
fn loss_axis(values: &[f64]) -> Axis {
    let (lo, hi) = match positive_range(values.iter().copied()) {
        Some((lo, hi)) if (hi / lo).log10() < 1.5 => (lo, hi),
        _ => return log_axis(values.iter().copied()),
    };
    let decades = lo.log10().floor() as i32..=hi.log10().ceil() as i32;
    let (ticks, text): (Vec<f64>, Vec<String>) = decades
        .flat_map(|k| {
            [1.0, 2.0, 5.0].map(|m| (m * 10f64.powi(k), format!("{:.*}", (-k).max(0) as usize, m * 10f64.powi(k))))
        })
        .filter(|(t, _)| (lo / 1.2..=hi * 1.2).contains(t))
        .unzip();
    Axis::new().type_(AxisType::Log).tick_values(ticks).tick_text(text)
}
