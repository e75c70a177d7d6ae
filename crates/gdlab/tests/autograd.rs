//! The tape against torch's autograd (`tools/make_fixtures.py`, under "autograd" and
//! "no_zero_loop") and against its own semantics.
//!
//! ```python
//! torch.manual_seed(seed)
//! x = torch.rand(size=[4, 4], requires_grad=True)
//! loss = ((torch.eye(4) - x @ M) ** 2).mean()
//! loss.backward()                      # x.grad
//! ```
use gdlab::autograd::{Tensor, mse_t};
use gdlab::gradcheck::gradient_check;
use gdlab::prelude::*;
use itertools::Itertools; // zip_eq: a short output fails instead of passing
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/torch.json")).expect("fixtures/torch.json is valid JSON")
}

fn f32s(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn lesson_loss(x: &Tensor<f32>, m: &Tensor<f32>) -> Tensor<f32> {
    mse_t(&Tensor::constant(Array2::eye(4)), &x.matmul(m).unwrap()).unwrap()
}

#[test]
fn backward_gives_torchs_x_grad() {
    let fx = fixtures();
    let cases = fx["autograd"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let seed = case["seed"].as_u64().unwrap();
        let m = Array2::from_shape_vec((4, 4), f32s(&case["m"])).unwrap();
        let x = Tensor::leaf(TorchRng::manual_seed(seed).rand((4, 4)));
        let loss = lesson_loss(&x, &Tensor::constant(m.clone()));
        loss.backward().unwrap();
        let (grad, want) = (x.grad().unwrap(), f32s(&case["grad"]));
        let (got_loss, want_loss) = (loss.item().unwrap(), case["loss"].as_f64().unwrap() as f32);
        // The tape does mse_grad's arithmetic in mse_grad's order: equal to the bit, on any M.
        assert_eq!(grad, mse_grad(&x.value(), &m, &Array2::eye(4)), "seed {seed}");
        if case["name"] == "diag1234" {
            // Diagonal M: every product has one term, so the order of a sum cannot differ: torch's bits.
            assert_eq!(got_loss.to_bits(), want_loss.to_bits(), "seed {seed}: loss");
            for (g, w) in grad.iter().zip_eq(&want) {
                assert_eq!(g.to_bits(), w.to_bits(), "seed {seed}: {g} vs torch {w}");
            }
        } else {
            // Dense M: X·M and grad·Mᵀ sum four terms in matrixmultiply's order, torch in MKL's: the last bits.
            assert!((got_loss - want_loss).abs() <= 4.0 * f32::EPSILON * want_loss, "seed {seed}: loss");
            for (g, w) in grad.iter().zip_eq(&want) {
                assert!((g - w).abs() <= 2.0 * f32::EPSILON * w.abs().max(1.0), "seed {seed}: {g} vs torch {w}");
            }
        }
    }
}

#[test]
fn backward_adds_into_grad_until_zeroed() {
    let m = Tensor::constant(Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]));
    let x = Tensor::leaf(TorchRng::manual_seed(314).rand((4, 4)));
    assert_eq!(x.grad(), None, "no gradient before a backward");
    lesson_loss(&x, &m).backward().unwrap();
    let once = x.grad().unwrap();
    lesson_loss(&x, &m).backward().unwrap();
    assert_eq!(x.grad().unwrap(), &once * 2.0, "two passes without zeroing: twice the gradient");
    x.zero_grad();
    lesson_loss(&x, &m).backward().unwrap();
    assert_eq!(x.grad().unwrap(), once);
}

#[test]
fn a_tensor_used_twice_gets_both_paths() {
    let x = Tensor::leaf(array![[1.0f64, -2.0], [3.0, 0.5]]);
    (&x * &x).unwrap().sum().backward().unwrap();
    assert_eq!(x.grad().unwrap(), array![[2.0, -4.0], [6.0, 1.0]]); // d(Σx²)/dx = 2x
    let y = Tensor::leaf(array![[2.0f64]]);
    let z = (&y.scale(3.0) + &y.pow(2)).unwrap(); // 3y + y²
    z.backward().unwrap();
    assert_eq!(y.grad().unwrap(), array![[7.0]]); // 3 + 2y
}

