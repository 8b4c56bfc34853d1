"""The notebook widget: the studio's ES module run by anywidget, synced with the kernel.

anywidget runs one ES module of ours (``static/studio.js``) in Jupyter Notebook,
JupyterLab, VS Code and Colab. The kernel sends the recording and the views (each
with its SVG) as two synced traits; the module plays the steps by itself and sends
one message back, when the learner sets a leaf's value, for the kernel to recompute
through the engine (the kernel answers with new traits, or with an ``error`` message
the module shows).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..nn.layers import ACTIVATIONS

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
    """What the training widget draws, but the history (which travels as new points
    only): ``points``, ``picture`` (:meth:`~.training.TrainingSession.picture`),
    ``weights``, ``optimizer``, ``trace`` (of the ``selected`` point, or None) and
    ``status``."""
    optimizer = session.optimizer
    return {
        "points": [
            [float(a), float(b), int(c)] for (a, b), c in zip(session.X, session.y, strict=True)
        ],
        "picture": session.picture(),
        "weights": session.weights(),
        "optimizer": session.optimizer_state(),
        "trace": session.trace_point(selected) if selected is not None else None,
        "status": {
            "playing": session.playing,
            "epoch": session.epoch,
            "epochs": session.epochs,
            "classes": session.classes,
            "batch": session.batch_size,
            "points": len(session.X),
            "lr": optimizer.lr,
            "l2": session.l2,
            "speed": session.speed,
            "activation": session.activation,
            "model_activation": session.model.activation,
            "activations": list(ACTIVATIONS),
            "scheduled": session.lr_schedule is not None,
            "test": session.test is not None,
            "history_length": len(session.history),
            "resets": session.resets,
            "error": session.error,
            "note": session.note,
        },
    }


class _Throttle:
    """Calls ``sync`` at most once every ``interval`` seconds, from its own thread, however
    often :meth:`request` is called; a request made meanwhile is served by the next call.

    The training thread may finish a step every millisecond: each step only asks, and
    the page receives at most 1 / interval states a second, always the latest.
    """

    def __init__(
        self,
        sync: Callable[[], None],
        interval: float,
        on_error: Callable[[Exception], None],
    ) -> None:
        self.sync = sync
        self.interval = interval
        self.on_error = on_error
        self._asked = threading.Event()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        self._asked.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, daemon=True)
            self._thread.start()

    def _serve(self) -> None:
        while True:
            self._asked.wait()
            self._asked.clear()
            started = time.perf_counter()
            try:
                self.sync()
            except Exception as e:  # said on the widget; the thread serves the next request
                self.on_error(e)
            time.sleep(max(0.0, self.interval - (time.perf_counter() - started)))


SYNC_INTERVAL = 0.1  # seconds between two states sent while training plays


def make_training_widget(session: Any) -> Any:
    """A widget that trains ``session`` (a :class:`.training.TrainingSession`) live.

    The module (``static/training.js``) draws the data with the decision boundary, the
    losses, the network with each neuron's heat-map, the optimizer's table and one
    chosen point's pass through the network, at most 25 frames a second from the
    latest state, and sends back what the learner does: ``play``, ``pause``, ``step``
    (an epoch or a batch), ``more`` (epochs past the plan), ``reset``, ``configure``
    (lr, batch size, l2, speed, activation), ``add`` and ``delete`` a point, ``select``
    a point, and ``hello`` (a new view asking for the whole history).

    The kernel sends the state as one trait, ``frame`` (at most 10 a second while
    training plays), and the history as messages ``{"type": "history", "from": k,
    "points": [...]}`` holding only the points after the first ``k``.

    Raises:
        ImportError: if anywidget is not installed, naming the extra to install.
    """
    anywidget, traitlets = _widget_modules()

    class TrainingWidget(anywidget.AnyWidget):  # type: ignore[misc,name-defined]
        _esm = STATIC / "training.js"
        _css = STATIC / "studio.css"
        frame: Any = traitlets.Dict().tag(sync=True)

    widget = TrainingWidget()
    selected: list[int | None] = [None]
    lock = threading.RLock()
    sent = {"points": 0, "resets": session.resets}

    def send_history(start: int | None = None) -> None:
        history = session.history
        if start is None:
            start = sent["points"]
            if start > len(history) or sent["resets"] != session.resets:
                start = 0
        points = history[start:]
        if points or start == 0:
            widget.send({"type": "history", "from": start, "points": points})
        sent["points"], sent["resets"] = len(history), session.resets

    def sync() -> None:
        with lock:
            state = training_state(session, selected[0])
            send_history()  # before the frame that counts them
            widget.frame = state

    def cannot_draw(e: Exception) -> None:
        widget.send({"type": "error", "text": f"the studio cannot draw: {type(e).__name__}: {e}"})

    throttle = _Throttle(sync, SYNC_INTERVAL, cannot_draw)

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
                try:
                    session.step(content.get("unit", "epoch"))
                except Exception as e:  # as in the training thread: shown, kept
                    session.error = f"{type(e).__name__}: {e}"
            elif kind == "more":
                session.more(content.get("n"))
            elif kind == "reset":
                selected[0] = None
                session.reset()
            elif kind == "configure":
                settings = content.get("settings")
                if not isinstance(settings, dict):
                    raise ValueError(f"configure: settings must be a dict, got {settings!r}")
                session.configure(**settings)
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
            elif kind == "hello":
                with lock:
                    send_history(0)
                return
        except (TypeError, ValueError) as e:
            widget.send({"type": "error", "text": str(e)})
        sync()  # what the learner did shows at once

    session.on_change = throttle.request
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
