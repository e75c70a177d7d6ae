"""Notebook 02, where the gradient comes from: the tape against torch, and finite differences
against the error model that the notebook states."""
import re
import struct

import nbformat

from nbtest import FIXTURES, ROOT, assert_same_numbers, cell_with, executed, figures, real, reference_tensor, text_of

NB = "02_gradients.ipynb"


def left_and_right(text):
    """The numbers of a `beside(left, right)` printout, split into its two halves."""
    rows = [l for l in text.splitlines() if l.lstrip().startswith("[")]
    halves = [re.split(r"\],?\s{2,}\[", r.strip(), maxsplit=1) for r in rows]
    assert all(len(h) == 2 for h in halves), rows
    num = re.compile(r"-?\d+\.\d*(?:e[-+]\d+)?")
    return [float(v) for h in halves for v in num.findall(h[0])], [float(v) for h in halves for v in num.findall(h[1])]


def as_f32(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]


def test_each_line_of_the_chain_rule_is_the_tapes():
    text = text_of(cell_with(executed(NB), "d.retain_grad();"))
    assert re.findall(r"by hand \| the tape: equal (\w+)", text) == ["true"] * 3, text
    assert "and the last line is mse_grad's formula: true" in text


def test_the_tape_visits_the_nodes_in_torchs_order_and_gives_the_originals_gradient():
    text = text_of(cell_with(executed(NB), "loss.tape()"))
    assert "backward visits: MeanBackward0 → PowBackward0 → SubBackward0 → MmBackward0 → AccumulateGrad" in text
    assert "equal to mse_grad, bit for bit: true" in text
    matrix = text[text.index("[["):]
    assert_same_numbers(matrix, reference_tensor("In [29]:"), "random_inverse.grad")


def test_two_backward_passes_give_exactly_twice_the_gradient():
    text = text_of(cell_with(executed(NB), "let twice = x.grad()"))
    assert "after two backward passes: exactly 2 × the first: true" in text
    assert "after zero_grad and one more pass: the first again: true" in text
    once, twice = left_and_right(text)
    want = [case for case in FIXTURES["autograd"] if case["name"] == "diag1234" and case["seed"] == 314][0]["grad"]
    assert len(once) == len(twice) == len(want) == 16
    for o, t, w in zip(once, twice, want, strict=True):
        assert abs(o - w) <= 5e-5 * max(abs(w), 1e-3), (o, w)  # printed to 5 digits
        assert abs(t - 2 * w) <= 1e-4 * max(abs(w), 1e-3), (t, 2 * w)


def test_the_loop_without_zero_grad_gives_torchs_losses_and_the_original_loop_its_own():
    (fig,) = figures(cell_with(executed(NB), "without_zero64"))
    traces = {t["name"]: t["y"] for t in fig["data"]}
    without, with_zero = traces["without grad.zero_()"], traces["with grad.zero_() (the original)"]
    for got, want in [(without, FIXTURES["no_zero_loop"]["losses"]), (with_zero, FIXTURES["original_loop"]["losses"])]:
        assert len(got) == len(want) == 100
        assert [as_f32(v) for v in got] == [as_f32(v) for v in want]
    assert fig["layout"]["yaxis"]["type"] == "log"


def test_the_prose_quotes_the_loop_without_zero_grad():
    text = text_of(cell_with(executed(NB), "let without_zero = tape_descent("))
    first = re.search(r"the first losses: ([\d., ]+) …", text).group(1)
    last, original = re.search(r"at step 99, the last of 100: ([\d.]+) without zero_grad, (\S+) with it", text).groups()
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    said = [c.source for c in nb.cells if c.cell_type == "markdown" and "Without `zero_()` the loss swings" in c.source]
    assert len(said) == 1
    assert f"swings: {first}, …" in said[0], (first, said[0][:200])
    assert f"still {float(last):.2f}," in said[0] and f"reaches {float(original):.1e}" in said[0]


