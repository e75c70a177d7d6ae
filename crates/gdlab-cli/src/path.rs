//! `gdlab path`: where a method takes two entries of X, step by step, on the lesson's loss.

use clap::Args;
use clap::builder::PossibleValue;
use gdlab::prelude::*;
use gdlab::{Real, TorchElement};
use serde_json::json;

use crate::Failure;
use crate::descend::{OptimizerFlags, OptimizerName};
use crate::matrices::Problem;

#[derive(Args)]
pub(crate) struct PathArgs {
    /// The seed of the start `torch.rand(n, n)` and the matrix M (default diag(1, 2, 3, 4)).
    #[command(flatten)]
    problem: Problem,
    /// How X moves: a rule of `descend --optimizer`, or `newton` or `diagonal`.
    #[arg(long, value_enum)]
    optimizer: MethodName,
    /// The two entries of X drawn, as ROW,COL:ROW,COL (from 0), e.g. 0,0:0,3.
    #[arg(long, value_name = "R,C:R,C", value_parser = parse_entries, allow_hyphen_values = true)]
    entries: Entries,
    /// Number of steps: the path has this many points and the start.
    #[arg(long, allow_hyphen_values = true)]
    steps: usize,
    /// Learning rate (default: the lesson's ln(10^0.2); 1, the full step, for newton and diagonal).
    #[arg(long, allow_hyphen_values = true)]
    lr: Option<f64>,
    /// Compute in float64 instead of float32 (and draw the start as torch's float64 rand).
    #[arg(long)]
    f64: bool,
    /// Print `{"points": [[x, y], …], "losses": […]}` instead of the table.
    #[arg(long)]
    json: bool,
    /// The optimiser's own flags.
    #[command(flatten)]
    flags: OptimizerFlags,
}

/// What `--optimizer` names here: the rules of `descend`, and the two methods that use the
/// curvature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MethodName {
    Optimizer(OptimizerName),
    Newton,
    Diagonal,
}

impl clap::ValueEnum for MethodName {
    fn value_variants<'a>() -> &'a [Self] {
        use OptimizerName::*;
        &[
            MethodName::Optimizer(Lesson),
            MethodName::Optimizer(Sgd),
            MethodName::Optimizer(Momentum),
            MethodName::Optimizer(Nesterov),
            MethodName::Optimizer(Adam),
            MethodName::Optimizer(Rmsprop),
            MethodName::Optimizer(Adagrad),
            MethodName::Newton,
            MethodName::Diagonal,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        match self {
            MethodName::Optimizer(o) => o.to_possible_value(),
            MethodName::Newton => Some(PossibleValue::new("newton").help("Newton's method: X ← X − lr·∇·H⁻¹")),
            MethodName::Diagonal => {
                Some(PossibleValue::new("diagonal").help("Diagonal preconditioning: Xᵢⱼ ← Xᵢⱼ − lr·∇ᵢⱼ/Hⱼⱼ"))
            }
        }
    }
}

/// `ROW,COL:ROW,COL` as two entries; whether they lie in X is the library's check.
fn parse_entries(text: &str) -> Result<Entries, String> {
    let entry = |part: &str| -> Option<(usize, usize)> {
        let (i, j) = part.split_once(',')?;
        Some((i.trim().parse().ok()?, j.trim().parse().ok()?))
    };
    let pair = text.split_once(':').and_then(|(a, b)| Some([entry(a)?, entry(b)?]));
    pair.ok_or_else(|| "expected two entries of X as ROW,COL:ROW,COL (from 0), e.g. 0,0:0,3".to_string())
}

pub(crate) fn path_command(args: &PathArgs) -> Result<String, Failure> {
    let m = args.problem.matrix()?;
    if args.f64 { path_as::<f64>(args, &m) } else { path_as::<f32>(args, &m.mapv(|v| v as f32)) }
}

fn path_as<T: Real + TorchElement>(args: &PathArgs, m: &Array2<T>) -> Result<String, Failure> {
    let (stepper, shown, default_lr) = match args.optimizer {
        MethodName::Optimizer(name) => {
            (Stepper::Optimizer(args.flags.optimizer(name)?.0), format!("{name:?}"), lesson_lr())
        }
        method => {
            let stepper = if method == MethodName::Newton { Stepper::Newton } else { Stepper::Diagonal };
            args.flags.check_owners(None, &format!("{method:?}"))?;
            (stepper, format!("{method:?}"), 1.0)
        }
    };
    let lr = args.lr.unwrap_or(default_lr);
    // torch.manual_seed(seed); torch.rand(n, n): X is square, as the loss's target I is.
    let start: Array2<T> = TorchRng::manual_seed(args.problem.seed).rand((m.nrows(), m.nrows()));
    let path = gdlab::path(m, &start, stepper, lr, args.steps, args.entries)?;
    let out = if args.json {
        // Each f32 widened to f64, printed shortest-round-trip: torch's value, recovered exactly.
        format!("{{\"points\":{},\"losses\":{}}}\n", json!(path.points), json!(path.losses))
    } else {
        let [(i, j), (k, l)] = args.entries;
        let (a, b) = (format!("X[{i},{j}]"), format!("X[{k},{l}]"));
        let mut text =
            format!("{shown}, lr {lr}, {}, seed {}\nstep  {a:>12}  {b:>12}  loss\n", T::DTYPE, args.problem.seed);
        for (t, (p, loss)) in path.points.iter().zip(&path.losses).enumerate() {
            text += &format!("{t:>4}  {:>12.6}  {:>12.6}  {loss:.4e}\n", p[0], p[1]);
        }
        text
    };
    if path.diverged {
        // The finite part is the path to draw, so it is printed; the exit code says it is short.
        print!("{out}");
        let (last, n) = (path.steps(), args.steps);
        let message = format!(
            "the loss after step {} of {n} is not a finite number (lr {lr}): the path stops at step {last}, with {} of its {} points",
            last + 1,
            last + 1,
            n + 1
        );
        return Err(Failure { message, code: 1 });
    }
    Ok(out)
}
