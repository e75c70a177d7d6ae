//! Parity of [`path`] with torch: every expected value comes from `tools/torch_paths.py` (real
//! torch), stored in `fixtures/paths.json`. Each path is, in PyTorch (float32):
//!
//! ```python
//! torch.manual_seed(314)
//! X = torch.nn.Parameter(torch.rand(n, n))
//! optimizer = torch.optim.SGD([X], lr=lr)                                 # "sgd"
//! optimizer = torch.optim.SGD([X], lr=lr, momentum=beta)                  # "momentum"
//! optimizer = torch.optim.SGD([X], lr=lr, momentum=beta, nesterov=True)   # "nesterov"
//! optimizer = torch.optim.Adam([X], lr=lr)                                # "adam"
//! optimizer = torch.optim.RMSprop([X], lr=lr)                             # "rmsprop"
//! optimizer = torch.optim.Adagrad([X], lr=lr)                             # "adagrad"
//! points = [[X[e0], X[e1]]]
//! for _ in range(steps):
//!     optimizer.zero_grad()
//!     loss = ((Y_true - X @ M) ** 2).mean()
//!     loss.backward()
//!     losses.append(loss.item())
//!     optimizer.step()
//!     points.append([X[e0], X[e1]])
//! losses.append(((Y_true - X @ M) ** 2).mean().item())
//! ```
//!
//! and "lesson" is the original notebook's loop: `loss.backward()`, then
//! `with torch.no_grad(): X.sub_(lr * X.grad); X.grad.zero_()`.
//!
//! The valleys: "aligned", the lesson's M = diag(1, 2, 3, 4) drawn over X₀₀ and X₀₃, and
//! "tilted", M = [[0.3, -1.6], [0.4, 1.2]] drawn over X₀₀ and X₀₁ (row 0's whole problem).

use gdlab::prelude::*;
use itertools::Itertools; // zip_eq: a short output fails instead of passing
use serde_json::Value;

/// How close Adam, RMSprop and Adagrad come to torch on the aligned valley: √loss, the points and
/// X within this, relative to max(1, |value|), as in tests/optim.rs.
const NEAR: f64 = 1e-6;

/// How close every path on the tilted valley comes to torch, relative to max(1, |value|). Its M is
/// dense, and the gradient's product G·Mᵀ sums two products: torch's backward rounds each, then
/// adds; gdlab's `dot` (matrixmultiply) fuses them. And torch fuses SGD's `add_(g, alpha=-lr)` at
/// every entry, where gdlab fuses only whole vector chunks (none in a 2×2 X). So the last bit can
/// differ at each step. On the paths that converge the gap stays under 1e-6; the lesson's update at
/// lr 1.02, which grows 1.04× a step, gathers it over 250 steps to 3.6e-6 (relative, in X).
const TILTED: f64 = 1e-5;

/// Within `tolerance` of `want`, relative to max(1, |want|): absolute near 0, relative on a path
/// that diverges.
fn close(got: f64, want: f64, tolerance: f64) -> bool {
    (got - want).abs() <= tolerance * want.abs().max(1.0)
}

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/paths.json")).expect("fixtures/paths.json is valid JSON")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

fn entries(v: &Value) -> Entries {
    let pair = |p: &Value| (p[0].as_u64().unwrap() as usize, p[1].as_u64().unwrap() as usize);
    [pair(&v[0]), pair(&v[1])]
}

/// The valleys as this test builds them, in float32 as torch's.
fn valley(name: &str) -> (Array2<f32>, Entries) {
    match name {
        "aligned" => (Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]), [(0, 0), (0, 3)]),
        "tilted" => (tilted_valley(), [(0, 0), (0, 1)]),
        other => panic!("unknown valley {other}"),
    }
}

fn stepper(case: &Value) -> Stepper {
    let beta = || case["momentum"].as_f64().expect("a momentum case has its β");
    match case["optimizer"].as_str().unwrap() {
        "lesson" => AnyOptimizer::Lesson.into(),
        "sgd" => Sgd.into(),
        "momentum" => Momentum::heavy_ball(beta()).into(),
        "nesterov" => Momentum::nesterov(beta()).into(),
        "adam" => Adam::default().into(),
        "rmsprop" => RmsProp::default().into(),
        "adagrad" => Adagrad::default().into(),
        other => panic!("unknown optimizer {other}"),
    }
}

