"""Notebook 06: every figure its prose states about a run is the one that run printed, and the
float64 studies are torch's, run from notebook 01's start (its float32 draw, converted)."""
import functools
import math
import re

import nbformat

import nbtest
from nbtest import FIXTURES, ROOT, cell_with, executed, exercises_of, figures, half_unit, solution_cells, text_of

NB = "06_optimizers.ipynb"
TORCH = FIXTURES["notebook06"]


prose = functools.partial(nbtest.prose, NB)
output_of = functools.partial(nbtest.output_of, NB)


def same(printed, value):
    """A printed number is `value` to its printed digits."""
    return abs(float(printed) - value) <= half_unit(printed) + 1e-12


def test_06_the_least_stable_beta_and_the_diverging_slider_values():
    text = output_of("let least_beta")
    least, unstable = re.search(r"stable for β > ([\d.]+): (\d+) of the", text).groups()
    said = prose("## Drag the momentum")
    words = {"5": "five", "6": "six", "7": "seven"}
    assert f"= {least}" in said and f"the first {words[unstable]} values" in said, (least, unstable)
    assert "1.28" in said and "lr = 1.2800" in output_of("let hb = heavy_ball_tuning(")
    assert f"β must exceed {least}" in prose("Note the heavy ball's learning rate")


def test_06_every_run_starts_from_notebook_01s_start():
    """The float32 runs draw 01's start; the float64 ones take `start64`, that draw converted,
    whose loss is 01's first loss (torch's original loop), not the 1.866 of a float64 draw."""
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    made = [s for s in code if "let start64" in s]
    assert len(made) == 1 and "let start: Array2<f32> = TorchRng::manual_seed(seed).rand((4, 4));" in made[0]
    assert "start.mapv(f64::from)" in made[0]
    calls = [line for s in code for line in s.splitlines() if "InverseDescent::new(&m64)" in line or "InverseDescent::new(&hard)" in line]
    assert len(calls) == 7 and all(".start(&start64)" in line and ".seed(" not in line for line in calls), calls
    assert "measured_momentum_rates(&m64, &start64," in "\n".join(code)
    f32_calls = [line for s in code for line in s.splitlines() if "InverseDescent::new(&m)" in line]
    assert f32_calls and all(".seed(seed)" in line for line in f32_calls), f32_calls
    printed = re.search(r"^loss at the start: ([\d.]+), as in notebook 01$", output_of("let start64"), re.M).group(1)
    assert printed == f"{FIXTURES['original_loop']['losses'][0]:.4f}" == "1.6650"
    assert "Every run below starts where notebook 01 does" in prose("The lesson's set-up")


def test_06_the_race_is_torchs_from_notebook_01s_start():
    table = output_of("optimizer_race(")
    rows = re.findall(r"^│ (.+?)\s+┆ [\d.]+\s+┆ (\d+|null)\s+│$", table, re.M)
    want = [r["steps"] for r in TORCH["race"]]
    assert [None if s == "null" else int(s) for _, s in rows] == want, (rows, want)
    assert want == [93, 54, 20, 26, 128, 94, 118], "torch's steps from 01's start, as the issue quotes them"
    for (name, _), r in zip(rows, TORCH["race"], strict=True):
        assert r["name"].startswith(name.rstrip("…")), (name, r["name"])


def test_06_the_tuned_runs_measure_torchs_rates():
    def measured(losses):
        usable = next((i for i, l in enumerate(losses) if not (l > 1e-24 and math.isfinite(l))), len(losses))
        start, end = usable // 2, usable - 1
        return (losses[end] / losses[start]) ** (0.5 / (end - start))

    found = re.findall(r"^\s*(plain descent|heavy ball):\s+predicted ([\d.]+), measured ([\d.]+)$",
                       output_of("let gd_run") + output_of("let hard = "), re.M)
    assert len(found) == 4, found
    for (name, _, printed), case in zip(found, TORCH["tuning"], strict=True):
        assert same(printed, measured(case["losses"])), (name, case["name"], printed)
    points = re.findall(r"^lr ([\d.]+), β ([\d.]+): predicted ([\d.]+), (?:measured ([\d.]+)|the run diverges)$",
                        output_of("measured_momentum_rates("), re.M)
    assert len(points) == len(TORCH["momentum_points"]) == 6
    for (lr, beta, _, printed), want in zip(points, TORCH["momentum_points"], strict=True):
        assert (float(lr), float(beta)) == (want["lr"], want["beta"])
        assert (printed == "") == (want["measured"] is None) and (not printed or same(printed, want["measured"])), (lr, beta)


