"""A student at the hub, in headless Chromium: log in, open a notebook, run its first cells;
and the process table the hub leaves. Shared by the hub's tests (tools/tests/test_hub.py) and its
benchmark (tools/hub_bench.py)."""
import contextlib
import os
import pathlib
import pwd
import re
import shutil
import signal
import subprocess
import time
import urllib.request
import warnings

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Seconds: a student's first cell loads gdlab's crate graph into rust-analyzer (about 20 s),
# and the two cores may be busy with other students' builds.
CELL_SECONDS = 300


def log_in(b, url, user, password):
    """A fresh browser context (its own cookies) logged in as `user`; returns (context, page)."""
    context = b.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/hub/login", wait_until="domcontentloaded")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")
    return context, page


def open_notebook(page, url, user, notebook):
    """`page` showing ~/gdlab/`notebook` in the student's JupyterLab, once its cells exist."""
    page.goto(f"{url}/user/{user}/lab/tree/gdlab/{notebook}?reset", wait_until="domcontentloaded",
              timeout=CELL_SECONDS * 1000)
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", state="attached", timeout=CELL_SECONDS * 1000)
    return page


def queue_first_cells(page, n, restart_after=None):
    """Presses Shift+Enter from the top, as a student does, until the n-th code cell is queued
    (the explanations between code cells take a Shift+Enter each); does not wait for it.

    With `restart_after` (seconds), a kernel that has not reported idle by then is restarted
    once, as docs/hub.md tells a student, with a warning that says what it showed: evcxr 0.22's
    zeromq router can deadlock while a page connects, and that kernel never answers. Without it,
    the wait is CELL_SECONDS (a class that logs in together waits on the cores)."""
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    prompt = lambda i: cells.nth(i).locator(".jp-InputPrompt").inner_text().strip()
    # Until the kernel is connected, Lab passes over a Shift+Enter without running the cell: a
    # skipped set-up cell then fails the later cells (3 of 12 students at once, before this wait).
    if restart_after is None:
        wait_until_idle(page, CELL_SECONDS)
    else:
        try:
            wait_until_idle(page, restart_after)
        except KernelNotIdle as stuck:
            if kernel_status(page) != "idle":  # it may have answered since
                RESTARTS.append(str(stuck))
                warnings.warn(f"{stuck}; restarting it (Kernel ▸ Restart Kernel…)", stacklevel=3)
                restart_kernel(page)
                wait_until_idle(page, CELL_SECONDS)
    page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")  # command mode: Shift+Enter runs a cell and moves on
    # A notebook saved with outputs shows old counts: the n-th cell is reached when its prompt
    # turns to [*] (queued or running; a cell takes longer than a poll).
    presses = 0
    while prompt(n - 1) != "[*]:":
        if presses > 10 * n:
            raise RuntimeError(f"Shift+Enter {presses} times did not reach code cell {n}")
        page.keyboard.press("Shift+Enter")
        presses += 1
        page.wait_for_timeout(100)
    skipped = [i + 1 for i in range(n - 1) if prompt(i) == "[ ]:"]
    if skipped:
        raise RuntimeError(f"Shift+Enter passed over code cells {skipped} without running them")


def kernel_status(page):
    """What the notebook's toolbar says of its kernel: idle, busy, starting, unknown, ..."""
    indicator = page.locator(".jp-Notebook-ExecutionIndicator")
    return indicator.first.get_attribute("data-status") if indicator.count() else "(no indicator)"


class KernelNotIdle(RuntimeError):
    """A notebook's kernel did not report idle in time."""


# What each restart by queue_first_cells found, in order: the tests bound how many they allow.
RESTARTS = []


def restart_kernel(page):
    """Kernel ▸ Restart Kernel… and its dialog's Restart, as a student does; returns once the
    toolbar has left the old kernel's status (or after 30 s), so that a wait for idle that
    follows sees the new kernel's."""
    before = kernel_status(page)
    page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Restart Kernel…").first.click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    deadline = time.monotonic() + 30
    while kernel_status(page) == before and time.monotonic() < deadline:
        page.wait_for_timeout(200)


def wait_until_idle(page, seconds):
    """Waits until the kernel reports idle; else raises KernelNotIdle with each status it showed
    and when (seconds from the call), and what the page shows."""
    start = time.monotonic()
    seen = []
    while True:
        status = kernel_status(page)
        if not seen or seen[-1][0] != status:
            seen.append((status, round(time.monotonic() - start, 1)))
        if status == "idle":
            return
        if time.monotonic() - start > seconds:
            raise KernelNotIdle(f"the kernel did not report idle within {seconds} s: its status went "
                               f"{seen}; {what_the_page_shows(page, 1)}")
        page.wait_for_timeout(500)


