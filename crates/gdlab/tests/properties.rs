//! Properties that hold for any input, not just the lesson's.

use gdlab::prelude::*;
use proptest::prelude::*;

fn square(n: usize) -> impl Strategy<Value = Array2<f64>> {
    proptest::collection::vec(-2.0f64..2.0, n * n).prop_map(move |v| Array2::from_shape_vec((n, n), v).unwrap())
}

fn well_conditioned(n: usize) -> impl Strategy<Value = Array2<f64>> {
    // Diagonally dominant, so invertible with a modest condition number.
    square(n).prop_map(move |a| &a * 0.2 + &(Array2::<f64>::eye(n) * 2.0))
}

/// Every loss of a run at `frac` × the stability bound is at most the one before, until the
/// loss is down at f64's floor.
fn assert_loss_decreases(m: &Array2<f64>, seed: u64, frac: f64) -> std::result::Result<(), String> {
    let bound = stability_bound(m).unwrap();
    let history = InverseDescent::new(m).seed(seed).lr(frac * bound).steps(60).run().unwrap();
    // Until rounding dominates: near 1e-32 the loss only jitters at f64's floor.
    for w in history.losses.windows(2).filter(|w| w[0] > 1e-20) {
        if w[1] > w[0] {
            return Err(format!("loss rose from {} to {} at lr = {frac:.3} × bound", w[0], w[1]));
        }
    }
    Ok(())
}

/// The case proptest once shrank a failure to (properties.proptest-regressions), named so that
/// it runs on every `cargo test` whatever proptest's generator does.
#[test]
fn loss_decreases_for_the_recorded_regression() {
    let m = array![
        [1.935106554252303, 0.0, -0.09675857696089715],
        [0.0, 1.781641589532384, -0.10972727066004494],
        [0.3548978072860404, 0.13439609242790881, 2.0]
    ];
    assert_loss_decreases(&m, 70, 0.7534132698203821).unwrap();
}

proptest! {
    // Failures are recorded in properties.proptest-regressions and replayed first on every run.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The analytic gradient agrees with central finite differences of mse.
    #[test]
    fn gradient_matches_central_differences(n in 1usize..5, seed in any::<u64>(), m in square(4)) {
        let m = m.slice(s![..n, ..n]).to_owned();
        let x: Array2<f64> = TorchRng::manual_seed(seed).rand((n, n));
        let y = Array2::<f64>::eye(n);
        let g = mse_grad(&x, &m, &y);
        let h = 1e-6;
        for i in 0..n {
            for j in 0..n {
                let (mut xp, mut xm) = (x.clone(), x.clone());
                xp[[i, j]] += h;
                xm[[i, j]] -= h;
                let numeric = (mse(&y, &xp.dot(&m)) - mse(&y, &xm.dot(&m))) / (2.0 * h);
                prop_assert!((numeric - g[[i, j]]).abs() < 1e-6, "({i}, {j}): {numeric} vs {}", g[[i, j]]);
            }
        }
    }

    /// Below the stability bound every step lowers the loss.
    #[test]
    fn loss_decreases_below_the_bound(m in well_conditioned(3), seed in 0u64..1000, frac in 0.05f64..0.95) {
        let checked = assert_loss_decreases(&m, seed, frac);
        prop_assert!(checked.is_ok(), "{}", checked.unwrap_err());
    }

    /// The same seed gives the same numbers; the start is torch.rand of that seed.
    #[test]
    fn same_seed_same_result(seed in any::<u64>()) {
        let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0]);
        let a = InverseDescent::new(&m).seed(seed).steps(10).run().unwrap();
        let b = InverseDescent::new(&m).seed(seed).steps(10).run().unwrap();
        prop_assert_eq!(&a, &b);
        let x0: Array2<f32> = TorchRng::manual_seed(seed).rand((3, 3));
        prop_assert_eq!(&a.snapshots[0].diff, &(x0.dot(&m) - Array2::<f32>::eye(3)));
    }

    /// Draws lie in [0, 1).
    #[test]
    fn rand_is_in_the_unit_interval(seed in any::<u64>()) {
        let mut rng = TorchRng::manual_seed(seed);
        let a: Array2<f32> = rng.rand((8, 8));
        let b: Array2<f64> = rng.rand((8, 8));
        prop_assert!(a.iter().all(|&v| (0.0..1.0).contains(&v)));
        prop_assert!(b.iter().all(|&v| (0.0..1.0).contains(&v)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    /// The indicator's density approaches p: within 4 standard deviations on 20 000 cells.
    #[test]
    fn indicator_mean_approaches_p(seed in any::<u64>(), p in 0.0f64..=1.0) {
        let ind = indicator_matrix(&mut TorchRng::manual_seed(seed), 4000, 5, p).unwrap();
        let sd = (p * (1.0 - p) / ind.len() as f64).sqrt();
        let d = density(&ind).unwrap();
        prop_assert!((d - p).abs() <= 4.0 * sd + 1e-7, "density {d} vs p {p}");
    }
}

#[test]
fn inverse_times_m_is_the_identity() {
    let m = array![[4.0f64, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]];
    let inv = inverse(&m).unwrap();
    approx::assert_abs_diff_eq!(inv.dot(&m), Array2::eye(3), epsilon = 1e-12);
    approx::assert_abs_diff_eq!(
        inverse(&Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0])).unwrap(),
        Array2::from_diag(&array![1.0f32, 0.5, 1.0 / 3.0, 0.25]),
        epsilon = 1e-7
    );
}

#[test]
fn descent_converges_to_the_inverse() {
    let m = array![[2.0f64, 0.5], [0.3, 1.5]];
    let bound = stability_bound(&m).unwrap();
    let history = InverseDescent::new(&m).seed(1).lr(0.9 * bound).steps(400).run().unwrap();
    approx::assert_abs_diff_eq!(history.x, inverse(&m).unwrap(), epsilon = 1e-6);
}
