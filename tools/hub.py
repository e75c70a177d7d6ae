#!/usr/bin/env python3
"""A JupyterHub for a class on this machine: `cargo xtask hub` calls this, as root, inside .venv.

    python tools/hub.py --students N [--prefix student] [--ip 127.0.0.1] [--port 8000] [--prepare-only | --collect]

Each student is a Unix user, student01 … studentNN (PREFIX01 …), whose server JupyterHub's LocalProcessSpawner
starts as that user, so that the kernel, its build and the notebooks are theirs alone. The
command prepares, under target/hub:
- rust/, bin/ and cargo/: this machine's Rust toolchain, evcxr_jupyter and crates.io sources,
  as hard links, where every student can read them (rustup's copies live in root's home);
- venv/: the pinned Jupyter stack again, on the system's Python, which every account can run;
- share/jupyter: the `rust` kernel for the students, started by tools/evcxr_kernel.py;
- prepared/slot-0: one kernel build slot, warmed once with the notebooks' set-up cell, so that
  the dependencies (polars, plotly, ndarray, gdlab) are compiled once for the class.
Each student's home then gets ~/gdlab, the notebooks nbgrader released (target/course), which is
theirs to change and which a second run never overwrites, and ~/.gdlab/evcxr, their kernel
slots: the prepared slot with every compiled dependency hard-linked, so read-only and shared,
and the few files that each build rewrites copied (hub_slots.py).

The hub then runs in the foreground until Ctrl-C, which stops every student's server and
kernel and the proxy.
"""
import argparse
import json
import os
import pathlib
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys


import assignment
import evcxr_kernel
import hub_slots
import zram

ROOT = pathlib.Path(__file__).resolve().parent.parent
HUB = ROOT / "target" / "hub"
# The students' Python: the project's .venv may be built on a Python in root's home (pyenv),
# which no other account can run, so the students get a venv of the system's Python.
VENV = HUB / "venv"
SYSTEM_PYTHONS = ["/usr/bin/python3", "/usr/local/bin/python3"]
RELEASE = ROOT / "target" / "course" / "release" / "gdlab"
PROXY = HUB / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
# Marks the accounts this command made, so that it never takes over someone else's.
TAG = "gdlab student"
SLOTS_PER_STUDENT = 2  # two notebooks open at once, both warm


def student_names(n, prefix="student"):
    return [f"{prefix}{i:02d}" for i in range(1, n + 1)]


def run(*cmd, **kw):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if done.returncode:
        sys.exit(f"hub: {' '.join(map(str, cmd))} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def closed_folders():
    """The folders above this checkout that other accounts cannot pass through (no o+x)."""
    return [d for d in [ROOT, *ROOT.parents] if not d.stat().st_mode & 0o001]


def open_path(allowed):
    """Every account must reach the checkout (the students' kernels run its tools and gdlab)."""
    closed = closed_folders()
    if closed and not allowed:
        sys.exit(f"hub: the students' accounts cannot reach this checkout: {', '.join(map(str, closed))} "
                 f"lacks o+x; run with --open-path to add it (traverse only, not read), or move the checkout")
    for d in closed:
        d.chmod(d.stat().st_mode | 0o001)
        print(f"hub: {d} can now be passed through by every account (o+x)", flush=True)


def share_toolchain(evcxr):
    """The toolchain, evcxr_jupyter and the registry under target/hub, readable by everyone."""
    sysroot = pathlib.Path(run("rustc", "--print", "sysroot").strip())
    version = run("rustc", "-vV")
    stamp = HUB / "rust" / ".gdlab-sysroot"
    if not stamp.exists() or stamp.read_text() != f"{sysroot}\n{version}":
        shutil.rmtree(HUB / "rust", ignore_errors=True)
        hub_slots.link_tree(sysroot, HUB / "rust")
        stamp.write_text(f"{sysroot}\n{version}")
    (HUB / "bin").mkdir(parents=True, exist_ok=True)
    # A new file renamed into place: a kernel that still runs the old one keeps it.
    shutil.copy2(evcxr, HUB / "bin" / "evcxr_jupyter.new")
    os.replace(HUB / "bin" / "evcxr_jupyter.new", HUB / "bin" / "evcxr_jupyter")
    cargo_home = pathlib.Path(os.environ.get("CARGO_HOME") or pathlib.Path.home() / ".cargo")
    hub_slots.link_tree(cargo_home / "registry", HUB / "cargo" / "registry")
    # The project's profiles (gdlab optimised), which cargo otherwise finds only in the folders
    # above a build: the students' slots are in their homes.
    shutil.copyfile(ROOT / ".cargo" / "config.toml", HUB / "cargo" / "config.toml")
    for d in (HUB, HUB.parent):
        d.chmod(d.stat().st_mode | 0o055)


def students_venv():
    """target/hub/venv: the project's pinned Jupyter stack on a Python every account can run."""
    wanted = (ROOT / "tools" / "requirements.txt").read_text()
    stamp = VENV / ".gdlab-requirements"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    python = next((p for p in SYSTEM_PYTHONS if os.access(p, os.X_OK)), None)
    if python is None:
        sys.exit(f"hub: the students' servers need a Python 3 that every account can run, at one of "
                 f"{', '.join(SYSTEM_PYTHONS)} (on Debian: apt-get install python3 python3-venv)")
    print(f"hub: installing the Jupyter stack for the students into {VENV} ({python})", flush=True)
    if not (VENV / "bin" / "python").exists():
        run(python, "-m", "venv", VENV)
    run(VENV / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q",
        "-r", "tools/requirements.txt", cwd=ROOT)
    # The students' Lab keeps nbgrader's Validate and assignment list, not the teacher's tools.
    for plugin in ("formgrader", "create-assignment", "course-list"):
        run(VENV / "bin" / "jupyter", "labextension", "disable", "--level=sys_prefix", f"@jupyter/nbgrader:{plugin}")
    run(VENV / "bin" / "jupyter", "server", "extension", "disable", "--sys-prefix",
        "nbgrader.server_extensions.formgrader")
    settings = VENV / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "tools" / "jupyter" / "overrides.json", settings / "overrides.json")
    stamp.write_text(wanted)


