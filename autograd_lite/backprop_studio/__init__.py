"""Backprop Studio (``ag.studio``): a graph's passes step by step, in a notebook or a page.

``ag.studio(out)`` records every step of ``out``'s forward pass (one op at a time, in
topological order) and of its backward pass (the seed, then one chain-rule edge at a
time, as :func:`autograd_lite.explain` lists them), lays the graph out once with
Graphviz, and shows it as a notebook widget that plays the steps. ``.save_html(path)``
writes the same player as one self-contained page. ``ag.studio(model, X, y)`` trains a
network live in a widget instead.

One job per module:

* :mod:`.recording` — the steps, from the engine;
* :mod:`.orders` — the backward pass in the engine's order and in two wrong ones;
* :mod:`.groups` — which nodes of a network's graph make each neuron and layer;
* :mod:`.views` — the whole graph, or a network's collapsed by layer and neuron;
* :mod:`.layout` — the SVG of a view, with ids the player can find;
* :mod:`.replay` — the graph again with new leaf values;
* :mod:`.training` — a network trained a step at a time, in a background thread;
* :mod:`.widget` — the anywidget views (anywidget comes with the ``[studio]`` extra);
* :mod:`.page` — the self-contained HTML file;
* ``static/studio.js``, ``static/training.js`` and ``static/studio.css`` — what the
  browser runs.

A graph's page and widget expose ``window.autogradLiteStudio`` with ``steps()``,
``step(k)`` and ``state()``, for tests and other automation.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine import Value, topological_order
from ..support.checks import finite_number
from . import layout, page, views
from .groups import check_model, network_names
from .recording import MAX_NODES, Recording, record
from .replay import replay
from .widget import INSTALL_HINT, make_training_widget, make_widget

if TYPE_CHECKING:  # the training view needs numpy; it is imported when one is made
    from .training import TrainingSession

__all__ = ["Studio", "TrainingStudio", "studio", "Recording", "record"]

DEFAULT_MAX_NODES = 400  # drawn node by node up to this size


class Studio:
    """A recorded graph, shown as a widget in Jupyter and savable as a page.

    Make one with :func:`studio`.

    Attributes:
        output: the Value shown (after a leaf is changed in the widget, the output of
            the graph made again with the new value; the Values you passed are never
            changed).
        model: the network whose neurons and layers the collapsed views group, or None.
        recording: the :class:`Recording` of its steps.
        views: the :class:`~.views.View` s, each with its SVG; the first is shown first.
        title: the page's title.
    """

    def __init__(self, output: Value, model: Any, max_nodes: int, title: str) -> None:
        self.model = model
        self.max_nodes = max_nodes
        self.title = title
        self._widget: Any = None
        # a leaf changed in the widget is a new Value, standing for the original
        self._stand_ins: dict[Value, Value] = {}
        self._show(output)

    def _show(self, output: Value) -> None:
        order = topological_order(output)
        if len(order) > self.max_nodes and self.model is None:
            raise ValueError(
                f"studio: this graph has {len(order):,} nodes, more than max_nodes="
                f"{self.max_nodes}, too many to draw one by one; if it is a network's graph, "
                f"pass model= to see it collapsed by layer and neuron, else record a smaller "
                f"expression or pass a larger max_nodes"
            )
        names = None if self.model is None else network_names(self.model, order, self._stand_ins)
        recorded = record(output, MAX_NODES, names)
        shown = [views.full_view()] if len(order) <= self.max_nodes else []
        if self.model is not None:
            shown += views.network_views(self.model, recorded, order, self._stand_ins)
        if not shown:
            raise ValueError(
                f"studio: this graph has {len(order):,} nodes, more than max_nodes="
                f"{self.max_nodes}, and uses no neuron of model, so it cannot be collapsed"
            )
        for view in shown:
            view.svg = layout.svg(recorded, view)
        self.output = output
        self.recording = recorded
        self.views = shown

    def _views_json(self) -> list[dict[str, Any]]:
        return [view.to_json() for view in self.views]

    def steps(self) -> int:
        """How many steps there are after step 0 (forward, then backward)."""
        return self.recording.steps()

    def save_html(self, path: str | Path) -> Path:
        """Write the studio as one HTML file that plays the recorded steps in any browser.

        Every script and style is inside the file and it loads nothing from the
        network: keep it for slides, a course site or a bug report.

        Args:
            path: the file to write; its folder must exist.

        Returns:
            The path written.

        Raises:
            TypeError: if ``path`` is not a str or a Path.
            ValueError: if the folder does not exist, or ``path`` is empty, a folder,
                a named pipe, a device or a socket (or a link to one).
        """
        recording, shown = self.recording.to_json(), self._views_json()
        return page.save_html(path, lambda: page.page_html(recording, shown, self.title))

    @property
    def widget(self) -> Any:
        """The notebook widget (made on first use; needs ``autograd-lite[studio]``)."""
        if self._widget is None:
            self._widget = make_widget(self.recording.to_json(), self._views_json(), self.set_leaf)
        return self._widget

    def set_leaf(self, node_id: str, value: float) -> None:
        """Give a leaf a new value and recompute every value and gradient with the engine.

        Args:
            node_id: the leaf's id in the recording (``"n0"``).
            value: its new value, a finite number.

        Raises:
            TypeError: if ``value`` is not a number (a str, None, a bool).
            ValueError: if ``node_id`` is not a leaf's id, ``value`` is not a finite
                number (nan, inf, an int too large for a float), or an op refuses the
                new value (``log`` of a negative number).
        """
        ids = {node["id"]: k for k, node in enumerate(self.recording.nodes)}
        if node_id not in ids or self.recording.nodes[ids[node_id]]["parents"]:
            raise ValueError(f"set_leaf: node_id must be the id of a leaf, got {node_id!r}")
        number = finite_number(value, "set_leaf", "value")
        index = ids[node_id]
        old = topological_order(self.output)[index]
        new_output = replay(self.output, {index: number})
        new = topological_order(new_output)[index]
        original = next((o for o, n in self._stand_ins.items() if n is old), old)
        before = self._stand_ins.get(original)
        self._stand_ins[original] = new
        try:
            self._show(new_output)
        except BaseException:
            if before is None:
                del self._stand_ins[original]
            else:
                self._stand_ins[original] = before
            raise
        if self._widget is not None:
            with self._widget.hold_sync():  # one update: the views match the recording
                self._widget.views = self._views_json()
                self._widget.recording = self.recording.to_json()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        picture = page.still_html(self.title, self.views[0].svg)
        without = f"{INSTALL_HINT}; .save_html(path) works without"
        return _displayed(self, include, exclude, without, picture)

    def __repr__(self) -> str:
        n = len(self.recording.nodes)
        return f"<Studio of {self.title!r}: {n} nodes, {self.steps()} steps>"


class TrainingStudio:
    """A network trained live in a widget: see :func:`studio` with ``X`` and ``y``.

    Attributes:
        session: the :class:`~.training.TrainingSession` (its model, data, optimizer
            and history); ``play``, ``pause``, ``step``, ``more``, ``reset``,
            ``configure``, ``add_point`` and ``delete_point`` are its own, so a notebook
            cell can drive it too.
        title: the saved page's title.
    """

    def __init__(self, session: TrainingSession, title: str = "Backprop Studio: training") -> None:
        self.session = session
        self.title = title
        self.play = session.play
        self.pause = session.pause
        self.step = session.step
        self.more = session.more
        self.reset = session.reset
        self.configure = session.configure
        self.add_point = session.add_point
        self.delete_point = session.delete_point
        self._widget: Any = None

    @property
    def history(self) -> list[dict[str, Any]]:
        """One dict per training step: ``epoch``, ``unit``, ``loss``, ``accuracy``."""
        return self.session.history

    @property
    def widget(self) -> Any:
        """The notebook widget (made on first use; needs ``autograd-lite[studio]``)."""
        if self._widget is None:
            self._widget = make_training_widget(self.session)
        return self._widget

    def save_html(self, path: str | Path) -> Path:
        """Write one HTML file that replays the training so far in any browser: the data
        with the decision boundary, the losses and the network, epoch by epoch (up to
        200 epochs of it, evenly spaced, the last always among them).

        Args:
            path: the file to write; its folder must exist.

        Returns:
            The path written.

        Raises:
            TypeError: if ``path`` is not a str or a Path.
            ValueError: if the folder does not exist, or ``path`` is empty, a folder,
                a named pipe, a device or a socket (or a link to one).
        """
        return page.save_html(
            path, lambda: page.training_page_html(self.session.replay(), self.title)
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        s = self.session
        picture = page.still_html(
            f"{self.title}: epoch {s.epoch} / {s.epochs}",
            page.training_still_svg(s.picture(), s.X.tolist(), s.y.tolist()),
        )
        return _displayed(self, include, exclude, INSTALL_HINT, picture)

    def __repr__(self) -> str:
        s = self.session
        return f"<TrainingStudio: {len(s.X)} points, epoch {s.epoch} of {s.epochs}>"


def studio(
    out: Any,
    X: Any = None,
    y: Any = None,
    *,
    model: Any = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    title: str | None = None,
    **fit_args: Any,
) -> Studio | TrainingStudio:
    """Backprop Studio for the graph of ``out``: step through its forward and backward pass.

    Shown in Jupyter (Notebook, Lab, VS Code, Colab) it is a widget: step forward and
    each op node gets its value, in topological order; step on through the backward
    pass and each chain-rule edge lights up with its arithmetic,
    ``dL/da += ∂n/∂a × dL/dn = local × upstream``, and the running gradient of ``a``.
    A node not reached yet shows no gradient. Click a node for its whole chain-rule
    expansion back to the output; click a leaf to change its value (the kernel
    recomputes). The "backward" menu replays the pass in a naive recursive order and
    with ``=`` for ``+=``, and marks the first node whose gradient comes out wrong.

    Given the ``model`` whose output ``out`` is (or whose output a loss ``out`` is made
    from), the studio also offers the graph collapsed: a box per layer, a box per
    neuron (click a layer), one neuron's multiply-adds (click a neuron). A graph with
    more than ``max_nodes`` nodes is shown only collapsed.

    ``ag.studio(model, X, y, ...)``, with the arguments of :func:`autograd_lite.train.fit`,
    trains the network live instead: play (at a chosen speed), pause, step one epoch or
    one batch, reset, or train on past the planned epochs; set the learning rate, batch
    size, L2 and activation in the page; the probability-shaded decision boundary, the
    training (and test) loss, each neuron's heat-map, the weights and the optimizer's
    state per parameter update as it trains; pick a point to see its forward and
    backward pass through the network; click on the data to add points of any class or
    delete points and keep training. Training runs in a background thread, so the
    kernel stays free, and the page draws at most 25 frames a second from the latest
    state. It needs 2-D data (``X`` of shape (n, 2)) and the widget
    (``autograd-lite[studio]``); ``.save_html(path)`` keeps a page that replays the run.

    Args:
        out: the Value whose graph to show (a loss, an output); or, with ``X`` and
            ``y``, the ``nn.MLP`` to train.
        X, y: the data to train on, as for ``fit``.
        model: an ``nn.MLP`` for the collapsed views, or None.
        max_nodes: the most nodes drawn one by one (more are slow to lay out and hard
            to read); a larger graph needs ``model``.
        title: a title for the saved page; defaults to the output's label.
        fit_args: with ``X`` and ``y``: ``loss``, ``optimizer``, ``epochs`` (where
            playing stops), ``batch_size``, ``lr_schedule``, ``l2``, ``seed``,
            ``threshold``, ``compiled``, as for ``fit`` (``progress`` is accepted and
            has nothing to do: the widget shows the progress); and ``speed``, epochs a
            second while playing (default 10; None for as fast as it can), and
            ``test=(X_test, y_test)``, points whose loss is shown beside the training
            loss.

    Returns:
        A :class:`Studio`: display it, or ``.save_html(path)`` for a page to keep; with
        ``X`` and ``y``, a :class:`TrainingStudio`.

    Raises:
        TypeError: if ``out`` is not a Value, or ``model`` not an ``nn.MLP``.
        ValueError: if the graph has more than ``max_nodes`` nodes and no ``model``
            to collapse it by (or more than 5,000 nodes).

    Example:
        >>> import autograd_lite as ag
        >>> x = ag.Value(2.0, label="x"); w = ag.Value(-3.0, label="w")
        >>> s = ag.studio((x * w).tanh())
        >>> s.steps(), [view.name for view in s.views]
        (6, ['graph'])
        >>> net = ag.nn.MLP(2, [16, 16, 1], seed=0)
        >>> s = ag.studio(net([0.5, -1.0]), model=net)
        >>> [view.name for view in s.views][:4]
        ['network', 'neurons', 'neuron L1 N1', 'neuron L1 N2']
    """
    if X is not None or y is not None:
        if X is None or y is None:
            raise TypeError("studio: the training view needs both X and y")
        fit_args.pop("progress", None)
        from .training import TrainingSession

        session = TrainingSession(out, X, y, **fit_args)
        return TrainingStudio(session, title or "Backprop Studio: training")
    if fit_args:
        raise TypeError(
            f"studio: {sorted(fit_args)[0]!r} is an argument of the training view, "
            f"which needs X and y"
        )
    if not isinstance(out, Value):
        raise TypeError(
            f"studio: out must be a Value (or, with X and y, a model), got {type(out).__name__}"
        )
    if title is not None and not isinstance(title, str):
        raise TypeError(f"studio: title must be a str, got {type(title).__name__}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"studio: max_nodes must be a positive int, got {max_nodes!r}")
    if model is not None:
        check_model(model)
    return Studio(out, model, max_nodes, title or out.label or "Backprop Studio")


def _displayed(
    studio: Any, include: Any, exclude: Any, without: str, picture: str
) -> dict[str, Any]:
    """What Jupyter shows of a studio: its widget, with a still ``picture`` (HTML) and its
    repr as the fallbacks that a saved notebook keeps for a reader without the kernel;
    without anywidget, the picture and the repr with ``without``."""
    try:
        widget = studio.widget
    except ImportError:
        return {"text/plain": f"{studio!r}\n({without})", "text/html": picture}
    shown = widget._repr_mimebundle_(include=include, exclude=exclude)
    # ipywidgets returns the data alone, or (data, metadata)
    data, metadata = shown if isinstance(shown, tuple) else (shown, None)
    data = {**data, "text/plain": repr(studio), "text/html": picture}
    return data if metadata is None else (data, metadata)  # type: ignore[return-value]
