//! Exact answers to compare against: the inverse, the stability bound, the condition number.
//!
//! Computed in `f64` by the small decompositions of `dense` (pure Rust, no system LAPACK), then
//! rounded to `T`.

use ndarray::{Array1, Array2, ArrayRef2};

use crate::dense;
use crate::error::{GdlabError, Result, ensure_nonempty};
use crate::real::Real;

/// The matrix in `f64`, where every decomposition here works.
pub(crate) fn to_f64<T: Real>(m: &ArrayRef2<T>) -> Array2<f64> {
    m.mapv(|v| v.as_f64())
}

/// Fails unless the matrix is non-empty and square: `what` names it by what it is for, `why`
/// says why it must be square.
pub(crate) fn ensure_square<T: Real>(m: &ArrayRef2<T>, what: &'static str, why: &'static str) -> Result<()> {
    ensure_nonempty(what, m.shape())?;
    if m.nrows() != m.ncols() {
        return Err(GdlabError::NotSquare { what, shape: m.dim(), why });
    }
    Ok(())
}

/// Why the lesson's formulas want a square M.
const LESSON_IS_SQUARE: &str = "the lesson's formulas are for a square M (side_bound covers a rectangular A)";

/// `λ_max(M·Mᵀ)`, which is also `λ_max(MᵀM)`: it sets how fast the stiffest direction moves.
pub(crate) fn gram_lambda_max<T: Real>(m: &ArrayRef2<T>) -> f64 {
    let a = to_f64(m);
    dense::symmetric_eigen(&a.dot(&a.t())).0.into_iter().fold(f64::NEG_INFINITY, f64::max)
}

/// The inverse of a square matrix, like `torch.inverse`.
///
/// # Errors
/// [`GdlabError::NotSquare`] for a non-square matrix, [`GdlabError::Empty`] for an empty one,
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
    ensure_square(m, "the matrix to invert", "only a square matrix has an inverse (pinv gives a pseudo-inverse)")?;
    let singular = || GdlabError::Singular { shape: m.dim() };
    let out = dense::inverse(&to_f64(m)).ok_or_else(singular)?.mapv(T::from_f64_lossy);
    if out.iter().all(|v| v.is_finite()) { Ok(out) } else { Err(singular()) }
}

/// The largest learning rate for which gradient descent on `mean((X·M − I)²)` converges:
/// `N / λ_max(MᵀM)`, N = n² the number of elements of X·M.
///
/// Each step multiplies the error `E = X·M − I` on the right by `I − (2·lr/N)·MᵀM`; it shrinks
/// in every direction exactly when `|1 − 2·lr·λ/N| < 1` for every eigenvalue λ. (The loss's
/// curvature in X is `(2/N)·M·Mᵀ`, which has the same eigenvalues.)
///
/// # Errors
/// [`GdlabError::NotSquare`] for a non-square M, [`GdlabError::Empty`] for an empty one.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// assert_eq!(stability_bound(&m)?, 1.0); // 16 / 4²
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn stability_bound<T: Real>(m: &ArrayRef2<T>) -> Result<f64> {
    ensure_square(m, "M", LESSON_IS_SQUARE)?;
    Ok(m.len() as f64 / gram_lambda_max(m))
}

/// The 2-norm condition number `σ_max / σ_min` (infinite for a singular matrix).
///
/// # Errors
/// [`GdlabError::NotSquare`] for a non-square M, [`GdlabError::Empty`] for an empty one.
pub fn condition_number<T: Real>(m: &ArrayRef2<T>) -> Result<f64> {
    ensure_square(m, "M", LESSON_IS_SQUARE)?;
    let sv = dense::singular_values(&to_f64(m));
    Ok(max(&sv) / sv.iter().copied().fold(f64::INFINITY, f64::min))
}

/// The largest of some singular values.
fn max(values: &Array1<f64>) -> f64 {
    values.iter().copied().fold(0.0, f64::max)
}

/// torch.linalg's default cut for small singular values: `max(m, n)·ε·σ_max`, ε of `T`.
fn rank_cut<T: Real>(shape: (usize, usize), sigma_max: f64) -> f64 {
    shape.0.max(shape.1) as f64 * T::epsilon().as_f64() * sigma_max
}

/// The Moore–Penrose pseudo-inverse A⁺ of any m×n matrix, like `torch.linalg.pinv(A)`: singular
/// values at most `max(m, n)·ε·σ_max` (torch's default `rtol`, ε of `T`) count as zero.
///
/// A⁺ is n×m. When A has full column rank it is a left inverse (A⁺·A = I); in general A⁺·b is
/// the least-squares solution of A·x = b with the smallest norm.
///
/// # Errors
/// [`GdlabError::Empty`] for an empty matrix.
///
/// ```
/// use gdlab::prelude::*;
/// let a = array![[1.0f64, 0.0], [0.0, 1.0], [0.0, 0.0]]; // 3×2, rank 2
/// let p = pinv(&a)?;
/// assert_eq!(p.dim(), (2, 3));
/// assert!((p.dot(&a) - Array2::<f64>::eye(2)).iter().all(|d| d.abs() < 1e-15));
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn pinv<T: Real>(a: &ArrayRef2<T>) -> Result<Array2<T>> {
    ensure_nonempty("A", a.shape())?;
    let (u, sigma, v) = dense::svd(&to_f64(a));
    let cut = rank_cut::<T>(a.dim(), max(&sigma));
    // A⁺ = V·Σ⁺·Uᵀ, over the singular values above the cut.
    let kept: Vec<usize> = (0..sigma.len()).filter(|&k| sigma[k] > cut).collect();
    Ok(Array2::from_shape_fn((a.ncols(), a.nrows()), |(i, j)| {
        let sum: f64 = kept.iter().map(|&k| v[[i, k]] * u[[j, k]] / sigma[k]).sum();
        T::from_f64_lossy(sum)
    }))
}

/// The number of singular values above `max(m, n)·ε·σ_max`, like `torch.linalg.matrix_rank(A)`.
///
/// # Errors
/// [`GdlabError::Empty`] for an empty matrix.
///
/// ```
/// use gdlab::prelude::*;
/// let a = array![[1.0f32, 1.0], [1.0, 1.0], [0.0, 0.0]]; // two equal columns
/// assert_eq!(matrix_rank(&a)?, 1);
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn matrix_rank<T: Real>(a: &ArrayRef2<T>) -> Result<usize> {
    ensure_nonempty("A", a.shape())?;
    let sv = dense::singular_values(&to_f64(a));
    let cut = rank_cut::<T>(a.dim(), max(&sv));
    Ok(sv.iter().filter(|&&s| s > cut).count())
}
