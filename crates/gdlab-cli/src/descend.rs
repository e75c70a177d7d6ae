//! `gdlab descend`: the lesson's loop, on either side of any matrix, with torch.optim's rules.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use gdlab::prelude::*;
use gdlab::{AnyOptimizer, Real, Report};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::matrices::{Problem, rows};
use crate::{Failure, bad_input};

#[derive(Args)]
pub(crate) struct DescendArgs {
    /// The seed of the start and the matrix M.
    #[command(flatten)]
    problem: Problem,
    /// Which inverse to look for: left (X·M ≈ I) or right (M·X ≈ I); default left when M has at
    /// least as many rows as columns.
    #[arg(long, value_enum)]
    side: Option<SideName>,
    /// Where X starts: `torch.manual_seed(seed); torch.rand(n, m)`, or zeros.
    #[arg(long, value_enum, default_value_t = StartName::Rand)]
    start: StartName,
    /// Learning rate (default: the lesson's ln(10^0.2)).
    #[arg(long, default_value_t = lesson_lr(), allow_hyphen_values = true)]
    lr: f64,
    /// Number of steps.
    #[arg(long, default_value_t = 100)]
    steps: usize,
    /// Print the loss and X·M − I every this many steps.
    #[arg(long, default_value_t = 20)]
    every: usize,
    /// Compute in float64 instead of float32.
    #[arg(long)]
    f64: bool,
    /// Print JSON (losses, snapshots, final X) instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write an offline HTML report: heatmaps, loss line and the animation.
    #[arg(long, value_name = "report.html")]
    html: Option<PathBuf>,
    /// How X moves: the lesson's own `X.sub_(lr * X.grad)`, or a torch.optim rule.
    #[arg(long, value_enum, default_value_t = OptimizerName::Lesson)]
    optimizer: OptimizerName,
    /// The optimiser's own flags.
    #[command(flatten)]
    flags: OptimizerFlags,
}

/// The flags of torch.optim's rules, shared by `descend` and `path`: each belongs to some rules only.
#[derive(Args)]
pub(crate) struct OptimizerFlags {
    /// Momentum factor β for `momentum` and `nesterov` (default 0.9), in [0, 1).
    #[arg(long, value_name = "B", allow_hyphen_values = true)]
    momentum: Option<f64>,
    /// Adam's β₁ (default 0.9).
    #[arg(long, value_name = "B1", allow_hyphen_values = true)]
    beta1: Option<f64>,
    /// Adam's β₂ (default 0.999).
    #[arg(long, value_name = "B2", allow_hyphen_values = true)]
    beta2: Option<f64>,
    /// ε in the denominator of Adam (default 1e-8), RMSprop (1e-8) and Adagrad (1e-10).
    #[arg(long, value_name = "E", allow_hyphen_values = true)]
    eps: Option<f64>,
    /// RMSprop's decay of the squared gradients' average (default 0.99).
    #[arg(long, value_name = "A", allow_hyphen_values = true)]
    alpha: Option<f64>,
}

/// `--side`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SideName {
    /// X·M ≈ I.
    Left,
    /// M·X ≈ I.
    Right,
}

/// `--start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum StartName {
    /// `torch.rand(n, m)` after `torch.manual_seed(seed)`.
    Rand,
    /// All zeros: the run then ends at the pseudo-inverse.
    Zeros,
}

/// The update rules `--optimizer` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OptimizerName {
    /// The lesson's loop: `X.sub_(lr * X.grad)`.
    Lesson,
    /// `torch.optim.SGD(lr=…)`.
    Sgd,
    /// `torch.optim.SGD(lr=…, momentum=β)`.
    Momentum,
    /// `torch.optim.SGD(lr=…, momentum=β, nesterov=True)`.
    Nesterov,
    /// `torch.optim.Adam(lr=…, betas=(β₁, β₂), eps=ε)`.
    Adam,
    /// `torch.optim.RMSprop(lr=…, alpha=α, eps=ε)`.
    Rmsprop,
    /// `torch.optim.Adagrad(lr=…, eps=ε)`.
    Adagrad,
}

impl OptimizerFlags {
    /// Bad input unless every flag given belongs to the rule `name` (`None`: a method that takes
    /// none of them), shown in the message as `shown`.
    pub(crate) fn check_owners(&self, name: Option<OptimizerName>, shown: &str) -> Result<(), Failure> {
        use OptimizerName::{Adagrad as AdagradName, Adam as AdamName, Momentum as MomentumName, Nesterov, Rmsprop};
        let owners: [(&str, Option<f64>, &[OptimizerName], &str); 5] = [
            ("--momentum", self.momentum, &[MomentumName, Nesterov], "momentum or nesterov"),
            ("--beta1", self.beta1, &[AdamName], "adam"),
            ("--beta2", self.beta2, &[AdamName], "adam"),
            ("--eps", self.eps, &[AdamName, Rmsprop, AdagradName], "adam, rmsprop or adagrad"),
            ("--alpha", self.alpha, &[Rmsprop], "rmsprop"),
        ];
        for (flag, value, rules, names) in owners {
            if value.is_some() && !name.is_some_and(|n| rules.contains(&n)) {
                return Err(bad_input(format!("{flag} goes with --optimizer {names}, not {shown}")));
            }
        }
        Ok(())
    }

