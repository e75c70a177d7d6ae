//! # gdlab: gradient descent finds a matrix inverse
//!
//! The numerics and plots behind the gdlab notebooks, which redo a PyTorch lesson in Rust on
//! the evcxr Jupyter kernel. With the same seed the numbers are torch's: [`TorchRng`] is
//! torch's CPU generator bit for bit, and [`mse_grad`] computes in torch's order.
//!
//! The lesson in one example (each line quotes the PyTorch it stands for):
//!
//! ```
//! use gdlab::prelude::*;
//!
//! // M1234 = torch.diag(tensor([1., 2., 3., 4.]))
//! let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
//! // inverse = torch.inverse(M1234); inverse @ M1234 is the identity
//! let inv = inverse(&m)?;
//! assert_eq!(inv.dot(&m), Array2::<f32>::eye(4));
//!
//! // manual_seed(314); random_inverse = torch.rand(size=[4, 4])
//! let mut rng = TorchRng::manual_seed(314);
//! let mut x: Array2<f32> = rng.rand((4, 4));
//! let y_true = Array2::<f32>::eye(4);
//!
//! // loss = mse(Y_true, random_inverse @ M1234); loss.backward()
//! let loss = mse(&y_true, &x.dot(&m));
//! let grad = mse_grad(&x, &m, &y_true);
//! assert_eq!(show_scalar(loss), "1.6650");
//! assert_eq!(grad[[0, 0]], -0.0350455641746521); // random_inverse.grad[0, 0], bit for bit
//!
//! // random_inverse.sub_(lr * random_inverse.grad), 100 times
//! let lr = lesson_lr();
//! for _ in 0..100 {
//!     gradient_step(&mut x, &m, &y_true, lr)?;
//! }
//! assert!(mse(&y_true, &x.dot(&m)) < 1e-6);
//!
//! // The same loop as one call, with the snapshots the original prints every 20 steps.
//! let history = InverseDescent::new(&m).seed(314).record_every(20).run()?;
//! assert_eq!(history.snapshots.len(), 5);
//! let heatmaps = diff_heatmaps(&history.snapshots, ColorRange::PerPanel); // five panels
//! let line = frame_line(&losses_frame(&history.losses), "losses")?; // log-scale loss line
//!
//! // indicator = (rand(size=[17, 3]) < 0.2).int()
//! let ind = indicator_matrix(&mut TorchRng::manual_seed(123), 17, 3, 0.2)?;
//! assert_eq!(ind.sum(), 10);
//! # let _ = (heatmaps, line);
//! # Ok::<(), gdlab::GdlabError>(())
//! ```
//!
//! In a notebook, one `:dep gdlab = { path = "…" }` brings everything: `gdlab` re-exports
//! [`ndarray`], [`ndarray_rand`], [`plotly`] and [`polars`], and [`prelude`] gathers the names
//! a notebook uses. A [`Figure`] displays itself in evcxr, with plotly.js inline once per kernel, so pages
//! open offline; a cell that ends in a matrix prints it as torch does ([`EvcxrShow`]).
//!
//! Errors are one enum, [`GdlabError`]; functions that cannot fail on valid shapes
//! ([`mse`], [`mse_grad`]) panic with a clear message instead and have `try_` twins.
//!
//! # Panics
//! Only [`mse`] and [`mse_grad`], on shapes that do not fit; everything else returns a
//! [`Result`].
#![warn(missing_docs)]

pub mod autograd;
pub mod check;
mod classifier;
mod comparison;
mod convergence;
mod dense;
mod descent;
mod digits;
mod display;
mod error;
mod frames;
pub mod gradcheck;
mod history;
mod indicator;
mod landscape;
mod least_squares;
mod linalg;
mod loss;
mod momentum_map;
mod noise_floor;
mod optim;
mod phases;
mod plot;
mod real;
mod rng;
mod schedule;
mod stochastic;

pub use ndarray;
pub use ndarray_rand;
pub use plotly;
pub use polars;

