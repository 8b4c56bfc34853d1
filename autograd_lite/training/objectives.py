"""What training aims at: a loss over a batch, how it combines the samples, and the rule
that turns a model's outputs into predicted classes.

Labels are class ids 0, 1, ... as the ``data`` module makes them. A named loss says how
they are read and how a model output becomes a predicted class:

* ``"hinge"``: one output, a score s; labels 0/1 become −1/+1; class 1 if s > 0.
* ``"bce"`` (or ``"binary_cross_entropy"``): one output, a logit x (no sigmoid on the
  output layer); labels 0/1; class 1 if x > 0.
* ``"mse"``, ``"sse"``: one output aiming at the label 0/1, class 1 if it is > 0.5; or
  one output per class aiming at a one-hot vector, the argmax.
* ``"cross_entropy"``: one logit per class; the argmax.

``"mse"`` and ``"sse"`` also fit numbers (a regressor): when the targets are not class
ids (the ±1 targets of the micrograd lecture, or any real numbers), each output aims
at its target as it is, one number per sample or one row of k numbers for k outputs,
and there is no class to predict.

Each of these facts is written once, here: the scalar training step, the compiled
one, ``predict`` and the decision-boundary plot all read them from an
:class:`Objective` and :func:`predicted_classes`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..engine import Value
from . import losses

Output = Value | list[Value]
LossFn = Callable[[list[Any], list[Any]], Value]
Reduction = Literal["mean", "sum"]


def predicted_classes(scores: Any, threshold: float = 0.0) -> np.ndarray:
    """The class each row of model outputs stands for: the decision rule, written once.

    Args:
        scores: shape (n,) for a one-output model, (n, k) for one output per class.
        threshold: a one-output model predicts class 1 where its output exceeds this.

    Returns:
        An int array of shape (n,): 1 where score > threshold (else 0), or the argmax of
        each row (the first of equal maxima; nan never wins).

    Example:
        >>> predicted_classes(np.array([-0.5, 2.0]))
        array([0, 1])
        >>> predicted_classes(np.array([[0.1, 0.7, 0.2], [np.nan, 0.0, -1.0]]))
        array([1, 1])
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:
        return (scores > threshold).astype(np.int64)
    return np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=1).astype(np.int64)


def output_numbers(outputs: list[Output]) -> np.ndarray:
    """The numbers of a batch of model outputs: shape (n,), or (n, k) for lists of k."""
    if outputs and isinstance(outputs[0], list):
        return np.array([[v.data for v in out] for out in outputs], dtype=np.float64)  # type: ignore[union-attr]
    return np.array([out.data for out in outputs], dtype=np.float64)  # type: ignore[union-attr]


# --- the named losses -----------------------------------------------------------------


def _one_output(outputs: list[Any], name: str) -> list[Value]:
    if isinstance(outputs[0], list):
        raise ValueError(
            f"loss {name!r} needs a model with one output, got {len(outputs[0])} outputs"
        )
    return outputs


def _squares(outputs: list[Any], labels: list[int]) -> tuple[list[Value], list[float]]:
    """Outputs and targets for squared errors: 0/1 for one output, else one-hot vectors."""
    if not isinstance(outputs[0], list):
        return outputs, list(labels)  # class ids as numbers (or Values, when traced)
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


def _numbers_to_fit(outputs: list[Any], targets: list[Any]) -> tuple[list[Value], list[Any]]:
    """Outputs and targets of a regressor, flattened alike (k outputs: rows of k targets)."""
    k = len(outputs[0]) if isinstance(outputs[0], list) else 1
    if k == 1 and not isinstance(outputs[0], list):  # one output: a number per sample
        numbers = []
        for i, row in enumerate(targets):
            if isinstance(row, list | tuple):
                if len(row) != 1:
                    raise ValueError(
                        f"target row {i} has {len(row)} numbers for a model of 1 output"
                    )
                row = row[0]
            numbers.append(row)
        return outputs, numbers
    flat_targets: list[Any] = []
    for i, row in enumerate(targets):
        row = row if isinstance(row, list | tuple) else [row]
        if len(row) != k:
            raise ValueError(f"target row {i} has {len(row)} numbers for a model of {k} outputs")
        flat_targets.extend(row)
    return [v for out in outputs for v in out], flat_targets


