//! The crate's one error type, and one constructor for each kind of check.

use std::path::PathBuf;

use thiserror::Error;

/// A matrix shape, `(rows, columns)`.
pub type Shape = (usize, usize);

/// What can go wrong in `gdlab`. Every case names the problem and the value that was expected.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GdlabError {
    /// Two shapes that must agree do not.
    #[error("shape mismatch for {what}: expected {expected:?}, got {actual:?}")]
    ShapeMismatch {
        /// Which argument or relation is wrong, e.g. "M (it must be square)".
        what: &'static str,
        /// The shape that was expected.
        expected: Shape,
        /// The shape that was given.
        actual: Shape,
    },

    /// A matrix that must be square and is not, e.g. one to invert.
    #[error("{what} must be square, got shape {shape:?}: {why}")]
    NotSquare {
        /// Which matrix, named by what it is for, e.g. "the matrix to invert".
        what: &'static str,
        /// Its shape.
        shape: Shape,
        /// Why it must be square, and what to use instead.
        why: &'static str,
    },

    /// A matrix with no elements where at least one is needed.
    #[error("{what} is empty (shape {shape:?}): expected at least one row and one column")]
    Empty {
        /// Which argument is empty.
        what: &'static str,
        /// Its shape.
        shape: Shape,
    },

    /// Two entries of X that cannot make a plane: one outside X, or the same one twice.
    #[error(
        "invalid entries: {problem}: expected two different entries (row, column) of X, row < {rows} and column < {cols}"
    )]
    InvalidEntries {
        /// What is wrong, e.g. "(0, 9) is outside X".
        problem: String,
        /// X's rows.
        rows: usize,
        /// X's columns.
        cols: usize,
    },

    /// A learning rate that is NaN, infinite, zero or negative.
    #[error("invalid learning rate {lr}{at}: expected a finite number > 0", at = step_suffix(*step))]
    InvalidLearningRate {
        /// The rejected value.
        lr: f64,
        /// Its index in a schedule, if it came from one.
        step: Option<usize>,
    },

    /// A probability outside [0, 1] (or NaN).
    #[error("invalid probability p = {p}: expected 0 <= p <= 1")]
    InvalidProbability {
        /// The rejected value.
        p: f64,
    },

    /// Any other numeric parameter outside its range.
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },

    /// A run that cannot answer the question asked of it, e.g. a rate measured from a run
    /// without a snapshot at every step.
    #[error("{problem}: expected {expected}")]
    UnsuitableRun {
        /// What is wrong with the run.
        problem: &'static str,
        /// What kind of run was expected.
        expected: &'static str,
    },

    /// A learning-rate schedule written in a form that does not parse.
    #[error("malformed schedule {text:?}: expected constant, step:SIZE:GAMMA, exp:GAMMA or cosine:T_MAX:ETA_MIN")]
    InvalidSchedule {
        /// The text as given.
        text: String,
    },

    /// A tensor that should be 1×1 (a loss) is not, e.g. for `backward()`.
    #[error("{what} needs a scalar (a 1×1 tensor), got shape {shape:?}: reduce it first, e.g. with mean()")]
    NotScalar {
        /// What needed the scalar.
        what: &'static str,
        /// The shape it got.
        shape: Shape,
    },

    /// The matrix has no inverse.
    #[error("matrix {shape:?} is singular (a zero pivot in its LU factorisation): it has no inverse")]
    Singular {
        /// Its shape.
        shape: Shape,
    },

    /// The loss became non-finite or kept growing.
    #[error("{}", diverged_message(*step, *loss, *lr, *bound))]
    Diverged {
        /// The step at which divergence was detected; `None` for a single
        /// [`gradient_step`](crate::gradient_step), which does not know its number.
        step: Option<usize>,
        /// The loss at that step (may be infinite or NaN).
        loss: f64,
        /// The learning rate in use at that step.
        lr: f64,
        /// The stability bound `N / λ_max(MᵀM)` for this M (M·Mᵀ has the same eigenvalues).
        bound: f64,
        /// Every loss up to and including `step`, to plot what happened.
        losses: Vec<f64>,
    },

    /// A data frame has no column of that name.
    #[error("data frame: no column {name:?}: expected one of {available:?}")]
    MissingColumn {
        /// The column asked for.
        name: String,
        /// The columns the frame has.
        available: Vec<String>,
    },

    /// A polars operation failed, e.g. a column that is not numeric.
    #[error("data frame: {0}")]
    Frame(#[from] polars::error::PolarsError),

    /// Writing a file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

impl GdlabError {
    /// The losses up to the step where a run diverged, for [`GdlabError::Diverged`]; `None` otherwise.
    pub fn losses(&self) -> Option<&[f64]> {
        match self {
            GdlabError::Diverged { losses, .. } => Some(losses),
            _ => None,
        }
    }
}

/// `Result` with [`GdlabError`].
pub type Result<T, E = GdlabError> = std::result::Result<T, E>;

fn step_suffix(step: Option<usize>) -> String {
    step.map(|s| format!(" at schedule index {s}")).unwrap_or_default()
}

fn diverged_message(step: Option<usize>, loss: f64, lr: f64, bound: f64) -> String {
    // MᵀM, as the notebooks' prose: the error E = X·M − I moves by E·(I − (2·lr/N)·MᵀM).
    let why = if lr >= bound {
        format!("the learning rate {lr} exceeds the stability bound lr < N/λ_max(MᵀM) = {bound:.6}")
    } else {
        format!("the learning rate {lr} is within the stability bound {bound:.6}, so the numbers overflowed")
    };
    let at = step.map(|s| format!(" at step {s}")).unwrap_or_default();
    format!("gradient descent diverged{at} (loss = {}): {why}", readable(loss))
}

/// A loss as a reader writes it: plain notation from 0.001 to 10⁶ with at least 4 significant
/// digits and no decimals past them (35.18, 0.004217, 668192), else `1.234e9`; `inf` and `NaN` as
/// they are.
pub(crate) fn readable(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor();
    if (-3.0..6.0).contains(&magnitude) {
        format!("{x:.*}", (3.0 - magnitude).max(0.0) as usize)
    } else {
        format!("{x:.3e}")
    }
}

/// A 2-D shape from ndarray's `shape()` slice.
pub(crate) fn shape2(shape: &[usize]) -> Shape {
    (shape.first().copied().unwrap_or(0), shape.get(1).copied().unwrap_or(1))
}

/// Fails with [`GdlabError::Empty`] when `shape` has a zero dimension.
pub(crate) fn ensure_nonempty(what: &'static str, shape: &[usize]) -> Result<()> {
    if shape.contains(&0) {
        return Err(GdlabError::Empty { what, shape: shape2(shape) });
    }
    Ok(())
}

/// Fails with [`GdlabError::ShapeMismatch`] when `actual != expected`.
pub(crate) fn ensure_shape(what: &'static str, expected: Shape, actual: &[usize]) -> Result<()> {
    if shape2(actual) != expected {
        return Err(GdlabError::ShapeMismatch { what, expected, actual: shape2(actual) });
    }
    Ok(())
}

/// Fails with [`GdlabError::InvalidLearningRate`] unless `lr` is finite and positive.
pub(crate) fn ensure_lr(lr: f64, step: Option<usize>) -> Result<()> {
    if !(lr.is_finite() && lr > 0.0) {
        return Err(GdlabError::InvalidLearningRate { lr, step });
    }
    Ok(())
}

/// Fails with [`GdlabError::InvalidParameter`] unless `ok`.
pub(crate) fn ensure_param(ok: bool, name: &'static str, value: f64, expected: &'static str) -> Result<()> {
    if !ok {
        return Err(GdlabError::InvalidParameter { name, value, expected });
    }
    Ok(())
}

/// Fails with [`GdlabError::InvalidProbability`] unless `0 <= p <= 1`.
pub(crate) fn ensure_probability(p: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&p) {
        return Err(GdlabError::InvalidProbability { p });
    }
    Ok(())
}

/// Writes `text` to `path`, or [`GdlabError::Io`] with the OS error as its source.
pub(crate) fn write_file(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|source| GdlabError::Io { path: path.to_path_buf(), source })
}
