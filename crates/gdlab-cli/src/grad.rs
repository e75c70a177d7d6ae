//! `gdlab grad`: the gradient at the lesson's start three ways, the tape, the formula and
//! central differences.

use clap::Args;
use gdlab::autograd::{Tensor, mse_t};
use gdlab::gradcheck::{gradient_check, relative_error};
use gdlab::prelude::*;
use gdlab::{Real, TorchElement};
use serde_json::json;

use crate::matrices::{Problem, rows};
use crate::{Failure, bad_input};

#[derive(Args)]
pub(crate) struct GradArgs {
    /// The seed of the start and the matrix M (square).
    #[command(flatten)]
    problem: Problem,
    /// Compute the tape and the formula in float64 instead of float32.
    #[arg(long)]
    f64: bool,
    /// The step of the central differences (always in float64).
    #[arg(long, default_value_t = 1e-6, allow_hyphen_values = true)]
    h: f64,
    /// Print JSON instead of the three matrices.
    #[arg(long)]
    json: bool,
}

pub(crate) fn grad(args: &GradArgs) -> Result<String, Failure> {
    let m = args.problem.matrix()?;
    if m.nrows() != m.ncols() {
        return Err(bad_input(format!("M must be square for the lesson's loss: got shape {:?}", m.dim())));
    }
    if !(args.h.is_finite() && args.h > 0.0) {
        return Err(bad_input(format!("invalid --h {}: expected a finite step > 0", args.h)));
    }
    if args.f64 { grad_as::<f64>(args, &m) } else { grad_as::<f32>(args, &m.mapv(|v| v as f32)) }
}

fn grad_as<T: Real + TorchElement>(args: &GradArgs, m: &Array2<T>) -> Result<String, Failure> {
    let n = m.nrows();
    let (x, eye) = (TorchRng::manual_seed(args.problem.seed).rand((n, n)), Array2::<T>::eye(n));
    // loss = mse(Y_true, X @ M); loss.backward()
    let leaf = Tensor::leaf(x);
    let loss = mse_t(&Tensor::constant(eye.clone()), &leaf.matmul(&Tensor::constant(m.clone()))?)?;
    loss.backward()?;
    let tape = leaf.grad().expect("backward reached the leaf");
    let closed = mse_grad(&leaf.value(), m, &eye);
    let (m64, x64) = (m.mapv(Real::as_f64), leaf.value().mapv(Real::as_f64));
    let eye64 = Tensor::constant(Array2::<f64>::eye(n));
    let f = |x: &Tensor<f64>| mse_t(&eye64, &x.matmul(&Tensor::constant(m64.clone()))?);
    let estimate = gradient_check(f, &x64, args.h)?.estimate;
    // The tape's gradient against the differences, entry by entry (cs231n's relative error).
    let relative = relative_error(&tape.mapv(Real::as_f64), &estimate)?.fold(0.0f64, |worst, &e| worst.max(e));
    Ok(if args.json {
        let num = |v: T| json!(v.as_f64());
        let doc = json!({
            "dtype": T::DTYPE, "seed": args.problem.seed, "h": args.h, "m": rows(m, num),
            "loss": loss.item()?.as_f64(), "autograd": rows(&tape, num), "closed_form": rows(&closed, num),
            "finite_difference": rows(&estimate, |v| json!(v)), "relative_error": relative,
        });
        format!("{doc:#}\n")
    } else {
        format!(
            "loss {}\nautograd, loss.backward():\n{}\nclosed form, mse_grad:\n{}\ncentral differences (float64, h = {:e}):\n{}\nlargest relative error, autograd against the differences: {relative:.1e}\n",
            show_scalar(loss.item()?),
            show(&tape),
            show(&closed),
            args.h,
            show(&estimate)
        )
    })
}