def cells_done(page, n):
    """Whether the n-th code cell has run (its prompt shows a count)."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(n - 1)
    return cell.locator(".jp-InputPrompt").inner_text().strip().strip("[]:").isdigit()


def outputs(page, n):
    """The text of the first n code cells' outputs."""
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    return [cells.nth(i).locator(".jp-OutputArea").inner_text() for i in range(n)]


def run_first_cells(page, n, restart_after=None):
    """Runs the notebook from the top until its n-th code cell has run; returns the text of
    each code cell's output. `restart_after`: see queue_first_cells."""
    queue_first_cells(page, n, restart_after)
    deadline = time.monotonic() + CELL_SECONDS
    while not cells_done(page, n):
        if time.monotonic() > deadline:
            raise TimeoutError(f"code cell {n} did not finish within {CELL_SECONDS} s; {what_the_page_shows(page, n)}")
        page.wait_for_timeout(200)
    return outputs(page, n)


def what_the_page_shows(page, n):
    """The first n code cells' prompts and outputs and any dialog: what a student would see of a
    cell that never finishes (a dead kernel empties the queued prompts). The kernel's own account
    is in the hub's log, which the test adds."""
    cells = page.locator(".jp-Notebook .jp-CodeCell")
    shown = [f"cell {i + 1} {cells.nth(i).locator('.jp-InputPrompt').inner_text().strip()} "
             f"{cells.nth(i).locator('.jp-OutputArea').inner_text()[:300]!r}" for i in range(n)]
    dialogs = page.locator(".jp-Dialog")
    return "; ".join(shown) + f"; dialogs {[dialogs.nth(i).inner_text()[:300] for i in range(dialogs.count())]}"


def log_tail(log, chars=4000):
    """The end of the hub's output (JupyterHub's, the students' servers' and their kernels'),
    after its last 40 lines that speak of a kernel, a warning or an error, wherever they are."""
    if not log.exists():
        return f"({log} does not exist)"
    text = log.read_text(errors="replace")
    marked = [line for line in text[:-chars].splitlines()
              if re.search(r"kernel|\[W |\[E |error|warn|traceback", line, re.I)][-40:]
    return "lines on kernels, warnings and errors:\n" + "\n".join(marked) + "\n... the last lines:\n" + text[-chars:]


def first_output_seconds(b, url, user, password, notebook, cells):
    """Seconds from pressing Log in to the output of the notebook's first `cells` code cells
    (the set-up cell prints nothing); returns (seconds, context)."""
    start = time.monotonic()
    context, page = log_in(b, url, user, password)
    open_notebook(page, url, user, notebook)
    run_first_cells(page, cells)
    return time.monotonic() - start, context, page


def run_all(page):
    """Run ▸ Run All Cells from JupyterLab's menu, as a student does; does not wait for it."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def tests_need_root(pytest):
    """The hub's tests make Unix accounts: without root they are skipped, and say so, except
    under CI=true, where they fail (CI skips nothing). `pytest` is the caller's module."""
    if os.geteuid() != 0:
        why = "the hub's tests need root: `cargo xtask hub` creates a Unix account per student"
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(why)


def fresh_release(users, tag):
    """Removes ~/gdlab of each of `users` that the hub made (`tag`) for the tests, so the hub
    copies this checkout's release afresh: another checkout's points at its own gdlab."""
    for user in users:
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(user)
            if entry.pw_gecos == tag:
                shutil.rmtree(pathlib.Path(entry.pw_dir) / "gdlab", ignore_errors=True)


def processes():
    """(pid, uid, RSS in bytes, command line) of every process."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = pathlib.Path(entry.path, "status").read_text()
            cmd = pathlib.Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended while we looked
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        found.append((int(entry.name), int(fields["Uid"].split()[0]), rss, cmd.strip()))
    return found


def wait_for_hub(proc, log, seconds=1500):
    """The hub's address and password, once it prints them and answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        found = re.search(r"gdlab hub: (http://\S+?)/? .*\n.*password for every account: (\S+)", text)
        if found:
            url, password = found.groups()
            try:
                urllib.request.urlopen(url + "/hub/api", timeout=2)
                return url, password
            except OSError:
                pass
        if proc.poll() is not None:
            raise RuntimeError(f"cargo xtask hub exited ({proc.returncode}):\n{log_tail(log, 3000)}")
        time.sleep(1)
    raise RuntimeError(f"the hub did not answer within {seconds} s:\n{log_tail(log, 3000)}")


@contextlib.contextmanager
def running_hub(students, prefix, log, port, extra=()):
    """`cargo xtask hub` with `students` accounts PREFIX01 … and `extra` arguments, its output in `log`; yields
    (process, url, password) once it answers, and stops it with Ctrl-C unless the caller did."""
    with log.open("w") as out:
        # A session of its own, as a terminal gives a command: Ctrl-C is a SIGINT to its group.
        proc = subprocess.Popen(["cargo", "xtask", "hub", "--students", str(students), "--prefix", prefix,
                                 "--port", str(port), "--open-path", *extra], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield (proc, *wait_for_hub(proc, log))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
