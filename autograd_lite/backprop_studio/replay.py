"""Running a recorded graph again with other values at its leaves.

When a learner changes a leaf in the studio, the engine computes the new values and
local derivatives: each op node is made again, from its new parents, by the same node
makers that made it the first time (so by the same primitive, with its forward and
derivative formulas from the one table in :mod:`autograd_lite.primitives`). The
changed leaf is a new Value; the other leaves are the same objects; none of the
learner's Values is changed.
"""

from __future__ import annotations

from ..engine import Value, make_node, topological_order


def replay(output: Value, leaf_values: dict[int, float]) -> Value:
    """``output``'s graph made again with some leaves holding new values.

    Args:
        output: the Value whose graph to copy.
        leaf_values: new values by a leaf's index in
            :func:`autograd_lite.engine.topological_order` of ``output``.

    Returns:
        The new output; its graph has the same shape, order and labels (the same
        topological order, position for position).

    Raises:
        ValueError: if an index is not a leaf's, or an op's domain refuses a new value
            (the primitive's own error, e.g. ``log`` of a negative number).

    Example:
        >>> import autograd_lite as ag
        >>> x = ag.Value(2.0, label="x")
        >>> replay(x * x + 1, {0: 3.0}).data
        10.0
    """
    order = topological_order(output)
    for index in leaf_values:
        if not 0 <= index < len(order) or order[index].parents:
            raise ValueError(f"replay: node {index} is not a leaf of this graph")
    copies: dict[Value, Value] = {}
    for index, node in enumerate(order):
        prim = node.primitive
        if prim is None:
            copies[node] = (
                Value(leaf_values[index], label=node.label) if index in leaf_values else node
            )
            continue
        copy = make_node(prim, [copies[p] for p in node.parents], node.number)
        copy.label = node.label
        copies[node] = copy
    return copies[output]
