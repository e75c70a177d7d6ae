//! Paths on the landscape: the lesson's loss over two entries of X, and the path that each
//! method takes there.
//!
//! With a diagonal M the loss separates entry by entry, `(X·M)ᵢⱼ = Xᵢⱼ·mⱼ`, so any two entries
//! of X are a true 2-D slice: the other entries neither change the slice's shape nor feel its
//! steps. With a dense M the rows of X still descend independently, so two entries of one row of
//! a 2×2 problem are that row's whole problem `x·M ≈ eᵢ`. Either way the optimiser runs on the
//! whole X, as torch.optim would, and a [`Path`] records the two chosen entries after each step.

use ndarray::{Array2, ArrayRef2, Zip};

use crate::dense;
use crate::error::{GdlabError, Result, ensure_lr};
use crate::linalg::{ensure_square, to_f64};
use crate::loss::{grad_from_y_hat, mse_unchecked};
use crate::optim::{Adagrad, Adam, AnyOptimizer, Momentum, Optimizer, OptimizerState, RmsProp, Sgd};
use crate::real::Real;

/// Two entries of X, `[(row, column), (row, column)]`: the plane a path is drawn in.
pub type Entries = [(usize, usize); 2];

/// The tilted valley's M: `R·diag(1/2, 2)`, R the rotation with cosine 0.6 and sine 0.8 (the
/// 3-4-5 triangle, so that every entry is a short decimal). With X 2×2 and the target I, the
/// loss's curvature for a row of X is `(2/4)·M·Mᵀ = R·diag(1/8, 2)·Rᵀ`: the aligned valley's
/// curvatures 1/8 and 2 (κ = 16), along the tilted axes (0.6, 0.8) and (−0.8, 0.6).
///
/// ```
/// use gdlab::prelude::*;
/// let m: Array2<f64> = tilted_valley();
/// assert_eq!(m, array![[0.3, -1.6], [0.4, 1.2]]);
/// ```
pub fn tilted_valley<T: Real>() -> Array2<T> {
    Array2::from_shape_fn((2, 2), |(i, j)| T::from_f64_lossy([[0.3, -1.6], [0.4, 1.2]][i][j]))
}

/// The loss's curvature for one row of X: the Hessian `(2/N)·M·Mᵀ` of `mean((X·M − I)²)`,
/// N = n² the number of entries of X·M. Every row of X has the same one.
///
/// # Errors
/// [`GdlabError::NotSquare`] or [`GdlabError::Empty`] unless M is square and non-empty.
pub fn row_hessian<T: Real>(m: &ArrayRef2<T>) -> Result<Array2<f64>> {
    ensure_square(m, "M", "the landscape's target is the identity, so X·M must be square")?;
    let m = m.mapv(|v| v.as_f64());
    let scale = 2.0 / m.len() as f64;
    Ok(m.dot(&m.t()) * scale)
}

/// The lesson's loss over a grid of two entries of X, the others held at their values in `at`.
#[derive(Clone, Debug, PartialEq)]
pub struct LossSlice {
    /// The two entries: the first along x, the second along y.
    pub entries: Entries,
    /// The grid's values of the first entry.
    pub xs: Vec<f64>,
    /// The grid's values of the second entry.
    pub ys: Vec<f64>,
    /// `losses[[i, j]]`: the loss at `ys[i]`, `xs[j]` (one row per y, as a contour plot takes it).
    pub losses: Array2<f64>,
}

