"""The digits classifier's data and PyTorch reference (#32), for tools/make_fixtures.py.

The data: scikit-learn's `load_digits` (UCI "Optical Recognition of Handwritten Digits",
CC BY 4.0), 1,797 images of 8×8 pixels with values 0 … 16, exported once into
crates/gdlab/data/digits.bin, which gdlab embeds: one record of 65 bytes per image, the label
(0 … 9) then the 64 pixels row by row, in load_digits's order.

    python tools/make_fixtures.py digits_data    # writes digits.bin (needs scikit-learn)
    python tools/make_fixtures.py digits         # the torch.json section below
"""
import pathlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = pathlib.Path(__file__).resolve().parent.parent / "crates/gdlab/data/digits.bin"
RECORD = 65  # label + 8×8 pixels


def load_digits():
    """(pixels as uint8 [n, 64], labels as uint8 [n]) from scikit-learn, checked to be whole numbers."""
    from sklearn.datasets import load_digits as sklearn_digits  # only here: the fixtures need no sklearn
    d = sklearn_digits()
    pixels = d.data.astype(np.uint8)
    assert (pixels == d.data).all() and pixels.max() <= 16 and d.data.shape == (1797, 64)
    return pixels, d.target.astype(np.uint8)


def write_data():
    pixels, labels = load_digits()
    DATA.parent.mkdir(parents=True, exist_ok=True)
    DATA.write_bytes(np.concatenate([labels[:, None], pixels], axis=1).tobytes())
    return f"{len(labels)} images into {DATA}"


def read_data():
    """The committed file as (pixels float64 [n, 64], labels [n]): what the fixtures start from."""
    raw = np.frombuffer(DATA.read_bytes(), dtype=np.uint8).reshape(-1, RECORD)
    return raw[:, 1:].astype(np.float64), raw[:, 0]


def three_vs_seven():
    """The issue's X (pixels / 16, float32) and y (1 for a seven)."""
    pixels, labels = read_data()
    keep = (labels == 3) | (labels == 7)
    return (torch.tensor(pixels[keep] / 16.0, dtype=torch.float32),
            torch.tensor(labels[keep] == 7, dtype=torch.float32))


def values(t):
    return t.detach().reshape(-1).tolist()


