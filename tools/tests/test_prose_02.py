"""Notebook 02: each sentence that states a number or a behaviour of the run, tied to what the run
printed. A sentence can be wrong without a wrong digit ("the swings die out", "x + h rounds back to
x"), so these tests also check the behaviour that the sentence names."""
import functools
import math
import re

import nbformat

import nbtest
from nbtest import ROOT, cell_with, executed, figures, solution_cells, text_of, tokens

NB = "02_gradients.ipynb"


prose = functools.partial(nbtest.prose, NB)
output_of = functools.partial(nbtest.output_of, NB)


def test_the_summed_gradients_roots_lie_on_the_unit_circle():
    text = output_of("σ² − b·σ + 1 = 0")
    rows = re.findall(r"m = (\d): lr·c = ([\d.]+), σ = ([\d.-]+) ± ([\d.]+)i, \|σ\| = ([\d.]+)", text)
    assert [m for m, *_ in rows] == ["1", "2", "3", "4"], text
    for _, lr_c, re_, im, modulus in rows:
        # Complex roots (lr·c < 4), and of modulus 1, as the prose says.
        assert 0 < float(lr_c) < 4 and float(im) > 0, (lr_c, im)
        assert abs(float(modulus) - 1) < 1e-6, modulus
        # The printed parts are the roots of σ² − (2 − lr·c)σ + 1 = 0.
        b = 2 - float(lr_c)
        assert abs(float(re_) - b / 2) < 1e-4 and abs(float(im) - math.sqrt(4 - b * b) / 2) < 1e-4
    said = prose("**The swings never die out.**")
    assert "while lr·c < 4 they are complex conjugates" in said and "both lie on the unit circle" in said


def test_the_swings_never_die_out_in_3000_steps():
    text = output_of("tape_descent(&start, &m_t, &y_t, lr, 3000, false)")
    lines = {}
    for name, block in re.findall(r"the (lowest|highest) loss in each window of 100 steps, ten windows a line:\n((?:  steps.*\n?)+)", text):
        rows = re.findall(r"steps +(\d+) to +(\d+): ([\d. ]+) \(mean ([\d.]+)\)", block)
        assert [(int(a), int(b)) for a, b, _, _ in rows] == [(0, 999), (1000, 1999), (2000, 2999)], block
        values = [[float(v) for v in ten.split()] for _, _, ten, _ in rows]
        assert all(len(ten) == 10 for ten in values), block
        # Each printed mean is the mean of its line (the line's numbers are rounded to 4 decimals).
        for ten, (_, _, _, mean) in zip(values, rows, strict=True):
            assert abs(sum(ten) / 10 - float(mean)) <= 6e-4, (ten, mean)
        lines[name] = ([v for ten in values for v in ten], [mean for *_, mean in rows])
    (lows, low_means), (highs, high_means) = lines["lowest"], lines["highest"]
    assert len(lows) == len(highs) == 30, text
    low, high = re.search(r"in each of the 30 windows it falls to ([\d.]+) or below and climbs to ([\d.]+) or above", text).groups()
    assert (float(low), float(high)) == (max(lows), min(highs)), (low, high)
    said = prose("In every window of 100 steps")
    assert f"falls to {low} or below and climbs to {high} or above" in said, (low, high)
    assert "up to step 3000" in said and "have not shrunk" in said
    # Not shrunk: the last window swings over at least as wide a range as the first, less 10 %.
    assert highs[-1] - lows[-1] >= 0.9 * (highs[0] - lows[0]), (lows, highs)
    assert float(low) < 0.5 * float(high)
    # The lows wander with no trend: a straight line fitted to the 30 lows rises or falls by less
    # than a quarter of their spread over the run, and the quoted means are the printed ones.
    spread = max(lows) - min(lows)
    k_mean, low_mean = 14.5, sum(lows) / 30
    slope = sum((k - k_mean) * (v - low_mean) for k, v in enumerate(lows)) / sum((k - k_mean) ** 2 for k in range(30))
    assert abs(slope * 29) < 0.25 * spread, (slope, spread)
    assert (f"The lows wander between {min(lows):.4f} and {max(lows):.4f} with no trend: their means on the three lines are "
            f"{low_means[0]}, {low_means[1]} and {low_means[2]}.") in said
    # The highs: their range, and their three means within about 2 % of each other.
    assert f"The highs stay between {min(highs):.4f} and {max(highs):.4f}, their means on the three lines within about 2% of each other." in said
    means = [float(m) for m in high_means]
    assert abs(100 * (max(means) - min(means)) / min(means) - 2) < 0.5, means
    # The sentences that said otherwise are gone.
    assert "die out only slowly" not in prose("Without `zero_()` the loss swings")
    assert "every fifth window" not in prose("A longer run says the same")


