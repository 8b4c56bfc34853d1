"""``ag.dot`` and ``ag.sum``: nodes of many parents, through every part of the engine."""

from __future__ import annotations

import copy
import pickle
import random
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Dual, Value, engine, nn
from autograd_lite.compiler import compile
from autograd_lite.engine import reference_gradients, topological_order
from autograd_lite.forward import push_forward

finite = st.floats(-3.0, 3.0, allow_nan=False)


def leaves(numbers, name="v"):
    return [Value(x, label=f"{name}{i}") for i, x in enumerate(numbers)]


# --- values, parents, local derivatives ---------------------------------------------


def test_dot_is_one_node_with_the_hand_formulas():
    ws, xs, b = leaves([2.0, -1.0, 0.5], "w"), leaves([3.0, 4.0, -2.0], "x"), Value(0.25)
    y = ag.dot(ws, xs, b)
    assert y.op == "dot" and y.data == 2 * 3 - 4 - 1 + 0.25
    assert y.parents == (*ws, *xs, b)
    assert y.local_grads == (3.0, 4.0, -2.0, 2.0, -1.0, 0.5, 1.0)  # xs, ws, 1
    y.backward()
    assert [w.grad for w in ws] == [3.0, 4.0, -2.0]
    assert [x.grad for x in xs] == [2.0, -1.0, 0.5]
    assert b.grad == 1.0


def test_sum_is_one_node_with_local_derivatives_one():
    vs = leaves([1.0, 2.0, 3.0, 4.0])
    y = ag.sum(vs)
    assert (y.op, y.data, y.parents, y.local_grads) == ("sum", 10.0, tuple(vs), (1.0,) * 4)
    (y * y).backward()
    assert [v.grad for v in vs] == [20.0] * 4  # d(s²)/dv = 2s


@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=12), finite)
def test_dot_gives_the_float_of_the_chain_a_learner_writes(pairs, bias):
    ws = [Value(w) for w, _ in pairs]
    xs = [Value(x) for _, x in pairs]
    b = Value(bias)
    chain = sum((w * x for w, x in zip(ws, xs, strict=True)), b)  # Python's sum: binary +
    assert ag.dot(ws, xs, b).data == chain.data  # the same additions in the same order
    assert ag.sum([*ws, b]).data == sum(ws[1:] + [b], ws[0]).data


def test_value_operators_and_pythons_sum_stay_binary():
    a, b, c = leaves([1.0, 2.0, 3.0])
    assert len((a + b).parents) == 2
    total = sum([a, b, c])  # the learner's own graph: a chain of +
    assert total.op == "+" and len(topological_order(total)) == 3 + 3  # with the 0 + a
    assert [n.op for n in topological_order(total) if n.parents] == ["+", "+", "+"]


def test_numbers_become_constant_leaves_and_a_zero_bias_adds_no_parent():
    x = Value(3.0)
    y = ag.dot([2.0], [x])
    assert y.data == 6.0 and len(y.parents) == 2 and y.parents[1] is x
    assert not y.parents[0].parents and y.parents[0].data == 2.0
    assert len(ag.dot([2.0], [x], bias=1.0).parents) == 3
    assert ag.dot([2.0], [x], bias=1.0).data == 7.0
    empty = ag.dot([], [])
    assert (empty.data, empty.parents) == (0.0, ())
    b = Value(1.5)
    only_bias = ag.dot([], [], b)
    assert only_bias.data == 1.5 and only_bias.parents == (b,)
    assert ag.sum([]).data == 0.0 and ag.sum([1, 2.5]).data == 3.5


