//! Times 100 `gradient_step`s at n = 4 and n = 512 (f32) and prints JSON, for `cargo xtask bench`.
//!
//! The problem is the criterion bench's (`benches/problem.rs`); `tools/bench_torch_loop.py`
//! builds the same tensors in torch.

use std::time::Instant;

use gdlab::prelude::*;

#[path = "../benches/problem.rs"]
mod problem;

fn seconds_per_100_steps(n: usize, repeats: usize) -> f64 {
    let problem::Problem { m, x0, y, lr } = problem::problem(n);
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
