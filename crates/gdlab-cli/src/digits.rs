//! `gdlab digits`: a classifier of threes against sevens (scikit-learn's handwritten digits),
//! trained as the digits notebook trains it, with torch's split, initialisation and shuffles.

use clap::{Args, ValueEnum};
use gdlab::{Digits, DigitsParams, digits_run};
use serde_json::json;

use crate::{Failure, bad_input};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Model {
    /// `nn.Linear(64, 1)`.
    Linear,
    /// `Linear(64, hidden) → ReLU → Linear(hidden, 1)`.
    Mlp,
}

#[derive(Args)]
pub(crate) struct DigitsArgs {
    /// `torch.manual_seed(seed)` before the split, the initialisation and the shuffles.
    #[arg(long, default_value_t = DigitsParams::default().seed)]
    seed: u64,
    /// The linear model or one hidden layer.
    #[arg(long, value_enum, default_value_t = Model::Linear)]
    model: Model,
    /// The hidden layer's width (with `--model mlp` only; 16 if not given).
    #[arg(long)]
    hidden: Option<usize>,
    /// SGD's learning rate.
    #[arg(long, default_value_t = DigitsParams::default().lr, allow_hyphen_values = true)]
    lr: f32,
    /// Images per step.
    #[arg(long, default_value_t = DigitsParams::default().batch)]
    batch: usize,
    /// Passes over the training set.
    #[arg(long, default_value_t = DigitsParams::default().epochs)]
    epochs: usize,
    /// Print JSON (`"train_losses"`, `"valid_accuracy"`: one a epoch) instead of the table.
    #[arg(long)]
    json: bool,
}

/// The hidden layer's width when `--model mlp` names none.
const DEFAULT_HIDDEN: usize = 16;

pub(crate) fn digits(args: &DigitsArgs) -> Result<String, Failure> {
    let hidden = match (args.model, args.hidden) {
        (Model::Linear, Some(h)) => {
            return Err(bad_input(format!("--hidden {h} is for --model mlp: the linear model has no hidden layer")));
        }
        (Model::Linear, None) => None,
        (Model::Mlp, h) => Some(h.unwrap_or(DEFAULT_HIDDEN)),
    };
    let p = DigitsParams {
        seed: args.seed,
        hidden,
        lr: args.lr,
        batch: args.batch,
        epochs: args.epochs,
        ..DigitsParams::default()
    };
    let (x, y) = Digits::load().pair(3, 7)?;
    let run = digits_run(&x, &y, p)?;
    if args.json {
        let out = json!({
            "seed": p.seed, "model": if hidden.is_some() { "mlp" } else { "linear" }, "hidden": hidden,
            "lr": p.lr, "batch": p.batch, "epochs": p.epochs,
            "train": run.split.train.len(), "valid": run.split.valid.len(),
            "train_losses": run.train_losses, "valid_accuracy": run.valid_accuracy,
        });
        return Ok(format!("{out}\n"));
    }
    let model = hidden.map_or("linear".to_string(), |h| format!("one hidden layer of {h}"));
    let mut text = format!(
        "threes against sevens: {} training images, {} for validation; {model}, lr {}, batch {}\n\
         epoch  train loss  valid accuracy\n",
        run.split.train.len(),
        run.split.valid.len(),
        p.lr,
        p.batch
    );
    for (e, (loss, acc)) in run.train_losses.iter().zip(&run.valid_accuracy).enumerate() {
        let right = (acc * run.split.valid.len() as f32).round();
        text += &format!("{e:>5}  {loss:<10.6}  {acc:.4} ({right}/{})\n", run.split.valid.len());
    }
    Ok(text)
}
