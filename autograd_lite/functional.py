"""The functional layer: gradients as return values, Hessians, and a numerical check."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal, overload

from .checks import callable_, non_negative_number, positive_number, real_number, value_list
from .engine import Number, Value, as_values, gradient_graph, gradients


def _point(xs: object, who: str) -> list[float]:
    """The point ``xs`` as floats, or an error naming the entry that is not a number."""
    if isinstance(xs, Value) or isinstance(xs, str | bytes) or not isinstance(xs, Iterable):
        raise TypeError(f"{who}: xs must be a list of numbers, got {type(xs).__name__}")
    return [real_number(x, who, f"xs[{i}]") for i, x in enumerate(xs)]


@overload
def grad(
    output: Value, inputs: Sequence[Value], create_graph: Literal[False] = ...
) -> list[float]: ...
@overload
def grad(output: Value, inputs: Sequence[Value], create_graph: Literal[True]) -> list[Value]: ...
@overload
def grad(
    output: Value, inputs: Sequence[Value], create_graph: bool = ...
) -> list[float] | list[Value]: ...


def grad(
    output: Value, inputs: Sequence[Value], create_graph: bool = False
) -> list[float] | list[Value]:
    """d output / d input for each input, without touching any ``.grad``.

    Args:
        output: the Value to differentiate.
        inputs: the Values to differentiate with respect to.
        create_graph: if True, return Values that are themselves graphs, so they
            can be differentiated again (second, third, ... derivatives).

    Returns:
        One gradient per input: floats, or Values with ``create_graph=True``. An
        input that ``output`` does not depend on gets 0.0 (``Value(0.0)``).

    Raises:
        TypeError: if ``output`` is not a Value or ``inputs`` is not a list of Values
            (a single Value too: write ``grad(y, [x])``).

    Example:
        >>> x = Value(3.0); y = x ** 3
        >>> (dy,) = grad(y, [x], create_graph=True)   # 3x² = 27
        >>> grad(dy, [x])                             # 6x = 18
        [18.0]
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = value_list(inputs, "grad", "inputs")
    if create_graph:
        graph = gradient_graph(output, Value(1.0))
        return [graph[x] if x in graph else Value(0.0) for x in inputs]
    buffer = gradients(output, 1.0)
    return [buffer.get(x, 0.0) for x in inputs]


def hessian(fn: Callable[[list[Value]], Value], xs: Sequence[Number]) -> list[list[float]]:
    """The matrix of second derivatives d²fn / dx_i dx_j at the point ``xs``.

    Args:
        fn: maps a list of Values to a Value.
        xs: the point, as numbers.

    Returns:
        A list of rows, each a list of floats.

    Raises:
        TypeError: if ``fn`` is not callable or an entry of ``xs`` is not a number.
        ValueError: if an entry of ``xs`` is too large for a float.
    """
    callable_(fn, "hessian", "fn")
    values = as_values(_point(xs, "hessian"))
    output = _call(fn, values, "hessian")
    first = grad(output, values, create_graph=True)
    return [grad(g, values) for g in first]


def gradcheck(
    fn: Callable[[list[Value]], Value],
    xs: Sequence[Number],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare the engine's gradients of ``fn`` at ``xs`` with central differences.

    Args:
        fn: maps a list of Values to a Value.
        xs: the point, as numbers.
        eps: the finite-difference step, > 0.
        atol, rtol: an input passes when |engine - numeric| <= atol + rtol * |numeric|;
            each >= 0.

    Returns:
        True when every input passes.

    Raises:
        AssertionError: naming the worst input and both numbers.
        TypeError: if ``fn`` is not callable or an entry of ``xs`` is not a number.
        ValueError: if ``eps`` is not a finite number > 0, ``atol`` or ``rtol`` not a
            finite number >= 0, or an entry of ``xs`` too large for a float.
    """
    callable_(fn, "gradcheck", "fn")
    point = _point(xs, "gradcheck")
    eps = positive_number(eps, "gradcheck", "eps")
    atol = non_negative_number(atol, "gradcheck", "atol")
    rtol = non_negative_number(rtol, "gradcheck", "rtol")
    values = as_values(point)
    analytic = grad(_call(fn, values, "gradcheck"), values)
    worst: tuple[float, int, float, float] | None = None
    for i in range(len(point)):
        numeric = (_shifted(fn, point, i, eps) - _shifted(fn, point, i, -eps)) / (2 * eps)
        error = abs(analytic[i] - numeric)
        allowed = atol + rtol * abs(numeric)
        if not error <= allowed:  # also catches nan
            excess = error - allowed if error == error else float("inf")
            if worst is None or excess > worst[0]:
                worst = (excess, i, analytic[i], numeric)
    if worst is not None:
        _, i, a, n = worst
        raise AssertionError(
            f"gradcheck failed at input {i} (x={point[i]!r}): engine gradient {a!r}, "
            f"finite difference {n!r} (eps={eps}, atol={atol}, rtol={rtol})"
        )
    return True


def _shifted(fn: Callable[[list[Value]], Value], point: list[float], i: int, h: float) -> float:
    moved = list(point)
    moved[i] += h
    return _call(fn, as_values(moved), "gradcheck").data


def _call(fn: Callable[[list[Value]], Value], values: list[Value], who: str) -> Value:
    out = fn(values)
    if not isinstance(out, Value):
        raise TypeError(f"{who}: fn must return a Value, got {type(out).__name__}")
    return out
