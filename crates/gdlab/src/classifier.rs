//! A classifier of two digits, trained with the lesson's own tape and minibatch loop: the linear
//! model `nn.Linear(64, 1)` or one hidden layer, `Linear(64, h) → ReLU → Linear(h, 1)`, with
//! binary cross-entropy on the logits and SGD, as the PyTorch in #32 writes it; any of torch.optim's
//! rules from [`crate::optim`] and a schedule from [`crate::schedule`] can take SGD's place.

use ndarray::{Array1, Array2, ArrayViewMut2, Axis};

use crate::autograd::Tensor;
use crate::digits::{Linear, Split, digits_split};
use crate::error::{Result, ensure_param};
use crate::optim::{AnyOptimizer, Optimizer, OptimizerState, Sgd};
use crate::rng::TorchRng;
use crate::schedule::Schedule;

/// How to train: the notebook's defaults are `DigitsParams::default()`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DigitsParams {
    /// `torch.manual_seed(seed)` before the split, the initialisation and the epochs' orders.
    pub seed: u64,
    /// `None` for the linear model, `Some(h)` for one hidden layer of width h.
    pub hidden: Option<usize>,
    /// The learning rate (the first epoch's, under a schedule).
    pub lr: f32,
    /// Images per step; the last batch of an epoch takes what is left.
    pub batch: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// The update rule: `torch.optim.SGD(model.parameters(), lr)` unless another is chosen.
    pub optimizer: AnyOptimizer,
    /// The rate of each epoch: `sched.step()` after every epoch.
    pub schedule: Schedule,
}

impl Default for DigitsParams {
    fn default() -> Self {
        DigitsParams {
            seed: 314,
            hidden: None,
            lr: 0.5,
            batch: 16,
            epochs: 20,
            optimizer: AnyOptimizer::Sgd(Sgd),
            schedule: Schedule::Constant,
        }
    }
}

/// A trained model and what was recorded after each epoch.
#[derive(Clone, Debug)]
pub struct DigitsRun {
    /// Which rows trained and which validated.
    pub split: Split,
    /// The layers as initialised (torch's draws).
    pub initial: Vec<Linear>,
    /// The layers after the last epoch.
    pub layers: Vec<Linear>,
    /// The mean BCE over the training set after each epoch.
    pub train_losses: Vec<f32>,
    /// The mean BCE over the validation set after each epoch.
    pub valid_losses: Vec<f32>,
    /// The fraction of training images classified right after each epoch.
    pub train_accuracy: Vec<f32>,
    /// The fraction of validation images classified right after each epoch.
    pub valid_accuracy: Vec<f32>,
}

/// The layers' logits for the rows of `x`, one per row (an n × 1 column), on the tape.
fn forward(layers: &[Tensor<f32>], x: &Tensor<f32>) -> Result<Tensor<f32>> {
    let mut h = x.clone();
    for (k, pair) in layers.chunks(2).enumerate() {
        if k > 0 {
            h = h.relu();
        }
        h = h.matmul(&pair[0].t())?.add_row(&pair[1])?; // x @ W.T + b
    }
    Ok(h)
}

/// The layers' logits for every row of `x`, outside any graph.
pub fn digits_logits(layers: &[Linear], x: &Array2<f32>) -> Result<Array1<f32>> {
    let tensors = as_tensors(layers, false);
    Ok(forward(&tensors, &Tensor::constant(x.clone()))?.value().remove_axis(Axis(1)))
}

/// The mean binary cross-entropy of the layers' logits on the rows of `x` against the targets `y`
/// (1.0 or 0.0 a row): `F.binary_cross_entropy_with_logits(model(x).squeeze(1), y)`.
///
/// # Errors
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) if `y` has not one entry per row of `x`.
pub fn digits_loss(layers: &[Linear], x: &Array2<f32>, y: &Array1<f32>) -> Result<f32> {
    crate::error::ensure_shape("the targets (one per image)", (x.nrows(), 1), &[y.len(), 1])?;
    let logits = forward(&as_tensors(layers, false), &Tensor::constant(x.clone()))?;
    logits.bce_with_logits(&y.clone().insert_axis(Axis(1)))?.item()
}

fn as_tensors(layers: &[Linear], trained: bool) -> Vec<Tensor<f32>> {
    let make = if trained { Tensor::leaf } else { Tensor::constant };
    layers.iter().flat_map(|l| [make(l.weight.clone()), make(l.bias.clone().insert_axis(Axis(0)))]).collect()
}