def test_the_last_of_the_100_steps_is_step_99():
    text = output_of("let without_zero = tape_descent(")
    step, steps, without, with_zero = re.search(r"at step (\d+), the last of (\d+): (\S+) without zero_grad, (\S+) with it", text).groups()
    (fig,) = figures(cell_with(executed(NB), "without_zero64"))
    traces = {t["name"]: t["y"] for t in fig["data"]}
    # The loss of step 99 is computed before the 100th update: the last of the 100 losses.
    assert int(step) == int(steps) - 1 == len(traces["without grad.zero_()"]) - 1
    assert abs(traces["without grad.zero_()"][-1] - float(without)) <= 5e-5
    assert abs(traces["with grad.zero_() (the original)"][-1] / float(with_zero) - 1) <= 1e-4
    said = prose("Without `zero_()` the loss swings")
    assert f"and at step {step}, the last of the {steps}, it is still {float(without):.2f}," in said
    assert "after 100 steps" not in said


def test_the_tape_prints_torchs_node_names():
    text = output_of("loss.tape()")
    visits = re.search(r"backward visits: (.*)", text).group(1).split(" → ")
    # torch 2.15.0: loss.grad_fn.name() and down next_functions, for mse(Y_true, X @ M1234); the
    # leaf's node is type(…).__name__ == "AccumulateGrad" (its name() is torch::autograd::AccumulateGrad).
    assert visits == ["MeanBackward0", "PowBackward0", "SubBackward0", "MmBackward0", "AccumulateGrad"], visits
    said = prose("named as torch names them")
    assert f"(`loss.grad_fn` is `{visits[0]}`, and so on down its `next_functions`)" in said
    notes = prose("Notes on the numbers (torch's rounding, our implementation)")
    assert all(f"`{name}`" in notes for name in visits[:4]), notes


def test_the_backward_rules_are_where_the_opening_says():
    source = (ROOT / "crates/gdlab/src/autograd.rs").read_text()
    said = prose("The tape is gdlab's `autograd`")
    assert "a comment on each operation's forward states its backward rule, and one `match`, in `backward_rule`, computes them all" in said
    assert "next to its forward" not in said
    # One match computes every rule ...
    rule = source[source.index("fn backward_rule("):source.index("pub fn tape(")]
    ops = re.search(r"^enum Op<T: Real> \{\n((?:    \w+.*\n)+)\}", source, re.M).group(1)
    variants = [v for v in re.findall(r"^    (\w+)", ops, re.M) if v != "Leaf"]
    # The eight the lesson's loss uses, and what later notebooks added (the classifier's five).
    lesson = ["MatMul", "Add", "Sub", "Mul", "Scale", "Pow", "Mean", "Sum"]
    assert variants[:8] == lesson and "match &self.0.op" in rule and all(f"Op::{v}(" in rule for v in variants), variants
    # ... and a comment on each forward names its rule, by the name the tape prints.
    names = {}
    for arm, name in re.findall(r"\((Op::\w+\(\.\.\)(?: \| Op::\w+\(\.\.\))*), _\) => \"(\w+)\"", source):
        names.update({v: name for v in re.findall(r"Op::(\w+)", arm)})
    assert set(names) == set(variants), (names, variants)
    forwards = {"MatMul": "pub fn matmul", "Scale": "pub fn scale", "Pow": "pub fn pow", "Mean": "pub fn mean", "Sum": "pub fn sum",
                "T": "pub fn t(", "AddRow": "pub fn add_row", "Relu": "pub fn relu", "Rows": "pub fn rows",
                "BceWithLogits": "pub fn bce_with_logits"}
    assert set(forwards) | {"Add", "Sub", "Mul"} == set(variants), "every operation's forward is checked"
    for variant, forward in forwards.items():
        before = source[:source.index(forward)].rsplit("\n\n", 1)[1]
        assert f"Backward ({names[variant]}):" in before, (variant, before)
    elementwise = source[source.index("// a + b, a − b, a * b elementwise"):source.index("elementwise!(Add")]
    assert all(names[v] in elementwise for v in ["Add", "Sub", "Mul"]), elementwise