def test_the_measured_bottoms_lie_within_a_factor_of_10_of_the_predicted_h():
    text = text_of(cell_with(executed(NB), "measured_best(&hs, &forward)"))
    for curve in ["forward, quadratic", "central, quartic"]:
        measured = real(rf"{curve}: measured bottom at h = (\S+),", text)
        predicted = real(rf"{curve}: measured bottom at h = \S+, predicted (\S+)", text)
        assert predicted / 10 <= measured <= predicted * 10, (curve, measured, predicted)
    predicted = text_of(cell_with(executed(NB), "let forward_best = best_step("))
    assert real(r"best near h = (\S+)\n", predicted) == real(r"forward, quadratic: measured bottom at h = \S+, predicted (\S+)", text)


def test_the_quadratic_central_difference_has_no_truncation():
    nb = executed(NB)
    text = text_of(cell_with(nb, "measured_best(&hs, &forward)"))
    assert real(r"central, quadratic: error (\S+) at h = 1e-1", text) < 1e-9
    (fig,) = figures(cell_with(nb, "Finite differences in float64"))
    central = fig["data"][0]
    assert central["name"].startswith("central, quadratic")
    assert abs(central["x"][-1] - 0.1) < 1e-12 and central["y"][-1] < 1e-9
    # The error falls as h grows (rounding only): the last point is below the first by 1e10 or more.
    assert central["y"][0] / central["y"][-1] > 1e10


def test_the_sweep_figures_mark_each_predicted_bottom():
    nb = executed(NB)
    for snippet, marked in [("Finite differences in float64", 2), ("Finite differences in float32", 1)]:
        (fig,) = figures(cell_with(nb, snippet))
        assert fig["layout"]["xaxis"]["type"] == "log" and fig["layout"]["yaxis"]["type"] == "log"
        shapes = fig["layout"]["shapes"]
        assert len(shapes) == marked and all(s["line"]["dash"] == "dash" for s in shapes)
        notes = [a["text"] for a in fig["layout"]["annotations"]]
        assert len(notes) == marked and all(n.startswith("predicted h = ") for n in notes)


def test_float32_differences_are_far_worse_than_float64():
    text = text_of(cell_with(executed(NB), "central32.push("))
    f32_forward, f32_central, f64_forward, f64_central = (float(v) for v in re.search(
        r"float32 forward (\S+) and central (\S+), against float64 (\S+) and (\S+)", text).groups())
    assert f32_forward > 1e3 * f64_forward and f32_central > 1e3 * f64_central
    measured = real(r"forward, float32: measured bottom at h = (\S+),", text)
    predicted = real(r"forward, float32: measured bottom at h = \S+, predicted (\S+)", text)
    assert predicted / 10 <= measured <= predicted * 10


def test_a_wrong_gradient_is_caught():
    text = text_of(cell_with(executed(NB), "let not_transposed"))
    assert real(r"the tape's gradient:\s+largest relative error (\S+)", text) < 1e-7
    assert real(r"M in place of Mᵀ:\s+largest relative error (\S+)", text) > 1e-2
    assert real(r"2/N dropped:\s+largest relative error (\S+)", text) > 1e-2


def test_the_ridge_lands_on_its_predicted_shrunk_answer():
    nb = executed(NB)
    params = cell_with(nb, "let lambda: f64").source
    lam = float(re.search(r"let lambda: f64 = ([\d.]+);", params).group(1))
    text = text_of(cell_with(nb, "let ridge = {"))
    assert real(r"largest difference from the prediction: (\S+)", text) < 1e-9
    ours, predicted = left_and_right(text)
    diagonal = [ours[5 * k] for k in range(4)]
    for got, m in zip(diagonal, [1, 2, 3, 4], strict=True):
        assert abs(got - m * m / (m * m + lam)) < 1e-4, (got, m)
    assert max(abs(a - b) for a, b in zip(ours, predicted, strict=True)) < 1e-4


def test_each_lesson_cell_quotes_the_pytorch_it_stands_for():
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    exercises = next(i for i, c in enumerate(nb.cells) if "## Exercises" in c.source)
    for i, cell in enumerate(nb.cells[:exercises]):
        if cell.cell_type != "code" or i == 0 or "parameters" in cell.metadata.get("tags", []):
            continue
        before = nb.cells[i - 1]
        assert before.cell_type == "markdown" and "```python" in before.source, f"cell {i} has no PyTorch quote"


def test_01_shows_the_tape_giving_mse_grads_numbers():
    text = text_of(cell_with(executed("01_matrix_inverse.ipynb"), "loss.backward()?;"))
    assert text.strip() == "true"
