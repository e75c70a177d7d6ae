//! The checks of notebook 03, when there is no inverse.

use ndarray::{Array2, Axis, array, concatenate, s};

use super::{Verdict, close, quietly, rectangular, same_matrix, start};
use crate::descent::InverseDescent;
use crate::error::Result;
use crate::indicator::indicator_matrix;
use crate::least_squares::{Side, loss_floor, predicted_limit};
use crate::rng::TorchRng;

/// A student's function for exercise 3.4: where left-side descent from `x0` ends,
/// `limit(a, x0)` → X.
pub type LimitFn = fn(&Array2<f64>, &Array2<f64>) -> Array2<f64>;

/// The notebook's indicator with its words 1 and 2 repeated: columns 0, 1, 2, 1, 2 (float32).
fn repeated_words(seed: u64, documents: usize, words: usize, p: f64) -> Result<Array2<f32>> {
    let a = indicator_matrix(&mut TorchRng::manual_seed(seed), documents, words, p)?.mapv(|v| v as f32);
    crate::error::ensure_param(words >= 3, "words", words as f64, "at least 3, to repeat words 1 and 2")?;
    Ok(concatenate![Axis(1), a, a.slice(s![.., 1..3])])
}

/// Exercise 3.1: the floor of the right-side loss `mean((A·X − I)²)` for a new indicator of 12
/// documents and 4 words, drawn from seed `seed + 1` with the notebook's `p` (within 1e-9).
pub fn ex_03_1(answer: &f64, seed: u64, p: f64) -> Verdict {
    let hint = "A·X is 12×12 but its rank is at most A's: count the identity's directions it cannot reach, \
                and spread their error over all the entries";
    Verdict::judge("3.1", hint, || {
        let a = indicator_matrix(&mut TorchRng::manual_seed(seed.wrapping_add(1)), 12, 4, p)?.mapv(|v| v as f32);
        Ok(close(*answer, loss_floor(&a, Side::Right)?, 1e-9))
    })
}

/// Exercise 3.2 (predict): the floor of the left-side loss `mean((X·A − I)²)` for the
/// notebook's indicator with its words 1 and 2 repeated (17×5 by default), within 1e-9.
pub fn ex_03_2(answer: &f64, seed: u64, documents: usize, words: usize, p: f64) -> Verdict {
    let hint = "repeating a word adds a column but not a direction: X·A is 5×5, and its rank is still A's";
    Verdict::judge("3.2", hint, || {
        Ok(close(*answer, loss_floor(&repeated_words(seed, documents, words, p)?, Side::Left)?, 1e-9))
    })
}

/// The learning rate and the number of updates of exercise 3.3's short run: lr = 1 is below
/// the bound of the matrix with repeated words (25/λ_max ≈ 2.25 for the notebook's A).
const SHORT_RUN: (f64, usize) = (1.0, 20);

/// Exercise 3.3 (measure): the loss after 20 updates of left-side descent on the matrix of 3.2
/// from X = 0 at lr = 1, in float32, within 1e-4 (relative) of the check's own run. It is still
/// above 3.2's floor: the smallest non-zero eigenvalue of the Gram matrix sets the pace.
pub fn ex_03_3(answer: &f64, seed: u64, documents: usize, words: usize, p: f64) -> Verdict {
    let hint = "descend on the matrix with the repeated words from X = 0 at lr = 1, and read the loss of X \
                after 20 updates (a loop that records the loss before each update holds it at index 20)";
    Verdict::judge("3.3", hint, || {
        let a = repeated_words(seed, documents, words, p)?;
        let (lr, updates) = SHORT_RUN;
        let run = InverseDescent::new(&a).zeros().lr(lr).steps(updates + 1).no_snapshots().trace()?;
        Ok(close(*answer, f64::from(run.losses[updates]), 1e-4))
    })
}

/// Exercise 3.4: `limit(a, x0)`, where left-side descent from `x0` ends, tried on a 20×4
/// indicator, a dense 5×3 matrix and an invertible 3×3 one, from `torch.rand` starts, against
/// [`predicted_limit`] (within 1e-6 of the largest entry).
pub fn ex_03_4(limit: LimitFn, seed: u64) -> Verdict {
    let hint = "descent only ever moves X along the columns of A: it drives that part to A⁺ and leaves the rest \
                of X₀ where it was";
    Verdict::judge("3.4", hint, || {
        let indicator = indicator_matrix(&mut TorchRng::manual_seed(seed.wrapping_add(2)), 20, 4, 0.4)?;
        let square = array![[2.0f64, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 3.0]];
        for (k, a) in [indicator.mapv(f64::from), rectangular(), square].into_iter().enumerate() {
            let x0 = start::<f64>(seed.wrapping_add(k as u64), (a.ncols(), a.nrows()));
            let want = predicted_limit(&a, &x0, Side::Left)?;
            let Some(got) = quietly(|| limit(&a, &x0)) else { return Ok(false) };
            if !same_matrix(&got, &want, 1e-6) {
                return Ok(false);
            }
        }
        Ok(true)
    })
}