def kernel_spec():
    """The students' `rust` kernel: the project's, started with the shared evcxr_jupyter."""
    src = ROOT / ".venv" / "share" / "jupyter" / "kernels" / "rust"
    dst = HUB / "share" / "jupyter" / "kernels" / "rust"
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    spec = json.loads((src / "kernel.json").read_text())
    spec["argv"] = [str(VENV / "bin" / "python"), str(ROOT / "tools" / "evcxr_kernel.py"),
                    str(HUB / "bin" / "evcxr_jupyter"), "{connection_file}"]
    (dst / "kernel.json").write_text(json.dumps(spec, indent=2) + "\n")


def student_environment():
    """What a student's server and kernel see, besides HOME and USER."""
    return {
        "PATH": os.pathsep.join([str(HUB / "rust" / "bin"), str(HUB / "bin"), str(VENV / "bin"),
                                 "/usr/local/bin", "/usr/bin", "/bin"]),
        "RUSTC": str(HUB / "rust" / "bin" / "rustc"),
        # Where the cells' libraries find libstd: evcxr links them to it dynamically, and the
        # relative run path rustc writes into them is right only from cargo's deps/ folder.
        "LD_LIBRARY_PATH": run(HUB / "rust" / "bin" / "rustc", "--print", "target-libdir").strip(),
        # The same CARGO_HOME as the prepared build's: cargo's fingerprints hold the path of each
        # crate's source, and a registry anywhere else would make every student rebuild it all.
        "CARGO_HOME": str(HUB / "cargo"),
        "CARGO_NET_OFFLINE": "true",
        "JUPYTER_PATH": str(HUB / "share" / "jupyter"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "GDLAB_EVCXR_SLOTS": "~/.gdlab/evcxr",
        # No pre-load at kernel start. While evcxr 0.22 pre-loads (about 30 s), it answers no
        # request, and the server's handshake channels for the student's page close with replies
        # still owed to them; its zeromq 0.6 router then can deadlock on the disconnect (a sync
        # wait in peer_disconnected for the peer entry that a pending send holds), and the kernel
        # never runs a cell. Seen in 2 of 3 fresh-clone runs (CI's included) and in replays; the
        # benchmark finds the pre-load gains a student nothing (first outputs 24.7 s without, 26.9 s with).
        "GDLAB_EVCXR_WARM": "0",
    }


def warm_prepared_slot():
    """Compiles the dependencies once, into target/hub/prepared/slot-0, with the students'
    toolchain and paths (about 3 minutes on 2 cores; a second run finds them built). The
    project's own warm slot cannot serve: cargo's fingerprints hold each crate's source path,
    and the students' registry is target/hub/cargo, not root's (a copy was rebuilt whole)."""
    prepared = HUB / "prepared"
    env = dict(student_environment(), GDLAB_EVCXR_SLOTS=str(prepared))
    hub_slots.run_setup_cell(RELEASE / "01_matrix_inverse.ipynb", env, 1200, "hub: warming the prepared kernel slot failed")
    if not evcxr_kernel.is_warm(prepared / "slot-0"):
        sys.exit("hub: the prepared kernel slot ran the set-up cell but holds no compiled gdlab")


def ensure_student(name):
    """The Unix account `name`, made by this command (tagged), with a private home."""
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        run("useradd", "--create-home", "--comment", TAG, "--shell", "/bin/bash", name)
        user = pwd.getpwnam(name)
    if user.pw_gecos != TAG:
        sys.exit(f"hub: the account {name} exists and was not made by `cargo xtask hub` "
                 f"(its comment is {user.pw_gecos!r}, expected {TAG!r}); remove it or use another machine")
    home = pathlib.Path(user.pw_dir)
    home.chmod(0o700)
    return user, home


def furnish_home(user, home):
    """~/gdlab (only the notebooks not already there: a student's work is never overwritten),
    and the kernel slots."""
    own = lambda p: os.chown(p, user.pw_uid, user.pw_gid)
    notebooks = home / "gdlab"
    if not notebooks.exists():
        notebooks.mkdir()
        own(notebooks)
    for src in sorted(RELEASE.glob("*.ipynb")):
        dst = notebooks / src.name
        if not dst.exists():
            shutil.copyfile(src, dst)
            own(dst)
    slots = home / ".gdlab" / "evcxr"
    for n in range(SLOTS_PER_STUDENT):
        hub_slots.link_slot(HUB / "prepared" / "slot-0", slots / f"slot-{n}", user.pw_uid, user.pw_gid)
    for d in (home / ".gdlab", slots):
        own(d)


def collect(students):
    """Each student's ~/gdlab, as it is now, into the course's submitted/ (what nbgrader's
    collect does from an exchange), and the students into its gradebook."""
    course = RELEASE.parent.parent
    for name in students:
        try:
            home = pathlib.Path(pwd.getpwnam(name).pw_dir)
        except KeyError:
            sys.exit(f"hub: there is no account {name} to collect from")
        dst = course / "submitted" / name / "gdlab"
        dst.mkdir(parents=True, exist_ok=True)
        copied = [shutil.copyfile(src, dst / src.name) for src in sorted((home / "gdlab").glob("*.ipynb"))]
        assignment.nbgrader(course, "db", "student", "add", name)
        print(f"{name}: {len(copied)} notebook(s) into {dst}")


def password():
    """The class's shared password, made once and kept in target/hub/password (root only)."""
    path = HUB / "password"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(9) + "\n")
    return path.read_text().strip()


