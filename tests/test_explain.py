"""ag.explain: the chain-rule table of the last backward pass."""

from __future__ import annotations

import pytest

import autograd_lite as ag
from autograd_lite import Value


def make_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    out = c + a
    out.label = "L"
    return a, b, c, out


def test_one_row_per_edge_with_local_upstream_and_contribution():
    a, b, c, out = make_graph()
    out.backward()
    steps = list(ag.explain(out))
    assert [(s.node, s.parent) for s in steps] == [(out, c), (out, a), (c, a), (c, b)]
    by_edge = {(s.node.label, s.parent.label): s for s in steps}
    assert by_edge[("c", "a")].local == -3.0  # d(a*b)/da = b
    assert by_edge[("c", "a")].upstream == 1.0
    assert by_edge[("c", "b")].contribution == 2.0
    # the contributions into each leaf add up to its gradient
    assert sum(s.contribution for s in steps if s.parent is a) == a.grad == -2.0


def test_uses_the_seed_of_the_last_backward():
    a, b, c, out = make_graph()
    out.backward(0.5)
    explanation = ag.explain(out)
    assert explanation.seed == 0.5
    assert {s.parent.label: s.contribution for s in explanation if s.node is c} == {
        "a": -1.5,
        "b": 1.0,
    }


def test_prints_a_table_naming_edges_and_leaf_gradients():
    a, b, c, out = make_graph()
    out.backward()
    text = str(ag.explain(out))
    lines = text.splitlines()
    assert lines[0] == "backward from L with seed 1"
    assert "dL/da += ∂c/∂a × dL/dc" in text
    assert lines[-1] == "gradients of the leaves: dL/da = -2, dL/db = 2"
    assert len(lines) == 1 + 1 + 4 + 1  # title, header, one per edge, leaves


def test_unlabelled_nodes_get_names_and_html_is_escaped():
    x = Value(1.0, label="<x>")
    y = (x * 2).tanh()
    y.backward()
    explanation = ag.explain(y)
    text = str(explanation)
    assert "dout/d<x>" in text
    html = explanation._repr_html_()
    assert "&lt;x&gt;" in html and "<x>" not in html


def test_explain_touches_no_grad_and_rejects_non_values():
    a, b, c, out = make_graph()
    explanation = ag.explain(out)
    assert a.grad == 0.0
    assert not explanation.ran and "not run yet" in str(explanation).splitlines()[0]
    out.backward()
    assert ag.explain(out).ran and "not run" not in str(ag.explain(out))
    with pytest.raises(TypeError, match="float"):
        ag.explain(1.0)


def test_numbers_mixed_into_ops_are_no_leaves_of_the_table():
    x = Value(0.5, label="x")
    y = (1 - x * 2).tanh()
    y.backward()
    explanation = ag.explain(y)
    assert [s.parent for s in explanation][-1] is x and len(explanation) == 3
    assert str(explanation).splitlines()[-1] == f"gradients of the leaves: dout/dx = {x.grad:.6g}"


def test_explain_narrowed_to_one_weight_is_its_chain_rule_path():
    model = ag.nn.MLP(2, [3, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    weight = model.layers[0].neurons[1].w[0]
    narrowed = ag.explain(loss, to=weight)
    full = ag.explain(loss)
    assert 0 < len(narrowed) < len(full)
    # every row lies on a path down to the weight, and the rows into it give its gradient
    assert sum(s.contribution for s in narrowed if s.parent is weight) == pytest.approx(weight.grad)
    into = {s.parent for s in narrowed}
    assert weight in into and all(s.node is loss or s.node in into for s in narrowed)
    last = str(narrowed).splitlines()[-1]
    assert last.startswith(f"gradients of the leaves: dout/d{weight.label} =")
    with pytest.raises(ValueError, match="not in the graph"):
        ag.explain(loss, to=Value(1.0))
