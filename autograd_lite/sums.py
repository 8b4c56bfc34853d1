"""``dot`` and ``sum``: a sum of many terms as one node with many parents.

``sum(wi * xi for ...)`` written with ``+`` and ``*`` builds two nodes per term, and a
backward pass then visits each of them. A neuron's ``w·x + b`` is one formula, so it
can be one node: ``dot(ws, xs, b)`` has the parents w1..wn, x1..xn, b and the local
derivatives x1..xn, w1..wn, 1, from the table's row ``dot``
(:mod:`autograd_lite.primitives`). The numbers are the same as the chain of binary
ops gives, added in the same order; only the graph is smaller (``nn`` builds its
neurons this way) and a drawing of it easier to read.

Nothing else changes: ``a + b`` stays one binary node, and Python's own ``sum`` over
Values stays the chain of ``+`` it always was, so a graph written by hand is the graph
you get.

Both functions take :class:`~autograd_lite.Dual` numbers too (forward mode), and then
return a Dual.

Example:
    >>> import autograd_lite as ag
    >>> w1, w2, x1, x2, b = (ag.Value(v) for v in (2.0, -1.0, 3.0, 4.0, 0.5))
    >>> y = ag.dot([w1, w2], [x1, x2], b)      # 2·3 + (-1)·4 + 0.5
    >>> y.data, y.op, len(y.parents)
    (2.5, 'dot', 5)
    >>> y.backward()
    >>> w1.grad, x2.grad, b.grad               # x1, w2, 1
    (3.0, -1.0, 1.0)
    >>> ag.sum([w1, w2, x1]).data
    4.0
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias, overload

from .engine import Value, as_float, many_node
from .forward import Dual, apply_primitive
from .primitives import DOT, SUM, Primitive

__all__ = ["dot", "sum"]

Number: TypeAlias = int | float


@overload
def dot(ws: Iterable[Dual], xs: Iterable[Dual | Number], bias: Dual | Number = ...) -> Dual: ...
@overload
def dot(
    ws: Iterable[Value | Number], xs: Iterable[Value | Number], bias: Value | Number = ...
) -> Value: ...


def dot(ws: Iterable[Any], xs: Iterable[Any], bias: Any = 0.0) -> Value | Dual:
    """``w1·x1 + ... + wn·xn + bias`` as one node: a neuron's pre-activation.

    Args:
        ws: the weights, Values or numbers.
        xs: the inputs, as many as ``ws``, Values or numbers.
        bias: a Value, or a number; a number 0 (the default) adds no parent.

    Returns:
        A Value whose parents are ``*ws, *xs`` and then the bias, with the local
        derivatives ``*xs, *ws, 1``. A number among the operands becomes a constant
        leaf, as ``Value(x)``; with no terms and no bias the result is a new leaf
        ``Value(0.0)``. With Duals among the operands the result is a Dual.

    Raises:
        TypeError: naming the argument and the entry that is not a Value or a number.
        ValueError: if ``ws`` and ``xs`` differ in length.

    Example:
        >>> x = ag.Value(3.0)
        >>> ag.dot([2.0], [x], bias=1.0).data      # 2·3 + 1
        7.0
    """
    w = _sequence(ws, "dot", "ws")
    x = _sequence(xs, "dot", "xs")
    if len(w) != len(x):
        raise ValueError(f"dot: ws and xs must have the same length, got {len(w)} and {len(x)}")
    if isinstance(bias, Value | Dual):
        b: tuple[Any, ...] = (bias,)
    else:
        number = as_float(bias, "dot: bias")
        b = () if number == 0 else (number,)
    if w or b:
        try:
            return many_node(DOT, (*w, *x, *b))  # Values alone: the common case, a neuron's
        except AttributeError:  # a number or a Dual among them (only a Value has ._data)
            pass
    operands = (*_checked(w, "dot", "ws"), *_checked(x, "dot", "xs"), *b)
    return _make(DOT, operands, "dot")


@overload
def sum(values: Iterable[Dual]) -> Dual: ...  # noqa: A001 - ag.sum, as numpy's and torch's
@overload
def sum(values: Iterable[Value | Number]) -> Value: ...  # noqa: A001


def sum(values: Iterable[Any]) -> Value | Dual:  # noqa: A001
    """``v1 + v2 + ... + vn`` as one node with n parents, each with local derivative 1.

    Python's built-in ``sum`` over Values builds a chain of ``+`` nodes instead; the
    number is the same.

    Args:
        values: Values or numbers (a number becomes a constant leaf).

    Returns:
        A Value (a new leaf ``Value(0.0)`` when there are no values); a Dual when
        Duals are summed.

    Raises:
        TypeError: naming the entry that is not a Value or a number.

    Example:
        >>> xs = [ag.Value(float(k)) for k in range(1, 5)]
        >>> total = ag.sum(xs)
        >>> total.data, len(total.parents), total.local_grads
        (10.0, 4, (1.0, 1.0, 1.0, 1.0))
    """
    terms = _sequence(values, "sum", "values")
    if terms:
        try:
            return many_node(SUM, tuple(terms))  # Values alone: the common case
        except AttributeError:  # a number or a Dual among them (only a Value has ._data)
            pass
    return _make(SUM, _checked(terms, "sum", "values"), "sum")


def _sequence(items: Iterable[Any], who: str, what: str) -> list[Any] | tuple[Any, ...]:
    """``items`` as a list or tuple (as given, if it is one), or TypeError naming it."""
    if type(items) is list or type(items) is tuple:
        return items
    if not isinstance(items, Value | Dual | str | bytes):
        try:
            return tuple(iter(items))
        except TypeError:
            pass
    kind = type(items).__name__
    raise TypeError(f"{who}: {what} must be a list of Values or numbers, got {kind}")


def _checked(items: Iterable[Any], who: str, what: str) -> tuple[Any, ...]:
    """Each entry as a Value, a Dual or a float, or TypeError naming the entry."""
    return tuple(
        item if isinstance(item, Value | Dual) else as_float(item, f"{who}: {what}[{i}]")
        for i, item in enumerate(items)
    )


def _make(prim: Primitive, operands: tuple[Any, ...], who: str) -> Value | Dual:
    """The node of ``prim`` on Values and numbers, or its Dual on Duals and numbers."""
    kinds = set(map(type, operands))
    if any(issubclass(kind, Dual) for kind in kinds):
        if any(issubclass(kind, Value) for kind in kinds):
            raise TypeError(f"{who}: cannot mix Values and Duals")
        return apply_primitive(prim, *(o if isinstance(o, Dual) else Dual(o) for o in operands))
    if not operands:
        return Value(0.0)
    return many_node(prim, tuple(o if isinstance(o, Value) else Value(o) for o in operands))
