"""`cargo xtask hub --zram SIZE`: the compressed swap device is made for the hub's run and removed
when it stops, by Ctrl-C too, and one left by a killed hub is removed on the next start.

Needs root (swapon), as the hub's other tests do; skipped and said so without it, except under
CI=true, where it fails. The hub itself is stood in for by a process that waits for Ctrl-C, so
this takes seconds; test_hub.py runs the real one.
"""
import os
import pathlib
import signal
import subprocess
import sys

import pytest

import hub_client
import zram

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Stands in for JupyterHub: says it is up, and on SIGINT stops with a code of its own.
FAKE_HUB = ("import signal, sys, time\n"
            "signal.signal(signal.SIGINT, lambda *_: sys.exit(7))\n"
            "print('up', flush=True)\n"
            "time.sleep(120)\n")
# tools/hub.py's serve_with_zram, with its record in a folder of the test's.
SERVE = ("import sys\nsys.path.insert(0, sys.argv[1])\nimport pathlib, hub\n"
         "hub.HUB = pathlib.Path(sys.argv[2])\n"
         "sys.exit(hub.serve_with_zram([sys.executable, '-c', sys.argv[3]], 256 * 2**20))\n")


@pytest.fixture(autouse=True)
def root():
    hub_client.tests_need_root(pytest)
    if not zram.CONTROL.exists():
        pytest.fail("this kernel has no /sys/class/zram-control: `modprobe zram`")


def swaps():
    return [line.split()[0] for line in pathlib.Path("/proc/swaps").read_text().splitlines()[1:]]


def test_a_device_exists_for_the_block_and_is_removed_after_it_even_on_an_error(tmp_path):
    record = tmp_path / "zram-device"
    with pytest.raises(KeyboardInterrupt):
        with zram.swap(64 * 2**20, record, "lz4") as n:
            assert f"/dev/zram{n}" in swaps()
            assert "[lz4]" in pathlib.Path(f"/sys/block/zram{n}/comp_algorithm").read_text()
            assert record.read_text() == str(n)
            raise KeyboardInterrupt  # what Ctrl-C raises
    assert f"/dev/zram{n}" not in swaps()
    assert not pathlib.Path(f"/sys/block/zram{n}").exists()
    assert not record.exists()


def test_a_device_left_by_a_killed_hub_is_removed_at_the_next_start(tmp_path, capsys):
    record = tmp_path / "zram-device"
    left = zram.add(64 * 2**20)
    record.write_text(str(left))
    ours = lambda: [d for d in swaps() if d in (f"/dev/zram{left}", f"/dev/zram{n}")]  # noqa: E731
    with zram.swap(64 * 2**20, record) as n:
        assert ours() == [f"/dev/zram{n}"]  # the old one went first (its number may be reused)
    assert f"removing zram{left}" in capsys.readouterr().out
    assert ours() == []


def test_ctrl_c_stops_the_hub_first_then_removes_the_device(tmp_path):
    before = set(swaps())
    proc = subprocess.Popen([sys.executable, "-c", SERVE, ROOT / "tools", tmp_path, FAKE_HUB],
                            stdout=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline() for _ in range(2)]
    assert "compressed swap (lzo-rle)" in lines[0] and lines[1] == "up\n", lines
    made = set(swaps()) - before
    assert len(made) == 1, made
    proc.send_signal(signal.SIGINT)  # the terminal's Ctrl-C reaches the launcher, which passes it on
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 7, "the hub's own exit code comes through"
    assert not made & set(swaps())
    assert "swapped off and removed" in out
    assert not (tmp_path / "zram-device").exists()


def test_a_size_that_is_not_one_is_refused_in_one_line():
    for size, says in (("1.5G", "such as 8G"), ("0", "such as 8G"), ("9999G", "more than this machine's RAM")):
        done = subprocess.run([sys.executable, ROOT / "tools" / "hub.py", "--students", "1", "--zram", size],
                              capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT / "tools")))
        assert done.returncode != 0
        assert done.stderr.strip().count("\n") == 0 and says in done.stderr, done.stderr
