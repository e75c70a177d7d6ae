"""torch's runs of two notebooks' own studies, for tools/make_fixtures.py (its sections
`notebook06` and `notebook07`): notebook 06's float64 studies from notebook 01's start (its float32
draw, converted) and notebook 07's runs at its own parameters."""
import math

import numpy as np
import torch


def notebook01_start64(seed=314, n=4):
    """Notebook 01's start, torch.rand in float32, converted to float64: where 06's float64 runs begin."""
    torch.manual_seed(seed)
    return torch.rand(size=[n, n]).double()


def hb_factor(h, lr, beta):
    """The heavy ball's rate along curvature h: the larger |root| of s^2 - (1 + beta - lr*h)*s + beta."""
    t = 1.0 + beta - lr * h
    d = t * t - 4.0 * beta
    return math.sqrt(beta) if d < 0 else (abs(t) + math.sqrt(d)) / 2.0


def measured_rate(losses):
    """The error's shrinking per step over the second half of the losses above 1e-24 (gdlab's measured_rate)."""
    usable = 0
    for loss in losses:
        if not (loss > 1e-24 and math.isfinite(loss)):
            break
        usable += 1
    start, end = usable // 2, usable - 1
    return (losses[end] / losses[start]) ** (0.5 / (end - start)) if end > start else float("nan")


def run64(m, start, make_optimizer, lr, steps, tolerance=None, patience=10):
    """torch.optim's loop in float64 from `start`: the losses, and the step that reached `tolerance`
    (None if none did); it stops once the loss is not finite or has grown `patience` steps in a row
    past the first, as gdlab calls a run diverged."""
    n = m.shape[0]
    eye = torch.eye(n, dtype=torch.float64)
    X = torch.nn.Parameter(start.clone())
    optimizer = make_optimizer([X], lr)
    losses, growing = [], 0
    for t in range(steps):
        optimizer.zero_grad()
        loss = ((eye - X @ m) ** 2).mean()  # the lesson's mse
        loss.backward()
        value = loss.item()
        growing = growing + 1 if losses and value > losses[-1] else 0
        losses.append(value)
        if not math.isfinite(value) or (growing >= patience and value > losses[0]):
            return losses, None, True
        optimizer.step()
        if tolerance is not None and value <= tolerance:
            return losses, t, False
    return losses, None, False


def with_condition_number(n, condition, seed):
    """gdlab's with_condition_number: Q·diag(1 … 1/condition)·Qᵀ, Q from the QR of torch.rand(n, n) − 0.5
    in float64 (Q's column signs cancel in the product)."""
    torch.manual_seed(seed)
    q, _ = torch.linalg.qr(torch.rand(size=[n, n], dtype=torch.float64) - 0.5)
    sigma = torch.tensor([condition ** (-k / (n - 1)) for k in range(n)], dtype=torch.float64)
    return q @ torch.diag(sigma) @ q.T


def notebook06():
    """Notebook 06's float64 studies, each from notebook 01's start converted to float64: the theory's
    runs at the tuned rates (the lesson's M and a κ = 100 one), the race to 1e-6, the first steps of Adam
    and plain descent, the momentum map's marked points, and exercise 6.3's heavy ball on diag(1, 2, 3)."""
    start = notebook01_start64()
    diag = torch.diag(torch.tensor([1., 2., 3., 4.], dtype=torch.float64))
    sgd = lambda p, lr: torch.optim.SGD(p, lr=lr)
    heavy = lambda beta: (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=beta))

    def tuned(name, m, steps):
        s = torch.linalg.svdvals(m)
        low, high = float(s.min()), float(s.max())
        n2 = m.numel()
        gd_lr = n2 / (low ** 2 + high ** 2)
        hb_lr, hb_rate = 2 * n2 / (high + low) ** 2, (high - low) / (high + low)
        return [{"name": name, "optimizer": "sgd", "m": [[float(v) for v in r] for r in m.tolist()], "lr": gd_lr,
                 "beta": 0.0, "steps": steps, "losses": run64(m, start, sgd, gd_lr, steps)[0]},
                {"name": name, "optimizer": "heavy_ball", "m": [[float(v) for v in r] for r in m.tolist()], "lr": hb_lr,
                 "beta": hb_rate ** 2, "steps": steps, "losses": run64(m, start, heavy(hb_rate ** 2), hb_lr, steps)[0]}]

    lesson = float(np.log(10 ** 0.2))
    nesterov_beta = 0.6  # (√κ − 1)/(√κ + 1) for κ = 16
    contenders = [
        ("full batch, the lesson's lr", "sgd", lesson, sgd),
        ("full batch, best lr", "sgd", 16 / 17, sgd),
        ("momentum, best (lr, β)", "heavy_ball", 1.28, heavy(0.6 ** 2)),
        ("Nesterov, lr = 1/L, β = (√κ−1)/(√κ+1)", "nesterov", 0.5,
         lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=nesterov_beta, nesterov=True)),
        ("Adam, lr = 0.1", "adam", 0.1, lambda p, lr: torch.optim.Adam(p, lr=lr)),
        ("RMSprop, lr = 0.01", "rmsprop", 0.01, lambda p, lr: torch.optim.RMSprop(p, lr=lr)),
        ("Adagrad, lr = 0.1", "adagrad", 0.1, lambda p, lr: torch.optim.Adagrad(p, lr=lr)),
    ]
    race = [{"name": name, "optimizer": kind, "lr": lr, "steps": run64(diag, start, make, lr, 5000, 1e-6)[1]}
            for name, kind, lr, make in contenders]

    h = [2 * lam / 16 for lam in (1.0, 4.0, 9.0, 16.0)]
    points = []
    for lr, beta in [(0.3, 0.0), (0.5, 0.5), (1.0, 0.8), (1.6, 0.7), (0.2, 0.9), (1.9, 0.8)]:
        predicted = max(hb_factor(x, lr, beta) for x in h)
        steps = min(max(math.ceil(-27.6 / math.log(predicted)), 20), 20000) if predicted < 1 else 200
        losses, _, diverged = run64(diag, start, heavy(beta), lr, steps)
        points.append({"lr": lr, "beta": beta, "predicted": predicted, "steps": steps,
                       "measured": None if diverged else measured_rate(losses)})

    diag3 = torch.diag(torch.tensor([1., 2., 3.], dtype=torch.float64))
    polyak3 = []
    for seed in (314, 7):
        losses = run64(diag3, notebook01_start64(seed, 3), heavy(0.25), 1.125, 200)[0]
        polyak3.append({"seed": seed, "lr": 1.125, "beta": 0.25, "steps": 200, "measured": measured_rate(losses)})

    return {
        "seed": 314,
        "start": [float(v) for v in start.detach().reshape(-1).tolist()],
        "tuning": tuned("diag(1, 2, 3, 4)", diag, 100) + tuned("kappa 100", with_condition_number(4, 10.0, 314), 600),
        "race": race,
        "first_steps": {"adam": run64(diag, start, lambda p, lr: torch.optim.Adam(p, lr=lr), 0.1, 16)[0],
                        "sgd": run64(diag, start, sgd, lesson, 16)[0], "lesson_lr": lesson},
        "momentum_points": points,
        "polyak_diag123": polyak3,
    }


