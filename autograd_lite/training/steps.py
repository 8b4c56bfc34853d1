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

from ..array_ops import RowError, row_error
from ..compiler import CompiledFunction
from ..engine import Value
from . import losses
from .objectives import Objective, Output
from .optim import Optimizer

Array = np.ndarray

__all__ = ["CompiledStep", "Model", "TrainingStep", "WeightVector", "scalar_step"]


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
    rows = xb.tolist() if isinstance(xb, np.ndarray) else xb
    labels = yb.tolist() if isinstance(yb, np.ndarray) else list(yb)
    outputs = [model(x) for x in rows]
    loss = goal.loss(outputs, labels)
    if not isinstance(loss, Value):
        raise TypeError(f"the loss must return a Value, got {type(loss).__name__}")
    if l2:
        loss = loss + losses.l2(model.parameters(), l2)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.data, goal.correct(outputs, labels)


class WeightVector:
    """An optimizer's weights as one numpy vector through one step of compiled tapes.

    Speed trick: a compiled step reads every weight from its Value once (``begin``),
    runs its tapes on the vector ``W`` and adds their gradients into the vector ``G``
    (``run``), then lets the optimizer's rule update the vector (``Optimizer.update``)
    and writes weights and gradients back into the Values once (``finish``), instead
    of a Python loop over the Values per tape, per ``zero_grad`` and per ``step``.
    Measured: fit's step on 100 points of two moons, MLP(2, [16, 16, 1]), 1.34 ms ->
    0.41-0.68 ms (with one tape per step for one-output models); the compiled step of
    ``autograd-lite gpt`` on a name of 10 tokens, 4.4-5.2 ms -> 3.7-4.1 ms (against
    ``backward`` into ``.grad``, then Adam's ``step`` and ``zero_grad``, in turns).

    A step may also keep the weights here from one step to the next (``update``
    instead of ``finish``) and write them into the Values once, at the end of a run
    (``write_back``; the next ``begin`` reads them again). Speed trick, measured: the
    GPT's compiled step spent 1 ms of its 3.5 ms reading and writing microgpt's 4,192
    weights, and 8 of its 11 ms at n_embd 64 (53,632 weights).

    A linked leaf of a tape that the optimizer does not hold (a frozen weight) runs
    with its own ``.data`` and gets its gradient added into its ``.grad``.

    Args:
        optimizer: holds the weights and their update rule.

    Attributes:
        W, G: the weights and the gradients of this step, in ``optimizer.params`` order.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.params = optimizer.params
        self.where = {id(p): i for i, p in enumerate(self.params)}
        self._slots: dict[int, tuple[Array, Array]] = {}
        self.W = np.zeros(0)
        self.G = np.zeros(0)
        self.unoptimized: list[tuple[Value, float]] = []  # gradients for leaves not optimized
        self.written = True  # whether the Values hold what W holds

    def begin(self) -> None:
        """Read the weights (unless W holds newer ones); start the gradients at 0."""
        params = self.params
        if self.written:
            self.W = np.fromiter((p._data for p in params), np.float64, len(params))
        self.G = np.zeros(len(params))
        self.unoptimized.clear()  # (a failed step's must not reach this one)

    def run(self, compiled: CompiledFunction, X: Array, seeds: list[Array] | Array) -> Array:
        """Run a tape forward and backward on X with the weights W; add into G.

        Returns:
            The tape's outputs, shape (n, outputs).
        """
        compiled.trace(X)
        slots, moved = self._slots_of(compiled)
        values = self.W[slots]  # (a leaf the optimizer does not move: its own number)
        if not moved.all():
            linked = compiled.tape.linked
            values[~moved] = [linked[i]._data for i in np.flatnonzero(~moved)]
        outputs, dlinked, _ = compiled.pullback(X, seeds, values)
        self.G[slots[moved]] += dlinked[moved]  # each leaf once in a tape: no repeated index
        if not moved.all():
            linked = compiled.tape.linked
            grads = dlinked.tolist()
            self.unoptimized += [(linked[i], grads[i]) for i in np.flatnonzero(~moved)]
        return outputs

    def finish(self) -> None:
        """Update the weights by the optimizer's rule; write weights and gradients back."""
        self.update()
        self.write_back()

    def update(self) -> None:
        """Update the weights in W by the optimizer's rule; the Values get them at
        :meth:`write_back`."""
        for p, g in self.unoptimized:  # gradients of leaves the optimizer does not move
            p.grad += g
        self.unoptimized.clear()
        self.W = self.optimizer.update(self.W, self.G)
        self.written = False

    def write_back(self) -> None:
        """Write the weights and the last step's gradients into the Values (once)."""
        if not self.written:
            for p, w, g in zip(self.params, self.W.tolist(), self.G.tolist(), strict=True):
                p._data = w  # a finite float: update checked it
                p.grad = g
            self.written = True

    def _slots_of(self, compiled: CompiledFunction) -> tuple[Array, Array]:
        """Where each linked leaf of a tape sits among the optimizer's parameters."""
        key = id(compiled)
        if key not in self._slots:
            at = [self.where.get(id(p), -1) for p in compiled.tape.linked]
            slots = np.array(at, dtype=np.intp)
            self._slots[key] = (np.where(slots < 0, 0, slots), slots >= 0)
        return self._slots[key]


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
        self._one_output = False
        self._vector: WeightVector | None = None

    def __call__(
        self,
        model: Any,
        goal: Objective,
        optimizer: Any,
        xb: Any,
        yb: Any,
        l2: float = 0.0,
    ) -> tuple[float, int]:
        """One gradient step on one batch; returns ``(loss, correct)`` as ``scalar_step``.

        Speed tricks, measured together: the weights and their gradients travel as
        numpy vectors (:class:`WeightVector`), and a one-output model's labels are
        inputs of one tape instead of one tape per class; fit's step on 100 points of
        two moons, MLP(2, [16, 16, 1]), went from 1.34 ms to 0.41-0.68 ms (2-3x).
        """
        X = np.asarray(xb, dtype=np.float64)
        numbers = goal.fits_numbers or goal.label_input
        labels = np.asarray(yb, dtype=np.float64 if numbers else None)
        if X.ndim != 2 or len(X) != len(labels) or len(X) == 0:
            raise ValueError(f"a batch needs rows of inputs and one label each, got {X.shape}")
        weight = 1.0 / len(X) if self._reduction(goal) == "mean" else 1.0
        owner = (model, goal, optimizer, X.shape[1])
        if self._owner is None or self._owner != owner:  # (== of a model, goal: identity)
            self._start(model, goal, optimizer, X)
        vector = self._vector
        assert vector is not None
        vector.begin()
        W, G = vector.W, vector.G
        total, correct = 0.0, 0
        for compiled, inputs, rows, label in self._runs(model, goal, X, labels):
            outputs = self._run(vector, compiled, inputs, weight, rows)
            total += weight * float(np.sum(outputs[:, 0]))
            if not goal.fits_numbers:
                scores = outputs[:, 1] if outputs.shape[1] == 2 else outputs[:, 1:]
                truth = labels if label is None else label
                correct += int(np.sum(goal.classes(scores) == truth))
        if l2:
            at = self._l2_slots
            total += l2 * float(np.dot(W[at], W[at]))
            np.add.at(G, at, 2 * l2 * W[at])  # (a weight listed twice gets both)
            for p in self._l2_frozen:
                total += l2 * p._data * p._data
                vector.unoptimized.append((p, 2 * l2 * p._data))
        vector.finish()
        return total, correct

    def _start(self, model: Any, goal: Objective, optimizer: Any, X: Array) -> None:
        """Forget the tapes of another model, objective or optimizer."""
        self._owner = (model, goal, optimizer, X.shape[1])
        self._tapes = {}
        self._vector = vector = WeightVector(optimizer)
        # the L2 penalty reaches model.parameters(), as scalar_step's: most are optimized
        params = model.parameters()
        where = vector.where
        self._l2_slots = np.array([where[id(p)] for p in params if id(p) in where], dtype=np.intp)
        self._l2_frozen = [p for p in params if id(p) not in where]
        if goal.label_input and not goal.fits_numbers:
            from ..engine import no_grad

            with no_grad():  # one scalar forward: does the model give one output?
                self._one_output = isinstance(model(X[0].tolist()), Value)

    def _runs(
        self, model: Any, goal: Objective, X: Array, labels: Array
    ) -> list[tuple[CompiledFunction, Array, Array, int | None]]:
        """(tape, its batch, the batch's rows, the class label it is traced for)."""
        if goal.fits_numbers or (goal.label_input and self._one_output):
            # one tape: the targets (or the class labels, as numbers) are inputs beside x
            targets = labels.reshape(len(X), -1)
            tape = self._tape_with_targets(model, goal, X.shape[1], targets.shape[1])
            return [(tape, np.hstack([X, targets]), np.arange(len(X)), None)]
        runs = []
        for label in np.unique(labels).tolist():
            rows = np.flatnonzero(labels == label)
            runs.append((self._tape(model, goal, int(label), X.shape[1]), X[rows], rows, label))
        return runs

    def _reduction(self, goal: Objective) -> str:
        reduction = self.reduction or goal.reduction
        if reduction is None:
            raise ValueError(
                f"CompiledStep does not know whether the loss {goal.name!r} averages or sums "
                "its samples; pass reduction='mean' or 'sum'"
            )
        return reduction

    def _tape_with_targets(
        self, model: Any, goal: Objective, n_inputs: int, n_targets: int
    ) -> CompiledFunction:
        if "numbers" not in self._tapes:

            def loss_and_outputs(x: list[Value]) -> list[Value]:
                out = model(x[:n_inputs])
                outs = out if isinstance(out, list) else [out]
                if len(outs) != n_targets:
                    raise ValueError(
                        f"fit: y has {n_targets} target(s) per row, but the model has "
                        f"{len(outs)} output(s)"
                    )
                targets = x[n_inputs:]
                return [goal.loss([out], [targets if isinstance(out, list) else targets[0]]), *outs]

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

    def _run(
        self, vector: WeightVector, compiled: CompiledFunction, X: Array, weight: float, rows: Array
    ) -> Array:
        """Run one tape forward and backward on X, its loss weighted by ``weight``."""
        try:
            compiled.trace(X)
            seeds = [np.zeros(len(X)) for _ in compiled.tape.outputs]
            seeds[0] = np.full(len(X), weight)
            return vector.run(compiled, X, seeds)
        except RowError as e:  # name the row in the batch's numbering
            raise row_error(e, int(rows[e.row]), " of the batch") from None