/// The loss `mean((X·M − I)²)` over the grid `xs × ys` of two entries of X, the other entries
/// held at their values in `at` (e.g. the minimum, so that the slice's own minimum is 0).
/// Computed in `f64`: a contour needs no torch rounding.
///
/// # Errors
/// [`GdlabError::NotSquare`]/[`GdlabError::Empty`] for M, [`GdlabError::ShapeMismatch`] unless
/// `at` has M's shape, [`GdlabError::InvalidEntries`] for an entry outside X or the same entry twice.
pub fn loss_slice<T: Real>(
    m: &ArrayRef2<T>,
    at: &ArrayRef2<T>,
    entries: Entries,
    xs: &[f64],
    ys: &[f64],
) -> Result<LossSlice> {
    let mut loss_at = slice_loss(m, at, entries)?;
    let losses = Array2::from_shape_fn((ys.len(), xs.len()), |(i, j)| loss_at([xs[j], ys[i]]));
    Ok(LossSlice { entries, xs: xs.to_vec(), ys: ys.to_vec(), losses })
}

/// The loss `mean((X·M − I)²)` in `f64` as a function of the two entries, X = `at` otherwise:
/// what a contour shows at a point (after the problem is checked once).
fn slice_loss<T: Real>(m: &ArrayRef2<T>, at: &ArrayRef2<T>, entries: Entries) -> Result<impl FnMut([f64; 2]) -> f64> {
    check_problem(m, at, entries)?;
    let m = m.mapv(|v| v.as_f64());
    let mut x = at.mapv(|v| v.as_f64());
    let eye = Array2::<f64>::eye(m.nrows());
    let [a, b] = entries;
    Ok(move |p: [f64; 2]| {
        (x[a], x[b]) = (p[0], p[1]);
        (x.dot(&m) - &eye).mapv(|v| v * v).mean().unwrap_or(f64::NAN)
    })
}

/// How a path steps: an optimiser of torch.optim (or the lesson's own update), or one of the two
/// methods that use the curvature.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stepper {
    /// [`AnyOptimizer`]: the lesson's update, SGD, momentum, Nesterov, Adam, RMSprop, Adagrad.
    Optimizer(AnyOptimizer),
    /// Newton's method, `X ← X − lr·∇·H⁻¹` with H the row Hessian `(2/N)·M·Mᵀ`
    /// ([`row_hessian`]). At lr = 1 it lands on a quadratic's minimum in one step.
    Newton,
    /// Diagonal preconditioning, `Xᵢⱼ ← Xᵢⱼ − lr·∇ᵢⱼ / Hⱼⱼ`: each coordinate's step divided by
    /// its own curvature. Newton's step when H is diagonal, and only then.
    Diagonal,
}

impl Stepper {
    /// What it is, for a legend: torch's name for an optimiser, or the method's.
    pub fn describe(&self) -> String {
        match self {
            Stepper::Optimizer(o) => o.describe(),
            Stepper::Newton => "Newton: X ← X − lr·∇·H⁻¹".into(),
            Stepper::Diagonal => "diagonal preconditioning: Xᵢⱼ ← Xᵢⱼ − lr·∇ᵢⱼ/Hⱼⱼ".into(),
        }
    }
}

macro_rules! stepper_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Stepper {
            fn from(o: $t) -> Self {
                Stepper::Optimizer(o.into())
            }
        }
    )*};
}
stepper_from!(AnyOptimizer, Sgd, Momentum, Adam, RmsProp, Adagrad);

/// Where a method went: the two chosen entries at the start and after each step, and the loss at
/// each of those points.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The two entries the points are made of.
    pub entries: Entries,
    /// `points[k]`: the two entries after k steps (`points[0]` is the start).
    pub points: Vec<[f64; 2]>,
    /// `losses[k]`: the loss of the whole X at `points[k]`.
    pub losses: Vec<f64>,
    /// X after the last step.
    pub final_x: Array2<f64>,
    /// Whether the run stopped early because the loss stopped being a finite number.
    pub diverged: bool,
}

impl Path {
    /// The steps taken (the points, less the start).
    pub fn steps(&self) -> usize {
        self.points.len() - 1
    }

    /// The path's first `steps` steps (all of it if it is shorter), e.g. to draw the start of a
    /// long run.
    pub fn first(&self, steps: usize) -> Path {
        let keep = (steps + 1).min(self.points.len());
        Path { points: self.points[..keep].to_vec(), losses: self.losses[..keep].to_vec(), ..self.clone() }
    }

