//! The checks behind the notebooks' exercises: `check::ex_04_2(&answer, …)`.
//!
//! Each check computes the right answer itself, from the notebook's parameters that it is
//! given, compares the student's answer within a tolerance, and returns a [`Verdict`]: one line,
//! `✓ Exercise 4.2`, or `✗ Exercise 4.2: not yet` with a hint naming what to look at. It never
//! shows the answer and never panics: a NaN, a wrong shape or a function answer that panics is
//! "not yet". Function answers are run on a few cases against gdlab's own step.
//!
//! ```
//! use gdlab::prelude::*;
//! let right = 8.0 * 0.2; // words · p
//! assert!(check::ex_03_1(&right, 8, 0.2).is_right());
//! assert!(check::ex_03_1(&f64::NAN, 8, 0.2).to_string().starts_with("✗ Exercise 3.1: not yet. Hint: "));
//! ```
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use ndarray::{Array2, array};

use crate::autograd::{Tensor, mse_t};
use crate::convergence::{gd_tuning, heavy_ball_tuning, predicted_rates, with_condition_number};
use crate::descent::{InverseDescent, gradient_step, lesson_lr};
use crate::display::{EvcxrShow, send_plain};
use crate::error::Result;
use crate::gradcheck::{Difference, best_step};
use crate::indicator::indicator_matrix;
use crate::linalg::{inverse, stability_bound};
use crate::loss::{mse, mse_grad};
use crate::optim::Momentum;
use crate::rng::TorchRng;

mod stochastic;
pub use stochastic::{FreshSgdFn, ex_06_1, ex_06_2, ex_06_3, ex_06_4};

/// A student's function for exercise 1.4: one update of the loop, `step(x, m, lr)` → the next X.
pub type StepFn = fn(&Array2<f32>, &Array2<f32>, f64) -> Array2<f32>;

/// A student's function for exercise 4.4: one heavy-ball update,
/// `heavy_ball(x, buf, grad, lr, beta)` → (the next X, the next momentum buffer).
pub type HeavyBallFn = fn(&Array2<f64>, &Array2<f64>, &Array2<f64>, f64, f64) -> (Array2<f64>, Array2<f64>);

/// The outcome of one check: right, or not yet with a hint. Displays as one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    exercise: &'static str,
    hint: Option<String>,
}

impl Verdict {
    fn new(exercise: &'static str, right: bool, hint: &str) -> Self {
        Verdict { exercise, hint: (!right).then(|| hint.to_string()) }
    }

