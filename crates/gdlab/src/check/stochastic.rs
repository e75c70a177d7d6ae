//! The checks of notebook 07, stochastic descent.

use ndarray::Array1;

use super::{Verdict, close, quietly};
use crate::noise_floor::excess_floor;
use crate::schedule::Schedule;
use crate::stochastic::{Documents, Sampling};

/// A student's function for exercise 7.4: minibatch descent with a fresh batch at every step,
/// `fresh_sgd(problem, batch, epochs, lr)` → the final w.
pub type FreshSgdFn = fn(&Documents, usize, usize, f64) -> Array1<f32>;

/// The batch and rate that exercises 7.2 and 7.3 ask about (the notebook's grid has neither).
const BATCH: usize = 8;
const LR: f64 = 0.05;

/// Exercise 7.1: `L⋆`, the least loss, of the notebook's problem drawn again with twice its noise,
/// `noise = 0.2` (within 1e-6).
pub fn ex_07_1(answer: &f64, seed: u64, docs: usize, words: usize, p: f64) -> Verdict {
    let hint = "draw the problem again with the noise 0.2 and fit it exactly: w⋆ = A⁺·y, then L(w⋆)";
    Verdict::judge("7.1", hint, || Ok(close(*answer, Documents::new(seed, docs, words, p, 0.2)?.loss_star()?, 1e-6)))
}

/// Exercise 7.2 (predict): the theory's noise floor for fresh batches of 8 documents at
/// lr = 0.05 on `problem` (within 1 %).
pub fn ex_07_2(answer: &f64, problem: &Documents) -> Verdict {
    let hint = "the floor is (lr·L⋆/B)·(n − B)/(n − 1)·Σ h/(2 − lr·h) over the curvatures h of H = (2/n)·AᵀA";
    Verdict::judge("7.2", hint, || Ok(close(*answer, problem.predicted_floor(LR, BATCH)?, 0.01)))
}

/// Exercise 7.3 (measure): the floor of torch's shuffled epochs at batch 8 and lr = 0.05 on
/// `problem`, measured as the mean of `L − L⋆` over the second half of a run long enough to
/// settle: within 25 % of the check's own run over [`Documents::settling_epochs`] (runs of other
/// lengths differ by their sampling noise). The prediction of 7.2, made for fresh batches, is
/// not it.
pub fn ex_07_3(answer: &f64, problem: &Documents) -> Verdict {
    let hint = "run minibatch descent with shuffled epochs for many relaxation times 1/(lr·h_min), \
                then average L − L⋆ over the second half of the steps";
    Verdict::judge("7.3", hint, || {
        let epochs = problem.settling_epochs(LR, BATCH)?;
        let run = problem.sgd(Sampling::Shuffled, BATCH, epochs, LR, Schedule::Constant)?;
        Ok(close(*answer, excess_floor(&run.step_losses, problem.loss_star()?), 0.25))
    })
}

/// Exercise 7.4: `fresh_sgd(problem, batch, epochs, lr)`, minibatch descent from `w = 0` that
/// draws a fresh batch at every step, `torch.randperm(docs)[:batch]` on the problem's generator,
/// ⌈docs / batch⌉ steps an epoch, returning the final w. Tried on a 37 × 5 problem the notebook
/// never shows, with batches of 1 and of 3 (37 = 12·3 + 1), against
/// [`Sampling::Independent`] (within 1e-4 of the largest weight: the student's rounding may differ).
pub fn ex_07_4(fresh_sgd: FreshSgdFn, seed: u64) -> Verdict {
    let hint = "every step draws its own permutation and keeps its first `batch` documents; \
                start from the problem's generator";
    Verdict::judge("7.4", hint, || {
        let problem = Documents::new(seed.wrapping_add(1), 37, 5, 0.4, 0.1)?;
        for (batch, epochs, lr) in [(1, 2, 0.05), (3, 4, 0.1)] {
            let want = problem.sgd(Sampling::Independent, batch, epochs, lr, Schedule::Constant)?.w;
            let Some(got) = quietly(|| fresh_sgd(&problem, batch, epochs, lr)) else { return Ok(false) };
            let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
            let right = got.len() == want.len() && got.iter().zip(&want).all(|(g, v)| (g - v).abs() <= 1e-4 * scale);
            if !right {
                return Ok(false);
            }
        }
        Ok(true)
    })
}
