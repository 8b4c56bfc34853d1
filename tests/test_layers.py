"""The house has floors: each module imports only from its own floor or the ones below.

The floors, from the ground up (the package's ``__init__`` docstring is the map):
support, the autodiff library at the top of the package, compiler, nn, training, viz,
backprop_studio, cli. Every import counts, lazy ones inside functions and type-only
ones too, as ``../shared/tools/import_circles.py`` counts them.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograd_lite"

FLOORS = ["support", "", "compiler", "nn", "training", "viz", "backprop_studio", "cli"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def floor(module: str) -> int:
    """The floor of ``autograd_lite.X.Y``: X's folder, or the library's for a file."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return FLOORS.index("cli")  # the package's face and python -m, beside the command
    if (PACKAGE / parts[1]).is_dir():
        return FLOORS.index(parts[1])
    return FLOORS.index("")


def imports(module: str) -> list[tuple[str, set[str], int]]:
    """(module imported, names taken from it, line) for every import of the package."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                target = f"{source}.{alias.name}"
                if target in MODULES:
                    found.append((target, set(), node.lineno))
                elif source in MODULES:
                    found.append((source, {alias.name}, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, set(), node.lineno) for a in node.names if a.name in MODULES]
    return found


def test_the_floors_cover_the_package():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == set(FLOORS) - {""}


def test_no_module_imports_from_a_floor_above_its_own():
    upward = [
        f"{module} (floor {floor(module)}) imports {target} (floor {floor(target)}), line {line}"
        for module in MODULES
        for target, _, line in imports(module)
        if floor(target) > floor(module)
    ]
    assert upward == []


def test_there_is_no_import_circle():
    graph = {m: {t for t, _, _ in imports(m)} for m in MODULES}
    circles = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(start: str) -> None:
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, targets = stack[-1]
            for t in targets:
                if state.get(t) == 1:
                    circles.append(path[path.index(t) :] + [t])
                elif t not in state:
                    state[t] = 1
                    path.append(t)
                    stack.append((t, iter(sorted(graph[t]))))
                    break
            else:
                stack.pop()
                state[path.pop()] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    assert circles == []


def test_private_names_stay_in_their_file():
    crossing = [
        f"{module} imports {name} from {target}"
        for module in MODULES
        for target, names, _ in imports(module)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert crossing == []


def scripts_outside_the_package() -> list[Path]:
    benchmarks = sorted((ROOT / "benchmarks").glob("*.py"))
    return [*benchmarks, *sorted((ROOT / "notebooks").glob("*.ipynb"))]


@pytest.mark.parametrize("path", scripts_outside_the_package(), ids=lambda p: p.name)
def test_notebooks_and_benchmarks_import_no_command_line_module(path: Path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    assert "autograd_lite.cli" not in text and "from autograd_lite import cli" not in text


def test_the_public_short_names_are_the_submodules():
    import autograd_lite as ag
    from autograd_lite import data, losses, nn, optim, train, viz

    assert (optim, losses, data, train) == (
        ag.training.optim,
        ag.training.losses,
        ag.training.data,
        ag.training.train,
    )
    assert nn.MLP.__module__ == "autograd_lite.nn.layers" and viz.draw_dot is ag.draw_dot


def test_the_command_prints_its_version():
    import autograd_lite

    result = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"autograd-lite {autograd_lite.__version__}"
