"""A compressed swap device in RAM for the hub (`cargo xtask hub --zram SIZE`), made and removed here.

After its first analysis most of a kernel's rust-analyzer memory is cold. Swapped into zram it
takes about a third of the room (the compressor's ratio on a kernel is in `cargo xtask bench hub
--zram`), so more students fit, and a page is read back only when the kernel touches it.

The device is one of our own (hot_add), never zram0 or a device the machine already uses: its
number is written to target/hub/zram-device, so that a hub killed before its cleanup removes it
on the next start.
"""
import contextlib
import ctypes
import os
import pathlib
import re
import subprocess

CONTROL = pathlib.Path("/sys/class/zram-control")
# lzo-rle is the kernel's default and the fastest of the three here; `cargo xtask bench hub --zram`
# measures lzo, lz4 and lzo-rle on a paged-out kernel (ratio, page-out and page-in seconds).
COMPRESSOR = "lzo-rle"
PRIORITY = 100  # above any disk swap the machine has: cold pages go to RAM first
UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


def parse_size(text):
    """'8G', '512M', '2048K' or bytes -> bytes, at most the machine's RAM; one clear error otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)(i?B)?\s*", text, re.IGNORECASE)
    if not m or int(m[1]) == 0:
        raise ValueError(f"--zram takes a size such as 8G or 4096M, got {text!r}")
    size = int(m[1]) * UNITS[m[2].upper()]
    # The size counts pages before compression; more than the RAM could fill the RAM with swap.
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if size > ram:
        raise ValueError(f"--zram {text} is more than this machine's RAM ({ram / 2**30:.1f} GiB): "
                         "half of the RAM is usual")
    return size


def _block(n):
    return pathlib.Path(f"/sys/block/zram{n}")


def _check(*cmd):
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"zram: {' '.join(cmd)} failed: {done.stderr.strip()}")


def remove(n):
    """Swap off and remove device n (both steps idempotent)."""
    dev = f"/dev/zram{n}"
    if dev in pathlib.Path("/proc/swaps").read_text():
        _check("swapoff", dev)  # reads every page back into RAM first
    if _block(n).exists():
        (_block(n) / "reset").write_text("1")
        (CONTROL / "hot_remove").write_text(str(n))


def add(size, compressor=COMPRESSOR):
    """A new zram swap device of `size` bytes (uncompressed) with `compressor`; its number."""
    if not CONTROL.exists():
        raise RuntimeError("zram: this kernel has no /sys/class/zram-control (modprobe zram, or run without --zram)")
    n = int((CONTROL / "hot_add").read_text())
    try:
        offered = (_block(n) / "comp_algorithm").read_text().replace("[", "").replace("]", "").split()
        if compressor not in offered:
            raise RuntimeError(f"zram: compressor {compressor!r} is not offered here; this kernel has {offered}")
        (_block(n) / "comp_algorithm").write_text(compressor)
        (_block(n) / "disksize").write_text(str(size))
        _check("mkswap", f"/dev/zram{n}")
        _check("swapon", "-p", str(PRIORITY), f"/dev/zram{n}")
    except BaseException:
        remove(n)
        raise
    return n


def stats(n):
    """Device n's bytes: stored (uncompressed), compressed, and the RAM it takes in all."""
    f = (_block(n) / "mm_stat").read_text().split()
    return dict(stored=int(f[0]), compressed=int(f[1]), ram=int(f[2]))


@contextlib.contextmanager
def swap(size, record, compressor=COMPRESSOR):
    """A zram swap device for the `with` block, removed at its end, on Ctrl-C too. `record` keeps
    its number while it exists, so that a later call removes a device a killed run left."""
    record = pathlib.Path(record)
    if record.exists():
        left = int(record.read_text())
        print(f"hub: removing zram{left}, left by a hub that did not stop cleanly", flush=True)
        remove(left)
        record.unlink()
    n = add(size, compressor)
    record.write_text(str(n))
    try:
        yield n
    finally:
        remove(n)
        record.unlink(missing_ok=True)


# --- paging a process out, for the benchmark (the probe the issue describes) ------------------
MADV_PAGEOUT = 21
SYS_PROCESS_MADVISE = 440  # x86_64 and aarch64 alike


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


def page_out(pid):
    """Ask the kernel to page out every private writable mapping of `pid` now (MADV_PAGEOUT, as
    memory pressure would, only at once). Needs root. Returns the ranges' total bytes."""
    libc = ctypes.CDLL(None, use_errno=True)
    ranges = []
    for line in pathlib.Path(f"/proc/{pid}/maps").read_text().splitlines():
        span, perms = line.split()[:2]
        if "w" in perms and perms.endswith("p"):
            lo, hi = (int(x, 16) for x in span.split("-"))
            ranges.append((lo, hi - lo))
    fd = os.pidfd_open(pid)
    try:
        for i in range(0, len(ranges), 512):  # IOV_MAX is 1024
            chunk = ranges[i:i + 512]
            iov = (_Iovec * len(chunk))(*[_Iovec(lo, n) for lo, n in chunk])
            # A range that went away meanwhile fails the call for the rest; the next chunk goes on.
            libc.syscall(SYS_PROCESS_MADVISE, fd, iov, len(chunk), MADV_PAGEOUT, 0)
    finally:
        os.close(fd)
    return sum(n for _, n in ranges)
