#!/usr/bin/env python3
"""Execute gdlab notebooks headlessly: `cargo xtask run` calls this inside .venv.

For each notebook it injects parameters with papermill (a cell tagged `injected-parameters`
after the one tagged `parameters`, written by tools/papermill-rust), runs it on the `rust` kernel,
and writes OUT/NAME.ipynb (executed) and OUT/NAME.html (standalone, offline). The sources
in notebooks/ are never written.
"""
import argparse
import copy
import pathlib
import queue
import re
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from jupyter_core.utils import ensure_async
from nbconvert import HTMLExporter
import papermill
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

HERE = pathlib.Path(__file__).resolve().parent
INTEGER = re.compile(r"[ui](8|16|32|64|128|size)")


def value_of(text):
    """A --param value as papermill's `-p` reads it: an integer, a number, a bool or a string."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def check_value(name, ty, value):
    """A clear error before the kernel starts, for a value its parameter's type cannot hold."""
    if INTEGER.fullmatch(ty):
        if not isinstance(value, int) or isinstance(value, bool) or (ty.startswith("u") and value < 0):
            raise ValueError(f"parameter {name}: expected {'a non-negative' if ty.startswith('u') else 'an'} "
                             f"integer ({ty}), got {value!r}")
    elif ty in ("f32", "f64"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"parameter {name}: expected a number ({ty}), got {value!r}")
    elif ty == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"parameter {name}: expected true or false, got {value!r}")
    elif ty not in ("String", "&str"):
        raise ValueError(f"parameter {name}: type {ty} cannot be set from the command line")


def parameterize(src, params):
    """Papermill's injected-parameters cell, written by its Rust translator (tools/papermill-rust),
    after checking each name and value against the cell tagged `parameters`."""
    nb = load_notebook_node(str(src))
    if not params:
        return nb
    declared = {p["name"]: p["inferred_type_name"] for p in papermill.inspect_notebook(str(src)).values()}
    if not declared:
        raise ValueError("the notebook has no cell tagged 'parameters'")
    values = {}
    for name, text in params.items():
        if name not in declared:
            raise ValueError(f"unknown parameter {name!r}: expected one of {sorted(declared)}")
        values[name] = value_of(text)
        check_value(name, declared[name], values[name])
    return parameterize_notebook(nb, values, comment="Parameters injected by papermill")


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


class LateOutputClient(NotebookClient):
    """nbclient that also keeps a cell's output sent just after the kernel said it was idle.

    evcxr_jupyter 0.22 forwards a cell's stdout from one thread and reports idle from another
    (evcxr issue #353), so now and then a cell's last line comes after its idle; nbclient stops
    listening at idle and the line is lost (a fresh-clone run lost the last line of a cell of 05).
    Here each cell listens LINGER seconds longer for late output of its own."""

    LINGER = 0.2

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        await super()._async_poll_output_msg(parent_msg_id, cell, cell_index)
        deadline = time.monotonic() + self.LINGER
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=left))
            except queue.Empty:
                return
            late = msg["parent_header"].get("msg_id") == parent_msg_id
            if late and msg["msg_type"] in ("stream", "display_data", "execute_result"):
                self.process_message(msg, cell, cell_index)


def run(nb, cwd, timeout, kernel):
    """Runs `nb` in place from the folder `cwd`. Returns (seconds, error or None)."""
    # A warm kernel loads gdlab before it reports ready (tools/evcxr_kernel.py): allow for it.
    client = LateOutputClient(nb, timeout=timeout, startup_timeout=600, kernel_name=kernel,
                            resources={"metadata": {"path": str(cwd)}})
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
    return elapsed, located(nb, error)


def located(nb, error):
    """The notebook's first error output, or `error`, with the cell it happened in."""
    found = first_error(nb)
    if found and not error:
        return f"cell {found[0]}: {found[1]}"
    if error:
        running = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not c.get("execution_count")), "?")
        return f"cell {running}: {error}"
    return None


