"""A laid-out graph as SVG text, written by hand: no program runs.

The structure is Graphviz's, which the Studio's page relies on to find and recolour
parts: each box is ``<g id="…" class="node">`` holding a ``<title>``, its outline
(``<polygon>`` for a record or a terms box, ``<ellipse>`` for an op) and one ``<text>``
per field in order (a record's label, data, grad); each arrow is ``<g class="edge">``
holding a ``<title>``, a ``<path>`` and its head, a ``<polygon>``.
"""

from __future__ import annotations

import math
from html import escape

from .layered import Layout, Placed, Point, Route, layout
from .scene import Scene
from .style import FONT


def to_svg(scene: Scene, prologue: bool = True) -> str:
    """Lay out ``scene`` and write it as an SVG document.

    Args:
        scene: the drawing.
        prologue: begin with the ``<?xml …?>`` line (leave it out to put the SVG
            inside an HTML page).

    >>> from autograd_lite.viz.scene import Box, Scene
    >>> print(to_svg(Scene([Box("x", "ellipse", ["x"])]), prologue=False).splitlines()[0])
    <svg xmlns="http://www.w3.org/2000/svg" width="30pt" height="27pt" viewBox="0 0 30 27">
    """
    return write(scene, layout(scene), prologue)


def write(scene: Scene, laid: Layout, prologue: bool = True) -> str:
    """``laid`` (the layout of ``scene``) as SVG text."""
    w, h = _num(laid.width), _num(laid.height)
    lines = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>'] if prologue else []
    # sizes in pt, as Graphviz writes them: a browser shows 1 unit as 1.33 px
    lines.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" '
        f'viewBox="0 0 {w} {h}">'
    )
    lines.append(f'<g class="graph" font-family="{FONT}">')
    lines.append(f"<title>{escape(scene.title)}</title>")
    if scene.background != "none":
        lines.append(f'<rect width="{w}" height="{h}" fill="{scene.background}"/>')
    for route in laid.routes:  # arrows first, so boxes cover their ends
        lines.extend(_arrow(route))
    for box in scene.boxes:
        lines.extend(_box(laid.placed[box.id]))
    lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _num(x: float) -> str:
    """A coordinate, short: ``12``, ``12.5``."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _pt(p: Point) -> str:
    return f"{_num(p[0])},{_num(p[1])}"


def _id(value: str) -> str:
    return f' id="{escape(value)}"' if value else ""


def _box(placed: Placed) -> list[str]:
    box, shape = placed.box, placed.shape
    cx, cy = placed.x, placed.y
    paint = f'fill="{box.fill}" stroke="{box.stroke}"'
    if box.stroke_width != 1:
        paint += f' stroke-width="{_num(box.stroke_width)}"'
    if box.dashed:
        paint += ' stroke-dasharray="5,2"'
    out = [f'<g{_id(box.id)} class="node">', f"<title>{escape(box.title or box.id)}</title>"]
    if box.kind == "ellipse":
        out.append(
            f'<ellipse {paint} cx="{_num(cx)}" cy="{_num(cy)}" '
            f'rx="{_num(shape.w / 2)}" ry="{_num(shape.h / 2)}"/>'
        )
    else:
        outline, lines = box_outline(placed)
        points = " ".join(_pt(p) for p in [*outline, outline[0]])
        out.append(f'<polygon {paint} points="{points}"/>')
        for line in lines:
            out.append(f'<polyline fill="none" stroke="{box.stroke}" '
                       f'points="{" ".join(_pt(p) for p in line)}"/>')  # fmt: skip
    for cell in shape.cells:
        x = cx + cell.x + cell.w / 2
        y = cy + cell.y + cell.h / 2 + box.font_size * 0.35  # the baseline, text centred
        color = "" if box.text_color == "#000000" else f' fill="{box.text_color}"'
        out.append(
            f'<text text-anchor="middle" x="{_num(x)}" y="{_num(y)}" '
            f'font-size="{_num(box.font_size)}"{color}>{escape(cell.text)}</text>'
        )
    out.append("</g>")
    return out


def box_outline(placed: Placed) -> tuple[list[Point], list[list[Point]]]:
    """A record's or terms box's outline, and the lines between its cells."""
    box, shape = placed.box, placed.shape
    left, top = placed.x - shape.w / 2, placed.y - shape.h / 2
    right, bottom = left + shape.w, top + shape.h
    if box.rounded:
        outline = _rounded(left, top, right, bottom, 5.0)
    else:
        outline = [(left, top), (right, top), (right, bottom), (left, bottom)]
    lines = []
    if box.kind == "record":  # a line before each field after the first
        for cell in shape.cells[1:]:
            x = placed.x + cell.x
            lines.append([(x, top), (x, bottom)])
    else:  # a terms box: a line between neighbouring terms, and one before the total
        *terms, total = [(placed.x + c.x, placed.y + c.y, c.w, c.h) for c in shape.cells]
        for (x0, y0, w, h), (x1, y1, _, _) in zip(terms, terms[1:], strict=False):
            lines.append([(x0, y1), (x0 + w, y1)] if y1 > y0 else [(x1, y0), (x1, y0 + h)])
        x, y, w, h = total
        lines.append([(x, y), (x, y + h)] if x > left else [(x, y), (x + w, y)])
    return outline, lines


def _rounded(left: float, top: float, right: float, bottom: float, r: float) -> list[Point]:
    """The outline of a rectangle with corners rounded to radius ``r``, as a polygon
    (each corner a quarter circle of four segments)."""
    out = []
    for cx, cy, start in ((right - r, top + r, -90), (right - r, bottom - r, 0),
                          (left + r, bottom - r, 90), (left + r, top + r, 180)):  # fmt: skip
        for k in range(5):
            a = math.radians(start + 22.5 * k)
            out.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return out


def _arrow(route: Route) -> list[str]:
    arrow = route.arrow
    path = route.path
    d = f"M{_pt(path[0])}" + "".join(
        f"C{_pt(path[i])} {_pt(path[i + 1])} {_pt(path[i + 2])}" for i in range(1, len(path), 3)
    )
    width = "" if arrow.width == 1 else f' stroke-width="{_num(arrow.width)}"'
    out = [
        f'<g{_id(arrow.id)} class="edge">',
        f"<title>{escape(arrow.source)}&#45;&gt;{escape(arrow.target)}</title>",
        f'<path fill="none" stroke="{arrow.color}"{width} d="{d}"/>',
        f'<polygon fill="{arrow.color}" stroke="{arrow.color}"{width} '
        f'points="{" ".join(_pt(p) for p in route.head)}"/>',
    ]
    if route.label_at is not None:
        x, y = route.label_at
        out.append(
            f'<text text-anchor="middle" x="{_num(x)}" y="{_num(y + 3)}" font-size="9" '
            f'fill="#333333">{escape(arrow.head_label)}</text>'
        )
    out.append("</g>")
    return out
