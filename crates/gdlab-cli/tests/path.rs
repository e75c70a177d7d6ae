//! `gdlab path` against torch's paths in crates/gdlab/tests/fixtures/paths.json (written by
//! tools/torch_paths.py from real torch). Each fixture path is, in PyTorch (float32):
//!
//! ```python
//! torch.manual_seed(314); X = torch.nn.Parameter(torch.rand(n, n))
//! optimizer = torch.optim.SGD([X], lr=lr, momentum=beta)     # or Adam([X], lr=lr), ...
//! points = [[X[e0], X[e1]]]
//! for _ in range(steps):
//!     optimizer.zero_grad(); loss = ((Y_true - X @ M) ** 2).mean(); loss.backward(); optimizer.step()
//!     points.append([X[e0], X[e1]])
//! ```
//!
//! and "lesson" is the original notebook's `X.sub_(lr * X.grad); X.grad.zero_()`.

mod common;

use common::{Scratch, fails_with, gdlab, json_of, numbers};
use itertools::Itertools; // zip_eq: a short output fails instead of passing
use serde_json::Value;

fn fixtures() -> Value {
    common::fixture("paths.json")
}

fn points(v: &Value) -> Vec<Vec<f64>> {
    v["points"].as_array().expect("points").iter().map(numbers).collect()
}

/// `--entries` for the fixture valley's two entries, e.g. "0,0:0,3".
fn entries_arg(valley: &Value) -> String {
    valley["entries"].as_array().unwrap().iter().map(|e| format!("{},{}", e[0], e[1])).join(":")
}

fn matrix_rows(valley: &Value) -> Vec<Vec<f64>> {
    valley["m"].as_array().unwrap().iter().map(numbers).collect()
}

#[test]
fn path_json_is_the_points_and_the_losses_of_n_steps_and_the_start() {
    let out =
        gdlab(&["path", "--optimizer", "lesson", "--seed", "7", "--entries", "1,2:3,0", "--steps", "9", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("{\"points\":[["), "{text}");
    let got: Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&String> = got.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["losses", "points"], "exactly the points and the losses");
    let (pts, losses) = (points(&got), numbers(&got["losses"]));
    assert_eq!((pts.len(), losses.len()), (10, 10), "9 steps and the start");
    assert!(pts.iter().all(|p| p.len() == 2));
    // The start is torch.manual_seed(7); torch.rand(4, 4) at (1, 2) and (3, 0) (`gdlab rand`'s are torch's).
    let rand = json_of(&["rand", "--seed", "7", "--shape", "4,4", "--json"]);
    assert_eq!(pts[0], [rand["values"][1][2].as_f64().unwrap(), rand["values"][3][0].as_f64().unwrap()]);
    // The lesson's default rate on diag(1, 2, 3, 4) is stable: the loss falls at every step.
    assert!(losses.windows(2).all(|w| w[1] < w[0]), "{losses:?}");
}

