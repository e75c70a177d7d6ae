//! Parity with torch.optim: every expected value comes from `tools/make_fixtures.py` (real torch),
//! stored in `fixtures/torch.json` under "optim". Each run is, in PyTorch:
//!
//! ```python
//! torch.manual_seed(314)
//! X = torch.nn.Parameter(torch.rand(size=[n, n], dtype=dtype))
//! optimizer = torch.optim.SGD([X], lr=lr)                                 # "sgd"
//! optimizer = torch.optim.SGD([X], lr=lr, momentum=0.9)                   # "momentum"
//! optimizer = torch.optim.SGD([X], lr=lr, momentum=0.9, nesterov=True)    # "nesterov"
//! optimizer = torch.optim.Adam([X], lr=lr)                                # "adam"
//! for _ in range(100):
//!     optimizer.zero_grad()
//!     loss = ((Y_true - X @ M) ** 2).mean()
//!     loss.backward()
//!     losses.append(loss.item())
//!     optimizer.step()
//! ```

use gdlab::prelude::*;
use gdlab::{AnyOptimizer, Real};
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/torch.json")).expect("fixtures/torch.json is valid JSON")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

fn optimizer(name: &str) -> AnyOptimizer {
    match name {
        "sgd" => Sgd.into(),
        "momentum" => Momentum::heavy_ball(0.9).into(),
        "nesterov" => Momentum::nesterov(0.9).into(),
        "adam" => Adam::default().into(),
        other => panic!("unknown optimizer {other}"),
    }
}

/// Runs one fixture case in `T`; returns (losses, final X) as f64, and the expected ones.
fn run<T: Real>(case: &Value) -> (Vec<f64>, Vec<f64>) {
    let rows: Vec<Vec<f64>> = case["m"].as_array().unwrap().iter().map(f64s).collect();
    let n = rows.len();
    let m = Array2::from_shape_fn((n, n), |(i, j)| T::from_f64_lossy(rows[i][j]));
    let history = InverseDescent::new(&m)
        .seed(case["seed"].as_u64().unwrap())
        .lr(case["lr"].as_f64().unwrap())
        .steps(case["steps"].as_u64().unwrap() as usize)
        .optimizer(optimizer(case["optimizer"].as_str().unwrap()))
        .no_snapshots()
        .divergence_patience(None)
        .trace()
        .unwrap();
    assert_eq!(history.stop, Stop::Finished);
    let losses = history.losses.iter().map(|l| l.as_f64()).collect();
    let x = history.x.iter().map(|v| v.as_f64()).collect();
    (losses, x)
}

#[test]
fn every_optimizer_matches_torch_optim() {
    let fx = fixtures();
    let cases = fx["optim"].as_array().expect("optim fixtures");
    assert_eq!(cases.len(), 16);
    for case in cases {
        let what = format!("{} {} on {}", case["optimizer"], case["dtype"], case["m"]);
        let (losses, x) = match case["dtype"].as_str().unwrap() {
            "float32" => run::<f32>(case),
            _ => run::<f64>(case),
        };
        let (want_losses, want_x) = (f64s(&case["losses"]), f64s(&case["final_x"]));
        assert_eq!(losses.len(), want_losses.len(), "{what}");
        let diagonal = case["m"].as_array().unwrap().len() == 4;
        // Adam takes a square root, which torch computes with Intel MKL's vector math (about an
        // ulp, not correctly rounded); Rust's is correctly rounded. So Adam agrees to 1e-6.
        let exact = diagonal && case["optimizer"] != "adam";
        if exact {
            // diag(1, 2, 3, 4): the gradient is torch's bit for bit, and so is every update.
            for (t, (got, want)) in losses.iter().zip(&want_losses).enumerate() {
                assert_eq!(got.to_bits(), want.to_bits(), "{what}: loss at step {t}: {got} != {want}");
            }
            assert_eq!(x, want_x, "{what}: final X");
        } else {
            // A dense M: X·M and the gradient's product with Mᵀ sum in matrixmultiply's order, not
            // torch's BLAS order, so they can differ in the last bit; with Adam, the square root
            // above. The runs agree to 1e-6.
            // E = X·M − I has entries that are differences of numbers near 1, so they agree to
            // 1e-6 absolutely, and so does √loss, their root mean square.
            for (t, (got, want)) in losses.iter().zip(&want_losses).enumerate() {
                let gap = (got.sqrt() - want.sqrt()).abs();
                assert!(gap <= 1e-6, "{what}: loss at step {t}: {got} vs {want}");
            }
            for (got, want) in x.iter().zip(&want_x) {
                assert!((got - want).abs() <= 1e-6 * want.abs().max(1.0), "{what}: final X {got} vs {want}");
            }
        }
    }
}

#[test]
fn optimizer_parameters_are_checked_before_the_run() {
    let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
    let err = InverseDescent::new(&m).optimizer(Momentum::heavy_ball(1.0)).run().unwrap_err();
    assert_eq!(err.to_string(), "invalid momentum = 1: expected 0 <= beta < 1");
    let err = InverseDescent::new(&m).optimizer(Adam { eps: -1.0, ..Adam::default() }).run().unwrap_err();
    assert_eq!(err.to_string(), "invalid eps = -1: expected a finite eps >= 0");
    let err = InverseDescent::new(&m).optimizer(Adam { beta2: 1.5, ..Adam::default() }).run().unwrap_err();
    assert!(err.to_string().contains("beta2"), "{err}");
}

#[test]
fn momentum_needs_fewer_steps_than_plain_descent_on_the_lesson() {
    let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
    let steps = |o: AnyOptimizer, lr: f64| {
        InverseDescent::new(&m).seed(314).lr(lr).steps(5000).tolerance(1e-6).optimizer(o).run().unwrap().converged_at()
    };
    let plain = steps(AnyOptimizer::Lesson, lesson_lr()).unwrap();
    let heavy_ball = steps(Momentum::heavy_ball(0.5).into(), lesson_lr()).unwrap();
    assert!(heavy_ball < plain, "momentum {heavy_ball} vs plain {plain} steps");
}
