//! Why gradient descent finds the inverse, how fast, and when it fails: the theory next to
//! measured runs.
//!
//! For `loss = mean((X·M − I)²)` with N elements, one step maps the error `E = X·M − I` to
//! `E·(I − (2·lr/N)·MᵀM)`. Along an eigenvector v of MᵀM with eigenvalue λ, `‖E·v‖` shrinks by
//! `|1 − 2·lr·λ/N|` per step. For a diagonal M the eigenvectors are the columns, so each
//! column of E has its own rate, set by its diagonal entry.

use ndarray::{Array1, Array2, ArrayRef2};

use crate::dense;
use crate::descent::InverseDescent;
use crate::error::{GdlabError, Result, ensure_param, ensure_shape};
use crate::history::History;
use crate::linalg::{condition_number, ensure_square, inverse, stability_bound, to_f64};
use crate::real::Real;
use crate::rng::TorchRng;

/// The eigen-directions of MᵀM, λ ascending: (λ, unit eigenvector) pairs.
fn directions<T: Real>(m: &ArrayRef2<T>) -> Result<Vec<(f64, Vec<f64>)>> {
    ensure_square(m, "M", "the rates of the lesson's loss are for a square M")?;
    let a = to_f64(m);
    let (values, vectors) = dense::symmetric_eigen(&a.t().dot(&a));
    let mut dirs: Vec<(f64, Vec<f64>)> =
        values.into_iter().zip(vectors.columns()).map(|(l, v)| (l, v.to_vec())).collect();
    dirs.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(dirs)
}

/// `‖E·v‖²`: how much of the error lies along the unit vector v.
fn squared_norm_along<T: Real>(e: &ArrayRef2<T>, v: &[f64]) -> f64 {
    e.rows().into_iter().map(|row| row.iter().zip(v).map(|(x, vi)| x.as_f64() * vi).sum::<f64>().powi(2)).sum()
}

/// How much one step of rate `lr` multiplies the error along an eigenvector of MᵀM with
/// eigenvalue `lambda`, for a loss averaged over `n` elements: `|1 − 2·lr·λ/N|`.
fn factor(lr: f64, lambda: f64, n: f64) -> f64 {
    (1.0 - 2.0 * lr * lambda / n).abs()
}

/// The per-step factor `|1 − 2·lr·λ/N|` of each eigenvalue λ of MᵀM, λ ascending.
///
/// Returns `(λ, factor)` pairs. A factor below 1 shrinks that direction of the error; the run
/// converges when every factor is below 1, i.e. `lr < N/λ_max`.
///
/// # Errors
/// [`GdlabError::NotSquare`](crate::GdlabError::NotSquare) for a non-square M, [`GdlabError::Empty`](crate::GdlabError::Empty) for an empty one.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// let rates = predicted_rates(&m, 0.5)?;
/// assert_eq!(rates[0], (1.0, 1.0 - 2.0 * 0.5 * 1.0 / 16.0)); // column 1: 0.9375
/// assert_eq!(rates[3].1, 0.0);                                 // column 4 is done in one step
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn predicted_rates<T: Real>(m: &ArrayRef2<T>, lr: f64) -> Result<Vec<(f64, f64)>> {
    let n = m.len() as f64;
    Ok(directions(m)?.into_iter().map(|(l, _)| (l, factor(lr, l, n))).collect())
}

/// Predicted and measured rate of one direction of the error: an eigenvector v of MᵀM.
#[derive(Clone, Debug, PartialEq)]
pub struct DirectionRate {
    /// The eigenvalue λ of MᵀM.
    pub lambda: f64,
    /// `|1 − 2·lr·λ/N|`.
    pub predicted: f64,
    /// The measured per-step factor: the geometric mean of `‖E_{k+1}·v‖ / ‖E_k·v‖` while
    /// `‖E_k·v‖` stays above the round-off floor.
    pub measured: f64,
    /// `‖E_k·v‖` at every step k.
    pub norms: Vec<f64>,
    /// How many steps the measurement used.
    pub steps_used: usize,
}

impl DirectionRate {
    /// `|measured − predicted| / predicted`.
    pub fn relative_error(&self) -> f64 {
        ((self.measured - self.predicted) / self.predicted).abs()
    }
}