def test_06_adams_first_steps_are_not_fast_and_then_it_overshoots():
    text = output_of("let adam_start")
    adam, sgd = re.search(r"Adam \(lr 0.1\) ([\d.]+), plain descent \(lr [\d.]+\) ([\d.]+)", text).groups()
    losses = [float(v) for v in re.search(r"^Adam's loss, steps 0 to 15: \[(.*)\]$", text, re.M).group(1).split(", ")]
    assert same(adam, TORCH["first_steps"]["adam"][5]) and same(sgd, TORCH["first_steps"]["sgd"][5]), (adam, sgd)
    assert float(adam) > float(sgd) and losses[5] == float(adam)
    # After step 6 Adam's loss rises to a peak, then turns: the overshoot.
    peak = max(range(6, 16), key=lambda k: losses[k])
    assert all(a < b for a, b in zip(losses[6:peak], losses[7:peak + 1])) and losses[peak + 1] < losses[peak], losses
    said = prose("**Why Adam is slow here.**")
    assert f"its loss is {adam}, against {sgd}" in said, (adam, sgd)
    assert f"climbs back from {losses[6]:.3f} at step 6 to {losses[peak]:.3f} at step {peak} before it turns" in said, losses


def test_06_the_kappa_100_figure_spans_what_was_measured():
    (fig,) = figures(cell_with(executed(NB), 'tuning_figure(&[("plain descent", &gd_hard_run'))
    measured = [y for t in fig["data"] if t["name"].endswith(": measured") for y in t["y"] if y and y > 0]
    low, high = math.log10(min(measured)), math.log10(max(measured))
    y_range = fig["layout"]["yaxis"]["range"]
    assert low - 0.5 < y_range[0] < low and high < y_range[1] < high + 0.5, (y_range, low, high)
    predicted = [y for t in fig["data"] if "predicted" in t["name"] for y in t["y"]]
    assert min(predicted) >= min(measured), "each predicted line ends where the measured range does"


def test_06_the_measure_exercise_differs_from_its_prediction_as_its_text_says():
    nb = executed(NB)
    shown = dict(zip(exercises_of(nb), [text_of(c) for c in solution_cells(nb)], strict=True))
    predicted, measured = float(shown["6.2"]), float(shown["6.3"])
    assert measured / predicted > 1.02, "above the prediction by more than round-off could explain"
    (torch_run,) = [r for r in TORCH["polyak_diag123"] if r["seed"] == 314]
    assert abs(measured - torch_run["measured"]) < 1e-9, (measured, torch_run)
    assert "comes out above your prediction" in prose("### Exercise 6.3 (measure)")


def test_06_where_next_names_notebook_07_which_lowers_lr_over_time():
    said = prose("Where next:")
    assert said.startswith("Where next: notebook 07") and "schedulers" in said
    assert "in practice one lowers `lr` over time, as notebook 07 shows" in prose("**Why Adam is slow here.**")


