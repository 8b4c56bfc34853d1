"""``render``: write a computation graph or network drawing to an SVG or PNG file.

(The module is not called ``render`` so that ``viz.render`` is only ever the function.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..support.files import check_target, write_atomically
from .drawing import PNG_DPI
from .graph import draw_dot
from .renderer import pipe

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def render(obj: Any, path: str | os.PathLike[str], **draw_options: Any) -> Path:
    """Draw ``obj`` into an image file, its format chosen by the suffix of ``path``.

    Uses system Graphviz if it is installed, else ``graphviz-pure``; neither has to
    be on ``PATH``. The file is written under a temporary name and renamed when
    complete, so an error never leaves half a file behind.

    Args:
        obj: a Value (its graph is drawn with :func:`draw_dot`), or a drawing from
            :func:`draw_dot` or :func:`draw_model` (any ``graphviz`` graph works).
        path: ``*.svg`` or ``*.png``; ``*.pdf`` only with system Graphviz.
        **draw_options: passed to :func:`draw_dot` when ``obj`` is a Value, e.g.
            ``rankdir="TB"`` or ``color_by="sign"``.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for an unknown suffix, a graph too large for ``draw_dot``, or a
            ``path`` that is a folder, a named pipe, a device or a socket.
        NoRendererError: (a ``RuntimeError``) if no Graphviz program is installed;
            the message names both fixes.
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
    source = _source(obj, draw_options)
    data = pipe(source, FORMATS[suffix], dpi=PNG_DPI if suffix == ".png" else None)
    write_atomically(path, lambda f: f.write(data), binary=True, function="render")
    return path


def _source(obj: Any, draw_options: dict[str, Any]) -> str:
    source = getattr(obj, "source", None)
    if isinstance(source, str):  # a graphviz graph
        if draw_options:
            raise TypeError(
                f"render: options {sorted(draw_options)} apply to a Value, not to a drawing"
            )
        return source
    if hasattr(obj, "parents") and hasattr(obj, "data"):
        return str(draw_dot(obj, **draw_options).source)
    raise TypeError(f"render needs a Value or a graphviz drawing, got {type(obj).__name__}")