def test_the_cs231n_rule_is_quoted_in_its_words_and_the_run_passes_it():
    said = prose("from Stanford's cs231n notes")
    # cs231n's "Gradient checks": "relative error > 1e-2 usually means the gradient is probably
    # wrong", "1e-7 and less you should be happy".
    assert "below 1e-7 you can be happy with the gradient, above 1e-2 it is probably wrong" in said
    assert "surely" not in said
    largest = float(re.search(r"largest relative error: (\S+)", output_of("let tape64 = gradient_check(")).group(1))
    assert largest < 1e-7 and "by that rule the tape's gradient passes" in prose("Every entry is below 1e-7")
    slips = output_of("let not_transposed =")
    right, transposed, dropped = [float(v) for v in re.findall(r"largest relative error (\S+)", slips)]
    assert right < 1e-7 and transposed > 1e-2 and dropped > 1e-2, slips


def test_exercise_2_3_asks_for_the_derivation_section_4_does_not_give():
    said = prose("### Exercise 2.3 (predict)")
    assert "(differentiate\nthe quartic loss twice along `X_ij`; section 4 states the third derivative, f''')" in said
    assert "derives f'''" not in said
    # Section 4 states f''' as a formula, the one the exercise's f'' differentiates to.
    section = prose("for the quartic loss, with `R = X·M − I`")
    assert "`f''' = (24/N)·Σ_k R_ik·M_jk³`" in section
    assert "`f'' = (12/N)·Σ_k R_ik²·M_jk²`" in said


def test_the_float32_flat_line_is_the_loss_that_cannot_move():
    nb = executed(NB)
    text = text_of(cell_with(nb, "f32::from_bits(loss32.to_bits() + 1)"))
    loss, gap, g_max = re.search(r"the loss ([\d.]+): the next float32 is (\S+) above it; the largest \|g\| is ([\d.]+)", text).groups()
    rows = {}
    for h, gh, x, moves in re.findall(r"h = (\S+): \|g\|·h ≤ (\S+); x \+ h == x in +(\d+) of 16 entries; the loss moves by (.*)", text):
        found = re.findall(r"(-?\d+)(?: gaps)? in (\d+)", moves)
        rows[float(h)] = (float(gh), int(x), {int(k): int(n) for k, n in found})
        assert sum(int(n) for _, n in found) == 16, moves
    assert sorted(rows) == [5.6e-9, 1e-8, 1.8e-8, 3.2e-8, 5.6e-8, 1e-7, 1.8e-7], text
    said = prose("and not mainly because `x + h` rounds back to `x`")
    assert f"The loss, {float(loss):.2f}, is a float32" in said
    assert f"next float32 above it is {float(gap):.1e} away".replace("e-0", "e-") in said, gap
    assert f"at most {g_max}·h here, which is less than one gap for every h below 1e-7" in said
    assert all(gh < float(gap) for h, (gh, _, _) in rows.items() if h < 1e-7)
    after = prose("From h = 3.2e-8 up no entry's `x + h` rounds back to `x`")
    # From 3.2e-8 up no x + h rounds back, yet most losses do not move: the counts quoted.
    assert all((x == 0) == (h >= 3.2e-8) for h, (_, x, _) in rows.items()), rows
    unmoved = {h: moves.get(0, 0) for h, (_, _, moves) in rows.items()}
    assert all(unmoved[h] > 8 for h in rows if 3.2e-8 <= h <= 1e-7), unmoved
    assert f"yet up to 1e-7 the loss does not move in most of them, {unmoved[3.2e-8]} of the 16 at h = 3.2e-8 and {unmoved[1e-7]} at 1e-7" in after, unmoved
    # Above 1e-7 it is no longer most: half, at 1.8e-7.
    assert unmoved[1.8e-7] * 2 == 16 and f"and at 1.8e-7 still in half, {unmoved[1.8e-7]}:" in after, unmoved
    # Moves by a gap or two, never more, below 1e-7.
    assert {k for h, (_, _, moves) in rows.items() if h <= 1e-7 for k in moves} <= {0, 1, 2}
    assert "moves by a gap or two" in after
    # Below 3.2e-8 x + h rounds back too, in the counts quoted, and no loss moves.
    assert f"in {rows[1.8e-8][1]} of the 16 entries at h = 1.8e-8 and {rows[1e-8][1]} at 1e-8" in after
    assert all(moves == {0: 16} for h, (_, _, moves) in rows.items() if h < 3.2e-8)
    assert f"the error is the whole largest gradient, {g_max}, the flat line" in after
    # The figure: flat at the largest |g| below 3.2e-8, above it from 3.2e-8 to 1e-7, for both estimates.
    (fig,) = figures(cell_with(nb, "Finite differences in float32"))
    for trace in fig["data"]:
        points = list(zip(trace["x"], trace["y"], strict=True))
        flat = [y for x, y in points if x < 3e-8]
        above = [y for x, y in points if 3e-8 < x < 1.01e-7]
        assert flat and all(abs(y - float(g_max)) < 0.006 for y in flat), (trace["name"], flat)
        assert len(above) == 3 and all(y > float(g_max) for y in above), (trace["name"], above)
    assert "rounds back to `x`, the difference is 0" not in said


