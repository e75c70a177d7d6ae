//! The checks of notebooks 04–07, each with a right answer, the answers a student would get by
//! copying the nearest variable of the notebook, a wrong one and a NaN (or functions that are
//! wrong or panic). The right answers are computed here by another route than the check's.
mod common;

use common::{SEED, first_below, losses, not_yet, right};
use gdlab::prelude::*;

#[test]
fn ex_04_1_the_slowest_rate_near_the_bound() {
    // At lr = 0.96 the factors 1 − 2·lr·λ/16 are 0.88, 0.52, −0.08 and −0.92: the stiffest is slowest.
    right(&check::ex_04_1(&0.92), "4.1");
    not_yet(&check::ex_04_1(&0.88), "4.1"); // the flattest direction, as at the lesson's rate
    not_yet(&check::ex_04_1(&(1.0 - 2.0 * lesson_lr() / 16.0)), "4.1"); // the printed 0.9424
    not_yet(&check::ex_04_1(&-0.92), "4.1");
    not_yet(&check::ex_04_1(&f64::NAN), "4.1");
}

/// The long-run factor of the loss at `lr`, by hand: at lr = 0.3 the factors 1 − 2·lr·λ/16 are
/// 0.9625, 0.85, 0.6625 and 0.4, so the first column is slowest, and the loss shrinks by its square.
fn long_run_factor(lr: f64) -> f64 {
    (1.0 - lr / 8.0).powi(2)
}

/// The loss's average factor per step over the first `steps` steps, with the loop written out.
fn early_factor(seed: u64, lr: f64, steps: usize) -> f64 {
    let run = losses(seed, lr, steps + 1);
    (f64::from(run[steps]) / f64::from(run[0])).powf(1.0 / steps as f64)
}

#[test]
fn ex_04_2_predict_the_long_run_factor_at_lr_0_3() {
    right(&check::ex_04_2(&long_run_factor(0.3)), "4.2");
    not_yet(&check::ex_04_2(&long_run_factor(lesson_lr())), "4.2"); // at the notebook's lr: 0.942²
    not_yet(&check::ex_04_2(&(1.0 - 0.3 / 8.0)), "4.2"); // the error's factor, not squared
    not_yet(&check::ex_04_2(&(1.0f64 - 0.3 * 16.0 / 8.0).powi(2)), "4.2"); // the stiffest direction
    not_yet(&check::ex_04_2(&f64::NAN), "4.2");
}

#[test]
fn ex_04_3_measure_the_first_20_steps_at_lr_0_3() {
    for seed in [SEED, 7] {
        let want = early_factor(seed, 0.3, 20);
        right(&check::ex_04_3(&want, seed), "4.3");
        not_yet(&check::ex_04_3(&early_factor(seed, 0.3, 21), seed), "4.3"); // one step more
        not_yet(&check::ex_04_3(&early_factor(seed, lesson_lr(), 20), seed), "4.3"); // at the notebook's lr
        not_yet(&check::ex_04_3(&want.sqrt(), seed), "4.3"); // the error's size, not the loss
        not_yet(&check::ex_04_3(&f64::NAN, seed), "4.3");
    }
}

/// Predict and measure differ by far more than either check's tolerance: over the first 20 steps
/// the fast directions still hold most of the loss, and it falls faster than the long-run factor.
#[test]
fn pair_4_2_4_3() {
    for seed in [SEED, 7] {
        // The prediction by the theory, from the eigenvalues of MᵀM = diag(1, 4, 9, 16).
        let predicted =
            [1.0f64, 4.0, 9.0, 16.0].iter().map(|l| (1.0 - 2.0 * 0.3 * l / 16.0).powi(2)).fold(0.0, f64::max);
        assert!((predicted - long_run_factor(0.3)).abs() < 1e-15);
        right(&check::ex_04_2(&predicted), "4.2");
        not_yet(&check::ex_04_3(&predicted, seed), "4.3");
        // The measurement by a run: the loop written out.
        let measured = early_factor(seed, 0.3, 20);
        right(&check::ex_04_3(&measured, seed), "4.3");
        not_yet(&check::ex_04_2(&measured), "4.2");
        assert!(measured < predicted - 0.1, "seed {seed}: {measured} against {predicted}");
        // Later, with the fast directions gone, the run does shrink at the predicted factor.
        let run = losses(seed, 0.3, 61);
        let late = (f64::from(run[60]) / f64::from(run[40])).powf(1.0 / 20.0);
        assert!((late - predicted).abs() < 1e-3, "seed {seed}: {late} over steps 40–60 against {predicted}");
    }
}

