"""Notebook 03: every number and claim its prose states, against the run that printed it, and
the mathematics rechecked by another route (exact fractions, float32 by struct)."""
import math
import re
import struct
from fractions import Fraction

import nbformat

import nbtest
from nbtest import FIXTURES, ROOT, cell_with, executed, exercises_of, figures, number, solution_cells, text_of

NB = "03_indicator_matrix.ipynb"
EPS32 = 2.0 ** -23  # float32's ε, the spacing of its numbers just above 1


def prose(snippet):
    return " ".join(nbtest.prose(NB, snippet).split())


def output_of(snippet):
    return nbtest.output_of(NB, snippet)


def indicator():
    """The indicator matrix as the notebook printed it, rows of 0/1."""
    text = output_of("let a = indicator_matrix(")
    rows = [[int(v) for v in re.findall(r"-?\d+", line)] for line in text.splitlines() if re.search(r"\d", line)]
    assert len(rows) == 17 and all(len(r) == 3 for r in rows), text
    return rows


def spacing32(x):
    """The distance from a positive float32 x to the next float32 up."""
    return 2.0 ** (math.floor(math.log2(x)) - 23)


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def test_the_float32_floor_is_a_fraction_of_epsilon_squared():
    text = output_of("let left = x.dot(&af) - &eye3;")
    largest, rms, ratio, loss = re.search(
        r"largest entry ([\d.e+-]+), root mean square ([\d.e+-]+) = ε/([\d.]+); loss ([\d.e+-]+)", text).groups()
    moving, reach, back = re.search(r"would move (\d+) entries of X by at most ([\d.e+-]+); (\d+) of them round back", text).groups()
    rms, ratio, loss = float(rms), float(ratio), float(loss)
    # The printed numbers agree with each other: ratio = ε/rms, loss = rms².
    assert abs(EPS32 / rms - ratio) < 0.15 and abs(rms * rms - loss) < 0.1 * loss, text
    said = prose("In float32 the loss bottoms out")
    assert f"a root mean square of ε/{ratio}" in said and f"the mean square, is {loss:.1e}" in said, said
    assert f"{back} of the {moving} entries it would move stay where they are" in said, said
    assert int(back) > int(moving) / 2
    # Which ones stay: all the entries above 0.125 in size; the ones below 0.05 move.
    stay, go = ([float(v) for v in part.split(",")] for part in re.search(
        r"their sizes \|X\|: \[([^\]]+)\] stay, \[([^\]]+)\] move", text).groups())
    assert len(stay) == int(back) and len(stay) + len(go) == int(moving), text
    assert 0.125 <= min(stay) and max(stay) < 1 and max(go) < 0.05, text
    assert f"the {len(go)} that move are below 0.05 in size, where the spacing is under 4e-9" in said, said
    assert spacing32(max(go)) < 4e-9 < spacing32(0.125) / 2
    # "about 1e-8", "not near ε² ≈ 1.4e-14", and the loss line's "near 1e-15".
    assert 5e-9 < float(reach) < 2e-8 and f"{EPS32 ** 2:.1e}" == "1.4e-14" and loss < EPS32 ** 2 / 5
    assert "near 1e-15" in prose("On a log scale the loss falls")
    last = float(number(r"at step 199: ([\d.e+-]+)", output_of("for t in 0..steps {")))
    assert 3e-16 < last < 3e-15
    # The spacings the note quotes, over the ranges the entries that stay lie in.
    sci = lambda x: f"{x:.1e}".replace("e-0", "e-")  # as Rust writes it: 3.0e-8
    spacings = f"{sci(spacing32(0.2))} apart between 0.125 and 0.25, {sci(spacing32(0.3))} up to 0.5, {sci(spacing32(0.7))} up"
    assert spacings in said, said
    assert f32(f32(0.4) - float(reach)) == f32(0.4), "a move below half the spacing rounds back in float32"
    assert f32(f32(0.0499) - float(reach)) != f32(0.0499), "where the spacing is under 4e-9, it does not"


