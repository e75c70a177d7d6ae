"""Notebook 04: every number and claim its prose states, against the run that printed it, and
float32's arithmetic rechecked by another route (struct)."""
import math
import re
import struct

import nbformat

import nbtest
from nbtest import ROOT, cell_with, executed, exercises_of, figures, solution_cells, text_of

NB = "04_convergence.ipynb"


def prose(snippet):
    return " ".join(nbtest.prose(NB, snippet).split())


def output_of(snippet):
    return nbtest.output_of(NB, snippet)


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def sci(x, digits=1):
    """As Rust writes a number in e-notation: 3.0e-8, not 3.0e-08."""
    return re.sub(r"e([-+]?)0*(\d)", r"e\1\2", f"{x:.{digits}e}")


def spacing32(x):
    """The distance from a positive float32 x to the next float32 up."""
    return 2.0 ** (math.floor(math.log2(x)) - 23)


def test_04_quotes_the_predicted_column_for_hilbert_3_and_4():
    text = output_of("for case in &study[2..]")
    said = prose("By the `predicted` column")
    for n in ("3", "4"):
        millions = re.search(rf"Hilbert {n}: ([\d.]+) million", text).group(1)
        assert f"Hilbert {n} would need about {millions} million" in said or f"Hilbert {n} about {millions} million" in said, (n, millions, said)


def rate_traces():
    """{(λ, "measured" or "predicted"): the norms of the rate figure, step by step}."""
    (fig,) = figures(cell_with(executed(NB), "rate_figure(&rates)"))
    traces = {}
    for t in fig["data"]:
        lam, kind = re.match(r"λ = ([\d.]+): (measured|predicted)", t["name"]).groups()
        traces[(float(lam), kind)] = t["y"]
    return fig, traces


def test_only_column_2_stops_and_columns_3_and_4_follow_the_prediction_far_below_1e_7():
    fig, traces = rate_traces()
    said = prose("On a log scale a constant rate is a straight line.")
    diagonal = [float(v) for v in re.search(r"diagonal of X·M − I at step 99: \[([^\]]+)\]", output_of("rate_comparison(")).group(1).split(",")]
    # Column 1 lies on its prediction throughout.
    m1, p1 = traces[(1.0, "measured")], traces[(1.0, "predicted")]
    assert all(abs(m / p - 1) < 1e-4 for m, p in zip(m1, p1))
    # Column 2 follows it, then stops where the prose says, at its diagonal entry 2·X₂₂ − 1.
    m2, p2 = traces[(4.0, "measured")], traces[(4.0, "predicted")]
    assert all(abs(m / p - 1) < 1e-3 for m, p in zip(m2, p2) if p > 1e-5)
    assert all(abs(m / m2[-1] - 1) < 1e-4 for m in m2[-20:]) and m2[-1] > 1000 * p2[-1], "column 2 stops"
    assert f"column 2 stops at {sci(m2[-1], 2)}" in said and abs(abs(diagonal[1]) - m2[-1]) < 1e-12
    # Columns 3 and 4: their diagonal entries are exactly 0, and they follow the prediction far below 1e-7.
    assert diagonal[2] == 0.0 and diagonal[3] == 0.0 and diagonal[0] != 0.0, diagonal
    for lam in (9.0, 16.0):
        m, p = traces[(lam, "measured")], traces[(lam, "predicted")]
        assert all(0.8 < mk / pk < 1.25 for mk, pk in zip(m, p) if mk > 1e-38), lam
    m3, m4 = traces[(9.0, "measured")], traces[(16.0, "measured")]
    assert f"column 3 to {sci(m3[-1], 0)} by the last step" in said, (m3[-1], said)
    # Column 4 stops at a few of float32's smallest numbers, at the step quoted, and stays there.
    stop = next(k for k, v in enumerate(m4) if v == m4[-1])
    assert all(v == m4[-1] for v in m4[stop:]) and m4[stop - 1] > m4[stop] and stop < len(m4) - 10, m4
    assert f"column 4 to {sci(m4[-1])} by step {stop}, where float32 runs out of numbers, and it stays there." in said, said
    assert m4[-1] < 1e-44 and m4[-1] / (2.0 ** -149) < 8, "a few of float32's smallest numbers"
    # "out of the picture": the y axis stops above both.
    low = 10 ** fig["layout"]["yaxis"]["range"][0]
    assert m3[-1] < low and m4[-1] < low < 1e-7 < m2[-1]


