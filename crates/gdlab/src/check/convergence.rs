//! The checks of notebook 04, convergence.

use ndarray::array;

use super::{Verdict, close, converged_at, lesson_m, start};
use crate::convergence::{predicted_rates, predicted_steps};
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

/// Exercise 4.2 (predict): the theory's number of steps to bring the lesson's loss from `seed`
/// to `tolerance` at lr = 0.3, within 2 steps or 1 % of [`predicted_steps`] (keeping only the
/// slowest direction is close enough).
pub fn ex_04_2(answer: &usize, seed: u64, tolerance: f64) -> Verdict {
    let hint = "each direction's part of the loss shrinks by its factor squared per step, and the slowest \
                direction sets the pace: start from its share of the loss at step 0";
    Verdict::judge("4.2", hint, || {
        let x0 = start::<f32>(seed, (4, 4));
        Ok(match predicted_steps(&lesson_m(), &x0, LR_SMALL, tolerance)? {
            Some(want) => answer.abs_diff(want) <= 2.max(want / 100),
            None => false,
        })
    })
}

/// Exercise 4.3 (measure): the steps the lesson's descent from `seed` at lr = 0.3 takes to bring
/// the loss to `tolerance`, measured (within one step).
pub fn ex_04_3(answer: &usize, seed: u64, tolerance: f64) -> Verdict {
    let hint = "run the loop at the new rate and count the steps until the loss is at most the tolerance";
    Verdict::judge("4.3", hint, || {
        Ok(steps_to(seed, LR_SMALL, tolerance, 100_000)?.is_some_and(|want| answer.abs_diff(want) <= 1))
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
