#!/usr/bin/env python3
"""`cargo xtask bench`: the notebooks' speed against the PyTorch original, measured in one run.

Runs inside .venv (the project's Jupyter stack, with the rust kernel). The PyTorch side runs in
.venv-bench, which `cargo xtask bench` creates (torch, pandas, plotly, ipykernel) and passes as
--torch-python. Prints a table of figures with the anchor each is compared to, and writes
target/bench/results.json. Nothing is written outside target/.

    python tools/bench.py --torch-python .venv-bench/bin/python [--no-cold] [--runs N]
"""
import argparse
import datetime
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
from nbformat.v4 import new_code_cell, new_notebook

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


def cell_seconds(nb):
    out = []
    for cell in nb.cells:
        m = cell.metadata.get("execution", {})
        if "iopub.execute_input" in m and "shell.execute_reply" in m:
            t0 = datetime.datetime.fromisoformat(m["iopub.execute_input"].replace("Z", "+00:00"))
            t1 = datetime.datetime.fromisoformat(m["shell.execute_reply"].replace("Z", "+00:00"))
            out.append((t1 - t0).total_seconds())
    return out


def latency_seconds():
    """Median time of a simple cell after the first, in a kernel set up as the notebooks are."""
    setup = nbformat.read(ROOT / "notebooks/01_matrix_inverse.ipynb", as_version=4).cells[1].source
    cells = [setup, "let m = Array2::from_diag(&array![1.0f32, 2.0, 3.0, 4.0]);\n"
             "let y = Array2::<f32>::eye(4);\nlet y_hat: Array2<f32> = TorchRng::manual_seed(314).rand((4, 4)).dot(&m);"]
    cells += ["let l = mse(&y, &y_hat); l"] * 11
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata = {"kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"}}
    # nbrun runs a notebook from its own folder: point the setup cell's relative path at the crate
    # from there, so that the source stays under target/ and evcxr sees the same absolute path.
    src = OUT / "latency-src"
    src.mkdir(parents=True, exist_ok=True)
    crate = os.path.relpath(ROOT / "crates/gdlab", src)
    nb.cells[0].source = setup.replace('path = "../crates/gdlab"', f'path = "{crate}"')
    assert crate in nb.cells[0].source, "the setup cell names ../crates/gdlab"
    nbformat.write(nb, src / "bench_latency.ipynb")
    nbrun([src / "bench_latency.ipynb"], OUT / "latency")
    simple = cell_seconds(nbformat.read(OUT / "latency/bench_latency.ipynb", as_version=4))[3:]
    return statistics.median(simple), simple


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
    ap.add_argument("--runs", type=int, default=3, help="repetitions of the notebook timings")
    ap.add_argument("--torch-python", required=True, help="the python of .venv-bench, with torch")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    torch_python = pathlib.Path(args.torch_python)
    r = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.machine()}}

    print("==> PyTorch original notebook", flush=True)
    r["torch_notebook_s"] = torch_notebook_seconds(torch_python, args.runs)
    print("==> 01_matrix_inverse, warm (kernel restarted, caches kept)", flush=True)
    nbrun([ROOT / "notebooks/01_matrix_inverse.ipynb"], OUT / "warm")  # fills the caches if they were empty
    r["warm_01_s"] = [nbrun([ROOT / "notebooks/01_matrix_inverse.ipynb"], OUT / "warm") for _ in range(args.runs)]
    print("==> Latency of a simple cell", flush=True)
    r["simple_cell_median_s"], r["simple_cell_s"] = latency_seconds()
    if not args.no_cold:
        print("==> Cold: all notebooks, empty kernel slots (nothing compiled, no evcxr cache)", flush=True)
        r["cold_all_s"] = cold_seconds()
    print("==> 100 gradient steps, Rust (release) and PyTorch", flush=True)
    run([CARGO, "build", "--release", "-q", "-p", "gdlab", "--example", "loop_timing"])
    r["rust_loop"] = json.loads(run([ROOT / "target/release/examples/loop_timing"], capture=True))
    r["torch_loop"] = json.loads(run([torch_python, ROOT / "tools/bench_torch_loop.py"], capture=True))

    torch_nb = statistics.median(r["torch_notebook_s"])
    warm = statistics.median(r["warm_01_s"])
    rows = [
        ("warm 01_matrix_inverse vs PyTorch original", warm, torch_nb, warm / torch_nb, "≤ 2× (stretch ≤ 1×)",
         warm / torch_nb <= 2),
        ("simple cell after the first", r["simple_cell_median_s"], 0.5, r["simple_cell_median_s"] / 0.5, "≤ 0.5 s",
         r["simple_cell_median_s"] <= 0.5),
    ]
    if "cold_all_s" in r:
        rows.append(("cold, all notebooks, empty kernel slots", r["cold_all_s"], 180.0, r["cold_all_s"] / 180,
                     "≤ 3 min", r["cold_all_s"] <= 180))
    for n, need in (("n4", 100.0), ("n512", 1.0)):
        speedup = r["torch_loop"][n] / r["rust_loop"][n]
        rows.append((f"100 gradient steps {n}: torch / gdlab", r["rust_loop"][n], r["torch_loop"][n], speedup,
                     f"≥ {need:g}× faster", speedup >= need))
    r["table"] = [dict(zip(("figure", "value_s", "anchor_s", "ratio", "target", "met"), row)) for row in rows]
    (OUT / "results.json").write_text(json.dumps(r, indent=1) + "\n")

    print(f"\n{'figure':48} {'value':>10} {'anchor':>10} {'ratio':>8}  target")
    for name, value, anchor, ratio, target, met in rows:
        print(f"{name:48} {value:9.4g}s {anchor:9.4g}s {ratio:7.3g}×  {target} {'met' if met else 'NOT met'}")
    print(f"\nmachine: {r['machine']}, torch {r['torch_loop']['torch']} with {r['torch_loop']['threads']} threads")
    print(f"wrote {OUT / 'results.json'}")


if __name__ == "__main__":
    main()
