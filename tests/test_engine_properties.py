"""Property tests: random expression DAGs, engine gradients vs independent truth."""

from __future__ import annotations

import pytest
from hypothesis import assume, given

import autograd_lite as ag
from autograd_lite import Value, engine
from conftest import difference_tolerance
from graphs import KINKED, programs, replay


def build(leaves, steps):
    xs = [Value(x) for x in leaves]
    nodes = replay(xs, steps)
    return xs, nodes, nodes[-1] + sum(nodes[len(xs) :]) * 0.5


def far_from_kinks(nodes, steps, margin=1e-3):
    return all(abs(nodes[i].data) > margin for op, i, _ in steps if op in KINKED)


@given(programs())
def test_gradients_match_central_differences(program):
    leaves, steps = program
    xs, nodes, out = build(leaves, steps)
    assume(far_from_kinks(nodes, steps))
    out.backward()
    h = 1e-6
    for k, x in enumerate(leaves):
        up = build([*leaves[:k], x + h, *leaves[k + 1 :]], steps)[2].data
        down = build([*leaves[:k], x - h, *leaves[k + 1 :]], steps)[2].data
        numeric = (up - down) / (2 * h)
        assert xs[k].grad == pytest.approx(numeric, rel=1e-4, abs=difference_tolerance(out.data))


@given(programs())
def test_backward_twice_doubles_and_grad_agrees(program):
    leaves, steps = program
    xs, nodes, out = build(leaves, steps)
    functional = ag.grad(out, xs)
    out.backward()
    once = [x.grad for x in xs]
    assert once == functional
    out.backward()
    assert [x.grad for x in xs] == [2 * g for g in once]


@given(programs(max_leaves=3, max_steps=12))
def test_create_graph_gradients_equal_float_gradients(program):
    leaves, steps = program
    xs, nodes, out = build(leaves, steps)
    as_values = ag.grad(out, xs, create_graph=True)
    assert [g.data for g in as_values] == pytest.approx(ag.grad(out, xs), rel=1e-12, abs=1e-15)


@given(programs(max_leaves=2, max_steps=8))
def test_second_derivatives_match_differences_of_first(program):
    leaves, steps = program
    xs, nodes, out = build(leaves, steps)
    assume(far_from_kinks(nodes, steps, margin=1e-2))
    (first, *_) = ag.grad(out, xs, create_graph=True)
    second = ag.grad(first, xs)
    h = 1e-5
    for k, x in enumerate(leaves):

        def d_first(shift, k=k, x=x):
            moved = [Value(v) for v in [*leaves[:k], x + shift, *leaves[k + 1 :]]]
            nodes = replay(moved, steps)
            return ag.grad(nodes[-1] + sum(nodes[len(moved) :]) * 0.5, moved)[0]

        numeric = (d_first(h) - d_first(-h)) / (2 * h)
        assert second[k] == pytest.approx(numeric, rel=1e-3, abs=1e-4)


@given(programs())
def test_the_fast_pass_equals_the_plain_reference_pass(program):
    leaves, steps = program
    xs, nodes, out = build(leaves, steps)
    reference = engine.reference_gradients(out, 1.5)
    fast = engine.gradients(out, 1.5)
    assert set(reference) == set(fast)
    for node, g in reference.items():
        same_nan = g != g and fast[node] != fast[node]
        assert same_nan or fast[node] == pytest.approx(g, rel=1e-12, abs=1e-12)
