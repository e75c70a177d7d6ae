//! The problem both `benches/descent.rs` and `examples/loop_timing.rs` time, and that
//! `tools/bench_torch_loop.py` builds in torch: `manual_seed(314)`, M = 2·I + rand·0.1/n,
//! X = rand, lr at half the stability bound (f32, torch's default).

use gdlab::prelude::*;

/// A well-conditioned n×n problem.
pub struct Problem {
    /// M = 2·I + small noise.
    pub m: Array2<f32>,
    /// The start X, from torch.rand.
    pub x0: Array2<f32>,
    /// The identity.
    pub y: Array2<f32>,
    /// Half the stability bound.
    pub lr: f64,
}

/// The problem of size n.
pub fn problem(n: usize) -> Problem {
    let mut rng = TorchRng::manual_seed(314);
    let noise: Array2<f32> = rng.rand((n, n));
    let m = Array2::<f32>::eye(n) * 2.0 + noise * (0.1 / n as f32);
    let x0: Array2<f32> = rng.rand((n, n));
    let lr = 0.5 * stability_bound(&m).expect("square");
    Problem { m, x0, y: Array2::eye(n), lr }
}
