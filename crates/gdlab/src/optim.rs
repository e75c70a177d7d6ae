//! torch.optim's update rules, step for step: plain SGD, heavy-ball momentum, Nesterov, Adam,
//! RMSprop and Adagrad.
//!
//! Each optimiser is its parameters ([`Sgd`], [`Momentum`], [`Adam`]); what a run carries from
//! step to step (the momentum buffer, Adam's averages and step count) is an
//! [`OptimizerState`]. [`Optimizer::step`] is torch's `optimizer.step()` after
//! `loss.backward()`: it takes `X.grad` and updates X.
//!
//! The arithmetic follows torch's CPU kernels, so that on the lesson's matrix the numbers are
//! torch's bit for bit. One detail matters: torch's vectorised kernels for `add_(b, alpha=a)`
//! and `lerp_` compute with a fused multiply-add, in chunks of two 256-bit vectors (16
//! `float32`s, 8 `float64`s); elements past the last whole chunk go through the plain formula.
//! Adam's, RMSprop's and Adagrad's square root is the exception: torch's CPU `sqrt` goes
//! through Intel MKL's vector math (accurate to about an ulp, not correctly rounded), so they
//! agree with torch to about 1e-6, not to the bit.

use std::fmt;

use ndarray::{Array2, ArrayRef2, Zip};

use crate::error::{Result, ensure_param};
use crate::real::Real;

/// What an optimiser carries from one step to the next, as torch's `optimizer.state[X]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptimizerState<T> {
    /// How many steps were taken (Adam's `state['step']`).
    pub steps: u64,
    /// The momentum buffer, or Adam's first moment `exp_avg`.
    pub first: Option<Array2<T>>,
    /// Adam's second moment `exp_avg_sq`, RMSprop's `square_avg`, or Adagrad's `sum`.
    pub second: Option<Array2<T>>,
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Sgd {}
    impl Sealed for super::Momentum {}
    impl Sealed for super::Adam {}
    impl Sealed for super::RmsProp {}
    impl Sealed for super::Adagrad {}
    impl Sealed for super::AnyOptimizer {}
}

/// An update rule of torch.optim. Its parameters are checked once, before a run. Sealed:
/// [`InverseDescent::optimizer`](crate::InverseDescent::optimizer) takes the rules gdlab
/// implements, each rounded as torch rounds it.
pub trait Optimizer: Copy + fmt::Debug + sealed::Sealed {
    /// torch's name for it, e.g. `"SGD(momentum=0.9, nesterov=True)"`.
    fn describe(&self) -> String;

    /// Checks the parameters.
    ///
    /// # Errors
    /// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) naming the
    /// parameter and its range.
    fn check(&self) -> Result<()>;

    /// `optimizer.step()`: updates `x` from its gradient `grad` at learning rate `lr`.
    fn step<T: Real>(&self, state: &mut OptimizerState<T>, x: &mut ArrayRef2<T>, grad: &ArrayRef2<T>, lr: f64);
}

/// `torch.optim.SGD(params, lr)`: `X ← X − lr·∇X`, computed as torch's `param.add_(grad, alpha=-lr)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sgd;

/// `torch.optim.SGD(params, lr, momentum=beta, nesterov=…)`: heavy-ball momentum, or Nesterov's.
///
/// The buffer starts as the first gradient itself (torch's `torch.clone(grad)`), then
/// `buf ← beta·buf + grad`; the step uses `buf`, or `grad + beta·buf` with Nesterov.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Momentum {
    /// The momentum factor β, in [0, 1).
    pub beta: f64,
    /// Nesterov's look-ahead form.
    pub nesterov: bool,
}

impl Momentum {
    /// Heavy-ball momentum `beta`.
    pub fn heavy_ball(beta: f64) -> Self {
        Momentum { beta, nesterov: false }
    }

    /// Nesterov momentum `beta`.
    pub fn nesterov(beta: f64) -> Self {
        Momentum { beta, nesterov: true }
    }
}

/// `torch.optim.Adam(params, lr, betas=(beta1, beta2), eps=eps)`, with bias correction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adam {
    /// Decay of the first moment (torch: 0.9).
    pub beta1: f64,
    /// Decay of the second moment (torch: 0.999).
    pub beta2: f64,
    /// Added to the denominator (torch: 1e-8).
    pub eps: f64,
}

