"""A laid-out graph as PNG or PDF through matplotlib: the SVG's picture, no Graphviz.

The same :class:`~.layered.Layout` the SVG is written from is drawn with matplotlib's
patches, one unit of the layout to one point, so the PNG and the SVG agree. matplotlib
(and with it numpy) is imported only when a picture is asked for.
"""

from __future__ import annotations

import io
from typing import Any

from .layered import Layout, layout
from .scene import Scene
from .style import FONT

PNG_DPI = 144  # 2 pixels per point: small text stays sharp
FORMATS = ("png", "pdf")
FIX = (
    "PNG and PDF pictures are drawn with matplotlib (`pip install matplotlib`), or with "
    "Graphviz (`pip install 'autograd-lite[graphviz]'` or the Graphviz system package); "
    "SVG needs neither"
)


_FAMILIES = [*(f.strip() for f in FONT.split(",")), "Liberation Sans", "Nimbus Sans", "DejaVu Sans"]
_found: list[str] = []


def _family() -> str:
    """The first of the SVG's fonts (or one of the same widths) that matplotlib has,
    looked up once: asking for a missing one logs a warning per text."""
    if not _found:
        from matplotlib import font_manager

        for name in _FAMILIES:
            try:
                props = font_manager.FontProperties(family=name)
                font_manager.findfont(props, fallback_to_default=False)
            except ValueError:
                continue
            _found.append(name)
            break
        else:
            _found.append("sans-serif")
    return _found[0]


class RasterUnavailable(RuntimeError):
    """matplotlib cannot be imported, so no PNG or PDF can be drawn by this module."""


def to_image(scene: Scene, fmt: str, dpi: int = PNG_DPI) -> bytes:
    """Lay out ``scene`` and draw it as ``"png"`` or ``"pdf"`` bytes.

    Raises:
        RasterUnavailable: if matplotlib is not installed.
    """
    return draw(scene, layout(scene), fmt, dpi)


def draw(scene: Scene, laid: Layout, fmt: str, dpi: int = PNG_DPI) -> bytes:
    """``laid`` (the layout of ``scene``) as image bytes of format ``fmt``."""
    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import Ellipse, PathPatch, Polygon
        from matplotlib.path import Path
    except ImportError:
        raise RasterUnavailable(f"cannot draw a {fmt.upper()}: {FIX}") from None
    from .svg import box_outline  # the SVG's own outline of a record or terms box

    fig = Figure(figsize=(laid.width / 72, laid.height / 72))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, laid.width)
    ax.set_ylim(laid.height, 0)  # y down, as in SVG
    ax.set_axis_off()
    if scene.background != "none":
        fig.patch.set_facecolor(scene.background)
    text: dict[str, Any] = {"family": _family(), "ha": "center", "va": "center"}
    for route in laid.routes:
        codes = [Path.MOVETO] + [Path.CURVE4] * (len(route.path) - 1)
        color, width = route.arrow.color, route.arrow.width * 0.75  # px to points
        ax.add_patch(PathPatch(Path(route.path, codes), fill=False, edgecolor=color, lw=width))
        ax.add_patch(Polygon(route.head, closed=True, facecolor=color, edgecolor=color, lw=width))
        if route.label_at is not None:
            ax.text(*route.label_at, route.arrow.head_label, fontsize=9, color="#333333", **text)
    for box in scene.boxes:
        placed = laid.placed[box.id]
        shape = placed.shape
        look: dict[str, Any] = {
            "facecolor": box.fill,
            "edgecolor": box.stroke,
            "lw": box.stroke_width * 0.75,
            "linestyle": (0, (5, 2)) if box.dashed else "-",
        }
        if box.kind == "ellipse":
            ax.add_patch(Ellipse((placed.x, placed.y), shape.w, shape.h, **look))
        else:
            outline, lines = box_outline(placed)
            ax.add_patch(Polygon(outline, closed=True, **look))
            for line in lines:
                xs, ys = zip(*line, strict=True)
                ax.plot(xs, ys, color=box.stroke, lw=0.75)
        for cell in shape.cells:
            ax.text(placed.x + cell.x + cell.w / 2, placed.y + cell.y + cell.h / 2, cell.text,
                    fontsize=box.font_size, color=box.text_color, **text)  # fmt: skip
    out = io.BytesIO()
    fig.savefig(out, format=fmt, dpi=dpi, facecolor=fig.get_facecolor())
    return out.getvalue()
