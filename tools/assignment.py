#!/usr/bin/env python3
"""An nbgrader course of the notebooks: `cargo xtask assignment` calls this inside .venv.

    python tools/assignment.py --course target/course [--param seed=7] [notebooks...]

It writes COURSE/nbgrader_config.py and COURSE/source/gdlab/NN_*.ipynb, then runs nbgrader's own
`generate_assignment`, which creates the gradebook (COURSE/gradebook.db) and writes
COURSE/release/gdlab/, what the students get. Each source notebook is the teacher notebook with
its parameters injected by papermill, its set-up cell pointing at this checkout's crates/gdlab,
and one locked cell above the exercises that turns grading on: there, a check that is not yet
right fails its cell, which nbgrader scores as 0. The solutions are cleared with CODE_STUB,
the same stub as the student edition's (tools/student.py).
"""
import argparse
import pathlib
import subprocess
import sys

import nbformat

import nbrun

ROOT = pathlib.Path(__file__).resolve().parent.parent
ASSIGNMENT = "gdlab"
CRATE = 'path = "../crates/gdlab"'
# What replaces each solution region: an expression of any answer's type (check::Unanswered).
CODE_STUB = "// YOUR CODE HERE\ncheck::unanswered()"
GRADING_CELL = ("// This assignment is graded: from here on, a check that is not yet right scores 0\n"
                "// (its result is 0 for nbgrader) and still shows its hint.\n"
                "check::grading(true);")
# Seconds: nbgrader's defaults (30 s a cell, 60 s to start) are too short for a first,
# cold compile of the dependencies and for a kernel that pre-loads gdlab.
CELL_TIMEOUT, STARTUP_TIMEOUT = 1200, 600


def nbgrader_meta(grade_id, **kw):
    meta = {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3, "solution": False,
            "task": False}
    meta.update(kw)
    return meta


def course_source(src, params):
    """The nbgrader source notebook of the teacher notebook `src`."""
    nb = nbrun.parameterize(src, params)
    setup = next(c for c in nb.cells if c.cell_type == "code" and CRATE in c.source)
    setup.source = setup.source.replace(CRATE, f'path = "{ROOT / "crates" / "gdlab"}"')
    intro = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    grading = nbformat.v4.new_code_cell(GRADING_CELL, id="grading")
    grading.metadata["nbgrader"] = nbgrader_meta("grading", locked=True)
    nb.cells.insert(intro + 1, grading)
    return nb


def config_text(course):
    return f'''# nbgrader's configuration of the gdlab course, written by `cargo xtask assignment`.
c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = "gdlab"
c.CourseDirectory.root = {str(course)!r}
# The Rust kernel's stub for a cleared solution: it compiles in every solution cell, and every
# check says "not yet" to it (gdlab's check::Unanswered), so the released notebook runs through.
c.ClearSolutions.code_stub = {{"rust": {CODE_STUB!r}}}
c.Execute.timeout = {CELL_TIMEOUT}
c.Execute.startup_timeout = {STARTUP_TIMEOUT}
'''


def nbgrader(course, *args):
    """Runs nbgrader in the course folder; its output stays on the console."""
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course)
    if done.returncode:
        sys.exit(f"nbgrader {' '.join(args)} failed (exit {done.returncode})")


def write_course(course, notebooks, params):
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True, exist_ok=True)
    for old in source.glob("*.ipynb"):
        old.unlink()  # a course folder of an earlier run under target/, not a user's work
    for src in notebooks:
        nbformat.write(course_source(src.resolve(), params), source / src.name)
    (course / "nbgrader_config.py").write_text(config_text(course), encoding="utf-8")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=pathlib.Path)
    ap.add_argument("--course", type=pathlib.Path, required=True)
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    try:
        write_course(args.course.resolve(), notebooks, nbrun.parse_params(args.param))
    except ValueError as e:
        sys.exit(str(e))
    released = sorted((args.course / "release" / ASSIGNMENT).glob("*.ipynb"))
    print(f"{len(released)} notebook(s) released in {args.course / 'release' / ASSIGNMENT}")


if __name__ == "__main__":
    main()