def test_the_tapes_largest_relative_error_is_7_times_below_1e_7():
    text = output_of("let tape64 = gradient_check(")
    largest = re.search(r"largest relative error: (\S+)", text).group(1)
    matrix = [float(t) for t in tokens(text[text.index("[["):])]
    assert len(matrix) == 16 and abs(max(matrix) - float(largest)) <= 0.05 * float(largest)
    said = prose("Every entry is below 1e-7")
    factor = re.search(rf"the largest, {re.escape(largest)}, by a factor of about (\d+):", said)
    assert factor, (largest, said[:200])
    assert round(1e-7 / float(largest)) == int(factor.group(1))
    # "agrees with it to only eight to eleven" digits: the largest and the smallest relative error.
    words = {7: "seven", 8: "eight", 9: "nine", 10: "ten", 11: "eleven", 12: "twelve"}
    most, least = round(-math.log10(max(matrix))), round(-math.log10(min(matrix)))
    assert f"to only {words[most]} to {words[least]}." in said, (most, least)


def test_exercise_2_4_measures_more_than_2_3_predicts():
    nb = executed(NB)
    answers = {}
    for cell in solution_cells(nb):
        heading = nb.cells[nb.cells.index(cell) - 1].source
        number = re.match(r"### Exercise (\d\.\d)", heading)
        results = [o.data["text/plain"] for o in cell.outputs if o.output_type == "execute_result"]
        if number and results:
            answers[number.group(1)] = float(results[0])
    predicted, measured = answers["2.3"], answers["2.4"]
    # "It is larger than your prediction": by the series' later terms, more than the checks' 1e-4.
    assert measured > 1.05 * predicted, (predicted, measured)
    assert "It is larger than your prediction." in prose("### Exercise 2.4 (measure)")


def test_where_next_points_to_notebook_03_as_it_is_now():
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    last = nb.cells[-1].source
    assert last.startswith("Where next: notebook 03, `03_indicator_matrix`,"), last[:80]
    assert (ROOT / "notebooks" / "03_indicator_matrix.ipynb").exists()
    assert "pseudo-inverse" in last and "no inverse" in last
    three = nbformat.read(ROOT / "notebooks" / "03_indicator_matrix.ipynb", as_version=4)
    assert "pseudo-inverse" in "".join(c.source for c in three.cells if c.cell_type == "markdown")
