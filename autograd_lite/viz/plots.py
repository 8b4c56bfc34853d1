"""Matplotlib pictures of training: the decision boundary and the loss curve.

Both functions build a ``matplotlib.figure.Figure`` directly, never through
``pyplot``: no window opens, no global figure is left behind, and they work on a
server with no display. Save one with ``fig.savefig("boundary.png")``; in Jupyter a
Figure shows itself. matplotlib and numpy are imported on first use.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..support.checks import callable_, finite_number, whole_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# tab10: class k is drawn in colour k, as points and (paler) as its region.
CLASS_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def _new_figure(figsize: tuple[float, float]) -> Figure:
    """A Figure outside pyplot's global state that still shows itself in Jupyter.

    Without pyplot, a fresh kernel has no display hook for Figures and prints only
    ``<Figure size ...>``; the instance's own ``_repr_png_`` fills that gap (IPython's
    inline backend, when it is active, takes precedence).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")

    def png() -> bytes:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    fig._repr_png_ = png  # type: ignore[attr-defined]
    return fig


def _pale(color: str, share: float = 0.3) -> str:
    """``color`` mixed with white: ``share`` of the colour, the rest white."""
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    r, g, b = (round(255 + (c - 255) * share) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def _class_color(k: int, pale: bool = False) -> str:
    color = CLASS_COLORS[k % len(CLASS_COLORS)]
    return _pale(color) if pale else color


def _as_floats(out: Any) -> list[float]:
    """A model's output (a Value, a list of Values, or numbers) as floats."""
    items = out if isinstance(out, list | tuple) else [out]
    return [float(v.data) if hasattr(v, "data") else float(v) for v in items]


def _scores(model: Any, points: Any, predict: Callable[[Any], Any] | None) -> Any:
    """The model's outputs at each point: shape (n,) for one output, (n, k) for k."""
    import numpy as np

    from ..engine import no_grad

    if predict is not None:
        out = np.asarray(predict(points), dtype=float)
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if out.shape[0] != len(points) or out.ndim not in (1, 2):
            raise ValueError(
                f"predict must return one score or one row of scores per point; "
                f"for {len(points)} points it returned shape {out.shape}"
            )
        return out
    with no_grad():
        rows = [_as_floats(model(p)) for p in points.tolist()]
    out = np.array(rows, dtype=float)
    return out[:, 0] if out.shape[1] == 1 else out


def _finite_array(values: Any, argument: str) -> Any:
    """``values`` as a float array, or an error naming the first entry that is not finite."""
    import numpy as np

    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"plot_decision_boundary: {argument} must be an array of numbers, "
            f"got {type(values).__name__}"
        ) from None
    if not np.isfinite(array).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        index = "".join(f"[{i}]" for i in where)
        raise ValueError(
            f"plot_decision_boundary: {argument} must hold finite numbers, "
            f"got {float(array[where])!r} at {argument}{index}"
        )
    return array


