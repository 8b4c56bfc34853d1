"""What a graph drawing holds before it is laid out: boxes, arrows and their looks.

A :class:`Scene` is plain data, made by :mod:`.style` (for :func:`draw_dot` and the
Studio) and read by :mod:`.layered` (where each box goes), :mod:`.svg` (the picture) and
:mod:`.dot_source` (the same drawing as Graphviz DOT text). Three kinds of box:

* ``"record"``: a row of fields, ``label | data 2 | grad -1.5``;
* ``"ellipse"``: an op, ``*`` or ``tanh``;
* ``"terms"``: a neuron's ``dot`` op, a column of cells ``w1·x1 ... b`` (one per term,
  each arrow entering the cell of its term) beside the total ``w·x+b``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("record", "ellipse", "terms")


@dataclass
class Box:
    """One node of the drawing.

    Attributes:
        id: its SVG id and DOT name (``"v3"``, ``"n3op"``).
        kind: ``"record"``, ``"ellipse"`` or ``"terms"``.
        texts: a record's fields, an ellipse's one text, or a terms box's cells
            followed by its total.
        fill, stroke, stroke_width: the outline and its filling (CSS colours, px).
        dashed: a dashed outline (a constant).
        rounded: rounded corners (a terms box).
        text_color: the colour of its texts.
        font_size: in px.
        min_widths: per field of a record, the text whose width it must at least have
            (the Studio writes longer numbers in later).
        title: the tooltip; the id when empty.
    """

    id: str
    kind: str
    texts: list[str]
    fill: str = "#ffffff"
    stroke: str = "#000000"
    stroke_width: float = 1.0
    dashed: bool = False
    rounded: bool = False
    text_color: str = "#000000"
    font_size: float = 11.0
    min_widths: list[str] = field(default_factory=list)
    title: str = ""


@dataclass
class Arrow:
    """One edge, from ``source`` into ``target``.

    Attributes:
        id: its SVG id ("" for none).
        source, target: box ids.
        port: which part of the target it enters: a terms box's cell index, or for an
            op whose inputs are ordered, 0 for ``a`` (the upper or left side) and 1 for
            ``b``; None for the middle.
        head_label: a small text by the arrowhead (``a``, ``b``).
        color, width: the line's colour and width in px.
        weight: how hard the layout tries to keep it short and straight.
    """

    source: str
    target: str
    id: str = ""
    port: int | None = None
    head_label: str = ""
    color: str = "#555555"
    width: float = 1.0
    weight: float = 1.0


@dataclass
class Scene:
    """A whole drawing: its boxes (in the order they were made), arrows and direction.

    Attributes:
        boxes: the nodes; their order is the starting order of each layer.
        arrows: the edges.
        rankdir: ``"LR"``, ``"TB"``, ``"RL"`` or ``"BT"``, the direction of the arrows.
        title: the SVG's title.
        background: the page's colour, or ``"none"`` for a transparent one.
    """

    boxes: list[Box] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    rankdir: str = "LR"
    title: str = "graph"
    background: str = "#ffffff"
