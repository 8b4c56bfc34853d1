"""Laying out a recorded graph: SVG whose parts the browser can find by id.

The layout is done once, in Python, by the same code and in the same look as
:func:`autograd_lite.viz.draw_dot` (:mod:`autograd_lite.viz.style`,
:mod:`~autograd_lite.viz.layered`, :mod:`~autograd_lite.viz.svg`), so neither the
browser nor the machine needs a layout program. Every value node is a record
``name | data … | grad …`` with the SVG id of its recorded id (``n3``), every op
``n3op`` (an oval, or a ``dot``'s column of terms, as :func:`~autograd_lite.viz.style.op_of`
draws it for both), every edge from a parent into an op ``e_n1_n3_0`` (parent, node,
which parent), and every edge from an op to its result ``e_n3``. A group's box (a
layer, a neuron: see :mod:`.views`) has the group's id (``gL1N3``), and an edge between
two boxes, or from a node into a box, ``ge_<from>_<to>``. The page then recolours them
and rewrites the data and grad texts per step.
"""

from __future__ import annotations

from ..viz import style
from ..viz.scene import Scene
from ..viz.svg import to_svg
from .recording import Recording
from .views import View, full_view

# Each record is drawn wide enough for numbers of this width, so that the texts the
# page writes in later (up to 4 significant digits and a sign) fit inside it.
_PLACEHOLDER = "-0.0000"
_WIDTHS = ["", f"data {_PLACEHOLDER}", f"grad {_PLACEHOLDER}"]


def scene(recording: Recording, view: View | None = None) -> Scene:
    """The recorded graph as a :class:`~autograd_lite.viz.scene.Scene` with stable ids.

    Args:
        recording: a :class:`Recording`.
        view: which nodes to draw as themselves, inside a group's box, or not at all
            (default: every node as itself).
    """
    view = view or full_view()
    item_of = view.item_of
    drawing = Scene(rankdir=view.rankdir, title="studio", background="none")
    # The page writes the numbers in: until then a field says only what it holds.
    for gid, group in view.groups.items():
        drawing.boxes.append(style.group_box(gid, [group.label, "data", "grad"], _WIDTHS))
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
        kind = style.leaf_kind(node["parameter"], bool(node["parents"]), node["label"])
        drawing.boxes.append(style.value_box(
            nid, [node["label"], "data", "grad"], kind, output=nid == recording.output,
            min_widths=_WIDTHS))  # fmt: skip
        if node["parents"]:
            op = f"{nid}op"
            n = len(node["parents"])
            op_box, entries = style.op_of(op, node["op"], n, str(node["opText"]))
            drawing.boxes.append(op_box)
            drawing.arrows.append(style.op_arrow(op, nid, f"e_{nid}"))
            for k, (parent, (port, tag)) in enumerate(zip(node["parents"], entries, strict=True)):
                source = item_of.get(parent, parent)
                if source is not None:
                    # a running sum's chain of + nodes is kept straight
                    spine = node["op"] == "+" and op_of.get(parent) == "+"
                    drawing.arrows.append(style.input_arrow(
                        source, op, arrow_id=f"e_{parent}_{nid}_{k}", port=port, head_label=tag,
                        weight=style.SPINE if spine else 1.0))  # fmt: skip
    for source, target in sorted(between_groups):
        drawing.arrows.append(style.group_arrow(source, target, f"ge_{source}_{target}"))
    return drawing


def svg(recording: Recording, view: View | None = None) -> str:
    """The laid-out SVG element alone (no XML prologue), ready to put inside a page."""
    return to_svg(scene(recording, view), prologue=False)
