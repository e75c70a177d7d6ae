"""The exercises: the teacher edition gets them right, the student edition says not yet and holds no solution."""
import re

import nbformat
import pytest

from nbtest import EXECUTED, NOT_YET, RIGHT, STUDENT, executed, exercises_of, printed, solution_cells, solution_lines, sources, visible_text


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_each_exercise_has_a_solution_with_a_starter_and_a_check(src):
    nb = nbformat.read(src, as_version=4)
    exercises = exercises_of(nb)
    assert 4 <= len(exercises) <= 6, f"{src.name}: {exercises}"
    solutions = solution_cells(nb)
    assert len(solutions) == len(exercises)
    for n, cell in zip(exercises, solutions, strict=True):
        assert cell.metadata["gdlab"]["starter"].strip(), f"exercise {n} has no starter"
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
    assert not [c for c in nb.cells if "gdlab" in c.metadata], "starter metadata left in the student file"


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
