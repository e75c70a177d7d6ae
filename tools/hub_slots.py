"""Kernel build slots for the hub's students (tools/evcxr_kernel.py says what a slot is).

One slot, prepared and warmed once, is shared by every student: each student's slot is a tree
of new folders (theirs) whose compiled dependencies are hard links to the prepared files. Those
stay root's and read-only, so no student can change what the others load, and cost no disk. The
files that a build writes again are copied instead, and owned by the student: everything of the
crates built from a path (gdlab, and evcxr's own crate of the notebook's cells), cargo's lock
and the crate evcxr writes. A dependency cargo finds fresh is only read, never written.
"""
import os
import pathlib
import shutil

import nbformat
from nbclient import NotebookClient

# Cargo's per-unit outputs, named after their crate: the part of a slot worth sharing.
UNIT_FOLDERS = {"deps", "build", ".fingerprint"}
# Crates compiled from a path, rebuilt whenever their source changes: never shared.
LOCAL_CRATES = ("gdlab", "ctx")
STAMP = ".gdlab-prepared"


def link_tree(src, dst):
    """dst mirrors src: new folders, hard-linked files (a copy where src is on another
    file system). Files already in dst are left alone, so a second call only adds."""
    src, dst = pathlib.Path(src), pathlib.Path(dst)
    for folder, dirs, files in os.walk(src):
        rel = pathlib.Path(folder).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in files + [d for d in dirs if (pathlib.Path(folder) / d).is_symlink()]:
            s, d = pathlib.Path(folder) / name, dst / rel / name
            if d.exists() or d.is_symlink():
                continue
            if s.is_symlink():
                d.symlink_to(os.readlink(s))
            else:
                try:
                    os.link(s, d)
                except OSError:
                    shutil.copy2(s, d)


def copy_slot(src, dst):
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns("*.lock", "config"))


def is_shared(rel):
    """Whether the slot file at `rel` (relative to the slot) is a dependency's output."""
    parts = rel.parts
    for i, part in enumerate(parts[:-1]):
        if part in UNIT_FOLDERS and i > 0 and parts[i - 1] == "debug":
            unit = parts[i + 1].removeprefix("lib")
            return not unit.startswith(LOCAL_CRATES)
    return False


def prepared_id(prepared):
    """Changes whenever the prepared slot is built again (its newest gdlab)."""
    rlibs = sorted((prepared / "build").glob("**/debug/deps/libgdlab-*.rlib"), key=lambda p: p.stat().st_mtime)
    return f"{rlibs[-1].name} {rlibs[-1].stat().st_mtime_ns}" if rlibs else ""


def link_slot(prepared, slot, uid, gid):
    """The student's slot `slot` (owned by uid:gid) from the prepared one; kept when it is
    already made from this preparation (only a cache of builds, never the student's work)."""
    wanted = prepared_id(prepared)
    stamp = slot / STAMP
    if stamp.exists() and stamp.read_text() == wanted:
        return
    shutil.rmtree(slot, ignore_errors=True)
    for folder, dirs, files in os.walk(prepared):
        rel = pathlib.Path(folder).relative_to(prepared)
        if rel.parts[:1] in (("cache",), ("config",)):
            continue  # evcxr's :cache and the warm-up config: each kernel writes its own
        (slot / rel).mkdir(parents=True, exist_ok=True)
        os.chown(slot / rel, uid, gid)
        for name in files:
            s, d = pathlib.Path(folder) / name, slot / rel / name
            if name.startswith("libcode_"):
                continue  # the cells' libraries of the warm-up kernel, one per cell
            if s.is_symlink():
                d.symlink_to(os.readlink(s))
                os.lchown(d, uid, gid)
            elif is_shared(rel / name):
                os.link(s, d)
            else:
                shutil.copy2(s, d)
                os.chown(d, uid, gid)
    stamp.write_text(wanted)
    os.chown(stamp, uid, gid)
    os.chown(slot.parent, uid, gid)


def run_setup_cell(notebook, env, timeout, failed):
    """Notebook `notebook`'s set-up cell and one `let`, on the `rust` kernel with `env` added to
    the environment (its slots' folder, GDLAB_EVCXR_SLOTS, among them): what warms a slot.
    Exits with `failed` and the cause when the kernel fails; returns what the `let` printed."""
    nb = nbformat.read(notebook, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code" and ":dep gdlab" in c.source)
    nb.cells = [setup, nbformat.v4.new_code_cell("let gdlab_ready = 1;\ngdlab_ready")]
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        NotebookClient(nb, kernel_name="rust", timeout=timeout, startup_timeout=600).execute()
    except Exception as e:  # noqa: BLE001 (nbclient raises several kinds; each is fatal here)
        raise SystemExit(f"{failed}: {e}") from e
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return "".join(o.get("data", {}).get("text/plain", "") for o in nb.cells[-1].outputs)
