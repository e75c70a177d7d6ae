#!/usr/bin/env python3
"""The two steps of tools/k8s/Dockerfile that need more than a shell line (docs/kubernetes.md).

    prepare_image.py kernel EVCXR_JUPYTER [--prefix DIR]   # as root
    prepare_image.py warm [--release DIR] [--slots DIR]    # as jovyan, the students' user

`kernel` installs the `rust` kernel spec into this Python's prefix (share/jupyter/kernels/rust),
started through tools/evcxr_kernel.py as the project's own kernel is (xtask's ensure_kernel).

`warm` does what tools/hub.py's warm_prepared_slot does for `cargo xtask hub`: it runs the
released notebook 01's set-up cell once, in a prepared slot, so that the dependencies (polars,
plotly, ndarray, gdlab) are compiled into the image; then it makes the students' two kernel
slots from it with tools/hub_slots.link_slot (compiled dependencies hard-linked, so the image
stores them once), in tools/evcxr_kernel.py's default folder, target/evcxr, where every kernel
of the pod looks. It ends by running the set-up cell again in slot-0 and checking that no
dependency was compiled again. The builds hold this checkout's paths and CARGO_HOME's, so the
image must run with both where they were when it was built.
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys


ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import evcxr_kernel  # noqa: E402
import hub_slots  # noqa: E402

RELEASE = ROOT / "target" / "course" / "release" / "gdlab"
SLOTS = ROOT / "target" / "evcxr"  # evcxr_kernel.py's default, which the pods keep
SLOT_COUNT = 2  # two notebooks open at once, both warm (as on `cargo xtask hub`)


def kernel_spec(evcxr, prefix):
    """The `rust` kernel in PREFIX/share/jupyter: evcxr's own spec (logos, kernel.js) with the
    project's launcher in front. Returns the kernel.json written."""
    share = prefix / "share" / "jupyter"
    done = subprocess.run([str(evcxr), "--install"], env=dict(os.environ, JUPYTER_PATH=str(share)),
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"prepare_image: {evcxr} --install failed ({done.returncode}): {done.stderr.strip()}")
    path = share / "kernels" / "rust" / "kernel.json"
    spec = json.loads(path.read_text())
    spec["argv"] = [sys.executable, str(ROOT / "tools" / "evcxr_kernel.py"), str(evcxr), "{connection_file}"]
    path.write_text(json.dumps(spec, indent=2) + "\n")
    return path


def run_setup_cell(release, slots):
    """Notebook 01's set-up cell and a `let`, on the `rust` kernel, building in `slots`."""
    # The kernel reads its slots' folder from the environment; no pre-load, as for the students.
    env = dict(GDLAB_EVCXR_SLOTS=str(slots), GDLAB_EVCXR_WARM="0")
    out = hub_slots.run_setup_cell(release / "01_matrix_inverse.ipynb", env, 1800,
                                   f"prepare_image: the set-up cell failed in {slots}")
    if out.strip() != "1":
        sys.exit(f"prepare_image: the set-up check printed {out!r}, expected 1")


def relinked(slot):
    """The dependency outputs of `slot` that a build replaced: no longer hard links (the cells'
    own libraries, libcode_N, are new at every run and never linked)."""
    return [p for p in slot.rglob("*") if p.is_file() and not p.is_symlink() and not p.name.startswith("libcode_")
            and hub_slots.is_shared(p.relative_to(slot)) and p.stat().st_nlink < 2]


def warm(release, slots):
    prepared = slots.with_name(slots.name + "-prepared")
    run_setup_cell(release, prepared)
    if not evcxr_kernel.is_warm(prepared / "slot-0"):
        sys.exit("prepare_image: the prepared slot ran the set-up cell but holds no compiled gdlab")
    uid, gid = os.getuid(), os.getgid()
    for n in range(SLOT_COUNT):
        hub_slots.link_slot(prepared / "slot-0", slots / f"slot-{n}", uid, gid)
    # evcxr's :cache holds another copy of every dependency (1.6 GiB); the slots need none.
    shutil.rmtree(prepared / "slot-0" / "cache", ignore_errors=True)
    run_setup_cell(release, slots)  # the first free slot: slot-0
    rebuilt = relinked(slots / "slot-0")
    if rebuilt:
        sys.exit(f"prepare_image: slot-0 compiled {len(rebuilt)} dependency file(s) again, e.g. {rebuilt[0]}")
    shutil.rmtree(slots / "slot-0" / "cache", ignore_errors=True)
    print(f"prepare_image: {SLOT_COUNT} warm kernel slots in {slots}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="step", required=True)
    k = sub.add_parser("kernel", help="install the rust kernel spec")
    k.add_argument("evcxr", type=pathlib.Path, help="the pinned evcxr_jupyter")
    k.add_argument("--prefix", type=pathlib.Path, default=pathlib.Path(sys.prefix))
    w = sub.add_parser("warm", help="compile the dependencies into the students' kernel slots")
    w.add_argument("--release", type=pathlib.Path, default=RELEASE)
    w.add_argument("--slots", type=pathlib.Path, default=SLOTS, help="another folder, to try it outside an image")
    args = ap.parse_args()
    if args.step == "kernel":
        print(f"prepare_image: wrote {kernel_spec(args.evcxr.resolve(), args.prefix)}")
    else:
        if not (args.release / "01_matrix_inverse.ipynb").exists():
            sys.exit(f"prepare_image: {args.release} has no notebooks: run tools/assignment.py first")
        warm(args.release, args.slots.resolve())


if __name__ == "__main__":
    main()
