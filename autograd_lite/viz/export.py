"""``render``: write a computation graph or network drawing to an SVG or PNG file.

(The module is not called ``render`` so that ``viz.render`` is only ever the function.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..support.files import check_target, write_atomically
from .drawing import PNG_DPI, Drawing
from .graph import draw_dot
from .renderer import pipe

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def render(obj: Any, path: str | os.PathLike[str], **draw_options: Any) -> Path:
    """Draw ``obj`` into an image file, its format chosen by the suffix of ``path``.

    A Value's graph (and any :func:`draw_dot` drawing) is laid out in Python: SVG
    needs nothing else, PNG and PDF need matplotlib (else a Graphviz program). Other
    graphviz graphs (:func:`draw_model`'s) need system Graphviz or ``graphviz-pure``
    (``pip install 'autograd-lite[graphviz]'``); neither has to be on ``PATH``. The
    file is written under a temporary name and renamed when
    complete, so an error never leaves half a file behind.

    Args:
        obj: a Value (its graph is drawn with :func:`draw_dot`), or a drawing from
            :func:`draw_dot` or :func:`draw_model` (any ``graphviz`` graph works).
        path: ``*.svg``, ``*.png`` or ``*.pdf``.
        **draw_options: passed to :func:`draw_dot` when ``obj`` is a Value, e.g.
            ``rankdir="TB"`` or ``color_by="sign"``.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for an unknown suffix, a graph too large for ``draw_dot``, or a
            ``path`` that is a folder, a named pipe, a device or a socket.
        NoRendererError: (a ``RuntimeError``) if the picture needs a program or
            library that is not installed; the message names the fixes.
        RenderError: if the program fails.
        OSError: if the file cannot be written.
    """
    path = check_target(path, "render")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        given = f"suffix {path.suffix!r}" if path.suffix else "no suffix"
        raise ValueError(
            f"render: cannot write {path.name!r} ({given}); use .svg or .png "
            f"(or .pdf with the Graphviz system package)"
        )
    fmt = FORMATS[suffix]
    drawing = _drawing(obj, draw_options)
    if isinstance(drawing, Drawing):
        data = drawing._image(fmt)
    else:  # another graphviz graph: only Graphviz can lay it out
        data = pipe(drawing.source, fmt, dpi=PNG_DPI if fmt == "png" else None)
    write_atomically(path, lambda f: f.write(data), binary=True, function="render")
    return path


def _drawing(obj: Any, draw_options: dict[str, Any]) -> Any:
    """``obj`` as a drawing: itself if it is a graphviz graph, else draw_dot's of it."""
    source = getattr(obj, "source", None)
    if isinstance(source, str):  # a graphviz graph
        if draw_options:
            raise TypeError(
                f"render: options {sorted(draw_options)} apply to a Value, not to a drawing"
            )
        return obj
    if hasattr(obj, "parents") and hasattr(obj, "data"):
        return draw_dot(obj, **draw_options)
    raise TypeError(f"render needs a Value or a graphviz drawing, got {type(obj).__name__}")