impl Default for Adam {
    /// torch's defaults: betas (0.9, 0.999), eps 1e-8.
    fn default() -> Self {
        Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8 }
    }
}

/// `torch.optim.RMSprop(params, lr, alpha=alpha, eps=eps)`: uncentred, without momentum.
///
/// `square_avg ← alpha·square_avg + (1 − alpha)·grad²`, then `X ← X − lr·grad / (√square_avg + eps)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsProp {
    /// Decay of the average of squared gradients (torch: 0.99).
    pub alpha: f64,
    /// Added to the denominator (torch: 1e-8).
    pub eps: f64,
}

impl Default for RmsProp {
    /// torch's defaults: alpha 0.99, eps 1e-8.
    fn default() -> Self {
        RmsProp { alpha: 0.99, eps: 1e-8 }
    }
}

/// `torch.optim.Adagrad(params, lr, lr_decay=lr_decay, eps=eps)`, the accumulator starting at 0.
///
/// `sum ← sum + grad²`, then `X ← X − clr·grad / (√sum + eps)` with `clr = lr / (1 + (t − 1)·lr_decay)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adagrad {
    /// How fast the rate decays with the step count t (torch: 0).
    pub lr_decay: f64,
    /// Added to the denominator (torch: 1e-10).
    pub eps: f64,
}

impl Default for Adagrad {
    /// torch's defaults: lr_decay 0, eps 1e-10.
    fn default() -> Self {
        Adagrad { lr_decay: 0.0, eps: 1e-10 }
    }
}

/// How many leading elements torch's vectorised loop handles (whole chunks of two 256-bit vectors).
fn vectorised<T: Real>(len: usize) -> usize {
    let chunk = 2 * 32 / std::mem::size_of::<T>();
    len - len % chunk
}

/// `a.add_(b, alpha=alpha)`, as torch's CPU kernel rounds it.
fn add_scaled<T: Real>(a: &mut ArrayRef2<T>, b: &ArrayRef2<T>, alpha: T) {
    let fused = vectorised::<T>(a.len());
    let mut i = 0;
    Zip::from(a).and(b).for_each(|a, &b| {
        *a = if i < fused { b.mul_add(alpha, *a) } else { *a + alpha * b };
        i += 1;
    });
}

/// `acc.addcmul_(g, g, value=value)`, as torch's CPU kernel rounds it: `acc + value·g·g`,
/// fused in the vectorised part.
fn add_squares<T: Real>(acc: &mut ArrayRef2<T>, g: &ArrayRef2<T>, value: T) {
    let fused = vectorised::<T>(g.len());
    let mut i = 0;
    Zip::from(acc).and(g).for_each(|a, &g| {
        *a = if i < fused { (value * g).mul_add(g, *a) } else { *a + value * g * g };
        i += 1;
    });
}

/// `x.addcdiv_(grad, acc.sqrt().add_(eps), value=-lr)`: the step of RMSprop and Adagrad.
fn scaled_step<T: Real>(x: &mut ArrayRef2<T>, grad: &ArrayRef2<T>, acc: &ArrayRef2<T>, lr: f64, eps: f64) {
    let (value, eps) = (T::from_f64_lossy(-lr), T::from_f64_lossy(eps));
    Zip::from(x).and(grad).and(acc).for_each(|x, &g, &a| *x += value * g / (a.sqrt() + eps));
}

/// `start.lerp_(end, weight)` for a weight below 0.5, as torch's CPU kernel rounds it.
fn lerp_small<T: Real>(start: &mut ArrayRef2<T>, end: &ArrayRef2<T>, weight: T) {
    let fused = vectorised::<T>(start.len());
    let mut i = 0;
    Zip::from(start).and(end).for_each(|s, &e| {
        *s = if i < fused { weight.mul_add(e - *s, *s) } else { *s + weight * (e - *s) };
        i += 1;
    });
}

impl Optimizer for Sgd {
    fn describe(&self) -> String {
        "SGD".into()
    }

    fn check(&self) -> Result<()> {
        Ok(())
    }

    fn step<T: Real>(&self, _: &mut OptimizerState<T>, x: &mut ArrayRef2<T>, grad: &ArrayRef2<T>, lr: f64) {
        add_scaled(x, grad, T::from_f64_lossy(-lr));
    }
}

