#!/usr/bin/env python3
"""Write the PyTorch reference values that gdlab's parity tests compare against.

Run with a Python that has torch (CPU is enough):

    python tools/make_fixtures.py              # writes crates/gdlab/tests/fixtures/torch.json
    python tools/make_fixtures.py notebook06   # only that section; the others stay as they are
    python tools/make_fixtures.py paths        # not torch.json: fixtures/paths.json, by tools/torch_paths.py
    python tools/make_fixtures.py digits_data  # not torch.json: crates/gdlab/data/digits.bin, from scikit-learn

The JSON is committed, so `cargo test` needs no torch. Floats are written with
Python's shortest round-trip repr, so each f32/f64 value is recovered exactly.
"""
import json
import pathlib
import sys

import numpy as np
import torch

import torch_digits
from torch_studies import notebook06, notebook07

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/gdlab/tests/fixtures/torch.json"


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def rand_cases():
    cases = []
    # (seed, shape, dtype); seeds cover 0, the lesson's seeds, 2^32-1, seeds >= 2^32 and a negative one.
    specs = [
        (0, [4, 4], "float32"), (0, [4, 4], "float64"),
        (314, [4, 4], "float32"), (314, [4, 4], "float64"),
        (123, [17, 3], "float32"), (7, [1, 7], "float32"), (7, [3, 5], "float64"),
        (2**32 - 1, [2, 3], "float32"), (2**32 + 314, [4, 4], "float32"),
        (2**40 + 7, [3, 2], "float64"), (-1, [2, 2], "float32"),
        # longer than one MT19937 state (624 words), so the twist is covered
        (42, [700], "float32"), (42, [400], "float64"),
    ]
    for seed, shape, dtype in specs:
        torch.manual_seed(seed)
        t = torch.rand(size=shape, dtype=getattr(torch, dtype))
        cases.append({"seed": seed, "shape": shape, "dtype": dtype, "values": values(t)})
    return cases


def sequence_case():
    # Several draws after one seed: the generator state carries over.
    torch.manual_seed(2024)
    a = torch.rand(3, 3)
    b = torch.rand(2, 2, dtype=torch.float64)
    c = torch.rand(5)
    return {"seed": 2024, "draws": [
        {"shape": [3, 3], "dtype": "float32", "values": values(a)},
        {"shape": [2, 2], "dtype": "float64", "values": values(b)},
        {"shape": [5], "dtype": "float32", "values": values(c)},
    ]}


def indicator_cases():
    cases = []
    for seed, docs, words, p in [(123, 17, 3, 0.2), (0, 10, 4, 0.5), (7, 50, 6, 0.05)]:
        torch.manual_seed(seed)
        ind = (torch.rand(size=[docs, words]) < p).int()
        cases.append({"seed": seed, "docs": docs, "words": words, "p": p,
                      "values": [int(v) for v in ind.reshape(-1).tolist()]})
    return cases


def mse(y, y_hat):
    return ((y - y_hat) ** 2).mean()


def grad_cases():
    cases = []
    m1234 = torch.diag(torch.tensor([1., 2., 3., 4.]))
    torch.manual_seed(5)
    m_dense = torch.rand(3, 3) + torch.eye(3)
    for name, seed, m in [("diag1234", 314, m1234), ("dense3", 11, m_dense)]:
        n = m.shape[0]
        y_true = torch.eye(n)
        torch.manual_seed(seed)
        x = torch.rand(size=[n, n], requires_grad=True)
        y_hat = x @ m
        loss = mse(y_true, y_hat)
        loss.backward()
        cases.append({"name": name, "seed": seed, "n": n, "m": values(m), "y_hat": values(y_hat),
                      "loss": float(loss.detach()), "grad": values(x.grad)})
    return cases


def original_loop():
    # The original notebook's cells In [31] and In [36], without the printing and the plots.
    M1234 = torch.diag(torch.tensor([1., 2., 3., 4.]))
    Y_true = torch.diag(torch.tensor([1, 1, 1, 1])).float()
    lrs = np.log(np.logspace(2e-1, 2e-1, 100))
    losses, snapshots = [], []
    torch.manual_seed(314)
    random_inverse = torch.nn.Parameter(torch.rand(size=[4, 4]))
    for t, lr in enumerate(lrs):
        Y_hat = random_inverse @ M1234
        loss = mse(Y_true, Y_hat)
        loss.backward()
        losses.append(float(loss))
        if t % 20 == 0:
            diff = (random_inverse @ M1234).detach().numpy() - Y_true.numpy()
            snapshots.append({"step": t, "loss": float(loss), "diff": [float(v) for v in diff.reshape(-1)]})
        with torch.no_grad():
            random_inverse.sub_(lr * random_inverse.grad)
            random_inverse.grad.zero_()
    return {"seed": 314, "lr": float(lrs[0]), "steps": len(lrs), "losses": losses,
            "snapshots": snapshots, "final_x": values(random_inverse)}


