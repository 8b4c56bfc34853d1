"""draw_dot: the DOT text it builds for a Value's graph (no rendering here)."""

from __future__ import annotations

import re

import graphviz
import pytest

from autograd_lite import Value, viz
from autograd_lite.viz.graph import count_nodes

RECORD = re.compile(r'^\s*(v\d+) \[label="(.*?)" (.*)\]$', re.MULTILINE)
OP = re.compile(r'^\s*(v\d+op) \[label="?(.*?)"? fillcolor', re.MULTILINE)


def records(g) -> dict[str, tuple[str, str]]:
    """Value nodes of a drawing: id -> (label, the rest of the attributes)."""
    return {m[1]: (m[2], m[3]) for m in RECORD.finditer(g.source)}


def record_of(g, text: str) -> tuple[str, str]:
    found = [r for r in records(g).values() if text in r[0]]
    assert len(found) == 1, (text, found)
    return found[0]


def neuron():
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    b = Value(6.8813735870195432, label="b")
    out = (x * w + b).tanh()
    out.label = "out"
    out.backward()
    return x, w, b, out


def test_one_record_per_value_and_one_oval_per_op():
    x, w, b, out = neuron()
    g = viz.draw_dot(out)
    assert isinstance(g, graphviz.Digraph)
    assert len(records(g)) == 6  # x, w, b, x*w, x*w + b, out
    assert sorted(m[2] for m in OP.finditer(g.source)) == ["*", "+", "tanh"]
    assert "rankdir=LR" in g.source


def test_values_show_label_data_and_grad():
    x, w, b, out = neuron()
    g = viz.draw_dot(out)
    assert record_of(g, "{ x |")[0] == "{ x | data 2 | grad -1.5 }"  # w * (1 - out**2)
    assert record_of(g, "{ out |")[0] == "{ out | data 0.7071 | grad 1 }"
    assert record_of(g, "{ w |")[0] == "{ w | data -3 | grad 1 }"  # dout/dw = x * 0.5


def test_hide_grads_and_precision():
    _, _, _, out = neuron()
    g = viz.draw_dot(out, show_grads=False, precision=2)
    assert "grad" not in g.source
    assert record_of(g, "out")[0] == "{ out | data 0.71 }"


def test_top_to_bottom_keeps_fields_in_a_row():
    _, _, _, out = neuron()
    g = viz.draw_dot(out, rankdir="TB")
    assert "rankdir=TB" in g.source
    # Without braces, the record's fields stay side by side in a TB layout.
    assert record_of(g, "out")[0] == "out | data 0.7071 | grad 1"


def test_a_number_mixed_into_an_op_is_shown_on_the_op_not_as_a_leaf():
    x = Value(3.0, label="x")
    g = viz.draw_dot((1 - x * 2).tanh())
    assert len(records(g)) == 4  # x, x * 2, 1 - (x * 2), tanh
    assert '"* 2"' in g.source and '"1 -"' in g.source


def test_constant_leaves_are_drawn_plainly_but_dashed():
    x = Value(3.0, label="x")
    y = x * Value(2.0)
    y.backward()
    g = viz.draw_dot(y)
    label, attrs = record_of(g, "data 2 ")
    assert label == "{ data 2 | grad 3 }"
    assert "dashed" in attrs
    assert "dashed" not in record_of(g, "{ x |")[1]


def test_a_node_used_twice_is_drawn_once_with_two_edges():
    x = Value(3.0, label="x")
    y = x * x
    g = viz.draw_dot(y)
    assert len(records(g)) == 2
    (x_id,) = [k for k, (label, _) in records(g).items() if "x |" in label]
    assert len(re.findall(rf"^\s*{x_id} -> v\d+op$", g.source, re.MULTILINE)) == 2


def test_operands_of_non_commutative_ops_are_tagged():
    a, b = Value(5.0, label="a"), Value(2.0, label="b")
    g = viz.draw_dot(a - b)
    ids = {label.split(" |")[0].strip("{ "): k for k, (label, _) in records(g).items()}
    assert re.search(rf"{ids['a']} -> v\d+op \[headlabel=a headport=n\]", g.source)
    assert re.search(rf"{ids['b']} -> v\d+op \[headlabel=b headport=s\]", g.source)
    assert "headlabel" not in viz.draw_dot(a + b).source


def test_colour_by_sign():
    x, w, b, out = neuron()  # x.grad < 0, w.grad > 0
    g = viz.draw_dot(out, color_by="sign")
    assert 'fillcolor="#fcbba1"' in record_of(g, "{ x |")[1]  # red: negative
    assert 'fillcolor="#c6dbef"' in record_of(g, "{ w |")[1]  # blue: positive


def test_colour_by_magnitude_is_strongest_for_the_largest_gradient():
    x, w, b, out = neuron()  # |x.grad| = 1.5 is the largest
    g = viz.draw_dot(out, color_by="magnitude")
    assert 'fillcolor="#fd8d3c"' in record_of(g, "{ x |")[1]
    weaker = record_of(g, "{ b |")[1]
    assert 'fillcolor="#' in weaker and "#fd8d3c" not in weaker and "#ffffff" not in weaker