#[test]
fn ex_04_4_the_fastest_learning_rate() {
    for seed in [SEED, 7] {
        // A finer sweep than the check's, with the loop written out.
        let steps = |lr: f64| first_below(seed, lr, 1e-6, 2000);
        let fastest = (500..1000).map(|i| i as f64 / 1000.0).filter_map(|lr| steps(lr).map(|s| (s, lr)));
        let (_, want) = fastest.min_by(|a, b| a.0.cmp(&b.0)).unwrap();
        right(&check::ex_04_4(&want, seed, 1e-6), "4.4");
        // The theory's best rate in the long run, N/(λ_min + λ_max) = 16/17, takes about 10 steps more.
        not_yet(&check::ex_04_4(&(16.0 / 17.0), seed, 1e-6), "4.4");
        not_yet(&check::ex_04_4(&lesson_lr(), seed, 1e-6), "4.4");
        not_yet(&check::ex_04_4(&1.5, seed, 1e-6), "4.4"); // diverges
        not_yet(&check::ex_04_4(&f64::NAN, seed, 1e-6), "4.4");
    }
}

#[test]
fn ex_04_5_the_smallest_diverging_rate() {
    // M = [[2, 1], [1, 3]] is symmetric: λ(MᵀM) = λ(M)², λ_max(M) = (5 + √5)/2; N = 4.
    let lambda_max = ((5.0 + 5.0f64.sqrt()) / 2.0).powi(2);
    right(&check::ex_04_5(&(4.0 / lambda_max)), "4.5");
    not_yet(&check::ex_04_5(&(4.0 / 9.0)), "4.5"); // the largest squared entry, as for a diagonal M
    not_yet(&check::ex_04_5(&(2.0 / lambda_max)), "4.5");
    not_yet(&check::ex_04_5(&f64::NAN), "4.5");
}

#[test]
fn ex_06_1_the_least_stable_beta_at_lr_1_75() {
    // lr·h_max < 2(1 + β) with h_max = 2·16/16 = 2: β > lr − 1.
    right(&check::ex_06_1(&0.75), "6.1");
    not_yet(&check::ex_06_1(&0.28), "6.1"); // the notebook's, at Polyak's lr 1.28
    not_yet(&check::ex_06_1(&(1.75 / 2.0 - 1.0)), "6.1");
    not_yet(&check::ex_06_1(&f64::NAN), "6.1");
}

/// The larger root in size of σ² − (1 + β − lr·h)·σ + β over the curvatures h = 2λ/N of
/// diag(d)ᵀ·diag(d), N = n², from the roots themselves, complex ones by their modulus.
fn heavy_ball_rate(d: &[f64], lr: f64, beta: f64) -> f64 {
    let n = (d.len() * d.len()) as f64;
    let root = |h: f64| {
        let t = 1.0 + beta - lr * h;
        let disc = t * t - 4.0 * beta;
        if disc < 0.0 { ((t / 2.0).powi(2) - disc / 4.0).sqrt() } else { (t.abs() + disc.sqrt()) / 2.0 }
    };
    d.iter().map(|x| root(2.0 * x * x / n)).fold(0.0, f64::max)
}

