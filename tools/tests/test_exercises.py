"""The exercises: the teacher edition gets them right, the student edition says not yet and holds no solution."""
import re

import nbformat
import pytest

from nbtest import (EXECUTED, EXERCISE, NOT_YET, RIGHT, ROOT, STUDENT, executed, exercises_of, half_unit, printed,
                    solution_cells, solution_lines, solution_region, sources, text_of, tokens, visible_text)


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_each_exercise_has_a_solution_region_and_a_check(src):
    nb = nbformat.read(src, as_version=4)
    exercises = exercises_of(nb)
    assert 4 <= len(exercises) <= 6, f"{src.name}: {exercises}"
    solutions = solution_cells(nb)
    assert len(solutions) == len(exercises)
    for n, cell in zip(exercises, solutions, strict=True):
        assert [x for x in solution_region(cell) if x.strip()], f"exercise {n} has no solution"
        after = nb.cells[nb.cells.index(cell) + 1]
        assert f"check::ex_{n.replace('.', '_').zfill(4)}(" in after.source, f"exercise {n}: no check after the solution"


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_the_teacher_edition_gets_every_exercise_right(src):
    nb = executed(src.name)
    exercises = exercises_of(nb)
    assert RIGHT.findall(printed(nb)) == exercises, printed(nb)[-2000:]
    assert not NOT_YET.findall(printed(nb))


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_the_student_edition_runs_without_errors_and_says_not_yet(src):
    nb = executed(src.name, STUDENT)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors[:1]
    assert NOT_YET.findall(printed(nb)) == exercises_of(nb)
    assert not RIGHT.findall(printed(nb))
    assert not solution_cells(nb)
    assert not [c for c in nb.cells if "BEGIN SOLUTION" in c.source], "a solution region left in the student file"


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_no_solution_code_is_left_in_the_student_files(src):
    lines = solution_lines(nbformat.read(src, as_version=4))
    assert all(lines), f"every solution has lines of its own to look for: {lines}"
    # The scan finds them where they are: in the teacher's executed files.
    for path in (EXECUTED / src.name, EXECUTED / (src.stem + ".html")):
        text = visible_text(path)
        assert all(any(line in text for line in own) for own in lines), f"the scan misses solutions in {path}"
    for path in (STUDENT / src.name, STUDENT / (src.stem + ".html")):
        text = visible_text(path)
        left = [line for own in lines for line in own if line in text]
        assert not left, f"{path.name} holds solution code: {left[:3]}"


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_the_exercises_intro_names_the_notebooks_own_number(src):
    nb = nbformat.read(src, as_version=4)
    number = src.name[:2].lstrip("0")
    intro = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    assert len(intro) == 1, src.name
    assert re.findall(r"Exercise (\d+)\.k", intro[0]) == [number, number], intro[0]
    assert all(n.split(".")[0] == number for n in exercises_of(nb)), exercises_of(nb)


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_each_notebook_has_a_predict_then_measure_pair(src):
    nb = nbformat.read(src, as_version=4)
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and EXERCISE.match(c.source)]
    pairs = [(a, b) for a, b in zip(headings, headings[1:]) if a.endswith(" (predict)") and b.endswith(" (measure)")]
    assert pairs, headings


def significant(token):
    """The significant digits of a printed number: 0.0420 has 3, 1.5e-3 has 2, 151 has 3."""
    digits = token.lower().partition("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(digits)


def reveals(token, answer):
    """Whether a printed number gives the answer away: equal at its printed precision, printed
    with at least 3 significant digits (a check's tolerance is far finer than 2 digits, so a copy of
    a 2-digit number cannot pass, and 2-digit numbers coincide by chance)."""
    return significant(token) >= 3 and abs(float(token) - answer) <= half_unit(token)


def test_reveals_flags_a_copy_at_the_printed_precision_only():
    assert reveals("0.9424", 0.94241) and reveals("151", 151) and reveals("1.25e-3", 0.001251)
    assert not reveals("0.94", 0.9401) and not reveals("0.9424", 0.9426) and not reveals("1.5", 1.5)


def shown_answers(nb):
    """(exercise, the numbers its solution cell displays) in the executed teacher edition; a
    function exercise displays none."""
    for n, cell in zip(exercises_of(nb), solution_cells(nb), strict=True):
        results = [o.data["text/plain"] for o in cell.outputs if o.output_type == "execute_result"]
        is_function = cell.source.lstrip().startswith("fn ")
        assert len(results) == (0 if is_function else 1), f"exercise {n} displays {results}: one answer, or none for a function"
        yield n, [float(t) for r in results for t in tokens(r)]


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_no_answer_is_printed_above_the_exercises(src):
    nb = executed(src.name)
    intro = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    above = tokens("\n".join(text_of(c) for c in nb.cells[:intro] if c.cell_type == "code"))
    assert above, "the notebook prints numbers above its exercises"
    # The scan can fail: the first number with 3 digits above is found where it is.
    sample = next(t for t in above if significant(t) >= 3)
    assert any(reveals(t, float(sample)) for t in above)
    answers = dict(shown_answers(nb))
    assert any(answers.values()), "the numeric exercises display their answers"
    for n, values in answers.items():
        for value in values:
            found = [t for t in above if reveals(t, value)]
            assert not found, f"exercise {n}'s answer {value} is printed above the exercises as {found}"


# Notes on torch's rounding and on the original's code, which a student may skip.
ASIDE = re.compile(r"fused|fuses|multiply-add|MKL|re-seed|`lr as f32`|global variable", re.I)
DETAILS = re.compile(r"<details>.*?</details>", re.S)


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_implementation_asides_stay_in_details_blocks(src):
    nb = nbformat.read(src, as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    main_text = [DETAILS.sub("", s) for s in markdown]
    assert all(s.count("<details>") == s.count("</details>") for s in markdown), "unclosed <details>"
    left = [m.group(0) for s in main_text for m in ASIDE.finditer(s)]
    assert not left, f"{src.name}: implementation notes outside a <details> block: {left}"
    # The pattern finds them where they are.
    if src.name.startswith(("01", "06")):
        assert any(ASIDE.search(m.group(0)) for s in markdown for m in DETAILS.finditer(s)), src.name


def test_01_says_once_that_every_number_is_torchs_and_how_we_know():
    nb = nbformat.read(sources()[0], as_version=4)
    said = [c.source for c in nb.cells if c.cell_type == "markdown" and "values recorded from real torch" in c.source]
    assert len(said) == 1 and "Every number these notebooks print" in said[0]


def test_every_predict_measure_pair_has_a_test_that_each_check_rejects_the_others_answer():
    """A (measure) exercise is there to make the student run the experiment, so its check must
    reject the (predict) answer pasted in, and the other way round. The Rust test `pair_N_a_N_b`
    runs both checks with the other's value (tests/exercises*.rs); here every pair has one."""
    rust = "\n".join(p.read_text() for p in (ROOT / "crates/gdlab/tests").glob("*.rs"))
    pairs = []
    for src in sources():
        nb = nbformat.read(src, as_version=4)
        headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and EXERCISE.match(c.source)]
        pairs += [(EXERCISE.match(a).group(1), EXERCISE.match(b).group(1)) for a, b in zip(headings, headings[1:])
                  if a.endswith(" (predict)") and b.endswith(" (measure)")]
    assert len(pairs) >= len(sources()), pairs
    for a, b in pairs:
        name = f"pair_{a.replace('.', '_')}_{b.replace('.', '_')}"
        assert re.search(rf"#\[test\]\s*fn {name}\(\)", rust), f"exercises {a} and {b}: no Rust test `{name}`"
