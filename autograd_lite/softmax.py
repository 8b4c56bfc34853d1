"""Softmax, log-sum-exp and cross-entropy of a list of Values: one formula each.

A softmax is ``exp(xᵢ − m) / Σ exp(xⱼ − m)`` with ``m`` the largest logit, so that no
exponent is positive and nothing overflows; the cross-entropy of a class is
``log Σ exp(xⱼ) − x_target``, with the same shift. ``nn.GPT`` and
``losses.cross_entropy`` both compute theirs here.

**The max shift without reading ``.data``.** microgpt reads ``m`` from ``.data``; here
``m`` is built from the graph's own ops, ``max(a, b) = b + relu(a − b)``, so the whole
computation can be traced and replayed (``ag.compile``). Any ``m`` gives the same
softmax, so the gradient that flows through ``m``, ``(1 − Σ pⱼ)·∂m/∂x``, is zero but
for rounding (about 1e-16).

    >>> from autograd_lite import Value
    >>> loss = cross_entropy([Value(1000.0), Value(-1000.0)], 1)
    >>> loss.data
    2000.0
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from .engine import Value
from .sums import dot
from .sums import sum as total


def maximum(xs: Sequence[Value]) -> Value:
    """The largest of ``xs`` as a node of the graph: ``max(a, b) = b + relu(a − b)``.

    Equal to the true maximum up to rounding, which is all a softmax shift needs. The
    maxima are taken in pairs, then pairs of pairs, as in a knockout tournament: the
    same n − 1 comparisons as a running maximum, but a chain of log₂ n of them instead
    of n − 1, so a compiled tape, which runs every op of one depth at once, runs 27
    logits in 5 rounds instead of 26 (:mod:`autograd_lite.compiler.levels`).
    """
    round_ = list(xs)
    while len(round_) > 1:
        pairs = [b + (a - b).relu() for a, b in zip(round_[::2], round_[1::2], strict=False)]
        round_ = pairs + round_[len(pairs) * 2 :]  # an odd one out waits for the next round
    return round_[0]


def softmax(logits: Sequence[Value]) -> list[Value]:
    """``exp(xᵢ − m) / Σⱼ exp(xⱼ − m)`` with m the largest logit: probabilities that sum to 1.

    Args:
        logits: one Value per outcome.

    Returns:
        A new list of Values, as long as ``logits``.

    Example:
        >>> [round(p.data, 4) for p in softmax([Value(1000.0), Value(999.0)])]
        [0.7311, 0.2689]
    """
    m = maximum(logits)
    exps = [(x - m).exp() for x in logits]
    inverse_total = 1.0 / total(exps)
    return [e * inverse_total for e in exps]


def log_sum_exp(logits: Sequence[Value]) -> Value:
    """``log Σ exp(xᵢ)``, computed as ``m + log Σ exp(xᵢ − m)`` so that nothing overflows.

    Args:
        logits: one or more Values.

    Returns:
        A Value; its gradient is ``softmax(logits)``.
    """
    m = maximum(logits)
    return m + total([(x - m).exp() for x in logits]).log()


def cross_entropy(logits: Sequence[Value], target: int | Sequence[Value]) -> Value:
    """``−log softmax(logits)[target]``, as ``log_sum_exp(logits) − logits[target]``.

    It never leaves the graph (see the module's notes).

    Args:
        logits: one Value per class.
        target: the index of the true class; or its one-hot vector as Values (a
            compiled step traces the target as an input): then ``logits[target]`` is
            ``Σ target[v]·logits[v]``, the same number, since the other terms are 0.

    Returns:
        A Value; its gradient with respect to the logits is ``softmax − onehot(target)``.

    Raises:
        ValueError: if ``target`` is not an index of ``logits``.
    """
    if isinstance(target, list | tuple):
        if len(target) != len(logits):
            raise ValueError(f"cross_entropy: a one-hot target of {len(target)} for {len(logits)}")
        return log_sum_exp(logits) - dot(target, logits)
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise TypeError(f"cross_entropy: target must be an int, got {type(target).__name__}")
    if not 0 <= int(target) < len(logits):
        raise ValueError(f"cross_entropy: target {target} is not an index in [0, {len(logits)})")
    return log_sum_exp(logits) - logits[int(target)]
