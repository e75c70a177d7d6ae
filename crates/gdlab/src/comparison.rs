//! Optimisers side by side: one run per contender, or per value of a knob (notebook 06).

use crate::descent::InverseDescent;
use crate::error::Result;
use crate::history::History;
use crate::optim::{AnyOptimizer, Momentum};
use crate::real::Real;

/// How many steps one optimiser took to bring the loss to the tolerance.
#[derive(Clone, Debug, PartialEq)]
pub struct RaceResult {
    /// The name it was entered under.
    pub name: String,
    /// Its learning rate.
    pub lr: f64,
    /// The first step whose loss was at most the tolerance; `None` if it never got there
    /// (within the steps, or because it diverged).
    pub steps: Option<usize>,
}

/// Runs `descent` once per contender `(name, optimiser, learning rate)` until the loss reaches
/// `tolerance`, for at most `descent`'s steps.
///
/// # Errors
/// The parameter errors of [`InverseDescent::trace`].
pub fn optimizer_race<T: Real>(
    descent: &InverseDescent<T>,
    contenders: &[(&str, AnyOptimizer, f64)],
    tolerance: f64,
) -> Result<Vec<RaceResult>> {
    contenders
        .iter()
        .map(|&(name, optimizer, lr)| {
            let run = descent.clone().lr(lr).optimizer(optimizer).tolerance(tolerance).no_snapshots().trace()?;
            Ok(RaceResult { name: name.to_string(), lr, steps: run.converged_at() })
        })
        .collect()
}

/// One run per value of a knob, for a slider.
pub(crate) struct KnobRun<T> {
    /// The knob's value: a learning rate, or a momentum factor β.
    pub value: f64,
    /// The run at that value, with a snapshot at every step.
    pub history: History<T>,
}

/// `descent` once per learning rate.
pub(crate) fn lr_runs<T: Real>(descent: &InverseDescent<T>, lrs: &[f64]) -> Result<Vec<KnobRun<T>>> {
    lrs.iter().map(|&lr| Ok(KnobRun { value: lr, history: descent.clone().lr(lr).record_every(1).trace()? })).collect()
}

/// `descent` with heavy-ball momentum once per β, at `descent`'s learning rate.
pub(crate) fn beta_runs<T: Real>(descent: &InverseDescent<T>, betas: &[f64]) -> Result<Vec<KnobRun<T>>> {
    betas
        .iter()
        .map(|&beta| {
            let history = descent.clone().optimizer(Momentum::heavy_ball(beta)).record_every(1).trace()?;
            Ok(KnobRun { value: beta, history })
        })
        .collect()
}
