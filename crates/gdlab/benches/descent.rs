//! `cargo bench -p gdlab`: one `gradient_step`, 100 of them, and a 100-step `InverseDescent`,
//! at n = 4, 64 and 512 (f32, as torch's default).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use gdlab::prelude::*;
use std::hint::black_box;

mod problem;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("descent");
    for n in [4usize, 64, 512] {
        let problem::Problem { m, x0, y, lr } = problem::problem(n);
        if n == 512 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::new("gradient_step", n), &n, |b, _| {
            let mut x = x0.clone();
            b.iter(|| gradient_step(black_box(&mut x), &m, &y, lr).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("gradient_step_x100", n), &n, |b, _| {
            b.iter(|| {
                let mut x = x0.clone();
                for _ in 0..100 {
                    gradient_step(&mut x, &m, &y, lr).unwrap();
                }
                black_box(x)
            })
        });
        group.bench_with_input(BenchmarkId::new("inverse_descent_100", n), &n, |b, _| {
            let run = InverseDescent::new(&m).start(&x0).lr(lr).steps(100).record_every(20);
            b.iter(|| black_box(run.run().unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
