"""Backprop Studio, the Python side: the recorded steps, the wrong orders, the page file.

The steps are checked against the engine's own pass and, independently, against hand-
derived derivatives and central differences. What the browser does with them is
tested in tests/test_studio_browser.py; the widget in a kernel in test_studio_widget.py.
"""

from __future__ import annotations

import doctest
import json
import math
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite.backprop_studio import Studio, layout, orders, page, recording, replay, views
from autograd_lite.backprop_studio.recording import record
from autograd_lite.engine import gradients, topological_order
from autograd_lite.explain import Explanation
from conftest import central_difference


def tanh_neuron() -> tuple[ag.Value, dict[str, ag.Value]]:
    x = ag.Value(2.0, label="x")
    w = ag.Value(-0.5, label="w")
    b = ag.Value(0.3, label="b")
    out = (x * w + b).tanh()
    out.label = "L"
    return out, {"x": x, "w": w, "b": b}


def by_label(rec: recording.Recording) -> dict[str, dict]:
    return {node["label"]: node for node in rec.nodes}


def test_forward_steps_are_the_op_nodes_in_the_engines_topological_order():
    out, _ = tanh_neuron()
    rec = record(out)
    order = topological_order(out)
    assert [n["id"] for n in rec.nodes] == [f"n{k}" for k in range(len(order))]
    ops = [f"n{k}" for k, node in enumerate(order) if node.parents]
    assert [step["node"] for step in rec.forward] == ops
    assert [n["data"] for n in rec.nodes] == [node.data for node in order]
    assert [s["text"] for s in rec.forward] == [
        "n3 = x * w = 2 * -0.5 = -1",
        "n4 = n3 + b = -1 + 0.3 = -0.7",
        "L = tanh(n4) = tanh(-0.7) = -0.6044",
    ]
    # an unlabelled node is called by its own id, the one the drawing and state() use
    assert [n["label"] for n in rec.nodes] == ["x", "w", "b", "n3", "n4", "L"]


def test_backward_steps_are_explains_rows_after_the_seed():
    out, _ = tanh_neuron()
    rec = record(out)
    ids = {node: f"n{k}" for k, node in enumerate(topological_order(out))}
    seed, *steps = rec.backward["engine"]
    assert (seed["node"], seed["parent"], seed["after"]) == (rec.output, None, 1.0)
    rows = list(Explanation(out, 1.0))
    assert len(steps) == len(rows) == 5
    for step, row in zip(steps, rows, strict=True):
        assert (step["node"], step["parent"]) == (ids[row.node], ids[row.parent])
        assert (step["local"], step["upstream"]) == (row.local, row.upstream)
        assert step["contribution"] == row.contribution
    assert steps[0]["text"] == "dL/dn4 += ∂L/∂n4 × dL/dL = 0.6347 × 1 = 0.6347"


def test_gradients_match_the_hand_derived_chain_rule_and_the_engine():
    out, leaves = tanh_neuron()
    rec = record(out)
    nodes = by_label(rec)
    t = math.tanh(2.0 * -0.5 + 0.3)
    dz = 1 - t * t  # d tanh(z) / dz
    assert nodes["x"]["grad"] == pytest.approx(dz * -0.5, rel=1e-15)
    assert nodes["w"]["grad"] == pytest.approx(dz * 2.0, rel=1e-15)
    assert nodes["b"]["grad"] == pytest.approx(dz, rel=1e-15)
    # the running gradient after each node's last step is the engine's, to the bit
    last: dict[str, float] = {}
    for step in rec.backward["engine"]:
        last[step["parent"] or step["node"]] = step["after"]
    assert last == {n["id"]: n["grad"] for n in rec.nodes}
    assert sorted(last.values()) == sorted(gradients(out).values())
    out.backward()
    for name, leaf in leaves.items():
        assert nodes[name]["grad"] == leaf.grad


def test_leaf_gradients_match_central_differences_through_replay():
    x = ag.Value(0.7, label="x")
    y = ag.Value(-1.3, label="y")
    out = (x * y + x.exp() / (y * y + 1)).sigmoid() * (x - 2).tanh()
    rec = record(out)
    for index, node in enumerate(rec.nodes):
        if node["parents"]:
            continue
        numeric = central_difference(lambda v, i=index: replay(out, {i: v}).data, node["data"])
        assert node["grad"] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_recording_a_number_inside_an_op_and_a_constant_exponent():
    x = ag.Value(3.0, label="x")
    out = 1 - x**2 * 0.5
    texts = [s["text"] for s in record(out).forward]
    assert texts == [
        "n1 = x ** 2 = 3 ** 2 = 9",
        "n2 = n1 * 0.5 = 9 * 0.5 = 4.5",
        "n3 = 1 - n2 = 1 - 4.5 = -3.5",
    ]
    assert [n["opText"] for n in record(out).nodes] == ["", "** 2", "* 0.5", "1 -"]


