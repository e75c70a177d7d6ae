"""Parity with the original notebook's printed outputs and the torch fixtures."""
import os
import re
import struct

import nbformat
import pytest

from nbtest import COMMITTED_REFERENCE, FIXTURES, LOOP, REFERENCE, ROOT, SHARED_REFERENCE, assert_same_numbers, cell_with, executed, figures, reference_loop, reference_loop_lines, reference_tensor, text_of, tokens


def test_the_committed_reference_is_the_shared_one():
    if not SHARED_REFERENCE.exists():
        assert os.environ.get("CI") != "true", f"CI runs beside shared/, but {SHARED_REFERENCE} is missing"
        pytest.skip("no shared/ beside this checkout; the committed copy is used")
    assert COMMITTED_REFERENCE.read_text() == SHARED_REFERENCE.read_text()


def test_reference_parses():
    assert len(reference_tensor("In [25]:")) == 16
    loop = reference_loop()
    assert [s for s, _, _ in loop] == [0, 20, 40, 60, 80]
    assert all(len(d) == 16 for _, _, d in loop)


def test_y_hat_matches_the_original():
    assert_same_numbers(text_of(cell_with(executed("01_matrix_inverse.ipynb"), "let y_hat")),
                        reference_tensor("In [25]:"), "Y_hat")


def test_gradient_matches_the_original():
    assert_same_numbers(text_of(cell_with(executed("01_matrix_inverse.ipynb"), "mse_grad(")),
                        reference_tensor("In [29]:"), "random_inverse.grad")


def test_inverse_and_check_match_the_original():
    nb = executed("01_matrix_inverse.ipynb")
    assert_same_numbers(text_of(cell_with(nb, "let inv = inverse")), reference_tensor("In [21]:"), "inverse")
    assert_same_numbers(text_of(cell_with(nb, "inv.dot(&m1234)")), reference_tensor("In [22]:"), "inverse @ M1234")


def test_the_update_loop_is_written_out():
    source = cell_with(executed("01_matrix_inverse.ipynb"), LOOP).source
    assert "InverseDescent" not in source
    for call in ["mse(&y_true, &y_hat)", "mse_grad(", "losses.push(loss)", "random_inverse -="]:
        assert call in source, f"the loop cell lacks {call}"


def test_loop_prints_the_original_difference_lines_char_for_char_and_its_losses():
    printed = text_of(cell_with(executed("01_matrix_inverse.ipynb"), LOOP)).splitlines()
    want = reference_loop_lines()
    want_diff = [l for l in want if l.startswith(("[[", " ["))]
    got_diff = [l for l in printed if l.startswith(("[[", " ["))]
    assert len(want_diff) == 20
    assert got_diff == want_diff
    want_losses = [re.match(r"^(\d+) : tensor\(([^,]+),", l).groups() for l in want if " : tensor" in l]
    got_losses = [re.match(r"^(\d+) : (\S+)$", l).groups() for l in printed if re.match(r"^\d+ : ", l)]
    assert got_losses == want_losses, "the steps and the digits torch printed"


def test_the_loop_losses_are_torchs_bit_for_bit():
    """The loss line is drawn from the loop's own `losses`; its 100 values are torch's float32s."""
    cell = cell_with(executed("01_matrix_inverse.ipynb"), "frame_line(&df")
    (fig,) = figures(cell)
    got = fig["data"][0]["y"]
    want = FIXTURES["original_loop"]["losses"]
    assert len(got) == len(want) == 100
    # The plot carries the float32 losses widened to float64; evcxr_jupyter re-parses the JSON
    # without round-trip precision, which can move the last bit of the float64, never of the
    # float32 it came from. So compare float32 bit patterns.
    as_f32 = lambda v: struct.unpack("<I", struct.pack("<f", v))[0]
    assert [as_f32(v) for v in got] == [as_f32(v) for v in want]


def test_inverse_descent_is_the_same_loop_as_one_call():
    printed = text_of(cell_with(executed("01_matrix_inverse.ipynb"), "history.losses == losses"))
    assert printed.strip() == "true"


def test_each_code_cell_of_01_is_preceded_by_the_pytorch_it_stands_for():
    nb = nbformat.read(ROOT / "notebooks/01_matrix_inverse.ipynb", as_version=4)
    cells = nb.cells
    quoted = {"let m1234": "torch.diag", "let inv =": "torch.inverse", "inv.dot": "inverse @ M1234",
              "let y_hat": "random_inverse @ M1234", "mse_grad(&random_inverse": "loss.backward()",
              LOOP: "random_inverse.sub_(lr * random_inverse.grad)", "losses_frame(": "pd.DataFrame",
              "indicator_matrix(": "rand(size=[number_of_documents"}
    exercises = next(i for i, c in enumerate(cells) if c.source.startswith("## Exercises"))
    for i, cell in enumerate(cells[:exercises]):  # the exercises are ours
        if cell.cell_type != "code" or i == 0:
            continue
        before = cells[i - 1]
        shared_view = "ColorRange::Shared" in cell.source or "history.losses == losses" in cell.source
        if shared_view:  # an addition of ours, introduced in prose
            continue
        assert before.cell_type == "markdown" and "```python" in before.source, f"cell {i} has no PyTorch quote"
        for snippet, torch in quoted.items():
            if snippet in cell.source:
                assert torch in before.source, f"cell {i} ({snippet}) should quote {torch!r}"


def test_indicator_matches_the_original():
    want = tokens(REFERENCE[REFERENCE.index("indicator = ("):].split("dtype")[0].split("indicator\n", 1)[1])
    assert len(want) == 51
    assert_same_numbers(text_of(cell_with(executed("01_matrix_inverse.ipynb"), "indicator_matrix(")), want, "indicator")
