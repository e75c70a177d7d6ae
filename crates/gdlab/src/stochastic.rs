//! Stochastic descent: least squares over the documents, by minibatches drawn with torch's
//! shuffles, with torch's numbers.
//!
//! The problem, in the PyTorch that defines it:
//!
//! ```python
//! torch.manual_seed(seed)
//! A = (torch.rand(docs, words) < p).float()        # which words are in which documents
//! w_true = torch.rand(words)                       # each word's hidden weight
//! u = torch.rand(docs)
//! y = A @ w_true + noise * (2 * u - 1)             # each document's score, with uniform noise
//! ```
//!
//! and [`Documents::minibatch_sgd`] runs `torch.optim.SGD` on `((A[idx] @ w - y[idx]) ** 2).mean()`
//! over the batches of `torch.randperm(docs)`, epoch after epoch.
//!
//! ```
//! use gdlab::{Documents, Schedule};
//! let problem = Documents::new(314, 100, 8, 0.3, 0.0)?;
//! let run = problem.minibatch_sgd(1, 30, 0.05, Schedule::Constant)?;
//! assert!(run.epoch_losses[29] < 1e-10); // without noise every document is fitted exactly
//! # Ok::<(), gdlab::GdlabError>(())
//! ```

use ndarray::{Array1, Array2, ArrayRef1, Axis, s};

use crate::error::{Result, ensure_nonempty, ensure_param, ensure_probability};
use crate::linalg::pinv;
use crate::loss::torch_sum;
use crate::optim::{Optimizer, OptimizerState, Sgd};
use crate::rng::TorchRng;
use crate::schedule::Schedule;

/// The least-squares problem over the documents, and the generator after drawing it (the
/// shuffles continue on the same stream, as torch's global generator does).
#[derive(Clone, Debug)]
pub struct Documents {
    /// The docs × words indicator, as float32.
    pub a: Array2<f32>,
    /// Each word's hidden weight.
    pub w_true: Array1<f32>,
    /// Each document's score, `A·w_true` plus uniform noise in ±`noise`.
    pub y: Array1<f32>,
    pub(crate) rng: TorchRng,
}

/// What a minibatch run records.
#[derive(Clone, Debug, PartialEq)]
pub struct MinibatchRun {
    /// The loss of every batch, before its step, in order.
    pub batch_losses: Vec<f32>,
    /// The loss over all documents after every step.
    pub step_losses: Vec<f32>,
    /// The loss over all documents after each epoch (the last of its steps' losses).
    pub epoch_losses: Vec<f32>,
    /// The learning rate of each epoch.
    pub lrs: Vec<f64>,
    /// The weights after the last epoch.
    pub w: Array1<f32>,
    /// The batch size.
    pub batch: usize,
}

impl MinibatchRun {
    /// How many documents' gradients the run had evaluated after each step: the x axis on
    /// which stochastic descent is cheap.
    pub fn documents_touched(&self, docs: usize) -> Vec<f64> {
        let per_epoch = docs.div_ceil(self.batch);
        (0..self.step_losses.len())
            .map(|k| {
                let (epoch, step) = (k / per_epoch, k % per_epoch);
                (epoch * docs + ((step + 1) * self.batch).min(docs)) as f64
            })
            .collect()
    }

    /// The optimizer steps of one epoch over `docs` documents: ⌈docs / batch⌉.
    pub fn steps_per_epoch(&self, docs: usize) -> usize {
        docs.div_ceil(self.batch)
    }
}

impl Documents {
    /// Draws the problem from `torch.manual_seed(seed)`.
    ///
    /// # Errors
    /// [`GdlabError::InvalidProbability`](crate::GdlabError::InvalidProbability) for `p` outside
    /// [0, 1]; [`GdlabError::Empty`](crate::GdlabError::Empty) for no documents or words;
    /// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for a negative or
    /// non-finite `noise`.
    pub fn new(seed: u64, docs: usize, words: usize, p: f64, noise: f64) -> Result<Self> {
        ensure_probability(p)?;
        ensure_nonempty("the documents' indicator", &[docs, words])?;
        ensure_param(noise.is_finite() && noise >= 0.0, "noise", noise, "a finite amplitude >= 0")?;
        let mut rng = TorchRng::manual_seed(seed);
        let (p, noise) = (p as f32, noise as f32);
        let a = rng.rand::<f32, _>((docs, words)).mapv(|v| if v < p { 1.0 } else { 0.0 });
        let w_true: Array1<f32> = rng.rand(words);
        let u: Array1<f32> = rng.rand(docs);
        let y = a.dot(&w_true) + u.mapv(|u| noise * (2.0 * u - 1.0));
        Ok(Documents { a, w_true, y, rng })
    }

