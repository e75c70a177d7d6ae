//! The noise floor of minibatch descent against its prediction, and the momentum map's rates
//! against runs. Neither is a torch parity test: the runs' parity is in `stochastic.rs` and
//! `optim.rs`; these check the theory that notebooks 06 and 07 state.
use gdlab::GdlabError;
use gdlab::prelude::*;

fn problem(seed: u64, noise: f64) -> Documents {
    Documents::new(seed, 100, 8, 0.3, noise).unwrap()
}

#[test]
fn the_least_loss_is_about_the_noise_it_cannot_fit() {
    // Uniform noise in ±σ has variance σ²/3; least squares fits 8 of 100 degrees of freedom of it.
    for seed in [314, 7] {
        let loss_star = problem(seed, 0.1).loss_star().unwrap();
        let variance = 0.1f64 * 0.1 / 3.0;
        assert!(loss_star > 0.7 * variance && loss_star < 1.2 * variance, "seed {seed}: L⋆ {loss_star}");
        assert!(problem(seed, 0.0).loss_star().unwrap() < 1e-12);
    }
}

#[test]
fn the_curvatures_are_the_eigenvalues_of_two_over_n_ata() {
    let p = problem(314, 0.1);
    let h = p.curvatures().unwrap();
    let a = p.a.mapv(f64::from);
    let trace = a.t().dot(&a).diag().sum() * 2.0 / 100.0;
    assert!((h.iter().sum::<f64>() - trace).abs() < 1e-9 * trace, "Σh = tr H");
    assert!(h.windows(2).all(|w| w[0] <= w[1]), "smallest first");
}

#[test]
fn the_predicted_floor_follows_lr_over_the_batch_and_vanishes_for_the_full_batch() {
    let p = problem(314, 0.1);
    let (n, loss_star, h) = (100.0, p.loss_star().unwrap(), p.curvatures().unwrap());
    for (lr, batch) in [(0.01, 1usize), (0.05, 8), (0.1, 16)] {
        let b = batch as f64;
        let by_hand = lr * loss_star / b * (n - b) / (n - 1.0) * h.iter().map(|h| h / (2.0 - lr * h)).sum::<f64>();
        let got = p.predicted_floor(lr, batch).unwrap();
        assert!((got - by_hand).abs() <= 1e-12 * by_hand, "lr {lr} batch {batch}: {got} vs {by_hand}");
    }
    assert_eq!(p.predicted_floor(0.05, 100).unwrap(), 0.0);
    assert!(problem(314, 0.0).predicted_floor(0.05, 1).unwrap() < 1e-12);
    let past = 2.0 / h[h.len() - 1];
    assert_eq!(p.predicted_floor(past * 1.01, 1).unwrap(), f64::INFINITY, "lr·h_max ≥ 2: no stationary floor");
}

#[test]
fn the_predicted_floor_refuses_a_bad_batch_or_rate() {
    let p = problem(314, 0.1);
    for (lr, batch) in [(0.05, 0usize), (0.05, 101), (0.0, 4), (f64::NAN, 4), (-0.1, 4)] {
        let err = p.predicted_floor(lr, batch).unwrap_err();
        assert!(matches!(err, GdlabError::InvalidParameter { .. }), "lr {lr} batch {batch}: {err}");
    }
}

#[test]
fn fresh_batches_settle_at_the_predicted_floor_and_shuffled_epochs_below_it() {
    // The approximation (residuals independent of the words, no multiplicative noise) holds
    // while one document's step is small, lr·2·|a_i|² well below 2: here for lr ≤ 0.03.
    for seed in [314, 7] {
        let p = problem(seed, 0.1);
        for point in p.floor_grid(&[0.01, 0.03], &[1, 4, 16]).unwrap() {
            assert!((point.ratio() - 1.0).abs() < 0.2, "seed {seed}: {point:?}");
            assert!(point.shuffled < point.independent, "seed {seed}: {point:?}");
        }
    }
}

#[test]
fn the_floor_is_measured_over_the_second_half() {
    let losses = [9.0f32, 9.0, 1.0, 3.0];
    assert_eq!(excess_floor(&losses, 1.0), 1.0);
    assert!(excess_floor(&[1.0], 0.0).is_nan());
}

/// The floor is a mean: a settled run's excess loss fluctuates around it, and the band holds
/// nine steps in ten of the second half, counted here directly.
#[test]
fn the_floor_band_holds_nine_steps_in_ten_around_the_mean() {
    let p = problem(314, 0.1);
    let loss_star = p.loss_star().unwrap();
    let settled = p.minibatch_sgd(4, p.settling_epochs(0.1, 4).unwrap(), 0.1, Schedule::Constant).unwrap();
    let band = floor_band(&settled.step_losses, loss_star);
    assert_eq!(band.mean, excess_floor(&settled.step_losses, loss_star));
    let tail = &settled.step_losses[settled.step_losses.len() / 2..];
    let inside = tail.iter().map(|&l| f64::from(l) - loss_star).filter(|e| (band.low..=band.high).contains(e)).count();
    let share = inside as f64 / tail.len() as f64;
    assert!((0.89..=0.91).contains(&share), "{share}");
    assert!(band.low < band.mean / 3.0 && band.high > 2.0 * band.mean, "a wide spread: {band:?}");
    // Skewed: most steps lie below the mean, which a few large excursions pull up.
    let below = tail.iter().filter(|&&l| f64::from(l) - loss_star < band.mean).count();
    assert!(band.median < band.mean && 2 * below > tail.len(), "{band:?}");
    assert!(floor_band(&[1.0], 0.0).low.is_nan());
}

