"""How big each box of a :class:`~.scene.Scene` is, and where its texts and ports are.

Text is measured without any font file, from the widths of Helvetica's letters (its
published metrics, in thousandths of the font size), so the same numbers come out in
CPython, Pyodide and a browser that draws the SVG with Helvetica or Arial. A box is
sized a little wider than its text, so a font with wider letters still fits.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from .scene import Box

# Helvetica's advance widths for the printable ASCII characters " " to "~", per 1000.
_ASCII_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip
_OTHER_WIDTHS = {"·": 278, "—": 1000, "–": 556, "−": 584, "×": 584, "∂": 494, "…": 1000}
_OTHER = 600  # a letter outside the table (Greek, accents ...)
_WIDE = 1000  # a CJK character

PAD_X = 6.0  # px of room left and right of a field's text
PAD_Y = 5.0  # px above and below a record's text
TERM_PAD_Y = 3.0  # a terms box's cells are tighter
OP_HEIGHT = 19.0
OP_MIN_WIDTH = 22.0


def text_width(text: str, size: float) -> float:
    """The width in px of ``text`` in Helvetica of ``size`` px.

    >>> text_width("data 2", 10.0)
    27.8
    """
    total = 0
    for ch in text:
        code = ord(ch)
        if 32 <= code <= 126:
            total += _ASCII_WIDTHS[code - 32]
        elif ch in _OTHER_WIDTHS:
            total += _OTHER_WIDTHS[ch]
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            total += _WIDE
        elif not unicodedata.combining(ch):
            total += _OTHER
    return round(total * size / 1000, 2)


@dataclass
class Cell:
    """A rectangle of a box holding one text, relative to the box's centre."""

    x: float
    y: float
    w: float
    h: float
    text: str


@dataclass
class Shape:
    """A box's size and its cells (a record's fields, a terms box's terms and total).

    Attributes:
        w, h: width and height in px.
        cells: the texts' rectangles; an ellipse has one, the size of the box.
        ports: for a terms box, the centre of each term's cell; arrows into it end at
            the cell's edge that faces them.
    """

    w: float
    h: float
    cells: list[Cell]
    ports: list[tuple[float, float]]


def shape_of(box: Box, horizontal: bool) -> Shape:
    """The size and cells of ``box`` in a drawing whose arrows run left to right
    (``horizontal``) or top to bottom.

    A record is always a row of fields. A terms box is a column of terms left of its
    total when the arrows run across, and a row of terms above it when they run down.
    """
    size = box.font_size
    if box.kind == "ellipse":
        w = max(OP_MIN_WIDTH, text_width(box.texts[0], size) + 2 * PAD_X)
        return Shape(w, OP_HEIGHT, [Cell(-w / 2, -OP_HEIGHT / 2, w, OP_HEIGHT, box.texts[0])], [])
    if box.kind == "record":
        h = size + 2 * PAD_Y
        widths = []
        for i, text in enumerate(box.texts):
            least = box.min_widths[i] if i < len(box.min_widths) else ""
            widths.append(max(text_width(text, size), text_width(least, size)) + 2 * PAD_X)
        w = sum(widths)
        cells, x = [], -w / 2
        for text, width in zip(box.texts, widths, strict=True):
            cells.append(Cell(x, -h / 2, width, h, text))
            x += width
        return Shape(w, h, cells, [])
    *terms, total = box.texts
    row = size + 2 * TERM_PAD_Y
    term_w = max(text_width(t, size) for t in terms) + 2 * PAD_X
    total_w = text_width(total, size) + 2 * PAD_X
    n = len(terms)
    if horizontal:
        w, h = term_w + total_w, max(n * row, row)
        cells = [Cell(-w / 2, -h / 2 + i * row, term_w, row, t) for i, t in enumerate(terms)]
        cells.append(Cell(-w / 2 + term_w, -h / 2, total_w, h, total))
    else:
        w, h = max(n * term_w, total_w), 2 * row
        each = w / n
        cells = [Cell(-w / 2 + i * each, -h / 2, each, row, t) for i, t in enumerate(terms)]
        cells.append(Cell(-w / 2, -h / 2 + row, w, row, total))
    ports = [(c.x + c.w / 2, c.y + c.h / 2) for c in cells[:-1]]
    return Shape(w, h, cells, ports)


def port_offset(box: Box, shape: Shape, port: int | None, horizontal: bool) -> float:
    """Where across the direction of the arrows an arrow enters ``box``, from its centre.

    A terms box's port is the cell of a term; an op's ports 0 and 1 are its two sides
    (``a`` above or left of ``b``).
    """
    if port is None:
        return 0.0
    if box.kind == "terms":
        x, y = shape.ports[min(port, len(shape.ports) - 1)]
        return y if horizontal else x
    across = shape.h if horizontal else shape.w
    return (-0.25 if port == 0 else 0.25) * across


def depth_to_edge(box: Box, shape: Shape, offset: float, horizontal: bool) -> float:
    """How far along the arrows from the centre of ``box`` its outline is, at ``offset``
    across (an ellipse is thinner away from its middle; a terms box's arrows end at the
    terms' column)."""
    main, across = (shape.w, shape.h) if horizontal else (shape.h, shape.w)
    if box.kind == "ellipse":
        share = min(1.0, abs(offset) / (across / 2)) if across else 0.0
        return main / 2 * math.sqrt(max(0.0, 1.0 - share * share))
    return main / 2
