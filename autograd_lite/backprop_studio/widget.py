"""The notebook widget: the studio's ES module run by anywidget, synced with the kernel.

anywidget runs one ES module of ours (``static/studio.js``) in Jupyter Notebook,
JupyterLab, VS Code and Colab. The kernel sends the recording and the views (each
with its SVG) as two synced traits; the module plays the steps by itself and sends
one message back, when the learner sets a leaf's value, for the kernel to recompute
through the engine (the kernel answers with new traits, or with an ``error`` message
the module shows).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

STATIC = Path(__file__).with_name("static")
INSTALL_HINT = "the studio widget needs anywidget: pip install 'autograd-lite[studio]'"


def make_widget(
    recording: dict[str, Any],
    views: list[dict[str, Any]],
    on_set_leaf: Callable[[str, float], None],
) -> Any:
    """A widget showing a recorded graph.

    Args:
        recording: the recording as JSON-ready data.
        views: the views, each with its laid-out SVG.
        on_set_leaf: called with a leaf's id and its new value when the learner sets it.

    Returns:
        An ``anywidget.AnyWidget`` with traits ``recording`` and ``views``.

    Raises:
        ImportError: if anywidget is not installed, naming the extra to install.
    """
    try:
        import anywidget
        import traitlets
    except ImportError as e:
        raise ImportError(INSTALL_HINT) from e

    class StudioWidget(anywidget.AnyWidget):  # type: ignore[misc]
        _esm = STATIC / "studio.js"
        _css = STATIC / "studio.css"
        recording: Any = traitlets.Dict().tag(sync=True)
        views: Any = traitlets.List().tag(sync=True)

    widget = StudioWidget(recording=recording, views=views)

    def handle(_: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "set_leaf":
            try:
                on_set_leaf(str(content.get("id")), content.get("value"))  # type: ignore[arg-type]
            except ValueError as e:  # a value outside an op's domain: say so on the widget
                widget.send({"type": "error", "text": str(e)})

    widget.on_msg(handle)
    return widget