def test_the_float32_story_of_the_diagonal():
    said = prose("Why column 2 stops at 1e-7 and columns 3 and 4 go far lower (float32)")
    d2 = f32([float(v) for v in re.search(r"step 99: \[([^\]]+)\]", output_of("rate_comparison(")).group(1).split(",")][1])
    # 2·X₂₂ is exact in float32, so X₂₂ = (1 + d₂)/2, two float32 numbers below 0.5.
    x22 = f32((1 + d2) / 2)
    assert f32(2 * x22) - 1 == d2 and f"X₂₂ gets to {x22:.8f}," in said
    assert round((0.5 - x22) / spacing32(0.49)) == 2 and "two float32 numbers below 0.5" in said
    lr = float(re.search(r"lr = ([\d.]+)\)", output_of("predicted_rates(&m, lr)?")).group(1))
    step = lr * 2 / 16 * 2 * abs(d2)
    assert f"≈ {sci(step)}`" in said and step < spacing32(0.49) / 2 and f32(x22 - step) == x22
    assert f"half the {sci(spacing32(0.49))} between" in said
    # 3·0.33333334 rounds to 1 in float32; 4·0.25 is 1.
    assert f32(3 * f32(1 / 3)) == 1.0 and f"{f32(1 / 3):.8f}" == "0.33333334" and "`3·0.33333334` rounds to exactly 1" in said
    assert f"{2.0 ** -149:.1e}" == "1.4e-45" and f"{2.0 ** -126:.0e}" == "1e-38"
    # Column 4 ends at 4 units of the smallest float32: its entries are 4·X, whole units, so one entry
    # 4·X with X = ±2⁻¹⁴⁹ (the diagonal is exactly 0). The gradient's 2·(4·X)/16 is half a unit: 0.
    _, traces = rate_traces()
    last = traces[(16.0, "measured")][-1]
    assert last == 4 * 2.0 ** -149 and f32(2.0 ** -149) == 2.0 ** -149 and f32(2 * last / 16) == 0.0, last
    assert ("Column 4 ends with one entry left, `4·X` where X is ±1.4e-45, the smallest float32 there is; the update's "
            "gradient passes through `2·(4·X)/16`, half of that in size, which rounds to 0, so X never moves again.") in said


def test_the_theory_names_the_curvature_and_the_error_agrees():
    printed = output_of("let too_fast")
    assert re.search(r"\(loss = \d+\.\d+\)", printed), printed
    assert "λ_max(MᵀM)" in printed and "M·Mᵀ" not in printed
    assert "`E ← E·(I − (2·lr/N)·MᵀM)`" in prose("## The theory")
    assert "M·Mᵀ has the same eigenvalues as MᵀM" in prose("## The theory")


def test_no_cell_prints_unit():
    for c in executed(NB).cells:
        if c.cell_type == "code":
            assert text_of(c).strip() != "()", c.source


def test_01_shows_every_20th_step_both_ways():
    said = prose("## Watching it learn")
    assert "Notebook 01 shows every 20th step" in said
    one = nbformat.read(ROOT / "notebooks/01_matrix_inverse.ipynb", as_version=4)
    code = "\n".join(c.source for c in one.cells if c.cell_type == "code")
    assert "let every: usize = 20;" in code and "ColorRange::PerPanel" in code and "ColorRange::Shared" in code


def test_the_early_loss_falls_faster_than_the_long_run_factor():
    nb = executed(NB)
    answers = {n: float(text_of(c)) for n, c in zip(exercises_of(nb), solution_cells(nb)) if n in ("4.2", "4.3")}
    # 4.2's factor is (1 − 2·0.3·1/16)², the slowest direction's; 4.3's run falls much faster early on.
    assert abs(answers["4.2"] - (1 - 0.3 / 8) ** 2) < 1e-12
    assert answers["4.3"] < answers["4.2"] - 0.1, answers
    assert "Why does the loss fall so much faster than your prediction?" in prose("### Exercise 4.3 (measure)")