/// The fixture case's path, run by gdlab on the valley this test builds.
fn run(case: &Value, steps: usize) -> Path {
    let (m, entries) = valley(case["valley"].as_str().unwrap());
    let start: Array2<f32> = TorchRng::manual_seed(314).rand(m.dim());
    path(&m, &start, stepper(case), case["lr"].as_f64().unwrap(), steps, entries).unwrap()
}

#[test]
fn the_fixture_valleys_are_the_ones_this_test_builds() {
    let fx = fixtures();
    let valleys = fx["valleys"].as_object().expect("valleys");
    assert_eq!(valleys.keys().collect::<Vec<_>>(), ["aligned", "tilted"]);
    for (name, want) in valleys {
        let (m, built_entries) = valley(name);
        let rows: Vec<Vec<f64>> = want["m"].as_array().unwrap().iter().map(f64s).collect();
        let torch_m = Array2::from_shape_fn(m.dim(), |(i, j)| rows[i][j]);
        assert_eq!(rows.len(), m.nrows(), "{name}");
        // torch's float32 M, bit for bit (0.3 is 0.30000001192092896 in both).
        assert_eq!(m.mapv(f64::from), torch_m, "{name}");
        assert_eq!(want["seed"].as_u64(), Some(314), "{name}");
        assert_eq!(entries(&want["entries"]), built_entries, "{name}");
    }
    // Both have the curvatures 1/8 and 2 (κ = 16): the row Hessian's eigenvalues.
    for name in ["aligned", "tilted"] {
        let (m, _) = valley(name);
        let h = row_hessian(&m.mapv(f64::from)).unwrap();
        let (trace, det) = (h.diag().sum(), h[[0, 0]] * h[[1, 1]] - h[[0, 1]] * h[[1, 0]]);
        if name == "aligned" {
            assert_eq!(h.diag().to_vec(), [0.125, 0.5, 1.125, 2.0]); // 2·mⱼ²/16
        } else {
            // Eigenvalues 1/8 and 2: trace 17/8, determinant 1/4 (M is stored as float32).
            assert!((trace - 2.125).abs() < 1e-6 && (det - 0.25).abs() < 1e-6, "{h}");
        }
    }
}

#[test]
fn every_path_is_torchs() {
    let fx = fixtures();
    let cases = fx["paths"].as_array().expect("paths");
    // Per valley: the lesson's update at 5 rates, SGD, heavy ball at 3 (lr, β), Nesterov at 2, Adam,
    // RMSprop, Adagrad at 2 rates.
    assert_eq!(cases.len(), 30);
    for name in ["aligned", "tilted"] {
        let count = |o: &str| cases.iter().filter(|c| c["valley"] == name && c["optimizer"] == o).count();
        let counts = ["lesson", "sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad"].map(count);
        assert_eq!(counts, [5, 1, 3, 2, 1, 1, 2], "{name}");
    }
    for case in cases {
        let what = format!("{} {} lr {} β {}", case["valley"], case["optimizer"], case["lr"], case["momentum"]);
        let steps = case["steps"].as_u64().unwrap() as usize;
        let got = run(case, steps);
        let (want_points, want_losses) = (&case["points"], f64s(&case["losses"]));
        let want_points: Vec<Vec<f64>> = want_points.as_array().unwrap().iter().map(f64s).collect();
        let want_x = f64s(&case["final_x"]);
        assert!(!got.diverged, "{what}");
        assert_eq!((got.steps(), got.points.len(), want_points.len()), (steps, steps + 1, steps + 1), "{what}");
        let sqrt = ["adam", "rmsprop", "adagrad"].contains(&case["optimizer"].as_str().unwrap());
        if case["valley"] == "aligned" && !sqrt {
            // diag(1, 2, 3, 4): the gradient, the lesson's `X.sub_(lr * X.grad)` and torch.optim.SGD's
            // fused `add_(grad, alpha=-lr)` (with or without momentum) round as torch's: bit for bit.
            for (t, (got, want)) in got.points.iter().zip_eq(&want_points).enumerate() {
                assert_eq!(got.as_slice(), want.as_slice(), "{what}: point {t}");
            }
            for (t, (got, want)) in got.losses.iter().zip_eq(&want_losses).enumerate() {
                assert_eq!(got.to_bits(), want.to_bits(), "{what}: loss at point {t}: {got} != {want}");
            }
            assert_eq!(got.final_x.iter().copied().collect::<Vec<_>>(), want_x, "{what}: final X");
        } else {
            // Adam, RMSprop and Adagrad take a square root, which torch computes with Intel MKL's
            // vector math (about an ulp, not correctly rounded); Rust's is correctly rounded. So
            // they agree to NEAR. On the tilted valley, every optimiser to TILTED (its dense M).
            let tolerance = if case["valley"] == "aligned" { NEAR } else { TILTED };
            for (t, (got, want)) in got.points.iter().zip_eq(&want_points).enumerate() {
                let near = close(got[0], want[0], tolerance) && close(got[1], want[1], tolerance);
                assert!(near, "{what}: point {t}: {got:?} vs {want:?}");
            }
            for (t, (got, want)) in got.losses.iter().zip_eq(&want_losses).enumerate() {
                assert!(close(got.sqrt(), want.sqrt(), tolerance), "{what}: loss at point {t}: {got} vs {want}");
            }
            for (got, want) in got.final_x.iter().zip_eq(&want_x) {
                assert!(close(*got, *want, tolerance), "{what}: final X {got} vs {want}");
            }
        }
    }
}

