"""One gradient step on one batch, two ways: on the scalar graph, and compiled.

``fit`` takes each step as ``step(model, goal, optimizer, xb, yb, l2)``: forward,
loss, zero_grad, backward, update; it returns ``(loss, correct)``, the batch's loss
(penalty included) and how many of its samples the model classified right, both
before the update. :func:`scalar_step` builds the graph of Values, as a learner
would by hand; :class:`CompiledStep` traces one sample's loss once and replays it on
the whole batch with numpy. Both satisfy :class:`TrainingStep`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from . import losses
from .array_ops import RowError, row_error
from .compiler import CompiledFunction
from .engine import Value
from .objectives import Objective, Output
from .optim import Optimizer

Array = np.ndarray

__all__ = ["CompiledStep", "Model", "TrainingStep", "scalar_step"]


class Model(Protocol):
    """Anything callable on one sample that has parameters, e.g. an ``nn.MLP``."""

    def __call__(self, x: Sequence[float]) -> Output: ...

    def parameters(self) -> list[Value]: ...


class TrainingStep(Protocol):
    """What ``fit`` calls for each batch."""

    def __call__(
        self,
        model: Model,
        goal: Objective,
        optimizer: Optimizer,
        xb: Any,
        yb: Any,
        l2: float = 0.0,
    ) -> tuple[float, int]: ...


def scalar_step(
    model: Model,
    goal: Objective,
    optimizer: Optimizer,
    xb: Any,
    yb: Any,
    l2: float = 0.0,
) -> tuple[float, int]:
    """One gradient step on the graph of Values: forward, loss, zero_grad, backward, update.

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
    return loss.data, goal.correct(outputs, list(yb))


class CompiledStep:
    """The training step of :func:`scalar_step`, with each batch run through compiled tapes.

    ``fit`` takes each gradient step as ``step(model, goal, optimizer, xb, yb, l2)``:
    forward, loss, zero_grad, backward, update. This object takes the same step,
    with the same arguments and result, but the forward and backward passes of the
    batch are tapes replayed with numpy.

    The per-sample loss ``goal.loss([model(x)], [label])`` is traced once per class
    label, with the label a constant: a loss may branch on the label (hinge does),
    not on the model's outputs. A regressor's targets are numbers, so they are no
    constants but inputs of its one tape, beside x. Each tape also returns the model's
    outputs, which count the correct predictions. The L2 penalty is added in closed form.

    Args:
        reduction: how ``goal.loss`` combines the samples of a batch, ``"mean"`` or
            ``"sum"``; None takes the objective's own (``goal.reduction``).

    Raises (when called):
        TracingError: if the loss or the model cannot be traced (a model or loss that
            reads the numbers of its Values); run the step uncompiled.
    """

    def __init__(self, reduction: str | None = None) -> None:
        if reduction is not None and reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean', 'sum' or None, got {reduction!r}")
        self.reduction = reduction
        self._owner: tuple[Any, ...] | None = None
        self._tapes: dict[int | str, CompiledFunction] = {}
        self._params: list[Value] = []

    def __call__(
        self,
        model: Any,
        goal: Objective,
        optimizer: Any,
        xb: Any,
        yb: Any,
        l2: float = 0.0,
    ) -> tuple[float, int]:
        """One gradient step on one batch; returns ``(loss, correct)`` as ``train_step``."""
        X = np.asarray(xb, dtype=np.float64)
        labels = np.asarray(yb, dtype=np.float64 if goal.fits_numbers else None)
        if X.ndim != 2 or len(X) != len(labels) or len(X) == 0:
            raise ValueError(f"a batch needs rows of inputs and one label each, got {X.shape}")
        reduction = self._reduction(goal)
        weight = 1.0 / len(X) if reduction == "mean" else 1.0
        owner = (model, goal, X.shape[1])
        if self._owner is None or any(a is not b for a, b in zip(owner, self._owner, strict=True)):
            self._owner, self._tapes = owner, {}
            self._params = model.parameters()  # for the L2 penalty, as train_step's
        optimizer.zero_grad()
        total, correct = 0.0, 0
        if goal.fits_numbers:  # one tape, the targets as inputs beside x
            targets = labels.reshape(len(X), -1)
            compiled = self._regressor_tape(model, goal, X.shape[1], targets.shape[1])
            outputs = self._run(compiled, np.hstack([X, targets]), weight, np.arange(len(X)))
            total += weight * float(np.sum(outputs[:, 0]))
        for label in [] if goal.fits_numbers else np.unique(labels).tolist():
            rows = np.flatnonzero(labels == label)
            compiled = self._tape(model, goal, int(label), X.shape[1])
            outputs = self._run(compiled, X[rows], weight, rows)
            total += weight * float(np.sum(outputs[:, 0]))
            scores = outputs[:, 1] if outputs.shape[1] == 2 else outputs[:, 1:]
            correct += int(np.sum(goal.classes(scores) == label))
        if l2:
            params = self._params
            w = np.array([p.data for p in params])
            total += l2 * float(np.dot(w, w))
            for p, g in zip(params, (2 * l2 * w).tolist(), strict=True):
                p.grad += g
        optimizer.step()
        return total, correct

    def _reduction(self, goal: Objective) -> str:
        reduction = self.reduction or goal.reduction
        if reduction is None:
            raise ValueError(
                f"CompiledStep does not know whether the loss {goal.name!r} averages or sums "
                "its samples; pass reduction='mean' or 'sum'"
            )
        return reduction

    def _regressor_tape(
        self, model: Any, goal: Objective, n_inputs: int, n_targets: int
    ) -> CompiledFunction:
        if "numbers" not in self._tapes:

            def loss_and_outputs(x: list[Value]) -> list[Value]:
                out = model(x[:n_inputs])
                outs = out if isinstance(out, list) else [out]
                targets = x[n_inputs:]
                target = targets if isinstance(out, list) else targets[0]
                return [goal.loss([out], [target]), *outs]

            self._tapes["numbers"] = CompiledFunction(loss_and_outputs, n_inputs + n_targets)
        return self._tapes["numbers"]

    def _tape(self, model: Any, goal: Objective, label: int, n_inputs: int) -> CompiledFunction:
        if label not in self._tapes:

            def loss_and_outputs(x: list[Value]) -> list[Value]:
                out = model(x)
                outs = out if isinstance(out, list) else [out]
                return [goal.loss([out], [label]), *outs]

            loss_and_outputs.__name__ = f"loss_for_label_{label}"
            self._tapes[label] = CompiledFunction(loss_and_outputs, n_inputs)
        return self._tapes[label]

    @staticmethod
    def _run(compiled: CompiledFunction, X: Array, weight: float, rows: Array) -> Array:
        try:
            compiled.trace(X)
            seed = np.zeros((len(X), len(compiled.tape.outputs)))
            seed[:, 0] = weight
            outputs, _ = compiled.backward(X, seed)
        except RowError as e:  # name the row in the batch's numbering
            raise row_error(e, int(rows[e.row]), " of the batch") from None
        return outputs
