#!/usr/bin/env python3
"""torch's paths on the two valleys of notebook 05 (paths on the landscape), for gdlab's parity test
crates/gdlab/tests/landscape.rs. Writes crates/gdlab/tests/fixtures/paths.json:

    python tools/torch_paths.py                # or: python tools/make_fixtures.py paths

with a Python that has torch (CPU is enough). The JSON is committed, so `cargo test` needs no torch.
Floats are Python's shortest round-trip repr, so each float32 value is recovered exactly.

Both valleys are float32, X = torch.manual_seed(314); torch.rand(n, n), loss ((I - X @ M)**2).mean():
- "aligned": the lesson's M = diag(1, 2, 3, 4); entries (0,0) and (0,3) are a true 2-D slice with
  curvatures 2·1²/16 = 1/8 and 2·4²/16 = 2 (κ = 16);
- "tilted": M = R·diag(1/2, 2), R the 3-4-5 rotation; row 0 of X is exactly the 2-D problem x·M ≈ e₁,
  whose Hessian (2/4)·M·Mᵀ has the same curvatures 1/8 and 2, along (0.6, 0.8) and (-0.8, 0.6).

Each optimiser runs on the whole X, as torch.optim would; a path is the two entries at the start and
after each step (steps + 1 points), with the loss at each of those points.
"""
import json
import math
import pathlib
import sys

import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/gdlab/tests/fixtures/paths.json"
SEED = 314

VALLEYS = {
    "aligned": {"m": [[1., 0, 0, 0], [0, 2., 0, 0], [0, 0, 3., 0], [0, 0, 0, 4.]], "entries": [[0, 0], [0, 3]]},
    "tilted": {"m": [[0.3, -1.6], [0.4, 1.2]], "entries": [[0, 0], [0, 1]]},
}

# Polyak's heavy ball for curvatures 1/8 and 2 (κ = 16), as gdlab's heavy_ball_tuning computes it:
# √ of MᵀM's extreme eigenvalues 1 and 4 (aligned; 1/2 and 2 with n = 2 give the same numbers).
POLYAK_LR = 2 * 16 / (4 + 1) ** 2
POLYAK_RATE = (4 - 1) / (4 + 1)
POLYAK_BETA = POLYAK_RATE * POLYAK_RATE


def mse(y, y_hat):
    return ((y - y_hat) ** 2).mean()


def start(n):
    torch.manual_seed(SEED)
    return torch.rand(size=[n, n])


def point(X, entries):
    return [float(X.detach()[i, j]) for i, j in entries]


def path_record(valley, optimizer, lr, beta, points, losses, X):
    return {"valley": valley, "optimizer": optimizer, "lr": lr, "momentum": beta, "steps": len(points) - 1,
            "points": points, "losses": losses, "final_x": [float(v) for v in X.detach().reshape(-1).tolist()]}


def lesson_path(valley, lr, steps):
    """The original notebook's update (its cell In [31]): X.sub_(lr * X.grad); X.grad.zero_()."""
    M = torch.tensor(VALLEYS[valley]["m"])
    entries = VALLEYS[valley]["entries"]
    Y_true = torch.eye(M.shape[0])
    X = torch.nn.Parameter(start(M.shape[0]))
    points, losses = [point(X, entries)], []
    for _ in range(steps):
        loss = mse(Y_true, X @ M)
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            X.sub_(lr * X.grad)
            X.grad.zero_()
        points.append(point(X, entries))
    with torch.no_grad():
        losses.append(float(mse(Y_true, X @ M)))
    return path_record(valley, "lesson", lr, None, points, losses, X)


def optim_path(valley, name, make_optimizer, lr, beta, steps):
    """torch.optim's loop: zero_grad, loss, backward, step."""
    M = torch.tensor(VALLEYS[valley]["m"])
    entries = VALLEYS[valley]["entries"]
    Y_true = torch.eye(M.shape[0])
    X = torch.nn.Parameter(start(M.shape[0]))
    optimizer = make_optimizer([X], lr)
    points, losses = [point(X, entries)], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = mse(Y_true, X @ M)
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
        points.append(point(X, entries))
    with torch.no_grad():
        losses.append(float(mse(Y_true, X @ M)))
    return path_record(valley, name, lr, beta, points, losses, X)


def finite_steps(valley, make_optimizer, lr, limit):
    """How many steps (at most `limit`) keep the loss finite: a diverging path is cut there, as JSON
    holds no inf or NaN."""
    record = optim_path(valley, "probe", make_optimizer, lr, None, limit)
    return next((t for t, loss in enumerate(record["losses"]) if not math.isfinite(loss)), limit + 1) - 1


def sgd(momentum=0.0, nesterov=False):
    return lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=momentum, nesterov=nesterov)


def paths():
    records = []
    for valley in VALLEYS:
        # The lesson's update: small, the best constant rate 2/(1/8 + 2) = 16/17, then up to the
        # bound 2/2 = 1 and just past it.
        for lr in (0.2, 16 / 17, 0.5, 0.98, 1.02):
            records.append(lesson_path(valley, lr, 250))
        records.append(optim_path(valley, "sgd", sgd(), 16 / 17, None, 250))
        # Heavy ball at Polyak's tuning, at a β that overshoots, and that β at a smaller rate.
        for lr, beta in ((POLYAK_LR, POLYAK_BETA), (1.28, 0.8), (0.5, 0.8)):
            records.append(optim_path(valley, "momentum", sgd(beta), lr, beta, 120))
        records.append(optim_path(valley, "nesterov", sgd(0.8, True), 0.5, 0.8, 120))
        # Nesterov at Polyak's (lr, β) diverges: lr·h = 2.56 on the steep axis is past Nesterov's bound
        # 2(1 + β)/(1 + 2β) ≈ 1.58, though inside the heavy ball's 2(1 + β) = 2.72. Its loss grows about
        # 5.6× a step; the path is cut where it would overflow, or at 40 steps.
        nesterov = sgd(POLYAK_BETA, True)
        steps = finite_steps(valley, nesterov, POLYAK_LR, 40)
        records.append(optim_path(valley, "nesterov", nesterov, POLYAK_LR, POLYAK_BETA, steps))
        records.append(optim_path(valley, "adam", lambda p, lr: torch.optim.Adam(p, lr=lr), 0.1, None, 120))
        records.append(optim_path(valley, "rmsprop", lambda p, lr: torch.optim.RMSprop(p, lr=lr), 0.01, None, 120))
        for lr in (0.1, 0.5):
            records.append(optim_path(valley, "adagrad", lambda p, lr: torch.optim.Adagrad(p, lr=lr), lr, None, 120))
    return records


def valleys():
    return {name: {"m": torch.tensor(v["m"]).tolist(), "seed": SEED, "entries": v["entries"]}
            for name, v in VALLEYS.items()}


def fixture():
    """The whole of paths.json."""
    return {"torch_version": torch.__version__, "valleys": valleys(), "paths": paths()}


def main():
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture(), indent=1) + "\n")
    print(f"wrote {OUT} with torch {torch.__version__}", file=sys.stderr)


if __name__ == "__main__":
    main()