/// The heavy-ball cases include Polyak's tuning as gdlab computes it, on both valleys.
#[test]
fn the_fixtures_polyak_tuning_is_gdlabs() {
    let fx = fixtures();
    for name in ["aligned", "tilted"] {
        let tuning = heavy_ball_tuning(&valley(name).0.mapv(f64::from)).unwrap();
        let polyak = fx["paths"].as_array().unwrap().iter().filter(|c| c["valley"] == name).find(|c| {
            let (lr, beta) = (c["lr"].as_f64().unwrap(), c["momentum"].as_f64().unwrap_or(f64::NAN));
            c["optimizer"] == "momentum" && (lr - tuning.lr).abs() < 1e-6 && (beta - tuning.beta).abs() < 1e-6
        });
        assert!(polyak.is_some(), "{name}: no heavy-ball path at Polyak's ({}, {})", tuning.lr, tuning.beta);
    }
}

/// Nesterov at Polyak's (lr, β) diverges: torch's path is cut at 40 steps, still finite (its loss
/// grows about 5.6× a step). Run on, gdlab's path overflows, stops there with `diverged` set, and
/// begins as torch's.
#[test]
fn nesterov_at_polyaks_tuning_diverges_from_torchs_start() {
    let fx = fixtures();
    let cases = fx["paths"].as_array().unwrap();
    let diverging: Vec<&Value> =
        cases.iter().filter(|c| c["optimizer"] == "nesterov" && c["lr"].as_f64() == Some(1.28)).collect();
    assert_eq!(diverging.len(), 2, "one a valley");
    for case in diverging {
        let want = f64s(&case["losses"]);
        assert!(want.last().unwrap() / want[0] > 1e25, "{}: torch's loss grows: {want:?}", case["valley"]);
        let on = run(case, 1000);
        assert!(on.diverged && on.steps() < 1000, "{}: {} steps", case["valley"], on.steps());
        let cut = case["steps"].as_u64().unwrap() as usize;
        assert!(on.steps() >= cut, "{}: torch's {cut} steps are finite, gdlab's {}", case["valley"], on.steps());
        for (t, (got, want)) in on.losses.iter().zip(&want).enumerate() {
            if case["valley"] == "aligned" {
                assert_eq!(got.to_bits(), want.to_bits(), "aligned: loss at point {t}: {got} != {want}");
            } else {
                assert!(close(got.sqrt(), want.sqrt(), TILTED), "tilted: loss at point {t}: {got} vs {want}");
            }
        }
    }
}
