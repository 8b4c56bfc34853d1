"""The backward pass three ways: the engine's, and the two that learners get wrong.

Backprop adds each edge's ``local × upstream`` into the parent's gradient, and a node
may pass its gradient on only once all of its users have added theirs. Two slips break
that, and both go unnoticed on a graph where nothing is used twice:

* **naive order**: recursion from the output, as learners first write it,
  ``def visit(n): for each parent p of n: p.grad += local × n.grad; visit(p)``. A node
  used twice is visited after its first use has added in and before the second has:
  it passes on a partial gradient (and later passes on again), so every node upstream
  of it comes out wrong. A topological order (each node after all of its users, each
  visited once) is what prevents it.
* **``=`` for ``+=``**: each contribution overwrites the last, so a node used twice (or
  used twice by one op, as in ``x + x``) keeps only one of them.

Each function returns the steps as dicts (see :class:`.recording.Recording`), the
nodes still Values; :func:`wrong_nodes` then finds where the result goes wrong.
"""

from __future__ import annotations

import math
from typing import Any

from ..engine import Value

# (node, parent, ∂node/∂parent, which of the node's parents: x + x has two edges from x)
Edge = tuple[Value, Value, float, int]


def _seed(output: Value) -> dict[str, Any]:
    return {
        "node": output,
        "parent": None,
        "local": None,
        "upstream": None,
        "contribution": 1.0,
        "before": None,
        "after": 1.0,
        "assign": False,
    }


def _edge_step(edge: Edge, grad: dict[Value, float], assign: bool) -> dict[str, Any]:
    """One edge: ``local × node's gradient`` added into (or, with ``assign``, put in
    place of) the parent's gradient in ``grad``, which it updates."""
    node, parent, local, k = edge
    upstream = grad[node]
    contribution = local * upstream
    before = grad.get(parent)
    after = contribution if assign or before is None else before + contribution
    grad[parent] = after
    return {
        "node": node,
        "parent": parent,
        "local": local,
        "upstream": upstream,
        "contribution": contribution,
        "before": before,
        "after": after,
        "assign": assign,
        "k": k,
    }


def _run(output: Value, edges: list[Edge], assign: bool) -> list[dict[str, Any]]:
    """The seed, then ``edges`` in the order given, with the running gradients."""
    grad: dict[Value, float] = {output: 1.0}
    return [_seed(output)] + [_edge_step(edge, grad, assign) for edge in edges]


def engine_steps(output: Value, edges: list[Edge]) -> list[dict[str, Any]]:
    """The engine's pass: ``edges`` as :func:`autograd_lite.explain` lists them (each
    node after all of its users), each adding into the parent's gradient."""
    return _run(output, edges, assign=False)


def assign_steps(output: Value, edges: list[Edge]) -> list[dict[str, Any]]:
    """The engine's order, but each contribution *replaces* the parent's gradient."""
    return _run(output, edges, assign=True)


def naive_steps(output: Value, edges: list[Edge], max_steps: int) -> list[dict[str, Any]] | None:
    """The naive recursion: each edge adds ``local × (the node's gradient so far)`` into
    its parent, and the walk goes into that parent at once, before the node's next edge.

    Written with an explicit stack, so that deep graphs work. The number of steps grows
    with the number of paths through the graph, which explodes on a network's graph.

    Args:
        output: the output.
        edges: the graph's edges, each node's in the order of its parents.
        max_steps: give up beyond this many steps.

    Returns:
        The steps, or None if there would be more than ``max_steps``.
    """
    edges_of: dict[Value, list[Edge]] = {}
    for edge in edges:
        edges_of.setdefault(edge[0], []).append(edge)
    grad: dict[Value, float] = {output: 1.0}
    steps = [_seed(output)]
    stack = [iter(edges_of.get(output, []))]  # each frame: the rest of a node's edges
    while stack:
        following = next(stack[-1], None)
        if following is None:
            stack.pop()
            continue
        if len(steps) > max_steps:
            return None
        steps.append(_edge_step(following, grad, assign=False))
        stack.append(iter(edges_of.get(following[1], [])))  # visit the parent at once
    return steps


def wrong_nodes(
    steps: list[dict[str, Any]], truth: dict[str, float], output: str
) -> dict[str, Any]:
    """The nodes whose gradient comes out wrong in ``steps``, and the first of them.

    A node's gradient "comes out" when it is passed on to the node's parents (its first
    step as the upstream node), or, for a leaf, after the last step. The first wrong
    node is the one whose wrong gradient comes out earliest: with the naive order, the
    reused node that passed its gradient on too soon (a node that passes its gradient
    on more than once comes out at the first time).

    Args:
        steps: backward steps whose ``node`` and ``parent`` are ids.
        truth: the engine's gradient of each node, by id.
        output: the output's id.

    Returns:
        ``{"first": id or None, "nodes": {id: {"got": g, "true": t, "step": i}}}`` where
        ``i`` is the index in ``steps`` at which the wrong gradient came out.
    """
    came_out: dict[str, tuple[float, int]] = {output: (1.0, 0)}
    final: dict[str, tuple[float, int]] = {}
    for i, step in enumerate(steps):
        if step["parent"] is None:
            continue
        came_out.setdefault(step["node"], (step["upstream"], i))
        final[step["parent"]] = (step["after"], i)
    for node, value in final.items():
        came_out.setdefault(node, value)
    wrong = {
        node: {"got": got, "true": truth[node], "step": i}
        for node, (got, i) in came_out.items()
        if not _same(got, truth[node])
    }
    first = min(wrong, key=lambda n: wrong[n]["step"], default=None)
    return {"first": first, "nodes": wrong}


def _same(a: float, b: float) -> bool:
    """Equal up to rounding (the wrong orders may add the same terms in another order)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
