//! Random 0/1 indicator matrices (which words occur in which documents) and their statistics.

use ndarray::{Array1, Array2, ArrayRef2};

use crate::error::{Result, ensure_nonempty, ensure_probability};
use crate::rng::TorchRng;

/// `(torch.rand(docs, words) < p).int()`: 1 where a word occurs in a document.
///
/// `p` is compared in `f32`, as torch compares a float32 tensor with a Python float.
///
/// # Errors
/// [`GdlabError::InvalidProbability`](crate::GdlabError::InvalidProbability) unless `0 <= p <= 1`; [`GdlabError::Empty`](crate::GdlabError::Empty) if
/// `docs` or `words` is 0.
///
/// ```
/// use gdlab::prelude::*;
/// let ind = indicator_matrix(&mut TorchRng::manual_seed(123), 17, 3, 0.2)?;
/// assert_eq!(ind.row(2).to_vec(), vec![1, 1, 1]); // as the original notebook prints
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn indicator_matrix(rng: &mut TorchRng, docs: usize, words: usize, p: f64) -> Result<Array2<i32>> {
    ensure_probability(p)?;
    ensure_nonempty("the indicator matrix", &[docs, words])?;
    let p = p as f32;
    let u: Array2<f32> = rng.rand((docs, words));
    Ok(u.mapv(|v| i32::from(v < p)))
}

/// How many documents contain each word: the column sums.
pub fn document_frequency(ind: &ArrayRef2<i32>) -> Array1<i32> {
    ind.sum_axis(ndarray::Axis(0))
}

/// Co-occurrence `Aᵀ·A`: entry (i, j) counts the documents holding both word i and word j;
/// the diagonal is the document frequency.
pub fn cooccurrence(ind: &ArrayRef2<i32>) -> Array2<i32> {
    ind.t().dot(ind)
}

/// The fraction of ones, which approaches p as the matrix grows.
///
/// # Errors
/// [`GdlabError::Empty`](crate::GdlabError::Empty) for an empty matrix, whose density is undefined.
pub fn density(ind: &ArrayRef2<i32>) -> Result<f64> {
    ensure_nonempty("the indicator matrix", ind.shape())?;
    Ok(f64::from(ind.sum()) / ind.len() as f64)
}
