#!/usr/bin/env python3
"""The student edition: `cargo xtask student` calls this inside .venv.

For each notebook, every cell tagged `solution` is replaced by its starter (the cell's
`gdlab.starter` metadata: code that compiles and runs, e.g. `let answer: f64 = f64::NAN;`),
and the starter metadata is dropped from every cell, so that no solution code is left in the
file. The notebook is then executed in OUT (target/student), where its set-up cell finds
crates/gdlab by a path relative to OUT, and written as OUT/NAME.ipynb and OUT/NAME.html:
each exercise's check prints `✗ Exercise N.k: not yet`. The sources in notebooks/ are never written.

    python tools/student.py --out target/student [--param seed=7] [notebooks...]
"""
import argparse
import os
import pathlib
import sys

import nbformat

import nbrun

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRATE = 'path = "../crates/gdlab"'


def is_solution(cell):
    return cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])


def student_edition(nb, out_dir):
    """`nb` (a freshly loaded notebook, changed in place) with starters for solutions; its set-up
    cell points at crates/gdlab from out_dir."""
    cells = []
    for cell in nb.cells:
        if is_solution(cell):
            starter = cell.metadata.get("gdlab", {}).get("starter")
            if starter is None:
                raise ValueError(f"the solution cell {cell.get('id')} has no gdlab.starter")
            cell = nbformat.v4.new_code_cell(starter, id=cell.get("id"))
            cell.metadata["tags"] = ["starter"]
        cell.metadata.pop("gdlab", None)
        cells.append(cell)
    nb.cells = cells
    setup = next(c for c in nb.cells if c.cell_type == "code" and CRATE in c.source)
    crate = os.path.relpath(ROOT / "crates/gdlab", out_dir)
    setup.source = setup.source.replace(CRATE, f'path = "{crate}"')
    return nb


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", type=pathlib.Path)
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
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
            elapsed, error = nbrun.execute(nb, out, out, src.name, args.timeout, "rust")
        except ValueError as e:
            elapsed, error = 0.0, str(e)
        failed += nbrun.report(src.name, elapsed, error)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