def descent_run(m_rows, seed, lr, steps, every, dtype):
    """The same loop for any square M and dtype: what `gdlab descend --matrix … [--f64]` reproduces."""
    M = torch.tensor(m_rows, dtype=dtype)
    n = M.shape[0]
    Y_true = torch.eye(n, dtype=dtype)
    torch.manual_seed(seed)
    X = torch.nn.Parameter(torch.rand(size=[n, n], dtype=dtype))
    losses, snapshots = [], []
    for t in range(steps):
        loss = mse(Y_true, X @ M)
        loss.backward()
        losses.append(float(loss))
        if t % every == 0:
            diff = (X @ M).detach().numpy() - Y_true.numpy()
            snapshots.append({"step": t, "loss": float(loss), "diff": [float(v) for v in diff.reshape(-1)]})
        with torch.no_grad():
            X.sub_(lr * X.grad)
            X.grad.zero_()
    return {"m": m_rows, "seed": seed, "lr": lr, "steps": steps, "every": every, "dtype": str(dtype).split(".")[1],
            "losses": losses, "snapshots": snapshots, "final_x": values(X)}


def optim_run(name, m_rows, seed, make_optimizer, lr, steps, dtype):
    """torch.optim's loop: zero_grad, loss, backward, step; what `InverseDescent::optimizer` reproduces."""
    M = torch.tensor(m_rows, dtype=dtype)
    n = M.shape[0]
    Y_true = torch.eye(n, dtype=dtype)
    torch.manual_seed(seed)
    X = torch.nn.Parameter(torch.rand(size=[n, n], dtype=dtype))
    optimizer = make_optimizer([X], lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = mse(Y_true, X @ M)
        loss.backward()
        losses.append(float(loss))
        optimizer.step()
    return {"optimizer": name, "m": m_rows, "seed": seed, "lr": lr, "steps": steps,
            "dtype": str(dtype).split(".")[1], "losses": losses, "final_x": values(X)}


OPTIMIZERS = {
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
}


def optim_runs():
    diag = [[1., 0, 0, 0], [0, 2., 0, 0], [0, 0, 3., 0], [0, 0, 0, 4.]]
    dense = [[2., 1., 0.], [1., 3., 1.], [0., 1., 4.]]
    runs = []
    # Plain SGD at the lesson's rate, which the dense M's bound (about 0.4) is below: 0.2 there.
    for m, sgd_lr in ((diag, 0.4605170185988092), (dense, 0.2)):
        for name, lr in [("sgd", sgd_lr), ("momentum", 0.1), ("nesterov", 0.1), ("adam", 0.1), ("rmsprop", 0.01),
                         ("adagrad", 0.1)]:
            for dtype in (torch.float32, torch.float64):
                runs.append(optim_run(name, m, 314, OPTIMIZERS[name], lr, 100, dtype))
    return runs


def original_indicator(seed=123, docs=17, words=3, p=0.2):
    torch.manual_seed(seed)
    return (torch.rand(size=[docs, words]) < p).float()


def pinv_cases():
    """torch.linalg.pinv and matrix_rank (default tolerances) of indicator matrices."""
    cases = []
    a = original_indicator()
    mats = [("original", a), ("repeated_word", torch.cat([a, a[:, :1]], dim=1))]
    for seed, docs, words, p in [(0, 10, 4, 0.5), (7, 50, 6, 0.05)]:
        mats.append((f"seed{seed}", original_indicator(seed, docs, words, p)))
    for name, m in mats:
        cases.append({"name": name, "a": [[float(v) for v in r] for r in m.tolist()],
                      "pinv": values(torch.linalg.pinv(m)), "rank": int(torch.linalg.matrix_rank(m))})
    return cases


def side_run(name, a, side, start, lr, steps, dtype):
    """Descent towards a left (X @ A = I_n) or right (A @ X = I_m) inverse of an m×n A."""
    A = a.to(dtype)
    m, n = A.shape
    k = n if side == "left" else m
    Y_true = torch.eye(k, dtype=dtype)
    torch.manual_seed(314)
    X0 = torch.rand(size=[n, m], dtype=dtype) if start == "rand" else torch.zeros(n, m, dtype=dtype)
    X = torch.nn.Parameter(X0.clone())
    losses = []
    for _ in range(steps):
        loss = mse(Y_true, X @ A if side == "left" else A @ X)
        loss.backward()
        losses.append(float(loss))
        with torch.no_grad():
            X.sub_(lr * X.grad)
            X.grad.zero_()
    return {"name": name, "a": [[float(v) for v in r] for r in a.tolist()], "side": side, "start": start,
            "seed": 314, "lr": lr, "steps": steps, "dtype": str(dtype).split(".")[1],
            "losses": losses, "final_x": values(X)}


def side_runs():
    a = original_indicator()
    repeated = torch.cat([a, a[:, :1]], dim=1)
    return [
        side_run("left_rand", a, "left", "rand", 1.0, 200, torch.float32),
        side_run("left_rand_f64", a, "left", "rand", 1.0, 200, torch.float64),
        side_run("left_zeros", a, "left", "zeros", 1.0, 200, torch.float32),
        side_run("right_rand", a, "right", "rand", 20.0, 200, torch.float32),
        side_run("repeated_word_left_rand", repeated, "left", "rand", 1.0, 200, torch.float32),
    ]


def autograd_cases():
    """X.grad after loss.backward() for the lesson's loss, three seeds, diagonal and dense M."""
    m1234 = torch.diag(torch.tensor([1., 2., 3., 4.]))
    torch.manual_seed(5)
    dense = torch.rand(4, 4) + torch.eye(4)
    cases = []
    for name, m in [("diag1234", m1234), ("dense4", dense)]:
        for seed in (0, 314, 2024):
            torch.manual_seed(seed)
            x = torch.rand(size=[4, 4], requires_grad=True)
            loss = mse(torch.eye(4), x @ m)
            loss.backward()
            cases.append({"name": name, "seed": seed, "m": values(m), "loss": float(loss.detach()),
                          "grad": values(x.grad)})
    return cases


def no_zero_loop():
    """The original's loop with `random_inverse.grad.zero_()` left out: .grad sums every past gradient."""
    M1234 = torch.diag(torch.tensor([1., 2., 3., 4.]))
    Y_true = torch.eye(4)
    lr = float(np.log(10 ** 0.2))
    torch.manual_seed(314)
    X = torch.nn.Parameter(torch.rand(size=[4, 4]))
    losses = []
    for _ in range(100):
        loss = mse(Y_true, X @ M1234)
        loss.backward()
        losses.append(float(loss))
        with torch.no_grad():
            X.sub_(lr * X.grad)
    return {"seed": 314, "lr": lr, "steps": 100, "losses": losses, "final_x": values(X)}


def randperm_cases():
    """torch.randperm(n) after manual_seed(seed), and one drawn after torch.rand on the same stream."""
    cases = []
    for n in (0, 1, 2, 3, 10, 17, 100, 1000, 10000):
        for seed in (0, 314, 2024):
            torch.manual_seed(seed)
            cases.append({"n": n, "seed": seed, "perm": torch.randperm(n).tolist()})
    torch.manual_seed(7)
    torch.rand(5)
    after = {"seed": 7, "rand_before": 5, "n": 12, "perm": torch.randperm(12).tolist()}
    return {"cases": cases, "after_rand": after}


SCHEDULES = {
    "step": lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    "exponential": lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
    "cosine": lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
    # T_max=4 over 30 epochs passes the bottom and the top several times (torch's special branch).
    "cosine_restart": lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.0),
}
SCHEDULE_PARAMS = {"step": {"step_size": 3, "gamma": 0.5}, "exponential": {"gamma": 0.9},
                   "cosine": {"t_max": 10, "eta_min": 0.001}, "cosine_restart": {"t_max": 4, "eta_min": 0.0}}