/// Polyak's tuning of the heavy ball for diag(d), from its extreme singular values:
/// lr = 2N/(σ_max + σ_min)², β = ((σ_max − σ_min)/(σ_max + σ_min))².
fn polyak(d: &[f64]) -> (f64, f64) {
    let (lo, hi) = (d.iter().copied().fold(f64::MAX, f64::min), d.iter().copied().fold(0.0, f64::max));
    let n = (d.len() * d.len()) as f64;
    (2.0 * n / (hi + lo).powi(2), ((hi - lo) / (hi + lo)).powi(2))
}

/// Exercises 6.2 and 6.3 ask about diag(1, 2, 3).
const POLYAK_DIAG: [f64; 3] = [1.0, 2.0, 3.0];

#[test]
fn ex_06_2_predict_the_heavy_balls_rate_at_polyaks_point() {
    let (lr, beta) = polyak(&POLYAK_DIAG);
    // The roots at Polyak's point are double: their computed size may be off by √(round-off).
    let want = heavy_ball_rate(&POLYAK_DIAG, lr, beta);
    assert!((want - 0.5).abs() < 1e-7, "{want}");
    right(&check::ex_06_2(&want), "6.2");
    right(&check::ex_06_2(&((9.0f64.sqrt() - 1.0) / (9.0f64.sqrt() + 1.0))), "6.2");
    not_yet(&check::ex_06_2(&0.6), "6.2"); // the lesson's M, printed as hb.rate
    not_yet(&check::ex_06_2(&((9.0 - 1.0) / (9.0 + 1.0))), "6.2"); // plain descent's (κ − 1)/(κ + 1)
    not_yet(&check::ex_06_2(&((3f64.sqrt() - 1.0) / (3f64.sqrt() + 1.0))), "6.2"); // √ of κ(M) = 3, not of κ(MᵀM)
    not_yet(&check::ex_06_2(&f64::NAN), "6.2");
}

/// The heavy ball on diag(d) written out in float64 for `steps` steps from the seed's float32
/// draw, converted: the error's shrinking per step over the second half of the losses above
/// 1e-24 (the loss is the error squared).
fn measured_heavy_ball(d: &[f64], seed: u64, lr: f64, beta: f64, steps: usize) -> f64 {
    let n = d.len();
    let (m, y) = (Array2::from_diag(&Array1::from(d.to_vec())), Array2::<f64>::eye(n));
    let mut x = TorchRng::manual_seed(seed).rand::<f32, _>((n, n)).mapv(f64::from);
    let mut buf = Array2::<f64>::zeros((n, n));
    let mut losses = Vec::new();
    for _ in 0..steps {
        losses.push(mse(&y, &x.dot(&m)));
        buf = buf * beta + mse_grad(&x, &m, &y);
        x = &x - &(lr * &buf);
    }
    let usable = losses.iter().take_while(|&&l| l > 1e-24).count();
    let (from, to) = (usable / 2, usable - 1);
    (losses[to] / losses[from]).powf(0.5 / (to - from) as f64)
}

#[test]
fn ex_06_3_measure_the_heavy_balls_rate_at_polyaks_point() {
    let (lr, beta) = polyak(&POLYAK_DIAG);
    for seed in [SEED, 7] {
        right(&check::ex_06_3(&measured_heavy_ball(&POLYAK_DIAG, seed, lr, beta, 200), seed), "6.3");
        right(&check::ex_06_3(&measured_heavy_ball(&POLYAK_DIAG, seed, lr, beta, 60), seed), "6.3");
        // A float64 draw as the start instead of the float32 one: the rate is the same.
        let start: Array2<f64> = TorchRng::manual_seed(seed).rand((3, 3));
        let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0]);
        let run = InverseDescent::new(&m).start(&start).lr(lr).steps(100).optimizer(Momentum::heavy_ball(beta));
        right(&check::ex_06_3(&measured_rate(&run.run().unwrap().losses), seed), "6.3");
        not_yet(&check::ex_06_3(&0.5, seed), "6.3"); // the prediction of 6.2
        not_yet(&check::ex_06_3(&measured_heavy_ball(&POLYAK_DIAG, seed, lr, 0.0, 400), seed), "6.3"); // β forgotten
        // The lesson's M at its own Polyak point: the notebook's hb run.
        let (lesson_lr, lesson_beta) = polyak(&[1.0, 2.0, 3.0, 4.0]);
        let lesson = measured_heavy_ball(&[1.0, 2.0, 3.0, 4.0], seed, lesson_lr, lesson_beta, 200);
        not_yet(&check::ex_06_3(&lesson, seed), "6.3");
        not_yet(&check::ex_06_3(&f64::NAN, seed), "6.3");
    }
}

