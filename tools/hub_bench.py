#!/usr/bin/env python3
"""`cargo xtask bench hub`: what a class at `cargo xtask hub` costs on this machine, measured.

1. The warm build for each student, three ways, each timed from a kernel start (as the
   student, so that nothing shared can be written) to 01's first outputs:
   - linked: the prepared slot with the dependencies hard-linked (what the hub does);
   - copied: a full copy of the prepared slot;
   - cache: an empty build folder with a copy of the prepared slot's evcxr `:cache`.
   Each with the seconds and the disk it takes per student.
2. The kernel's memory with and without GDLAB_EVCXR_WARM (rust-analyzer's crate graph).
3. The hub itself, with --students K, in headless Chromium: seconds from Log in to 01's first
   outputs for student 1, and for student K while students 1 … K-1 run all of 01; the memory
   (RSS) of one student's processes; from that, the students this machine's memory serves.

Figures go to the console and target/bench/hub.json. Needs root (the hub's accounts).

    python tools/hub_bench.py [--students K]
"""
import argparse
import json
import os
import pathlib
import pwd
import shutil
import statistics
import subprocess
import sys
import time

import browser
import hub
import hub_client
import hub_slots

ROOT = pathlib.Path(__file__).resolve().parent.parent
HUB = ROOT / "target" / "hub"
OUT = ROOT / "target" / "bench"
PYTHON = HUB / "venv" / "bin" / "python"  # the students' Python (tools/hub.py)
# The benchmark's own accounts, never a class's: it runs their notebooks.
PREFIX = "gdlabbench"
STUDENT = f"{PREFIX}01"


def scratch():
    """The measured slots' folder: in the student's home, where the hub puts their slots."""
    return pathlib.Path(pwd.getpwnam(STUDENT).pw_dir) / ".gdlab" / "bench"

# As the student: start a kernel in GDLAB_EVCXR_SLOTS, run 01's first cells, print the figures.
KERNEL_TIMING = r"""
import json, os, pathlib, sys, time
import nbformat
from jupyter_client.manager import start_new_kernel
nb = nbformat.read(sys.argv[1], as_version=4)
cells = [c.source for c in nb.cells if c.cell_type == "code"][:4]
def tree(p):
    kids = pathlib.Path(f"/proc/{p}/task/{p}/children").read_text().split()
    return [p] + [q for k in kids for q in tree(int(k))]
def rss(p):
    for line in pathlib.Path(f"/proc/{p}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0
t0 = time.monotonic()
km, kc = start_new_kernel(kernel_name="rust", startup_timeout=900)
ready = time.monotonic() - t0
pid = km.provisioner.pid
ready_rss = sum(rss(p) for p in tree(pid))
for i, src in enumerate(cells):
    reply = kc.execute_interactive(src, timeout=900, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok", (i, reply["content"])
first = time.monotonic() - t0
print(json.dumps({"ready_s": ready, "first_outputs_s": first, "ready_rss": ready_rss,
                  "kernel_rss": sum(rss(p) for p in tree(pid))}))
kc.stop_channels(); km.shutdown_kernel(now=False)
"""


def student_env(slots, **extra):
    user = pwd.getpwnam(STUDENT)
    return dict(hub.student_environment(), HOME=user.pw_dir, USER=STUDENT, GDLAB_EVCXR_SLOTS=str(slots), **extra)


