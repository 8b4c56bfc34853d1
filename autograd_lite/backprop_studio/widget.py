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
INSTALL_HINT = "the studio widget needs anywidget: pip install anywidget"


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
    anywidget, traitlets = _widget_modules()

    class StudioWidget(anywidget.AnyWidget):  # type: ignore[misc,name-defined]
        _esm = STATIC / "studio.js"
        _css = STATIC / "studio.css"
        recording: Any = traitlets.Dict().tag(sync=True)
        views: Any = traitlets.List().tag(sync=True)

    widget = StudioWidget(recording=recording, views=views)

    def handle(_: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "set_leaf":
            try:
                on_set_leaf(str(content.get("id")), content.get("value"))  # type: ignore[arg-type]
            except (TypeError, ValueError) as e:  # a bad value, or one outside an op's domain
                widget.send({"type": "error", "text": str(e)})

    widget.on_msg(handle)
    return widget


def training_state(session: Any, selected: int | None) -> dict[str, Any]:
    """What the training widget draws, as its synced traits: ``points``, ``boundary``,
    ``history``, ``weights``, ``trace`` (of the ``selected`` point, or None) and
    ``status``."""
    return {
        "points": [
            [float(a), float(b), int(c)] for (a, b), c in zip(session.X, session.y, strict=True)
        ],
        "boundary": session.boundary(),
        "history": list(session.history),
        "weights": session.weights(),
        "trace": session.trace_point(selected) if selected is not None else None,
        "status": {
            "playing": session.playing,
            "epoch": session.epoch,
            "epochs": session.epochs,
            "classes": session.classes,
            "batch": session.batch_size,
            "error": session.error,
        },
    }


def make_training_widget(session: Any) -> Any:
    """A widget that trains ``session`` (a :class:`.training.TrainingSession`) live.

    The module (``static/training.js``) draws the data with the decision boundary, the
    loss curve, the weights and one chosen point's pass through the network, and sends
    back what the learner does: ``play``, ``pause``, ``step`` (an epoch or a batch),
    ``add`` and ``delete`` a point, ``select`` a point.

    Raises:
        ImportError: if anywidget is not installed, naming the extra to install.
    """
    anywidget, traitlets = _widget_modules()

    class TrainingWidget(anywidget.AnyWidget):  # type: ignore[misc,name-defined]
        _esm = STATIC / "training.js"
        _css = STATIC / "studio.css"
        points: Any = traitlets.List().tag(sync=True)
        boundary: Any = traitlets.Dict().tag(sync=True)
        history: Any = traitlets.List().tag(sync=True)
        weights: Any = traitlets.List().tag(sync=True)
        trace: Any = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
        status: Any = traitlets.Dict().tag(sync=True)

    widget = TrainingWidget()
    selected: list[int | None] = [None]

    def sync() -> None:
        state = training_state(session, selected[0])
        with widget.hold_sync():
            for key, value in state.items():
                setattr(widget, key, value)

    def handle(_: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "play":
                session.play(content.get("unit", "epoch"))
            elif kind == "pause":
                session.pause()
            elif kind == "step":
                session.step(content.get("unit", "epoch"))
            elif kind == "add":
                session.add_point(content.get("x1"), content.get("x2"), content.get("label"))
            elif kind == "delete":
                index = content.get("index")
                before = selected[0]
                if before is not None and isinstance(index, int) and before >= index:
                    # the chosen point goes, or moves down one place
                    selected[0] = None if before == index else before - 1
                try:
                    session.delete_point(index)
                except ValueError:
                    selected[0] = before
                    raise
            elif kind == "select":
                index = content.get("index")
                if index is not None and not 0 <= int(index) < len(session.X):
                    raise ValueError(f"select: index out of range, got {index!r}")
                selected[0] = None if index is None else int(index)
                sync()
        except ValueError as e:
            widget.send({"type": "error", "text": str(e)})

    session.on_change = sync
    sync()
    widget.on_msg(handle)
    return widget


def _widget_modules() -> tuple[Any, Any]:
    """anywidget and traitlets, or an ImportError naming the extra to install."""
    try:
        import anywidget
        import traitlets
    except ImportError as e:
        raise ImportError(INSTALL_HINT) from e
    return anywidget, traitlets
