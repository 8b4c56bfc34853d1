"""The commands at their edges: an output place that cannot be written is found before
training, Ctrl-C is one line and status 130 with no partial file and no folder left
behind, and a batch too large for memory is a usage error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograd_lite import cli
from autograd_lite.support.files import write_atomically
from conftest import run_cli


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder that exists but where no file can be made (root ignores permissions:
    then /proc/self, where nobody can make a file)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/proc/self")):
        try:
            with open(candidate / ".probe", "x"):
                pass
        except OSError:
            return candidate
        os.unlink(candidate / ".probe")
    pytest.skip("no folder here that this user cannot write")


@pytest.mark.parametrize("command", ["gpt", "demo"])
def test_an_unwritable_output_folder_fails_at_once_before_training(tmp_path, no_training, command):
    folder = _unwritable_folder(tmp_path)
    try:
        status, stdout, stderr = run_cli([command, "--out", str(folder), "--no-progress"])
    finally:
        (tmp_path / "locked").chmod(0o755)
    assert status == 2 and stdout == ""
    assert stderr.startswith(
        f"autograd-lite {command}: error: cannot write to the output folder {folder}: "
    )
    assert stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["gpt", "demo"])
def test_a_failed_run_removes_the_folders_it_made_and_only_those(tmp_path, monkeypatch, command):
    from autograd_lite.cli import gpt as gpt_command
    from autograd_lite.training import train

    def diverge(*args, **kwargs):
        raise ValueError("a step made a weight inf")

    monkeypatch.setattr(train, "fit", diverge)
    monkeypatch.setattr(gpt_command, "train", diverge)
    (tmp_path / "kept").mkdir()
    out = tmp_path / "kept" / "new" / "deeper"
    status, _, stderr = run_cli([command, "--out", str(out), "--no-progress"])
    assert status == 2 and "training failed: a step made a weight inf" in stderr
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]
    assert list((tmp_path / "kept").iterdir()) == []  # new/deeper removed, kept kept


def test_a_batch_too_large_for_memory_is_one_line_and_status_2(capsys, no_training):
    with pytest.raises(SystemExit) as exit:
        cli.main(["gpt", "--batch", "100000"])
    stdout, stderr = capsys.readouterr()
    assert exit.value.code == 2 and stdout == ""
    assert stderr == (
        "autograd-lite gpt: error: argument --batch: must be at most 1024, got 100000 "
        "(see autograd-lite gpt --help)\n"
    )


def _interrupted(argv: list[str], ready_lines: int) -> subprocess.CompletedProcess[str]:
    """Run the command, wait for ``ready_lines`` lines of output (it is training), then
    send SIGINT as Ctrl-C does."""
    process = subprocess.Popen(
        [sys.executable, "-m", "autograd_lite", *argv, "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a child of a background job may inherit SIGINT ignored; a terminal's is not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(ready_lines)]
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(argv, process.returncode, "".join(lines) + stdout, stderr)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize(
    "argv, ready_lines",
    [
        (["gpt", "--steps", "100000"], 2),
        (["demo", "--epochs", "1000000"], 1),
    ],
    ids=["gpt", "demo"],
)
def test_ctrl_c_is_one_line_status_130_and_leaves_nothing_behind(tmp_path, argv, ready_lines):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "model.json").write_text("old model")  # an earlier run's file
    for out in (tmp_path / "new" / "run", tmp_path / "old"):
        result = _interrupted([*argv, "--out", str(out)], ready_lines)
        assert result.returncode == 130, result.stderr
        assert result.stderr == "autograd-lite: interrupted\n"
        assert "wrote" not in result.stdout  # it was stopped while training
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]  # new/run removed
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["model.json"]
    assert (tmp_path / "old" / "model.json").read_text() == "old model"


def test_ctrl_c_while_a_file_is_written_keeps_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.json"
    target.write_text("old")

    def interrupted(f):
        f.write("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, interrupted)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["model.json"]