def test_04_ends_by_pointing_to_05_then_06():
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    last = nb.cells[-1].source
    assert last.startswith("Where next: notebook 05, `05_landscape`"), last
    # What it promises of 05's paths, 05's own prose shows (04's word, then 05's).
    landscape = nbformat.read(ROOT / "notebooks/05_landscape.ipynb", as_version=4)
    said = " ".join(c.source for c in landscape.cells if c.cell_type == "markdown")
    for promised, shown in [("zig-zag", "crosses the valley"), ("momentum", "momentum"), ("overshoot", "overshoot"),
                            ("Adam", "Adam"), ("Newton", "Newton")]:
        assert promised in last and shown in said, (promised, shown)
    # Then 06, which runs the optimisers that its title names.
    assert "notebook 06, `06_optimizers`" in last, last
    title = nbformat.read(ROOT / "notebooks/06_optimizers.ipynb", as_version=4).cells[0].source.splitlines()[0]
    for name in ("momentum", "Nesterov", "Adam", "RMSprop", "Adagrad"):
        assert name in title and name in last, (name, title)


def parameter(name):
    """A knob of the notebook's parameters cell, as written there."""
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    return float(re.search(rf"let {name}: \w+ = ([\d.e-]+);", cell_with(nb, "let seed_count").source).group(1))


def start_norms():
    """{λ: ‖column k of X·M − I‖ at step 0}, from the rate figure: M is diagonal, so columns are directions."""
    _, traces = rate_traces()
    return {lam: y[0] for (lam, kind), y in traces.items() if kind == "measured"}


def model_loss(lr, t, norms):
    """The loss after t updates by the theory, column by column: Σ ‖E₀·v‖²·(1 − 2·lr·λ/N)^(2t) / N, N = 16."""
    return sum(c * c * (1 - 2 * lr * lam / 16) ** (2 * t) for lam, c in norms.items()) / 16


def test_the_first_column_keeps_31_percent_after_20_steps_and_the_fourth_0_004_percent_after_4():
    _, traces = rate_traces()
    m1, m4 = traces[(1.0, "measured")], traces[(16.0, "measured")]
    said = prose("**Why the first column converges slowest.**")
    assert f"after 20 steps {100 * m1[20] / m1[0]:.0f}% of its error is still there" in said, (m1[20] / m1[0], said)
    assert f"the fourth column (factor 0.079) keeps {100 * m4[4] / m4[0]:.3f}% of its error after four steps" in said, said
    (fig,) = figures(cell_with(executed(NB), "rate_figure(&rates)"))
    (rate,) = [float(t["name"].split("rate ")[1]) for t in fig["data"] if t["name"].startswith("λ = 16.0000: measured")]
    assert f"(factor {rate:.3f})" in said and "gone" not in said


def sweep():
    (fig,) = figures(cell_with(executed(NB), "sweep_figure(&sweep, bound)"))
    return {t["name"]: list(zip(t["x"], t["y"])) for t in fig["data"]}


def test_the_sweep_plots_the_loss_at_the_last_step_or_where_a_diverging_run_stopped():
    traces = sweep()
    ok, bad = traces["converging: loss at the last step"], traces["diverged: loss where the run stopped"]
    assert ok and bad and max(lr for lr, _ in ok) < 1 < min(lr for lr, _ in bad), traces.keys()
    said = prose("We sweep the learning rate")
    assert "from 0.01 to 1.3 and plot the loss at the last step (for a run that diverges, the loss where it was stopped)." in said
    assert abs(min(lr for lr, _ in ok) - 0.01) < 1e-12 and abs(max(lr for lr, _ in bad) - 1.3) < 1e-12
    # "At the last step": the loss before the last update, after steps − 1 of them, as the theory gives it
    # (and not after all of them). Near the best rate, where the fast columns are gone and float32's last digits
    # do not matter yet.
    norms, steps = start_norms(), int(parameter("steps"))
    near = [(lr, loss) for lr, loss in ok if lr > 0.4]
    assert len(near) >= 3
    assert all(abs(model_loss(lr, steps - 1, norms) / loss - 1) < 0.02 for lr, loss in near), near
    assert not all(abs(model_loss(lr, steps, norms) / loss - 1) < 0.02 for lr, loss in near)


