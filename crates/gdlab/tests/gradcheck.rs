//! Finite differences: their estimates against exact gradients, the error model's best step
//! against a measured sweep, and bad input.
use gdlab::GdlabError;
use gdlab::gradcheck::{Difference, best_step, difference_gradient, largest_error, measured_best, relative_error};
use gdlab::prelude::*;

fn lesson() -> (Array2<f64>, Array2<f64>, Array2<f64>) {
    let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
    let x: Array2<f64> = TorchRng::manual_seed(314).rand((4, 4));
    let exact = mse_grad(&x, &m, &Array2::eye(4));
    (m, x, exact)
}

#[test]
fn forward_differences_on_a_quadratic_err_by_half_h_times_the_curvature() {
    // f'' along X[i, j] is (2/N)·M[j, j]²; at h = 1e-3 the truncation h/2·f'' dwarfs rounding.
    let (m, x, exact) = lesson();
    let h = 1e-3;
    let forward = difference_gradient(|x| mse(&Array2::eye(4), &x.dot(&m)), &x, h, Difference::Forward).unwrap();
    for ((i, j), e) in forward.indexed_iter() {
        let truncation = h / 2.0 * 2.0 / 16.0 * m[[j, j]].powi(2);
        assert!((e - exact[[i, j]] - truncation).abs() < 1e-10, "({i}, {j})");
    }
}

#[test]
fn central_differences_on_a_quadratic_have_no_truncation() {
    let (m, x, exact) = lesson();
    for h in [1e-1, 1.0] {
        let central = difference_gradient(|x| mse(&Array2::eye(4), &x.dot(&m)), &x, h, Difference::Central).unwrap();
        assert!(largest_error(&central, &exact) < 1e-13, "h = {h}");
    }
}

#[test]
fn the_predicted_best_step_is_the_measured_bottom_within_a_factor_of_ten() {
    let (m, x, exact) = lesson();
    let f = mse(&Array2::eye(4), &x.dot(&m));
    let hs = log_space(1e-12, 1e-1, 45).unwrap();
    let errors: Vec<f64> = hs
        .iter()
        .map(|&h| {
            let e = difference_gradient(|x| mse(&Array2::eye(4), &x.dot(&m)), &x, h, Difference::Forward).unwrap();
            largest_error(&e, &exact)
        })
        .collect();
    let (measured, predicted) = (measured_best(&hs, &errors), best_step(Difference::Forward, f, 2.0, f64::EPSILON));
    assert!((measured / predicted).log10().abs() < 1.0, "measured {measured:e}, predicted {predicted:e}");
}

#[test]
fn best_step_follows_the_error_model() {
    // forward: √(2εf/f''); central: ∛(3εf/f'''); no truncation, no best step.
    assert_eq!(best_step(Difference::Forward, 2.0, 1.0, 1e-16), (4e-16f64).sqrt());
    assert_eq!(best_step(Difference::Central, 1.0, 3.0, 1e-15), (1e-15f64).cbrt());
    assert_eq!(best_step(Difference::Central, 1.0, 0.0, 1e-15), f64::INFINITY);
}

#[test]
fn relative_error_is_cs231ns() {
    let a = array![[1.0, 0.0], [2.0, -1.0]];
    let b = array![[1.25, 0.0], [2.0, 1.0]];
    let r = relative_error(&a, &b).unwrap();
    assert_eq!(r, array![[0.25 / 1.25, 0.0], [0.0, 2.0]]);
    assert!(matches!(relative_error(&a, &Array2::zeros((2, 3))), Err(GdlabError::ShapeMismatch { .. })));
}

#[test]
fn a_step_that_is_not_positive_and_finite_is_a_typed_error() {
    let (m, x, _) = lesson();
    for h in [0.0, -1e-6, f64::NAN, f64::INFINITY] {
        let got = difference_gradient(|x| mse(&Array2::eye(4), &x.dot(&m)), &x, h, Difference::Central);
        assert!(matches!(got, Err(GdlabError::InvalidParameter { name: "h", .. })), "h = {h}");
    }
}

#[test]
fn the_sweep_figure_marks_each_predicted_bottom_and_leaves_zero_errors_out() {
    let hs = [1e-3, 1e-2, 1e-1];
    let curves = [
        ErrorCurve { name: "rounding only", errors: &[1e-13, 1e-14, 0.0], predicted_best: None },
        ErrorCurve { name: "forward", errors: &[1e-6, 1e-5, 1e-4], predicted_best: Some(2e-3) },
    ];
    let json: serde_json::Value = serde_json::from_str(&error_sweep_figure(&hs, &curves, "sweep").to_json()).unwrap();
    let shapes = json["layout"]["shapes"].as_array().unwrap();
    assert_eq!(shapes.len(), 1);
    assert_eq!(shapes[0]["x0"], 2e-3);
    // Annotations on a log axis are placed in log10 units, shapes in data units.
    assert!((json["layout"]["annotations"][0]["x"].as_f64().unwrap() - 2e-3f64.log10()).abs() < 1e-12);
    assert!(json["data"][0]["y"][2].is_null(), "a zero error is a gap, not a point at log(0)");
    assert_eq!(json["layout"]["yaxis"]["type"], "log");
}