    /// The optimiser `name` with these flags; a flag that does not belong to it is bad input.
    pub(crate) fn optimizer(&self, name: OptimizerName) -> Result<(AnyOptimizer, Value), Failure> {
        self.check_owners(Some(name), &format!("{name:?}"))?;
        Ok(match name {
            OptimizerName::Lesson => (AnyOptimizer::Lesson, json!({"name": "lesson"})),
            OptimizerName::Sgd => (Sgd.into(), json!({"name": "sgd"})),
            OptimizerName::Momentum | OptimizerName::Nesterov => {
                let beta = self.momentum.unwrap_or(0.9);
                let nesterov = name == OptimizerName::Nesterov;
                let label = if nesterov { "nesterov" } else { "momentum" };
                (Momentum { beta, nesterov }.into(), json!({"name": label, "momentum": beta, "nesterov": nesterov}))
            }
            OptimizerName::Adam => {
                let d = Adam::default();
                let adam = Adam {
                    beta1: self.beta1.unwrap_or(d.beta1),
                    beta2: self.beta2.unwrap_or(d.beta2),
                    eps: self.eps.unwrap_or(d.eps),
                };
                (adam.into(), json!({"name": "adam", "beta1": adam.beta1, "beta2": adam.beta2, "eps": adam.eps}))
            }
            OptimizerName::Rmsprop => {
                let d = RmsProp::default();
                let rule = RmsProp { alpha: self.alpha.unwrap_or(d.alpha), eps: self.eps.unwrap_or(d.eps) };
                (rule.into(), json!({"name": "rmsprop", "alpha": rule.alpha, "eps": rule.eps}))
            }
            OptimizerName::Adagrad => {
                let rule = Adagrad { eps: self.eps.unwrap_or(Adagrad::default().eps), ..Adagrad::default() };
                (rule.into(), json!({"name": "adagrad", "lr_decay": rule.lr_decay, "eps": rule.eps}))
            }
        })
    }
}

pub(crate) fn descend(args: &DescendArgs) -> Result<String, Failure> {
    let m = args.problem.matrix()?;
    if args.f64 { descend_as::<f64>(args, &m) } else { descend_as::<f32>(args, &m.mapv(|v| v as f32)) }
}

fn descend_as<T: Real>(args: &DescendArgs, m: &Array2<T>) -> Result<String, Failure> {
    let (optimizer, optimizer_json) = args.flags.optimizer(args.optimizer)?;
    let side = match args.side {
        Some(SideName::Left) => Side::Left,
        Some(SideName::Right) => Side::Right,
        None => Side::of(m),
    };
    let descent = InverseDescent::new(m).side(side);
    let descent = match args.start {
        StartName::Rand => descent.seed(args.problem.seed),
        StartName::Zeros => descent.zeros(),
    };
    let descent = descent.lr(args.lr).steps(args.steps).record_every(args.every).optimizer(optimizer);
    let bar = progress_bar(args.steps, m.nrows());
    let history = descent.trace_with(|step, _| {
        if step % 64 == 0 {
            bar.set_position(step as u64)
        }
    });
    bar.finish_and_clear();
    let history = history?.into_result()?;

    let out = if args.json {
        let num = |v: T| json!(v.as_f64());
        let snapshots: Vec<Value> = history
            .snapshots
            .iter()
            .map(|s| json!({"step": s.step, "loss": s.loss.as_f64(), "diff": rows(&s.diff, num)}))
            .collect();
        let doc = json!({
            "dtype": T::DTYPE,
            "optimizer": optimizer_json,
            "seed": args.problem.seed,
            "lr": args.lr,
            "steps": args.steps,
            "every": args.every,
            "bound": history.bound,
            "side": side.name(),
            "start": if args.start == StartName::Rand { "rand" } else { "zeros" },
            "rank": matrix_rank(m)?,
            "floor": loss_floor(m, side)?,
            "pinv_distance": distance(&history.x, &pinv(m)?)?,
            "m": rows(m, num),
            "losses": history.losses.iter().map(|l| l.as_f64()).collect::<Vec<_>>(),
            "snapshots": snapshots,
            "x": rows(&history.x, num),
        });
        format!("{doc:#}\n")
    } else {
        let mut out = String::new();
        for snap in &history.snapshots {
            out += &format!("{} : {}\n{}\n", snap.step, show_scalar(snap.loss), show_pyformat(&snap.diff, 2));
        }
        out
    };
    if let Some(path) = &args.html {
        write_report(args, &descent, &history, path)?;
    }
    Ok(out)
}

fn progress_bar(steps: usize, n: usize) -> ProgressBar {
    // Only on a terminal, and only where a run takes long enough to watch.
    if !std::io::stderr().is_terminal() || (steps < 20_000 && n < 128) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(steps as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps, {eta} left").expect("a valid progress template"),
    );
    bar
}

fn write_report<T: Real>(
    args: &DescendArgs,
    descent: &InverseDescent<T>,
    history: &History<T>,
    path: &Path,
) -> Result<(), Failure> {
    // The animation wants many frames, but a few hundred are enough to watch.
    let frames_every = (args.steps / 200).max(1);
    let animated = descent.clone().record_every(frames_every).run()?;
    let report = Report::new("gdlab descend")
        .text(&format!(
            "M is {}×{} ({}), seed {}, lr {}, {} steps; the stability bound N/λ_max is {:.6}. Final loss {:e}.",
            history.x.ncols(),
            history.x.nrows(),
            T::DTYPE,
            args.problem.seed,
            args.lr,
            args.steps,
            history.bound,
            history.final_loss().as_f64()
        ))
        .heading("X·M − I every few steps")
        .figure(diff_heatmaps(&history.snapshots, ColorRange::PerPanel))
        .heading("Loss")
        .figure(frame_line(&losses_frame(&history.losses), "losses")?)
        .heading("Watching it learn")
        .figure(diff_animation(&animated.snapshots, ColorRange::PerPanel));
    report.write_html(path)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
