//! Gradient descent towards the inverse: one step, or a whole run with its history.

use ndarray::{Array2, ArrayRef2};

use crate::error::{GdlabError, Result, ensure_lr, ensure_nonempty, ensure_param, ensure_shape};
use crate::history::{Divergence, History, Snapshot, Stop};
use crate::least_squares::{Side, side_bound};
use crate::linalg::gram_lambda_max;
use crate::loss::{check_product, grad_from_y_hat, grad_right_from_y_hat, mse_unchecked};
use crate::optim::{AnyOptimizer, Optimizer, OptimizerState};
use crate::real::Real;
use crate::rng::TorchRng;
use crate::schedule::Schedule;

/// The original notebook's learning rate, `np.log(np.logspace(0.2, 0.2, 100))[0]` = ln(10^0.2).
pub fn lesson_lr() -> f64 {
    10f64.powf(0.2).ln()
}

/// One update as in the original `update()`: `X ← X − lr·∇X mse(Y, X·M)`.
///
/// Returns the loss **before** the step, as the original appends it. `lr` is rounded to `T`
/// before it multiplies the gradient, as torch does with `lr * X.grad`.
///
/// # Errors
/// [`GdlabError::InvalidLearningRate`] unless `lr` is finite and positive;
/// [`GdlabError::ShapeMismatch`] or [`GdlabError::Empty`] unless X is (a, k), M (k, b) and Y (a, b);
/// [`GdlabError::Diverged`] once the loss is infinite or NaN, naming it, the rate and the
/// stability bound. X is then left as it was.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// let y = Array2::<f32>::eye(4);
/// let mut x: Array2<f32> = TorchRng::manual_seed(314).rand((4, 4));
/// let before = gradient_step(&mut x, &m, &y, lesson_lr())?;
/// assert!((before - 1.6650).abs() < 1e-4);
/// assert!(mse(&y, &x.dot(&m)) < before);
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
pub fn gradient_step<T: Real>(x: &mut ArrayRef2<T>, m: &ArrayRef2<T>, y_true: &ArrayRef2<T>, lr: f64) -> Result<T> {
    ensure_lr(lr, None)?;
    check_product(x, m, y_true)?;
    let y_hat = x.dot(m);
    let loss = mse_unchecked(y_true, &y_hat);
    if !loss.is_finite() {
        let bound = y_true.len() as f64 / gram_lambda_max(m);
        return Err(GdlabError::Diverged { step: None, loss: loss.as_f64(), lr, bound, losses: vec![loss.as_f64()] });
    }
    let grad = grad_from_y_hat(&y_hat, m, y_true);
    // The lesson's update keeps no state between steps.
    AnyOptimizer::Lesson.step(&mut OptimizerState::default(), x, &grad, lr);
    Ok(loss)
}

/// How the learning rate changes over the steps: give either to [`InverseDescent::lr`].
#[derive(Clone, Debug, PartialEq)]
pub enum LearningRate {
    /// The same rate at every step.
    Constant(f64),
    /// One rate per step; the run has as many steps as the schedule.
    Schedule(Vec<f64>),
}

impl From<f64> for LearningRate {
    fn from(lr: f64) -> Self {
        LearningRate::Constant(lr)
    }
}

impl From<Vec<f64>> for LearningRate {
    fn from(lrs: Vec<f64>) -> Self {
        LearningRate::Schedule(lrs)
    }
}

#[derive(Clone, Debug)]
enum Start<T> {
    Zeros,
    Seed(u64),
    Matrix(Array2<T>),
}

/// A whole run of the original loop: gradient descent on `mean((X·M − target)²)` over X.
///
/// M may be any m×n matrix A; X is then n×m, and the run looks for a left inverse
/// (`X·A ≈ Iₙ`) or a right one (`A·X ≈ Iₘ`, loss `mean((A·X − target)²)`), see
/// [`side`](Self::side). Where none exists it descends to the least-squares floor
/// ([`loss_floor`](crate::loss_floor)).
///
/// Defaults are the lesson's: target the identity, `lr` = [`lesson_lr`], 100 steps, a snapshot
/// every 20 steps, X starting at zero unless [`seed`](Self::seed) or [`start`](Self::start) says otherwise.
/// [`run`](Self::run) validates every parameter once, before the first step.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// let history = InverseDescent::new(&m).seed(314).run()?;   // manual_seed(314); rand(4, 4); 100 steps
/// assert_eq!(history.losses.len(), 100);
/// assert_eq!(history.snapshots.iter().map(|s| s.step).collect::<Vec<_>>(), [0, 20, 40, 60, 80]);
/// assert!((history.snapshots[4].loss - 4.4184e-6).abs() < 1e-9);
/// assert_eq!(history.stop, Stop::Finished);
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
#[derive(Clone, Debug)]
pub struct InverseDescent<T: Real> {
    m: Array2<T>,
    side: Option<Side>,
    target: Option<Array2<T>>,
    start: Start<T>,
    lr: LearningRate,
    steps: usize,
    record_every: Option<usize>,
    patience: Option<usize>,
    tolerance: Option<f64>,
    optimizer: AnyOptimizer,
    schedule: Schedule,
}

