//! The checks behind the notebooks' exercises: `check::ex_04_2(&answer, …)`.
//!
//! Each check computes the right answer itself, from the notebook's parameters that it is
//! given, compares the student's answer within a tolerance, and returns a [`Verdict`]: one line,
//! `✓ Exercise 4.2`, or `✗ Exercise 4.2: not yet` with a hint naming what to look at. It never
//! shows the answer and never panics: a NaN, a wrong shape or a function answer that panics is
//! "not yet". Function answers are run on a few cases against gdlab's own step.
//!
//! While [`grading`] is on, a verdict that is not right shows as the cell's result `0` in
//! `text/plain`, which nbgrader (0.9) reads as the cell's partial credit, 0 points, and as the
//! one-line hint in `text/html`, which is what JupyterLab shows the student. It is not an error
//! for a `?` in the cell: evcxr 0.22 prints such an error on stderr from another thread than the
//! cell's reply, so the line can come after the cell has finished, and then nbgrader misses it
//! (a fresh-clone run gave an unanswered exercise its point) or finds it in the next cell.
//!
//! ```
//! use gdlab::prelude::*;
//! let least_beta = 1.75 * 16.0 / 16.0 - 1.0; // lr·λ_max/N − 1 at lr = 1.75 on diag(1, 2, 3, 4)
//! assert!(check::ex_06_1(&least_beta).is_right());
//! assert!(check::ex_06_1(&f64::NAN).to_string().starts_with("✗ Exercise 6.1: not yet. Hint: "));
//! ```
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use ndarray::{Array2, array};

use crate::descent::InverseDescent;
use crate::display::{EvcxrShow, send};
use crate::error::Result;
use crate::rng::TorchRng;

mod convergence;
mod digits;
mod gradients;
mod inverse;
mod landscape;
mod no_inverse;
mod optimizers;
mod stochastic;
mod unanswered;
pub use convergence::{ex_04_1, ex_04_2, ex_04_3, ex_04_4, ex_04_5};
pub use digits::{BceFn, ex_08_1, ex_08_2, ex_08_3, ex_08_4};
pub use gradients::{RidgeGradFn, ex_02_1, ex_02_2, ex_02_3, ex_02_4, ex_02_5};
pub use inverse::{StepFn, ex_01_1, ex_01_2, ex_01_3, ex_01_4};
pub use landscape::{NewtonStepFn, ex_05_1, ex_05_2, ex_05_3, ex_05_4};
pub use no_inverse::{LimitFn, ex_03_1, ex_03_2, ex_03_3, ex_03_4};
pub use optimizers::{DampedMomentumFn, ex_06_1, ex_06_2, ex_06_3, ex_06_4};
pub use stochastic::{FreshSgdFn, ex_07_1, ex_07_2, ex_07_3, ex_07_4};
pub use unanswered::{Unanswered, unanswered};

/// The outcome of one check: right, or not yet with a hint. Displays as one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    exercise: &'static str,
    hint: Option<String>,
    /// Whether [`grading`] was on when the check ran.
    graded: bool,
}

/// The environment variable that holds the grading switch. A variable, not a static: each
/// evcxr cell is a library of its own, with its own copy of gdlab's statics, but one process.
pub const GRADING: &str = "GDLAB_GRADING";

/// Turns grading on or off for the rest of the kernel's life (it is off until then). The
/// assignments that `cargo xtask assignment` writes turn it on above their exercises.
pub fn grading(on: bool) {
    // SAFETY: a kernel runs its cells one at a time on one thread, and nothing else in gdlab
    // reads or writes the environment from another thread.
    unsafe {
        if on {
            std::env::set_var(GRADING, "1");
        } else {
            std::env::remove_var(GRADING);
        }
    }
}

/// Whether [`grading`] is on.
pub fn is_grading() -> bool {
    std::env::var_os(GRADING).is_some_and(|v| v == "1")
}

