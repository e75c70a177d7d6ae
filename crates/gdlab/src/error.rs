//! The crate's one error type.

use thiserror::Error;

/// What can go wrong in `gdlab`. Every case names the problem and the value that was expected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GdlabError {
    /// Two shapes that must agree do not.
    #[error("shape mismatch for {what}: expected {expected}, got {actual}")]
    ShapeMismatch {
        /// Which argument or relation is wrong, e.g. "M must be square".
        what: String,
        /// The shape that was expected, e.g. "(4, 4)".
        expected: String,
        /// The shape that was given.
        actual: String,
    },

    /// A matrix with no elements where at least one is needed.
    #[error("{what} is empty (shape {shape}): expected at least one row and one column")]
    Empty {
        /// Which argument is empty.
        what: String,
        /// Its shape.
        shape: String,
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

    /// Any other parameter outside its range.
    #[error("invalid {name} = {value}: expected {expected}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The rejected value, as text.
        value: String,
        /// What was expected.
        expected: &'static str,
    },

    /// The matrix has no inverse.
    #[error("matrix {shape} is singular (a zero pivot in its LU factorisation): it has no inverse")]
    Singular {
        /// Its shape.
        shape: String,
    },

    /// The loss became non-finite or kept growing.
    #[error("{}", diverged_message(*step, *loss, *lr, *bound))]
    Diverged {
        /// The step at which divergence was detected.
        step: usize,
        /// The loss at that step (may be infinite or NaN).
        loss: f64,
        /// The learning rate in use at that step.
        lr: f64,
        /// The stability bound `N / λ_max(M·Mᵀ)` for this M.
        bound: f64,
        /// Every loss up to and including `step`, to plot what happened.
        losses: Vec<f64>,
    },

    /// A polars operation failed, e.g. a column that does not exist.
    #[error("data frame: {0}")]
    Frame(String),

    /// Writing a file failed.
    #[error("cannot write {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
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

fn diverged_message(step: usize, loss: f64, lr: f64, bound: f64) -> String {
    let why = if lr >= bound {
        format!("the learning rate {lr} exceeds the stability bound lr < N/λ_max(M·Mᵀ) = {bound:.6}")
    } else {
        format!("the learning rate {lr} is within the stability bound {bound:.6}, so the numbers overflowed")
    };
    format!("gradient descent diverged at step {step} (loss = {loss:e}): {why}")
}

impl From<polars::error::PolarsError> for GdlabError {
    fn from(e: polars::error::PolarsError) -> Self {
        GdlabError::Frame(e.to_string())
    }
}

/// `"(r, c)"` for error messages.
pub(crate) fn shape_of(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("({})", parts.join(", "))
}

/// Fails with [`GdlabError::Empty`] when `shape` has a zero dimension.
pub(crate) fn ensure_nonempty(what: &str, shape: &[usize]) -> Result<()> {
    if shape.contains(&0) {
        return Err(GdlabError::Empty { what: what.to_string(), shape: shape_of(shape) });
    }
    Ok(())
}

/// Fails with [`GdlabError::ShapeMismatch`] when `actual != expected`.
pub(crate) fn ensure_shape(what: &str, expected: &[usize], actual: &[usize]) -> Result<()> {
    if expected != actual {
        return Err(GdlabError::ShapeMismatch {
            what: what.to_string(),
            expected: shape_of(expected),
            actual: shape_of(actual),
        });
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
