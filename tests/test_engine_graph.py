"""The backward pass on any graph: depth, shared nodes, repeated passes, freeing."""

from __future__ import annotations

import gc
import math
import sys
import weakref

import pytest

import autograd_lite as ag
from autograd_lite import Value


def test_chain_of_a_million_ops_has_no_recursion_limit():
    x = Value(0.5)
    c = Value(1.0 + 1e-7)
    y = x
    for _ in range(500_000):
        y = (y * c).relu()  # 1,000,000 ops, each one deep in the chain
    assert sys.getrecursionlimit() < 100_000
    y.backward()
    expected = c.data**500_000
    assert y.data == pytest.approx(0.5 * expected, rel=1e-9)
    assert x.grad == pytest.approx(expected, rel=1e-9)
    y.zero_grad()
    assert x.grad == 0.0
    del y  # freeing a deep chain must not overflow the C stack either


def test_diamond_dag_of_200_levels_takes_linear_time():
    # Each level uses the previous node twice: 2**200 paths, 400 edges.
    x = Value(1.0)
    y = x
    for _ in range(200):
        y = y + y
    y.backward()
    assert y.data == 2.0**200
    assert x.grad == 2.0**200  # a path-by-path walk would never finish
    assert ag.grad(y, [x]) == [2.0**200]


def test_second_backward_on_an_overlapping_graph_is_exact():
    # micrograd gives 24 here because intermediate .grad fields leak between passes.
    x = Value(3.0)
    y = x * x
    z = y + 1
    z.backward()
    w = y * 2
    w.backward()
    assert x.grad == 18.0  # 2x from z, plus 2 * 2x from w


def test_two_backward_calls_give_exactly_twice_the_gradients():
    a, b = Value(0.3), Value(-1.2)
    out = (a * b).tanh() + a.exp() * b
    out.backward()
    once = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == (2 * once[0], 2 * once[1])


def test_backward_from_an_inner_node_only_reaches_its_ancestors():
    a, b = Value(2.0), Value(5.0)
    inner = a * 3
    outer = inner * b
    inner.backward()
    assert a.grad == 3.0 and b.grad == 0.0 and outer.grad == 0.0


def test_a_dropped_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        x = Value(1.5)
        y = x
        for i in range(200):
            y = (y * x + i).tanh() ** 2 + y.sigmoid()
        y.backward()
        probes = [weakref.ref(y), weakref.ref(y.parents[0])]
        del y
        assert all(p() is None for p in probes)
        assert x.grad != 0.0  # the leaf we kept is untouched
    finally:
        gc.enable()


def test_graph_nodes_hold_no_reference_cycles():
    x = Value(2.0)
    out = (x * x).exp() / (x + 1)
    out.backward()
    for node in (out, *out.parents):
        # A node is referred to by its children and our locals only, never by itself.
        assert all(ref is not node for ref in gc.get_referents(node))


def test_no_grad_records_no_parents():
    x = Value(2.0)
    with ag.no_grad():
        y = x * 3 + 1
        z = y.tanh()
    assert y.parents == () and z.parents == () and y.op == ""
    assert y.data == 7.0
    w = x * 3  # recording is back on
    assert w.parents[0] is x


def test_no_grad_restores_recording_after_an_error():
    x = Value(0.0)
    with pytest.raises(ValueError), ag.no_grad():
        x.log()
    assert (x * 2).parents[0] is x


def test_gradients_flow_through_long_mixed_graphs():
    xs = [Value(0.01 * i) for i in range(1, 50)]
    total = xs[0]
    for v in xs[1:]:
        total = total + v.sin() * v
    total.backward()
    for v in xs[1:]:
        expected = math.cos(v.data) * v.data + math.sin(v.data)
        assert v.grad == pytest.approx(expected, rel=1e-12)


def test_topological_order_of_several_roots_lists_each_shared_node_once():
    from autograd_lite.engine import topological_order

    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    shared = (a * b).tanh()
    first, second = shared + c, shared * a
    third = first * second  # depends on both others
    order = topological_order(first, second, c, third)
    assert len(order) == len(set(map(id, order)))  # each node once
    assert {id(n) for n in order} == {id(n) for n in topological_order(third)}
    position = {id(n): k for k, n in enumerate(order)}
    for node in order:  # every node after its parents
        assert all(position[id(p)] < position[id(node)] for p in node.parents)
    assert topological_order(first, first) == topological_order(first)
    assert topological_order(a, b) == [a, b]  # leaves as roots
