#!/usr/bin/env python3
"""The original update loop in PyTorch (CPU, float32), 100 steps at n = 4 and n = 512; prints JSON.

Same problem as crates/gdlab/examples/loop_timing.rs: manual_seed(314), M = 2·I + rand·0.1/n,
X = rand, lr at half the stability bound; each step is the original's update(): loss,
backward(), sub_(lr * grad), grad.zero_().
"""
import json
import statistics
import time

import torch


def seconds_per_100_steps(n, repeats):
    torch.manual_seed(314)
    m = torch.eye(n) * 2.0 + torch.rand(n, n) * (0.1 / n)
    x0 = torch.rand(n, n)
    y = torch.eye(n)
    lr = 0.5 * n * n / torch.linalg.eigvalsh((m @ m.T).double()).max().item()
    times = []
    for _ in range(repeats):
        x = torch.nn.Parameter(x0.clone())
        start = time.perf_counter()
        for _ in range(100):
            loss = ((y - x @ m) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                x.sub_(lr * x.grad)
                x.grad.zero_()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


if __name__ == "__main__":
    print(json.dumps({"n4": seconds_per_100_steps(4, 201), "n512": seconds_per_100_steps(512, 7),
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))
