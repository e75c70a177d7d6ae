"""Notebook 07, stochastic descent, and 06's momentum map: the runs against torch's fixtures,
and every claim of the prose against the numbers the notebook printed."""
import re

import pytest

from nbtest import FIXTURES, cell_with, executed, figures, half_unit, number, text_of

NB = "07_stochastic_descent.ipynb"
FLOOR = re.compile(r"^lr ([\d.]+)\s+batch\s+(\d+): predicted (\S+), fresh batches (\S+) \(([\d.]+) of it\), "
                   r"shuffled epochs (\S+) \(([\d.]+) of it\)$", re.M)


def fixture(name):
    (run,) = [r for r in FIXTURES["minibatch"] if r["name"] == name]
    return run


@pytest.fixture(scope="module")
def nb():
    return executed(NB)


def loss_star(nb):
    return float(number(r"^L⋆ = (\S+),", text_of(cell_with(nb, "let loss_star = problem.loss_star()?;"))))


def test_the_answer_is_torchs_pinv(nb):
    """w_star = torch.linalg.pinv(A.double()) @ y.double(), printed to four decimals."""
    text = text_of(cell_with(nb, "let w_star = problem.w_star()?;"))
    printed = [float(v) for v in re.findall(r"-?\d+\.\d+", number(r"^w⋆\s+= \[(.*)\]$", text))]
    want = fixture("batch16_noise")["w_star"]
    assert len(printed) == len(want) == 8
    assert all(abs(p - w) <= 5e-5 + 1e-9 for p, w in zip(printed, want, strict=True)), (printed, want)


def test_the_least_loss_is_close_to_the_noises_variance(nb):
    text = text_of(cell_with(nb, "let loss_star = problem.loss_star()?;"))
    variance = float(number(r"against noise²/3 = (\S+)$", text))
    assert abs(loss_star(nb) / variance - 1) < 0.2, (loss_star(nb), variance)


def test_the_written_out_loop_is_gdlabs_run_and_torchs(nb):
    text = text_of(cell_with(nb, "let run16 = problem.minibatch_sgd"))
    assert number(r"largest gap to the loop above: (.+)$", text) == "exactly 0", "the details block says the gap is exactly 0"
    excess = number(r"L − L⋆ = (\S+);", text)
    star = loss_star(nb)
    want = fixture("batch16_noise")["epoch_losses"][-1]
    # L = L⋆ + (L − L⋆), each printed to 4 digits; the runs agree with torch's within 3e-6 of L.
    assert abs(star + float(excess) - want) <= half_unit(excess) + 5e-7 + 3e-6 * want, (star, excess, want)


def test_full_batch_at_its_best_rate_goes_below_the_minibatches_floors(nb):
    text = text_of(cell_with(nb, "let full_lr = "))
    final = {name.strip(): float(v) for name, v in re.findall(r"^\s*(.+?):\s+\d+ steps, L − L⋆ after \d+ epochs (\S+)$", text, re.M)}
    assert set(final) == {"full batch", "full batch, its best lr", "batch 16", "batch 1"}, final
    assert final["full batch, its best lr"] < min(final["batch 16"], final["batch 1"])
    assert final["batch 1"] < final["full batch"] and final["batch 16"] < final["full batch"]
    (fig,) = figures(cell_with(nb, "epochs_figure(&runs"))
    first = {t["name"]: t["y"][0] for t in fig["data"]}
    assert first["batch 1"] < first["batch 16"] < first["full batch, its best lr"] < first["full batch"], \
        f"after one epoch the small batches start far ahead: {first}"
    want = fixture("full_batch_noise")["epoch_losses"][-1]
    # L⋆ printed to 4 digits, L − L⋆ to 3; L agrees with torch's within 3e-6 of its size.
    assert abs(loss_star(nb) + final["full batch"] - want) <= 3e-6 * want + 5e-7 + 5e-5, (final["full batch"], want)


def floor_points(nb):
    text = text_of(cell_with(nb, "problem.floor_grid("))
    points = [dict(lr=float(lr), batch=int(b), predicted=float(p), fresh=float(f), ratio=float(r), shuffled=float(s),
                   shuffled_ratio=float(sr)) for lr, b, p, f, r, s, sr in FLOOR.findall(text)]
    assert len(points) == 9, text
    return text, points


def test_fresh_batches_settle_at_the_prediction_and_the_prose_says_how_close(nb):
    text, points = floor_points(nb)
    worst = max(abs(p["ratio"] - 1) for p in points)
    stated = int(number(r"^fresh batches: within (\d+)% of the prediction at every point$", text))
    assert abs(stated - 100 * worst) <= 1.01, (stated, worst)  # ratios printed to 2 decimals
    assert all(abs(p["ratio"] - 1) < 0.2 for p in points if p["lr"] <= 0.03), points


def test_the_floor_grows_with_lr_and_shrinks_with_the_batch(nb):
    _, points = floor_points(nb)
    at = {(p["lr"], p["batch"]): p for p in points}
    lrs, batches = sorted({p["lr"] for p in points}), sorted({p["batch"] for p in points})
    for b in batches:
        for what in ["predicted", "fresh"]:
            values = [at[(lr, b)][what] for lr in lrs]
            assert values == sorted(values), (b, what, values)
    for lr in lrs:
        for small, large in zip(batches, batches[1:]):
            for what in ["predicted", "fresh"]:
                drop = at[(lr, small)][what] / at[(lr, large)][what]
                # Printed to 3 digits, so known to about 1%.
                assert 4 * 0.99 < drop < 5 * 1.01, f"each 4× in the batch moves the {what} floor down 4 to 5 times: {drop}"


