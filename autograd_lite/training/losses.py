"""Loss functions: one Value that measures how wrong the predictions are.

Each takes the model's outputs (Values, or plain numbers) and the targets, and
returns a Value to call ``.backward()`` on. Losses over several samples return the
mean over samples, except ``sse``, which is the sum of the classic backprop papers.
A single prediction with a single target is accepted as one sample.

All are built from ordinary Value ops, so their gradients come from the engine; the
two cross-entropies are arranged so that no op overflows for logits as large as ±1000.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Sequence
from functools import reduce
from typing import Any

from .. import softmax
from ..arguments import value_list
from ..engine import Value
from ..support.checks import non_negative_number, real_number, whole_number

Prediction = Value | float
Target = Value | float


def _total(terms: list[Value]) -> Value:
    """Σ terms as a chain of additions that starts at the first term (no Value(0) node)."""
    return reduce(operator.add, terms)


def _mean(terms: list[Value]) -> Value:
    total = _total(terms)
    return total if len(terms) == 1 else total * (1.0 / len(terms))


def _as_value(x: object, function: str, argument: str) -> Value:
    if isinstance(x, Value):
        return x
    try:
        return Value(real_number(x, function, argument))
    except TypeError:
        raise TypeError(
            f"{function}: {argument} must be a Value or a number, got {type(x).__name__}"
        ) from None


def _label(x: object, function: str, argument: str) -> float:
    if isinstance(x, Value):
        x = x.data
    if isinstance(x, bool):
        raise TypeError(f"{function}: {argument} must be a number, got bool {x!r}")
    return real_number(x, function, argument)


def _pairs(name: str, preds: Any, targets: Any) -> tuple[list[Value], list[Any]]:
    """Predictions as Values and targets as given, checked to match one to one."""
    if isinstance(preds, Value | numbers.Real):  # one sample
        preds, targets = [preds], [targets]
    try:
        preds, targets = list(preds), list(targets)
    except TypeError:
        raise TypeError(
            f"{name}: predictions and targets must be sequences (or one number each), got "
            f"{type(preds).__name__} and {type(targets).__name__}"
        ) from None
    if len(preds) != len(targets):
        raise ValueError(f"{name}: {len(preds)} predictions but {len(targets)} targets")
    if not preds:
        raise ValueError(f"{name}: no predictions (empty input)")
    return [_as_value(p, name, f"predictions[{i}]") for i, p in enumerate(preds)], targets


def _squared_errors(name: str, preds: Any, targets: Any) -> list[Value]:
    ys, ts = _pairs(name, preds, targets)
    errors = []
    for i, (y, t) in enumerate(zip(ys, ts, strict=True)):
        d = y - (t if isinstance(t, Value) else _label(t, name, f"targets[{i}]"))
        errors.append(d * d)  # one node, and cheaper than d ** 2
    return errors


def mse(preds: Sequence[Prediction] | Prediction, targets: Sequence[Target] | Target) -> Value:
    """Mean squared error, (1/n) Σ (y − t)².

    Args:
        preds: the model's outputs, Values or numbers.
        targets: the desired outputs (numbers, or Values to differentiate too).

    Returns:
        A Value.
    """
    return _mean(_squared_errors("mse", preds, targets))


def sse(preds: Sequence[Prediction] | Prediction, targets: Sequence[Target] | Target) -> Value:
    """Half the sum of squared errors, ½ Σ (y − t)²: the error E of Rumelhart et al. (1986).

    The ½ cancels the 2 of the derivative, so ∂E/∂y = y − t.

    Args:
        preds: the model's outputs, Values or numbers.
        targets: the desired outputs.

    Returns:
        A Value.
    """
    return _total(_squared_errors("sse", preds, targets)) * 0.5


def hinge(scores: Sequence[Prediction] | Prediction, labels: Sequence[float] | float) -> Value:
    """The max-margin (SVM) loss, mean of max(0, 1 − y·s), for labels y = ±1.

    A sample costs nothing once its score is on the right side by a margin of 1.

    Args:
        scores: the model's raw scores (no output activation).
        labels: +1 or −1 for each score; or Values holding ±1 (a compiled step traces
            the label as an input), which take the general form (1 − y·s).relu().

    Returns:
        A Value.

    Raises:
        ValueError: if a label is not ±1 (class ids 0/1 must be mapped first:
            ``y = 2 * label - 1``).
    """
    ss, ys = _pairs("hinge", scores, labels)
    terms = []
    for i, (s, y) in enumerate(zip(ss, ys, strict=True)):
        if isinstance(y, Value):
            terms.append((1 - y * s).relu())
            continue
        y = _label(y, "hinge", f"labels[{i}]")
        if y == 1:
            terms.append((1 - s).relu())  # 1 − y·s with y = +1, without the product node
        elif y == -1:
            terms.append((1 + s).relu())
        else:
            raise ValueError(f"hinge: labels must be +1 or -1, got {y!r} at labels[{i}]")
    return _mean(terms)


def binary_cross_entropy(
    logits: Sequence[Prediction] | Prediction, labels: Sequence[float] | float
) -> Value:
    """Binary cross-entropy from logits, mean of −[y·log σ(x) + (1−y)·log(1−σ(x))].

    Written as softplus(x) − x·y, which is the same number but never takes the log
    of a sigmoid that has rounded to 0: logits of ±1000 give exact losses and
    gradients (the gradient is σ(x) − y). softplus is one primitive of the table,
    which chooses its stable branch per sample, so the loss compiles.

    Args:
        logits: raw scores x (no sigmoid applied).
        labels: 0 or 1 for each logit (soft labels in [0, 1] also work).

    Returns:
        A Value.
    """
    xs, ys = _pairs("binary_cross_entropy", logits, labels)
    terms = []
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        if isinstance(y, Value):  # a label traced as an input: the general form
            terms.append(x.softplus() - x * y)
            continue
        y = _label(y, "binary_cross_entropy", f"labels[{i}]")
        if not 0 <= y <= 1:
            raise ValueError(f"binary_cross_entropy: labels must be in [0, 1], got {y!r}")
        if y == 0:
            terms.append(x.softplus())
        elif y == 1:
            terms.append(x.softplus() - x)
        else:
            terms.append(x.softplus() - x * y)
    return _mean(terms)


def cross_entropy(logits: Sequence[Prediction], target: int) -> Value:
    """Softmax cross-entropy of one sample, −log softmax(logits)[target].

    The formula is :func:`autograd_lite.softmax.cross_entropy`'s, log Σ exp(xⱼ − m) + m −
    x_target with m the largest logit built from the graph's own ops, so logits of ±1000
    give exact losses, the gradient is softmax(x) − onehot(target), and no number is
    read to choose a branch, so the loss compiles. Here the logits are checked first.

    Args:
        logits: one raw score per class.
        target: the index of the true class.

    Returns:
        A Value.
    """
    if isinstance(logits, Value | numbers.Real | str):
        raise TypeError(f"cross_entropy: logits must be a list, got {type(logits).__name__}")
    xs = [_as_value(x, "cross_entropy", f"logits[{i}]") for i, x in enumerate(logits)]
    if not xs:
        raise ValueError("cross_entropy: no logits (empty input)")
    target = whole_number(target, "cross_entropy", "target")
    if not 0 <= target < len(xs):
        raise ValueError(f"cross_entropy: target {target} is not a class index in [0, {len(xs)})")
    for i, x in enumerate(xs):
        number = x._data  # (of a traced logit: the traced sample's, without refusal)
        if not math.isfinite(number):
            raise ValueError(f"cross_entropy: logits must be finite, got {number!r} at logits[{i}]")
    return softmax.cross_entropy(xs, target)


def l2(params: Iterable[Value], alpha: float) -> Value:
    """The L2 penalty alpha · Σ w², added to a loss to keep the weights small.

    Args:
        params: the weights, a list of Values, e.g. ``model.parameters()``.
        alpha: the strength, >= 0 (micrograd's demo uses 1e-4).

    Returns:
        A Value (a constant 0.0 when alpha is 0 or there are no params).

    Raises:
        TypeError: if ``params`` is not a list of Values (a single Value included) or
            ``alpha`` is not a number.
        ValueError: if ``alpha`` is negative, nan or inf.
    """
    ws = value_list(params, "l2", "params")
    strength = non_negative_number(alpha, "l2", "alpha")
    if strength == 0 or not ws:
        return Value(0.0)
    return _total([w * w for w in ws]) * strength
