"""Writing a studio as one HTML file that plays anywhere, with no network and no kernel.

The page holds everything: the same ES module the notebook widget runs, its CSS, the
laid-out SVG of each view and the recorded steps as JSON. Its model is a plain object in place of
the kernel's, so the page plays the recorded steps but cannot recompute new values.
"""

from __future__ import annotations

import html
import json
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
    state = _script_json({"recording": recording, "views": views})
    module = static_text("studio.js")
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
<script type="application/json" id="studio-state">{state}</script>
<script type="module">
{module}
const state = JSON.parse(document.getElementById("studio-state").textContent);
const model = {{ get: (key) => state[key], on: () => {{}}, send: null }};
render({{ model, el: document.getElementById("studio") }});
</script>
</body>
</html>
"""


def save_html(
    path: str | Path, recording: dict[str, Any], views: list[dict[str, Any]], title: str
) -> Path:
    """Write :func:`page_html` to ``path``, all or nothing.

    Args:
        path: the file to write (``.html``); its folder must exist.
        recording, views, title: as for :func:`page_html`.

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
    text = page_html(recording, views, title)
    write_atomically(target, lambda f: f.write(text), function="save_html")
    return target
