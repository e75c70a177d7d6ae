//! Gradient descent towards the inverse: one step, or a whole run with its history.

use ndarray::{Array2, ArrayRef2};

use crate::error::{GdlabError, Result, ensure_lr, ensure_shape};
use crate::linalg::stability_bound;
use crate::loss::{check_product, grad_from_y_hat, mse_unchecked};
use crate::real::Real;
use crate::rng::TorchRng;

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
/// [`GdlabError::ShapeMismatch`] or [`GdlabError::Empty`] unless X is (a, k), M (k, b) and Y (a, b).
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
    Ok(step_unchecked(x, m, y_true, T::from_f64_lossy(lr)))
}

fn step_unchecked<T: Real>(x: &mut ArrayRef2<T>, m: &ArrayRef2<T>, y_true: &ArrayRef2<T>, lr: T) -> T {
    let y_hat = x.dot(m);
    let loss = mse_unchecked(y_true, &y_hat);
    let grad = grad_from_y_hat(&y_hat, m, y_true);
    x.zip_mut_with(&grad, |xi, &gi| *xi -= lr * gi);
    loss
}

/// How the learning rate changes over the steps.
#[derive(Clone, Debug, PartialEq)]
pub enum LearningRate {
    /// The same rate at every step.
    Constant(f64),
    /// One rate per step; the run has as many steps as the schedule.
    Schedule(Vec<f64>),
}

#[derive(Clone, Debug)]
enum Start<T> {
    Zeros,
    Seed(u64),
    Matrix(Array2<T>),
}

/// A whole run of the original loop: gradient descent on `mean((X·M − target)²)` over X.
///
/// Defaults are the lesson's: target the identity, `lr` = [`lesson_lr`], 100 steps, a snapshot
/// every 20 steps, X starting at zero unless [`seed`](Self::seed) or [`start`](Self::start) says otherwise.
/// [`run`](Self::run) validates every parameter before the first step.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// let history = InverseDescent::new(&m).seed(314).run()?;   // manual_seed(314); rand(4, 4); 100 steps
/// assert_eq!(history.losses.len(), 100);
/// assert_eq!(history.snapshots.iter().map(|s| s.step).collect::<Vec<_>>(), [0, 20, 40, 60, 80]);
/// assert!((history.snapshots[4].loss - 4.4184e-6).abs() < 1e-9);
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
#[derive(Clone, Debug)]
pub struct InverseDescent<T: Real> {
    m: Array2<T>,
    target: Option<Array2<T>>,
    start: Start<T>,
    lr: LearningRate,
    steps: usize,
    record_every: usize,
    patience: usize,
    tolerance: Option<f64>,
}

impl<T: Real> InverseDescent<T> {
    /// A run that looks for the inverse of `m`.
    pub fn new(m: &ArrayRef2<T>) -> Self {
        InverseDescent {
            m: m.to_owned(),
            target: None,
            start: Start::Zeros,
            lr: LearningRate::Constant(lesson_lr()),
            steps: 100,
            record_every: 20,
            patience: 10,
            tolerance: None,
        }
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

    /// Start from `torch.manual_seed(seed); torch.rand(n, n)`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.start = Start::Seed(seed);
        self
    }