def test_06_the_rates_are_measured_before_the_loss_falls_to_1e_24_where_round_off_takes_over():
    said = prose("We measure each rate from the losses")
    assert "the second half of the steps before the loss falls to 1e-24" in said
    assert "the heavy ball's runs bottom out below 1e-30" in said
    nb = executed(NB)
    for snippet in ['("plain descent", &gd_run', '("plain descent", &gd_hard_run']:
        (fig,) = figures(cell_with(nb, snippet))
        (heavy,) = [t["y"] for t in fig["data"] if t["name"] == "heavy ball: measured"]
        assert 0 < min(heavy) < 1e-30, (snippet, min(heavy))
    for case in TORCH["tuning"]:
        if case["optimizer"] != "heavy_ball":
            continue
        losses = case["losses"]
        usable = next(i for i, l in enumerate(losses) if not l > 1e-24)
        windowed = (losses[usable - 1] / losses[usable // 2]) ** (0.5 / (usable - 1 - usable // 2))
        half = len(losses) // 2
        literal = (losses[-1] / losses[half]) ** (0.5 / (len(losses) - 1 - half))
        # Over the literal second half of the run the round-off floor would enter: another rate.
        assert literal > 1.1 * windowed, (case["name"], windowed, literal)


def test_06_adams_climb_is_in_the_three_stiffer_columns_most_in_the_third_and_fourth():
    text = output_of("let adam_start")
    losses = [float(v) for v in re.search(r"^Adam's loss, steps 0 to 15: \[(.*)\]$", text, re.M).group(1).split(", ")]
    before, after = (
        [float(v) for v in part.split(", ")]
        for part in re.search(r"^each column's part of it, step 6 → step 11: \[(.*)\] → \[(.*)\]$", text, re.M).groups()
    )
    # The four parts add up to the loss (each printed to 3 decimals).
    assert abs(sum(before) - losses[6]) <= 0.0025 and abs(sum(after) - losses[11]) <= 0.0025, (before, after, losses)
    climb = [b - a for a, b in zip(before, after, strict=True)]
    assert climb[0] < 0 < climb[1] < climb[2] and climb[1] < climb[3], f"the three stiffer columns climb: {climb}"
    assert climb[2] + climb[3] > 0.5 * (losses[11] - losses[6]), climb
    said = prose("**Why Adam is slow here.**")
    assert "in the three stiffer columns its steps" in said and "the third and fourth columns carry most of the climb" in said
    assert "stiffest column" not in said


def test_06_the_lr_sliders_matrix_is_at_step_20_or_where_a_diverged_run_stopped():
    (fig,) = figures(cell_with(executed(NB), "lr_slider("))
    steps = fig["layout"]["sliders"][0]["steps"]
    stopped = 0
    for i, step in enumerate(steps):
        curve = fig["data"][2 * i]["y"]
        at = int(re.match(r"X·M − I at step (\d+) ·", step["args"][1]["xaxis2.title.text"]).group(1))
        if "✗" in step["label"]:
            assert at == len(curve) - 1 < 20, (step["label"], at, len(curve))
            stopped += 1
        else:
            assert at == 20 and len(curve) == 100, (step["label"], at)
    assert stopped > 0, "some rate past the bound diverges"
    assert "(for a run that diverged, at the step where it was stopped)" in prose("## Drag the learning rate")


def test_06_each_beta_title_gives_the_last_loss_its_curve_shows_and_the_side_of_the_threshold():
    (fig,) = figures(cell_with(executed(NB), "beta_slider("))
    least = float(re.search(r"stable for β > ([\d.]+):", output_of("let least_beta")).group(1))
    for i, step in enumerate(fig["layout"]["sliders"][0]["steps"]):
        title = step["args"][1]["title.text"]
        beta, side, threshold = re.match(r"β = ([\d.]+) · (above|below) the stability threshold lr/bound − 1 = ([\d.]+) · ",
                                         title).groups()
        assert abs(float(threshold) - least) <= 0.005 and side == ("above" if float(beta) > float(threshold) else "below")
        curve = fig["data"][2 * i]
        if "✗" in step["label"]:
            assert title.endswith("· diverges"), title
            continue
        at, loss = re.search(r"· loss at step (\d+): (\S+)$", title).groups()
        assert int(at) == curve["x"][-1] == len(curve["y"]) - 1 == 99, (title, len(curve["y"]))
        assert abs(float(loss) - curve["y"][-1]) <= 0.005 * curve["y"][-1], (title, curve["y"][-1])
    said = prose("## Drag the momentum")
    assert "each title says on which side of that β it lies" in said


def test_06_the_map_is_blank_from_the_boundary_on_and_spirals_at_root_beta_over_a_band():
    (fig,) = figures(cell_with(executed(NB), "momentum_map_figure("))
    heat, boundary = fig["data"][0], fig["data"][1]
    # diag(1, 2, 3, 4): h = 2λ/N for λ = 1, 4, 9, 16, N = 16; the boundary lr·h_max = 2(1 + β).
    h_min, h_max = 2 * 1 / 16, 2 * 16 / 16
    assert all(abs(x - 2 * (1 + y) / h_max) < 1e-12 for x, y in zip(boundary["x"], boundary["y"], strict=True))
    polyak = ((math.sqrt(h_max) - math.sqrt(h_min)) / (math.sqrt(h_max) + math.sqrt(h_min))) ** 2
    on_edge, covered = 0, {}
    for beta, row in zip(heat["y"], heat["z"], strict=True):
        edge = 2 * (1 + beta) / h_max
        stable = [lr for lr, z in zip(heat["x"], row, strict=True) if z is not None]
        assert all(z is None or z < 1 for z in row)
        assert stable == [lr for lr in heat["x"] if lr < edge - 1e-9], ("blank exactly from the boundary on", beta)
        on_edge += any(abs(lr - edge) < 1e-9 for lr in heat["x"])
        root = math.sqrt(beta)
        low, high = (1 - root) ** 2 / h_min, (1 + root) ** 2 / h_max
        spiral = [lr for lr, z in zip(heat["x"], row, strict=True) if z is not None and abs(z - root) < 1e-6]
        inside = [lr for lr in stable if low + 1e-6 < lr < high - 1e-6]
        assert set(inside) <= set(spiral) <= {lr for lr in stable if low - 1e-6 <= lr <= high + 1e-6}, beta
        if beta < polyak - 1e-9:
            assert not spiral, beta
        covered[beta] = (len(spiral), len(stable))
    assert on_edge > 0, "some grid point lies on the boundary itself, and is blank"
    widths = [n for b, (n, _) in sorted(covered.items()) if b > polyak]
    assert widths == sorted(widths), "the band widens with β"
    assert all(total - n <= 2 for b, (n, total) in covered.items() if b >= 0.84 - 1e-9), covered
    assert all(total - n >= 5 for b, (n, total) in covered.items() if b <= 0.78 + 1e-9), "not much below 0.84"
    said = prose("Darker is faster.")
    assert "from `(1 − √β)²/h_min` to `(1 + √β)²/h_max`" in said and "from β ≈ 0.84 it holds nearly every stable rate" in said
    assert "blank where it is 1 or more" in prose("## The momentum map")
