//! The checks of notebook 05, paths on the landscape.

use ndarray::{Array2, array};

use super::{Verdict, close, lesson_m, lesson_m64, quietly, same_matrix, start};
use crate::landscape::{path, row_hessian, tilted_valley};
use crate::linalg::inverse;
use crate::loss::mse_grad;
use crate::optim::Momentum;
use crate::phases::heavy_ball_roots;

/// A student's function for exercise 5.4: one damped Newton step, `newton(x, m, lr)` →
/// `X − lr·∇·H⁻¹` for the loss `mean((X·M − I)²)`, H = (2/N)·M·Mᵀ.
pub type NewtonStepFn = fn(&Array2<f64>, &Array2<f64>, f64) -> Array2<f64>;

/// The heavy ball of exercises 5.2 and 5.3: (lr, β), run on the lesson's M, where X₀₃'s
/// curvature is h = 2. Neither is a pair that the notebook runs above the exercises.
const HEAVY_BALL: (f64, f64) = (1.0, 0.5);

/// How many steps of that run exercises 5.2 and 5.3 look at.
const CROSSING_STEPS: usize = 20;

/// Exercise 5.1: the learning rate at which one step of the lesson's update puts X₀₂ on its
/// minimum 0, `1/h` for column 2's curvature h = (2/N)·3² = 9/8 (within 1e-6).
pub fn ex_05_1(answer: &f64) -> Verdict {
    let hint = "one step multiplies X₀₂'s error by 1 − lr·h, h its curvature (2/N)·m₂²: make that factor 0";
    Verdict::judge("5.1", hint, || Ok(close(*answer, 1.0 / row_hessian(&lesson_m64())?[[2, 2]], 1e-6)))
}

/// Exercise 5.2 (predict): how many times the heavy ball at lr = 1, β = 0.5 should cross
/// X₀₃ = 0 in 20 steps, by the roots: they turn the error by the angle θ = arg σ per step, and
/// it crosses zero every π/θ steps, so `20·θ/π` (within 0.01). Not a whole number; the count of
/// 5.3 is.
pub fn ex_05_2(answer: &f64) -> Verdict {
    let hint = "the roots σ = ρ·e^(±iθ) of σ² − (1 + β − lr·h)σ + β turn the error by θ each step, and it \
                changes sign every π/θ steps; h = 2 for X₀₃";
    Verdict::judge("5.2", hint, || {
        let (lr, beta) = HEAVY_BALL;
        let h = row_hessian(&lesson_m64())?[[3, 3]];
        let [(re, im), _] = heavy_ball_roots(lr * h, beta);
        let want = CROSSING_STEPS as f64 * im.atan2(re).abs() / std::f64::consts::PI;
        Ok(answer.is_finite() && (answer - want).abs() <= 0.01)
    })
}

/// Exercise 5.3 (measure): how many times the heavy-ball path at lr = 1, β = 0.5 (float32, the
/// lesson's M, from `seed`'s start) crosses X₀₃ = 0 in its first 20 steps, counted on the path:
/// changes of side, a point exactly on the axis skipped (the second step lands there).
pub fn ex_05_3(answer: &usize, seed: u64) -> Verdict {
    let hint = "run path(…) with Momentum::heavy_ball(0.5) at lr = 1 for 20 steps and count the changes of side \
                of X₀₃, the second coordinate of its points, skipping points exactly on the axis";
    Verdict::judge("5.3", hint, || {
        let (lr, beta) = HEAVY_BALL;
        let run = path(
            &lesson_m(),
            &start::<f32>(seed, (4, 4)),
            Momentum::heavy_ball(beta),
            lr,
            CROSSING_STEPS,
            [(0, 0), (0, 3)],
        )?;
        Ok(*answer == run.crossings(1, 0.0, CROSSING_STEPS))
    })
}

/// Exercise 5.4: `newton(x, m, lr)`, one damped Newton step `X − lr·∇·H⁻¹`, run from `seed`'s
/// start on the lesson's M, the tilted valley and a dense 3×3 M, at lr = 1 and 0.5, against the
/// step computed here with [`mse_grad`] and [`inverse`] (within 1e-9).
pub fn ex_05_4(newton: NewtonStepFn, seed: u64) -> Verdict {
    let hint = "∇ is mse_grad(x, m, I) and H the n×n matrix (2/N)·M·Mᵀ, N = n² the entries of X·M; the step \
                multiplies ∇ by H⁻¹ on the right";
    Verdict::judge("5.4", hint, || {
        let dense = array![[2.0, 1.0, 0.0], [0.5, 3.0, 1.0], [0.0, 1.0, 4.0]];
        for m in [lesson_m64(), tilted_valley::<f64>(), dense] {
            let n = m.nrows();
            let x = start::<f64>(seed, (n, n));
            let h = &m.dot(&m.t()) * (2.0 / (n * n) as f64);
            let grad = mse_grad(&x, &m, &Array2::eye(n));
            let step = grad.dot(&inverse(&h)?);
            for lr in [1.0, 0.5] {
                let Some(got) = quietly(|| newton(&x, &m, lr)) else { return Ok(false) };
                if got.dim() != x.dim() || !same_matrix(&got, &(&x - &(lr * &step)), 1e-9) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    })
}
