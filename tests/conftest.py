"""Shared helpers for the test suite."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from hypothesis import settings

matplotlib.use("Agg")  # headless: no test may open a window

# Property tests: a modest default so the suite fits CI's budget; raise it locally with
# HYPOTHESIS_PROFILE=thorough.
settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def central_difference(f, x: float, h: float = 1e-6) -> float:
    """(f(x + h) - f(x - h)) / 2h: the independent check on every derivative."""
    return (f(x + h) - f(x - h)) / (2 * h)


def difference_tolerance(value: float, h: float = 1e-6) -> float:
    """The absolute error a central difference of a function of size ``value`` can carry.

    Rounding f(x ± h) to doubles errs by about eps·|f| each, which the division by 2h
    turns into eps·|f|/h: for |f| = 4e6 (a cube in a random graph) that is 1e-3.
    """
    return 1e-5 + 1e-9 * abs(value) / (h / 1e-6)


def run_cli(argv):
    """Run the ``autograd-lite`` command in this process: (status, stdout, stderr)."""
    from autograd_lite import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def no_training(monkeypatch):
    """Make any training fail the test: the commands must refuse before they train."""
    from autograd_lite.cli import gpt as gpt_command
    from autograd_lite.training import train

    def never(*args, **kwargs):
        raise AssertionError("trained before checking the output place")

    monkeypatch.setattr(train, "fit", never)
    monkeypatch.setattr(gpt_command, "train", never)


def build_distribution(kind: str, out: Path) -> Path:
    """Build this repository's ``"sdist"`` or ``"wheel"`` into ``out`` with PyPI's build.

    Skips the test where build is missing or no index serves the build backend.
    """
    pytest.importorskip("build", reason="distributions are built with PyPI's build package")
    root = Path(__file__).resolve().parent.parent
    built = subprocess.run(
        [sys.executable, "-m", "build", f"--{kind}", "--outdir", str(out), str(root)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0 and "Could not" in built.stderr + built.stdout:
        pytest.skip("no index to install the build backend from")  # an offline machine
    assert built.returncode == 0, built.stderr[-2000:]
    (made,) = out.glob("*.tar.gz" if kind == "sdist" else "*.whl")
    return made


CHROMIUM_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
).split()


@contextlib.contextmanager
def chromium(*flags: str) -> Iterator[Any]:
    """Headless Chromium driven by selenium, with its own profile, quit at the end.

    Skips the test where selenium, Chromium or chromedriver is missing, or where
    Chromium will not start.
    """
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        pytest.skip(
            "no headless Chromium and chromedriver here (apt-get install chromium chromium-driver)"
        )
    profile = tempfile.mkdtemp(prefix="autograd-lite-chromium-")
    options = webdriver.ChromeOptions()
    for flag in (*CHROMIUM_FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
    except WebDriverException as e:
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"Chromium would not start: {e.msg}")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