/// 6.2 predicts, 6.3 measures: at Polyak's point the two differ by the double roots' factor k
/// in (a + b·k)·ρᵏ, about 3 %, more than either check's tolerance.
#[test]
fn pair_6_2_6_3() {
    let (lr, beta) = polyak(&POLYAK_DIAG);
    // The theory, by the characteristic roots rather than (√κ − 1)/(√κ + 1).
    let predicted = heavy_ball_rate(&POLYAK_DIAG, lr, beta);
    for seed in [SEED, 7] {
        // The run, written out.
        let measured = measured_heavy_ball(&POLYAK_DIAG, seed, lr, beta, 200);
        assert!(measured / predicted > 1.02, "the double roots slow the run: {measured} against {predicted}");
        right(&check::ex_06_2(&predicted), "6.2");
        right(&check::ex_06_3(&measured, seed), "6.3");
        not_yet(&check::ex_06_3(&predicted, seed), "6.3");
        not_yet(&check::ex_06_2(&measured), "6.2");
    }
}

type Pair = (Array2<f64>, Array2<f64>);

fn damped(x: &Array2<f64>, buf: Option<&Array2<f64>>, grad: &Array2<f64>, lr: f64, beta: f64, tau: f64) -> Pair {
    let buf = match buf {
        None => grad.clone(),
        Some(b) => b * beta + grad * (1.0 - tau),
    };
    (x - &(lr * &buf), buf)
}

/// The notebook's heavy ball: the buffer from zero, no dampening.
fn undamped(x: &Array2<f64>, buf: Option<&Array2<f64>>, grad: &Array2<f64>, lr: f64, beta: f64, _tau: f64) -> Pair {
    let buf = buf.map_or_else(|| grad.clone(), |b| b * beta + grad);
    (x - &(lr * &buf), buf)
}

/// Dampening at the first step too.
fn damped_from_the_start(
    x: &Array2<f64>,
    buf: Option<&Array2<f64>>,
    grad: &Array2<f64>,
    lr: f64,
    beta: f64,
    tau: f64,
) -> Pair {
    let zero = Array2::zeros(grad.dim());
    let buf = buf.unwrap_or(&zero) * beta + grad * (1.0 - tau);
    (x - &(lr * &buf), buf)
}

fn panicking(_: &Array2<f64>, _: Option<&Array2<f64>>, _: &Array2<f64>, _: f64, _: f64, _: f64) -> Pair {
    panic!("not written yet")
}

#[test]
fn ex_06_4_damped_momentum_as_a_function() {
    right(&check::ex_06_4(damped, SEED), "6.4");
    right(&check::ex_06_4(damped, 7), "6.4");
    not_yet(&check::ex_06_4(undamped, SEED), "6.4");
    not_yet(&check::ex_06_4(damped_from_the_start, SEED), "6.4");
    not_yet(&check::ex_06_4(panicking, SEED), "6.4");
}

#[test]
fn checks_answer_at_the_largest_seed() {
    let s = u64::MAX;
    right(&check::ex_06_4(damped, s), "6.4");
    assert!(losses(s, 0.3, 3).iter().all(|l| l.is_finite()));
}

