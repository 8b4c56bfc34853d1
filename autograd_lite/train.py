"""A training loop for classifiers: ``fit``, plus ``predict`` and ``accuracy``.

    model = nn.MLP(2, [16, 16, 1], seed=0)
    X, y = data.make_moons(100)
    history = fit(model, X, y, loss="hinge", epochs=100)

One epoch visits every sample once, in mini-batches or as one full batch, and each
batch is one gradient step done by :func:`train_step`: forward, loss, zero_grad,
backward, update.

Labels are class ids 0, 1, ... as the ``data`` module makes them. A named loss says how
they are read and how a model output becomes a predicted class:

* ``"hinge"``: one output, a score s; labels 0/1 become −1/+1; class 1 if s > 0.
* ``"bce"`` (or ``"binary_cross_entropy"``): one output, a logit x (no sigmoid on the
  output layer); labels 0/1; class 1 if x > 0.
* ``"mse"``, ``"sse"``: one output aiming at the label 0/1, class 1 if it is > 0.5; or
  one output per class aiming at a one-hot vector, the argmax.
* ``"cross_entropy"``: one logit per class; the argmax.

A callable ``loss(outputs, labels) -> Value`` may be given instead; it receives the
batch's model outputs and labels as they are, and ``threshold`` sets the decision
rule for one-output models (class 1 if output > threshold).
"""

from __future__ import annotations

import gc
import math
import numbers
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm  # type: ignore[import-untyped]

from . import losses
from .engine import Value, no_grad
from .optim import Adam, Optimizer
from .tracing import CompiledStep, TracingError

Output = Value | list[Value]
LossFn = Callable[[list[Any], list[int]], Value]


class Model(Protocol):
    """Anything callable on one sample that has parameters, e.g. an ``nn.MLP``."""

    def __call__(self, x: Sequence[float]) -> Output: ...

    def parameters(self) -> list[Value]: ...


# --- what each named loss means ---------------------------------------------------


def _one_output(outputs: list[Any], name: str) -> list[Value]:
    if isinstance(outputs[0], list):
        raise ValueError(
            f"loss {name!r} needs a model with one output, got {len(outputs[0])} outputs"
        )
    return outputs


def _squares(outputs: list[Any], labels: list[int]) -> tuple[list[Value], list[float]]:
    """Outputs and targets for squared errors: 0/1 for one output, else one-hot vectors."""
    if not isinstance(outputs[0], list):
        return outputs, [float(c) for c in labels]
    k = len(outputs[0])
    flat = [v for out in outputs for v in out]
    targets: list[float] = []
    for c in labels:
        if not 0 <= c < k:
            raise ValueError(f"label {c} is not a class of a model with {k} outputs")
        targets.extend(1.0 if j == c else 0.0 for j in range(k))
    return flat, targets


def _hinge(outputs: list[Any], labels: list[int]) -> Value:
    return losses.hinge(_one_output(outputs, "hinge"), [2 * c - 1 for c in labels])


def _bce(outputs: list[Any], labels: list[int]) -> Value:
    return losses.binary_cross_entropy(_one_output(outputs, "bce"), labels)


def _mse(outputs: list[Any], labels: list[int]) -> Value:
    return losses.mse(*_squares(outputs, labels))


def _sse(outputs: list[Any], labels: list[int]) -> Value:
    return losses.sse(*_squares(outputs, labels))


def _cross_entropy(outputs: list[Any], labels: list[int]) -> Value:
    if not isinstance(outputs[0], list):
        raise ValueError("loss 'cross_entropy' needs a model with one output per class")
    terms = [losses.cross_entropy(out, c) for out, c in zip(outputs, labels, strict=True)]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total * (1.0 / len(terms))