def test_a_lone_leaf_has_no_forward_steps_and_only_the_seed():
    rec = record(ag.Value(4.0, label="x"))
    assert rec.forward == [] and rec.steps() == 1
    assert rec.nodes[0]["grad"] == 1.0


def test_x_plus_x_has_one_step_per_edge_each_with_its_slot():
    x = ag.Value(1.5, label="x")
    rec = record(x + x)
    steps = rec.backward["engine"][1:]
    assert [(s["parent"], s["k"], s["after"]) for s in steps] == [("n0", 0, 1.0), ("n0", 1, 2.0)]


# --- the two wrong orders ---------------------------------------------------------


def test_assign_instead_of_add_marks_the_node_used_twice_by_one_op():
    x = ag.Value(2.0, label="x")
    a = x + x
    a.label = "a"
    b = a * a  # db/da = 2a = 8, db/dx = 2 * 8 = 16
    rec = record(b)
    ids = {n["label"]: n["id"] for n in rec.nodes}
    wrong = rec.wrong["assign"]
    assert wrong["first"] == ids["a"]
    assert wrong["nodes"][ids["a"]]["got"] == 4.0  # a's second edge replaced the first
    assert wrong["nodes"][ids["a"]]["true"] == 8.0
    assert wrong["nodes"][ids["x"]]["got"] == 4.0  # 1 × 4, replaced by 1 × 4
    assert wrong["nodes"][ids["x"]]["true"] == 16.0
    # the naive recursion goes into a after b's first term, and again after its second:
    # a passes on 4 (true 8), then 8, so x gets 1·4 + 1·4 + 1·8 + 1·8 = 24 (true 16)
    naive = rec.wrong["naive"]
    assert naive["first"] == ids["a"]
    assert naive["nodes"][ids["a"]]["got"] == 4.0
    assert naive["nodes"][ids["x"]]["got"] == 24.0


def test_naive_order_marks_the_reused_node_passed_on_too_soon():
    x = ag.Value(2.0, label="x")
    w = ag.Value(-3.0, label="w")
    c = x * w
    c.label = "c"
    d = c * 2
    d.label = "d"
    out = c + d  # dout/dc = 1 + 2 = 3; dout/dx = 3w, dout/dw = 3x
    out.label = "out"
    rec = record(out)
    ids = {n["label"]: n["id"] for n in rec.nodes}
    wrong = rec.wrong["naive"]
    assert wrong["first"] == ids["c"]
    assert wrong["nodes"][ids["c"]]["got"] == 1.0  # out's term only; d's 2 came later
    assert wrong["nodes"][ids["c"]]["step"] == 2
    assert wrong["nodes"][ids["c"]]["true"] == 3.0
    # x gets w·1 when c passes on 1, then w·3 when c passes on again: -12 (true 3w = -9)
    assert wrong["nodes"][ids["x"]] == {"got": -12.0, "true": -9.0, "step": 6}
    assert wrong["nodes"][ids["w"]] == {"got": 8.0, "true": 6.0, "step": 7}
    assert set(wrong["nodes"]) == {ids["c"], ids["x"], ids["w"]}
    # the recursion goes into c (step 2) before d adds into it (step 5)
    naive = rec.backward["naive"]
    assert [(s["node"], s["parent"], s["k"]) for s in naive[1:]] == [
        (ids["out"], ids["c"], 0),
        (ids["c"], ids["x"], 0),
        (ids["c"], ids["w"], 1),
        (ids["out"], ids["d"], 1),
        (ids["d"], ids["c"], 0),
        (ids["c"], ids["x"], 0),
        (ids["c"], ids["w"], 1),
    ]
    assert [s["upstream"] for s in naive[2:4]] == [1.0, 1.0]
    assert naive[5]["after"] == 3.0