/// Predicted and measured rates of one run, direction by direction (λ ascending).
#[derive(Clone, Debug, PartialEq)]
pub struct RateComparison {
    /// One record per eigen-direction of MᵀM, λ ascending: for a diagonal M, column by column.
    pub directions: Vec<DirectionRate>,
}

impl RateComparison {
    /// The largest [`DirectionRate::relative_error`] over the directions.
    pub fn max_relative_error(&self) -> f64 {
        self.directions.iter().map(DirectionRate::relative_error).fold(0.0, f64::max)
    }
}

/// Measures the rate of each direction of the error in `history` and sets it next to the theory.
///
/// The run must have a snapshot at every step (`record_every(1)`) and one constant learning
/// rate. A direction is measured over the steps where `‖E·v‖` is above `10⁴·ε` of `T`, since
/// below that round-off, not the step, sets what is left.
///
/// # Errors
/// [`GdlabError::UnsuitableRun`](crate::GdlabError::UnsuitableRun) if snapshots are missing or the rate changes;
/// as [`stability_bound`] for M.
pub fn rate_comparison<T: Real>(history: &History<T>, m: &ArrayRef2<T>) -> Result<RateComparison> {
    let every_step = history.snapshots.iter().enumerate().all(|(k, s)| s.step == k);
    if !every_step || history.snapshots.len() < 2 {
        return Err(GdlabError::UnsuitableRun {
            problem: "the run has no snapshot at every step",
            expected: "a run with record_every(1) and at least 2 steps",
        });
    }
    let lr = history.lrs[0];
    if history.lrs.iter().any(|&r| r != lr) {
        return Err(GdlabError::UnsuitableRun {
            problem: "the run's learning rate changes",
            expected: "one constant learning rate",
        });
    }
    let n = m.len() as f64;
    let floor = 1e4 * T::epsilon().as_f64();
    let directions = directions(m)?
        .into_iter()
        .map(|(lambda, v)| {
            let norms: Vec<f64> = history.snapshots.iter().map(|s| squared_norm_along(&s.diff, &v).sqrt()).collect();
            let steps_used = norms.iter().skip(1).take_while(|&&x| x > floor).count();
            let measured =
                if steps_used == 0 { f64::NAN } else { (norms[steps_used] / norms[0]).powf(1.0 / steps_used as f64) };
            DirectionRate { lambda, predicted: factor(lr, lambda, n), measured, norms, steps_used }
        })
        .collect();
    Ok(RateComparison { directions })
}

/// One learning rate of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// The learning rate.
    pub lr: f64,
    /// The last loss recorded: at the last step (before its update), or where the run was stopped for diverging.
    pub final_loss: f64,
    /// The step at which the run diverged, if it did.
    pub diverged_at: Option<usize>,
}

/// Runs `descent` once per learning rate. A run that diverges is a point too, not an error.
///
/// # Errors
/// The parameter errors of [`InverseDescent::trace`], e.g. an invalid lr.
pub fn lr_sweep<T: Real>(descent: &InverseDescent<T>, lrs: &[f64]) -> Result<Vec<SweepPoint>> {
    lrs.iter()
        .map(|&lr| {
            let run = descent.clone().lr(lr).trace()?;
            Ok(SweepPoint { lr, final_loss: run.final_loss().as_f64(), diverged_at: run.diverged_at() })
        })
        .collect()
}

/// `n` learning rates spaced evenly on a log scale from `low` to `high`, both included.
///
/// # Errors
/// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) unless `0 < low < high` and `n ≥ 2`.
pub fn log_space(low: f64, high: f64, n: usize) -> Result<Vec<f64>> {
    ensure_param(low > 0.0 && low.is_finite(), "low", low, "a finite number > 0")?;
    ensure_param(high > low && high.is_finite(), "high", high, "a finite number > low")?;
    ensure_param(n >= 2, "n", n as f64, "at least 2 points")?;
    let (a, b) = (low.ln(), high.ln());
    Ok((0..n).map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp()).collect())
}

/// The n×n Hilbert matrix `1/(i + j + 1)`: invertible, and ill-conditioned fast as n grows.
pub fn hilbert(n: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, n), |(i, j)| 1.0 / (i + j + 1) as f64)
}

