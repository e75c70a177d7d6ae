//! The digits classifier's data, split and initialisation against torch (`tools/make_fixtures.py`
//! "digits"), all exact:
//!
//! ```python
//! X = torch.tensor(d.data[keep] / 16.0, dtype=torch.float32)   # keep: threes and sevens
//! torch.manual_seed(seed)
//! perm = torch.randperm(len(X)); valid, train = perm[:len(X) // 5], perm[len(X) // 5:]
//! model = nn.Linear(64, 1)   # or nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 1))
//! order = train[torch.randperm(len(train))]                    # each epoch's order
//! ```
use gdlab::prelude::*;
use gdlab::{Digits, DigitsParams, Linear, digits_run, digits_split, mean_baseline};
use serde_json::Value;

fn fixtures() -> Value {
    serde_json::from_str(include_str!("fixtures/torch.json")).expect("fixtures/torch.json is valid JSON")
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array().expect("an array").iter().map(|x| x.as_u64().expect("an index") as usize).collect()
}

fn floats(v: &Value) -> Vec<f32> {
    // Python wrote each float32 as the shortest repr of its f64 value: exact.
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number") as f32).collect()
}

#[test]
fn the_split_the_initial_weights_and_the_epoch_orders_are_torchs_bit_for_bit() {
    let fx = fixtures();
    let runs = fx["digits"]["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 12);
    let (x, _) = Digits::load().pair(3, 7).unwrap();
    for run in runs {
        let seed = run["seed"].as_u64().unwrap();
        let mut rng = TorchRng::manual_seed(seed);
        let split = digits_split(&mut rng, x.nrows()).unwrap();
        let perm: Vec<usize> = split.valid.iter().chain(&split.train).copied().collect();
        assert_eq!(perm, indices(&run["perm"]), "randperm(362) after manual_seed({seed})");
        let layers = match run["hidden"].as_u64() {
            None => vec![Linear::torch_init(&mut rng, 64, 1).unwrap()],
            Some(h) => vec![
                Linear::torch_init(&mut rng, 64, h as usize).unwrap(),
                Linear::torch_init(&mut rng, h as usize, 1).unwrap(),
            ],
        };
        let ours: Vec<Vec<f32>> =
            layers.iter().flat_map(|l| [l.weight.iter().copied().collect(), l.bias.to_vec()]).collect();
        let want: Vec<Vec<f32>> = run["init"].as_array().unwrap().iter().map(floats).collect();
        assert_eq!(ours.len(), want.len());
        for (k, (a, b)) in ours.iter().zip(&want).enumerate() {
            let a_bits: Vec<u32> = a.iter().map(|v| v.to_bits()).collect();
            let b_bits: Vec<u32> = b.iter().map(|v| v.to_bits()).collect();
            assert_eq!(a_bits, b_bits, "parameter {k} of seed {seed}, hidden {:?}", run["hidden"]);
        }
        // Each epoch shuffles the training rows with the same stream, after the initialisation.
        for (epoch, want) in run["first_orders"].as_array().unwrap().iter().enumerate() {
            let order: Vec<usize> = rng.randperm(split.train.len()).unwrap().iter().map(|&i| split.train[i]).collect();
            assert_eq!(order, indices(want), "epoch {epoch}'s order, seed {seed}");
        }
    }
}

#[test]
fn the_embedded_images_are_three_hundred_and_sixty_two_threes_and_sevens_scaled_by_sixteen() {
    let d = Digits::load();
    let (x, y) = d.pair(3, 7).unwrap();
    let threes = d.labels.iter().filter(|&&l| l == 3).count();
    let sevens = d.labels.iter().filter(|&&l| l == 7).count();
    assert_eq!((x.nrows(), y.len()), (threes + sevens, threes + sevens));
    assert_eq!(y.iter().filter(|&&t| t == 1.0).count(), sevens);
    assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert_eq!(x.iter().map(|&v| v * 16.0).fold(0.0f32, f32::max), 16.0);
}

#[test]
fn a_pair_that_is_not_two_digits_is_refused() {
    let d = Digits::load();
    for (a, b) in [(3, 3), (10, 7), (3, 12)] {
        let err = d.pair(a, b).unwrap_err().to_string();
        assert!(err.contains("a digit 0 … 9"), "{err}");
    }
}

/// The runs themselves: float32 matrix products summed in BLAS's order against matrixmultiply's,
/// and torch's vectorised `exp`/`log1p`, which are not correctly rounded, so not bit for bit:
/// losses within 1e-4 relative, accuracies within one image (of 72 validation, 290 training).
/// The twelve runs: the issue's four (two seeds, linear and 16 hidden, 20 epochs), and notebook
/// 08's comparisons at seed 314: lr 0.05 with and without momentum 0.9, StepLR(5, 0.5), full
/// batches at lr 0.6 and 2, batches of one, and both models for 200 epochs.
///
/// ```python
/// opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
/// sched = torch.optim.lr_scheduler.StepLR(opt, step_size, gamma)   # sched.step() after each epoch
/// ```
#[test]
fn the_runs_follow_torchs_losses_and_accuracies() {
    let fx = fixtures();
    let (x, y) = Digits::load().pair(3, 7).unwrap();
    let mut worst = 0.0f32;
    for run in fx["digits"]["runs"].as_array().unwrap() {
        let momentum = run["momentum"].as_f64().unwrap();
        let p = DigitsParams {
            seed: run["seed"].as_u64().unwrap(),
            hidden: run["hidden"].as_u64().map(|h| h as usize),
            lr: run["lr"].as_f64().unwrap() as f32,
            batch: run["batch"].as_u64().unwrap() as usize,
            epochs: run["epochs"].as_u64().unwrap() as usize,
            optimizer: if momentum > 0.0 { Momentum::heavy_ball(momentum).into() } else { Sgd.into() },
            schedule: match run["step"].as_array() {
                None => Schedule::Constant,
                Some(s) => Schedule::Step { step_size: s[0].as_u64().unwrap() as usize, gamma: s[1].as_f64().unwrap() },
            },
        };
        let ours = digits_run(&x, &y, p).unwrap();
        for (name, got) in [("train_losses", &ours.train_losses), ("valid_losses", &ours.valid_losses)] {
            let want = floats(&run[name]);
            assert_eq!(got.len(), want.len());
            for (epoch, (a, b)) in got.iter().zip(&want).enumerate() {
                worst = worst.max((a - b).abs() / b);
                assert!((a - b).abs() <= 1e-4 * b, "{p:?} epoch {epoch}: {name} {a} vs torch {b}");
            }
        }
        for (name, got, images) in
            [("train_accuracy", &ours.train_accuracy, 290.0), ("valid_accuracy", &ours.valid_accuracy, 72.0)]
        {
            let want = floats(&run[name]);
            assert_eq!(got.len(), want.len());
            for (epoch, (a, b)) in got.iter().zip(&want).enumerate() {
                assert!((a - b).abs() <= 1.0 / images + 1e-6, "{p:?} epoch {epoch}: {name} {a} vs torch {b}");
            }
        }
    }
    println!("largest relative gap to torch's losses: {worst:.1e}");
}

#[test]
fn bad_training_parameters_are_one_line_errors_naming_what_was_expected() {
    let (x, y) = Digits::load().pair(3, 7).unwrap();
    let base = DigitsParams::default();
    let cases = [
        (DigitsParams { hidden: Some(0), ..base }, "a hidden layer at least 1 wide"),
        (DigitsParams { batch: 0, ..base }, "a batch of 1 up to the training set's size"),
        (DigitsParams { batch: 291, ..base }, "a batch of 1 up to the training set's size"),
        (DigitsParams { lr: f32::NAN, ..base }, "a finite learning rate > 0"),
        (DigitsParams { epochs: 0, ..base }, "at least one epoch"),
    ];
    for (p, says) in cases {
        let e = digits_run(&x, &y, p).unwrap_err().to_string();
        assert!(e.contains(says) && !e.contains('\n'), "{p:?}: {e}");
    }
    // The whole training set (290 images) is a batch; one more is not.
    assert!(digits_run(&x, &y, DigitsParams { batch: 290, epochs: 1, ..base }).is_ok());
    let e = digits_run(&x, &y.slice(ndarray::s![..10]).to_owned(), base).unwrap_err().to_string();
    assert!(e.contains("the targets (one per image)"), "{e}");
}

/// fastbook's "which mean is closer" on the same split: the mean images within 1e-6 relative
/// (torch reduces in float32, gdlab in f64 rounded once) and the accuracy exactly torch's.
#[test]
fn the_mean_image_baseline_is_torchs() {
    let fx = fixtures();
    let (x, y) = Digits::load().pair(3, 7).unwrap();
    for case in fx["digits"]["baseline"].as_array().unwrap() {
        let seed = case["seed"].as_u64().unwrap();
        let split = digits_split(&mut TorchRng::manual_seed(seed), x.nrows()).unwrap();
        let ours = mean_baseline(&x, &y, &split).unwrap();
        for (mean, key) in [(&ours.mean_zero, "mean3"), (&ours.mean_one, "mean7")] {
            for (a, b) in mean.iter().zip(floats(&case[key])) {
                assert!((a - b).abs() <= 1e-6 * b.abs().max(1e-3), "seed {seed} {key}: {a} vs torch {b}");
            }
        }
        assert_eq!(ours.accuracy, floats(&serde_json::json!([case["accuracy"]]))[0], "seed {seed}");
    }
}

#[test]
fn the_digits_figure_draws_every_pixel_once_and_captions_each_image() {
    let (x, _) = Digits::load().pair(3, 7).unwrap();
    let images: Vec<_> = (0..5).map(|i| (format!("image {i}"), x.row(i))).collect();
    let json: Value = serde_json::from_str(&gdlab::digits_figure(&images, 3, "five").unwrap().to_json()).unwrap();
    let z = json["data"][0]["z"].as_array().unwrap();
    let drawn: Vec<f64> = z.iter().flat_map(|r| r.as_array().unwrap().iter().filter_map(|v| v.as_f64())).collect();
    assert_eq!(drawn.len(), 5 * 64, "NaN between the tiles, 64 pixels each");
    let sum: f64 = (0..5).map(|i| x.row(i).iter().map(|&v| f64::from(v)).sum::<f64>()).sum();
    assert!((drawn.iter().sum::<f64>() - sum).abs() < 1e-9);
    let captions = json["layout"]["annotations"].as_array().unwrap();
    assert_eq!(
        captions.iter().map(|a| a["text"].as_str().unwrap()).collect::<Vec<_>>(),
        ["image 0", "image 1", "image 2", "image 3", "image 4"]
    );
    let e = gdlab::digits_figure(&[("short".to_string(), x.row(0).slice(ndarray::s![..10]))], 1, "t");
    assert!(e.unwrap_err().to_string().contains("64 pixels an image"));
}
