//! What a run leaves behind: the losses, the snapshots, the last X and how it ended.

use ndarray::Array2;

use crate::error::{GdlabError, Result};
use crate::real::Real;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Every step of the schedule ran.
    Finished,
    /// The loss reached the [`tolerance`](crate::InverseDescent::tolerance) at this step, which was
    /// still taken; the run stopped there.
    Converged {
        /// The first step whose loss was at most the tolerance.
        step: usize,
    },
    /// The run was stopped at this step, before its update, because it diverged.
    Diverged {
        /// The step whose loss showed it.
        step: usize,
        /// What showed it.
        reason: Divergence,
    },
}

/// Why a run was called diverged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Divergence {
    /// The loss became infinite or NaN.
    NotFinite,
    /// The loss grew this many steps in a row and exceeded the first loss.
    Growing {
        /// How many steps in a row it grew.
        steps: usize,
    },
}

/// X·M − target at one recorded step, before that step's update.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot<T> {
    /// The step (0-based), like the original's `t`.
    pub step: usize,
    /// The loss at this step, before the update.
    pub loss: T,
    /// The difference matrix `X·M − target`, the original's `Diff`.
    pub diff: Array2<T>,
}

/// What a run of [`InverseDescent`](crate::InverseDescent) leaves: the loss at every step, the snapshots, the last
/// X and how the run ended.
#[derive(Clone, Debug, PartialEq)]
pub struct History<T> {
    /// The loss at every step, before that step's update.
    pub losses: Vec<T>,
    /// A snapshot at every `record_every`-th step.
    pub snapshots: Vec<Snapshot<T>>,
    /// X after the last update.
    pub x: Array2<T>,
    /// The learning rate of each step that ran.
    pub lrs: Vec<f64>,
    /// The stability bound `N / λ_max(M·Mᵀ)` of the run's M.
    pub bound: f64,
    /// How the run ended.
    pub stop: Stop,
}

impl<T: Real> History<T> {
    /// The loss at the last step.
    pub fn final_loss(&self) -> T {
        *self.losses.last().expect("a run has at least one step")
    }

    /// The step at which the loss reached the tolerance, if it did.
    pub fn converged_at(&self) -> Option<usize> {
        match self.stop {
            Stop::Converged { step } => Some(step),
            _ => None,
        }
    }

    /// The step at which the run was stopped for diverging, if it was.
    pub fn diverged_at(&self) -> Option<usize> {
        match self.stop {
            Stop::Diverged { step, .. } => Some(step),
            _ => None,
        }
    }

    /// The run itself, or [`GdlabError::Diverged`] if it diverged: for `?`.
    ///
    /// # Errors
    /// [`GdlabError::Diverged`], with the step, its loss and rate, the bound and every loss.
    pub fn into_result(self) -> Result<Self> {
        match self.stop {
            Stop::Diverged { step, .. } => Err(GdlabError::Diverged {
                step: Some(step),
                loss: self.final_loss().as_f64(),
                lr: self.lrs[step],
                bound: self.bound,
                losses: self.losses.iter().map(|l| l.as_f64()).collect(),
            }),
            _ => Ok(self),
        }
    }
}
