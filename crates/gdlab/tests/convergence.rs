//! The convergence theory of notebook 04 against measured runs.

use approx::assert_abs_diff_eq;
use gdlab::Divergence;
use gdlab::prelude::*;
use itertools::Itertools; // zip_eq: a short output fails instead of passing

fn m1234() -> Array2<f32> {
    Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0])
}

#[test]
fn predicted_rates_for_the_lesson_are_the_hand_computed_ones() {
    // By hand: lr = ln(10^0.2) = 0.2·ln 10 = 0.46051702, so 2·lr/N = lr/8 = 0.05756463 with
    // N = 16; MᵀM = diag(1, 4, 9, 16), and the factors 1 − 0.05756463·λ are
    // 0.94243537, 0.76974149, 0.48191835 and 0.07896596.
    let rates = predicted_rates(&m1234(), lesson_lr()).unwrap();
    let want = [(1.0, 0.94243537), (4.0, 0.76974149), (9.0, 0.48191835), (16.0, 0.07896596)];
    for ((lambda, rate), (want_lambda, want_rate)) in rates.into_iter().zip_eq(want) {
        assert_abs_diff_eq!(lambda, want_lambda, epsilon = 1e-12);
        assert_abs_diff_eq!(rate, want_rate, epsilon = 1e-8);
    }
    // Above the bound lr = 1 the stiffest factor exceeds 1: |1 − 2·1.2·16/16| = 1.4.
    assert_abs_diff_eq!(predicted_rates(&m1234(), 1.2).unwrap()[3].1, 1.4, epsilon = 1e-12);
}

#[test]
fn measured_column_rates_match_the_theory_on_the_lesson_run() {
    let m = m1234();
    let run = InverseDescent::new(&m).seed(314).record_every(1).run().unwrap();
    let cmp = rate_comparison(&run, &m).unwrap();
    // Column 1 (λ = 1) is the slowest: 1 − 2·0.4605·1/16 = 0.94244, measured from the run.
    let d = &cmp.directions;
    assert_abs_diff_eq!(d[0].measured, 0.942435, epsilon = 1e-5);
    assert!(d[0].measured > d[1].measured && d[1].measured > d[2].measured);
    assert!(cmp.max_relative_error() < 1e-3, "{cmp:?}");
    assert!(d.iter().all(|d| d.steps_used >= 2), "{cmp:?}");
}

#[test]
fn rate_comparison_needs_a_snapshot_at_every_step() {
    let m = m1234();
    let run = InverseDescent::new(&m).seed(314).run().unwrap(); // every 20 steps
    let err = rate_comparison(&run, &m).unwrap_err();
    assert!(err.to_string().contains("record_every(1)"), "{err}");
}

#[test]
fn the_sweep_marks_runs_above_the_bound_as_diverged() {
    let m = m1234();
    let base = InverseDescent::new(&m).seed(314);
    let points = lr_sweep(&base, &[0.1, 0.94, 1.5]).unwrap();
    assert_eq!(points[0].diverged_at, None);
    assert_eq!(points[1].diverged_at, None);
    assert!(points[1].final_loss < points[0].final_loss); // 16/17 is about the best rate
    assert!(points[2].diverged_at.is_some());
    let err = base.clone().lr(1.5).run().unwrap_err();
    assert_eq!(err.losses().map(<[f64]>::len), Some(points[2].diverged_at.unwrap() + 1));
    assert!(err.to_string().contains("exceeds the stability bound"), "{err}");
}

#[test]
fn log_space_includes_both_ends_and_rejects_bad_ranges() {
    let v = log_space(0.01, 1.0, 3).unwrap();
    assert_abs_diff_eq!(v[0], 0.01, epsilon = 1e-15);
    assert_abs_diff_eq!(v[1], 0.1, epsilon = 1e-15);
    assert_abs_diff_eq!(v[2], 1.0, epsilon = 1e-15);
    assert!(log_space(0.0, 1.0, 3).is_err());
    assert!(log_space(1.0, 0.5, 3).is_err());
    assert!(log_space(0.1, 1.0, 1).is_err());
}

#[test]
fn seed_losses_has_one_column_per_seed() {
    let df = seed_losses_frame(&InverseDescent::new(&m1234()).steps(30), &[0, 1, 314]).unwrap();
    assert_eq!(df.shape(), (30, 4));
    let first = df.column("seed 314").unwrap().f64().unwrap().get(0).unwrap();
    assert_abs_diff_eq!(first, 1.665_042_2, epsilon = 1e-6); // the lesson's first loss
}

