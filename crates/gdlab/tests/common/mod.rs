//! What the exercise tests share: the verdicts' two shapes and the lesson's loop written out.
#![allow(dead_code)]
use gdlab::prelude::*;

pub const SEED: u64 = 314;

pub fn lesson() -> (Array2<f32>, Array2<f32>) {
    (Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]), Array2::eye(4))
}

pub fn lesson64() -> Array2<f64> {
    Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0])
}

/// Grading is off in these tests: a wrong answer is one line with a hint.
pub fn not_yet(v: &check::Verdict, exercise: &str) {
    assert!(!v.is_right(), "{exercise} took a wrong answer");
    let text = v.to_string();
    assert!(text.starts_with(&format!("✗ Exercise {exercise}: not yet. Hint: ")), "{text}");
    assert_eq!(text.lines().count(), 1, "one line: {text}");
}

pub fn right(v: &check::Verdict, exercise: &str) {
    assert!(v.is_right(), "{v}");
    assert_eq!(v.to_string(), format!("✓ Exercise {exercise}"));
}

/// The lesson's loop written out: the losses of `steps` steps from `seed` at `lr`.
pub fn losses(seed: u64, lr: f64, steps: usize) -> Vec<f32> {
    let (m, y) = lesson();
    let mut x: Array2<f32> = TorchRng::manual_seed(seed).rand((4, 4));
    (0..steps)
        .map(|_| {
            let loss = mse(&y, &x.dot(&m));
            let grad = mse_grad(&x, &m, &y);
            x = &x - &(lr as f32 * &grad);
            loss
        })
        .collect()
}

/// The first step whose loss is at most `tolerance`, in a written-out run of up to `limit` steps.
pub fn first_below(seed: u64, lr: f64, tolerance: f64, limit: usize) -> Option<usize> {
    losses(seed, lr, limit).iter().position(|&l| f64::from(l) <= tolerance)
}