impl<T: Real> InverseDescent<T> {
    /// A run that looks for the inverse of `m`.
    pub fn new(m: &ArrayRef2<T>) -> Self {
        InverseDescent {
            m: m.to_owned(),
            side: None,
            target: None,
            start: Start::Zeros,
            lr: LearningRate::Constant(lesson_lr()),
            steps: 100,
            record_every: Some(20),
            patience: Some(10),
            tolerance: None,
            optimizer: AnyOptimizer::Lesson,
            schedule: Schedule::Constant,
        }
    }

    /// How X moves: a torch.optim rule ([`Sgd`](crate::Sgd), [`Momentum`](crate::Momentum),
    /// [`Adam`](crate::Adam)) instead of the lesson's own update `X.sub_(lr * X.grad)`.
    pub fn optimizer(mut self, optimizer: impl Into<AnyOptimizer>) -> Self {
        self.optimizer = optimizer.into();
        self
    }

    /// Which side X multiplies on (default [`Side::of`]: left when M has at least as many rows
    /// as columns). The side with no solution is allowed: the run then stops at its floor.
    pub fn side(mut self, side: Side) -> Self {
        self.side = Some(side);
        self
    }

    /// The side this run uses: the one given to [`side`](Self::side), or [`Side::of`] M.
    pub fn chosen_side(&self) -> Side {
        self.side.unwrap_or_else(|| Side::of(&self.m))
    }

    /// What X·M should become (default: the identity).
    pub fn target(mut self, target: &ArrayRef2<T>) -> Self {
        self.target = Some(target.to_owned());
        self
    }

    /// Start from this X.
    pub fn start(mut self, x: &ArrayRef2<T>) -> Self {
        self.start = Start::Matrix(x.to_owned());
        self
    }

    /// Start from X = 0, as the default does: the run from zeros ends at the pseudo-inverse.
    pub fn zeros(mut self) -> Self {
        self.start = Start::Zeros;
        self
    }

    /// Start from `torch.manual_seed(seed); torch.rand(n, m)` for an m×n M.
    pub fn seed(mut self, seed: u64) -> Self {
        self.start = Start::Seed(seed);
        self
    }

    /// The learning rate: one number, or a schedule of one per step
    /// ([`LearningRate::Schedule`], or a `Vec<f64>`), which also sets the number of steps.
    pub fn lr(mut self, lr: impl Into<LearningRate>) -> Self {
        self.lr = lr.into();
        self
    }

