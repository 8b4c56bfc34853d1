"""Every primitive on numpy arrays: one number per sample, a whole batch per call.

The compiled functions of :mod:`autograd_lite.tracing` replay a graph on arrays of
shape ``(n,)``, element ``i`` belonging to sample ``i``. They need two things per
primitive, and this module holds both:

* its **forward** on arrays, here, keyed by the primitive's name (and built from its
  ``params`` for ``x ** n`` and ``leaky_relu``), with the cases where the float
  forward raises written as a boolean mask (``invalid``);
* its **local derivatives**, which are *not* written here: they are the table's own
  ``local`` formulas (:mod:`autograd_lite.primitives`) evaluated with
  :class:`NumpyOps`, the array version of the few functions a formula may call. Each
  derivative formula is written once, and serves floats, Values and arrays alike.

The float forward stays the authority on errors. Where the mask finds a sample the
float forward would refuse (the log of 0, the square root of -1, a division by
zero), :func:`domain_error` calls the float forward on that sample, so the error
has the same type and message as the scalar engine's, plus the sample's row.
Everything else follows the float forward too: ``exp(800)`` is ``inf``, sigmoid and
tanh saturate without overflow, nan passes through.

numpy warns about overflow and invalid results (``inf - inf``) where Python floats
stay silent; evaluate inside ``np.errstate(all="ignore")`` (the compiled functions
do), since the real errors are found by the masks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from .primitives import Primitive

Array = np.ndarray
Operand = Any  # an array of shape (n,), or a float shared by every sample

# --- the numpy namespace the derivative formulas are evaluated with --------------


class NumpyOps:
    """The functions a derivative formula may call, on arrays (like ``FloatOps``)."""

    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    log = staticmethod(np.log)

    @staticmethod
    def div(a: Operand, b: Operand) -> Operand:
        """a / b; ±inf at b == 0 (nan for 0/0), as ``FloatOps.div``."""
        return np.divide(a, b)

    @staticmethod
    def pow(a: Operand, b: Operand) -> Operand:
        """a ** b; +inf at 0 ** negative and ±inf on overflow, as ``FloatOps.pow``."""
        out = np.power(a, b)
        singular = (a == 0) & (b < 0)  # numpy gives -inf for (-0.0) ** -1; floats give inf
        return np.where(singular, np.inf, out) if np.any(singular) else out

    @staticmethod
    def mul_log(out: Operand, base: Operand) -> Operand:
        """out * ln(base), taken as 0 where out is 0 (the base-0 case of x ** y)."""
        return np.where(out == 0, 0.0, out * np.log(base))

    @staticmethod
    def step(x: Operand, below: float = 0.0) -> Operand:
        """1 where x > 0, else ``below`` (nan counts as not > 0, as for floats)."""
        if below == 0:
            return np.greater(x, 0).astype(np.float64)
        return np.where(x > 0, 1.0, below)

    @staticmethod
    def sign(x: Operand) -> Operand:
        """1, -1 or 0, with 0 for nan (np.sign would give nan)."""
        return np.where(x > 0, 1.0, np.where(x < 0, -1.0, 0.0))


NUMPY_OPS = NumpyOps


# --- forwards -----------------------------------------------------------------


@dataclass(frozen=True)
class ArrayPrimitive:
    """A primitive's forward on arrays.

    Attributes:
        forward: the numpy computation, without checks.
        invalid: ``invalid(*args)`` is a boolean mask (or bool) of the samples where
            the float forward raises; None when it never does.
    """

    forward: Callable[..., Any]
    invalid: Callable[..., Any] | None = None


def _relu(x: Array) -> Array:
    # As the float forward: relu(-0.0) is 0.0, relu(nan) is nan (tests hold numpy to it).
    return np.maximum(x, 0.0)


def _sigmoid(x: Array) -> Array:
    # The float forward's two branches at once: e = exp(-|x|) never overflows.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _pow(a: Operand, b: Operand) -> Operand:
    return np.power(a, b)


FORWARDS: dict[str, ArrayPrimitive] = {
    "+": ArrayPrimitive(np.add),
    "-": ArrayPrimitive(np.subtract),
    "*": ArrayPrimitive(np.multiply),
    "/": ArrayPrimitive(np.divide, lambda a, b: np.equal(b, 0)),
    "**": ArrayPrimitive(_pow, lambda a, b: np.less(a, 0) | (np.equal(a, 0) & ~np.greater(b, 0))),
    "neg": ArrayPrimitive(np.negative),
    "exp": ArrayPrimitive(np.exp),
    "log": ArrayPrimitive(np.log, lambda x: np.less_equal(x, 0)),
    "tanh": ArrayPrimitive(np.tanh),
    "sigmoid": ArrayPrimitive(_sigmoid),
    "relu": ArrayPrimitive(_relu),
    "sin": ArrayPrimitive(np.sin, np.isinf),
    "cos": ArrayPrimitive(np.cos, np.isinf),
    "sqrt": ArrayPrimitive(np.sqrt, lambda x: np.less(x, 0)),
    "abs": ArrayPrimitive(np.abs),
}
"""The primitives without parameters, by name (``**`` here is a Value exponent)."""


def _pow_by_constant(exponent: float) -> ArrayPrimitive:
    n = exponent
    fractional = math.isfinite(n) and not float(n).is_integer()  # no real result below 0

    def invalid(x: Array) -> Array:
        bad = np.less(x, 0) if fractional else np.zeros(np.shape(x), dtype=bool)
        return bad | np.equal(x, 0) if n < 0 else bad

    def forward(x: Array) -> Array:
        # numpy takes x ** 0.5 as sqrt, which keeps -0.0; Python's pow gives +0.0 there.
        return np.power(x, n) + 0.0 if fractional else np.power(x, n)

    return ArrayPrimitive(forward, invalid if fractional or n < 0 else None)


def _leaky_relu(slope: float) -> ArrayPrimitive:
    return ArrayPrimitive(lambda x: np.where(x > 0, x, slope * x))


FACTORIES: dict[str, Callable[..., ArrayPrimitive]] = {
    "**": _pow_by_constant,
    "leaky_relu": _leaky_relu,
}
"""The parametrised primitives, by name: called with the primitive's ``params``."""


