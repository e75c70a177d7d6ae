//! The checks of notebook 05, the optimisers.

use ndarray::Array2;

use super::{Verdict, close, lesson_m64, quietly, rectangular, same_matrix, start};
use crate::linalg::stability_bound;
use crate::loss::mse_grad;
use crate::momentum_map::{measured_momentum_rates, momentum_map};

/// A student's function for exercise 5.4: one step of `torch.optim.SGD(momentum=β,
/// dampening=τ)`, `damped(x, buf, grad, lr, beta, tau)` → (the next X, the next buffer), with
/// `buf = None` at the first step.
pub type DampedMomentumFn =
    fn(&Array2<f64>, Option<&Array2<f64>>, &Array2<f64>, f64, f64, f64) -> (Array2<f64>, Array2<f64>);

/// The learning rate of exercise 5.1, past plain descent's bound.
const LR_FAST: f64 = 1.75;
/// The (lr, β) of exercises 5.2 and 5.3: not a point that the notebook marks.
const POINT: (f64, f64) = (0.6, 0.3);

/// Exercise 5.1: the least β for which the heavy ball at lr = 1.75 is stable on the lesson's M,
/// `lr·λ_max/N − 1` (within 1e-6).
pub fn ex_05_1(answer: &f64) -> Verdict {
    let hint = "the heavy ball is stable while lr·h < 2(1 + β) for the stiffest curvature h = 2λ_max/N: solve for β";
    Verdict::judge("5.1", hint, || Ok(close(*answer, LR_FAST / stability_bound(&lesson_m64())? - 1.0, 1e-6)))
}

/// Exercise 5.2 (predict): the heavy ball's predicted rate max|σ| at lr = 0.6, β = 0.3 on the
/// lesson's M (float64), within 1e-6.
pub fn ex_05_2(answer: &f64) -> Verdict {
    let hint = "along each curvature h the error follows σ² − (1 + β − lr·h)·σ + β = 0: take the larger root \
                in size, then the slowest direction";
    Verdict::judge("5.2", hint, || {
        let map = momentum_map(&lesson_m64(), &[POINT.0], &[POINT.1])?;
        Ok(close(*answer, map.rates[[0, 0]], 1e-6))
    })
}

/// Exercise 5.3 (measure): the heavy ball's rate at lr = 0.6, β = 0.3 on the lesson's M from
/// `seed`, measured from the losses of a run (float64): within 2 % of the check's own run, whose
/// length follows the predicted rate (runs of other lengths measure a slightly different mean).
pub fn ex_05_3(answer: &f64, seed: u64) -> Verdict {
    let hint = "run the heavy ball at that (lr, β) and measure the error's shrinking per step from the losses \
                (the loss is the error squared)";
    Verdict::judge("5.3", hint, || {
        let measured = measured_momentum_rates(&lesson_m64(), seed, &[POINT])?;
        Ok(measured.first().and_then(|p| p.measured).is_some_and(|want| close(*answer, want, 0.02)))
    })
}

/// Exercise 5.4: `damped(x, buf, grad, lr, beta, tau)`, one step of torch's momentum with
/// dampening: the first step sets `buf = grad`, later ones `buf ← β·buf + (1 − τ)·grad`, then
/// `X ← X − lr·buf`. Run for 30 steps from `torch.rand` starts on the lesson's M and on a 5×3
/// matrix (X 3×5), with and without dampening, against the rule written out here.
pub fn ex_05_4(damped: DampedMomentumFn, seed: u64) -> Verdict {
    let hint = "torch's buffer starts as the gradient itself, undamped; only later steps damp the new \
                gradient by (1 − τ)";
    Verdict::judge("5.4", hint, || {
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
