"""Notebook 02: each sentence that states a number or a behaviour of the run, tied to what the run
printed. A sentence can be wrong without a wrong digit ("the swings die out", "x + h rounds back to
x"), so these tests also check the behaviour that the sentence names."""
import math
import re

import nbformat

import nbtest
from nbtest import ROOT, cell_with, executed, figures, solution_cells, text_of, tokens

NB = "02_gradients.ipynb"


def prose(snippet):
    return nbtest.prose(NB, snippet)


def output_of(snippet):
    return nbtest.output_of(NB, snippet)


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
    windows = [(int(a), int(b), float(lo), float(hi)) for a, b, lo, hi in
               re.findall(r"steps +(\d+) to +(\d+): the loss swings from ([\d.]+) to ([\d.]+)", text)]
    assert [w[0] for w in windows] == [0, 500, 1000, 1500, 2000, 2500, 2900], windows
    low, high = re.search(r"in each of the 30 windows it falls to ([\d.]+) or below and climbs to ([\d.]+) or above", text).groups()
    said = prose("In every window of 100 steps")
    assert f"falls to {low} or below and climbs to {high} or above" in said, (low, high)
    assert "up to step 3000" in said and "have not shrunk" in said
    # Not shrunk: the last window swings over at least as wide a range as the first, less 10 %.
    first, last = windows[0], windows[-1]
    assert last[3] - last[2] >= 0.9 * (first[3] - first[2]), (first, last)
    assert float(low) < 0.5 * float(high)
    # The sentence that said otherwise is gone.
    assert "die out only slowly" not in prose("Without `zero_()` the loss swings")


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
    assert f"{unmoved[3.2e-8]} of the 16 at h = 3.2e-8 and {unmoved[1e-7]} at 1e-7" in after, unmoved
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