    /// The first step count k at which the loss is at most `tolerance`, if the path gets there.
    pub fn steps_to(&self, tolerance: f64) -> Option<usize> {
        self.losses.iter().position(|&l| l <= tolerance)
    }

    /// [`steps_to`](Self::steps_to) in words, for a printout: `"at step 54"`, or
    /// `"not within 300 steps"`.
    pub fn arrival(&self, tolerance: f64) -> String {
        match self.steps_to(tolerance) {
            Some(k) => format!("at step {k}"),
            None => format!("not within {} steps", self.steps()),
        }
    }

    /// The same path with the loss that the contours show under each point in place of the whole
    /// X's: `mean((X·M − I)²)` for X = `at` with the two entries put in. With `at` the minimum,
    /// that is the drawn entries' own share (all of it for the aligned valley's pair, row 0's for
    /// the tilted one), which can reach a tolerance long before the whole X, whose other entries
    /// are not drawn.
    ///
    /// # Errors
    /// As [`loss_slice`].
    pub fn drawn<T: Real>(&self, m: &ArrayRef2<T>, at: &ArrayRef2<T>) -> Result<Path> {
        let mut loss_at = slice_loss(m, at, self.entries)?;
        Ok(Path { losses: self.points.iter().map(|&p| loss_at(p)).collect(), ..self.clone() })
    }

    /// The distance in the plane from each point to `to`.
    pub fn distances(&self, to: [f64; 2]) -> Vec<f64> {
        self.points.iter().map(|p| (p[0] - to[0]).hypot(p[1] - to[1])).collect()
    }

    /// `coordinate` of each point less `centre`: the error along one axis (0 for x, 1 for y).
    ///
    /// # Panics
    /// If `coordinate` is not 0 or 1.
    pub fn errors(&self, coordinate: usize, centre: f64) -> Vec<f64> {
        assert!(coordinate < 2, "coordinate {coordinate}: expected 0 (x) or 1 (y)");
        self.points.iter().map(|p| p[coordinate] - centre).collect()
    }

    /// How often the path crosses the line `coordinate = centre` in its first `steps` steps: the
    /// sign changes of [`errors`](Self::errors) (a point exactly on the line counts as no side).
    pub fn crossings(&self, coordinate: usize, centre: f64, steps: usize) -> usize {
        let errors = self.errors(coordinate, centre);
        let signs: Vec<f64> = errors.iter().take(steps + 1).filter(|e| **e != 0.0).map(|e| e.signum()).collect();
        signs.windows(2).filter(|w| w[0] != w[1]).count()
    }
}

/// Checks M, X and the two entries once, up front.
fn check_problem<T: Real>(m: &ArrayRef2<T>, x: &ArrayRef2<T>, entries: Entries) -> Result<()> {
    ensure_square(m, "M", "the landscape's target is the identity, so X·M must be square")?;
    crate::error::ensure_shape("X (it must have M's shape)", m.dim(), x.shape())?;
    let (rows, cols) = x.dim();
    let outside = entries.iter().find(|&&(i, j)| i >= rows || j >= cols);
    let problem = match outside {
        Some(&(i, j)) => format!("({i}, {j}) is outside X"),
        None if entries[0] == entries[1] => format!("{:?} is given twice", entries[0]),
        None => return Ok(()),
    };
    Err(GdlabError::InvalidEntries { problem, rows, cols })
}

