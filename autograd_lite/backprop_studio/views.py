"""The views a studio offers: the whole graph, and for a network, collapsed by layer and neuron.

A view says, for each node, how it is drawn: as itself, inside a group's box (a layer or
a neuron), or not at all. The one-sample graph of ``MLP(2, [16, 16, 1])`` has about a
thousand nodes, too many to read, so a network gets three kinds of view:

* ``network``: each layer one box, between the inputs and the loss;
* ``neurons``: each neuron one box (click a layer to get here);
* ``neuron L2 N5``: one neuron's multiply-adds in full, with the neurons it reads from
  and hands on to as boxes (click a neuron to get here).

Every view plays the same recorded steps: a box shows its outputs' values and
gradients, and lights up when a step touches one of its nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..engine import Value
from .groups import Group, layer_group, neuron_groups
from .recording import Recording

FULL = "graph"


@dataclass
class View:
    """One way to draw the graph.

    Attributes:
        name: how the view is picked (``"graph"``, ``"network"``, ``"neurons"``,
            ``"neuron L1 N3"``).
        title: what the menu says.
        item_of: for each node drawn inside a group, the group's id; for each node not
            drawn, None. A node not in it is drawn as itself.
        groups: the groups drawn as boxes, by id.
        rankdir: ``"LR"`` (left to right: a neuron's dot node has its weights and
            inputs stacked in a column before it) or ``"TB"`` (top to bottom).
        svg: the laid-out drawing, once :func:`.layout.svg` has made it.
    """

    name: str
    title: str
    item_of: dict[str, str | None] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    rankdir: str = "LR"
    svg: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "itemOf": self.item_of,
            "groups": {gid: g.to_json() for gid, g in self.groups.items()},
            "svg": self.svg,
        }


def full_view() -> View:
    """Every node drawn as itself."""
    return View(FULL, "the whole graph")


def network_views(
    model: Any,
    recording: Recording,
    order: list[Value],
    stand_ins: dict[Value, Value] | None = None,
) -> list[View]:
    """The collapsed views of a network's graph (none if no neuron of it is in the graph).

    Args:
        model: an ``nn.MLP`` whose parameters the graph uses.
        recording: the graph's recording.
        order: the graph's nodes in topological order (the recording's order).
        stand_ins: as for :func:`.groups.neuron_groups`.
    """
    ids = {node: rec["id"] for node, rec in zip(order, recording.nodes, strict=True)}
    layers = neuron_groups(model, order, ids, stand_ins)
    if not layers:
        return []
    neurons = [g for layer in layers for g in layer]
    layer_boxes = [layer_group(int(layer[0].id[2:].split("N")[0]), layer) for layer in layers]

    network = View("network", "network: one box per layer")
    for box in layer_boxes:
        network.groups[box.id] = box
        network.item_of.update((m, box.id) for m in box.members)

    by_neuron = View("neurons", "neurons: one box per neuron")
    for g in neurons:
        by_neuron.groups[g.id] = g
        by_neuron.item_of.update((m, g.id) for m in g.members)

    views = [network, by_neuron]
    parents = {n["id"]: n["parents"] for n in recording.nodes}
    users: dict[str, list[str]] = {}
    for nid, ps in parents.items():
        for p in ps:
            users.setdefault(p, []).append(nid)
    for g in neurons:
        view = View(g.opens, f"{g.opens}: its multiply-adds", rankdir="LR")
        own = set(g.members)
        shown: set[str] = set(own)
        for m in g.members:
            shown.update(parents[m])
            shown.update(users.get(m, []))
        for nid in parents:
            owner = by_neuron.item_of.get(nid)
            if nid in own:
                continue
            if nid not in shown:
                view.item_of[nid] = None
            elif owner is not None:
                view.item_of[nid] = owner
                view.groups[owner] = by_neuron.groups[owner]
        # a box stands for all of its neuron's nodes, even those not next to this one
        for nid, owner in by_neuron.item_of.items():
            if owner in view.groups:
                view.item_of[nid] = owner
        views.append(view)
    return views