impl Optimizer for Momentum {
    fn describe(&self) -> String {
        let nesterov = if self.nesterov { ", nesterov=True" } else { "" };
        format!("SGD(momentum={}{nesterov})", self.beta)
    }

    fn check(&self) -> Result<()> {
        ensure_param((0.0..1.0).contains(&self.beta), "momentum", self.beta, "0 <= beta < 1")
    }

    fn step<T: Real>(&self, state: &mut OptimizerState<T>, x: &mut ArrayRef2<T>, grad: &ArrayRef2<T>, lr: f64) {
        let beta = T::from_f64_lossy(self.beta);
        let buf = match state.first.as_mut() {
            None => state.first.insert(grad.to_owned()),
            Some(buf) => {
                buf.mapv_inplace(|b| b * beta);
                add_scaled(buf, grad, T::one());
                buf
            }
        };
        state.steps += 1;
        if self.nesterov {
            let mut look_ahead = grad.to_owned();
            add_scaled(&mut look_ahead, buf, beta);
            add_scaled(x, &look_ahead, T::from_f64_lossy(-lr));
        } else {
            add_scaled(x, buf, T::from_f64_lossy(-lr));
        }
    }
}

impl Optimizer for Adam {
    fn describe(&self) -> String {
        format!("Adam(betas=({}, {}), eps={})", self.beta1, self.beta2, self.eps)
    }

    fn check(&self) -> Result<()> {
        ensure_param((0.0..1.0).contains(&self.beta1), "beta1", self.beta1, "0 <= beta1 < 1")?;
        ensure_param((0.0..1.0).contains(&self.beta2), "beta2", self.beta2, "0 <= beta2 < 1")?;
        ensure_param(self.eps >= 0.0 && self.eps.is_finite(), "eps", self.eps, "a finite eps >= 0")
    }

    fn step<T: Real>(&self, state: &mut OptimizerState<T>, x: &mut ArrayRef2<T>, grad: &ArrayRef2<T>, lr: f64) {
        let zeros = || Array2::zeros(grad.raw_dim());
        state.steps += 1;
        let exp_avg = state.first.get_or_insert_with(zeros);
        // exp_avg.lerp_(grad, 1 - beta1)
        lerp_small(exp_avg, grad, T::from_f64_lossy(1.0 - self.beta1));
        // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        let exp_avg_sq = state.second.get_or_insert_with(zeros);
        let beta2 = T::from_f64_lossy(self.beta2);
        exp_avg_sq.mapv_inplace(|v| v * beta2);
        add_squares(exp_avg_sq, grad, T::from_f64_lossy(1.0 - self.beta2));
        // Python floats: bias corrections and the step size.
        let step = state.steps as f64;
        let bias_correction1 = 1.0 - self.beta1.powf(step);
        let bias_correction2_sqrt = (1.0 - self.beta2.powf(step)).powf(0.5);
        let step_size = T::from_f64_lossy(-(lr / bias_correction1));
        let (root, eps) = (T::from_f64_lossy(bias_correction2_sqrt), T::from_f64_lossy(self.eps));
        // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        // param.addcdiv_(exp_avg, denom, value=-step_size)
        let exp_avg = state.first.as_ref().expect("set above");
        Zip::from(x).and(exp_avg).and(&*exp_avg_sq).for_each(|x, &m, &v| {
            let denom = v.sqrt() / root + eps;
            *x += step_size * m / denom;
        });
    }
}

impl Optimizer for RmsProp {
    fn describe(&self) -> String {
        format!("RMSprop(alpha={}, eps={})", self.alpha, self.eps)
    }

    fn check(&self) -> Result<()> {
        ensure_param((0.0..=1.0).contains(&self.alpha), "alpha", self.alpha, "0 <= alpha <= 1")?;
        ensure_param(self.eps >= 0.0 && self.eps.is_finite(), "eps", self.eps, "a finite eps >= 0")
    }

    fn step<T: Real>(&self, state: &mut OptimizerState<T>, x: &mut ArrayRef2<T>, grad: &ArrayRef2<T>, lr: f64) {
        state.steps += 1;
        // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        let square_avg = state.second.get_or_insert_with(|| Array2::zeros(grad.raw_dim()));
        let alpha = T::from_f64_lossy(self.alpha);
        square_avg.mapv_inplace(|v| v * alpha);
        add_squares(square_avg, grad, T::from_f64_lossy(1.0 - self.alpha));
        scaled_step(x, grad, square_avg, lr, self.eps);
    }
}

