"""A JupyterLite site of the notebooks builds, offline, as docs/jupyterlite.md says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import build_distribution

ROOT = Path(__file__).resolve().parent.parent


def test_the_notebooks_build_into_a_jupyterlite_site_with_our_wheel(tmp_path: Path):
    pytest.importorskip("jupyterlite_core", reason="the site is built by jupyterlite-core")
    pytest.importorskip("jupyterlite_pyodide_kernel")
    pytest.importorskip("jupyter_server")  # jupyter lite build --contents needs it
    jupyter_lite = Path(sys.executable).parent / "jupyter-lite"
    wheel = build_distribution("wheel", tmp_path / "wheels")
    site = tmp_path / "_site"
    lite = subprocess.run(
        [str(jupyter_lite), "build", "--contents", str(ROOT / "notebooks"),
         "--piplite-wheels", str(wheel), "--output-dir", str(site)],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert lite.returncode == 0, (lite.stdout + lite.stderr)[-3000:]
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in (site / "files").glob("*.ipynb")) == notebooks
    index = json.loads((site / "pypi" / "all.json").read_text(encoding="utf-8"))
    assert "autograd-lite" in index  # what `%pip install autograd-lite` finds in the site
    assert (site / "pypi" / wheel.name).is_file()
