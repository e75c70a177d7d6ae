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
    assert f"column 4 to {sci(m4[-1], 0)}, where float32 runs out of numbers" in said, (m4[-1], said)
    assert m4[-1] < 1e-44 and m4[-1] / (2.0 ** -149) < 8, "a few of float32's smallest numbers"
    # "out of the picture": the y axis stops above both.
    low = 10 ** fig["layout"]["yaxis"]["range"][0]
    assert m3[-1] < low and m4[-1] < low < 1e-7 < m2[-1]


def test_the_float32_story_of_the_diagonal():
    said = prose("Why column 2 stops and columns 3 and 4 do not")
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


def test_04_ends_by_pointing_to_05():
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    last = nb.cells[-1].source
    assert last.startswith("Where next: notebook 05, `05_optimizers`"), last
    title = nbformat.read(ROOT / "notebooks/05_optimizers.ipynb", as_version=4).cells[0].source.splitlines()[0]
    for name in ("momentum", "Nesterov", "Adam", "RMSprop", "Adagrad"):
        assert name in title and name in last, (name, title)
