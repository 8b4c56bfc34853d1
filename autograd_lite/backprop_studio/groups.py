"""Which nodes of a network's graph belong to which neuron and layer.

An :class:`autograd_lite.nn.Neuron` computes ``activation(w·x + b)``: one ``dot`` node
whose parents are the weights, the inputs and the bias (``ag.dot``, see
``Neuron.forward``), then, unless the activation is linear, one activation node. Given
the model, those nodes are found from its parameters: the ``dot`` is the user of the
bias, and the activation the user of the ``dot`` that the neuron's activation made. A
parameter the graph does not use has no group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine import Value


@dataclass
class Group:
    """A neuron or a layer: the nodes it holds and the ones it hands on.

    Attributes:
        id: ``"gL1N3"`` for neuron 3 of layer 1, ``"gL1"`` for layer 1 (counting from 1).
        label: what its box says, ``"L1 N3 tanh"`` or ``"layer 1: 16 tanh"``.
        members: the ids of its nodes (its parameters too), in topological order.
        outputs: the ids of the nodes it hands on (a neuron's activation).
        opens: the name of the view that shows it expanded.
    """

    id: str
    label: str
    members: list[str]
    outputs: list[str]
    opens: str

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "members": self.members,
            "outputs": self.outputs,
            "opens": self.opens,
        }


def check_model(model: Any) -> None:
    """Raise TypeError unless ``model`` has layers of neurons (an ``nn.MLP``)."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list) or not all(hasattr(layer, "neurons") for layer in layers):
        raise TypeError(f"studio: model must be an nn.MLP, got {type(model).__name__}")


def network_names(
    model: Any, order: list[Value], stand_ins: dict[Value, Value] | None = None
) -> dict[Value, str]:
    """Names for a network's unlabelled leaves: ``L2N5.w3`` and ``L2N5.b`` for a weight and
    a bias (counting from 1) that has no label of its own (an ``nn`` model labels its
    parameters with their state-dict names), ``x1, x2, ...`` for the inputs the first
    layer multiplies.

    Args:
        model: an ``nn.MLP``.
        order: the graph's nodes (only leaves found in it are named).
        stand_ins: as for :func:`neuron_groups`.
    """
    in_graph = set(order)
    names: dict[Value, str] = {}
    for i, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            names.update((w, f"L{i}N{j}.w{k}") for k, w in enumerate(neuron.w, start=1))
            names[neuron.b] = f"L{i}N{j}.b"
    first = model.layers[0].neurons[0].w
    n = len(first)
    for node in order:  # the first neuron's dot node: w1..wn, x1..xn, b
        if node.op == "dot" and list(node.parents[:n]) == first:
            for k, x in enumerate(node.parents[n : 2 * n], start=1):
                if not x.parents and x not in names:
                    names[x] = f"x{k}"
    for old, new in (stand_ins or {}).items():
        if old in names:
            names[new] = names[old]
    return {v: n for v, n in names.items() if v in in_graph}


def neuron_groups(
    model: Any,
    order: list[Value],
    ids: dict[Value, str],
    stand_ins: dict[Value, Value] | None = None,
) -> list[list[Group]]:
    """The groups of each layer's neurons found in a graph (layers without any are left out).

    Args:
        model: an ``nn.MLP``.
        order: the graph's nodes in topological order.
        ids: each node's id.
        stand_ins: leaves of the graph that stand for a parameter of the model (a
            weight the learner changed in the studio is a new Value), by that parameter.

    Returns:
        One list per layer that appears in the graph, of its neurons' groups.
    """
    stand_ins = stand_ins or {}
    stands_for = {new: old for old, new in stand_ins.items()}
    users: dict[Value, list[Value]] = {}
    for node in order:
        for parent in node.parents:
            users.setdefault(stands_for.get(parent, parent), []).append(node)
    position = {stands_for.get(node, node): k for k, node in enumerate(order)}
    ids = {stands_for.get(node, node): i for node, i in ids.items()}
    layers = []
    for i, layer in enumerate(model.layers, start=1):
        groups = []
        for j, neuron in enumerate(layer.neurons, start=1):
            members = _neuron_nodes(neuron, users)
            if members is None:
                continue
            nodes, outputs = members
            groups.append(
                Group(
                    id=f"gL{i}N{j}",
                    label=f"L{i} N{j} {neuron.activation}",
                    members=[ids[v] for v in sorted(nodes, key=position.__getitem__)],
                    outputs=[ids[v] for v in sorted(outputs, key=position.__getitem__)],
                    opens=f"neuron L{i} N{j}",
                )
            )
        if groups:
            layers.append(groups)
    return layers


def layer_group(index: int, neurons: list[Group]) -> Group:
    """The group of a whole layer (``index`` counts from 1)."""
    activation = neurons[0].label.rsplit(" ", 1)[1]
    return Group(
        id=f"gL{index}",
        label=f"layer {index}: {len(neurons)} {activation}",
        members=[m for n in neurons for m in n.members],
        outputs=[o for n in neurons for o in n.outputs],
        opens="neurons",
    )


def _neuron_nodes(
    neuron: Any, users: dict[Value, list[Value]]
) -> tuple[set[Value], set[Value]] | None:
    """A neuron's nodes in the graph and its outputs, or None if the graph does not use it.

    A neuron is its weights, its bias, the one ``dot`` node ``w·x + b`` that uses them
    (its multiply-adds, with the inputs among its parents) and its activation.
    """
    sums = {u for u in users.get(neuron.b, []) if u.op == "dot"}
    if not sums:
        return None
    nodes = {neuron.b, *neuron.w, *sums}
    if neuron.activation == "linear":
        return nodes, sums
    outputs = {u for s in sums for u in users.get(s, []) if u.op == neuron.activation}
    return nodes | outputs, outputs
