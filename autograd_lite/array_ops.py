"""Every primitive on numpy arrays: one number per sample, a whole batch per call.

The compiled functions of :mod:`autograd_lite.compiler` replay a graph on arrays of
shape ``(n,)``, element ``i`` belonging to sample ``i``. Everything they need of a
primitive is in its row of the table (:mod:`autograd_lite.primitives`): its forward on
arrays, its domain predicate (the same one the float forward checks) and its local
derivative formulas, which are evaluated with ``NUMPY_OPS``, the array version of the
few functions a formula may call (it sits beside the other two in the table's
module). This module only binds them to numpy:

* :func:`batched` is a row's array forward, raising where the domain predicate finds
  a sample outside the domain, with the row's own error (same type and message as
  the scalar engine's) plus the sample's row;
* :data:`~autograd_lite.primitives.NUMPY_OPS` (in the table's module) serves the derivative
  formulas.

Everything else follows the float forward too: ``exp(800)`` is ``inf``, sigmoid and
tanh saturate without overflow, nan passes through.

numpy warns about overflow and invalid results (``inf - inf``) where Python floats
stay silent; evaluate inside ``np.errstate(all="ignore")`` (the compiled functions
do), since the real errors are found by the domain predicates.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NoReturn

import numpy as np

from .primitives import Primitive

Array = np.ndarray
Operand = Any  # an array of shape (n,), or a float shared by every sample

# --- forwards ---------------------------------------------------------------------


def batched(prim: Primitive) -> Callable[..., Any]:
    """The forward of ``prim`` on arrays, raising where the float forward raises.

    Args:
        prim: a row of the table.

    Returns:
        ``forward(*operands)``: operands are arrays of shape (n,) or floats shared by
        every sample; the result has shape (n,).
    """
    array, outside = prim.array, prim.outside
    if outside is None:
        return partial(array, np)

    def checked(*args: Operand) -> Any:
        bad = outside(*args)
        if np.any(bad):
            domain_error(prim, bad, args)
        return array(np, *args)

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
    """Raise the row's own error for the first sample marked ``bad``.

    Args:
        prim: the primitive that failed.
        bad: the mask from its domain predicate.
        args: the forward's operands.

    Raises:
        RowValueError or RowZeroDivisionError: a ValueError or ZeroDivisionError
            with the float forward's message followed by ``(row i)``.
    """
    row = int(np.argmax(bad)) if np.ndim(bad) else 0
    numbers = [float(a[row]) if np.ndim(a) else float(a) for a in args]
    raise row_error(prim.error(*numbers), row)  # type: ignore[misc]