/// A symmetric n×n matrix `Q·diag(σ)·Qᵀ` with singular values spaced evenly on a log scale
/// from 1 down to `1/condition`, so its condition number is `condition`. Q is a random
/// rotation, drawn from `torch.manual_seed(seed)`.
///
/// # Errors
/// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) unless `n ≥ 1` and `condition ≥ 1` is finite.
pub fn with_condition_number(n: usize, condition: f64, seed: u64) -> Result<Array2<f64>> {
    ensure_param(n >= 1, "n", n as f64, "at least 1")?;
    ensure_param(condition >= 1.0 && condition.is_finite(), "condition", condition, "a finite condition number >= 1")?;
    let r: Array2<f64> = TorchRng::manual_seed(seed).rand((n, n));
    let q = dense::orthogonal_factor(&(r - 0.5));
    let sigma = |k: usize| {
        if n == 1 { 1.0 } else { condition.powf(-(k as f64) / (n - 1) as f64) }
    };
    let s = Array2::from_diag(&Array1::from_shape_fn(n, sigma));
    Ok(q.dot(&s).dot(&q.t()))
}

/// The step at which the loss of a run from X₀ first reaches `tolerance`, from the theory:
/// `loss_k = Σ ‖E₀·v‖²·r^{2k} / N` over the directions. `None` if it never does.
///
/// # Errors
/// As [`predicted_rates`]; [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) if X₀ is not M's shape.
pub fn predicted_steps<T: Real>(m: &ArrayRef2<T>, x0: &ArrayRef2<T>, lr: f64, tolerance: f64) -> Result<Option<usize>> {
    ensure_shape("X₀ (it must have M's shape)", m.dim(), x0.shape())?;
    let n = m.len() as f64;
    let e0 = x0.dot(m) - Array2::<T>::eye(m.nrows());
    let parts: Vec<(f64, f64)> =
        directions(m)?.into_iter().map(|(l, v)| (squared_norm_along(&e0, &v) / n, factor(lr, l, n))).collect();
    let loss_at = |k: f64| parts.iter().map(|(w, r)| w * r.powf(2.0 * k)).sum::<f64>();
    if loss_at(0.0) <= tolerance {
        return Ok(Some(0));
    }
    // The loss falls monotonically when every rate is below 1: bisect on k.
    let (mut lo, mut hi) = (0usize, 1usize);
    while loss_at(hi as f64) > tolerance {
        if hi > 1 << 50 {
            return Ok(None);
        }
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if loss_at(mid as f64) > tolerance { lo = mid } else { hi = mid }
    }
    Ok(Some(hi))
}

/// One matrix of a conditioning study.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditioningCase {
    /// Its name, e.g. "Hilbert 3".
    pub name: String,
    /// The 2-norm condition number.
    pub condition: f64,
    /// The learning rate used: half the stability bound, which clears the stiffest direction
    /// in one step and leaves the slowest at `1 − λ_min/λ_max = 1 − 1/cond(M)²` per step.
    pub lr: f64,
    /// Steps until the loss first reached the tolerance, if it did within the cap.
    pub steps: Option<usize>,
    /// The same, predicted by [`predicted_steps`].
    pub predicted_steps: Option<usize>,
    /// `max |X − inverse(M)|` at the end of the run.
    pub max_error_vs_inverse: f64,
}

/// Runs gradient descent from zero on each matrix until the loss reaches `tolerance` or
/// `max_steps` pass, at half the stability bound, and compares with [`inverse`].
///
/// # Errors
/// As [`inverse`] (a singular matrix) and [`InverseDescent::run`].
pub fn conditioning_study<S: AsRef<str>>(
    cases: &[(S, Array2<f64>)],
    tolerance: f64,
    max_steps: usize,
) -> Result<Vec<ConditioningCase>> {
    cases
        .iter()
        .map(|(name, m)| {
            let exact = inverse(m)?;
            let lr = 0.5 * stability_bound(m)?;
            let run = InverseDescent::new(m).lr(lr).steps(max_steps).no_snapshots().tolerance(tolerance).run()?;
            let max_error = (&run.x - &exact).iter().fold(0.0f64, |a, v| a.max(v.abs()));
            Ok(ConditioningCase {
                name: name.as_ref().to_string(),
                condition: condition_number(m)?,
                lr,
                steps: run.converged_at(),
                predicted_steps: predicted_steps(m, &Array2::zeros(m.dim()), lr, tolerance)?,
                max_error_vs_inverse: max_error,
            })
        })
        .collect()
}