@dataclass(frozen=True)
class Objective:
    """A loss over a batch, with the rule that turns one output into a class.

    Attributes:
        name: the loss's name.
        loss: ``loss(outputs, labels) -> Value`` for a batch.
        threshold: a one-output model predicts class 1 when its output exceeds this
            (a many-output model predicts the argmax).
        binary: whether the labels must be 0/1.
    """

    name: str
    loss: LossFn
    threshold: float = 0.0
    binary: bool = False

    def correct(self, outputs: list[Any], labels: list[int]) -> int:
        """How many of the outputs are classified as their labels."""
        return sum(
            _decide(out, self.threshold) == c for out, c in zip(outputs, labels, strict=True)
        )


OBJECTIVES: dict[str, Objective] = {
    "hinge": Objective("hinge", _hinge, 0.0, binary=True),
    "bce": Objective("bce", _bce, 0.0, binary=True),
    "mse": Objective("mse", _mse, 0.5),
    "sse": Objective("sse", _sse, 0.5),
    "cross_entropy": Objective("cross_entropy", _cross_entropy),
}
OBJECTIVES["binary_cross_entropy"] = OBJECTIVES["bce"]


def objective(loss: str | LossFn, threshold: float | None = None) -> Objective:
    """The :class:`Objective` for a loss name or a callable ``loss(outputs, labels)``."""
    if isinstance(loss, str):
        if loss not in OBJECTIVES:
            names = ", ".join(repr(k) for k in OBJECTIVES)
            raise ValueError(f"unknown loss {loss!r}; choose one of {names} or pass a callable")
        chosen = OBJECTIVES[loss]
        if threshold is None:
            return chosen
        return Objective(chosen.name, chosen.loss, float(threshold), chosen.binary)
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable, got {type(loss).__name__}")
    name = getattr(loss, "__name__", "custom")
    return Objective(name, loss, 0.0 if threshold is None else float(threshold))


def _decide(output: Output, threshold: float) -> int:
    if isinstance(output, list):
        scores = [v.data for v in output]
        return scores.index(max(scores))
    return int(output.data > threshold)


# --- checking the inputs ----------------------------------------------------------