def write(nb, out_dir, name):
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / name)
    export_html(nb, out_dir / (pathlib.Path(name).stem + ".html"))


def execute(nb, cwd, out_dir, name, timeout, kernel):
    """Run `nb` from the folder `cwd`; write OUT_DIR/NAME.ipynb and .html. Returns (seconds, error)."""
    elapsed, error = run(nb, cwd, timeout, kernel)
    write(nb, out_dir, name)
    return elapsed, error


def exercises_start(nb):
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))


def renumbered(cells):
    """Cells with execution counts 1, 2, … in their order, as a run of these cells alone gives."""
    count = 0
    for cell in cells:
        if cell.cell_type == "code" and cell.get("execution_count"):
            count += 1
            cell.execution_count = count
            for out in cell.outputs:
                if "execution_count" in out:
                    out.execution_count = count
    return cells


def execute_with_student(teacher, student, cwd, out_dir, student_dir, name, timeout, kernel):
    """The teacher notebook and its student edition in one kernel: the lesson, then the student
    edition's exercises, then the teacher's. Up to its exercises the student edition is the
    teacher notebook (checked here), so the student's cells run in the state a run of the student
    edition alone gives them, without a second kernel start and a second run of the lesson.
    Writes both; returns (seconds, error of either)."""
    start = exercises_start(teacher)
    lesson, teachers, students = teacher.cells[:start], teacher.cells[start:], copy.deepcopy(student.cells[start:])
    differ = [a.source for a, b in zip(lesson, student.cells) if (a.cell_type, a.source) != (b.cell_type, b.source)]
    if len(student.cells) != len(teacher.cells) or [d for d in differ if ":dep gdlab" not in d]:
        raise ValueError("the student edition differs from the teacher notebook before its exercises "
                         "(other than in its set-up cell's path to crates/gdlab)")
    teacher.cells = lesson + students + teachers
    elapsed, error = run(teacher, cwd, timeout, kernel)
    done = teacher.cells
    for mine, ran in zip(student.cells[:start], done[:start]):
        mine.outputs, mine.execution_count = copy.deepcopy(ran.get("outputs", [])), ran.get("execution_count")
    student.cells = renumbered(student.cells[:start] + done[start:start + len(students)])
    teacher.cells = renumbered(copy.deepcopy(done[:start]) + done[start + len(students):])
    # `run` located a kernel's failure already (in the joint run's cells); else the first error output.
    error = error or located(teacher, None) or located(student, None)
    write(teacher, out_dir, name)
    write(student, student_dir, name)
    return elapsed, error


def run_one(src, out_dir, params, timeout, kernel):
    return execute(parameterize(src, params), src.parent, out_dir, src.name, timeout, kernel)


def parse_params(args):
    """`--param NAME=VALUE` options as a dict; exits with a message on a malformed one."""
    params = {}
    for p in args:
        name, sep, value = p.partition("=")
        if not sep or not name:
            sys.exit(f"--param {p!r}: expected NAME=VALUE, e.g. --param seed=7")
        params[name.strip()] = value.strip()
    return params


def report(name, elapsed, error):
    """One status line per notebook; the error on stderr. Returns 1 for a failure."""
    print(f"{name:32} {'ok' if not error else 'FAILED':6} {elapsed:7.1f} s", flush=True)
    if error:
        print(f"  {name}: {error}", file=sys.stderr, flush=True)
    return 1 if error else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("notebooks", nargs="+", type=pathlib.Path)
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    ap.add_argument("--kernel", default="rust")
    args = ap.parse_args()
    params = parse_params(args.param)
    failed = 0
    for src in args.notebooks:
        try:
            elapsed, error = run_one(src.resolve(), args.out, params, args.timeout, args.kernel)
        except ValueError as e:
            elapsed, error = 0.0, str(e)
        failed += report(src.name, elapsed, error)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