def test_bad_arguments_are_named():
    x = Value(1.0)
    with pytest.raises(ValueError, match=r"dot: ws and xs must have the same length, got 2 and 1"):
        ag.dot([x, x], [x])
    with pytest.raises(TypeError, match=r"dot: ws\[1\] must be a real number .* got str"):
        ag.dot([x, "a"], [x, x])
    with pytest.raises(TypeError, match=r"dot: xs must be a list of Values or numbers, got Value"):
        ag.dot([x], x)
    with pytest.raises(TypeError, match=r"dot: bias must be a real number .* got NoneType"):
        ag.dot([x], [x], None)
    with pytest.raises(TypeError, match=r"sum: values\[0\] must be a real number .* got list"):
        ag.sum([[1.0]])
    with pytest.raises(TypeError, match=r"sum: values must be a list .* got int"):
        ag.sum(3)
    with pytest.raises(TypeError, match="dot: cannot mix Values and Duals"):
        ag.dot([x], [Dual(1.0)])
    with pytest.raises(ValueError, match=r"dot: bias: an int of about 401 digits"):
        ag.dot([x], [x], 10**400)


def test_sum_is_left_out_of_star_imports_so_pythons_sum_stays():
    assert "dot" in ag.__all__ and "sum" not in ag.__all__
    namespace: dict = {}
    exec("from autograd_lite import *", namespace)
    assert "sum" not in namespace and namespace["dot"] is ag.dot


def test_under_no_grad_a_dot_records_nothing():
    w, x = Value(2.0), Value(3.0)
    with ag.no_grad():
        y = ag.dot([w, w, w], [x, x, x], w)
    assert y.data == 20.0 and y.parents == () and y.op == ""


# --- gradients against independent truth --------------------------------------------


def neuron_like(v):
    """tanh(w·x + b) then a sum with other terms: dot and sum nodes, parents used twice."""
    w, x, b = v[:3], v[3:6], v[6]
    h = ag.dot(w, x, b).tanh()
    return ag.sum([h, ag.dot([h, x[0]], [w[1], h]), v[0] * h]).sigmoid()


@given(st.lists(finite, min_size=7, max_size=7))
def test_gradients_match_central_differences(point):
    assert ag.gradcheck(neuron_like, point, rtol=1e-4)


def test_gradients_and_second_derivatives_match_torch():
    torch = pytest.importorskip("torch")
    rng = random.Random(3)
    point = [rng.uniform(-1.5, 1.5) for _ in range(7)]
    values = [Value(x) for x in point]
    out = neuron_like(values)
    t = torch.tensor(point, dtype=torch.float64, requires_grad=True)

    def torch_fn(v):
        h = torch.tanh(v[0] * v[3] + v[1] * v[4] + v[2] * v[5] + v[6])
        return torch.sigmoid(h + (h * v[1] + v[3] * h) + v[0] * h)

    tout = torch_fn(t)
    assert out.data == pytest.approx(tout.item(), rel=1e-14)
    (tgrad,) = torch.autograd.grad(tout, t)
    assert ag.grad(out, values) == pytest.approx(tgrad.tolist(), rel=1e-12)
    hess = torch.autograd.functional.hessian(torch_fn, t.detach())
    assert np.allclose(ag.hessian(neuron_like, point), hess.numpy(), rtol=1e-10, atol=1e-12)


def test_the_hessian_of_a_dot_is_the_swap_of_its_halves():
    # d²(w·x)/dw_i dx_j = [i == j], and 0 within the ws or within the xs
    n = 3
    hess = ag.hessian(lambda v: ag.dot(v[:n], v[n:], 0.5), [1.0, -2.0, 3.0, 0.5, 4.0, -1.0])
    expected = np.block([[np.zeros((n, n)), np.eye(n)], [np.eye(n), np.zeros((n, n))]])
    assert np.array_equal(np.array(hess), expected)


def test_third_order_through_dot_and_sum():
    x = Value(0.7)
    y = ag.dot([x, x * x], [x, x], ag.sum([x, x, x]))  # x² + x³ + 3x
    (d1,) = ag.grad(y, [x], create_graph=True)
    (d2,) = ag.grad(d1, [x], create_graph=True)
    (d3,) = ag.grad(d2, [x])
    assert d1.data == pytest.approx(2 * 0.7 + 3 * 0.7**2 + 3, rel=1e-15)
    assert d2.data == pytest.approx(2 + 6 * 0.7, rel=1e-15)
    assert d3 == pytest.approx(6.0, rel=1e-15)


