//! The momentum map (Distill's "Why Momentum Really Works"): heavy-ball momentum's predicted
//! rate over a grid of (lr, β), and rates measured at a few of its points.
//!
//! Along a direction of curvature `h`, the heavy ball's error follows
//! `e_{k+1} = (1 + β − lr·h)·e_k − β·e_{k−1}`, so it shrinks per step by the larger root in size
//! of `σ² − (1 + β − lr·h)·σ + β = 0`. The slowest direction sets the pace: the rate is
//! `max |σ|` over the curvatures. It is below 1 exactly while `0 < lr·h < 2(1 + β)`.

use ndarray::{Array2, ArrayRef2};

use crate::convergence::{Tuning, heavy_ball_tuning, measured_rate};
use crate::descent::InverseDescent;
use crate::error::{Result, ensure_param};
use crate::least_squares::gram_eigenvalues;
use crate::linalg::ensure_square;
use crate::optim::Momentum;
use crate::real::Real;

/// The heavy ball's per-step rate along one curvature `h`: the larger `|σ|` of
/// `σ² − (1 + β − lr·h)·σ + β = 0`. `√β` where the roots are complex (the error spirals).
///
/// ```
/// use gdlab::heavy_ball_factor;
/// assert!((heavy_ball_factor(0.5, 0.1, 0.0) - 0.95).abs() < 1e-15); // β = 0: plain descent's |1 − lr·h|
/// assert!((heavy_ball_factor(1.0, 1.0, 0.25) - 0.5).abs() < 1e-15); // complex roots: √β
/// ```
pub fn heavy_ball_factor(h: f64, lr: f64, beta: f64) -> f64 {
    let t = 1.0 + beta - lr * h;
    let discriminant = t * t - 4.0 * beta;
    if discriminant < 0.0 { beta.sqrt() } else { (t.abs() + discriminant.sqrt()) / 2.0 }
}

/// The curvatures `h = 2λ/N` of the lesson's loss `mean((X·M − I)²)`, λ the eigenvalues of MᵀM.
fn curvatures<T: Real>(m: &ArrayRef2<T>) -> Result<Vec<f64>> {
    let n = m.len() as f64;
    Ok(gram_eigenvalues(m)?.into_iter().map(|l| 2.0 * l / n).collect())
}

fn ensure_lr(lr: f64) -> Result<()> {
    ensure_param(lr.is_finite() && lr >= 0.0, "lr", lr, "a finite learning rate >= 0")
}

fn ensure_beta(beta: f64) -> Result<()> {
    ensure_param((0.0..1.0).contains(&beta), "beta", beta, "0 <= beta < 1")
}

/// The predicted rate `max |σ|` over the grid: `rates[[i, j]]` at `betas[i]`, `lrs[j]`.
#[derive(Clone, Debug, PartialEq)]
pub struct MomentumMap {
    /// The learning rates (the x axis).
    pub lrs: Vec<f64>,
    /// The momentum factors (the y axis).
    pub betas: Vec<f64>,
    /// The predicted rate, one row per β.
    pub rates: Array2<f64>,
    /// The largest curvature `h_max`: the stability boundary is `lr·h_max = 2(1 + β)`.
    pub h_max: f64,
    /// Polyak's optimum, [`heavy_ball_tuning`].
    pub polyak: Tuning,
}

impl MomentumMap {
    /// The largest stable learning rate at `beta`: `2(1 + β)/h_max`.
    pub fn boundary_lr(&self, beta: f64) -> f64 {
        2.0 * (1.0 + beta) / self.h_max
    }
}

