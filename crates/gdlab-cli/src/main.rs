//! `gdlab`: the lesson's numbers from the command line, equal to PyTorch's for the same seed.
//!
//! ```text
//! gdlab descend --seed 314 --diag 1,2,3,4 --steps 100 --every 20
//! gdlab descend --matrix m.csv --f64 --json --html report.html
//! gdlab descend --matrix indicator.csv --side right --start zeros --json
//! gdlab pinv --matrix indicator.csv --json
//! gdlab grad --seed 314 --diag 1,2,3,4 --json
//! gdlab indicator --seed 123 --docs 17 --words 3 --p 0.2
//! gdlab rand --seed 314 --shape 4,4 --f64 --json
//! gdlab randperm --seed 314 --n 10 --json
//! gdlab sgd --batch 16 --epochs 30 --lr 0.05 --schedule step:10:0.5 --json
//! gdlab descend --optimizer rmsprop --alpha 0.9 --lr 0.01
//! gdlab path --optimizer momentum --lr 0.5 --momentum 0.8 --entries 0,0:0,3 --steps 40 --json
//! gdlab digits --seed 314 --model mlp --hidden 16 --lr 0.5 --batch 16 --epochs 20 --json
//! ```
//!
//! Bad input ends with a one-line error on stderr and exit code 2; a run that diverges, or a
//! report that cannot be written, with exit code 1.

mod descend;
mod digits;
mod grad;
mod matrices;
mod path;
mod stochastic;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gdlab::GdlabError;

use descend::{DescendArgs, descend};
use digits::{DigitsArgs, digits};
use grad::{GradArgs, grad};
use matrices::{IndicatorArgs, PinvArgs, RandArgs, indicator, pinv_command, rand};
use path::{PathArgs, path_command};
use stochastic::{RandpermArgs, SgdArgs, randperm, sgd};

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
    /// The gradient at the lesson's start three ways: the tape (`loss.backward()`), the formula
    /// (`mse_grad`) and central differences.
    Grad(GradArgs),
    /// The pseudo-inverse A⁺ and the rank of a matrix, as `torch.linalg.pinv` and `matrix_rank`.
    Pinv(PinvArgs),
    /// A random indicator matrix, `(torch.rand(docs, words) < p).int()`.
    Indicator(IndicatorArgs),
    /// `torch.manual_seed(seed); torch.rand(rows, cols)`.
    Rand(RandArgs),
    /// `torch.manual_seed(seed); torch.randperm(n)`.
    Randperm(RandpermArgs),
    /// Minibatch SGD on least squares over the documents, with torch's shuffles and schedules.
    Sgd(SgdArgs),
    /// The path of an optimiser, Newton or the diagonal preconditioner over two entries of X.
    Path(PathArgs),
    /// A classifier of handwritten threes against sevens: each epoch's train loss and validation accuracy.
    Digits(DigitsArgs),
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
            // clap's first paragraph, on one line: it lists what is missing, e.g. required flags.
            let first: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
            let first = if first.is_empty() { "invalid arguments".to_string() } else { first.join(" ") };
            eprintln!("gdlab: error: {} (see gdlab --help)", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Descend(args) => descend(&args),
        Command::Grad(args) => grad(&args),
        Command::Pinv(args) => pinv_command(&args),
        Command::Indicator(args) => indicator(&args),
        Command::Rand(args) => rand(&args),
        Command::Randperm(args) => randperm(&args),
        Command::Sgd(args) => sgd(&args),
        Command::Path(args) => path_command(&args),
        Command::Digits(args) => digits(&args),
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