# --- the reverse pass over nodes of many parents --------------------------------------


def random_graph(rng: random.Random, n_leaves: int, n_ops: int) -> tuple[list[Value], Value]:
    nodes = [Value(rng.uniform(-1, 1)) for _ in range(n_leaves)]
    for _ in range(n_ops):
        pick = lambda: nodes[rng.randrange(max(0, len(nodes) - 12), len(nodes))]  # noqa: E731
        kind = rng.randrange(4)
        if kind == 0:
            nodes.append(pick() * pick())
        elif kind == 1:
            nodes.append(pick().tanh())
        elif kind == 2:  # tanh keeps the numbers bounded however deep the graph
            k = rng.randrange(0, 6)
            ws, xs = [pick() for _ in range(k)], [pick() for _ in range(k)]
            nodes.append(ag.dot(ws, xs, pick()).tanh())
        else:
            nodes.append(ag.sum([pick() for _ in range(rng.randrange(1, 7))]) * 0.3)
    return nodes[:n_leaves], nodes[-1]


@pytest.mark.parametrize("seed", range(8))
def test_backward_equals_the_plain_reverse_pass_and_the_order_is_topological(seed):
    xs, out = random_graph(random.Random(seed), 6, 300)
    out.backward()
    reference = reference_gradients(out)
    for node, g in engine.gradients(out).items():
        assert g == pytest.approx(reference[node], rel=1e-12, abs=1e-300)
    for x in xs:
        assert x.grad == pytest.approx(reference.get(x, 0.0), rel=1e-12, abs=1e-300)
    order = topological_order(out)
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order) == len(reference)
    assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)
    out.zero_grad()
    assert all(n.grad == 0.0 for n in order)


def test_a_sum_of_many_ops_is_walked_once_per_parent():
    # Each parent is an op the walk must descend into: a walk that looked at all the
    # parents again after each would take 10^8 steps here.
    x = Value(1.5)
    terms = [x * float(k) for k in range(20_000)]
    started = time.perf_counter()
    total = ag.sum(terms)
    total.backward()
    assert time.perf_counter() - started < 5.0
    assert x.grad == sum(range(20_000))


def test_a_deep_chain_of_dots_has_no_recursion_limit():
    x, one, c, minus_c = Value(0.5), Value(1.0), Value(0.25), Value(-0.25)
    y = x
    for _ in range(100_000):
        y = ag.dot([y, c], [one, minus_c], c)  # y·1 + c·(-c) + c, 5 parents: y - 1/16 + 1/4
    y.backward()
    assert x.grad == 1.0 and y.data == 0.5 + 100_000 * 0.1875


def test_backward_through_a_dot_twice_and_an_overlapping_graph_is_exact():
    x = Value(3.0)
    y = ag.dot([x, x], [x, Value(1.0)], Value(0.0))  # x² + x
    z = ag.sum([y, y, Value(1.0)])
    z.backward()
    assert x.grad == 2 * (2 * 3 + 1)
    w = ag.sum([y, Value(2.0), Value(0.0)]) * 2.0
    x.grad = 0.0
    w.backward()
    assert x.grad == 2 * (2 * 3 + 1)  # own buffers: the first pass leaves nothing behind


# --- explain, forward mode, pickling, drawings -----------------------------------------


def test_explain_has_one_row_per_parent_edge_of_a_dot():
    w, x, b = Value(2.0, label="w"), Value(-3.0, label="x"), Value(0.5, label="b")
    y = ag.dot([w, x], [x, w], b)
    y.label = "y"
    y.backward(2.0)
    rows = list(ag.explain(y))
    assert [(s.parent.label, s.op, s.local) for s in rows] == [
        ("w", "dot", -3.0),
        ("x", "dot", 2.0),
        ("x", "dot", 2.0),
        ("w", "dot", -3.0),
        ("b", "dot", 1.0),
    ]
    assert all(s.upstream == 2.0 for s in rows)
    text = str(ag.explain(y))
    assert "dy/dw += ∂y/∂w × dy/dy" in text and "dy/dw = -12" in text


