"""Laying out a recorded graph: Graphviz SVG whose parts the browser can find by id.

The layout is done once, in Python, by the same renderer as :mod:`autograd_lite.viz`
(system Graphviz or the bundled ``graphviz-pure``), so the browser needs no layout code.
Every value node is a record ``name | data … | grad …`` with the SVG id of its
recorded id (``n3``), every op an ellipse ``n3op``, every edge from a parent into an op
``e_n1_n3_0`` (parent, node, which parent), and every edge from an op to its result
``e_n3``. The page then recolours them and rewrites the data and grad texts per step.
"""

from __future__ import annotations

from typing import Any

from ..viz.drawing import Drawing
from .recording import Recording

# Each record is drawn wide enough for numbers of this width, so that the texts the
# page writes in later (up to 4 significant digits and a sign) fit inside it.
_PLACEHOLDER = "-0.0000"


def drawing(recording: Recording) -> Drawing:
    """The recorded graph as a Graphviz drawing, left to right, with stable ids.

    Args:
        recording: a :class:`Recording`.

    Returns:
        A :class:`autograd_lite.viz.Drawing`; ``.to_svg()`` lays it out.
    """
    g = Drawing(
        name="studio",
        format="svg",
        graph_attr={"rankdir": "LR", "nodesep": "0.15", "ranksep": "0.3", "bgcolor": "transparent"},
        node_attr={"fontname": "Helvetica", "fontsize": "11", "height": "0.3"},
        edge_attr={"arrowsize": "0.6", "color": "#555555"},
    )
    for node in recording.nodes:
        nid = node["id"]
        label = f"{{ {_escape(node['label'])} | data {_PLACEHOLDER} | grad {_PLACEHOLDER} }}"
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
            g.edge(op, nid, id=f"e_{nid}")
            for k, parent in enumerate(node["parents"]):
                g.edge(parent, op, id=f"e_{parent}_{nid}_{k}")
    return g


def svg(recording: Recording) -> str:
    """The laid-out SVG element alone (no XML prologue), ready to put inside a page.

    Raises:
        autograd_lite.viz.NoRendererError: if no Graphviz program is installed.
    """
    text = drawing(recording).to_svg()
    return text[text.index("<svg") :]


def _escape(text: str) -> str:
    """Text made safe for a record label, where ``{ } | < >`` have meanings."""
    out = _escape_plain(text).replace("\n", " ")
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out


def _escape_plain(text: Any) -> str:
    return str(text).replace("\\", "\\\\")