/// Notebook 07's problem at the default knobs: seed 314, 100 documents, 8 words, p = 0.3.
fn documents(noise: f64) -> Documents {
    Documents::new(SEED, 100, 8, 0.3, noise).unwrap()
}

/// `mean((A·w⋆ − y)²)` with w⋆ from the normal equations, (AᵀA)⁻¹·Aᵀ·y: another route than pinv.
fn least_loss(problem: &Documents) -> f64 {
    let (a, y) = (problem.a.mapv(f64::from), problem.y.mapv(f64::from));
    let w = inverse(&a.t().dot(&a)).unwrap().dot(&a.t().dot(&y));
    (a.dot(&w) - &y).mapv(|r| r * r).mean().unwrap()
}

#[test]
fn ex_07_1_the_least_loss_at_twice_the_noise() {
    let want = least_loss(&documents(0.2));
    right(&check::ex_07_1(&want, SEED, 100, 8, 0.3), "7.1");
    not_yet(&check::ex_07_1(&least_loss(&documents(0.1)), SEED, 100, 8, 0.3), "7.1"); // the notebook's loss_star
    not_yet(&check::ex_07_1(&(0.2f64 * 0.2 / 3.0), SEED, 100, 8, 0.3), "7.1"); // noise²/3, an approximation
    not_yet(&check::ex_07_1(&f64::NAN, SEED, 100, 8, 0.3), "7.1");
}

/// The predicted floor by another route: Σ h/(2 − lr·h) as trace(H·(2I − lr·H)⁻¹).
fn floor_by_trace(problem: &Documents, lr: f64, batch: usize) -> f64 {
    let n = problem.a.nrows() as f64;
    let a = problem.a.mapv(f64::from);
    let h = a.t().dot(&a) * (2.0 / n);
    let spread = h.dot(&inverse(&(Array2::eye(h.nrows()) * 2.0 - &h * lr)).unwrap()).diag().sum();
    lr * least_loss(problem) / batch as f64 * (n - batch as f64) / (n - 1.0) * spread
}

#[test]
fn ex_07_2_the_predicted_floor_for_batch_8() {
    let problem = documents(0.1);
    right(&check::ex_07_2(&floor_by_trace(&problem, 0.05, 8), &problem), "7.2");
    // The nearest floors the notebook's grid prints (lr 0.03; batches 4 and 16), and the rough lr·L⋆/B.
    not_yet(&check::ex_07_2(&floor_by_trace(&problem, 0.03, 4), &problem), "7.2");
    not_yet(&check::ex_07_2(&floor_by_trace(&problem, 0.03, 16), &problem), "7.2");
    not_yet(&check::ex_07_2(&(0.05 * least_loss(&problem) / 8.0), &problem), "7.2");
    not_yet(&check::ex_07_2(&f64::NAN, &problem), "7.2");
}

#[test]
fn ex_07_3_the_measured_floor_of_shuffled_epochs() {
    let problem = documents(0.1);
    let loss_star = least_loss(&problem);
    // A run half as long again as the check's: another measurement of the same floor.
    let epochs = problem.settling_epochs(0.05, 8).unwrap() * 3 / 2;
    let run = problem.minibatch_sgd(8, epochs, 0.05, Schedule::Constant).unwrap();
    right(&check::ex_07_3(&excess_floor(&run.step_losses, loss_star), &problem), "7.3");
    // 7.2's prediction is for fresh batches; shuffled epochs settle lower.
    not_yet(&check::ex_07_3(&floor_by_trace(&problem, 0.05, 8), &problem), "7.3");
    // The final loss of a run, not the floor: L itself, with L⋆ still in it.
    not_yet(&check::ex_07_3(&f64::from(*run.epoch_losses.last().unwrap()), &problem), "7.3");
    not_yet(&check::ex_07_3(&f64::NAN, &problem), "7.3");
}

