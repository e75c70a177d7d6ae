//! `gdlab randperm` and `gdlab sgd`: torch's shuffle, and minibatch least squares over the
//! documents, as the stochastic notebook runs them.

use clap::Args;
use gdlab::{Documents, Schedule, TorchRng};
use serde_json::json;

use crate::Failure;

#[derive(Args)]
pub(crate) struct RandpermArgs {
    /// `torch.manual_seed(seed)` before the shuffle.
    #[arg(long, default_value_t = 314)]
    seed: u64,
    /// The length of the permutation.
    #[arg(long)]
    n: usize,
    /// Print JSON (`"perm"`) instead of the tensor.
    #[arg(long)]
    json: bool,
}

pub(crate) fn randperm(args: &RandpermArgs) -> Result<String, Failure> {
    let perm = TorchRng::manual_seed(args.seed).randperm(args.n)?;
    Ok(if args.json {
        format!("{}\n", json!({"seed": args.seed, "n": args.n, "perm": perm}))
    } else {
        let items: Vec<String> = perm.iter().map(|i| i.to_string()).collect();
        format!("tensor([{}])\n", items.join(", "))
    })
}

#[derive(Args)]
pub(crate) struct SgdArgs {
    /// `torch.manual_seed(seed)` before the problem is drawn.
    #[arg(long, default_value_t = 314)]
    seed: u64,
    /// Documents: the samples.
    #[arg(long, default_value_t = 100)]
    docs: usize,
    /// Words: the features, one weight each.
    #[arg(long, default_value_t = 8)]
    words: usize,
    /// The probability that a word is in a document.
    #[arg(long, default_value_t = 0.3)]
    p: f64,
    /// The amplitude σ of the uniform noise on the scores, `noise·(2u − 1)`.
    #[arg(long, default_value_t = 0.1)]
    noise: f64,
    /// Documents per minibatch (the last batch of an epoch may be shorter).
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Passes over the documents.
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    /// The learning rate of the first epoch.
    #[arg(long, default_value_t = 0.05, allow_hyphen_values = true)]
    lr: f64,
    /// `constant`, `step:SIZE:GAMMA`, `exp:GAMMA` or `cosine:T_MAX:ETA_MIN`, stepped once per epoch.
    #[arg(long, default_value = "constant")]
    schedule: String,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn sgd(args: &SgdArgs) -> Result<String, Failure> {
    let schedule: Schedule = args.schedule.parse()?;
    let problem = Documents::new(args.seed, args.docs, args.words, args.p, args.noise)?;
    let run = problem.minibatch_sgd(args.batch, args.epochs, args.lr, schedule)?;
    let w_star = problem.w_star()?;
    if args.json {
        let out = json!({
            "seed": args.seed, "docs": args.docs, "words": args.words, "p": args.p, "noise": args.noise,
            "batch": args.batch, "epochs": args.epochs, "lr": args.lr, "schedule": schedule.to_string(),
            "batch_losses": run.batch_losses, "epoch_losses": run.epoch_losses, "lrs": run.lrs,
            "final_w": run.w.to_vec(), "w_true": problem.w_true.to_vec(), "w_star": w_star.to_vec(),
        });
        return Ok(format!("{out}\n"));
    }
    let mut text = format!(
        "{} documents × {} words, p {}, noise ±{}; batch {}, {}, lr {}\nepoch  lr          loss\n",
        args.docs, args.words, args.p, args.noise, args.batch, schedule, args.lr
    );
    for (e, (lr, loss)) in run.lrs.iter().zip(&run.epoch_losses).enumerate() {
        text += &format!("{e:>5}  {lr:<10.6}  {loss:.6e}\n");
    }
    text += &format!("the least-squares loss at w⋆ = A⁺·y: {:.6e}\n", problem.loss(&w_star.mapv(|v| v as f32)));
    Ok(text)
}
