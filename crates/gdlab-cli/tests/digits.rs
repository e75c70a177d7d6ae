//! `gdlab digits` against torch (crates/gdlab/tests/fixtures/torch.json, "digits", from
//! tools/torch_digits.py): the PyTorch loop on threes against sevens. Losses within 1e-4
//! relative and accuracies within one validation image, for the reasons crates/gdlab/tests/digits.rs gives.

mod common;

use common::{fails_with, json_of, numbers, torch_fixtures};
use itertools::Itertools; // zip_eq: a short output fails instead of passing

#[test]
fn digits_prints_torchs_losses_and_accuracies_for_both_models() {
    let fx = torch_fixtures();
    // The runs with plain SGD (the CLI has no momentum or schedule): the four and six of notebook 08's.
    let runs: Vec<_> = fx["digits"]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["momentum"] == 0.0 && r["step"].is_null())
        .collect();
    assert_eq!(runs.len(), 10);
    for run in runs {
        let (seed, lr) = (run["seed"].to_string(), run["lr"].to_string());
        let (batch, epochs) = (run["batch"].to_string(), run["epochs"].to_string());
        let mut args = vec!["digits", "--seed", &seed, "--lr", &lr, "--batch", &batch, "--epochs", &epochs, "--json"];
        let hidden = run["hidden"].to_string();
        if run["hidden"].is_u64() {
            args.extend(["--model", "mlp", "--hidden", &hidden]);
        }
        let got = json_of(&args);
        assert_eq!((got["epochs"].clone(), got["batch"].clone()), (run["epochs"].clone(), run["batch"].clone()));
        for (a, b) in numbers(&got["train_losses"]).iter().zip_eq(numbers(&run["train_losses"])) {
            assert!((a - b).abs() <= 1e-4 * b, "{args:?}: train loss {a} vs torch {b}");
        }
        for (a, b) in numbers(&got["valid_accuracy"]).iter().zip_eq(numbers(&run["valid_accuracy"])) {
            assert!((a - b).abs() <= 1.0 / 72.0 + 1e-6, "{args:?}: accuracy {a} vs torch {b}");
        }
    }
}

#[test]
fn digits_refuses_bad_input_in_one_line_with_exit_code_two() {
    fails_with(&["digits", "--hidden", "4"], "--hidden 4 is for --model mlp");
    fails_with(&["digits", "--model", "mlp", "--hidden", "0"], "a hidden layer at least 1 wide");
    fails_with(&["digits", "--batch", "0"], "a batch of 1 up to the training set's size");
    fails_with(&["digits", "--batch", "291"], "a batch of 1 up to the training set's size");
    fails_with(&["digits", "--lr", "0"], "a finite learning rate > 0");
    fails_with(&["digits", "--lr", "-0.5"], "a finite learning rate > 0");
    fails_with(&["digits", "--model", "cnn"], "invalid value 'cnn'");
}
