#!/usr/bin/env python3
"""`cargo xtask bench hub`: what a class at `cargo xtask hub` costs on this machine, measured.

1. The warm build for each student, three ways, each timed from a kernel start (as the
   student, so that nothing shared can be written) to 01's first outputs:
   - linked: the prepared slot with the dependencies hard-linked (what the hub does);
   - copied: a full copy of the prepared slot;
   - cache: an empty build folder with a copy of the prepared slot's evcxr `:cache`.
   Each with the seconds and the disk it takes per student.
2. The kernel's memory with and without GDLAB_EVCXR_WARM (rust-analyzer's crate graph), and
   after 01's set-up cell and one `let` (the figure #31 sets a target for).
3. The hub itself, with --students K, in headless Chromium: seconds from Log in to 01's first
   outputs for student 1, and for student K while students 1 … K-1 run all of 01; the memory
   (RSS) of one student's processes; from that, the students this machine's memory serves.

--class-sizes N,N,…: instead, N students log in at once, for each N (class_run).
--zram SIZE alone: one kernel paged out into zram with each compressor (swap_probe); with
--class-sizes, the class runs on a hub started with --zram SIZE.

Figures go to the console and target/bench/hub*.json. Needs root (the hub's accounts).

    python tools/hub_bench.py [--students K] [--class-sizes N,N,…] [--zram SIZE]
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
import procs
import zram

ROOT = pathlib.Path(__file__).resolve().parent.parent
HUB = ROOT / "target" / "hub"
OUT = ROOT / "target" / "bench"
PYTHON = HUB / "venv" / "bin" / "python"  # the students' Python (tools/hub.py)
# The benchmark's own accounts, never a class's: it runs their notebooks.
PREFIX = "gdlabbench"
STUDENT = f"{PREFIX}01"
NOTEBOOK = ROOT / "target/course/release/gdlab/01_matrix_inverse.ipynb"


def scratch():
    """The measured slots' folder: in the student's home, where the hub puts their slots."""
    return pathlib.Path(pwd.getpwnam(STUDENT).pw_dir) / ".gdlab" / "bench"

# As the student: start a kernel in GDLAB_EVCXR_SLOTS, run 01's first cells, print the figures.
KERNEL_TIMING = r"""
import json, sys, time
import nbformat
from jupyter_client.manager import start_new_kernel
nb = nbformat.read(sys.argv[1], as_version=4)
cells = [c.source for c in nb.cells if c.cell_type == "code"][:4]
sys.path.insert(0, sys.argv[2])
from procs import rss, tree
t0 = time.monotonic()
km, kc = start_new_kernel(kernel_name="rust", startup_timeout=900)
ready = time.monotonic() - t0
pid = km.provisioner.pid
ready_rss = rss(tree(pid))
for i, src in enumerate(cells):
    reply = kc.execute_interactive(src, timeout=900, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok", (i, reply["content"])
first = time.monotonic() - t0
print(json.dumps({"ready_s": ready, "first_outputs_s": first, "ready_rss": ready_rss,
                  "kernel_rss": rss(tree(pid))}))
kc.stop_channels(); km.shutdown_kernel(now=False)
"""


def student_env(slots, **extra):
    user = pwd.getpwnam(STUDENT)
    return dict(hub.student_environment(), HOME=user.pw_dir, USER=STUDENT, GDLAB_EVCXR_SLOTS=str(slots), **extra)


def student_script(slots, script, *args, **extra):
    """The command that runs `script` with `args` on the students' Python as STUDENT, in the
    student's environment alone (env -i) with its slots in `slots` and `extra` added."""
    env = [f"{k}={v}" for k, v in student_env(slots, **extra).items()]
    return [str(c) for c in ["runuser", "-u", STUDENT, "--", "env", "-i", *env, PYTHON, "-c", script, *args]]


def student_json(cmd, what):
    """Run a student_script to its end; the JSON on its last line of output."""
    done = subprocess.run(cmd, capture_output=True, text=True, cwd="/tmp")
    if done.returncode:
        sys.exit(f"hub bench: {what} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def kernel_timing(slots, **extra):
    """01's first cells in a fresh kernel of the student's, with its slots in `slots`."""
    cmd = student_script(slots, KERNEL_TIMING, NOTEBOOK, ROOT / "tools", **extra)
    return student_json(cmd, f"the kernel run in {slots}")


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


# As the student: the issue's protocol for a kernel's memory (#31): 01's set-up cell and one typed
# `let`, then two one-line cells, the RSS of the kernel and its children 2 s after each stage.
LET_MEMORY = r"""
import json, sys, time
import nbformat
sys.path.insert(0, sys.argv[2])
from procs import rss, tree
from jupyter_client.manager import start_new_kernel
setup = [c.source for c in nbformat.read(sys.argv[1], as_version=4).cells if c.cell_type == "code"][0]
km, kc = start_new_kernel(kernel_name="rust", startup_timeout=900)
out = {}
for stage, cells in (("after_let", [setup, "let seed: u64 = 314;"]), ("settled", ["let k = 1 + 1;", "let k2 = k + 1;"])):
    for src in cells:
        reply = kc.execute_interactive(src, timeout=900, output_hook=lambda m: None)
        assert reply["content"]["status"] == "ok", reply["content"]
    time.sleep(2)
    out[stage] = rss(tree(km.provisioner.pid))
print(json.dumps(out))
kc.stop_channels(); km.shutdown_kernel(now=False)
"""


def let_memory(runs=3):
    """The issue's figure, `runs` times in fresh kernels (the slots are the linked ones)."""
    results = []
    for _ in range(runs):
        cmd = student_script(scratch() / "linked", LET_MEMORY, NOTEBOOK, ROOT / "tools", GDLAB_EVCXR_WARM="0")
        results.append(student_json(cmd, "the kernel's memory run"))
    span = lambda k: "–".join(f"{f(r[k] for r in results) / 2**20:.0f}" for f in (min, max))  # noqa: E731
    print(f"  set-up cell and `let`: {span('after_let')} MiB; two one-line cells later: {span('settled')} MiB "
          f"({runs} fresh kernels; the kernel and its children, RSS)", flush=True)
    return results


# As the student: 01's first cells, a simple cell three times; then, after a line on stdin (root has
# paged the kernel out meanwhile), the same cell three times again.
SWAP_PROBE = r"""
import json, sys, time
import nbformat
from jupyter_client.manager import start_new_kernel
nb = nbformat.read(sys.argv[1], as_version=4)
km, kc = start_new_kernel(kernel_name="rust", startup_timeout=900)
def timed(src):
    t = time.monotonic()
    reply = kc.execute_interactive(src, timeout=900, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return time.monotonic() - t
for src in [c.source for c in nb.cells if c.cell_type == "code"][:4]:
    timed(src)
timed("let values: Vec<f32> = vec![1.0, 2.0, 3.0, 4.0];")
simple = "let n = values.len();\nn"  # tools/bench.py's simple cell
print(json.dumps({"pid": km.provisioner.pid, "before_s": [timed(simple) for _ in range(3)]}), flush=True)
sys.stdin.readline()
print(json.dumps({"after_s": [timed(simple) for _ in range(3)]}), flush=True)
kc.stop_channels(); km.shutdown_kernel(now=False)
"""


def swap_probe(size, compressor):
    """One student kernel after 01's first cells, paged out whole into a zram device with
    `compressor`: what went in, what it took, and a simple cell's seconds before and after."""
    user = pwd.getpwnam(STUDENT)
    slots = scratch() / "zram"
    shutil.rmtree(slots, ignore_errors=True)
    slots.mkdir(parents=True)
    hub_slots.link_slot(HUB / "prepared" / "slot-0", slots / "slot-0", user.pw_uid, user.pw_gid)
    subprocess.run(["chown", f"{user.pw_uid}:{user.pw_gid}", str(slots)], check=True)
    cmd = student_script(slots, SWAP_PROBE, NOTEBOOK)
    with zram.swap(size, HUB / "zram-device", compressor) as n:
        probe = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd="/tmp")
        line = probe.stdout.readline()
        if not line:
            sys.exit(f"hub bench: the swap probe's kernel failed ({compressor}); see its error above")
        first = json.loads(line)
        pids = procs.tree(first["pid"])
        resident = procs.rss(pids)
        start = time.monotonic()
        for pid in pids:
            zram.page_out(pid)
        page_out_s = time.monotonic() - start
        after_out = procs.rss(pids)
        went, device = procs.status_bytes(pids, "VmSwap"), zram.stats(n)
        probe.stdin.write("go\n")
        probe.stdin.flush()
        later = json.loads(probe.stdout.readline())
        back = procs.rss(pids)
        probe.communicate(timeout=120)
    figures = dict(compressor=compressor, rss_before=resident, rss_paged_out=after_out, rss_after_cells=back,
                   swapped=went, stored=device["stored"], compressed=device["compressed"], zram_ram=device["ram"],
                   page_out_s=page_out_s, **first, **later)
    print(f"  {compressor:8} {went / 2**20:5.0f} MiB went out in {page_out_s:4.1f} s and took "
          f"{device['ram'] / 2**20:4.0f} MiB ({device['stored'] / max(device['ram'], 1):.1f} : 1); RSS "
          f"{resident / 2**20:.0f} -> {after_out / 2**20:.0f} -> {back / 2**20:.0f} MiB after three cells; "
          f"simple cell {statistics.median(first['before_s']):.2f} s before, "
          + ", ".join(f"{t:.2f}" for t in later["after_s"]) + " s after", flush=True)
    return figures


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


def class_run(n, zram_size=None):
    """N students log in at once and run 01's first four cells: seconds from Log in to the
    fourth cell's output for each, each student's PSS after it, and who hung or failed. With
    `zram_size`, the hub runs with `--zram` and the figures add what was swapped and what it took."""
    log = OUT / f"hub-class-{n}{'-zram' if zram_size else ''}.log"
    names = [f"{PREFIX}{i:02d}" for i in range(1, n + 1)]
    cells, notebook = 4, "01_matrix_inverse.ipynb"
    seconds, errors, pages = {}, {}, {}
    hub_client.fresh_release(names, hub.TAG)  # another checkout's release points at its own gdlab
    extra = ["--zram", zram_size] if zram_size else []
    with hub_client.running_hub(n, PREFIX, log, browser.free_port(), extra) as (_, url, password):
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
                try:
                    if "0.2500" not in hub_client.outputs(pages[name], cells)[3]:
                        errors[name] = "the inverse's output is wrong"
                except Exception as e:  # noqa: BLE001
                    errors[name] = f"reading the outputs: {type(e).__name__}: {str(e)[:200]}"
            uids = {pwd.getpwnam(x).pw_uid for x in names}
            by_uid, chromium = {}, []
            for pid, uid, _, cmd in hub_client.processes():  # one look at the process table
                if uid in uids:
                    by_uid.setdefault(uid, []).append(pid)
                elif uid == 0 and "chrom" in cmd:
                    chromium.append(pid)
            per_student = sorted(procs.pss(pids) for pids in by_uid.values())
            swapped = sorted(procs.status_bytes(pids, "VmSwap") for pids in by_uid.values())
            browser_pss = procs.pss(chromium)
            device = zram.stats(int((HUB / "zram-device").read_text())) if zram_size else None
    times = sorted(seconds.values())
    figures = dict(students=n, first_output_s=times, median_s=statistics.median(times) if times else None,
                   slowest_s=times[-1] if times else None, pss_per_student=per_student,
                   median_pss=statistics.median(per_student) if per_student else None,
                   browser_pss=browser_pss, hangs=hangs, errors=errors, zram=zram_size,
                   swapped_per_student=swapped, zram_device=device)
    mib = lambda v: f"{v / 2**20:.0f} MiB" if v else "-"
    print(f"  {n:3} students at once: Log in to first output median {figures['median_s'] or 0:6.1f} s, slowest "
          f"{figures['slowest_s'] or 0:6.1f} s; PSS per student median {mib(figures['median_pss'])} "
          f"(Chromium's {mib(browser_pss)} apart); {len(hangs)} hung, {len(errors)} failed", flush=True)
    for name, why in errors.items():
        print(f"      {name} failed: {why}", flush=True)
    if device:
        print(f"      zram {zram_size}: swapped per student median {mib(statistics.median(swapped))}; the device "
              f"holds {mib(device['stored'])} in {mib(device['ram'])} of RAM", flush=True)
    return figures


def prepare(students):
    """The hub's accounts and prepared slot, which the kernel probes measure."""
    done = subprocess.run(["cargo", "xtask", "hub", "--students", str(students), "--prefix", PREFIX,
                           "--prepare-only", "--open-path"], cwd=ROOT)
    if done.returncode:
        sys.exit("hub bench: preparing the hub failed")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=4)
    ap.add_argument("--class-sizes", default="", metavar="N,N,…",
                    help="only the class runs: N students at once, for each N (e.g. 4,8,12,16)")
    ap.add_argument("--zram", metavar="SIZE",
                    help="alone: the compressors on one kernel paged out into a zram device of SIZE; "
                         "with --class-sizes: the class runs with `cargo xtask hub --zram SIZE`")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("hub bench: needs root, as `cargo xtask hub` does")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.zram and not args.class_sizes:
        size = zram.parse_size(args.zram)
        prepare(1)
        print(f"\nOne student's kernel after 01's first cells, paged out into zram ({args.zram}):", flush=True)
        probes = [swap_probe(size, c) for c in ("lzo-rle", "lzo", "lz4")]
        (OUT / "hub-zram.json").write_text(json.dumps(probes, indent=1) + "\n")
    if args.class_sizes:
        sizes = [int(n) for n in args.class_sizes.split(",")]
        with_zram = f" with --zram {args.zram}" if args.zram else ""
        print(f"\nClass runs at the hub{with_zram}, in headless Chromium on this machine (2 cores, 24 GiB):", flush=True)
        runs = []
        for n in sizes:  # each run saved as it ends: a later one may not
            runs.append(class_run(n, args.zram))
            (OUT / f"hub-class{'-zram' if args.zram else ''}.json").write_text(json.dumps(runs, indent=1) + "\n")
    if args.zram or args.class_sizes:
        return
    print("\nThe hub's figures (this machine: 2 cores, 24 GiB)", flush=True)
    prepare(args.students)
    print("Each student's warm build, three ways (01's first four cells in a fresh kernel):", flush=True)
    ways = mechanisms()
    print("The kernel's memory, with and without the warm-up:", flush=True)
    warm = warm_memory()
    print("The kernel's memory after 01's set-up cell and one `let` (the target: 1250 MiB):", flush=True)
    let = let_memory()
    print(f"The hub with {args.students} students, in Chromium:", flush=True)
    first, last, per_student, hub_rss = hub_figures(args.students)
    student_rss = sum(r for _, r in per_student)
    for cmd, r in sorted(per_student, key=lambda x: -x[1]):
        print(f"    {r / 2**20:7.0f} MiB  {cmd}")
    memory = 24 * 2**30
    serves = int((memory - hub_rss - 2 * 2**30) // student_rss)
    print(f"  one student: {student_rss / 2**20:.0f} MiB; the hub and proxy {hub_rss / 2**20:.0f} MiB; "
          f"24 GiB less 2 GiB for the system serves {serves} students by memory", flush=True)
    results = dict(ways=ways, warm=warm, let_memory=let, first_s=first, kth_s=last, students=args.students,
                   student_rss=student_rss, per_process=per_student, hub_rss=hub_rss, serves_by_memory=serves)
    (OUT / "hub.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
