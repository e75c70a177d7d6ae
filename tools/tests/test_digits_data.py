"""crates/gdlab/data/digits.bin is scikit-learn's `load_digits`, image for image.

load_digits reads `sklearn/datasets/data/digits.csv.gz` from inside the scikit-learn wheel: 1,797
rows of 64 pixels and the label. The test fetches that wheel (the version pinned in
bench/requirements.txt, from PyPI, no dependencies, cached under target/) and compares every
byte, so the project's .venv needs neither scikit-learn nor SciPy.
"""
import gzip
import pathlib
import re
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT / "crates" / "gdlab" / "data" / "digits.bin"
WHEELS = ROOT / "target" / "wheels"


def sklearn_wheel():
    pin = re.search(r"^scikit-learn==(\S+)", (ROOT / "bench" / "requirements.txt").read_text(), re.M)
    assert pin, "bench/requirements.txt pins scikit-learn"
    found = sorted(WHEELS.glob(f"scikit_learn-{pin[1]}-*.whl"))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                        "--dest", str(WHEELS), f"scikit-learn=={pin[1]}"], check=True)
        found = sorted(WHEELS.glob(f"scikit_learn-{pin[1]}-*.whl"))
    return found[0]


def test_the_embedded_digits_are_load_digits_image_for_image():
    with zipfile.ZipFile(sklearn_wheel()) as wheel:
        csv = gzip.decompress(wheel.read("sklearn/datasets/data/digits.csv.gz"))
    # load_digits: np.loadtxt(…, delimiter=","), the pixels then the label on each row.
    rows = [[float(v) for v in line.split(",")] for line in csv.decode().splitlines() if line.strip()]
    want = [bytes([int(r[-1])] + [int(v) for v in r[:-1]]) for r in rows]
    assert all(v == int(v) for r in rows for v in r), "whole numbers, as the export assumes"
    raw = DATA.read_bytes()
    ours = [raw[i:i + 65] for i in range(0, len(raw), 65)]
    assert len(ours) == len(want) == 1797
    assert ours == want
    assert [sum(r[0] == d for r in ours) for d in (3, 7)] == [183, 179]