/// The path of `stepper` at learning rate `lr` for `steps` steps on `mean((X·M − I)²)`, from
/// `start`, drawn in the plane of `entries`.
///
/// Every step is the whole X's, as torch's `loss.backward(); optimizer.step()`: the gradient is
/// [`mse_grad`](crate::mse_grad)'s, and an optimiser rounds as torch's does, so the points are
/// torch's bit for bit where [`Optimizer`] says so. A run whose loss stops being finite ends there,
/// with [`Path::diverged`] set.
///
/// ```
/// use gdlab::prelude::*;
/// let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
/// let start: Array2<f32> = TorchRng::manual_seed(314).rand((4, 4));
/// let newton = path(&m, &start, Stepper::Newton, 1.0, 1, [(0, 0), (0, 3)])?;
/// assert_eq!(newton.points[1], [1.0, 0.0]); // one step to the minimum (1, 0)
/// # Ok::<(), gdlab::GdlabError>(())
/// ```
///
/// # Errors
/// Before the first step: [`GdlabError::NotSquare`]/[`GdlabError::Empty`] for M,
/// [`GdlabError::ShapeMismatch`] unless `start` has M's shape, [`GdlabError::InvalidEntries`],
/// [`GdlabError::InvalidLearningRate`], the optimiser's [`GdlabError::InvalidParameter`], and
/// [`GdlabError::Singular`] for Newton on a singular curvature or a zero on the diagonal.
pub fn path<T: Real>(
    m: &ArrayRef2<T>,
    start: &ArrayRef2<T>,
    stepper: impl Into<Stepper>,
    lr: f64,
    steps: usize,
    entries: Entries,
) -> Result<Path> {
    let stepper = stepper.into();
    check_problem(m, start, entries)?;
    ensure_lr(lr, None)?;
    if let Stepper::Optimizer(o) = stepper {
        o.check()?;
    }
    let preconditioner = preconditioner::<T>(m, stepper)?;
    let target = Array2::<T>::eye(m.nrows());
    let mut x = start.to_owned();
    let mut state = OptimizerState::default();
    let [a, b] = entries;
    let (mut points, mut losses) = (Vec::with_capacity(steps + 1), Vec::with_capacity(steps + 1));
    let mut diverged = false;
    for step in 0..=steps {
        let y_hat = x.dot(m);
        let loss = mse_unchecked(&target, &y_hat);
        if !loss.is_finite() {
            diverged = true;
            break;
        }
        points.push([x[a].as_f64(), x[b].as_f64()]);
        losses.push(loss.as_f64());
        if step == steps {
            break;
        }
        let grad = grad_from_y_hat(&y_hat, m, &target);
        match (stepper, &preconditioner) {
            (Stepper::Optimizer(o), _) => o.step(&mut state, &mut x, &grad, lr),
            (_, Some(p)) => {
                // X ← X − lr·(∇·P), P = H⁻¹ (Newton) or diag(1/Hⱼⱼ) (the diagonal).
                let lr = T::from_f64_lossy(lr);
                Zip::from(&mut x).and(&grad.dot(p)).for_each(|x, &s| *x -= lr * s);
            }
            (_, None) => unreachable!("a curvature method always has its preconditioner"),
        }
    }
    Ok(Path { entries, points, losses, final_x: x.mapv(|v| v.as_f64()), diverged })
}

/// The matrix P that Newton (H⁻¹) or the diagonal (diag(1/Hⱼⱼ)) multiplies the gradient by.
fn preconditioner<T: Real>(m: &ArrayRef2<T>, stepper: Stepper) -> Result<Option<Array2<T>>> {
    let singular = || GdlabError::Singular { shape: m.dim() };
    let p = match stepper {
        Stepper::Optimizer(_) => return Ok(None),
        Stepper::Newton => {
            let h = row_hessian(m)?;
            dense::inverse(&to_f64(&h)).ok_or_else(singular)?
        }
        Stepper::Diagonal => {
            let h = row_hessian(m)?;
            if h.diag().iter().any(|&d| d == 0.0) {
                return Err(singular());
            }
            Array2::from_diag(&h.diag().mapv(|d| 1.0 / d))
        }
    };
    if p.iter().all(|v| v.is_finite()) { Ok(Some(p.mapv(T::from_f64_lossy))) } else { Err(singular()) }
}
