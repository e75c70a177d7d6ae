//! The noise floor of minibatch descent on the documents: what a constant rate settles at, the
//! theory's prediction for it, and both over a grid of (lr, batch).
//!
//! Near the answer `w⋆ = A⁺·y` the loss is `L⋆ + ½·eᵀH·e` with `e = w − w⋆`, the curvature
//! `H = (2/n)·AᵀA` and `L⋆ = L(w⋆)`, the noise that no weight can fit. One step is
//! `e ← (I − lr·H)·e − lr·ξ`, where `ξ` is the batch gradient's error at `w⋆`. For a batch of
//! `B` distinct documents drawn afresh at every step, taking each document's residual to be
//! about `L⋆` in square and independent of its words, `Cov ξ ≈ (2·L⋆/B)·(n − B)/(n − 1)·H`.
//! The stationary excess loss then is, eigenvalue `h` of `H` by eigenvalue,
//!
//! `E[L − L⋆] ≈ (lr·L⋆/B)·(n − B)/(n − 1)·Σ h/(2 − lr·h)`,
//!
//! proportional to `lr/B` for small rates, and 0 for the full batch.

use crate::error::{Result, ensure_param};
use crate::least_squares::gram_eigenvalues;
use crate::schedule::Schedule;
use crate::stochastic::{Documents, Sampling};

/// One point of a [`Documents::floor_grid`]: the floors at one (lr, batch).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloorPoint {
    /// The constant learning rate.
    pub lr: f64,
    /// The batch size.
    pub batch: usize,
    /// The theory's stationary excess loss, [`Documents::predicted_floor`].
    pub predicted: f64,
    /// The measured excess loss with a fresh sample at every step ([`Sampling::Independent`]).
    pub independent: f64,
    /// The measured excess loss with torch's shuffled epochs ([`Sampling::Shuffled`]).
    pub shuffled: f64,
    /// The epochs each run took (the floor is measured over their second half).
    pub epochs: usize,
}

impl FloorPoint {
    /// measured (independent batches) / predicted.
    pub fn ratio(&self) -> f64 {
        self.independent / self.predicted
    }
}

/// The mean of `losses − loss_star` over the second half of `losses`: the floor a run has
/// settled at, if its first half was long enough to forget the start. NaN for fewer than two.
pub fn excess_floor(losses: &[f32], loss_star: f64) -> f64 {
    if losses.len() < 2 {
        return f64::NAN;
    }
    let tail = &losses[losses.len() / 2..];
    tail.iter().map(|&l| f64::from(l) - loss_star).sum::<f64>() / tail.len() as f64
}

/// Where a settled constant-rate run's `L − L⋆` lies over the second half of its steps: its
/// mean, the floor of [`excess_floor`], its median, and the band that nine steps in ten lie in.
/// The floor is a mean: each step's excess loss jumps around it, most steps lie below it (a few
/// large excursions pull it up), and one step can sit well below it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloorBand {
    /// The mean, [`excess_floor`].
    pub mean: f64,
    /// The 5th percentile (nearest rank).
    pub low: f64,
    /// The median (nearest rank).
    pub median: f64,
    /// The 95th percentile (nearest rank).
    pub high: f64,
}

/// The [`FloorBand`] of `losses − loss_star` over the second half of `losses`. NaNs for fewer
/// than two losses.
///
/// ```
/// use gdlab::floor_band;
/// let losses: Vec<f32> = (0..200).map(|k| if k < 100 { 9.0 } else { 1.0 + (k % 10) as f32 }).collect();
/// let band = floor_band(&losses, 1.0);
/// assert_eq!((band.mean, band.low, band.median, band.high), (4.5, 0.0, 4.0, 9.0));
/// ```
pub fn floor_band(losses: &[f32], loss_star: f64) -> FloorBand {
    let mean = excess_floor(losses, loss_star);
    if losses.len() < 2 {
        return FloorBand { mean, low: f64::NAN, median: f64::NAN, high: f64::NAN };
    }
    let mut tail: Vec<f64> = losses[losses.len() / 2..].iter().map(|&l| f64::from(l) - loss_star).collect();
    tail.sort_by(f64::total_cmp);
    let at = |q: f64| tail[((q * tail.len() as f64).ceil() as usize).clamp(1, tail.len()) - 1];
    FloorBand { mean, low: at(0.05), median: at(0.5), high: at(0.95) }
}