    /// A `torch.optim.lr_scheduler` stepped after every step, from the rate set by
    /// [`lr`](Self::lr), which must then be one number:
    /// `.lr(0.4).schedule(Schedule::Exponential { gamma: 0.99 })`.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// The number of steps (ignored with a list of rates, whose length decides).
    pub fn steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self
    }

    /// Record a snapshot at every step that is a multiple of `every` (the original: 20).
    pub fn record_every(mut self, every: usize) -> Self {
        self.record_every = Some(every);
        self
    }

    /// Record no snapshots: for long runs where only the losses and the final X matter.
    pub fn no_snapshots(mut self) -> Self {
        self.record_every = None;
        self
    }

    /// When to call a run diverged although its loss is finite: once the loss has grown for
    /// `Some(steps)` steps in a row and exceeds the first loss (default `Some(10)`); `None`
    /// waits for a non-finite loss, which always stops the run.
    pub fn divergence_patience(mut self, steps: Option<usize>) -> Self {
        self.patience = steps;
        self
    }

    /// Stop early, at the first step whose loss is at most `tolerance`
    /// ([`Stop::Converged`]). [`run`](Self::run) rejects a tolerance that is not finite and ≥ 0.
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// The stability bound `k² / λ_max(MᵀM)` for this run's M and side
    /// ([`side_bound`](crate::side_bound); for a square M, [`stability_bound`](crate::stability_bound)).
    ///
    /// # Errors
    /// [`GdlabError::Empty`] for an empty M.
    pub fn stability_bound(&self) -> Result<f64> {
        side_bound(&self.m, self.chosen_side())
    }

    /// The learning rate, when it is one number for every step.
    pub(crate) fn constant_lr(&self) -> Option<f64> {
        match (&self.lr, self.schedule) {
            (LearningRate::Constant(lr), Schedule::Constant) => Some(*lr),
            _ => None,
        }
    }

    /// Every parameter checked, once: the plan of a run that can only end, never fail.
    fn checked(&self) -> Result<Checked<'_, T>> {
        ensure_nonempty("M", self.m.shape())?;
        let side = self.chosen_side();
        let bound = self.stability_bound()?;
        let k = side.k(&self.m);
        let target = self.target.clone().unwrap_or_else(|| Array2::eye(k));
        ensure_shape("the target (it must be k×k, k = n on the left, m on the right)", (k, k), target.shape())?;
        let x_shape = (self.m.ncols(), self.m.nrows());
        let x = match &self.start {
            Start::Zeros => Array2::zeros(x_shape),
            Start::Seed(s) => TorchRng::manual_seed(*s).rand(x_shape),
            Start::Matrix(x) => x.clone(),
        };
        ensure_shape("the start X (it must be n×m for an m×n M)", x_shape, x.shape())?;
        if let Some(every) = self.record_every {
            ensure_param(every >= 1, "record_every", every as f64, "at least 1")?;
        }
        if let Some(tol) = self.tolerance {
            ensure_param(tol.is_finite() && tol >= 0.0, "tolerance", tol, "a finite loss >= 0")?;
        }
        let lrs = match &self.lr {
            LearningRate::Constant(lr) => self.schedule.lrs(*lr, self.steps)?,
            LearningRate::Schedule(lrs) => {
                let constant = self.schedule == Schedule::Constant;
                ensure_param(constant, "schedule", f64::NAN, "a single .lr(…) to start from, not a list of rates")?;
                for (i, &lr) in lrs.iter().enumerate() {
                    ensure_lr(lr, Some(i))?;
                }
                lrs.clone()
            }
        };
        ensure_param(!lrs.is_empty(), "steps", 0.0, "at least 1 step")?;
        self.optimizer.check()?;
        Ok(Checked {
            m: &self.m,
            side,
            target,
            x,
            lrs,
            record_every: self.record_every,
            patience: self.patience,
            tolerance: self.tolerance,
            bound,
            optimizer: self.optimizer,
        })
    }

    /// Runs the descent; a run that diverges is an error.
    ///
    /// # Errors
    /// Before the first step: [`GdlabError::ShapeMismatch`] for a target or start of
    /// another shape (k×k and n×m for an m×n M), [`GdlabError::Empty`], [`GdlabError::InvalidLearningRate`],
    /// [`GdlabError::InvalidParameter`] for 0 steps, `record_every` 0 or a tolerance that is not a finite number ≥ 0.
    /// After the run: [`GdlabError::Diverged`], with the bound and the losses so far
    /// ([`trace`](Self::trace) returns such a run as a [`History`] instead).
    pub fn run(&self) -> Result<History<T>> {
        self.trace()?.into_result()
    }

    /// Runs the descent and returns its [`History`] however it ended: finished, converged or
    /// diverged ([`History::stop`]).
    ///
    /// # Errors
    /// The parameter errors of [`run`](Self::run), before the first step.
    pub fn trace(&self) -> Result<History<T>> {
        self.trace_with(|_, _| {})
    }

    /// [`trace`](Self::trace), calling `on_step(step, loss)` after every step: e.g. for a progress bar.
    ///
    /// # Errors
    /// As [`trace`](Self::trace).
    pub fn trace_with(&self, on_step: impl FnMut(usize, T)) -> Result<History<T>> {
        Ok(self.checked()?.run(on_step))
    }
}

/// A run whose parameters [`InverseDescent::checked`] accepted.
struct Checked<'a, T: Real> {
    m: &'a Array2<T>,
    side: Side,
    target: Array2<T>,
    x: Array2<T>,
    lrs: Vec<f64>,
    record_every: Option<usize>,
    patience: Option<usize>,
    tolerance: Option<f64>,
    bound: f64,
    optimizer: AnyOptimizer,
}

impl<T: Real> Checked<'_, T> {
    fn run(self, mut on_step: impl FnMut(usize, T)) -> History<T> {
        let Checked { m, side, target, mut x, mut lrs, record_every, patience, tolerance, bound, optimizer } = self;
        let mut state = OptimizerState::default();
        let mut losses: Vec<T> = Vec::with_capacity(lrs.len());
        let mut snapshots = Vec::new();
        let mut growing = 0;
        let mut stop = Stop::Finished;
        for (step, &lr) in lrs.iter().enumerate() {
            let y_hat = side.product(m, &x);
            let loss = mse_unchecked(&target, &y_hat);
            growing = match losses.last() {
                Some(&prev) if loss > prev => growing + 1,
                _ => 0,
            };
            losses.push(loss);
            if record_every.is_some_and(|every| step % every == 0) {
                snapshots.push(Snapshot { step, loss, diff: &y_hat - &target });
            }
            let diverged = if !loss.is_finite() {
                Some(Divergence::NotFinite)
            } else if patience.is_some_and(|p| growing >= p && loss > losses[0]) {
                Some(Divergence::Growing { steps: growing })
            } else {
                None
            };
            if let Some(reason) = diverged {
                on_step(step, loss);
                stop = Stop::Diverged { step, reason };
                break;
            }
            let grad = match side {
                Side::Left => grad_from_y_hat(&y_hat, m, &target),
                Side::Right => grad_right_from_y_hat(m, &y_hat, &target),
            };
            optimizer.step(&mut state, &mut x, &grad, lr);
            on_step(step, loss);
            if tolerance.is_some_and(|t| loss.as_f64() <= t) {
                stop = Stop::Converged { step };
                break;
            }
        }
        lrs.truncate(losses.len());
        History { losses, snapshots, x, lrs, bound, stop }
    }
}