def lookup(prim: Primitive) -> ArrayPrimitive:
    """The array forward of a primitive of the table.

    Args:
        prim: e.g. ``primitives.TANH`` or ``primitives.pow_by_constant(2.0)``.

    Returns:
        Its :class:`ArrayPrimitive`.

    Raises:
        KeyError: for a primitive that has no array forward yet.
    """
    if prim.params:
        if prim.name not in FACTORIES:
            raise KeyError(f"no array forward for the parametrised primitive {prim!r}")
        return FACTORIES[prim.name](**prim.params)
    if prim.name not in FORWARDS:
        raise KeyError(f"no array forward for the primitive {prim!r}")
    return FORWARDS[prim.name]


def batched(prim: Primitive) -> Callable[..., Any]:
    """The forward of ``prim`` on arrays, raising where the float forward raises.

    Args:
        prim: a primitive of the table.

    Returns:
        ``forward(*operands)``: operands are arrays of shape (n,) or floats shared by
        every sample; the result has shape (n,).
    """
    op = lookup(prim)
    forward, invalid = op.forward, op.invalid
    if invalid is None:
        return forward

    def checked(*args: Operand) -> Any:
        bad = invalid(*args)
        if bad.any():
            domain_error(prim, bad, args)
        return forward(*args)

    checked.__name__ = f"batched_{prim.name}"
    return checked


class RowError(Exception):
    """The error of one sample of a batch.

    Attributes:
        message: the float forward's own message.
        row: the sample's index in the batch.
    """

    def __init__(self, message: str, row: int, where: str = "") -> None:
        super().__init__(f"{message} (row {row}{where})")
        self.message = message
        self.row = row


class RowValueError(RowError, ValueError):
    """A ValueError of one sample of a batch (e.g. the log of 0)."""


class RowZeroDivisionError(RowError, ZeroDivisionError):
    """A ZeroDivisionError of one sample of a batch (e.g. 1 / 0)."""


def row_error(error: Exception, row: int, where: str = "") -> RowError:
    """The float forward's ``error`` as the error of sample ``row`` of a batch.

    Args:
        error: a ValueError or ZeroDivisionError (or a RowError, to renumber its row).
        row: the sample's index.
        where: words after the row number, e.g. ``", while tracing fn"``.
    """
    kind = RowZeroDivisionError if isinstance(error, ZeroDivisionError) else RowValueError
    message = error.message if isinstance(error, RowError) else str(error)
    return kind(message, row, where)


def domain_error(prim: Primitive, bad: Any, args: tuple[Operand, ...]) -> NoReturn:
    """Raise the float forward's own error for the first sample marked ``bad``.

    Args:
        prim: the primitive that failed.
        bad: the mask from ``invalid``.
        args: the forward's operands.

    Raises:
        RowValueError or RowZeroDivisionError: a ValueError or ZeroDivisionError
            with the float forward's message followed by ``(row i)``.
    """
    row = int(np.argmax(bad)) if np.ndim(bad) else 0
    numbers = [float(a[row]) if np.ndim(a) else float(a) for a in args]
    try:
        prim.forward(*numbers)
    except (ValueError, ZeroDivisionError) as e:
        raise row_error(e, row) from None
    raise RuntimeError(f"{prim!r}: the array domain check disagrees with the float forward")
