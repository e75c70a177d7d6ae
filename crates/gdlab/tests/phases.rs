//! The heavy ball's phase diagram, checked against runs: each region that the characteristic
//! roots give is what a run of torch's heavy ball (gdlab's `Momentum`, torch's rounding) does.

use gdlab::prelude::*;

/// The lesson's M, X from seed 314, and the error of X₀₃ (curvature h = 2·4²/16 = 2, minimum 0)
/// along a heavy-ball run at `lr·h`, β.
fn errors(lr_h: f64, beta: f64, steps: usize) -> Vec<f64> {
    let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);
    let start: Array2<f32> = TorchRng::manual_seed(314).rand((4, 4));
    let run = path(&m, &start, Momentum::heavy_ball(beta), lr_h / 2.0, steps, [(0, 0), (0, 3)]).unwrap();
    run.errors(1, 0.0)
}

/// How far (lr·h, β) is from the nearest region boundary, in lr·h.
fn margin(lr_h: f64, beta: f64) -> f64 {
    let r = beta.sqrt();
    [(1.0 - r).powi(2), (1.0 + r).powi(2), 2.0 * (1.0 + beta), 0.0]
        .iter()
        .map(|b| (lr_h - b).abs())
        .fold(f64::MAX, f64::min)
}

#[test]
fn every_region_of_the_grid_is_what_a_run_does() {
    let (mut checked, mut seen) = (0, std::collections::BTreeSet::new());
    for i in 1..=44 {
        for j in 0..20 {
            let (lr_h, beta) = (i as f64 * 0.1, j as f64 * 0.05);
            if margin(lr_h, beta) < 0.08 {
                continue;
            }
            let predicted = heavy_ball_phase(lr_h, beta);
            let run = errors(lr_h, beta, 200);
            assert!(predicted.describes(&run), "lr·h = {lr_h:.1}, β = {beta:.2}: not {predicted:?}: {run:?}");
            seen.insert(predicted.name());
            checked += 1;
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(checked > 500, "{checked}");
}

#[test]
fn each_sample_behaves_as_its_region_and_not_as_the_others() {
    let samples = [
        (0.2, 0.1, Phase::Monotone),
        (1.5, 0.6, Phase::Ripples),
        (2.0, 0.1, Phase::Alternating),
        (2.5, 0.1, Phase::Divergent),
    ];
    for (lr_h, beta, phase) in samples {
        assert_eq!(heavy_ball_phase(lr_h, beta), phase);
        let run = errors(lr_h, beta, 100);
        for (_, _, other) in samples {
            // A sign that flips at every step also crosses zero: an alternating run is rippling too.
            let also = phase == Phase::Alternating && other == Phase::Ripples;
            assert_eq!(
                other.describes(&run),
                other == phase || also,
                "{phase:?} at ({lr_h}, {beta}) read as {other:?}"
            );
        }
    }
}

#[test]
fn the_boundaries_are_where_the_roots_change() {
    // Along each boundary curve, the phase changes between just below and just above its β.
    for (name, lr_hs, betas) in phase_boundaries(4.0, 41) {
        for (&x, &b) in lr_hs.iter().zip(&betas).filter(|(x, b)| **x > 0.05 && **x < 3.95 && (0.02..0.98).contains(*b))
        {
            assert_ne!(heavy_ball_phase(x, b - 0.01), heavy_ball_phase(x, b + 0.01), "{name} at lr·h = {x}");
        }
    }
    // β = 1: the roots on the unit circle.
    let [a, _] = heavy_ball_roots(1.0, 1.0);
    assert!((a.0.hypot(a.1) - 1.0).abs() < 1e-15);
    assert_eq!(heavy_ball_phase(1.0, 1.0), Phase::Undamped);
}