def _rows(X: Any, y: Any = None) -> tuple[list[list[float]], list[int]]:
    """X as rows of plain floats and y as plain ints, checked."""
    try:
        array = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("X must be a 2-D array of numbers (one row per sample)") from None
    if array.ndim != 2 or len(array) == 0:
        raise ValueError(f"X must be a non-empty 2-D array (samples × features), got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("X contains nan or inf")
    if y is None:
        return array.tolist(), []
    labels = np.asarray(y)
    if labels.ndim != 1 or len(labels) != len(array):
        raise ValueError(
            f"y must hold one label per row of X: X has {len(array)} rows, y has shape "
            f"{labels.shape}"
        )
    if not (np.issubdtype(labels.dtype, np.integer) or np.issubdtype(labels.dtype, np.bool_)):
        if not (np.issubdtype(labels.dtype, np.floating) and (labels == np.round(labels)).all()):
            raise ValueError(f"y must hold integer class ids, got dtype {labels.dtype}")
    ints = [int(c) for c in labels.tolist()]
    if min(ints) < 0:
        raise ValueError(f"y must hold class ids 0, 1, ..., got {min(ints)}")
    return array.tolist(), ints


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


# --- training ---------------------------------------------------------------------


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector inside a ``with`` block.

    A training step builds tens of thousands of nodes that all stay alive until the
    backward pass. Each few hundred allocations the collector wakes up and walks the
    live objects, which costs more than the arithmetic. The engine's graphs hold no
    reference cycles (they are freed by reference counting alone), so nothing piles
    up while it sleeps. It is switched back on, if it was on, when the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def train_step(
    model: Model,
    goal: Objective,
    optimizer: Optimizer,
    xb: list[list[float]],
    yb: list[int],
    l2: float = 0.0,
) -> tuple[float, int]:
    """One gradient step on one batch: forward, loss, zero_grad, backward, update.

    This is the only place ``fit`` touches the engine; another implementation with
    the same signature (e.g. a compiled one) can take its place.

    Args:
        model: the network.
        goal: the loss and its decision rule.
        optimizer: updates the weights.
        xb: the batch's inputs, one list of floats per sample.
        yb: the batch's labels.
        l2: the strength of an L2 penalty ``l2 · Σ w²`` added to the loss.

    Returns:
        ``(loss, correct)``: the batch's loss (penalty included) and how many of its
        samples the model classified right, both before the update.
    """
    outputs = [model(x) for x in xb]
    loss = goal.loss(outputs, yb)
    if not isinstance(loss, Value):
        raise TypeError(f"the loss must return a Value, got {type(loss).__name__}")
    if l2:
        loss = loss + losses.l2(model.parameters(), l2)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.data, goal.correct(outputs, yb)


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
    """Train ``model`` to classify the rows of ``X`` as ``y``.

    Args:
        model: e.g. an ``nn.MLP``; its outputs must suit the loss (see the module notes).
        X: inputs, shape (n, features).
        y: class ids 0, 1, ..., shape (n,).
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
            traced and falls back to the scalar engine when they cannot (a loss or model
            that reads the numbers of its Values, such as ``bce``); True insists (a
            ``TracingError`` says why it cannot; a callable loss must then average over
            its samples); False always builds the scalar graph.

    Returns:
        A :class:`History` with one entry per epoch in ``loss``, ``accuracy`` and ``lr``.

    Raises:
        ValueError: for bad data, a loss that does not fit the model or the labels,
            or a step that would make a weight nan or inf (raised by the optimizer).
    """
    rows, labels = _rows(X, y)
    goal = objective(loss, threshold)
    if goal.binary and max(labels) > 1:
        raise ValueError(f"loss {goal.name!r} takes two classes, labels 0 and 1; got {max(labels)}")
    epochs = _positive_int(epochs, "epochs")
    size = len(rows) if batch_size is None else _positive_int(batch_size, "batch_size")
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    if optimizer is None:
        optimizer = Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(seed)
    history = History()
    # A named loss says whether it sums or averages its samples, which the compiled
    # step needs; a callable loss is compiled only on request (and then must be traceable).
    named = isinstance(loss, str)
    step = (
        CompiledStep(None if named else "mean")
        if compiled or (compiled is None and named)
        else train_step
    )
    n = len(rows)
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    try:
        for epoch in bar:
            if lr_schedule is not None:
                _set_lr(optimizer, lr_schedule, epoch)
            order = range(n) if size >= n else rng.permutation(n).tolist()
            total = 0.0
            correct = 0
            with collector_paused():
                for start in range(0, n, size):
                    batch = order[start : start + size]
                    xb = [rows[i] for i in batch]
                    yb = [labels[i] for i in batch]
                    try:
                        batch_loss, batch_correct = step(model, goal, optimizer, xb, yb, l2)
                    except TracingError as e:
                        if compiled or step is train_step:
                            raise
                        step = train_step  # cannot be traced: build the scalar graph
                        warnings.warn(
                            f"fit: training on the scalar graph, slower, because the "
                            f"loss or model cannot be compiled: {str(e).splitlines()[0]}",
                            RuntimeWarning,
                            stacklevel=2,
                        )
                        batch_loss, batch_correct = step(model, goal, optimizer, xb, yb, l2)
                    total += batch_loss * len(batch)
                    correct += batch_correct
            history.loss.append(total / n)
            history.accuracy.append(correct / n)
            history.lr.append(optimizer.lr)
            stats = {"loss": f"{total / n:.4f}", "accuracy": f"{correct / n:.1%}"}
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
    rows, _ = _rows(X)
    with no_grad(), collector_paused():
        return np.array([_decide(model(x), threshold) for x in rows], dtype=np.int64)


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
    rows, labels = _rows(X, y)
    return float(np.mean(predict(model, rows, threshold) == np.array(labels)))
