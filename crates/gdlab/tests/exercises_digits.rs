//! Notebook 08's exercises: each check accepts the right answer, computed here by another route
//! than the check's (torch's fixtures where a run gives it), and rejects the near misses a student makes.

mod common;

use common::{SEED, not_yet, right};
use gdlab::prelude::*;
use serde_json::Value;

/// torch.json's "digits" section: `full_batch` holds, per seed, λ_max(Xbᵀ·Xb / n) from
/// `torch.linalg.eigvalsh` and the first rate of 0.05, 0.10, … whose full-batch loss rises:
///
/// ```python
/// for k in range(1, 61):
///     r = run(seed, None, 0.05 * k, len(train), 20)      # nn.Linear(64, 1), SGD, 20 full-batch steps
///     if any(b > a for a, b in zip([start] + r["train_losses"], r["train_losses"])): ...
/// ```
fn full_batch(seed: u64) -> (f64, f64) {
    let fx: Value = serde_json::from_str(include_str!("fixtures/torch.json")).unwrap();
    let row = fx["digits"]["full_batch"].as_array().unwrap().iter().find(|r| r["seed"] == seed).unwrap().clone();
    (row["lambda_max"].as_f64().unwrap(), row["first_rise"].as_f64().unwrap())
}

#[test]
fn exercise_8_1_is_sigma_minus_y_at_minus_three() {
    // dL/dz = σ(z) − y; at z = −3, y = 1: σ(−3) − 1 = −e³/(1 + e³).
    let e3 = 3.0f64.exp();
    right(&check::ex_08_1(&(-e3 / (1.0 + e3))), "8.1");
    let sigma = 1.0 / (1.0 + e3);
    // z = −4, the table's neighbouring row, is not it.
    not_yet(&check::ex_08_1(&(1.0 / (1.0 + 4.0f64.exp()) - 1.0)), "8.1");
    // The squared error's gradient through the sigmoid, σ itself, and the sign flipped are not it.
    not_yet(&check::ex_08_1(&(2.0 * (sigma - 1.0) * sigma * (1.0 - sigma))), "8.1");
    not_yet(&check::ex_08_1(&sigma), "8.1");
    not_yet(&check::ex_08_1(&(1.0 - sigma)), "8.1");
}

#[test]
fn pair_8_2_8_3() {
    for seed in [SEED, 7] {
        let (lambda, rise) = full_batch(seed);
        let bound = 8.0 / lambda;
        eprintln!("seed {seed}: predicted bound {bound:.4}, torch's loss first rises at lr {rise}");
        right(&check::ex_08_2(&bound, seed), "8.2");
        // The least-squares bound 2/λ (no 1/4 for the sigmoid's slope) and 4/λ are not it.
        not_yet(&check::ex_08_2(&(2.0 / lambda), seed), "8.2");
        not_yet(&check::ex_08_2(&(4.0 / lambda), seed), "8.2");
        // The measurement is torch's, and the prediction is not it, nor the grid's neighbours.
        right(&check::ex_08_3(&rise, seed), "8.3");
        not_yet(&check::ex_08_3(&bound, seed), "8.3");
        not_yet(&check::ex_08_3(&(rise - 0.05), seed), "8.3");
        not_yet(&check::ex_08_3(&(rise + 0.05), seed), "8.3");
        assert!(rise > 1.5 * bound, "the bound is sure, far from sharp: {rise} vs {bound}");
    }
}

fn stable(z: &Array1<f32>, y: &Array1<f32>) -> f32 {
    let terms = z.iter().zip(y).map(|(&z, &y)| z.max(0.0) - z * y + (-z.abs()).exp().ln_1p());
    terms.sum::<f32>() / z.len() as f32
}

fn naive(z: &Array1<f32>, y: &Array1<f32>) -> f32 {
    let terms = z.iter().zip(y).map(|(&z, &y)| {
        let p = 1.0 / (1.0 + (-z).exp());
        -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
    });
    terms.sum::<f32>() / z.len() as f32
}

fn sum_not_mean(z: &Array1<f32>, y: &Array1<f32>) -> f32 {
    stable(z, y) * z.len() as f32
}

fn panics(_: &Array1<f32>, _: &Array1<f32>) -> f32 {
    panic!("a student's unwrap")
}

#[test]
fn exercise_8_4_takes_the_stable_form_and_refuses_the_naive_one() {
    right(&check::ex_08_4(stable), "8.4");
    // The textbook formula through σ: right for moderate logits, inf or NaN at ±100.
    assert!(naive(&array![0.3f32, -1.2], &array![1.0f32, 0.0]).is_finite());
    assert!(!naive(&array![-100.0f32], &array![1.0f32]).is_finite());
    not_yet(&check::ex_08_4(naive), "8.4");
    not_yet(&check::ex_08_4(sum_not_mean), "8.4");
    not_yet(&check::ex_08_4(panics), "8.4");
}
