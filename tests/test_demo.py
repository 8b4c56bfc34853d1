"""``autograd-lite demo``: the micrograd recipe end to end, its files, and its errors."""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest

from autograd_lite import cli, data, nn, train

PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One full run of the demo as shipped (default epochs, moons, seed 0)."""
    out = tmp_path_factory.mktemp("demo") / "results"
    status, stdout, stderr = run_cli(["demo", "--out", str(out), "--no-progress"])
    return out, status, stdout, stderr


def test_demo_recipe_reaches_97_percent_on_two_moons(demo_run):
    out, status, stdout, stderr = demo_run
    assert status == 0, stderr
    match = re.search(r"final training accuracy: ([\d.]+)%", stdout)
    assert match, stdout
    assert float(match.group(1)) >= 97.0
    assert stderr == ""  # --no-progress: no bar


def test_demo_writes_a_loadable_model_and_two_images_and_names_them(demo_run):
    out, status, stdout, _ = demo_run
    assert sorted(p.name for p in out.iterdir()) == [
        "decision_boundary.png",
        "loss_curve.png",
        "model.json",
    ]
    for name in ("model.json", "decision_boundary.png", "loss_curve.png"):
        assert f"wrote {out / name}" in stdout
    for name in ("decision_boundary.png", "loss_curve.png"):
        assert (out / name).read_bytes().startswith(PNG)
    model = nn.MLP.load(out / "model.json")
    assert len(model.parameters()) == 337
    assert json.loads((out / "model.json").read_text())["config"]["nouts"] == [16, 16, 1]
    X, y = data.make_moons(100, seed=0)
    assert train.accuracy(model, X, y) >= 0.97  # the saved weights are the trained ones


def test_other_data_sets_and_the_progress_bar(tmp_path):
    status, stdout, stderr = run_cli(
        ["demo", "--dataset", "xor", "--epochs", "3", "--samples", "20", "--out", str(tmp_path)]
    )
    assert status == 0
    assert "xor: 20 points" in stdout
    assert "training" in stderr and "3/3" in stderr  # tqdm's bar
    assert (tmp_path / "model.json").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "--epochs: must be at least 1"),
        (["--epochs", "ten"], "--epochs: expected a whole number"),
        (["--dataset", "mnist"], "--dataset: invalid choice: 'mnist'"),
        (["--seed", "-3"], "--seed: must be at least 0"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_flags_are_argparse_errors_with_status_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    # one line, as docs/tour.md promises, not argparse's usage block before it
    assert err.startswith("autograd-lite demo: error: ") and err.count("\n") == 1


def test_help_lists_the_flags(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--dataset", "--epochs", "--seed", "--out", "--no-progress"):
        assert flag in text


def test_an_unusable_output_folder_is_one_line_on_stderr(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    status, stdout, stderr = run_cli(["demo", "--out", str(blocker / "sub"), "--no-progress"])
    assert status == 2
    assert stderr.startswith("autograd-lite demo: error: cannot create the output folder")
    assert str(blocker / "sub") in stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "final training accuracy" not in stdout  # it failed before training


def test_a_failed_write_is_one_line_on_stderr(tmp_path, monkeypatch):
    def refuse(self, path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(nn.MLP, "save", refuse)
    status, _, stderr = run_cli(
        ["demo", "--epochs", "1", "--samples", "10", "--out", str(tmp_path), "--no-progress"]
    )
    assert status == 2
    assert stderr == f"autograd-lite demo: error: cannot write to {tmp_path}: Permission denied\n"


def test_scalar_flag_trains_the_same_model_on_the_graph_of_values(tmp_path):
    states = []
    for flags in ([], ["--scalar"]):
        out = tmp_path / ("scalar" if flags else "compiled")
        status, _, stderr = run_cli(
            ["demo", "--epochs", "5", "--out", str(out), "--no-progress", *flags]
        )
        assert status == 0, stderr
        states.append(json.loads((out / "model.json").read_text())["state_dict"])
    compiled, scalar = states
    for key in compiled:
        flat_c = [v for row in compiled[key] for v in (row if isinstance(row, list) else [row])]
        flat_s = [v for row in scalar[key] for v in (row if isinstance(row, list) else [row])]
        assert flat_c == pytest.approx(flat_s, rel=1e-9, abs=1e-12)
