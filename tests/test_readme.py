"""The README and the pages of docs/ stay true: their commands are the ones CI runs, and
every example in them runs and prints what the page shows.

A page's ```pycon sessions and ```python blocks run top to bottom in one namespace, as a
reader would type them, in a temporary folder (some write files). A block that needs
PyTorch is marked by the line ``<!-- test: needs torch -->`` just above it: without
PyTorch the page runs without it, and a second test, which skips when PyTorch is missing,
runs the page with it.
"""

from __future__ import annotations

import doctest
import importlib.util
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NEEDS_TORCH = "<!-- test: needs torch -->"
HAS_TORCH = importlib.util.find_spec("torch") is not None


@dataclass
class Block:
    kind: str  # "pycon" or "python"
    text: str
    line: int  # the line of the page the code starts on
    needs_torch: bool


def blocks(page: Path) -> list[Block]:
    """The page's pycon and python blocks, in order."""
    text = page.read_text(encoding="utf-8")
    found = []
    for m in re.finditer(r"^```(pycon|python)\n(.*?)^```", text, flags=re.S | re.M):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        line = text.count("\n", 0, m.start()) + 2
        found.append(Block(m.group(1), m.group(2), line, before.strip() == NEEDS_TORCH))
    return found


def run_page(page: Path, with_torch: bool) -> tuple[int, dict]:
    """Run the page's examples; return how many pycon examples ran, and the namespace."""
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    namespace: dict = {"__name__": "__page__"}
    for block in blocks(page):
        if block.needs_torch and not with_torch:
            continue
        where = f"{page.relative_to(ROOT)}, line {block.line}"
        if block.kind == "python":
            exec(compile("\n" * (block.line - 1) + block.text, str(page), "exec"), namespace)
            continue
        test = parser.get_doctest(block.text, {}, where, str(page), block.line - 1)
        test.globs = namespace  # one namespace for the whole page, as a reader's session
        runner.run(test, clear_globs=False)
    assert runner.failures == 0, f"{page.name}: {runner.failures} example(s) print something else"
    return runner.tries, namespace


def test_every_page_is_found_and_has_examples():
    names = [p.name for p in PAGES]
    assert len(names) >= 4 and "tour.md" in names
    for page in PAGES:
        assert blocks(page), f"{page.name} has no example"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_examples_run_as_shown(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write files
    tries, namespace = run_page(page, with_torch=False)
    if page.name == "README.md":
        assert tries >= 5, "the README's session was not found"
    if page.name == "tour.md":
        assert namespace["history"]["accuracy"][-1] >= 0.97
        assert (tmp_path / "model.json").exists()


TORCH_PAGES = [p for p in PAGES if any(b.needs_torch for b in blocks(p))]


@pytest.mark.parametrize("page", TORCH_PAGES, ids=lambda p: p.name)
def test_page_examples_that_need_torch_run_with_it(page, tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    run_page(page, with_torch=True)


def test_torch_examples_are_marked():
    # An unmarked block that uses torch would fail the README's test command on a machine
    # without PyTorch (issue 22); this finds one before such a machine does.
    assert TORCH_PAGES, "the torch bridge's example is not marked"
    for page in PAGES:
        for block in blocks(page):
            if re.search(r"import torch|to_torch\(|from_torch\(", block.text):
                assert block.needs_torch, f"{page.name}, line {block.line}: mark it"


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)


def test_quick_start_is_exactly_two_commands_a_demo_and_the_tests():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    demo, tests = commands
    assert demo.startswith("python3 -m venv .venv && ") and demo.endswith("autograd-lite demo")
    assert tests.startswith("python3 -m venv .venv && ") and tests.endswith("-m pytest")


def test_ci_runs_both_readme_commands_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in quick_start_commands():
        assert command in ci


def test_page_links_lead_to_files():
    for page in [*PAGES, ROOT / "benchmarks" / "README.md"]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
        for target in re.findall(r'src="([^"]+)"', text):
            assert (page.parent / target).exists(), f"{page.name} shows missing {target}"


def test_tour_command_lines_run(tmp_path, monkeypatch, capsys):
    from autograd_lite.cli import main

    monkeypatch.chdir(tmp_path)
    tour = (ROOT / "docs" / "tour.md").read_text(encoding="utf-8")
    section = tour.split("## Command line", 1)[1].split("\n## ", 1)[0]
    lines = [
        line
        for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)
        for line in block.strip().splitlines()
    ]
    assert [line.split()[:2] for line in lines] == [
        ["autograd-lite", "demo"],
        ["autograd-lite", "graph"],
    ]
    for line in lines:
        args = shlex.split(line)[1:]
        assert main([*args, "--no-progress"] if args[0] == "demo" else args) == 0
    assert (tmp_path / "graph.svg").exists()
    assert (tmp_path / "my_run" / "model.json").exists()
    assert "dout/dx = -1.502915231" in capsys.readouterr().out
