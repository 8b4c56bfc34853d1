"""render and Jupyter display: real images, with no Graphviz program on PATH."""

from __future__ import annotations

import os
import sys
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

import graphviz
import pytest

from autograd_lite import Value, nn, viz
from autograd_lite.viz import renderer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def no_path(monkeypatch):
    """No program can be found through PATH (as in a venv that is not activated)."""
    monkeypatch.setenv("PATH", "")


@pytest.fixture
def no_renderer(monkeypatch):
    monkeypatch.setattr(renderer, "find_renderers", lambda: ())


def expression() -> Value:
    x = Value(2.0, label="x")
    y = (x * x + 1).log()
    y.label = "y"
    y.backward()
    return y


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == SVG + "svg"
    return [t.text or "" for t in root.iter(SVG + "text")]


def test_a_renderer_is_found_without_path(no_path):
    found = renderer.find_renderers()
    assert found, "install graphviz-pure (a dependency) to run the tests"
    assert all(Path(r.path).is_file() for r in found)
    assert {"svg", "png"} <= found[0].formats


def test_graphviz_pure_is_found_next_to_python_without_its_file_list(no_path, monkeypatch):
    name = "graphviz-pure" + (".exe" if os.name == "nt" else "")
    if not (Path(sys.executable).parent / name).is_file():
        pytest.skip("graphviz-pure is not installed next to this Python")

    def missing(_name):
        raise metadata.PackageNotFoundError(_name)

    monkeypatch.setattr(renderer.metadata, "distribution", missing)
    assert renderer._graphviz_pure() == str((Path(sys.executable).parent / name).resolve())


def test_render_svg_of_a_value(tmp_path, no_path):
    path = viz.render(expression(), tmp_path / "graph.svg")
    assert path == tmp_path / "graph.svg"
    texts = svg_texts(path.read_text(encoding="utf-8"))
    assert "data 2" in texts and "grad 0.8" in texts  # x: dy/dx = 2x / (x² + 1)
    assert "log" in texts
    assert os.listdir(tmp_path) == ["graph.svg"]  # no temporary file left behind


def test_render_png_of_a_value_with_options(tmp_path, no_path):
    path = viz.render(expression(), str(tmp_path / "graph.PNG"), rankdir="TB")
    assert isinstance(path, Path)
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_render_a_digraph_and_labels_with_special_characters(tmp_path):
    plain = graphviz.Digraph()
    plain.edge("a", "b")
    assert "<title>a&#45;&gt;b</title>" in viz.render(plain, tmp_path / "p.svg").read_text()

    odd = Value(1.0, label='{a|b} <c> "d" \\')
    texts = svg_texts(viz.render(odd, tmp_path / "odd.svg").read_text(encoding="utf-8"))
    assert '{a|b} <c> "d" \\' in texts


def test_unknown_or_missing_suffix_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"'\.jpg'"):
        viz.render(expression(), tmp_path / "graph.jpg")
    with pytest.raises(ValueError, match="no suffix"):
        viz.render(expression(), tmp_path / "graph")
    assert os.listdir(tmp_path) == []


def test_wrong_object_or_options_are_refused(tmp_path):
    with pytest.raises(TypeError, match="Value or a graphviz drawing"):
        viz.render(42, tmp_path / "x.svg")
    with pytest.raises(TypeError, match="rankdir"):
        viz.render(viz.draw_dot(expression()), tmp_path / "x.svg", rankdir="TB")


def test_a_value_renders_without_any_graphviz_program(tmp_path, no_renderer):
    texts = svg_texts(viz.render(expression(), tmp_path / "graph.svg").read_text())
    assert "data 2" in texts and "log" in texts
    assert viz.render(expression(), tmp_path / "graph.png").read_bytes()[:8] == PNG_SIGNATURE
    assert viz.render(expression(), tmp_path / "graph.pdf").read_bytes()[:5] == b"%PDF-"


def test_a_plain_graphviz_graph_without_a_program_is_one_clear_error(tmp_path, no_renderer):
    plain = graphviz.Digraph()
    plain.edge("a", "b")
    with pytest.raises(RuntimeError) as info:
        viz.render(plain, tmp_path / "graph.svg")
    assert isinstance(info.value, viz.NoRendererError)
    message = str(info.value)
    assert "pip install 'autograd-lite[graphviz]'" in message
    assert "Graphviz system package" in message and "\n" not in message
    assert os.listdir(tmp_path) == []


def test_pdf_of_a_plain_graph_needs_system_graphviz(tmp_path, monkeypatch):
    pure = renderer.Renderer("graphviz-pure", "/nowhere", frozenset({"svg", "png"}))
    monkeypatch.setattr(renderer, "find_renderers", lambda: (pure,))
    with pytest.raises(viz.NoRendererError, match="PDF output needs the Graphviz system package"):
        viz.render(graphviz.Digraph(), tmp_path / "graph.pdf")


@pytest.mark.skipif(os.name == "nt", reason="uses a shell script as a fake renderer")
def test_a_failing_renderer_leaves_an_existing_file_untouched(tmp_path, monkeypatch):
    fake = tmp_path / "fake-dot"
    fake.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    fake.chmod(0o755)
    broken = renderer.Renderer("dot", str(fake), frozenset({"svg", "png", "pdf"}))
    monkeypatch.setattr(renderer, "find_renderers", lambda: (broken,))
    target = tmp_path / "graph.svg"
    target.write_text("old")
    with pytest.raises(viz.RenderError, match="dot failed: Error: syntax error in line 1"):
        viz.render(graphviz.Digraph(), target)
    assert target.read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["fake-dot", "graph.svg"]


def test_a_value_displays_in_jupyter_as_svg(no_path):
    bundle = expression()._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert "data 2" in svg_texts(bundle["image/svg+xml"])


def test_drawing_repr_svg_and_png_on_request():
    g = viz.draw_dot(expression())
    assert "log" in svg_texts(g._repr_svg_())
    assert g._repr_mimebundle_(include=["image/png"])["image/png"].startswith(PNG_SIGNATURE)
    assert g._repr_mimebundle_(exclude=["image/svg+xml"]) == {}


def test_ipython_shows_a_value_as_its_graph():
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(expression())
    assert "data 2" in svg_texts(data["image/svg+xml"])
    assert data["text/plain"].startswith("Value(y, data=")


def test_without_a_renderer_a_value_still_displays_and_a_model_shows_text(no_renderer):
    v = expression()
    assert "data 2" in svg_texts(v._repr_mimebundle_()["image/svg+xml"])
    net = viz.draw_model(nn.MLP(2, [2, 1], seed=0))
    net.fallback_text = "MLP(2, [2, 1])"
    bundle = net._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and bundle["text/plain"].startswith("MLP(2, [2, 1])")
    assert "autograd-lite[graphviz]" in bundle["text/plain"]
    assert net._repr_svg_() is None


def test_mimebundle_of_a_huge_graph_is_its_repr_and_a_note():
    from autograd_lite.viz.graph import mimebundle

    v = Value(0.0)
    for _ in range(600):
        v = v.tanh()
    bundle = mimebundle(v)
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith(repr(v)) and "max_nodes" in bundle["text/plain"]
    assert "data 2" in svg_texts(mimebundle(expression())["image/svg+xml"])
