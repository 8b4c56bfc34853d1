"""What the functions that take Values as arguments share: lists of Values, and for the
function transforms (jvp, vjp, jacobian, hvp, explain_forward) the point, the
function's call, and the input leaves.

The checks of single numbers and lists of numbers are :mod:`autograd_lite.support.checks`'s;
each error names the function, the argument and what is wrong with it, so that a
mistake is reported where it is made rather than from deep inside a sweep.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

from .engine import Value
from .support.checks import real_numbers

Number: TypeAlias = int | float


def point_of(xs: object, who: str) -> list[float]:
    """The point ``xs`` a function is differentiated at: at least one number."""
    point = real_numbers(xs, who, "xs")
    if not point:
        raise ValueError(f"{who}: xs must hold at least one number, got an empty list")
    return point


def same_length(values: list[float], point: list[float], who: str, argument: str) -> None:
    if len(values) != len(point):
        raise ValueError(
            f"{who}: {argument} has {len(values)} numbers but xs has {len(point)}; "
            "give one per input"
        )


def call(fn: object, inputs: list[Value], who: str) -> tuple[list[Value], bool]:
    """Run ``fn`` on the input leaves: its outputs as a list, and whether it returned a list."""
    if not callable(fn):
        raise TypeError(f"{who}: fn must be callable, got {type(fn).__name__}")
    result = fn(inputs)
    if isinstance(result, Value):
        return [result], False
    if isinstance(result, list | tuple):
        if not result:
            raise ValueError(f"{who}: fn returned an empty list; it must return Values")
        for i, out in enumerate(result):
            if not isinstance(out, Value):
                raise TypeError(
                    f"{who}: fn must return a Value or a list of Values, "
                    f"got a list with {type(out).__name__} at [{i}]"
                )
        return list(result), True
    raise TypeError(
        f"{who}: fn must return a Value or a list of Values, got {type(result).__name__}"
    )


def input_leaves(point: list[float]) -> list[Value]:
    """One leaf per input, labelled x1, x2, ... (x alone when there is one)."""
    if len(point) == 1:
        return [Value(point[0], label="x")]
    return [Value(x, label=f"x{i}") for i, x in enumerate(point, 1)]


def value_list(values: object, function: str, argument: str) -> list[Any]:
    """``values`` as a list of :class:`~autograd_lite.Value`, e.g. parameters.

    A single Value is refused with a hint to wrap it in a list (it is not iterable, and
    Python would otherwise say only that).

    >>> from autograd_lite import Value
    >>> value_list(Value(1.0), "grad", "inputs")
    Traceback (most recent call last):
      ...
    TypeError: grad: inputs must be a list of Values, got a single Value (write [x], not x)
    """
    if isinstance(values, Value):
        raise TypeError(
            f"{function}: {argument} must be a list of Values, got a single Value "
            "(write [x], not x)"
        )
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(
            f"{function}: {argument} must be a list of Values, got {type(values).__name__}"
        )
    items = list(values)
    for i, v in enumerate(items):
        if not isinstance(v, Value):
            raise TypeError(f"{function}: {argument}[{i}] must be a Value, got {type(v).__name__}")
    return items