    /// A constant learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = LearningRate::Constant(lr);
        self
    }

    /// One learning rate per step; this also sets the number of steps.
    pub fn schedule(mut self, lrs: Vec<f64>) -> Self {
        self.steps = lrs.len();
        self.lr = LearningRate::Schedule(lrs);
        self
    }

    /// The number of steps (ignored with a schedule, whose length decides).
    pub fn steps(mut self, steps: usize) -> Self {
        self.steps = steps;
        self
    }

    /// Record a snapshot at every step that is a multiple of `every` (the original: 20).
    pub fn record_every(mut self, every: usize) -> Self {
        self.record_every = every;
        self
    }

    /// Stop with [`GdlabError::Diverged`] once the loss has grown for this many steps in a row
    /// and exceeds the first loss (default 10). A non-finite loss always stops the run.
    pub fn divergence_patience(mut self, steps: usize) -> Self {
        self.patience = steps;
        self
    }

    /// Stop early, at the first step whose loss is at most `tolerance`; the step is
    /// [`History::converged_at`]. [`run`](Self::run) rejects a tolerance that is not finite and ≥ 0.
    pub fn tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// The stability bound `N / λ_max(M·Mᵀ)` for this run's M.
    ///
    /// # Errors
    /// As [`stability_bound`].
    pub fn stability_bound(&self) -> Result<f64> {
        stability_bound(&self.m)
    }

    fn rates(&self) -> Result<Vec<f64>> {
        let rates = match &self.lr {
            LearningRate::Constant(lr) => {
                ensure_lr(*lr, None)?;
                vec![*lr; self.steps]
            }
            LearningRate::Schedule(lrs) => {
                for (i, &lr) in lrs.iter().enumerate() {
                    ensure_lr(lr, Some(i))?;
                }
                lrs.clone()
            }
        };
        if rates.is_empty() {
            return Err(GdlabError::InvalidParameter { name: "steps", value: "0".into(), expected: "at least 1 step" });
        }
        Ok(rates)
    }

    /// Runs the descent.
    ///
    /// # Errors
    /// Before the first step: [`GdlabError::ShapeMismatch`] for a non-square M or a target or
    /// start of another shape, [`GdlabError::Empty`], [`GdlabError::InvalidLearningRate`],
    /// [`GdlabError::InvalidParameter`] for 0 steps, `record_every` 0 or a tolerance that is not a finite number ≥ 0.
    /// During the run: [`GdlabError::Diverged`], with the bound and the losses so far.
    pub fn run(&self) -> Result<History<T>> {
        self.run_with(|_, _| {})
    }

    /// [`run`](Self::run), calling `on_step(step, loss)` after every step: e.g. for a progress bar.
    ///
    /// # Errors
    /// As [`run`](Self::run).
    pub fn run_with(&self, mut on_step: impl FnMut(usize, T)) -> Result<History<T>> {
        let bound = self.stability_bound()?;
        let n = self.m.nrows();
        let target = self.target.clone().unwrap_or_else(|| Array2::eye(n));
        ensure_shape("the target (it must have M's shape)", self.m.shape(), target.shape())?;
        let mut x = match &self.start {
            Start::Zeros => Array2::zeros((n, n)),
            Start::Seed(s) => TorchRng::manual_seed(*s).rand((n, n)),
            Start::Matrix(x) => x.clone(),
        };
        ensure_shape("the start X (it must have M's shape)", self.m.shape(), x.shape())?;
        if self.record_every == 0 {
            return Err(GdlabError::InvalidParameter {
                name: "record_every",
                value: "0".into(),
                expected: "at least 1",
            });
        }
        if let Some(tol) = self.tolerance.filter(|t| !(t.is_finite() && *t >= 0.0)) {
            return Err(GdlabError::InvalidParameter {
                name: "tolerance",
                value: tol.to_string(),
                expected: "a finite loss >= 0",
            });
        }
        let mut rates = self.rates()?;

        let mut losses = Vec::with_capacity(rates.len());
        let mut snapshots = Vec::new();
        let mut growing = 0;
        let mut converged_at = None;
        for (step, &lr) in rates.iter().enumerate() {
            if step % self.record_every == 0 {
                snapshots.push(Snapshot { step, loss: T::nan(), diff: &x.dot(&self.m) - &target });
            }
            let loss = step_unchecked(&mut x, &self.m, &target, T::from_f64_lossy(lr));
            if let Some(s) = snapshots.last_mut().filter(|s| s.step == step) {
                s.loss = loss;
            }
            growing = match losses.last() {
                Some(&prev) if loss > prev => growing + 1,
                _ => 0,
            };
            losses.push(loss);
            on_step(step, loss);
            let runaway = self.patience > 0 && growing >= self.patience && loss > losses[0];
            if !loss.is_finite() || runaway {
                return Err(GdlabError::Diverged {
                    step,
                    loss: loss.as_f64(),
                    lr,
                    bound,
                    losses: losses.iter().map(|l| l.as_f64()).collect(),
                });
            }
            if self.tolerance.is_some_and(|t| loss.as_f64() <= t) {
                converged_at = Some(step);
                break;
            }
        }
        rates.truncate(losses.len());
        Ok(History { losses, snapshots, x, lrs: rates, bound, converged_at })
    }
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

/// What a run of [`InverseDescent`] leaves: the loss at every step and the snapshots.
#[derive(Clone, Debug, PartialEq)]
pub struct History<T> {
    /// The loss at every step, before that step's update.
    pub losses: Vec<T>,
    /// A snapshot at every `record_every`-th step.
    pub snapshots: Vec<Snapshot<T>>,
    /// X after the last step.
    pub x: Array2<T>,
    /// The learning rate used at each step.
    pub lrs: Vec<f64>,
    /// The stability bound `N / λ_max(M·Mᵀ)` of the run's M.
    pub bound: f64,
    /// The first step whose loss was at most the [`tolerance`](InverseDescent::tolerance), if
    /// one was set and reached; the run stopped there.
    pub converged_at: Option<usize>,
}

impl<T: Real> History<T> {
    /// The loss at the last step.
    pub fn final_loss(&self) -> T {
        *self.losses.last().expect("a run has at least one step")
    }
}