impl Documents {
    /// `L⋆ = L(w⋆)`, the least loss any weights reach: the part of the scores that the words
    /// cannot explain (about `noise²/3` for uniform noise), in float64.
    ///
    /// # Errors
    /// As [`w_star`](Self::w_star).
    pub fn loss_star(&self) -> Result<f64> {
        let residual = self.a.mapv(f64::from).dot(&self.w_star()?) - self.y.mapv(f64::from);
        Ok(residual.mapv(|r| r * r).sum() / residual.len() as f64)
    }

    /// The eigenvalues of the loss's curvature `H = (2/n)·AᵀA`, smallest first.
    ///
    /// # Errors
    /// As [`gram_eigenvalues`].
    pub fn curvatures(&self) -> Result<Vec<f64>> {
        let n = self.a.nrows() as f64;
        Ok(gram_eigenvalues(&self.a.mapv(f64::from))?.into_iter().map(|g| 2.0 * g / n).collect())
    }

    /// The theory's noise floor for a constant `lr` and batches of `batch` documents drawn afresh
    /// at every step: `(lr·L⋆/B)·(n − B)/(n − 1)·Σ h/(2 − lr·h)` (the module's derivation).
    /// Infinite where `lr·h_max ≥ 2`, where the mean itself diverges.
    ///
    /// # Errors
    /// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for a batch of 0 or
    /// larger than the documents, or an `lr` that is not positive and finite.
    pub fn predicted_floor(&self, lr: f64, batch: usize) -> Result<f64> {
        let n = self.a.nrows();
        ensure_param((1..=n).contains(&batch), "batch", batch as f64, "1 <= batch <= the number of documents")?;
        ensure_param(lr.is_finite() && lr > 0.0, "lr", lr, "a finite learning rate > 0")?;
        let h = self.curvatures()?;
        if h.iter().any(|&h| lr * h >= 2.0) {
            return Ok(f64::INFINITY);
        }
        let (n, b) = (n as f64, batch as f64);
        let finite_population = if n > 1.0 { (n - b) / (n - 1.0) } else { 0.0 };
        let spread: f64 = h.iter().map(|h| h / (2.0 - lr * h)).sum();
        Ok(lr * self.loss_star()? / b * finite_population * spread)
    }

    /// The epochs a constant-rate run at `lr` with batches of `batch` takes for
    /// [`excess_floor`] to measure its floor: twice 50 relaxation times `1/(lr·h_min)` of the
    /// slowest direction (the first half forgets the start, the second is averaged), and at
    /// least 20 epochs.
    ///
    /// # Errors
    /// As [`curvatures`](Self::curvatures).
    pub fn settling_epochs(&self, lr: f64, batch: usize) -> Result<usize> {
        let h_min = self.curvatures()?[0];
        let steps = 50.0 / (lr * h_min);
        let per_epoch = self.a.nrows().div_ceil(batch.max(1)) as f64;
        Ok(2 * ((steps / per_epoch).ceil() as usize).max(10))
    }

    /// The noise floor at every (lr, batch): predicted, and measured with both samplings over
    /// [`settling_epochs`](Self::settling_epochs).
    ///
    /// # Errors
    /// What [`predicted_floor`](Self::predicted_floor) and [`sgd`](Self::sgd) refuse.
    pub fn floor_grid(&self, lrs: &[f64], batches: &[usize]) -> Result<Vec<FloorPoint>> {
        let loss_star = self.loss_star()?;
        let mut points = Vec::with_capacity(lrs.len() * batches.len());
        for &batch in batches {
            for &lr in lrs {
                let predicted = self.predicted_floor(lr, batch)?;
                let epochs = self.settling_epochs(lr, batch)?;
                let measure = |sampling| -> Result<f64> {
                    let run = self.sgd(sampling, batch, epochs, lr, Schedule::Constant)?;
                    Ok(excess_floor(&run.step_losses, loss_star))
                };
                let (independent, shuffled) = (measure(Sampling::Independent)?, measure(Sampling::Shuffled)?);
                points.push(FloorPoint { lr, batch, predicted, independent, shuffled, epochs });
            }
        }
        Ok(points)
    }
}
