"""Vectors of floats in plain Python, for the optimizers' rules when numpy is not there.

An optimizer writes its rule once (:mod:`.optim`), with ``+ - * /`` and the few
functions here, which have numpy's names and meanings: the same rule then runs on
numpy arrays (the compiled training step's vectors) and on :class:`Vector` s of the
Values' numbers (``step()``, which needs no numpy, so scalar training runs in Pyodide
and on any bare Python). Each operation is the same IEEE double arithmetic numpy does,
element by element, so both give the same bits; a division by zero gives inf or nan as
numpy's does, instead of raising.

>>> w = Vector([1.0, 2.0])
>>> (w - 0.5 * Vector([2.0, -2.0])).tolist()
[0.0, 3.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def _divide(a: float, b: float) -> float:
    """``a / b`` as numpy gives it: a zero ``b`` makes inf (signed) or nan, not an error."""
    if b:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


class Vector:
    """A list of floats with element-wise arithmetic, like a 1-D numpy array of float64.

    Args:
        items: the numbers (an iterable of floats, a numpy array too).
    """

    __slots__ = ("items",)

    def __init__(self, items: Iterable[float]) -> None:
        tolist = getattr(items, "tolist", None)
        self.items: list[float] = [float(x) for x in (tolist() if callable(tolist) else items)]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[float]:
        return iter(self.items)

    def __getitem__(self, i: int) -> float:
        return self.items[i]

    def tolist(self) -> list[float]:
        """The numbers, as a new list."""
        return list(self.items)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        """The numbers as a numpy array (numpy calls this; numpy is there then)."""
        import numpy as np

        return np.array(self.items, dtype=np.float64 if dtype is None else dtype)

    def _zip(self, other: Any, op: Callable[[float, float], float]) -> Vector:
        if isinstance(other, Vector):
            return Vector(map(op, self.items, other.items))
        x = float(other)
        return Vector(op(a, x) for a in self.items)

    def _rzip(self, other: Any, op: Callable[[float, float], float]) -> Vector:
        x = float(other)
        return Vector(op(x, a) for a in self.items)

    def __add__(self, other: Any) -> Vector:
        return self._zip(other, float.__add__)

    def __radd__(self, other: Any) -> Vector:
        return self._rzip(other, float.__add__)

    def __sub__(self, other: Any) -> Vector:
        return self._zip(other, float.__sub__)

    def __rsub__(self, other: Any) -> Vector:
        return self._rzip(other, float.__sub__)

    def __mul__(self, other: Any) -> Vector:
        return self._zip(other, float.__mul__)

    def __rmul__(self, other: Any) -> Vector:
        return self._rzip(other, float.__mul__)

    def __truediv__(self, other: Any) -> Vector:
        return self._zip(other, _divide)

    def __rtruediv__(self, other: Any) -> Vector:
        return self._rzip(other, _divide)

    def __neg__(self) -> Vector:
        return Vector(-a for a in self.items)

    def __repr__(self) -> str:
        return f"Vector({self.items!r})"


def zeros(n: int) -> Vector:
    """``n`` zeros."""
    return Vector([0.0] * n)


def asarray(v: Any) -> Vector:
    """``v`` as a Vector (itself if it is one; a numpy array's numbers otherwise)."""
    return v if isinstance(v, Vector) else Vector(v)


def sqrt(v: Vector) -> Vector:
    """The square root of each number (nan for a negative one, as numpy)."""
    return Vector(math.sqrt(a) if a >= 0 else math.nan for a in v.items)


def equal(v: Vector, x: float) -> list[bool]:
    """Which numbers equal ``x``."""
    return [a == x for a in v.items]


def where(mask: list[bool], a: Vector, b: Vector) -> Vector:
    """``a``'s number where ``mask`` is true, else ``b``'s."""
    return Vector(p if m else q for m, p, q in zip(mask, a.items, b.items, strict=True))


def first_not_finite(v: Any) -> int | None:
    """The index of the first inf or nan in ``v`` (a Vector or a numpy array), or None.

    >>> first_not_finite(Vector([1.0, float("inf")])), first_not_finite(Vector([1.0]))
    (1, None)
    """
    if isinstance(v, Vector):
        return next((i for i, a in enumerate(v.items) if not math.isfinite(a)), None)
    import numpy as np  # an array: numpy is there

    bad = ~np.isfinite(v)
    return int(np.argmax(bad)) if bad.any() else None
