"""The functional layer: gradients as return values, derivatives of any order, Hessians,
and a numerical check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, overload

from .arguments import value_list
from .engine import Number, Value, as_values, gradients, recording, topological_order
from .primitives import VALUE_OPS, WithNumber
from .support.checks import callable_, non_negative_number, positive_number, real_numbers

# --- derivatives as graphs, for higher order -------------------------------------------

def gradient_graph(root: Value, seed: Value) -> dict[Value, Value]:
    """d root / d node × seed for every node root depends on, each a Value built as a graph.

    The reverse pass of :func:`~autograd_lite.engine.reference_gradients`, but each local
    derivative is the primitive's own formula evaluated on the graph's nodes (with
    :data:`~autograd_lite.primitives.VALUE_OPS`) instead of the float the forward pass
    recorded, so every gradient is itself a graph that can be differentiated again, to
    any order.
    """
    buffer: dict[Value, Value] = {root: seed}
    with recording(True):
        for node in reversed(topological_order(root)):
            g = buffer.get(node)
            prim = node.primitive
            if g is None or prim is None:
                continue
            parents = node.parents
            if isinstance(prim, WithNumber):
                # the formula reads the number as the constant leaf it stands for
                locals_ = prim.local(VALUE_OPS, parents[0], Value(node.number), node)  # type: ignore[arg-type]
            else:
                locals_ = prim.local(VALUE_OPS, *parents, node)
            for parent, local in zip(parents, locals_, strict=True):
                if isinstance(local, float | int):
                    if local == 0:
                        continue  # a locally constant zero derivative adds nothing
                    contribution = g if local == 1 else g * local
                else:
                    contribution = local * g
                previous = buffer.get(parent)
                buffer[parent] = contribution if previous is None else previous + contribution
    return buffer


# --- the public functions ---------------------------------------------------------------


def _point(xs: object, who: str) -> list[float]:
    """The point ``xs`` as floats, or an error naming the entry that is not a number."""
    return real_numbers(xs, who, "xs")


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
        AssertionError: naming the worst input and both numbers, then the op whose
            local derivative disagrees with central differences of its own forward, at
            which inputs, with both numbers (see :func:`where_it_disagrees`).
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
            f"finite difference {n!r} (eps={eps}, atol={atol}, rtol={rtol})\n"
            + where_it_disagrees(_call(fn, as_values(point), "gradcheck"), eps, atol, rtol)
        )
    return True


def where_it_disagrees(
    output: Value, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> str:
    """Which op of ``output``'s graph has a local derivative its own forward disagrees with.

    Each op node recorded one local derivative per parent, from its row's formula; here
    each is held to central differences of the same row's forward at the node's own
    inputs, ``(forward(x + h) - forward(x - h)) / 2h`` with ``h = eps·max(1, |x|)``. The
    first node (from the inputs) whose formula and forward disagree is named, with both
    numbers: that is where a wrong derivative lives, built-in or a learner's.

    Returns:
        One sentence: the op, its inputs, the input it disagrees about and both numbers;
        or, when every op agrees with its forward, where else to look.

    Example:
        >>> from autograd_lite import primitive
        >>> bad = primitive("cube", lambda x: x ** 3, lambda ops, x, out: (2 * x * x,))
        >>> print(where_it_disagrees(bad(Value(2.0)) + 1))
        the op 'cube' disagrees with its own forward: at its inputs (2.0,), its local derivative with respect to input 0 is 8 by its formula but 12 by central differences of its forward
    """  # noqa: E501
    found: list[str] = []
    for node in topological_order(output):
        prim = node.primitive
        if prim is None:
            continue
        forward, inputs, shown = _forward_of(node)
        for i, local in enumerate(node.local_grads):
            numeric = _central_difference(forward, inputs, i, eps)
            if numeric is None or numeric != numeric or abs(numeric) == float("inf"):
                continue  # outside the domain nearby, or singular: nothing to hold it to
            if not abs(local - numeric) <= atol + rtol * abs(numeric):
                found.append(
                    f"the op {node.op!r} disagrees with its own forward: at its inputs "
                    f"{tuple(shown)!r}, its local derivative with respect to input {i} is "
                    f"{local:.6g} by its formula but {numeric:.6g} by central differences "
                    f"of its forward"
                )
    if not found:
        return (
            "every op's local derivative agrees with central differences of its own forward "
            "here, so look at how fn combines them (a branch on .data, a kink at this point, "
            "or an eps too large for fn)"
        )
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return found[0] + more


def _forward_of(node: Value) -> tuple[Callable[..., float], list[float], tuple[float, ...]]:
    """The forward of node's op as a function of its parents' numbers, those numbers, and
    its operands as the op sees them (a plain number of ``v * 2`` in its place)."""
    prim = node.primitive
    inputs = [p.data for p in node.parents]
    if isinstance(prim, WithNumber):
        number: float = node.number  # type: ignore[assignment]
        run = prim.run
        return (lambda x: run(x, number)[0]), inputs, prim.operands(inputs[0], number)
    return prim.forward, inputs, tuple(inputs)  # type: ignore[union-attr]


def _central_difference(
    forward: Callable[..., float], inputs: list[float], i: int, eps: float
) -> float | None:
    """d forward / d input i by central differences, or None if forward fails nearby."""
    h = eps * max(1.0, abs(inputs[i]))
    up, down = list(inputs), list(inputs)
    up[i] += h
    down[i] -= h
    try:
        return (forward(*up) - forward(*down)) / (2 * h)
    except (ArithmeticError, ValueError):
        return None


def _shifted(fn: Callable[[list[Value]], Value], point: list[float], i: int, h: float) -> float:
    moved = list(point)
    moved[i] += h
    return _call(fn, as_values(moved), "gradcheck").data


def _call(fn: Callable[[list[Value]], Value], values: list[Value], who: str) -> Value:
    out = fn(values)
    if not isinstance(out, Value):
        raise TypeError(f"{who}: fn must return a Value, got {type(out).__name__}")
    return out
