"""Notebook 05: every figure its prose states about a run is the one that run printed, and the
float64 studies are torch's, run from notebook 01's start (its float32 draw, converted)."""
import math
import re

import nbformat

import nbtest
from nbtest import FIXTURES, ROOT, cell_with, executed, exercises_of, figures, half_unit, solution_cells, text_of

NB = "05_optimizers.ipynb"
TORCH = FIXTURES["notebook05"]


def prose(snippet):
    return nbtest.prose(NB, snippet)


def output_of(snippet):
    return nbtest.output_of(NB, snippet)


def same(printed, value):
    """A printed number is `value` to its printed digits."""
    return abs(float(printed) - value) <= half_unit(printed) + 1e-12


def test_05_the_least_stable_beta_and_the_diverging_slider_values():
    text = output_of("let least_beta")
    least, unstable = re.search(r"stable for β > ([\d.]+): (\d+) of the", text).groups()
    said = prose("## Drag the momentum")
    words = {"5": "five", "6": "six", "7": "seven"}
    assert f"= {least}" in said and f"the first {words[unstable]} values" in said, (least, unstable)
    assert "1.28" in said and "lr = 1.2800" in output_of("let hb = heavy_ball_tuning(")
    assert f"β must exceed {least}" in prose("Note the heavy ball's learning rate")


def test_05_every_run_starts_from_notebook_01s_start():
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


def test_05_the_race_is_torchs_from_notebook_01s_start():
    table = output_of("optimizer_race(")
    rows = re.findall(r"^│ (.+?)\s+┆ [\d.]+\s+┆ (\d+|null)\s+│$", table, re.M)
    want = [r["steps"] for r in TORCH["race"]]
    assert [None if s == "null" else int(s) for _, s in rows] == want, (rows, want)
    assert want == [93, 54, 20, 26, 128, 94, 118], "torch's steps from 01's start, as the issue quotes them"
    for (name, _), r in zip(rows, TORCH["race"], strict=True):
        assert r["name"].startswith(name.rstrip("…")), (name, r["name"])


def test_05_the_tuned_runs_measure_torchs_rates():
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


def test_05_adams_first_steps_are_not_fast_and_then_it_overshoots():
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


def test_05_the_kappa_100_figure_spans_what_was_measured():
    (fig,) = figures(cell_with(executed(NB), 'tuning_figure(&[("plain descent", &gd_hard_run'))
    measured = [y for t in fig["data"] if t["name"].endswith(": measured") for y in t["y"] if y and y > 0]
    low, high = math.log10(min(measured)), math.log10(max(measured))
    y_range = fig["layout"]["yaxis"]["range"]
    assert low - 0.5 < y_range[0] < low and high < y_range[1] < high + 0.5, (y_range, low, high)
    predicted = [y for t in fig["data"] if "predicted" in t["name"] for y in t["y"]]
    assert min(predicted) >= min(measured), "each predicted line ends where the measured range does"


def test_05_the_measure_exercise_differs_from_its_prediction_as_its_text_says():
    nb = executed(NB)
    shown = dict(zip(exercises_of(nb), [text_of(c) for c in solution_cells(nb)], strict=True))
    predicted, measured = float(shown["5.2"]), float(shown["5.3"])
    assert measured / predicted > 1.02, "above the prediction by more than round-off could explain"
    (torch_run,) = [r for r in TORCH["polyak_diag123"] if r["seed"] == 314]
    assert abs(measured - torch_run["measured"]) < 1e-9, (measured, torch_run)
    assert "comes out above your prediction" in prose("### Exercise 5.3 (measure)")


def test_05_where_next_names_notebook_06_which_lowers_lr_over_time():
    said = prose("Where next:")
    assert said.startswith("Where next: notebook 06") and "schedulers" in said
    assert "in practice one lowers `lr` over time, as notebook 06 shows" in prose("**Why Adam is slow here.**")
