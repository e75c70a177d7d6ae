//! Parity with PyTorch: every expected value comes from `tools/make_fixtures.py`, run with real
//! torch, and is stored in `fixtures/torch.json`. Each test quotes the PyTorch it reproduces.

use gdlab::TorchUniform;
use gdlab::ndarray_rand::RandomExt;
use gdlab::prelude::*;
use itertools::Itertools; // zip_eq: a short output fails instead of passing
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/torch.json")).expect("fixtures/torch.json is valid JSON")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

fn f32s(v: &Value) -> Vec<f32> {
    f64s(v).into_iter().map(|x| x as f32).collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

fn seed(v: &Value) -> u64 {
    // torch wraps negative seeds as two's complement.
    v.as_u64().unwrap_or_else(|| v.as_i64().expect("an integer seed") as u64)
}

fn draw(rng: &mut TorchRng, shape: &[usize], dtype: &str) -> Vec<f64> {
    match dtype {
        "float32" => rng.rand::<f32, _>(shape.to_vec()).iter().map(|&v| f64::from(v)).collect(),
        "float64" => rng.rand::<f64, _>(shape.to_vec()).iter().copied().collect(),
        other => panic!("unknown dtype {other}"),
    }
}

fn matrix(values: &[f32], n: usize) -> Array2<f32> {
    Array2::from_shape_vec((n, values.len() / n), values.to_vec()).unwrap()
}

// torch.manual_seed(seed); torch.rand(size=shape, dtype=dtype)
// for seeds 0, 314, 123, 7, 2**32 - 1, 2**32 + 314, 2**40 + 7, -1, 42 and both dtypes
#[test]
fn rand_is_bit_identical_to_torch() {
    let fx = fixtures();
    let cases = fx["rand"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let (s, sh, dtype) = (seed(&case["seed"]), shape(&case["shape"]), case["dtype"].as_str().unwrap());
        let got = draw(&mut TorchRng::manual_seed(s), &sh, dtype);
        let want = f64s(&case["values"]);
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip_eq(&want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "seed {s} {dtype} {sh:?} element {i}: {g} != {w}");
        }
    }
}

// torch.manual_seed(2024); a = torch.rand(3, 3); b = torch.rand(2, 2, dtype=torch.float64); c = torch.rand(5)
#[test]
fn consecutive_draws_continue_the_stream() {
    let fx = fixtures();
    let seq = &fx["sequence"];
    let mut rng = TorchRng::manual_seed(seed(&seq["seed"]));
    for d in seq["draws"].as_array().unwrap() {
        let got = draw(&mut rng, &shape(&d["shape"]), d["dtype"].as_str().unwrap());
        assert_eq!(got, f64s(&d["values"]));
    }
}

// torch.manual_seed(2**32 + 314) draws what torch.manual_seed(314) draws
#[test]
fn seeds_reduce_mod_2_pow_32() {
    let a: Array2<f32> = TorchRng::manual_seed((1 << 32) + 314).rand((4, 4));
    let b: Array2<f32> = TorchRng::manual_seed(314).rand((4, 4));
    assert_eq!(a, b);
}

// Array2::random_using((r, c), TorchUniform, &mut rng) == rng.rand((r, c))
#[test]
fn ndarray_rand_with_torch_uniform_matches() {
    let fx = fixtures();
    for case in fx["rand"].as_array().unwrap().iter().filter(|c| shape(&c["shape"]).len() == 2) {
        let sh = shape(&case["shape"]);
        let mut rng = TorchRng::manual_seed(seed(&case["seed"]));
        let got: Vec<f64> = if case["dtype"] == "float32" {
            Array2::<f32>::random_using((sh[0], sh[1]), TorchUniform, &mut rng).iter().map(|&v| f64::from(v)).collect()
        } else {
            Array2::<f64>::random_using((sh[0], sh[1]), TorchUniform, &mut rng).iter().copied().collect()
        };
        assert_eq!(got, f64s(&case["values"]));
    }
}

// manual_seed(seed); indicator = (rand(size=[docs, words]) < p).int()
#[test]
fn indicator_matches_torch() {
    let fx = fixtures();
    for case in fx["indicator"].as_array().unwrap() {
        let (docs, words) = (case["docs"].as_u64().unwrap() as usize, case["words"].as_u64().unwrap() as usize);
        let mut rng = TorchRng::manual_seed(seed(&case["seed"]));
        let ind = indicator_matrix(&mut rng, docs, words, case["p"].as_f64().unwrap()).unwrap();
        let want: Vec<i32> = case["values"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap() as i32).collect();
        assert_eq!(ind.iter().copied().collect::<Vec<_>>(), want, "seed {}", case["seed"]);
    }
}

// x = torch.rand(size=[n, n], requires_grad=True); Y_hat = x @ M
// loss = ((Y_true - Y_hat)**2).mean(); loss.backward(); x.grad
#[test]
fn y_hat_loss_and_grad_match_torch() {
    let fx = fixtures();
    for case in fx["grad"].as_array().unwrap() {
        let n = case["n"].as_u64().unwrap() as usize;
        let m = matrix(&f32s(&case["m"]), n);
        let x: Array2<f32> = TorchRng::manual_seed(seed(&case["seed"])).rand((n, n));
        let y = Array2::<f32>::eye(n);
        let y_hat = x.dot(&m);
        let loss = mse(&y, &y_hat);
        let grad = mse_grad(&x, &m, &y);
        let (want_y_hat, want_grad) = (matrix(&f32s(&case["y_hat"]), n), matrix(&f32s(&case["grad"]), n));
        let want_loss = case["loss"].as_f64().unwrap() as f32;
        if case["name"] == "diag1234" {
            // A diagonal M adds only exact zeros, so Y_hat and X.grad are bit-identical.
            assert_eq!(y_hat, want_y_hat);
            assert_eq!(grad, want_grad);
        } else {
            // A dense product's summation order is BLAS's choice: equal to rounding.
            approx::assert_abs_diff_eq!(y_hat, want_y_hat, epsilon = 1e-6);
            approx::assert_abs_diff_eq!(grad, want_grad, epsilon = 1e-6);
        }
        assert_eq!(loss.to_bits(), want_loss.to_bits(), "{}: loss {loss} != {want_loss}", case["name"]);
    }
}

