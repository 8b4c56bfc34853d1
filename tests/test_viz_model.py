"""draw_model: an MLP's neurons and weights, read through named_parameters()."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from autograd_lite import Value, viz

EDGE = re.compile(r"^\s*(n\d+_\d+) -> (n\d+_\d+) \[(.*)\]$", re.MULTILINE)
NODE = re.compile(r"^\s*(n\d+_\d+) \[label=\"?([^\" ]*)\"? (.*)\]$", re.MULTILINE)


class FakeMLP:
    """The public interface draw_model relies on: named_parameters() in nn's naming."""

    def __init__(self, weights, biases):
        self.weights = [[[Value(w) for w in row] for row in layer] for layer in weights]
        self.biases = [[Value(b) for b in layer] for layer in biases]

    def named_parameters(self):
        pairs = []
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            pairs += [
                (f"layers.{i}.weight[{o}][{j}]", v)
                for o, row in enumerate(w)
                for j, v in enumerate(row)
            ]
            pairs += [(f"layers.{i}.bias[{o}]", v) for o, v in enumerate(b)]
        return pairs


def small() -> FakeMLP:
    # 2 inputs -> 3 hidden -> 1 output
    return FakeMLP(
        weights=[[[1.0, -2.0], [0.5, 0.0], [-0.25, 4.0]], [[3.0, -1.0, 0.1]]],
        biases=[[0.1, -0.2, 0.0], [0.7]],
    )


def edges(g) -> dict[tuple[str, str], str]:
    return {(m[1], m[2]): m[3] for m in EDGE.finditer(g.source)}


def attr(attrs: str, name: str) -> str:
    m = re.search(rf'{name}="?([^" ]*)"?', attrs)
    assert m, (name, attrs)
    return m[1]


def test_one_node_per_neuron_and_one_edge_per_weight():
    g = viz.draw_model(small())
    nodes = {m[1]: m[2] for m in NODE.finditer(g.source)}
    assert sorted(nodes) == ["n0_0", "n0_1", "n1_0", "n1_1", "n1_2", "n2_0"]
    assert (nodes["n0_0"], nodes["n0_1"]) == ("x1", "x2")
    assert (nodes["n1_1"], nodes["n2_0"]) == ("-0.2", "0.7")  # neurons show their bias
    e = edges(g)
    assert len(e) == 2 * 3 + 3 * 1
    assert ("n0_1", "n1_2") in e and ("n1_2", "n2_0") in e


def test_edge_colour_is_the_sign_and_width_the_magnitude():
    e = edges(viz.draw_model(small()))
    assert attr(e["n0_0", "n1_0"], "color").startswith("#1f77b4")  # +1: blue
    assert attr(e["n0_1", "n1_0"], "color").startswith("#d62728")  # -2: red
    assert attr(e["n0_1", "n1_2"], "color") == "#1f77b4ff"  # the largest, opaque
    widths = {k: float(attr(v, "penwidth")) for k, v in e.items()}
    assert widths["n0_1", "n1_2"] == max(widths.values())  # |4| is the largest
    assert widths["n0_1", "n1_1"] == min(widths.values())  # the zero weight
    assert widths["n0_0", "n1_0"] < widths["n0_1", "n1_0"]  # |1| < |-2|
    assert "layers.0.weight[2][1]: weight 4" in e["n0_1", "n1_2"]  # tooltip


def test_show_grads_draws_gradients_instead_of_weights():
    model = small()
    for layer in model.weights:
        for row in layer:
            for w in row:
                w.grad = -w.data  # opposite signs to the weights
    model.biases[1][0].grad = 0.25
    g = viz.draw_model(model, show="grads")
    e = edges(g)
    assert attr(e["n0_0", "n1_0"], "color").startswith("#d62728")
    assert attr(e["n0_1", "n1_0"], "color").startswith("#1f77b4")
    assert re.search(r"n2_0 \[label=0.25 ", g.source)
    assert "gradients" in g.source


def test_neurons_keep_their_order_top_to_bottom():
    g = viz.draw_model(small())
    y = {
        m[1]: float(m[2]) for m in re.finditer(r'(n\d+_\d+) \[.*pos="[-\d.]+,([-\d.]+)!"', g.source)
    }
    assert y["n0_0"] > y["n0_1"]
    assert y["n1_0"] > y["n1_1"] > y["n1_2"]
    assert y["n1_1"] == y["n2_0"]  # a one-neuron layer is centred


def test_models_that_are_not_mlps_are_refused():
    with pytest.raises(TypeError, match="named_parameters"):
        viz.draw_model(object())
    odd = FakeMLP([[[1.0]]], [[0.0]])
    odd.named_parameters = lambda: [("encoder.w", Value(1.0))]
    with pytest.raises(ValueError, match="'encoder.w'"):
        viz.draw_model(odd)
    mismatched = FakeMLP([[[1.0, 2.0]], [[1.0, 2.0]]], [[0.0], [0.0]])
    with pytest.raises(ValueError, match="layers.1 takes 2 inputs but layers.0 gives 1"):
        viz.draw_model(mismatched)
    with pytest.raises(ValueError, match="show"):
        viz.draw_model(small(), show="biases")


def test_too_many_weights_are_refused():
    with pytest.raises(ValueError, match="9 weights, more than max_edges=5"):
        viz.draw_model(small(), max_edges=5)


def test_real_mlp_renders_to_svg(tmp_path):
    nn = pytest.importorskip("autograd_lite.nn")
    model = nn.MLP(2, [4, 3], activation="tanh", seed=0)
    g = viz.draw_model(model)
    assert len(edges(g)) == 2 * 4 + 4 * 3
    assert "hidden 1\\n(tanh)" in g.source and "outputs\\n(linear)" in g.source
    svg = viz.render(g, tmp_path / "model.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert sum(1 for t in titles if t and "&#45;&gt;" not in t and "->" in t) == 20
    assert g._repr_svg_().lstrip().startswith("<?xml")  # displays in Jupyter too


def test_an_activation_name_graphviz_cannot_draw_is_a_value_error():
    model = small()
    model.activation, model.output_activation = "relu\x00", "linear"
    with pytest.raises(ValueError, match="^draw_model: the label 'relu.*NUL character"):
        viz.draw_model(model)


def test_options_name_draw_model():
    with pytest.raises(ValueError, match="^draw_model: precision must be at least 1, got 0"):
        viz.draw_model(small(), precision=0)
    with pytest.raises(ValueError, match="^draw_model: rankdir must be one of 'LR', 'TB'"):
        viz.draw_model(small(), rankdir="RL")
