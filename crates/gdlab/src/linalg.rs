//! Exact answers to compare against: the inverse, the stability bound, the condition number.
//!
//! Computed in `f64` with nalgebra (pure Rust, no system LAPACK), then rounded to `T`.

use nalgebra::DMatrix;
use ndarray::{Array2, ArrayRef2};

use crate::error::{GdlabError, Result, ensure_nonempty, ensure_shape};
use crate::real::Real;

pub(crate) fn to_nalgebra<T: Real>(m: &ArrayRef2<T>) -> DMatrix<f64> {
    DMatrix::from_fn(m.nrows(), m.ncols(), |i, j| m[[i, j]].as_f64())
}

/// Fails unless M is a non-empty square matrix.
pub(crate) fn ensure_square<T: Real>(m: &ArrayRef2<T>) -> Result<()> {
    ensure_nonempty("M", m.shape())?;
    ensure_shape("M (it must be square)", (m.nrows(), m.nrows()), m.shape())
}

/// `λ_max(M·Mᵀ)`, which sets how fast the stiffest direction moves.
pub(crate) fn gram_lambda_max<T: Real>(m: &ArrayRef2<T>) -> f64 {
    let a = to_nalgebra(m);
    (&a * a.transpose()).symmetric_eigenvalues().max()
}

/// The inverse of a square matrix, like `torch.inverse`.
///
/// # Errors
/// [`GdlabError::ShapeMismatch`] for a non-square matrix, [`GdlabError::Empty`] for an empty one,
/// [`GdlabError::Singular`] when LU factorisation meets a zero pivot or the inverse overflows `T`.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// let inv = inverse(&m)?;
/// assert_eq!(inv[[1, 1]], 0.5);
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn inverse<T: Real>(m: &ArrayRef2<T>) -> Result<Array2<T>> {
    ensure_square(m)?;
    let singular = || GdlabError::Singular { shape: m.dim() };
    let inv = to_nalgebra(m).lu().try_inverse().ok_or_else(singular)?;
    let out = Array2::from_shape_fn(m.dim(), |(i, j)| T::from_f64_lossy(inv[(i, j)]));
    if out.iter().all(|v| v.is_finite()) { Ok(out) } else { Err(singular()) }
}

/// The largest learning rate for which gradient descent on `mean((X·M − I)²)` converges:
/// `N / λ_max(M·Mᵀ)`, N = n² the number of elements of X·M.
///
/// Each step multiplies the error by `I − (2·lr/N)·M·Mᵀ`; it shrinks in every direction
/// exactly when `|1 − 2·lr·λ/N| < 1` for every eigenvalue λ.
///
/// # Errors
/// [`GdlabError::ShapeMismatch`] for a non-square M, [`GdlabError::Empty`] for an empty one.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// assert_eq!(stability_bound(&m)?, 1.0); // 16 / 4²
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn stability_bound<T: Real>(m: &ArrayRef2<T>) -> Result<f64> {
    ensure_square(m)?;
    Ok(m.len() as f64 / gram_lambda_max(m))
}

/// The 2-norm condition number `σ_max / σ_min` (infinite for a singular matrix).
///
/// # Errors
/// [`GdlabError::ShapeMismatch`] for a non-square M, [`GdlabError::Empty`] for an empty one.
pub fn condition_number<T: Real>(m: &ArrayRef2<T>) -> Result<f64> {
    ensure_square(m)?;
    let sv = to_nalgebra(m).singular_values();
    Ok(sv.max() / sv.min())
}