def test_forward_mode_through_dot_and_sum():
    w, x = Value(2.0), Value(-1.0)
    y = ag.sum([ag.dot([w, x], [x, x], w), w])  # wx + x² + 2w
    assert push_forward([y], {w: 1.0})[y] == -1.0 + 2.0
    assert push_forward([y], {x: 1.0})[y] == 2.0 - 2.0
    value, tangent = ag.jvp(lambda v: ag.dot(v[:2], v[2:], 1.0), [1.0, 2.0, 3.0, 4.0], [1, 0, 0, 1])
    assert (value, tangent) == (12.0, 3.0 + 2.0)  # ẇ1 x1 + w2 ẋ2
    d = ag.dot([Dual(2.0, 1.0), 3.0], [Dual(-1.0), Dual(4.0, 0.5)], Dual(0.5, 2.0))
    assert isinstance(d, Dual)
    assert (d.value, d.tangent) == (2 * -1 + 3 * 4 + 0.5, -1.0 + 3 * 0.5 + 2.0)
    s = ag.sum([Dual(1.0, 1.0), 2.0, Dual(3.0, -4.0)])
    assert (s.value, s.tangent) == (6.0, -3.0)
    rows = ag.explain_forward(lambda v: ag.sum([v[0], v[1], v[0]]), [1.0, 2.0], [1.0, 0.0])
    assert len(rows[-1].terms) == 3 and rows.out_tangent == 2.0


def test_pickling_and_copying_a_graph_of_dot_nodes():
    model = nn.MLP(2, [3, 2], activation="tanh", seed=0)
    out = model([0.5, -1.0])
    loss = ag.sum([out[0] * out[0], out[1]])
    loss.backward()
    again = pickle.loads(pickle.dumps(loss))
    assert again.data == loss.data and again.grad == loss.grad
    dots = [n for n in topological_order(again) if n.op == "dot"]
    assert len(dots) == 5 and all(len(n.parents) == 5 or len(n.parents) == 7 for n in dots)
    originals = [n for n in topological_order(loss) if n.op == "dot"]
    assert [n.local_grads for n in dots] == [n.local_grads for n in originals]
    # the same graph, node for node: the same gradients from a new backward pass
    for node in topological_order(again):
        node.grad = 0.0
    again.backward()
    pairs = list(zip(topological_order(loss), topological_order(again), strict=True))
    assert all(a.op == b.op and a.data == b.data and a.grad == b.grad for a, b in pairs)
    twin = copy.copy(ag.dot([Value(1.0)] * 3, [Value(2.0)] * 3))
    assert twin.op == "dot" and twin.data == 6.0 and len(twin.parents) == 6


def test_a_drawing_pairs_each_weight_with_its_input():
    pytest.importorskip("graphviz")
    from autograd_lite import viz

    w1, w2, x1, x2, b = (Value(v, label=n) for v, n in zip([1, 2, 3, 4, 5], "ABCDE", strict=True))
    y = ag.dot([w1, w2], [x1, x2], b)
    source = viz.draw_dot(y).source
    assert "w1·x1" in source and "w2·x2" in source and "w·x+b" in source
    # w_i and x_i both enter the cell of term i; the bias its own
    ids = {
        v.label: line.split()[0]
        for line in source.splitlines()
        for v in (w1, w2, x1, x2, b)
        if f"{{ {v.label} |" in line
    }
    assert f"{ids['A']} -> " in source and ":t0:w" in source and ":t1:w" in source
    for label, cell in (("A", "t0"), ("C", "t0"), ("B", "t1"), ("D", "t1"), ("E", "b")):
        assert any(
            line.strip().startswith(f"{ids[label]} ->") and f":{cell}:w" in line
            for line in source.splitlines()
        )
    assert ":t0:n" in viz.draw_dot(y, rankdir="TB").source


# --- compiled ------------------------------------------------------------------------


