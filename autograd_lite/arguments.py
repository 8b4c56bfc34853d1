"""What the function transforms (jvp, vjp, jacobian, hvp, explain_forward) share:
the point, the function's call, and the input leaves.

The checks of single numbers and lists of numbers are :mod:`autograd_lite.checks`'s;
each error names the function, the argument and what is wrong with it, so that a
mistake is reported where it is made rather than from deep inside a sweep.
"""

from __future__ import annotations

from typing import TypeAlias

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
