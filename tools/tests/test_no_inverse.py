"""Notebook 03, when there is no inverse: the runs it prints against the theory it states."""
import re

import nbformat

from nbtest import ROOT, cell_with, executed, figures, real, text_of

NB = "03_indicator_matrix.ipynb"


def test_the_left_inverse_is_the_loop_of_01_written_out():
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    loop = cell_with(nb, "for t in 0..steps {").source
    for line in ["let y_hat = x.dot(&af);", "let loss = mse(&eye3, &y_hat);", "let grad = mse_grad(&x, &af, &eye3);",
                 "x -= &(lr as f32 * &grad);"]:
        assert line in loop, f"the loop lacks {line!r}"
    assert "InverseDescent" not in loop


def test_inverse_refuses_the_indicator_as_not_square():
    printed = text_of(cell_with(executed(NB), "inverse(&af).unwrap_err()"))
    assert "must be square" in printed and "(17, 3)" in printed, printed


def test_from_zeros_descent_ends_on_the_pseudo_inverse_and_from_rand_elsewhere():
    printed = text_of(cell_with(executed(NB), "let from_zeros"))
    assert real(r"from zeros:.*‖X − A⁺‖ = ([\d.e+-]+)", printed) < 1e-5
    # From the random start the loss is as small, but X is far from A⁺.
    assert real(r"from torch.rand:\s+loss ([\d.e+-]+)", printed) < 1e-12
    assert real(r"from torch.rand:.*‖X − A⁺‖ = ([\d.e+-]+)", printed) > 1.0


def test_the_rand_start_run_ends_on_the_predicted_matrix():
    printed = text_of(cell_with(executed(NB), "let predicted = predicted_limit("))
    assert real(r"‖X − predicted‖ = ([\d.e+-]+)", printed) < 1e-4
    away, fixed = re.search(r"‖X − A⁺‖ = ([\d.]+), ‖X₀·\(I − A·A⁺\)‖ = ([\d.]+)", printed).groups()
    assert away == fixed, printed


def test_empty_documents_keep_their_start():
    printed = text_of(cell_with(executed(NB), "let empty: Vec<usize>"))
    assert real(r"total change in their columns of X: ([\d.e+-]+)", printed) == 0.0
    assert real(r"(\d+) of 17 documents hold no word", printed) > 0


def test_the_measured_floors_equal_the_predicted_ones():
    nb = executed(NB)
    predicted = real(r"predicted floor \(17 − 3\)/17² = ([\d.]+)", text_of(cell_with(nb, "let floor_right")))
    assert abs(predicted - 14 / 289) < 1e-6
    measured = real(r"measured floor: ([\d.]+)", text_of(cell_with(nb, "let right = InverseDescent")))
    assert abs(measured - predicted) < 1e-6
    twins = text_of(cell_with(nb, "let run_twins"))
    want, got = real(r"predicted floor ([\d.]+)", twins), real(r"measured ([\d.]+)", twins)
    assert abs(want - 1 / 16) < 1e-6 and abs(got - want) < 1e-6, twins


def test_the_pace_is_the_smallest_eigenvalues():
    printed = text_of(cell_with(executed(NB), "let ev = gram_eigenvalues("))
    predicted = real(r"predicted from λ_min: ([\d.]+)", printed)
    measured = real(r"measured over steps 40–60: ([\d.]+)", printed)
    assert abs(measured - predicted) / predicted < 0.05, printed


def test_the_wide_heatmaps_are_stacked():
    cell = cell_with(executed(NB), "matrix_heatmaps(")
    (fig,) = figures(cell)
    assert fig["layout"]["grid"]["rows"] == 2 and fig["layout"]["grid"]["columns"] == 1
    assert len({t["zmax"] for t in fig["data"]}) == 1, "one colour range: equal colours are equal values"