impl Verdict {
    fn new(exercise: &'static str, right: bool, hint: &str) -> Verdict {
        Verdict { exercise, hint: (!right).then(|| hint.to_string()), graded: is_grading() }
    }

    /// Judges with a computation that could fail; a failure is reported, never panicked.
    fn judge(exercise: &'static str, hint: &str, right: impl FnOnce() -> Result<bool>) -> Verdict {
        match right() {
            Ok(right) => Verdict::new(exercise, right, hint),
            Err(e) => Verdict::new(exercise, false, &format!("the check could not run ({e})")),
        }
    }

    /// Whether the answer was right.
    pub fn is_right(&self) -> bool {
        self.hint.is_none()
    }

    /// The exercise's number, e.g. `"4.2"`.
    pub fn exercise(&self) -> &str {
        self.exercise
    }

    /// What the cell shows, as (MIME type, content): the line in `text/plain`; for a graded
    /// verdict that is not right, `0` there (nbgrader's partial credit) and the line in `text/html`.
    pub fn shown(&self) -> Vec<(&'static str, String)> {
        if self.graded && !self.is_right() {
            let line = self.to_string().replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            vec![("text/plain", "0".to_string()), ("text/html", format!("<pre>{line}</pre>"))]
        } else {
            vec![("text/plain", self.to_string())]
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.hint {
            None => write!(f, "✓ Exercise {}", self.exercise),
            Some(hint) => write!(f, "✗ Exercise {}: not yet. Hint: {hint}", self.exercise),
        }
    }
}

impl EvcxrShow for Verdict {
    fn evcxr_display(&self) {
        for (mime, content) in self.shown() {
            send(mime, &content);
        }
    }
}

/// Within `rel` of `want` (relative), and finite.
fn close(answer: f64, want: f64, rel: f64) -> bool {
    answer.is_finite() && want.is_finite() && (answer - want).abs() <= rel * want.abs().max(1e-300)
}

thread_local! {
    /// Set while this thread runs a student's function, whose panic message is not printed.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a student's function; `None` if it panicked (its message is not printed).
///
/// One hook, installed once, stays silent only on the thread that is running a student's
/// function: swapping the process-wide hook per call would also hide other threads' panics.
/// While it is installed, for an instant, std's default hook stands in (stable Rust has no
/// atomic swap of hooks): a panic elsewhere then is printed by it, not lost.
fn quietly<R>(f: impl FnOnce() -> R) -> Option<R> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let out = panic::catch_unwind(AssertUnwindSafe(f)).ok();
    QUIET.with(|q| q.set(was));
    out
}

/// Two matrices of one shape, equal within `rel` of the larger entry.
fn same_matrix(got: &Array2<f64>, want: &Array2<f64>, rel: f64) -> bool {
    let scale = want.iter().fold(1.0f64, |a, &b| a.max(b.abs()));
    got.shape() == want.shape() && got.iter().zip(want).all(|(g, w)| g.is_finite() && (g - w).abs() <= rel * scale)
}

fn lesson_m() -> Array2<f32> {
    Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0])
}

fn lesson_m64() -> Array2<f64> {
    Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0])
}

/// A `torch.rand` matrix of `shape` from `seed`.
fn start<T: crate::real::Real>(seed: u64, shape: (usize, usize)) -> Array2<T> {
    TorchRng::manual_seed(seed).rand(shape)
}

/// A dense 5×3 matrix of full column rank: the rectangular case that the function exercises try.
fn rectangular() -> Array2<f64> {
    array![[1.0, 0.5, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 1.5], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]]
}

/// Runs a lesson descent to `tolerance`; the step it got there, or `None`.
fn converged_at<T: crate::real::Real>(run: InverseDescent<T>, tolerance: f64) -> Result<Option<usize>> {
    Ok(run.tolerance(tolerance).no_snapshots().trace()?.converged_at())
}