#[test]
fn independent_sampling_draws_a_fresh_batch_at_every_step() {
    let p = problem(314, 0.1);
    let shuffled = p.sgd(Sampling::Shuffled, 4, 3, 0.05, Schedule::Constant).unwrap();
    let fresh = p.sgd(Sampling::Independent, 4, 3, 0.05, Schedule::Constant).unwrap();
    assert_eq!(fresh.step_losses.len(), shuffled.step_losses.len(), "as many steps an epoch");
    // The first batch of both is perm[:4] of the first shuffle; after it they part.
    assert_eq!(fresh.batch_losses[0], shuffled.batch_losses[0]);
    assert_ne!(fresh.batch_losses[1], shuffled.batch_losses[1]);
}

#[test]
fn decaying_schedules_end_below_the_constant_rates_floor() {
    for seed in [314, 7] {
        let p = problem(seed, 0.1);
        let loss_star = p.loss_star().unwrap();
        let settled = p.minibatch_sgd(4, p.settling_epochs(0.1, 4).unwrap(), 0.1, Schedule::Constant).unwrap();
        let floor = excess_floor(&settled.step_losses, loss_star);
        for schedule in [
            Schedule::Step { step_size: 5, gamma: 0.5 },
            Schedule::Exponential { gamma: 0.9 },
            Schedule::Cosine { t_max: 30, eta_min: 0.0 },
        ] {
            let run = p.minibatch_sgd(4, 30, 0.1, schedule).unwrap();
            let last = f64::from(run.epoch_losses[29]) - loss_star;
            assert!(last < floor / 10.0, "seed {seed}, {schedule}: {last:e} against the floor {floor:e}");
        }
    }
}

#[test]
fn the_heavy_ball_factor_is_plain_descents_without_momentum_and_root_beta_when_it_spirals() {
    for (h, lr) in [(0.125, 0.5), (2.0, 0.3), (2.0, 0.9)] {
        assert!((heavy_ball_factor(h, lr, 0.0) - (1.0 - lr * h).abs()).abs() < 1e-15);
    }
    // 1 + β − lr·h = 0: complex roots of size √β.
    assert!((heavy_ball_factor(1.0, 1.5, 0.5) - 0.5f64.sqrt()).abs() < 1e-15);
}

#[test]
fn the_momentum_map_is_stable_exactly_inside_the_boundary() {
    let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
    let lrs: Vec<f64> = (1..=60).map(|i| 2.2 * i as f64 / 60.0).collect();
    let betas: Vec<f64> = (0..20).map(|i| 0.95 * i as f64 / 19.0).collect();
    let map = momentum_map(&m, &lrs, &betas).unwrap();
    assert_eq!(map.h_max, 2.0); // 2·16/16
    for (i, &beta) in betas.iter().enumerate() {
        for (j, &lr) in lrs.iter().enumerate() {
            let inside = lr * map.h_max < 2.0 * (1.0 + beta);
            let near = (lr * map.h_max - 2.0 * (1.0 + beta)).abs() < 1e-9;
            assert!(near || inside == (map.rates[[i, j]] < 1.0), "lr {lr}, β {beta}: {}", map.rates[[i, j]]);
        }
    }
    // No grid point beats Polyak's optimum.
    let best = map.rates.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(best >= map.polyak.rate - 1e-12, "{best} < {}", map.polyak.rate);
}

#[test]
fn the_momentum_map_refuses_a_beta_outside_zero_to_one() {
    let m = Array2::from_diag(&array![1.0f64, 2.0]);
    for beta in [1.0, -0.1, f64::NAN] {
        assert!(matches!(momentum_map(&m, &[0.5], &[beta]), Err(GdlabError::InvalidParameter { name: "beta", .. })));
    }
}

#[test]
fn measured_heavy_ball_rates_are_within_5_percent_of_the_prediction() {
    let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
    let points = [(0.3, 0.0), (0.5, 0.5), (1.0, 0.8), (1.6, 0.7), (0.2, 0.9), (1.9, 0.8)];
    for seed in [314, 7] {
        // Notebook 01's start in float64, as notebook 06 runs it.
        let start = TorchRng::manual_seed(seed).rand::<f32, _>((4, 4)).mapv(f64::from);
        let found = measured_momentum_rates(&m, &start, &points).unwrap();
        for point in &found[..5] {
            assert!(point.relative_error().unwrap() < 0.05, "seed {seed}: {point:?}");
        }
        assert_eq!(found[5].measured, None, "lr·h_max = 3.8 > 2(1 + 0.8) = 3.6: diverges");
    }
}
