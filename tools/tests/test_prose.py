"""Every figure the prose states about a run is the one that run printed."""
import functools
import math
import re

import nbformat

from nbtest import ROOT, STUDENT, cell_with, executed, figures, output_of, prose, text_of, tokens


def test_01_the_numbers_shrink_about_300_fold():
    text = output_of("01_matrix_inverse.ipynb", "diff_heatmaps(&snapshots, ColorRange::PerPanel)")
    fold = float(re.search(r": (\d+)-fold", text).group(1))
    said = float(re.search(r"about (\d+)-fold", prose("01_matrix_inverse.ipynb", "-fold from step 0")).group(1))
    assert abs(fold - said) / said < 0.1, f"printed {fold}, the prose says about {said}"


def test_01_the_loss_line_bends_from_0_21_to_0_888():
    text = output_of("01_matrix_inverse.ipynb", 'frame_line(&df, "losses")?')
    first, later = re.search(r"step 1 to step 0: ([\d.]+); step 21 to step 20: ([\d.]+)", text).groups()
    said = prose("01_matrix_inverse.ipynb", "it bends")
    assert f"from {first} at the first step to {later}" in said, (first, later)


# A notebook named in prose: "notebook 03", or its file's stem, `03_indicator_matrix`.
NAMED = re.compile(r"\bnotebooks? (\d\d)\b|`(\d\d_[a-z_]+)`")


def named_notebooks(text):
    return [number or stem for number, stem in NAMED.findall(text)]


def test_named_finds_numbers_and_stems():
    assert named_notebooks("Where next: notebook 03 and `04_convergence`, as notebooks 05 does") == ["03", "04_convergence", "05"]


def test_every_notebook_ends_by_pointing_to_the_next_one_by_its_present_name():
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    stems = {p.stem for p in paths}
    for k, path in enumerate(paths):
        last = nbformat.read(path, as_version=4).cells[-1]
        assert last.cell_type == "markdown" and last.source.startswith("Where next:"), f"{path.name} ends with {last.source[:80]!r}"
        named = named_notebooks(last.source)
        for name in named:
            assert name in stems or any(s.startswith(name + "_") for s in stems), f"{path.name} names {name}, which is not a notebook"
        if k + 1 < len(paths):
            following = paths[k + 1].stem
            assert named and (named[0] == following or following.startswith(named[0] + "_")), (
                f"{path.name}'s 'Where next' first names {named[:1]}, not the next notebook, {following}")
        else:
            assert all(n[:2] <= path.stem[:2] for n in named), f"the last notebook points past the course: {named}"


# Notebook 01's column-by-column claims, from the run: the start's error (Y_hat − I, printed) and
# the rate (printed); each column's error is multiplied by 1 − 2·lr·m²/16 at every step.
NB01 = "01_matrix_inverse.ipynb"
DIAGONAL = [1, 2, 3, 4]


@functools.cache
def start_error():
    y_hat = [float(t) for t in tokens(output_of(NB01, "let y_hat"))]
    assert len(y_hat) == 16
    return [[y_hat[4 * i + j] - (i == j) for j in range(4)] for i in range(4)]


@functools.cache
def lesson_lr():
    return float(output_of(NB01, "lesson_lr(); steps"))


def column_factors():
    return [1 - 2 * lesson_lr() * m * m / 16 for m in DIAGONAL]


def column_losses(step):
    """Each column's part of the loss at `step`, by the per-column factors."""
    error, factors = start_error(), column_factors()
    return [sum(error[i][j] ** 2 for i in range(4)) / 16 * factors[j] ** (2 * step) for j in range(4)]


def test_01_the_column_model_is_the_run():
    """The model the next tests read the columns from gives the run's 100 losses (to 3e-5: Y_hat is printed to 4 decimals)."""
    (fig,) = figures(cell_with(executed(NB01), 'frame_line(&df, "losses")?'))
    losses = fig["data"][0]["y"]
    assert len(losses) == 100
    for step, loss in enumerate(losses):
        assert abs(sum(column_losses(step)) / loss - 1) < 3e-5, (step, sum(column_losses(step)), loss)


def test_01_the_fast_columns_leave_the_loss_by_the_steps_quoted():
    def share(step, columns):
        parts = column_losses(step)
        return sum(parts[c - 1] for c in columns) / sum(parts)
    three_four = next(t for t in range(100) if share(t, [3, 4]) < 0.01)
    two = next(t for t in range(100) if share(t, [2]) < 0.01)
    said = prose(NB01, "it bends")
    assert f"by step {three_four} columns 3 and 4 hold less than 1% of the loss, and by step {two} column 2 does too" in said, (three_four, two)
    # The shares only fall from then on, and the first column is what is left.
    assert all(share(t, [3, 4]) < 0.01 for t in range(three_four, 100)) and all(share(t, [2]) < 0.01 for t in range(two, 100))
    assert share(20, [1]) > 0.99
    # Its factor, squared for the loss, is the 0.888 that the cell prints from step 20 on.
    first = column_factors()[0]
    later = float(re.search(r"step 21 to step 20: ([\d.]+)", output_of(NB01, 'frame_line(&df, "losses")?')).group(1))
    assert f"whose factor, {first:.3f} for its error and so {first:.3f}² ≈ {later:.3f} for the loss" in said, (first, later)
    assert abs(first ** 2 - later) < 5e-4
    assert "fast directions of the error are gone after a few steps" not in said


