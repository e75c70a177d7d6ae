//! `gdlab randperm` and `gdlab sgd` against torch (crates/gdlab/tests/fixtures/torch.json,
//! "randperm" and "minibatch", from tools/make_fixtures.py).

mod common;

use common::{fails_with, gdlab, json_of, numbers, torch_fixtures};
use itertools::Itertools; // zip_eq: a short output fails instead of passing

#[test]
fn randperm_prints_torchs_permutation() {
    // torch.manual_seed(seed); torch.randperm(n)
    let fx = torch_fixtures();
    for case in fx["randperm"]["cases"].as_array().unwrap().iter().filter(|c| c["n"].as_u64().unwrap() <= 1000) {
        let (seed, n) = (case["seed"].to_string(), case["n"].to_string());
        let got = json_of(&["randperm", "--seed", &seed, "--n", &n, "--json"]);
        assert_eq!(got["perm"], case["perm"], "randperm({n}) after manual_seed({seed})");
    }
    // Without --json, as torch prints the tensor.
    let case = fx["randperm"]["cases"].as_array().unwrap().iter().find(|c| c["n"] == 10 && c["seed"] == 0).unwrap();
    let want: Vec<String> = case["perm"].as_array().unwrap().iter().map(|v| v.to_string()).collect();
    let out = gdlab(&["randperm", "--seed", "0", "--n", "10"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("tensor([{}])\n", want.join(", ")));
}

#[test]
fn sgd_prints_torchs_minibatch_run() {
    let fx = torch_fixtures();
    let run = fx["minibatch"].as_array().unwrap().iter().find(|r| r["name"] == "batch16_noise_step").unwrap().clone();
    // The defaults are the notebook's, and the fixture's: only the schedule is given.
    let got = json_of(&["sgd", "--schedule", "step:3:0.5", "--json"]);
    for key in ["docs", "words", "batch", "epochs", "seed"] {
        assert_eq!(got[key], run[key], "{key}");
    }
    assert_eq!(numbers(&got["lrs"]), numbers(&run["lrs"]), "the rates are exact");
    // The losses pass a 0/1 matrix–vector product that torch sums in BLAS's order: 1e-4
    // relative plus 2e-6·√loss (see crates/gdlab/tests/stochastic.rs for why).
    for key in ["batch_losses", "epoch_losses"] {
        for (g, w) in numbers(&got[key]).iter().zip_eq(numbers(&run[key])) {
            assert!((g - w).abs() <= 1e-4 * w.abs() + 2e-6 * w.abs().sqrt() + 1e-10, "{key}: {g} vs {w}");
        }
    }
    assert_eq!(numbers(&got["w_true"]), numbers(&run["w_true"]));
    for (g, w) in numbers(&got["w_star"]).iter().zip_eq(numbers(&run["w_star"])) {
        assert!((g - w).abs() <= 1e-6, "w⋆ {g} vs {w}"); // y differs from torch's by an ulp here and there
    }
}

#[test]
fn bad_sgd_arguments_end_with_one_line_and_exit_code_2() {
    fails_with(&["sgd", "--batch", "0"], "invalid batch = 0");
    fails_with(&["sgd", "--batch", "101"], "invalid batch = 101");
    fails_with(&["sgd", "--schedule", "step:3"], "malformed schedule \"step:3\"");
    fails_with(&["sgd", "--schedule", "linear:1"], "malformed schedule");
    fails_with(&["sgd", "--schedule", "exp:0"], "invalid gamma = 0");
    fails_with(&["sgd", "--schedule", "step:3:-0.5"], "invalid gamma = -0.5");
    fails_with(&["sgd", "--schedule", "cosine:0:0.001"], "invalid T_max = 0");
    fails_with(&["randperm", "--n", "214748364"], "214748364");
}
