"""Drawings render with graphviz's own calls through the bundled renderer, and draw_dot
shows parameters as parameters and nodes no backward pass reached as such."""

from __future__ import annotations

import re
import subprocess
import sys

import graphviz
import pytest

import autograd_lite as ag
from autograd_lite import Value, nn, viz
from autograd_lite.viz import renderer


@pytest.fixture
def no_system_dot(monkeypatch):
    """PATH without any program: graphviz's own render would fail to find dot."""
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(renderer, "_cache", {})
    if any(r.name == "dot" for r in renderer.find_renderers()):
        pytest.skip("a system dot is installed in a standard place")
    if not renderer.find_renderers():
        pytest.skip("graphviz-pure is not installed")


def neuron():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    out = (x * w + 6.88).tanh()
    out.label = "out"
    out.backward()
    return out


def test_render_writes_only_the_image_where_graphviz_would(tmp_path, monkeypatch, no_system_dot):
    monkeypatch.chdir(tmp_path)
    drawing = viz.draw_dot(neuron())
    assert drawing.render("graph", format="svg") == "graph.svg"
    assert drawing.render("net", directory="out", format="png") == "out/net.png"
    # as in graphviz, the directory given is remembered by the drawing
    assert drawing.render(outfile="other.svg") == "out/other.svg"
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["graph.svg", "out/net.png", "out/other.svg"]
    assert (tmp_path / "graph.svg").read_text().lstrip().startswith("<?xml")
    assert "{ out | data 0.7064 | grad 1 }" in drawing.source
    assert (tmp_path / "out" / "net.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_keeps_the_dot_source_only_when_cleanup_false_is_asked_for(tmp_path):
    drawing = viz.draw_dot(neuron())
    path = drawing.render("graph", directory=tmp_path, format="svg", cleanup=False)
    assert path == str(tmp_path / "graph.svg")
    assert (tmp_path / "graph").read_text() == drawing.source
    drawing.render("again", directory=tmp_path, format="svg", cleanup=True)
    assert not (tmp_path / "again").exists() and (tmp_path / "again.svg").exists()


def test_render_refuses_clearly(tmp_path):
    drawing = viz.draw_dot(neuron())
    with pytest.raises(ValueError, match="render: format must be 'svg', 'png' or 'pdf'.*'jpg'"):
        drawing.render("g", directory=tmp_path, format="jpg")
    with pytest.raises(ValueError, match="render: renderer='cairo'"):
        drawing.render("g", directory=tmp_path, format="png", renderer="cairo")
    drawing.render("g", directory=tmp_path, format="svg")
    with pytest.raises(graphviz.FileExistsError, match="g.svg"):
        drawing.render("g", directory=tmp_path, format="svg", raise_if_result_exists=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.svg"]


def test_view_renders_then_opens_the_image(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(viz.Drawing, "_view", lambda self, path, format, quiet: opened.append(path))
    drawing = viz.draw_dot(neuron())
    path = drawing.view("shown", directory=tmp_path)
    assert opened == [path] and path.endswith("shown.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shown.svg"]


def test_pipe_and_jupyter_display_need_no_system_graphviz(no_system_dot):
    drawing = ag.draw_dot(neuron())
    svg = drawing.pipe()
    assert isinstance(svg, bytes) and b"<svg" in svg
    assert drawing.pipe(encoding="utf-8").startswith("<?xml")
    assert drawing.pipe("png")[:4] == b"\x89PNG"
    assert "<svg" in drawing._repr_mimebundle_()["image/svg+xml"]
    net = viz.draw_model(nn.MLP(2, [3, 1], seed=0))
    assert b"<svg" in net.pipe(format="svg")


def test_ag_draw_dot_is_viz_draw_dot_and_import_stays_light():
    assert ag.draw_dot is viz.draw_dot
    code = "import sys, autograd_lite; print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def record(drawing, text):
    """The label and attributes of the one record node whose label contains ``text``."""
    found = [
        (m[1], m[2])
        for m in re.finditer(r'^\s*v\d+ \[label="(.*?)" (.*)\]$', drawing.source, re.MULTILINE)
        if text in m[1]
    ]
    assert len(found) == 1, (text, found)
    return found[0]


def test_a_networks_parameters_show_their_names_and_look_like_parameters():
    model = nn.MLP(2, [2, 1], activation="tanh", seed=0)
    loss = model([0.5, -1.0])
    loss.backward()
    drawing = viz.draw_dot(loss, max_nodes=100)
    label, attrs = record(drawing, "layers.0.weight[1][0] |")
    assert "#2f7d32" in attrs and "penwidth=2" in attrs and "#dcf0d5" in attrs
    assert "dashed" not in attrs
    assert len(re.findall(r"layers\.\d\.(weight|bias)", drawing.source)) == 9  # every one
    label, attrs = record(drawing, "data 0.5 ")  # an input the model wrapped: a constant
    assert "dashed" in attrs and "#2f7d32" not in attrs


def test_params_names_any_values_as_parameters():
    w, b, x = Value(0.5), Value(0.1), Value(2.0, label="x")
    out = (w * x + b).tanh()
    drawing = viz.draw_dot(out, params=[("w", w), ("b", b)])
    assert "#2f7d32" in record(drawing, "{ w | data 0.5")[1]
    assert "#2f7d32" not in record(drawing, "{ x |")[1]
    plain = viz.draw_dot(out, params=[w])  # a Value alone: styled, named by its label
    assert "#2f7d32" in record(plain, "data 0.5 ")[1]
    with pytest.raises(TypeError, match="params holds int"):
        viz.draw_dot(out, params=[3])


def test_a_gradient_not_yet_computed_is_not_shown_as_zero():
    x = Value(-1.0, label="x")
    y = (x * 2).relu()
    y.label = "y"
    before = viz.draw_dot(y)
    assert record(before, "{ x |")[0] == "{ x | data -1 | grad — }"
    assert record(before, "{ y |")[0] == "{ y | data 0 | grad — }"
    y.backward()
    after = viz.draw_dot(y)
    assert record(after, "{ x |")[0] == "{ x | data -1 | grad 0 }"  # reached: relu'(−2) = 0
    assert record(after, "{ y |")[0] == "{ y | data 0 | grad 1 }"
    z = Value(3.0, label="z")
    z.grad = 1.0  # set by hand, as the lecture does before calling _backward()
    assert record(viz.draw_dot(z), "{ z |")[0] == "{ z | data 3 | grad 1 }"