    /// torch's global generator right after the draws of the problem: where the shuffles of a
    /// run written out by hand continue, as `torch.randperm` does after `torch.rand`.
    pub fn generator(&self) -> TorchRng {
        self.rng.clone()
    }

    /// `((A @ w - y) ** 2).mean()` over all documents.
    pub fn loss(&self, w: &ArrayRef1<f32>) -> f32 {
        mean_square(&(self.a.dot(w) - &self.y))
    }

    /// The least-squares answer `w⋆ = A⁺·y`, in float64.
    ///
    /// # Errors
    /// As [`pinv`].
    pub fn w_star(&self) -> Result<Array1<f64>> {
        Ok(pinv(&self.a.mapv(f64::from))?.dot(&self.y.mapv(f64::from)))
    }

    /// Minibatch SGD from `w = 0`: each epoch shuffles the documents with `torch.randperm`,
    /// steps once per batch of `batch` (the last may be shorter) at that epoch's rate from
    /// `schedule`, and records the loss over all documents. The same as
    /// [`sgd`](Self::sgd) with [`Sampling::Shuffled`].
    ///
    /// # Errors
    /// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for a batch of 0
    /// or larger than the documents, and what [`Schedule::lrs`] refuses.
    pub fn minibatch_sgd(&self, batch: usize, epochs: usize, lr: f64, schedule: Schedule) -> Result<MinibatchRun> {
        self.sgd(Sampling::Shuffled, batch, epochs, lr, schedule)
    }

    /// Minibatch SGD from `w = 0`, drawing its batches by `sampling`. Every epoch takes
    /// ⌈docs / batch⌉ steps at that epoch's rate from `schedule`; the loss over all documents is
    /// recorded after every step.
    ///
    /// ```
    /// use gdlab::{Documents, Sampling, Schedule};
    /// let problem = Documents::new(314, 100, 8, 0.3, 0.1)?;
    /// let run = problem.sgd(Sampling::Independent, 4, 5, 0.05, Schedule::Constant)?;
    /// assert_eq!(run.step_losses.len(), 5 * 25);
    /// # Ok::<(), gdlab::GdlabError>(())
    /// ```
    ///
    /// # Errors
    /// As [`minibatch_sgd`](Self::minibatch_sgd).
    pub fn sgd(
        &self,
        sampling: Sampling,
        batch: usize,
        epochs: usize,
        lr: f64,
        schedule: Schedule,
    ) -> Result<MinibatchRun> {
        let docs = self.a.nrows();
        ensure_param((1..=docs).contains(&batch), "batch", batch as f64, "1 <= batch <= the number of documents")?;
        let lrs = schedule.lrs(lr, epochs)?;
        let mut rng = self.rng.clone();
        let mut w = Array2::<f32>::zeros((self.a.ncols(), 1));
        let mut state = OptimizerState::default();
        let (mut batch_losses, mut step_losses, mut epoch_losses) =
            (Vec::new(), Vec::new(), Vec::with_capacity(epochs));
        for &lr in &lrs {
            let batches: Vec<Vec<usize>> = match sampling {
                Sampling::Shuffled => rng.randperm(docs)?.chunks(batch).map(<[usize]>::to_vec).collect(),
                Sampling::Independent => (0..docs.div_ceil(batch))
                    .map(|_| rng.randperm(docs).map(|perm| perm[..batch].to_vec()))
                    .collect::<Result<_>>()?,
            };
            for idx in &batches {
                let a = self.a.select(Axis(0), idx);
                let residual = a.dot(&w.column(0)) - self.y.select(Axis(0), idx);
                batch_losses.push(mean_square(&residual));
                // loss.backward(): MeanBackward 1/b, PowBackward ·2r, MvBackward Aᵀ·
                let share = 1.0 / idx.len() as f32;
                let grad = a.t().dot(&residual.mapv(|r| share * (2.0 * r)));
                Sgd.step(&mut state, &mut w, &grad.insert_axis(Axis(1)), lr);
                step_losses.push(self.loss(&w.column(0)));
            }
            epoch_losses.push(*step_losses.last().expect("every epoch takes a step"));
        }
        let w = w.slice(s![.., 0]).to_owned();
        Ok(MinibatchRun { batch_losses, step_losses, epoch_losses, lrs, w, batch })
    }
}

/// How a minibatch run draws its batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Each epoch shuffles the documents, `perm = torch.randperm(docs)`, and takes its batches
    /// in turn, `perm[k:k + batch]`: every document once an epoch (a `DataLoader` with
    /// `shuffle=True`).
    Shuffled,
    /// Each step draws a fresh sample of distinct documents, `torch.randperm(docs)[:batch]`,
    /// independent of the others: a document may come twice in an epoch, or not at all.
    Independent,
}

fn mean_square(r: &ArrayRef1<f32>) -> f32 {
    torch_sum(r.iter().map(|&v| v * v)) / r.len() as f32
}