#[test]
fn every_fixture_path_is_torchs_through_the_command_line() {
    let fx = fixtures();
    let scratch = Scratch::new("torch");
    // The aligned valley is the default M, diag(1, 2, 3, 4); the tilted one comes in by --matrix.
    assert_eq!(
        matrix_rows(&fx["valleys"]["aligned"]),
        [[1., 0., 0., 0.], [0., 2., 0., 0.], [0., 0., 3., 0.], [0., 0., 0., 4.]]
    );
    let tilted = scratch.csv("tilted.csv", &matrix_rows(&fx["valleys"]["tilted"]));
    let (mut exact, mut near) = (0, std::collections::BTreeMap::new());
    for case in fx["paths"].as_array().unwrap() {
        let (valley, optimizer) = (case["valley"].as_str().unwrap(), case["optimizer"].as_str().unwrap());
        let what = format!("{valley} {optimizer} lr {} β {}", case["lr"], case["momentum"]);
        let (entries, lr, steps) =
            (entries_arg(&fx["valleys"][valley]), case["lr"].to_string(), case["steps"].to_string());
        let mut args = vec!["path", "--optimizer", optimizer, "--entries", &entries, "--lr", &lr, "--steps", &steps];
        let beta = case["momentum"].to_string();
        if !case["momentum"].is_null() {
            args.extend(["--momentum", &beta]);
        }
        if valley == "tilted" {
            args.extend(["--matrix", &tilted]);
        }
        args.push("--json");
        let got = json_of(&args);
        let (got_points, want_points) = (points(&got), points(case));
        let (got_losses, want_losses) = (numbers(&got["losses"]), numbers(&case["losses"]));
        assert_eq!(got_points.len(), case["steps"].as_u64().unwrap() as usize + 1, "{what}");
        let sqrt = ["adam", "rmsprop", "adagrad"].contains(&optimizer);
        if valley == "aligned" && !sqrt {
            // The gradient, `X.sub_(lr * X.grad)` and SGD's fused `add_` round as torch's: bit for bit.
            assert_eq!(got_points, want_points, "{what}");
            assert_eq!(got_losses, want_losses, "{what}");
            exact += 1;
            continue;
        }
        // Adam, RMSprop and Adagrad take a square root, which torch's float32 kernel takes with
        // Intel MKL (about an ulp) and Rust correctly rounded. On the tilted valley two roundings
        // differ (measured against torch 2.15 on the fixtures' machine): the gradient's G·Mᵀ, whose
        // two products torch rounds before adding and gdlab's matrix product fuses, and `add_`,
        // which torch fuses on every entry and gdlab only in whole vector chunks: an
        // ulp here and there, compounded by the steps (the most, 1.1e-6, on the lesson's update
        // at lr 1.02, whose error grows 1.04× a step). So: the points to `tol` relative to
        // max(1, |x|), √loss to `tol` relative to max(1, √loss).
        let tol = if valley == "aligned" { 1e-6 } else { 1e-5 };
        let close = |g: f64, w: f64| (g - w).abs() <= tol * w.abs().max(1.0);
        for (t, (g, w)) in got_points.iter().zip_eq(&want_points).enumerate() {
            assert!(close(g[0], w[0]) && close(g[1], w[1]), "{what}: point {t}: {g:?} vs torch {w:?}");
        }
        for (t, (g, w)) in got_losses.iter().zip_eq(&want_losses).enumerate() {
            assert!(close(g.sqrt(), w.sqrt()), "{what}: loss {t}: {g} vs torch {w}");
        }
        *near.entry(valley).or_insert(0) += 1;
    }
    // Per valley: the lesson at 5 rates, SGD, heavy ball at 3, Nesterov at 2; Adam, RMSprop, Adagrad at 2.
    assert_eq!(exact, 11);
    assert_eq!(near, [("aligned", 4), ("tilted", 15)].into());
}
#[test]
fn newton_lands_on_both_minima_in_one_step_and_the_diagonal_only_on_the_aligned_one() {
    let fx = fixtures();
    let scratch = Scratch::new("newton");
    let m = matrix_rows(&fx["valleys"]["tilted"]);
    let tilted = scratch.csv("tilted.csv", &m);
    // Row 0's minimum solves x·M = e₁: x = e₁·M⁻¹, the first row of M⁻¹ = adj(M)/det(M).
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let tilted_min = [m[1][1] / det, -m[0][1] / det];
    // The aligned valley's is (1/m₀₀, 0) in X₀₀ and X₀₃.
    let aligned_min = [1.0, 0.0];
    let distance = |p: &[f64], to: [f64; 2]| (p[0] - to[0]).hypot(p[1] - to[1]);
    for (method, matrix, entries, minimum, lands) in [
        ("newton", None, "0,0:0,3", aligned_min, true),
        ("newton", Some(&tilted), "0,0:0,1", tilted_min, true),
        ("diagonal", None, "0,0:0,3", aligned_min, true),
        ("diagonal", Some(&tilted), "0,0:0,1", tilted_min, false),
    ] {
        // No --lr: these default to 1, the full step.
        let mut args = vec!["path", "--optimizer", method, "--entries", entries, "--steps", "1", "--json"];
        args.extend(matrix.iter().flat_map(|m| ["--matrix", m.as_str()]));
        let pts = points(&json_of(&args));
        assert_eq!(pts.len(), 2);
        let (before, after) = (distance(&pts[0], minimum), distance(&pts[1], minimum));
        assert!(before > 0.3, "{method} {entries}: the start is away from the minimum ({before})");
        if lands {
            // float32 rounding of the start, the gradient and the step: a few ulps of 1.
            assert!(after < 1e-6, "{method} {entries}: {:?} is not the minimum {minimum:?}", pts[1]);
        } else {
            assert!(after > 0.1 * before, "{method} {entries}: {:?} reached {minimum:?}", pts[1]);
        }
    }
    // In float64, from torch's float64 start, Newton's step lands to float64's rounding.
    let pts = points(&json_of(&[
        "path",
        "--optimizer",
        "newton",
        "--entries",
        "0,0:0,1",
        "--matrix",
        &tilted,
        "--steps",
        "1",
        "--f64",
        "--json",
    ]));
    let rand = json_of(&["rand", "--seed", "314", "--shape", "2,2", "--f64", "--json"]);
    assert_eq!(pts[0], numbers(&rand["values"][0]), "torch.rand(2, 2, dtype=torch.float64)'s first row");
    assert!(distance(&pts[1], tilted_min) < 1e-14, "{:?} vs {tilted_min:?}", pts[1]);
}

#[test]
fn the_table_has_a_row_per_step() {
    let out = gdlab(&["path", "--optimizer", "newton", "--entries", "0,0:0,3", "--steps", "2"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 + 3, "a title, the header and the start and 2 steps: {text}");
    assert_eq!(lines[0], "Newton, lr 1, float32, seed 314");
    assert_eq!(lines[1].split_whitespace().collect::<Vec<_>>(), ["step", "X[0,0]", "X[0,3]", "loss"]);
    let json = json_of(&["path", "--optimizer", "newton", "--entries", "0,0:0,3", "--steps", "2", "--json"]);
    for (t, (line, p)) in lines[2..].iter().zip_eq(points(&json)).enumerate() {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells[..3], [t.to_string(), format!("{:.6}", p[0]), format!("{:.6}", p[1])], "{line}");
    }
    assert_eq!(lines[3].split_whitespace().collect::<Vec<_>>()[1..3], ["1.000000", "0.000000"]);
}