def culling_text(minutes):
    """jupyterhub-idle-culler as a service of the hub: it stops a student's server (and kernel)
    once the hub has seen no activity from it for `minutes`; 0 turns it off."""
    if minutes == 0:
        return "# No culling (--cull-after 0): a server runs until its student stops it or Ctrl-C.\n"
    seconds = minutes * 60
    # The hub hears of activity every 5 minutes (its own and the servers' reporting interval),
    # so checking more often than that, or than a quarter of the timeout, gains nothing.
    every = max(15, min(300, seconds // 4))
    command = [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={seconds}", f"--cull-every={every}"]
    notice = (f"Your server stops after {minutes} idle minutes. Your notebooks stay saved in ~/gdlab; "
              "the kernel's variables are lost, so run the notebook's cells again from the top.")
    return f'''# Idle servers stop after {minutes} min (--cull-after): the notebooks stay saved on disk,
# only the kernel's state is lost. The culler is JupyterHub's own service, with the scopes its README asks.
c.JupyterHub.services = [{{"name": "idle-culler", "command": {command!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}}]
# Shown on the hub's pages (login, home, spawn), where a student sees it.
c.JupyterHub.template_vars = {{"announcement": {notice!r}}}
'''


def config_text(students, ip, port, cull_after):
    env = student_environment()
    return f'''# JupyterHub's configuration for `cargo xtask hub`, written by tools/hub.py.
c = get_config()  # noqa: F821 (JupyterHub provides it)
c.JupyterHub.ip = {ip!r}
c.JupyterHub.port = {port}
c.JupyterHub.db_url = {"sqlite:///" + str(HUB / "jupyterhub.sqlite")!r}
c.JupyterHub.cookie_secret_file = {str(HUB / "jupyterhub_cookie_secret")!r}
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.ConfigurableHTTPProxy.pid_file = {str(HUB / "proxy.pid")!r}
# One shared password: enough on one machine; a real class uses PAM or its own accounts (docs/hub.md).
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password()!r}
c.Authenticator.allowed_users = {set(students)!r}
from jupyterhub.spawner import LocalProcessSpawner  # noqa: E402


class ClassSpawner(LocalProcessSpawner):
    """LocalProcessSpawner, stopping a server with SIGTERM first: without a terminal,
    jupyter-server takes SIGINT (LocalProcessSpawner's first signal) as a KeyboardInterrupt and
    exits without shutting down its kernels, which then outlive the hub."""

    async def stop(self, now=False):
        await super().stop(now=True)


# Each student's server runs as their own Unix user: isolation is the operating system's.
c.JupyterHub.spawner_class = ClassSpawner
c.LocalProcessSpawner.term_timeout = 20
c.Spawner.cmd = [{str(VENV / "bin" / "jupyterhub-singleuser")!r}]
c.Spawner.default_url = "/lab/tree/gdlab"
c.Spawner.environment = {env!r}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# Ctrl-C stops every student's server (and so their kernels) and the proxy.
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
''' + culling_text(cull_after)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, required=True)
    ap.add_argument("--ip", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--prefix", default="student", help="accounts are PREFIX01, PREFIX02, …")
    ap.add_argument("--evcxr", type=pathlib.Path, help="the pinned evcxr_jupyter")
    ap.add_argument("--collect", action="store_true",
                    help="copy each student's ~/gdlab into target/course/submitted, then stop")
    ap.add_argument("--prepare-only", action="store_true", help="prepare accounts and builds, do not serve")
    ap.add_argument("--cull-after", type=int, default=60, metavar="MINUTES",
                    help="stop a server idle this long (0: never); its notebooks stay saved")
    ap.add_argument("--zram", metavar="SIZE", help="a zram swap device of SIZE (e.g. 8G) while the hub runs")
    ap.add_argument("--open-path", action="store_true",
                    help="let every account pass through the folders above the checkout (o+x)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("hub: needs root, to create one Unix user per student (run it with sudo)")
    if not 1 <= args.students <= 99:
        sys.exit(f"hub: --students must be between 1 and 99, got {args.students}")
    if not 0 <= args.cull_after <= 7 * 24 * 60:
        sys.exit(f"hub: --cull-after must be 0 (never) to 10080 minutes (a week), got {args.cull_after}")
    if not re.fullmatch(r"[a-z][a-z_]{0,20}", args.prefix):
        sys.exit(f"hub: --prefix must be 1 to 21 lowercase letters or _, got {args.prefix!r}")
    try:
        zram_size = zram.parse_size(args.zram) if args.zram else None
    except ValueError as e:
        sys.exit(f"hub: {e}")
    students = student_names(args.students, args.prefix)
    if args.collect:
        return collect(students)
    if not (RELEASE / "01_matrix_inverse.ipynb").exists():
        sys.exit(f"hub: {RELEASE} has no notebooks: run `cargo xtask assignment` first")
    if args.evcxr is None:
        sys.exit("hub: --evcxr (the pinned evcxr_jupyter) is needed to prepare the hub")
    if not PROXY.exists():
        sys.exit(f"hub: {PROXY} is missing: `cargo xtask hub` installs it with npm")
    open_path(args.open_path)
    HUB.mkdir(parents=True, exist_ok=True)
    share_toolchain(args.evcxr)
    students_venv()
    kernel_spec()
    warm_prepared_slot()
    for name in students:
        furnish_home(*ensure_student(name))
    (HUB / "jupyterhub_config.py").write_text(config_text(students, args.ip, args.port, args.cull_after))
    if args.prepare_only:
        return
    print(f"\ngdlab hub: http://{args.ip}:{args.port}/  (Ctrl-C stops it)")
    print(f"accounts: {', '.join(students)}; password for every account: {password()}")
    if args.cull_after:
        print(f"idle servers stop after {args.cull_after} min (--cull-after): a student's notebooks stay saved in "
              "~/gdlab, their kernel's variables are lost; logging in again starts a fresh kernel")
    print(flush=True)
    os.chdir(HUB)
    command = [sys.executable, "-m", "jupyterhub", "-f", str(HUB / "jupyterhub_config.py")]
    if zram_size is None:
        os.execv(command[0], command)  # Ctrl-C reaches JupyterHub alone
    sys.exit(serve_with_zram(command, zram_size))


def serve_with_zram(command, size):
    """JupyterHub with a zram swap device that outlives it by nothing: Ctrl-C (or a SIGTERM) goes
    to JupyterHub once, it stops every server, and then the device is swapped off and removed."""
    try:
        with zram.swap(size, HUB / "zram-device") as n:
            print(f"hub: /dev/zram{n} adds {size / 2**30:.1f} GiB of compressed swap ({zram.COMPRESSOR}); "
                  "it is removed when the hub stops", flush=True)
            # Its own session: the terminal's Ctrl-C reaches this process, which passes it on once.
            hub_process = subprocess.Popen(command, start_new_session=True)
            signal.signal(signal.SIGTERM, lambda *_: hub_process.send_signal(signal.SIGINT))
            while True:
                try:
                    code = hub_process.wait()
                    break
                except KeyboardInterrupt:
                    hub_process.send_signal(signal.SIGINT)
    except RuntimeError as e:
        sys.exit(f"hub: {e}")
    print(f"hub: /dev/zram{n} is swapped off and removed", flush=True)
    return code


if __name__ == "__main__":
    main()