def schedule_cases():
    """The rate of each of 30 epochs, scheduler.step() after each, from two base rates."""
    cases = []
    for name, make in SCHEDULES.items():
        for base in (0.1, float(np.log(10 ** 0.2))):
            w = torch.nn.Parameter(torch.zeros(1))
            opt = torch.optim.SGD([w], lr=base)
            sched = make(opt)
            lrs = []
            for _ in range(30):
                lrs.append(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
            cases.append({"schedule": name, **SCHEDULE_PARAMS[name], "base_lr": base, "lrs": lrs})
    return cases


def minibatch_run(name, seed, docs, words, p, noise, batch, epochs, lr, schedule=None, sampling="shuffled"):
    """Least squares over the documents by minibatch SGD, as the stochastic notebook defines it.
    With sampling="independent" each step draws its own batch, torch.randperm(docs)[:batch], and an
    epoch is as many steps as a shuffled one."""
    torch.manual_seed(seed)
    A = (torch.rand(docs, words) < p).float()
    w_true = torch.rand(words)
    u = torch.rand(docs)
    y = A @ w_true + noise * (2 * u - 1)
    w = torch.zeros(words, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)
    sched = SCHEDULES[schedule](opt) if schedule else None
    batch_losses, epoch_losses, lrs = [], [], []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        perm = torch.randperm(docs)
        for k in range(0, docs, batch):
            if sampling == "independent":
                idx = (perm if k == 0 else torch.randperm(docs))[:batch]
            else:
                idx = perm[k:k + batch]
            loss = ((A[idx] @ w - y[idx]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            batch_losses.append(float(loss))
        with torch.no_grad():
            epoch_losses.append(float(((A @ w - y) ** 2).mean()))
        if sched:
            sched.step()
    w_star = torch.linalg.pinv(A.double()) @ y.double()
    return {"name": name, "seed": seed, "docs": docs, "words": words, "p": p, "noise": noise, "batch": batch,
            "epochs": epochs, "lr": lr, "schedule": schedule, "sampling": sampling, "batch_losses": batch_losses,
            "epoch_losses": epoch_losses, "lrs": lrs, "final_w": values(w), "w_true": values(w_true),
            "y": values(y), "w_star": values(w_star)}


def minibatch_runs():
    return [
        minibatch_run("batch1_noise_free", 314, 100, 8, 0.3, 0.0, 1, 30, 0.05),
        minibatch_run("batch16_noise", 314, 100, 8, 0.3, 0.1, 16, 30, 0.05),
        minibatch_run("full_batch_noise", 314, 100, 8, 0.3, 0.1, 100, 30, 0.05),
        minibatch_run("batch16_noise_step", 314, 100, 8, 0.3, 0.1, 16, 30, 0.05, "step"),
        minibatch_run("batch4_independent", 314, 100, 8, 0.3, 0.1, 4, 10, 0.05, sampling="independent"),
    ]


def sections():
    """Each section of the JSON, by name, as a function that computes it."""
    return {
        "torch_version": lambda: torch.__version__,
        "rand": rand_cases,
        "sequence": sequence_case,
        "indicator": indicator_cases,
        "grad": grad_cases,
        "original_loop": original_loop,
        "runs": lambda: [
            # The lesson's loop in float64 (`gdlab descend --f64`).
            descent_run([[1., 0, 0, 0], [0, 2., 0, 0], [0, 0, 3., 0], [0, 0, 0, 4.]], 314,
                        float(np.log(10 ** 0.2)), 100, 20, torch.float64),
            # A dense symmetric M from a CSV file (`gdlab descend --matrix`).
            descent_run([[2., 1., 0.], [1., 3., 1.], [0., 1., 4.]], 7, 0.3, 60, 10, torch.float32),
            descent_run([[2., 1., 0.], [1., 3., 1.], [0., 1., 4.]], 7, 0.3, 60, 10, torch.float64),
        ],
        # torch.optim.SGD (plain, momentum=0.9, nesterov), Adam(lr=0.1), RMSprop(lr=0.01) and Adagrad(lr=0.1)
        # on the lesson's M and a dense one.
        "optim": optim_runs,
        # No inverse: the original's 17×3 indicator and friends (notebook 02, `gdlab pinv`).
        "pinv": pinv_cases,
        "sides": side_runs,
        # Where backward() comes from: the tape's X.grad, and the loop that never zeroes it.
        "autograd": autograd_cases,
        "no_zero_loop": no_zero_loop,
        # Stochastic descent: torch.randperm, the lr schedulers, and minibatch least squares.
        "randperm": randperm_cases,
        "schedules": schedule_cases,
        "minibatch": minibatch_runs,
        # Notebook 06's float64 studies, from notebook 01's start converted (not torch's float64 draw).
        "notebook06": notebook06,
        # Notebook 07's runs at its own parameters, for its prose on how close it comes to torch.
        "notebook07": notebook07,
        # The digits classifier (#32): nn.Linear's initialisation, the split, BCE-with-logits runs.
        "digits": torch_digits.digits,
    }


def main(names):
    """All sections, or only the named ones, written into the existing JSON: a dense product's last
    bit depends on the machine's BLAS, so regenerating everything elsewhere moves values nobody changed."""
    makers = sections()
    unknown = [n for n in names if n not in makers]
    if unknown:
        sys.exit(f"unknown section(s) {unknown}: expected some of {list(makers)}")
    if names:
        data = json.loads(OUT.read_text())
        data.update({name: makers[name]() for name in names})
        data = {name: data[name] for name in makers if name in data}
    else:
        data = {name: make() for name, make in makers.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {', '.join(names) or 'every section of'} {OUT} with torch {torch.__version__}", file=sys.stderr)


if __name__ == "__main__":
    names = sys.argv[1:]
    if "digits_data" in names:  # the data itself, before any section reads it
        print("wrote", torch_digits.write_data(), file=sys.stderr)
        names.remove("digits_data")
        if not names:
            sys.exit()
    if "paths" in names:  # its own file, fixtures/paths.json (notebook 05's paths), not a section here
        import torch_paths
        torch_paths.main()
    if names != ["paths"]:
        main([n for n in names if n != "paths"])