def test_01_the_first_columns_gradient_is_the_weakest_for_the_same_error():
    error = start_error()
    grad = [float(t) for t in tokens(output_of(NB01, "let grad = mse_grad(&random_inverse"))]
    assert len(grad) == 16
    # Per unit of error, the printed gradient is 2·m/16 in column m: smallest in the first column.
    per_unit = [[grad[4 * i + j] / error[i][j] for i in range(4) if abs(error[i][j]) > 0.05] for j in range(4)]
    for m, ratios in zip(DIAGONAL, per_unit, strict=True):
        assert ratios and all(abs(r - 2 * m / 16) < 2e-3 for r in ratios), (m, ratios)
    said = prose(NB01, "The first column shrinks slowest")
    assert "for the same error its gradient is the weakest" in said
    factors = column_factors()
    assert f"keeps `1 − 2·lr·1²/16 ≈ {factors[0]:.3f}` of its error" in said, factors
    assert f"keeps only `1 − 2·lr·4²/16 ≈ {factors[3]:.3f}`" in said, factors
    assert "so its gradient is the weakest" not in said


def test_01_inverse_is_exact_up_to_rounding():
    printed = [float(t) for t in tokens(output_of(NB01, "let inv = inverse"))]
    for k, value in enumerate(printed):
        i, j = divmod(k, 4)
        want = 1 / DIAGONAL[i] if i == j else 0.0
        assert abs(value - want) <= 5e-5, (i, j, value)
    product = [float(t) for t in tokens(output_of(NB01, "inv.dot(&m1234)"))]
    assert product == [float(i == j) for i in range(4) for j in range(4)], product
    said = prose(NB01, "plays the part of `torch.inverse`")
    assert "a direct solve by LU factorisation, not an iteration, so it is exact up to rounding" in said
    assert "an exact LU solve" not in said


def test_01_the_cells_the_original_lacks_are_the_ones_the_opening_names():
    nb = nbformat.read(ROOT / "notebooks" / NB01, as_version=4)
    cells = nb.cells
    exercises = next(i for i, c in enumerate(cells) if c.source.startswith("## Exercises"))
    ours = [i for i, c in enumerate(cells[:exercises]) if c.cell_type == "code" and i > 1
            and "```python" not in cells[i - 1].source]
    said = prose(NB01, "# Matrix inverse by gradient descent")
    words = {1: "One", 2: "Two", 3: "Three"}
    assert f"{words[len(ours)]} lesson cells are ours, a second view of the errors and the loop as one call, and so are the exercises at the end" in said, ours
    # A second view of the errors, and the loop as one call, each introduced by what it adds.
    assert "ColorRange::Shared" in cells[ours[0]].source and "answer another question" in cells[ours[0] - 1].source
    assert "InverseDescent::new" in cells[ours[1]].source and "`InverseDescent` runs exactly this loop" in cells[ours[1] - 1].source
    assert all("```python" not in c.source for c in cells[exercises:])
    assert "Every code cell of the lesson mirrors a cell of the original" in said


def test_01_exercise_1_2_says_length_times_slope():
    """A step −lr·g has length lr·‖g‖, and the loss falls along it at the slope ‖g‖ (per unit length)."""
    error = start_error()
    grad = [float(t) for t in tokens(output_of(NB01, "let grad = mse_grad(&random_inverse"))]
    norm = math.sqrt(sum(g * g for g in grad))
    # The start, X = Y_hat·M⁻¹, and the loss along the unit direction −g/‖g‖: its slope by a central difference.
    x = [[(error[i][j] + (i == j)) / DIAGONAL[j] for j in range(4)] for i in range(4)]

    def loss_along(t):
        return sum(((x[i][j] - t * grad[4 * i + j] / norm) * DIAGONAL[j] - (i == j)) ** 2 for i in range(4) for j in range(4)) / 16
    slope = (loss_along(-1e-5) - loss_along(1e-5)) / 2e-5
    assert abs(slope - norm) < 1e-3 * norm, (slope, norm)
    said = prose(NB01, "### Exercise 1.2 (predict)")
    assert "A small step `−lr·grad` lowers the loss by about `lr·‖grad‖²`: its length, `lr·‖grad‖`, times the slope\nalong it, `‖grad‖`" in said
    assert "step of length `lr`" not in said
    # The hint the student edition prints says the same.
    student = text_of(cell_with(executed(NB01, STUDENT), "check::ex_01_2("))
    assert "a small step −lr·g lowers the loss by about its length, lr·‖g‖, times the slope along it, ‖g‖" in student, student
