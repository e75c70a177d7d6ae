//! torch.optim.lr_scheduler's schedules, with torch's numbers: `StepLR`, `ExponentialLR` and
//! `CosineAnnealingLR`, stepped once per epoch (or per step of a full-batch run).
//!
//! torch computes each new rate from the previous one (its "chainable" form), not from the
//! closed form, and the two differ in the last bits; [`Schedule::lrs`] follows the chain.
//!
//! ```
//! use gdlab::Schedule;
//! // sched = StepLR(opt, step_size=2, gamma=0.5); lr = 0.1
//! let lrs = Schedule::Step { step_size: 2, gamma: 0.5 }.lrs(0.1, 5)?;
//! assert_eq!(lrs, [0.1, 0.1, 0.05, 0.05, 0.025]);
//! # Ok::<(), gdlab::GdlabError>(())
//! ```

use std::f64::consts::PI;
use std::fmt;

use crate::error::{GdlabError, Result, ensure_lr, ensure_param};

/// A learning-rate schedule of `torch.optim.lr_scheduler`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// No scheduler: the same rate throughout.
    Constant,
    /// `StepLR(step_size, gamma)`: the rate times `gamma` every `step_size` epochs.
    Step {
        /// Epochs between decays, ≥ 1.
        step_size: usize,
        /// The factor, > 0.
        gamma: f64,
    },
    /// `ExponentialLR(gamma)`: the rate times `gamma` every epoch.
    Exponential {
        /// The factor, > 0.
        gamma: f64,
    },
    /// `CosineAnnealingLR(T_max, eta_min)`: half a cosine from the base rate down to
    /// `eta_min` over `t_max` epochs (then back up, as torch's does).
    Cosine {
        /// Epochs of the half period, ≥ 1.
        t_max: usize,
        /// The lowest rate, ≥ 0.
        eta_min: f64,
    },
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Constant => write!(f, "constant"),
            Schedule::Step { step_size, gamma } => write!(f, "StepLR(step_size={step_size}, gamma={gamma})"),
            Schedule::Exponential { gamma } => write!(f, "ExponentialLR(gamma={gamma})"),
            Schedule::Cosine { t_max, eta_min } => write!(f, "CosineAnnealingLR(T_max={t_max}, eta_min={eta_min})"),
        }
    }
}

impl Schedule {
    /// Checks the parameters, as torch's constructors would have them.
    ///
    /// # Errors
    /// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for a `gamma` that is
    /// not finite and > 0, a `step_size` or `t_max` of 0, or a negative or non-finite `eta_min`.
    pub fn check(&self) -> Result<()> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::Step { step_size, gamma } => {
                ensure_param(step_size >= 1, "step_size", step_size as f64, "at least 1 epoch")?;
                ensure_param(gamma.is_finite() && gamma > 0.0, "gamma", gamma, "a finite factor > 0")
            }
            Schedule::Exponential { gamma } => {
                ensure_param(gamma.is_finite() && gamma > 0.0, "gamma", gamma, "a finite factor > 0")
            }
            Schedule::Cosine { t_max, eta_min } => {
                ensure_param(t_max >= 1, "T_max", t_max as f64, "at least 1 epoch")?;
                ensure_param(eta_min.is_finite() && eta_min >= 0.0, "eta_min", eta_min, "a finite rate >= 0")
            }
        }
    }

    /// The rate of each of `epochs` epochs from `base_lr`: epoch 0 runs at `base_lr`, and
    /// `sched.step()` after each epoch sets the next, as torch's chainable `get_lr` does.
    ///
    /// # Errors
    /// [`GdlabError::InvalidLearningRate`](crate::GdlabError::InvalidLearningRate) unless
    /// `base_lr` is finite and > 0, and what [`check`](Self::check) finds.
    pub fn lrs(&self, base_lr: f64, epochs: usize) -> Result<Vec<f64>> {
        ensure_lr(base_lr, None)?;
        self.check()?;
        let mut lrs = Vec::with_capacity(epochs);
        let mut lr = base_lr;
        for epoch in 0..epochs {
            if epoch > 0 {
                lr = self.next(lr, base_lr, epoch);
            }
            lrs.push(lr);
        }
        Ok(lrs)
    }

    /// torch's `get_lr()` at `last_epoch = epoch ≥ 1`, from the previous rate `lr`.
    fn next(&self, lr: f64, base_lr: f64, epoch: usize) -> f64 {
        match *self {
            Schedule::Constant => lr,
            Schedule::Step { step_size, gamma } => {
                if epoch.is_multiple_of(step_size) {
                    lr * gamma
                } else {
                    lr
                }
            }
            Schedule::Exponential { gamma } => lr * gamma,
            Schedule::Cosine { t_max, eta_min } => {
                let (e, t) = (epoch as f64, t_max as f64);
                // (last_epoch - 1 - T_max) % (2 * T_max) == 0, with Python's non-negative %
                if (epoch as i64 - 1 - t_max as i64).rem_euclid(2 * t_max as i64) == 0 {
                    lr + (base_lr - eta_min) * (1.0 - (PI / t).cos()) / 2.0
                } else {
                    (1.0 + (PI * e / t).cos()) / (1.0 + (PI * (e - 1.0) / t).cos()) * (lr - eta_min) + eta_min
                }
            }
        }
    }
}

impl std::str::FromStr for Schedule {
    type Err = GdlabError;

    /// `constant`, `step:SIZE:GAMMA`, `exp:GAMMA` or `cosine:T_MAX:ETA_MIN`, checked.
    ///
    /// ```
    /// use gdlab::Schedule;
    /// assert_eq!("step:10:0.5".parse::<Schedule>()?, Schedule::Step { step_size: 10, gamma: 0.5 });
    /// assert!("step:10".parse::<Schedule>().is_err());
    /// # Ok::<(), gdlab::GdlabError>(())
    /// ```
    fn from_str(text: &str) -> Result<Self> {
        let malformed = || GdlabError::InvalidSchedule { text: text.to_string() };
        let parts: Vec<&str> = text.split(':').collect();
        let number = |s: &str| s.trim().parse::<f64>().map_err(|_| malformed());
        let count = |s: &str| s.trim().parse::<usize>().map_err(|_| malformed());
        let schedule = match parts.as_slice() {
            ["constant"] => Schedule::Constant,
            ["step", size, gamma] => Schedule::Step { step_size: count(size)?, gamma: number(gamma)? },
            ["exp", gamma] => Schedule::Exponential { gamma: number(gamma)? },
            ["cosine", t_max, eta_min] => Schedule::Cosine { t_max: count(t_max)?, eta_min: number(eta_min)? },
            _ => return Err(malformed()),
        };
        schedule.check()?;
        Ok(schedule)
    }
}