def test_shuffled_epochs_settle_lower_most_of_all_at_small_rates(nb):
    _, points = floor_points(nb)
    assert all(p["shuffled"] < p["fresh"] for p in points if p["lr"] == 0.01)
    assert all(p["shuffled_ratio"] < 0.5 for p in points if p["lr"] == 0.01)
    (single,) = [p for p in points if p["lr"] == 0.1 and p["batch"] == 1]
    assert abs(single["shuffled"] / single["fresh"] - 1) < 0.2, "with single documents at lr 0.1 they nearly agree"


def test_the_floor_figure_has_a_prediction_and_two_measurements_per_batch(nb):
    (fig,) = figures(cell_with(nb, "floor_figure(&grid"))
    names = [t["name"] for t in fig["data"]]
    assert len(names) == 9 and sum("predicted" in n for n in names) == 3
    assert fig["layout"]["xaxis"]["type"] == "log" and fig["layout"]["yaxis"]["type"] == "log"


def test_without_noise_minibatch_descent_converges_at_a_constant_rate(nb):
    text = text_of(cell_with(nb, "let exact = Documents::new("))
    assert float(number(r"L after \d+ epochs (\S+)$", text)) <= 1e-8
    assert fixture("batch1_noise_free")["epoch_losses"][-1] <= 1e-8, "torch's run too"


def test_the_decaying_schedules_end_below_the_constant_rates_floor(nb):
    text = text_of(cell_with(nb, "let mut scheduled = Vec::new();"))
    floor = float(number(r"^the constant rate's floor: (\S+)$", text))
    final = dict(re.findall(r"^\s*(.+?): last lr \S+, L − L⋆ after \d+ epochs (\S+)$", text, re.M))
    assert len(final) == 4, final
    for name, value in final.items():
        if name != "constant":
            assert float(value) < floor / 100, f"{name} ends below the floor by orders of magnitude: {value} vs {floor}"
    (fig,) = figures(cell_with(nb, "schedule_figure("))
    assert any(t["name"] == "the constant rate's floor" and t["y"] == [pytest.approx(floor, rel=0.05)] * 2
               for t in fig["data"])


def test_the_batch_slider_carries_plotly_steps_and_its_floors_fall_with_the_batch(nb):
    (fig,) = figures(cell_with(nb, "batch_slider("))
    steps = fig["layout"]["sliders"][0]["steps"]
    assert [s["label"] for s in steps] == ["1", "2", "4", "5", "10", "20", "25", "50", "100"]
    assert all(s["method"] == "update" for s in steps)
    assert len(fig["data"]) == 2 * len(steps), "a run and its predicted floor per batch size"
    assert "frames" not in fig or not fig["frames"], "plain slider steps, no animation frames"
    floors = [float(number(r"measured floor (\S+) ·", s["args"][1]["title.text"])) for s in steps[:-1]]
    assert floors == sorted(floors, reverse=True), f"small batches settle high, large ones low: {floors}"
    assert "no floor" in steps[-1]["args"][1]["title.text"]


def test_the_python_above_each_idea_is_quoted():
    nb = executed(NB)
    python = [c.source for c in nb.cells if c.cell_type == "markdown" and "```python" in c.source]
    for line in ["torch.randperm(docs)", "torch.linalg.pinv", "StepLR", "ExponentialLR", "CosineAnnealingLR"]:
        assert any(line in block for block in python), line


MOMENTUM = re.compile(r"^lr ([\d.]+), β ([\d.]+): predicted ([\d.]+), (?:measured ([\d.]+)|the run diverges)$", re.M)


def test_the_momentum_maps_measured_points_are_within_5_percent():
    nb = executed("06_optimizers.ipynb")
    found = MOMENTUM.findall(text_of(cell_with(nb, "measured_momentum_rates(")))
    assert len(found) == 6, found
    for lr, beta, predicted, measured in found:
        if measured:
            assert abs(float(measured) - float(predicted)) / float(predicted) < 0.05, (lr, beta)
        else:
            assert float(lr) * 2.0 > 2 * (1 + float(beta)), "only a point past the boundary diverges"
    (fig,) = figures(cell_with(nb, "momentum_map_figure("))
    heat, boundary, polyak, converged, diverged = fig["data"]
    assert heat["type"] == "heatmap" and len(heat["z"]) == 65 and len(heat["z"][0]) == 110
    # lr·h_max = 2(1 + β) with h_max = 2λ_max/N = 2 for diag(1, 2, 3, 4)
    assert all(abs(x - (1 + y)) < 1e-12 for x, y in zip(boundary["x"], boundary["y"], strict=True))
    assert polyak["x"] == [pytest.approx(1.28)] and polyak["y"] == [pytest.approx(0.36)]
    assert len(converged["x"]) == 5 and diverged["text"] == ["diverges"]
    assert heat["zmin"] == 0.6 and heat["zmax"] == 1, "the colours span the grid's rates, from Polyak's 0.6"