#[test]
fn hilbert_and_constructed_matrices_have_the_known_condition_numbers() {
    // Hilbert 3: κ₂ = 524.0567775860644 (a standard value).
    assert_abs_diff_eq!(condition_number(&hilbert(3)).unwrap(), 524.056_777_586_064_4, epsilon = 1e-6);
    for kappa in [1.0, 10.0, 1000.0] {
        let m = with_condition_number(4, kappa, 7).unwrap();
        assert_abs_diff_eq!(condition_number(&m).unwrap() / kappa, 1.0, epsilon = 1e-9);
    }
    assert!(with_condition_number(4, 0.5, 7).is_err());
    assert!(with_condition_number(0, 2.0, 7).is_err());
}

#[test]
fn predicted_steps_match_measured_steps() {
    let cases: Vec<(String, Array2<f64>)> =
        [1.0, 4.0, 16.0].iter().map(|&k| (format!("{k}"), with_condition_number(4, k, 314).unwrap())).collect();
    let study = conditioning_study(&cases, 1e-6, 100_000).unwrap();
    for case in &study {
        let measured = case.steps.expect("converges within the cap") as f64;
        let predicted = case.predicted_steps.unwrap() as f64;
        assert!((measured - predicted).abs() <= 1.0 + 0.01 * predicted, "{case:?}");
        // X − M⁻¹ = E·M⁻¹, so |X − M⁻¹| ≤ ‖E‖·‖M⁻¹‖ = √(N·loss)·κ here (σ_max = 1).
        assert!(case.max_error_vs_inverse <= (16.0f64 * 1e-6).sqrt() * case.condition, "{case:?}");
        assert!(case.max_error_vs_inverse > 0.0);
    }
    // More steps as κ grows: about κ² times as many.
    assert!(study[2].steps > study[1].steps && study[1].steps > study[0].steps);
    let df = conditioning_frame(&study).unwrap();
    assert_eq!(df.shape(), (3, 6));
}

#[test]
fn tolerance_stops_the_run_and_is_validated() {
    let m = m1234();
    let run = InverseDescent::new(&m).seed(314).steps(1000).tolerance(1e-6).run().unwrap();
    let at = run.converged_at().unwrap();
    assert_eq!(run.stop, Stop::Converged { step: at });
    assert!(run.losses[at] <= 1e-6 && run.losses[at - 1] > 1e-6);
    assert_eq!(run.losses.len(), at + 1);
    assert_eq!(run.lrs.len(), run.losses.len());
    let err = InverseDescent::new(&m).tolerance(f64::NAN).run().unwrap_err();
    assert!(err.to_string().contains("tolerance"), "{err}");
}

#[test]
fn the_animation_has_a_frame_per_snapshot_a_slider_and_play() {
    let run = InverseDescent::new(&m1234()).seed(314).record_every(1).run().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&diff_animation(&run.snapshots, ColorRange::PerPanel).to_json()).unwrap();
    assert_eq!(json["frames"].as_array().unwrap().len(), 100);
    assert_eq!(json["frames"][20]["name"], "20");
    assert_eq!(json["layout"]["sliders"][0]["steps"].as_array().unwrap().len(), 100);
    let labels: Vec<&str> = json["layout"]["updatemenus"][0]["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert!(labels[0].contains("Play") && labels[1].contains("Pause"), "{labels:?}");
    // Each frame has its own colour range, stated in its title: step 80 is still readable.
    let z80 = &json["frames"][80]["data"][0];
    let reach =
        z80["z"].as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap()).map(|v| v.as_f64().unwrap().abs());
    let reach = reach.fold(0.0, f64::max);
    assert_eq!(z80["zmax"].as_f64().unwrap(), reach);
    assert!(reach < 0.05, "the error at step 80 is small: {reach}");
    assert!(json["frames"][80]["layout"]["title"]["text"].as_str().unwrap().contains("step 80 · colours ±"));
}

#[test]
fn the_sweep_keeps_diverged_runs_as_histories() {
    let m = m1234();
    let run = InverseDescent::new(&m).seed(314).lr(1.5).trace().unwrap();
    let Stop::Diverged { step, reason } = run.stop else { panic!("{:?}", run.stop) };
    assert_eq!(reason, Divergence::Growing { steps: 10 });
    assert_eq!(run.losses.len(), step + 1);
    assert_eq!(run.x.dim(), (4, 4));
    assert!(run.into_result().is_err());
}
