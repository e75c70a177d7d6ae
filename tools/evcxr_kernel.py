#!/usr/bin/env python3
"""Starts evcxr_jupyter in a build folder that outlives the kernel: the `rust` kernel's launcher.

    evcxr_kernel.py EVCXR_JUPYTER CONNECTION_FILE

By default evcxr compiles in a fresh temporary folder at every kernel start, so cargo sees
nothing it built before: the helper crate is compiled anew (a local path crate never comes
from evcxr's `:cache`) and so are the cached crates whose dep-info names a file under an
earlier kernel's OUT_DIR (serde_core, rustversion and the ~16 crates above them), once per
cell. Here each kernel gets a slot, target/evcxr/slot-N, held by a lock for the kernel's
life, so two kernels never share one. The slot keeps evcxr's build folder (EVCXR_TMPDIR)
and its own `:cache` (XDG_CACHE_HOME), whose entries then always name this slot's paths.
GDLAB_EVCXR_SLOTS moves the slots elsewhere (the benchmark's cold run uses empty ones).
"""
import fcntl
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SLOTS = pathlib.Path(os.environ.get("GDLAB_EVCXR_SLOTS") or ROOT / "target" / "evcxr")


def take_slot():
    """The first slot no running kernel holds; its lock stays open (and held) across exec."""
    SLOTS.mkdir(parents=True, exist_ok=True)
    for n in range(64):
        fd = os.open(SLOTS / f"slot-{n}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        os.set_inheritable(fd, True)
        return SLOTS / f"slot-{n}"
    sys.exit("evcxr_kernel.py: 64 rust kernels are already running from this project")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    evcxr, connection_file = sys.argv[1:]
    slot = take_slot()
    (slot / "build").mkdir(parents=True, exist_ok=True)
    (slot / "cache").mkdir(exist_ok=True)
    os.environ["EVCXR_TMPDIR"] = str(slot / "build")
    os.environ["XDG_CACHE_HOME"] = str(slot / "cache")
    os.execv(evcxr, [evcxr, "--control_file", connection_file])


if __name__ == "__main__":
    main()