/// The heavy ball's predicted rate for the lesson's loss on `m`, over every (lr, β) of the grid.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
/// let map = momentum_map(&m, &[0.5, 1.28], &[0.0, 0.36])?;
/// // Polyak's optimum, (√κ − 1)/(√κ + 1): a double root, where √(a rounding error) shows
/// assert!((map.rates[[1, 1]] - 0.6).abs() < 1e-7);
/// assert!((map.boundary_lr(0.0) - 1.0).abs() < 1e-12); // plain descent's bound N/λ_max
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
///
/// # Errors
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) for a non-square M,
/// [`GdlabError::Empty`](crate::GdlabError::Empty) for an empty one, and
/// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for a negative or
/// non-finite lr, or a β outside [0, 1).
pub fn momentum_map<T: Real>(m: &ArrayRef2<T>, lrs: &[f64], betas: &[f64]) -> Result<MomentumMap> {
    let polyak = heavy_ball_tuning(m)?;
    lrs.iter().try_for_each(|&lr| ensure_lr(lr))?;
    betas.iter().try_for_each(|&beta| ensure_beta(beta))?;
    let h = curvatures(m)?;
    let rate = |lr: f64, beta: f64| h.iter().map(|&h| heavy_ball_factor(h, lr, beta)).fold(0.0, f64::max);
    let rates = Array2::from_shape_fn((betas.len(), lrs.len()), |(i, j)| rate(lrs[j], betas[i]));
    let h_max = h.iter().copied().fold(0.0, f64::max);
    Ok(MomentumMap { lrs: lrs.to_vec(), betas: betas.to_vec(), rates, h_max, polyak })
}

/// A heavy-ball run at one (lr, β): its predicted and measured rates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatePoint {
    /// The learning rate.
    pub lr: f64,
    /// The momentum factor.
    pub beta: f64,
    /// `max |σ|`, as in [`momentum_map`].
    pub predicted: f64,
    /// [`measured_rate`] of the run's losses; `None` where the run diverged.
    pub measured: Option<f64>,
}

impl RatePoint {
    /// |measured − predicted| / predicted, where the run converged.
    pub fn relative_error(&self) -> Option<f64> {
        self.measured.map(|m| (m - self.predicted).abs() / self.predicted)
    }
}

/// Runs the heavy ball on `m` at each `(lr, β)` of `points` from the X `start`, long enough for
/// the loss to fall by about 10⁻²⁴ at the predicted rate (at most 20 000 steps), and measures
/// its rate.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
/// // Notebook 01's start, the float32 draw, in float64.
/// let start = TorchRng::manual_seed(314).rand::<f32, _>((4, 4)).mapv(f64::from);
/// let found = measured_momentum_rates(&m, &start, &[(0.5, 0.5), (1.9, 0.8)])?;
/// assert!(found[0].relative_error().unwrap() < 0.05);
/// assert_eq!(found[1].measured, None); // past the boundary lr·h_max = 2(1 + β): it diverges
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
///
/// # Errors
/// What [`momentum_map`] and [`InverseDescent::trace`] refuse, e.g. a start that is not n×m
/// for an m×n `m`.
pub fn measured_momentum_rates<T: Real>(
    m: &ArrayRef2<T>,
    start: &ArrayRef2<T>,
    points: &[(f64, f64)],
) -> Result<Vec<RatePoint>> {
    ensure_square(m, "M", "the momentum map is for the lesson's square M")?;
    points.iter().try_for_each(|&(lr, beta)| ensure_lr(lr).and(ensure_beta(beta)))?;
    let descent = InverseDescent::new(m).start(start);
    let h = curvatures(m)?;
    let mut found = Vec::with_capacity(points.len());
    for &(lr, beta) in points {
        let predicted = h.iter().map(|&h| heavy_ball_factor(h, lr, beta)).fold(0.0, f64::max);
        // ln(1e-24) / (2·ln rate) steps: the loss is the square of the error.
        let steps = if predicted < 1.0 { (-27.6 / predicted.ln()).ceil().clamp(20.0, 20_000.0) as usize } else { 200 };
        let run = descent.clone().lr(lr).steps(steps).optimizer(Momentum::heavy_ball(beta)).trace()?;
        let measured = if run.diverged_at().is_some() { None } else { Some(measured_rate(&run.losses)) };
        found.push(RatePoint { lr, beta, predicted, measured });
    }
    Ok(found)
}