def kernel_timing(slots, **extra):
    """01's first cells in a fresh kernel of the student's, with its slots in `slots`."""
    cmd = ["runuser", "-u", STUDENT, "--", "env", "-i",
           *[f"{k}={v}" for k, v in student_env(slots, **extra).items()],
           PYTHON, "-c", KERNEL_TIMING, ROOT / "target/course/release/gdlab/01_matrix_inverse.ipynb"]
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd="/tmp")
    if done.returncode:
        sys.exit(f"hub bench: the kernel run in {slots} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def own_bytes(folder):
    """Disk that `folder` adds: files with one link only (a hard link to a shared file is free)."""
    total = 0
    for path in folder.rglob("*"):
        st = path.lstat()
        if path.is_file() and not path.is_symlink() and st.st_nlink == 1:
            total += st.st_blocks * 512
    return total


def mechanisms():
    user = pwd.getpwnam(STUDENT)
    prepared = HUB / "prepared" / "slot-0"
    results = {}
    for name in ("linked", "copied", "cache"):
        slots = scratch() / name
        shutil.rmtree(slots, ignore_errors=True)
        slots.mkdir(parents=True)
        start = time.monotonic()
        if name == "linked":
            hub_slots.link_slot(prepared, slots / "slot-0", user.pw_uid, user.pw_gid)
        elif name == "copied":
            hub_slots.copy_slot(prepared, slots / "slot-0")
        else:
            shutil.copytree(prepared / "cache", slots / "slot-0" / "cache")
        prepare = time.monotonic() - start
        # link_slot owns what it makes; the copies are root's until handed over.
        recursive = [] if name == "linked" else ["-R"]
        subprocess.run(["chown", *recursive, f"{user.pw_uid}:{user.pw_gid}", str(slots)], check=True)
        disk = own_bytes(slots)
        timing = kernel_timing(slots)
        results[name] = dict(prepare_s=prepare, disk_bytes=disk, **timing)
        print(f"  {name:7} prepare {prepare:6.1f} s   disk {disk / 2**20:8.0f} MiB   kernel ready "
              f"{timing['ready_s']:6.1f} s   first outputs {timing['first_outputs_s']:6.1f} s", flush=True)
    shutil.rmtree(scratch() / "copied", ignore_errors=True)
    shutil.rmtree(scratch() / "cache", ignore_errors=True)
    return results


def warm_memory():
    results = {}
    for warm in ("1", "0"):
        t = kernel_timing(scratch() / "linked", GDLAB_EVCXR_WARM=warm)
        results[warm] = t
        print(f"  GDLAB_EVCXR_WARM={warm}: kernel RSS at ready {t['ready_rss'] / 2**20:6.0f} MiB, after the first cells "
              f"{t['kernel_rss'] / 2**20:6.0f} MiB   ready {t['ready_s']:5.1f} s"
              f"   first outputs {t['first_outputs_s']:5.1f} s", flush=True)
    return results


def rss_by_process(uid):
    return [(cmd[:90], rss) for _, u, rss, cmd in hub_client.processes() if u == uid]


def hub_figures(students):
    log = OUT / "hub-bench.log"
    with hub_client.running_hub(students, PREFIX, log, browser.free_port()) as (_, url, password):
        names = [f"{PREFIX}{i:02d}" for i in range(1, students + 1)]
        with browser.browser() as b:
            first, _, page1 = hub_client.first_output_seconds(b, url, names[0], password, "01_matrix_inverse.ipynb", 4)
            print(f"  student 1: Log in to 01's first outputs {first:6.1f} s", flush=True)
            per_student = rss_by_process(pwd.getpwnam(names[0]).pw_uid)
            pages = [page1]
            for name in names[1:-1]:
                _, _, page = hub_client.first_output_seconds(b, url, name, password, "01_matrix_inverse.ipynb", 4)
                pages.append(page)
            for page in pages:
                hub_client.run_all(page)
            last, _, _ = hub_client.first_output_seconds(b, url, names[-1], password, "01_matrix_inverse.ipynb", 4)
            print(f"  student {students}, while {students - 1} run all of 01: {last:6.1f} s", flush=True)
        hub_rss = sum(r for cmd, r in rss_by_process(0) if "jupyterhub" in cmd or "configurable-http-proxy" in cmd)
    return first, last, per_student, hub_rss


def pss(pids):
    """Proportional set size of the processes, bytes: a shared page counts 1/k for each of k users."""
    total = 0
    for pid in pids:
        try:
            for line in pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass  # ended while we looked
    return total


def class_run(n):
    """N students log in at once and run 01's first four cells: seconds from Log in to the
    fourth cell's output for each, each student's PSS after it, and who hung or failed."""
    log = OUT / f"hub-class-{n}.log"
    names = [f"{PREFIX}{i:02d}" for i in range(1, n + 1)]
    cells, notebook = 4, "01_matrix_inverse.ipynb"
    seconds, errors, pages = {}, {}, {}
    hub_client.fresh_release(names, hub.TAG)  # another checkout's release points at its own gdlab
    with hub_client.running_hub(n, PREFIX, log, browser.free_port()) as (_, url, password):
        with browser.browser() as b:
            started = {}
            for name in names:  # every Log in pressed within a second or two: the spawns overlap
                started[name] = time.monotonic()
                pages[name] = hub_client.log_in(b, url, name, password)[1]
            for name in names:
                try:
                    hub_client.open_notebook(pages[name], url, name, notebook)
                    hub_client.queue_first_cells(pages[name], cells)
                except Exception as e:  # noqa: BLE001: a student's failure is a figure, not the end
                    errors[name] = f"{type(e).__name__}: {str(e)[:200]}"
            deadline = time.monotonic() + 2 * hub_client.CELL_SECONDS
            waiting = [x for x in names if x not in errors]
            while waiting and time.monotonic() < deadline:
                for name in list(waiting):
                    try:
                        done = hub_client.cells_done(pages[name], cells)
                    except Exception as e:  # noqa: BLE001
                        errors[name], done = f"{type(e).__name__}: {str(e)[:200]}", False
                        waiting.remove(name)
                    if done:
                        seconds[name] = time.monotonic() - started[name]
                        waiting.remove(name)
                time.sleep(0.5)
            hangs = waiting
            for name in seconds:
                if "0.2500" not in hub_client.outputs(pages[name], cells)[3]:
                    errors[name] = "the inverse's output is wrong"
            uids = {pwd.getpwnam(x).pw_uid for x in names}
            by_uid, chromium = {}, []
            for pid, uid, _, cmd in hub_client.processes():  # one look at the process table
                if uid in uids:
                    by_uid.setdefault(uid, []).append(pid)
                elif uid == 0 and "chrom" in cmd:
                    chromium.append(pid)
            per_student = sorted(pss(pids) for pids in by_uid.values())
            browser_pss = pss(chromium)
    times = sorted(seconds.values())
    figures = dict(students=n, first_output_s=times, median_s=statistics.median(times) if times else None,
                   slowest_s=times[-1] if times else None, pss_per_student=per_student,
                   median_pss=statistics.median(per_student) if per_student else None,
                   browser_pss=browser_pss, hangs=hangs, errors=errors)
    mib = lambda v: f"{v / 2**20:.0f} MiB" if v else "-"
    print(f"  {n:3} students at once: Log in to first output median {figures['median_s'] or 0:6.1f} s, slowest "
          f"{figures['slowest_s'] or 0:6.1f} s; PSS per student median {mib(figures['median_pss'])} "
          f"(Chromium's {mib(browser_pss)} apart); {len(hangs)} hung, {len(errors)} failed", flush=True)
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=4)
    ap.add_argument("--class-sizes", default="", metavar="N,N,…",
                    help="only the class runs: N students at once, for each N (e.g. 4,8,12,16)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("hub bench: needs root, as `cargo xtask hub` does")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.class_sizes:
        sizes = [int(n) for n in args.class_sizes.split(",")]
        print("\nClass runs at the hub, in headless Chromium on this machine (2 cores, 24 GiB):", flush=True)
        runs = [class_run(n) for n in sizes]
        (OUT / "hub-class.json").write_text(json.dumps(runs, indent=1) + "\n")
        return
    print("\nThe hub's figures (this machine: 2 cores, 24 GiB)", flush=True)
    # The hub prepares the accounts and the prepared slot that the first parts measure.
    done = subprocess.run(["cargo", "xtask", "hub", "--students", str(args.students), "--prefix", PREFIX,
                           "--prepare-only", "--open-path"], cwd=ROOT)
    if done.returncode:
        sys.exit("hub bench: preparing the hub failed")
    print("Each student's warm build, three ways (01's first four cells in a fresh kernel):", flush=True)
    ways = mechanisms()
    print("The kernel's memory, with and without the warm-up:", flush=True)
    warm = warm_memory()
    print(f"The hub with {args.students} students, in Chromium:", flush=True)
    first, last, per_student, hub_rss = hub_figures(args.students)
    student_rss = sum(r for _, r in per_student)
    for cmd, r in sorted(per_student, key=lambda x: -x[1]):
        print(f"    {r / 2**20:7.0f} MiB  {cmd}")
    memory = 24 * 2**30
    serves = int((memory - hub_rss - 2 * 2**30) // student_rss)
    print(f"  one student: {student_rss / 2**20:.0f} MiB; the hub and proxy {hub_rss / 2**20:.0f} MiB; "
          f"24 GiB less 2 GiB for the system serves {serves} students by memory", flush=True)
    results = dict(ways=ways, warm=warm, first_s=first, kth_s=last, students=args.students,
                   student_rss=student_rss, per_process=per_student, hub_rss=hub_rss, serves_by_memory=serves)
    (OUT / "hub.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
