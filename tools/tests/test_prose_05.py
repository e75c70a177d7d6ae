"""Notebook 05: every number its prose states about a path is the one its run printed, the runs
are torch's (the paths fixture, tools/torch_paths.py), and each figure is what the issue asks of it."""
import functools
import json
import re

import nbtest
from nbtest import ROOT, cell_with, executed, figures

NB = "05_landscape.ipynb"
PATHS = json.loads((ROOT / "crates/gdlab/tests/fixtures/paths.json").read_text())

prose = functools.partial(nbtest.prose, NB)
output_of = functools.partial(nbtest.output_of, NB)


def torch_arrival(valley, optimizer, lr, momentum=None, tolerance=1e-6):
    """The first step at which torch's path on `valley` has a loss <= tolerance (None if never)."""
    found = [p for p in PATHS["paths"] if p["valley"] == valley and p["optimizer"] == optimizer
             and abs(p["lr"] - lr) < 1e-12 and p["momentum"] == momentum]
    assert len(found) == 1, (valley, optimizer, lr, momentum, len(found))
    return next((k for k, loss in enumerate(found[0]["losses"]) if loss <= tolerance), None)


def arrivals(text):
    """{label: step} from lines `...: ... loss ≤ 1e-6 at step N` (None for 'not within')."""
    found = {}
    for line in text.splitlines():
        m = re.match(r"^(.*?): .*loss ≤ 1e-6 (?:at step (\d+)|not within)", line)
        if m:
            found[m.group(1).strip()] = int(m.group(2)) if m.group(2) else None
    return found


def test_05_descents_step_counts_are_the_runs_and_torchs():
    got = arrivals(output_of("let rates = [0.2, best, 0.98, 1.02];"))
    assert got == {"lr = 0.2000": 217, "lr = 0.9412": 54, "lr = 0.9800": 164, "lr = 1.0200": None}, got
    for lr, label in [(0.2, "lr = 0.2000"), (16 / 17, "lr = 0.9412"), (0.98, "lr = 0.9800"), (1.02, "lr = 1.0200")]:
        assert got[label] == torch_arrival("aligned", "lesson", lr), label
    said = prose("At 0.2 the factor along")
    for n in (217, 54, 164):
        assert f"step {n}" in said or f"{n} steps" in said, n
    # The factors it quotes are the printed ones.
    text = output_of("let rates = [0.2, best, 0.98, 1.02];")
    for factor in ("+0.6000 along X₀₃", "+0.9750 along X₀₀", "-0.8824 along X₀₃", "+0.8824 along X₀₀",
                   "-0.9600 along X₀₃", "-1.0400 along X₀₃"):
        assert factor in text, factor
    assert "0.975" in said and "15/17" in said and "−0.96" in said and "−1.04" in said


def test_05_the_slider_shows_a_rate_below_16_17_arriving_sooner():
    """16/17 is the best rate per step in the long run; from this start 0.8 arrives a step sooner,
    which the prose says and the slider's title for 0.8 shows."""
    fig = figures(cell_with(executed(NB), "path_slider(&valley, \"lr\""))[0]
    titles = {s["label"]: s["args"][1]["title.text"] for s in fig["layout"]["sliders"][0]["steps"]}
    at = {label: int(m.group(1)) for label, t in titles.items() if (m := re.search(r"at step (\d+)", t))}
    assert at["0.8"] == 53 and at["0.941"] == 54 and at["0.8"] < at["0.941"], at
    assert "on the slider below, 0.8 arrives at step 53" in prose("At 0.2 the factor along")


def test_05_the_loop_written_out_is_path():
    assert "the loop's 301 points are path()'s: true" in output_of("let mut points = vec![start];")


