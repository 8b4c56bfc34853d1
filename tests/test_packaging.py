"""What a newcomer installs holds together: the sdist carries its own tests."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

from conftest import build_distribution

ROOT = Path(__file__).resolve().parent.parent


def test_an_unpacked_sdist_collects_its_tests_without_errors(tmp_path: Path):
    sdist = build_distribution("sdist", tmp_path / "dist")
    with tarfile.open(sdist) as archive:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # 3.10.12+
        archive.extractall(tmp_path / "unpacked", **safe)  # type: ignore[arg-type]
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
