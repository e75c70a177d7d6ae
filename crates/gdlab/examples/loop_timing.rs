//! Times 100 `gradient_step`s at n = 4 and n = 512 (f32) and prints JSON, for `cargo xtask bench`.
//!
//! The problem is the criterion bench's: `manual_seed(314)`, M = 2·I + rand·0.1/n, X = rand,
//! lr at half the stability bound. `tools/bench_torch_loop.py` builds the same tensors in torch.

use std::time::Instant;

use gdlab::prelude::*;

fn seconds_per_100_steps(n: usize, repeats: usize) -> f64 {
    let mut rng = TorchRng::manual_seed(314);
    let noise: Array2<f32> = rng.rand((n, n));
    let m = Array2::<f32>::eye(n) * 2.0 + noise * (0.1 / n as f32);
    let x0: Array2<f32> = rng.rand((n, n));
    let y = Array2::<f32>::eye(n);
    let lr = 0.5 * stability_bound(&m).expect("square");
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let mut x = x0.clone();
            let start = Instant::now();
            for _ in 0..100 {
                gradient_step(&mut x, &m, &y, lr).expect("valid problem");
            }
            std::hint::black_box(&x);
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let small = seconds_per_100_steps(4, 2001);
    let large = seconds_per_100_steps(512, 7);
    println!("{{\"n4\": {small:e}, \"n512\": {large:e}}}");
}