def residual_exactly(rows):
    """I − A·A⁺ in exact fractions: A⁺ = (AᵀA)⁻¹Aᵀ for A of full column rank."""
    g = [[Fraction(sum(r[i] * r[j] for r in rows)) for j in range(3)] for i in range(3)]
    det = (g[0][0] * (g[1][1] * g[2][2] - g[1][2] * g[2][1]) - g[0][1] * (g[1][0] * g[2][2] - g[1][2] * g[2][0])
           + g[0][2] * (g[1][0] * g[2][1] - g[1][1] * g[2][0]))
    assert det != 0, "A has independent columns"
    inv = [[(g[(j + 1) % 3][(i + 1) % 3] * g[(j + 2) % 3][(i + 2) % 3]
             - g[(j + 1) % 3][(i + 2) % 3] * g[(j + 2) % 3][(i + 1) % 3]) / det for j in range(3)] for i in range(3)]
    n = len(rows)
    proj = [[sum(rows[d][i] * inv[i][j] * rows[e][j] for i in range(3) for j in range(3)) for e in range(n)] for d in range(n)]
    return [[Fraction(int(d == e)) - proj[d][e] for e in range(n)] for d in range(n)]


def test_the_right_floor_is_the_trace_of_a_projection_not_14_ones():
    rows = indicator()
    residual = residual_exactly(rows)
    n = len(rows)
    # A projection: symmetric, idempotent, its squares sum to its trace, 17 − rank.
    assert all(residual[d][e] == residual[e][d] for d in range(n) for e in range(n))
    squares = sum(v * v for row in residual for v in row)
    trace = sum(residual[d][d] for d in range(n))
    assert squares == trace == 14
    text = output_of("let residual = ")
    printed = [float(v) for v in re.search(r"its diagonal: \[([^\]]+)\]", text).group(1).split(",")]
    assert all(abs(p - float(residual[d][d])) < 5e-4 for d, p in enumerate(printed)), printed
    on, off, total = (float(v) for v in re.search(r"([\d.]+) on the diagonal \+ ([\d.]+) off it = ([\d.]+)", text).groups())
    on_exact = float(sum(residual[d][d] ** 2 for d in range(n)))
    assert abs(on - on_exact) < 0.005 and abs(off - (14 - on_exact)) < 0.005 and total == 14.0, text
    # The prose: 11 ones from the empty documents, the other six between the printed extremes, and the rest off it.
    empty = [d for d, r in enumerate(rows) if sum(r) == 0]
    assert [d for d in range(n) if residual[d][d] == 1] == empty
    others = [float(residual[d][d]) for d in range(n) if d not in empty]
    said = prose("A document that holds no word has a zero row")
    assert len(others) == 6 and f"that gives {len(empty)} of the 17" in said and "For the other six," in said
    assert f"between {min(others):.3f} and {max(others):.3f}" in said and f"the rest, {off:.2f}," in said, said
    assert f"{len(empty)} of 17 documents hold no word" in output_of("let empty: Vec<usize>")
    said = prose("## A right inverse cannot exist")
    assert "add up to its trace, which is its rank: 17 − 3 = 14" in said and "So the loss cannot go below `(17 − rank)/17²`" in said
    assert "rank 3; predicted floor (17 − 3)/17²" in output_of("let floor_right = loss_floor(")


def gram(columns):
    return [[sum(a * b for a, b in zip(u, v)) for v in columns] for u in columns]


def lambda_max(g, iterations=2000):
    v = [1.0] * len(g)
    value = 0.0
    for _ in range(iterations):
        w = [sum(gi * vi for gi, vi in zip(row, v)) for row in g]
        value = math.sqrt(sum(x * x for x in w))
        v = [x / value for x in w]
    return value