def test_05_momentums_step_counts_are_the_runs_and_torchs():
    text = output_of("let polyak = heavy_ball_tuning(&m)?;")
    got = arrivals(text)
    want = {"heavy ball at Polyak's tuning": ("momentum", 1.28, 0.36), "heavy ball, β = 0.8, same lr": ("momentum", 1.28, 0.8),
            "heavy ball, lr = 0.5, β = 0.8": ("momentum", 0.5, 0.8), "Nesterov, lr = 0.5, β = 0.8": ("nesterov", 0.5, 0.8)}
    for label, (rule, lr, beta) in want.items():
        assert got[label] == torch_arrival("aligned", rule, lr, beta), label
    said = prose("At Polyak's tuning the path crosses")
    assert f"at step {got[next(iter(want))]}" in said and "against 54" in said
    assert f"needs {got['heavy ball, β = 0.8, same lr']} steps" in said
    assert f"({got['Nesterov, lr = 0.5, β = 0.8']} steps against {got['heavy ball, lr = 0.5, β = 0.8']})" in said
    # Polyak's path crosses at every one of its first 20 steps; the first lands 1.56 times as far out.
    assert "heavy ball at Polyak's tuning: loss ≤ 1e-6 at step 20; X₀₃ changes sign at every one of the first 20 steps: true" in text
    first = re.search(r"X₀₃ goes from ([\d.]+) to (-[\d.]+) in the first step", text)
    ratio = -float(first.group(2)) / float(first.group(1))
    assert abs(ratio - 1.56) < 0.001 and "1.56 times" in said
    # Nesterov at Polyak's tuning diverges, and its bound at β = 0.36 is the one quoted.
    grows = re.search(r"Nesterov at Polyak's tuning: the loss grows from ([\d.]+) to ([\d.e+]+)", text)
    assert float(grows.group(2)) > 1e30 * float(grows.group(1))
    assert f"= {2 * 1.36 / 1.72:.2f}" in said and "2.56" in said


def test_05_the_phase_samples_behave_as_their_regions():
    text = output_of("let mut phase_runs")
    rows = re.findall(r"^lr·h = ([\d.]+), β = ([\d.]+): .* → (\w+); the run behaves so: (\w+)$", text, re.M)
    assert [(r[2], r[3]) for r in rows] == [("monotone", "true"), ("ripples", "true"), ("alternating", "true"),
                                           ("divergent", "true")], rows
    assert "β = 1 at the lesson's lr = 0.4605: |σ| = 1.000000" in text
    said = prose("Read the figure from the bottom edge")
    assert "`lr·h = 0.16`" in said and "`lr·h = 2.56`" in said and "0.6" in said
    # Polyak's two extreme curvatures sit on the boundaries it names.
    assert abs((1 - 0.6) ** 2 - 0.16) < 1e-12 and abs((1 + 0.6) ** 2 - 2.56) < 1e-12
    fig = figures(cell_with(executed(NB), "phase_figure("))[0]
    names = [t.get("name", "") for t in fig["data"]]
    assert any("β = 1" in n for n in names) and sum("critical damping" in n for n in names) == 1