// lrs = np.log(np.logspace(2e-1, 2e-1, 100)); manual_seed(314)
// random_inverse = torch.nn.Parameter(torch.rand(size=[4, 4]))
// for t, lr in enumerate(lrs): update(lr)   # loss, backward, sub_(lr * grad), grad.zero_()
#[test]
fn original_loop_matches_torch() {
    let fx = fixtures();
    let lp = &fx["original_loop"];
    assert_eq!(lesson_lr(), lp["lr"].as_f64().unwrap());
    let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
    let lrs = vec![lesson_lr(); lp["steps"].as_u64().unwrap() as usize];
    let history = InverseDescent::new(&m).seed(314).lr(lrs).record_every(20).run().unwrap();

    // X evolves bit for bit as torch's parameter does.
    assert_eq!(history.x, matrix(&f32s(&lp["final_x"]), 4));
    let want_losses = f32s(&lp["losses"]);
    assert_eq!(history.losses.len(), 100);
    for (t, (&got, &want)) in history.losses.iter().zip_eq(&want_losses).enumerate() {
        assert_eq!(got.to_bits(), want.to_bits(), "loss at step {t}: {got} != {want}");
    }
    let snaps = lp["snapshots"].as_array().unwrap();
    assert_eq!(history.snapshots.len(), snaps.len());
    for (got, want) in history.snapshots.iter().zip_eq(snaps) {
        assert_eq!(got.step as u64, want["step"].as_u64().unwrap());
        assert_eq!(got.diff, matrix(&f32s(&want["diff"]), 4), "difference matrix at step {}", got.step);
    }
    // The printed losses of the reference notebook.
    let printed: Vec<String> = history.snapshots.iter().map(|s| show_scalar(s.loss).to_string()).collect();
    assert_eq!(printed, ["1.6650", "0.0054", "0.0005", "4.7337e-05", "4.4184e-06"]);
}

// The same through gradient_step, one call per update(lr).
#[test]
fn gradient_step_reproduces_the_torch_losses() {
    let fx = fixtures();
    let want = f32s(&fx["original_loop"]["losses"]);
    let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
    let y = Array2::<f32>::eye(4);
    let mut x: Array2<f32> = TorchRng::manual_seed(314).rand((4, 4));
    for &w in &want {
        let got = gradient_step(&mut x, &m, &y, lesson_lr()).unwrap();
        assert_eq!(got, w);
    }
    assert_eq!(x, matrix(&f32s(&fx["original_loop"]["final_x"]), 4));
}

// The update loop of notebook 01, written out as the original's update() is:
//   Y_hat = random_inverse @ M1234
//   loss = mse(Y_true, Y_hat); loss.backward(); losses.append(loss)
//   with torch.no_grad(): random_inverse.sub_(lr * random_inverse.grad); random_inverse.grad.zero_()
#[test]
fn the_notebook_loop_written_out_matches_torch() {
    let fx = fixtures();
    let lp = &fx["original_loop"];
    let (seed, steps, every) = (314, 100, 20);
    let m1234 = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
    let y_true = Array2::<f32>::eye(4);
    let lrs = vec![lesson_lr(); steps];

    // The notebook's cell, line for line.
    let mut rng = TorchRng::manual_seed(seed);
    let mut random_inverse: Array2<f32> = rng.rand((4, 4));
    let mut losses: Vec<f32> = Vec::new();
    let mut snapshots: Vec<Snapshot<f32>> = Vec::new();
    let mut printed = String::new();
    for (t, &lr) in lrs.iter().enumerate() {
        let y_hat = random_inverse.dot(&m1234);
        let loss = mse(&y_true, &y_hat);
        let grad = mse_grad(&random_inverse, &m1234, &y_true);
        losses.push(loss);
        if t % every == 0 {
            printed += &format!("{t} : {}\n", show_scalar(loss));
            let diff = &y_hat - &y_true;
            printed += &format!("{}\n", show_pyformat(&diff, 2));
            snapshots.push(Snapshot { step: t, loss, diff });
        }
        random_inverse -= &(lr as f32 * &grad);
    }

    let want = f32s(&lp["losses"]);
    assert_eq!(losses.len(), want.len());
    for (t, (got, want)) in losses.iter().zip_eq(&want).enumerate() {
        assert_eq!(got.to_bits(), want.to_bits(), "loss at step {t}: {got} != {want}");
    }
    assert_eq!(random_inverse, matrix(&f32s(&lp["final_x"]), 4));
    for (got, want) in snapshots.iter().zip_eq(lp["snapshots"].as_array().unwrap()) {
        assert_eq!(got.diff, matrix(&f32s(&want["diff"]), 4), "difference matrix at step {}", got.step);
    }
    // The original's printout of step 0, char for char (numpy with the "{0:0.2f}" formatter).
    assert!(printed.starts_with("0 : 1.6650\n[[-0.28 1.26 2.00 1.35]\n [0.85 -0.37 1.50 1.86]\n"), "{printed}");
}