def plot_decision_boundary(
    model: Callable[[Any], Any],
    X: Any,
    y: Any,
    *,
    resolution: int = 60,
    threshold: float = 0.0,
    predict: Callable[[Any], Any] | None = None,
    title: str | None = None,
) -> Figure:
    """Colour the plane by the class the model predicts, with the data on top.

    The model is evaluated on a ``resolution × resolution`` grid around the data,
    under :func:`autograd_lite.no_grad` (no graph is built). With one output the
    predicted class is 1 where the output exceeds ``threshold`` and the boundary is
    drawn where it crosses it; with several outputs (class logits) it is the argmax.

    Args:
        model: maps 2 numbers to a Value (a score) or a list of Values (logits),
            e.g. an ``nn.MLP(2, [16, 16, 1])``.
        X: inputs, shape (n, 2).
        y: class ids from 0, shape (n,).
        resolution: grid points along each axis (60 takes about a second for a
            16-16-1 MLP; lower it for big models).
        threshold: see above; 0 for scores and logits, 0.5 for sigmoid outputs.
        predict: optional batched version of the model, mapping an (m, 2) numpy
            array to m scores (shape (m,)) or logits (shape (m, k)); much faster
            when you have one.
        title: the axes title; by default the accuracy on ``X``.

    Returns:
        A ``matplotlib.figure.Figure`` with one axes.

    Raises:
        TypeError: if ``model`` or ``predict`` is not callable, or ``X`` or ``y`` is
            not an array of numbers.
        ValueError: naming the argument, for a wrong shape, a nan or inf in ``X`` or
            ``y``, a label that is not a class id, or a bad ``resolution`` or
            ``threshold``.
    """
    import numpy as np

    from ..training.objectives import predicted_classes

    callable_(model, "plot_decision_boundary", "model")
    X = _finite_array(X, "X")
    labels = _finite_array(y, "y").ravel()
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(
            f"plot_decision_boundary: X must have shape (n, 2) with n > 0, got {X.shape}"
        )
    if len(labels) != len(X):
        raise ValueError(
            f"plot_decision_boundary: X has {len(X)} rows but y has {len(labels)} labels"
        )
    if not np.all((labels >= 0) & (labels == np.round(labels))):
        bad = labels[(labels < 0) | (labels != np.round(labels))][0]
        raise ValueError(f"plot_decision_boundary: y must hold class ids 0, 1, ..., got {bad:g}")
    y = labels.astype(int)
    resolution = whole_number(resolution, "plot_decision_boundary", "resolution", at_least=2)
    threshold = finite_number(threshold, "plot_decision_boundary", "threshold")
    if predict is not None:
        callable_(predict, "plot_decision_boundary", "predict")

    low, high = X.min(axis=0), X.max(axis=0)
    pad = np.maximum((high - low) * 0.1, 0.5)
    gx, gy = np.meshgrid(
        np.linspace(low[0] - pad[0], high[0] + pad[0], resolution),
        np.linspace(low[1] - pad[1], high[1] + pad[1], resolution),
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    scores = _scores(model, np.vstack([grid, X]), predict)
    grid_scores, data_scores = scores[: len(grid)], scores[len(grid) :]
    accuracy = float(np.mean(predicted_classes(data_scores, threshold) == y))

    fig = _new_figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    if grid_scores.ndim == 1:
        # Filling the score itself on either side of the threshold gives a smooth edge.
        z = np.ma.masked_invalid(grid_scores.reshape(gx.shape) - threshold)
        lo = min(float(z.min()), 0.0) - 1.0
        hi = max(float(z.max()), 0.0) + 1.0
        ax.contourf(
            gx, gy, z, levels=[lo, 0.0, hi], colors=[_class_color(0, True), _class_color(1, True)]
        )
        if z.min() < 0 < z.max():
            ax.contour(gx, gy, z, levels=[0.0], colors="#333333", linewidths=1.2)
    else:
        # Class c wins where its margin over the best other class is positive; filling
        # and outlining each margin at 0 gives smooth edges, unlike the argmax grid.
        k = grid_scores.shape[1]
        scores = np.nan_to_num(grid_scores, nan=-np.inf)
        for c in range(k):
            others = np.delete(scores, c, axis=1).max(axis=1)
            with np.errstate(invalid="ignore"):
                margin = np.ma.masked_invalid((scores[:, c] - others).reshape(gx.shape))
            if margin.count() and margin.max() > 0:
                ax.contourf(
                    gx, gy, margin, levels=[0.0, float(margin.max()) + 1.0],
                    colors=[_class_color(c, True)],
                )  # fmt: skip
                if margin.min() < 0:
                    ax.contour(gx, gy, margin, levels=[0.0], colors="#333333", linewidths=1.0)
    for c in np.unique(y):
        mask = y == c
        ax.scatter(
            X[mask, 0], X[mask, 1], s=22, color=_class_color(int(c)),
            edgecolors="white", linewidths=0.6, label=f"class {c}", zorder=3,
        )  # fmt: skip
    ax.set_xlim(gx.min(), gx.max())
    ax.set_ylim(gy.min(), gy.max())
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title if title is not None else f"decision boundary (accuracy {accuracy:.1%})")
    ax.legend(loc="best", fontsize=8, framealpha=0.8)
    return fig


def _series(history: Any, key: str) -> list[float] | None:
    if isinstance(history, Mapping):
        values = history.get(key)
    else:
        values = getattr(history, key, None)
    if values is None:
        return None
    return [float(v) for v in values]


def plot_history(history: Any, *, title: str | None = None) -> Figure:
    """Plot the loss per epoch, and the accuracy beside it when recorded.

    Args:
        history: what training returned: a mapping with a ``"loss"`` list and
            optionally an ``"accuracy"`` list (one number per epoch), or an object
            with ``.loss`` and ``.accuracy`` attributes (``train.History`` is both).
        title: a title over the whole figure.

    Returns:
        A ``matplotlib.figure.Figure``: one axes for the loss, a second for the
        accuracy if the history has any.

    Raises:
        ValueError: if there is no loss recorded.
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    loss = _series(history, "loss")
    if not loss:
        raise ValueError("plot_history needs a history with a non-empty 'loss' list")
    accuracy = _series(history, "accuracy") or []

    panels = 2 if accuracy else 1
    fig = _new_figure(figsize=(4.5 * panels, 3.4))
    axes = fig.subplots(1, panels, squeeze=False)[0]
    marker = "o" if len(loss) <= 30 else None

    ax = axes[0]
    ax.plot(range(1, len(loss) + 1), loss, color=CLASS_COLORS[0], marker=marker, markersize=3)
    finite = [v for v in loss if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 100:
        ax.set_yscale("log")  # a loss that falls by orders of magnitude
    ax.set_title(f"loss (last {loss[-1]:.4g})", fontsize=11)
    ax.set_ylabel("loss")

    if accuracy:
        ax = axes[1]
        ax.plot(
            range(1, len(accuracy) + 1),
            accuracy,
            color=CLASS_COLORS[2],
            marker=marker,
            markersize=3,
        )
        ax.set_ylim(min(0.0, min(accuracy)) - 0.02, max(1.0, max(accuracy)) + 0.02)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.set_title(f"accuracy (last {accuracy[-1]:.1%})", fontsize=11)
        ax.set_ylabel("accuracy")

    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title)
    return fig
