#!/usr/bin/env python3
"""Execute gdlab notebooks headlessly: `cargo xtask run` calls this inside .venv.

For each notebook it injects parameters (papermill's convention: a cell tagged
`injected-parameters` after the one tagged `parameters`), runs it on the `rust` kernel,
and writes OUT/NAME.ipynb (executed) and OUT/NAME.html (standalone, offline). The sources
in notebooks/ are never written.
"""
import argparse
import json
import pathlib
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbconvert import HTMLExporter

HERE = pathlib.Path(__file__).resolve().parent
LET = re.compile(r"^\s*let\s+(?:mut\s+)?(\w+)\s*:\s*([^=]+?)\s*=\s*(.+?);\s*(//.*)?$")


def parameter_types(cell_source):
    """name -> Rust type, from `let name: Type = value;` lines of the parameters cell."""
    return {m.group(1): m.group(2) for m in map(LET.match, cell_source.splitlines()) if m}


def rust_literal(name, ty, value):
    if ty in ("String", "&str"):
        return json.dumps(value) + (".to_string()" if ty == "String" else "")
    if ty == "bool":
        if value not in ("true", "false"):
            raise ValueError(f"parameter {name}: expected true or false, got {value!r}")
        return value
    if ty in ("f32", "f64"):
        try:
            float(value)
        except ValueError:
            raise ValueError(f"parameter {name}: expected a number ({ty}), got {value!r}") from None
        return value if re.search(r"[.eE]", value) else value + ".0"
    if re.fullmatch(r"[ui](8|16|32|64|128|size)", ty):
        if not re.fullmatch(r"-?\d+", value) or (ty.startswith("u") and value.startswith("-")):
            raise ValueError(f"parameter {name}: expected an integer ({ty}), got {value!r}")
        return value
    raise ValueError(f"parameter {name}: type {ty} cannot be set from the command line")


def inject(nb, params):
    """Insert (or replace) the injected-parameters cell; returns the notebook."""
    cells = nb.cells
    cells[:] = [c for c in cells if "injected-parameters" not in c.metadata.get("tags", [])]
    idx = next((i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", [])), None)
    if not params:
        return nb
    if idx is None:
        raise ValueError("the notebook has no cell tagged 'parameters'")
    types = parameter_types(cells[idx].source)
    lines = ["// Injected by `cargo xtask run --param`"]
    for name, value in params.items():
        if name not in types:
            raise ValueError(f"unknown parameter {name!r}: expected one of {sorted(types)}")
        lines.append(f"let {name}: {types[name]} = {rust_literal(name, types[name], value)};")
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    cells.insert(idx + 1, cell)
    return nb


def export_html(nb, path):
    exporter = HTMLExporter(template_name="gdlab_offline", extra_template_basedirs=[str(HERE / "nbconvert")])
    body, _ = exporter.from_notebook_node(nb)
    path.write_text(body, encoding="utf-8")


def first_error(nb):
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, f"{out.get('ename')}: {out.get('evalue')}"
    return None


def run_one(src, out_dir, params, timeout, kernel):
    nb = inject(nbformat.read(src, as_version=4), params)
    # A warm kernel loads gdlab before it reports ready (tools/evcxr_kernel.py): allow for it.
    client = NotebookClient(nb, timeout=timeout, startup_timeout=600, kernel_name=kernel,
                            resources={"metadata": {"path": str(src.parent)}})
    start = time.monotonic()
    error = None
    try:
        client.execute()
    except CellTimeoutError as e:
        error = f"timed out after {timeout} s: {str(e).splitlines()[0]}"
    except CellExecutionError:
        pass  # the error output is in the notebook; reported below with its cell
    except Exception as e:  # kernel died, could not start, ...
        error = f"{type(e).__name__}: {e}"
    elapsed = time.monotonic() - start
    found = first_error(nb)
    if found and not error:
        error = f"cell {found[0]}: {found[1]}"
    elif error:
        running = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not c.get("execution_count")), "?")
        error = f"cell {running}: {error}"
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / src.name)
    export_html(nb, out_dir / (src.stem + ".html"))
    return elapsed, error


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("notebooks", nargs="+", type=pathlib.Path)
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    ap.add_argument("--kernel", default="rust")
    args = ap.parse_args()
    params = {}
    for p in args.param:
        name, sep, value = p.partition("=")
        if not sep or not name:
            sys.exit(f"--param {p!r}: expected NAME=VALUE, e.g. --param seed=7")
        params[name.strip()] = value.strip()
    failed = 0
    for src in args.notebooks:
        try:
            elapsed, error = run_one(src.resolve(), args.out, params, args.timeout, args.kernel)
        except ValueError as e:
            elapsed, error = 0.0, str(e)
        status = "ok" if not error else "FAILED"
        print(f"{src.name:32} {status:6} {elapsed:7.1f} s", flush=True)
        if error:
            failed += 1
            print(f"  {src.name}: {error}", file=sys.stderr, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
