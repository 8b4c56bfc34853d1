"""A training loop for classifiers and regressors: ``fit``, plus ``predict`` and ``accuracy``.

    model = nn.MLP(2, [16, 16, 1], seed=0)
    X, y = data.make_moons(100)
    history = fit(model, X, y, loss="hinge", epochs=100)

One epoch visits every sample once, in mini-batches or as one full batch, and each
batch is one gradient step (:mod:`autograd_lite.training.steps`): forward, loss, zero_grad,
backward, update, on the scalar graph or through compiled tapes. What the loss is,
how it reads the labels and how an output becomes a class is the objective's
(:mod:`autograd_lite.training.objectives`). A callable ``loss(outputs, labels) -> Value`` may be
given instead of a name; it receives the batch's model outputs and labels as they are,
and ``threshold`` sets the decision rule for one-output models (class 1 if output >
threshold).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm  # type: ignore[import-untyped]

from ..compiler import TracingError
from ..engine import no_grad
from ..support.collector import collector_paused
from .objectives import LossFn, objective, output_numbers, predicted_classes
from .optim import Adam, Optimizer
from .steps import CompiledStep, Model, TrainingStep, scalar_step

# --- checking the inputs ----------------------------------------------------------


def _numbers(values: Any, name: str, who: str) -> np.ndarray:
    """``values`` as a float64 array of finite real numbers, or a ValueError naming it."""
    if values is None:
        raise ValueError(f"{who}: {name} is None; it must be an array of numbers")
    try:
        array = np.asarray(values)
        if array.dtype.kind not in "biuf" and array.dtype != object:
            raise TypeError
        array = array.astype(np.float64)
    except OverflowError:
        raise ValueError(f"{who}: {name} holds an integer beyond the range of a float") from None
    except (TypeError, ValueError):
        shape = "a 2-D array of real numbers, one row per sample" if name == "X" else "real numbers"
        raise ValueError(f"{who}: {name} must be {shape}") from None
    if not np.isfinite(array).all():
        raise ValueError(f"{who}: {name} contains nan or inf")
    return array


def _inputs(X: Any, who: str) -> list[list[float]]:
    """X as rows of plain floats, checked."""
    array = _numbers(X, "X", who)
    if array.ndim != 2 or len(array) == 0:
        hint = " (for samples of one feature use X.reshape(-1, 1))" if array.ndim == 1 else ""
        raise ValueError(
            f"{who}: X must be a non-empty 2-D array (samples × features), got {array.shape}{hint}"
        )
    return array.tolist()  # type: ignore[no-any-return]


def _class_ids(y: Any, n: int, who: str) -> list[int]:
    """y as plain ints, one class id per row of X, checked."""
    labels = _numbers(y, "y", who)
    if labels.ndim != 1 or len(labels) != n:
        raise ValueError(
            f"{who}: y must hold one label per row of X: X has {n} rows, y has shape {labels.shape}"
        )
    if not _are_class_ids(labels):
        first = int(np.flatnonzero(~_whole(labels))[0])
        bad = labels[first]
        why = "a negative number" if bad < 0 else "not a whole number"
        raise ValueError(
            f"{who}: y must hold class ids 0, 1, ..., got y[{first}] = {bad:g} ({why}); "
            "numbers to fit, such as ±1 targets, train with loss='mse' or 'sse'"
        )
    return [int(c) for c in labels.tolist()]


def _whole(labels: np.ndarray) -> np.ndarray:
    return (labels == np.round(labels)) & (labels >= 0)


def _are_class_ids(labels: np.ndarray) -> bool:
    return labels.ndim == 1 and bool(_whole(labels).all())


def _targets(y: Any, n: int) -> list[Any]:
    """The numbers a regressor fits: one float per row, or a list of k floats per row."""
    targets = _numbers(y, "y", "fit")
    if targets.ndim not in (1, 2) or len(targets) != n:
        raise ValueError(
            f"fit: y must hold one target (or one row of targets) per row of X: X has {n} "
            f"rows, y has shape {targets.shape}"
        )
    return targets.tolist()


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"fit: {name} must be a positive int, got {value!r}")
    return int(value)


# --- training ---------------------------------------------------------------------


_FIELDS = ("loss", "accuracy", "lr")


@dataclass
class History(Mapping[str, list[float]]):
    """What happened in each epoch of ``fit``; read as ``h.loss`` or ``h["loss"]``.

    Attributes:
        loss: the mean batch loss of each epoch (penalty included).
        accuracy: the fraction of samples classified right during each epoch (each
            judged just before the step that used it).
        lr: the learning rate of each epoch.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)

    def __getitem__(self, key: str) -> list[float]:
        if key not in _FIELDS:
            raise KeyError(key)
        return getattr(self, key)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)


