"""`cargo xtask hub --cull-after 1`: a student's idle server is stopped by jupyterhub-idle-culler,
kernel and all, and logging in again brings back their saved notebook with a fresh kernel.

A hub of its own (one account, gdlabtest01, the hub tests'), after test_hub.py's has stopped:
there a one-minute culler would stop servers in the middle of the other checks. Needs root,
as test_hub.py does; skipped (and said so) without it, except under CI=true, where it fails.
"""
import pathlib
import pwd
import time

import pytest

import browser
import hub as hub_accounts
import hub_client

ROOT = pathlib.Path(__file__).resolve().parents[2]
STUDENT = "gdlabtest01"
NOTEBOOK = "01_matrix_inverse.ipynb"
LOG = ROOT / "target" / "hub-cull-test.log"
CULL_MINUTES = 1
# The culler checks every 15 s at this timeout; the server then has its term_timeout (20 s)
# to stop its kernels. Generous, on two busy cores.
CULLED_WITHIN = CULL_MINUTES * 60 + 15 + 20 + 120


def processes(uid, what):
    return [pid for pid, u, _, cmd in hub_client.processes() if u == uid and what in cmd]


@pytest.fixture(scope="module")
def hub():
    hub_client.tests_need_root(pytest)
    hub_client.fresh_release([STUDENT], hub_accounts.TAG)
    LOG.parent.mkdir(exist_ok=True)
    extra = ["--cull-after", str(CULL_MINUTES)]
    with hub_client.running_hub(1, "gdlabtest", LOG, browser.free_port(), extra) as running:
        yield running


def test_the_hub_says_when_idle_servers_stop(hub):
    _, url, _ = hub
    said = LOG.read_text(errors="replace")
    assert f"idle servers stop after {CULL_MINUTES} min" in said and "stay saved" in said, said[-2000:]
    config = (ROOT / "target/hub/jupyterhub_config.py").read_text()
    assert "jupyterhub_idle_culler" in config and f"--timeout={CULL_MINUTES * 60}" in config


def test_an_idle_server_is_culled_and_the_student_comes_back_to_their_saved_notebook(hub, chromium):
    _, url, password = hub
    uid = pwd.getpwnam(STUDENT).pw_uid
    context, page = hub_client.log_in(chromium, url, STUDENT, password)
    page.wait_for_url("**/user/**", timeout=hub_client.CELL_SECONDS * 1000)  # the server has started
    page.goto(f"{url}/hub/home", wait_until="domcontentloaded")
    notice = page.locator("body").inner_text()
    assert f"Your server stops after {CULL_MINUTES} idle minutes" in notice and "stay saved" in notice, notice
    hub_client.open_notebook(page, url, STUDENT, NOTEBOOK)
    before = hub_client.run_first_cells(page, 4, restart_after=120)  # as test_hub's KERNEL_START_SECONDS
    assert "0.2500" in before[3], before
    page.keyboard.press("Control+s")
    saved = pathlib.Path(pwd.getpwnam(STUDENT).pw_dir) / "gdlab" / NOTEBOOK
    deadline = time.monotonic() + 30
    while "0.2500" not in saved.read_text() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "0.2500" in saved.read_text(), "the run's outputs were not saved"
    kernels = processes(uid, "evcxr_jupyter")
    assert kernels, "no kernel ran for the student"
    context.close()  # the student leaves: nothing is active any more

    deadline = time.monotonic() + CULLED_WITHIN
    while processes(uid, "jupyterhub-singleuser") and time.monotonic() < deadline:
        time.sleep(2)
    assert not processes(uid, "jupyterhub-singleuser"), \
        f"the idle server still runs after {CULLED_WITHIN} s\n{hub_client.log_tail(LOG)}"
    assert not processes(uid, "evcxr_jupyter"), "the culled server's kernel outlived it"
    assert "Culling server" in LOG.read_text(errors="replace"), "the culler did not say it culled"
    # The hub marks the server stopped a moment after its processes end; a login before that
    # finds it "pending stop", which a student coming back later never sees.
    stopped = f"User {STUDENT} server took"
    deadline = time.monotonic() + 60
    while stopped not in LOG.read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(1)
    assert stopped in LOG.read_text(errors="replace"), f"the hub never marked the server stopped\n{hub_client.log_tail(LOG)}"

    # Logging in again starts the server afresh, on the notebook as saved.
    context, page = hub_client.log_in(chromium, url, STUDENT, password)
    hub_client.open_notebook(page, url, STUDENT, NOTEBOOK)
    # Lab draws the cells first and their saved outputs a moment later (a CI run read it empty).
    output = page.locator(".jp-Notebook .jp-CodeCell").nth(3).locator(".jp-OutputArea")
    deadline = time.monotonic() + 30
    while "0.2500" not in output.inner_text() and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    shown = output.inner_text()
    assert "0.2500" in shown, f"the saved output is not shown within 30 s of logging in again: {shown!r}"
    deadline = time.monotonic() + 60
    while not processes(uid, "evcxr_jupyter") and time.monotonic() < deadline:
        time.sleep(1)
    fresh = processes(uid, "evcxr_jupyter")
    assert fresh and not set(fresh) & set(kernels), f"no fresh kernel: before {kernels}, now {fresh}"
    context.close()
