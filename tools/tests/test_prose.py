"""Every figure the prose states about a run is the one that run printed."""
import re

import nbformat

from nbtest import ROOT, cell_with, executed, text_of


def prose(name, snippet):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    found = [c.source for c in nb.cells if c.cell_type == "markdown" and snippet in c.source]
    assert len(found) == 1, f"{name}: {snippet!r} in {len(found)} markdown cells"
    return found[0]


def output_of(name, snippet):
    return text_of(cell_with(executed(name), snippet))


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


def test_04_quotes_the_predicted_column_for_hilbert_3_and_4():
    text = output_of("04_convergence.ipynb", "for case in &study[2..]")
    said = prose("04_convergence.ipynb", "By the `predicted` column")
    for n in ("3", "4"):
        millions = re.search(rf"Hilbert {n}: ([\d.]+) million", text).group(1)
        assert f"Hilbert {n} would need about {millions} million" in said or f"Hilbert {n} about {millions} million" in said, (n, millions, said)


def test_05_the_least_stable_beta_and_the_diverging_slider_values():
    nb = "05_optimizers.ipynb"
    text = output_of(nb, "let least_beta")
    least, unstable = re.search(r"stable for β > ([\d.]+): (\d+) of the", text).groups()
    said = prose(nb, "## Drag the momentum")
    words = {"5": "five", "6": "six", "7": "seven"}
    assert f"= {least}" in said and f"the first {words[unstable]} values" in said, (least, unstable)
    assert "1.28" in said and "lr = 1.2800" in output_of(nb, "let hb = heavy_ball_tuning(")
    assert f"β must exceed {least}" in prose(nb, "Note the heavy ball's learning rate")


def test_05_adams_first_steps_are_not_fast():
    text = output_of("05_optimizers.ipynb", "let adam_start")
    adam, sgd = re.search(r"Adam \(lr 0.1\) ([\d.]+), plain descent \(lr [\d.]+\) ([\d.]+)", text).groups()
    said = prose("05_optimizers.ipynb", "**Why Adam is slow here.**")
    assert f"its loss is {adam}, against {sgd}" in said, (adam, sgd)
    assert float(adam) > float(sgd)