/// A learning rate, a momentum factor, and the per-step rate they give the error's slowest direction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tuning {
    /// The learning rate.
    pub lr: f64,
    /// The momentum factor β (0 for plain gradient descent).
    pub beta: f64,
    /// How much the error shrinks per step, at worst over the directions.
    pub rate: f64,
}

/// κ = λ_max / λ_min of MᵀM: the condition number of the loss's curvature (the square of M's).
///
/// # Errors
/// [`GdlabError::NotSquare`](crate::GdlabError::NotSquare) for a non-square M, [`GdlabError::Empty`](crate::GdlabError::Empty) for an empty one.
pub fn curvature_condition<T: Real>(m: &ArrayRef2<T>) -> Result<f64> {
    let dirs = directions(m)?;
    Ok(dirs[dirs.len() - 1].0 / dirs[0].0)
}

/// Plain gradient descent at its best constant rate: the one that shrinks the slowest and the
/// fastest direction equally, `|1 − 2·lr·λ_min/N| = |1 − 2·lr·λ_max/N|`, so
/// `lr = N/(λ_min + λ_max)`, and the rate is `(κ − 1)/(κ + 1)`.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
/// let best = gd_tuning(&m)?;
/// assert!((best.lr - 16.0 / 17.0).abs() < 1e-12);  // N = 16, λ = 1 … 16
/// assert!((best.rate - 15.0 / 17.0).abs() < 1e-12); // κ = 16
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
///
/// # Errors
/// As [`curvature_condition`].
pub fn gd_tuning<T: Real>(m: &ArrayRef2<T>) -> Result<Tuning> {
    let dirs = directions(m)?;
    let (low, high) = (dirs[0].0, dirs[dirs.len() - 1].0);
    let kappa = high / low;
    Ok(Tuning { lr: m.len() as f64 / (low + high), beta: 0.0, rate: (kappa - 1.0) / (kappa + 1.0) })
}

/// Heavy-ball momentum at its best (Polyak's tuning): with curvatures `a = 2λ/N`,
/// `lr = 4/(√a_max + √a_min)²` and `β = ((√κ − 1)/(√κ + 1))²`, which make every direction
/// shrink at `(√κ − 1)/(√κ + 1)` per step: the square root of κ where plain descent has κ.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
/// let best = heavy_ball_tuning(&m)?;
/// assert!((best.lr - 1.28).abs() < 1e-12);  // 2·16/(√16 + √1)²: above plain descent's bound 1
/// assert!((best.beta - 0.36).abs() < 1e-12); // ((4 − 1)/(4 + 1))²
/// assert!((best.rate - 0.6).abs() < 1e-12);
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
///
/// # Errors
/// As [`curvature_condition`].
pub fn heavy_ball_tuning<T: Real>(m: &ArrayRef2<T>) -> Result<Tuning> {
    let dirs = directions(m)?;
    let (low, high) = (dirs[0].0.sqrt(), dirs[dirs.len() - 1].0.sqrt());
    let rate = (high - low) / (high + low);
    Ok(Tuning { lr: 2.0 * m.len() as f64 / (high + low).powi(2), beta: rate * rate, rate })
}

/// The measured per-step rate of a run: how much √loss (the error's size) shrinks per step,
/// as the geometric mean over the second half of the steps whose loss is above 1e-24, where
/// the slowest direction has taken over. NaN for a run too short to tell.
pub fn measured_rate<T: Real>(losses: &[T]) -> f64 {
    let usable = losses.iter().take_while(|l| l.as_f64() > 1e-24 && l.is_finite()).count();
    let (start, end) = (usable / 2, usable.saturating_sub(1));
    if end <= start {
        return f64::NAN;
    }
    (losses[end].as_f64() / losses[start].as_f64()).powf(0.5 / (end - start) as f64)
}
