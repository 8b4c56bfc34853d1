"""Laying out a recorded graph: Graphviz SVG whose parts the browser can find by id.

The layout is done once, in Python, by the same renderer as :mod:`autograd_lite.viz`
(system Graphviz or the bundled ``graphviz-pure``), so the browser needs no layout code.
Every value node is a record ``name | data … | grad …`` with the SVG id of its
recorded id (``n3``), every op an ellipse ``n3op``, every edge from a parent into an op
``e_n1_n3_0`` (parent, node, which parent), and every edge from an op to its result
``e_n3``. A group's box (a layer, a neuron: see :mod:`.views`) has the group's id
(``gL1N3``), and an edge between two boxes, or from a node into a box, ``ge_<from>_<to>``.
The page then recolours them and rewrites the data and grad texts per step.
"""

from __future__ import annotations

from typing import Any

from ..viz.drawing import Drawing
from .recording import Recording
from .views import View, full_view

# Each record is drawn wide enough for numbers of this width, so that the texts the
# page writes in later (up to 4 significant digits and a sign) fit inside it.
_PLACEHOLDER = "-0.0000"
_SPINE = "20"  # the weight that keeps the arrows of a chain of ops straight


def drawing(recording: Recording, view: View | None = None) -> Drawing:
    """The recorded graph as a Graphviz drawing, left to right, with stable ids.

    Args:
        recording: a :class:`Recording`.
        view: which nodes to draw as themselves, inside a group's box, or not at all
            (default: every node as itself).

    Returns:
        A :class:`autograd_lite.viz.Drawing`; ``.to_svg()`` lays it out.
    """
    view = view or full_view()
    item_of = view.item_of
    g = Drawing(
        name="studio",
        format="svg",
        graph_attr={
            "rankdir": view.rankdir,
            "nodesep": "0.15",
            "ranksep": "0.3",
            "bgcolor": "transparent",
        },
        node_attr={"fontname": "Helvetica", "fontsize": "11", "height": "0.3"},
        edge_attr={"arrowsize": "0.6", "color": "#555555"},
    )

    # a record's fields stack across the direction of the arrows: braces turn them
    # into a column when the graph runs left to right
    def record(text: str) -> str:
        fields = f"{_escape(text)} | data {_PLACEHOLDER} | grad {_PLACEHOLDER}"
        return f"{{ {fields} }}" if view.rankdir == "LR" else fields

    for gid, group in view.groups.items():
        label = record(group.label)
        g.node(gid, label, id=gid, shape="record", style="filled,bold", fillcolor="#ffffff")
    between_groups: set[tuple[str, str]] = set()
    op_of = {node["id"]: node["op"] for node in recording.nodes}
    for node in recording.nodes:
        nid = node["id"]
        if nid in item_of:
            # inside a box (or hidden): only the edges that enter the box are drawn
            box = item_of[nid]
            for parent in node["parents"]:
                source = item_of.get(parent, parent)
                if box is not None and source is not None and source != box:
                    between_groups.add((source, box))
            continue
        label = record(node["label"])
        g.node(nid, label, id=nid, shape="record", style="filled", fillcolor="#ffffff")
        if node["parents"]:
            op = f"{nid}op"
            g.node(
                op,
                _escape_plain(node["opText"]),
                id=op,
                shape="ellipse",
                style="filled",
                fillcolor="#eeeeee",
                fontsize="10",
                width="0.3",
                height="0.25",
                margin="0.03,0.01",
            )
            g.edge(op, nid, id=f"e_{nid}", weight=_SPINE)
            for k, parent in enumerate(node["parents"]):
                source = item_of.get(parent, parent)
                if source is not None:
                    # a running sum's chain of + nodes is kept straight
                    spine = node["op"] == "+" and op_of.get(parent) == "+"
                    extra = {"weight": _SPINE} if spine else {}
                    g.edge(source, op, id=f"e_{parent}_{nid}_{k}", **extra)
    for source, target in sorted(between_groups):
        g.edge(source, target, id=f"ge_{source}_{target}", color="#aaaaaa", penwidth="0.7")
    return g


def svg(recording: Recording, view: View | None = None) -> str:
    """The laid-out SVG element alone (no XML prologue), ready to put inside a page.

    Raises:
        autograd_lite.viz.NoRendererError: if no Graphviz program is installed.
    """
    text = drawing(recording, view).to_svg()
    return text[text.index("<svg") :]


def _escape(text: str) -> str:
    """Text made safe for a record label, where ``{ } | < >`` have meanings."""
    out = _escape_plain(text).replace("\n", " ")
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out


def _escape_plain(text: Any) -> str:
    return str(text).replace("\\", "\\\\")
