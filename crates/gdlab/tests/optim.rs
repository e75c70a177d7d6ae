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
//! optimizer = torch.optim.RMSprop([X], lr=lr)                             # "rmsprop"
//! optimizer = torch.optim.Adagrad([X], lr=lr)                             # "adagrad"
//! for _ in range(100):
//!     optimizer.zero_grad()
//!     loss = ((Y_true - X @ M) ** 2).mean()
//!     loss.backward()
//!     losses.append(loss.item())
//!     optimizer.step()
//! ```

use gdlab::Real;
use gdlab::prelude::*;
use itertools::Itertools; // zip_eq: a short output fails instead of passing
use serde_json::Value;

/// How close Adam, RMSprop and Adagrad (any M) and dense-M runs come to torch: √loss and X within this.
/// crates/gdlab/README.md and docs/cli.md quote it, and `the_readmes_quote_the_square_root_tolerance` holds them to it.
const NEAR: f64 = 1e-6;

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
        "rmsprop" => RmsProp::default().into(),
        "adagrad" => Adagrad::default().into(),
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
    assert_eq!(cases.len(), 24);
    for case in cases {
        let what = format!("{} {} on {}", case["optimizer"], case["dtype"], case["m"]);
        let (losses, x) = match case["dtype"].as_str().unwrap() {
            "float32" => run::<f32>(case),
            _ => run::<f64>(case),
        };
        let (want_losses, want_x) = (f64s(&case["losses"]), f64s(&case["final_x"]));
        assert_eq!(losses.len(), want_losses.len(), "{what}");
        let diagonal = case["m"].as_array().unwrap().len() == 4;
        // Adam, RMSprop and Adagrad take a square root, which torch computes with Intel MKL's
        // vector math (about an ulp, not correctly rounded); Rust's is correctly rounded. So they
        // agree to 1e-6.
        let exact = diagonal && !["adam", "rmsprop", "adagrad"].contains(&case["optimizer"].as_str().unwrap());
        if exact {
            // diag(1, 2, 3, 4): the gradient is torch's bit for bit, and so is every update.
            for (t, (got, want)) in losses.iter().zip_eq(&want_losses).enumerate() {
                assert_eq!(got.to_bits(), want.to_bits(), "{what}: loss at step {t}: {got} != {want}");
            }
            assert_eq!(x, want_x, "{what}: final X");
        } else {
            // A dense M: X·M and the gradient's product with Mᵀ sum in matrixmultiply's order, not
            // torch's BLAS order, so they can differ in the last bit; with Adam, the square root
            // above. The runs agree to 1e-6.
            // E = X·M − I has entries that are differences of numbers near 1, so they agree to
            // 1e-6 absolutely, and so does √loss, their root mean square.
            for (t, (got, want)) in losses.iter().zip_eq(&want_losses).enumerate() {
                let gap = (got.sqrt() - want.sqrt()).abs();
                assert!(gap <= NEAR, "{what}: loss at step {t}: {got} vs {want}");
            }
            for (got, want) in x.iter().zip_eq(&want_x) {
                assert!((got - want).abs() <= NEAR * want.abs().max(1.0), "{what}: final X {got} vs {want}");
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
    let err = InverseDescent::new(&m).optimizer(RmsProp { alpha: 1.5, ..RmsProp::default() }).run().unwrap_err();
    assert_eq!(err.to_string(), "invalid alpha = 1.5: expected 0 <= alpha <= 1");
    let err = InverseDescent::new(&m).optimizer(Adagrad { lr_decay: -0.1, ..Adagrad::default() }).run().unwrap_err();
    assert!(err.to_string().contains("lr_decay"), "{err}");
    let err = InverseDescent::new(&m).optimizer(Adagrad { eps: f64::NAN, ..Adagrad::default() }).run().unwrap_err();
    assert!(err.to_string().contains("eps"), "{err}");
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

/// The rate of a run at the tuned parameters, measured, against the theory's.
fn measured_at(m: &Array2<f64>, tuning: Tuning, steps: usize) -> f64 {
    let optimizer: AnyOptimizer =
        if tuning.beta == 0.0 { AnyOptimizer::Lesson } else { Momentum::heavy_ball(tuning.beta).into() };
    let run = InverseDescent::new(m).seed(314).lr(tuning.lr).steps(steps).optimizer(optimizer).no_snapshots();
    measured_rate(&run.run().unwrap().losses)
}

#[test]
fn tuned_rates_match_measured_ones_within_5_percent() {
    let lesson = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
    let hard = with_condition_number(4, 10.0, 314).unwrap(); // κ(MᵀM) = 100
    assert!((curvature_condition(&hard).unwrap() - 100.0).abs() < 1e-6);
    for (m, steps) in [(&lesson, 100), (&hard, 600)] {
        let gd = gd_tuning(m).unwrap();
        let hb = heavy_ball_tuning(m).unwrap();
        let (measured_gd, measured_hb) = (measured_at(m, gd, steps), measured_at(m, hb, steps));
        assert!((measured_gd / gd.rate - 1.0).abs() < 0.05, "GD: measured {measured_gd} vs {}", gd.rate);
        assert!((measured_hb / hb.rate - 1.0).abs() < 0.05, "momentum: measured {measured_hb} vs {}", hb.rate);
        assert!(hb.rate < gd.rate);
    }
    // κ = 100: (κ−1)/(κ+1) = 99/101 for plain descent, (√κ−1)/(√κ+1) = 9/11 with momentum.
    assert!((gd_tuning(&hard).unwrap().rate - 99.0 / 101.0).abs() < 1e-9);
    assert!((heavy_ball_tuning(&hard).unwrap().rate - 9.0 / 11.0).abs() < 1e-9);
}

#[test]
fn the_sliders_carry_one_step_per_value_and_toggle_the_runs() {
    let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
    let base = InverseDescent::new(&m).seed(314).steps(60);
    let lrs = log_space(0.05, 1.5, 30).unwrap();
    let json: Value = serde_json::from_str(&lr_slider(&base, &lrs, 20).unwrap().to_json()).unwrap();
    let steps = json["layout"]["sliders"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 30);
    assert_eq!(json["data"].as_array().unwrap().len(), 60, "a loss curve and a heatmap per rate");
    for (i, step) in steps.iter().enumerate() {
        assert_eq!(step["method"], "update");
        let visible = step["args"][0]["visible"].as_array().unwrap();
        assert_eq!(visible.iter().filter(|v| v.as_bool().unwrap()).count(), 2);
        assert!(visible[2 * i].as_bool().unwrap() && visible[2 * i + 1].as_bool().unwrap());
    }
    let last = steps.last().unwrap();
    assert!(last["label"].as_str().unwrap().ends_with('✗'), "1.5 is above the bound 1: {last}");
    assert!(last["args"][1]["title.text"].as_str().unwrap().contains("above the bound"));
    let betas: Vec<f64> = (0..20).map(|i| 0.99 * i as f64 / 19.0).collect();
    let json: Value =
        serde_json::from_str(&beta_slider(&base.clone().lr(1.28), &betas, 20).unwrap().to_json()).unwrap();
    assert_eq!(json["layout"]["sliders"][0]["steps"].as_array().unwrap().len(), 20);
}

#[test]
fn the_readmes_quote_the_square_root_tolerance() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let figure = format!("{NEAR:e}");
    assert_eq!(figure, "1e-6");
    for readme in [root.join("README.md"), root.join("../../docs/cli.md")] {
        let text = std::fs::read_to_string(&readme).unwrap().replace('\n', " ");
        let at = ["Adagrad to ", "Adagrad agree to "].iter().find_map(|p| text.find(p).map(|at| at + p.len()));
        let at = at.expect("the README states the figure of Adam, RMSprop and Adagrad");
        let said = &text[at..at + 10];
        assert!(
            said.contains(&format!("{figure} ")) || said.contains(&format!("{figure}:")),
            "{}: {said}",
            readme.display()
        );
    }
}

fn matrix64(rows: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = rows.as_array().unwrap().iter().map(f64s).collect();
    Array2::from_shape_fn((rows.len(), rows.len()), |(i, j)| rows[i][j])
}

/// Notebook 06's float64 studies, each from notebook 01's start: `torch.manual_seed(314);
/// torch.rand(size=[4, 4]).double()`, not torch's float64 draw. Fixtures "notebook06".
#[test]
fn notebook_06s_float64_studies_are_torchs_from_notebook_01s_start() {
    let fx = fixtures();
    let nb = &fx["notebook06"];
    let start = TorchRng::manual_seed(314).rand::<f32, _>((4, 4)).mapv(f64::from);
    assert_eq!(start.iter().copied().collect::<Vec<_>>(), f64s(&nb["start"]));
    let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);

    // The theory's runs at the tuned rates, as torch.optim.SGD with and without momentum.
    for case in nb["tuning"].as_array().unwrap() {
        let what = format!("{} {}", case["name"], case["optimizer"]);
        let (lr, beta) = (case["lr"].as_f64().unwrap(), case["beta"].as_f64().unwrap());
        let optimizer: AnyOptimizer = if beta == 0.0 { Sgd.into() } else { Momentum::heavy_ball(beta).into() };
        let on = matrix64(&case["m"]);
        let steps = case["steps"].as_u64().unwrap() as usize;
        let run = InverseDescent::new(&on).start(&start).lr(lr).steps(steps).optimizer(optimizer).run().unwrap();
        let want = f64s(&case["losses"]);
        if on.len() == 16 && on == m {
            assert_eq!(run.losses, want, "{what}: bit for bit on the diagonal M");
        } else {
            // A dense M: products in another order, equal to rounding while the loss is far above
            // its float64 floor; the rate measured from them agrees.
            for (t, (got, want)) in run.losses.iter().zip_eq(&want).enumerate().filter(|(_, (_, w))| **w > 1e-20) {
                assert!((got / want - 1.0).abs() < 1e-6, "{what}: loss at step {t}: {got} vs {want}");
            }
            assert!((measured_rate(&run.losses) / measured_rate(&want) - 1.0).abs() < 1e-6, "{what}");
        }
    }

    // The race, with the notebook's contenders: the lesson's own update, not torch's SGD, for full batch.
    let nesterov_beta = (16f64.sqrt() - 1.0) / (16f64.sqrt() + 1.0);
    let contenders = [
        ("full batch, the lesson's lr", AnyOptimizer::Lesson, lesson_lr()),
        ("full batch, best lr", AnyOptimizer::Lesson, 16.0 / 17.0),
        ("momentum, best (lr, β)", Momentum::heavy_ball(0.6 * 0.6).into(), 1.28),
        ("Nesterov, lr = 1/L, β = (√κ−1)/(√κ+1)", Momentum::nesterov(nesterov_beta).into(), 0.5),
        ("Adam, lr = 0.1", Adam::default().into(), 0.1),
        ("RMSprop, lr = 0.01", RmsProp::default().into(), 0.01),
        ("Adagrad, lr = 0.1", Adagrad::default().into(), 0.1),
    ];
    let race = optimizer_race(&InverseDescent::new(&m).start(&start).steps(5000), &contenders, 1e-6).unwrap();
    for (got, want) in race.iter().zip_eq(nb["race"].as_array().unwrap()) {
        assert_eq!(got.name, want["name"].as_str().unwrap());
        assert_eq!(got.steps.map(|s| s as u64), want["steps"].as_u64(), "{}", got.name);
    }

    // Adam's first steps against plain descent at the lesson's rate.
    let first = &nb["first_steps"];
    let adam = InverseDescent::new(&m).start(&start).lr(0.1).steps(16).optimizer(Adam::default()).run().unwrap();
    let sgd = InverseDescent::new(&m).start(&start).lr(lesson_lr()).steps(16).run().unwrap();
    for (got, want) in adam.losses.iter().zip_eq(&f64s(&first["adam"])) {
        assert!((got.sqrt() - want.sqrt()).abs() <= NEAR, "Adam: {got} vs {want}"); // MKL's square root
    }
    for (got, want) in sgd.losses.iter().zip_eq(&f64s(&first["sgd"])) {
        assert!((got / want - 1.0).abs() < 1e-12, "plain descent: {got} vs {want}"); // X − lr·g against add_(g, alpha=−lr)
    }

    // The momentum map's marked points.
    let points: Vec<(f64, f64)> = nb["momentum_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["lr"].as_f64().unwrap(), p["beta"].as_f64().unwrap()))
        .collect();
    let found = measured_momentum_rates(&m, &start, &points).unwrap();
    for (got, want) in found.iter().zip_eq(nb["momentum_points"].as_array().unwrap()) {
        assert!((got.predicted - want["predicted"].as_f64().unwrap()).abs() < 1e-12);
        match (got.measured, want["measured"].as_f64()) {
            (Some(g), Some(w)) => assert!((g / w - 1.0).abs() < 1e-9, "lr {}, β {}: {g} vs {w}", got.lr, got.beta),
            (None, None) => {}
            other => panic!("lr {}, β {}: {other:?}", got.lr, got.beta),
        }
    }

    // Exercise 6.3's run in torch: its check takes torch's number, and 6.2's refuses it.
    for case in nb["polyak_diag123"].as_array().unwrap() {
        let (seed, measured) = (case["seed"].as_u64().unwrap(), case["measured"].as_f64().unwrap());
        assert!(check::ex_06_3(&measured, seed).is_right(), "seed {seed}: torch's {measured}");
        assert!(!check::ex_06_2(&measured).is_right(), "seed {seed}: torch's {measured}");
    }
}

/// 06's κ = 100 figure: the y axis spans what the runs measured, and each predicted line stops
/// where it leaves that range (it would run on to 1e-106).
#[test]
fn the_tuning_figure_ranges_its_axis_on_the_measured_losses() {
    let hard = with_condition_number(4, 10.0, 314).unwrap();
    let start = TorchRng::manual_seed(314).rand::<f32, _>((4, 4)).mapv(f64::from);
    let (gd, hb) = (gd_tuning(&hard).unwrap(), heavy_ball_tuning(&hard).unwrap());
    let base = InverseDescent::new(&hard).start(&start).steps(600);
    let gd_run = base.clone().lr(gd.lr).run().unwrap();
    let hb_run = base.lr(hb.lr).optimizer(Momentum::heavy_ball(hb.beta)).run().unwrap();
    let json: Value =
        serde_json::from_str(&tuning_figure(&[("gd", &gd_run, gd), ("hb", &hb_run, hb)], "κ").to_json()).unwrap();
    let range = f64s(&json["layout"]["yaxis"]["range"]);
    let measured = gd_run.losses.iter().chain(&hb_run.losses).copied().filter(|l| *l > 0.0);
    let (lo, hi) = measured.fold((f64::MAX, 0.0f64), |(a, b), l| (a.min(l), b.max(l)));
    assert!(range[0] < lo.log10() && lo.log10() - range[0] < 0.5, "{range:?} against {lo:e}");
    assert!(range[1] > hi.log10() && range[1] - hi.log10() < 0.5, "{range:?} against {hi:e}");
    assert!(range[1] - range[0] < 40.0, "about 32 decades measured, not the prediction's 106: {range:?}");
    for trace in json["data"].as_array().unwrap() {
        let ys = f64s(&trace["y"]);
        assert!(ys.iter().all(|y| *y >= lo && *y <= hi * 1.000001), "{} leaves the axis", trace["name"]);
    }
    // The dashed heavy-ball prediction is cut short, the measured lines are whole.
    let lengths: Vec<usize> =
        json["data"].as_array().unwrap().iter().map(|t| t["y"].as_array().unwrap().len()).collect();
    assert_eq!((lengths[0], lengths[2]), (600, 600));
    assert!(lengths[3] < 600, "{lengths:?}");
}