/// Trains on `x` (one image a row) and `y` (1.0 or 0.0 a row) as #32's PyTorch does: split,
/// initialise, then per epoch `order = train[randperm(len(train))]`, a step per batch of
/// `order`, and the loss and the accuracy on both sets recorded.
///
/// # Errors
/// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) for a width of 0, a batch
/// of 0 or larger than the training set, a learning rate that is not finite and > 0, or no epoch;
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) if `y` has not one entry per row of `x`.
pub fn digits_run(x: &Array2<f32>, y: &Array1<f32>, p: DigitsParams) -> Result<DigitsRun> {
    crate::error::ensure_shape("the targets (one per image)", (x.nrows(), 1), &[y.len(), 1])?;
    ensure_param(p.hidden != Some(0), "hidden", 0.0, "a hidden layer at least 1 wide")?;
    ensure_param(p.lr.is_finite() && p.lr > 0.0, "lr", f64::from(p.lr), "a finite learning rate > 0")?;
    ensure_param(p.epochs > 0, "epochs", 0.0, "at least one epoch")?;
    p.optimizer.check()?;
    let lrs = p.schedule.lrs(f64::from(p.lr), p.epochs)?;
    let mut rng = TorchRng::manual_seed(p.seed);
    let split = digits_split(&mut rng, x.nrows())?;
    ensure_param(
        p.batch > 0 && p.batch <= split.train.len(),
        "batch",
        p.batch as f64,
        "a batch of 1 up to the training set's size",
    )?;
    let mut layers = match p.hidden {
        None => vec![Linear::torch_init(&mut rng, x.ncols(), 1)?],
        Some(h) => vec![Linear::torch_init(&mut rng, x.ncols(), h)?, Linear::torch_init(&mut rng, h, 1)?],
    };
    let initial = layers.clone();
    // optimizer.state: one per parameter, in the order model.parameters() lists them.
    let mut states = vec![OptimizerState::<f32>::default(); 2 * layers.len()];
    let images = Tensor::constant(x.clone());
    let targets = |rows: &[usize]| y.select(Axis(0), rows).insert_axis(Axis(1));
    // The two sets the epochs are measured on, selected once.
    let measured = |rows: &[usize]| (Tensor::constant(x.select(Axis(0), rows)), targets(rows));
    let (train_set, valid_set) = (measured(&split.train), measured(&split.valid));
    let mut run = DigitsRun {
        split,
        initial,
        layers: Vec::new(),
        train_losses: Vec::new(),
        valid_losses: Vec::new(),
        train_accuracy: Vec::new(),
        valid_accuracy: Vec::new(),
    };
    for &lr in &lrs {
        let train = &run.split.train;
        let order: Vec<usize> = rng.randperm(train.len())?.iter().map(|&i| train[i]).collect();
        for idx in order.chunks(p.batch) {
            let params = as_tensors(&layers, true);
            let loss = forward(&params, &images.rows(idx)?)?.bce_with_logits(&targets(idx))?;
            loss.backward()?;
            // opt.step(), each parameter in the order torch lists them: W, then b, layer by layer.
            let grads = params.iter().map(|t| t.grad().expect("every parameter is on the loss's tape"));
            let slots = layers.iter_mut().flat_map(|l| [l.weight.view_mut(), row_view(&mut l.bias)]);
            for ((mut value, grad), state) in slots.zip(grads).zip(&mut states) {
                p.optimizer.step(state, &mut value, &grad, lr);
            }
        }
        let params = as_tensors(&layers, false);
        for ((x, y), losses, accuracy) in [
            (&train_set, &mut run.train_losses, &mut run.train_accuracy),
            (&valid_set, &mut run.valid_losses, &mut run.valid_accuracy),
        ] {
            let logits = forward(&params, x)?;
            losses.push(logits.bce_with_logits(y)?.item()?);
            let right = logits.value().iter().zip(y).filter(|&(&l, &t)| (l > 0.0) == (t == 1.0)).count();
            accuracy.push(right as f32 / y.len() as f32);
        }
    }
    run.layers = layers;
    Ok(run)
}

/// A bias as the 1 × n matrix the optimisers step.
fn row_view(bias: &mut Array1<f32>) -> ArrayViewMut2<'_, f32> {
    bias.view_mut().insert_axis(Axis(0))
}

/// fastbook's first baseline, before any training: the mean training image of each class, and
/// the fraction of validation images whose own class's mean is the closer one by mean absolute
/// difference.
#[derive(Clone, Debug, PartialEq)]
pub struct MeanBaseline {
    /// The mean image of the class with target 0 (the threes), 64 pixels.
    pub mean_zero: Array1<f32>,
    /// The mean image of the class with target 1 (the sevens).
    pub mean_one: Array1<f32>,
    /// The fraction of validation images closer to their own class's mean.
    pub accuracy: f32,
}

/// [`MeanBaseline`] for the images `x`, targets `y` and a split (e.g. [`DigitsRun::split`]):
/// `mean3 = X[train][y[train] == 0].mean(0)`, then `d = (X[valid] − mean).abs().mean(1)` for
/// each class, and a seven wherever `d7 < d3`.
///
/// # Errors
/// [`GdlabError::InvalidParameter`](crate::GdlabError::InvalidParameter) if a class has no
/// training image, or the split has no validation image;
/// [`GdlabError::ShapeMismatch`](crate::GdlabError::ShapeMismatch) if `y` has not one entry per row of `x`.
pub fn mean_baseline(x: &Array2<f32>, y: &Array1<f32>, split: &Split) -> Result<MeanBaseline> {
    crate::error::ensure_shape("the targets (one per image)", (x.nrows(), 1), &[y.len(), 1])?;
    ensure_param(!split.valid.is_empty(), "valid", 0.0, "at least one validation image")?;
    let mean_of = |class: f32| -> Result<Array1<f32>> {
        let rows: Vec<usize> = split.train.iter().copied().filter(|&r| y[r] == class).collect();
        ensure_param(!rows.is_empty(), "class", f64::from(class), "training images of both classes")?;
        // Summed in f64 and rounded once: within an ulp or two of torch's float32 reduction.
        let sum = x.select(Axis(0), &rows).mapv(f64::from).sum_axis(Axis(0));
        Ok(sum.mapv(|s| (s / rows.len() as f64) as f32))
    };
    let (mean_zero, mean_one) = (mean_of(0.0)?, mean_of(1.0)?);
    let distance = |row: usize, mean: &Array1<f32>| {
        let total: f64 = x.row(row).iter().zip(mean).map(|(&p, &m)| f64::from((p - m).abs())).sum();
        total / mean.len() as f64
    };
    let right =
        split.valid.iter().filter(|&&r| (distance(r, &mean_one) < distance(r, &mean_zero)) == (y[r] == 1.0)).count();
    Ok(MeanBaseline { mean_zero, mean_one, accuracy: right as f32 / split.valid.len() as f32 })
}
