//! The checks of notebook 02, where the gradient comes from.

use ndarray::{Array2, array};

use super::{Verdict, close, lesson_m, lesson_m64, quietly, rectangular, same_matrix, start};
use crate::autograd::{Tensor, mse_t};
use crate::error::Result;
use crate::gradcheck::{Difference, difference_gradient, largest_error};
use crate::linalg::inverse;
use crate::rng::TorchRng;

/// A student's function for exercise 2.5: the ridge loss's gradient, `ridge_grad(x, m, lambda)`.
pub type RidgeGradFn = fn(&Array2<f64>, &Array2<f64>, f64) -> Array2<f64>;

/// Exercise 2.1: `X.grad[0, 0]` after three forward and backward passes of the lesson's loss
/// from `seed`, without `zero_grad` in between (float32, on the tape).
pub fn ex_02_1(answer: &f32, seed: u64) -> Verdict {
    let hint = "backward() adds into .grad rather than setting it: what does .grad hold after the third pass?";
    Verdict::judge("2.1", hint, || {
        let (m, y) = (Tensor::constant(lesson_m()), Tensor::constant(Array2::eye(4)));
        let x = Tensor::leaf(start::<f32>(seed, (4, 4)));
        for _ in 0..3 {
            mse_t(&y, &x.matmul(&m)?)?.backward()?;
        }
        let want = x.grad().map_or(f64::NAN, |g| f64::from(g[[0, 0]]));
        Ok(close(f64::from(*answer), want, 1e-6))
    })
}

/// The minimiser of the ridge loss `mean((X·M − I)²) + λ·mean(X²)` for a square M:
/// `Mᵀ·(M·Mᵀ + λI)⁻¹`.
fn ridge_minimiser(m: &Array2<f64>, lambda: f64) -> Result<Array2<f64>> {
    let n = m.nrows();
    Ok(m.t().dot(&inverse(&(m.dot(&m.t()) + lambda * &Array2::<f64>::eye(n)))?))
}

/// Exercise 2.2: the entry `X*[3, 3]` of the ridge loss's minimiser X* on the lesson's M, with
/// **twice** the notebook's weight, `2·lambda` (float64, within 1e-9).
pub fn ex_02_2(answer: &f64, lambda: f64) -> Verdict {
    let hint = "set the ridge gradient to zero; on a diagonal M each entry of X is its own equation in one unknown";
    Verdict::judge("2.2", hint, || Ok(close(*answer, ridge_minimiser(&lesson_m64(), 2.0 * lambda)?[[3, 3]], 1e-9)))
}

/// The quartic loss `mean((X·M − I)⁴)` of section 4, in float64.
fn quartic(x: &Array2<f64>) -> f64 {
    let r = x.dot(&lesson_m64()) - Array2::<f64>::eye(4);
    r.mapv(|v| v.powi(4)).mean().unwrap_or(f64::NAN)
}

/// The step of exercises 2.3 and 2.4: the largest of the sweep's, where truncation rules.
const STEP: f64 = 0.1;

/// Exercise 2.3 (predict): the error model's largest error of forward differences of the
/// quartic loss at h = 0.1 from `seed`, `h/2·max f''`, with `f'' = (12/N)·Σ_k R_ik²·M_jk²` along
/// `X_ij` and R = X·M − I (float64, within 1e-4).
pub fn ex_02_3(answer: &f64, seed: u64) -> Verdict {
    let hint = "the model says forward differences err by h/2·|f''|; for the quartic, f'' along X_ij is \
                (12/N)·Σ_k R_ik²·M_jk², and the largest error is at the largest f''";
    let m = lesson_m64();
    let r = start::<f32>(seed, (4, 4)).mapv(f64::from).dot(&m) - Array2::<f64>::eye(4);
    let second = r.mapv(|v| v * v).dot(&m.mapv(|v| v * v).t()) * (12.0 / 16.0);
    Verdict::new("2.3", close(*answer, STEP / 2.0 * second.fold(0.0f64, |a, &b| a.max(b)), 1e-4), hint)
}

/// Exercise 2.4 (measure): the largest error of forward differences of the quartic loss at
/// h = 0.1 from `seed`, measured in float64 against its exact gradient `(4/N)·R³·Mᵀ` (within
/// 1e-4, so that a float32 measurement passes too).
pub fn ex_02_4(answer: &f64, seed: u64) -> Verdict {
    let hint = "estimate the quartic's gradient by forward differences with h = 0.1, in float64, and take \
                the largest |estimate − exact| over the 16 entries";
    Verdict::judge("2.4", hint, || {
        let m = lesson_m64();
        let x = start::<f32>(seed, (4, 4)).mapv(f64::from);
        let r = x.dot(&m) - Array2::<f64>::eye(4);
        let exact = r.mapv(|v| v.powi(3)).dot(&m.t()) * (4.0 / 16.0);
        let estimate = difference_gradient(quartic, &x, STEP, Difference::Forward)?;
        Ok(close(*answer, largest_error(&estimate, &exact), 1e-4))
    })
}

/// Exercise 2.5: `ridge_grad(x, m, lambda)`, the gradient of `mean((X·M − I)²) + λ·mean(X²)`,
/// tried against the tape's on the lesson's M, a dense 3×3 M, a 2×2 one, and a 5×3 one with X
/// 3×5 (where X·M and X have different numbers of entries).
pub fn ex_02_5(ridge_grad: RidgeGradFn, seed: u64) -> Verdict {
    let hint = "the chain rule term by term: each mean divides by its own number of entries, \
                N of X·M for the first, that of X for the second";
    Verdict::judge("2.5", hint, || {
        let dense = array![[2.0f64, 1.0, 0.0], [0.5, 3.0, 1.0], [0.0, 1.0, 4.0]];
        let cases = [(lesson_m64(), 0.5), (dense, 0.1), (array![[1.0f64, 2.0], [0.0, 1.0]], 2.0), (rectangular(), 0.3)];
        for (k, (m, lambda)) in cases.into_iter().enumerate() {
            let size = m.ncols();
            let x0: Array2<f64> = TorchRng::manual_seed(seed.wrapping_add(k as u64)).rand((size, m.nrows()));
            let x = Tensor::leaf(x0.clone());
            let fit = mse_t(&Tensor::constant(Array2::eye(size)), &x.matmul(&Tensor::constant(m.clone()))?)?;
            (&fit + &x.pow(2).mean().scale(lambda))?.backward()?;
            let want = x.grad().unwrap_or_else(|| Array2::zeros(x0.dim()));
            let Some(got) = quietly(|| ridge_grad(&x0, &m, lambda)) else { return Ok(false) };
            if !same_matrix(&got, &want, 1e-9) {
                return Ok(false);
            }
        }
        Ok(true)
    })
}