pub use classifier::{DigitsParams, DigitsRun, MeanBaseline, digits_logits, digits_loss, digits_run, mean_baseline};
pub use comparison::{RaceResult, optimizer_race};
pub use convergence::{
    ConditioningCase, DirectionRate, RateComparison, SweepPoint, Tuning, conditioning_study, curvature_condition,
    gd_tuning, heavy_ball_tuning, hilbert, log_space, lr_sweep, measured_rate, predicted_rates, predicted_steps,
    rate_comparison, with_condition_number,
};
pub use descent::{InverseDescent, LearningRate, gradient_step, lesson_lr};
pub use digits::{Digits, Linear, PIXELS, Split, digits_split};
pub use display::{
    EvcxrShow, Shown, ShownScalar, TorchElement, beside, show, show_decimals, show_pyformat, show_scalar,
};
pub use error::{GdlabError, Result, Shape};
pub use frames::{conditioning_frame, losses_frame, race_frame, seed_losses_frame};
pub use history::{Divergence, History, Snapshot, Stop};
pub use indicator::{cooccurrence, density, document_frequency, indicator_matrix};
pub use landscape::{Entries, LossSlice, Path, Stepper, loss_slice, path, row_hessian, tilted_valley};
pub use least_squares::{Side, distance, fixed_part, gram_eigenvalues, loss_floor, predicted_limit, side_bound};
pub use linalg::{condition_number, inverse, matrix_rank, pinv, stability_bound};
pub use loss::{mse, mse_grad, mse_grad_right, try_mse, try_mse_grad};
pub use momentum_map::{MomentumMap, RatePoint, heavy_ball_factor, measured_momentum_rates, momentum_map};
pub use noise_floor::{FloorBand, FloorPoint, excess_floor, floor_band};
pub use optim::{Adagrad, Adam, AnyOptimizer, Momentum, Optimizer, OptimizerState, RmsProp, Sgd};
pub use phases::{Phase, heavy_ball_phase, heavy_ball_roots, phase_boundaries};
pub use plot::{
    Axes, ColorRange, ErrorCurve, Figure, MAX_PANELS, Report, bar_chart, batch_slider, beta_slider,
    conditioning_figure, count_heatmap, diff_animation, diff_heatmap, diff_heatmaps, diff_heatmaps_named,
    digits_figure, epochs_figure, error_sweep_figure, floor_figure, frame_line, frame_lines, line_chart, losses_line,
    lr_slider, matrix_heatmaps, momentum_map_figure, path_slider, paths_figure, phase_figure, plotly_js, race_figure,
    rate_figure, resend_plotly_js, schedule_figure, sweep_figure, touched_figure, training_figure, tuning_figure,
    valley_figure, weights_figure,
};
pub use real::Real;
pub use rng::{RANDPERM_LIMIT, TorchRng, TorchUniform};
pub use schedule::Schedule;
pub use stochastic::{Documents, MinibatchRun, Sampling};

/// What a notebook uses: `use gdlab::prelude::*;`. The lesson's functions and types, the
/// ndarray names its cells write, and [`EvcxrShow`], which prints a cell's final matrix as torch does.
pub mod prelude {
    #[doc(no_inline)]
    pub use crate::check;
    #[doc(no_inline)]
    pub use crate::{
        Adagrad, Adam, AnyOptimizer, Axes, ColorRange, Digits, DigitsParams, DigitsRun, Divergence, Documents, Entries,
        ErrorCurve, EvcxrShow, Figure, FloorBand, FloorPoint, GdlabError, History, InverseDescent, LearningRate,
        Linear, LossSlice, MinibatchRun, Momentum, MomentumMap, Optimizer, Path, Phase, RatePoint, Result, RmsProp,
        Sampling, Schedule, Sgd, Side, Snapshot, Stepper, Stop, TorchRng, Tuning, bar_chart, batch_slider, beside,
        beta_slider, condition_number, conditioning_figure, conditioning_frame, conditioning_study, cooccurrence,
        count_heatmap, curvature_condition, density, diff_animation, diff_heatmap, diff_heatmaps, diff_heatmaps_named,
        digits_figure, digits_logits, digits_loss, digits_run, digits_split, distance, document_frequency,
        epochs_figure, error_sweep_figure, excess_floor, fixed_part, floor_band, floor_figure, frame_line, frame_lines,
        gd_tuning, gradient_step, gram_eigenvalues, heavy_ball_factor, heavy_ball_phase, heavy_ball_roots,
        heavy_ball_tuning, hilbert, indicator_matrix, inverse, lesson_lr, line_chart, log_space, loss_floor,
        loss_slice, losses_frame, losses_line, lr_slider, lr_sweep, matrix_heatmaps, matrix_rank, mean_baseline,
        measured_momentum_rates, measured_rate, momentum_map, momentum_map_figure, mse, mse_grad, mse_grad_right,
        optimizer_race, path, path_slider, paths_figure, phase_boundaries, phase_figure, pinv, predicted_limit,
        predicted_rates, predicted_steps, race_figure, race_frame, rate_comparison, rate_figure, row_hessian,
        schedule_figure, seed_losses_frame, show, show_decimals, show_pyformat, show_scalar, side_bound,
        stability_bound, sweep_figure, tilted_valley, touched_figure, training_figure, tuning_figure, valley_figure,
        weights_figure, with_condition_number,
    };
    #[doc(no_inline)]
    pub use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, array, s};
    #[doc(no_inline)]
    pub use polars::prelude::{Column, DataFrame};
}
