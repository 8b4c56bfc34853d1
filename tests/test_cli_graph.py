"""``autograd-lite graph``: gradients printed, the graph written, bad input refused."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from autograd_lite import cli
from autograd_lite.viz import renderer

NEURON = ["tanh(x*w + b)", "x=2", "w=-3", "b=6.88"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(["graph", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def printed(out: str) -> dict[str, float]:
    """The ``name = number`` lines of the output, the number being the last field."""
    lines = [line.rsplit(" = ", 1) for line in out.splitlines() if " = " in line]
    return {left.split(" = ")[0]: float(right) for left, right in lines}


def neuron(x: float, w: float, b: float) -> float:
    return math.tanh(x * w + b)


def test_gradients_are_printed_and_correct_and_the_graph_written(capsys, tmp_path):
    path = tmp_path / "graph.svg"
    status, out, err = run(capsys, *NEURON, "-o", str(path))
    assert (status, err) == (0, "")
    values = printed(out)
    x, w, b, h = 2.0, -3.0, 6.88, 1e-6
    assert values["out"] == pytest.approx(neuron(x, w, b))
    assert values["dout/dx"] == pytest.approx((neuron(x + h, w, b) - neuron(x - h, w, b)) / (2 * h))
    assert values["dout/dw"] == pytest.approx((neuron(x, w + h, b) - neuron(x, w - h, b)) / (2 * h))
    assert values["dout/db"] == pytest.approx((neuron(x, w, b + h) - neuron(x, w, b - h)) / (2 * h))
    assert out.splitlines()[-1] == f"wrote {path}"
    texts = [t.text for t in ET.parse(path).iter("{http://www.w3.org/2000/svg}text")]
    assert {"x", "w", "b", "out", "tanh", "data 2", "data -3", "data 6.88"} <= set(texts)


def test_default_output_is_graph_svg_and_top_to_bottom(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run(capsys, "x*y + y", "x=1", "y=3", "z=5", "--rankdir", "TB")
    assert status == 0
    assert printed(out) == {"out": 6.0, "dout/dx": 3.0, "dout/dy": 2.0, "dout/dz": 0.0}
    assert out.splitlines()[-1] == "wrote graph.svg"
    assert (tmp_path / "graph.svg").read_text().lstrip().startswith("<?xml")


HOSTILE = [
    ["__import__('os').system('touch X')", "x=1"],
    ["open('X', 'w').write('pwned')", "x=1"],
    ["x.__class__", "x=1"],
    ["lambda: 1"],
    ["[i for i in (1, 2)]"],
    ["x[0]", "x=1"],
    ["2**10**10**10"],
    ["x+" * 2000 + "x", "x=1"],
    ["y + 1", "x=1"],
    ["tanh(x", "x=1"],
    ["log(x - 2)", "x=2"],
    ["1 / (x - 2)", "x=2"],
    ["x", "x2"],
    ["x", "x=abc"],
    ["x", "x="],
    ["x", "1x=2"],
    ["x", "class=2"],
    ["x", "x=1", "x=2"],
    ["x", "x=1", "-o", "graph.jpg"],
]


@pytest.mark.parametrize("argv", HOSTILE, ids=lambda a: a[0][:30] + " " + " ".join(a[1:]))
def test_bad_input_is_one_line_on_stderr_exit_2_and_no_side_effect(
    capsys, tmp_path, monkeypatch, argv
):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.startswith("autograd-lite graph: error: ")
    assert err.count("\n") == 1 and err.endswith("\n")
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # no graph, no X


def test_without_any_graphviz_program_the_graph_is_still_drawn(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(renderer, "find_renderers", lambda: ())
    status, out, err = run(capsys, *NEURON, "-o", str(tmp_path / "g.svg"))
    assert status == 0 and err == ""
    assert "dout/dx" in out
    assert "<svg" in (tmp_path / "g.svg").read_text()


def test_unwritable_output_is_one_line_and_exit_2(capsys, tmp_path):
    status, _, err = run(capsys, *NEURON, "-o", str(tmp_path / "missing" / "g.svg"))
    assert status == 2
    assert err.count("\n") == 1 and "No such file or directory" in err


def test_as_a_subprocess_png_without_path_and_a_clean_refusal(tmp_path):
    env = {**os.environ, "PATH": ""}  # nothing to find on PATH, as in an unactivated venv
    command = [sys.executable, "-m", "autograd_lite", "graph"]
    good = subprocess.run(
        [*command, *NEURON, "-o", "g.png"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert good.returncode == 0, good.stderr
    assert "dout/dw = 1.001943" in good.stdout
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    bad = subprocess.run(
        [*command, "__import__('os').system('touch X')", "-o", "bad.svg"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png"]


@pytest.mark.parametrize(
    "argv, prefix, message",
    [
        ([], "autograd-lite", "the following arguments are required: COMMAND"),
        (["frobnicate"], "autograd-lite", "invalid choice: 'frobnicate'"),
        (["graph"], "autograd-lite graph", "the following arguments are required: expression"),
        (["graph", "x", "x=1", "--rankdir", "XY"], "autograd-lite graph", "invalid choice: 'XY'"),
        (["graph", "x", "x=1", "--frobnicate"], "autograd-lite graph", "unrecognized arguments"),
        (["demo", "--epochs"], "autograd-lite demo", "expected one argument"),
    ],
)
def test_every_argparse_error_is_one_line_on_stderr_and_exit_2(capsys, argv, prefix, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    out, err = capsys.readouterr()
    assert exit_info.value.code == 2 and out == ""
    assert err.startswith(f"{prefix}: error: ") and message in err
    assert err.count("\n") == 1 and err.endswith("\n")
    assert "usage:" not in err


@pytest.mark.parametrize("argv", [["-x", "x=1"], ["-x*2", "x=1"], ["x=1", "-x"]])
def test_an_expression_that_looks_like_an_option_gets_the_hint_about_double_dash(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["graph", *argv])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and err.count("\n") == 1
    assert "unrecognized arguments: -x" in err
    assert "goes after '--'" in err and "autograd-lite graph -o graph.svg -- -x x=1" in err


def test_the_hinted_double_dash_form_works_and_a_misplaced_option_says_so(capsys, tmp_path):
    path = tmp_path / "g.svg"
    status, out, err = run(capsys, "-o", str(path), "--", "-x*2", "x=1")
    assert (status, err) == (0, "")
    assert printed(out)["dout/dx"] == -2.0
    status, _, err = run(capsys, "--", "-x", "x=1", "-o", str(path))
    assert status == 2 and "(options such as -o go before --)" in err


def test_a_graph_too_slow_to_draw_is_refused_before_any_work(capsys, tmp_path, monkeypatch):
    # x used at every depth of a 100-long chain: Graphviz lays this out for minutes
    expression = "*".join(["x"] * 100)
    assert len(expression) < 1000  # inside the expression limits

    def never(*args, **kwargs):
        raise AssertionError("the renderer must not be started")

    monkeypatch.setattr(renderer, "pipe", never)
    monkeypatch.setattr("autograd_lite.viz.export.pipe", never)
    status, out, err = run(capsys, expression, "x=1", "-o", str(tmp_path / "g.svg"))
    assert status == 2 and out == ""  # refused before printing gradients
    assert err.startswith("autograd-lite graph: error: the graph is too tangled to draw")
    assert err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_ordinary_long_expressions_are_still_drawn(capsys, tmp_path):
    # 40 neurons summed: near 500 characters, a second or less to lay out
    expression = " + ".join(["tanh(x*w + b)"] * 40)
    status, out, err = run(
        capsys, expression, "x=1", "w=0.5", "b=0.1", "-o", str(tmp_path / "g.svg")
    )
    assert (status, err) == (0, "")
    assert printed(out)["dout/db"] == pytest.approx(40 * (1 - math.tanh(0.6) ** 2))