STEPS = {
    "add": lambda node, leaf: node + leaf,
    "mul": lambda node, leaf: node * leaf,
    "sub": lambda node, leaf: leaf - node,
    "tanh": lambda node, leaf: node.tanh() * leaf,
    "sigmoid": lambda node, leaf: (node + leaf).sigmoid(),
}


@given(
    st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.floats(-2, 2)), min_size=1, max_size=8),
    st.floats(-2, 2),
)
def test_on_a_chain_where_nothing_is_reused_every_order_is_right(chain, start):
    node = ag.Value(start, label="x0")
    for k, (op, number) in enumerate(chain):
        node = STEPS[op](node, ag.Value(number, label=f"c{k}"))
    rec = record(node)
    assert rec.wrong["naive"]["first"] is None
    assert rec.wrong["assign"]["first"] is None


def test_wrong_nodes_tolerates_rounding_but_not_a_wrong_number():
    steps = [orders._seed(None)]  # type: ignore[arg-type]
    steps[0]["node"] = "n1"
    steps.append({"node": "n1", "parent": "n0", "upstream": 1.0, "after": 0.1 + 0.2})
    assert orders.wrong_nodes(steps, {"n0": 0.3, "n1": 1.0}, "n1")["first"] is None
    assert orders.wrong_nodes(steps, {"n0": 0.31, "n1": 1.0}, "n1")["first"] == "n0"


# --- errors --------------------------------------------------------------------------


def test_studio_refuses_what_is_not_a_value_naming_the_argument():
    with pytest.raises(
        TypeError, match=r"studio: out must be a Value \(or, with X and y, a model\), got list"
    ):
        ag.studio([1.0])
    with pytest.raises(TypeError, match=r"studio: title must be a str, got int"):
        ag.studio(ag.Value(1.0), title=3)
    with pytest.raises(ValueError, match=r"studio: max_nodes must be a positive int, got 0"):
        ag.studio(ag.Value(1.0), max_nodes=0)


def test_a_graph_too_big_says_how_big_and_what_to_do():
    model = ag.nn.MLP(2, [16, 16, 1], seed=0)
    out = model([0.5, -1.0])
    with pytest.raises(
        ValueError, match=r"this graph has 404 nodes, more than max_nodes=400.*pass model="
    ):
        ag.studio(out)


def test_replay_refuses_a_node_that_is_not_a_leaf_and_a_value_outside_a_domain():
    x = ag.Value(2.0, label="x")
    out = x.log()
    with pytest.raises(ValueError, match="node 1 is not a leaf"):
        replay(out, {1: 3.0})
    with pytest.raises(ValueError):
        replay(out, {0: -1.0})


def test_set_leaf_recomputes_through_the_engine_and_leaves_the_callers_values_alone():
    out, leaves = tanh_neuron()
    s = ag.studio(out)
    s.set_leaf("n0", 1.0)  # x = 1
    assert leaves["x"].data == 2.0 and leaves["x"].grad == 0.0
    fresh, _ = tanh_neuron()
    fresh_leaves = [n for n in topological_order(fresh) if not n.parents]
    fresh_leaves[0].data = 1.0
    fresh = (fresh_leaves[0] * fresh_leaves[1] + fresh_leaves[2]).tanh()
    fresh.backward()
    nodes = by_label(s.recording)
    assert nodes["L"]["data"] == fresh.data
    assert [nodes[k]["grad"] for k in "xwb"] == [leaf.grad for leaf in fresh_leaves]
    assert s.output is not out
    with pytest.raises(ValueError, match=r"set_leaf: node_id must be the id of a leaf, got 'n3'"):
        s.set_leaf("n3", 1.0)
    with pytest.raises(ValueError, match=r"set_leaf: value must be a finite number, got nan"):
        s.set_leaf("n0", math.nan)


# --- the drawing and the page ------------------------------------------------------


def test_the_svg_has_an_id_for_every_node_op_and_edge():
    out, _ = tanh_neuron()
    rec = record(out)
    svg = layout.svg(rec)
    assert svg.startswith("<svg")
    ids = set(re.findall(r'<g id="([^"]+)"', svg))
    for node in rec.nodes:
        assert node["id"] in ids
        if node["parents"]:
            assert {f"{node['id']}op", f"e_{node['id']}"} <= ids
            assert {f"e_{p}_{node['id']}_{k}" for k, p in enumerate(node["parents"])} <= ids


