#!/usr/bin/env python3
"""The student edition: `cargo xtask student` calls this inside .venv.

For each notebook, nbgrader's own ClearSolutions replaces the region between `BEGIN SOLUTION`
and `END SOLUTION` in every solution cell by the course's code stub (tools/assignment.py's
CODE_STUB, `check::unanswered()`, which compiles wherever an answer goes), exactly as an nbgrader
release does; the cells tagged `solution` are then tagged `starter`. The notebook is executed in
OUT (target/student), where its set-up cell finds crates/gdlab by a path relative to OUT, and
written as OUT/NAME.ipynb and OUT/NAME.html: each exercise's check prints
`✗ Exercise N.k: not yet`. Grading stays off, so that is a hint, not an error. The sources in
notebooks/ are never written.

    python tools/student.py --out target/student [--param seed=7] [--teacher-out DIR] [notebooks...]

With --teacher-out (what `cargo xtask test` uses), each teacher notebook runs too, in the same
kernel as its student edition, into DIR (tools/nbrun.py's execute_with_student says why that is
the same as two runs).
"""
import argparse
import os
import pathlib
import sys

from nbgrader.preprocessors import ClearSolutions

import assignment
import nbrun

ROOT = pathlib.Path(__file__).resolve().parent.parent


def is_solution(cell):
    return cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])


def student_edition(nb, out_dir):
    """`nb` (a freshly loaded notebook, changed in place) with its solutions cleared; its set-up
    cell points at crates/gdlab from out_dir."""
    if not any(is_solution(c) for c in nb.cells):
        raise ValueError("the notebook has no solution cells")
    nb, _ = ClearSolutions(code_stub={"rust": assignment.CODE_STUB}).preprocess(nb, {})
    for cell in nb.cells:
        if is_solution(cell):
            cell.metadata["tags"] = ["starter" if t == "solution" else t for t in cell.metadata["tags"]]
    setup = next(c for c in nb.cells if c.cell_type == "code" and assignment.CRATE in c.source)
    crate = os.path.relpath(ROOT / "crates/gdlab", out_dir)
    setup.source = setup.source.replace(assignment.CRATE, f'path = "{crate}"')
    return nb


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=pathlib.Path)
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    ap.add_argument("--teacher-out", type=pathlib.Path,
                    help="also run the teacher notebooks, in the same kernels, into this folder")
    args = ap.parse_args()
    params = nbrun.parse_params(args.param)
    out = args.out.resolve()
    if out == (ROOT / "notebooks").resolve():
        sys.exit("--out would overwrite the source notebooks; choose a folder under target/")
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    out.mkdir(parents=True, exist_ok=True)  # the kernel starts in it
    failed = 0
    for src in notebooks:
        try:
            nb = student_edition(nbrun.parameterize(src.resolve(), params), out)
            if args.teacher_out:
                teacher = nbrun.parameterize(src.resolve(), params)
                elapsed, error = nbrun.execute_with_student(teacher, nb, src.resolve().parent, args.teacher_out, out,
                                                            src.name, args.timeout, "rust")
            else:
                elapsed, error = nbrun.execute(nb, out, out, src.name, args.timeout, "rust")
        except ValueError as e:
            elapsed, error = 0.0, str(e)
        failed += nbrun.report(src.name, elapsed, error)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