def notebook07_run(a, y, state, batch, epochs, lr, make_scheduler=None):
    """Notebook 07's shuffled minibatch run from w = 0 on torch's generator after the problem's draws:
    the rate of each epoch, the loss over all documents after every step, and after every epoch."""
    torch.set_rng_state(state)
    w = torch.zeros(a.shape[1], requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr)
    sched = make_scheduler(opt) if make_scheduler else None
    lrs, step_losses, epoch_losses = [], [], []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        perm = torch.randperm(a.shape[0])
        for k in range(0, a.shape[0], batch):
            idx = perm[k:k + batch]
            loss = ((a[idx] @ w - y[idx]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                step_losses.append(float(((a @ w - y) ** 2).mean()))
        epoch_losses.append(step_losses[-1])
        if sched:
            sched.step()
    return {"lrs": lrs, "step_losses": step_losses, "epoch_losses": epoch_losses}


def notebook07():
    """Notebook 07's runs at its parameters (seed 314, 100 documents, 8 words, p 0.3, 30 epochs): L⋆ by
    torch's pinv, the comparison of batch sizes at lr 0.05 (and full batch at its best rate), the
    schedules at lr 0.1 with batches of 4, and the noise-free run of single documents."""
    def problem(noise):
        torch.manual_seed(314)
        a = (torch.rand(100, 8) < 0.3).float()
        w_true = torch.rand(8)
        u = torch.rand(100)
        y = a @ w_true + noise * (2 * u - 1)
        w_star = torch.linalg.pinv(a.double()) @ y.double()
        loss_star = float(((a.double() @ w_star - y.double()) ** 2).mean())
        return a, y, torch.get_rng_state(), loss_star

    a, y, state, loss_star = problem(0.1)
    h = torch.linalg.eigvalsh((2 / 100) * a.double().T @ a.double())
    best = float(2 / (h[0] + h[-1]))

    def epochs_of(run):
        return {"lrs": run["lrs"], "epoch_losses": run["epoch_losses"]}

    runs = [{"name": name, "batch": batch, "lr": lr, **epochs_of(notebook07_run(a, y, state, batch, 30, lr))}
            for name, batch, lr in [("full batch", 100, 0.05), ("full batch, its best lr", 100, best),
                                    ("batch 16", 16, 0.05), ("batch 1", 1, 0.05)]]
    schedules = [{"name": name, "batch": 4, "lr": 0.1, **epochs_of(notebook07_run(a, y, state, 4, 30, 0.1, make))}
                 for name, make in [
                     ("constant", None),
                     ("step", lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)),
                     ("exponential", lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)),
                     ("cosine", lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30, eta_min=0)),
                 ]]
    a0, y0, state0, loss_star0 = problem(0.0)
    noise_free = {"loss_star": loss_star0, **notebook07_run(a0, y0, state0, 1, 30, 0.05)}
    return {"seed": 314, "loss_star": loss_star, "runs": runs, "schedules": schedules, "noise_free": noise_free}
