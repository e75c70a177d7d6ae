//! Every exercise check with a right answer, a wrong one and a NaN (or a function that is wrong
//! or panics). The right answers are computed here by another route than the check's: by hand
//! from the formula, or with the loop written out.
use gdlab::prelude::*;

const SEED: u64 = 314;

fn lesson() -> (Array2<f32>, Array2<f32>) {
    (Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]), Array2::eye(4))
}

fn not_yet(v: &check::Verdict, exercise: &str) {
    assert!(!v.is_right(), "{exercise} took a wrong answer");
    let text = v.to_string();
    assert!(text.starts_with(&format!("✗ Exercise {exercise}: not yet. Hint: ")), "{text}");
    assert_eq!(text.lines().count(), 1, "one line: {text}");
}

fn right(v: &check::Verdict, exercise: &str) {
    assert!(v.is_right(), "{v}");
    assert_eq!(v.to_string(), format!("✓ Exercise {exercise}"));
}

/// The lesson's loop written out: the losses of `steps` steps from `seed` at `lr`.
fn losses(seed: u64, lr: f64, steps: usize) -> Vec<f32> {
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

/// The sum of squares of X − M⁻¹ for the `torch.rand` start of `seed`, M⁻¹ = diag(1, 1/2, 1/3, 1/4) by hand.
fn distance(seed: u64) -> f32 {
    let inv = Array2::from_diag(&array![1.0f32, 0.5, 1.0 / 3.0, 0.25]);
    let x: Array2<f32> = TorchRng::manual_seed(seed).rand((4, 4));
    (x - &inv).mapv(|d| d * d).sum()
}

/// Overflow checks are on in the kernels' dev profile: a check that added to the seed would
/// panic here instead of answering.
#[test]
fn checks_answer_at_the_largest_seed() {
    // u64::MAX and the nine seeds after it, wrapping.
    let seeds = [u64::MAX, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    let want = *seeds.iter().max_by(|&&a, &&b| distance(a).total_cmp(&distance(b))).unwrap();
    right(&check::ex_01_2(&want, u64::MAX), "1.2");
    let s = u64::MAX;
    not_yet(&check::ex_01_1(&f32::NAN, s), "1.1");
    not_yet(&check::ex_01_3(&usize::MAX, s), "1.3");
    not_yet(&check::ex_02_1(&f32::NAN, s), "2.1");
    not_yet(&check::ex_02_3(&f64::NAN, s), "2.3");
    right(&check::ex_02_4(ridge_grad, s), "2.4");
    not_yet(&check::ex_03_2(&f64::NAN, s, 17, 3, 0.2), "3.2");
    not_yet(&check::ex_04_2(&usize::MAX, s, lesson_lr(), 1e-6), "4.2");
    not_yet(&check::ex_04_3(&f64::NAN, s, 1e-6), "4.3");
    not_yet(&check::ex_05_1(&f64::NAN, s), "5.1");
    not_yet(&check::ex_05_2(&(f64::NAN, f64::NAN), s), "5.2");
    not_yet(&check::ex_05_3(&usize::MAX, s), "5.3");
}

#[test]
fn ex_01_1_the_loss_after_one_step() {
    for seed in [SEED, 7] {
        let want = losses(seed, lesson_lr(), 2)[1];
        right(&check::ex_01_1(&want, seed), "1.1");
        not_yet(&check::ex_01_1(&(want * 1.01), seed), "1.1");
        not_yet(&check::ex_01_1(&f32::NAN, seed), "1.1");
    }
    // The loss before the step is a likely mistake.
    not_yet(&check::ex_01_1(&losses(SEED, lesson_lr(), 1)[0], SEED), "1.1");
}

#[test]
fn ex_01_2_the_farthest_start() {
    let want = (SEED..SEED + 10).max_by(|&a, &b| distance(a).total_cmp(&distance(b))).unwrap();
    right(&check::ex_01_2(&want, SEED), "1.2");
    let nearest = (SEED..SEED + 10).min_by(|&a, &b| distance(a).total_cmp(&distance(b))).unwrap();
    not_yet(&check::ex_01_2(&nearest, SEED), "1.2");
    not_yet(&check::ex_01_2(&u64::MAX, SEED), "1.2");
}

#[test]
fn ex_01_3_the_first_step_below_1e_3() {
    let want = losses(SEED, lesson_lr(), 1000).iter().position(|&l| l < 1e-3).unwrap();
    right(&check::ex_01_3(&want, SEED), "1.3");
    not_yet(&check::ex_01_3(&(want + 1), SEED), "1.3");
    not_yet(&check::ex_01_3(&usize::MAX, SEED), "1.3");
}

fn step_written_out(x: &Array2<f32>, m: &Array2<f32>, lr: f64) -> Array2<f32> {
    let n = (x.nrows() * m.ncols()) as f32;
    let grad = (x.dot(m) - Array2::<f32>::eye(x.nrows())).dot(&m.t()) * (2.0 / n);
    x - &(lr as f32 * &grad)
}

fn step_without_lr(x: &Array2<f32>, m: &Array2<f32>, _lr: f64) -> Array2<f32> {
    x - &mse_grad(x, m, &Array2::eye(x.nrows()))
}

fn step_for_4x4_only(x: &Array2<f32>, m: &Array2<f32>, lr: f64) -> Array2<f32> {
    let grad = mse_grad(x, m, &Array2::eye(4)); // panics for the 2×2 case
    x - &(lr as f32 * &grad)
}

fn step_unchanged(x: &Array2<f32>, _m: &Array2<f32>, _lr: f64) -> Array2<f32> {
    x.clone()
}

#[test]
fn ex_01_4_the_step_as_a_function() {
    right(&check::ex_01_4(step_written_out), "1.4");
    not_yet(&check::ex_01_4(step_without_lr), "1.4");
    not_yet(&check::ex_01_4(step_for_4x4_only), "1.4");
    not_yet(&check::ex_01_4(step_unchanged), "1.4");
}

#[test]
fn ex_02_1_three_backward_passes_add_up() {
    // Three backward() calls without zero_grad: .grad holds g + g + g.
    let (m, y) = lesson();
    let g = mse_grad(&TorchRng::manual_seed(SEED).rand((4, 4)), &m, &y)[[0, 0]];
    right(&check::ex_02_1(&(g + g + g), SEED), "2.1");
    not_yet(&check::ex_02_1(&g, SEED), "2.1");
    not_yet(&check::ex_02_1(&(g + g), SEED), "2.1");
    not_yet(&check::ex_02_1(&f32::NAN, SEED), "2.1");
}

#[test]
fn ex_02_2_the_ridge_shrinks_x_m() {
    // On diag(1, 2, 3, 4) the first entry solves (x·1 − 1)·1 + λ·x = 0: X·M's entry is 1/(1 + λ).
    for lambda in [0.5, 0.1, 3.0] {
        right(&check::ex_02_2(&(1.0 / (1.0 + lambda)), lambda), "2.2");
        not_yet(&check::ex_02_2(&1.0, lambda), "2.2");
        not_yet(&check::ex_02_2(&(1.0 / (1.0 + lambda)).sqrt(), lambda), "2.2");
    }
    not_yet(&check::ex_02_2(&f64::NAN, 0.5), "2.2");
}

#[test]
fn ex_02_3_the_best_forward_step_in_f32() {
    // f'' is largest along the last column: 2·4²/16 = 2, so h = √(2·ε·f/2) = √(ε·f).
    let (m, y) = lesson();
    let f = f64::from(mse(&y, &TorchRng::manual_seed(SEED).rand::<f32, _>((4, 4)).dot(&m)));
    right(&check::ex_02_3(&(f64::from(f32::EPSILON) * f).sqrt(), SEED), "2.3");
    not_yet(&check::ex_02_3(&(f64::EPSILON * f).sqrt(), SEED), "2.3");
    not_yet(&check::ex_02_3(&f64::from(f32::EPSILON).sqrt(), SEED), "2.3");
    not_yet(&check::ex_02_3(&f64::NAN, SEED), "2.3");
}

fn ridge_grad(x: &Array2<f64>, m: &Array2<f64>, lambda: f64) -> Array2<f64> {
    let n = (x.nrows() * m.ncols()) as f64;
    ((x.dot(m) - Array2::<f64>::eye(x.nrows())).dot(&m.t()) + lambda * x) * (2.0 / n)
}

fn mse_grad_only(x: &Array2<f64>, m: &Array2<f64>, _lambda: f64) -> Array2<f64> {
    mse_grad(x, m, &Array2::eye(x.nrows()))
}

fn ridge_without_two_over_n_on_lambda(x: &Array2<f64>, m: &Array2<f64>, lambda: f64) -> Array2<f64> {
    mse_grad(x, m, &Array2::eye(x.nrows())) + lambda * x
}

fn ridge_for_4x4_only(x: &Array2<f64>, m: &Array2<f64>, lambda: f64) -> Array2<f64> {
    ((x.dot(m) - Array2::<f64>::eye(4)).dot(&m.t()) + lambda * x) * (2.0 / 16.0)
}

#[test]
fn ex_02_4_the_ridge_gradient_as_a_function() {
    right(&check::ex_02_4(ridge_grad, SEED), "2.4");
    not_yet(&check::ex_02_4(mse_grad_only, SEED), "2.4");
    not_yet(&check::ex_02_4(ridge_without_two_over_n_on_lambda, SEED), "2.4");
    not_yet(&check::ex_02_4(ridge_for_4x4_only, SEED), "2.4");
}

#[test]
fn ex_03_1_expected_words_per_document() {
    right(&check::ex_03_1(&(8.0 * 0.2), 8, 0.2), "3.1");
    right(&check::ex_03_1(&1.5, 3, 0.5), "3.1");
    not_yet(&check::ex_03_1(&0.2, 8, 0.2), "3.1");
    not_yet(&check::ex_03_1(&f64::NAN, 8, 0.2), "3.1");
}

#[test]
fn ex_03_2_simulated_words_per_document() {
    let a = indicator_matrix(&mut TorchRng::manual_seed(123), 200, 8, 0.2).unwrap();
    let rows = a.sum_axis(Axis(1));
    let want = rows.iter().map(|&r| f64::from(r)).sum::<f64>() / 200.0;
    right(&check::ex_03_2(&want, 123, 200, 8, 0.2), "3.2");
    not_yet(&check::ex_03_2(&1.6, 123, 200, 8, 0.2), "3.2"); // the expectation, not the simulation
    not_yet(&check::ex_03_2(&f64::NAN, 123, 200, 8, 0.2), "3.2");
}

#[test]
fn ex_03_3_documents_with_a_word() {
    let empty = 0.8f64 * 0.8 * 0.8 * 0.8 * 0.8 * 0.8 * 0.8 * 0.8;
    right(&check::ex_03_3(&(200.0 * (1.0 - empty)), 200, 8, 0.2), "3.3");
    not_yet(&check::ex_03_3(&(200.0 * empty), 200, 8, 0.2), "3.3");
    not_yet(&check::ex_03_3(&f64::NAN, 200, 8, 0.2), "3.3");
}

#[test]
fn ex_03_4_documents_for_a_standard_error_of_0_001() {
    // p(1−p)/(n·8) ≤ 1e-6 ⇔ n ≥ 0.16/8e-6 = 20 000
    right(&check::ex_03_4(&20_000, 8, 0.2), "3.4");
    // p = 0.5, 3 words: n ≥ 0.25/3e-6 = 83 333.3…, so 83 334
    right(&check::ex_03_4(&83_334, 3, 0.5), "3.4");
    not_yet(&check::ex_03_4(&160_000, 8, 0.2), "3.4"); // cells, not documents
    not_yet(&check::ex_03_4(&usize::MAX, 8, 0.2), "3.4");
}

#[test]
fn ex_04_1_the_slowest_directions_rate() {
    for lr in [lesson_lr(), 0.9, 0.2] {
        let want = [1.0f64, 4.0, 9.0, 16.0].iter().map(|l| (1.0 - 2.0 * lr * l / 16.0).abs()).fold(0.0, f64::max);
        right(&check::ex_04_1(&want, lr), "4.1");
        not_yet(&check::ex_04_1(&(1.0 - 2.0 * lr * 16.0 / 16.0).abs().min(want * 0.9), lr), "4.1");
        not_yet(&check::ex_04_1(&f64::NAN, lr), "4.1");
    }
}

#[test]
fn ex_04_2_steps_to_the_tolerance() {
    let first_below = |seed, lr, tol: f64| losses(seed, lr, 10_000).iter().position(|&l| f64::from(l) <= tol).unwrap();
    for (seed, lr, tol) in [(SEED, lesson_lr(), 1e-6), (7, 0.3, 1e-4)] {
        let want = first_below(seed, lr, tol);
        right(&check::ex_04_2(&want, seed, lr, tol), "4.2");
        not_yet(&check::ex_04_2(&(want + 5), seed, lr, tol), "4.2");
        not_yet(&check::ex_04_2(&usize::MAX, seed, lr, tol), "4.2");
    }
    // Above the bound it never gets there: the answer is usize::MAX.
    right(&check::ex_04_2(&usize::MAX, SEED, 1.1, 1e-6), "4.2");
}

#[test]
fn ex_04_3_the_fastest_learning_rate() {
    for seed in [SEED, 7] {
        // A finer sweep than the check's, with the loop written out.
        let steps = |lr: f64| losses(seed, lr, 2000).iter().position(|&l| f64::from(l) <= 1e-6);
        let fastest = (500..1000).map(|i| i as f64 / 1000.0).filter_map(|lr| steps(lr).map(|s| (s, lr)));
        let (_, want) = fastest.min_by(|a, b| a.0.cmp(&b.0)).unwrap();
        right(&check::ex_04_3(&want, seed, 1e-6), "4.3");
        // The theory's best rate in the long run, N/(λ_min + λ_max) = 16/17, takes about 10 steps more.
        not_yet(&check::ex_04_3(&(16.0 / 17.0), seed, 1e-6), "4.3");
        not_yet(&check::ex_04_3(&lesson_lr(), seed, 1e-6), "4.3");
        not_yet(&check::ex_04_3(&1.5, seed, 1e-6), "4.3"); // diverges
        not_yet(&check::ex_04_3(&f64::NAN, seed, 1e-6), "4.3");
    }
}

#[test]
fn ex_04_4_the_smallest_diverging_rate() {
    // M = [[2, 1], [1, 3]] is symmetric: λ(MᵀM) = λ(M)², λ_max(M) = (5 + √5)/2; N = 4.
    let lambda_max = ((5.0 + 5.0f64.sqrt()) / 2.0).powi(2);
    right(&check::ex_04_4(&(4.0 / lambda_max)), "4.4");
    not_yet(&check::ex_04_4(&(2.0 / lambda_max)), "4.4");
    not_yet(&check::ex_04_4(&f64::NAN), "4.4");
}

#[test]
fn ex_05_1_the_best_plain_rate_at_kappa_100() {
    right(&check::ex_05_1(&(99.0 / 101.0), SEED), "5.1");
    right(&check::ex_05_1(&(99.0 / 101.0), 7), "5.1");
    not_yet(&check::ex_05_1(&(9.0 / 11.0), SEED), "5.1"); // momentum's rate
    not_yet(&check::ex_05_1(&f64::NAN, SEED), "5.1");
}

#[test]
fn ex_05_2_polyak_at_kappa_100() {
    // Singular values 1 … 1/10: λ(MᵀM) from 1/100 to 1; N = 16.
    let lr = 2.0 * 16.0 / (1.0f64 + 0.1).powi(2);
    let beta = (9.0f64 / 11.0).powi(2);
    right(&check::ex_05_2(&(lr, beta), SEED), "5.2");
    not_yet(&check::ex_05_2(&(lr, 9.0 / 11.0), SEED), "5.2");
    not_yet(&check::ex_05_2(&(beta, lr), SEED), "5.2");
    not_yet(&check::ex_05_2(&(f64::NAN, beta), SEED), "5.2");
}

#[test]
fn ex_05_3_heavy_ball_steps_to_1e_10() {
    // Polyak for diag(1, 2, 3, 4): lr = 1.28, β = 0.36; the loop written out in float64.
    let m = Array2::from_diag(&array![1.0f64, 2.0, 3.0, 4.0]);
    let y = Array2::<f64>::eye(4);
    let mut x: Array2<f64> = TorchRng::manual_seed(SEED).rand((4, 4));
    let mut buf = Array2::<f64>::zeros((4, 4));
    let mut want = None;
    for t in 0..5000 {
        if mse(&y, &x.dot(&m)) <= 1e-10 {
            want = Some(t);
            break;
        }
        buf = buf * 0.36 + mse_grad(&x, &m, &y);
        x = &x - &(1.28 * &buf);
    }
    let want = want.unwrap();
    right(&check::ex_05_3(&want, SEED), "5.3");
    not_yet(&check::ex_05_3(&(want + 10), SEED), "5.3");
    not_yet(&check::ex_05_3(&usize::MAX, SEED), "5.3");
}

type Pair = (Array2<f64>, Array2<f64>);

fn heavy_ball(x: &Array2<f64>, buf: &Array2<f64>, grad: &Array2<f64>, lr: f64, beta: f64) -> Pair {
    let buf = buf * beta + grad;
    (x - &(lr * &buf), buf)
}

fn plain_step(x: &Array2<f64>, buf: &Array2<f64>, grad: &Array2<f64>, lr: f64, _beta: f64) -> Pair {
    (x - &(lr * grad), buf.clone())
}

fn panicking(_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: f64, _: f64) -> Pair {
    panic!("not written yet")
}

#[test]
fn ex_05_4_heavy_ball_as_a_function() {
    right(&check::ex_05_4(heavy_ball, SEED), "5.4");
    not_yet(&check::ex_05_4(plain_step, SEED), "5.4");
    not_yet(&check::ex_05_4(panicking, SEED), "5.4");
}

#[test]
fn a_verdict_never_names_the_answer() {
    let want = losses(SEED, lesson_lr(), 2)[1];
    let text = check::ex_01_1(&0.0, SEED).to_string();
    assert!(!text.contains(&format!("{want}")) && !text.contains(&format!("{want:.4}")), "{text}");
    let text = check::ex_04_4(&0.1).to_string();
    assert!(!text.contains("0.3") && !text.contains("√5"), "{text}");
}

/// Notebook 06's problem at the default knobs: seed 314, 100 documents, 8 words, p = 0.3.
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
fn ex_06_1_the_least_loss_at_twice_the_noise() {
    let want = least_loss(&documents(0.2));
    right(&check::ex_06_1(&want, SEED, 100, 8, 0.3), "6.1");
    not_yet(&check::ex_06_1(&least_loss(&documents(0.1)), SEED, 100, 8, 0.3), "6.1"); // the notebook's loss_star
    not_yet(&check::ex_06_1(&(0.2f64 * 0.2 / 3.0), SEED, 100, 8, 0.3), "6.1"); // noise²/3, an approximation
    not_yet(&check::ex_06_1(&f64::NAN, SEED, 100, 8, 0.3), "6.1");
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
fn ex_06_2_the_predicted_floor_for_batch_8() {
    let problem = documents(0.1);
    right(&check::ex_06_2(&floor_by_trace(&problem, 0.05, 8), &problem), "6.2");
    // The nearest floors the notebook's grid prints (lr 0.03; batches 4 and 16), and the rough lr·L⋆/B.
    not_yet(&check::ex_06_2(&floor_by_trace(&problem, 0.03, 4), &problem), "6.2");
    not_yet(&check::ex_06_2(&floor_by_trace(&problem, 0.03, 16), &problem), "6.2");
    not_yet(&check::ex_06_2(&(0.05 * least_loss(&problem) / 8.0), &problem), "6.2");
    not_yet(&check::ex_06_2(&f64::NAN, &problem), "6.2");
}

#[test]
fn ex_06_3_the_measured_floor_of_shuffled_epochs() {
    let problem = documents(0.1);
    let loss_star = least_loss(&problem);
    // A run half as long again as the check's: another measurement of the same floor.
    let epochs = problem.settling_epochs(0.05, 8).unwrap() * 3 / 2;
    let run = problem.minibatch_sgd(8, epochs, 0.05, Schedule::Constant).unwrap();
    right(&check::ex_06_3(&excess_floor(&run.step_losses, loss_star), &problem), "6.3");
    // 6.2's prediction is for fresh batches; shuffled epochs settle lower.
    not_yet(&check::ex_06_3(&floor_by_trace(&problem, 0.05, 8), &problem), "6.3");
    // The final loss of a run, not the floor: L itself, with L⋆ still in it.
    not_yet(&check::ex_06_3(&f64::from(*run.epoch_losses.last().unwrap()), &problem), "6.3");
    not_yet(&check::ex_06_3(&f64::NAN, &problem), "6.3");
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
fn ex_06_4_fresh_batches_as_a_function() {
    right(&check::ex_06_4(fresh_sgd, SEED), "6.4");
    right(&check::ex_06_4(fresh_sgd, 7), "6.4");
    not_yet(&check::ex_06_4(shuffled_sgd, SEED), "6.4");
    not_yet(&check::ex_06_4(reseeded_sgd, SEED), "6.4");
    not_yet(&check::ex_06_4(panicking_sgd, SEED), "6.4");
}