    /// Judges with a computation that could fail; a failure is reported, never panicked.
    fn judge(exercise: &'static str, hint: &str, right: impl FnOnce() -> Result<bool>) -> Self {
        match right() {
            Ok(right) => Verdict::new(exercise, right, hint),
            Err(e) => Verdict { exercise, hint: Some(format!("the check could not run ({e})")) },
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
        send_plain(self);
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

fn start(seed: u64, n: usize) -> Array2<f32> {
    TorchRng::manual_seed(seed).rand((n, n))
}

/// Steps of the lesson (M = diag(1, 2, 3, 4), float32) from `seed` at `lr` until the loss is at
/// most `tolerance`; `None` if it never gets there within `limit` steps.
fn steps_to(seed: u64, lr: f64, tolerance: f64, limit: usize) -> Result<Option<usize>> {
    let run = InverseDescent::new(&lesson_m()).seed(seed).lr(lr).steps(limit).tolerance(tolerance).no_snapshots();
    Ok(run.trace()?.converged_at())
}

/// Exercise 1.1: the loss after one step of the lesson from `seed`, from the printed gradient.
pub fn ex_01_1(answer: &f32, seed: u64) -> Verdict {
    Verdict::judge("1.1", "take one step, X − lr·grad, then the mse of that X·M against the identity", || {
        let (m, y) = (lesson_m(), Array2::<f32>::eye(4));
        let mut x = start(seed, 4);
        gradient_step(&mut x, &m, &y, lesson_lr())?;
        Ok(close(f64::from(*answer), f64::from(mse(&y, &x.dot(&m))), 1e-4))
    })
}

/// Exercise 1.2: of the ten seeds `seed`, …, `seed + 9` (wrapping past `u64::MAX`), the one whose `torch.rand` start is
/// farthest from the inverse (the largest sum of squares of X − M⁻¹).
pub fn ex_01_2(answer: &u64, seed: u64) -> Verdict {
    let hint = "for each seed s, start from TorchRng::manual_seed(s).rand((4, 4)) and add up the squares of X − M⁻¹";
    Verdict::judge("1.2", hint, || {
        let inv = inverse(&lesson_m())?;
        let distance = |s: u64| (start(s, 4) - &inv).mapv(|d| d * d).sum();
        let farthest =
            (0..10).map(|k| seed.wrapping_add(k)).map(|s| (distance(s), s)).max_by(|a, b| a.0.total_cmp(&b.0));
        Ok(farthest.map(|(_, s)| s) == Some(*answer))
    })
}

/// Exercise 1.3: the first step `t` of the lesson from `seed` whose loss, `losses[t]`, is below 1e-3.
pub fn ex_01_3(answer: &usize, seed: u64) -> Verdict {
    let hint = "run the loop for longer and find the first t with losses[t] < 1e-3 (t counts from 0, as the printout)";
    Verdict::judge("1.3", hint, || {
        let run = InverseDescent::new(&lesson_m()).seed(seed).steps(1000).no_snapshots().trace()?;
        Ok(run.losses.iter().position(|&l| l < 1e-3) == Some(*answer))
    })
}

/// Exercise 1.4: `step(x, m, lr)`, one update of the loop for any square M, tried on
/// diag(2, 5), the lesson's M and a dense 3×3 matrix against [`gradient_step`].
pub fn ex_01_4(step: StepFn) -> Verdict {
    let hint = "for an n×n M your step must do what the loop's mse_grad line and update do: \
                N is the number of entries of X·M, and lr is used as f32, as torch does";
    Verdict::judge("1.4", hint, || {
        let dense = array![[2.0f32, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 3.0]];
        let cases = [
            (Array2::from_diag(&array![2.0f32, 5.0]), 1, 0.1),
            (Array2::from_diag(&array![2.0f32, 5.0]), 2, 0.2),
            (lesson_m(), 314, lesson_lr()),
            (dense, 3, 0.05),
        ];
        for (m, seed, lr) in cases {
            let n = m.nrows();
            let x = start(seed, n);
            let mut want = x.clone();
            gradient_step(&mut want, &m, &Array2::eye(n), lr)?;
            let Some(got) = quietly(|| step(&x, &m, lr)) else { return Ok(false) };
            if !same_matrix(&got.mapv(f64::from), &want.mapv(f64::from), 1e-5) {
                return Ok(false);
            }
        }
        Ok(true)
    })
}

/// Exercise 2.1: `X.grad[0, 0]` after three forward and backward passes of the lesson's loss
/// from `seed`, without `zero_grad` in between (float32, on the tape).
pub fn ex_02_1(answer: &f32, seed: u64) -> Verdict {
    let hint = "backward() adds into .grad: run the loss and backward() three times at the same X, then read x.grad()";
    Verdict::judge("2.1", hint, || {
        let (m, y) = (Tensor::constant(lesson_m()), Tensor::constant(Array2::eye(4)));
        let x = Tensor::leaf(start(seed, 4));
        for _ in 0..3 {
            mse_t(&y, &x.matmul(&m)?)?.backward()?;
        }
        let want = x.grad().map_or(f64::NAN, |g| f64::from(g[[0, 0]]));
        Ok(close(f64::from(*answer), want, 1e-6))
    })
}

/// The minimiser of the ridge loss `mean((X·M − I)²) + λ·mean(X²)`: `Mᵀ·(M·Mᵀ + λI)⁻¹`.
fn ridge_minimiser(m: &Array2<f64>, lambda: f64) -> Result<Array2<f64>> {
    let n = m.nrows();
    Ok(m.t().dot(&inverse(&(m.dot(&m.t()) + lambda * &Array2::<f64>::eye(n)))?))
}

/// Exercise 2.2: `(X*·M)[0, 0]` for the minimiser X* of the ridge loss with weight `lambda` on
/// the lesson's M (float64).
pub fn ex_02_2(answer: &f64, lambda: f64) -> Verdict {
    let hint =
        "set the ridge gradient (2/N)·((X·M − I)·Mᵀ + λ·X) to zero; on a diagonal M each entry is its own equation";
    Verdict::judge("2.2", hint, || {
        let m = lesson_m64();
        Ok(close(*answer, ridge_minimiser(&m, lambda)?.dot(&m)[[0, 0]], 1e-9))
    })
}

/// Exercise 2.3: the predicted best step h of forward differences for the lesson's loss at the
/// start from `seed`, if the loss were computed in float32 (ε = `f32::EPSILON`).
pub fn ex_02_3(answer: &f64, seed: u64) -> Verdict {
    let hint = "the same error model as the f64 sweep, h = √(2·ε·|f| / f''), with float32's ε and the largest f''";
    Verdict::judge("2.3", hint, || {
        let m = lesson_m64();
        let loss = mse(&Array2::eye(4), &start(seed, 4).mapv(f64::from).dot(&m));
        let curvature = m.mapv(|v| v * v).sum_axis(ndarray::Axis(1)).fold(0.0f64, |a, &b| a.max(b)) * 2.0 / 16.0;
        let want = best_step(Difference::Forward, loss, curvature, f64::from(f32::EPSILON));
        Ok(close(*answer, want, 1e-3))
    })
}

/// A student's function for exercise 2.4: the ridge loss's gradient, `ridge_grad(x, m, lambda)`.
pub type RidgeGradFn = fn(&Array2<f64>, &Array2<f64>, f64) -> Array2<f64>;

/// Exercise 2.4: `ridge_grad(x, m, lambda)`, the gradient of `mean((X·M − I)²) + λ·mean(X²)`,
/// tried on the lesson's M, a dense 3×3 M and a 2×2 one against the tape's.
pub fn ex_02_4(ridge_grad: RidgeGradFn, seed: u64) -> Verdict {
    let hint = "the chain rule term by term: the mse part is mse_grad's formula, and mean(X²) adds 2X/N, times λ";
    Verdict::judge("2.4", hint, || {
        let dense = array![[2.0f64, 1.0, 0.0], [0.5, 3.0, 1.0], [0.0, 1.0, 4.0]];
        let cases = [(lesson_m64(), 0.5), (dense, 0.1), (array![[1.0f64, 2.0], [0.0, 1.0]], 2.0)];
        for (k, (m, lambda)) in cases.into_iter().enumerate() {
            let n = m.nrows();
            let x0: Array2<f64> = TorchRng::manual_seed(seed.wrapping_add(k as u64)).rand((n, n));
            let x = Tensor::leaf(x0.clone());
            let loss = (&mse_t(&Tensor::constant(Array2::eye(n)), &x.matmul(&Tensor::constant(m.clone()))?)?
                + &x.pow(2).mean().scale(lambda))?;
            loss.backward()?;
            let want = x.grad().unwrap_or_else(|| Array2::zeros((n, n)));
            let Some(got) = quietly(|| ridge_grad(&x0, &m, lambda)) else { return Ok(false) };
            if !same_matrix(&got, &want, 1e-9) {
                return Ok(false);
            }
        }
        Ok(true)
    })
}

/// Exercise 3.1: the expected number of words per document, for `words` words each present with
/// probability `p`.
pub fn ex_03_1(answer: &f64, words: usize, p: f64) -> Verdict {
    let hint = "each of the `words` entries of a row is 1 with probability p: add up what each contributes";
    Verdict::new("3.1", close(*answer, words as f64 * p, 1e-9), hint)
}

/// Exercise 3.2: the mean number of words per document in the notebook's matrix `a`
/// (`indicator_matrix(&mut TorchRng::manual_seed(seed), documents, words, p)`).
pub fn ex_03_2(answer: &f64, seed: u64, documents: usize, words: usize, p: f64) -> Verdict {
    Verdict::judge("3.2", "sum each row of the matrix `a`, then take the mean over the documents", || {
        let a = indicator_matrix(&mut TorchRng::manual_seed(seed), documents, words, p)?;
        Ok(close(*answer, f64::from(a.sum()) / documents as f64, 1e-9))
    })
}

/// Exercise 3.3: the expected number of documents, of `documents`, that hold at least one word.
pub fn ex_03_3(answer: &f64, documents: usize, words: usize, p: f64) -> Verdict {
    let hint = "first the probability that a document holds no word at all: each of its entries is 0 with \
                probability 1 − p";
    Verdict::new("3.3", close(*answer, documents as f64 * (1.0 - (1.0 - p).powi(words as i32)), 1e-9), hint)
}

/// Exercise 3.4: the fewest documents for which the density's standard error,
/// `√(p(1−p)/(documents·words))`, is at most 0.001 (within one document).
pub fn ex_03_4(answer: &usize, words: usize, p: f64) -> Verdict {
    let hint = "solve √(p(1−p)/(n·words)) ≤ 0.001 for the number of documents n, and round up";
    let fewest = (p * (1.0 - p) / (1e-6 * words as f64)).ceil();
    Verdict::new("3.4", fewest.is_finite() && (*answer as f64 - fewest).abs() <= 1.0, hint)
}

/// Exercise 4.1: the predicted per-step rate of the error's slowest direction at `lr`, for the
/// lesson's M: the largest `|1 − 2·lr·λ/N|`.
pub fn ex_04_1(answer: &f64, lr: f64) -> Verdict {
    let hint = "for each eigenvalue λ of MᵀM compute |1 − 2·lr·λ/N|; the slowest direction has the largest";
    Verdict::judge("4.1", hint, || {
        let slowest = predicted_rates(&lesson_m(), lr)?.iter().map(|&(_, f)| f.abs()).fold(0.0, f64::max);
        Ok(close(*answer, slowest, 1e-6))
    })
}

/// Exercise 4.2: how many steps the lesson from `seed` at `lr` takes to bring the loss to
/// `tolerance` (within one step); `usize::MAX` if it never does.
pub fn ex_04_2(answer: &usize, seed: u64, lr: f64, tolerance: f64) -> Verdict {
    let hint =
        "run InverseDescent with .tolerance(tolerance) and enough steps, and read when it stopped (converged_at)";
    Verdict::judge("4.2", hint, || {
        Ok(match steps_to(seed, lr, tolerance, 10_000)? {
            Some(want) => answer.abs_diff(want) <= 1,
            None => *answer == usize::MAX,
        })
    })
}

/// Exercise 4.3: a learning rate that brings the lesson from `seed` to `tolerance` in the
/// fewest steps, measured: the answer's steps are compared with the best of 200 rates between
/// half the stability bound and the bound (within one step). The theory's `N/(λ_min + λ_max)`
/// is best only in the long run, and is not accepted where it takes more steps.
pub fn ex_04_3(answer: &f64, seed: u64, tolerance: f64) -> Verdict {
    let hint = "measure: run the descent to the tolerance at many rates below the stability bound and keep \
                the one with the fewest steps (the theory's best rate wins only in the long run)";
    Verdict::judge("4.3", hint, || {
        let bound = stability_bound(&lesson_m())?;
        if !(answer.is_finite() && *answer > 0.0 && *answer < bound) {
            return Ok(false);
        }
        let mut fewest = usize::MAX;
        for i in 0..200 {
            if let Some(s) = steps_to(seed, bound * (0.5 + i as f64 / 400.0), tolerance, 2000)? {
                fewest = fewest.min(s);
            }
        }
        Ok(steps_to(seed, *answer, tolerance, 2000)?.is_some_and(|s| s <= fewest.saturating_add(1)))
    })
}

/// Exercise 4.4: the smallest learning rate at which gradient descent on M = [[2, 1], [1, 3]]
/// diverges (within 0.1 %).
pub fn ex_04_4(answer: &f64) -> Verdict {
    let hint = "descent diverges once |1 − 2·lr·λ_max/N| > 1, with λ_max the largest eigenvalue of MᵀM \
                and N = 4 entries";
    Verdict::judge("4.4", hint, || Ok(close(*answer, stability_bound(&array![[2.0f64, 1.0], [1.0, 3.0]])?, 1e-3)))
}

/// Exercise 5.1: plain descent's best per-step rate for `with_condition_number(4, 10.0, seed)`.
pub fn ex_05_1(answer: &f64, seed: u64) -> Verdict {
    let hint = "the best constant rate gives (κ − 1)/(κ + 1), with κ the curvature condition of MᵀM";
    Verdict::judge("5.1", hint, || Ok(close(*answer, gd_tuning(&with_condition_number(4, 10.0, seed)?)?.rate, 1e-6)))
}

/// Exercise 5.2: Polyak's heavy-ball `(lr, β)` for `with_condition_number(4, 10.0, seed)`,
/// each within 0.1 %.
pub fn ex_05_2(answer: &(f64, f64), seed: u64) -> Verdict {
    let hint = "Polyak's tuning, as the notebook computes it for diag(1, 2, 3, 4), with the λ_min and λ_max \
                of this matrix";
    Verdict::judge("5.2", hint, || {
        let best = heavy_ball_tuning(&with_condition_number(4, 10.0, seed)?)?;
        Ok(close(answer.0, best.lr, 1e-3) && close(answer.1, best.beta, 1e-3))
    })
}

/// Exercise 5.3: the steps heavy ball at Polyak's `(lr, β)` needs to bring the lesson (float64,
/// from `seed`) to a loss of 1e-10, within one step.
pub fn ex_05_3(answer: &usize, seed: u64) -> Verdict {
    let hint = "run InverseDescent on the float64 M with Momentum::heavy_ball(β) at Polyak's lr and .tolerance(1e-10)";
    Verdict::judge("5.3", hint, || {
        let m = lesson_m64();
        let best = heavy_ball_tuning(&m)?;
        let run = InverseDescent::new(&m).seed(seed).steps(5000).lr(best.lr).tolerance(1e-10).no_snapshots();
        let want = run.optimizer(Momentum::heavy_ball(best.beta)).trace()?.converged_at();
        Ok(want.is_some_and(|w| answer.abs_diff(w) <= 1))
    })
}

/// Exercise 5.4: `heavy_ball(x, buf, grad, lr, beta)`, one step of `torch.optim.SGD(momentum=β)`,
/// run for 30 steps from `seed` (the buffer starting at zero) against gdlab's [`Momentum`].
pub fn ex_05_4(heavy_ball: HeavyBallFn, seed: u64) -> Verdict {
    let hint = "first the buffer, buf ← β·buf + grad, then X ← X − lr·buf; return both";
    Verdict::judge("5.4", hint, || {
        let (m, y) = (lesson_m64(), Array2::<f64>::eye(4));
        for (lr, beta) in [(1.28, 0.36), (0.1, 0.9)] {
            let want = InverseDescent::new(&m).seed(seed).steps(30).lr(lr).no_snapshots();
            let want = want.optimizer(Momentum::heavy_ball(beta)).trace()?.x;
            let mut x: Array2<f64> = TorchRng::manual_seed(seed).rand((4, 4));
            let mut buf = Array2::<f64>::zeros((4, 4));
            for _ in 0..30 {
                let grad = mse_grad(&x, &m, &y);
                let Some(next) = quietly(|| heavy_ball(&x, &buf, &grad, lr, beta)) else { return Ok(false) };
                if next.0.shape() != [4, 4] || next.1.shape() != [4, 4] {
                    return Ok(false);
                }
                (x, buf) = next;
            }
            if !same_matrix(&x, &want, 1e-9) {
                return Ok(false);
            }
        }
        Ok(true)
    })
}
