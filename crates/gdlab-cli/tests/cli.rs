//! The `gdlab` binary against the PyTorch fixtures of crates/gdlab/tests/fixtures/torch.json
//! (written by tools/make_fixtures.py from real torch).

mod common;

use common::{Scratch, fails_with_code, flat, gdlab, json_of, numbers, torch_fixtures};
use itertools::Itertools; // zip_eq: a short output fails instead of passing
use serde_json::Value;

#[test]
fn descend_json_is_the_original_loop_bit_for_bit() {
    // manual_seed(314); random_inverse = torch.nn.Parameter(torch.rand(size=[4,4]))
    // for t, lr in enumerate(lrs): update(lr)     # lrs = np.log(np.logspace(2e-1, 2e-1, 100))
    let want = &torch_fixtures()["original_loop"];
    let got = json_of(&["descend", "--seed", "314", "--diag", "1,2,3,4", "--steps", "100", "--every", "20", "--json"]);
    assert_eq!(got["dtype"], "float32");
    assert_eq!(flat(&got["losses"]), flat(&want["losses"]));
    let snaps = got["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 5);
    for (g, w) in snaps.iter().zip_eq(want["snapshots"].as_array().unwrap()) {
        assert_eq!(g["step"], w["step"]);
        assert_eq!(g["loss"].as_f64(), w["loss"].as_f64());
        assert_eq!(flat(&g["diff"]), flat(&w["diff"]));
    }
    assert_eq!(flat(&got["x"]), flat(&want["final_x"]));
}

#[test]
fn descend_prints_the_notebooks_table() {
    // print(t, ':', loss); print(Diff) with np.set_printoptions(... "{0:0.2f}" ...)
    let out = gdlab(&["descend"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5 * 5);
    assert_eq!(lines[0], "0 : 1.6650");
    assert_eq!(lines[5], "20 : 0.0054");
    // The difference matrices, char for char as the original notebook printed them.
    let reference = include_str!("../../../tools/reference/original-notebook.txt");
    let want: Vec<&str> = reference.lines().filter(|l| l.starts_with("[[") || l.starts_with(" [")).collect();
    let got: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with('[') || l.starts_with(" [")).collect();
    assert_eq!(got.len(), 20);
    assert_eq!(got, want);
}

#[test]
fn descend_f64_matches_torch_float64() {
    // X = torch.nn.Parameter(torch.rand(size=[4, 4], dtype=torch.float64)), same loop
    let want = &torch_fixtures()["runs"][0];
    assert_eq!(want["dtype"], "float64");
    let got = json_of(&["descend", "--f64", "--json"]);
    assert_eq!(got["dtype"], "float64");
    assert_eq!(flat(&got["losses"]), flat(&want["losses"]));
    assert_eq!(flat(&got["x"]), flat(&want["final_x"]));
}

#[test]
fn descend_reads_a_csv_matrix() {
    // M = [[2,1,0],[1,3,1],[0,1,4]]; manual_seed(7); 60 steps at lr 0.3, snapshots every 10
    let scratch = Scratch::new("m");
    let csv = scratch.path("m.csv");
    std::fs::write(&csv, "# a dense symmetric M\n2, 1, 0\n1, 3, 1\n0, 1, 4\n").unwrap();
    let fx = torch_fixtures();
    for (want, extra) in [(&fx["runs"][1], None), (&fx["runs"][2], Some("--f64"))] {
        let mut args = vec!["descend", "--matrix", csv.to_str().unwrap(), "--seed", "7", "--lr", "0.3"];
        args.extend(["--steps", "60", "--every", "10", "--json"]);
        args.extend(extra);
        let got = json_of(&args);
        assert_eq!(got["dtype"], want["dtype"]);
        // A dense product sums in another order than torch's BLAS: equal to the last bits.
        let tol = if extra.is_some() { 1e-12 } else { 1e-5 };
        for (g, w) in flat(&got["losses"]).iter().zip_eq(flat(&want["losses"])) {
            assert!((g - w).abs() <= tol * w.abs().max(1e-3), "loss {g} vs torch {w}");
        }
        assert_eq!(got["snapshots"].as_array().unwrap().len(), 6);
        for (g, w) in flat(&got["x"]).iter().zip_eq(flat(&want["final_x"])) {
            assert!((g - w).abs() <= tol, "x {g} vs torch {w}");
        }
    }
}

#[test]
fn indicator_matches_torch() {
    // manual_seed(123); (torch.rand(size=[17, 3]) < 0.2).int()
    for case in torch_fixtures()["indicator"].as_array().unwrap() {
        let arg = |k: &str| case[k].to_string();
        let (seed, docs, words, p) = (arg("seed"), arg("docs"), arg("words"), arg("p"));
        let got = json_of(&["indicator", "--seed", &seed, "--docs", &docs, "--words", &words, "--p", &p, "--json"]);
        assert_eq!(flat(&got["matrix"]), flat(&case["values"]), "seed {seed}");
    }
}

#[test]
fn rand_matches_torch_in_both_dtypes() {
    // torch.manual_seed(s); torch.rand(r, c, dtype=...)
    let mut checked = 0;
    for case in torch_fixtures()["rand"].as_array().unwrap() {
        let shape: Vec<u64> = case["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap()).collect();
        let seed = case["seed"].as_i64().unwrap();
        if shape.len() != 2 || seed < 0 {
            continue; // the CLI takes R,C and a u64 seed
        }
        let (seed, shape) = (seed.to_string(), format!("{},{}", shape[0], shape[1]));
        let mut args = vec!["rand", "--seed", &seed, "--shape", &shape, "--json"];
        if case["dtype"] == "float64" {
            args.push("--f64");
        }
        let got = json_of(&args);
        assert_eq!(got["dtype"], case["dtype"]);
        assert_eq!(flat(&got["values"]), flat(&case["values"]), "{args:?}");
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} rand cases checked");
    let text = String::from_utf8(gdlab(&["rand", "--seed", "314", "--shape", "1,2"]).stdout).unwrap();
    assert!(text.starts_with("[[0.7196, 0.6295]]"), "{text}"); // torch.rand's printout
}

#[test]
fn bad_arguments_end_with_one_line_and_exit_code_2() {
    let scratch = Scratch::new("bad");
    let file = |name: &str, text: &str| {
        let p = scratch.path(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let empty = file("empty.csv", "# nothing here\n");
    let wide = file("wide.csv", "1,2,3\n4,5,6\n");
    let words = file("words.csv", "1,2\n3,x\n");
    let ragged = file("ragged.csv", "1,2\n3\n");
    for command in ["descend", "pinv"] {
        fails_with_code(&[command, "--matrix", &empty], 2, "no numbers: expected a matrix");
        fails_with_code(&[command, "--matrix", &words], 2, "row 2, column 2: \"x\" is not a finite number");
        fails_with_code(&[command, "--matrix", &ragged], 2, "malformed CSV");
    }
    fails_with_code(&["descend", "--matrix", &wide, "--side", "up"], 2, "invalid value 'up' for '--side");
    fails_with_code(&["descend", "--matrix", &wide, "--start", "ones"], 2, "invalid value 'ones' for '--start");
    fails_with_code(&["descend", "--matrix", &words], 2, "row 2, column 2: \"x\" is not a finite number");
    fails_with_code(&["descend", "--matrix", &ragged], 2, "malformed CSV");
    fails_with_code(&["descend", "--matrix", "/no/such/file.csv"], 2, "cannot read");
    fails_with_code(&["descend", "--lr", "-1"], 2, "invalid learning rate -1: expected a finite number > 0");
    fails_with_code(&["indicator", "--p", "1.5"], 2, "invalid probability p = 1.5: expected 0 <= p <= 1");
    fails_with_code(&["rand", "--seed", "1", "--shape", "4"], 2, "expected two positive sizes R,C");
    fails_with_code(&["rand", "--seed", "x", "--shape", "4,4"], 2, "invalid value 'x'");
    fails_with_code(&["descend", "--diag", "1,2", "--matrix", &wide], 2, "cannot be used with");
}

#[test]
fn divergence_is_a_one_line_error_with_exit_code_1() {
    fails_with_code(&["descend", "--lr", "1.5"], 1, "exceeds the stability bound");
}

#[test]
fn html_report_is_offline_and_animated() {
    let scratch = Scratch::new("report");
    let path = scratch.path("report.html");
    let out = gdlab(&["descend", "--html", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(&path).unwrap();
    assert_eq!(page.matches("class=\"plotly-graph-div\"").count(), 3, "heatmaps, loss line, animation");
    assert!(page.contains("\"frames\":[{"), "the animation has frames");
    assert!(page.contains("\"sliders\""));
    // Nothing from the network: no element loads a file (plotly.js's code mentions URLs it never uses here).
    for tag in ["<script", "<link", "<img", "<iframe"] {
        for (at, _) in page.match_indices(tag) {
            let element = &page[at..at + page[at..].find('>').unwrap()];
            assert!(!element.contains("src=") && !element.contains("href="), "{element}");
        }
    }
    assert!(page.matches("<script").count() >= 4, "plotly.js and three figures, inline");
}

fn optim_fixture(name: &str, dtype: &str) -> Value {
    let fx = torch_fixtures();
    let found = fx["optim"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["optimizer"] == name && c["dtype"] == dtype && c["m"].as_array().unwrap().len() == 4);
    found.expect("an optim fixture").clone()
}

#[test]
fn descend_with_torch_optim_rules_prints_torchs_numbers() {
    // torch.manual_seed(314); X = torch.nn.Parameter(torch.rand(size=[4, 4]))
    // optimizer = torch.optim.SGD([X], lr=0.1, momentum=0.9)   # or nesterov=True, or Adam([X], lr=0.1)
    // for _ in range(100): optimizer.zero_grad(); loss = mse(Y_true, X @ M); loss.backward(); optimizer.step()
    for (name, extra) in [("momentum", vec!["--momentum", "0.9"]), ("nesterov", vec![]), ("adam", vec![])] {
        let want = optim_fixture(name, "float32");
        let mut args = vec!["descend", "--optimizer", name, "--lr", "0.1", "--steps", "100", "--json"];
        args.extend(extra);
        let got = json_of(&args);
        assert_eq!(got["optimizer"]["name"], name);
        if name == "adam" {
            // torch's float32 sqrt is Intel MKL's (about an ulp), ours correctly rounded: √loss to 1e-6.
            for (g, w) in flat(&got["losses"]).iter().zip_eq(flat(&want["losses"])) {
                assert!((g.sqrt() - w.sqrt()).abs() <= 1e-6, "adam: {g} vs {w}");
            }
        } else {
            assert_eq!(flat(&got["losses"]), flat(&want["losses"]), "{name}");
            assert_eq!(flat(&got["x"]), flat(&want["final_x"]), "{name}");
        }
    }
    let got = json_of(&["descend", "--optimizer", "adam", "--lr", "0.1", "--json"]);
    assert_eq!(got["optimizer"], serde_json::json!({"name": "adam", "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}));
    let want = optim_fixture("momentum", "float64");
    let got = json_of(&["descend", "--optimizer", "momentum", "--lr", "0.1", "--f64", "--json"]);
    assert_eq!(flat(&got["losses"]), flat(&want["losses"]));
}

#[test]
fn bad_optimizer_values_end_with_one_line_and_exit_code_2() {
    fails_with_code(&["descend", "--optimizer", "momentum", "--momentum", "1.0"], 2, "expected 0 <= beta < 1");
    fails_with_code(&["descend", "--optimizer", "momentum", "--momentum", "-0.1"], 2, "expected 0 <= beta < 1");
    fails_with_code(&["descend", "--optimizer", "adam", "--momentum", "0.9"], 2, "--momentum goes with");
    fails_with_code(&["descend", "--optimizer", "adam", "--eps", "-1e-8"], 2, "invalid eps = -0.00000001");
    fails_with_code(&["descend", "--optimizer", "adam", "--beta1", "1.5"], 2, "invalid beta1 = 1.5");
    fails_with_code(&["descend", "--beta2", "0.9"], 2, "--beta2 goes with --optimizer adam");
    fails_with_code(&["descend", "--optimizer", "adam", "--alpha", "0.9"], 2, "--alpha goes with --optimizer rmsprop");
    fails_with_code(&["descend", "--optimizer", "adagrad", "--beta1", "0.9"], 2, "--beta1 goes with --optimizer adam");
    fails_with_code(&["descend", "--eps", "1e-8"], 2, "--eps goes with --optimizer adam, rmsprop or adagrad");
    fails_with_code(&["descend", "--optimizer", "rmsprop", "--alpha", "1.5"], 2, "invalid alpha = 1.5");
    fails_with_code(&["descend", "--optimizer", "rmsprop2"], 2, "rmsprop2");
}

#[test]
fn descend_with_rmsprop_and_adagrad_prints_torchs_numbers() {
    // optimizer = torch.optim.RMSprop([X], lr=0.01)   # or Adagrad([X], lr=0.1)
    for (name, lr) in [("rmsprop", "0.01"), ("adagrad", "0.1")] {
        let want = optim_fixture(name, "float32");
        let got = json_of(&["descend", "--optimizer", name, "--lr", lr, "--steps", "100", "--json"]);
        assert_eq!(got["optimizer"]["name"], name);
        // A square root, which torch's float32 kernel takes with Intel MKL (about an ulp): √loss to 1e-6.
        for (g, w) in flat(&got["losses"]).iter().zip_eq(flat(&want["losses"])) {
            assert!((g.sqrt() - w.sqrt()).abs() <= 1e-6, "{name}: {g} vs {w}");
        }
    }
    let got = json_of(&["descend", "--optimizer", "rmsprop", "--alpha", "0.9", "--eps", "1e-6", "--json"]);
    assert_eq!(got["optimizer"], serde_json::json!({"name": "rmsprop", "alpha": 0.9, "eps": 1e-6}));
}

/// The fixture's A as a CSV file named after the case.
fn csv_of(case: &Value, scratch: &Scratch) -> String {
    let rows: Vec<Vec<f64>> = case["a"].as_array().unwrap().iter().map(numbers).collect();
    scratch.csv(&format!("{}.csv", case["name"].as_str().unwrap()), &rows)
}

#[test]
fn descend_takes_a_non_square_matrix_on_either_side_with_torchs_numbers() {
    // torch.manual_seed(123); A = (torch.rand(size=[17, 3]) < 0.2).float()
    // torch.manual_seed(314); X = torch.nn.Parameter(torch.rand(size=[3, 17]))   # or torch.zeros(3, 17)
    // loss = ((torch.eye(3) - X @ A) ** 2).mean()       # right: ((torch.eye(17) - A @ X) ** 2).mean()
    let scratch = Scratch::new("sides");
    let fx = torch_fixtures();
    for case in fx["sides"].as_array().unwrap().iter().filter(|c| c["dtype"] == "float32") {
        let (lr, steps) = (case["lr"].to_string(), case["steps"].to_string());
        let csv = csv_of(case, &scratch);
        let side = case["side"].as_str().unwrap();
        let start = case["start"].as_str().unwrap();
        let args = ["descend", "--matrix", &csv, "--side", side, "--start", start, "--lr", &lr, "--steps", &steps];
        let got = json_of(&[&args[..], &["--every", "50", "--json"]].concat());
        let name = case["name"].as_str().unwrap();
        assert_eq!(got["side"], side);
        assert_eq!(got["start"], start);
        assert_eq!(got["rank"], 3, "{name}");
        let k = if side == "left" { got["x"].as_array().unwrap().len() } else { 17 } as f64;
        assert_eq!(got["floor"].as_f64().unwrap(), (k - 3.0) / (k * k), "{name}");
        // A 0/1 product adds subsets in another order than torch's BLAS: equal to 1e-5.
        let near = |g: f64, w: f64, scale: f64| (g - w).abs() <= 1e-5 * w.abs().max(scale);
        for (g, w) in flat(&got["losses"]).iter().zip_eq(flat(&case["losses"])) {
            assert!(near(*g, w, 1e-12), "{name}: loss {g} vs torch {w}");
        }
        for (g, w) in flat(&got["x"]).iter().zip_eq(flat(&case["final_x"])) {
            assert!(near(*g, w, 1.0), "{name}: x {g} vs torch {w}");
        }
        let pinv_distance = got["pinv_distance"].as_f64().unwrap();
        match name {
            "left_zeros" => assert!(pinv_distance < 1e-5, "{pinv_distance}"),
            "left_rand" => assert!((pinv_distance - 2.96).abs() < 0.005, "{pinv_distance}"),
            _ => {}
        }
    }
    // Without --side, a tall A is the left case.
    let csv = csv_of(&fx["sides"][0], &scratch);
    assert_eq!(json_of(&["descend", "--matrix", &csv, "--lr", "1", "--steps", "5", "--json"])["side"], "left");
}

#[test]
fn pinv_prints_torch_linalg_pinv_and_the_rank() {
    // torch.linalg.pinv(A); torch.linalg.matrix_rank(A)
    let scratch = Scratch::new("pinv");
    let fx = torch_fixtures();
    for case in fx["pinv"].as_array().unwrap() {
        let csv = csv_of(case, &scratch);
        let got = json_of(&["pinv", "--matrix", &csv, "--json"]);
        assert_eq!(got["rank"], case["rank"]);
        let want = flat(&case["pinv"]);
        let scale = want.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        for (g, w) in flat(&got["pinv"]).iter().zip_eq(&want) {
            assert!((g - w).abs() <= 1e-5 * scale, "{}: {g} vs torch {w}", case["name"]);
        }
        let text = String::from_utf8(gdlab(&["pinv", "--matrix", &csv]).stdout).unwrap();
        assert!(text.starts_with(&format!("rank {}\n[[", case["rank"])), "{text}");
    }
}

#[test]
fn grad_prints_the_tape_the_formula_and_the_differences() {
    // torch.manual_seed(314); X = torch.rand(size=[4, 4], requires_grad=True)
    // loss = ((torch.eye(4) - X @ M1234) ** 2).mean(); loss.backward(); X.grad
    let fx = torch_fixtures();
    let want = fx["autograd"].as_array().unwrap().iter().find(|c| c["name"] == "diag1234" && c["seed"] == 314).unwrap();
    let got = json_of(&["grad", "--seed", "314", "--json"]);
    assert_eq!(got["dtype"], "float32");
    assert_eq!(got["loss"].as_f64(), want["loss"].as_f64());
    assert_eq!(flat(&got["autograd"]), flat(&want["grad"]), "the tape is torch's X.grad, bit for bit");
    assert_eq!(flat(&got["closed_form"]), flat(&want["grad"]), "and so is mse_grad");
    for (g, w) in flat(&got["finite_difference"]).iter().zip_eq(flat(&want["grad"])) {
        assert!((g - w).abs() <= 1e-6, "central differences {g} vs torch {w}");
    }
    assert!(got["relative_error"].as_f64().unwrap() < 1e-6);
    // In float64 the tape and the differences agree to the differences' own error.
    let f64_run = json_of(&["grad", "--seed", "7", "--f64", "--json"]);
    assert!(f64_run["relative_error"].as_f64().unwrap() < 1e-7, "{}", f64_run["relative_error"]);
    let text = String::from_utf8(gdlab(&["grad"]).stdout).unwrap();
    assert!(text.starts_with("loss 1.6650\nautograd, loss.backward():\n[[-3.5046e-02,"), "{text}");
}

#[test]
fn bad_grad_arguments_end_with_one_line_and_exit_code_2() {
    let scratch = Scratch::new("grad");
    let wide = scratch.csv("wide.csv", &[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
    fails_with_code(&["grad", "--h", "0"], 2, "invalid --h 0: expected a finite step > 0");
    fails_with_code(&["grad", "--h", "-1e-3"], 2, "invalid --h -0.001");
    fails_with_code(&["grad", "--h", "inf"], 2, "invalid --h inf");
    fails_with_code(&["grad", "--matrix", &wide], 2, "M must be square for the lesson's loss: got shape (2, 3)");
}