#[test]
fn non_scalars_and_mismatched_shapes_are_typed_errors() {
    let x = Tensor::leaf(Array2::<f32>::ones((2, 3)));
    let err = x.backward().unwrap_err();
    assert!(matches!(err, GdlabError::NotScalar { shape: (2, 3), .. }), "{err}");
    assert!(err.to_string().contains("needs a scalar (a 1×1 tensor), got shape (2, 3)"), "{err}");
    let err = x.matmul(&Tensor::constant(Array2::ones((2, 2)))).unwrap_err();
    assert!(matches!(err, GdlabError::ShapeMismatch { expected: (3, 2), actual: (2, 2), .. }), "{err}");
    let err = (&x + &Tensor::constant(Array2::ones((3, 2)))).unwrap_err();
    assert!(matches!(err, GdlabError::ShapeMismatch { .. }), "{err}");
    assert!(matches!(x.sub_(&Array2::ones((1, 1))), Err(GdlabError::ShapeMismatch { .. })));
}

#[test]
fn the_tape_lists_the_backward_rules_in_the_order_they_run() {
    let m = Tensor::constant(Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]));
    let x = Tensor::leaf(Array2::zeros((4, 4)));
    // torch 2.15: loss.grad_fn.name(), then down next_functions, to type(…).__name__ of the leaf's node.
    assert_eq!(
        lesson_loss(&x, &m).tape(),
        ["MeanBackward0", "PowBackward0", "SubBackward0", "MmBackward0", "AccumulateGrad"]
    );
}

#[test]
fn the_loop_without_zero_grad_is_torchs() {
    // for t, lr in enumerate(lrs): loss = mse(Y_true, X @ M1234); loss.backward(); X.sub_(lr * X.grad)   # no zero_()
    let fx = fixtures();
    let want = &fx["no_zero_loop"];
    let m = Tensor::constant(Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]));
    let x = Tensor::leaf(TorchRng::manual_seed(314).rand((4, 4)));
    let lr = lesson_lr() as f32;
    let mut losses = Vec::new();
    for _ in 0..100 {
        let loss = lesson_loss(&x, &m);
        loss.backward().unwrap();
        losses.push(loss.item().unwrap());
        x.sub_(&(lr * &x.grad().unwrap())).unwrap();
    }
    for (t, (g, w)) in losses.iter().zip_eq(f32s(&want["losses"])).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "step {t}: {g} vs torch {w}");
    }
    assert_eq!(x.value().iter().copied().collect::<Vec<_>>(), f32s(&want["final_x"]));
}

#[test]
fn gradient_check_tells_a_right_gradient_from_a_wrong_one() {
    let m = array![[2.0f64, 1.0, 0.0], [0.5, 3.0, 1.0], [0.0, 1.0, 4.0]];
    let x: Array2<f64> = TorchRng::manual_seed(3).rand((3, 3));
    let loss = |x: &Tensor<f64>| mse_t(&Tensor::constant(Array2::eye(3)), &x.matmul(&Tensor::constant(m.clone()))?);
    let check = gradient_check(loss, &x, 1e-6).unwrap();
    assert!(check.max_relative_error() < 1e-7, "{}", check.max_relative_error());
    // Mᵀ replaced by M: the estimate catches it.
    let error = x.dot(&m) - Array2::<f64>::eye(3);
    let wrong = (error * (2.0 / 9.0)).dot(&m);
    let worst = wrong
        .iter()
        .zip_eq(&check.estimate)
        .map(|(a, b): (&f64, &f64)| (a - b).abs() / a.abs().max(b.abs()))
        .fold(0.0, f64::max);
    assert!(worst > 1e-2, "{worst}");
    assert!(matches!(gradient_check(loss, &x, 0.0), Err(GdlabError::InvalidParameter { name: "h", .. })));
}

#[test]
fn retain_grad_shows_each_line_of_the_chain_rule() {
    // D = Y_true - X @ M; D.retain_grad(); S = D**2; S.retain_grad(); S.mean().backward()
    let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
    let x = Tensor::leaf(TorchRng::manual_seed(314).rand((4, 4)));
    let d = (&Tensor::constant(Array2::eye(4)) - &x.matmul(&Tensor::constant(m.clone())).unwrap()).unwrap();
    let s = d.pow(2);
    assert_eq!(s.grad(), None);
    d.retain_grad();
    s.retain_grad();
    s.mean().backward().unwrap();
    assert_eq!(s.grad().unwrap(), Array2::from_elem((4, 4), 1.0f32 / 16.0));
    assert_eq!(d.grad().unwrap(), d.value() * (2.0f32 / 16.0));
    assert_eq!(x.grad().unwrap(), mse_grad(&x.value(), &m, &Array2::eye(4)));
}
