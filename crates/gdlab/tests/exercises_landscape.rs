//! Notebook 05's exercises: each check accepts the right answer, computed here by another route
//! than the check's, and rejects the near misses a student makes.

mod common;

use common::{SEED, not_yet, right};
use gdlab::prelude::*;

fn lesson() -> Array2<f32> {
    Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0])
}

#[test]
fn exercise_5_1_is_the_rate_that_zeroes_x02_in_one_step() {
    // X₀₂'s curvature is h = (2/16)·3² = 9/8: a step multiplies its error by 1 − lr·h, 0 at lr = 8/9.
    right(&check::ex_05_1(&(8.0 / 9.0)), "5.1");
    // The run says so too: one step of the lesson's update at 8/9 puts X₀₂ within round-off of 0.
    let start: Array2<f32> = TorchRng::manual_seed(SEED).rand((4, 4));
    let one = path(&lesson(), &start, AnyOptimizer::Lesson, 8.0 / 9.0, 1, [(0, 0), (0, 2)]).unwrap();
    assert!(one.points[1][1].abs() < 1e-7, "{}", one.points[1][1]);
    // X₀₃'s rate, the stability bound and the best rate are not it.
    not_yet(&check::ex_05_1(&0.5), "5.1");
    not_yet(&check::ex_05_1(&1.0), "5.1");
    not_yet(&check::ex_05_1(&(16.0 / 17.0)), "5.1");
}

/// The sign changes of X₀₃ in the first 20 steps of the heavy ball at lr = 1, β = 0.5, written out
/// as the recurrence of momentum's buffer, in float32 as the check's run.
fn counted_crossings(seed: u64) -> usize {
    let m = lesson();
    let eye = Array2::<f32>::eye(4);
    let mut x: Array2<f32> = TorchRng::manual_seed(seed).rand((4, 4));
    let mut buf: Option<Array2<f32>> = None;
    let mut signs = vec![x[[0, 3]] > 0.0];
    for _ in 0..20 {
        let grad = mse_grad(&x, &m, &eye);
        let next = match buf {
            None => grad,
            Some(b) => b * 0.5 + &grad,
        };
        x = &x - &(&next * 1.0f32);
        buf = Some(next);
        if x[[0, 3]] != 0.0 {
            signs.push(x[[0, 3]] > 0.0);
        }
    }
    signs.windows(2).filter(|w| w[0] != w[1]).count()
}

#[test]
fn pair_5_2_5_3() {
    // The theory: σ² − (1 + β − lr·h)σ + β with lr·h = 2, β = 0.5 has σ = −0.25 ± i·√(0.5 − 0.0625),
    // which turns by θ = acos(−0.25/√0.5) a step; the error crosses zero every π/θ steps.
    let theta = (-0.25f64 / 0.5f64.sqrt()).acos();
    let predicted = 20.0 * theta / std::f64::consts::PI;
    assert!((predicted - 12.30).abs() < 0.01, "{predicted}");
    right(&check::ex_05_2(&predicted), "5.2");
    for seed in [SEED, 7] {
        let measured = counted_crossings(seed);
        eprintln!("seed {seed}: {measured} crossings, predicted {predicted:.3}");
        right(&check::ex_05_3(&measured, seed), "5.3");
        // A whole number, so never the prediction: the rounded prediction is not the count either.
        not_yet(&check::ex_05_2(&(measured as f64)), "5.2");
        not_yet(&check::ex_05_3(&(predicted.round() as usize), seed), "5.3");
        not_yet(&check::ex_05_3(&(predicted.floor() as usize + 2), seed), "5.3");
    }
}

fn newton(x: &Array2<f64>, m: &Array2<f64>, lr: f64) -> Array2<f64> {
    let n = m.nrows();
    let h = m.dot(&m.t()) * (2.0 / (n * n) as f64);
    let grad = mse_grad(x, m, &Array2::eye(n));
    x - &(grad.dot(&inverse(&h).unwrap()) * lr)
}

/// Divides by the diagonal of H only: right on the lesson's M, wrong on the others.
fn diagonal(x: &Array2<f64>, m: &Array2<f64>, lr: f64) -> Array2<f64> {
    let n = m.nrows();
    let h = m.dot(&m.t()) * (2.0 / (n * n) as f64);
    let grad = mse_grad(x, m, &Array2::eye(n));
    x - &(&grad / &h.diag() * lr)
}

/// Ignores lr: the minimum, straight away.
fn jump(_: &Array2<f64>, m: &Array2<f64>, _: f64) -> Array2<f64> {
    inverse(m).unwrap()
}

#[test]
fn exercise_5_4_takes_newtons_step_and_not_the_diagonal_one() {
    right(&check::ex_05_4(newton, SEED), "5.4");
    not_yet(&check::ex_05_4(diagonal, SEED), "5.4");
    not_yet(&check::ex_05_4(jump, SEED), "5.4");
    not_yet(&check::ex_05_4(|_, _, _| panic!("not written"), SEED), "5.4");
}
