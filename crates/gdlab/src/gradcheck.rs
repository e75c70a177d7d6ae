//! Checking a gradient by finite differences: the estimate, its error, and the step `h` that
//! makes the error smallest.
//!
//! A finite difference trades two errors. *Truncation*: the formula is exact only as h → 0
//! (forward differences err by `h/2 · f''`, central ones by `h²/6 · f'''`). *Rounding*: `f`
//! is computed to a relative precision ε, so the difference of two values near `f` carries
//! an error of about `ε·|f|`, divided by h. [`best_step`] balances the two.
//!
//! ```
//! use gdlab::autograd::{Tensor, mse_t};
//! use gdlab::gradcheck::{Difference, difference_gradient, gradient_check, largest_error};
//! use gdlab::prelude::*;
//!
//! let m = array![[2.0f64, 1.0], [0.0, 3.0]];
//! let x = array![[0.3f64, 0.1], [0.2, 0.4]];
//! let loss = |x: &Array2<f64>| mse(&Array2::eye(2), &x.dot(&m));
//! let exact = mse_grad(&x, &m, &Array2::eye(2));
//! // The loss is quadratic, so central differences have no truncation error at all.
//! let central = difference_gradient(loss, &x, 0.1, Difference::Central)?;
//! assert!(largest_error(&central, &exact) < 1e-14);
//! // The tape's gradient against central differences, entry by entry.
//! let check = gradient_check(|x| mse_t(&Tensor::constant(Array2::eye(2)), &x.matmul(&Tensor::constant(m.clone()))?), &x, 1e-6)?;
//! assert!(check.max_relative_error() < 1e-7);
//! # Ok::<(), gdlab::GdlabError>(())
//! ```

use ndarray::{Array2, ArrayRef2, Zip};

use crate::autograd::Tensor;
use crate::error::{Result, ensure_param, ensure_shape};
use crate::real::Real;

/// Which finite difference estimates `∂f/∂x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Difference {
    /// `(f(x + h) − f(x)) / h`: truncation error `h/2 · f''`.
    Forward,
    /// `(f(x + h) − f(x − h)) / 2h`: truncation error `h²/6 · f'''`.
    Central,
}

/// The finite-difference estimate of the gradient of `f` at `x`, one entry of `x` moved at a
/// time by `h`, computed in `T` (f32 or f64) throughout.
///
/// # Errors
/// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) unless `h` is finite and > 0.
pub fn difference_gradient<T: Real>(
    f: impl Fn(&Array2<T>) -> T,
    x: &Array2<T>,
    h: T,
    difference: Difference,
) -> Result<Array2<T>> {
    ensure_param(h.is_finite() && h > T::zero(), "h", h.as_f64(), "a finite step > 0")?;
    let at_x = f(x);
    let mut estimate = Array2::zeros(x.dim());
    for ((i, j), e) in estimate.indexed_iter_mut() {
        let mut up = x.clone();
        up[[i, j]] += h;
        *e = match difference {
            Difference::Forward => (f(&up) - at_x) / h,
            Difference::Central => {
                let mut down = x.clone();
                down[[i, j]] -= h;
                (f(&up) - f(&down)) / (h + h)
            }
        };
    }
    Ok(estimate)
}

/// `|a − b| / max(|a|, |b|)` per entry (0 where both are 0), as cs231n's notes define the
/// relative error: below about 1e-7 a gradient is right, above 1e-2 it is wrong.
///
/// # Errors
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) unless the shapes match.
pub fn relative_error(a: &ArrayRef2<f64>, b: &ArrayRef2<f64>) -> Result<Array2<f64>> {
    ensure_shape("the second gradient (it must match the first)", a.dim(), b.shape())?;
    Ok(Zip::from(a).and(b).map_collect(|&a, &b| {
        let scale = a.abs().max(b.abs());
        if scale == 0.0 { 0.0 } else { (a - b).abs() / scale }
    }))
}