#[test]
fn bad_input_ends_with_one_line_and_exit_code_2() {
    let scratch = Scratch::new("bad");
    let wide = scratch.csv("wide.csv", &[vec![1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0]]);
    // The flags given replace these defaults (clap takes each flag once).
    let run = |extra: &[&str], needle: &str| {
        let mut args = vec!["path"];
        for (flag, default) in [("--optimizer", "lesson"), ("--entries", "0,0:0,3"), ("--steps", "5")] {
            if !extra.contains(&flag) {
                args.extend([flag, default]);
            }
        }
        args.extend(extra);
        fails_with(&args, needle);
    };
    // The entries: outside X, twice, malformed.
    run(&["--entries", "0,0:0,4"], "invalid entries: (0, 4) is outside X: expected two different entries");
    run(&["--entries", "4,0:0,0"], "(4, 0) is outside X");
    run(&["--entries", "0,3:0,3"], "invalid entries: (0, 3) is given twice");
    for malformed in ["0,0", "0,0:0", "0,0:0,3:1,1", "a,b:c,d", "-1,0:0,0", "0;0:0;3", ""] {
        run(&["--entries", malformed], "expected two entries of X as ROW,COL:ROW,COL (from 0), e.g. 0,0:0,3");
    }
    // A flag of another optimiser, as `descend` refuses it; Newton and the diagonal take none.
    let other =
        |method: &str, flag: &str, value: &str, needle: &str| run(&["--optimizer", method, flag, value], needle);
    other("adam", "--momentum", "0.9", "--momentum goes with --optimizer momentum or nesterov, not Adam");
    other("sgd", "--beta2", "0.9", "--beta2 goes with --optimizer adam, not Sgd");
    other("lesson", "--eps", "1e-8", "--eps goes with --optimizer adam, rmsprop or adagrad, not Lesson");
    other("adagrad", "--alpha", "0.9", "--alpha goes with --optimizer rmsprop, not Adagrad");
    other("newton", "--momentum", "0.5", "--momentum goes with --optimizer momentum or nesterov, not Newton");
    other("diagonal", "--beta1", "0.9", "--beta1 goes with --optimizer adam, not Diagonal");
    other("momentum", "--momentum", "1", "invalid momentum = 1: expected 0 <= beta < 1");
    other("nesterov", "--momentum", "-0.5", "invalid momentum = -0.5: expected 0 <= beta < 1");
    other("adam", "--eps", "-1e-8", "invalid eps");
    // The learning rate: non-finite or not positive, for a rule and for Newton alike.
    for (lr, shown) in [("0", "0"), ("-1", "-1"), ("inf", "inf"), ("nan", "NaN")] {
        run(&["--lr", lr], &format!("invalid learning rate {shown}: expected a finite number > 0"));
        run(&["--optimizer", "newton", "--lr", lr], &format!("invalid learning rate {shown}"));
    }
    // M: not square; singular for the curvature methods (a zero curvature has no inverse).
    run(&["--matrix", &wide], "M must be square, got shape (2, 3)");
    run(&["--optimizer", "newton", "--diag", "1,0,3,4"], "is singular");
    run(&["--optimizer", "diagonal", "--diag", "1,0,3,4"], "is singular");
    // clap's own errors, on one line with what they list.
    run(&["--optimizer", "newtn"], "invalid value 'newtn' for '--optimizer <OPTIMIZER>' [possible values: lesson,");
    run(&["--steps", "-3"], "invalid value '-3'");
    fails_with(&["path", "--optimizer", "lesson"], "required arguments were not provided: --entries <R,C:R,C> --steps");
}

#[test]
fn a_path_that_overflows_prints_its_finite_points_and_exits_with_code_1() {
    // lr 1.5 on curvature 2 multiplies X₀₃'s error by |1 − 1.5·2| = 2 at each step: float32 overflows.
    let args = ["path", "--optimizer", "lesson", "--lr", "1.5", "--entries", "0,0:0,3", "--steps", "400", "--json"];
    let out = gdlab(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (pts, losses) = (points(&got), numbers(&got["losses"]));
    let k = pts.len() - 1;
    assert!(k > 10 && k < 400 && losses.len() == k + 1, "{k} steps");
    assert!(losses.iter().all(|l| l.is_finite()) && losses[k] > 1e30, "{:?}", &losses[k - 2..]);
    // X₀₃'s error doubles and flips sign: it has grown 2^k-fold.
    let growth = (pts[k][1] / pts[0][1]).abs().log2();
    assert!((growth - k as f64).abs() < 1.0, "2^{growth} after {k} steps");
    let want =
        format!("the loss after step {} of 400 is not a finite number (lr 1.5): the path stops at step {k}", k + 1);
    assert!(stderr.starts_with("gdlab: error: ") && stderr.contains(&want), "{stderr}");
}
