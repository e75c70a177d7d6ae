"""A process tree's memory, from /proc: the benchmarks' figures (imported by the student-side probes too,
which run on the students' Python, so nothing here beyond the standard library)."""
import pathlib


def tree(pid):
    """pid and all its descendants."""
    kids = pathlib.Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid] + [q for k in kids for q in tree(int(k))]


def status_bytes(pids, field):
    """The sum of a /proc/PID/status field in kB (VmRSS, VmSwap) over the processes, in bytes."""
    total = 0
    for pid in pids:
        try:
            for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass  # ended while we looked
    return total


def rss(pids):
    return status_bytes(pids, "VmRSS")


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