/// The largest `|estimate − exact|` over all entries, the estimate widened to f64.
///
/// # Panics
/// If the shapes differ.
pub fn largest_error<T: Real>(estimate: &ArrayRef2<T>, exact: &ArrayRef2<f64>) -> f64 {
    assert_eq!(estimate.dim(), exact.dim(), "largest_error: the estimate and the exact gradient differ in shape");
    Zip::from(estimate).and(exact).fold(0.0, |worst, &e, &x| worst.max((e.as_f64() - x).abs()))
}

/// The step that balances truncation against rounding, from the error model
/// `truncation(h) + eps·|f|/h`:
/// - forward, `h/2·|f''| + eps·|f|/h`, is smallest at `h = √(2·eps·|f| / |f''|)`;
/// - central, `h²/6·|f'''| + eps·|f|/h`, is smallest at `h = ∛(3·eps·|f| / |f'''|)`.
///
/// `derivative` is `f''` for [`Difference::Forward`] and `f'''` for [`Difference::Central`],
/// along the entry that is moved; `eps` is the precision of the arithmetic (`f64::EPSILON`).
/// Where that derivative is 0 there is no truncation and no best step: the result is infinite.
pub fn best_step(difference: Difference, loss: f64, derivative: f64, eps: f64) -> f64 {
    let (loss, derivative) = (loss.abs(), derivative.abs());
    match difference {
        Difference::Forward => (2.0 * eps * loss / derivative).sqrt(),
        Difference::Central => (3.0 * eps * loss / derivative).cbrt(),
    }
}

/// The `h` of `hs` at which `errors` is smallest: a sweep's measured bottom.
///
/// # Panics
/// If the lengths differ or `hs` is empty.
pub fn measured_best(hs: &[f64], errors: &[f64]) -> f64 {
    assert_eq!(hs.len(), errors.len(), "measured_best: one error per step");
    let at = (0..hs.len()).min_by(|&a, &b| errors[a].total_cmp(&errors[b])).expect("measured_best: no steps");
    hs[at]
}

/// A finite-difference check of the tape's gradient, entry by entry.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientCheck {
    /// The tape's gradient.
    pub analytic: Array2<f64>,
    /// Central differences `(f(x + h) − f(x − h)) / 2h`.
    pub estimate: Array2<f64>,
    /// [`relative_error`] per entry.
    pub relative_error: Array2<f64>,
}

impl GradientCheck {
    /// The largest relative error: below about 1e-7 is right, above 1e-2 is wrong.
    pub fn max_relative_error(&self) -> f64 {
        self.relative_error.iter().copied().fold(0.0, f64::max)
    }
}

/// Checks the tape's gradient of `loss(x)` at `x` against central differences with step `h`, in f64.
///
/// # Errors
/// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) unless `h` is finite
/// and > 0; whatever `loss` returns; [`GdlabError::NotScalar`](crate::GdlabError::NotScalar)
/// if `loss` does not give a 1×1 tensor.
pub fn gradient_check(
    loss: impl Fn(&Tensor<f64>) -> Result<Tensor<f64>>,
    x: &Array2<f64>,
    h: f64,
) -> Result<GradientCheck> {
    ensure_param(h.is_finite() && h > 0.0, "h", h, "a finite step > 0")?;
    let leaf = Tensor::leaf(x.clone());
    loss(&leaf)?.backward()?;
    let analytic = leaf.grad().unwrap_or_else(|| Array2::zeros(x.dim()));
    // The loss at every moved point, first failure kept: difference_gradient takes a plain f.
    let failure = std::cell::RefCell::new(None);
    let at = |x: &Array2<f64>| match loss(&Tensor::constant(x.clone())).and_then(|t| t.item()) {
        Ok(v) => v,
        Err(e) => {
            failure.borrow_mut().get_or_insert(e);
            f64::NAN
        }
    };
    let estimate = difference_gradient(at, x, h, Difference::Central)?;
    if let Some(e) = failure.into_inner() {
        return Err(e);
    }
    let relative_error = relative_error(&analytic, &estimate)?;
    Ok(GradientCheck { analytic, estimate, relative_error })
}