/// 7.2 predicts the floor of fresh batches, 7.3 measures the floor of shuffled epochs, which
/// settle lower: each epoch uses every document once, so its batch errors cancel.
#[test]
fn pair_7_2_7_3() {
    let problem = documents(0.1);
    let loss_star = least_loss(&problem);
    // The theory, as a trace rather than a sum over eigenvalues.
    let predicted = floor_by_trace(&problem, 0.05, 8);
    // The run: shuffled epochs written out, over 100 relaxation times of the slowest direction.
    let epochs = problem.settling_epochs(0.05, 8).unwrap();
    let mut rng = problem.generator();
    let mut w = Array1::<f32>::zeros(8);
    let mut losses = Vec::new();
    for _ in 0..epochs {
        for idx in rng.randperm(100).unwrap().chunks(8) {
            let a = problem.a.select(Axis(0), idx);
            let residual = a.dot(&w) - problem.y.select(Axis(0), idx);
            w = w - 0.05f32 * (a.t().dot(&residual) * (2.0 / idx.len() as f32));
            losses.push(f64::from(problem.loss(&w)) - loss_star);
        }
    }
    let tail = &losses[losses.len() / 2..];
    let measured = tail.iter().sum::<f64>() / tail.len() as f64;
    assert!(measured < 0.75 * predicted, "shuffled epochs settle lower: {measured} against {predicted}");
    right(&check::ex_07_2(&predicted, &problem), "7.2");
    right(&check::ex_07_3(&measured, &problem), "7.3");
    not_yet(&check::ex_07_3(&predicted, &problem), "7.3");
    not_yet(&check::ex_07_2(&measured, &problem), "7.2");
}

/// Fresh batches written out: `torch.randperm(docs)[:batch]` at every step, drawn from `rng`.
fn fresh_from(mut rng: TorchRng, problem: &Documents, batch: usize, epochs: usize, lr: f64) -> Array1<f32> {
    let docs = problem.a.nrows();
    let mut w = Array1::<f32>::zeros(problem.a.ncols());
    for _ in 0..epochs * docs.div_ceil(batch) {
        let perm = rng.randperm(docs).unwrap();
        let a = problem.a.select(Axis(0), &perm[..batch]);
        let residual = a.dot(&w) - problem.y.select(Axis(0), &perm[..batch]);
        w = w - lr as f32 * (a.t().dot(&residual) * (2.0 / batch as f32));
    }
    w
}

fn fresh_sgd(problem: &Documents, batch: usize, epochs: usize, lr: f64) -> Array1<f32> {
    fresh_from(problem.generator(), problem, batch, epochs, lr)
}

/// The notebook's loop above the exercise: one shuffle an epoch.
fn shuffled_sgd(problem: &Documents, batch: usize, epochs: usize, lr: f64) -> Array1<f32> {
    problem.minibatch_sgd(batch, epochs, lr, Schedule::Constant).unwrap().w
}

/// A fresh generator instead of the problem's: torch.manual_seed(seed) again before the loop.
fn reseeded_sgd(problem: &Documents, batch: usize, epochs: usize, lr: f64) -> Array1<f32> {
    fresh_from(TorchRng::manual_seed(SEED + 1), problem, batch, epochs, lr)
}

fn panicking_sgd(_: &Documents, _: usize, _: usize, _: f64) -> Array1<f32> {
    panic!("not written yet")
}

#[test]
fn ex_07_4_fresh_batches_as_a_function() {
    right(&check::ex_07_4(fresh_sgd, SEED), "7.4");
    right(&check::ex_07_4(fresh_sgd, 7), "7.4");
    not_yet(&check::ex_07_4(shuffled_sgd, SEED), "7.4");
    not_yet(&check::ex_07_4(reseeded_sgd, SEED), "7.4");
    not_yet(&check::ex_07_4(panicking_sgd, SEED), "7.4");
}