def test_over_100_steps_a_rate_below_16_17_ends_lower():
    traces, norms, steps = sweep(), start_norms(), int(parameter("steps"))
    said = prose("The best rate in the long run")
    assert "`1 − lr/8 = 2·lr − 1`, at lr = 16/17 ≈ 0.94" in said and abs((1 - (16 / 17) / 8) - (2 * 16 / 17 - 1)) < 1e-15
    # The plot's lowest point, below 16/17, and lower than the loss at 16/17 (the theory, checked above against the plot).
    lr_low, loss_low = min(traces["converging: loss at the last step"], key=lambda p: p[1])
    assert lr_low < 16 / 17 and f"(the plot's lowest point is at lr = {lr_low:.2f})" in said, (lr_low, said)
    at_best = model_loss(16 / 17, steps - 1, norms)
    assert loss_low < at_best / 3, (loss_low, at_best)
    # Column 4 starts with 3.3 times column 1's error, and at 16/17 still holds most of what is left.
    assert f"at 16/17 column 4, which starts with {norms[16.0] / norms[1.0]:.1f} times column 1's error, still holds most" in said
    assert model_loss(16 / 17, steps - 1, {16.0: norms[16.0]}) > at_best / 2
    # Lowering the rate by δ: |1 − 2·lr·16/16| = 2·lr − 1 falls by 2δ, 1 − 2·lr·1/16 rises by δ/8.
    assert "lowering the rate by δ cuts column 4's factor by 2δ while it raises column 1's by only δ/8" in said


def test_several_rates_tie_in_exercise_4_4_and_16_17_is_not_among_them():
    nb = executed(NB)
    (answer,) = [float(text_of(c)) for n, c in zip(exercises_of(nb), solution_cells(nb)) if n == "4.4"]
    norms, tolerance = start_norms(), parameter("tolerance")

    def steps_to(lr):
        return next(t for t in range(5000) if model_loss(lr, t, norms) <= tolerance)

    rates = [k / 1000 for k in range(500, 1000)]
    fewest = min(steps_to(lr) for lr in rates)
    ties = [lr for lr in rates if steps_to(lr) == fewest]
    assert len(ties) >= 5 and answer in ties and steps_to(16 / 17) > fewest + 2, (ties, answer)
    said = prose("### Exercise 4.4")
    assert "Which learning rates bring the loss" in said and "Several tie; measure them and give one." in said, said
    assert "Is the theory's best rate in the long run, `N/(λ_min + λ_max)`, among them?" in said


def test_inverse_is_accurate_at_once_not_exact():
    printed = output_of("let h4 = hilbert(4);")
    largest = re.search(r"inverse of Hilbert 4: largest entry of X·M − I ([\d.e+-]+)", printed).group(1)
    assert 0 < float(largest) < 1e-10, printed
    said = prose("By the `predicted` column")
    assert f"while `inverse` (an LU solve) gets there at once: the largest entry of its `X·M − I` is {largest}." in said
    assert "exact" not in said


def test_exercise_4_2_solution_says_mean():
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    (cell,) = [c for n, c in zip(exercises_of(nb), solution_cells(nb)) if n == "4.2"]
    assert "the loss is a mean of squared errors" in cell.source and "sum of squared" not in cell.source
    assert "(The loss is a mean of squared errors.)" in prose("### Exercise 4.2 (predict)")
    # The check's hint, which the student edition prints, says the same.
    student = text_of(cell_with(executed(NB, nbtest.STUDENT), "check::ex_04_2("))
    assert "the loss is a mean of squared errors" in student and "sum of squared" not in student, student
