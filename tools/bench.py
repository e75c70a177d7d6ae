#!/usr/bin/env python3
"""`cargo xtask bench`: the notebooks' speed against the PyTorch original, measured in one run.

What a teacher feels: in one run, a bare evcxr kernel (evcxr_jupyter as installed, no `:dep`)
gives the anchors (kernel ready, first `let`, median simple cell); notebook 01 on the project's
kernel gives the same figures, cell by cell through jupyter_client, and its whole time with the
kernel start, against the PyTorch original executed the same way. Every figure is printed with
its anchor and their ratio, and written to target/bench/results.json (nothing outside target/).

Runs inside .venv (the project's Jupyter stack, with the rust kernel). The PyTorch side runs in
.venv-bench, which `cargo xtask bench` creates (torch, pandas, plotly, ipykernel) and passes as
--torch-python.

    python tools/bench.py --torch-python .venv-bench/bin/python [--no-cold] [--runs N]
"""
import argparse
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "target/bench"
CARGO = os.environ.get("CARGO", "cargo")


def run(cmd, env=None, capture=False):
    res = subprocess.run([str(c) for c in cmd], env=env, cwd=ROOT, text=True,
                         stdout=subprocess.PIPE if capture else None)
    if res.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, cmd))} failed with {res.returncode}")
    return res.stdout


def timed(cmd, env=None):
    start = time.monotonic()
    run(cmd, env=env)
    return time.monotonic() - start


def torch_notebook_seconds(python, runs):
    """Wall time of executing bench/pytorch_original.ipynb with a Python kernel, as nbconvert --execute."""
    script = ("import sys, time, nbformat; from nbclient import NotebookClient\n"
              "nb = nbformat.read(sys.argv[1], as_version=4); t = time.monotonic()\n"
              "NotebookClient(nb, timeout=600, kernel_name='python3').execute()\n"
              "print(time.monotonic() - t)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV"))}
    return [float(run([python, "-c", script, ROOT / "bench/pytorch_original.ipynb"], env=env, capture=True))
            for _ in range(runs)]


def nbrun(notebooks, out, env=None):
    return timed([sys.executable, ROOT / "tools/nbrun.py", "--out", out, *notebooks], env=env)


def bare_kernel():
    """A kernelspec for evcxr_jupyter as installed, outside the project's launcher: the anchor."""
    spec = OUT / "jupyter/kernels/evcxr-bare"
    spec.mkdir(parents=True, exist_ok=True)
    evcxr = shutil.which("evcxr_jupyter")
    if evcxr is None:
        sys.exit("bench: evcxr_jupyter is not on PATH (cargo xtask bench installs it)")
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [evcxr, "--control_file", "{connection_file}"], "display_name": "bare evcxr",
        "language": "rust", "interrupt_mode": "message"}))
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(OUT / "jupyter"), os.environ.get("JUPYTER_PATH")]))
    return "evcxr-bare"


def session(kernel, cells, cwd):
    """Start `kernel`, run `cells` one by one as a reader would; returns (ready s, [cell s])."""
    from jupyter_client.manager import start_new_kernel
    start = time.monotonic()
    km, kc = start_new_kernel(kernel_name=kernel, startup_timeout=600, cwd=str(cwd))
    ready = time.monotonic() - start
    seconds = []
    try:
        for code in cells:
            errors = []
            hook = lambda msg: errors.append(msg["content"].get("evalue", "")) if msg["msg_type"] == "error" else None
            t = time.monotonic()
            reply = kc.execute_interactive(code, timeout=1200, output_hook=hook)
            seconds.append(time.monotonic() - t)
            if errors or reply["content"]["status"] != "ok":
                sys.exit(f"bench: a cell failed on kernel {kernel}: {code.splitlines()[0]!r}: {errors[:1]}")
    finally:
        km.shutdown_kernel(now=True)
    return ready, seconds


# The same cells on both kernels: one that defines a variable, then a simple one repeated.
FIRST_LET = "let values: Vec<f32> = vec![1.0, 2.0, 3.0, 4.0];"
SIMPLE = "let n = values.len();\nn"
REPEATS = 7


def bare_figures(kernel):
    ready, seconds = session(kernel, [FIRST_LET] + [SIMPLE] * REPEATS, OUT)
    return {"ready_s": ready, "first_let_s": seconds[0], "simple_cell_s": seconds[1:],
            "simple_cell_median_s": statistics.median(seconds[1:])}