def test_exercise_3_3_says_the_repeated_words_raise_the_bound():
    rows = indicator()
    columns = [[r[w] for r in rows] for w in range(3)]
    repeated = columns + columns[1:3]
    before, after = lambda_max(gram(columns)), lambda_max(gram(repeated))
    # "at most doubles λ_max", "N grows from 9 to 25", so "the bound 25/λ_max is higher than 9/λ_max", and lr = 1 is below it.
    assert after <= 2 * before + 1e-9 and 25 / after > 9 / before > 1
    said = prose("### Exercise 3.3 (measure)")
    assert "at most doubles λ_max" in said and "N grows from 9 to 25" in said and "`lr = 1`" in said
    # It asks which eigenvalue sets the pace, not which of the two zeros: those hold the floor.
    assert "Two eigenvalues of the new Gram matrix are 0: along their directions the error never changes, and that is the floor." in said
    assert "Which eigenvalue sets the pace at which the loss comes down to it?" in said, said
    printed = output_of("let ev = gram_eigenvalues(&af)?;")
    assert abs(float(number(r"stability bound 9/λ_max = ([\d.]+)", printed)) - 9 / before) < 1e-3
    # "Two eigenvalues of the new Gram matrix are 0": its rank is 3 of 5 (exact: the first three columns are independent).
    exact = [[Fraction(v) for v in row] for row in gram(repeated)]
    assert rank(exact) == 3
    # The run the exercise asks for ends above the predicted floor, as the text asks the student to explain.
    nb = executed(NB)
    answers = {n: float(text_of(c)) for n, c in zip(exercises_of(nb), solution_cells(nb)) if n in ("3.2", "3.3")}
    assert answers["3.3"] > answers["3.2"] + 1e-3, answers
    # The floor is the two null directions' share: along a v with A·v = 0, (X·A − I)·v = −v whatever X is.
    assert abs(answers["3.2"] - (5 - rank(exact)) / 25) < 1e-12, answers


