//! The checks of notebook 08, a classifier on real digits (threes against sevens).

use ndarray::{Array1, Array2, Axis};

use super::{Verdict, close, quietly};
use crate::classifier::{DigitsParams, digits_loss, digits_run};
use crate::digits::{Digits, digits_split};
use crate::error::Result;
use crate::least_squares::gram_eigenvalues;
use crate::rng::TorchRng;

/// A student's function for exercise 8.4: the mean binary cross-entropy of `logits` against
/// `targets` (1.0 or 0.0 each), as `F.binary_cross_entropy_with_logits`.
pub type BceFn = fn(&Array1<f32>, &Array1<f32>) -> f32;

/// The full-batch runs of exercise 8.3: this many epochs, and rates 0.05, 0.10, … up to 60 steps of it.
const EPOCHS: usize = 20;
const LR_STEP: f64 = 0.05;
const LR_STEPS: usize = 60;

/// The notebook's images and targets: threes (0) against sevens (1).
fn threes_and_sevens() -> Result<(Array2<f32>, Array1<f32>)> {
    Digits::load().pair(3, 7)
}

/// Exercise 8.1: dL/dz, the gradient of binary cross-entropy in the logit z, for a seven (y = 1)
/// that the model scores at z = −3, within 1e-4 (the notebook's table shows −2 and −4, not −3).
pub fn ex_08_1(answer: &f64) -> Verdict {
    let hint = "differentiate −y·log σ(z) − (1 − y)·log(1 − σ(z)) in z: σ′ = σ·(1 − σ) cancels the 1/σ";
    let sigmoid = 1.0 / (1.0 + 3.0f64.exp());
    Verdict::judge("8.1", hint, || Ok(close(*answer, sigmoid - 1.0, 1e-4)))
}

/// The notebook's training images and targets at `seed`'s split: torch's `X[train]`, `y[train]`.
fn training_set(seed: u64) -> Result<(Array2<f32>, Array1<f32>)> {
    let (x, y) = threes_and_sevens()?;
    let split = digits_split(&mut TorchRng::manual_seed(seed), x.nrows())?;
    Ok((x.select(Axis(0), &split.train), y.select(Axis(0), &split.train)))
}

/// λ_max of Xbᵀ·Xb / n over the training images of `seed`'s split, Xb with a column of ones for the bias.
fn lambda_max(seed: u64) -> Result<f64> {
    let (x, _) = training_set(seed)?;
    let n = x.nrows();
    let xb = Array2::from_shape_fn((n, x.ncols() + 1), |(i, j)| if j < x.ncols() { x[[i, j]] } else { 1.0 });
    Ok(gram_eigenvalues(&xb)?.iter().copied().fold(0.0, f64::max) / n as f64)
}

/// Exercise 8.2 (predict): the largest learning rate at which full-batch descent on the linear
/// model's mean BCE is sure to lower the loss at every step: `8 / λ_max(Xbᵀ·Xb / n)`, since the
/// curvature σ·(1 − σ) is at most 1/4 (within 1 %).
pub fn ex_08_2(answer: &f64, seed: u64) -> Verdict {
    let hint = "the Hessian is Xbᵀ·diag(σ(1 − σ))·Xb / n, at most Xbᵀ·Xb / (4n); descent is sure below 2 over its largest eigenvalue";
    Verdict::judge("8.2", hint, || Ok(close(*answer, 8.0 / lambda_max(seed)?, 0.01)))
}

/// The smallest rate of 0.05, 0.10, … at which the linear model's full-batch train loss rises at
/// least once in [`EPOCHS`] epochs, its loss before the first step included; `None` if none does.
fn first_rise(seed: u64) -> Result<Option<f64>> {
    let (x, y) = threes_and_sevens()?;
    let (train_x, train_y) = training_set(seed)?;
    for k in 1..=LR_STEPS {
        let lr = k as f64 * LR_STEP;
        let p = DigitsParams { seed, lr: lr as f32, batch: train_x.nrows(), epochs: EPOCHS, ..Default::default() };
        let run = digits_run(&x, &y, p)?;
        let start = digits_loss(&run.initial, &train_x, &train_y)?;
        let losses: Vec<f32> = std::iter::once(start).chain(run.train_losses).collect();
        if losses.windows(2).any(|w| w[1] > w[0]) {
            return Ok(Some(lr));
        }
    }
    Ok(None)
}

/// Exercise 8.3 (measure): the smallest rate of 0.05, 0.10, … at which 20 full-batch epochs of the
/// linear model's descent raise the train loss at least once (the loss before the first step
/// included); a grid value, within half a step. The bound of 8.2 is sure, not sharp: it is not it.
pub fn ex_08_3(answer: &f64, seed: u64) -> Verdict {
    let hint = "run digits_run with batch = the training set's size for lr = 0.05, 0.10, …; \
                compare each epoch's train loss with the one before (start from run.initial's loss)";
    Verdict::judge("8.3", hint, || {
        Ok(first_rise(seed)?.is_some_and(|lr| answer.is_finite() && (answer - lr).abs() <= LR_STEP / 2.0 + 1e-9))
    })
}

/// Exercise 8.4: `bce(logits, targets)`, the mean binary cross-entropy on logits in the stable
/// form `max(z, 0) − z·y + log(1 + e^(−|z|))`. Tried on logits from −1e4 to 1e4, where
/// `log(1 + e^(−z))` overflows, against gdlab's tape (within 1e-5 relative).
pub fn ex_08_4(bce: BceFn) -> Verdict {
    let hint = "log(1 + e^(−z)) overflows for a very negative z: write it as max(z, 0) − z·y + log(1 + e^(−|z|))";
    Verdict::judge("8.4", hint, || {
        let cases: [(Vec<f32>, Vec<f32>); 3] = [
            (vec![0.3, -1.2, 2.5, 0.0], vec![1.0, 0.0, 1.0, 0.0]),
            (vec![-100.0, 100.0, -30.0], vec![1.0, 0.0, 0.0]),
            (vec![1e4, -1e4, 40.0, -40.0], vec![1.0, 0.0, 0.0, 1.0]),
        ];
        for (z, t) in cases {
            let (z, t) = (Array1::from(z), Array1::from(t));
            let column = Array2::from_shape_vec((z.len(), 1), z.to_vec()).expect("one logit a row");
            let want =
                crate::autograd::Tensor::constant(column).bce_with_logits(&t.clone().insert_axis(Axis(1)))?.item()?;
            let Some(got) = quietly(|| bce(&z, &t)) else { return Ok(false) };
            if !close(f64::from(got), f64::from(want), 1e-5) {
                return Ok(false);
            }
        }
        Ok(true)
    })
}
