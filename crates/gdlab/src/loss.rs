//! The loss of the lesson, `mse`, and its gradient with respect to X in `Y_hat = X·M`.

use ndarray::{Array2, ArrayRef2};

use crate::error::{Result, ensure_nonempty, ensure_shape};
use crate::real::Real;

/// Mean of the squared differences, the original's `((y - y_hat)**2).mean()`.
///
/// # Panics
/// If the shapes differ or the matrices are empty; [`try_mse`] returns the error instead.
///
/// ```
/// use gdlab::prelude::*;
/// let y = array![[1.0f32, 0.0], [0.0, 1.0]];
/// let y_hat = array![[1.0f32, 1.0], [0.0, 1.0]];
/// assert_eq!(mse(&y, &y_hat), 0.25);
/// ```
pub fn mse<T: Real>(y: &ArrayRef2<T>, y_hat: &ArrayRef2<T>) -> T {
    try_mse(y, y_hat).unwrap_or_else(|e| panic!("mse: {e}"))
}

/// [`mse`], with a typed error for mismatched or empty shapes.
///
/// # Errors
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) if `y_hat`'s shape is not `y`'s;
/// [`GdlabError::Empty`](crate::GdlabError::Empty) if they have no elements.
pub fn try_mse<T: Real>(y: &ArrayRef2<T>, y_hat: &ArrayRef2<T>) -> Result<T> {
    ensure_shape("y_hat (it must match y)", y.dim(), y_hat.shape())?;
    ensure_nonempty("y", y.shape())?;
    Ok(mse_unchecked(y, y_hat))
}

pub(crate) fn mse_unchecked<T: Real>(y: &ArrayRef2<T>, y_hat: &ArrayRef2<T>) -> T {
    let squares = y.iter().zip(y_hat.iter()).map(|(&a, &b)| (a - b) * (a - b));
    torch_sum(squares) / T::from_f64_lossy(y.len() as f64)
}

/// Sums in the order torch's CPU reduction does for short rows: one accumulator per lane of a
/// 256-bit vector (8 for f32, 4 for f64), element i into lane i mod lanes, lanes added in turn.
/// This reproduces torch's loss bit for bit where a plain left-to-right sum is off by an ulp.
pub(crate) fn torch_sum<T: Real>(values: impl Iterator<Item = T>) -> T {
    const MAX_LANES: usize = 8;
    let lanes = (32 / std::mem::size_of::<T>()).min(MAX_LANES);
    let mut acc = [T::zero(); MAX_LANES];
    for (i, v) in values.enumerate() {
        acc[i % lanes] += v;
    }
    acc[..lanes].iter().fold(T::zero(), |s, &a| s + a)
}

/// `d mse(Y, X·M) / dX`: the value torch's `backward()` leaves in `X.grad`.
///
/// It is `(2/N)·(X·M − Y)·Mᵀ`, N the number of elements of Y, computed in torch's order
/// (`1/N` rounded first, then `2·(X·M − Y)`, then the product with `Mᵀ`), so that for a
/// diagonal M every value is bit-identical to torch's.
///
/// # Panics
/// If the shapes do not fit `Y = X·M` or are empty; [`try_mse_grad`] returns the error instead.
pub fn mse_grad<T: Real>(x: &ArrayRef2<T>, m: &ArrayRef2<T>, y_true: &ArrayRef2<T>) -> Array2<T> {
    try_mse_grad(x, m, y_true).unwrap_or_else(|e| panic!("mse_grad: {e}"))
}

/// [`mse_grad`], with a typed error for shapes that do not fit.
///
/// # Errors
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) unless X is (a, k), M is (k, b)
/// and Y is (a, b); [`GdlabError::Empty`](crate::GdlabError::Empty) for empty matrices.
pub fn try_mse_grad<T: Real>(x: &ArrayRef2<T>, m: &ArrayRef2<T>, y_true: &ArrayRef2<T>) -> Result<Array2<T>> {
    check_product(x, m, y_true)?;
    let y_hat = x.dot(m);
    Ok(grad_from_y_hat(&y_hat, m, y_true))
}

/// Checks that `Y = X·M` is well formed and non-empty.
pub(crate) fn check_product<T: Real>(x: &ArrayRef2<T>, m: &ArrayRef2<T>, y: &ArrayRef2<T>) -> Result<()> {
    ensure_nonempty("M", m.shape())?;
    ensure_nonempty("X", x.shape())?;
    ensure_shape("X (its columns must equal M's rows)", (x.nrows(), m.nrows()), x.shape())?;
    ensure_shape("the target Y (it must have the shape of X·M)", (x.nrows(), m.ncols()), y.shape())
}

/// `d mse / dY_hat` in torch's order: `1/N` rounded first, then `2·(Y_hat − Y)` times it.
pub(crate) fn loss_grad_y<T: Real>(y_hat: &ArrayRef2<T>, y_true: &ArrayRef2<T>) -> Array2<T> {
    let scale = T::one() / T::from_f64_lossy(y_hat.len() as f64);
    let two = T::from_f64_lossy(2.0);
    ndarray::Zip::from(y_hat).and(y_true).map_collect(|&h, &y| (two * (h - y)) * scale)
}

/// `d mse / dX` for `Y_hat = X·M`, from `Y_hat`: MmBackward's `grad·Mᵀ`.
pub(crate) fn grad_from_y_hat<T: Real>(y_hat: &ArrayRef2<T>, m: &ArrayRef2<T>, y_true: &ArrayRef2<T>) -> Array2<T> {
    loss_grad_y(y_hat, y_true).dot(&m.t())
}

/// `d mse / dX` for `Y_hat = A·X`, from `Y_hat`: MmBackward's `Aᵀ·grad`.
pub(crate) fn grad_right_from_y_hat<T: Real>(
    a: &ArrayRef2<T>,
    y_hat: &ArrayRef2<T>,
    y_true: &ArrayRef2<T>,
) -> Array2<T> {
    a.t().dot(&loss_grad_y(y_hat, y_true))
}

/// `d mse(Y, A·X) / dX`, for the right inverse: `(2/N)·Aᵀ·(A·X − Y)`, in torch's order.
///
/// # Errors
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) unless A is (a, k), X is (k, b)
/// and Y is (a, b); [`GdlabError::Empty`](crate::GdlabError::Empty) for empty matrices.
pub fn mse_grad_right<T: Real>(a: &ArrayRef2<T>, x: &ArrayRef2<T>, y_true: &ArrayRef2<T>) -> Result<Array2<T>> {
    ensure_nonempty("A", a.shape())?;
    ensure_nonempty("X", x.shape())?;
    ensure_shape("X (its rows must equal A's columns)", (a.ncols(), x.ncols()), x.shape())?;
    ensure_shape("the target Y (it must have the shape of A·X)", (a.nrows(), x.ncols()), y_true.shape())?;
    Ok(grad_right_from_y_hat(a, &a.dot(x), y_true))
}
