"""A :class:`~.scene.Scene` as Graphviz DOT: the same boxes and arrows, for ``.source``.

``draw_dot`` returns a ``graphviz.Digraph``, so its ``.source`` is DOT text that
Graphviz's own programs can lay out (for PDF, or another engine). The picture itself
comes from :mod:`.layered` and :mod:`.svg`; this module only writes the same drawing
in Graphviz's words.
"""

from __future__ import annotations

from typing import Any

import graphviz  # type: ignore[import-untyped]

from .scene import Arrow, Box, Scene
from .style import EDGE


def add_scene(g: Any, scene: Scene, ids: bool = False) -> None:
    """Add the boxes and arrows of ``scene`` to the ``graphviz`` graph ``g``.

    Args:
        g: a ``graphviz.Digraph``.
        scene: the drawing.
        ids: give each node and edge its scene id as its SVG ``id``.
    """
    horizontal = scene.rankdir in ("LR", "RL")
    boxes = {box.id: box for box in scene.boxes}
    for box in scene.boxes:
        attrs = _look(box)
        if ids:
            attrs["id"] = box.id
        g.node(box.id, _label(box, horizontal), **attrs)
    for arrow in scene.arrows:
        head = _head(arrow, boxes[arrow.target], horizontal)
        g.edge(arrow.source, head, **_arrow_look(arrow, ids, horizontal))


def escape_record(text: str) -> str:
    r"""Text made safe for a record label, where ``{ } | < >`` have meanings.

    >>> print(escape_record("{a|b} <c>"))
    \{a\|b\} \<c\>
    """
    out = str(text).replace("\\", "\\\\").replace("\n", " ")
    for ch in "{}|<>":
        out = out.replace(ch, "\\" + ch)
    return out


def _label(box: Box, horizontal: bool) -> Any:
    if box.kind == "ellipse":
        return box.texts[0].replace("\\", "\\\\")
    if box.kind == "record":
        # a record's fields stack across the arrows: braces make them a row left to right
        fields = " | ".join(escape_record(t) for t in box.texts)
        return graphviz.nohtml(f"{{ {fields} }}" if horizontal else fields)
    *terms, total = box.texts
    cells = " | ".join(f"<{_port_name(box, i)}> {escape_record(t)}" for i, t in enumerate(terms))
    return graphviz.nohtml(f"{{ {{ {cells} }} | {escape_record(total)} }}")


def _port_name(box: Box, i: int) -> str:
    """A terms box's cell ``i`` as a record port: ``t0, t1, ...``, and ``b`` for the bias."""
    last = i == len(box.texts) - 2
    return "b" if last and box.texts[i] == "b" else f"t{i}"


def _look(box: Box) -> dict[str, str]:
    style = ["filled"]
    if box.dashed:
        style.append("dashed")
    if box.rounded:
        style.append("rounded")
    attrs = {"shape": "record" if box.kind != "ellipse" else "ellipse", "style": ",".join(style),
             "fillcolor": box.fill}  # fmt: skip
    if box.stroke != "#000000":
        attrs["color"] = box.stroke
    if box.stroke_width != 1:
        attrs["penwidth"] = f"{box.stroke_width:g}"
    if box.text_color != "#000000":
        attrs["fontcolor"] = box.text_color
    if box.kind == "ellipse":
        attrs.update(fontsize=f"{box.font_size:g}", width="0.3", height="0.25", margin="0.03,0.01")
    elif box.kind == "terms":
        attrs.update(fontsize=f"{box.font_size:g}", height="0.2")
    return attrs


def _head(arrow: Arrow, target: Box, horizontal: bool) -> str:
    if target.kind == "terms" and arrow.port is not None:
        side = "w" if horizontal else "n"  # where the arrows come in
        return f"{arrow.target}:{_port_name(target, arrow.port)}:{side}"
    return arrow.target


def _arrow_look(arrow: Arrow, ids: bool, horizontal: bool) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if arrow.head_label:
        ports = ("n", "s") if horizontal else ("w", "e")
        attrs.update(headlabel=arrow.head_label, headport=ports[arrow.port or 0])
    if arrow.color != EDGE:
        attrs["color"] = arrow.color
    if arrow.width != 1:
        attrs["penwidth"] = f"{arrow.width:g}"
    if ids and arrow.id:
        attrs["id"] = arrow.id
    return attrs