def _mse_numbers(outputs: list[Any], targets: list[Any]) -> Value:
    return losses.mse(*_numbers_to_fit(outputs, targets))


def _sse_numbers(outputs: list[Any], targets: list[Any]) -> Value:
    return losses.sse(*_numbers_to_fit(outputs, targets))


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
    """A loss over a batch, how it combines samples, and how outputs become classes.

    Attributes:
        name: the loss's name.
        loss: ``loss(outputs, labels) -> Value`` for a batch.
        threshold: a one-output model predicts class 1 when its output exceeds this
            (a many-output model predicts the argmax).
        binary: whether the labels must be 0/1.
        reduction: ``"mean"`` if the loss averages its samples, ``"sum"`` if it adds
            them up; None when unknown (a callable loss), which the compiled step
            cannot run without being told.
        fits_numbers: whether the targets are numbers to fit rather than class ids
            (a regressor: nothing to classify, no accuracy).
        label_input: whether ``loss`` also takes a one-output model's labels as Values,
            so that a compiled step can trace one tape with the label as an input
            instead of one tape per class.
        regression: the same loss fitting numbers, for a loss that can (mse, sse).
    """

    name: str
    loss: LossFn
    threshold: float = 0.0
    binary: bool = False
    reduction: Reduction | None = "mean"
    fits_numbers: bool = False
    label_input: bool = False
    regression: Objective | None = None

    def classes(self, scores: Any) -> np.ndarray:
        """The predicted class of each row of output numbers (see :func:`predicted_classes`)."""
        return predicted_classes(scores, self.threshold)

    def correct(self, outputs: list[Output], labels: list[Any]) -> int:
        """How many of a batch's outputs are classified as their labels (0 for a regressor)."""
        if self.fits_numbers:
            return 0
        return int(np.sum(self.classes(output_numbers(outputs)) == np.asarray(labels)))


OBJECTIVES: dict[str, Objective] = {
    "hinge": Objective("hinge", _hinge, 0.0, binary=True, label_input=True),
    "bce": Objective("bce", _bce, 0.0, binary=True, label_input=True),
    "mse": Objective(
        "mse",
        _mse,
        0.5,
        label_input=True,
        regression=Objective("mse", _mse_numbers, fits_numbers=True),
    ),
    "sse": Objective(
        "sse",
        _sse,
        0.5,
        reduction="sum",
        label_input=True,
        regression=Objective("sse", _sse_numbers, reduction="sum", fits_numbers=True),
    ),  # fmt: skip
    "cross_entropy": Objective("cross_entropy", _cross_entropy),
}
OBJECTIVES["binary_cross_entropy"] = OBJECTIVES["bce"]


def objective(
    loss: str | LossFn, threshold: float | None = None, reduction: Reduction | None = None
) -> Objective:
    """The :class:`Objective` for a loss name or a callable ``loss(outputs, labels)``.

    Args:
        loss: a name of :data:`OBJECTIVES`, or a callable.
        threshold: overrides the decision threshold of one-output models.
        reduction: for a callable, whether it averages (``"mean"``) or sums its samples.
    """
    if isinstance(loss, str):
        if loss not in OBJECTIVES:
            names = ", ".join(repr(k) for k in OBJECTIVES)
            raise ValueError(f"unknown loss {loss!r}; choose one of {names} or pass a callable")
        chosen = OBJECTIVES[loss]
        if threshold is None:
            return chosen
        return dataclasses.replace(chosen, threshold=float(threshold))
    if not callable(loss):
        raise TypeError(f"loss must be a name or a callable, got {type(loss).__name__}")
    if reduction not in (None, "mean", "sum"):
        raise ValueError(f"reduction must be 'mean', 'sum' or None, got {reduction!r}")
    name = getattr(loss, "__name__", "custom")
    return Objective(name, loss, 0.0 if threshold is None else float(threshold), False, reduction)
