//! `gdlab`: the lesson's numbers from the command line, equal to PyTorch's for the same seed.
//!
//! ```text
//! gdlab descend --seed 314 --diag 1,2,3,4 --steps 100 --every 20
//! gdlab descend --matrix m.csv --f64 --json --html report.html
//! gdlab descend --matrix indicator.csv --side right --start zeros --json
//! gdlab pinv --matrix indicator.csv --json
//! gdlab indicator --seed 123 --docs 17 --words 3 --p 0.2
//! gdlab rand --seed 314 --shape 4,4 --f64 --json
//! ```
//!
//! Bad input ends with a one-line error on stderr and exit code 2; a run that diverges, or a
//! report that cannot be written, with exit code 1.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use gdlab::ndarray::ArrayRef2;
use gdlab::prelude::*;
use gdlab::{AnyOptimizer, Real, Report, TorchElement};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(name = "gdlab", version, about = "Gradient descent finds a matrix inverse, with torch's numbers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Gradient descent towards the inverse of M, printed as the notebook's loop prints it.
    Descend(DescendArgs),
    /// The pseudo-inverse A⁺ and the rank of a matrix, as `torch.linalg.pinv` and `matrix_rank`.
    Pinv(PinvArgs),
    /// A random indicator matrix, `(torch.rand(docs, words) < p).int()`.
    Indicator(IndicatorArgs),
    /// `torch.manual_seed(seed); torch.rand(rows, cols)`.
    Rand(RandArgs),
}

#[derive(Args)]
struct DescendArgs {
    /// Seed of the random start, as `torch.manual_seed`.
    #[arg(long, default_value_t = 314)]
    seed: u64,
    /// M as a diagonal, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,3,4",
        allow_hyphen_values = true,
        conflicts_with = "matrix"
    )]
    diag: Vec<f64>,
    /// M from a CSV file: one row per line, no header; any m×n shape.
    #[arg(long, value_name = "FILE.csv")]
    matrix: Option<PathBuf>,
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
    /// Momentum factor β for `momentum` and `nesterov` (default 0.9), in [0, 1).
    #[arg(long, value_name = "B", allow_hyphen_values = true)]
    momentum: Option<f64>,
    /// Adam's β₁ (default 0.9).
    #[arg(long, value_name = "B1", allow_hyphen_values = true)]
    beta1: Option<f64>,
    /// Adam's β₂ (default 0.999).
    #[arg(long, value_name = "B2", allow_hyphen_values = true)]
    beta2: Option<f64>,
    /// Adam's ε (default 1e-8).
    #[arg(long, value_name = "E", allow_hyphen_values = true)]
    eps: Option<f64>,
}

/// `--side`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum SideName {
    /// X·M ≈ I.
    Left,
    /// M·X ≈ I.
    Right,
}

/// `--start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum StartName {
    /// `torch.rand(n, m)` after `torch.manual_seed(seed)`.
    Rand,
    /// All zeros: the run then ends at the pseudo-inverse.
    Zeros,
}

#[derive(Args)]
struct PinvArgs {
    /// The matrix, from a CSV file: one row per line, no header.
    #[arg(long, value_name = "FILE.csv")]
    matrix: PathBuf,
    /// Compute in float64 instead of float32.
    #[arg(long)]
    f64: bool,
    /// Print JSON (`"pinv"`, `"rank"`) instead of the matrix.
    #[arg(long)]
    json: bool,
}

/// The update rules `--optimizer` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum OptimizerName {
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
}

impl DescendArgs {
    /// The optimiser the flags name; a flag that does not belong to it is bad input.
    fn optimizer(&self) -> Result<(AnyOptimizer, Value), Failure> {
        let name = self.optimizer;
        let momentum_rule = matches!(name, OptimizerName::Momentum | OptimizerName::Nesterov);
        if self.momentum.is_some() && !momentum_rule {
            return Err(bad_input(format!("--momentum goes with --optimizer momentum or nesterov, not {name:?}")));
        }
        let adam_flag = [("--beta1", self.beta1), ("--beta2", self.beta2), ("--eps", self.eps)]
            .into_iter()
            .find(|(_, v)| v.is_some());
        if let (Some((flag, _)), false) = (adam_flag, name == OptimizerName::Adam) {
            return Err(bad_input(format!("{flag} goes with --optimizer adam, not {name:?}")));
        }
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
        })
    }
}

#[derive(Args)]
struct IndicatorArgs {
    /// Seed, as `torch.manual_seed`.
    #[arg(long, default_value_t = 123)]
    seed: u64,
    /// Number of documents (rows).
    #[arg(long, default_value_t = 17)]
    docs: usize,
    /// Number of words (columns).
    #[arg(long, default_value_t = 3)]
    words: usize,
    /// Probability that a word is in a document.
    #[arg(long, default_value_t = 0.2, allow_hyphen_values = true)]
    p: f64,
    /// Print JSON instead of the matrix.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RandArgs {
    /// Seed, as `torch.manual_seed`.
    #[arg(long)]
    seed: u64,
    /// Rows and columns, e.g. 4,4.
    #[arg(long, value_delimiter = ',', value_name = "R,C")]
    shape: Vec<usize>,
    /// float64 instead of float32.
    #[arg(long)]
    f64: bool,
    /// Print JSON (values with every digit) instead of torch's printout.
    #[arg(long)]
    json: bool,
}

/// A failure and its exit code: 2 for bad input, 1 for a run that failed.
struct Failure {
    message: String,
    code: u8,
}

