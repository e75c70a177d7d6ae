//! What a cleared solution holds until the student writes theirs: the code stub of the student
//! edition and of nbgrader's `ClearSolutions`, `check::unanswered()`, one expression that
//! compiles in every solution cell and that every check says "not yet" to.

use ndarray::{Array1, Array2};

/// A value that stands for "no answer yet" and that no check takes as right.
pub trait Unanswered {
    /// The stand-in.
    fn unanswered() -> Self;
}

/// The stand-in for an answer of any exercise's type: NaN for a number, 0 for a count, an empty
/// array for a matrix or a vector, and so on for a pair.
///
/// ```
/// use gdlab::prelude::*;
/// let answer: f64 = check::unanswered();
/// assert!(answer.is_nan());
/// assert!(!check::ex_04_1(&answer).is_right());
/// let step: Array2<f32> = check::unanswered();
/// assert_eq!(step.dim(), (0, 0));
/// ```
pub fn unanswered<T: Unanswered>() -> T {
    T::unanswered()
}

impl Unanswered for f32 {
    fn unanswered() -> Self {
        f32::NAN
    }
}

impl Unanswered for f64 {
    fn unanswered() -> Self {
        f64::NAN
    }
}

/// No exercise's count is 0 (a count of steps, of words…).
impl Unanswered for usize {
    fn unanswered() -> Self {
        0
    }
}

impl<A> Unanswered for Array1<A> {
    fn unanswered() -> Self {
        Array1::from_vec(Vec::new())
    }
}

impl<A> Unanswered for Array2<A> {
    fn unanswered() -> Self {
        Array2::from_shape_vec((0, 0), Vec::new()).unwrap_or_else(|_| unreachable!("0×0 holds no elements"))
    }
}

impl<A: Unanswered, B: Unanswered> Unanswered for (A, B) {
    fn unanswered() -> Self {
        (A::unanswered(), B::unanswered())
    }
}