@pytest.mark.parametrize("fuse", [True, False])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_a_compiled_nn_mlp_equals_the_scalar_engine(fuse, activation):
    model = nn.MLP(3, [8, 6, 2], activation=activation, seed=1)
    X = np.random.default_rng(0).normal(size=(9, 3))
    compiled = compile(lambda v: ag.sum(model(v)), 3, fuse=fuse)
    got = compiled(X)
    model.zero_grad()
    _, outputs = compiled.value_and_grad(X, reduction="sum")
    grads = np.array([p.grad for p in model.parameters()])
    model.zero_grad()
    total = ag.sum([ag.sum(model(row)) for row in X.tolist()])
    total.backward()
    expected = np.array([p.grad for p in model.parameters()])
    scalar = [ag.sum(model(row)).data for row in X.tolist()]
    np.testing.assert_allclose(got, scalar, rtol=1e-12, atol=1e-12 * np.abs(scalar).max())
    np.testing.assert_allclose(outputs, scalar, rtol=1e-12, atol=1e-12 * np.abs(scalar).max())
    np.testing.assert_allclose(grads, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    if fuse:  # each layer of dots is one matrix product, each activation one call
        assert len(compiled._program.code) <= 6
        assert any(type(step).__name__ == "Dense" for step in compiled._program.code)


def test_a_tape_lists_dot_and_sum_and_runs_unfusable_dots():
    w = Value(0.5)
    # weights that depend on the sample cannot be a matrix of parameters: no fusion
    f = compile(lambda v: ag.sum([ag.dot([v[0], v[1], w], [v[1], v[0], v[0]], w), v[0], w]), 2)
    X = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    w.grad = 0.0
    outputs, dX = f.backward(X, np.ones(3))
    assert w.grad == sum(row[0] + 1 + 1 for row in X.tolist())  # ∂/∂w = x0 + 1 + 1
    listing = f.tape.listing()
    assert "x0·x1 + x1·x0 + p0·x0 + p0" in listing and "sum(" in listing
    for row, output, grads in zip(X.tolist(), outputs, dX, strict=True):
        xs = [Value(v) for v in row]
        out = ag.sum([ag.dot([xs[0], xs[1], w], [xs[1], xs[0], xs[0]], w), xs[0], w])
        out.backward()
        assert output == out.data and grads.tolist() == [x.grad for x in xs]


def test_a_dot_on_shared_values_alone_runs_once_per_batch():
    ws = [Value(0.5), Value(-2.0), Value(1.5)]
    f = compile(lambda v: v[0] * ag.dot(ws, ws, ws[0]), 1)  # Σw² + w0: the same for all rows
    X = np.array([[1.0], [2.0]])
    for p in ws:
        p.grad = 0.0
    assert f(X).tolist() == [7.0, 14.0]
    f.backward(X, np.ones(2))
    assert [p.grad for p in ws] == [3 * (2 * 0.5 + 1), 3 * -4.0, 3 * 3.0]
    assert len(f.tape.uniform_code) == 1 and f.tape.uniform_code[0].primitive.name == "dot"


def test_a_row_of_any_number_of_inputs_reads_its_arity_and_checks_its_domain():
    from autograd_lite.primitives import DOT, SUM, Primitive

    assert DOT.arity is None and SUM.arity is None and ag.primitives.MUL.arity == 2
    mean = Primitive(
        "mean",
        lambda *xs: sum(xs) / len(xs),
        lambda np, *xs: sum(xs) / len(xs),
        lambda ops, *xs_then_out: (1 / (len(xs_then_out) - 1),) * (len(xs_then_out) - 1),
        outside=lambda *xs: len(xs) == 0,
        error=lambda *xs: ValueError("mean: no values"),
    )
    assert mean.arity is None and mean.forward(1.0, 2.0, 6.0) == 3.0
    with pytest.raises(ValueError, match="mean: no values"):
        mean.forward()
    assert ag.primitives.lookup("dot") is DOT and ag.primitives.lookup("sum") is SUM
