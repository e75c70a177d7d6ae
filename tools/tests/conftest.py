"""Fixtures shared by the notebook checks; their helpers live in nbtest.py."""
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tools/tests"))  # nbtest, the helpers

import browser  # noqa: E402
from nbtest import EXECUTED  # noqa: E402


@pytest.fixture(scope="session")
def chromium():
    with browser.browser() as b:
        yield b


@pytest.fixture(scope="session")
def lab():
    """One JupyterLab on the executed notebooks for every check that needs one; each check
    opens a fresh workspace in it."""
    with browser.jupyterlab(EXECUTED) as url:
        yield url


@pytest.fixture(scope="session")
def notebook7():
    with browser.jupyterlab(EXECUTED, app="notebook") as url:
        yield url