def fit(
    model: Model,
    X: Any,
    y: Any,
    loss: str | LossFn = "hinge",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    lr_schedule: Callable[[int], float] | None = None,
    l2: float = 0.0,
    progress: bool = True,
    seed: int | None = 0,
    threshold: float | None = None,
    compiled: bool | None = None,
) -> History:
    """Train ``model`` to classify the rows of ``X`` as ``y`` (or, with mse or sse, to fit them).

    Args:
        model: e.g. an ``nn.MLP``; its outputs must suit the loss (see the module notes).
        X: inputs, shape (n, features).
        y: class ids 0, 1, ..., shape (n,); with ``loss="mse"`` or ``"sse"`` also numbers
            to fit (a regressor), shape (n,) or (n, outputs), e.g. the lecture's ±1 targets;
            a regressor's history has no accuracy.
        loss: ``"hinge" "bce" "mse" "sse" "cross_entropy"``, or a callable
            ``loss(outputs, labels) -> Value``.
        optimizer: updates the weights; default ``optim.Adam(model.parameters(), lr=0.01)``.
        epochs: number of passes over the data.
        batch_size: samples per step; None for full batch (one step per epoch).
            Mini-batches are drawn in a new random order each epoch.
        lr_schedule: ``epoch -> lr`` (epochs count from 0), set at each epoch's start.
        l2: strength of the penalty ``l2 · Σ w²`` added to the loss.
        progress: show a progress bar with the running loss and accuracy.
        seed: seeds the mini-batch order (its own generator; None for fresh randomness).
        threshold: overrides the decision threshold of one-output models.
        compiled: run each step through compiled tapes (``ag.compile``): the graph of
            one sample's loss is traced once and replayed on the whole batch with numpy,
            tens to hundreds of times faster, with the same gradients to about 1e-12.
            None (the default) compiles a named loss when the model and loss can be
            traced and falls back to the scalar engine when they cannot (a callable loss
            or a model that reads the numbers of its Values, e.g. with ``if v.data > 0``;
            every named loss traces); True insists (a
            ``TracingError`` says why it cannot; a callable loss must then average over
            its samples); False always builds the scalar graph.

    Returns:
        A :class:`History` with one entry per epoch in ``loss``, ``accuracy`` and ``lr``.

    Raises:
        ValueError: for bad data, a loss that does not fit the model or the labels,
            or a step that would make a weight nan or inf (raised by the optimizer).
    """
    goal = objective(loss, threshold)
    rows = _inputs(X, "fit")
    if goal.regression is not None and not _are_class_ids(_numbers(y, "y", "fit")):
        goal = goal.regression  # mse and sse also fit numbers: a regressor
        labels: list[Any] = _targets(y, len(rows))
    else:
        labels = _class_ids(y, len(rows), "fit")
        if goal.binary and max(labels) > 1:
            raise ValueError(
                f"fit: loss {goal.name!r} takes two classes, labels 0 and 1; got {max(labels)}"
            )
    epochs = _positive_int(epochs, "epochs")
    size = len(rows) if batch_size is None else _positive_int(batch_size, "batch_size")
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"fit: l2 must be a finite number >= 0, got {l2!r}")
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"fit: optimizer must be an optimizer such as optim.SGD(model.parameters(), lr=0.1), "
            f"got {type(optimizer).__name__}"
        )
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(
            f"fit: lr_schedule must be a function epoch -> lr (or None), got "
            f"{type(lr_schedule).__name__}; for a constant rate set the optimizer's lr"
        )
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
    ):
        raise ValueError(f"fit: seed must be None or an int >= 0, got {seed!r}")
    if optimizer is None:
        optimizer = Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(seed)
    history = History()
    # A named loss says whether it sums or averages its samples, which the compiled
    # step needs; a callable loss is compiled only on request (and then must be traceable).
    named = isinstance(loss, str)
    step: TrainingStep = (
        CompiledStep(None if named else "mean")
        if compiled or (compiled is None and named)
        else scalar_step
    )
    n = len(rows)
    inputs, targets = np.array(rows), np.array(labels)  # batches are slices of these
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    try:
        for epoch in bar:
            if lr_schedule is not None:
                _set_lr(optimizer, lr_schedule, epoch)
            order = None if size >= n else rng.permutation(n)
            total = 0.0
            correct = 0
            with collector_paused():
                for start in range(0, n, size):
                    if order is None:  # the full batch: the arrays themselves
                        xb, yb = inputs, targets
                    else:
                        batch = order[start : start + size]
                        xb, yb = inputs[batch], targets[batch]
                    try:
                        batch_loss, batch_correct = step(model, goal, optimizer, xb, yb, l2)
                    except TracingError as e:
                        if compiled or step is scalar_step:
                            raise
                        step = scalar_step  # cannot be traced: build the scalar graph
                        warnings.warn(
                            f"fit: training on the scalar graph, slower, because the "
                            f"loss or model cannot be compiled: {str(e).splitlines()[0]}",
                            RuntimeWarning,
                            stacklevel=2,
                        )
                        batch_loss, batch_correct = step(model, goal, optimizer, xb, yb, l2)
                    total += batch_loss * len(xb)
                    correct += batch_correct
            history.loss.append(total / n)
            history.lr.append(optimizer.lr)
            stats = {"loss": f"{total / n:.4f}"}
            if not goal.fits_numbers:
                history.accuracy.append(correct / n)
                stats["accuracy"] = f"{correct / n:.1%}"
            bar.set_postfix(stats, refresh=False)  # a dict keeps this order; kwargs get sorted
    finally:
        bar.close()
    return history


