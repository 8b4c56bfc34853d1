"""Recording a graph's forward and backward passes as numbered steps, for the studio to play.

A :class:`Recording` is plain data (it becomes JSON for the browser):

* the nodes in the engine's topological order (:func:`autograd_lite.engine.topological_order`),
  each with a stable id ``n0, n1, ...`` that the drawing uses too;
* the **forward** steps: one per op node, in that order, each giving the node its value;
* the **backward** steps: first the seed ``dL/dL = 1``, then one per edge, the rows of
  :func:`autograd_lite.explain` (``dL/da += ∂n/∂a × dL/dn``), each with the running
  gradient of ``a`` after it. After the last one every node's gradient is the engine's;
* two **wrong orders** that learners write (see :mod:`.orders`), each with its own
  backward steps and the nodes whose gradient comes out wrong (the naive one only
  where its steps stay few: they grow with the number of paths through the graph).

Step ``0`` is "nothing computed": the leaves hold their values, nothing else is known.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..engine import Value, gradients, topological_order
from ..explain import Explanation
from ..nn.module import is_parameter
from ..viz.drawing import drawable_text
from . import orders

MAX_NODES = 5_000  # beyond this the steps alone make a page of many megabytes
# The naive order's steps grow with the number of paths; it is recorded only while it
# takes at most this many times the engine's steps.
NAIVE_STEPS_PER_EDGE = 20


@dataclass
class Recording:
    """The steps of one forward and one backward pass through a graph.

    Attributes:
        nodes: one dict per node, in topological order: ``id``, ``label`` (the name the
            studio shows: the node's label, else its id), ``op`` (``""`` for a leaf),
            ``parents`` (ids), ``data``, ``grad``
            (the engine's ``d out / d node``).
        output: the id of the output node.
        forward: one dict per op node: ``node`` and ``text`` (``n3 = x * w = 2 * -3 = -6``).
        backward: ``{"engine": steps, "assign": steps, "naive": steps}`` (no
            ``"naive"`` where it would take more than 20 times the engine's steps); a step is a
            dict with ``node``, ``parent``, ``local``, ``upstream``, ``contribution``,
            ``before`` (the parent's gradient before it, None when it had none),
            ``after``, ``assign`` (``=`` rather than ``+=``), ``k`` (which of the node's
            parents) and ``text``.
        wrong: for ``"assign"`` and ``"naive"``: ``{"first": id or None, "nodes": {id:
            {"got", "true", "step"}}}``, see :func:`.orders.wrong_nodes`.
    """

    nodes: list[dict[str, Any]]
    output: str
    forward: list[dict[str, Any]]
    backward: dict[str, list[dict[str, Any]]]
    wrong: dict[str, dict[str, Any]] = field(default_factory=dict)

    def steps(self, order: str = "engine") -> int:
        """How many steps there are after step 0: the forward ones, then the backward ones."""
        return len(self.forward) + len(self.backward[order])

    def to_json(self) -> dict[str, Any]:
        """The recording as JSON-ready data; inf and nan become the strings ``"Infinity"``,
        ``"-Infinity"`` and ``"NaN"`` (JSON has no such numbers), which the page decodes."""
        return _json_safe(
            {
                "nodes": self.nodes,
                "output": self.output,
                "forward": self.forward,
                "backward": self.backward,
                "wrong": self.wrong,
            }
        )


def record(
    output: Value, max_nodes: int = MAX_NODES, names: dict[Value, str] | None = None
) -> Recording:
    """Record every step of ``output``'s forward pass and of its backward pass (seed 1).

    Nothing is written into any ``.grad``: the gradients come from
    :func:`autograd_lite.engine.gradients`, the engine's own pass.

    Args:
        output: the Value whose graph to record.
        max_nodes: refuse graphs with more nodes than this.
        names: names to show for some unlabelled nodes (a network's weights), in place
            of their ids.

    Returns:
        A :class:`Recording`.

    Raises:
        TypeError: if ``output`` is not a Value.
        ValueError: if the graph has more than ``max_nodes`` nodes.

    Example:
        >>> import autograd_lite as ag
        >>> x = ag.Value(2.0, label="x"); w = ag.Value(-0.5, label="w")
        >>> r = record((x * w).tanh())
        >>> r.steps()            # 2 forward steps (*, tanh), then the seed and 3 edges
        6
        >>> r.forward[0]["text"]    # an unlabelled node is called by its id
        'n2 = x * w = 2 * -0.5 = -1'
        >>> r.backward["engine"][1]["text"]
        'dn3/dn2 += ∂n3/∂n2 × dn3/dn3 = 0.42 × 1 = 0.42'
    """
    if not isinstance(output, Value):
        raise TypeError(f"studio: out must be a Value, got {type(output).__name__}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"studio: max_nodes must be a positive int, got {max_nodes!r}")
    order = topological_order(output)
    if len(order) > max_nodes:
        raise ValueError(
            f"studio: this graph has {len(order):,} nodes, more than the {max_nodes:,} a "
            f"studio records: show a smaller expression (one sample, a smaller network)"
        )
    ids = {node: f"n{k}" for k, node in enumerate(order)}
    explanation = Explanation(output, 1.0)
    names = _names(order, ids, names or {})
    true_grads = gradients(output, 1.0)

    nodes = [
        {
            "id": ids[node],
            "label": names[node],
            "op": node.op,
            "opText": op_text(node),
            "parents": [ids[p] for p in node.parents],
            "parameter": is_parameter(node),
            "data": node.data,
            "grad": true_grads[node],
        }
        for node in order
    ]
    forward = [
        {"node": ids[node], "text": forward_text(node, names)} for node in order if node.parents
    ]
    slots: dict[Value, int] = {}
    edges = []
    for s in explanation:  # a node's edges come together, in the order of its parents
        slots[s.node] = slots.get(s.node, -1) + 1
        edges.append((s.node, s.parent, s.local, slots[s.node]))
    backward = {
        "engine": orders.engine_steps(output, edges),
        "assign": orders.assign_steps(output, edges),
    }
    naive = orders.naive_steps(output, edges, NAIVE_STEPS_PER_EDGE * len(edges) + 100)
    if naive is not None:  # else too many to play: the page leaves that order out
        backward["naive"] = naive
    out_name = names[output]
    for steps in backward.values():
        for step in steps:
            step["text"] = backward_text(step, names, out_name)
            step["node"] = ids[step["node"]]
            step["parent"] = ids[step["parent"]] if step["parent"] is not None else None
    truth = {ids[n]: g for n, g in true_grads.items()}
    wrong: dict[str, dict[str, Any]] = {
        variant: orders.wrong_nodes(backward[variant], truth, ids[output])
        for variant in ("naive", "assign")
        if variant in backward
    }
    return Recording(nodes, ids[output], forward, backward, wrong)


def _names(
    order: list[Value], ids: dict[Value, str], given: dict[Value, str]
) -> dict[Value, str]:
    """What the studio calls each node: its label, else a given name, else its id
    (``n3``), the same id that the drawing and ``state()`` use, so that a step, the
    chain-rule panel and the automation hook all name a node alike.

    A label the page cannot show (bytes, a NUL, a lone surrogate) is refused by
    :func:`~autograd_lite.viz.drawing.drawable_text`, naming the studio and the label."""
    return {
        node: drawable_text(node.label, "studio") if node.label else given.get(node) or ids[node]
        for node in order
    }


def op_text(node: Value) -> str:
    """How the op reads in a drawing: ``*``, ``tanh``, ``** 2``, ``1 -`` (empty for a leaf)."""
    prim = node.primitive
    if prim is None:
        return ""
    number = node.number
    if number is not None:
        first = getattr(prim, "number_first", False)
        return f"{_num(number)} {node.op}" if first else f"{node.op} {_num(number)}"
    params = prim.params
    if "exponent" in params:
        return f"** {_num(params['exponent'])}"
    if "slope" in params:
        return f"{node.op}({_num(params['slope'])})"
    return node.op


def forward_text(node: Value, names: dict[Value, str]) -> str:
    """The forward step that computes ``node``, with names and then numbers:
    ``n1 = x * w = 2 * -3 = -6``, ``n2 = tanh(n1) = tanh(-6) = -1``."""
    prim = node.primitive
    parents = node.parents
    symbolic = not node.op[:1].isalpha()
    number = node.number
    params = prim.params if prim is not None else {}

    def formula(parts: list[str]) -> str:
        if number is not None:
            first = getattr(prim, "number_first", False)
            a, b = (_num(number), parts[0]) if first else (parts[0], _num(number))
            return f"{a} {node.op} {b}"
        if "exponent" in params:
            return f"{parts[0]} ** {_num(params['exponent'])}"
        if symbolic and len(parts) == 2:
            return f"{parts[0]} {node.op} {parts[1]}"
        name = op_text(node) if "slope" in params else node.op
        return f"{name}({', '.join(parts)})"

    by_name = formula([names[p] for p in parents])
    by_number = formula([_num(p.data) for p in parents])
    return f"{names[node]} = {by_name} = {by_number} = {_num(node.data)}"


def backward_text(step: dict[str, Any], names: dict[Value, str], out: str) -> str:
    """The arithmetic of one backward step, as the studio shows it."""
    if step["parent"] is None:
        return f"d{out}/d{out} = 1 (the seed)"
    node, parent = names[step["node"]], names[step["parent"]]
    sign = "=" if step["assign"] else "+="
    return (
        f"d{out}/d{parent} {sign} ∂{node}/∂{parent} × d{out}/d{node} = "
        f"{_num(step['local'])} × {_num(step['upstream'])} = {_num(step['contribution'])}"
    )


def _num(x: float) -> str:
    """The one rounding rule of the studio (its page's ``fmt`` too): 4 significant
    digits, and 0 without a sign."""
    return f"{x + 0.0:.4g}"  # -0.0 + 0.0 is 0.0


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_safe(v) for v in x]
    return x