impl From<GdlabError> for Failure {
    fn from(e: GdlabError) -> Self {
        let code = if matches!(e, GdlabError::Diverged { .. } | GdlabError::Io { .. }) { 1 } else { 2 };
        Failure { message: e.to_string(), code }
    }
}

fn bad_input(message: String) -> Failure {
    Failure { message, code: 2 }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print as clap prints them; a usage error is one line, exit 2.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
            eprintln!("gdlab: error: {first} (see gdlab --help)");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Descend(args) => descend(&args),
        Command::Pinv(args) => pinv_command(&args),
        Command::Indicator(args) => indicator(&args),
        Command::Rand(args) => rand(&args),
    };
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("gdlab: error: {}", f.message.replace('\n', " "));
            ExitCode::from(f.code)
        }
    }
}

fn rows<T: Copy>(a: &ArrayRef2<T>, f: impl Fn(T) -> Value) -> Value {
    Value::Array(a.rows().into_iter().map(|r| Value::Array(r.iter().map(|&v| f(v)).collect())).collect())
}

/// A matrix from CSV: one row per line, numbers only, no header; `#` starts a comment.
fn read_matrix(path: &Path) -> Result<Array2<f64>, Failure> {
    let name = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_path(path)
        .map_err(|e| bad_input(format!("cannot read {name}: {e}")))?;
    let mut values = Vec::new();
    let mut width = 0;
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad_input(format!("{name}: malformed CSV: {e}")))?;
        width = record.len();
        for (j, field) in record.iter().enumerate() {
            let v: f64 = field.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
                bad_input(format!("{name}: row {}, column {}: {field:?} is not a finite number", i + 1, j + 1))
            })?;
            values.push(v);
        }
    }
    if values.is_empty() {
        return Err(bad_input(format!("{name}: no numbers: expected a matrix, one row of numbers per line")));
    }
    Array2::from_shape_vec((values.len() / width, width), values).map_err(|e| bad_input(format!("{name}: {e}")))
}

fn descend(args: &DescendArgs) -> Result<String, Failure> {
    let m = match &args.matrix {
        Some(path) => read_matrix(path)?,
        None => Array2::from_diag(&Array1::from(args.diag.clone())),
    };
    if args.f64 { descend_as::<f64>(args, &m) } else { descend_as::<f32>(args, &m.mapv(|v| v as f32)) }
}

fn descend_as<T: Real>(args: &DescendArgs, m: &Array2<T>) -> Result<String, Failure> {
    let (optimizer, optimizer_json) = args.optimizer()?;
    let side = match args.side {
        Some(SideName::Left) => Side::Left,
        Some(SideName::Right) => Side::Right,
        None => Side::of(m),
    };
    let descent = InverseDescent::new(m).side(side);
    let descent = match args.start {
        StartName::Rand => descent.seed(args.seed),
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
            "seed": args.seed,
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
            out += &format!("{} : {}\n{}\n", snap.step, show_scalar(snap.loss), show_decimals(&snap.diff, 2));
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
            args.seed,
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

fn pinv_command(args: &PinvArgs) -> Result<String, Failure> {
    let a = read_matrix(&args.matrix)?;
    if args.f64 { pinv_as::<f64>(args, &a) } else { pinv_as::<f32>(args, &a.mapv(|v| v as f32)) }
}

fn pinv_as<T: Real + TorchElement>(args: &PinvArgs, a: &Array2<T>) -> Result<String, Failure> {
    let (p, rank) = (pinv(a)?, matrix_rank(a)?);
    Ok(if args.json {
        let doc = json!({"dtype": T::DTYPE, "shape": [a.nrows(), a.ncols()], "rank": rank,
                         "pinv": rows(&p, |v: T| json!(v.as_f64()))});
        format!("{doc:#}\n")
    } else {
        format!("rank {rank}\n{}\n", show(&p))
    })
}

fn indicator(args: &IndicatorArgs) -> Result<String, Failure> {
    let a = indicator_matrix(&mut TorchRng::manual_seed(args.seed), args.docs, args.words, args.p)?;
    Ok(if args.json {
        let doc = json!({"seed": args.seed, "docs": args.docs, "words": args.words, "p": args.p,
                         "matrix": rows(&a, |v| json!(v))});
        format!("{doc:#}\n")
    } else {
        format!("{}\n", show(&a))
    })
}

fn rand(args: &RandArgs) -> Result<String, Failure> {
    let (r, c) = match args.shape[..] {
        [r, c] if r > 0 && c > 0 => (r, c),
        _ => {
            let given: Vec<String> = args.shape.iter().map(|d| d.to_string()).collect();
            return Err(bad_input(format!("invalid --shape {}: expected two positive sizes R,C", given.join(","))));
        }
    };
    let mut rng = TorchRng::manual_seed(args.seed);
    Ok(if args.f64 { rand_as::<f64>(&mut rng, (r, c), args) } else { rand_as::<f32>(&mut rng, (r, c), args) })
}

fn rand_as<T: Real + TorchElement>(rng: &mut TorchRng, shape: (usize, usize), args: &RandArgs) -> String {
    let a: Array2<T> = rng.rand(shape);
    if args.json {
        let doc = json!({"seed": args.seed, "dtype": T::DTYPE, "shape": [shape.0, shape.1],
                         "values": rows(&a, |v: T| json!(v.as_f64()))});
        format!("{doc:#}\n")
    } else {
        format!("{}\n", show(&a))
    }
}
