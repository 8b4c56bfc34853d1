"""Computed Values pickle and unpickle: every op, any depth, shared nodes kept shared."""

from __future__ import annotations

import copy
import pickle

import pytest

import autograd_lite as ag
from autograd_lite import Value, nn, pickling
from autograd_lite import primitives as P


def every_kind_of_node():
    x, w = Value(0.7, label="x"), Value(-1.3, label="w")
    parts = [
        x * w, x + w, x - w, x / w, x**w.abs(), -x, x.exp(), x.log(), x.tanh(), x.sigmoid(),
        w.relu(), w.leaky_relu(0.2), x.sin(), x.cos(), x.sqrt(), w.abs(),
        x * 2, 2 * x, x - 3, 3 - x, x / 4, 4 / x, 2**x, x**2, x**3.5,
    ]  # fmt: skip
    out = parts[0]
    for part in parts[1:]:
        out = out + part
    out.label = "out"
    return x, w, out


def shape(v):
    """The graph below v as nested tuples of (op, number, data, label): equal for equal graphs."""
    return (v.op, v.number, v.data, v.label, tuple(shape(p) for p in v.parents))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_op_round_trips_with_data_grads_labels_and_gradients(protocol):
    x, w, out = every_kind_of_node()
    out.backward()
    again = pickle.loads(pickle.dumps(out, protocol))
    assert shape(again) == shape(out)
    assert again.grad == out.grad == 1.0
    # the leaves come back with their grads; a backward pass on the copy adds the
    # original's gradients once more
    by_label = {p.label: p for p in _leaves(again)}
    assert set(by_label) == {"x", "w"}
    assert by_label["x"].grad == x.grad and by_label["w"].grad == w.grad
    for leaf in by_label.values():
        leaf.grad = 0.0
    again.backward()
    assert by_label["x"].grad == pytest.approx(x.grad, rel=1e-12)
    assert by_label["w"].grad == pytest.approx(w.grad, rel=1e-12)


def _leaves(root):
    seen, stack, leaves = set(), [root], []
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        if not v.parents:
            leaves.append(v)
        stack.extend(v.parents)
    return leaves


def test_shared_leaves_and_shared_inner_nodes_stay_shared():
    x = Value(3.0, label="x")
    h = x * x
    y = h + h * 2  # h is used twice
    z = h.tanh()
    x2, h2, y2, z2 = pickle.loads(pickle.dumps([x, h, y, z]))
    assert y2.parents[0] is h2 and y2.parents[1].parents[0] is h2
    assert z2.parents[0] is h2 and h2.parents == (x2, x2)
    y2.backward()
    assert x2.grad == 18.0  # d(3x²)/dx at 3


def test_a_graph_100_000_deep_pickles_without_recursion_error():
    x = Value(1.0, label="x")
    y = x
    for _ in range(50_000):
        y = (y * 1.00001).relu()  # 100,000 ops, each one deeper
    again = pickle.loads(pickle.dumps(y))
    assert again.data == y.data
    again.backward()
    (x2,) = _leaves(again)
    assert x2.label == "x" and x2.grad == pytest.approx(1.00001**50_000, rel=1e-9)
    assert not pickling._listed  # the pickle holds on to none of the nodes afterwards


def test_copy_makes_a_new_node_from_the_same_parents():
    x = Value(2.0)
    y = x * 3
    y.grad = 0.5
    z = copy.copy(y)
    assert z is not y and z.parents == (x,) and z.number == 3.0
    assert (z.data, z.grad) == (6.0, 0.5)
    assert not pickling._listed


def test_deepcopy_of_a_deep_graph():
    x = Value(2.0)
    y = x
    for _ in range(20_000):
        y = y + 1
    again = copy.deepcopy(y)
    assert again.data == y.data == 20_002.0
    again.backward()
    assert _leaves(again)[0].grad == 1.0 and x.grad == 0.0


def test_unpickling_under_no_grad_still_restores_the_graph():
    x = Value(2.0)
    y = x.tanh() * 3
    payload = pickle.dumps(y)
    with ag.no_grad():
        again = pickle.loads(payload)
    assert again.op == "*" and again.parents[0].op == "tanh"


def test_a_graph_whose_parents_changed_refuses_to_pickle_with_a_clear_error():
    w = Value(0.5)
    loss = (w * 3).tanh()
    w.data -= 0.1  # an optimizer step after the forward pass
    with pytest.raises(TypeError, match="parents' data changed"):
        pickle.dumps(loss)
    with pytest.raises(TypeError, match="parents' data changed"):
        pickle.dumps((loss + 1) * 2)  # found while listing the ancestors
    assert not pickling._listed
    assert pickle.loads(pickle.dumps(w)).data == pytest.approx(0.4)  # a leaf always pickles


def test_table_primitives_pickle_by_reference():
    for prim in [*P.UNARY.values(), *P.BINARY.values()]:
        assert pickle.loads(pickle.dumps(prim)) is prim
    for op in [*P.NUMBER_FIRST.values(), *P.NUMBER_SECOND.values()]:
        assert pickle.loads(pickle.dumps(op)) is op
    again = pickle.loads(pickle.dumps(P.pow_by_constant(2.5)))
    assert again.params == {"exponent": 2.5} and again.forward(4.0) == 32.0
    assert pickle.loads(pickle.dumps(P.leaky_relu(0.3))).forward(-1.0) == -0.3
    stranger = P.Primitive(
        "twice", lambda x: 2 * x, lambda np, x: 2 * x, lambda ops, x, out: (2.0,)
    )
    with pytest.raises(TypeError, match="not in the table"):
        pickle.dumps(stranger)
    with pytest.raises(ValueError, match="'twice'"):
        P.lookup("twice")


def test_a_model_pickles_and_computes_the_same():
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    again = pickle.loads(pickle.dumps(model))
    assert again([0.3, -0.2]).data == model([0.3, -0.2]).data
    assert again.parameters()[0].label == "layers.0.weight[0][0]"
