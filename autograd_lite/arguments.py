"""The arguments of the function transforms (jvp, vjp, jacobian, hvp, explain_forward).

Each check raises a TypeError or ValueError that names the function, the argument and
what is wrong with it, so that a mistake is reported where it is made rather than from
deep inside a sweep.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import TypeAlias

from .engine import Value

Number: TypeAlias = int | float


def real(x: object, who: str, argument: str) -> float:
    """``x`` as a float, or a TypeError naming the function, the argument and the type."""
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"{who}: {argument} must be a real number, got {type(x).__name__}")


def numbers_of(xs: object, who: str, argument: str) -> list[float]:
    """A list (or tuple, or other iterable) of real numbers as a list of floats."""
    if isinstance(xs, str | bytes | Mapping) or not isinstance(xs, Iterable):
        raise TypeError(f"{who}: {argument} must be a list of numbers, got {type(xs).__name__}")
    return [real(x, who, f"{argument}[{i}]") for i, x in enumerate(xs)]


def point_of(xs: object, who: str) -> list[float]:
    """The point ``xs`` a function is differentiated at: at least one number."""
    point = numbers_of(xs, who, "xs")
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
