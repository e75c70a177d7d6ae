//! The checks of notebook 04, convergence.

use ndarray::array;

use super::{Verdict, close, converged_at, lesson_m};
use crate::convergence::predicted_rates;
use crate::descent::InverseDescent;
use crate::error::Result;
use crate::linalg::stability_bound;

/// The learning rate of exercise 4.1: near the bound, where the slowest direction changes.
const LR_NEAR_BOUND: f64 = 0.96;
/// The learning rate of exercises 4.2 and 4.3: not the lesson's.
const LR_SMALL: f64 = 0.3;

/// Steps of the lesson (M = diag(1, 2, 3, 4), float32) from `seed` at `lr` until the loss is at
/// most `tolerance`; `None` if it never gets there within `limit` steps.
fn steps_to(seed: u64, lr: f64, tolerance: f64, limit: usize) -> Result<Option<usize>> {
    converged_at(InverseDescent::new(&lesson_m()).seed(seed).lr(lr).steps(limit), tolerance)
}

/// Exercise 4.1: the predicted per-step rate of the error's slowest direction at lr = 0.96 for
/// the lesson's M, the largest `|1 − 2·lr·λ/N|` (within 1e-6).
pub fn ex_04_1(answer: &f64) -> Verdict {
    let hint = "compute |1 − 2·lr·λ/N| for every eigenvalue λ of MᵀM: near the bound the slowest direction \
                need not be the flattest one";
    Verdict::judge("4.1", hint, || {
        let slowest = predicted_rates(&lesson_m(), LR_NEAR_BOUND)?.iter().map(|&(_, f)| f.abs()).fold(0.0, f64::max);
        Ok(close(*answer, slowest, 1e-6))
    })
}

/// Exercise 4.2 (predict): the factor by which the lesson's loss shrinks per step in the long
/// run at lr = 0.3, when only the slowest direction is left: the largest `(1 − 2·lr·λ/N)²`
/// (within 1e-6).
pub fn ex_04_2(answer: &f64) -> Verdict {
    let hint = "in the long run only the slowest direction of the error is left; the loss is a mean of squared \
                errors, so it shrinks by that direction's factor squared";
    Verdict::judge("4.2", hint, || {
        let slowest = predicted_rates(&lesson_m(), LR_SMALL)?.iter().map(|&(_, f)| f.abs()).fold(0.0, f64::max);
        Ok(close(*answer, slowest * slowest, 1e-6))
    })
}

/// The number of steps over which exercise 4.3 averages: too few for the fast directions to
/// have gone.
const EARLY_STEPS: usize = 20;

/// Exercise 4.3 (measure): the factor by which the lesson's loss from `seed` at lr = 0.3 shrank
/// per step on average over its first 20 steps, `(loss₂₀/loss₀)^(1/20)`, measured in float32
/// (within 1e-3, relative). It is well below 4.2's long-run factor: early on, the fast
/// directions still hold most of the loss.
pub fn ex_04_3(answer: &f64, seed: u64) -> Verdict {
    let hint = "run the lesson at lr = 0.3 and take (loss₂₀/loss₀)^(1/20), where loss₀ is the loss at the start \
                and loss₂₀ the loss of X after 20 updates";
    Verdict::judge("4.3", hint, || {
        let run = InverseDescent::new(&lesson_m()).seed(seed).lr(LR_SMALL).steps(EARLY_STEPS + 1).no_snapshots();
        let losses = run.trace()?.losses;
        let early = (f64::from(losses[EARLY_STEPS]) / f64::from(losses[0])).powf(1.0 / EARLY_STEPS as f64);
        Ok(close(*answer, early, 1e-3))
    })
}

/// Exercise 4.4: a learning rate that brings the lesson from `seed` to `tolerance` in the
/// fewest steps, measured: the answer's steps are compared with the best of 200 rates between
/// half the stability bound and the bound (within one step). The theory's `N/(λ_min + λ_max)`
/// is best only in the long run, and is not accepted where it takes more steps.
pub fn ex_04_4(answer: &f64, seed: u64, tolerance: f64) -> Verdict {
    let hint = "measure: run the descent to the tolerance at many rates below the stability bound and keep \
                the one with the fewest steps (the theory's best rate wins only in the long run)";
    Verdict::judge("4.4", hint, || {
        let bound = stability_bound(&lesson_m())?;
        if !(answer.is_finite() && *answer > 0.0 && *answer < bound) {
            return Ok(false);
        }
        let mut fewest = usize::MAX;
        for i in 0..200 {
            if let Some(s) = steps_to(seed, bound * (0.5 + i as f64 / 400.0), tolerance, 2000)? {
                fewest = fewest.min(s);
            }
        }
        Ok(steps_to(seed, *answer, tolerance, 2000)?.is_some_and(|s| s <= fewest.saturating_add(1)))
    })
}

/// Exercise 4.5: the smallest learning rate at which gradient descent on M = [[2, 1], [1, 3]]
/// diverges (within 0.1 %).
pub fn ex_04_5(answer: &f64) -> Verdict {
    let hint = "descent diverges once the stiffest direction's factor passes −1; M is not diagonal, so its \
                stiffness is the largest eigenvalue of MᵀM, not a squared entry";
    Verdict::judge("4.5", hint, || Ok(close(*answer, stability_bound(&array![[2.0f64, 1.0], [1.0, 3.0]])?, 1e-3)))
}
