//! A classifier of two digits, trained with the lesson's own tape and minibatch loop: the linear
//! model `nn.Linear(64, 1)` or one hidden layer, `Linear(64, h) → ReLU → Linear(h, 1)`, with
//! binary cross-entropy on the logits and plain SGD, as the PyTorch in #32 writes it.

use ndarray::{Array1, Array2, Axis};

use crate::autograd::Tensor;
use crate::digits::{Linear, Split, digits_split};
use crate::error::{Result, ensure_param};
use crate::rng::TorchRng;

/// How to train: the notebook's defaults are `DigitsParams::default()`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DigitsParams {
    /// `torch.manual_seed(seed)` before the split, the initialisation and the epochs' orders.
    pub seed: u64,
    /// `None` for the linear model, `Some(h)` for one hidden layer of width h.
    pub hidden: Option<usize>,
    /// SGD's learning rate.
    pub lr: f32,
    /// Images per step; the last batch of an epoch takes what is left.
    pub batch: usize,
    /// Passes over the training set.
    pub epochs: usize,
}

impl Default for DigitsParams {
    fn default() -> Self {
        DigitsParams { seed: 314, hidden: None, lr: 0.5, batch: 16, epochs: 20 }
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

fn as_tensors(layers: &[Linear], trained: bool) -> Vec<Tensor<f32>> {
    let make = if trained { Tensor::leaf } else { Tensor::constant };
    layers.iter().flat_map(|l| [make(l.weight.clone()), make(l.bias.clone().insert_axis(Axis(0)))]).collect()
}

/// Trains on `x` (one image a row) and `y` (1.0 or 0.0 a row) as #32's PyTorch does: split,
/// initialise, then per epoch `order = train[randperm(len(train))]`, a step per batch of
/// `order`, and the train loss and validation accuracy recorded.
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
    let images = Tensor::constant(x.clone());
    let column = |rows: &[usize]| y.select(Axis(0), rows).insert_axis(Axis(1));
    let (train_y, valid_x) = (column(&split.train), x.select(Axis(0), &split.valid));
    let (mut train_losses, mut valid_accuracy) = (Vec::new(), Vec::new());
    for _ in 0..p.epochs {
        let order: Vec<usize> = rng.randperm(split.train.len())?.iter().map(|&i| split.train[i]).collect();
        for idx in order.chunks(p.batch) {
            let params = as_tensors(&layers, true);
            let loss = forward(&params, &images.rows(idx)?)?.bce_with_logits(&column(idx))?;
            loss.backward()?;
            // opt.step(): p.add_(p.grad, alpha=-lr), each parameter in the order torch lists them.
            for (layer, pair) in layers.iter_mut().zip(params.chunks(2)) {
                let grad = |t: &Tensor<f32>| t.grad().expect("every parameter is on the loss's tape");
                layer.weight.scaled_add(-p.lr, &grad(&pair[0]));
                layer.bias.scaled_add(-p.lr, &grad(&pair[1]).remove_axis(Axis(0)));
            }
        }
        let train_logits = forward(&as_tensors(&layers, false), &images.rows(&split.train)?)?;
        train_losses.push(train_logits.bce_with_logits(&train_y)?.item()?);
        let right = digits_logits(&layers, &valid_x)?
            .iter()
            .zip(&split.valid)
            .filter(|&(&l, &row)| (l > 0.0) == (y[row] == 1.0))
            .count();
        valid_accuracy.push(right as f32 / split.valid.len() as f32);
    }
    Ok(DigitsRun { split, initial, layers, train_losses, valid_accuracy })
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