impl Optimizer for Adagrad {
    fn describe(&self) -> String {
        format!("Adagrad(lr_decay={}, eps={})", self.lr_decay, self.eps)
    }

    fn check(&self) -> Result<()> {
        ensure_param(
            self.lr_decay >= 0.0 && self.lr_decay.is_finite(),
            "lr_decay",
            self.lr_decay,
            "a finite lr_decay >= 0",
        )?;
        ensure_param(self.eps >= 0.0 && self.eps.is_finite(), "eps", self.eps, "a finite eps >= 0")
    }

    fn step<T: Real>(&self, state: &mut OptimizerState<T>, x: &mut ArrayRef2<T>, grad: &ArrayRef2<T>, lr: f64) {
        state.steps += 1;
        // clr = lr / (1 + (step - 1) * lr_decay), in Python floats
        let clr = lr / (1.0 + (state.steps as f64 - 1.0) * self.lr_decay);
        let sum = state.second.get_or_insert_with(|| Array2::zeros(grad.raw_dim()));
        add_squares(sum, grad, T::one());
        scaled_step(x, grad, sum, clr, self.eps);
    }
}

/// One of the optimisers, for [`InverseDescent::optimizer`](crate::InverseDescent::optimizer).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AnyOptimizer {
    /// The lesson's own update, `X.sub_(lr * X.grad)`: the default.
    Lesson,
    /// [`Sgd`].
    Sgd(Sgd),
    /// [`Momentum`].
    Momentum(Momentum),
    /// [`Adam`].
    Adam(Adam),
    /// [`RmsProp`].
    RmsProp(RmsProp),
    /// [`Adagrad`].
    Adagrad(Adagrad),
}

impl From<Sgd> for AnyOptimizer {
    fn from(o: Sgd) -> Self {
        AnyOptimizer::Sgd(o)
    }
}

impl From<Momentum> for AnyOptimizer {
    fn from(o: Momentum) -> Self {
        AnyOptimizer::Momentum(o)
    }
}

impl From<Adam> for AnyOptimizer {
    fn from(o: Adam) -> Self {
        AnyOptimizer::Adam(o)
    }
}

impl From<RmsProp> for AnyOptimizer {
    fn from(o: RmsProp) -> Self {
        AnyOptimizer::RmsProp(o)
    }
}

impl From<Adagrad> for AnyOptimizer {
    fn from(o: Adagrad) -> Self {
        AnyOptimizer::Adagrad(o)
    }
}

impl Optimizer for AnyOptimizer {
    fn describe(&self) -> String {
        match self {
            AnyOptimizer::Lesson => "the lesson's update X.sub_(lr * X.grad)".into(),
            AnyOptimizer::Sgd(o) => o.describe(),
            AnyOptimizer::Momentum(o) => o.describe(),
            AnyOptimizer::Adam(o) => o.describe(),
            AnyOptimizer::RmsProp(o) => o.describe(),
            AnyOptimizer::Adagrad(o) => o.describe(),
        }
    }

    fn check(&self) -> Result<()> {
        match self {
            AnyOptimizer::Lesson => Ok(()),
            AnyOptimizer::Sgd(o) => o.check(),
            AnyOptimizer::Momentum(o) => o.check(),
            AnyOptimizer::Adam(o) => o.check(),
            AnyOptimizer::RmsProp(o) => o.check(),
            AnyOptimizer::Adagrad(o) => o.check(),
        }
    }

    fn step<T: Real>(&self, state: &mut OptimizerState<T>, x: &mut ArrayRef2<T>, grad: &ArrayRef2<T>, lr: f64) {
        match self {
            AnyOptimizer::Lesson => {
                // lr * grad is rounded before the subtraction, as the original's two tensor ops.
                let lr = T::from_f64_lossy(lr);
                Zip::from(x).and(grad).for_each(|x, &g| *x -= lr * g);
            }
            AnyOptimizer::Sgd(o) => o.step(state, x, grad, lr),
            AnyOptimizer::Momentum(o) => o.step(state, x, grad, lr),
            AnyOptimizer::Adam(o) => o.step(state, x, grad, lr),
            AnyOptimizer::RmsProp(o) => o.step(state, x, grad, lr),
            AnyOptimizer::Adagrad(o) => o.step(state, x, grad, lr),
        }
    }
}
