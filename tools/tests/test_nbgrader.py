"""The nbgrader loop with the real nbgrader: release, three submissions, autograde, export.

One notebook, not all of them: autograde executes every submission on the Rust kernel (about 100 s
each), and the suite has a time budget. 07 is the shortest to run; the loop is the same for
each notebook, and test_every_notebook_is_an_nbgrader_source checks the others' metadata.
"""
import csv
import re
import shutil
import subprocess
import sys

import nbformat
import pytest

import assignment
from nbtest import PLOTLY, ROOT, executed, sources, text_of

NOTEBOOK = "07_stochastic_descent.ipynb"
COURSE = ROOT / "target" / "course-test"
STUDENTS = ("all-right", "untouched", "two-solved")


def nbgrader(*args):
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=COURSE, capture_output=True, text=True)
    assert done.returncode == 0, f"nbgrader {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def points_after(nb, solution_ids):
    """The points of the grade cell that follows each of these solution cells."""
    ids = [c.get("id") for c in nb.cells]
    return sum(nb.cells[ids.index(i) + 1].metadata["nbgrader"]["points"] for i in solution_ids)


@pytest.fixture(scope="module")
def graded():
    """Runs the loop once; the grades as nbgrader exports them, and the autograded notebooks."""
    shutil.rmtree(COURSE, ignore_errors=True)  # this test's own folder under target/
    # The default seed, injected by papermill: the all-right submission must then be the default run.
    assignment.write_course(COURSE, [ROOT / "notebooks" / NOTEBOOK], {"seed": "314"})
    source = nbformat.read(COURSE / "source" / assignment.ASSIGNMENT / NOTEBOOK, as_version=4)
    release = nbformat.read(COURSE / "release" / assignment.ASSIGNMENT / NOTEBOOK, as_version=4)
    solved = [c.get("id") for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")]
    two = [solved[0], solved[-1]]  # the warm-up (1 point) and the stretch (2 points)
    partial = nbformat.from_dict(release)
    by_id = {c.get("id"): c for c in source.cells}
    for cell in partial.cells:
        if cell.get("id") in two:
            cell.source = by_id[cell.get("id")].source
    for student, nb in zip(STUDENTS, (source, release, partial), strict=True):
        nbgrader("db", "student", "add", student)
        folder = COURSE / "submitted" / student / assignment.ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / NOTEBOOK)
        (folder / "timestamp.txt").write_text("2026-12-02 09:00:00.000000 UTC")
    nbgrader("autograde", assignment.ASSIGNMENT)
    nbgrader("export")
    with open(COURSE / "grades.csv", newline="") as f:
        grades = {row["student_id"]: row for row in csv.DictReader(f)}
    autograded = {s: nbformat.read(COURSE / "autograded" / s / assignment.ASSIGNMENT / NOTEBOOK, as_version=4)
                  for s in STUDENTS}
    return grades, autograded, points_after(source, two), sum(c.metadata.nbgrader.points for c in grade_cells(source))


def test_the_scores_are_full_zero_and_the_two_exercises_points(graded):
    grades, _, two_points, total = graded
    assert total >= 5 and 0 < two_points < total
    scores = {s: (float(grades[s]["score"]), float(grades[s]["max_score"])) for s in STUDENTS}
    assert scores == {"all-right": (total, total), "untouched": (0, total), "two-solved": (two_points, total)}


def test_a_wrong_answer_fails_its_grade_cell_with_the_one_line_hint(graded):
    _, autograded, _, _ = graded
    for cell in grade_cells(autograded["untouched"]):
        # One result, no stream: 0 for nbgrader, the one-line hint for the student.
        assert [o.output_type for o in cell.outputs] == ["execute_result"], cell.outputs
        data = cell.outputs[0].data
        assert data["text/plain"] == "0", data
        hint = data["text/html"].removeprefix("<pre>").removesuffix("</pre>")
        assert hint.startswith("✗ Exercise 7.") and ": not yet. Hint: " in hint and "\n" not in hint, hint
    for cell in grade_cells(autograded["all-right"]):
        assert [o.output_type for o in cell.outputs] == ["execute_result"], cell.outputs
        assert cell.outputs[0].data["text/plain"].startswith("✓ Exercise 7.")


def test_the_released_notebook_runs_through_without_a_kernel_error(graded):
    _, autograded, _, _ = graded
    nb = autograded["untouched"]
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code"), "every cell ran"
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]


def outputs_by_id(nb):
    """Each code cell's printed text and plot data, by cell id, without papermill's cell."""
    return {c.get("id"): (text_of(c), [o.data[PLOTLY] for o in c.outputs if "data" in o and PLOTLY in o.data])
            for c in nb.cells if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])}


def test_the_default_seed_injected_reproduces_the_default_run(graded):
    _, autograded, _, _ = graded
    default, injected = outputs_by_id(executed(NOTEBOOK)), outputs_by_id(autograded["all-right"])
    assert injected.pop("grading") == ("", [])
    assert autograded["all-right"].metadata.papermill["parameters"] == {"seed": 314}
    assert injected == default


@pytest.mark.parametrize("src", sources(), ids=lambda p: p.name)
def test_every_notebook_is_an_nbgrader_source(src):
    nb = nbformat.read(src, as_version=4)
    meta = [c.metadata.get("nbgrader") for c in nb.cells]
    assert all(m is None or m["schema_version"] == 3 for m in meta)
    ids = [m["grade_id"] for m in meta if m]
    assert len(ids) == len(set(ids)), "grade ids are unique"
    for cell, m in zip(nb.cells, meta):
        tagged = "solution" in cell.metadata.get("tags", [])
        assert tagged == bool(m and m["solution"]), f"{cell.get('id')}: our tag and nbgrader's agree"
        if tagged:
            lines = cell.source.splitlines()
            assert sum("BEGIN SOLUTION" in x for x in lines) == 1 and sum("END SOLUTION" in x for x in lines) == 1
        if cell.cell_type == "markdown":
            assert m and m["locked"] and not m["grade"], f"{cell.get('id')}: explanations are locked"
        if cell.cell_type == "code" and cell.source.startswith("check::ex_"):
            assert m and m["grade"] and m["locked"] and m["points"] > 0, cell.get("id")
            # The call alone: its verdict is the cell's result, which nbgrader grades (no `?` to read past).
            assert re.fullmatch(r"check::ex_\d\d_\d\([^?;\n]*\)", cell.source.strip()), cell.source