def notebook_01_figures():
    """Notebook 01 cell by cell on the project's kernel, then the same simple cell as the bare kernel's."""
    nb = nbformat.read(ROOT / "notebooks/01_matrix_inverse.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    setup = next(i for i, c in enumerate(code) if ":dep gdlab" in c)
    first_let = next(i for i, c in enumerate(code) if i > setup and "let " in c)
    ready, seconds = session("rust", code + [FIRST_LET] + [SIMPLE] * REPEATS, ROOT / "notebooks")
    notebook = seconds[:len(code)]
    simple = seconds[len(code) + 1:]
    return {"ready_s": ready, "setup_cell_s": notebook[setup], "first_let_s": notebook[first_let],
            "cells_s": notebook, "whole_s": ready + sum(notebook), "simple_cell_s": simple,
            "simple_cell_median_s": statistics.median(simple)}


def cold_seconds():
    """All notebooks with empty kernel slots (tools installed): nothing compiled, no evcxr cache."""
    slots = OUT / "cold-slots"
    shutil.rmtree(slots, ignore_errors=True)
    env = dict(os.environ, GDLAB_EVCXR_SLOTS=str(slots))
    seconds = nbrun(sorted((ROOT / "notebooks").glob("*.ipynb")), OUT / "cold", env=env)
    shutil.rmtree(slots, ignore_errors=True)
    return seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-cold", action="store_true", help="skip the cold run (about 4 minutes)")
    ap.add_argument("--runs", type=int, default=3, help="repetitions of each kernel session")
    ap.add_argument("--torch-python", required=True, help="the python of .venv-bench, with torch")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    torch_python = pathlib.Path(args.torch_python)
    r = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine()}}

    print("==> PyTorch original notebook (kernel start included)", flush=True)
    r["torch_notebook_s"] = torch_notebook_seconds(torch_python, args.runs)
    print("==> Notebook 01 on the project's kernel (a first session fills a cold slot)", flush=True)
    nbrun([ROOT / "notebooks/01_matrix_inverse.ipynb"], OUT / "warm")
    bare_spec = bare_kernel()  # once: it prepends its folder to JUPYTER_PATH
    runs = []
    for k in range(args.runs):
        print(f"==> bare evcxr and notebook 01, session {k + 1} of {args.runs}", flush=True)
        runs.append((bare_figures(bare_spec), notebook_01_figures()))
    r["bare_evcxr"] = [b for b, _ in runs]
    r["notebook_01"] = [n for _, n in runs]
    if not args.no_cold:
        print("==> Cold: all notebooks, empty kernel slots (nothing compiled, no evcxr cache)", flush=True)
        r["cold_all_s"] = cold_seconds()
    print("==> 100 gradient steps, Rust (release) and PyTorch", flush=True)
    run([CARGO, "build", "--release", "-q", "-p", "gdlab", "--example", "loop_timing"])
    r["rust_loop"] = json.loads(run([ROOT / "target/release/examples/loop_timing"], capture=True))
    r["torch_loop"] = json.loads(run([torch_python, ROOT / "tools/bench_torch_loop.py"], capture=True))

    median = lambda runs, key: statistics.median(x[key] for x in runs)
    bare = {k: median(r["bare_evcxr"], k) for k in ("ready_s", "first_let_s", "simple_cell_median_s")}
    ours = {k: median(r["notebook_01"], k)
            for k in ("ready_s", "setup_cell_s", "first_let_s", "simple_cell_median_s", "whole_s")}
    torch_nb = statistics.median(r["torch_notebook_s"])
    rows = [
        ("kernel start -> ready", ours["ready_s"], "bare evcxr", bare["ready_s"], None, None),
        ("set-up cell after ready", ours["setup_cell_s"], "bare evcxr's first let", bare["first_let_s"],
         "<= 1.5 s and <= 1x", ours["setup_cell_s"] <= min(1.5, bare["first_let_s"])),
        ("first let cell after ready", ours["first_let_s"], "bare evcxr", bare["first_let_s"], "<= 2 s",
         ours["first_let_s"] <= 2),
        ("median simple cell", ours["simple_cell_median_s"], "bare evcxr", bare["simple_cell_median_s"],
         "<= 2x (stretch 1.5x)", ours["simple_cell_median_s"] <= 2 * bare["simple_cell_median_s"]),
        ("whole warm 01, kernel start included", ours["whole_s"], "PyTorch original", torch_nb,
         "<= 6x (stretch 4x)", ours["whole_s"] <= 6 * torch_nb),
    ]
    if "cold_all_s" in r:
        rows.append(("cold, all notebooks, empty slots", r["cold_all_s"], "4 min", 240.0, "<= 4 min",
                     r["cold_all_s"] <= 240))
    for n, need in (("n4", 100.0), ("n512", 1.0)):
        rows.append((f"100 gradient steps {n}", r["rust_loop"][n], "torch", r["torch_loop"][n],
                     f"torch/gdlab >= {need:g}", r["torch_loop"][n] / r["rust_loop"][n] >= need))
    r["table"] = [dict(zip(("figure", "value_s", "anchor", "anchor_s", "target", "met"), row),
                       ratio=row[1] / row[3]) for row in rows]
    (OUT / "results.json").write_text(json.dumps(r, indent=1) + "\n")

    print(f"\n{'figure':40} {'value':>9} {'anchor':>24} {'ratio':>8}  target")
    for name, value, anchor_name, anchor, target, met in rows:
        verdict = "" if target is None else f"{target}: {'met' if met else 'NOT met'}"
        print(f"{name:40} {value:8.3g}s {anchor_name:>14} {anchor:7.3g}s {value / anchor:7.3g}x  {verdict}")
    print(f"\nmachine: {r['machine']}, torch {r['torch_loop']['torch']} with {r['torch_loop']['threads']} threads")
    print(f"wrote {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
