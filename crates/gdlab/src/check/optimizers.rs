//! The checks of notebook 06, the optimisers.

use ndarray::{Array2, array};

use super::{Verdict, close, lesson_m64, quietly, rectangular, same_matrix, start};
use crate::convergence::{heavy_ball_tuning, measured_rate};
use crate::descent::InverseDescent;
use crate::linalg::stability_bound;
use crate::loss::mse_grad;
use crate::optim::Momentum;

/// A student's function for exercise 6.4: one step of `torch.optim.SGD(momentum=β,
/// dampening=τ)`, `damped(x, buf, grad, lr, beta, tau)` → (the next X, the next buffer), with
/// `buf = None` at the first step.
pub type DampedMomentumFn =
    fn(&Array2<f64>, Option<&Array2<f64>>, &Array2<f64>, f64, f64, f64) -> (Array2<f64>, Array2<f64>);

/// The learning rate of exercise 6.1, past plain descent's bound.
const LR_FAST: f64 = 1.75;

/// The matrix of exercises 6.2 and 6.3: the lesson's without its last row and column, κ = 9, which
/// the notebook never runs.
fn polyak_m() -> Array2<f64> {
    Array2::from_diag(&array![1.0, 2.0, 3.0])
}

/// How many steps the check's run of 6.3 takes: its loss passes 1e-24, where [`measured_rate`]
/// stops looking, after about 46, so every run of 50 steps or more measures the same number.
const POLYAK_STEPS: usize = 200;

/// Exercise 6.1: the least β for which the heavy ball at lr = 1.75 is stable on the lesson's M,
/// `lr·λ_max/N − 1` (within 1e-6).
pub fn ex_06_1(answer: &f64) -> Verdict {
    let hint = "the heavy ball is stable while lr·h < 2(1 + β) for the stiffest curvature h = 2λ_max/N: solve for β";
    Verdict::judge("6.1", hint, || Ok(close(*answer, LR_FAST / stability_bound(&lesson_m64())? - 1.0, 1e-6)))
}

/// Exercise 6.2 (predict): the heavy ball's rate at Polyak's tuning on `diag(1, 2, 3)`,
/// `(√κ − 1)/(√κ + 1)` for κ of MᵀM, within 1e-6.
pub fn ex_06_2(answer: &f64) -> Verdict {
    let hint = "at Polyak's (lr, β) the heavy ball shrinks the error by (√κ − 1)/(√κ + 1) per step, \
                κ = λ_max/λ_min of MᵀM";
    Verdict::judge("6.2", hint, || Ok(close(*answer, heavy_ball_tuning(&polyak_m())?.rate, 1e-6)))
}

/// Exercise 6.3 (measure): the heavy ball's rate at Polyak's tuning on `diag(1, 2, 3)`,
/// [`measured_rate`] of a float64 run from `seed`'s 3×3 start (the float32 draw converted),
/// within 1 % of the check's own run of 200 steps. The prediction of 6.2 is 3 %
/// below it: at Polyak's point the slowest and the stiffest directions have double roots, whose
/// error shrinks as k·ρᵏ, not ρᵏ, so over a finite run each step shrinks it by less than ρ.
pub fn ex_06_3(answer: &f64, seed: u64) -> Verdict {
    let hint = "run the heavy ball at Polyak's (lr, β) for diag(1, 2, 3) in float64 and measure the error's \
                shrinking per step from the losses with measured_rate (the loss is the error squared)";
    Verdict::judge("6.3", hint, || {
        let m = polyak_m();
        let tuning = heavy_ball_tuning(&m)?;
        let run = InverseDescent::new(&m)
            .start(&start::<f32>(seed, (3, 3)).mapv(f64::from))
            .lr(tuning.lr)
            .steps(POLYAK_STEPS)
            .optimizer(Momentum::heavy_ball(tuning.beta))
            .run()?;
        Ok(close(*answer, measured_rate(&run.losses), 0.01))
    })
}

/// Exercise 6.4: `damped(x, buf, grad, lr, beta, tau)`, one step of torch's momentum with
/// dampening: the first step sets `buf = grad`, later ones `buf ← β·buf + (1 − τ)·grad`, then
/// `X ← X − lr·buf`. Run for 30 steps from `torch.rand` starts on the lesson's M and on a 5×3
/// matrix (X 3×5), with and without dampening, against the rule written out here.
pub fn ex_06_4(damped: DampedMomentumFn, seed: u64) -> Verdict {
    let hint = "torch's buffer starts as the gradient itself, undamped; only later steps damp the new \
                gradient by (1 − τ)";
    Verdict::judge("6.4", hint, || {
        for (m, lr, beta, tau) in
            [(lesson_m64(), 0.5, 0.9, 0.5), (lesson_m64(), 1.28, 0.36, 0.0), (rectangular(), 0.2, 0.8, 0.3)]
        {
            let eye = Array2::<f64>::eye(m.ncols());
            let x0 = start::<f64>(seed, (m.ncols(), m.nrows()));
            let (mut want, mut want_buf): (Array2<f64>, Option<Array2<f64>>) = (x0.clone(), None);
            let (mut x, mut buf): (Array2<f64>, Option<Array2<f64>>) = (x0, None);
            for _ in 0..30 {
                let grad = mse_grad(&want, &m, &eye);
                let next_buf = match &want_buf {
                    None => grad.clone(),
                    Some(b) => b * beta + &grad * (1.0 - tau),
                };
                want = &want - &(lr * &next_buf);
                want_buf = Some(next_buf);
                let grad = mse_grad(&x, &m, &eye);
                let Some((next, next_buf)) = quietly(|| damped(&x, buf.as_ref(), &grad, lr, beta, tau)) else {
                    return Ok(false);
                };
                if next.dim() != x.dim() || next_buf.dim() != x.dim() {
                    return Ok(false);
                }
                (x, buf) = (next, Some(next_buf));
            }
            if !same_matrix(&x, &want, 1e-9) {
                return Ok(false);
            }
        }
        Ok(true)
    })
}
