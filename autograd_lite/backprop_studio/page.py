"""Writing a studio as one HTML file that plays anywhere, with no network and no kernel.

The page holds everything: the same ES module the notebook widget runs, its CSS, the
laid-out SVG of each view and the recorded steps as JSON. Its model is a plain object in place of
the kernel's, so the page plays the recorded steps but cannot recompute new values.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from ..support.files import check_target, write_atomically


def static_text(name: str) -> str:
    """A file of the package's ``static`` folder (``studio.js`` or ``studio.css``)."""
    folder = resources.files("autograd_lite.backprop_studio").joinpath("static")
    return folder.joinpath(name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (no ``</script>`` can end it early)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_html(
    recording: dict[str, Any], views: list[dict[str, Any]], title: str = "Backprop Studio"
) -> str:
    """The text of a self-contained page for a recorded graph.

    Args:
        recording: the recording as JSON-ready data (:meth:`Recording.to_json`).
        views: the views, each with its laid-out SVG (:meth:`.views.View.to_json`).
        title: the page's title.

    Returns:
        The HTML text: one file, every script and style inside it.
    """
    return _page("studio.js", {"recording": recording, "views": views}, title)


def training_page_html(replay: dict[str, Any], title: str = "Backprop Studio: training") -> str:
    """The text of a self-contained page that replays a training run.

    Args:
        replay: :meth:`.training.TrainingSession.replay`'s data.
        title: the page's title.
    """
    return _page("training.js", {"replay": replay}, title)


def _page(module_name: str, state: dict[str, Any], title: str) -> str:
    """One HTML file: the module ``module_name``, the CSS, and ``state`` as JSON that the
    module reads through a model that is a plain object (``send`` is null: no kernel)."""
    data = _script_json(state)
    module = static_text(module_name)
    # The module's own `export default` line is harmless in an inline module script;
    # the page then calls its render() with a model that is a plain object.
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body {{ margin: 16px; }}
{static_text("studio.css")}
</style>
</head>
<body>
<h3 style="font-family: Helvetica, Arial, sans-serif">{html.escape(title)}</h3>
<div id="studio"></div>
<script type="application/json" id="studio-state">{data}</script>
<script type="module">
{module}
const state = JSON.parse(document.getElementById("studio-state").textContent);
const model = {{ get: (key) => state[key], on: () => {{}}, send: null }};
render({{ model, el: document.getElementById("studio") }});
</script>
</body>
</html>
"""


def save_html(path: str | Path, make_text: Callable[[], str]) -> Path:
    """Write the page ``make_text()`` makes to ``path``, all or nothing.

    Args:
        path: the file to write (``.html``); its folder must exist.
        make_text: makes the page's text (:func:`page_html`, :func:`training_page_html`),
            called once the path is known to be good.

    Returns:
        The path written, as a ``Path``.

    Raises:
        TypeError: if ``path`` is not a str or a Path.
        ValueError: if ``path`` is empty, holds a NUL, is a folder, a named pipe, a
            device or a socket (or links to one), or its folder does not exist.
    """
    if not isinstance(path, str | Path):
        raise TypeError(f"save_html: path must be a str or Path, got {type(path).__name__}")
    target = check_target(path, "save_html")
    if not target.parent.is_dir():
        raise ValueError(f"save_html: the folder of path {str(path)!r} does not exist")
    text = make_text()
    write_atomically(target, lambda f: f.write(text), function="save_html")
    return target


CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")  # as the page's
AREA_COLORS = ("#dbe9f6", "#f9d9d9", "#dcf0dc", "#e8e0f2", "#ffe7cc", "#eadbd7")


def still_html(title: str, svg: str) -> str:
    """A still picture of a studio as HTML (no script): what a saved notebook shows
    where the widget cannot run (no kernel, no widget manager)."""
    return (
        f'<div class="agl-still"><div style="font-family: Helvetica, Arial, sans-serif">'
        f"{html.escape(title)} (a still picture: run the cell for the live studio)</div>"
        f'<div style="max-width: 100%; overflow: auto">{svg}</div></div>'
    )


def training_still_svg(picture: dict[str, Any], X: list[list[float]], y: list[int]) -> str:
    """The data over its predicted classes, as one SVG of plain shapes (300 × 300)."""
    n = picture["n"]
    x0, x1, y0, y1 = picture["bounds"]
    cell = 300 / n
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300">']
    for i, c in enumerate(picture["classes"]):
        col, row = i % n, i // n
        parts.append(
            f'<rect x="{col * cell:.1f}" y="{300 - (row + 1) * cell:.1f}" width="{cell + 0.5:.1f}" '
            f'height="{cell + 0.5:.1f}" fill="{AREA_COLORS[c % len(AREA_COLORS)]}"/>'
        )
    for (a, b), c in zip(X, y, strict=True):
        px, py = (a - x0) / (x1 - x0) * 300, 300 - (b - y0) / (y1 - y0) * 300
        color = CLASS_COLORS[c % len(CLASS_COLORS)]
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{color}" stroke="#fff"/>')
    parts.append("</svg>")
    return "".join(parts)
