"""What a newcomer installs holds together: the sdist carries its own tests."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_an_unpacked_sdist_collects_its_tests_without_errors(tmp_path: Path):
    pytest.importorskip("build", reason="the sdist is built with PyPI's build package")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0 and "Could not" in built.stderr + built.stdout:
        pytest.skip("no index to install the build backend from")  # an offline machine
    assert built.returncode == 0, built.stderr[-2000:]
    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (source,) = (tmp_path / "unpacked").iterdir()
    for needed in ("tests/conftest.py", "tests/graphs.py", "README.md", ".ci/run"):
        assert (source / needed).is_file(), needed
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert collected.returncode == 0, collected.stdout[-3000:]
    assert " error" not in collected.stdout.splitlines()[-1]
    assert int(collected.stdout.splitlines()[-1].split()[0]) > 1000  # "1523 tests collected"