def test_highlight_outlines_only_the_given_nodes():
    x, w, b, out = neuron()
    g = viz.draw_dot(out, highlight=[w])
    assert "#d62728" in record_of(g, "{ w |")[1]
    assert "#d62728" not in record_of(g, "{ x |")[1]


def test_record_characters_in_labels_are_escaped():
    v = Value(1.0, label="{a|b} <c> \\")
    g = viz.draw_dot(v)
    assert r"{ \{a\|b\} \<c\> \\ | data 1" in g.source


def test_options_are_checked():
    v = Value(1.0)
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_dot(v, rankdir="XY")
    with pytest.raises(ValueError, match="color_by"):
        viz.draw_dot(v, color_by="rainbow")
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw_dot(v, max_nodes=0)
    with pytest.raises(TypeError, match="Value"):
        viz.draw_dot(3.0)


def test_reads_only_the_public_node_attributes():
    class Node:
        __slots__ = ("data", "grad", "op", "parents", "label")

        def __init__(self, data, parents=(), op="", label=""):
            self.data, self.grad, self.op = data, 0.5, op
            self.parents, self.label = parents, label

    a = Node(1.0, label="a")
    g = viz.draw_dot(Node(2.0, (a, a), "+", "s"))
    assert record_of(g, "{ a |")[0] == "{ a | data 1 | grad 0.5 }"


def chain(n: int) -> Value:
    v = Value(0.0)
    for _ in range(n):
        v = v.tanh()  # unary: one new node per step
    return v


def test_too_large_graph_is_refused_with_its_size_and_what_to_do():
    v = chain(700)
    with pytest.raises(ValueError) as info:
        viz.draw_dot(v)
    message = str(info.value)
    assert "701 Values" in message and "max_nodes=500" in message
    assert "draw_model" in message
    assert len(records(viz.draw_dot(v, max_nodes=701))) == 701


def test_a_very_deep_graph_is_refused_quickly_without_recursion():
    v = chain(100_000)  # far deeper than Python's recursion limit
    with pytest.raises(ValueError, match="more than 10,000 Values"):
        viz.draw_dot(v)


def test_a_deep_graph_within_the_limit_is_drawn_without_recursion():
    v = chain(3000)
    g = viz.draw_dot(v, max_nodes=3001)
    assert len(records(g)) == 3001


def test_count_nodes_stops_at_the_limit():
    nodes, complete = count_nodes(chain(50), limit=10)
    assert (len(nodes), complete) == (10, False)
    nodes, complete = count_nodes(chain(5), limit=10)
    assert (len(nodes), complete) == (6, True)


def test_an_op_with_a_constant_shows_it():
    from autograd_lite import Value, viz

    x = Value(3.0, label="x")
    source = viz.draw_dot((x**2).leaky_relu(0.2)).source
    assert "** 2" in source
    assert "leaky_relu(0.2)" in source


@pytest.mark.parametrize("label", ["a\x00b", "\ud800"])
def test_a_label_graphviz_cannot_draw_is_a_value_error_naming_draw_dot(label):
    out = Value(1.0, label=label) * 2
    with pytest.raises(ValueError, match="^draw_dot: the label .* Graphviz cannot draw"):
        viz.draw_dot(out)
    with pytest.raises(ValueError, match="^draw_dot: the label"):
        viz.render(out, "never_written.svg")
    # in Jupyter the Value still shows, as text with the reason
    bundle = viz.graph.mimebundle(out)
    assert list(bundle) == ["text/plain"] and "Graphviz cannot draw" in bundle["text/plain"]


def test_precision_and_max_nodes_name_draw_dot():
    v = Value(1.0)
    with pytest.raises(ValueError, match="^draw_dot: precision must be at most 17, got 18"):
        viz.draw_dot(v, precision=18)
    with pytest.raises(TypeError, match="^draw_dot: max_nodes must be an int, got float"):
        viz.draw_dot(v, max_nodes=1.5)  # type: ignore[arg-type]


def test_layout_size_of_a_tree_is_its_nodes_plus_edges():
    # (a*b) + (c*d): no edge skips a rank, so nothing is added for crossing ranks
    a, b, c, d = (Value(float(i), label=n) for i, n in enumerate("abcd"))
    out = a * b + c * d
    drawn_nodes = 7 + 3  # 7 Values and 3 op nodes
    drawn_edges = 3 + 6  # op -> result, and 2 inputs -> op, for each of 3 ops
    assert viz.graph.layout_size(out) == drawn_nodes + drawn_edges


@pytest.mark.parametrize("k", [2, 3, 10, 40])
def test_layout_size_counts_the_ranks_a_reused_leaf_crosses(k):
    # x*x*...*x (k factors): ranks x=0, op_i=2i-1, product_i=2i. The edge from x into
    # op_i crosses 2i-2 ranks for i = 2..k-1, each costing 2 in dot's auxiliary graph.
    x = Value(1.0, label="x")
    out = x
    for _ in range(k - 1):
        out = out * x
    nodes, edges = (2 * k - 1), 3 * (k - 1)
    crossed = sum(2 * i - 2 for i in range(2, k))
    assert viz.graph.layout_size(out) == nodes + edges + 2 * crossed
