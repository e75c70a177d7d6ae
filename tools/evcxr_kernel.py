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
GDLAB_EVCXR_SLOTS moves the slots elsewhere (the benchmark's cold run uses empty ones; each
student of `cargo xtask hub` has theirs in ~/.gdlab/evcxr, see hub_slots.py).

A slot that has built gdlab before is warm: the kernel then starts with an evcxr config
(EVCXR_CONFIG_DIR, under the slot) that loads gdlab and types one variable, `gdlab_warm_up: ()`,
before the kernel reports ready. That is when evcxr's rust-analyzer loads the crate graph,
about 20 s, which a teacher spends reading instead of waiting on the first cells. (evcxr asks
rust-analyzer only about named variables, so without one the first `let` still takes 20 s;
a `()` costs the later cells nothing to restore.) If that
start fails, the kernel starts again without the config: never dead, only unwarmed.
GDLAB_EVCXR_WARM=0 turns the warm-up off.
"""
import ctypes
import fcntl
import os
import pathlib
import signal
import subprocess
import sys
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
SLOTS = pathlib.Path(os.environ.get("GDLAB_EVCXR_SLOTS") or ROOT / "target" / "evcxr").expanduser()


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


def is_warm(slot):
    """Whether `slot` has built gdlab before (tools/hub_slots.py asks too)."""
    return any((slot / "build" / "target").glob("*/debug/deps/libgdlab-*.rlib"))


def warm_config(slot):
    """The config folder that pre-loads gdlab, or None for a slot that never built it."""
    if os.environ.get("GDLAB_EVCXR_WARM") == "0":
        return None
    if not is_warm(slot):
        return None
    config = slot / "config"
    config.mkdir(exist_ok=True)
    crate = ROOT / "crates" / "gdlab"
    # The same settings as the notebooks' set-up cell, so that it finds everything done.
    (config / "init.evcxr").write_text(f':opt 0\n:cache 2048\n:dep gdlab = {{ path = "{crate}" }}\n')
    # Typing one variable makes rust-analyzer load the crate graph now, not in the first cell.
    # It must be a named `let` (`let _ = …` is not analysed); `()` is the cheapest to restore.
    (config / "prelude.rs").write_text("use gdlab::prelude::*;\nlet gdlab_warm_up: () = ();\n")
    return config


def die_with_parent():
    """The kernel ends when its launcher does, however the launcher is stopped."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


STOPPED = []
# What evcxr 0.22 prints at every start when it finds no evcxr.toml (command_context.rs,
# load_config). gdlab needs none: its settings are in the set-up cell. A newcomer running
# `cargo xtask run` read the line, once per notebook, as a fault, so it is dropped here.
NO_CONFIG = b"No configuration file found, use the default configuration\n"


def pass_on(stream, out):
    """Copies the kernel's stdout to ours, line by line, without evcxr's NO_CONFIG line."""
    for line in iter(stream.readline, b""):
        if line != NO_CONFIG:
            out.write(line)
            out.flush()


def run_kernel(command, env):
    """Runs evcxr_jupyter, passing a termination on to it; returns its exit code."""
    kernel = subprocess.Popen(command, env=env, preexec_fn=die_with_parent, close_fds=False, stdout=subprocess.PIPE)
    threading.Thread(target=pass_on, args=(kernel.stdout, sys.stdout.buffer), daemon=True).start()

    def stop(signum, _frame):
        STOPPED.append(signum)
        kernel.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts come as messages (kernel.json)
    return kernel.wait()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    evcxr, connection_file = sys.argv[1:]
    slot = take_slot()
    (slot / "build").mkdir(parents=True, exist_ok=True)
    (slot / "cache").mkdir(exist_ok=True)
    env = dict(os.environ, EVCXR_TMPDIR=str(slot / "build"), XDG_CACHE_HOME=str(slot / "cache"))
    command = [evcxr, "--control_file", connection_file]
    config = warm_config(slot)
    if config is not None:
        code = run_kernel(command, dict(env, EVCXR_CONFIG_DIR=str(config)))
        if code == 0 or STOPPED:
            sys.exit(code)
        print(f"evcxr_kernel.py: the warm start failed ({code}); starting without the warm-up", file=sys.stderr)
    sys.exit(run_kernel(command, env))


if __name__ == "__main__":
    main()