def _set_lr(optimizer: Optimizer, schedule: Callable[[int], float], epoch: int) -> None:
    value = schedule(epoch)
    try:
        optimizer.lr = value
    except (TypeError, ValueError) as e:
        raise ValueError(f"lr_schedule({epoch}) returned {value!r}: {e}") from None


def predict(model: Model, X: Any, threshold: float = 0.0) -> np.ndarray:
    """The class the model assigns to each row of ``X``.

    Args:
        model: the network.
        X: inputs, shape (n, features).
        threshold: a one-output model predicts class 1 when its output exceeds this
            (0 for scores and logits, 0.5 for outputs trained towards 0/1); a model
            with one output per class predicts the argmax.

    Returns:
        An int array of shape (n,).
    """
    rows = _inputs(X, "predict")
    with no_grad(), collector_paused():
        return predicted_classes(output_numbers([model(x) for x in rows]), threshold)


def accuracy(model: Model, X: Any, y: Any, threshold: float = 0.0) -> float:
    """The fraction of rows of ``X`` whose predicted class equals ``y``.

    Args:
        model: the network.
        X: inputs, shape (n, features).
        y: class ids, shape (n,).
        threshold: as in :func:`predict`.

    Returns:
        A float in [0, 1].
    """
    rows = _inputs(X, "accuracy")
    labels = _class_ids(y, len(rows), "accuracy")
    return float(np.mean(predict(model, rows, threshold) == np.array(labels)))