def test_the_page_is_one_file_that_fetches_nothing(tmp_path):
    out, _ = tanh_neuron()
    path = ag.studio(out).save_html(tmp_path / "tanh.html")
    text = path.read_text(encoding="utf-8")
    assert "export default { render }" in text and ".agl-studio" in text
    assert not re.search(r"<script[^>]*\bsrc=|<link|@import|url\(|<iframe", text)
    addresses = set(re.findall(r"https?://[^\s\"'<>)\\]+", text))
    assert addresses <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_the_pages_json_cannot_end_its_script_early():
    x = ag.Value(1.0, label="</script><b>")
    rec = record(x * 2)
    view = views.full_view()
    view.svg = layout.svg(rec)
    text = page.page_html(rec.to_json(), [view.to_json()])
    state = text.split('id="studio-state">', 1)[1].split("</script>", 1)[0]
    assert json.loads(state)["recording"]["nodes"][0]["label"] == "</script><b>"


def test_inf_and_nan_are_written_as_strings_the_page_decodes():
    x = ag.Value(0.0, label="x")
    rec = record(x.sqrt())  # d sqrt(x)/dx at 0 is inf
    data = rec.to_json()
    assert data["nodes"][0]["grad"] == "Infinity"
    json.dumps(data, allow_nan=False)


def test_save_html_errors_name_the_argument(tmp_path):
    s = ag.studio(ag.Value(1.0, label="x") * 2)
    with pytest.raises(TypeError, match="save_html: path must be a str or Path, got int"):
        s.save_html(3)
    with pytest.raises(ValueError, match="save_html: the folder of path .* does not exist"):
        s.save_html(tmp_path / "missing" / "page.html")


def test_repr_says_what_is_recorded():
    out, _ = tanh_neuron()
    assert repr(ag.studio(out)) == "<Studio of 'L': 6 nodes, 9 steps>"
    assert isinstance(ag.studio(out), Studio)


