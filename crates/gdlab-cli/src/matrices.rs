//! Matrices in and out: CSV input, `gdlab pinv`, `indicator` and `rand`.

use std::path::{Path, PathBuf};

use clap::Args;
use gdlab::ndarray::ArrayRef2;
use gdlab::prelude::*;
use gdlab::{Real, TorchElement};
use serde_json::{Value, json};

use crate::{Failure, bad_input};

/// The start's seed and M, shared by `descend` and `grad`.
#[derive(Args)]
pub(crate) struct Problem {
    /// Seed of the random start `torch.rand(n, m)`, as `torch.manual_seed`.
    #[arg(long, default_value_t = 314)]
    pub(crate) seed: u64,
    /// M as a diagonal, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,2,3,4",
        allow_hyphen_values = true,
        conflicts_with = "matrix"
    )]
    diag: Vec<f64>,
    /// M from a CSV file: one row per line, no header.
    #[arg(long, value_name = "FILE.csv")]
    matrix: Option<PathBuf>,
}

impl Problem {
    /// M, from the CSV file or the diagonal.
    pub(crate) fn matrix(&self) -> Result<Array2<f64>, Failure> {
        match &self.matrix {
            Some(path) => read_matrix(path),
            None => Ok(Array2::from_diag(&Array1::from(self.diag.clone()))),
        }
    }
}

#[derive(Args)]
pub(crate) struct PinvArgs {
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

#[derive(Args)]
pub(crate) struct IndicatorArgs {
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
pub(crate) struct RandArgs {
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

pub(crate) fn rows<T: Copy>(a: &ArrayRef2<T>, f: impl Fn(T) -> Value) -> Value {
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

pub(crate) fn pinv_command(args: &PinvArgs) -> Result<String, Failure> {
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

pub(crate) fn indicator(args: &IndicatorArgs) -> Result<String, Failure> {
    let a = indicator_matrix(&mut TorchRng::manual_seed(args.seed), args.docs, args.words, args.p)?;
    Ok(if args.json {
        let doc = json!({"seed": args.seed, "docs": args.docs, "words": args.words, "p": args.p,
                         "matrix": rows(&a, |v| json!(v))});
        format!("{doc:#}\n")
    } else {
        format!("{}\n", show(&a))
    })
}

pub(crate) fn rand(args: &RandArgs) -> Result<String, Failure> {
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