def run(seed, hidden, lr, batch, epochs, momentum=0.0, step=None):
    """The issue's loop, as written there: split, initialisation, minibatch SGD, per-epoch figures;
    `momentum` is SGD's, `step` = (step_size, gamma) a StepLR stepped after each epoch."""
    X, y = three_vs_seven()
    torch.manual_seed(seed)
    perm = torch.randperm(len(X))
    n_valid = len(X) // 5
    valid, train = perm[:n_valid], perm[n_valid:]
    model = nn.Linear(64, 1) if hidden is None else nn.Sequential(nn.Linear(64, hidden), nn.ReLU(),
                                                                  nn.Linear(hidden, 1))
    init = [values(p) for p in model.parameters()]  # W1, b1[, W2, b2], each row-major
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    sched = torch.optim.lr_scheduler.StepLR(opt, *step) if step else None
    orders, train_losses, valid_losses, train_accuracy, valid_accuracy = [], [], [], [], []
    for _ in range(epochs):
        order = train[torch.randperm(len(train))]
        orders.append(order.tolist())
        for k in range(0, len(order), batch):
            idx = order[k:k + batch]
            loss = F.binary_cross_entropy_with_logits(model(X[idx]).squeeze(1), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if sched:
            sched.step()
        with torch.no_grad():
            for rows, losses, accuracy in ((train, train_losses, train_accuracy), (valid, valid_losses, valid_accuracy)):
                logits = model(X[rows]).squeeze(1)
                losses.append(F.binary_cross_entropy_with_logits(logits, y[rows]).item())
                accuracy.append(((logits > 0).float() == y[rows]).float().mean().item())
    return dict(seed=seed, hidden=hidden, lr=lr, batch=batch, epochs=epochs, momentum=momentum, step=step,
                perm=perm.tolist(), init=init, first_orders=orders[:2], train_losses=train_losses,
                valid_losses=valid_losses, train_accuracy=train_accuracy, valid_accuracy=valid_accuracy)


def full_batch_rise(seed, epochs=20, grid=60):
    """The linear model with full-batch SGD: lambda_max of Xb^T Xb / n (Xb the training images with a
    column of ones, float64), and the smallest lr of 0.05, 0.10, ... at which the training loss rises
    in at least one of `epochs` steps (the loss before the first step included)."""
    X, y = three_vs_seven()
    torch.manual_seed(seed)
    train = torch.randperm(len(X))[len(X) // 5:]
    xb = torch.cat([X[train], torch.ones(len(train), 1)], 1).double()
    lam = torch.linalg.eigvalsh(xb.T @ xb / len(train)).max().item()
    first_rise = None
    for k in range(1, grid + 1):
        r = run(seed, None, round(0.05 * k, 2), len(train), epochs)
        torch.manual_seed(seed)
        torch.randperm(len(X))
        with torch.no_grad():
            start = F.binary_cross_entropy_with_logits(nn.Linear(64, 1)(X[train]).squeeze(1), y[train]).item()
        losses = [start] + r["train_losses"]
        if any(b > a for a, b in zip(losses, losses[1:])):
            first_rise = round(0.05 * k, 2)
            break
    return dict(seed=seed, lambda_max=lam, first_rise=first_rise)


def mean_baseline(seed):
    """fastbook's first baseline: each validation image goes to the class whose mean training
    image is closer by mean absolute difference; the two means and the accuracy."""
    X, y = three_vs_seven()
    torch.manual_seed(seed)
    perm = torch.randperm(len(X))
    n_valid = len(X) // 5
    valid, train = perm[:n_valid], perm[n_valid:]
    mean3 = X[train][y[train] == 0].mean(0)
    mean7 = X[train][y[train] == 1].mean(0)
    d3 = (X[valid] - mean3).abs().mean(1)
    d7 = (X[valid] - mean7).abs().mean(1)
    accuracy = ((d7 < d3).float() == y[valid]).float().mean().item()
    return dict(seed=seed, mean3=values(mean3), mean7=values(mean7), accuracy=accuracy)


def grad_cases():
    """torch's gradients of each new tape op on small inputs: the bias broadcast, relu, rows by index,
    and binary_cross_entropy_with_logits (mean), including logits far from 0 on either side."""
    torch.manual_seed(3)
    x = torch.rand(5, 4, dtype=torch.float64) * 4 - 2
    w = torch.rand(3, 4, dtype=torch.float64) - 0.5
    b = torch.rand(3, dtype=torch.float64) - 0.5
    rows = torch.tensor([4, 0, 2, 2])
    target = torch.tensor([1.0, 0.0, 1.0, 0.0], dtype=torch.float64)
    x.requires_grad_()
    w.requires_grad_()
    b.requires_grad_()
    hidden = F.relu(x[rows] @ w.T + b)  # [4, 3]
    logits = hidden.sum(1) * torch.tensor([1.0, -30.0, 40.0, 0.5], dtype=torch.float64)
    loss = F.binary_cross_entropy_with_logits(logits, target)
    loss.backward()
    return dict(x=values(x), w=values(w), b=values(b), rows=rows.tolist(), target=values(target),
                loss=loss.item(), grad_x=values(x.grad), grad_w=values(w.grad), grad_b=values(b.grad))


def digits():
    """The torch.json section: runs of the linear model and of one hidden layer, two seeds."""
    extra = [  # notebook 08's comparisons, seed 314
        run(314, None, 0.05, 16, 20),                  # SGD at a tenth of the rate
        run(314, None, 0.05, 16, 20, momentum=0.9),    # ... with momentum
        run(314, None, 0.5, 16, 20, step=(5, 0.5)),    # StepLR
        run(314, None, 0.6, 290, 20),                  # full batch, below the bound
        run(314, None, 2.0, 290, 20),                  # full batch, above it
        run(314, None, 0.5, 1, 20),                    # one image a step
        run(314, None, 0.5, 16, 200),                  # long runs: the train/validation gap
        run(314, 16, 0.5, 16, 200),
    ]
    return dict(
        runs=[run(seed, hidden, lr, 16, 20) for seed in (314, 7) for hidden, lr in ((None, 0.5), (16, 0.5))] + extra,
        full_batch=[full_batch_rise(seed) for seed in (314, 7)],
        grads=grad_cases(),
        baseline=[mean_baseline(seed) for seed in (314, 7)],
    )