def test_importing_the_package_does_not_import_the_studio_or_anywidget():
    code = (
        "import sys, autograd_lite; "
        "print('autograd_lite.backprop_studio' in sys.modules, 'anywidget' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("module", ["recording", "replay", "__init__"])
def test_docstring_examples_run(module):
    import importlib

    mod = importlib.import_module(
        "autograd_lite.backprop_studio"
        if module == "__init__"
        else f"autograd_lite.backprop_studio.{module}"
    )
    results = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0 and results.failed == 0


# --- a network's graph, collapsed by layer and neuron -------------------------------


def network_graph(activation: str = "tanh", sizes=(16, 16, 1)):
    model = ag.nn.MLP(2, list(sizes), activation=activation, seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.label = "loss"
    return model, loss


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_each_neuron_group_holds_exactly_its_multiply_adds(activation):
    model, loss = network_graph(activation)
    s = ag.studio(loss, model=model)
    assert [v.name for v in s.views[:3]] == ["network", "neurons", "neuron L1 N1"]
    assert len(s.views) == 2 + 16 + 16 + 1  # no whole-graph view: 406 nodes > 400
    neurons = s.views[1].groups
    assert len(neurons) == 33
    by_id = {n["id"]: n for n in s.recording.nodes}
    seen: set[str] = set()
    h = [0.5, -1.0]
    for i, layer in enumerate(model.layers, start=1):
        # the truth, computed apart from the graph: each neuron on the layer's inputs
        outputs = [neuron(h).data for neuron in layer.neurons]
        for j, neuron in enumerate(layer.neurons, start=1):
            group = neurons[f"gL{i}N{j}"]
            ops = sorted(by_id[m]["op"] for m in group.members)
            linear = neuron.activation == "linear"
            n = neuron.nin
            expected = sorted([""] * (n + 1) + ["dot"] + ([] if linear else [activation]))
            assert ops == expected, group.label
            assert seen.isdisjoint(group.members)
            seen.update(group.members)
            assert len(group.outputs) == 1
            assert by_id[group.outputs[0]]["data"] == pytest.approx(outputs[j - 1], rel=1e-12)
        h = outputs
    outside = [(n["label"], n["opText"]) for n in s.recording.nodes if n["id"] not in seen]
    # the two inputs, the network's output minus 1, the loss
    minus_one = next(n["id"] for n in s.recording.nodes if n["opText"] == "- 1")
    assert outside == [("x1", ""), ("x2", ""), (minus_one, "- 1"), ("loss", "** 2")]


def test_weights_keep_the_models_names_and_inputs_are_named_x1_x2():
    model, loss = network_graph(sizes=(2, 1))
    labels = {n["label"] for n in ag.studio(loss, model=model).recording.nodes}
    assert {p.label for p in model.parameters()} <= labels  # layers.0.weight[0][0], ...
    assert {"x1", "x2"} <= labels


def test_the_naive_order_is_left_out_where_its_steps_would_explode():
    x = ag.Value(1.01, label="x")
    for _ in range(20):
        x = x * x  # each level doubles the paths: the recursion would take 2^20 steps
    rec = record(x)
    assert set(rec.backward) == {"engine", "assign"} and set(rec.wrong) == {"assign"}
    # a network is wide rather than deep: there it is recorded, and wrong
    model, loss = network_graph()
    big = ag.studio(loss, model=model).recording
    assert len(big.backward["naive"]) < 20 * len(big.backward["engine"])  # (not left out)
    assert big.wrong["naive"]["first"] is not None
    # with one output neuron nothing but the inputs is used twice: the naive order is right
    assert record(network_graph(sizes=(2, 1))[1]).wrong["naive"]["first"] is None


def test_a_small_network_gets_the_whole_graph_and_the_collapsed_views():
    model, loss = network_graph(sizes=(2, 1))
    s = ag.studio(loss, model=model)
    assert [v.name for v in s.views] == [
        "graph",
        "network",
        "neurons",
        "neuron L1 N1",
        "neuron L1 N2",
        "neuron L2 N1",
    ]


def test_the_collapsed_drawings_have_the_boxes_and_the_edges_between_them():
    model, loss = network_graph()
    s = ag.studio(loss, model=model)
    network, neurons, first = s.views[0], s.views[1], s.views[2]
    ids = set(re.findall(r'<g id="([^"]+)"', network.svg))
    assert {"gL1", "gL2", "gL3", "ge_gL1_gL2", "ge_gL2_gL3"} <= ids
    ids = set(re.findall(r'<g id="([^"]+)"', neurons.svg))
    between = {i for i in ids if re.fullmatch(r"ge_gL1N\d+_gL2N\d+", i)}
    assert len(between) == 16 * 16
    # one neuron of layer 1: its own nodes as themselves, layer 2 as boxes, the rest not at all
    ids = set(re.findall(r'<g id="([^"]+)"', first.svg))
    own = set(neurons.groups["gL1N1"].members)
    assert own <= ids
    assert {f"gL2N{j}" for j in range(1, 17)} <= ids
    assert not any(re.fullmatch(r"gL1N\d+", i) for i in ids)
    assert neurons.groups["gL1N2"].members[0] not in ids


def test_a_graph_that_is_too_big_and_uses_no_neuron_of_the_model_is_refused():
    model, _ = network_graph()
    x = ag.Value(1.0, label="x")
    big = sum((x * k for k in range(300)), ag.Value(0.0))
    with pytest.raises(ValueError, match="uses no neuron of model"):
        ag.studio(big, model=model)


def test_model_must_be_a_network():
    with pytest.raises(TypeError, match="studio: model must be an nn.MLP, got Neuron"):
        ag.studio(ag.Value(1.0), model=ag.nn.Neuron(2))


def test_changing_a_weight_keeps_the_network_views_and_matches_a_changed_twin():
    model, loss = network_graph()
    s = ag.studio(loss, model=model)
    ids = {n["label"]: n["id"] for n in s.recording.nodes}
    weight = model.layers[1].neurons[4].w[2]  # layer 2, neuron 5, weight 3
    s.set_leaf(ids[weight.label], 0.75)
    s.set_leaf(ids[weight.label], -0.25)  # twice: the stand-in of the stand-in
    assert weight.data != -0.25  # the model is not changed
    assert [v.name for v in s.views[:3]] == ["network", "neurons", "neuron L1 N1"]
    group = s.views[1].groups["gL2N5"]
    by_id = {n["id"]: n for n in s.recording.nodes}
    assert weight.label in {by_id[m]["label"] for m in group.members}
    assert len(group.members) == 16 + 1 + 1 + 1  # weights, bias, w·x+b, tanh
    twin, _ = network_graph()
    twin.layers[1].neurons[4].w[2].data = -0.25
    twin_loss = (twin([0.5, -1.0]) - 1.0) ** 2
    twin_loss.backward()
    assert by_id[s.recording.output]["data"] == twin_loss.data
    by_label = {n["label"]: n for n in s.recording.nodes}
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        assert by_label[p.label]["grad"] == q.grad