def test_05_adaptive_rules_first_steps_and_arrivals():
    text = output_of("let adaptive = [")
    for rule in ("Adam, lr = 0.1", "RMSprop, lr = 0.01", "Adagrad, lr = 0.1"):
        assert f"{rule}: first step (+0.1000, -0.1000)" in text, rule
    got = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r"^(\w+), lr = [\d.]+: .* aligned (at step \d+|not within \d+ steps), tilted (at step \d+|not within \d+ steps);", text, re.M)}
    assert got == {"Adam": ("at step 128", "at step 114"), "RMSprop": ("at step 94", "not within 300 steps"),
                   "Adagrad": ("at step 118", "not within 300 steps")}, got
    # torch's: those its 120-step fixture reaches.
    assert torch_arrival("aligned", "rmsprop", 0.01) == 94 and torch_arrival("aligned", "adagrad", 0.1) == 118
    assert torch_arrival("tilted", "adam", 0.1) == 114
    said = prose("On the aligned valley all three leave the start at 45°")
    # The pair drawn arrives sooner than the whole X, and sooner than plain descent's pair.
    pair = dict(re.findall(r"^(\w+), lr = [\d.]+: .*the drawn pair's own loss, aligned at step (\d+)$", text, re.M))
    plain_pair = int(re.search(r"^plain descent at 16/17: the drawn pair's own loss, aligned at step (\d+)$", text, re.M).group(1))
    assert f"steps {pair['RMSprop']} and {pair['Adagrad']}, against {plain_pair} for plain descent" in said, (pair, plain_pair)
    assert int(pair["RMSprop"]) < plain_pair and int(pair["Adagrad"]) < plain_pair
    far = re.search(r"X₀₀ ([\d.]+), X₀₃ ([\d.]+), and X₁₀ \(not drawn\) ([\d.]+)$", text, re.M).groups()
    assert f"starts {far[2]} from its minimum, more than twice as far as either entry drawn" in said
    assert float(far[2]) > 2 * max(float(far[0]), float(far[1])), far
    assert "steps 94 and 118" in said and "step 128 on the aligned one and 114 on the tilted one" in said
    assert "does not reach the tolerance within the 300 steps for either" in said
    # None beats plain descent at 16/17, whose arrivals on both valleys are printed above.
    aligned = arrivals(output_of("let rates = [0.2, best, 0.98, 1.02];"))["lr = 0.9412"]
    tilted = int(re.search(r"tilted, plain descent at 16/17: .* at step (\d+)", output_of("let mut newton_runs")).group(1))
    assert f"({aligned} steps aligned, {tilted} tilted)" in said
    assert max(int(s.split()[-1]) for s, _ in got.values() if s.startswith("at step")) > aligned


def test_05_newton_lands_in_one_step_and_the_diagonal_only_when_aligned():
    text = output_of("let mut newton_runs")
    dist = {(v, n): float(d) for v, n, d in re.findall(r"^\s*(\w+),\s+(\w+): after one step ([\d.e+-]+) from", text, re.M)}
    assert dist[("aligned", "Newton")] <= 1e-6 and dist[("tilted", "Newton")] <= 1e-6
    assert dist[("aligned", "diagonal")] <= 1e-6 and dist[("tilted", "diagonal")] > 0.1
    diag = int(re.search(r"tilted, diagonal: .* at step (\d+)", text).group(1))
    plain = int(re.search(r"tilted, plain descent at 16/17: .* at step (\d+)", text).group(1))
    assert plain == torch_arrival("tilted", "lesson", 16 / 17)
    said = prose("On the aligned valley both land on the minimum in one step")
    assert f"needs {diag} steps" in said and f"best rate, {plain}" in said


def test_05_the_sliders_carry_plotly_steps():
    nb = executed(NB)
    for snippet, knob, count in [("path_slider(&valley, \"lr\"", "lr", 8), ("path_slider(&valley, \"β\"", "β", 8)]:
        fig = figures(cell_with(nb, snippet))[0]
        steps = fig["layout"]["sliders"][0]["steps"]
        assert len(steps) == count, (knob, len(steps))
        for i, step in enumerate(steps):
            assert step["method"] == "update"
            visible = step["args"][0]["visible"]
            assert len(visible) == len(fig["data"]) and sum(visible[1:1 + count]) == 1 and visible[1 + i], (knob, i)


def test_05_figures_have_equal_scales_and_at_most_25_levels():
    nb = executed(NB)
    for fig in (f for c in nb.cells if c.cell_type == "code" for f in figures(c)):
        contours = [t for t in fig["data"] if t.get("type") == "contour"]
        for t in contours:
            c = t["contours"]
            assert (c["end"] - c["start"]) / c["size"] + 1 <= 25
        for key, axis in fig["layout"].items():
            if contours and key.startswith("yaxis"):
                x = "x" + key[len("yaxis"):]
                assert axis.get("scaleanchor") == x and axis.get("scaleratio") == 1, key
        names = [t.get("name") for t in fig["data"]]
        if contours:
            assert "start" in names and "minimum" in names