def rank(m):
    m = [row[:] for row in m]
    r = 0
    for c in range(len(m[0])):
        pivot = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if pivot is None:
            continue
        m[r], m[pivot] = m[pivot], m[r]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c] / m[r][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        r += 1
    return r


def test_inverse_names_the_matrix_by_what_it_is_for():
    printed = output_of("inverse(&af).unwrap_err()")
    assert printed.startswith("the matrix to invert must be square, got shape (17, 3)"), printed
    assert "M" not in printed.split(":")[0] and "(17, 17)" not in printed and len(printed.strip().splitlines()) == 1


def test_03_ends_by_pointing_to_04():
    nb = nbformat.read(ROOT / "notebooks" / NB, as_version=4)
    last = nb.cells[-1].source
    assert last.startswith("Where next: notebook 04, `04_convergence`"), last
    title = nbformat.read(ROOT / "notebooks/04_convergence.ipynb", as_version=4).cells[0].source.splitlines()[0]
    assert "why" in title and "how fast" in title and "when it fails" in title, title


def parameter(name, nb):
    """A knob of the notebook's parameters cell, as written there."""
    return float(re.search(rf"let {name}: \w+ = ([\d.]+);", cell_with(nb, "let start_seed").source).group(1))


def as_f32_bits(values):
    return [struct.unpack("i", struct.pack("f", v))[0] for v in values]


def test_the_losses_against_torchs_bit_for_bit_on_the_left_and_in_the_last_bit_or_two_on_the_right():
    nb = executed(NB)
    sides = {case["name"]: case for case in FIXTURES["sides"]}
    left, right = sides["left_rand"], sides["right_rand"]
    # torch's runs are this notebook's: its indicator, start seed, rates and number of steps.
    for case, lr in ((left, "lr"), (right, "lr_right")):
        assert case["a"] == [[float(v) for v in row] for row in indicator()]
        assert (case["seed"], case["lr"], case["steps"]) == (parameter("start_seed", nb), parameter(lr, nb), parameter("steps", nb))
    said = prose("The random matrices are torch's bit for bit")
    # The left-side loop's losses, all of them, as float32 numbers.
    (fig,) = figures(cell_with(nb, "frame_line(&losses_frame(&losses)"))
    ours = fig["data"][0]["y"]
    assert len(ours) == len(left["losses"]) and as_f32_bits(ours) == as_f32_bits(left["losses"])
    assert f"left-side loop's losses in this run, all {len(ours)}." in said, said
    # The right side's first 40, as plotted: some differ by one or two float32 steps.
    (fig,) = figures(cell_with(nb, "let right = InverseDescent"))
    (plotted,) = [t["y"] for t in fig["data"] if t["name"] == "loss"]
    want = right["losses"][:len(plotted)]
    steps = [abs(a - b) for a, b in zip(as_f32_bits(plotted), as_f32_bits(want), strict=True)]
    differ = sum(1 for s in steps if s)
    assert 0 < differ < len(steps) and max(steps) == 2, steps
    worst = max(abs(a - b) / b for a, b in zip(plotted, want))
    assert 1e-7 < worst < 2e-7 + 5e-8, worst  # "at most 2e-7", to the one digit quoted
    assert f"On the right side {differ} of the first {len(plotted)} losses differ from torch's in the last bit or two (at most 2e-7 relative)" in said, said
    # The loss there is a mean over the 17×17 entries of A·X − I.
    assert "that loss is the mean of 289 squares" in said and 17 * 17 == 289


def pinv_exactly(rows):
    """A⁺ = (AᵀA)⁻¹Aᵀ in exact fractions, for A of full column rank."""
    g = [[Fraction(sum(r[i] * r[j] for r in rows)) for j in range(3)] for i in range(3)]
    inverse = invert(g)
    return [[sum(inverse[i][k] * rows[d][k] for k in range(3)) for d in range(len(rows))] for i in range(3)]


def invert(g):
    """The inverse of a square matrix of fractions, by Gauss-Jordan elimination."""
    n = len(g)
    m = [row[:] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(g)]
    for c in range(n):
        pivot = next(i for i in range(c, n) if m[i][c] != 0)
        m[c], m[pivot] = m[pivot], m[c]
        m[c] = [v / m[c][c] for v in m[c]]
        for i in range(n):
            if i != c:
                m[i] = [a - m[i][c] * b for a, b in zip(m[i], m[c])]
    return [row[n:] for row in m]


def test_the_pseudo_inverse_has_the_smallest_sum_of_squares_not_the_smallest_entries():
    rows = indicator()
    n = len(rows)
    a_pinv = pinv_exactly(rows)
    printed = [[float(v) for v in re.findall(r"-?\d+\.\d+", line)] for line in output_of("let a_pinv = pinv(").splitlines()]
    printed = [row for row in printed if row]
    assert all(abs(p - float(e)) <= 0.005 for pr, er in zip(printed, a_pinv, strict=True) for p, e in zip(pr, er, strict=True))
    said = prose("## Which left inverse?")
    assert "A⁺ is the one with the smallest norm (the smallest sum of squared entries)." in said, said
    # Another left inverse, A⁺ + W·(I − A·A⁺), can zero A⁺'s largest entry of row 0: not "the smallest entries".
    residual = residual_exactly(rows)
    j = max((d for d in range(n) if residual[d][d] != 0), key=lambda d: abs(a_pinv[0][d]))
    t = -a_pinv[0][j] / residual[j][j]
    other = [[a_pinv[i][e] + (t * residual[j][e] if i == 0 else 0) for e in range(n)] for i in range(3)]
    product = [[sum(other[i][d] * rows[d][k] for d in range(n)) for k in range(3)] for i in range(3)]
    assert product == [[int(i == k) for k in range(3)] for i in range(3)], "a left inverse"
    assert other[0][j] == 0 != a_pinv[0][j]
    # Its sum of squares is larger: ‖A⁺ + W·R‖² = ‖A⁺‖² + ‖W·R‖², as A⁺·R = 0.
    squares = lambda m: sum(v * v for row in m for v in row)
    assert squares(other) == squares(a_pinv) + t * t * sum(v * v for v in residual[j]) > squares(a_pinv)


def test_the_left_runs_heatmaps_name_the_matrix_a():
    nb = executed(NB)
    (fig,) = figures(cell_with(nb, "&snapshots, ColorRange::PerPanel"))
    title = fig["layout"]["title"]["text"]
    assert title.startswith("X·A − I during gradient descent") and "M" not in title, title
    said = prose("at steps 0, 10, 20 and 30")
    assert said.startswith("`X·A − I` at steps 0, 10, 20 and 30") and "title's M" not in said, said
