//! When A has no inverse: which side X multiplies on, and what descent can and cannot reach.
//!
//! For an m×n matrix A, X is n×m. On the **left**, descent minimises `mean((X·A − Iₙ)²)`; on
//! the **right**, `mean((A·X − Iₘ)²)`. Each update adds something of the form `G·Aᵀ` (left) or
//! `Aᵀ·G` (right) to X, so one part of the start can never change: that part, and the floor
//! the loss cannot go below, follow from A's singular values.

use ndarray::{Array2, ArrayRef2};

use crate::dense;
use crate::error::{Result, ensure_nonempty, ensure_shape};
use crate::linalg::{gram_lambda_max, matrix_rank, pinv, to_f64};
use crate::real::Real;

/// Which side of A the unknown X multiplies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `X·A ≈ Iₙ`: a left inverse, which exists when A's n columns are independent.
    Left,
    /// `A·X ≈ Iₘ`: a right inverse, which exists when A's m rows are independent.
    Right,
}

impl Side {
    /// The side that can have a solution for A's shape: left when A has at least as many rows
    /// as columns (m ≥ n), right otherwise. A square A is the lesson's left case.
    pub fn of<T>(a: &ArrayRef2<T>) -> Side {
        if a.nrows() >= a.ncols() { Side::Left } else { Side::Right }
    }

    /// k, the size of the identity that the product should become: n on the left, m on the right.
    pub fn k<T>(self, a: &ArrayRef2<T>) -> usize {
        match self {
            Side::Left => a.ncols(),
            Side::Right => a.nrows(),
        }
    }

    /// The product whose distance from the identity is the loss: `X·A` or `A·X`.
    pub fn product<T: Real>(self, a: &ArrayRef2<T>, x: &ArrayRef2<T>) -> Array2<T> {
        match self {
            Side::Left => x.dot(a),
            Side::Right => a.dot(x),
        }
    }

    /// `"left"` or `"right"`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

impl std::str::FromStr for Side {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "left" => Ok(Side::Left),
            "right" => Ok(Side::Right),
            other => Err(format!("unknown side {other:?}: expected left or right")),
        }
    }
}

/// The largest learning rate for which descent on `side` converges: `k² / λ_max(AᵀA)`.
/// AᵀA and AAᵀ have the same non-zero eigenvalues, so only k differs between the sides; for a
/// square A this is [`stability_bound`](crate::stability_bound).
///
/// # Errors
/// [`GdlabError::Empty`](crate::GdlabError::Empty) for an empty A.
pub fn side_bound<T: Real>(a: &ArrayRef2<T>, side: Side) -> Result<f64> {
    ensure_nonempty("A", a.shape())?;
    let k = side.k(a) as f64;
    Ok(k * k / gram_lambda_max(a))
}

/// The lowest loss descent on `side` can reach, `(k − rank)/k²`: the product `X·A` has rank at
/// most rank(A), so at least k − rank of the identity's unit directions stay out of reach.
///
/// ```
/// use gdlab::prelude::*;
/// let a = array![[1.0f32, 0.0], [0.0, 1.0], [1.0, 1.0]]; // 3×2, rank 2
/// assert_eq!(loss_floor(&a, Side::Left)?, 0.0); // a left inverse exists
/// assert_eq!(loss_floor(&a, Side::Right)?, 1.0 / 9.0); // A·X is 3×3 of rank 2
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
///
/// # Errors
/// [`GdlabError::Empty`](crate::GdlabError::Empty) for an empty A.
pub fn loss_floor<T: Real>(a: &ArrayRef2<T>, side: Side) -> Result<f64> {
    let k = side.k(a);
    Ok((k - matrix_rank(a)?) as f64 / (k * k) as f64)
}

/// The part of the start `x0` that descent never changes: `X₀·(I − A·A⁺)` on the left,
/// `(I − A⁺·A)·X₀` on the right. It is zero from a zero start.
///
/// # Errors
/// [`GdlabError::Empty`](crate::GdlabError::Empty) for an empty A,
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) unless `x0` is n×m.
pub fn fixed_part<T: Real>(a: &ArrayRef2<T>, x0: &ArrayRef2<T>, side: Side) -> Result<Array2<T>> {
    let (_, fixed) = pinv_and_fixed_part(a, x0, side)?;
    Ok(fixed.mapv(T::from_f64_lossy))
}

/// A⁺ and [`fixed_part`], in f64: the one SVD that both need.
fn pinv_and_fixed_part<T: Real>(a: &ArrayRef2<T>, x0: &ArrayRef2<T>, side: Side) -> Result<(Array2<f64>, Array2<f64>)> {
    ensure_nonempty("A", a.shape())?;
    ensure_shape("the start X (it must be n×m for an m×n A)", (a.ncols(), a.nrows()), x0.shape())?;
    let (a64, x64) = (to_f64(a), to_f64(x0));
    let p = pinv(&a64)?;
    let fixed = match side {
        Side::Left => &x64 - &x64.dot(&a64).dot(&p),
        Side::Right => &x64 - &p.dot(&a64).dot(&x64),
    };
    Ok((p, fixed))
}

/// Where descent on `side` from `x0` ends: `A⁺ + ` [`fixed_part`]. From zeros it is A⁺ itself,
/// the minimum-norm answer.
///
/// # Errors
/// As [`fixed_part`].
pub fn predicted_limit<T: Real>(a: &ArrayRef2<T>, x0: &ArrayRef2<T>, side: Side) -> Result<Array2<T>> {
    let (p, fixed) = pinv_and_fixed_part(a, x0, side)?;
    Ok((p + fixed).mapv(T::from_f64_lossy))
}

/// The Frobenius distance `‖X − Y‖_F`, in f64.
///
/// # Errors
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) if the shapes differ.
pub fn distance<T: Real>(x: &ArrayRef2<T>, y: &ArrayRef2<T>) -> Result<f64> {
    ensure_shape("the second matrix (it must match the first)", x.dim(), y.shape())?;
    Ok(x.iter().zip(y.iter()).map(|(&a, &b)| (a.as_f64() - b.as_f64()).powi(2)).sum::<f64>().sqrt())
}

/// The eigenvalues of AᵀA, smallest first. Each sets how fast one direction of the error moves:
/// on the left it shrinks by `1 − 2·lr·λ/n²` per step, so the smallest non-zero λ sets the pace
/// and the largest the [`side_bound`].
///
/// # Errors
/// [`GdlabError::Empty`](crate::GdlabError::Empty) for an empty A.
pub fn gram_eigenvalues<T: Real>(a: &ArrayRef2<T>) -> Result<Vec<f64>> {
    ensure_nonempty("A", a.shape())?;
    let a = to_f64(a);
    let mut ev = dense::symmetric_eigen(&a.t().dot(&a)).0;
    ev.sort_by(f64::total_cmp);
    Ok(ev)
}
