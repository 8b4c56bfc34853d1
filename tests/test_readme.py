"""The README stays true: its commands are the ones CI runs, its REPL session is real."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


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


def test_readme_python_sessions_run_as_shown():
    sessions = re.findall(r"```pycon\n(.*?)```", README, flags=re.S)
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs: dict = {}
    for i, text in enumerate(sessions):
        test = parser.get_doctest(text, globs, f"README session {i}", "README.md", 0)
        runner.run(test)
    assert runner.tries >= 10, "the README's sessions were not found"
    assert runner.failures == 0, f"{runner.failures} README example(s) print something else"


def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write model files
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["history"]["accuracy"][-1] >= 0.97
    assert (tmp_path / "model.json").exists()


def test_readme_command_lines_run(tmp_path, monkeypatch, capsys):
    from autograd_lite.cli import main

    monkeypatch.chdir(tmp_path)
    tour = README.split("## A tour of the API", 1)[1].split("\n## ", 1)[0]
    lines = [
        line
        for block in re.findall(r"```bash\n(.*?)```", tour, flags=re.S)
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
