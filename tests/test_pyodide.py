"""The scalar path in Pyodide under node, from our built wheel and pure wheels only.

The ``pyodide`` npm package (pinned) is installed once into pytest's cache folder
(``.pytest_cache/d/pyodide``, outside git); our wheel is built, and it and the pure
``graphviz`` package are unpacked into Pyodide's site-packages, without numpy,
matplotlib or any Graphviz program. ``tests/pyodide/scalar_path.py`` then runs there: an
expression and its gradients, explain, an MLP trained with SGD and with Adam,
``draw_dot(...).to_svg()``, ``ag.studio(out).save_html(path)`` and pickling. Skips where
node or npm is missing, or the package cannot be installed (no network).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PYODIDE_VERSION = "0.28.3"
HERE = Path(__file__).parent / "pyodide"
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def pyodide_folder(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are needed to run Pyodide")
    if getattr(request.config, "cache", None) is not None:  # kept between runs (.pytest_cache)
        cache = request.config.cache.mkdir(f"pyodide-{PYODIDE_VERSION}")  # type: ignore[union-attr]
    else:  # pytest -p no:cacheprovider: installed for this run alone
        cache = tmp_path_factory.mktemp(f"pyodide-{PYODIDE_VERSION}")
    folder = cache / "node_modules" / "pyodide"
    if not (folder / "pyodide.asm.wasm").exists():
        done = subprocess.run(
            ["npm", "install", "--prefix", str(cache), "--no-save", "--no-audit", "--no-fund",
             f"pyodide@{PYODIDE_VERSION}"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0 or not (folder / "pyodide.asm.wasm").exists():
            pytest.skip(f"cannot install pyodide@{PYODIDE_VERSION} from npm: {done.stderr[-300:]}")
    return folder


def _zip_package(name: str, out: Path) -> Path:
    """An installed pure-Python package's folder as a zip to unpack into site-packages."""
    module = __import__(name)
    folder = Path(module.__file__).parent
    with zipfile.ZipFile(out, "w") as z:
        for f in folder.rglob("*.py"):
            z.write(f, Path(name) / f.relative_to(folder))
    return out


def test_the_scalar_path_runs_in_pyodide(pyodide_folder, tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    wheels = list(tmp_path.glob("autograd_lite-*.whl"))
    assert built.returncode == 0 and len(wheels) == 1, built.stderr[-2000:]
    with zipfile.ZipFile(wheels[0]) as z:
        metadata = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [
            line.split(":", 1)[1].strip()
            for line in z.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    required = sorted(r.split(">")[0].split("=")[0].strip() for r in requires if "extra" not in r)
    # pure Python (graphviz, tqdm) or shipped by Pyodide (numpy, matplotlib)
    assert required == ["graphviz", "matplotlib", "numpy", "tqdm"]

    graphviz_zip = _zip_package("graphviz", tmp_path / "graphviz.zip")
    done = subprocess.run(
        ["node", str(HERE / "run.mjs"), str(pyodide_folder), str(HERE / "scalar_path.py"),
         str(wheels[0]), str(graphviz_zip)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    assert result["python"].startswith("3.")
    for first, last in result["losses"].values():
        assert last < first / 4
